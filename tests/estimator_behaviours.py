"""Small ``tf.estimator`` programs, run on one implementation; prints one JSON object of their outcomes.

    python tests/estimator_behaviours.py --impl tf|tf1_recsys --work DIR [--only NAME ...]

Each behaviour receives the estimator module ``E`` (``tf.compat.v1.estimator`` for ``--impl tf``,
TensorFlow <= 2.15 only; ``tf1_recsys.estimator`` otherwise) and a fresh folder. Its outcome is
``{"result": ...}`` or ``{"error": [exception type name, message]}`` with memory addresses
and the folder replaced, so tests/test_estimator_vs_tf_estimator.py compares the two
implementations' outcomes as they are, messages included.
"""
import argparse
import glob
import inspect
import json
import os
import re
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf_root  # noqa: E402

tf = tf_root.compat.v1
BEHAVIOURS = {}

X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [3.0, 0.0], [-1.0, 2.0], [0.5, 0.5]], dtype=np.float32)
Y = (X @ np.array([[1.5], [-2.0]], dtype=np.float32) + 0.25).astype(np.float32)
LEARNING_RATE = 0.1


def behaviour(fn):
    BEHAVIOURS[fn.__name__] = fn
    return fn


def linear_model_fn(E, metric_ops=None, loss_shape=None):
    """``y = x w + b`` with zero initial weights, mean squared error, plain gradient descent."""
    def model_fn(features, labels, mode):
        x = features["x"] if isinstance(features, dict) else features
        w = tf.get_variable("w", [2, 1], initializer=tf.zeros_initializer())
        b = tf.get_variable("b", [1], initializer=tf.zeros_initializer())
        predictions = tf.matmul(x, w) + b
        if mode == E.ModeKeys.PREDICT:
            return E.EstimatorSpec(mode, predictions={"y": predictions})
        loss = tf.reduce_mean(tf.square(predictions - labels))
        if loss_shape is not None:
            loss = tf.reshape(loss, loss_shape)
        train_op = tf.train.GradientDescentOptimizer(LEARNING_RATE).minimize(
            loss, global_step=tf.train.get_global_step())
        metrics = metric_ops(predictions, labels) if metric_ops else None
        return E.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics)

    return model_fn


def dataset_input_fn(batch=2, labels=True, epochs=1):
    """A TF2 ``tf.data.Dataset`` (not ``tf.compat.v1.data``) of ({'x': x}, y) or of {'x': x}."""
    def input_fn():
        data = ({"x": X}, Y) if labels else {"x": X}
        return tf_root.data.Dataset.from_tensor_slices(data).repeat(epochs).batch(batch)

    return input_fn


def config(E, **kwargs):
    kwargs.setdefault("log_step_count_steps", None)
    return E.RunConfig(**kwargs)


def _variables(est):
    return {name: est.get_variable_value(name).tolist() for name in ("w", "b")}


