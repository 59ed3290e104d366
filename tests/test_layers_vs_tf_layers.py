"""The layer kit against TensorFlow's own ``tf.compat.v1.layers`` (tf_keras, in a subprocess).

One graph is built twice from the same source, once with ``tf1_recsys.layers`` and once
with ``tf.compat.v1.layers``. Each side's checkpoint is restored into the other: variable
names and shapes must be identical, outputs equal to 1e-6 with ``training`` False and True,
and the moving statistics equal to 1e-6 after the same ``UPDATE_OPS`` steps. Gradients
and weights after three SGD steps agree to float32 rounding.
"""
import numpy as np

from tests.legacy import WAIT_FOR_SOURCE, needs_tf_keras, start_reference
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
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(updates):
        train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    return x, s, tr, y, loss, updates, train


def run_side(L, tf, np, data, ckpt_in, ckpt_out):
    """Variables, outputs, moving statistics, gradients and trained weights of one side."""
    g = tf.Graph()
    with g.as_default():
        x, s, tr, y, loss, updates, train = build(L, tf)
        variables = [v for v in tf.global_variables() if "GradientDescent" not in v.op.name]
        moving = [v for v in variables if "moving_" in v.op.name]
        trainable = sorted(tf.trainable_variables(), key=lambda v: v.op.name)
        grads = tf.gradients(loss, trainable)
        saver = tf.train.Saver(variables)
        result = {"variables": sorted([v.op.name, v.shape.as_list()] for v in tf.global_variables()),
                  "trainable": [v.op.name for v in trainable],
                  "n_update_ops": len(updates)}
        with tf.Session() as sess:
            if ckpt_in:
                saver.restore(sess, ckpt_in)
            else:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, ckpt_out)
            feed = {x: data["x"], s: data["s"]}
            train_feed = {x: data["x"], s: data["s"], tr: True}
            result["y_infer"] = sess.run(y, feed).tolist()
            result["y_train"] = sess.run(y, train_feed).tolist()
            result["grads"] = [g.tolist() for g in sess.run(grads, train_feed)]
            for step in range(3):
                sess.run(updates, {x: data["x%d" % step], s: data["s%d" % step], tr: True})
            result["moving"] = {v.op.name: sess.run(v).tolist() for v in moving}
            result["y_after_updates"] = sess.run(y, feed).tolist()
            for step in range(3):
                sess.run(train, {x: data["x%d" % step], s: data["s%d" % step], tr: True})
            result["trained"] = {v.op.name: sess.run(v).tolist() for v in variables}
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
    close = dict(atol=1e-6, rtol=1e-6)
    for key in ("y_infer", "y_train", "y_after_updates"):
        np.testing.assert_allclose(a[key], b[key], err_msg=what + " " + key, **close)
    assert sorted(a["moving"]) == sorted(b["moving"]) and len(a["moving"]) == 6
    for name in a["moving"]:
        np.testing.assert_allclose(a["moving"][name], b["moving"][name], err_msg=what + " " + name, **close)
    # Gradients go through different but equivalent ops (e.g. TensorFlow's fused batch-norm
    # gradient): they agree to float32 rounding, and three SGD steps keep that agreement.
    for name, ga, gb in zip(a["trainable"], a["grads"], b["grads"]):
        np.testing.assert_allclose(ga, gb, atol=1e-5, rtol=1e-5, err_msg=what + " d/d" + name)
    assert sorted(a["trained"]) == sorted(b["trained"])
    for name in a["trained"]:
        np.testing.assert_allclose(
            a["trained"][name], b["trained"][name], atol=1e-5, rtol=1e-4, err_msg=what + " trained " + name)


@needs_tf_keras
def test_checkpoints_restore_both_ways_with_identical_numbers(tmp_path):
    data = _data()
    np.savez(tmp_path / "data.npz", **data)
    kit_ckpt = str(tmp_path / "kit" / "model.ckpt")
    legacy_ckpt = str(tmp_path / "legacy" / "model.ckpt")
    script = GRAPH_SOURCE + WAIT_FOR_SOURCE + '''
import json
import numpy as np
import tensorflow as tf1
tf = tf1.compat.v1
data = dict(np.load("data.npz"))
own = run_side(tf.layers, tf, np, data, None, %r)
wait_for("kit_done")  # the kit's checkpoint, written by the test process meanwhile
restored = run_side(tf.layers, tf, np, data, %r, None)
print(json.dumps({"own": own, "restored": restored}))
''' % (legacy_ckpt, kit_ckpt)
    with start_reference(script, tmp_path) as reference:  # TensorFlow's side runs while the kit's runs here
        kit_own = _kit_side(data, None, kit_ckpt)
        (tmp_path / "kit_done").write_text("")
        legacy = reference.result()

    kit_restored = _kit_side(data, legacy_ckpt, None)
    # The legacy layers restored the kit's checkpoint and computed what the kit computes.
    _assert_same(kit_own, legacy["restored"], "tf.layers on the kit's checkpoint")
    # The kit restored the legacy checkpoint and computed what tf.layers computes.
    _assert_same(kit_restored, legacy["own"], "kit on the tf.layers checkpoint")
    # The update steps moved the statistics away from their initial values.
    assert not np.allclose(kit_restored["moving"]["batch_normalization/moving_mean"], 0.0)
    assert not np.allclose(kit_restored["moving"]["batch_normalization_1/moving_variance"], 1.0)
