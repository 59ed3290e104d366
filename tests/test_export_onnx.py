"""ONNX export (tf1_recsys.export.to_onnx): golden graphs, reference models, refusals, CLI, golden kit.

The references are independent of the converter: the golden outputs stored under graphs/
and the TensorFlow session of the unfrozen model (``Trainer.predict``). Skipped, with the
reason, when the ``onnx`` extra is not installed; CI sets TF1_RECSYS_REQUIRE_ONNX=1 so
that a missing package fails there instead.
"""
import contextlib
import json
import os
import shutil

import numpy as np
import pytest

import golden_models
from tf1_recsys import export, testing
from tf1_recsys._tf import tf
from tf1_recsys.export_onnx import OnnxUnavailableError, onnx_modules

try:
    tf2onnx, onnx, ort = onnx_modules()
except OnnxUnavailableError as e:
    if os.environ.get("TF1_RECSYS_REQUIRE_ONNX") == "1":
        raise
    pytest.skip("the onnx extra is not installed: %s" % e, allow_module_level=True)

from test_cli import assert_one_line_error, run  # noqa: E402  (after the skip: imports the CLI)
from tf1_recsys.data import generate, take  # noqa: E402
from tf1_recsys.export_onnx import OnnxConversionError, OnnxMismatchError, onnx_session, run_onnx  # noqa: E402
from tf1_recsys.models import build_model  # noqa: E402
from tf1_recsys.models.presets import preset  # noqa: E402
from tf1_recsys.training import TrainConfig, Trainer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GRAPHS = os.path.join(os.path.dirname(HERE), "graphs")


def _golden(name):
    stored = testing.load_golden(os.path.join(GRAPHS, name))
    inputs = {e["key"]: stored.arrays["input/" + e["key"]] for e in stored.manifest["inputs"]}
    return stored, inputs


# ---------------------------------------------------------------- golden graphs
@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """``converted(name)``: the golden graph ``name`` through ``to_onnx`` (checked, written), once per module."""
    folder = tmp_path_factory.mktemp("onnx")
    done = {}

    def convert(name):
        if name not in done:
            _, inputs = _golden(name)
            path = str(folder / (name + ".onnx"))
            done[name] = export.to_onnx(os.path.join(GRAPHS, name, "graph.pb"), path, check_inputs=inputs)
        return done[name]

    return convert


@pytest.mark.parametrize("name", list(golden_models.GRAPHS))
def test_golden_graph_converts_and_reproduces_its_golden_outputs(name, converted):
    stored, inputs = _golden(name)
    result = converted(name)
    path = result.path
    assert path.endswith(name + ".onnx") and os.path.isfile(path)
    assert max(result.differences.values()) <= 1e-5
    model = onnx.load(path)
    onnx.checker.check_model(model)
    # names of the manifest, a symbolic batch dimension on every input
    assert [i.name for i in model.graph.input] == [e["name"] for e in stored.manifest["inputs"]]
    assert all(i.type.tensor_type.shape.dim[0].dim_param == "batch" for i in model.graph.input)
    session = onnx_session(path)
    outputs = {e["key"]: e["name"] for e in stored.manifest["outputs"]}
    feeds = {e["name"]: inputs[e["key"]] for e in stored.manifest["inputs"]}
    got = run_onnx(session, feeds, outputs)
    for key in outputs:
        np.testing.assert_allclose(got[key], stored.arrays["output/" + key], rtol=1e-5, atol=1e-6, err_msg=key)
    # one row alone: the batch dimension really is dynamic
    one = run_onnx(session, {k: v[:1] for k, v in feeds.items()}, outputs)
    for key in outputs:
        np.testing.assert_allclose(one[key], stored.arrays["output/" + key][:1], rtol=1e-5, atol=1e-6)


