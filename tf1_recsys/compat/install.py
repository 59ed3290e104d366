"""``install()`` / ``uninstall()``: point ``tf.compat.v1.layers`` (``.contrib``, ``tf.estimator``) at tf1_recsys.

TensorFlow reaches ``compat.v1`` through several module objects (``tf.compat.v1``, the
``tensorflow.compat.v1`` import and the generated ``tensorflow._api.v2.compat.v1``);
each gets the attribute, and the previous value (on TensorFlow 2.16+ a lazy loader that
imports tf_keras) is kept and restored by ``uninstall()``. Nothing else in TensorFlow changes.
"""
import sys

import tensorflow as _tensorflow

from tf1_recsys.compat.contrib_paths import CONTRIB_ALIASES
from tf1_recsys.compat.estimator_paths import ESTIMATOR_ALIASES, install_estimator_paths
from tf1_recsys.compat import install_rnn
from tf1_recsys.compat.layers.default_initializer import follow_keras_defaults

_MISSING = object()
_saved = {}  # (id of module, attribute) -> (module, previous value or _MISSING)


def _compat_v1_modules():
    candidates = [
        _tensorflow.compat.v1,
        sys.modules.get("tensorflow.compat.v1"),
        sys.modules.get("tensorflow._api.v2.compat.v1"),
    ]
    try:
        import tensorflow.compat.v1 as imported  # noqa: F401 - the object `import ... as tf` gives
        candidates.append(imported)
    except ImportError:  # pragma: no cover
        pass
    modules, seen = [], set()
    for module in candidates:
        if module is not None and id(module) not in seen:
            seen.add(id(module))
            modules.append(module)
    return modules


def _set(module, attr, value):
    key = (id(module), attr)
    if key not in _saved:
        _saved[key] = (module, vars(module).get(attr, _MISSING) if hasattr(module, "__dict__") else _MISSING)
    setattr(module, attr, value)


def _estimator_modules():
    """The modules whose ``estimator`` attribute ``tf.estimator`` code reads: tensorflow, compat.v1, compat.v2."""
    modules = [_tensorflow] + _compat_v1_modules()
    for module in (getattr(_tensorflow.compat, "v2", None), sys.modules.get("tensorflow._api.v2.compat.v2")):
        if module is not None and all(module is not m for m in modules):
            modules.append(module)
    return modules


def _install_estimator():
    """``tf.compat.v1.estimator`` -> ``tf1_recsys.estimator`` (V1 classes); ``tf.estimator`` and
    ``tf.compat.v2.estimator`` -> ``tf1_recsys._api.v2.estimator`` (V2 canned classes), as in TensorFlow."""
    from tf1_recsys import estimator as v1_namespace
    from tf1_recsys._api.v2 import estimator as v2_namespace

    v1_modules = _compat_v1_modules()
    for module in _estimator_modules():
        is_v1 = any(module is m for m in v1_modules)
        _set(module, "estimator", v1_namespace if is_v1 else v2_namespace)


def install(contrib=False, estimator=False, private_names=False):
    """Makes ``tf.compat.v1.layers.X`` resolve to ``tf1_recsys.compat.layers.X``.

    Also ``tf.compat.v1.nn.rnn_cell`` -> ``tf1_recsys.compat.rnn_cell``, and a weight created
    without initializer gets TensorFlow's layers' default (Keras' Glorot uniform under TF 2
    behaviour: ``tf1_recsys.compat.layers.default_initializer``). With
    ``private_names=True`` also TF 1.x's private names that code copied from TensorFlow 1.x
    imports (``rnn_cell_impl._Linear``, ``_like_rnncell``, ``control_flow_ops.while_loop``, ...;
    see ``tf1_recsys.compat.install_rnn``).

    With ``contrib=True`` also ``tf.compat.v1.contrib`` -> ``tf1_recsys.compat.contrib``
    (TensorFlow 2 has no ``contrib``) and the import paths ``tensorflow.contrib...`` of
    ``tf1_recsys.compat.contrib_paths``. With ``estimator=True`` also ``tf.estimator``,
    ``tf.compat.v2.estimator`` -> ``tf1_recsys._api.v2.estimator`` (the V2 canned classes)
    and ``tf.compat.v1.estimator`` -> ``tf1_recsys.estimator`` (the V1 ones), as TensorFlow
    splits them (gone from TensorFlow 2.16+; on older releases this replaces TensorFlow's
    own while installed), and where no real ``tensorflow_estimator`` is installed the import
    paths ``tensorflow.python.estimator...`` / ``tensorflow_estimator...`` of
    ``tf1_recsys.compat.estimator_paths``. Idempotent; ``uninstall()`` undoes it.
    """
    from tf1_recsys.compat import contrib as contrib_module
    from tf1_recsys.compat import layers as layers_module

    for module in _compat_v1_modules():
        _set(module, "layers", layers_module)
        if contrib:
            _set(module, "contrib", contrib_module)
    if contrib:
        CONTRIB_ALIASES.install()
    if estimator:
        _install_estimator()
        install_estimator_paths()
    sys.modules.setdefault("tensorflow.compat.v1.layers", layers_module)
    if sys.modules.get("tensorflow.compat.v1.layers") is not layers_module:
        _saved.setdefault(("sys.modules", "layers"), (None, sys.modules["tensorflow.compat.v1.layers"]))
        sys.modules["tensorflow.compat.v1.layers"] = layers_module
    install_rnn.install_rnn_cell()
    follow_keras_defaults(True)
    if private_names:
        install_rnn.install_private_names()


def uninstall():
    """Restores what ``install()`` replaced. Idempotent."""
    follow_keras_defaults(False)
    CONTRIB_ALIASES.uninstall()
    ESTIMATOR_ALIASES.uninstall()
    install_rnn.uninstall()
    for (key, attr), (module, previous) in list(_saved.items()):
        if key == "sys.modules":
            sys.modules["tensorflow.compat.v1.layers"] = previous
            continue
        if previous is _MISSING:
            try:
                delattr(module, attr)
            except AttributeError:
                pass
        else:
            setattr(module, attr, previous)
    _saved.clear()
    from tf1_recsys.compat import layers as layers_module

    if sys.modules.get("tensorflow.compat.v1.layers") is layers_module:
        del sys.modules["tensorflow.compat.v1.layers"]


def installed():
    """Whether ``tf.compat.v1.layers`` currently resolves to tf1_recsys.compat.layers."""
    from tf1_recsys.compat import layers as layers_module

    return vars(_tensorflow.compat.v1).get("layers") is layers_module or \
        getattr(_tensorflow.compat.v1, "layers", None) is layers_module


__all__ = ["install", "uninstall", "installed"]
