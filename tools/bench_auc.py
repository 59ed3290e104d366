"""Benchmark of tf1_recsys.metrics: auc, gauc and streaming_auc against their references.

Measures in one run (issue 4):
  * ``auc`` vs ``sklearn.metrics.roc_auc_score`` vs a bare ``np.sort`` of the scores, on
    10^5, 10^6 and 10^7 rows, continuous and tied scores;
  * ``gauc`` vs the per-group scikit-learn loop and vs one ``np.sort`` of its packed keys, on
    10^6 rows with 10^4 and 10^5 groups (the loop is timed on a sample of groups and
    extrapolated; the output says so);
  * ``streaming_auc`` vs ``tf.compat.v1.metrics.auc``: errors and times on a 10^6-row
    CTR-like set fed in 100 batches, and the error for several bucket counts;
  * the peak memory of ``auc`` at 10^7 rows (tracemalloc), relative to its inputs;
  * ``--only float32`` (issue 14): ``auc`` on CTR-like float32 probabilities with bool labels
    (its 32-bit key path) vs ``np.sort`` of the float32 scores and scikit-learn at 10^5-10^7
    rows, plus the float64 rows of the ``auc`` table for the float64 path's ratio. With
    ``--write-docs`` it writes its own section, "## AUC on float32 scores".

Prints markdown tables; ``--write-docs`` also replaces the "## AUC and GAUC" section of
docs/BENCHMARKS.md with them. ``--quick`` runs small sizes only (a smoke test);
``--only`` runs some sections only (for iterating; no targets table, no ``--write-docs``).

Timings are the minimum over ``--repeats`` interleaved runs (the machine may be shared).
The output names the sort kernel numpy dispatches to here and times float32 ``np.sort`` with
and without its AVX-512 kernel: ``auc`` follows the sort (issue 22), and on some CPUs (an AMD
EPYC with numpy 2.4: 405 ms against 65 ms at 10^7) the AVX-512 kernel is the slower one.
"""
import argparse
import gc
import os
import platform
import sys
import time
import tracemalloc

import numpy as np

from tf1_recsys.metrics import _keys, auc, gauc

SECTION = "## AUC and GAUC"
F32_SECTION = "## AUC on float32 scores (`tools/bench_auc.py --only float32`)"
SECTIONS = ("auc", "memory", "gauc", "streaming", "float32")


