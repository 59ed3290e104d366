#!/usr/bin/env python
"""One DIEN training step, two forms in one process: the activation unit on every position with the
auxiliary network's concatenated first layer (patched back, as tests/test_dien.py does) against the
activation unit on the real positions with the split first layer (the library's).

    python tools/dien_step_ab.py [ROUNDS]     # default 10 rounds of 3 steps per form, order alternating

Both graphs are ``build_dien`` at ``tools/bench_dien.py``'s shapes (``history_sum=False``), Adam 1e-3,
batch 1024 of ``bench_din.make_data``; CPU time (``time.process_time``) of each ``sess.run(train_op)``.
In one process the machine's drift between fresh processes does not enter the comparison.
"""
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

data = bench_din.make_data(30720, 10 ** 5, 10 ** 5, 10 ** 3)
schema = bench_din.din_schema(data)


def build(dense_form):
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
                          history_sum=False)
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.AdamOptimizer(1e-3).minimize(spec.loss)
        sess = tf.Session(graph=g)
        sess.run(tf.global_variables_initializer())
    interest.DINModel, interest._first_layer = orig_din, orig_first
    return sess, train, spec


models = {"dense": build(True), "real": build(False)}
feeds = []
for i in range(8):
    idx = np.arange(i * 1024, (i + 1) * 1024)
    feeds.append({k: v[idx] for k, v in data.items() if not k.startswith("vocab_")})
for name, (sess, train, spec) in models.items():
    for f in feeds[:3]:
        sess.run(train, spec.feed(f, training=True))
times = {k: [] for k in models}
for r in range(int(sys.argv[1]) if len(sys.argv) > 1 else 10):
    for name in (list(models) if r % 2 == 0 else list(models)[::-1]):
        sess, train, spec = models[name]
        for f in feeds[r % 6: r % 6 + 3]:
            fd = spec.feed(f, training=True)
            t = time.process_time()
            sess.run(train, fd)
            times[name].append((time.process_time() - t) * 1e3)
for k, v in times.items():
    print("%-6s CPU ms per step: min %.0f  median %.0f  (%d steps)" % (k, min(v), np.median(v), len(v)))
print("real / dense, median of paired ratios: %.3f" % np.median(np.array(times["real"]) / np.array(times["dense"])))
