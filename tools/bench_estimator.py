"""tf1_recsys.estimator against TensorFlow's own tf.estimator (TF 2.12) on one recommendation model_fn.

    PYTHONPATH=$PWD /work/venvs/old/bin/python tools/bench_estimator.py [--rounds 3] [--steps 300] [--write-docs]

The model_fn: two embedding slots of 10^5 x 16 (ids drawn Zipf-like), their concatenation
through an MLP 64-32-1 (ReLU), sigmoid cross-entropy, Adagrad (0.05); batch 512 from a TF2
``tf.data.Dataset`` input_fn. Every measurement runs in a fresh process, alternating
implementations round by round (ours, TensorFlow's, ours, ...), with summaries off and one
checkpoint at the end of each ``train`` call, so that both do the same work:

- train: steps per CPU-second of ``Estimator.train(steps=N)`` (process CPU time, all threads)
  and per wall-second;
- time to first step: from the ``train`` call to the end of the first step (wall);
- evaluate: ``Estimator.evaluate`` over 20,000 rows (wall and CPU seconds).

The figure kept per implementation is the median over rounds; ratios are ours / TensorFlow's
(above 1 = ours faster for steps per second, below 1 = ours faster for times).
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

VOCAB, DIM, BATCH, EVAL_ROWS, TRAIN_ROWS = 100_000, 16, 512, 20_000, 65_536
TITLE = "## Estimator against tf.estimator (`tools/bench_estimator.py`)"


def _data(rows, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    ids = np.minimum(rng.zipf(1.2, size=(rows, 2)) - 1, VOCAB - 1).astype(np.int64)
    labels = ((ids[:, 0] % 7 + ids[:, 1] % 5) % 2).astype(np.float32)[:, None]
    return {"user": ids[:, 0], "item": ids[:, 1]}, labels


def child(impl, steps):
    """One measurement in this process; prints a JSON line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf_root

    tf = tf_root.compat.v1
    if impl == "tf":
        E = tf_root.compat.v1.estimator
    else:
        from tf1_recsys import estimator as E
    tf.logging.set_verbosity(tf.logging.ERROR)

    def model_fn(features, labels, mode):
        slots = []
        for name in ("user", "item"):
            table = tf.get_variable(name + "_embedding", [VOCAB, DIM],
                                    initializer=tf.random_normal_initializer(stddev=0.05))
            slots.append(tf.nn.embedding_lookup(table, features[name]))
        net = tf.concat(slots, axis=1)
        for i, units in enumerate((64, 32)):
            net = tf.nn.relu(tf.matmul(net, tf.get_variable("w%d" % i, [net.shape[1], units]))
                             + tf.get_variable("b%d" % i, [units], initializer=tf.zeros_initializer()))
        logits = tf.matmul(net, tf.get_variable("w_out", [32, 1])) + tf.get_variable(
            "b_out", [1], initializer=tf.zeros_initializer())
        if mode == E.ModeKeys.PREDICT:
            return E.EstimatorSpec(mode, predictions={"p": tf.sigmoid(logits)})
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
        train_op = tf.train.AdagradOptimizer(0.05).minimize(loss, global_step=tf.train.get_global_step())
        return E.EstimatorSpec(mode, loss=loss, train_op=train_op,
                               eval_metric_ops={"auc": tf.metrics.auc(labels, tf.sigmoid(logits))})

    train_x, train_y = _data(TRAIN_ROWS, 1)
    eval_x, eval_y = _data(EVAL_ROWS, 2)

    def train_input_fn():
        return tf_root.data.Dataset.from_tensor_slices((train_x, train_y)).repeat().batch(BATCH)

    def eval_input_fn():
        return tf_root.data.Dataset.from_tensor_slices((eval_x, eval_y)).batch(BATCH)

    first = {}

    class FirstStep(tf.train.SessionRunHook):
        def after_run(self, run_context, run_values):
            first.setdefault("t", time.perf_counter())

    model_dir = tempfile.mkdtemp(prefix="bench_estimator_")
    config = E.RunConfig(tf_random_seed=1, save_checkpoints_steps=10 ** 9,  # one checkpoint, at the end
                         save_summary_steps=None, log_step_count_steps=None)
    est = E.Estimator(model_fn, model_dir=model_dir, config=config)
    # One step first (graph building, session start: the time to the first step), then the timed steps.
    start = time.perf_counter()
    est.train(train_input_fn, steps=1, hooks=[FirstStep()])
    first_step = first["t"] - start
    cpu0, wall0 = time.process_time(), time.perf_counter()
    est.train(train_input_fn, steps=steps)
    train_cpu, train_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    # evaluate restores the checkpoint written at the end of train
    cpu0, wall0 = time.process_time(), time.perf_counter()
    metrics = est.evaluate(eval_input_fn)
    eval_cpu, eval_wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(json.dumps({"impl": impl, "first_step_s": first_step, "steps_per_cpu_s": steps / train_cpu,
                      "steps_per_wall_s": steps / train_wall, "eval_wall_s": eval_wall, "eval_cpu_s": eval_cpu,
                      "auc": float(metrics["auc"]), "global_step": int(metrics["global_step"]),
                      "tf": tf_root.version.VERSION}))


