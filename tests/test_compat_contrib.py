"""``tf1_recsys.compat.contrib.layers`` against numpy re-implementations of ``tf.contrib.layers``.

TensorFlow 2 has no ``tf.contrib`` to compare with, so every number here is recomputed
in numpy from the definition ``tf.contrib`` documented; names are the ones its
checkpoints hold.
"""
import numpy as np
import pytest

from tf1_recsys.compat.contrib import layers as C
from tf1_recsys._tf import tf


def _names(collection=tf.GraphKeys.GLOBAL_VARIABLES):
    return sorted(v.op.name for v in tf.get_collection(collection))


def _by_name():
    return {v.op.name: v for v in tf.global_variables()}


def test_regularizers_match_numpy(graph, sess, rng):
    w = rng.normal(size=(4, 3)).astype(np.float32)
    t = tf.constant(w)
    l1, l2, l12 = C.l1_regularizer(0.3)(t), C.l2_regularizer(0.2)(t), C.l1_l2_regularizer(0.3, 0.2)(t)
    summed = C.sum_regularizer([C.l1_regularizer(0.1), None, C.l2_regularizer(0.5)])(t)
    assert C.l1_regularizer(0.0)(t) is None and C.sum_regularizer([None]) is None
    assert C.l1_l2_regularizer(0.0, 0.2)(t).op.name.startswith("l1_l2_regularizer")
    got = sess.run([l1, l2, l12, summed])
    want = [0.3 * np.abs(w).sum(), 0.2 * (w ** 2).sum() / 2,
            0.3 * np.abs(w).sum() + 0.2 * (w ** 2).sum() / 2, 0.1 * np.abs(w).sum() + 0.5 * (w ** 2).sum() / 2]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_apply_regularization_sums_into_regularization_losses(graph, sess):
    a = tf.get_variable("a", initializer=np.array([1.0, -2.0], np.float32))
    b = tf.get_variable("b", initializer=np.array([[3.0]], np.float32))
    total = C.apply_regularization(C.l1_regularizer(0.5), [a, b])
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == [total]
    sess.run(tf.global_variables_initializer())
    assert sess.run(total) == pytest.approx(0.5 * 6.0)


def test_regularizer_arguments_are_checked(graph):
    with pytest.raises(ValueError, match="l2_regularizer: `scale` cannot be an integer; got 1"):
        C.l2_regularizer(1)
    with pytest.raises(ValueError, match="l1_regularizer: `scale` must be >= 0; got -0.1"):
        C.l1_regularizer(-0.1)
    with pytest.raises(ValueError, match="no weights to regularize"):
        C.apply_regularization(C.l1_regularizer(0.5))


def test_initializers_statistics_and_xavier_uniform_equals_glorot_uniform(graph, sess):
    shape = [3, 3, 40, 60]  # fans: 360 in, 540 out
    xu = tf.get_variable("xu", shape, initializer=C.xavier_initializer(seed=3))
    gu = tf.get_variable("gu", shape, initializer=tf.glorot_uniform_initializer(seed=3))
    xn = tf.get_variable("xn", shape, initializer=C.xavier_initializer(uniform=False, seed=3))
    he = tf.get_variable("he", shape, initializer=C.variance_scaling_initializer(seed=4))
    fo = tf.get_variable("fo", shape, initializer=C.variance_scaling_initializer(3.0, "FAN_OUT", True, seed=5))
    sess.run(tf.global_variables_initializer())
    xu, gu, xn, he, fo = sess.run([xu, gu, xn, he, fo])
    np.testing.assert_array_equal(xu, gu)
    limit = np.sqrt(6.0 / 900)
    assert np.abs(xu).max() <= limit
    # A normal truncated at 2 sigma keeps 0.7737 of sigma^2; contrib's sigma^2 is 1.3 * factor / n.
    np.testing.assert_allclose(xn.var(), 0.7737 * 1.3 / 450, rtol=0.03)
    np.testing.assert_allclose(he.var(), 0.7737 * 1.3 * 2.0 / 360, rtol=0.03)
    np.testing.assert_allclose(fo.var(), 3.0 / 540, rtol=0.03)  # uniform: variance = limit^2 / 3 = factor / n
    with pytest.raises(TypeError, match="unknown `mode` 'FAN_MAX'"):
        C.variance_scaling_initializer(mode="FAN_MAX")
    with pytest.raises(TypeError, match="`dtype` must be floating-point; got int32"):
        C.xavier_initializer(dtype=tf.int32)


