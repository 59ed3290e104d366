"""MMoE and SENet against their formulas in numpy."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.layers import mmoe, senet


def relu(z):
    return np.maximum(z, 0)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def dense_np(x, p, name):
    return x @ p[name + "/kernel"] + p[name + "/bias"]


def _values(sess):
    return {v.op.name: sess.run(v) for v in tf.global_variables()}


@pytest.mark.parametrize("gate_hidden", [4, None])
def test_mmoe_matches_formula_and_gates_weight_experts(graph, sess, rng, gate_hidden):
    x = tf.placeholder(tf.float32, [None, 6])
    outs, gates = mmoe(x, num_experts=3, num_tasks=2, expert_hidden=5, gate_hidden=gate_hidden,
                       return_gates=True)
    assert len(outs) == 2 and all(o.shape.as_list() == [None, 5] for o in outs)
    assert all(g.shape.as_list() == [None, 3] for g in gates)
    sess.run(tf.global_variables_initializer())
    # Random biases too, so each expert and gate term counts.
    for v in tf.global_variables():
        v.load(rng.uniform(-0.5, 0.5, size=v.shape.as_list()), sess)
    p = _values(sess)
    data = rng.normal(size=(4, 6))
    got_outs, got_gates = sess.run([outs, gates], {x: data})
    experts = np.stack([relu(dense_np(data, p, "mmoe/expert_%d" % e)) for e in range(3)], 1)
    for t in range(2):
        h = data if gate_hidden is None else relu(dense_np(data, p, "mmoe/gate_%d/hidden" % t))
        gate = softmax(dense_np(h, p, "mmoe/gate_%d/logits" % t))  # [B, experts]
        np.testing.assert_allclose(got_gates[t], gate, atol=1e-5)
        np.testing.assert_allclose(got_outs[t], np.einsum("be,beh->bh", gate, experts), atol=1e-5)


def test_mmoe_gates_sum_to_one_and_differ_between_tasks(graph, sess, rng):
    x = tf.placeholder(tf.float32, [None, 6])
    _, gates = mmoe(x, num_experts=4, num_tasks=3, expert_hidden=5, gate_hidden=4, return_gates=True)
    sess.run(tf.global_variables_initializer())
    got = np.stack(sess.run(gates, {x: rng.normal(size=(16, 6))}))  # [tasks, B, experts]
    np.testing.assert_allclose(got.sum(-1), np.ones((3, 16)), atol=1e-6)
    for a in range(3):
        for b in range(a + 1, 3):
            assert np.abs(got[a] - got[b]).max() > 1e-3


@pytest.mark.parametrize("seed", [None, 11])
def test_mmoe_experts_start_from_different_draws(rng, seed):
    def kernels():
        with tf.Graph().as_default():
            tf.set_random_seed(5)
            mmoe(tf.placeholder(tf.float32, [None, 6]), num_experts=3, num_tasks=2,
                 expert_hidden=5, gate_hidden=4, seed=seed)
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                return {v.op.name: s.run(v) for v in tf.global_variables() if "kernel" in v.op.name}
    first = kernels()
    names = sorted(first)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if first[a].shape == first[b].shape:
                assert not np.allclose(first[a], first[b]), (a, b)
    again = kernels()
    for name in names:  # reproducible from the graph seed, or from `seed`
        np.testing.assert_array_equal(first[name], again[name])


def test_mmoe_bad_inputs(graph):
    x = tf.placeholder(tf.float32, [None, 6])
    with pytest.raises(ValueError, match="mmoe: `num_experts` must be a positive integer; got 0"):
        mmoe(x, num_experts=0)
    with pytest.raises(ValueError, match="num_tasks"):
        mmoe(x, num_tasks=-1)
    with pytest.raises(ValueError, match=r"`inputs` must have rank 2; got shape \(None, 3, 6\)"):
        mmoe(tf.placeholder(tf.float32, [None, 3, 6]))
    with pytest.raises(ValueError, match="not both"):
        mmoe(x, seed=1, kernel_initializer=tf.zeros_initializer())
    assert tf.global_variables() == []


def senet_np(x, p, prefix=""):
    z = x.mean(-1)
    a = 2 / (1 + np.exp(-dense_np(relu(dense_np(z, p, prefix + "se1")), p, prefix + "se2")))
    return a[..., None] * x


@pytest.mark.parametrize("name", [None, "fields"])
def test_senet_matches_formula(graph, sess, rng, name):
    x = tf.placeholder(tf.float32, [None, 5, 4])
    with tf.variable_scope("tower"):
        y = senet(x, hidden_units=8, name=name)
    assert y.shape.as_list() == [None, 5, 4]
    prefix = "tower/" if name is None else "tower/fields/"
    assert sorted(v.op.name for v in tf.global_variables()) == [
        prefix + "se1/bias", prefix + "se1/kernel", prefix + "se2/bias", prefix + "se2/kernel"]
    sess.run(tf.global_variables_initializer())
    for v in tf.global_variables():
        v.load(rng.uniform(-0.5, 0.5, size=v.shape.as_list()), sess)
    data = rng.normal(size=(3, 5, 4))
    np.testing.assert_allclose(sess.run(y, {x: data}), senet_np(data, _values(sess), prefix), atol=1e-5)


def test_senet_bad_inputs(graph):
    with pytest.raises(ValueError, match=r"senet: `inputs` must have rank 3; got shape \(None, 5\)"):
        senet(tf.placeholder(tf.float32, [None, 5]))
    with pytest.raises(ValueError, match=r"field dimension.*\(None, None, 4\)"):
        senet(tf.placeholder(tf.float32, [None, None, 4]))
    with pytest.raises(ValueError, match="hidden_units"):
        senet(tf.placeholder(tf.float32, [None, 5, 4]), hidden_units=0)
