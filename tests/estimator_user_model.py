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


def _task_name():
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    return "%s:%s" % (task.get("type"), task.get("index"))


def _ps_address():
    return json.loads(os.environ["TF_CONFIG"])["cluster"]["ps"][0]


def _ps_reachable():
    import socket

    host, _, port = _ps_address().rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


def _wait_for(condition, seconds):
    import time

    deadline = time.time() + seconds
    while not condition() and time.time() < deadline:
        time.sleep(0.05)


def _checkpoint_step(model_dir):
    checkpoint = tf.train.latest_checkpoint(model_dir)
    return int(checkpoint.rsplit("-", 1)[1]) if checkpoint else None


def _stored_step(model_dir):
    """The global step a checkpoint holds: in asynchronous training another task may have
    advanced it between the saver reading it for the file name and saving the variables."""
    return int(tf.train.load_variable(tf.train.latest_checkpoint(model_dir), "global_step"))


class FaultHook(tf.train.SessionRunHook):
    """Test scaffolding, not user code: one fault per cluster run, by ``fault``.

    * 'worker': worker:0 SIGKILLs itself at its 2nd step in its first life; the chief
      waits at step 10 until the restarted worker:0 has run a step (file ``rejoined``).
    * 'ps': the chief writes its variables' values at the start (``chief_start.npz``;
      the worker waits for it), then, 3 steps past the first checkpoint of this run,
      tells ps:0 to end (file ``kill_ps``) and both training tasks wait until ps:0 is
      gone and train on into the dead ps.
    * 'chief': 3 steps past the first checkpoint of this run the chief SIGKILLs itself
      (first life only); the worker waits before each step until the restarted chief
      has created its session (file ``chief_back``), so the restored global step is read
      before any other update. In both, the worker's first step waits for the chief's
      start (file ``chief_started``), which the chief reads before any worker update.

    Every step sleeps 20 ms so the tasks share the run; the tasks print what they saw.
    """

    def __init__(self, fault_dir, fault, model_dir):
        self.task = _task_name()
        self.fault, self.model_dir = fault, model_dir
        self.path = lambda name: os.path.join(fault_dir, name)
        self.steps = 0
        self.start_step = None

    def begin(self):
        self._global_step = tf.train.get_global_step()
        self._trainable = {v.op.name: v for v in tf.trainable_variables()}

    def after_create_session(self, session, coord):
        self.start_step = int(session.run(self._global_step))
        print("fault: %s starts at global step %d" % (self.task, self.start_step), flush=True)
        if self.fault == "ps" and self.task == "chief:0":
            values = session.run(self._trainable)
            np.savez(self.path("chief_start.npz"), global_step=self.start_step, **values)
        if self.fault in ("ps", "chief") and self.task == "chief:0":
            open(self.path("chief_started"), "w").close()
        if self.fault in ("ps", "chief") and self.task == "worker:0":
            _wait_for(lambda: os.path.exists(self.path("chief_started")), 180)
        if self.fault == "chief" and self.task == "chief:0" and os.path.exists(self.path("chief_killed")):
            open(self.path("chief_back"), "w").close()

    def before_run(self, run_context):
        # Before the step, not after it: a worker whose session recovered from the chief's
        # restore would otherwise run one step before the restarted chief reads its start.
        if self.fault == "chief" and self.task == "worker:0" and os.path.exists(self.path("chief_killed")):
            _wait_for(lambda: os.path.exists(self.path("chief_back")), 180)
        return tf.train.SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        import signal
        import time

        self.steps += 1
        step = int(run_values.results)
        if self.fault == "worker":
            if self.task == "worker:0":
                if not os.path.exists(self.path("killed")) and self.steps == 2:
                    open(self.path("killed"), "w").close()
                    os.kill(os.getpid(), signal.SIGKILL)
                if os.path.exists(self.path("killed")) and not os.path.exists(self.path("rejoined")):
                    open(self.path("rejoined"), "w").close()
            if self.task == "chief:0" and self.steps == 10:
                _wait_for(lambda: os.path.exists(self.path("rejoined")), 180)
        watch = self.task == "chief:0" and self.fault in ("ps", "chief")
        checkpoint = _checkpoint_step(self.model_dir) if watch else None
        due = checkpoint is not None and checkpoint > self.start_step and step >= checkpoint + 3
        if self.fault == "ps":
            if due and not os.path.exists(self.path("kill_ps")):
                print("fault: chief:0 ends ps:0 at global step %d; last checkpoint at step %d holds step %d"
                      % (step, checkpoint, _stored_step(self.model_dir)), flush=True)
                open(self.path("kill_ps"), "w").close()
            if os.path.exists(self.path("kill_ps")):
                _wait_for(lambda: not _ps_reachable(), 60)
        if self.fault == "chief":
            if due and not os.path.exists(self.path("chief_killed")):
                print("fault: chief:0 killed at global step %d; last checkpoint at step %d holds step %d"
                      % (step, checkpoint, _stored_step(self.model_dir)), flush=True)
                open(self.path("chief_killed"), "w").close()
                os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.02)

    def end(self, session):
        print("fault: %s ran %d steps in this life" % (self.task, self.steps), flush=True)


def _end_ps_when_told(fault_dir):
    """Test scaffolding: ps:0 ends abruptly (no cleanup) when the file ``kill_ps`` appears.

    ``os._exit(0)``, not a signal: the local launcher stops the whole cluster as soon as
    a task exits non-zero, and this run shows what the training tasks do by themselves
    when their ps is gone (as on a real cluster, where nothing watches the ps for them).
    """
    import threading

    def watch():
        _wait_for(lambda: os.path.exists(os.path.join(fault_dir, "kill_ps")), 600)
        print("fault: ps:0 ends now", flush=True)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--max-steps", type=int, default=40)
    parser.add_argument("--sync-replicas", action="store_true")
    parser.add_argument("--warm-start-from")
    parser.add_argument("--ps-failure-secs", type=float, default=60)
    parser.add_argument("--fault-dir", help="test scaffolding: where FaultHook's files go")
    parser.add_argument("--fault", choices=["worker", "ps", "chief"], default="worker",
                        help="test scaffolding: the fault FaultHook makes")
    args = parser.parse_args(argv)
    config = tf_estimator.RunConfig(save_checkpoints_steps=10, save_summary_steps=10, log_step_count_steps=20,
                                    tf_random_seed=3, stop_grace_period_secs=2,
                                    ps_failure_timeout_secs=args.ps_failure_secs)
    params = {"learning_rate": 0.1, "sync_replicas": args.sync_replicas}
    est = tf_estimator.Estimator(model_fn, model_dir=args.model_dir, config=config, params=params,
                                 warm_start_from=args.warm_start_from)
    hooks = None
    if args.fault_dir:
        hooks = [FaultHook(args.fault_dir, args.fault, args.model_dir)]
        if args.fault == "ps" and _task_name() == "ps:0":
            _end_ps_when_told(args.fault_dir)
    result = tf_estimator.train_and_evaluate(
        est, tf_estimator.TrainSpec(train_input_fn, max_steps=args.max_steps, hooks=hooks),
        tf_estimator.EvalSpec(eval_input_fn, steps=None, start_delay_secs=0, throttle_secs=1))
    task = os.environ.get("TF_CONFIG", "local")
    if result:
        print("final evaluation: %s" % json.dumps({k: float(v) for k, v in result[0].items()}), flush=True)
    print("done %s" % task, flush=True)


if __name__ == "__main__":
    sys.exit(main())
