"""``tf.contrib.legacy_seq2seq.sequence_loss`` and ``sequence_loss_by_example`` (TF 1.15): the losses
of the list-of-time-steps API, for code that unrolls with ``static_rnn``.

Not provided: the legacy model builders (``basic_rnn_seq2seq``, ``embedding_attention_seq2seq``,
``model_with_buckets``, ...).
"""
from tf1_recsys._tf import tf


def sequence_loss_by_example(logits, targets, weights, average_across_timesteps=True,
                             softmax_loss_function=None, name=None):
    """The weighted cross-entropy of each example, summed over time steps.

    Args:
      logits: list of T float tensors [batch, classes].
      targets: list of T int tensors [batch].
      weights: list of T float tensors [batch].
      average_across_timesteps: divide each example's sum by its total weight (+1e-12).
      softmax_loss_function: ``f(labels=[batch], logits=[batch, classes]) -> [batch]`` instead of
        sparse softmax cross-entropy.
      name: name scope, default 'sequence_loss_by_example'.

    Returns:
      A float tensor [batch].

    Raises:
      ValueError: the three lists differ in length.
    """
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError("Lengths of logits, weights, and targets must be the same %d, %d, %d."
                         % (len(logits), len(weights), len(targets)))
    with tf.name_scope(name, "sequence_loss_by_example", list(logits) + list(targets) + list(weights)):
        per_step = []
        for logit, target, weight in zip(logits, targets, weights):
            if softmax_loss_function is None:
                crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.reshape(target, [-1]),
                                                                          logits=logit)
            else:
                crossent = softmax_loss_function(labels=target, logits=logit)
            per_step.append(crossent * weight)
        total = tf.add_n(per_step)
        if average_across_timesteps:
            total /= tf.add_n(weights) + 1e-12  # no division by zero for all-zero weights
        return total


def sequence_loss(logits, targets, weights, average_across_timesteps=True, average_across_batch=True,
                  softmax_loss_function=None, name=None):
    """The sum over the batch of ``sequence_loss_by_example``, divided by the batch size when
    ``average_across_batch``: a scalar. Arguments as ``sequence_loss_by_example``; name scope
    default 'sequence_loss'."""
    with tf.name_scope(name, "sequence_loss", list(logits) + list(targets) + list(weights)):
        cost = tf.reduce_sum(sequence_loss_by_example(
            logits, targets, weights, average_across_timesteps=average_across_timesteps,
            softmax_loss_function=softmax_loss_function))
        if average_across_batch:
            return cost / tf.cast(tf.shape(targets[0])[0], cost.dtype)
        return cost


__all__ = ["sequence_loss", "sequence_loss_by_example"]
