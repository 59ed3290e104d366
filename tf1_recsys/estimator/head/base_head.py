"""``Head``: the V2 head API of ``tf.estimator`` (tensorflow_estimator's head/base_head.py), without Keras.

A V2 head here is the V1 head of ``tf1_recsys.estimator.canned.head`` with the V2 interface:

- ``loss(labels, logits, features=None, mode=None, regularization_losses=None)``: the
  reduced training loss plus the regularization losses (a scalar);
- ``predictions(logits, keys=None)``: the prediction dict (only ``keys`` when given);
- ``create_estimator_spec(features, mode, logits, labels=None, optimizer=None,
  trainable_variables=None, train_op_fn=None, update_ops=None, regularization_losses=None)``.

Differences from TensorFlow's V2 heads (docs/MIGRATION.md): ``optimizer`` is a
``tf.compat.v1.train.Optimizer`` (``minimize(loss, global_step, var_list=trainable_variables)``),
not a Keras one; EVAL metrics are ``tf.compat.v1.metrics`` (value, update_op) pairs with the
values of the Keras metrics TensorFlow uses (the AUCs are Keras' interpolated ones), so
``metrics()`` / ``update_metrics()``, which return Keras metric objects, are not provided.
"""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned.head import (CLASSIFY_SERVING_KEY, PREDICT_SERVING_KEY, REGRESS_SERVING_KEY,
                                              _logits_checked, _train_op)
from tf1_recsys.estimator.estimator_spec import DEFAULT_SERVING_KEY

_NUM_THRESHOLDS = 200
_EPSILON = 1e-7

# TensorFlow 2's tf.losses.Reduction (Keras' ReductionV2) values a V2 head takes, and the
# tf.compat.v1.losses.Reduction that reduces the same way; 'auto' is 'sum_over_batch_size' here.
SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
_V1_OF_V2_REDUCTION = {"auto": tf.losses.Reduction.SUM_OVER_BATCH_SIZE,
                       SUM_OVER_BATCH_SIZE: tf.losses.Reduction.SUM_OVER_BATCH_SIZE,
                       "sum": tf.losses.Reduction.SUM}


def v1_loss_reduction(loss_reduction):
    """The ``tf.compat.v1.losses.Reduction`` of a V2 ``loss_reduction``; ValueError (tf.estimator's) otherwise."""
    if not isinstance(loss_reduction, str) or loss_reduction not in _V1_OF_V2_REDUCTION:
        raise ValueError("Invalid loss_reduction: {}. See `tf.losses.Reduction` for valid options.".format(
            loss_reduction))
    return _V1_OF_V2_REDUCTION[loss_reduction]


def _interpolated_auc(labels, scores, weights, curve, name):
    """Keras ``AUC(curve=curve)``'s value (200 thresholds, 'interpolation') as a v1 (value, update_op) pair.

    ``labels`` (0/1) and ``scores`` (in [0, 1]) of any equal shape; ``weights`` broadcast to it or None.
    """
    thresholds = ([0.0 - _EPSILON] + [(i + 1) / (_NUM_THRESHOLDS - 1) for i in range(_NUM_THRESHOLDS - 2)]
                  + [1.0 + _EPSILON])
    with tf.variable_scope(name, default_name="auc", values=(labels, scores, weights)):
        scores = tf.cast(scores, tf.float32)
        if weights is not None:
            weights = tf.broadcast_to(tf.convert_to_tensor(weights, tf.float32), tf.shape(scores))
        counts = [fn(labels=labels, predictions=scores, thresholds=thresholds, weights=weights)
                  for fn in (tf.metrics.true_positives_at_thresholds, tf.metrics.false_positives_at_thresholds,
                             tf.metrics.false_negatives_at_thresholds, tf.metrics.true_negatives_at_thresholds)]
        value = _auc_from_counts(*[c[0] for c in counts], curve=curve)
        update = _auc_from_counts(*[c[1] for c in counts], curve=curve)
        return value, update


def _auc_from_counts(tp, fp, fn, tn, curve):
    """The area under ``curve`` of the confusion counts [thresholds], as Keras' AUC computes it."""
    divide = tf.math.divide_no_nan
    if curve == "PR":
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        slope = divide(dtp, tf.maximum(p[:-1] - p[1:], 0))
        intercept = tp[1:] - slope * p[1:]
        p_ratio = tf.where(tf.logical_and(p[:-1] > 0, p[1:] > 0), divide(p[:-1], tf.maximum(p[1:], 0)),
                           tf.ones_like(p[1:]))
        return tf.reduce_sum(divide(slope * (dtp + intercept * tf.math.log(p_ratio)),
                                    tf.maximum(tp[1:] + fn[1:], 0)))
    recall = divide(tp, tp + fn)
    fp_rate = divide(fp, fp + tn)
    return tf.reduce_sum((fp_rate[:-1] - fp_rate[1:]) * (recall[:-1] + recall[1:]) / 2.)


