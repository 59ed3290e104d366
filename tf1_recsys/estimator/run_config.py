"""``RunConfig``: where and how often to checkpoint, and which task of a ``TF_CONFIG`` cluster this is."""
import copy
import inspect
import os

from tensorflow.core.protobuf import rewriter_config_pb2

from tf1_recsys._tf import _tensorflow, tf
from tf1_recsys.estimator.tf_config import TaskType, load_tf_config, parse_tf_config
from tf1_recsys.estimator.user_fns import fn_args

_USE_DEFAULT = object()
_DEFAULT_CHECKPOINT_SECS = 600
_SAVE_CKPT_ERR = "`save_checkpoints_steps` and `save_checkpoints_secs` cannot be both set."
# The settings ``replace`` may change: tf.estimator's list, then this package's three.
_REPLACEABLE = [
    "model_dir", "tf_random_seed", "save_summary_steps", "save_checkpoints_steps", "save_checkpoints_secs",
    "session_config", "keep_checkpoint_max", "keep_checkpoint_every_n_hours", "log_step_count_steps",
    "train_distribute", "device_fn", "protocol", "eval_distribute", "experimental_distribute",
    "experimental_max_worker_delay_secs", "session_creation_timeout_secs", "checkpoint_save_graph_def"]
_OWN_SETTINGS = ["recovery_wait_secs", "stop_grace_period_secs", "ps_failure_timeout_secs"]


def _is_int(value):
    return isinstance(value, int)  # as tf.estimator: a Python int (a bool too), not a numpy integer


def _device_fn_ok(fn):
    try:
        return callable(fn) and set(fn_args(fn)) == {"op"}
    except (TypeError, ValueError):
        return False


# (setting, test of a value that is not None, tf.estimator's message when the test fails), in its order.
_CHECKS = [
    ("model_dir", bool, "model_dir should be non-empty"),
    ("save_summary_steps", lambda v: v >= 0, "save_summary_steps should be >= 0"),
    ("save_checkpoints_steps", lambda v: v >= 0, "save_checkpoints_steps should be >= 0"),
    ("save_checkpoints_secs", lambda v: v >= 0, "save_checkpoints_secs should be >= 0"),
    ("session_config", lambda v: isinstance(v, tf.ConfigProto), "session_config must be instance of ConfigProto"),
    ("keep_checkpoint_max", lambda v: v >= 0, "keep_checkpoint_max should be >= 0"),
    ("keep_checkpoint_every_n_hours", lambda v: v > 0, "keep_checkpoint_every_n_hours should be > 0"),
    ("log_step_count_steps", lambda v: v > 0, "log_step_count_steps should be > 0"),
    ("tf_random_seed", _is_int, "tf_random_seed must be integer."),
    ("experimental_max_worker_delay_secs", _is_int, "experimental_max_worker_delay_secs must be an integer if set."),
    ("session_creation_timeout_secs", lambda v: v > 0, "session_creation_timeout_secs should be > 0"),
    ("device_fn", _device_fn_ok, 'device_fn must be callable with exactly one argument "op".'),
    ("protocol", lambda v: v in ("grpc", "grpc+verbs"), "protocol should be grpc or grpc+verbs"),
    ("recovery_wait_secs", lambda v: v > 0, "recovery_wait_secs should be > 0"),
    ("stop_grace_period_secs", lambda v: v >= 0, "stop_grace_period_secs should be >= 0"),
    ("ps_failure_timeout_secs", lambda v: v > 0, "ps_failure_timeout_secs should be > 0"),
]


def _validate(config):
    for name, ok, message in _CHECKS:
        value = getattr(config, "_" + name)
        if value is not None and not ok(value):
            raise ValueError(message)


def _refuse_strategies(**strategies):
    """Only None: the cluster comes from ``TF_CONFIG``. TF2's ParameterServerStrategy gets tf.estimator's message."""
    v2_ps_strategy = _tensorflow.distribute.experimental.ParameterServerStrategy
    if any(type(value) is v2_ps_strategy for value in strategies.values()):
        raise ValueError("Please use `tf.compat.v1.distribute.experimental.ParameterServerStrategy` for parameter "
                         "server strategy with estimator.")
    for name, value in strategies.items():
        if value is not None:
            raise ValueError("RunConfig: `%s` (a tf.distribute strategy) is not supported; tf1_recsys.estimator "
                             "distributes through TF_CONFIG's ps tasks. Got %r." % (name, value))


