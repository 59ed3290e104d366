"""``mmoe``: shared embeddings, a Multi-gate Mixture-of-Experts, one tower per task.

Graph: every id feature -> one field [B, E] (sequences mean/sum pooled by their
``pooling``); with ``target_aware`` each sequence also gives the field
``pooled * query`` (element-wise with its query slot's embedding, named
``<sequence>*<query>``), so "how much of the history resembles the target" is one
linear read-out away. The fields are concatenated to ``flat`` [B, L*E] with the real-valued features [B, R]
-> ``mmoe`` (one output [B, expert_hidden] per task) -> per task an MLP tower -> a
logit [B]. Loss: ``sum_t task_weights[t] * cross-entropy_t``.
"""
from tf1_recsys._tf import tf
from tf1_recsys.features import FeatureEmbedder
from tf1_recsys.layers import dense, mmoe
from tf1_recsys.models.common import flat_fields, make_spec, mlp, model_inputs, tasks_of


def build_mmoe(schema, embedding_size=8, num_experts=4, expert_hidden=64, gate_hidden=None,
               tower_layers=(32,), tasks=None, task_weights=None, l2=0.0, partition_strategy="div",
               target_aware=True):
    """Builds the MMoE graph over ``tasks`` (default: every label of the schema).

    Args:
      num_experts, expert_hidden, gate_hidden: as ``tf1_recsys.layers.mmoe``.
      tower_layers: hidden widths of each task's tower (ReLU).
      task_weights: ``{task: weight}`` of the summed loss; default 1 each.
      target_aware: add the ``pooled sequence * query`` fields.

    Returns:
      ``ModelSpec`` with one logit / prediction [B] per task.
    """
    fn = "build_mmoe"
    inputs, labels, training = model_inputs(schema, fn)
    tasks = tasks_of(schema, tasks, fn)
    with tf.variable_scope("mmoe_model"):
        embedder = FeatureEmbedder(schema, embedding_size, partition_strategy=partition_strategy, l2=l2)
        names = [f.name for f in schema.of_kind("slot", "multi", "sequence")]
        if not names:
            raise ValueError("%s: the schema has no id features to embed." % fn)
        fields = [embedder.field(n, inputs[n]) for n in names]
        if target_aware:
            for f in schema.sequences:
                fields.append(fields[names.index(f.name)] * embedder.lookup(f.query, inputs[f.query]))
                names.append("%s*%s" % (f.name, f.query))
        flat, _ = flat_fields(fields)
        real = embedder.real(inputs)
        x = flat if real is None else tf.concat([flat, real], axis=-1)
        outs = mmoe(x, num_experts=num_experts, num_tasks=len(tasks), expert_hidden=expert_hidden,
                    gate_hidden=gate_hidden, name="mmoe")
        logits = {}
        for t, out in zip(tasks, outs):
            h = mlp(out, tower_layers, training, activation="relu", name="tower_" + t)
            logits[t] = dense(h, 1, name="logit_" + t)
    feas = ([real] if real is not None else []) + [flat]
    sensitivity = (feas, embedding_size, len(schema.real), [f.name for f in schema.real] + names)
    return make_spec("mmoe", schema, inputs, labels, training, logits, task_weights=task_weights,
                     sensitivity=sensitivity)
