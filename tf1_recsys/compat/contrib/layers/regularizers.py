"""``tf.contrib.layers`` regularizers: l1, l2, l1_l2, sum, and ``apply_regularization``.

A regularizer is a callable ``weights -> scalar tensor`` (or None when it is disabled), for
``get_variable(regularizer=...)`` or a layer's ``kernel_regularizer``.
"""
import numbers

from tf1_recsys._tf import tf


def _check_scale(fn_name, scale):
    """None when the scale disables the regularizer (0), else the scale; rejects ints and negatives."""
    if isinstance(scale, numbers.Integral):
        raise ValueError("%s: `scale` cannot be an integer; got %r (write it as a float)." % (fn_name, scale))
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError("%s: `scale` must be >= 0; got %g." % (fn_name, scale))
        if scale == 0.0:
            return None
    return scale


def l1_regularizer(scale, scope=None):
    """``scale * sum(|w|)``; a scale of 0.0 gives a regularizer that returns None."""
    scale = _check_scale("l1_regularizer", scale)
    if scale is None:
        return lambda _: None

    def l1(weights):
        with tf.name_scope(scope, "l1_regularizer", [weights]) as name:
            factor = tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return tf.multiply(factor, tf.reduce_sum(tf.abs(weights)), name=name)

    return l1


def l2_regularizer(scale, scope=None):
    """``scale * sum(w ** 2) / 2`` (``tf.nn.l2_loss``); a scale of 0.0 gives a regularizer that returns None."""
    scale = _check_scale("l2_regularizer", scale)
    if scale is None:
        return lambda _: None

    def l2(weights):
        with tf.name_scope(scope, "l2_regularizer", [weights]) as name:
            factor = tf.convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return tf.multiply(factor, tf.nn.l2_loss(weights), name=name)

    return l2


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """``scale_l1 * sum(|w|) + scale_l2 * sum(w ** 2) / 2``; a zero scale drops its term."""
    _check_scale("l1_l2_regularizer", scale_l1)
    _check_scale("l1_l2_regularizer", scale_l2)
    scope = scope or "l1_l2_regularizer"
    if scale_l1 == 0.0:
        return l2_regularizer(scale_l2, scope)
    if scale_l2 == 0.0:
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def sum_regularizer(regularizer_list, scope=None):
    """The sum of the regularizers in ``regularizer_list`` (None entries and None results skipped)."""
    regularizers = [r for r in regularizer_list if r is not None]
    if not regularizers:
        return None

    def summed(weights):
        with tf.name_scope(scope, "sum_regularizer", [weights]) as name:
            terms = [t for t in (r(weights) for r in regularizers) if t is not None]
            return tf.add_n(terms, name=name) if terms else None

    return summed


def apply_regularization(regularizer, weights_list=None):
    """Sums ``regularizer(w)`` over ``weights_list`` (default: the ``WEIGHTS`` collection).

    The scalar is added to ``REGULARIZATION_LOSSES`` and returned.
    """
    if not weights_list:
        weights_list = tf.get_collection(tf.GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("apply_regularization: no weights to regularize (`weights_list` is empty and so "
                         "is the WEIGHTS collection).")
    with tf.name_scope("get_regularization_penalty", values=weights_list) as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [p if p is not None else tf.constant(0.0) for p in penalties]
        for p in penalties:
            if p.shape.ndims != 0:
                raise ValueError("apply_regularization: the regularizer must return a scalar; got a tensor "
                                 "of rank %d." % p.shape.ndims)
        total = tf.add_n(penalties, name=scope)
        tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES, total)
        return total


__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer", "apply_regularization"]
