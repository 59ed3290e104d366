"""tf1_recsys.estimator single-process: a user's model_fn trained, resumed, evaluated, served, exported.

References: numpy forward passes from the checkpoint's own weights, scikit-learn's AUC,
TensorFlow's SavedModel loader, TensorFlow's NanLossDuringTrainingError.
"""
import json
import os

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from tf1_recsys._tf import tf
from tf1_recsys import estimator as tf_estimator
from tf1_recsys.estimator import parse_tf_config

import estimator_user_model as user  # noqa: E402  (tests/ is on sys.path under pytest)


def _forward(est, features, checkpoint=None):
    read = (lambda name: tf.train.load_variable(checkpoint, name)) if checkpoint else est.get_variable_value
    return user.numpy_forward(read, features)


def _estimator(tmp_path, **params):
    config = tf_estimator.RunConfig(save_checkpoints_steps=10, save_summary_steps=10, log_step_count_steps=None,
                                    tf_random_seed=3, stop_grace_period_secs=1)
    return tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path / "model"), config=config,
                                  params=dict(learning_rate=0.1, **params))


class _ReadAtStart(tf.train.SessionRunHook):
    """Records variables' values right after the session is created (restored or initialised)."""

    def __init__(self, names):
        self.names, self.values = names, None

    def begin(self):
        variables = {v.op.name: v for v in tf.global_variables()}
        self._tensors = {n: variables[n] for n in self.names}

    def after_create_session(self, session, coord):
        self.values = session.run(self._tensors)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """An Estimator trained to step 20, then resumed to step 30."""
    tmp = tmp_path_factory.mktemp("est")
    est = _estimator(tmp)
    est.train(user.train_input_fn, max_steps=20)
    first = est.latest_checkpoint()
    kernel_at_20 = est.get_variable_value("hidden/kernel")
    start = _ReadAtStart(["hidden/kernel", "global_step"])
    est.train(user.train_input_fn, max_steps=30, hooks=[start])
    return est, first, kernel_at_20, start


def test_train_reaches_max_steps_and_resumes_from_the_checkpoint(trained):
    est, first, kernel_at_20, start = trained
    assert first.endswith("model.ckpt-20")
    assert est.get_variable_value("global_step") == 30
    assert start.values["global_step"] == 20
    np.testing.assert_array_equal(start.values["hidden/kernel"], kernel_at_20)
    assert not np.array_equal(est.get_variable_value("hidden/kernel"), kernel_at_20)
    names = est.get_variable_names()
    assert "item_embedding" in names and "global_step" in names
    assert est.get_variable_value("item_embedding").shape == (user.N_ITEMS, user.EMB)
    # Already at max_steps: nothing trains, nothing changes.
    before = est.get_variable_value("hidden/kernel")
    est.train(user.train_input_fn, max_steps=30)
    np.testing.assert_array_equal(est.get_variable_value("hidden/kernel"), before)
    assert est.latest_checkpoint().endswith("model.ckpt-30")


def test_train_steps_adds_steps(trained, tmp_path):
    est = _estimator(tmp_path)
    est.train(user.train_input_fn, steps=5)
    est.train(user.train_input_fn, steps=5)
    assert est.get_variable_value("global_step") == 10
    with pytest.raises(ValueError, match="both steps and max_steps"):
        est.train(user.train_input_fn, steps=1, max_steps=20)
    with pytest.raises(ValueError, match="steps > 0"):
        est.train(user.train_input_fn, steps=0)


def test_evaluate_matches_numpy_and_sklearn(trained):
    est = trained[0]
    result = est.evaluate(user.eval_input_fn)
    features, labels = user.make_data()
    logits, probs = _forward(est, features)
    xent = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    assert result["global_step"] == 30
    np.testing.assert_allclose(result["loss"], xent.mean(), rtol=1e-5)  # 4 equal batches: mean of batch means
    np.testing.assert_allclose(result["accuracy"], np.mean((probs > 0.5) == labels), rtol=1e-6)
    assert abs(result["auc"] - roc_auc_score(labels, probs)) < 5e-3  # tf.metrics.auc: 2000 thresholds
    partial = est.evaluate(user.eval_input_fn, steps=1, name="one_batch")
    np.testing.assert_allclose(partial["loss"], xent[:16].mean(), rtol=1e-5)
    assert os.path.isdir(os.path.join(est.model_dir, "eval_one_batch"))


