"""DIEN's blocks (Zhou et al., "Deep Interest Evolution Network", AAAI 2019).

* ``interest_extractor``: a GRU over the behaviour embeddings, run by TensorFlow's own
  ``dynamic_rnn`` with the real lengths: interests h_t [B, T, H];
* ``sample_negative_positions`` and ``auxiliary_loss``: each interest h_t scores the next
  real behaviour e_{t+1} against a sampled negative behaviour;
* ``interest_evolution``: the target item attends over the interests with DIN's
  activation unit (``DINModel``), and the attention scores drive an attention-gated GRU:
  ``AUGRUCell`` (the paper's choice, the default), ``AGRUCell`` or ``AIGRUCell``.

The three gated cells subclass the public ``tf1_recsys.compat.rnn_cell.GRUCell`` (an
``RNNCell``): their input at step t is ``concat([x_t, a_t])``, the behaviour's interest
x_t [B, H_in] and its attention score a_t [B, 1] as the last column, so that
``dynamic_rnn`` carries the score with the step. Their variables are ``GRUCell``'s
(``gates/kernel`` [H_in + H, 2H], ``gates/bias``, ``candidate/kernel`` [H_in + H, H],
``candidate/bias``): the score column has no weights.

The GRU convention is TensorFlow's: the update gate u keeps the old state,
``h_t = u * h_{t-1} + (1 - u) * c``. The paper writes the same GRU with its gate
u' = 1 - u moving towards the candidate; the attention acts on u' as the paper says:

* AUGRU: ``h_t = h_{t-1} + a_t (1 - u) (c - h_{t-1})`` (u' scaled by a_t);
* AGRU:  ``h_t = (1 - a_t) h_{t-1} + a_t c`` (a_t replaces u');
* AIGRU: the GRU on ``a_t x_t``.

Each reduces to "keep the state" where a_t = 0. (The authors' released ``VecAttGRUCell``
scales the other gate, u, by 1 - a_t; this module follows the paper's equations.)

Speed (``interest_extractor`` and ``interest_evolution``): a GRU step computes
``concat([x_t, h]) @ W``, whose x_t rows do not depend on the state. Before the loop,
``project_inputs`` computes ``x_t @ W_x`` for all T steps in one matmul (W_x: the input
rows of ``gates/kernel`` and ``candidate/kernel``, sliced, so the variables stay
``GRUCell``'s), and the cell then takes these projections as its step input and adds
``h @ W_h`` (the recurrent rows, split per gate) in the loop: no concatenation, no gate
split and smaller matmuls per step, the same function up to float rounding.
"""
from tf1_recsys._tf import as_float_tensor, check_rank, require_graph_mode, shape_str, static_last_dim, tf
from tf1_recsys.compat.rnn_cell import GRUCell
from tf1_recsys.compat.layers.input_spec import InputSpec
from tf1_recsys.compat.rnn_cell.base import check_input_dtypes
from tf1_recsys.layers.core import dense, get_variable_in_scope, positive_int
from tf1_recsys.layers.packed_rnn import packed_by_default, packed_dynamic_rnn
from tf1_recsys.layers.sequence import DINModel

GRU_TYPES = ("AUGRU", "AGRU", "AIGRU")


class _ProjectedInputs(object):
    """Mixin of a ``GRUCell``: the input terms of every step computed once, before the loop.

    ``project_inputs(x)`` builds the cell (in the current variable scope: open the scope
    that ``dynamic_rnn`` will open, ``rnn``, so the variables keep their names) and returns
    ``(x @ W_xr, x @ W_xu, x @ W_xc)``, each [B, T, H]; from then on the cell's step input
    is that triple at step t (plus what a subclass appends, e.g. the attention score),
    and ``gates`` / ``candidate`` add the recurrent terms ``h @ W_h*`` and the biases.
    """

    _recurrent = None

    def project_inputs(self, inputs, extra_columns=0):
        """inputs float [B, T, D] (or time-major [T, B, D]) -> three [B, T, H] (or [T, B, H]) tensors;
        ``extra_columns``: step-input columns beyond D that the cell's ``build`` expects (1 for the
        attention score)."""
        depth = int(inputs.shape[-1])
        if not self.built:
            if self._dtype is None:
                self._dtype = inputs.dtype.base_dtype.name
            self.build(tf.TensorShape([None, depth + extra_columns]))
            self.built = True
        units = self._num_units
        gates, candidate = self._gate_kernel, self._candidate_kernel
        w_x = tf.concat([gates[:depth], candidate[:depth]], axis=1)  # [D, 3H]
        flat = tf.matmul(tf.reshape(inputs, [-1, depth]), w_x)  # [B*T, 3H]
        projected = tf.reshape(flat, tf.concat([tf.shape(inputs)[:2], [3 * units]], 0))
        projected.set_shape(inputs.shape[:2].concatenate([3 * units]))
        self._recurrent = (gates[depth:, :units], gates[depth:, units:], candidate[depth:],
                           self._gate_bias[:units], self._gate_bias[units:])
        self.input_spec = tuple(InputSpec(ndim=2) for _ in range(3 + extra_columns))
        return tuple(tf.split(projected, 3, axis=-1))

    def gates(self, inputs, state):
        if self._recurrent is None:
            return super(_ProjectedInputs, self).gates(inputs, state)
        x_r, x_u, _ = inputs
        w_r, w_u, _, b_r, b_u = self._recurrent
        return (tf.sigmoid(tf.nn.bias_add(x_r + tf.matmul(state, w_r), b_r)),
                tf.sigmoid(tf.nn.bias_add(x_u + tf.matmul(state, w_u), b_u)))

    def candidate(self, inputs, r_state):
        if self._recurrent is None:
            return super(_ProjectedInputs, self).candidate(inputs, r_state)
        return self._activation(tf.nn.bias_add(inputs[2] + tf.matmul(r_state, self._recurrent[2]),
                                               self._candidate_bias))


