"""The ``tf.contrib`` pieces recommendation code used, Keras-free: ``layers``, ``opt`` and ``rnn``."""
from tf1_recsys.compat.contrib import layers, opt, rnn

__all__ = ["layers", "opt", "rnn"]
