"""tf1_recsys.testing on a model written here: manifests, checkpoint reports, golden graphs, scaffolding.

Each check is shown to pass on the model as it is and to fail, with its specific
message, on the fault it exists for: a renamed variable, a changed shape, a perturbed
output, a checkpoint missing a variable. Verdicts are cross-checked against
TensorFlow's own ``Saver.restore`` and outputs against a numpy re-implementation.
The pytest plugin and the docs' example run in subprocesses (their own pytest).
"""
import json
import os
import re
import runpy
import subprocess
import sys

import numpy as np
import pytest

from tf1_recsys import testing
from tf1_recsys._tf import tf
from tf1_recsys.testing import golden_graph

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N_IDS, EMBED, DENSE = 20, 2, 3


def make_model_fn(scope="embedding", hidden=4, partitions=None, extra=False, scale=1.0, table_dtype=tf.float32):
    """A two-layer click model: embedding [20, 2] + 3 dense features -> relu(4) -> logit [B].

    The arguments introduce the faults the checks exist for: another scope name (a
    rename), another hidden size (reshaped kernels), an extra variable, a scaled logit
    (a perturbed output), a partitioned or re-typed embedding table.
    """
    def model_fn():
        ids = tf.placeholder(tf.int32, [None], name="ids")
        dense = tf.placeholder(tf.float32, [None, DENSE], name="dense")
        training = tf.placeholder_with_default(False, [], name="training")
        partitioner = tf.fixed_size_partitioner(partitions) if partitions else None
        with tf.variable_scope(scope):
            table = tf.get_variable("table", [N_IDS, EMBED], dtype=table_dtype, partitioner=partitioner)
        e = tf.cast(tf.nn.embedding_lookup(table, ids), tf.float32)  # [B, 2]
        h = tf.concat([e, dense], axis=1)  # [B, 5]
        with tf.variable_scope("tower"):
            w = tf.get_variable("w", [EMBED + DENSE, hidden])
            b = tf.get_variable("b", [hidden], initializer=tf.zeros_initializer())
            out = tf.get_variable("out", [hidden, 1])
            if extra:
                h = h * tf.get_variable("gate", [EMBED + DENSE])
        h = tf.nn.relu(tf.matmul(h, w) + b)  # [B, hidden]
        h = tf.where(training, tf.nn.dropout(h, rate=0.5), h)
        logit = tf.identity(scale * tf.squeeze(tf.matmul(h, out), -1), name="logit")  # [B]
        return {"inputs": {"ids": ids, "dense": dense}, "outputs": {"logit": logit,
                                                                  "prob": tf.sigmoid(logit, name="prob")},
                "training": training}
    return model_fn


def numpy_model(values, ids, dense):
    """The same model in numpy, inference mode: (logit, prob)."""
    h = np.concatenate([values["embedding/table"][ids], dense], axis=1)
    h = np.maximum(h @ values["tower/w"] + values["tower/b"], 0.0)
    logit = (h @ values["tower/out"])[:, 0]
    return logit, 1.0 / (1.0 + np.exp(-logit))


def golden_inputs():
    rng = np.random.default_rng(3)
    return {"ids": rng.integers(0, N_IDS, size=5).astype(np.int32),
            "dense": rng.normal(size=(5, DENSE)).astype(np.float32)}


def save_checkpoint(model_fn, prefix, with_optimizer=False):
    """Trains nothing: initialises ``model_fn``'s variables and saves them with TensorFlow's Saver."""
    with tf.Graph().as_default():
        model = model_fn()
        if with_optimizer:
            loss = tf.reduce_mean(model["outputs"]["logit"])
            tf.train.AdamOptimizer(0.1).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            values = {v.op.name: sess.run(v) for v in tf.global_variables()}
            return tf.train.Saver().save(sess, prefix), values


def saver_restore(model_fn, prefix):
    """TensorFlow's own verdict: ``Saver().restore`` of ``model_fn``'s variables.

    Returns the restored values' shapes (dict name -> shape), or the error class raised.
    """
    with tf.Graph().as_default():
        model_fn()
        with tf.Session() as sess:
            try:
                tf.train.Saver().restore(sess, prefix)
            except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as e:
                return type(e)
            return {v.op.name: list(sess.run(v).shape) for v in tf.global_variables()}


