"""``tf1_recsys.compat.contrib.rnn``: contrib's own cells (TensorFlow 1.15's, which no installable TensorFlow has).

The fused-kernel cells run TensorFlow's own ``LSTMBlockCell`` / ``BlockLSTM`` / ``GRUBlockCell``
kernels; they are checked against the core ``LSTMCell`` / ``GRUCell`` (which
test_compat_rnn_cell.py checks against TensorFlow's cells) *on the same variables*: the fused
cell is built with ``reuse=True`` in the core cell's scope, so a different variable name or
shape fails, and outputs, final states and gradients must agree to 1e-5.
``LayerNormBasicLSTMCell`` and ``AttentionCellWrapper`` are checked against numpy recurrences.
"""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.compat import contrib, rnn_cell
from tf1_recsys.compat.contrib import rnn as contrib_rnn


def _variable(name):
    return next(v for v in tf.global_variables() if v.op.name == name)


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


@pytest.fixture
def sequences(rng):
    return rng.normal(size=(4, 6, 3)).astype(np.float32), np.array([6, 2, 0, 5], np.int32)


def _same(sess, fetches_a, fetches_b, feed):
    a, b = sess.run([fetches_a, fetches_b], feed)
    for x, y in zip(tf.nest.flatten(a), tf.nest.flatten(b)):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)


def test_fused_lstm_cells_match_lstm_cell_on_its_variables(graph, sess, sequences):
    data, lengths = sequences
    x = tf.placeholder(tf.float32, [None, 6, 3])
    seq = tf.placeholder(tf.int32, [None])
    with tf.variable_scope("m"):
        ref_out, ref_state = tf.nn.dynamic_rnn(
            rnn_cell.LSTMCell(5, use_peepholes=True, cell_clip=0.8, forget_bias=0.6), x, sequence_length=seq,
            dtype=tf.float32)
    with tf.variable_scope("m", reuse=True):
        blk_out, blk_state = tf.nn.dynamic_rnn(
            contrib_rnn.LSTMBlockCell(5, forget_bias=0.6, cell_clip=0.8, use_peephole=True), x, sequence_length=seq,
            dtype=tf.float32)
        with tf.variable_scope("rnn"):
            fused = contrib_rnn.LSTMBlockFusedCell(5, forget_bias=0.6, cell_clip=0.8, use_peephole=True,
                                                   name="lstm_cell")
            fused_out, fused_state = fused(tf.transpose(x, [1, 0, 2]), sequence_length=seq, dtype=tf.float32)
            fused_out = tf.transpose(fused_out, [1, 0, 2])
    names = sorted(v.op.name for v in tf.global_variables())
    assert names == sorted("m/rnn/lstm_cell/" + n for n in ("kernel", "bias", "w_f_diag", "w_i_diag", "w_o_diag"))
    variables = tf.global_variables()

    def grads(out, state):  # built before the first run: a while loop's gradient cannot be added after it ran
        return tf.gradients(tf.reduce_sum(tf.square(out)) + tf.reduce_sum(state.c), [x] + variables)

    ref_grads, blk_grads, fused_grads = grads(ref_out, ref_state), grads(blk_out, blk_state), grads(fused_out,
                                                                                                   fused_state)
    sess.run(tf.global_variables_initializer())
    feed = {x: data, seq: lengths}
    _same(sess, [ref_out, ref_state, ref_grads], [blk_out, blk_state, blk_grads], feed)
    _same(sess, [ref_out, ref_state, ref_grads], [fused_out, fused_state, fused_grads], feed)


def test_gru_block_cells_match_gru_cell_on_its_variables(graph, sess, sequences):
    data, lengths = sequences
    x = tf.placeholder(tf.float32, [None, 6, 3])
    seq = tf.placeholder(tf.int32, [None])
    with tf.variable_scope("g"):
        ref_out, ref_state = tf.nn.dynamic_rnn(rnn_cell.GRUCell(4), x, sequence_length=seq, dtype=tf.float32)
    with tf.variable_scope("g", reuse=True):
        out, state = tf.nn.dynamic_rnn(contrib_rnn.GRUBlockCellV2(4), x, sequence_length=seq, dtype=tf.float32)
    with tf.variable_scope("v1"):
        v1_cell = contrib_rnn.GRUBlockCell(cell_size=4)
        v1_out, v1_state = tf.nn.dynamic_rnn(v1_cell, x, sequence_length=seq, dtype=tf.float32)
    assert sorted(v.op.name for v in v1_cell.trainable_weights) == sorted(
        "v1/rnn/gru_cell/" + n for n in ("w_ru", "b_ru", "w_c", "b_c"))
    core = [_variable("g/rnn/gru_cell/" + n) for n in ("gates/kernel", "gates/bias", "candidate/kernel",
                                                        "candidate/bias")]
    ref_grads = tf.gradients(tf.reduce_sum(tf.square(ref_out)), [x] + core)
    grads = tf.gradients(tf.reduce_sum(tf.square(out)), [x] + core)
    sess.run(tf.global_variables_initializer())
    sess.run([tf.assign(_variable("v1/rnn/gru_cell/" + n), c) for n, c in zip(("w_ru", "b_ru", "w_c", "b_c"), core)])
    feed = {x: data, seq: lengths}
    _same(sess, [ref_out, ref_state], [out, state], feed)
    _same(sess, [ref_out, ref_state], [v1_out, v1_state], feed)
    _same(sess, ref_grads, grads, feed)
    with pytest.raises(ValueError, match="Exactly one of num_units or cell_size"):
        contrib_rnn.GRUBlockCell(4, cell_size=4)


