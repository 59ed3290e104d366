"""``tf.contrib.framework.arg_scope``: default keyword arguments for decorated functions inside a ``with`` block.

A function decorated with ``add_arg_scope`` reads, on every call, the keyword arguments the
innermost ``arg_scope`` set for it; arguments given in the call win. Scopes nest: an inner
``arg_scope([f], b=2)`` keeps the outer scope's other arguments for ``f``. The value a
``with arg_scope(...) as sc`` yields is a plain dict ``{key of function: {argument: value}}``;
``with arg_scope(sc):`` later puts exactly that scope back in force (replacing, not merging
with, the scope around it). Functions are keyed by ``str()`` of the undecorated function,
as TF 1.x keyed them, so a scope dict saved by TF1 code keeps working.
"""
import contextlib
import functools
import inspect

_stack = [{}]  # the scopes in force, innermost last: {key: {argument: value}}
_decorated = {}  # key -> the names of the function's arguments that have defaults


def arg_scope_func_key(op):
    """The key ``op``'s arguments are stored under in a scope dict."""
    return getattr(op, "_key_op", str(op))


def current_arg_scope():
    """The scope dict in force (do not modify it)."""
    if not _stack:
        _stack.append({})
    return _stack[-1]


def _defaulted_arguments(func):
    """The positional-or-keyword parameters of ``func`` that have defaults, in order."""
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in parameters
                 if p.kind == p.POSITIONAL_OR_KEYWORD and p.default is not p.empty)


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
    """Sets ``kwargs`` as the default arguments of each function in ``list_ops_or_scope``.

    Args:
      list_ops_or_scope: a list or tuple of functions decorated with ``add_arg_scope``, or a
        scope dict yielded by an earlier ``arg_scope`` (then ``kwargs`` must be empty).
      **kwargs: argument -> default. Whether each function accepts them is checked when it is called.

    Yields:
      The scope dict now in force.

    Raises:
      TypeError: ``list_ops_or_scope`` is neither a list, a tuple nor a dict.
      ValueError: a function is not decorated with ``add_arg_scope``, or a dict comes with ``kwargs``.
    """
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError("arg_scope: when re-using a scope dict, no keyword arguments may be given; "
                             "got %s." % sorted(kwargs))
        scope = dict(list_ops_or_scope)
    elif isinstance(list_ops_or_scope, (list, tuple)):
        scope = dict(current_arg_scope())
        for op in list_ops_or_scope:
            if not has_arg_scope(op):
                raise ValueError("arg_scope: %s.%s is not decorated with @add_arg_scope."
                                 % (getattr(op, "__module__", "?"), getattr(op, "__name__", repr(op))))
            key = arg_scope_func_key(op)
            merged = dict(scope.get(key, {}))
            merged.update(kwargs)
            scope[key] = merged
    else:
        raise TypeError("arg_scope: `list_ops_or_scope` must be a list or tuple of functions or a scope "
                        "dict; got %s." % type(list_ops_or_scope).__name__)
    _stack.append(scope)
    try:
        yield scope
    finally:
        _stack.pop()


def add_arg_scope(func):
    """Decorates ``func`` so that ``arg_scope`` can set defaults for its keyword arguments."""
    key = arg_scope_func_key(func)

    @functools.wraps(func)
    def func_with_args(*args, **kwargs):
        scoped = current_arg_scope().get(key)
        if scoped:
            kwargs = dict(scoped, **kwargs)
        return func(*args, **kwargs)

    _decorated.setdefault(key, _defaulted_arguments(func))
    func_with_args._key_op = key
    return func_with_args


def has_arg_scope(func):
    """Whether ``func`` was decorated with ``add_arg_scope``."""
    return arg_scope_func_key(func) in _decorated


def arg_scoped_arguments(func):
    """The names of the arguments ``arg_scope`` can set for ``func`` (those with defaults), a tuple."""
    if not has_arg_scope(func):
        raise AssertionError("arg_scoped_arguments: %r is not decorated with @add_arg_scope." % (func,))
    return _decorated[arg_scope_func_key(func)]


__all__ = ["arg_scope", "add_arg_scope", "current_arg_scope", "has_arg_scope", "arg_scoped_arguments",
           "arg_scope_func_key"]
