"""``tf1_recsys.compat``: install() / uninstall(), the Layer base class' rules, and bad input.

The numbers of every layer are checked against TensorFlow's own layers in
tests/test_compat_layers_vs_tf.py; here the variable-scope rules TensorFlow's
``legacy_tf_layers/base_test.py`` specifies, and the errors.
"""
import numpy as np
import pytest
import tensorflow as tf2

from tf1_recsys import compat
from tf1_recsys import layers as kit
from tf1_recsys.compat import layers as L
from tf1_recsys._tf import tf


@pytest.fixture
def installed():
    compat.install(contrib=True)
    yield
    compat.uninstall()


def test_install_is_idempotent_and_uninstall_restores(installed):
    import tensorflow.compat.v1 as tf_v1

    compat.install(contrib=True)  # twice: still ours, one saved original
    for module in (tf2.compat.v1, tf_v1):
        assert module.layers is L and module.layers.Dense is L.Dense
        assert module.contrib.layers.xavier_initializer is compat.contrib.layers.xavier_initializer
    assert compat.installed()
    compat.uninstall()
    compat.uninstall()
    assert not compat.installed()
    assert not hasattr(tf2.compat.v1, "contrib")
    assert tf2.compat.v1.layers is not L
    compat.install()
    assert tf2.compat.v1.layers is L and not hasattr(tf2.compat.v1, "contrib")


def test_tf1_subclass_of_tf_layers_layer_runs_without_tf_keras(installed, graph, sess, rng):
    # tf_keras cannot be imported in this process (tests/conftest.py).
    v1 = tf2.compat.v1

    class Attention(v1.layers.Layer):
        def __init__(self, units, **kwargs):
            super(Attention, self).__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight("w", [int(input_shape[-1]), self.units])
            super(Attention, self).build(input_shape)

        def call(self, inputs, training=False):
            q = v1.layers.dense(inputs, self.units, name="wq")
            h = v1.nn.softmax(tf.matmul(q, self.w, transpose_b=True)) * inputs
            return v1.layers.dropout(h, 0.5, training=training)

    x = tf.placeholder(tf.float32, [None, 3])
    layer = Attention(4)
    y1 = layer(x)
    y2 = layer(x * 2.0)  # second call: same scope, reused variables
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "attention/w", "attention/wq/bias", "attention/wq/kernel"]
    assert layer.variables == [layer.w] and layer.scope_name == "attention"
    assert y1.op.name.startswith("attention/") and y2.op.name.startswith("attention/")
    sess.run(tf.global_variables_initializer())
    xv = rng.normal(size=(5, 3)).astype(np.float32)
    by_name = {v.op.name: v for v in tf.global_variables()}
    w, k, b = sess.run([layer.w, by_name["attention/wq/kernel"], by_name["attention/wq/bias"]])
    q = xv @ k + b
    logits = q @ w.T
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(sess.run(y1, {x: xv}), p * xv, rtol=1e-5, atol=1e-6)


def test_kit_dense_and_batch_normalization_are_the_compat_functions():
    assert kit.dense is L.dense and kit.batch_normalization is L.batch_normalization
    assert kit.xavier_initializer is compat.contrib.layers.xavier_initializer


def test_scope_naming_follows_tf_layers(graph):
    class Private(L.Layer):
        def call(self, inputs):
            return inputs

    x = tf.placeholder(tf.float32, [2])
    scopes = []
    for name in (None, None, "my_layer", "my_layer"):
        layer = Private(name=name)
        layer(x)
        scopes.append(layer.scope_name)
    with tf.name_scope("some_name_scope"):  # a name scope does not change variable scopes
        layer = Private()
        layer(x)
        scopes.append(layer.scope_name)
    with tf.variable_scope("var_scope"):
        layer = Private(name="my_layer")
        layer(x)
        scopes.append(layer.scope_name)
    assert scopes == ["private", "private_1", "my_layer", "my_layer_1", "private_2", "var_scope/my_layer"]
    unnamed = Private()
    with pytest.raises(ValueError, match="has not been used yet"):
        unnamed.scope_name


