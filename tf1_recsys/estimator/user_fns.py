"""Calling a user's ``input_fn`` and ``model_fn`` with the arguments they declare, like Estimator."""
import functools
import inspect

from tf1_recsys._tf import _tensorflow, tf

VALID_MODEL_FN_ARGS = frozenset(["features", "labels", "mode", "params", "self", "config"])


def fn_args(fn):
    """The names of ``fn``'s positional-or-keyword arguments (a ``functools.partial``'s bound ones removed)."""
    bound = set()
    while isinstance(fn, functools.partial):
        bound.update(fn.keywords or {})
        fn = fn.func
    params = inspect.signature(fn).parameters.values()
    return tuple(p.name for p in params
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in bound)


class _IteratorInitializerHook(tf.train.SessionRunHook):
    """Runs a dataset iterator's initializer once the session exists (it may hold placeholders' values)."""

    def __init__(self, iterator):
        self._initializer = iterator.initializer

    def after_create_session(self, session, coord):
        del coord
        session.run(self._initializer)


def _split(element):
    if isinstance(element, (list, tuple)):
        if len(element) != 2:
            raise ValueError("input_fn should return (features, labels) as a len 2 tuple.")
        return element[0], element[1]
    return element, None


def _declared(fn, **values):
    """The items of ``values`` whose names ``fn`` declares as arguments."""
    args = fn_args(fn)
    return {name: value for name, value in values.items() if name in args}


def call_input_fn(input_fn, mode, params, config):
    """Calls ``input_fn`` on the CPU and returns ``(features, labels, hooks)``.

    ``input_fn`` may take ``mode``, ``params`` and ``config``; it returns a
    ``tf.data.Dataset`` (TF2's ``tf.data.Dataset`` or ``tf.compat.v1.data.Dataset``) of
    ``(features, labels)`` or of features, or the tuple ``(features, labels)`` of
    tensors, or features. A dataset is read through an initializable iterator started
    by a hook; it ends the loop with OutOfRangeError.
    """
    if not callable(input_fn):
        raise TypeError("input_fn must be callable; got %r." % (input_fn,))
    kwargs = _declared(input_fn, mode=mode, params=params, config=config)
    with tf.device("/cpu:0"):
        result = input_fn(**kwargs)
        hooks = []
        if isinstance(result, _tensorflow.data.Dataset):  # the V2 base class: V1 datasets derive from it
            iterator = tf.data.make_initializable_iterator(result)
            hooks.append(_IteratorInitializerHook(iterator))
            result = iterator.get_next()
    features, labels = _split(result)
    return features, labels, hooks


def call_model_fn(model_fn, features, labels, mode, params, config):
    """Calls ``model_fn(features, labels, mode, params, config)`` with the arguments it declares."""
    from tf1_recsys.estimator.estimator_spec import EstimatorSpec

    kwargs = _declared(model_fn, labels=labels, mode=mode, params=params, config=config)
    if "labels" not in kwargs and labels is not None:
        raise ValueError("model_fn does not take labels, but input_fn returns labels.")
    tf.logging.info("Calling model_fn.")
    spec = model_fn(features=features, **kwargs)
    tf.logging.info("Done calling model_fn.")
    if not isinstance(spec, EstimatorSpec):
        raise ValueError("model_fn should return an EstimatorSpec.")
    return spec


def check_model_fn(model_fn, params):
    """Raises for a ``model_fn`` Estimator refuses: None, no ``features``, params it cannot take, other arguments."""
    if model_fn is None:
        raise ValueError("model_fn must be provided to Estimator.")
    args = set(fn_args(model_fn))
    if "features" not in args:
        raise ValueError("model_fn (%s) must include features argument." % model_fn)
    if params is not None and "params" not in args:
        raise ValueError("model_fn (%s) does not include params argument, but params (%s) is passed to Estimator."
                         % (model_fn, params))
    if params is None and "params" in args:
        tf.logging.warn("Estimator's model_fn (%s) includes params argument, but params are not passed to "
                        "Estimator.", model_fn)
    unexpected = list(args - VALID_MODEL_FN_ARGS)
    if unexpected:
        raise ValueError("model_fn (%s) has following not expected args: %s" % (model_fn, unexpected))


__all__ = ["call_input_fn", "call_model_fn", "check_model_fn", "fn_args"]
