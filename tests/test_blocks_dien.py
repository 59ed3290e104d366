"""DIEN's blocks against numpy: the attention-gated GRUs, the auxiliary loss, the negative sampler.

The recurrences below are written from the paper's equations (in TensorFlow's gate
convention, u keeps the state); gradients are checked against central finite differences
of the numpy recurrence, in float64.
"""
import numpy as np
import pytest

from same_values import session_with_values
from tf1_recsys._tf import tf
from tf1_recsys.layers import (  # the public names of tf1_recsys.layers.interest
    AGRUCell,
    AIGRUCell,
    AUGRUCell,
    auxiliary_loss,
    interest_evolution,
    interest_extractor,
    sample_negative_positions,
)

B, T, D, H = 3, 4, 3, 2
LENGTHS = np.array([4, 2, 0])


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gru_step_np(kind, x, a, h, p):
    """One step of the attention GRU ``kind`` ('GRU' ignores a): x [B, D], a [B, 1], h [B, H]."""
    if kind == "AIGRU":
        x = a * x
    g = sigmoid(np.concatenate([x, h], 1) @ p["gk"] + p["gb"])
    r, u = g[:, :H], g[:, H:]
    c = np.tanh(np.concatenate([x, r * h], 1) @ p["ck"] + p["cb"])
    if kind == "AUGRU":
        return h + a * (1 - u) * (c - h)
    if kind == "AGRU":
        return (1 - a) * h + a * c
    return u * h + (1 - u) * c


def run_np(kind, xs, scores, lengths, p):
    """``dynamic_rnn``'s semantics: outputs 0 and the state frozen past each row's length."""
    h = np.zeros((xs.shape[0], H))
    outs = np.zeros(xs.shape[:2] + (H,))
    for t in range(xs.shape[1]):
        new = gru_step_np(kind, xs[:, t], scores[:, t, None], h, p)
        live = (t < lengths)[:, None]
        h = np.where(live, new, h)
        outs[:, t] = np.where(live, new, 0)
    return outs, h


def params(rng):
    return {"gk": rng.normal(0, 0.7, (D + H, 2 * H)), "gb": rng.normal(0, 0.3, 2 * H),
            "ck": rng.normal(0, 0.7, (D + H, H)), "cb": rng.normal(0, 0.3, H)}


CELLS = {"AUGRU": AUGRUCell, "AGRU": AGRUCell, "AIGRU": AIGRUCell}


@pytest.fixture(scope="module")
def cell_results():
    """Each cell through ``dynamic_rnn`` in float64: outputs, final state, gradients; and the inputs."""
    rng = np.random.default_rng(5)
    xs, scores = rng.normal(size=(B, T, D)), rng.uniform(0.05, 0.95, (B, T))
    p = params(rng)
    got = {}
    for kind, cls in CELLS.items():
        with tf.Graph().as_default():
            x = tf.constant(xs)
            a = tf.constant(scores)
            cell = cls(H, dtype=tf.float64)
            outs, final = tf.nn.dynamic_rnn(cell, tf.concat([x, a[:, :, None]], -1), sequence_length=LENGTHS,
                                            dtype=tf.float64)
            got[kind] = dict(run_recurrence(outs, final, x, a, p),
                             names=sorted(v.op.name for v in tf.global_variables()))
    return xs, scores, p, got


def run_recurrence(outs, final, x, a, p):
    """In the current graph: a fixed weighting of ``outs`` plus the squared final state as the loss, the cell's
    variables loaded from ``p``; returns outs, final and the gradients of x, a and both kernels."""
    var = {v.op.name.split("/", 2)[-1]: v for v in tf.global_variables()}
    loss = tf.reduce_sum(outs * np.linspace(-1, 1, B * T * H).reshape(B, T, H)) + tf.reduce_sum(final ** 2)
    grads = tf.gradients(loss, [x, a, var["gates/kernel"], var["candidate/kernel"]])
    with tf.Session() as sess:
        for key, v in (("gk", "gates/kernel"), ("gb", "gates/bias"), ("ck", "candidate/kernel"),
                       ("cb", "candidate/bias")):
            var[v].load(p[key], sess)
        return dict(zip(("outs", "final", "gx", "ga", "ggk", "gck"), sess.run([outs, final] + grads)))


def loss_np(kind, xs, scores, p):
    outs, h = run_np(kind, xs, scores, LENGTHS, p)
    return np.sum(outs * np.linspace(-1, 1, B * T * H).reshape(B, T, H)) + np.sum(h ** 2)


def finite_difference(f, value, eps=1e-6):
    grad = np.zeros_like(value)
    for i in np.ndindex(value.shape):
        up, down = value.copy(), value.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


