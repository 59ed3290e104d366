"""Session training: UPDATE_OPS, optimizers, data order, feed_dict vs tf.data, resume, checkpoints."""
import glob
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import train_script as ts
from tf1_recsys._tf import tf
from tf1_recsys.layers import batch_normalization, dense, dice
from tf1_recsys.training import (
    CheckpointError,
    TrainConfig,
    Trainer,
    batch_indices,
    build_train_op,
    steps_per_epoch,
)

HERE = os.path.dirname(os.path.abspath(__file__))
TOTAL_STEPS = 10 * steps_per_epoch(ts.N_EXAMPLES, 32)  # train_script's defaults


def _values(trainer):
    variables = trainer.graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)
    return dict(zip([v.op.name for v in variables], trainer.sess.run(variables)))


@pytest.fixture(scope="module")
def data():
    return ts.make_data()


@pytest.fixture(scope="module")
def reference(tmp_path_factory, data):
    """An uninterrupted feed_dict run of train_script's model: (model_dir, final values)."""
    model_dir = str(tmp_path_factory.mktemp("reference"))
    with Trainer(ts.model_fn, ts.config(), model_dir) as trainer:
        result = trainer.fit(data)
        assert result["global_step"] == TOTAL_STEPS
        return model_dir, _values(trainer)


# ---------------------------------------------------------------- UPDATE_OPS
def _bn_dice_graph(with_update_ops):
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 3])
        y = tf.placeholder(tf.float32, [None])
        training = tf.placeholder_with_default(False, [])
        h = dense(x, 4, name="fc")
        h = batch_normalization(h, training=training, momentum=0.9, name="bn")
        h = dice(dense(h, 4, name="fc2"), name="_d", training=training, momentum=0.9)
        logit = tf.squeeze(dense(h, 1, name="out"), -1)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logit))
        if with_update_ops:
            train_op, _ = build_train_op(loss, "sgd", 0.1)
        else:  # the classic TF1 bug: minimize() alone does not run UPDATE_OPS
            train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        var = {v.op.name: v for v in tf.global_variables()}
        moving = {n: var[n] for n in
                  ("bn/moving_mean", "bn/moving_variance", "dice_norm_d/moving_mean", "dice_norm_d/moving_variance")}
        kernel, bias = var["fc/kernel"], var["fc/bias"]
        init = tf.global_variables_initializer()
    return graph, dict(x=x, y=y, training=training, train_op=train_op, moving=moving, kernel=kernel,
                       bias=bias, init=init)


@pytest.mark.parametrize("with_update_ops", [True, False])
def test_moving_statistics_change_only_with_update_ops(with_update_ops, rng):
    graph, t = _bn_dice_graph(with_update_ops)
    x = rng.normal(size=(16, 3)).astype(np.float32) * 2 + 1
    y = (rng.random(16) < 0.5).astype(np.float32)
    with tf.Session(graph=graph) as sess:
        sess.run(t["init"])
        k0, b0 = sess.run([t["kernel"], t["bias"]])
        sess.run(t["train_op"], {t["x"]: x, t["y"]: y, t["training"]: True})
        after_one = sess.run(t["moving"])
        for _ in range(4):
            sess.run(t["train_op"], {t["x"]: x, t["y"]: y, t["training"]: True})
        after_five = sess.run(t["moving"])
    h0 = x @ k0 + b0  # the batch statistics the first step saw (numpy reference)
    if with_update_ops:
        np.testing.assert_allclose(after_one["bn/moving_mean"], 0.1 * h0.mean(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(after_one["bn/moving_variance"], 0.9 + 0.1 * h0.var(0), rtol=1e-5)
        for name, value in after_five.items():
            initial = 0.0 if name.endswith("mean") else 1.0
            assert np.abs(value - initial).max() > 1e-3, name
    else:
        for name, value in after_five.items():
            np.testing.assert_array_equal(value, 0.0 if name.endswith("mean") else 1.0)


@pytest.mark.parametrize("optimizer", ["adam", "adagrad", "ftrl", "sgd"])
def test_each_optimizer_trains_and_counts_steps(optimizer, rng):
    x = rng.normal(size=(64, 3)).astype(np.float32)
    w_true = np.array([2.0, -1.0, 0.5])
    y = (x @ w_true > 0).astype(np.float32)
    with tf.Graph().as_default() as graph:
        xp, yp = tf.placeholder(tf.float32, [None, 3]), tf.placeholder(tf.float32, [None])
        w = tf.get_variable("w", [3, 1], initializer=tf.zeros_initializer())
        logit = tf.squeeze(tf.matmul(xp, w), -1)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=yp, logits=logit))
        train_op, step = build_train_op(loss, optimizer, 0.1)
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            grad = sess.run(tf.gradients(loss, w)[0], {xp: x, yp: y})
            first = sess.run(loss, {xp: x, yp: y})
            sess.run(train_op, {xp: x, yp: y})
            w1 = sess.run(w)
            for _ in range(29):
                sess.run(train_op, {xp: x, yp: y})
            last, n = sess.run([loss, step], {xp: x, yp: y})
    assert n == 30 and last < first
    if optimizer == "sgd":  # one plain gradient step from zero weights
        np.testing.assert_allclose(w1, -0.1 * grad, rtol=1e-6)


