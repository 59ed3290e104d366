"""``build_dien``: the loss is cross-entropy + alpha * auxiliary loss, logged apart; the command trains it,
is killed, resumes to the uninterrupted run's weights and writes ``loss/auxiliary`` to TensorBoard.

(Builds, trains, freezes and frozen == session: ``tests/test_models.py``, parametrised over every model.)
"""
import contextlib
import glob
import io
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from tf1_recsys._tf import tf
from tf1_recsys.data import generate, take
from tf1_recsys.models import build_model

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = ["--model", "dien", "--data", "synthetic", "--rows", "400", "--batch-size", "40", "--embedding-size", "4",
        "--epochs", "2", "--checkpoint-steps", "4", "--no-progress"]
STEPS = 2 * 8  # 320 training rows / 40, two epochs


def test_loss_is_cross_entropy_plus_alpha_times_the_auxiliary_loss(graph, sess):
    data = generate(num_impressions=400, seed=2)
    spec = build_model("dien", data.schema, embedding_size=4, alpha=0.3, mlp_layers=(8,), attention_layers=(8, 4),
                       aux_layers=(6,))
    sess.run(tf.global_variables_initializer())
    aux = graph.get_tensor_by_name("dien_model/dien/auxiliary_loss:0")
    batch = take(data.train, np.arange(50))
    loss, logit, a = sess.run([spec.loss, spec.logits["click"], aux], spec.feed(batch))
    y = batch["click"]
    ce = np.mean(np.maximum(logit, 0) - logit * y + np.log1p(np.exp(-np.abs(logit))))
    assert tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == []  # l2=0
    assert a > 0.1
    np.testing.assert_allclose(loss, ce + 0.3 * a, rtol=1e-5)
    assert "loss/auxiliary" in [s.op.name for s in tf.get_collection(tf.GraphKeys.SUMMARIES)]
    for bad, msg in ((dict(gru_type="LSTM"), "`gru_type` must be one of AUGRU, AGRU, AIGRU; got 'LSTM'"),
                     (dict(alpha=-1), "`alpha` must be a number >= 0; got -1")):
        with pytest.raises(ValueError, match="build_dien: " + msg.replace("(", r"\(")):
            build_model("dien", data.schema, **bad)


def _values(model_dir):
    reader = tf.train.load_checkpoint(str(model_dir))
    return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()}


def test_command_sigkill_then_resume_matches_the_uninterrupted_run(tmp_path):
    from tf1_recsys.cli import main

    whole = tmp_path / "whole"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        assert main(["train", *TINY, "--out", str(whole)]) == 0, err.getvalue()
    events = glob.glob(str(whole / "**" / "events.out.tfevents.*"), recursive=True)
    tags = {v.tag for path in events for e in tf.train.summary_iterator(path) for v in e.summary.value}
    assert {"loss/auxiliary", "loss/loss_click"} <= tags

    killed = tmp_path / "killed"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0", PYTHONPATH=REPO)
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "cli_slow.py"), "4", "train", *TINY,
                             "--out", str(killed)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=REPO)
    seen = None
    try:
        for line in proc.stdout:
            if line.startswith("CHECKPOINT") and int(line.split()[1]) >= 4:
                seen = int(line.split()[1])
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.kill()
        _, stderr = proc.communicate(timeout=120)
    assert seen is not None, stderr[-3000:]
    stopped = int(_values(killed)["global_step"])
    assert seen <= stopped < STEPS
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        assert main(["train", *TINY, "--out", str(killed), "--resume"]) == 0, err.getvalue()
    resumed, reference = _values(killed), _values(whole)
    assert int(resumed["global_step"]) == STEPS and set(resumed) == set(reference)
    for name, value in reference.items():
        np.testing.assert_allclose(resumed[name], value, rtol=1e-5, atol=1e-6, err_msg=name)
