"""Keras-free ``tf.contrib.layers``: the pieces TF1 recommendation code used, with contrib's variable names.

Not provided: the other contrib layers (conv2d, separable_conv2d, repeat, stack, ...;
use ``tf1_recsys.compat.layers``), ``optimize_loss``, summaries and feature columns.
"""
from tf1_recsys.compat.contrib.layers import utils
from tf1_recsys.compat.contrib.layers.initializers import variance_scaling_initializer, xavier_initializer
from tf1_recsys.compat.contrib.layers.layers import (
    batch_norm,
    dropout,
    embed_sequence,
    flatten,
    fully_connected,
    layer_norm,
)
from tf1_recsys.compat.contrib.layers.regularizers import (
    apply_regularization,
    l1_l2_regularizer,
    l1_regularizer,
    l2_regularizer,
    sum_regularizer,
)

__all__ = [
    "utils",
    "xavier_initializer", "variance_scaling_initializer",
    "l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer", "apply_regularization",
    "fully_connected", "layer_norm", "batch_norm", "dropout", "flatten", "embed_sequence",
]
