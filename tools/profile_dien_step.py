#!/usr/bin/env python
"""Where a ``dien`` training step spends its time, tf1_recsys against DeepCTR 0.9.4, at ``tools/bench_dien.py``'s shapes.

    python tools/profile_dien_step.py                       # this tree and DeepCTR
    python tools/profile_dien_step.py --write-docs          # and replaces its section of docs/BENCHMARKS.md
    python tools/profile_dien_step.py --against 2e0a907 --rounds 4 --no-deepctr
                                                            # also this tree's dien at a git revision

One batch of 1024 rows of ``bench_din.make_data``, each side a fresh process per round
(order alternating, so contenders share the machine's load):

* CPU milliseconds per training step (user + system of the process, ``getrusage``):
  tf1_recsys a bare ``sess.run(train_op)`` fed the prepared batch, DeepCTR
  ``model.train_on_batch`` (``tools/deepctr_fit.py --trace``); ``--steps`` steps after
  three warm-up steps, the median;
* kernel times of ``--traces`` traced steps (``RunMetadata``), summed per part of the
  model (``PARTS``: node-name prefixes of each side); on 2 cores two kernels can run at
  once, so the sums exceed a step's wall time. With ``--against``, only the first round's
  processes of this tree and of DeepCTR trace.
"""
import argparse
import collections
import json
import os
import re
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench_din  # noqa: E402  (tools/bench_din.py)
import bench_dien  # noqa: E402  (tools/bench_dien.py)
import benchdoc  # noqa: E402  (tools/benchdoc.py)
import deepctr_venv  # noqa: E402  (tools/deepctr_venv.py)
import deepctr_fit  # noqa: E402  (tools/deepctr_fit.py)

SECTION = "## DIEN training step profile (`tools/profile_dien_step.py`)"
OURS, PEER = "tf1_recsys `dien`", "DeepCTR 0.9.4 `DIEN`"

# (part, node-name prefixes of tf1_recsys, of DeepCTR); the first match wins, in this order.
PARTS = (
    ("interest extractor GRU, gradients", ("train/gradients/dien_model/dien/interest_extractor/",),
     ("training/Adam/gradients/gradients/gru1/", "training/Adam/gradients/gru1/")),
    ("interest extractor GRU, forward", ("dien_model/dien/interest_extractor/",), ("gru1/",)),
    ("attention, gradients", ("train/gradients/dien_model/dien/interest_evolution/attention/",
                              "train/gradients/dien_model/dien/interest_evolution/query_projection/"),
     ("training/Adam/gradients/gradients/attention_sequence_pooling_layer/",
      "training/Adam/gradients/gradients/local_activation_unit/")),
    ("attention, forward", ("dien_model/dien/interest_evolution/attention/",
                            "dien_model/dien/interest_evolution/query_projection/"),
     ("attention_sequence_pooling_layer/", "local_activation_unit/")),
    ("AUGRU, gradients", ("train/gradients/dien_model/dien/interest_evolution/",),
     ("training/Adam/gradients/gradients/gru2/", "training/Adam/gradients/gru2/")),
    ("AUGRU, forward", ("dien_model/dien/interest_evolution/",), ("gru2/",)),
    ("auxiliary loss, gradients", ("train/gradients/dien_model/dien/",),
     ("training/Adam/gradients/gradients/dnn/", "training/Adam/gradients/gradients/dnn_1/")),
    ("auxiliary loss and negatives, forward", ("dien_model/dien/",), ("dnn/", "dnn_1/")),
    ("optimizer: embedding tables", ("train/train_op/update_dien_model/embeddings/",),
     ("training/Adam/Adam/update_sparse_emb_",)),
    ("optimizer: other variables", ("train/train_op/",), ("training/Adam/Adam/",)),
)
OTHER = "other (lookups, SENet, DNN, loss, gradient sums)"


