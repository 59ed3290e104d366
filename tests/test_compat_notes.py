"""The notes' layer code runs unchanged after ``tf1_recsys.compat.install()``, without tf_keras.

The notes' FM (ported from ``tf.keras.Model`` to ``tf.layers.Layer``), their
``MultiHeadAttention(tf.layers.Layer)`` with ``tf.layers.dense`` in ``call``, ``DINModel``
with ``tf.contrib.layers.xavier_initializer``, MMoE and SENet are built from one source,
changed only where it is not valid Python or names something undefined (each "FIX:").
Here they run on ``tf1_recsys.compat`` in this process, where tf_keras cannot be imported;
in a subprocess on TensorFlow's own ``tf.compat.v1.layers``. Variable names must be
identical, each side's checkpoint restores into the other with equal outputs, and the
compat checkpoint restores into the package's fixed blocks where the variables correspond.
"""
import numpy as np
import pytest
import tensorflow as tf2

from tests.legacy import needs_tf_keras, run_legacy
from tf1_recsys import compat
from tf1_recsys._tf import tf
from tf1_recsys.layers import DINModel, FactorizationMachine, senet

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


def _data():
    rng = np.random.default_rng(12)
    return {"ids": rng.integers(0, 6, size=(4, 6)).astype(np.int32),
            "seq": rng.normal(size=(4, 5, 8)).astype(np.float32),
            "q": rng.normal(size=(4, 2, 1, 4)).astype(np.float32),
            "k": rng.normal(size=(4, 2, 3, 4)).astype(np.float32),
            "x": rng.normal(size=(4, 6)).astype(np.float32),
            "se": rng.normal(size=(4, 5, 4)).astype(np.float32)}


@pytest.fixture
def notes():
    compat.install(contrib=True)
    namespace = {}
    exec(NOTES_SOURCE, namespace)
    yield lambda *args: namespace["run_notes"](tf2.compat.v1, np, *args)
    compat.uninstall()


def _assert_same(a, b, what):
    assert a["variables"] == b["variables"], what + ": variables differ"
    for key in a["out"]:
        np.testing.assert_allclose(a["out"][key], b["out"][key], rtol=1e-6, atol=1e-6, err_msg=what + " " + key)


@needs_tf_keras
def test_notes_run_after_install_and_checkpoints_match_tf_layers(notes, tmp_path):
    data = _data()
    np.savez(tmp_path / "data.npz", **data)
    compat_ckpt, legacy_ckpt = str(tmp_path / "compat" / "notes.ckpt"), str(tmp_path / "legacy" / "notes.ckpt")
    own = notes(data, None, compat_ckpt)
    names = [n for n, _ in own["variables"]]
    assert "factorization_machine/interaction_weights" in names and "din/dice_norm/moving_mean" in names
    assert [n for n in names if n.startswith("multi_head_attention/")] == [
        "multi_head_attention/dense/kernel", "multi_head_attention/dense_1/kernel",
        "multi_head_attention/dense_2/kernel", "multi_head_attention/dense_3/kernel"]
    script = NOTES_SOURCE + '''
import json, types
import numpy as np
import tensorflow as tf2
tf = tf2.compat.v1
tf.contrib = types.SimpleNamespace(layers=types.SimpleNamespace(xavier_initializer=tf.glorot_uniform_initializer))  # FIX: no contrib
data = dict(np.load("data.npz"))
print(json.dumps({"own": run_notes(tf, np, data, None, %r), "restored": run_notes(tf, np, data, %r, None)}))
''' % (legacy_ckpt, compat_ckpt)
    legacy = run_legacy(script, tmp_path)
    _assert_same(own, legacy["restored"], "tf.layers on the compat checkpoint")
    _assert_same(notes(data, legacy_ckpt, None), legacy["own"], "compat on the tf.layers checkpoint")

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
