"""`tf1-recsys launch --ps 1 --workers 2 -- train ...` end to end, and `train` as one task of a cluster.

One loopback cluster run (ps, chief, worker; in a private network namespace when
``unshare --net`` works) serves the tests that need it; it is bounded by the launcher's
--timeout, which also ends every task it started, also when a test fails.
References: the checkpoint's own global step and device placement, scikit-learn's AUC of
the scores `evaluate` writes, the frozen graph's outputs against the session's.
"""
import json
import os
import re

import pytest
from sklearn.metrics import roc_auc_score

from conftest import REPO
from tf1_recsys.cli import main
from tf1_recsys.cli.cluster import SHARDS_PER_PS, _prepare_chief_folder
from tf1_recsys.cli.common import CLIError
from tf1_recsys.cli.outdir import MARKER

ROWS, BATCH = 4000, 128
STEPS = 25  # 1 epoch of the 3200 training rows in batches of 128


def _run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def cluster_out(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("cli_cluster") / "din")
    env = {"PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), "TF_CPP_MIN_LOG_LEVEL": "2"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    log = tmp_path_factory.mktemp("cli_cluster_log") / "launch.log"
    import contextlib
    import io

    stream = io.StringIO()
    try:
        with contextlib.redirect_stdout(stream):
            rc = main(["launch", "--ps", "1", "--workers", "2", "--timeout", "240", "--", "train", "--model", "din",
                       "--data", "synthetic", "--rows", str(ROWS), "--epochs", "1", "--batch-size", str(BATCH),
                       "--out", out, "--no-progress"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    log.write_text(stream.getvalue())
    return rc, stream.getvalue(), out


def test_launch_trains_din_on_a_cluster_and_the_chief_writes_the_folder(cluster_out):
    from tf1_recsys._tf import tf

    rc, log, out = cluster_out
    assert rc == 0, log[-4000:]
    assert "[launch] every task finished; exit statuses: ps:0=0, chief:0=0, worker:0=0" in log
    assert "[chief:0] chief:0: training din, 1 ps task(s) holding the embedding tables in %d partitions" \
        % SHARDS_PER_PS in log
    checkpoint = tf.train.latest_checkpoint(out)
    step = int(tf.train.load_variable(checkpoint, "global_step"))
    assert STEPS <= step <= STEPS + 2  # async: the other worker's step in flight may land after the stop
    target, more = map(int, re.search(r"to global step (\d+) \(the last checkpoint can be up to (\d+) past", log)
                       .groups())
    assert (target, more) == (STEPS, 2) and target <= step <= target + more  # what the chief said is true
    run = json.load(open(os.path.join(out, "run.json")))
    assert run["cluster"] == {"ps": 1, "workers": 2} and run["results"]["global_step"] == step
    printed = float(re.search(r"\[chief:0\]   click +test AUC (\d\.\d+)", log).group(1))
    assert abs(printed - run["results"]["test"]["click"]["auc"]) < 1e-4
    # The tables were partitioned and every variable lived on the ps.
    meta = tf.MetaGraphDef()
    with open(checkpoint + ".meta", "rb") as f:
        meta.ParseFromString(f.read())
    devices = {n.name: n.device for n in meta.graph_def.node if n.op in ("VarHandleOp", "VariableV2")}
    parts = [n for n in devices if re.match(r"din_model/embeddings/item/part_\d+$", n)]
    assert len(parts) == SHARDS_PER_PS, sorted(devices)
    assert all(d.startswith("/job:ps/task:0") for d in devices.values()), devices
    # Only the chief wrote: its marker records the checkpoint files.
    marker = json.load(open(os.path.join(out, MARKER)))
    assert os.path.basename(checkpoint) + ".index" in marker["files"] and "run.json" in marker["files"]


def test_evaluate_and_freeze_work_on_the_cluster_folder(cluster_out, capsys, tmp_path):
    import numpy as np

    rc, log, out = cluster_out
    assert rc == 0, log[-4000:]
    scores = str(tmp_path / "scores.csv")
    rc, text, err = _run(capsys, "evaluate", "--model-dir", out, "--scores-out", scores, "--no-progress")
    assert rc == 0, err
    run = json.load(open(os.path.join(out, "run.json")))
    auc = float(re.search(r"click +test AUC (\d\.\d+)", text).group(1))
    assert abs(auc - run["results"]["test"]["click"]["auc"]) < 1e-4  # the chief scored the same checkpoint
    table = np.genfromtxt(scores, delimiter=",", names=True)
    np.testing.assert_allclose(roc_auc_score(table["label"], table["score"]), run["results"]["test"]["click"]["auc"],
                               atol=1e-6)
    rc, text, err = _run(capsys, "freeze", "--model-dir", out, "--no-progress")
    assert rc == 0, err
    assert "-> match" in text and os.path.isfile(os.path.join(out, "frozen.pb"))


def test_a_restarted_chief_continues_its_own_folder_only(cluster_out):
    rc, log, out = cluster_out
    assert rc == 0, log[-4000:]
    run = json.load(open(os.path.join(out, "run.json")))
    run = {k: v for k, v in run.items() if k not in ("schema", "results")}
    folder, continued = _prepare_chief_folder(out, run)
    folder.unlock()
    assert continued
    other = dict(run, seed=run["seed"] + 1)
    with pytest.raises(CLIError, match="holds another run"):
        _prepare_chief_folder(out, other)


def test_train_cluster_flags_fail_in_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    rc, _, err = _run(capsys, "train", "--cluster", "--model", "din", "--data", "synthetic", "--out",
                      str(tmp_path / "a"))
    assert rc == 2 and err.startswith("tf1-recsys: error: --cluster: $TF_CONFIG names no cluster (it is not set)")
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["127.0.0.1:1"], "ps": ["127.0.0.1:2"]},
                                                "task": {"type": "chief", "index": 0}}))
    rc, _, err = _run(capsys, "train", "--model", "din", "--data", "synthetic", "--resume", "--out",
                      str(tmp_path / "b"))
    assert rc == 2 and err.startswith("tf1-recsys: error: --resume with a cluster: ")
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"ps": ["127.0.0.1:2"]},
                                                "task": {"type": "ps", "index": 0}}))
    rc, _, err = _run(capsys, "train", "--model", "din", "--data", "synthetic")
    assert rc == 2 and 'must have one "chief" node' in err and len(err.strip().splitlines()) == 1
    rc, _, err = _run(capsys, "launch", "--ps", "1")
    assert rc == 2 and err.startswith("tf1-recsys: error: launch: no command after --")
