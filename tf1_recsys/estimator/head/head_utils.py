"""The V2 heads of the canned estimators (tensorflow_estimator's ``head/head_utils``).

``binary_or_multi_class_head`` / ``regression_head`` take ``loss_reduction`` as TensorFlow 2's
``tf.losses.Reduction`` (``ReductionV2``: 'sum_over_batch_size', 'sum', ...), the V2 classes'
defaults, or as ``tf.compat.v1.losses.Reduction``.
"""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.head.binary_class_head import BinaryClassHead
from tf1_recsys.estimator.head.multi_class_head import MultiClassHead
from tf1_recsys.estimator.head.regression_head import RegressionHead

SUM_OVER_BATCH_SIZE = "sum_over_batch_size"  # TensorFlow 2's tf.losses.Reduction.SUM_OVER_BATCH_SIZE
_V1_OF_V2_REDUCTION = {SUM_OVER_BATCH_SIZE: tf.losses.Reduction.SUM_OVER_BATCH_SIZE, "auto":
                       tf.losses.Reduction.SUM_OVER_BATCH_SIZE}


def _v1_reduction(loss_reduction):
    """The ``tf.compat.v1.losses.Reduction`` that reduces as ``loss_reduction`` (V2 or V1 value)."""
    return _V1_OF_V2_REDUCTION.get(loss_reduction, loss_reduction)


def binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction):
    """``BinaryClassHead`` for ``n_classes=2``, else ``MultiClassHead(n_classes)``."""
    loss_reduction = _v1_reduction(loss_reduction)
    if n_classes == 2:
        return BinaryClassHead(weight_column=weight_column, label_vocabulary=label_vocabulary,
                               loss_reduction=loss_reduction)
    return MultiClassHead(n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary,
                          loss_reduction=loss_reduction)


def regression_head(label_dimension, weight_column, loss_reduction):
    """``RegressionHead`` of a canned regressor."""
    return RegressionHead(label_dimension=label_dimension, weight_column=weight_column,
                          loss_reduction=_v1_reduction(loss_reduction))


__all__ = ["SUM_OVER_BATCH_SIZE", "binary_or_multi_class_head", "regression_head"]