class _ExtractorGRUCell(_ProjectedInputs, GRUCell):
    """``GRUCell`` (same name, variables and step) taking ``project_inputs``' triple as its input."""


class _AttentionGRUCell(_ProjectedInputs, GRUCell):
    """A ``GRUCell`` whose input carries the attention score a_t [B, 1] as its last column
    (after ``project_inputs``: the four-tuple ``(x_r, x_u, x_c, a_t)``)."""

    def build(self, inputs_shape):
        shape = tf.TensorShape(inputs_shape)
        depth = tf.compat.dimension_value(shape[-1])
        if depth is not None and depth < 2:
            raise ValueError("%s: the input must be concat([x_t, a_t]) with at least one interest column and the "
                             "score last; got input shape %s." % (type(self).__name__, shape))
        super(_AttentionGRUCell, self).build(shape[:-1].concatenate([None if depth is None else depth - 1]))

    def call(self, inputs, state):
        check_input_dtypes([inputs, state])
        if self._recurrent is not None:
            return self.attend_step(tuple(inputs[:3]), inputs[3], state)
        x, score = inputs[:, :-1], inputs[:, -1:]
        return self.attend_step(x, score, state)

    def attend_step(self, x, score, state):
        raise NotImplementedError


class AUGRUCell(_AttentionGRUCell):
    """GRU with attentional update gate: ``h_t = h + a_t (1 - u) (c - h)`` (TF's u keeps the state)."""

    def attend_step(self, x, score, state):
        r, u = self.gates(x, state)
        c = self.candidate(x, r * state)
        new_h = state + score * (1 - u) * (c - state)
        return new_h, new_h


class AGRUCell(_AttentionGRUCell):
    """Attention-based GRU: the score replaces the update gate, ``h_t = (1 - a_t) h + a_t c``."""

    def attend_step(self, x, score, state):
        r, _ = self.gates(x, state)
        c = self.candidate(x, r * state)
        new_h = (1 - score) * state + score * c
        return new_h, new_h


class AIGRUCell(_AttentionGRUCell):
    """GRU with attentional input: the plain GRU step on ``a_t * x_t``."""

    def attend_step(self, x, score, state):
        if self._recurrent is not None:  # (a x) W = a (x W): the projections scale like the input
            return GRUCell.call(self, tuple(score * t for t in x), state)
        return GRUCell.call(self, score * x, state)


_CELLS = {"AUGRU": AUGRUCell, "AGRU": AGRUCell, "AIGRU": AIGRUCell}


def _lengths(fn, mask, keys):
    mask = tf.convert_to_tensor(mask)
    check_rank(fn, "mask", mask, rank=2)
    if not mask.shape.is_compatible_with(keys.shape[:2]):
        raise ValueError("%s: `mask` must have shape [batch, behaviours] of `keys`; got mask %s and keys %s."
                         % (fn, shape_str(mask), shape_str(keys)))
    if mask.dtype != tf.bool:
        mask = tf.not_equal(mask, tf.zeros([], mask.dtype))
    return mask, tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)


