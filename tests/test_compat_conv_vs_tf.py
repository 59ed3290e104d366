"""Convolution and pooling layers of ``tf1_recsys.compat.layers`` against TensorFlow's own (tf_keras, subprocess).

One graph source, built with ``L = tf1_recsys.compat.layers`` here and
``L = tf.compat.v1.layers`` in the reference process: every convolution (1-D with causal
padding and dilation, 2-D strided 'same', 3-D, separable 1-D/2-D with a depth multiplier,
2-D/3-D transposed) and every pooling layer, functional and class forms, with
regularizers. Variable names and shapes identical, each side's checkpoint restored
into the other, outputs and regularization losses equal to 1e-6 (1e-5 after training).
TensorFlow's CPU kernels only run channels-last convolutions, so the channels-first
layers are compared on their variables here and on numbers in test_compat_layers.py.
"""
import numpy as np

from tests.legacy import needs_tf_keras, run_legacy
from tf1_recsys._tf import tf
from tf1_recsys.compat import layers as compat_layers

GRAPH_SOURCE = '''
def build(L, tf):
    tf.set_random_seed(3)
    seq = tf.placeholder(tf.float32, [None, 9, 3], name="seq")
    img = tf.placeholder(tf.float32, [None, 8, 8, 3], name="img")
    vol = tf.placeholder(tf.float32, [None, 4, 4, 4, 2], name="vol")
    l2 = lambda w: 1e-3 * tf.reduce_sum(tf.square(w))
    outs = [
        L.conv1d(seq, 4, 3, padding="causal", dilation_rate=2, activation=tf.nn.relu, kernel_regularizer=l2),
        L.Conv1D(5, 2, strides=2, name="c1")(seq),
        L.conv2d(img, 4, (3, 2), strides=2, padding="same", bias_regularizer=l2),
        L.Conv2D(3, 3, dilation_rate=(2, 1), use_bias=False)(img),
        L.conv3d(vol, 3, 2, padding="same", activation="tanh"),
        L.separable_conv1d(seq, 4, 3, depth_multiplier=2, padding="same", depthwise_regularizer=l2),
        L.SeparableConv2D(5, (3, 3), strides=(2, 2), pointwise_regularizer=l2)(img),
        L.separable_conv2d(img, 2, 3, dilation_rate=2, padding="same"),
        L.conv2d_transpose(img, 2, 3, strides=2, kernel_regularizer=l2),
        L.Conv2DTranspose(3, (2, 3), strides=(1, 2), padding="same")(img),
        L.conv3d_transpose(vol, 2, 3, strides=(2, 1, 2), padding="valid"),
        L.Conv3DTranspose(2, 2, strides=2, padding="same")(vol),
        L.max_pooling1d(seq, 2, 2),
        L.AveragePooling1D(3, 2, padding="same")(seq),
        L.average_pooling2d(img, (2, 3), (2, 1)),
        L.MaxPooling2D(3, 2, padding="same")(img),
        L.max_pooling2d(tf.transpose(img, [0, 3, 1, 2]), 2, 2, data_format="channels_first"),
        L.average_pooling3d(vol, 2, 2, padding="same"),
        L.MaxPooling3D(2, 1)(vol),
    ]
    with tf.variable_scope("shared"):
        s1 = L.conv2d(img, 2, 1, name="proj")
    with tf.variable_scope("shared", reuse=True):
        s2 = L.conv2d(img * 2.0, 2, 1, name="proj")
    outs += [s1, s2]
    # Built, not run: channels-first convolutions have no CPU kernel in TensorFlow itself.
    L.conv2d(tf.transpose(img, [0, 3, 1, 2]), 4, 3, data_format="channels_first", name="conv_cf")
    L.separable_conv1d(tf.transpose(seq, [0, 2, 1]), 2, 3, data_format="channels_first", name="sep_cf")
    L.conv3d_transpose(tf.transpose(vol, [0, 4, 1, 2, 3]), 2, 2, data_format="channels_first", name="tconv_cf")
    loss = tf.add_n([tf.reduce_mean(tf.square(o)) for o in outs]) + tf.add_n(tf.losses.get_regularization_losses())
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return (seq, img, vol), outs, loss, train


def run_side(L, tf, np, data, ckpt_in, ckpt_out):
    g = tf.Graph()
    with g.as_default():
        (seq, img, vol), outs, loss, train = build(L, tf)
        variables = [v for v in tf.global_variables() if "GradientDescent" not in v.op.name]
        saver = tf.train.Saver(variables)
        reg = tf.losses.get_regularization_losses()
        result = {"variables": sorted([v.op.name, v.shape.as_list()] for v in tf.global_variables()),
                  "shapes": [o.shape.as_list() for o in outs], "n_reg": len(reg)}
        with tf.Session() as sess:
            if ckpt_in:
                saver.restore(sess, ckpt_in)
            else:
                sess.run(tf.global_variables_initializer())
                saver.save(sess, ckpt_out)
            feed = {seq: data["seq"], img: data["img"], vol: data["vol"]}
            result["outs"] = [o.tolist() for o in sess.run(outs, feed)]
            result["reg"] = sorted(float(r) for r in sess.run(reg))
            for _ in range(2):
                sess.run(train, feed)
            result["trained"] = {v.op.name: sess.run(v).tolist() for v in variables}
    return result
'''


def _data():
    rng = np.random.default_rng(8)
    return {"seq": rng.normal(size=(2, 9, 3)).astype(np.float32),
            "img": rng.normal(size=(2, 8, 8, 3)).astype(np.float32),
            "vol": rng.normal(size=(2, 4, 4, 4, 2)).astype(np.float32)}


def _compat_side(data, ckpt_in, ckpt_out):
    namespace = {}
    exec(GRAPH_SOURCE, namespace)
    return namespace["run_side"](compat_layers, tf, np, data, ckpt_in, ckpt_out)


def _assert_same(a, b, what):
    assert a["variables"] == b["variables"], what + ": variable names/shapes differ"
    assert a["shapes"] == b["shapes"], what + ": static output shapes differ"
    assert a["n_reg"] == b["n_reg"] == 5
    np.testing.assert_allclose(a["reg"], b["reg"], atol=1e-6, rtol=1e-6, err_msg=what + " regularization")
    for i, (x, y) in enumerate(zip(a["outs"], b["outs"])):
        np.testing.assert_allclose(x, y, atol=1e-6, rtol=1e-6, err_msg="%s output %d" % (what, i))
    for name in a["trained"]:
        np.testing.assert_allclose(a["trained"][name], b["trained"][name], atol=1e-5, rtol=1e-5,
                                   err_msg=what + " trained " + name)


@needs_tf_keras
def test_conv_and_pooling_match_tf_layers_and_checkpoints_restore_both_ways(tmp_path):
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
    assert len(compat_own["outs"]) == 21
