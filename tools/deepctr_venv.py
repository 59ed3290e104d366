#!/usr/bin/env python
"""A virtual environment with DeepCTR 0.9.4, the peer the benchmarks compare against.

    python tools/deepctr_venv.py                 # creates .venv-deepctr/ (once) and prints its python
    python tools/deepctr_venv.py --path DIR --tf 2.21

DeepCTR is a Keras library: on TensorFlow 2.16+ it needs ``tf_keras`` and
``TF_USE_LEGACY_KERAS=1``. Neither may enter the package's environment (tf1_recsys never
depends on Keras), so the benchmarks run DeepCTR in this separate environment, as a
subprocess: ``ensure()`` returns its python and ``environment()`` the variables to run it
with. ``tensorflow-cpu`` and ``tf_keras`` are installed with the same minor version and
``tf_keras`` without its dependencies, so the environment holds one TensorFlow.
"""
import argparse
import os
import platform
import subprocess
import sys
import venv

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(REPO, ".venv-deepctr")
DEEPCTR = "deepctr==0.9.4"
MARKER = "tf1_recsys_deepctr_ready"


def _python(path):
    return os.path.join(path, "Scripts" if platform.system() == "Windows" else "bin", "python")


def environment():
    """The environment a DeepCTR subprocess runs with (legacy Keras, quiet TensorFlow, no GPU probing)."""
    env = dict(os.environ)
    env.update({"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""})
    env.pop("PYTHONPATH", None)
    return env


def ensure(path=DEFAULT_PATH, tf_version="2.21", quiet=True):
    """Creates the environment unless it is complete; returns the path of its python."""
    python = _python(path)
    marker = os.path.join(path, MARKER)
    wanted = "tensorflow-cpu==%s.* tf_keras==%s.* %s" % (tf_version, tf_version, DEEPCTR)
    if os.path.exists(marker):
        with open(marker) as f:
            if f.read().strip() == wanted:
                return python
        raise SystemExit("deepctr_venv: %s was made for %s, not %s; remove it or pass another --path."
                         % (path, open(marker).read().strip(), wanted))
    venv.create(path, with_pip=True, clear=True)
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check"] + (["-q"] if quiet else [])
    subprocess.run(pip + ["tensorflow-cpu==%s.*" % tf_version, "h5py", "requests"], check=True)
    subprocess.run(pip + ["--no-deps", "tf_keras==%s.*" % tf_version, DEEPCTR], check=True)
    check = ("import tensorflow as tf, deepctr.models, tf_keras; "
             "assert tf.keras.Model.__module__.startswith('tf_keras'), tf.keras.Model.__module__; "
             "print(tf.__version__)")
    subprocess.run([python, "-c", check], check=True, env=environment(), stdout=subprocess.DEVNULL)
    with open(marker, "w") as f:
        f.write(wanted + "\n")
    return python


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--path", default=DEFAULT_PATH)
    p.add_argument("--tf", default="2.21", help="TensorFlow minor version of the environment (>= 2.16)")
    a = p.parse_args(argv)
    print(ensure(a.path, a.tf, quiet=False))


if __name__ == "__main__":
    sys.exit(main())
