"""V1 canned heads, as ``tensorflow.python.estimator.canned.head`` (tf.estimator 2.15) has them.

A head turns logits [batch, logits_dimension] and labels into the ``EstimatorSpec`` of each
mode: predictions, training loss, evaluation metrics and serving signatures. Here are
the binary-classification head (sigmoid cross-entropy), which
``DNNClassifier`` / ``LinearClassifier`` / ``DNNLinearCombinedClassifier`` use for
``n_classes=2``, the multi-class head (softmax cross-entropy) for more, and the
regression head (squared error) of the regressors, and TF 1.x contrib's multi-label head
(independent sigmoids); a ``model_fn`` can use them directly::

    head = head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss()
    return head.create_estimator_spec(features, mode, logits, labels, train_op_fn=...)

``_Head`` writes ``create_loss`` and ``create_estimator_spec`` once; each head class says
only how it reads labels, its default loss, predictions, signatures and metrics. The V2
heads (``tf1_recsys.estimator.head``) are these classes behind the V2 interface.
"""
import collections
import inspect

from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned.metric_keys import MetricKeys
from tf1_recsys.estimator.canned.prediction_keys import PredictionKeys
from tf1_recsys.estimator.estimator_spec import DEFAULT_SERVING_KEY, EstimatorSpec
from tf1_recsys.estimator.export_output import ClassificationOutput, PredictOutput, RegressionOutput
from tf1_recsys.estimator.mode_keys import ModeKeys

CLASSIFY_SERVING_KEY = "classification"
REGRESS_SERVING_KEY = "regression"
PREDICT_SERVING_KEY = "predict"

LossSpec = collections.namedtuple("LossSpec", ["training_loss", "unreduced_loss", "weights", "processed_labels"])
LossSpec.__doc__ = """``create_loss``'s result: the reduced training loss (scalar), the per-example loss
[batch, 1], the example weights ([batch, 1] or the float 1.) and the labels as the loss saw them."""


def _summary_key(head_name, key):
    return "%s/%s" % (key, head_name) if head_name else key


class _Head(object):
    """The V1 head: what every head shares; a subclass says what differs.

    ``create_loss`` and ``create_estimator_spec`` are written once here. A subclass sets
    ``self._logits_dimension`` and provides:

    - ``_processed_labels(labels, logits)``: the labels as the loss sees them, [batch, dim];
    - ``_default_unreduced_loss(labels, logits)``: the per-example loss without ``loss_fn``;
    - ``_predictions(logits)``: the prediction dict of ``logits`` [batch, logits_dimension];
    - ``_export_outputs(predictions)``: the serving signatures of PREDICT;
    - ``_metric_ops(labels, predictions, weights, unreduced_loss)``: EVAL's metrics, unsuffixed
      (``weights`` None when unweighted).
    """

    _OPTIONAL_LOSS_FN_ARGS = ("features",)
    _V2 = False  # tf.estimator's V2 heads' messages (head/base_head.py) where they differ from the V1 ones
    _PER_LOGIT_WEIGHTS = False  # weights may also be [D0, ... DN, logits_dimension]

    @property
    def _loss_dimension(self):
        """The last dimension of the per-example loss a ``loss_fn`` returns."""
        return 1

    def __init__(self, weight_column=None, loss_reduction=tf.losses.Reduction.SUM, loss_fn=None, name=None):
        _validate_loss_reduction(loss_reduction)
        if loss_fn:
            _validate_loss_fn_args(loss_fn, self._OPTIONAL_LOSS_FN_ARGS)
        self._weight_column = weight_column
        self._loss_reduction = loss_reduction
        self._loss_fn = loss_fn
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def logits_dimension(self):
        return self._logits_dimension

    def create_loss(self, features, mode, logits, labels):
        """``LossSpec``: the reduced training loss, the per-example loss, the weights and the processed labels."""
        del mode
        logits = tf.convert_to_tensor(logits)
        labels = self._processed_labels(labels, logits)
        if self._loss_fn:
            kwargs = {"features": features} if "features" in _loss_fn_args(self._loss_fn) else {}
            with tf.name_scope(None, "call_loss_fn", [labels, logits] + list(features.values())):
                unreduced = _loss_checked(self._loss_fn(labels=labels, logits=logits, **kwargs), logits,
                                          self._loss_dimension)
        else:
            unreduced = self._default_unreduced_loss(labels, logits)
        weights = _weight_tensor(features, self._weight_column, logits, self._PER_LOGIT_WEIGHTS)
        training_loss = tf.losses.compute_weighted_loss(unreduced, weights=weights, reduction=self._loss_reduction)
        return LossSpec(training_loss, unreduced, weights, labels)

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, train_op_fn=None,
                              regularization_losses=None):
        """The ``EstimatorSpec`` of ``mode`` for ``logits`` [batch, logits_dimension].

        TRAIN needs exactly one of ``optimizer`` (``optimizer.minimize(loss, global_step)``)
        and ``train_op_fn`` (loss -> train op); the ``UPDATE_OPS`` collection runs with it.
        ``regularization_losses`` (scalars) add to the training loss.
        """

        def train_op_of(loss):
            return _append_update_ops(_train_op(loss, optimizer, train_op_fn))

        return self._estimator_spec(features, mode, logits, labels, train_op_of, regularization_losses)

    def _estimator_spec(self, features, mode, logits, labels, train_op_of, regularization_losses):
        """``create_estimator_spec`` with the TRAIN op given as ``train_op_of(loss)``."""
        with tf.name_scope(self._name, "head"):
            logits = _logits_checked(logits, self.logits_dimension, self._V2)
            with tf.name_scope(None, "predictions", (logits,)):
                predictions = self._predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode=ModeKeys.PREDICT, predictions=predictions,
                                     export_outputs=self._export_outputs(predictions))
            training_loss, unreduced_loss, weights, labels = self.create_loss(features, mode, logits, labels)
            loss, regularization_loss = self._regularized(training_loss, regularization_losses)
            if mode == ModeKeys.EVAL:
                return EstimatorSpec(mode=ModeKeys.EVAL, predictions=predictions, loss=loss,
                                     eval_metric_ops=self._eval_metric_ops(labels, predictions, weights,
                                                                           unreduced_loss, regularization_loss))
            return self._train_spec(predictions, loss, training_loss, unreduced_loss, weights,
                                    regularization_loss, train_op_of)

    def _auc(self, labels, scores, weights, curve, name):
        """The (value, update_op) of the area under ``curve`` ('ROC' or 'PR')."""
        return _weighted_auc(labels, scores, weights, curve, name)

    def _eval_metric_ops(self, labels, predictions, weights, unreduced_loss, regularization_loss):
        """The subclass's metrics plus 'regularization_loss', each key suffixed with '/<name>'."""
        weights = None if isinstance(weights, float) else weights
        with tf.name_scope(None, "metrics", (labels, unreduced_loss)):
            ops = self._metric_ops(labels, predictions, weights, unreduced_loss)
            if regularization_loss is not None:
                ops[MetricKeys.LOSS_REGULARIZATION] = tf.metrics.mean(regularization_loss,
                                                                      name=MetricKeys.LOSS_REGULARIZATION)
        return {_summary_key(self._name, key): value for key, value in ops.items()}

    def _train_spec(self, predictions, loss, training_loss, unreduced_loss, weights, regularization_loss,
                    train_op_of):
        """The TRAIN ``EstimatorSpec``: the train op ``train_op_of(loss)`` and the loss summaries."""
        train_op = train_op_of(loss)
        mean_loss = None
        if self._loss_reduction == tf.losses.Reduction.SUM:
            mean_loss = training_loss / tf.reduce_sum(weights * tf.ones_like(unreduced_loss))
        with tf.name_scope(""):
            tf.summary.scalar(_summary_key(self._name, MetricKeys.LOSS), loss)
            if mean_loss is not None:
                tf.summary.scalar(_summary_key(self._name, MetricKeys.LOSS_MEAN), mean_loss)
            if regularization_loss is not None:
                tf.summary.scalar(_summary_key(self._name, MetricKeys.LOSS_REGULARIZATION), regularization_loss)
        return EstimatorSpec(mode=ModeKeys.TRAIN, predictions=predictions, loss=loss, train_op=train_op)

    def _regularized(self, training_loss, regularization_losses):
        """(loss, regularization_loss or None): the training loss plus ``regularization_losses``."""
        if not regularization_losses:
            return training_loss, None
        regularization_loss = tf.add_n(regularization_losses)
        return tf.add_n([training_loss, regularization_loss]), regularization_loss


