"""Runs TensorFlow's own legacy-layer tests, unmodified, against ``tf1_recsys.compat.layers``.

The tests are tf_keras's ``tf_keras/legacy_tf_layers/{base,core,convolutional,normalization,
pooling}_test.py`` (the tests of ``tf.compat.v1.layers``). They are NOT part of this repository;
get them from https://github.com/keras-team/tf-keras (for example
``git clone --depth 1 https://github.com/keras-team/tf-keras`` and pass
``tf-keras/tf_keras/legacy_tf_layers``) and give their folder on the command line::

    PYTHONPATH=. python tools/run_tf_layer_tests.py /path/to/tf-keras/tf_keras/legacy_tf_layers [-v]

The files are read and run as they are; only the names they import are resolved here:

- ``tf_keras.legacy_tf_layers.{base,core,convolutional,normalization,pooling}`` -> the modules of
  ``tf1_recsys.compat.layers``;
- ``tf_keras.engine.input_spec`` -> TensorFlow's own ``InputSpec`` class (the one in
  ``tensorflow.python.keras``, part of the TensorFlow distribution), so the layers are shown
  input specs that are not ours, as user code written against TensorFlow builds them;
- ``tf_keras.backend.name_scope`` -> ``tf.name_scope``;
- ``tf_keras.testing_infra.test_combinations`` -> the graph-mode combination only.

The process runs as a TF1 program does, after ``tf.compat.v1.disable_v2_behavior()`` (graph
mode, reference variables); ``--behavior v2`` only disables eager execution (graph mode with
TensorFlow 2's resource variables and control flow), where the tests marked v1-only run too. Tests that need eager execution or Keras's own ``Layer`` are
skipped with the reason: the eager combination of each ``test_combinations`` test, tests
decorated to run eagerly, and tests that use ``keras_base_layer.Layer`` / ``keras_style_scope``.
tf_keras itself is never imported (``import tf_keras.<anything else>`` fails).

``--against tf_keras`` runs the same files, with the same graph-mode rules and skips, against
tf_keras's own layers instead (TensorFlow 2.16+ with tf_keras installed; ``TF_USE_LEGACY_KERAS=1``
is set here): the baseline the counts of ours are compared with.

Prints, per file, the tests that passed, failed (assertion or error) and were skipped, then
the total; ``-v`` also lists each failure with its last error line.
"""
import argparse
import functools
import importlib.util
import os
import sys
import types
import unittest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FILES = ("base_test", "core_test", "convolutional_test", "normalization_test", "pooling_test")
EAGER_REASON = "needs eager execution; tf1_recsys.compat.layers is graph-mode only"
KERAS_REASON = "tests Keras's own Layer (keras_base_layer.Layer / keras_style_scope), not tf.compat.v1.layers"


def _module(name, attrs=None, missing=None):
    """A module ``name`` with ``attrs``; a ``missing`` attribute raises SkipTest(missing[attr])."""
    module = types.ModuleType(name)
    module.__path__ = []  # a package: its unknown submodules fail to import
    module.__dict__.update(attrs or {})
    if missing:
        def __getattr__(attr):
            if attr in missing:
                raise unittest.SkipTest(missing[attr])
            raise AttributeError("module %r has no attribute %r" % (name, attr))
        module.__getattr__ = __getattr__
    sys.modules[name] = module
    return module


def _proxy(name, target, missing):
    """A module ``name`` that reads ``target``'s attributes; the names in ``missing`` skip the test."""
    module = types.ModuleType(name)

    def __getattr__(attr):
        if attr in missing:
            raise unittest.SkipTest(missing[attr])
        return getattr(target, attr)
    module.__getattr__ = __getattr__
    sys.modules[name] = module
    return module


def _combinations():
    """``test_combinations.generate/combine`` running the 'graph' combination; 'eager' skips."""
    import tensorflow as tf

    def combine(**kwargs):
        return [dict(mode=mode) for mode in kwargs.get("mode", ["graph"])]

    def variant(fn, mode):
        @functools.wraps(fn)
        def run(self, *args, **kwargs):
            if mode != "graph":
                self.skipTest(EAGER_REASON)
            with tf.Graph().as_default():
                return fn(self, *args, **kwargs)
        return run

    def expand(fn, modes):
        return {"%s_test_mode_%s" % (fn.__name__, mode): variant(fn, mode) for mode in modes}

    def generate(combos):
        modes = [c["mode"] for c in combos]

        def decorate(target):
            if isinstance(target, type):
                for attr in [a for a in vars(target) if a.startswith("test")]:
                    fn = getattr(target, attr)
                    delattr(target, attr)
                    for name, method in expand(fn, modes).items():
                        setattr(target, name, method)
                return target
            return _Expanded(expand(target, modes))  # a method: unpacked onto its class by load_tests
        return decorate

    return _module("tf_keras.testing_infra.test_combinations", {"combine": combine, "generate": generate})


class _Expanded(object):
    """A decorated test method standing for one method per mode; ``_unpack_expanded`` puts them on its class."""

    def __init__(self, methods):
        self.methods = methods


def _unpack_expanded(cls):
    """Replaces each ``_Expanded`` attribute of ``cls`` by the test methods it stands for."""
    for attr, value in list(vars(cls).items()):
        if isinstance(value, _Expanded):
            delattr(cls, attr)
            for name, method in value.methods.items():
                setattr(cls, name, method)


