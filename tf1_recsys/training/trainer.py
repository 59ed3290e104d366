"""``Trainer``: the session training loop for a ``ModelSpec``.

One trainer owns one ``tf.Graph`` and one ``tf.compat.v1.Session``. It builds the model
with ``tf.set_random_seed(config.seed)``, the train op (``build_train_op``, under
``UPDATE_OPS``), a ``Saver``, and restores the latest checkpoint of ``model_dir`` (or
initialises when there is none). ``fit`` continues from the restored global step at
the same batch of the same epoch; see ``tf1_recsys.training.batches``.

Exact resume holds for models without random ops in training (dropout draws from
stateful random kernels whose state is not checkpointed) and, for bit equality, a
single-threaded session (``TrainConfig(threads=1)``).

Nothing is lost beyond the checkpoint interval, as with TensorFlow's
``CheckpointSaverHook``: ``fit`` saves every ``checkpoint_every`` steps and every
``checkpoint_secs`` seconds, at the end, after ``request_stop()`` (the command calls it
on SIGINT / SIGTERM) and on ``KeyboardInterrupt``. Like ``NanTensorHook`` it stops at
the first non-finite loss with ``NanLossDuringTrainingError``; a checkpoint is only
written when every variable is finite, so the latest checkpoint is the last finite state.
"""
import glob
import os
import shutil
import sys
import time

import numpy as np
from tqdm import tqdm

from tf1_recsys import metrics
from tf1_recsys._tf import tf
from tf1_recsys.spec import ModelSpec
from tf1_recsys.training import batches as B
from tf1_recsys.training.checkpoint import PREFIX, CheckpointError, _message, latest_checkpoint, restore
from tf1_recsys.training.config import TrainConfig, build_train_op, training_loss
from tf1_recsys.training.pipeline import build_with_pipeline


def _auc(labels, scores):
    labels = np.asarray(labels)
    if labels.size == 0 or labels.min() == labels.max():
        return float("nan")  # AUC is undefined with one class
    return float(metrics.auc(labels, scores))


def _gauc(labels, scores, groups):
    """``metrics.gauc``, or NaN over 0 groups when no group holds both classes."""
    undefined = metrics.GAUCResult(float("nan"), 0, int(np.unique(groups).size))
    labels = np.asarray(labels)
    if labels.size == 0 or labels.min() == labels.max():
        return undefined
    try:
        return metrics.gauc(labels, scores, groups)
    except ValueError as e:
        if "no group has both" not in str(e):
            raise
        return undefined


def _task_losses(spec):
    """Per-task mean log loss ``{task: scalar}`` of a model with several heads; {} for one head."""
    tasks = [t for t in spec.logits if t in spec.labels]
    if len(tasks) < 2:
        return {}
    with tf.name_scope("task_loss"):
        return {t: tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
            labels=tf.cast(tf.reshape(spec.labels[t], tf.shape(spec.logits[t])), spec.logits[t].dtype),
            logits=spec.logits[t]), name=t) for t in tasks}


class _Window:
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
                values["train/auc/" + t] = _auc(np.concatenate(labels), np.concatenate(self.pred[t]))
        return values


class NanLossDuringTrainingError(tf.train.NanLossDuringTrainingError):
    """The loss (or a variable to be saved) is not finite; the message says where and what to try.

    A subclass of TensorFlow's own ``tf.compat.v1.train.NanLossDuringTrainingError``.
    """

    def __init__(self, message, step=None, checkpoint=None):
        super().__init__()
        self.message = message
        self.step = step
        self.checkpoint = checkpoint

    def __str__(self):
        return self.message


_NAN_ADVICE = ("try a smaller learning rate, gradient clipping (TrainConfig.clip_norm) or another "
               "optimizer")


