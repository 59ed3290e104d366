"""``tf.contrib.rnn``'s fused-kernel cells on the kernels TensorFlow still ships.

- ``LSTMBlockCell``: one ``LSTMBlockCell`` op per step (an RNNCell, for ``dynamic_rnn``);
- ``LSTMBlockFusedCell``: one ``BlockLSTM`` op for the whole time-major sequence;
- ``GRUBlockCell`` / ``GRUBlockCellV2``: one ``GRUBlockCell`` op per step.

Signatures, default scopes and variable names are TensorFlow 1.15's: ``lstm_cell/kernel``,
``lstm_cell/bias``, ``w_i_diag`` / ``w_f_diag`` / ``w_o_diag`` (LSTMCell's names, so checkpoints
move between them), ``lstm_fused_cell/...``, ``gru_cell/w_ru`` / ``b_ru`` / ``w_c`` / ``b_c``
(GRUBlockCell) and ``gru_cell/gates/kernel``... (GRUBlockCellV2, GRUCell's names). The gate
layouts match LSTMCell (i, j, f, o) and GRUCell (r, u). TensorFlow 2 registers the gradient of
``BlockLSTM`` but not those of ``LSTMBlockCell`` and ``GRUBlockCell``; they are registered here when
the first such cell is built.
"""
from tf1_recsys._tf import tf
from tf1_recsys.compat.layers.base import Layer
from tf1_recsys.compat.layers.input_spec import InputSpec
from tf1_recsys.compat.rnn_cell.base import LayerRNNCell, LSTMStateTuple


def _or_zeros(grad, like):
    return tf.zeros_like(like) if grad is None else grad


def _lstm_block_cell_grad(op, *grads):
    """Gradient of ``LSTMBlockCell`` w.r.t. (x, cs_prev, h_prev, w, wci, wcf, wco, b), from ``LSTMBlockCellGrad``."""
    x, cs_prev, h_prev, w, wci, wcf, wco, b = op.inputs
    i, cs, f, o, ci, co, h = op.outputs
    cs_grad, h_grad = _or_zeros(grads[1], cs), _or_zeros(grads[6], h)
    cs_prev_grad, dicfo, wci_grad, wcf_grad, wco_grad = tf.raw_ops.LSTMBlockCellGrad(
        x=x, cs_prev=cs_prev, h_prev=h_prev, w=w, wci=wci, wcf=wcf, wco=wco, b=b, i=i, cs=cs, f=f, o=o, ci=ci,
        co=co, cs_grad=cs_grad, h_grad=h_grad, use_peephole=op.get_attr("use_peephole"))
    xh_grad = tf.matmul(dicfo, w, transpose_b=True)
    depth = tf.shape(x)[1]
    x_grad = xh_grad[:, :depth]
    h_prev_grad = xh_grad[:, depth:]
    w_grad = tf.matmul(tf.concat([x, h_prev], 1), dicfo, transpose_a=True)
    b_grad = tf.reduce_sum(dicfo, 0)
    return x_grad, cs_prev_grad, h_prev_grad, w_grad, wci_grad, wcf_grad, wco_grad, b_grad


def _gru_block_cell_grad(op, *grads):
    """Gradient of ``GRUBlockCell`` w.r.t. (x, h_prev, w_ru, w_c, b_ru, b_c), from ``GRUBlockCellGrad``."""
    x, h_prev, w_ru, w_c, b_ru, b_c = op.inputs
    r, u, c, h = op.outputs
    d_x, d_h_prev, d_c_bar, d_r_bar_u_bar = tf.raw_ops.GRUBlockCellGrad(
        x=x, h_prev=h_prev, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c, r=r, u=u, c=c, d_h=_or_zeros(grads[3], h))
    d_w_ru = tf.matmul(tf.concat([x, h_prev], 1), d_r_bar_u_bar, transpose_a=True)
    d_w_c = tf.matmul(tf.concat([x, h_prev * r], 1), d_c_bar, transpose_a=True)
    return d_x, d_h_prev, d_w_ru, d_w_c, tf.reduce_sum(d_r_bar_u_bar, 0), tf.reduce_sum(d_c_bar, 0)


_registered = []


def _register_gradient(op_type, fn):
    """Registers ``fn`` as ``op_type``'s gradient once, when a cell first needs it (importing changes nothing)."""
    if op_type in _registered:
        return
    try:
        tf.RegisterGradient(op_type)(fn)
    except KeyError:  # registered already (by another library)
        pass
    _registered.append(op_type)


def _depth(shape, axis, what):
    depth = tf.compat.dimension_value(tf.TensorShape(shape)[axis])
    if depth is None:
        raise ValueError("%s: expecting the input depth (axis %d) to be known; got shape %s"
                         % (what, axis, tf.TensorShape(shape)))
    return depth


def _add_lstm_weights(cell, depth):
    """LSTMCell's variables on ``cell``: ``kernel`` ``[depth + units, 4 * units]``, ``bias``, peephole diagonals."""
    units = cell._num_units
    cell._kernel = cell.add_weight("kernel", [depth + units, 4 * units])
    cell._bias = cell.add_weight("bias", [4 * units], initializer=tf.constant_initializer(0.0))
    if cell._use_peephole:
        cell._w_i_diag = cell.add_weight("w_i_diag", [units])
        cell._w_f_diag = cell.add_weight("w_f_diag", [units])
        cell._w_o_diag = cell.add_weight("w_o_diag", [units])


