"""get_gradients and the ranked feature-sensitivity table."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.sensitivity import SensitivityRow, feature_sensitivity, format_table, get_gradients


def sensitivity_np(grad, embedding_size, rv_len):
    """The notes' rule: |batch mean|, real-valued columns one by one, slots by their max."""
    avg = np.abs(grad.mean(0))
    return np.concatenate([avg[:rv_len], avg[rv_len:].reshape(-1, embedding_size).max(1)])


def _model(rng):
    """Two real-valued features and two slots of 3 dims; q0 = sum(c0 x^2) + sum(d0 * e), q1 = tanh(...)"""
    rv = tf.placeholder(tf.float64, [None, 2])
    emb = tf.placeholder(tf.float64, [None, 6])
    c, d = rng.normal(size=2), rng.normal(size=6)
    q0 = tf.reduce_sum(c * rv ** 2, 1) + tf.reduce_sum(d * emb, 1)
    q1 = tf.tanh(tf.reduce_sum(emb * emb[:, ::-1], 1, keepdims=True))
    feed = {rv: rng.normal(size=(8, 2)), emb: rng.normal(size=(8, 6))}
    grad0 = np.concatenate([2 * c * feed[rv], np.broadcast_to(d, (8, 6))], 1)
    s = np.sum(feed[emb] * feed[emb][:, ::-1], 1, keepdims=True)
    grad1 = np.concatenate([np.zeros((8, 2)), (1 - np.tanh(s) ** 2) * 2 * feed[emb][:, ::-1]], 1)
    return (q0, q1), (rv, emb), feed, (grad0, grad1)


def test_get_gradients_as_the_notes(graph, sess, rng):
    qs, inputs, feed, grads = _model(rng)
    got = sess.run(get_gradients(list(qs), list(inputs), 3, 2), feed)
    assert len(got) == 2
    for g, want in zip(got, grads):
        np.testing.assert_allclose(g, sensitivity_np(want, 3, 2), atol=1e-10)


def test_unconnected_inputs_have_zero_sensitivity_or_raise(graph, sess, rng):
    (q0, q1), (rv, emb), feed, _ = _model(rng)
    # q1 does not depend on `rv`: tf.gradients returns None there, the notes' concat fails.
    assert tf.gradients(q1, [rv, emb])[0] is None
    got = sess.run(get_gradients(q1, [rv, emb], 3, 2), feed)[0]
    np.testing.assert_array_equal(got[:2], [0.0, 0.0])
    assert np.all(got[2:] > 0)
    with pytest.raises(ValueError, match=r"head qs\[0\] does not depend on input_feas\[0\]"):
        get_gradients(q1, [rv, emb], 3, 2, unconnected="raise")


def test_input_width_must_be_real_valued_plus_slots(graph, rng):
    (q0, _), (rv, emb), _, _ = _model(rng)
    with pytest.raises(ValueError, match=r"width of `input_feas` \(\(None, 2\), \(None, 6\)\) is 8.*"
                                         r"rv_feas_len=1 and embedding_size=3"):
        get_gradients(q0, [rv, emb], 3, 1)
    with pytest.raises(ValueError, match="rv_feas_len \\+ num_slots \\* embedding_size = 11"):
        get_gradients(q0, [rv, emb], 3, 2, num_slots=3)
    with pytest.raises(ValueError, match="rv_feas_len"):
        get_gradients(q0, [rv, emb], 3, 9)
    with pytest.raises(ValueError, match=r"`input_feas\[0\]` must have rank 2"):
        get_gradients(q0, [tf.placeholder(tf.float64, [None, 2, 1])], 3, 2)


def test_feature_sensitivity_table(graph, sess, rng):
    qs, inputs, feed, grads = _model(rng)
    names = ["age", "price", "item_id", "category"]
    rows = feature_sensitivity(sess, qs, inputs, 3, 2, feed, names, head_names=["ctr", "cvr"])
    assert len(rows) == 8 and all(isinstance(r, SensitivityRow) for r in rows)
    for h, head in enumerate(["ctr", "cvr"]):
        mine = [r for r in rows if r.head == head]
        values = sensitivity_np(grads[h], 3, 2)
        order = np.argsort(-values, kind="stable")
        assert [r.feature for r in mine] == [names[j] for j in order]
        assert [r.rank for r in mine] == [1, 2, 3, 4]
        np.testing.assert_allclose([r.sensitivity for r in mine], values[order], atol=1e-10)
        assert {r.feature: r.kind for r in mine} == {
            "age": "real", "price": "real", "item_id": "slot", "category": "slot"}
    text = format_table(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["head", "rank", "feature", "kind", "sensitivity"]
    assert len(lines) == 2 + 8 and lines[2].split()[:3] == ["ctr", "1", rows[0].feature]


def test_feature_sensitivity_checks_names(graph, sess, rng):
    qs, inputs, feed, _ = _model(rng)
    with pytest.raises(ValueError, match="4 names"):
        feature_sensitivity(sess, qs, inputs, 3, 2, feed, ["a", "b", "c"])
    with pytest.raises(ValueError, match="head_names"):
        feature_sensitivity(sess, qs, inputs, 3, 2, feed, list("abcd"), head_names=["x"])
    rows = feature_sensitivity(sess, qs[0], inputs[1], 3, 0, feed, ["s1", "s2"])
    assert [r.head for r in rows] == ["head_0", "head_0"]
