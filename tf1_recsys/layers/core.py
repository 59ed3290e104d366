"""Core layers of the kit: ``dense`` is ``tf1_recsys.compat.layers.dense`` (the drop-in for
``tf.compat.v1.layers.dense``) and ``xavier_initializer`` is
``tf1_recsys.compat.contrib.layers.xavier_initializer``; the blocks build on them.
"""
from tf1_recsys.compat.contrib.layers.initializers import xavier_initializer
from tf1_recsys.compat.layers.activations import get_activation
from tf1_recsys.compat.layers.core import dense
from tf1_recsys.compat.layers.variables import get_variable_in_scope, positive_int

__all__ = ["dense", "xavier_initializer", "get_activation", "get_variable_in_scope", "positive_int"]
