"""In-graph streaming AUC over many ``sess.run`` batches (TF1 static graphs).

``streaming_auc`` is a drop-in for ``tf.compat.v1.metrics.auc`` that is exact up to the width
of its score buckets: predictions in [0, 1] fall into ``num_buckets`` equal bins, the weighted
positive and negative counts of every bin accumulate in float64 local metric variables, and
the AUC is read from the cumulative counts with pairs inside one bin counted as 0.5 (as ties).
``tf.compat.v1.metrics.auc`` instead interpolates between 200 thresholds: about 2e-4 off on
CTR-like data, where ``streaming_auc`` with its default 2**16 buckets is within ~3e-8
(docs/BENCHMARKS.md, which also gives the error and update cost for other bucket counts).
"""
from tf1_recsys._tf import require_graph_mode, tf

DEFAULT_NUM_BUCKETS = 1 << 16
"""Default bucket count: 1 MiB of float64 counts, error ~3e-8 on the 10^6-row CTR-like set
(5% positives). Every ``update_op`` reads all buckets (a cumulative sum), so the per-batch
cost grows with the count: 2**20 buckets cost ~10x more per update for ~1e-8."""


def streaming_auc(
    labels,
    predictions,
    num_buckets=DEFAULT_NUM_BUCKETS,
    weights=None,
    name=None,
    metrics_collections=None,
    updates_collections=None,
):
    """Streaming ROC AUC, like ``tf.compat.v1.metrics.auc``: returns ``(auc, update_op)``.

    Args:
      labels: tensor of 0/1 numbers or booleans, any shape with as many elements as
        ``predictions``. Other values fail the update at run time (InvalidArgumentError).
      predictions: floating tensor of scores in [0, 1]. Values outside [0, 1] (or NaN) are
        not clipped: the update fails at run time with InvalidArgumentError, as in
        ``tf.compat.v1.metrics.auc``.
      num_buckets: Python int >= 1, the number of equal-width score bins over [0, 1]. Pairs
        of a positive and a negative in one bin count 0.5, so the error shrinks with the bin
        width; memory is 2 * num_buckets float64 values.
      weights: optional non-negative tensor broadcastable to ``predictions`` (row weights).
      name: variable scope name (default ``'streaming_auc'``).
      metrics_collections, updates_collections: optional collections to add ``auc`` and
        ``update_op`` to, as in ``tf.compat.v1.metrics``.

    Returns:
      auc: float64 scalar tensor, the AUC of everything accumulated so far (NaN while one
        class has no weight yet).
      update_op: float64 scalar tensor that adds a batch to the counts and returns the AUC
        after it.

    The counts are local variables (collections LOCAL_VARIABLES and METRIC_VARIABLES):
    ``sess.run(tf.compat.v1.local_variables_initializer())`` resets them.

    Raises:
      ValueError: bad ``num_buckets``, or static shapes with different element counts.
      RuntimeError: called eagerly (build it inside a graph).
    """
    require_graph_mode("streaming_auc")
    if isinstance(num_buckets, bool) or not isinstance(num_buckets, int) or num_buckets < 1:
        raise ValueError(
            "streaming_auc: `num_buckets` must be a Python int >= 1; got %r." % (num_buckets,)
        )
    if num_buckets > 2**30:
        raise ValueError(
            "streaming_auc: `num_buckets` must be at most 2**30; got %d." % num_buckets
        )
    values = [labels, predictions] + ([] if weights is None else [weights])
    with tf.variable_scope(name, default_name="streaming_auc", values=values):
        labels = tf.convert_to_tensor(labels, name="labels")
        predictions = tf.convert_to_tensor(predictions, name="predictions")
        if not predictions.dtype.is_floating:
            raise ValueError(
                "streaming_auc: `predictions` must be a floating tensor; got dtype %s."
                % predictions.dtype.name
            )
        _check_sizes(labels, predictions)
        pos_counts = _metric_variable("pos_counts", num_buckets)
        neg_counts = _metric_variable("neg_counts", num_buckets)
        update = _update(labels, predictions, weights, num_buckets, pos_counts, neg_counts)
        auc_value = tf.identity(_auc_from_counts(pos_counts, neg_counts), name="value")
        with tf.control_dependencies(update):
            update_op = tf.identity(_auc_from_counts(pos_counts, neg_counts), name="update_op")
    for collection, tensor in ((metrics_collections, auc_value), (updates_collections, update_op)):
        for c in collection or ():
            tf.add_to_collection(c, tensor)
    return auc_value, update_op


