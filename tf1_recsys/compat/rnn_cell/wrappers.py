"""``MultiRNNCell``, ``DropoutWrapper``, ``ResidualWrapper``, ``DeviceWrapper``: cells made of cells.

A wrapper has no variable scope of its own: calling it calls the wrapped cell, so the
variables keep the wrapped cell's names (``rnn/lstm_cell/kernel``). ``MultiRNNCell`` opens
``cell_<i>`` for its i-th cell (``rnn/multi_rnn_cell/cell_0/gru_cell/...``).
"""
import hashlib
import numbers

from tf1_recsys._tf import tf
from tf1_recsys.compat.layers.base import Layer
from tf1_recsys.compat.rnn_cell.base import LSTMStateTuple, RNNCell, Trackable, assert_like_rnncell
from tf1_recsys.compat.rnn_cell.serialization import pop_function, put_function


def _children(structure):
    if isinstance(structure, dict):
        return [structure[key] for key in sorted(structure)]
    return list(structure)


def _rebuild(structure, children):
    if isinstance(structure, dict):
        return type(structure)(zip(sorted(structure), children))
    if hasattr(structure, "_fields"):
        return type(structure)(*children)
    return type(structure)(children)


def _map_up_to(shallow, fn, *structures):
    """``fn(index, leaf of shallow, matching part of each structure)`` over ``shallow``'s leaves, numbered in order."""
    counter = [0]

    def visit(shallow_part, parts):
        if not tf.nest.is_nested(shallow_part):
            index = counter[0]
            counter[0] += 1
            return fn(index, *parts)
        columns = list(zip(*[_children(p) for p in parts]))
        return _rebuild(shallow_part, [visit(child, column)
                                       for child, column in zip(_children(shallow_part), columns)])

    return visit(shallow, structures)


def _default_dropout_state_filter(substate):
    """Never drop the memory ``c`` of an LSTM state, nor a TensorArray."""
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)
    if isinstance(substate, tf.TensorArray):
        return False
    return True


def _filtered_structure(visitor, structure):
    """The shallow structure of booleans ``visitor`` selects: where True on a nested part, look inside it."""
    decision = visitor(structure)
    if isinstance(decision, bool):
        if decision and tf.nest.is_nested(structure):
            return _rebuild(structure, [_filtered_structure(visitor, c) for c in _children(structure)])
        return decision
    return _rebuild(structure, [
        _filtered_structure(visitor, child) if (flag and tf.nest.is_nested(child)) else flag
        for flag, child in zip(_children(decision), _children(structure))])


class _CellsWeights(object):
    """Mixin: a composite cell's weights are those of its inner cells (``_inner_cells()``), in order."""

    def _inner_layers(self):
        return [cell for cell in self._inner_cells() if isinstance(cell, Layer)]

    @property
    def trainable_weights(self):
        return [w for cell in self._inner_layers() for w in cell.trainable_weights] if self.trainable else []

    @property
    def non_trainable_weights(self):
        weights = [w for cell in self._inner_layers() for w in cell.non_trainable_weights]
        if not self.trainable:
            return [w for cell in self._inner_layers() for w in cell.trainable_weights] + weights
        return weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    variables = weights