def test_evaluate_an_older_checkpoint(trained):
    est, first = trained[0], trained[1]
    result = est.evaluate(user.eval_input_fn, checkpoint_path=first)
    features, labels = user.make_data()
    _, probs = _forward(est, features, checkpoint=first)
    assert result["global_step"] == 20
    np.testing.assert_allclose(result["accuracy"], np.mean((probs > 0.5) == labels), rtol=1e-6)


def test_predict_equals_numpy_forward(trained):
    est = trained[0]
    features, _ = user.make_data()
    logits, probs = _forward(est, features)
    rows = list(est.predict(user.predict_input_fn))
    assert len(rows) == 64 and set(rows[0]) == {"probabilities", "logits"}
    np.testing.assert_allclose([r["probabilities"] for r in rows], probs, rtol=1e-5, atol=1e-6)
    batches = list(est.predict(user.predict_input_fn, predict_keys=["logits"], yield_single_examples=False))
    assert [set(b) for b in batches] == [{"logits"}] * 4
    np.testing.assert_allclose(np.concatenate([b["logits"] for b in batches]), logits, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="Expected to run at least one output from"):
        next(est.predict(user.predict_input_fn, predict_keys=["nope"]))


def test_export_saved_model_serves_the_same_outputs(trained, tmp_path):
    est = trained[0]
    receiver_fn = tf_estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.TensorSpec([None, user.N_DENSE], tf.float32), "item": tf.TensorSpec([None], tf.int64)})
    export_dir = est.export_saved_model(str(tmp_path / "export"), receiver_fn)
    assert isinstance(export_dir, bytes) and os.path.isfile(os.path.join(export_dir.decode(), "saved_model.pb"))
    features, _ = user.make_data()
    _, probs = _forward(est, features)
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], export_dir.decode())
        sig = meta.signature_def["serving_default"]
        feeds = {sig.inputs[k].name: features[k] for k in ("x", "item")}
        served = sess.run(sig.outputs["probabilities"].name, feeds)
    np.testing.assert_allclose(served, probs, rtol=1e-5, atol=1e-6)
    # A SavedModel folder warm-starts a new run from its variables, as with tf.estimator.
    warm = tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path / "warm"),
                                  config=tf_estimator.RunConfig(log_step_count_steps=None),
                                  params={"learning_rate": 0.1}, warm_start_from=export_dir.decode())
    start = _ReadAtStart(["hidden/kernel"])
    warm.train(user.train_input_fn, max_steps=1, hooks=[start])
    np.testing.assert_array_equal(start.values["hidden/kernel"], est.get_variable_value("hidden/kernel"))


def test_warm_start_from_initialises_a_new_run(trained, tmp_path):
    first = trained[1]
    config = tf_estimator.RunConfig(save_checkpoints_steps=10, log_step_count_steps=None, stop_grace_period_secs=1)
    warm = tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path / "warm"), config=config,
                                  params={"learning_rate": 0.1}, warm_start_from=first)
    start = _ReadAtStart(["hidden/kernel", "item_embedding/part_1", "global_step"])
    warm.train(user.train_input_fn, max_steps=2, hooks=[start])
    np.testing.assert_array_equal(start.values["hidden/kernel"], tf.train.load_variable(first, "hidden/kernel"))
    np.testing.assert_array_equal(start.values["item_embedding/part_1"],
                                  tf.train.load_variable(first, "item_embedding")[5:])
    assert start.values["global_step"] == 0 and warm.get_variable_value("global_step") == 2


