"""A canned estimator's optimizer argument (name, instance or callable) -> a ``tf.compat.v1.train.Optimizer``.

``get_optimizer_instance`` serves the V1 classes (``tf.compat.v1.estimator.*``);
``get_optimizer_instance_v2`` the V2 classes (``tf.estimator.*``), whose names mean TensorFlow's
legacy Keras optimizers: here the same updates and slot names, built from ``tf.compat.v1`` ops.
"""
from tf1_recsys._tf import tf

_OPTIMIZERS_BY_NAME = {
    "Adagrad": tf.train.AdagradOptimizer,
    "Adam": tf.train.AdamOptimizer,
    "Ftrl": tf.train.FtrlOptimizer,
    "RMSProp": tf.train.RMSPropOptimizer,
    "SGD": tf.train.GradientDescentOptimizer,
}


def get_optimizer_instance(opt, learning_rate=None):
    """A ``tf.compat.v1.train.Optimizer`` from ``opt``.

    Args:
      opt: an optimizer instance (returned as is); one of the names 'Adagrad', 'Adam',
        'Ftrl', 'RMSProp', 'SGD' (built with ``learning_rate``); or a callable without
        arguments returning an optimizer (called here, inside the ``model_fn``).
      learning_rate: float, needed when ``opt`` is a name.
    """
    if isinstance(opt, str):
        if opt not in _OPTIMIZERS_BY_NAME:
            raise ValueError("Unsupported optimizer name: {}. Supported names are: {}".format(
                opt, tuple(sorted(_OPTIMIZERS_BY_NAME))))
        if not learning_rate:
            raise ValueError("learning_rate must be specified when opt is string.")
        return _OPTIMIZERS_BY_NAME[opt](learning_rate=learning_rate)
    if callable(opt):
        opt = opt()
    if not isinstance(opt, tf.train.Optimizer):
        raise ValueError("The given object is not an Optimizer instance. Given: {}".format(opt))
    return opt


class _KerasVariables:
    """Keras' checkpoint layout: slots ``training/<Name>/<var>/<slot>``, hyperparameters ``training/<Name>/<hyper>``.

    The hyperparameters are float32 scalar variables, as Keras saves them; the update reads the
    learning rate from its variable (so a restored one is used), the others from the constructor.
    With ``own_iterations`` (the linear optimizer of Wide & Deep) also ``training/<Name>/iter``
    (int64, +1 per step), Keras' step counter where it is not the global step.
    """

    _keras_name = None
    own_iterations = False

    def _keras_hypers(self):
        raise NotImplementedError

    def _free_name(self):
        """``<Name>``, or ``<Name>_1``, ... when another optimizer of this graph holds ``training/<Name>``."""
        taken = {v.op.name.split("/")[1] for v in tf.global_variables() if v.op.name.startswith("training/")}
        name, index = self._keras_name, 0
        while name in taken:
            index += 1
            name = "%s_%d" % (self._keras_name, index)
        return name

    def _create_slots(self, var_list):
        with tf.variable_scope(tf.VariableScope(False, name=""), auxiliary_name_scope=False), \
                tf.variable_scope("training", auxiliary_name_scope=False), \
                tf.variable_scope(self._free_name(), auxiliary_name_scope=False):
            self._hyper_variables = {
                name: tf.get_variable(name, initializer=tf.constant(value, tf.float32), trainable=False,
                                      use_resource=True)
                for name, value in self._keras_hypers().items()}
            if self.own_iterations:
                self._iterations = tf.get_variable("iter", initializer=tf.constant(0, tf.int64), trainable=False,
                                                   use_resource=True)
            super()._create_slots(var_list)

    def _prepare(self):
        super()._prepare()
        self._learning_rate_tensor = self._hyper_variables["learning_rate"]

    def _finish(self, update_ops, name_scope):
        if self.own_iterations:  # after the updates: a step cut short by the input's end does not count
            with tf.control_dependencies(update_ops):
                update_ops = [self._iterations.assign_add(1).op]
        return super()._finish(update_ops, name_scope)


