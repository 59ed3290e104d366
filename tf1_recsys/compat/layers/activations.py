"""Activation names accepted by the layers ('relu', 'sigmoid', ...), mapped to TensorFlow ops."""
import tensorflow as _tensorflow_v2

from tf1_recsys._tf import tf

_ACTIVATIONS = {
    "linear": None,
    "relu": tf.nn.relu,
    "relu6": tf.nn.relu6,
    "sigmoid": tf.nn.sigmoid,
    "tanh": tf.nn.tanh,
    "softmax": lambda x: tf.nn.softmax(x, axis=-1),
    "softplus": tf.nn.softplus,
    "softsign": tf.nn.softsign,
    "elu": tf.nn.elu,
    "selu": tf.nn.selu,
    "swish": tf.nn.swish,
    "silu": tf.nn.swish,
    "gelu": _tensorflow_v2.nn.gelu,
    "leaky_relu": tf.nn.leaky_relu,
    "exponential": tf.exp,
}


def get_activation(activation, fn_name="dense"):
    """Maps ``None``, a callable or a Keras-style name ('relu', 'sigmoid', ...) to a callable or None."""
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str) and activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation]
    raise ValueError(
        "%s: unknown `activation` %r; expected None, a callable or one of %s."
        % (fn_name, activation, ", ".join(sorted(_ACTIVATIONS)))
    )


__all__ = ["get_activation"]
