"""``tf1_recsys.compat`` against TensorFlow's own ``tf.compat.v1.layers`` (tf_keras on 2.16+, in a subprocess).

Three graph sources are each built with ``L = tf1_recsys.compat.layers`` here and with
``L = tf.compat.v1.layers`` in one reference process (one TensorFlow import for all):

* LAYERS: the functional and class API: ``Dense`` with regularizers, activity regularizer
  and constraints; ``Dropout`` with a seed and a training tensor; ``Flatten``;
  ``BatchNormalization`` fused-like (4-D), channels-first, plain, with a list ``axis``,
  renorm, virtual batches and an adjustment; a user subclass of ``L.Layer`` with
  ``add_weight``, a sublayer and a second call that reuses its variables. Layer
  properties, regularization losses, update-op counts, outputs in inference and training
  mode, moving statistics after the updates and weights after constrained SGD steps.
* CONV: every convolution (1-D causal and dilated, 2-D strided 'same', 3-D, separable
  1-D/2-D with a depth multiplier, 2-D/3-D transposed) and every pooling layer.
  TensorFlow's CPU kernels only run channels-last convolutions, so the channels-first
  layers are compared on their variables here and on numbers in test_compat_layers.py
  (against channels-last on transposed inputs; pooling there also against numpy).
* NOTES: the notes' FM (ported from ``tf.keras.Model`` to ``tf.layers.Layer``),
  ``MultiHeadAttention(tf.layers.Layer)`` with ``tf.layers.dense`` in ``call``, ``DINModel``
  with ``tf.contrib.layers.xavier_initializer``, MMoE and SENet, changed only where not
  valid Python or naming something undefined ("FIX:"). Here they run after
  ``tf1_recsys.compat.install(contrib=True)`` in this process, where tf_keras cannot be
  imported; their checkpoint also restores into the package's fixed blocks.

For each, each side's checkpoint is restored into the other: variable names and shapes
must be identical and outputs equal to 1e-6.
"""
import numpy as np
import pytest
import tensorflow as tf2

from tests.legacy import WAIT_FOR_SOURCE, needs_tf_keras, start_reference
from tf1_recsys import compat
from tf1_recsys._tf import tf
from tf1_recsys.compat import layers as compat_layers
from tf1_recsys.layers import DINModel, FactorizationMachine, senet

LAYERS_SOURCE = '''
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


def run_layers(L, tf, np, data, ckpt_in, ckpt_out):
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

CONV_SOURCE = '''
def build_conv(L, tf):
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
        L.average_pooling3d(vol, 2, 2, padding="same"),
        L.MaxPooling3D(2, 1)(vol),
    ]
    with tf.variable_scope("shared"):
        s1 = L.conv2d(img, 2, 1, name="proj")
    with tf.variable_scope("shared", reuse=True):
        s2 = L.conv2d(img * 2.0, 2, 1, name="proj")
    outs += [s1, s2]
    # Built, not run: channels-first convolutions have no CPU kernel in TensorFlow itself (and
    # TensorFlow 2.12's channels-first pooling on CPU returns wrongly laid-out numbers under oneDNN).
    L.conv2d(tf.transpose(img, [0, 3, 1, 2]), 4, 3, data_format="channels_first", name="conv_cf")
    L.separable_conv1d(tf.transpose(seq, [0, 2, 1]), 2, 3, data_format="channels_first", name="sep_cf")
    L.conv3d_transpose(tf.transpose(vol, [0, 4, 1, 2, 3]), 2, 2, data_format="channels_first", name="tconv_cf")
    loss = tf.add_n([tf.reduce_mean(tf.square(o)) for o in outs]) + tf.add_n(tf.losses.get_regularization_losses())
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    return (seq, img, vol), outs, loss, train


def run_conv(L, tf, np, data, ckpt_in, ckpt_out):
    g = tf.Graph()
    with g.as_default():
        (seq, img, vol), outs, loss, train = build_conv(L, tf)
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

