#!/usr/bin/env python
"""Where a tf1_recsys ``din`` training step spends its time, at the shapes of ``tools/bench_din.py``.

    python tools/profile_din_step.py                  # this tree
    python tools/profile_din_step.py --write-docs     # and replaces its section of docs/BENCHMARKS.md
    PYTHONPATH=OLD_TREE python tools/profile_din_step.py   # another tree's tf1_recsys

Two measurements on one batch of 1024 rows of ``bench_din.make_data``:

* the graph: ``tf.compat.v1.RunMetadata`` of ``--traces`` traced training steps, the
  kernels' time summed per scope (forward attention, its gradients, the optimizer's
  updates of the embedding tables, ...); on 2 cores two kernels can run at once, so the
  sum exceeds the step's wall time;
* the Python side: CPU time per step of ``Trainer.fit`` against a bare
  ``sess.run(train_op)`` fed the same prepared batch, runs alternating in one process;
* variants of the step in one process, runs alternating (so they share the machine's
  load): ``build_din``'s attention with the notes' tiled queries (``DINModel``'s default,
  what ``build_din`` built before) against ``tile_queries=False``, and Adam against
  ``LazyAdamOptimizer``.
"""
import argparse
import collections
import os
import resource
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_din  # noqa: E402  (tools/bench_din.py)
import benchdoc  # noqa: E402  (tools/benchdoc.py)

