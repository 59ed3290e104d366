"""Packed integer sort keys for exact AUC.

The speed of ``auc`` and ``gauc`` comes from sorting ONE array of ``uint64`` keys with
``ndarray.sort`` (numpy's SIMD quicksort) instead of an ``argsort`` plus gathers: the key holds
the score's order in its high bits and the label in its lowest bit, so after the sort every tie
group of equal scores lies together with its negatives (label 0) before its positives (label 1).
Non-negative float32 scores need only 31 order bits, so ``auc`` packs them with their label
into ``uint32`` keys (half the memory traffic and a sort as fast as ``np.sort`` of the
scores); the scan functions below take ``uint32`` and ``uint64`` keys alike.

Float bits are made order-preserving without any float arithmetic: for a non-negative float
the raw IEEE bits already sort like the values; for a negative float the inverted bits do.
"""
import sys

import numpy as np

_U64 = np.uint64
_ONE = _U64(1)
_CHUNK = 1 << 20
SCAN_CHUNK = 1 << 16  # 512 KiB of keys: stays in cache between the passes of one chunk


def bit_length(x):
    """Number of bits needed to hold the non-negative integer ``x`` (0 for 0)."""
    return int(x).bit_length()


def magnitude_label_keys(scores, labels_u, negative):
    """``(order bits of |score| << 1) | label`` for scores of ONE sign, as a new uint64 array.

    For non-negative scores the key grows with the score; for negative scores (``negative``
    True) it grows with the score too (the magnitude bits are inverted). -0.0 and +0.0 get the
    same key. The sign bit is shifted out, so the key uses the float's width exactly.
    """
    utype = np.uint64 if scores.dtype == np.float64 else np.uint32
    bits = scores.view(utype)
    if negative:
        bits = np.invert(bits)
        np.left_shift(bits, 1, out=bits)
    else:
        bits = np.left_shift(bits, 1)
    keys = bits if utype is np.uint64 else bits.astype(np.uint64)
    np.bitwise_or(keys, labels_u, out=keys, casting="unsafe")
    return keys


def order_keys(scores, non_negative=False):
    """Order-preserving unsigned keys of finite float32/float64 scores (no label bit).

    ``non_negative=True`` promises that no score is below 0 (saves three passes); the keys
    are then the raw bits, which order non-negative floats correctly but not negative ones.

    Returns ``(keys, width)``: a new uint64 array with ``keys[i] < keys[j]`` iff
    ``scores[i] < scores[j]`` (and equal keys iff equal scores, -0.0 == +0.0), and the number
    of bits of the float type (64 or 32).
    """
    utype, width = (np.uint64, 64) if scores.dtype == np.float64 else (np.uint32, 32)
    s = np.add(scores, scores.dtype.type(0))  # new array; -0.0 + 0.0 == +0.0
    t = s.view(utype)
    if non_negative:  # the raw bits already sort like the values
        return (t if utype is np.uint64 else t.astype(np.uint64)), width
    sign = np.right_shift(t, width - 1)  # 1 for negative
    mask = np.negative(sign)  # all ones for negative, 0 otherwise (unsigned wrap-around)
    mask |= utype(1 << (width - 1))  # flip the sign bit of non-negative values
    np.bitwise_xor(t, mask, out=t)
    return (t if utype is np.uint64 else t.astype(np.uint64)), width


def order_codes_into(scores, non_negative, k_lo, out):
    """Writes ``order_keys(scores, non_negative)[0] - k_lo`` into the uint64 array ``out``.

    For non-negative scores (-0.0 allowed) that is the raw bits with the sign bit cleared
    (-0.0 becomes +0.0), copied without temporaries; other scores go through ``order_keys``.
    """
    if non_negative:
        utype = np.uint64 if scores.dtype == np.float64 else np.uint32
        out[...] = scores.view(utype)
        np.bitwise_and(out, _U64((1 << (8 * scores.itemsize - 1)) - 1), out=out)
        np.subtract(out, k_lo, out=out)
    else:
        np.subtract(order_keys(scores)[0], k_lo, out=out)


def sort_keys(keys, top_bit_clear):
    """Sorts uint64 ``keys`` in place.

    numpy sorts int64 about 20% faster than uint64 (measured: 0.22 s against 0.26 s for
    10^7 keys with AVX2). When the caller knows that no key has its top bit set, int64
    order equals uint64 order, so the keys are sorted through an int64 view.
    """
    if top_bit_clear:
        keys.view(np.int64).sort()
    else:
        keys.sort()


def low_bits(keys):
    """The lowest bit of every uint32/uint64 key as a bool array (reads one byte per key)."""
    size = keys.itemsize
    low = 0 if sys.byteorder == "little" else size - 1
    return np.bitwise_and(keys.view(np.uint8)[low::size], 1).view(bool)


