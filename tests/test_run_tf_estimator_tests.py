"""tools/run_tf_estimator_tests.py's classification of a failed test of tensorflow/estimator's suite.

The messages are made here the way the tool's test processes make them: ``unittest.mock``
patching a module that stands in for a ``tensorflow_estimator`` module, whose attributes are
only the names TensorFlow exports.
"""
import importlib.machinery
import os
import sys
import types
from unittest import mock

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
import run_tf_estimator_tests as tool  # noqa: E402


class _StandIn(types.ModuleType):
    """A module with one exported name, ``TrainSpec``; any other name raises AttributeError."""

    def __getattr__(self, name):
        if name == "TrainSpec":
            return object
        raise AttributeError("non-public tensorflow_estimator name: %s.%s" % (self.__name__, name))


def _patch_message(module, name):
    """pytest's failure message of a test that patches ``module.name``."""
    with pytest.raises(AttributeError) as raised:
        with mock.patch.object(module, name):
            pass
    return "AttributeError: %s" % raised.value


@pytest.fixture
def training():
    module = _StandIn("tensorflow_estimator.python.estimator.training")
    module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, loader=object(), is_package=True)
    return module


def test_patching_a_name_tensorflow_does_not_export_is_left_out_not_failed(training):
    reason = tool.reason_of(_patch_message(training, "_TrainingExecutor"), "")
    assert reason == tool.PATCHES_PRIVATE
    assert tool.outcome_of(reason) == "left out"


def test_a_missing_attribute_of_a_tensorflow_module_is_still_a_failure():
    module = types.ModuleType("tensorflow.python.training.training")
    reason = tool.reason_of(_patch_message(module, "NotThere"), "")
    assert tool.outcome_of(reason) == "failed" and reason != tool.PATCHES_PRIVATE


def test_reaching_a_non_public_name_is_left_out_and_a_message_difference_fails():
    assert tool.outcome_of(tool.reason_of("AttributeError: non-public tensorflow_estimator name: "
                                          "tensorflow_estimator.python.estimator.training._X", "")) == "left out"
    reason = tool.reason_of("AssertionError: \"expected\" does not match \"got\"", "")
    assert (reason, tool.outcome_of(reason)) == ("exception message differs", "failed")


def test_a_missing_private_attribute_is_labelled_private_and_a_public_one_public():
    private = tool.reason_of("AttributeError: 'Estimator' object has no attribute '_session_config'", "")
    public = tool.reason_of("AttributeError: 'Estimator' object has no attribute 'export_saved_model'", "")
    assert private.startswith(tool.PRIVATE_MISSING + " (") and tool.outcome_of(private) == "failed"
    assert public.startswith(tool.MISSING + " (") and not public.startswith(tool.PRIVATE_MISSING)


def test_a_resumed_test_process_leaves_out_exactly_the_tests_already_run(tmp_path):
    """pytest's ``--deselect`` matches by prefix: ``test_hooks`` would also drop ``test_hooks_for_worker``."""
    import json
    import subprocess

    (tmp_path / "conftest.py").write_text(tool.RESUME)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "f_test.py").write_text("def test_hooks():\n    pass\n\n\ndef test_hooks_for_worker():\n    pass\n")
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps({"nodeid": "f_test.py::test_hooks", "outcome": "failed", "message": "hung",
                                   "details": ""}) + "\n")
    env = dict(os.environ, TF1_RECSYS_RESULTS=str(results), TF1_RECSYS_TEST_TIMEOUT="60")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c",
                           str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), "f_test.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["nodeid"], r["outcome"]) for r in records] == [("f_test.py::test_hooks", "failed"),
                                                             ("f_test.py::test_hooks_for_worker", "passed")]


def test_a_file_that_cannot_be_collected_is_one_failed_entry(tmp_path):
    """A name missing at class definition stops collection: one ``(collection)`` record, with its reason."""
    import json
    import subprocess

    (tmp_path / "conftest.py").write_text(tool.RESUME)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "f_test.py").write_text("import types\n\n\nclass Test(types.ModuleType('m').Missing):\n    pass\n")
    results = tmp_path / "results.jsonl"
    env = dict(os.environ, TF1_RECSYS_RESULTS=str(results), TF1_RECSYS_TEST_TIMEOUT="60")
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"),
                    "--rootdir", str(tmp_path), "f_test.py"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    records = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["nodeid"], r["outcome"]) for r in records] == [("f_test.py::(collection)", "failed")]
    assert tool._test_id(records[0]["nodeid"]) == "f_test::(collection)"
    assert "has no attribute 'Missing'" in records[0]["message"]
