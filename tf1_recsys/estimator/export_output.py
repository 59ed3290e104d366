"""Serving outputs of a ``model_fn``: ``PredictOutput``, ``RegressionOutput``, ``ClassificationOutput``.

Each one turns the receiver tensors of a ``ServingInputReceiver`` into a
``SignatureDef`` (``as_signature_def``), like ``tf.estimator.export.*Output``.
"""
from tf1_recsys._tf import tf


class ExportOutput:
    """Base class: an output of the SavedModel written by ``Estimator.export_saved_model``."""

    def as_signature_def(self, receiver_tensors):
        raise NotImplementedError


def _check_tensor(cls_name, arg_name, value):
    if not isinstance(value, tf.Tensor):
        raise TypeError("%s: `%s` must be a tf.Tensor; got %r." % (cls_name, arg_name, value))
    return value


class PredictOutput(ExportOutput):
    """A predict signature: every named output tensor, for any input.

    Args:
      outputs: a tensor, or a dict of string key -> tensor (a single tensor gets the
        key 'output').
    """

    def __init__(self, outputs):
        if not isinstance(outputs, dict):
            outputs = {"output": outputs}
        for key, value in outputs.items():
            if not isinstance(key, str):
                raise ValueError("PredictOutput: output keys must be strings; got %r." % (key,))
            _check_tensor("PredictOutput", "outputs[%r]" % key, value)
        self.outputs = dict(outputs)

    def as_signature_def(self, receiver_tensors):
        return tf.saved_model.signature_def_utils.predict_signature_def(receiver_tensors, self.outputs)


def _single_string_input(cls_name, receiver_tensors):
    if len(receiver_tensors) != 1:
        raise ValueError(
            "%s needs exactly one receiver tensor (serialized tf.Example strings); got %d: %s. "
            "Use PredictOutput for other inputs." % (cls_name, len(receiver_tensors), sorted(receiver_tensors)))
    (tensor,) = receiver_tensors.values()
    if tensor.dtype != tf.string:
        raise ValueError("%s needs a tf.string receiver tensor; got dtype %s. Use PredictOutput for other inputs."
                         % (cls_name, tensor.dtype.name))
    return tensor


class RegressionOutput(ExportOutput):
    """A regression signature: one float tensor ``value`` [batch] or [batch, 1]."""

    def __init__(self, value):
        value = _check_tensor("RegressionOutput", "value", value)
        if not value.dtype.is_floating:
            raise ValueError("RegressionOutput: `value` must be a float tensor; got dtype %s." % value.dtype.name)
        self.value = value

    def as_signature_def(self, receiver_tensors):
        examples = _single_string_input("RegressionOutput", receiver_tensors)
        return tf.saved_model.signature_def_utils.regression_signature_def(examples, self.value)


class ClassificationOutput(ExportOutput):
    """A classification signature: float ``scores`` [batch, classes] and/or string ``classes``."""

    def __init__(self, scores=None, classes=None):
        if scores is None and classes is None:
            raise ValueError("ClassificationOutput: at least one of `scores` and `classes` must be given.")
        if scores is not None:
            scores = _check_tensor("ClassificationOutput", "scores", scores)
            if not scores.dtype.is_floating:
                raise ValueError("ClassificationOutput: `scores` must be a float tensor; got dtype %s."
                                 % scores.dtype.name)
        if classes is not None:
            classes = _check_tensor("ClassificationOutput", "classes", classes)
            if classes.dtype != tf.string:
                raise ValueError("ClassificationOutput: `classes` must be a string tensor; got dtype %s."
                                 % classes.dtype.name)
        self.scores, self.classes = scores, classes

    def as_signature_def(self, receiver_tensors):
        examples = _single_string_input("ClassificationOutput", receiver_tensors)
        return tf.saved_model.signature_def_utils.classification_signature_def(examples, self.classes, self.scores)


__all__ = ["ExportOutput", "PredictOutput", "RegressionOutput", "ClassificationOutput"]
