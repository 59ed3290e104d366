"""Public API namespaces laid out as tensorflow_estimator's ``_api`` (``v2/estimator``: ``tf.estimator``)."""
