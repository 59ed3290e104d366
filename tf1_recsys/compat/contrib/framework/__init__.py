"""Keras-free ``tf.contrib.framework``: ``arg_scope`` and the variable helpers TF1 model code used.

Also ``nest`` (``tf.nest``) and ``is_tensor`` (``tf.is_tensor``), which contrib re-exported.
Not provided: the rest (``audio_ops``, ``sort``, ``zero_initializer``, ``deprecated`` ...).
"""
from tf1_recsys._tf import tf as _tf
from tf1_recsys.compat.contrib.framework.arg_scope import (
    add_arg_scope,
    arg_scope,
    arg_scope_func_key,
    arg_scoped_arguments,
    current_arg_scope,
    has_arg_scope,
)
from tf1_recsys.compat.contrib.framework.variables import *  # noqa: F401,F403 - the names of its __all__
from tf1_recsys.compat.contrib.framework.variables import __all__ as _variables_all

nest = _tf.nest
is_tensor = _tf.is_tensor

__all__ = ["arg_scope", "add_arg_scope", "current_arg_scope", "has_arg_scope", "arg_scoped_arguments",
           "arg_scope_func_key", "nest", "is_tensor"] + list(_variables_all)
