"""``NanLossDuringTrainingError``: training stopped at a loss or a variable that is not finite."""
from tf1_recsys._tf import tf

NAN_ADVICE = ("try a smaller learning rate, gradient clipping (TrainConfig.clip_norm) or another "
              "optimizer")


class NanLossDuringTrainingError(tf.train.NanLossDuringTrainingError):
    """The loss (or a variable to be saved) is not finite; the message says where and what to try.

    A subclass of TensorFlow's own ``tf.compat.v1.train.NanLossDuringTrainingError``.

    Attributes:
      step: the global step whose loss (or state) was not finite, when known.
      checkpoint: the latest checkpoint, the last finite state (None when there is none).
    """

    def __init__(self, message, step=None, checkpoint=None):
        super().__init__()
        self.message = message
        self.step = step
        self.checkpoint = checkpoint

    def __str__(self):
        return self.message


def listed(names, limit=3):
    """``'a, b, c ...'``: the first ``limit`` names, and an ellipsis when there are more."""
    return ", ".join(names[:limit]) + (" ..." if len(names) > limit else "")


def loss_not_finite(loss, step, where, checkpoint):
    """The error for a NaN or infinite training loss at global step ``step``.

    ``where``: ``' in <model_dir>'`` or ``''``; ``checkpoint``: the latest checkpoint or None.
    """
    return NanLossDuringTrainingError(
        "the training loss is %s at global step %d; stopped without saving, so the latest checkpoint%s is "
        "the last finite state (%s)." % (loss, step, where, NAN_ADVICE), step=step, checkpoint=checkpoint)


def state_not_finite(step, bad, where, checkpoint):
    """The error for a save refused at global step ``step`` because the variables ``bad`` are not finite."""
    return NanLossDuringTrainingError(
        "not saving step %d: variables %s are not finite; the latest checkpoint%s is the last finite state "
        "(%s)." % (step, listed(bad), where, NAN_ADVICE), step=int(step), checkpoint=checkpoint)


def nonfinite_flags(variables):
    """``{name: scalar bool tensor}``, True where a float variable of ``variables`` holds a NaN or an inf."""
    return {v.op.name: tf.logical_not(tf.reduce_all(tf.is_finite(v)))
            for v in variables if v.dtype.base_dtype.is_floating}


def nonfinite_names(session, flags):
    """The sorted names of the variables whose ``nonfinite_flags`` are True in ``session``."""
    return sorted(name for name, bad in session.run(flags).items() if bad)


__all__ = ["NanLossDuringTrainingError", "NAN_ADVICE", "listed", "loss_not_finite", "state_not_finite",
           "nonfinite_flags", "nonfinite_names"]
