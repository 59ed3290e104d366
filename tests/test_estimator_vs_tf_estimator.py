"""tf1_recsys.estimator against TensorFlow's own ``tf.estimator`` on the same ``model_fn`` (TF <= 2.15).

The user's model of tests/estimator_user_model.py runs on each implementation in its own
process (tests/estimator_side.py). With the same ``RunConfig(tf_random_seed=3)`` both must
build the same graph in the same order, so the variables, the evaluation, the predictions
and the checkpoint files agree exactly; and a ``model_dir`` written by ``tf.estimator``
trains on with tf1_recsys as it would have with ``tf.estimator``: the old checkpoint of a
user who changes the import.

``tf.estimator`` left TensorFlow with 2.16: on newer releases these tests are skipped,
and the oldest-TensorFlow run of ``.ci/run`` (2.12) runs them.
"""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow

HERE = os.path.dirname(os.path.abspath(__file__))
HAS_TF_ESTIMATOR = (tuple(int(p) for p in tensorflow.version.VERSION.split(".")[:2]) <= (2, 15)
                    and importlib.util.find_spec("tensorflow_estimator") is not None)
pytestmark = pytest.mark.skipif(not HAS_TF_ESTIMATOR, reason="tf.estimator exists only up to TensorFlow 2.15 "
                                "(this is %s)" % tensorflow.version.VERSION)


def _side(impl, model_dir=None, *steps, snapshot=None, mode=None):
    cmd = [sys.executable, os.path.join(HERE, "estimator_side.py"), "--impl", impl]
    if mode is not None:
        cmd.append(mode)
    elif model_dir is None:
        cmd.append("--numpy-batches")
    else:
        cmd += ["--model-dir", str(model_dir), "--max-steps"] + [str(s) for s in steps]
    cmd += ["--snapshot", str(snapshot)] if snapshot else []
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-6000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vs_tf_estimator")
    reference = _side("tf", tmp / "tf", 20, 30, snapshot=tmp / "tf_at_20")  # tf.estimator: 20 steps, then 30
    ours = _side("tf1_recsys", tmp / "ours", 20)
    resumed = _side("tf1_recsys", tmp / "tf_at_20", 30)  # tf.estimator's model_dir, trained on by ours
    return reference, ours, resumed


def _assert_same(ours, reference):
    assert ours["checkpoint"] == reference["checkpoint"]
    assert ours["files"] == reference["files"]
    assert sorted(ours["variables"]) == sorted(reference["variables"])
    for name, value in reference["variables"].items():
        np.testing.assert_allclose(ours["variables"][name], value, rtol=1e-6, atol=1e-7, err_msg=name)
    assert sorted(ours["evaluation"]) == sorted(reference["evaluation"])
    for key, value in reference["evaluation"].items():
        assert ours["evaluation"][key] == pytest.approx(value, rel=1e-6, abs=1e-7), key
    np.testing.assert_allclose(ours["predictions"], reference["predictions"], rtol=1e-6, atol=1e-7)


def test_same_model_fn_trains_evaluates_and_predicts_as_tf_estimator(runs):
    reference, ours, _ = runs
    assert reference[0]["checkpoint"] == "model.ckpt-20"
    _assert_same(ours[0], reference[0])


def test_a_tf_estimator_model_dir_trains_on_as_tf_estimator_would(runs):
    reference, _, resumed = runs
    assert reference[1]["checkpoint"] == "model.ckpt-30"
    _assert_same(resumed[0], reference[1])


def test_numpy_input_fn_gives_tf_estimators_batches():
    assert _side("tf1_recsys") == _side("tf")


def test_signatures_have_tf_estimators_arguments_in_its_order_with_its_defaults():
    ours, reference = _side("tf1_recsys", mode="--signatures"), _side("tf", mode="--signatures")
    for name, params in reference.items():
        assert [p[0] for p in ours[name][:len(params)]] == [p[0] for p in params], name
        for (arg, default), (_, our_default) in zip(params, ours[name]):
            if default is not None:
                assert our_default == default, "%s(%s): %s, tf.estimator %s" % (name, arg, our_default, default)
