"""``ServingInputReceiver`` and ``build_raw_serving_input_receiver_fn``: a SavedModel's inputs."""
import collections

from tf1_recsys._tf import tf


def _tensor_dict(what, value, default_key):
    if not isinstance(value, dict):
        value = {default_key: value}
    for key, tensor in value.items():
        if not isinstance(key, str):
            raise ValueError("ServingInputReceiver: `%s` keys must be strings; got %r." % (what, key))
        if not isinstance(tensor, (tf.Tensor, tf.SparseTensor)):
            raise ValueError("ServingInputReceiver: `%s[%r]` must be a tensor; got %r." % (what, key, tensor))
    return dict(value)


class ServingInputReceiver(collections.namedtuple(
        "ServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """What a ``serving_input_receiver_fn`` returns.

    Args:
      features: the tensor or dict of tensors passed to ``model_fn`` as ``features``.
      receiver_tensors: the SavedModel's inputs: a tensor (key 'input') or a dict.
      receiver_tensors_alternatives: optional dict name -> receiver tensors, one extra
        set of signatures each.
    """

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        if features is None:
            raise ValueError("ServingInputReceiver: `features` must be given.")
        if not isinstance(features, dict):
            features = _tensor_dict("features", features, "feature")["feature"]
        else:
            features = _tensor_dict("features", features, "feature")
        receiver_tensors = _tensor_dict("receiver_tensors", receiver_tensors, "input")
        alternatives = {}
        for name, tensors in (receiver_tensors_alternatives or {}).items():
            alternatives[name] = _tensor_dict("receiver_tensors_alternatives[%r]" % name, tensors, "input")
        return super().__new__(cls, features, receiver_tensors, alternatives)


def build_raw_serving_input_receiver_fn(features, default_batch_size=None):
    """A ``serving_input_receiver_fn`` taking raw tensors shaped like ``features``.

    Args:
      features: dict name -> tensor (or ``tf.TensorSpec``) whose dtype and shape
        the placeholders copy; the first dimension becomes ``default_batch_size``.
      default_batch_size: the placeholders' batch size; None accepts any.
    """
    if not isinstance(features, dict) or not features:
        raise ValueError("build_raw_serving_input_receiver_fn: `features` must be a non-empty dict name -> tensor; "
                         "got %r." % (features,))
    specs = {}
    for name, value in features.items():
        shape = tf.TensorShape(value.shape)
        if shape.rank is None or shape.rank == 0:
            raise ValueError("build_raw_serving_input_receiver_fn: `features[%r]` needs a known batch dimension "
                             "(rank >= 1); got shape %s." % (name, shape))
        specs[name] = (value.dtype, [default_batch_size] + shape.as_list()[1:])

    def serving_input_receiver_fn():
        placeholders = {name: tf.placeholder(dtype, shape, name=name) for name, (dtype, shape) in specs.items()}
        return ServingInputReceiver(placeholders, placeholders)

    return serving_input_receiver_fn


__all__ = ["ServingInputReceiver", "build_raw_serving_input_receiver_fn"]