_NO_LABELS = ("You must provide a labels Tensor. Given: None. Suggested troubleshooting steps: Check that your data "
              "{} your label feature. Check that your input_fn properly parses and returns labels.")
_SPARSE_LABELS = {
    False: ("SparseTensor labels are not supported. labels must be a Tensor of shape [D0, D1, ..., DN, {0}], "
            "e.g. [batch_size, {0}]. Suggested Fix (1): Check the label feature in your data. Each example must "
            "contain {0} value(s). If not, your choice of label was probably incorrect. Suggested Fix (2): In your "
            "input_fn, use tf.sparse_tensor_to_dense() to turn labels into a Tensor."),
    True: ("SparseTensor labels are not supported. Labels must be a Tensor of shape [D0, D1, ..., DN, {0}], "
           "e.g. [batch_size, {0}].Suggested Fix (1): Check the label feature in your data. Each example must "
           "contain {0} value(s). If not, your choice of label was probably incorrect. Suggested Fix (2): In your "
           "input_fn, use tf.sparse_tensor_to_dense() to turn labels into a Tensor.")}
_LABEL_DIMENSION = {
    False: ("Mismatched label shape. Expected labels dimension={}.  Received {}. Suggested Fix:If your classifier "
            "expects one-hot encoding label,check your n_classes argument to the estimator and/or the shape of your "
            "label. Otherwise, check the shape of your label."),
    True: ("Mismatched label shape. Expected labels dimension={}.  Received {}. Suggested Fix: If your classifier "
           "expects one-hot encoding label, check your n_classes argument to the estimator and/or the shape of your "
           "label. Otherwise, check the shape of your label.")}
_LABEL_SHAPE = "labels shape must be [D0, D1, ... DN, {}]. Suggested Fix: check your n_classes argument to the {} " \
               "and/or the shape of your label."


def _static_shape(tensor):
    """The static shape of an eager tensor as a tuple of ints."""
    return tuple(tensor.shape.as_list())


