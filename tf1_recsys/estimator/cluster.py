"""TensorFlow's parameter-server runtime for one task: its server, worker sessions, shutdown.

* ``start_server``: the ``tf.compat.v1.train.Server`` of this process's task of a cluster (cached).
* ``ShortWaitWorkerSessionCreator``: ``WorkerSessionCreator`` with a configurable poll
  interval; TensorFlow's polls every 30 s for the chief's initialisation.
* Shutdown: ``server.join()`` never returns and ``Server.stop`` is not implemented, so
  each ps task holds a ``FIFOQueue`` with a ``shared_name``; every worker enqueues its
  ordinal into each ps queue that answers when its training ends (``signal_done``, best
  effort: tf.estimator waits for no ps task) and a ps task returns from ``serve_ps`` once
  every ordinal arrived.
* ``PsWatchdog``: a training task whose ps task is gone exits with status 75 and one
  line naming the ps task and the last checkpoint. TensorFlow gives no error then: the
  session's recovery waits for the ps to come back and ``Session.close`` blocks.
* ``arm_deadline``: ends the process with exit status 124 after a bound, whatever it
  is blocked in.
"""
import json
import os
import re
import socket
import sys
import threading
import time

from tf1_recsys._tf import tf
from tf1_recsys.estimator.task_env import DEADLINE_ENV
from tf1_recsys.estimator.tf_config import TaskType

DEADLINE_EXIT_CODE = 124
PS_LOST_EXIT_CODE = 75  # EX_TEMPFAIL: restart the cluster (or the ps task) and it resumes
_QUEUE_CAPACITY = 4096
_servers = {}  # (task type, index, cluster, device filters) -> its Server
_address_keys = {}  # host:port -> the key of the server there
_deadline_armed = []


def log(message):
    """One line on stderr, flushed (the launcher prefixes it with the task name)."""
    sys.stderr.write("tf1_recsys.estimator: %s\n" % message)
    sys.stderr.flush()


def arm_deadline(seconds, what="task"):
    """Exits the process with status 124 after ``seconds`` (once per process; later calls are ignored)."""
    if _deadline_armed:
        return
    seconds = float(seconds)
    if not seconds > 0:
        raise ValueError("arm_deadline: `seconds` must be > 0; got %r." % seconds)

    def expire():
        log("%s passed its deadline of %.0f s; exiting with status %d." % (what, seconds, DEADLINE_EXIT_CODE))
        os._exit(DEADLINE_EXIT_CODE)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    _deadline_armed.append(timer)


def arm_deadline_from_env(what):
    """Arms ``arm_deadline`` when ``$TF1_RECSYS_TASK_DEADLINE_SECS`` is set."""
    value = os.environ.get(DEADLINE_ENV)
    if value:
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError("$%s must be a number of seconds; got %r." % (DEADLINE_ENV, value)) from None
        arm_deadline(seconds, what)


def start_server(config):
    """The ``tf.compat.v1.train.Server`` of this task of ``config`` (a ``RunConfig``), started once.

    One server a (cluster, task, device filters): a later Estimator of the same cluster and task in this
    process shares it. A task of another cluster gets its own server, unless it is at an address this
    process already serves (a port takes one server): that raises ValueError naming both clusters.
    """
    filters = tuple(config.device_filters or ())
    key = (config.task_type, config.task_id, _canonical(config.cluster_spec.as_dict()), filters)
    if key not in _servers:
        address = config.cluster_spec.task_address(config.task_type, config.task_id)
        if address in _address_keys:
            task_type, task_id, cluster, other_filters = _address_keys[address]
            raise ValueError(
                "start_server: this process already serves %s:%d at %s for the cluster %s (device filters %s); "
                "config.cluster_spec %s (device filters %s) puts %s:%d at the same address, and a port takes one "
                "server: give that task another port or run it in another process."
                % (task_type, task_id, address, cluster, list(other_filters), key[2], list(filters),
                   config.task_type, config.task_id))
        arm_deadline_from_env("%s:%d" % (config.task_type, config.task_id))
        server_config = tf.ConfigProto(allow_soft_placement=True)
        if filters:
            server_config.device_filters.extend(filters)
        _servers[key] = tf.train.Server(config.cluster_spec, job_name=config.task_type, task_index=config.task_id,
                                        config=server_config, protocol=config.protocol or "grpc", start=True)
        _address_keys[address] = key
        log("started server %s:%d at %s" % (config.task_type, config.task_id, _servers[key].target))
    return _servers[key]