def test_fully_connected_names_and_numbers(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 5])
    y = C.fully_connected(x, 3, weights_regularizer=C.l2_regularizer(0.1))
    y_lin = C.fully_connected(x, 2, activation_fn=None, biases_initializer=None, scope="head")
    y_seq = C.fully_connected(tf.placeholder(tf.float32, [None, 4, 5]), 2)
    with tf.variable_scope("shared"):
        C.fully_connected(x, 3, scope="fc")
    with tf.variable_scope("shared", reuse=True):
        C.fully_connected(x, 3, scope="fc")
    assert _names() == ["fully_connected/biases", "fully_connected/weights", "fully_connected_1/biases",
                        "fully_connected_1/weights", "head/weights", "shared/fc/biases", "shared/fc/weights"]
    assert _names(tf.GraphKeys.MODEL_VARIABLES) == _names()
    assert y_seq.shape.as_list() == [None, 4, 2]
    sess.run(tf.global_variables_initializer())
    v = _by_name()
    xv = rng.normal(size=(6, 5)).astype(np.float32)
    w, b, wh = sess.run([v["fully_connected/weights"], v["fully_connected/biases"], v["head/weights"]])
    np.testing.assert_allclose(sess.run(y, {x: xv}), np.maximum(xv @ w + b, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sess.run(y_lin, {x: xv}), xv @ wh, rtol=1e-5, atol=1e-6)
    reg = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
    assert len(reg) == 1
    assert sess.run(reg[0]) == pytest.approx(0.1 * (w ** 2).sum() / 2, rel=1e-5)
    with pytest.raises(ValueError, match="`num_outputs` must be an int; got 2.0"):
        C.fully_connected(x, 2.0)


def test_layer_norm_names_and_numbers(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 3, 4])
    y = C.layer_norm(x)
    y_last = C.layer_norm(x, begin_norm_axis=-1, begin_params_axis=-2, center=False, activation_fn=tf.nn.relu)
    assert _names() == ["LayerNorm/beta", "LayerNorm/gamma", "LayerNorm_1/gamma"]
    assert _by_name()["LayerNorm_1/gamma"].shape.as_list() == [3, 4]
    sess.run(tf.global_variables_initializer())
    v = _by_name()
    sess.run([v["LayerNorm/gamma"].assign(rng.normal(size=4).astype(np.float32)),
              v["LayerNorm/beta"].assign(rng.normal(size=4).astype(np.float32))])
    g, b = sess.run([v["LayerNorm/gamma"], v["LayerNorm/beta"]])
    xv = rng.normal(size=(5, 3, 4)).astype(np.float32)
    mean = xv.mean(axis=(1, 2), keepdims=True)
    var = xv.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(sess.run(y, {x: xv}), (xv - mean) / np.sqrt(var + 1e-12) * g + b,
                               rtol=1e-5, atol=1e-5)
    m1, v1 = xv.mean(-1, keepdims=True), xv.var(-1, keepdims=True)
    np.testing.assert_allclose(sess.run(y_last, {x: xv}), np.maximum((xv - m1) / np.sqrt(v1 + 1e-12), 0),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape, data_format, updates_collections", [
    ((8, 3), "NHWC", tf.GraphKeys.UPDATE_OPS),      # 2-D: contrib's fused kernel -> unbiased variance
    ((8, 2, 2, 3), "NHWC", None),                  # updates run with the output
    ((8, 3, 2, 2), "NCHW", tf.GraphKeys.UPDATE_OPS),
    ((8, 5, 3), "NHWC", tf.GraphKeys.UPDATE_OPS),   # 3-D: not fused -> biased variance
])
def test_batch_norm_names_training_inference_and_updates(graph, sess, rng, shape, data_format, updates_collections):
    x = tf.placeholder(tf.float32, shape)
    training = tf.placeholder_with_default(True, [])
    y = C.batch_norm(x, decay=0.9, scale=True, is_training=training, data_format=data_format,
                     updates_collections=updates_collections)
    assert _names() == ["BatchNorm/beta", "BatchNorm/gamma", "BatchNorm/moving_mean", "BatchNorm/moving_variance"]
    assert sorted(v.op.name for v in tf.trainable_variables()) == ["BatchNorm/beta", "BatchNorm/gamma"]
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == (0 if updates_collections is None else 2)
    sess.run(tf.global_variables_initializer())
    v = _by_name()
    channel_axis = 1 if data_format == "NCHW" else len(shape) - 1
    reduce_axes = tuple(i for i in range(len(shape)) if i != channel_axis)
    bshape = [1] * len(shape)
    bshape[channel_axis] = 3
    gamma = rng.uniform(0.5, 1.5, 3).astype(np.float32)
    beta = rng.normal(size=3).astype(np.float32)
    sess.run([v["BatchNorm/gamma"].assign(gamma), v["BatchNorm/beta"].assign(beta)])
    xv = rng.normal(size=shape).astype(np.float32) * 2 + 1
    mean, var = xv.mean(reduce_axes), xv.var(reduce_axes)
    n = xv.size / 3
    fed_var = var * n / (n - 1) if len(shape) in (2, 4) else var
    got = sess.run([y] + updates, {x: xv})[0]
    want = (xv - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-3) * gamma.reshape(bshape) + beta.reshape(bshape)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    mm, mv = sess.run([v["BatchNorm/moving_mean"], v["BatchNorm/moving_variance"]])
    np.testing.assert_allclose(mm, 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mv, 0.9 + 0.1 * fed_var, rtol=1e-5, atol=1e-6)
    inferred = sess.run(y, {x: xv, training: False})
    want = (xv - mm.reshape(bshape)) / np.sqrt(mv.reshape(bshape) + 1e-3) * gamma.reshape(bshape) + beta.reshape(bshape)
    np.testing.assert_allclose(inferred, want, rtol=1e-5, atol=1e-5)
    if updates_collections is None:  # the inference run above must not have moved the statistics
        np.testing.assert_allclose(sess.run(v["BatchNorm/moving_mean"]), mm)


