"""``tf1_recsys.compat.rnn_cell`` against TensorFlow's own ``tf.compat.v1.nn.rnn_cell`` (tf_keras on 2.16+, in a subprocess).

One source builds every cell under TensorFlow's own ``dynamic_rnn`` (with ``sequence_length``),
``bidirectional_dynamic_rnn``, ``static_rnn``, ``static_bidirectional_rnn`` and ``raw_rnn``:
GRU, basic RNN, basic LSTM (tuple and concatenated state, string activation), LSTM with
peepholes, cell clip, projection, projection clip and a custom initializer, a partitioned
LSTM, ``MultiRNNCell`` (tuple and concatenated states) of ``ResidualWrapper`` /
``DeviceWrapper`` cells, and ``DropoutWrapper`` (per-step and variational, seeded). It runs
with ``R = tf1_recsys.compat.rnn_cell`` here and with ``R = tf.compat.v1.nn.rnn_cell`` in one
reference process; each side's checkpoint is restored into the other: variable names and
shapes must be identical, outputs, final states and gradients (inputs and every variable)
equal to 1e-6.

The user-code tests subclass ``RNNCell`` (and ``GRUCell``) as TF1 recommendation code does, an
attention-gated GRU (DIEN's AUGRU), and check ``dynamic_rnn`` against a numpy recurrence.
"""
import importlib
import json
import sys

import numpy as np
import pytest
import tensorflow as tf2

from tests.legacy import WAIT_FOR_SOURCE, needs_reference, start_reference
from tf1_recsys import compat
from tf1_recsys._tf import tf
from tf1_recsys.compat import rnn_cell as compat_rnn_cell
from tf1_recsys.compat.rnn_cell import private as private_cells

