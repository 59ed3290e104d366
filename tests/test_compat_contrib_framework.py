"""``tf1_recsys.compat.contrib.framework``: ``arg_scope`` as TF 1.x specified it, and the variable helpers.

No installable TensorFlow has ``tf.contrib.framework``; the ``arg_scope`` cases follow the behaviours
TF 1.15's ``arg_scope_test.py`` specified (scope dicts, nesting, re-use, errors), and every number
is recomputed in numpy.
"""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.compat.contrib import framework as F
from tf1_recsys.compat.contrib import layers as C


@F.add_arg_scope
def _any_args(*args, **kwargs):
    return args, kwargs


@F.add_arg_scope
def _other(*args, **kwargs):
    return args, kwargs


@F.add_arg_scope
def _defaults(x, a=None, b=1, c=2):
    """Its own doc."""
    return x, a, b, c


def _key(fn):
    return F.arg_scope_func_key(fn)


def test_arg_scope_yields_the_scope_dict_and_nests_merging_per_function():
    with F.arg_scope([]) as empty:
        assert empty == {}
    with F.arg_scope([_any_args], a=1, b=None) as outer:
        assert outer == {_key(_any_args): {"a": 1, "b": None}}
        assert _key(_any_args) == str(_any_args.__wrapped__)  # TF 1.x's key: str() of the undecorated function
        with F.arg_scope((_any_args, _other), b=2, d=[2]) as inner:
            assert inner == {_key(_any_args): {"a": 1, "b": 2, "d": [2]}, _key(_other): {"b": 2, "d": [2]}}
            assert _any_args(0) == ((0,), {"a": 1, "b": 2, "d": [2]})
            assert _any_args(0, b=3) == ((0,), {"a": 1, "b": 3, "d": [2]})  # the call wins
            assert _other(1) == ((1,), {"b": 2, "d": [2]})
            with F.arg_scope({}) as cleared:
                assert cleared == {} and _any_args(0) == ((0,), {})
            assert F.current_arg_scope() is inner
        assert _other(1) == ((1,), {})
    assert _any_args(0) == ((0,), {}) and F.current_arg_scope() == {}


def test_a_saved_scope_replaces_the_one_around_it():
    def saved():
        with F.arg_scope([_any_args], a=1, c=[1]) as sc:
            return sc

    outside = saved()
    with F.arg_scope([_any_args], b=2, d=10):
        with F.arg_scope(outside):
            assert _any_args(0) == ((0,), {"a": 1, "c": [1]})
        with F.arg_scope(saved()):  # made inside: inherits b and d
            assert _any_args(0) == ((0,), {"a": 1, "b": 2, "c": [1], "d": 10})


def test_arg_scope_errors_and_introspection():
    def plain(t, a=None):
        return t, a

    with pytest.raises(ValueError, match="is not decorated with @add_arg_scope"):
        with F.arg_scope([plain], a=1):
            pass
    with pytest.raises(TypeError, match="must be a list or tuple of functions or a scope dict; got str"):
        with F.arg_scope("_any_args", a=1):
            pass
    with pytest.raises(ValueError, match="no keyword arguments may be given"):
        with F.arg_scope({}, a=1):
            pass
    with F.arg_scope([_defaults], d=1):
        with pytest.raises(TypeError, match="unexpected keyword argument 'd'"):
            _defaults(1)
    assert F.arg_scoped_arguments(_defaults) == ("a", "b", "c")
    assert F.has_arg_scope(_defaults) and not F.has_arg_scope(plain)
    with pytest.raises(AssertionError):
        F.arg_scoped_arguments(plain)
    assert _defaults.__doc__ == "Its own doc." and _defaults.__name__ == "_defaults"
    keys = set()
    for _ in range(3):  # a function defined again is a new function with its own key
        @F.add_arg_scope
        def again(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8):
            return a

        assert F.arg_scoped_arguments(again) == tuple("abcdefgh")
        keys.add(_key(again))
    assert len(keys) == 3


