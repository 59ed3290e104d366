"""Blocks over behaviour sequences: scaled dot-product and multi-head attention, DIN.

Two mask conventions meet here, each kept from the notes:

* attention (``scaled_dot_product_attention``, ``MultiHeadAttention``): ``mask`` 1 means
  BLOCKED (the position gets ``-1e9`` added to its logit);
* DIN (``DINModel``): ``mask`` 1 means a REAL behaviour and 0 means padding (the
  position gets weight exactly 0), like ``tf.sequence_mask`` of the sequence lengths.
"""
import numbers

from tf1_recsys._tf import (
    as_float_tensor,
    check_rank,
    check_training,
    require_graph_mode,
    shape_str,
    static_last_dim,
    tf,
)
from tf1_recsys.layers.activation import dice
from tf1_recsys.layers.core import dense, get_variable_in_scope, positive_int, xavier_initializer
from tf1_recsys.layers.normalization import layer_normalization


def _check_dims_match(fn, name_a, a, axis_a, name_b, b, axis_b, what):
    da, db = a.shape[axis_a], b.shape[axis_b]
    if da is not None and db is not None and int(da) != int(db):
        raise ValueError(
            "%s: %s of `%s` and `%s` must match; got %s %s and %s %s."
            % (fn, what, name_a, name_b, name_a, shape_str(a), name_b, shape_str(b)))


def _check_same_dtype(fn, **tensors):
    """ValueError naming the arguments when float tensors that meet in one matmul differ in dtype."""
    dtypes = {name: t.dtype.base_dtype for name, t in tensors.items()}
    if len(set(dtypes.values())) > 1:
        raise ValueError("%s: %s must have one dtype; got %s." % (
            fn, ", ".join("`%s`" % n for n in dtypes), ", ".join("%s %s" % (n, d.name) for n, d in dtypes.items())))


_MHA_MASKS = ("[B, 1, 1, seq_len_k] (padding), [1, 1, seq_len_q, seq_len_k] (look-ahead), "
              "[B, 1, seq_len_q, seq_len_k] or [B, num_heads, seq_len_q, seq_len_k]")


def _check_attention_mask(fn, mask, q, k, num_heads):
    """The rank-4 mask of ``MultiHeadAttention``; ValueError for a shape whose broadcast is ambiguous.

    A rank-2 ``[B, seq_len_k]`` mask would broadcast against ``[B, H, seq_len_q, seq_len_k]``
    as ``[seq_len_q, seq_len_k]`` when B equals seq_len_q: the padding of example i would
    block position i of every example. Only rank-4 masks are accepted.
    """
    mask = tf.convert_to_tensor(mask)
    if mask.shape.rank != 4:
        raise ValueError("%s: `mask` must have rank 4, one of %s; got shape %s. For a padding mask "
                         "[B, seq_len_k] write mask[:, None, None, :]." % (fn, _MHA_MASKS, shape_str(mask)))
    want = [q.shape[0], num_heads, q.shape[1], k.shape[1]]
    for axis, (got, full) in enumerate(zip(mask.shape.as_list(), want)):
        full = tf.compat.dimension_value(full)
        if got is not None and got != 1 and full is not None and got != full:
            raise ValueError("%s: `mask` has shape %s, which does not broadcast to [B, num_heads, seq_len_q, "
                             "seq_len_k] = %s (axis %d); use one of %s."
                             % (fn, shape_str(mask), shape_str(want), axis, _MHA_MASKS))
    if mask.shape.as_list()[-1] == 1 and tf.compat.dimension_value(k.shape[1]) not in (None, 1):
        raise ValueError("%s: `mask` must have seq_len_k = %s entries on its last axis; got shape %s."
                         % (fn, tf.compat.dimension_value(k.shape[1]), shape_str(mask)))
    return mask


def _layer_size(fn, layer_size):
    try:
        sizes = tuple(layer_size)
    except TypeError:
        sizes = ()
    if len(sizes) != 2:
        raise ValueError("%s: `layer_size` must be a pair of positive ints; got %r." % (fn, layer_size))
    return tuple(positive_int(fn, "layer_size[%d]" % i, s) for i, s in enumerate(sizes))


