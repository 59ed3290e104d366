"""``din``: slot embeddings, DIN attention over behaviour sequences, SENet, an MLP with Dice.

Graph, for a batch of B rows (E = embedding_size):

1. each slot / multi-valued slot -> one field [B, E] (``FeatureEmbedder.field``);
2. the S sequences of equal length T are attended together by one ``DINModel``, with
   ``sequence_attention='separate'`` (default) as S slots: queries [B, S, 1, E] (the
   embeddings of each sequence's ``query`` slot), keys [B, S, T, E], mask [B, S, T]
   (1 = real behaviour) -> [B, S, E], one score per behaviour and sequence; with
   ``'joint'`` (DeepCTR / the DIN paper) as one slot of the concatenated embeddings:
   query [B, 1, 1, S*E], keys [B, 1, T, S*E], mask [B, 1, T] (the AND of the S masks)
   -> [B, 1, S*E], one score per behaviour. Either way one field [B, E] per sequence;
3. the L fields are concatenated to ``flat`` [B, L*E], viewed as [B, L, E] and
   re-weighted by ``senet``;
4. ``[senet output [B, L*E], real-valued features [B, R]]`` -> MLP (dense + Dice) ->
   logit [B];
5. with ``wide=True``, plus a first-order term as in Wide & Deep / DeepFM: one learned
   weight per id of each slot / multi-valued slot (tables ``wide/<table>`` [V, 1],
   multi-valued slots mean-pooled) and per real-valued feature.

Sensitivity: ``get_gradients`` on ``[real [B, R], flat [B, L*E]]``: the real-valued
features one by one, then one entry per field (slot or attended sequence).
"""
from tf1_recsys._tf import tf
from tf1_recsys.features import FeatureEmbedder, id_mask, pool
from tf1_recsys.layers import DINModel, dense, senet
from tf1_recsys.models.common import flat_fields, make_spec, mlp, model_inputs, tasks_of


SEQUENCE_ATTENTIONS = ("separate", "joint")


def _check_sequence_attention(fn, sequence_attention):
    if sequence_attention not in SEQUENCE_ATTENTIONS:
        raise ValueError("%s: `sequence_attention` must be 'separate' or 'joint'; got %r."
                         % (fn, sequence_attention))


def attend_sequences(embedder, schema, inputs, training, attention_layers, layer_norm=True,
                     weight_normalization=None, weight_offset=0.0, sequence_attention="separate"):
    """DIN-pooled sequence fields: ``(names, [B, E] tensors)`` in schema order.

    The S sequences of each length T form one group and one ``DINModel`` call (scope
    ``din``, then ``din_1``, ... by increasing T). ``sequence_attention``:

    * 'separate': S slots, queries [B, S, 1, E], keys [B, S, T, E], mask [B, S, T] (each
      sequence's own padding), output [B, S, E]: each sequence scores its behaviours.
    * 'joint': one slot over the concatenated embeddings, as DeepCTR's ``DIN`` and the DIN
      paper (a behaviour is its item and its category): query [B, 1, 1, S*E] (the S
      query embeddings side by side), keys [B, 1, T, S*E], one score per behaviour, output
      [B, 1, S*E] split back into S fields [B, E]. The mask [B, 1, T] is the AND of the
      S sequences' masks: a position is a behaviour when all its ids are real (ids 0 in
      one sequence of the group hide that position from all of them). ``layer_norm``
      normalises the S*E-wide query and keys as one vector; ``layer1``'s kernel is
      [4*S*E, U] instead of [4*E, U], so checkpoints of the two modes do not interchange.
    """
    _check_sequence_attention("attend_sequences", sequence_attention)
    groups = {}
    for f in schema.sequences:
        groups.setdefault(f.max_len, []).append(f)
    pooled = {}
    for g, (_, feats) in enumerate(sorted(groups.items())):
        attend = DINModel(layer_size=attention_layers, tile_queries=False)
        kwargs = dict(is_bn=layer_norm, training=training, name="din" if g == 0 else "din_%d" % g,
                      weight_normalization=weight_normalization, weight_offset=weight_offset)
        if sequence_attention == "joint":
            query = tf.concat([embedder.lookup(f.query, inputs[f.query]) for f in feats], axis=-1)  # [B, S*E]
            keys = tf.concat([embedder.lookup(f.name, inputs[f.name]) for f in feats], axis=-1)  # [B, T, S*E]
            real = [tf.not_equal(inputs[f.name], tf.zeros([], inputs[f.name].dtype)) for f in feats]
            mask = real[0] if len(real) == 1 else tf.reduce_all(tf.stack(real, axis=0), axis=0)  # [B, T]
            out = attend(query[:, None, None, :], keys[:, None], mask=mask[:, None], **kwargs)  # [B, 1, S*E]
            fields = tf.split(out[:, 0, :], len(feats), axis=-1)  # S x [B, E]
        else:
            queries = tf.stack([embedder.lookup(f.query, inputs[f.query]) for f in feats], axis=1)
            keys = tf.stack([embedder.lookup(f.name, inputs[f.name]) for f in feats], axis=1)
            mask = tf.stack([id_mask(inputs[f.name]) for f in feats], axis=1)
            out = attend(tf.expand_dims(queries, 2), keys, mask=mask, **kwargs)  # [B, S, E]
            fields = [out[:, s, :] for s in range(len(feats))]
        for f, field in zip(feats, fields):
            pooled[f.name] = field
    names = [f.name for f in schema.sequences]
    return names, [pooled[n] for n in names]


