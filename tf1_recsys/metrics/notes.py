"""The notes' three AUC functions, fixed: ``get_auc``, ``calcAUC_byProb``, ``calculate_auc_func2``.

They keep the notes' names and methods (scikit-learn, pair counting, rank sums) so that code
written against the notes runs unchanged, but they validate their input, return the value and
log it instead of printing, and give the exact AUC (ties counted 0.5). For large inputs use
``tf1_recsys.metrics.auc``, which gives the same value in O(n log n) with one sort.
"""
import logging

import numpy as np

from tf1_recsys.metrics import _checks

logger = logging.getLogger(__name__)

_PAIR_BLOCK = 1 << 22  # elements of one positive-by-negative comparison block (bounded memory)


def get_auc(y_labels, y_scores, sample_weight=None):
    """ROC AUC through ``sklearn.metrics.roc_auc_score`` (scikit-learn is imported lazily).

    Args:
      y_labels: 1-D array-like of n labels, 0/1 or booleans.
      y_scores: 1-D array-like of n finite scores.
      sample_weight: optional 1-D array-like of n non-negative weights.

    Returns:
      float: scikit-learn's AUC. The input is checked exactly as by ``auc`` first.

    Raises:
      ImportError: scikit-learn is not installed.
      ValueError: the checks of ``auc`` (lengths, empty, NaN/inf, labels, one class, weights).
    """
    fn = "get_auc"
    labels_u, scores, weights = _checks.check_inputs(fn, y_labels, y_scores, sample_weight)[:3]
    _checks.check_classes(fn, int(np.count_nonzero(labels_u)), len(labels_u))
    if weights is not None:
        is_pos = labels_u.astype(bool)
        _checks.check_class_weights(fn, weights[is_pos].sum(), weights[~is_pos].sum())
    try:
        from sklearn.metrics import roc_auc_score
    except ImportError as e:
        raise ImportError(
            "get_auc needs scikit-learn, which is not installed: pip install scikit-learn "
            "(or use tf1_recsys.metrics.auc, which gives the same value without it)."
        ) from e
    value = float(roc_auc_score(labels_u, scores, sample_weight=weights))
    logger.info("AUC calculated by sklearn tool is %.17g", value)
    return value