def _transitions(keys, first, b, buf):
    """Positions ``i`` in ``[first, b)`` (sorted keys, ``first >= 1``) where a tie group turns
    from label 0 to 1.

    With label-in-the-low-bit keys, ``keys[i - 1] ^ keys[i] == 1`` holds exactly when
    ``keys[i - 1]`` is a negative and ``keys[i]`` a positive of the same score (and group).
    Only such mixed tie groups need the 0.5 correction. ``buf``: scratch of the keys' dtype,
    at least ``b - first`` long. Returns absolute positions (int64), increasing.
    """
    x = np.bitwise_xor(keys[first - 1:b - 1], keys[first:b], out=buf[: b - first])
    return np.flatnonzero(x == keys.dtype.type(1)) + first


def _odd_positions(keys, buf, odd):
    """Positions of the odd keys in ``keys`` (int64, increasing); ``buf``/``odd`` scratch.

    For uint32 keys a contiguous AND plus a compare is faster than ``low_bits``' strided byte
    reads (about 10% of the whole scan); for uint64 keys it is not (measured), so they keep
    ``low_bits``.
    """
    if keys.itemsize != 4:
        return np.flatnonzero(low_bits(keys))
    low = np.bitwise_and(keys, keys.dtype.type(1), out=buf[: len(keys)])
    return np.flatnonzero(np.not_equal(low, 0, out=odd[: len(keys)]))


def _transitions_at(keys, odd, first):
    """``_transitions`` among the positions ``odd`` (increasing, ``>= first - 1``) of odd keys.

    A transition ends at a positive, and sorted order makes ``keys[t - 1] ^ keys[t] == 1``
    for an odd ``keys[t]`` the same as ``keys[t - 1] == keys[t] - 1``: gathering at the
    positives only beats a pass over every row when positives are few.
    """
    t = odd[1:] if odd.size and odd[0] < first else odd  # only odd[0] can be below first
    return t[keys[t - 1] == keys[t] - keys.dtype.type(1)]


def scan_groups(keys, shift):
    """One chunked pass over sorted packed ``group << shift | ... | label`` keys.

    Returns ``(pos, group, trans)``: the positions of the positives (odd keys, int64), their
    group codes (int64), and the positions of the mixed tie transitions (``_transitions``).
    Keys must have their top bit clear. Cost: O(n) with a chunk of keys in cache.
    """
    n = len(keys)
    chunk = min(SCAN_CHUNK, _CHUNK)
    buf = np.empty(min(chunk, max(n, 1)), dtype=np.uint64)
    pos, group, trans = [], [], []
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        p = np.flatnonzero(low_bits(keys[a:b]))
        p += a
        pos.append(p)
        group.append(np.right_shift(keys[p], _U64(shift)).view(np.int64))
        trans.append(_transitions(keys, max(a, 1), b, buf))
    if not pos:
        return (np.empty(0, np.int64),) * 3
    return np.concatenate(pos), np.concatenate(group), np.concatenate(trans)


def scan_sorted(keys, lo=0, hi=None):
    """One cache-friendly pass over sorted label keys ``keys[lo:hi]``.

    ``keys``: uint64 or uint32. Returns ``(n_pos, pos_sum, trans)``: the number of positives
    (odd keys), the sum of their absolute positions (a Python int), and the positions of the
    mixed tie transitions (``_transitions``).

    Each chunk takes one of two exact routes. A chunk with few runs of equal keys (tied
    scores) is summed run by run from its key changes (``_key_changes``), which reads only
    a strided sample and the blocks around the changes. Other chunks are summed row by row:
    the positions of the odd keys, and the transitions from ``x ^ y == 1``.
    Cost: O(hi - lo), a chunk of keys at a time in cache.
    """
    hi = len(keys) if hi is None else hi
    chunk = min(SCAN_CHUNK, _CHUNK)
    n_pos, pos_sum, found = 0, 0, []
    buf = np.empty(min(chunk, max(hi - lo, 1)), dtype=keys.dtype)
    odd = np.empty(len(buf), dtype=bool)
    for a in range(lo, hi, chunk):
        b = min(a + chunk, hi)
        first = max(a, lo + 1)  # the first row that has a predecessor in keys[lo:hi]
        change = _key_changes(keys, first, b)
        if change is not None:
            part_pos, part_sum, hit = _run_stats(keys, a, b, change)
        else:
            pos = _odd_positions(keys[a:b], buf, odd)
            part_pos, part_sum = len(pos), int(pos.sum(dtype=np.int64)) + a * len(pos)
            if 4 * len(pos) < b - a:  # few positives (CTR data): test them only
                hit = _transitions_at(keys, pos + a, first)
            else:
                hit = _transitions(keys, first, b, buf)
        n_pos += part_pos
        pos_sum += part_sum
        if hit.size:
            found.append(hit)
    trans = np.concatenate(found) if found else np.empty(0, dtype=np.int64)
    return n_pos, pos_sum, trans