def test_warm_start_settings_choose_the_variables(trained, tmp_path):
    first = trained[1]
    config = tf_estimator.RunConfig(save_checkpoints_steps=None, log_step_count_steps=None, tf_random_seed=5)
    settings = tf_estimator.WarmStartSettings(first, vars_to_warm_start="hidden.*")
    warm = tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path / "warm"), config=config,
                                  params={"learning_rate": 0.1}, warm_start_from=settings)
    start = _ReadAtStart(["hidden/kernel", "logits/kernel"])
    warm.train(user.train_input_fn, max_steps=1, hooks=[start])
    np.testing.assert_array_equal(start.values["hidden/kernel"], tf.train.load_variable(first, "hidden/kernel"))
    assert not np.array_equal(start.values["logits/kernel"], tf.train.load_variable(first, "logits/kernel"))
    with pytest.raises(ValueError, match="ckpt_to_initialize_from"):
        tf_estimator.WarmStartSettings("")
    with pytest.raises(TypeError, match="warm_start_from"):
        tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path / "x"), warm_start_from=3)


def test_estimator_namespace_is_tf_estimators():
    for name in ("SessionRunHook", "StopAtStepHook", "CheckpointSaverHook", "CheckpointSaverListener",
                 "LoggingTensorHook", "NanTensorHook", "NanLossDuringTrainingError", "SummarySaverHook",
                 "StepCounterHook", "ProfilerHook", "FinalOpsHook", "FeedFnHook", "GlobalStepWaiterHook",
                 "SecondOrStepTimer", "SessionRunArgs", "SessionRunContext", "SessionRunValues", "VocabInfo"):
        assert getattr(tf_estimator, name) is getattr(tf.train, name), name
    export = tf_estimator.export
    for name in ("PredictOutput", "RegressionOutput", "ClassificationOutput", "ExportOutput",
                 "ServingInputReceiver", "build_raw_serving_input_receiver_fn"):
        assert callable(getattr(export, name)), name
    assert "export" in dir(tf_estimator) and "WarmStartSettings" in tf_estimator.__all__


def _all_batches(input_fn, seed=None):
    with tf.Graph().as_default():
        if seed is not None:
            tf.set_random_seed(seed)
        batch = input_fn()
        out = []
        with tf.Session() as sess:
            while True:
                try:
                    out.append(sess.run(batch))
                except tf.errors.OutOfRangeError:
                    return out


def test_numpy_input_fn_runs_over_epochs_in_order_and_shuffled():
    x = {"a": np.arange(7, dtype=np.int64), "b": np.arange(14, dtype=np.float32).reshape(7, 2)}
    y = np.arange(7, dtype=np.float32) * 10
    batches = _all_batches(tf_estimator.inputs.numpy_input_fn(x, y, batch_size=3, num_epochs=2, shuffle=False))
    assert [len(t) for _, t in batches] == [3, 3, 3, 3, 2]  # batches run across the epoch boundary
    np.testing.assert_array_equal(np.concatenate([f["a"] for f, _ in batches]), np.tile(x["a"], 2))
    np.testing.assert_array_equal(np.concatenate([f["b"] for f, _ in batches]), np.tile(x["b"], (2, 1)))
    np.testing.assert_array_equal(np.concatenate([t for _, t in batches]), np.tile(y, 2))
    shuffled = _all_batches(tf_estimator.inputs.numpy_input_fn(x, y, batch_size=4, num_epochs=2, shuffle=True))
    rows = np.concatenate([f["a"] for f, _ in shuffled])
    for epoch in (rows[:7], rows[7:]):
        np.testing.assert_array_equal(np.sort(epoch), x["a"])
    np.testing.assert_array_equal(np.concatenate([t for _, t in shuffled]), rows * 10.0)  # rows stay together
    again = [_all_batches(tf_estimator.inputs.numpy_input_fn(x, y, batch_size=4, num_epochs=2, shuffle=True), seed)
             for seed in (7, 7, 8)]
    orders = [np.concatenate([f["a"] for f, _ in run]).tolist() for run in again]
    assert orders[0] == orders[1] and orders[0] != orders[2]  # reproducible under the graph seed
    single = _all_batches(tf_estimator.inputs.numpy_input_fn(x["b"], batch_size=5, shuffle=False))
    np.testing.assert_array_equal(np.concatenate(single), x["b"])


