"""Packaging promises: the import guard, no global TensorFlow state, the declared extras."""
import importlib
import importlib.metadata
import os
import pkgutil
import subprocess
import sys

import pytest
import tensorflow

import tf1_recsys
from tf1_recsys._tf import tf


def test_import_without_tensorflow_names_the_extra_to_install():
    code = "import sys; sys.modules['tensorflow'] = None; import tf1_recsys"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: tf1_recsys needs TensorFlow 2.x")
    assert "pip install 'tf1_recsys[cpu]'" in last and "'tf1_recsys[gpu]'" in last


@pytest.mark.parametrize("first", ["import tf1_recsys.estimator as E; E.Estimator",
                                   "import tf1_recsys.estimator.train_op",
                                   "import tf1_recsys.training"])
def test_the_estimator_and_training_import_in_any_order(first):
    """estimator.train_op imports training, whose Trainer imports the estimator: no order may break."""
    code = first + "; import tf1_recsys.estimator as E, tf1_recsys.training as T; E.Estimator; E.minimize; T.Trainer"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_importing_every_module_leaves_global_tensorflow_state_alone():
    names = [m.name for m in pkgutil.walk_packages(tf1_recsys.__path__, "tf1_recsys.")
             if not m.name.endswith("__main__")]
    assert "tf1_recsys.layers.core" in names
    for name in names:
        importlib.import_module(name)
    assert tf.executing_eagerly()
    assert tensorflow.__internal__.tf2.enabled()
    assert tf.resource_variables_enabled()
    assert tf.control_flow_v2_enabled()
    assert not any(m == "tf_keras" or m.startswith("tf_keras.") for m, mod in sys.modules.items()
                   if mod is not None)


def test_setup_declares_the_extras_and_the_console_script():
    dist = importlib.metadata.distribution("tf1_recsys")
    requires = dist.requires or []
    assert any(r.startswith("tensorflow-cpu>=2.12") and "extra == \"cpu\"" in r for r in requires)
    assert any(r.startswith("tensorflow[and-cuda]>=2.12") and "extra == \"gpu\"" in r for r in requires)
    for package in ("pytest", "scikit-learn"):
        assert any(r.startswith(package) and "extra == \"test\"" in r for r in requires), package
    # tf_keras requires the full `tensorflow`: in an extra it would install a second TensorFlow.
    # No extra but cpu and gpu names TensorFlow or anything that requires it.
    for extra in ("test", "demo"):
        names = [r.split(";")[0] for r in requires if "extra == \"%s\"" % extra in r]
        assert not [n for n in names if n.startswith(("tf_keras", "tf-keras", "tensorflow", "keras"))], names
    for package in ("matplotlib", "scikit-learn"):
        assert any(r.startswith(package) and "extra == \"demo\"" in r for r in requires), package
    assert not any(r.startswith("tf_keras") and "extra" not in r for r in requires)
    scripts = {ep.name: ep.value for ep in dist.entry_points if ep.group == "console_scripts"}
    assert scripts == {"tf1-recsys": "tf1_recsys.cli:main"}
    assert dist.version == tf1_recsys.__version__
