#!/usr/bin/env python
"""DIN training speed at DeepCTR's shapes: tf1_recsys ``Trainer`` against DeepCTR 0.9.4 ``DIN``.

    python tools/bench_din.py                         # prints a markdown section
    python tools/bench_din.py --against 47e81fb       # also this tree's feed paths at a git revision
    python tools/bench_din.py --write-docs            # and replaces the "## DIN against DeepCTR"
                                                      # section of docs/BENCHMARKS.md

Model (both sides): slots user, gender, item_id, cate_id (embedding 16 each), one real
feature, behaviour sequences hist_item_id / hist_cate_id of length 50 sharing the item /
cate tables, DIN attention MLP 80-40 over the behaviours, DNN 256-128-64 with Dice, one
logit; Adam 1e-3, batch 1024, no L2. Synthetic data (``make_data``): vocabularies
``--users`` / ``--items`` (default 10^5 each), 10^3 categories, history lengths uniform
in 1..50, written once to an ``.npz`` that every contender reads.

Contenders, each a fresh child process per round, their order rotating between rounds so
they share the machine's load: tf1_recsys ``din`` through ``Trainer.fit`` with
``feed_dict``, with ``tf.data`` and with ``feed_dict`` and LazyAdam (``--child``, in this
interpreter), each with the default separate attention (the two sequences as two slots
of 16) and with ``build_din(sequence_attention='joint')`` (one slot of the concatenated
32-wide embeddings, DeepCTR's structure), optionally the first two at git revision
``--against`` (its ``tf1_recsys`` unpacked to a temporary folder), and DeepCTR's ``DIN``
through ``model.fit`` in the environment of ``tools/deepctr_venv.py``
(``tools/deepctr_din_speed.py``). Each child runs a warm-up fit of a few batches, then
times ``--epochs`` epochs over all rows, and reports wall seconds, CPU seconds of its own
process (user + system of every thread: the steadier figure when other jobs share the
cores), per-epoch times and the wall time from its last step to ``fit``'s return (issue 22: the
``tf.data`` iterator's destruction waited there for tf.data's autotuning thread, up to tens of
seconds). The load average is printed at the start and the end.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchdoc  # noqa: E402  (tools/benchdoc.py)
import deepctr_venv  # noqa: E402  (tools/deepctr_venv.py)

SECTION = "## DIN against DeepCTR (`tools/bench_din.py`)"
SEQ, EMB, BATCH = 50, 16, 1024


def make_data(n, users, items, cates, seed=0):
    """Synthetic DIN rows: ids start at 1 (0 pads the histories), click depends on the history."""
    rng = np.random.default_rng(seed)
    item_cate = rng.integers(1, cates, items + 1)
    item = rng.integers(1, items + 1, n)
    length = rng.integers(1, SEQ + 1, n)
    hist = rng.integers(1, items + 1, (n, SEQ))
    hist[np.arange(SEQ)[None, :] >= length[:, None]] = 0
    hist_cate = np.where(hist > 0, item_cate[hist], 0)
    same = (hist_cate == item_cate[item][:, None]).sum(1)
    logit = -1.0 + 2.0 * same + rng.normal(0, 1, n)
    return {
        "user": rng.integers(1, users + 1, n).astype(np.int64),
        "gender": rng.integers(1, 3, n).astype(np.int64),
        "item_id": item.astype(np.int64),
        "cate_id": item_cate[item].astype(np.int64),
        "pay_score": rng.random(n).astype(np.float32),
        "hist_item_id": hist.astype(np.int64),
        "hist_cate_id": hist_cate.astype(np.int64),
        "click": (logit > 0).astype(np.float32),
        "vocab_user": np.int64(users + 1), "vocab_gender": np.int64(3),
        "vocab_item_id": np.int64(items + 1), "vocab_cate_id": np.int64(cates + 1),
    }


# --------------------------------------------------------------------------- tf1_recsys child
def din_schema(data):
    """The bench's ``Schema`` for the vocabularies of ``data`` (``make_data``'s columns)."""
    from tf1_recsys.data.schema import Feature, Schema

    v = {k[len("vocab_"):]: int(x) for k, x in data.items() if k.startswith("vocab_")}
    return Schema([
        Feature("user", "slot", v["user"]), Feature("gender", "slot", v["gender"]),
        Feature("item_id", "slot", v["item_id"]), Feature("cate_id", "slot", v["cate_id"]),
        Feature("pay_score", "real"),
        Feature("hist_item_id", "sequence", v["item_id"], max_len=SEQ, query="item_id"),
        Feature("hist_cate_id", "sequence", v["cate_id"], max_len=SEQ, query="cate_id"),
    ], labels=("click",))


def din_model_fn(data, sequence_attention="separate"):
    """The ``model_fn`` of tf1_recsys ``din`` at the bench's shapes for the vocabularies of ``data``.

    ``sequence_attention`` is passed to ``build_din`` only when not the default, so the
    separate contenders also run on revisions older than that argument (``--against``).
    """
    from tf1_recsys.models.din import build_din

    schema = din_schema(data)
    extra = {} if sequence_attention == "separate" else {"sequence_attention": sequence_attention}

    def model_fn():
        return build_din(schema, embedding_size=EMB, attention_layers=(80, 40), mlp_layers=(256, 128, 64),
                         attention_layer_norm=False, **extra)

    return model_fn


def child(args, make_model_fn=None):
    """Times ``Trainer.fit`` on ``args.data`` and prints one JSON line; ``make_model_fn(data)`` (default
    ``din_model_fn``) gives the model (``tools/bench_dien.py`` passes its own)."""
    import resource

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tf1_recsys.training import TrainConfig, Trainer

    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    data = dict(np.load(args.data))
    model_fn = (make_model_fn or (lambda d: din_model_fn(d, args.sequence_attention)))(data)
    train = {k: x for k, x in data.items() if not k.startswith("vocab_")}
    n = len(train["click"])
    cfg = TrainConfig(batch_size=BATCH, epochs=args.epochs, learning_rate=1e-3, optimizer=args.optimizer,
                      use_tf_data=args.child == "tf_data", checkpoint_every=10 ** 9, progress=False, seed=0)
    trainer = Trainer(model_fn, cfg, model_dir=None)
    # Warm-up (graph optimisation, allocator, one iterator initialisation) on the first rows;
    # the timed fit then continues from the warm-up's global step.
    warm = {k: x[:args.warmup_steps * BATCH] for k, x in train.items()}
    trainer.fit(warm)
    start = trainer.step
    stamps = []
    c0, t0 = cpu(), time.perf_counter()
    out = trainer.fit(train, callback=lambda event, info: stamps.append((info["step"], time.perf_counter(), cpu()))
                      if event == "step" else None)
    t_end = time.perf_counter()
    wall, used = t_end - t0, cpu() - c0
    spe = -(-n // BATCH)
    steps = stamps
    times = np.diff([t0] + [t for _, t, _ in steps])
    cpus = np.diff([c0] + [c for _, _, c in steps])
    first = [i for i, (s, _, _) in enumerate(steps) if (s - 1) % spe == 0]  # each epoch's first step
    epochs = {}
    for (s, _, _), w, c in zip(steps, times, cpus):
        e = epochs.setdefault((s - 1) // spe, [0, 0.0, 0.0])
        e[0], e[1], e[2] = e[0] + 1, e[1] + w, e[2] + c
    full = [e for e in epochs.values() if e[0] == spe]  # epochs the timed fit trained whole
    with trainer.graph.as_default():
        from tf1_recsys._tf import tf
        params = int(sum(np.prod(x.shape.as_list()) for x in tf.trainable_variables()))
        ops = trainer.graph.get_operations()
    trainer.close()
    print(json.dumps({
        "wall": wall, "cpu": used, "examples": int(out["steps"] * BATCH),
        "start_step": start, "loss": out.get("loss"), "params": params, "ops": len(ops),
        "median_step_ms": float(np.median(times) * 1e3),
        "step_cpu_ms": [float(c * 1e3) for c in cpus],
        "epoch_wall": [e[1] for e in full], "epoch_cpu": [e[2] for e in full], "epoch_examples": n,
        "epoch_first_step_ms": [float(times[i] * 1e3) for i in first],
        "epoch_first_step_cpu_ms": [float(cpus[i] * 1e3) for i in first],
        "max_step_ms": float(times.max() * 1e3),
        "end_wall": t_end - steps[-1][1],
    }))
    return 0


# --------------------------------------------------------------------------- parent
def unpack_revision(ref, folder):
    """``git archive ref tf1_recsys`` into ``folder``; returns the folder (for PYTHONPATH)."""
    archive = subprocess.run(["git", "-C", REPO, "archive", ref, "tf1_recsys"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return folder


def run_child(cmd, env):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("child failed (%s):\n%s" % (" ".join(cmd), proc.stderr[-3000:]))
    return json.loads(proc.stdout.strip().splitlines()[-1])


FEED, TF_DATA, LAZY, JOINT = "`feed_dict`", "`tf.data`", "`feed_dict`, `LazyAdamOptimizer`", ", joint attention"
CHILDREN = ((FEED, ["feed"]), (TF_DATA, ["tf_data"]), (LAZY, ["feed", "--optimizer", "lazy_adam"]))


def contenders(args, data_path, old_tree):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    common = ["--data", data_path, "--epochs", str(args.epochs), "--warmup-steps", str(args.warmup_steps)]
    me, ours = [sys.executable, __file__, "--child"], dict(env, PYTHONPATH=REPO)
    out = []
    for joint in (False, True):
        for label, child_args in CHILDREN:
            attention = ["--sequence-attention", "joint"] if joint else []
            out.append(("tf1_recsys " + label + (JOINT if joint else ""), me + child_args + attention + common, ours))
            if old_tree and not joint and label != LAZY:
                out.append(("tf1_recsys %s at `%s`" % (label, args.against), me + child_args + common,
                            dict(env, PYTHONPATH=old_tree)))
    python = deepctr_venv.ensure(args.deepctr_venv)
    out.append(("DeepCTR 0.9.4 `DIN` `fit`", [python, os.path.join(HERE, "deepctr_din_speed.py")] + common,
                deepctr_venv.environment()))
    return out


def run(args):
    load0 = os.getloadavg()
    t_start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        data_path = os.path.join(tmp, "din.npz")
        np.savez(data_path, **make_data(args.examples, args.users, args.items, args.cates))
        old_tree = None
        if args.against:
            os.makedirs(os.path.join(tmp, "old"))
            old_tree = unpack_revision(args.against, os.path.join(tmp, "old"))
        cands = contenders(args, data_path, old_tree)
        results = {name: [] for name, _, _ in cands}
        for r in range(args.rounds):
            order = cands[r % len(cands):] + cands[:r % len(cands)]
            for name, cmd, env in order:
                res = run_child(cmd, env)
                res["load"] = os.getloadavg()[0]
                results[name].append(res)
                print("round %d  %-40s %7.0f ex/s wall  %7.0f ex/CPU-s  load %.1f  epochs' first steps %s ms"
                      % (r, name, res["examples"] / res["wall"], res["examples"] / res["cpu"], res["load"],
                         ["%.0f" % x for x in res.get("epoch_first_step_ms", [])]), flush=True)
    return results, load0, os.getloadavg(), time.time() - t_start


def markdown(args, results, load0, load1, seconds):
    names = list(results)
    peer = [n for n in names if n.startswith("DeepCTR")][0]
    ours, joint = "tf1_recsys " + FEED, "tf1_recsys " + FEED + JOINT

    def best(name, key):
        rs = results[name]
        return max(r["examples"] / r[key] for r in rs)

    def best_epoch(name, key):
        return max((r["epoch_examples"] / t for r in results[name] for t in r[key]), default=float("nan"))

    def median(name, key):
        return float(np.median([r["examples"] / r[key] for r in results[name]]))

    cmd = args.command
    lines = [
        SECTION, "",
        "DIN at DeepCTR's shapes: slots user (%d ids), gender, item_id (%d ids), cate_id (%d ids), embedding %d, "
        "one real feature, behaviour sequences of item and cate ids, length %d (history lengths uniform 1-%d), "
        "attention MLP 80-40, DNN 256-128-64 with Dice, Adam 1e-3, batch %d, %d synthetic rows, %d epochs timed "
        "after a warm-up fit of %d batches; every contender a fresh process per round, %d rounds, order rotating. "
        "Command: `%s` (%.0f s). TensorFlow 2.21 on both sides, %s, %d CPU cores. **The machine was shared "
        "with other agents' jobs** (load average %.1f at the start, %.1f at the end): wall-clock examples/s "
        "move with the load; examples per CPU-second of the contender's process (user + system time of all "
        "its threads, `getrusage`) are the figure to draw conclusions from."
        % (args.users, args.items, args.cates, EMB, SEQ, SEQ, BATCH, args.examples, args.epochs,
           args.warmup_steps, args.rounds, cmd, seconds, platform.machine(), os.cpu_count() or 0,
           load0[0], load1[0]),
        "",
        "| contender | whole fit: examples/s wall (best / median) | examples / CPU-s (best / median) | "
        "vs DeepCTR, CPU-s (best) | vs DeepCTR, wall (best) | whole epochs only: ex/s wall / ex/CPU-s (best) | "
        "median step ms | slowest epoch-start step, wall / CPU ms | fit's end after its last step, s (max) | "
        "load per round |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for n in names:
        rs = results[n]
        if "epoch_first_step_ms" in rs[0]:
            starts = [(w, c) for r in rs for w, c in zip(r["epoch_first_step_ms"], r["epoch_first_step_cpu_ms"])]
            w, c = max(starts) if starts else (float("nan"), float("nan"))
            start_text, step_text = "%.0f / %.0f" % (w, c), "%.0f" % min(r["median_step_ms"] for r in rs)
        else:
            start_text, step_text = "n/a", "%.0f" % (min(r["wall"] / r["examples"] for r in rs) * BATCH * 1e3)
        ends = [r["end_wall"] for r in rs if "end_wall" in r]
        lines.append("| %s | %.0f / %.0f | %.0f / %.0f | %.2fx | %.2fx | %.0f / %.0f | %s | %s | %s | %s |" % (
            n, best(n, "wall"), median(n, "wall"), best(n, "cpu"), median(n, "cpu"),
            best(n, "cpu") / best(peer, "cpu"), best(n, "wall") / best(peer, "wall"),
            best_epoch(n, "epoch_wall"), best_epoch(n, "epoch_cpu"), step_text, start_text,
            "%.1f" % max(ends) if ends else "n/a", ", ".join("%.1f" % r["load"] for r in rs)))
    params = {n: results[n][0]["params"] for n in (ours, joint, peer)}
    layers = results[peer][0]["layers"]
    lines += [
        "",
        "Model differences. Parameters: tf1_recsys `din` %d trainable (%d with joint attention), DeepCTR "
        "`DIN` %d. Both embed the four slots and share the item / cate tables with the sequences. By "
        "default tf1_recsys attends the two sequences as two slots of 16 (queries [B, 2, 1, 16], keys "
        "[B, 2, 50, 16], one score per behaviour and sequence); DeepCTR concatenates item and cate into "
        "one query / key of 32 ([B, 1, 32] / [B, 50, 32], one score per behaviour). **With joint attention "
        "(`build_din(sequence_attention='joint')`) the attention's structure is DeepCTR's**: query [B, 1, 1, "
        "32], keys [B, 1, 50, 32], one score per behaviour, a [128, 80] first kernel. The attention MLPs: "
        "tf1_recsys 80 relu, 40 Dice, 1; DeepCTR 80 Dice, 40 Dice, 1. tf1_recsys adds a SENet over the 6 "
        "fields (hidden 16) before the DNN and a bias on the logit; its Dice uses batch-norm with scale and "
        "centre (epsilon 1e-3), DeepCTR's Dice a batch-norm without them (epsilon 1e-9). DeepCTR's layers: %s."
        % (params[ours], params[joint], params[peer], ", ".join("%s x%d" % (k, c) for k, c in layers.items())),
    ]
    lines += ["", "Target of issue 14: tf1_recsys >= 2x DeepCTR. Measured (examples per CPU-second, best "
              "rounds): %s." % ", ".join("%s %.2fx" % (n, best(n, "cpu") / best(peer, "cpu"))
                                         for n in names if n != peer)]
    return "\n".join(lines) + "\n"


SHARED = ("examples", "users", "items", "cates", "epochs", "warmup_steps", "rounds")


def add_arguments(p, examples, epochs, warmup_steps, rounds):
    """The arguments of the DeepCTR speed benches (this one and ``tools/bench_dien.py``), with their defaults."""
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--examples", type=int, default=examples, help="synthetic rows, one epoch")
    p.add_argument("--users", type=int, default=10 ** 5)
    p.add_argument("--items", type=int, default=10 ** 5)
    p.add_argument("--cates", type=int, default=10 ** 3)
    p.add_argument("--epochs", type=int, default=epochs, help="epochs timed")
    p.add_argument("--warmup-steps", type=int, default=warmup_steps, help="batches of the untimed warm-up fit")
    p.add_argument("--rounds", type=int, default=rounds, help="fresh processes per contender")
    p.add_argument("--against", metavar="GIT_REF", help="also time this tree's tf1_recsys at this git revision")
    p.add_argument("--deepctr-venv", default=deepctr_venv.DEFAULT_PATH,
                   help="the DeepCTR environment (tools/deepctr_venv.py creates it when missing)")
    p.add_argument("--json", help="also write every child's raw results to this file")
    p.add_argument("--write-docs", action="store_true")


def command_line(script, args, parser):
    """``python tools/<script>`` with ``--against`` and the shared arguments that differ from their defaults."""
    cmd = "python tools/%s" % script + (" --against %s" % args.against if args.against else "")
    for name in SHARED:
        if getattr(args, name) != parser.get_default(name):
            cmd += " --%s %d" % (name.replace("_", "-"), getattr(args, name))
    return cmd


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--child", choices=["feed", "tf_data"], help=argparse.SUPPRESS)
    p.add_argument("--optimizer", default="adam", help=argparse.SUPPRESS)
    p.add_argument("--sequence-attention", choices=["separate", "joint"], default="separate", help=argparse.SUPPRESS)
    add_arguments(p, examples=BATCH * 40, epochs=3, warmup_steps=5, rounds=2)
    args = p.parse_args(argv)
    args.command = command_line("bench_din.py", args, p)
    if args.child:
        return child(args)
    results, load0, load1, seconds = run(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    text = markdown(args, results, load0, load1, seconds)
    benchdoc.publish(SECTION, text, args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
