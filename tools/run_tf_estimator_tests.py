"""Runs tensorflow/estimator's own test files against tf1_recsys.estimator and counts the results.

    git --git-dir=<mirror of github:tensorflow/estimator> archive v2.15.0 tensorflow_estimator \\
        | tar -x -C /tmp/est
    PYTHONPATH=$PWD python tools/run_tf_estimator_tests.py --source /tmp/est [--files estimator_test ...] [-k EXPR]
    PYTHONPATH=$PWD python tools/run_tf_estimator_tests.py --source /tmp/est --group heads   # the heads' tests
    PYTHONPATH=$PWD python tools/run_tf_estimator_tests.py --source /tmp/est --group canned  # the canned estimators'

``--source`` is a checkout (or ``git archive``) of tensorflow/estimator; nothing of it is kept
in this repository. Each test file is copied to a temporary folder and run unchanged by pytest
in its own process, where:

- ``tf.estimator`` / ``tf.compat.v1.estimator`` are ours (``install(estimator=True)``);
- every ``tensorflow_estimator...`` module is a stand-in whose attributes are the names that
  module exports to the public API (its ``estimator_export`` declarations, read from
  ``--source``), each resolved by its API name in ``tf1_recsys.estimator``
  (``estimator.export.ServingInputReceiver`` -> ``tf1_recsys.estimator.export.ServingInputReceiver``).
  A name TensorFlow does not export but ``tf1_recsys.estimator`` does (``TaskType``) is ours.
  A test that reaches another name TensorFlow does not export (``model_fn._TPUEstimatorSpec``)
  is counted as "uses a non-public name" and left out of the pass/fail count, as the
  measure is what a program written against the public API sees. So is a test that patches
  such a name (``mock.patch.object(training, '_TrainingExecutor')``): "patches a private name".
  A test that reads a private attribute our objects lack (``est._session_config``) fails, labelled
  "private attribute missing", apart from the public names we lack.
- a private name that ``install(estimator=True)`` serves as API at that import path counts as
  public: one that our module at the same path (``tf1_recsys.compat.estimator_paths``) lists in
  its ``__all__``. These are the V1 heads of ``canned.head`` (``_binary_logistic_head_with_sigmoid_
  cross_entropy_loss``, ``_regression_head``, their base ``_Head`` ...): TF 1.x programs reach them
  only through that private path, so their tests are tests of the API we replace.
- a name exported with a V1 name (``v1=[...]``) resolves in ``tf.compat.v1.estimator``, any other
  in the V2 namespace (``dnn.DNNClassifierV2`` is our V2 class).
- the test-code modules ``*_testing_utils.py`` (``canned/dnn_testing_utils``, ``linear_testing_utils``,
  their ``_v1`` forms) are imported from ``--source`` as they are; their own imports go through the
  same stand-ins, so only what they reach themselves counts against a test.
- a module of test helpers beside public functions (``TEST_HELPERS``: ``head/head_utils``, imported
  by the head tests as ``test_lib``) gives a public name of ours where ours has it
  (``binary_or_multi_class_head``) and any other name (``_initialize_variables``,
  ``_assert_simple_summaries``) from that module in ``--source``, run as test code whose own
  imports go through these same stand-ins.
- the files of ``V1_MODE_FILES`` (``canned/head_test.py`` and ``canned/v1/*``, whose classes are
  ``run_v1_only``) run after ``tf.compat.v1.disable_v2_behavior()``, as TensorFlow ran them; in
  TF2 mode nearly all their tests are skipped.
- a file pytest cannot collect (a name missing at class definition) is one failed (or left out)
  entry ``<file>::(collection)``, not an empty line.

``--group estimator`` (the default) runs ``TEST_FILES``; ``--group canned`` the canned estimators'
files (``CANNED_TEST_FILES``), ``--group heads`` the heads' (``HEAD_TEST_FILES``); ``--files`` any of them.

Prints, per file and in all, passed / failed / left out, the failures grouped by reason:
a public name we lack, a different exception message, and the rest by exception type and
first line; and the tests left out, by reason. ``--json PATH`` also writes the per-test results.
"""
import argparse
import ast
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TEST_FILES = collections.OrderedDict([
    ("estimator_test", "estimator_test.py"),
    ("run_config_test", "run_config_test.py"),
    ("model_fn_test", "model_fn_test.py"),
    ("export_test", "export/export_test.py"),
    ("numpy_io_test", "inputs/numpy_io_test.py"),
    ("pandas_io_test", "inputs/pandas_io_test.py"),
    ("exporter_test", "exporter_test.py"),
    ("training_test", "training_test.py"),
    ("early_stopping_test", "early_stopping_test.py"),
    ("hooks_test", "hooks/hooks_test.py"),
    ("extenders_test", "extenders_test.py"),
])
# The canned estimators' tests (``--group canned``): kept apart from the files above so that other groups merge
# beside it. ``canned/v1`` holds the V1 classes' tests, nearly all TF1-mode only (skipped in TF2 mode).
CANNED_TEST_FILES = collections.OrderedDict([
    ("baseline_test", "canned/baseline_test.py"),
    ("linear_test", "canned/linear_test.py"),
    ("dnn_test_fc_v2", "canned/dnn_test_fc_v2.py"),
    ("dnn_linear_combined_test", "canned/dnn_linear_combined_test.py"),
    ("baseline_estimator_test", "canned/baseline_estimator_test.py"),
    ("dnn_estimator_test", "canned/dnn_estimator_test.py"),
    ("linear_estimator_test", "canned/linear_estimator_test.py"),
    ("dnn_linear_combined_estimator_test", "canned/dnn_linear_combined_estimator_test.py"),
    ("optimizers_test_v2", "canned/optimizers_test_v2.py"),
    ("parsing_utils_test", "canned/parsing_utils_test.py"),
    ("baseline_test_v1", "canned/v1/baseline_test_v1.py"),
    ("linear_test_v1", "canned/v1/linear_test_v1.py"),
    ("dnn_test_fc_v2_v1", "canned/v1/dnn_test_fc_v2_v1.py"),
    ("dnn_linear_combined_test_v1", "canned/v1/dnn_linear_combined_test_v1.py"),
    ("baseline_estimator_test_v1", "canned/v1/baseline_estimator_test_v1.py"),
    ("dnn_estimator_test_v1", "canned/v1/dnn_estimator_test_v1.py"),
    ("linear_estimator_test_v1", "canned/v1/linear_estimator_test_v1.py"),
    ("dnn_linear_combined_estimator_test_v1", "canned/v1/dnn_linear_combined_estimator_test_v1.py"),
])
# The heads' tests (``--group heads``): the V2 heads of head/ and the V1 heads of canned/head.py.
HEAD_TEST_FILES = collections.OrderedDict([
    ("base_head_test", "head/base_head_test.py"),
    ("binary_class_head_test", "head/binary_class_head_test.py"),
    ("multi_class_head_test", "head/multi_class_head_test.py"),
    ("multi_label_head_test", "head/multi_label_head_test.py"),
    ("regression_head_test", "head/regression_head_test.py"),
    ("multi_head_test", "head/multi_head_test.py"),
    ("sequential_head_test", "head/sequential_head_test.py"),
    ("head_test_v1", "canned/head_test.py"),
])
# Files run in TF1 mode (``tf.compat.v1.disable_v2_behavior()`` before the test imports): the V1 heads' and
# the V1 canned classes' tests are ``run_v1_only`` ("Tests v1 only symbols"), all skipped in TF2 mode.
V1_MODE_FILES = {"head_test_v1"} | {key for key in CANNED_TEST_FILES if key.endswith("_v1")}
# Modules of test helpers the tests import beside the API: {module: our module of its public names, or None}.
# A name ours has comes from ours; any other is read from the module in --source, run as test code.
TEST_HELPERS = {
    "tensorflow_estimator.python.estimator.head.head_utils": "tf1_recsys.estimator.head.head_utils",
}
GROUPS = collections.OrderedDict([("estimator", TEST_FILES), ("canned", CANNED_TEST_FILES), ("heads", HEAD_TEST_FILES)])
ALL_TEST_FILES = collections.OrderedDict(item for files in GROUPS.values() for item in files.items())
PACKAGE_DIR = os.path.join("tensorflow_estimator", "python", "estimator")
# Test code, not API: the test files import these helpers, which run from --source as they are (their own
# imports go through the same stand-ins), so only what they reach themselves counts against a test.
TEST_HELPER_SUFFIXES = ("_testing_utils.py", "_testing_utils_v1.py")
NON_PUBLIC = "non-public tensorflow_estimator name"
PATCHES_PRIVATE = "patches a private name"
LEFT_OUT = {NON_PUBLIC: "uses a non-public name", PATCHES_PRIVATE: PATCHES_PRIVATE}
MISSING = "public name missing in tf1_recsys.estimator"
PRIVATE_MISSING = "private attribute missing in tf1_recsys.estimator"
# A test whose own optimizer is a Keras one: Keras 3 (TF 2.16+) has no tf.keras.optimizers.legacy, and ours takes
# tf.compat.v1.train.Optimizer instances only (docs/MIGRATION.md); counted as failed, under this one reason.
KERAS_OPTIMIZER = "the test's own Keras optimizer (tf.keras.optimizers.legacy)"
HUNG_EXIT = 70  # the exit status of a test process ended because a test hung (the SHIM's)


