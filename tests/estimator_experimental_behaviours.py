"""Small programs of ``tf.estimator.experimental``'s hooks and ``inputs.pandas_input_fn``, run on one implementation.

    python tests/estimator_experimental_behaviours.py --impl tf|tf1_recsys --work DIR [--only NAME ...]

The mechanism of tests/estimator_behaviours.py (one process per implementation, one JSON
object of outcomes, exceptions as [type name, message]); tests/test_estimator_experimental.py
compares the two implementations and checks ours against numpy.
"""
import json
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import estimator_behaviours as base  # noqa: E402
from estimator_behaviours import X, Y, dataset_input_fn, linear_model_fn, tf, tf_root  # noqa: E402

import numpy as np  # noqa: E402

BEHAVIOURS = {}
STOP_LOGS = ("early stopping", "Early stopping", "No increase", "No decrease")
# Evaluation values a hook of `_scripted_evaluations` writes, one per global step from 1.
SCRIPT = [5.0, 4.0, 3.0, 3.5, 3.2, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0, 1.0]


def behaviour(fn):
    BEHAVIOURS[fn.__name__] = fn
    return fn


class _Captured(logging.Handler):
    """The INFO lines of TensorFlow's logger that mention early stopping."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        message = record.getMessage()
        if any(text in message for text in STOP_LOGS):
            self.lines.append(message)


def _capturing(fn):
    logger = tf_root.get_logger()
    handler, level = _Captured(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        result = fn()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return result, handler.lines


def _eval_history(eval_dir):
    """{global step: {tag: value rounded}} of every scalar summary in ``eval_dir``."""
    out = {}
    for path in sorted(tf.gfile.Glob(os.path.join(eval_dir, "events.out.tfevents.*"))):
        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    out.setdefault(str(event.step), {})[value.tag] = round(value.simple_value, 5)
    return out



def config(E, **kwargs):
    """The behaviours' RunConfig, with sessions on one inter-op thread.

    A hook that fetches the global step beside the train op reads it before or after the
    step's increment, whichever the executor runs first (the read has no dependency on the
    increment, in tf.estimator as here): under load the "Requesting early stopping at global
    step N" line and the step an evaluation is attributed to moved by one on either side.
    One inter-op thread makes the order the same on every run.
    """
    kwargs.setdefault("session_config", tf.ConfigProto(inter_op_parallelism_threads=1))
    return base.config(E, **kwargs)

class _ScriptedEvaluations(tf.train.SessionRunHook):
    """Writes ``SCRIPT[step - 1]`` as the metric ``m`` into ``eval_dir`` after each step, as evaluations would."""

    def __init__(self, eval_dir):
        self._eval_dir = eval_dir

    def begin(self):
        self._step = tf.train.get_global_step()
        self._writer = tf.summary.FileWriterCache.get(self._eval_dir)

    def before_run(self, run_context):
        return tf.train.SessionRunArgs(self._step)

    def after_run(self, run_context, run_values):
        step = run_values.results + 1
        if step <= len(SCRIPT):
            summary = tf.Summary(value=[tf.Summary.Value(tag="m", simple_value=SCRIPT[step - 1])])
            self._writer.add_summary(summary, step)
            self._writer.flush()


def _train_with_stop_hook(E, work, make_hook, max_steps=len(SCRIPT) + 5):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    hook = make_hook(est)
    os.makedirs(est.eval_dir(), exist_ok=True)
    _, lines = _capturing(lambda: est.train(dataset_input_fn(epochs=100), max_steps=max_steps,
                                            hooks=[_ScriptedEvaluations(est.eval_dir()), hook]))
    return {"stopped_at": int(est.get_variable_value("global_step")), "log": lines, "hook": type(hook).__name__}


@behaviour
def early_stopping_hooks_stop_where_tf_does(E, work):
    X_ = E.experimental
    every = dict(run_every_secs=None, run_every_steps=1)
    cases = {
        "higher_min_steps": lambda est: X_.stop_if_higher_hook(est, "m", 3.4, min_steps=2, **every),
        "lower_2.55": lambda est: X_.stop_if_lower_hook(est, "m", 2.55, **every),
        "lower_never": lambda est: X_.stop_if_lower_hook(est, "m", 0.5, **every),
        "no_decrease_3": lambda est: X_.stop_if_no_decrease_hook(est, "m", 3, **every),
        "no_increase_2_min_steps": lambda est: X_.stop_if_no_increase_hook(est, "m", 2, min_steps=4, **every),
        "lower_every_3_steps": lambda est: X_.stop_if_lower_hook(est, "m", 3.1, run_every_secs=None,
                                                                 run_every_steps=3),
    }
    out = {}
    for name, make_hook in sorted(cases.items()):
        out[name] = _train_with_stop_hook(E, os.path.join(work, name), make_hook)
    return out


@behaviour
def early_stopping_hook_argument_errors(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    out = {}
    for name, call in (
            ("not_an_estimator", lambda: E.experimental.make_early_stopping_hook("est", lambda: True)),
            ("both_timers", lambda: E.experimental.stop_if_lower_hook(est, "loss", 1.0, run_every_secs=5,
                                                                      run_every_steps=5)),
            ("fn_not_callable", lambda: E.experimental.make_early_stopping_hook(est, True)),
            ("stop_at_checkpoint_no_step", lambda: _stop_at_checkpoint_hook_of_worker(E, work, None))):
        try:
            out[name] = type(call()).__name__
        except Exception as e:  # noqa: BLE001 - the outcome compared is the exception itself
            out[name] = [type(e).__name__, str(e)]
    return out


def _with_tf_config(task_type, fn):
    cluster = {"chief": ["localhost:1"], "worker": ["localhost:2"], "ps": ["localhost:3"]}
    os.environ["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": task_type, "index": 0}})
    try:
        return fn()
    finally:
        del os.environ["TF_CONFIG"]


def _stop_at_checkpoint_hook_of_worker(E, work, last_step, wait=0):
    return _with_tf_config("worker", lambda: E.experimental.make_stop_at_checkpoint_step_hook(
        E.Estimator(linear_model_fn(E), model_dir=work, config=E.RunConfig()), last_step, wait))


def _steps_graph(hook, server=None):
    """The steps a MonitoredSession running ``hook`` makes (at most 20) in a graph with a global step: a worker's
    session on ``server``, or a chief's in this process."""
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        train_op = tf.assign_add(step, 1)
        creator = (tf.train.ChiefSessionCreator() if server is None
                   else tf.train.WorkerSessionCreator(master=server.target, max_wait_secs=30))
        runs = 0
        with tf.train.MonitoredSession(session_creator=creator, hooks=[hook]) as sess:
            while not sess.should_stop() and runs < 20:
                sess.run(train_op)
                runs += 1
        return runs


