"""``TrainSpec``, ``EvalSpec`` and ``train_and_evaluate``: one call for every task of a cluster."""
import collections
import os
import time

from tf1_recsys._tf import tf
from tf1_recsys.estimator import cluster
from tf1_recsys.estimator.estimator import Estimator
from tf1_recsys.estimator.estimator_spec import checked_instances
from tf1_recsys.estimator.exporter import Exporter
from tf1_recsys.estimator.tf_config import TaskType


def _check_input_fn(input_fn):
    if not callable(input_fn):
        raise TypeError("`input_fn` must be callable, given: {}".format(input_fn))


def _check_hooks(hooks):
    return tuple(checked_instances(hooks, tf.train.SessionRunHook,
                                   "All hooks must be `SessionRunHook` instances, given: {}"))


def _check_saving_listeners(saving_listeners):
    return tuple(checked_instances(saving_listeners, tf.train.CheckpointSaverListener,
                                   "All saving_listeners must be `CheckpointSaverListener` instances, given: {}"))


def _check_exporters(exporters):
    """``exporters`` as a tuple; tf.estimator's errors for a non-Exporter, a missing, non-string or repeated name."""
    if not exporters:
        return ()
    if isinstance(exporters, Exporter):
        exporters = [exporters]
    not_exporters = TypeError("`exporters` must be an Exporter, an iterable of Exporter, or `None`, found %s."
                              % (exporters,))
    try:
        names = []
        for exporter in exporters:
            if not isinstance(exporter, Exporter):
                raise not_exporters
            if not exporter.name:
                raise ValueError("An Exporter cannot have a name that is `None` or empty. All exporter names: {}"
                                 .format([e.name for e in exporters]))
            if not isinstance(exporter.name, str):
                raise ValueError("An Exporter must have a string name. Given: {}".format(type(exporter.name)))
            if exporter.name in names:
                raise ValueError("`exporters` must have unique names. Such a name cannot be `None`. All exporter "
                                 "names: {}".format([e.name for e in exporters]))
            names.append(exporter.name)
    except TypeError:  # also an ``exporters`` that is not iterable
        raise not_exporters from None
    return tuple(exporters)