@pytest.mark.parametrize("kind", list(CELLS))
def test_attention_gru_outputs_states_and_masking(cell_results, kind):
    xs, scores, p, got = cell_results
    outs, h = run_np(kind, xs, scores, LENGTHS, p)
    np.testing.assert_allclose(got[kind]["outs"], outs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got[kind]["final"], h, rtol=1e-10, atol=1e-12)
    assert np.all(got[kind]["final"][2] == 0) and np.all(got[kind]["outs"][1, 2:] == 0)
    cell = kind.lower() + "_cell"
    assert got[kind]["names"] == ["rnn/%s/%s/%s" % (cell, a, b) for a in ("candidate", "gates")
                                  for b in ("bias", "kernel")]


@pytest.mark.parametrize("kind", list(CELLS))
def test_attention_gru_gradients(cell_results, kind):
    xs, scores, p, got = cell_results
    g = got[kind]
    np.testing.assert_allclose(g["gx"], finite_difference(lambda v: loss_np(kind, v, scores, p), xs),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g["ga"], finite_difference(lambda v: loss_np(kind, xs, v, p), scores),
                               rtol=1e-6, atol=1e-8)
    for key, name in (("gk", "ggk"), ("ck", "gck")):
        np.testing.assert_allclose(
            g[name], finite_difference(lambda v: loss_np(kind, xs, scores, dict(p, **{key: v})), p[key]),
            rtol=1e-6, atol=1e-8)
    # the padded steps get no gradient through the inputs
    assert np.all(g["gx"][1, 2:] == 0) and np.all(g["gx"][2] == 0)


@pytest.mark.parametrize("kind", list(CELLS))
def test_projected_inputs_compute_the_same_recurrence(cell_results, kind):
    """``project_inputs`` (x @ W_x of all steps before the loop, the cell then taking the projections,
    as ``interest_evolution`` runs it): outputs, final state and gradients of the concatenated-input
    path, which the tests above check against numpy."""
    xs, scores, p, got = cell_results
    with tf.Graph().as_default():
        x, a = tf.constant(xs), tf.constant(scores)
        cell = CELLS[kind](H, dtype=tf.float64)
        with tf.variable_scope("rnn") as rnn:
            steps = cell.project_inputs(x, extra_columns=1)
        outs, final = tf.nn.dynamic_rnn(cell, steps + (a[:, :, None],), sequence_length=LENGTHS,
                                        dtype=tf.float64, scope=rnn)
        assert sorted(v.op.name for v in tf.global_variables()) == got[kind]["names"]
        values = run_recurrence(outs, final, x, a, p)
    for key, value in values.items():
        np.testing.assert_allclose(value, got[kind][key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_scores_of_zero_keep_the_state():
    """a_t = 0 leaves the state as it was for every variant (the paper's "no interest drift")."""
    rng = np.random.default_rng(1)
    p = params(rng)
    h = rng.normal(size=(B, H))
    x = rng.normal(size=(B, D))
    for kind in ("AUGRU", "AGRU"):
        np.testing.assert_allclose(gru_step_np(kind, x, np.zeros((B, 1)), h, p), h)


def test_extractor_is_a_masked_gru():
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(B, T, D)).astype(np.float32)
    mask = np.arange(T)[None, :] < LENGTHS[:, None]
    p = params(rng)
    with tf.Graph().as_default():
        interests, lengths = interest_extractor(xs, mask.astype(np.int64), H)
        var = {v.op.name: v for v in tf.global_variables()}
        with tf.Session() as sess:
            prefix = "interest_extractor/rnn/gru_cell/"
            for key, v in (("gk", "gates/kernel"), ("gb", "gates/bias"), ("ck", "candidate/kernel"),
                           ("cb", "candidate/bias")):
                var[prefix + v].load(p[key].astype(np.float32), sess)
            got, got_len = sess.run([interests, lengths])
    want, _ = run_np("GRU", xs.astype(np.float64), np.zeros((B, T)), LENGTHS, p)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got_len, LENGTHS)