def sum_sequences(embedder, schema, inputs, mode="sum"):
    """The DIN paper's base model: each sequence field sum-pooled over its real behaviours.

    Returns ``(names, [B, E] tensors)`` in schema order; each pooled tensor is named
    ``<mode>_pool_<feature>``; ``mode='mean'`` divides by the number of real behaviours.
    """
    names, pooled = [], []
    for f in schema.sequences:
        keys = embedder.lookup(f.name, inputs[f.name])  # [B, T, E]
        pooled.append(tf.identity(pool(keys, id_mask(inputs[f.name]), mode), name="%s_pool_%s" % (mode, f.name)))
        names.append(f.name)
    return names, pooled


def wide_logit(schema, inputs, real, l2, partition_strategy):
    """First-order term [B, 1]: per-id weights of slots / multi-valued slots, linear in reals."""
    wide = FeatureEmbedder(schema, 1, partition_strategy=partition_strategy, l2=l2,
                           initializer=tf.zeros_initializer(), scope="wide")
    terms = [wide.field(f.name, inputs[f.name]) for f in schema.sparse]
    if real is not None:
        terms.append(dense(real, 1, use_bias=False, name="wide_real"))
    return tf.add_n(terms) if terms else 0.0


def senet_mlp_logit(embedder, schema, inputs, training, names, fields, senet_hidden, mlp_layers, wide, wide_l2,
                    partition_strategy, extra_inputs=()):
    """Steps 3-5, shared with ``dien``: the L fields [B, E] (named ``names``) -> ``senet`` ->
    ``[.., extra_inputs, real [B, R]]`` -> ``mlp`` -> ``logit`` [B, 1] (+ ``wide_logit`` with
    ``wide``), in the caller's variable scope.

    ``extra_inputs``: [B, K] tensors fed to the MLP beside the SENet output without
    re-weighting (``dien``'s ``history_sum``); not sensitivity entries of their own.

    Returns:
      ``(logit [B, 1], sensitivity)``: the ``make_spec`` entry, ``[real, flat [B, L*E]]``
      with the real features' names, then ``names``.
    """
    embedding_size = embedder.embedding_size
    flat, stacked = flat_fields(fields)
    weighted = senet(stacked, hidden_units=senet_hidden, name="senet")
    x = tf.reshape(weighted, [-1, len(fields) * embedding_size])
    if extra_inputs:
        x = tf.concat([x, *extra_inputs], axis=-1)
    real = embedder.real(inputs)
    if real is not None:
        x = tf.concat([x, real], axis=-1)
    h = mlp(x, mlp_layers, training, name="mlp")
    logit = dense(h, 1, name="logit")
    if wide:
        logit = logit + wide_logit(schema, inputs, real, wide_l2, partition_strategy)
    feas = ([real] if real is not None else []) + [flat]
    return logit, (feas, embedding_size, len(schema.real), [f.name for f in schema.real] + names)


