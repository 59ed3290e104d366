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


__all__ = ["NanLossDuringTrainingError", "NAN_ADVICE", "listed"]