def interest_extractor(behaviours, mask, hidden_size, name="interest_extractor", packed=None):
    """The interest extractor layer: a ``GRUCell`` over the behaviours, up to each row's real length.

    Behaviours are left-aligned (padding on the right); the length of a row is its number
    of real behaviours. Variables: ``<name>/rnn/gru_cell/{gates,candidate}/{kernel,bias}``.
    The recurrence is ``packed_dynamic_rnn`` (the cell run only on the rows not yet past their
    length; the same results as ``tf.nn.dynamic_rnn``), or ``tf.nn.dynamic_rnn`` itself: ``packed``.

    Args:
      behaviours: float [B, T, E], the behaviour embeddings e_t.
      mask: [B, T], 1 (or True) = real behaviour, 0 = padding.
      hidden_size: H.
      packed: True: the GRU runs by ``packed_dynamic_rnn``; False: by ``tf.nn.dynamic_rnn``; None
        (default): packed unless the graph builds TF1's loops (``disable_control_flow_v2``, as for an
        ONNX export: tf2onnx converts ``dynamic_rnn``'s TF1 loop, not the packed one).

    Returns:
      ``(interests [B, T, H], lengths int32 [B])``; interests are 0 at padded positions.
    """
    fn = "interest_extractor"
    require_graph_mode(fn)
    behaviours = as_float_tensor(fn, "behaviours", behaviours)
    check_rank(fn, "behaviours", behaviours, rank=3)
    static_last_dim(fn, "behaviours", behaviours)
    hidden_size = positive_int(fn, "hidden_size", hidden_size)
    _, lengths = _lengths(fn, mask, behaviours)
    packed = packed_by_default(packed)
    with tf.variable_scope(name):
        cell = _ExtractorGRUCell(hidden_size, name="gru_cell")
        with tf.variable_scope("rnn") as rnn:  # dynamic_rnn's scope: the variables are rnn/gru_cell/...
            # packed_dynamic_rnn takes the batch-major steps as they are; for dynamic_rnn time-major [T, B, .]
            # from the start: one transpose in, one out, not one per projection
            steps = cell.project_inputs(behaviours if packed else tf.transpose(behaviours, [1, 0, 2]))
        if packed:
            interests, _ = packed_dynamic_rnn(cell, steps, sequence_length=lengths, dtype=behaviours.dtype, scope=rnn)
        else:
            interests, _ = tf.nn.dynamic_rnn(cell, steps, sequence_length=lengths, dtype=behaviours.dtype,
                                             time_major=True, scope=rnn)
            interests = tf.transpose(interests, [1, 0, 2])
    return interests, lengths


def sample_negative_positions(mask, key=None, seed=0, name="negative_positions"):
    """For every position (b, t), the flat index b' * T + t' of a real behaviour of the batch.

    The sampler: uniform over the real (unpadded) behaviours of the whole batch, drawn
    independently per position by ``tf.random.stateless_uniform`` seeded with
    ``[seed, k]``, where k is a checksum of ``key`` (the batch's behaviour ids): the
    negatives are a function of the seed and the batch alone, so a run resumed from a
    checkpoint draws what the uninterrupted run drew, and a shuffled epoch draws anew.
    Gathering every sequence of a group (item, category, ...) at the same index keeps a
    negative behaviour consistent, and draws items by their frequency in the data, as
    the paper's negatives taken from logged behaviours. A draw may hit the positive
    itself, with probability about 1 / (real behaviours in the batch). Where the batch has
    no real behaviour the index is 0 (a padding position, masked by the loss anyway).

    Args:
      mask: [B, T], 1 (or True) = real behaviour.
      key: integer [B, T] (default ``mask``), the ids whose checksum seeds the draw.
      seed: a Python int.

    Returns:
      int64 [B, T] indices into the [B * T] flattened sequences.
    """
    fn = "sample_negative_positions"
    require_graph_mode(fn)
    mask = tf.convert_to_tensor(mask)
    check_rank(fn, "mask", mask, rank=2)
    key = mask if key is None else tf.convert_to_tensor(key)
    if not key.shape.is_compatible_with(mask.shape):
        raise ValueError("%s: `key` must have the shape of `mask`; got key %s and mask %s."
                         % (fn, shape_str(key), shape_str(mask)))
    if mask.dtype != tf.bool:
        mask = tf.not_equal(mask, tf.zeros([], mask.dtype))
    with tf.name_scope(name):
        real = tf.concat([tf.reshape(tf.where(tf.reshape(mask, [-1])), [-1]), tf.zeros([1], tf.int64)], 0)
        count = tf.maximum(tf.shape(real, out_type=tf.int64)[0] - 1, 1)
        flat = tf.reshape(tf.cast(key, tf.int64), [-1])
        weights = tf.range(1, tf.size(flat, out_type=tf.int64) + 1)
        checksum = tf.math.floormod(tf.reduce_sum(tf.math.floormod(flat * weights, 2 ** 31 - 1)), 2 ** 31 - 1)
        seeds = tf.stack([tf.constant(int(seed), tf.int64), checksum])
        draw = tf.random.stateless_uniform(tf.shape(mask, out_type=tf.int64), seeds, minval=tf.zeros([], tf.int64),
                                           maxval=count, dtype=tf.int64)
        return tf.gather(real, draw)