class LSTMBlockCell(LayerRNNCell):
    """LSTM (optional peepholes and cell clip) as one ``LSTMBlockCell`` op per step.

    ``inputs`` ``[batch, input_size]``; state ``LSTMStateTuple(c, h)``, each ``[batch, num_units]``.
    ``cell_clip`` None: no clipping.
    """

    _keras_default_initializer = False  # TF 1.x's contrib cells: get_variable's default, graph-seeded

    def __init__(self, num_units, forget_bias=1.0, cell_clip=None, use_peephole=False, dtype=None, reuse=None,
                 name="lstm_cell"):
        super(LSTMBlockCell, self).__init__(_reuse=reuse, dtype=dtype, name=name)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._use_peephole = use_peephole
        self._cell_clip = cell_clip if cell_clip is not None else -1
        self.input_spec = InputSpec(ndim=2)

    @property
    def state_size(self):
        return LSTMStateTuple(self._num_units, self._num_units)

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _depth(inputs_shape, 1, "LSTMBlockCell")
        _register_gradient("LSTMBlockCell", _lstm_block_cell_grad)
        _add_lstm_weights(self, depth)
        self.built = True

    def call(self, inputs, state):
        if len(state) != 2:
            raise ValueError("Expecting state to be a tuple with length 2.")
        if self._use_peephole:
            wci, wcf, wco = self._w_i_diag, self._w_f_diag, self._w_o_diag
        else:
            wci = wcf = wco = tf.zeros([self._num_units], dtype=inputs.dtype)
        cs_prev, h_prev = state
        _, cs, _, _, _, _, h = tf.raw_ops.LSTMBlockCell(
            x=inputs, cs_prev=cs_prev, h_prev=h_prev, w=tf.convert_to_tensor(self._kernel), wci=wci, wcf=wcf,
            wco=wco, b=tf.convert_to_tensor(self._bias), forget_bias=self._forget_bias, cell_clip=self._cell_clip,
            use_peephole=self._use_peephole)
        return h, LSTMStateTuple(cs, h)


class LSTMBlockWrapper(Layer):
    """Base of fused LSTMs run on a whole sequence: ``outputs, final_state = cell(inputs, initial_state, dtype, sequence_length)``.

    ``inputs`` ``[time, batch, input_size]`` (or a list of ``time`` tensors ``[batch, input_size]``,
    then the outputs are a list too); ``outputs`` ``[time, batch, num_units]``, zero past each
    ``sequence_length``; ``final_state`` ``LSTMStateTuple(c, h)`` at each sequence's last step.
    Subclasses define ``num_units`` and ``_call_cell``.
    """

    _keras_default_initializer = False  # TF 1.x's contrib cells: get_variable's default, graph-seeded

    @property
    def num_units(self):
        raise NotImplementedError

    def _call_cell(self, inputs, initial_cell_state, initial_output, dtype, sequence_length):
        raise NotImplementedError

    def call(self, inputs, initial_state=None, dtype=None, sequence_length=None):
        is_list = isinstance(inputs, list)
        if is_list:
            inputs = tf.stack(inputs)
        shape = inputs.shape.with_rank(3)
        if not tf.compat.dimension_value(shape[2]):
            raise ValueError("Expecting inputs_shape[2] to be set: %s" % shape)
        batch_size = tf.compat.dimension_value(shape[1])
        if batch_size is None:
            batch_size = tf.shape(inputs)[1]
        time_len = tf.compat.dimension_value(shape[0])
        if time_len is None:
            time_len = tf.shape(inputs)[0]
        if initial_state is None:
            if dtype is None:
                raise ValueError("Either initial_state or dtype needs to be specified")
            zeros = tf.zeros(tf.stack([batch_size, self.num_units]), dtype=dtype)
            initial_state = zeros, zeros
        else:
            if len(initial_state) != 2:
                raise ValueError("Expecting initial_state to be a tuple with length 2 or None")
            if dtype is None:
                dtype = initial_state[0].dtype
        if sequence_length is not None:
            sequence_length = tf.convert_to_tensor(sequence_length)
        initial_cell_state, initial_output = initial_state
        cell_states, outputs = self._call_cell(inputs, initial_cell_state, initial_output, dtype, sequence_length)
        if sequence_length is not None:
            mask = tf.transpose(tf.sequence_mask(sequence_length, time_len, dtype=dtype), [1, 0])
            outputs *= tf.expand_dims(mask, -1)
            # index t + 1 holds step t; index 0 the initial state, for sequences of length 0
            all_states = tf.concat([tf.expand_dims(initial_cell_state, 0), cell_states], 0)
            all_outputs = tf.concat([tf.expand_dims(initial_output, 0), outputs], 0)
            at_length = tf.stack([tf.cast(sequence_length, tf.int32), tf.range(batch_size)], axis=1)
            final_cell_state = tf.gather_nd(all_states, at_length)
            final_output = tf.gather_nd(all_outputs, at_length)
        else:
            final_cell_state, final_output = cell_states[-1], outputs[-1]
        if is_list:
            outputs = tf.unstack(outputs)
        return outputs, LSTMStateTuple(final_cell_state, final_output)


