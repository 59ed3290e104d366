"""``packed_dynamic_rnn`` against TensorFlow's own ``tf.nn.dynamic_rnn``: the same cell object (so the same
variables) run by both in one graph, float64; outputs, final states and the gradients with respect to the
inputs, the initial state and every variable must agree, for lengths with 0, T and more than T."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.compat.rnn_cell import GRUCell, LSTMCell
from tf1_recsys.layers import AGRUCell, AIGRUCell, AUGRUCell, interest_evolution, interest_extractor
from tf1_recsys.layers.packed_rnn import packed_dynamic_rnn

B, T, D, H = 7, 5, 3, 4
LENGTHS = {
    "mixed": np.array([0, 3, 5, 1, 0, 2, 4]),  # row 0 empty, ties, the maximum
    "longer": np.array([5, 9, 2, 2, 0, 5, 1]),  # a length beyond T runs T steps, as dynamic_rnn
    "empty": np.zeros(B, np.int64),  # no step at all: zero outputs, the initial state
}
CELLS = {
    "GRUCell": (lambda: GRUCell(H, dtype=tf.float64), False),
    "LSTMCell": (lambda: LSTMCell(H, dtype=tf.float64), False),  # a tuple state
    "AUGRU": (lambda: AUGRUCell(H, dtype=tf.float64), True),  # the attention score as the last column
    "AGRU": (lambda: AGRUCell(H, dtype=tf.float64), True),
    "AIGRU": (lambda: AIGRUCell(H, dtype=tf.float64), True),
}
CASES = [("GRUCell", "mixed", False), ("GRUCell", "longer", True), ("GRUCell", "empty", False),
         ("LSTMCell", "mixed", True), ("LSTMCell", "longer", False), ("AUGRU", "mixed", False),
         ("AUGRU", "longer", True), ("AGRU", "mixed", True), ("AIGRU", "longer", False)]


def both_runs(cell_name, lengths_name, time_major):
    """One graph: the cell run by ``packed_dynamic_rnn`` (first: it creates the variables) and by
    ``tf.nn.dynamic_rnn``; returns each run's [outputs, final state..., gradients...] and the variable names
    of the packed run alone and of a graph with ``dynamic_rnn`` alone."""
    make, scored = CELLS[cell_name]
    rng = np.random.default_rng(len(CASES) * T + sorted(CELLS).index(cell_name))
    xs = rng.normal(size=(B, T, D + scored))
    if scored:
        xs[:, :, -1] = rng.uniform(0.05, 0.95, (B, T))
    with tf.Graph().as_default():
        tf.nn.dynamic_rnn(make(), tf.constant(xs), sequence_length=LENGTHS[lengths_name],
                          dtype=tf.float64)
        dynamic_names = sorted(v.op.name for v in tf.global_variables())
    with tf.Graph().as_default():
        x = tf.constant(xs)
        cell = make()
        h0 = tf.nest.map_structure(lambda size: tf.constant(rng.normal(size=(B, size))), cell.state_size)
        steps = tf.transpose(x, [1, 0, 2]) if time_major else x
        packed = packed_dynamic_rnn(cell, steps, LENGTHS[lengths_name], h0, time_major=time_major)
        packed_names = sorted(v.op.name for v in tf.global_variables())
        dynamic = tf.nn.dynamic_rnn(cell, steps, LENGTHS[lengths_name], h0, time_major=time_major, scope="rnn")
        variables = tf.trainable_variables()
        weights = rng.normal(size=packed[0].shape.as_list())
        fetched = []
        for outs, final in (packed, dynamic):
            loss = tf.reduce_sum(outs * weights) + sum(tf.reduce_sum(s ** 3) for s in tf.nest.flatten(final))
            fetched.append([outs] + tf.nest.flatten(final)
                           + tf.gradients(loss, [x] + tf.nest.flatten(h0) + variables))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(fetched), packed_names, dynamic_names


@pytest.fixture(scope="module")
def runs():
    return {case: both_runs(*case) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=["-".join(map(str, c)) for c in CASES])
def test_packed_matches_dynamic_rnn(runs, case):
    (packed, dynamic), packed_names, dynamic_names = runs[case]
    assert packed_names == dynamic_names  # rnn/<cell name>/..., as dynamic_rnn creates them
    assert len(packed) == len(dynamic)
    for got, want in zip(packed, dynamic):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    outs = packed[0] if not case[2] else np.transpose(packed[0], [1, 0, 2])
    lengths = LENGTHS[case[1]]
    assert np.all(outs[np.arange(T)[None, :] >= lengths[:, None]] == 0)  # 0 past each length


def test_packed_needs_the_dtype_or_a_state_and_a_vector_of_lengths():
    with tf.Graph().as_default():
        x = tf.zeros([2, 3, 1])
        with pytest.raises(ValueError, match="you must give a dtype"):
            packed_dynamic_rnn(GRUCell(2), x, [1, 2])
        with pytest.raises(ValueError, match=r"`sequence_length` must be a vector \[batch\]; got shape \(2, 1\)"):
            packed_dynamic_rnn(GRUCell(2), x, [[1], [2]], dtype=tf.float32)
        with pytest.raises(ValueError, match=r"`inputs` must have rank >= 3 \(\[batch, time, \.\.\.\]\); got shape"):
            packed_dynamic_rnn(GRUCell(2), tf.zeros([2, 3]), [1, 2], dtype=tf.float32)
        with pytest.raises(TypeError, match="'cell'"):
            packed_dynamic_rnn(object(), x, [1, 2], dtype=tf.float32)


def test_packed_gradients_survive_a_copy_of_the_graph():
    """The row moves' gradient is registered by name: a graph exported and imported differentiates as built."""
    rng = np.random.default_rng(3)
    xs = rng.normal(size=(4, 3, 2))
    with tf.Graph().as_default():
        x = tf.constant(xs, name="x")
        outs, final = packed_dynamic_rnn(GRUCell(2, dtype=tf.float64), x, [3, 0, 1, 2], dtype=tf.float64)
        loss = tf.add(tf.reduce_sum(outs * np.arange(2.0)), tf.reduce_sum(final ** 2), name="loss")
        want_grad = tf.gradients(loss, x)[0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            values = {v.op.name: sess.run(v) for v in tf.global_variables()}
            want = sess.run(want_grad)
        meta = tf.train.export_meta_graph()
    with tf.Graph().as_default() as g:
        tf.train.import_meta_graph(meta)
        got_grad = tf.gradients(g.get_tensor_by_name("loss:0"), g.get_tensor_by_name("x:0"))[0]
        with tf.Session() as sess:
            for v in tf.global_variables():
                v.load(values[v.op.name], sess)
            np.testing.assert_allclose(sess.run(got_grad), want, rtol=1e-12)


def test_dien_layers_packed_or_dynamic_rnn_compute_the_same():
    """``interest_extractor`` and ``interest_evolution`` with ``packed=False`` (``tf.nn.dynamic_rnn``) and the
    default (packed where the loops are TensorFlow 2's, as here), the same variables: interests, final
    interest, gradients. (With TF1's loops the default is ``dynamic_rnn``: test_golden_graphs' dien_interest.)"""
    rng = np.random.default_rng(4)
    mask = np.arange(T)[None, :] < LENGTHS["mixed"][:, None]
    with tf.Graph().as_default():
        x, q = tf.constant(rng.normal(size=(B, T, D))), tf.constant(rng.normal(size=(B, 2)))
        runs, names = [], []
        for packed in (None, False):
            with tf.variable_scope("dien", reuse=tf.AUTO_REUSE):
                interests, _ = interest_extractor(x, mask, H, packed=packed)
                final, _ = interest_evolution(interests, q, mask, attention_layers=(5, 3), packed=packed)
            loss = tf.reduce_sum(interests ** 2) + tf.reduce_sum(final * np.arange(H))
            runs.append([interests, final] + tf.gradients(loss, [x, q] + tf.trainable_variables()))
            names.append(sorted(v.op.name for v in tf.global_variables()))
            if packed is None:
                assert any(op.type == "TensorListSplit" for op in tf.get_default_graph().get_operations())
        assert names[0] == names[1]  # the second build reused every variable of the first
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            packed, dynamic = sess.run(runs)
    for got, want in zip(packed, dynamic):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