def test_golden_kit_checks_the_onnx_artifact_and_refuses_a_perturbed_one(tmp_path, converted):
    directory = str(tmp_path / "fm")
    shutil.copytree(os.path.join(GRAPHS, "fm"), directory)
    model_fn = golden_models.GRAPHS["fm"].model_fn
    testing.assert_golden(directory, model_fn, runtimes=("tensorflow", "onnxruntime"))  # graph.pb converted

    onnx_path = os.path.join(directory, "graph.onnx")
    shutil.copyfile(converted("fm").path, onnx_path)  # what to_onnx wrote for this graph.pb
    testing.assert_golden(directory, model_fn, runtimes=("tensorflow", "onnxruntime"))  # the shipped file
    model = onnx.load(onnx_path)
    _perturb_largest_initializer(model, 0.5)
    onnx.save(model, onnx_path)
    with pytest.raises(testing.GoldenMismatch, match=r"onnxruntime: graph\.onnx output 'probabilities' differs"):
        testing.assert_golden(directory, model_fn, runtimes=("tensorflow", "onnxruntime"))
    testing.assert_golden(directory, model_fn)  # TensorFlow alone does not read graph.onnx
    with open(onnx_path, "wb") as f:
        f.write(b"not a model")
    with pytest.raises(testing.GoldenMismatch, match="onnxruntime: the ONNX model does not run: to_onnx: "
                                                     "onnxruntime .* cannot load the ONNX model"):
        testing.assert_golden(directory, model_fn, runtimes=("tensorflow", "onnxruntime"))
    with pytest.raises(ValueError, match="runtimes"):
        testing.golden_problems(directory, model_fn, runtimes=("onnxruntime",))


# ---------------------------------------------------------------- refusals
def _perturb_largest_initializer(model, delta):
    from onnx import numpy_helper

    floats = [t for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT]
    target = max(floats, key=lambda t: int(np.prod(t.dims)))
    value = numpy_helper.to_array(target).copy()
    value += delta  # every entry: whichever rows the check inputs read
    target.CopyFrom(numpy_helper.from_array(value, target.name))
    return target.name


def test_a_perturbed_initializer_is_refused_naming_the_output_and_the_difference(tmp_path, monkeypatch, converted):
    from tf1_recsys import export_onnx

    fm = converted("fm").model  # the converter's model of this graph.pb (converting again gives the same)
    perturbed = []

    def convert_then_perturb(*args, **kwargs):
        model = onnx.ModelProto()
        model.CopyFrom(fm)
        perturbed.append(_perturb_largest_initializer(model, 1e-3))
        return model

    monkeypatch.setattr(export_onnx, "convert_graph_def", convert_then_perturb)
    _, inputs = _golden("fm")
    path = str(tmp_path / "fm.onnx")
    with pytest.raises(OnnxMismatchError) as info:
        export.to_onnx(os.path.join(GRAPHS, "fm", "graph.pb"), path, check_inputs=inputs)
    message = str(info.value)
    assert perturbed and "\n" not in message
    assert "output 'probabilities' (probabilities:0)" in message and "> tolerance 1e-05" in message
    assert "nothing written" in message and not os.path.exists(path)
    # the same perturbation passes a tolerance above the difference it makes, which is printed
    difference = float(message.split("differ by ")[1].split(" ")[0])
    assert difference > 1e-5
    result = export.to_onnx(os.path.join(GRAPHS, "fm", "graph.pb"), check_inputs=inputs,
                            tolerance=10 * difference)
    assert result.path is None and max(result.differences.values()) > 1e-5


def test_an_op_without_conversion_is_one_error_naming_the_op_and_the_node(tmp_path):
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        special = tf.math.betainc(x * 0 + 2.0, x * 0 + 3.0, tf.sigmoid(x), name="tail/special")
        tf.identity(special + 1.0, name="y")
    path = str(tmp_path / "y.onnx")
    with pytest.raises(OnnxConversionError) as info:
        export.to_onnx(graph.as_graph_def(), path, inputs=["x:0"], outputs=["y:0"])
    message = str(info.value)
    assert "\n" not in message
    assert "TensorFlow op Betainc (node 'tail/special')" in message and tf2onnx.__version__ in message
    assert not os.path.exists(path)


