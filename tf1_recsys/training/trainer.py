"""``Trainer``: a ``ModelSpec`` trained from numpy arrays on the Estimator, evaluated and frozen in a session.

One trainer owns one ``tf.Graph``, the Estimator's training graph, built once, and one
``tf.compat.v1.Session`` of it, restored from the latest checkpoint of ``model_dir`` (or
initialised when there is none). ``fit``, ``predict``, ``evaluate``, ``save``, ``freeze``
and ``export_saved_model`` run in that session.

The graph is what ``tf1_recsys.estimator.Estimator`` trains (``Estimator._train_graph``):
the model built once with ``tf.set_random_seed(config.seed)`` and turned into a
``model_fn`` (``SpecModelFn``, which imports it onto the ``input_fn``'s tensors), the
training arrays' ``input_fn`` (``feed_dict`` or ``tf.data``, ``pipeline``), the loss and
train op (``build_train_op``, after ``UPDATE_OPS``, in the name scope ``train``) and the
``Saver``. ``fit`` runs the Estimator's loop on it (``Estimator._train_on``):
``tf.compat.v1.train.MonitoredSession`` over the trainer's session, with TensorFlow's hooks
(``NanTensorHook``, ``StopAtStepHook``, ``CheckpointSaverHook``, ``StepCounterHook``,
``SummarySaverHook``) and the trainer's own (``fit_hooks``). A second ``fit`` adds no op
and reuses the steps TensorFlow already compiled and optimised in that session. ``fit``
continues from the latest checkpoint of ``model_dir`` (which the session holds, or when
there is none, from the trainer's variables) at the same batch of the same epoch, see
``tf1_recsys.training.batches``; afterwards the session holds the latest checkpoint (after
an error, the session is restored from it). While ``fit`` runs, ``sess`` is None (the
training loop holds the session); ``step``, ``predict`` and ``evaluate`` (from a callback,
say) then run in the training loop's session.

Exact resume holds for models without random ops in training (dropout draws from
stateful random kernels whose state is not checkpointed) and, for bit equality, a
single-threaded session (``TrainConfig(threads=1)``).

Nothing is lost beyond the checkpoint interval, as with TensorFlow's
``CheckpointSaverHook``: ``fit`` saves when it starts, every ``checkpoint_every`` steps or
``checkpoint_secs`` seconds, at the end, after ``request_stop()`` (the command calls it
on SIGINT / SIGTERM) and on ``KeyboardInterrupt``. Like ``NanTensorHook`` it stops at
the first non-finite loss with ``NanLossDuringTrainingError``; a checkpoint is only
written when every variable is finite, so the latest checkpoint is the last finite state.
"""
import glob
import os
import shutil
import sys
import tempfile
import time

import numpy as np
from tqdm import tqdm

from tf1_recsys._tf import tf
from tf1_recsys.spec import ModelSpec
from tf1_recsys.training import arrays as A
from tf1_recsys.training import batches as B
from tf1_recsys.training import fit_hooks
from tf1_recsys.training.checkpoint import PREFIX, CheckpointError, latest_checkpoint, restore
from tf1_recsys.training.config import TrainConfig
from tf1_recsys.training.errors import (NAN_ADVICE, NanLossDuringTrainingError, listed, loss_not_finite,
                                       nonfinite_flags, nonfinite_names, state_not_finite)
from tf1_recsys.training.pipeline import batch_source
from tf1_recsys.training.spec_model_fn import SpecModelFn


def _close_events_writer(logdir):
    """Closes and forgets ``tf.compat.v1.summary.FileWriterCache``'s writer of ``logdir``.

    The cache keeps one writer per folder for the life of the process, and that writer
    goes on writing into its file after the file is deleted (``--overwrite``, ``rm -r``):
    a later run in the same process would lose its events.
    """
    cache = tf.summary.FileWriterCache
    with cache._lock:
        writer = cache._cache.pop(logdir, None)
    if writer is not None:
        writer.close()


