#!/usr/bin/env python
"""Training speed of tf1_recsys.estimator on one process and on loopback ps clusters.

    python tools/bench_cluster.py                 # prints a markdown section
    python tools/bench_cluster.py --write-docs    # and replaces the "## Parameter-server
                                                  # cluster" section of docs/BENCHMARKS.md

Runs the same ``model_fn`` (a partitioned 10^5 x 16 item table, 8 ids per example
mean-pooled, 4 dense features, MLP 64-32-1, Adagrad, batch 256) as separate processes:
one process without ``TF_CONFIG`` (the reference), then 1 ps + 1 worker and 1 ps + 2
workers (asynchronous) through ``tf1_recsys.estimator.launch``. Every trainer reports
the wall times of its steps; examples/s = global steps x batch / (last step - first
step over all trainers), after ``--warmup`` steps. It also reports how long the
non-chief worker waited in session creation for a chief that starts ``--chief-delay``
seconds late, with the short poll (``recovery_wait_secs=1``) and with TensorFlow's 30 s.

The script is also the task program (``--task``): the launcher starts it once per task.
"""
import argparse
import json
import os
import platform
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchdoc  # noqa: E402  (tools/benchdoc.py)
sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SECTION = "## Parameter-server cluster (`tools/bench_cluster.py`)"
BATCH = 256
ITEMS, EMB, IDS = 100_000, 16, 8


def model_fn(features, labels, mode, params):
    from tf1_recsys._tf import tf
    from tf1_recsys import estimator as tf_estimator
    from tf1_recsys.layers import dense

    table = tf.get_variable("item_embedding", [ITEMS, EMB], initializer=tf.random_normal_initializer(stddev=0.1),
                            partitioner=tf.fixed_size_partitioner(params["partitions"]))
    pooled = tf.reduce_mean(tf.nn.embedding_lookup(table, features["items"]), axis=1)
    net = tf.concat([features["x"], pooled], axis=1)
    net = dense(net, 64, activation=tf.nn.relu, name="h1")
    net = dense(net, 32, activation=tf.nn.relu, name="h2")
    logits = tf.squeeze(dense(net, 1, name="logits"), axis=1)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
    train_op = tf.train.AdagradOptimizer(0.05).minimize(loss, global_step=tf.train.get_global_step())
    return tf_estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def input_fn():
    import numpy as np
    from tf1_recsys._tf import tf

    rng = np.random.default_rng(0)
    n = 8192
    features = {"x": rng.normal(size=(n, 4)).astype(np.float32),
                "items": rng.integers(0, ITEMS, size=(n, IDS)).astype(np.int64)}
    labels = (features["x"][:, 0] > 0).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices((features, labels)).repeat().batch(BATCH).prefetch(2)


def run_task(args):
    from tf1_recsys._tf import tf
    from tf1_recsys import estimator as tf_estimator

    class Timing(tf.train.SessionRunHook):
        def begin(self):
            self.created, self.times = time.time(), []

        def after_create_session(self, session, coord):
            self.wait = time.time() - self.created

        def after_run(self, run_context, run_values):
            self.times.append(time.time())

        def end(self, session):
            task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {"type": "local", "index": 0})
            print("BENCH " + json.dumps({"task": "%s:%s" % (task["type"], task["index"]), "wait": self.wait,
                                         "times": self.times}), flush=True)

    config = tf_estimator.RunConfig(save_checkpoints_steps=None, save_checkpoints_secs=3600,
                                    save_summary_steps=None, log_step_count_steps=None,
                                    recovery_wait_secs=args.recovery_wait, stop_grace_period_secs=2)
    est = tf_estimator.Estimator(model_fn, model_dir=args.model_dir, config=config,
                                 params={"partitions": args.partitions})
    if config.task_type == "ps":
        est.train(input_fn)
    else:
        if config.task_type == "chief":
            time.sleep(args.chief_delay)
        est.train(input_fn, max_steps=args.steps, hooks=[Timing()])


