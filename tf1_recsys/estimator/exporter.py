"""Exporters: which SavedModels ``train_and_evaluate`` writes after an evaluation, as ``tf.estimator``'s.

``train_and_evaluate`` calls ``exporter.export(estimator, export_path, checkpoint_path,
eval_result, is_the_final_export)`` after each evaluation, with ``export_path`` =
``model_dir/export/<exporter name>``. Garbage collection keeps what tf.estimator keeps (the
``exports_to_keep`` largest 10-digit timestamp folders under ``export_path``) and deletes
the others that tf.estimator would delete, but only where they hold a SavedModel
(``saved_model.pb`` / ``.pbtxt``) or nothing: a folder with other files is left alone.
"""
import os
import shutil

from tf1_recsys._tf import tf
from tf1_recsys.estimator.user_fns import fn_args

LOSS = "loss"


class Exporter:
    """The interface: a ``name`` and ``export(...)`` returning the export folder or None."""

    @property
    def name(self):
        raise NotImplementedError

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        raise NotImplementedError


class _SavedModelExporter(Exporter):
    """Exports through ``estimator.export_saved_model``; as tf.estimator's, checks nothing before exporting."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        self._name = name
        self._receiver_fn = serving_input_receiver_fn
        self._assets_extra = assets_extra
        self._as_text = as_text

    @property
    def name(self):
        return self._name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        return estimator.export_saved_model(export_path, self._receiver_fn, assets_extra=self._assets_extra,
                                            as_text=self._as_text, checkpoint_path=checkpoint_path)


def _is_timestamp(name):
    return len(name) == 10 and name.isdigit()


def _deletable(path):
    """A folder an exporter wrote (a SavedModel) or an empty one; never a folder with anything else in it."""
    entries = os.listdir(path)
    return not entries or "saved_model.pb" in entries or "saved_model.pbtxt" in entries


def exports_in(export_path):
    """The 10-digit timestamp folders under ``export_path`` (as tf.estimator counts exports), oldest first."""
    export_path = os.fspath(export_path)
    if isinstance(export_path, bytes):
        export_path = export_path.decode()
    if not os.path.isdir(export_path):
        return []
    names = sorted(n.rstrip("/") for n in os.listdir(export_path))
    return [os.path.join(export_path, n) for n in names
            if _is_timestamp(n) and os.path.isdir(os.path.join(export_path, n))
            and not os.path.islink(os.path.join(export_path, n))]


def _collect_garbage(export_path, exports_to_keep):
    """Deletes all but the ``exports_to_keep`` newest exports (None: keeps all)."""
    if exports_to_keep is None:
        return
    for path in exports_in(export_path)[:-exports_to_keep]:
        if _deletable(path):
            shutil.rmtree(path)
        else:
            tf.logging.warn("Not deleting %s: it holds files that are not a SavedModel.", path)


class FinalExporter(Exporter):
    """``FinalExporter(name, serving_input_receiver_fn, assets_extra=None, as_text=False)``: exports once, at the end."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        self._saved_model_exporter = _SavedModelExporter(name, serving_input_receiver_fn, assets_extra, as_text)

    @property
    def name(self):
        return self._saved_model_exporter.name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if not is_the_final_export:
            return None
        return self._saved_model_exporter.export(estimator, export_path, checkpoint_path, eval_result,
                                                 is_the_final_export)


class LatestExporter(Exporter):
    """Exports after every evaluation and keeps the ``exports_to_keep`` newest exports (None: all).

    ``LatestExporter(name, serving_input_receiver_fn, assets_extra=None, as_text=False, exports_to_keep=5)``.
    """

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False, exports_to_keep=5):
        self._saved_model_exporter = _SavedModelExporter(name, serving_input_receiver_fn, assets_extra, as_text)
        self._exports_to_keep = exports_to_keep
        if exports_to_keep is not None and exports_to_keep <= 0:
            raise ValueError("`exports_to_keep`, if provided, must be positive number")

    @property
    def name(self):
        return self._saved_model_exporter.name

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        path = self._saved_model_exporter.export(estimator, export_path, checkpoint_path, eval_result,
                                                 is_the_final_export)
        _collect_garbage(export_path, self._exports_to_keep)
        return path


