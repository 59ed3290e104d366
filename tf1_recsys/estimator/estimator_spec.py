"""``EstimatorSpec``: what a ``model_fn`` returns, checked the way ``tf.estimator.EstimatorSpec`` was."""
import collections

from tf1_recsys._tf import _tensorflow, tf
from tf1_recsys.estimator.export_output import ExportOutput, PredictOutput
from tf1_recsys.estimator.mode_keys import ModeKeys

DEFAULT_SERVING_KEY = tf.saved_model.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY

_FIELDS = ("mode", "predictions", "loss", "train_op", "eval_metric_ops", "export_outputs",
           "training_chief_hooks", "training_hooks", "scaffold", "evaluation_hooks", "prediction_hooks")


def _check_graph(name, tensor):
    if tensor.graph is not tf.get_default_graph():
        raise ValueError("EstimatorSpec: `%s` must be from the default graph; %r is from another graph."
                         % (name, tensor))


def _loss(loss):
    if not isinstance(loss, tf.Tensor):
        raise TypeError("EstimatorSpec: `loss` must be a tf.Tensor; got %r." % (loss,))
    _check_graph("loss", loss)
    if not loss.dtype.is_floating:
        raise ValueError("EstimatorSpec: `loss` must be a float tensor; got dtype %s." % loss.dtype.name)
    shape = loss.shape
    if shape.rank is not None and shape.rank > 0:
        if shape.num_elements() != 1:
            raise ValueError("EstimatorSpec: `loss` must be a scalar; got shape %s." % shape)
        loss = tf.reshape(loss, [])
    return loss


def _predictions(predictions):
    if isinstance(predictions, dict):
        for key, value in predictions.items():
            if not isinstance(value, tf.Tensor):
                raise TypeError("EstimatorSpec: `predictions[%r]` must be a tf.Tensor; got %r." % (key, value))
            _check_graph("predictions[%r]" % key, value)
        return dict(predictions)
    if not isinstance(predictions, tf.Tensor):
        raise TypeError("EstimatorSpec: `predictions` must be a tf.Tensor or a dict of them; got %r."
                        % (predictions,))
    _check_graph("predictions", predictions)
    return predictions


def _train_op(train_op):
    # A resource variable counts as a tensor (SyncReplicasOptimizer returns an assign's result).
    if not isinstance(train_op, (tf.Tensor, tf.Operation, _tensorflow.Variable)):
        raise TypeError("EstimatorSpec: `train_op` must be a tf.Operation or tf.Tensor; got %r." % (train_op,))
    _check_graph("train_op", train_op)
    return train_op


def _metric_ops(eval_metric_ops):
    if not isinstance(eval_metric_ops, dict):
        raise TypeError("EstimatorSpec: `eval_metric_ops` must be a dict; got %r." % (eval_metric_ops,))
    checked = {}
    for key, value in eval_metric_ops.items():
        if not isinstance(value, tuple) or len(value) != 2:
            raise TypeError(
                "EstimatorSpec: `eval_metric_ops[%r]` must be a (metric_tensor, update_op) tuple as returned "
                "by tf.compat.v1.metrics; got %r." % (key, value))
        for part in value:
            if not isinstance(part, (tf.Tensor, tf.Operation)):
                raise TypeError("EstimatorSpec: `eval_metric_ops[%r]` holds %r, not a tensor or an operation."
                                % (key, part))
            _check_graph("eval_metric_ops[%r]" % key, part)
        checked[key] = value
    return checked


def _export_outputs(export_outputs, predictions):
    if export_outputs is None:
        return {DEFAULT_SERVING_KEY: PredictOutput(predictions)}
    if not isinstance(export_outputs, dict):
        raise TypeError("EstimatorSpec: `export_outputs` must be a dict; got %r." % (export_outputs,))
    for key, value in export_outputs.items():
        if not isinstance(key, str):
            raise ValueError("EstimatorSpec: `export_outputs` keys must be strings; got %r." % (key,))
        if not isinstance(value, ExportOutput):
            raise TypeError("EstimatorSpec: `export_outputs[%r]` must be a PredictOutput, RegressionOutput or "
                            "ClassificationOutput from tf1_recsys.estimator; got %r." % (key, value))
    export_outputs = dict(export_outputs)
    if len(export_outputs) == 1 and DEFAULT_SERVING_KEY not in export_outputs:
        (only,) = export_outputs.values()
        export_outputs[DEFAULT_SERVING_KEY] = only
    if DEFAULT_SERVING_KEY not in export_outputs:
        raise ValueError("EstimatorSpec: with several `export_outputs`, one must have the key %r; got %s."
                         % (DEFAULT_SERVING_KEY, sorted(export_outputs)))
    return export_outputs