class TrainSpec(collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks", "saving_listeners"])):
    """``TrainSpec(input_fn, max_steps=None, hooks=None, saving_listeners=None)``: what training reads and stops at.

    Raises tf.estimator's errors: TypeError for an ``input_fn`` that is not callable, a hook
    that is not a ``SessionRunHook`` or a listener that is not a ``CheckpointSaverListener``;
    ValueError for ``max_steps <= 0``.
    """

    def __new__(cls, input_fn, max_steps=None, hooks=None, saving_listeners=None):
        _check_input_fn(input_fn)
        if max_steps is not None and max_steps <= 0:
            raise ValueError("Must specify max_steps > 0, given: {}".format(max_steps))
        return super().__new__(cls, input_fn=input_fn, max_steps=max_steps, hooks=_check_hooks(hooks),
                               saving_listeners=_check_saving_listeners(saving_listeners))


class EvalSpec(collections.namedtuple(
        "EvalSpec", ["input_fn", "steps", "name", "hooks", "exporters", "start_delay_secs", "throttle_secs"])):
    """What and how often the evaluation runs.

    ``EvalSpec(input_fn, steps=100, name=None, hooks=None, exporters=None,
    start_delay_secs=120, throttle_secs=600)``, as in ``tf.estimator`` (its checks and messages).

    ``steps`` None evaluates until the input ends. The evaluator waits
    ``start_delay_secs`` and then evaluates each new checkpoint, at most every
    ``throttle_secs``. ``exporters`` (an ``Exporter`` or a list: ``FinalExporter``,
    ``LatestExporter``, ``BestExporter``) run after each evaluation and write under
    ``model_dir/export/<name>``.
    """

    def __new__(cls, input_fn, steps=100, name=None, hooks=None, exporters=None, start_delay_secs=120,
                throttle_secs=600):
        _check_input_fn(input_fn)
        if steps is not None and steps <= 0:
            raise ValueError("Must specify steps > 0, given: {}".format(steps))
        if name is not None and not isinstance(name, str):
            raise TypeError("`name` must be string, given: {}".format(name))
        hooks = _check_hooks(hooks)
        exporters = _check_exporters(exporters)
        if start_delay_secs < 0:
            raise ValueError("Must specify start_delay_secs >= 0, given: {}".format(start_delay_secs))
        if throttle_secs < 0:
            raise ValueError("Must specify throttle_secs >= 0, given: {}".format(throttle_secs))
        return super().__new__(cls, input_fn=input_fn, steps=steps, name=name, hooks=hooks, exporters=exporters,
                               start_delay_secs=start_delay_secs, throttle_secs=throttle_secs)


def _export(estimator, eval_spec, checkpoint, result, max_steps):
    """Runs ``eval_spec``'s exporters after the evaluation ``result`` of ``checkpoint``; returns their exports."""
    final = max_steps is not None and int(result[tf.GraphKeys.GLOBAL_STEP]) >= max_steps
    exports = []
    for exporter in eval_spec.exporters:
        path = exporter.export(estimator, os.path.join(estimator.model_dir, "export", exporter.name),
                               checkpoint, result, final)
        if path is not None:
            exports.append(path)
    return exports


class _EvaluateAfterSave(tf.train.CheckpointSaverListener):
    """Evaluates (and exports) the checkpoints the chief saves, as tf.estimator's local ``train_and_evaluate``.

    The first save of a training session (before any step) is skipped; a later one is evaluated
    when ``throttle_secs`` have passed since the start of the previous evaluation; the last one
    always, when training ends.
    """

    def __init__(self, estimator, eval_spec, max_steps):
        self._estimator, self._spec, self._max_steps = estimator, eval_spec, max_steps
        self.last_result, self.last_exports = None, None
        self.begin()

    def _evaluate(self, global_step_value):
        self._timer.update_last_triggered_step(global_step_value)
        checkpoint = self._estimator.latest_checkpoint()
        self.last_result = self._estimator.evaluate(self._spec.input_fn, steps=self._spec.steps,
                                                    hooks=self._spec.hooks, checkpoint_path=checkpoint,
                                                    name=self._spec.name)
        self.last_exports = _export(self._estimator, self._spec, checkpoint, self.last_result, self._max_steps)

    def begin(self):
        self._timer = tf.train.SecondOrStepTimer(every_secs=self._spec.throttle_secs)
        self._is_first_run = True

    def after_save(self, session, global_step_value):
        if self._is_first_run:  # the checkpoint a training session saves when it starts: nothing trained yet
            self._is_first_run = False
            return
        if not self._timer.should_trigger_for_step(global_step_value):
            tf.logging.info("Skip the current checkpoint eval due to throttle secs ({} secs).".format(
                self._spec.throttle_secs))
            return
        self._evaluate(global_step_value)

    def end(self, session, global_step_value):
        if global_step_value != self._timer.last_triggered_step():
            self._evaluate(global_step_value)


def _evaluate_continuously(estimator, train_spec, eval_spec):
    """The evaluator task: each new checkpoint, until one reaches ``train_spec.max_steps``."""
    cluster.arm_deadline_from_env("evaluator")
    time.sleep(eval_spec.start_delay_secs)
    result, exports = None, []
    for checkpoint in tf.train.checkpoints_iterator(estimator.model_dir, min_interval_secs=eval_spec.throttle_secs):
        result = estimator.evaluate(eval_spec.input_fn, steps=eval_spec.steps, hooks=eval_spec.hooks,
                                    checkpoint_path=checkpoint, name=eval_spec.name)
        exports = _export(estimator, eval_spec, checkpoint, result, train_spec.max_steps)
        step = int(result[tf.GraphKeys.GLOBAL_STEP])
        cluster.log("evaluator: %s at global step %d: %s" % (checkpoint, step, {
            k: float(v) for k, v in result.items() if k != tf.GraphKeys.GLOBAL_STEP and getattr(v, "ndim", 0) == 0}))
        if train_spec.max_steps is not None and step >= train_spec.max_steps:
            break
    return result, exports


def train_and_evaluate(estimator, train_spec, eval_spec):
    """Trains and evaluates ``estimator``; every task of a ``TF_CONFIG`` cluster calls it the same way.

    * One process (no cluster): trains to ``train_spec.max_steps``, evaluating after a
      checkpoint save at most every ``eval_spec.throttle_secs`` (not the save at the start of
      training, before any step), and the last checkpoint when training ends. If the
      ``model_dir`` is already at ``max_steps`` nothing is trained or evaluated and the
      result is ``(None, None)``, as in tf.estimator.
    * chief / worker: trains against the ps tasks (``Estimator.train``).
    * ps: serves the variables until every worker is done, then returns.
    * evaluator: evaluates each new checkpoint until one reaches ``max_steps``.

    Returns:
      ``(eval_result, export_results)`` locally and on the evaluator (``export_results``:
      the export folders the exporters wrote after the last evaluation), None on the
      other tasks.
    """
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError("`eval_spec` must have type `tf.estimator.EvalSpec`. Got: {}".format(type(eval_spec)))
    if not isinstance(estimator, Estimator):
        raise TypeError("`estimator` must have type `tf.estimator.Estimator`. Got: {}".format(type(estimator)))
    if not isinstance(train_spec, TrainSpec):
        raise TypeError("`train_spec` must have type `tf.estimator.TrainSpec`. Got: {}".format(type(train_spec)))
    config = estimator.config
    if config.task_type == TaskType.EVALUATOR and config.task_id > 0:
        raise ValueError("For distributed training, there can only be one `evaluator` task (with task id 0).  "
                         "Given task id {}".format(config.task_id))
    if config.task_type == TaskType.EVALUATOR:
        return _evaluate_continuously(estimator, train_spec, eval_spec)
    if config.task_type == TaskType.PS:
        cluster.serve_ps(config)
        return None
    if config.is_distributed:
        estimator.train(train_spec.input_fn, hooks=train_spec.hooks, max_steps=train_spec.max_steps,
                        saving_listeners=train_spec.saving_listeners)
        return None
    tf.logging.info("Running training and evaluation locally (non-distributed).")
    tf.logging.info("Start train and evaluate loop. The evaluate will happen after every checkpoint. Checkpoint "
                    "frequency is determined based on RunConfig arguments: save_checkpoints_steps {} or "
                    "save_checkpoints_secs {}.".format(config.save_checkpoints_steps, config.save_checkpoints_secs))
    listener = _EvaluateAfterSave(estimator, eval_spec, train_spec.max_steps)
    estimator.train(train_spec.input_fn, hooks=train_spec.hooks, max_steps=train_spec.max_steps,
                    saving_listeners=list(train_spec.saving_listeners) + [listener])
    return listener.last_result, listener.last_exports


__all__ = ["TrainSpec", "EvalSpec", "train_and_evaluate"]
