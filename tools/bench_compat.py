"""Graph build time and training step time: tf1_recsys.compat.layers versus TensorFlow's own.

The same TF1 model source (dense + batch norm + dropout tower over a conv1d/pooling
sequence branch, SGD with UPDATE_OPS) is built with ``tf1_recsys.compat.layers`` and with
``tf.compat.v1.layers`` (tf_keras' legacy layers, ``TF_USE_LEGACY_KERAS=1`` on TensorFlow
2.16+). Each side runs in its own subprocess (TensorFlow must be imported after the
environment is set), the sides alternate ``--rounds`` times, and the minimum per side is
kept; the ratios compat / TensorFlow are what is reported (< 1 means compat is faster).

    python tools/bench_compat.py                 # print the table
    python tools/bench_compat.py --write-docs    # also (re)write its section of docs/BENCHMARKS.md
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchdoc  # noqa: E402  (tools/benchdoc.py)
SECTION = "## Compat layers versus tf.compat.v1.layers (`tools/bench_compat.py`)"


def build(L, tf, batch_features=64, seq_len=20, emb=16):
    x = tf.placeholder(tf.float32, [None, batch_features], name="x")
    seq = tf.placeholder(tf.float32, [None, seq_len, emb], name="seq")
    y = tf.placeholder(tf.float32, [None, 1], name="y")
    training = tf.placeholder_with_default(False, [], name="training")
    s = L.conv1d(seq, 32, 3, padding="same", activation=tf.nn.relu)
    s = L.max_pooling1d(s, 2, 2)
    s = L.flatten(s)
    h = tf.concat([x, s], 1)
    for i, units in enumerate((256, 128, 64)):
        h = L.dense(h, units, name="fc%d" % i, kernel_regularizer=lambda w: 1e-5 * tf.reduce_sum(tf.square(w)))
        h = L.batch_normalization(h, training=training, name="bn%d" % i)
        h = tf.nn.relu(h)
        h = L.dropout(h, 0.1, training=training)
    logit = L.dense(h, 1, name="logit")
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logit))
    loss += tf.add_n(tf.losses.get_regularization_losses())
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.AdamOptimizer(1e-3).minimize(loss)
    return x, seq, y, training, train


def measure(side, steps, batch):
    import numpy as np

    if side == "compat":
        sys.path.insert(0, ROOT)
        import tensorflow as tf2

        from tf1_recsys.compat import layers as L
    else:
        import tensorflow as tf2

        L = tf2.compat.v1.layers
    tf = tf2.compat.v1
    builds = []
    for _ in range(5):
        g = tf.Graph()
        with g.as_default():
            start = time.perf_counter()
            ops = build(L, tf)
            builds.append(time.perf_counter() - start)
    rng = np.random.default_rng(0)
    feed_values = (rng.normal(size=(batch, 64)).astype(np.float32),
                   rng.normal(size=(batch, 20, 16)).astype(np.float32),
                   (rng.random((batch, 1)) < 0.3).astype(np.float32))
    with g.as_default(), tf.Session(graph=g) as sess:
        x, seq, y, training, train = ops
        sess.run(tf.global_variables_initializer())
        feed = {x: feed_values[0], seq: feed_values[1], y: feed_values[2], training: True}
        for _ in range(10):
            sess.run(train, feed)
        medians = []
        for _ in range(5):  # the machine is shared: the least disturbed of 5 medians
            times = []
            for _ in range(steps):
                start = time.perf_counter()
                sess.run(train, feed)
                times.append(time.perf_counter() - start)
            medians.append(float(np.median(times)))
    return {"build_s": min(builds), "step_s": min(medians), "tf": tf2.version.VERSION}


def run_side(side, steps, batch):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if side == "legacy":
        env["TF_USE_LEGACY_KERAS"] = "1"
    else:
        env.pop("TF_USE_LEGACY_KERAS", None)
    out = subprocess.run([sys.executable, __file__, "--side", side, "--steps", str(steps), "--batch", str(batch)],
                         env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=("compat", "legacy"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(measure(args.side, args.steps, args.batch)))
        return 0
    best = {}
    start = time.time()
    for _ in range(args.rounds):
        for side in ("legacy", "compat"):
            r = run_side(side, args.steps, args.batch)
            b = best.setdefault(side, r)
            b["build_s"], b["step_s"] = min(b["build_s"], r["build_s"]), min(b["step_s"], r["step_s"])
    load = os.getloadavg()[0]
    rows = [
        "| measure | compat | tf.compat.v1.layers | ratio compat / TF |",
        "|---|---|---|---|",
        "| graph build (min of 5 builds) | %.1f ms | %.1f ms | %.2f |" % (
            1e3 * best["compat"]["build_s"], 1e3 * best["legacy"]["build_s"],
            best["compat"]["build_s"] / best["legacy"]["build_s"]),
        "| training step, batch %d (min of 5 medians of %d) | %.2f ms | %.2f ms | %.2f |" % (
            args.batch, args.steps, 1e3 * best["compat"]["step_s"], 1e3 * best["legacy"]["step_s"],
            best["compat"]["step_s"] / best["legacy"]["step_s"]),
    ]
    text = "\n".join([
        SECTION, "",
        "Command: `python tools/bench_compat.py --write-docs` (%.0f s). TensorFlow %s, %d rounds alternating the "
        "sides, each in its own process; best round per side. Load average at the end %.1f (the machine is "
        "shared). Model: conv1d + max pooling over a [20, 16] sequence, three dense + batch norm + dropout "
        "layers (256, 128, 64), Adam, `training` fed True." % (
            time.time() - start, best["compat"]["tf"], args.rounds, load),
        "", *rows, ""])
    benchdoc.publish(SECTION, text, args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