def part_of(side):
    column = 1 if side == OURS else 2

    def part(name):
        name = re.sub(r"^training_\d+/", "training/", name)  # Keras numbers the scope of each compile
        for row in PARTS:
            if name.startswith(row[column]):
                return row[0]
        return OTHER

    return part


# --------------------------------------------------------------------------- children
def child(a):
    """One process of tf1_recsys: prints ``{"step_cpu_ms": [...], "kernels": {node: [type, ms]}}``."""
    from tf1_recsys._tf import tf
    from tf1_recsys.training import TrainConfig, Trainer

    data = dict(np.load(a.data))
    train = {k: v for k, v in data.items() if not k.startswith("vocab_")}
    trainer = Trainer(bench_dien.dien_model_fn(data), TrainConfig(batch_size=bench_din.BATCH, progress=False))
    feed = trainer.spec.feed({k: v[:bench_din.BATCH] for k, v in train.items()}, training=True)
    for _ in range(3):
        trainer.sess.run(trainer.train_op, feed)
    steps = []
    for _ in range(a.steps):
        c = deepctr_fit.cpu_seconds()
        trainer.sess.run(trainer.train_op, feed)
        steps.append((deepctr_fit.cpu_seconds() - c) * 1e3)
    kernels = {}
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    for _ in range(a.traces):
        meta = tf.RunMetadata()
        trainer.sess.run(trainer.train_op, feed, options=options, run_metadata=meta)
        deepctr_fit.add_node_kernels(meta.step_stats, a.traces, kernels)
    trainer.close()
    print(json.dumps({"step_cpu_ms": steps, "kernels": kernels, "ops": len(trainer.graph.get_operations())}))
    return 0


# --------------------------------------------------------------------------- parent
def run(a):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    results = collections.defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "dien.npz")
        np.savez(data, **bench_din.make_data(bench_din.BATCH * 2, 10 ** 5, 10 ** 5, 10 ** 3))
        me = [sys.executable, os.path.abspath(__file__), "--child", "--data", data, "--steps", str(a.steps)]
        cands = [(OURS, me, dict(env, PYTHONPATH=REPO), True)]
        if a.against:
            os.makedirs(os.path.join(tmp, "old"))
            cands.append(("%s at `%s`" % (OURS, a.against), me,
                          dict(env, PYTHONPATH=bench_din.unpack_revision(a.against, os.path.join(tmp, "old"))),
                          False))
        if not a.no_deepctr:
            python = deepctr_venv.ensure(a.deepctr_venv)
            cands.append((PEER, [python, os.path.join(HERE, "deepctr_dien_speed.py"), "--data", data,
                                 "--warmup-steps", "3", "--steps", str(a.steps)], deepctr_venv.environment(), True))
        for r in range(a.rounds):
            for name, cmd, cenv, traced in cands[r % len(cands):] + cands[:r % len(cands)]:
                traces = a.traces if traced and not any("kernels" in x for x in results[name]) else 0
                res = bench_din.run_child(cmd + ["--traces" if cmd[1] == me[1] else "--trace",
                                                 str(traces or (0 if cmd[1] == me[1] else 1))], cenv)
                if not traces:
                    res.pop("kernels", None)
                res["load"] = os.getloadavg()[0]
                results[name].append(res)
                print("round %d  %-40s median step %.0f CPU ms  load %.1f"
                      % (r, name, np.median(res["step_cpu_ms"]), res["load"]), flush=True)
    return results