def test_add_weight_outside_call_and_trainable_rules(graph):
    layer = L.Layer(name="my_layer")
    v = layer.add_weight("my_var", [2, 2], initializer=tf.zeros_initializer())
    n = layer.add_weight("frozen", [2], trainable=False)
    r = layer.add_weight("reg", [2], regularizer=lambda w: tf.reduce_sum(w) * 1e-3)
    s = layer.add_weight("on_read", [2], synchronization=tf.VariableSynchronization.ON_READ,
                         aggregation=tf.VariableAggregation.SUM)
    assert v.name == "my_layer/my_var:0"
    assert layer.trainable_weights == [v, r] and layer.non_trainable_weights == [n, s]
    assert len(layer.losses) == 1 and tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES) == layer.losses
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    with pytest.raises(ValueError, match="ON_READ only for non-trainable variables"):
        layer.add_weight("bad", [1], synchronization=tf.VariableSynchronization.ON_READ, trainable=True)
    with pytest.raises(TypeError, match="Unknown keyword argument"):
        layer.add_weight("bad", [1], colour="red")
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        L.Layer(colour="red")


@pytest.mark.parametrize("spec, good, bad, message", [
    (dict(ndim=2), [[1.0], [2.0]], [1.0], "expected ndim=2"),
    (dict(min_ndim=2), [[[1.0]]], [1.0], "expected min_ndim=2"),
    (dict(max_ndim=2), [1.0], [[[1.0]]], "expected max_ndim=2"),
    (dict(dtype="float32"), 1.0, 1, "expected dtype=float32"),
    (dict(axes={-1: 2}), [1.0, 2.0], [1.0, 2.0, 3.0], "expected axis -1"),
    (dict(shape=(None, 3)), [[1.0, 2.0, 3.0]], [[1.0, 2.0]], "expected shape"),
])
def test_input_spec_is_checked_on_call(graph, spec, good, bad, message):
    class Checked(L.Layer):
        def __init__(self):
            super(Checked, self).__init__()
            self.input_spec = L.InputSpec(**spec)

    Checked()(tf.constant(good))
    with pytest.raises(ValueError, match=message):
        Checked()(tf.constant(bad))


def test_activity_regularizer_loss_is_divided_by_the_batch_and_conditional(graph, sess):
    x = tf.placeholder(tf.float32, [None, 2])
    layer = L.Layer(activity_regularizer=tf.reduce_sum)
    layer(x)
    assert len(layer.get_losses_for(x)) == 1 and layer.get_losses_for(None) == []
    xv = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert sess.run(layer.losses[0], {x: xv}) == pytest.approx(xv.sum() / 3)


def test_training_of_an_enclosing_call_reaches_inner_layers(graph):
    seen = []

    class Inner(L.Layer):
        def call(self, inputs, training=False):
            seen.append(training)
            return inputs

    class Outer(L.Layer):
        def __init__(self):
            super(Outer, self).__init__()
            self.inner = Inner()

        def call(self, inputs, training=False):
            return self.inner(inputs)

    Outer()(tf.constant([1.0]), training=True)
    assert seen == [True]


def test_dense_class_reuses_variables_on_second_call(graph):
    layer = L.Dense(3, name="proj")
    x = tf.placeholder(tf.float32, [None, 4])
    layer(x)
    layer(tf.placeholder(tf.float32, [None, 2, 4]))
    assert len(tf.global_variables()) == 2 and layer.built and layer.count_params() == 15
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(tf.placeholder(tf.float32, [None, 5]))


# --- bad input -------------------------------------------------------------------------

