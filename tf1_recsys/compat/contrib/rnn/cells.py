"""``tf.contrib.rnn``'s own composed cells: ``LayerNormBasicLSTMCell`` and ``AttentionCellWrapper``.

Plain ``RNNCell`` subclasses that get their variables in ``call`` (as in TensorFlow 1.15), so
their names are 1.15's: ``layer_norm_basic_lstm_cell/kernel``, ``.../input/gamma``, ...;
``attention_cell_wrapper/kernel``, ``.../attention/attn_w``, ``.../attn_output_projection/kernel``.
"""
from tf1_recsys._tf import tf
from tf1_recsys.compat.contrib.layers import layer_norm
from tf1_recsys.compat.rnn_cell.base import LSTMStateTuple, RNNCell, assert_like_rnncell
from tf1_recsys.compat.rnn_cell.linear import Linear


class LayerNormBasicLSTMCell(RNNCell):
    """Basic LSTM with layer normalization (Ba et al., 2016) and recurrent dropout (Semeniuta et al., 2016).

    Each gate pre-activation (``input``, ``transform``, ``forget``, ``output``) and the new cell
    state (``state``) are layer-normalized with their own ``gamma`` (initial ``norm_gain``) and
    ``beta`` (initial ``norm_shift``); ``kernel`` ``[input_size + num_units, 4 * num_units]``
    (plus ``bias`` when ``layer_norm=False``). Dropout with ``dropout_keep_prob`` applies to the
    candidate ``activation(j)``. State ``LSTMStateTuple(c, h)``, output ``h``, each ``[batch, num_units]``.
    """

    def __init__(self, num_units, forget_bias=1.0, input_size=None, activation=tf.tanh, layer_norm=True,
                 norm_gain=1.0, norm_shift=0.0, dropout_keep_prob=1.0, dropout_prob_seed=None, reuse=None):
        super(LayerNormBasicLSTMCell, self).__init__(_reuse=reuse)
        if input_size is not None:
            tf.logging.warning("%s: The input_size parameter is deprecated.", self)
        self._num_units = num_units
        self._activation = activation
        self._forget_bias = forget_bias
        self._keep_prob = dropout_keep_prob
        self._seed = dropout_prob_seed
        self._layer_norm = layer_norm
        self._norm_gain = norm_gain
        self._norm_shift = norm_shift

    @property
    def state_size(self):
        return LSTMStateTuple(self._num_units, self._num_units)

    @property
    def output_size(self):
        return self._num_units

    def _norm(self, inp, scope, dtype):
        shape = inp.shape[-1:]
        with tf.variable_scope(scope):
            tf.get_variable("gamma", shape=shape, initializer=tf.constant_initializer(self._norm_gain), dtype=dtype)
            tf.get_variable("beta", shape=shape, initializer=tf.constant_initializer(self._norm_shift), dtype=dtype)
        return layer_norm(inp, reuse=True, scope=scope)

    def _linear(self, args):
        out_size = 4 * self._num_units
        weights = tf.get_variable("kernel", [args.shape[-1], out_size], dtype=args.dtype)
        out = tf.matmul(args, weights)
        if not self._layer_norm:
            out = tf.nn.bias_add(out, tf.get_variable("bias", [out_size], dtype=args.dtype))
        return out

    def call(self, inputs, state):
        c, h = state
        args = tf.concat([inputs, h], 1)
        dtype = args.dtype
        i, j, f, o = tf.split(value=self._linear(args), num_or_size_splits=4, axis=1)
        if self._layer_norm:
            i = self._norm(i, "input", dtype)
            j = self._norm(j, "transform", dtype)
            f = self._norm(f, "forget", dtype)
            o = self._norm(o, "output", dtype)
        g = self._activation(j)
        if not isinstance(self._keep_prob, float) or self._keep_prob < 1:
            g = tf.nn.dropout(g, rate=1.0 - self._keep_prob, seed=self._seed)
        new_c = c * tf.sigmoid(f + self._forget_bias) + tf.sigmoid(i) * g
        if self._layer_norm:
            new_c = self._norm(new_c, "state", dtype)
        new_h = self._activation(new_c) * tf.sigmoid(o)
        return new_h, LSTMStateTuple(new_c, new_h)