def test_bad_arguments(tmp_path):
    pb = os.path.join(GRAPHS, "fm", "graph.pb")
    with pytest.raises(export.GraphDefError, match="nope:0"):
        export.to_onnx(pb, inputs=["nope"], outputs=["logits:0"])
    with pytest.raises(ValueError, match="check_inputs lacks inputs"):
        export.to_onnx(pb, check_inputs={"feat_index": np.zeros([2, 10], np.int32)})
    existing = tmp_path / "x.onnx"
    existing.write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        export.to_onnx(pb, str(existing))
    assert existing.read_text() == "mine"
    with pytest.raises(ValueError, match="no input and output names"):
        export.to_onnx(export.read_graph_def(pb))


# ---------------------------------------------------------------- reference models, three sources
@pytest.fixture(scope="module")
def small():
    return generate(num_impressions=3000, seed=7)


def _checkpointed(name, small, model_dir):
    """A Trainer of the reference model at its initial values (random embeddings), checkpointed."""
    hparams, settings = preset(name, "synthetic")
    model_fn = lambda: build_model(name, small.schema, **hparams)  # noqa: E731
    trainer = Trainer(model_fn, TrainConfig(progress=False, **settings), model_dir=model_dir)
    trainer.save()
    return trainer, model_fn


@contextlib.contextmanager
def _loops_as_tf1_built_them():
    """Control flow v1 (as under ``disable_v2_behavior()``) while the model is built and converted.

    tf2onnx cannot convert ``dynamic_rnn``'s v2 loop: lowered, it keeps TensorList ops; kept
    functional, its ONNX Loop returns max(sequence_length) steps where TensorFlow returns all T.
    """
    was_v2 = tf.control_flow_v2_enabled()
    tf.disable_control_flow_v2()
    try:
        yield
    finally:
        if was_v2:
            tf.enable_control_flow_v2()


@pytest.mark.parametrize("name,source", [("din", "trainer"), ("fm", "checkpoint"), ("mmoe", "saved_model")])
def test_reference_model_converts_and_matches_the_session(name, source, small, tmp_path):
    trainer, model_fn = _checkpointed(name, small, str(tmp_path / "model"))
    with trainer:
        rows = take(small.test, np.arange(200))
        expected = trainer.predict(rows)
        inputs, outputs = trainer.serving_names()
        check = {k: rows[k] for k in inputs}
        if source == "trainer":
            result = export.to_onnx(trainer, check_inputs=check)
        elif source == "checkpoint":
            result = export.to_onnx(str(tmp_path / "model"), model_fn=model_fn, check_inputs=check)
        else:
            trainer.export_saved_model(str(tmp_path / "saved"))
            result = export.to_onnx(str(tmp_path / "saved"), check_inputs=check)
    assert result.inputs == inputs and result.outputs == outputs
    got = run_onnx(onnx_session(result.model), {inputs[k]: v for k, v in check.items()}, outputs)
    for task in outputs:
        np.testing.assert_allclose(np.reshape(got[task], [-1]), expected[task], rtol=1e-5, atol=1e-6)


def test_dien_checkpoint_converts_and_matches_the_session(small, tmp_path):
    # The initial values saved from an inference graph (no training op: dien's loop gradients are
    # the costly part of a Trainer); the reference is that graph's session.
    hparams, _ = preset("dien", "synthetic")
    model_fn = lambda: build_model("dien", small.schema, **hparams)  # noqa: E731
    rows = take(small.test, np.arange(200))
    model_dir = str(tmp_path / "model")
    with _loops_as_tf1_built_them():
        with tf.Graph().as_default():
            spec = model_fn()
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                tf.train.Saver().save(sess, os.path.join(model_dir, "model.ckpt"))
                expected = sess.run(spec.predictions, {p: rows[k] for k, p in spec.inputs.items()})
        check = {k: rows[k] for k in spec.inputs}
        result = export.to_onnx(model_dir, model_fn=model_fn, check_inputs=check)
    assert sorted(result.inputs) == sorted(spec.inputs) and sorted(result.outputs) == sorted(spec.predictions)
    got = run_onnx(onnx_session(result.model), {result.inputs[k]: v for k, v in check.items()}, result.outputs)
    for task in result.outputs:
        np.testing.assert_allclose(np.reshape(got[task], [-1]), expected[task], rtol=1e-5, atol=1e-6)