# ---------------------------------------------------------------------------- input_fn
@behaviour
def dataset_input_fn_trains_evaluates_and_predicts(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    est.train(dataset_input_fn(epochs=2))
    evaluation = est.evaluate(dataset_input_fn())
    predictions = [p["y"].tolist() for p in est.predict(dataset_input_fn(labels=False))]
    return {"variables": _variables(est), "evaluation": {k: float(v) for k, v in evaluation.items()},
            "predictions": predictions}


@behaviour
def input_fn_of_three_items_is_refused(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    est.train(lambda: (tf.constant(X), tf.constant(Y), tf.constant(Y)), steps=1)


# ---------------------------------------------------------------------------- EstimatorSpec
def _spec(E, mode, **kwargs):
    with tf.Graph().as_default():
        loss = kwargs.pop("loss_value", None)
        if loss is not None:
            kwargs["loss"] = tf.constant(loss, dtype=tf.float32)
        if mode == "train":
            kwargs["train_op"] = tf.no_op()
        spec = E.EstimatorSpec(mode, **kwargs)
        return {"mode": spec.mode, "loss_shape": None if spec.loss is None else spec.loss.shape.as_list(),
                "metric_keys": sorted(spec.eval_metric_ops)}


@behaviour
def spec_mode_none(E, work):
    with tf.Graph().as_default():
        spec = E.EstimatorSpec(None, predictions=tf.constant([1.0]))
        return [spec.mode, sorted(spec.export_outputs or {})]


@behaviour
def spec_loss_of_one_row_is_reshaped(E, work):
    return _spec(E, "eval", loss_value=[[2.0]])


@behaviour
def spec_loss_of_two_rows_is_refused(E, work):
    return _spec(E, "eval", loss_value=[[2.0], [3.0]])


@behaviour
def spec_missing_train_op(E, work):
    with tf.Graph().as_default():
        E.EstimatorSpec("train", loss=tf.constant(1.0))


@behaviour
def spec_missing_loss(E, work):
    with tf.Graph().as_default():
        E.EstimatorSpec("eval")


@behaviour
def spec_missing_predictions(E, work):
    with tf.Graph().as_default():
        E.EstimatorSpec("infer")


@behaviour
def spec_metrics_not_a_dict(E, work):
    return _spec(E, "eval", loss_value=1.0, eval_metric_ops=[1])


@behaviour
def spec_metric_not_a_pair(E, work):
    with tf.Graph().as_default():
        E.EstimatorSpec("eval", loss=tf.constant(1.0), eval_metric_ops={"m": tf.constant(1.0)})


@behaviour
def spec_hook_not_a_hook(E, work):
    with tf.Graph().as_default():
        E.EstimatorSpec("eval", loss=tf.constant(1.0), evaluation_hooks=["not a hook"])


@behaviour
def spec_predictions_not_tensors(E, work):
    with tf.Graph().as_default():
        E.EstimatorSpec("infer", predictions={"p": 1.0})


@behaviour
def spec_two_export_outputs_without_default(E, work):
    with tf.Graph().as_default():
        p = tf.constant([[1.0]])
        E.EstimatorSpec("infer", predictions=p, export_outputs={
            "a": E.export.PredictOutput(p), "b": E.export.PredictOutput(p)})


class DuckMean:
    """A metric object as TensorFlow's Keras metrics are, in graph mode: ``update_state`` records its op in ``updates``."""

    def __init__(self, name):
        self.name = name
        with tf.variable_scope(None, default_name=name):
            self.total = tf.get_variable("total", [], initializer=tf.zeros_initializer(), trainable=False,
                                         collections=[])
            self.count = tf.get_variable("count", [], initializer=tf.zeros_initializer(), trainable=False,
                                         collections=[])
        self.variables = [self.total, self.count]
        self.updates = []

    def update_state(self, values):
        values = tf.cast(values, tf.float32)
        op = tf.group(tf.assign_add(self.total, tf.reduce_sum(values)),
                      tf.assign_add(self.count, tf.cast(tf.size(values), tf.float32)))
        self.updates.append(op)
        return op

    def result(self):
        return tf.div_no_nan(self.total, self.count)


def mean_metric(name):
    """``tf.keras.metrics.Mean`` where TensorFlow has its Keras 2 (<= 2.15), else a ``DuckMean``."""
    if tuple(int(p) for p in tf_root.version.VERSION.split(".")[:2]) <= (2, 15):
        return tf_root.keras.metrics.Mean(name=name)
    return DuckMean(name)


def _evaluate_with_metrics(E, work, metric_ops):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    est.train(dataset_input_fn(), steps=2)
    est = E.Estimator(linear_model_fn(E, metric_ops=metric_ops), model_dir=work, config=config(E))
    evaluation = est.evaluate(dataset_input_fn())
    return {k: np.asarray(v).tolist() for k, v in evaluation.items()}


@behaviour
def metric_object_in_eval_metric_ops(E, work):
    def metrics(predictions, labels):
        mean = mean_metric("mean_prediction")
        mean.update_state(predictions)
        return {"mean_prediction": mean}

    return _evaluate_with_metrics(E, work, metrics)


@behaviour
def metric_object_without_update(E, work):
    def metrics(predictions, labels):
        return {"mean_prediction": mean_metric("mean_prediction")}

    return _evaluate_with_metrics(E, work, metrics)


@behaviour
def keras_metric_objects_in_eval_metric_ops(E, work):
    """``tf.keras.metrics`` objects (Keras 2 up to TF 2.15, Keras 3 after) beside ``tf.compat.v1.metrics`` of the
    same values: two evaluations (their variables are local: each starts from zero), the checkpoint's
    variables (no metric variable in it), and a metric whose ``update_state`` was never called."""
    def metrics(predictions, labels):
        positive, score = tf.cast(labels > 0, tf.float32), tf.sigmoid(tf.sin(3.0 * predictions))  # not a ranking
        mean = tf_root.keras.metrics.Mean(name="keras_mean")
        mean.update_state(predictions)
        auc = tf_root.keras.metrics.AUC(name="keras_auc")
        auc.update_state(positive, score)
        batch_mean = tf.reduce_mean(labels)  # a scalar: Keras counts it with a constant, not from the input
        scalar = tf_root.keras.metrics.Mean(name="keras_scalar_mean")
        scalar.update_state(batch_mean)
        return {"keras_mean": mean, "keras_auc": auc, "v1_mean": tf.metrics.mean(predictions),
                "v1_auc": tf.metrics.auc(positive, score), "keras_scalar_mean": scalar,
                "v1_scalar_mean": tf.metrics.mean(batch_mean)}

    first = _evaluate_with_metrics(E, work, metrics)
    est = E.Estimator(linear_model_fn(E, metric_ops=metrics), model_dir=work, config=config(E))
    second = {k: np.asarray(v).tolist() for k, v in est.evaluate(dataset_input_fn()).items()}
    not_updated = E.Estimator(linear_model_fn(E, metric_ops=lambda p, l: {
        "never": tf_root.keras.metrics.Mean(name="never")}), model_dir=work, config=config(E))
    return {"evaluations": [{k: round(v, 5) for k, v in e.items()} for e in (first, second)],
            "checkpoint": sorted(name for name, _ in tf.train.list_variables(work)),
            "not_updated": _outcome(lambda: not_updated.evaluate(dataset_input_fn()) and None)}


@behaviour
def nested_tuple_metric_value(E, work):
    def metrics(predictions, labels):
        mean, update = tf.metrics.mean(predictions)
        total, update_total = tf.metrics.mean(labels)
        return {"nested": ((mean, total), tf.group(update, update_total))}

    return _evaluate_with_metrics(E, work, metrics)


@behaviour
def loss_metric_name_is_reserved(E, work):
    return _evaluate_with_metrics(E, work, lambda p, l: {"loss": tf.metrics.mean(p)})


# ---------------------------------------------------------------------------- Estimator
@behaviour
def eval_dir(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    return [os.path.relpath(est.eval_dir(), work), os.path.relpath(est.eval_dir("holdout"), work)]


@behaviour
def run_config_subclass_and_attributes_are_kept(E, work):
    class MyConfig(E.RunConfig):
        pass

    run_config = MyConfig(log_step_count_steps=None)
    run_config.team = "recsys"
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=run_config)
    return [type(est.config).__name__, getattr(est.config, "team", None), est.config.model_dir == work]


@behaviour
def evaluate_without_checkpoint_uses_initial_values(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    return {k: float(v) for k, v in est.evaluate(dataset_input_fn()).items()}


@behaviour
def user_hooks_run_before_the_nan_check(E, work):
    order = []

    class Hook(tf.train.SessionRunHook):
        def after_run(self, run_context, run_values):
            order.append("user")

    nan_after_run = tf.train.NanTensorHook.after_run

    def recording(self, run_context, run_values):
        order.append("nan")
        return nan_after_run(self, run_context, run_values)

    tf.train.NanTensorHook.after_run = recording
    try:
        est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
        est.train(dataset_input_fn(), hooks=[Hook()], steps=1)
    finally:
        tf.train.NanTensorHook.after_run = nan_after_run
    return order


@behaviour
def loss_summary_is_written(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E, save_summary_steps=1))
    est.train(dataset_input_fn(), steps=2)
    tags = set()
    for name in os.listdir(work):
        if name.startswith("events.out"):
            for event in tf.train.summary_iterator(os.path.join(work, name)):
                tags.update(v.tag for v in event.summary.value)
    return "loss" in tags


@behaviour
def saving_listener_needs_a_saver(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work,
                      config=config(E, save_checkpoints_steps=None, save_checkpoints_secs=None))
    est.train(dataset_input_fn(), steps=1, saving_listeners=[tf.train.CheckpointSaverListener()])


@behaviour
def saving_listener_of_wrong_type(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    est.train(dataset_input_fn(), steps=1, saving_listeners=["listener"])


@behaviour
def hooks_are_checked_before_the_input_fn_runs(E, work):
    called = []

    def input_fn():
        called.append(True)
        return dataset_input_fn()()

    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    try:
        est.train(input_fn, hooks=["not a hook"], steps=1)
    except TypeError as e:
        return [type(e).__name__, str(e), called]


@behaviour
def model_fn_property_is_a_fixed_signature_wrapper(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    with tf.Graph().as_default():
        tf.train.get_or_create_global_step()
        spec = est.model_fn({"x": tf.constant(X)}, tf.constant(Y), "eval", est.config)
    return [list(inspect.signature(est.model_fn).parameters), type(spec).__name__]


@behaviour
def unknown_model_fn_argument_is_refused(E, work):
    def model_fn(features, labels, mode, extra):
        raise AssertionError

    E.Estimator(model_fn, model_dir=work)


@behaviour
def model_fn_without_features_is_refused(E, work):
    def model_fn(x, labels):
        raise AssertionError

    E.Estimator(model_fn, model_dir=work)


@behaviour
def params_without_params_argument_are_refused(E, work):
    def model_fn(features, labels):
        raise AssertionError

    E.Estimator(model_fn, model_dir=work, params={"a": 1})


@behaviour
def estimator_method_override_is_refused(E, work):
    class MyEstimator(E.Estimator):
        def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
            raise AssertionError

    MyEstimator(linear_model_fn(E), model_dir=work)


@behaviour
def model_fn_none_is_refused(E, work):
    E.Estimator(None, model_dir=work)


@behaviour
def config_of_wrong_type_is_refused(E, work):
    E.Estimator(linear_model_fn(E), model_dir=work, config="config")


@behaviour
def model_dir_differs_from_config(E, work):
    E.Estimator(linear_model_fn(E), model_dir=os.path.join(work, "a"),
                config=E.RunConfig(model_dir=os.path.join(work, "b")))


@behaviour
def steps_and_max_steps_checks(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    errors = []
    for kwargs in ({"steps": 0}, {"max_steps": -1}, {"steps": 1, "max_steps": 2}):
        try:
            est.train(dataset_input_fn(), **kwargs)
        except ValueError as e:
            errors.append(str(e))
    try:
        est.evaluate(dataset_input_fn(), steps=0)
    except ValueError as e:
        errors.append(str(e))
    return errors


@behaviour
def export_savedmodel_alias(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    est.train(dataset_input_fn(), steps=1)
    receiver = E.export.build_raw_serving_input_receiver_fn({"x": tf.placeholder(tf.float32, [None, 2], "x")})
    path = est.export_savedmodel(os.path.join(work, "export"), receiver)
    return [list(inspect.signature(est.export_savedmodel).parameters), isinstance(path, bytes),
            sorted(os.listdir(path))]


@behaviour
def add_metrics_adds_to_evaluation(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    est.train(dataset_input_fn(), steps=2)

    def metric_fn(features, labels):
        return {"mean_label": tf.metrics.mean(labels), "mean_x": tf.metrics.mean(features["x"])}

    extended = E.add_metrics(est, metric_fn)
    return [type(extended).__name__, extended.model_dir == est.model_dir,
            {k: float(v) for k, v in extended.evaluate(dataset_input_fn()).items()}]


@behaviour
def add_metrics_refuses_unknown_arguments(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    E.add_metrics(est, lambda labels, weights: {})


@behaviour
def call_logit_fn_passes_declared_arguments(E, work):
    seen = []

    def logit_fn(features, mode, params):
        seen.append([sorted(features), mode, params])
        return features["x"]

    with tf.Graph().as_default():
        logits = E.experimental.call_logit_fn(logit_fn, {"x": tf.constant(X)}, "train", {"p": 1}, None)
        try:
            E.experimental.call_logit_fn(lambda features: 3, {}, "train", None, None)
        except ValueError as e:
            seen.append(str(e))
    return [logits.shape.as_list(), seen]


@behaviour
def raw_supervised_receiver(E, work):
    with tf.Graph().as_default():
        fn = E.experimental.build_raw_supervised_input_receiver_fn(
            {"x": tf.placeholder(tf.float32, [None, 2], name="x")}, tf.placeholder(tf.float32, [None, 1], name="y"))
        receiver = fn()
        try:
            E.experimental.build_raw_supervised_input_receiver_fn({"a": tf.constant(1)}, {"a": tf.constant(1)})
        except ValueError as e:
            overlap = str(e)
        return [type(receiver).__name__, sorted(receiver.receiver_tensors), receiver.labels.shape.as_list(),
                overlap]


# ---------------------------------------------------------------------------- public signatures, numpy_input_fn
SIGNATURES = [
    "RunConfig.__init__", "Estimator.__init__", "Estimator.train", "Estimator.evaluate", "Estimator.predict",
    "Estimator.export_saved_model", "EstimatorSpec.__new__", "TrainSpec.__new__", "EvalSpec.__new__",
    "train_and_evaluate", "WarmStartSettings.__new__", "FinalExporter.__init__", "LatestExporter.__init__",
    "BestExporter.__init__", "export.PredictOutput.__init__", "export.RegressionOutput.__init__",
    "export.ClassificationOutput.__init__", "export.ServingInputReceiver.__new__",
    "export.build_raw_serving_input_receiver_fn", "inputs.numpy_input_fn",
]


@behaviour
def public_signatures(E, work):
    """{qualified name: [[argument, repr of a plain default or None], ...]} of the public API (compared apart:
    ours may have more arguments after tf.estimator's)."""
    out = {}
    for qualified in SIGNATURES:
        obj = E
        for part in qualified.split("."):
            obj = getattr(obj, part)
        params = []
        for p in inspect.signature(obj).parameters.values():
            if p.name in ("self", "cls") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            plain = p.default is None or isinstance(p.default, (bool, int, float, str))
            params.append([p.name, repr(p.default) if plain and p.default is not p.empty else None])
        out[qualified] = params
    return out


@behaviour
def numpy_input_fn_batches(E, work):
    """Every batch of ``inputs.numpy_input_fn`` over 7 rows, batch 3, 2 epochs, unshuffled, as lists."""
    x = {"a": np.arange(7, dtype=np.int64), "b": np.arange(14, dtype=np.float32).reshape(7, 2)}
    y = np.arange(7, dtype=np.float32) * 10
    input_fn = E.inputs.numpy_input_fn(x, y, batch_size=3, num_epochs=2, shuffle=False)
    out = []
    with tf.Graph().as_default():
        features, target = input_fn()
        with tf.train.MonitoredSession() as sess:  # starts the queue runners of TensorFlow's version
            while not sess.should_stop():
                f, t = sess.run((features, target))
                out.append({"a": f["a"].tolist(), "b": f["b"].tolist(), "y": t.tolist()})
    return out



@behaviour
def predict_keys_select_and_refuse_as_tf_estimator(E, work):
    """Keys in the model's order, unknown keys left out, an empty list; none known; a single-tensor prediction."""
    def model_fn(features, labels, mode):
        x = features["x"] if isinstance(features, dict) else features
        w = tf.get_variable("w", [2, 1], initializer=tf.ones_initializer())
        y = tf.matmul(x, w)
        predictions = y if single[0] else {"y1": y, "y2": 2.0 * y, "y3": -y}
        return E.EstimatorSpec(mode, predictions=predictions, loss=tf.reduce_mean(y),
                               train_op=tf.assign_add(tf.train.get_global_step(), 1))

    single = [False]
    est = E.Estimator(model_fn, model_dir=work, config=config(E))
    est.train(dataset_input_fn(), steps=1)
    input_fn = dataset_input_fn(batch=6, labels=False)
    out = [_outcome(lambda: sorted(next(est.predict(input_fn, predict_keys=keys)))) for keys in (
        ["y3", "y1"], ["y2", "nope"], [], ["nope"], "y1")]
    out.append(_outcome(lambda: list(next(est.predict(input_fn, predict_keys=["y3", "y1"],
                                                       yield_single_examples=False)))))
    single[0] = True
    out.append(_outcome(lambda: next(est.predict(input_fn, predict_keys=["y1"])).tolist()))
    return out


@behaviour
def evaluation_summaries_of_every_kind_of_metric_value(E, work):
    """A float, an int, a tensor, a serialized Summary and a nested tuple as metric values: what evaluate()
    returns and what its event file holds (tag and kind of each summary value)."""
    def model_fn(features, labels, mode):
        x = features["x"] if isinstance(features, dict) else features
        w = tf.get_variable("w", [2, 1], initializer=tf.ones_initializer())
        y = tf.matmul(x, w)
        nothing = tf.no_op()
        metrics = {"mean": tf.metrics.mean(y), "count": (tf.constant(7, tf.int64), nothing),
                   "vector": tf.metrics.mean_tensor(tf.constant([1.0, 0.5, 0.0])),
                   "proto": (tf.summary.merge([tf.summary.scalar("a", tf.constant(2.0)),
                                               tf.summary.scalar("b", tf.constant(3.0))]), nothing),
                   "nested": (((tf.constant(2.0), tf.constant(1)), tf.constant(3.0, tf.float64)), nothing)}
        return E.EstimatorSpec(mode, loss=tf.reduce_mean(y), eval_metric_ops=metrics,
                               train_op=tf.assign_add(tf.train.get_global_step(), 1))

    est = E.Estimator(model_fn, model_dir=work, config=config(E))
    est.train(dataset_input_fn(), steps=1)
    results = est.evaluate(dataset_input_fn(), steps=1)
    tf.summary.FileWriterCache.clear()
    events = []  # per event with a summary: [tag, kind] of its values
    for path in sorted(glob.glob(os.path.join(est.eval_dir(), "events.*"))):
        for event in tf.train.summary_iterator(path):
            if event.summary.value:
                events.append(sorted([v.tag, v.WhichOneof("value")] for v in event.summary.value))
    nested = results["nested"]

    def global_step_metric(features, labels, mode):
        spec = model_fn(features, labels, mode)
        return spec._replace(eval_metric_ops={"global_step": tf.metrics.mean(spec.loss)})

    named_global_step = E.Estimator(global_step_metric, model_dir=est.model_dir, config=config(E))
    return {"results": {k: (np.asarray(v).tolist() if k not in ("proto", "nested") else type(v).__name__)
                        for k, v in results.items()},
            "nested": [[float(nested[0][0]), int(nested[0][1])], float(nested[1])], "summaries": events,
            "global_step_metric": _outcome(lambda: named_global_step.evaluate(dataset_input_fn(), steps=1))}


@behaviour
def train_opens_the_session_through_tensorflows_training_module(E, work):
    """A program that patches ``training.MonitoredTrainingSession`` (tf.estimator's own tests do) sees the call."""
    from unittest import mock
    from tensorflow.python.training import training

    model_dir = os.path.join(work, "model")
    est = E.Estimator(linear_model_fn(E), model_dir=model_dir, config=config(E))
    real = training.MonitoredTrainingSession
    with mock.patch.object(training, "MonitoredTrainingSession", side_effect=real) as opened:
        est.train(dataset_input_fn(), steps=2)
    return {"calls": opened.call_count, "checkpoint_dir": [c[1].get("checkpoint_dir") for c in opened.call_args_list],
            "global_step": int(est.get_variable_value("global_step"))}


# ---------------------------------------------------------------------------- RunConfig
def _outcome(fn):
    """``["ok", fn()]`` or ``[exception type name, message]``: several checks in one behaviour."""
    try:
        return ["ok", fn()]
    except Exception as e:  # noqa: BLE001 - the outcome compared is the exception itself
        return [type(e).__name__, str(e)]


def _under_tf_config(tf_config, fn):
    """``_outcome(fn)`` with ``$TF_CONFIG`` set to ``tf_config`` (a dict) meanwhile."""
    before = os.environ.get("TF_CONFIG")
    os.environ["TF_CONFIG"] = json.dumps(tf_config)
    try:
        return _outcome(fn)
    finally:
        if before is None:
            del os.environ["TF_CONFIG"]
        else:
            os.environ["TF_CONFIG"] = before


def _task_properties(E):
    c = E.RunConfig()
    session = c.session_config
    return {"task": [c.task_type, c.task_id, c.is_chief, c.global_id_in_cluster],
            "replicas": [c.num_ps_replicas, c.num_worker_replicas], "cluster": c.cluster_spec.as_dict(),
            "masters": [c.master, c.evaluation_master], "service": c.service, "model_dir": c.model_dir,
            "session_config": None if session is None else session.SerializeToString(deterministic=True).hex()}


_CLUSTER = {"chief": ["host0:0"], "ps": ["host1:1", "host2:2"], "worker": ["host3:3", "host4:4"]}


@behaviour
def run_config_argument_checks(E, work):
    bad = [{"model_dir": ""}, {"save_summary_steps": -1}, {"save_checkpoints_steps": -1},
           {"save_checkpoints_secs": -1}, {"session_config": "config"}, {"keep_checkpoint_max": -1},
           {"keep_checkpoint_every_n_hours": 0}, {"log_step_count_steps": 0}, {"tf_random_seed": 1.5},
           {"tf_random_seed": np.int64(3)},
           {"experimental_max_worker_delay_secs": 1.5}, {"session_creation_timeout_secs": 0},
           {"device_fn": lambda operation: None}, {"device_fn": "cpu"}, {"protocol": "http"},
           {"save_checkpoints_steps": 5, "save_checkpoints_secs": 5}]
    out = [_outcome(lambda: E.RunConfig(**kwargs) and None) for kwargs in bad]
    good = E.RunConfig(save_checkpoints_steps=5, device_fn=lambda op: "/cpu:0", protocol="grpc+verbs",
                       model_dir=os.path.join(work, "m"))
    out.append([good.save_checkpoints_steps, good.save_checkpoints_secs, good.protocol, good.model_dir,
                good.service, good.evaluation_master, good.global_id_in_cluster, good.session_config])
    return out


@behaviour
def run_config_replace(E, work):
    config = E.RunConfig(save_checkpoints_steps=5, tf_random_seed=1)
    steps = config.replace(save_checkpoints_secs=7)
    kept = config.replace(save_checkpoints_steps=None)
    return [[steps.save_checkpoints_steps, steps.save_checkpoints_secs],
            [kept.save_checkpoints_steps, kept.save_checkpoints_secs],
            _outcome(lambda: config.replace(save_checkpoints_steps=3, save_checkpoints_secs=3) and None),
            _outcome(lambda: config.replace(task_id=1) and None),
            _outcome(lambda: config.replace(model_dir="") and None),
            _outcome(lambda: config.replace(log_step_count_steps=-1) and None),
            [config.save_checkpoints_steps, config.tf_random_seed]]


@behaviour
def run_config_tf_config_errors(E, work):
    def cluster_with(**jobs):
        return dict(_CLUSTER, **jobs)

    configs = [
        {"task": {"type": "ps", "index": 0}},
        {"task": {"type": "worker", "index": 1}},
        {"task": {"type": "worker", "index": -1}},
        {"cluster": {"ps": ["h:1"], "worker": ["h:2"]}, "task": {"type": "worker", "index": 0}},
        {"cluster": cluster_with(chief=["h:1", "h:2"]), "task": {"type": "chief", "index": 0}},
        {"cluster": _CLUSTER, "task": {"index": 0}},
        {"cluster": _CLUSTER, "task": {"type": "worker"}},
        {"cluster": _CLUSTER, "task": {"type": "worker", "index": -1}},
        {"cluster": _CLUSTER, "task": {"type": "worker", "index": 2}},
        {"cluster": _CLUSTER, "task": {"type": "trainer", "index": 0}},
        {"cluster": _CLUSTER, "task": {"type": "evaluator", "index": -1}},
        {"cluster": {"master": ["h:0"], "chief": ["h:1"]}, "task": {"type": "chief", "index": 0}},
        {"cluster": {"master": ["h:0"], "worker": ["h:1"]}, "task": {"type": "evaluator", "index": 0}},
        {"cluster": {"master": ["h:0", "h:2"]}, "task": {"type": "master", "index": 0}},
        {"cluster": _CLUSTER, "task": {"type": "chief", "index": 0}, "service": "not a dict"},
        {"model_dir": ""},
    ]
    return [_under_tf_config(tf_config, lambda: _task_properties(E)) for tf_config in configs]


def _half_built_repr(E):
    """The repr of the RunConfig whose construction a bad ``$TF_CONFIG`` stopped, as a traceback shows it."""
    try:
        E.RunConfig(model_dir="m")
    except ValueError as e:
        tb = e.__traceback__
        while tb is not None:
            half_built = tb.tb_frame.f_locals.get("self")
            if isinstance(half_built, E.RunConfig):
                return repr(half_built).replace(type(half_built).__module__ + ".", "")
            tb = tb.tb_next
    return "no RunConfig in the traceback"


@behaviour
def run_config_half_built_by_a_bad_tf_config_has_a_repr(E, work):
    return [_under_tf_config(tf_config, lambda: _half_built_repr(E)) for tf_config in (
        {"task": {"type": "ps", "index": 0}},
        {"cluster": {"ps": ["h:1"], "worker": ["h:2"]}, "task": {"type": "worker", "index": 0}})]


@behaviour
def run_config_model_dir_from_tf_config(E, work):
    tf_config = {"model_dir": os.path.join(work, "from_tf_config")}
    return [_under_tf_config(tf_config, lambda: E.RunConfig().model_dir),
            _under_tf_config(tf_config, lambda: E.RunConfig(model_dir=os.path.join(work, "from_tf_config")).model_dir),
            _under_tf_config(tf_config, lambda: E.RunConfig(model_dir=os.path.join(work, "other")).model_dir),
            _outcome(lambda: E.RunConfig(model_dir="").model_dir)]


@behaviour
def run_config_cluster_tasks(E, work):
    """Every task of clusters with ps tasks, several worker types, a master, an evaluator, set masters."""
    several = dict(_CLUSTER, worker_b=["host5:5"], alpha=["host6:6", "host7:7"])
    cases = [({"cluster": several, "task": {"type": t, "index": i}, "service": {"name": "svc"}})
             for t, n in sorted(several.items()) for i in range(len(n))]
    cases += [{"cluster": _CLUSTER, "task": {"type": "evaluator", "index": 3}, "eval_session_master": "grpc://e:1"},
              {"cluster": _CLUSTER, "task": {"type": "evaluator", "index": 0}},
              {"cluster": _CLUSTER, "task": {"type": "worker", "index": 1}, "session_master": "grpc://s:1",
               "eval_session_master": "grpc://e:1"},
              {"task": {"type": "worker", "index": 0}, "session_master": "grpc://s:1", "eval_session_master": "e"},
              {"cluster": {"chief": ["h:0"]}, "task": {"type": "chief", "index": 0}},
              {"cluster": {"master": ["m:0"], "ps": ["p:0"], "worker": ["w:0", "w:1"]},
               "task": {"type": "ps", "index": 0}},
              {"cluster": {"master": ["m:0"], "ps": ["p:0"], "worker": ["w:0", "w:1"]},
               "task": {"type": "worker", "index": 1}},
              {"cluster": {"master": ["m:0"], "ps": ["p:0"], "worker": ["w:0", "w:1"]},
               "task": {"type": "master", "index": 0}}]
    return [_under_tf_config(tf_config, lambda: _task_properties(E)) for tf_config in cases]


@behaviour
def run_config_user_session_config_in_a_cluster(E, work):
    tf_config = {"cluster": _CLUSTER, "task": {"type": "chief", "index": 0}}
    session = tf.ConfigProto(log_device_placement=True)
    return _under_tf_config(tf_config, lambda: E.RunConfig(session_config=session).session_config
                            .SerializeToString(deterministic=True).hex())


def _free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _train_in_a_cluster(E, work, tf_config, bound_secs=45):
    """``est.train(steps=1)`` under ``tf_config`` with ``training.MonitoredTrainingSession`` patched, as
    tf.estimator's own tests do; the keyword arguments of that call, or where train stayed blocked."""
    import threading
    from unittest import mock
    from tensorflow.python.training import training

    est = _under_tf_config(tf_config, lambda: E.Estimator(linear_model_fn(E), model_dir=os.path.join(work, "m"),
                                                          config=E.RunConfig()))[1]
    outcome = []
    # A non-chief of tf1_recsys opens a MonitoredSession itself (a shorter poll for the chief than
    # MonitoredTrainingSession's 30 s): its hooks are read from that call.
    with mock.patch.object(training, "MonitoredTrainingSession") as opened, \
            mock.patch.object(tf.train, "MonitoredSession") as monitored:
        thread = threading.Thread(target=lambda: outcome.append(_outcome(
            lambda: est.train(dataset_input_fn(), steps=1) and None)), daemon=True)
        thread.start()
        thread.join(bound_secs)
    if not outcome:
        return "train still blocked after %d s" % bound_secs
    opened = opened if opened.called else monitored
    if outcome[0][0] != "ok" or opened.call_count != 1:
        return outcome[0] + [opened.call_count]
    kwargs = opened.call_args[1]
    hooks = list(kwargs["hooks"]) + list(kwargs.get("chief_only_hooks") or ())
    return {"calls": opened.call_count, "master": kwargs.get("master"), "is_chief": kwargs.get("is_chief"),
            "summary_hooks": sorted(type(h).__name__ for h in hooks
                                    if isinstance(h, (tf.train.SummarySaverHook, tf.train.StepCounterHook))),
            "save_summaries_steps": kwargs.get("save_summaries_steps"),
            "log_step_count_steps": kwargs.get("log_step_count_steps")}


def _cluster_of_free_ports(**jobs):
    """``{job: ["127.0.0.1:<free port>", ...]}`` for ``job=number of tasks``: nothing listens on them."""
    return {job: ["127.0.0.1:%d" % _free_port() for _ in range(n)] for job, n in jobs.items()}


def _masters_are_their_tasks(result, cluster, task_type):
    if isinstance(result, dict):
        result["master"] = result["master"] == "grpc://" + cluster[task_type][0]
    return result


def _only(result, *keys):
    return {k: result[k] for k in keys} if isinstance(result, dict) else result


@behaviour
def chief_of_a_cluster_whose_ps_task_is_absent_returns_from_train(E, work):
    """No ps task listens (tf.estimator's tests train such fake clusters): train returns, it waits for none."""
    cluster = _cluster_of_free_ports(chief=1, ps=1)
    return _masters_are_their_tasks(_train_in_a_cluster(E, work, {"cluster": cluster, "task": {
        "type": "chief", "index": 0}}), cluster, "chief")


@behaviour
def master_task_summary_hooks(E, work):
    """The summary and step-counter hooks of a master alone, beside ps tasks, and beside workers (then worker
    0 writes the summaries: the master evaluates); the ps tasks absent."""
    out = []
    for jobs in ({"master": 1}, {"master": 1, "ps": 1}, {"master": 1, "ps": 1, "worker": 1}):
        cluster = _cluster_of_free_ports(**jobs)
        out.append(_only(_train_in_a_cluster(E, os.path.join(work, "_".join(sorted(jobs))), {
            "cluster": cluster, "task": {"type": "master", "index": 0}}), "calls", "is_chief", "summary_hooks",
            "save_summaries_steps", "log_step_count_steps"))
    return out


@behaviour
def master_cluster_worker_0_writes_the_summaries(E, work):
    """In a cluster with a master and workers, worker 0 runs the summary and step-counter hooks, worker 1 not."""
    cluster = _cluster_of_free_ports(master=1, ps=1, worker=2)
    return [_only(_train_in_a_cluster(E, os.path.join(work, str(index)), {
        "cluster": cluster, "task": {"type": "worker", "index": index}}), "calls", "summary_hooks")
        for index in (0, 1)]


# ---------------------------------------------------------------------------- exporters and specs
class FolderExporting:
    """Stands for an Estimator: ``export_saved_model`` writes the next 10-digit folder holding a saved_model.pb."""

    def __init__(self, model_dir, first_version):
        self.model_dir = model_dir
        self.version = first_version

    def export_saved_model(self, export_dir_base, serving_input_receiver_fn, assets_extra=None, as_text=False,
                           checkpoint_path=None):
        path = os.path.join(export_dir_base, "%010d" % self.version)
        self.version += 1
        os.makedirs(path)
        open(os.path.join(path, "saved_model.pb"), "wb").close()
        return path.encode()


def _folders(base):
    return sorted(os.listdir(base))


@behaviour
def latest_exporter_garbage_collection(E, work):
    base = os.path.join(work, "export", "latest")
    for name in ("1000000001", "1000000003", "0999999999", "123", "12345678901", "best_run"):  # exports: 04, 05
        os.makedirs(os.path.join(base, name))
        if name != "1000000003":  # one empty timestamp folder, as an interrupted export leaves
            open(os.path.join(base, name, "saved_model.pb"), "wb").close()
    exporter = E.LatestExporter("latest", lambda: None, exports_to_keep=2)
    estimator = FolderExporting(work, 1000000004)
    seen = []
    for _ in range(2):
        path = exporter.export(estimator, base, None, {"loss": 1.0}, False)
        seen.append([os.path.basename(path.decode()), _folders(base)])
    return [exporter.name, seen]


@behaviour
def best_exporter_export_without_results(E, work):
    base = os.path.join(work, "export", "best")
    exporter = E.BestExporter(serving_input_receiver_fn=lambda: None, exports_to_keep=2)
    estimator = FolderExporting(work, 2000000000)
    seen = []
    for result in (None, {"loss": 1.0}, {"loss": 2.0}, {"loss": 0.5}, {"loss": 0.25}):
        path = exporter.export(estimator, base, None, result, False)
        seen.append([None if path is None else os.path.basename(path.decode()), _folders(base)])
    return [exporter.name, seen]


@behaviour
def best_exporter_first_export_ignores_earlier_best(E, work):
    """A restarted job: the evaluation event files hold a lower loss, yet the first export happens."""
    writer = tf.summary.FileWriter(os.path.join(work, "eval"))
    for step, loss in ((1, 0.1), (2, 0.3)):
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="loss", simple_value=loss)]), step)
    writer.close()
    base = os.path.join(work, "export", "best")
    exporter = E.BestExporter(serving_input_receiver_fn=lambda: None)
    estimator = FolderExporting(work, 3000000000)
    return [exporter.export(estimator, base, None, {"loss": 0.5}, False) is not None,
            exporter.export(estimator, base, None, {"loss": 0.7}, False) is not None,
            exporter.export(estimator, base, None, {"loss": 0.4}, False) is not None]


@behaviour
def exporter_argument_checks(E, work):
    def three(best_eval_result, current_eval_result, other):
        return True

    return [_outcome(lambda: E.LatestExporter("l", None, exports_to_keep=0) and None),
            _outcome(lambda: E.BestExporter(exports_to_keep=-1) and None),
            _outcome(lambda: E.BestExporter(compare_fn=None) and None),
            _outcome(lambda: E.BestExporter(compare_fn=lambda current_eval_result: True) and None),
            _outcome(lambda: E.BestExporter(compare_fn=lambda best_eval_result: True) and None),
            _outcome(lambda: E.BestExporter(compare_fn=three) and None),
            _outcome(lambda: [E.BestExporter().name, E.FinalExporter(None, None).name,
                              E.LatestExporter("", None, exports_to_keep=None).name])]


@behaviour
def train_and_eval_spec_checks(E, work):
    fn = dataset_input_fn()
    latest = E.LatestExporter("same", lambda: None)
    return [_outcome(lambda: E.TrainSpec("not callable") and None),
            _outcome(lambda: E.TrainSpec(fn, max_steps=0) and None),
            _outcome(lambda: E.TrainSpec(fn, hooks=["not a hook"]) and None),
            _outcome(lambda: E.TrainSpec(fn, saving_listeners=["not a listener"]) and None),
            _outcome(lambda: list(E.TrainSpec(fn, max_steps=3, saving_listeners=[tf.train.CheckpointSaverListener()])
                                  ._asdict())),
            _outcome(lambda: E.EvalSpec(fn, steps=0) and None),
            _outcome(lambda: E.EvalSpec(fn, name=1) and None),
            _outcome(lambda: E.EvalSpec(fn, hooks=["not a hook"]) and None),
            _outcome(lambda: E.EvalSpec(fn, exporters=["not an exporter"]) and None),
            _outcome(lambda: E.EvalSpec(fn, exporters=5) and None),
            _outcome(lambda: E.EvalSpec(fn, exporters=[latest, E.FinalExporter(None, None)]) and None),
            _outcome(lambda: E.EvalSpec(fn, exporters=[latest, E.FinalExporter(7, None)]) and None),
            _outcome(lambda: E.EvalSpec(fn, exporters=[latest, E.FinalExporter("same", None)]) and None),
            _outcome(lambda: E.EvalSpec(fn, start_delay_secs=-1) and None),
            _outcome(lambda: E.EvalSpec(fn, throttle_secs=-1) and None),
            _outcome(lambda: [len(E.EvalSpec(fn, exporters=latest).exporters), E.EvalSpec(fn).exporters,
                              E.EvalSpec(fn, steps=None).steps])]


@behaviour
def train_and_evaluate_checks(E, work):
    est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
    train_spec, eval_spec = E.TrainSpec(dataset_input_fn()), E.EvalSpec(dataset_input_fn())
    out = [_outcome(lambda: E.train_and_evaluate(est, train_spec, "eval spec") and None),
           _outcome(lambda: E.train_and_evaluate("estimator", train_spec, eval_spec) and None),
           _outcome(lambda: E.train_and_evaluate(est, "train spec", eval_spec) and None)]
    tf_config = {"cluster": {"chief": ["host0:0"]}, "task": {"type": "evaluator", "index": 1}}
    out.append(_under_tf_config(tf_config, lambda: E.train_and_evaluate(
        E.Estimator(linear_model_fn(E), model_dir=work), train_spec, eval_spec) and None))
    return out


@behaviour
def numpy_input_fn_zero_epochs(E, work):
    with tf.Graph().as_default():
        features, target = E.inputs.numpy_input_fn({"x": X}, Y, batch_size=2, shuffle=False, num_epochs=0)()
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord=coord)
            outcome = _outcome(lambda: sess.run([features, target]) and None)
            coord.request_stop()
            coord.join(threads)
    return [outcome[0]] + [_outcome(lambda: E.inputs.numpy_input_fn({"x": X}, Y, shuffle=False, num_epochs=-1)
                                    and None)[0]]


@behaviour
def predict_warns_when_the_input_never_ends(E, work):
    import logging

    warnings = []

    class Recording(logging.Handler):
        def emit(self, record):
            warnings.append(record.getMessage())

    logger, handler = tf_root.get_logger(), Recording(logging.WARNING)
    level = logger.level
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        est = E.Estimator(linear_model_fn(E), model_dir=work, config=config(E))
        next(est.predict(lambda: {"x": tf.constant(X)}))
        endless = [w for w in warnings if "Input graph" in w]
        del warnings[:]
        next(est.predict(dataset_input_fn(labels=False)))
        return [endless, [w for w in warnings if "Input graph" in w]]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# ---------------------------------------------------------------------------- serving input
def _receiver_summary(receiver):
    def describe(tensors):
        if not isinstance(tensors, dict):
            return ["tensor", tensors.dtype.name, tensors.shape.as_list()]
        return {str(k): [type(k).__name__, type(v).__name__, v.dtype.name,
                         None if v.shape.rank is None else v.shape.as_list()] for k, v in tensors.items()}

    alternatives = receiver.receiver_tensors_alternatives
    return [type(receiver).__name__, describe(receiver.features), describe(receiver.receiver_tensors),
            None if alternatives is None else sorted(alternatives)]


@behaviour
def serving_receiver_wraps_a_single_tensor(E, work):
    with tf.Graph().as_default():
        t = tf.placeholder(tf.float32, [None, 2])
        return _receiver_summary(E.export.ServingInputReceiver(t, t))


@behaviour
def serving_receiver_int_keys(E, work):
    with tf.Graph().as_default():
        t = tf.placeholder(tf.float32, [None, 2])
        return _receiver_summary(E.export.ServingInputReceiver({1: t}, {"input": t}))


@behaviour
def serving_receiver_refuses_int_receiver_keys(E, work):
    with tf.Graph().as_default():
        t = tf.placeholder(tf.float32, [None, 2])
        E.export.ServingInputReceiver({"x": t}, {1: t})


@behaviour
def serving_receiver_refuses_non_tensors(E, work):
    with tf.Graph().as_default():
        E.export.ServingInputReceiver({"x": 1.0}, {"input": tf.placeholder(tf.float32)})


@behaviour
def serving_receiver_none_features(E, work):
    with tf.Graph().as_default():
        E.export.ServingInputReceiver(None, {"input": tf.placeholder(tf.float32)})


@behaviour
def tensor_serving_receiver(E, work):
    with tf.Graph().as_default():
        t = tf.placeholder(tf.float32, [None, 2])
        return _receiver_summary(E.export.TensorServingInputReceiver(t, {"input": t}))


@behaviour
def raw_receiver_with_unknown_shapes(E, work):
    with tf.Graph().as_default():
        features = {"any_rank": tf.placeholder(tf.float32, None, name="any_rank"),
                    "ids": tf.placeholder(tf.int64, [None, None], name="ids")}
        return _receiver_summary(E.export.build_raw_serving_input_receiver_fn(features, default_batch_size=4)())


def _parse_spec():
    return {"x": tf.FixedLenFeature([2], tf.float32), "tags": tf.VarLenFeature(tf.string),
            "clicks": tf.FixedLenFeature([], tf.int64, default_value=0)}


@behaviour
def parsing_receiver(E, work):
    with tf.Graph().as_default():
        receiver = E.export.build_parsing_serving_input_receiver_fn(_parse_spec())()
        (example,) = receiver.receiver_tensors.values()
        return _receiver_summary(receiver) + [example.op.name]


@behaviour
def parsing_receiver_exports_what_serving_loads(E, work):
    """Exports with ``build_parsing_serving_input_receiver_fn``; the SavedModel's signatures and its scores."""
    def model_fn(features, labels, mode):
        spec = linear_model_fn(E)(features, labels, mode)
        if mode != E.ModeKeys.PREDICT:
            return spec
        y = spec.predictions["y"]
        scores = tf.concat([tf.sigmoid(-y), tf.sigmoid(y)], axis=1)
        return E.EstimatorSpec(mode, predictions={"y": y}, export_outputs={
            "serving_default": E.export.ClassificationOutput(scores=scores),
            "regression": E.export.RegressionOutput(tf.squeeze(y, 1)),
            "predict": E.export.PredictOutput({"y": y})})

    est = E.Estimator(model_fn, model_dir=work, config=config(E))
    est.train(dataset_input_fn(), steps=3)
    spec = {"x": tf.FixedLenFeature([2], tf.float32)}
    path = est.export_saved_model(os.path.join(work, "export"), E.export.build_parsing_serving_input_receiver_fn(spec))
    examples = [tf.train.Example(features=tf.train.Features(feature={
        "x": tf.train.Feature(float_list=tf.train.FloatList(value=row))})).SerializeToString() for row in X]
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        signatures = {}
        for key, sig in sorted(meta.signature_def.items()):
            signatures[key] = {
                "method": sig.method_name,
                "inputs": {k: [v.name, v.dtype, [d.size for d in v.tensor_shape.dim]] for k, v in sig.inputs.items()},
                "outputs": {k: [v.dtype, [d.size for d in v.tensor_shape.dim]] for k, v in sig.outputs.items()}}
        sig = meta.signature_def["regression"]
        scores = sess.run(sig.outputs["outputs"].name, {sig.inputs["inputs"].name: examples})
    return {"signatures": signatures, "regression": np.round(scores, 6).tolist()}



def _normalise(text, work):
    text = text.replace(work, "<work>")
    return re.sub(r" at 0x[0-9a-fA-F]+", " at 0x..", text)


def run(E, names, root):
    out = {}
    for name in names:
        work = tempfile.mkdtemp(dir=root, prefix=name[:20] + "_")
        try:
            result = BEHAVIOURS[name](E, work)
            out[name] = {"result": json.loads(_normalise(json.dumps(result), work))}
        except Exception as e:  # noqa: BLE001 - the outcome compared is the exception itself
            out[name] = {"error": [type(e).__name__, _normalise(str(e), work)]}
    return out


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--impl", choices=("tf", "tf1_recsys"), required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--only", nargs="*")
    a = p.parse_args(argv)
    if a.impl == "tf":
        E = tf_root.compat.v1.estimator
    else:
        from tf1_recsys import estimator as E
    tf.logging.set_verbosity(tf.logging.ERROR)
    print(json.dumps(run(E, a.only or sorted(BEHAVIOURS), a.work)))


if __name__ == "__main__":
    sys.exit(main())