def test_batch_norm_defaults_and_rejections(graph):
    x = tf.placeholder(tf.float32, [None, 4])
    C.batch_norm(x)
    assert _names() == ["BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance"]  # scale=False
    with pytest.raises(ValueError, match="`batch_weights` is not provided"):
        C.batch_norm(x, batch_weights=tf.ones([4]))
    with pytest.raises(ValueError, match="`zero_debias_moving_mean=True` is not provided"):
        C.batch_norm(x, zero_debias_moving_mean=True)
    with pytest.raises(ValueError, match="`data_format` must be 'NCHW' or 'NHWC'; got 'NCW'"):
        C.batch_norm(x, data_format="NCW")


@pytest.mark.parametrize("unique", [False, True])
def test_embed_sequence(graph, sess, rng, unique):
    ids = tf.placeholder(tf.int64, [None, 4])
    out = C.embed_sequence(ids, vocab_size=10, embed_dim=3, unique=unique, scope="emb")
    again = C.embed_sequence(ids, unique=unique, scope="emb", reuse=True)
    default = C.embed_sequence(ids, 5, 2)
    assert _names() == ["EmbedSequence/embeddings", "emb/embeddings"]
    assert _names(tf.GraphKeys.MODEL_VARIABLES) == _names()
    sess.run(tf.global_variables_initializer())
    table = sess.run(_by_name()["emb/embeddings"])
    idv = rng.integers(0, 10, size=(3, 4))
    got, got2 = sess.run([out, again], {ids: idv})
    np.testing.assert_array_equal(got, table[idv])
    np.testing.assert_array_equal(got2, table[idv])
    assert default.shape.as_list() == [None, 4, 2]
    with pytest.raises(ValueError, match="`vocab_size` and `embed_dim` are required unless reusing"):
        C.embed_sequence(ids, vocab_size=10)