def _canonical(cluster):
    """``ClusterSpec.as_dict()`` as a hashable, order-free string (a job's tasks: a list or {index: address})."""
    return json.dumps({job: tasks if isinstance(tasks, list) else {str(i): a for i, a in sorted(tasks.items())}
                       for job, tasks in cluster.items()}, sort_keys=True)


class ShortWaitWorkerSessionCreator(tf.train.SessionCreator):
    """A non-chief's session: waits for the chief's initialisation, polling every ``recovery_wait_secs``.

    The same as ``tf.compat.v1.train.WorkerSessionCreator`` but for the poll interval,
    which TensorFlow fixes at 30 s (so a worker started with the chief waited ~30 s).
    """

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=7200, recovery_wait_secs=1.0):
        self._scaffold = scaffold or tf.train.Scaffold()
        self._master = master
        self._config = config
        self._max_wait_secs = max_wait_secs
        self._recovery_wait_secs = recovery_wait_secs

    def create_session(self):
        self._scaffold.finalize()
        manager = tf.train.SessionManager(
            local_init_op=self._scaffold.local_init_op, local_init_feed_dict=self._scaffold.local_init_feed_dict,
            ready_op=self._scaffold.ready_op, ready_for_local_init_op=self._scaffold.ready_for_local_init_op,
            graph=tf.get_default_graph(), recovery_wait_secs=self._recovery_wait_secs)
        return manager.wait_for_session(self._master, config=self._config, max_wait_secs=self._max_wait_secs)


def _reachable(address, timeout_secs):
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_secs):  # "[::1]:2222" too
            return True
    except OSError:
        return False


def _checkpoint_step(checkpoint):
    match = re.search(r"-(\d+)$", checkpoint or "")
    return int(match.group(1)) if match else None


