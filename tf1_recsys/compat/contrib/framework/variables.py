"""``tf.contrib.framework`` variable helpers: creating model variables, finding variables, restoring them.

``variable`` / ``model_variable`` get or create a variable with ``tf.get_variable`` (so they honour
``variable_scope`` and ``reuse``) and honour ``arg_scope``; model variables also go to
``GraphKeys.MODEL_VARIABLES``. The finders filter a collection by scope (a name prefix or regular
expression matched at the start, as ``tf.get_collection`` does) and by suffix.
``assign_from_checkpoint(_fn)`` / ``assign_from_values(_fn)`` feed values through placeholders so
large values stay out of the graph. The global-step helpers and the checkpoint readers are
TensorFlow's own (``tf.compat.v1.train``), under the names ``tf.contrib.framework`` gave them.
"""
import functools
import logging
import re

from tf1_recsys._tf import tf
from tf1_recsys.compat.contrib.framework.arg_scope import add_arg_scope

_log = logging.getLogger(__name__)

# TensorFlow's own, under contrib's names.
assert_global_step = tf.train.assert_global_step
create_global_step = tf.train.create_global_step
get_global_step = tf.train.get_global_step
get_or_create_global_step = tf.train.get_or_create_global_step
init_from_checkpoint = tf.train.init_from_checkpoint
list_variables = tf.train.list_variables
load_checkpoint = tf.train.load_checkpoint
load_variable = tf.train.load_variable


def assert_or_get_global_step(graph=None, global_step_tensor=None):
    """``global_step_tensor`` checked with ``assert_global_step``, or the graph's global step (None if none)."""
    if global_step_tensor is None:
        return get_global_step(graph)
    assert_global_step(global_step_tensor)
    return global_step_tensor


def get_name_scope():
    """The current name scope, without a trailing '/' (``''`` at the top)."""
    return tf.get_default_graph().get_name_scope()


def get_variable_full_name(var):
    """The name ``var`` has in a checkpoint: its partitioned variable's name for a partition, else its op name."""
    info = getattr(var, "_save_slice_info", None)
    return info.full_name if info else var.op.name


def local_variable(initial_value, validate_shape=True, name=None, use_resource=None):
    """A non-trainable variable in ``GraphKeys.LOCAL_VARIABLES`` only."""
    return tf.Variable(initial_value, trainable=False, collections=[tf.GraphKeys.LOCAL_VARIABLES],
                       validate_shape=validate_shape, name=name, use_resource=use_resource)


def global_variable(initial_value, validate_shape=True, name=None, use_resource=None):
    """A non-trainable variable in ``GraphKeys.GLOBAL_VARIABLES`` only."""
    return tf.Variable(initial_value, trainable=False, collections=[tf.GraphKeys.GLOBAL_VARIABLES],
                       validate_shape=validate_shape, name=name, use_resource=use_resource)


@add_arg_scope
def variable(name, shape=None, dtype=tf.float32, initializer=None, regularizer=None, trainable=True,
             collections=None, caching_device=None, device=None, partitioner=None, custom_getter=None,
             use_resource=None, synchronization=tf.VariableSynchronization.AUTO,
             aggregation=tf.VariableAggregation.NONE):
    """Gets or creates variable ``name`` with ``tf.get_variable``, placed on ``device``.

    ``collections`` default to ``[GraphKeys.GLOBAL_VARIABLES]``. A ``custom_getter`` is called as
    ``custom_getter(getter, name, ..., reuse=<the current scope's reuse>)``.
    """
    collections = list(dict.fromkeys(collections or [tf.GraphKeys.GLOBAL_VARIABLES]))
    getter = functools.partial(tf.get_variable, collections=collections, caching_device=caching_device,
                               partitioner=partitioner, use_resource=use_resource,
                               synchronization=synchronization, aggregation=aggregation)
    if custom_getter is not None:
        getter = functools.partial(custom_getter, getter, reuse=tf.get_variable_scope().reuse)
    with tf.device(device or ""):
        return getter(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                      trainable=trainable)


@add_arg_scope
def model_variable(name, shape=None, dtype=tf.float32, initializer=None, regularizer=None, trainable=True,
                   collections=None, caching_device=None, device=None, partitioner=None, custom_getter=None,
                   use_resource=None, synchronization=tf.VariableSynchronization.AUTO,
                   aggregation=tf.VariableAggregation.NONE):
    """``variable`` that is also in ``GraphKeys.GLOBAL_VARIABLES`` and ``GraphKeys.MODEL_VARIABLES``."""
    collections = list(collections or []) + [tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.MODEL_VARIABLES]
    return variable(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                    trainable=trainable, collections=collections, caching_device=caching_device, device=device,
                    partitioner=partitioner, custom_getter=custom_getter, use_resource=use_resource,
                    synchronization=synchronization, aggregation=aggregation)


