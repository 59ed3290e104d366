"""Canned estimators (Wide & Deep, DNN, linear; V1 and V2 classes) against tf.estimator and numpy.

The V2 programs (``canned_side.programs_v2``: ``tf.estimator.*`` with Keras' optimizers by name)
run in the same processes against TF's V2 classes; after ``install(estimator=True)``
``tf.estimator`` gives the V2 classes and ``tf.compat.v1.estimator`` the V1 ones.

The programs of tests/canned_side.py (same seed, columns and data) run once with
``tf1_recsys.estimator`` in this process. On TensorFlow <= 2.15 they also run with
TensorFlow's own ``tf.compat.v1.estimator`` in one subprocess: the variables (names,
shapes, values, optimizer slots), the evaluation and the predictions must agree, and
tf.estimator's Wide & Deep ``model_dir`` at step 5 must train on with ours to tf.estimator's
step 10; the constructors have tf.estimator's signatures. On every TensorFlow the heads'
predictions and metrics are checked against numpy, the variable names against tf.estimator
2.15's naming. Serving (tf.Example SavedModels) is tests/test_canned_serving.py.
"""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow

from tf1_recsys._tf import tf

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import canned_side  # noqa: E402

HAS_TF_ESTIMATOR = (tuple(int(p) for p in tensorflow.version.VERSION.split(".")[:2]) <= (2, 15)
                    and importlib.util.find_spec("tensorflow_estimator") is not None)
needs_tf_estimator = pytest.mark.skipif(
    not HAS_TF_ESTIMATOR, reason="tf.estimator exists only up to TensorFlow 2.15 (this is %s); the oldest-"
    "TensorFlow run compares with it" % tensorflow.version.VERSION)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(tf.estimator's results or None, ours): {program: {variables, evaluation, predictions, checkpoint}}."""
    tmp = tmp_path_factory.mktemp("canned")
    from tf1_recsys import estimator as est
    from tf1_recsys._api.v2 import estimator as est_v2
    config = est.RunConfig(tf_random_seed=7)
    ours = canned_side.run(est, config, str(tmp / "ours"), est_v2=est_v2)
    reference = None
    if HAS_TF_ESTIMATOR:  # tf.estimator also trains on our 'wide_deep' model_dir at step 5, and ours on its
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
        proc = subprocess.run([sys.executable, os.path.join(HERE, "canned_side.py"), "--impl", "tf",
                               "--dir", str(tmp / "tf"), "--resume-from", str(tmp / "ours")],
                              capture_output=True, text=True, timeout=400, env=env)
        assert proc.returncode == 0, proc.stderr[-6000:]
        reference = json.loads(proc.stdout.strip().splitlines()[-1])
        ours["wide_deep_resumed"] = canned_side.resume(est, config, str(tmp / "ours"), str(tmp / "tf"))
    return reference, ours


def _assert_same(ours, reference):
    assert ours["checkpoint"] == reference["checkpoint"]
    assert sorted(ours) == sorted(reference)
    assert sorted(ours["variables"]) == sorted(reference["variables"])
    assert ours["graph_variables"] == reference["graph_variables"]
    for name, value in reference["variables"].items():
        np.testing.assert_allclose(ours["variables"][name], value, rtol=1e-6, atol=1e-7, err_msg=name)
    assert sorted(ours["evaluation"]) == sorted(reference["evaluation"])
    for key, value in reference["evaluation"].items():
        assert ours["evaluation"][key] == pytest.approx(value, rel=1e-6, abs=1e-7), key
    assert len(ours["predictions"]) == len(reference["predictions"])
    for mine, theirs in zip(ours["predictions"], reference["predictions"]):
        assert sorted(mine) == sorted(theirs)
        for key in set(theirs) & {"classes", "all_classes", "class_ids", "all_class_ids"}:
            assert mine[key] == theirs[key], key
        for key in set(theirs) & {"logits", "logistic", "probabilities", "predictions"}:
            np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-6, atol=1e-7, err_msg=key)