def saver_restores(model_fn, prefix):
    return isinstance(saver_restore(model_fn, prefix), dict)


# ------------------------------------------------------------------- variable manifests
def test_manifest_lists_every_variable_and_the_model_matches_it(tmp_path):
    path = str(tmp_path / "variables.json")
    written = testing.write_manifest(path, {"click": make_model_fn()})
    expected = [("embedding/table", [20, 2], "float32", True), ("tower/w", [5, 4], "float32", True),
                ("tower/b", [4], "float32", True), ("tower/out", [4, 1], "float32", True)]
    as_tuples = [(e["name"], e["shape"], e["dtype"], e["trainable"]) for e in written["click"]]
    assert as_tuples == expected
    stored = json.load(open(path))
    assert [(e["name"], e["shape"], e["dtype"], e["trainable"]) for e in stored["click"]] == expected
    assert len(open(path).read().splitlines()) == 2 + 2 + len(expected)  # one variable per line
    testing.check_manifest(make_model_fn(), path)  # one model in the file: no key needed
    testing.check_manifest(make_model_fn(), path, key="click")


def test_manifest_names_a_renamed_variable_and_says_checkpoints_break(tmp_path):
    path = str(tmp_path / "variables.json")
    testing.write_manifest(path, {"click": make_model_fn()})
    with pytest.raises(testing.ManifestMismatch) as info:
        testing.check_manifest(make_model_fn(scope="embeddings"), path, key="click")
    message = str(info.value)
    assert "old checkpoints will not restore into this model" in message
    assert "renamed (best guess): embedding/table -> embeddings/table [20, 2] float32" in message
    assert "removed:" not in message and "added:" not in message


def test_manifest_names_reshaped_added_and_removed_variables(tmp_path):
    path = str(tmp_path / "variables.json")
    testing.write_manifest(path, {"click": make_model_fn()})
    with pytest.raises(testing.ManifestMismatch) as info:
        testing.check_manifest(make_model_fn(hidden=6), path)
    lines = str(info.value).splitlines()
    assert "  reshaped: tower/w [5, 4] -> [5, 6]" in lines
    assert "  reshaped: tower/b [4] -> [6]" in lines
    assert "  reshaped: tower/out [4, 1] -> [6, 1]" in lines
    assert not any("embedding/table" in line for line in lines)
    with pytest.raises(testing.ManifestMismatch, match=r"added: tower/gate \[5\] float32"):
        testing.check_manifest(make_model_fn(extra=True), path)
    testing.write_manifest(path, {"click": make_model_fn(extra=True)}, force=True)
    with pytest.raises(testing.ManifestMismatch, match=r"removed: tower/gate \[5\] float32"):
        testing.check_manifest(make_model_fn(), path)


def test_manifest_is_rewritten_only_explicitly_and_reads_the_compact_rows(tmp_path):
    path = str(tmp_path / "variables.json")
    testing.write_manifest(path, {"click": make_model_fn()})
    with pytest.raises(FileExistsError, match="force=True"):
        testing.write_manifest(path, {"click": make_model_fn(hidden=6)})
    with pytest.raises(TypeError, match="`model_fns` must be a dict model key -> model_fn"):
        testing.write_manifest(str(tmp_path / "other.json"), make_model_fn())
    testing.check_manifest(make_model_fn(), path)  # unchanged by the refused write
    legacy = str(tmp_path / "legacy.json")  # [name, shape, trainable]: no dtypes recorded
    with open(legacy, "w") as f:
        json.dump({"click": [["embedding/table", [20, 2], True], ["tower/w", [5, 4], True],
                             ["tower/b", [4], True], ["tower/out", [4, 1], True]]}, f)
    testing.check_manifest(make_model_fn(table_dtype=tf.float64), legacy)  # dtype not compared
    with pytest.raises(testing.ManifestMismatch, match=r"reshaped: tower/w \[5, 4\] -> \[5, 6\]"):
        testing.check_manifest(make_model_fn(hidden=6), legacy)
    with pytest.raises(KeyError, match="has no model 'other'"):
        testing.check_manifest(make_model_fn(), path, key="other")