def test_numpy_input_fn_forever_has_a_static_batch_and_trains_an_estimator(tmp_path):
    features, labels = user.make_data()
    with tf.Graph().as_default():
        f, t = tf_estimator.inputs.numpy_input_fn(features, labels, batch_size=16, num_epochs=None, shuffle=True)()
        assert f["x"].shape.as_list() == [16, user.N_DENSE] and t.shape.as_list() == [16]
    est = _estimator(tmp_path)
    est.train(tf_estimator.inputs.numpy_input_fn(features, labels, batch_size=16, num_epochs=2, shuffle=True))
    assert est.get_variable_value("global_step") == 2 * 64 // 16  # stops at the end of the data


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(shuffle=None), ValueError, "`shuffle` must be given"),
    (dict(shuffle=1), ValueError, "`shuffle` must be given"),
    (dict(y={"a": np.zeros(3)}), ValueError, "in both `x` and `y`"),
    (dict(y=np.zeros(4)), ValueError, "same first dimension"),
    (dict(x=[1, 2, 3]), TypeError, "`x` must be a numpy array"),
    (dict(x={}), ValueError, "empty dict"),
    (dict(batch_size=0), ValueError, "`batch_size`"),
    (dict(num_epochs=1.5), ValueError, "`num_epochs`"),
])
def test_numpy_input_fn_errors(kwargs, error, message):
    args = dict(x={"a": np.zeros(3)}, y=np.zeros(3), shuffle=False)
    args.update(kwargs)
    with pytest.raises(error, match=message):
        tf_estimator.inputs.numpy_input_fn(**args)


def test_nan_loss_stops_with_tensorflows_error_before_the_checkpoint_of_that_step(tmp_path):
    # The loss is NaN in the step from global step 19 to 20, when a checkpoint is due: the
    # NaN check runs before the saver, so the run stops with ckpt-10 as the latest.
    est = _estimator(tmp_path, nan_from_step=19)
    with pytest.raises(tf.train.NanLossDuringTrainingError):
        est.train(user.train_input_fn, max_steps=30)
    assert est.latest_checkpoint().endswith("model.ckpt-10")
    assert np.isfinite(est.get_variable_value("hidden/kernel")).all()


def test_sync_replicas_single_process_trains_and_leaves_no_thread(tmp_path, monkeypatch):
    # SyncReplicasOptimizer's chief queue runner waits for gradients that never come after the
    # last step; TensorFlow's runner raised the CancelledError of the session's close in its thread.
    import threading

    raised = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    est = _estimator(tmp_path, sync_replicas=True)
    est.train(user.train_input_fn, max_steps=5)
    assert est.get_variable_value("global_step") == 5
    assert [t.name for t in threading.enumerate() if t.name.startswith("QueueRunnerThread")] == []
    assert raised == []


def test_train_and_evaluate_locally(tmp_path):
    est = _estimator(tmp_path)
    result, exports = tf_estimator.train_and_evaluate(
        est, tf_estimator.TrainSpec(user.train_input_fn, max_steps=20),
        tf_estimator.EvalSpec(user.eval_input_fn, steps=None, throttle_secs=0))
    assert exports == [] and result["global_step"] == 20
    features, labels = user.make_data()
    _, probs = _forward(est, features)
    np.testing.assert_allclose(result["accuracy"], np.mean((probs > 0.5) == labels), rtol=1e-6)


def _exported_steps(folder):
    return sorted(int(tf.train.load_variable(os.path.join(folder, d, "variables", "variables"), "global_step"))
                  for d in os.listdir(folder) if d.isdigit())


