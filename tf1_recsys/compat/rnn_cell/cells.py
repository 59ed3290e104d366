"""``BasicRNNCell``, ``GRUCell``, ``BasicLSTMCell``, ``LSTMCell``: TensorFlow 1.x's cells on ``get_variable``.

Same constructor arguments (positional order too), variable names and arithmetic as
``tf.compat.v1.nn.rnn_cell``, so checkpoints move both ways and outputs match to rounding.
All take ``inputs`` ``[batch, input_size]`` (input_size known when the graph is built).
"""
from tf1_recsys._tf import tf
from tf1_recsys.compat.layers.activations import get_activation
from tf1_recsys.compat.layers.input_spec import InputSpec
from tf1_recsys.compat.rnn_cell.base import LayerRNNCell, LSTMStateTuple, check_input_dtypes, check_supported_dtype

_WEIGHTS = "kernel"
_BIAS = "bias"


def _activation(activation, cell_name):
    """``None`` -> tanh; a callable or a Keras-style name ('relu', ...) -> that function."""
    return get_activation(activation, cell_name) if activation else tf.tanh


def _activation_name(activation):
    """How ``get_config()`` names an activation, as TensorFlow's cells do: the function's name ('tanh')."""
    return getattr(activation, "__name__", activation)


def _input_depth(cell, inputs_shape):
    depth = tf.compat.dimension_value(tf.TensorShape(inputs_shape)[-1])
    if depth is None:
        raise ValueError("Expected inputs.shape[-1] to be known, saw shape: %s" % str(tf.TensorShape(inputs_shape)))
    check_supported_dtype(cell.dtype)
    return depth


_CONFIG_INITIALIZERS = (tf.constant_initializer, tf.zeros_initializer, tf.ones_initializer,
                        tf.random_uniform_initializer, tf.random_normal_initializer, tf.truncated_normal_initializer,
                        tf.glorot_uniform_initializer, tf.glorot_normal_initializer, tf.orthogonal_initializer,
                        tf.variance_scaling_initializer, tf.uniform_unit_scaling_initializer)


def _initializer(value):
    """An initializer object, the Keras-style name of one ('zeros', 'glorot_uniform', ...) or its config."""
    if isinstance(value, dict):  # {"class_name": "Constant", "config": {...}}: from get_config()
        classes = {cls.__name__: cls for cls in _CONFIG_INITIALIZERS}
        if value.get("class_name") not in classes:
            raise ValueError("rnn_cell: unknown initializer config %r; expected a class_name among %s."
                             % (value, ", ".join(sorted(classes))))
        return classes[value["class_name"]].from_config(value.get("config", {}))
    if value is None or not isinstance(value, str):
        return value
    names = {"zeros": tf.zeros_initializer(), "ones": tf.ones_initializer(),
             "glorot_uniform": tf.glorot_uniform_initializer(), "glorot_normal": tf.glorot_normal_initializer(),
             "orthogonal": tf.orthogonal_initializer()}
    if value not in names:
        raise ValueError("rnn_cell: unknown initializer %r; expected an initializer or one of %s."
                         % (value, ", ".join(sorted(names))))
    return names[value]


def _initializer_config(initializer):
    """How ``get_config()`` reports an initializer, as TensorFlow's cells do: None or class name and config."""
    if initializer is None or isinstance(initializer, str):
        return initializer
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


class BasicRNNCell(LayerRNNCell):
    """``output = new_state = activation(concat([inputs, state]) @ kernel + bias)``; state ``[batch, num_units]``.

    Variables: ``kernel`` ``[input_size + num_units, num_units]``, ``bias`` ``[num_units]`` (zeros).
    """

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super(BasicRNNCell, self).__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        check_supported_dtype(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._activation = _activation(activation, type(self).__name__)

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(self, inputs_shape)
        self._kernel = self.add_weight(_WEIGHTS, shape=[depth + self._num_units, self._num_units])
        self._bias = self.add_weight(_BIAS, shape=[self._num_units], initializer=tf.zeros_initializer())
        self.built = True

    def call(self, inputs, state):
        check_input_dtypes([inputs, state])
        output = self._activation(tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), self._kernel), self._bias))
        return output, output

    def get_config(self):
        config = dict(super(BasicRNNCell, self).get_config())
        config.update(activation=_activation_name(self._activation), num_units=self._num_units, reuse=self._reuse)
        return config