NOTES_SOURCE = r'''
def build_notes(tf):
    F, E, D, H, S, T = 6, 3, 8, 2, 2, 3

    class FactorizationMachine(tf.layers.Layer):  # FIX: was tf.keras.Model with tf.Variable
        def __init__(self, num_features, embedding_size):
            super(FactorizationMachine, self).__init__()
            self.num_features = num_features
            self.embedding_size = embedding_size

        def build(self, input_shape):  # float weights: a layer's dtype defaults to its (int) input's
            self.w0 = self.add_weight('bias', [1], tf.float32, initializer=tf.zeros_initializer())
            self.w = self.add_weight('linear_weights', [self.num_features, 1], tf.float32, initializer=tf.random_normal_initializer())
            self.V = self.add_weight('interaction_weights', [self.num_features, self.embedding_size], tf.float32, initializer=tf.random_normal_initializer())
            super(FactorizationMachine, self).build(input_shape)

        def call(self, inputs):
            embedding_first = tf.nn.embedding_lookup(self.w, inputs)
            embedding = tf.nn.embedding_lookup(self.V, inputs)
            value = tf.cast(tf.reshape(inputs, [-1, self.num_features, 1]), tf.float32)  # FIX: cast ids
            embedding_value = tf.multiply(embedding, value)
            first_order = tf.reduce_sum(tf.multiply(embedding_first, value), axis=1)
            liner = tf.add(self.w0, first_order)
            mul_square = tf.square(tf.reduce_sum(embedding_value, 1))
            square_mul = tf.reduce_sum(tf.square(embedding_value), 1)
            second_order = 0.5 * tf.reduce_sum(tf.subtract(mul_square, square_mul), 1, keepdims=True)
            fm_model = tf.add(liner, second_order)
            return tf.nn.sigmoid(fm_model)

    def scaled_dot_product_attention(Q, K, V, mask=None):
        matmul_qk = tf.matmul(Q, K, transpose_b=True)
        dk = tf.cast(tf.shape(K)[-1], tf.float32)
        scaled_attention_logits = matmul_qk / tf.math.sqrt(dk)
        if mask is not None:
            scaled_attention_logits += (mask * -1e9)
        attention_weights = tf.nn.softmax(scaled_attention_logits, axis=-1)
        output = tf.matmul(attention_weights, V)
        return output, attention_weights

    class MultiHeadAttention(tf.layers.Layer):
        def __init__(self, d_model, num_heads):
            super(MultiHeadAttention, self).__init__()
            self.num_heads = num_heads
            self.d_model = d_model
            assert d_model % self.num_heads == 0
            self.depth = d_model // self.num_heads

        def split_heads(self, x, batch_size):
            x = tf.reshape(x, (batch_size, -1, self.num_heads, self.depth))
            return tf.transpose(x, perm=[0, 2, 1, 3])

        def call(self, v, k, q, mask):
            batch_size = tf.shape(q)[0]
            q = tf.layers.dense(inputs=q, units=self.d_model, use_bias=False)
            k = tf.layers.dense(inputs=k, units=self.d_model, use_bias=False)
            v = tf.layers.dense(inputs=v, units=self.d_model, use_bias=False)
            q = self.split_heads(q, batch_size)
            k = self.split_heads(k, batch_size)
            v = self.split_heads(v, batch_size)
            scaled_attention, attention_weights = scaled_dot_product_attention(q, k, v, mask)
            scaled_attention = tf.transpose(scaled_attention, perm=[0, 2, 1, 3])
            concat_attention = tf.reshape(scaled_attention, (batch_size, -1, self.d_model))
            output = tf.layers.dense(inputs=concat_attention, units=self.d_model, use_bias=False)
            return output, attention_weights

    class DINModel:
        def __init__(self, layer_size=(32,128), mom_decay_rate=0.99):
            self.mom_decay_rate = mom_decay_rate
            self.layer_size = layer_size
            self.initializer = tf.contrib.layers.xavier_initializer()

        def dice(self, _x, name=''):
            alpha = tf.get_variable('dice_alpha'+name, _x.shape[-1], initializer=tf.contrib.layers.xavier_initializer(), dtype=tf.float32)
            _x_norm = tf.layers.batch_normalization(inputs=_x, momentum=self.mom_decay_rate, name="dice_norm"+name)
            _x_p = tf.nn.sigmoid(_x_norm)
            return alpha * (1.0 - _x_p) * _x + _x_p * _x

        def layer_normalize(self,is_ln, inputs, mom_decay_rate, name):
            if is_ln:
                raise NotImplementedError("CustomLayerNormalization")  # FIX: undefined in the notes
            else:
                return inputs

        def din(self, queries, keys, is_bn):
            queries = self.layer_normalize(is_bn, queries, self.mom_decay_rate, "queries_norm")
            keys = self.layer_normalize(is_bn, keys, self.mom_decay_rate, "keys_norm")
            queries = tf.tile(queries, [1, 1, keys.shape[2], 1])
            din_input = tf.concat([queries, keys, queries-keys, queries*keys], axis=-1)
            din_layer1 = tf.layers.dense(din_input, self.layer_size[0], activation='relu', name='layer1', kernel_initializer=self.initializer, bias_initializer=self.initializer)
            din_layer2 = self.dice(
                tf.layers.dense(din_layer1, self.layer_size[1], activation=None, name='layer2', kernel_initializer=self.initializer, bias_initializer=self.initializer)
                )
            din_layer3 = tf.layers.dense(din_layer2, 1, activation=None, name='layer3', kernel_initializer=self.initializer, bias_initializer=self.initializer)
            din_score = tf.reshape(din_layer3, [-1, keys.shape[1], keys.shape[2], 1])  # FIX: was (b, s, 1, t) with static b
            output = tf.reduce_sum(din_score * keys, axis = 2)
            return output

        def __call__(self, queries, keys, is_bn=True, name='din'):
            with tf.variable_scope(name):
                out = self.din(queries, keys, is_bn)
            return out

    ph = {"ids": tf.placeholder(tf.int32, [None, F], name="ids"),
          "seq": tf.placeholder(tf.float32, [None, 5, D], name="seq"),
          "q": tf.placeholder(tf.float32, [None, S, 1, 4], name="q"),
          "k": tf.placeholder(tf.float32, [None, S, T, 4], name="k"),
          "x": tf.placeholder(tf.float32, [None, 6], name="x"),
          "se": tf.placeholder(tf.float32, [None, 5, 4], name="se")}
    out = {}
    fm = FactorizationMachine(F, E)
    out["fm"] = fm(ph["ids"])
    mha = MultiHeadAttention(D, H)
    out["mha"], _ = mha(ph["seq"], ph["seq"], ph["seq"], None)
    out["mha_again"], _ = mha(ph["seq"] * 0.5, ph["seq"], ph["seq"], None)  # same variables
    out["din"] = DINModel(layer_size=(8, 6), mom_decay_rate=0.9)(ph["q"], ph["k"], is_bn=False, name="din")

    input = ph["x"]  # FIX: MMoE's `input` was undefined
    gate_hidden1, expert_hidden, experts_nums, targets_nums = 5, 7, 3, 2  # FIX: sizes were constants with a typo
    with tf.variable_scope("mmoe"):  # FIX: the notes' snippet is top-level code
        experts_out = []
        for i in range(experts_nums):
            expert_out = tf.layers.dense(input, expert_hidden, activation='relu')
            experts_out.append(expert_out)  # FIX: appned
        all_experts_out = tf.stack(experts_out, axis=1)  # FIX: stacked expert_out

        def gate_build(input):
            gate_hidden = tf.layers.dense(input, units=gate_hidden1, activation='relu')  # FIX: units was a list
            gate_out = tf.layers.dense(gate_hidden, experts_nums, activation='softmax')
            gate_out = tf.expand_dims(gate_out, axis=-1)  # FIX: axis 1 does not broadcast over the experts
            return gate_out
        outs = []
        for i in range(targets_nums):
            gate = gate_build(input)
            outs.append(tf.reduce_sum(gate * all_experts_out, axis = 1))
    out["mmoe"] = tf.concat(outs, 1)

    with tf.variable_scope("senet"):
        squ_tensor = tf.reduce_mean(ph["se"], axis=-1)
        out1 = tf.layers.dense(squ_tensor, units=8, activation='relu', name='se1')
        out2 = 2 * tf.layers.dense(out1, units=squ_tensor.shape[-1], activation='sigmoid', name='se2')  # FIX: quote
        out["senet"] = tf.expand_dims(out2, axis = -1) * ph["se"]
    return ph, out


def run_notes(tf, np, data, ckpt_in, ckpt_out):
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(5)
        ph, out = build_notes(tf)
        keys = sorted(out)
        loss = tf.add_n([tf.reduce_mean(tf.square(out[k] - 0.5)) for k in keys])
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        model = [v for v in tf.global_variables() if "GradientDescent" not in v.op.name]
        saver = tf.train.Saver(model)
        feed = {ph[k]: data[k] for k in ph}
        with tf.Session() as sess:
            if ckpt_in:
                saver.restore(sess, ckpt_in)
            else:
                sess.run(tf.global_variables_initializer())
                sess.run(train, feed)
                saver.save(sess, ckpt_out)
            values = sess.run([out[k] for k in keys], feed)
        return {"variables": sorted([v.op.name, v.shape.as_list()] for v in model),
                "out": {k: v.tolist() for k, v in zip(keys, values)}}
'''