def test_train_and_evaluate_runs_final_latest_and_best_exporters(tmp_path):
    est = _estimator(tmp_path)
    receiver_fn = tf_estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.TensorSpec([None, user.N_DENSE], tf.float32), "item": tf.TensorSpec([None], tf.int64)})
    exporters = [tf_estimator.FinalExporter("final", receiver_fn),
                 tf_estimator.LatestExporter("latest", receiver_fn, exports_to_keep=2),
                 tf_estimator.BestExporter("best", receiver_fn, exports_to_keep=None)]
    user_file = tmp_path / "model" / "export" / "latest" / "notes.txt"
    user_file.parent.mkdir(parents=True)
    user_file.write_text("mine")
    result, exports = tf_estimator.train_and_evaluate(
        est, tf_estimator.TrainSpec(user.train_input_fn, max_steps=30),
        tf_estimator.EvalSpec(user.eval_input_fn, steps=None, throttle_secs=0, exporters=exporters))
    export_root = tmp_path / "model" / "export"
    assert _exported_steps(export_root / "final") == [30]
    assert _exported_steps(export_root / "latest") == [20, 30]  # the older ones collected
    assert user_file.read_text() == "mine"  # garbage collection removes exports only
    losses = {}  # TensorFlow's reader over the evaluation events: the running minimum of the loss
    for path in (tmp_path / "model" / "eval").iterdir():
        for event in tf.train.summary_iterator(str(path)):
            for value in event.summary.value:
                if value.tag == "loss":
                    losses[event.step] = value.simple_value
    best, expected = np.inf, []
    for step in sorted(losses):
        if losses[step] < best:
            best, expected = losses[step], expected + [step]
    assert _exported_steps(export_root / "best") == expected and len(losses) >= 3
    assert result["global_step"] == 30
    last = ["final", "latest"] + (["best"] if expected[-1] == 30 else [])
    assert sorted(os.path.dirname(e.decode()) for e in exports) == sorted(str(export_root / n) for n in last)
    with pytest.raises(ValueError, match="unique"):
        tf_estimator.EvalSpec(user.eval_input_fn, exporters=[exporters[0], exporters[0]])
    with pytest.raises(TypeError, match="Exporter"):
        tf_estimator.EvalSpec(user.eval_input_fn, exporters=[receiver_fn])
    with pytest.raises(ValueError, match="exports_to_keep"):
        tf_estimator.LatestExporter("x", receiver_fn, exports_to_keep=0)


def test_garbage_collection_keeps_what_tf_estimator_keeps_and_never_deletes_a_users_files(tmp_path):
    """tf.estimator keeps the 2 largest 10-digit folders and deletes the rest, whatever they hold; ours leaves one
    holding anything but a SavedModel (docs/MIGRATION.md)."""
    from estimator_behaviours import FolderExporting

    base = tmp_path / "export"
    for name, files in (("1000000001", ["saved_model.pb"]), ("1000000002", ["notes.txt"]),
                        ("1000000003", ["saved_model.pbtxt", "variables.index"])):
        (base / name).mkdir(parents=True)
        for f in files:
            (base / name / f).write_text("x")
    tf_estimator.LatestExporter("l", None, exports_to_keep=2).export(
        FolderExporting(str(tmp_path), 1000000004), str(base), None, {}, False)
    assert sorted(os.listdir(base)) == ["1000000002", "1000000003", "1000000004"]
    assert (base / "1000000002" / "notes.txt").read_text() == "x"


def test_model_fn_signature_checks(tmp_path):
    def no_features(x, labels, mode):
        raise AssertionError

    def no_params(features, labels, mode):
        raise AssertionError

    def no_labels(features, mode):
        raise AssertionError

    # tf.estimator's messages (tests/test_estimator_vs_tf_estimator.py compares them with TensorFlow's)
    with pytest.raises(ValueError, match="must include features argument"):
        tf_estimator.Estimator(no_features, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="does not include params argument"):
        tf_estimator.Estimator(no_params, model_dir=str(tmp_path), params={"a": 1})
    est = tf_estimator.Estimator(no_labels, model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="does not take labels"):
        est.train(user.train_input_fn, steps=1)
    with pytest.raises(ValueError, match="does not take labels"):  # no checkpoint: initial values are evaluated
        est.evaluate(user.eval_input_fn)
    with pytest.raises(ValueError, match="with different values"):
        tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path / "a"),
                               config=tf_estimator.RunConfig(model_dir=str(tmp_path / "b")))


