"""tools/run_tf_rnn_tests.py's counting of TensorFlow's rnn_cell tests, and the shared per-file runner.

No TensorFlow here: the records are made the way the tool's test processes make them, and the
runner's process is given a test file that imports nothing of TensorFlow.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
import run_tf_estimator_tests as runner  # noqa: E402
import run_tf_rnn_tests as tool  # noqa: E402


def _failed(message):
    return {"outcome": "failed", "message": message, "details": ""}


def test_a_private_tensorflow_function_or_cell_internals_are_left_out_and_the_rest_fails():
    non_public = "AttributeError: %s: tensorflow.contrib.rnn.python.ops.lstm_ops._block_lstm" % tool.NON_PUBLIC
    assert tool.classify(_failed(non_public)) == ("left out", tool.NON_PUBLIC)
    internals = "AttributeError: 'DropoutWrapper' object has no attribute '_keras_style'"
    assert tool.classify(_failed(internals)) == ("left out", tool.PRIVATE_ATTRIBUTE)
    outcome, reason = tool.classify(_failed("AttributeError: type object 'LSTMCell' has no attribute 'from_config'"))
    assert (outcome, reason) == ("failed", "public name missing (type object 'LSTMCell' has no attribute 'from_config')")
    assert tool.classify(_failed("AssertionError: 0.5 != 0.7"))[0] == "failed"


def test_the_runner_counts_each_test_and_reports_a_file_that_does_not_import(tmp_path):
    def classify(record):
        return "failed", record["message"].splitlines()[0]

    tests = tmp_path / "t_test.py"
    tests.write_text("import unittest\n\n\nclass T(unittest.TestCase):\n    def test_ok(self):\n        pass\n\n"
                     "    def test_bad(self):\n        self.assertEqual(1, 2)\n\n"
                     "    def test_skip(self):\n        self.skipTest('no GPU')\n")
    quick = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}  # no installed plugins: a second instead of several
    results = runner.run_test_file(str(tests), "t_test", "", classify, sys.executable, timeout=120, env=quick)
    assert {test: outcome for test, (outcome, _) in results.items()} == {
        "t_test.T::test_ok": "passed", "t_test.T::test_bad": "failed", "t_test.T::test_skip": "skipped"}
    assert "1 != 2" in results["t_test.T::test_bad"][1]

    broken = tmp_path / "b_test.py"
    broken.write_text("from a_package_not_installed import not_there\n")  # as tensorflow.contrib on TF 2
    results = runner.run_test_file(str(broken), "b_test", "", classify, sys.executable, timeout=120, env=quick)
    (outcome, reason), = results.values()
    assert list(results) == ["b_test::(collection)"] and outcome == "failed"  # the shim's record of it
    assert reason.startswith("ImportError while importing test module")
