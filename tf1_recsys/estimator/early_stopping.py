"""Early stopping, as ``tf.estimator.experimental``: hooks that end training when the evaluations say so.

``stop_if_higher_hook`` and its siblings read the scalar summaries that ``Estimator.evaluate``
writes to ``estimator.eval_dir()`` (one event per evaluation, at the checkpoint's global step)
and ask a predicate over them every ``run_every_secs`` seconds or ``run_every_steps`` steps.

On a ``TF_CONFIG`` cluster only the chief asks: when it decides to stop it sets a boolean
variable ``signal_early_stopping/STOP`` (a global variable, so it lives on a ps task) and stops;
every other worker gets a hook that reads that variable at each step and stops once it is set.
"""
import collections
import operator
import os

from tf1_recsys._tf import tf

_EVENT_FILES = "events.out.tfevents.*"


def make_early_stopping_hook(estimator, should_stop_fn, run_every_secs=60, run_every_steps=None):
    """A ``SessionRunHook`` that stops training once ``should_stop_fn()`` returns True.

    Args:
      estimator: the ``Estimator`` being trained; its ``config.is_chief`` decides which hook it gets.
      should_stop_fn: a callable of no arguments returning a bool; asked by the chief only.
      run_every_secs: ask every this many seconds (default 60) ...
      run_every_steps: ... or every this many steps; give one of the two.

    Returns:
      On the chief, a hook asking ``should_stop_fn`` and signalling the other workers; elsewhere a hook
      that stops when the chief has signalled.

    Raises:
      TypeError: ``estimator`` is not an ``Estimator``, or ``should_stop_fn`` is not callable.
      ValueError: both ``run_every_secs`` and ``run_every_steps`` are given.
    """
    from tf1_recsys.estimator.estimator import Estimator

    if not isinstance(estimator, Estimator):
        raise TypeError("`estimator` must have type `tf.estimator.Estimator`. Got: {}".format(type(estimator)))
    if run_every_secs is not None and run_every_steps is not None:
        raise ValueError("Only one of `run_every_secs` and `run_every_steps` must be set.")
    if estimator.config.is_chief:
        return _StopOnPredicateHook(should_stop_fn, run_every_secs, run_every_steps)
    return _CheckForStoppingHook()


def stop_if_higher_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0, run_every_secs=60,
                        run_every_steps=None):
    """A hook stopping training once an evaluation at global step >= ``min_steps`` has ``metric_name`` > ``threshold``.

    ``eval_dir`` defaults to ``estimator.eval_dir()``; the other arguments are ``make_early_stopping_hook``'s.
    """
    return _threshold_hook(estimator, metric_name, threshold, True, eval_dir, min_steps, run_every_secs,
                           run_every_steps)


def stop_if_lower_hook(estimator, metric_name, threshold, eval_dir=None, min_steps=0, run_every_secs=60,
                       run_every_steps=None):
    """A hook stopping training once an evaluation at global step >= ``min_steps`` has ``metric_name`` < ``threshold``.

    ``eval_dir`` defaults to ``estimator.eval_dir()``; the other arguments are ``make_early_stopping_hook``'s.
    """
    return _threshold_hook(estimator, metric_name, threshold, False, eval_dir, min_steps, run_every_secs,
                           run_every_steps)


def stop_if_no_increase_hook(estimator, metric_name, max_steps_without_increase, eval_dir=None, min_steps=0,
                             run_every_secs=60, run_every_steps=None):
    """A hook stopping training once ``metric_name`` has not risen above its best for ``max_steps_without_increase``
    global steps (evaluations before ``min_steps`` are not looked at)."""
    return _no_improvement_hook(estimator, metric_name, max_steps_without_increase, True, eval_dir, min_steps,
                                run_every_secs, run_every_steps)


def stop_if_no_decrease_hook(estimator, metric_name, max_steps_without_decrease, eval_dir=None, min_steps=0,
                             run_every_secs=60, run_every_steps=None):
    """A hook stopping training once ``metric_name`` has not fallen below its best for ``max_steps_without_decrease``
    global steps (evaluations before ``min_steps`` are not looked at)."""
    return _no_improvement_hook(estimator, metric_name, max_steps_without_decrease, False, eval_dir, min_steps,
                                run_every_secs, run_every_steps)


def read_eval_metrics(eval_dir):
    """The scalar summaries of ``eval_dir``'s event files.

    Returns:
      ``OrderedDict`` global step -> {tag: value}, by increasing step.
    """
    by_step = collections.defaultdict(dict)
    for event in _events(eval_dir):
        if event.HasField("summary"):
            values = {v.tag: v.simple_value for v in event.summary.value if v.HasField("simple_value")}
            if values:
                by_step[event.step].update(values)
    return collections.OrderedDict(sorted(by_step.items()))


