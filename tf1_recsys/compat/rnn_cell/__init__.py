"""Keras-free ``tf.compat.v1.nn.rnn_cell``: the same classes, signatures and variable names, on ``get_variable``.

``tf1_recsys.compat.install()`` makes ``tf.compat.v1.nn.rnn_cell`` resolve here; TensorFlow's
own ``dynamic_rnn``, ``static_rnn``, ``bidirectional_dynamic_rnn`` and ``raw_rnn`` take these
cells as they are. Graph mode only.
"""
from tf1_recsys.compat.rnn_cell.base import LayerRNNCell, LSTMStateTuple, RNNCell
from tf1_recsys.compat.rnn_cell.cells import BasicLSTMCell, BasicRNNCell, GRUCell, LSTMCell
from tf1_recsys.compat.rnn_cell.wrappers import DeviceWrapper, DropoutWrapper, MultiRNNCell, ResidualWrapper

# The names tf.compat.v1.nn.rnn_cell exports (TensorFlow 2.12-2.21).
__all__ = ["BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUCell", "LSTMCell",
           "LSTMStateTuple", "MultiRNNCell", "RNNCell", "ResidualWrapper"]
