"""``RNNCell``, ``LayerRNNCell`` and ``LSTMStateTuple``: the base of ``tf.compat.v1.nn.rnn_cell``.

A cell is a ``tf1_recsys.compat.layers.Layer`` called as ``cell(inputs, state)`` and returning
``(output, new_state)``. TensorFlow's ``dynamic_rnn``, ``static_rnn``, ``raw_rnn`` and the
bidirectional variants recognise a cell by duck typing (``output_size``, ``state_size``,
``zero_state`` or ``get_initial_state``, callable), so they take these cells unchanged.

Variables and scopes are those of TensorFlow 1.x's cells: a cell called inside
``variable_scope("rnn")`` creates ``rnn/<cell name>/...`` (``rnn/gru_cell/gates/kernel``); a
``scope`` argument given to an ``RNNCell`` replaces the cell's own scope, one given to a
``LayerRNNCell`` is opened inside the current scope.
"""
import collections

import tensorflow as _tensorflow_v2

from tf1_recsys._tf import tf
from tf1_recsys.compat.layers.base import Layer


def check_supported_dtype(dtype):
    """Cells compute sigmoid/tanh: only floating and complex dtypes (None: not known yet) are accepted."""
    if dtype is None:
        return
    dtype = tf.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_complex):
        raise ValueError("RNN cell only supports floating point inputs, but saw dtype: %s" % dtype)


def check_input_dtypes(structure):
    """``check_supported_dtype`` for every tensor in the (nested) inputs or state."""
    for t in tf.nest.flatten(structure):
        check_supported_dtype(t.dtype)


def _shape_part(value, name):
    """``(dynamic int32 vector or None, static list or None)`` for a batch size or state size."""
    if tf.is_tensor(value):
        static = tf.get_static_value(value)
        if value.shape.rank == 0:
            value = tf.expand_dims(value, 0)
            static = None if static is None else [int(static)]
        elif value.shape.rank != 1:
            raise ValueError("%s tensor must be either a scalar or vector, but saw tensor: %s" % (name, value))
        return value, (None if static is None else list(static))
    shape = tf.TensorShape(value)
    static = shape.as_list() if shape.rank is not None else None
    dynamic = tf.constant(shape.as_list(), dtype=tf.int32) if shape.is_fully_defined() else None
    return dynamic, static


def concat_shapes(prefix, suffix, static=False):
    """``prefix`` (a batch size) followed by ``suffix`` (a state size): int, TensorShape or int tensor.

    Returns an int32 vector tensor, or with ``static=True`` a list with None for unknown sizes
    (None when the rank is unknown).
    """
    p, p_static = _shape_part(prefix, "prefix")
    s, s_static = _shape_part(suffix, "suffix")
    if static:
        shape = tf.TensorShape(p_static).concatenate(s_static)
        return shape.as_list() if shape.rank is not None else None
    if p is None or s is None:
        raise ValueError("Provided a prefix or suffix of None: %s and %s" % (prefix, suffix))
    return tf.concat((p, s), 0)


def zero_state_tensors(state_size, batch_size, dtype):
    """Zeros ``[batch_size] + s`` for every size ``s`` in the (nested) ``state_size``."""
    def zeros(size):
        value = tf.zeros(concat_shapes(batch_size, size), dtype=dtype)
        value.set_shape(concat_shapes(batch_size, size, static=True))
        return value

    return tf.nest.map_structure(zeros, state_size)


def _has(obj, name):
    try:
        getattr(obj, name)
    except AttributeError:
        return False
    return True


def like_rnncell(cell):
    """Whether ``cell`` behaves like an RNNCell (TensorFlow 1.x's ``rnn_cell_impl._like_rnncell``)."""
    return (_has(cell, "output_size") and _has(cell, "state_size")
            and (_has(cell, "get_initial_state") or _has(cell, "zero_state")) and callable(cell))


def assert_like_rnncell(cell_name, cell):
    """TypeError naming ``cell_name`` and what is missing when ``cell`` does not behave like an RNNCell."""
    missing = [message for ok, message in [
        (_has(cell, "output_size"), "'output_size' property is missing"),
        (_has(cell, "state_size"), "'state_size' property is missing"),
        (_has(cell, "get_initial_state") or _has(cell, "zero_state"),
         "either 'zero_state' or 'get_initial_state' method is required"),
        (callable(cell), "is not callable"),
    ] if not ok]
    if missing:
        raise TypeError("The argument {!r} ({}) is not an RNNCell: {}.".format(cell_name, cell, ", ".join(missing)))


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """The state of an LSTM cell with ``state_is_tuple=True``: ``(c, h)``, each ``[batch, units]``."""
    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError("Inconsistent internal state: %s vs %s" % (str(c.dtype), str(h.dtype)))
        return c.dtype


Trackable = _tensorflow_v2.__internal__.tracking.Trackable
"""What ``tf.train.Checkpoint`` and SavedModel save: a cell is one, as TensorFlow's cells are."""


