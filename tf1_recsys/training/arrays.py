"""Numpy arrays in, numbers out: predicting and evaluating a ``ModelSpec`` batch by batch in a session.

``Trainer.predict`` / ``Trainer.evaluate`` run these in the trainer's session, and
``Trainer.fit`` runs ``evaluate`` in its training session at each epoch's end.
"""
import numpy as np

from tf1_recsys import metrics
from tf1_recsys._tf import tf
from tf1_recsys.training import batches as B
from tf1_recsys.training.checkpoint import _message


def auc(labels, scores):
    """``metrics.auc``, or NaN when the labels hold one class (AUC is undefined)."""
    labels = np.asarray(labels)
    if labels.size == 0 or labels.min() == labels.max():
        return float("nan")
    return float(metrics.auc(labels, scores))


def gauc(labels, scores, groups):
    """``metrics.gauc``, or NaN over 0 groups when no group holds both classes."""
    undefined = metrics.GAUCResult(float("nan"), 0, int(np.unique(groups).size))
    labels = np.asarray(labels)
    if labels.size == 0 or labels.min() == labels.max():
        return undefined
    try:
        return metrics.gauc(labels, scores, groups)
    except ValueError as e:
        if "no group has both" not in str(e):
            raise
        return undefined


def keys_of(spec, with_labels):
    """The array keys a batch of ``spec`` needs: its inputs, and with ``with_labels`` its labels."""
    keys = list(spec.inputs)
    if with_labels:
        keys += [k for k in spec.labels if k not in keys]
    return keys


def check_dtypes(spec, data, keys, what):
    """ValueError for float arrays fed to integer inputs (feed_dict would truncate 1.7 to 1)."""
    tensors = dict(spec.labels)
    tensors.update(spec.inputs)
    for k in keys:
        t = tensors.get(k)
        a = np.asarray(data[k])
        if t is not None and t.dtype.base_dtype.is_integer and not (
                np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
            raise ValueError("%s: input %r must hold integer ids (%s); got a %s array, which would be "
                             "truncated silently. Convert it with .astype(int) after checking it."
                             % (what, k, t.dtype.base_dtype.name, a.dtype))


def checked_arrays(spec, data, with_labels, what):
    """``(n, {key: array})`` of ``data`` for ``spec``: the keys present, one length, integer ids."""
    keys = keys_of(spec, with_labels)
    n = B.check_arrays(data, keys, what)
    check_dtypes(spec, data, keys, what)
    return n, {k: np.asarray(data[k]) for k in keys}


def rejected_batch(error, what):
    """TensorFlow's ``InvalidArgumentError`` (an id outside its table, a bad shape) as one line
    starting with ``what``."""
    return tf.errors.InvalidArgumentError(
        error.node_def, error.op, "%s: TensorFlow rejected the batch: %s" % (what, _message(error)))


def one_line_errors(run, what):
    """``run`` (e.g. ``session.run``) whose invalid-argument errors are ``rejected_batch``'s one line."""
    def checked(fetches, feed_dict=None):
        try:
            return run(fetches, feed_dict)
        except tf.errors.InvalidArgumentError as e:
            raise rejected_batch(e, what) from None
    return checked


def _batches(arrays, n, batch_size):
    for start in range(0, n, batch_size):
        yield {k: v[start:start + batch_size] for k, v in arrays.items()}


def predict(run, spec, data, batch_size, what="predict"):
    """Probabilities of every task in inference mode: ``{task: float np.ndarray [N]}``.

    Args:
      run: ``session.run`` of a session holding ``spec``'s graph.
      spec: the ``ModelSpec``; its inputs (placeholders or feedable tensors) are fed.
      data: dict name -> array [N, ...] with every key of ``spec.inputs``.
    """
    n, arrays = checked_arrays(spec, data, False, what)
    run = one_line_errors(run, what)
    parts = {t: [] for t in spec.predictions}
    for batch in _batches(arrays, n, batch_size):
        out = run(spec.predictions, spec.feed(batch, training=False))
        for t, v in out.items():
            parts[t].append(np.reshape(v, [-1]))
    return {t: np.concatenate(v) for t, v in parts.items()}


def evaluate(run, spec, data, batch_size, group_key=None, what="evaluate"):
    """Loss, exact AUC and (with ``group_key``) GAUC of every task in inference mode.

    Returns:
      dict: 'loss' (example-weighted mean of ``spec.loss``), 'auc/<task>', and with
      groups 'gauc/<task>' and 'gauc_groups/<task>' (groups used).
    """
    if group_key is not None and group_key not in data:
        raise ValueError("%s: group key %r is not in the data." % (what, group_key))
    n, arrays = checked_arrays(spec, data, True, what)
    run = one_line_errors(run, what)
    tasks = list(spec.predictions)
    preds = {t: [] for t in tasks}
    labels = {t: [] for t in tasks if t in spec.labels}
    loss_sum = 0.0
    for batch in _batches(arrays, n, batch_size):
        out = run({"loss": spec.loss, "pred": spec.predictions}, spec.feed(batch, training=False))
        loss_sum += float(out["loss"]) * len(next(iter(batch.values())))
        for t in tasks:
            preds[t].append(np.reshape(out["pred"][t], [-1]))
        for t in labels:
            labels[t].append(np.reshape(batch[t], [-1]))
    result = {"loss": loss_sum / n}
    for t in labels:
        y, p = np.concatenate(labels[t]), np.concatenate(preds[t])
        result["auc/" + t] = auc(y, p)
        if group_key is not None:
            g = gauc(y, p, np.asarray(data[group_key]))
            result["gauc/" + t] = float(g.gauc)
            result["gauc_groups/" + t] = int(g.groups_used)
    return result


__all__ = ["auc", "gauc", "checked_arrays", "check_dtypes", "evaluate", "keys_of", "one_line_errors", "predict",
           "rejected_batch"]
