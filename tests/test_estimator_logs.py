"""What ``train_and_evaluate`` logs and evaluates, against ``tf.estimator`` (TF <= 2.15).

A team reading its training logs looks for tf.estimator's lines: which checkpoints were
evaluated ("Saving dict for global step N: ..."), "Loss for final step", the evaluation's
start and end, "Skipping training since max_steps has already saved.". This module's
program (run as ``python tests/test_estimator_logs.py --impl tf|ours``) trains a small
``model_fn`` with a local ``train_and_evaluate`` twice in one ``model_dir`` (the second call
finds ``max_steps`` reached), then evaluates with and without ``steps``; it prints the
sequence of those log lines, times and values left out, and the evaluation results. Both
implementations must print the same sequence; the values logged must be the results returned.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KEPT = re.compile(r"^(Saving checkpoints for \d+|Starting evaluation|Evaluation \[|Inference Time|Finished evaluation"
                  r"|Saving dict for global step|Saving 'checkpoint_path' summary|Loss for final step"
                  r"|Skipping training since|Skip the current checkpoint eval|Calling model_fn|Done calling model_fn"
                  r"|Create CheckpointSaverHook|Running training and evaluation locally|Start train and evaluate loop"
                  r"|Training with estimator made no steps)")


def _program(impl, model_dir):
    import logging

    import numpy as np
    import tensorflow as tf_root

    tf = tf_root.compat.v1
    if impl == "ours":
        from tf1_recsys import compat
        from tf1_recsys import estimator as est_mod

        compat.install()  # tf.compat.v1.layers on TensorFlow 2.16+
    else:
        est_mod = tf.estimator
    lines = []

    class Keep(logging.Handler):
        def emit(self, record):
            message = record.getMessage()
            if KEPT.match(message):
                lines.append(message)

    tf.get_logger().addHandler(Keep())
    tf.logging.set_verbosity(tf.logging.INFO)
    rng = np.random.RandomState(0)
    x = rng.normal(size=(96, 3)).astype(np.float32)
    y = (x[:, :1] + 0.3 * rng.normal(size=(96, 1)) > 0).astype(np.float32)

    def input_fn(epochs):
        return lambda: tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat(epochs).batch(16)

    def model_fn(features, labels, mode):
        logits = tf.layers.dense(features["x"], 1, kernel_initializer=tf.zeros_initializer())
        loss = tf.losses.sigmoid_cross_entropy(labels, logits)
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss, tf.train.get_global_step())
        metrics = {"auc": tf.metrics.auc(labels, tf.sigmoid(logits))}
        return est_mod.EstimatorSpec(mode, loss=loss, train_op=train_op, eval_metric_ops=metrics,
                                     predictions={"logit": logits})

    config = est_mod.RunConfig(save_checkpoints_steps=5, save_summary_steps=None, log_step_count_steps=None,
                               tf_random_seed=1)
    estimator = est_mod.Estimator(model_fn, model_dir=model_dir, config=config)
    train_spec = est_mod.TrainSpec(input_fn(None), max_steps=12)
    eval_spec = est_mod.EvalSpec(input_fn(1), steps=None, throttle_secs=0)
    results = [est_mod.train_and_evaluate(estimator, train_spec, eval_spec)[0]]
    results.append(est_mod.train_and_evaluate(estimator, train_spec, eval_spec)[0])  # max_steps reached
    results.append(estimator.evaluate(input_fn(1), steps=3))
    results.append(estimator.evaluate(input_fn(1), steps=None, name="all"))
    clean = [None if r is None else {k: float(v) for k, v in r.items()} for r in results]
    return {"lines": lines, "results": clean}


def _normalised(lines):
    """Log lines with times, durations, values and paths left out."""
    out = []
    for line in lines:
        line = re.sub(r"evaluation at .*", "evaluation at T", line)
        line = re.sub(r"(Saving checkpoints for \d+) into .*", r"\1 into PATH", line)
        line = re.sub(r"Inference Time : .*", "Inference Time : T", line)
        line = re.sub(r"Loss for final step: .*", "Loss for final step: L.", line)
        line = re.sub(r"(summary for global step \d+): .*", r"\1: PATH", line)
        line = re.sub(r" = [^,]+", " = V", line)
        out.append(line)
    return out


def _start(impl, model_dir):
    """This module's program for ``impl`` started (``JsonProcess``)."""
    from json_process import JsonProcess

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    return JsonProcess([sys.executable, os.path.abspath(__file__), "--impl", impl, "--model-dir", str(model_dir)],
                       env, 300, "test_estimator_logs.py --impl " + impl, cwd=HERE)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", choices=("tf", "ours"), required=True)
    parser.add_argument("--model-dir", required=True)
    args = parser.parse_args()
    print(json.dumps(_program(args.impl, args.model_dir)))
else:
    import importlib.util

    import pytest
    import tensorflow

    HAS_TF_ESTIMATOR = (tuple(int(p) for p in tensorflow.version.VERSION.split(".")[:2]) <= (2, 15)
                        and importlib.util.find_spec("tensorflow_estimator") is not None)

    @pytest.fixture(scope="module")
    def runs(tmp_path_factory):
        """{impl: the program's output}: ours, and tf.estimator's beside it where it exists."""
        impls = ["ours"] + (["tf"] if HAS_TF_ESTIMATOR else [])
        procs = {impl: _start(impl, tmp_path_factory.mktemp("logs_" + impl)) for impl in impls}
        try:
            return {impl: proc.result() for impl, proc in procs.items()}
        finally:
            for proc in procs.values():
                proc.stop()

    @pytest.fixture(scope="module")
    def ours(runs):
        return runs["ours"]

    @pytest.mark.skipif(not HAS_TF_ESTIMATOR, reason="tf.estimator exists only up to TensorFlow 2.15 (this is %s)"
                        % tensorflow.version.VERSION)
    def test_train_and_evaluate_logs_and_evaluates_as_tf_estimator(runs):
        ours, reference = runs["ours"], runs["tf"]
        assert _normalised(ours["lines"]) == _normalised(reference["lines"])
        for mine, theirs in zip(ours["results"], reference["results"]):
            if theirs is None:
                assert mine is None
            else:
                assert sorted(mine) == sorted(theirs)
                for key in theirs:
                    assert mine[key] == pytest.approx(theirs[key], rel=1e-5, abs=1e-6), key

    def test_the_logged_evaluations_are_the_results_returned(ours):
        logged = [line for line in ours["lines"] if line.startswith("Saving dict for global step")]
        saved = [int(m.group(1)) for line in ours["lines"] for m in [re.match(r"Saving checkpoints for (\d+)", line)]
                 if m]
        first, skipped, with_steps, whole = ours["results"]
        # Every checkpoint but the one saved before the first step is evaluated, the last one also
        # by the two evaluate() calls; the second train_and_evaluate trains and evaluates nothing.
        assert saved == [0, 5, 10, 12] and skipped is None
        assert [int(re.match(r"Saving dict for global step (\d+)", line).group(1)) for line in logged] == [5, 10, 12, 12, 12]
        assert "Skipping training since max_steps has already saved." in ours["lines"]
        assert sum(line.startswith("Evaluation [") for line in ours["lines"]) == 3  # only evaluate(steps=3) counts
        for line, result in zip(logged[2:], (first, with_steps, whole)):
            values = dict(item.split(" = ") for item in line.split(": ", 1)[1].split(", "))
            assert sorted(values) == sorted(result)
            for key, value in result.items():
                assert float(values[key]) == pytest.approx(value, rel=1e-6), key