def test_unknown_optimizer_and_bad_config():
    with pytest.raises(ValueError, match="unknown `optimizer`"):
        TrainConfig(optimizer="adamw")
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(batch_size=0)


# ---------------------------------------------------------------- data order
def test_batch_order_is_a_function_of_seed_and_step():
    n, bs = 10, 3
    spe = steps_per_epoch(n, bs)
    assert spe == 4
    epoch0 = np.concatenate([batch_indices(n, bs, seed=1, step=s) for s in range(spe)])
    epoch1 = np.concatenate([batch_indices(n, bs, seed=1, step=s) for s in range(spe, 2 * spe)])
    assert sorted(epoch0) == list(range(n)) and sorted(epoch1) == list(range(n))
    assert not np.array_equal(epoch0, epoch1)
    np.testing.assert_array_equal(batch_indices(n, bs, 1, 5), batch_indices(n, bs, 1, 5))
    assert not np.array_equal(np.concatenate([batch_indices(n, bs, seed=2, step=s) for s in range(spe)]), epoch0)
    np.testing.assert_array_equal(batch_indices(n, bs, 1, 1, shuffle=False), [3, 4, 5])


# ---------------------------------------------------------------- fit
def test_tf_data_pipeline_trains_exactly_like_feed_dict(reference, data, tmp_path):
    with Trainer(ts.model_fn, ts.config(use_tf_data=True), str(tmp_path)) as trainer:
        assert trainer.fit(data)["global_step"] == TOTAL_STEPS
        values = _values(trainer)
    assert set(values) == set(reference[1])
    for name, value in reference[1].items():
        np.testing.assert_array_equal(values[name], value, err_msg=name)


def test_tf_data_pipeline_runs_without_autotuning(data):
    # tf.data's autotuning model thread wakes at intervals doubling up to a minute, and the
    # iterator's destruction at the end of fit waited for its next wake-up (3-35 s measured,
    # docs/BENCHMARKS.md). The pipeline has nothing to tune; its options must turn it off.
    from tensorflow.core.framework import dataset_options_pb2

    found = []

    def look(event, info):
        if event == "step" and not found:
            graph = tf.get_default_graph()
            for op in graph.get_operations():
                if op.type == "OptionsDataset":
                    options = dataset_options_pb2.Options()
                    options.ParseFromString(op.get_attr("serialized_options"))
                    found.append(options)
            found.append(None)

    with Trainer(ts.model_fn, ts.config(use_tf_data=True, epochs=1), None) as trainer:
        trainer.fit(data, callback=look)
    options = [o for o in found if o is not None]
    assert len(options) == 1, found
    assert options[0].autotune_options.HasField("enabled") and not options[0].autotune_options.enabled


def test_tf_data_initialises_once_per_fit_and_resumes_mid_epoch_exactly(reference, data, tmp_path, monkeypatch):
    # The iterator covers the fit's global steps, so an epoch's start re-initialises nothing;
    # a run stopped mid-epoch continues from its checkpoint with the very next batch.
    from tf1_recsys.training.pipeline import DatasetBatches

    initialisations = []
    original = DatasetBatches.initialize

    def counting(self, session, start):
        initialisations.append(start)
        return original(self, session, start)

    monkeypatch.setattr(DatasetBatches, "initialize", counting)
    model_dir = str(tmp_path / "tf_data")
    stop_at = TOTAL_STEPS // 2 + 7
    with Trainer(ts.model_fn, ts.config(use_tf_data=True), model_dir) as trainer:
        out = trainer.fit(data, callback=lambda event, info: trainer.request_stop()
                          if event == "step" and info["step"] == stop_at else None)
        assert out["global_step"] == stop_at and initialisations == [0]
    with Trainer(ts.model_fn, ts.config(use_tf_data=True), model_dir) as trainer:
        assert trainer.fit(data)["global_step"] == TOTAL_STEPS
        values = _values(trainer)
    assert initialisations == [0, stop_at]
    for name, value in reference[1].items():
        np.testing.assert_array_equal(values[name], value, err_msg=name)


