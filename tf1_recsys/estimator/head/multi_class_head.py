"""``MultiClassHead`` (``tf.estimator.MultiClassHead``): ``n_classes`` logits, softmax cross-entropy."""
from tf1_recsys.estimator.canned import head as v1
from tf1_recsys.estimator.head.base_head import SUM_OVER_BATCH_SIZE, Head, v1_loss_reduction


class MultiClassHead(Head, v1._MultiClassHeadWithSoftmaxCrossEntropyLoss):
    """Multi-class classification over logits [batch, n_classes]; labels class ids or vocabulary strings."""

    def __init__(self, n_classes, weight_column=None, label_vocabulary=None,
                 loss_reduction=SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
        super().__init__(n_classes, weight_column, label_vocabulary, v1_loss_reduction(loss_reduction), loss_fn, name)
        if label_vocabulary is not None and len(label_vocabulary) != n_classes:
            raise ValueError('"label_vocabulary" does not have "n_classes" items. len(label_vocabulary)={}, '
                             'n_classes={}, label_vocabulary={}'.format(len(label_vocabulary), n_classes,
                                                                        label_vocabulary))
        self._v2_loss_reduction = loss_reduction


__all__ = ["MultiClassHead"]