class AttentionCellWrapper(RNNCell):
    """Attention over the last ``attn_length`` outputs of ``cell`` (Cheng et al., 2016, LSTMN).

    State ``(cell state, attention [batch, attn_size], window [batch, attn_length * attn_size])``
    (concatenated with ``state_is_tuple=False``); output ``[batch, attn_size]``. Variables:
    ``kernel`` / ``bias`` (inputs and attention -> cell inputs), ``attention/attn_w``,
    ``attention/attn_v``, ``attention/kernel`` / ``bias`` (query), ``attn_output_projection/kernel`` / ``bias``.
    """

    def __init__(self, cell, attn_length, attn_size=None, attn_vec_size=None, input_size=None, state_is_tuple=True,
                 reuse=None):
        super(AttentionCellWrapper, self).__init__(_reuse=reuse)
        assert_like_rnncell("cell", cell)
        if tf.nest.is_nested(cell.state_size) and not state_is_tuple:
            raise ValueError("Cell returns tuple of states, but the flag state_is_tuple is not set. State size is: %s"
                             % str(cell.state_size))
        if attn_length <= 0:
            raise ValueError("attn_length should be greater than zero, got %s" % str(attn_length))
        if not state_is_tuple:
            tf.logging.warning("%s: Using a concatenated state is slower and will soon be deprecated.  Use "
                               "state_is_tuple=True.", self)
        attn_size = cell.output_size if attn_size is None else attn_size
        self._state_is_tuple = state_is_tuple
        self._cell = cell
        self._attn_vec_size = attn_size if attn_vec_size is None else attn_vec_size
        self._input_size = input_size
        self._attn_size = attn_size
        self._attn_length = attn_length
        self._linear1 = self._linear2 = self._linear3 = None

    @property
    def state_size(self):
        size = (self._cell.state_size, self._attn_size, self._attn_size * self._attn_length)
        return size if self._state_is_tuple else sum(size)

    @property
    def output_size(self):
        return self._attn_size

    def call(self, inputs, state):
        if self._state_is_tuple:
            state, attns, attn_states = state
        else:
            states = state
            cell_size = self._cell.state_size
            state = tf.slice(states, [0, 0], [-1, cell_size])
            attns = tf.slice(states, [0, cell_size], [-1, self._attn_size])
            attn_states = tf.slice(states, [0, cell_size + self._attn_size], [-1, self._attn_size * self._attn_length])
        attn_states = tf.reshape(attn_states, [-1, self._attn_length, self._attn_size])
        input_size = self._input_size if self._input_size is not None else inputs.shape.as_list()[1]
        if self._linear1 is None:
            self._linear1 = Linear([inputs, attns], input_size, True)
        inputs = self._linear1([inputs, attns])
        cell_output, new_state = self._cell(inputs, state)
        new_state_cat = tf.concat(tf.nest.flatten(new_state), 1) if self._state_is_tuple else new_state
        new_attns, new_attn_states = self._attention(new_state_cat, attn_states)
        with tf.variable_scope("attn_output_projection"):
            if self._linear2 is None:
                self._linear2 = Linear([cell_output, new_attns], self._attn_size, True)
            output = self._linear2([cell_output, new_attns])
        new_attn_states = tf.concat([new_attn_states, tf.expand_dims(output, 1)], 1)
        new_attn_states = tf.reshape(new_attn_states, [-1, self._attn_length * self._attn_size])
        new_state = (new_state, new_attns, new_attn_states)
        if not self._state_is_tuple:
            new_state = tf.concat(list(new_state), 1)
        return output, new_state

    def _attention(self, query, attn_states):
        """Attention read over the window; returns ``(read [batch, attn_size], window without its oldest entry)``."""
        with tf.variable_scope("attention"):
            k = tf.get_variable("attn_w", [1, 1, self._attn_size, self._attn_vec_size])
            v = tf.get_variable("attn_v", [self._attn_vec_size])
            hidden = tf.reshape(attn_states, [-1, self._attn_length, 1, self._attn_size])
            hidden_features = tf.nn.conv2d(hidden, k, [1, 1, 1, 1], "SAME")
            if self._linear3 is None:
                self._linear3 = Linear(query, self._attn_vec_size, True)
            y = tf.reshape(self._linear3(query), [-1, 1, 1, self._attn_vec_size])
            scores = tf.reduce_sum(v * tf.tanh(hidden_features + y), [2, 3])
            weights = tf.nn.softmax(scores)
            read = tf.reduce_sum(tf.reshape(weights, [-1, self._attn_length, 1, 1]) * hidden, [1, 2])
            return tf.reshape(read, [-1, self._attn_size]), tf.slice(attn_states, [0, 1, 0], [-1, -1, -1])


__all__ = ["LayerNormBasicLSTMCell", "AttentionCellWrapper"]
