"""``LinearClassifier``: a linear model over feature columns, as tf.estimator 2.15 builds it.

The V1 classes (``tf.compat.v1.estimator``) and the V2 ones (``LinearClassifierV2`` ...,
``tf.estimator``: no ``partitioner``, ``loss_reduction`` SUM_OVER_BATCH_SIZE, V2 heads, Keras'
Ftrl: initial accumulator 0.1, slots ``<var>/accumulator`` and ``<var>/linear``).

Variables: ``linear/linear_model/<column>/weights`` [column width, logits_dimension] and
``linear/linear_model/bias_weights`` [logits_dimension], from
``tf.compat.v1.feature_column.linear_model``.
"""
import math

from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import head as head_lib
from tf1_recsys.estimator.canned import optimizers
from tf1_recsys.estimator.estimator import Estimator
from tf1_recsys.estimator.head import head_utils

_LEARNING_RATE = 0.2


def _default_learning_rate(feature_columns):
    """Ftrl's learning rate in a canned linear model: min(0.2, 1 / sqrt(number of columns))."""
    return min(_LEARNING_RATE, 1. / math.sqrt(len(feature_columns)))


def _fraction_of_zero(variables):
    """The fraction of zeros over every element of ``variables`` (a scalar)."""
    sizes = [tf.cast(tf.size(v), tf.float32) for v in variables]
    zeros = [tf.math.zero_fraction(v) * size for v, size in zip(variables, sizes)]
    return tf.add_n(zeros) / tf.add_n(sizes)


def linear_logit_fn_builder(units, feature_columns, sparse_combiner="sum"):
    """A ``logit_fn(features)`` -> logits [batch, units] (``linear_model`` in the caller's scope).

    ``sparse_combiner``: 'sum', 'mean' or 'sqrtn', how a multivalent categorical column reduces.
    """

    def linear_logit_fn(features):
        cols_to_vars = {}
        logits = tf.feature_column.linear_model(features, list(feature_columns), units=units,
                                                sparse_combiner=sparse_combiner, cols_to_vars=cols_to_vars)
        bias = cols_to_vars.pop("bias")
        weights = [part for parts in cols_to_vars.values() for part in parts]
        if units > 1:
            tf.summary.histogram("bias", bias)
        else:
            tf.summary.scalar("bias", bias[0][0])
        tf.summary.scalar("fraction_of_zero_weights", _fraction_of_zero(weights))
        return logits

    return linear_logit_fn


def _linear_model_fn(features, labels, mode, head, feature_columns, optimizer, partitioner, config,
                     sparse_combiner="sum", v2=False):
    """The linear ``model_fn``: logits under 'linear', spec from ``head``.

    ``v2=True`` (the V2 classes): no variable partitioner, as tf.estimator's V2.
    """
    if not isinstance(features, dict):
        raise ValueError("features should be a dictionary of `Tensor`s. Given type: {}".format(type(features)))
    num_ps = config.num_ps_replicas if config else 0
    if not v2:
        partitioner = partitioner or tf.min_max_variable_partitioner(max_partitions=num_ps, min_slice_size=64 << 20)
    with tf.variable_scope("linear", values=tuple(features.values()), partitioner=partitioner):
        logits = linear_logit_fn_builder(head.logits_dimension, feature_columns, sparse_combiner)(features=features)
        optimizer = optimizers.get_optimizer_instance(
            optimizer or tf.train.FtrlOptimizer(learning_rate=_default_learning_rate(feature_columns)),
            learning_rate=_LEARNING_RATE)
        return head.create_estimator_spec(features=features, mode=mode, labels=labels, optimizer=optimizer,
                                          logits=logits)