def test_manifest_reports_a_dtype_change_and_a_trainability_change():
    old = [{"name": "a", "shape": [2], "dtype": "float32", "trainable": True},
           {"name": "b", "shape": [3], "dtype": "float32", "trainable": True}]
    new = [{"name": "a", "shape": [2], "dtype": "float64", "trainable": True},
           {"name": "b", "shape": [3], "dtype": "float32", "trainable": False}]
    diff = testing.diff_entries(old, new)
    assert diff.lines() == ["dtype changed: a float32 -> float64", "trainable changed: b True -> False"]
    assert diff.breaks_checkpoints
    assert not testing.diff_entries(old, old)
    only_flag = testing.diff_entries(old[1:], new[1:])
    assert only_flag and not only_flag.breaks_checkpoints


def test_rename_guess_needs_the_same_shape_and_a_similar_name():
    old = [{"name": "tower/w", "shape": [5, 4], "dtype": "float32", "trainable": True}]
    other_shape = [{"name": "tower_v2/w", "shape": [5, 3], "dtype": "float32", "trainable": True}]
    unrelated = [{"name": "qq", "shape": [5, 4], "dtype": "float32", "trainable": True}]
    assert [e["name"] for e in testing.diff_entries(old, other_shape).added] == ["tower_v2/w"]
    assert not testing.diff_entries(old, other_shape).renamed
    assert not testing.diff_entries(old, unrelated).renamed
    renamed = testing.diff_entries(old, [dict(old[0], name="tower_v2/w")]).renamed
    assert [(r.old, r.new) for r in renamed] == [("tower/w", "tower_v2/w")]


# ------------------------------------------------------------------- checkpoint reports
def test_checkpoint_report_on_the_same_model_restores_everything(tmp_path):
    prefix, _ = save_checkpoint(make_model_fn(), str(tmp_path / "model.ckpt"))
    report = testing.assert_checkpoint_restores(prefix, make_model_fn())
    assert report.restored == ["embedding/table", "tower/w", "tower/b", "tower/out"]
    assert report.missing == report.unexpected == report.shape_mismatch == report.dtype_mismatch == []
    assert saver_restores(make_model_fn(), prefix)
    assert testing.checkpoint_report(str(tmp_path), make_model_fn()).checkpoint == prefix  # directory: latest


def test_checkpoint_missing_a_variable_is_reported_and_asserted(tmp_path):
    prefix, _ = save_checkpoint(make_model_fn(), str(tmp_path / "model.ckpt"))
    report = testing.checkpoint_report(prefix, make_model_fn(extra=True))
    assert report.missing == ["tower/gate"] and not report.restores
    assert report.restored == ["embedding/table", "tower/w", "tower/b", "tower/out"]
    assert not saver_restores(make_model_fn(extra=True), prefix)  # TensorFlow agrees
    with pytest.raises(testing.CheckpointMismatch) as info:
        testing.assert_checkpoint_restores(prefix, make_model_fn(extra=True))
    message = str(info.value)
    assert "4 of 5 model variables restore" in message
    assert "  missing from the checkpoint: tower/gate" in message.splitlines()