def _events(eval_dir):
    """Every ``Event`` of the event files in ``eval_dir``; a file's corrupt tail is skipped with a warning."""
    if not tf.gfile.Exists(eval_dir):
        return
    for path in tf.gfile.Glob(os.path.join(eval_dir, _EVENT_FILES)):
        try:
            for event in tf.train.summary_iterator(path):
                yield event
        except tf.errors.DataLossError as e:
            tf.logging.warning("Skipping rest of the file due to encountering data corruption error; file path: %s; "
                               "original error raised by `tf.train.summary_iterator`: %s", path, e)


def _threshold_hook(estimator, metric_name, threshold, higher_is_better, eval_dir, min_steps, run_every_secs,
                    run_every_steps):
    eval_dir = estimator.eval_dir() if eval_dir is None else eval_dir
    crosses = operator.gt if higher_is_better else operator.lt
    relation = "greater than" if higher_is_better else "less than"

    def threshold_crossed():
        for step, metrics in read_eval_metrics(eval_dir).items():
            if step >= min_steps and crosses(metrics[metric_name], threshold):
                tf.logging.info('At step %s, metric "%s" has value %s which is %s the configured threshold (%s) for '
                                "early stopping.", step, metric_name, metrics[metric_name], relation, threshold)
                return True
        return False

    return make_early_stopping_hook(estimator, threshold_crossed, run_every_secs=run_every_secs,
                                    run_every_steps=run_every_steps)


def _no_improvement_hook(estimator, metric_name, max_steps_without_improvement, higher_is_better, eval_dir,
                         min_steps, run_every_secs, run_every_steps):
    eval_dir = estimator.eval_dir() if eval_dir is None else eval_dir
    improves = operator.gt if higher_is_better else operator.lt
    direction = "increase" if higher_is_better else "decrease"

    def stalled():
        best = best_step = None
        for step, metrics in read_eval_metrics(eval_dir).items():
            if step < min_steps:
                continue
            if best is None or improves(metrics[metric_name], best):
                best, best_step = metrics[metric_name], step
            if step - best_step >= max_steps_without_improvement:
                tf.logging.info('No %s in metric "%s" for %s steps, which is greater than or equal to max steps (%s) '
                                "configured for early stopping.", direction, metric_name, step - best_step,
                                max_steps_without_improvement)
                return True
        return False

    return make_early_stopping_hook(estimator, stalled, run_every_secs=run_every_secs,
                                    run_every_steps=run_every_steps)


def _stop_variable():
    """The scalar bool ``signal_early_stopping/STOP``, created once per graph (a global, non-trainable variable)."""
    with tf.variable_scope("signal_early_stopping", values=[], reuse=tf.AUTO_REUSE):
        return tf.get_variable("STOP", shape=[], dtype=tf.bool, initializer=tf.constant_initializer(False),
                               collections=[tf.GraphKeys.GLOBAL_VARIABLES], trainable=False)


class _StopOnPredicateHook(tf.train.SessionRunHook):
    """The chief's hook: asks ``should_stop_fn`` on its timer; on True sets the stop variable and stops."""

    def __init__(self, should_stop_fn, run_every_secs=60, run_every_steps=None):
        if not callable(should_stop_fn):
            raise TypeError("`should_stop_fn` must be callable.")
        self._should_stop_fn = should_stop_fn
        self._timer = tf.train.SecondOrStepTimer(every_secs=run_every_secs, every_steps=run_every_steps)
        self._global_step = self._stop_op = None

    def begin(self):
        self._global_step = tf.train.get_global_step()
        self._stop_op = tf.assign(_stop_variable(), True)

    def before_run(self, run_context):
        return tf.train.SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        step = run_values.results
        if not self._timer.should_trigger_for_step(step):
            return
        self._timer.update_last_triggered_step(step)
        if self._should_stop_fn():
            tf.logging.info("Requesting early stopping at global step %d", step)
            run_context.session.run(self._stop_op)
            run_context.request_stop()


class _CheckForStoppingHook(tf.train.SessionRunHook):
    """A non-chief worker's hook: stops once the chief has set the stop variable."""

    def __init__(self):
        self._stop_var = None

    def begin(self):
        self._stop_var = _stop_variable()

    def before_run(self, run_context):
        return tf.train.SessionRunArgs(self._stop_var)

    def after_run(self, run_context, run_values):
        if run_values.results:
            tf.logging.info("Early stopping requested, suspending run.")
            run_context.request_stop()


__all__ = ["make_early_stopping_hook", "stop_if_higher_hook", "stop_if_lower_hook", "stop_if_no_increase_hook",
           "stop_if_no_decrease_hook", "read_eval_metrics"]