def test_contrib_layers_honour_arg_scope(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 4])
    with F.arg_scope([C.fully_connected], normalizer_fn=C.batch_norm, weights_regularizer=C.l2_regularizer(0.1),
                     normalizer_params={"is_training": False}):
        with F.arg_scope([C.batch_norm], scale=True, epsilon=0.01):
            y = C.fully_connected(x, 3, scope="fc")
            y_linear = C.fully_connected(x, 2, activation_fn=None, normalizer_fn=None, scope="linear")
    with F.arg_scope([C.layer_norm], center=False):
        z = C.layer_norm(x)
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == ["LayerNorm/gamma", "fc/BatchNorm/beta", "fc/BatchNorm/gamma", "fc/BatchNorm/moving_mean",
                     "fc/BatchNorm/moving_variance", "fc/weights", "linear/biases", "linear/weights"]
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 2
    sess.run(tf.global_variables_initializer())
    v = {var.op.name: var for var in tf.global_variables()}
    gamma = rng.uniform(0.5, 1.5, 3).astype(np.float32)
    beta = rng.normal(size=3).astype(np.float32)
    sess.run([v["fc/BatchNorm/gamma"].assign(gamma), v["fc/BatchNorm/beta"].assign(beta)])
    xv = rng.normal(size=(5, 4)).astype(np.float32)
    w, wl, bl = sess.run([v["fc/weights"], v["linear/weights"], v["linear/biases"]])
    got_y, got_linear, got_z = sess.run([y, y_linear, z], {x: xv})
    np.testing.assert_allclose(got_y, np.maximum((xv @ w) / np.sqrt(1 + 0.01) * gamma + beta, 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_linear, xv @ wl + bl, rtol=1e-5, atol=1e-5)
    mean, var = xv.mean(1, keepdims=True), xv.var(1, keepdims=True)
    np.testing.assert_allclose(got_z, (xv - mean) / np.sqrt(var + 1e-12), rtol=1e-4, atol=1e-5)


def test_variable_and_model_variable_collections_devices_and_arg_scope(graph):
    seen = []

    def getter(next_getter, name, *args, **kwargs):
        seen.append((name, kwargs.pop("reuse")))
        return next_getter(name, *args, **kwargs)

    with F.arg_scope([F.variable], device="/cpu:0"):
        a = F.variable("a", [2], initializer=tf.zeros_initializer())
    m = F.model_variable("m", [3], regularizer=C.l2_regularizer(0.5), collections=["extra"])
    with tf.variable_scope("s"):
        c = F.variable("c", [1], custom_getter=getter, trainable=False)
    with tf.variable_scope("s", reuse=True):
        assert F.variable("c", [1]) is c
    local = F.local_variable([1.0, 2.0], name="loc")
    assert a.device.endswith("CPU:0") and a.dtype.base_dtype == tf.float32
    assert tf.get_collection(tf.GraphKeys.MODEL_VARIABLES) == [m] == tf.get_collection("extra")
    assert m in tf.global_variables() and a not in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)
    assert seen == [("c", False)] and c.op.name == "s/c" and c not in tf.trainable_variables()
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 1
    assert tf.get_collection(tf.GraphKeys.LOCAL_VARIABLES) == [local] and local not in tf.global_variables()
    F.add_model_variable(a)
    F.add_model_variable(a)
    assert tf.get_collection(tf.GraphKeys.MODEL_VARIABLES) == [m, a]


