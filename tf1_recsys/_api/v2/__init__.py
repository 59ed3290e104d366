"""The V2 namespaces (``tf.estimator``, ``tf.compat.v2.estimator``)."""