class Trainer:
    """Trains, checkpoints, evaluates and predicts a model built by ``model_fn``.

    Args:
      model_fn: callable with no arguments returning a ``ModelSpec`` built in the
        current default graph (called inside the trainer's graph).
      config: ``TrainConfig``; default ``TrainConfig()``.
      model_dir: directory of checkpoints (``model.ckpt-<step>``) and TensorBoard events.
        None keeps no checkpoint and writes no summary.
      eval_group_key: key of the group ids (e.g. user ids) in eval data; ``evaluate``
        then also reports GAUC.

    Attributes:
      graph, sess, spec, saver, global_step, train_op, loss, config, model_dir.

    Raises:
      CheckpointError: ``model_dir`` holds a checkpoint that cannot be restored.
    """

    def __init__(self, model_fn, config=None, model_dir=None, eval_group_key=None):
        self.config = config if config is not None else TrainConfig()
        if not isinstance(self.config, TrainConfig):
            raise TypeError("Trainer: `config` must be a TrainConfig; got %s." % type(self.config).__name__)
        self.model_fn = model_fn
        self.model_dir = model_dir
        self.eval_group_key = eval_group_key
        self._writer = None
        self.graph = tf.Graph()
        cfg = self.config
        with self.graph.as_default():
            tf.set_random_seed(cfg.seed)
            if cfg.use_tf_data:
                spec, self._pipeline = build_with_pipeline(model_fn, cfg.seed, cfg.batch_size, cfg.prefetch)
            else:
                spec, self._pipeline = model_fn(), None
            if not isinstance(spec, ModelSpec):
                raise TypeError("Trainer: model_fn must return a ModelSpec; got %s." % type(spec).__name__)
            if not spec.labels:
                raise ValueError("Trainer: the model spec has no labels to train on.")
            self.spec = spec
            with tf.name_scope("train"):
                self.loss = training_loss(spec, cfg)
                self.train_op, self.global_step = build_train_op(
                    self.loss, cfg.optimizer, cfg.learning_rate, clip_norm=cfg.clip_norm,
                    **cfg.optimizer_kwargs
                )
            self.task_losses = _task_losses(spec)
            self.saver = tf.train.Saver(max_to_keep=cfg.max_to_keep, save_relative_paths=True)
            self._init_op = tf.global_variables_initializer()
            floats = [v for v in tf.global_variables() if v.dtype.base_dtype.is_floating]
            self._nonfinite = {v.op.name: tf.logical_not(tf.reduce_all(tf.is_finite(v))) for v in floats}
        self.sess = tf.Session(graph=self.graph, config=cfg.session_config())
        self.restored_from = None
        self._stop_requested = None
        self._remove_stale_temporaries()
        self._restore_or_initialize()

    # ------------------------------------------------------------------ state
    def _remove_stale_temporaries(self):
        """Removes the temporary shards of a save that was killed halfway (``model.ckpt-N_temp*``)."""
        if not self.model_dir or not os.path.isdir(self.model_dir):
            return
        for path in glob.glob(os.path.join(glob.escape(self.model_dir), PREFIX + "-*_temp*")):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.isfile(path):
                os.remove(path)

    def _restore_or_initialize(self):
        prefix = latest_checkpoint(self.model_dir) if self.model_dir and os.path.isdir(self.model_dir) else None
        if prefix is None:
            self.sess.run(self._init_op)
        else:
            with self.graph.as_default():
                restore(self.sess, self.saver, prefix)
            self.restored_from = prefix
            # The Saver of a resumed run knows the earlier checkpoints, so max_to_keep holds.
            state = tf.train.get_checkpoint_state(self.model_dir)
            if state is not None:
                paths = [p if os.path.isabs(p) else os.path.join(self.model_dir, p)
                         for p in state.all_model_checkpoint_paths]
                self.saver.set_last_checkpoints_with_time(
                    [(p, os.path.getmtime(p + ".index")) for p in paths if os.path.exists(p + ".index")])

    def nonfinite_variables(self):
        """Names of the float variables holding a NaN or an infinity (empty when all are finite)."""
        flags = self.sess.run(self._nonfinite)
        return sorted(name for name, bad in flags.items() if bad)

    def _latest(self):
        """The latest checkpoint for an error message: None also when the state file is damaged."""
        try:
            return latest_checkpoint(self.model_dir) if self.model_dir and os.path.isdir(self.model_dir) else None
        except CheckpointError:
            return None

    def request_stop(self, reason="stop requested"):
        """Asks a running ``fit`` to save a checkpoint and return after the current step.

        Safe to call from a signal handler. ``fit`` then returns with ``'stopped'``
        set to ``reason``.
        """
        self._stop_requested = reason

    @property
    def step(self):
        """The current global step (int)."""
        return int(self.sess.run(self.global_step))

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
            step = self.step
            raise NanLossDuringTrainingError(
                "not saving step %d: variables %s are not finite; the latest checkpoint in %s is the last "
                "finite state (%s)." % (step, ", ".join(bad[:3]) + (" ..." if len(bad) > 3 else ""),
                                        self.model_dir, _NAN_ADVICE),
                step=step, checkpoint=self._latest())
        os.makedirs(self.model_dir, exist_ok=True)
        with self.graph.as_default():
            return self.saver.save(self.sess, os.path.join(self.model_dir, PREFIX), global_step=self.step)

    def write_scalars(self, step, values):
        """Writes ``{tag: number}`` at ``step`` to the TensorBoard events of ``model_dir`` (non-finite values skipped)."""
        if not self.model_dir:
            return
        if self._writer is None:
            os.makedirs(self.model_dir, exist_ok=True)
            with self.graph.as_default():  # FileWriter refuses eager mode
                self._writer = tf.summary.FileWriter(self.model_dir, self.graph)
        summary = tf.Summary(value=[
            tf.Summary.Value(tag=tag, simple_value=float(v)) for tag, v in values.items()
            if v is not None and np.isfinite(v)
        ])
        self._writer.add_summary(summary, step)
        self._writer.flush()

    # ------------------------------------------------------------------ data
    def _keys(self, with_labels):
        keys = list(self.spec.inputs)
        if with_labels:
            keys += [k for k in self.spec.labels if k not in keys]
        return keys

    def _check_dtypes(self, data, keys, what):
        """ValueError for float arrays fed to integer inputs (feed_dict would truncate 1.7 to 1)."""
        tensors = dict(self.spec.labels)
        tensors.update(self.spec.inputs)
        for k in keys:
            t = tensors.get(k)
            a = np.asarray(data[k])
            if t is not None and t.dtype.base_dtype.is_integer and not (
                    np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_):
                raise ValueError("%s: input %r must hold integer ids (%s); got a %s array, which would be "
                                 "truncated silently. Convert it with .astype(int) after checking it."
                                 % (what, k, t.dtype.base_dtype.name, a.dtype))

    def _run(self, fetches, feed, what, step=None):
        """``sess.run`` whose invalid-argument errors (an id outside its table, a bad shape) are one line."""
        try:
            return self.sess.run(fetches, feed)
        except tf.errors.InvalidArgumentError as e:
            where = "" if step is None else " at global step %d" % (step + 1)
            raise tf.errors.InvalidArgumentError(
                e.node_def, e.op, "%s%s: TensorFlow rejected the batch: %s" % (what, where, _message(e))) from None

    def _feed(self, arrays, training):
        feed = {self.spec.training: training}
        for k, t in list(self.spec.inputs.items()) + list(self.spec.labels.items()):
            if k in arrays:
                feed[t] = arrays[k]
        return feed

    # ------------------------------------------------------------------ fit
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
        keys = self._keys(with_labels=True)
        n = B.check_arrays(train, keys, "Trainer.fit(train)")
        self._check_dtypes(train, keys, "Trainer.fit(train)")
        arrays = {k: np.asarray(train[k]) for k in keys}
        spe = B.steps_per_epoch(n, cfg.batch_size)
        total = cfg.epochs * spe
        start = step = self.step
        progress = cfg.progress if cfg.progress is not None else sys.stderr.isatty()
        bar = tqdm(total=total, initial=min(step, total), disable=not progress, desc="train", unit="step",
                   dynamic_ncols=True)
        tasks = list(self.spec.predictions)
        fetches = {"train": self.train_op, "loss": self.loss, "task_loss": self.task_losses,
                   "pred": dict(self.spec.predictions), "label": {t: self.spec.labels[t] for t in tasks if t in self.spec.labels}}
        window = _Window(tasks)
        last_saved = step if self.restored_from else None
        last_save_time = time.monotonic()
        results = {}
        examples = 0
        t0 = time.perf_counter()
        order_epoch = order = None
        self._stop_requested = None

        def checkpoint():
            nonlocal last_saved, last_save_time
            path = self.save()
            last_saved, last_save_time = step, time.monotonic()
            if callback is not None and path:
                callback("checkpoint", {"step": step, "path": path})

        if self._pipeline is not None and step < total:  # one iterator over this fit's steps
            self.sess.run(self._pipeline.initializer, self._pipeline.feed(arrays, step, total, cfg.seed, cfg.shuffle))
        try:
            while step < total and self._stop_requested is None:
                if self._pipeline is not None:
                    out = self._run(fetches, {self.spec.training: True}, "Trainer.fit", step)
                    size = len(next(iter(out["label"].values()))) if out["label"] else 0
                else:
                    epoch, within = divmod(step, spe)
                    if order_epoch != epoch:
                        order, order_epoch = B.epoch_order(n, cfg.seed, epoch, cfg.shuffle), epoch
                    index = order[within * cfg.batch_size:(within + 1) * cfg.batch_size]
                    out = self._run(fetches, self._feed(B.take(arrays, keys, index), True), "Trainer.fit", step)
                    size = len(index)
                loss = float(out["loss"])
                if not np.isfinite(loss):
                    raise NanLossDuringTrainingError(
                        "the training loss is %s at global step %d; stopped without saving, so the latest "
                        "checkpoint%s is the last finite state (%s)."
                        % (loss, step + 1, "" if not self.model_dir else " in %s" % self.model_dir, _NAN_ADVICE),
                        step=step + 1, checkpoint=self._latest())
                step += 1
                examples += size
                window.add(out)
                if callback is not None:
                    callback("step", {"step": step, "loss": loss})
                if (step % cfg.checkpoint_every == 0 or step == total or (
                        cfg.checkpoint_secs is not None and time.monotonic() - last_save_time >= cfg.checkpoint_secs)):
                    checkpoint()
                if step % cfg.log_every == 0 or step == total:
                    values = window.summary()
                    self.write_scalars(step, values)
                    bar.set_postfix(loss="%.4f" % values["train/loss"])
                    results["loss"] = values["train/loss"]
                    window = _Window(tasks)
                bar.update(1)
                if eval_data is not None and step % spe == 0 and step < total:
                    evaluated = {"eval/" + k: v for k, v in self.evaluate(eval_data).items()}
                    self.write_scalars(step, evaluated)
                    if callback is not None:
                        callback("epoch", {"step": step, "epoch": step // spe, "results": evaluated})
        except KeyboardInterrupt:
            if self.model_dir and step != last_saved:
                checkpoint()
            raise
        finally:
            bar.close()
        seconds = time.perf_counter() - t0
        if step != last_saved and self.model_dir:
            checkpoint()
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

    # ------------------------------------------------------------------ inference
    def _batches(self, data, with_labels, batch_size):
        keys = self._keys(with_labels)
        n = B.check_arrays(data, keys, "Trainer")
        self._check_dtypes(data, keys, "Trainer")
        bs = batch_size or self.config.eval_batch_size or 4 * self.config.batch_size
        arrays = {k: np.asarray(data[k]) for k in keys}
        for start in range(0, n, bs):
            yield {k: v[start:start + bs] for k, v in arrays.items()}

    def predict(self, data, batch_size=None):
        """Predicted probabilities in inference mode (``training`` False).

        Args:
          data: dict name -> numpy array [N, ...] with every key of ``spec.inputs``.
        Returns:
          dict task -> float np.ndarray [N].
        """
        parts = {t: [] for t in self.spec.predictions}
        for batch in self._batches(data, False, batch_size):
            out = self._run(self.spec.predictions, self._feed(batch, False), "Trainer.predict")
            for t, v in out.items():
                parts[t].append(np.reshape(v, [-1]))
        return {t: np.concatenate(v) for t, v in parts.items()}

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
        tasks = list(self.spec.predictions)
        preds = {t: [] for t in tasks}
        labels = {t: [] for t in tasks if t in self.spec.labels}
        loss_sum, count = 0.0, 0
        for batch in self._batches(data, True, batch_size):
            out = self._run({"loss": self.spec.loss, "pred": self.spec.predictions},
                            self._feed(batch, False), "Trainer.evaluate")
            size = len(next(iter(batch.values())))
            loss_sum += float(out["loss"]) * size
            count += size
            for t in tasks:
                preds[t].append(np.reshape(out["pred"][t], [-1]))
            for t in labels:
                labels[t].append(np.reshape(batch[t], [-1]))
        result = {"loss": loss_sum / count}
        for t in labels:
            y, p = np.concatenate(labels[t]), np.concatenate(preds[t])
            result["auc/" + t] = _auc(y, p)
            if group_key is not None:
                if group_key not in data:
                    raise ValueError("Trainer.evaluate: group key %r is not in the data." % group_key)
                g = _gauc(y, p, np.asarray(data[group_key]))
                result["gauc/" + t] = float(g.gauc)
                result["gauc_groups/" + t] = int(g.groups_used)
        return result

    # ------------------------------------------------------------------ serving
    def inference_graph(self):
        """A clean copy of the model for serving: ``(graph, sess, spec)``.

        ``model_fn`` is rebuilt in a new graph (no optimizer, no data pipeline) and its
        variables take the trainer's current values by name.
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
        values = self.sess.run({v.op.name: own[v.op.name] for v in variables})
        sess = tf.Session(graph=graph)
        with graph.as_default():  # initial_value refuses eager mode
            sess.run([v.initializer for v in variables], {v.initial_value: values[v.op.name] for v in variables})
        return graph, sess, spec

    def serving_names(self):
        """``(inputs, outputs)``: dicts feature -> input tensor name and task -> prediction
        tensor name in the graphs of ``freeze`` and ``export_saved_model`` (those of
        ``model_fn``; with ``use_tf_data`` they differ from ``self.spec``'s)."""
        if self._pipeline is not None:
            return self._pipeline.serving_names
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

        bad = self.nonfinite_variables()
        if bad:
            raise NanLossDuringTrainingError(
                "refusing to freeze: variables %s are not finite%s; retrain (%s)."
                % (", ".join(bad[:5]) + (" ..." if len(bad) > 5 else ""),
                   " (checkpoint %s)" % self.restored_from if self.restored_from else "", _NAN_ADVICE))
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
        """Closes the session and the TensorBoard writer."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.sess.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["Trainer", "NanLossDuringTrainingError"]
