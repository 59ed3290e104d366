"""The import paths of ``tensorflow.contrib`` that ``install(contrib=True)`` serves: one row per path.

``CONTRIB_PATHS`` maps a ``tensorflow.contrib`` module path (and everything below it) to the
tf1_recsys module that provides it; the longest matching row wins (``tf1_recsys.compat.module_aliases``).
TF 1.x code imported both the public package (``from tensorflow.contrib import layers``) and the
files behind it (``from tensorflow.contrib.layers.python.layers import batch_norm``); the deep
rows map those files. A row whose target module is not installed is skipped: its path raises
``ModuleNotFoundError`` as on TensorFlow 2, and nothing else fails. Adding a module is one row.
"""
from tf1_recsys.compat.module_aliases import ModuleAliases

_C = "tf1_recsys.compat.contrib"
_DATA_FILES = ("batching", "error_ops", "grouping", "interleave_ops", "readers", "resampling", "scan_ops",
               "shuffle_ops", "sliding", "get_single_element", "enumerate_ops", "unique", "counter",
               "prefetching_ops", "stats_ops", "threadpool")

CONTRIB_PATHS = {
    "tensorflow.contrib": _C,
    "tensorflow.compat.v1.contrib": _C,
    "tensorflow.contrib.layers.python.layers": _C + ".layers",
    "tensorflow.contrib.layers.python.layers.encoders": _C + ".layers.layers",
    "tensorflow.contrib.framework.python.ops": _C + ".framework",
    "tensorflow.contrib.opt.python.training": _C + ".opt",
    "tensorflow.contrib.opt.python.training.lazy_adam_optimizer": "tf1_recsys.training.lazy_adam",
    "tensorflow.contrib.seq2seq.python.ops.loss": _C + ".seq2seq",
    "tensorflow.contrib.legacy_seq2seq.python.ops.seq2seq": _C + ".legacy_seq2seq",
    "tensorflow.contrib.training.python.training.hparam": _C + ".training",
    "tensorflow.contrib.rnn.python.ops": _C + ".rnn",
    "tensorflow.contrib.rnn.python.ops.rnn_cell": _C + ".rnn",
    "tensorflow.contrib.rnn.python.ops.lstm_ops": _C + ".rnn.block_cells",
    "tensorflow.contrib.rnn.python.ops.gru_ops": _C + ".rnn.block_cells",
    "tensorflow.contrib.rnn.python.ops.core_rnn_cell": "tf1_recsys.compat.rnn_cell.linear",  # _Linear
    "tensorflow.contrib.estimator.python.estimator": _C + ".estimator",
}
CONTRIB_PATHS.update({"tensorflow.contrib.data.python.ops." + name: _C + ".data" for name in _DATA_FILES})

CONTRIB_ALIASES = ModuleAliases(CONTRIB_PATHS)
"""The finder ``install(contrib=True)`` puts on ``sys.meta_path`` and ``uninstall()`` removes."""

__all__ = ["CONTRIB_PATHS", "CONTRIB_ALIASES"]