@behaviour
def chief_signals_and_worker_stops(E, work):
    """The chief's hook sets the stop signal; a worker's, on the same server, reads it and stops after one step."""
    make = E.experimental.make_early_stopping_hook
    server = tf.train.Server.create_local_server()
    chief = _with_tf_config("chief", lambda: make(E.Estimator(linear_model_fn(E), config=E.RunConfig()),
                                                  lambda: True, run_every_secs=None, run_every_steps=1))
    worker = _with_tf_config("worker", lambda: make(E.Estimator(linear_model_fn(E), config=E.RunConfig()),
                                                    lambda: True, run_every_secs=None, run_every_steps=1))
    with tf.Graph().as_default():
        step = tf.train.get_or_create_global_step()
        train_op = tf.assign_add(step, 1)
        chief_runs = 0
        with tf.train.MonitoredSession(session_creator=tf.train.ChiefSessionCreator(master=server.target),
                                       hooks=[chief]) as sess:
            while not sess.should_stop():
                sess.run(train_op)
                chief_runs += 1
    worker_runs = _steps_graph(worker, server)
    return {"chief": type(chief).__name__, "worker": type(worker).__name__, "chief_runs": chief_runs,
            "worker_runs": worker_runs}


@behaviour
def stop_at_checkpoint_step_hook(E, work):
    """Chief: a StopAtStepHook. Worker: stops once the checkpoint in model_dir is at last_step, not before."""
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    est.train(dataset_input_fn(epochs=10), max_steps=4)
    chief = _with_tf_config("chief", lambda: E.experimental.make_stop_at_checkpoint_step_hook(
        E.Estimator(linear_model_fn(E), model_dir=work, config=E.RunConfig()), 4))
    reached = _steps_graph(_stop_at_checkpoint_hook_of_worker(E, work, 4))
    not_reached = _steps_graph(_stop_at_checkpoint_hook_of_worker(E, work, 6))
    return {"chief": [type(chief).__name__, chief.__dict__.get("_last_step")], "reached": reached,
            "not_reached": not_reached}


