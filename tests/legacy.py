"""Runs a script against TensorFlow's own ``tf.compat.v1.layers`` (tf_keras) in a subprocess.

``TF_USE_LEGACY_KERAS=1`` must be set before TensorFlow is first imported, so the
reference side of every cross-check runs in a separate Python process.
"""
import importlib.machinery
import json
import os
import subprocess
import sys
import textwrap

import pytest

# PathFinder looks on disk: conftest blocks tf_keras in sys.modules of the pytest process.
HAVE_TF_KERAS = importlib.machinery.PathFinder.find_spec("tf_keras") is not None
needs_tf_keras = pytest.mark.skipif(not HAVE_TF_KERAS, reason="tf_keras is not installed")


def run_legacy(script, workdir, timeout=600):
    """Runs ``script`` with tf_keras enabled in ``workdir``; returns the JSON it prints last."""
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=str(workdir), env=env, capture_output=True, text=True, timeout=timeout,
    )
    if proc.returncode != 0:
        raise AssertionError("legacy script failed:\n" + proc.stdout[-4000:] + proc.stderr[-8000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])