# ---------------------------------------------------------------------------- public API of the source
def _export_names(call):
    """API names of one ``estimator_export(...)`` call: its string arguments and its ``v1=[...]`` list.

    The ``v1`` names come back as ``compat.v1.<name>`` (``tf.compat.v1.estimator.DNNClassifier``, the V1
    class); the string arguments are the ``tf.estimator`` names (V2, and V1 too where no ``v1=`` is given).
    """
    names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    for keyword in call.keywords:
        if keyword.arg == "v1" and isinstance(keyword.value, (ast.List, ast.Tuple)):
            names += ["compat.v1." + e.value for e in keyword.value.elts if isinstance(e, ast.Constant)]
    return names


def _is_export(node):
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "estimator_export"


def public_api(source):
    """``{module name: {symbol: [API names]}}`` of every module under ``source``'s estimator package."""
    api = {}
    root = os.path.join(source, PACKAGE_DIR)
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".py") or name.endswith("_test.py"):
                continue
            path = os.path.join(folder, name)
            module = os.path.relpath(path, source)[:-3].replace(os.sep, ".")
            module = module[:-len(".__init__")] if module.endswith(".__init__") else module
            with open(path, encoding="utf-8") as f:
                tree = ast.parse(f.read())
            symbols = {}
            for node in ast.walk(tree):
                if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                    for decorator in node.decorator_list:
                        if _is_export(decorator):
                            symbols.setdefault(node.name, []).extend(_export_names(decorator))
                elif isinstance(node, ast.Call) and _is_export(node.func) and node.args:
                    target = node.args[0]
                    if isinstance(target, ast.Name):  # estimator_export("estimator.X")(X)
                        symbols.setdefault(target.id, []).extend(_export_names(node.func))
            api[module] = symbols
    return api


