"""Group AUC (per user, as in the DIN paper) from a single sort, without a loop over groups.

Every row gets one uint64 key ``group | score order | label``; one in-place sort puts every
group's rows together in score order, and all per-group AUCs come out of a few vectorised
passes (``bincount`` and cumulative sums), with exact integer pair counts.
"""
import collections
import logging

import numpy as np

from tf1_recsys.metrics import _checks
from tf1_recsys.metrics import _keys

logger = logging.getLogger(__name__)

GAUCResult = collections.namedtuple("GAUCResult", ["gauc", "groups_used", "groups_skipped"])
GAUCResult.__doc__ = """The result of ``gauc``.

Fields:
  gauc (float): the weighted mean of the per-group AUCs over the groups used.
  groups_used (int): groups that have both a positive and a negative (with weights: both
    classes with positive total weight); only they enter the mean.
  groups_skipped (int): groups present in the data but holding one class only (their AUC is
    undefined, as in scikit-learn).
"""


def gauc(labels, scores, groups, weighting="impressions", sample_weight=None):
    """Group AUC: the weighted mean over groups (e.g. users) of each group's exact AUC.

    Args:
      labels: 1-D array-like of n labels, 0/1 or booleans.
      scores: 1-D array-like of n finite scores.
      groups: 1-D array-like of n group ids (integers, strings, anything ``np.unique`` sorts).
      weighting: the weight of a group's AUC in the mean:
        ``'impressions'`` (default, as in the DIN paper): its number of rows;
        ``'clicks'``: its number of positives; ``'uniform'``: 1.
        With ``sample_weight`` the counts become sums of the rows' weights.
      sample_weight: optional 1-D array-like of n non-negative row weights; each group's AUC is
        then the weighted AUC of its rows (pairs weighted by the product of their weights).

    Returns:
      GAUCResult(gauc, groups_used, groups_skipped): a namedtuple; ``result.gauc`` is the float.
      Groups with a single class are skipped and counted in ``groups_skipped``.

    Raises:
      ValueError: the checks of ``auc``, ``groups`` of the wrong length, an unknown
        ``weighting``, or no group having both classes.

    Cost: one sort of n uint64 keys (an ``argsort`` with weights), O(n + number of groups)
    memory. The key holds the group, the score's order and the label; when the score's order
    bits and the group bits do not fit 64 bits together (float64 scores that are not float32
    values), the scores are first replaced by their dense ranks, which costs one more sort.
    """
    fn = "gauc"
    _checks.check_weighting(fn, weighting)
    labels_u, scores, weights = _checks.check_inputs(fn, labels, scores, sample_weight)[:3]
    n = len(scores)
    groups = _checks.as_1d(fn, "groups", groups)
    if len(groups) != n:
        raise ValueError(
            "%s: `groups` must have one entry per row: expected length %d, got %d."
            % (fn, n, len(groups))
        )
    codes, n_codes = _group_codes(fn, groups, n)
    g_bits = _keys.bit_length(n_codes - 1)
    score_code, s_bits = _score_codes(scores, 64 - g_bits - (1 if weights is None else 0))
    rows = np.bincount(codes, minlength=n_codes)
    if weights is None:
        stats = _unweighted_group_stats(fn, labels_u, codes, score_code, s_bits, rows)
    else:
        stats = _weighted_group_stats(fn, labels_u, codes, score_code, s_bits, weights, n_codes)
    auc_g, pos_g, neg_g = stats
    valid = (pos_g > 0) & (neg_g > 0)
    used = int(np.count_nonzero(valid))
    skipped = int(np.count_nonzero(rows > 0)) - used
    if used == 0:
        raise ValueError(
            "%s: no group has both a positive and a negative (%d groups, all of one class); "
            "GAUC is not defined." % (fn, skipped)
        )
    if weighting == "impressions":
        w = (pos_g + neg_g)[valid]
    elif weighting == "clicks":
        w = pos_g[valid]
    else:
        w = np.ones(used)
    value = float(np.dot(w, auc_g[valid]) / w.sum())
    logger.debug(
        "gauc (%s) over %d rows: %.17g, %d groups used, %d skipped",
        weighting, n, value, used, skipped,
    )
    return GAUCResult(value, used, skipped)


def _group_codes(fn, groups, n):
    """Dense-enough integer codes 0..G-1 for the group ids: ``(codes int64, G)``.

    Integer ids spanning at most ~2n values are used as they are (offset by the minimum, no
    sort); other ids are ranked with ``np.unique``.
    """
    if groups.dtype.kind in "biu":
        g = groups.view(np.uint8) if groups.dtype.kind == "b" else groups
        lo, hi = int(g.min()), int(g.max())
        span = hi - lo + 1
        if span <= 2 * n + 1024:
            if g.dtype.kind == "u":
                return (g - g.dtype.type(lo)).astype(np.int64), span
            return g.astype(np.int64) - lo, span
    try:
        uniq, inverse = np.unique(groups, return_inverse=True)
    except TypeError as e:
        raise ValueError(
            "%s: `groups` must be sortable ids (integers or strings); got dtype %s (%s)."
            % (fn, groups.dtype, e)
        ) from e
    return inverse.reshape(-1).astype(np.int64), len(uniq)


