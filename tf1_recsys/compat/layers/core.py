"""Core layers: ``Dense`` / ``dense``, ``Dropout`` / ``dropout``, ``Flatten`` / ``flatten``.

``dense`` creates exactly the variables ``tf.compat.v1.layers.dense`` creates
(``<scope>/kernel`` of shape [in, units] and ``<scope>/bias`` of shape [units],
Glorot-uniform kernel and zero bias by default), so checkpoints written by either
restore into the other.
"""
import numbers

import numpy as np

from tf1_recsys._tf import as_float_tensor, check_rank, check_training, require_graph_mode, shape_str, tf
from tf1_recsys.compat.layers import conv_utils
from tf1_recsys.compat.layers.activations import get_activation
from tf1_recsys.compat.layers.base import Layer
from tf1_recsys.compat.layers.input_spec import InputSpec
from tf1_recsys.compat.layers.variables import positive_int_like, rate_in_unit_interval


class Dense(Layer):
    """Densely connected layer, ``activation(inputs @ kernel + bias)``.

    Same constructor as ``tf.compat.v1.layers.Dense``. Inputs: float tensor [..., in],
    rank >= 2, ``in`` known; output [..., units]. Variables ``kernel`` [in, units] and
    ``bias`` [units] in the layer's scope.
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=tf.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        self.units = positive_int_like("dense", "units", units)
        self.activation = get_activation(activation, "dense")
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(min_ndim=2)
        self.kernel = self.bias = None

    def _check_inputs(self, inputs):
        fn = self._api_name()
        inputs = as_float_tensor(fn, "inputs", inputs)
        check_rank(fn, "inputs", inputs, min_rank=2)
        if tf.compat.dimension_value(inputs.shape[-1]) is None:
            raise ValueError("%s: the last dimension of `inputs` must be known at graph-construction time; "
                             "got shape %s." % (fn, shape_str(inputs)))

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        in_dim = tf.compat.dimension_value(input_shape[-1])
        if in_dim is None:
            raise ValueError("%s: the last dimension of the inputs must be known; got shape %s."
                             % (self._api_name(), input_shape))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: in_dim})
        self.kernel = self.add_weight(
            "kernel", shape=[in_dim, self.units], initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
            dtype=self.dtype, trainable=True)
        if self.use_bias:
            self.bias = self.add_weight(
                "bias", shape=[self.units], initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                dtype=self.dtype, trainable=True)
        super().build(input_shape)

    def call(self, inputs):
        inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype.base_dtype != self.kernel.dtype.base_dtype:
            inputs = tf.cast(inputs, self.kernel.dtype.base_dtype)
        rank = inputs.shape.rank
        if rank == 2:
            outputs = tf.matmul(inputs, self.kernel)
        else:
            outputs = tf.tensordot(inputs, self.kernel, [[rank - 1], [0]])
            outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape):
        """[..., in] -> [..., units]; a ValueError for rank < 2 or an unknown ``in``, as TensorFlow's."""
        input_shape = tf.TensorShape(input_shape).with_rank_at_least(2)
        if tf.compat.dimension_value(input_shape[-1]) is None:
            raise ValueError("The last dimension of the input shape of a Dense layer should be defined. "
                             "Found None; got shape %s." % (input_shape,))
        return input_shape[:-1].concatenate([self.units])


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=tf.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
          name=None, reuse=None):
    """Functional ``Dense``: ``activation(inputs @ kernel + bias)``.

    Same signature and variables as ``tf.compat.v1.layers.dense``.

    Args:
      inputs: float tensor [..., in], rank >= 2, last dimension known.
      units: positive int, the output width (as in TensorFlow, also a string of digits such
        as '16' or an integral float such as 16.0).
      activation: None, a callable, or a name such as 'relu' or 'sigmoid'.
      kernel_initializer: default Glorot uniform (``get_variable``'s default).
      name: the variable scope; None gives 'dense', 'dense_1', ... in the current scope.
      reuse: True or ``tf.compat.v1.AUTO_REUSE`` to share the variables of an
        earlier call with the same ``name``.

    Returns:
      A tensor [..., units].
    """
    require_graph_mode("dense")
    layer = Dense(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                  bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                  bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                  kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                  trainable=trainable, name=name, _scope=name, _reuse=reuse)
    layer._functional_name = "dense"
    return layer(inputs)


