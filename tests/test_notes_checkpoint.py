"""The notes' own dice, DIN simple, DINModel (is_bn=False) and SENet, trained with
TensorFlow's tf.compat.v1.layers in a subprocess, restore into this package's blocks.

The notes' code is changed only where it cannot run otherwise, each marked "FIX:".
Both sides then take one more training step from the checkpoint and must agree on every
variable, moving statistics included.
"""
import numpy as np

from tests.legacy import needs_tf_keras, run_legacy
from tf1_recsys._tf import tf
from tf1_recsys.layers import DINModel, din, dice, senet

NOTES_SCRIPT = r'''
import json
import numpy as np
import tensorflow as tf
tf = tf.compat.v1  # FIX: TF 2.x
xavier_initializer = tf.glorot_uniform_initializer  # FIX: tf.contrib.layers is gone
tf.disable_eager_execution()  # FIX: TF 2.x starts eagerly

B, S, T, E, L = 5, 2, 3, 4, 5


def dice(_x, name='', mom_decay_rate=0.99, training=False):  # FIX: no self; training passed
    alpha = tf.get_variable('dice_alpha'+name, _x.shape[-1], initializer=xavier_initializer(), dtype=tf.float32)
    _x_norm = tf.layers.batch_normalization(inputs=_x, momentum=mom_decay_rate, name="dice_norm"+name, training=training)
    _x_p = tf.nn.sigmoid(_x_norm)
    return alpha * (1.0 - _x_p) * _x + _x_p * _x


def din(queries, keys, layer_size, training=False):  # FIX: no self; training passed
    queries = tf.tile(queries, [1, keys.shape[1], 1]) # (b,1,e) -> (b,t,e)
    din_input = tf.concat([queries, keys, queries-keys, queries*keys], axis=-1)
    din_layer1 = tf.layers.dense(din_input, layer_size[0], activation='sigmoid', name='att1')
    dice_layer = dice(din_layer1, name='dice_layer', training=training) # above activation should be none
    din_layer2 = tf.layers.dense(dice_layer, layer_size[1], activation=None, name='att2')
    output = din_layer2 * keys
    return output


class DINModel:
    def __init__(self, layer_size=(32,128), mom_decay_rate=0.99):
        self.mom_decay_rate = mom_decay_rate
        self.layer_size = layer_size
        self.initializer = xavier_initializer()

    def dice(self, _x, name='', training=False):  # FIX: training passed
        alpha = tf.get_variable('dice_alpha'+name, _x.shape[-1], initializer=xavier_initializer(), dtype=tf.float32)
        _x_norm = tf.layers.batch_normalization(inputs=_x, momentum=self.mom_decay_rate, name="dice_norm"+name, training=training)
        _x_p = tf.nn.sigmoid(_x_norm)
        return alpha * (1.0 - _x_p) * _x + _x_p * _x

    def layer_normalize(self,is_ln, inputs, mom_decay_rate, name):
        if is_ln:
            layer_norm = CustomLayerNormalization()
            return layer_norm(inputs=inputs)
        else:
            return inputs

    def din(self, queries, keys, is_bn, training=False):
        queries = self.layer_normalize(is_bn, queries, self.mom_decay_rate, "queries_norm")
        keys = self.layer_normalize(is_bn, keys, self.mom_decay_rate, "keys_norm")
        queries = tf.tile(queries, [1, 1, keys.shape[2], 1]) # (b,s,1,e) -> (b,s,t,e)
        din_input = tf.concat([queries, keys, queries-keys, queries*keys], axis=-1)
        din_layer1 = tf.layers.dense(din_input, self.layer_size[0], activation='relu', name='layer1', kernel_initializer=self.initializer, bias_initializer=self.initializer)
        din_layer2 = self.dice(
            tf.layers.dense(din_layer1, self.layer_size[1], activation=None, name='layer2', kernel_initializer=self.initializer, bias_initializer=self.initializer),
            training=training)
        din_layer3 = tf.layers.dense(din_layer2, 1, activation=None, name='layer3', kernel_initializer=self.initializer, bias_initializer=self.initializer)
        # b, s, t, 1
        din_score = tf.reshape(din_layer3, [-1, keys.shape[1], keys.shape[2], 1])  # FIX: was (b, s, 1, t) with static b
        output = tf.reduce_sum(din_score * keys, axis = 2) # b, s, e
        return output

    def __call__(self, queries, keys, is_bn=True, name='din', training=False):
        with tf.variable_scope(name):
            out = self.din(queries, keys, is_bn, training)
        return out


def se(input):  # the notes' module-level SENet, in a function
    squ_tensor = tf.reduce_mean(input, axis=-1) # input b * l * e, b * l
    out1 = tf.layers.dense(squ_tensor, units=8, activation='relu', name='se1')
    out2 = 2 * tf.layers.dense(out1, units=squ_tensor.shape[-1], activation='sigmoid', name='se2') # FIX: closing quote
    res = tf.expand_dims(out2, axis = -1) * input
    return res


rng = np.random.default_rng(7)
data = lambda *shape: rng.normal(size=(4 * B,) + shape).astype(np.float32)
feeds_np = {'x': data(3, 6), 'q3': data(1, E), 'k3': data(T, E), 'q4': data(S, 1, E),
            'k4': data(S, T, E), 'se': data(L, E)}
tf.set_random_seed(3)
ph = {'x': tf.placeholder(tf.float32, [None, 3, 6]), 'q3': tf.placeholder(tf.float32, [None, 1, E]),
      'k3': tf.placeholder(tf.float32, [None, T, E]), 'q4': tf.placeholder(tf.float32, [None, S, 1, E]),
      'k4': tf.placeholder(tf.float32, [None, S, T, E]), 'se': tf.placeholder(tf.float32, [None, L, E])}
training = tf.placeholder_with_default(False, [])
with tf.variable_scope('dice_block'):
    out_dice = dice(ph['x'], name='_x', mom_decay_rate=0.9, training=training)
with tf.variable_scope('din_simple'):
    out_din = din(ph['q3'], ph['k3'], (8, E), training=training)
out_model = DINModel(layer_size=(8, 6), mom_decay_rate=0.9)(ph['q4'], ph['k4'], is_bn=False, name='din', training=training)
with tf.variable_scope('senet'):
    out_se = se(ph['se'])
outs = [out_dice, out_din, out_model, out_se]
loss = tf.add_n([tf.reduce_mean(tf.square(o - 0.5)) for o in outs])
with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(3):
        batch = slice(step * B, (step + 1) * B)
        sess.run(train, {ph[k]: v[batch] for k, v in feeds_np.items()} | {training: True})
    batch = slice(3 * B, 4 * B)
    feed = {ph[k]: v[batch] for k, v in feeds_np.items()}
    infer = sess.run(outs, feed)
    train_mode = sess.run(outs, feed | {training: True})
    tf.train.Saver().save(sess, 'notes.ckpt')
    sess.run(train, feed | {training: True})
    after = {v.op.name: sess.run(v) for v in tf.global_variables()}
np.savez('notes_after_step.npz', **after)
np.savez('notes_io.npz', **{k: v[batch] for k, v in feeds_np.items()},
         **{'infer_%d' % i: o for i, o in enumerate(infer)},
         **{'train_%d' % i: o for i, o in enumerate(train_mode)})
print(json.dumps({'variables': sorted(v.op.name for v in tf.global_variables())}))
'''


