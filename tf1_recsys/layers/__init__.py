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
from tf1_recsys.layers.interest import (
    AGRUCell,
    AIGRUCell,
    AUGRUCell,
    auxiliary_loss,
    interest_evolution,
    interest_extractor,
    sample_negative_positions,
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
    "AUGRUCell",
    "AGRUCell",
    "AIGRUCell",
    "interest_extractor",
    "sample_negative_positions",
    "auxiliary_loss",
    "interest_evolution",
]