class _LinearEstimatorBase(Estimator):
    """The linear ``model_fn`` over ``head``: what ``LinearEstimator``, the classifier and the regressor share."""

    def __init__(self, head, feature_columns, model_dir, optimizer, config, partitioner, warm_start_from,
                 sparse_combiner, v2=False):
        feature_columns = tuple(feature_columns or [])
        self._feature_columns = list(feature_columns)

        def _model_fn(features, labels, mode, config):
            return _linear_model_fn(features, labels, mode, head, feature_columns, optimizer, partitioner, config,
                                    sparse_combiner, v2)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class LinearClassifier(_LinearEstimatorBase):
    """``tf.compat.v1.estimator.LinearClassifier``: a linear classifier over feature columns.

    The default ``optimizer='Ftrl'``, like any optimizer given by name, has learning rate 0.2;
    ``optimizer=None`` means Ftrl with min(0.2, 1/sqrt(len(feature_columns))), as in
    tf.estimator. Loss reduced by ``loss_reduction`` (default SUM).
    """

    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None,
                 optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None,
                 loss_reduction=tf.losses.Reduction.SUM, sparse_combiner="sum"):
        head = head_lib._binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                             loss_reduction)
        super().__init__(head, feature_columns, model_dir, optimizer, config, partitioner, warm_start_from,
                         sparse_combiner)


class LinearRegressor(_LinearEstimatorBase):
    """``tf.compat.v1.estimator.LinearRegressor``: a linear regressor, squared-error loss (SUM by default).

    Optimizer defaults as ``LinearClassifier``.
    """

    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl",
                 config=None, partitioner=None, warm_start_from=None, loss_reduction=tf.losses.Reduction.SUM,
                 sparse_combiner="sum"):
        head = head_lib._regression_head(label_dimension=label_dimension, weight_column=weight_column,
                                         loss_reduction=loss_reduction)
        super().__init__(head, feature_columns, model_dir, optimizer, config, partitioner, warm_start_from,
                         sparse_combiner)


class LinearEstimator(_LinearEstimatorBase):
    """``tf.compat.v1.estimator.LinearEstimator``: a linear model whose loss, metrics and outputs are ``head``'s."""

    def __init__(self, head, feature_columns, model_dir=None, optimizer="Ftrl", config=None, partitioner=None,
                 sparse_combiner="sum", warm_start_from=None):
        super().__init__(head, feature_columns, model_dir, optimizer, config, partitioner, warm_start_from,
                         sparse_combiner)


def _v2_optimizer_fn(optimizer, feature_columns):
    """The V2 optimizer: by name with learning rate 0.2; None: Ftrl with min(0.2, 1/sqrt(columns))."""
    if optimizer is None:
        return optimizers.v2_optimizer_fn("Ftrl", _default_learning_rate(list(feature_columns or [])))
    return optimizers.v2_optimizer_fn(optimizer, _LEARNING_RATE)


class LinearClassifierV2(_LinearEstimatorBase):
    """``tf.estimator.LinearClassifier`` (V2): ``LinearClassifier`` with a V2 head and Keras' Ftrl."""

    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None,
                 optimizer="Ftrl", config=None, warm_start_from=None,
                 loss_reduction=head_utils.SUM_OVER_BATCH_SIZE, sparse_combiner="sum"):
        head = head_utils.binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction)
        super().__init__(head, feature_columns, model_dir, _v2_optimizer_fn(optimizer, feature_columns), config,
                         None, warm_start_from, sparse_combiner, v2=True)


class LinearRegressorV2(_LinearEstimatorBase):
    """``tf.estimator.LinearRegressor`` (V2): ``RegressionHead``, loss SUM_OVER_BATCH_SIZE, Keras' Ftrl."""

    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl",
                 config=None, warm_start_from=None, loss_reduction=head_utils.SUM_OVER_BATCH_SIZE,
                 sparse_combiner="sum"):
        head = head_utils.regression_head(label_dimension, weight_column, loss_reduction)
        super().__init__(head, feature_columns, model_dir, _v2_optimizer_fn(optimizer, feature_columns), config,
                         None, warm_start_from, sparse_combiner, v2=True)


class LinearEstimatorV2(_LinearEstimatorBase):
    """``tf.estimator.LinearEstimator`` (V2): a linear model under a V2 ``head``."""

    def __init__(self, head, feature_columns, model_dir=None, optimizer="Ftrl", config=None, sparse_combiner="sum",
                 warm_start_from=None):
        super().__init__(head, feature_columns, model_dir, _v2_optimizer_fn(optimizer, feature_columns), config,
                         None, warm_start_from, sparse_combiner, v2=True)


__all__ = ["LinearClassifier", "LinearClassifierV2", "LinearEstimator", "LinearEstimatorV2", "LinearRegressor",
           "LinearRegressorV2", "linear_logit_fn_builder"]