def test_a_second_fit_reuses_the_graph_and_session_and_matches_an_uninterrupted_run(reference, data, tmp_path,
                                                                                   monkeypatch):
    # The trainer's graph is the training graph, built once: a fit stopped mid-epoch and a second fit on
    # the same Trainer add no op, open no session, and end bit for bit where one uninterrupted fit ends.
    from tensorflow.python.client import session as tf_session

    with Trainer(ts.model_fn, ts.config(), str(tmp_path / "twice")) as trainer:
        stop_at = TOTAL_STEPS // 2 + 7
        first = trainer.fit(data, callback=lambda event, info: trainer.request_stop()
                            if event == "step" and info["step"] == stop_at else None)
        assert first["global_step"] == stop_at and trainer.restored_from.endswith("model.ckpt-%d" % stop_at)
        ops, session = len(trainer.graph.get_operations()), trainer.sess
        opened = []
        original = tf_session.BaseSession.__init__
        monkeypatch.setattr(tf_session.BaseSession, "__init__",
                            lambda self, *a, **k: opened.append(self) or original(self, *a, **k))
        assert trainer.fit(data)["global_step"] == TOTAL_STEPS
        assert opened == [] and trainer.sess is session and len(trainer.graph.get_operations()) == ops
        values = _values(trainer)
    for name, value in reference[1].items():
        np.testing.assert_array_equal(values[name], value, err_msg=name)


def test_fit_writes_checkpoints_and_tensorboard(reference):
    model_dir, _ = reference
    kept = sorted(glob.glob(os.path.join(model_dir, "model.ckpt-*.index")))
    assert [os.path.basename(p) for p in kept] == ["model.ckpt-%d.index" % s for s in (150, 175, 200)]
    tags = set()
    for path in glob.glob(os.path.join(model_dir, "events.out.tfevents.*")):
        for event in tf.train.summary_iterator(path):
            tags.update(v.tag for v in event.summary.value)
    assert {"train/loss", "train/auc/click"} <= tags


def test_resume_restores_step_and_continues(reference, data):
    model_dir, values = reference
    with Trainer(ts.model_fn, ts.config(), model_dir) as trainer:  # finished run: nothing to do
        assert trainer.restored_from.endswith("model.ckpt-%d" % TOTAL_STEPS)
        assert trainer.fit(data)["steps"] == 0
        np.testing.assert_array_equal(_values(trainer)["hidden/kernel"], values["hidden/kernel"])


def test_sigkill_then_resume_matches_uninterrupted_run(reference, data, tmp_path):
    model_dir = str(tmp_path / "killed")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "train_script.py"), model_dir, "--slow-after", "50"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    killed_after = None
    try:
        for line in proc.stdout:
            if line.startswith("CHECKPOINT") and int(line.split()[1]) >= 50:
                proc.send_signal(signal.SIGKILL)
                killed_after = int(line.split()[1])
                break
    finally:
        proc.kill()
        _, stderr = proc.communicate(timeout=60)
    assert killed_after is not None, "the training subprocess never checkpointed:\n" + stderr[-3000:]
    assert proc.returncode == -signal.SIGKILL
    with Trainer(ts.model_fn, ts.config(), model_dir) as trainer:
        resumed_at = trainer.step
        assert killed_after <= resumed_at < TOTAL_STEPS  # killed mid-run, resumed from its last checkpoint
        result = trainer.fit(data)
        assert result["global_step"] == TOTAL_STEPS and result["steps"] == TOTAL_STEPS - resumed_at
        values = _values(trainer)
    for name, value in reference[1].items():
        np.testing.assert_array_equal(values[name], value, err_msg=name)


# ---------------------------------------------------------------- broken checkpoints
def _copy(reference, tmp_path):
    model_dir = str(tmp_path / "copy")
    shutil.copytree(reference[0], model_dir)
    return model_dir, os.path.join(model_dir, "model.ckpt-%d" % TOTAL_STEPS)


