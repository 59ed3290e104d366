"""``ModelSpec``: what a model builder hands to training, evaluation and export."""
import dataclasses
from typing import Dict, Optional

from tf1_recsys._tf import tf


@dataclasses.dataclass
class ModelSpec:
    """A static graph built from placeholders.

    Attributes:
      inputs: feature placeholders by name; a numpy batch is fed as ``{inputs[k]: batch[k]}``.
      labels: label placeholders by task name (float32 [B], values 0/1).
      training: scalar bool ``placeholder_with_default(False, [])`` switching batch norm / Dice.
      logits: per-task logits [B] by task name.
      predictions: per-task probabilities ``sigmoid(logits)`` [B] by task name.
      loss: scalar training loss (sum of weighted task losses plus regularisation).
      sensitivity: optional ``(input_feas, embedding_size, rv_feas_len, feature_names)`` for
        ``tf1_recsys.sensitivity``: the tensors whose gradients rank the features.
      name: the model's name, e.g. 'din'.
    """

    inputs: Dict[str, tf.Tensor]
    labels: Dict[str, tf.Tensor]
    training: tf.Tensor
    logits: Dict[str, tf.Tensor]
    predictions: Dict[str, tf.Tensor]
    loss: tf.Tensor
    sensitivity: Optional[tuple] = None
    name: str = "model"

    @property
    def tasks(self):
        """Task names in a stable order."""
        return list(self.predictions)

    def feed(self, batch, training=False):
        """A feed_dict for a dict of numpy arrays keyed like ``inputs`` / ``labels``."""
        feed = {self.training: training}
        for key, tensor in list(self.inputs.items()) + list(self.labels.items()):
            if key in batch:
                feed[tensor] = batch[key]
        return feed
