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


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--impl", choices=("tf", "tf1_recsys"), required=True)
    p.add_argument("--model-dir")
    p.add_argument("--max-steps", type=int, nargs="+")
    p.add_argument("--snapshot")
    a = p.parse_args(argv)
    if a.impl == "tf":
        user.tf_estimator = tf_root.estimator
    est_mod = user.tf_estimator
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
