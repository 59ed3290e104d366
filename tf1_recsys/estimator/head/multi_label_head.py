"""``MultiLabelHead`` (``tf.estimator.MultiLabelHead``): ``n_classes`` independent sigmoids."""
from tf1_recsys.estimator.canned import head as v1
from tf1_recsys.estimator.canned.prediction_keys import PredictionKeys
from tf1_recsys.estimator.head.base_head import SUM_OVER_BATCH_SIZE, Head, v1_loss_reduction


class MultiLabelHead(Head, v1._MultiLabelHead):
    """Multi-label classification over logits [batch, n_classes]; labels multi-hot or a SparseTensor of ids.

    Unlike the V1 head it also predicts 'classes': every class name, [batch, n_classes].
    """

    def __init__(self, n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=SUM_OVER_BATCH_SIZE, loss_fn=None,
                 classes_for_class_based_metrics=None, name=None):
        super().__init__(n_classes, weight_column, thresholds, label_vocabulary, v1_loss_reduction(loss_reduction),
                         loss_fn, classes_for_class_based_metrics, name)
        self._v2_loss_reduction = loss_reduction

    def _predictions(self, logits):
        predictions = super()._predictions(logits)
        predictions[PredictionKeys.CLASSES] = v1._tiled_per_example(
            v1._class_names(self._n_classes, self._label_vocabulary), logits)
        return predictions


__all__ = ["MultiLabelHead"]