def test_finding_variables(graph):
    with tf.variable_scope("tower"):
        w = F.model_variable("weights", [1])
        b = tf.get_variable("biases", [1])
        with tf.variable_scope("head"):
            hw = tf.get_variable("weights", [1])
    top = tf.get_variable("weights", [1])
    other = tf.get_variable("tower_2/weights", [1])
    assert F.get_variables("tower") == [w, b, hw, other]  # a prefix, as tf.get_collection filters
    assert F.get_variables("tower/") == [w, b, hw]
    with tf.variable_scope("tower") as scope:
        assert F.get_variables(scope) == [w, b, hw, other]
    assert F.get_variables(suffix="biases") == [b]
    assert F.get_model_variables() == [w] and F.get_trainable_variables("tower/head") == [hw]
    assert F.get_variables_by_name("weights") == [w, hw, top, other]
    assert F.get_variables_by_suffix("weights", scope="tower/") == [w, hw]
    assert F.get_unique_variable("tower/weights") is w
    with pytest.raises(ValueError, match="Couldn't find variable nowhere"):
        F.get_unique_variable("nowhere")
    with pytest.raises(ValueError, match="does not uniquely identify"):
        F.get_unique_variable("tower/weigh")
    assert F.get_variables_to_restore() == [w, b, hw, top, other]
    assert F.get_variables_to_restore(include=["tower/"], exclude=["tower/head"]) == [w, b]
    assert F.get_variables_to_restore(exclude=("tower",)) == [top]
    with pytest.raises(TypeError, match="`exclude` must be a list or tuple of scope names; got str"):
        F.get_variables_to_restore(exclude="tower")
    assert F.filter_variables([w, b, hw, top], include_patterns=["weights"], exclude_patterns=["head"]) == [w, top]
    assert F.filter_variables([w, b, hw, top], include_patterns=["weights"], reg_search=False) == [top]
    assert F.get_or_create_global_step is tf.train.get_or_create_global_step
    step = F.get_or_create_global_step()
    assert F.assert_or_get_global_step() is step and F.get_global_step() is step


def test_assign_from_checkpoint_values_and_partitions(tmp_path, rng):
    table = rng.normal(size=(6, 2)).astype(np.float32)
    bias = rng.normal(size=3).astype(np.float32)
    with tf.Graph().as_default():
        tf.get_variable("emb/table", initializer=table)
        tf.get_variable("bias", initializer=bias)
        saver = tf.train.Saver()
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            path = saver.save(s, str(tmp_path / "model.ckpt"))
    with tf.Graph().as_default():
        parts = tf.get_variable("emb/table", [6, 2], partitioner=tf.fixed_size_partitioner(2))
        b = tf.get_variable("bias", [3])
        extra = tf.get_variable("extra", [1])
        op, feed = F.assign_from_checkpoint(path, list(parts) + [b])
        op_renamed, feed_renamed = F.assign_from_checkpoint(path, {"bias": b})
        with pytest.raises(ValueError, match=r"Checkpoint is missing variable \[extra\]"):
            F.assign_from_checkpoint(path, [extra])
        with pytest.raises(ValueError, match="Total size of new array must be unchanged for bias"):
            F.assign_from_checkpoint(path, {"bias": extra})
        restore = F.assign_from_checkpoint_fn(path, [b, extra], ignore_missing_vars=True)
        assert F.assign_from_checkpoint_fn(path, [extra], ignore_missing_vars=True) is None
        values_op, values_feed = F.assign_from_values({"extra": np.array([7.0], np.float32)})
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            s.run(op, feed)
            np.testing.assert_array_equal(np.concatenate(s.run(list(parts))), table)
            np.testing.assert_array_equal(s.run(b), bias)
            s.run(b.assign(np.zeros(3, np.float32)))
            s.run(op_renamed, feed_renamed)
            np.testing.assert_array_equal(s.run(b), bias)
            s.run(b.assign(np.zeros(3, np.float32)))
            restore(s)
            np.testing.assert_array_equal(s.run(b), bias)
            s.run(values_op, values_feed)
            assert s.run(extra) == pytest.approx([7.0])
            F.assign_from_values_fn({"bias": np.ones(3, np.float32)})(s)
            np.testing.assert_array_equal(s.run(b), np.ones(3))


def test_variable_device_chooser_round_robin():
    chooser = F.VariableDeviceChooser(num_tasks=2)
    got = [chooser(None) for _ in range(3)]
    assert got == ["/job:ps/task:0/device:CPU:0", "/job:ps/task:1/device:CPU:0", "/job:ps/task:0/device:CPU:0"]
    assert F.VariableDeviceChooser(device_type="GPU", device_index=1)(None) == "/device:GPU:1"