class _KerasAdagrad(_KerasVariables, tf.train.AdagradOptimizer):
    """Keras' legacy ``Adagrad``: accumulator starts at 0.1, ``var -= lr * g / (sqrt(acc) + epsilon)``.

    Its slot is ``training/Adagrad/<var>/accumulator``, the name Keras gives it in a checkpoint.
    """

    _keras_name = "Adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, use_locking=False,
                 name="accumulator"):
        super().__init__(learning_rate, initial_accumulator_value=initial_accumulator_value,
                         use_locking=use_locking, name=name)
        self._epsilon = epsilon

    def _keras_hypers(self):
        return {"learning_rate": self._learning_rate, "decay": 0.0}

    def _prepare(self):
        super()._prepare()
        self._epsilon_tensor = tf.convert_to_tensor(self._epsilon, name="epsilon")

    def _hypers(self, var):
        dtype = var.dtype.base_dtype
        return tf.cast(self._learning_rate_tensor, dtype), tf.cast(self._epsilon_tensor, dtype)

    def _resource_apply_dense(self, grad, var):
        lr, epsilon = self._hypers(var)
        return tf.raw_ops.ResourceApplyAdagradV2(var=var.handle, accum=self.get_slot(var, "accumulator").handle,
                                                 lr=lr, epsilon=epsilon, grad=grad, use_locking=self._use_locking)

    def _resource_apply_sparse(self, grad, var, indices):
        lr, epsilon = self._hypers(var)
        return tf.raw_ops.ResourceSparseApplyAdagradV2(
            var=var.handle, accum=self.get_slot(var, "accumulator").handle, lr=lr, epsilon=epsilon, grad=grad,
            indices=indices, use_locking=self._use_locking)

    def _apply_dense(self, grad, var):
        raise NotImplementedError("tf1_recsys' Keras-style Adagrad updates resource variables only.")

    _apply_sparse = _apply_dense


class _KerasFtrl(_KerasVariables, tf.train.FtrlOptimizer):
    """Keras' legacy ``Ftrl`` (beta 0, so the v1 Ftrl update), slots ``training/Ftrl/<var>/accumulator`` and
    ``.../linear``."""

    _keras_name = "Ftrl"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1):
        super().__init__(learning_rate, initial_accumulator_value=initial_accumulator_value,
                         accum_name="accumulator", linear_name="linear")

    def _keras_hypers(self):
        return {"learning_rate": self._learning_rate, "decay": 0.0, "learning_rate_power": -0.5,
                "l1_regularization_strength": 0.0, "l2_regularization_strength": 0.0, "beta": 0.0}


class _KerasSGD(_KerasVariables, tf.train.GradientDescentOptimizer):
    """Keras' legacy ``SGD`` without momentum: the v1 update, Keras' hyperparameter variables."""

    _keras_name = "SGD"

    def __init__(self, learning_rate=0.01):
        super().__init__(learning_rate)

    def _keras_hypers(self):
        return {"learning_rate": self._learning_rate, "decay": 0.0, "momentum": 0.0}


# tf.estimator's V2 names, as Keras' legacy optimizers with their default learning rates.
# Adam (epsilon 1e-7) and RMSProp (rho 0.9, epsilon 1e-7) keep the v1 slot names and RMSProp
# the v1 update (docs/MIGRATION.md).
_OPTIMIZERS_V2_BY_NAME = {
    "Adagrad": _KerasAdagrad,
    "Adam": lambda learning_rate=0.001: tf.train.AdamOptimizer(learning_rate, epsilon=1e-7),
    "Ftrl": _KerasFtrl,
    "RMSProp": lambda learning_rate=0.001: tf.train.RMSPropOptimizer(learning_rate, decay=0.9, epsilon=1e-7),
    "SGD": _KerasSGD,
}


def get_optimizer_instance_v2(opt, learning_rate=None):
    """What tf.estimator's V2 classes make of ``opt``, as a ``tf.compat.v1.train.Optimizer``.

    Args:
      opt: a name ('Adagrad', 'Adam', 'Ftrl', 'RMSProp', 'SGD': Keras' update, built with
        ``learning_rate`` or, when that is None, Keras' default learning rate), a
        ``tf.compat.v1.train.Optimizer``, or a callable without arguments returning one.
        Keras optimizer instances are not accepted (tf1_recsys never imports Keras).
      learning_rate: float or None.
    """
    if isinstance(opt, str):
        if opt not in _OPTIMIZERS_V2_BY_NAME:
            raise ValueError("Unsupported optimizer name: {}. Supported names are: {}".format(
                opt, tuple(sorted(_OPTIMIZERS_V2_BY_NAME))))
        build = _OPTIMIZERS_V2_BY_NAME[opt]
        return build(learning_rate=learning_rate) if learning_rate else build()
    if callable(opt) and not isinstance(opt, tf.train.Optimizer):
        opt = opt()
    if not isinstance(opt, tf.train.Optimizer):
        raise ValueError("The given object is not a tf.compat.v1.train.Optimizer instance (tf1_recsys has no Keras "
                         "optimizers). Given: {}".format(opt))
    return opt


def v2_optimizer_fn(opt, learning_rate=None, own_iterations=False):
    """A callable for the shared V1 ``model_fn``s that builds ``get_optimizer_instance_v2(opt, learning_rate)``.

    Called inside the ``model_fn``, so that each graph gets its own optimizer. ``own_iterations``:
    a Keras-style optimizer keeps its own step counter (``training/<Name>/iter``).
    """
    def build():
        optimizer = get_optimizer_instance_v2(opt, learning_rate)
        if own_iterations and isinstance(optimizer, _KerasVariables):
            optimizer.own_iterations = True
        return optimizer

    return build


__all__ = ["get_optimizer_instance", "get_optimizer_instance_v2", "v2_optimizer_fn"]