def test_checkpoint_report_names_shape_and_dtype_mismatches_and_renames(tmp_path):
    prefix, _ = save_checkpoint(make_model_fn(), str(tmp_path / "model.ckpt"))
    reshaped = testing.checkpoint_report(prefix, make_model_fn(hidden=6))
    assert [tuple(m) for m in reshaped.shape_mismatch] == [
        ("tower/w", [5, 6], [5, 4]), ("tower/b", [6], [4]), ("tower/out", [6, 1], [4, 1])]
    assert "  shape differs: tower/w: model [5, 6], checkpoint [5, 4]" in reshaped.text().splitlines()
    # TensorFlow's Saver does not refuse this: it silently loads the [5, 4] value into the
    # variable declared [5, 6] (resource variables), and the model fails later, or not at all.
    assert saver_restore(make_model_fn(hidden=6), prefix)["tower/w"] == [5, 4]
    with pytest.raises(testing.CheckpointMismatch,
                       match=r"shape differs: tower/w: model \[5, 6\], checkpoint \[5, 4\]"):
        testing.assert_checkpoint_restores(prefix, make_model_fn(hidden=6))
    retyped = testing.checkpoint_report(prefix, make_model_fn(table_dtype=tf.float64))
    assert [tuple(m) for m in retyped.dtype_mismatch] == [("embedding/table", "float64", "float32")]
    assert not saver_restores(make_model_fn(table_dtype=tf.float64), prefix)
    renamed = testing.checkpoint_report(prefix, make_model_fn(scope="embeddings"))
    assert renamed.missing == ["embeddings/table"] and renamed.unexpected == ["embedding/table"]
    assert renamed.renamed == [("embedding/table", "embeddings/table")]
    assert "  missing from the checkpoint: embeddings/table (renamed from embedding/table?)" in (
        renamed.text().splitlines())


def test_optimizer_slots_are_unexpected_but_allowed_unless_asked(tmp_path):
    prefix, _ = save_checkpoint(make_model_fn(), str(tmp_path / "model.ckpt"), with_optimizer=True)
    report = testing.assert_checkpoint_restores(prefix, make_model_fn())
    assert "tower/w/Adam" in report.unexpected and "beta1_power" in report.unexpected
    assert saver_restores(make_model_fn(), prefix)
    with pytest.raises(testing.CheckpointMismatch,
                       match="unexpected .in the checkpoint, not in the model.: beta1_power"):
        testing.assert_checkpoint_restores(prefix, make_model_fn(), allow_unexpected=False)


def test_partitioned_variables_are_matched_by_full_name_and_full_shape(tmp_path):
    prefix, values = save_checkpoint(make_model_fn(partitions=2), str(tmp_path / "model.ckpt"))
    assert sorted(dict(tf.train.list_variables(prefix))) == ["embedding/table", "tower/b", "tower/out", "tower/w"]
    for partitions in (None, 2, 4):  # the Saver re-slices: any partitioning restores
        report = testing.assert_checkpoint_restores(prefix, make_model_fn(partitions=partitions))
        assert report.restored[0] == "embedding/table" and report.unexpected == []
        assert saver_restores(make_model_fn(partitions=partitions), prefix)
    manifest = testing.manifest_of(make_model_fn(partitions=2))
    assert [(e["name"], e["shape"]) for e in manifest[:2]] == [
        ("embedding/table/part_0", [10, 2]), ("embedding/table/part_1", [10, 2])]
    # A partitioned model against an unpartitioned checkpoint with another full shape.
    small = str(tmp_path / "small.ckpt")
    with tf.Graph().as_default():
        tf.get_variable("embedding/table", [N_IDS + 1, EMBED])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            tf.train.Saver().save(sess, small)
    report = testing.checkpoint_report(small, make_model_fn(partitions=2))
    assert [tuple(m) for m in report.shape_mismatch] == [("embedding/table", [20, 2], [21, 2])]
    assert report.missing == ["tower/w", "tower/b", "tower/out"]


def test_checkpoint_report_names_a_missing_checkpoint(tmp_path):
    from tf1_recsys.training.checkpoint import CheckpointError

    with pytest.raises(CheckpointError, match="model.ckpt-9.index does not exist"):
        testing.checkpoint_report(str(tmp_path / "model.ckpt-9"), make_model_fn())


