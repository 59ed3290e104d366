"""The behaviours of ``tf.compat.v1.layers`` that TensorFlow's own legacy-layer tests check and
``tf1_recsys.compat.layers`` once lacked (issue 23), each against TensorFlow's layers.

Every probe in SOURCE runs here with ``L = tf1_recsys.compat.layers`` and, all in one reference
process (``tests/legacy.py``: natively on TF <= 2.15, tf_keras on 2.16+), with
``L = tf.compat.v1.layers``; the results must be equal (numbers to 1e-6):

* sizes given as TensorFlow's layers take them: ``units`` as '16' or 16.0, ``filters`` as 4.0, a
  ``TensorShape`` (or ``Dimension`` values) as ``kernel_size``, ``strides`` and ``pool_size``;
* input specs built by a class that is not ours: which inputs each spec field accepts;
* ``compute_output_shape`` of Dense, Conv2D and MaxPooling2D, errors included;
* variables created while a function graph is built live in the enclosing graph;
* batch norm: the fused path's moving variance with and without Bessel's correction
  (``_bessels_correction_test_only``), so checkpoints move between fused and non-fused layers;
* ghost batch norm (``virtual_batch_size``) under a Python and a tensor ``training``;
* a layer's dtype taken from its first input (tensor, numpy, list) and inputs left uncast.

``tools/run_tf_layer_tests.py`` runs TensorFlow's own test files themselves.
"""
import numpy as np
import pytest

from tests.legacy import needs_reference, start_reference
from tf1_recsys._tf import tf
from tf1_recsys.compat import layers as compat_layers

