"""A ``model_fn`` written the way a ``tf.estimator`` user wrote it; only the import differs.

Used in-process by tests/test_estimator.py and, run as a script, as every task of the
loopback cluster of tests/test_estimator_cluster.py (it reads ``TF_CONFIG``).
"""
import argparse
import json
import os
import sys

import numpy as np

import tensorflow as tf1_root  # the user's own import
tf = tf1_root.compat.v1

from tf1_recsys import estimator as tf_estimator  # was: tf.estimator  # noqa: E402
from tf1_recsys.layers import dense  # was: tf.layers.dense  # noqa: E402

N_ITEMS = 10
N_DENSE = 3
EMB = 4
HIDDEN = 8
PARTITIONS = 2


def model_fn(features, labels, mode, params, config):
    item_table = tf.get_variable("item_embedding", [N_ITEMS, EMB],
                                 initializer=tf.random_normal_initializer(stddev=0.3),
                                 partitioner=tf.fixed_size_partitioner(PARTITIONS))
    item = tf.nn.embedding_lookup(item_table, features["item"])
    net = tf.concat([features["x"], item], axis=1)
    net = dense(net, HIDDEN, activation=tf.nn.relu, name="hidden")
    logits = tf.squeeze(dense(net, 1, name="logits"), axis=1)
    probabilities = tf.sigmoid(logits)
    predictions = {"probabilities": probabilities, "logits": logits}
    if mode == tf_estimator.ModeKeys.PREDICT:
        return tf_estimator.EstimatorSpec(
            mode, predictions=predictions,
            export_outputs={"serving_default": tf_estimator.export.PredictOutput(predictions)})
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
    if params.get("nan_from_step") is not None:  # test scaffolding: the loss reads NaN from that step on
        late = tf.train.get_or_create_global_step() >= params["nan_from_step"]
        loss = loss + tf.where(late, np.float32(np.nan), np.float32(0.0))
    eval_metric_ops = {
        "auc": tf.metrics.auc(labels, probabilities, num_thresholds=2000),
        "accuracy": tf.metrics.accuracy(labels, tf.cast(probabilities > 0.5, tf.float32)),
    }
    optimizer = tf.train.AdagradOptimizer(params.get("learning_rate", 0.1))
    if params.get("sync_replicas"):
        train_op, hooks = tf_estimator.minimize(loss, optimizer, config, sync_replicas=True)
    else:
        train_op, hooks = optimizer.minimize(loss, global_step=tf.train.get_global_step()), []
    return tf_estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, predictions=predictions,
                                      eval_metric_ops=eval_metric_ops, training_hooks=hooks)


def numpy_forward(read, features):
    """The model's (logits, probabilities) in numpy from ``read(variable_name) -> array`` (a checkpoint)."""
    table = read("item_embedding")  # the partitions stacked: [part_0; part_1]
    # tf.nn.embedding_lookup's default partition_strategy 'mod': id -> part id % P, row id // P.
    parts = np.array_split(np.arange(N_ITEMS), PARTITIONS)
    rows = np.array([parts[i % PARTITIONS][i // PARTITIONS] for i in features["item"]])
    net = np.concatenate([features["x"], table[rows]], axis=1)
    net = np.maximum(net @ read("hidden/kernel") + read("hidden/bias"), 0.0)
    logits = (net @ read("logits/kernel") + read("logits/bias"))[:, 0]
    return logits, 1.0 / (1.0 + np.exp(-logits))


def make_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, N_DENSE)).astype(np.float32)
    item = rng.integers(0, N_ITEMS, size=n).astype(np.int64)
    y = ((x[:, 0] + 0.5 * (item % 3) - 0.5 + 0.3 * rng.normal(size=n)) > 0).astype(np.float32)
    return {"x": x, "item": item}, y


def train_input_fn(batch_size=16):
    features, labels = make_data()
    return tf.data.Dataset.from_tensor_slices((features, labels)).shuffle(64, seed=1).repeat().batch(batch_size)


def eval_input_fn(batch_size=16):
    features, labels = make_data()
    return tf.data.Dataset.from_tensor_slices((features, labels)).batch(batch_size)


def predict_input_fn(batch_size=16):
    features, _ = make_data()
    return tf.data.Dataset.from_tensor_slices(features).batch(batch_size)


class FaultHook(tf.train.SessionRunHook):
    """Test scaffolding, not user code: worker:0 SIGKILLs itself at its 2nd step in its first life.

    The chief waits at step 10 until the restarted worker:0 has run a step (file
    ``rejoined``), so the restarted worker provably trains again; every step sleeps
    20 ms so the two share the run. Each task prints how many steps it ran.
    """

    def __init__(self, fault_dir):
        task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
        self.task = "%s:%s" % (task.get("type"), task.get("index"))
        self.killed = os.path.join(fault_dir, "killed")
        self.rejoined = os.path.join(fault_dir, "rejoined")
        self.steps = 0

    def after_run(self, run_context, run_values):
        import signal
        import time

        self.steps += 1
        if self.task == "worker:0":
            if not os.path.exists(self.killed) and self.steps == 2:
                open(self.killed, "w").close()
                os.kill(os.getpid(), signal.SIGKILL)
            if os.path.exists(self.killed) and not os.path.exists(self.rejoined):
                open(self.rejoined, "w").close()
        if self.task == "chief:0" and self.steps == 10:
            deadline = time.time() + 180
            while not os.path.exists(self.rejoined) and time.time() < deadline:
                time.sleep(0.2)
        time.sleep(0.02)

    def end(self, session):
        print("fault: %s ran %d steps in this life" % (self.task, self.steps), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--max-steps", type=int, default=40)
    parser.add_argument("--sync-replicas", action="store_true")
    parser.add_argument("--fault-dir", help="test scaffolding: kill and restart worker:0 (FaultHook)")
    args = parser.parse_args(argv)
    config = tf_estimator.RunConfig(save_checkpoints_steps=10, save_summary_steps=10, log_step_count_steps=20,
                                    tf_random_seed=3, stop_grace_period_secs=2)
    params = {"learning_rate": 0.1, "sync_replicas": args.sync_replicas}
    est = tf_estimator.Estimator(model_fn, model_dir=args.model_dir, config=config, params=params)
    result = tf_estimator.train_and_evaluate(
        est, tf_estimator.TrainSpec(train_input_fn, max_steps=args.max_steps,
                                    hooks=[FaultHook(args.fault_dir)] if args.fault_dir else None),
        tf_estimator.EvalSpec(eval_input_fn, steps=None, start_delay_secs=0, throttle_secs=1))
    task = os.environ.get("TF_CONFIG", "local")
    if result:
        print("final evaluation: %s" % json.dumps({k: float(v) for k, v in result[0].items()}), flush=True)
    print("done %s" % task, flush=True)


if __name__ == "__main__":
    sys.exit(main())
