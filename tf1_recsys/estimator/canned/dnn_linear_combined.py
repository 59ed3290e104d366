"""``DNNLinearCombinedClassifier``: Wide & Deep, a linear model plus a DNN, as tf.estimator 2.15 builds it.

The V1 classes (``tf.compat.v1.estimator``) and the V2 ones (``DNNLinearCombinedClassifierV2`` ...,
``tf.estimator``: no ``input_layer_partitioner``, ``loss_reduction`` SUM_OVER_BATCH_SIZE, V2
heads, optimizers by name as Keras' legacy ones, see ``optimizers.get_optimizer_instance_v2``).

The logits are the sum of the DNN's (variables under ``dnn/``, see ``canned.dnn``) and the
linear model's (under ``linear/``, see ``canned.linear``); each part has its own optimizer,
applied to its own variables, and one step increments the global step once.
"""
import math

from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import dnn, linear
from tf1_recsys.estimator.canned import head as head_lib
from tf1_recsys.estimator.canned import optimizers
from tf1_recsys.estimator.estimator import Estimator
from tf1_recsys.estimator.head import head_utils

_DNN_LEARNING_RATE = 0.001
_LINEAR_LEARNING_RATE = 0.005


def _linear_learning_rate(num_linear_feature_columns):
    """The linear part's learning rate for an optimizer given by name: min(0.005, 1/sqrt(columns))."""
    return min(_LINEAR_LEARNING_RATE, 1. / math.sqrt(num_linear_feature_columns))


def _check_no_sync_replicas_optimizer(optimizer):
    if isinstance(optimizer, tf.train.SyncReplicasOptimizer):
        raise ValueError(
            "SyncReplicasOptimizer does not support multi optimizers case. Therefore, it is not supported in "
            "DNNLinearCombined model. If you want to use this optimizer, please use either DNN or Linear model.")


def _validate_feature_columns(linear_feature_columns, dnn_feature_columns):
    columns = list(linear_feature_columns or []) + list(dnn_feature_columns or [])
    if not columns:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
    return columns


def _add_layer_summary(value, tag):
    tf.summary.scalar("%s/fraction_of_zero_values" % tag, tf.math.zero_fraction(value))
    tf.summary.histogram("%s/activation" % tag, value)


def _dnn_linear_combined_model_fn(features, labels, mode, head, linear_feature_columns=None,
                                  linear_optimizer="Ftrl", dnn_feature_columns=None, dnn_optimizer="Adagrad",
                                  dnn_hidden_units=None, dnn_activation_fn=tf.nn.relu, dnn_dropout=None,
                                  input_layer_partitioner=None, config=None, batch_norm=False,
                                  linear_sparse_combiner="sum", v2=False):
    """The Wide & Deep ``model_fn``: logits [batch, head.logits_dimension] = dnn + linear.

    ``v2=True`` (the V2 classes): tf.estimator's V2 graph (no variable partitioner, V2 batch norm names).
    """
    if not isinstance(features, dict):
        raise ValueError("features should be a dictionary of `Tensor`s. Given type: {}".format(type(features)))
    if not linear_feature_columns and not dnn_feature_columns:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
    num_ps = config.num_ps_replicas if config else 0
    if not v2:
        input_layer_partitioner = input_layer_partitioner or tf.min_max_variable_partitioner(
            max_partitions=num_ps, min_slice_size=64 << 20)

    dnn_logits = linear_logits = None
    update_ops = {}
    if dnn_feature_columns:
        dnn_optimizer = optimizers.get_optimizer_instance(dnn_optimizer, learning_rate=_DNN_LEARNING_RATE)
        _check_no_sync_replicas_optimizer(dnn_optimizer)
        if not dnn_hidden_units:
            raise ValueError("dnn_hidden_units must be defined when dnn_feature_columns is specified.")
        with tf.variable_scope("dnn", values=tuple(features.values()),
                               partitioner=None if v2 else tf.min_max_variable_partitioner(max_partitions=num_ps)) as scope:
            dnn_scope = scope.name
            dnn_logits = dnn.dnn_logit_fn_builder(
                head.logits_dimension, dnn_hidden_units, dnn_feature_columns, dnn_activation_fn, dnn_dropout,
                input_layer_partitioner, batch_norm)(features=features, mode=mode)
            update_ops = dnn._v2_update_ops(v2)
    if linear_feature_columns:
        linear_optimizer = optimizers.get_optimizer_instance(
            linear_optimizer, learning_rate=_linear_learning_rate(len(linear_feature_columns)))
        _check_no_sync_replicas_optimizer(linear_optimizer)
        with tf.variable_scope("linear", values=tuple(features.values()),
                               partitioner=input_layer_partitioner) as scope:
            linear_scope = scope.name
            linear_logits = linear.linear_logit_fn_builder(
                head.logits_dimension, linear_feature_columns, linear_sparse_combiner)(features=features)
            _add_layer_summary(linear_logits, scope.name)
    if dnn_logits is not None and linear_logits is not None:
        logits = dnn_logits + linear_logits
    else:
        logits = dnn_logits if dnn_logits is not None else linear_logits

    def _train_op_fn(loss):
        updates = []
        if dnn_logits is not None:
            updates.append(dnn_optimizer.minimize(
                loss, var_list=tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope=dnn_scope)))
        if linear_logits is not None:
            updates.append(linear_optimizer.minimize(
                loss, var_list=tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, scope=linear_scope)))
        with tf.control_dependencies([tf.group(*updates)]):
            return tf.assign_add(tf.train.get_global_step(), 1).op

    return head.create_estimator_spec(features=features, mode=mode, labels=labels, train_op_fn=_train_op_fn,
                                      logits=logits, **update_ops)