# ------------------------------------------------------------------- golden graphs
def test_golden_graph_stores_the_numpy_outputs_and_passes(tmp_path):
    directory = testing.write_golden(str(tmp_path / "click"), make_model_fn(), golden_inputs(), seed=5)
    stored = testing.load_golden(directory)
    with tf.Graph().as_default():
        variables = testing.build_model(make_model_fn()).variables
        values = testing.variable_values(variables, 5)
    logit, prob = numpy_model(values, golden_inputs()["ids"], golden_inputs()["dense"])
    np.testing.assert_allclose(stored.arrays["output/logit"], logit, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(stored.arrays["output/prob"], prob, rtol=1e-5, atol=1e-6)
    assert stored.manifest["name"] == "click" and stored.manifest["seed"] == 5 and stored.manifest["batch"] == 5
    assert stored.manifest["training_switch"] == "training:0"
    assert [e["key"] for e in stored.manifest["inputs"]] == ["ids", "dense"]
    assert stored.manifest["variables"] == testing.manifest_of(make_model_fn())
    testing.assert_golden(directory, make_model_fn())
    assert testing.regeneration_problems(directory, make_model_fn()) == []


def test_golden_graph_fails_on_a_perturbed_output_and_writes_nothing(tmp_path):
    directory = testing.write_golden(str(tmp_path / "click"), make_model_fn(), golden_inputs(), seed=5)
    before = {f: open(os.path.join(directory, f), "rb").read() for f in os.listdir(directory)}
    with pytest.raises(testing.GoldenMismatch) as info:
        testing.assert_golden(directory, make_model_fn(scale=1.001))
    message = str(info.value)
    assert re.search(r"rebuilt model: rebuilt model output 'logit' differs from the golden output at \d+ of 5 "
                     r"elements \(rtol=1e-06, atol=1e-06\)", message)
    assert "stored graph:" not in message  # the stored graph itself still holds
    assert "Never regenerate a golden graph to make this pass" in message
    assert {f: open(os.path.join(directory, f), "rb").read() for f in os.listdir(directory)} == before
    assert testing.golden_problems(directory, make_model_fn(scale=1.001), rtol=0.01) == []  # within 1%


def test_golden_graph_fails_on_perturbed_stored_outputs_and_a_changed_graph_file(tmp_path):
    directory = testing.write_golden(str(tmp_path / "click"), make_model_fn(), golden_inputs(), seed=5)
    stored = testing.load_golden(directory)
    arrays = dict(stored.arrays)
    arrays["output/prob"] = arrays["output/prob"].copy()
    arrays["output/prob"][2] += 1e-3
    with open(os.path.join(directory, golden_graph.GOLDEN_FILE), "wb") as f:
        f.write(golden_graph.npz_bytes(arrays))
    problems = testing.golden_problems(directory, make_model_fn())
    assert len(problems) == 2
    assert problems[0].startswith("stored graph: stored graph output 'prob' differs from the golden output at "
                                  "1 of 5 elements") and "at index (2,)" in problems[0]
    assert problems[1].startswith("rebuilt model: rebuilt model output 'prob' differs")
    with open(os.path.join(directory, golden_graph.GRAPH_FILE), "ab") as f:
        f.write(b"\0")
    assert "does not match the manifest's sha256" in testing.golden_problems(directory, make_model_fn())[0]


def test_golden_graph_fails_on_renamed_variables_and_tensors(tmp_path):
    directory = testing.write_golden(str(tmp_path / "click"), make_model_fn(), golden_inputs(), seed=5)
    problems = testing.golden_problems(directory, make_model_fn(scope="embeddings"))
    assert len(problems) == 1
    assert "renamed (best guess): embedding/table -> embeddings/table [20, 2] float32" in problems[0]
    assert "old checkpoints will not restore" in problems[0]

    def renamed_output():
        model = make_model_fn()()
        model["outputs"]["prob"] = tf.identity(model["outputs"]["prob"], name="probability")
        return model
    assert testing.golden_problems(directory, renamed_output) == [
        "rebuilt model: output 'prob' is now probability:0 float32 [None]; the golden graph has prob:0 float32 [None]"]


def test_golden_graph_is_frozen_and_regenerated_only_explicitly(tmp_path):
    directory = testing.write_golden(str(tmp_path / "click"), make_model_fn(), golden_inputs(), seed=5)
    graph_def = tf.GraphDef.FromString(testing.load_golden(directory).graph_bytes)
    ops = {n.op for n in graph_def.node}
    assert not ops & {"VarHandleOp", "VariableV2", "PlaceholderWithDefault", "RandomUniform"}
    with pytest.raises(FileExistsError, match="force=True"):
        testing.write_golden(directory, make_model_fn(scale=2.0), golden_inputs(), seed=5)
    testing.assert_golden(directory, make_model_fn())
    testing.write_golden(directory, make_model_fn(scale=2.0), golden_inputs(), seed=5, force=True)
    testing.assert_golden(directory, make_model_fn(scale=2.0))


def test_golden_inputs_must_fit_the_placeholders(tmp_path):
    inputs = golden_inputs()
    with pytest.raises(TypeError, match=r"golden inputs\['ids'\]: dtype must be int32 .placeholder ids:0.; got int64"):
        testing.make_golden(make_model_fn(), dict(inputs, ids=inputs["ids"].astype(np.int64)))
    with pytest.raises(ValueError, match=r"golden inputs\['dense'\]: shape \(5, 4\) does not fit"):
        testing.make_golden(make_model_fn(), dict(inputs, dense=np.zeros([5, 4], np.float32)))
    with pytest.raises(ValueError, match=r"keys must be the model's inputs \['dense', 'ids'\]; got \['ids'\]"):
        testing.make_golden(make_model_fn(), {"ids": inputs["ids"]})


def test_model_fn_contract_errors_name_what_was_returned():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="must return a ModelSpec or a dict with 'inputs' and 'outputs'"):
            testing.build_model(lambda: tf.placeholder(tf.float32, [None]))
        with pytest.raises(TypeError, match=r"unknown keys \['loss'\]"):
            testing.build_model(lambda: {"inputs": {}, "outputs": {}, "loss": None})
        with pytest.raises(TypeError, match="'outputs' must be a non-empty dict"):
            testing.build_model(lambda: {"inputs": {"x": tf.placeholder(tf.float32, [])}, "outputs": {}})
    with pytest.raises(RuntimeError, match="tf.Graph"):
        testing.build_model(make_model_fn())  # eagerly


