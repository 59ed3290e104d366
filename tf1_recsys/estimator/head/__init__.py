"""The V2 heads of ``tf.estimator`` (tensorflow_estimator's ``head/``), on ``tf.compat.v1`` only.

``BinaryClassHead``, ``MultiClassHead``, ``MultiLabelHead``, ``RegressionHead``,
``PoissonRegressionHead``, ``LogisticRegressionHead`` and ``MultiHead`` for a ``model_fn``::

    head = tf.estimator.BinaryClassHead()
    return head.create_estimator_spec(features, mode, logits, labels, optimizer=opt,
                                      trainable_variables=tf.compat.v1.trainable_variables())

Each is its V1 head (``tf1_recsys.estimator.canned``) behind the V2 interface of ``base_head.Head``.
"""
from tf1_recsys.estimator.head.base_head import Head
from tf1_recsys.estimator.head.binary_class_head import BinaryClassHead
from tf1_recsys.estimator.head.multi_class_head import MultiClassHead
from tf1_recsys.estimator.head.multi_head import MultiHead
from tf1_recsys.estimator.head.multi_label_head import MultiLabelHead
from tf1_recsys.estimator.head.regression_head import LogisticRegressionHead, PoissonRegressionHead, RegressionHead

__all__ = ["Head", "BinaryClassHead", "MultiClassHead", "MultiLabelHead", "RegressionHead", "PoissonRegressionHead",
           "LogisticRegressionHead", "MultiHead"]
