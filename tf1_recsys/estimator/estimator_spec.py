"""``EstimatorSpec``: what a ``model_fn`` returns, checked the way ``tf.estimator.EstimatorSpec`` was."""
import collections

from tensorflow.python.saved_model import model_utils as _model_utils

from tf1_recsys._tf import _tensorflow, tf
from tf1_recsys.estimator.mode_keys import ModeKeys

DEFAULT_SERVING_KEY = tf.saved_model.signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY

_FIELDS = ("mode", "predictions", "loss", "train_op", "eval_metric_ops", "export_outputs",
           "training_chief_hooks", "training_hooks", "scaffold", "evaluation_hooks", "prediction_hooks")


_GRAPH_MESSAGE = (
    '{0} with "{1}" must be from the default graph. Possible causes of this error include: \n\n'
    "1) {0} was created outside the context of the default graph.\n\n"
    "2) The object passed through to EstimatorSpec was not created in the most recent call to "
    '"model_fn".')


def _in_default_graph(value):
    return tf.executing_eagerly() or value.graph is tf.get_default_graph()


def _tensor(value, name):
    if not isinstance(value, _tensorflow.__internal__.types.Tensor):
        raise TypeError("{} must be Tensor, given: {}".format(name, value))
    return value


def _train_op(train_op, mode):
    if train_op is None:
        if mode == ModeKeys.TRAIN:
            raise ValueError("Missing train_op.")
        return None
    if not isinstance(train_op, (tf.Operation, _tensorflow.__internal__.types.Tensor)):
        raise TypeError("{} must be Operation or Tensor, given: {}".format("train_op", train_op))
    if isinstance(train_op, _tensorflow.Variable):  # SyncReplicasOptimizer returns an assign's variable
        train_op = train_op.op
    if not _in_default_graph(train_op):
        raise ValueError(_GRAPH_MESSAGE.format("train_op", train_op.name))
    return train_op


def _loss(loss, mode):
    """A scalar loss; a loss of one element (shape [1], or [batch, 1] with an unknown batch) is reshaped."""
    if loss is None:
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL):
            raise ValueError("Missing loss.")
        return None
    loss = _tensor(loss, "loss")
    if loss.shape.num_elements() not in (None, 1):
        raise ValueError("Loss must be scalar, given: {}".format(loss))
    if not loss.shape.is_compatible_with(tf.TensorShape([])):
        loss = tf.reshape(loss, [])
    if not _in_default_graph(loss):
        raise ValueError(_GRAPH_MESSAGE.format("loss", loss.name))
    return loss


def _predictions(predictions, mode):
    if predictions is None:
        if mode == ModeKeys.PREDICT:
            raise ValueError("Missing predictions.")
        return {}
    if isinstance(predictions, dict):
        predictions = {k: _tensor(v, "predictions[{}]".format(k)) for k, v in predictions.items()}
        for key, value in predictions.items():
            if not _in_default_graph(value):
                raise ValueError(_GRAPH_MESSAGE.format("prediction values", "{0}: {1}".format(key, value.name)))
        return predictions
    predictions = _tensor(predictions, "predictions")
    if not _in_default_graph(predictions):
        raise ValueError(_GRAPH_MESSAGE.format("prediction values", predictions.name))
    return predictions


def _export_outputs(export_outputs, predictions):
    """TensorFlow's own check (``saved_model.model_utils``): a default ``PredictOutput``, a 'serving_default' key."""
    return _model_utils.get_export_outputs(export_outputs, predictions)


def checked_instances(values, cls, message):
    """``values`` (an iterable or None) as a list, each an instance of ``cls``; else TypeError(message.format(value)).

    The one check of user hooks and saving listeners; each caller gives tf.estimator's message of that place.
    """
    values = list(values or [])
    for value in values:
        if not isinstance(value, cls):
            raise TypeError(message.format(value))
    return values


def _hooks(hooks):
    return tuple(checked_instances(hooks, tf.train.SessionRunHook, "All hooks must be SessionRunHook instances, "
                                   "given: {}"))


def is_metric_object(value):
    """A Keras-style metric object, recognised by its methods and not its class (Keras is never imported)."""
    return not isinstance(value, tuple) and all(
        hasattr(value, attr) for attr in ("update_state", "result", "variables"))


_ASSIGNMENTS = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")


def _graph_variable(variable):
    """The ``tf.Variable`` of a metric object's variable (Keras 3 wraps it: ``KerasVariable.value``)."""
    inner = getattr(variable, "value", None)
    return variable if inner is None or callable(inner) else inner


def _metric_updates(metric):
    """The update ops of a metric object: its ``updates`` (Keras 2); for an object without that attribute
    (Keras 3, whose ``update_state`` returns nothing in a graph) the assignments to its variables that
    the default graph holds, their initializers aside, made again so that each runs only once every new
    value is computed: a count that does not depend on the input (``Mean`` of a scalar) must not grow in
    the run that ends the input, as ``tf.compat.v1.metrics`` ensure with their own control dependencies."""
    if hasattr(metric, "updates"):
        return list(metric.updates or [])
    variables = [_graph_variable(v) for v in metric.variables]
    handles = {v.handle.name for v in variables}
    initializers = {v.initializer.name for v in variables}
    graph = variables[0].graph if variables else tf.get_default_graph()
    assignments = [op for op in graph.get_operations()
                   if op.type in _ASSIGNMENTS and op.inputs[0].name in handles and op.name not in initializers]
    if graph is not tf.get_default_graph():
        return assignments  # refused by the caller's check: not from the default graph
    with tf.control_dependencies([op.inputs[1] for op in assignments]):
        return [getattr(tf.raw_ops, op.type)(resource=op.inputs[0], value=op.inputs[1]) for op in assignments]


