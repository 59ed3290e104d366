"""tf1_recsys.estimator against TensorFlow's own ``tf.estimator`` on the same ``model_fn`` (TF <= 2.15).

The user's model of tests/estimator_user_model.py runs on each implementation in its own
process (tests/estimator_side.py). With the same ``RunConfig(tf_random_seed=3)`` both must
build the same graph in the same order, so the variables, the evaluation, the predictions
and the checkpoint files agree exactly; and a ``model_dir`` written by ``tf.estimator``
trains on with tf1_recsys as it would have with ``tf.estimator``: the old checkpoint of a
user who changes the import.

The small programs of tests/estimator_behaviours.py (TF2 ``tf.data.Dataset`` input_fns, the
checks of ``EstimatorSpec`` and ``Estimator``, the serving input receivers) run once per
implementation, all in one process each; every outcome, raised type and message included,
must be ``tf.estimator``'s.

``tf.estimator`` left TensorFlow with 2.16: on newer releases the comparisons are skipped
(the oldest-TensorFlow run of ``.ci/run``, 2.12, runs them), and the Dataset and serving
programs are checked against a numpy re-implementation of their training on every release.
"""
import glob
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from json_process import JsonProcess  # noqa: E402
HAS_TF_ESTIMATOR = (tuple(int(p) for p in tensorflow.version.VERSION.split(".")[:2]) <= (2, 15)
                    and importlib.util.find_spec("tensorflow_estimator") is not None)
needs_tf_estimator = pytest.mark.skipif(not HAS_TF_ESTIMATOR, reason="tf.estimator exists only up to "
                                        "TensorFlow 2.15 (this is %s)" % tensorflow.version.VERSION)


def _start_side(impl, model_dir, *steps, snapshot=None):
    """tests/estimator_side.py started (``JsonProcess``)."""
    cmd = [sys.executable, os.path.join(HERE, "estimator_side.py"), "--impl", impl,
           "--model-dir", str(model_dir), "--max-steps"] + [str(s) for s in steps]
    cmd += ["--snapshot", str(snapshot)] if snapshot else []
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    return JsonProcess(cmd, env, 300, "estimator_side.py --impl " + impl)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """tf.estimator's run and ours side by side (one core each), then ours on tf.estimator's model_dir."""
    tmp = tmp_path_factory.mktemp("vs_tf_estimator")
    with _start_side("tf", tmp / "tf", 20, 30, snapshot=tmp / "tf_at_20") as tf_side, \
            _start_side("tf1_recsys", tmp / "ours", 20) as our_side:  # tf.estimator: 20 steps, then 30
        reference = tf_side.result()
        with _start_side("tf1_recsys", tmp / "tf_at_20", 30) as resumed_side:  # tf.estimator's model_dir, by ours
            ours = our_side.result()
            resumed = resumed_side.result()
    return reference, ours, resumed


def _assert_same(ours, reference):
    assert ours["checkpoint"] == reference["checkpoint"]
    assert ours["files"] == reference["files"]
    assert sorted(ours["variables"]) == sorted(reference["variables"])
    for name, value in reference["variables"].items():
        np.testing.assert_allclose(ours["variables"][name], value, rtol=1e-6, atol=1e-7, err_msg=name)
    assert sorted(ours["evaluation"]) == sorted(reference["evaluation"])
    for key, value in reference["evaluation"].items():
        assert ours["evaluation"][key] == pytest.approx(value, rel=1e-6, abs=1e-7), key
    np.testing.assert_allclose(ours["predictions"], reference["predictions"], rtol=1e-6, atol=1e-7)


@needs_tf_estimator
def test_same_model_fn_trains_evaluates_and_predicts_as_tf_estimator(runs):
    reference, ours, _ = runs
    assert reference[0]["checkpoint"] == "model.ckpt-20"
    _assert_same(ours[0], reference[0])


@needs_tf_estimator
def test_a_tf_estimator_model_dir_trains_on_as_tf_estimator_would(runs):
    reference, _, resumed = runs
    assert reference[1]["checkpoint"] == "model.ckpt-30"
    _assert_same(resumed[0], reference[1])


