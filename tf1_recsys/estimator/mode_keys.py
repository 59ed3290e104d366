"""``ModeKeys``: the three modes a ``model_fn`` is called in, spelled as ``tf.estimator.ModeKeys``."""


class ModeKeys:
    """Standard names for the ``mode`` argument of a ``model_fn``.

    The values are the strings ``tf.estimator.ModeKeys`` used, so a ``model_fn`` that
    compares ``mode == 'train'`` keeps working.
    """

    TRAIN = "train"
    EVAL = "eval"
    PREDICT = "infer"

    ALL = (TRAIN, EVAL, PREDICT)


__all__ = ["ModeKeys"]
