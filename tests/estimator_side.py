"""Runs tests/estimator_user_model.py's ``model_fn`` on one Estimator implementation and prints JSON.

    python tests/estimator_side.py --impl tf|tf1_recsys --model-dir DIR --max-steps N [N2 ...] [--snapshot DIR2]

``--impl tf`` swaps the user's estimator import back to ``tf.estimator`` (it needs
TensorFlow <= 2.15, where ``tf.estimator`` still exists); both sides build the layers with
``tf1_recsys.layers``, so that only the Estimator differs. The last line printed is a JSON object: every variable of
the final checkpoint, its name, the evaluation results and the predictions, one object per
``--max-steps`` target (training resumes from the checkpoint of the one before).
``--snapshot`` copies the model folder after the first target, for another run to resume.
"""
import argparse
import json
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import estimator_user_model as user  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf_root  # noqa: E402

tf = tf_root.compat.v1


SIGNATURES = [
    "RunConfig.__init__", "Estimator.__init__", "Estimator.train", "Estimator.evaluate", "Estimator.predict",
    "Estimator.export_saved_model", "EstimatorSpec.__new__", "TrainSpec.__new__", "EvalSpec.__new__",
    "train_and_evaluate", "WarmStartSettings.__new__", "FinalExporter.__init__", "LatestExporter.__init__",
    "BestExporter.__init__", "export.PredictOutput.__init__", "export.RegressionOutput.__init__",
    "export.ClassificationOutput.__init__", "export.ServingInputReceiver.__new__",
    "export.build_raw_serving_input_receiver_fn", "inputs.numpy_input_fn",
]


def signatures(est_mod):
    """{qualified name: [[argument, repr of a plain default or None], ...]} of the public API."""
    import inspect

    out = {}
    for qualified in SIGNATURES:
        obj = est_mod
        for part in qualified.split("."):
            obj = getattr(obj, part)
        params = []
        for p in inspect.signature(obj).parameters.values():
            if p.name in ("self", "cls") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            plain = p.default is None or isinstance(p.default, (bool, int, float, str))
            params.append([p.name, repr(p.default) if plain and p.default is not p.empty else None])
        out[qualified] = params
    return out


def numpy_batches(est_mod):
    """Every batch of ``inputs.numpy_input_fn`` over 7 rows, batch 3, 2 epochs, unshuffled, as lists."""
    x = {"a": np.arange(7, dtype=np.int64), "b": np.arange(14, dtype=np.float32).reshape(7, 2)}
    y = np.arange(7, dtype=np.float32) * 10
    input_fn = est_mod.inputs.numpy_input_fn(x, y, batch_size=3, num_epochs=2, shuffle=False)
    out = []
    with tf.Graph().as_default():
        features, target = input_fn()
        with tf.train.MonitoredSession() as sess:  # starts the queue runners of TensorFlow's version
            while not sess.should_stop():
                f, t = sess.run((features, target))
                out.append({"a": f["a"].tolist(), "b": f["b"].tolist(), "y": t.tolist()})
    return out


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--impl", choices=("tf", "tf1_recsys"), required=True)
    p.add_argument("--model-dir")
    p.add_argument("--max-steps", type=int, nargs="+")
    p.add_argument("--signatures", action="store_true", help="print the public signatures instead of training")
    p.add_argument("--numpy-batches", action="store_true",
                   help="print the batches of inputs.numpy_input_fn(shuffle=False) instead of training")
    p.add_argument("--snapshot")
    a = p.parse_args(argv)
    if a.impl == "tf":
        user.tf_estimator = tf_root.estimator
    est_mod = user.tf_estimator
    if a.signatures:
        print(json.dumps(signatures(tf_root.compat.v1.estimator if a.impl == "tf" else est_mod)))
        return
    if a.numpy_batches:
        print(json.dumps(numpy_batches(tf_root.compat.v1.estimator if a.impl == "tf" else est_mod)))
        return
    config = est_mod.RunConfig(save_checkpoints_steps=10, save_summary_steps=10, log_step_count_steps=None,
                               tf_random_seed=3)
    est = est_mod.Estimator(user.model_fn, model_dir=a.model_dir, config=config, params={"learning_rate": 0.1})
    results = []
    for target in a.max_steps:
        est.train(user.train_input_fn, max_steps=target)
        checkpoint = est.latest_checkpoint()
        evaluation = est.evaluate(user.eval_input_fn)
        results.append({
            "checkpoint": os.path.basename(checkpoint),
            "files": sorted(f for f in os.listdir(a.model_dir) if f.startswith("model.ckpt")),
            "variables": {name: tf.train.load_variable(checkpoint, name).tolist()
                          for name in est.get_variable_names()},
            "evaluation": {k: np.asarray(v).item() for k, v in evaluation.items()},
            "predictions": [p["probabilities"].item() for p in est.predict(user.predict_input_fn)],
        })
        if a.snapshot and len(results) == 1:
            shutil.copytree(a.model_dir, a.snapshot)
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())
