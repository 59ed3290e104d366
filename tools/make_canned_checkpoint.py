"""Writes the tiny tf.estimator Wide & Deep ``model_dir`` that tests restore on every TensorFlow.

    /work/venvs/old/bin/python tools/make_canned_checkpoint.py --out tests/data/canned_wide_deep_tf2.12

Runs on TensorFlow <= 2.15 with TensorFlow's own ``tf.compat.v1.estimator.DNNLinearCombinedClassifier``
over the columns and rows of tests/test_canned_serving.py (6 steps, seed 5). ``--out`` (which
must not exist) receives only the last checkpoint (``checkpoint``, ``model.ckpt-6.{index,data-*}``, no graph) and
``predictions.json``: tf.estimator's ``predict`` of those rows, with the TensorFlow version.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import tensorflow as tf_root  # noqa: E402

import test_canned_serving as side  # noqa: E402

STEPS = 6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="a folder that does not exist yet")
    args = parser.parse_args()
    if os.path.exists(args.out):
        raise SystemExit("make_canned_checkpoint: error: --out %s exists; choose a new folder" % args.out)
    if not hasattr(tf_root, "estimator") or not hasattr(tf_root.compat.v1, "estimator"):
        raise SystemExit("make_canned_checkpoint: error: needs TensorFlow's own tf.estimator (TensorFlow <= 2.15); "
                         "this is %s" % tf_root.version.VERSION)
    est = tf_root.compat.v1.estimator
    linear, dnn = side.columns()
    with tempfile.TemporaryDirectory() as tmp:
        model = est.DNNLinearCombinedClassifier(
            os.path.join(tmp, "model"), linear_feature_columns=linear, dnn_feature_columns=dnn,
            dnn_hidden_units=[4, 3], config=est.RunConfig(tf_random_seed=5, keep_checkpoint_max=1))
        model.train(lambda: side._input_fn(side.LABELS)().repeat(), max_steps=STEPS)
        rows = [{k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in r.items()}
                for r in model.predict(side._input_fn(None))]
        for row in rows:
            for key in ("classes", "all_classes"):
                row[key] = [s.decode() for s in row[key]]
        os.makedirs(args.out)
        prefix = "model.ckpt-%d" % STEPS
        for name in os.listdir(model.model_dir):
            if name.startswith(prefix + ".") and not name.endswith(".meta"):  # the graph is rebuilt from code
                shutil.copy(os.path.join(model.model_dir, name), args.out)
    with open(os.path.join(args.out, "checkpoint"), "w") as f:  # relative paths, whatever folder holds it
        f.write('model_checkpoint_path: "%s"\nall_model_checkpoint_paths: "%s"\n' % (prefix, prefix))
    with open(os.path.join(args.out, "predictions.json"), "w") as f:
        f.write('{"tensorflow": "%s", "steps": %d, "predictions": [\n%s]}\n' % (
            tf_root.version.VERSION, STEPS, ",\n".join(json.dumps(row) for row in rows)))
    print("wrote %s: %s" % (args.out, ", ".join(sorted(os.listdir(args.out)))))


if __name__ == "__main__":
    main()
