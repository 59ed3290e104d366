#!/usr/bin/env python
"""One DIEN training step, two forms in one process, CPU time per ``sess.run(train_op)``.

    python tools/dien_step_ab.py [ROUNDS]            # the activation unit's change (below)
    python tools/dien_step_ab.py [ROUNDS] --packed   # packed_dynamic_rnn against tf.nn.dynamic_rnn
    python tools/dien_step_ab.py [ROUNDS] --packed --loops   # the same, the two GRU loops alone

Default comparison: the activation unit on every position with the auxiliary network's concatenated
first layer (patched back, as tests/test_dien.py does) against the activation unit on the real
positions with the split first layer (the library's). ``--packed``: ``build_dien(packed=False)``
(both GRUs by ``tf.nn.dynamic_rnn``) against the default ``packed=True``. ``--loops``: instead of the
whole step, the forward and backward of ``interest_extractor`` and ``interest_evolution`` alone
(inputs: fixed random interests and scores at the bench's shapes, the batch's real lengths).

Both graphs are ``build_dien`` at ``tools/bench_dien.py``'s shapes (``history_sum=False``), Adam 1e-3,
batch 1024 of ``bench_din.make_data``; ROUNDS (default 10) of 3 steps per form, the order alternating.
In one process the machine's drift between fresh processes does not enter the comparison.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_din  # noqa: E402  (tools/bench_din.py)
from tf1_recsys._tf import tf  # noqa: E402
from tf1_recsys.layers import DINModel, interest  # noqa: E402
from tf1_recsys.layers.core import dense  # noqa: E402
from tf1_recsys.models.dien import build_dien  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("rounds", nargs="?", type=int, default=10)
parser.add_argument("--packed", action="store_true", help="packed_dynamic_rnn against tf.nn.dynamic_rnn")
parser.add_argument("--loops", action="store_true", help="with --packed: the two GRU loops alone")
args = parser.parse_args()

data = bench_din.make_data(30720, 10 ** 5, 10 ** 5, 10 ** 3)
schema = bench_din.din_schema(data)


def build_step(dense_form=False, packed=True):
    """(session, train op, feed function) of the whole DIEN training step."""
    orig_din, orig_first = interest.DINModel, interest._first_layer
    if dense_form:
        interest.DINModel = lambda **kw: DINModel(**dict(kw, zero_padded_keys=False))
        interest._first_layer = lambda h, e, units, name: dense(
            tf.concat([tf.concat([h, h], 0), e], -1), units, activation=tf.sigmoid, name=name)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        spec = build_dien(schema, embedding_size=bench_din.EMB, gru_type="AUGRU", alpha=1.0,
                          attention_layers=(64, 16), aux_layers=(100, 50), mlp_layers=(256, 128, 64),
                          history_sum=False, packed=packed)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.AdamOptimizer(1e-3).minimize(spec.loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    interest.DINModel, interest._first_layer = orig_din, orig_first
    return sess, train, lambda f: spec.feed(f, training=True)


def build_loops(packed):
    """(session, gradient ops, feed function) of the extractor GRU (H 16 -> the bench's 2E = 32, as
    ``build_dien``: H = S*E) and the AUGRU over fixed interests and scores, forward and backward."""
    width = 2 * bench_din.EMB
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        mask = tf.placeholder(tf.bool, [None, None])
        rng = np.random.default_rng(0)
        behaviours = tf.constant(rng.normal(size=(1024, 50, width)).astype(np.float32))
        scores = tf.constant(rng.uniform(size=(1024, 50)).astype(np.float32))
        interests, lengths = interest.interest_extractor(behaviours, mask, width, packed=packed)
        cell = interest.AUGRUCell(width, name="augru_cell")
        with tf.variable_scope("rnn") as rnn:  # as interest_evolution
            if packed:
                steps = cell.project_inputs(interests, extra_columns=1) + (scores[:, :, None],)
            else:
                steps = (cell.project_inputs(tf.transpose(interests, [1, 0, 2]), extra_columns=1)
                         + (tf.transpose(scores)[:, :, None],))
        if packed:
            _, final = interest.packed_dynamic_rnn(cell, steps, sequence_length=lengths, dtype=tf.float32, scope=rnn)
        else:
            _, final = tf.nn.dynamic_rnn(cell, steps, sequence_length=lengths, dtype=tf.float32, time_major=True,
                                         scope=rnn)
        loss = tf.reduce_sum(final) + tf.reduce_sum(interests * 0.1)
        grads = tf.gradients(loss, [behaviours] + tf.trainable_variables())
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    return sess, grads, lambda f: {mask: f["hist_item_id"] != 0}


if args.packed:
    make = build_loops if args.loops else (lambda packed: build_step(packed=packed))
    models = {"dynamic": make(False), "packed": make(True)}
    new, old = "packed", "dynamic"
else:
    models = {"dense": build_step(dense_form=True), "real": build_step()}
    new, old = "real", "dense"
feeds = []
for i in range(8):
    idx = np.arange(i * 1024, (i + 1) * 1024)
    feeds.append({k: v[idx] for k, v in data.items() if not k.startswith("vocab_")})
for name, (sess, fetch, feed) in models.items():
    for f in feeds[:3]:
        sess.run(fetch, feed(f))
times = {k: [] for k in models}
for r in range(args.rounds):
    for name in (list(models) if r % 2 == 0 else list(models)[::-1]):
        sess, fetch, feed = models[name]
        for f in feeds[r % 6: r % 6 + 3]:
            fd = feed(f)
            t = time.process_time()
            sess.run(fetch, fd)
            times[name].append((time.process_time() - t) * 1e3)
for k, v in times.items():
    print("%-7s CPU ms per %s: min %.0f  median %.0f  (%d runs)" % (k, "loop pair" if args.loops else "step",
                                                                       min(v), np.median(v), len(v)))
print("%s / %s, median of paired ratios: %.3f" % (new, old, np.median(np.array(times[new]) / np.array(times[old]))))