def _labels_as_column(labels, logits, expected_labels_dimension, v2=False):
    """``labels`` [D0, ... DN] or [D0, ... DN, dim] as a dense [D0, ... DN, dim] tensor checked against ``logits``.

    ``v2`` selects the messages of tf.estimator's V2 heads (``head/base_head.py``) over the V1 ones.
    Eagerly the shapes are checked at once (ValueError); in a graph a wrong static last dimension
    raises ValueError and the rest is an assertion run with the labels (InvalidArgumentError).
    """
    if labels is None:
        raise ValueError(_NO_LABELS.format("contains" if v2 else "contain"))
    with tf.name_scope(None, "labels", (labels, logits)) as scope:
        labels = tf.convert_to_tensor_or_sparse_tensor(labels)
        if isinstance(labels, tf.SparseTensor):
            raise ValueError(_SPARSE_LABELS[v2].format(expected_labels_dimension))
        shape_message = _LABEL_SHAPE.format(expected_labels_dimension, "head" if v2 else "estimator")
        if (labels.shape.ndims is not None and logits.shape.ndims is not None
                and labels.shape.ndims == logits.shape.ndims - 1):
            labels = tf.expand_dims(labels, -1)
        if tf.executing_eagerly():
            labels_shape = _static_shape(labels)
            if len(labels_shape) < 2:
                raise ValueError("labels must have rank at least 2.  Received rank {}, shape {}".format(
                    len(labels_shape), labels_shape))
            if labels_shape[-1] != expected_labels_dimension:
                raise ValueError(_LABEL_DIMENSION[v2].format(expected_labels_dimension, labels_shape[-1]))
            expected_shape = _static_shape(logits)[:-1] + (expected_labels_dimension,)
            if expected_shape != labels_shape:
                raise ValueError("{}, expected_labels_shape: {}. labels_shape: {}.".format(
                    shape_message, expected_shape, labels_shape))
            return labels
        rank_check = tf.debugging.assert_rank_at_least(labels, 2, message=shape_message)
        with tf.control_dependencies([rank_check]):
            last = labels.shape[-1] if labels.shape.ndims is not None else None
            if last is not None and last != expected_labels_dimension:
                raise ValueError(_LABEL_DIMENSION[v2].format(expected_labels_dimension, last))
            expected_shape = tf.concat([tf.shape(logits)[:-1], [expected_labels_dimension]], axis=0)
            labels_shape = tf.shape(labels)
            shape_check = tf.debugging.assert_equal(
                expected_shape, labels_shape, message=shape_message,
                data=["expected_labels_shape: ", expected_shape, "labels_shape: ", labels_shape])
            with tf.control_dependencies([shape_check]):
                return tf.identity(labels, name=scope)


def _weight_tensor(features, weight_column, logits, allow_per_logit_weights=False):
    """Example weights (float32) from ``features`` matching ``logits`` [D0, ... DN, logits_dimension], or 1.

    ``weight_column`` is a feature key, or a numeric column (its ``normalizer_fn`` applies). Weights
    may be [D0] (read as [D0, 1], as a numeric column reads them), [D0, ... DN] (then expanded),
    [D0, ... DN, 1] or, with ``allow_per_logit_weights``, [D0, ... DN, logits_dimension]: checked
    at once eagerly (ValueError), by an assertion in a graph (InvalidArgumentError).
    """
    if weight_column is None:
        return 1.
    if isinstance(weight_column, str):
        key, normalizer = weight_column, None
    elif hasattr(weight_column, "key") and hasattr(weight_column, "normalizer_fn"):
        key, normalizer = weight_column.key, weight_column.normalizer_fn
    else:
        raise TypeError("Weight column must be either a string or _DenseColumn. Given type: {}."
                        .format(type(weight_column)))
    if key not in features:
        raise KeyError("weight_column %r is not in the features %s." % (key, sorted(features)))
    message = ("weights shape must be [D0, D1, ... DN], [D0, D1, ... DN, 1] or [D0, D1, ... DN, logits_dimension]"
               if allow_per_logit_weights else "weights shape must be [D0, D1, ... DN] or [D0, D1, ... DN, 1]")
    with tf.name_scope(None, "weights", tuple(features.values()) + (logits,)) as scope:
        weights = features[key]
        if isinstance(weights, tf.SparseTensor):
            raise ValueError("weight_column %r must be a dense Tensor; got a SparseTensor." % key)
        weights = tf.convert_to_tensor(weights)
        if not (weights.dtype.is_floating or weights.dtype.is_integer):
            raise ValueError("Weight column should be castable to float. Given dtype: {}".format(weights.dtype))
        if normalizer is not None:
            weights = normalizer(weights)
        weights = tf.cast(weights, tf.float32)
        if weights.shape.ndims == 1:
            weights = tf.expand_dims(weights, -1)
        if tf.executing_eagerly():
            weights_shape, logits_shape = _static_shape(weights), _static_shape(logits)
            if len(weights_shape) == len(logits_shape) - 1:
                allowed, weights = [logits_shape[:-1]], tf.expand_dims(weights, -1)
            else:
                allowed = [logits_shape[:-1] + (1,)] + ([logits_shape] if allow_per_logit_weights else [])
            if weights_shape not in allowed:
                raise ValueError("{}, logits_shape: {}. weights_shape: {}.".format(message, logits_shape,
                                                                                  weights_shape))
            return weights
        weights_shape, logits_shape = tf.shape(weights), tf.shape(logits)
        data = ["logits_shape: ", logits_shape, "weights_shape: ", weights_shape]
        if (weights.shape.ndims is not None and logits.shape.ndims is not None
                and weights.shape.ndims == logits.shape.ndims - 1):
            check = tf.debugging.assert_equal(logits_shape[:-1], weights_shape, message=message, data=data)
            with tf.control_dependencies([check]):
                return tf.expand_dims(weights, -1, name=scope)
        column_shape = tf.concat([logits_shape[:-1], [1]], axis=0)
        if allow_per_logit_weights:
            matches = tf.reduce_any([tf.reduce_all(tf.equal(logits_shape, weights_shape)),
                                     tf.reduce_all(tf.equal(column_shape, weights_shape))])
            check = tf.debugging.Assert(matches, [message] + data)
        else:
            check = tf.debugging.assert_equal(column_shape, weights_shape, message=message, data=data)
        with tf.control_dependencies([check]):
            return tf.identity(weights, name=scope)