def _hooks(name, hooks):
    hooks = tuple(hooks or ())
    for hook in hooks:
        if not isinstance(hook, tf.train.SessionRunHook):
            raise TypeError("EstimatorSpec: every item of `%s` must be a tf.compat.v1.train.SessionRunHook; got %r."
                            % (name, hook))
    return hooks


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _FIELDS)):
    """What a ``model_fn`` returns for one mode: ``EstimatorSpec(mode, predictions=None, loss=None, ...)``.

    Required by mode: TRAIN needs ``loss`` and ``train_op``; EVAL needs ``loss``;
    PREDICT needs ``predictions``. ``loss`` is a float scalar (shape [1] is reshaped);
    ``predictions`` a tensor or a dict of tensors [batch, ...]; ``eval_metric_ops`` a
    dict name -> ``(value, update_op)`` from ``tf.compat.v1.metrics``;
    ``export_outputs`` a dict name -> ``PredictOutput`` / ``RegressionOutput`` /
    ``ClassificationOutput`` (default in PREDICT: ``PredictOutput(predictions)`` under
    'serving_default'); hooks are ``tf.compat.v1.train.SessionRunHook`` lists;
    ``scaffold`` a ``tf.compat.v1.train.Scaffold``. Every tensor must be from the
    default graph.
    """

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None,
                export_outputs=None, training_chief_hooks=None, training_hooks=None, scaffold=None,
                evaluation_hooks=None, prediction_hooks=None):
        if mode not in ModeKeys.ALL:
            raise ValueError("EstimatorSpec: `mode` must be one of %s; got %r." % (list(ModeKeys.ALL), mode))
        if mode == ModeKeys.TRAIN and train_op is None:
            raise ValueError("EstimatorSpec: `train_op` is required in mode %r (TRAIN)." % mode)
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL) and loss is None:
            raise ValueError("EstimatorSpec: `loss` is required in mode %r." % mode)
        if mode == ModeKeys.PREDICT and predictions is None:
            raise ValueError("EstimatorSpec: `predictions` is required in mode %r (PREDICT)." % mode)
        if loss is not None:
            loss = _loss(loss)
        if predictions is not None:
            predictions = _predictions(predictions)
        elif mode != ModeKeys.PREDICT:
            predictions = {}
        if train_op is not None:
            train_op = _train_op(train_op)
        eval_metric_ops = _metric_ops(eval_metric_ops) if eval_metric_ops is not None else {}
        if mode == ModeKeys.PREDICT:
            export_outputs = _export_outputs(export_outputs, predictions)
        elif export_outputs is not None:
            export_outputs = _export_outputs(export_outputs, predictions)
        if scaffold is not None and not isinstance(scaffold, tf.train.Scaffold):
            raise TypeError("EstimatorSpec: `scaffold` must be a tf.compat.v1.train.Scaffold; got %r." % (scaffold,))
        return super().__new__(
            cls, mode=mode, predictions=predictions, loss=loss, train_op=train_op,
            eval_metric_ops=eval_metric_ops, export_outputs=export_outputs,
            training_chief_hooks=_hooks("training_chief_hooks", training_chief_hooks),
            training_hooks=_hooks("training_hooks", training_hooks),
            scaffold=scaffold if scaffold is not None else tf.train.Scaffold(),
            evaluation_hooks=_hooks("evaluation_hooks", evaluation_hooks),
            prediction_hooks=_hooks("prediction_hooks", prediction_hooks))

    def _replace(self, **kwds):
        if "mode" in kwds and kwds["mode"] != self.mode:
            raise ValueError("EstimatorSpec: `mode` cannot be changed by _replace.")
        return EstimatorSpec(**dict(self._asdict(), **kwds))


__all__ = ["EstimatorSpec", "DEFAULT_SERVING_KEY"]
