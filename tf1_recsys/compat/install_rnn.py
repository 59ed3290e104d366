"""The ``rnn_cell`` part of ``install()``: ``tf.compat.v1.nn.rnn_cell`` and, opted in, TF 1.x's private names.

``install_rnn_cell()`` points ``tf.compat.v1.nn.rnn_cell`` (the attribute of every
``compat.v1.nn`` module object and the ``tensorflow[._api.v2].compat.v1.nn.rnn_cell`` entries
of ``sys.modules``) at ``tf1_recsys.compat.rnn_cell``.

``install_private_names()`` (``install(private_names=True)``) serves code copied from
TensorFlow 1.x's own sources, which imports private modules: it puts the cells, ``_Linear``
and ``_like_rnncell`` into ``tensorflow.python.ops.rnn_cell_impl`` and ``rnn_cell``, and the
names later TensorFlow moved elsewhere back where TF 1.x had them (``control_flow_ops.while_loop``
/ ``cond`` / ``case`` / ``Assert``, ``array_ops.stack`` / ``unstack``, ``nest.is_sequence``),
each only where missing. ``uninstall()`` undoes both.
"""
import importlib
import sys

import tensorflow as _tensorflow

_MISSING = object()
_saved = []  # (module or None for sys.modules, name, previous value or _MISSING), in the order set

_RNN_CELL_MODULES = ("tensorflow._api.v2.compat.v1.nn.rnn_cell", "tensorflow.compat.v1.nn.rnn_cell")
_CELL_NAMES = ("RNNCell", "LayerRNNCell", "BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell", "MultiRNNCell",
               "DropoutWrapper", "ResidualWrapper", "DeviceWrapper", "LSTMStateTuple")


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
    from tf1_recsys.compat import rnn_cell
    from tf1_recsys.compat.rnn_cell.base import like_rnncell
    from tf1_recsys.compat.rnn_cell.linear import Linear

    tf = _tensorflow.compat.v1
    impl = importlib.import_module("tensorflow.python.ops.rnn_cell_impl")
    if getattr(impl, "_like_rnncell", None) is like_rnncell:
        return
    cells = importlib.import_module("tensorflow.python.ops.rnn_cell")
    for module in (impl, cells):
        for name in _CELL_NAMES:
            _set_attr(module, name, getattr(rnn_cell, name))
        _set_attr(module, "_Linear", Linear)
        _set_attr(module, "_like_rnncell", like_rnncell)
    moved = {
        "tensorflow.python.ops.control_flow_ops": {"while_loop": tf.while_loop, "cond": tf.cond, "case": tf.case,
                                                   "Assert": tf.Assert},
        "tensorflow.python.ops.array_ops": {"stack": tf.stack, "unstack": tf.unstack},
        "tensorflow.python.util.nest": {"is_sequence": tf.nest.is_nested},
    }
    for module_name, names in moved.items():
        module = importlib.import_module(module_name)
        for name, value in names.items():
            if not hasattr(module, name):
                _set_attr(module, name, value)


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


__all__ = ["install_rnn_cell", "install_private_names", "uninstall"]
