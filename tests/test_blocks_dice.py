"""Dice against its formula in numpy, in inference and training mode."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.layers import dice

EPS = 1e-3


def dice_numpy(x, alpha, gamma, beta, mean, var):
    p = 1 / (1 + np.exp(-((x - mean) / np.sqrt(var + EPS) * gamma + beta)))
    return alpha * (1 - p) * x + p * x


def _variables():
    return {v.op.name: v for v in tf.global_variables()}


def test_dice_variables_named_as_the_notes(graph):
    dice(tf.placeholder(tf.float32, [None, 4, 6]), name="_u")
    assert sorted((n, v.shape.as_list()) for n, v in _variables().items()) == [
        ("dice_alpha_u", [6]), ("dice_norm_u/beta", [6]), ("dice_norm_u/gamma", [6]),
        ("dice_norm_u/moving_mean", [6]), ("dice_norm_u/moving_variance", [6])]


@pytest.mark.parametrize("training", [False, True])
def test_dice_matches_formula(graph, sess, rng, training):
    x = tf.placeholder(tf.float32, [None, 3, 6])
    y = dice(x, training=training)
    sess.run(tf.global_variables_initializer())
    params = {n: rng.uniform(0.5, 1.5, size=6).astype(np.float32) for n in _variables()}
    for n, v in _variables().items():
        v.load(params[n], sess)
    data = rng.normal(size=(5, 3, 6)).astype(np.float32)
    if training:
        mean, var = data.reshape(-1, 6).mean(0), data.reshape(-1, 6).var(0)
    else:
        mean, var = params["dice_norm/moving_mean"], params["dice_norm/moving_variance"]
    expected = dice_numpy(data, params["dice_alpha"], params["dice_norm/gamma"],
                          params["dice_norm/beta"], mean, var)
    np.testing.assert_allclose(sess.run(y, {x: data}), expected, atol=1e-5)


def test_dice_training_uses_batch_statistics_and_updates_moving_ones(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 6])
    training = tf.placeholder_with_default(False, [])
    y = dice(x, training=training, momentum=0.9)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    sess.run(tf.global_variables_initializer())
    moving = [_variables()["dice_norm/moving_mean"], _variables()["dice_norm/moving_variance"]]
    data = rng.normal(loc=2.0, scale=3.0, size=(8, 6)).astype(np.float32)
    y_infer, y_train = sess.run(y, {x: data}), sess.run(y, {x: data, training: True})
    assert np.abs(y_infer - y_train).max() > 1e-2
    sess.run(updates, {x: data})  # training=False: the updates do nothing
    np.testing.assert_array_equal(sess.run(moving), [np.zeros(6), np.ones(6)])
    sess.run(updates, {x: data, training: True})
    mean, var = sess.run(moving)
    np.testing.assert_allclose(mean, 0.1 * data.mean(0), atol=1e-5)
    np.testing.assert_allclose(var, 0.9 + 0.1 * data.var(0), atol=1e-5)
    # Inference now normalises with the updated moving statistics.
    params = sess.run(tf.global_variables())
    names = [v.op.name for v in tf.global_variables()]
    p = dict(zip(names, params))
    expected = dice_numpy(data, p["dice_alpha"], p["dice_norm/gamma"], p["dice_norm/beta"], mean, var)
    np.testing.assert_allclose(sess.run(y, {x: data}), expected, atol=1e-5)


def test_dice_with_static_false_adds_no_update(graph):
    dice(tf.placeholder(tf.float32, [None, 6]))
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []


@pytest.mark.parametrize("training", [False, True])
def test_dice_gradient_check_float64(graph, sess, rng, training):
    x = tf.placeholder(tf.float64, [None, 4])
    y = dice(x, training=training)
    sess.run(tf.global_variables_initializer())
    with sess.as_default():
        err = tf.test.compute_gradient_error(
            x, [6, 4], y, [6, 4], x_init_value=rng.normal(size=(6, 4)), delta=1e-6)
    assert err < 1e-6


def test_dice_bad_inputs(graph):
    with pytest.raises(ValueError, match=r"dice: `x` must have rank >= 2; got shape \(None,\)"):
        dice(tf.placeholder(tf.float32, [None]))
    with pytest.raises(ValueError, match=r"last dimension of `x`.*\(None, None\)"):
        dice(tf.placeholder(tf.float32, [None, None]))
    with pytest.raises(TypeError, match="`x` must be a floating-point tensor"):
        dice(tf.placeholder(tf.int32, [None, 3]))
    with pytest.raises(TypeError, match="training"):
        dice(tf.placeholder(tf.float32, [None, 3]), training=1)


@pytest.mark.parametrize("rank, dtype, rtol", [(2, np.float64, 1e-12), (4, np.float32, 2e-5)])
def test_dice_weights_give_the_weighted_batch_moments(graph, sess, rng, rank, dtype, rtol):
    """``weights``: a row of weight w counts as w rows in the batch mean and variance (numpy's weighted
    moments), in the output and in the moving-statistics update; rank 4 in float32 takes the fused kernel's
    numbers, whose moving variance is Bessel-corrected with n = sum(weights)."""
    shape = (7, 6) if rank == 2 else (1, 1, 7, 6)
    x = tf.placeholder(dtype, shape)
    w = tf.placeholder(dtype, shape[:-1])
    y = dice(x, training=True, momentum=0.5, weights=w)
    sess.run(tf.global_variables_initializer())
    params = {n: rng.uniform(0.5, 1.5, size=6).astype(dtype) for n in _variables()}
    for n, v in _variables().items():
        v.load(params[n], sess)
    data, weights = rng.normal(size=shape).astype(dtype), rng.integers(0, 4, shape[:-1]).astype(dtype)
    flat, fw = data.reshape(-1, 6).astype(np.float64), weights.reshape(-1).astype(np.float64)
    mean = (fw[:, None] * flat).sum(0) / fw.sum()
    var = (fw[:, None] * (flat - mean) ** 2).sum(0) / fw.sum()
    got = sess.run([y] + tf.get_collection(tf.GraphKeys.UPDATE_OPS), {x: data, w: weights})[0]
    np.testing.assert_allclose(got, dice_numpy(data, params["dice_alpha"], params["dice_norm/gamma"],
                                               params["dice_norm/beta"], mean, var), rtol=rtol)
    unbiased = var * (fw.sum() / (fw.sum() - 1) if rank == 4 else 1)
    moving = sess.run([_variables()["dice_norm/moving_mean"], _variables()["dice_norm/moving_variance"]])
    np.testing.assert_allclose(moving[0], 0.5 * params["dice_norm/moving_mean"] + 0.5 * mean, rtol=rtol)
    np.testing.assert_allclose(moving[1], 0.5 * params["dice_norm/moving_variance"] + 0.5 * unbiased, rtol=rtol)
    with pytest.raises(ValueError, match=r"`mask` must have the shape of `inputs` without its channel axis"):
        dice(x, name="_other", training=True, weights=tf.ones(shape))
