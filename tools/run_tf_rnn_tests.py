"""Runs TensorFlow's own tests of ``rnn_cell`` and ``tf.contrib.rnn``, unmodified, against tf1_recsys' cells.

The test files are not part of this repository. Give the folders that hold them at their paths
in their repositories (any of the three; a file whose folder is not given is not run)::

    PYTHONPATH=$PWD python tools/run_tf_rnn_tests.py --tensorflow TF2 --tensorflow1 TF115 --tf-keras TFK \\
        [--against ours|tf_keras] [--behavior v1|v2] [--files ...] [-k EXPR] [--json PATH]

- ``--tensorflow``: a TensorFlow 2.x checkout: ``tensorflow/python/kernel_tests/nn_ops/rnn_cell_test.py``
  (the cells through ``rnn_cell`` / ``rnn_cell_impl`` with ``static_rnn``, ``dynamic_rnn``,
  ``raw_rnn``, the bidirectional and state-saving RNNs, and the wrappers);
- ``--tensorflow1``: a TensorFlow 1.x checkout: ``tensorflow/contrib/rnn/python/kernel_tests/
  {lstm_ops,gru_ops}_test.py`` (``LSTMBlockCell``, ``LSTMBlockFusedCell``, ``GRUBlockCell``);
- ``--tf-keras``: a tf-keras checkout: ``tf_keras/layers/rnn/legacy_cell_wrappers_test.py``.

Each file is copied to a temporary folder and run by pytest in its own process
(``run_tf_estimator_tests.run_test_file``: per-test records, alarms, resumption after a hung test)
as a TF1 program runs: after ``tf.compat.v1.disable_v2_behavior()`` (``--behavior v2``: only
eager execution disabled, where TensorFlow skips the tests it marks v1-only). The names the files
import resolve as a user's program sees them:

- ours (default): ``install(contrib=True, private_names=True)``, so ``tensorflow.python.ops.rnn_cell``
  / ``rnn_cell_impl`` hold our cells and ``tensorflow.contrib.rnn.python.ops.{lstm_ops,gru_ops}``
  are our block cells; tf_keras's ``legacy_cells`` / ``legacy_cell_wrappers`` are
  ``tf1_recsys.compat.rnn_cell``; everything else is TensorFlow's own (``rnn.dynamic_rnn``, ...);
- ``--against tf_keras``: the reference, TensorFlow's own legacy cells of this release (natively
  on 2.12-2.15, tf_keras's with ``TF_USE_LEGACY_KERAS=1`` on 2.16+) put in the same places.
  ``tf.contrib`` exists on no TensorFlow 2 release, so its files have no reference and are not run.

The eager half of a ``run_in_graph_and_eager_modes`` test and the eager combination of a
tf_keras ``test_combinations`` test are not run (the cells are graph-mode only), for both sides.

Counted per file: passed, failed, skipped (by the test itself: a GPU, a known TensorFlow bug),
and left out of the pass/fail count: a test that calls a TensorFlow name that is not public API
(``lstm_ops._block_lstm``, the benchmark helpers), one that reads a private attribute the cell
lacks (internals, such as Keras' ``_keras_style``), and one that creates no cell of the side under
test and, if it fails, fails outside that side's code (it tests TensorFlow's kernels, returns early
without a GPU, or uses a user-written cell that does not call ``RNNCell.__init__``).
Failures are grouped by reason; ``--json PATH`` also writes the per-test results.
"""
import argparse
import collections
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_tf_estimator_tests as runner  # noqa: E402  (the shared per-file pytest process)

# key -> (--option whose folder holds it, its path there, what the names it imports resolve to)
TEST_FILES = collections.OrderedDict([
    ("rnn_cell_test", ("tensorflow", "tensorflow/python/kernel_tests/nn_ops/rnn_cell_test.py", "rnn_cell")),
    ("lstm_ops_test", ("tensorflow1", "tensorflow/contrib/rnn/python/kernel_tests/lstm_ops_test.py", "contrib")),
    ("gru_ops_test", ("tensorflow1", "tensorflow/contrib/rnn/python/kernel_tests/gru_ops_test.py", "contrib")),
    ("legacy_cell_wrappers_test", ("tf_keras", "tf_keras/layers/rnn/legacy_cell_wrappers_test.py", "tf_keras")),
])
NON_PUBLIC = "calls a TensorFlow name that is not public API"
PRIVATE_ATTRIBUTE = "reads a private attribute the cell lacks (internals)"
NO_CELL = "creates no cell of the side under test"
LEFT_OUT = (NON_PUBLIC, PRIVATE_ATTRIBUTE, NO_CELL)

