"""tf1_recsys.metrics (numpy part): the notes' AUC functions, exact ``auc`` and ``gauc``.

References: ``sklearn.metrics.roc_auc_score`` (and a per-group loop of it for gauc), and the
notes' original algorithms, ported below without their ``print``.
"""
import importlib
import logging
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from sklearn.metrics import roc_auc_score

import tf1_recsys.metrics as M
from tf1_recsys.metrics import _group_stats, _keys

NOTES_LABELS = np.array([1, 1, 0, 0, 0])
NOTES_SCORES = np.array([0.4, 0.8, 0.2, 0.4, 0.5])
TOL = 1e-12


# ---------------------------------------------------------------- the notes' algorithms
def notes_calcAUC_byProb(labels, probs):
    """The notes' lines 231-257, unchanged but for the comments."""
    N = 0
    P = 0
    neg_prob = []
    pos_prob = []
    for index, label in enumerate(labels):
        if label == 1:
            P += 1
            pos_prob.append(probs[index])
        else:
            N += 1
            neg_prob.append(probs[index])
    number = 0
    for pos in pos_prob:
        for neg in neg_prob:
            if pos > neg:
                number += 1
            elif pos == neg:
                number += 0.5
    return number / (N * P)


def notes_calculate_auc_func2(y_labels, y_scores):
    """The notes' lines 260-268, without the print."""
    samples = list(zip(y_scores, y_labels))
    rank = [(values2, values1) for values1, values2 in sorted(samples, key=lambda x: x[0])]
    pos_rank = [i + 1 for i in range(len(rank)) if rank[i][0] == 1]
    pos_cnt = np.sum(y_labels == 1)
    neg_cnt = np.sum(y_labels == 0)
    return (np.sum(pos_rank) - pos_cnt * (pos_cnt + 1) / 2) / (pos_cnt * neg_cnt)


def sklearn_group_aucs(labels, scores, groups, sample_weight=None):
    """The per-group scikit-learn loop that ``gauc`` replaces.

    Returns ``(aucs, pos_w, neg_w, skipped)`` over the groups with both classes.
    """
    labels, scores, groups = np.asarray(labels), np.asarray(scores), np.asarray(groups)
    w_all = np.ones(len(labels)) if sample_weight is None else np.asarray(sample_weight, float)
    aucs, pos_w, neg_w, skipped = [], [], [], 0
    for g in np.unique(groups):
        m = groups == g
        y, s, w = labels[m], scores[m], w_all[m]
        wp, wn = w[y == 1].sum(), w[y == 0].sum()
        if wp <= 0 or wn <= 0:
            skipped += 1
            continue
        aucs.append(roc_auc_score(y, s, sample_weight=None if sample_weight is None else w))
        pos_w.append(wp)
        neg_w.append(wn)
    return np.array(aucs), np.array(pos_w), np.array(neg_w), skipped


def combine(per_group, weighting):
    """(gauc, used, skipped) from ``sklearn_group_aucs`` under one weighting."""
    aucs, wp, wn, skipped = per_group
    c = {"impressions": wp + wn, "clicks": wp, "uniform": np.ones(len(aucs))}[weighting]
    return float(np.sum(c * aucs) / np.sum(c)), len(aucs), skipped


def sklearn_gauc(labels, scores, groups, weighting, sample_weight=None):
    return combine(sklearn_group_aucs(labels, scores, groups, sample_weight), weighting)


WEIGHTINGS = ("impressions", "clicks", "uniform")


AUC_FUNCS = [M.auc, M.calcAUC_byProb, M.calculate_auc_func2, M.get_auc]


# ---------------------------------------------------------------- the notes' example
def test_notes_example_gives_075():
    for f in AUC_FUNCS + [M.calculate_auc_func1]:
        assert f(NOTES_LABELS, NOTES_SCORES) == pytest.approx(0.75, abs=TOL), f.__name__
    assert notes_calcAUC_byProb(NOTES_LABELS, NOTES_SCORES) == 0.75


def test_ties_ordinal_reproduces_notes_old_value():
    old = notes_calculate_auc_func2(NOTES_LABELS, NOTES_SCORES)
    assert old == pytest.approx(2 / 3)  # not the true 0.75
    got = M.calculate_auc_func2(NOTES_LABELS, NOTES_SCORES, ties="ordinal")
    assert got == pytest.approx(old, abs=TOL)