def markdown(a, results):
    names = list(results)
    cmd = "python tools/profile_dien_step.py" + (" --against %s" % a.against if a.against else "")
    for flag, value, default in (("--rounds", a.rounds, 3), ("--traces", a.traces, 3), ("--steps", a.steps, 15)):
        if value != default:
            cmd += " %s %d" % (flag, value)
    peer = PEER if PEER in results else None
    out = [SECTION, "",
           "One training step of `dien` at `tools/bench_dien.py`'s shapes (batch 1024, sequences of 50, GRUs 32, "
           "AUGRU, auxiliary loss, Adam), each contender a fresh process per round, %d rounds alternating. "
           "Command: `%s`. TensorFlow 2.21 on both sides, %d CPU cores shared with other jobs (load average per "
           "round in the table)." % (a.rounds, cmd, os.cpu_count() or 0), "",
           "| contender | CPU ms per step: median of each round | best round | vs DeepCTR | load per round |",
           "|---|---|---:|---:|---|"]
    best = {n: min(np.median(r["step_cpu_ms"]) for r in results[n]) for n in names}
    for n in names:
        out.append("| %s | %s | %.0f | %s | %s |" % (
            n, ", ".join("%.0f" % np.median(r["step_cpu_ms"]) for r in results[n]), best[n],
            "%.2fx" % (best[peer] / best[n]) if peer else "n/a",
            ", ".join("%.1f" % r["load"] for r in results[n])))
    out += ["", "(\"vs DeepCTR\": DeepCTR's CPU per step over ours, the speed-up in examples per CPU-second. "
            "tf1_recsys: bare `sess.run(train_op)`; DeepCTR: `train_on_batch`, which also converts its inputs "
            "on every call, so it costs more than a step inside DeepCTR's `fit`: the per-step comparison to quote "
            "is `tools/bench_dien.py`'s median step, both sides inside their `fit`.)"]
    traced = [n for n in names if any("kernels" in r for r in results[n])]
    if traced:
        tables = {}
        for n in traced:
            kernels = [r for r in results[n] if "kernels" in r][0]["kernels"]
            scopes, types = collections.Counter(), collections.Counter()
            part = part_of(OURS if n == OURS else PEER)
            for node, (kind, ms) in kernels.items():
                scopes[part(node)] += ms
                types[kind] += ms
            tables[n] = (scopes, types)
        out += ["", "Kernel milliseconds of one traced step (`RunMetadata`, averaged over %d traces), by part. "
                "On a loaded machine a kernel's time includes its waits for a core, so a column adds up to "
                "several times a step's CPU: read the shares within a column, not the sums across. DeepCTR's "
                "'other' is mostly gradient bookkeeping outside its layers' scopes (`ZerosLike`, `AddN`)."
                % a.traces, "", "| part of the step | " + " | ".join(traced) + " |",
                "|---|" + "---:|" * len(traced)]
        for label in [row[0] for row in PARTS] + [OTHER, "total"]:
            cells = []
            for n in traced:
                scopes = tables[n][0]
                ms = sum(scopes.values()) if label == "total" else scopes.get(label, 0.0)
                cells.append("%.0f" % ms)
            out.append("| %s | %s |" % (label, " | ".join(cells)))
        for n in traced:
            out += ["", "Largest kernel types of %s (ms): %s." % (n, ", ".join(
                "`%s` %.0f" % kv for kv in tables[n][1].most_common(10)))]
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--traces", type=int, default=3)
    p.add_argument("--steps", type=int, default=15, help="untraced steps timed per process")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--against", metavar="GIT_REF", help="also this tree's dien at this git revision")
    p.add_argument("--no-deepctr", action="store_true", help="leave DeepCTR out")
    p.add_argument("--deepctr-venv", default=deepctr_venv.DEFAULT_PATH)
    p.add_argument("--json", help="also write the raw results (kernels included) to this file")
    p.add_argument("--write-docs", action="store_true")
    p.add_argument("--from-json", help=argparse.SUPPRESS)  # re-render the section of a --json run
    a = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if a.child:
        return child(a)
    if a.from_json:
        with open(a.from_json) as f:
            results = json.load(f)
    else:
        results = run(a)
    if a.json and not a.from_json:
        with open(a.json, "w") as f:
            json.dump(results, f)
    benchdoc.publish(SECTION, markdown(a, results), a.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