def _module_name(relpath):
    return ".".join(["tensorflow_estimator", "python", "estimator"] + relpath[:-len(".py")].split("/"))


def test_helpers(source):
    """``{module name: path}`` of the test-code modules under ``source`` (``canned.dnn_testing_utils`` ...)."""
    helpers = {}
    root = os.path.join(source, PACKAGE_DIR)
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(TEST_HELPER_SUFFIXES):
                path = os.path.join(folder, name)
                helpers[_module_name(os.path.relpath(path, root).replace(os.sep, "/"))] = path
    return helpers


# ---------------------------------------------------------------------------- inside a test process
SHIM = r'''
import importlib.abc, importlib.machinery, importlib.util, json, os, sys, types
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow
if os.environ.get("TF1_RECSYS_V1_MODE") == "1":
    tensorflow.compat.v1.disable_v2_behavior()
from tf1_recsys.compat import install
install(estimator=True)
import tf1_recsys.estimator as OURS
import tf1_recsys._api.v2.estimator as OURS_V2

from tf1_recsys.compat.estimator_paths import ESTIMATOR_PATHS
import importlib.util

API = json.load(open(os.environ["TF1_RECSYS_ESTIMATOR_API"]))
# Test code (canned's *_testing_utils): {module: path in --source}, imported from there as it is.
TEST_CODE = json.loads(os.environ.get("TF1_RECSYS_ESTIMATOR_TEST_CODE", "{}"))
HELPERS = json.loads(os.environ.get("TF1_RECSYS_TEST_HELPERS", "{}"))
SOURCE_HELPERS = {}
BY_SYMBOL = {}
for _symbols in API.values():
    for _symbol, _names in _symbols.items():
        BY_SYMBOL.setdefault(_symbol, _names)


class NonPublicName(AttributeError):
    pass


class MissingPublicName(AttributeError):
    pass


def resolve(api_names, where):
    for api_name in api_names:
        value, v1 = (OURS, True) if api_name.startswith("compat.v1.") else (OURS_V2, False)
        try:
            for part in api_name.split(".")[3 if v1 else 1:]:
                value = getattr(value, part)
            return value
        except AttributeError:
            continue
    raise MissingPublicName("%s: %s (%s)" % ("public name missing in tf1_recsys.estimator", where,
                                             ", ".join("tf." + n for n in api_names)))


class Shim(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        full = self.__name__ + "." + name
        if full in API or any(m.startswith(full + ".") for m in API):
            return importlib.import_module(full)
        names = API.get(self.__name__, {}).get(name) or BY_SYMBOL.get(name)
        if not names and not name.startswith("_") and name in getattr(OURS, "__all__", ()):
            names = ["estimator." + name]  # not exported by TensorFlow, but ours has it (TaskType)
        if self.__name__ in HELPERS:
            value = helper_name(self.__name__, name)
        elif names:
            value = resolve(names, full)
        else:
            value = served_name(self.__name__, name)
        setattr(self, name, value)
        return value


def helper_name(module, name):
    """``name`` of a test-helper module: ours where ours has that public name, else the source's test code."""
    ours = HELPERS[module]
    if ours and not name.startswith("_") and hasattr(importlib.import_module(ours), name):
        return getattr(importlib.import_module(ours), name)
    if module not in SOURCE_HELPERS:
        path = os.path.join(os.environ["TF1_RECSYS_ESTIMATOR_SOURCE"], *module.split(".")) + ".py"
        spec = importlib.util.spec_from_file_location("tf_estimator_test_code." + module, path)
        code = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(code)
        SOURCE_HELPERS[module] = code
    return getattr(SOURCE_HELPERS[module], name)


def served_name(module, name):
    """A name TensorFlow does not export that install() serves as API at this path: listed in the ``__all__``
    of our module at the same import path (the V1 heads' ``canned.head._binary_logistic_head_...``)."""
    prefix = max((p for p in ESTIMATOR_PATHS if module == p or module.startswith(p + ".")), key=len, default=None)
    if prefix is not None:
        try:
            ours = importlib.import_module(ESTIMATOR_PATHS[prefix] + module[len(prefix):])
        except ImportError:
            ours = None
        if ours is not None and name in getattr(ours, "__all__", ()):
            return getattr(ours, name)
    raise NonPublicName("non-public tensorflow_estimator name: %s.%s" % (module, name))


class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname in TEST_CODE:  # test code, run from the source as it is
            return importlib.util.spec_from_file_location(fullname, TEST_CODE[fullname])
        if fullname == "tensorflow_estimator" or fullname.startswith("tensorflow_estimator."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = Shim(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


for _name in [n for n in sys.modules if n == "tensorflow_estimator" or n.startswith("tensorflow_estimator.")]:
    del sys.modules[_name]
sys.meta_path.insert(0, Finder())
'''