class _DNNLinearCombinedEstimatorBase(Estimator):
    """The Wide & Deep ``model_fn`` over ``head``, shared by the classifier, the regressor and the estimator."""

    def __init__(self, head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                 dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, input_layer_partitioner, config,
                 warm_start_from, batch_norm, linear_sparse_combiner, v2=False):
        self._feature_columns = _validate_feature_columns(linear_feature_columns, dnn_feature_columns)

        def _model_fn(features, labels, mode, config):
            return _dnn_linear_combined_model_fn(
                features, labels, mode, head, linear_feature_columns=linear_feature_columns,
                linear_optimizer=linear_optimizer, dnn_feature_columns=dnn_feature_columns,
                dnn_optimizer=dnn_optimizer, dnn_hidden_units=dnn_hidden_units, dnn_activation_fn=dnn_activation_fn,
                dnn_dropout=dnn_dropout, input_layer_partitioner=input_layer_partitioner, config=config,
                batch_norm=batch_norm, linear_sparse_combiner=linear_sparse_combiner, v2=v2)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class DNNLinearCombinedClassifier(_DNNLinearCombinedEstimatorBase):
    """``tf.compat.v1.estimator.DNNLinearCombinedClassifier``: Wide & Deep classification.

    Args (tf.estimator 2.15's V1 order):
      model_dir: checkpoint folder.
      linear_feature_columns / dnn_feature_columns: the columns of each part (at least one).
      linear_optimizer: name ('Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD'; by name the learning
        rate is min(0.005, 1/sqrt(len(linear_feature_columns)))), optimizer, or callable; default 'Ftrl'.
      dnn_optimizer: the same for the DNN (by name, learning rate 0.001); default 'Adagrad'.
      dnn_hidden_units: list of hidden layer widths (needed with dnn_feature_columns).
      dnn_activation_fn: default ``tf.nn.relu``. dnn_dropout: drop probability or None.
      n_classes: number of classes (default 2: the binary head; more: the multi-class head).
      weight_column: feature key or numeric column of example weights.
      label_vocabulary: the two string labels, or None for 0/1 labels.
      input_layer_partitioner: partitioner of the input layers' variables (default
        ``min_max_variable_partitioner(num_ps_replicas, 64 MiB)``).
      config: ``RunConfig``. warm_start_from: checkpoint path or ``WarmStartSettings``.
      loss_reduction: ``tf.compat.v1.losses.Reduction`` except NONE; default SUM.
      batch_norm: batch normalization after each hidden layer.
      linear_sparse_combiner: 'sum', 'mean' or 'sqrtn'.
    """

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction=tf.losses.Reduction.SUM, batch_norm=False, linear_sparse_combiner="sum"):
        head = head_lib._binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                             loss_reduction)
        super().__init__(head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                         dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, input_layer_partitioner,
                         config, warm_start_from, batch_norm, linear_sparse_combiner)


