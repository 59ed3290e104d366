"""The ``tf.contrib`` pieces recommendation code used, Keras-free: ``tf1_recsys.compat.contrib.layers``."""
from tf1_recsys.compat.contrib import layers

__all__ = ["layers"]