SOURCE = '''
def build(R, tf):
    tf.set_random_seed(7)
    x = tf.placeholder(tf.float32, [None, 5, 3], name="x")
    lengths = tf.placeholder(tf.int32, [None], name="lengths")
    outs = {}

    cells = {}

    def dyn(name, cell):
        with tf.variable_scope(name):
            o, s = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)
        outs[name + "/outputs"], outs[name + "/state"] = o, s
        cells[name] = cell

    dyn("gru", R.GRUCell(4, kernel_initializer=tf.glorot_normal_initializer(seed=1)))
    dyn("basic_rnn", R.BasicRNNCell(4, activation="relu"))
    dyn("basic_lstm_concat", R.BasicLSTMCell(3, 1.0, False, tf.nn.softsign))
    dyn("lstm_all", R.LSTMCell(4, use_peepholes=True, cell_clip=0.6, initializer=tf.random_uniform_initializer(-0.6, 0.6),
                               num_proj=3, proj_clip=0.3, forget_bias=0.4))
    dyn("lstm_concat", R.LSTMCell(3, True, None, None, 2, None, None, None, 1.0, False))
    dyn("lstm_shards", R.LSTMCell(4, num_unit_shards=2, num_proj=2, num_proj_shards=2))
    dyn("multi", R.MultiRNNCell([R.GRUCell(3, tf.nn.relu, None, None, tf.constant_initializer(0.3)),
                                 R.ResidualWrapper(R.GRUCell(3)),
                                 R.DeviceWrapper(R.LSTMCell(3, use_peepholes=True), "/cpu:0")]))
    dyn("multi_concat", R.MultiRNNCell([R.BasicRNNCell(2), R.BasicLSTMCell(2, state_is_tuple=False)],
                                       state_is_tuple=False))
    dyn("dropout", R.DropoutWrapper(R.LSTMCell(3), input_keep_prob=0.7, output_keep_prob=0.8,
                                    state_keep_prob=0.6, seed=5))
    dyn("variational", R.DropoutWrapper(R.MultiRNNCell([R.LSTMCell(3), R.GRUCell(2)]), 0.8, 0.7, 0.6,
                                        variational_recurrent=True, input_size=3, dtype=tf.float32, seed=11))
    with tf.variable_scope("bidir"):
        (fw, bw), (sfw, sbw) = tf.nn.bidirectional_dynamic_rnn(R.LSTMCell(3, num_proj=2), R.GRUCell(2), x,
                                                                sequence_length=lengths, dtype=tf.float32)
    outs.update({"bidir/fw": fw, "bidir/bw": bw, "bidir/state_fw": sfw, "bidir/state_bw": sbw})
    steps = tf.unstack(x, axis=1)
    with tf.variable_scope("static"):
        cells["static"] = R.MultiRNNCell([R.BasicLSTMCell(3, forget_bias=0.5), R.GRUCell(2)])
        o, s = tf.nn.static_rnn(cells["static"], steps, dtype=tf.float32,
                                sequence_length=lengths)
    outs.update({"static/outputs": o, "static/state": s})
    with tf.variable_scope("static_bidir"):
        o, sfw, sbw = tf.nn.static_bidirectional_rnn(R.BasicRNNCell(2), R.LSTMCell(2, use_peepholes=True), steps,
                                                     dtype=tf.float32, sequence_length=lengths)
    outs.update({"static_bidir/outputs": o, "static_bidir/state_fw": sfw, "static_bidir/state_bw": sbw})
    with tf.variable_scope("raw"):
        cell = R.GRUCell(3)
        inputs_ta = tf.TensorArray(tf.float32, size=5).unstack(tf.transpose(x, [1, 0, 2]))

        def loop_fn(time, cell_output, cell_state, loop_state):
            emit = cell_output
            state = cell.zero_state(tf.shape(x)[0], tf.float32) if cell_output is None else cell_state
            finished = time >= lengths
            next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros_like(x[:, 0]),
                                 lambda: inputs_ta.read(tf.minimum(time, 4)))
            return finished, next_input, state, emit, None

        emit_ta, raw_state, _ = tf.nn.raw_rnn(cell, loop_fn)
    outs.update({"raw/outputs": emit_ta.stack(), "raw/state": raw_state})
    outs = {k: tf.nest.flatten(v) for k, v in outs.items()}
    loss = tf.add_n([tf.reduce_sum(tf.square(t)) * (0.1 + 0.01 * i)
                     for i, t in enumerate(t for k in sorted(outs) for t in outs[k])])
    variables = tf.global_variables()
    grads = tf.gradients(loss, [x] + variables)
    weights = {name: [[v.op.name for v in cell.trainable_weights], [v.op.name for v in cell.non_trainable_weights]]
               for name, cell in cells.items() if name in ("static", "multi_concat", "lstm_all")}
    return x, lengths, outs, variables, grads, weights


def open_cells(R, tf, np, data):
    """Builds the graph once; returns ``run(ckpt_in=None, ckpt_out=None)``: restore or initialise, save, evaluate."""
    g = tf.Graph()
    with g.as_default():
        x, lengths, outs, variables, grads, weights = build(R, tf)
        saver = tf.train.Saver()
        names = {"variables": sorted([v.op.name, v.shape.as_list()] for v in variables),
                 "trainable": sorted(v.op.name for v in tf.trainable_variables()), "cell_weights": weights}
        init = tf.global_variables_initializer()
    config = tf.ConfigProto()  # grappler off: seconds per graph on a shared machine, the same on both sides
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = -1
    sess = tf.Session(graph=g, config=config)

    def run(ckpt_in=None, ckpt_out=None):
        with g.as_default():
            if ckpt_in:
                saver.restore(sess, ckpt_in)
            else:
                sess.run(init)
                saver.save(sess, ckpt_out)
            values, grad_values = sess.run([outs, grads], {x: data["x"], lengths: data["lengths"]})
        result = dict(names)
        result["outputs"] = {k: [a.tolist() for a in v] for k, v in values.items()}
        result["grads"] = {"x": grad_values[0].tolist()}
        result["grads"].update({v.op.name: (gv.values.tolist() if hasattr(gv, "values") else gv.tolist())
                                for v, gv in zip(variables, grad_values[1:])})
        return result

    return run


def cell_configs(R, tf):
    """``get_config()`` of cells and wrappers (a wrapper's function: its kind only), built in a fresh graph."""
    def visitor(substate):
        return True

    with tf.Graph().as_default():
        cells = {
            "lstm": R.LSTMCell(4, use_peepholes=True, num_proj=2, initializer=tf.random_uniform_initializer(-0.1, 0.2, 4),
                               activation=tf.nn.relu, name="lstm"),
            "gru": R.GRUCell(3, kernel_initializer=tf.constant_initializer(0.5), name="gru"),
            "basic_rnn": R.BasicRNNCell(2, name="basic_rnn"), "basic_lstm": R.BasicLSTMCell(2, 0.5, name="basic_lstm"),
            "multi": R.MultiRNNCell([R.GRUCell(2, name="inner")]),
            "dropout": R.DropoutWrapper(R.LSTMCell(3, name="c1"), 0.5, 0.7, seed=3, name="dropout"),
            "dropout_fn": R.DropoutWrapper(R.GRUCell(3, name="c2"), dropout_state_filter_visitor=visitor,
                                           name="dropout_fn"),
            "residual": R.ResidualWrapper(R.GRUCell(3, name="c3"), name="residual"),
            "residual_fn": R.ResidualWrapper(R.GRUCell(3, name="c4"), lambda i, o: i + i + o, name="residual_fn"),
            "device": R.DeviceWrapper(R.BasicRNNCell(2, name="c5"), "/cpu:0", name="device"),
        }
        configs = {}
        for key, cell in cells.items():
            config = cell.get_config()
            for function_key in ("residual_fn", "dropout_fn"):
                if function_key in config:
                    del config[function_key + "_module"]  # where the source was run
                    config[function_key] = config.pop(function_key + "_type")
            for name, value in config.items():  # tf_keras adds its serialization's module under TF 2 behaviour
                if name.endswith("initializer") and isinstance(value, dict):
                    config[name] = {"class_name": value["class_name"], "config": value["config"]}
            configs[key] = config
        return configs


def checkpoint_keys(R, tf, prefix):
    """The keys ``tf.train.Checkpoint`` writes for a MultiRNNCell of wrapped LSTM and GRU cells."""
    with tf.Graph().as_default():
        cell = R.MultiRNNCell([R.DropoutWrapper(R.LSTMCell(3, use_peepholes=True, num_proj=2)),
                               R.ResidualWrapper(R.GRUCell(2))])
        tf.nn.dynamic_rnn(cell, tf.zeros([1, 2, 2]), dtype=tf.float32)
        checkpoint = tf.train.Checkpoint(model=cell)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = checkpoint.save(prefix, session=sess)
    return sorted(name for name, _ in tf.train.list_variables(path) if name.startswith("model/"))


def cell_signatures(R):
    import inspect
    names = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell", "LSTMCell",
             "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper"]
    out = {}
    for name in names:
        obj = getattr(R, name)
        fn = obj.__new__ if name == "LSTMStateTuple" else obj.__init__
        out[name] = [[p.name, repr(p.default) if isinstance(p.default, (type(None), bool, int, float, str)) else "?"]
                     for p in inspect.signature(fn).parameters.values()
                     if p.name not in ("self", "cls", "_cls") and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return out
'''

