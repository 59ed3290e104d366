"""Scaled dot-product and multi-head attention against their formulas in numpy."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.layers import MultiHeadAttention, scaled_dot_product_attention


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def attention_np(q, k, v, mask=None):
    logits = q @ np.swapaxes(k, -1, -2) / np.sqrt(k.shape[-1])
    if mask is not None:
        logits = logits + mask * -1e9
    w = softmax(logits)
    return w @ v, w


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_scaled_dot_product_attention_matches_formula(graph, sess, rng, dtype):
    Q = tf.placeholder(dtype, [None, 3, 4])
    K = tf.placeholder(dtype, [None, 5, 4])
    V = tf.placeholder(dtype, [None, 5, 2])
    mask = tf.placeholder(dtype, [None, 1, 5])
    out, weights = scaled_dot_product_attention(Q, K, V, mask)
    assert out.shape.as_list() == [None, 3, 2] and weights.shape.as_list() == [None, 3, 5]
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 2))
    m = np.array([[[0, 0, 1, 0, 1]], [[0, 0, 0, 0, 0]]], dtype=np.float64)
    got_out, got_w = sess.run([out, weights], {Q: q, K: k, V: v, mask: m})
    want_out, want_w = attention_np(q, k, v, m)
    np.testing.assert_allclose(got_out, want_out, atol=1e-5)
    np.testing.assert_allclose(got_w, want_w, atol=1e-5)
    assert np.all(got_w[0][:, [2, 4]] < 1e-30)  # 1 = blocked
    bool_mask = sess.run(scaled_dot_product_attention(Q, K, V, tf.cast(mask, tf.bool))[1],
                         {Q: q, K: k, V: v, mask: m})
    np.testing.assert_array_equal(bool_mask, got_w)
    no_mask = sess.run(scaled_dot_product_attention(Q, K, V)[0], {Q: q, K: k, V: v})
    np.testing.assert_allclose(no_mask, attention_np(q, k, v)[0], atol=1e-5)


def test_scaled_dot_product_attention_bad_inputs(graph):
    ph = lambda *shape: tf.placeholder(tf.float32, [None] + list(shape))
    with pytest.raises(ValueError, match=r"depths.*got Q \(None, 3, 4\) and K \(None, 5, 6\)"):
        scaled_dot_product_attention(ph(3, 4), ph(5, 6), ph(5, 2))
    with pytest.raises(ValueError, match=r"sequence lengths.*got K \(None, 5, 4\) and V \(None, 6, 2\)"):
        scaled_dot_product_attention(ph(3, 4), ph(5, 4), ph(6, 2))
    with pytest.raises(ValueError, match=r"`Q` must have rank >= 2; got shape \(None,\)"):
        scaled_dot_product_attention(ph(), ph(5, 4), ph(5, 2))


def mha_np(v, k, q, p, num_heads, mask=None):
    def heads(x):
        b, length, d = x.shape
        return x.reshape(b, length, num_heads, d // num_heads).transpose(0, 2, 1, 3)
    name = "multi_head_attention/"
    qh, kh, vh = (heads(x @ p[name + w + "/kernel"]) for x, w in ((q, "wq"), (k, "wk"), (v, "wv")))
    out, w = attention_np(qh, kh, vh, mask)
    b, h, lq, depth = out.shape
    return out.transpose(0, 2, 1, 3).reshape(b, lq, h * depth) @ p[name + "dense/kernel"], w


def test_multi_head_attention_matches_formula_and_shares_weights(graph, sess, rng):
    q_ph = tf.placeholder(tf.float32, [None, None, 6])
    kv_ph = tf.placeholder(tf.float32, [None, None, 5])
    mask = tf.placeholder(tf.float32, [None, 1, 1, None])
    mha = MultiHeadAttention(8, 2)
    out, weights = mha(kv_ph, kv_ph, q_ph, mask)
    out2, _ = mha(kv_ph, kv_ph, q_ph, mask)
    variables = tf.global_variables()
    assert [(v.op.name, v.shape.as_list()) for v in variables] == [
        ("multi_head_attention/wq/kernel", [6, 8]), ("multi_head_attention/wk/kernel", [5, 8]),
        ("multi_head_attention/wv/kernel", [5, 8]), ("multi_head_attention/dense/kernel", [8, 8])]
    sess.run(tf.global_variables_initializer())
    p = {v.op.name: sess.run(v) for v in variables}
    q, kv = rng.normal(size=(3, 4, 6)), rng.normal(size=(3, 7, 5))
    m = (rng.uniform(size=(3, 1, 1, 7)) < 0.3).astype(np.float32)
    got_out, got_w, got_out2 = sess.run([out, weights, out2], {q_ph: q, kv_ph: kv, mask: m})
    want_out, want_w = mha_np(kv, kv, q, p, 2, m)
    assert got_w.shape == (3, 2, 4, 7)
    np.testing.assert_allclose(got_out, want_out, atol=1e-5)
    np.testing.assert_allclose(got_w, want_w, atol=1e-5)
    np.testing.assert_array_equal(got_out2, got_out)


def test_multi_head_attention_bad_inputs(graph):
    with pytest.raises(ValueError, match="`d_model` must be divisible by `num_heads`; got d_model=10 and num_heads=4"):
        MultiHeadAttention(10, 4)
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(8, 0)
    mha = MultiHeadAttention(8, 2)
    ph = lambda *shape: tf.placeholder(tf.float32, [None] + list(shape))
    with pytest.raises(ValueError, match=r"`q` must have rank 3; got shape \(None, 6\)"):
        mha(ph(5, 6), ph(5, 6), ph(6))
    with pytest.raises(ValueError, match=r"sequence lengths.*got k \(None, 5, 6\) and v \(None, 4, 6\)"):
        mha(ph(4, 6), ph(5, 6), ph(3, 6))
    with pytest.raises(ValueError, match=r"last dimension of `v`"):
        mha(ph(5, None), ph(5, 6), ph(3, 6))
    assert tf.global_variables() == []


def test_multi_head_attention_rejects_masks_with_ambiguous_broadcasting(graph):
    """A [B, seq_len_k] padding mask with B == seq_len_q would mask per query position, not per example."""
    mha = MultiHeadAttention(8, 2)
    q = tf.placeholder(tf.float32, [4, 4, 6])
    kv = tf.placeholder(tf.float32, [4, 7, 6])
    for shape in ([4, 7], [4, 1, 7], [7]):
        with pytest.raises(ValueError, match=r"`mask` must have rank 4.*\[B, 1, 1, seq_len_k\] \(padding\)"):
            mha(kv, kv, q, tf.zeros(shape))
    with pytest.raises(ValueError, match=r"does not broadcast.*\(4, 2, 4, 7\) \(axis 3\)"):
        mha(kv, kv, q, tf.zeros([4, 1, 1, 5]))
    with pytest.raises(ValueError, match=r"does not broadcast.*\(axis 1\)"):
        mha(kv, kv, q, tf.zeros([4, 3, 1, 7]))
    assert tf.global_variables() == []
    out, weights = mha(kv, kv, q, tf.zeros([4, 1, 1, 7]))  # the accepted padding mask builds
    assert weights.shape.as_list() == [4, 2, 4, 7]


def test_attention_dtype_mismatch_is_a_clear_error(graph):
    f32 = tf.placeholder(tf.float32, [None, 3, 4])
    f64 = tf.placeholder(tf.float64, [None, 3, 4])
    with pytest.raises(ValueError, match=r"must have one dtype; got Q float32, K float64, V float32"):
        scaled_dot_product_attention(f32, f64, f32)
    with pytest.raises(ValueError, match=r"must have one dtype; got v float64, k float32, q float32"):
        MultiHeadAttention(8, 2)(f64, f32, f32)