SOURCE = r'''
def outcome(fn):
    """["ok", value] or ["raised", exception class name]."""
    try:
        return ["ok", fn()]
    except (ValueError, TypeError) as e:
        return ["raised", type(e).__name__]


def int_like_sizes(L, tf):
    out = {}
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 5])
        img = tf.placeholder(tf.float32, [None, 8, 8, 3])
        out["dense_str"] = L.dense(x, "16", name="d_str").shape.as_list()
        out["dense_float"] = L.Dense(16.0, name="d_float")(x).shape.as_list()
        out["conv_filters_float"] = L.conv2d(img, 4.0, 3).shape.as_list()
        out["conv_tensorshape"] = L.conv2d(img, 2, tf.TensorShape([2, 3]),
                                           strides=tf.TensorShape([1, 2])).shape.as_list()
        out["conv_dimensions"] = L.Conv2D(2, (tf.Dimension(3), tf.Dimension(1)))(img).shape.as_list()
        out["pool_tensorshape"] = L.max_pooling2d(img, tf.TensorShape([2, 4]), tf.TensorShape([2, 2])).shape.as_list()
        out["pool_class"] = L.AveragePooling1D(tf.TensorShape([3]), 1)(img[:, :, 0, :]).shape.as_list()
        out["variables"] = sorted([v.op.name, v.shape.as_list()] for v in tf.global_variables())
        out["dense_words"] = outcome(lambda: L.dense(x, "sixteen").shape.as_list())
    return out


def input_spec_checks(L, tf, spec_class):
    specs = {"ndim": dict(ndim=2), "min_ndim": dict(min_ndim=2), "max_ndim": dict(max_ndim=2),
             "dtype": dict(dtype="float32"), "axes": dict(axes={-1: 2}), "shape": dict(shape=(None, 3))}
    inputs = {"2x3": ([2, 3], "float32"), "2x2": ([2, 2], "float32"), "3": ([3], "float32"),
              "2x2x2": ([2, 2, 2], "float32"), "2x3_f64": ([2, 3], "float64"), "unknown_rank": (None, "float32")}
    out = {}

    class Probe(L.Layer):
        def __init__(self, spec):
            super(Probe, self).__init__()
            self.input_spec = spec

        def call(self, inputs):
            return inputs

    with tf.Graph().as_default():
        for spec_name, kwargs in sorted(specs.items()):
            for input_name, (shape, dtype) in sorted(inputs.items()):
                x = tf.placeholder(dtype, shape)
                out[spec_name + "/" + input_name] = outcome(
                    lambda: Probe(spec_class(**kwargs))(x).dtype.name)
        out["not_a_spec"] = outcome(lambda: Probe("ndim=2").input_spec)
    return out


def output_shapes(L, tf):
    shapes = {"unknown": None, "scalar": [], "rank1": [1], "unknown_last": [None, None], "tuple": (None, 3),
              "rank3": [None, 4, 3]}
    dense = L.Dense(2)
    out = {"dense/" + k: outcome(lambda s=s: dense.compute_output_shape(tf.TensorShape(s)).as_list())
           for k, s in shapes.items()}
    conv = L.Conv2D(4, (3, 2), strides=(2, 1), padding="valid")
    pool = L.MaxPooling2D(2, 2, padding="same")
    for name, layer in (("conv", conv), ("pool", pool)):
        for k, s in (("image", [None, 9, 7, 3]), ("unknown", None), ("small", [2, 2, 2, 3])):
            out[name + "/" + k] = outcome(lambda s=s: layer.compute_output_shape(tf.TensorShape(s)).as_list())
    return out


def lifted_variables(L, tf):
    class Scalar(L.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (), tf.float32)
            super(Scalar, self).build(input_shape)

        def call(self, inputs):
            return inputs * self.w

    outer = tf.Graph()
    inner = tf.Graph()
    inner._building_function = True
    with outer.as_default():
        with inner.as_default():
            scalar = Scalar()
            scalar(tf.placeholder(tf.float32, (), "inputs"))
            dense = L.Dense(3, name="fn_dense")
            dense(tf.placeholder(tf.float32, (None, 2)))
            return {"scalar": [len(scalar.variables), len(scalar.trainable_variables),
                               scalar.variables[0].graph is outer, scalar.variables[0].op.name],
                    "dense": [v.op.name for v in dense.variables], "dense_in_outer": [v.graph is outer for v in dense.variables],
                    "outer_globals": sorted(v.op.name for v in outer.get_collection("variables")),
                    "outer_trainable": sorted(v.op.name for v in outer.get_collection("trainable_variables")),
                    "inner_globals": len(inner.get_collection("variables"))}


def batch_norm_bessel(L, tf, data):
    out = {}
    for key, fused, bessel in (("fused", None, True), ("fused_plain", None, False), ("fused_true_plain", True, False),
                               ("non_fused", False, True)):
        with tf.Graph().as_default():
            layer = L.BatchNormalization(fused=fused, momentum=0.5)
            if not bessel:
                layer._bessels_correction_test_only = False
            y = layer(tf.constant(data["img"]), training=True)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                y_value = sess.run(y)
                sess.run(layer.updates)
                out[key] = {"y": y_value.tolist(), "mean": sess.run(layer.moving_mean).tolist(),
                            "variance": sess.run(layer.moving_variance).tolist()}
    return out


def ghost_batch_norm(L, tf, data):
    out = {}
    for key, x, axis, size in (("2d", data["flat"], -1, 3), ("4d_axis1", data["img"], 1, 2),
                               ("4d_axes13", data["img"], [1, 3], 2)):
        with tf.Graph().as_default():
            inputs = tf.placeholder(tf.float32, x.shape)
            flag = tf.placeholder(tf.bool)
            layer = L.BatchNormalization(axis=axis, momentum=0.6, virtual_batch_size=size,
                                         gamma_initializer=tf.constant_initializer(1.5),
                                         beta_initializer=tf.constant_initializer(-0.5))
            y_tensor = layer(inputs, training=flag)
            updates = list(layer.updates)  # the tensor call's: the later calls' would race with them
            y_true = layer(inputs, training=True)
            y_false = layer(inputs, training=False)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                feed = {inputs: x, flag: True}
                result = {"shapes": sorted([v.op.name, v.shape.as_list()] for v in layer.variables),
                          "y_true": sess.run(y_true, feed).tolist(), "y_flag_true": sess.run(y_tensor, feed).tolist()}
                for _ in range(2):
                    sess.run(updates, feed)
                result["mean"] = sess.run(layer.moving_mean).tolist()
                result["variance"] = sess.run(layer.moving_variance).tolist()
                result["y_false"] = sess.run(y_false, feed).tolist()
                result["y_flag_false"] = sess.run(y_tensor, {inputs: x, flag: False}).tolist()
                out[key] = result
    return out


def layer_dtypes(L, tf, np):
    class Identity(L.Layer):
        def call(self, inputs):
            return inputs

    out = {}
    with tf.Graph().as_default():
        layer = Identity()
        out["before"] = layer.dtype
        layer(tf.constant(1.0, tf.float64))
        out["from_tensor"] = layer.dtype
        layer(tf.constant(1.0, tf.float16))
        out["kept"] = layer.dtype
        layer = Identity()
        layer(np.array(1.0, dtype="float64"))
        out["from_numpy"] = layer.dtype
        layer = Identity()
        layer(tf.constant(1, tf.int32))
        out["from_int"] = layer.dtype
        layer = Identity()
        layer([tf.constant(1.0, tf.float32), tf.constant(1.0, tf.float64)])
        out["from_first"] = layer.dtype
        for name, dtype in (("ctor_f64", "float64"), ("ctor_int", "int32"), ("ctor_dtype", tf.float64)):
            layer = Identity(dtype=dtype)
            y = layer(tf.constant(1.0, tf.float32))
            out[name] = [layer.dtype, y.dtype.name]
        dense = L.Dense(2)
        z = dense(tf.zeros([1, 3], tf.float64))
        out["dense"] = [dense.dtype, dense.kernel.dtype.base_dtype.name, z.dtype.name]
    return out


def channels_unknown(L, tf):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 5, 5, None])
        try:
            L.Conv2D(2, 3)(x)
        except ValueError as e:
            return ["ValueError", "The channel dimension of the inputs should be defined" in str(e)]
        return ["no error"]


def run_all(L, tf, np, spec_class, data):
    return {"sizes": int_like_sizes(L, tf), "input_spec": input_spec_checks(L, tf, spec_class),
            "output_shapes": output_shapes(L, tf), "lifted": lifted_variables(L, tf),
            "bessel": batch_norm_bessel(L, tf, data), "ghost": ghost_batch_norm(L, tf, data),
            "dtypes": layer_dtypes(L, tf, np), "channels": channels_unknown(L, tf)}
'''

