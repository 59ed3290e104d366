"""``tf.contrib.opt.NadamOptimizer``: Adam with Nesterov momentum (Dozat, 2015), as in TF 1.15.

With ``lr_t = learning_rate * sqrt(1 - beta2^t) / (1 - beta1^t)`` each step is::

    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    var -= lr_t * (beta1 * m + (1 - beta1) * g) / (sqrt(v) + epsilon)

Dense gradients run TensorFlow's Adam kernel with ``use_nesterov=True``. A sparse gradient decays
``m`` and ``v`` over the whole variable and updates only its rows of ``var`` (as TF 1.15 did; not
lazy). Slots and ``beta1_power`` / ``beta2_power`` are ``AdamOptimizer``'s, and the default name is
TF 1.15's ``'Adam'``, so checkpoints move between the two.
"""
from tf1_recsys._tf import tf


class NadamOptimizer(tf.train.AdamOptimizer):
    """``AdamOptimizer`` with Nesterov momentum; the constructor is ``AdamOptimizer``'s."""

    def _adam_args(self, dtype):
        beta1_power, beta2_power = self._get_beta_accumulators()
        return [tf.cast(t, dtype) for t in (beta1_power, beta2_power, self._lr_t, self._beta1_t, self._beta2_t,
                                            self._epsilon_t)]

    def _apply_dense(self, grad, var):
        b1p, b2p, lr, b1, b2, eps = self._adam_args(var.dtype.base_dtype)
        return tf.raw_ops.ApplyAdam(var=var, m=self.get_slot(var, "m"), v=self.get_slot(var, "v"), beta1_power=b1p,
                                    beta2_power=b2p, lr=lr, beta1=b1, beta2=b2, epsilon=eps, grad=grad,
                                    use_locking=self._use_locking, use_nesterov=True).op

    def _resource_apply_dense(self, grad, var):
        b1p, b2p, lr, b1, b2, eps = self._adam_args(grad.dtype.base_dtype)
        return tf.raw_ops.ResourceApplyAdam(
            var=var.handle, m=self.get_slot(var, "m").handle, v=self.get_slot(var, "v").handle, beta1_power=b1p,
            beta2_power=b2p, lr=lr, beta1=b1, beta2=b2, epsilon=eps, grad=grad, use_locking=self._use_locking,
            use_nesterov=True)

    def _apply_sparse_shared(self, grad, var, indices, scatter_add):
        b1p, b2p, lr, b1, b2, eps = self._adam_args(var.dtype.base_dtype)
        lr = lr * tf.sqrt(1 - b2p) / (1 - b1p)
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_rows_from_g = (1 - b1) * grad
        with tf.control_dependencies([tf.assign(m, m * b1, use_locking=self._use_locking)]):
            m_t = scatter_add(m, indices, m_rows_from_g)
            m_bar = m_rows_from_g + b1 * tf.gather(m_t, indices)
        with tf.control_dependencies([tf.assign(v, v * b2, use_locking=self._use_locking)]):
            v_t = scatter_add(v, indices, (1 - b2) * grad * grad)
        step = lr * m_bar / (tf.sqrt(tf.gather(v_t, indices)) + eps)
        return tf.group(scatter_add(var, indices, -step), m_bar, v_t)


__all__ = ["NadamOptimizer"]
