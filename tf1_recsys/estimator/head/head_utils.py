"""The V2 heads of the canned estimators (tensorflow_estimator's ``head/head_utils``).

``binary_or_multi_class_head`` / ``regression_head`` take ``loss_reduction`` as the V2 heads do:
TensorFlow 2's ``tf.losses.Reduction`` ('sum_over_batch_size', the V2 classes' default, 'sum', 'auto').
"""
from tf1_recsys.estimator.head.base_head import SUM_OVER_BATCH_SIZE
from tf1_recsys.estimator.head.binary_class_head import BinaryClassHead
from tf1_recsys.estimator.head.multi_class_head import MultiClassHead
from tf1_recsys.estimator.head.regression_head import RegressionHead


def binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction):
    """``BinaryClassHead`` for ``n_classes=2``, else ``MultiClassHead(n_classes)``."""
    if n_classes == 2:
        return BinaryClassHead(weight_column=weight_column, label_vocabulary=label_vocabulary,
                               loss_reduction=loss_reduction)
    return MultiClassHead(n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary,
                          loss_reduction=loss_reduction)


def regression_head(label_dimension, weight_column, loss_reduction):
    """``RegressionHead`` of a canned regressor."""
    return RegressionHead(label_dimension=label_dimension, weight_column=weight_column,
                          loss_reduction=loss_reduction)


__all__ = ["SUM_OVER_BATCH_SIZE", "binary_or_multi_class_head", "regression_head"]
