"""``tf1_recsys.compat.layers`` against TensorFlow's own ``tf.compat.v1.layers`` (tf_keras, in a subprocess).

One graph source is built twice, with ``L = tf1_recsys.compat.layers`` here and
``L = tf.compat.v1.layers`` in the reference process. It covers the functional and the
class API: ``Dense`` with regularizers, activity regularizer and constraints; ``Dropout``
with a seed and a training tensor; ``Flatten``; ``BatchNormalization`` fused-like (4-D),
channels-first, plain, with a list ``axis``, renorm, virtual batches and an adjustment;
a user subclass of ``L.Layer`` with ``add_weight``, a sublayer and a second call that
reuses its variables. Each side's checkpoint is restored into the other; variable names,
shapes, layer properties, regularization losses and update-op counts must be identical,
outputs equal to 1e-6 in inference and training mode, moving statistics after the
updates and weights after three constrained SGD steps equal to float32 rounding.
"""
import numpy as np

from tests.legacy import needs_tf_keras, run_legacy
from tf1_recsys._tf import tf
from tf1_recsys.compat import layers as compat_layers

GRAPH_SOURCE = '''
def build(L, tf):
    tf.set_random_seed(11)
    x = tf.placeholder(tf.float32, [None, 6], name="x")
    img = tf.placeholder(tf.float32, [None, 4, 4, 3], name="img")
    tr = tf.placeholder_with_default(False, [], name="training")
    l2 = lambda w: 1e-3 * tf.reduce_sum(tf.square(w))
    l1 = lambda w: 2e-3 * tf.reduce_sum(tf.abs(w))
    clip = lambda w: tf.clip_by_norm(w, 0.5, axes=[0])

    class Scaled(L.Layer):
        """A TF1-style user layer: one weight, a Dense sublayer, a `training` argument."""
        def __init__(self, units, **kwargs):
            super(Scaled, self).__init__(**kwargs)
            self.units = units
            self.proj = L.Dense(units, activation=tf.nn.tanh, kernel_regularizer=l2)

        def build(self, input_shape):
            self.alpha = self.add_weight("alpha", [int(input_shape[-1])],
                                         initializer=tf.constant_initializer(0.7), regularizer=l1)
            self.count = self.add_weight("count", [], initializer=tf.zeros_initializer(), trainable=False)
            super(Scaled, self).build(input_shape)

        def call(self, inputs, training=False):
            h = self.proj(inputs * self.alpha)
            return L.dropout(h, 0.3, seed=5, training=training)

    d1 = L.Dense(8, activation="relu", kernel_regularizer=l2, bias_regularizer=l1,
                 activity_regularizer=l1, kernel_constraint=clip, bias_constraint=clip)
    h = d1(x)
    h = L.batch_normalization(h, training=tr, momentum=0.9, gamma_regularizer=l2, beta_constraint=clip)
    h = L.Dropout(0.25, seed=3)(h, training=tr)
    h = L.dropout(h, rate=0.5, noise_shape=[None, 1], seed=4, training=True)
    scaled = Scaled(5)
    s1 = scaled(h, training=tr)
    s2 = scaled(h * 0.5)
    with tf.variable_scope("tower"):
        t = L.dense(x, 4, activation=tf.nn.sigmoid, name="hidden", kernel_regularizer=l2)
        t = L.BatchNormalization(axis=[1], renorm=True, renorm_momentum=0.8,
                                 renorm_clipping={"rmax": 1.5, "rmin": 0.7, "dmax": 0.4})(t, training=tr)
        t2 = L.batch_normalization(L.dense(x, 4), training=tr, virtual_batch_size=4, name="ghost")
        t3 = L.batch_normalization(L.dense(x, 4), training=tr, momentum=0.7,
                                   adjustment=lambda shape: (tf.fill(shape[-1:], 1.1), tf.fill(shape[-1:], -0.2)))
    c = L.batch_normalization(img, training=tr, momentum=0.8, epsilon=1e-6)
    c = L.batch_normalization(c, axis=1, training=tr, epsilon=1e-2, fused=False)
    c = L.batch_normalization(c, axis=[1, 2], training=tr, center=False)
    c = L.BatchNormalization(axis=-1, scale=False, fused=True, name="bn_fused")(c, training=tr)
    flat = L.flatten(c)
    flat_cf = L.Flatten(data_format="channels_first")(c)
    w = L.Dense(3, use_bias=False, name="flat_proj")
    f1 = w(flat) + w(flat_cf)
    with tf.variable_scope("shared"):
        p1 = L.dense(x, 3, name="proj")
    with tf.variable_scope("shared", reuse=True):
        p2 = L.dense(x * 2.0, 3, name="proj")
    p3 = L.dense(x, 3, name="auto", reuse=tf.AUTO_REUSE) - L.dense(x, 3, name="auto", reuse=tf.AUTO_REUSE)
    y = L.dense(tf.concat([s1, s2, t, t2, t3, f1, p1, p2, p3], 1), 1, name="out")
    reg = tf.losses.get_regularization_losses()
    loss = tf.reduce_mean(tf.square(y - 1.0)) + tf.add_n(reg)
    updates = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(updates):
        train = tf.train.GradientDescentOptimizer(0.05).minimize(loss)
    props = {
        "d1": [d1.name, d1.scope_name, [v.op.name for v in d1.trainable_weights], len(d1.losses), d1.built],
        "scaled": [scaled.name, scaled.scope_name, sorted(v.op.name for v in scaled.trainable_weights),
                   [v.op.name for v in scaled.non_trainable_weights], len(scaled.losses),
                   len(scaled.variables), scaled.proj.scope_name],
        "flat_proj": [w.scope_name, len(w.variables)],
        "shapes": [s1.shape.as_list(), flat.shape.as_list(), flat_cf.shape.as_list(), c.shape.as_list()],
    }
    return x, img, tr, y, loss, reg, updates, train, props


def run_side(L, tf, np, data, ckpt_in, ckpt_out):
    g = tf.Graph()
    with g.as_default():
        x, img, tr, y, loss, reg, updates, train, props = build(L, tf)
        variables = [v for v in tf.global_variables() if "GradientDescent" not in v.op.name]
        moving = [v for v in variables if "moving_" in v.op.name or "renorm_" in v.op.name]
        saver = tf.train.Saver(variables)
        result = {"variables": sorted([v.op.name, v.shape.as_list()] for v in tf.global_variables()),
                  "trainable": sorted(v.op.name for v in tf.trainable_variables()),
                  "n_update_ops": len(updates), "n_reg": len(reg), "props": props}
        with tf.Session() as sess:
            if ckpt_in:
                saver.restore(sess, ckpt_in)
            else:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, ckpt_out)
            feed = {x: data["x"], img: data["img"]}
            train_feed = {x: data["x"], img: data["img"], tr: True}
            result["y_infer"] = sess.run(y, feed).tolist()
            result["y_train"] = sess.run(y, train_feed).tolist()
            result["reg"] = sorted(float(v) for v in sess.run(reg, train_feed))
            for step in range(3):
                sess.run(updates, {x: data["x%d" % step], img: data["img%d" % step], tr: True})
            result["moving"] = {v.op.name: sess.run(v).tolist() for v in moving}
            result["y_after_updates"] = sess.run(y, feed).tolist()
            for step in range(3):
                sess.run(train, {x: data["x%d" % step], img: data["img%d" % step], tr: True})
            result["trained"] = {v.op.name: sess.run(v).tolist() for v in variables}
    return result
'''


