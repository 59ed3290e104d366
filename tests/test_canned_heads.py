"""The heads of ``tf.contrib.estimator`` (V1) and ``tf.estimator`` (V2) against numpy and TensorFlow's own.

Each head's ``create_estimator_spec`` is built for fixed logits and labels in one graph per
test; its predictions, EVAL metrics, training loss and serving signatures are compared with
numpy re-implementations of TensorFlow's definitions (losses of ``tf.nn``, weighted means,
the 200-threshold AUC of ``tf.compat.v1.metrics.auc`` and Keras' interpolated one). On
TensorFlow <= 2.15 the V2 heads are also compared with ``tf.estimator``'s own (tests/heads_side.py,
one subprocess).
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
from tf1_recsys.compat.contrib import estimator as contrib_estimator
from tf1_recsys.estimator.export_output import ClassificationOutput, PredictOutput, RegressionOutput

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import heads_side  # noqa: E402

HAS_TF_ESTIMATOR = (tuple(int(p) for p in tensorflow.version.VERSION.split(".")[:2]) <= (2, 15)
                    and importlib.util.find_spec("tensorflow_estimator") is not None)

LOGITS = np.array([[-1.0, 0.5, 2.0], [0.3, -0.2, -1.5], [1.2, 0.8, -0.4], [-0.6, 1.7, 0.1]], np.float32)
MULTI_HOT = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.int64)
WEIGHTS = np.array([[1.0], [2.0], [0.5], [1.5]], np.float32)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _sigmoid_xent(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def _threshold_auc(labels, scores, weights, curve, num_thresholds=200):
    """tf.compat.v1.metrics.auc: confusion counts at evenly spaced thresholds, trapezoids (every entry an example)."""
    eps, margin = 1e-6, 1e-7
    thresholds = np.array([-margin] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
                          + [1 + margin])
    labels, scores, weights = (np.ravel(a).astype(np.float64) for a in (labels, scores, weights))
    above = scores[None, :] > thresholds[:, None]
    tp, fp = np.sum(above * labels * weights, 1), np.sum(above * (1 - labels) * weights, 1)
    fn, tn = np.sum(~above * labels * weights, 1), np.sum(~above * (1 - labels) * weights, 1)
    recall = (tp + eps) / (tp + fn + eps)
    x, y = (fp / (fp + tn + eps), recall) if curve == "ROC" else (recall, (tp + eps) / (tp + fp + eps))
    return float(np.sum((x[:-1] - x[1:]) * (y[:-1] + y[1:]) / 2))


def _evaluate(spec):
    """{metric: value} after one update of each EVAL metric."""
    with tf.Session() as sess:
        sess.run([tf.local_variables_initializer(), tf.tables_initializer()])
        sess.run({k: update for k, (_, update) in spec.eval_metric_ops.items()})
        out = sess.run({k: value for k, (value, _) in spec.eval_metric_ops.items()})
        out["loss"] = sess.run(spec.loss)
    return out


def _run(tensors):
    with tf.Session() as sess:
        sess.run([tf.local_variables_initializer(), tf.tables_initializer()])
        return sess.run(tensors)


def test_multi_label_head_matches_numpy():
    head = contrib_estimator.multi_label_head(3, weight_column="w", thresholds=[0.4],
                                              classes_for_class_based_metrics=[1], name="tags")
    assert head.logits_dimension == 3 and head.name == "tags"
    with tf.Graph().as_default():
        spec = head.create_estimator_spec({"w": tf.constant(WEIGHTS)}, "eval", tf.constant(LOGITS),
                                          labels=tf.constant(MULTI_HOT))
        got = _evaluate(spec)
    probabilities = _sigmoid(LOGITS.astype(np.float64))
    per_example = _sigmoid_xent(MULTI_HOT, LOGITS.astype(np.float64)).mean(1, keepdims=True)  # [4, 1]
    w = WEIGHTS.astype(np.float64)
    w3 = np.broadcast_to(w, LOGITS.shape)
    assert got["loss"] == pytest.approx(np.sum(w * per_example) / 4, rel=1e-5)  # SUM_OVER_BATCH_SIZE
    assert got["average_loss/tags"] == pytest.approx(np.sum(w * per_example) / np.sum(w), rel=1e-5)
    assert got["auc/tags"] == pytest.approx(_threshold_auc(MULTI_HOT, probabilities, w3, "ROC"), rel=1e-4)
    assert got["auc_precision_recall/tags"] == pytest.approx(
        _threshold_auc(MULTI_HOT, probabilities, w3, "PR"), rel=1e-4)
    above = probabilities >= 0.4
    assert got["accuracy/positive_threshold_0.4/tags"] == pytest.approx(
        np.sum(w3 * (above == MULTI_HOT)) / np.sum(w3), rel=1e-6)
    assert got["precision/positive_threshold_0.4/tags"] == pytest.approx(
        np.sum(w3 * above * MULTI_HOT) / np.sum(w3 * above), rel=1e-5)
    assert got["recall/positive_threshold_0.4/tags"] == pytest.approx(
        np.sum(w3 * above * MULTI_HOT) / np.sum(w3 * MULTI_HOT), rel=1e-5)
    assert got["probability_mean/class1/tags"] == pytest.approx(np.sum(w[:, 0] * probabilities[:, 1]) / np.sum(w),
                                                                rel=1e-5)
    assert got["auc/class1/tags"] == pytest.approx(
        _threshold_auc(MULTI_HOT[:, 1], probabilities[:, 1], w, "ROC"), rel=1e-4)
    assert sorted(got) == sorted(["loss", "average_loss/tags", "auc/tags", "auc_precision_recall/tags",
                                  "accuracy/positive_threshold_0.4/tags", "precision/positive_threshold_0.4/tags",
                                  "recall/positive_threshold_0.4/tags", "probability_mean/class1/tags",
                                  "auc/class1/tags", "auc_precision_recall/class1/tags"])


def test_multi_label_head_takes_sparse_ids_and_vocabulary_strings_and_serves_classification():
    head = contrib_estimator.multi_label_head(3, label_vocabulary=["a", "b", "c"])
    with tf.Graph().as_default():
        ids = tf.SparseTensor([[0, 0], [0, 1], [1, 0], [2, 0], [2, 1], [3, 0]], tf.constant([1, 2, 0, 0, 1, 1],
                                                                                             tf.int64), [4, 2])
        strings = tf.SparseTensor(ids.indices, tf.constant(["b", "c", "a", "a", "b", "b"]), ids.dense_shape)
        from_ids = contrib_estimator.multi_label_head(3).create_loss({}, "train", tf.constant(LOGITS), ids)
        from_strings = head.create_loss({}, "train", tf.constant(LOGITS), strings)
        spec = head.create_estimator_spec({}, "infer", tf.constant(LOGITS))
        got = _run({"ids": from_ids.processed_labels, "strings": from_strings.processed_labels,
                    "loss": from_strings.training_loss, "predictions": spec.predictions,
                    "classes": spec.export_outputs["classification"].classes})
    np.testing.assert_array_equal(got["ids"], MULTI_HOT)
    np.testing.assert_array_equal(got["strings"], MULTI_HOT)
    assert got["loss"] == pytest.approx(_sigmoid_xent(MULTI_HOT, LOGITS.astype(np.float64)).mean(), rel=1e-5)
    assert sorted(got["predictions"]) == ["logits", "probabilities"]
    np.testing.assert_allclose(got["predictions"]["probabilities"], _sigmoid(LOGITS), rtol=1e-6)
    assert got["classes"].tolist() == [[b"a", b"b", b"c"]] * 4
    assert sorted(spec.export_outputs) == ["classification", "predict", "serving_default"]
    assert isinstance(spec.export_outputs["serving_default"], ClassificationOutput)


@pytest.mark.parametrize("kind", ["poisson", "logistic"])
def test_poisson_and_logistic_regression_heads_match_numpy(kind):
    logits = LOGITS[:, :1]
    if kind == "poisson":
        head = contrib_estimator.poisson_regression_head()
        labels = np.array([[0.0], [2.0], [1.0], [4.0]], np.float32)
        z, y = logits.astype(np.float64), labels.astype(np.float64)
        stirling = y * np.log(np.maximum(y, 1)) - y + 0.5 * np.log(2 * np.pi * np.maximum(y, 1))
        per_example = np.exp(z) - y * z + np.where(y > 1, stirling, 0)
        expected_predictions = np.exp(z)
    else:
        head = contrib_estimator.logistic_regression_head()
        labels = np.array([[0.2], [1.0], [0.0], [0.7]], np.float32)
        per_example = _sigmoid_xent(labels.astype(np.float64), logits.astype(np.float64))
        expected_predictions = _sigmoid(logits.astype(np.float64))
    with tf.Graph().as_default():
        spec = head.create_estimator_spec({}, "eval", tf.constant(logits), labels=tf.constant(labels))
        got = _evaluate(spec)
        serving = head.create_estimator_spec({}, "infer", tf.constant(logits))
        predictions = _run(serving.predictions)
    assert got["loss"] == pytest.approx(per_example.mean(), rel=1e-5)
    assert got["average_loss"] == pytest.approx(per_example.mean(), rel=1e-5)
    assert got["prediction/mean"] == pytest.approx(expected_predictions.mean(), rel=1e-5)
    assert got["label/mean"] == pytest.approx(labels.mean(), rel=1e-6)
    np.testing.assert_allclose(predictions["predictions"], expected_predictions, rtol=1e-5)
    np.testing.assert_allclose(predictions["logits"], logits, rtol=1e-6)
    assert isinstance(serving.export_outputs["serving_default"], RegressionOutput)


def test_logistic_regression_head_rejects_labels_outside_0_1():
    head = contrib_estimator.logistic_regression_head()
    with tf.Graph().as_default():  # constant labels: the check fails while the graph is built, as in TF
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Labels must be in range \[0, 1\]"):
            head.create_loss({}, "train", tf.constant(LOGITS[:, :1]), tf.constant([[0.5], [1.5], [0.], [1.]]))


def test_multi_head_merges_losses_metrics_predictions_and_signatures():
    ctr = contrib_estimator.binary_classification_head(name="ctr")
    watch = contrib_estimator.regression_head(label_dimension=2, name="watch")
    head = contrib_estimator.multi_head([ctr, watch], head_weights=[1.0, 0.25])
    assert head.logits_dimension == 3 and head.name == "ctr_watch"
    labels = {"ctr": np.array([[1], [0], [0], [1]], np.int64),
              "watch": np.array([[1., 0.], [2., 1.], [0., 0.5], [1., 1.]], np.float32)}
    with tf.Graph().as_default():
        spec = head.create_estimator_spec({}, "eval", tf.constant(LOGITS), labels={k: tf.constant(v)
                                                                                  for k, v in labels.items()})
        got = _evaluate(spec)
    with tf.Graph().as_default():
        global_step = tf.train.get_or_create_global_step()
        train = head.create_estimator_spec({}, "train", tf.constant(LOGITS), labels=labels,
                                           train_op_fn=lambda loss: tf.assign_add(global_step, 1))
        train_loss = _run(train.loss)
    with tf.Graph().as_default():
        serving = head.create_estimator_spec({}, "infer", {"ctr": tf.constant(LOGITS[:, :1]),
                                                           "watch": tf.constant(LOGITS[:, 1:])})
        predictions = _run(serving.predictions)
    z = LOGITS.astype(np.float64)
    ctr_loss = _sigmoid_xent(labels["ctr"], z[:, :1]).mean()
    watch_loss = ((z[:, 1:] - labels["watch"]) ** 2).mean()
    assert got["loss/ctr"] == pytest.approx(ctr_loss, rel=1e-5)
    assert got["loss/watch"] == pytest.approx(watch_loss, rel=1e-5)
    assert got["loss"] == pytest.approx(ctr_loss + 0.25 * watch_loss, rel=1e-5)
    assert train_loss == pytest.approx(ctr_loss + 0.25 * watch_loss, rel=1e-5)
    assert got["accuracy/ctr"] == pytest.approx(np.mean((z[:, :1] > 0) == labels["ctr"]), rel=1e-6)
    assert got["label/mean/watch"] == pytest.approx(labels["watch"].mean(), rel=1e-6)
    assert {"auc/ctr", "average_loss/watch", "prediction/mean/watch"} <= set(got)
    np.testing.assert_allclose(predictions[("ctr", "logistic")], _sigmoid(z[:, :1]), rtol=1e-6)
    np.testing.assert_allclose(predictions[("watch", "predictions")], z[:, 1:], rtol=1e-6)
    outputs = serving.export_outputs
    assert sorted(outputs) == ["ctr", "ctr/classification", "ctr/predict", "ctr/regression", "predict",
                               "serving_default", "watch", "watch/predict", "watch/regression"]
    assert outputs["serving_default"] is outputs["ctr"]
    assert isinstance(outputs["predict"], PredictOutput)
    assert {"ctr/probabilities", "watch/predictions"} <= set(outputs["predict"].outputs)


def test_contrib_heads_validate_as_tf_1_x():
    with pytest.raises(ValueError, match="n_classes must be > 1"):
        contrib_estimator.multi_label_head(1)
    with pytest.raises(ValueError, match=r"Length of label_vocabulary must be n_classes \(3\)"):
        contrib_estimator.multi_label_head(3, label_vocabulary=["a", "b"])
    with pytest.raises(ValueError, match=r"classes_for_class_based_metrics must be in range \[0, 2\]"):
        contrib_estimator.multi_label_head(3, classes_for_class_based_metrics=[3])
    with pytest.raises(ValueError, match="All given heads must have name specified"):
        contrib_estimator.multi_head([contrib_estimator.regression_head()])
    with pytest.raises(ValueError, match="heads and head_weights must have the same size"):
        contrib_estimator.multi_head([contrib_estimator.regression_head(name="a")], head_weights=[1., 2.])
    with pytest.raises(ValueError, match="Invalid loss_reduction: none"):
        contrib_estimator.regression_head(loss_reduction=tf.losses.Reduction.NONE)


# ------------------------------------------------------------------ the V2 heads (tf.estimator.*Head)

def _interpolated_auc(labels, scores, weights, curve, num_thresholds=200):
    """Keras AUC's 'interpolation' summation (what TF's V2 heads report), over flattened entries."""
    thresholds = np.array([-1e-7] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + 1e-7])
    labels, scores, weights = (np.ravel(a).astype(np.float64) for a in (labels, scores, weights))
    above = scores[None, :] > thresholds[:, None]
    tp, fp = np.sum(above * labels * weights, 1), np.sum(above * (1 - labels) * weights, 1)
    fn, tn = np.sum(~above * labels * weights, 1), np.sum(~above * (1 - labels) * weights, 1)

    def div(a, b):
        return np.divide(a, b, out=np.zeros_like(a), where=b != 0)

    if curve == "ROC":
        recall, fpr = div(tp, tp + fn), div(fp, fp + tn)
        return float(np.sum((fpr[:-1] - fpr[1:]) * (recall[:-1] + recall[1:]) / 2))
    dtp, p = tp[:-1] - tp[1:], tp + fp
    slope = div(dtp, np.maximum(p[:-1] - p[1:], 0))
    intercept = tp[1:] - slope * p[1:]
    ratio = np.where((p[:-1] > 0) & (p[1:] > 0), div(p[:-1], np.maximum(p[1:], 0)), 1.0)
    return float(np.sum(div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))))


def test_v2_binary_class_head_metrics_are_tf_estimators_keras_values():
    from tf1_recsys import estimator as est

    head = est.BinaryClassHead(weight_column="w", thresholds=[0.5])
    logits, labels = LOGITS[:, :1], MULTI_HOT[:, :1]
    with tf.Graph().as_default():
        spec = head.create_estimator_spec({"w": tf.constant(WEIGHTS)}, "eval", tf.constant(logits),
                                          labels=tf.constant(labels))
        got = _evaluate(spec)
    w, z, y = WEIGHTS.astype(np.float64), logits.astype(np.float64), labels.astype(np.float64)
    p = _sigmoid(z)
    assert head.loss_reduction == "sum_over_batch_size"  # TF 2's tf.losses.Reduction, as tf.estimator's V2 heads
    assert got["loss"] == pytest.approx(np.sum(w * _sigmoid_xent(y, z)) / 4, rel=1e-5)
    assert got["auc"] == pytest.approx(_interpolated_auc(y, p, w, "ROC"), rel=1e-5)
    assert got["auc_precision_recall"] == pytest.approx(_interpolated_auc(y, p, w, "PR"), rel=1e-5)
    assert got["accuracy"] == pytest.approx(np.sum(w * ((z > 0) == y)) / np.sum(w), rel=1e-6)
    assert sorted(got) == ["accuracy", "accuracy/positive_threshold_0.5", "accuracy_baseline", "auc",
                           "auc_precision_recall", "average_loss", "label/mean", "loss", "precision",
                           "precision/positive_threshold_0.5", "prediction/mean", "recall",
                           "recall/positive_threshold_0.5"]


def test_v2_multi_label_head_aucs_are_keras_values():
    from tf1_recsys import estimator as est

    head = est.MultiLabelHead(3, classes_for_class_based_metrics=[2])
    with tf.Graph().as_default():
        got = _evaluate(head.create_estimator_spec({}, "eval", tf.constant(LOGITS), labels=tf.constant(MULTI_HOT)))
    p, ones = _sigmoid(LOGITS.astype(np.float64)), np.ones(LOGITS.shape)
    assert got["auc"] == pytest.approx(_interpolated_auc(MULTI_HOT, p, ones, "ROC"), rel=1e-5)
    assert got["auc_precision_recall"] == pytest.approx(_interpolated_auc(MULTI_HOT, p, ones, "PR"), rel=1e-5)
    assert got["auc/class2"] == pytest.approx(_interpolated_auc(MULTI_HOT[:, 2], p[:, 2], ones[:, 2], "ROC"),
                                              rel=1e-5)


def test_v2_head_in_a_model_fn_trains_its_trainable_variables_and_runs_update_ops():
    from tf1_recsys import estimator as est

    x = np.array([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3], [2.0, 0.1]], np.float32)
    y = np.array([[1.5], [0.0], [-1.0], [2.5]], np.float32)
    head = est.RegressionHead()
    with tf.Graph().as_default():
        global_step = tf.train.get_or_create_global_step()
        kernel = tf.get_variable("kernel", initializer=tf.constant([[0.2], [-0.1]]))
        frozen = tf.get_variable("frozen", initializer=tf.constant([[1.0]]))
        counter = tf.get_variable("counter", initializer=0, trainable=False)
        logits = tf.matmul(tf.constant(x), kernel) + frozen
        spec = head.create_estimator_spec({}, "train", logits, labels=tf.constant(y),
                                          optimizer=tf.train.GradientDescentOptimizer(0.1),
                                          trainable_variables=[kernel], update_ops=[tf.assign_add(counter, 1)],
                                          regularization_losses=[tf.reduce_sum(kernel ** 2)])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            loss, _ = sess.run([spec.loss, spec.train_op])
            after = sess.run({"kernel": kernel, "frozen": frozen, "counter": counter, "step": global_step})
    k0 = np.array([[0.2], [-0.1]])
    residual = x @ k0 + 1.0 - y
    assert loss == pytest.approx(np.mean(residual ** 2) + np.sum(k0 ** 2), rel=1e-5)
    gradient = 2 * x.T @ residual / 4 + 2 * k0
    np.testing.assert_allclose(after["kernel"], k0 - 0.1 * gradient, rtol=1e-5)
    assert after["frozen"] == 1.0 and after["counter"] == 1 and after["step"] == 1


def test_v2_heads_loss_predictions_and_argument_order():
    from tf1_recsys import estimator as est

    with tf.Graph().as_default():
        head = est.MultiClassHead(3, label_vocabulary=["a", "b", "c"])
        loss = head.loss(tf.constant([["c"], ["a"], ["b"], ["b"]]), tf.constant(LOGITS))
        predictions = head.predictions(tf.constant(LOGITS), keys=["class_ids", "classes"])
        poisson = est.PoissonRegressionHead(2, compute_full_loss=False)  # label_dimension comes first in V2
        got = _run({"loss": loss, "predictions": predictions})
    z = LOGITS.astype(np.float64)
    log_softmax = z - np.log(np.sum(np.exp(z), 1, keepdims=True))
    assert got["loss"] == pytest.approx(-np.mean(log_softmax[np.arange(4), [2, 0, 1, 1]]), rel=1e-5)
    assert sorted(got["predictions"]) == ["class_ids", "classes"]
    assert got["predictions"]["classes"].ravel().tolist() == [[b"a", b"b", b"c"][i] for i in np.argmax(z, 1)]
    assert poisson.logits_dimension == 2
    with pytest.raises(ValueError, match=r"Prediction key must be in PredictionKeys, given: nope\.Valid prediction keys include"):
        with tf.Graph().as_default():
            head.predictions(tf.constant(LOGITS), keys=["nope"])
    with pytest.raises(NotImplementedError, match="Keras"):
        head.metrics()

    def loss_fn(labels, logits, features, loss_reduction):  # V2 accepts loss_reduction in loss_fn's arguments
        del features, loss_reduction
        return tf.abs(logits - labels)

    est.RegressionHead(loss_fn=loss_fn)
    with pytest.raises(ValueError, match=r"loss_fn has unexpected args: \['loss_reduction'\]"):
        contrib_estimator.regression_head(loss_fn=loss_fn)  # V1 does not


def test_v2_multi_head_merges_v2_heads():
    from tf1_recsys import estimator as est

    head = est.MultiHead([est.BinaryClassHead(name="ctr"), est.RegressionHead(2, name="watch")], [2.0, 1.0])
    labels = {"ctr": MULTI_HOT[:, :1], "watch": LOGITS[:, 1:] + 0.5}
    with tf.Graph().as_default():
        got = _evaluate(head.create_estimator_spec({}, "eval", tf.constant(LOGITS), labels=labels,
                                                   regularization_losses=[tf.constant(0.25)]))
    z = LOGITS.astype(np.float64)
    ctr = _sigmoid_xent(MULTI_HOT[:, :1], z[:, :1]).mean()
    assert got["loss"] == pytest.approx(2 * ctr + 0.25 + 0.25, rel=1e-5)  # watch's loss: 0.5 ** 2
    assert got["loss/ctr"] == pytest.approx(ctr, rel=1e-5) and got["loss/watch"] == pytest.approx(0.25, rel=1e-5)


def test_v2_heads_weights_of_multi_dimensional_logits_and_multi_head_loss_match_numpy():
    """Weights [D0, D1] of logits [D0, D1, 1] are per entry; MultiHead.loss is the head-weighted sum (eagerly)."""
    from tf1_recsys import estimator as est

    logits = np.array([[[0.5], [-1.0]], [[2.0], [0.1]]], np.float32)
    labels = np.array([[[1], [0]], [[1], [1]]])
    weights = np.array([[1.0, 2.0], [0.5, 1.5]], np.float32)
    loss = est.BinaryClassHead(weight_column="w").loss(tensorflow.constant(labels), tensorflow.constant(logits),
                                                       {"w": tensorflow.constant(weights)})
    assert float(loss) == pytest.approx(np.sum(weights[..., None] * _sigmoid_xent(labels, logits)) / 4, rel=1e-6)
    multi = est.MultiHead([est.BinaryClassHead(name="ctr"), est.RegressionHead(2, name="watch")], [2.0, 1.0])
    multi_logits = np.array([[0.5, 1.0, -1.0], [-1.0, 0.2, 0.3]], np.float32)
    ctr, watch = np.array([[1], [0]]), np.array([[1.5, -0.5], [0.0, 0.5]], np.float32)
    loss = multi.loss({"ctr": tensorflow.constant(ctr), "watch": tensorflow.constant(watch)},
                      tensorflow.constant(multi_logits), features={}, regularization_losses=[tensorflow.constant(0.25)])
    expected = 2 * _sigmoid_xent(ctr, multi_logits[:, :1]).mean() + ((multi_logits[:, 1:] - watch) ** 2).mean() + 0.25
    assert float(loss) == pytest.approx(expected, rel=1e-6)


@pytest.mark.skipif(not HAS_TF_ESTIMATOR, reason="tf.estimator's V2 heads exist only up to TensorFlow 2.15 (this is "
                    "%s); the oldest-TensorFlow run compares with them" % tensorflow.version.VERSION)
def test_v2_heads_match_tf_estimators_own():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "heads_side.py")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # runs while ours run here
    from tf1_recsys import estimator as est

    ours = heads_side.results(est)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-6000:]
    reference = json.loads(stdout.strip().splitlines()[-1])
    assert sorted(ours) == sorted(reference)
    assert ours.pop("(bad loss_reduction)") == reference.pop("(bad loss_reduction)")
    checks, reference_checks = ours.pop("(shape checks)"), reference.pop("(shape checks)")
    assert sorted(checks) == sorted(reference_checks)
    for case, (kind, theirs) in reference_checks.items():  # an exception's type and message, or a value
        assert checks[case][0] == kind, (case, checks[case])
        if kind != "value":
            assert checks[case][1] == theirs, case
        elif isinstance(theirs, dict):
            assert sorted(checks[case][1]) == sorted(theirs), case
            for key, value in theirs.items():
                if value and isinstance(value[0], str):
                    assert checks[case][1][key] == value, (case, key)
                else:
                    np.testing.assert_allclose(checks[case][1][key], value, rtol=1e-6, err_msg=case + key)
        else:
            assert checks[case][1] == pytest.approx(theirs, rel=1e-6), case
    for case, theirs in reference.items():
        mine = ours[case]
        assert mine["loss_reduction"] == theirs["loss_reduction"], case
        assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-6), case
        assert sorted(mine["metrics"]) == sorted(theirs["metrics"]), case
        for key, value in theirs["metrics"].items():
            assert mine["metrics"][key] == pytest.approx(value, rel=1e-5, abs=1e-7), (case, key)
        assert mine["signatures"] == theirs["signatures"], case
        assert sorted(mine["predictions"]) == sorted(theirs["predictions"]), case
        for key, value in theirs["predictions"].items():
            if value and isinstance(value[0], str):
                assert mine["predictions"][key] == value, (case, key)
            else:
                np.testing.assert_allclose(mine["predictions"][key], value, rtol=1e-6, err_msg=case + key)


def test_a_v2_head_drives_a_canned_estimator(tmp_path):
    """``DNNEstimator(head=MultiLabelHead(2))``: evaluate's average loss is numpy's on predict's logits."""
    import canned_side
    from tf1_recsys import estimator as est

    c = canned_side.columns()
    labels = np.concatenate([canned_side.LABELS, 1 - canned_side.LABELS], 1)
    model = est.DNNEstimator(est.MultiLabelHead(2), [3], [c["emb"], c["x"]], str(tmp_path),
                             config=est.RunConfig(tf_random_seed=7))
    model.train(canned_side.input_fn(None, labels), max_steps=3)
    ev = model.evaluate(canned_side.input_fn(1, labels))
    logits = np.array([p["logits"] for p in model.predict(canned_side.input_fn(1, labels))], np.float64)
    assert sorted(ev) == ["auc", "auc_precision_recall", "average_loss", "global_step", "loss"]
    assert ev["global_step"] == 3
    assert ev["average_loss"] == pytest.approx(_sigmoid_xent(labels, logits).mean(), rel=1e-5)


