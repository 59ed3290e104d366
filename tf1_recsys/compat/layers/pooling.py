"""Pooling layers of ``tf.compat.v1.layers``: average and max pooling in 1, 2 and 3 dimensions.

Inputs [batch, *spatial, channels] (``channels_last``) or [batch, channels, *spatial];
windows of ``pool_size`` moved by ``strides`` (required, as in TensorFlow's functional
forms); 'same' average pooling averages over the in-bounds values only.
"""
from tf1_recsys._tf import check_rank, require_graph_mode, tf
from tf1_recsys.compat.layers import conv_utils
from tf1_recsys.compat.layers.base import Layer, to_snake_case
from tf1_recsys.compat.layers.input_spec import InputSpec


class _Pooling(Layer):
    _rank = None
    _pooling_type = None  # "MAX" or "AVG"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        fn = to_snake_case(type(self).__name__)
        if strides is None:
            raise ValueError("%s: `strides` must not be None." % fn)
        self.pool_size = conv_utils.normalize_tuple(fn, "pool_size", pool_size, self._rank)
        self.strides = conv_utils.normalize_tuple(fn, "strides", strides, self._rank)
        self.padding = conv_utils.normalize_padding(fn, padding)
        self.data_format = conv_utils.normalize_data_format(fn, data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _check_inputs(self, inputs):
        check_rank(self._api_name(), "inputs", tf.convert_to_tensor(inputs), rank=self._rank + 2)

    def call(self, inputs):
        x = conv_utils.to_channels_last(tf.convert_to_tensor(inputs), self.data_format)
        outputs = tf.nn.pool(x, window_shape=list(self.pool_size), pooling_type=self._pooling_type,
                             strides=list(self.strides), padding=self.padding.upper())
        return conv_utils.from_channels_last(outputs, self.data_format)

    def compute_output_shape(self, input_shape):
        shape = tf.TensorShape(input_shape).as_list()
        first = self.data_format == "channels_first"
        spatial = shape[2:] if first else shape[1:-1]
        out = [conv_utils.conv_output_length(d, k, self.padding, s)
               for d, k, s in zip(spatial, self.pool_size, self.strides)]
        return tf.TensorShape([shape[0], shape[1]] + out if first else [shape[0]] + out + [shape[-1]])


class AveragePooling1D(_Pooling):
    """Average over windows of [batch, length, channels]."""
    _rank, _pooling_type = 1, "AVG"


class MaxPooling1D(_Pooling):
    """Maximum over windows of [batch, length, channels]."""
    _rank, _pooling_type = 1, "MAX"


class AveragePooling2D(_Pooling):
    """Average over windows of [batch, height, width, channels]."""
    _rank, _pooling_type = 2, "AVG"


class MaxPooling2D(_Pooling):
    """Maximum over windows of [batch, height, width, channels]."""
    _rank, _pooling_type = 2, "MAX"


class AveragePooling3D(_Pooling):
    """Average over windows of [batch, depth, height, width, channels]."""
    _rank, _pooling_type = 3, "AVG"


class MaxPooling3D(_Pooling):
    """Maximum over windows of [batch, depth, height, width, channels]."""
    _rank, _pooling_type = 3, "MAX"


def _pool(cls, fn_name, inputs, pool_size, strides, padding, data_format, name):
    require_graph_mode(fn_name)
    layer = cls(pool_size=pool_size, strides=strides, padding=padding, data_format=data_format, name=name)
    layer._functional_name = fn_name
    return layer(inputs)


def average_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional ``AveragePooling1D``; same signature as ``tf.compat.v1.layers.average_pooling1d``."""
    return _pool(AveragePooling1D, "average_pooling1d", inputs, pool_size, strides, padding, data_format, name)


def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional ``MaxPooling1D``; same signature as ``tf.compat.v1.layers.max_pooling1d``."""
    return _pool(MaxPooling1D, "max_pooling1d", inputs, pool_size, strides, padding, data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional ``AveragePooling2D``; same signature as ``tf.compat.v1.layers.average_pooling2d``."""
    return _pool(AveragePooling2D, "average_pooling2d", inputs, pool_size, strides, padding, data_format, name)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional ``MaxPooling2D``; same signature as ``tf.compat.v1.layers.max_pooling2d``."""
    return _pool(MaxPooling2D, "max_pooling2d", inputs, pool_size, strides, padding, data_format, name)


def average_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional ``AveragePooling3D``; same signature as ``tf.compat.v1.layers.average_pooling3d``."""
    return _pool(AveragePooling3D, "average_pooling3d", inputs, pool_size, strides, padding, data_format, name)


def max_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional ``MaxPooling3D``; same signature as ``tf.compat.v1.layers.max_pooling3d``."""
    return _pool(MaxPooling3D, "max_pooling3d", inputs, pool_size, strides, padding, data_format, name)


# The aliases tf_keras' legacy module defines (TensorFlow does not export them).
AvgPool2D, MaxPool2D = AveragePooling2D, MaxPooling2D
avg_pool2d, max_pool2d = average_pooling2d, max_pooling2d

__all__ = ["AveragePooling1D", "MaxPooling1D", "AveragePooling2D", "MaxPooling2D", "AveragePooling3D",
           "MaxPooling3D", "average_pooling1d", "max_pooling1d", "average_pooling2d", "max_pooling2d",
           "average_pooling3d", "max_pooling3d"]