# The per-test records, alarms and resumption of a test process (no TensorFlow: tests/test_run_tf_estimator_tests.py
# runs it alone).
RESUME = r'''
import json, os
import signal, threading, time
import pytest

TEST_TIMEOUT = int(os.environ.get("TF1_RECSYS_TEST_TIMEOUT", "120"))
HUNG_GRACE = 30  # a test still running this long after its alarm is stuck in TensorFlow's C++ (a session run)
RESULTS = os.environ["TF1_RECSYS_RESULTS"]
HUNG_EXIT = 70
_current = {}


def _record(**result):
    with open(RESULTS, "a") as f:
        f.write(json.dumps(result) + "\n")


def _over_time(signum, frame):
    raise TimeoutError("harness: the test ran over %d s (a non-chief waiting for a chief, say)" % TEST_TIMEOUT)


def _hang_watch():
    """Ends the process when a test outlives its alarm: a C++ call never returns to Python to raise it."""
    while True:
        time.sleep(1)
        started = _current.get("started")
        if started is not None and time.time() - started > TEST_TIMEOUT + HUNG_GRACE:
            _record(nodeid=_current["nodeid"], outcome="failed", message="harness: the test hung over %d s "
                    "inside TensorFlow; its process was ended and the file resumed after it" % TEST_TIMEOUT,
                    details="")
            os._exit(HUNG_EXIT)


threading.Thread(target=_hang_watch, daemon=True).start()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    previous = signal.signal(signal.SIGALRM, _over_time)
    signal.alarm(TEST_TIMEOUT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pytest_collection_modifyitems(config, items):
    """Leaves out the tests an earlier process of this file ran (exactly: ``--deselect`` matches by prefix)."""
    if not os.path.exists(RESULTS):
        return
    with open(RESULTS) as f:
        done = {json.loads(line)["nodeid"] for line in f if line.strip()}
    config.hook.pytest_deselected(items=[item for item in items if item.nodeid in done])
    items[:] = [item for item in items if item.nodeid not in done]


def pytest_collectreport(report):
    """A file that cannot be collected (a name missing at class definition) is one failed entry, not silence."""
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        _record(nodeid=report.nodeid + "::(collection)", outcome="failed",
                message=crash.message if crash else str(report.longrepr)[:500], details=str(report.longrepr)[-20000:])


def pytest_runtest_logstart(nodeid, location):
    _current.update(nodeid=nodeid, started=time.time(), outcome="passed", message=None, details="")


def pytest_runtest_logreport(report):
    """One JSON line per test: its first failing phase decides (setup, call, teardown), as pytest's junit."""
    if _current.get("outcome") == "passed":
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            _current.update(outcome="failed", message=crash.message if crash else str(report.longrepr)[:500],
                            details=str(report.longrepr)[-20000:])
        elif report.skipped:
            _current.update(outcome="skipped")


def pytest_runtest_logfinish(nodeid, location):
    _record(nodeid=nodeid, outcome=_current["outcome"], message=_current["message"], details=_current["details"])
    _current.clear()


'''


