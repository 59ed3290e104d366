"""Exporters: which SavedModels ``train_and_evaluate`` writes after an evaluation, as ``tf.estimator``'s.

``train_and_evaluate`` calls ``exporter.export(estimator, export_path, checkpoint_path,
eval_result, is_the_final_export)`` after each evaluation, with ``export_path`` =
``model_dir/export/<exporter name>``. Garbage collection removes only folders an exporter
writes: timestamp-named folders holding a ``saved_model.pb`` (or ``.pbtxt``) under its own
``export_path``.
"""
import glob
import os
import shutil

import numpy as np

from tf1_recsys._tf import tf

LOSS = "loss"


class Exporter:
    """The interface: a ``name`` and ``export(...)`` returning the export folder or None."""

    @property
    def name(self):
        raise NotImplementedError

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        raise NotImplementedError


def _check_name(cls_name, name):
    if not isinstance(name, str) or not name:
        raise ValueError("%s: `name` must be a non-empty string; got %r." % (cls_name, name))
    return name


def _check_keep(cls_name, exports_to_keep):
    if exports_to_keep is not None and (isinstance(exports_to_keep, bool) or not isinstance(
            exports_to_keep, (int, np.integer)) or exports_to_keep <= 0):
        raise ValueError("%s: `exports_to_keep`, if given, must be a positive integer; got %r."
                         % (cls_name, exports_to_keep))
    return exports_to_keep


class _SavedModelExporter(Exporter):
    def __init__(self, cls_name, name, serving_input_receiver_fn, assets_extra, as_text):
        if not callable(serving_input_receiver_fn):
            raise TypeError("%s: `serving_input_receiver_fn` must be callable; got %r."
                            % (cls_name, serving_input_receiver_fn))
        self._name = _check_name(cls_name, name)
        self._receiver_fn = serving_input_receiver_fn
        self._assets_extra = assets_extra
        self._as_text = as_text

    @property
    def name(self):
        return self._name

    def _export(self, estimator, export_path, checkpoint_path):
        return estimator.export_saved_model(export_path, self._receiver_fn, assets_extra=self._assets_extra,
                                            as_text=self._as_text, checkpoint_path=checkpoint_path)


def exports_in(export_path):
    """The exports under ``export_path``, oldest first: timestamp-named folders holding a SavedModel."""
    found = []
    for path in glob.glob(os.path.join(glob.escape(os.fspath(export_path)), "*")):
        base = os.path.basename(path)
        if base.isdigit() and os.path.isdir(path) and not os.path.islink(path) and (
                os.path.isfile(os.path.join(path, "saved_model.pb"))
                or os.path.isfile(os.path.join(path, "saved_model.pbtxt"))):
            found.append((int(base), path))
    return [path for _, path in sorted(found)]


def _collect_garbage(export_path, exports_to_keep):
    if exports_to_keep is None:
        return
    for path in exports_in(export_path)[:-exports_to_keep]:
        shutil.rmtree(path)


class FinalExporter(_SavedModelExporter):
    """``FinalExporter(name, serving_input_receiver_fn, assets_extra=None, as_text=False)``: exports once, at the end."""

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False):
        super().__init__("FinalExporter", name, serving_input_receiver_fn, assets_extra, as_text)

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if not is_the_final_export:
            return None
        return self._export(estimator, export_path, checkpoint_path)


class LatestExporter(_SavedModelExporter):
    """Exports after every evaluation and keeps the ``exports_to_keep`` newest exports (None: all).

    ``LatestExporter(name, serving_input_receiver_fn, assets_extra=None, as_text=False, exports_to_keep=5)``.
    """

    def __init__(self, name, serving_input_receiver_fn, assets_extra=None, as_text=False, exports_to_keep=5):
        super().__init__("LatestExporter", name, serving_input_receiver_fn, assets_extra, as_text)
        self._exports_to_keep = _check_keep("LatestExporter", exports_to_keep)

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        path = self._export(estimator, export_path, checkpoint_path)
        _collect_garbage(export_path, self._exports_to_keep)
        return path


def _loss_smaller(best_eval_result, current_eval_result):
    for result, what in ((best_eval_result, "best_eval_result"), (current_eval_result, "current_eval_result")):
        if not result or LOSS not in result:
            raise ValueError("BestExporter: `%s` must hold a %r; got %r." % (what, LOSS, result))
    return best_eval_result[LOSS] > current_eval_result[LOSS]


def _eval_results_in(pattern):
    """{global_step: {tag: value}} of the evaluation event files matching ``pattern``."""
    results = {}
    for path in glob.glob(pattern):
        for event in tf.train.summary_iterator(path):
            if event.HasField("summary"):
                values = results.setdefault(event.step, {})
                for value in event.summary.value:
                    if value.HasField("simple_value"):
                        values[value.tag] = value.simple_value
    return {step: values for step, values in results.items() if values}


class BestExporter(_SavedModelExporter):
    """Exports when an evaluation is the best so far by ``compare_fn(best, current)`` (default: lower loss).

    ``BestExporter(name='best_exporter', serving_input_receiver_fn=None,
    event_file_pattern='eval/*.tfevents.*', compare_fn=<loss smaller>, assets_extra=None,
    as_text=False, exports_to_keep=5)``. The best result so far starts from the evaluation
    event files of ``model_dir`` matching ``event_file_pattern``, so a restarted job keeps
    the earlier best.
    """

    def __init__(self, name="best_exporter", serving_input_receiver_fn=None, event_file_pattern="eval/*.tfevents.*",
                 compare_fn=_loss_smaller, assets_extra=None, as_text=False, exports_to_keep=5):
        super().__init__("BestExporter", name, serving_input_receiver_fn, assets_extra, as_text)
        if not callable(compare_fn):
            raise TypeError("BestExporter: `compare_fn` must be callable; got %r." % (compare_fn,))
        self._event_file_pattern = event_file_pattern
        self._compare_fn = compare_fn
        self._exports_to_keep = _check_keep("BestExporter", exports_to_keep)
        self._best = None
        self._model_dir = None

    def _load_best(self, model_dir, current_step):
        best = None
        if self._event_file_pattern:
            for step, result in sorted(_eval_results_in(os.path.join(model_dir, self._event_file_pattern)).items()):
                if step == current_step:  # the evaluation being judged wrote its own summary already
                    continue
                if best is None or self._compare_fn(best_eval_result=best, current_eval_result=result):
                    best = result
        return best

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        if self._model_dir != estimator.model_dir:
            self._model_dir = estimator.model_dir
            step = eval_result.get(tf.GraphKeys.GLOBAL_STEP) if eval_result else None
            self._best = self._load_best(estimator.model_dir, None if step is None else int(step))
        if self._best is not None and not self._compare_fn(best_eval_result=self._best,
                                                           current_eval_result=eval_result):
            return None
        self._best = dict(eval_result)
        path = self._export(estimator, export_path, checkpoint_path)
        _collect_garbage(export_path, self._exports_to_keep)
        return path


__all__ = ["Exporter", "FinalExporter", "LatestExporter", "BestExporter"]