def test_ties_ordinal_matches_notes_on_random_input(rng):
    for _ in range(20):
        n = int(rng.integers(5, 60))
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        s = rng.integers(0, 4, n) / 4.0
        old = notes_calculate_auc_func2(y, s)
        assert M.calculate_auc_func2(y, s, ties="ordinal") == pytest.approx(old, abs=TOL)
        assert M.calculate_auc_func2(y, s) == pytest.approx(roc_auc_score(y, s), abs=TOL)


def test_ties_average_does_not_depend_on_row_order():
    order = [3, 1, 2, 0, 4]
    y, s = NOTES_LABELS[order], NOTES_SCORES[order]
    assert M.calculate_auc_func2(y, s) == pytest.approx(0.75, abs=TOL)
    assert M.calculate_auc_func2(y, s, ties="ordinal") != pytest.approx(
        M.calculate_auc_func2(NOTES_LABELS, NOTES_SCORES, ties="ordinal")
    )


def test_calculate_auc_func1_is_the_pair_counting_method():
    assert M.calculate_auc_func1 is M.calcAUC_byProb


def test_pair_counting_matches_notes_loops(rng):
    for _ in range(10):
        n = int(rng.integers(2, 80))
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        s = rng.integers(0, 5, n) / 5.0
        assert M.calcAUC_byProb(y, s) == pytest.approx(notes_calcAUC_byProb(y, s), abs=TOL)


def test_pair_counting_blocks_cover_all_pairs(monkeypatch, rng):
    from tf1_recsys.metrics import notes

    monkeypatch.setattr(notes, "_PAIR_BLOCK", 7)  # many small blocks, ragged edges
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300), 1)
    w = rng.random(300)
    assert M.calcAUC_byProb(y, s) == pytest.approx(roc_auc_score(y, s), abs=TOL)
    assert M.calcAUC_byProb(y, s, sample_weight=w) == pytest.approx(
        roc_auc_score(y, s, sample_weight=w), abs=TOL
    )


def test_list_input_works(rng):
    # the notes' rank method computed `y_labels == 1` on the array; a Python list gave 0/0
    y, s = NOTES_LABELS.tolist(), NOTES_SCORES.tolist()
    for f in AUC_FUNCS:
        assert f(y, s) == pytest.approx(0.75, abs=TOL)


def test_results_are_returned_and_logged_not_printed(caplog, capsys):
    with caplog.at_level(logging.INFO, logger="tf1_recsys.metrics"):
        values = [f(NOTES_LABELS, NOTES_SCORES) for f in AUC_FUNCS[1:]]
    assert all(isinstance(v, float) for v in values)
    assert capsys.readouterr().out == ""
    text = caplog.text
    assert "sklearn tool" in text and "function1" in text and "function2" in text


# ---------------------------------------------------------------- agreement with scikit-learn
@st.composite
def auc_case(draw):
    n = draw(st.integers(2, 120))
    labels = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    if min(labels) == max(labels):
        labels[0] = 1 - labels[0]
    levels = draw(st.sampled_from([2, 3, 7, 1000, None]))  # heavy ties ... none
    if levels is None:
        scores = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
    else:
        scores = [v / 4.0 - 1 for v in draw(
            st.lists(st.integers(0, levels - 1), min_size=n, max_size=n))]
    weights = draw(st.lists(st.floats(0, 10), min_size=n, max_size=n))
    return np.array(labels), np.array(scores), np.array(weights)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(auc_case())
@example((np.array([0, 1]), np.array([-1.0, -1.0]), np.array([2.0 ** -52, 1.0])))  # a tie, tiny weight
def test_all_methods_match_sklearn(case):
    y, s, w = case
    ref = roc_auc_score(y, s)
    for f in AUC_FUNCS:
        assert abs(f(y, s) - ref) <= TOL, f.__name__
    if w[y == 1].sum() > 0 and w[y == 0].sum() > 0:
        ref_w = roc_auc_score(y, s, sample_weight=w)
        for f in AUC_FUNCS:
            assert abs(f(y, s, sample_weight=w) - ref_w) <= TOL, f.__name__


def _one_heavy_positive_all_tied():
    y, w = np.zeros(32, int), np.zeros(32)
    y[5], w[5], w[-1] = 1, 5.0, 2.52206096e-13
    return y, -np.ones(32), w