def _logits_checked(logits, expected_dimension, v2=False):
    """``logits`` as float32 [D0, ... DN, expected_dimension] (an int, or a Tensor: checked at run time)."""
    message = ("logits shape must be [D0, D1, ... DN, logits_dimension]" if v2 else
               "logits shape must be [D0, D1, ... DN, logits_dimension=%s]" % (expected_dimension,))
    with tf.name_scope(None, "logits", (logits,)) as scope:
        logits = tf.cast(logits, tf.float32)
        static = isinstance(expected_dimension, int)
        if tf.executing_eagerly():
            shape = _static_shape(logits)
            if len(shape) < 2:
                raise ValueError("logits must have rank at least 2.  Received rank {}, shape {}".format(
                    len(shape), shape))
            if static and shape[-1] != expected_dimension:
                raise ValueError("logits shape must be [D0, D1, ... DN, logits_dimension], got {}.".format(shape))
            return logits
        logits_shape = tf.shape(logits)
        rank_check = tf.debugging.assert_rank_at_least(
            logits, 2, data=[logits_shape], message="logits shape must be [D0, D1, ... DN, logits_dimension]")
        with tf.control_dependencies([rank_check]):
            last = logits.shape[-1] if logits.shape.ndims is not None else None
            if last is not None:
                if static and last != expected_dimension:
                    raise ValueError("%s, got %s." % (message, logits.shape))
                return logits
            dim_check = tf.debugging.assert_equal(expected_dimension, logits_shape[-1], data=[logits_shape],
                                                  message=message)
            with tf.control_dependencies([dim_check]):
                return tf.identity(logits, name=scope)


def _check_label_range(labels, n_classes, message=None, v2=False):
    """``labels`` checked to be in [0, n_classes - 1]: at once eagerly (ValueError), else at run time."""
    with tf.name_scope(None, "check_label_range" if v2 else "assert_range", (labels,)):
        if tf.executing_eagerly():
            if not bool(tf.reduce_all(labels <= n_classes - 1)):
                raise ValueError(message or "Labels must be <= {} - 1".format(n_classes))
            if not bool(tf.reduce_all(labels >= 0)):
                raise ValueError(message or "Labels must be >= 0")
            return labels
        upper = tf.debugging.assert_less_equal(labels, tf.constant(n_classes - 1, labels.dtype),
                                               message=message or ("Labels must be <= n_classes - 1" if v2
                                                                          else "Labels must <= n_classes - 1"))
        lower = tf.debugging.assert_non_negative(labels, message=message or "Labels must be >= 0")
        with tf.control_dependencies([upper, lower]):
            return tf.identity(labels)


def _loss_checked(unreduced_loss, logits, expected_loss_dim=1):
    """A ``loss_fn``'s result, checked to be [D0, ... DN, expected_loss_dim] like ``logits``."""
    message = "loss_fn must return Tensor of shape [D0, D1, ... DN, {}]. ".format(expected_loss_dim)
    if tf.executing_eagerly():
        loss_shape, logits_shape = _static_shape(unreduced_loss), _static_shape(logits)
        if loss_shape != logits_shape[:-1] + (expected_loss_dim,):
            raise ValueError(message, "logits_shape: ", logits_shape, "loss_shape: ", loss_shape)
        return unreduced_loss
    logits_shape = tf.shape(logits, name="logits_shape")
    expected_shape = tf.concat([logits_shape[:-1], [expected_loss_dim]], axis=0, name="expected_loss_shape")
    loss_shape = tf.shape(unreduced_loss, name="loss_shape")
    check = tf.debugging.Assert(tf.reduce_all(tf.equal(loss_shape, expected_shape)),
                                [message, "logits_shape: ", logits_shape, "loss_shape: ", loss_shape],
                                name="check_loss_shape")
    with tf.control_dependencies([check]):
        return tf.identity(unreduced_loss)


def _tiled_per_example(row, logits):
    """``row`` [n] repeated for each example of ``logits``: [batch, n]."""
    return tf.tile(tf.expand_dims(row, 0), [tf.shape(logits)[0], 1])


def _class_names(n_classes, label_vocabulary):
    return tf.constant(list(label_vocabulary)) if label_vocabulary else tf.as_string(tf.range(n_classes))


def _weighted_mean(values, weights, name):
    """``tf.compat.v1.metrics.mean`` of ``values`` (cast to float) with broadcast ``weights``."""
    with tf.name_scope(name, values=(values, weights)) as scope:
        values = tf.cast(values, tf.float32)
        if weights is not None:
            weights = tf.broadcast_to(tf.convert_to_tensor(weights, tf.float32), tf.shape(values))
        return tf.metrics.mean(values, weights=weights, name=scope)


def _weighted_auc(labels, scores, weights, curve, name):
    with tf.name_scope(name, values=(scores, labels, weights)) as scope:
        scores = tf.cast(scores, tf.float32)
        if weights is not None:
            weights = tf.broadcast_to(tf.convert_to_tensor(weights, tf.float32), tf.shape(scores))
        return tf.metrics.auc(labels=labels, predictions=scores, weights=weights, curve=curve, name=scope)


def _accuracy_baseline(labels_mean):
    """The accuracy of always predicting the majority class: max(mean, 1 - mean)."""
    value, update = labels_mean
    with tf.name_scope(None, "accuracy_baseline", labels_mean):
        return tf.maximum(value, 1. - value, name="value"), tf.maximum(update, 1. - update, name="update_op")


