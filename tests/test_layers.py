"""The Keras-free layer kit on its own: numpy references, reuse rules and bad input."""
import importlib
import sys

import numpy as np
import pytest

from tf1_recsys import layers
from tf1_recsys._tf import tf


def _values(sess, *names):
    """Values of global variables by op name (resource variables cannot be fetched by tensor name)."""
    by_name = {v.op.name: v for v in tf.global_variables()}
    values = sess.run([by_name[n] for n in names])
    return values if len(values) > 1 else values[0]


def _np_bn(x, mean, var, gamma, beta, eps):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_tf_keras_is_not_importable_and_the_kit_trains_without_it(graph, sess, rng):
    assert sys.modules.get("tf_keras", None) is None
    with pytest.raises(ImportError):
        importlib.import_module("tf_keras")
    x = tf.placeholder(tf.float32, [None, 4])
    y = tf.placeholder(tf.float32, [None, 1])
    training = tf.placeholder_with_default(False, [])
    h = layers.dense(x, 16, activation="relu")
    h = layers.batch_normalization(h, training=training)
    h = layers.layer_normalization(h)
    logits = layers.dense(h, 1)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
    sess.run(tf.global_variables_initializer())
    xs = rng.normal(size=(512, 4)).astype(np.float32)
    ys = (xs[:, :1] + 0.5 * xs[:, 1:2] > 0).astype(np.float32)
    first = sess.run(loss, {x: xs, y: ys})
    for _ in range(100):
        sess.run(train, {x: xs, y: ys, training: True})
    last = sess.run(loss, {x: xs, y: ys})
    assert last < 0.5 * first
    assert "tf_keras" not in {m.split(".")[0] for m, mod in sys.modules.items() if mod is not None}


def test_dense_matches_numpy_for_rank_2_and_3(graph, sess, rng):
    x2 = tf.placeholder(tf.float32, [None, 5])
    x3 = tf.placeholder(tf.float32, [None, 3, 5])
    y2 = layers.dense(x2, 4, activation="sigmoid", name="d", bias_initializer=tf.constant_initializer(0.3))
    y3 = layers.dense(x3, 4, activation="sigmoid", name="d", reuse=True)
    assert y3.shape.as_list() == [None, 3, 4]
    sess.run(tf.global_variables_initializer())
    kernel, bias = _values(sess, "d/kernel", "d/bias")
    a2, a3 = rng.normal(size=(6, 5)), rng.normal(size=(6, 3, 5))
    out2, out3 = sess.run([y2, y3], {x2: a2, x3: a3})
    sig = lambda z: 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(out2, sig(a2 @ kernel + bias), atol=1e-6)
    np.testing.assert_allclose(out3, sig(a3 @ kernel + bias), atol=1e-6)
    np.testing.assert_allclose(bias, 0.3)
    limit = np.sqrt(6.0 / (5 + 4))  # Glorot-uniform default, like tf.compat.v1.layers.dense
    assert np.abs(kernel).max() <= limit


def test_batch_normalization_training_and_inference_match_numpy(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 3])
    training = tf.placeholder_with_default(False, [])
    y = layers.batch_normalization(
        x, momentum=0.9, training=training, gamma_initializer=tf.constant_initializer(2.0),
        beta_initializer=tf.constant_initializer(0.5),
    )
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    sess.run(tf.global_variables_initializer())
    a = rng.normal(loc=3.0, scale=2.0, size=(64, 3)).astype(np.float32)
    mean, var = a.mean(0), a.var(0)
    out_train, _ = sess.run([y, updates], {x: a, training: True})
    np.testing.assert_allclose(out_train, _np_bn(a, mean, var, 2.0, 0.5, 1e-3), atol=1e-5)
    mm, mv = _values(sess, "batch_normalization/moving_mean", "batch_normalization/moving_variance")
    np.testing.assert_allclose(mm, 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(mv, 0.9 + 0.1 * var, rtol=1e-5)
    out_infer = sess.run(y, {x: a})
    np.testing.assert_allclose(out_infer, _np_bn(a, mm, mv, 2.0, 0.5, 1e-3), atol=1e-5)
    # Running the update ops in inference mode leaves the moving statistics alone.
    sess.run(updates, {x: a})
    np.testing.assert_allclose(_values(sess, "batch_normalization/moving_mean"), mm)


def test_batch_normalization_python_bool_training(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 2])
    y_infer = layers.batch_normalization(x, training=False, name="bn")
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    y_train = layers.batch_normalization(x, training=True, name="bn", reuse=True)
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2
    assert {v.op.name for v in tf.trainable_variables()} == {"bn/gamma", "bn/beta"}
    assert {v.op.name for v in tf.global_variables()} == {
        "bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"}
    sess.run(tf.global_variables_initializer())
    a = rng.normal(size=(10, 2)).astype(np.float32)
    np.testing.assert_allclose(sess.run(y_infer, {x: a}), a / np.sqrt(1 + 1e-3), atol=1e-6)
    np.testing.assert_allclose(
        sess.run(y_train, {x: a}), (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-3), atol=1e-5)


