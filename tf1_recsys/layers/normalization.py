"""Normalization layers: batch normalization and layer normalization, Keras-free.

``batch_normalization`` creates the variables of ``tf.compat.v1.layers.batch_normalization``
(``gamma``, ``beta``, and the non-trainable ``moving_mean`` / ``moving_variance``) and
computes the same numbers. In training mode the moving-average updates are added to
``tf.compat.v1.GraphKeys.UPDATE_OPS``: run them, e.g. with
``tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))``.

A ``training`` tensor selects between batch and moving statistics with ``tf.where``,
not ``tf.cond``: the graph then has no control flow, so it freezes into a GraphDef
that runs (a ``cond`` branch that returns a variable read does not survive
``convert_variables_to_constants`` under control flow v2).
"""
from tf1_recsys._tf import (
    as_float_tensor,
    check_rank,
    check_training,
    require_graph_mode,
    shape_str,
    tf,
)
from tf1_recsys.layers.core import get_variable_in_scope


def _normalized_axis(fn_name, axis, rank):
    if not isinstance(axis, int) or not -rank <= axis < rank:
        raise ValueError(
            "%s: `axis` must be an int in [-%d, %d) for an input of rank %d; got %r."
            % (fn_name, rank, rank, rank, axis)
        )
    return axis % rank


def batch_normalization(
    inputs,
    axis=-1,
    momentum=0.99,
    epsilon=1e-3,
    center=True,
    scale=True,
    beta_initializer=tf.zeros_initializer(),
    gamma_initializer=tf.ones_initializer(),
    moving_mean_initializer=tf.zeros_initializer(),
    moving_variance_initializer=tf.ones_initializer(),
    beta_regularizer=None,
    gamma_regularizer=None,
    training=False,
    trainable=True,
    name=None,
    reuse=None,
    fused=None,
):
    """Batch normalization (Ioffe & Szegedy, 2015) over one channel axis.

    Args:
      inputs: float tensor of rank >= 2 whose ``axis`` dimension is known.
      axis: the channel axis; statistics are taken over all other axes.
      momentum: moving average decay, ``moving = momentum * moving + (1 - momentum) * batch``.
      training: Python bool, or a scalar boolean tensor such as
        ``tf.compat.v1.placeholder_with_default(False, [])``. True normalises with the
        batch statistics and adds the moving-average updates to ``UPDATE_OPS``; False
        uses the moving statistics and adds no update.
      name: scope name; None gives 'batch_normalization', 'batch_normalization_1', ...
      fused: as in ``tf.compat.v1.layers``, where None picks TensorFlow's fused kernel for
        4-D / 5-D float32 (or 16-bit) inputs whose channel axis is 1 or the last one. That
        kernel feeds the moving variance with the unbiased (Bessel-corrected) batch variance,
        n / (n - 1) times the biased one used for normalising; None reproduces that rule so
        moving statistics match TensorFlow's to the last bit, False always uses the biased one.

    Returns:
      A tensor of the shape of ``inputs``.
    """
    fn = "batch_normalization"
    require_graph_mode(fn)
    inputs = as_float_tensor(fn, "inputs", inputs)
    check_rank(fn, "inputs", inputs, min_rank=2)
    training = check_training(fn, training)
    if not 0.0 <= float(momentum) <= 1.0:
        raise ValueError("%s: `momentum` must be in [0, 1]; got %r." % (fn, momentum))
    rank = inputs.shape.rank
    axis = _normalized_axis(fn, axis, rank)
    channels = inputs.shape[axis]
    if channels is None:
        raise ValueError(
            "%s: dimension %d (`axis`) of `inputs` must be known; got shape %s."
            % (fn, axis, shape_str(inputs))
        )
    reduction_axes = [i for i in range(rank) if i != axis]
    dtype = inputs.dtype
    if fused is None:
        fused = (
            rank in (4, 5)
            and axis in (1, rank - 1)
            and dtype in (tf.float32, tf.float16, tf.bfloat16)
        )

    with tf.variable_scope(name, default_name="batch_normalization", reuse=reuse):
        gamma = beta = None
        if scale:
            gamma = get_variable_in_scope(
                fn, "gamma", shape=[channels], dtype=dtype, initializer=gamma_initializer,
                regularizer=gamma_regularizer, trainable=trainable,
            )
        if center:
            beta = get_variable_in_scope(
                fn, "beta", shape=[channels], dtype=dtype, initializer=beta_initializer,
                regularizer=beta_regularizer, trainable=trainable,
            )
        moving_mean = get_variable_in_scope(
            fn, "moving_mean", shape=[channels], dtype=dtype,
            initializer=moving_mean_initializer, trainable=False,
        )
        moving_variance = get_variable_in_scope(
            fn, "moving_variance", shape=[channels], dtype=dtype,
            initializer=moving_variance_initializer, trainable=False,
        )

        if training is False:
            mean, variance = moving_mean, moving_variance
        else:
            batch_mean, batch_variance = tf.nn.moments(inputs, reduction_axes)
            if training is True:
                mean, variance = batch_mean, batch_variance
            else:
                mean = tf.where(training, batch_mean, moving_mean.read_value())
                variance = tf.where(training, batch_variance, moving_variance.read_value())
            update_variance = batch_variance
            if fused:
                n = tf.cast(tf.size(inputs) // channels, dtype)
                update_variance = batch_variance * n / tf.maximum(n - 1.0, 1.0)
            decay = tf.constant(1.0 - momentum, dtype=dtype, name="decay")
            for var, value in ((moving_mean, batch_mean), (moving_variance, update_variance)):
                delta = (var.read_value() - value) * decay
                if training is not True:
                    delta = tf.where(training, delta, tf.zeros_like(delta))
                update = var.assign_sub(delta, read_value=False, name="update_" + var.op.name.split("/")[-1])
                tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, update)

        if axis != rank - 1:
            broadcast_shape = [1] * rank
            broadcast_shape[axis] = channels
            reshape = lambda t: None if t is None else tf.reshape(t, broadcast_shape)
            mean, variance, gamma, beta = map(reshape, (mean, variance, gamma, beta))
        return tf.nn.batch_normalization(inputs, mean, variance, beta, gamma, epsilon)


