"""Faults of a loopback parameter-server cluster: a lost ps, a killed chief; warm start.

Two cluster runs (1 ps, chief, worker) of tests/estimator_user_model.py on one
model_dir serve every test here:

1. warm-started from a single-process checkpoint of the same ``model_fn`` (trained in
   this process), the cluster trains until 3 steps past its first checkpoint, then ps:0
   ends; the training tasks notice (``RunConfig(ps_failure_timeout_secs=3)``) and exit
   with status 75 and one line naming ps:0 and the last checkpoint;
2. the cluster started again resumes from that checkpoint; 3 steps past its next
   checkpoint the chief is SIGKILLed, the launcher restarts it, and it restores that
   checkpoint and trains to the target.

Every process is bounded by the launcher's timeout (and its own deadline) and is
killed when the test ends, also when it fails.
"""
import io
import json
import os
import re
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys import estimator as tf_estimator
from tf1_recsys.estimator import cluster
from tf1_recsys.estimator.launch import cluster_tf_configs, launch

import estimator_user_model as user  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "tests", "estimator_user_model.py")
TIMEOUT = 200
TARGET = 40
INTERVAL = 10  # the script's save_checkpoints_steps
SINGLE_STEPS = 20


def _launch(model_dir, fault_dir, fault, *extra, restarts=0):
    out = io.StringIO()
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, SCRIPT, "--model-dir", model_dir, "--max-steps", str(TARGET), "--fault", fault,
               "--fault-dir", fault_dir, "--ps-failure-secs", "3"] + list(extra)
    result = launch(command, num_ps=1, num_workers=2, timeout=TIMEOUT, env=env, out=out, restarts=restarts)
    return result, out.getvalue()


def _ints(pattern, log):
    return [tuple(int(g) for g in m) if isinstance(m, tuple) else int(m) for m in re.findall(pattern, log)]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    single_dir = str(tmp / "single")
    config = tf_estimator.RunConfig(save_checkpoints_steps=INTERVAL, log_step_count_steps=None, tf_random_seed=3,
                                    stop_grace_period_secs=1)
    single = tf_estimator.Estimator(user.model_fn, model_dir=single_dir, config=config, params={"learning_rate": 0.1})
    single.train(user.train_input_fn, max_steps=SINGLE_STEPS)
    model_dir = str(tmp / "cluster")
    os.makedirs(str(tmp / "f1"))
    os.makedirs(str(tmp / "f2"))
    first = _launch(model_dir, str(tmp / "f1"), "ps", "--warm-start-from", single_dir)
    latest = tf.train.latest_checkpoint(model_dir)
    # Read before the second run: its chief's CheckpointSaverHook saves this same checkpoint again when
    # its session is created (as tf.estimator's does), and the worker, released by the FaultHook that
    # runs before the saver, may step in between, so the file can then hold one step more.
    stored = int(tf.train.load_variable(latest, "global_step"))
    second = _launch(model_dir, str(tmp / "f2"), "chief", restarts=1)
    return {"single": single_dir, "model_dir": model_dir, "f1": str(tmp / "f1"), "first": first, "second": second,
            "latest_after_first": latest, "stored_after_first": stored}


def test_a_single_process_checkpoint_warm_starts_the_cluster(runs):
    single = tf.train.latest_checkpoint(runs["single"])
    start = np.load(os.path.join(runs["f1"], "chief_start.npz"))
    assert int(start["global_step"]) == 0  # warm start: the weights, not the step
    # The cluster's table is partitioned on the ps: part_0 holds rows 0-4, part_1 rows 5-9.
    table = np.concatenate([start["item_embedding/part_0"], start["item_embedding/part_1"]])
    np.testing.assert_array_equal(table, tf.train.load_variable(single, "item_embedding"))
    for name in ("hidden/kernel", "hidden/bias", "logits/kernel", "logits/bias"):
        np.testing.assert_array_equal(start[name], tf.train.load_variable(single, name))
    # ... and those are trained values, not what the same seed initialises.
    initial = os.path.join(runs["single"], "model.ckpt-0")
    assert not np.allclose(tf.train.load_variable(initial, "hidden/kernel"), start["hidden/kernel"])


def test_a_lost_ps_ends_the_training_tasks_with_one_clear_line(runs):
    result, log = runs["first"]
    assert result.returncode == cluster.PS_LOST_EXIT_CODE, log[-4000:]
    assert result.returncodes["ps:0"] == 0  # it ended itself (test scaffolding); the others noticed
    assert cluster.PS_LOST_EXIT_CODE in (result.returncodes["chief:0"], result.returncodes["worker:0"])
    (ended_at, checkpoint, _), = _ints(r"\[chief:0\] fault: chief:0 ends ps:0 at global step (\d+); "
                                       r"last checkpoint at step (\d+) holds step (\d+)", log)
    lines = re.findall(r"\[(?:chief|worker):0\] tf1_recsys\.estimator: (?:chief|worker):0: ps:0 at "
                       r"127\.0\.0\.1:\d+ has not answered for \d+ s, so training cannot go on; last checkpoint: "
                       r"(\S+) \(global step (\d+)\); restart the cluster \(or the ps task\) to resume from it", log)
    assert lines, log[-4000:]
    for path, step in lines:
        assert int(step) == checkpoint and path == os.path.join(runs["model_dir"], "model.ckpt-%d" % checkpoint)
    assert "Traceback" not in log
    assert 0 < ended_at - checkpoint <= INTERVAL


