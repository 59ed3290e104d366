#!/usr/bin/env python
"""``Trainer`` milliseconds per step against the number of training rows N.

    python tools/bench_steps_vs_rows.py                # prints a markdown section
    python tools/bench_steps_vs_rows.py --write-docs   # and replaces its section of docs/BENCHMARKS.md

A step's work depends on the batch, not on N; a per-step cost that grows with N is
overhead of the loop (before this bench, ``Trainer.fit`` recomputed the epoch's
permutation of all N rows on every step). For each N the same small model
(``tests/train_script.py``: 4 embedded ids + 3 dense -> dense 16 -> batch norm -> logit,
batch 256) trains ``--steps`` steps after ``--warmup`` steps, stopped by
``Trainer.request_stop``; the reference, measured in the same run and the same graph, is
``sess.run`` of the train op on one pre-sliced batch (the step with no loop around it).
Wall milliseconds per step and CPU milliseconds per step (the process's user + system
time, steadier on a shared machine) are reported with the load average.
"""
import argparse
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchdoc  # noqa: E402  (tools/benchdoc.py)
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SECTION = "## Trainer step time against the number of rows (`tools/bench_steps_vs_rows.py`)"


def _cpu():
    t = os.times()
    return t.user + t.system


def measure(n, warmup, steps, batch_size):
    import train_script as ts
    from tf1_recsys.training import Trainer

    data = ts.make_data(n=n, seed=1)
    epochs = -(-(warmup + steps + 1) * batch_size // n) + 1
    cfg = ts.config(epochs=epochs, batch_size=batch_size, checkpoint_every=10 ** 9, checkpoint_secs=None,
                    log_every=10 ** 9, threads=None)
    marks = {}
    with Trainer(ts.model_fn, cfg) as trainer:
        def callback(event, info):
            if event != "step":
                return
            if info["step"] in (warmup, warmup + steps):
                marks[info["step"]] = (time.perf_counter(), _cpu())
            if info["step"] == warmup + steps:
                trainer.request_stop("bench")

        trainer.fit(data, callback=callback)
        (w0, c0), (w1, c1) = marks[warmup], marks[warmup + steps]
        index = np.arange(batch_size)
        feed = trainer.spec.feed({k: np.asarray(v)[index] for k, v in data.items()}, training=True)
        for _ in range(warmup):
            trainer.sess.run(trainer.train_op, feed)
        r0, rc0 = time.perf_counter(), _cpu()
        for _ in range(steps):
            trainer.sess.run(trainer.train_op, feed)
        r1, rc1 = time.perf_counter(), _cpu()
    return {"wall": 1e3 * (w1 - w0) / steps, "cpu": 1e3 * (c1 - c0) / steps,
            "ref_wall": 1e3 * (r1 - r0) / steps, "ref_cpu": 1e3 * (rc1 - rc0) / steps}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000,10000000", help="comma-separated N")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    import tensorflow as tf

    sizes = [int(float(x)) for x in args.rows.split(",")]
    rows = []
    for n in sizes:
        r = measure(n, args.warmup, args.steps, args.batch_size)
        rows.append((n, r))
        print("N=%d: %.2f ms/step (%.2f CPU ms), bare step %.2f ms" % (n, r["wall"], r["cpu"], r["ref_wall"]),
              file=sys.stderr, flush=True)
    smallest = rows[0][1]
    lines = [SECTION, "",
             "Small model of `tests/train_script.py`, batch %d, %d steps after %d warm-up steps per N; "
             "TensorFlow %s, %s, %d CPU cores, load average %s. Command: `python tools/bench_steps_vs_rows.py`."
             % (args.batch_size, args.steps, args.warmup, tf.version.VERSION, platform.machine(), os.cpu_count(),
                " ".join("%.1f" % x for x in os.getloadavg())),
             "", "| rows N | Trainer ms/step (wall) | CPU ms/step | bare `sess.run` ms/step (same run) | "
                 "Trainer / bare | wall vs smallest N |", "|---|---|---|---|---|---|"]
    for n, r in rows:
        lines.append("| %s | %.2f | %.2f | %.2f | %.2fx | %.2fx |" % (
            "{:,}".format(n), r["wall"], r["cpu"], r["ref_wall"], r["wall"] / r["ref_wall"],
            r["wall"] / smallest["wall"]))
    growth = max(r["wall"] for _, r in rows) / smallest["wall"]
    lines += ["", "Step time at the largest N is %.2fx the smallest (target: flat within 1.5x). Each epoch's "
              "order is computed once, at the epoch's first step (a permutation of N rows: about %.0f ms at "
              "N = %s), not on every step." % (growth, _permutation_ms(sizes[-1]), "{:,}".format(sizes[-1])), ""]
    text = "\n".join(lines)
    benchdoc.publish(SECTION, text, args.write_docs)
    return 0


def _permutation_ms(n):
    from tf1_recsys.training import epoch_order

    t0 = time.perf_counter()
    epoch_order(n, 0, 0)
    return 1e3 * (time.perf_counter() - t0)


if __name__ == "__main__":
    sys.exit(main())
