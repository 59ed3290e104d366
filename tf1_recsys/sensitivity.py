"""Gradient-based feature sensitivity, as the notes compute it.

For each head q and a batch, the sensitivity of an input column is
``|mean over the batch of dq/dx|``: the closer to 0, the less q reacts to that input.
Real-valued features are reported one by one; a categorical slot, embedded in
``embedding_size`` columns, by the largest of its columns' values.

Inputs a head does not depend on (``tf.gradients`` returns None for them) have
sensitivity exactly 0, since q does not change with them; ``unconnected='raise'``
makes that an error instead.
"""
import collections

import numpy as np

from tf1_recsys._tf import check_rank, require_graph_mode, shape_str, tf
from tf1_recsys.layers.core import positive_int

SensitivityRow = collections.namedtuple("SensitivityRow", "head rank feature kind sensitivity")
SensitivityRow.__doc__ = """One feature of one head: ``kind`` is 'real' or 'slot'; ``rank`` 1 is the most sensitive."""


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _input_width(fn, input_feas, embedding_size, rv_feas_len, num_slots):
    if not input_feas:
        raise ValueError("%s: `input_feas` is empty." % fn)
    width = 0
    for i, t in enumerate(input_feas):
        check_rank(fn, "input_feas[%d]" % i, t, rank=2)
        if tf.compat.dimension_value(t.shape[-1]) is None:
            raise ValueError("%s: the width of `input_feas[%d]` must be known; got shape %s."
                             % (fn, i, shape_str(t)))
        width += int(t.shape[-1])
    embedding_size = positive_int(fn, "embedding_size", embedding_size)
    if isinstance(rv_feas_len, bool) or not isinstance(rv_feas_len, (int, np.integer)) or rv_feas_len < 0:
        raise ValueError("%s: `rv_feas_len` must be an int >= 0; got %r." % (fn, rv_feas_len))
    slots, rest = divmod(width - int(rv_feas_len), embedding_size)
    if width < rv_feas_len or rest or (num_slots is not None and slots != num_slots):
        expected = ("rv_feas_len + slots * embedding_size" if num_slots is None else
                    "rv_feas_len + num_slots * embedding_size = %d" % (rv_feas_len + num_slots * embedding_size))
        raise ValueError(
            "%s: the concatenated width of `input_feas` (%s) is %d, which is not %s with "
            "rv_feas_len=%d and embedding_size=%d."
            % (fn, ", ".join(shape_str(t) for t in input_feas), width, expected, rv_feas_len,
               embedding_size))
    return slots


def get_gradients(qs, input_feas, embedding_size, rv_feas_len, num_slots=None, unconnected="zero"):
    """Per-head feature sensitivities, exactly as the notes compute them.

    Args:
      qs: a head tensor or a list of them, each [B] or [B, 1] (``tf.gradients`` sums
        over the batch, so each example gets its own gradient).
      input_feas: a float tensor [B, W] or a list of them, concatenated along the last
        axis: first ``rv_feas_len`` real-valued columns, then ``slots`` embeddings of
        ``embedding_size`` columns each.
      embedding_size: columns per slot.
      rv_feas_len: number of real-valued columns.
      num_slots: optional expected slot count, checked against the width.
      unconnected: 'zero' (sensitivity 0 for inputs a head does not depend on) or 'raise'.

    Returns:
      A list, one per head, of float tensors [rv_feas_len + slots].
    """
    fn = "get_gradients"
    require_graph_mode(fn)
    qs = _as_list(qs)
    input_feas = [tf.convert_to_tensor(t) for t in _as_list(input_feas)]
    if num_slots is not None:
        num_slots = positive_int(fn, "num_slots", num_slots)
    _input_width(fn, input_feas, embedding_size, rv_feas_len, num_slots)
    if unconnected not in ("zero", "raise"):
        raise ValueError("%s: `unconnected` must be 'zero' or 'raise'; got %r." % (fn, unconnected))

    def grad_processing(grad, emb_size, rv_len):
        batch_avg_grad = tf.abs(tf.reduce_mean(grad, axis=0))
        rv_grad = batch_avg_grad[:rv_len]
        slot_embed_grad = tf.reshape(batch_avg_grad[rv_len:], [-1, emb_size])
        slot_grad = tf.reduce_max(slot_embed_grad, axis=1)
        return tf.concat([rv_grad, slot_grad], axis=-1)

    grad_list = []
    for i, q in enumerate(qs):
        grads = tf.gradients(q, input_feas)
        if unconnected == "raise":
            missing = [j for j, g in enumerate(grads) if g is None]
            if missing:
                raise ValueError("%s: head qs[%d] does not depend on input_feas%s." % (fn, i, missing))
        grads = [tf.zeros_like(x) if g is None else g for g, x in zip(grads, input_feas)]
        concat_grad = tf.concat(grads, axis=-1)
        grad_list.append(grad_processing(concat_grad, embedding_size, rv_feas_len))
    return grad_list