def _loss_fn_args(loss_fn):
    return list(inspect.signature(loss_fn).parameters)


def _validate_loss_fn_args(loss_fn, optional=("features",)):
    """``loss_fn`` must take ``labels`` and ``logits``, and nothing but those and ``optional``."""
    args = tuple(_loss_fn_args(loss_fn))
    for required in ("labels", "logits"):
        if required not in args:
            raise ValueError("loss_fn must contain argument: {}. Given arguments: {}".format(required, args))
    unexpected = [a for a in args if a not in ("labels", "logits") + tuple(optional)]
    if unexpected:
        raise ValueError("loss_fn has unexpected args: {}".format(unexpected))


def _validate_loss_reduction(loss_reduction):
    if loss_reduction not in tf.losses.Reduction.all() or loss_reduction == tf.losses.Reduction.NONE:
        raise ValueError("Invalid loss_reduction: {}".format(loss_reduction))


def _train_op(loss, optimizer, train_op_fn, var_list=None):
    """``optimizer.minimize(loss, global_step, var_list)`` or ``train_op_fn(loss)``: exactly one must be given."""
    if optimizer is not None:
        if train_op_fn is not None:
            raise ValueError("train_op_fn and optimizer cannot both be set.")
        extra = {} if var_list is None else {"var_list": var_list}  # TF 1.x's heads pass only global_step
        return optimizer.minimize(loss, global_step=tf.train.get_global_step(), **extra)
    if train_op_fn is not None:
        return train_op_fn(loss)
    raise ValueError("train_op_fn and optimizer cannot both be None.")


def _append_update_ops(train_op):
    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    return tf.group(train_op, *update_ops) if update_ops else train_op


def _threshold_metric_ops(labels, scores, weights, thresholds):
    """accuracy / precision / recall at each threshold of ``scores`` (probabilities) in (0, 1)."""
    keys, ops = MetricKeys, {}
    for threshold in thresholds:
        above = tf.cast(tf.greater_equal(scores, threshold), tf.float32)
        ops[keys.ACCURACY_AT_THRESHOLD % threshold] = tf.metrics.accuracy(
            labels, above, weights=weights, name=keys.ACCURACY_AT_THRESHOLD % threshold)
        for key, fn in ((keys.PRECISION_AT_THRESHOLD, tf.metrics.precision_at_thresholds),
                        (keys.RECALL_AT_THRESHOLD, tf.metrics.recall_at_thresholds)):
            value, update = fn(labels, scores, [threshold], weights=weights, name=key % threshold)
            ops[key % threshold] = (tf.squeeze(value), tf.squeeze(update))
    return ops


def _classification_output(scores, n_classes, label_vocabulary):
    """The 'classification' signature: ``scores`` [batch, n_classes] and every class name per example."""
    return ClassificationOutput(scores=scores,
                                classes=_tiled_per_example(_class_names(n_classes, label_vocabulary), scores))


class _BinaryLogisticHeadWithSigmoidCrossEntropyLoss(_Head):
    """Binary classification: one logit per example, sigmoid cross-entropy loss."""

    def __init__(self, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=tf.losses.Reduction.SUM, loss_fn=None, name=None):
        thresholds = tuple(thresholds) if thresholds else ()
        if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
            raise TypeError("label_vocabulary should be a list or tuple. Given type: {}".format(
                type(label_vocabulary)))
        for threshold in thresholds:
            if threshold <= 0.0 or threshold >= 1.0:
                raise ValueError("thresholds not in (0, 1): {}.".format((thresholds,)))
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._logits_dimension = 1
        self._thresholds = thresholds
        self._label_vocabulary = label_vocabulary

    def _processed_labels(self, labels, logits):
        """Labels [batch(, 1)] in {0, 1} (or the vocabulary's two strings) as float [batch, 1]."""
        labels = _labels_as_column(labels, logits, 1, self._V2)
        if self._label_vocabulary is not None:
            labels = _vocabulary_ids(self._label_vocabulary, labels)
        return _check_label_range(tf.cast(labels, tf.float32), 2, v2=self._V2)

    def _default_unreduced_loss(self, labels, logits):
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)

    def _predictions(self, logits):
        keys = PredictionKeys
        logistic = tf.sigmoid(logits, name=keys.LOGISTIC)
        two_class_logits = tf.concat((tf.zeros_like(logits), logits), axis=-1, name="two_class_logits")
        probabilities = tf.nn.softmax(two_class_logits, name=keys.PROBABILITIES)
        class_ids = tf.expand_dims(tf.argmax(two_class_logits, axis=-1, name=keys.CLASS_IDS), axis=-1)
        if self._label_vocabulary:
            table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.range(2, dtype=tf.int64),
                                                    tf.constant(list(self._label_vocabulary))),
                default_value="UNK", name="class_string_lookup")
            classes = table.lookup(class_ids)
        else:
            classes = tf.as_string(class_ids, name="str_classes")
        return {
            keys.LOGITS: logits, keys.LOGISTIC: logistic, keys.PROBABILITIES: probabilities,
            keys.CLASS_IDS: class_ids, keys.CLASSES: classes,
            keys.ALL_CLASS_IDS: _tiled_per_example(tf.range(2), logits),
            keys.ALL_CLASSES: _tiled_per_example(_class_names(2, self._label_vocabulary), logits),
        }

    def _export_outputs(self, predictions):
        keys = PredictionKeys
        classification = _classification_output(predictions[keys.PROBABILITIES], 2, self._label_vocabulary)
        return {DEFAULT_SERVING_KEY: classification, CLASSIFY_SERVING_KEY: classification,
                REGRESS_SERVING_KEY: RegressionOutput(value=predictions[keys.LOGISTIC]),
                PREDICT_SERVING_KEY: PredictOutput(predictions)}

    def _metric_ops(self, labels, predictions, weights, unreduced_loss):
        keys = MetricKeys
        logistic, class_ids = predictions[PredictionKeys.LOGISTIC], predictions[PredictionKeys.CLASS_IDS]
        labels_mean = _weighted_mean(labels, weights, keys.LABEL_MEAN)
        ops = {
            keys.LOSS_MEAN: tf.metrics.mean(unreduced_loss, weights=weights, name=keys.LOSS_MEAN),
            keys.ACCURACY: tf.metrics.accuracy(labels, class_ids, weights=weights, name=keys.ACCURACY),
            keys.PRECISION: tf.metrics.precision(labels, class_ids, weights=weights, name=keys.PRECISION),
            keys.RECALL: tf.metrics.recall(labels, class_ids, weights=weights, name=keys.RECALL),
            keys.PREDICTION_MEAN: _weighted_mean(logistic, weights, keys.PREDICTION_MEAN),
            keys.LABEL_MEAN: labels_mean,
            keys.ACCURACY_BASELINE: _accuracy_baseline(labels_mean),
            keys.AUC: self._auc(labels, logistic, weights, "ROC", keys.AUC),
            keys.AUC_PR: self._auc(labels, logistic, weights, "PR", keys.AUC_PR),
        }
        ops.update(_threshold_metric_ops(labels, logistic, weights, self._thresholds))
        return ops


