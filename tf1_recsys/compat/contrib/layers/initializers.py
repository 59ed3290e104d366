"""``tf.contrib.layers`` initializers: ``variance_scaling_initializer`` and ``xavier_initializer``."""
import math

from tf1_recsys._tf import tf
from tf1_recsys.compat.layers.default_initializer import fans

_MODES = ("FAN_IN", "FAN_OUT", "FAN_AVG")


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None, dtype=tf.float32):
    """Initializer with variance ``factor / n`` (He et al. 2015 with the defaults).

    ``n`` is fan-in, fan-out or their mean (``mode``); for a shape [..., in, out] the fans are
    ``in`` and ``out`` times the product of the leading (receptive-field) dimensions.
    ``uniform`` draws from U(-sqrt(3 factor / n), +sqrt(3 factor / n)), else from a normal
    truncated at two standard deviations with stddev sqrt(1.3 factor / n), as ``tf.contrib`` did.

    Returns:
      A callable ``(shape, dtype=dtype, partition_info=None) -> Tensor`` for ``get_variable``.
    """
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError("variance_scaling_initializer: `dtype` must be floating-point; got %s." % dtype.name)
    if mode not in _MODES:
        raise TypeError("variance_scaling_initializer: unknown `mode` %r; expected one of %s."
                        % (mode, ", ".join(_MODES)))

    def _initializer(shape, dtype=dtype, partition_info=None):
        del partition_info
        dtype = tf.as_dtype(dtype)
        if not dtype.is_floating:
            raise TypeError("variance_scaling_initializer: cannot initialize a %s variable." % dtype.name)
        shape = [int(d) for d in tf.TensorShape(shape).as_list()]
        fan_in, fan_out = (float(n) for n in fans(shape))
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            return tf.random_uniform(shape, -limit, limit, dtype, seed=seed)
        stddev = math.sqrt(1.3 * factor / n)
        return tf.truncated_normal(shape, 0.0, stddev, dtype, seed=seed)

    return _initializer


def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
    """Glorot & Bengio (2010): ``variance_scaling_initializer(1.0, 'FAN_AVG', uniform)``.

    ``uniform=True`` draws from U(-l, l) with l = sqrt(6 / (fan_in + fan_out)), the same
    numbers as ``tf.compat.v1.glorot_uniform_initializer`` with the same seed.
    """
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform, seed=seed, dtype=dtype)


__all__ = ["variance_scaling_initializer", "xavier_initializer"]