def _layers_data():
    rng = np.random.default_rng(5)
    data = {"x": rng.normal(size=(16, 6)), "img": rng.normal(size=(16, 4, 4, 3))}
    for step in range(3):
        data["x%d" % step] = rng.normal(size=(16, 6)) * (1 + step)
        data["img%d" % step] = rng.normal(size=(16, 4, 4, 3)) + step
    return {k: v.astype(np.float32) for k, v in data.items()}


def _conv_data():
    rng = np.random.default_rng(8)
    return {"seq": rng.normal(size=(2, 9, 3)).astype(np.float32),
            "img": rng.normal(size=(2, 8, 8, 3)).astype(np.float32),
            "vol": rng.normal(size=(2, 4, 4, 4, 2)).astype(np.float32)}


def _notes_data():
    rng = np.random.default_rng(12)
    return {"ids": rng.integers(0, 6, size=(4, 6)).astype(np.int32),
            "seq": rng.normal(size=(4, 5, 8)).astype(np.float32),
            "q": rng.normal(size=(4, 2, 1, 4)).astype(np.float32),
            "k": rng.normal(size=(4, 2, 3, 4)).astype(np.float32),
            "x": rng.normal(size=(4, 6)).astype(np.float32),
            "se": rng.normal(size=(4, 5, 4)).astype(np.float32)}


