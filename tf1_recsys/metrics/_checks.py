"""Input checks shared by the numpy AUC functions.

Every check raises a ``ValueError`` that names the calling function, the argument, what was
expected and what was found. The checks are written to cost only a few linear passes (min/max
instead of element-wise masks where possible) because ``auc`` is meant for 10^7-row inputs.
"""
import collections

import numpy as np

WEIGHTINGS = ("impressions", "clicks", "uniform")


def as_1d(fn, name, value):
    """``value`` as a 1-D numpy array (a ``(n, 1)`` column is flattened); ValueError otherwise."""
    arr = np.asarray(value)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            "%s: `%s` must be 1-D (or a (n, 1) column); got an array of shape %s."
            % (fn, name, arr.shape)
        )
    return arr


def check_same_length(fn, name_a, a, name_b, b):
    """ValueError when the two 1-D arrays differ in length."""
    if len(a) != len(b):
        raise ValueError(
            "%s: `%s` and `%s` must have the same length; got %d %s and %d %s."
            % (fn, name_a, name_b, len(a), name_a, len(b), name_b)
        )


def check_labels(fn, labels):
    """Validates 0/1 (or boolean) labels of a 1-D array.

    Returns an unsigned integer array holding 0 and 1 (a view of ``labels`` when the dtype
    allows it, so no copy is made for bool or integer labels).
    """
    if labels.size == 0:
        raise ValueError(
            "%s: `labels` is empty; AUC needs at least one positive and one negative." % fn
        )
    kind = labels.dtype.kind
    if kind == "b":
        return labels.view(np.uint8)
    if kind in "iu":
        unsigned = labels.view(np.dtype("u%d" % labels.dtype.itemsize))
        if unsigned.max() <= 1:  # negative values wrap to huge unsigned ones: one pass
            return unsigned
    elif kind == "f":
        ok = (labels == 0) | (labels == 1)
        if ok.all():
            return labels.astype(np.uint8)
    else:
        raise ValueError(
            "%s: `labels` must be 0/1 numbers or booleans; got dtype %s." % (fn, labels.dtype)
        )
    bad = labels[(labels != 0) & (labels != 1)]
    shown = ", ".join(repr(v) for v in np.unique(bad)[:5].tolist())
    raise ValueError(
        "%s: `labels` must contain only 0 and 1 (or booleans); got %d other values, e.g. [%s]."
        % (fn, bad.size, shown)
    )


def check_classes(fn, n_pos, n, what="labels"):
    """ValueError when all rows are of one class (ROC AUC is then undefined)."""
    if n_pos == 0 or n_pos == n:
        raise ValueError(
            "%s: only one class is present in `%s` (all %d rows are %s); ROC AUC is not "
            "defined." % (fn, what, n, "positive" if n_pos else "negative")
        )


def check_class_weights(fn, total_pos, total_neg):
    """ValueError when the positives or the negatives have zero total weight."""
    if total_pos <= 0 or total_neg <= 0:
        raise ValueError(
            "%s: the %s have zero total `sample_weight`; ROC AUC is not defined."
            % (fn, "positives" if total_pos <= 0 else "negatives")
        )


def check_scores(fn, scores, name="scores", need_max=True):
    """Validates finite numeric scores.

    Returns ``(scores, lo, hi)``: the scores as float64 or float32 (no copy if already so;
    integers and booleans are converted to float64, exact up to 2**53), their min and max.
    With ``need_max=False`` and a finite non-negative minimum, ``hi`` is None and +inf is
    NOT checked: the caller must call ``raise_non_finite`` if it finds one (``auc`` does so
    after its sort, saving a pass over 10^7 scores).
    """
    if scores.size == 0:
        raise ValueError("%s: `%s` is empty." % (fn, name))
    kind = scores.dtype.kind
    if kind not in "biuf":
        raise ValueError("%s: `%s` must be numeric; got dtype %s." % (fn, name, scores.dtype))
    if scores.dtype not in (np.float64, np.float32):
        scores = scores.astype(np.float64)
    lo = scores.min()  # NaN propagates through min/max
    hi = scores.max() if need_max or not lo >= 0 else None
    if not (np.isfinite(lo) and (hi is None or np.isfinite(hi))):
        raise_non_finite(fn, scores, name)
    return scores, lo, hi


def raise_non_finite(fn, scores, name="scores"):
    """Raises the ValueError for NaN or infinite ``scores``."""
    n_nan = int(np.count_nonzero(np.isnan(scores)))
    n_inf = int(np.count_nonzero(np.isinf(scores)))
    first = int(np.flatnonzero(~np.isfinite(scores))[0])
    raise ValueError(
        "%s: `%s` must be finite; got %d NaN and %d infinite values (first at index %d)."
        % (fn, name, n_nan, n_inf, first)
    )


def check_weights(fn, weights, n, name="sample_weight"):
    """Validates finite non-negative weights of length ``n``; returns them as float64.

    The returned weights are scaled by a power of two that brings the largest into
    [0.5, 1): exact (only the exponents change), and every AUC is the same for weights
    scaled by a common factor, but products of two weights and their sums then neither
    overflow (weights near 1e300) nor lose precision in subnormals (weights near 1e-160).
    """
    w = as_1d(fn, name, weights)
    if len(w) != n:
        raise ValueError(
            "%s: `%s` must have one entry per row: expected length %d, got %d."
            % (fn, name, n, len(w))
        )
    if w.dtype.kind not in "biuf":
        raise ValueError("%s: `%s` must be numeric; got dtype %s." % (fn, name, w.dtype))
    w = w.astype(np.float64, copy=False)
    if not np.isfinite(w).all():
        raise ValueError("%s: `%s` must be finite; got NaN or infinite values." % (fn, name))
    if n and w.min() < 0:
        i = int(np.argmin(w))
        raise ValueError(
            "%s: `%s` must be non-negative; got %r at index %d." % (fn, name, float(w[i]), i)
        )
    exponent = int(np.frexp(w.max())[1]) if n else 0
    return np.ldexp(w, -exponent) if exponent else w


def check_weighting(fn, weighting):
    """ValueError for an unknown group weighting."""
    if weighting not in WEIGHTINGS:
        raise ValueError(
            "%s: unknown `weighting` %r; expected one of %s."
            % (fn, weighting, ", ".join(repr(w) for w in WEIGHTINGS))
        )


Checked = collections.namedtuple("Checked", ["labels", "scores", "weights", "lo", "hi"])


def check_inputs(fn, labels, scores, sample_weight=None, scores_name="scores", need_max=True):
    """The common checks of (labels, scores[, sample_weight]).

    Returns ``Checked(labels, scores, weights, lo, hi)``: 0/1 unsigned labels, float32/float64
    scores, float64 weights (or None) and the scores' min and max.
    """
    labels = as_1d(fn, "labels", labels)
    scores = as_1d(fn, scores_name, scores)
    check_same_length(fn, "labels", labels, scores_name, scores)
    labels_u = check_labels(fn, labels)
    scores, lo, hi = check_scores(fn, scores, scores_name, need_max)
    weights = None if sample_weight is None else check_weights(fn, sample_weight, len(labels))
    return Checked(labels_u, scores, weights, lo, hi)