def _numpy_layer_norm(v, gamma, beta):
    mean = v.mean(1, keepdims=True)
    var = v.var(1, keepdims=True)
    return (v - mean) / np.sqrt(var + 1e-12) * gamma + beta


def test_layer_norm_basic_lstm_cell_matches_numpy(graph, sess, sequences):
    data, _ = sequences
    cell = contrib_rnn.LayerNormBasicLSTMCell(4, forget_bias=0.5, norm_gain=1.3, norm_shift=0.1)
    out, state = tf.nn.dynamic_rnn(cell, tf.constant(data), dtype=tf.float32)
    prefix = "rnn/layer_norm_basic_lstm_cell/"
    parts = ("input", "transform", "forget", "output", "state")
    want = [prefix + "kernel"] + [prefix + p + "/" + g for p in parts for g in ("gamma", "beta")]
    assert sorted(v.op.name for v in cell.trainable_weights) == sorted(want)
    sess.run(tf.global_variables_initializer())
    kernel = sess.run(_variable(prefix + "kernel"))
    norms = {p: sess.run([_variable(prefix + p + "/gamma"), _variable(prefix + p + "/beta")]) for p in parts}
    got_out, got_state = sess.run([out, state])
    c = h = np.zeros((4, 4))
    for t in range(data.shape[1]):
        i, j, f, o = np.split(np.concatenate([data[:, t], h], 1) @ kernel, 4, axis=1)
        i, j, f, o = (_numpy_layer_norm(v, *norms[p]) for v, p in zip((i, j, f, o), parts))
        c = _numpy_layer_norm(c * _sigmoid(f + 0.5) + _sigmoid(i) * np.tanh(j), *norms["state"])
        h = np.tanh(c) * _sigmoid(o)
        np.testing.assert_allclose(got_out[:, t], h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_state.c, c, rtol=1e-4, atol=1e-5)


def test_attention_cell_wrapper_matches_numpy(graph, sess, sequences):
    data, _ = sequences
    length, size = 3, 4
    cell = contrib_rnn.AttentionCellWrapper(rnn_cell.GRUCell(size), attn_length=length, state_is_tuple=True)
    out, state = tf.nn.dynamic_rnn(cell, tf.constant(data), dtype=tf.float32)
    prefix = "rnn/attention_cell_wrapper/"
    names = {v.op.name: v.shape.as_list() for v in tf.global_variables()}
    assert names == {
        prefix + "kernel": [3 + size, 3], prefix + "bias": [3],
        prefix + "gru_cell/gates/kernel": [3 + size, 2 * size], prefix + "gru_cell/gates/bias": [2 * size],
        prefix + "gru_cell/candidate/kernel": [3 + size, size], prefix + "gru_cell/candidate/bias": [size],
        prefix + "attention/attn_w": [1, 1, size, size], prefix + "attention/attn_v": [size],
        prefix + "attention/kernel": [size, size], prefix + "attention/bias": [size],
        prefix + "attn_output_projection/kernel": [2 * size, size], prefix + "attn_output_projection/bias": [size]}
    sess.run(tf.global_variables_initializer())
    w = {n: sess.run(_variable(n)) for n in names}
    got_out = sess.run(out)
    batch = data.shape[0]
    h = np.zeros((batch, size))
    attns = np.zeros((batch, size))
    window = np.zeros((batch, length, size))
    for t in range(data.shape[1]):
        x = np.concatenate([data[:, t], attns], 1) @ w[prefix + "kernel"] + w[prefix + "bias"]
        gates = _sigmoid(np.concatenate([x, h], 1) @ w[prefix + "gru_cell/gates/kernel"]
                         + w[prefix + "gru_cell/gates/bias"])
        r, u = gates[:, :size], gates[:, size:]
        cand = np.tanh(np.concatenate([x, r * h], 1) @ w[prefix + "gru_cell/candidate/kernel"]
                       + w[prefix + "gru_cell/candidate/bias"])
        h = u * h + (1 - u) * cand
        features = window @ w[prefix + "attention/attn_w"][0, 0]
        query = h @ w[prefix + "attention/kernel"] + w[prefix + "attention/bias"]
        scores = (w[prefix + "attention/attn_v"] * np.tanh(features + query[:, None, :])).sum(2)
        weights = np.exp(scores - scores.max(1, keepdims=True))
        weights /= weights.sum(1, keepdims=True)
        attns = (weights[:, :, None] * window).sum(1)
        output = (np.concatenate([h, attns], 1) @ w[prefix + "attn_output_projection/kernel"]
                  + w[prefix + "attn_output_projection/bias"])
        window = np.concatenate([window[:, 1:], output[:, None, :]], 1)
        np.testing.assert_allclose(got_out[:, t], output, rtol=1e-4, atol=1e-5)


def test_contrib_rnn_reexports_the_core_cells_and_is_an_attribute_of_contrib():
    assert contrib.rnn is contrib_rnn
    for name in ("GRUCell", "LSTMCell", "BasicLSTMCell", "BasicRNNCell", "MultiRNNCell", "DropoutWrapper",
                 "ResidualWrapper", "DeviceWrapper", "LSTMStateTuple", "RNNCell"):
        assert getattr(contrib_rnn, name) is getattr(rnn_cell, name)
    assert contrib_rnn.static_rnn is tf.nn.static_rnn
