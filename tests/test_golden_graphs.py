"""The golden frozen graphs under graphs/: they load, run, and match the library.

A failure here is a serving-compatibility break. Never regenerate a golden graph to
make it pass: fix the change, or declare it breaking (commit message and
docs/CHANGELOG.md) and regenerate with ``tools/make_golden_graphs.py --force``.
"""
import hashlib
import json
import os

import numpy as np
import pytest

from tf1_recsys import export, golden
from tf1_recsys._tf import tf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(os.path.dirname(HERE), "graphs")
NAMES = list(golden.GRAPHS)


def _manifest(name):
    with open(os.path.join(ROOT, name, golden.MANIFEST_FILE)) as f:
        return json.load(f)


def _golden(name):
    with np.load(os.path.join(ROOT, name, golden.GOLDEN_FILE), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _shape(tensor):
    return tensor.shape.as_list() if tensor.shape.rank is not None else None


def test_every_golden_graph_is_stored_and_known():
    stored = sorted(d for d in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, d)))
    assert stored == sorted(NAMES)
    assert {"fm", "din_attention", "mmoe", "multi_head_attention", "senet", "ctr"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_sha256_matches_manifest(name):
    with open(os.path.join(ROOT, name, golden.GRAPH_FILE), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == _manifest(name)["sha256"]


@pytest.mark.parametrize("name", NAMES)
def test_frozen_graph_runs_and_reproduces_golden_outputs(name):
    manifest, arrays = _manifest(name), _golden(name)
    inputs = {e["key"]: e["name"] for e in manifest["inputs"]}
    outputs = {e["key"]: e["name"] for e in manifest["outputs"]}
    graph, in_t, out_t = export.load_frozen(os.path.join(ROOT, name, manifest["graph"]), inputs, outputs)
    for entry in manifest["inputs"]:
        t = in_t[entry["key"]]
        assert t.op.type == "Placeholder" and t.dtype.name == entry["dtype"] and _shape(t) == entry["shape"]
    for entry in manifest["outputs"]:
        assert out_t[entry["key"]].dtype.name == entry["dtype"]
    ops = {op.type for op in graph.get_operations()}
    assert not ops & {"VarHandleOp", "VariableV2", "ReadVariableOp", "AssignSubVariableOp", "If", "StatelessIf",
                      "PlaceholderWithDefault"}, "frozen graph still holds variables or a training switch"
    with tf.Session(graph=graph) as sess:
        got = sess.run(out_t, {in_t[k]: arrays["input/" + k] for k in inputs})
    for key in outputs:
        expected = arrays["output/" + key]
        assert got[key].shape == expected.shape
        np.testing.assert_allclose(got[key], expected, rtol=1e-6, atol=1e-6, err_msg="%s/%s" % (name, key))


@pytest.mark.parametrize("name", NAMES)
def test_rebuild_matches_manifest_and_computes_golden_outputs(name):
    manifest, arrays = _manifest(name), _golden(name)
    graph = tf.Graph()
    with graph.as_default():
        g = golden.build(name)
        trainable = {id(v) for v in tf.trainable_variables()}
        variables = [{"name": v.op.name, "shape": v.shape.as_list(), "dtype": v.dtype.base_dtype.name,
                      "trainable": id(v) in trainable} for v in g.variables]
        assert variables == manifest["variables"], "variables of golden graph %s changed" % name
        for entry in manifest["inputs"]:
            t = g.inputs[entry["key"]]
            assert (t.name, t.dtype.name, _shape(t)) == (entry["name"], entry["dtype"], entry["shape"])
        for entry in manifest["outputs"]:
            t = g.outputs[entry["key"]]
            assert (t.name, t.dtype.name, _shape(t)) == (entry["name"], entry["dtype"], entry["shape"])
        assert (g.training.name if g.training is not None else None) == manifest["training_switch"]
        with tf.Session(graph=graph) as sess:
            golden.assign_values(sess, g.variables, manifest["seed"])
            feed = {g.inputs[e["key"]]: arrays["input/" + e["key"]] for e in manifest["inputs"]}
            got = sess.run(g.outputs, feed)  # unfrozen graph, training switch at its default False
    for key, value in got.items():
        np.testing.assert_allclose(value, arrays["output/" + key], rtol=1e-6, atol=1e-6,
                                   err_msg="library no longer computes golden %s/%s" % (name, key))


@pytest.mark.parametrize("name", NAMES)
def test_regeneration_is_byte_identical_on_the_same_tensorflow(name):
    """The graph and the golden inputs regenerate bit for bit; the outputs to float32 rounding.

    Outputs are computed by TensorFlow's CPU kernels, whose rounding depends on the
    processor's instruction set (AVX2 / AVX-512 / AMX code paths differ by an ulp), so
    the outputs of a regeneration on another machine are compared with a tolerance.
    """
    manifest = _manifest(name)
    if manifest["tensorflow_version"] != tf.version.VERSION:
        pytest.skip("graph written by TensorFlow %s" % manifest["tensorflow_version"])
    artifacts = golden.make(name)
    assert artifacts.manifest["sha256"] == manifest["sha256"]
    stored = _golden(name)
    assert sorted(artifacts.arrays) == sorted(stored)
    for key, value in artifacts.arrays.items():
        if key.startswith("output/"):
            np.testing.assert_allclose(value, stored[key], rtol=1e-6, atol=1e-6, err_msg=key)
        else:
            assert value.dtype == stored[key].dtype and value.tobytes() == stored[key].tobytes(), key


def test_golden_npz_holds_no_pickled_objects():
    for name in NAMES:
        for key, value in _golden(name).items():  # allow_pickle=False would raise on objects
            assert value.dtype != object, (name, key)
