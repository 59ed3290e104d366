"""Argument normalisation and output-size arithmetic shared by the convolution and pooling layers."""
import operator

from tf1_recsys._tf import tf


def _as_int(value):
    """An int, a numpy int or a known ``tf.compat.v1.Dimension`` -> int; anything else -> None."""
    value = tf.compat.dimension_value(value)
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def normalize_tuple(fn_name, arg_name, value, n):
    """An int or n ints (a list, tuple or ``TensorShape``) -> a tuple of n positive ints, else a
    ValueError naming the argument."""
    single = _as_int(value)
    if single is not None:
        values = (single,) * n
    else:
        try:
            values = tuple(_as_int(v) for v in value)
        except TypeError:
            values = None
        if values is None or len(values) != n or None in values:
            raise ValueError("%s: `%s` must be an int or a tuple of %d ints; got %r." % (fn_name, arg_name, n, value))
    if any(v <= 0 for v in values):
        raise ValueError("%s: `%s` must be > 0; got %r." % (fn_name, arg_name, value))
    return values


def normalize_padding(fn_name, value, allow_causal=False):
    padding = str(value).lower()
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if padding not in allowed:
        raise ValueError("%s: `padding` must be one of %s; got %r." % (fn_name, ", ".join(allowed), value))
    return padding


def normalize_data_format(fn_name, value):
    if value is None:
        return "channels_last"
    fmt = str(value).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError("%s: `data_format` must be 'channels_first' or 'channels_last'; got %r."
                         % (fn_name, value))
    return fmt


def to_channels_last(x, data_format):
    """[N, C, *spatial] -> [N, *spatial, C] for channels_first; unchanged otherwise."""
    if data_format != "channels_first":
        return x
    rank = x.shape.rank
    return tf.transpose(x, [0] + list(range(2, rank)) + [1])


def from_channels_last(x, data_format):
    """Inverse of ``to_channels_last``."""
    if data_format != "channels_first":
        return x
    rank = x.shape.rank
    return tf.transpose(x, [0, rank - 1] + list(range(1, rank - 1)))


def conv_output_length(length, kernel, padding, stride, dilation=1):
    """Spatial output size of a convolution or pooling window (None stays None)."""
    if length is None:
        return None
    dilated = kernel + (kernel - 1) * (dilation - 1)
    if padding in ("same", "causal"):
        out = length
    else:
        out = length - dilated + 1
    return (out + stride - 1) // stride


def deconv_output_length(length, kernel, padding, stride):
    """Spatial output size of a transposed convolution (None stays None)."""
    if length is None:
        return None
    if padding == "valid":
        return length * stride + max(kernel - stride, 0)
    return length * stride


__all__ = ["normalize_tuple", "normalize_padding", "normalize_data_format", "to_channels_last",
           "from_channels_last", "conv_output_length", "deconv_output_length"]
