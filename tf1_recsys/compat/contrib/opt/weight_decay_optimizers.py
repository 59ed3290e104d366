"""Decoupled weight decay (Loshchilov & Hutter), as ``tf.contrib.opt`` had it in TF 1.15.

Each step first shrinks every decayed variable, ``var -= weight_decay * var``, and then applies the
base optimizer's update computed from the same gradients; for a sparse gradient only the rows in
it are shrunk. ``weight_decay`` is not multiplied by the learning rate: schedule both yourself
(a callable ``weight_decay`` is called when the update is built). ``minimize`` and
``apply_gradients`` take ``decay_var_list``: only those variables decay (default: all updated).
Slot and non-slot variables are the base optimizer's, so checkpoints move between e.g.
``AdamWOptimizer`` and ``AdamOptimizer``.

Two differences from TF 1.15, both fixes: ``minimize(decay_var_list=...)`` is honoured (TF 1.15's
``minimize`` lost it when it called ``apply_gradients``, so every variable decayed), and the decay
waits for all gradients (in TF 1.15 nothing ordered it after the forward pass's reads, so a
gradient could be computed from already-decayed weights).
"""
from tf1_recsys._tf import tf


class DecoupledWeightDecayExtension(object):
    """Mixin adding decoupled weight decay to a ``tf.compat.v1.train.Optimizer``; list it first:
    ``class MyW(DecoupledWeightDecayExtension, tf.train.MomentumOptimizer)``, whose constructor then
    takes ``weight_decay`` first and the base optimizer's arguments after it."""

    def __init__(self, weight_decay, *args, **kwargs):
        self._decay_var_list = None
        self._weight_decay = weight_decay
        self._weight_decay_tensor = None
        self._gradients = []
        super(DecoupledWeightDecayExtension, self).__init__(*args, **kwargs)

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=tf.train.Optimizer.GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None, grad_loss=None,
                 decay_var_list=None):
        """``Optimizer.minimize``; only ``decay_var_list`` (default: every updated variable) decays."""
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients, aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name,
                                    decay_var_list=decay_var_list)

    def apply_gradients(self, grads_and_vars, global_step=None, name=None, decay_var_list=None):
        """``Optimizer.apply_gradients``; only ``decay_var_list`` (default: every updated variable) decays."""
        grads_and_vars = list(grads_and_vars)
        self._decay_var_list = set(decay_var_list) if decay_var_list else False
        # Every decay waits for every gradient, so no gradient is computed from a decayed value.
        self._gradients = [g.values if isinstance(g, tf.IndexedSlices) else g for g, _ in grads_and_vars
                           if g is not None]
        return super(DecoupledWeightDecayExtension, self).apply_gradients(
            grads_and_vars, global_step=global_step, name=name)

    def _prepare(self):
        weight_decay = self._weight_decay() if callable(self._weight_decay) else self._weight_decay
        self._weight_decay_tensor = tf.convert_to_tensor(weight_decay, name="weight_decay")
        super(DecoupledWeightDecayExtension, self)._prepare()

    def _decays(self, var):
        return not self._decay_var_list or var in self._decay_var_list

    def _decay_weights_op(self, var):
        if not self._decays(var):
            return tf.no_op()
        decay = tf.cast(self._weight_decay_tensor, var.dtype.base_dtype)
        with tf.control_dependencies(self._gradients):
            return var.assign_sub(decay * var, self._use_locking)

    def _decay_weights_sparse_op(self, var, indices, scatter_add):
        if not self._decays(var):
            return tf.no_op()
        decay = tf.cast(self._weight_decay_tensor, var.dtype.base_dtype)
        with tf.control_dependencies(self._gradients):
            return scatter_add(var, indices, -decay * tf.gather(var, indices), self._use_locking)

    def _apply_dense(self, grad, var):
        with tf.control_dependencies([self._decay_weights_op(var)]):
            return super(DecoupledWeightDecayExtension, self)._apply_dense(grad, var)

    def _resource_apply_dense(self, grad, var):
        with tf.control_dependencies([self._decay_weights_op(var)]):
            return super(DecoupledWeightDecayExtension, self)._resource_apply_dense(grad, var)

    def _apply_sparse(self, grad, var):
        with tf.control_dependencies([self._decay_weights_sparse_op(var, grad.indices, tf.scatter_add)]):
            return super(DecoupledWeightDecayExtension, self)._apply_sparse(grad, var)

    def _resource_apply_sparse(self, grad, var, indices):
        with tf.control_dependencies([self._decay_weights_sparse_op(var, indices, tf.scatter_add)]):
            return super(DecoupledWeightDecayExtension, self)._resource_apply_sparse(grad, var, indices)


def extend_with_decoupled_weight_decay(base_optimizer):
    """A subclass of the optimizer class ``base_optimizer`` with decoupled weight decay; its constructor
    is ``(weight_decay, *args, **kwargs)``, the rest going to ``base_optimizer``."""

    class OptimizerWithDecoupledWeightDecay(DecoupledWeightDecayExtension, base_optimizer):
        def __init__(self, weight_decay, *args, **kwargs):
            super(OptimizerWithDecoupledWeightDecay, self).__init__(weight_decay, *args, **kwargs)

    OptimizerWithDecoupledWeightDecay.__name__ = base_optimizer.__name__ + "WithDecoupledWeightDecay"
    return OptimizerWithDecoupledWeightDecay


class MomentumWOptimizer(DecoupledWeightDecayExtension, tf.train.MomentumOptimizer):
    """``MomentumOptimizer`` with decoupled weight decay: ``var -= weight_decay * var`` then the momentum step."""

    def __init__(self, weight_decay, learning_rate, momentum, use_locking=False, name="MomentumW",
                 use_nesterov=False):
        super(MomentumWOptimizer, self).__init__(
            weight_decay, learning_rate=learning_rate, momentum=momentum, use_locking=use_locking, name=name,
            use_nesterov=use_nesterov)


class AdamWOptimizer(DecoupledWeightDecayExtension, tf.train.AdamOptimizer):
    """``AdamOptimizer`` with decoupled weight decay: ``var -= weight_decay * var`` then the Adam step."""

    def __init__(self, weight_decay, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 use_locking=False, name="AdamW"):
        super(AdamWOptimizer, self).__init__(
            weight_decay, learning_rate=learning_rate, beta1=beta1, beta2=beta2, epsilon=epsilon,
            use_locking=use_locking, name=name)


__all__ = ["DecoupledWeightDecayExtension", "extend_with_decoupled_weight_decay", "MomentumWOptimizer",
           "AdamWOptimizer"]