def add_model_variable(var):
    """Adds ``var`` to ``GraphKeys.MODEL_VARIABLES`` unless it is there."""
    if var not in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES):
        tf.add_to_collection(tf.GraphKeys.MODEL_VARIABLES, var)


def get_variables(scope=None, suffix=None, collection=tf.GraphKeys.GLOBAL_VARIABLES):
    """The variables of ``collection`` whose names start with ``scope`` (a string, regular expression
    or ``VariableScope``) and contain ``suffix`` followed by ':' (e.g. ``'weights'``)."""
    if isinstance(scope, tf.VariableScope):
        scope = scope.name
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        scope = (scope or "") + ".*" + suffix
    return tf.get_collection(collection, scope)


def get_model_variables(scope=None, suffix=None):
    """``get_variables`` of ``GraphKeys.MODEL_VARIABLES``."""
    return get_variables(scope, suffix, tf.GraphKeys.MODEL_VARIABLES)


def get_local_variables(scope=None, suffix=None):
    """``get_variables`` of ``GraphKeys.LOCAL_VARIABLES``."""
    return get_variables(scope, suffix, tf.GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
    """``get_variables`` of ``GraphKeys.TRAINABLE_VARIABLES``."""
    return get_variables(scope, suffix, tf.GraphKeys.TRAINABLE_VARIABLES)


def _scope_list(fn, arg, value):
    if value is not None and not isinstance(value, (list, tuple)):
        raise TypeError("%s: `%s` must be a list or tuple of scope names; got %s."
                        % (fn, arg, type(value).__name__))
    return value


def get_variables_to_restore(include=None, exclude=None):
    """The global variables under any scope of ``include`` (all when None) and under none of ``exclude``.

    Raises:
      TypeError: ``include`` or ``exclude`` is given but is not a list or tuple.
    """
    include = _scope_list("get_variables_to_restore", "include", include)
    exclude = _scope_list("get_variables_to_restore", "exclude", exclude)
    if include is None:
        candidates = get_variables()
    else:
        candidates = [v for scope in include for v in get_variables(scope)]
    excluded = {id(v) for scope in exclude or () for v in get_variables(scope)}
    return [v for v in candidates if id(v) not in excluded]


def get_variables_by_suffix(suffix, scope=None):
    """The global variables whose names end with ``suffix`` (under ``scope``)."""
    return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name, scope=None):
    """The global variables whose last name component is ``given_name`` (under ``scope``)."""
    return get_variables(scope=scope, suffix="/" + given_name + ":|^" + given_name + ":")


def get_unique_variable(var_op_name):
    """The global variable whose op name is exactly ``var_op_name``; ValueError when there is none."""
    candidates = get_variables(scope=var_op_name)
    if not candidates:
        raise ValueError("Couldn't find variable %s" % var_op_name)
    for candidate in candidates:
        if candidate.op.name == var_op_name:
            return candidate
    raise ValueError("Variable %s does not uniquely identify a variable" % var_op_name)


def filter_variables(var_list, include_patterns=None, exclude_patterns=None, reg_search=True):
    """The variables of ``var_list`` whose names match any of ``include_patterns`` (all when None) and
    none of ``exclude_patterns``; patterns are regular expressions, searched anywhere in the name
    with ``reg_search=True``, matched at its start with False."""
    match = re.search if reg_search else re.match

    def any_match(patterns, name):
        return any(match(p, name) for p in patterns)

    return [v for v in var_list
            if (include_patterns is None or any_match(include_patterns, v.name))
            and not (exclude_patterns and any_match(exclude_patterns, v.name))]


def _placeholder_assign(var, value, feed_dict, assign_ops):
    placeholder = tf.placeholder(var.dtype.base_dtype, var.get_shape(), name="placeholder/" + var.op.name)
    assign_ops.append(var.assign(placeholder))
    feed_dict[placeholder] = value


def _by_variable_name(fn, var_name):
    found = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, var_name)
    if not found:
        raise ValueError("%s: variable %s wasn't found" % (fn, var_name))
    exact = [v for v in found if v.op.name == var_name]
    if len(found) > 1 and not exact:
        raise ValueError("%s: variable %s doesn't uniquely identify a variable" % (fn, var_name))
    return exact[0] if exact else found[0]


def assign_from_values(var_names_to_values):
    """``(assign_op, feed_dict)`` setting each named global variable to its numpy value."""
    feed_dict, assign_ops = {}, []
    for var_name, value in var_names_to_values.items():
        var = _by_variable_name("assign_from_values", var_name)
        _placeholder_assign(var, value.reshape(var.get_shape()), feed_dict, assign_ops)
    return tf.group(*assign_ops), feed_dict


