"""``packed_dynamic_rnn``: ``tf.nn.dynamic_rnn`` with ``sequence_length``, computing only the live rows.

``tf.nn.dynamic_rnn`` runs the cell on every row of the batch at every step up to the longest
length, then keeps the state and zeroes the output of the rows already past their length. On a
batch whose lengths spread from 1 to T, about half of that work is thrown away. Here, as
PyTorch's ``PackedSequence``, the rows are ordered by length once (longest first), so that at
step t the rows still running are the first n_t (n_t = the number of rows with length > t):
the cell runs on those n_t rows only, the others keep their state, their output is 0. The
results are put back in the caller's row order at the end.

The function is ``dynamic_rnn``'s for a cell that treats the rows independently (every
``RNNCell`` of TensorFlow and of this library): the same outputs (0 past each length), final
state (the state at each row's length; the initial state for length 0), gradients, and the
variables under the same scope (``rnn/<cell name>/...``).

Its loop keeps TensorArrays of rows of varying count (``split`` / ``concat``), which tf2onnx 1.17 does not
convert; the layers that use it (``packed=None``, ``packed_by_default``) fall back to ``tf.nn.dynamic_rnn``
where the graph is built with TF1's loops (``tf.compat.v1.disable_control_flow_v2()``), the way to
build a graph for an ONNX export.
"""
from tf1_recsys._tf import shape_str, tf
from tf1_recsys.compat.rnn_cell.base import assert_like_rnncell


def _move_rows_grad(op, grad):
    """The gradient of ``_move_rows``: ``dx[r] = dy[j]`` for the first j with ``index[j] == r``; a row of x
    that no j takes gets dy's last row (``packed_dynamic_rnn`` makes it 0, or x's row a constant)."""
    params, index = op.inputs[0], op.inputs[1]
    taken = tf.size(index, out_type=index.dtype)
    first = tf.math.unsorted_segment_min(tf.range(taken), index, tf.shape(params, out_type=index.dtype)[0])
    return tf.gather(tf.convert_to_tensor(grad), tf.minimum(first, taken - 1)), None, None


try:
    tf.RegisterGradient("Tf1RecsysMoveRows")(_move_rows_grad)
except KeyError:  # registered already: this module imported again (importlib.reload)
    pass


def _move_rows(x, index):
    """``tf.gather(x, index)`` (rows of x [R, ...]) whose gradient is a dense gather too (``tf.gather``'s
    own is a scatter of IndexedSlices): for a permutation, or where each row of x that matters is taken
    once (first), a row taken by no j is one whose gradient is dy's last row: ``_move_rows_grad``.
    Registered by name, not a closure, so the gradient also works in a copy of the graph."""
    with tf.get_default_graph().gradient_override_map({"GatherV2": "Tf1RecsysMoveRows"}):
        return tf.gather(x, index)


def _rows_of(size):
    """The static shape [None] + ``size`` (an int or a shape) of a block of rows."""
    return tf.TensorShape([None]).concatenate([size] if isinstance(size, int) else tf.TensorShape(size))


def packed_by_default(packed):
    """``packed`` (True: ``packed_dynamic_rnn``, False: ``tf.nn.dynamic_rnn``), or for None: True where
    loops are built as TensorFlow 2 builds them (control flow v2), False with TF1's loops."""
    return tf.control_flow_v2_enabled() if packed is None else bool(packed)


