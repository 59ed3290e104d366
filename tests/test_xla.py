"""``TrainConfig(xla=True)`` / ``tf1-recsys train --xla``: XLA auto-clustering of the training session.

TensorFlow reads ``TF_XLA_FLAGS`` once per process, at its first session, so the
working path runs in one fresh subprocess (isolation: the flag is process-wide), which
prints its measurements as JSON; this process, which has run sessions without the
flag, checks the one clear error.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO
from tf1_recsys._tf import tf
from tf1_recsys.cli import main
from tf1_recsys.training import TrainConfig, Trainer
from tf1_recsys.training import xla

import train_script as ts

CHILD = textwrap.dedent(r"""
    import json, os, sys, tempfile
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from tf1_recsys._tf import tf
    from tf1_recsys.cli import main as cli
    from tf1_recsys.data.schema import Feature, Schema
    from tf1_recsys.models.din import build_din
    from tf1_recsys.training import TrainConfig, Trainer

    T, N = 10, 600
    rng = np.random.default_rng(5)
    item = rng.integers(1, 200, N)
    hist = rng.integers(0, 200, (N, T)) * (np.arange(T)[None, :] < rng.integers(1, T + 1, N)[:, None])
    data = {"user": rng.integers(0, 50, N), "item_id": item, "cate_id": item % 20,
            "hist_item_id": hist, "hist_cate_id": hist % 20,
            "click": (rng.random(N) < 1 / (1 + np.exp(-(item % 7 - 3.0)))).astype(np.float32)}
    schema = Schema([Feature("user", "slot", 50), Feature("item_id", "slot", 200), Feature("cate_id", "slot", 20),
                     Feature("hist_item_id", "sequence", 200, max_len=T, query="item_id"),
                     Feature("hist_cate_id", "sequence", 20, max_len=T, query="cate_id")], labels=("click",))

    def model_fn():
        return build_din(schema, embedding_size=8, attention_layers=(16, 8), mlp_layers=(32, 16),
                         attention_layer_norm=False, sequence_attention="joint")

    def config(**kw):  # 600 rows in batches of 128: the last batch of an epoch (88) is another shape
        return TrainConfig(batch_size=128, seed=1, progress=False, checkpoint_every=3, **kw)

    def values(t):
        with t.graph.as_default():
            variables = tf.global_variables()
        return dict(zip([v.op.name for v in variables], t.sess.run(variables)))

    from tf1_recsys.training import fit_hooks
    kernels = {}

    class Watched(fit_hooks.FitHook):  # records the kernels of fit's training steps
        def before_run(self, run_context):
            args = super().before_run(run_context)
            return tf.train.SessionRunArgs(args.fetches, args.feed_dict,
                                           options=tf.RunOptions(output_partition_graphs=True))

        def after_run(self, run_context, run_values):
            ops = {n.op for g in run_values.run_metadata.partition_graphs for n in g.node}
            kernels.setdefault(self._trainer.config.xla, set()).update(o for o in ops if o.startswith("_Xla"))
            return super().after_run(run_context, run_values)

    fit_hooks.FitHook = Watched

    out, tmp = {}, tempfile.mkdtemp()
    fast = Trainer(model_fn, config(epochs=2, xla=True), model_dir=os.path.join(tmp, "fast"))  # the first session
    ref = Trainer(model_fn, config(epochs=2), model_dir=os.path.join(tmp, "ref"))
    out["flags"] = os.environ.get("TF_XLA_FLAGS")
    meta = tf.RunMetadata()
    fast.sess.run(fast.spec.predictions["click"], fast.spec.feed({k: v[:64] for k, v in data.items()}),
                  options=tf.RunOptions(output_partition_graphs=True), run_metadata=meta)
    out["trainer_session_xla_ops"] = sorted({n.op for g in meta.partition_graphs for n in g.node
                                             if n.op.startswith("_Xla")})
    v0, w0 = values(ref), values(fast)
    out["initial_equal"] = sorted(v0) == sorted(w0) and all(np.array_equal(v0[k], w0[k]) for k in v0)
    p0, q0 = ref.predict(data)["click"], fast.predict(data)["click"]
    out["initial_pred_diff"] = float(np.max(np.abs(p0 - q0)))
    ref.fit(data)
    fast.fit(data)
    out["xla_ops"], out["ref_xla_ops"] = sorted(kernels[True]), sorted(kernels[False])
    v, w = values(ref), values(fast)
    out["steps"] = [ref.step, fast.step]
    out["trained_var_diff"] = max(float(np.max(np.abs(v[k].astype(np.float64) - w[k]))) for k in v)
    out["moved"] = max(float(np.max(np.abs(v[k].astype(np.float64) - v0[k]))) for k in v if k != "global_step")
    p, q = ref.predict(data)["click"], fast.predict(data)["click"]
    out["trained_pred_diff"] = float(np.max(np.abs(p - q)))
    out["auc"] = [roc_auc_score(data["click"], p), roc_auc_score(data["click"], q),
                  fast.evaluate(data)["auc/click"]]
    # Exact resume under XLA: 1 epoch, a new Trainer, the 2nd epoch = the 2 epochs straight.
    half = Trainer(model_fn, config(epochs=1, xla=True), model_dir=os.path.join(tmp, "resumed"))
    half.fit(data)
    half.close()
    resumed = Trainer(model_fn, config(epochs=2, xla=True), model_dir=os.path.join(tmp, "resumed"))
    out["resumed_from"] = resumed.restored_from is not None
    resumed.fit(data)
    r = values(resumed)
    out["resume_bitwise"] = resumed.step == fast.step and all(np.array_equal(r[k], w[k]) for k in w)
    for t in (ref, fast, resumed):
        t.close()
    run_dir = os.path.join(tmp, "cli")
    common = ["--model", "din", "--data", "synthetic", "--rows", "3000", "--out", run_dir, "--no-progress"]
    out["cli"] = [cli(["train", *common, "--epochs", "1", "--xla"]),
                  json.load(open(os.path.join(run_dir, "run.json")))["train"].get("xla")]
    out["cli_resume"] = [cli(["train", *common, "--epochs", "2", "--resume", "--no-xla"]),
                         json.load(open(os.path.join(run_dir, "run.json")))["train"].get("xla")]
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def child():
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=400)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_a_fresh_process_compiles_the_training_session_with_xla(child):
    assert child["flags"].split() == [xla.CPU_FLAG, xla.EAGER_FLAG]  # added by Trainer, nothing else
    assert "_XlaRun" in child["xla_ops"] and "_XlaCompile" in child["xla_ops"]
    assert child["ref_xla_ops"] == []  # a session without xla=True in the same process is not compiled
    assert child["trainer_session_xla_ops"] == []  # nor the trainer's own session (initial values, predict)