def validate_optimizer(optimizer, trainable_variables):
    """ValueError unless ``optimizer`` is a ``tf.compat.v1.train.Optimizer`` and ``trainable_variables`` None or
    a list or tuple."""
    if not isinstance(optimizer, tf.train.Optimizer):
        raise ValueError("The given optimizer is not a tf.compat.v1.train.Optimizer instance (tf1_recsys "
                         "has no Keras optimizers). Given: {}".format(optimizer))
    if trainable_variables is not None and not isinstance(trainable_variables, (list, tuple)):
        raise ValueError("trainable_variables should be a list or a tuple. Given type: {}.".format(
            type(trainable_variables)))


class Head(object):
    """The V2 interface over a V1 head class: mixed in first, ``class BinaryClassHead(Head, _V1Head)``.

    A subclass gives the V1 class ``v1_loss_reduction(loss_reduction)`` and keeps the V2 value in
    ``_v2_loss_reduction``, which ``loss_reduction`` reports as tf.estimator's V2 heads do.
    """

    _OPTIONAL_LOSS_FN_ARGS = ("features", "loss_reduction")  # V2 accepts (and does not pass) loss_reduction
    _V2 = True

    @property
    def loss_reduction(self):
        """TensorFlow 2's ``tf.losses.Reduction`` value given: 'sum_over_batch_size' (default), 'sum' or 'auto'."""
        return self._v2_loss_reduction

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        """The training loss (scalar) of ``logits`` against ``labels``, plus ``regularization_losses``."""
        with tf.name_scope(None, "losses", (logits, labels)):
            logits = _logits_checked(logits, self.logits_dimension, v2=True)
            training_loss = self.create_loss(features or {}, mode, logits, labels).training_loss
        return self._regularized(training_loss, regularization_losses)[0]

    def predictions(self, logits, keys=None):
        """The prediction dict of ``logits`` [batch, logits_dimension]; only ``keys`` (a key or a list) if given."""
        with tf.name_scope(None, "predictions", (logits,)):
            predictions = self._predictions(_logits_checked(logits, self.logits_dimension, v2=True))
        if keys is None:
            return predictions
        keys = [keys] if isinstance(keys, str) else list(keys)
        for key in keys:
            if key not in predictions:
                raise ValueError("Prediction key must be in PredictionKeys, given: {}.Valid prediction keys include "
                                 "{}.".format(key, list(predictions)))
        return {k: predictions[k] for k in keys}

    def metrics(self, regularization_losses=None):
        raise NotImplementedError(
            "{}.metrics() returns Keras metric objects in tf.estimator; tf1_recsys has no Keras: "
            "create_estimator_spec(mode=EVAL) gives the same metrics as tf.compat.v1.metrics "
            "(value, update_op) pairs.".format(type(self).__name__))

    update_metrics = metrics

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """The ``EstimatorSpec`` of ``mode``.

        TRAIN needs exactly one of ``optimizer`` (a ``tf.compat.v1.train.Optimizer``:
        ``minimize(loss, global_step, var_list=trainable_variables)``) and ``train_op_fn``
        (loss -> train op); ``update_ops`` (e.g. batch normalization's) run with the train op.
        """
        if update_ops is not None and not isinstance(update_ops, (list, tuple)):
            raise ValueError("update_ops must be list or tuple. Given type: {}.".format(type(update_ops)))

        def train_op_of(loss):
            if optimizer is not None and train_op_fn is None:
                validate_optimizer(optimizer, trainable_variables)
            train_op = _train_op(loss, optimizer, train_op_fn, var_list=trainable_variables)
            return tf.group(train_op, *update_ops) if update_ops else train_op

        return self._estimator_spec(features, mode, logits, labels, train_op_of, regularization_losses)

    def _auc(self, labels, scores, weights, curve, name):
        return _interpolated_auc(labels, scores, weights, curve, name)


__all__ = ["Head", "DEFAULT_SERVING_KEY", "CLASSIFY_SERVING_KEY", "PREDICT_SERVING_KEY", "REGRESS_SERVING_KEY"]