def run_child(impl, steps, script=__file__):
    """The JSON line of ``script --child impl --steps steps``, run in a fresh process."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join([ROOT, os.environ.get(
        "PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, os.path.abspath(script), "--child", impl, "--steps", str(steps)],
                          capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError("%s run failed:\n%s" % (impl, proc.stderr[-4000:]))
    return json.loads(proc.stdout.strip().splitlines()[-1])


def alternating_runs(rounds, steps, script=__file__):
    """{impl: [child result per round]}: ours and tf.estimator alternate which goes first, one process each."""
    runs = {"tf1_recsys": [], "tf": []}
    for round_ in range(rounds):
        for impl in (("tf1_recsys", "tf") if round_ % 2 == 0 else ("tf", "tf1_recsys")):
            runs[impl].append(run_child(impl, steps, script))
            print(json.dumps(runs[impl][-1]), flush=True)
    return runs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--child", choices=("tf", "tf1_recsys"))
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args(argv)
    if a.child:
        child(a.child, a.steps)
        return 0
    runs = alternating_runs(a.rounds, a.steps)
    keys = [("steps_per_cpu_s", "train steps per CPU-second", "%.1f"),
            ("steps_per_wall_s", "train steps per wall-second", "%.1f"),
            ("first_step_s", "time to the first step (s)", "%.2f"),
            ("eval_wall_s", "evaluate 20k rows, wall (s)", "%.2f"),
            ("eval_cpu_s", "evaluate 20k rows, CPU (s)", "%.2f")]
    median = {impl: {k: statistics.median(r[k] for r in rs) for k, _, _ in keys} for impl, rs in runs.items()}
    lines = [TITLE, "",
             "`PYTHONPATH=$PWD /work/venvs/old/bin/python tools/bench_estimator.py --rounds %d --steps %d "
             "--write-docs`: TensorFlow %s, Python %s, %d CPUs (shared), one fresh process per measurement, "
             "implementations alternating; medians of %d rounds. Model: two 10^5 x 16 embedding slots, MLP 64-32-1, "
             "Adagrad, batch 512, TF2 `tf.data.Dataset` input_fn; summaries off, one checkpoint at the end of each "
             "train call."
             % (a.rounds, a.steps, runs["tf"][0]["tf"], platform.python_version(), os.cpu_count(), a.rounds), "",
             "| measure | tf1_recsys.estimator | tf.estimator | ours / TF |", "|---|---|---|---|"]
    for key, label, fmt in keys:
        ours, theirs = median["tf1_recsys"][key], median["tf"][key]
        lines.append("| %s | %s | %s | %.2f |" % (label, fmt % ours, fmt % theirs, ours / theirs))
    lines.append("")
    lines.append("Same seed, same graph: evaluation AUC after %d steps, ours %s, tf.estimator %s."
                 % (a.steps + 1, ", ".join("%.4f" % r["auc"] for r in runs["tf1_recsys"]),
                    ", ".join("%.4f" % r["auc"] for r in runs["tf"])))
    from benchdoc import publish

    publish(TITLE, "\n".join(lines), a.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