def calcAUC_byProb(labels, probs, sample_weight=None):
    """ROC AUC by counting positive/negative pairs (the notes' "method 1"), vectorised.

    Every (positive, negative) pair is compared: a pair scores 1 when the positive's
    probability is higher, 0.5 when they are equal. The comparisons run in numpy blocks of at
    most 2**22 pairs, so memory stays bounded; time is O(P * N) (use ``auc`` for big inputs).

    Args:
      labels: 1-D array-like of n labels, 0/1 or booleans.
      probs: 1-D array-like of n finite scores.
      sample_weight: optional 1-D array-like of n non-negative weights (a pair then counts
        with the product of its two weights).

    Returns:
      float: the AUC; exact (integer pair counts, one division) without weights.

    Raises:
      ValueError: the checks of ``auc``.
    """
    fn = "calcAUC_byProb"
    labels_u, scores, weights = _checks.check_inputs(
        fn, labels, probs, sample_weight, "probs"
    )[:3]
    is_pos = labels_u.astype(bool)
    pos_prob, neg_prob = scores[is_pos], scores[~is_pos]
    P, N = len(pos_prob), len(neg_prob)  # P: positives, N: negatives
    _checks.check_classes(fn, P, P + N)
    block_n = min(N, 4096)
    block_p = max(1, _PAIR_BLOCK // block_n)
    if weights is None:
        twice = 0  # 2 * (pairs ordered right) + (tied pairs), an exact integer
        for i in range(0, P, block_p):
            a = pos_prob[i:i + block_p, None]
            for j in range(0, N, block_n):
                b = neg_prob[None, j:j + block_n]
                twice += 2 * int(np.count_nonzero(a > b)) + int(np.count_nonzero(a == b))
        value = twice / (2 * P * N)
    else:
        wp, wn = weights[is_pos], weights[~is_pos]
        total = 0.0
        for i in range(0, P, block_p):
            a = pos_prob[i:i + block_p, None]
            for j in range(0, N, block_n):
                b = neg_prob[None, j:j + block_n]
                credit = (a > b) + 0.5 * (a == b)
                total += float(wp[i:i + block_p] @ (credit @ wn[j:j + block_n]))
        value = _weighted_ratio(fn, total, wp.sum(), wn.sum())
    logger.info("AUC calculated by function1 (pair counting) is %.17g", value)
    return value


calculate_auc_func1 = calcAUC_byProb
"""The name the notes' ``__main__`` calls (it was never defined there)."""


def calculate_auc_func2(y_labels, y_scores, ties="average", sample_weight=None):
    """ROC AUC from the rank sum of the positives (the notes' "method 2", Mann-Whitney U).

    AUC = (sum of the positives' ranks - P (P + 1) / 2) / (P N).

    Args:
      y_labels: 1-D array-like of n labels, 0/1 or booleans.
      y_scores: 1-D array-like of n finite scores.
      ties: ``'average'`` (default) gives tied scores their average rank: the exact AUC, ties
        counted 0.5. ``'ordinal'`` ranks tied scores 1, 2, 3... in input order, as the notes
        did: the notes' old numbers, which depend on the order of the rows.
      sample_weight: optional 1-D array-like of n non-negative weights (weighted ranks).

    Returns:
      float: the AUC.

    Raises:
      ValueError: the checks of ``auc``, or an unknown ``ties``.
    """
    fn = "calculate_auc_func2"
    if ties not in ("average", "ordinal"):
        raise ValueError(
            "%s: unknown `ties` %r; expected 'average' or 'ordinal'." % (fn, ties)
        )
    labels_u, scores, weights = _checks.check_inputs(fn, y_labels, y_scores, sample_weight)[:3]
    order = np.argsort(scores, kind="stable")  # stable: ordinal ranks follow the input order
    is_pos = labels_u[order].astype(bool)
    n, P = len(order), int(np.count_nonzero(is_pos))
    _checks.check_classes(fn, P, n)
    s = scores[order]
    new = np.concatenate(([True], s[1:] != s[:-1]))
    starts = np.flatnonzero(new)
    if weights is None:
        pos_idx = np.flatnonzero(is_pos)
        if ties == "ordinal":
            twice_rank_sum = 2 * (int(pos_idx.sum()) + P)
        else:  # tie group at 0-based positions [a, b]: average rank (a + b + 2) / 2
            group = np.cumsum(new) - 1
            ends = np.append(starts[1:], n) - 1
            g = group[pos_idx]
            twice_rank_sum = int(starts[g].sum()) + int(ends[g].sum()) + 2 * P
        value = (twice_rank_sum - P * (P + 1)) / (2 * P * (n - P))
    else:
        # The weighted rank sum minus its positive-positive part is the weight of the
        # negatives ranked below each positive (half of those tied with it). Summed that way
        # there is no cancellation: a tie of weights 1 and 1e-16 still counts.
        w = weights[order]
        neg_w = np.where(is_pos, 0.0, w)
        if ties == "ordinal":
            below = np.cumsum(neg_w) - neg_w
        else:
            group = np.cumsum(new) - 1
            group_neg = np.add.reduceat(neg_w, starts)
            below_group = np.concatenate(([0.0], np.cumsum(group_neg)[:-1]))
            below = below_group[group] + 0.5 * group_neg[group]
        wp = w[is_pos]
        total_p = float(wp.sum())
        u = float(np.dot(wp, below[is_pos]))
        value = _weighted_ratio(fn, u, total_p, float(neg_w.sum()))  # not w.sum() - P_w: 1 + 1e-17 - 1 = 0
    logger.info("AUC calculated by function2 (%s ranks) is %.17g", ties, value)
    return value


def _weighted_ratio(fn, u, total_p, total_n):
    _checks.check_class_weights(fn, total_p, total_n)
    return u / (float(total_p) * float(total_n))
