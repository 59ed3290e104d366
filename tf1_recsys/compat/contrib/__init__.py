"""The ``tf.contrib`` pieces recommendation code used, Keras-free: ``layers`` and ``opt``."""
from tf1_recsys.compat.contrib import layers, opt

__all__ = ["layers", "opt"]
