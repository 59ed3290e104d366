"""``get_optimizer_instance``: a canned estimator's optimizer argument (name, instance or callable)."""
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


__all__ = ["get_optimizer_instance"]
