"""Normalization layers of the kit: batch normalization and layer normalization, Keras-free.

``batch_normalization`` is ``tf1_recsys.compat.layers.batch_normalization``, the drop-in for
``tf.compat.v1.layers.batch_normalization`` (see that module for its numbers and updates).
``layer_normalization`` is the notes' ``CustomLayerNormalization``.
"""
from tf1_recsys._tf import as_float_tensor, check_rank, require_graph_mode, shape_str, tf
from tf1_recsys.compat.layers.normalization import batch_normalization
from tf1_recsys.compat.layers.variables import get_variable_in_scope


def _normalized_axis(fn_name, axis, rank):
    if not isinstance(axis, int) or not -rank <= axis < rank:
        raise ValueError(
            "%s: `axis` must be an int in [-%d, %d) for an input of rank %d; got %r."
            % (fn_name, rank, rank, rank, axis)
        )
    return axis % rank


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
    if tf.compat.dimension_value(params_shape[0]) is None:
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