class PsWatchdog:
    """Ends a training task whose ps task stopped answering for ``timeout_secs``.

    A thread connects to every ps task's address each ``poll_secs``. A ps task counts
    as lost once it was reachable (a probe answered, or ``saw_all`` was called: the
    training session exists only when every ps answered) and then refused (or timed
    out) connections for ``timeout_secs`` in a row; a ps restarted on its address within that time is not
    (TensorFlow's session recovers from it by itself). On a loss ``on_lost(message)``
    is called; the default logs the message and exits with ``PS_LOST_EXIT_CODE``,
    since the training thread is blocked inside TensorFlow and cannot be woken.

    Args:
      config: the task's ``RunConfig`` (cluster and task).
      model_dir: where the message looks for the last checkpoint.
      timeout_secs: seconds a ps task may be unreachable.
    """

    def __init__(self, config, model_dir, timeout_secs, poll_secs=1.0, on_lost=None):
        self._addresses = {"ps:%d" % i: a for i, a in enumerate(config.cluster_spec.job_tasks("ps"))}
        self._task = "%s:%d" % (config.task_type, config.task_id)
        self._model_dir = model_dir
        self._timeout_secs = float(timeout_secs)
        self._poll_secs = float(poll_secs)
        self._on_lost = on_lost or self._exit
        self._stop = threading.Event()
        self._seen = set()
        self._thread = threading.Thread(target=self._watch, name="tf1_recsys_ps_watchdog", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(self._poll_secs + 5.0)

    def saw_all(self):
        """Counts every ps task as reachable (a fast task may lose one before the first probe)."""
        self._seen.update(self._addresses)

    def hook(self):
        """A ``SessionRunHook`` that calls ``saw_all`` once the training session is created."""
        watchdog = self

        class SawPsTasks(tf.train.SessionRunHook):
            def after_create_session(self, session, coord):
                watchdog.saw_all()

        return SawPsTasks()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def message(self, name, seconds):
        checkpoint = tf.train.latest_checkpoint(self._model_dir)
        last = ("none in %s" % self._model_dir if checkpoint is None else
                "%s (global step %s)" % (checkpoint, _checkpoint_step(checkpoint)))
        return ("%s: %s at %s has not answered for %.0f s, so training cannot go on; last checkpoint: %s; "
                "restart the cluster (or the ps task) to resume from it"
                % (self._task, name, self._addresses[name], seconds, last))

    @staticmethod
    def _exit(message):
        log(message)
        os._exit(PS_LOST_EXIT_CODE)

    def _watch(self):
        seen, down_since = self._seen, {}
        while not self._stop.wait(self._poll_secs):
            for name, address in self._addresses.items():
                if _reachable(address, min(self._poll_secs, 5.0)):
                    seen.add(name)
                    down_since.pop(name, None)
                elif name in seen:
                    since = down_since.setdefault(name, time.time())
                    if time.time() - since >= self._timeout_secs and not self._stop.is_set():
                        self._on_lost(self.message(name, time.time() - since))
                        return


def _done_queue(ps_index):
    with tf.device("/job:ps/task:%d" % ps_index):
        return tf.FIFOQueue(_QUEUE_CAPACITY, [tf.int32], shapes=[[]],
                            shared_name="tf1_recsys_done_ps%d" % ps_index, name="done_ps%d" % ps_index)


def signal_done(config, timeout_secs=30, probe_secs=2.0):
    """Tells the ps tasks that answer that this worker (``config.global_id_in_cluster``) finished training.

    Best effort and bounded, as tf.estimator waits for no ps task at the end of ``train``: a ps
    task whose address refuses a connection (absent, or a cluster that exists only in
    ``TF_CONFIG``) is left out of the session and named in one logged line; the enqueue into
    the others gives up after ``timeout_secs`` with one logged line. A ps task of another
    program (TensorFlow's ``server.join()``) only gains a queue nobody reads. Never raises.

    Returns:
      the ps task indices signalled.
    """
    addresses = config.cluster_spec.job_tasks("ps")
    task = "%s:%d" % (config.task_type, config.task_id)
    live = [i for i, address in enumerate(addresses) if _reachable(address, probe_secs)]
    absent = ["ps:%d at %s" % (i, a) for i, a in enumerate(addresses) if i not in live]
    if absent:
        log("%s: %s not reachable; not told that training ended" % (task, ", ".join(absent)))
    if not live:
        return []
    server = start_server(config)
    with tf.Graph().as_default():
        ordinal = tf.constant(config.global_id_in_cluster, tf.int32)
        enqueues = [_done_queue(i).enqueue(ordinal) for i in live]
        # Only the live ps tasks and this one: a session waits for every task its filters name.
        session_config = tf.ConfigProto(allow_soft_placement=True, operation_timeout_in_ms=int(timeout_secs * 1000))
        session_config.device_filters.extend(["/job:ps/task:%d" % i for i in live] +
                                             ["/job:%s/task:%d" % (config.task_type, config.task_id)])
        options = tf.RunOptions(timeout_in_ms=int(timeout_secs * 1000))
        try:
            with tf.Session(server.target, config=session_config) as sess:
                sess.run(enqueues, options=options)
        except tf.errors.OpError as e:
            log("%s: could not tell ps task(s) %s that training ended (%s); going on"
                % (task, ", ".join("ps:%d" % i for i in live), type(e).__name__))
            return []
    log("%s signalled the end of its training to %d ps task(s)" % (task, len(live)))
    return live


def serve_ps(config, poll_secs=30.0):
    """Runs this ps task until every worker (chief included) called ``signal_done``; returns their ordinals."""
    if config.task_type != TaskType.PS:
        raise ValueError("serve_ps: this task is %s:%d, not a ps task." % (config.task_type, config.task_id))
    server = start_server(config)
    expected = set(range(config.num_worker_replicas))
    seen = set()
    started = time.time()
    with tf.Graph().as_default():
        dequeue = _done_queue(config.task_id).dequeue()
        session_config = tf.ConfigProto(device_filters=["/job:ps/task:%d" % config.task_id])
        options = tf.RunOptions(timeout_in_ms=int(poll_secs * 1000))
        with tf.Session(server.target, config=session_config) as sess:
            while not expected <= seen:
                try:
                    seen.add(int(sess.run(dequeue, options=options)))
                except tf.errors.DeadlineExceededError:
                    continue
                log("ps:%d: %d of %d worker(s) done" % (config.task_id, len(seen & expected), len(expected)))
    log("ps:%d: every worker finished; serving ended after %.1f s" % (config.task_id, time.time() - started))
    return sorted(seen)


__all__ = ["start_server", "ShortWaitWorkerSessionCreator", "signal_done", "serve_ps", "arm_deadline",
           "PsWatchdog", "DEADLINE_ENV", "DEADLINE_EXIT_CODE", "PS_LOST_EXIT_CODE"]