@needs_tf_keras
def test_notes_checkpoint_restores_into_package_blocks(tmp_path):
    result = run_legacy(NOTES_SCRIPT, tmp_path)
    io = np.load(str(tmp_path / "notes_io.npz"))
    with tf.Graph().as_default():
        ph = {k: tf.placeholder(tf.float32, [None] + list(io[k].shape[1:])) for k in
              ("x", "q3", "se")}
        # None behaviours: the package does not need a static sequence length.
        ph["k3"] = tf.placeholder(tf.float32, [None, None, 4])
        ph["q4"] = tf.placeholder(tf.float32, [None, 2, 1, 4])
        ph["k4"] = tf.placeholder(tf.float32, [None, 2, None, 4])
        training = tf.placeholder_with_default(False, [])
        with tf.variable_scope("dice_block"):
            out_dice = dice(ph["x"], name="_x", training=training, momentum=0.9)
        with tf.variable_scope("din_simple"):
            out_din = din(ph["q3"], ph["k3"], (8, 4), training=training, att1_activation="sigmoid")
        out_model = DINModel(layer_size=(8, 6), mom_decay_rate=0.9)(
            ph["q4"], ph["k4"], is_bn=False, name="din", training=training)
        with tf.variable_scope("senet"):
            out_se = senet(ph["se"], hidden_units=8)
        outs = [out_dice, out_din, out_model, out_se]
        loss = tf.add_n([tf.reduce_mean(tf.square(o - 0.5)) for o in outs])
        with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
            train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)

        ours = sorted(v.op.name for v in tf.global_variables())
        assert ours == result["variables"]
        ckpt = str(tmp_path / "notes.ckpt")
        assert sorted(name for name, _ in tf.train.list_variables(ckpt)) == ours
        feed = {ph[k]: io[k] for k in ph}
        with tf.Session() as sess:
            tf.train.Saver(tf.global_variables()).restore(sess, ckpt)
            infer = sess.run(outs, feed)
            train_mode = sess.run(outs, {**feed, training: True})
            sess.run(train, {**feed, training: True})
            after = {v.op.name: sess.run(v) for v in tf.global_variables()}
    for i in range(len(outs)):
        np.testing.assert_allclose(infer[i], io["infer_%d" % i], rtol=0, atol=1e-6)
        np.testing.assert_allclose(train_mode[i], io["train_%d" % i], rtol=0, atol=1e-6)
    # One more training step from the checkpoint: same gradients, same moving statistics.
    notes_after = np.load(str(tmp_path / "notes_after_step.npz"))
    for name, value in after.items():
        np.testing.assert_allclose(value, notes_after[name], rtol=1e-5, atol=1e-6, err_msg=name)
    # The restored moving statistics are in use: inference differs from batch statistics.
    assert np.abs(infer[0] - train_mode[0]).max() > 1e-3
