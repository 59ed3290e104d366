"""``get_variable`` with errors that name the calling layer, and argument checks shared by the layers."""
import operator

import numpy as np

from tf1_recsys._tf import tf


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


def positive_int(fn_name, arg_name, value):
    """``value`` as an int >= 1, or a ValueError naming the argument."""
    try:
        number = operator.index(value)
    except TypeError:
        number = None
    if number is None or isinstance(value, bool) or number < 1:
        raise ValueError("%s: `%s` must be a positive integer; got %r." % (fn_name, arg_name, value))
    return number


def positive_int_like(fn_name, arg_name, value, strings=True):
    """``value`` as an int >= 1 where TensorFlow's layers convert it: an integral float (``16.0``,
    e.g. from Python 3's ``/``) and, with ``strings``, a string of digits (``'16'``, which
    ``Dense`` takes, ``int()`` being its conversion). A fraction or anything else is a ValueError
    naming the argument (TensorFlow truncates ``16.5`` to 16)."""
    if strings and isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            raise ValueError("%s: `%s` must be a positive integer; got %r." % (fn_name, arg_name, value)) from None
    elif isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return positive_int(fn_name, arg_name, value)


def positive_float(fn_name, arg_name, value):
    """``value`` as a float > 0, or a ValueError naming the argument."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not number > 0.0:
        raise ValueError("%s: `%s` must be a number > 0; got %r." % (fn_name, arg_name, value))
    return number


def rate_in_unit_interval(fn_name, arg_name, value):
    """A float in [0, 1] (or a tensor, unchecked), else a ValueError naming the argument."""
    if tf.is_tensor(value):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not 0.0 <= number <= 1.0:
        raise ValueError("%s: `%s` must be a number in [0, 1]; got %r." % (fn_name, arg_name, value))
    return value


__all__ = ["get_variable_in_scope", "positive_int", "positive_int_like", "positive_float", "rate_in_unit_interval"]
