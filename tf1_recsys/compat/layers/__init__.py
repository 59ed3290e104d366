"""Keras-free ``tf.compat.v1.layers``: the same names, signatures and variables, on ``get_variable``.

Graph mode only. ``tf1_recsys.compat.install()`` makes ``tf.compat.v1.layers`` resolve here.
"""
from tf1_recsys.compat.layers.base import Layer
from tf1_recsys.compat.layers.core import Dense, Dropout, Flatten, dense, dropout, flatten
from tf1_recsys.compat.layers.input_spec import InputSpec
from tf1_recsys.compat.layers.normalization import BatchNormalization, batch_normalization

__all__ = [
    "Layer", "InputSpec",
    "Dense", "dense", "Dropout", "dropout", "Flatten", "flatten",
    "BatchNormalization", "batch_normalization",
]
