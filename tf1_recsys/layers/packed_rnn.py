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
"""
from tf1_recsys._tf import shape_str, tf


def _row_count(flat_inputs, time_major):
    """The batch size of the first input: static when known, else a scalar tensor."""
    axis = 1 if time_major else 0
    x = flat_inputs[0]
    return tf.compat.dimension_value(x.shape[axis]) or tf.shape(x)[axis]


def _permute(x, order, restore, axis):
    """``tf.gather(x, order, axis)`` for a permutation ``order`` (``restore`` its inverse), whose gradient
    is the dense ``tf.gather(dy, restore, axis)`` (``tf.gather``'s own is a scatter of IndexedSlices)."""

    @tf.custom_gradient
    def permute(x):
        def grad(dy):
            return tf.gather(tf.convert_to_tensor(dy), restore, axis=axis)
        return tf.gather(x, order, axis=axis), grad

    return permute(x)


def _move_rows(x, index, back):
    """``tf.gather(x, index)`` where every row of x [R, ...] that matters goes to one place, ``back`` [R]
    its source row (its gradient: ``tf.gather(dy, back)``, dense, where ``tf.gather``'s own is a
    scatter of IndexedSlices)."""

    @tf.custom_gradient
    def move(x):
        def grad(dy):
            return tf.gather(tf.convert_to_tensor(dy), back)
        return tf.gather(x, index), grad

    return move(x)


def _rows_of(size):
    """The static shape [None] + ``size`` (an int or a shape) of a block of rows."""
    return tf.TensorShape([None]).concatenate([size] if isinstance(size, int) else tf.TensorShape(size))


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
        batch = _row_count(flat, time_major)
        steps = [x if time_major else tf.transpose(x, [1, 0] + list(range(2, x.shape.rank))) for x in flat]
        time_steps = tf.compat.dimension_value(steps[0].shape[0]) or tf.shape(steps[0])[0]

        key = tf.clip_by_value(lengths, 0, time_steps)  # [B]: the steps each row runs
        order = tf.argsort(key, direction="DESCENDING", stable=True)  # [B]: longest rows first
        ordered = tf.gather(key, order)
        bound = tf.maximum(1, tf.reduce_max(tf.concat([key, [0]], 0)))  # the loop's steps, at least 1 as dynamic_rnn
        # live[t] = n_t, the number of rows still running at step t (a prefix of the ordered rows), t <= bound
        live = tf.reduce_sum(tf.cast(ordered[None, :] > tf.range(bound + 1)[:, None], tf.int32), 1)
        # The packed steps: step t of the ordered rows 0..n_t-1, in step order, N = sum(n_t) rows, and a
        # row N (zero in the outputs; an unused copy of an input row in the inputs). The row b (caller's
        # order) of step t is row t*B + b of the flattened [T*B] inputs and outputs and row
        # offset_t + (b's place in the order) of the packed steps, or row N past its length.
        running_at = tf.where(tf.range(bound)[:, None] < ordered[None, :])  # int64 [N, 2]: (t, i)
        pack = tf.concat([tf.cast(running_at[:, 0], tf.int32) * batch
                          + tf.gather(order, tf.cast(running_at[:, 1], tf.int32)), [0]], 0)  # [N + 1] into [T*B]
        offset = tf.cumsum(live, exclusive=True)  # [bound + 1]: where step t starts
        running = tf.range(time_steps)[:, None] < key[None, :]  # [T, B]
        place = tf.concat([offset[:bound], tf.fill([time_steps - bound], 0)], 0)[:, None] + tf.math.invert_permutation(order)
        unpack = tf.reshape(tf.where(running, place, tf.fill(tf.shape(running), tf.size(pack) - 1)), [-1])  # [T*B]

        def packed_steps(x):  # [T, B, ...] -> [N + 1, ...]
            return _move_rows(tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0)), pack, unpack)

        # element t: the inputs of step t [n_t, ...]; element `bound`: row N, never read
        input_tas = [tf.TensorArray(x.dtype, size=bound + 1, infer_shape=False, element_shape=[None] + x.shape[2:])
                     .split(packed_steps(x), tf.concat([live[:bound], [1]], 0)) for x in steps]

        if initial_state is None:
            state = cell.zero_state(batch, dtype)
        else:
            restore = tf.math.invert_permutation(order)
            state = tf.nest.map_structure(lambda s: _permute(s, order, restore, 0), initial_state)
        flat_state = tf.nest.flatten(state)
        running = [s[:live[0]] for s in flat_state]
        idle = [s[live[0]:] for s in flat_state]  # the rows of length 0: their final state is the initial one
        out_dtype = dtype or flat_state[0].dtype
        flat_out_sizes = tf.nest.flatten(cell.output_size)
        out_tas = [tf.TensorArray(out_dtype, size=bound + 1, infer_shape=False, element_shape=_rows_of(size))
                   for size in flat_out_sizes]
        final_tas = [tf.TensorArray(s.dtype, size=bound, infer_shape=False, element_shape=_rows_of(s.shape[1:]))
                     for s in flat_state]

        def step(t, running, out_tas, final_tas):
            x_t = tf.nest.pack_sequence_as(inputs, [ta.read(t) for ta in input_tas])
            output, new_state = cell(x_t, tf.nest.pack_sequence_as(state, running))
            tf.nest.assert_same_structure(state, new_state)
            n, n_next = live[t], live[t + 1]
            # the rows n_next: n end at step t: their state is final; the first n_next go on
            parts = [tf.split(s, tf.stack([n_next, n - n_next]), num=2) for s in tf.nest.flatten(new_state)]
            final_tas = [ta.write(t, p[1]) for ta, p in zip(final_tas, parts)]
            out_tas = [ta.write(t, o) for ta, o in zip(out_tas, tf.nest.flatten(output))]
            return t + 1, [p[0] for p in parts], out_tas, final_tas

        _, _, out_tas, final_tas = tf.while_loop(
            lambda t, *_: t < bound, step, (tf.constant(0), running, out_tas, final_tas),
            shape_invariants=(tf.TensorShape([]), [tf.TensorShape([None]).concatenate(s.shape[1:]) for s in running],
                              [tf.TensorShape(None)] * len(out_tas), [tf.TensorShape(None)] * len(final_tas)),
            parallel_iterations=parallel_iterations or 32, swap_memory=swap_memory)

        outputs = []
        for ta, size in zip(out_tas, flat_out_sizes):
            packed = ta.write(bound, tf.zeros(_rows_of(size)[1:].as_list(), out_dtype)[None]).concat()  # [N + 1, ...]
            o = tf.reshape(_move_rows(packed, unpack, pack), tf.concat([[time_steps, batch], tf.shape(packed)[1:]], 0))
            o.set_shape(steps[0].shape[:2].concatenate(packed.shape[1:]))
            outputs.append(o if time_major else tf.transpose(o, [1, 0] + list(range(2, o.shape.rank))))
        outputs = tf.nest.pack_sequence_as(cell.output_size, outputs)
        # final_tas hold the rows by the step they end at (ascending length, ties in the caller's order),
        # then come the rows of length 0
        ends = tf.argsort(tf.where(key > 0, key, tf.fill(tf.shape(key), time_steps + 1)), stable=True)
        back = tf.math.invert_permutation(ends)
        final_state = []
        for ta, rest, s in zip(final_tas, idle, flat_state):
            f = _permute(tf.concat([ta.concat(), rest], 0), back, ends, 0)
            f.set_shape(s.shape)
            final_state.append(f)
        final_state = tf.nest.pack_sequence_as(state, final_state)
    return outputs, final_state


__all__ = ["packed_dynamic_rnn"]
