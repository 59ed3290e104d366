"""``Estimator``: a ``model_fn`` trained, evaluated, served and exported on TensorFlow's own engine.

Training runs ``tf.compat.v1.train.MonitoredTrainingSession`` with TensorFlow's hooks
(``StopAtStepHook``, ``NanTensorHook``, ``LoggingTensorHook``, and on the chief
``CheckpointSaverHook``, ``StepCounterHook``, ``SummarySaverHook``); in a ``TF_CONFIG``
cluster the graph is placed by ``replica_device_setter`` and each task runs its
``tf.compat.v1.train.Server``. Evaluation and prediction restore a checkpoint into a
local ``tf.compat.v1.train.MonitoredSession``.
"""
import collections
import copy
import os
import shutil
import tempfile
import time

import numpy as np

from google.protobuf import message as _protobuf_message
from tensorflow.core.protobuf import rewriter_config_pb2 as _rewriter_config_pb2
from tensorflow.python.saved_model import model_utils as _model_utils
from tensorflow.python.training import training as _training

from tf1_recsys._tf import tf
from tf1_recsys.estimator import cluster
from tf1_recsys.estimator.estimator_spec import checked_instances
from tf1_recsys.estimator.user_fns import call_input_fn, call_model_fn, check_model_fn
from tf1_recsys.estimator.mode_keys import ModeKeys
from tf1_recsys.estimator.run_config import RunConfig
from tf1_recsys.estimator.tf_config import TaskType
from tf1_recsys.estimator.train_op import SyncReplicasHook
from tf1_recsys.estimator.warm_start import apply_warm_start, warm_start_settings

LOSS_METRIC_KEY = "loss"

TrainGraph = collections.namedtuple("TrainGraph", ["graph", "global_step", "spec", "input_hooks", "scaffold"])
TrainGraph.__doc__ = """A training graph built by ``Estimator._train_graph``: the ``EstimatorSpec`` of TRAIN,
its global step, the ``input_fn``'s hooks and the scaffold (with a saver)."""


def _positive_steps(name, value):
    if value is None:
        return None
    if value <= 0:
        raise ValueError("Must specify {} > 0, given: {}".format(name, value))
    return value


def _check_hooks_type(hooks):
    """``hooks`` as a list, each a ``SessionRunHook`` (checked before any graph is built)."""
    return checked_instances(hooks, tf.train.SessionRunHook, "Hooks must be a SessionRunHook, given: {}")


def _check_listeners_type(saving_listeners):
    return checked_instances(saving_listeners, tf.train.CheckpointSaverListener,
                             "saving_listeners must be a list of CheckpointSaverListener, given: {}")


def _add_to_summary(summary, key, value):
    """Adds one evaluation result to ``summary`` as tf.estimator does: a Python or numpy float / int
    (np.float32, np.int32, np.int64) as ``simple_value``; a serialized ``Summary`` (bytes) as its values,
    tagged ``key/<i>``; any other numpy array as a tensor; anything else (a nested tuple) is logged and skipped."""
    if isinstance(value, (float, np.float32, int, np.int32, np.int64)):
        summary.value.add(tag=key, simple_value=float(value))
    elif isinstance(value, bytes):
        try:
            parsed = tf.Summary.FromString(value)
        except _protobuf_message.DecodeError:
            tf.logging.warn("Skipping summary for %s, cannot parse string to Summary.", key)
            return
        for i, item in enumerate(parsed.value):
            item.tag = "%s/%d" % (key, i)
        summary.value.extend(parsed.value)
    elif isinstance(value, np.ndarray):
        summary.value.add(tag=key, node_name=key, tensor=tf.make_tensor_proto(value))
        tf.logging.info("Summary for np.ndarray is not visible in Tensorboard by default. Consider using a "
                        "Tensorboard plugin for visualization.")
    else:
        tf.logging.warn("Skipping summary for %s, must be a float, np.float32, np.int64, np.int32 or int or "
                        "np.ndarray or a serialized string of Summary.", key)


# Members a subclass may redefine; any other Estimator member it redefines is refused, as by tf.estimator.
_ALLOWED_OVERRIDES = frozenset([
    "model_fn", "_create_and_assert_global_step", "_export_all_saved_models", "_tf_api_names",
    "_tf_api_names_v1", "_estimator_api_names", "_estimator_api_names_v1", "_estimator_api_constants",
    "_estimator_api_constants_v1", "latest_checkpoint"])