def test_estimator_spec_validation(graph):
    ModeKeys, EstimatorSpec = tf_estimator.ModeKeys, tf_estimator.EstimatorSpec
    loss = tf.constant([1.5])
    with pytest.raises(ValueError, match="Missing train_op"):
        EstimatorSpec(ModeKeys.TRAIN, loss=loss)
    with pytest.raises(ValueError, match="Missing loss"):
        EstimatorSpec(ModeKeys.EVAL)
    with pytest.raises(ValueError, match="Missing predictions"):
        EstimatorSpec(ModeKeys.PREDICT)
    with pytest.raises(ValueError, match="Loss must be scalar"):
        EstimatorSpec(ModeKeys.EVAL, loss=tf.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"for key: m$"):
        EstimatorSpec(ModeKeys.EVAL, loss=loss, eval_metric_ops={"m": loss})
    with pytest.raises(TypeError, match="SessionRunHook"):
        EstimatorSpec(ModeKeys.EVAL, loss=loss, evaluation_hooks=[object()])
    spec = EstimatorSpec(ModeKeys.EVAL, loss=loss)
    assert spec.loss.shape.rank == 0 and spec.eval_metric_ops == {} and spec.training_hooks == ()
    p = tf.constant([[0.5]])
    spec = EstimatorSpec(ModeKeys.PREDICT, predictions=p)
    assert list(spec.export_outputs) == ["serving_default"]
    assert spec.export_outputs["serving_default"].outputs == {"output": p}
    with tf.Graph().as_default():
        other = tf.constant(1.0)
    with pytest.raises(ValueError, match="default graph"):
        EstimatorSpec(ModeKeys.EVAL, loss=other)


def test_minimize_runs_update_ops_before_the_gradients(graph, sess):
    from tf1_recsys.layers import batch_normalization

    x = tf.constant(np.arange(8, dtype=np.float32).reshape(4, 2))
    y = batch_normalization(x, training=True, name="bn")
    w = tf.get_variable("w", [], initializer=tf.ones_initializer())
    loss = tf.reduce_sum(tf.square(y)) * w
    train = tf_estimator.minimize(loss, tf.train.GradientDescentOptimizer(0.0))
    sess.run(tf.global_variables_initializer())
    sess.run(train.train_op)
    moving_mean = [v for v in tf.global_variables() if "moving_mean" in v.name][0]
    np.testing.assert_allclose(sess.run(moving_mean), 0.01 * np.array([3.0, 4.0]), rtol=1e-5)  # momentum .99
    assert sess.run(tf.train.get_global_step()) == 1 and train.training_hooks == []


# ------------------------------------------------------------------ TF_CONFIG
def _cluster():
    return {"chief": ["127.0.0.1:2220"], "worker": ["127.0.0.1:2221", "127.0.0.1:2222"], "ps": ["127.0.0.1:2223"]}


def test_tf_config_cluster_tasks():
    info = parse_tf_config(json.dumps({"cluster": _cluster(), "task": {"type": "worker", "index": 1}}))
    assert (info.task_type, info.task_id, info.is_chief) == ("worker", 1, False)
    assert (info.num_ps_replicas, info.num_worker_replicas, info.global_id) == (1, 3, 2)
    assert info.master == "grpc://127.0.0.1:2222"
    chief = parse_tf_config({"cluster": _cluster(), "task": {"type": "chief", "index": 0}})
    assert chief.is_chief and chief.global_id == 0 and chief.master == "grpc://127.0.0.1:2220"
    ps = parse_tf_config({"cluster": _cluster(), "task": {"type": "ps", "index": "0"}})
    assert ps.task_id == 0 and not ps.is_chief and ps.global_id == 3  # tf.estimator: chief, workers, then ps
    evaluator = parse_tf_config({"cluster": _cluster(), "task": {"type": "evaluator", "index": 0}})
    assert evaluator.cluster == {} and evaluator.master == "" and evaluator.num_worker_replicas == 0
    local = parse_tf_config("")
    assert local.is_chief and local.task_type == "worker" and local.num_worker_replicas == 1 and local.master == ""
    single = parse_tf_config({"cluster": {"chief": ["h:1"]}, "task": {"type": "chief", "index": 0}})
    assert single.master == "" and single.is_chief


