"""``contrib.seq2seq`` / ``contrib.legacy_seq2seq`` losses, ``contrib.opt`` decoupled weight decay and the
contrib-only ``contrib.data`` transformations, against numpy re-implementations of TF 1.15's definitions.

TensorFlow 2.12 and 2.21 ship none of these (nor a Keras-free equivalent), so numpy is the reference.
"""
import itertools

import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.compat.contrib import data as D
from tf1_recsys.compat.contrib import legacy_seq2seq, opt, seq2seq


def _crossent(logits, targets):
    """[..., classes], [...] -> [...]: -log softmax(logits)[target]."""
    shifted = logits - logits.max(-1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return -np.take_along_axis(log_softmax, targets[..., None], -1)[..., 0]


def _safe_div(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def _sequence_loss_numpy(logits, targets, weights, avg_t, avg_b, sum_t, sum_b):
    ce = _crossent(logits, targets) * weights
    nonzero = (weights != 0).astype(np.float64)
    if avg_t and avg_b:
        return _safe_div(ce.sum(), weights.sum())
    if sum_t and sum_b:
        return _safe_div(ce.sum(), nonzero.sum())
    if avg_t or avg_b:
        axis = 0 if avg_b else 1
        return _safe_div(ce.sum(axis), weights.sum(axis))
    if sum_t or sum_b:
        axis = 0 if sum_b else 1
        return _safe_div(ce.sum(axis), nonzero.sum(axis))
    return ce


def test_seq2seq_sequence_loss_every_reduction(graph, sess, rng):
    logits = rng.normal(size=(3, 4, 5)).astype(np.float32)
    targets = rng.integers(0, 5, size=(3, 4)).astype(np.int32)
    weights = (rng.uniform(size=(3, 4)) > 0.3).astype(np.float32) * rng.uniform(0.5, 2, size=(3, 4)).astype(np.float32)
    weights[:, 3] = 0.0  # a step no example has: the batch reduction divides by zero there
    combos = [c for c in itertools.product([False, True], repeat=4) if not (c[0] and c[2]) and not (c[1] and c[3])]
    outs = [seq2seq.sequence_loss(tf.constant(logits), tf.constant(targets), tf.constant(weights),
                                  average_across_timesteps=at, average_across_batch=ab,
                                  sum_over_timesteps=st, sum_over_batch=sb) for at, ab, st, sb in combos]
    assert outs[combos.index((True, True, False, False))].op.name.startswith("sequence_loss")
    for combo, got in zip(combos, sess.run(outs)):
        want = _sequence_loss_numpy(logits.astype(np.float64), targets, weights.astype(np.float64), *combo)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=str(combo))
    assert [o.shape.rank for o in outs[:4]] == [2, 1, 1, 0]  # none, sum_b, avg_b... per the reduced axes


def test_seq2seq_sequence_loss_custom_loss_and_errors(graph, sess, rng):
    logits = tf.constant(rng.normal(size=(2, 3, 4)).astype(np.float32))
    targets = tf.constant(rng.integers(0, 4, size=(2, 3)).astype(np.int32))
    weights = tf.ones([2, 3])
    seen = {}

    def loss_fn(labels, logits):
        seen["shapes"] = (labels.shape.as_list(), logits.shape.as_list())
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits) * 2.0

    doubled = seq2seq.sequence_loss(logits, targets, weights, softmax_loss_function=loss_fn)
    plain = seq2seq.sequence_loss(logits, targets, weights)
    assert seen["shapes"] == ([6], [6, 4])
    got_doubled, got_plain = sess.run([doubled, plain])
    assert got_doubled == pytest.approx(2 * got_plain, rel=1e-6)
    with pytest.raises(ValueError, match=r"Logits must be a \[batch_size x sequence_length x logits\] tensor; "
                                         r"got shape \(2, 3\)"):
        seq2seq.sequence_loss(weights, targets, weights)
    with pytest.raises(ValueError, match="Weights must be a"):
        seq2seq.sequence_loss(logits, targets, tf.ones([6]))
    with pytest.raises(ValueError, match="average_across_timesteps and sum_over_timesteps cannot be set"):
        seq2seq.sequence_loss(logits, targets, weights, sum_over_timesteps=True)
    with pytest.raises(ValueError, match="average_across_batch and sum_over_batch cannot be set"):
        seq2seq.sequence_loss(logits, targets, weights, average_across_timesteps=False, sum_over_batch=True)


