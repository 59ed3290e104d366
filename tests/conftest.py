"""Shared test set-up: one TensorFlow import per pytest process, and no tf_keras in it.

The library must never depend on tf_keras. Blocking it here makes every in-process test
a test of that; the cross-checks against TensorFlow's own ``tf.compat.v1.layers`` run
in subprocesses (``tests/legacy.py``), natively on TensorFlow <= 2.15 and with tf_keras
enabled on 2.16+. TensorFlow 2.12-2.15 import their own Keras 2, which cannot be blocked;
the library has no per-release code, so the 2.16+ run is the one that proves it needs no Keras.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.modules["tf_keras"] = None  # any `import tf_keras` in this process raises ImportError

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tf1_recsys._tf import tf  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _children_without_keras():
    """On TensorFlow 2.16+ the suite's subprocesses import TensorFlow without Keras 3 (and the scikit-learn
    it pulls in): ``tests/child_site/sitecustomize.py``. ``TF1_RECSYS_TEST_CHILD_KERAS=1`` keeps it."""
    if tuple(int(p) for p in tf.version.VERSION.split(".")[:2]) < (2, 16):
        return  # Keras 2 is TensorFlow's own tf.compat.v1.layers there: the references need it
    os.environ.setdefault("TF1_RECSYS_TEST_CHILD_KERAS", "0")
    site = os.path.join(REPO, "tests", "child_site")
    os.environ["PYTHONPATH"] = os.pathsep.join([site] + [p for p in os.environ.get("PYTHONPATH", "").split(
        os.pathsep) if p and p != site])


_children_without_keras()

MOVIELENS = os.environ.get(
    "TF1_RECSYS_MOVIELENS", os.path.join(os.path.dirname(REPO), "shared", "data", "ml-latest-small")
)
CLI_SMALL = ["--model", "fm", "--data", "synthetic", "--rows", "3000", "--batch-size", "64", "--no-progress"]
"""The `train` flags of the command-line tests' small run: 2400 training rows, 38 steps an epoch."""


def pytest_report_header(config):
    try:
        from tests.legacy import REFERENCE
    except RuntimeError as e:  # TF1_RECSYS_REQUIRE_REFERENCE=1 without one: the tests that import it fail
        return "tf.compat.v1.layers reference: " + str(e)
    return "tf.compat.v1.layers reference: " + (REFERENCE.name if not REFERENCE.missing
                                                 else "none: " + REFERENCE.missing)


@pytest.fixture
def graph():
    """A fresh default graph with a fixed graph-level seed."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1234)
        yield g


@pytest.fixture
def sess(graph):
    """A session on the ``graph`` fixture."""
    with tf.Session(graph=graph) as s:
        yield s


@pytest.fixture(scope="session")
def trained_fm(tmp_path_factory):
    """One folder the command trained for one epoch (CLI_SMALL), shared by the command-line tests:
    a test that changes a folder works on ``trained_fm_copy``."""
    import contextlib
    import io

    from tf1_recsys.cli import main

    out = tmp_path_factory.mktemp("trained") / "fm"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        rc = main(["train", *CLI_SMALL, "--out", str(out), "--epochs", "1"])
    assert rc == 0, err.getvalue()
    return out


@pytest.fixture
def trained_fm_copy(trained_fm, tmp_path):
    """A copy of ``trained_fm`` at tmp_path/fm; its checkpoint state names the copy's own files."""
    import shutil

    copy = tmp_path / "fm"
    shutil.copytree(str(trained_fm), str(copy))
    assert os.path.dirname(tf.train.latest_checkpoint(str(copy))) == str(copy)
    return copy


@pytest.fixture
def rng():
    return np.random.default_rng(0)
