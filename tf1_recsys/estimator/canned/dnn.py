"""``DNNClassifier``: a feed-forward network over feature columns, as tf.estimator 2.15 builds it.

``DNNClassifier`` / ``DNNRegressor`` / ``DNNEstimator`` are the V1 classes
(``tf.compat.v1.estimator``); ``DNNClassifierV2`` / ``DNNRegressorV2`` / ``DNNEstimatorV2`` the V2
ones (``tf.estimator``): no ``input_layer_partitioner``, ``loss_reduction`` SUM_OVER_BATCH_SIZE,
V2 heads, optimizers by name as Keras' (``optimizers.get_optimizer_instance_v2``, default
Adagrad with learning rate 0.001).

Variables (``num_ps_replicas=0``): ``dnn/input_from_feature_columns/input_layer/<column>...``
(embedding tables), ``dnn/hiddenlayer_<i>/kernel`` [in, units] and ``.../bias`` [units],
``dnn/hiddenlayer_<i>/batchnorm_<i>/{gamma,beta,moving_mean,moving_variance}`` with ``batch_norm``,
``dnn/logits/kernel`` [last, logits_dimension] and ``dnn/logits/bias``.
"""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import head as head_lib
from tf1_recsys.estimator.canned import optimizers
from tf1_recsys.estimator.estimator import Estimator
from tf1_recsys.estimator.head import head_utils
from tf1_recsys.estimator.mode_keys import ModeKeys

_LEARNING_RATE = 0.05


def _add_hidden_layer_summary(value, tag):
    tf.summary.scalar("%s/fraction_of_zero_values" % tag, tf.math.zero_fraction(value))
    tf.summary.histogram("%s/activation" % tag, value)


def _dense(inputs, units, activation_fn):
    """``activation_fn(inputs @ kernel + bias)`` with ``kernel`` / ``bias`` in the current variable scope."""
    kernel = tf.get_variable("kernel", [inputs.shape[-1], units], dtype=inputs.dtype,
                             initializer=tf.glorot_uniform_initializer())
    bias = tf.get_variable("bias", [units], dtype=inputs.dtype, initializer=tf.zeros_initializer())
    outputs = tf.nn.bias_add(tf.matmul(inputs, kernel), bias)
    return activation_fn(outputs) if activation_fn is not None else outputs


def _input_layer(features, feature_columns):
    """The dense input [batch, width] of ``feature_columns`` (v1 or v2 column objects)."""
    return tf.feature_column.input_layer(features, list(feature_columns))


def dnn_logit_fn_builder(units, hidden_units, feature_columns, activation_fn, dropout, input_layer_partitioner,
                         batch_norm):
    """A ``logit_fn(features, mode)`` -> logits [batch, units], built in the caller's variable scope.

    Args:
      units: int, the logits dimension.
      hidden_units: iterable of ints, the width of each hidden layer.
      feature_columns: the columns of the input layer.
      activation_fn: applied after each hidden layer.
      dropout: None, or the probability of dropping a hidden coordinate in training.
      input_layer_partitioner: partitioner of the input layer's variables.
      batch_norm: bool, batch normalization after each hidden layer (``hiddenlayer_<i>/batchnorm_<i>``,
        as both tf.estimator's V1 and V2 classes name it).
    """
    if not isinstance(units, int):
        raise ValueError("units must be an int.  Given type: {}".format(type(units)))

    def dnn_logit_fn(features, mode):
        is_training = mode == ModeKeys.TRAIN
        with tf.variable_scope("input_from_feature_columns", partitioner=input_layer_partitioner):
            net = _input_layer(features, feature_columns)
        for layer_id, width in enumerate(hidden_units):
            with tf.variable_scope("hiddenlayer_%d" % layer_id, values=(net,)) as scope:
                net = _dense(net, width, activation_fn)
                if dropout is not None and is_training:
                    net = tf.nn.dropout(net, rate=dropout)
                if batch_norm:  # tf.estimator's names: dnn/hiddenlayer_<i>/batchnorm_<i>/...
                    from tf1_recsys.compat.layers.normalization import batch_normalization
                    net = batch_normalization(net, momentum=0.999, training=is_training,
                                              name="batchnorm_%d" % layer_id)
            _add_hidden_layer_summary(net, scope.name)
        with tf.variable_scope("logits", values=(net,)) as scope:
            logits = _dense(net, units, None)
        _add_hidden_layer_summary(logits, scope.name)
        return logits

    return dnn_logit_fn


