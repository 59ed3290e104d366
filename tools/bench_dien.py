#!/usr/bin/env python
"""DIEN training speed at DeepCTR's shapes: tf1_recsys ``dien`` against DeepCTR 0.9.4 ``DIEN``.

    python tools/bench_dien.py                        # prints a markdown section
    python tools/bench_dien.py --against 4e89d49      # also this tree's dien at a git revision
    python tools/bench_dien.py --write-docs           # and replaces its section of docs/BENCHMARKS.md

The data, the slots and the timing are ``tools/bench_din.py``'s (``make_data``, its
``child`` through ``Trainer.fit`` with ``feed_dict``, Adam 1e-3, batch 1024, a warm-up fit
of a few batches, then ``--epochs`` timed epochs, each contender a fresh process per round,
order rotating). The model (both sides): behaviours = concat(item, cate) embeddings (16
each, length 50, lengths uniform 1-50), the interest extractor GRU and the AUGRU as wide
as the behaviour (32, DeepCTR's defaults), attention 64-16 over the interests with
softmax scores, auxiliary loss (network 100-50 sigmoid, alpha 1), DNN 256-128-64.
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
PEER = "DeepCTR 0.9.4 `DIEN` `fit`"


def dien_model_fn(data):
    """The ``model_fn`` of tf1_recsys ``dien`` at the bench's shapes (the schema of ``bench_din``)."""
    from tf1_recsys.models.dien import build_dien

    schema = bench_din.din_schema(data)

    def model_fn():
        return build_dien(schema, embedding_size=bench_din.EMB, gru_type="AUGRU", alpha=1.0,
                          attention_layers=(64, 16), aux_layers=(100, 50), mlp_layers=(256, 128, 64))

    return model_fn


def run(args):
    load0, t_start = os.getloadavg(), time.time()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    with tempfile.TemporaryDirectory() as tmp:
        data_path = os.path.join(tmp, "dien.npz")
        np.savez(data_path, **bench_din.make_data(args.examples, args.users, args.items, args.cates))
        common = ["--data", data_path, "--epochs", str(args.epochs), "--warmup-steps", str(args.warmup_steps)]
        me = [sys.executable, os.path.abspath(__file__), "--child"] + common
        cands = [("tf1_recsys `dien`", me, dict(env, PYTHONPATH=REPO))]
        if args.against:
            os.makedirs(os.path.join(tmp, "old"))
            old = bench_din.unpack_revision(args.against, os.path.join(tmp, "old"))
            cands.append(("tf1_recsys `dien` at `%s`" % args.against, me, dict(env, PYTHONPATH=old)))
        python = deepctr_venv.ensure(args.deepctr_venv)
        cands.append((PEER, [python, os.path.join(HERE, "deepctr_dien_speed.py")] + common,
                      deepctr_venv.environment()))
        results = {name: [] for name, _, _ in cands}
        for r in range(args.rounds):
            for name, cmd, cenv in cands[r % len(cands):] + cands[:r % len(cands)]:
                res = bench_din.run_child(cmd, cenv)
                res["load"] = os.getloadavg()[0]
                results[name].append(res)
                print("round %d  %-36s %7.0f ex/s wall  %7.0f ex/CPU-s  load %.1f"
                      % (r, name, res["examples"] / res["wall"], res["examples"] / res["cpu"], res["load"]),
                      flush=True)
    return results, load0, os.getloadavg(), time.time() - t_start


def markdown(args, results, load0, load1, seconds):
    def rate(name, key, pick):
        return pick([r["examples"] / r[key] for r in results[name]])

    cmd = "python tools/bench_dien.py" + (" --against %s" % args.against if args.against else "")
    for flag, value, default in (("--rounds", args.rounds, 3), ("--epochs", args.epochs, 2),
                                 ("--examples", args.examples, bench_din.BATCH * 20)):
        if value != default:
            cmd += " %s %d" % (flag, value)
    lines = [
        SECTION, "",
        "DIEN at DeepCTR's shapes (`tools/bench_dien.py`'s docstring): %d synthetic rows of `bench_din.make_data`, "
        "batch %d, %d epochs timed after a warm-up fit of %d batches, each contender a fresh process per round, "
        "%d rounds, order rotating. Command: `%s` (%.0f s). TensorFlow 2.21 on both sides, %s, %d CPU cores, "
        "**shared with other jobs** (load average %.1f at the start, %.1f at the end): examples per CPU-second of "
        "the contender's own process (user + system, `getrusage`) are the figure to read."
        % (args.examples, bench_din.BATCH, args.epochs, args.warmup_steps, args.rounds, cmd, seconds,
           platform.machine(), os.cpu_count() or 0, load0[0], load1[0]),
        "",
        "| contender | examples / CPU-s (best / median) | vs DeepCTR, CPU-s (best) | examples / s wall (best / median) "
        "| parameters | load per round |",
        "|---|---:|---:|---:|---:|---|",
    ]
    peer = rate(PEER, "cpu", max)
    for n in results:
        lines.append("| %s | %.0f / %.0f | %.2fx | %.0f / %.0f | %d | %s |" % (
            n, rate(n, "cpu", max), rate(n, "cpu", np.median), rate(n, "cpu", max) / peer, rate(n, "wall", max),
            rate(n, "wall", np.median), results[n][0]["params"], ", ".join("%.1f" % r["load"] for r in results[n])))
    lines += ["", "Target of issue 26: tf1_recsys `dien` >= 1.5x DeepCTR's `DIEN` in examples per CPU-second. "
              "Measured (best rounds): %s." % ", ".join("%s %.2fx" % (n, rate(n, "cpu", max) / peer)
                                                        for n in results if n != PEER)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--examples", type=int, default=bench_din.BATCH * 20)
    p.add_argument("--users", type=int, default=10 ** 5)
    p.add_argument("--items", type=int, default=10 ** 5)
    p.add_argument("--cates", type=int, default=10 ** 3)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--warmup-steps", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--against", metavar="GIT_REF", help="also time tf1_recsys dien at this git revision")
    p.add_argument("--deepctr-venv", default=deepctr_venv.DEFAULT_PATH)
    p.add_argument("--json", help="also write every child's raw results to this file")
    p.add_argument("--write-docs", action="store_true")
    args = p.parse_args(argv)
    if args.child:
        args.child, args.optimizer, args.sequence_attention = "feed", "adam", "separate"
        return bench_din.child(args, dien_model_fn)
    results, load0, load1, seconds = run(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    benchdoc.publish(SECTION, markdown(args, results, load0, load1, seconds), args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
