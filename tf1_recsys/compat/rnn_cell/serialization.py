"""A wrapper's Python function (``residual_fn``, ``dropout_state_filter_visitor``) in ``get_config()`` and back.

``put_function(config, key, fn)`` stores it as TensorFlow's wrappers do, under ``key``, ``key + "_type"``
and ``key + "_module"``; ``pop_function(config, key, custom_objects)`` takes it out again.
The format is TensorFlow's: ``(payload, kind, module)`` with ``kind`` ``"lambda"`` for any Python
function, named or not (payload: ``(MIME base64 of the marshalled code, defaults, closure values)``,
rebuilt with ``module``'s globals), or ``"function"`` for another callable (payload: its name,
found again in ``custom_objects`` or in ``module``).
Like Keras' ``from_config``, rebuilding a lambda runs code from the config: load only configs
you trust.
"""
import base64
import marshal
import sys
import types


def function_to_config(function):
    """``(payload, kind, module)`` of ``function``; raises ValueError for something not callable."""
    if isinstance(function, types.FunctionType):
        closure = tuple(cell.cell_contents for cell in function.__closure__) if function.__closure__ else None
        code = base64.encodebytes(marshal.dumps(function.__code__)).decode("ascii")
        return (code, function.__defaults__, closure), "lambda", function.__module__
    if callable(function):
        return function.__name__, "function", function.__module__
    raise ValueError("Unrecognized function type for input: %s" % type(function))


def put_function(config, key, function):
    """Stores ``function`` in ``config`` under ``key`` (the payload), ``key + "_type"`` and ``key + "_module"``."""
    config[key], config[key + "_type"], config[key + "_module"] = function_to_config(function)


def pop_function(config, key, custom_objects=None):
    """The function ``put_function`` stored under ``key``; its three entries are removed from ``config``."""
    module = sys.modules.get(config.pop(key + "_module", None))
    namespace = dict(vars(module)) if module is not None else {}
    namespace.update(custom_objects or {})
    kind = config.pop(key + "_type")
    payload = config.pop(key)
    if kind == "function":
        if payload not in namespace:
            raise ValueError("Unknown function in wrapper: %s (pass it in custom_objects)" % payload)
        return namespace[payload]
    if kind != "lambda":
        raise ValueError("Unknown function type %r for %s" % (kind, key))
    code, defaults, closure = payload
    code = marshal.loads(base64.decodebytes(code.encode("ascii")))
    cells = tuple(types.CellType(value) for value in closure) if closure else None
    return types.FunctionType(code, namespace, code.co_name, tuple(defaults) if defaults else None, cells)


__all__ = ["function_to_config", "put_function", "pop_function"]