class LSTMBlockFusedCell(LSTMBlockWrapper):
    """LSTM over a whole time-major sequence as one ``BlockLSTM`` op (variables as LSTMCell's)."""

    def __init__(self, num_units, forget_bias=1.0, cell_clip=None, use_peephole=False, reuse=None, dtype=None,
                 name="lstm_fused_cell"):
        super(LSTMBlockFusedCell, self).__init__(_reuse=reuse, name=name, dtype=dtype)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._cell_clip = cell_clip if cell_clip is not None else -1
        self._use_peephole = use_peephole
        self.input_spec = InputSpec(ndim=3)

    @property
    def num_units(self):
        return self._num_units

    def build(self, input_shape):
        depth = _depth(input_shape, 2, "LSTMBlockFusedCell")
        _add_lstm_weights(self, depth)
        self.built = True

    def _call_cell(self, inputs, initial_cell_state=None, initial_output=None, dtype=None, sequence_length=None):
        time_len = tf.compat.dimension_value(inputs.shape[0])
        if time_len is None:
            time_len = tf.shape(inputs)[0]
        if self._use_peephole:
            wci, wcf, wco = self._w_i_diag, self._w_f_diag, self._w_o_diag
        else:
            wci = wcf = wco = tf.zeros([self._num_units], dtype=dtype)
        if sequence_length is None:
            max_len = tf.cast(time_len, tf.int64)
        else:
            max_len = tf.cast(tf.reduce_max(sequence_length), tf.int64)
        _, cs, _, _, _, _, h = tf.raw_ops.BlockLSTM(
            seq_len_max=max_len, x=inputs, cs_prev=initial_cell_state, h_prev=initial_output,
            w=tf.convert_to_tensor(self._kernel), wci=wci, wcf=wcf, wco=wco, b=tf.convert_to_tensor(self._bias),
            forget_bias=self._forget_bias, cell_clip=self._cell_clip, use_peephole=self._use_peephole)
        return cs, h


class GRUBlockCell(LayerRNNCell):
    """GRU as one ``GRUBlockCell`` op per step; variables ``w_ru``, ``b_ru`` (ones), ``w_c``, ``b_c`` (zeros).

    Exactly one of ``num_units`` and its deprecated name ``cell_size``. State and output
    ``[batch, num_units]``; the same recurrence as ``GRUCell``.
    """

    _keras_default_initializer = False  # TF 1.x's contrib cells: get_variable's default, graph-seeded

    _names = ("w_ru", "b_ru", "w_c", "b_c")

    def __init__(self, num_units=None, cell_size=None, reuse=None, name="gru_cell"):
        super(GRUBlockCell, self).__init__(_reuse=reuse, name=name)
        if (cell_size is None) == (num_units is None):
            raise ValueError("Exactly one of num_units or cell_size must be provided.")
        self._cell_size = num_units if num_units is not None else cell_size
        self.input_spec = InputSpec(ndim=2)

    @property
    def state_size(self):
        return self._cell_size

    @property
    def output_size(self):
        return self._cell_size

    def build(self, input_shape):
        depth = _depth(input_shape, 1, type(self).__name__)
        _register_gradient("GRUBlockCell", _gru_block_cell_grad)
        units = self._cell_size
        w_ru, b_ru, w_c, b_c = self._names
        self._gate_kernel = self.add_weight(w_ru, [depth + units, 2 * units])
        self._gate_bias = self.add_weight(b_ru, [2 * units], initializer=tf.constant_initializer(1.0))
        self._candidate_kernel = self.add_weight(w_c, [depth + units, units])
        self._candidate_bias = self.add_weight(b_c, [units], initializer=tf.constant_initializer(0.0))
        self.built = True

    def call(self, inputs, h_prev):
        cell_size = tf.compat.dimension_value(h_prev.shape.with_rank(2)[1])
        if cell_size != self._cell_size:
            raise ValueError("Shape of h_prev[1] incorrect: cell_size %i vs %s" % (self._cell_size, cell_size))
        _, _, _, new_h = tf.raw_ops.GRUBlockCell(
            x=inputs, h_prev=h_prev, w_ru=tf.convert_to_tensor(self._gate_kernel),
            w_c=tf.convert_to_tensor(self._candidate_kernel), b_ru=tf.convert_to_tensor(self._gate_bias),
            b_c=tf.convert_to_tensor(self._candidate_bias))
        return new_h, new_h


class GRUBlockCellV2(GRUBlockCell):
    """``GRUBlockCell`` with GRUCell's variable names (``gates/kernel``, ``gates/bias``, ``candidate/...``)."""

    _names = ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias")


__all__ = ["LSTMBlockCell", "LSTMBlockWrapper", "LSTMBlockFusedCell", "GRUBlockCell", "GRUBlockCellV2"]
