"""Dice, the data-adaptive activation of Deep Interest Network (Zhou et al., 2018)."""
from tf1_recsys._tf import (
    as_float_tensor,
    check_rank,
    check_training,
    require_graph_mode,
    static_last_dim,
    tf,
)
from tf1_recsys.layers.core import get_variable_in_scope, xavier_initializer
from tf1_recsys.compat.layers.normalization import BatchNormalization
from tf1_recsys.layers.normalization import batch_normalization


def dice(x, name="", training=False, momentum=0.99, epsilon=1e-3, alpha_initializer=None, weights=None):
    """Dice: ``alpha * (1 - p) * x + p * x`` with ``p = sigmoid(batch_norm(x))``.

    Creates, in the current variable scope, exactly the notes' variables:
    ``dice_alpha<name>`` of shape [C] and ``dice_norm<name>/{gamma, beta, moving_mean,
    moving_variance}`` of shape [C], where C is the last dimension of ``x``.

    The notes' Dice calls ``tf.layers.batch_normalization`` without ``training``, so it
    always normalises with moving statistics that are never updated. Here
    ``training=True`` normalises with the batch statistics and adds the moving-average
    updates to ``tf.compat.v1.GraphKeys.UPDATE_OPS``; ``training=False`` (the default,
    and the notes' behaviour) uses the moving statistics.

    Args:
      x: float tensor [..., C], rank >= 2, C known. The batch dimension may be None.
      name: suffix of the variable names, as in the notes.
      training: Python bool or scalar bool tensor.
      momentum: decay of the moving statistics (the notes' ``mom_decay_rate``).
      epsilon: batch-norm epsilon; 1e-3 is the ``tf.layers.batch_normalization`` default.
      alpha_initializer: default Xavier (Glorot uniform), as the notes.
      weights: None (default: every row of ``x`` counts once in the batch statistics), or
        float [...], ``x``'s shape without C: the frequency weight of each row in the batch
        mean and variance (``tf.nn.weighted_moments``), e.g. a count w for a row that stands
        for w equal rows of a larger batch. The moving statistics move towards these moments.

    Returns:
      A tensor of the shape of ``x``.
    """
    fn = "dice"
    require_graph_mode(fn)
    x = as_float_tensor(fn, "x", x)
    check_rank(fn, "x", x, min_rank=2)
    channels = static_last_dim(fn, "x", x)
    training = check_training(fn, training)
    if not isinstance(name, str):
        raise TypeError("%s: `name` must be a string suffix; got %r." % (fn, name))
    if alpha_initializer is None:
        alpha_initializer = xavier_initializer()
    alpha = get_variable_in_scope(
        fn, "dice_alpha" + name, shape=[channels], dtype=x.dtype, initializer=alpha_initializer
    )
    if weights is None:
        x_norm = batch_normalization(
            x, momentum=momentum, epsilon=epsilon, training=training, name="dice_norm" + name
        )
    else:  # the functional form above, with the layer's `mask` call argument as the weights
        norm = BatchNormalization(momentum=momentum, epsilon=epsilon, name="dice_norm" + name,
                                  _scope="dice_norm" + name)
        norm._functional_name = fn
        x_norm = norm(x, training=training, mask=weights)
    x_p = tf.nn.sigmoid(x_norm)
    return alpha * (1.0 - x_p) * x + x_p * x


__all__ = ["dice"]