def _assert_layers_same(a, b, what):
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


def _assert_conv_same(a, b, what):
    assert a["variables"] == b["variables"], what + ": variable names/shapes differ"
    assert a["shapes"] == b["shapes"], what + ": static output shapes differ"
    assert a["n_reg"] == b["n_reg"] == 5
    np.testing.assert_allclose(a["reg"], b["reg"], atol=1e-6, rtol=1e-6, err_msg=what + " regularization")
    for i, (x, y) in enumerate(zip(a["outs"], b["outs"])):
        np.testing.assert_allclose(x, y, atol=1e-6, rtol=1e-6, err_msg="%s output %d" % (what, i))
    for name in a["trained"]:
        np.testing.assert_allclose(a["trained"][name], b["trained"][name], atol=1e-5, rtol=1e-5,
                                   err_msg=what + " trained " + name)


def _assert_notes_same(a, b, what):
    assert a["variables"] == b["variables"], what + ": variables differ"
    for key in a["out"]:
        np.testing.assert_allclose(a["out"][key], b["out"][key], rtol=1e-6, atol=1e-6, err_msg=what + " " + key)


def _namespace():
    namespace = {}
    exec(LAYERS_SOURCE + CONV_SOURCE + NOTES_SOURCE + SIGNATURES_SOURCE, namespace)
    return namespace


def _run_notes_compat(namespace, *args):
    compat.install(contrib=True)
    try:
        return namespace["run_notes"](tf2.compat.v1, np, *args)
    finally:
        compat.uninstall()