@behaviour
def in_memory_evaluator_evaluates_live_variables(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    evaluator = E.experimental.InMemoryEvaluatorHook(est, dataset_input_fn(), every_n_iter=2, name="live")
    est.train(dataset_input_fn(epochs=2), hooks=[evaluator])
    return {"history": _eval_history(est.eval_dir("live")), "global_step": int(est.get_variable_value("global_step"))}


@behaviour
def in_memory_evaluator_with_steps_and_early_stop(E, work):
    """The evaluator writes evaluations of 2 batches every 2 steps; a stop_if_lower_hook on its loss stops training."""
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    evaluator = E.experimental.InMemoryEvaluatorHook(est, dataset_input_fn(), steps=2, every_n_iter=2)
    stop = E.experimental.stop_if_lower_hook(est, "loss", 1.0, run_every_secs=None, run_every_steps=1)
    _, lines = _capturing(lambda: est.train(dataset_input_fn(epochs=50), hooks=[evaluator, stop]))
    return {"history": _eval_history(est.eval_dir()), "global_step": int(est.get_variable_value("global_step")),
            "log": lines}


@behaviour
def in_memory_evaluator_errors(E, work):
    out = {}
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    for name, kwargs in (("every_0", dict(every_n_iter=0)), ("every_none", dict(every_n_iter=None)),
                         ("bad_hook", dict(hooks=["not a hook"]))):
        try:
            E.experimental.InMemoryEvaluatorHook(est, dataset_input_fn(), **kwargs)
            out[name] = "accepted"
        except Exception as e:  # noqa: BLE001
            out[name] = [type(e).__name__, str(e)]
    try:
        _with_tf_config("worker", lambda: E.experimental.InMemoryEvaluatorHook(
            E.Estimator(linear_model_fn(E), model_dir=work, config=E.RunConfig()), dataset_input_fn()))
        out["cluster"] = "accepted"
    except Exception as e:  # noqa: BLE001
        out["cluster"] = [type(e).__name__, str(e)]

    def saver_model_fn(features, labels, mode):
        spec = linear_model_fn(E)(features, labels, mode)
        return spec._replace(scaffold=tf.train.Scaffold(saver=tf.train.Saver()))

    custom = E.Estimator(saver_model_fn, model_dir=os.path.join(work, "saver"), config=config(E))
    try:
        custom.train(dataset_input_fn(), hooks=[E.experimental.InMemoryEvaluatorHook(custom, dataset_input_fn())])
        out["custom_saver"] = "accepted"
    except Exception as e:  # noqa: BLE001
        out["custom_saver"] = [type(e).__name__, str(e)]
    return out


# ---------------------------------------------------------------------------- pandas_input_fn
def _frames():
    import pandas as pd

    index = np.arange(100, 107)
    x = pd.DataFrame({"a": np.arange(7), "b": np.arange(32, 39).astype(np.float32), "s": list("pqrstuv")},
                     index=index)
    return pd, x, pd.Series(np.arange(-32, -25), index=index), pd.DataFrame(
        {"a": np.arange(10, 17), "t": np.arange(7.0)}, index=index)


def _all_batches(input_fn):
    with tf.Graph().as_default(), tf.Session() as sess:
        tensors = input_fn()
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord=coord)
        out = []
        try:
            while len(out) < 50:
                out.append(sess.run(tensors))
        except tf.errors.OutOfRangeError:
            pass
        coord.request_stop()
        coord.join(threads)

    def plain(value):
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in sorted(value.items())}
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return [v.decode() if isinstance(v, bytes) else v for v in np.asarray(value).tolist()]

    return [plain(batch) for batch in out]


@behaviour
def pandas_input_fn_batches(E, work):
    pd, x, y_series, y_frame = _frames()
    fn = E.inputs.pandas_input_fn
    return {
        "series": _all_batches(fn(x, y_series, batch_size=3, shuffle=False, num_epochs=2)),
        "frame_overlapping": _all_batches(fn(x, y_frame, batch_size=4, shuffle=False, num_epochs=1)),
        "only_x": _all_batches(fn(x, batch_size=5, shuffle=False, num_epochs=1)),
        "named_target": _all_batches(fn(x, y_series, batch_size=7, shuffle=False, target_column="label")),
        "shuffled_epoch_rows": sorted(v for batch in _all_batches(fn(x, batch_size=7, shuffle=True, num_epochs=1,
                                                                     queue_capacity=None)) for v in batch["a"]),
    }


@behaviour
def pandas_input_fn_errors(E, work):
    pd, x, y_series, _ = _frames()
    fn = E.inputs.pandas_input_fn
    out = {}
    for name, call in (
            ("shuffle_missing", lambda: fn(x, y_series)),
            ("shuffle_not_bool", lambda: fn(x, y_series, shuffle=1)),
            ("target_column_list", lambda: fn(x, y_series, shuffle=False, target_column=["a"])),
            ("target_column_taken", lambda: fn(x, y_series, shuffle=False, target_column="a")),
            ("index_mismatch", lambda: fn(x, pd.Series(np.arange(7)), shuffle=False))):
        try:
            call()
            out[name] = "accepted"
        except Exception as e:  # noqa: BLE001
            out[name] = [type(e).__name__, base._normalise(str(e), work)]
    return out


def main(argv=None):
    base.BEHAVIOURS.clear()
    base.BEHAVIOURS.update(BEHAVIOURS)
    return base.main(argv)


if __name__ == "__main__":
    sys.exit(main())