REFERENCE_SCRIPT = SOURCE + WAIT_FOR_SOURCE + '''
import json
import numpy as np
import tensorflow as tf2
tf = tf2.compat.v1
data = dict(np.load("data.npz"))
ckpt = json.load(open("ckpt.json"))
run = open_cells(tf.nn.rnn_cell, tf, np, data)
wait_for("compat_done")  # the compat checkpoint, written by the test process meanwhile
restored = run(ckpt["compat"], None)  # each side's n-th run draws the n-th dropout masks
out = {"restored": restored, "own": run(None, ckpt["reference"]), "signatures": cell_signatures(tf.nn.rnn_cell),
       "configs": cell_configs(tf.nn.rnn_cell, tf), "checkpoint_keys": checkpoint_keys(tf.nn.rnn_cell, tf, "object_ckpt/ref")}
print(json.dumps(out))
'''


def _namespace():
    namespace = {}
    exec(SOURCE, namespace)
    return namespace


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Compat results (own weights, then restored from TensorFlow's checkpoint) and TensorFlow's (both ways)."""
    work = tmp_path_factory.mktemp("rnn_cell_vs_tf")
    rng = np.random.default_rng(3)
    data = {"x": rng.normal(size=(4, 5, 3)).astype(np.float32), "lengths": np.array([5, 3, 1, 4], np.int32)}
    np.savez(work / "data.npz", **data)
    ckpt = {side: str(work / side / "model.ckpt") for side in ("compat", "reference")}
    with open(work / "ckpt.json", "w") as f:
        json.dump(ckpt, f)
    namespace = _namespace()
    with start_reference(REFERENCE_SCRIPT, work) as reference_run:  # imports TensorFlow meanwhile
        run = namespace["open_cells"](compat_rnn_cell, tf, np, data)
        own = run(None, ckpt["compat"])
        (work / "compat_done").write_text("")
        theirs = reference_run.result()
    restored = run(ckpt["reference"], None)
    return {"own": own, "restored": restored, "theirs": theirs, "namespace": namespace}


def _assert_same(ours, theirs, what):
    assert ours["variables"] == theirs["variables"], what
    assert ours["trainable"] == theirs["trainable"], what
    assert ours["cell_weights"] == theirs["cell_weights"], what
    assert sorted(ours["outputs"]) == sorted(theirs["outputs"])
    for key in ours["outputs"]:
        for i, (a, b) in enumerate(zip(ours["outputs"][key], theirs["outputs"][key])):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg="%s: %s[%d]" % (what, key, i))
    assert sorted(ours["grads"]) == sorted(theirs["grads"])
    for key in ours["grads"]:
        np.testing.assert_allclose(ours["grads"][key], theirs["grads"][key], rtol=1e-6, atol=1e-6,
                                   err_msg="%s: gradient of %s" % (what, key))


@needs_reference
def test_every_cell_matches_tensorflow_both_ways(reference):
    names = [name for name, _ in reference["own"]["variables"]]
    for expected in ["gru/rnn/gru_cell/gates/kernel", "gru/rnn/gru_cell/candidate/bias", "lstm_all/rnn/lstm_cell/w_f_diag",
                     "lstm_all/rnn/lstm_cell/projection/kernel", "multi/rnn/multi_rnn_cell/cell_0/gru_cell/gates/kernel",
                     "multi/rnn/multi_rnn_cell/cell_2/lstm_cell/w_o_diag", "lstm_shards/rnn/lstm_cell/kernel/part_1",
                     "bidir/bidirectional_rnn/fw/lstm_cell/kernel", "static/rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias",
                     "raw/rnn/gru_cell/candidate/kernel"]:
        assert expected in names
    _assert_same(reference["own"], reference["theirs"]["restored"], "TensorFlow's cells on the compat checkpoint")
    _assert_same(reference["restored"], reference["theirs"]["own"], "compat cells on TensorFlow's checkpoint")


@needs_reference
def test_constructors_have_tensorflows_signatures(reference):
    assert reference["namespace"]["cell_signatures"](compat_rnn_cell) == reference["theirs"]["signatures"]


@needs_reference
def test_tf_train_checkpoint_writes_tensorflows_keys_and_restores_a_wrapper(reference, tmp_path, graph):
    keys = reference["namespace"]["checkpoint_keys"](compat_rnn_cell, tf, str(tmp_path / "ours"))
    assert "model/cell-0/cell/kernel/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert keys == reference["theirs"]["checkpoint_keys"]
    cell = compat_rnn_cell.BasicRNNCell(1)
    wrapper = compat_rnn_cell.DropoutWrapper(cell)
    wrapper(tf.ones([1, 1]), wrapper.zero_state(1, tf.float32))
    checkpoint = tf.train.Checkpoint(wrapper=wrapper)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(cell.weights[1].assign([40.0]))
        path = checkpoint.save(str(tmp_path / "wrapper"), session=sess)
        sess.run(cell.weights[1].assign([0.0]))
        checkpoint.restore(path).assert_consumed().run_restore_ops(sess)
        assert sess.run(cell.weights[1]).tolist() == [40.0]


class _Twos(compat_rnn_cell.RNNCell):
    """Outputs 2 for every input; keeps its state."""

    state_size = output_size = 1

    def call(self, inputs, state):
        return tf.ones_like(inputs) * 2.0, state


@needs_reference
def test_get_config_is_tensorflows_and_from_config_rebuilds_cells_and_wrappers(reference, graph):
    configs = reference["namespace"]["cell_configs"](compat_rnn_cell, tf)
    assert json.loads(json.dumps(configs)) == reference["theirs"]["configs"]
    for key, name in (("lstm", "LSTMCell"), ("gru", "GRUCell"), ("basic_rnn", "BasicRNNCell"),
                      ("basic_lstm", "BasicLSTMCell")):
        assert getattr(compat_rnn_cell, name).from_config(configs[key]).get_config() == configs[key]
    config = compat_rnn_cell.ResidualWrapper(compat_rnn_cell.GRUCell(3), lambda i, o: i * 3 + o).get_config()
    config["cell"] = _Twos()  # as TensorFlow's from_config wants: the caller rebuilds the wrapped cell
    output, _ = compat_rnn_cell.ResidualWrapper.from_config(config)(tf.constant([[1.0]]), tf.zeros([1, 1]))
    with tf.Session() as sess:
        assert sess.run(output).tolist() == [[5.0]]  # the lambda, rebuilt from its code: 1 * 3 + 2


class AttentionGRUCell(compat_rnn_cell.RNNCell):
    """DIEN's AUGRU as TF1 code writes it: the update gate scaled by an attention score.

    ``inputs`` ``[batch, depth + 1]``: the step's features, then its attention score.
    Variables come from ``tf.get_variable`` in ``call`` (a plain RNNCell).
    """

    def __init__(self, num_units, reuse=None):
        super(AttentionGRUCell, self).__init__(_reuse=reuse)
        self._num_units = num_units

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def call(self, inputs, state):
        x, score = inputs[:, :-1], inputs[:, -1:]
        depth = x.shape[-1] + self._num_units
        with tf.variable_scope("gates"):
            w = tf.get_variable("kernel", [depth, 2 * self._num_units])
            b = tf.get_variable("bias", [2 * self._num_units], initializer=tf.constant_initializer(1.0))
        r, u = tf.split(tf.sigmoid(tf.matmul(tf.concat([x, state], 1), w) + b), 2, axis=1)
        with tf.variable_scope("candidate"):
            wc = tf.get_variable("kernel", [depth, self._num_units])
            bc = tf.get_variable("bias", [self._num_units], initializer=tf.zeros_initializer())
        c = tf.tanh(tf.matmul(tf.concat([x, r * state], 1), wc) + bc)
        u = score * u
        new_h = (1.0 - u) * state + u * c
        return new_h, new_h


class AttentionGRUFromGRUCell(compat_rnn_cell.GRUCell):
    """The same recurrence built on ``GRUCell.gates`` / ``GRUCell.candidate`` (how DIEN's cells reuse GRUCell)."""

    def build(self, inputs_shape):
        super(AttentionGRUFromGRUCell, self).build(tf.TensorShape(inputs_shape)[:-1].concatenate([inputs_shape[-1] - 1]))

    def call(self, inputs, state):
        x, score = inputs[:, :-1], inputs[:, -1:]
        r, u = self.gates(x, state)
        c = self.candidate(x, r * state)
        u = score * u
        new_h = (1.0 - u) * state + u * c
        return new_h, new_h


def _variable(name):
    return next(v for v in tf.global_variables() if v.op.name == name)


def _numpy_attention_gru(x, scores, lengths, w, b, wc, bc):
    """The AUGRU recurrence in numpy; outputs are zero and the state frozen past each length."""
    def sigmoid(v):
        return 1.0 / (1.0 + np.exp(-v))

    batch, steps, _ = x.shape
    units = bc.shape[0]
    h = np.zeros((batch, units))
    outputs = np.zeros((batch, steps, units))
    for t in range(steps):
        gates = sigmoid(np.concatenate([x[:, t], h], 1) @ w + b)
        r, u = gates[:, :units], gates[:, units:]
        c = np.tanh(np.concatenate([x[:, t], r * h], 1) @ wc + bc)
        u = scores[:, t:t + 1] * u
        new_h = (1.0 - u) * h + u * c
        alive = (t < lengths)[:, None]
        h = np.where(alive, new_h, h)
        outputs[:, t] = np.where(alive, new_h, 0.0)
    return outputs, h


@pytest.mark.parametrize("cell_class,scope", [(AttentionGRUCell, "attention_gru_cell"),
                                              (AttentionGRUFromGRUCell, "attention_gru_from_gru_cell")])
def test_user_subclass_attention_gru_runs_in_dynamic_rnn_like_numpy(graph, sess, rng, cell_class, scope):
    x = rng.normal(size=(3, 6, 4)).astype(np.float32)
    scores = rng.uniform(size=(3, 6)).astype(np.float32)
    lengths = np.array([6, 2, 4], np.int32)
    inputs = tf.constant(np.concatenate([x, scores[:, :, None]], 2))
    cell = cell_class(5)
    outputs, state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=tf.constant(lengths), dtype=tf.float32)
    names = ["rnn/%s/%s" % (scope, n) for n in ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias")]
    assert sorted(v.op.name for v in cell.trainable_weights) == sorted(names)
    sess.run(tf.global_variables_initializer())
    w, b, wc, bc = sess.run([_variable(n) for n in names])
    got_outputs, got_state = sess.run([outputs, state])
    want_outputs, want_state = _numpy_attention_gru(x, scores, lengths, w, b, wc, bc)
    np.testing.assert_allclose(got_outputs, want_outputs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, want_state, rtol=1e-5, atol=1e-6)


def test_wrappers_report_the_wrapped_cells_weights_and_shards_are_trainable(graph):
    """Where TensorFlow's legacy cells report nothing (docs/MIGRATION.md, deliberate differences)."""
    R = compat_rnn_cell
    inner = R.LSTMCell(2, num_unit_shards=2)
    cell = R.MultiRNNCell([R.DropoutWrapper(inner, 0.5), R.ResidualWrapper(R.GRUCell(2)), R.DeviceWrapper(R.GRUCell(2), "/cpu:0")])
    tf.nn.dynamic_rnn(cell, tf.zeros([2, 4, 2]), dtype=tf.float32)
    assert [v.op.name for v in inner.trainable_weights] == [
        "rnn/multi_rnn_cell/cell_0/lstm_cell/kernel/part_0", "rnn/multi_rnn_cell/cell_0/lstm_cell/kernel/part_1",
        "rnn/multi_rnn_cell/cell_0/lstm_cell/bias"]
    assert sorted(v.op.name for v in cell.trainable_weights) == sorted(v.op.name for v in tf.trainable_variables())
    assert cell.non_trainable_weights == []


def test_install_puts_the_cells_in_tf_compat_v1_nn_rnn_cell_and_uninstall_restores(graph):
    import tensorflow.compat.v1 as v1

    before = tf2.compat.v1.nn.rnn_cell
    compat.install()
    try:
        assert tf2.compat.v1.nn.rnn_cell is compat_rnn_cell and v1.nn.rnn_cell.GRUCell is compat_rnn_cell.GRUCell
        from tensorflow.compat.v1.nn.rnn_cell import LSTMCell  # noqa: the import form TF1 code uses

        assert LSTMCell is compat_rnn_cell.LSTMCell
        assert sys.modules["tensorflow.compat.v1.nn.rnn_cell"] is compat_rnn_cell
        outputs, _ = v1.nn.dynamic_rnn(v1.nn.rnn_cell.GRUCell(2), tf.zeros([1, 3, 2]), dtype=tf.float32)
        assert outputs.shape.as_list() == [1, 3, 2]
    finally:
        compat.uninstall()
    assert tf2.compat.v1.nn.rnn_cell is before
    assert sys.modules.get("tensorflow.compat.v1.nn.rnn_cell") is not compat_rnn_cell


DIEN_STYLE = '''
from tensorflow.python.ops.rnn_cell import *
from tensorflow.python.ops.rnn_cell_impl import _Linear
from tensorflow.python.ops import rnn_cell_impl, array_ops, control_flow_ops, math_ops
from tensorflow.python.util import nest
_like_rnncell = rnn_cell_impl._like_rnncell


class VecAttGRUCell(RNNCell):
    def __init__(self, num_units, reuse=None):
        super(VecAttGRUCell, self).__init__(_reuse=reuse)
        self._num_units = num_units
        self._gate_linear = None
        self._candidate_linear = None

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def __call__(self, inputs, state, att_score):
        return self.call(inputs, state, att_score)

    def call(self, inputs, state, att_score=None):
        if self._gate_linear is None:
            with vs.variable_scope("gates"):
                self._gate_linear = _Linear([inputs, state], 2 * self._num_units, True,
                                            bias_initializer=init_ops.constant_initializer(1.0))
        r, u = array_ops.split(math_ops.sigmoid(self._gate_linear([inputs, state])), 2, axis=1)
        if self._candidate_linear is None:
            with vs.variable_scope("candidate"):
                self._candidate_linear = _Linear([inputs, r * state], self._num_units, True)
        c = math_ops.tanh(self._candidate_linear([inputs, r * state]))
        u = att_score * u
        new_h = (1.0 - u) * state + u * c
        return new_h, new_h


def run_copied_loop(cell, x, scores):
    """A while_loop over time as copied rnn.py writes it, with the moved control_flow_ops/array_ops names."""
    assert _like_rnncell(cell) and nest.is_sequence((1, 2))
    steps = array_ops.unstack(array_ops.transpose(x, [1, 0, 2]))
    step_scores = array_ops.unstack(array_ops.transpose(scores, [1, 0, 2]))
    h = array_ops.zeros([x.shape[0], cell.output_size])
    outputs = []
    with vs.variable_scope("rnn"):
        for t, (x_t, s_t) in enumerate(zip(steps, step_scores)):
            if t > 0:
                vs.get_variable_scope().reuse_variables()
            o, h = cell(x_t, h, s_t)
            outputs.append(o)
    i0 = control_flow_ops.while_loop(lambda i: i < 3, lambda i: i + 1, [array_ops.constant(0)])
    checked = control_flow_ops.cond(i0 > 2, lambda: array_ops.stack(outputs, 1), lambda: array_ops.stack(outputs, 1))
    return checked, h
'''


def test_private_names_opt_in_runs_copied_tf1_code_and_uninstall_removes_them(graph, sess, rng):
    rnn_cell_impl = importlib.import_module("tensorflow.python.ops.rnn_cell_impl")
    control_flow_ops = importlib.import_module("tensorflow.python.ops.control_flow_ops")
    had_while_loop = hasattr(control_flow_ops, "while_loop")
    compat.install()
    try:
        assert not hasattr(rnn_cell_impl, "_Linear")  # only behind the opt-in
    finally:
        compat.uninstall()
    compat.install(private_names=True)
    try:
        namespace = {"vs": tf2.compat.v1, "init_ops": tf2.compat.v1}
        namespace["vs"] = importlib.import_module("tensorflow.python.ops.variable_scope")
        namespace["init_ops"] = importlib.import_module("tensorflow.python.ops.init_ops")
        exec(DIEN_STYLE, namespace)
        # the public classes but for the graph-seeded default initializer (test_compat_default_initializer.py)
        assert namespace["RNNCell"] is private_cells.RNNCell and namespace["GRUCell"] is private_cells.GRUCell
        assert issubclass(private_cells.GRUCell, compat_rnn_cell.GRUCell)
        x = rng.normal(size=(2, 4, 3)).astype(np.float32)
        scores = rng.uniform(size=(2, 4)).astype(np.float32)
        outputs, state = namespace["run_copied_loop"](namespace["VecAttGRUCell"](5), tf.constant(x),
                                                      tf.constant(scores[:, :, None]))
        names = ["rnn/gates/kernel", "rnn/gates/bias", "rnn/candidate/kernel", "rnn/candidate/bias"]
        assert sorted(v.op.name for v in tf.global_variables()) == sorted(names)
        sess.run(tf.global_variables_initializer())
        w, b, wc, bc = sess.run([_variable(n) for n in names])
        got_outputs, got_state = sess.run([outputs, state])
    finally:
        compat.uninstall()
    want_outputs, want_state = _numpy_attention_gru(x, scores, np.array([4, 4]), w, b, wc, bc)
    np.testing.assert_allclose(got_outputs, want_outputs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_state, want_state, rtol=1e-5, atol=1e-6)
    assert not hasattr(rnn_cell_impl, "_Linear") and not hasattr(rnn_cell_impl, "_like_rnncell")
    assert hasattr(control_flow_ops, "while_loop") == had_while_loop
    rnn_cell = importlib.import_module("tensorflow.python.ops.rnn_cell")  # first imported by the install above
    assert rnn_cell.GRUCell is not compat_rnn_cell.GRUCell and rnn_cell_impl.GRUCell is not compat_rnn_cell.GRUCell


def test_bad_inputs_raise_one_clear_error(graph):
    with pytest.raises(ValueError, match="only supports floating point inputs"):
        tf.nn.dynamic_rnn(compat_rnn_cell.GRUCell(2), tf.zeros([1, 3, 2], tf.int32), dtype=tf.int32)
    with pytest.raises(ValueError, match=r"Expected inputs.shape\[-1\] to be known"):
        compat_rnn_cell.LSTMCell(2)(tf.placeholder(tf.float32, [None, None]), compat_rnn_cell.LSTMStateTuple(
            tf.zeros([1, 2]), tf.zeros([1, 2])))
    with pytest.raises(TypeError, match="is not an RNNCell"):
        compat_rnn_cell.DropoutWrapper(object())
    with pytest.raises(ValueError, match="must be between 0 and 1"):
        compat_rnn_cell.DropoutWrapper(compat_rnn_cell.GRUCell(2), input_keep_prob=1.5)
    with pytest.raises(ValueError, match="state_is_tuple is not set"):
        compat_rnn_cell.MultiRNNCell([compat_rnn_cell.LSTMCell(2)], state_is_tuple=False)