@pytest.mark.parametrize("config, message", [
    ("{not json", "not valid JSON"),
    ({"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 0}}, 'must have one "chief" node'),
    ({"cluster": {"chief": ["h:1", "h:2"]}, "task": {"type": "chief", "index": 0}}, 'only one "chief" node'),
    ({"cluster": _cluster(), "task": {"index": 0}}, "task type must be set"),
    ({"cluster": _cluster(), "task": {"type": "worker"}}, "task index must be set"),
    ({"cluster": _cluster(), "task": {"type": "worker", "index": 2}}, "2 is not a valid task_id for task_type worker"),
    ({"cluster": _cluster(), "task": {"type": "worker", "index": -1}}, "Task index must be non-negative number"),
    ({"cluster": _cluster(), "task": {"type": "trainer", "index": 0}}, "trainer is not a valid task_type"),
    ({"cluster": {"chief": ["h:1"], "ps": "h:2"}, "task": {"type": "chief", "index": 0}}, "job 'ps' must be"),
    ({"cluster": {"chief": ["nohost"]}, "task": {"type": "chief", "index": 0}}, "not 'host:port'"),
    ({"cluster": {"master": ["h:1"], "chief": ["h:2"]}, "task": {"type": "chief", "index": 0}},
     "job `chief` is not supported"),
    ({"cluster": {"master": ["h:1"]}, "task": {"type": "evaluator", "index": 0}}, "`evaluator` is not supported"),
    ({"task": {"type": "ps", "index": 0}}, 'If "cluster" is not set in TF_CONFIG, task type must be WORKER'),
])
def test_tf_config_errors_name_the_fault(config, message):
    with pytest.raises(ValueError, match=message):
        parse_tf_config(config)


@pytest.mark.parametrize("tf_config", ["{not json", json.dumps({"task": {"type": "ps", "index": 0}})])
def test_a_run_config_half_built_by_a_bad_tf_config_has_pythons_default_repr(monkeypatch, tf_config):
    """As tf.estimator's RunConfig (which has no ``__repr__``): a traceback or debugger can show it."""
    monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(ValueError) as raised:
        tf_estimator.RunConfig(model_dir="m")
    tb, half_built = raised.tb, []
    while tb is not None:
        if isinstance(tb.tb_frame.f_locals.get("self"), tf_estimator.RunConfig):
            half_built.append(tb.tb_frame.f_locals["self"])
        tb = tb.tb_next
    assert half_built
    assert repr(half_built[0]) == object.__repr__(half_built[0])


def test_run_config_reads_tf_config_and_sets_device_filters(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": _cluster(), "task": {"type": "worker", "index": 0}}))
    config = tf_estimator.RunConfig()
    assert config.save_checkpoints_secs == 600 and config.save_checkpoints_steps is None
    assert config.num_ps_replicas == 1 and config.num_worker_replicas == 3 and config.is_distributed
    assert list(config.session_config.device_filters) == ["/job:ps", "/job:worker/task:0"]
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": _cluster(), "task": {"type": "chief", "index": 0}}))
    assert list(tf_estimator.RunConfig().session_config.device_filters) == ["/job:ps", "/job:chief"]
    legacy = {"master": ["127.0.0.1:2220"], "worker": ["127.0.0.1:2221"], "ps": ["127.0.0.1:2223"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": legacy, "task": {"type": "master", "index": 0}}))
    master = tf_estimator.RunConfig()
    assert master.is_chief and master.task_type == "master" and master.num_worker_replicas == 2
    assert master.master == "grpc://127.0.0.1:2220" and master.global_id_in_cluster == 0
    assert list(master.session_config.device_filters) == ["/job:ps", "/job:master"]
    assert config.cluster_spec.as_dict() == _cluster()
    monkeypatch.delenv("TF_CONFIG")
    local = tf_estimator.RunConfig(save_checkpoints_steps=7)
    assert local.save_checkpoints_secs is None and local.session_config is None and not local.is_distributed
    assert local.replace(save_checkpoints_secs=5).save_checkpoints_steps is None
    with pytest.raises(ValueError, match="cannot be both set"):
        tf_estimator.RunConfig(save_checkpoints_steps=7, save_checkpoints_secs=5)
    with pytest.raises(ValueError, match="save_summary_steps should be >= 0"):
        tf_estimator.RunConfig(save_summary_steps=-1)
    with pytest.raises(ValueError, match="`train_distribute`.*not supported"):
        tf_estimator.RunConfig(train_distribute=object())
    with pytest.raises(ValueError, match="protocol should be grpc or grpc\\+verbs"):
        tf_estimator.RunConfig(protocol="http")


@pytest.mark.parametrize("task, max_delay, expected", [
    ({"type": "worker", "index": 0}, 60, 5), ({"type": "worker", "index": 2}, 60, 15),
    ({"type": "worker", "index": 2}, 12, 12), ({"type": "chief", "index": 0}, 60, 0),
    ({"type": "worker", "index": 1}, None, 0)])
def test_experimental_max_worker_delay_secs_as_tf_estimator(monkeypatch, task, max_delay, expected):
    from tf1_recsys.estimator.estimator import _worker_delay_secs

    cluster = dict(_cluster(), worker=["127.0.0.1:%d" % port for port in (2221, 2222, 2224)])
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": task}))
    config = tf_estimator.RunConfig(experimental_max_worker_delay_secs=max_delay)
    assert _worker_delay_secs(config) == expected and config.replace().experimental_max_worker_delay_secs == max_delay


def test_a_cluster_without_ps_is_refused(monkeypatch, tmp_path):
    cluster = {"chief": ["127.0.0.1:2220"], "worker": ["127.0.0.1:2221"]}
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "chief", "index": 0}}))
    est = tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path), params={})
    with pytest.raises(ValueError, match="2 training tasks but no 'ps' job"):
        est.train(user.train_input_fn, max_steps=1)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": "evaluator", "index": 0}}))
    with pytest.raises(ValueError, match="Train has been called wrong configuration"):
        tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path), params={}).train(user.train_input_fn)