def _check_features(features):
    if not isinstance(features, dict):
        raise ValueError("features should be a dictionary of `Tensor`s. Given type: {}".format(type(features)))


def _num_ps_replicas(config):
    return config.num_ps_replicas if config else 0


def _dnn_model_fn(features, labels, mode, head, hidden_units, feature_columns, optimizer="Adagrad",
                  activation_fn=tf.nn.relu, dropout=None, input_layer_partitioner=None, config=None,
                  batch_norm=False, v2=False):
    """The DNN ``model_fn``: logits from ``dnn_logit_fn_builder`` under 'dnn', spec from ``head``.

    ``v2=True`` (the V2 classes): tf.estimator's V2 graph: no variable partitioner, the batch
    normalization updates passed to the V2 head.
    """
    optimizer = optimizers.get_optimizer_instance(optimizer, learning_rate=_LEARNING_RATE)
    _check_features(features)
    num_ps = _num_ps_replicas(config)
    with tf.variable_scope("dnn", values=tuple(features.values()),
                           partitioner=None if v2 else tf.min_max_variable_partitioner(max_partitions=num_ps)):
        if not v2:
            input_layer_partitioner = input_layer_partitioner or tf.min_max_variable_partitioner(
                max_partitions=num_ps, min_slice_size=64 << 20)
        logits = dnn_logit_fn_builder(head.logits_dimension, hidden_units, feature_columns, activation_fn, dropout,
                                      input_layer_partitioner, batch_norm)(features=features, mode=mode)
        return head.create_estimator_spec(features=features, mode=mode, labels=labels, optimizer=optimizer,
                                          logits=logits, **_v2_update_ops(v2))


def _v2_update_ops(v2):
    """``{'update_ops': [...]}`` for a V2 head (the batch normalization updates of the current scope), else {}."""
    if not v2:
        return {}
    return {"update_ops": tf.get_collection(tf.GraphKeys.UPDATE_OPS, scope=tf.get_variable_scope().name)}


class _DNNEstimatorBase(Estimator):
    """The DNN ``model_fn`` over ``head``: what ``DNNEstimator``, ``DNNClassifier`` and ``DNNRegressor`` share."""

    def __init__(self, head, hidden_units, feature_columns, model_dir, optimizer, activation_fn, dropout,
                 input_layer_partitioner, config, warm_start_from, batch_norm, v2=False):
        feature_columns = tuple(feature_columns or [])
        self._feature_columns = list(feature_columns)

        def _model_fn(features, labels, mode, config):
            return _dnn_model_fn(features, labels, mode, head, hidden_units, feature_columns, optimizer=optimizer,
                                 activation_fn=activation_fn, dropout=dropout,
                                 input_layer_partitioner=input_layer_partitioner, config=config,
                                 batch_norm=batch_norm, v2=v2)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class DNNClassifier(_DNNEstimatorBase):
    """``tf.compat.v1.estimator.DNNClassifier``: a feed-forward classifier over feature columns.

    Loss: sigmoid (``n_classes=2``) or softmax cross-entropy, reduced by ``loss_reduction``
    (default SUM). Default optimizer Adagrad with learning rate 0.05. See
    ``DNNLinearCombinedClassifier`` for the arguments.
    """

    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Adagrad", activation_fn=tf.nn.relu, dropout=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction=tf.losses.Reduction.SUM, batch_norm=False):
        head = head_lib._binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                             loss_reduction)
        super().__init__(head, hidden_units, feature_columns, model_dir, optimizer, activation_fn, dropout,
                         input_layer_partitioner, config, warm_start_from, batch_norm)


