"""``MultiHead`` (``tf.estimator.MultiHead``): several named heads over one network, losses summed."""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import multi_head as v1


class MultiHead(v1._MultiHead):
    """The V1 multi-head's merging (losses, metrics, ``(head name, key)`` predictions, signatures), V2 arguments.

    ``create_estimator_spec`` also takes ``trainable_variables``, ``update_ops`` and
    ``regularization_losses``, handed to the sub-heads' V2 interface as TensorFlow does.
    """

    def __init__(self, heads, head_weights=None):
        v1.multi_head(heads, head_weights)  # TF's argument checks
        super().__init__(heads, head_weights)

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        if optimizer is not None and trainable_variables is not None:
            optimizer = _VarListOptimizer(optimizer, trainable_variables)
        spec = super().create_estimator_spec(features, mode, logits, labels, optimizer, train_op_fn,
                                             regularization_losses=regularization_losses)
        if update_ops and spec.train_op is not None:
            spec = spec._replace(train_op=tf.group(spec.train_op, *update_ops))
        return spec


class _VarListOptimizer(object):
    """``optimizer`` whose ``minimize`` is restricted to ``var_list``."""

    def __init__(self, optimizer, var_list):
        self._optimizer, self._var_list = optimizer, list(var_list)

    def minimize(self, loss, global_step=None):
        return self._optimizer.minimize(loss, global_step=global_step, var_list=self._var_list)


__all__ = ["MultiHead"]
