#!/usr/bin/env python
"""Step time and peak memory of optimizers on one embedding table, against the vocabulary.

    python tools/bench_optimizers.py                # prints a markdown section
    python tools/bench_optimizers.py --write-docs   # and replaces the
                                                    # "## Optimizers and vocabulary size"
                                                    # section of docs/BENCHMARKS.md

Model: one slot of ``--ids`` ids per example looked up in a ``[vocab, 16]`` table and summed
-> dense 64 (relu) -> logit, sigmoid cross-entropy, batch 1024; ids uniform over the
vocabulary and labels random, drawn in the graph (no feeding), so a step is the optimizer's
work plus a small fixed model. Contenders: ``tf.compat.v1.train.AdamOptimizer``,
``tf1_recsys.training.LazyAdamOptimizer``, ``AdagradOptimizer`` and
``GradientDescentOptimizer`` at vocabularies 1e4 ... 1e7.

Every (optimizer, vocabulary) runs in a fresh child process (``--child``) so its peak RSS
(``ru_maxrss``) is its own; the contenders of one vocabulary run one after the other, their
order rotating between rounds, so they share the machine's load. Reported per cell: the
median step time of the best round, examples per CPU-second of the child (user + system time
of all its threads during the timed steps; steadier than wall time on a shared machine),
and the peak RSS. The load average is printed at the start and the end.
"""
import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchdoc  # noqa: E402  (tools/benchdoc.py)
SECTION = "## Optimizers and vocabulary size (`tools/bench_optimizers.py`)"
OPTIMIZERS = ("adam", "lazy_adam", "adagrad", "sgd")
NAMES = {"adam": "`AdamOptimizer`", "lazy_adam": "`LazyAdamOptimizer`",
         "adagrad": "`AdagradOptimizer`", "sgd": "`GradientDescentOptimizer`"}
DIM, HIDDEN = 16, 64


# --------------------------------------------------------------------------- child
def child(args):
    """Builds the model, runs warm-up and timed steps, prints one JSON line."""
    import resource

    import numpy as np

    sys.path.insert(0, REPO)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tf1_recsys._tf import tf
    from tf1_recsys.layers import dense
    from tf1_recsys.training import build_train_op, make_optimizer

    tf.disable_eager_execution()
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        table = tf.get_variable("table", [args.vocab, DIM],
                                initializer=tf.random_uniform_initializer(-0.05, 0.05))
        ids = tf.random.uniform([args.batch_size, args.ids], 0, args.vocab, dtype=tf.int64)
        labels = tf.cast(tf.random.uniform([args.batch_size]) < 0.1, tf.float32)
        pooled = tf.reduce_sum(tf.nn.embedding_lookup(table, ids), axis=1)  # [batch, 16]
        hidden = dense(pooled, HIDDEN, activation=tf.nn.relu, name="fc")
        logit = tf.squeeze(dense(hidden, 1, name="logit"), -1)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logit))
        train_op, _ = build_train_op(loss, make_optimizer(args.optimizer, 1e-3))
        init = tf.global_variables_initializer()
    graph.finalize()
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        for _ in range(args.warmup):
            sess.run(train_op)
        times = []
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        w0 = time.perf_counter()
        for _ in range(args.steps):
            t = time.perf_counter()
            sess.run(train_op)
            times.append(time.perf_counter() - t)
        wall = time.perf_counter() - w0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    print(json.dumps({
        "ms": 1e3 * float(np.median(times)),
        "ex_per_s": args.batch_size * args.steps / wall,
        "ex_per_cpu_s": args.batch_size * args.steps / max(cpu, 1e-9),
        "rss_mb": r1.ru_maxrss / 1024.0,  # Linux reports KiB
        "tf": tf.version.VERSION,
    }))


# --------------------------------------------------------------------------- parent
def steps_for(optimizer, vocab, args):
    """(warm-up, timed) steps: Adam at 1e7 rows takes seconds per step and gets few."""
    if optimizer == "adam" and vocab >= 10 ** 6:
        return (1, args.big_adam_steps) if vocab >= 10 ** 7 else (2, max(args.big_adam_steps, 10))
    return args.warmup, args.steps


