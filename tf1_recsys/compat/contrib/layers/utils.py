"""``tf.contrib.layers``' ``utils``: named outputs (``outputs_collections``), static conditions, argument helpers.

A layer called with ``outputs_collections`` adds its output to those collections and appends its
scope name to the output tensor's ``aliases`` list (``convert_collection_to_dict`` then gives
``{alias: tensor}``, the "end points" of slim-style models).
"""
import collections as _collections

from tf1_recsys._tf import tf


def append_tensor_alias(tensor, alias):
    """Appends ``alias`` (without a trailing '/') to ``tensor.aliases``; returns ``tensor``."""
    alias = alias[:-1] if alias.endswith("/") else alias
    if hasattr(tensor, "aliases"):
        tensor.aliases.append(alias)
    else:
        tensor.aliases = [alias]
    return tensor


def collect_named_outputs(collections, alias, outputs):
    """Adds ``outputs`` to ``collections`` (a name or list; None/empty: nothing) under ``alias``; returns it."""
    if collections:
        append_tensor_alias(outputs, alias)
        tf.add_to_collections(collections, outputs)
    return outputs


def get_tensor_aliases(tensor):
    """``tensor.aliases``, else ``[op name]`` for an output 0 and ``[tensor name]`` for another."""
    if hasattr(tensor, "aliases"):
        return tensor.aliases
    return [tensor.op.name] if tensor.name.endswith(":0") else [tensor.name]


def get_tensor_alias(tensor):
    """The last alias of ``tensor`` (see ``get_tensor_aliases``)."""
    return get_tensor_aliases(tensor)[-1]


def gather_tensors_aliases(tensors):
    """The aliases of all ``tensors``, in order, one list."""
    return [alias for tensor in tensors for alias in get_tensor_aliases(tensor)]


def convert_collection_to_dict(collection, clear_collection=False):
    """An ordered ``{alias: tensor}`` of the tensors in ``collection``; optionally empties the collection."""
    out = _collections.OrderedDict(
        (alias, tensor) for tensor in tf.get_collection(collection) for alias in get_tensor_aliases(tensor))
    if clear_collection:
        tf.get_default_graph().clear_collection(collection)
    return out


def get_variable_collections(variables_collections, name):
    """``variables_collections[name]`` for a dict, else ``variables_collections`` itself."""
    if isinstance(variables_collections, dict):
        return variables_collections.get(name)
    return variables_collections


def constant_value(value_or_tensor_or_var, dtype=None):
    """The value of a Python value or of a constant tensor; None for a variable or a non-constant tensor.

    Raises:
      ValueError: the value is None, or a tensor or variable is not of ``dtype``.
    """
    if value_or_tensor_or_var is None:
        raise ValueError("constant_value: `value_or_tensor_or_var` cannot be None.")
    value = value_or_tensor_or_var
    if isinstance(value, tf.Variable) or tf.is_tensor(value):
        if dtype is not None and value.dtype != dtype:
            raise ValueError("constant_value: it has the wrong type %s instead of %s." % (value.dtype, dtype))
        return None if isinstance(value, tf.Variable) else tf.get_static_value(value)
    return value


def static_cond(pred, fn1, fn2):
    """``fn1()`` if the Python value ``pred`` is true, else ``fn2()``."""
    for arg, fn in (("fn1", fn1), ("fn2", fn2)):
        if not callable(fn):
            raise TypeError("static_cond: `%s` must be callable; got %r." % (arg, fn))
    return fn1() if pred else fn2()


def smart_cond(pred, fn1, fn2, name=None):
    """``static_cond`` when ``pred`` has a static value, else ``tf.cond(pred, fn1, fn2)``."""
    value = constant_value(pred)
    if value is not None:
        return static_cond(value, fn1, fn2)
    return tf.cond(pred, fn1, fn2, name=name)


def n_positive_integers(n, value):
    """``value`` (an int or a sequence of ``n`` ints, all > 0) as a tuple of ``n`` ints."""
    if isinstance(value, tf.Dimension):
        value = value.value
    if isinstance(value, int) and not isinstance(value, bool):
        if value > 0:
            return (value,) * n
    elif isinstance(value, (list, tuple, tf.TensorShape)):
        items = [v.value if isinstance(v, tf.Dimension) else v for v in value]
        if len(items) == n and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in items):
            return tuple(items)
    raise ValueError("n_positive_integers: expected an integer or a sequence of %d integers, each > 0; got %r."
                     % (n, value))


def two_element_tuple(int_or_tuple):
    """``(a, b)`` from an int ``a`` (``(a, a)``) or a 2-element list, tuple or ``TensorShape``."""
    return n_positive_integers(2, int_or_tuple)


def last_dimension(shape, min_rank=1):
    """The known last dimension of ``shape`` of rank >= ``min_rank``; ValueError otherwise."""
    shape = tf.TensorShape(shape)
    if shape.rank is None:
        raise ValueError("last_dimension: the rank of the shape must be known; got %s." % shape)
    if shape.rank < min_rank:
        raise ValueError("last_dimension: the rank of %s must be at least %d." % (shape, min_rank))
    value = shape.as_list()[-1]
    if value is None:
        raise ValueError("last_dimension: the last dimension of %s must be known." % shape)
    return value


__all__ = [
    "append_tensor_alias", "collect_named_outputs", "constant_value", "convert_collection_to_dict",
    "gather_tensors_aliases", "get_tensor_alias", "get_tensor_aliases", "get_variable_collections",
    "last_dimension", "n_positive_integers", "smart_cond", "static_cond", "two_element_tuple",
]