class _Wrapper(_CellsWeights, RNNCell):
    """Base of the single-cell wrappers: no scope of its own, sizes and zero state of the wrapped ``cell``."""

    def __init__(self, cell, *args, **kwargs):
        super(_Wrapper, self).__init__(*args, **kwargs)
        assert_like_rnncell("cell", cell)
        self.cell = cell

    @property
    def wrapped_cell(self):
        return self.cell

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, self.cell.__call__, scope=scope)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        raise NotImplementedError

    def _inner_cells(self):
        return [self.cell]

    def _child_cells(self):
        return {"cell": self.cell} if isinstance(self.cell, Trackable) else {}

    def get_config(self):
        """The layer's config and ``cell``: ``{"class_name": ..., "config": cell.get_config()}``."""
        config = dict(super(_Wrapper, self).get_config())
        config["cell"] = {"class_name": type(self.cell).__name__, "config": self.cell.get_config()}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The wrapper of ``config``, whose ``"cell"`` the caller has replaced by a cell object."""
        config = dict(config)
        cell = config.pop("cell")
        try:
            assert_like_rnncell("cell", cell)
            return cls(cell, **config)
        except TypeError:
            raise ValueError("RNNCellWrapper cannot reconstruct the wrapped cell. Please overwrite the cell in "
                             "the config with a RNNCell instance.")


class DropoutWrapper(_Wrapper):
    """Dropout on the inputs, outputs and states of ``cell``.

    Args:
      cell: the wrapped RNNCell.
      input_keep_prob, output_keep_prob, state_keep_prob: floats in [0, 1] or scalar tensors; a
        constant 1 adds no dropout there. State dropout skips what
        ``dropout_state_filter_visitor`` rejects (by default the ``c`` of an ``LSTMStateTuple``).
      variational_recurrent: one dropout mask per ``dynamic_rnn`` run (Gal & Ghahramani, 2016),
        drawn when the wrapper is built; needs ``dtype`` and, with input dropout, ``input_size``.
      input_size: (nested) depth(s) of the inputs, for variational input dropout.
      dtype: dtype of the inputs, states and outputs (variational dropout only).
      seed: graph-level-independent seed; each dropped tensor gets its own seed derived from it.
      dropout_state_filter_visitor: callable ``substate -> bool`` or a depth-1 structure of bools.
    """

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None, **kwargs):
        super(DropoutWrapper, self).__init__(cell, dtype=dtype, **kwargs)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable")
        self._dropout_state_filter = dropout_state_filter_visitor or _default_dropout_state_filter
        with tf.name_scope("DropoutWrapperInit"):
            for prob, attr in [(input_keep_prob, "input_keep_prob"), (state_keep_prob, "state_keep_prob"),
                               (output_keep_prob, "output_keep_prob")]:
                tensor_prob = tf.convert_to_tensor(prob)
                const_prob = tf.get_static_value(tensor_prob)
                if const_prob is not None:
                    if const_prob < 0 or const_prob > 1:
                        raise ValueError("Parameter %s must be between 0 and 1: %d" % (attr, const_prob))
                    setattr(self, "_" + attr, float(const_prob))
                else:
                    setattr(self, "_" + attr, tensor_prob)
        self._variational_recurrent = variational_recurrent
        self._input_size = input_size
        self._seed = seed
        self._recurrent_input_noise = None
        self._recurrent_state_noise = None
        self._recurrent_output_noise = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")

            def noise(kind):
                def draw(index, size):
                    shape = [1] + tf.TensorShape(size).as_list()
                    return tf.random_uniform(tf.constant(shape), seed=self._gen_seed(kind, index), dtype=dtype)
                return draw

            if not isinstance(self._input_keep_prob, numbers.Real) or self._input_keep_prob < 1.0:
                if input_size is None:
                    raise ValueError("When variational_recurrent=True and input_keep_prob < 1.0 or is unknown, "
                                     "input_size must be provided")
                self._recurrent_input_noise = _map_up_to(input_size, noise("input"), input_size)
            self._recurrent_state_noise = _map_up_to(cell.state_size, noise("state"), cell.state_size)
            self._recurrent_output_noise = _map_up_to(cell.output_size, noise("output"), cell.output_size)

    def _gen_seed(self, salt_prefix, index):
        """The seed of the ``index``-th dropped tensor of kind ``salt_prefix`` (None without ``seed``)."""
        if self._seed is None:
            return None
        digest = hashlib.md5((str(self._seed) + "%s_%d" % (salt_prefix, index)).encode("utf-8")).hexdigest()
        return int(digest[:8], 16) & 0x7FFFFFFF

    def build(self, inputs_shape):
        self.cell.build(inputs_shape)
        self.built = True

    def _dropout(self, values, salt_prefix, recurrent_noise, keep_prob, shallow=None):
        shallow = values if shallow is None else shallow

        if not self._variational_recurrent:
            def drop(index, do_dropout, value):
                if not isinstance(do_dropout, bool) or do_dropout:
                    return tf.nn.dropout(value, rate=1.0 - keep_prob, seed=self._gen_seed(salt_prefix, index))
                return value
            return _map_up_to(shallow, drop, shallow, values)

        def drop_variational(index, do_dropout, value, noise):
            if not isinstance(do_dropout, bool) or do_dropout:
                kept = tf.floor(keep_prob + noise)
                result = tf.divide(value, keep_prob) * kept
                result.set_shape(value.shape)
                return result
            return value
        return _map_up_to(shallow, drop_variational, shallow, values, recurrent_noise)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        def active(p):
            return not isinstance(p, float) or p < 1

        if active(self._input_keep_prob):
            inputs = self._dropout(inputs, "input", self._recurrent_input_noise, self._input_keep_prob)
        output, new_state = cell_call_fn(inputs, state, **kwargs)
        if active(self._state_keep_prob):
            shallow = _filtered_structure(self._dropout_state_filter, new_state)
            new_state = self._dropout(new_state, "state", self._recurrent_state_noise, self._state_keep_prob,
                                      shallow)
        if active(self._output_keep_prob):
            output = self._dropout(output, "output", self._recurrent_output_noise, self._output_keep_prob)
        return output, new_state

    def get_config(self):
        config = dict(super(DropoutWrapper, self).get_config())
        config.update(input_keep_prob=self._input_keep_prob, output_keep_prob=self._output_keep_prob,
                      state_keep_prob=self._state_keep_prob, variational_recurrent=self._variational_recurrent,
                      input_size=self._input_size, seed=self._seed)
        if self._dropout_state_filter is not _default_dropout_state_filter:
            put_function(config, "dropout_fn", self._dropout_state_filter)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "dropout_fn" in config:
            config = dict(config)
            config["dropout_state_filter_visitor"] = pop_function(config, "dropout_fn", custom_objects)
        return super(DropoutWrapper, cls).from_config(config, custom_objects=custom_objects)


class ResidualWrapper(_Wrapper):
    """``output = residual_fn(inputs, cell output)`` (default: their sum, structures and shapes must match)."""

    def __init__(self, cell, residual_fn=None, **kwargs):
        super(ResidualWrapper, self).__init__(cell, **kwargs)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        outputs, new_state = cell_call_fn(inputs, state, **kwargs)

        def add_inputs(inputs, outputs):
            tf.nest.assert_same_structure(inputs, outputs)
            tf.nest.map_structure(lambda i, o: i.shape.assert_is_compatible_with(o.shape), inputs, outputs)
            return tf.nest.map_structure(lambda i, o: i + o, inputs, outputs)

        return (self._residual_fn or add_inputs)(inputs, outputs), new_state

    def get_config(self):
        config = dict(super(ResidualWrapper, self).get_config())
        if self._residual_fn is not None:
            put_function(config, "residual_fn", self._residual_fn)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "residual_fn" in config:
            config = dict(config)
            config["residual_fn"] = pop_function(config, "residual_fn", custom_objects)
        return super(ResidualWrapper, cls).from_config(config, custom_objects=custom_objects)


class DeviceWrapper(_Wrapper):
    """Runs ``cell`` (its step and its zero state) under ``tf.device(device)``."""

    def __init__(self, cell, device, **kwargs):
        super(DeviceWrapper, self).__init__(cell, **kwargs)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            with tf.device(self._device):
                return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn, **kwargs):
        with tf.device(self._device):
            return cell_call_fn(inputs, state, **kwargs)

    def get_config(self):
        config = dict(super(DeviceWrapper, self).get_config())
        config["device"] = self._device
        return config


class MultiRNNCell(_CellsWeights, RNNCell):
    """Cells applied in sequence, the i-th in ``variable_scope("cell_<i>")``.

    Args:
      cells: a non-empty list of RNNCells.
      state_is_tuple: states are a tuple with one state per cell (default), or, when False,
        the cells' (non-nested) states concatenated along axis 1.
    """

    def __init__(self, cells, state_is_tuple=True):
        super(MultiRNNCell, self).__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not tf.nest.is_nested(cells):
            raise TypeError("cells must be a list or tuple, but saw: %s." % cells)
        if len(set(id(cell) for cell in cells)) < len(cells):
            tf.logging.warning("At least two cells provided to MultiRNNCell are the same object and will share "
                               "weights.")
        self._cells = cells
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(tf.nest.is_nested(c.state_size) for c in cells):
            raise ValueError("Some cells return tuples of states, but the flag state_is_tuple is not set.  "
                             "State sizes are: %s" % str([c.state_size for c in cells]))

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        with tf.name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return super(MultiRNNCell, self).zero_state(batch_size, dtype)

    def _inner_cells(self):
        return self._cells

    def _child_cells(self):
        return {"cell-%d" % i: cell for i, cell in enumerate(self._cells)
                if isinstance(cell, Trackable)}

    def call(self, inputs, state):
        position = 0
        current = inputs
        new_states = []
        for i, cell in enumerate(self._cells):
            with tf.variable_scope("cell_%d" % i):
                if self._state_is_tuple:
                    if not tf.nest.is_nested(state):
                        raise ValueError("Expected state to be a tuple of length %d, but received: %s"
                                         % (len(self.state_size), state))
                    cell_state = state[i]
                else:
                    cell_state = tf.slice(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                current, new_state = cell(current, cell_state)
                new_states.append(new_state)
        return current, (tuple(new_states) if self._state_is_tuple else tf.concat(new_states, 1))


__all__ = ["MultiRNNCell", "DropoutWrapper", "ResidualWrapper", "DeviceWrapper"]
