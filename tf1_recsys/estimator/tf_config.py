"""Parsing the ``TF_CONFIG`` environment variable (pure Python, no TensorFlow).

``TF_CONFIG`` is JSON, ``{"cluster": {"chief": ["host:port"], "worker": [...], "ps": [...]},
"task": {"type": "worker", "index": 0}}``, the format every launcher of
``tf.estimator`` jobs (Kubernetes operators, YARN, Slurm scripts) writes. The
evaluator is not part of the cluster: its task has type 'evaluator' and the
cluster lists only the training jobs.
"""
import collections
import json
import os


class TaskType:
    """Task types of a ``TF_CONFIG`` cluster."""

    CHIEF = "chief"
    WORKER = "worker"
    PS = "ps"
    EVALUATOR = "evaluator"
    MASTER = "master"


TaskInfo = collections.namedtuple(
    "TaskInfo", ["cluster", "task_type", "task_id", "is_chief", "num_ps_replicas", "num_worker_replicas",
                 "master", "global_id", "evaluation_master", "service", "model_dir"],
    defaults=("", None, None))
TaskInfo.__doc__ = """One task of a cluster, as ``TF_CONFIG`` describes it.

Fields:
  cluster: dict job name -> list of 'host:port' (empty for a single process and for
    the evaluator, which is not part of the training cluster).
  task_type, task_id: this task ('worker', 0 for a single process).
  is_chief: True for the chief or master (and a single process).
  num_ps_replicas: number of ps tasks; num_worker_replicas: chief (or master) + workers.
  master: 'grpc://host:port' of this task in a cluster, '' for a local session, or
    ``TF_CONFIG['session_master']`` where given.
  global_id: tf.estimator's ``global_id_in_cluster``: the chief 0, then the other jobs
    by name, the ps tasks last; None for the evaluator.
  evaluation_master: ``TF_CONFIG['eval_session_master']`` for the evaluator (and a single
    process), else ''.
  service: ``TF_CONFIG['service']`` (a dict) or None.
  model_dir: ``TF_CONFIG['model_dir']`` or None.
"""

_KNOWN_KEYS = {"cluster", "task", "environment", "rpc_layer", "session_master", "eval_session_master", "service",
               "model_dir"}


def _err(message):
    return ValueError("TF_CONFIG: " + message)


def load_tf_config(tf_config=None):
    """``tf_config`` (a JSON string, a dict, or None: ``$TF_CONFIG``) as a dict; ValueError when malformed."""
    if tf_config is None:
        tf_config = os.environ.get("TF_CONFIG", "")
    if isinstance(tf_config, str):
        if not tf_config.strip():
            return {}
        try:
            tf_config = json.loads(tf_config)
        except ValueError as e:
            raise _err("not valid JSON (%s): %r" % (e, tf_config[:200])) from None
    if not isinstance(tf_config, dict):
        raise _err("must be a JSON object with keys 'cluster' and 'task'; got %r." % (tf_config,))
    return tf_config


def _cluster(raw):
    if not isinstance(raw, dict):
        raise _err("'cluster' must be an object job name -> list of 'host:port'; got %r." % (raw,))
    cluster = {}
    for job, addresses in raw.items():
        if isinstance(addresses, dict):  # {"0": "host:port", ...}, as tf.train.ClusterSpec accepts
            try:
                addresses = [addresses[k] for k in sorted(addresses, key=int)]
            except ValueError:
                raise _err("cluster job %r: task keys must be integers; got %s." % (job, sorted(addresses))) from None
        if not isinstance(addresses, (list, tuple)) or not addresses:
            raise _err("cluster job %r must be a non-empty list of 'host:port'; got %r." % (job, addresses))
        for address in addresses:
            if not isinstance(address, str) or ":" not in address:
                raise _err("cluster job %r: address %r is not 'host:port'." % (job, address))
        cluster[str(job)] = list(addresses)
    return cluster


def _cluster_spec_text(cluster):
    """``str(tf.train.ClusterSpec(cluster))``, as TensorFlow's messages show the cluster."""
    return "ClusterSpec({%s})" % ", ".join("%r: %r" % (job, cluster[job]) for job in sorted(cluster))


def _service(config):
    service = config.get("service")
    if service is not None and not isinstance(service, dict):
        raise TypeError('If "service" is set in TF_CONFIG, it must be a dict. Given %s' % type(service))
    return service


def _model_dir(config):
    model_dir = config.get("model_dir")
    if model_dir == "":
        raise ValueError("model_dir in TF_CONFIG should be non-empty.")
    return model_dir


