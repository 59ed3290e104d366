"""Convolution layers of ``tf.compat.v1.layers``: Conv1D/2D/3D, SeparableConv1D/2D, Conv2D/3DTranspose.

Variables as TensorFlow names them: ``kernel`` [*kernel_size, in_channels, filters]
(transposed convolutions: [*kernel_size, filters, in_channels]), separable ones
``depthwise_kernel`` [*kernel_size, in_channels, depth_multiplier] and ``pointwise_kernel``
[1.., in_channels * depth_multiplier, filters]; ``bias`` [filters]. Inputs are
[batch, *spatial, channels] (``channels_last``) or [batch, channels, *spatial]; a
``channels_first`` input is computed in channels-last layout and transposed back, which
gives the same numbers and also runs on CPU.
"""
import functools
import inspect

from tf1_recsys._tf import as_float_tensor, check_rank, require_graph_mode, shape_str, tf
from tf1_recsys.compat.layers import conv_utils
from tf1_recsys.compat.layers.activations import get_activation
from tf1_recsys.compat.layers.base import Layer, to_snake_case
from tf1_recsys.compat.layers.input_spec import InputSpec
from tf1_recsys.compat.layers.variables import positive_int, positive_int_like


class _Conv(Layer):
    """N-D convolution, ``activation(conv(inputs, kernel) + bias)``."""

    _rank = None
    _transpose = False

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=tf.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        fn = to_snake_case(type(self).__name__)
        n = self._rank
        self.filters = positive_int_like(fn, "filters", filters, strings=False)
        self.kernel_size = conv_utils.normalize_tuple(fn, "kernel_size", kernel_size, n)
        self.strides = conv_utils.normalize_tuple(fn, "strides", strides, n)
        self.padding = conv_utils.normalize_padding(fn, padding, allow_causal=(n == 1 and not self._transpose))
        self.data_format = conv_utils.normalize_data_format(fn, data_format)
        self.dilation_rate = conv_utils.normalize_tuple(fn, "dilation_rate", dilation_rate, n)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError("%s: `strides` > 1 cannot be combined with `dilation_rate` > 1; got strides=%r, "
                             "dilation_rate=%r." % (fn, strides, dilation_rate))
        self.activation = get_activation(activation, fn)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.input_spec = InputSpec(ndim=n + 2)
        self.kernel = self.bias = None

    @property
    def _channel_axis(self):
        return 1 if self.data_format == "channels_first" else -1

    def _check_inputs(self, inputs):
        fn = self._api_name()
        inputs = as_float_tensor(fn, "inputs", inputs)
        check_rank(fn, "inputs", inputs, rank=self._rank + 2)
        if tf.compat.dimension_value(inputs.shape[self._channel_axis]) is None:
            raise ValueError("%s: The channel dimension of the inputs should be defined. The input_shape "
                             "received is %s, where axis %d (0-based) is the channel dimension (%s), which "
                             "found to be `None`." % (fn, shape_str(inputs), self._channel_axis % inputs.shape.rank,
                                                      self.data_format))

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (in_channels, self.filters)

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        in_channels = int(input_shape[self._channel_axis])
        self.input_spec = InputSpec(ndim=self._rank + 2, axes={self._channel_axis: in_channels})
        self._build_kernels(in_channels)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=(self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        trainable=True, dtype=self.dtype)
        super().build(input_shape)

    def _build_kernels(self, in_channels):
        self.kernel = self.add_weight("kernel", shape=self._kernel_shape(in_channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, trainable=True, dtype=self.dtype)

    def _causal_pad(self, x):
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        return tf.pad(x, [[0, 0], [left, 0], [0, 0]])

    def _convolve(self, x):
        """``x`` channels-last -> the convolution, channels-last, without bias."""
        padding = "VALID" if self.padding == "causal" else self.padding.upper()
        if self.padding == "causal":
            x = self._causal_pad(x)
        return tf.nn.convolution(x, self.kernel, padding=padding, strides=list(self.strides),
                                 dilations=list(self.dilation_rate))

    def call(self, inputs):
        x = conv_utils.to_channels_last(tf.convert_to_tensor(inputs), self.data_format)
        outputs = self._convolve(x)
        if self.use_bias:
            outputs = tf.nn.bias_add(outputs, self.bias)
        outputs = conv_utils.from_channels_last(outputs, self.data_format)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def _spatial_output(self, spatial):
        return [conv_utils.conv_output_length(d, k, self.padding, s, r)
                for d, k, s, r in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)]

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        if self.data_format == "channels_first":
            return tf.TensorShape([shape[0], self.filters] + self._spatial_output(shape[2:]))
        return tf.TensorShape([shape[0]] + self._spatial_output(shape[1:-1]) + [self.filters])