class DNNLinearCombinedRegressor(_DNNLinearCombinedEstimatorBase):
    """``tf.compat.v1.estimator.DNNLinearCombinedRegressor``: Wide & Deep regression, squared-error loss.

    Arguments as ``DNNLinearCombinedClassifier``, with ``label_dimension`` (outputs per example)
    in place of ``n_classes`` and ``label_vocabulary``.
    """

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, label_dimension=1, weight_column=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction=tf.losses.Reduction.SUM, batch_norm=False, linear_sparse_combiner="sum"):
        head = head_lib._regression_head(label_dimension=label_dimension, weight_column=weight_column,
                                         loss_reduction=loss_reduction)
        super().__init__(head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                         dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, input_layer_partitioner,
                         config, warm_start_from, batch_norm, linear_sparse_combiner)


class DNNLinearCombinedEstimator(_DNNLinearCombinedEstimatorBase):
    """``tf.compat.v1.estimator.DNNLinearCombinedEstimator``: Wide & Deep with a given V1 ``head``.

    Arguments as ``DNNLinearCombinedClassifier`` (no ``warm_start_from`` in tf.estimator's V1 class).
    """

    def __init__(self, head, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, input_layer_partitioner=None, config=None,
                 batch_norm=False, linear_sparse_combiner="sum"):
        super().__init__(head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                         dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, input_layer_partitioner,
                         config, None, batch_norm, linear_sparse_combiner)


class _DNNLinearCombinedEstimatorBaseV2(_DNNLinearCombinedEstimatorBase):
    """The V2 classes' common step: optimizer arguments as tf.estimator's V2 reads them, no partitioner."""

    def __init__(self, head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                 dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, config, warm_start_from,
                 batch_norm, linear_sparse_combiner):
        linear_optimizer = optimizers.v2_optimizer_fn(
            linear_optimizer, _linear_learning_rate(len(linear_feature_columns or []) or 1),
            own_iterations=bool(dnn_feature_columns))
        dnn_optimizer = optimizers.v2_optimizer_fn(dnn_optimizer, _DNN_LEARNING_RATE)
        super().__init__(head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                         dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, None, config,
                         warm_start_from, batch_norm, linear_sparse_combiner, v2=True)


class DNNLinearCombinedClassifierV2(_DNNLinearCombinedEstimatorBaseV2):
    """``tf.estimator.DNNLinearCombinedClassifier`` (V2): Wide & Deep classification with a V2 head.

    Arguments as ``DNNLinearCombinedClassifier`` without ``input_layer_partitioner``;
    ``loss_reduction`` defaults to SUM_OVER_BATCH_SIZE; 'Ftrl' / 'Adagrad' ... mean Keras' updates
    (linear learning rate min(0.005, 1/sqrt(len(linear_feature_columns))), DNN 0.001).
    """

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, config=None, warm_start_from=None,
                 loss_reduction=head_utils.SUM_OVER_BATCH_SIZE, batch_norm=False,
                 linear_sparse_combiner="sum"):
        head = head_utils.binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction)
        super().__init__(head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                         dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, config, warm_start_from,
                         batch_norm, linear_sparse_combiner)


class DNNLinearCombinedRegressorV2(_DNNLinearCombinedEstimatorBaseV2):
    """``tf.estimator.DNNLinearCombinedRegressor`` (V2): Wide & Deep regression with ``RegressionHead``."""

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, label_dimension=1, weight_column=None,
                 config=None, warm_start_from=None, loss_reduction=head_utils.SUM_OVER_BATCH_SIZE,
                 batch_norm=False, linear_sparse_combiner="sum"):
        head = head_utils.regression_head(label_dimension, weight_column, loss_reduction)
        super().__init__(head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                         dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, config, warm_start_from,
                         batch_norm, linear_sparse_combiner)


class DNNLinearCombinedEstimatorV2(_DNNLinearCombinedEstimatorBaseV2):
    """``tf.estimator.DNNLinearCombinedEstimator`` (V2): Wide & Deep under a V2 ``head``."""

    def __init__(self, head, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=tf.nn.relu, dnn_dropout=None, config=None, batch_norm=False,
                 linear_sparse_combiner="sum"):
        super().__init__(head, model_dir, linear_feature_columns, linear_optimizer, dnn_feature_columns,
                         dnn_optimizer, dnn_hidden_units, dnn_activation_fn, dnn_dropout, config, None, batch_norm,
                         linear_sparse_combiner)


__all__ = ["DNNLinearCombinedClassifier", "DNNLinearCombinedClassifierV2", "DNNLinearCombinedEstimator",
           "DNNLinearCombinedEstimatorV2", "DNNLinearCombinedRegressor", "DNNLinearCombinedRegressorV2"]