def _loss_smaller(best_eval_result, current_eval_result):
    """True when ``current_eval_result``'s loss is lower than ``best_eval_result``'s."""
    if not best_eval_result or LOSS not in best_eval_result:
        raise ValueError("best_eval_result cannot be empty or no loss is found in it.")
    if not current_eval_result or LOSS not in current_eval_result:
        raise ValueError("current_eval_result cannot be empty or no loss is found in it.")
    return best_eval_result[LOSS] > current_eval_result[LOSS]


def _check_compare_fn(compare_fn):
    if compare_fn is None:
        raise ValueError("`compare_fn` must not be None.")
    args = set(fn_args(compare_fn))
    for needed in ("best_eval_result", "current_eval_result"):
        if needed not in args:
            raise ValueError("compare_fn (%s) must include %s argument." % (compare_fn, needed))
    unexpected = list(args - {"best_eval_result", "current_eval_result"})
    if unexpected:
        raise ValueError("compare_fn (%s) has following not expected args: %s" % (compare_fn, unexpected))


def _eval_results_in(pattern):
    """The ``{tag: value}`` of each summary event with simple values in the event files matching ``pattern``."""
    for path in tf.gfile.Glob(pattern):
        for event in tf.train.summary_iterator(path):
            if event.HasField("summary"):
                values = {v.tag: v.simple_value for v in event.summary.value if v.HasField("simple_value")}
                if values:
                    yield values


class BestExporter(Exporter):
    """Exports when an evaluation is the best so far by ``compare_fn(best, current)`` (default: lower loss).

    ``BestExporter(name='best_exporter', serving_input_receiver_fn=None,
    event_file_pattern='eval/*.tfevents.*', compare_fn=<loss smaller>, assets_extra=None,
    as_text=False, exports_to_keep=5)``. As tf.estimator's: the first ``export`` of this
    object always exports (the best result read from ``model_dir``'s evaluation event files
    matching ``event_file_pattern`` is only the starting point for later comparisons), and
    later ones export when ``compare_fn`` prefers the new result.
    """

    def __init__(self, name="best_exporter", serving_input_receiver_fn=None, event_file_pattern="eval/*.tfevents.*",
                 compare_fn=_loss_smaller, assets_extra=None, as_text=False, exports_to_keep=5):
        _check_compare_fn(compare_fn)
        self._compare_fn = compare_fn
        self._saved_model_exporter = _SavedModelExporter(name, serving_input_receiver_fn, assets_extra, as_text)
        self._event_file_pattern = event_file_pattern
        self._model_dir = None
        self._best_eval_result = None
        self._has_exported = False
        self._exports_to_keep = exports_to_keep
        if exports_to_keep is not None and exports_to_keep <= 0:
            raise ValueError("`exports_to_keep`, if provided, must be a positive number. Got %s" % exports_to_keep)

    @property
    def name(self):
        return self._saved_model_exporter.name

    def _best_in_event_files(self, pattern):
        best = None
        for result in _eval_results_in(pattern):
            if best is None or self._compare_fn(best, result):
                best = result
        return best

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if self._model_dir != estimator.model_dir and self._event_file_pattern:
            self._model_dir = estimator.model_dir
            self._best_eval_result = self._best_in_event_files(
                os.path.join(self._model_dir, self._event_file_pattern))
        if (self._best_eval_result is not None and self._has_exported
                and not self._compare_fn(best_eval_result=self._best_eval_result, current_eval_result=eval_result)):
            return None
        self._best_eval_result = eval_result
        path = self._saved_model_exporter.export(estimator, export_path, checkpoint_path, eval_result,
                                                 is_the_final_export)
        _collect_garbage(export_path, self._exports_to_keep)
        self._has_exported = True
        return path


__all__ = ["Exporter", "FinalExporter", "LatestExporter", "BestExporter"]