# ---------------------------------------------------------------------------- inside a test process
SHIM = r'''
import functools, importlib, json, os, sys, types
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
AGAINST = os.environ["TF1_RECSYS_RNN_AGAINST"]
KIND = os.environ["TF1_RECSYS_RNN_KIND"]
NON_PUBLIC = os.environ["TF1_RECSYS_RNN_NON_PUBLIC"]
sys.path.insert(0, os.environ["TF1_RECSYS_TOOLS"])
import tensorflow as tf
from tensorflow.python.eager import context
from tensorflow.python.framework import test_util

if os.environ["TF1_RECSYS_RNN_BEHAVIOR"] == "v1":
    tf.compat.v1.disable_v2_behavior()
else:
    tf.compat.v1.disable_eager_execution()

_both_modes = test_util.run_in_graph_and_eager_modes


def _graph_half_only(func=None, config=None, use_gpu=True, assert_no_eager_garbage=False):
    """TensorFlow's decorator, with the eager half returning at once (the cells are graph-mode only)."""
    def decorate(f):
        @functools.wraps(f)
        def graph_only(self, *args, **kwargs):
            if not context.executing_eagerly():
                return f(self, *args, **kwargs)
        return _both_modes(graph_only, config=config, use_gpu=use_gpu,
                           assert_no_eager_garbage=assert_no_eager_garbage)
    return decorate(func) if func is not None else decorate


test_util.run_in_graph_and_eager_modes = _graph_half_only  # also what run_all_in_graph_and_eager_modes applies


def _non_public(name):
    def call(*args, **kwargs):
        raise AttributeError("%s: %s" % (NON_PUBLIC, name))
    return call


class _NonPublicModule(types.ModuleType):
    """A module none of whose names is measured (a test helper of TensorFlow's)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _non_public(self.__name__ + "." + name)


def _put_module(name, module):
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)


CELL_NAMES = ("RNNCell", "LayerRNNCell", "BasicRNNCell", "GRUCell", "BasicLSTMCell", "LSTMCell", "MultiRNNCell",
              "DropoutWrapper", "ResidualWrapper", "DeviceWrapper", "LSTMStateTuple")


def _reference_modules():
    """TensorFlow's own legacy cells and wrappers of this release (tf_keras's on 2.16+)."""
    for package in ("tf_keras.src", "keras.src", "keras"):
        try:
            return (importlib.import_module(package + ".layers.rnn.legacy_cells"),
                    importlib.import_module(package + ".layers.rnn.legacy_cell_wrappers"))
        except ImportError:
            continue
    raise ImportError("no TensorFlow legacy cells here (TensorFlow 2.16+ needs tf_keras and TF_USE_LEGACY_KERAS=1)")


if AGAINST == "ours":
    from tf1_recsys.compat import install
    from tf1_recsys.compat.layers.base import Layer as COUNTED
    install(contrib=True, private_names=True)
    from tf1_recsys.compat import rnn_cell as cells_module
    wrappers_module = cells_module
    # a private TensorFlow function a file binds when imported: calling it leaves the test out
    for _path, _names in {"tensorflow.contrib.rnn.python.ops.lstm_ops": ("_block_lstm",)}.items():
        _module = importlib.import_module(_path) if KIND == "contrib" else None
        for _name in _names if _module is not None else ():
            if not hasattr(_module, _name):
                setattr(_module, _name, _non_public(_path + "." + _name))
else:
    cells_module, wrappers_module = _reference_modules()
    COUNTED = cells_module.RNNCell
    # the private helpers a test file of an older TensorFlow imports, where this release moved them (no cells)
    from tf1_recsys.compat.install_rnn import MOVED_PRIVATE_NAMES
    from tf1_recsys.compat.provides import resolve
    for _path, _names in MOVED_PRIVATE_NAMES.items():
        _module = importlib.import_module(_path)
        for _name, _source in _names.items():
            if not hasattr(_module, _name):
                setattr(_module, _name, resolve(_source))
    from tensorflow.python.ops import rnn_cell, rnn_cell_impl
    for _module in (rnn_cell, rnn_cell_impl):
        for _name in CELL_NAMES:
            setattr(_module, _name, getattr(wrappers_module, _name, None) or getattr(cells_module, _name))

if KIND == "contrib":
    _put_module("tensorflow.contrib.rnn.python.kernel_tests",
                _NonPublicModule("tensorflow.contrib.rnn.python.kernel_tests"))
    _put_module("tensorflow.contrib.rnn.python.kernel_tests.benchmarking",
                _NonPublicModule("tensorflow.contrib.rnn.python.kernel_tests.benchmarking"))
elif KIND == "tf_keras":
    import run_tf_layer_tests
    root = run_tf_layer_tests._module("tf_keras")
    root.layers = run_tf_layer_tests._module("tf_keras.layers")
    root.layers.rnn = run_tf_layer_tests._module("tf_keras.layers.rnn")
    _put_module("tf_keras.layers.rnn.legacy_cells", cells_module)
    _put_module("tf_keras.layers.rnn.legacy_cell_wrappers", wrappers_module)
    root.testing_infra = run_tf_layer_tests._module("tf_keras.testing_infra")
    root.testing_infra.test_combinations = run_tf_layer_tests._combinations()

# Which tests create an object of the side under test (COUNTED.__init__ runs): the others are left out.
_created = [0]
_counted_init = COUNTED.__init__


def _counting_init(self, *args, **kwargs):
    _created[0] += 1
    return _counted_init(self, *args, **kwargs)


COUNTED.__init__ = _counting_init


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _created[0] = 0
    yield
    with open(os.environ["TF1_RECSYS_CREATED"], "a") as f:
        f.write(json.dumps({"nodeid": item.nodeid, "created": _created[0]}) + "\n")


'''