_SAMPLE_STEP = 64


def _key_changes(keys, first, b):
    """Positions ``i`` in ``[first, b)`` where ``keys[i] != keys[i - 1]`` (sorted keys), or None.

    Samples every ``_SAMPLE_STEP``-th key from ``first - 1`` (and the last, ``b - 1``): two
    equal samples enclose equal keys only, so only the blocks between differing samples can
    hold a change, and only those are compared. Returns None (the caller goes row by row)
    when more than 1/8 of the blocks hold a change, which the first 64 blocks usually show.
    Cost: ``(b - first) / _SAMPLE_STEP`` reads plus ``_SAMPLE_STEP`` per block with a change.
    """
    step = _SAMPLE_STEP
    sample = keys[first - 1:b:step]
    head = sample[:65]
    if np.count_nonzero(head[1:] != head[:-1]) * 8 > len(head):  # many runs: give up early
        return None
    block = np.flatnonzero(sample[1:] != sample[:-1])
    if keys[b - 1] != sample[-1]:  # the tail after the last sample
        block = np.append(block, len(sample) - 1)
    if len(block) * 8 > len(sample):
        return None
    start = first - 1 + block * step
    cand = start[:, None] + np.arange(1, step + 1)
    cand = cand[cand <= np.minimum(start + step, b - 1)[:, None]]
    return cand[keys[cand] != keys[cand - 1]]


def _run_stats(keys, a, b, change):
    """``scan_sorted``'s statistics of ``keys[a:b]`` from the positions of its key changes.

    ``change``: the increasing positions in ``(a, b)`` (or ``[a, b)``) where the key changes.
    Returns ``(n_pos, pos_sum, trans)``. Cost: O(number of runs).
    """
    starts = np.concatenate(([a], change[change > a]))
    ends = np.append(starts[1:], b)
    odd = low_bits(keys[starts])
    lens = (ends - starts)[odd]
    # rows s..e-1 have positions summing to (s + e - 1) * (e - s) / 2, an integer
    pos_sum = int(np.dot(starts[odd] + ends[odd] - 1, lens)) // 2
    trans = change[(keys[change - 1] ^ keys[change]) == keys.dtype.type(1)]
    return int(lens.sum()), pos_sum, trans


def mixed_tie_runs(keys, trans, lo=0, hi=None):
    """For each mixed tie transition: ``(n_neg, n_pos)`` rows of that tie group.

    ``keys[lo:hi]`` must be sorted; ``trans`` are transition positions (``_transitions``):
    the group's negatives are the run of keys equal to ``keys[t - 1]`` ending at ``t - 1``,
    its positives the run equal to ``keys[t]`` starting at ``t``. Most runs hold one row, so
    one direct comparison with the next row out settles them; only the longer runs are
    followed by ``_run_end``.
    """
    hi = len(keys) if hi is None else hi
    part = keys[lo:hi]
    rel = trans - lo
    n_neg = np.ones(len(rel), dtype=np.int64)
    n_pos = np.ones(len(rel), dtype=np.int64)
    longer = part[np.maximum(rel - 2, 0)] == part[rel - 1]
    longer &= rel >= 2
    at = rel[longer]
    if at.size:  # the run through at - 1 also holds at - 2
        n_neg[longer] = at - _run_end(part, at - 2, -1)
    longer = part[np.minimum(rel + 1, len(part) - 1)] == part[rel]
    longer &= rel + 1 < len(part)
    at = rel[longer]
    if at.size:
        n_pos[longer] = _run_end(part, at + 1, 1) - at
    return n_neg, n_pos


_PROBES = 8
_PROBE_MIN_RUNS = 4096  # below this many runs, binary search alone is cheaper


def _run_end(part, at, direction):
    """Where the runs of equal keys through the positions ``at`` of sorted ``part`` end.

    ``direction`` -1: the first position of each run; +1: one past its last position.
    With many runs, steps one row at a time, all runs together, at most ``_PROBES`` times
    (most tie runs are short; measured ~2x faster than two binary searches per run on 10^6
    rows with 10^4 groups), then binary-searches the runs still going.
    Cost: O(len(at) * _PROBES + long runs * log n).
    """
    key = part[at]
    edge = at.copy()  # the farthest position known to hold the run's key
    todo = np.arange(len(at))
    for _ in range(_PROBES if len(at) >= _PROBE_MIN_RUNS else 0):
        step = edge[todo] + direction
        inside = (step >= 0) & (step < len(part))
        todo, step = todo[inside], step[inside]
        same = part[step] == key[todo]
        todo = todo[same]
        edge[todo] = step[same]
        if not todo.size:
            break
    else:
        side = "left" if direction < 0 else "right"
        edge[todo] = np.searchsorted(part, key[todo], side) - (direction > 0)
    return edge if direction < 0 else edge + 1