class Dropout(Layer):
    """Sets a fraction ``rate`` of the inputs to 0 and scales the rest by 1 / (1 - rate), in training only.

    ``training`` (a call argument, default False) is a Python bool or a scalar boolean
    tensor; with a tensor the choice is a ``tf.cond``, so no random numbers are drawn
    when it is False. ``noise_shape`` as in ``tf.nn.dropout`` (None entries take the
    input's size); ``seed`` is the op-level seed.
    """

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate = rate_in_unit_interval("dropout", "rate", rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        dynamic = tf.shape(inputs)
        return tf.convert_to_tensor(
            [dynamic[i] if value is None else value for i, value in enumerate(self.noise_shape)])

    def call(self, inputs, training=False):
        if isinstance(self.rate, numbers.Real) and self.rate == 0:
            return tf.identity(inputs)
        training = check_training(self._api_name(), False if training is None else training)

        def dropped():
            return tf.nn.dropout(inputs, noise_shape=self._noise_shape(inputs), seed=self.seed, rate=self.rate)

        if training is True:
            return dropped()
        if training is False:
            return tf.identity(inputs)
        return tf.cond(training, dropped, lambda: tf.identity(inputs))

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Functional ``Dropout``; same signature as ``tf.compat.v1.layers.dropout``.

    Args:
      inputs: a tensor.
      rate: fraction of the units to drop, in [0, 1].
      training: Python bool or scalar boolean tensor; False returns ``inputs`` unchanged.

    Returns:
      A tensor of the shape of ``inputs``.
    """
    require_graph_mode("dropout")
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    layer._functional_name = "dropout"
    return layer(inputs, training=training)


class Flatten(Layer):
    """Flattens every dimension but the first: [batch, d1, d2, ...] -> [batch, d1 * d2 * ...].

    ``data_format='channels_first'`` moves the channel axis last before flattening, so the
    order of the features matches a ``channels_last`` model's. A rank-1 input becomes [batch, 1].
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = conv_utils.normalize_data_format("flatten", data_format)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        inputs = tf.convert_to_tensor(inputs)
        if self.data_format == "channels_first" and inputs.shape.rank and inputs.shape.rank > 1:
            perm = [0] + list(range(2, inputs.shape.rank)) + [1]
            inputs = tf.transpose(inputs, perm=perm)
        shape = inputs.shape
        if shape.rank == 1:
            return tf.expand_dims(inputs, axis=1)
        rest = shape[1:]
        if rest.is_fully_defined():
            new_shape = tf.constant([-1, int(np.prod(rest.as_list()))])
        elif tf.compat.dimension_value(shape[0]) is not None:
            new_shape = tf.constant([int(shape[0]), -1])
        else:
            new_shape = [tf.shape(inputs)[0], -1]
        return tf.reshape(inputs, new_shape)

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        rest = shape[1:]
        return tf.TensorShape([shape[0], None if None in rest else int(np.prod(rest))])


def flatten(inputs, name=None, data_format="channels_last"):
    """Functional ``Flatten``; same signature as ``tf.compat.v1.layers.flatten``.

    Returns:
      A tensor [batch, product of the other dimensions].
    """
    require_graph_mode("flatten")
    layer = Flatten(name=name, data_format=data_format)
    layer._functional_name = "flatten"
    return layer(inputs)


# The aliases tf_keras' legacy module defines (TensorFlow does not export them).
FullyConnected, fully_connected = Dense, dense

__all__ = ["Dense", "dense", "Dropout", "dropout", "Flatten", "flatten"]
