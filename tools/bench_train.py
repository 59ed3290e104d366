#!/usr/bin/env python
"""Training and serving speed of the complete CTR model (tests/golden_models.py ctr_model_fn).

    python tools/bench_train.py                 # prints a markdown section
    python tools/bench_train.py --write-docs    # and replaces the "## Training and serving"
                                                # section of docs/BENCHMARKS.md

Measures, in one run on the same synthetic data:
  * training examples/second with ``feed_dict`` batches and with the ``tf.data`` pipeline
    (same batches, same order; after a warm-up epoch; best of ``--rounds``);
  * inference latency (median, p99) at batch 1 and batch 1024 of the frozen graph
    (``Trainer.freeze`` -> ``FrozenModel``) and of the unfrozen training graph run in
    inference mode (``training`` False) in the trainer's session, calls alternating.
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
sys.path.insert(0, os.path.join(REPO, "tests"))  # golden_models: the project's reference models
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SECTION = "## Training and serving (`tools/bench_train.py`)"


def make_trainer(use_tf_data, batch_size):
    import golden_models as golden
    from tf1_recsys.training import TrainConfig, Trainer

    cfg = TrainConfig(batch_size=batch_size, epochs=1, checkpoint_every=10 ** 9, progress=False,
                      use_tf_data=use_tf_data, seed=0)
    return Trainer(golden.ctr_model_fn, cfg, model_dir=None)


def train_speeds(train, warmup, batch_size, rounds):
    """Best examples/s per input mode; the modes alternate so they share the machine's load."""
    best = {False: 0.0, True: 0.0}
    trainer = None
    for _ in range(rounds):
        for mode in (False, True):
            if trainer is not None:
                trainer.close()
            trainer = make_trainer(mode, batch_size)
            trainer.fit(warmup)  # graph optimisation, allocator, first iterator initialisation
            best[mode] = max(best[mode], trainer.fit(train)["examples_per_sec"])
    trainer.close()
    return best


def paired_latency(fns, repeats, warmup=10):
    """(median ms, p99 ms) of each function; calls alternate so both see the same load."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, bucket in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - t0)
    return [(float(np.median(t) * 1e3), float(np.percentile(t, 99) * 1e3)) for t in times]


def run(args):
    import golden_models as golden
    from tf1_recsys import export
    from tf1_recsys._tf import tf

    train = golden.ctr_synthetic_data(args.examples, seed=1)
    warmup = golden.ctr_synthetic_data(args.batch_size * 4, seed=2)
    speeds = train_speeds(train, warmup, args.batch_size, args.rounds)

    trainer = make_trainer(False, args.batch_size)
    trainer.fit(train)
    spec = trainer.spec
    frozen = export.FrozenModel(trainer.freeze(), export.serving_names(spec)[0],
                                {"click": spec.predictions["click"].name})
    rows = []
    for batch, repeats in ((1, args.repeats_small), (1024, args.repeats_large)):
        data = golden.ctr_synthetic_data(batch, seed=3)
        inputs = {k: data[k] for k in spec.inputs}
        feed = spec.feed(inputs, training=False)
        unfrozen = lambda: trainer.sess.run(spec.predictions["click"], feed)  # noqa: E731
        np.testing.assert_allclose(frozen(inputs)["click"], unfrozen(), rtol=1e-5, atol=1e-6)
        frozen_ms, unfrozen_ms = paired_latency([lambda: frozen(inputs), unfrozen], repeats)
        rows.append((batch, frozen_ms, unfrozen_ms))
    frozen.close()
    trainer.close()
    return speeds, rows, tf.version.VERSION


def markdown(args, speeds, rows, tf_version, load):
    command = "python tools/bench_train.py" + ("" if args.examples == 20000 else " --examples %d" % args.examples)
    lines = [
        SECTION,
        "",
        "Complete CTR model of `tests/golden_models.py` (embeddings + DINModel + SENet + MLP with Dice), "
        "synthetic data, %d examples, batch %d, Adam; TensorFlow %s, %s, %d CPU cores; "
        "best of %d alternating rounds after a warm-up. Command: `%s`."
        % (args.examples, args.batch_size, tf_version, platform.machine(), os.cpu_count() or 0, args.rounds,
           command),
        "",
        "| training input | examples/s | ratio |",
        "|---|---:|---:|",
        "| `feed_dict` (reference) | %.0f | 1.00 |" % speeds[False],
        "| `tf.data` (initializable iterator) | %.0f | %.2f |" % (speeds[True], speeds[True] / speeds[False]),
        "",
        "Inference latency in ms (median / p99): the frozen graph (`Trainer.freeze`, `FrozenModel`) against "
        "the unfrozen training graph run with `training=False` in the trainer's session.",
        "",
        "| batch | frozen median | frozen p99 | unfrozen median | unfrozen p99 | median ratio unfrozen/frozen |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for batch, (fm, fp), (um, up) in rows:
        lines.append("| %d | %.3f | %.3f | %.3f | %.3f | %.2f |" % (batch, fm, fp, um, up, um / fm))
    lines += [
        "",
        "Both input modes train the same batches in the same order (bit-identical weights with "
        "`TrainConfig(threads=1)`, `tests/test_training.py`); `tf.data` saves the per-step Python "
        "slicing and feeding. The frozen graph has no optimizer, no update ops and no batch-statistics "
        "branch (`Select` on the fixed switch is folded), while the unfrozen graph with `training=False` "
        "still computes the batch moments that `tf.where` discards. Load average at the start of the "
        "run: %s (other jobs share the machine; p99 values are the most sensitive to that)." % load,
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats-small", type=int, default=300, help="latency runs at batch 1")
    parser.add_argument("--repeats-large", type=int, default=60, help="latency runs at batch 1024")
    parser.add_argument("--write-docs", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    t0 = time.time()
    load = "%.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else "n/a"
    speeds, rows, version = run(args)
    text = markdown(args, speeds, rows, version, load)
    print(text)
    print("(%.0f s)" % (time.time() - t0))
    if args.write_docs:
        benchdoc.write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
