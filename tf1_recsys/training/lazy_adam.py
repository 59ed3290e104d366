"""``LazyAdamOptimizer``: Adam whose sparse updates touch only the rows in the gradient.

``tf.compat.v1.train.AdamOptimizer`` applies an ``IndexedSlices`` gradient (an embedding
lookup's) by decaying its ``m`` and ``v`` slots over the whole variable and then adding
into the looked-up rows, so a step costs O(vocabulary) however few rows the batch reads.
``LazyAdamOptimizer`` is the replacement of the removed ``tf.contrib.opt.LazyAdamOptimizer``:
for a sparse gradient with (summed, de-duplicated) row indices ``i`` and values ``g``::

    lr_t    = learning_rate * sqrt(1 - beta2^t) / (1 - beta1^t)
    m[i]    = beta1 * m[i] + (1 - beta1) * g
    v[i]    = beta2 * v[i] + (1 - beta2) * g * g
    var[i] -= lr_t * m[i] / (sqrt(v[i]) + epsilon)

and rows not in ``i`` keep their value and both moments unchanged. A row that is read once
every k steps therefore keeps the momentum of its last update instead of the decayed one;
that is the trade-off of every lazy Adam. Dense gradients are applied exactly as by
``AdamOptimizer`` (same kernel).

Everything else is ``AdamOptimizer``'s: the constructor, the slot names (``<var>/Adam`` for
``m``, ``<var>/Adam_1`` for ``v``) and the ``beta1_power`` / ``beta2_power`` non-slot
variables, so a checkpoint written with one optimizer restores into the other. Works on
ref and resource variables and per partition of a partitioned variable (each partition gets
the rows of its own shard); slots are colocated with their variable as under
``replica_device_setter``.
"""
from tf1_recsys._tf import tf


class LazyAdamOptimizer(tf.train.AdamOptimizer):
    """Adam with lazy (touched-rows-only) sparse updates; see the module docstring.

    The constructor is ``AdamOptimizer``'s (same arguments, positional order and
    defaults, ``name='Adam'``), so slot variables are named as ``AdamOptimizer``'s.
    """

    def _lazy_update(self, values, var, indices):
        """Updates rows ``indices`` (unique) of ``var`` and of its ``m``, ``v`` slots.

        ``values``: ``[len(indices)] + var.shape[1:]``. ``tf.compat.v1.scatter_*`` take
        ref and resource variables alike.
        """
        dtype = var.dtype.base_dtype
        beta1_power, beta2_power = self._get_beta_accumulators()
        beta1_power = tf.cast(beta1_power, dtype)
        beta2_power = tf.cast(beta2_power, dtype)
        lr = tf.cast(self._lr_t, dtype)
        beta1 = tf.cast(self._beta1_t, dtype)
        beta2 = tf.cast(self._beta2_t, dtype)
        epsilon = tf.cast(self._epsilon_t, dtype)
        lr = lr * tf.sqrt(1 - beta2_power) / (1 - beta1_power)

        m = self.get_slot(var, "m")
        v = self.get_slot(var, "v")
        m_rows = beta1 * tf.gather(m, indices) + (1 - beta1) * values
        v_rows = beta2 * tf.gather(v, indices) + (1 - beta2) * tf.square(values)
        step = lr * m_rows / (tf.sqrt(v_rows) + epsilon)
        locking = self._use_locking
        return tf.group(
            tf.scatter_sub(var, indices, step, use_locking=locking),
            tf.scatter_update(m, indices, m_rows, use_locking=locking),
            tf.scatter_update(v, indices, v_rows, use_locking=locking),
        )

    def _apply_sparse(self, grad, var):
        # Indices are unique here: Optimizer._apply_sparse_duplicate_indices sums repeats.
        return self._lazy_update(grad.values, var, grad.indices)

    def _resource_apply_sparse(self, grad, var, indices):
        # Unique too: Optimizer._resource_apply_sparse_duplicate_indices sums repeats.
        return self._lazy_update(grad, var, indices)


__all__ = ["LazyAdamOptimizer"]