class Conv1D(_Conv):
    """1-D convolution over [batch, length, channels]; ``padding`` 'valid', 'same' or 'causal'."""
    _rank = 1


class Conv2D(_Conv):
    """2-D convolution over [batch, height, width, channels]."""
    _rank = 2


class Conv3D(_Conv):
    """3-D convolution over [batch, depth, height, width, channels]."""
    _rank = 3


class _SeparableConv(_Conv):
    """Depthwise convolution (``depth_multiplier`` channels per input channel), then a 1x1 convolution."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=tf.zeros_initializer(), depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint,
                         trainable=trainable, name=name, **kwargs)
        self.depth_multiplier = positive_int(to_snake_case(type(self).__name__), "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self.depthwise_kernel = self.pointwise_kernel = None

    def _build_kernels(self, in_channels):
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (in_channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, trainable=True, dtype=self.dtype)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", shape=(1,) * self._rank + (self.depth_multiplier * in_channels, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, trainable=True, dtype=self.dtype)

    def _convolve(self, x):
        depthwise, pointwise = self.depthwise_kernel, self.pointwise_kernel
        strides, rate = self.strides, self.dilation_rate
        if self.padding == "causal":
            x = self._causal_pad(x)
        if self._rank == 1:  # as a 2-D convolution over [batch, 1, length, channels]
            x = tf.expand_dims(x, 1)
            depthwise, pointwise = tf.expand_dims(depthwise, 0), tf.expand_dims(pointwise, 0)
            strides, rate = (1,) + strides, (1,) + rate
        padding = "VALID" if self.padding == "causal" else self.padding.upper()
        outputs = tf.nn.separable_conv2d(x, depthwise, pointwise, strides=(1,) + strides + (1,),
                                         padding=padding, rate=rate)
        return tf.squeeze(outputs, [1]) if self._rank == 1 else outputs


class SeparableConv1D(_SeparableConv):
    """Depthwise-separable 1-D convolution over [batch, length, channels]."""
    _rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise-separable 2-D convolution over [batch, height, width, channels]."""
    _rank = 2


class _ConvTranspose(_Conv):
    """Transposed convolution (the gradient of a convolution with respect to its input)."""

    _transpose = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 activation=None, use_bias=True, kernel_initializer=None, bias_initializer=tf.zeros_initializer(),
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                         name=name, **kwargs)

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (self.filters, in_channels)

    def _spatial_output(self, spatial):
        return [conv_utils.deconv_output_length(d, k, self.padding, s)
                for d, k, s in zip(spatial, self.kernel_size, self.strides)]

    def _convolve(self, x):
        dynamic = tf.shape(x)
        static = x.shape.as_list()
        spatial = [static[i + 1] if static[i + 1] is not None else dynamic[i + 1] for i in range(self._rank)]
        out_spatial = [conv_utils.deconv_output_length(d, k, self.padding, s)
                       for d, k, s in zip(spatial, self.kernel_size, self.strides)]
        output_shape = tf.stack([dynamic[0]] + out_spatial + [self.filters])
        op = tf.nn.conv2d_transpose if self._rank == 2 else tf.nn.conv3d_transpose
        outputs = op(x, self.kernel, output_shape, strides=(1,) + self.strides + (1,), padding=self.padding.upper())
        outputs.set_shape([static[0]] + self._spatial_output(static[1:-1]) + [self.filters])
        return outputs


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution; output [batch, h * stride (+ kernel - stride for 'valid'), ..., filters]."""
    _rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution."""
    _rank = 3


