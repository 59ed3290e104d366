"""A SavedModel's inputs, as ``tf.estimator.export`` defines them.

``ServingInputReceiver`` (a dict of features; a single tensor becomes ``{'feature': t}``),
``TensorServingInputReceiver`` (one feature tensor passed as is),
``build_parsing_serving_input_receiver_fn`` (serialized ``tf.Example`` strings in, as
TensorFlow Serving's ``Classify`` / ``Regress`` / ``Predict`` clients send them),
``build_raw_serving_input_receiver_fn`` (tensors in), and the supervised receivers of
``tf.estimator.experimental.build_raw_supervised_input_receiver_fn``.
"""
import collections

from tf1_recsys._tf import _tensorflow, tf

SINGLE_FEATURE_DEFAULT_NAME = "feature"
SINGLE_RECEIVER_DEFAULT_NAME = "input"
SINGLE_LABEL_DEFAULT_NAME = "label"
_DEFAULT_KEY = {"feature": SINGLE_FEATURE_DEFAULT_NAME, "label": SINGLE_LABEL_DEFAULT_NAME,
                "receiver_tensor": SINGLE_RECEIVER_DEFAULT_NAME,
                "receiver_tensors_alternative": SINGLE_RECEIVER_DEFAULT_NAME}


def _check_tensor(tensor, name, field="feature"):
    """Accepts a Tensor, SparseTensor, RaggedTensor, or an object holding a convertible ``tensor``."""
    if isinstance(tensor, (_tensorflow.Tensor, _tensorflow.sparse.SparseTensor, _tensorflow.RaggedTensor)):
        return
    error = ValueError("{}{} must be a Tensor, SparseTensor, or RaggedTensor."
                       .format(field, " {}".format(name) if name else ""))
    if not hasattr(tensor, "tensor"):
        raise error
    try:
        tf.convert_to_tensor(tensor)
    except TypeError:
        raise error from None


def _check_key(name, field, allow_ints):
    if isinstance(name, str):
        return
    if not allow_ints:
        raise ValueError("{} keys must be strings: {}.".format(field, name))
    if not isinstance(name, int):
        raise ValueError("{} keys must be strings or ints: {}.".format(field, name))


def wrap_and_check_input_tensors(tensors, field, allow_int_keys=False):
    """``tensors`` as a dict name -> tensor (a single tensor under the field's default name), checked."""
    if tensors is None:
        raise ValueError("{}s must be defined.".format(field))
    if not isinstance(tensors, dict):
        tensors = {_DEFAULT_KEY[field]: tensors}
    for name, tensor in tensors.items():
        _check_key(name, field, allow_int_keys)
        _check_tensor(tensor, name, field)
    return tensors