def layer_normalization(
    inputs,
    begin_norm_axis=-1,
    epsilon=1e-6,
    center=True,
    scale=True,
    trainable=True,
    name=None,
    reuse=None,
):
    """Layer normalization (Ba et al., 2016): the notes' ``CustomLayerNormalization``.

    Each example is normalised over the axes from ``begin_norm_axis`` to the last,
    then scaled by ``gamma`` and shifted by ``beta`` (both of shape [last dim]).

    Args:
      inputs: float tensor [..., d] with d known.
      begin_norm_axis: first normalised axis; -1 normalises over the last axis only.
      name: scope name; None gives 'layer_normalization', 'layer_normalization_1', ...

    Returns:
      A tensor of the shape of ``inputs``.
    """
    fn = "layer_normalization"
    require_graph_mode(fn)
    inputs = as_float_tensor(fn, "inputs", inputs)
    check_rank(fn, "inputs", inputs, min_rank=1)
    rank = inputs.shape.rank
    begin = _normalized_axis(fn, begin_norm_axis, rank)
    params_shape = inputs.shape[-1:]
    if params_shape[0] is None:
        raise ValueError(
            "%s: the last dimension of `inputs` must be known; got shape %s." % (fn, shape_str(inputs))
        )
    with tf.variable_scope(name, default_name="layer_normalization", reuse=reuse):
        beta = gamma = None
        if center:
            beta = get_variable_in_scope(
                fn, "beta", shape=params_shape, dtype=inputs.dtype,
                initializer=tf.zeros_initializer(), trainable=trainable,
            )
        if scale:
            gamma = get_variable_in_scope(
                fn, "gamma", shape=params_shape, dtype=inputs.dtype,
                initializer=tf.ones_initializer(), trainable=trainable,
            )
        mean, variance = tf.nn.moments(inputs, list(range(begin, rank)), keep_dims=True)
        return tf.nn.batch_normalization(inputs, mean, variance, beta, gamma, epsilon)


__all__ = ["batch_normalization", "layer_normalization"]
