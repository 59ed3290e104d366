"""The session hooks through which ``Trainer.fit`` drives the Estimator's training loop.

- ``FitHook``: feeds each step's batch (``feed_dict`` mode), stops at the first
  non-finite loss, keeps the window of training losses and predictions for TensorBoard,
  moves the progress bar, evaluates at each epoch's end, calls the user's callback, and
  stops after the step in which ``Trainer.request_stop`` was called.
- ``checkpoint_hook``: TensorFlow's ``CheckpointSaverHook``, saving every N steps *or*
  after S seconds (TensorFlow's hook takes one of the two), with the listeners
  ``FiniteStateGuard`` (a checkpoint is only written when every variable is finite) and
  ``CallbackListener`` (the callback's ``'checkpoint'`` events).
- ``TrainerSession``: the ``SessionCreator`` handing the trainer's own session to the
  Estimator's ``MonitoredSession``, which then leaves it open: one session trains every
  ``fit`` of a ``Trainer`` and keeps the steps TensorFlow compiled (and optimised) for it.
"""
import time

from tensorflow.python.client.session import SessionInterface

import numpy as np

from tf1_recsys._tf import tf
from tf1_recsys.training import arrays as A
from tf1_recsys.training.errors import loss_not_finite, nonfinite_names, state_not_finite


def task_losses(spec):
    """Per-task mean log loss ``{task: scalar}`` of a model with several heads; {} for one head."""
    tasks = [t for t in spec.logits if t in spec.labels]
    if len(tasks) < 2:
        return {}
    with tf.name_scope("task_loss"):
        return {t: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.cast(tf.reshape(spec.labels[t], tf.shape(spec.logits[t])), spec.logits[t].dtype),
            logits=spec.logits[t]), name=t) for t in tasks}


class Window:
    """The training losses, predictions and labels since the last TensorBoard point."""

    def __init__(self, tasks):
        self.loss, self.task_loss = [], {}
        self.pred, self.label = {t: [] for t in tasks}, {t: [] for t in tasks}

    def add(self, out):
        self.loss.append(float(out["loss"]))
        for t, v in out["task_loss"].items():
            self.task_loss.setdefault(t, []).append(float(v))
        for t in out["label"]:
            self.pred[t].append(out["pred"][t])
            self.label[t].append(out["label"][t])

    def summary(self):
        values = {"train/loss": float(np.mean(self.loss))}
        for t, v in self.task_loss.items():
            values["train/loss/" + t] = float(np.mean(v))
        for t, labels in self.label.items():
            if labels:
                values["train/auc/" + t] = A.auc(np.concatenate(labels), np.concatenate(self.pred[t]))
        return values


def fit_fetches(spec, loss):
    """What ``FitHook`` fetches at each step: the training ``loss``, the per-task losses
    (``task_losses``), the predictions and the labels of the tasks that have them."""
    return {"loss": loss, "task_loss": task_losses(spec), "pred": dict(spec.predictions),
            "label": {t: spec.labels[t] for t in spec.predictions if t in spec.labels}}