@needs_tf_estimator
@pytest.mark.parametrize("program", ["wide_deep", "wide_deep_weighted_sgd", "linear", "dnn", "dnn_multiclass",
                                     "baseline", "wide_deep_regressor", "linear_estimator", "dnn_regressor",
                                     "wide_deep_estimator", "wide_deep_options", "wide_deep_warm_started",
                                     "v2_wide_deep", "v2_dnn_multiclass", "v2_linear_regressor",
                                     "v2_dnn_sgd_regressor", "v2_baseline"])
def test_same_variables_metrics_and_predictions_as_tf_estimator(runs, program):
    reference, ours = runs
    _assert_same(ours[program], reference[program])


@needs_tf_estimator
def test_constructors_have_tf_estimators_arguments_order_and_defaults(runs):
    from tf1_recsys import estimator as est

    reference, _ = runs
    ours = canned_side.signatures(est)
    for name in canned_side.CLASSES:
        assert ours[name] == reference["signatures"][name], name


@needs_tf_estimator
def test_v2_constructors_have_tf_estimators_v2_arguments_order_and_defaults(runs):
    from tf1_recsys._api.v2 import estimator as est_v2

    reference, _ = runs
    ours = canned_side.signatures(est_v2)
    for name in canned_side.CLASSES:
        assert ours[name] == reference["signatures_v2"][name], name


def test_v2_programs_write_keras_optimizer_checkpoint_names(runs):
    """TF 2.15's V2 Wide & Deep checkpoint: Keras' slot and hyperparameter names under training/<optimizer>/."""
    _, ours = runs
    names = set(ours["v2_wide_deep"]["variables"])
    assert {"training/Adagrad/dnn/logits/kernel/accumulator", "training/Adagrad/learning_rate",
            "training/Ftrl/linear/linear_model/cat/weights/accumulator",
            "training/Ftrl/linear/linear_model/cat/weights/linear", "training/Ftrl/iter",
            "dnn/hiddenlayer_1/batchnorm_1/moving_mean"} <= names
    assert not [n for n in names if n.endswith(("/Adagrad", "/Ftrl", "/Ftrl_1"))]
    variables = ours["v2_wide_deep"]["variables"]
    assert variables["training/Ftrl/iter"] == variables["global_step"] == 10
    # Keras' defaults: DNN Adagrad at 0.001, linear Ftrl at min(0.005, 1/sqrt(3 columns)).
    assert variables["training/Adagrad/learning_rate"] == pytest.approx(0.001)
    assert variables["training/Ftrl/learning_rate"] == pytest.approx(0.005)


def test_parse_example_specs_are_tf_estimators(runs):
    """classifier/regressor_parse_example_spec (V1 and V2): the specs, errors and signatures of tf.estimator."""
    from tf1_recsys import estimator as est
    from tf1_recsys._api.v2 import estimator as est_v2

    reference, _ = runs
    ours, ours_v2 = canned_side.parse_specs(est), canned_side.parse_specs(est_v2)
    label = tf.io.FixedLenFeature((3,), tf.float32, (0.0, 1.0, 2.0))
    assert ours["regressor"] == ours_v2["regressor"] == repr(sorted({
        "a": tf.io.FixedLenFeature((2,), tf.float32), "w": tf.io.FixedLenFeature((1,), tf.float64),
        "y": label}.items()))
    if reference is not None:
        assert ours == reference["parse_specs"] and ours_v2 == reference["parse_specs_v2"]


def test_experimental_linear_logit_fn_builder_is_a_linear_model_of_the_columns():
    """tf.compat.v1.estimator.experimental.linear_logit_fn_builder: ``linear_model/<column>`` weights and bias."""
    from tf1_recsys import estimator as est

    age = tf.feature_column.numeric_column("age")
    with tf.Graph().as_default():
        logits = est.experimental.linear_logit_fn_builder(units=2, feature_columns=[age])({"age": [[23.], [31.]]})
        bias, = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, "linear_model/bias_weights")
        weights, = tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES, "linear_model/age/weights")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run([bias.assign([10., 5.]), weights.assign([[2., 3.]])])
            out = sess.run(logits)
    np.testing.assert_allclose(out, np.array([[23.], [31.]]) @ np.array([[2., 3.]]) + [10., 5.])
    assert est.experimental.dnn_logit_fn_builder.__module__ == "tf1_recsys.estimator.canned.dnn"