# ---------------------------------------------------------------------------- classifying failures
def _normalise(text):
    text = re.sub(r"0x[0-9a-f]+", "0x..", text)
    text = re.sub(r"/tmp\S*", "/tmp/...", text)
    return re.sub(r"\d+", "N", text)[:110]


def reason_of(message, details):
    """One reason string per failed test, from pytest's failure message and traceback."""
    text = message or ""
    if NON_PUBLIC in text or NON_PUBLIC in details:
        return NON_PUBLIC
    if re.search(r"<module 'tensorflow_estimator[\w.]*'.*> does not have the attribute", text):
        return PATCHES_PRIVATE  # mock.patch of a name the stand-in module lacks: TensorFlow does not export it
    if MISSING in text:
        return MISSING
    if "keras.optimizers.legacy` is not supported" in text or "tf1_recsys has no Keras optimizers" in text:
        return KERAS_OPTIMIZER + (": none in Keras 3" if "legacy` is not" in text else ": refused by ours")
    missing = re.search(r"has no attribute '?(\w+)|cannot import name '?(\w+)", text)
    if missing:
        label = PRIVATE_MISSING if (missing.group(1) or missing.group(2)).startswith("_") else MISSING
        return label + " (" + _normalise(text.split(":", 1)[-1].strip()) + ")"
    if re.search(r"does not match|not found in|Regex didn't match", text):
        return "exception message differs"
    if re.search(r"\bnot raised\b", text):
        return "expected exception not raised"
    first = text.strip().splitlines()[0] if text.strip() else "(no message)"
    return _normalise(first)