def _assert_members_are_not_overridden(cls, obj):
    if obj.__class__.__name__ == "TPUEstimator":
        return
    members = {m for m in dir(cls) if not m.startswith("__")}
    common = members & set(obj.__class__.__dict__) - _ALLOWED_OVERRIDES
    overridden = [m for m in common if getattr(cls, m) != getattr(obj.__class__, m)]
    if overridden:
        raise ValueError("Subclasses of Estimator cannot override members of Estimator. {} does override {}"
                         .format(obj.__class__, overridden))


def default_session_config():
    """tf.estimator's session config when none is given: soft placement, one pass of Grappler's meta-optimizer."""
    rewrite = _rewriter_config_pb2.RewriterConfig(meta_optimizer_iterations=_rewriter_config_pb2.RewriterConfig.ONE)
    return tf.ConfigProto(allow_soft_placement=True, graph_options=tf.GraphOptions(rewrite_options=rewrite))


def _config_with_model_dir(config, model_dir):
    """``config`` (a copy keeping its class and attributes) with ``model_dir`` and a session config set, as
    tf.estimator does."""
    if config is None:
        config = RunConfig()
    if not isinstance(config, RunConfig):
        raise ValueError("config must be an instance of `RunConfig`, but provided %s." % config)
    model_dir = None if model_dir is None else os.fspath(model_dir)
    if config.session_config is None:
        config = config.replace(session_config=default_session_config())
    if model_dir is not None and config.model_dir is not None and config.model_dir != model_dir:
        raise ValueError("`model_dir` are set both in constructor and `RunConfig`, but with different values. "
                         "In constructor: '{}', in `RunConfig`: '{}' ".format(model_dir, config.model_dir))
    if model_dir:
        return config.replace(model_dir=model_dir)
    if config.model_dir is None:
        model_dir = tempfile.mkdtemp()
        tf.logging.warn("Using temporary folder as model directory: %s", model_dir)
        return config.replace(model_dir=model_dir)
    return config


def _warn_if_endless(features):
    """tf.estimator's warning when ``predict``'s input has neither a Dataset iterator nor a queue runner to end it."""
    tensors = [t for t in tf.nest.flatten(features) if isinstance(t, tf.Tensor)]
    if any(t.op.type == "IteratorGetNext" for t in tensors):
        return
    if not tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS):
        tf.logging.warning("Input graph does not use tf.data.Dataset or contain a QueueRunner. That means predict "
                           "yields forever. This is probably a mistake.")


def _replica_device_setter(config):
    """tf.estimator's default placement in a cluster with ps tasks: variables round-robin on the ps; else None."""
    if not config.is_distributed:
        return None
    return tf.train.replica_device_setter(
        ps_tasks=config.num_ps_replicas, worker_device="/job:%s/task:%d" % (config.task_type, config.task_id),
        merge_devices=True, cluster=config.cluster_spec)


def _global_step_of(checkpoint):
    if not checkpoint:
        return 0
    try:
        return int(tf.train.load_variable(checkpoint, tf.GraphKeys.GLOBAL_STEP))
    except (tf.errors.NotFoundError, ValueError):
        return 0


def _worker_delay_secs(config):
    """``tf.estimator``'s start-up delay of a non-chief worker: 5 s per index, at most the configured maximum."""
    if not config.is_distributed or config.is_chief or not config.experimental_max_worker_delay_secs:
        return 0
    return min(config.experimental_max_worker_delay_secs, 5 * (config.task_id + 1))


def _scaffold_with_saver(scaffold, config):
    """``scaffold``, whose saver is the graph's sharded saver keeping ``config.keep_checkpoint_max``
    checkpoints unless it or the graph has one: added to the SAVERS collection as tf.estimator does, so
    what a hook or ``Scaffold().finalize()`` looks up in the graph is that saver."""
    if scaffold.saver is None and not tf.get_collection(tf.GraphKeys.SAVERS):
        tf.add_to_collection(tf.GraphKeys.SAVERS, tf.train.Saver(
            sharded=True, max_to_keep=config.keep_checkpoint_max,
            keep_checkpoint_every_n_hours=config.keep_checkpoint_every_n_hours, defer_build=True,
            save_relative_paths=True))
    return scaffold