def test_model_spec_is_accepted_as_model_fn():
    from tf1_recsys.spec import ModelSpec

    def spec_fn():
        model = make_model_fn()()
        label = tf.placeholder(tf.float32, [None], name="click")
        return ModelSpec(inputs=model["inputs"], labels={"click": label}, training=model["training"],
                         logits={"click": model["outputs"]["logit"]},
                         predictions={"click": model["outputs"]["prob"]}, loss=tf.reduce_mean(label))
    with tf.Graph().as_default():
        built = testing.build_model(spec_fn)
    assert list(built.outputs) == ["click"] and built.outputs["click"].name == "prob:0"
    assert built.training.name == "training:0" and len(built.variables) == 4


# ------------------------------------------------------------------- scaffolding
class GraphTestCaseTest(testing.GraphTestCase):
    """GraphTestCase itself: two tests creating the same variable, seeding, feeds by name."""

    seed = 11

    def test_a_variable_named_v(self):
        self.assertIs(tf.get_default_graph(), self.graph)
        self.assertFalse(tf.executing_eagerly())
        v = tf.get_variable("v", [2], initializer=tf.ones_initializer())
        x = tf.placeholder(tf.float32, [2], name="x")
        self.initialize()
        np.testing.assert_array_equal(self.evaluate(v * x, {"x": [2.0, 3.0]}), [2.0, 3.0])
        np.testing.assert_array_equal(self.evaluate(v * x, {x: [1.0, 0.5]}), [1.0, 0.5])

    def test_the_same_variable_again_in_a_fresh_graph(self):
        v = tf.get_variable("v", [2])  # would raise "Variable v already exists" in a shared graph
        self.assertEqual(tf.global_variables(), [v])
        self.assertEqual(self.graph.seed, 11)


def test_graph_session_seeds_the_graph_and_restores_eager_mode():
    draws = []
    for seed in (3, 3, 4):
        with testing.GraphSession(seed) as gs:
            draws.append(gs.run(tf.random_normal([4])))
        assert tf.executing_eagerly() and tf.get_default_graph() is not gs.graph
    np.testing.assert_array_equal(draws[0], draws[1])
    assert not np.array_equal(draws[0], draws[2])


# ------------------------------------------------------------------- pytest plugin (own pytest processes)
def _pytest(project, *args):
    # the caller's PYTHONPATH last: on TensorFlow 2.16+ it holds tests/child_site (tests/conftest.py)
    path = [REPO, str(project)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), TF_CPP_MIN_LOG_LEVEL="2",
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *args],
                          cwd=str(project), env=env, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