def _data():
    rng = np.random.default_rng(5)
    data = {"x": rng.normal(size=(16, 6)), "img": rng.normal(size=(16, 4, 4, 3))}
    for step in range(3):
        data["x%d" % step] = rng.normal(size=(16, 6)) * (1 + step)
        data["img%d" % step] = rng.normal(size=(16, 4, 4, 3)) + step
    return {k: v.astype(np.float32) for k, v in data.items()}


def _compat_side(data, ckpt_in, ckpt_out):
    namespace = {}
    exec(GRAPH_SOURCE, namespace)
    return namespace["run_side"](compat_layers, tf, np, data, ckpt_in, ckpt_out)


def _assert_same(a, b, what):
    assert a["variables"] == b["variables"], what + ": variable names/shapes differ"
    assert a["trainable"] == b["trainable"], what + ": trainable sets differ"
    assert a["props"] == b["props"], what + ": layer properties differ"
    assert (a["n_update_ops"], a["n_reg"]) == (b["n_update_ops"], b["n_reg"])
    close = dict(atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(a["reg"], b["reg"], err_msg=what + " regularization losses", **close)
    for key in ("y_infer", "y_train", "y_after_updates"):
        np.testing.assert_allclose(a[key], b[key], err_msg=what + " " + key, **close)
    assert sorted(a["moving"]) == sorted(b["moving"])
    for name in a["moving"]:
        np.testing.assert_allclose(a["moving"][name], b["moving"][name], err_msg=what + " " + name, **close)
    assert sorted(a["trained"]) == sorted(b["trained"])
    for name in a["trained"]:
        np.testing.assert_allclose(a["trained"][name], b["trained"][name], atol=1e-5, rtol=1e-4,
                                   err_msg=what + " trained " + name)


@needs_tf_keras
def test_compat_layers_match_tf_layers_and_checkpoints_restore_both_ways(tmp_path):
    data = _data()
    np.savez(tmp_path / "data.npz", **data)
    compat_ckpt = str(tmp_path / "compat" / "model.ckpt")
    legacy_ckpt = str(tmp_path / "legacy" / "model.ckpt")
    compat_own = _compat_side(data, None, compat_ckpt)

    script = GRAPH_SOURCE + '''
import json
import numpy as np
import tensorflow as tf2
tf = tf2.compat.v1
data = dict(np.load("data.npz"))
own = run_side(tf.layers, tf, np, data, None, %r)
restored = run_side(tf.layers, tf, np, data, %r, None)
print(json.dumps({"own": own, "restored": restored}))
''' % (legacy_ckpt, compat_ckpt)
    legacy = run_legacy(script, tmp_path)

    compat_restored = _compat_side(data, legacy_ckpt, None)
    _assert_same(compat_own, legacy["restored"], "tf.layers on the compat checkpoint")
    _assert_same(compat_restored, legacy["own"], "compat on the tf.layers checkpoint")
    # The graph exercises what it claims: updates ran, the renorm statistics moved, losses exist.
    assert compat_own["n_update_ops"] == 16 and compat_own["n_reg"] == 7
    assert not np.allclose(compat_restored["moving"]["tower/batch_normalization/renorm_mean"], 0.0)
    assert not np.allclose(compat_restored["moving"]["tower/ghost/moving_mean"], 0.0)
    assert not np.allclose(compat_own["y_train"], compat_own["y_infer"])
