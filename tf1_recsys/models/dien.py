"""``dien``: DIN's embeddings and tail with DIEN's interest extractor and evolution in place of DIN pooling.

Graph, for a batch of B rows (E = embedding_size):

1. each slot / multi-valued slot -> one field [B, E] (``FeatureEmbedder.field``), as din;
2. the S sequences of equal length T form one behaviour, as din's 'joint' attention and
   the DIEN paper (a behaviour is its item and its category): behaviours e_t [B, T, S*E],
   query [B, S*E] (the S query slots' embeddings), mask [B, T] (a position is real when
   all its ids are). Under ``dien`` (``dien_1``, ... for further lengths):

   * ``interest_extractor``: a GRU (``gru_units`` H, default S*E) -> interests h_t [B, T, H];
   * ``auxiliary_loss`` (``auxiliary_net``): h_t against the next behaviour and a negative
     one, drawn by ``sample_negative_positions`` (uniform over the batch's real
     behaviours, seeded by ``negative_seed`` and the batch's ids) and gathered from every sequence of the
     group, so negative item and category belong together;
   * ``interest_evolution``: DIN's activation unit scores the projected query against
     each h_t (softmax over the real behaviours), and the ``gru_type`` cell (AUGRU by
     default) evolves the interests; its final state [B, H] (projected to S*E by
     ``interest_projection`` when H != S*E) is split into S fields [B, E];
   * with ``history_sum=True`` (the default: the authors' released model), ``history_sum/masked_sum``:
     the behaviours summed over the real positions [B, S*E], and ``history_sum/product``: that
     sum times the query [B, S*E] (``history_sum='mean'``: ``history_sum/masked_mean``, the sum
     over the number of real positions, and its product; ``False``: the paper's and DeepCTR's MLP input);
3. the fields -> SENet -> [fields, each group's sum and product (unless ``history_sum=False``),
   real-valued features]
   -> Dice MLP -> logit, as din (``wide=True`` adds din's first-order term).

Loss: the task's cross-entropy + ``alpha`` * the mean of the groups' auxiliary losses
(summary ``loss/auxiliary``) + the L2 penalties. Sensitivity: as din, one entry per
slot and per sequence.
"""
from tf1_recsys._tf import tf
from tf1_recsys.features import FeatureEmbedder, pool
from tf1_recsys.layers import dense
from tf1_recsys.layers.interest import (
    GRU_TYPES,
    auxiliary_loss,
    interest_evolution,
    interest_extractor,
    sample_negative_positions,
)
from tf1_recsys.models.common import make_spec, model_inputs, tasks_of
from tf1_recsys.models.din import senet_mlp_logit

HISTORY_SUM_MODES = ("sum", "mean")
"""``history_sum``'s values besides True (= 'sum') and False: 'mean' divides the sum by the number of real
behaviours."""


def evolve_sequences(embedder, schema, inputs, training, gru_units=None, gru_type="AUGRU",
                     attention_layers=(80, 40), aux_layers=(100, 50), attention_layer_norm=False,
                     negative_seed=0, history_sum=True, packed=None):
    """DIEN over each group of equal-length sequences.

    Returns ``(names, [B, E] fields, [auxiliary losses], extra)``: ``extra`` is empty, or with
    ``history_sum`` each group's masked sum (``'mean'``: mean) of its behaviours [B, S*E] and
    that times its query [B, S*E], in group order.
    """
    groups = {}
    for f in schema.sequences:
        groups.setdefault(f.max_len, []).append(f)
    pooled, aux, extra = {}, [], []
    e = embedder.embedding_size
    for g, (_, feats) in enumerate(sorted(groups.items())):
        with tf.variable_scope("dien" if g == 0 else "dien_%d" % g):
            ids = [inputs[f.name] for f in feats]
            real = [tf.not_equal(i, tf.zeros([], i.dtype)) for i in ids]
            mask = real[0] if len(real) == 1 else tf.reduce_all(tf.stack(real, axis=0), axis=0)  # [B, T]
            behaviours = tf.concat([embedder.lookup(f.name, i) for f, i in zip(feats, ids)], -1)  # [B, T, S*E]
            query = tf.concat([embedder.lookup(f.query, inputs[f.query]) for f in feats], -1)  # [B, S*E]
            width = len(feats) * e
            interests, _ = interest_extractor(behaviours, mask, gru_units or width, packed=packed)
            negative = sample_negative_positions(mask, key=ids[0], seed=negative_seed)  # [B, T] into [B*T]
            # the negative behaviours are rows of the behaviours already looked up (the same embeddings
            # as a lookup of their ids, without B*T more rows in each table's sparse gradient)
            negatives = tf.gather(tf.reshape(behaviours, [-1, len(feats) * e]), negative)  # [B, T, S*E]
            if embedder.l2 > 0:  # the penalty a lookup adds on its rows (FeatureEmbedder.lookup), per sequence
                for part in tf.split(negatives, len(feats), axis=-1):
                    tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES,
                                         embedder.l2 * tf.reduce_mean(tf.reduce_sum(tf.square(part), axis=-1)))
            aux.append(auxiliary_loss(interests, behaviours, negatives, mask, layers=aux_layers))
            final, _ = interest_evolution(interests, query, mask, gru_type=gru_type,
                                          attention_layers=attention_layers, training=training,
                                          layer_norm=attention_layer_norm, packed=packed)
            if int(final.shape[-1]) != width:
                final = dense(final, width, name="interest_projection")
            for f, field in zip(feats, tf.split(final, len(feats), axis=-1)):
                pooled[f.name] = field
            if history_sum:
                mode = "sum" if history_sum is True else history_sum
                with tf.name_scope("history_sum"):
                    summary = tf.identity(pool(behaviours, mask, mode), name="masked_" + mode)  # [B, S*E]
                    extra += [summary, tf.multiply(query, summary, name="product")]
    names = [f.name for f in schema.sequences]
    return names, [pooled[n] for n in names], aux, extra