@needs_tf_estimator
def test_signatures_have_tf_estimators_arguments_in_its_order_with_its_defaults(behaviours):
    ours, reference = (behaviours[impl]["public_signatures"]["result"] for impl in ("tf1_recsys", "tf"))
    for name, params in reference.items():
        assert [p[0] for p in ours[name][:len(params)]] == [p[0] for p in params], name
        for (arg, default), (_, our_default) in zip(params, ours[name]):
            if default is not None:
                assert our_default == default, "%s(%s): %s, tf.estimator %s" % (name, arg, our_default, default)


# ---------------------------------------------------------------------------- small programs, both implementations
COMPARED_APART = {"public_signatures"}  # ours may have arguments after tf.estimator's
BEHAVIOUR_NAMES = sorted(set(re.findall(r"^def (\w+)\(E, work\)", open(os.path.join(HERE, "estimator_behaviours.py"))
                                        .read(), re.M)) - COMPARED_APART)


@pytest.fixture(scope="module")
def behaviours(tmp_path_factory):
    """``{impl: {behaviour: outcome}}``: ours always, ``tf.estimator``'s where it exists, run side by side."""
    impls = ["tf1_recsys"] + (["tf"] if HAS_TF_ESTIMATOR else [])
    # keras_metric_objects_in_eval_metric_ops uses tf.keras.metrics (tests/child_site/sitecustomize.py)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0", TF1_RECSYS_TEST_CHILD_KERAS="1")
    procs, roots = {}, {}
    for impl in impls:
        roots[impl] = tmp_path_factory.mktemp("behaviours_" + impl)
        procs[impl] = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "estimator_behaviours.py"), "--impl", impl, "--work", str(roots[impl])],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    outcomes = {}
    for impl, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-6000:]
        outcomes[impl] = json.loads(out.strip().splitlines()[-1])
    outcomes["roots"] = roots
    return outcomes


@needs_tf_estimator
@pytest.mark.parametrize("name", BEHAVIOUR_NAMES)
def test_program_has_tf_estimators_outcome(behaviours, name):
    assert behaviours["tf1_recsys"][name] == behaviours["tf"][name]


def _sgd_reference(steps_batches, learning_rate=0.1):
    """numpy: ``y = x w + b`` from zeros, gradient descent on the batch mean squared error."""
    from estimator_behaviours import X, Y

    w, b = np.zeros((2, 1)), np.zeros(1)
    for rows in steps_batches:
        x, y = X[rows].astype(np.float64), Y[rows].astype(np.float64)
        error = x @ w + b - y
        w, b = w - learning_rate * 2 * x.T @ error / len(rows), b - learning_rate * 2 * error.mean(axis=0)
    return w, b


def _batches(n_rows, batch, epochs):
    order = np.tile(np.arange(n_rows), epochs)
    return [order[i:i + batch] for i in range(0, len(order), batch)]