def _metric_ops(eval_metric_ops):
    """``{name: (value, update_op)}``: metric objects become ``(result(), update)``, their variables local.

    A metric object's variables leave ``GLOBAL_VARIABLES`` (Keras 3 creates them there), so no
    checkpoint saves or restores them, and join ``LOCAL_VARIABLES`` and ``METRIC_VARIABLES``.
    """
    if eval_metric_ops is None:
        return {}
    if not isinstance(eval_metric_ops, dict):
        raise TypeError("eval_metric_ops must be a dict, given: {}".format(eval_metric_ops))
    eval_metric_ops = dict(eval_metric_ops)
    updates = {}
    for key, value in eval_metric_ops.items():
        if is_metric_object(value):
            updates[key] = _metric_updates(value)
            if not updates[key]:
                raise ValueError('Please call update_state(...) on the "{metric_name}" metric'
                                 .format(metric_name=getattr(value, "name", key)))
        elif not isinstance(value, tuple) or len(value) != 2:
            raise TypeError("Values of eval_metric_ops must be (metric_value, update_op) tuples, given: {} "
                            "for key: {}".format(value, key))
    for key, value in eval_metric_ops.items():
        parts = updates[key] + [value.result()] if key in updates else tf.nest.flatten(value)
        for part in parts:
            if not _in_default_graph(part):
                raise ValueError(_GRAPH_MESSAGE.format("eval_metric_ops", "{0}: {1}".format(key, part.name)))
    new_variables = []
    for key in updates:
        value = eval_metric_ops[key]
        new_variables += [_graph_variable(v) for v in value.variables]
        update = updates[key][0] if len(updates[key]) == 1 or hasattr(value, "updates") else tf.group(*updates[key])
        eval_metric_ops[key] = (value.result(), update)
    moved = {id(v) for v in new_variables}
    global_variables = tf.get_default_graph().get_collection_ref(tf.GraphKeys.GLOBAL_VARIABLES)
    global_variables[:] = [v for v in global_variables if id(v) not in moved]
    for collection in (tf.GraphKeys.LOCAL_VARIABLES, tf.GraphKeys.METRIC_VARIABLES):
        present = set(tf.get_collection(collection))
        for variable in new_variables:
            if variable not in present:
                present.add(variable)
                tf.add_to_collection(collection, variable)
    return eval_metric_ops


def _scaffold(scaffold):
    scaffold = scaffold or tf.train.Scaffold()
    if not isinstance(scaffold, tf.train.Scaffold):
        raise TypeError("scaffold must be tf.train.Scaffold. Given: {}".format(scaffold))
    return scaffold


class EstimatorSpec(collections.namedtuple("EstimatorSpec", _FIELDS)):
    """What a ``model_fn`` returns for one mode: ``EstimatorSpec(mode, predictions=None, loss=None, ...)``.

    Required by mode: TRAIN needs ``loss`` and ``train_op``; EVAL needs ``loss``;
    PREDICT needs ``predictions``. ``loss`` is a scalar (one element of any shape is reshaped);
    ``predictions`` a tensor or a dict of tensors [batch, ...]; ``eval_metric_ops`` a
    dict name -> ``(value, update_op)`` from ``tf.compat.v1.metrics`` (nested values allowed) or a metric object;
    ``export_outputs`` a dict name -> ``PredictOutput`` / ``RegressionOutput`` /
    ``ClassificationOutput`` (default in PREDICT: ``PredictOutput(predictions)`` under
    'serving_default'); hooks are ``tf.compat.v1.train.SessionRunHook`` lists;
    ``scaffold`` a ``tf.compat.v1.train.Scaffold``. Every tensor must be from the
    default graph.
    """

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None,
                export_outputs=None, training_chief_hooks=None, training_hooks=None, scaffold=None,
                evaluation_hooks=None, prediction_hooks=None):
        train_op = _train_op(train_op, mode)
        loss = _loss(loss, mode)
        predictions = _predictions(predictions, mode)
        if mode == ModeKeys.PREDICT:
            export_outputs = _export_outputs(export_outputs, predictions)
        return super().__new__(
            cls, mode=mode, predictions=predictions, loss=loss, train_op=train_op,
            eval_metric_ops=_metric_ops(eval_metric_ops), export_outputs=export_outputs,
            training_chief_hooks=_hooks(training_chief_hooks), training_hooks=_hooks(training_hooks),
            scaffold=_scaffold(scaffold), evaluation_hooks=_hooks(evaluation_hooks),
            prediction_hooks=_hooks(prediction_hooks))

    def _replace(self, **kwds):
        if "mode" in kwds and kwds["mode"] != self.mode:
            raise ValueError("mode of EstimatorSpec cannot be changed.")
        return EstimatorSpec(**dict(self._asdict(), **kwds))


__all__ = ["EstimatorSpec", "DEFAULT_SERVING_KEY"]
