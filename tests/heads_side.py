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
    return out


if __name__ == "__main__":
    sys.stdout.write("\n" + json.dumps(reference_results()) + "\n")
