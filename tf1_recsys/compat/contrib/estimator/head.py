"""``tensorflow.contrib.estimator.python.estimator.head``: the public V1 head constructors of TF 1.x.

Each returns a head of ``tf1_recsys.estimator.canned.head`` for a ``model_fn`` or a
``*Estimator`` class; unlike the canned classifiers' heads they reduce the training loss with
``SUM_OVER_BATCH_SIZE`` by default, as TF 1.x's did.
"""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import head as head_lib

_MEAN = tf.losses.Reduction.SUM_OVER_BATCH_SIZE


def multi_class_head(n_classes, weight_column=None, label_vocabulary=None, loss_reduction=_MEAN, loss_fn=None,
                     name=None):
    """Softmax cross-entropy over ``n_classes`` (> 2) logits; labels class ids or vocabulary strings [batch, 1]."""
    return head_lib._multi_class_head_with_softmax_cross_entropy_loss(
        n_classes=n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary,
        loss_reduction=loss_reduction, loss_fn=loss_fn, name=name)


def binary_classification_head(weight_column=None, thresholds=None, label_vocabulary=None, loss_reduction=_MEAN,
                               loss_fn=None, name=None):
    """Sigmoid cross-entropy over one logit; labels 0/1 (or the two vocabulary strings) [batch, 1]."""
    return head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(
        weight_column=weight_column, thresholds=thresholds, label_vocabulary=label_vocabulary,
        loss_reduction=loss_reduction, loss_fn=loss_fn, name=name)


def regression_head(weight_column=None, label_dimension=1, loss_reduction=_MEAN, loss_fn=None, inverse_link_fn=None,
                    name=None):
    """Squared error over ``label_dimension`` outputs; labels float [batch, label_dimension]."""
    return head_lib._regression_head(weight_column=weight_column, label_dimension=label_dimension,
                                     loss_reduction=loss_reduction, loss_fn=loss_fn,
                                     inverse_link_fn=inverse_link_fn, name=name)


def poisson_regression_head(weight_column=None, label_dimension=1, loss_reduction=_MEAN, compute_full_loss=True,
                            name=None):
    """``tf.nn.log_poisson_loss`` of log-rate logits; 'predictions' = exp(logits), 'logits' kept."""

    def _poisson_loss(labels, logits):
        return tf.nn.log_poisson_loss(targets=labels, log_input=logits, compute_full_loss=compute_full_loss)

    return head_lib._regression_head(weight_column=weight_column, label_dimension=label_dimension,
                                     loss_reduction=loss_reduction, loss_fn=_poisson_loss, inverse_link_fn=tf.exp,
                                     name=name)


def logistic_regression_head(weight_column=None, loss_reduction=_MEAN, name=None):
    """Sigmoid cross-entropy against float labels in [0, 1]; 'predictions' = sigmoid(logits), a regression."""

    def _logistic_loss(labels, logits):
        labels = head_lib._check_label_range(labels, 2, message="Labels must be in range [0, 1]")
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)

    return head_lib._regression_head(weight_column=weight_column, label_dimension=1, loss_reduction=loss_reduction,
                                     loss_fn=_logistic_loss, inverse_link_fn=tf.sigmoid, name=name)


def multi_label_head(n_classes, weight_column=None, thresholds=None, label_vocabulary=None, loss_reduction=_MEAN,
                     loss_fn=None, classes_for_class_based_metrics=None, name=None):
    """Independent sigmoids over ``n_classes`` logits; labels multi-hot [batch, n_classes] or a SparseTensor of ids."""
    return head_lib._multi_label_head(
        n_classes, weight_column=weight_column, thresholds=thresholds, label_vocabulary=label_vocabulary,
        loss_reduction=loss_reduction, loss_fn=loss_fn,
        classes_for_class_based_metrics=classes_for_class_based_metrics, name=name)


__all__ = ["binary_classification_head", "logistic_regression_head", "multi_class_head", "multi_label_head",
           "poisson_regression_head", "regression_head"]
