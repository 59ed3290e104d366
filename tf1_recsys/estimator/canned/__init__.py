"""Canned estimators (``tf.compat.v1.estimator.DNNLinearCombinedClassifier`` ...) and their heads.

Laid out as ``tensorflow_estimator.python.estimator.canned``: ``head`` (the V1 heads that
TF1 code imports from ``tensorflow.python.estimator.canned.head``), ``dnn``, ``linear``,
``dnn_linear_combined``, ``baseline``, ``optimizers``, ``metric_keys``, ``prediction_keys``. Built on
``tf.compat.v1.feature_column.input_layer`` / ``linear_model`` and ``tf.compat.v1``
variables only, with tf.estimator's variable names, so that a tf.estimator ``model_dir``
trains on here.
"""
