"""Starts a parameter-server cluster on this machine: ``launch()``, the engine of ``tf1-recsys launch``.

    tf1-recsys launch --ps 1 --workers 2 --evaluator -- python train.py ...

runs ``train.py`` once per task (ps, chief, workers, evaluator) with its ``TF_CONFIG``,
on free loopback ports, prefixes every output line with the task (``[worker:0] ...``),
and stops every task when one fails (after ``--restarts`` restarts of it), when the run
passes ``--timeout``, or when the training tasks are done and the ps tasks did not exit
within ``--ps-grace`` seconds.

TensorFlow's gRPC server listens on ``0.0.0.0`` whatever host the cluster names. With
``--netns`` (default ``auto``: when ``unshare --net`` works, e.g. as root) all tasks run
in a private network namespace that has only the loopback interface, so no port is
reachable from outside; without it the tasks use 127.0.0.1 addresses but their ports
are open on every interface of the machine.
"""
import collections
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from tf1_recsys.estimator.task_env import DEADLINE_ENV

Task = collections.namedtuple("Task", ["task_type", "index"])
LaunchResult = collections.namedtuple("LaunchResult", ["returncode", "returncodes", "reason"])
LaunchResult.__doc__ = """``launch``'s result: the overall status (0: every task exited 0 by itself), each
task's status ('ps:0' -> int; negative: killed by that signal) and why the run ended."""

INSIDE = "inside"
"""``netns`` of the launcher re-started inside the network namespace it created."""


def _free_ports(count):
    sockets, ports = [], []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in sockets:
            s.close()
    return ports


def cluster_tf_configs(num_ps, num_workers, evaluator=False, ports=None):
    """``{'chief:0': TF_CONFIG dict, ...}`` for a loopback cluster; ``num_workers`` counts the chief."""
    if num_workers < 1:
        raise ValueError("launch: `--workers` must be >= 1 (the first is the chief); got %d." % num_workers)
    if num_ps < 0:
        raise ValueError("launch: `--ps` must be >= 0; got %d." % num_ps)
    ports = list(ports) if ports is not None else _free_ports(num_ps + num_workers)
    address = ["127.0.0.1:%d" % p for p in ports]
    cluster = {"chief": address[:1]}
    if num_workers > 1:
        cluster["worker"] = address[1:num_workers]
    if num_ps:
        cluster["ps"] = address[num_workers:num_workers + num_ps]
    tasks = [Task("ps", i) for i in range(num_ps)] + [Task("chief", 0)]
    tasks += [Task("worker", i) for i in range(num_workers - 1)]
    if evaluator:
        tasks.append(Task("evaluator", 0))
    return {"%s:%d" % t: {"cluster": cluster, "task": {"type": t.task_type, "index": t.index}} for t in tasks}


_FILES_PER_TASK = 2
"""Open files the launcher holds per task at once: its port while the ports are chosen, its output pipe
and, while it starts, ``subprocess``'s own pipes."""
_SPARE_FILES = 64
"""Open files left for Python, its modules and the terminal."""


def _die_with_parent(signum):
    """A ``preexec_fn``: the child gets ``signum`` when the launcher dies (Linux), so none outlives it.

    The launcher may die between the fork and the ``prctl``; the child then has another parent
    already and signals itself.
    """
    parent = os.getpid()

    def arm():
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:
            os.kill(os.getpid(), signum)

    return arm


@contextlib.contextmanager
def _exit_on_signals():
    """SIGTERM / SIGHUP to the launcher raise ``SystemExit(128 + signal)``, so it stops its tasks first.

    Later signals are ignored while it stops them (a few seconds); SIGKILL still ends it, and then
    the tasks' parent-death signal ends them. Only the main thread can install handlers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum, frame):
        for other in previous:
            signal.signal(other, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _check_numbers(num_ps, num_workers, evaluator, timeout, ps_grace_secs, restarts):
    for flag, value, least in (("--timeout", timeout, 1), ("--ps-grace", ps_grace_secs, 0)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= least):
            raise ValueError("launch: %s must be a finite number of seconds >= %d; got %s" % (flag, least, value))
    if restarts < 0:
        raise ValueError("launch: --restarts must be >= 0; got %s" % restarts)
    tasks = num_ps + num_workers + bool(evaluator)
    limit = _open_files_limit()
    needed = _FILES_PER_TASK * tasks + _SPARE_FILES
    if limit is not None and needed > limit:
        raise ValueError("launch: --workers %d with --ps %d%s makes %d tasks, for which the launcher needs about "
                         "%d open files, more than this process may open (%d, `ulimit -n`); start fewer tasks "
                         "(at most %d here) or raise the limit" % (
                             num_workers, num_ps, " and --evaluator" if evaluator else "", tasks, needed, limit,
                             (limit - _SPARE_FILES) // _FILES_PER_TASK))


def _open_files_limit():
    """The soft limit on this process's open files, or None when unlimited or unknown."""
    try:
        import resource
    except ImportError:
        return None
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return None if soft == resource.RLIM_INFINITY else soft