def test_v1_linear_calls_minimize_with_the_loss_and_global_step_only(tmp_path):
    """tf.estimator's V1 heads call ``optimizer.minimize(loss, global_step=...)``: an override of that form trains."""
    from tf1_recsys import estimator as est

    class _Sgd(tf.train.GradientDescentOptimizer):
        def minimize(self, loss, global_step=None):
            return super().minimize(loss, global_step=global_step)

    age = tf.feature_column.numeric_column("age")
    model = est.LinearRegressor([age], model_dir=str(tmp_path), optimizer=lambda: _Sgd(0.1))
    model.train(lambda: ({"age": tf.constant([[1.0], [2.0]])}, tf.constant([[1.0], [3.0]])), steps=1)
    # one SGD step from zero weights, mean squared error summed over the batch (the V1 default): w = 0.1 * 7
    weight = model.get_variable_value("linear/linear_model/age/weights")
    np.testing.assert_allclose(weight, [[0.1 * 2 * (1 * 1 + 2 * 3)]], rtol=1e-6)


def test_install_gives_v2_classes_to_tf_estimator_and_v1_to_compat_v1():
    from tf1_recsys.compat import install, uninstall
    from tf1_recsys.estimator.canned import dnn, linear

    install(estimator=True)
    try:
        import tensorflow.compat.v1 as tf_v1
        assert tensorflow.estimator.DNNClassifier is dnn.DNNClassifierV2
        assert tensorflow.compat.v2.estimator.LinearRegressor is linear.LinearRegressorV2
        assert tf_v1.estimator.DNNClassifier is dnn.DNNClassifier
        assert tensorflow.compat.v1.estimator.LinearRegressor is linear.LinearRegressor
        assert tensorflow.estimator.RunConfig is tf_v1.estimator.RunConfig
    finally:
        uninstall()


@needs_tf_estimator
def test_a_tf_estimator_model_dir_trains_on_as_tf_estimator_would(runs):
    reference, ours = runs
    _assert_same(ours["wide_deep_resumed"], reference["wide_deep"])


@needs_tf_estimator
def test_our_model_dir_trains_on_with_tf_estimator_as_ours_would(runs):
    reference, ours = runs
    _assert_same(reference["wide_deep_resumed"], ours["wide_deep"])


def test_partitioned_embedding_and_batch_norm_variables_have_tf_estimators_names(runs):
    _, ours = runs
    variables, in_graph = ours["wide_deep_options"]["variables"], ours["wide_deep_options"]["graph_variables"]
    table = "dnn/input_from_feature_columns/input_layer/cat_embedding/embedding_weights"
    assert [n for n in in_graph if n.startswith(table)] == sorted(  # the Adagrad slots partitioned alike
        table + "/part_%d%s:0" % (i, slot) for i in (0, 1) for slot in ("", "/Adagrad"))
    assert np.shape(variables[table]) == (4, 3)  # the checkpoint holds the whole table
    for part in ("gamma", "beta", "moving_mean", "moving_variance"):
        assert np.shape(variables["dnn/hiddenlayer_1/batchnorm_1/%s" % part]) == (3,)
    assert ours["wide_deep_options"]["predictions"][0]["all_classes"] == ["no", "yes"]


def test_warm_start_moves_the_vocabulary_rows_to_their_new_ids(runs):
    """'wide_deep' at step 10 warm-started 'wide_deep_warm_started' (its step-0 checkpoint): old row of each word."""
    _, ours = runs
    before = ours["wide_deep"]["variables"]
    start = tf.train.load_checkpoint(os.path.join(ours["wide_deep_warm_started"]["model_dir"], "model.ckpt-0"))
    old_ids = {w: i for i, w in enumerate(canned_side.OLD_VOCABULARY)}
    for name in ("linear/linear_model/cat/weights",
                 "dnn/input_from_feature_columns/input_layer/cat_embedding/embedding_weights"):
        old, new = np.array(before[name], np.float32), start.get_tensor(name)
        for new_id, word in enumerate(canned_side.NEW_VOCABULARY):
            if word in old_ids:
                np.testing.assert_array_equal(new[new_id], old[old_ids[word]], err_msg=(name, word))
        assert not np.array_equal(new[2], old[old_ids["b"]])  # 'x' is new: not 'b''s old row
    np.testing.assert_array_equal(start.get_tensor("dnn/hiddenlayer_0/kernel"),
                                  np.array(before["dnn/hiddenlayer_0/kernel"], np.float32))