def packed_dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None, parallel_iterations=None,
                       swap_memory=False, time_major=False, scope=None):
    """``tf.nn.dynamic_rnn(cell, inputs, sequence_length, ...)``, the cell run only on the unfinished rows.

    Args (``tf.nn.dynamic_rnn``'s, in its order):
      cell: an ``RNNCell`` that computes each row from that row alone.
      inputs: [B, T, ...] (``time_major``: [T, B, ...]), or a nested structure of them.
      sequence_length: int [B], the number of steps of each row. ``None``: every row runs T
        steps, nothing to skip: this is then ``tf.nn.dynamic_rnn`` itself.
      initial_state: the state [B, ...] (nested like ``cell.state_size``); default the cell's
        ``zero_state`` of ``dtype``.
      dtype: the state's dtype when ``initial_state`` is not given.
      parallel_iterations, swap_memory: passed to the ``tf.while_loop``.
      time_major: the layout of ``inputs`` and of the returned outputs.
      scope: the variable scope, default ``"rnn"`` (as ``dynamic_rnn``).

    Returns:
      ``(outputs, final_state)``: outputs [B, T, ...] ([T, B, ...] when ``time_major``), 0 at
      steps t >= the row's length; final_state [B, ...], each row's state after its last step.
    """
    if sequence_length is None:
        return tf.nn.dynamic_rnn(cell, inputs, initial_state=initial_state, dtype=dtype,
                                 parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                                 time_major=time_major, scope=scope)
    assert_like_rnncell("cell", cell)
    flat = [tf.convert_to_tensor(x, name="inputs") for x in tf.nest.flatten(inputs)]
    for x in flat:
        if x.shape.rank is not None and x.shape.rank < 3:
            raise ValueError("packed_dynamic_rnn: `inputs` must have rank >= 3 ([%s, ...]); got shape %s."
                             % ("time, batch" if time_major else "batch, time", shape_str(x)))
    if initial_state is None and dtype is None:
        raise ValueError("packed_dynamic_rnn: if there is no initial_state, you must give a dtype.")
    with tf.variable_scope(scope or "rnn"):
        lengths = tf.cast(tf.convert_to_tensor(sequence_length, name="sequence_length"), tf.int32)
        if lengths.shape.rank not in (None, 1):
            raise ValueError("packed_dynamic_rnn: `sequence_length` must be a vector [batch]; got shape %s."
                             % shape_str(lengths))
        time_axis, batch_axis = (0, 1) if time_major else (1, 0)
        static_tb = flat[0].shape[:2]
        time_steps = tf.compat.dimension_value(static_tb[time_axis]) or tf.shape(flat[0])[time_axis]
        batch = tf.compat.dimension_value(static_tb[batch_axis]) or tf.shape(flat[0])[batch_axis]

        key = tf.clip_by_value(lengths, 0, time_steps)  # [B]: the steps each row runs
        order = tf.argsort(key, direction="DESCENDING", stable=True)  # [B]: longest rows first
        restore = tf.math.invert_permutation(order)  # [B]: each row's place in the order
        ordered = tf.gather(key, order)
        bound = tf.maximum(1, tf.reduce_max(tf.concat([key, [0]], 0)))  # the loop's steps, >= 1 as dynamic_rnn's
        # live[t] = n_t, the number of rows still running at step t (a prefix of the ordered rows), t <= bound
        live = tf.reduce_sum(tf.cast(ordered[None, :] > tf.range(bound + 1)[:, None], tf.int32), 1)

        # The packed steps: for t = 0, 1, ... the first n_t ordered rows at step t: N = sum(n_t) rows,
        # then a row N (0 in the outputs; in the inputs an unused copy of row 0). The flattened [T*B]
        # (time-major) or [B*T] inputs and outputs hold step t of row b (the caller's order) at
        # `cell_of(t, b)`; the packed steps at offset_t + restore[b], or at N once t >= its length.
        def cell_of(t, b):
            return t * batch + b if time_major else b * time_steps + t

        running_at = tf.cast(tf.where(tf.range(bound)[:, None] < ordered[None, :]), tf.int32)  # [N, 2]: (t, i)
        pack = tf.concat([cell_of(running_at[:, 0], tf.gather(order, running_at[:, 1])), [0]], 0)  # [N + 1]
        offset = tf.concat([tf.cumsum(live[:bound], exclusive=True), tf.zeros([time_steps - bound], tf.int32)], 0)
        t_b = tf.range(time_steps)[:, None] < key[None, :]  # [T, B]: does row b run at step t
        at = tf.where(t_b, offset[:, None] + restore[None, :], tf.fill(tf.shape(t_b), tf.size(pack) - 1))
        unpack = tf.reshape(at if time_major else tf.transpose(at), [-1])  # [T*B] or [B*T] into [N + 1]

        def rows(x):  # [T, B, ...] or [B, T, ...] -> [T*B or B*T, ...]
            return tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0))

        # element t: the inputs of step t [n_t, ...]; element `bound`: row N, never read
        input_tas = [tf.TensorArray(x.dtype, size=bound + 1, infer_shape=False, element_shape=_rows_of(x.shape[2:]))
                     .split(_move_rows(rows(x), pack), tf.concat([live[:bound], [1]], 0)) for x in flat]

        if initial_state is None:
            state = cell.zero_state(batch, dtype)
        else:  # in the order
            state = tf.nest.map_structure(lambda s: _move_rows(s, order), initial_state)
        flat_state = tf.nest.flatten(state)
        out_dtype = dtype or flat_state[0].dtype
        out_sizes = tf.nest.flatten(cell.output_size)
        out_tas = [tf.TensorArray(out_dtype, size=bound + 1, infer_shape=False, element_shape=_rows_of(size))
                   for size in out_sizes]
        final_tas = [tf.TensorArray(s.dtype, size=bound, infer_shape=False, element_shape=_rows_of(s.shape[1:]))
                     for s in flat_state]

        def step(t, running, out_tas, final_tas):
            x_t = tf.nest.pack_sequence_as(inputs, [ta.read(t) for ta in input_tas])
            output, new_state = cell(x_t, tf.nest.pack_sequence_as(state, running))
            tf.nest.assert_same_structure(state, new_state)
            n, n_next = live[t], live[t + 1]
            # the rows n_next..n-1 end at step t: their state is final; the first n_next go on
            parts = [tf.split(s, tf.stack([n_next, n - n_next]), num=2) for s in tf.nest.flatten(new_state)]
            final_tas = [ta.write(t, p[1]) for ta, p in zip(final_tas, parts)]
            out_tas = [ta.write(t, o) for ta, o in zip(out_tas, tf.nest.flatten(output))]
            return t + 1, [p[0] for p in parts], out_tas, final_tas

        running = [s[:live[0]] for s in flat_state]
        _, _, out_tas, final_tas = tf.while_loop(
            lambda t, *_: t < bound, step, (tf.constant(0), running, out_tas, final_tas),
            shape_invariants=(tf.TensorShape([]), [_rows_of(s.shape[1:]) for s in running],
                              [tf.TensorShape(None)] * len(out_tas), [tf.TensorShape(None)] * len(final_tas)),
            parallel_iterations=parallel_iterations or 32, swap_memory=swap_memory)

        outputs = []
        for ta, size in zip(out_tas, out_sizes):
            packed = ta.write(bound, tf.zeros(_rows_of(size)[1:].as_list(), out_dtype)[None]).concat()  # [N + 1, ...]
            o = _move_rows(packed, unpack)
            o = tf.reshape(o, tf.concat([tf.shape(flat[0])[:2], tf.shape(packed)[1:]], 0))
            o.set_shape(static_tb.concatenate(packed.shape[1:]))
            outputs.append(o)
        outputs = tf.nest.pack_sequence_as(cell.output_size, outputs)
        # final_tas hold the rows in the order they end (by length, ascending; ties in the caller's
        # order), then come the rows of length 0, which keep the initial state
        ends = tf.argsort(tf.where(key > 0, key, tf.fill(tf.shape(key), time_steps + 1)), stable=True)
        final_state = []
        for ta, s in zip(final_tas, flat_state):
            f = _move_rows(tf.concat([ta.concat(), s[live[0]:]], 0), tf.math.invert_permutation(ends))
            f.set_shape(s.shape)
            final_state.append(f)
        final_state = tf.nest.pack_sequence_as(state, final_state)
    return outputs, final_state


__all__ = ["packed_dynamic_rnn", "packed_by_default"]
