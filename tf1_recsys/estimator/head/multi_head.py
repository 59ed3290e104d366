"""``MultiHead`` (``tf.estimator.MultiHead``): several named heads over one network, losses summed."""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned import multi_head as v1
from tf1_recsys.estimator.head.base_head import validate_optimizer
from tf1_recsys.estimator.mode_keys import ModeKeys


class MultiHead(v1._MultiHead):
    """The V1 multi-head's merging (losses, metrics, ``(head name, key)`` predictions, signatures), V2 arguments.

    ``create_estimator_spec`` also takes ``trainable_variables``, ``update_ops`` and
    ``regularization_losses``, handed to the sub-heads' V2 interface as TensorFlow does.
    """

    def __init__(self, heads, head_weights=None):
        v1.multi_head(heads, head_weights)  # TF's argument checks
        super().__init__(heads, head_weights)

    @property
    def loss_reduction(self):
        """The heads' common ``loss_reduction``; ValueError (tf.estimator's) when they differ."""
        reductions = [head.loss_reduction for head in self._heads]
        if len(set(reductions)) > 1:
            raise ValueError("The loss_reduction must be the same for different heads. Given: {}".format(reductions))
        return reductions[0]

    def _checked_logits(self, logits, labels=None):
        """{head name: logits} (split when a tensor), after checking the heads named in ``logits`` / ``labels``."""
        names = [head.name for head in self._heads]
        if isinstance(logits, dict):
            missing = list(set(names) - set(logits))
            if missing:
                raise ValueError("logits has missing values for head(s): {}".format(missing))
        if labels is not None:
            if not isinstance(labels, dict):
                raise ValueError("labels must be a dict. Given: {}".format(labels))
            missing = list(set(names) - set(labels))
            if missing:
                raise ValueError("labels has missing values for head(s): {}".format(missing))
        return self._logits_by_head(logits)

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        """The sum of the heads' training losses (each times its head weight) plus ``regularization_losses``."""
        logits = self._checked_logits(logits, labels)
        losses = [head.loss(labels[head.name], logits[head.name], features=features, mode=mode)
                  for head in self._heads]
        return v1._merge_losses(losses, self._head_weights, regularization_losses or ())

    def predictions(self, logits, keys=None):
        """Every head's predictions, keyed ``(head name, key)``; ``keys`` as in ``tf.estimator.MultiHead``."""
        del keys  # tf.estimator's MultiHead ignores them too
        logits = self._checked_logits(logits)
        with tf.name_scope("merge_pred"):
            return {(head.name, key): value for head in self._heads
                    for key, value in head.predictions(logits[head.name]).items()}

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        if mode == ModeKeys.TRAIN:
            self.loss_reduction  # the heads' reductions must agree to train, as in tf.estimator
        if optimizer is not None and train_op_fn is None:
            validate_optimizer(optimizer, trainable_variables)
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