def test_batch_normalization_4d_feeds_the_unbiased_variance_like_the_fused_kernel(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 2, 3, 4])
    layers.batch_normalization(x, training=True, momentum=0.0, name="fused")
    layers.batch_normalization(x, training=True, momentum=0.0, name="plain", fused=False)
    sess.run(tf.global_variables_initializer())
    a = rng.normal(size=(5, 2, 3, 4)).astype(np.float32)
    sess.run(tf.get_collection(tf.GraphKeys.UPDATE_OPS), {x: a})
    flat = a.reshape(-1, 4)
    np.testing.assert_allclose(_values(sess, "fused/moving_variance"), flat.var(0, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(_values(sess, "plain/moving_variance"), flat.var(0), rtol=1e-5)


def test_batch_normalization_channel_axis_1(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 3, 5])
    y = layers.batch_normalization(x, axis=1, training=True)
    sess.run(tf.global_variables_initializer())
    a = rng.normal(size=(4, 3, 5)).astype(np.float32)
    mean = a.mean(axis=(0, 2), keepdims=True)
    var = a.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(sess.run(y, {x: a}), (a - mean) / np.sqrt(var + 1e-3), atol=1e-5)


def test_layer_normalization_matches_numpy(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 3, 6])
    y = layers.layer_normalization(x, name="ln")
    assert sorted(v.op.name for v in tf.trainable_variables()) == ["ln/beta", "ln/gamma"]
    sess.run(tf.global_variables_initializer())
    sess.run(tf.assign(tf.trainable_variables()[1], np.arange(6, dtype=np.float32)))
    gamma, beta = _values(sess, "ln/gamma", "ln/beta")
    a = rng.normal(size=(2, 3, 6)).astype(np.float32)
    ref = (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-6) * gamma + beta
    np.testing.assert_allclose(sess.run(y, {x: a}), ref, atol=1e-5)


def test_xavier_initializer_is_glorot(graph, sess):
    v = tf.get_variable("w", [300, 200], initializer=layers.xavier_initializer(seed=1))
    n = tf.get_variable("n", [300, 200], initializer=layers.xavier_initializer(uniform=False, seed=1))
    sess.run(tf.global_variables_initializer())
    w, wn = sess.run([v, n])
    limit = np.sqrt(6.0 / 500)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    np.testing.assert_allclose(w.var(), limit ** 2 / 3, rtol=0.05)
    np.testing.assert_allclose(wn.var(), 2.0 / 500, rtol=0.05)