@pytest.mark.parametrize("case", [
    _one_heavy_positive_all_tied(),  # found by hypothesis: the rank sum lost U to cancellation
    (np.array([1, 0]), np.array([-1.0, -1.0]), np.array([1.0, 2.10894354e-304])),  # N_w = 1 + w - 1 = 0
    (np.array([1, 0, 0]), np.array([0.2, 0.1, 0.3]), np.array([1.0, 1e-17, 1e-17])),
    (np.array([0, 1, 1, 0]), np.array([0.1, 0.1, 0.4, 0.4]), np.array([3.0, 1e-15, 2e-16, 1.0])),
], ids=["tied-1e-13", "tied-1e-304", "ranked-1e-17", "positives-1e-15"])
def test_class_weights_many_orders_apart_match_sklearn(case):
    y, s, w = case
    ref = roc_auc_score(y, s, sample_weight=w)
    for f in AUC_FUNCS:
        assert abs(f(y, s, sample_weight=w) - ref) <= TOL, f.__name__


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e-160, 1e150, 1e300])
def test_extreme_weight_scales_match_sklearn(scale, rng):
    # pair weights are products of two row weights: unscaled, 1e-200 underflows to zero,
    # 1e300 overflows, 1e-160 loses digits in subnormals; scikit-learn gets all of them
    n = 400
    y = rng.integers(0, 2, n)
    s = np.round(rng.random(n), 1)
    g = rng.integers(0, 5, n)
    w = rng.random(n) * scale
    with np.errstate(all="raise"):
        for f in AUC_FUNCS:
            assert abs(f(y, s, sample_weight=w) - roc_auc_score(y, s, sample_weight=w)) <= TOL, \
                f.__name__
        for weighting in WEIGHTINGS:
            got = M.gauc(y, s, g, weighting, sample_weight=w).gauc
            assert abs(got - sklearn_gauc(y, s, g, weighting, w)[0]) <= TOL, weighting


@pytest.mark.parametrize("kind", ["continuous", "tied", "mixed_sign", "negative", "float32",
                                  "int", "signed_zero"])
def test_auc_matches_sklearn_seeded(kind, rng):
    for trial in range(3):
        n = 2000
        y = (rng.random(n) < 0.1 + 0.3 * trial).astype(np.int64)
        s = rng.random(n)
        if kind == "tied":
            s = np.round(s, 2)
        elif kind == "mixed_sign":
            s = (s - 0.5) * 10.0 ** rng.integers(-3, 30)
            s[: n // 10] = np.round(s[: n // 10], 0)
        elif kind == "negative":
            s = -np.round(s, 3) - 1e-9
        elif kind == "float32":
            s = np.round(s - 0.3, 3).astype(np.float32)
        elif kind == "int":
            s = rng.integers(-5, 5, n)
        elif kind == "signed_zero":
            s = np.where(rng.random(n) < 0.5, 0.0, -0.0) * (rng.random(n) < 0.7) + (
                rng.random(n) < 0.1
            ) * rng.normal(size=n)
        w = rng.random(n) * (rng.random(n) < 0.9)
        for f in AUC_FUNCS:
            assert abs(f(y, s) - roc_auc_score(y, s)) <= TOL, (f.__name__, trial)
            ref_w = roc_auc_score(y, s, sample_weight=w)
            assert abs(f(y, s, sample_weight=w) - ref_w) <= TOL, (f.__name__, trial)


@pytest.mark.parametrize("dtype", [bool, np.int8, np.uint8, np.int32, np.float32, np.float64])
def test_label_dtypes(dtype, rng):
    y = rng.integers(0, 2, 500)
    s = np.round(rng.random(500), 2)
    assert M.auc(y.astype(dtype), s) == pytest.approx(roc_auc_score(y, s), abs=TOL)


def test_column_vectors_are_accepted(rng):
    y = rng.integers(0, 2, (200, 1))
    s = rng.random((200, 1))
    assert M.auc(y, s) == pytest.approx(roc_auc_score(y[:, 0], s[:, 0]), abs=TOL)


def test_auc_does_not_modify_inputs(rng):
    y = rng.integers(0, 2, 1000)
    s = rng.random(1000) - 0.5
    y0, s0 = y.copy(), s.copy()
    M.auc(y, s)
    M.gauc(y, s, rng.integers(0, 10, 1000))
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(s, s0)


def test_tie_runs_across_chunk_boundaries(monkeypatch, rng):
    monkeypatch.setattr(_keys, "_CHUNK", 5)
    y = rng.integers(0, 2, 2000)
    s = np.round(rng.random(2000), 1) - 0.5
    assert M.auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=TOL)
    g = rng.integers(0, 20, 2000)
    per_group = sklearn_group_aucs(y, s, g)
    for weighting in WEIGHTINGS:
        ref = combine(per_group, weighting)
        assert M.gauc(y, s, g, weighting).gauc == pytest.approx(ref[0], abs=TOL)