def test_xla_computes_the_same_model_to_float_rounding(child):
    assert child["initial_equal"]  # same variables, same seed, same initial values
    assert child["initial_pred_diff"] <= 1e-6
    assert child["steps"] == [10, 10]  # 2 epochs of ceil(600 / 128) = 5 steps, the 5th of 88 rows
    assert child["moved"] > 1e-3  # the training moved the variables...
    assert child["trained_var_diff"] <= 1e-4  # ...the same way with and without XLA
    assert child["trained_pred_diff"] <= 1e-4
    sk_ref, sk_xla, ours = child["auc"]
    assert abs(sk_ref - sk_xla) <= 1e-3 and abs(ours - sk_xla) <= 1e-9


def test_an_xla_run_resumes_bit_for_bit(child):
    assert child["resumed_from"]
    assert child["resume_bitwise"]


def test_the_cli_flag_is_recorded_and_may_change_on_resume(child):
    assert child["cli"] == [0, True]
    assert child["cli_resume"] == [0, False]


def test_too_late_for_the_flag_is_one_clear_error(monkeypatch, capsys, tmp_path):
    graph = tf.Graph()
    with graph.as_default():
        one = tf.constant(1.0)
    with tf.Session(graph=graph) as sess:  # this process has run a session, so TensorFlow has read its flags
        sess.run(one)
    if xla.autoclustering_active():
        pytest.skip("this process was started with %s in TF_XLA_FLAGS" % xla.CPU_FLAG)
    monkeypatch.delenv("TF_XLA_FLAGS", raising=False)
    with pytest.raises(xla.XlaUnavailableError, match=r'TF_XLA_FLAGS="--tf_xla_cpu_global_jit --tf_xla_enable_lazy_compilation=false" before starting'):
        Trainer(ts.model_fn, ts.config(xla=True))
    assert isinstance(xla.XlaUnavailableError("x"), RuntimeError)
    rc = main(["train", "--model", "fm", "--data", "synthetic", "--rows", "3000", "--no-progress", "--out", str(tmp_path / "r"), "--xla"])
    err = capsys.readouterr().err
    lines = [l for l in err.splitlines() if l.strip()]
    assert rc == 2 and len(lines) == 1 and "--xla:" in lines[0] and "TF_XLA_FLAGS" in lines[0], err
    assert not os.path.exists(str(tmp_path / "r" / "run.json"))


def test_xla_must_be_a_bool():
    with pytest.raises(TypeError, match=r"`xla` must be a bool; got 'yes'"):
        TrainConfig(xla="yes")
    config = TrainConfig(xla=True, threads=1)
    training = config.training_session_config()
    assert training.graph_options.optimizer_options.global_jit_level == tf.OptimizerOptions.ON_1
    assert training.intra_op_parallelism_threads == 1 and training.inter_op_parallelism_threads == 1
    assert config.session_config().graph_options.optimizer_options.global_jit_level == 0  # the trainer's own
    assert TrainConfig().training_session_config().graph_options.optimizer_options.global_jit_level == 0