# ------------------------------------------------------------------ docs/MIGRATION.md's table
_OUR_EXTRAS = {"TaskType", "parse_tf_config", "minimize"}  # documented in docs/DISTRIBUTED.md and README


def _migration_estimator_names():
    """(names in the table of docs/MIGRATION.md's tf.estimator section, names its 'Not provided' line lists)."""
    import re

    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "MIGRATION.md")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("## `tf.estimator` programs"):]
    section = section[:section.index("\n## ", 1)]
    rows = [line for line in section.splitlines() if line.startswith("| `") and "| here |" not in line]
    listed = {name for row in rows for name in re.findall(r"`([\w.]+)`", row.split("|")[1])}
    missing_line = next(line for line in section.splitlines() if line.startswith("Not provided:"))
    return listed, set(re.findall(r"`([\w.]+)`", missing_line))


def _resolves(name):
    obj = tf_estimator
    for part in name.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def test_migration_table_lists_what_the_package_has_and_nothing_else():
    listed, not_provided = _migration_estimator_names()
    assert listed and not_provided
    assert sorted(n for n in listed if not _resolves(n)) == []
    assert sorted(n for n in not_provided if _resolves(n)) == []
    ours = {n for n in tf_estimator.__all__ if n not in ("export", "inputs", "experimental")} - _OUR_EXTRAS
    ours |= {"export." + n for n in tf_estimator.export.__all__}
    ours |= {"experimental." + n for n in tf_estimator.experimental.__all__}
    ours |= {"inputs." + n for n in tf_estimator.inputs.__all__}
    assert sorted(ours - listed) == []
