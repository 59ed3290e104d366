"""Stopping `tf1-recsys launch` stops its cluster; launch's bad flags fail in one line.

The launcher runs as a real subprocess, in a private network namespace when
``unshare --net`` works here (`--netns auto`, as a user's would) and without one. Its tasks are small Python programs
(no TensorFlow) that write their pid and their launcher's pid and sleep; the test
signals the outer `tf1-recsys launch` process with SIGTERM or SIGKILL and checks, from
/proc, that every task and the inner launcher are gone within 10 s. Every process is
bounded by ``--timeout`` and the tasks' own sleep, and killed by the test at its end.
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO
from tf1_recsys.cli import main

STOP_WITHIN = 10.0
TASK = r"""
import json, os, sys, time
task = json.loads(os.environ["TF_CONFIG"])["task"]
name = os.path.join(sys.argv[1], "%s-%d" % (task["type"], task["index"]))
with open(name + ".tmp", "w") as f:
    json.dump({"pid": os.getpid(), "launcher": os.getppid()}, f)
os.rename(name + ".tmp", name + ".json")
time.sleep(120)
"""


def _alive(pid):
    """True while ``pid`` runs (a zombie counts as gone: it runs no code and holds no port)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def _wait_for(predicate, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.parametrize("netns", ["auto", "no"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_signalling_launch_stops_every_task_it_started(tmp_path, signum, netns):
    script = tmp_path / "task.py"
    script.write_text(TASK)
    pids = tmp_path / "pids"
    pids.mkdir()
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    outer = subprocess.Popen([sys.executable, "-m", "tf1_recsys", "launch", "--ps", "1", "--workers", "2",
                              "--timeout", "90", "--netns", netns, "--", sys.executable, str(script), str(pids)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    started = []
    try:
        names = ["ps-0.json", "chief-0.json", "worker-0.json"]
        assert _wait_for(lambda: all((pids / n).exists() for n in names), 60), sorted(os.listdir(pids))
        started = [json.loads((pids / n).read_text()) for n in names]
        assert all(_alive(t["pid"]) for t in started)
        outer.send_signal(signum)
        outer.wait(STOP_WITHIN)
        processes = {t["pid"] for t in started} | {t["launcher"] for t in started}
        gone = _wait_for(lambda: not any(_alive(p) for p in processes), STOP_WITHIN)
        assert gone, "still running %.0f s after %s: %s" % (
            STOP_WITHIN, signum.name, sorted(p for p in processes if _alive(p)))
    finally:
        for pid in {t["pid"] for t in started} | {t["launcher"] for t in started}:
            if pid != outer.pid and _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if outer.poll() is None:
            outer.kill()
        outer.communicate()


def _launch_error(capsys, *argv):
    rc = main(["launch"] + list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("flag,value", [("--timeout", "nan"), ("--timeout", "inf"), ("--timeout", "-5"),
                                        ("--ps-grace", "nan"), ("--ps-grace", "-inf")])
def test_non_finite_or_negative_seconds_are_refused_in_one_line(capsys, flag, value):
    rc, out, err = _launch_error(capsys, "%s=%s" % (flag, value), "--", "true")
    assert rc == 2 and out == ""
    assert err.startswith("tf1-recsys: error: launch: %s must be a finite number" % flag) and value in err, err
    assert len(err.strip().splitlines()) == 1


def test_more_tasks_than_open_files_allow_is_refused_in_one_line(capsys):
    import resource

    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    workers = 100000 if limit == resource.RLIM_INFINITY or limit < 50000 else 10 * limit
    rc, out, err = _launch_error(capsys, "--workers", str(workers), "--", "true")
    assert rc == 2 and out == "", out[-2000:]
    assert err.startswith("tf1-recsys: error: launch: --workers %d" % workers) and "open files" in err, err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_program_is_named_in_one_line(capsys, tmp_path):
    rc, out, err = _launch_error(capsys, "--timeout", "30", "--", "no-such-program-tf1", "--flag")
    assert rc == 2 and "Traceback" not in out + err, out + err
    assert err.startswith("tf1-recsys: error: launch: cannot run 'no-such-program-tf1'"), err
    assert len(err.strip().splitlines()) == 1
    missing = str(tmp_path / "missing.sh")
    rc, out, err = _launch_error(capsys, "--", missing)
    assert rc == 2 and err.startswith("tf1-recsys: error: launch: cannot run %r" % missing), err
