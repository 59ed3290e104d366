"""``make_stop_at_checkpoint_step_hook``: stop each task of a cluster once the chief's checkpoint reaches a step.

The chief stops at ``last_step`` (``StopAtStepHook``). A non-chief worker, once its own view
of the global step is at ``last_step``, reads the global step of the latest checkpoint in
``model_dir``; it stops when that is at ``last_step`` too, else it waits and runs another step,
so that no worker ends before the chief has saved the last checkpoint.
"""
import time

from tf1_recsys._tf import tf


class _StopAtCheckpointStepHook(tf.train.SessionRunHook):
    """A non-chief worker's hook: stops once ``model_dir``'s latest checkpoint is at ``last_step`` or later.

    ``wait_after_file_check_secs``: the pause after each read of the checkpoint that is not there yet,
    so that many workers do not read the same file in a tight loop.
    """

    def __init__(self, model_dir, last_step, wait_after_file_check_secs=30):
        if last_step is None:
            raise ValueError("last_step must be specified.")
        if model_dir is None:
            raise ValueError("model_dir must be specified.")
        self._model_dir = model_dir
        self._last_step = last_step
        self._wait_after_file_check_secs = wait_after_file_check_secs

    def begin(self):
        from tensorflow.python.training import training_util

        self._global_step = training_util._get_or_create_global_step_read()
        if self._global_step is None:
            raise RuntimeError("Global step should be created to use StopAtCheckpointStepHook.")

    def before_run(self, run_context):
        return tf.train.SessionRunArgs(self._global_step)

    def after_run(self, run_context, run_values):
        from tf1_recsys.estimator.estimator import _load_global_step_from_checkpoint_dir

        if run_values.results + 1 < self._last_step:
            return
        if _load_global_step_from_checkpoint_dir(self._model_dir) >= self._last_step:
            run_context.request_stop()
        else:
            time.sleep(self._wait_after_file_check_secs)


def make_stop_at_checkpoint_step_hook(estimator, last_step, wait_after_file_check_secs=30):
    """``StopAtStepHook(last_step=last_step)`` on the chief; elsewhere a hook that also waits for the chief's
    checkpoint at ``last_step`` (see the module)."""
    if estimator.config.is_chief:
        return tf.train.StopAtStepHook(last_step=last_step)
    return _StopAtCheckpointStepHook(estimator.model_dir, last_step, wait_after_file_check_secs)


__all__ = ["make_stop_at_checkpoint_step_hook"]