def test_batch_normalization_rejects_invalid_arguments(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    for eps in (0.0, -1.0, "a"):
        with pytest.raises(ValueError, match="batch_normalization: `epsilon` must be a number > 0; got %r" % (eps,)):
            L.batch_normalization(x, epsilon=eps)
    with pytest.raises(ValueError, match=r"`momentum` must be in \[0, 1\]; got 1.5"):
        L.BatchNormalization(momentum=1.5)
    with pytest.raises(TypeError, match="`axis` must be an int or a list/tuple of ints; got 'last'"):
        L.BatchNormalization(axis="last")
    with pytest.raises(ValueError, match="`renorm_clipping` keys must be among rmax, rmin, dmax; got \\['rmean'\\]"):
        L.BatchNormalization(renorm=True, renorm_clipping={"rmean": 1.0})
    with pytest.raises(ValueError, match="`virtual_batch_size` must be a positive integer; got 0"):
        L.BatchNormalization(virtual_batch_size=0)
    with pytest.raises(ValueError, match="cannot include the batch axis 0"):
        L.batch_normalization(x, axis=[0, 1], virtual_batch_size=2)
    with pytest.raises(ValueError, match=r"`axis` has duplicate axes: \[1, -1\]"):
        L.batch_normalization(x, axis=[1, -1])
    assert tf.global_variables() == []


def test_training_none_means_inference_as_in_tf1(graph, sess, rng):
    x = tf.constant(rng.normal(size=(4, 3)).astype(np.float32))
    y_bn = L.batch_normalization(x, training=None)
    y_drop = L.dropout(x, training=None)
    assert tf.get_collection(tf.GraphKeys.UPDATE_OPS) == []
    sess.run(tf.global_variables_initializer())
    xv, bn, drop = sess.run([x, y_bn, y_drop])
    np.testing.assert_allclose(bn, xv / np.sqrt(1.0 + 1e-3), rtol=1e-6)  # moving stats 0 / 1
    np.testing.assert_array_equal(drop, xv)


def test_dropout_and_flatten_reject_invalid_arguments(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    with pytest.raises(ValueError, match=r"dropout: `rate` must be a number in \[0, 1\]; got 1.5"):
        L.dropout(x, rate=1.5)
    with pytest.raises(TypeError, match="`training` must be a boolean tensor; got dtype float32"):
        L.dropout(x, training=tf.placeholder(tf.float32, []))
    with pytest.raises(ValueError, match="`data_format` must be 'channels_first' or 'channels_last'; got 'NHWC'"):
        L.flatten(x, data_format="NHWC")


def test_layers_called_eagerly_keep_the_graph_mode_error():
    assert tf.executing_eagerly()
    for call in (lambda: L.Dense(2)(np.ones((2, 3), np.float32)), lambda: L.dropout(np.ones(3, np.float32)),
                 lambda: L.Layer().add_weight("w", [1])):
        with pytest.raises(RuntimeError, match="builds TF1 static-graph variables"):
            call()


def test_channels_first_convolutions_equal_channels_last_on_transposed_inputs(graph, sess, rng):
    # TensorFlow's CPU kernels run only channels-last convolutions, so its own channels-first
    # layers cannot be run here; the channels-last ones are checked against it elsewhere.
    img = tf.constant(rng.normal(size=(2, 6, 6, 3)).astype(np.float32))
    seq = tf.constant(rng.normal(size=(2, 7, 3)).astype(np.float32))
    to_cf = lambda t: tf.transpose(t, [0, t.shape.rank - 1] + list(range(1, t.shape.rank - 1)))
    pairs = []
    for make, x in ((lambda **k: L.Conv2D(4, 3, strides=2, padding="same", **k), img),
                    (lambda **k: L.SeparableConv1D(2, 3, depth_multiplier=2, padding="causal", **k), seq),
                    (lambda **k: L.Conv2DTranspose(2, 3, strides=2, **k), img),
                    (lambda **k: L.MaxPooling2D(2, 2, **k), img)):
        last, first = make(), make(data_format="channels_first")
        y_last = last(x)
        y_first = first(to_cf(x))
        if last.weights:
            sess.run(tf.variables_initializer(last.weights))
            for w_first, w_last in zip(first.weights, last.weights):
                assert w_first.shape == w_last.shape
                sess.run(w_first.assign(w_last))
        pairs.append((to_cf(y_last), y_first))
    for want, got in sess.run(pairs):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    xv = sess.run(img)  # channels-first max pooling against numpy
    pooled = sess.run(L.max_pooling2d(to_cf(img), 2, 2, data_format="channels_first"))
    np.testing.assert_array_equal(pooled, xv.transpose(0, 3, 1, 2).reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5)))


def test_convolution_and_pooling_reject_invalid_arguments(graph):
    img = tf.placeholder(tf.float32, [None, 4, 4, 3])
    with pytest.raises(ValueError, match=r"conv2d: `kernel_size` must be an int or a tuple of 2 ints; got \(3, 3, 3\)"):
        L.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="`strides` > 1 cannot be combined with `dilation_rate` > 1"):
        L.conv2d(img, 2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="`padding` must be one of valid, same; got 'causal'"):
        L.conv2d(img, 2, 3, padding="causal")
    with pytest.raises(ValueError, match=r"conv2d: `inputs` must have rank 4; got shape \(None, 4, 3\)"):
        L.conv2d(tf.placeholder(tf.float32, [None, 4, 3]), 2, 3)
    with pytest.raises(ValueError, match=r"conv1d: The channel dimension of the inputs should be defined.*\(None, 4, None\)"):
        L.conv1d(tf.placeholder(tf.float32, [None, 4, None]), 2, 3)
    with pytest.raises(ValueError, match="max_pooling2d: `strides` must not be None"):
        L.max_pooling2d(img, 2, None)
    with pytest.raises(ValueError, match=r"`pool_size` must be > 0; got 0"):
        L.AveragePooling1D(0, 1)