def scaled_dot_product_attention(Q, K, V, mask=None):
    """``softmax(Q K^T / sqrt(d_k) + mask * -1e9) V``.

    Args:
      Q: float tensor [..., seq_len_q, depth].
      K: float tensor [..., seq_len_k, depth].
      V: float tensor [..., seq_len_k, depth_v].
      mask: tensor broadcastable to [..., seq_len_q, seq_len_k]; 1 = blocked, 0 = kept.
        A row whose keys are all blocked gets uniform weights, as in the notes.

    Returns:
      ``(output, attention_weights)``: [..., seq_len_q, depth_v] and
      [..., seq_len_q, seq_len_k].
    """
    fn = "scaled_dot_product_attention"
    require_graph_mode(fn)
    Q = as_float_tensor(fn, "Q", Q)
    K = as_float_tensor(fn, "K", K)
    V = as_float_tensor(fn, "V", V)
    for arg, t in (("Q", Q), ("K", K), ("V", V)):
        check_rank(fn, arg, t, min_rank=2)
    _check_same_dtype(fn, Q=Q, K=K, V=V)
    _check_dims_match(fn, "Q", Q, -1, "K", K, -1, "the depths (last dimensions)")
    _check_dims_match(fn, "K", K, -2, "V", V, -2, "the sequence lengths (axis -2)")
    matmul_qk = tf.matmul(Q, K, transpose_b=True)  # [..., seq_len_q, seq_len_k]
    dk = tf.cast(tf.shape(K)[-1], matmul_qk.dtype)
    logits = matmul_qk / tf.sqrt(dk)
    if mask is not None:
        logits += tf.cast(mask, logits.dtype) * -1e9
    attention_weights = tf.nn.softmax(logits, axis=-1)
    output = tf.matmul(attention_weights, V)  # [..., seq_len_q, depth_v]
    return output, attention_weights


class MultiHeadAttention(object):
    """Multi-head attention (Vaswani et al., 2017) as in the notes, weights shared across calls.

    Variables under ``name``: ``wq``, ``wk``, ``wv`` and ``dense`` (the output
    projection), each ``kernel`` [in, d_model] without bias, as the notes
    (``use_bias=False``). They are created on the first call; later calls reuse them.
    """

    def __init__(self, d_model, num_heads, name="multi_head_attention", kernel_initializer=None):
        fn = "MultiHeadAttention"
        self.d_model = positive_int(fn, "d_model", d_model)
        self.num_heads = positive_int(fn, "num_heads", num_heads)
        if self.d_model % self.num_heads:
            raise ValueError(
                "%s: `d_model` must be divisible by `num_heads`; got d_model=%d and num_heads=%d."
                % (fn, self.d_model, self.num_heads))
        self.depth = self.d_model // self.num_heads
        self.name = name
        self.kernel_initializer = kernel_initializer
        self._scope = None
        self._graph = None

    def split_heads(self, x, batch_size):
        """[B, L, d_model] -> [B, num_heads, L, depth]."""
        x = tf.reshape(x, [batch_size, -1, self.num_heads, self.depth])
        return tf.transpose(x, perm=[0, 2, 1, 3])

    def __call__(self, v, k, q, mask=None):
        """Attends from ``q`` over ``k``/``v``.

        Args:
          v: float tensor [B, seq_len_k, d_v].
          k: float tensor [B, seq_len_k, d_k].
          q: float tensor [B, seq_len_q, d_q].
          mask: rank 4, broadcastable to [B, num_heads, seq_len_q, seq_len_k]: [B, 1, 1,
            seq_len_k] (padding), [1, 1, seq_len_q, seq_len_k] (look-ahead), [B, 1,
            seq_len_q, seq_len_k] or the full shape; 1 = blocked. Lower ranks raise
            ValueError: their broadcast depends on whether B equals seq_len_q.

        Returns:
          ``(output, attention_weights)``: [B, seq_len_q, d_model] and
          [B, num_heads, seq_len_q, seq_len_k].
        """
        fn = "MultiHeadAttention"
        require_graph_mode(fn)
        v = as_float_tensor(fn, "v", v)
        k = as_float_tensor(fn, "k", k)
        q = as_float_tensor(fn, "q", q)
        for arg, t in (("v", v), ("k", k), ("q", q)):
            check_rank(fn, arg, t, rank=3)
            static_last_dim(fn, arg, t)
        _check_same_dtype(fn, v=v, k=k, q=q)
        _check_dims_match(fn, "k", k, 1, "v", v, 1, "the sequence lengths (axis 1)")
        if mask is not None:
            mask = _check_attention_mask(fn, mask, q, k, self.num_heads)
        graph = tf.get_default_graph()
        if self._scope is None:
            with tf.variable_scope(self.name) as scope:
                out = self._attend(v, k, q, mask)
            self._scope, self._graph = scope, graph
            return out
        if graph is not self._graph:
            raise ValueError("%s '%s' was built in another graph; create a new module for this graph."
                             % (fn, self.name))
        with tf.variable_scope(self._scope, reuse=True):
            return self._attend(v, k, q, mask)

    def _attend(self, v, k, q, mask):
        batch_size = tf.shape(q)[0]
        project = lambda x, name: dense(x, self.d_model, use_bias=False,
                                        kernel_initializer=self.kernel_initializer, name=name)
        q = self.split_heads(project(q, "wq"), batch_size)  # [B, H, seq_len_q, depth]
        k = self.split_heads(project(k, "wk"), batch_size)  # [B, H, seq_len_k, depth]
        v = self.split_heads(project(v, "wv"), batch_size)  # [B, H, seq_len_k, depth]
        scaled_attention, attention_weights = scaled_dot_product_attention(q, k, v, mask)
        scaled_attention = tf.transpose(scaled_attention, perm=[0, 2, 1, 3])
        concat_attention = tf.reshape(scaled_attention, [batch_size, -1, self.d_model])
        return project(concat_attention, "dense"), attention_weights