def best_time(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def interleaved(fns, repeats):
    """Minimum time of each callable, running them in turn ``repeats`` times."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            if fn is None:
                continue
            gc.collect()
            t = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def ms(t):
    return "%.1f" % (t * 1e3) if t < 10 else "%.0f" % (t * 1e3)


def ctr_like(rng, n):
    """5% positives, continuous float32 scores in (0, 1), AUC ~0.8."""
    y = rng.random(n) < 0.05
    p = 1.0 / (1.0 + np.exp(-(rng.normal(-3.0, 1.0, n) + 1.2 * y)))
    return y.astype(np.int64), p.astype(np.float32)


# --------------------------------------------------------------------------- auc
def bench_auc(sizes, repeats, sklearn_max, out, results):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    out.append("### `auc` (labels int64, 30% positives; scores float64)\n")
    out.append("| rows | scores | `auc` ms | `np.sort` ms | `roc_auc_score` ms | auc / sort "
               "| sklearn / auc | max abs diff vs sklearn |")
    out.append("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        y = (rng.random(n) < 0.3).astype(np.int64)
        base = rng.random(n)
        for kind, s in (("continuous", base), ("tied (3 decimals)", np.round(base, 3))):
            with_sk = n <= sklearn_max
            t_auc, t_sort = interleaved([lambda: auc(y, s), lambda: np.sort(s)], max(repeats, 7))
            t_sk = best_time(lambda: roc_auc_score(y, s), 1 if n >= 10**7 else repeats) \
                if with_sk else float("nan")
            diff = abs(auc(y, s) - roc_auc_score(y, s)) if with_sk else float("nan")
            results[("auc", n, kind.split()[0])] = (t_auc / t_sort, t_sk / t_auc)
            out.append("| %.0e | %s | %s | %s | %s | %.2f | %s | %s |" % (
                n, kind, ms(t_auc), ms(t_sort), ms(t_sk) if with_sk else "not run",
                t_auc / t_sort, "%.1fx" % (t_sk / t_auc) if with_sk else "-",
                "%.1e" % diff if with_sk else "-"))
            print(out[-1], flush=True)
    out.append("")


def bench_float32(sizes, repeats, out, results):
    """``auc`` on float32 model outputs (bool labels) and on float64 scores, vs their sorts."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(2)
    load = os.getloadavg()[0]
    if load > os.cpu_count():
        out.append("This machine's %d cores were shared with other jobs during this run (load average "
                   "%.1f): absolute times are inflated and noisy, the ratios measured side by side less "
                   "so.\n" % (os.cpu_count(), load))
    out.append("### `auc` on float32 probabilities (CTR-like: 5% positives, bool labels) and on "
               "float64 scores (30% positives, int64 labels)\n")
    out.append("| rows | scores | `auc` ms | `np.sort` ms | `roc_auc_score` ms | auc / sort "
               "| sklearn / auc | abs diff vs sklearn |")
    out.append("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        y, p = ctr_like(rng, n)
        y = y.astype(bool)
        y64 = (rng.random(n) < 0.3).astype(np.int64)
        s64 = rng.random(n)
        for kind, yy, s in (("float32 probabilities", y, p), ("float64 continuous", y64, s64)):
            t_auc, t_sort = interleaved([lambda: auc(yy, s), lambda: np.sort(s)], max(repeats, 7))
            t_sk = best_time(lambda: roc_auc_score(yy, s), 1 if n >= 10**7 else repeats)
            diff = abs(auc(yy, s) - roc_auc_score(yy, s))
            results[("float32", n, kind.split()[0])] = (t_auc / t_sort, t_sk / t_auc)
            out.append("| %.0e | %s | %s | %s | %s | %.2f | %.1fx | %.1e |" % (
                n, kind, ms(t_auc), ms(t_sort), ms(t_sk), t_auc / t_sort, t_sk / t_auc, diff))
            print(out[-1], flush=True)
    out.append("")
    n = sizes[-1]
    ratio, speedup = results[("float32", n, "float32")]
    ratio64, _ = results[("float32", n, "float64")]
    out.append("| target (issue 14) at %.0e rows | measured | |" % n)
    out.append("|---|---|---|")
    out.append("| float32: `auc` within 1.5x of `np.sort` of the float32 scores | %.2fx | %s |"
               % (ratio, "met" if ratio <= 1.5 else "**not met**"))
    out.append("| float32: `auc` >= 20x faster than scikit-learn | %.1fx | %s |"
               % (speedup, "met" if speedup >= 20 else "**not met**"))
    out.append("| float64: `auc` / `np.sort` (1.41x in the quiet run of the \"AUC and GAUC\" "
               "section) | %.2fx | see the A/B table |" % ratio64)
    out.append("")


def load_revision(ref, tmp):
    """``tf1_recsys.metrics`` of git revision ``ref``, imported as ``tf1_recsys_ref.metrics``."""
    import importlib
    import re
    import subprocess
    import tarfile
    import io

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    archive = subprocess.run(["git", "-C", repo, "archive", "--format=tar", ref, "tf1_recsys"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile() or not member.name.endswith(".py"):
                continue
            text = tar.extractfile(member).read().decode("utf-8")
            path = os.path.join(tmp, member.name.replace("tf1_recsys", "tf1_recsys_ref", 1))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(re.sub(r"\btf1_recsys\b", "tf1_recsys_ref", text))
    sys.path.insert(0, tmp)
    return importlib.import_module("tf1_recsys_ref.metrics")


def bench_against(ref, n, repeats, out):
    """CPU time of ``auc`` of this tree and of git revision ``ref``, calls alternating."""
    import tempfile

    rng = np.random.default_rng(3)
    y30 = (rng.random(n) < 0.3).astype(np.int64)
    s = rng.random(n)
    y5 = rng.random(n) < 0.05
    p = 1.0 / (1.0 + np.exp(-(rng.normal(-3.0, 1.0, n) + 1.2 * y5)))
    cases = [("float64 continuous, int64 labels 30%", y30, s),
             ("float64 tied (3 decimals), int64 labels 30%", y30, np.round(s, 3)),
             ("float64 probabilities, bool labels 5%", y5, p),
             ("float32 probabilities, bool labels 5%", y5, p.astype(np.float32))]
    with tempfile.TemporaryDirectory() as tmp:
        old_auc = load_revision(ref, tmp).auc
        out.append("### `auc` before and after, same process: this tree against `%s` (%.0e "
                   "rows; CPU time, min of %d alternating calls each)\n" % (ref, n, repeats))
        out.append("| scores, labels | `%s` ms | this tree ms | this / `%s` |" % (ref, ref))
        out.append("|---|---|---|---|")
        for case, yy, ss in cases:
            if old_auc(yy, ss) != auc(yy, ss):
                raise AssertionError("auc differs from %s on %s" % (ref, case))
            best = [float("inf")] * 2
            for _ in range(repeats):
                for i, fn in enumerate((old_auc, auc)):
                    gc.collect()
                    t = time.process_time()
                    fn(yy, ss)
                    best[i] = min(best[i], time.process_time() - t)
            out.append("| %s | %s | %s | %.2f |" % (case, ms(best[0]), ms(best[1]),
                                                   best[1] / best[0]))
            print(out[-1], flush=True)
    out.append("")


def bench_memory(n, out, results):
    rng = np.random.default_rng(1)
    s = rng.random(n)
    out.append("### Peak memory of `auc` at %.0e rows (tracemalloc, beyond the inputs)\n" % n)
    out.append("| labels dtype | inputs MB | peak MB | peak / inputs |")
    out.append("|---|---|---|---|")
    for dtype in (np.int64, np.bool_):
        y = (rng.random(n) < 0.3).astype(dtype)
        auc(y, s)
        gc.collect()
        tracemalloc.start()
        try:
            auc(y, s)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        inputs = y.nbytes + s.nbytes
        results[("memory", n, np.dtype(dtype).name)] = peak / inputs
        out.append("| %s | %.0f | %.0f | %.2f |" % (
            np.dtype(dtype).name, inputs / 2**20, peak / 2**20, peak / inputs))
        print(out[-1], flush=True)
    out.append("")


# --------------------------------------------------------------------------- gauc
def group_loop(y, s, g, groups_to_time, roc_auc_score):
    """The per-group scikit-learn loop: group the rows once, then one call per group.

    Returns (seconds for grouping, seconds per group with both classes timed on the sample,
    number of groups with both classes).
    """
    t0 = time.perf_counter()
    order = np.argsort(g, kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], g[order][1:] != g[order][:-1])))
    parts = np.split(order, starts[1:])
    t_group = time.perf_counter() - t0
    valid = [p for p in parts if 0 < y[p].sum() < len(p)]
    sample = valid[:: max(1, len(valid) // groups_to_time)][:groups_to_time]
    t0 = time.perf_counter()
    for p in sample:
        roc_auc_score(y[p], s[p])
    per_group = (time.perf_counter() - t0) / len(sample)
    return t_group, per_group, len(valid)


def packed_keys_like_gauc(y, s, g, n_groups):
    """The uint64 keys gauc sorts (float32 order bits | group | label) to time one sort."""
    t, _ = _keys.order_keys(s.astype(np.float32))
    t -= t.min()
    s_bits = _keys.bit_length(int(t.max()))
    return (g.astype(np.uint64) << np.uint64(s_bits + 1)) | (t << np.uint64(1)) | \
        y.astype(np.uint64)


def bench_gauc(n, group_counts, repeats, sample_groups, out, results):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(2)
    out.append("### `gauc` at %.0e rows (labels 20%% positives, impressions weighting)\n" % n)
    out.append("The per-group loop groups the rows once (argsort + split, timed in full) and "
               "calls `roc_auc_score` per group; the calls are timed on %d groups and "
               "extrapolated to all groups with both classes. \"keys sort\" is one `np.sort` "
               "of a packed key array like the one gauc sorts, viewed as int64 as gauc "
               "sorts it (numpy sorts int64 about 20%% faster than uint64).\n" % sample_groups)
    out.append("| groups | scores | `gauc` ms | keys sort ms | gauc / keys sort | loop s "
               "(extrapolated) | loop / gauc | abs diff vs loop sample |")
    out.append("|---|---|---|---|---|---|---|---|")
    for n_groups in group_counts:
        g = rng.integers(0, n_groups, n)
        y = (rng.random(n) < 0.2).astype(np.int64)
        s64 = rng.random(n) + 0.3 * y
        t_group, per_group, n_valid = group_loop(y, s64, g, sample_groups, roc_auc_score)
        t_loop = t_group + per_group * n_valid
        loop = {"call": per_group, "loop": t_loop, "valid": n_valid, "sort": float("inf")}
        results[("loop", n_groups)] = loop
        keys = packed_keys_like_gauc(y, s64, g, n_groups)
        check = _loop_check(y, s64, g, n_groups, roc_auc_score)
        for kind, s in (("float32 (model output)", s64.astype(np.float32)),
                        ("float64 continuous", s64),
                        ("float64 tied (2 decimals)", np.round(s64, 2))):
            t_gauc, t_keys = interleaved(
                [lambda: gauc(y, s, g), lambda: np.sort(keys.view(np.int64))], max(repeats, 7))
            results[("gauc", n_groups, kind.split()[0] + kind.split()[1])] = (
                t_gauc / t_keys, t_loop / t_gauc)
            loop["sort"] = min(loop["sort"], t_keys)
            out.append("| %.0e | %s | %s | %s | %.2f | %.1f | %.0fx | %s |" % (
                n_groups, kind, ms(t_gauc), ms(t_keys), t_gauc / t_keys, t_loop,
                t_loop / t_gauc, "%.1e" % check(s) if kind.startswith("float64 c") else ""))
            print(out[-1], flush=True)
    out.append("")


def _loop_check(y, s, g, n_groups, roc_auc_score):
    """A checker: |gauc - full sklearn loop| on the groups below 200 (a subset, for speed)."""
    def check(scores):
        m = g < min(200, n_groups)
        ys, ss, gs = y[m], scores[m], g[m]
        num = den = 0.0
        for k in np.unique(gs):
            sel = gs == k
            if 0 < ys[sel].sum() < sel.sum():
                num += sel.sum() * roc_auc_score(ys[sel], ss[sel])
                den += sel.sum()
        return abs(gauc(ys, ss, gs).gauc - num / den)
    return check


# --------------------------------------------------------------------------- streaming
def bench_streaming(n, n_batches, bucket_counts, out, results):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tf1_recsys._tf import tf
    from tf1_recsys.metrics import streaming_auc
    from tf1_recsys.metrics.streaming import DEFAULT_NUM_BUCKETS

    tf.logging.set_verbosity(tf.logging.ERROR)
    y, p = ctr_like(np.random.default_rng(3), n)
    exact = auc(y, p)
    y_parts, p_parts = np.array_split(y, n_batches), np.array_split(p, n_batches)

    def run(make):
        graph = tf.Graph()
        with graph.as_default():
            yl, pp = tf.placeholder(tf.int64, [None]), tf.placeholder(tf.float32, [None])
            value, update = make(yl, pp)
            with tf.Session() as sess:
                sess.run(tf.local_variables_initializer())
                sess.run(update, {yl: y_parts[0][:10], pp: p_parts[0][:10]})  # warm-up
                sess.run(tf.local_variables_initializer())
                t = time.perf_counter()
                for yb, pb in zip(y_parts, p_parts):
                    sess.run(update, {yl: yb, pp: pb})
                elapsed = time.perf_counter() - t
                return float(sess.run(value)), elapsed

    out.append("### `streaming_auc` vs `tf.compat.v1.metrics.auc` (%.0e CTR-like rows: 5%% "
               "positives, float32 scores; %d batches of %d; exact AUC %.6f)\n"
               % (n, n_batches, n // n_batches, exact))
    out.append("| metric | abs error vs exact | time for %d updates ms | ms per update |"
               % n_batches)
    out.append("|---|---|---|---|")
    rows = [("`tf.compat.v1.metrics.auc` (200 thresholds)",
             lambda yl, pp: tf.metrics.auc(yl, pp))]
    for b in bucket_counts:
        label = "`streaming_auc`, num_buckets=2**%d%s" % (
            int(np.log2(b)), " (default)" if b == DEFAULT_NUM_BUCKETS else "")
        rows.append((label, lambda yl, pp, b=b: streaming_auc(yl, pp, num_buckets=b)))
    for label, make in rows:
        value, elapsed = run(make)
        results[("streaming", "default" if "(default)" in label else label)] = (
            abs(value - exact), elapsed)
        out.append("| %s | %.1e | %s | %.2f |" % (
            label, abs(value - exact), ms(elapsed), elapsed * 1e3 / n_batches))
        print(out[-1], flush=True)
    out.append("")


# --------------------------------------------------------------------------- summary
def targets_table(results, n_max, gauc_n, group_counts):
    """The issue's targets against this run's measurements."""
    def mark(ok):
        return "met" if ok else "**not met**"

    lines = ["### Targets of issue 4 in this run\n",
             "| target | measured | |", "|---|---|---|"]
    for kind in ("continuous", "tied"):
        ratio, speedup = results[("auc", n_max, kind)]
        if speedup == speedup:  # not NaN: scikit-learn ran
            lines.append("| `auc` >= 20x faster than scikit-learn at %.0e rows (%s) | %.1fx | %s |"
                         % (n_max, kind, speedup, mark(speedup >= 20)))
        lines.append("| `auc` within 1.5x of a bare `np.sort` at %.0e rows (%s) | %.2fx | %s |"
                     % (n_max, kind, ratio, mark(ratio <= 1.5)))
    for key, ratio in sorted((k, v) for k, v in results.items() if k[0] == "memory"):
        lines.append("| `auc` peak memory <= 4x its inputs at %.0e rows (labels %s) | %.2fx | %s |"
                     % (key[1], key[2], ratio, mark(ratio <= 4)))
    for n_groups in group_counts:
        for kind in ("float32(model", "float64continuous", "float64tied"):
            ratio, speedup = results[("gauc", n_groups, kind)]
            name = {"float32(model": "float32", "float64continuous": "float64 continuous",
                    "float64tied": "float64 tied"}[kind]
            lines.append("| `gauc` >= 1000x faster than the per-group loop, %.0e groups (%s) "
                         "| %.0fx | %s |" % (n_groups, name, speedup, mark(speedup >= 1000)))
            lines.append("| `gauc` within 2x of one sort of its keys, %.0e groups (%s) "
                         "| %.2fx | %s |" % (n_groups, name, ratio, mark(ratio <= 2)))
    err, _ = results[("streaming", "default")]
    lines.append("| `streaming_auc` (default buckets) within 1e-6 of exact | %.1e | %s |"
                 % (err, mark(err <= 1e-6)))
    lines.append("")
    n_groups = min(group_counts)
    loop = results[("loop", n_groups)]
    ceiling = loop["loop"] / loop["sort"]
    lines.append(NOTES.format(
        groups=n_groups, n=gauc_n, valid=loop["valid"], rows=gauc_n / n_groups,
        call=1e3 * loop["call"], loop=loop["loop"], sort=1e3 * loop["sort"], ceiling=ceiling,
        budget=ceiling / 1000))
    return lines


NOTES = """Why the remaining ratios are what they are (same mechanisms on every run):

* `auc` vs `np.sort` on tied scores: numpy's SIMD sort is about 2x faster on heavily
  duplicated values than on continuous ones, while `auc`'s own linear work stays: one
  chunked pass that checks the inputs (one max of the scores' bits, one of the labels)
  and builds the packed keys, about 40 ms at 10^7 rows on this machine, then one scan of
  the sorted keys. The scan goes run by run where a strided sample shows few distinct keys
  (tied scores: it compares only the blocks around key changes, ~10-15 ms) and row by row
  elsewhere (~25-30 ms). That fixed cost weighs more against the faster floor. Its own
  sort (of label-packed keys) costs about the same as `np.sort` of the scores: for scores
  below 2 (probabilities) the keys have their top bit clear and are sorted as int64, which
  numpy sorts about 20% faster than uint64 (0.22 s against 0.26 s for 10^7 keys here). On
  continuous scores the ratio moves between about 1.2x and 1.6x from run to run on this
  shared machine.
* `gauc` vs one sort of its keys: besides its one sort (~15-20 ms for 10^6 keys), gauc
  reads the rows in a few passes: the checks and the group-id range (~3 ms), one
  `bincount` of rows per group (~2.5 ms), one chunked pass packing the keys straight from
  the scores' bits (~4-5 ms), one chunked scan of the sorted keys for the positives, their
  groups and the mixed-tie transitions (~4 ms), cumulative sums per group (~1.5 ms), and
  tie-run lengths found by stepping a few rows (binary search only for long runs): ~15 ms
  in numpy on 2 shared cores, hence ~1.8-2.2x from run to run. gauc keeps the keys' top
  bit clear and sorts them as int64, and so does the reference. With float64 scores,
  group bits + 63 score-order bits + the label do not fit in 63 bits (float32 scores and
  float64 scores that are float32 values do): continuous float64 scores are packed
  without the low order bits, and only if some runs of one group then hold both labels are
  the full order codes built to re-count those runs exactly; heavily tied float64 scores
  need one more sort of their order codes (fast on tied values, ~9 ms) to prove that no
  two distinct values merge (or to rank them); tied scores also leave ~10^5 runs of one
  group and one score holding both labels, whose lengths cost ~13 ms: ~2.7-3x in all.
* `gauc` vs the loop at {groups:.0e} groups: the loop makes {valid} `roc_auc_score` calls of
  ~{rows:.0f} rows; at {call:.1f} ms per call in this run (2.5-5 ms from run to run on this shared
  machine) it takes {loop:.0f} s, and a single sort of the {n:.0e} keys alone takes {sort:.0f} ms, so
  ~{ceiling:.0f}x is the ceiling for any sort-based gauc here: the 1000x target leaves gauc about
  {budget:.1f}x its sort, and the ratio moves with scikit-learn's per-call time.
* `streaming_auc`: every `update_op` returns the AUC after the batch, so it reads all
  buckets (a cumulative sum over `num_buckets`): the per-update cost grows with the bucket
  count. 2**16 (default) is well inside 1e-6 on this data at a few ms per update; raise it
  for scores concentrated in a very narrow range.
"""


# --------------------------------------------------------------------------- sort kernel
AVX512_OFF = "AVX512_ICL AVX512_SKX X86_V4"
"""``NPY_DISABLE_CPU_FEATURES`` that turns numpy's AVX-512 sort off (numpy >= 2: its AVX2 one runs)."""
_SORT_TIMER = ("import sys, time, numpy as np; x = np.random.default_rng(0).random(int(sys.argv[1]), np.float32); "
               "t = min((lambda y: (lambda t0: (y.sort(), time.perf_counter() - t0)[1])(time.perf_counter()))(x.copy()) "
               "for _ in range(3)); print(t)")


def sort_kernel():
    """The SIMD sort numpy dispatches ``np.sort`` of float32 / uint32 to on this CPU, in words.

    numpy does not report the kernel it picked; this reads its dispatch rules: x86-simd-sort's
    AVX-512 kernels where the CPU has AVX512_SKX (and ``NPY_DISABLE_CPU_FEATURES`` does not turn
    it off), its AVX2 kernels from numpy 2.0 on, else numpy's own scalar introsort.
    """
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_features__ as features
    major = int(np.__version__.split(".")[0])
    if features.get("AVX512_SKX"):
        kernel = "x86-simd-sort AVX-512 (AVX512_SKX)"
    elif features.get("AVX2") and major >= 2:
        kernel = "x86-simd-sort AVX2"
    else:
        kernel = "numpy's scalar introsort"
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES", "")
    return "%s on %s%s" % (kernel, cpu, " (NPY_DISABLE_CPU_FEATURES=%r)" % disabled if disabled else "")


def sort_kernel_comparison(n):
    """One line: float32 ``np.sort`` of ``n`` values here and, in a child, with AVX-512 turned off."""
    import subprocess

    def timed(env):
        done = subprocess.run([sys.executable, "-c", _SORT_TIMER, str(n)], env=env, capture_output=True,
                              text=True, check=True)
        return float(done.stdout.strip())

    here = timed(dict(os.environ))
    off = timed(dict(os.environ, NPY_DISABLE_CPU_FEATURES=AVX512_OFF))
    return ("float32 `np.sort` of %.0e values: %s ms here, %s ms with `NPY_DISABLE_CPU_FEATURES=\"%s\"` (%.2fx); "
            "`auc`'s times follow the sort's." % (n, ms(here), ms(off), AVX512_OFF, here / off))


# --------------------------------------------------------------------------- main
def write_docs(path, command, body, section=SECTION):
    """Replaces the text of ``section`` (up to the next '## ') in place; appends it if absent."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if section not in text:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    start = text.index(section)
    head_end = text.index("\n", start) + 1
    nxt = text.find("\n## ", head_end)
    end = len(text) if nxt < 0 else nxt + 1
    section = text[start:head_end] + "\n" + body.rstrip() + "\n\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(text[:start] + section + text[end:])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (a smoke test)")
    ap.add_argument("--repeats", type=int, default=3, help="timing repeats (min is kept)")
    ap.add_argument("--sample-groups", type=int, default=300,
                    help="groups on which the per-group sklearn loop is timed")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, metavar="SECTION",
                    help="run only these sections (%s); prints no targets table and cannot "
                    "be combined with --write-docs" % ", ".join(SECTIONS))
    ap.add_argument("--against", metavar="GIT_REF",
                    help="with the float32 section: also time auc of revision GIT_REF against "
                    "this tree, calls alternating in one process (CPU time)")
    ap.add_argument("--write-docs", metavar="PATH", nargs="?", const="docs/BENCHMARKS.md",
                    help="replace the '## AUC and GAUC' section of PATH with the results")
    args = ap.parse_args(argv)
    float32_only = args.only == ["float32"]
    if args.only and args.write_docs and not float32_only:
        ap.error("--only cannot be combined with --write-docs (the docs need every section), "
                 "except --only float32, which has its own section")
    run = set(args.only or [x for x in SECTIONS if x != "float32"])

    if args.quick:
        sizes, sk_max, mem_n, gauc_n, groups = [10**5], 10**5, 10**5, 10**5, [10**3]
        stream_n, batches, buckets = 10**5, 10, [1 << 12, 1 << 16]
    else:
        sizes, sk_max, mem_n, gauc_n, groups = [10**5, 10**6, 10**7], 10**7, 10**7, 10**6, \
            [10**4, 10**5]
        stream_n, batches, buckets = 10**6, 100, [1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20]

    command = "python tools/bench_auc.py " + " ".join(argv if argv is not None else sys.argv[1:])
    out, results = [], {}
    t0 = time.perf_counter()
    if "auc" in run:
        bench_auc(sizes, args.repeats, sk_max, out, results)
    if "memory" in run:
        bench_memory(mem_n, out, results)
    if "gauc" in run:
        bench_gauc(gauc_n, groups, args.repeats, args.sample_groups, out, results)
    if "streaming" in run:
        bench_streaming(stream_n, batches, buckets, out, results)
    if "float32" in run:
        bench_float32(sizes, args.repeats, out, results)
        if args.against:
            bench_against(args.against, sizes[-1], 7, out)
    if not args.only:
        out = targets_table(results, sizes[-1], gauc_n, groups) + out
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    kernel = "Sort kernel (inferred from numpy's dispatch rules): %s. %s" % (sort_kernel(),
                                                                           sort_kernel_comparison(sizes[-1]))
    print(kernel, flush=True)
    header = [
        "Command: `%s` (%.0f s). numpy %s, %d CPUs, load average at the end %.1f "
        "(the machine is shared; timings are the minimum of 7 interleaved runs, %d for "
        "scikit-learn below 10^7 rows and 1 at 10^7)."
        % (command.strip(), time.perf_counter() - t0, np.__version__, os.cpu_count(), load[0],
           args.repeats),
        "",
        kernel,
        "",
    ]
    body = "\n".join(header + out)
    print("\n" + body)
    if args.write_docs:
        section = F32_SECTION if float32_only else SECTION
        write_docs(args.write_docs, command, body, section)
        print("wrote the %r section of %s" % (section, args.write_docs))


if __name__ == "__main__":
    main()