@pytest.mark.parametrize("avg_t, avg_b", [(True, True), (False, True), (True, False), (False, False)])
def test_legacy_seq2seq_losses(graph, sess, rng, avg_t, avg_b):
    steps, batch, classes = 3, 4, 5
    logits = rng.normal(size=(steps, batch, classes)).astype(np.float32)
    targets = rng.integers(0, classes, size=(steps, batch)).astype(np.int32)
    weights = rng.uniform(0, 2, size=(steps, batch)).astype(np.float32)
    weights[:, 0] = 0.0  # an example without weight: divided by 1e-12, its zero sum stays 0
    args = ([tf.constant(x) for x in logits], [tf.constant(t) for t in targets], [tf.constant(w) for w in weights])
    by_example = legacy_seq2seq.sequence_loss_by_example(*args, average_across_timesteps=avg_t)
    total = legacy_seq2seq.sequence_loss(*args, average_across_timesteps=avg_t, average_across_batch=avg_b)
    per_example = (_crossent(logits.astype(np.float64), targets) * weights).sum(0)
    if avg_t:
        per_example = per_example / (weights.sum(0) + 1e-12)
    want_total = per_example.sum() / (batch if avg_b else 1)
    got_by_example, got_total = sess.run([by_example, total])
    np.testing.assert_allclose(got_by_example, per_example, rtol=1e-5, atol=1e-6)
    assert got_total == pytest.approx(want_total, rel=1e-5)
    assert by_example.op.name.startswith("sequence_loss_by_example") and total.op.name.startswith("sequence_loss")
    with pytest.raises(ValueError, match="Lengths of logits, weights, and targets must be the same 3, 2, 3."):
        legacy_seq2seq.sequence_loss_by_example(args[0], args[1], args[2][:2])


def _adam_numpy(var, m, v, g, t, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return var - lr_t * m / (np.sqrt(v) + eps), m, v


@pytest.mark.parametrize("use_resource", [False, True])
def test_adamw_decays_then_steps_dense_and_sparse(graph, sess, rng, use_resource):
    w0 = rng.normal(size=(3, 2)).astype(np.float32)
    e0 = rng.normal(size=(5, 2)).astype(np.float32)
    kept0 = rng.normal(size=2).astype(np.float32)
    w = tf.get_variable("w", initializer=w0, use_resource=use_resource)
    emb = tf.get_variable("emb", initializer=e0, use_resource=use_resource)
    kept = tf.get_variable("kept", initializer=kept0, use_resource=use_resource)
    ids = np.array([1, 3, 1])
    x = rng.normal(size=(3, 3)).astype(np.float32)
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + tf.nn.embedding_lookup(emb, ids))) + tf.reduce_sum(kept ** 2)
    wd = 0.1
    optimizer = opt.AdamWOptimizer(wd, learning_rate=0.01)
    train = optimizer.minimize(loss, decay_var_list=[w, emb])
    assert optimizer.get_name() == "AdamW"
    assert sorted(optimizer.get_slot_names()) == ["m", "v"] and optimizer.get_slot(w, "m").op.name == "w/AdamW"
    sess.run(tf.global_variables_initializer())
    state = {"w": [w0.astype(np.float64), 0.0, 0.0], "emb": [e0.astype(np.float64), 0.0, 0.0],
             "kept": [kept0.astype(np.float64), 0.0, 0.0]}
    for t in range(1, 4):
        wv, ev, kv = state["w"][0], state["emb"][0], state["kept"][0]
        residual = x @ wv + ev[ids]
        g_w, g_e, g_k = 2 * x.T @ residual, np.zeros_like(ev), 2 * kv
        np.add.at(g_e, ids, 2 * residual)
        sess.run(train)
        # dense w: everything decays; sparse emb: only rows 1 and 3 (decay then Adam on those rows,
        # whose m and v are dense slots updated for all rows by the non-lazy Adam kernel).
        for name, g, decayed_rows in (("w", g_w, slice(None)), ("emb", g_e, [1, 3]), ("kept", g_k, None)):
            var, m, v = state[name]
            var = var.copy()
            if decayed_rows is not None:
                var[decayed_rows] -= wd * var[decayed_rows]
            if name == "emb":  # AdamOptimizer's sparse path decays m, v everywhere and adds g's rows
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                lr_t = 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
                var = var - lr_t * m / (np.sqrt(v) + 1e-8)
            else:
                var, m, v = _adam_numpy(var, m, v, g, t)
            state[name] = [var, m, v]
    got = sess.run({"w": w, "emb": emb, "kept": kept})
    for name in got:
        np.testing.assert_allclose(got[name], state[name][0], rtol=2e-5, atol=2e-6, err_msg=name)