def din(queries, keys, layer_size, training=False, att1_activation=None, momentum=0.99):
    """The notes' "DIN simple": per-dimension activation weights of each behaviour.

    ``h = [q, k, q - k, q * k]``; ``w = att2(dice(att1(h)))``; output ``w * keys``.
    Creates ``att1``, ``att2``, ``dice_alphadice_layer`` and ``dice_normdice_layer/...``
    in the caller's current variable scope, as the notes.

    Args:
      queries: float tensor [B, 1, E].
      keys: float tensor [B, T, E].
      layer_size: (att1 units, att2 units); att2 units must be E (one weight per
        dimension) or 1 (one weight per behaviour) to multiply ``keys``.
      training: Python bool or scalar bool tensor, for Dice's batch normalization.
      att1_activation: the notes pass 'sigmoid' although their own comment says the layer
        before Dice should have none; the default None follows the comment, and
        ``att1_activation='sigmoid'`` restores the notes' numbers.
      momentum: Dice's batch-norm decay.

    Returns:
      The weighted keys [B, T, E] (not summed over T, as the notes).
    """
    fn = "din"
    require_graph_mode(fn)
    queries = as_float_tensor(fn, "queries", queries)
    keys = as_float_tensor(fn, "keys", keys)
    _check_same_dtype(fn, queries=queries, keys=keys)
    check_rank(fn, "queries", queries, rank=3)
    check_rank(fn, "keys", keys, rank=3)
    if queries.shape[1] != 1:
        raise ValueError("%s: `queries` must have shape [batch, 1, embedding]; got %s."
                         % (fn, shape_str(queries)))
    embedding = static_last_dim(fn, "keys", keys)
    static_last_dim(fn, "queries", queries)
    _check_dims_match(fn, "queries", queries, -1, "keys", keys, -1, "the embedding sizes")
    _check_dims_match(fn, "queries", queries, 0, "keys", keys, 0, "the batch sizes")
    sizes = _layer_size(fn, layer_size)
    if sizes[1] not in (1, embedding):
        raise ValueError(
            "%s: `layer_size[1]` (att2 units) must be 1 or the embedding size of `keys` to "
            "multiply them; got layer_size=%r and keys %s."
            % (fn, tuple(layer_size), shape_str(keys)))
    training = check_training(fn, training)

    queries = tf.tile(queries, [1, tf.shape(keys)[1], 1])  # [B, 1, E] -> [B, T, E]
    din_input = tf.concat([queries, keys, queries - keys, queries * keys], axis=-1)
    din_layer1 = dense(din_input, sizes[0], activation=att1_activation, name="att1")
    dice_layer = dice(din_layer1, name="dice_layer", training=training, momentum=momentum)
    din_layer2 = dense(dice_layer, sizes[1], activation=None, name="att2")
    return din_layer2 * keys