class ServingInputReceiver(collections.namedtuple(
        "ServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """What a ``serving_input_receiver_fn`` returns.

    Args:
      features: dict (string or int keys) -> Tensor / SparseTensor / RaggedTensor passed to
        ``model_fn``; a single tensor becomes ``{'feature': tensor}``.
      receiver_tensors: the SavedModel's inputs: a tensor (key 'input') or a dict of string keys.
      receiver_tensors_alternatives: optional dict name -> receiver tensors, one extra
        set of signatures each (named ``'<name>:<output key>'``).
    """

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        features = wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        receiver_tensors = wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        if receiver_tensors_alternatives is not None:
            if not isinstance(receiver_tensors_alternatives, dict):
                raise ValueError("receiver_tensors_alternatives must be a dict: {}."
                                 .format(receiver_tensors_alternatives))
            for name, tensors in receiver_tensors_alternatives.items():
                receiver_tensors_alternatives[name] = wrap_and_check_input_tensors(
                    tensors, "receiver_tensors_alternative")
        return super().__new__(cls, features=features, receiver_tensors=receiver_tensors,
                               receiver_tensors_alternatives=receiver_tensors_alternatives)


class TensorServingInputReceiver(collections.namedtuple(
        "TensorServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """A ``ServingInputReceiver`` whose one feature reaches ``model_fn`` as a tensor, not a dict."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        if features is None:
            raise ValueError("features must be defined.")
        _check_tensor(features, None)
        receiver = ServingInputReceiver(features, receiver_tensors, receiver_tensors_alternatives)
        return super().__new__(cls, features=receiver.features[SINGLE_FEATURE_DEFAULT_NAME],
                               receiver_tensors=receiver.receiver_tensors,
                               receiver_tensors_alternatives=receiver.receiver_tensors_alternatives)


class SupervisedInputReceiver(collections.namedtuple(
        "SupervisedInputReceiver", ["features", "labels", "receiver_tensors"])):
    """Features, labels and the receiver tensors feeding them (exports of the TRAIN / EVAL graphs)."""

    def __new__(cls, features, labels, receiver_tensors):
        wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        wrap_and_check_input_tensors(labels, "label", allow_int_keys=True)
        receiver_tensors = wrap_and_check_input_tensors(receiver_tensors, "receiver_tensor")
        return super().__new__(cls, features=features, labels=labels, receiver_tensors=receiver_tensors)


class UnsupervisedInputReceiver(ServingInputReceiver):
    """A ``ServingInputReceiver`` without alternatives, for inputs that have no labels."""

    def __new__(cls, features, receiver_tensors):
        return super().__new__(cls, features, receiver_tensors, None)


def build_parsing_serving_input_receiver_fn(feature_spec, default_batch_size=None):
    """A ``serving_input_receiver_fn`` that parses serialized ``tf.Example``s.

    Args:
      feature_spec: dict name -> ``FixedLenFeature`` / ``VarLenFeature`` / ... (as from
        ``tf.compat.v1.feature_column.make_parse_example_spec``).
      default_batch_size: the batch size of the string input [batch]; None (recommended)
        accepts any.

    Returns:
      A function returning a ``ServingInputReceiver`` whose one receiver tensor,
      ``'examples'``, is a string placeholder named ``input_example_tensor``.
    """
    def serving_input_receiver_fn():
        serialized = tf.placeholder(dtype=tf.string, shape=[default_batch_size], name="input_example_tensor")
        features = tf.io.parse_example(serialized, feature_spec)
        return ServingInputReceiver(features, {"examples": serialized})

    return serving_input_receiver_fn


def _placeholder_like(tensor, default_batch_size=None, key=None):
    """A placeholder of ``tensor``'s dtype, shape [default_batch_size] + its shape[1:] (any rank, known or not).

    Named after ``tensor``'s op like tf.estimator's; a ``tf.TensorSpec`` (accepted here too)
    gives its own name, else ``key``.
    """
    shape = tf.TensorShape([default_batch_size]).concatenate(tf.TensorShape(tensor.shape)[1:])
    if isinstance(tensor, _tensorflow.TensorSpec):
        name = tensor.name or key
    else:
        try:
            name = tensor.op.name
        except AttributeError:  # an EagerTensor
            name = None
    return tf.placeholder(dtype=tensor.dtype, shape=shape, name=name)


def _placeholders_like(tensors, default_batch_size=None):
    return {name: _placeholder_like(t, default_batch_size, name) for name, t in tensors.items()}


def build_raw_serving_input_receiver_fn(features, default_batch_size=None):
    """A ``serving_input_receiver_fn`` taking raw tensors shaped like ``features``.

    Args:
      features: dict name -> tensor whose dtype, name and shape[1:] the placeholders copy.
      default_batch_size: the placeholders' batch size; None (recommended) accepts any.
    """
    def serving_input_receiver_fn():
        receiver_tensors = _placeholders_like(features, default_batch_size)
        return ServingInputReceiver(receiver_tensors, receiver_tensors)

    return serving_input_receiver_fn


def build_raw_supervised_input_receiver_fn(features, labels, default_batch_size=None):
    """A receiver fn of placeholders for ``features`` and ``labels`` (tensors or dicts with distinct keys)."""
    feature_keys = features.keys() if hasattr(features, "keys") else [SINGLE_RECEIVER_DEFAULT_NAME]
    label_keys = labels.keys() if hasattr(labels, "keys") else [SINGLE_LABEL_DEFAULT_NAME]
    overlap = set(feature_keys) & set(label_keys)
    if overlap:
        raise ValueError("Features and labels must have distinct keys. Found overlapping keys: {}".format(overlap))

    def supervised_input_receiver_fn():
        if isinstance(features, dict):
            feature_inputs = receiver_features = _placeholders_like(features, default_batch_size)
        else:
            feature_inputs = _placeholder_like(features, default_batch_size)
            receiver_features = {SINGLE_RECEIVER_DEFAULT_NAME: feature_inputs}
        if isinstance(labels, dict):
            label_inputs = receiver_labels = _placeholders_like(labels, default_batch_size)
        else:
            label_inputs = _placeholder_like(labels, default_batch_size)
            receiver_labels = {SINGLE_LABEL_DEFAULT_NAME: label_inputs}
        return SupervisedInputReceiver(feature_inputs, label_inputs, dict(receiver_features, **receiver_labels))

    return supervised_input_receiver_fn


__all__ = ["ServingInputReceiver", "TensorServingInputReceiver", "SupervisedInputReceiver",
           "UnsupervisedInputReceiver", "build_parsing_serving_input_receiver_fn",
           "build_raw_serving_input_receiver_fn", "build_raw_supervised_input_receiver_fn"]
