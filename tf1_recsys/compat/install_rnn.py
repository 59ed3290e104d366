"""The ``rnn_cell`` part of ``install()``: ``tf.compat.v1.nn.rnn_cell`` and, opted in, TF 1.x's private names.

``install_rnn_cell()`` points ``tf.compat.v1.nn.rnn_cell`` (the attribute of every
``compat.v1.nn`` module object and the ``tensorflow[._api.v2].compat.v1.nn.rnn_cell`` entries
of ``sys.modules``) at ``tf1_recsys.compat.rnn_cell``.

``install_private_names()`` (``install(private_names=True)``) serves code copied from
TensorFlow 1.x's own sources, which imports private modules: it puts the cells (those of
``tf1_recsys.compat.rnn_cell.private`` where they differ), ``_Linear``
and ``_like_rnncell`` into ``tensorflow.python.ops.rnn_cell_impl`` and ``rnn_cell``, and the
names later TensorFlow moved elsewhere back where TF 1.x had them (``control_flow_ops.while_loop``
/ ``cond`` / ``case`` / ``Assert``, ``array_ops.stack`` / ``unstack``, ``nest.is_sequence``),
each only where missing: the tables ``PRIVATE_NAMES`` and ``MOVED_PRIVATE_NAMES``, which
``tf1_recsys.compat.provides`` lists for ``tf1-recsys doctor``. ``uninstall()`` undoes both.
"""
import importlib
import sys

import tensorflow as _tensorflow

from tf1_recsys.compat.provides import resolve

_MISSING = object()
_saved = []  # (module or None for sys.modules, name, previous value or _MISSING), in the order set

_RNN_CELL_MODULES = ("tensorflow._api.v2.compat.v1.nn.rnn_cell", "tensorflow.compat.v1.nn.rnn_cell")
_CELL_NAMES = ("RNNCell", "LayerRNNCell", "BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell", "MultiRNNCell",
               "DropoutWrapper", "ResidualWrapper", "DeviceWrapper", "LSTMStateTuple")
_GRAPH_SEEDED = ("RNNCell", "LayerRNNCell", "BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell")
_TF1_CELLS = dict({name: ("tf1_recsys.compat.rnn_cell.private:" if name in _GRAPH_SEEDED else "tf1_recsys.compat.rnn_cell:")
                   + name for name in _CELL_NAMES},
                  _Linear="tf1_recsys.compat.rnn_cell.linear:Linear",
                  _like_rnncell="tf1_recsys.compat.rnn_cell.base:like_rnncell")

PRIVATE_NAMES = {
    "tensorflow.python.ops.rnn_cell_impl": _TF1_CELLS,
    "tensorflow.python.ops.rnn_cell": _TF1_CELLS,
}
"""What ``install(private_names=True)`` sets: TensorFlow module -> {name: ``"module:attribute"`` of its value}."""

MOVED_PRIVATE_NAMES = {
    "tensorflow.python.ops.control_flow_ops": {"while_loop": "tensorflow.compat.v1:while_loop",
                                               "cond": "tensorflow.compat.v1:cond",
                                               "case": "tensorflow.compat.v1:case",
                                               "Assert": "tensorflow.compat.v1:Assert"},
    "tensorflow.python.ops.array_ops": {"stack": "tensorflow.compat.v1:stack", "unstack": "tensorflow.compat.v1:unstack"},
    "tensorflow.python.util.nest": {"is_sequence": "tensorflow.compat.v1:nest.is_nested"},
}
"""Like ``PRIVATE_NAMES``, but each set only where the TensorFlow module lacks the name (later releases moved it)."""



def _set_attr(module, name, value):
    previous = getattr(module, name, _MISSING)  # what users see, also through TensorFlow's module wrappers
    _saved.append((module, name, previous))
    setattr(module, name, value)


def _set_module(key, value):
    _saved.append((None, key, sys.modules.get(key, _MISSING)))
    sys.modules[key] = value


def _nn_modules():
    from tf1_recsys.compat.install import _compat_v1_modules

    candidates = [getattr(m, "nn", None) for m in _compat_v1_modules()]
    candidates += [sys.modules.get("tensorflow._api.v2.compat.v1.nn"), sys.modules.get("tensorflow.compat.v1.nn")]
    modules = []
    for module in candidates:
        if module is not None and all(module is not m for m in modules):
            modules.append(module)
    return modules


def install_rnn_cell():
    """``tf.compat.v1.nn.rnn_cell`` -> ``tf1_recsys.compat.rnn_cell`` (idempotent)."""
    from tf1_recsys.compat import rnn_cell

    if any(value is rnn_cell for value in _current_values()):
        return
    for module in _nn_modules():
        _set_attr(module, "rnn_cell", rnn_cell)
    if "tensorflow.compat.v1.nn" not in sys.modules:
        # else `import tensorflow.compat.v1.nn.rnn_cell` would create a second `nn` module and put it in tf.compat.v1
        _set_module("tensorflow.compat.v1.nn", _tensorflow.compat.v1.nn)
    for key in _RNN_CELL_MODULES:
        _set_module(key, rnn_cell)


def _current_values():
    return [getattr(m, "rnn_cell", None) for m in _nn_modules()]


def install_private_names():
    """TF 1.x's private names for copied TensorFlow code (see the module docstring); idempotent."""
    from tf1_recsys.compat.rnn_cell.base import like_rnncell

    impl = importlib.import_module("tensorflow.python.ops.rnn_cell_impl")
    if getattr(impl, "_like_rnncell", None) is like_rnncell:
        return
    tables = ((PRIVATE_NAMES, False), (MOVED_PRIVATE_NAMES, True))
    # Every module is imported before any is changed: a module first imported after rnn_cell_impl was
    # patched (rnn_cell star-imports it) would start with our names, and uninstall() would keep them.
    modules = {name: importlib.import_module(name) for table, _ in tables for name in table}
    for table, only_missing in tables:
        for module_name, names in table.items():
            module = modules[module_name]
            for name, source in names.items():
                if not (only_missing and hasattr(module, name)):
                    _set_attr(module, name, resolve(source))


def uninstall():
    """Restores everything ``install_rnn_cell`` and ``install_private_names`` changed, newest first."""
    while _saved:
        module, name, previous = _saved.pop()
        if module is None:
            if previous is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
        elif previous is _MISSING:
            try:
                delattr(module, name)
            except AttributeError:
                pass
        else:
            setattr(module, name, previous)


__all__ = ["install_rnn_cell", "install_private_names", "uninstall", "PRIVATE_NAMES", "MOVED_PRIVATE_NAMES"]
