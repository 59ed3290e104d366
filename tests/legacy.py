"""The reference for TensorFlow's own ``tf.compat.v1.layers``, chosen per release, run in a subprocess.

- TensorFlow 2.12-2.15 ships Keras 2, so ``tf.compat.v1.layers`` works natively: the reference
  script runs on TensorFlow alone.
- TensorFlow 2.16+ ships Keras 3, where ``tf.compat.v1.layers`` raises; it works again with
  ``tf_keras`` of the same minor version and ``TF_USE_LEGACY_KERAS=1`` set before TensorFlow is
  first imported. ``tf_keras`` requires the full ``tensorflow`` package, so it is installed without
  its dependencies (``pip install --no-deps "tf_keras==2.21.*"`` on TensorFlow 2.21), which keeps
  the one TensorFlow distribution that is installed.

Either way the reference side runs in its own Python process: the pytest process never imports
tf_keras (``tests/conftest.py``). A test marked ``needs_reference`` is skipped with a reason that says
exactly what is missing; with ``TF1_RECSYS_REQUIRE_REFERENCE=1`` (CI) a missing reference is an error.
"""
import collections
import importlib.metadata
import os
import sys
import textwrap

import pytest
import tensorflow

from json_process import JsonProcess

LAST_NATIVE = (2, 15)
"""The last TensorFlow release whose ``tf.compat.v1.layers`` works without tf_keras."""

Reference = collections.namedtuple("Reference", "name env missing")
Reference.__doc__ = """What runs the reference side.

``name``: a one-line description (printed in pytest's header); ``env``: the variables the
subprocess needs (a value ``None`` removes it); ``missing``: why there is no reference, or ``""``.
"""


def _minor(version):
    """``"2.21.0"`` -> ``(2, 21)``."""
    major, minor = version.split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()))


def _installed_version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def choose_reference(tf_version, tf_keras_version):
    """The reference for TensorFlow ``tf_version`` given the installed tf_keras (``None``: none)."""
    tf_minor = _minor(tf_version)
    short = "%d.%d" % tf_minor
    if tf_minor <= LAST_NATIVE:
        return Reference("native tf.compat.v1.layers of TensorFlow %s" % tf_version,
                         {"TF_USE_LEGACY_KERAS": None}, "")
    install = 'pip install --no-deps "tf_keras==%s.*"' % short
    if tf_keras_version is None:
        return Reference("none", {}, "TF %s needs tf_keras %s.* installed with --no-deps; found none (%s)"
                         % (short, short, install))
    if _minor(tf_keras_version) != tf_minor:
        return Reference("none", {}, "tf_keras %s does not match TF %s (%s)" % (tf_keras_version, short, install))
    return Reference("tf_keras %s with TF_USE_LEGACY_KERAS=1 on TensorFlow %s" % (tf_keras_version, tf_version),
                     {"TF_USE_LEGACY_KERAS": "1"}, "")


REFERENCE = choose_reference(tensorflow.version.VERSION, _installed_version("tf_keras"))
if REFERENCE.missing and os.environ.get("TF1_RECSYS_REQUIRE_REFERENCE") == "1":
    raise RuntimeError("TF1_RECSYS_REQUIRE_REFERENCE=1 but there is no reference for "
                       "tf.compat.v1.layers: " + REFERENCE.missing)

needs_reference = pytest.mark.skipif(bool(REFERENCE.missing), reason=REFERENCE.missing)
needs_tf_keras = needs_reference  # the earlier name


def run_reference(script, workdir, timeout=600):
    """Runs ``script`` against TensorFlow's own ``tf.compat.v1.layers`` in ``workdir``.

    The script runs in a fresh Python process with the reference enabled and prints a JSON
    value as its last line, which is returned. Skips the calling test when there is no reference.
    """
    with start_reference(script, workdir, timeout) as reference:
        return reference.result()


def start_reference(script, workdir, timeout=600):
    """Starts ``script`` as ``run_reference`` runs it, without waiting: the caller's own side runs
    meanwhile on the other core. A script that needs the caller's files waits for them with
    ``wait_for(path)`` (``WAIT_FOR_SOURCE``); the caller writes them whole (e.g. a marker file last).

    Returns:
      ``JsonProcess`` (tests/json_process.py). Skips the calling test when there is no reference.
    """
    if REFERENCE.missing:
        pytest.skip(REFERENCE.missing)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    for key, value in REFERENCE.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return JsonProcess([sys.executable, "-c", textwrap.dedent(script)], env, timeout,
                       "reference script (%s)" % REFERENCE.name, cwd=str(workdir))


WAIT_FOR_SOURCE = '''
def wait_for(path, timeout=600):
    """Waits until the test process has written ``path`` (it writes it last)."""
    import os, time
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if time.time() > deadline:
            raise SystemExit("the test process wrote no %s within %d s" % (path, timeout))
        time.sleep(0.1)
'''


run_legacy = run_reference  # the earlier name


if __name__ == "__main__":  # `python tests/legacy.py`: which reference the tests would use
    print(REFERENCE.name if not REFERENCE.missing else "none: " + REFERENCE.missing)