class FitHook(tf.train.SessionRunHook):
    """One ``Trainer.fit`` in the Estimator's loop; see the module docstring.

    Attributes:
      step, session, spec: the global step, the raw training session and the model's
        ``ModelSpec`` in the training graph (``Trainer.predict`` / ``evaluate`` use them
        while ``fit`` runs).

    Args:
      trainer: the ``Trainer`` (its ``spec``, ``request_stop``, ``write_scalars`` and session).
      fetches: ``fit_fetches`` of the trainer's graph.
      source: the ``FeedBatches`` / ``DatasetBatches`` of the training arrays.
      total: the global step at which the fit ends.
      steps_per_epoch: global steps per epoch.
      bar: the tqdm progress bar.
      callback: the user's ``callback(event, info)`` or None.
      eval_data: arrays evaluated at each epoch's end (not at the last step) or None.
      eval_batch_size: batch size of that evaluation.
    """

    def __init__(self, trainer, fetches, source, total, steps_per_epoch, bar, callback=None, eval_data=None,
                 eval_batch_size=None):
        self._trainer = trainer
        self._fetches = fetches
        self._source = source
        self._total = total
        self._spe = steps_per_epoch
        self._bar = bar
        self._callback = callback
        self._eval_data = eval_data
        self._eval_batch_size = eval_batch_size
        self.step = None
        self.session = self.spec = None
        self.examples = 0
        self.loss = None

    def begin(self):
        self.spec = self._trainer.spec
        self._global_step = tf.train.get_global_step()
        self._tasks = list(self.spec.predictions)
        self._window = Window(self._tasks)
        self._released = False

    def after_create_session(self, session, coord):
        del coord
        self.session = session
        self.step = int(session.run(self._global_step))
        self._source.initialize(session, self.step)

    def end(self, session):
        del session
        self.session = None

    def before_run(self, run_context):
        if not self._released:  # every hook has seen the session: the trainer hands it to fit
            self._trainer._release_session()
            self._released = True
        return tf.train.SessionRunArgs(self._fetches, feed_dict=self._source.feed(self.step))

    def after_run(self, run_context, run_values):
        out = run_values.results
        loss = float(out["loss"])
        trainer = self._trainer
        if not np.isfinite(loss):
            raise loss_not_finite(loss, self.step + 1, *trainer._where_latest())
        self.step += 1
        step = self.step
        self.examples += len(next(iter(out["label"].values()))) if out["label"] else 0
        self._window.add(out)
        if self._callback is not None:
            self._callback("step", {"step": step, "loss": loss})
        if step % trainer.config.log_every == 0 or step == self._total:
            values = self._window.summary()
            trainer.write_scalars(step, values)
            self._bar.set_postfix(loss="%.4f" % values["train/loss"])
            self.loss = values["train/loss"]
            self._window = Window(self._tasks)
        self._bar.update(1)
        if self._eval_data is not None and step % self._spe == 0 and step < self._total:
            evaluated = {"eval/" + k: v for k, v in A.evaluate(
                run_context.session.run, self.spec, self._eval_data, self._eval_batch_size,
                group_key=trainer.eval_group_key, what="Trainer.fit(eval_data)").items()}
            trainer.write_scalars(step, evaluated)
            if self._callback is not None:
                self._callback("epoch", {"step": step, "epoch": step // self._spe, "results": evaluated})
        if trainer._stop_requested is not None:
            run_context.request_stop()


class FiniteStateGuard(tf.train.CheckpointSaverListener):
    """Refuses to save a state with a NaN or infinite variable (``NanLossDuringTrainingError``).

    Args:
      nonfinite: ``errors.nonfinite_flags`` of the graph's variables.
      describe_latest: callable returning ``(' in <model_dir>' or '', latest checkpoint)``
        for the message.

    So the latest checkpoint is always the last finite state.
    """

    def __init__(self, nonfinite, describe_latest):
        self._nonfinite = nonfinite
        self._describe_latest = describe_latest

    def before_save(self, session, global_step_value):
        bad = nonfinite_names(session, self._nonfinite)
        if bad:
            raise state_not_finite(global_step_value, bad, *self._describe_latest())


class CallbackListener(tf.train.CheckpointSaverListener):
    """Calls ``callback('checkpoint', {'step', 'path'})`` after each save."""

    def __init__(self, callback, model_dir):
        self._callback = callback
        self._model_dir = model_dir

    def after_save(self, session, global_step_value):
        import os

        from tf1_recsys.training.checkpoint import PREFIX

        self._callback("checkpoint", {"step": int(global_step_value),
                                      "path": os.path.join(self._model_dir, "%s-%d" % (PREFIX, global_step_value))})


class _StepsOrSeconds(tf.train.SecondOrStepTimer):
    """Triggers after ``every_steps`` steps or, when ``every_secs`` is set, that many seconds since the last trigger."""

    def __init__(self, every_steps, every_secs=None):
        super().__init__(every_steps=every_steps)
        self._every_secs_too = every_secs
        self._triggered_at = None

    def should_trigger_for_step(self, step):
        if super().should_trigger_for_step(step):
            return True
        return (self._every_secs_too is not None and step != self.last_triggered_step()
                and time.monotonic() >= self._triggered_at + self._every_secs_too)

    def update_last_triggered_step(self, step):
        self._triggered_at = time.monotonic()
        return super().update_last_triggered_step(step)


def checkpoint_hook(model_dir, every_steps, every_secs=None, listeners=(), save_graph_def=True):
    """``tf.compat.v1.train.CheckpointSaverHook`` saving every ``every_steps`` steps or ``every_secs`` seconds.

    Like TensorFlow's hook it also saves when the session starts and at the end (after a
    stop request too).
    """
    hook = tf.train.CheckpointSaverHook(model_dir, save_steps=every_steps, listeners=list(listeners),
                                        save_graph_def=save_graph_def)
    hook._timer = _StepsOrSeconds(every_steps, every_secs)  # the hook's constructor accepts only one of the two
    return hook


class _KeptOpen(SessionInterface):
    """``session`` whose ``close`` does nothing: what ``MonitoredSession`` closes at its end."""

    def __init__(self, session):
        self._session = session

    graph = property(lambda self: self._session.graph)
    sess_str = property(lambda self: self._session.sess_str)

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        return self._session.run(fetches, feed_dict, options, run_metadata)

    def partial_run_setup(self, fetches, feeds=None):
        return self._session.partial_run_setup(fetches, feeds)

    def partial_run(self, handle, fetches, feed_dict=None):
        return self._session.partial_run(handle, fetches, feed_dict)

    def __getattr__(self, name):
        return getattr(self._session, name)

    def close(self):
        pass


class TrainerSession(tf.train.SessionCreator):
    """Gives ``MonitoredSession`` an open session already holding the variables, and keeps it open.

    Args:
      scaffold: the training graph's ``Scaffold`` (finalised here, as ``ChiefSessionCreator`` does).
      session: a ``tf.compat.v1.Session`` of that graph, initialised or restored.
    """

    def __init__(self, scaffold, session):
        self._scaffold = scaffold
        self._session = session

    def create_session(self):
        self._scaffold.finalize()
        return _KeptOpen(self._session)


__all__ = ["FitHook", "TrainerSession", "fit_fetches", "FiniteStateGuard", "CallbackListener", "Window", "checkpoint_hook", "task_losses"]
