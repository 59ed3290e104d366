"""``WarmStartSettings``: which variables of which checkpoint initialise a new training run."""
import collections
import os

from tf1_recsys._tf import tf


class WarmStartSettings(collections.namedtuple("WarmStartSettings", [
        "ckpt_to_initialize_from", "vars_to_warm_start", "var_name_to_vocab_info", "var_name_to_prev_var_name"])):
    """Settings for ``Estimator(warm_start_from=...)``, as ``tf.estimator.WarmStartSettings``.

    Args:
      ckpt_to_initialize_from: a checkpoint file or a folder holding checkpoints.
      vars_to_warm_start: a regular expression over the trainable variables (default
        ``'.*'``: all of them), or a list of names / regular expressions over all global
        variables (Adam slots included), or None for none.
      var_name_to_vocab_info: dict variable name -> ``tf.compat.v1.train.VocabInfo`` for
        embedding tables whose vocabulary changed.
      var_name_to_prev_var_name: dict new variable name -> its name in the checkpoint.

    Applied by ``tf.compat.v1.train.warm_start``; the warm-started values are only the
    variables' initial values, so a run that finds a checkpoint in its ``model_dir``
    restores that instead.
    """

    def __new__(cls, ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
                var_name_to_prev_var_name=None):
        if not ckpt_to_initialize_from:
            raise ValueError("WarmStartSettings: `ckpt_to_initialize_from` must be a checkpoint or a folder; got %r."
                             % (ckpt_to_initialize_from,))
        return super().__new__(cls, os.fspath(ckpt_to_initialize_from), vars_to_warm_start,
                               dict(var_name_to_vocab_info or {}), dict(var_name_to_prev_var_name or {}))


def warm_start_settings(warm_start_from):
    """``WarmStartSettings`` for an ``Estimator``'s ``warm_start_from`` (a path or settings; None stays None)."""
    if warm_start_from is None or isinstance(warm_start_from, WarmStartSettings):
        return warm_start_from
    if isinstance(warm_start_from, (str, os.PathLike)):
        path = os.fspath(warm_start_from)
        saved_model_variables = os.path.join(path, "variables")
        if os.path.isdir(saved_model_variables) and tf.saved_model.contains_saved_model(path):
            path = os.path.join(saved_model_variables, "variables")
        return WarmStartSettings(path)
    raise TypeError("Estimator: `warm_start_from` must be a checkpoint path, a folder, a SavedModel folder or a "
                    "WarmStartSettings; got %r." % (warm_start_from,))


def apply_warm_start(settings):
    """Sets the initial values of the current graph's variables named by ``settings`` from its checkpoint."""
    tf.train.warm_start(settings.ckpt_to_initialize_from, settings.vars_to_warm_start,
                        settings.var_name_to_vocab_info, settings.var_name_to_prev_var_name)


__all__ = ["WarmStartSettings", "warm_start_settings", "apply_warm_start"]
