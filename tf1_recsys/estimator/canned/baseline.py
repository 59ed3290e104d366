"""``BaselineClassifier`` / ``BaselineRegressor``: the logits are one learned bias, whatever the features.

The V1 classes (``tf.compat.v1.estimator``) and the V2 ones (``BaselineClassifierV2`` ...,
``tf.estimator``: ``loss_reduction`` SUM_OVER_BATCH_SIZE, V2 heads, Keras' Ftrl by name).

The single variable is ``baseline/bias`` [logits_dimension]; the classifier learns the
(log-odds of the) label distribution, the regressor the label mean: the reference a real
model must beat.
"""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import head as head_lib
from tf1_recsys.estimator.canned import optimizers
from tf1_recsys.estimator.estimator import Estimator
from tf1_recsys.estimator.head import head_utils

_LEARNING_RATE = 0.3


def _weight_column_key(weight_column):
    if weight_column is None or isinstance(weight_column, str):
        return weight_column
    if not hasattr(weight_column, "key") or not hasattr(weight_column, "normalizer_fn"):
        raise TypeError("Weight column must be either a string or _NumericColumn. Given type: {}."
                        .format(type(weight_column)))
    return weight_column.key


def _batch_size_and_checks(features, weight_column_key):
    """The batch size (first dimension of the features but the weights) and asserts that they agree."""
    checks, batch_size = [], None
    for key, feature in features.items():
        if key == weight_column_key:  # no dependency on the weights at serving time
            continue
        first = tf.shape(feature)[0]
        if batch_size is None:
            batch_size = first
        else:
            checks.append(tf.debugging.assert_equal(batch_size, first))
    return checks, batch_size


def _baseline_model_fn(features, labels, mode, head, optimizer, weight_column=None, config=None):
    """Logits [batch, head.logits_dimension] = ``baseline/bias`` for every example."""
    del config
    checks, batch_size = _batch_size_and_checks(features, _weight_column_key(weight_column))
    with tf.control_dependencies(checks):
        with tf.variable_scope("baseline"):
            bias = tf.get_variable("bias", shape=[head.logits_dimension], initializer=tf.zeros_initializer())
            logits = tf.multiply(bias, tf.ones([batch_size, head.logits_dimension]))

    def train_op_fn(loss):
        opt = optimizers.get_optimizer_instance(optimizer, learning_rate=_LEARNING_RATE)
        return opt.minimize(loss, global_step=tf.train.get_global_step())

    return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                      train_op_fn=train_op_fn)


class _BaselineEstimatorBase(Estimator):
    """The baseline ``model_fn`` over ``head``, shared by the classifier, the regressor and the estimator."""

    def __init__(self, head, model_dir, optimizer, config, weight_column=None):
        def _model_fn(features, labels, mode, config):
            return _baseline_model_fn(features, labels, mode, head, optimizer, weight_column, config)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config)


class BaselineClassifier(_BaselineEstimatorBase):
    """``tf.compat.v1.estimator.BaselineClassifier``: predicts the learned label distribution.

    Default optimizer Ftrl (by name, learning rate 0.3); loss reduced by ``loss_reduction`` (SUM).
    """

    def __init__(self, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None, optimizer="Ftrl",
                 config=None, loss_reduction=tf.losses.Reduction.SUM):
        head = head_lib._binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                             loss_reduction)
        super().__init__(head, model_dir, optimizer, config, weight_column)


class BaselineRegressor(_BaselineEstimatorBase):
    """``tf.compat.v1.estimator.BaselineRegressor``: predicts the learned label mean (squared error)."""

    def __init__(self, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl", config=None,
                 loss_reduction=tf.losses.Reduction.SUM):
        head = head_lib._regression_head(label_dimension=label_dimension, weight_column=weight_column,
                                         loss_reduction=loss_reduction)
        super().__init__(head, model_dir, optimizer, config, weight_column)


class BaselineEstimator(_BaselineEstimatorBase):
    """``tf.compat.v1.estimator.BaselineEstimator``: the learned bias as logits of a given V1 ``head``."""

    def __init__(self, head, model_dir=None, optimizer="Ftrl", config=None):
        super().__init__(head, model_dir, optimizer, config)


class BaselineClassifierV2(_BaselineEstimatorBase):
    """``tf.estimator.BaselineClassifier`` (V2): a V2 head, loss SUM_OVER_BATCH_SIZE, Keras' Ftrl (rate 0.3)."""

    def __init__(self, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None, optimizer="Ftrl",
                 config=None, loss_reduction=head_utils.SUM_OVER_BATCH_SIZE):
        head = head_utils.binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction)
        super().__init__(head, model_dir, optimizers.v2_optimizer_fn(optimizer, _LEARNING_RATE), config,
                         weight_column)


class BaselineRegressorV2(_BaselineEstimatorBase):
    """``tf.estimator.BaselineRegressor`` (V2): ``RegressionHead``, loss SUM_OVER_BATCH_SIZE, Keras' Ftrl."""

    def __init__(self, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl", config=None,
                 loss_reduction=head_utils.SUM_OVER_BATCH_SIZE):
        head = head_utils.regression_head(label_dimension, weight_column, loss_reduction)
        super().__init__(head, model_dir, optimizers.v2_optimizer_fn(optimizer, _LEARNING_RATE), config,
                         weight_column)


class BaselineEstimatorV2(_BaselineEstimatorBase):
    """``tf.estimator.BaselineEstimator`` (V2): the learned bias as logits of a V2 ``head``."""

    def __init__(self, head, model_dir=None, optimizer="Ftrl", config=None):
        super().__init__(head, model_dir, optimizers.v2_optimizer_fn(optimizer, _LEARNING_RATE), config)


__all__ = ["BaselineClassifier", "BaselineClassifierV2", "BaselineEstimator", "BaselineEstimatorV2",
           "BaselineRegressor", "BaselineRegressorV2"]
