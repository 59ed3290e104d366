"""``tf.contrib.layers``: initializers (more follow in this package)."""
from tf1_recsys.compat.contrib.layers.initializers import variance_scaling_initializer, xavier_initializer

__all__ = ["variance_scaling_initializer", "xavier_initializer"]