def test_deepcopy_shares_graph_objects_and_keeps_the_scope(graph):
    import copy

    class Square(L.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", [])
            super(Square, self).build(input_shape)

        def call(self, inputs):
            return tf.square(inputs) * self.w

    layer = Square(name="my_layer")
    layer._private_tensor = tf.random_uniform(())
    out = layer(tf.placeholder(tf.float32, [5]))
    assert out.op.name == "my_layer/mul"
    twin = copy.deepcopy(layer)
    assert (twin.name, twin.scope_name) == (layer.name, layer.scope_name)
    assert twin._private_tensor is layer._private_tensor and twin.w is layer.w and twin.variables == layer.variables
    twin(tf.placeholder(tf.float32, [5]))  # built: reuses the variable
    assert len(tf.global_variables()) == 1


def test_get_updates_for_and_get_losses_for_select_by_dependence_on_inputs(graph):
    class Counting(L.Layer):
        def build(self, input_shape):
            self.a = self.add_weight("a", (), tf.float32, trainable=False)
            self.add_update(tf.assign_add(self.a, 1.0))  # unconditional
            self.add_loss(self.a)
            super(Counting, self).build(input_shape)

        def call(self, inputs):
            self.add_update(tf.assign_add(self.a, inputs))  # depends on this call's inputs
            self.add_loss(inputs * 2.0)
            return inputs + 1

    layer = Counting()
    counts = []
    for _ in range(2):
        raw = tf.placeholder(tf.float32, ())
        middle = raw + 1
        out = layer(middle)
        for get in (layer.get_updates_for, layer.get_losses_for):
            counts.append([len(get(None)), len(get([raw])), len(get([middle])), len(get([out]))])
        counts.append([len(layer.updates), len(layer.losses)])
    assert counts == [[1, 1, 1, 0], [1, 1, 1, 0], [2, 2], [1, 1, 1, 0], [1, 1, 1, 0], [3, 3]]
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 3


def test_install_estimator_runs_tf_estimator_code_unchanged(tmp_path):
    import tensorflow.compat.v1 as tf_v1

    from tf1_recsys import estimator as ours

    before = [getattr(m, "estimator", None) for m in (tf2, tf2.compat.v1, tf2.compat.v2)]
    compat.install(estimator=True)
    try:
        from tf1_recsys._api.v2 import estimator as ours_v2
        assert tf_v1.estimator is ours and tf2.estimator is ours_v2 and tf2.compat.v2.estimator is ours_v2

        def model_fn(features, labels, mode):  # written against tf.estimator, untouched
            logits = tf_v1.squeeze(tf_v1.layers.dense(features["x"], 1, name="logits"), 1)
            if mode == tf2.estimator.ModeKeys.PREDICT:
                return tf2.estimator.EstimatorSpec(mode, predictions={"p": tf_v1.sigmoid(logits)}, export_outputs={
                    "serving_default": tf2.estimator.export.PredictOutput({"p": tf_v1.sigmoid(logits)})})
            loss = tf_v1.losses.sigmoid_cross_entropy(labels, logits)
            train_op = tf_v1.train.GradientDescentOptimizer(0.5).minimize(
                loss, global_step=tf_v1.train.get_global_step())
            return tf2.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

        x = np.linspace(-1, 1, 32, dtype=np.float32).reshape(16, 2)
        y = (x.sum(axis=1) > 0).astype(np.float32)
        est = tf2.estimator.Estimator(model_fn, str(tmp_path), tf2.estimator.RunConfig(tf_random_seed=1))
        est.train(tf_v1.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=4, num_epochs=1, shuffle=False))
        kernel = est.get_variable_value("logits/kernel")[:, 0]
        bias = est.get_variable_value("logits/bias")[0]
        predicted = [p["p"] for p in est.predict(tf_v1.estimator.inputs.numpy_input_fn(
            {"x": x}, batch_size=4, shuffle=False))]
        np.testing.assert_allclose(predicted, 1 / (1 + np.exp(-(x @ kernel + bias))), rtol=1e-5)
        assert est.get_variable_value("global_step") == 4
    finally:
        compat.uninstall()
    assert [getattr(m, "estimator", None) for m in (tf2, tf2.compat.v1, tf2.compat.v2)] == before
