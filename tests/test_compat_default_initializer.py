"""A weight created without initializer: TensorFlow's numbers under either behaviour (the DIEN/DIN trial).

Public TF1 programs (DIEN, DeepInterestNetwork) leave ``kernel_initializer`` unset. TensorFlow's
``tf.compat.v1.layers`` and ``tf.compat.v1.nn.rnn_cell`` cells then use, under TF 2 behaviour, Keras'
Glorot uniform seeded from Python's ``random`` (one draw per weight), and ``get_variable``'s
graph-seeded one after ``disable_v2_behavior()``; the cells of TensorFlow's private ``rnn_cell``
module keep ``get_variable``'s in both. One reference run of TensorFlow's own layers (natively on
2.12-2.15, through tf_keras on 2.16+) builds layers and cells of both modules under each behaviour;
ours, installed, must give the same initial values and leave Python's ``random`` where TensorFlow's
leaves it.
"""
import random

import numpy as np
import pytest
from tensorflow.python import tf2

from tf1_recsys._tf import tf
from tf1_recsys import compat
from tf1_recsys.compat.rnn_cell import private
from tests.legacy import needs_reference, run_reference

BUILD = """
def build(layers, cells, private):
    tf.set_random_seed(3)
    random.seed(7)
    x = tf.placeholder(tf.float32, [None, 2, 3])
    layers.dense(x, 4, name="d")
    layers.dense(x, 4, kernel_initializer=tf.ones_initializer(), name="d_given")
    with tf.variable_scope("outer", initializer=tf.ones_initializer()):  # a scope's initializer comes first
        layers.dense(x, 4, name="d_scope")
    layers.conv1d(x, 2, 2, name="c")
    layers.separable_conv1d(x, 2, 2, name="s")
    for scope, cell in (("pub_gru", cells.GRUCell(2)), ("priv_gru", private.GRUCell(2)),
                        ("lstm", cells.LSTMCell(2, num_proj=3, use_peepholes=True)),
                        ("basic_lstm", cells.BasicLSTMCell(2)), ("basic_rnn", cells.BasicRNNCell(2)),
                        ("priv_lstm", private.LSTMCell(2, num_proj=3))):
        with tf.variable_scope(scope):
            tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    after = random.random()
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        return {"vars": {v.op.name: s.run(v).tolist() for v in tf.global_variables()}, "after": after}
"""

REFERENCE_SCRIPT = """
import json, random
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
from tensorflow.python.ops import rnn_cell as private_rnn_cell  # TensorFlow's internal cells
""" + BUILD + """
out = {}
for mode in ("tf2", "v1"):
    if mode == "v1":
        tf.disable_v2_behavior()
    with tf.Graph().as_default():
        out[mode] = build(tf.layers, tf.nn.rnn_cell, private_rnn_cell)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def theirs(tmp_path_factory):
    return run_reference(REFERENCE_SCRIPT, tmp_path_factory.mktemp("default_initializer"))


def _ours(tf2_on):
    namespace = {"tf": tf, "random": random}
    exec(BUILD, namespace)
    was_on, state = tf2.enabled(), random.getstate()
    (tf2.enable if tf2_on else tf2.disable)()
    compat.install()
    try:
        with tf.Graph().as_default():
            return namespace["build"](compat.layers, compat.rnn_cell, private)
    finally:
        compat.uninstall()
        (tf2.enable if was_on else tf2.disable)()
        random.setstate(state)


@needs_reference
@pytest.mark.parametrize("mode", ["tf2", "v1"])
def test_default_kernels_and_python_random_as_tensorflow(theirs, mode):
    ours = _ours(mode == "tf2")
    assert sorted(ours["vars"]) == sorted(theirs[mode]["vars"])
    for name, value in theirs[mode]["vars"].items():
        np.testing.assert_allclose(ours["vars"][name], value, rtol=0, atol=1e-7, err_msg=name)
    assert ours["after"] == theirs[mode]["after"]  # as many draws of Python's random as TensorFlow
    random.seed(7)
    # dense, conv1d, separable (2), GRU (2), LSTM (kernel, 3 peepholes, projection), BasicLSTM, BasicRNN
    draws = 13 if mode == "tf2" else 0
    for _ in range(draws):
        random.randint(1, int(1e9))
    assert ours["after"] == random.random()


def test_without_install_the_default_stays_graph_seeded():
    """tf1_recsys' own models: reproducible from the graph seed, whatever Python's random holds."""
    values, was_on = [], tf2.enabled()
    tf2.enable()  # TF 2 behaviour, where an installed drop-in would draw from Python's random
    for python_seed in (1, 2):
        with tf.Graph().as_default():
            tf.set_random_seed(5)
            random.seed(python_seed)
            compat.layers.dense(tf.zeros([1, 3]), 2, name="d")
            with tf.Session() as s:
                s.run(tf.global_variables_initializer())
                values.append(s.run(tf.trainable_variables()[0]))
    (tf2.enable if was_on else tf2.disable)()
    np.testing.assert_array_equal(values[0], values[1])


def test_contrib_cells_keep_the_graph_seeded_default():
    """tf.contrib exists only in TF 1.x, whose cells took get_variable's default: no draw from Python's random."""
    from tf1_recsys.compat.contrib.rnn import GRUBlockCell, LSTMBlockCell

    was_on, state = tf2.enabled(), random.getstate()
    tf2.enable()
    compat.install(contrib=True)
    try:
        with tf.Graph().as_default():
            x = tf.zeros([1, 2, 3])
            for scope, cell in (("gru", GRUBlockCell(2)), ("lstm", LSTMBlockCell(2, use_peephole=True))):
                with tf.variable_scope(scope):
                    tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
            random.seed(7)
            before = random.getstate()
            with tf.variable_scope("again"):
                tf.nn.dynamic_rnn(GRUBlockCell(2), x, dtype=tf.float32)
            assert random.getstate() == before
            types = {op.type for op in tf.get_default_graph().get_operations()}
            assert "RandomUniform" in types and "StatelessRandomUniformV2" not in types
    finally:
        compat.uninstall()
        (tf2.enable if was_on else tf2.disable)()
        random.setstate(state)