@pytest.mark.parametrize("chunk", [1 << 20, 3000, 64, 7])
@pytest.mark.parametrize("sign", ["non_negative", "mixed_sign"])
def test_auc_scan_by_runs_and_by_rows_agree_with_sklearn(chunk, sign, monkeypatch, rng):
    """Sorted chunks of tied scores are summed run by run, others row by row: both exact."""
    monkeypatch.setattr(_keys, "_CHUNK", chunk)
    routes = []
    real = _keys._key_changes
    monkeypatch.setattr(
        _keys, "_key_changes", lambda *a: routes.append(real(*a) is None) or real(*a)
    )
    n = 30000
    y = (rng.random(n) < 0.3).astype(np.int64)
    s = rng.random(n) * 0.5  # continuous below 0.5 ...
    s[n // 3:] = 0.5 + rng.integers(0, 4, n - n // 3) / 8  # ... and 4 heavily tied values
    if sign == "mixed_sign":
        s[: n // 6] = -rng.integers(1, 4, n // 6) / 4.0  # 3 tied negative values
    s = s[rng.permutation(n)]
    assert M.auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=TOL)
    if chunk == 3000:  # 10 chunks, some tied, some not (tiny chunks cannot tell)
        assert any(routes) and not all(routes), "expected both routes"

# ---------------------------------------------------------------- float32: 32-bit keys
F32 = np.float32
F32_EDGES = np.array([
    0.0, -0.0, 1.0, 0.5, 1e-45, 3e-42, np.finfo(F32).tiny, np.nextafter(F32(0), F32(1)),
    np.nextafter(F32(1), F32(0)), np.nextafter(F32(1), F32(2)), np.nextafter(F32(2), F32(0)),
    2.0, 3.5, 1e30, np.finfo(F32).max, -1e-45, -1.0, -3.0,
], dtype=F32)


@st.composite
def float32_case(draw):
    """float32 scores drawn from edge values (0, 1, subnormals, -0.0, just below 2, above 2,
    negatives) and random floats, with bool or int labels and few or many positives."""
    n = draw(st.integers(2, 300))
    non_negative = draw(st.booleans())
    edges = F32_EDGES[F32_EDGES >= 0] if non_negative else F32_EDGES
    pool = np.concatenate([edges, np.abs(edges) if non_negative else -edges])
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n))
    lo = 0.0 if non_negative else -3.0
    noise = draw(st.lists(st.floats(lo, 3.0, width=32), min_size=n, max_size=n))
    use_noise = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    scores = np.where(use_noise, np.array(noise, F32), pool[picks]).astype(F32)
    rate = draw(st.sampled_from([0.03, 0.5]))
    seed = draw(st.integers(0, 2**31 - 1))
    labels = np.random.default_rng(seed).random(n) < rate
    labels[:2] = [True, False]
    dtype = draw(st.sampled_from([bool, np.int64, np.uint8]))
    return labels.astype(dtype), scores


# scikit-learn's finite check sums the scores: +-float32 max overflow to inf - inf there
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning")
@settings(max_examples=200, deadline=None, derandomize=True)
@given(float32_case())
def test_float32_scores_match_sklearn(case):
    y, s = case
    assert abs(M.auc(y, s) - roc_auc_score(y, s)) <= TOL
    # the same value with the scores widened (64-bit keys) and with weights (argsort path)
    assert abs(M.auc(y, s.astype(np.float64)) - roc_auc_score(y, s)) <= TOL
    w = np.ones(len(y))
    assert abs(M.auc(y, s, sample_weight=w) - roc_auc_score(y, s)) <= TOL


def test_float32_keys_are_32_bit_only_for_non_negative_finite_scores(rng):
    auc_module = importlib.import_module("tf1_recsys.metrics.auc")  # not the function

    y = rng.random(5000) < 0.05
    s = rng.random(5000).astype(F32)
    s[:3] = [0.0, 1e-45, np.nextafter(F32(2), F32(0))]
    keys = auc_module._fused_keys("auc", y, s)
    assert keys.dtype == np.uint32
    assert np.all(keys[:-1] <= keys[1:])
    s[5] = 7.0e37  # above 2: the key still fits 32 bits (float32 bits < 0x7F800000)
    assert auc_module._fused_keys("auc", y, s).dtype == np.uint32
    assert auc_module._fused_keys("auc", y, s.astype(np.float64)).dtype == np.uint64
    for signed in (-0.0, -1e-45, -2.0):  # any sign bit: the general path
        s[6] = signed
        assert auc_module._fused_keys("auc", y, s) is None
        assert abs(M.auc(y, s) - roc_auc_score(y, s)) <= TOL


