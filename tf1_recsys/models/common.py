"""Pieces shared by the reference models: placeholders, field embeddings, MLP, heads and loss."""
import contextlib

from tf1_recsys._tf import require_graph_mode, tf
from tf1_recsys.features import label_placeholders, placeholders
from tf1_recsys.layers import dense, dice
from tf1_recsys.spec import ModelSpec


_GIVEN = []


@contextlib.contextmanager
def given_inputs(features, labels, training):
    """Builders called inside read ``features``, ``labels`` and ``training`` instead of placeholders.

    This is how a reference model becomes a ``model_fn`` (``tf1_recsys.models.model_fn``):
    the graph, and so every variable name, is the one the builder makes from
    placeholders. ``features`` must hold every feature of the schema with its
    placeholder's dtype (ids int64 [B] or [B, T], reals float32 [B]); ``labels`` is a
    dict task -> float32 [B], or None (label placeholders are made, never fed: for
    prediction); ``training`` a scalar bool tensor.
    """
    _GIVEN.append((features, labels, training))
    try:
        yield
    finally:
        _GIVEN.pop()


def _check_given(schema, features, labels, fn):
    for f in schema.features:
        if f.name not in features:
            raise ValueError("%s: feature %r of the schema is missing from the input features (got %s)."
                             % (fn, f.name, sorted(features)))
        want = tf.float32 if f.kind == "real" else tf.int64
        got = features[f.name].dtype.base_dtype
        if got != want:
            raise ValueError("%s: feature %r must be %s; got %s." % (fn, f.name, want.name, got.name))
    for t in schema.labels if labels is not None else ():
        if t not in labels:
            raise ValueError("%s: label %r of the schema is missing from the labels (got %s)."
                             % (fn, t, sorted(labels)))


def model_inputs(schema, fn):
    """``(inputs, labels, training)``: feature and label placeholders and the training switch.

    Inside ``given_inputs`` the given tensors instead.
    """
    require_graph_mode(fn)
    if not schema.labels:
        raise ValueError("%s: the schema has no labels." % fn)
    if _GIVEN:
        features, labels, training = _GIVEN[-1]
        _check_given(schema, features, labels, fn)
        inputs = {f.name: features[f.name] for f in schema.features}
        if labels is None:
            labels = label_placeholders(schema)
        return inputs, {t: tf.cast(labels[t], tf.float32) for t in schema.labels}, training
    inputs = placeholders(schema)
    labels = label_placeholders(schema)
    training = tf.placeholder_with_default(False, [], name="training")
    return inputs, labels, training


def tasks_of(schema, tasks, fn):
    """The task names to model: all labels by default; each must be a label of the schema."""
    tasks = list(schema.labels) if tasks is None else ([tasks] if isinstance(tasks, str) else list(tasks))
    for t in tasks:
        if t not in schema.labels:
            raise ValueError("%s: unknown task %r; the schema's labels are %s." % (fn, t, list(schema.labels)))
    return tasks


def mlp(x, units, training, activation="dice", name="mlp"):
    """Hidden layers ``dense -> Dice`` (or a named activation): [B, D] -> [B, units[-1]]."""
    with tf.variable_scope(name):
        for i, u in enumerate(units):
            with tf.variable_scope("layer_%d" % i):
                if activation == "dice":
                    x = dice(dense(x, u, name="dense"), training=training)
                else:
                    x = dense(x, u, activation=activation, name="dense")
    return x


def flat_fields(fields):
    """Concatenates field vectors [B, E] each -> ``(flat [B, L*E], stacked [B, L, E])``.

    The stacked view is a reshape of ``flat``, so gradients with respect to ``flat``
    (what the sensitivity report differentiates) see every use of the fields.
    """
    flat = tf.concat(fields, axis=-1, name="field_embeddings")
    e = int(fields[0].shape[-1])
    return flat, tf.reshape(flat, [-1, len(fields), e])


def make_spec(name, schema, inputs, labels, training, logits, task_weights=None,
              sensitivity=None, extra_losses=None):
    """Names the outputs (``logits/<task>``, ``predictions/<task>``) and builds the loss.

    Args:
      logits: ``{task: [B, 1] or [B]}``.
      task_weights: ``{task: weight}``; default 1 for every task.
      extra_losses: ``{name: (weight, scalar loss)}``, each added as ``weight * loss`` and
        logged alone as the summary ``loss/<name>`` (e.g. DIEN's auxiliary loss).

    Returns:
      A ``ModelSpec``. The loss is ``sum_t w_t * mean sigmoid cross-entropy_t`` plus the
      graph's regularization losses.
    """
    task_weights = dict(task_weights or {})
    named_logits, predictions, losses = {}, {}, []
    with tf.name_scope("logits"):
        for t, l in logits.items():
            named_logits[t] = tf.identity(tf.reshape(l, [-1]), name=t)
    with tf.name_scope("predictions"):
        for t, l in named_logits.items():
            predictions[t] = tf.sigmoid(l, name=t)
    with tf.name_scope("loss"):
        for t, l in named_logits.items():
            ce = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels[t], logits=l))
            tf.summary.scalar("loss_" + t, ce)
            losses.append(float(task_weights.get(t, 1.0)) * ce)
        for n, (w, extra) in sorted((extra_losses or {}).items()):
            tf.summary.scalar(n, extra)
            losses.append(float(w) * extra)
        loss = tf.add_n(losses)
        reg = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        if reg:
            loss = loss + tf.add_n(reg)
        loss = tf.identity(loss, name="total")
    return ModelSpec(
        inputs=inputs,
        labels={t: labels[t] for t in named_logits},
        training=training,
        logits=named_logits,
        predictions=predictions,
        loss=loss,
        sensitivity=sensitivity,
        name=name,
    )