def _check_sizes(labels, predictions):
    n_l, n_p = labels.shape.num_elements(), predictions.shape.num_elements()
    if n_l is not None and n_p is not None and n_l != n_p:
        raise ValueError(
            "streaming_auc: `labels` and `predictions` must have the same number of elements; "
            "got shapes %s and %s." % (labels.shape, predictions.shape)
        )


def _metric_variable(name, num_buckets):
    return tf.Variable(
        lambda: tf.zeros([num_buckets], dtype=tf.float64),
        trainable=False,
        collections=[tf.GraphKeys.LOCAL_VARIABLES, tf.GraphKeys.METRIC_VARIABLES],
        name=name,
        use_resource=True,
    )


def _update(labels, predictions, weights, num_buckets, pos_counts, neg_counts):
    """The scatter-adds of one batch (after the run-time input checks)."""
    p = tf.reshape(tf.cast(predictions, tf.float64), [-1])
    if labels.dtype == tf.bool:
        is_pos = tf.reshape(labels, [-1])
        label_ok = tf.constant(True)
    else:
        y = tf.reshape(labels, [-1])
        is_pos = tf.equal(y, tf.ones_like(y))
        label_ok = tf.reduce_all(tf.logical_or(is_pos, tf.equal(y, tf.zeros_like(y))))
    if weights is None:
        w = tf.ones_like(p)
    else:
        w = tf.cast(tf.convert_to_tensor(weights, name="weights"), tf.float64)
        w = tf.reshape(tf.broadcast_to(w, tf.shape(predictions)), [-1])
    checks = [
        tf.debugging.Assert(
            tf.equal(tf.size(is_pos), tf.size(p)),
            ["streaming_auc: `labels` and `predictions` differ in size:", tf.size(is_pos),
             tf.size(p)],
        ),
        tf.debugging.Assert(
            label_ok, ["streaming_auc: `labels` must contain only 0 and 1 (or booleans)."]
        ),
        tf.debugging.Assert(
            tf.reduce_all(tf.logical_and(p >= 0.0, p <= 1.0)),
            ["streaming_auc: `predictions` must lie in [0, 1] (no NaN); got min/max",
             tf.reduce_min(p), tf.reduce_max(p)],
        ),
        tf.debugging.Assert(
            tf.reduce_all(w >= 0.0),
            ["streaming_auc: `weights` must be non-negative; got min", tf.reduce_min(w)],
        ),
    ]
    with tf.control_dependencies(checks):
        bucket = tf.cast(tf.floor(p * float(num_buckets)), tf.int64)
        bucket = tf.minimum(bucket, num_buckets - 1)  # p == 1.0 goes to the last bucket
        zero = tf.zeros_like(w)
        add_pos = tf.scatter_add(pos_counts, bucket, tf.where(is_pos, w, zero))
        add_neg = tf.scatter_add(neg_counts, bucket, tf.where(is_pos, zero, w))
    return [add_pos, add_neg]


def _auc_from_counts(pos_counts, neg_counts):
    """AUC from per-bucket counts in increasing score order, ties in a bucket counted 0.5."""
    pos = pos_counts.read_value()
    neg = neg_counts.read_value()
    neg_below = tf.cumsum(neg, exclusive=True)
    u = tf.reduce_sum(pos * (neg_below + 0.5 * neg))
    return u / (tf.reduce_sum(pos) * tf.reduce_sum(neg))