class GRUCell(LayerRNNCell):
    """Gated recurrent unit (Cho et al., 2014); state and output ``[batch, num_units]``.

    One step, split so that attention-gated variants (AUGRU, AGRU) reuse it:
    ``r, u = self.gates(inputs, state)``; ``c = self.candidate(inputs, r * state)``;
    ``new_h = u * state + (1 - u) * c``.

    Variables: ``gates/kernel`` ``[input_size + num_units, 2 * num_units]``, ``gates/bias``
    (ones unless ``bias_initializer``), ``candidate/kernel`` ``[input_size + num_units, num_units]``,
    ``candidate/bias`` (zeros unless ``bias_initializer``).
    """

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None, bias_initializer=None,
                 name=None, dtype=None, **kwargs):
        super(GRUCell, self).__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        check_supported_dtype(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._activation = _activation(activation, type(self).__name__)
        self._kernel_initializer = _initializer(kernel_initializer)
        self._bias_initializer = _initializer(bias_initializer)

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(self, inputs_shape)
        units = self._num_units
        bias = self._bias_initializer
        self._gate_kernel = self.add_weight("gates/" + _WEIGHTS, shape=[depth + units, 2 * units],
                                            initializer=self._kernel_initializer)
        self._gate_bias = self.add_weight("gates/" + _BIAS, shape=[2 * units],
                                          initializer=bias if bias is not None else tf.constant_initializer(1.0))
        self._candidate_kernel = self.add_weight("candidate/" + _WEIGHTS, shape=[depth + units, units],
                                                 initializer=self._kernel_initializer)
        self._candidate_bias = self.add_weight("candidate/" + _BIAS, shape=[units],
                                               initializer=bias if bias is not None else tf.zeros_initializer())
        self.built = True

    def gates(self, inputs, state):
        """The reset and update gates ``(r, u)``, each ``[batch, num_units]``, in (0, 1)."""
        value = tf.sigmoid(tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), self._gate_kernel),
                                          self._gate_bias))
        return tf.split(value=value, num_or_size_splits=2, axis=1)

    def candidate(self, inputs, r_state):
        """The candidate state ``activation(concat([inputs, r * state]) @ W_c + b_c)``, ``[batch, num_units]``."""
        return self._activation(tf.nn.bias_add(tf.matmul(tf.concat([inputs, r_state], 1), self._candidate_kernel),
                                               self._candidate_bias))

    def call(self, inputs, state):
        check_input_dtypes([inputs, state])
        r, u = self.gates(inputs, state)
        c = self.candidate(inputs, r * state)
        new_h = u * state + (1 - u) * c
        return new_h, new_h

    def get_config(self):
        config = dict(super(GRUCell, self).get_config())
        config.update(activation=_activation_name(self._activation), num_units=self._num_units, reuse=self._reuse,
                      kernel_initializer=_initializer_config(self._kernel_initializer),
                      bias_initializer=_initializer_config(self._bias_initializer))
        return config


class BasicLSTMCell(LayerRNNCell):
    """LSTM without peepholes, clipping or projection; ``forget_bias`` is added to the forget gate.

    State ``LSTMStateTuple(c, h)`` (each ``[batch, num_units]``) or, with ``state_is_tuple=False``,
    ``concat([c, h], 1)``; output ``h``. Variables: ``kernel`` ``[input_size + num_units,
    4 * num_units]`` (gates i, j, f, o), ``bias`` ``[4 * num_units]`` (zeros).
    """

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None, **kwargs):
        super(BasicLSTMCell, self).__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        check_supported_dtype(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation, type(self).__name__)

    @property
    def state_size(self):
        units = self._num_units
        return LSTMStateTuple(units, units) if self._state_is_tuple else 2 * units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(self, inputs_shape)
        self._kernel = self.add_weight(_WEIGHTS, shape=[depth + self._num_units, 4 * self._num_units])
        self._bias = self.add_weight(_BIAS, shape=[4 * self._num_units], initializer=tf.zeros_initializer())
        self.built = True

    def call(self, inputs, state):
        check_input_dtypes([inputs, state])
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = tf.split(value=state, num_or_size_splits=2, axis=1)
        gates = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h], 1), self._kernel), self._bias)
        i, j, f, o = tf.split(value=gates, num_or_size_splits=4, axis=1)
        forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
        new_c = c * tf.sigmoid(f + forget_bias) + tf.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * tf.sigmoid(o)
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else tf.concat([new_c, new_h], 1)
        return new_h, new_state

    def get_config(self):
        config = dict(super(BasicLSTMCell, self).get_config())
        config.update(activation=_activation_name(self._activation), num_units=self._num_units,
                      forget_bias=self._forget_bias,
                      state_is_tuple=self._state_is_tuple, reuse=self._reuse)
        return config