@pytest.mark.parametrize("rate", [0.02, 0.5])  # positives tested alone / every row compared
@pytest.mark.parametrize("chunk", [1 << 20, 3000, 64, 7])
def test_float32_scan_routes_and_chunks_match_sklearn(rate, chunk, monkeypatch, rng):
    monkeypatch.setattr(_keys, "_CHUNK", chunk)
    n = 20000
    y = rng.random(n) < rate
    s = (rng.random(n) * 0.3).astype(F32)
    s[n // 2:] = np.round(s[n // 2:], 2)  # half tied, half nearly continuous
    s = s[rng.permutation(n)]
    assert abs(M.auc(y, s) - roc_auc_score(y, s)) <= TOL


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64])
def test_transitions_at_positives_equal_transitions_of_all_rows(dtype, rng):
    keys = np.sort(rng.integers(0, 300, 5000).astype(dtype))
    buf = np.empty(len(keys), dtype)
    for first in (1, 2, 17, 4999):
        want = _keys._transitions(keys, first, len(keys), buf)
        odd = np.flatnonzero(keys & dtype(1))
        odd = odd[odd >= first - 1]
        got = _keys._transitions_at(keys, odd, first)
        np.testing.assert_array_equal(got, want)
    assert len(want) or first == 4999


def test_auc_peak_memory_within_4x_inputs(rng):
    n = 10**6
    y = rng.random(n) < 0.3
    s = rng.random(n)
    M.auc(y, s)  # warm-up
    tracemalloc.start()
    try:
        M.auc(y, s)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 4 * (y.nbytes + s.nbytes)