class Trainer:
    """Trains, checkpoints, evaluates and predicts a model built by ``model_fn``.

    Args:
      model_fn: callable with no arguments returning a ``ModelSpec`` built in the
        current default graph (called once, in a graph of the model alone; ``freeze`` and
        ``export_saved_model`` call it again for the serving graph).
      config: ``TrainConfig``; default ``TrainConfig()``.
      model_dir: directory of checkpoints (``model.ckpt-<step>``) and TensorBoard events.
        None keeps no checkpoint and writes no summary (``fit`` trains through a
        temporary folder, removed by ``close``).
      eval_group_key: key of the group ids (e.g. user ids) in eval data; ``evaluate``
        then also reports GAUC.

    Attributes:
      graph, sess, spec, saver, global_step, train_op, loss, config, model_dir,
      restored_from (the checkpoint the session holds, None when initialised).

    Raises:
      CheckpointError: ``model_dir`` holds a checkpoint that cannot be restored.
    """

    def __init__(self, model_fn, config=None, model_dir=None, eval_group_key=None):
        from tf1_recsys.estimator import Estimator

        self.config = config if config is not None else TrainConfig()
        if not isinstance(self.config, TrainConfig):
            raise TypeError("Trainer: `config` must be a TrainConfig; got %s." % type(self.config).__name__)
        self.model_fn = model_fn
        self.model_dir = None if model_dir is None else os.fspath(model_dir)
        self.eval_group_key = eval_group_key
        self._scratch_dir = None
        self._fit = None
        cfg = self.config
        model_graph = tf.Graph()
        with model_graph.as_default():
            tf.set_random_seed(cfg.seed)
            spec = model_fn()
            if not isinstance(spec, ModelSpec):
                raise TypeError("Trainer: model_fn must return a ModelSpec; got %s." % type(spec).__name__)
            if not spec.labels:
                raise ValueError("Trainer: the model spec has no labels to train on.")
            meta_graph = tf.train.export_meta_graph(graph=model_graph, clear_devices=True)
        # The training graph, built once: fit runs it, predict / evaluate / save use it.
        self._source = batch_source(spec, cfg)
        model_fn_of_spec = SpecModelFn(meta_graph, spec, cfg, max_to_keep=cfg.max_to_keep)
        self._estimator = Estimator(model_fn_of_spec, config=self._run_config(self.model_dir or self._scratch()))
        self._train_graph = self._estimator._train_graph(self._source.input_fn)
        self.graph = self._train_graph.graph
        self.spec, self.loss = model_fn_of_spec.spec, self._train_graph.spec.loss
        self.train_op, self.global_step = self._train_graph.spec.train_op, self._train_graph.global_step
        self.saver = self._train_graph.scaffold.saver
        with self.graph.as_default():
            self._init_op = tf.global_variables_initializer()
            self._local_init_op = None  # local variables and lookup tables, as the Estimator's session has them
            if tf.local_variables() or tf.get_collection(tf.GraphKeys.TABLE_INITIALIZERS) or tf.get_collection(
                    tf.GraphKeys.LOCAL_RESOURCES):
                self._local_init_op = tf.train.Scaffold.default_local_init_op()
                tf.add_to_collection(tf.GraphKeys.LOCAL_INIT_OP, self._local_init_op)  # the scaffold's too
            self._variables = tf.global_variables()
            self._nonfinite = nonfinite_flags(self._variables)
            self._fit_fetches = fit_hooks.fit_fetches(self.spec, self.loss)
        self._stop_requested = None
        self._remove_stale_temporaries(self.model_dir)
        self.sess = tf.Session(graph=self.graph, config=cfg.session_config())
        self._hold_latest(self.model_dir)

    # ------------------------------------------------------------------ state
    @staticmethod
    def _remove_stale_temporaries(model_dir):
        """Removes the temporary shards of a save that was killed halfway (``model.ckpt-N_temp*``)."""
        if not model_dir or not os.path.isdir(model_dir):
            return
        for path in glob.glob(os.path.join(glob.escape(model_dir), PREFIX + "-*_temp*")):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.isfile(path):
                os.remove(path)

    def _hold_latest(self, model_dir):
        """Restores the latest checkpoint of ``model_dir`` into the session (or initialises it)."""
        prefix = latest_checkpoint(model_dir) if model_dir and os.path.isdir(model_dir) else None
        self.restored_from = None
        if prefix is None:
            self.sess.run(self._init_op)
        else:
            with self.graph.as_default():
                restore(self.sess, self.saver, prefix)
            self.restored_from = prefix if model_dir == self.model_dir else None
            # The Saver of a resumed run knows the earlier checkpoints, so max_to_keep holds.
            state = tf.train.get_checkpoint_state(model_dir)
            if state is not None:
                paths = [p if os.path.isabs(p) else os.path.join(model_dir, p)
                         for p in state.all_model_checkpoint_paths]
                self.saver.set_last_checkpoints_with_time(
                    [(p, os.path.getmtime(p + ".index")) for p in paths if os.path.exists(p + ".index")])
        if self._local_init_op is not None:
            self.sess.run(self._local_init_op)

    def _release_session(self):
        """Hands the trainer's session to ``fit``'s training loop: ``sess`` is None until ``fit`` returns."""
        self.sess = None

    def _session(self, what):
        """The trainer's session; RuntimeError naming ``what`` while ``fit`` holds the variables."""
        if self.sess is None:
            raise RuntimeError("Trainer.%s: the trainer's session is closed while fit holds the variables; "
                               "call it after fit returns." % what)
        return self.sess

    def _live(self):
        """``(session.run, spec)`` of the variables' current values: the trainer's session, or the
        training session while ``fit`` runs (a callback may predict or evaluate)."""
        if self.sess is not None:
            return self.sess.run, self.spec
        if self._fit is not None and self._fit.session is not None:
            return self._fit.session.run, self._fit.spec
        raise RuntimeError("Trainer: the trainer's session is closed while fit holds the variables; "
                           "wait for fit to return.")

    def nonfinite_variables(self):
        """Names of the float variables holding a NaN or an infinity (empty when all are finite)."""
        return nonfinite_names(self._session("nonfinite_variables"), self._nonfinite)

    def _latest(self):
        """The latest checkpoint for an error message: None also when the state file is damaged."""
        try:
            return latest_checkpoint(self.model_dir) if self.model_dir and os.path.isdir(self.model_dir) else None
        except CheckpointError:
            return None

    def _where_latest(self):
        """``(' in <model_dir>' or '', latest checkpoint or None)`` for the non-finite errors' messages."""
        return ("" if not self.model_dir else " in %s" % self.model_dir), self._latest()

    def request_stop(self, reason="stop requested"):
        """Asks a running ``fit`` to save a checkpoint and return after the current step.

        Safe to call from a signal handler. ``fit`` then returns with ``'stopped'``
        set to ``reason``.
        """
        self._stop_requested = reason

    @property
    def step(self):
        """The current global step (int); during ``fit``, the training session's."""
        if self._fit is not None and self._fit.step is not None:
            return self._fit.step
        run, _ = self._live()
        return int(run(self.global_step))

    def save(self):
        """Writes ``model_dir/model.ckpt-<step>`` and returns its prefix (None without model_dir).

        Raises:
          NanLossDuringTrainingError: a variable is NaN or infinite (nothing is written, so
            the latest checkpoint stays the last finite state).
        """
        if not self.model_dir:
            return None
        bad = self.nonfinite_variables()
        if bad:
            raise state_not_finite(self.step, bad, *self._where_latest())
        os.makedirs(self.model_dir, exist_ok=True)
        with self.graph.as_default():
            return self.saver.save(self._session("save"), os.path.join(self.model_dir, PREFIX),
                                   global_step=self.step)

    def write_scalars(self, step, values):
        """Writes ``{tag: number}`` at ``step`` to the TensorBoard events of ``model_dir`` (non-finite values skipped).

        The events go through ``tf.compat.v1.summary.FileWriterCache``, the writer of
        the Estimator's hooks, so one run keeps one events file.
        """
        if not self.model_dir:
            return
        os.makedirs(self.model_dir, exist_ok=True)
        with self.graph.as_default():  # FileWriter refuses eager mode
            writer = tf.summary.FileWriterCache.get(self.model_dir)
        summary = tf.Summary(value=[
            tf.Summary.Value(tag=tag, simple_value=float(v)) for tag, v in values.items()
            if v is not None and np.isfinite(v)
        ])
        writer.add_summary(summary, step)
        writer.flush()

    # ------------------------------------------------------------------ fit
    def _run_config(self, run_dir):
        from tf1_recsys.estimator.run_config import RunConfig

        cfg, summaries = self.config, self.model_dir is not None
        return RunConfig._single_process(
            model_dir=run_dir, tf_random_seed=int(cfg.seed), save_summary_steps=cfg.log_every if summaries else 0,
            save_checkpoints_steps=None, save_checkpoints_secs=None, session_config=cfg.session_config(),
            keep_checkpoint_max=cfg.max_to_keep, log_step_count_steps=cfg.log_every if summaries else None,
            checkpoint_save_graph_def=summaries)

    def fit(self, train, eval_data=None, callback=None):
        """Trains until ``epochs * ceil(N / batch_size)`` global steps, resuming where it stopped.

        The batch of global step ``s`` is ``batches.batch_indices(N, batch_size, seed, s)``:
        a resumed run continues exactly where the interrupted one stopped provided the
        data, ``batch_size``, ``seed`` and ``shuffle`` are unchanged.

        Args:
          train: dict name -> numpy array [N, ...] with every key of ``spec.inputs`` and
            ``spec.labels`` (extra keys are ignored).
          eval_data: optional dict like ``train``; evaluated at the end of each epoch
            (TensorBoard ``eval/...``, with GAUC when the trainer has an
            ``eval_group_key``) and at the end.
          callback: optional ``callback(event, info)``, called with ``'step'`` after each
            step (info: step, loss), ``'checkpoint'`` after each save (info: step, path)
            and ``'epoch'`` after each epoch's evaluation (info: step, epoch, results).

        Returns:
          dict with 'global_step', 'steps' (run now), 'loss' (mean over the last
          ``log_every`` steps), 'examples_per_sec', 'seconds', 'stopped' (the reason given
          to ``request_stop``, or None when training ran to the end), and the ``evaluate``
          results on eval_data prefixed by 'eval/'.

        Raises:
          NanLossDuringTrainingError: the loss became NaN or infinite; nothing after the
            last finite checkpoint is saved.
        """
        cfg = self.config
        n, arrays = A.checked_arrays(self.spec, train, True, "Trainer.fit(train)")
        spe = B.steps_per_epoch(n, cfg.batch_size)
        total = cfg.epochs * spe
        start = self.step
        self._stop_requested = None
        results = {}
        t0 = time.perf_counter()
        if start < total:
            run_dir = self.model_dir or self._scratch()
            self._remove_stale_temporaries(run_dir)
            progress = cfg.progress if cfg.progress is not None else sys.stderr.isatty()
            bar = tqdm(total=total, initial=start, disable=not progress, desc="train", unit="step",
                       dynamic_ncols=True)
            source = self._source.bind(arrays, total)
            self._fit = fit_hooks.FitHook(self, self._fit_fetches, source, total, spe, bar, callback, eval_data,
                                          self._eval_batch_size())
            listeners = [fit_hooks.FiniteStateGuard(self._nonfinite, self._where_latest)]
            if callback is not None and self.model_dir:
                listeners.append(fit_hooks.CallbackListener(callback, self.model_dir))
            saver_hook = fit_hooks.checkpoint_hook(
                run_dir, cfg.checkpoint_every if self.model_dir else 10 ** 12,
                cfg.checkpoint_secs if self.model_dir else None, listeners, save_graph_def=bool(self.model_dir))
            session, completed = self.sess, False
            try:
                self._estimator._train_on(self._train_graph, [self._fit, saver_hook], None, total, [], "",
                                          session_creator=fit_hooks.TrainerSession(self._train_graph.scaffold,
                                                                                   session))
                completed = True
            except NanLossDuringTrainingError:
                raise
            except tf.train.NanLossDuringTrainingError:  # TensorFlow's NanTensorHook: a NaN loss
                raise loss_not_finite(float("nan"), self.step + 1, *self._where_latest()) from None
            except tf.errors.InvalidArgumentError as e:
                raise A.rejected_batch(e, "Trainer.fit at global step %d" % (self.step + 1)) from None
            finally:
                bar.close()
                fit, self._fit, self.sess = self._fit, None, session
                if completed:  # the session holds what the last save wrote
                    self.restored_from = latest_checkpoint(run_dir) if run_dir == self.model_dir else None
                else:  # back to the last finite state
                    self._hold_latest(run_dir)
            if fit.loss is not None:
                results["loss"] = fit.loss
            examples = fit.examples
        else:
            examples = 0
        seconds = time.perf_counter() - t0
        step = self.step
        results.update({
            "global_step": step,
            "steps": step - start,
            "seconds": seconds,
            "examples_per_sec": examples / seconds if examples and seconds > 0 else float("nan"),
            "stopped": self._stop_requested,
        })
        if eval_data is not None and self._stop_requested is None:
            evaluated = {"eval/" + k: v for k, v in self.evaluate(eval_data).items()}
            self.write_scalars(step, evaluated)
            results.update(evaluated)
        return results

    def _scratch(self):
        if self._scratch_dir is None:
            self._scratch_dir = tempfile.mkdtemp(prefix="tf1_recsys_fit_")
        return self._scratch_dir

    # ------------------------------------------------------------------ inference
    def _eval_batch_size(self, batch_size=None):
        return batch_size or self.config.eval_batch_size or 4 * self.config.batch_size

    def predict(self, data, batch_size=None):
        """Predicted probabilities in inference mode (``training`` False).

        Args:
          data: dict name -> numpy array [N, ...] with every key of ``spec.inputs``.
        Returns:
          dict task -> float np.ndarray [N].
        """
        run, spec = self._live()
        return A.predict(run, spec, data, self._eval_batch_size(batch_size), what="Trainer.predict")

    def evaluate(self, data, group_key=None, batch_size=None):
        """Loss, AUC and (with group ids) GAUC of every task, in inference mode.

        Args:
          data: dict like ``fit``'s ``train``; with ``group_key`` it also holds the group ids.
          group_key: key of the group ids; default the trainer's ``eval_group_key``.
        Returns:
          dict: 'loss' (example-weighted mean of ``spec.loss``), 'auc/<task>', and with
          groups 'gauc/<task>' and 'gauc_groups/<task>' (groups used).
        """
        group_key = group_key if group_key is not None else self.eval_group_key
        run, spec = self._live()
        return A.evaluate(run, spec, data, self._eval_batch_size(batch_size), group_key, what="Trainer.evaluate")

    # ------------------------------------------------------------------ serving
    def inference_graph(self):
        """A clean copy of the model for serving: ``(graph, sess, spec)``.

        ``model_fn`` is rebuilt in a new graph (no optimizer) and its variables take the
        trainer's current values by name.
        """
        graph = tf.Graph()
        with graph.as_default():
            tf.set_random_seed(self.config.seed)
            spec = self.model_fn()
            variables = tf.global_variables()
        own = {v.op.name: v for v in self.graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}
        missing = [v.op.name for v in variables if v.op.name not in own]
        if missing:
            raise ValueError("Trainer.inference_graph: variables %s are not in the trainer's graph." % missing)
        values = self._session("inference_graph").run({v.op.name: own[v.op.name] for v in variables})
        sess = tf.Session(graph=graph)
        with graph.as_default():  # initial_value refuses eager mode
            sess.run([v.initializer for v in variables], {v.initial_value: values[v.op.name] for v in variables})
        return graph, sess, spec

    def serving_names(self):
        """``(inputs, outputs)``: dicts feature -> input tensor name and task -> prediction
        tensor name in the graphs of ``freeze`` and ``export_saved_model``."""
        return ({k: t.name for k, t in self.spec.inputs.items()},
                {k: t.name for k, t in self.spec.predictions.items()})

    def freeze(self):
        """The frozen inference GraphDef of ``model_fn`` with the trainer's current values.

        Inputs and outputs are named as ``serving_names()`` says; the training switch is
        a constant False.

        Raises:
          NanLossDuringTrainingError: a variable is NaN or infinite (a serving graph of it
            would answer NaN).
        """
        from tf1_recsys import export

        self._session("freeze")
        bad = self.nonfinite_variables()
        if bad:
            raise NanLossDuringTrainingError(
                "refusing to freeze: variables %s are not finite%s; retrain (%s)."
                % (listed(bad, 5), " (checkpoint %s)" % self.restored_from if self.restored_from else "",
                   NAN_ADVICE))
        graph, sess, spec = self.inference_graph()
        try:
            return export.freeze_session(sess, list(spec.predictions.values()), training=spec.training)
        finally:
            sess.close()

    def export_saved_model(self, export_dir, overwrite=False):
        """Writes a SavedModel of the inference graph (signature 'serving_default')."""
        from tf1_recsys import export

        graph, sess, spec = self.inference_graph()
        try:
            return export.export_saved_model(sess, spec, export_dir, overwrite=overwrite)
        finally:
            sess.close()

    def close(self):
        """Closes the session and the TensorBoard events, and removes ``fit``'s temporary folder."""
        if self.model_dir:
            _close_events_writer(self.model_dir)
        if self._scratch_dir is not None:
            _close_events_writer(self._scratch_dir)
            shutil.rmtree(self._scratch_dir, ignore_errors=True)
            self._scratch_dir = None
        if self.sess is not None:
            self.sess.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["Trainer", "NanLossDuringTrainingError"]