def test_variable_names_are_tf_estimators(runs):
    _, ours = runs
    wide_deep = sorted(n for n in ours["wide_deep"]["variables"] if "Adagrad" not in n and "Ftrl" not in n)
    assert wide_deep == [
        "dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_1/bias", "dnn/hiddenlayer_1/kernel",
        "dnn/input_from_feature_columns/input_layer/cat_embedding/embedding_weights", "dnn/logits/bias",
        "dnn/logits/kernel", "global_step", "linear/linear_model/age/weights",
        "linear/linear_model/age_bucketized_X_cat/weights", "linear/linear_model/bias_weights",
        "linear/linear_model/cat/weights"]
    shapes = {n: np.shape(v) for n, v in ours["wide_deep"]["variables"].items()}
    assert shapes["dnn/hiddenlayer_0/kernel"] == (3 + 2, 4)  # embedding width 3 + x (2)
    assert shapes["dnn/logits/kernel"] == (3, 1)
    assert shapes["linear/linear_model/age_bucketized_X_cat/weights"] == (7, 1)
    assert shapes["linear/linear_model/bias_weights"] == (1,)
    # Each part trains with its own optimizer: Adagrad slots under dnn/, Ftrl slots under linear/.
    slots = [n for n in ours["wide_deep"]["variables"] if n.endswith(("Adagrad", "Ftrl", "Ftrl_1"))]
    assert all(n.startswith("dnn/") == n.endswith("Adagrad") for n in slots)


def _threshold_auc(labels, scores, weights, curve, num_thresholds=200):
    """tf.compat.v1.metrics.auc's documented estimate: confusion counts at evenly spaced thresholds, trapezoids."""
    eps, margin = 1e-6, 1e-7
    thresholds = np.array([-margin] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
                          + [1 + margin])
    above = scores.reshape(1, -1) > thresholds.reshape(-1, 1)  # [thresholds, examples]
    labels, weights = labels.reshape(1, -1), weights.reshape(1, -1)
    tp, fp = np.sum(above * labels * weights, 1), np.sum(above * (1 - labels) * weights, 1)
    fn, tn = np.sum(~above * labels * weights, 1), np.sum(~above * (1 - labels) * weights, 1)
    recall = (tp + eps) / (tp + fn + eps)
    if curve == "ROC":
        x, y = fp / (fp + tn + eps), recall
    else:
        x, y = recall, (tp + eps) / (tp + fp + eps)
    return float(np.sum((x[:-1] - x[1:]) * (y[:-1] + y[1:]) / 2))


