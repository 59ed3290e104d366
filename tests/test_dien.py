"""``build_dien``: the loss is cross-entropy + alpha * auxiliary loss, logged apart; the MLP's history sum
(the default); the command trains it, is killed, resumes to the uninterrupted run's weights and writes
``loss/auxiliary`` to TensorBoard; a run.json of the old default keeps its model.

(Builds, trains, freezes and frozen == session: ``tests/test_models.py``, parametrised over every model.)
"""
import contextlib
import glob
import io
import json
import signal

import numpy as np
import pytest

import cli_slow
from same_values import session_with_values
from tf1_recsys._tf import tf
from tf1_recsys.data import generate, take
from tf1_recsys.models import build_model

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


def _mlp_input(graph):
    """The tensor the MLP's first dense layer multiplies: [B, MLP input width]."""
    matmuls = [op for op in graph.get_operations()
               if op.type == "MatMul" and op.name.startswith("dien_model/mlp/layer_0/dense/")]
    assert len(matmuls) == 1, [op.name for op in matmuls]
    return matmuls[0].inputs[0]


def _variables():
    return {v.op.name: v.shape.as_list() for v in tf.global_variables()}


def test_history_sum_feeds_the_mlp_the_masked_sum_or_mean_and_its_product_with_the_query(graph, sess):
    data = generate(num_impressions=200, seed=3)
    small = dict(embedding_size=4, mlp_layers=(8,), attention_layers=(8, 4), aux_layers=(6,), l2=0.01)
    with tf.Graph().as_default():
        build_model("dien", data.schema, history_sum=False, **small)  # the paper's MLP input
        off = _variables()
        x_off = int(_mlp_input(tf.get_default_graph()).shape[-1])
    spec = build_model("dien", data.schema, **small)  # history_sum=True is the default
    on = _variables()
    step = tf.train.GradientDescentOptimizer(0.5).minimize(spec.loss)  # before a run: gradients of the while loops
    kernel = "dien_model/mlp/layer_0/dense/kernel"
    s, e, fields, reals = len(data.schema.sequences), 4, 5, 2  # user, item, cat, hist_item, hist_cat; price, noise
    assert s == 2 and {n: v for n, v in on.items() if n != kernel} == {n: v for n, v in off.items() if n != kernel}
    assert off[kernel] == [fields * e + reals, 8] == [x_off, 8] and on[kernel] == [fields * e + 2 * s * e + reals, 8]

    batch = take(data.train, np.arange(12))
    batch["hist_cat"][0, :5] = 0  # a position is a behaviour only when all of its group's ids are real
    batch["hist_item"][1, :] = 0  # no behaviour at all: a zero sum
    sess.run(tf.global_variables_initializer())
    x, loss = sess.run([_mlp_input(graph), spec.loss], spec.feed(batch))
    tables = {v.op.name.split("/")[-1]: v for v in tf.global_variables() if "/embeddings/" in v.op.name}
    item, cat = sess.run([tables["item"], tables["cat"]])
    behaviours = np.concatenate([item[batch["hist_item"]], cat[batch["hist_cat"]]], -1)  # [B, T, 2E]
    real = (batch["hist_item"] != 0) & (batch["hist_cat"] != 0)
    total = (behaviours * real[..., None]).sum(1)
    query = np.concatenate([item[batch["item"]], cat[batch["cat"]]], -1)
    assert real[0].sum() < (batch["hist_item"][0] != 0).sum() and not total[1].any() and total[2].any()
    np.testing.assert_allclose(x[:, fields * e:], np.concatenate(
        [total, query * total, np.stack([batch["price"], batch["noise"]], 1)], 1), rtol=1e-5, atol=1e-6)

    before = sess.run(tf.trainable_variables(kernel)[0])
    sess.run(step, spec.feed(batch, training=True))
    after, new_loss = sess.run([tf.trainable_variables(kernel)[0], spec.loss], spec.feed(batch))
    assert np.isfinite(loss) and np.isfinite(new_loss)
    assert np.abs(after - before)[fields * e:fields * e + 2 * s * e].min() > 0  # the new rows are trained

    # 'mean': the same inputs with the sum divided by the number of real behaviours (0 when none)
    with tf.Graph().as_default() as g, tf.Session() as mean_sess:
        spec = build_model("dien", data.schema, history_sum="mean", **small)
        assert _variables() == on
        mean_sess.run(tf.global_variables_initializer())
        x = mean_sess.run(_mlp_input(g), spec.feed(batch))
        g.get_tensor_by_name("dien_model/dien/history_sum/masked_mean:0")
        tables = {v.op.name.split("/")[-1]: v for v in tf.global_variables() if "/embeddings/" in v.op.name}
        item, cat = mean_sess.run([tables["item"], tables["cat"]])
    behaviours = np.concatenate([item[batch["hist_item"]], cat[batch["hist_cat"]]], -1)
    mean = (behaviours * real[..., None]).sum(1) / np.maximum(real.sum(1, keepdims=True), 1)
    query = np.concatenate([item[batch["item"]], cat[batch["cat"]]], -1)
    assert real.sum(1).max() > 1 and not mean[1].any()
    np.testing.assert_allclose(x[:, fields * e:], np.concatenate(
        [mean, query * mean, np.stack([batch["price"], batch["noise"]], 1)], 1), rtol=1e-5, atol=1e-6)
    for bad in ("yes", 1):
        with pytest.raises(ValueError, match="build_dien: `history_sum` must be True, False, 'sum' or 'mean'; "
                                             "got %r" % bad):
            build_model("dien", data.schema, history_sum=bad)


