"""The V1 heads of ``tf.contrib.estimator`` (multi-label, Poisson, logistic regression, multi-head) against numpy.

Each head's ``create_estimator_spec`` is built for fixed logits and labels in one graph per
test; its predictions, EVAL metrics, training loss and serving signatures are compared with
numpy re-implementations of TensorFlow's definitions (losses of ``tf.nn``, weighted means,
the 200-threshold AUC of ``tf.compat.v1.metrics.auc``).
"""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.compat.contrib import estimator as contrib_estimator
from tf1_recsys.estimator.export_output import ClassificationOutput, PredictOutput, RegressionOutput

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
        spec = head.create_estimator_spec({"w": tf.constant(WEIGHTS)}, "eval", tf.constant(LOGITS), labels=tf.constant(MULTI_HOT))
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