def _tuple_defaults(cls):
    """Gives ``cls.__init__`` TensorFlow's defaults ``strides=(1,) * rank`` (and ``dilation_rate``)."""
    base_init = cls.__init__
    signature = inspect.signature(base_init)
    ones = (1,) * cls._rank
    params = [p.replace(default=ones) if p.name in ("strides", "dilation_rate") else p
              for p in signature.parameters.values()]
    signature = signature.replace(parameters=params)

    @functools.wraps(base_init)
    def __init__(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        base_init(*bound.args, **bound.kwargs)

    __init__.__signature__ = signature
    cls.__init__ = __init__
    return cls


for _cls in (Conv2D, Conv3D, SeparableConv2D, Conv2DTranspose, Conv3DTranspose):
    _tuple_defaults(_cls)


def _functional(cls, fn_name, inputs, reuse, name, **kwargs):
    require_graph_mode(fn_name)
    layer = cls(name=name, _scope=name, _reuse=reuse, **kwargs)
    layer._functional_name = fn_name
    return layer(inputs)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last", dilation_rate=1,
           activation=None, use_bias=True, kernel_initializer=None, bias_initializer=tf.zeros_initializer(),
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional ``Conv1D``; same signature as ``tf.compat.v1.layers.conv1d``."""
    return _functional(Conv1D, "conv1d", inputs, reuse, name, filters=filters, kernel_size=kernel_size,
                       strides=strides, padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                       activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=tf.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    """Functional ``Conv2D``; same signature as ``tf.compat.v1.layers.conv2d``."""
    return _functional(Conv2D, "conv2d", inputs, reuse, name, filters=filters, kernel_size=kernel_size,
                       strides=strides, padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                       activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable)


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer=tf.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
           reuse=None):
    """Functional ``Conv3D``; same signature as ``tf.compat.v1.layers.conv3d``."""
    return _functional(Conv3D, "conv3d", inputs, reuse, name, filters=filters, kernel_size=kernel_size,
                       strides=strides, padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                       activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable)


def _separable(cls, fn_name, inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
               depth_multiplier, activation, use_bias, depthwise_initializer, pointwise_initializer,
               bias_initializer, depthwise_regularizer, pointwise_regularizer, bias_regularizer,
               activity_regularizer, depthwise_constraint, pointwise_constraint, bias_constraint, trainable, name,
               reuse):
    return _functional(cls, fn_name, inputs, reuse, name, filters=filters, kernel_size=kernel_size,
                       strides=strides, padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                       depth_multiplier=depth_multiplier, activation=activation, use_bias=use_bias,
                       depthwise_initializer=depthwise_initializer, pointwise_initializer=pointwise_initializer,
                       bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                       pointwise_regularizer=pointwise_regularizer, bias_regularizer=bias_regularizer,
                       activity_regularizer=activity_regularizer, depthwise_constraint=depthwise_constraint,
                       pointwise_constraint=pointwise_constraint, bias_constraint=bias_constraint,
                       trainable=trainable)


def separable_conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                     dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=tf.zeros_initializer(), depthwise_regularizer=None,
                     pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                     name=None, reuse=None):
    """Functional ``SeparableConv1D``; same signature as ``tf.compat.v1.layers.separable_conv1d``."""
    return _separable(SeparableConv1D, "separable_conv1d", inputs, filters, kernel_size, strides, padding,
                      data_format, dilation_rate, depth_multiplier, activation, use_bias, depthwise_initializer,
                      pointwise_initializer, bias_initializer, depthwise_regularizer, pointwise_regularizer,
                      bias_regularizer, activity_regularizer, depthwise_constraint, pointwise_constraint,
                      bias_constraint, trainable, name, reuse)


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                     depthwise_initializer=None, pointwise_initializer=None, bias_initializer=tf.zeros_initializer(),
                     depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional ``SeparableConv2D``; same signature as ``tf.compat.v1.layers.separable_conv2d``."""
    return _separable(SeparableConv2D, "separable_conv2d", inputs, filters, kernel_size, strides, padding,
                      data_format, dilation_rate, depth_multiplier, activation, use_bias, depthwise_initializer,
                      pointwise_initializer, bias_initializer, depthwise_regularizer, pointwise_regularizer,
                      bias_regularizer, activity_regularizer, depthwise_constraint, pointwise_constraint,
                      bias_constraint, trainable, name, reuse)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None, bias_initializer=tf.zeros_initializer(),
                     kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional ``Conv2DTranspose``; same signature as ``tf.compat.v1.layers.conv2d_transpose``."""
    return _functional(Conv2DTranspose, "conv2d_transpose", inputs, reuse, name, filters=filters,
                       kernel_size=kernel_size, strides=strides, padding=padding, data_format=data_format,
                       activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable)


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None, bias_initializer=tf.zeros_initializer(),
                     kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional ``Conv3DTranspose``; same signature as ``tf.compat.v1.layers.conv3d_transpose``."""
    return _functional(Conv3DTranspose, "conv3d_transpose", inputs, reuse, name, filters=filters,
                       kernel_size=kernel_size, strides=strides, padding=padding, data_format=data_format,
                       activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable)


# The aliases tf_keras' legacy module defines (TensorFlow does not export them).
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
SeparableConvolution2D = SeparableConv2D
Convolution2DTranspose = Deconvolution2D = Deconv2D = Conv2DTranspose
Convolution3DTranspose = Deconvolution3D = Deconv3D = Conv3DTranspose
convolution1d, convolution2d, convolution3d = conv1d, conv2d, conv3d
separable_convolution2d = separable_conv2d
convolution2d_transpose = deconvolution2d = deconv2d = conv2d_transpose
convolution3d_transpose = deconvolution3d = deconv3d = conv3d_transpose

__all__ = ["Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "Conv2DTranspose",
           "Conv3DTranspose", "conv1d", "conv2d", "conv3d", "separable_conv1d", "separable_conv2d",
           "conv2d_transpose", "conv3d_transpose"]
