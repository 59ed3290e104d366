"""Keras-free TF1 layers built on ``tf.compat.v1.get_variable`` and ``variable_scope``."""
from tf1_recsys.layers.core import dense, xavier_initializer
from tf1_recsys.layers.normalization import batch_normalization, layer_normalization

__all__ = ["dense", "xavier_initializer", "batch_normalization", "layer_normalization"]