PLAIN_TESTS = '''
import sys
import pytest

def test_nothing_of_tf1_recsys_is_active(request):
    assert "tensorflow" not in sys.modules
    with pytest.raises(pytest.FixtureLookupError):
        request.getfixturevalue("tf1")
'''


def test_entry_point_registers_nothing_by_default(tmp_path):
    # The installed entry point (simulated with -p, as autoload is off here) must change nothing.
    (tmp_path / "test_plain.py").write_text(PLAIN_TESTS)
    rc, with_entry = _pytest(tmp_path, "-p", "tf1_recsys_pytest", "--fixtures")
    assert rc == 0, with_entry
    rc, without = _pytest(tmp_path, "--fixtures")
    assert rc == 0, without

    def strip(text):  # run-dependent lines: timings, platform, rootdir
        return [line for line in text.splitlines() if not re.search(r"\d+(\.\d+)?s\b|^platform |^rootdir", line)]
    assert strip(with_entry) == strip(without)
    assert "tf1_session" not in with_entry
    rc, out = _pytest(tmp_path, "-p", "tf1_recsys_pytest")
    assert rc == 0 and "1 passed" in out, out


FIXTURE_TESTS = '''
import numpy as np
import pytest
import tensorflow.compat.v1 as tf

def test_a_graph_with_a_variable(tf1, tf1_graph, tf1_session):
    assert tf.get_default_graph() is tf1_graph and tf1.sess is tf1_session
    v = tf.get_variable("v", [2], initializer=tf.ones_initializer())
    x = tf.placeholder(tf.float32, [2], name="x")
    tf1.initialize()
    np.testing.assert_array_equal(tf1.run(v * x, {"x": [2.0, 4.0]}), [2.0, 4.0])

def test_the_same_variable_in_the_next_test(tf1):
    tf.get_variable("v", [2])
    assert tf1.graph.seed == 0 and len(tf.global_variables()) == 1

class TestSeedOverride:
    @pytest.fixture
    def tf1_seed(self):
        return 42

    def test_seed_override(self, tf1):
        assert tf1.graph.seed == 42

def test_zz_switching_v2_behaviour_off_is_a_leak(tf1):
    tf.disable_v2_behavior()
'''


def test_ini_option_enables_the_fixtures_and_they_catch_an_eager_leak(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\ntf1_recsys_fixtures = true\n")
    (tmp_path / "test_fixtures.py").write_text(FIXTURE_TESTS)
    rc, out = _pytest(tmp_path, "-p", "tf1_recsys_pytest")
    assert rc == 1, out
    assert re.search(r"\b4 passed\b.* 1 error\b", out), out  # the leaking test passes, its teardown errors
    assert "ERROR test_fixtures.py::test_zz_switching_v2_behaviour_off_is_a_leak" in out
    assert re.search(r"StateLeak: the test changed TensorFlow's behaviour for the whole process: eager "
                     r"execution \(new threads\) True -> False, .*resource variables True -> False", out), out


# ------------------------------------------------------------------- docs/TESTING.md
def _docs_files():
    text = open(os.path.join(REPO, "docs", "TESTING.md")).read()
    files = {}
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        first = block.splitlines()[0]
        if first.startswith("# file: "):
            files[first[len("# file: "):].strip()] = block
    return files


def test_docs_example_test_file_runs_and_passes(tmp_path, monkeypatch):
    files = _docs_files()
    assert sorted(files) == ["conftest.py", "make_reference.py", "my_model.py", "tests/test_my_model.py",
                             "tests/test_my_model_unittest.py"]
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    # The explicit reference step runs here (TensorFlow is already imported); the tests in their own pytest.
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        runpy.run_path(str(tmp_path / "make_reference.py"), run_name="__main__")
    finally:
        sys.modules.pop("my_model", None)
    assert sorted(os.listdir(tmp_path / "tests" / "reference")) == ["golden", "release_1", "variables.json"]
    rc, out = _pytest(tmp_path, "tests")
    assert rc == 0 and "5 passed" in out, out
