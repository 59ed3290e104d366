"""``RunConfig``: where and how often to checkpoint, and which task of a ``TF_CONFIG`` cluster this is."""
import copy

from tf1_recsys._tf import tf
from tf1_recsys.estimator.tf_config import TaskType, parse_tf_config

_USE_DEFAULT = object()
_DEFAULT_CHECKPOINT_SECS = 600


def _positive_or_none(name, value, allow_zero=False):
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ValueError("RunConfig: `%s` must be %s or None; got %r." % (name, ">= 0" if allow_zero else "> 0", value))
    return value


class RunConfig:
    """Run settings of an ``Estimator``, and the cluster task read from ``$TF_CONFIG``.

    Same arguments, order and defaults as ``tf.estimator.RunConfig``: checkpoints every
    600 seconds unless ``save_checkpoints_steps`` or ``save_checkpoints_secs`` is given
    (not both); summaries every 100 steps; 5 checkpoints kept.

    Args:
      model_dir: checkpoint and summary folder.
      tf_random_seed: graph-level seed of every graph the Estimator builds.
      save_summary_steps: summaries every N steps (None or 0: none).
      save_checkpoints_steps, save_checkpoints_secs: checkpoint interval.
      session_config: ``tf.compat.v1.ConfigProto``. In a cluster, one without
        ``device_filters`` gets the filters of this task (ps plus itself), so a task
        never waits for another worker to start.
      keep_checkpoint_max, keep_checkpoint_every_n_hours: ``tf.compat.v1.train.Saver``'s.
      log_step_count_steps: steps/sec and loss logged every N steps.
      train_distribute, eval_distribute, experimental_distribute: ``tf.distribute``
        strategies; only None is accepted (the cluster comes from ``TF_CONFIG``).
      device_fn: a device function for the training graph; default in a cluster:
        ``tf.compat.v1.train.replica_device_setter`` (variables round-robin on the ps).
      protocol: the servers' protocol: None or 'grpc'.
      experimental_max_worker_delay_secs: non-chief worker ``i`` waits
        ``min(this, 5 * (i + 1))`` seconds before training, as with ``tf.estimator``
        (spreads the start-up load on the ps tasks); None: no wait.
      session_creation_timeout_secs: how long a worker waits for the chief to
        initialise the variables.
      checkpoint_save_graph_def: whether checkpoints carry the graph (``.meta`` files).
      recovery_wait_secs: (not in tf.estimator) how often a non-chief worker polls for
        initialised variables; TensorFlow's ``MonitoredTrainingSession`` polls every 30 s.
      stop_grace_period_secs: (not in tf.estimator) how long closing the training
        session waits for its threads (``MonitoredTrainingSession``'s argument). The
        chief's ``SyncReplicasOptimizer`` queue runner never ends by itself, so with
        ``sync_replicas`` every run ends this long after its last step.
    """

    def __init__(self, model_dir=None, tf_random_seed=None, save_summary_steps=100,
                 save_checkpoints_steps=_USE_DEFAULT, save_checkpoints_secs=_USE_DEFAULT, session_config=None,
                 keep_checkpoint_max=5, keep_checkpoint_every_n_hours=10000, log_step_count_steps=100,
                 train_distribute=None, device_fn=None, protocol=None, eval_distribute=None,
                 experimental_distribute=None, experimental_max_worker_delay_secs=None,
                 session_creation_timeout_secs=7200, checkpoint_save_graph_def=True, recovery_wait_secs=1.0,
                 stop_grace_period_secs=120, ps_failure_timeout_secs=60):
        for name, value in (("train_distribute", train_distribute), ("eval_distribute", eval_distribute),
                            ("experimental_distribute", experimental_distribute)):
            if value is not None:
                raise ValueError("RunConfig: `%s` (a tf.distribute strategy) is not supported; tf1_recsys.estimator "
                                 "distributes through TF_CONFIG's ps tasks. Got %r." % (name, value))
        if protocol not in (None, "grpc"):
            raise ValueError("RunConfig: `protocol` must be None or 'grpc'; got %r." % (protocol,))
        steps_default = save_checkpoints_steps is _USE_DEFAULT
        secs_default = save_checkpoints_secs is _USE_DEFAULT
        if steps_default and secs_default:
            save_checkpoints_steps, save_checkpoints_secs = None, _DEFAULT_CHECKPOINT_SECS
        elif steps_default:
            save_checkpoints_steps = None
        elif secs_default:
            save_checkpoints_secs = None
        if save_checkpoints_steps is not None and save_checkpoints_secs is not None:
            raise ValueError("RunConfig: `save_checkpoints_steps` (%r) and `save_checkpoints_secs` (%r) cannot both "
                             "be set." % (save_checkpoints_steps, save_checkpoints_secs))
        if model_dir is not None and not isinstance(model_dir, str):
            model_dir = str(model_dir)
        if session_config is not None and not isinstance(session_config, tf.ConfigProto):
            raise TypeError("RunConfig: `session_config` must be a tf.compat.v1.ConfigProto; got %r."
                            % (session_config,))
        if device_fn is not None and not callable(device_fn):
            raise TypeError("RunConfig: `device_fn` must be callable; got %r." % (device_fn,))
        if tf_random_seed is not None and not isinstance(tf_random_seed, int):
            raise TypeError("RunConfig: `tf_random_seed` must be an int or None; got %r." % (tf_random_seed,))
        self._model_dir = model_dir
        self._tf_random_seed = tf_random_seed
        self._save_summary_steps = _positive_or_none("save_summary_steps", save_summary_steps, allow_zero=True)
        self._save_checkpoints_steps = _positive_or_none("save_checkpoints_steps", save_checkpoints_steps)
        self._save_checkpoints_secs = _positive_or_none("save_checkpoints_secs", save_checkpoints_secs)
        self._user_session_config = session_config
        self._keep_checkpoint_max = _positive_or_none("keep_checkpoint_max", keep_checkpoint_max, allow_zero=True)
        self._keep_checkpoint_every_n_hours = _positive_or_none(
            "keep_checkpoint_every_n_hours", keep_checkpoint_every_n_hours)
        self._log_step_count_steps = _positive_or_none("log_step_count_steps", log_step_count_steps, allow_zero=True)
        self._user_device_fn = device_fn
        self._session_creation_timeout_secs = _positive_or_none(
            "session_creation_timeout_secs", session_creation_timeout_secs)
        self._recovery_wait_secs = _positive_or_none("recovery_wait_secs", recovery_wait_secs)
        self._stop_grace_period_secs = _positive_or_none("stop_grace_period_secs", stop_grace_period_secs,
                                                         allow_zero=True)
        self._ps_failure_timeout_secs = _positive_or_none("ps_failure_timeout_secs", ps_failure_timeout_secs)
        self._protocol = protocol
        self._experimental_max_worker_delay_secs = _positive_or_none(
            "experimental_max_worker_delay_secs", experimental_max_worker_delay_secs, allow_zero=True)
        self._checkpoint_save_graph_def = bool(checkpoint_save_graph_def)
        self._task = parse_tf_config()

    @classmethod
    def _single_process(cls, **kwargs):
        """A RunConfig of this one process, whatever ``$TF_CONFIG`` says (``Trainer.fit`` trains here)."""
        config = cls(**kwargs)
        config._task = parse_tf_config({})
        return config

    # --- run settings ---
    model_dir = property(lambda self: self._model_dir)
    tf_random_seed = property(lambda self: self._tf_random_seed)
    save_summary_steps = property(lambda self: self._save_summary_steps)
    save_checkpoints_steps = property(lambda self: self._save_checkpoints_steps)
    save_checkpoints_secs = property(lambda self: self._save_checkpoints_secs)
    keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max)
    keep_checkpoint_every_n_hours = property(lambda self: self._keep_checkpoint_every_n_hours)
    log_step_count_steps = property(lambda self: self._log_step_count_steps)
    session_creation_timeout_secs = property(lambda self: self._session_creation_timeout_secs)
    recovery_wait_secs = property(lambda self: self._recovery_wait_secs)
    stop_grace_period_secs = property(lambda self: self._stop_grace_period_secs)
    ps_failure_timeout_secs = property(lambda self: self._ps_failure_timeout_secs)
    protocol = property(lambda self: self._protocol)
    experimental_max_worker_delay_secs = property(lambda self: self._experimental_max_worker_delay_secs)
    checkpoint_save_graph_def = property(lambda self: self._checkpoint_save_graph_def)
    train_distribute = eval_distribute = experimental_distribute = property(lambda self: None)

    # --- the task, from TF_CONFIG ---
    task_type = property(lambda self: self._task.task_type)
    task_id = property(lambda self: self._task.task_id)
    is_chief = property(lambda self: self._task.is_chief)
    num_ps_replicas = property(lambda self: self._task.num_ps_replicas)
    num_worker_replicas = property(lambda self: self._task.num_worker_replicas)
    master = property(lambda self: self._task.master)
    global_id_in_cluster = property(lambda self: self._task.global_id)
    evaluation_master = property(lambda self: "")

    @property
    def cluster_spec(self):
        """The ``tf.compat.v1.train.ClusterSpec`` of the training cluster (empty for one process)."""
        return tf.train.ClusterSpec(self._task.cluster)

    @property
    def is_distributed(self):
        """True for a task of a training cluster with ps tasks (the evaluator is not one)."""
        return bool(self._task.cluster) and self._task.num_ps_replicas > 0

    @property
    def device_fn(self):
        """The training graph's device function: the user's, or ``replica_device_setter`` in a cluster."""
        if self._user_device_fn is not None or not self.is_distributed:
            return self._user_device_fn
        return tf.train.replica_device_setter(
            ps_tasks=self.num_ps_replicas, worker_device="/job:%s/task:%d" % (self.task_type, self.task_id),
            merge_devices=True, cluster=self.cluster_spec)

    @property
    def device_filters(self):
        """tf.estimator's filters: a chief, master or worker sees the ps tasks and its own job (task); None alone."""
        if not self._task.cluster:
            return None
        return {TaskType.MASTER: ["/job:ps", "/job:master"], TaskType.CHIEF: ["/job:ps", "/job:chief"],
                TaskType.WORKER: ["/job:ps", "/job:worker/task:%d" % self.task_id],
                TaskType.PS: ["/job:ps", "/job:worker", "/job:chief", "/job:master"]}.get(self.task_type)

    @property
    def session_config(self):
        """The ``ConfigProto``: the user's, with this task's ``device_filters`` added in a cluster."""
        config = self._user_session_config
        filters = self.device_filters
        if filters is None:
            return config
        if config is None:
            config = tf.ConfigProto(allow_soft_placement=True)
        else:
            config = copy.deepcopy(config)
        if not config.device_filters:
            config.device_filters.extend(filters)
        return config

    def replace(self, **kwargs):
        """A copy (same class and extra attributes, same task) with the given run settings changed."""
        args = dict(
            model_dir=self._model_dir, tf_random_seed=self._tf_random_seed,
            save_summary_steps=self._save_summary_steps, save_checkpoints_steps=self._save_checkpoints_steps,
            save_checkpoints_secs=self._save_checkpoints_secs, session_config=self._user_session_config,
            keep_checkpoint_max=self._keep_checkpoint_max,
            keep_checkpoint_every_n_hours=self._keep_checkpoint_every_n_hours,
            log_step_count_steps=self._log_step_count_steps, device_fn=self._user_device_fn,
            session_creation_timeout_secs=self._session_creation_timeout_secs,
            recovery_wait_secs=self._recovery_wait_secs, stop_grace_period_secs=self._stop_grace_period_secs,
            ps_failure_timeout_secs=self._ps_failure_timeout_secs, protocol=self._protocol,
            experimental_max_worker_delay_secs=self._experimental_max_worker_delay_secs,
            checkpoint_save_graph_def=self._checkpoint_save_graph_def)
        unknown = sorted(set(kwargs) - set(args))
        if unknown:
            raise ValueError("RunConfig.replace: unknown settings %s; known: %s." % (unknown, sorted(args)))
        if "save_checkpoints_steps" in kwargs and "save_checkpoints_secs" not in kwargs:
            args["save_checkpoints_secs"] = None
        if "save_checkpoints_secs" in kwargs and "save_checkpoints_steps" not in kwargs:
            args["save_checkpoints_steps"] = None
        args.update(kwargs)
        checked = RunConfig(**args)
        # A deep copy of this config, as tf.estimator's replace: a subclass and its extra
        # attributes are kept, and so is the task this config was built for.
        replaced = copy.deepcopy(self)
        for key, value in vars(checked).items():
            if key != "_task":
                setattr(replaced, key, value)
        return replaced

    def __repr__(self):
        return ("RunConfig(model_dir=%r, task=%s:%s, is_chief=%s, num_ps_replicas=%d, num_worker_replicas=%d, "
                "save_checkpoints_steps=%r, save_checkpoints_secs=%r)"
                % (self._model_dir, self.task_type, self.task_id, self.is_chief, self.num_ps_replicas,
                   self.num_worker_replicas, self._save_checkpoints_steps, self._save_checkpoints_secs))


__all__ = ["RunConfig"]
