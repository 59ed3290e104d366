"""``binary_or_multi_class_head``: the V2 head of a canned classifier (tensorflow_estimator's ``head/head_utils``)."""
from tf1_recsys.estimator.head.binary_class_head import BinaryClassHead
from tf1_recsys.estimator.head.multi_class_head import MultiClassHead


def binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction):
    """``BinaryClassHead`` for ``n_classes=2``, else ``MultiClassHead(n_classes)``."""
    if n_classes == 2:
        return BinaryClassHead(weight_column=weight_column, label_vocabulary=label_vocabulary,
                               loss_reduction=loss_reduction)
    return MultiClassHead(n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary,
                          loss_reduction=loss_reduction)


__all__ = ["binary_or_multi_class_head"]