class _EvalStepsHook(tf.train.SessionRunHook):
    """Stops an evaluation after ``steps`` runs of its update op, logging ``Evaluation [done/steps]`` as TF does.

    Every run below 20 steps, else every tenth of them, and the last.
    """

    def __init__(self, steps):
        self._steps = steps
        self._done = 0

    def begin(self):
        self._done = 0

    def after_run(self, run_context, run_values):
        self._done += 1
        if self._done % (1 if self._steps < 20 else self._steps // 10) == 0 or self._done == self._steps:
            tf.logging.info("Evaluation [%d/%d]", self._done, self._steps)
        if self._done >= self._steps:
            run_context.request_stop()


def _load_global_step_from_checkpoint_dir(checkpoint_dir):
    """The global step of the latest checkpoint in ``checkpoint_dir``; 0 where there is none."""
    return _global_step_of(tf.train.latest_checkpoint(checkpoint_dir))


def _save_on_interrupt(mon_sess, hooks):
    """On KeyboardInterrupt the chief's ``CheckpointSaverHook``s save the current step, as at a normal end."""
    savers = [h for h in hooks if isinstance(h, tf.train.CheckpointSaverHook)]
    if savers:
        mon_sess.run_step_fn(lambda step_context: [h.end(step_context.session) for h in savers])


class Estimator:
    """Runs a ``model_fn(features, labels, mode, params, config)`` like ``tf.estimator.Estimator``.

    Args:
      model_fn: builds the graph of one mode and returns an ``EstimatorSpec``. It must
        take ``features``; ``labels``, ``mode``, ``params`` and ``config`` are passed
        when it declares them.
      model_dir: checkpoint folder; default ``config.model_dir``, else a new temporary
        folder.
      config: a ``RunConfig`` (default: ``RunConfig()``, which reads ``$TF_CONFIG``).
      params: dict passed to ``model_fn`` (deep-copied).
      warm_start_from: a checkpoint file or folder (or a SavedModel folder) whose
        trainable variables initialise a new training run, or a ``WarmStartSettings``
        choosing the variables (``tf.compat.v1.train.warm_start``).
    """

    def __init__(self, model_fn, model_dir=None, config=None, params=None, warm_start_from=None):
        _assert_members_are_not_overridden(Estimator, self)
        config = _config_with_model_dir(config, model_dir)
        check_model_fn(model_fn, params)
        self._model_fn = model_fn
        self._model_dir = config.model_dir
        self._config = config
        self._session_config = config.session_config  # tf.estimator's attribute: public code opens its sessions with it
        self._params = copy.deepcopy(params or {})
        self._warm_start_settings = warm_start_settings(warm_start_from)

    model_dir = property(lambda self: self._model_dir)
    config = property(lambda self: copy.deepcopy(self._config))
    params = property(lambda self: copy.deepcopy(self._params))

    @property
    def model_fn(self):
        """``model_fn(features, labels, mode, config)`` calling the user's with this Estimator's params."""
        def public_model_fn(features, labels, mode, config):
            return call_model_fn(self._model_fn, features, labels, mode, self.params, config)

        return public_model_fn

    def eval_dir(self, name=None):
        """The folder of the evaluation summaries: ``model_dir/eval``, or ``model_dir/eval_<name>``."""
        return os.path.join(self._model_dir, "eval" if not name else "eval_" + name)

    # ------------------------------------------------------------------ checkpoints
    def latest_checkpoint(self):
        """The newest checkpoint prefix of ``model_dir``, or None."""
        return tf.train.latest_checkpoint(self._model_dir)

    def _checkpoint_or_raise(self, checkpoint_path=None):
        checkpoint = checkpoint_path or self.latest_checkpoint()
        if not checkpoint:
            raise ValueError("Could not find trained model in model_dir: %s." % self._model_dir)
        return checkpoint

    def get_variable_names(self):
        """Names of the variables in the latest checkpoint (partitioned ones by their full name)."""
        return [name for name, _ in tf.train.list_variables(self._checkpoint_or_raise())]

    def get_variable_value(self, name):
        """The value (numpy array) of variable ``name`` in the latest checkpoint."""
        return tf.train.load_variable(self._checkpoint_or_raise(), name)

    # ------------------------------------------------------------------ graphs
    def _new_graph(self):
        graph = tf.Graph()
        if self._config.tf_random_seed is not None:
            with graph.as_default():
                tf.set_random_seed(self._config.tf_random_seed)
        return graph

    def _local_session_config(self):
        return self._config._user_session_config  # evaluation and prediction run in this process

    # ------------------------------------------------------------------ train
    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None):
        """Trains from ``input_fn`` until ``steps`` more steps, ``max_steps`` in all, or the input ends.

        In a ``TF_CONFIG`` cluster a chief or worker task trains against the ps tasks and
        then tells those that answer that it is done (an absent one is named in a logged
        line, not waited for, as tf.estimator waits for none); a ps task serves until every
        worker is done. A task
        whose training raises (a NaN loss, say) does not report done: restart it, or the
        ps tasks serve until their deadline (``$TF1_RECSYS_TASK_DEADLINE_SECS``). A task
        whose ps task is gone for ``RunConfig(ps_failure_timeout_secs=...)`` exits with
        status 75 and a line naming it and the last checkpoint. On KeyboardInterrupt (Ctrl-C)
        the chief saves a checkpoint of the current step before the interrupt goes on.

        Returns:
          ``self``.
        """
        config = self._config
        if config.task_type == TaskType.EVALUATOR:
            raise ValueError("Train has been called wrong configuration. Please use tf.estimator.train_and_evaluate "
                             "which calls proper API according to given configuration. Current configuration: "
                             "{}.".format(self.config))
        if config.cluster_spec.jobs and not config.is_distributed and config.num_worker_replicas > 1:
            raise ValueError("Estimator.train: the TF_CONFIG cluster has %d training tasks but no 'ps' job; "
                             "tf1_recsys.estimator trains a cluster with parameter servers only."
                             % config.num_worker_replicas)
        if config.task_type == TaskType.PS and config.is_distributed:
            cluster.serve_ps(config)
            return self
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps.")
        steps = _positive_steps("steps", steps)
        max_steps = _positive_steps("max_steps", max_steps)
        hooks = _check_hooks_type(hooks)
        saving_listeners = _check_listeners_type(saving_listeners)
        master = config.master
        watchdog = None
        if config.is_distributed:
            master = cluster.start_server(config).target
            if config.ps_failure_timeout_secs:
                watchdog = cluster.PsWatchdog(config, self._model_dir, config.ps_failure_timeout_secs).start()
        try:
            if max_steps is not None and _global_step_of(self.latest_checkpoint()) >= max_steps:
                tf.logging.info("Skipping training since max_steps has already saved.")
            else:
                delay = _worker_delay_secs(config)
                if delay:
                    cluster.log("%s:%d waits %d s before training (experimental_max_worker_delay_secs)"
                                % (config.task_type, config.task_id, delay))
                    time.sleep(delay)
                if watchdog is not None:
                    hooks = hooks + [watchdog.hook()]
                loss = self._train(input_fn, hooks, steps, max_steps, saving_listeners, master)
                tf.logging.info("Loss for final step: %s.", loss)
            if config.is_distributed:
                cluster.signal_done(config)
        finally:
            if watchdog is not None:
                watchdog.stop()
        return self

    def _train(self, input_fn, hooks, steps, max_steps, saving_listeners, master):
        return self._train_on(self._train_graph(input_fn), hooks, steps, max_steps, saving_listeners, master)

    def _train_graph(self, input_fn):
        """Builds a new training graph: the global step, ``input_fn``'s tensors, the TRAIN ``model_fn``,
        the warm start, the scaffold's saver and the ``loss`` summary.

        Returns:
          ``TrainGraph``; ``_train_on`` runs it, as many times as wanted: after its first run (the
          scaffold's and the hooks' ops) a run adds no op, so a session keeps its compiled steps.
        """
        config = self._config
        graph = self._new_graph()
        with graph.as_default(), graph.device(config.device_fn or _replica_device_setter(config)):
            global_step = tf.train.get_or_create_global_step()
            features, labels, input_hooks = call_input_fn(input_fn, ModeKeys.TRAIN, self.params, config)
            spec = call_model_fn(self._model_fn, features, labels, ModeKeys.TRAIN, self.params, config)
            if self._warm_start_settings is not None:
                apply_warm_start(self._warm_start_settings)
            scaffold = _scaffold_with_saver(spec.scaffold, config)
            if not any(s.op.name == "loss" for s in tf.get_collection(tf.GraphKeys.SUMMARIES)):
                tf.summary.scalar("loss", spec.loss)
            tf.add_to_collection(tf.GraphKeys.LOSSES, spec.loss)
        return TrainGraph(graph, global_step, spec, list(input_hooks), scaffold)

    def _train_on(self, built, hooks, steps, max_steps, saving_listeners, master, session_creator=None):
        """Trains on the graph ``_train_graph`` built; ``session_creator`` (default: a new session
        restoring the latest checkpoint of ``model_dir``) gives the chief its session."""
        config = self._config
        graph, global_step, spec, scaffold = built.graph, built.global_step, built.spec, built.scaffold
        with graph.as_default(), graph.device(config.device_fn or _replica_device_setter(config)):
            # tf.estimator's order: input hooks, the user's, the step limit, the NaN check, logging,
            # the model_fn's. The chief's hooks come after all of them, so that the NaN check runs
            # before a CheckpointSaverHook would save the weights of a NaN step.
            worker_hooks = list(built.input_hooks) + hooks
            if steps is not None or max_steps is not None:
                worker_hooks.append(tf.train.StopAtStepHook(num_steps=steps, last_step=max_steps))
            worker_hooks.append(tf.train.NanTensorHook(spec.loss))
            if config.log_step_count_steps:
                worker_hooks.append(tf.train.LoggingTensorHook(
                    {"loss": spec.loss, "step": global_step}, every_n_iter=config.log_step_count_steps))
            worker_hooks += list(spec.training_hooks)
            chief_hooks = list(spec.training_chief_hooks)
            saver_hooks = [h for h in worker_hooks + chief_hooks if isinstance(h, tf.train.CheckpointSaverHook)]
            if (config.save_checkpoints_steps or config.save_checkpoints_secs) and not saver_hooks:
                saver_hooks.append(tf.train.CheckpointSaverHook(
                    self._model_dir, save_secs=config.save_checkpoints_secs,
                    save_steps=config.save_checkpoints_steps, scaffold=scaffold,
                    save_graph_def=config.checkpoint_save_graph_def))
                chief_hooks.append(saver_hooks[0])
            if saving_listeners:
                if not saver_hooks:
                    raise ValueError(
                        "There should be a CheckpointSaverHook to use saving_listeners. Please set one of the "
                        "RunConfig.save_checkpoints_steps or RunConfig.save_checkpoints_secs.")
                for listener in saving_listeners:
                    if listener not in saver_hooks[0]._listeners:
                        saver_hooks[0]._listeners.append(listener)
            summary_steps, step_count_steps = config.save_summary_steps, config.log_step_count_steps
            jobs = config.cluster_spec.jobs
            if TaskType.MASTER in jobs and TaskType.WORKER in jobs:
                # tf.estimator's rule for a master cluster: the master evaluates, so worker 0 writes the
                # summaries and counts the steps instead of it.
                if config.task_type == TaskType.WORKER and config.task_id == 0:
                    worker_hooks += self._summary_hooks(scaffold, summary_steps, step_count_steps)
                summary_steps, step_count_steps = 0, None
            if session_creator is not None:
                chief_hooks += self._summary_hooks(scaffold, summary_steps, step_count_steps)
            session = self._training_session(master, scaffold, worker_hooks, chief_hooks, session_creator,
                                             summary_steps, step_count_steps)
            try:
                loss, done = None, 0
                with session as mon_sess:
                    try:
                        while not mon_sess.should_stop():
                            done += 1
                            _, loss = mon_sess.run([spec.train_op, spec.loss])
                    except KeyboardInterrupt:
                        if config.is_chief:
                            _save_on_interrupt(mon_sess, worker_hooks + chief_hooks)
                        raise
                if not done:
                    tf.logging.warn("Training with estimator made no steps. Perhaps input is empty or misspecified.")
                return loss
            finally:
                for hook in worker_hooks + chief_hooks:
                    if isinstance(hook, SyncReplicasHook):
                        hook.join()

    def _summary_hooks(self, scaffold, summary_steps, step_count_steps):
        """The step counter and summary hooks ``MonitoredTrainingSession`` builds for a chief, in its order."""
        hooks = []
        if step_count_steps and step_count_steps > 0:
            hooks.append(tf.train.StepCounterHook(every_n_steps=step_count_steps, output_dir=self._model_dir))
        if summary_steps and summary_steps > 0:
            hooks.append(tf.train.SummarySaverHook(save_steps=summary_steps, output_dir=self._model_dir,
                                                   scaffold=scaffold))
        return hooks

    def _training_session(self, master, scaffold, worker_hooks, chief_hooks, session_creator=None,
                          summary_steps=None, step_count_steps=None):
        config = self._config
        if session_creator is not None:
            return tf.train.MonitoredSession(session_creator=session_creator, hooks=worker_hooks + chief_hooks,
                                             stop_grace_period_secs=config.stop_grace_period_secs)
        if config.is_chief:
            # One list in our order (MonitoredTrainingSession would put chief_only_hooks first, so the
            # checkpoint of a NaN step would be saved before the NaN check). As tf.estimator, the step
            # counter and summary hooks are MonitoredTrainingSession's own (before the list), and it is
            # looked up in TensorFlow's training module at each call, so a program that patches
            # training.MonitoredTrainingSession sees its patch and the arguments tf.estimator passes.
            return _training.MonitoredTrainingSession(
                master=master, is_chief=True, checkpoint_dir=self._model_dir, scaffold=scaffold,
                hooks=worker_hooks + chief_hooks, chief_only_hooks=None, save_checkpoint_secs=None,
                save_checkpoint_steps=None, save_summaries_steps=summary_steps, save_summaries_secs=None,
                config=config.session_config, max_wait_secs=config.session_creation_timeout_secs,
                log_step_count_steps=step_count_steps, stop_grace_period_secs=config.stop_grace_period_secs)
        # What MonitoredTrainingSession(is_chief=False) builds, with a short poll for the chief.
        creator = cluster.ShortWaitWorkerSessionCreator(
            scaffold=scaffold, master=master, config=config.session_config,
            max_wait_secs=config.session_creation_timeout_secs, recovery_wait_secs=config.recovery_wait_secs)
        return tf.train.MonitoredSession(session_creator=creator, hooks=worker_hooks,
                                         stop_grace_period_secs=config.stop_grace_period_secs)

    # ------------------------------------------------------------------ evaluate
    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None):
        """Evaluates a checkpoint on ``input_fn`` for ``steps`` batches or until the input ends.

        Returns:
          dict: every ``eval_metric_ops`` value, ``'loss'`` (the mean of the batch
          losses, ``tf.compat.v1.metrics.mean``) and ``'global_step'`` of the
          checkpoint. The values are also written as summaries to ``model_dir/eval``
          (``eval_<name>``).
        """
        hooks = _check_hooks_type(hooks)
        steps = _positive_steps("steps", steps)
        checkpoint = checkpoint_path or self.latest_checkpoint()
        if not checkpoint:
            tf.logging.info("Could not find trained model in model_dir: {}, running initialization to evaluate."
                            .format(self._model_dir))
        hooks += self._convert_eval_steps_to_hooks(steps)
        with self._new_graph().as_default():
            scaffold, update_op, eval_dict, all_hooks = self._evaluate_build_graph(input_fn, hooks, checkpoint)
            return self._evaluate_run(checkpoint, scaffold, update_op, eval_dict, all_hooks, self.eval_dir(name))

    @staticmethod
    def _convert_eval_steps_to_hooks(steps):
        """``[hook]`` ending an evaluation after ``steps`` batches, or ``[]`` for steps None (to the input's end)."""
        if steps is None:
            return []
        return [_EvalStepsHook(steps)]

    def _evaluate_build_graph(self, input_fn, hooks=None, checkpoint_path=None):
        """Builds the evaluation in the default graph (also ``InMemoryEvaluatorHook``'s).

        Returns:
          ``(scaffold, update_op, eval_dict, all_hooks)``: ``eval_dict`` maps every metric,
          ``'loss'`` and ``'global_step'`` to its value tensor.
        """
        del checkpoint_path  # the same graph evaluates any checkpoint
        global_step = tf.train.get_or_create_global_step()
        features, labels, input_hooks = call_input_fn(input_fn, ModeKeys.EVAL, self.params, self._config)
        spec = call_model_fn(self._model_fn, features, labels, ModeKeys.EVAL, self.params, self._config)
        if LOSS_METRIC_KEY in spec.eval_metric_ops:
            raise ValueError('Metric with name "%s" is not allowed, because Estimator already defines a '
                             "default metric with the same name." % LOSS_METRIC_KEY)
        metrics = dict(spec.eval_metric_ops)
        metrics[LOSS_METRIC_KEY] = tf.metrics.mean(spec.loss)
        update_op = tf.group(*[update for _, update in metrics.values()])
        eval_dict = {key: value for key, (value, _) in metrics.items()}
        if tf.GraphKeys.GLOBAL_STEP in eval_dict:
            raise ValueError("Metric with name `global_step` is not allowed, because Estimator already defines a "
                             "default metric with the same name.")
        eval_dict[tf.GraphKeys.GLOBAL_STEP] = global_step
        all_hooks = list(input_hooks) + list(hooks or []) + list(spec.evaluation_hooks)
        return spec.scaffold, update_op, eval_dict, all_hooks

    def _evaluate_run(self, checkpoint_path, scaffold, update_op, eval_dict, all_hooks, output_dir):
        """Runs ``update_op`` until a hook or the input stops, writes the results as summaries to ``output_dir``.

        Returns:
          dict: the values of ``eval_dict`` at the end.
        """
        if checkpoint_path:
            scaffold = _scaffold_with_saver(scaffold, self._config)
        final = tf.train.FinalOpsHook(eval_dict)
        creator = tf.train.ChiefSessionCreator(scaffold=scaffold, checkpoint_filename_with_path=checkpoint_path,
                                               master=self._config.evaluation_master,
                                               config=self._local_session_config())
        tf.logging.info("Starting evaluation at " + time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime()))
        start = time.time()
        with tf.train.MonitoredSession(session_creator=creator, hooks=list(all_hooks) + [final]) as sess:
            while not sess.should_stop():
                sess.run(update_op)
        tf.logging.info("Inference Time : {:0.5f}s".format(time.time() - start))
        tf.logging.info("Finished evaluation at " + time.strftime("%Y-%m-%d-%H:%M:%S", time.localtime()))
        results = dict(final.final_ops_values)
        self._write_eval_summary(results, output_dir, checkpoint_path)
        return results

    @staticmethod
    def _write_eval_summary(results, folder, checkpoint):
        """Logs ``results`` and writes them (and ``checkpoint``'s path) to ``folder``, as tf.estimator."""
        step = int(results[tf.GraphKeys.GLOBAL_STEP])
        tf.logging.info("Saving dict for global step %d: %s", step, ", ".join(
            "%s = %s" % (k, v) for k, v in sorted(results.items()) if not isinstance(v, bytes)))
        summary = tf.Summary()
        for key, value in results.items():
            if key != tf.GraphKeys.GLOBAL_STEP and value is not None:
                _add_to_summary(summary, key, value)
        with tf.Graph().as_default():
            writer = tf.summary.FileWriterCache.get(folder)
            writer.add_summary(summary, step)
            if checkpoint:  # a Summary of its own, after the results', as tf.estimator writes it
                tf.logging.info("Saving 'checkpoint_path' summary for global step %d: %s", step, checkpoint)
                path = tf.Summary()
                path.value.add(tag="checkpoint_path", tensor=tf.make_tensor_proto(checkpoint, dtype=tf.string))
                writer.add_summary(path, step)
            writer.flush()

    # ------------------------------------------------------------------ predict
    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None, yield_single_examples=True):
        """Yields the predictions of ``input_fn``'s features, one example (or one batch) at a time.

        Without a checkpoint the variables are initialised (as Estimator did). Labels that
        ``input_fn`` returns are ignored.

        Yields:
          dict key -> numpy array per example (``predict_keys`` only), or one array when
          ``predictions`` is a single tensor; whole batches when
          ``yield_single_examples`` is False.
        """
        hooks = _check_hooks_type(hooks)
        checkpoint = checkpoint_path or self.latest_checkpoint()
        if not checkpoint:
            tf.logging.info("Could not find trained model in model_dir: {}, running initialization to predict."
                            .format(self._model_dir))
        graph = self._new_graph()
        with graph.as_default():
            tf.train.get_or_create_global_step()
            features, _, input_hooks = call_input_fn(input_fn, ModeKeys.PREDICT, self.params, self._config)
            _warn_if_endless(features)
            spec = call_model_fn(self._model_fn, features, None, ModeKeys.PREDICT, self.params, self._config)
            predictions = self._selected(spec.predictions, predict_keys)
            scaffold = _scaffold_with_saver(spec.scaffold, self._config)
            creator = tf.train.ChiefSessionCreator(scaffold=scaffold, checkpoint_filename_with_path=checkpoint,
                                                   master=self._config.evaluation_master,
                                                   config=self._local_session_config())
            all_hooks = list(input_hooks) + hooks + list(spec.prediction_hooks)
            with tf.train.MonitoredSession(session_creator=creator, hooks=all_hooks) as sess:
                while not sess.should_stop():
                    batch = sess.run(predictions)
                    if not yield_single_examples:
                        yield batch
                        continue
                    if not isinstance(batch, dict):
                        for row in batch:
                            yield row
                        continue
                    sizes = {key: value.shape[0] if np.ndim(value) else None for key, value in batch.items()}
                    if None in sizes.values() or len(set(sizes.values())) != 1:
                        raise ValueError(
                            "Batch length of predictions should be same to yield single examples; got first "
                            "dimensions %s. Pass yield_single_examples=False." % sizes)
                    for i in range(next(iter(sizes.values()))):
                        yield {key: value[i] for key, value in batch.items()}

    @staticmethod
    def _selected(predictions, predict_keys):
        """The ``predictions`` named in ``predict_keys`` (None or empty: all), in their order, as tf.estimator:
        keys that are not predictions are left out; ValueError if none is, or for a single-tensor prediction."""
        if not predict_keys:
            return predictions
        if not isinstance(predictions, dict):
            raise ValueError("predict_keys argument is not valid in case of non-dict predictions.")
        keys = [predict_keys] if isinstance(predict_keys, str) else list(predict_keys)
        selected = {key: value for key, value in predictions.items() if key in keys}
        if not selected:
            raise ValueError("Expected to run at least one output from %s, provided %s."
                             % (predictions.keys(), predict_keys))
        return selected

    # ------------------------------------------------------------------ export
    def export_saved_model(self, export_dir_base, serving_input_receiver_fn, assets_extra=None, as_text=False,
                           checkpoint_path=None, experimental_mode=ModeKeys.PREDICT):
        """Writes a SavedModel (tag 'serve') of the PREDICT graph under ``export_dir_base/<timestamp>``.

        Args:
          export_dir_base: parent folder of the timestamped export.
          serving_input_receiver_fn: returns a ``ServingInputReceiver``; see
            ``build_raw_serving_input_receiver_fn``.
          assets_extra: dict destination path (relative, under ``assets.extra``) -> source file.
          as_text: write ``saved_model.pbtxt``.
          checkpoint_path: the checkpoint to export; default the latest.
          experimental_mode: only ``ModeKeys.PREDICT`` (exports of the TRAIN and EVAL
            graphs are not supported).

        Returns:
          The export folder, as bytes (like ``tf.estimator``).
        """
        if not serving_input_receiver_fn:
            raise ValueError("An input_receiver_fn must be defined.")
        if experimental_mode != ModeKeys.PREDICT:
            raise ValueError("export_saved_model: `experimental_mode` must be ModeKeys.PREDICT (%r); got %r."
                             % (ModeKeys.PREDICT, experimental_mode))
        checkpoint = self._checkpoint_or_raise(checkpoint_path)
        graph = self._new_graph()
        with graph.as_default():
            tf.train.get_or_create_global_step()
            receiver = serving_input_receiver_fn()
            spec = call_model_fn(self._model_fn, receiver.features, getattr(receiver, "labels", None),
                                 ModeKeys.PREDICT, self.params, self.config)
            # TensorFlow's own signature builder: one signature per export output and per
            # receiver alternative ('<alternative>:<key>'); outputs that cannot serve are skipped.
            signatures = _model_utils.build_all_signature_defs(
                receiver.receiver_tensors, spec.export_outputs,
                getattr(receiver, "receiver_tensors_alternatives", None), serving_only=True)
            saver = spec.scaffold.saver or tf.train.Saver(sharded=True)
            final_dir = self._timestamped_dir(export_dir_base)
            temp_dir = os.path.join(os.path.dirname(final_dir), "temp-" + os.path.basename(final_dir))
            with tf.Session(config=self._local_session_config()) as sess:
                saver.restore(sess, checkpoint)
                builder = tf.saved_model.Builder(temp_dir)
                builder.add_meta_graph_and_variables(
                    sess, [tf.saved_model.tag_constants.SERVING], signature_def_map=signatures,
                    main_op=tf.group(tf.local_variables_initializer(), tf.tables_initializer()),
                    strip_default_attrs=True, saver=saver)
                builder.save(as_text)
        for dest, source in (assets_extra or {}).items():
            target = os.path.join(temp_dir, "assets.extra", dest)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
        os.rename(temp_dir, final_dir)
        return final_dir.encode()

    def export_savedmodel(self, export_dir_base, serving_input_receiver_fn, assets_extra=None, as_text=False,
                          checkpoint_path=None, strip_default_attrs=False):
        """TF1's name of ``export_saved_model`` (``tf.compat.v1.estimator.Estimator.export_savedmodel``).

        Default-valued attributes are always stripped (``strip_default_attrs`` is accepted for
        its signature): the SavedModel loads in the same or a newer TensorFlow either way.
        """
        del strip_default_attrs
        if not serving_input_receiver_fn:
            raise ValueError("An input_receiver_fn must be defined.")
        return self.export_saved_model(export_dir_base, serving_input_receiver_fn, assets_extra=assets_extra,
                                       as_text=as_text, checkpoint_path=checkpoint_path)

    @staticmethod
    def _timestamped_dir(export_dir_base):
        export_dir_base = os.fspath(export_dir_base)
        os.makedirs(export_dir_base, exist_ok=True)
        for _ in range(10):
            path = os.path.join(export_dir_base, str(int(time.time())))
            if not os.path.exists(path) and not os.path.exists(
                    os.path.join(export_dir_base, "temp-" + os.path.basename(path))):
                return path
            time.sleep(1)
        raise RuntimeError("export_saved_model: no free timestamped folder in %s after 10 s." % export_dir_base)


__all__ = ["Estimator", "LOSS_METRIC_KEY"]
