"""Canned Wide & Deep: tf1_recsys.estimator's DNNLinearCombinedClassifier against tf.estimator's (TF 2.12).

    PYTHONPATH=$PWD /work/venvs/old/bin/python tools/bench_canned.py [--rounds 3] [--steps 200] [--write-docs]

Same columns on both sides: wide part ``user`` and ``item`` ids (identity, 10^4 and 2 x 10^3),
their cross (hashed to 10^5) and bucketized ``age``; deep part 16-wide embeddings of ``user`` and
``item``, numeric ``age`` (standardized) and ``x`` (4 floats), hidden units 64-32; TensorFlow's
default optimizers (Ftrl, Adagrad); batch 512 from a TF2 ``tf.data.Dataset`` input_fn. Every
measurement runs in a fresh process, implementations alternating round by round; summaries off
and one checkpoint at the end of each ``train`` call. Measured: steps per CPU-second (process CPU
time, all threads) and per wall-second of ``train(steps=N)`` after a first one-step ``train`` (graph
building, session start). The figure kept is the median over rounds; ratios are ours / TF's.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bench_estimator  # noqa: E402  (its alternating fresh-process runner)

USERS, ITEMS, BATCH, ROWS = 10_000, 2_000, 512, 65_536
TITLE = "## Canned Wide & Deep against tf.estimator (`tools/bench_canned.py`)"


def _data(rows, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    user = np.minimum(rng.zipf(1.3, rows) - 1, USERS - 1).astype(np.int64)
    item = np.minimum(rng.zipf(1.2, rows) - 1, ITEMS - 1).astype(np.int64)
    age = rng.uniform(18, 70, rows).astype(np.float32)
    x = rng.normal(size=(rows, 4)).astype(np.float32)
    labels = (((user % 7 + item % 5) % 2 + (age > 40)) % 2).astype(np.int64)[:, None]
    return {"user": user, "item": item, "age": age, "x": x}, labels


def _standardize_age(age):
    return (age - 44.0) / 15.0


def child(impl, steps):
    """One measurement in this process; prints a JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf_root

    tf = tf_root.compat.v1
    fc = tf.feature_column
    if impl == "tf":
        E = tf_root.compat.v1.estimator
    else:
        from tf1_recsys import estimator as E
    tf.logging.set_verbosity(tf.logging.ERROR)
    user = fc.categorical_column_with_identity("user", USERS)
    item = fc.categorical_column_with_identity("item", ITEMS)
    age = fc.numeric_column("age", normalizer_fn=_standardize_age)
    wide = [user, item, fc.crossed_column([user, item], 100_000), fc.bucketized_column(age, [25, 35, 45, 55, 65])]
    deep = [fc.embedding_column(user, 16), fc.embedding_column(item, 16), age, fc.numeric_column("x", shape=(4,))]
    features, labels = _data(ROWS, 1)

    def input_fn():
        return tf_root.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(BATCH)

    config = E.RunConfig(tf_random_seed=1, save_checkpoints_steps=10 ** 9, save_summary_steps=None,
                         log_step_count_steps=None)
    model = E.DNNLinearCombinedClassifier(tempfile.mkdtemp(prefix="bench_canned_"), wide, dnn_feature_columns=deep,
                                          dnn_hidden_units=[64, 32], config=config)
    start = time.perf_counter()
    model.train(input_fn, steps=1)
    first = time.perf_counter() - start
    cpu0, wall0 = time.process_time(), time.perf_counter()
    model.train(input_fn, steps=steps)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(json.dumps({"impl": impl, "steps_per_cpu_s": steps / cpu, "steps_per_wall_s": steps / wall,
                      "first_train_call_s": first, "global_step": int(model.get_variable_value("global_step")),
                      "tf": tf_root.version.VERSION}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--child", choices=("tf", "tf1_recsys"))
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args(argv)
    if a.child:
        child(a.child, a.steps)
        return 0
    runs = bench_estimator.alternating_runs(a.rounds, a.steps, __file__)
    keys = [("steps_per_cpu_s", "train steps per CPU-second", "%.1f"),
            ("steps_per_wall_s", "train steps per wall-second", "%.1f"),
            ("first_train_call_s", "first train(steps=1) call, wall (s)", "%.2f")]
    median = {impl: {k: statistics.median(r[k] for r in rs) for k, _, _ in keys} for impl, rs in runs.items()}
    lines = [TITLE, "",
             "`PYTHONPATH=$PWD /work/venvs/old/bin/python tools/bench_canned.py --rounds %d --steps %d "
             "--write-docs`: TensorFlow %s, Python %s, %d CPUs (shared with other jobs), one fresh process per "
             "measurement, implementations alternating; medians of %d rounds. `DNNLinearCombinedClassifier` with "
             "TensorFlow's default optimizers: wide user/item ids (10^4, 2x10^3), their cross (10^5 buckets), "
             "bucketized age; deep 16-wide user/item embeddings, age, 4 floats, hidden 64-32; batch 512; summaries "
             "off, one checkpoint at the end of each train call."
             % (a.rounds, a.steps, runs["tf"][0]["tf"], platform.python_version(), os.cpu_count(), a.rounds), "",
             "| measure | tf1_recsys.estimator | tf.estimator | ours / TF |", "|---|---|---|---|"]
    for key, label, fmt in keys:
        ours, theirs = median["tf1_recsys"][key], median["tf"][key]
        lines.append("| %s | %s | %s | %.2f |" % (label, fmt % ours, fmt % theirs, ours / theirs))
    lines.append("")
    lines.append("Per round, steps per CPU-second: ours %s; tf.estimator %s."
                 % (", ".join("%.1f" % r["steps_per_cpu_s"] for r in runs["tf1_recsys"]),
                    ", ".join("%.1f" % r["steps_per_cpu_s"] for r in runs["tf"])))
    from benchdoc import publish

    publish(TITLE, "\n".join(lines), a.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
