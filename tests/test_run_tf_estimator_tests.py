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


def test_v1_export_names_are_marked_compat_v1_the_others_are_tf_estimator_names():
    import ast

    def names(source):
        return tool._export_names(ast.parse(source).body[0].value)

    assert names("estimator_export('estimator.DNNClassifier', v1=[])") == ["estimator.DNNClassifier"]
    assert names("estimator_export(v1=['estimator.DNNClassifier'])") == ["compat.v1.estimator.DNNClassifier"]
    assert names("estimator_export('estimator.RunConfig')") == ["estimator.RunConfig"]


def test_testing_utils_are_loaded_from_the_source_as_test_code(tmp_path):
    canned = tmp_path / tool.PACKAGE_DIR / "canned"
    (canned / "v1").mkdir(parents=True)
    for name in ("dnn.py", "dnn_testing_utils.py", "dnn_test.py", "v1/linear_testing_utils_v1.py"):
        (canned / name).write_text("")
    prefix = "tensorflow_estimator.python.estimator.canned."
    assert tool.test_helpers(str(tmp_path)) == {
        prefix + "dnn_testing_utils": str(canned / "dnn_testing_utils.py"),
        prefix + "v1.linear_testing_utils_v1": str(canned / "v1" / "linear_testing_utils_v1.py")}
    # the key constants and the V1 heads (docs/MIGRATION.md) are served as ours: our modules at those paths list them
    import tf1_recsys.estimator.canned.head as head
    import tf1_recsys.estimator.canned.metric_keys as metric_keys
    assert "MetricKeys" in metric_keys.__all__
    assert {"_regression_head", "_binary_logistic_head_with_sigmoid_cross_entropy_loss"} <= set(head.__all__)


def test_the_canned_group_is_apart_and_the_default_run_stays_the_estimator_files():
    assert tool.GROUPS["estimator"] is tool.TEST_FILES and "estimator_test" in tool.TEST_FILES
    assert "dnn_test_fc_v2" in tool.CANNED_TEST_FILES and not set(tool.CANNED_TEST_FILES) & set(tool.TEST_FILES)
    assert list(tool.ALL_TEST_FILES) == list(tool.TEST_FILES) + list(tool.CANNED_TEST_FILES) + list(tool.HEAD_TEST_FILES)
    assert "linear_test_v1" in tool.V1_MODE_FILES and "linear_test" not in tool.V1_MODE_FILES  # run_v1_only files


def test_a_keras_optimizer_of_the_test_itself_is_one_reason_and_a_failure():
    keras3 = tool.reason_of("ImportError: `keras.optimizers.legacy` is not supported in Keras 3.", "")
    ours = tool.reason_of("ValueError: The given object is not a tf.compat.v1.train.Optimizer instance "
                          "(tf1_recsys has no Keras optimizers). Given: <_Optimizer>", "")
    assert keras3.startswith(tool.KERAS_OPTIMIZER) and ours.startswith(tool.KERAS_OPTIMIZER) and keras3 != ours
    assert tool.outcome_of(keras3) == tool.outcome_of(ours) == "failed"


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