def test_momentumw_and_extended_optimizers(graph, sess, rng):
    w0 = rng.normal(size=4).astype(np.float32)
    w = tf.get_variable("w", initializer=w0)
    u = tf.get_variable("u", initializer=w0)
    wd = tf.placeholder_with_default(0.05, [])
    loss = tf.reduce_sum(w ** 2) + tf.reduce_sum(u ** 2)
    momentum = opt.MomentumWOptimizer(lambda: wd * 2.0, 0.1, 0.9)
    sgd_w = opt.extend_with_decoupled_weight_decay(tf.train.GradientDescentOptimizer)(0.2, 0.1)  # positional
    assert type(sgd_w).__name__ == "GradientDescentOptimizerWithDecoupledWeightDecay"
    step_w = momentum.apply_gradients([(2 * w, w)])
    step_u = sgd_w.minimize(loss, var_list=[u])
    sess.run(tf.global_variables_initializer())
    wv, accum, uv = w0.astype(np.float64), 0.0, w0.astype(np.float64)
    for _ in range(3):
        g_w, g_u = 2 * wv, 2 * uv
        sess.run([step_w, step_u])
        accum = 0.9 * accum + g_w
        wv = wv * (1 - 0.1) - 0.1 * accum
        uv = uv * (1 - 0.2) - 0.1 * g_u
    np.testing.assert_allclose(sess.run(w), wv, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sess.run(u), uv, rtol=1e-5, atol=1e-6)
    assert momentum.get_name() == "MomentumW" and momentum.get_slot(w, "momentum").op.name == "w/MomentumW"


def test_contrib_only_data_transformations(graph, sess):
    dataset = tf.data.Dataset.range(7).apply(D.batch_and_drop_remainder(3))
    padded = (tf.data.Dataset.range(1, 6).map(lambda n: tf.fill([n], n))
              .apply(D.padded_batch_and_drop_remainder(2, [None])))
    interleaved = tf.data.Dataset.range(3).apply(
        D.sloppy_interleave(lambda i: tf.data.Dataset.from_tensors(i).repeat(2), cycle_length=2))

    def run(ds):
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        out = []
        while True:
            try:
                out.append(sess.run(nxt).tolist())
            except tf.errors.OutOfRangeError:
                return out

    assert run(dataset) == [[0, 1, 2], [3, 4, 5]]
    assert run(padded) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    assert sorted(run(interleaved)) == [0, 0, 1, 1, 2, 2]
    assert D.parallel_interleave is tf.data.experimental.parallel_interleave