def _truncate(path):
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])


def _flip(path, offset=40):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    data[offset] ^= 0xFF
    with open(path, "wb") as f:
        f.write(bytes(data))


@pytest.mark.parametrize("damage, named", [
    ("truncate_data", ".data-00000-of-00001"),
    ("flip_data", ".data-00000-of-00001"),
    ("truncate_index", ".index"),
    ("garbage_state", "checkpoint"),
    ("missing_state", "checkpoint"),
    ("missing_index", ".index"),
])
def test_damaged_checkpoint_is_a_clear_error_never_a_fresh_start(reference, tmp_path, damage, named):
    model_dir, prefix = _copy(reference, tmp_path)
    state = os.path.join(model_dir, "checkpoint")
    if damage == "truncate_data":
        _truncate(prefix + ".data-00000-of-00001")
    elif damage == "flip_data":
        _flip(prefix + ".data-00000-of-00001")
    elif damage == "truncate_index":
        _truncate(prefix + ".index")
    elif damage == "garbage_state":
        with open(state, "w") as f:
            f.write("model_checkpoint_path: {{{ not a checkpoint state")
    elif damage == "missing_state":
        os.remove(state)
    elif damage == "missing_index":
        os.remove(prefix + ".index")
    with pytest.raises(CheckpointError) as info:
        Trainer(ts.model_fn, ts.config(), model_dir)
    message = str(info.value)
    assert os.path.join(model_dir, "") in message or model_dir in message
    assert named in message


def test_renamed_variable_is_reported_by_name(reference, tmp_path):
    model_dir, _ = _copy(reference, tmp_path)

    def renamed():
        with tf.variable_scope("v2"):
            return ts.model_fn()

    with pytest.raises(CheckpointError, match="v2/hidden/kernel"):
        Trainer(renamed, ts.config(), model_dir)


# ---------------------------------------------------------------- predict / evaluate
def _numpy_gauc(labels, scores, groups):
    total, weight, used = 0.0, 0, 0
    for g in np.unique(groups):
        m = groups == g
        if labels[m].min() != labels[m].max():
            total += roc_auc_score(labels[m], scores[m]) * m.sum()
            weight += m.sum()
            used += 1
    return total / weight, used


def test_predict_and_evaluate_against_independent_references(reference, data):
    with Trainer(ts.model_fn, ts.config(eval_batch_size=100), reference[0], eval_group_key="user") as trainer:
        pred = trainer.predict(data)["click"]
        direct = trainer.sess.run(trainer.spec.predictions["click"], trainer.spec.feed(data, training=False))
        np.testing.assert_allclose(pred, direct, rtol=1e-6)
        result = trainer.evaluate(data)
    y = data["click"]
    assert result["auc/click"] == pytest.approx(roc_auc_score(y, pred), abs=1e-9)
    p = np.clip(pred.astype(np.float64), 1e-7, 1 - 1e-7)
    assert result["loss"] == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rel=1e-4)
    expected, used = _numpy_gauc(y, pred, data["user"])
    assert result["gauc/click"] == pytest.approx(expected, abs=1e-9)
    assert result["gauc_groups/click"] == used


def test_evaluate_reports_nan_when_auc_and_gauc_are_undefined(reference, data):
    one_class = dict(data, click=np.zeros_like(data["click"]))
    with Trainer(ts.model_fn, ts.config(), reference[0], eval_group_key="user") as trainer:
        result = trainer.evaluate(one_class)
    assert np.isnan(result["auc/click"]) and np.isnan(result["gauc/click"])
    assert result["gauc_groups/click"] == 0
    assert np.isfinite(result["loss"])


def test_fit_reports_eval_metrics_and_a_quiet_bar(tmp_path, data, capsys):
    cfg = ts.config(epochs=1, progress=None)
    with Trainer(ts.model_fn, cfg, str(tmp_path)) as trainer:
        result = trainer.fit(data, eval_data=data)
    assert {"eval/loss", "eval/auc/click", "global_step", "examples_per_sec"} <= set(result)
    assert "train:" not in capsys.readouterr().err  # stderr is not a terminal: no tqdm bar


def test_missing_input_array_is_named(data):
    with Trainer(ts.model_fn, ts.config(), None) as trainer:
        with pytest.raises(ValueError, match="dense"):
            trainer.fit({"ids": data["ids"], "click": data["click"]})