def outcome_of(reason):
    """"left out" for a test that reaches or patches a name TensorFlow does not export, else "failed"."""
    return "left out" if reason in LEFT_OUT else "failed"


def _test_id(nodeid):
    """pytest's ``f.py::Class::test`` as junit names it: ``f.Class::test``."""
    parts = nodeid.split("::")
    if len(parts) == 1:  # a file that did not import
        return nodeid[:-len(".py")] + "::(import)"
    return "%s::%s" % (".".join([parts[0][:-len(".py")]] + parts[1:-1]), parts[-1])


def run_file(source, key, relpath, api_path, python, timeout, test_timeout=120, max_resumes=40, select=None):
    """Runs one tensorflow/estimator test file in a fresh pytest process; returns ``{test id: (outcome, reason)}``."""
    def classify(record):
        reason = reason_of(record["message"] or "", record["details"] or "")
        return outcome_of(reason), reason

    env = {"TF1_RECSYS_ESTIMATOR_API": api_path, "TF1_RECSYS_ESTIMATOR_SOURCE": os.path.abspath(source),
           "TF1_RECSYS_TEST_HELPERS": json.dumps(TEST_HELPERS), "TF1_RECSYS_ESTIMATOR_TEST_CODE": json.dumps(test_helpers(source)),
           "TF1_RECSYS_V1_MODE": "1" if key in V1_MODE_FILES else "0"}
    return run_test_file(os.path.join(source, PACKAGE_DIR, relpath), key, SHIM, classify, python, timeout,
                         env=env, test_timeout=test_timeout,
                         max_resumes=max_resumes, select=select)