def build_dien(schema, embedding_size=8, gru_units=None, gru_type="AUGRU", alpha=1.0, attention_layers=(80, 40),
               aux_layers=(100, 50), mlp_layers=(200, 80), senet_hidden=16, task=None, l2=0.0,
               partition_strategy="div", wide=False, wide_l2=None, attention_layer_norm=False, init_stddev=0.05,
               negative_seed=0, history_sum=True, packed=None):
    """Builds the DIEN graph for one task (default: the schema's first label).

    Args:
      schema: a ``Schema`` with slots, at least one sequence (with its ``query`` slot) and
        any real features.
      embedding_size: E, shared by every table.
      gru_units: H, the width of both GRUs; default S*E (the behaviour's width).
      gru_type: the interest evolving cell: 'AUGRU' (the paper's, default), 'AGRU' or 'AIGRU'.
      alpha: the weight of the auxiliary loss (the paper's alpha); 0 trains without it.
      attention_layers: the activation unit's widths (``DINModel.layer_size``).
      aux_layers: the auxiliary network's sigmoid hidden widths.
      mlp_layers, senet_hidden, l2, partition_strategy, wide, wide_l2, init_stddev: as din.
      attention_layer_norm: ``DINModel``'s ``is_bn`` in the activation unit (off by default).
      negative_seed: the seed of the negative sampler (with the batch's ids: resumable).
      history_sum: also feed the MLP, per group of S sequences, the sum of the behaviour
        embeddings over the real positions [B, S*E] and its elementwise product with the
        query [B, S*E] (beside the SENet output, not re-weighted by it), as the authors'
        released DIEN does (``item_his_eb_sum`` and ``item_eb * item_his_eb_sum``). Default
        True (above din on MovieLens 'next'; on 'rating' False is better, which the MovieLens
        preset picks there: docs/BENCHMARKS.md); False: the paper's and DeepCTR's MLP input,
        the default before issue 26's change. 'sum' is True; 'mean' divides the sum
        by the number of real behaviours (0 for a history of padding only), so that the input's
        scale does not grow with the history's length (``history_sum/masked_mean``). No
        variables of its own: the MLP's first kernel has 2*S*E more rows per group unless
        False, so checkpoints do not restore between False and the others.
      packed: True: both GRUs run by ``packed_dynamic_rnn`` (at step t the cell computes only the
        rows not yet past their length; the same function, variables and checkpoints); False: by
        ``tf.nn.dynamic_rnn`` (every row at every step up to the batch's longest); None (default):
        packed unless the graph is built with TF1's loops (``disable_control_flow_v2``, as for an
        ONNX export, which converts only ``dynamic_rnn``'s loop).

    Every argument after ``schema`` is an hparam (``build_model("dien", schema, **hparams)``).

    Returns:
      ``ModelSpec`` with ``logits[task]`` and ``predictions[task]`` of shape [B].
    """
    fn = "build_dien"
    if gru_type not in GRU_TYPES:
        raise ValueError("%s: `gru_type` must be one of %s; got %r." % (fn, ", ".join(GRU_TYPES), gru_type))
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha < 0:
        raise ValueError("%s: `alpha` must be a number >= 0; got %r." % (fn, alpha))
    if not (isinstance(history_sum, bool) or history_sum in HISTORY_SUM_MODES):
        raise ValueError("%s: `history_sum` must be True, False, 'sum' or 'mean'; got %r." % (fn, history_sum))
    inputs, labels, training = model_inputs(schema, fn)
    task = tasks_of(schema, task if task is not None else schema.labels[0], fn)[0]
    if not schema.sequences:
        raise ValueError("%s: the schema has no behaviour sequence to extract interests from." % fn)
    with tf.variable_scope("dien_model"):
        embedder = FeatureEmbedder(schema, embedding_size, partition_strategy=partition_strategy, l2=l2,
                                   initializer=tf.random_normal_initializer(stddev=init_stddev))
        names = [f.name for f in schema.sparse]
        fields = [embedder.field(n, inputs[n]) for n in names]
        seq_names, seq_fields, aux, extra = evolve_sequences(embedder, schema, inputs, training, gru_units,
                                                             gru_type, attention_layers, aux_layers,
                                                             attention_layer_norm, negative_seed, history_sum,
                                                             packed)
        logit, sensitivity = senet_mlp_logit(embedder, schema, inputs, training, names + seq_names,
                                             fields + seq_fields, senet_hidden, mlp_layers, wide,
                                             l2 if wide_l2 is None else wide_l2, partition_strategy, extra)
    auxiliary = aux[0] if len(aux) == 1 else tf.add_n(aux) / len(aux)
    return make_spec("dien", schema, inputs, labels, training, {task: logit}, sensitivity=sensitivity,
                     extra_losses={"auxiliary": (alpha, auxiliary)})