def auxiliary_loss(interests, positives, negatives, mask, layers=(100, 50), name="auxiliary_net"):
    """DIEN's auxiliary loss: h_t should tell the next behaviour e_{t+1} from a negative one.

    Each pair goes through one shared network ``<name>``: ``concat([h_t, e])`` -> dense
    layers ``layer_i`` (sigmoid, widths ``layers``) -> ``logit`` (one unit), scored
    ``sigmoid(logit)``; only the real pairs are computed (gathered, the positive and the
    negative ones as one batch), and ``layer_0`` multiplies h_t by its rows of the kernel once
    for both. The loss is the mean over the N real pairs of

        - log sigmoid(logit(h_t, e_{t+1})) - log(1 - sigmoid(logit(h_t, neg_{t+1}))).

    Args:
      interests: float [B, T, H], the extractor's h_t.
      positives: float [B, T, E], the behaviours e_t (the loss pairs h_t with e_{t+1}).
      negatives: float [B, T, E], a negative behaviour for each position (paired likewise).
      mask: [B, T], 1 = real behaviour; pair t counts when position t + 1 is real.
      layers: the hidden widths; () scores with one linear layer.

    Returns:
      The scalar loss (0 when no pair is real).
    """
    fn = "auxiliary_loss"
    require_graph_mode(fn)
    interests = as_float_tensor(fn, "interests", interests)
    positives = as_float_tensor(fn, "positives", positives)
    negatives = as_float_tensor(fn, "negatives", negatives)
    for arg, t in (("interests", interests), ("positives", positives), ("negatives", negatives)):
        check_rank(fn, arg, t, rank=3)
        static_last_dim(fn, arg, t)
    if not positives.shape.is_compatible_with(negatives.shape):
        raise ValueError("%s: `positives` and `negatives` must have one shape; got %s and %s."
                         % (fn, shape_str(positives), shape_str(negatives)))
    if not interests.shape[:2].is_compatible_with(positives.shape[:2]):
        raise ValueError("%s: `interests` and `positives` must share [batch, behaviours]; got %s and %s."
                         % (fn, shape_str(interests), shape_str(positives)))
    mask, _ = _lengths(fn, mask, positives)
    # Only the N real pairs go through the network, positives and negatives as one batch [2N, H + E].
    # Pair (b, t) takes row b*T + t of the flattened interests and row b*T + t + 1 of the flattened
    # behaviours (gathered from the [B*T] rows directly: no [:, :-1] / [:, 1:] slices to differentiate).
    coords = tf.where(mask[:, 1:])  # int64 [N, 2]: (b, t) with t + 1 real
    real = coords[:, 0] * tf.shape(mask, out_type=tf.int64)[1] + coords[:, 1]  # int64 [N] into [B * T]

    def rows(t, index):
        return tf.gather(tf.reshape(t, [-1, tf.compat.dimension_value(t.shape[-1])]), index)

    h, following = rows(interests, real), real + 1
    e = tf.concat([rows(positives, following), rows(negatives, following)], 0)  # [2N, E]
    with tf.variable_scope(name):
        if layers:
            x = _first_layer(h, e, layers[0], "layer_0")
            for i, units in enumerate(layers[1:], 1):
                x = dense(x, units, activation=tf.sigmoid, name="layer_%d" % i)
        else:
            x = tf.concat([tf.concat([h, h], 0), e], -1)
        pos, neg = tf.split(tf.squeeze(dense(x, 1, name="logit"), -1), 2)  # [N] each
    xent = (tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(pos), logits=pos)
            + tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(neg), logits=neg))
    return tf.math.divide_no_nan(tf.reduce_sum(xent), tf.cast(tf.size(real), xent.dtype), name="auxiliary_loss")