def test_auxiliary_loss_against_numpy():
    rng = np.random.default_rng(3)
    E = 2
    hs = rng.normal(size=(B, T, H)).astype(np.float32)
    pos = rng.normal(size=(B, T, E)).astype(np.float32)
    neg = rng.normal(size=(B, T, E)).astype(np.float32)
    mask = np.arange(T)[None, :] < LENGTHS[:, None]
    with tf.Graph().as_default():
        loss = auxiliary_loss(hs, pos, neg, mask, layers=(5, 3))
        # padding must not count: garbage behind the mask changes nothing
        junk = np.where(mask[..., None], pos, 100.0).astype(np.float32)
        with tf.variable_scope(tf.get_variable_scope(), reuse=True):
            loss_junk = auxiliary_loss(hs, junk, np.where(mask[..., None], neg, -100.0).astype(np.float32), mask,
                                       layers=(5, 3))
            loss_none = auxiliary_loss(hs, pos, neg, np.zeros_like(mask), layers=(5, 3))  # no real pair
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            values = {v.op.name: v for v in tf.global_variables()}
            p = {n: sess.run(v) for n, v in values.items()}
            got, got_junk, got_none = sess.run([loss, loss_junk, loss_none])
    assert sorted(p) == ["auxiliary_net/%s/%s" % (l, w) for l in ("layer_0", "layer_1", "logit")
                         for w in ("bias", "kernel")]

    def score(e):
        x = np.concatenate([hs[:, :-1], e[:, 1:]], -1).astype(np.float64)
        for l in ("layer_0", "layer_1"):
            x = sigmoid(x @ p["auxiliary_net/%s/kernel" % l] + p["auxiliary_net/%s/bias" % l])
        return sigmoid(x @ p["auxiliary_net/logit/kernel"] + p["auxiliary_net/logit/bias"])[..., 0]

    terms = -np.log(score(pos)) - np.log(1 - score(neg))
    pair = mask[:, 1:]
    want = terms[pair].sum() / pair.sum()
    np.testing.assert_allclose(got, want, rtol=1e-5)
    np.testing.assert_allclose(got_junk, want, rtol=1e-5)
    assert got_none == 0


def test_negative_sampler_draws_real_behaviours_as_a_function_of_seed_and_batch():
    mask = np.zeros((6, 5), bool)
    mask[0, :3] = mask[2, :5] = mask[4, :1] = True
    real = set(np.flatnonzero(mask.ravel()))
    rng = np.random.default_rng(0)
    keys = [np.where(mask, rng.integers(1, 99, mask.shape), 0) for _ in range(60)]

    def draw(seed):
        with tf.Graph().as_default():
            key = tf.placeholder(tf.int64, [None, 5])
            idx = sample_negative_positions(mask, key=key, seed=seed)
            with tf.Session() as sess:
                return np.stack([sess.run(idx, {key: k}) for k in keys])

    first, again, other = draw(3), draw(3), draw(4)
    np.testing.assert_array_equal(first, again)  # no state: a resumed run draws the same
    assert (first != other).mean() > 0.5
    assert (first[0] != first[1]).any()  # another batch, other draws
    assert first.shape == (60, 6, 5) and set(first.ravel()) == real  # only, and all, real positions
    counts = np.bincount(first.ravel(), minlength=30)[sorted(real)]
    assert counts.min() > 0.6 * counts.mean()  # roughly uniform over the 9 real behaviours


def test_interest_evolution_variables_scores_and_errors():
    rng = np.random.default_rng(4)
    mask = np.arange(T)[None, :] < LENGTHS[:, None]
    with tf.Graph().as_default():
        final, scores = interest_evolution(rng.normal(size=(B, T, H)).astype(np.float32),
                                           rng.normal(size=(B, 5)).astype(np.float32), mask,
                                           attention_layers=(4, 3))
        names = sorted(v.op.name for v in tf.global_variables())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            f, s = sess.run([final, scores])
        with pytest.raises(ValueError, match="`gru_type` must be one of AUGRU, AGRU, AIGRU; got 'LSTM'"):
            interest_evolution(tf.zeros([B, T, H]), tf.zeros([B, 5]), mask, gru_type="LSTM")
        with pytest.raises(ValueError, match=r"`mask` must have shape \[batch, behaviours\]"):
            interest_evolution(tf.zeros([B, T, H]), tf.zeros([B, 5]), mask[:, :2])
    assert "interest_evolution/rnn/augru_cell/gates/kernel" in names
    assert "interest_evolution/query_projection/kernel" in names
    assert "interest_evolution/attention/layer1/kernel" in names
    np.testing.assert_allclose(s[:2].sum(-1), 1, rtol=1e-5)  # a softmax over the real behaviours
    assert np.all(s[~mask] == 0) and np.all(f[2] == 0)