def _model_dir(model_dir, tf_config):
    """``model_dir``, or ``TF_CONFIG``'s where only it is set; both set must agree (tf.estimator's checks)."""
    if hasattr(model_dir, "__fspath__"):
        model_dir = os.fspath(model_dir)
    if model_dir == "":
        raise ValueError("model_dir should be non-empty.")
    in_tf_config = tf_config.get("model_dir")
    if in_tf_config == "":
        raise ValueError("model_dir in TF_CONFIG should be non-empty.")
    if in_tf_config:
        if model_dir and model_dir != in_tf_config:
            raise ValueError("`model_dir` provided in RunConfig construct, if set, must have the same value as the "
                             "model_dir in TF_CONFIG. model_dir: {}\nTF_CONFIG[\"model_dir\"]: {}.\n"
                             .format(model_dir, in_tf_config))
        tf.logging.info("Using model_dir in TF_CONFIG: %s", in_tf_config)
    return model_dir or in_tf_config


def _distributed_session_config(task_type, task_id):
    """tf.estimator's session config of a cluster task given none: soft placement, one Grappler pass, the
    task's device filters (None for the evaluator and job types it does not know)."""
    filters = {TaskType.MASTER: ["/job:ps", "/job:master"], TaskType.CHIEF: ["/job:ps", "/job:chief"],
               TaskType.WORKER: ["/job:ps", "/job:worker/task:%d" % task_id],
               TaskType.PS: ["/job:ps", "/job:worker", "/job:chief", "/job:master"]}.get(task_type)
    if filters is None:
        return None
    rewrite = rewriter_config_pb2.RewriterConfig(meta_optimizer_iterations=rewriter_config_pb2.RewriterConfig.ONE)
    return tf.ConfigProto(allow_soft_placement=True, graph_options=tf.GraphOptions(rewrite_options=rewrite),
                          device_filters=filters)


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
      session_config: ``tf.compat.v1.ConfigProto``. A cluster task given none gets
        tf.estimator's, with the device filters of this task (ps plus itself), so a
        task never waits for another worker to start.
      keep_checkpoint_max, keep_checkpoint_every_n_hours: ``tf.compat.v1.train.Saver``'s.
      log_step_count_steps: steps/sec and loss logged every N steps.
      train_distribute, eval_distribute, experimental_distribute: ``tf.distribute``
        strategies; only None is accepted (the cluster comes from ``TF_CONFIG``).
      device_fn: a device function ``fn(op)`` for the training graph; default in a
        cluster: ``tf.compat.v1.train.replica_device_setter`` (variables round-robin on the ps).
      protocol: the servers' protocol: None, 'grpc' or 'grpc+verbs'.
      experimental_max_worker_delay_secs: non-chief worker ``i`` waits
        ``min(this, 5 * (i + 1))`` seconds before training, as with ``tf.estimator``
        (spreads the start-up load on the ps tasks); None: no wait.
      session_creation_timeout_secs: how long a worker waits for the chief to
        initialise the variables.
      checkpoint_save_graph_def: whether checkpoints carry the graph (``.meta`` files).
      recovery_wait_secs: (not in tf.estimator) how often a non-chief worker polls for
        initialised variables; TensorFlow's ``MonitoredTrainingSession`` polls every 30 s.
      ps_failure_timeout_secs: (not in tf.estimator) see docs/DISTRIBUTED.md.
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
        self._build(load_tf_config(), model_dir=model_dir, tf_random_seed=tf_random_seed,
                    save_summary_steps=save_summary_steps, save_checkpoints_steps=save_checkpoints_steps,
                    save_checkpoints_secs=save_checkpoints_secs, session_config=session_config,
                    keep_checkpoint_max=keep_checkpoint_max,
                    keep_checkpoint_every_n_hours=keep_checkpoint_every_n_hours,
                    log_step_count_steps=log_step_count_steps, train_distribute=train_distribute,
                    device_fn=device_fn, protocol=protocol, eval_distribute=eval_distribute,
                    experimental_distribute=experimental_distribute,
                    experimental_max_worker_delay_secs=experimental_max_worker_delay_secs,
                    session_creation_timeout_secs=session_creation_timeout_secs,
                    checkpoint_save_graph_def=checkpoint_save_graph_def, recovery_wait_secs=recovery_wait_secs,
                    stop_grace_period_secs=stop_grace_period_secs, ps_failure_timeout_secs=ps_failure_timeout_secs)

    def _build(self, tf_config, **settings):
        """Checks and sets ``settings`` in tf.estimator's order, then reads the task of ``tf_config`` (a dict)."""
        steps, secs = settings["save_checkpoints_steps"], settings["save_checkpoints_secs"]
        if steps is _USE_DEFAULT and secs is _USE_DEFAULT:
            steps, secs = None, _DEFAULT_CHECKPOINT_SECS
        elif secs is _USE_DEFAULT:
            secs = None
        elif steps is _USE_DEFAULT:
            steps = None
        elif steps is not None and secs is not None:
            raise ValueError(_SAVE_CKPT_ERR)
        settings.update(save_checkpoints_steps=steps, save_checkpoints_secs=secs)
        _refuse_strategies(train_distribute=settings.pop("train_distribute"),
                           eval_distribute=settings.pop("eval_distribute"),
                           experimental_distribute=settings.pop("experimental_distribute"))
        settings["model_dir"] = _model_dir(settings["model_dir"], tf_config)
        for name, value in settings.items():
            setattr(self, "_" + name, value)
        _validate(self)
        self._user_session_config = self._session_config
        self._task = parse_tf_config(tf_config)
        if self._session_config is None and self._task.cluster:
            self._session_config = _distributed_session_config(self._task.task_type, self._task.task_id)

    @classmethod
    def _single_process(cls, **kwargs):
        """A RunConfig of this one process, whatever ``$TF_CONFIG`` says (``Trainer.fit`` trains here)."""
        config = cls.__new__(cls)
        arguments = inspect.signature(cls.__init__).bind(config, **kwargs)
        arguments.apply_defaults()
        config._build({}, **{k: v for k, v in arguments.arguments.items() if k != "self"})
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
    session_config = property(lambda self: self._session_config)
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
    evaluation_master = property(lambda self: self._task.evaluation_master)
    service = property(lambda self: self._task.service, doc="``TF_CONFIG['service']`` (a dict) or None.")

    @property
    def cluster_spec(self):
        """The ``tf.compat.v1.train.ClusterSpec`` of the training cluster (empty for one process)."""
        return tf.train.ClusterSpec(self._task.cluster)

    @property
    def is_distributed(self):
        """True for a task of a training cluster with ps tasks (the evaluator is not one)."""
        return bool(self._task.cluster) and self._task.num_ps_replicas > 0

    device_fn = property(lambda self: self._device_fn, doc="The user's device function (default None: the "
                         "Estimator places a cluster's variables on its ps tasks).")

    @property
    def device_filters(self):
        """tf.estimator's filters of this task: the chief, master or a worker sees the ps tasks and itself."""
        if not self._task.cluster:
            return None
        config = _distributed_session_config(self._task.task_type, self._task.task_id)
        return None if config is None else list(config.device_filters)

    def replace(self, **kwargs):
        """A deep copy (same class, extra attributes and task) with the given settings changed and checked.

        Raises:
          ValueError: a setting ``replace`` may not change, both checkpoint intervals set,
            or a value ``RunConfig`` refuses (tf.estimator's messages).
        """
        for key in kwargs:
            if key not in _REPLACEABLE and key not in _OWN_SETTINGS:
                # tf.estimator's message, which lists only its own settings
                raise ValueError("Replacing {} is not supported. Allowed properties are {}.".format(key, _REPLACEABLE))
        _refuse_strategies(**{k: kwargs.pop(k) for k in ("train_distribute", "eval_distribute",
                                                          "experimental_distribute") if k in kwargs})
        replaced = copy.deepcopy(self)
        for key, value in kwargs.items():
            setattr(replaced, "_" + key, value)
        if "session_config" in kwargs:
            replaced._user_session_config = kwargs["session_config"]
        steps, secs = replaced._save_checkpoints_steps, replaced._save_checkpoints_secs
        if "save_checkpoints_steps" in kwargs and "save_checkpoints_secs" in kwargs:
            if steps is not None and secs is not None:
                raise ValueError(_SAVE_CKPT_ERR)
        elif "save_checkpoints_steps" in kwargs and steps is not None:
            replaced._save_checkpoints_secs = None
        elif "save_checkpoints_secs" in kwargs and secs is not None:
            replaced._save_checkpoints_steps = None
        _validate(replaced)
        return replaced

    def __repr__(self):
        if "_task" not in self.__dict__:
            # Construction failed before TF_CONFIG's task was read (a traceback or a debugger shows the
            # object): Python's default, which is what tf.estimator's RunConfig shows in every case.
            return object.__repr__(self)
        return ("RunConfig(model_dir=%r, task=%s:%s, is_chief=%s, num_ps_replicas=%d, num_worker_replicas=%d, "
                "save_checkpoints_steps=%r, save_checkpoints_secs=%r)"
                % (self._model_dir, self.task_type, self.task_id, self.is_chief, self.num_ps_replicas,
                   self.num_worker_replicas, self._save_checkpoints_steps, self._save_checkpoints_secs))


__all__ = ["RunConfig"]