def _sigmoid_cross_entropy(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


@pytest.mark.parametrize("program,weighted", [("wide_deep", False), ("wide_deep_weighted_sgd", True),
                                              ("wide_deep_estimator", True)])
def test_head_predictions_and_metrics_match_numpy(runs, program, weighted):
    _, ours = runs
    result = ours[program]
    if program == "wide_deep_estimator":  # a head named 'ctr' with thresholds=[0.3]: metric names end in '/ctr'
        result = dict(result, evaluation={k.replace("/ctr", ""): v for k, v in result["evaluation"].items()})
    logits = np.array([p["logits"] for p in result["predictions"]], np.float64)  # [12, 1]
    logistic = 1 / (1 + np.exp(-logits))
    for p, z, s in zip(result["predictions"], logits, logistic):
        np.testing.assert_allclose(p["logistic"], s, rtol=1e-5)
        np.testing.assert_allclose(p["probabilities"], [1 - s[0], s[0]], rtol=1e-5, atol=1e-7)
        assert p["class_ids"] == [int(z[0] > 0)] and p["classes"] == [str(int(z[0] > 0))]
        assert p["all_class_ids"] == [0, 1] and p["all_classes"] == ["0", "1"]
    labels = canned_side.LABELS.astype(np.float64)
    w = canned_side.DATA["w"].astype(np.float64) if weighted else np.ones_like(labels)
    per_example = _sigmoid_cross_entropy(labels, logits)
    predicted = (logits > 0).astype(np.float64)
    ev = result["evaluation"]
    batches = [slice(i, i + 4) for i in range(0, 12, 4)]
    if weighted:  # SUM_OVER_BATCH_SIZE: weighted sum / examples, per batch; evaluate averages the batches
        batch_losses = [np.sum(w[b] * per_example[b]) / 4 for b in batches]
    else:  # SUM
        batch_losses = [np.sum(per_example[b]) for b in batches]
    assert ev["loss"] == pytest.approx(np.mean(batch_losses), rel=1e-5)
    assert ev["average_loss"] == pytest.approx(np.sum(w * per_example) / np.sum(w), rel=1e-5)
    assert ev["accuracy"] == pytest.approx(np.sum(w * (predicted == labels)) / np.sum(w), rel=1e-6)
    label_mean = np.sum(w * labels) / np.sum(w)
    assert ev["label/mean"] == pytest.approx(label_mean, rel=1e-6)
    assert ev["accuracy_baseline"] == pytest.approx(max(label_mean, 1 - label_mean), rel=1e-6)
    assert ev["prediction/mean"] == pytest.approx(np.sum(w * logistic) / np.sum(w), rel=1e-5)
    true_pos = np.sum(w * predicted * labels)
    if np.sum(w * predicted):
        assert ev["precision"] == pytest.approx(true_pos / np.sum(w * predicted), rel=1e-6)
    assert ev["recall"] == pytest.approx(true_pos / np.sum(w * labels), rel=1e-6)
    assert ev["auc"] == pytest.approx(_threshold_auc(labels, logistic, w, "ROC"), rel=1e-4)
    assert ev["auc_precision_recall"] == pytest.approx(_threshold_auc(labels, logistic, w, "PR"), rel=1e-4)
    assert ev["global_step"] == 10
    if program == "wide_deep_estimator":
        above = (logistic >= 0.3).astype(np.float64)
        assert ev["accuracy/positive_threshold_0.3"] == pytest.approx(np.sum(w * (above == labels)) / np.sum(w))
        assert ev["recall/positive_threshold_0.3"] == pytest.approx(np.sum(w * above * labels) / np.sum(w * labels))
        assert sorted(result["evaluation"]) == sorted(list(ours["wide_deep"]["evaluation"]) + [
            "accuracy/positive_threshold_0.3", "precision/positive_threshold_0.3", "recall/positive_threshold_0.3"])


def test_baseline_predicts_its_bias_for_every_example(runs):
    _, ours = runs
    result = ours["baseline"]
    assert sorted(n for n in result["variables"] if "Ftrl" not in n) == ["baseline/bias", "global_step"]
    bias = np.array(result["variables"]["baseline/bias"])
    assert bias.shape == (1,) and bias[0] != 0  # trained away from its zero start
    for p in result["predictions"]:
        np.testing.assert_allclose(p["logits"], bias, rtol=1e-6)


def test_multi_class_head_matches_numpy(runs):
    _, ours = runs
    result = ours["dnn_multiclass"]
    logits = np.array([p["logits"] for p in result["predictions"]], np.float64)  # [12, 3]
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    probabilities = shifted / shifted.sum(1, keepdims=True)
    for p, z, q in zip(result["predictions"], logits, probabilities):
        np.testing.assert_allclose(p["probabilities"], q, rtol=1e-5, atol=1e-7)
        assert p["class_ids"] == [int(np.argmax(z))] and p["classes"] == [str(int(np.argmax(z)))]
        assert p["all_class_ids"] == [0, 1, 2] and p["all_classes"] == ["0", "1", "2"]
    ids = canned_side.CLASS3.ravel()
    w = canned_side.DATA["w"].ravel().astype(np.float64)
    per_example = -np.log(probabilities[np.arange(12), ids])
    ev = result["evaluation"]
    assert sorted(ev) == ["accuracy", "average_loss", "global_step", "loss"]
    assert ev["loss"] == pytest.approx(np.mean([np.sum((w * per_example)[i:i + 4]) for i in (0, 4, 8)]), rel=1e-5)
    assert ev["average_loss"] == pytest.approx(np.sum(w * per_example) / np.sum(w), rel=1e-5)
    assert ev["accuracy"] == pytest.approx(np.sum(w * (np.argmax(logits, 1) == ids)) / np.sum(w), rel=1e-6)


@pytest.mark.parametrize("program,reduction", [("wide_deep_regressor", "sum"), ("dnn_regressor", "mean")])
def test_regression_head_metrics_match_numpy(runs, program, reduction):
    _, ours = runs
    result = ours[program]
    predicted = np.array([p["predictions"] for p in result["predictions"]], np.float64)  # [12, 2]
    assert [sorted(p) for p in result["predictions"]] == [["predictions"]] * 12
    targets = canned_side.TARGETS.astype(np.float64)
    w = canned_side.DATA["w"].astype(np.float64) if program == "wide_deep_regressor" else np.ones((12, 1))
    squared = (predicted - targets) ** 2
    batches = [slice(i, i + 4) for i in range(0, 12, 4)]
    if reduction == "sum":
        batch_losses = [np.sum(w[b] * squared[b]) for b in batches]
    else:  # MEAN: weighted sum / sum of the weights broadcast to the loss
        batch_losses = [np.mean(squared[b]) for b in batches]
    ev = result["evaluation"]
    assert ev["loss"] == pytest.approx(np.mean(batch_losses), rel=1e-5)
    w2 = np.broadcast_to(w, squared.shape)
    assert ev["average_loss"] == pytest.approx(np.sum(w2 * squared) / np.sum(w2), rel=1e-5)
    assert ev["prediction/mean"] == pytest.approx(np.sum(w2 * predicted) / np.sum(w2), rel=1e-5)
    assert ev["label/mean"] == pytest.approx(np.sum(w2 * targets) / np.sum(w2), rel=1e-5)


def test_head_export_outputs_are_tf_estimators_signatures():
    from tf1_recsys.estimator.canned import head as head_lib
    from tf1_recsys.estimator.export_output import ClassificationOutput, PredictOutput, RegressionOutput

    with tf.Graph().as_default():
        logits = tf.placeholder(tf.float32, [None, 1])
        head = head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(label_vocabulary=["no", "yes"])
        spec = head.create_estimator_spec(features={}, mode="infer", logits=logits)
        assert sorted(spec.export_outputs) == ["classification", "predict", "regression", "serving_default"]
        assert isinstance(spec.export_outputs["serving_default"], ClassificationOutput)
        assert isinstance(spec.export_outputs["regression"], RegressionOutput)
        assert isinstance(spec.export_outputs["predict"], PredictOutput)
        assert sorted(spec.predictions) == ["all_class_ids", "all_classes", "class_ids", "classes", "logistic",
                                            "logits", "probabilities"]
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            out = sess.run(spec.predictions, {logits: [[-1.0], [2.0]]})
            classes = sess.run(spec.export_outputs["classification"].classes, {logits: [[-1.0], [2.0]]})
    assert out["classes"].ravel().tolist() == [b"no", b"yes"]
    assert classes.tolist() == [[b"no", b"yes"], [b"no", b"yes"]]
    np.testing.assert_allclose(out["probabilities"][:, 1], 1 / (1 + np.exp([1.0, -2.0])), rtol=1e-6)


def test_bad_arguments_raise_tf_estimators_errors():
    from tf1_recsys import estimator as est
    from tf1_recsys.estimator.canned import head as head_lib
    from tf1_recsys.estimator.canned.optimizers import get_optimizer_instance

    with pytest.raises(ValueError, match="Either linear_feature_columns or dnn_feature_columns must be defined"):
        est.DNNLinearCombinedClassifier()
    with pytest.raises(ValueError, match="Unsupported optimizer name: Nadam"):
        get_optimizer_instance("Nadam", 0.1)
    with pytest.raises(ValueError, match="Invalid loss_reduction: none"):
        head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(loss_reduction=tf.losses.Reduction.NONE)
    with pytest.raises(ValueError, match=r"thresholds not in \(0, 1\)"):
        head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(thresholds=[1.5])
    assert isinstance(get_optimizer_instance(lambda: tf.train.AdamOptimizer(0.1)), tf.train.AdamOptimizer)