def _first_layer(h, e, units, name):
    """``dense(concat([[h; h], e]), units, sigmoid)`` with h [N, H] and e [2N, E] (the positive and
    the negative rows), computing ``h @ W_h`` once for both: [2N, units], ``dense``'s variables."""
    depth_h, depth_e = int(h.shape[-1]), int(e.shape[-1])
    with tf.variable_scope(name):
        kernel = get_variable_in_scope("auxiliary_loss", "kernel", shape=[depth_h + depth_e, units], dtype=h.dtype)
        bias = get_variable_in_scope("auxiliary_loss", "bias", shape=[units], dtype=h.dtype,
                                     initializer=tf.zeros_initializer())
    from_h = tf.nn.bias_add(tf.matmul(h, kernel[:depth_h]), bias)  # [N, units], the bias added once too
    from_e = tf.reshape(tf.matmul(e, kernel[depth_h:]), [2, -1, units])  # [2, N, units]: positive, negative
    return tf.sigmoid(tf.reshape(from_e + from_h, [-1, units]))


def interest_evolution(interests, query, mask, gru_type="AUGRU", attention_layers=(80, 40), training=False,
                       layer_norm=False, name="interest_evolution", packed=None):
    """The interest evolving layer: target attention over the interests, then an attention-gated GRU.

    1. the query is projected to H (``query_projection``, dense) and scored against every
       interest by DIN's activation unit (``DINModel`` under ``attention``); the scores are
       a softmax over the real behaviours (the paper's a_t), 0 at padding. The interests
       are taken as exactly 0 at the padded positions (set so here, whatever the caller
       passes there, as ``interest_extractor`` returns them), so the activation unit runs
       on the real positions only, with Dice's batch statistics those of all B*T positions
       (``DINModel(zero_padded_keys=True)``);
    2. ``packed_dynamic_rnn`` (or ``tf.nn.dynamic_rnn``, the same results: ``packed``) runs the
       ``gru_type`` cell (under ``rnn/<cell>``, e.g. ``rnn/augru_cell``) over ``concat([h_t, a_t])``
       up to each row's real length.

    Args:
      interests: float [B, T, H].
      query: float [B, Q], the target item's embedding.
      mask: [B, T], 1 = real behaviour.
      gru_type: 'AUGRU' (default), 'AGRU' or 'AIGRU'.
      attention_layers: ``DINModel.layer_size``.
      training: for Dice's batch normalisation in the activation unit.
      layer_norm: ``DINModel``'s ``is_bn``.
      packed: as ``interest_extractor``'s (default None: packed unless TF1's loops).

    Returns:
      ``(final interest [B, H], scores [B, T])``.
    """
    fn = "interest_evolution"
    require_graph_mode(fn)
    if gru_type not in _CELLS:
        raise ValueError("%s: `gru_type` must be one of %s; got %r." % (fn, ", ".join(GRU_TYPES), gru_type))
    interests = as_float_tensor(fn, "interests", interests)
    query = as_float_tensor(fn, "query", query)
    check_rank(fn, "interests", interests, rank=3)
    check_rank(fn, "query", query, rank=2)
    hidden = static_last_dim(fn, "interests", interests)
    static_last_dim(fn, "query", query)
    mask, lengths = _lengths(fn, mask, interests)
    packed = packed_by_default(packed)
    with tf.variable_scope(name):
        q = dense(query, hidden, name="query_projection")  # [B, H]
        interests = tf.where_v2(mask[:, :, None], interests, tf.zeros_like(interests))
        attend = DINModel(layer_size=attention_layers, tile_queries=False, zero_padded_keys=True)
        _, scores = attend(q[:, None, None, :], interests[:, None], is_bn=layer_norm, name="attention",
                           training=training, mask=mask[:, None], return_weights=True,
                           weight_normalization="softmax")
        scores = scores[:, 0, :]  # [B, T]
        cell = _CELLS[gru_type](hidden, name=gru_type.lower() + "_cell")
        with tf.variable_scope("rnn") as rnn:  # dynamic_rnn's scope: the variables are rnn/<cell>/...
            # batch-major as packed_dynamic_rnn takes them; time-major for dynamic_rnn
            steps = cell.project_inputs(interests if packed else tf.transpose(interests, [1, 0, 2]), extra_columns=1)
        if packed:
            _, final = packed_dynamic_rnn(cell, steps + (scores[:, :, None],), sequence_length=lengths,
                                          dtype=interests.dtype, scope=rnn)
        else:
            _, final = tf.nn.dynamic_rnn(cell, steps + (tf.transpose(scores)[:, :, None],), sequence_length=lengths,
                                         dtype=interests.dtype, time_major=True, scope=rnn)
    return final, scores


__all__ = ["AUGRUCell", "AGRUCell", "AIGRUCell", "GRU_TYPES", "interest_extractor", "sample_negative_positions",
           "auxiliary_loss", "interest_evolution"]
