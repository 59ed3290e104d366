"""tf1_recsys.estimator on a loopback parameter-server cluster: 1 ps, chief + worker, evaluator.

The user's script (tests/estimator_user_model.py) runs unchanged as every task; the
launcher gives each its TF_CONFIG, in a private network namespace when ``unshare --net``
works here. Every process is bounded by the launcher's timeout (and its own deadline)
and is killed when the test ends, also when it fails.

One run serves every test here (a cluster run costs four TensorFlow imports): worker:0
is SIGKILLed at its second step and restarted by the launcher, and the chief waits at
step 10 until the restarted worker has trained a step, so the run also shows a killed
worker rejoining and the step target reached with it.
"""
import io
import json
import os
import re
import sys

import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys import estimator as tf_estimator
from tf1_recsys.estimator.launch import cluster_tf_configs, launch

import estimator_user_model as user  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "tests", "estimator_user_model.py")
TIMEOUT = 240  # the 4 processes import TensorFlow at once: most of the time on 2 shared cores
TARGET = 60


def test_cluster_tf_configs_name_every_task():
    configs = cluster_tf_configs(2, 3, evaluator=True, ports=[1, 2, 3, 4, 5])
    assert sorted(configs) == ["chief:0", "evaluator:0", "ps:0", "ps:1", "worker:0", "worker:1"]
    cluster = configs["worker:1"]["cluster"]
    assert cluster == {"chief": ["127.0.0.1:1"], "worker": ["127.0.0.1:2", "127.0.0.1:3"],
                       "ps": ["127.0.0.1:4", "127.0.0.1:5"]}
    info = tf_estimator.parse_tf_config(configs["worker:1"])
    assert (info.global_id, info.num_worker_replicas, info.num_ps_replicas) == (2, 3, 2)
    with pytest.raises(ValueError, match="--workers"):
        cluster_tf_configs(1, 0)


def test_start_server_gives_each_cluster_its_own_server_and_refuses_a_served_address(monkeypatch):
    from tf1_recsys.estimator import cluster

    class Server(object):  # records what tf.train.Server was asked for; binds no port
        def __init__(self, cluster_spec, job_name, task_index, config, protocol, start):
            self.cluster = cluster_spec.as_dict()
            self.task = (job_name, task_index)
            self.filters = list(config.device_filters)
            self.target = "grpc://" + cluster_spec.task_address(job_name, task_index)

    monkeypatch.setattr(cluster, "_servers", {})
    monkeypatch.setattr(cluster, "_address_keys", {})
    monkeypatch.setattr(tf.train, "Server", Server)

    def config(configs, task):
        monkeypatch.setenv("TF_CONFIG", json.dumps(configs[task]))
        return tf_estimator.RunConfig()

    first, second = cluster_tf_configs(1, 2, ports=[1, 2, 3]), cluster_tf_configs(1, 1, ports=[4, 5])
    chief = cluster.start_server(config(first, "chief:0"))
    assert (chief.task, chief.cluster, chief.target) == (("chief", 0), first["chief:0"]["cluster"],
                                                         "grpc://127.0.0.1:1")
    assert cluster.start_server(config(first, "chief:0")) is chief  # a second Estimator of that cluster shares it
    other = cluster.start_server(config(second, "chief:0"))  # another cluster: its own server
    assert (other.task, other.cluster, other.target) == (("chief", 0), second["chief:0"]["cluster"],
                                                         "grpc://127.0.0.1:4")
    ps = cluster.start_server(config(first, "ps:0"))
    assert (ps.task, ps.cluster) == (("ps", 0), first["ps:0"]["cluster"])
    assert len({id(s) for s in (chief, other, ps)}) == 3
    # the first cluster's chief address in a third cluster: TensorFlow cannot serve one port twice
    third = {"cluster": {"chief": ["127.0.0.1:1"], "ps": ["127.0.0.1:6"]}, "task": {"type": "chief", "index": 0}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(third))
    with pytest.raises(ValueError) as e:
        cluster.start_server(tf_estimator.RunConfig())
    assert str(e.value) == (
        "start_server: this process already serves chief:0 at 127.0.0.1:1 for the cluster %s (device filters %s); "
        "config.cluster_spec %s (device filters %s) puts chief:0 at the same address, and a port takes one server: "
        "give that task another port or run it in another process."
        % (json.dumps(first["chief:0"]["cluster"], sort_keys=True), chief.filters,
           json.dumps(third["cluster"], sort_keys=True), tf_estimator.RunConfig().device_filters))
    assert len(cluster._servers) == 3


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory):
    model_dir = str(tmp_path_factory.mktemp("cluster") / "model")
    out = io.StringIO()
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TF_CPP_MIN_LOG_LEVEL="2")
    fault_dir = str(tmp_path_factory.mktemp("fault"))
    result = launch([sys.executable, SCRIPT, "--model-dir", model_dir, "--max-steps", str(TARGET),
                     "--fault-dir", fault_dir], num_ps=1, num_workers=2, evaluator=True, timeout=TIMEOUT,
                    env=env, out=out, restarts=1)
    return result, out.getvalue(), model_dir