WEIGHT_NORMALIZATIONS = (None, "mean", "softmax")


class DINModel(object):
    """Deep Interest Network attention (Zhou et al., 2018) over S slots of T behaviours.

    For each slot, the query is compared with each behaviour key by the MLP
    ``layer1`` (ReLU) -> ``layer2`` + Dice -> ``layer3`` (one score); the output is the
    score-weighted sum of the keys. By default the scores are not normalised, as in DIN;
    ``weight_normalization`` can divide them by the number of real behaviours ('mean') or
    turn them into a softmax over the real behaviours ('softmax').

    Padding (``mask`` / ``seq_len``) gets weight exactly 0 in the output. With
    ``training=True``, Dice's batch statistics are still taken over every position,
    padded ones included, as in the original DIN code.

    Variables under ``name``: ``layer1``, ``layer2``, ``layer3`` (kernels and biases
    Xavier-initialised, as the notes), ``dice_alpha``, ``dice_norm/{gamma, beta,
    moving_mean, moving_variance}``, and with ``is_bn=True`` the layer norms
    ``queries_norm/{beta, gamma}`` and ``keys_norm/{beta, gamma}``.

    ``tile_queries=True`` (default) builds the notes' graph: the query tiled over the T
    behaviours and ``layer1`` applied to ``[q, k, q - k, q * k]`` [B, S, T, 4E].
    ``tile_queries=False`` computes the same function with ``layer1``'s kernel split
    in its four E-row blocks ``[Wq; Wk; Wd; Wp]``:
    ``q (Wq + Wd) + k (Wk - Wd) + (q * k) Wp``, the query term once per slot [B, S, 1, U]
    and broadcast over T. That halves ``layer1``'s work and drops the tile and the
    concatenation; the variables are the same (checkpoints interchange), the outputs
    equal to float rounding, not bit for bit (and a model built from scratch draws other
    initial values from the graph seed, since it has other ops before its variables).

    ``zero_padded_keys=True`` (with ``tile_queries=False`` and a ``mask`` / ``seq_len`` on
    every call) is for callers whose keys are exactly 0 at every padded position, as
    ``dynamic_rnn``'s outputs past a row's length: there the MLP's input depends on the
    slot's query alone, so each slot's padded positions share one value of every layer.
    The MLP then runs on the N real positions plus one padding row per slot [N + B*S, .],
    and Dice's batch moments weigh that row by the slot's padding count
    (``dice(weights=...)``): the moments of all B*S*T positions, the same function as
    ``zero_padded_keys=False`` (scores, outputs, moving-statistics updates and gradients)
    to float rounding, for less work when much of the batch is padding. Keys that are not
    0 at padding get other Dice statistics in training: the caller must zero them.
    """

    def __init__(self, layer_size=(32, 128), mom_decay_rate=0.99, initializer=None, tile_queries=True,
                 zero_padded_keys=False):
        fn = "DINModel"
        if not isinstance(tile_queries, bool):
            raise TypeError("%s: `tile_queries` must be a bool; got %r." % (fn, tile_queries))
        if not isinstance(zero_padded_keys, bool):
            raise TypeError("%s: `zero_padded_keys` must be a bool; got %r." % (fn, zero_padded_keys))
        if zero_padded_keys and tile_queries:
            raise ValueError("%s: `zero_padded_keys=True` needs `tile_queries=False`." % fn)
        self.tile_queries = tile_queries
        self.zero_padded_keys = zero_padded_keys
        self.layer_size = _layer_size(fn, layer_size)
        if not (isinstance(mom_decay_rate, numbers.Real) and 0.0 <= mom_decay_rate <= 1.0):
            raise ValueError("%s: `mom_decay_rate` must be in [0, 1]; got %r." % (fn, mom_decay_rate))
        self.mom_decay_rate = float(mom_decay_rate)
        self.initializer = xavier_initializer() if initializer is None else initializer

    def dice(self, _x, name="", training=False, weights=None):
        """The notes' ``DINModel.dice``, with ``mom_decay_rate`` as the batch-norm momentum."""
        return dice(_x, name=name, training=training, momentum=self.mom_decay_rate, weights=weights)

    def layer_normalize(self, is_ln, inputs, name):
        """Layer normalization over the embedding axis (the notes' undefined
        ``CustomLayerNormalization``), or ``inputs`` unchanged when ``is_ln`` is False."""
        return layer_normalization(inputs, name=name) if is_ln else inputs

    def din(self, queries, keys, is_bn, training=False, mask=None, weight_normalization=None, weight_offset=0.0):
        """Scores and pools; returns ``(output [B, S, E], weights [B, S, T])``."""
        if self.zero_padded_keys:
            return self._din_real_positions(queries, keys, is_bn, training, mask, weight_normalization,
                                            weight_offset)
        queries = self.layer_normalize(is_bn, queries, "queries_norm")
        keys = self.layer_normalize(is_bn, keys, "keys_norm")
        init = self.initializer
        if self.tile_queries:
            queries = tf.tile(queries, [1, 1, tf.shape(keys)[2], 1])  # [B, S, 1, E] -> [B, S, T, E]
            din_input = tf.concat([queries, keys, queries - keys, queries * keys], axis=-1)
            din_layer1 = dense(din_input, self.layer_size[0], activation="relu", name="layer1",
                               kernel_initializer=init, bias_initializer=init)
        else:
            din_layer1 = self._split_layer1(queries, keys)
        din_layer2 = self.dice(
            dense(din_layer1, self.layer_size[1], activation=None, name="layer2",
                  kernel_initializer=init, bias_initializer=init),
            training=training)
        din_layer3 = dense(din_layer2, 1, activation=None, name="layer3",
                           kernel_initializer=init, bias_initializer=init)  # [B, S, T, 1]
        weights = tf.squeeze(din_layer3, axis=-1)  # [B, S, T]
        if weight_offset:
            weights = weights + tf.constant(weight_offset, weights.dtype)
        weights = self.normalize_weights(weights, mask, weight_normalization)
        output = tf.reduce_sum(tf.expand_dims(weights, -1) * keys, axis=2)  # [B, S, E]
        return output, weights

    def _din_real_positions(self, queries, keys, is_bn, training, mask, weight_normalization, weight_offset):
        """``din`` for keys that are 0 at padding: the MLP on [N + B*S] rows (see the class docstring)."""
        if mask is None:
            raise ValueError("DINModel: `zero_padded_keys=True` needs a `mask` or `seq_len`.")
        e, init = int(keys.shape[-1]), self.initializer
        shape = tf.shape(keys, out_type=tf.int64)
        slots, length = shape[0] * shape[1], shape[2]
        flat_mask = tf.reshape(mask, tf.stack([slots, length]))  # [B*S, T]
        real = tf.where(flat_mask)  # int64 [N, 2]: (slot, t) of each real position
        slot_of_row = tf.concat([real[:, 0], tf.range(slots)], 0)  # [N + B*S]
        real_keys = tf.gather(tf.reshape(keys, [-1, e]), real[:, 0] * length + real[:, 1])  # [N, E]
        rows = tf.concat([real_keys, tf.zeros(tf.stack([slots, e]), keys.dtype)], 0)  # [N + B*S, E]
        padding = length - tf.reduce_sum(tf.cast(flat_mask, tf.int64), axis=1)  # [B*S]
        counts = tf.concat([tf.ones_like(real[:, 0]), padding], 0)  # [N + B*S]: positions each row stands for
        queries = self.layer_normalize(is_bn, tf.reshape(queries, [-1, e]), "queries_norm")  # [B*S, E]
        rows = self.layer_normalize(is_bn, rows, "keys_norm")
        layer1 = self._split_layer1(queries, rows, slot_of_row)  # [N + B*S, U1]
        layer2 = dense(layer1, self.layer_size[1], activation=None, name="layer2", kernel_initializer=init,
                       bias_initializer=init)
        # rank 4 as the dense path's [B, S, T, U2], so that the batch norm takes the same (fused) numbers
        layer2 = self.dice(layer2[None, None], training=training,
                           weights=tf.cast(counts, layer2.dtype)[None, None])[0, 0]
        scores = tf.squeeze(dense(layer2, 1, activation=None, name="layer3", kernel_initializer=init,
                                  bias_initializer=init), -1)  # [N + B*S]
        n = tf.shape(real, out_type=tf.int64)[0]
        weights = tf.reshape(tf.scatter_nd(real, scores[:n], tf.stack([slots, length])), tf.shape(mask))
        weights.set_shape(mask.shape)
        if weight_offset:
            weights = weights + tf.constant(weight_offset, weights.dtype)
        weights = self.normalize_weights(weights, mask, weight_normalization)  # [B, S, T]
        pooled = tf.math.unsorted_segment_sum(tf.gather_nd(tf.reshape(weights, tf.stack([slots, length])), real)
                                              [:, None] * rows[:n], real[:, 0], slots)  # [B*S, E]
        pooled = tf.reshape(pooled, tf.concat([tf.shape(keys)[:2], [e]], 0))
        pooled.set_shape(keys.shape[:2].concatenate([e]))
        return pooled, weights

    def _split_layer1(self, queries, keys, slot_of_row=None):
        """``layer1`` (ReLU) of ``[q, k, q - k, q * k]`` without tiling: [B, S, T, U] (queries
        [B, S, 1, E], keys [B, S, T, E]), or [R, U] (queries [B*S, E], keys [R, E] and
        ``slot_of_row`` [R], the query row of each key row)."""
        e, units = int(keys.shape[-1]), self.layer_size[0]
        with tf.variable_scope("layer1"):
            kernel = get_variable_in_scope("DINModel", "kernel", shape=[4 * e, units], dtype=keys.dtype,
                                           initializer=self.initializer)
            bias = get_variable_in_scope("DINModel", "bias", shape=[units], dtype=keys.dtype,
                                         initializer=self.initializer)
            w_q, w_k, w_d, w_p = tf.split(kernel, 4, axis=0)

            def project(x, w):
                return tf.tensordot(x, w, [[x.shape.rank - 1], [0]])

            query_term = project(queries, w_q + w_d)
            if slot_of_row is not None:
                query_term, queries = tf.gather(query_term, slot_of_row), tf.gather(queries, slot_of_row)
            pre = query_term + project(keys, w_k - w_d) + project(queries * keys, w_p)
            return tf.nn.relu(tf.nn.bias_add(pre, bias))

    @staticmethod
    def normalize_weights(scores, mask, weight_normalization):
        """Scores [B, S, T] -> weights [B, S, T], exactly 0 where ``mask`` (bool) is False."""
        if weight_normalization == "softmax":
            if mask is not None:
                lowest = tf.fill(tf.shape(scores), tf.constant(scores.dtype.min, scores.dtype))
                scores = tf.where(mask, scores, lowest)
            scores = tf.nn.softmax(scores, axis=-1)
        if mask is not None:
            scores = tf.where(mask, scores, tf.zeros_like(scores))
        if weight_normalization == "mean":
            real = tf.ones_like(scores) if mask is None else tf.cast(mask, scores.dtype)
            scores = scores / tf.maximum(tf.reduce_sum(real, axis=-1, keepdims=True), 1.0)
        return scores

    def __call__(self, queries, keys, is_bn=True, name="din", training=False, mask=None,
                 seq_len=None, return_weights=False, weight_normalization=None, weight_offset=0.0):
        """Pools each slot's behaviours ``keys`` by their relevance to the slot's query.

        Args:
          queries: float tensor [B, S, 1, E].
          keys: float tensor [B, S, T, E].
          is_bn: layer-normalise queries and keys first (the notes' name for it).
          name: variable scope.
          training: Python bool or scalar bool tensor, for Dice's batch normalization.
          mask: [B, S, T], 1 (or True) = real behaviour, 0 = padding; padded positions
            get weight exactly 0. NOTE: the opposite of the attention ``mask`` (1 = blocked).
          seq_len: int [B, S], the number of real behaviours per slot, instead of ``mask``.
          return_weights: also return the weights.
          weight_normalization: None (default, DIN's raw scores: the output's size grows
            with the number of behaviours), 'mean' (scores divided by the number of real
            behaviours of the slot) or 'softmax' (a softmax over the real behaviours).
          weight_offset: a constant added to every score before the normalization; 1.0
            starts the attention near sum pooling (the scores start near 0), which it then
            modulates; 0.0 (default) is DIN's.

        Returns:
          [B, S, E]; with ``return_weights=True``, ``(output, weights [B, S, T])``.
        """
        fn = "DINModel"
        if not isinstance(weight_offset, numbers.Real) or isinstance(weight_offset, bool):
            raise TypeError("%s: `weight_offset` must be a number; got %r." % (fn, weight_offset))
        if weight_normalization not in WEIGHT_NORMALIZATIONS:
            raise ValueError("%s: `weight_normalization` must be one of %s; got %r."
                             % (fn, ", ".join(map(repr, WEIGHT_NORMALIZATIONS)), weight_normalization))
        require_graph_mode(fn)
        queries = as_float_tensor(fn, "queries", queries)
        keys = as_float_tensor(fn, "keys", keys)
        _check_same_dtype(fn, queries=queries, keys=keys)
        check_rank(fn, "queries", queries, rank=4)
        check_rank(fn, "keys", keys, rank=4)
        if queries.shape[2] != 1:
            raise ValueError("%s: `queries` must have shape [batch, slots, 1, embedding]; got %s."
                             % (fn, shape_str(queries)))
        static_last_dim(fn, "keys", keys)
        static_last_dim(fn, "queries", queries)
        _check_dims_match(fn, "queries", queries, -1, "keys", keys, -1, "the embedding sizes")
        _check_dims_match(fn, "queries", queries, 1, "keys", keys, 1, "the slot counts (axis 1)")
        _check_dims_match(fn, "queries", queries, 0, "keys", keys, 0, "the batch sizes")
        training = check_training(fn, training)
        mask = self._mask(fn, keys, mask, seq_len)
        with tf.variable_scope(name):
            output, weights = self.din(queries, keys, is_bn, training=training, mask=mask,
                                       weight_normalization=weight_normalization,
                                       weight_offset=float(weight_offset))
        return (output, weights) if return_weights else output

    @staticmethod
    def _mask(fn, keys, mask, seq_len):
        if mask is not None and seq_len is not None:
            raise ValueError("%s: pass `mask` or `seq_len`, not both." % fn)
        if seq_len is not None:
            seq_len = tf.convert_to_tensor(seq_len)
            if not seq_len.dtype.is_integer:
                raise TypeError("%s: `seq_len` must be an integer tensor; got dtype %s."
                                % (fn, seq_len.dtype.name))
            check_rank(fn, "seq_len", seq_len, rank=2)
            if not seq_len.shape.is_compatible_with(keys.shape[:2]):
                raise ValueError(
                    "%s: `seq_len` must have shape [batch, slots] of `keys`; got seq_len %s and "
                    "keys %s." % (fn, shape_str(seq_len), shape_str(keys)))
            return tf.sequence_mask(seq_len, tf.shape(keys)[2])
        if mask is None:
            return None
        mask = tf.convert_to_tensor(mask)
        check_rank(fn, "mask", mask, rank=3)
        if not mask.shape.is_compatible_with(keys.shape[:3]):
            raise ValueError(
                "%s: `mask` must have shape [batch, slots, behaviours] of `keys`; got mask %s "
                "and keys %s." % (fn, shape_str(mask), shape_str(keys)))
        if mask.dtype != tf.bool:
            mask = tf.not_equal(mask, tf.zeros([], mask.dtype))
        return mask


__all__ = ["scaled_dot_product_attention", "MultiHeadAttention", "din", "DINModel"]
