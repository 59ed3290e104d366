"""``MultiLabelHead`` (``tf.estimator.MultiLabelHead``): ``n_classes`` independent sigmoids."""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import head as v1
from tf1_recsys.estimator.head.base_head import Head


class MultiLabelHead(Head, v1._MultiLabelHead):
    """Multi-label classification over logits [batch, n_classes]; labels multi-hot or a SparseTensor of ids."""

    def __init__(self, n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None,
                 classes_for_class_based_metrics=None, name=None):
        checked = v1._multi_label_head(n_classes, weight_column, thresholds, label_vocabulary, loss_reduction,
                                       loss_fn, classes_for_class_based_metrics, name)  # TF's argument checks
        super().__init__(n_classes, weight_column, thresholds, label_vocabulary, loss_reduction, loss_fn,
                         checked._classes_for_class_based_metrics, name)


__all__ = ["MultiLabelHead"]
