"""``fm``: the FactorizationMachine block as a CTR model over a schema's features.

Every feature becomes FM fields in one shared index space (a range of rows per
embedding table):

* a slot: one field, value 1 (0 when the id is 0, "missing");
* a multi-valued slot or a sequence of T ids: T fields, each of value 1/n (mean
  pooling, n = non-padding ids) or 1 (sum pooling), 0 for padding;
* a real-valued feature: one field with its own row and the feature's value.

Sensitivity: the notes' ``get_gradients`` with ``embedding_size=1`` on
``[real values [B, R], gates [B, S]]``, where ``gates`` is a tensor of ones that
multiplies the values of each id feature's fields (so its gradient is the
derivative of the prediction with respect to scaling that feature).
"""
from tf1_recsys._tf import tf
from tf1_recsys.features import hash_bucket, id_mask
from tf1_recsys.layers import FactorizationMachine
from tf1_recsys.models.common import make_spec, model_inputs, tasks_of


def build_fm(schema, embedding_size=8, task=None, init_stddev=0.01, l2=0.0):
    """Builds the FM graph for one task (default: the schema's first label).

    Args:
      schema: a ``Schema``.
      embedding_size: the FM factor size K.
      task: the label to model.
      l2: L2 penalty on the rows looked up (factors and linear weights), batch-averaged.

    Returns:
      ``ModelSpec`` with ``logits[task]`` and ``predictions[task]`` of shape [B].
    """
    fn = "build_fm"
    inputs, labels, training = model_inputs(schema, fn)
    task = tasks_of(schema, task if task is not None else schema.labels[0], fn)[0]
    offsets, total = {}, 0
    for table, vocab in schema.tables().items():
        offsets[table] = total
        total += vocab
    real_rows = {}
    for f in schema.real:
        real_rows[f.name] = total
        total += 1

    with tf.variable_scope("fm_model"):
        id_feats = schema.of_kind("slot", "multi", "sequence")
        batch = tf.shape(next(iter(inputs.values())))[0]
        gates = tf.ones(tf.stack([batch, len(id_feats)]), name="feature_gates") if id_feats else None
        index, value = [], []
        for s, f in enumerate(id_feats):
            ids = inputs[f.name]
            if f.hash_buckets:
                ids = hash_bucket(ids, f.vocab_size, name="hash_" + f.name)
            if f.kind == "slot":
                ids = tf.expand_dims(ids, 1)
            mask = id_mask(ids)  # [B, T]
            if f.kind != "slot" and f.pooling == "mean":
                mask = mask / tf.maximum(tf.reduce_sum(mask, axis=1, keepdims=True), 1.0)
            index.append(ids + offsets[f.table_name])
            value.append(mask * gates[:, s:s + 1])
        real = None
        if schema.real:
            real = tf.stack([inputs[f.name] for f in schema.real], axis=1, name="real_features")
            index.append(tf.tile(tf.constant([[real_rows[f.name] for f in schema.real]], tf.int64),
                                 tf.stack([batch, 1])))
            value.append(real)
        feat_index = tf.concat(index, axis=1)
        feat_value = tf.concat(value, axis=1)
        fm = FactorizationMachine(total, embedding_size, init_stddev=init_stddev, name="fm")
        logit = fm.logits(feat_index, feat_value)  # [B, 1]
        if l2 > 0:
            rows = tf.nn.embedding_lookup(fm.V, feat_index) * tf.expand_dims(feat_value, -1)
            tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES,
                                 l2 * tf.reduce_mean(tf.reduce_sum(tf.square(rows), axis=[1, 2])))

    feas, names = [], []
    if real is not None:
        feas.append(real)
        names += [f.name for f in schema.real]
    if gates is not None:
        feas.append(gates)
        names += [f.name for f in id_feats]
    sensitivity = (feas, 1, len(schema.real), names)
    return make_spec("fm", schema, inputs, labels, training, {task: logit}, sensitivity=sensitivity)
