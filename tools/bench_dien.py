#!/usr/bin/env python
"""DIEN training speed at DeepCTR's shapes: tf1_recsys ``dien`` against DeepCTR 0.9.4 ``DIEN``.

    python tools/bench_dien.py                        # prints a markdown section
    python tools/bench_dien.py --against 4e89d49      # also this tree's dien at a git revision
    python tools/bench_dien.py --write-docs           # and replaces its section of docs/BENCHMARKS.md

The data, the slots, the arguments and the timing are ``tools/bench_din.py``'s
(``make_data``, ``add_arguments``, its ``child`` through ``Trainer.fit`` with ``feed_dict``,
Adam 1e-3, batch 1024, a warm-up fit of a few batches, then ``--epochs`` whole epochs of
``--examples`` rows timed, each contender a fresh process per round, order rotating). Two
figures per contender: examples per CPU-second of the whole timed fit (what a user's
``fit`` gets, its start-up included), and of the median training step (CPU of one step,
from one step's end to the next; DeepCTR: ``on_train_batch_begin`` to ``_end``), the
steady state once start-up is amortised. Their difference per fit is the "fit overhead"
column: the timed fit's CPU beyond steps x median step (start-up, epoch ends). The model (both sides): behaviours = concat(item, cate) embeddings (16
each, length 50, lengths uniform 1-50), the interest extractor GRU and the AUGRU as wide
as the behaviour (32, DeepCTR's defaults), attention 64-16 over the interests with
softmax scores, auxiliary loss (network 100-50 sigmoid, alpha 1), DNN 256-128-64; ours with
``history_sum=False`` (DeepCTR's MLP input), and with ``--history-sum`` also with ``build_dien``'s
default input (the history sum and its product with the query) as a further contender.
DeepCTR's side: ``tools/deepctr_dien_speed.py`` in the environment of
``tools/deepctr_venv.py``. ``--against REV`` adds this tree's ``dien`` at a git revision
(its ``tf1_recsys`` unpacked to a temporary folder), the before / after of a change
measured in the same run.
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench_din  # noqa: E402  (tools/bench_din.py)
import benchdoc  # noqa: E402  (tools/benchdoc.py)
import deepctr_venv  # noqa: E402  (tools/deepctr_venv.py)

SECTION = "## DIEN against DeepCTR (`tools/bench_dien.py`)"
OURS, PEER = "tf1_recsys `dien` (history_sum=False, DeepCTR's input)", "DeepCTR 0.9.4 `DIEN` `fit`"
OURS_SUM = "tf1_recsys `dien` (history_sum=True, the default)"


def dien_model_fn(data, history_sum=False):
    """The ``model_fn`` of tf1_recsys ``dien`` at the bench's shapes (the schema of ``bench_din``).

    ``history_sum=False`` is DeepCTR's model (the MLP sees the evolved interest, not the history
    sum); True is ``build_dien``'s default input. A revision whose ``build_dien`` has no
    ``history_sum`` builds its only model.
    """
    import inspect

    from tf1_recsys.models.dien import build_dien

    schema = bench_din.din_schema(data)
    extra = {"history_sum": history_sum} if "history_sum" in inspect.signature(build_dien).parameters else {}

    def model_fn():
        return build_dien(schema, embedding_size=bench_din.EMB, gru_type="AUGRU", alpha=1.0,
                          attention_layers=(64, 16), aux_layers=(100, 50), mlp_layers=(256, 128, 64), **extra)

    return model_fn


def run(args):
    load0, t_start = os.getloadavg(), time.time()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    with tempfile.TemporaryDirectory() as tmp:
        data_path = os.path.join(tmp, "dien.npz")
        np.savez(data_path, **bench_din.make_data(args.examples, args.users, args.items, args.cates))
        common = ["--data", data_path, "--epochs", str(args.epochs), "--warmup-steps", str(args.warmup_steps)]
        me = [sys.executable, os.path.abspath(__file__), "--child"] + common
        cands = [(OURS, me, dict(env, PYTHONPATH=REPO))]
        if args.history_sum:
            cands.append((OURS_SUM, me + ["--history-sum"], dict(env, PYTHONPATH=REPO)))
        if args.against:
            os.makedirs(os.path.join(tmp, "old"))
            old = bench_din.unpack_revision(args.against, os.path.join(tmp, "old"))
            cands.append(("%s at `%s`" % (OURS, args.against), me, dict(env, PYTHONPATH=old)))
        python = deepctr_venv.ensure(args.deepctr_venv)
        cands.append((PEER, [python, os.path.join(HERE, "deepctr_dien_speed.py")] + common,
                      deepctr_venv.environment()))
        results = {name: [] for name, _, _ in cands}
        for r in range(args.rounds):
            for name, cmd, cenv in cands[r % len(cands):] + cands[:r % len(cands)]:
                res = bench_din.run_child(cmd, cenv)
                res["load"] = os.getloadavg()[0]
                results[name].append(res)
                print("round %d  %-36s %7.0f ex/s wall  %7.0f ex/CPU-s  median step %.0f CPU ms  load %.1f"
                      % (r, name, res["examples"] / res["wall"], res["examples"] / res["cpu"],
                         np.median(res["step_cpu_ms"]), res["load"]), flush=True)
    return results, load0, os.getloadavg(), time.time() - t_start


def figures(res):
    """One child's ``(examples / CPU-s of the fit, examples / CPU-s of its median step, fit overhead CPU-s,
    examples / s wall)``."""
    steps = res["step_cpu_ms"]
    step = float(np.median(steps)) / 1e3
    return (res["examples"] / res["cpu"], bench_din.BATCH / step, res["cpu"] - len(steps) * step,
            res["examples"] / res["wall"])


def markdown(args, results, load0, load1, seconds):
    table = {n: np.array([figures(r) for r in rs]) for n, rs in results.items()}  # [rounds, 4]
    best = {n: t.max(axis=0) for n, t in table.items()}
    lines = [
        SECTION, "",
        "DIEN at DeepCTR's shapes (`tools/bench_dien.py`'s docstring): %d synthetic rows of `bench_din.make_data`, "
        "batch %d, %d whole epochs (%d steps) timed after a warm-up fit of %d batches (tf1_recsys' timed fit "
        "continues from the warm-up's global step: it times that many steps fewer), each contender a fresh "
        "process per round, %d rounds, order rotating. Command: `%s` (%.0f s). TensorFlow 2.21 on both sides, %s, "
        "%d CPU cores, **shared with other jobs** (load average %.1f at the start, %.1f at the end): examples per "
        "CPU-second of the contender's own process (user + system, `getrusage`) are the figures to read."
        % (args.examples, bench_din.BATCH, args.epochs, args.epochs * -(-args.examples // bench_din.BATCH),
           args.warmup_steps, args.rounds, args.command, seconds, platform.machine(), os.cpu_count() or 0,
           load0[0], load1[0]),
        "",
        "| contender | whole fit: examples / CPU-s (best / median) | vs DeepCTR | median step: CPU ms (best round) "
        "| median step: examples / CPU-s | vs DeepCTR | vs DeepCTR, same round (median: fit / step) "
        "| fit overhead, CPU-s (median) | examples / s wall (best) | parameters | load per round |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    # the machine's speed drifts between rounds; a round's contenders run back to back, so the
    # median over rounds of each round's ratio is the steadier figure
    paired = {n: np.median(t / table[PEER], axis=0) for n, t in table.items()}
    for n, t in table.items():
        lines.append("| %s | %.0f / %.0f | %.2fx | %.0f | %.0f | %.2fx | %.2fx / %.2fx | %.1f | %.0f | %d | %s |" % (
            n, best[n][0], np.median(t[:, 0]), best[n][0] / best[PEER][0], bench_din.BATCH / best[n][1] * 1e3,
            best[n][1], best[n][1] / best[PEER][1], paired[n][0], paired[n][1], np.median(t[:, 2]), best[n][3],
            results[n][0]["params"], ", ".join("%.1f" % r["load"] for r in results[n])))
    lines += ["", "Target of issue 26: tf1_recsys `dien` >= 1.5x DeepCTR's `DIEN` in examples per CPU-second. "
              "Measured (whole fit / median step; best rounds, then the median of same-round ratios): %s." % ", ".join(
                  "%s %.2fx / %.2fx, %.2fx / %.2fx" % (n, best[n][0] / best[PEER][0], best[n][1] / best[PEER][1],
                                                       paired[n][0], paired[n][1])
                  for n in results if n != PEER)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--history-sum", action="store_true",
                   help="also time dien with build_dien's default input (the history sum), beside DeepCTR's input")
    bench_din.add_arguments(p, examples=bench_din.BATCH * 50, epochs=2, warmup_steps=5, rounds=3)
    args = p.parse_args(argv)
    args.command = bench_din.command_line("bench_dien.py", args, p)
    if args.child:
        args.child, args.optimizer, args.sequence_attention = "feed", "adam", "separate"
        return bench_din.child(args, lambda data: dien_model_fn(data, args.history_sum))
    results, load0, load1, seconds = run(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    benchdoc.publish(SECTION, markdown(args, results, load0, load1, seconds), args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