# ---------------------------------------------------------------------------- classifying results
def classify(record):
    """``(outcome, reason)`` of a failed test's record."""
    text = (record["message"] or "") + "\n" + (record["details"] or "")
    if NON_PUBLIC in text:
        return "left out", NON_PUBLIC
    if re.search(r"AttributeError: '\w+' object has no attribute '_\w+'", record["message"] or ""):
        return "left out", PRIVATE_ATTRIBUTE
    reason = runner.reason_of(record["message"] or "", record["details"] or "")
    return "failed", reason.replace(" in tf1_recsys.estimator", "")


def run_file(key, path, kind, against, behavior, python, timeout, select=None):
    """``{test id: (outcome, reason)}`` of one test file; a test that created no cell may be left out."""
    work = tempfile.mkdtemp(prefix="tf_rnn_tests_")
    created_path = os.path.join(work, "created.jsonl")
    env = {"TF1_RECSYS_RNN_AGAINST": against, "TF1_RECSYS_RNN_KIND": kind, "TF1_RECSYS_RNN_BEHAVIOR": behavior,
           "TF1_RECSYS_RNN_NON_PUBLIC": NON_PUBLIC, "TF1_RECSYS_CREATED": created_path,
           "TF1_RECSYS_TOOLS": os.path.dirname(os.path.abspath(__file__)),
           "TF_USE_LEGACY_KERAS": "1" if against == "tf_keras" else "0"}  # read when TensorFlow is imported
    select = "not test_session" + (" and (%s)" % select if select else "")  # TestCase.test_session is no test
    details = {}

    def classify_keeping_details(record):
        details[runner._test_id(record["nodeid"])] = (record["message"] or "") + (record["details"] or "")
        return classify(record)

    try:
        results = runner.run_test_file(path, key, SHIM, classify_keeping_details, python, timeout, env=env,
                                       select=select, work=work)
        created = {}
        if os.path.exists(created_path):
            with open(created_path) as f:
                for line in f:
                    record = json.loads(line)
                    created[runner._test_id(record["nodeid"])] = record["created"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    side = "tf1_recsys" if against == "ours" else "keras"  # in a failure's traceback: the side's own code
    for test_id, (outcome, reason) in results.items():
        if created.get(test_id, 1) == 0 and (outcome == "passed" or (
                outcome == "failed" and side not in details.get(test_id, ""))):
            results[test_id] = ("left out", NO_CELL)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tensorflow", help="TensorFlow 2.x checkout (nn_ops/rnn_cell_test.py)")
    parser.add_argument("--tensorflow1", help="TensorFlow 1.x checkout (contrib/rnn kernel tests)")
    parser.add_argument("--tf-keras", dest="tf_keras", help="tf-keras checkout (legacy_cell_wrappers_test.py)")
    parser.add_argument("--files", nargs="*", default=list(TEST_FILES), choices=list(TEST_FILES))
    parser.add_argument("--against", choices=("ours", "tf_keras"), default="ours",
                        help="ours: tf1_recsys (default); tf_keras: TensorFlow's own legacy cells, the reference")
    parser.add_argument("--behavior", choices=("v1", "v2"), default="v1",
                        help="v1: after disable_v2_behavior() (default); v2: only eager execution disabled")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per test file")
    parser.add_argument("-k", dest="select", help="only the tests pytest's -k expression selects")
    parser.add_argument("--json", help="write the per-test outcomes and reasons here")
    args = parser.parse_args(argv)
    folders = {"tensorflow": args.tensorflow, "tensorflow1": args.tensorflow1, "tf_keras": args.tf_keras}
    if not any(folders.values()):
        parser.error("give at least one of --tensorflow, --tensorflow1, --tf-keras")
    runs = []
    for key in args.files:
        option, relpath, kind = TEST_FILES[key]
        if not folders[option]:
            continue
        path = os.path.join(folders[option], relpath)
        if not os.path.isfile(path):
            parser.error("--%s %r holds no %s" % (option.replace("_", "-"), folders[option], relpath))
        if kind == "contrib" and args.against != "ours":
            print("%s: not run: tf.contrib has no reference on TensorFlow 2" % key)
            continue
        runs.append((key, path, kind))

    tally = runner.Tally(width=27)
    for key, path, kind in runs:
        tally.add(key, run_file(key, path, kind, args.against, args.behavior, args.python, args.timeout,
                                args.select))
    tally.total()
    totals, reasons, left_out, everything = tally.totals, tally.reasons, tally.left_out, tally.everything
    print("\nfailures by reason:")
    for reason, count in reasons.most_common():
        print("%5d  %s" % (count, reason))
    print("\nleft out, by reason:")
    for reason in LEFT_OUT:
        print("%5d  %s" % (left_out[reason], reason))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1, sort_keys=True)
    return 0 if totals["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