class _MultiClassHeadWithSoftmaxCrossEntropyLoss(_Head):
    """Multi-class classification: ``n_classes`` logits per example, softmax cross-entropy loss."""

    def __init__(self, n_classes, weight_column=None, label_vocabulary=None, loss_reduction=tf.losses.Reduction.SUM,
                 loss_fn=None, name=None):
        if n_classes is None:
            raise ValueError("n_classes cannot be None")
        if isinstance(n_classes, int) and n_classes <= 2:
            raise ValueError("n_classes must be > 2: %s." % n_classes)
        if label_vocabulary is not None and not isinstance(label_vocabulary, (list, tuple)):
            raise ValueError("label_vocabulary should be a list or a tuple. Given type: {}".format(
                type(label_vocabulary)))
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._logits_dimension = self._n_classes = n_classes
        self._label_vocabulary = label_vocabulary

    def _processed_labels(self, labels, logits):
        """Class ids (or vocabulary strings) [batch(, 1)] as checked int ids [batch, 1]."""
        labels = _labels_as_column(labels, logits, 1, self._V2)
        if self._label_vocabulary is None:
            if not labels.dtype.is_integer:
                raise ValueError("Labels dtype should be integer. Instead got {}.".format(labels.dtype))
            ids = labels
        else:
            if labels.dtype != tf.string:
                raise ValueError("Labels dtype should be string if there is a vocabulary. Instead got {}"
                                 .format(labels.dtype))
            ids = _vocabulary_ids(self._label_vocabulary, labels)
        return _check_label_range(ids, self._n_classes, v2=self._V2)

    def _default_unreduced_loss(self, labels, logits):
        return tf.expand_dims(tf.losses.sparse_softmax_cross_entropy(
            labels=labels, logits=logits, reduction=tf.losses.Reduction.NONE), axis=-1)

    def _predictions(self, logits):
        keys = PredictionKeys
        names = _class_names(self._n_classes, self._label_vocabulary)
        class_ids = tf.expand_dims(tf.argmax(logits, axis=-1, name=keys.CLASS_IDS), axis=-1)
        if self._label_vocabulary:
            classes = tf.gather(names, class_ids)
        else:
            classes = tf.as_string(class_ids, name="str_classes")
        return {keys.LOGITS: logits, keys.PROBABILITIES: tf.nn.softmax(logits, name=keys.PROBABILITIES),
                keys.CLASS_IDS: class_ids, keys.CLASSES: classes,
                keys.ALL_CLASS_IDS: _tiled_per_example(tf.range(self._n_classes), logits),
                keys.ALL_CLASSES: _tiled_per_example(names, logits)}

    def _export_outputs(self, predictions):
        keys = PredictionKeys
        classification = _classification_output(predictions[keys.PROBABILITIES], self._n_classes,
                                                 self._label_vocabulary)
        return {DEFAULT_SERVING_KEY: classification, CLASSIFY_SERVING_KEY: classification,
                PREDICT_SERVING_KEY: PredictOutput(predictions)}

    def _metric_ops(self, labels, predictions, weights, unreduced_loss):
        keys = MetricKeys
        return {keys.LOSS_MEAN: tf.metrics.mean(unreduced_loss, weights=weights, name=keys.LOSS_MEAN),
                keys.ACCURACY: tf.metrics.accuracy(labels, predictions[PredictionKeys.CLASS_IDS], weights=weights,
                                                   name=keys.ACCURACY)}


def _multi_class_head_with_softmax_cross_entropy_loss(n_classes, weight_column=None, label_vocabulary=None,
                                                      loss_reduction=tf.losses.Reduction.SUM, loss_fn=None,
                                                      name=None):
    """A multi-class head (``n_classes`` > 2): softmax cross-entropy; metrics ``accuracy``, ``average_loss``."""
    return _MultiClassHeadWithSoftmaxCrossEntropyLoss(n_classes, weight_column, label_vocabulary, loss_reduction,
                                                      loss_fn, name)