SIGNATURES_SOURCE = '''
def public_signatures(module):
    """{name: [[parameter, default], ...]} of a layers module's public functions and classes."""
    import inspect
    simple = (type(None), bool, int, float, str, tuple)
    out = {}
    for name in dir(module):
        obj = getattr(module, name)
        if name.startswith("_") or not callable(obj):
            continue
        fn = obj.__init__ if inspect.isclass(obj) else obj
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
        out[name] = [[p.name, repr(p.default) if isinstance(p.default, simple) else type(p.default).__name__]
                     for p in params]
    return out
'''


REFERENCE_SCRIPT = SIGNATURES_SOURCE + WAIT_FOR_SOURCE + '''
import json, types
import numpy as np
import tensorflow as tf2
tf = tf2.compat.v1
signatures = public_signatures(tf.layers)
data = {k: dict(np.load(k + ".npz")) for k in ("layers", "conv", "notes")}
ckpt = json.load(open("ckpt.json"))
tf.contrib = types.SimpleNamespace(layers=types.SimpleNamespace(xavier_initializer=tf.glorot_uniform_initializer))  # FIX: no contrib
own = {"layers": run_layers(tf.layers, tf, np, data["layers"], None, ckpt["legacy_layers"]),
       "conv": run_conv(tf.layers, tf, np, data["conv"], None, ckpt["legacy_conv"]),
       "notes": run_notes(tf, np, data["notes"], None, ckpt["legacy_notes"])}
wait_for("compat_done")  # the compat checkpoints, written by the test process meanwhile
out = {"layers": [own["layers"], run_layers(tf.layers, tf, np, data["layers"], ckpt["compat_layers"], None)],
       "conv": [own["conv"], run_conv(tf.layers, tf, np, data["conv"], ckpt["compat_conv"], None)],
       "notes": [own["notes"], run_notes(tf, np, data["notes"], ckpt["compat_notes"], None)],
       "signatures": [signatures, signatures]}
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Compat results, and TensorFlow's (own, and restored from the compat checkpoints), per source.

    The reference process starts first and builds TensorFlow's own side while the compat side runs here.
    """
    import json

    work = tmp_path_factory.mktemp("compat_vs_tf")
    namespace = _namespace()
    data = {"layers": _layers_data(), "conv": _conv_data(), "notes": _notes_data()}
    ckpt = {"%s_%s" % (side, key): str(work / ("%s_%s" % (side, key)) / "model.ckpt")
            for side in ("compat", "legacy") for key in data}
    for key, value in data.items():
        np.savez(work / (key + ".npz"), **value)
    with open(work / "ckpt.json", "w") as f:
        json.dump(ckpt, f)
    with start_reference(LAYERS_SOURCE + CONV_SOURCE + NOTES_SOURCE + REFERENCE_SCRIPT, work) as theirs:
        own = {"layers": namespace["run_layers"](compat_layers, tf, np, data["layers"], None, ckpt["compat_layers"]),
               "conv": namespace["run_conv"](compat_layers, tf, np, data["conv"], None, ckpt["compat_conv"]),
               "notes": _run_notes_compat(namespace, data["notes"], None, ckpt["compat_notes"])}
        (work / "compat_done").write_text("")
        legacy = theirs.result()
    return {"namespace": namespace, "data": data, "ckpt": ckpt, "own": own,
            "legacy_own": {k: v[0] for k, v in legacy.items()},
            "legacy_restored": {k: v[1] for k, v in legacy.items()}}



@needs_tf_keras
def test_every_public_name_of_tf_layers_exists_with_the_same_signature(reference):
    theirs = reference["legacy_own"]["signatures"]
    ours = reference["namespace"]["public_signatures"](compat_layers)
    assert sorted(theirs) == sorted(compat_layers.__all__)  # `experimental` is a module, not callable
    # Parameter names in positional order, and every default that is a plain value. Newer
    # TensorFlow releases added trailing parameters; ours has them on every release.
    added_later = {"InputSpec": {"optional"}}

    def same(name):
        n = len(theirs[name])
        return ours[name][:n] == theirs[name] and {p for p, _ in ours[name][n:]} <= added_later.get(name, set())

    differ = {name: {"ours": ours[name], "theirs": theirs[name]} for name in theirs if not same(name)}
    assert not differ


@needs_tf_keras
def test_core_and_normalization_layers_match_tf_layers_both_ways(reference):
    ns, data, ckpt = reference["namespace"], reference["data"]["layers"], reference["ckpt"]
    compat_own = reference["own"]["layers"]
    _assert_layers_same(compat_own, reference["legacy_restored"]["layers"], "tf.layers on the compat checkpoint")
    compat_restored = ns["run_layers"](compat_layers, tf, np, data, ckpt["legacy_layers"], None)
    _assert_layers_same(compat_restored, reference["legacy_own"]["layers"], "compat on the tf.layers checkpoint")
    # The graph exercises what it claims: updates ran, the renorm statistics moved, losses exist.
    assert compat_own["n_update_ops"] == 16 and compat_own["n_reg"] == 7
    assert not np.allclose(compat_restored["moving"]["tower/batch_normalization/renorm_mean"], 0.0)
    assert not np.allclose(compat_restored["moving"]["tower/ghost/moving_mean"], 0.0)
    assert not np.allclose(compat_own["y_train"], compat_own["y_infer"])


@needs_tf_keras
def test_convolution_and_pooling_layers_match_tf_layers_both_ways(reference):
    ns, data, ckpt = reference["namespace"], reference["data"]["conv"], reference["ckpt"]
    _assert_conv_same(reference["own"]["conv"], reference["legacy_restored"]["conv"], "tf.layers on the compat checkpoint")
    compat_restored = ns["run_conv"](compat_layers, tf, np, data, ckpt["legacy_conv"], None)
    _assert_conv_same(compat_restored, reference["legacy_own"]["conv"], "compat on the tf.layers checkpoint")
    assert len(compat_restored["outs"]) == 20


@needs_tf_keras
def test_notes_run_after_install_without_tf_keras_and_match_tf_layers_both_ways(reference):
    ns, data, ckpt = reference["namespace"], reference["data"]["notes"], reference["ckpt"]
    own = reference["own"]["notes"]
    names = [n for n, _ in own["variables"]]
    assert "factorization_machine/interaction_weights" in names and "din/dice_norm/moving_mean" in names
    assert [n for n in names if n.startswith("multi_head_attention/")] == [
        "multi_head_attention/dense/kernel", "multi_head_attention/dense_1/kernel",
        "multi_head_attention/dense_2/kernel", "multi_head_attention/dense_3/kernel"]
    _assert_notes_same(own, reference["legacy_restored"]["notes"], "tf.layers on the compat checkpoint")
    restored = _run_notes_compat(ns, data, ckpt["legacy_notes"], None)
    _assert_notes_same(restored, reference["legacy_own"]["notes"], "compat on the tf.layers checkpoint")
    compat_ckpt = ckpt["compat_notes"]

    # The package's fixed blocks restore the notes' checkpoint where the variables correspond.
    with tf.Graph().as_default():
        ids = tf.placeholder(tf.int32, [None, 6])
        fm = FactorizationMachine(6, 3, name="factorization_machine")
        y_fm = fm(ids, tf.cast(ids, tf.float32))  # the notes multiply by the ids themselves
        q, k = tf.placeholder(tf.float32, [None, 2, 1, 4]), tf.placeholder(tf.float32, [None, 2, None, 4])
        y_din = DINModel(layer_size=(8, 6), mom_decay_rate=0.9)(q, k, is_bn=False, name="din")
        se_in = tf.placeholder(tf.float32, [None, 5, 4])
        with tf.variable_scope("senet"):
            y_se = senet(se_in, hidden_units=8)
        with tf.Session() as sess:
            tf.train.Saver(tf.global_variables()).restore(sess, compat_ckpt)
            got = sess.run([y_fm, y_din, y_se], {ids: data["ids"], q: data["q"], k: data["k"], se_in: data["se"]})
    for key, value in zip(("fm", "din", "senet"), got):
        np.testing.assert_allclose(value, own["out"][key], rtol=1e-5, atol=1e-6, err_msg="package " + key)
