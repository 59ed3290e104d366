"""A small model, its synthetic data, and a training entry point for the resume tests.

``tests/test_training.py`` runs it as a subprocess and kills it with SIGKILL after a
checkpoint; the tests also import ``model_fn`` / ``make_data`` / ``config`` to train the
same model in-process.

Usage: train_script.py MODEL_DIR [--epochs E] [--checkpoint-every K] [--slow-after S] [--use-tf-data]
Prints 'CHECKPOINT <step>' after every save and 'DONE <step>' at the end.
"""
import argparse
import os
import sys
import time

import numpy as np

N_EXAMPLES = 640
NUM_IDS = 50
FIELDS = 4
DENSE = 3


def make_data(n=N_EXAMPLES, seed=7):
    """dict: 'ids' int32 [n, FIELDS], 'dense' float32 [n, DENSE], 'click' float32 [n], 'user' int64 [n]."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, NUM_IDS, size=(n, FIELDS)).astype(np.int32)
    dense = rng.normal(size=(n, DENSE)).astype(np.float32)
    w_id = rng.normal(size=NUM_IDS)
    logit = w_id[ids].sum(1) * 0.7 + dense @ np.array([1.0, -0.5, 0.25]) - 0.2
    click = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    user = rng.integers(0, 20, size=n).astype(np.int64)
    return {"ids": ids, "dense": dense, "click": click, "user": user}


def model_fn():
    """A ModelSpec: embeddings + dense features -> dense -> batch norm -> relu -> logit."""
    from tf1_recsys._tf import tf
    from tf1_recsys.layers import batch_normalization, dense
    from tf1_recsys.spec import ModelSpec

    ids = tf.placeholder(tf.int32, [None, FIELDS], name="ids")
    dense_in = tf.placeholder(tf.float32, [None, DENSE], name="dense")
    click = tf.placeholder(tf.float32, [None], name="click")
    training = tf.placeholder_with_default(False, [], name="training")
    table = tf.get_variable("embedding", [NUM_IDS, 4], initializer=tf.random_normal_initializer(stddev=0.1))
    emb = tf.reshape(tf.nn.embedding_lookup(table, ids), [-1, FIELDS * 4])
    h = dense(tf.concat([emb, dense_in], 1), 16, name="hidden")
    h = tf.nn.relu(batch_normalization(h, training=training, momentum=0.9, name="bn"))
    logit = tf.squeeze(dense(h, 1, name="out"), -1, name="logit")
    pred = tf.sigmoid(logit, name="pred")
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=click, logits=logit), name="loss")
    return ModelSpec(inputs={"ids": ids, "dense": dense_in}, labels={"click": click}, training=training,
                     logits={"click": logit}, predictions={"click": pred}, loss=loss, name="small")


def config(**overrides):
    from tf1_recsys.training import TrainConfig

    kw = dict(batch_size=32, epochs=10, checkpoint_every=25, seed=3, threads=1, progress=False,
              learning_rate=0.01, log_every=50)
    kw.update(overrides)
    return TrainConfig(**kw)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--checkpoint-every", type=int, default=25)
    parser.add_argument("--slow-after", type=int, default=None,
                        help="after this step, sleep 20 ms per step so the parent can kill mid-run")
    parser.add_argument("--use-tf-data", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tf1_recsys.training import Trainer

    def callback(event, info):
        if event == "checkpoint":
            print("CHECKPOINT %d" % info["step"], flush=True)
        if args.slow_after is not None and info["step"] >= args.slow_after:
            time.sleep(0.02)

    cfg = config(epochs=args.epochs, checkpoint_every=args.checkpoint_every, use_tf_data=args.use_tf_data)
    with Trainer(model_fn, cfg, args.model_dir) as trainer:
        result = trainer.fit(make_data(), callback=callback)
    print("DONE %d" % result["global_step"], flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