# ---------------------------------------------------------------- partitioned tables, NaN, stop, time-based saves
def _sharded_model_fn(num_shards):
    """train_script's model with its embedding table split into ``num_shards`` row blocks."""
    from tf1_recsys.features import embedding_table
    from tf1_recsys.spec import ModelSpec

    def model_fn():
        ids = tf.placeholder(tf.int32, [None, ts.FIELDS], name="ids")
        dense_in = tf.placeholder(tf.float32, [None, ts.DENSE], name="dense")
        click = tf.placeholder(tf.float32, [None], name="click")
        training = tf.placeholder_with_default(False, [], name="training")
        table = embedding_table("embedding", ts.NUM_IDS, 4, num_shards=num_shards)
        emb = tf.reshape(tf.nn.embedding_lookup(table, ids, partition_strategy="div"), [-1, ts.FIELDS * 4])
        logit = tf.squeeze(dense(tf.concat([emb, dense_in], 1), 1, name="out"), -1)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=click, logits=logit))
        return ModelSpec(inputs={"ids": ids, "dense": dense_in}, labels={"click": click}, training=training,
                         logits={"click": logit}, predictions={"click": tf.sigmoid(logit)}, loss=loss)

    return model_fn


def _table(trainer):
    """``{checkpoint key: full array}`` of the embedding table and its Adam slots, shards in row order."""
    groups = {}
    for v in trainer.graph.get_collection(tf.GraphKeys.GLOBAL_VARIABLES):
        info = v._get_save_slice_info()
        key = info.full_name if info else v.op.name
        if key.startswith("embedding"):
            groups.setdefault(key, []).append((info.var_offset[0] if info else 0, v))
    return {k: np.concatenate(trainer.sess.run([v for _, v in sorted(parts, key=lambda p: p[0])]), 0)
            for k, parts in groups.items()}


@pytest.mark.parametrize("shards", [1, 2, 3])
def test_partitioned_tables_resume_and_restore_across_shard_counts(data, tmp_path, shards):
    model_dir = str(tmp_path / "sharded")
    cfg = ts.config(epochs=1, optimizer="adam")
    with Trainer(_sharded_model_fn(shards), cfg, model_dir) as trainer:
        trainer.fit(data)
        written = _table(trainer)
        step = trainer.step
    assert sorted(written) == ["embedding", "embedding/Adam", "embedding/Adam_1"]
    assert written["embedding"].shape == (ts.NUM_IDS, 4)
    for other in sorted({1, 2, 3} - {shards}) + [shards]:  # the other shard counts, then a resume
        with Trainer(_sharded_model_fn(other), ts.config(epochs=2, optimizer="adam"), model_dir) as trainer:
            assert trainer.restored_from is not None and trainer.step == step
            restored = _table(trainer)
            for key, value in written.items():
                np.testing.assert_array_equal(restored[key], value, err_msg="%s, %d -> %d shards" % (key, shards, other))
            if other == shards:
                assert trainer.fit(data)["global_step"] == 2 * step


def test_nan_loss_stops_without_saving_and_keeps_the_last_finite_checkpoint(data, tmp_path):
    from tf1_recsys.training import NanLossDuringTrainingError

    model_dir = str(tmp_path / "nan")
    with Trainer(ts.model_fn, ts.config(epochs=3, checkpoint_every=1, learning_rate=1e30, optimizer="sgd"),
                 model_dir) as trainer:
        with pytest.raises(tf.train.NanLossDuringTrainingError) as info:
            trainer.fit(data)
        assert isinstance(info.value, NanLossDuringTrainingError) and info.value.step is not None
        assert "not finite" in str(info.value) or "loss is" in str(info.value)
    reader = tf.train.load_checkpoint(model_dir)
    saved_step = int(reader.get_tensor("global_step"))
    assert saved_step < info.value.step
    for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if np.issubdtype(np.asarray(value).dtype, np.floating):
            assert np.all(np.isfinite(value)), name


def test_request_stop_saves_and_returns(data, tmp_path):
    model_dir = str(tmp_path / "stop")

    with Trainer(ts.model_fn, ts.config(epochs=3, checkpoint_every=1000, checkpoint_secs=None), model_dir) as trainer:
        def callback(event, info):
            if event == "step" and info["step"] == 7:
                trainer.request_stop("test")

        result = trainer.fit(data, callback=callback)
    assert result["stopped"] == "test" and result["global_step"] == 7
    assert tf.train.latest_checkpoint(model_dir).endswith("model.ckpt-7")