# ---------------------------------------------------------------- gauc
@pytest.mark.parametrize("scores_kind", ["continuous", "tied", "float32", "narrow"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gauc_matches_per_group_sklearn_loop(scores_kind, weighted, rng):
    n, n_groups = 2000, 60
    g = rng.integers(0, n_groups, n)
    y = (rng.random(n) < rng.random(n_groups)[g]).astype(np.int64)
    s = rng.normal(size=n) + y
    if scores_kind == "tied":
        s = np.round(s, 1)
    elif scores_kind == "float32":
        s = s.astype(np.float32)
    elif scores_kind == "narrow":  # float64 order bits fit beside the group bits
        s = 0.5 + rng.random(n) * 2.0 ** -12
    w = rng.random(n) * (rng.random(n) < 0.9) if weighted else None
    per_group = sklearn_group_aucs(y, s, g, w)
    for weighting in WEIGHTINGS:
        ref, used, skipped = combine(per_group, weighting)
        res = M.gauc(y, s, g, weighting=weighting, sample_weight=w)
        assert isinstance(res, M.GAUCResult)
        assert abs(res.gauc - ref) <= TOL, weighting
        assert (res.groups_used, res.groups_skipped) == (used, skipped)


@pytest.mark.parametrize("ids", ["sparse_int", "huge_int", "negative_int", "uint64", "str",
                                 "bool"])
def test_gauc_group_id_types(ids, rng):
    n = 2000
    code = rng.integers(0, 2 if ids == "bool" else 40, n)
    groups = {
        "sparse_int": code * 37,
        "huge_int": code * 10**15 - 7,
        "negative_int": code - 100,
        "uint64": code.astype(np.uint64) + np.uint64(2**63),
        "str": np.array(["user%d" % c for c in code]),
        "bool": code.astype(bool),
    }[ids]
    y = rng.integers(0, 2, n)
    s = np.round(rng.random(n), 2)
    per_group = sklearn_group_aucs(y, s, code)
    for weighting in ("impressions", "uniform"):
        ref = combine(per_group, weighting)
        res = M.gauc(y, s, groups, weighting)
        assert res.gauc == pytest.approx(ref[0], abs=TOL)
        assert res.groups_used == ref[1]


def _ulp_neighbours(rng, n, n_groups):
    """float64 scores over a wide range whose neighbours differ in the last bits only."""
    base = rng.choice([-3e5, -1.5, 0.25, 0.7, 9e7], n) * (1 + rng.integers(0, 4, n) * 1e-3)
    steps = rng.integers(0, 4, n)
    s = base.copy()
    for k in range(1, 4):
        s[steps >= k] = np.nextafter(s[steps >= k], np.inf)
    g = rng.integers(0, n_groups, n)
    y = rng.integers(0, 2, n)
    return y, s, g


def test_gauc_exact_when_truncated_keys_merge_distinct_scores(rng):
    y, s, g = _ulp_neighbours(rng, 1500, 2**12)
    ref = sklearn_gauc(y, s, g, "impressions")
    assert M.gauc(y, s, g).gauc == pytest.approx(ref[0], abs=TOL)
    y, s, g = _ulp_neighbours(rng, 3000, 3)
    assert M.gauc(y, s, g, "clicks").gauc == pytest.approx(
        sklearn_gauc(y, s, g, "clicks")[0], abs=TOL
    )


def test_gauc_falls_back_to_dense_ranks_when_many_false_ties(rng, monkeypatch):
    # all scores distinct (the sample does not look tied), spanning both signs and 600
    # decades (64 order bits), so that 16 groups force dropping 5 bits: most pairs of
    # ulp-neighbours merge into false ties
    n = 20000
    x = np.sign(rng.random(n // 2) - 0.5) * 10.0 ** rng.uniform(-300, 300, n // 2)
    s = np.concatenate([x, np.nextafter(x, np.inf)])
    y = np.concatenate([np.zeros(n // 2, int), np.ones(n // 2, int)])
    g = np.tile(rng.integers(0, 16, n // 2), 2)
    calls = []
    real = _group_stats.dense_ranks
    monkeypatch.setattr(_group_stats, "dense_ranks", lambda t: calls.append(1) or real(t))
    res = M.gauc(y, s, g, "uniform")
    assert calls, "expected the dense-rank fallback"
    assert res.gauc == pytest.approx(sklearn_gauc(y, s, g, "uniform")[0], abs=TOL)


@pytest.mark.parametrize("spread", [1e2, 1e5])  # heavy ties: dense ranks; few: false-tie fix
@pytest.mark.parametrize("small_distinct", [8, 1 << 16])  # np.unique or searchsorted ranks
def test_gauc_wide_tied_float64_scores(spread, small_distinct, rng, monkeypatch):
    monkeypatch.setattr(_group_stats, "_SMALL_DISTINCT", small_distinct)
    n = 3000
    y = rng.integers(0, 2, n)
    s = np.round(rng.normal(size=n) * spread, 0) * np.pi - 1e-300  # float64, wide, tied
    g = rng.integers(0, 40, n)
    for weighted in (None, rng.random(n)):
        ref = sklearn_gauc(y, s, g, "impressions", weighted)
        assert M.gauc(y, s, g, sample_weight=weighted).gauc == pytest.approx(ref[0], abs=TOL)


def test_gauc_skips_single_class_groups_and_counts_them():
    y = [1, 0, 1, 1, 0, 0, 1, 0]
    s = [0.9, 0.1, 0.5, 0.6, 0.2, 0.3, 0.4, 0.8]
    g = [0, 0, 1, 1, 2, 2, 3, 3]
    res = M.gauc(y, s, g, weighting="uniform")
    assert res == M.GAUCResult(pytest.approx(0.5), 2, 2)  # groups 0 (AUC 1) and 3 (AUC 0)
    assert res.gauc == pytest.approx(0.5)


def test_gauc_default_weighting_is_impressions():
    y = [1, 0, 1, 0, 0, 0]
    s = [0.9, 0.1, 0.1, 0.9, 0.8, 0.7]
    g = [0, 0, 1, 1, 1, 1]
    # group 0: 2 rows, AUC 1; group 1: 4 rows, AUC 0
    assert M.gauc(y, s, g).gauc == pytest.approx(2 / 6)
    assert M.gauc(y, s, g, "clicks").gauc == pytest.approx(0.5)


# ---------------------------------------------------------------- input validation
def _call(f, labels, scores, **kw):
    if f is M.gauc:
        return f(labels, scores, kw.pop("groups", np.zeros(len(np.atleast_1d(labels)), int)),
                 **kw)
    return f(labels, scores, **kw)


BAD_INPUTS = [
    ("different lengths", [0, 1, 1], [0.1, 0.2], {}, "same length"),
    ("empty", [], [], {}, "empty"),
    ("nan score", [0, 1, 1], [0.1, np.nan, 0.3], {}, "finite"),
    ("inf score", [0, 1, 1], [0.1, np.inf, 0.3], {}, "finite"),
    ("label 2", [0, 1, 2], [0.1, 0.2, 0.3], {}, "only 0 and 1"),
    ("label -1", [-1, 1, 1], [0.1, 0.2, 0.3], {}, "only 0 and 1"),
    ("label 0.5", [0.0, 1.0, 0.5], [0.1, 0.2, 0.3], {}, "only 0 and 1"),
    ("string labels", ["a", "b", "a"], [0.1, 0.2, 0.3], {}, "labels"),
    ("one class", [1, 1, 1], [0.1, 0.2, 0.3], {}, "one class"),
    ("negative weight", [0, 1, 1], [0.1, 0.2, 0.3], {"sample_weight": [1, -0.5, 1]},
     "non-negative"),
    ("weight length", [0, 1, 1], [0.1, 0.2, 0.3], {"sample_weight": [1, 1]}, "sample_weight"),
    ("zero positive weight", [0, 1, 1], [0.1, 0.2, 0.3], {"sample_weight": [1, 0, 0]},
     "weight"),
]


@pytest.mark.parametrize("f", AUC_FUNCS + [M.gauc], ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_clear_value_error(f, case):
    name, labels, scores, kw, words = case
    if f is M.gauc and name == "zero positive weight":
        words = "no group"
    with pytest.raises(ValueError, match=words) as info:
        _call(f, labels, scores, **dict(kw))
    assert f.__name__ in str(info.value)


def test_error_messages_give_expected_and_actual():
    with pytest.raises(ValueError, match=r"got 3 labels and 2 scores"):
        M.auc([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"1 NaN and 0 infinite values \(first at index 1\)"):
        M.auc([0, 1, 1], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match=r"-0.5 at index 1"):
        M.auc([0, 1, 1], [0.1, 0.2, 0.3], sample_weight=[1, -0.5, 1])
    with pytest.raises(ValueError, match=r"e\.g\. \[2\]"):
        M.auc([0, 1, 2], [0.1, 0.2, 0.3])


def test_gauc_bad_groups_and_weighting():
    with pytest.raises(ValueError, match=r"`groups` must have one entry per row: expected "
                                         r"length 3, got 2"):
        M.gauc([0, 1, 1], [0.1, 0.2, 0.3], [0, 0])
    with pytest.raises(ValueError, match=r"unknown `weighting` 'users'; expected one of "
                                         r"'impressions', 'clicks', 'uniform'"):
        M.gauc([0, 1, 1], [0.1, 0.2, 0.3], [0, 0, 0], weighting="users")
    with pytest.raises(ValueError, match="no group has both"):
        M.gauc([0, 1, 1, 0], [0.1, 0.2, 0.3, 0.4], [0, 1, 1, 2])


def test_unknown_ties_value():
    with pytest.raises(ValueError, match=r"unknown `ties` 'dense'"):
        M.calculate_auc_func2(NOTES_LABELS, NOTES_SCORES, ties="dense")


def test_get_auc_without_sklearn_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.metrics", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        M.get_auc(NOTES_LABELS, NOTES_SCORES)
    assert M.auc(NOTES_LABELS, NOTES_SCORES) == 0.75  # no scikit-learn needed


def test_import_does_not_load_tensorflow_and_streaming_is_lazy():
    code = (
        "import sys, tf1_recsys.metrics as m\n"
        "assert 'tensorflow' not in sys.modules, 'TF imported'\n"
        "assert 'sklearn' not in sys.modules, 'sklearn imported'\n"
        "assert 'streaming_auc' in dir(m) and 'streaming_auc' in m.__all__\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert callable(M.streaming_auc)
    with pytest.raises(AttributeError):
        M.no_such_metric


def test_more_bad_inputs():
    with pytest.raises(ValueError, match=r"`scores` must be 1-D .* shape \(2, 2\)"):
        M.auc([0, 1, 0, 1], [[0.1, 0.2], [0.3, 0.4]])
    with pytest.raises(ValueError, match=r"`scores` must be numeric; got dtype <U"):
        M.auc([0, 1], ["a", "b"])
    with pytest.raises(ValueError, match=r"`sample_weight` must be finite"):
        M.auc([0, 1], [0.1, 0.2], sample_weight=[1.0, np.nan])
    with pytest.raises(ValueError, match=r"`sample_weight` must be numeric"):
        M.auc([0, 1], [0.1, 0.2], sample_weight=["a", "b"])
    with pytest.raises(ValueError, match=r"`groups` must be sortable ids"):
        M.gauc([0, 1, 1], [0.1, 0.2, 0.3], np.array([1, "a", None], dtype=object))


def test_weighted_ordinal_ranks_with_unit_weights_match_unweighted(rng):
    y = rng.integers(0, 2, 300)
    s = np.round(rng.random(300), 1)
    got = M.calculate_auc_func2(y, s, ties="ordinal", sample_weight=np.ones(300))
    assert got == pytest.approx(notes_calculate_auc_func2(y, s), abs=TOL)


@pytest.mark.parametrize("kind", ["wide_mixed_sign", "float32_values_in_float64", "tied"])
def test_gauc_of_one_group_is_auc(kind, rng):
    n = 3000
    y = rng.integers(0, 2, n)
    s = {
        "wide_mixed_sign": np.sign(rng.random(n) - 0.5) * 10.0 ** rng.uniform(-300, 300, n),
        "float32_values_in_float64": rng.random(n).astype(np.float32).astype(np.float64),
        "tied": np.round(rng.normal(size=n), 1),
    }[kind]
    ref = roc_auc_score(y, s)
    assert M.gauc(y, s, np.zeros(n, int)) == (pytest.approx(ref, abs=TOL), 1, 0)
    groups = rng.integers(0, 200, n)  # 8 bits of group: float64 order bits do not fit
    assert M.gauc(y, s, groups).gauc == pytest.approx(
        sklearn_gauc(y, s, groups, "impressions")[0], abs=TOL
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("others", ["non_negative", "mixed"])
def test_auc_non_finite_anywhere(dtype, bad, others, rng):
    s = rng.random(50) - (0.5 if others == "mixed" else 0.0)
    s[17] = bad
    for w in (None, np.ones(50)):
        with pytest.raises(ValueError, match=r"must be finite; .*first at index 17"):
            M.auc(np.arange(50) % 2, s.astype(dtype), sample_weight=w)


@pytest.mark.parametrize("neighbours", [False, True])
def test_gauc_tied_wide_scores_with_and_without_merging_values(neighbours, rng, monkeypatch):
    # heavily tied float64 scores over both signs: truncated keys are exact unless two
    # distinct values are ulp-neighbours (then dense ranks are used)
    values = np.array([-3e200, -1.5, -1e-200, 0.0, 0.3, 7.0, 1e250])
    if neighbours:
        values = np.append(values, np.nextafter(values[[1, 4, 5]], np.inf))
    n = 3000
    s = rng.choice(values, n)
    y = rng.integers(0, 2, n)
    g = rng.integers(0, 40, n)
    calls = []
    real = _group_stats.dense_ranks
    monkeypatch.setattr(_group_stats, "dense_ranks", lambda t: calls.append(1) or real(t))
    res = M.gauc(y, s, g, "clicks")
    assert bool(calls) == neighbours
    assert res.gauc == pytest.approx(sklearn_gauc(y, s, g, "clicks")[0], abs=TOL)


@pytest.mark.parametrize("dtype", [np.uint64, np.uint32])
@pytest.mark.parametrize("ends", [12, 1])  # runs at the array's ends: long, or one row
@pytest.mark.parametrize("probes", [0, 1, 8])
def test_mixed_tie_runs_short_long_and_at_the_ends(probes, ends, dtype, monkeypatch, rng):
    """Run lengths by stepping (short runs) and by binary search (long runs) match a loop."""
    monkeypatch.setattr(_keys, "_PROBES", probes)
    monkeypatch.setattr(_keys, "_PROBE_MIN_RUNS", 1)
    lengths = rng.integers(1, 20, 400)
    lengths[rng.random(400) < 0.3] = 1  # many one-row runs
    lengths[[0, -1]] = ends  # runs touching both ends of the array
    keys = np.repeat(np.arange(len(lengths), dtype=dtype), lengths)  # even/odd: neg/pos
    keys = np.sort(keys)
    trans = np.flatnonzero((keys[:-1] ^ keys[1:]) == 1) + 1
    n_neg, n_pos = _keys.mixed_tie_runs(keys, trans)
    for t, a, b in zip(trans, n_neg, n_pos):
        assert a == np.count_nonzero(keys == keys[t - 1])
        assert b == np.count_nonzero(keys == keys[t])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gauc_signed_zero_scores_tie_with_zero(dtype, rng):
    """-0.0 and +0.0 are one tie group in every group (keys packed from the raw bits)."""
    n = 3000
    y = rng.integers(0, 2, n)
    s = np.where(rng.random(n) < 0.5, 0.0, -0.0) * (rng.random(n) < 0.6) + (
        rng.random(n) < 0.3
    ) * np.round(rng.random(n), 1)
    s = s.astype(dtype)
    g = rng.integers(0, 30, n)
    for weighting in WEIGHTINGS:
        assert M.gauc(y, s, g, weighting).gauc == pytest.approx(
            sklearn_gauc(y, s, g, weighting)[0], abs=TOL
        )
