"""AUC and group AUC: the notes' three functions, an exact fast ``auc``, ``gauc`` and a
TensorFlow ``streaming_auc``.

Importing this package does not import TensorFlow (a CLI uses it to score files); only
``streaming_auc`` needs TensorFlow and is loaded, with ``tf1_recsys.metrics.streaming``, on
first access.

Public API:
  auc(labels, scores, sample_weight=None) -> float
  gauc(labels, scores, groups, weighting='impressions', sample_weight=None) -> GAUCResult
  GAUCResult(gauc, groups_used, groups_skipped)
  get_auc(y_labels, y_scores, sample_weight=None) -> float            (scikit-learn)
  calcAUC_byProb(labels, probs, sample_weight=None) -> float          (alias calculate_auc_func1)
  calculate_auc_func2(y_labels, y_scores, ties='average', sample_weight=None) -> float
  streaming_auc(labels, predictions, num_buckets=..., weights=None, name=None)
      -> (auc_tensor, update_op)                                      (TensorFlow graphs)
"""
from tf1_recsys._lazy import lazy_exports
from tf1_recsys.metrics.auc import auc
from tf1_recsys.metrics.gauc import GAUCResult, gauc
from tf1_recsys.metrics.notes import (
    calcAUC_byProb,
    calculate_auc_func1,
    calculate_auc_func2,
    get_auc,
)

__all__ = [
    "auc",
    "gauc",
    "GAUCResult",
    "get_auc",
    "calcAUC_byProb",
    "calculate_auc_func1",
    "calculate_auc_func2",
    "streaming_auc",
]

__getattr__, __dir__ = lazy_exports(__name__, {"streaming_auc": "streaming"})