class _RegressionHeadWithMeanSquaredErrorLoss(_Head):
    """Regression: ``label_dimension`` logits per example, squared-error loss; weights also per label."""

    _PER_LOGIT_WEIGHTS = True

    @property
    def _loss_dimension(self):
        return self._logits_dimension

    def __init__(self, label_dimension, weight_column=None, loss_reduction=tf.losses.Reduction.SUM, loss_fn=None,
                 inverse_link_fn=None, name=None):
        if label_dimension < 1:
            raise ValueError("Invalid label_dimension %s." % label_dimension)
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._logits_dimension = label_dimension
        self._inverse_link_fn = inverse_link_fn

    def _processed_labels(self, labels, logits):
        """Float labels [batch, label_dimension] (or [batch] for 1) as float32 [batch, label_dimension]."""
        return tf.cast(_labels_as_column(labels, logits, self._logits_dimension, self._V2), tf.float32)

    def _default_unreduced_loss(self, labels, logits):
        return tf.losses.mean_squared_error(labels=labels, predictions=logits, reduction=tf.losses.Reduction.NONE)

    def _predictions(self, logits):
        """'predictions' (the inverse link of the logits, if any; then also 'logits')."""
        keys = PredictionKeys
        if self._inverse_link_fn:
            return {keys.PREDICTIONS: self._inverse_link_fn(logits), keys.LOGITS: logits}
        return {keys.PREDICTIONS: logits}

    def _export_outputs(self, predictions):
        regression = RegressionOutput(value=predictions[PredictionKeys.PREDICTIONS])
        return {DEFAULT_SERVING_KEY: regression, REGRESS_SERVING_KEY: regression,
                PREDICT_SERVING_KEY: PredictOutput(predictions)}

    def _metric_ops(self, labels, predictions, weights, unreduced_loss):
        keys = MetricKeys
        return {keys.LOSS_MEAN: tf.metrics.mean(unreduced_loss, weights=weights),
                keys.PREDICTION_MEAN: _weighted_mean(predictions[PredictionKeys.PREDICTIONS], weights,
                                                     keys.PREDICTION_MEAN),
                keys.LABEL_MEAN: tf.metrics.mean(labels, weights=weights)}


def _regression_head(weight_column=None, label_dimension=1, loss_reduction=tf.losses.Reduction.SUM, loss_fn=None,
                     inverse_link_fn=None, name=None):
    """A regression head: ``label_dimension`` outputs, mean squared error per example.

    ``inverse_link_fn`` (logits -> predictions) adds the 'logits' prediction key.
    """
    return _RegressionHeadWithMeanSquaredErrorLoss(label_dimension, weight_column, loss_reduction, loss_fn,
                                                   inverse_link_fn, name)


class _MultiLabelHead(_Head):
    """Multi-label classification: ``n_classes`` independent sigmoids, loss averaged over the classes.

    Labels: a multi-hot int Tensor [batch, n_classes], or a SparseTensor of class ids (of
    ``label_vocabulary`` strings) [batch, ?]. Predictions 'logits' and 'probabilities'.
    """

    def __init__(self, n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None,
                 classes_for_class_based_metrics=None, name=None):
        thresholds = tuple(thresholds) if thresholds else ()
        if n_classes is None or n_classes < 2:
            raise ValueError("n_classes must be > 1 for multi-{} classification. Given: {}".format(
                "label" if self._V2 else "class", n_classes))
        for threshold in thresholds:
            if threshold <= 0.0 or threshold >= 1.0:
                raise ValueError("thresholds must be in (0, 1) range. Given: {}".format(threshold))
        if label_vocabulary is not None:
            if not isinstance(label_vocabulary, (list, tuple)):
                raise ValueError("label_vocabulary must be a list or tuple. Given type: {}".format(
                    type(label_vocabulary)))
            if len(label_vocabulary) != n_classes:
                raise ValueError("Length of label_vocabulary must be n_classes ({}). Given: {}".format(
                    n_classes, len(label_vocabulary)))
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._logits_dimension = self._n_classes = n_classes
        self._thresholds = thresholds
        self._label_vocabulary = label_vocabulary
        self._classes_for_class_based_metrics = _class_ids_for_metrics(classes_for_class_based_metrics, n_classes,
                                                                       label_vocabulary)

    def _processed_labels(self, labels, logits):
        """Multi-hot int64 labels [batch, n_classes]."""
        if labels is None:
            _labels_as_column(labels, logits, self._n_classes, self._V2)  # raises the missing-labels error
        if isinstance(labels, tf.SparseTensor):
            if labels.dtype == tf.string:
                ids = tf.SparseTensor(labels.indices, _vocabulary_ids(self._label_vocabulary, labels.values),
                                      labels.dense_shape)
                labels = tf.cast(tf.sparse.to_indicator(ids, self._n_classes), tf.int64)
            else:
                if not labels.dtype.is_integer:
                    raise ValueError("Labels dtype should be integer. Instead got {}.".format(labels.dtype))
                message = "labels must be an integer SparseTensor with values in [0, {})".format(self._n_classes)
                values = _check_label_range(labels.values, self._n_classes, message, v2=self._V2)
                labels = tf.SparseTensor(labels.indices, values, labels.dense_shape)
                labels = tf.cast(tf.sparse.to_indicator(labels, self._n_classes), tf.int64)
        else:
            labels = _check_label_range(tf.convert_to_tensor(labels), 2,
                                        message="labels must be an integer indicator Tensor with values in [0, 1]")
        return _labels_as_column(labels, logits, self._n_classes, self._V2)

    def _default_unreduced_loss(self, labels, logits):
        unreduced = tf.losses.sigmoid_cross_entropy(multi_class_labels=labels, logits=logits,
                                                    reduction=tf.losses.Reduction.NONE)
        return tf.reduce_mean(unreduced, axis=-1, keepdims=True)

    def _predictions(self, logits):
        keys = PredictionKeys
        return {keys.LOGITS: logits, keys.PROBABILITIES: tf.sigmoid(logits, name=keys.PROBABILITIES)}

    def _export_outputs(self, predictions):
        classification = _classification_output(predictions[PredictionKeys.PROBABILITIES], self._n_classes,
                                                 self._label_vocabulary)
        return {DEFAULT_SERVING_KEY: classification, CLASSIFY_SERVING_KEY: classification,
                PREDICT_SERVING_KEY: PredictOutput(predictions)}

    def _metric_ops(self, labels, predictions, weights, unreduced_loss):
        keys = MetricKeys
        probabilities = predictions[PredictionKeys.PROBABILITIES]
        ops = {keys.LOSS_MEAN: tf.metrics.mean(unreduced_loss, weights=weights, name=keys.LOSS_MEAN),
               keys.AUC: self._auc(labels, probabilities, weights, "ROC", keys.AUC),
               keys.AUC_PR: self._auc(labels, probabilities, weights, "PR", keys.AUC_PR)}
        ops.update(_threshold_metric_ops(labels, probabilities, weights, self._thresholds))
        for class_id in self._classes_for_class_based_metrics:
            class_probabilities = probabilities[..., class_id:class_id + 1]
            class_labels = labels[..., class_id:class_id + 1]
            if self._label_vocabulary is None:
                mean_key, auc_key, auc_pr_key = (keys.PROBABILITY_MEAN_AT_CLASS % class_id,
                                                 keys.AUC_AT_CLASS % class_id, keys.AUC_PR_AT_CLASS % class_id)
            else:
                class_name = self._label_vocabulary[class_id]
                mean_key, auc_key, auc_pr_key = (keys.PROBABILITY_MEAN_AT_NAME % class_name,
                                                 keys.AUC_AT_NAME % class_name, keys.AUC_PR_AT_NAME % class_name)
            ops[mean_key] = _weighted_mean(class_probabilities, weights, mean_key)
            ops[auc_key] = self._auc(class_labels, class_probabilities, weights, "ROC", auc_key)
            ops[auc_pr_key] = self._auc(class_labels, class_probabilities, weights, "PR", auc_pr_key)
        return ops