def install_aliases(behavior="v1", against="ours"):
    """Resolves the names the test files import from tf_keras (see the module docstring)."""
    import tensorflow as tf
    from tensorflow.python.framework import test_util
    from tensorflow.python.keras.engine import input_spec as tf_input_spec

    from tf1_recsys.compat.layers import base, convolutional, core, normalization, pooling

    def runs_eagerly(*_args, **_kwargs):
        def decorate(fn):
            @functools.wraps(fn)
            def skipped(self, *args, **kwargs):
                self.skipTest(EAGER_REASON)
            return skipped
        return decorate

    test_util.assert_no_new_pyobjects_executing_eagerly = runs_eagerly
    if behavior == "v2":  # v1-only tests need graph mode, which the whole run is in
        test_util.run_v1_only = lambda *_args, **_kwargs: (lambda target: target)
    if against == "tf_keras":  # the installed package keeps these modules under tf_keras.src
        for name in ("legacy_tf_layers.base", "legacy_tf_layers.core", "legacy_tf_layers.convolutional",
                     "legacy_tf_layers.normalization", "legacy_tf_layers.pooling", "engine.base_layer",
                     "engine.input_spec", "backend"):
            importlib.import_module("tf_keras.src." + name)
        for name in ("legacy_tf_layers", "engine", "backend", "testing_infra"):
            sys.modules["tf_keras." + name] = importlib.import_module("tf_keras.src." + name)
        sys.modules["tf_keras.testing_infra"].test_combinations = _combinations()
        return

    from tf1_recsys.compat.layers.default_initializer import follow_keras_defaults

    follow_keras_defaults(True)  # as after install(): TensorFlow's default initializers under v2 behaviour
    root = _module("tf_keras")
    legacy = _module("tf_keras.legacy_tf_layers")
    root.legacy_tf_layers = legacy
    for short, ours in (("core", core), ("convolutional", convolutional), ("normalization", normalization),
                        ("pooling", pooling)):
        sys.modules["tf_keras.legacy_tf_layers." + short] = ours
        setattr(legacy, short, ours)
    legacy.base = _proxy("tf_keras.legacy_tf_layers.base", base, {"keras_style_scope": KERAS_REASON})
    root.backend = _module("tf_keras.backend", {"name_scope": tf.name_scope})
    engine = root.engine = _module("tf_keras.engine")
    engine.base_layer = _module("tf_keras.engine.base_layer", missing={"Layer": KERAS_REASON})
    sys.modules["tf_keras.engine.input_spec"] = engine.input_spec = tf_input_spec
    infra = root.testing_infra = _module("tf_keras.testing_infra")
    infra.test_combinations = _combinations()


def load_tests(path, name):
    spec = importlib.util.spec_from_file_location("legacy_tf_layers_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, unittest.TestCase):
            _unpack_expanded(value)
    return unittest.defaultTestLoader.loadTestsFromModule(module)


class _Tally(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.passed = []

    def addSuccess(self, test):
        self.passed.append(test)


def _last_line(err_text):
    lines = [line for line in err_text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="tf_keras/legacy_tf_layers of a tf-keras checkout (the *_test.py files)")
    parser.add_argument("--files", default=",".join(FILES), help="comma-separated test files (no .py)")
    parser.add_argument("-k", default=None, help="run only the tests whose id contains this")
    parser.add_argument("-v", "--verbose", action="store_true", help="list each failure and skip reason")
    parser.add_argument("--behavior", choices=("v1", "v2"), default="v1",
                        help="v1: after disable_v2_behavior() (default); v2: only eager execution disabled")
    parser.add_argument("--against", choices=("ours", "tf_keras"), default="ours",
                        help="ours: tf1_recsys.compat.layers (default); tf_keras: tf_keras's layers, the baseline")
    args = parser.parse_args(argv)

    if args.against == "tf_keras":
        os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow's first import
    else:
        os.environ.pop("TF_USE_LEGACY_KERAS", None)
    import tensorflow as tf
    if args.behavior == "v1":
        tf.compat.v1.disable_v2_behavior()
    else:
        tf.compat.v1.disable_eager_execution()
    install_aliases(args.behavior, args.against)

    totals = [0, 0, 0]
    rows = []
    for name in args.files.split(","):
        path = os.path.join(args.folder, name + ".py")
        if not os.path.isfile(path):
            print("run_tf_layer_tests: error: %s not found (give tf_keras/legacy_tf_layers of a tf-keras "
                  "checkout)" % path, file=sys.stderr)
            return 2
        suite = unittest.TestSuite(t for t in _flatten(load_tests(path, name))
                                   if not t.id().endswith(".test_session") and (not args.k or args.k in t.id()))
        result = _Tally()
        suite.run(result)
        failed = result.failures + result.errors
        counts = [len(result.passed), len(failed), len(result.skipped)]
        totals = [a + b for a, b in zip(totals, counts)]
        rows.append((name, counts))
        if args.verbose:
            for test, err in sorted(failed, key=lambda item: item[0].id()):
                print("FAIL %s: %s" % (test.id().split(".", 1)[1], _last_line(err)))
            for test, reason in sorted(result.skipped, key=lambda item: item[0].id()):
                print("skip %s: %s" % (test.id().split(".", 1)[1], reason))
    print("%-20s %6s %6s %7s" % ("file", "passed", "failed", "skipped"))
    for name, (passed, failed, skipped) in rows:
        print("%-20s %6d %6d %7d" % (name, passed, failed, skipped))
    print("%-20s %6d %6d %7d" % ("total", totals[0], totals[1], totals[2]))
    return 0 if totals[1] == 0 else 1


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


if __name__ == "__main__":
    sys.exit(main())
