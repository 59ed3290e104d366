"""``tf.contrib.opt`` as recommendation code used it: ``LazyAdamOptimizer``.

The same class as ``tf1_recsys.training.LazyAdamOptimizer`` (one implementation), under
the name ``tf.contrib.opt`` users look for.
"""
from tf1_recsys.training.lazy_adam import LazyAdamOptimizer

__all__ = ["LazyAdamOptimizer"]
