"""Per-group AUC statistics from packed ``group | score order | label`` keys.

``unweighted(...)`` is the fast path of ``gauc``: one in-place sort of uint64 keys, integer
pair counts. The score's order must fit beside the group bits and the label bit; how it is
made to fit, most exact-and-cheap first:

1. the float's own order bits, offset by the minimum (narrow score ranges);
2. float32 order bits (float32 scores, or float64 scores that are all float32 values);
3. the order bits with their lowest bits dropped. Dropping bits can only merge distinct scores
   into false ties, and a false tie matters only inside a run of one group holding both
   labels.
   a. Scores with few repeated values (continuous): those runs are exactly the mixed tie
      runs the sort exposes anyway; their rows are found and re-counted exactly (a small
      lexsort), so the result stays exact.
   b. Heavily tied scores (a sample says so): one more sort of the scores checks that no two
      distinct values merge; if some do, dense ranks of the scores are used instead.

``weighted(...)`` uses one ``argsort`` of ``group | score order`` keys and float64 sums.
"""
import numpy as np

from tf1_recsys.metrics import _checks
from tf1_recsys.metrics import _keys

_SMALL_DISTINCT = 1 << 16  # dense ranks by searchsorted into the distinct values up to this many


def order_plan(scores, max_bits, lo, hi):
    """How to code the scores in order from 0, without coding them yet.

    ``lo`` and ``hi`` are min(scores) and max(scores). Returns ``(scores, k_lo, bits,
    non_negative)``: the scores to code (float64 scores that do not fit ``max_bits`` but are
    all float32 values come back as float32), the code of the minimum (to subtract), the
    bits the codes need (may still exceed ``max_bits``), and the ``non_negative`` argument
    of ``_keys.order_keys``. Cost: O(1), or O(n) for the float32-value check.
    """
    non_negative = lo >= 0

    def key_range(dtype):
        ends = _keys.order_keys(np.array([lo, hi], dtype=dtype), non_negative)[0]
        return ends[0], int(ends[1]) - int(ends[0])

    k_lo, span = key_range(scores.dtype)
    too_wide = _keys.bit_length(span) > max_bits
    # float64 scores that are float32 values (a cheap look at the head first)
    if too_wide and scores.dtype == np.float64 and _float32_values(scores[:4096]):
        if _float32_values(scores):
            scores = scores.astype(np.float32)
            k_lo, span = key_range(np.float32)
    return scores, k_lo, _keys.bit_length(span), non_negative


def relative_order_keys(scores, max_bits, lo, hi):
    """Order-preserving uint64 codes of the scores, offset to start at 0.

    ``lo`` and ``hi`` are min(scores) and max(scores). Returns ``(codes, bits)`` as planned
    by ``order_plan``; ``bits`` may still exceed ``max_bits``.
    """
    scores, k_lo, bits, non_negative = order_plan(scores, max_bits, lo, hi)
    keys = _keys.order_keys(scores, non_negative)[0]
    keys -= k_lo
    return keys, bits


def _float32_values(scores):
    """True when every float64 score is exactly a float32 value."""
    with np.errstate(over="ignore"):  # values beyond float32 become inf: not equal
        return np.array_equal(scores.astype(np.float32), scores)


def dense_ranks(keys):
    """Dense ranks (0 = smallest, equal keys equal ranks) as uint64, and their bit count."""
    u = np.sort(keys)
    distinct = u[np.concatenate(([True], u[1:] != u[:-1]))]
    if len(distinct) <= _SMALL_DISTINCT:
        ranks = np.searchsorted(distinct, keys).astype(np.uint64)
    else:
        ranks = np.unique(keys, return_inverse=True)[1].reshape(-1).astype(np.uint64)
    return ranks, _keys.bit_length(len(distinct) - 1)


def _truncation_merges_values(keys, drop):
    """True when two distinct keys become equal once their ``drop`` low bits are dropped."""
    u = np.sort(keys)
    distinct = u[np.concatenate(([True], u[1:] != u[:-1]))]
    del u
    distinct >>= np.uint64(drop)
    return bool(np.any(distinct[1:] == distinct[:-1]))