def test_the_restarted_cluster_resumes_from_the_last_checkpoint(runs):
    _, first_log = runs["first"]
    (ended_at, reported, stored), = _ints(r"fault: chief:0 ends ps:0 at global step (\d+); "
                                          r"last checkpoint at step (\d+) holds step (\d+)", first_log)
    latest = runs["latest_after_first"]
    assert latest == os.path.join(runs["model_dir"], "model.ckpt-%d" % reported)  # no save after the ps was gone
    result, log = runs["second"]
    starts = _ints(r"\[chief:0\] fault: chief:0 starts at global step (\d+)", log)
    # The restart resumes from that checkpoint. In asynchronous training the step it holds can be
    # one past its name: the worker may step between the saver reading the global step for the
    # file name and saving the variables (tf.estimator's hook does the same).
    assert stored == runs["stored_after_first"]
    assert starts and starts[0] == stored, log[-4000:]
    assert reported <= stored < ended_at and ended_at - stored <= INTERVAL


def test_a_killed_chief_restores_its_last_checkpoint_and_reaches_the_target(runs):
    result, log = runs["second"]
    assert result.returncode == 0, log[-4000:]
    assert result.returncodes == {"ps:0": 0, "chief:0": 0, "worker:0": 0}
    assert "[launch] restarting chief:0 (exit status -9); 0 restart(s) left" in log
    (killed_at, checkpoint, stored), = _ints(r"\[chief:0\] fault: chief:0 killed at global step (\d+); "
                                             r"last checkpoint at step (\d+) holds step (\d+)", log)
    starts = _ints(r"\[chief:0\] fault: chief:0 starts at global step (\d+)", log)
    assert len(starts) == 2 and starts[1] == stored, log[-4000:]  # the ps state rolled back to the checkpoint
    assert checkpoint <= stored < killed_at and killed_at - stored <= INTERVAL  # lost: the steps since it
    final = tf.train.load_variable(tf.train.latest_checkpoint(runs["model_dir"]), "global_step")
    assert TARGET <= final <= TARGET + 2


def test_ps_watchdog_reports_a_ps_that_stops_answering(monkeypatch, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    configs = cluster_tf_configs(1, 1, ports=[1, port])
    monkeypatch.setenv("TF_CONFIG", __import__("json").dumps(configs["chief:0"]))
    config = tf_estimator.RunConfig()
    lost = []
    watchdog = cluster.PsWatchdog(config, str(tmp_path), timeout_secs=0.5, poll_secs=0.1, on_lost=lost.append)
    with watchdog:
        time.sleep(0.5)
        assert not lost  # answering
        listener.close()
        deadline = time.time() + 10
        while not lost and time.time() < deadline:
            time.sleep(0.05)
    assert len(lost) == 1
    # A ps lost before the first probe (a fast task reaches its kill step within one poll) is still
    # reported once the training session, which needs every ps, was created (seen on TF 2.12).
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    configs = cluster_tf_configs(1, 1, ports=[1, closed.getsockname()[1]])
    closed.close()
    monkeypatch.setenv("TF_CONFIG", __import__("json").dumps(configs["chief:0"]))
    early = []
    with cluster.PsWatchdog(tf_estimator.RunConfig(), str(tmp_path), timeout_secs=0.3, poll_secs=0.1,
                            on_lost=early.append) as never_seen:
        time.sleep(0.8)
        assert not early  # never reachable: a ps still starting, not a lost one
        never_seen.hook().after_create_session(None, None)
        deadline = time.time() + 10
        while not early and time.time() < deadline:
            time.sleep(0.05)
    assert len(early) == 1 and "ps:0" in early[0]
    assert re.match(r"chief:0: ps:0 at 127\.0\.0\.1:%d has not answered for \d+ s, so training cannot go on; "
                    r"last checkpoint: none in %s; " % (port, re.escape(str(tmp_path))), lost[0])


_SIGNAL_WITH_AN_ABSENT_PS = r'''
import json, os, sys, threading
from tf1_recsys import estimator as tf_estimator
from tf1_recsys.estimator import cluster
from tf1_recsys.estimator.launch import cluster_tf_configs

configs = cluster_tf_configs(2, 1, ports=[int(p) for p in sys.argv[1:]])  # chief:0, ps:0 (here), ps:1 (absent)
os.environ["TF_CONFIG"] = json.dumps(configs["ps:0"])
ps_config = tf_estimator.RunConfig()
cluster.start_server(ps_config)  # listening before the chief looks (serve_ps keeps this server)
served = []
ps = threading.Thread(target=lambda: served.append(cluster.serve_ps(ps_config, poll_secs=1.0)), daemon=True)
ps.start()
os.environ["TF_CONFIG"] = json.dumps(configs["chief:0"])
signalled = cluster.signal_done(tf_estimator.RunConfig())
ps.join(30)
print(json.dumps({"signalled": signalled, "served": served}))
'''


def test_the_end_of_training_reaches_the_ps_tasks_that_answer_and_skips_an_absent_one(tmp_path):
    """tf.estimator waits for no ps task: ps:1 (nothing listens) is named in one line, ps:0 still ends."""
    sockets = [socket.socket() for _ in range(3)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [str(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", _SIGNAL_WITH_AN_ABSENT_PS] + ports, capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"signalled": [0], "served": [[0]]}
    assert ("tf1_recsys.estimator: chief:0: ps:1 at 127.0.0.1:%s not reachable; not told that training ended"
            % ports[2]) in proc.stderr.splitlines()
    assert "tf1_recsys.estimator: ps:0: every worker finished" in proc.stderr


def test_an_ipv6_ps_address_is_probed_without_its_brackets():
    """``[::1]:2222`` names an IPv6 task in a cluster spec; the probe (watchdog, end-of-training signal) dials ::1."""
    try:
        listener = socket.socket(socket.AF_INET6)
        listener.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with listener:
        listener.listen(1)
        port = listener.getsockname()[1]
        assert cluster._reachable("[::1]:%d" % port, 2.0)
    assert not cluster._reachable("[::1]:%d" % port, 2.0)  # closed: refused