def test_estimator_checkpoint_converts_and_matches_a_numpy_forward(tmp_path):
    import estimator_user_model as user
    from tf1_recsys import estimator as tf_estimator

    est = tf_estimator.Estimator(user.model_fn, model_dir=str(tmp_path / "model"), params={"learning_rate": 0.1},
                                 config=tf_estimator.RunConfig(log_step_count_steps=None, tf_random_seed=3))
    est.train(user.train_input_fn, max_steps=3)
    receiver_fn = tf_estimator.export.build_raw_serving_input_receiver_fn(
        {"x": tf.TensorSpec([None, user.N_DENSE], tf.float32), "item": tf.TensorSpec([None], tf.int64)})
    features, _ = user.make_data(n=32)
    result = export.to_onnx(est, serving_input_receiver_fn=receiver_fn, check_inputs=features)
    assert sorted(result.inputs) == ["item", "x"] and sorted(result.outputs) == ["logits", "probabilities"]
    got = run_onnx(onnx_session(result.model), {result.inputs[k]: v for k, v in features.items()}, result.outputs)
    logits, probabilities = user.numpy_forward(est.get_variable_value, features)  # partitioned table, 'mod'
    np.testing.assert_allclose(got["logits"], logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got["probabilities"], probabilities, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="serving_input_receiver_fn"):
        export.to_onnx(est)


# ---------------------------------------------------------------- the command
def test_freeze_onnx_writes_beside_the_pb_and_the_manifest_records_both(tmp_path, capsys):
    model_dir = str(tmp_path / "fm")
    rc, _, err = run(capsys, "train", "--model", "fm", "--data", "synthetic", "--out", model_dir, "--epochs", "1",
                     "--rows", "3000", "--no-progress")
    assert rc == 0, err
    rc, text, err = run(capsys, "freeze", "--model-dir", model_dir, "--onnx", "--no-progress")
    assert rc == 0, err
    assert "onnxruntime matches the session" in text and "-> match" in text
    serving = json.load(open(os.path.join(model_dir, "frozen.serving.json")))
    assert serving["graph"] == "frozen.pb" and serving["onnx"]["file"] == "frozen.onnx"
    assert serving["onnx"]["opset"] == 17 and serving["onnx"]["max_difference"] <= 1e-5
    assert serving["onnx"]["onnxruntime"] == ort.__version__
    # the .onnx computes what the .pb computes, fed by the manifest's names
    data = generate(num_impressions=300, seed=3).test
    feeds = {name: data[key] for key, name in serving["inputs"].items()}
    frozen = export.run_frozen(os.path.join(model_dir, "frozen.pb"), feeds, serving["outputs"])
    got = run_onnx(onnx_session(os.path.join(model_dir, "frozen.onnx")), feeds, serving["outputs"])
    for task in serving["outputs"]:
        np.testing.assert_allclose(got[task], frozen[task], rtol=1e-5, atol=1e-6)
    # recorded as ours: --overwrite of the folder removes it; a second freeze replaces it
    assert "frozen.onnx" in json.load(open(os.path.join(model_dir, ".tf1_recsys_output")))["files"]
    rc, _, err = run(capsys, "freeze", "--model-dir", model_dir, "--onnx", "--no-check")
    assert rc == 0, err
    # a file of the user's is never replaced without --overwrite
    mine = str(tmp_path / "mine.onnx")
    open(mine, "w").write("the user's")
    rc, _, err = run(capsys, "freeze", "--model-dir", model_dir, "--onnx", "--no-check",
                     "--output", str(tmp_path / "mine.pb"))
    assert_one_line_error(rc, err, mine, "--overwrite")
    assert open(mine).read() == "the user's" and not os.path.exists(str(tmp_path / "mine.pb"))
