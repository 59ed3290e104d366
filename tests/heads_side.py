"""The V2 heads' losses, predictions, EVAL metrics, signatures and ``loss_reduction`` for fixed logits and labels,
and the errors of bad ``loss_reduction`` values; prints one JSON line.

    python tests/heads_side.py        # TensorFlow's own tf.estimator.*Head (TensorFlow <= 2.15), eagerly

``results(est)`` computes the same with ``tf1_recsys.estimator``'s heads, through
``create_estimator_spec(mode=EVAL)`` in a graph: both sides see ``CASES``.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402

LOGITS = [[-1.0, 0.5, 2.0], [0.3, -0.2, -1.5], [1.2, 0.8, -0.4], [-0.6, 1.7, 0.1]]
MULTI_HOT = [[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 1, 0]]
WEIGHTS = [[1.0], [2.0], [0.5], [1.5]]


def cases(est):
    """{case: (head, logits [4, d], labels, features)}: every V2 head class, weighted and not."""
    logits = np.array(LOGITS, np.float32)
    hot = np.array(MULTI_HOT, np.int64)
    features = {"w": np.array(WEIGHTS, np.float32)}
    return {
        "binary": (est.BinaryClassHead(weight_column="w", thresholds=[0.5], name="ctr"), logits[:, :1], hot[:, :1],
                   features),
        "binary_vocabulary": (est.BinaryClassHead(label_vocabulary=["no", "yes"]), logits[:, 1:2],
                              np.array([["yes"], ["no"], ["no"], ["yes"]]), {}),
        "multi_class": (est.MultiClassHead(3, weight_column="w"), logits, np.array([[2], [0], [1], [1]]), features),
        "multi_label": (est.MultiLabelHead(3, thresholds=[0.4], classes_for_class_based_metrics=[2]), logits, hot,
                        {}),
        "regression": (est.RegressionHead(2, weight_column="w"), logits[:, 1:], logits[:, :2] + 0.5, features),
        "poisson": (est.PoissonRegressionHead(), logits[:, :1], np.array([[0.], [2.], [1.], [4.]], np.float32), {}),
        "logistic": (est.LogisticRegressionHead(weight_column="w"), logits[:, 2:],
                     np.array([[0.2], [1.0], [0.0], [0.7]], np.float32), features),
        "regression_sum": (est.RegressionHead(2, weight_column="w", loss_reduction="sum"), logits[:, 1:],
                           logits[:, :2] + 0.5, features),
        "multi_class_auto": (est.MultiClassHead(3, loss_reduction="auto"), logits, np.array([[1], [0], [2], [1]]),
                             {}),
    }


# Not TensorFlow 2's tf.losses.Reduction values (the V1 ones among them); 'none' is one, refused by a head.
BAD_REDUCTIONS = ["weighted_sum", "weighted_sum_over_batch_size", "weighted_mean", "none", "mean", None]


def reduction_errors(est):
    """{head class: [[exception type, message] of each of BAD_REDUCTIONS]}."""
    out = {}
    for name, make in (("BinaryClassHead", lambda r: est.BinaryClassHead(loss_reduction=r)),
                       ("MultiClassHead", lambda r: est.MultiClassHead(3, loss_reduction=r)),
                       ("MultiLabelHead", lambda r: est.MultiLabelHead(3, loss_reduction=r)),
                       ("RegressionHead", lambda r: est.RegressionHead(loss_reduction=r)),
                       ("PoissonRegressionHead", lambda r: est.PoissonRegressionHead(loss_reduction=r)),
                       ("LogisticRegressionHead", lambda r: est.LogisticRegressionHead(loss_reduction=r))):
        out[name] = []
        for reduction in BAD_REDUCTIONS:
            try:
                make(reduction)
                out[name].append(["accepted", reduction])
            except Exception as e:  # noqa: BLE001 - the outcome compared is the exception itself
                out[name].append([type(e).__name__, str(e)])
    return out


def _outcome(fn):
    """[exception type, message] of ``fn()``, or ["value", its value as a list]."""
    try:
        value = fn()
    except Exception as e:  # noqa: BLE001 - the outcome compared is the exception itself
        return [type(e).__name__, str(e)]
    if isinstance(value, dict):
        return ["value", {"/".join(k) if isinstance(k, tuple) else k: _plain(v) for k, v in sorted(value.items())}]
    return ["value", _plain(value)]


def shape_checks(est, tf):
    """{case: outcome} of the heads' shape checks, multi-dimensional weights and MultiHead.loss / predictions,
    run eagerly (tf.estimator's V2 heads check static shapes at once there, raising ValueError)."""
    c = tf.constant
    logits1, labels1 = c([[0.5], [-1.0]]), c([[1], [0]])
    logits3d = c([[[0.5], [-1.0]], [[2.0], [0.1]]])  # [2, 2, 1]
    labels3d = c([[[1], [0]], [[1], [1]]])
    weights2d = {"w": c([[1.0, 2.0], [0.5, 1.5]])}
    per_logit = {"w": c([[[1.0, 2.0], [0.5, 1.5]], [[1.0, 1.0], [2.0, 0.5]]])}  # [2, 2, 2]

    def loss_fn_2d(labels, logits):
        return tf.reduce_sum(logits - tf.cast(labels, tf.float32), axis=-1)  # [batch]: a dimension short

    multi = est.MultiHead([est.BinaryClassHead(name="ctr"), est.RegressionHead(2, name="watch")], [2.0, 1.0])
    multi_logits = c([[0.5, 1.0, -1.0], [-1.0, 0.2, 0.3]])
    multi_labels = {"ctr": labels1, "watch": c([[1.5, -0.5], [0.0, 0.5]])}
    mixed = est.MultiHead([est.MultiLabelHead(2, name="a"), est.MultiLabelHead(3, name="b", loss_reduction="sum")])
    cases = {
        "labels_dimension": lambda: est.BinaryClassHead().loss(c([[1, 0], [0, 1]]), logits1),
        "labels_batch": lambda: est.BinaryClassHead().loss(c([[1], [0], [1]]), logits1),
        "labels_range": lambda: est.BinaryClassHead().loss(c([[1.2], [0.4]]), logits1),
        "multi_class_labels_range": lambda: est.MultiClassHead(3).loss(c([[3], [0]]), c([[1., 2, 3], [0, 1, 2]])),
        "logits_dimension": lambda: est.MultiClassHead(3).predictions(c([[1., 2.], [3., 4.]])),
        "logits_rank": lambda: est.RegressionHead().loss(c([1.0, 2.0]), c([0.5, 1.0])),
        "loss_fn_labels_missing": lambda: est.BinaryClassHead(loss_fn=lambda logits: logits),
        "loss_fn_unexpected_arg": lambda: est.RegressionHead(loss_fn=lambda labels, logits, extra: logits),
        "loss_fn_result_shape": lambda: est.RegressionHead(loss_fn=loss_fn_2d).loss(c([[1.0], [2.0]]), c([[0.5], [1.0]]),
                                                                          features={}),
        "prediction_key": lambda: est.MultiClassHead(3).predictions(c([[1., 2, 3]]), keys=["no_such_key"]),
        "multi_label_n_classes": lambda: est.MultiLabelHead(1),
        "multi_class_vocabulary_length": lambda: est.MultiClassHead(3, label_vocabulary=["a", "b", "c", "d"]),
        "multi_label_sparse_ids_range": lambda: est.MultiLabelHead(2).loss(
            tf.sparse.SparseTensor(values=[2, 0, 1], indices=[[0, 0], [1, 0], [1, 1]], dense_shape=[2, 2]),
            c([[-1.0, 1.0], [-1.5, 1.0]])),
        "weights_2d_of_3d_logits": lambda: est.BinaryClassHead(weight_column="w").loss(labels3d, logits3d,
                                                                                       weights2d),
        "weights_2d_wrong": lambda: est.BinaryClassHead(weight_column="w").loss(
            labels3d, logits3d, {"w": c([[1.0, 2.0, 3.0], [0.5, 1.5, 1.0]])}),
        "weights_per_logit_regression": lambda: est.RegressionHead(2, weight_column="w").loss(
            c([[[1., 0.], [0., 2.]], [[1., 1.], [3., 0.]]]), c([[[.5, .1], [.2, 1.]], [[1., .3], [2., 1.]]]),
            per_logit),
        "weights_per_logit_binary": lambda: est.BinaryClassHead(weight_column="w").loss(labels3d, logits3d,
                                                                                        per_logit),
        "multi_head_loss": lambda: multi.loss(multi_labels, multi_logits, features={},
                                                 regularization_losses=[c(0.25)]),
        "multi_head_predictions": lambda: multi.predictions(multi_logits),
        "multi_head_logits_missing": lambda: multi.loss(multi_labels, {"ctr": logits1}),
        "multi_head_labels_missing": lambda: multi.loss({"ctr": labels1}, multi_logits),
        "multi_head_reductions_differ": lambda: mixed.loss_reduction,
    }
    return {name: _outcome(fn) for name, fn in cases.items()}


def _plain(value):
    value = np.asarray(value)
    if value.dtype.kind in "SO":
        return [v.decode() if isinstance(v, bytes) else v for v in value.ravel().tolist()]
    return value.astype(np.float64).tolist()


def signatures(head, logits):
    """{signature key: [export output class name, sorted output keys of its signature]} of PREDICT, in a graph."""
    import tensorflow as tf_root

    tf = tf_root.compat.v1
    with tf.Graph().as_default():
        spec = head.create_estimator_spec({}, "infer", tf.constant(logits))
        receiver = {"examples": tf.placeholder(tf.string, [None])}
        return {key: [type(output).__name__, sorted(output.as_signature_def(receiver).outputs)]
                for key, output in spec.export_outputs.items()}


def reference_results():
    """TensorFlow's own V2 heads, eagerly: head.loss, head.predictions, head.metrics + update_metrics."""
    import tensorflow as tf

    out = {}
    for name, (head, logits, labels, features) in cases(tf.estimator).items():
        features = {k: tf.constant(v) for k, v in features.items()}
        metrics = head.update_metrics(head.metrics(), features, tf.constant(logits), tf.constant(labels))
        out[name] = {"loss": float(head.loss(tf.constant(labels), tf.constant(logits), features)),
                     "metrics": {k: float(m.result()) for k, m in metrics.items()},
                     "predictions": {k: _plain(v) for k, v in head.predictions(tf.constant(logits)).items()},
                     "signatures": signatures(head, logits), "loss_reduction": head.loss_reduction}
    out["(bad loss_reduction)"] = reduction_errors(tf.estimator)
    out["(shape checks)"] = shape_checks(tf.estimator, tf)
    return out


def results(est):
    """Ours: the EVAL spec of each case in a graph, its metrics after one update."""
    from tf1_recsys._tf import tf

    out = {}
    for name, (head, logits, labels, features) in cases(est).items():
        with tf.Graph().as_default():
            spec = head.create_estimator_spec({k: tf.constant(v) for k, v in features.items()}, "eval",
                                              tf.constant(logits), labels=tf.constant(labels))
            with tf.Session() as sess:
                sess.run([tf.local_variables_initializer(), tf.tables_initializer()])
                sess.run({k: update for k, (_, update) in spec.eval_metric_ops.items()})
                metrics = sess.run({k: value for k, (value, _) in spec.eval_metric_ops.items()})
                loss, predictions = sess.run([spec.loss, spec.predictions])
        out[name] = {"loss": float(loss), "metrics": {k: float(v) for k, v in metrics.items()},
                     "predictions": {k: _plain(v) for k, v in predictions.items()}, "signatures": signatures(head, logits),
                     "loss_reduction": head.loss_reduction}
    out["(bad loss_reduction)"] = reduction_errors(est)
    out["(shape checks)"] = shape_checks(est, tf_root_eager())
    return out


def tf_root_eager():
    """The ``tensorflow`` module (its eager 2.x API), for ``shape_checks`` of ours in the test process."""
    import tensorflow

    return tensorflow


if __name__ == "__main__":
    sys.stdout.write("\n" + json.dumps(reference_results()) + "\n")