def test_names_are_uniquified_and_reuse_shares(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    layers.dense(x, 2)
    layers.dense(x, 2)
    with tf.variable_scope("tower"):
        layers.dense(x, 2)
    with tf.variable_scope("tower", reuse=True):
        layers.dense(x, 2)
    layers.dense(x, 2, name="auto", reuse=tf.AUTO_REUSE)
    layers.dense(x, 2, name="auto", reuse=tf.AUTO_REUSE)
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == sorted(
        "%s/%s" % (scope, var) for scope in ("dense", "dense_1", "tower/dense", "auto")
        for var in ("kernel", "bias"))


# --- bad input -------------------------------------------------------------------------

def test_dense_rejects_rank_1_input(graph):
    with pytest.raises(ValueError, match=r"dense: `inputs` must have rank >= 2; got shape \(5,\)"):
        layers.dense(tf.placeholder(tf.float32, [5]), 3)


def test_dense_rejects_unknown_last_dimension(graph):
    with pytest.raises(ValueError, match=r"last dimension of `inputs` must be known.*\(None, None\)"):
        layers.dense(tf.placeholder(tf.float32, [None, None]), 3)


def test_dense_rejects_bad_units_and_activation(graph):
    x = tf.placeholder(tf.float32, [None, 2])
    with pytest.raises(ValueError, match="`units` must be a positive integer; got 0"):
        layers.dense(x, 0)
    with pytest.raises(ValueError, match="`units` must be a positive integer; got \\[3, 4\\]"):
        layers.dense(x, [3, 4])
    with pytest.raises(ValueError, match="unknown `activation` 'relux'"):
        layers.dense(x, 2, activation="relux")
    with pytest.raises(TypeError, match="`inputs` must be a floating-point tensor; got dtype int32"):
        layers.dense(tf.placeholder(tf.int32, [None, 2]), 2)


def test_reuse_of_a_scope_that_does_not_exist(graph):
    x = tf.placeholder(tf.float32, [None, 2])
    with pytest.raises(ValueError, match="dense: reuse was requested but variable 'nowhere/kernel' does not exist"):
        layers.dense(x, 2, name="nowhere", reuse=True)
    with pytest.raises(ValueError, match="batch_normalization: reuse was requested but variable 'bn/gamma'"):
        layers.batch_normalization(x, name="bn", reuse=True)


def test_second_layer_with_the_same_name_needs_reuse(graph):
    x = tf.placeholder(tf.float32, [None, 2])
    layers.dense(x, 2, name="att1")
    with pytest.raises(ValueError, match="variable 'att1/kernel' already exists. Pass reuse=True"):
        layers.dense(x, 2, name="att1")


def test_training_must_be_boolean(graph):
    x = tf.placeholder(tf.float32, [None, 2])
    with pytest.raises(TypeError, match="`training` must be a boolean tensor; got dtype float32"):
        layers.batch_normalization(x, training=tf.placeholder(tf.float32, []))
    with pytest.raises(ValueError, match=r"`training` must be a scalar; got shape \(None,\)"):
        layers.batch_normalization(x, training=tf.placeholder(tf.bool, [None]))
    with pytest.raises(TypeError, match="`training` must be a Python bool or a scalar boolean tensor; got 'yes'"):
        layers.batch_normalization(x, training="yes")


def test_batch_normalization_rejects_unknown_channels_and_bad_axis(graph):
    with pytest.raises(ValueError, match=r"dimension 1 \(`axis`\) of `inputs` must be known; got shape \(None, None\)"):
        layers.batch_normalization(tf.placeholder(tf.float32, [None, None]))
    with pytest.raises(ValueError, match=r"`axis` must be an int in \[-2, 2\).*got 2"):
        layers.batch_normalization(tf.placeholder(tf.float32, [None, 3]), axis=2)


@pytest.fixture
def v1_tensor_shapes():
    """Shapes as under ``tf.compat.v1.disable_v2_behavior()``: entries are ``Dimension`` objects."""
    tf.disable_v2_tensorshape()
    try:
        assert type(tf.TensorShape([None])[0]).__name__ == "Dimension"
        yield
    finally:
        tf.enable_v2_tensorshape()


def test_unknown_dimensions_are_found_under_v1_tensor_shapes(graph, sess, v1_tensor_shapes):
    # Dimension(None) is not None: each check below raised TypeError from int(Dimension(None)).
    from tf1_recsys._tf import static_last_dim
    from tf1_recsys.compat.layers import batch_normalization as compat_bn, flatten
    assert static_last_dim("f", "x", tf.placeholder(tf.float32, [None, 4])) == 4
    unknown = tf.placeholder(tf.float32, [None, None])
    with pytest.raises(ValueError, match=r"f: the last dimension of `x` must be known at graph-construction "
                                         r"time; got shape \(None, None\)"):
        static_last_dim("f", "x", unknown)
    with pytest.raises(ValueError, match=r"dense: the last dimension of `inputs` must be known.*\(None, None\)"):
        layers.dense(unknown, 3)
    with pytest.raises(ValueError, match=r"layer_normalization: the last dimension of `inputs` must be known"):
        layers.layer_normalization(unknown)
    with pytest.raises(ValueError, match=r"senet: the field dimension \(axis 1\) of `inputs` must be known"):
        layers.senet(tf.placeholder(tf.float32, [None, None, 4]))
    with pytest.raises(ValueError, match=r"dimension 1 \(`axis`\) of `inputs` must be known; got shape \(None, None\)"):
        compat_bn(unknown)
    from tf1_recsys.sensitivity import get_gradients
    with pytest.raises(ValueError, match=r"get_gradients: the width of `input_feas\[0\]` must be known"):
        get_gradients([tf.reduce_sum(unknown)], [unknown], embedding_size=2, rv_feas_len=0)
    # A known batch but unknown rest flattens to [batch, -1]; an unknown batch to [tf.shape[0], -1].
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    known_batch, unknown_batch = tf.placeholder(tf.float32, [2, None, 4]), tf.placeholder(tf.float32, [None, None, 4])
    out = sess.run([flatten(known_batch), flatten(unknown_batch)], {known_batch: x, unknown_batch: x})
    np.testing.assert_array_equal(out[0], x.reshape(2, 12))
    np.testing.assert_array_equal(out[1], x.reshape(2, 12))


def test_eager_call_says_to_build_a_graph():
    assert tf.executing_eagerly()
    with pytest.raises(RuntimeError, match=r"dense builds TF1 static-graph variables.*tf.Graph\(\).as_default\(\)"):
        layers.dense(np.ones((2, 3), np.float32), 2)
    with pytest.raises(RuntimeError, match="batch_normalization builds TF1"):
        layers.batch_normalization(np.ones((2, 3), np.float32))
