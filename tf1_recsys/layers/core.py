"""Core layers: ``dense`` and the Xavier initializer, Keras-free.

``dense`` creates exactly the variables ``tf.compat.v1.layers.dense`` creates
(``<scope>/kernel`` of shape [in, units] and ``<scope>/bias`` of shape [units],
Glorot-uniform kernel and zero bias by default), so checkpoints written by either
restore into the other.
"""
import operator

import tensorflow as _tensorflow_v2

from tf1_recsys._tf import (
    check_rank,
    require_graph_mode,
    static_last_dim,
    as_float_tensor,
    tf,
)

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


def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
    """Drop-in for the removed ``tf.contrib.layers.xavier_initializer``.

    Glorot & Bengio (2010): variance 2 / (fan_in + fan_out). ``uniform=True`` draws
    from U(-l, l) with l = sqrt(6 / (fan_in + fan_out)); ``uniform=False`` from a
    truncated normal with that variance (TensorFlow's ``glorot_normal``).

    ``dtype`` is accepted for ``tf.contrib`` compatibility only: ``get_variable`` passes
    the variable's own dtype when it calls the initializer (TensorFlow deprecates
    fixing it in the constructor).
    """
    del dtype
    if uniform:
        return tf.glorot_uniform_initializer(seed=seed)
    return tf.glorot_normal_initializer(seed=seed)


def positive_int(fn_name, arg_name, value):
    """``value`` as an int >= 1, or a ValueError naming the argument."""
    try:
        number = operator.index(value)
    except TypeError:
        number = None
    if number is None or isinstance(value, bool) or number < 1:
        raise ValueError("%s: `%s` must be a positive integer; got %r." % (fn_name, arg_name, value))
    return number


def get_variable_in_scope(fn_name, name, **kwargs):
    """``tf.get_variable`` whose reuse error says which call asked for a missing variable."""
    try:
        return tf.get_variable(name, **kwargs)
    except ValueError as e:
        scope = tf.get_variable_scope()
        full = (scope.name + "/" + name) if scope.name else name
        if "does not exist" in str(e):
            raise ValueError(
                "%s: reuse was requested but variable '%s' does not exist in this graph. "
                "Build the layer once with reuse=None before reusing it, or pass "
                "reuse=tf.compat.v1.AUTO_REUSE." % (fn_name, full)
            ) from e
        if "already exists" in str(e):
            raise ValueError(
                "%s: variable '%s' already exists. Pass reuse=True (or "
                "tf.compat.v1.AUTO_REUSE) to share it, or give the layer another `name`."
                % (fn_name, full)
            ) from e
        raise


def dense(
    inputs,
    units,
    activation=None,
    use_bias=True,
    kernel_initializer=None,
    bias_initializer=tf.zeros_initializer(),
    kernel_regularizer=None,
    bias_regularizer=None,
    trainable=True,
    name=None,
    reuse=None,
):
    """Fully connected layer, ``activation(inputs @ kernel + bias)``.

    Same signature order and variables as ``tf.compat.v1.layers.dense``.

    Args:
      inputs: float tensor [..., in], rank >= 2, last dimension known.
      units: positive int, the output width.
      activation: None, a callable, or a name such as 'relu' or 'sigmoid'.
      kernel_initializer: default Glorot uniform (``get_variable``'s default).
      name: scope name; None gives 'dense', 'dense_1', ... in the current scope.
      reuse: True or ``tf.compat.v1.AUTO_REUSE`` to share the variables of an
        earlier call with the same ``name``.

    Returns:
      A tensor [..., units].
    """
    require_graph_mode("dense")
    inputs = as_float_tensor("dense", "inputs", inputs)
    check_rank("dense", "inputs", inputs, min_rank=2)
    in_dim = static_last_dim("dense", "inputs", inputs)
    units = positive_int("dense", "units", units)
    act = get_activation(activation, "dense")
    with tf.variable_scope(name, default_name="dense", reuse=reuse):
        kernel = get_variable_in_scope(
            "dense",
            "kernel",
            shape=[in_dim, units],
            dtype=inputs.dtype,
            initializer=kernel_initializer,
            regularizer=kernel_regularizer,
            trainable=trainable,
        )
        bias = None
        if use_bias:
            bias = get_variable_in_scope(
                "dense",
                "bias",
                shape=[units],
                dtype=inputs.dtype,
                initializer=bias_initializer,
                regularizer=bias_regularizer,
                trainable=trainable,
            )
        rank = inputs.shape.rank
        if rank == 2:
            outputs = tf.matmul(inputs, kernel)
        else:
            outputs = tf.tensordot(inputs, kernel, [[rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([units]))
        if bias is not None:
            outputs = tf.nn.bias_add(outputs, bias)
        if act is not None:
            outputs = act(outputs)
    return outputs


__all__ = ["dense", "xavier_initializer", "get_activation", "get_variable_in_scope", "positive_int"]