def test_keyboard_interrupt_saves_the_current_step_and_a_new_trainer_resumes(data, tmp_path):
    model_dir = str(tmp_path / "interrupted")

    def interrupt(event, info):
        if event == "step" and info["step"] == 5:
            raise KeyboardInterrupt

    with Trainer(ts.model_fn, ts.config(checkpoint_every=1000, checkpoint_secs=None), model_dir) as trainer:
        with pytest.raises(KeyboardInterrupt):
            trainer.fit(data, callback=interrupt)
        assert trainer.step == 5 and trainer.restored_from.endswith("model.ckpt-5")
    with Trainer(ts.model_fn, ts.config(), model_dir) as trainer:
        assert trainer.step == 5
        assert trainer.fit(data)["global_step"] == TOTAL_STEPS


def test_fit_trains_in_this_process_whatever_tf_config_says(reference, data, monkeypatch):
    # A Trainer is one process: a TF_CONFIG left in the environment (say, by a cluster
    # launcher) must not turn its fit into a cluster task waiting for parameter servers.
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"chief": ["127.0.0.1:1"], "ps": ["127.0.0.1:2"]}, '
                                    '"task": {"type": "chief", "index": 0}}')
    with Trainer(ts.model_fn, ts.config()) as trainer:
        seen = []
        assert trainer.fit(data, callback=lambda event, info: seen.append(trainer.sess) if event == "step"
                           else None)["global_step"] == TOTAL_STEPS
        assert seen and all(s is None for s in seen)  # the trainer's session is closed while fit holds the state
        values = _values(trainer)
    for name, value in reference[1].items():
        np.testing.assert_array_equal(values[name], value, err_msg=name)


def test_a_callback_predicts_and_evaluates_in_the_training_session(data, tmp_path):
    # While fit runs the trainer's own session is closed; predict and evaluate from a callback
    # see the training session's variables: those the checkpoint of that step holds.
    seen = {}
    with Trainer(ts.model_fn, ts.config(epochs=3), str(tmp_path / "mid")) as trainer:
        def callback(event, info):
            if event == "epoch" and info["epoch"] == 1:
                seen["step"] = trainer.step
                seen["predict"] = trainer.predict(data)["click"]
                seen["evaluate"] = trainer.evaluate(data)
                trainer.request_stop("seen")
                with pytest.raises(RuntimeError, match="Trainer.freeze.*closed while fit"):
                    trainer.freeze()

        assert trainer.fit(data, eval_data=data, callback=callback)["global_step"] == seen["step"]
        np.testing.assert_array_equal(trainer.predict(data)["click"], seen["predict"])
        after = trainer.evaluate(data)
    assert seen["step"] == steps_per_epoch(ts.N_EXAMPLES, 32)
    assert after == seen["evaluate"]
    assert after["auc/click"] == pytest.approx(roc_auc_score(data["click"], seen["predict"]), abs=1e-12)


def test_checkpoints_are_also_saved_by_time(data, tmp_path):
    saves = []
    cfg = ts.config(epochs=1, checkpoint_every=10 ** 6, checkpoint_secs=1e-6)
    with Trainer(ts.model_fn, cfg, str(tmp_path / "timed")) as trainer:
        trainer.fit(data, callback=lambda event, info: saves.append(info["step"]) if event == "checkpoint" else None)
    # TensorFlow's CheckpointSaverHook also saves the state the fit starts from (step 0).
    assert saves == list(range(0, steps_per_epoch(ts.N_EXAMPLES, 32) + 1))
    with pytest.raises(ValueError, match="checkpoint_secs"):
        TrainConfig(checkpoint_secs=0)


def test_out_of_range_ids_and_float_ids_are_one_clear_error(data, tmp_path):
    with Trainer(ts.model_fn, ts.config(epochs=1)) as trainer:
        bad = dict(data, ids=data["ids"].copy())
        bad["ids"][3, 1] = ts.NUM_IDS + 7
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            trainer.predict(bad)
        message = str(info.value.message)
        assert message.startswith("Trainer.predict: TensorFlow rejected the batch: ") and "\n" not in message
        assert str(ts.NUM_IDS + 7) in message
        with pytest.raises(ValueError, match=r"input 'ids' must hold integer ids \(int32\); got a float64 array"):
            trainer.fit(dict(data, ids=data["ids"] + 0.7))
