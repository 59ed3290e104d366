"""The golden frozen graphs under graphs/, checked through the public kit (tf1_recsys.testing).

A failure here is a serving-compatibility break. Never regenerate a golden graph to
make it pass: fix the change, or declare it breaking (commit message and
docs/CHANGELOG.md) and regenerate with ``tools/make_golden_graphs.py --force``.
"""
import os

import pytest

import golden_models
from tf1_recsys import testing
from tf1_recsys._tf import tf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(os.path.dirname(HERE), "graphs")
NAMES = list(golden_models.GRAPHS)


def test_every_golden_graph_is_stored_and_known():
    stored = sorted(d for d in os.listdir(ROOT) if os.path.isdir(os.path.join(ROOT, d)))
    assert stored == sorted(NAMES)
    assert {"fm", "din_attention", "mmoe", "multi_head_attention", "senet", "ctr"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_stored_graph_loads_and_the_library_still_computes_it(name):
    # sha256, import on this TensorFlow, frozen (no variables, no switch), stored outputs to 1e-6;
    # the rebuild's variables, tensors and switch as stored, and its outputs to 1e-6.
    testing.assert_golden(os.path.join(ROOT, name), golden_models.GRAPHS[name].model_fn)


@pytest.mark.parametrize("name", NAMES)
def test_golden_inputs_are_the_fixture_inputs(name):
    stored = testing.load_golden(os.path.join(ROOT, name))
    for key, value in golden_models.golden_inputs(name).items():
        assert stored.arrays["input/" + key].dtype == value.dtype
        assert (stored.arrays["input/" + key] == value).all(), (name, key)
    assert stored.manifest["seed"] == golden_models.GRAPHS[name].seed


@pytest.mark.parametrize("name", NAMES)
def test_regeneration_gives_the_same_graph_bytes_on_the_same_tensorflow(name):
    directory = os.path.join(ROOT, name)
    written_by = testing.load_golden(directory).manifest["tensorflow_version"]
    if written_by != tf.version.VERSION:
        pytest.skip("graph written by TensorFlow %s" % written_by)
    assert testing.regeneration_problems(directory, golden_models.GRAPHS[name].model_fn) == []


def test_golden_npz_holds_no_pickled_objects():
    for name in NAMES:  # load_golden reads with allow_pickle=False, which raises on objects
        for key, value in testing.load_golden(os.path.join(ROOT, name)).arrays.items():
            assert value.dtype != object, (name, key)
