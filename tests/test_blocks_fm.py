"""FactorizationMachine against the FM formula in numpy."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.layers import FactorizationMachine


def fm_numpy(w0, w, V, idx, val):
    """Rendle's pairwise sum, written directly (not with the square-of-sum trick)."""
    out = np.zeros((idx.shape[0], 1))
    for b in range(idx.shape[0]):
        out[b] = w0[0] + sum(w[idx[b, i], 0] * val[b, i] for i in range(idx.shape[1]))
        for i in range(idx.shape[1]):
            for j in range(i + 1, idx.shape[1]):
                out[b] += V[idx[b, i]] @ V[idx[b, j]] * val[b, i] * val[b, j]
    return out


def test_fm_matches_formula_with_separate_index_and_value(graph, sess, rng):
    # 4 fields over a vocabulary of 10: the notes reshape the indices to num_features.
    feat_index = tf.placeholder(tf.int32, [None, 4])
    feat_value = tf.placeholder(tf.float32, [None, 4])
    fm = FactorizationMachine(10, 3, init_stddev=0.5)
    probs, logits = fm(feat_index, feat_value), fm.logits(feat_index, feat_value)
    default_value = fm.logits(feat_index)
    assert probs.shape.as_list() == [None, 1] and logits.shape.as_list() == [None, 1]
    sess.run(tf.global_variables_initializer())
    sess.run(fm.w0.assign([0.3]))
    idx = rng.integers(0, 10, size=(6, 4))
    val = rng.normal(size=(6, 4)).astype(np.float32)
    p, z, z1 = sess.run([probs, logits, default_value], {feat_index: idx, feat_value: val})
    w0, w, V = sess.run([fm.w0, fm.w, fm.V])
    np.testing.assert_allclose(z, fm_numpy(w0, w, V, idx, val), atol=1e-5)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-z)), atol=1e-6)
    np.testing.assert_allclose(z1, fm_numpy(w0, w, V, idx, np.ones_like(val)), atol=1e-5)


def test_fm_variables_named_as_the_notes_and_shared_by_logits(graph):
    fm = FactorizationMachine(10, 3)
    idx = tf.placeholder(tf.int64, [None, 4])
    fm(idx)
    fm.logits(idx)
    fm(idx, tf.ones_like(idx, dtype=tf.float32))
    assert [(v.op.name, v.shape.as_list()) for v in tf.global_variables()] == [
        ("fm/bias", [1]), ("fm/linear_weights", [10, 1]), ("fm/interaction_weights", [10, 3])]


def test_fm_gradient_check_float64(graph, sess, rng):
    feat_index = tf.placeholder(tf.int32, [None, 3])
    feat_value = tf.placeholder(tf.float64, [None, 3])
    fm = FactorizationMachine(7, 4, init_stddev=0.5, dtype=tf.float64)
    logits = fm.logits(feat_index, feat_value)
    sess.run(tf.global_variables_initializer())
    idx = rng.integers(0, 7, size=(5, 3))
    val = rng.normal(size=(5, 3))
    with sess.as_default():
        err = tf.test.compute_gradient_error(
            feat_value, [5, 3], logits, [5, 1], x_init_value=val, delta=1e-6,
            extra_feed_dict={feat_index: idx})
    assert err < 1e-6
    # The weights: central differences of a random projection of the logits.
    feed = {feat_index: idx, feat_value: val}
    r = tf.constant(rng.normal(size=(5, 1)))
    scalar = tf.reduce_sum(logits * r)
    for var in (fm.V, fm.w, fm.w0):
        analytic = sess.run(tf.convert_to_tensor(tf.gradients(scalar, var)[0]), feed)
        base = sess.run(var)
        numeric = np.zeros_like(base)
        for k in np.ndindex(base.shape):
            for sign in (1, -1):
                bumped = base.copy()
                bumped[k] += sign * 1e-6
                var.load(bumped, sess)
                numeric[k] += sign * sess.run(scalar, feed) / 2e-6
        var.load(base, sess)
        np.testing.assert_allclose(analytic, numeric, atol=1e-6, err_msg=var.op.name)


def test_fm_default_initializer_keeps_logits_moderate_and_init_stddev_1_restores_notes(rng):
    """39 fields of size 10: N(0, 1) (the notes) saturates the sigmoid, 0.01 does not."""
    idx = rng.integers(0, 1000, size=(256, 39))
    stds = {}
    for stddev in (0.01, 1.0):
        with tf.Graph().as_default():
            tf.set_random_seed(0)
            fm = FactorizationMachine(1000, 10, init_stddev=stddev)
            logits = fm.logits(tf.constant(idx))
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                stds[stddev] = s.run(logits).std()
                V = s.run(fm.V)
        assert abs(V.std() - stddev) < 0.05 * stddev
    assert stds[0.01] < 0.1
    assert stds[1.0] > 30  # about 39 * sqrt(10 / 2) = 87


def test_fm_bad_inputs(graph):
    fm = FactorizationMachine(10, 3)
    with pytest.raises(TypeError, match="feat_index"):
        fm(tf.placeholder(tf.float32, [None, 4]))
    with pytest.raises(ValueError, match=r"`feat_index` must have rank 2; got shape \(None,\)"):
        fm(tf.placeholder(tf.int32, [None]))
    with pytest.raises(ValueError, match=r"feat_index \(None, 4\) and feat_value \(None, 3\)"):
        fm(tf.placeholder(tf.int32, [None, 4]), tf.placeholder(tf.float32, [None, 3]))
    with pytest.raises(TypeError, match="dtype=float32"):
        fm(tf.placeholder(tf.int32, [None, 4]), tf.placeholder(tf.float64, [None, 4]))
    with pytest.raises(ValueError, match="num_features"):
        FactorizationMachine(0, 3)
    with pytest.raises(ValueError, match="init_stddev"):
        FactorizationMachine(10, 3, init_stddev=0)
    assert tf.global_variables() == []


def test_fm_module_is_bound_to_its_graph(graph):
    fm = FactorizationMachine(10, 3)
    fm(tf.placeholder(tf.int32, [None, 2]))
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="another graph"):
            fm(tf.placeholder(tf.int32, [None, 2]))