class LSTMCell(LayerRNNCell):
    """LSTM with optional peepholes (``w_f_diag``, ``w_i_diag``, ``w_o_diag``), cell clipping and projection.

    State ``LSTMStateTuple(c, m)``: ``c`` ``[batch, num_units]``, ``m`` ``[batch, num_proj or
    num_units]`` (concatenated with ``state_is_tuple=False``); output ``m``. Variables:
    ``kernel`` ``[input_size + (num_proj or num_units), 4 * num_units]``, ``bias``, the peephole
    diagonals ``[num_units]`` and ``projection/kernel`` ``[num_units, num_proj]``;
    ``num_unit_shards`` / ``num_proj_shards`` partition ``kernel`` / ``projection/kernel``.
    """

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None, num_proj=None,
                 proj_clip=None, num_unit_shards=None, num_proj_shards=None, forget_bias=1.0, state_is_tuple=True,
                 activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super(LSTMCell, self).__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        check_supported_dtype(self.dtype)
        self.input_spec = InputSpec(ndim=2)
        self._num_units = num_units
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = _initializer(initializer)
        self._num_proj = num_proj
        self._proj_clip = proj_clip
        self._num_unit_shards = num_unit_shards
        self._num_proj_shards = num_proj_shards
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation, type(self).__name__)
        out = num_proj if num_proj else num_units
        self._state_size = LSTMStateTuple(num_units, out) if state_is_tuple else num_units + out
        self._output_size = out

    @property
    def state_size(self):
        return self._state_size

    @property
    def output_size(self):
        return self._output_size

    def build(self, inputs_shape):
        depth = _input_depth(self, inputs_shape)
        units = self._num_units
        h_depth = units if self._num_proj is None else self._num_proj
        shards = self._num_unit_shards
        self._kernel = self.add_weight(
            _WEIGHTS, shape=[depth + h_depth, 4 * units], initializer=self._initializer,
            partitioner=tf.fixed_size_partitioner(shards) if shards is not None else None)
        self._bias = self.add_weight(_BIAS, shape=[4 * units], initializer=tf.zeros_initializer())
        if self._use_peepholes:
            self._w_f_diag = self.add_weight("w_f_diag", shape=[units], initializer=self._initializer)
            self._w_i_diag = self.add_weight("w_i_diag", shape=[units], initializer=self._initializer)
            self._w_o_diag = self.add_weight("w_o_diag", shape=[units], initializer=self._initializer)
        if self._num_proj is not None:
            shards = self._num_proj_shards
            self._proj_kernel = self.add_weight(
                "projection/" + _WEIGHTS, shape=[units, self._num_proj], initializer=self._initializer,
                partitioner=tf.fixed_size_partitioner(shards) if shards is not None else None)
        self.built = True

    def call(self, inputs, state):
        check_input_dtypes([inputs, state])
        units = self._num_units
        num_proj = units if self._num_proj is None else self._num_proj
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = tf.slice(state, [0, 0], [-1, units])
            m_prev = tf.slice(state, [0, units], [-1, num_proj])
        if tf.compat.dimension_value(inputs.shape.with_rank(2)[1]) is None:
            raise ValueError("Could not infer input size from inputs.get_shape()[-1]")
        lstm_matrix = tf.nn.bias_add(tf.matmul(tf.concat([inputs, m_prev], 1), self._kernel), self._bias)
        i, j, f, o = tf.split(value=lstm_matrix, num_or_size_splits=4, axis=1)
        if self._use_peepholes:
            c = (tf.sigmoid(f + self._forget_bias + self._w_f_diag * c_prev) * c_prev
                 + tf.sigmoid(i + self._w_i_diag * c_prev) * self._activation(j))
        else:
            c = tf.sigmoid(f + self._forget_bias) * c_prev + tf.sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = tf.sigmoid(o + self._w_o_diag * c) * self._activation(c)
        else:
            m = tf.sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = tf.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = tf.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else tf.concat([c, m], 1)
        return m, new_state

    def get_config(self):
        config = dict(super(LSTMCell, self).get_config())
        config.update(activation=_activation_name(self._activation), initializer=_initializer_config(self._initializer),
                      num_units=self._num_units, use_peepholes=self._use_peepholes, cell_clip=self._cell_clip,
                      num_proj=self._num_proj, proj_clip=self._proj_clip, num_unit_shards=self._num_unit_shards,
                      num_proj_shards=self._num_proj_shards, forget_bias=self._forget_bias,
                      state_is_tuple=self._state_is_tuple, reuse=self._reuse)
        return config


__all__ = ["BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell"]
