"""``tf.contrib.seq2seq.sequence_loss``: weighted cross-entropy of a sequence of logits (TF 1.15).

Not provided: the rest of ``tf.contrib.seq2seq`` (decoders, attention wrappers, beam search,
helpers); ``tensorflow_addons.seq2seq`` had them for TensorFlow 2.
"""
from tf1_recsys._tf import shape_str, tf


def sequence_loss(logits, targets, weights, average_across_timesteps=True, average_across_batch=True,
                  sum_over_timesteps=False, sum_over_batch=False, softmax_loss_function=None, name=None):
    """Cross-entropy of ``logits`` against ``targets`` weighted by ``weights``, reduced as asked.

    Args:
      logits: float [batch, time, classes].
      targets: int [batch, time].
      weights: float [batch, time]; 0 masks a step out.
      average_across_timesteps / average_across_batch: sum over that axis and divide by the sum of
        the weights over it.
      sum_over_timesteps / sum_over_batch: sum over that axis and divide by the number of non-zero
        weights over it. Each cannot be True together with its ``average_across_*``.
      softmax_loss_function: ``f(labels=[n] ints, logits=[n, classes]) -> [n]`` instead of sparse
        softmax cross-entropy.
      name: name scope, default 'sequence_loss'.

    Returns:
      A scalar (both axes reduced, the default), [time] (only the batch), [batch] (only time) or
      [batch, time]. A division by zero weights gives 0.

    Raises:
      ValueError: a rank is wrong, or both reductions of an axis are asked for.
    """
    for arg, value, rank, what in (("logits", logits, 3, "[batch_size x sequence_length x logits]"),
                                   ("targets", targets, 2, "[batch_size x sequence_length]"),
                                   ("weights", weights, 2, "[batch_size x sequence_length]")):
        if len(value.get_shape()) != rank:
            raise ValueError("%s must be a %s tensor; got shape %s."
                             % (arg.capitalize(), what, shape_str(value)))
    if average_across_timesteps and sum_over_timesteps:
        raise ValueError("average_across_timesteps and sum_over_timesteps cannot be set to True at same time.")
    if average_across_batch and sum_over_batch:
        raise ValueError("average_across_batch and sum_over_batch cannot be set to True at same time.")
    with tf.name_scope(name, "sequence_loss", [logits, targets, weights]):
        flat_logits = tf.reshape(logits, [-1, tf.shape(logits)[2]])
        flat_targets = tf.reshape(targets, [-1])
        if softmax_loss_function is None:
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=flat_targets, logits=flat_logits)
        else:
            losses = softmax_loss_function(labels=flat_targets, logits=flat_logits)
        losses *= tf.reshape(weights, [-1])

        def nonzero(axis=None):
            return tf.cast(tf.count_nonzero(weights, axis=axis), losses.dtype)

        if average_across_timesteps and average_across_batch:
            return tf.div_no_nan(tf.reduce_sum(losses), tf.reduce_sum(weights))
        if sum_over_timesteps and sum_over_batch:
            return tf.div_no_nan(tf.reduce_sum(losses), nonzero())
        losses = tf.reshape(losses, tf.shape(logits)[0:2])
        if average_across_timesteps or average_across_batch:
            axis = [0] if average_across_batch else [1]
            return tf.div_no_nan(tf.reduce_sum(losses, axis=axis), tf.reduce_sum(weights, axis=axis))
        if sum_over_timesteps or sum_over_batch:
            axis = [0] if sum_over_batch else [1]
            return tf.div_no_nan(tf.reduce_sum(losses, axis=axis), nonzero(axis))
        return losses


__all__ = ["sequence_loss"]
