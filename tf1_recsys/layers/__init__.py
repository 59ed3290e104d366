"""Keras-free TF1 layers built on ``tf.compat.v1.get_variable`` and ``variable_scope``."""
from tf1_recsys.layers.core import dense, xavier_initializer
from tf1_recsys.layers.normalization import batch_normalization, layer_normalization
from tf1_recsys.layers.activation import dice
from tf1_recsys.layers.interaction import FactorizationMachine, mmoe, senet
from tf1_recsys.layers.sequence import (
    DINModel,
    MultiHeadAttention,
    din,
    scaled_dot_product_attention,
)

__all__ = [
    "dense",
    "xavier_initializer",
    "batch_normalization",
    "layer_normalization",
    "dice",
    "FactorizationMachine",
    "mmoe",
    "senet",
    "scaled_dot_product_attention",
    "MultiHeadAttention",
    "din",
    "DINModel",
]
