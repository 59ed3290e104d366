"""The layer kit against TensorFlow's own ``tf.compat.v1.layers`` (tf_keras, in a subprocess).

One graph is built twice from the same source, once with ``tf1_recsys.layers`` and once
with ``tf.compat.v1.layers``. Each side's checkpoint is restored into the other: variable
names and shapes must be identical, outputs equal to 1e-6 with ``training`` False and True,
and the moving statistics equal after the same training steps (batch-norm updates run
through ``UPDATE_OPS``).
"""
import json

import numpy as np
import pytest

from tests.legacy import needs_tf_keras, run_legacy
from tf1_recsys import layers as kit
from tf1_recsys._tf import tf

# Built by both sides: `L` is tf1_recsys.layers here and tf.compat.v1.layers there.
GRAPH_SOURCE = '''
def build(L, tf):
    tf.set_random_seed(7)
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    s = tf.placeholder(tf.float32, [None, 3, 4, 5], name="s")
    tr = tf.placeholder_with_default(False, [], name="training")
    h = L.dense(x, 8, activation=tf.nn.relu)
    h = L.batch_normalization(h, training=tr, momentum=0.9)
    with tf.variable_scope("tower"):
        h = L.dense(h, 4, activation=tf.nn.tanh, name="hidden")
    s2 = L.dense(s, 7)
    s2 = L.batch_normalization(s2, training=tr, momentum=0.8)
    seq = tf.reshape(s2, [-1, 12, 7])
    seq = L.batch_normalization(seq, axis=1, training=tr, epsilon=1e-2)
    pooled = tf.reduce_mean(seq, axis=1)
    with tf.variable_scope("shared"):
        p1 = L.dense(x, 3, name="proj") + L.dense(x, 3)
    with tf.variable_scope("shared", reuse=True):
        p2 = L.dense(x * 2.0, 3, name="proj") + L.dense(x, 3)
    p3 = L.dense(x, 3, name="auto", reuse=tf.AUTO_REUSE) - L.dense(x, 3, name="auto", reuse=tf.AUTO_REUSE)
    y = L.dense(tf.concat([h, pooled, p1, p2, p3], 1), 1, name="out")
    loss = tf.reduce_mean(tf.square(y - 1.0))
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    return x, s, tr, y, train


def run_side(L, tf, np, data, ckpt_in, ckpt_out):
    """Returns variables, outputs (training False/True) and post-training variables."""
    g = tf.Graph()
    with g.as_default():
        x, s, tr, y, train = build(L, tf)
        saver = tf.train.Saver()
        result = {"variables": sorted([v.op.name, v.shape.as_list()] for v in tf.global_variables()),
                  "trainable": sorted(v.op.name for v in tf.trainable_variables()),
                  "n_update_ops": len(tf.get_collection(tf.GraphKeys.UPDATE_OPS))}
        with tf.Session() as sess:
            if ckpt_in:
                saver.restore(sess, ckpt_in)
            else:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, ckpt_out)
            feed = {x: data["x"], s: data["s"]}
            result["y_infer"] = sess.run(y, feed).tolist()
            result["y_train"] = sess.run(y, {x: data["x"], s: data["s"], tr: True}).tolist()
            for step in range(3):
                sess.run(train, {x: data["x%d" % step], s: data["s%d" % step], tr: True})
            result["after"] = {v.op.name: sess.run(v).tolist() for v in tf.global_variables()
                               if "GradientDescent" not in v.op.name}
            result["y_after"] = sess.run(y, feed).tolist()
    return result
'''


def _data():
    rng = np.random.default_rng(3)
    data = {"x": rng.normal(size=(16, 6)), "s": rng.normal(size=(16, 3, 4, 5))}
    for step in range(3):
        data["x%d" % step] = rng.normal(size=(16, 6)) * (1 + step)
        data["s%d" % step] = rng.normal(size=(16, 3, 4, 5)) + step
    return {k: v.astype(np.float32) for k, v in data.items()}


def _kit_side(data, ckpt_in, ckpt_out):
    namespace = {}
    exec(GRAPH_SOURCE, namespace)
    return namespace["run_side"](kit, tf, np, data, ckpt_in, ckpt_out)


def _assert_same(a, b, what):
    assert a["variables"] == b["variables"], what + ": variable names/shapes differ"
    assert a["trainable"] == b["trainable"], what + ": trainable sets differ"
    assert a["n_update_ops"] == b["n_update_ops"] == 6
    for key in ("y_infer", "y_train"):
        np.testing.assert_allclose(a[key], b[key], atol=1e-6, rtol=1e-6, err_msg=what + " " + key)
    assert sorted(a["after"]) == sorted(b["after"])
    for name in sorted(a["after"]):
        np.testing.assert_allclose(
            a["after"][name], b["after"][name], atol=1e-6, rtol=1e-6, err_msg=what + " " + name
        )
    np.testing.assert_allclose(a["y_after"], b["y_after"], atol=1e-6, rtol=1e-6, err_msg=what)


@needs_tf_keras
def test_checkpoints_restore_both_ways_with_identical_numbers(tmp_path):
    data = _data()
    np.savez(tmp_path / "data.npz", **data)
    kit_ckpt = str(tmp_path / "kit" / "model.ckpt")
    legacy_ckpt = str(tmp_path / "legacy" / "model.ckpt")
    kit_own = _kit_side(data, None, kit_ckpt)

    script = GRAPH_SOURCE + '''
import json
import numpy as np
import tensorflow as tf1
tf = tf1.compat.v1
data = dict(np.load("data.npz"))
own = run_side(tf.layers, tf, np, data, None, %r)
restored = run_side(tf.layers, tf, np, data, %r, None)
print(json.dumps({"own": own, "restored": restored}))
''' % (legacy_ckpt, kit_ckpt)
    legacy = run_legacy(script, tmp_path)

    kit_restored = _kit_side(data, legacy_ckpt, None)
    # The legacy layers restored the kit's checkpoint and computed what the kit computes.
    _assert_same(kit_own, legacy["restored"], "tf.layers on the kit's checkpoint")
    # The kit restored the legacy checkpoint and computed what tf.layers computes.
    _assert_same(kit_restored, legacy["own"], "kit on the tf.layers checkpoint")
    # Training changed the moving statistics (the update ops ran).
    before = kit_restored["after"]["batch_normalization/moving_mean"]
    assert not np.allclose(before, 0.0)