def run_test_file(path, key, shim, classify, python, timeout, env=None, test_timeout=120, max_resumes=40,
                  select=None, work=None):
    """Runs the test file ``path`` unchanged (copied as ``key.py``) in a fresh pytest process.

    ``shim`` is the text of the process's ``conftest.py`` (before the per-test records of ``RESUME``);
    ``classify(record)`` gives ``(outcome, reason)`` of a failed test's record; ``env`` adds variables;
    ``work`` is the temporary folder to use (made and removed here when None). Returns
    ``{test id: (outcome, reason)}``. A test that hangs inside TensorFlow (where its alarm cannot
    interrupt it) ends its process; it counts as failed and a new process runs the tests not yet
    run, up to ``max_resumes`` times. A file that cannot be collected (an import error) is the shim's
    one failed ``key::(collection)`` record; a process that ends with no record at all is one failed
    entry ``key::(file)`` with pytest's last line.
    """
    own_work = work is None
    work = work or tempfile.mkdtemp(prefix="tf_tests_")
    deadline = time.time() + timeout
    try:
        shutil.copy(path, os.path.join(work, key + ".py"))
        with open(os.path.join(work, "conftest.py"), "w") as f:
            f.write(shim + RESUME)
        with open(os.path.join(work, "pytest.ini"), "w") as f:
            f.write("[pytest]\n")
        results_path = os.path.join(work, "results.jsonl")
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF1_RECSYS_TEST_TIMEOUT=str(test_timeout),
                   TF1_RECSYS_RESULTS=results_path, **(env or {}))
        env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
        cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors",
               "--rootdir", work, "-c",
               os.path.join(work, "pytest.ini"), key + ".py"] + (["-k", select] if select else [])
        records, finished, last_line = [], False, ""
        for _ in range(max_resumes + 1):  # each process leaves out the tests in results.jsonl (the SHIM)
            try:
                proc = subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      timeout=max(1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                break
            lines = [line for line in proc.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
            last_line = next((line for line in reversed(lines) if "Error" in line), lines[-1] if lines else "")
            if os.path.exists(results_path):
                with open(results_path) as f:
                    records = [json.loads(line) for line in f if line.strip()]
            if proc.returncode != HUNG_EXIT:
                finished = True
                break
        results = {}
        for record in records:
            test_id = _test_id(record["nodeid"])
            results[test_id] = classify(record) if record["outcome"] == "failed" else (record["outcome"], None)
        if not finished:
            results[key + "::(file)"] = ("failed", "the file did not run to the end (timeout or crash)")
        elif not records and proc.returncode not in (0, 5):
            results[key + "::(file)"] = ("failed", "the file did not import: " + _normalise(last_line.strip()))
        return results
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)


class Tally(object):
    """Per-file and total counts of ``{test id: (outcome, reason)}`` results, printed as a table."""

    def __init__(self, width=22):
        self.width = width
        self.totals, self.reasons, self.left_out, self.everything = (collections.Counter(), collections.Counter(),
                                                                     collections.Counter(), {})
        print("%-*s %7s %7s %9s %8s" % (width, "file", "passed", "failed", "left out", "skipped"))

    def _row(self, name, counts):
        print("%-*s %7d %7d %9d %8d" % (self.width, name, counts["passed"], counts["failed"], counts["left out"],
                                        counts["skipped"]), flush=True)

    def add(self, key, results):
        """Counts one file's results and prints its row."""
        counts = collections.Counter(outcome for outcome, _ in results.values())
        self.totals.update(counts)
        self.reasons.update(reason for outcome, reason in results.values() if outcome == "failed")
        self.left_out.update(reason for outcome, reason in results.values() if outcome == "left out")
        self.everything[key] = results
        self._row(key, counts)

    def total(self):
        self._row("all", self.totals)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="checkout of tensorflow/estimator (v2.15.0)")
    parser.add_argument("--group", choices=list(GROUPS), default="estimator",
                        help="which files to run when --files is not given: " + ", ".join(
                            "%s (%s)" % (name, " ".join(files)) for name, files in GROUPS.items()))
    parser.add_argument("--files", nargs="*", choices=list(ALL_TEST_FILES))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per test file")
    parser.add_argument("--test-timeout", type=int, default=120, help="seconds per test (then it fails; a test "
                        "stuck in TensorFlow 30 s longer ends its process, and the file resumes after it)")
    parser.add_argument("-k", dest="select", help="only the tests pytest's -k expression selects (not a figure "
                        "to report: the denominator is the selection)")
    parser.add_argument("--json", help="write the per-test outcomes and reasons here")
    parser.add_argument("--reasons", type=int, default=40, help="how many failure reasons to print")
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.source, PACKAGE_DIR)):
        parser.error("--source %r holds no %s" % (args.source, PACKAGE_DIR))
    files = args.files or list(GROUPS[args.group])
    api = public_api(args.source)
    api_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(api, api_file)
    api_file.close()
    tally = Tally(width=max(len(key) for key in files) + 2)
    try:
        for key in files:
            tally.add(key, run_file(args.source, key, ALL_TEST_FILES[key], api_file.name, args.python, args.timeout,
                                    args.test_timeout, select=args.select))
    finally:
        os.unlink(api_file.name)
    totals, reasons, left_out, everything = tally.totals, tally.reasons, tally.left_out, tally.everything
    counted = totals["passed"] + totals["failed"]
    tally.total()
    print("\n%d of %d tests that use only public names pass (%d left out: %d use a non-public name, %d patch a "
          "private name; %d skipped, as on TensorFlow's own run: TF2 mode, TF1 mode for V1_MODE_FILES)."
          % (totals["passed"], counted, totals["left out"], left_out[NON_PUBLIC], left_out[PATCHES_PRIVATE],
             totals["skipped"]))
    print("\nfailures by reason:")
    for reason, count in reasons.most_common(args.reasons):
        print("%5d  %s" % (count, reason))
    print("\nleft out, by reason:")
    for reason, label in LEFT_OUT.items():
        print("%5d  left out (%s)" % (left_out[reason], label))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(everything, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