def _looks_tied(values):
    """True when a strided sample of ~4096 values holds many repeats (a speed heuristic)."""
    sample = values[:: max(1, len(values) // 4096)]
    return len(np.unique(sample)) < 0.9 * len(sample)


def _group_of(keys, shift):
    """The group codes (int64) held above the lowest ``shift`` bits of the keys."""
    if shift >= 64:
        return np.zeros(len(keys), dtype=np.int64)
    return (keys >> np.uint64(shift)).astype(np.int64)


def unweighted(fn, labels_u, scores, codes, rows, lo, hi):
    """Per group: ``(twice_u, pos, neg)`` where ``twice_u / (2 pos neg)`` is the group's AUC.

    ``codes`` are non-negative int64 group codes in ``[0, len(rows))``; ``rows`` the rows per
    group; ``lo``, ``hi``: min(scores) and max(scores). ``twice_u`` is float64 (exact
    integers), ``pos`` and ``neg`` int64 row counts, each of length ``len(rows)``.
    """
    # Bits left for the score beside group and label, keeping the top bit clear so that
    # the packed keys sort as int64 (faster than uint64, see _keys.sort_keys).
    avail = 62 - _keys.bit_length(len(rows) - 1)
    scores, k_lo, s_bits, non_negative = order_plan(scores, avail, lo, hi)
    order = (scores, k_lo, non_negative)
    if s_bits <= avail:  # the exact order fits: the keys are packed straight from the scores
        stats = _count(labels_u, codes, rows, s_bits, order=order)[0]
    elif _looks_tied(scores):
        stats = _count_tied_wide(labels_u, codes, rows, _order_codes(*order), s_bits, avail)
    else:
        stats = _count_truncated(labels_u, codes, rows, order, s_bits, avail)
    twice_u, pos_g, neg_g = stats
    n_pos = int(pos_g.sum())
    _checks.check_classes(fn, n_pos, len(codes))
    return twice_u, pos_g, neg_g


def _order_codes(scores, k_lo, non_negative):
    """The order codes of all scores from 0 (``order_plan``'s plan), as a new uint64 array."""
    t = np.empty(len(scores), dtype=np.uint64)
    _keys.order_codes_into(scores, non_negative, k_lo, t)
    return t


def _count_tied_wide(labels_u, codes, rows, t, s_bits, avail):
    """``_count``'s statistics for heavily tied scores whose ``s_bits`` order codes ``t``
    exceed ``avail`` bits (case 3b of the module docstring); ``t`` is consumed."""
    drop = s_bits - avail
    if _truncation_merges_values(t, drop):
        t, s_bits = dense_ranks(t)
    else:  # dropping the low bits keeps every distinct score distinct: exact as is
        t >>= np.uint64(drop)
        s_bits = avail
    return _count(labels_u, codes, rows, s_bits, score_code=t)[0]


def _count_truncated(labels_u, codes, rows, order, s_bits, avail):
    """``_count``'s statistics for scores with few repeated values whose order needs
    ``s_bits > avail`` bits (case 3a of the module docstring): the keys hold the order
    without its low bits; the mixed runs, if any, are re-counted from the full order codes.
    """
    drop = s_bits - avail
    stats, keys, trans, runs = _count(labels_u, codes, rows, avail, order=order, drop=drop)
    if trans.size:
        t = _order_codes(*order)
        if _fix_false_ties(stats, keys, trans, runs, labels_u, codes, t, drop, avail):
            # too many rows in mixed runs: exact dense ranks instead
            t, s_bits = dense_ranks(t)
            stats = _count(labels_u, codes, rows, s_bits, score_code=t)[0]
    return stats


def _count(labels_u, codes, rows, s_bits, score_code=None, order=None, drop=0):
    """One sort of packed keys and the per-group pair counts.

    The ``s_bits`` score order of each row comes either from ``score_code`` (uint64 codes
    from 0, consumed: the keys are packed in place) or, computed chunk by chunk while
    packing, from ``order = (scores, k_lo, non_negative)`` (see ``order_plan``) without its
    ``drop`` lowest bits.
    Returns ``((twice_u float64, pos int64, neg int64), keys, trans, (n_neg_t, n_pos_t))``
    where ``trans`` are the positions of the mixed tie runs in the sorted ``keys``.
    Cost: one chunked packing pass, the sort, and a few passes.
    """
    n, n_groups = len(codes), len(rows)
    shift = s_bits + 1
    keys = np.empty(n, dtype=np.uint64) if score_code is None else score_code
    codes_u = codes.view(np.uint64)
    chunk = _keys.SCAN_CHUNK
    tmp = np.empty(min(chunk, n), dtype=np.uint64)
    for a in range(0, n, chunk):  # packs in cache-sized chunks: one trip to memory
        b = min(a + chunk, n)
        out, lab = keys[a:b], labels_u[a:b]
        if score_code is None:
            scores, k_lo, non_negative = order
            _keys.order_codes_into(scores[a:b], non_negative, k_lo, out)
            if drop:
                np.right_shift(out, np.uint64(drop), out=out)
        np.left_shift(out, 1, out=out)
        np.bitwise_or(out, lab, out=out, casting="unsafe")
        if n_groups > 1:
            np.bitwise_or(out, np.left_shift(codes_u[a:b], shift, out=tmp[: b - a]), out=out)
    _keys.sort_keys(keys, top_bit_clear=True)  # group bits + s_bits + 1 <= 63
    pos, pos_group, trans = _keys.scan_groups(keys, shift)
    n_pos = len(pos)
    pos_g = np.bincount(pos_group, minlength=n_groups)
    neg_g = rows - pos_g
    pos_start = np.cumsum(pos_g) - pos_g
    neg_start = np.cumsum(neg_g) - neg_g
    # negatives (of any group) before each positive, summed per group: integer-exact
    cum = np.zeros(n_pos + 1, dtype=np.int64)
    np.cumsum(pos - np.arange(n_pos), out=cum[1:])
    pairs_below = cum[pos_start + pos_g] - cum[pos_start] - pos_g * neg_start
    twice_u = 2.0 * pairs_below
    runs = (np.empty(0, np.int64), np.empty(0, np.int64))
    if trans.size:
        runs = _keys.mixed_tie_runs(keys, trans)
        tie_group = _group_of(keys[trans], shift)
        twice_u -= np.bincount(tie_group, weights=runs[0] * runs[1], minlength=n_groups)
    return (twice_u, pos_g, neg_g), keys, trans, runs


def _fix_false_ties(stats, keys, trans, runs, labels_u, codes, t, drop, avail):
    """Re-counts exactly the mixed runs of truncated keys; returns True if there are too many.

    ``stats[0]`` (twice_u per group) is corrected in place.
    """
    if not trans.size:
        return False
    n = len(keys)
    if int(runs[0].sum() + runs[1].sum()) > max(n // 8, 4096):
        return True
    bucket = keys[trans] >> np.uint64(1)  # group | truncated score of each mixed run, sorted
    q = t >> np.uint64(drop)
    q |= np.left_shift(codes.view(np.uint64), avail)
    at = np.minimum(np.searchsorted(bucket, q), len(bucket) - 1)
    rows_s = np.flatnonzero(bucket[at] == q)
    b = at[rows_s]  # run index of each row
    t_s = t[rows_s]
    lab = labels_u[rows_s].astype(np.int64)
    order = np.lexsort((lab, t_s, b))
    b, t_s, lab = b[order], t_s[order], lab[order]
    # sub-runs of equal (run, full score); per sub-run: positives and negatives
    new = np.concatenate(([True], (b[1:] != b[:-1]) | (t_s[1:] != t_s[:-1])))
    sub = np.cumsum(new) - 1
    sub_b = b[new]
    sub_pos = np.bincount(sub, weights=lab).astype(np.int64)
    sub_neg = np.bincount(sub).astype(np.int64) - sub_pos
    below = np.cumsum(sub_neg) - sub_neg  # exclusive running negatives ...
    first = np.flatnonzero(np.concatenate(([True], sub_b[1:] != sub_b[:-1])))
    below -= np.repeat(below[first], np.diff(np.append(first, len(sub_b))))  # ... within run
    exact = np.bincount(sub_b, weights=sub_pos * (2 * below + sub_neg), minlength=len(bucket))
    delta = exact - runs[0] * runs[1]  # the truncated count gave each pair 1/2
    group = _group_of(bucket, avail)
    twice_u = stats[0]
    twice_u += np.bincount(group, weights=delta, minlength=len(twice_u))
    return False


def weighted(fn, labels_u, scores, codes, n_groups, weights, lo, hi):
    """Per group: ``(u, pos_w, neg_w)`` where ``u / (pos_w neg_w)`` is the weighted AUC."""
    g_bits = _keys.bit_length(n_groups - 1)
    t, s_bits = relative_order_keys(scores, 64 - g_bits, lo, hi)
    if s_bits > 64 - g_bits:
        t, s_bits = dense_ranks(t)
    key = t
    if n_groups > 1:
        key |= np.left_shift(codes.view(np.uint64), s_bits)
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
    below -= np.repeat(below[first], np.diff(np.append(first, len(g_t))))  # within the group
    u_g = np.bincount(g_t, weights=wp_t * (below + 0.5 * wn_t), minlength=n_groups)
    pos_g = np.bincount(g_t, weights=wp_t, minlength=n_groups)
    neg_g = np.bincount(g_t, weights=wn_t, minlength=n_groups)
    return u_g, pos_g, neg_g