SECTION = "## DIN training step profile (`tools/profile_din_step.py`)"


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def scope_of(name):
    for prefix, label in (("train/gradients/din_model/din/", "attention, gradients"),
                          ("din_model/din/", "attention, forward"),
                          ("train/train_op/update_din_model/embeddings/", "optimizer: embedding tables"),
                          ("train/train_op/", "optimizer: other variables"),
                          ("train/gradients/din_model/mlp/", "MLP, gradients"), ("din_model/mlp/", "MLP, forward")):
        if name.startswith(prefix):
            return label
    return "other (lookups, SENet, loss, gradient sums)"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--optimizer", default="adam")
    p.add_argument("--traces", type=int, default=3)
    p.add_argument("--steps", type=int, default=20, help="steps per side of the Python-side comparison")
    p.add_argument("--rounds", type=int, default=5, help="alternating runs of the step variants")
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tf1_recsys._tf import tf
    from tf1_recsys.training import TrainConfig, Trainer

    data = bench_din.make_data(bench_din.BATCH * 8, 10 ** 5, 10 ** 5, 10 ** 3)
    model_fn = bench_din.din_model_fn(data)
    train = {k: v for k, v in data.items() if not k.startswith("vocab_")}
    cfg = TrainConfig(batch_size=bench_din.BATCH, epochs=10 ** 6, optimizer=a.optimizer, checkpoint_every=10 ** 9,
                      progress=False)
    trainer = Trainer(model_fn, cfg)
    batch = {k: v[:bench_din.BATCH] for k, v in train.items()}
    feed = trainer.spec.feed(batch, training=True)
    for _ in range(3):
        trainer.sess.run(trainer.train_op, feed)

    per_scope, per_type = collections.Counter(), collections.Counter()
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    for _ in range(a.traces):
        meta = tf.RunMetadata()
        trainer.sess.run(trainer.train_op, feed, options=options, run_metadata=meta)
        for device in meta.step_stats.dev_stats:
            for node in device.node_stats:
                ms = node.all_end_rel_micros / 1e3 / a.traces
                per_scope[scope_of(node.node_name)] += ms
                label = node.timeline_label
                per_type[label.split(" = ")[1].split("(")[0] if " = " in label else "?"] += ms
    total = sum(per_scope.values())
    out = [SECTION, "", "`din` of `tools/bench_din.py` (attention 80-40 over two sequences of 50, DNN 256-128-64 "
           "with Dice, tables of 10^5 rows, batch 1024, %s), TensorFlow %s, %d CPU cores. Command: "
           "`python tools/profile_din_step.py`. Kernel times of %d traced steps (`RunMetadata`, averaged; "
           "on 2 cores two kernels run at once, so they add up to more than a step's wall time):"
           % (a.optimizer, tf.version.VERSION, os.cpu_count() or 0, a.traces), "",
           "| part of the step | kernel ms | share |", "|---|---:|---:|"]
    for k, v in per_scope.most_common():
        out.append("| %s | %.1f | %.0f%% |" % (k, v, 100 * v / total))
    out += ["", "Largest kernel types (ms): " + ", ".join("`%s` %.1f" % kv for kv in per_type.most_common(8)) + "."]
    print("\n".join(out), flush=True)

    # Python side: fit (slicing, feeding, fetches, window metrics) against the bare train op.
    def bare(steps):
        c = cpu()
        for _ in range(steps):
            trainer.sess.run(trainer.train_op, feed)
        return cpu() - c

    def fit(steps):  # CPU of `steps` steps inside one fit, after its first step (not its set-up)
        first = trainer.step + 1
        marks = {}

        def callback(event, info):
            if event == "step" and info["step"] in (first, first + steps):
                marks[info["step"]] = cpu()
                if info["step"] == first + steps:  # the configured epochs never end
                    trainer.request_stop()

        trainer.fit(train, callback=callback)
        return marks[first + steps] - marks[first]

    best = {"bare": float("inf"), "fit": float("inf")}
    for _ in range(3):
        for name, fn in (("bare", bare), ("fit", fit)):
            best[name] = min(best[name], fn(a.steps) / a.steps * 1e3)
    out += ["", "Python side: CPU ms per step, best of 3 alternating runs of %d steps: a bare `sess.run(train_op)` "
            "fed one prepared batch %.1f, `Trainer.fit` (slicing the batch, feeding, fetching loss, predictions and "
            "labels for the window metrics) %.1f: fit / bare = %.3f." % (a.steps, best["bare"], best["fit"],
                                                                       best["fit"] / best["bare"])]
    print(out[-1], flush=True)
    trainer.close()

    import tf1_recsys.models.din as din_module

    class TiledDIN(din_module.DINModel):
        def __init__(self, *args, **kwargs):
            kwargs["tile_queries"] = True
            super().__init__(*args, **kwargs)

    variants = {}
    for name, optimizer, tiled in (("tiled queries, Adam", "adam", True), ("untiled, Adam", "adam", False),
                                   ("untiled, LazyAdam", "lazy_adam", False)):
        original = din_module.DINModel
        din_module.DINModel = TiledDIN if tiled else original
        try:
            t = Trainer(model_fn, TrainConfig(batch_size=bench_din.BATCH, optimizer=optimizer, progress=False))
        finally:
            din_module.DINModel = original
        f = t.spec.feed(batch, training=True)
        for _ in range(3):
            t.sess.run(t.train_op, f)
        variants[name] = (t, f, [])
    for _ in range(a.rounds):
        for name, (t, f, times) in variants.items():
            c = cpu()
            for _ in range(a.steps // 2):
                t.sess.run(t.train_op, f)
            times.append((cpu() - c) / (a.steps // 2) * 1e3)
    out += ["", "Step variants built in one process, runs of %d bare steps alternating (%d rounds; CPU time):"
            % (a.steps // 2, a.rounds), "",
            "| variant | CPU ms per step, min / median | min vs tiled queries, Adam |", "|---|---:|---:|"]
    ref = min(variants["tiled queries, Adam"][2])
    for name, (t, _, times) in variants.items():
        out.append("| %s | %.1f / %.1f | %.2f |" % (name, min(times), float(np.median(times)), min(times) / ref))
        t.close()
    out += ["", "Load average at the end: %.1f (the machine is shared)." % os.getloadavg()[0]]
    text = "\n".join(out) + "\n"
    benchdoc.publish(SECTION, text, a.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
