"""``Linear``: TensorFlow 1.x's ``rnn_cell_impl._Linear``, which copied TF1 cells (DIEN's AUGRU) build on.

``Linear(args, output_size, build_bias)`` creates ``kernel`` ``[sum of the args' depths,
output_size]`` and ``bias`` ``[output_size]`` (zeros unless ``bias_initializer``) in the
current variable scope when constructed; calling it returns ``concat(args, 1) @ kernel + bias``
(``[batch, output_size]``).
"""
from tf1_recsys._tf import tf


def _as_list(args):
    if args is None or (tf.nest.is_nested(args) and not args):
        raise ValueError("`args` must be specified")
    return list(args) if tf.nest.is_nested(args) else [args]


class Linear(object):
    """A linear map of one or more 2-D tensors ``[batch, depth_i]`` to ``[batch, output_size]``.

    Args:
      args: a 2-D tensor or a list of them; their last dimensions must be known.
      output_size: int, the output depth.
      build_bias: whether to add a bias.
      bias_initializer: default zeros.
      kernel_initializer: default the variable scope's (Glorot uniform).
    """

    def __init__(self, args, output_size, build_bias, bias_initializer=None, kernel_initializer=None):
        self._build_bias = build_bias
        args = _as_list(args)
        self._is_sequence = len(args) > 1
        total = 0
        for shape in [a.shape for a in args]:
            if shape.rank != 2:
                raise ValueError("linear is expecting 2D arguments: %s" % [a.shape for a in args])
            depth = tf.compat.dimension_value(shape[1])
            if depth is None:
                raise ValueError("linear expects shape[1] to be provided for shape %s, but saw %s"
                                 % (shape, shape[1]))
            total += depth
        dtype = args[0].dtype
        with tf.variable_scope(tf.get_variable_scope()) as outer:
            self._weights = tf.get_variable("kernel", [total, output_size], dtype=dtype,
                                            initializer=kernel_initializer)
            if build_bias:
                with tf.variable_scope(outer) as inner:
                    inner.set_partitioner(None)
                    if bias_initializer is None:
                        bias_initializer = tf.constant_initializer(0.0, dtype=dtype)
                    self._biases = tf.get_variable("bias", [output_size], dtype=dtype, initializer=bias_initializer)

    def __call__(self, args):
        args = _as_list(args)
        joined = args[0] if len(args) == 1 else tf.concat(args, 1)
        result = tf.matmul(joined, self._weights)
        return tf.nn.bias_add(result, self._biases) if self._build_bias else result


_Linear = Linear

__all__ = ["Linear"]