def test_cluster_trains_to_the_target_and_every_task_exits_by_itself(cluster_run):
    result, log, model_dir = cluster_run
    assert result.returncode == 0, log[-4000:]
    assert result.reason == "every task finished"
    assert result.returncodes == {"ps:0": 0, "chief:0": 0, "worker:0": 0, "evaluator:0": 0}
    assert "[ps:0] tf1_recsys.estimator: ps:0: every worker finished" in log
    assert re.search(r"\[worker:0\] .*worker:0 signalled the end of its training", log)
    step = tf.train.load_variable(tf.train.latest_checkpoint(model_dir), "global_step")
    assert TARGET <= step <= TARGET + 2  # async: the other worker's step in flight may land after the stop


def test_a_killed_worker_restarts_rejoins_and_trains(cluster_run):
    result, log, _ = cluster_run
    assert "[launch] restarting worker:0 (exit status -9); 0 restart(s) left" in log
    lives = [int(n) for n in re.findall(r"\[worker:0\] fault: worker:0 ran (\d+) steps in this life", log)]
    assert len(lives) == 1 and lives[0] >= 1, log[-4000:]  # the killed life printed nothing
    chief = [int(n) for n in re.findall(r"\[chief:0\] fault: chief:0 ran (\d+) steps in this life", log)]
    assert chief and chief[0] + lives[0] >= TARGET - 2  # the async steps of both lives add up to the target


def test_cluster_placed_variables_and_partitions_on_the_ps(cluster_run):
    _, _, model_dir = cluster_run
    meta = tf.MetaGraphDef()
    with open(tf.train.latest_checkpoint(model_dir) + ".meta", "rb") as f:
        meta.ParseFromString(f.read())
    devices = {n.name: n.device for n in meta.graph_def.node if n.op in ("VarHandleOp", "VariableV2")}
    assert {"item_embedding/part_0", "item_embedding/part_1", "hidden/kernel", "global_step"} <= set(devices)
    assert all(d.startswith("/job:ps/task:0") for d in devices.values()), devices


def test_cluster_checkpoint_restores_single_process(cluster_run):
    _, log, model_dir = cluster_run
    checkpoint = tf.train.latest_checkpoint(model_dir)
    est = tf_estimator.Estimator(user.model_fn, model_dir=model_dir, params={"learning_rate": 0.1})
    result = est.evaluate(user.eval_input_fn)
    features, labels = user.make_data()
    logits, probs = user.numpy_forward(lambda name: tf.train.load_variable(checkpoint, name), features)
    xent = np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))
    np.testing.assert_allclose(result["loss"], xent.mean(), rtol=1e-5)
    rows = list(est.predict(user.predict_input_fn))
    np.testing.assert_allclose([r["probabilities"] for r in rows], probs, rtol=1e-5, atol=1e-6)
    # The evaluator task evaluated the final checkpoint: the same numbers.
    final = json.loads(re.findall(r"\[evaluator:0\] final evaluation: (\{.*\})", log)[-1])
    assert final["global_step"] == result["global_step"]
    np.testing.assert_allclose(final["loss"], result["loss"], rtol=1e-6)
    np.testing.assert_allclose(final["auc"], result["auc"], rtol=1e-6)


def test_cluster_model_exports_and_freezes_to_the_same_outputs(cluster_run, tmp_path):
    from tf1_recsys.export import freeze_session, run_frozen

    _, _, model_dir = cluster_run
    checkpoint = tf.train.latest_checkpoint(model_dir)
    est = tf_estimator.Estimator(user.model_fn, model_dir=model_dir, params={"learning_rate": 0.1})
    receiver_fn = tf_estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.TensorSpec([None, user.N_DENSE], tf.float32), "item": tf.TensorSpec([None], tf.int64)})
    export_dir = est.export_saved_model(str(tmp_path / "export"), receiver_fn).decode()
    features, _ = user.make_data()
    _, probs = user.numpy_forward(lambda name: tf.train.load_variable(checkpoint, name), features)
    with tf.Graph().as_default(), tf.Session() as sess:
        sig = tf.saved_model.loader.load(sess, ["serve"], export_dir).signature_def["serving_default"]
        output = sig.outputs["probabilities"].name
        feeds = {sig.inputs[k].name: features[k] for k in ("x", "item")}
        served = sess.run(output, feeds)
        frozen = freeze_session(sess, [output])
    assert not [n for n in frozen.node if n.op in ("VarHandleOp", "VariableV2")]
    np.testing.assert_allclose(served, probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run_frozen(frozen, feeds, [output])[output], served, rtol=1e-6)
