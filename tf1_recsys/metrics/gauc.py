"""Group AUC (per user, as in the DIN paper) from a single sort, without a loop over groups.

Every row gets one uint64 key ``group | score order | label``; one in-place sort puts every
group's rows together in score order, and all per-group AUCs come out of a few vectorised
passes (``bincount`` and cumulative sums), with exact integer pair counts.
"""
import collections
import logging

import numpy as np

from tf1_recsys.metrics import _checks
from tf1_recsys.metrics import _group_stats

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

    Cost: one in-place sort of n uint64 keys holding group, score order and label (an
    ``argsort`` with weights), O(n + number of groups) memory, no loop over groups. Integer
    group ids spanning more than ~2n values, and non-integer ids, cost one ``np.unique``.
    Heavily tied float64 scores that are not float32 values cost one more sort (dense ranks);
    see ``tf1_recsys.metrics._group_stats``.
    """
    fn = "gauc"
    _checks.check_weighting(fn, weighting)
    labels_u, scores, weights, lo, hi = _checks.check_inputs(fn, labels, scores, sample_weight)
    n = len(scores)
    groups = _checks.as_1d(fn, "groups", groups)
    if len(groups) != n:
        raise ValueError(
            "%s: `groups` must have one entry per row: expected length %d, got %d."
            % (fn, n, len(groups))
        )
    codes, n_codes = _group_codes(fn, groups, n)
    rows = np.bincount(codes, minlength=n_codes)
    if weights is None:  # AUC = twice_u / (2 pos neg), exact integer counts
        num, pos_g, neg_g = _group_stats.unweighted(fn, labels_u, scores, codes, rows, lo, hi)
        den = 2 * pos_g * neg_g
    else:  # AUC = u / (pos_w neg_w)
        num, pos_g, neg_g = _group_stats.weighted(
            fn, labels_u, scores, codes, n_codes, weights, lo, hi
        )
        den = pos_g * neg_g
    valid = np.flatnonzero((pos_g > 0) & (neg_g > 0))
    used = len(valid)
    skipped = int(np.count_nonzero(rows)) - used
    if used == 0:
        raise ValueError(
            "%s: no group has both a positive and a negative (%d groups, all of one class); "
            "GAUC is not defined." % (fn, skipped)
        )
    auc_g = num[valid] / den[valid]
    if weighting == "impressions":
        w = (pos_g + neg_g)[valid]
    elif weighting == "clicks":
        w = pos_g[valid]
    else:
        w = np.ones(used)
    value = float(np.dot(w, auc_g) / w.sum())
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
            if g.dtype == np.int64 and lo == 0:
                return g, span  # used as it is (read only)
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
