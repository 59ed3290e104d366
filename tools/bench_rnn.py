"""GRU and LSTM training throughput: tf1_recsys.compat.rnn_cell versus TensorFlow's own cells, and fused kernels.

One layer under TensorFlow's ``dynamic_rnn`` (sequence 50, hidden 64, batch 512, input depth
32), forward and backward (SGD step), measured as examples per CPU-second of the process
(``time.process_time``: all threads), so the figure does not depend on how busy the shared
machine is. Contenders, each in its own fresh process, alternating ``--rounds`` times, best
round kept:

- ``compat``: ``tf1_recsys.compat.rnn_cell.GRUCell`` / ``LSTMCell``;
- ``tf``: TensorFlow's ``tf.compat.v1.nn.rnn_cell`` (native Keras 2 on TensorFlow <= 2.15,
  tf_keras with ``TF_USE_LEGACY_KERAS=1`` on 2.16+);
- ``fused``: ``tf1_recsys.compat.contrib.rnn``'s ``GRUBlockCellV2`` (one ``GRUBlockCell`` op per
  step, under ``dynamic_rnn``) and ``LSTMBlockFusedCell`` (one ``BlockLSTM`` op for the sequence).

Ratios are against ``tf`` measured in the same run (> 1: faster than TensorFlow's cells).

    python tools/bench_rnn.py                 # print the table (run with each venv's python)
    python tools/bench_rnn.py --write-docs    # also (re)write this TensorFlow version's section of docs/BENCHMARKS.md
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

SEQ, HIDDEN, BATCH, DEPTH = 50, 64, 512, 32
SIDES = ("tf", "compat", "fused")


def _cells(side, tf2):
    """``{kind: build(x) -> outputs [batch, seq, hidden]}`` for one contender."""
    tf = tf2.compat.v1
    if side == "tf":
        R = tf.nn.rnn_cell
    else:
        sys.path.insert(0, ROOT)
        from tf1_recsys.compat import rnn_cell as R
    if side != "fused":
        return {"gru": lambda x: tf.nn.dynamic_rnn(R.GRUCell(HIDDEN), x, dtype=tf.float32)[0],
                "lstm": lambda x: tf.nn.dynamic_rnn(R.LSTMCell(HIDDEN), x, dtype=tf.float32)[0]}
    from tf1_recsys.compat.contrib import rnn as contrib_rnn

    def fused_lstm(x):
        outputs, _ = contrib_rnn.LSTMBlockFusedCell(HIDDEN)(tf.transpose(x, [1, 0, 2]), dtype=tf.float32)
        return tf.transpose(outputs, [1, 0, 2])

    return {"gru": lambda x: tf.nn.dynamic_rnn(contrib_rnn.GRUBlockCellV2(HIDDEN), x, dtype=tf.float32)[0],
            "lstm": fused_lstm}


def measure(side, steps):
    import numpy as np
    import tensorflow as tf2

    tf = tf2.compat.v1
    rng = np.random.default_rng(0)
    data = rng.normal(size=(BATCH, SEQ, DEPTH)).astype(np.float32)
    result = {"tf": tf2.version.VERSION}
    for kind, build in sorted(_cells(side, tf2).items()):
        g = tf.Graph()
        with g.as_default():
            tf.set_random_seed(1)
            x = tf.placeholder(tf.float32, [BATCH, SEQ, DEPTH])
            outputs = build(x)
            loss = tf.reduce_mean(tf.square(outputs - 0.5))
            train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                sess.run(train, {x: data})
                best = 0.0
                for _ in range(2):  # the less disturbed of 2 timings of `steps` steps
                    start = time.process_time()
                    for _ in range(steps):
                        sess.run(train, {x: data})
                    best = max(best, steps * BATCH / (time.process_time() - start))
        result[kind] = best
    return result


def run_side(side, steps):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    if side == "tf":
        env["TF_USE_LEGACY_KERAS"] = "1"
    else:
        env.pop("TF_USE_LEGACY_KERAS", None)
    out = subprocess.run([sys.executable, __file__, "--side", side, "--steps", str(steps)],
                         env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit("bench_rnn: the %s side failed:\n%s" % (side, out.stderr[-3000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    if args.side:
        print(json.dumps(measure(args.side, args.steps)))
        return 0
    best = {}
    start = time.time()
    for _ in range(args.rounds):
        for side in SIDES:
            r = run_side(side, args.steps)
            b = best.setdefault(side, r)
            for kind in ("gru", "lstm"):
                b[kind] = max(b[kind], r[kind])
    version = best["tf"]["tf"]
    reference = "native Keras 2" if tuple(int(v) for v in version.split(".")[:2]) <= (2, 15) else "tf_keras"
    rows = ["| layer | TF's cells (%s) | compat | compat / TF | fused kernel | fused / TF |" % reference,
            "|---|---|---|---|---|---|"]
    for kind, fused in (("gru", "GRUBlockCellV2"), ("lstm", "LSTMBlockFusedCell")):
        t, c, f = best["tf"][kind], best["compat"][kind], best["fused"][kind]
        rows.append("| %s | %.0f | %.0f | %.2f | %.0f (%s) | %.2f |" % (kind.upper(), t, c, c / t, f, fused, f / t))
    section = "## RNN cells versus tf.compat.v1.nn.rnn_cell, TensorFlow %s (`tools/bench_rnn.py`)" % ".".join(
        version.split(".")[:2])
    text = "\n".join([
        section, "",
        "Command: `%s tools/bench_rnn.py --write-docs` (%.0f s), TensorFlow %s. Examples per CPU-second "
        "(higher is better) of one `dynamic_rnn` layer, sequence %d, hidden %d, batch %d, input depth %d, "
        "forward + backward + SGD update (the better of 2 timings of %d steps after a warm-up step); %d rounds alternating the contenders, each in a fresh process, best "
        "round each. Load average at the end %.1f (the machine is shared; CPU time, not wall time, is measured)."
        % (os.path.relpath(sys.executable, ROOT) if sys.executable.startswith(ROOT) else sys.executable,
           time.time() - start, version, SEQ, HIDDEN, BATCH, DEPTH, args.steps, args.rounds, os.getloadavg()[0]),
        "", *rows, ""])
    benchdoc.publish(section, text, args.write_docs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