def test_dropout_and_flatten(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 2, 3])
    training = tf.placeholder_with_default(True, [])
    dropped = C.dropout(x, keep_prob=0.25, is_training=training, seed=3, outputs_collections="outs")
    flat = C.flatten(x)
    assert dropped.op.name.startswith("Dropout/") and flat.op.name.startswith("Flatten/")
    assert tf.get_collection("outs") == [dropped] and dropped.aliases == ["Dropout"]
    assert flat.shape.as_list() == [None, 6] and tf.global_variables() == []
    xv = rng.uniform(1, 2, size=(200, 2, 3)).astype(np.float32)
    got = sess.run(dropped, {x: xv})
    kept = got != 0
    np.testing.assert_allclose(got[kept], xv[kept] / 0.25, rtol=1e-6)
    assert 0.15 < kept.mean() < 0.35
    np.testing.assert_array_equal(sess.run(dropped, {x: xv, training: False}), xv)
    np.testing.assert_array_equal(sess.run(flat, {x: xv}), xv.reshape(200, 6))
    with pytest.raises(ValueError, match=r"dropout: `keep_prob` must be a number in \[0, 1\]; got 1.5"):
        C.dropout(x, keep_prob=1.5)


def test_utils_named_outputs_and_static_conditions(graph, sess):
    from tf1_recsys.compat.contrib.layers import utils

    x = tf.placeholder(tf.float32, [None, 3])
    a = C.fully_connected(x, 2, scope="a", outputs_collections=["ends"])
    b = C.flatten(a, outputs_collections="ends", scope="flat")
    utils.collect_named_outputs("ends", "extra/", b)
    assert a.aliases == ["a"] and b.aliases == ["flat", "extra"]
    assert list(utils.convert_collection_to_dict("ends")) == ["a", "flat", "extra"]
    assert utils.convert_collection_to_dict("ends", clear_collection=True)["extra"] is b
    assert tf.get_collection("ends") == [] and utils.get_tensor_aliases(x) == [x.op.name]
    assert utils.gather_tensors_aliases([a, b]) == ["a", "flat", "extra"]
    assert utils.smart_cond(tf.constant(True), lambda: 1, lambda: 2) == 1  # static: no graph op
    flag = tf.placeholder(tf.bool, [])
    chosen = utils.smart_cond(flag, lambda: tf.constant(1), lambda: tf.constant(2))
    assert sess.run(chosen, {flag: False}) == 2
    assert utils.constant_value(tf.constant(3)) == 3 and utils.constant_value(x) is None
    assert utils.two_element_tuple(3) == (3, 3) and utils.two_element_tuple([2, 5]) == (2, 5)
    assert utils.last_dimension([None, 4]) == 4
    assert utils.get_variable_collections({"weights": ["w"]}, "weights") == ["w"]
    with pytest.raises(ValueError, match="sequence of 2 integers"):
        utils.two_element_tuple([1, 2, 3])
    with pytest.raises(ValueError, match="last dimension"):
        utils.last_dimension([4, None])
    variables = {"weights": ["my_w"], "biases": "my_b"}
    C.fully_connected(x, 2, scope="c", variables_collections=variables)
    assert [v.op.name for v in tf.get_collection("my_w")] == ["c/weights"]
    assert [v.op.name for v in tf.get_collection("my_b")] == ["c/biases"]