def test_tf2_dataset_input_fn_trains_evaluates_and_predicts(behaviours):
    from estimator_behaviours import X, Y

    outcome = behaviours["tf1_recsys"]["dataset_input_fn_trains_evaluates_and_predicts"]
    assert "result" in outcome, outcome
    result = outcome["result"]
    w, b = _sgd_reference(_batches(len(X), 2, 2))
    np.testing.assert_allclose(result["variables"]["w"], w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(result["variables"]["b"], b, rtol=1e-5, atol=1e-6)
    batch_losses = [np.mean((X[r] @ w + b - Y[r]) ** 2) for r in _batches(len(X), 2, 1)]
    assert result["evaluation"]["loss"] == pytest.approx(np.mean(batch_losses), rel=1e-5)
    assert result["evaluation"]["global_step"] == 6
    np.testing.assert_allclose(result["predictions"], X @ w + b, rtol=1e-5, atol=1e-5)


def test_train_opens_its_session_through_tensorflows_training_module(behaviours):
    """As tf.estimator: a patch of ``tensorflow.python.training.training.MonitoredTrainingSession`` is seen."""
    outcome = behaviours["tf1_recsys"]["train_opens_the_session_through_tensorflows_training_module"]
    assert outcome == {"result": {"calls": 1, "checkpoint_dir": ["<work>/model"], "global_step": 2}}


def test_evaluation_writes_tensors_and_serialized_summaries_and_skips_nested_values(behaviours):
    """tf.estimator's summary of each kind of metric value, on every TensorFlow (compared with it on 2.12)."""
    outcome = behaviours["tf1_recsys"]["evaluation_summaries_of_every_kind_of_metric_value"]
    assert "result" in outcome, outcome
    result = outcome["result"]
    assert result["nested"] == [[2.0, 1], 3.0] and result["results"]["vector"] == [1.0, 0.5, 0.0]
    assert result["summaries"] == [  # the results, then the checkpoint's path in a Summary of its own
        [["count", "simple_value"], ["loss", "simple_value"], ["mean", "simple_value"], ["proto/0", "simple_value"],
         ["proto/1", "simple_value"], ["vector", "tensor"]], [["checkpoint_path", "tensor"]]]
    assert result["global_step_metric"] == ["ValueError", "Metric with name `global_step` is not allowed, because "
                                            "Estimator already defines a default metric with the same name."]


def test_keras_metric_objects_evaluate_as_tensorflows_v1_metrics(behaviours):
    """Keras 3's metric objects on TF 2.16+ (Keras 2's before): the values of tf.compat.v1.metrics and numpy,
    each evaluation from zero, no metric variable in the checkpoint (compared with tf.estimator on 2.12)."""
    from estimator_behaviours import X, Y

    outcome = behaviours["tf1_recsys"]["keras_metric_objects_in_eval_metric_ops"]
    assert "result" in outcome, outcome
    result = outcome["result"]
    first, second = result["evaluations"]
    assert first == second
    w, b = _sgd_reference(_batches(len(X), 2, 1)[:2])
    predictions = (X @ w + b)[:, 0]
    assert first["keras_mean"] == pytest.approx(first["v1_mean"], abs=1e-5)
    assert first["keras_mean"] == pytest.approx(predictions.mean(), rel=1e-4)
    positive, score = Y[:, 0] > 0, 1 / (1 + np.exp(-np.sin(3 * predictions)))
    pairs = [(p, n) for p in score[positive] for n in score[~positive]]
    assert 0.2 < np.mean([p > n for p, n in pairs]) < 0.9  # an AUC that ranks some pairs wrongly
    assert first["keras_auc"] == pytest.approx(first["v1_auc"], abs=1e-3)
    assert first["keras_auc"] == pytest.approx(np.mean([p > n for p, n in pairs]), abs=2e-2)
    batch_means = [Y[rows].mean() for rows in _batches(len(X), 2, 1)]  # the run ending the input adds no count
    assert first["keras_scalar_mean"] == pytest.approx(first["v1_scalar_mean"], abs=1e-5)
    assert first["keras_scalar_mean"] == pytest.approx(np.mean(batch_means), rel=1e-4)
    assert result["checkpoint"] == ["b", "global_step", "w"]
    assert result["not_updated"] == ["ValueError", 'Please call update_state(...) on the "never" metric']


def test_parsing_receiver_export_scores_tf_examples_as_trained(behaviours):
    from estimator_behaviours import X

    outcome = behaviours["tf1_recsys"]["parsing_receiver_exports_what_serving_loads"]
    assert "result" in outcome, outcome
    result = outcome["result"]
    w, b = _sgd_reference(_batches(len(X), 2, 1)[:3])
    np.testing.assert_allclose(result["regression"], (X @ w + b)[:, 0], rtol=1e-5, atol=1e-5)
    assert sorted(result["signatures"]) == ["predict", "regression", "serving_default"]
    for key in ("regression", "serving_default"):  # the Classify / Regress APIs: serialized tf.Examples in
        assert result["signatures"][key]["inputs"] == {"inputs": ["input_example_tensor:0", 7, [-1]]}
    assert result["signatures"]["predict"]["inputs"] == {"examples": ["input_example_tensor:0", 7, [-1]]}


def test_saved_model_cli_shows_the_parsing_signatures(behaviours):
    """TensorFlow's own ``saved_model_cli show --all`` reads the export of ``build_parsing_serving_input_receiver_fn``."""
    root = behaviours["roots"]["tf1_recsys"]
    (export_dir,) = glob.glob(os.path.join(str(root), "parsing_receiver_exp_*", "export", "*"))
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    proc = subprocess.run([cli, "show", "--all", "--dir", export_dir], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    shown = proc.stdout
    for key, method in (("regression", "tensorflow/serving/regress"),
                        ("serving_default", "tensorflow/serving/classify"),
                        ("predict", "tensorflow/serving/predict")):
        block = shown.split("signature_def['%s']" % key)[1].split("signature_def[")[0]
        assert "Method name is: %s" % method in block, block
        assert "dtype: DT_STRING" in block and "name: input_example_tensor:0" in block, block