def _multi_label_head(n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                      loss_reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None,
                      classes_for_class_based_metrics=None, name=None):
    """A multi-label head (``tf.contrib.estimator.multi_label_head``)."""
    return _MultiLabelHead(n_classes, weight_column, thresholds, label_vocabulary, loss_reduction, loss_fn,
                           classes_for_class_based_metrics, name)


def _class_ids_for_metrics(classes, n_classes, label_vocabulary):
    """``classes_for_class_based_metrics`` (ids in [0, n_classes) or vocabulary strings) as ids."""
    class_ids = []
    for wanted in classes or ():
        if isinstance(wanted, str):
            if not label_vocabulary:
                raise ValueError("label_vocabulary must be provided when classes_for_class_based_metrics are sting.")
            class_ids.append(list(label_vocabulary).index(wanted))
        else:
            if wanted < 0 or wanted >= n_classes:
                raise ValueError("All classes_for_class_based_metrics must be in range [0, {}]. Given: {}".format(
                    n_classes - 1, wanted))
            class_ids.append(wanted)
    return tuple(class_ids)


def _vocabulary_ids(label_vocabulary, labels):
    """String ``labels`` as their int64 index in ``label_vocabulary`` (-1 when absent, caught by the range check)."""
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(tf.constant(list(label_vocabulary)),
                                            tf.range(len(label_vocabulary), dtype=tf.int64)),
        default_value=-1, name="class_id_lookup")
    return table.lookup(labels)


def _binary_logistic_head_with_sigmoid_cross_entropy_loss(weight_column=None, thresholds=None, label_vocabulary=None,
                                                          loss_reduction=tf.losses.Reduction.SUM, loss_fn=None,
                                                          name=None):
    """A binary-classification head: one logit per example, sigmoid cross-entropy loss.

    Args:
      weight_column: feature key or numeric column of example weights [batch] / [batch, 1].
      thresholds: floats in (0, 1): adds accuracy / precision / recall at each threshold.
      label_vocabulary: list or tuple of the two string labels (else labels are 0/1).
      loss_reduction: a ``tf.compat.v1.losses.Reduction`` other than NONE (default SUM).
      loss_fn: optional ``loss_fn(labels, logits[, features])`` -> per-example loss [batch, 1].
      name: suffix of the metric and summary names ("auc/<name>").
    """
    return _BinaryLogisticHeadWithSigmoidCrossEntropyLoss(weight_column, thresholds, label_vocabulary,
                                                          loss_reduction, loss_fn, name)


def _binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction):
    """The head of a canned classifier: binary for ``n_classes=2``, else multi-class."""
    if n_classes == 2:
        return _binary_logistic_head_with_sigmoid_cross_entropy_loss(
            weight_column=weight_column, label_vocabulary=label_vocabulary, loss_reduction=loss_reduction)
    return _multi_class_head_with_softmax_cross_entropy_loss(
        n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary, loss_reduction=loss_reduction)


__all__ = ["LossSpec", "MetricKeys", "PredictionKeys", "_Head", "_binary_logistic_head_with_sigmoid_cross_entropy_loss",
           "_binary_logistic_or_multi_class_head", "_multi_class_head_with_softmax_cross_entropy_loss",
           "_multi_label_head", "_regression_head"]