@pytest.mark.parametrize("is_bn", [False, True])
def test_din_model_on_real_positions_equals_the_dense_form(is_bn):
    """``DINModel(zero_padded_keys=True)`` against the dense form, float64: weights, outputs, the moving
    statistics after one update, and the gradients of every variable, of the queries and of the real keys,
    with Dice in training and in inference; keys 0 at padding, rows of every length (0 and T included)."""
    from tf1_recsys.layers import DINModel

    rng = np.random.default_rng(8)
    b, s, t, e = 4, 2, 5, 3
    lengths = np.array([[5, 2], [0, 3], [1, 5], [4, 0]])
    mask = np.arange(t) < lengths[..., None]  # [B, S, T]
    keys_np = np.where(mask[..., None], rng.normal(size=(b, s, t, e)), 0.0)
    queries_np = rng.normal(size=(b, s, 1, e))
    cotangents = rng.normal(size=(b, s, e)), rng.normal(size=(b, s, t))

    def build(fast):
        queries, keys = tf.constant(queries_np), tf.constant(keys_np)
        training = tf.placeholder_with_default(True, [])
        model = DINModel(layer_size=(6, 4), tile_queries=False, zero_padded_keys=fast)
        output, weights = model(queries, keys, is_bn=is_bn, training=training, seq_len=lengths,
                                return_weights=True, weight_normalization="softmax")
        loss = tf.reduce_sum(output * cotangents[0]) + tf.reduce_sum(weights * cotangents[1])
        variables = sorted(tf.trainable_variables(), key=lambda v: v.op.name)
        grads = tf.gradients(loss, [queries, keys] + variables)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            moving = [tf.identity(v.read_value()) for v in tf.global_variables() if "moving" in v.op.name]
        return {"output": output, "weights": weights, "grads": grads, "moving": moving, "training": training}

    # inference first (no update), then a training step with its moving-statistics update
    results, values = {}, None
    for variant in (False, True):
        with tf.Graph().as_default():
            tf.set_random_seed(1)
            f = build(variant)
            with session_with_values(values) as (sess, values):
                infer = sess.run({k: f[k] for k in ("output", "weights", "grads")}, {f["training"]: False})
                train = sess.run({k: f[k] for k in ("output", "weights", "grads", "moving")})
                results[variant] = infer, train
    for mode, dense_run, fast_run in zip(("inference", "training"), results[False], results[True]):
        for key in dense_run:
            pairs = zip(dense_run[key], fast_run[key]) if key in ("grads", "moving") else [(dense_run[key],
                                                                                              fast_run[key])]
            for i, (want, got) in enumerate(pairs):
                if key == "grads" and i == 1:  # the keys: the fast form has no gradient at padding (keys are 0)
                    want, got = want[mask], got[mask]
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg="%s %s %d" % (mode, key, i))
    assert np.abs(results[True][1]["moving"][0]).max() > 1e-3  # the update ran
    with pytest.raises(ValueError, match="`zero_padded_keys=True` needs `tile_queries=False`"):
        DINModel(zero_padded_keys=True)


def test_auxiliary_first_layer_split_equals_the_concatenated_form():
    """``h @ W_h`` once per pair: the loss and every gradient (variables, interests, behaviours) equal, in
    float64, those of the graph written as the docstring states it (``dense`` of ``concat([h_t, e])``)."""
    rng = np.random.default_rng(6)
    E = 2
    hs, pos, neg = rng.normal(size=(B, T, H)), rng.normal(size=(B, T, E)), rng.normal(size=(B, T, E))
    mask = np.arange(T)[None, :] < LENGTHS[:, None]
    with tf.Graph().as_default():
        inputs = [tf.constant(x) for x in (hs, pos, neg)]
        loss = auxiliary_loss(*inputs, mask, layers=(5, 3))
        var = {v.op.name.split("/", 1)[1]: v for v in tf.global_variables()}
        pair = mask[:, 1:]

        def score(e):  # [N]
            x = tf.boolean_mask(tf.concat([inputs[0][:, :-1], e[:, 1:]], -1), pair)
            for layer in ("layer_0", "layer_1"):
                x = tf.sigmoid(tf.matmul(x, var[layer + "/kernel"]) + var[layer + "/bias"])
            return tf.matmul(x, var["logit/kernel"])[:, 0] + var["logit/bias"]

        ones = tf.ones([int(pair.sum())], tf.float64)
        want = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=ones, logits=score(inputs[1]))
                              + tf.nn.sigmoid_cross_entropy_with_logits(labels=0 * ones, logits=score(inputs[2])))
        wrt = inputs + [var[n] for n in sorted(var)]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, ref = sess.run([[loss] + tf.gradients(loss, wrt), [want] + tf.gradients(want, wrt)])
    assert sorted(var) == ["%s/%s" % (l, w) for l in ("layer_0", "layer_1", "logit") for w in ("bias", "kernel")]
    for i, (g, r) in enumerate(zip(got, ref)):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-13, err_msg=str(i))
