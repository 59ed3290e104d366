"""``RegressionHead``, ``PoissonRegressionHead``, ``LogisticRegressionHead`` (``tf.estimator``'s V2 heads)."""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import head as v1
from tf1_recsys.estimator.head.base_head import SUM_OVER_BATCH_SIZE, Head, v1_loss_reduction


class RegressionHead(Head, v1._RegressionHeadWithMeanSquaredErrorLoss):
    """Squared error over logits [batch, label_dimension]; 'predictions' (and 'logits' with an inverse link)."""

    def __init__(self, label_dimension=1, weight_column=None, loss_reduction=SUM_OVER_BATCH_SIZE,
                 loss_fn=None, inverse_link_fn=None, name=None):
        super().__init__(label_dimension, weight_column, v1_loss_reduction(loss_reduction), loss_fn, inverse_link_fn,
                         name)
        self._v2_loss_reduction = loss_reduction


class PoissonRegressionHead(RegressionHead):
    """``tf.nn.log_poisson_loss`` of log-rate logits; 'predictions' = exp(logits)."""

    def __init__(self, label_dimension=1, weight_column=None, loss_reduction=SUM_OVER_BATCH_SIZE,
                 compute_full_loss=True, name=None):
        self._compute_full_loss = compute_full_loss
        super().__init__(label_dimension, weight_column, loss_reduction, self._poisson_loss, tf.exp, name)

    def _poisson_loss(self, labels, logits):
        return tf.nn.log_poisson_loss(targets=labels, log_input=logits, compute_full_loss=self._compute_full_loss)


class LogisticRegressionHead(RegressionHead):
    """Sigmoid cross-entropy against float labels in [0, 1]; 'predictions' = sigmoid(logits)."""

    def __init__(self, weight_column=None, loss_reduction=SUM_OVER_BATCH_SIZE, name=None):
        super().__init__(1, weight_column, loss_reduction, self._logistic_loss, tf.sigmoid, name)

    def _logistic_loss(self, labels, logits):
        labels = v1._check_label_range(labels, 2, message="Labels must be in range [0, 1]", v2=True)
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)


__all__ = ["RegressionHead", "PoissonRegressionHead", "LogisticRegressionHead"]