def _check_program(command, env, cwd):
    """ValueError naming ``command[0]`` when it is not an executable file (as ``subprocess`` would find it)."""
    program = command[0]
    if os.sep in program:
        path = program if os.path.isabs(program) else os.path.join(cwd or os.getcwd(), program)
        found = os.path.isfile(path) and os.access(path, os.X_OK)
        where = "no executable file there"
    else:
        search = (os.environ if env is None else env).get("PATH", os.defpath)
        found = shutil.which(program, path=search) is not None
        where = "not found on $PATH"
    if not found:
        raise ValueError("launch: cannot run %r: %s" % (program, where))


def _pump(name, stream, out, lock):
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        with lock:
            out.write("[%s] %s\n" % (name, line))
            out.flush()
    stream.close()


def _stop(procs, grace_secs=5.0):
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    end = time.time() + grace_secs
    for proc in procs.values():
        try:
            proc.wait(max(0.0, end - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run_tasks(command, configs, timeout, ps_grace_secs, env, cwd, out, restarts=0):
    lock = threading.Lock()
    procs, pumps = {}, []
    restarts_left = {name: restarts for name in configs}
    started = time.time()

    def start(name):
        task_env = dict(os.environ if env is None else env)
        task_env["TF_CONFIG"] = json.dumps(configs[name])
        task_env[DEADLINE_ENV] = str(max(1.0, timeout - (time.time() - started)))
        task_env.setdefault("PYTHONUNBUFFERED", "1")
        try:
            proc = subprocess.Popen(command, env=task_env, cwd=cwd, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    preexec_fn=_die_with_parent(signal.SIGKILL))
        except OSError as e:
            raise ValueError("launch: cannot run %r: %s" % (command[0], e.strerror or e)) from None
        procs[name] = proc
        pump = threading.Thread(target=_pump, args=(name, proc.stdout, out, lock), daemon=True)
        pump.start()
        pumps.append(pump)

    try:
        for name in configs:
            start(name)
        trainers = [n for n in procs if not n.startswith("ps:")]
        trainers_done_at = None
        reason = None
        while reason is None:
            time.sleep(0.2)
            failed = [n for n, p in procs.items() if p.poll() not in (None, 0)]
            for name in [n for n in failed if restarts_left[n] > 0]:
                restarts_left[name] -= 1
                with lock:
                    out.write("[launch] restarting %s (exit status %d); %d restart(s) left\n"
                              % (name, procs[name].returncode, restarts_left[name]))
                    out.flush()
                start(name)
                failed.remove(name)
            if failed:
                reason = "%s exited with status %d" % (failed[0], procs[failed[0]].returncode)
            elif all(p.poll() is not None for p in procs.values()):
                reason = "every task finished"
            elif time.time() - started > timeout:
                reason = "timeout after %.0f s" % timeout
            elif all(procs[n].poll() is not None for n in trainers):
                trainers_done_at = trainers_done_at or time.time()
                if time.time() - trainers_done_at > ps_grace_secs:
                    reason = "ps tasks still running %.0f s after training ended" % ps_grace_secs
    except BaseException:
        _stop(procs)
        raise
    _stop(procs)
    for pump in pumps:
        pump.join(5)
    codes = {n: p.returncode for n, p in procs.items()}
    ok = reason == "every task finished" and all(c == 0 for c in codes.values())
    with lock:
        out.write("[launch] %s; exit statuses: %s\n" % (reason, ", ".join("%s=%s" % kv for kv in codes.items())))
        out.flush()
    if ok:
        rc = 0
    elif reason.startswith("timeout"):
        rc = 124
    else:
        rc = next((c for c in codes.values() if c not in (0, None) and c > 0), 1)
    return LaunchResult(rc, codes, reason)


def netns_available():
    """True when ``unshare --net`` can create a network namespace with a loopback interface here."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    try:
        return subprocess.run(["unshare", "--net", "ip", "link", "set", "lo", "up"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def launch(command, num_ps=1, num_workers=2, evaluator=False, timeout=600.0, netns="auto", ps_grace_secs=30.0,
           env=None, cwd=None, out=None, restarts=0):
    """Runs ``command`` (a list) once per task of a loopback cluster; returns a ``LaunchResult``.

    Args:
      num_ps: ps tasks; num_workers: training tasks, the first is the chief.
      evaluator: add an evaluator task.
      timeout: seconds until every task is stopped (each task also gets it as its own
        deadline, ``$TF1_RECSYS_TASK_DEADLINE_SECS``).
      netns: 'auto', 'yes' or 'no': run the tasks in a private network namespace.
      ps_grace_secs: how long ps tasks may run after the training tasks ended.
      env, cwd: the tasks' environment (default this one's) and folder.
      out: text stream for the prefixed logs (default ``sys.stdout``).
      restarts: how many times a task that exits with a non-zero status (or is killed)
        is started again with the same ``TF_CONFIG`` before the run counts as failed, as
        a cluster manager's restart policy would.
    """
    out = sys.stdout if out is None else out
    if netns not in ("auto", "yes", "no", INSIDE):
        raise ValueError("launch: `netns` must be 'auto', 'yes' or 'no'; got %r." % (netns,))
    if not command:
        raise ValueError("launch: `command` is empty.")
    _check_numbers(num_ps, num_workers, evaluator, timeout, ps_grace_secs, restarts)
    _check_program(command, env, cwd)
    use_netns = netns == "yes" or (netns == "auto" and netns_available())
    if netns == "yes" and not netns_available():
        raise RuntimeError("launch: netns='yes' but `unshare --net` does not work here (it needs root or user "
                           "namespaces, and the `ip` tool).")
    with _exit_on_signals():
        if use_netns:
            return _run_in_namespace(command, num_ps, num_workers, evaluator, timeout, ps_grace_secs, env, cwd,
                                     out, restarts)
        if netns != INSIDE:
            out.write("[launch] no private network namespace: TensorFlow's servers listen on every interface "
                      "of this machine at their 127.0.0.1 ports\n")
        return _run_tasks(command, cluster_tf_configs(num_ps, num_workers, evaluator), timeout, ps_grace_secs,
                          env, cwd, out, restarts)


def _run_in_namespace(command, num_ps, num_workers, evaluator, timeout, ps_grace_secs, env, cwd, out, restarts):
    """``launch`` re-started inside a new network namespace (``--netns inside``); its log relayed to ``out``.

    The inner launcher leads its own process group, which holds every task: stopping this
    launcher (an exception, SIGTERM) stops that group; its death (SIGKILL) sends the inner
    launcher SIGTERM, which stops its tasks, whose own parent-death signal is SIGKILL.
    """
    inner = ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", sys.executable, "-m",
             "tf1_recsys", "launch", "--ps", str(num_ps), "--workers", str(num_workers),
             "--timeout", str(timeout), "--ps-grace", str(ps_grace_secs), "--restarts", str(restarts),
             "--netns", INSIDE]
    if evaluator:
        inner.append("--evaluator")
    inner += ["--"] + list(command)
    proc = subprocess.Popen(inner, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=_die_with_parent(signal.SIGTERM))
    lines = []

    def relay():
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            out.write(line)
            out.flush()

    pump = threading.Thread(target=relay, daemon=True)
    pump.start()
    try:
        proc.wait(timeout + 30)
    except BaseException:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        raise
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything left in the namespace's process group
        except ProcessLookupError:
            pass
    pump.join(5)
    summary = [line for line in lines if line.startswith("[launch] ") and "exit statuses:" in line]
    codes = {}
    reason = "launcher exited with status %d" % proc.returncode
    if summary:
        text = summary[-1][len("[launch] "):].strip()
        reason, _, statuses = text.partition("; exit statuses: ")
        for item in statuses.split(", "):
            name, _, code = item.partition("=")
            codes[name] = None if code == "None" else int(code)
    return LaunchResult(proc.returncode, codes, reason)


__all__ = ["launch", "cluster_tf_configs", "netns_available", "LaunchResult", "Task", "INSIDE"]