def _score_codes(scores, max_bits):
    """Order-preserving unsigned codes of the scores that fit ``max_bits`` bits.

    Returns ``(codes uint64, bits)``. Tries the float's own bits (offset by the minimum), then
    float32 bits when float64 scores are all float32 values, then dense ranks (one more sort).
    """
    keys, _ = _keys.order_keys(scores)
    lo = keys.min()
    span = int(keys.max()) - int(lo)
    if _keys.bit_length(span) > max_bits and scores.dtype == np.float64:
        s32 = scores.astype(np.float32)
        if np.array_equal(s32, scores):
            keys, _ = _keys.order_keys(s32)
            lo = keys.min()
            span = int(keys.max()) - int(lo)
    if _keys.bit_length(span) > max_bits:
        uniq, inverse = np.unique(keys, return_inverse=True)
        return inverse.reshape(-1).astype(np.uint64), _keys.bit_length(len(uniq) - 1)
    keys -= lo
    return keys, _keys.bit_length(span)


def _unweighted_group_stats(fn, labels_u, codes, score_code, s_bits, rows):
    """Per-group AUC, positives and negatives from one in-place sort of packed keys."""
    n, n_groups = len(codes), len(rows)
    shift = s_bits + 1
    keys = score_code
    np.left_shift(keys, 1, out=keys)
    np.bitwise_or(keys, labels_u, out=keys, casting="unsafe")
    if n_groups > 1:
        keys |= np.left_shift(codes.astype(np.uint64), shift)
    keys.sort()

    pos = np.flatnonzero(_keys.low_bits(keys))
    n_pos = len(pos)
    _checks.check_classes(fn, n_pos, n)
    pos_group = _group_of(keys[pos], shift)
    pos_g = np.bincount(pos_group, minlength=n_groups)
    neg_g = rows - pos_g
    pos_start = np.cumsum(pos_g) - pos_g
    neg_start = np.cumsum(neg_g) - neg_g
    # negatives (of any group) before each positive, then summed per group: integer-exact
    below = pos - np.arange(n_pos)
    cum = np.zeros(n_pos + 1, dtype=np.int64)
    np.cumsum(below, out=cum[1:])
    pairs_below = cum[pos_start + pos_g] - cum[pos_start] - pos_g * neg_start
    twice_u = 2.0 * pairs_below
    trans = _keys.mixed_tie_transitions(keys)
    if trans.size:
        n_neg_t, n_pos_t = _keys.mixed_tie_runs(keys, trans)
        tie_group = _group_of(keys[trans], shift)
        twice_u -= np.bincount(tie_group, weights=n_neg_t * n_pos_t, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc_g = twice_u / (2.0 * pos_g * neg_g)
    return auc_g, pos_g.astype(np.float64), neg_g.astype(np.float64)


def _weighted_group_stats(fn, labels_u, codes, score_code, s_bits, weights, n_groups):
    """Per-group weighted AUC and class weights, from one argsort of ``group | score`` keys."""
    key = score_code
    if n_groups > 1:
        key |= np.left_shift(codes.astype(np.uint64), s_bits)
    order = np.argsort(key)
    k = key[order]
    is_pos = labels_u[order].astype(bool)
    _checks.check_classes(fn, int(np.count_nonzero(is_pos)), len(k))
    w = weights[order]
    wp = np.where(is_pos, w, 0.0)
    wn = np.where(is_pos, 0.0, w)
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))  # tie groups
    wp_t = np.add.reduceat(wp, starts)
    wn_t = np.add.reduceat(wn, starts)
    g_t = _group_of(k[starts], s_bits)
    below = np.zeros(len(wn_t))
    np.cumsum(wn_t[:-1], out=below[1:])
    first = np.flatnonzero(np.concatenate(([True], g_t[1:] != g_t[:-1])))  # first tie of group
    first_of = np.repeat(first, np.diff(np.append(first, len(g_t))))
    below -= below[first_of]  # negative weight below, within the group only
    u_g = np.bincount(g_t, weights=wp_t * (below + 0.5 * wn_t), minlength=n_groups)
    pos_g = np.bincount(g_t, weights=wp_t, minlength=n_groups)
    neg_g = np.bincount(g_t, weights=wn_t, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc_g = u_g / (pos_g * neg_g)
    return auc_g, pos_g, neg_g


def _group_of(keys, shift):
    """The group codes (int64) held above the lowest ``shift`` bits of the keys."""
    if shift >= 64:
        return np.zeros(len(keys), dtype=np.int64)
    return (keys >> np.uint64(shift)).astype(np.int64)