def feature_sensitivity(sess, qs, input_feas, embedding_size, rv_feas_len, feed_dict, feature_names,
                        head_names=None, num_slots=None, unconnected="zero"):
    """Runs ``get_gradients`` on one batch and ranks the features of each head.

    Builds the gradient ops in ``sess.graph`` on each call (the graph must not be
    finalized); to rank many batches, build ``get_gradients`` once and run it yourself.

    Args:
      sess: a session on the graph of ``qs``.
      feed_dict: the batch.
      feature_names: ``rv_feas_len`` real-valued names, then one name per slot.
      head_names: one per head; default 'head_0', 'head_1', ...
      Others as ``get_gradients``.

    Returns:
      A list of ``SensitivityRow(head, rank, feature, kind, sensitivity)``: heads in the
      order of ``qs``, features of each head from the most to the least sensitive
      (ties keep the order of ``feature_names``).
    """
    fn = "feature_sensitivity"
    qs = _as_list(qs)
    head_names = ["head_%d" % i for i in range(len(qs))] if head_names is None else list(head_names)
    if len(head_names) != len(qs):
        raise ValueError("%s: got %d `head_names` for %d heads in `qs`." % (fn, len(head_names), len(qs)))
    with sess.graph.as_default():
        grads = get_gradients(qs, input_feas, embedding_size, rv_feas_len, num_slots, unconnected)
    n_features = tf.compat.dimension_value(grads[0].shape[0])
    feature_names = list(feature_names)
    if n_features is not None and len(feature_names) != n_features:
        raise ValueError(
            "%s: `feature_names` must list the %d real-valued features and then the %d slots "
            "(%d names); got %d." % (fn, rv_feas_len, n_features - rv_feas_len, n_features,
                                     len(feature_names)))
    values = sess.run(grads, feed_dict=feed_dict)
    rows = []
    for head, value in zip(head_names, values):
        order = np.argsort(-np.asarray(value), kind="stable")
        for rank, j in enumerate(order, start=1):
            kind = "real" if j < rv_feas_len else "slot"
            rows.append(SensitivityRow(head, rank, feature_names[j], kind, float(value[j])))
    return rows


def format_table(rows, digits=6):
    """The rows of ``feature_sensitivity`` as an aligned text table."""
    header = ("head", "rank", "feature", "kind", "sensitivity")
    body = [(str(r.head), str(r.rank), str(r.feature), r.kind, "%.*g" % (digits, r.sensitivity))
            for r in rows]
    widths = [max(len(line[c]) for line in [header] + body) for c in range(len(header))]
    right = {1, 4}
    fmt = lambda line: "  ".join(
        cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(line, widths))
    ).rstrip()
    lines = [fmt(header), "  ".join("-" * w for w in widths)] + [fmt(line) for line in body]
    return "\n".join(lines)


__all__ = ["get_gradients", "feature_sensitivity", "format_table", "SensitivityRow"]
