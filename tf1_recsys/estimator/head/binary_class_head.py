"""``BinaryClassHead`` (``tf.estimator.BinaryClassHead``): one logit, sigmoid cross-entropy."""
from tf1_recsys.estimator.canned import head as v1
from tf1_recsys.estimator.head.base_head import SUM_OVER_BATCH_SIZE, Head, v1_loss_reduction


class BinaryClassHead(Head, v1._BinaryLogisticHeadWithSigmoidCrossEntropyLoss):
    """Binary classification over logits [batch, 1]; predictions, metrics and signatures as the V1 head's."""

    def __init__(self, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
        super().__init__(weight_column, thresholds, label_vocabulary, v1_loss_reduction(loss_reduction), loss_fn, name)
        self._v2_loss_reduction = loss_reduction


__all__ = ["BinaryClassHead"]