def assign_from_values_fn(var_names_to_values):
    """A function ``fn(session)`` that runs ``assign_from_values``'s assignment."""
    assign_op, feed_dict = assign_from_values(var_names_to_values)

    def callback(session):
        return session.run(assign_op, feed_dict)

    return callback


def assign_from_checkpoint(model_path, var_list, ignore_missing_vars=False):
    """``(assign_op, feed_dict)`` that set ``var_list`` to the checkpoint's values.

    Args:
      model_path: a checkpoint prefix (e.g. ``tf.train.latest_checkpoint(dir)``).
      var_list: a list of variables (looked up by ``get_variable_full_name``, so the partitions of
        a partitioned variable each get their slice) or a dict {name in checkpoint: variable or
        list of variables}.
      ignore_missing_vars: skip (with a warning) names the checkpoint lacks instead of raising.

    Raises:
      ValueError: the checkpoint lacks a name (without ``ignore_missing_vars``) or a shape differs.
    """
    reader = tf.train.load_checkpoint(model_path)
    if isinstance(var_list, dict):
        grouped = {name: list(v) if isinstance(v, (list, tuple)) else [v] for name, v in var_list.items()}
    else:
        grouped = {}
        for var in var_list:
            grouped.setdefault(get_variable_full_name(var), []).append(var)
    feed_dict, assign_ops = {}, []
    for name, variables in grouped.items():
        if not reader.has_tensor(name):
            if ignore_missing_vars:
                _log.warning("Variable %s missing in checkpoint %s", name, model_path)
                continue
            raise ValueError("Checkpoint is missing variable [%s]" % name)
        value = reader.get_tensor(name)
        for var in variables:
            info = getattr(var, "_save_slice_info", None)
            if info:
                part = value[tuple(slice(o, o + n) for o, n in zip(info.var_offset, info.var_shape))]
            else:
                if var.get_shape() != value.shape:
                    raise ValueError("Total size of new array must be unchanged for %s lh_shape: [%s], rh_shape: [%s]"
                                     % (name, value.shape, var.get_shape()))
                part = value
            _placeholder_assign(var, part, feed_dict, assign_ops)
    return tf.group(*assign_ops), feed_dict


def assign_from_checkpoint_fn(model_path, var_list, ignore_missing_vars=False, reshape_variables=False):
    """A function ``fn(session)`` restoring ``var_list`` from ``model_path`` with a ``tf.train.Saver``.

    With ``ignore_missing_vars`` names the checkpoint lacks are skipped with a warning (and
    ``fn`` is None when nothing is left); ``reshape_variables`` lets a variable take a value of
    another shape with as many elements.
    """
    if ignore_missing_vars:
        reader = tf.train.load_checkpoint(model_path)
        named = var_list if isinstance(var_list, dict) else {get_variable_full_name(v): v for v in var_list}
        var_list = {}
        for name, var in named.items():
            if reader.has_tensor(name):
                var_list[name] = var
            else:
                _log.warning("Variable %s missing in checkpoint %s", name, model_path)
        if not var_list:
            _log.warning("No variables to restore")
            return None
    saver = tf.train.Saver(var_list, reshape=reshape_variables)

    def callback(session):
        saver.restore(session, model_path)

    return callback


class VariableDeviceChooser(object):
    """A device function placing variables round-robin on ``num_tasks`` tasks of ``job_name`` (with
    ``num_tasks=0`` on the local ``device_type:device_index``); for ``tf.device`` / ``arg_scope(device=...)``."""

    def __init__(self, num_tasks=0, job_name="ps", device_type="CPU", device_index=0, replica=None):
        self._job_name = job_name
        self._device_type = device_type
        self._device_index = device_index
        self._replica = replica
        self._num_tasks = num_tasks
        self._next_task_id = 0

    def __call__(self, op):
        spec = tf.DeviceSpec(device_type=self._device_type, device_index=self._device_index,
                             replica=self._replica)
        if self._num_tasks > 0:
            spec = spec.replace(job=self._job_name, task=self._next_task_id)
            self._next_task_id = (self._next_task_id + 1) % self._num_tasks
        return spec.to_string()


__all__ = [
    "add_model_variable", "assert_global_step", "assert_or_get_global_step", "assign_from_checkpoint",
    "assign_from_checkpoint_fn", "assign_from_values", "assign_from_values_fn", "create_global_step",
    "filter_variables", "get_global_step", "get_or_create_global_step", "get_local_variables",
    "get_model_variables", "get_name_scope", "get_trainable_variables", "get_unique_variable",
    "get_variable_full_name", "get_variables_by_name", "get_variables_by_suffix", "get_variables_to_restore",
    "get_variables", "global_variable", "init_from_checkpoint", "list_variables", "load_checkpoint",
    "load_variable", "local_variable", "model_variable", "variable", "VariableDeviceChooser",
]
