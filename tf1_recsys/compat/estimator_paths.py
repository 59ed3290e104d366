"""The import paths of ``tf.estimator``'s modules that ``install(estimator=True)`` serves: one row per path.

TF1 programs import the modules behind ``tf.estimator`` (``from tensorflow.python.estimator
import estimator``, ``from tensorflow_estimator.python.estimator.canned import head``,
``...export import export_lib``). ``ESTIMATOR_PATHS`` maps those trees to ``tf1_recsys.estimator``
(the longest matching row wins, ``tf1_recsys.compat.module_aliases``): a module of the same
name is found below ``tf1_recsys.estimator`` (``run_config``, ``training``, ``exporter``,
``canned.head``, ``head.*`` ...), a module we name differently has its own row. A path whose
module we do not have raises ``ModuleNotFoundError``.

Where a real ``tensorflow_estimator`` is installed (TensorFlow <= 2.15) it is never shadowed:
``install_estimator_paths()`` then does nothing and those paths stay TensorFlow's.
"""
import importlib.util

from tf1_recsys.compat.module_aliases import ModuleAliases

_E = "tf1_recsys.estimator"
_TREES = ("tensorflow.python.estimator", "tensorflow_estimator.python.estimator")
_RENAMED = {  # module of tensorflow_estimator.python.estimator -> ours
    "": _E,
    ".estimator_lib": _E,
    ".model_fn": _E + ".estimator_spec",
    ".export.export": _E + ".export",
    ".export.export_lib": _E + ".export",
    ".export.export_output": _E + ".export_output",
    ".inputs.inputs": _E + ".inputs",
    ".inputs.numpy_io": _E + ".inputs",
    ".inputs.pandas_io": _E + ".pandas_io",
    ".hooks.hooks": _E + ".experimental",
    ".hooks.session_run_hook": _E + ".hooks",
    ".hooks.basic_session_run_hooks": _E + ".hooks",
}

ESTIMATOR_PATHS = {"tensorflow_estimator": "tf1_recsys.compat.estimator_root"}
ESTIMATOR_PATHS.update({tree + path: target for tree in _TREES for path, target in _RENAMED.items()})

ESTIMATOR_ALIASES = ModuleAliases(ESTIMATOR_PATHS)
"""The finder ``install(estimator=True)`` puts on ``sys.meta_path`` where no real tensorflow_estimator is installed."""


def real_estimator_missing():
    """Whether no real ``tensorflow_estimator`` is installed (looked up, not imported; our own finder ignored)."""
    if ESTIMATOR_ALIASES.installed():
        return True
    return importlib.util.find_spec("tensorflow_estimator") is None


def install_estimator_paths():
    """Serves ``ESTIMATOR_PATHS`` where no real ``tensorflow_estimator`` is installed. Idempotent."""
    if real_estimator_missing():
        ESTIMATOR_ALIASES.install()


__all__ = ["ESTIMATOR_PATHS", "ESTIMATOR_ALIASES", "install_estimator_paths", "real_estimator_missing"]