def test_v1_head_calls_minimize_with_loss_and_global_step_only():
    """TF 1.x's heads call ``optimizer.minimize(loss, global_step=...)``: an optimizer of that signature works."""
    from tf1_recsys.estimator.canned import head as head_lib

    seen = {}

    class _Optimizer(object):
        def minimize(self, loss, global_step):
            seen["loss"], seen["global_step"] = loss, global_step
            return tf.no_op()

    labels = LOGITS[:, :2] + 0.5
    with tf.Graph().as_default():
        tf.train.create_global_step()
        spec = head_lib._regression_head(label_dimension=2).create_estimator_spec(
            {}, "train", tf.constant(LOGITS[:, 1:]), labels=tf.constant(labels), optimizer=_Optimizer())
        assert seen["global_step"] is tf.train.get_global_step()
        loss = _run(seen["loss"])
    assert loss == pytest.approx(np.sum((LOGITS[:, 1:] - labels) ** 2), rel=1e-6)  # reduction SUM


def test_v2_multi_head_with_an_optimizer_trains_only_its_trainable_variables():
    """``MultiHead.create_estimator_spec(optimizer=..., trainable_variables=[...])``: one SGD step of those only."""
    from tf1_recsys import estimator as est

    head = est.MultiHead([est.BinaryClassHead(name="ctr"), est.RegressionHead(name="watch")])
    x = np.array([[1.0], [2.0]], np.float32)
    ctr, watch = np.array([[1.0], [0.0]], np.float32), np.array([[0.5], [1.5]], np.float32)
    with tf.Graph().as_default():
        tf.train.create_global_step()
        w = tf.get_variable("w", initializer=np.array([[0.3, -0.2]], np.float32))
        frozen = tf.get_variable("frozen", initializer=1.0)
        spec = head.create_estimator_spec({}, "train", tf.matmul(tf.constant(x), w) * frozen,
                                          labels={"ctr": tf.constant(ctr), "watch": tf.constant(watch)},
                                          optimizer=tf.train.GradientDescentOptimizer(0.1), trainable_variables=[w])
        with pytest.raises(ValueError, match="not a tf.compat.v1.train.Optimizer instance"):  # as a single head
            head.create_estimator_spec({}, "train", tf.matmul(tf.constant(x), w), labels={"ctr": ctr, "watch": watch},
                                       optimizer=object(), trainable_variables=[w])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(spec.train_op)
            w_after, frozen_after = sess.run([w, frozen])
    z = x @ np.array([[0.3, -0.2]])
    grad_ctr = x.T @ ((_sigmoid(z[:, :1]) - ctr) / 2)  # mean over the batch of 2
    grad_watch = x.T @ (2 * (z[:, 1:] - watch) / 2)
    np.testing.assert_allclose(w_after, np.array([[0.3, -0.2]]) - 0.1 * np.hstack([grad_ctr, grad_watch]), rtol=1e-5)
    assert frozen_after == 1.0