def test_a_run_json_written_before_the_default_changed_keeps_the_paper_input(tmp_path):
    # Before history_sum became dien's default, run.json recorded the preset without it: read
    # back, such a run must build the model its checkpoint holds (history_sum=False).
    from tf1_recsys.cli.common import read_run
    from tf1_recsys.models.presets import preset

    data = generate(num_impressions=50, seed=0)
    for model, hparams, want in (("dien", {"embedding_size": 4}, False),
                                 ("dien", {"embedding_size": 4, "history_sum": True}, True),
                                 ("din", {"embedding_size": 4}, None)):
        folder = tmp_path / ("%s-%s" % (model, len(hparams)))
        folder.mkdir()
        run = {"model": model, "data": "synthetic", "seed": 0, "hparams": hparams, "train": {},
               "schema": data.schema.to_dict()}
        (folder / "run.json").write_text(json.dumps(run))
        assert read_run(str(folder))["hparams"].get("history_sum") is want
        assert json.loads((folder / "run.json").read_text()) == run  # the file itself is left as it was
    assert preset("dien", "synthetic")[0]["history_sum"] is True  # what a new run.json records
    rating, settings = preset("dien", "movielens")  # MovieLens: the input validation chose per protocol
    nxt, next_settings = preset("dien", "movielens", "next")
    assert rating["history_sum"] is False and nxt["history_sum"] is True and settings == next_settings
    assert preset("dien", "movielens", "rating") == (rating, settings)
    assert {k: v for k, v in nxt.items() if k != "history_sum"} == {k: v for k, v in rating.items()
                                                                    if k != "history_sum"}


def _values(model_dir):
    reader = tf.train.load_checkpoint(str(model_dir))
    return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()}


def test_command_sigkill_then_resume_matches_the_uninterrupted_run(tmp_path):
    from tf1_recsys.cli import main

    # the run to kill imports TensorFlow and trains beside the uninterrupted run, held after its checkpoint
    # of step 4 until it is killed (tests/cli_slow.py)
    killed, hold = tmp_path / "killed", tmp_path / "hold"
    hold.write_text("")
    proc = cli_slow.start_held(4, ["train", *TINY, "--out", str(killed)], 4, hold, str(tmp_path / "killed.err"))
    try:
        whole = tmp_path / "whole"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            assert main(["train", *TINY, "--out", str(whole)]) == 0, err.getvalue()
        seen = cli_slow.wait_for_checkpoint(proc, 4)
        if seen is not None:
            proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=120)
        hold.unlink()
    events = glob.glob(str(whole / "**" / "events.out.tfevents.*"), recursive=True)
    tags = {v.tag for path in events for e in tf.train.summary_iterator(path) for v in e.summary.value}
    assert {"loss/auxiliary", "loss/loss_click"} <= tags
    with open(whole / "run.json", encoding="utf-8") as f:
        assert json.load(f)["hparams"]["history_sum"] is True

    assert seen is not None, (tmp_path / "killed.err").read_text()[-3000:]
    stopped = int(_values(killed)["global_step"])
    assert seen <= stopped < STEPS
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        assert main(["train", *TINY, "--out", str(killed), "--resume"]) == 0, err.getvalue()
    resumed, reference = _values(killed), _values(whole)
    assert int(resumed["global_step"]) == STEPS and set(resumed) == set(reference)
    for name, value in reference.items():
        np.testing.assert_allclose(resumed[name], value, rtol=1e-5, atol=1e-6, err_msg=name)


def test_fast_attention_and_auxiliary_layer_leave_the_model_unchanged(monkeypatch):
    """The activation unit on the real positions (``zero_padded_keys``) and the auxiliary network's split first
    layer: the same variables, and with the same values the same loss, gradients and moving-statistics updates
    as the dense forms they replace (built here by patching them back), to float32 rounding, in training."""
    from tf1_recsys.layers import DINModel, interest
    from tf1_recsys.layers.core import dense

    data = generate(num_impressions=100, seed=4, min_hist=1, max_hist=6)
    batch = take(data.train, np.arange(30))
    batch["hist_item"][1, :] = 0  # a row without behaviours: all padding
    small = dict(embedding_size=4, mlp_layers=(8,), attention_layers=(8, 4), aux_layers=(6, 5))

    def run(values=None):
        with tf.Graph().as_default():
            spec = build_model("dien", data.schema, **small)
            variables = {v.op.name: v for v in tf.global_variables()}
            trainable = sorted(tf.trainable_variables(), key=lambda v: v.op.name)
            grads = [tf.convert_to_tensor(g) for g in tf.gradients(spec.loss, trainable)]
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                moving = [tf.identity(v.read_value()) for n, v in sorted(variables.items()) if "moving" in n]
            with session_with_values(values) as (sess, values):
                types = {op.type for op in tf.get_default_graph().get_operations()}
                return values, sess.run([spec.loss, grads, moving], spec.feed(batch, training=True)), types

    with monkeypatch.context() as patch:
        patch.setattr(interest, "DINModel", lambda **kw: DINModel(**dict(kw, zero_padded_keys=False)))
        patch.setattr(interest, "_first_layer", lambda h, e, units, name: dense(
            tf.concat([tf.concat([h, h], 0), e], -1), units, activation=tf.sigmoid, name=name))
        values, before, dense_types = run()
    _, after, types = run(values)
    assert "ScatterNd" in types and "ScatterNd" not in dense_types  # the scores of the real positions only
    np.testing.assert_allclose(after[0], before[0], rtol=1e-5)
    for i, (got, want) in enumerate(zip(after[1] + after[2], before[1] + before[2])):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-6, err_msg=str(i))