def _task_of_cluster(cluster, task, chief_job):
    """The validated ``(task_type, task_id)`` of a cluster whose chief job is ``chief_job``."""
    if chief_job not in cluster:
        raise ValueError('If "cluster" is set in TF_CONFIG, it must have one "%s" node.' % chief_job)
    if len(cluster[chief_job]) > 1:
        raise ValueError('The "cluster" in TF_CONFIG must have only one "%s" node.' % chief_job)
    task_type, task_id = task.get("type"), task.get("index")
    if not task_type:
        raise ValueError('If "cluster" is set in TF_CONFIG, task type must be set.')
    if task_id is None:
        raise ValueError('If "cluster" is set in TF_CONFIG, task index must be set.')
    task_id = _index(task_id)
    if task_id < 0:
        raise ValueError("Task index must be non-negative number.")
    if task_type == TaskType.EVALUATOR:
        return task_type, task_id
    note = "\n\nNote that these values may be coming from the TF_CONFIG environment variable."
    if task_type not in cluster:
        raise ValueError("%s is not a valid task_type in the cluster_spec:\n%s%s"
                         % (task_type, _cluster_spec_text(cluster), note))
    if task_id >= len(cluster[task_type]):
        raise ValueError("%d is not a valid task_id for task_type %s in the cluster_spec:\n%s%s"
                         % (task_id, task_type, _cluster_spec_text(cluster), note))
    return task_type, task_id


def _index(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _err("task 'index' must be an integer; got %r." % (value,)) from None


def parse_tf_config(tf_config=None):
    """The ``TaskInfo`` of ``tf_config`` (a JSON string, a dict, or None: ``$TF_CONFIG``).

    Raises:
      ValueError: with tf.estimator's messages, for a cluster without exactly one chief,
        a task type or index missing or not in the cluster, a negative index, a task
        other than worker 0 without a cluster, an empty ``model_dir``; naming the key at
        fault for malformed JSON or addresses.
      TypeError: a ``service`` that is not a dict.

    The legacy 'master' job of TF1-era clusters takes the chief's place, as in
    tf.estimator: the master task initialises and checkpoints; a cluster may not have
    both a 'master' and a 'chief', nor an evaluator task beside a master.
    """
    config = load_tf_config(tf_config)
    service, model_dir = _service(config), _model_dir(config)
    raw_cluster = config.get("cluster") or {}
    task = config.get("task") or {}
    if not isinstance(task, dict):
        raise _err("'task' must be an object {'type': ..., 'index': ...}; got %r." % (task,))
    extra = {"service": service, "model_dir": model_dir}
    if not raw_cluster:
        task_type = task.get("type", TaskType.WORKER)
        task_id = _index(task.get("index", 0))
        if task_type != TaskType.WORKER:
            raise ValueError('If "cluster" is not set in TF_CONFIG, task type must be WORKER.')
        if task_id != 0:
            raise ValueError('If "cluster" is not set in TF_CONFIG, task index must be 0.')
        return TaskInfo({}, task_type, 0, True, 0, 1, config.get("session_master", ""), 0,
                        config.get("eval_session_master", ""), **extra)
    cluster = _cluster(raw_cluster)
    chief_job = TaskType.CHIEF
    if TaskType.MASTER in cluster:
        if TaskType.CHIEF in cluster:
            raise ValueError("If `master` node exists in `cluster`, job `chief` is not supported.")
        chief_job = TaskType.MASTER
    task_type, task_id = _task_of_cluster(cluster, task, chief_job)
    if task_type == TaskType.EVALUATOR:
        if chief_job == TaskType.MASTER:
            raise ValueError("If `master` node exists in `cluster`, task_type `evaluator` is not supported.")
        return TaskInfo({}, task_type, task_id, False, 0, 0, "", None,
                        config.get("eval_session_master", ""), **extra)
    num_ps = len(cluster.get(TaskType.PS, []))
    num_workers = len(cluster[chief_job]) + len(cluster.get(TaskType.WORKER, []))
    if "session_master" in config:
        master = config["session_master"]
    elif len(cluster) == 1 and len(cluster[chief_job]) == 1:
        master = ""
    else:
        master = "grpc://" + cluster[task_type][task_id]
    return TaskInfo(cluster, task_type, task_id, task_type == chief_job, num_ps, num_workers, master,
                    _global_id(cluster, task_type, task_id, chief_job), "", **extra)


def _global_id(cluster, task_type, task_id, chief_job):
    """tf.estimator's ordinal of a task: the chief (or master) first, the other jobs by name, the ps tasks last."""
    order = [chief_job] + sorted(j for j in cluster if j not in (chief_job, TaskType.PS))
    order += [TaskType.PS] if TaskType.PS in cluster else []
    first = 0
    for job in order:
        if job == task_type:
            return first + task_id
        first += len(cluster[job])
    return None


__all__ = ["TaskType", "TaskInfo", "load_tf_config", "parse_tf_config"]
