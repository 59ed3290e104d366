"""Data for the reference models (no TensorFlow import).

* ``schema``: ``Feature`` / ``Schema``, the layout of a data dict ``name -> np.ndarray``.
* ``synthetic``: ``generate(...)``, the embedded seeded CTR generator with known click
  probabilities and its Bayes-optimal AUC.
* ``movielens``: ``load_movielens(path)``, ml-latest-small split by time without look-ahead.
* ``csvio``: CSV reading with file:line errors; ``read_scores`` / ``write_scores``.
"""
from tf1_recsys.data.csvio import DataError, read_scores, write_scores
from tf1_recsys.data.movielens import MovieLensData, load_movielens
from tf1_recsys.data.schema import Feature, Schema, num_rows, take
from tf1_recsys.data.synthetic import UNUSED_FEATURES, SyntheticConfig, SyntheticData, generate

__all__ = [
    "DataError", "read_scores", "write_scores", "MovieLensData", "load_movielens", "Feature", "Schema",
    "num_rows", "take", "UNUSED_FEATURES", "SyntheticConfig", "SyntheticData", "generate",
]