@pytest.mark.parametrize("use_resource", [False, True])
def test_nadam_dense_and_sparse(graph, sess, rng, use_resource):
    w0 = rng.normal(size=(3, 2)).astype(np.float32)
    e0 = rng.normal(size=(4, 2)).astype(np.float32)
    w = tf.get_variable("w", initializer=w0, use_resource=use_resource)
    emb = tf.get_variable("emb", initializer=e0, use_resource=use_resource)
    ids = np.array([2, 0, 2])
    x = rng.normal(size=(3, 3)).astype(np.float32)
    loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + tf.nn.embedding_lookup(emb, ids)))
    optimizer = opt.NadamOptimizer(0.05, beta1=0.8, beta2=0.99, epsilon=1e-7)
    train = optimizer.minimize(loss)
    assert optimizer.get_name() == "Adam" and optimizer.get_slot(emb, "v").op.name == "emb/Adam_1"
    sess.run(tf.global_variables_initializer())
    state = {"w": [w0.astype(np.float64), 0.0, 0.0], "emb": [e0.astype(np.float64), 0.0, 0.0]}
    for t in range(1, 4):
        residual = x @ state["w"][0] + state["emb"][0][ids]
        g_e = np.zeros_like(e0, dtype=np.float64)
        np.add.at(g_e, ids, 2 * residual)
        sess.run(train)
        for name, g, rows in (("w", 2 * x.T @ residual, slice(None)), ("emb", g_e, [0, 2])):
            var, m, v = state[name]
            m = 0.8 * m + 0.2 * g  # the sparse path too decays m and v on every row
            v = 0.99 * v + 0.01 * g * g
            lr_t = 0.05 * np.sqrt(1 - 0.99 ** t) / (1 - 0.8 ** t)
            var = var.copy()
            var[rows] -= (lr_t * (0.8 * m + 0.2 * g) / (np.sqrt(v) + 1e-7))[rows]
            state[name] = [var, m, v]
    got_w, got_e = sess.run([w, emb])
    np.testing.assert_allclose(got_w, state["w"][0], rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(got_e, state["emb"][0], rtol=2e-5, atol=2e-6)
    np.testing.assert_array_equal(got_e[[1, 3]], e0[[1, 3]])


def test_hparams_types_parsing_and_errors():
    from tf1_recsys.compat.contrib.training import HParams

    hp = HParams(learning_rate=0.1, layers=[64, 32], use_bn=False, name="din", steps=10)
    assert hp.learning_rate == 0.1 and hp.layers == [64, 32] and "use_bn" in hp and "other" not in hp
    assert hp.parse("learning_rate=1,layers=[8, 4 ,2],use_bn=true,name='x'") is hp
    assert hp.values() == {"learning_rate": 1.0, "layers": [8, 4, 2], "use_bn": True, "name": "x", "steps": 10}
    assert isinstance(hp.learning_rate, float)
    hp.override_from_dict({"steps": 3}).parse_json('{"name": "y", "layers": [1]}')
    assert (hp.steps, hp.name, hp.layers) == (3, "y", [1])
    assert json_roundtrip(hp) == hp.values() and hp.get("missing", 7) == 7
    assert repr(HParams(b=1, a="s")) == "HParams([('a', 's'), ('b', 1)])"
    hp.add_hparam("extra", 0.5)
    hp.del_hparam("extra")
    assert "extra" not in hp and not hasattr(hp, "extra")
    for bad, message in ((lambda: hp.set_hparam("steps", 1.5), "Could not cast hparam 'steps' of type 'int'"),
                         (lambda: hp.set_hparam("name", 3), "Could not cast hparam 'name' of type 'str'"),
                         (lambda: hp.set_hparam("use_bn", 1), "Could not cast hparam 'use_bn' of type 'bool'"),
                         (lambda: hp.set_hparam("steps", [1]), "Must not pass a list for single-valued parameter"),
                         (lambda: hp.set_hparam("layers", 1), "Must pass a list for multi-valued parameter"),
                         (lambda: hp.parse("nope=1"), "Unknown hyperparameter type for nope"),
                         (lambda: hp.parse("steps=1.5"), "Could not parse hparam 'steps' of type 'int'"),
                         (lambda: hp.add_hparam("values", 1), "Hyperparameter name is reserved: values"),
                         (lambda: HParams(empty=[]), "Multi-valued hyperparameters cannot be empty: empty")):
        with pytest.raises(ValueError, match=message):
            bad()


def json_roundtrip(hp):
    import json

    return json.loads(hp.to_json(sort_keys=True))