def _rate(records, warmup):
    """Examples/s over all trainers' steps after each trainer's first ``warmup`` steps."""
    times = sorted(t for r in records for t in r["times"][warmup:])
    if len(times) < 2:
        return float("nan")
    return (len(times) - 1) * BATCH / (times[-1] - times[0])


def measure(workers, steps, warmup, recovery_wait, tmp, partitions=2, chief_delay=0.0):
    import subprocess

    model_dir = os.path.join(tmp, "w%d_r%g_%d" % (workers, recovery_wait, time.time_ns()))
    command = [sys.executable, os.path.abspath(__file__), "--task", "--model-dir", model_dir, "--steps", str(steps),
               "--recovery-wait", str(recovery_wait), "--partitions", str(partitions),
               "--chief-delay", str(chief_delay)]
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if workers == 0:
        out = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600,
                             check=True).stdout.decode()
    else:
        import io

        from tf1_recsys.estimator.launch import launch

        stream = io.StringIO()
        result = launch(command, num_ps=1, num_workers=workers, timeout=600, env=env, out=stream)
        out = stream.getvalue()
        if result.returncode != 0:
            raise RuntimeError("cluster run failed (%s):\n%s" % (result.reason, out[-3000:]))
    records = [json.loads(m) for m in re.findall(r"BENCH (\{.*\})", out)]
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", action="store_true", help="run as one task (used by the launcher)")
    parser.add_argument("--model-dir")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--recovery-wait", type=float, default=1.0)
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--chief-delay", type=float, default=5.0,
                        help="in the wait measurement, the chief starts training this much later")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if args.task:
        return run_task(args)
    import tempfile

    import tensorflow

    tmp = tempfile.mkdtemp(prefix="bench_cluster_")
    load_start = os.getloadavg()[0]
    started = time.time()
    rows, waits = [], {}
    single = measure(0, args.steps, args.warmup, 1.0, tmp)
    reference = _rate(single, args.warmup)
    rows.append(("one process, no cluster (reference)", reference))
    for workers in (1, 2):
        records = measure(workers, args.steps, args.warmup, 1.0, tmp)
        rows.append(("1 ps + %d worker%s, async" % (workers, "s" if workers > 1 else ""),
                     _rate(records, args.warmup)))
    for poll in (1.0, 30.0):
        records = measure(2, args.warmup * 2, args.warmup, poll, tmp, chief_delay=args.chief_delay)
        waits[poll] = [r["wait"] for r in records if r["task"] == "worker:0"][0]
    lines = [SECTION, "",
             "One `model_fn` (partitioned 10^5 x 16 item table, 8 ids per example, MLP 64-32-1, Adagrad, batch %d), "
             "%d steps, rate after %d warm-up steps per trainer; every configuration in its own processes, the "
             "cluster on loopback through `tf1_recsys.estimator.launch`. TensorFlow %s, %s, %d CPU cores. Command: "
             "`python tools/bench_cluster.py` (%.0f s; load average %.1f at the start, %.1f at the end: the machine "
             "is shared)." % (BATCH, args.steps, args.warmup, tensorflow.__version__, platform.machine(),
                              os.cpu_count(), time.time() - started, load_start, os.getloadavg()[0]),
             "", "| configuration | examples/s | ratio |", "|---|---:|---:|"]
    for name, rate in rows:
        lines.append("| %s | %.0f | %.2f |" % (name, rate, rate / reference))
    lines += ["", "Non-chief worker's wait in session creation when the chief starts training %.0f s after it "
              "(`--chief-delay`): the poll interval adds up to one interval to that." % args.chief_delay, "",
              "| poll interval | wait (s) |", "|---|---:|",
              "| `RunConfig(recovery_wait_secs=1)` (default here) | %.1f |" % waits[1.0],
              "| 30 s (TensorFlow's `MonitoredTrainingSession`) | %.1f |" % waits[30.0], ""]
    text = "\n".join(lines)
    benchdoc.publish(SECTION, text, args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