class RNNCell(Layer, Trackable):
    """The base class of recurrent cells, as user code subclasses it.

    A subclass defines ``state_size`` and ``output_size`` (an int, a ``TensorShape`` or a
    nested tuple of them) and ``call(inputs, state)`` returning ``(output, new_state)``:
    ``inputs`` ``[batch, input_size]``, ``state`` and ``new_state`` ``[batch] + state_size``
    (nested like ``state_size``), ``output`` ``[batch] + output_size``. ``call`` may create
    variables with ``tf.get_variable`` (they are tracked in ``trainable_weights``) or
    ``build(input_shape)`` with ``add_weight`` / ``add_variable``.
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        super(RNNCell, self).__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._is_tf_rnn_cell = True

    def __call__(self, inputs, state, scope=None):
        """``(output, new_state)`` for one step; ``scope`` (first call only) replaces the cell's scope."""
        if scope is not None:
            with tf.variable_scope(scope, custom_getter=self._track_variable) as scope:
                return super(RNNCell, self).__call__(inputs, state, scope=scope)
        with tf.variable_scope(tf.get_variable_scope(), custom_getter=self._track_variable,
                               auxiliary_name_scope=False):
            return super(RNNCell, self).__call__(inputs, state)

    def _track_variable(self, getter, *args, **kwargs):
        """Custom getter: variables that ``call`` gets with ``tf.get_variable`` become the cell's weights."""
        variable = getter(*args, **kwargs)
        parts = list(variable) if type(variable).__name__ == "PartitionedVariable" else [variable]
        trainable_ids = {id(v) for v in tf.trainable_variables()}
        own = self._trainable_weights if id(parts[0]) in trainable_ids else self._non_trainable_weights
        if all(variable is not v for v in own):
            own.append(variable)
        return variable

    def _trackable_children(self, save_type="checkpoint", cache=None, **kwargs):
        """What ``tf.train.Checkpoint`` and SavedModel save of the cell, as for TensorFlow's cells.

        The cell's own weights by their name in its scope (``kernel``, ``projection/kernel``) and
        the cells it wraps (``cell``; ``cell-<i>`` in a ``MultiRNNCell``): ``_child_cells()``.
        """
        children = dict(super(RNNCell, self)._trackable_children(save_type, cache=cache, **kwargs))
        cells = self._child_cells()
        inner = {id(v) for cell in cells.values() for v in getattr(cell, "weights", ())}
        scope = getattr(self, "_scope", None)
        prefix = scope.name + "/" if scope is not None else None
        for variable in self._trainable_weights + self._non_trainable_weights:
            if id(variable) not in inner:  # a wrapped cell's weight is saved under that cell
                name = variable.op.name
                children[name[len(prefix):] if prefix and name.startswith(prefix) else name] = variable
        children.update(cells)
        return children

    def _lookup_dependency(self, name, cached_dependencies=None):
        """The child ``name`` of ``_trackable_children`` (restoring a checkpoint into the cell)."""
        if cached_dependencies is not None and name in cached_dependencies:
            return cached_dependencies[name]
        return self._trackable_children().get(name)

    def _child_cells(self):
        """``{name: cell}`` of the trackable cells this one wraps; none for a plain cell."""
        return {}

    @property
    def state_size(self):
        """Size(s) of the state: an int, a TensorShape or a nested tuple of them."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self):
        """Size of the output: an int or a TensorShape."""
        raise NotImplementedError("Abstract method")

    def build(self, input_shape):
        """Does nothing: a plain RNNCell may create its variables in ``call``."""
        self.built = True

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        """``zero_state``; ``inputs`` (``[batch, ...]``) gives the batch size and dtype when passed."""
        if inputs is not None:
            inputs = tf.convert_to_tensor(inputs, name="inputs")
            if batch_size is not None:
                static_batch = tf.get_static_value(batch_size) if tf.is_tensor(batch_size) else batch_size
                if tf.compat.dimension_value(inputs.shape[0]) != static_batch:
                    raise ValueError(
                        "batch size from input tensor is different from the input param. Input tensor "
                        "batch: {}, batch_size: {}".format(tf.compat.dimension_value(inputs.shape[0]), batch_size))
            if dtype is not None and inputs.dtype != dtype:
                raise ValueError("dtype from input tensor is different from the input param. Input tensor "
                                 "dtype: {}, dtype: {}".format(inputs.dtype, dtype))
            batch_size = tf.compat.dimension_value(inputs.shape[0]) or tf.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError("batch_size and dtype cannot be None while constructing initial state: "
                             "batch_size={}, dtype={}".format(batch_size, dtype))
        return self.zero_state(batch_size, dtype)

    def zero_state(self, batch_size, dtype):
        """Zeros shaped ``[batch_size] + s`` for each ``s`` in ``state_size`` (nested like it)."""
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return zero_state_tensors(self.state_size, batch_size, dtype)

    def get_config(self):
        """The layer's ``name``, ``trainable`` and ``dtype`` (None until known), as TensorFlow's cells report."""
        config = dict(super(RNNCell, self).get_config())
        config.setdefault("dtype", None)
        return config


class LayerRNNCell(RNNCell):
    """An RNNCell that creates its variables in ``build`` (``add_weight``), never in ``call``.

    A ``scope`` argument is opened inside the current variable scope, as for any layer.
    """

    def __call__(self, inputs, state, scope=None, *args, **kwargs):
        return Layer.__call__(self, inputs, state, *args, scope=scope, **kwargs)


__all__ = ["RNNCell", "LayerRNNCell", "Trackable", "LSTMStateTuple", "assert_like_rnncell", "like_rnncell",
           "zero_state_tensors", "concat_shapes", "check_supported_dtype", "check_input_dtypes"]
