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
                 "master", "global_id"])
TaskInfo.__doc__ = """One task of a cluster, as ``TF_CONFIG`` describes it.

Fields:
  cluster: dict job name -> list of 'host:port' (empty for a single process and for
    the evaluator, which is not part of the training cluster).
  task_type, task_id: this task ('worker', 0 for a single process).
  is_chief: True for the chief (and a single process).
  num_ps_replicas: number of ps tasks; num_worker_replicas: chief + workers.
  master: 'grpc://host:port' of this task in a cluster, '' for a local session.
  global_id: the worker ordinal: 0 for the chief, 1 + index for a worker, None otherwise.
"""

_KNOWN_KEYS = {"cluster", "task", "environment", "rpc_layer", "session_master", "eval_session_master", "service"}


def _err(message):
    return ValueError("TF_CONFIG: " + message)


def _load(tf_config):
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


def parse_tf_config(tf_config=None):
    """The ``TaskInfo`` of ``tf_config`` (a JSON string, a dict, or None: ``$TF_CONFIG``).

    Raises:
      ValueError: naming the key at fault, for malformed JSON, a cluster without exactly
        one chief, a task type or index missing or not in the cluster, a negative index,
        or a task other than worker 0 without a cluster (tf.estimator's messages where it
        has them).

    The legacy 'master' job of TF1-era clusters takes the chief's place, as in
    tf.estimator: the master task initialises and checkpoints; a cluster may not have
    both a 'master' and a 'chief', nor an evaluator task beside a master.
    """
    config = _load(tf_config)
    raw_cluster = config.get("cluster") or {}
    task = config.get("task") or {}
    if not isinstance(task, dict):
        raise _err("'task' must be an object {'type': ..., 'index': ...}; got %r." % (task,))
    task_type = task.get("type")
    task_id = task.get("index")
    if task_id is not None:
        try:
            task_id = int(task_id)
        except (TypeError, ValueError):
            raise _err("task 'index' must be an integer; got %r." % (task_id,)) from None
        if task_id < 0:
            raise _err("task 'index' must be >= 0; got %d." % task_id)
    if not raw_cluster:
        task_type = task_type or TaskType.WORKER
        task_id = task_id or 0
        if task_type != TaskType.WORKER or task_id != 0:
            raise _err("without a 'cluster' the task must be worker 0 (one local process); got %s %d."
                       % (task_type, task_id))
        return TaskInfo({}, task_type, 0, True, 0, 1, config.get("session_master", ""), 0)
    cluster = _cluster(raw_cluster)
    chief_job = TaskType.CHIEF
    if TaskType.MASTER in cluster:
        if TaskType.CHIEF in cluster:
            raise ValueError("If `master` node exists in `cluster`, job `chief` is not supported.")
        chief_job = TaskType.MASTER
    if chief_job not in cluster:
        raise ValueError('If "cluster" is set in TF_CONFIG, it must have one "%s" node.' % chief_job)
    if len(cluster[chief_job]) > 1:
        raise ValueError('The "cluster" in TF_CONFIG must have only one "%s" node.' % chief_job)
    if not task_type:
        raise ValueError('If "cluster" is set in TF_CONFIG, task type must be set.')
    if task_id is None:
        raise ValueError('If "cluster" is set in TF_CONFIG, task index must be set.')
    if task_type == TaskType.EVALUATOR and chief_job == TaskType.MASTER:
        raise ValueError("If `master` node exists in `cluster`, task_type `evaluator` is not supported.")
    if task_type == TaskType.EVALUATOR:
        return TaskInfo({}, task_type, task_id, False, 0, 0, config.get("eval_session_master", ""), None)
    if task_type not in cluster:
        raise _err("task type %r is not a job of the cluster; jobs: %s." % (task_type, sorted(cluster)))
    if task_id >= len(cluster[task_type]):
        raise _err("task index %d is out of range for job %r, which has %d task(s)."
                   % (task_id, task_type, len(cluster[task_type])))
    num_ps = len(cluster.get(TaskType.PS, []))
    num_workers = 1 + len(cluster.get(TaskType.WORKER, []))
    single = len(cluster) == 1 and num_workers == 1
    master = config.get("session_master") or ("" if single else "grpc://" + cluster[task_type][task_id])
    return TaskInfo(cluster, task_type, task_id, task_type == chief_job, num_ps, num_workers, master,
                    _global_id(cluster, task_type, task_id, chief_job))


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


__all__ = ["TaskType", "TaskInfo", "parse_tf_config"]