REFERENCE_MAIN = '''
import json
import numpy as np
import tensorflow as tf2
tf = tf2.compat.v1
data = dict(np.load("data.npz"))
print(json.dumps(run_all(tf.layers, tf, np, tf2.keras.layers.InputSpec, data)))
'''


class SpecLike(object):
    """An input spec of no known class: just the attributes layers read."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None):
        self.dtype, self.shape, self.max_ndim, self.min_ndim = dtype, shape, max_ndim, min_ndim
        self.ndim = len(shape) if shape is not None else ndim
        self.axes = axes or {}


def _data():
    rng = np.random.default_rng(23)
    return {"img": rng.normal(1.0, 2.0, size=(4, 3, 2, 2)).astype(np.float32),
            "flat": rng.normal(-1.0, 3.0, size=(6, 2)).astype(np.float32)}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """{"ours": probes on tf1_recsys.compat.layers, "tf": probes on TensorFlow's, "namespace": SOURCE's names}."""
    from tensorflow.python.keras.engine.input_spec import InputSpec as TensorFlowInputSpec

    work = tmp_path_factory.mktemp("layers_tf_gaps")
    data = _data()
    np.savez(work / "data.npz", **data)
    namespace = {}
    exec(SOURCE, namespace)
    with start_reference(SOURCE + REFERENCE_MAIN, work) as reference:  # runs while ours runs here
        ours = namespace["run_all"](compat_layers, tf, np, TensorFlowInputSpec, data)
        ours["input_spec_like"] = namespace["input_spec_checks"](compat_layers, tf, SpecLike)
        ours["input_spec_own"] = namespace["input_spec_checks"](compat_layers, tf, compat_layers.InputSpec)
        return {"ours": ours, "tf": reference.result(), "namespace": namespace}


def _numeric(value):
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(array).any() else array


def _close(got, want, path="", tol=1e-6):
    """Equal structures; numbers (and nested lists of them) to ``tol``."""
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), path
        for key in want:
            _close(got[key], want[key], path + "/" + key, tol)
    elif isinstance(want, list) and _numeric(want) is not None and not isinstance(want[0], bool):
        np.testing.assert_allclose(_numeric(got), _numeric(want), rtol=tol, atol=tol, err_msg=path)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            _close(g, w, "%s[%d]" % (path, i), tol)
    else:
        assert got == want, path


@needs_reference
def test_int_like_units_and_tensorshape_sizes_build_what_tensorflow_builds(results):
    assert results["ours"]["sizes"] == results["tf"]["sizes"]
    assert results["ours"]["sizes"]["dense_str"] == [None, 16]
    with tf.Graph().as_default():  # TensorFlow truncates 16.5 to 16; ours names the argument instead
        with pytest.raises(ValueError, match=r"dense: `units` must be a positive integer; got 16\.5"):
            compat_layers.dense(tf.placeholder(tf.float32, [None, 5]), 16.5)


@needs_reference
def test_input_specs_of_other_classes_check_inputs_as_tensorflows_layers_do(results):
    want = results["tf"]["input_spec"]
    assert any(v[0] == "raised" for v in want.values()) and any(v[0] == "ok" for v in want.values())
    for key in ("input_spec", "input_spec_like", "input_spec_own"):
        got = results["ours"][key]
        assert {k: v for k, v in got.items() if v != want.get(k)} == {}, key


@needs_reference
def test_compute_output_shape_returns_and_raises_where_tensorflow_does(results):
    assert results["ours"]["output_shapes"] == results["tf"]["output_shapes"]
    assert results["tf"]["output_shapes"]["dense/unknown"] == ["raised", "ValueError"]


@needs_reference
def test_variables_made_while_a_function_graph_is_built_live_in_the_enclosing_graph(results):
    assert results["ours"]["lifted"] == results["tf"]["lifted"]
    assert results["ours"]["lifted"]["scalar"][2] is True


@needs_reference
def test_batch_norm_fused_moving_variance_with_and_without_bessel_correction(results):
    ours, want = results["ours"]["bessel"], results["tf"]["bessel"]
    _close(ours, want)
    # numpy: the plain fused update equals the non-fused one; the default one is n / (n - 1) times the batch variance
    img = _data()["img"]
    n = img.size // img.shape[-1]
    batch_variance = img.reshape(-1, img.shape[-1]).var(axis=0)
    np.testing.assert_allclose(ours["fused_plain"]["variance"], ours["non_fused"]["variance"], rtol=1e-6)
    np.testing.assert_allclose(ours["non_fused"]["variance"], 0.5 + 0.5 * batch_variance, rtol=1e-5)
    np.testing.assert_allclose(ours["fused"]["variance"], 0.5 + 0.5 * batch_variance * n / (n - 1), rtol=1e-5)


@needs_reference
def test_ghost_batch_norm_matches_tensorflow_under_python_and_tensor_training(results):
    ours, want = results["ours"]["ghost"], results["tf"]["ghost"]
    _close(ours, want, tol=1e-5)
    # numpy, 2-D case with training=True: every third row forms one ghost batch of 3
    x = _data()["flat"]
    ghosts = x.reshape(3, 2, 2)
    y = (ghosts - ghosts.mean(0)) / np.sqrt(ghosts.var(0) + 1e-3) * 1.5 - 0.5
    np.testing.assert_allclose(ours["2d"]["y_true"], y.reshape(6, 2), rtol=1e-5, atol=1e-5)


@needs_reference
def test_layer_dtype_comes_from_the_first_input_and_inputs_are_not_cast(results):
    assert results["ours"]["dtypes"] == results["tf"]["dtypes"]
    assert results["ours"]["dtypes"]["ctor_f64"] == ["float64", "float32"]


@needs_reference
def test_unknown_channel_dimension_error_says_what_tensorflow_says(results):
    assert results["ours"]["channels"] == results["tf"]["channels"] == ["ValueError", True]