class DNNRegressor(_DNNEstimatorBase):
    """``tf.compat.v1.estimator.DNNRegressor``: a feed-forward regressor, squared-error loss (SUM by default)."""

    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Adagrad", activation_fn=tf.nn.relu, dropout=None, input_layer_partitioner=None,
                 config=None, warm_start_from=None, loss_reduction=tf.losses.Reduction.SUM, batch_norm=False):
        head = head_lib._regression_head(label_dimension=label_dimension, weight_column=weight_column,
                                         loss_reduction=loss_reduction)
        super().__init__(head, hidden_units, feature_columns, model_dir, optimizer, activation_fn, dropout,
                         input_layer_partitioner, config, warm_start_from, batch_norm)


class DNNEstimator(_DNNEstimatorBase):
    """``tf.compat.v1.estimator.DNNEstimator``: a feed-forward network whose loss, metrics and outputs are ``head``'s.

    ``head``: a V1 head (``tf1_recsys.estimator.canned.head`` or ``tf.contrib.estimator.*_head``).
    """

    def __init__(self, head, hidden_units, feature_columns, model_dir=None, optimizer="Adagrad",
                 activation_fn=tf.nn.relu, dropout=None, input_layer_partitioner=None, config=None,
                 warm_start_from=None, batch_norm=False):
        super().__init__(head, hidden_units, feature_columns, model_dir, optimizer, activation_fn, dropout,
                         input_layer_partitioner, config, warm_start_from, batch_norm)


class DNNClassifierV2(_DNNEstimatorBase):
    """``tf.estimator.DNNClassifier`` (V2): ``DNNClassifier`` with a V2 head and Keras' optimizer names.

    ``loss_reduction`` defaults to SUM_OVER_BATCH_SIZE; ``optimizer`` by name has Keras' default
    learning rate (Adagrad: 0.001, initial accumulator 0.1, epsilon 1e-7).
    """

    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Adagrad", activation_fn=tf.nn.relu, dropout=None, config=None,
                 warm_start_from=None, loss_reduction=head_utils.SUM_OVER_BATCH_SIZE, batch_norm=False):
        head = head_utils.binary_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction)
        super().__init__(head, hidden_units, feature_columns, model_dir, optimizers.v2_optimizer_fn(optimizer),
                         activation_fn, dropout, None, config, warm_start_from, batch_norm, v2=True)


class DNNRegressorV2(_DNNEstimatorBase):
    """``tf.estimator.DNNRegressor`` (V2): ``RegressionHead``, loss SUM_OVER_BATCH_SIZE, Keras' optimizer names."""

    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Adagrad", activation_fn=tf.nn.relu, dropout=None, config=None, warm_start_from=None,
                 loss_reduction=head_utils.SUM_OVER_BATCH_SIZE, batch_norm=False):
        head = head_utils.regression_head(label_dimension, weight_column, loss_reduction)
        super().__init__(head, hidden_units, feature_columns, model_dir, optimizers.v2_optimizer_fn(optimizer),
                         activation_fn, dropout, None, config, warm_start_from, batch_norm, v2=True)


class DNNEstimatorV2(_DNNEstimatorBase):
    """``tf.estimator.DNNEstimator`` (V2): a feed-forward network under a V2 ``head`` (``tf.estimator.*Head``)."""

    def __init__(self, head, hidden_units, feature_columns, model_dir=None, optimizer="Adagrad",
                 activation_fn=tf.nn.relu, dropout=None, config=None, warm_start_from=None, batch_norm=False):
        super().__init__(head, hidden_units, feature_columns, model_dir, optimizers.v2_optimizer_fn(optimizer),
                         activation_fn, dropout, None, config, warm_start_from, batch_norm, v2=True)


__all__ = ["DNNClassifier", "DNNClassifierV2", "DNNEstimator", "DNNEstimatorV2", "DNNRegressor", "DNNRegressorV2",
           "dnn_logit_fn_builder"]
