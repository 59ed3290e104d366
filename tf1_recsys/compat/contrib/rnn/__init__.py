"""Keras-free ``tf.contrib.rnn`` (TensorFlow 1.15): the core cells it re-exported and contrib's own cells.

- the cells of ``tf.compat.v1.nn.rnn_cell`` (``tf1_recsys.compat.rnn_cell``) and TensorFlow's
  ``static_rnn``, ``static_bidirectional_rnn``, ``static_state_saving_rnn``, as 1.15's
  ``tf.contrib.rnn`` re-exported them;
- fused kernels: ``LSTMBlockCell``, ``LSTMBlockFusedCell``, ``LSTMBlockWrapper``,
  ``GRUBlockCell``, ``GRUBlockCellV2`` (``block_cells``);
- ``LayerNormBasicLSTMCell``, ``AttentionCellWrapper`` (``cells``).

Not provided (``docs/MIGRATION.md``): contrib's other research cells (GridLSTMCell, NASCell,
PhasedLSTMCell, ConvLSTMCell, ...), ``stack_bidirectional_(dynamic_)rnn`` and the cuDNN cells.
"""
import tensorflow as _tensorflow

from tf1_recsys.compat.contrib.rnn.block_cells import (
    GRUBlockCell, GRUBlockCellV2, LSTMBlockCell, LSTMBlockFusedCell, LSTMBlockWrapper,
)
from tf1_recsys.compat.contrib.rnn.cells import AttentionCellWrapper, LayerNormBasicLSTMCell
from tf1_recsys.compat.rnn_cell import (
    BasicLSTMCell, BasicRNNCell, DeviceWrapper, DropoutWrapper, GRUCell, LSTMCell, LSTMStateTuple, MultiRNNCell,
    ResidualWrapper, RNNCell,
)

static_rnn = _tensorflow.compat.v1.nn.static_rnn
static_bidirectional_rnn = _tensorflow.compat.v1.nn.static_bidirectional_rnn
static_state_saving_rnn = _tensorflow.compat.v1.nn.static_state_saving_rnn

__all__ = [
    "AttentionCellWrapper", "BasicLSTMCell", "BasicRNNCell", "DeviceWrapper", "DropoutWrapper", "GRUBlockCell",
    "GRUBlockCellV2", "GRUCell", "LSTMBlockCell", "LSTMBlockFusedCell", "LSTMBlockWrapper", "LSTMCell",
    "LSTMStateTuple", "LayerNormBasicLSTMCell", "MultiRNNCell", "RNNCell", "ResidualWrapper", "static_rnn",
    "static_bidirectional_rnn", "static_state_saving_rnn",
]