def run_child(optimizer, vocab, args):
    warmup, steps = steps_for(optimizer, vocab, args)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--optimizer", optimizer,
           "--vocab", str(vocab), "--steps", str(steps), "--warmup", str(warmup),
           "--batch-size", str(args.batch_size), "--ids", str(args.ids)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["steps"] = steps
    return result


def markdown(args, best, load_start, load_end, seconds, version):
    command = "python tools/bench_optimizers.py" + (" " + " ".join(args.argv) if args.argv else "")
    lines = [
        SECTION,
        "",
        "One slot of %d ids per example, `[vocab, %d]` table, sum -> dense %d (relu) -> logit, batch "
        "%d, ids uniform over the vocabulary (drawn in the graph), learning rate 1e-3; TensorFlow %s, "
        "%s, %d CPU cores. Each cell is a fresh process (peak RSS is its own); the contenders of a "
        "vocabulary alternate, %d rounds, the best round's median step is kept. Command: `%s` "
        "(%.0f s). Load average %s at the start and %s at the end; where it exceeds the cores, "
        "wall-clock figures are inflated and noisy and examples per CPU-second (user + system time "
        "of the process) are the steadier measure."
        % (args.ids, DIM, HIDDEN, args.batch_size, version, platform.machine(), os.cpu_count() or 0,
           args.rounds, command.strip(), seconds, load_start, load_end),
        "",
        "| vocabulary | rows touched / step | optimizer | ms / step | examples/s (wall) "
        "| examples / CPU-s | peak RSS MB | steps timed |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for vocab in args.vocabs:
        for opt in OPTIMIZERS:
            r = best[(opt, vocab)]
            lines.append("| %.0e | %.0f | %s | %.1f | %.0f | %.0f | %.0f | %d |" % (
                vocab, touched_rows(vocab, args), NAMES[opt], r["ms"], r["ex_per_s"],
                r["ex_per_cpu_s"], r["rss_mb"], r["steps"]))
    vocabs = sorted(args.vocabs)
    hi = vocabs[-1]
    lines += ["", "Growth to %.0e rows: step time (wall) and CPU time per example at %.0e over "
              "the same at a smaller vocabulary (the issue's target for `LazyAdamOptimizer`: "
              "<= 1.5x from 1e4):" % (hi, hi), "",
              "| optimizer | from | ms/step ratio | CPU-s per example ratio | peak RSS ratio |",
              "|---|---:|---:|---:|---:|"]
    for opt in OPTIMIZERS:
        for lo in vocabs[:2]:
            a, b = best[(opt, lo)], best[(opt, hi)]
            lines.append("| %s | %.0e | %.2fx | %.2fx | %.2fx |" % (
                NAMES[opt], lo, b["ms"] / a["ms"], a["ex_per_cpu_s"] / b["ex_per_cpu_s"],
                b["rss_mb"] / a["rss_mb"]))
    table_mb = hi * DIM * 4 / 2 ** 20
    lines += ["", "At %.0e rows the table itself is %.0f MB; Adam and LazyAdam hold two slots of "
              "that size (m, v), Adagrad one; `AdamOptimizer` also rewrites both slots over the "
              "whole table at every step (`m = beta1 * m` then a scatter-add), which is its step "
              "time and its extra temporaries. `LazyAdamOptimizer` reads and writes only the "
              "rows of the batch (3 gathers/scatters of them: variable, m, v). Its remaining "
              "growth has two causes that every sparse optimizer shares (Adagrad's fused kernel "
              "grows at least as much): a batch of %d ids touches about %.0f distinct rows at 1e4 but "
              "all ~%.0f from 1e5 on, and above ~1e5 rows the table and its slots no longer fit "
              "in the CPU caches, so each touched row is a cache (and TLB) miss. From 1e5, "
              "where the touched rows are the same, what is left is mostly the memory "
              "hierarchy (and the noise of the shared machine)."
              % (hi, table_mb, args.batch_size * args.ids, touched_rows(vocabs[0], args),
                 touched_rows(hi, args))]
    return "\n".join(lines) + "\n"


def touched_rows(vocab, args):
    """Expected distinct rows among ``batch_size * ids`` uniform draws from ``vocab``."""
    draws = args.batch_size * args.ids
    return vocab * -math.expm1(draws * math.log1p(-1.0 / vocab))


def parse_log(path):
    """``(best, seconds, load_start, load_end, tf_version)`` from a previous run's printed
    section (so the tables can be re-rendered without measuring again)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    names = {v: k for k, v in NAMES.items()}
    best = {}
    for m in re.finditer(r"^\| (\S+) \| (?:[\d.]+ \| )?(`\w+`) \| ([\d.]+) \| (\d+) \| (\d+) "
                         r"\| (\d+) \| (\d+) \|$", text, re.M):
        vocab, name, ms, wall, cpu, rss, steps = m.groups()
        best[(names[name], int(float(vocab)))] = {
            "ms": float(ms), "ex_per_s": float(wall), "ex_per_cpu_s": float(cpu),
            "rss_mb": float(rss), "steps": int(steps)}
    head = re.search(r"TensorFlow (\S+?),.*\((\d+) s\).*load average ([\d.]+) at the start "
                     r"and ([\d.]+) at the end", text)
    version, seconds, load_start, load_end = head.groups()
    return best, float(seconds), load_start, load_end, version


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocabs", type=float, nargs="+", default=[1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=60, help="timed steps per cell")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--big-adam-steps", type=int, default=4,
                    help="timed steps of AdamOptimizer at 1e7 rows (seconds each)")
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--ids", type=int, default=10, help="ids per example in the slot")
    ap.add_argument("--write-docs", action="store_true", help="update docs/BENCHMARKS.md")
    ap.add_argument("--render-log", metavar="LOG",
                    help="do not measure: re-render the tables of a previous run's printed output")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--optimizer", default="adam", help=argparse.SUPPRESS)
    ap.add_argument("--vocab", type=int, default=10 ** 4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    args.vocabs = [int(v) for v in args.vocabs]
    args.argv = [a for a in argv if a != "--write-docs"] if args.render_log else argv
    if args.render_log:
        i = args.argv.index("--render-log")
        args.argv = args.argv[:i] + args.argv[i + 2:] + ["--write-docs"]
        best, seconds, load_start, load_end, version = parse_log(args.render_log)
        text = markdown(args, best, load_start, load_end, seconds, version)
        benchdoc.publish(SECTION, text, args.write_docs)
        return 0
    load_start = "%.1f" % os.getloadavg()[0]
    t0 = time.time()
    best = {}
    for r in range(args.rounds):
        for vocab in args.vocabs:
            k = (r + args.vocabs.index(vocab)) % len(OPTIMIZERS)
            for opt in OPTIMIZERS[k:] + OPTIMIZERS[:k]:  # the order rotates between rounds
                res = run_child(opt, vocab, args)
                print("round %d  vocab %.0e  %-9s %8.1f ms/step %8.0f ex/CPU-s %7.0f MB  load %.1f"
                      % (r, vocab, opt, res["ms"], res["ex_per_cpu_s"], res["rss_mb"],
                         os.getloadavg()[0]), flush=True)
                old = best.get((opt, vocab))
                if old is None or res["ms"] < old["ms"]:
                    res["rss_mb"] = max(res["rss_mb"], old["rss_mb"]) if old else res["rss_mb"]
                    best[(opt, vocab)] = res
                else:
                    old["rss_mb"] = max(old["rss_mb"], res["rss_mb"])
    load_end = "%.1f" % os.getloadavg()[0]
    version = next(iter(best.values()))["tf"]
    text = markdown(args, best, load_start, load_end, time.time() - t0, version)
    benchdoc.publish(SECTION, text, args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
