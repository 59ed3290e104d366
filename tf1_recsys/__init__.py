"""tf1_recsys: TensorFlow-1-style recommendation blocks on TensorFlow 2.x.

Everything is built with ``tf.compat.v1`` (``variable_scope``, ``get_variable``,
placeholders, ``Session``) and never with Keras. Importing the package does not
import TensorFlow nor change any global TensorFlow state; the submodules that
build graphs import it when they are first used.
"""
import importlib.util as _importlib_util

from tf1_recsys.version import __version__

if _importlib_util.find_spec("tensorflow") is None:
    raise ImportError(
        "tf1_recsys needs TensorFlow 2.x, which is not installed. Install the "
        "extra that fits your machine: pip install 'tf1_recsys[cpu]' "
        "(tensorflow-cpu) or pip install 'tf1_recsys[gpu]' (tensorflow)."
    )

__all__ = ["__version__"]
