"""DIN simple (``din``) and ``DINModel`` against their formulas in numpy."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.layers import DINModel, din


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def dice_np(x, p, prefix, name=""):
    norm = prefix + "dice_norm" + name + "/"
    xn = (x - p[norm + "moving_mean"]) / np.sqrt(p[norm + "moving_variance"] + 1e-3)
    s = sigmoid(xn * p[norm + "gamma"] + p[norm + "beta"])
    return p[prefix + "dice_alpha" + name] * (1 - s) * x + s * x


def dense_np(x, p, name):
    return x @ p[name + "/kernel"] + p[name + "/bias"]


def layer_norm_np(x, p, name):
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-6) * p[name + "/gamma"] + p[name + "/beta"]


def din_simple_np(q, k, p, att1_activation):
    qt = np.broadcast_to(q, k.shape)
    h = dense_np(np.concatenate([qt, k, qt - k, qt * k], -1), p, "s/att1")
    if att1_activation == "sigmoid":
        h = sigmoid(h)
    return dense_np(dice_np(h, p, "s/", "dice_layer"), p, "s/att2") * k


def din_model_np(q, k, p, is_bn, mask=None):
    if is_bn:
        q, k = layer_norm_np(q, p, "din/queries_norm"), layer_norm_np(k, p, "din/keys_norm")
    qt = np.broadcast_to(q, k.shape)
    h = np.maximum(dense_np(np.concatenate([qt, k, qt - k, qt * k], -1), p, "din/layer1"), 0)
    h = dice_np(dense_np(h, p, "din/layer2"), p, "din/")
    w = dense_np(h, p, "din/layer3")[..., 0]  # [B, S, T]
    if mask is not None:
        w = np.where(mask, w, 0)
    return np.einsum("bst,bste->bse", w, k), w


def randomize_variables(sess, rng):
    """Random values for every variable, moving statistics included, so each term counts."""
    values = {}
    for v in tf.global_variables():
        shape = v.shape.as_list()
        low, high = (0.5, 1.5) if "moving_variance" in v.op.name or "gamma" in v.op.name else (-0.5, 0.5)
        values[v.op.name] = rng.uniform(low, high, size=shape).astype(v.dtype.as_numpy_dtype)
        v.load(values[v.op.name], sess)
    return values


@pytest.mark.parametrize("att1_activation", [None, "sigmoid"])
def test_din_simple_matches_formula(graph, sess, rng, att1_activation):
    queries = tf.placeholder(tf.float32, [None, 1, 4])
    keys = tf.placeholder(tf.float32, [None, None, 4])
    with tf.variable_scope("s"):
        out = din(queries, keys, (6, 4), att1_activation=att1_activation)
    assert out.shape.as_list() == [None, None, 4]
    p = randomize_variables(sess, rng)
    q, k = rng.normal(size=(3, 1, 4)), rng.normal(size=(3, 5, 4))
    np.testing.assert_allclose(sess.run(out, {queries: q, keys: k}),
                               din_simple_np(q, k, p, att1_activation), atol=1e-5)


def test_din_simple_one_weight_per_behaviour(graph, sess, rng):
    queries, keys = tf.placeholder(tf.float32, [None, 1, 4]), tf.placeholder(tf.float32, [None, 5, 4])
    with tf.variable_scope("s"):
        out = din(queries, keys, (6, 1))
    p = randomize_variables(sess, rng)
    q, k = rng.normal(size=(2, 1, 4)), rng.normal(size=(2, 5, 4))
    np.testing.assert_allclose(sess.run(out, {queries: q, keys: k}), din_simple_np(q, k, p, None),
                               atol=1e-5)


def test_din_simple_training_flag_reaches_dice(graph):
    queries, keys = tf.placeholder(tf.float32, [None, 1, 4]), tf.placeholder(tf.float32, [None, 5, 4])
    din(queries, keys, (6, 4))
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    with tf.variable_scope("t"):
        din(queries, keys, (6, 4), training=True)
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2


@pytest.mark.parametrize("tile_queries", [True, False])
@pytest.mark.parametrize("is_bn", [True, False])
def test_din_model_matches_formula_when_behaviours_differ_from_embedding(graph, sess, rng, is_bn, tile_queries):
    # T = 5 behaviours, E = 4: the notes' (b, s, 1, t) reshape only "works" when t == e.
    queries = tf.placeholder(tf.float32, [None, 2, 1, 4])
    keys = tf.placeholder(tf.float32, [None, 2, None, 4])
    out, weights = DINModel((6, 3), tile_queries=tile_queries)(queries, keys, is_bn=is_bn, return_weights=True)
    assert out.shape.as_list() == [None, 2, 4] and weights.shape.as_list() == [None, 2, None]
    p = randomize_variables(sess, rng)
    q, k = rng.normal(size=(3, 2, 1, 4)), rng.normal(size=(3, 2, 5, 4))
    got_out, got_w = sess.run([out, weights], {queries: q, keys: k})
    want_out, want_w = din_model_np(q, k, p, is_bn)
    np.testing.assert_allclose(got_w, want_w, atol=1e-5)
    np.testing.assert_allclose(got_out, want_out, atol=1e-5)


def test_din_model_untiled_layout_has_the_tiled_variables_and_training_step(graph, sess, rng):
    # Same variables (names, shapes), so checkpoints interchange; with the same values the
    # training-mode outputs (Dice on batch statistics), the gradients and the moving-average
    # updates agree to float rounding.
    queries = tf.placeholder(tf.float32, [None, 2, 1, 4])
    keys = tf.placeholder(tf.float32, [None, 2, 5, 4])
    mask = tf.placeholder(tf.bool, [None, 2, 5])
    sides = {}
    for name, tile in (("tiled", True), ("untiled", False)):
        out = DINModel((6, 3), mom_decay_rate=0.5, tile_queries=tile)(
            queries, keys, name=name, training=True, mask=mask)
        variables = [v for v in tf.global_variables() if v.op.name.startswith(name + "/")]
        trainable = [v for v in variables if v in tf.trainable_variables()]
        loss = tf.reduce_sum(tf.square(out))
        sides[name] = (out, variables, tf.gradients(loss, trainable + [queries, keys]),
                       tf.get_collection(tf.GraphKeys.UPDATE_OPS, scope=name + "/"))
    strip = lambda vs: [(v.op.name.split("/", 1)[1], v.shape.as_list()) for v in vs]  # noqa: E731
    assert strip(sides["tiled"][1]) == strip(sides["untiled"][1])
    values = randomize_variables(sess, rng)
    for a, b in zip(sides["tiled"][1], sides["untiled"][1]):
        b.load(values[a.op.name], sess)
    feed = {queries: rng.normal(size=(3, 2, 1, 4)), keys: rng.normal(size=(3, 2, 5, 4)),
            mask: rng.random((3, 2, 5)) < 0.7}
    got = {name: sess.run([out, grads, updates], feed) for name, (out, _, grads, updates) in sides.items()}
    np.testing.assert_allclose(got["untiled"][0], got["tiled"][0], rtol=1e-5, atol=1e-5)
    for a, b in zip(got["tiled"][1], got["untiled"][1]):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)
    moving = {name: sess.run([v for v in sides[name][1] if "moving" in v.op.name]) for name in sides}
    for a, b in zip(moving["tiled"], moving["untiled"]):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_din_model_mask_gives_padded_behaviours_exactly_zero_weight(graph, sess, rng):
    queries = tf.placeholder(tf.float32, [None, 1, 1, 4])
    keys = tf.placeholder(tf.float32, [None, 1, None, 4])
    mask = tf.placeholder(tf.float32, [None, 1, None])
    seq_len = tf.placeholder(tf.int32, [None, 1])
    model = DINModel((6, 3))
    out, weights = model(queries, keys, mask=mask, return_weights=True)
    with tf.variable_scope("", reuse=True):
        out_len, weights_len = model(queries, keys, seq_len=seq_len, return_weights=True)
        out_bool = model(queries, keys, mask=tf.cast(mask, tf.bool))
    p = randomize_variables(sess, rng)
    lengths = np.array([[1], [3], [5]])
    m = (np.arange(5)[None, None, :] < lengths[..., None]).astype(np.float32)
    q, k = rng.normal(size=(3, 1, 1, 4)), rng.normal(size=(3, 1, 5, 4))
    feed = {queries: q, keys: k, mask: m, seq_len: lengths}
    got = sess.run([out, weights, out_len, weights_len, out_bool], feed)
    assert np.all(got[1][m == 0] == 0.0) and np.all(got[1][m == 1] != 0.0)
    want_out, want_w = din_model_np(q, k, p, True, m.astype(bool))
    np.testing.assert_allclose(got[0], want_out, atol=1e-5)
    for other in got[2:]:
        np.testing.assert_array_equal(other, got[0] if other.shape == got[0].shape else got[1])
    # Padded keys do not matter at all.
    k2 = np.where(m[..., None] == 1, k, 1e3 * rng.normal(size=k.shape))
    np.testing.assert_array_equal(sess.run(out, {**feed, keys: k2}), got[0])


@pytest.mark.parametrize("offset", [0.0, 1.0])
@pytest.mark.parametrize("normalization", [None, "mean", "softmax"])
def test_din_model_weight_normalization_over_the_real_behaviours(graph, sess, rng, normalization, offset):
    queries = tf.placeholder(tf.float32, [None, 1, 1, 4])
    keys = tf.placeholder(tf.float32, [None, 1, None, 4])
    seq_len = tf.placeholder(tf.int32, [None, 1])
    out, weights = DINModel((6, 3))(queries, keys, is_bn=False, seq_len=seq_len, return_weights=True,
                                    weight_normalization=normalization, weight_offset=offset)
    p = randomize_variables(sess, rng)
    lengths = np.array([[0], [1], [3], [5]])
    m = np.arange(5)[None, None, :] < lengths[..., None]
    q, k = rng.normal(size=(4, 1, 1, 4)), rng.normal(size=(4, 1, 5, 4))
    got_out, got_w = sess.run([out, weights], {queries: q, keys: k, seq_len: lengths})
    _, raw = din_model_np(q, k, p, False, m)
    raw = np.where(m, raw + offset, 0.0)
    if normalization is None:
        want_w = raw
    elif normalization == "mean":
        want_w = raw / np.maximum(m.sum(-1, keepdims=True), 1)
    else:
        want_w = np.zeros_like(raw)
        for b in range(1, len(raw)):  # row 0 has no real behaviour
            e = np.exp(raw[b, 0, m[b, 0]] - raw[b, 0, m[b, 0]].max())
            want_w[b, 0, m[b, 0]] = e / e.sum()
        np.testing.assert_allclose(got_w.sum(-1)[lengths > 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(got_w, want_w, atol=1e-6)
    assert np.all(got_w[~m] == 0.0) and np.all(got_out[0] == 0.0)  # padding and an empty history give 0
    np.testing.assert_allclose(got_out, np.einsum("bst,bste->bse", want_w, k), atol=1e-5)


def test_din_model_rejects_an_unknown_weight_normalization(graph):
    with pytest.raises(ValueError, match="`weight_normalization` must be one of None, 'mean', 'softmax'; got 'l1'"):
        DINModel()(tf.zeros([2, 1, 1, 4]), tf.zeros([2, 1, 3, 4]), weight_normalization="l1")
    with pytest.raises(TypeError, match="`weight_offset` must be a number; got '1'"):
        DINModel()(tf.zeros([2, 1, 1, 4]), tf.zeros([2, 1, 3, 4]), weight_offset="1")


def test_din_model_single_slot(graph, sess, rng):
    queries = tf.placeholder(tf.float32, [None, 1, 1, 4])
    keys = tf.placeholder(tf.float32, [None, 1, None, 4])
    out = DINModel()(queries, keys)
    sess.run(tf.global_variables_initializer())
    res = sess.run(out, {queries: rng.normal(size=(2, 1, 1, 4)), keys: rng.normal(size=(2, 1, 7, 4))})
    assert res.shape == (2, 1, 4)


def test_din_model_mom_decay_rate_reaches_dice(graph, sess, rng):
    queries = tf.placeholder(tf.float32, [None, 1, 1, 4])
    keys = tf.placeholder(tf.float32, [None, 1, 5, 4])
    DINModel((6, 3), mom_decay_rate=0.5)(queries, keys, training=True)
    sess.run(tf.global_variables_initializer())
    moving_mean = [v for v in tf.global_variables() if v.op.name == "din/dice_norm/moving_mean"][0]
    feed = {queries: rng.normal(size=(2, 1, 1, 4)), keys: rng.normal(size=(2, 1, 5, 4))}
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    sess.run(updates, feed)
    first = sess.run(moving_mean)  # 0.5 * batch mean
    sess.run(updates, feed)
    np.testing.assert_allclose(sess.run(moving_mean), 1.5 * first, rtol=1e-5)


def directional_gradient_check(sess, inputs, values, out, rng, directions=6, h=1e-6):
    """Central differences of ``sum(out * r)`` along random directions of all ``inputs`` at once."""
    r = tf.placeholder(tf.float64)
    scalar = tf.reduce_sum(out * r)
    grads = tf.gradients(scalar, inputs)
    feed = dict(zip(inputs, values))
    feed[r] = rng.normal(size=sess.run(out, feed).shape)
    analytic_grads = sess.run(grads, feed)
    for _ in range(directions):
        d = [rng.normal(size=v.shape) for v in values]
        analytic = sum(np.sum(g * di) for g, di in zip(analytic_grads, d))
        plus = sess.run(scalar, {**feed, **{x: v + h * di for x, v, di in zip(inputs, values, d)}})
        minus = sess.run(scalar, {**feed, **{x: v - h * di for x, v, di in zip(inputs, values, d)}})
        numeric = (plus - minus) / (2 * h)
        assert abs(analytic - numeric) <= 1e-6 * max(1.0, abs(numeric)), (analytic, numeric)


@pytest.mark.parametrize("training", [False, True])
def test_din_model_gradient_check_float64(graph, sess, rng, training):
    queries = tf.placeholder(tf.float64, [None, 2, 1, 4])
    keys = tf.placeholder(tf.float64, [None, 2, None, 4])
    out = DINModel((5, 3))(queries, keys, training=training)
    randomize_variables(sess, rng)
    values = [rng.normal(size=(2, 2, 1, 4)), rng.normal(size=(2, 2, 3, 4))]
    directional_gradient_check(sess, [queries, keys], values, out, rng)


def test_din_simple_gradient_check_float64(graph, sess, rng):
    queries = tf.placeholder(tf.float64, [None, 1, 4])
    keys = tf.placeholder(tf.float64, [None, None, 4])
    out = din(queries, keys, (5, 4))
    randomize_variables(sess, rng)
    values = [rng.normal(size=(2, 1, 4)), rng.normal(size=(2, 3, 4))]
    directional_gradient_check(sess, [queries, keys], values, out, rng)


def test_din_bad_inputs(graph):
    ph = lambda *shape: tf.placeholder(tf.float32, [None] + list(shape))
    with pytest.raises(ValueError, match=r"embedding sizes of `queries` and `keys` must match; "
                                         r"got queries \(None, 1, 4\) and keys \(None, 5, 3\)"):
        din(ph(1, 4), ph(5, 3), (6, 3))
    with pytest.raises(ValueError, match=r"`queries` must have rank 3; got shape \(None, 4\)"):
        din(ph(4), ph(5, 4), (6, 4))
    with pytest.raises(ValueError, match=r"`keys` must have rank 3; got shape \(None, 2, 5, 4\)"):
        din(ph(1, 4), ph(2, 5, 4), (6, 4))
    with pytest.raises(ValueError, match=r"`queries` must have shape \[batch, 1, embedding\]; got \(None, 2, 4\)"):
        din(ph(2, 4), ph(5, 4), (6, 4))
    with pytest.raises(ValueError, match=r"`layer_size\[1\]`.*layer_size=\(6, 3\) and keys \(None, 5, 4\)"):
        din(ph(1, 4), ph(5, 4), (6, 3))
    with pytest.raises(ValueError, match="layer_size"):
        din(ph(1, 4), ph(5, 4), (6,))
    assert tf.global_variables() == []


def test_din_model_bad_inputs(graph):
    ph = lambda *shape: tf.placeholder(tf.float32, [None] + list(shape))
    model = DINModel((6, 3))
    with pytest.raises(ValueError, match=r"embedding sizes of `queries` and `keys` must match; "
                                         r"got queries \(None, 2, 1, 4\) and keys \(None, 2, 5, 8\)"):
        model(ph(2, 1, 4), ph(2, 5, 8))
    with pytest.raises(ValueError, match=r"slot counts.*queries \(None, 3, 1, 4\) and keys \(None, 2, 5, 4\)"):
        model(ph(3, 1, 4), ph(2, 5, 4))
    with pytest.raises(ValueError, match=r"`keys` must have rank 4; got shape \(None, 5, 4\)"):
        model(ph(2, 1, 4), ph(5, 4))
    with pytest.raises(ValueError, match=r"`queries` must have shape \[batch, slots, 1, embedding\]"):
        model(ph(2, 3, 4), ph(2, 5, 4))
    with pytest.raises(ValueError, match=r"mask \(None, 2, 4\) and keys \(None, 2, 5, 4\)"):
        model(ph(2, 1, 4), ph(2, 5, 4), mask=ph(2, 4))
    with pytest.raises(ValueError, match="not both"):
        model(ph(2, 1, 4), ph(2, 5, 4), mask=ph(2, 5), seq_len=tf.placeholder(tf.int32, [None, 2]))
    with pytest.raises(TypeError, match="seq_len"):
        model(ph(2, 1, 4), ph(2, 5, 4), seq_len=ph(2))
    with pytest.raises(ValueError, match="layer_size"):
        DINModel((6, 0))
    with pytest.raises(ValueError, match="mom_decay_rate"):
        DINModel(mom_decay_rate=1.5)
    assert tf.global_variables() == []
