"""The reference for TensorFlow's own ``tf.compat.v1.layers`` is the one each release needs."""
import pytest

from tests.legacy import REFERENCE, choose_reference, needs_reference, run_reference


@pytest.mark.parametrize("tf_version", ["2.12.1", "2.13.0", "2.14.1", "2.15.0.post1", "2.15.1"])
@pytest.mark.parametrize("tf_keras_version", [None, "2.15.0", "2.21.0"])
def test_up_to_2_15_the_reference_is_native_whatever_tf_keras_is_installed(tf_version, tf_keras_version):
    ref = choose_reference(tf_version, tf_keras_version)
    assert ref.missing == ""
    assert ref.name == "native tf.compat.v1.layers of TensorFlow " + tf_version
    assert ref.env == {"TF_USE_LEGACY_KERAS": None}  # removed: the layers run on TensorFlow's Keras 2


@pytest.mark.parametrize("tf_version,tf_keras_version", [("2.16.2", "2.16.0"), ("2.21.0", "2.21.0"),
                                                         ("2.22.0rc1", "2.22.0rc0")])
def test_from_2_16_the_reference_is_tf_keras_of_the_same_minor(tf_version, tf_keras_version):
    ref = choose_reference(tf_version, tf_keras_version)
    assert ref.missing == ""
    assert ref.env == {"TF_USE_LEGACY_KERAS": "1"}
    assert "tf_keras " + tf_keras_version in ref.name and tf_version in ref.name


def test_missing_tf_keras_is_named_with_the_command_that_installs_it():
    ref = choose_reference("2.21.0", None)
    assert ref.missing == ('TF 2.21 needs tf_keras 2.21.* installed with --no-deps; found none '
                           '(pip install --no-deps "tf_keras==2.21.*")')


def test_tf_keras_of_another_minor_is_named_with_both_versions():
    ref = choose_reference("2.21.0", "2.20.0")
    assert ref.missing == ('tf_keras 2.20.0 does not match TF 2.21 '
                           '(pip install --no-deps "tf_keras==2.21.*")')
    assert choose_reference("2.16.1", "2.1.6").missing.startswith("tf_keras 2.1.6 does not match TF 2.16")


@needs_reference
def test_the_reference_script_runs_on_the_layers_the_reference_names(tmp_path):
    result = run_reference("""
        import json, os, sys
        import tensorflow as tf
        with tf.Graph().as_default():
            y = tf.compat.v1.layers.dense(tf.compat.v1.placeholder(tf.float32, [None, 3]), 2)
        print(json.dumps({"tf_keras": "tf_keras" in sys.modules,
                          "legacy_env": os.environ.get("TF_USE_LEGACY_KERAS"),
                          "shape": y.shape.as_list(), "version": tf.version.VERSION}))
    """, tmp_path)
    assert result["shape"] == [None, 2]
    assert result["version"] in REFERENCE.name
    if REFERENCE.name.startswith("native"):
        assert not result["tf_keras"] and result["legacy_env"] is None
    else:
        assert result["tf_keras"] and result["legacy_env"] == "1"