def build_din(schema, embedding_size=8, attention_layers=(32, 16), mlp_layers=(128, 64),
              senet_hidden=16, task=None, l2=0.0, partition_strategy="div", wide=False, wide_l2=None,
              attention_layer_norm=True, init_stddev=0.05, sequence_pooling="attention",
              attention_normalization=None, attention_weight_offset=0.0, sequence_attention="separate"):
    """Builds the DIN graph for one task (default: the schema's first label).

    Args:
      schema: a ``Schema`` with any number of slots, sequences and real features.
      embedding_size: E, shared by every table.
      attention_layers: ``DINModel.layer_size``, the attention MLP's widths.
      mlp_layers: widths of the Dice MLP before the logit.
      senet_hidden: SENet's hidden width.
      l2: L2 penalty on looked-up embedding rows.
      partition_strategy: for tables with ``num_shards > 1`` (see ``tf1_recsys.features``).
      wide: add the first-order term (step 5).
      wide_l2: L2 penalty of the first-order weights looked up; default ``l2``.
      attention_layer_norm: ``DINModel``'s ``is_bn``: layer-normalise queries and keys.
        Layer norm rescales every embedding to unit variance, so the near-zero rows of
        ids never seen in training become full-size random vectors; switch it off for
        data where many test ids are new (e.g. MovieLens split by time).
      init_stddev: standard deviation of the initial embeddings (normal).
      sequence_pooling: 'attention' (DIN) or 'sum': the paper's base model, the same
        network with each behaviour sequence sum-pooled instead of attended (no attention
        variables); 'mean' divides that sum by the number of real behaviours.
      attention_normalization: ``DINModel``'s ``weight_normalization``: None (the
        default, DIN's raw scores, so the attended vector grows with the length of the
        history), 'mean' (scores divided by the number of real behaviours) or 'softmax'.
        On MovieLens split by time the raw sum makes the sequence hurt (the test rows
        have the longest histories); 'mean' removes that (docs/BENCHMARKS.md).
      attention_weight_offset: ``DINModel``'s ``weight_offset``, added to every attention
        score: 1.0 starts the attention as sum pooling (the base model), which it learns
        to modulate; 0.0 (default) is DIN's.
      sequence_attention: how the sequences of one length are attended (step 2,
        ``attend_sequences``): 'separate' (default; each sequence scores its behaviours
        against its own query, [B, S, T, E]) or 'joint' (DeepCTR's and the paper's: one
        score per behaviour from the concatenated S*E-wide query and keys, [B, 1, T, S*E],
        padding the AND of the sequences' masks; for S = 2, the same ``layer1`` work but
        half the rows through ``layer2``, its Dice and ``layer3``; another model, whose
        checkpoints do not restore in 'separate' nor the other way).
        Ignored with ``sequence_pooling`` 'sum' / 'mean'.

    Every argument after ``schema`` is an hparam: ``tf1_recsys.models.build_model("din",
    schema, **hparams)`` and a run's ``hparams`` (``run.json``, the presets of
    ``tf1_recsys.models.presets``) pass them through unchanged; the command line sets
    only ``--embedding-size`` of them, the rest come from the presets.

    Returns:
      ``ModelSpec`` with ``logits[task]`` and ``predictions[task]`` of shape [B].
    """
    fn = "build_din"
    if sequence_pooling not in ("attention", "sum", "mean"):
        raise ValueError("%s: `sequence_pooling` must be 'attention', 'sum' or 'mean'; got %r."
                         % (fn, sequence_pooling))
    if attention_normalization not in (None, "mean", "softmax"):
        raise ValueError("%s: `attention_normalization` must be None, 'mean' or 'softmax'; got %r."
                         % (fn, attention_normalization))
    _check_sequence_attention(fn, sequence_attention)
    inputs, labels, training = model_inputs(schema, fn)
    task = tasks_of(schema, task if task is not None else schema.labels[0], fn)[0]
    with tf.variable_scope("din_model"):
        embedder = FeatureEmbedder(schema, embedding_size, partition_strategy=partition_strategy, l2=l2,
                                   initializer=tf.random_normal_initializer(stddev=init_stddev))
        names = [f.name for f in schema.sparse]
        fields = [embedder.field(n, inputs[n]) for n in names]
        if sequence_pooling != "attention":
            seq_names, seq_fields = sum_sequences(embedder, schema, inputs, sequence_pooling)
        else:
            seq_names, seq_fields = attend_sequences(embedder, schema, inputs, training, attention_layers,
                                                     attention_layer_norm, attention_normalization,
                                                     attention_weight_offset, sequence_attention)
        names, fields = names + seq_names, fields + seq_fields
        if not fields:
            raise ValueError("%s: the schema has no id features to embed." % fn)
        logit, sensitivity = senet_mlp_logit(embedder, schema, inputs, training, names, fields, senet_hidden,
                                             mlp_layers, wide, l2 if wide_l2 is None else wide_l2, partition_strategy)
    return make_spec("din", schema, inputs, labels, training, {task: logit}, sensitivity=sensitivity)
