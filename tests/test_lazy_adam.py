"""LazyAdamOptimizer: against AdamOptimizer (dense, every row touched), a numpy lazy Adam
(duplicates, untouched rows, partitions), and checkpoints in both directions."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.training import LazyAdamOptimizer, TrainConfig, make_optimizer

LR, BETA1, BETA2, EPS = 0.01, 0.9, 0.999, 1e-8
VOCAB, DIM = 7, 3
RESOURCE = pytest.mark.parametrize("use_resource", [True, False], ids=["resource", "ref"])


class NumpyLazyAdam:
    """Reference: sums repeated rows, then updates only those rows and their moments."""

    def __init__(self, table, dtype=np.float32):
        self.dtype = dtype
        self.var = np.array(table, dtype)
        self.m = np.zeros_like(self.var)
        self.v = np.zeros_like(self.var)
        self.t = 0
        self.beta1_power = self.beta2_power = np.float32(1)

    def step(self, indices, values):
        # TensorFlow holds the hyperparameters and beta powers in float32 and casts them
        # to the variable's dtype; 1 - float32(0.999) differs from 0.001 by 1.3e-5.
        f32, cast = np.float32, self.dtype
        self.t += 1
        beta1_power, beta2_power = self.beta1_power * f32(BETA1), self.beta2_power * f32(BETA2)
        self.beta1_power, self.beta2_power = beta1_power, beta2_power
        beta1, beta2 = cast(f32(BETA1)), cast(f32(BETA2))
        lr = cast(f32(LR)) * np.sqrt(1 - cast(beta2_power)) / (1 - cast(beta1_power))
        rows = np.unique(indices)
        summed = np.zeros_like(self.var)
        np.add.at(summed, indices, np.asarray(values, self.dtype))
        g = summed[rows]
        self.m[rows] = beta1 * self.m[rows] + (1 - beta1) * g
        self.v[rows] = beta2 * self.v[rows] + (1 - beta2) * g * g
        self.var[rows] -= lr * self.m[rows] / (np.sqrt(self.v[rows]) + cast(f32(EPS)))


def _table(seed=0, shape=(VOCAB, DIM)):
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)


def _sliced_table(shape, dtype=tf.float32, partition_info=None):
    """Initializer of a partition: its rows of ``_table()``."""
    offset = partition_info.var_offset[0] if partition_info is not None else 0
    return tf.constant(_table()[offset:offset + shape[0]], dtype)


def _run_slices(opt, steps, use_resource, dtype=tf.float32):
    """Applies hand-made IndexedSlices ``steps = [(indices, values), ...]``.

    Returns the (var, m, v) values after every step.
    """
    with tf.Graph().as_default():
        var = tf.get_variable("table", initializer=_table().astype(dtype.as_numpy_dtype),
                              use_resource=use_resource)
        indices = tf.placeholder(tf.int32, [None])
        values = tf.placeholder(dtype, [None, DIM])
        grad = tf.IndexedSlices(values, indices, tf.constant([VOCAB, DIM]))
        train = opt.apply_gradients([(grad, var)])
        m, v = opt.get_slot(var, "m"), opt.get_slot(var, "v")
        out = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for idx, val in steps:
                sess.run(train, {indices: idx, values: val})
                out.append(sess.run([var, m, v]))
        return out


def _embedding_model(opt, ids_per_step, use_resource, partitions=None, dense=False):
    """``loss = sum(w * lookup(table, ids)**2)``: the table's gradient is IndexedSlices
    (or a dense tensor when ``dense``). Returns {name: value} of all variables per step."""
    with tf.Graph().as_default():
        if partitions:
            table = tf.get_variable("table", [VOCAB, DIM], initializer=_sliced_table,
                                    partitioner=tf.fixed_size_partitioner(partitions),
                                    use_resource=use_resource)
        else:
            table = tf.get_variable("table", initializer=_table(), use_resource=use_resource)
        ids = tf.placeholder(tf.int32, [None])
        if dense:
            rows = tf.matmul(tf.one_hot(ids, VOCAB), table)
        else:
            rows = tf.nn.embedding_lookup(table, ids, partition_strategy="div")
        w = tf.constant(np.linspace(0.5, 2.0, DIM), tf.float32)
        loss = tf.reduce_sum(w * tf.square(rows - 0.3))
        train = opt.minimize(loss)
        variables = tf.global_variables()
        out = []
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step_ids in ids_per_step:
                sess.run(train, {ids: step_ids})
                out.append(dict(zip([x.op.name for x in variables], sess.run(variables))))
        return out


def _lookup_grad(table, ids):
    """numpy gradient rows of ``_embedding_model``'s loss: one row per id (repeats kept)."""
    w = np.linspace(0.5, 2.0, DIM).astype(np.float32)
    return 2 * w * (table[ids] - np.float32(0.3))


ALL_ROWS = [[0, 1, 2, 3, 4, 5, 6, 2, 2], [6, 5, 4, 3, 2, 1, 0], [0, 0, 1, 2, 3, 4, 5, 6, 6, 6]]


@RESOURCE
def test_dense_gradient_is_adams_exactly(use_resource):
    lazy = _embedding_model(LazyAdamOptimizer(LR), ALL_ROWS[:2] + [[1, 3]], use_resource, dense=True)
    adam = _embedding_model(tf.train.AdamOptimizer(LR), ALL_ROWS[:2] + [[1, 3]], use_resource,
                            dense=True)
    for got, want in zip(lazy, adam):
        assert sorted(got) == sorted(want)
        for name in want:
            np.testing.assert_array_equal(got[name], want[name], err_msg=name)


@RESOURCE
def test_sparse_gradient_touching_every_row_equals_adam(use_resource):
    lazy = _embedding_model(LazyAdamOptimizer(LR), ALL_ROWS, use_resource)
    adam = _embedding_model(tf.train.AdamOptimizer(LR), ALL_ROWS, use_resource)
    for got, want in zip(lazy, adam):
        assert sorted(got) == sorted(want)
        for name in want:
            np.testing.assert_allclose(got[name], want[name], rtol=2e-6, atol=1e-7, err_msg=name)
    # AdamOptimizer's sparse path moves the table; the comparison is not of constants.
    assert not np.allclose(adam[-1]["table"], _table())


@RESOURCE
def test_untouched_rows_and_their_slots_stay_bit_identical(use_resource):
    steps = [[1, 4, 4], [4], [1, 5]]
    lazy = _embedding_model(LazyAdamOptimizer(LR), steps, use_resource)
    prev = {"table": _table(), "table/Adam": np.zeros((VOCAB, DIM), np.float32),
            "table/Adam_1": np.zeros((VOCAB, DIM), np.float32)}
    for step_ids, now in zip(steps, lazy):
        untouched = np.setdiff1d(np.arange(VOCAB), step_ids)
        for name in prev:
            np.testing.assert_array_equal(now[name][untouched], prev[name][untouched], err_msg=name)
            assert not np.array_equal(now[name][step_ids], prev[name][step_ids]), name
        prev = {name: now[name] for name in prev}
    # Rows never looked up keep their initial value; AdamOptimizer would move row 1 at
    # step 2 (decayed momentum), LazyAdam does not.
    np.testing.assert_array_equal(lazy[-1]["table"][[0, 2, 3, 6]], _table()[[0, 2, 3, 6]])


@RESOURCE
def test_sparse_lookup_matches_numpy_lazy_adam(use_resource):
    steps = [[1, 4, 4], [4], [1, 5, 5, 5], [0]]
    lazy = _embedding_model(LazyAdamOptimizer(LR), steps, use_resource)
    ref = NumpyLazyAdam(_table())
    for step_ids, got in zip(steps, lazy):
        ref.step(step_ids, _lookup_grad(ref.var, step_ids))
        np.testing.assert_allclose(got["table"], ref.var, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(got["table/Adam"], ref.m, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(got["table/Adam_1"], ref.v, rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(got["beta1_power"], BETA1 ** (ref.t + 1), rtol=1e-6)


@RESOURCE
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64], ids=["float32", "float64"])
def test_duplicate_indices_are_summed(use_resource, dtype):
    rng = np.random.RandomState(3)
    steps = [([2, 2, 5, 2], rng.randn(4, DIM)), ([5, 0, 5], rng.randn(3, DIM)),
             ([2], rng.randn(1, DIM))]
    got = _run_slices(LazyAdamOptimizer(LR), steps, use_resource, dtype)
    np_dtype = dtype.as_numpy_dtype
    ref = NumpyLazyAdam(_table(), np_dtype)
    rtol = 1e-6 if dtype == tf.float32 else 1e-12
    for (idx, val), (var, m, v) in zip(steps, got):
        ref.step(idx, val)
        np.testing.assert_allclose(var, ref.var, rtol=rtol, atol=rtol / 10)
        np.testing.assert_allclose(m, ref.m, rtol=rtol, atol=rtol / 10)
        np.testing.assert_allclose(v, ref.v, rtol=rtol, atol=rtol / 10)
    # Applying the repeats one by one would differ: the sum is what is applied.
    assert not np.allclose(got[0][1][2], (1 - BETA1) * steps[0][1][0])


def _train_and_save(opt, path, steps, use_resource):
    with tf.Graph().as_default():
        table = tf.get_variable("table", initializer=_table(), use_resource=use_resource)
        ids = tf.placeholder(tf.int32, [None])
        loss = tf.reduce_sum(tf.square(tf.nn.embedding_lookup(table, ids)))
        train = opt.minimize(loss)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for step_ids in steps:
                sess.run(train, {ids: step_ids})
            saver.save(sess, path)
            return {x.op.name: sess.run(x) for x in tf.global_variables()}


def _restore(opt, path, use_resource):
    with tf.Graph().as_default():
        table = tf.get_variable("table", shape=[VOCAB, DIM], use_resource=use_resource)
        ids = tf.placeholder(tf.int32, [None])
        opt.minimize(tf.reduce_sum(tf.square(tf.nn.embedding_lookup(table, ids))))
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, path)
            return {x.op.name: sess.run(x) for x in tf.global_variables()}


@RESOURCE
@pytest.mark.parametrize("direction", ["adam_to_lazy", "lazy_to_adam"])
def test_checkpoints_interchange_with_adam(tmp_path, use_resource, direction):
    writer, reader = LazyAdamOptimizer(LR), tf.train.AdamOptimizer(LR)
    if direction == "adam_to_lazy":
        writer, reader = reader, writer
    path = str(tmp_path / "model.ckpt")
    saved = _train_and_save(writer, path, [[1, 2, 2], [3]], use_resource)
    restored = _restore(reader, path, use_resource)
    assert sorted(restored) == sorted(saved) == [
        "beta1_power", "beta2_power", "table", "table/Adam", "table/Adam_1"]
    for name in saved:
        np.testing.assert_array_equal(restored[name], saved[name], err_msg=name)
    assert np.any(saved["table/Adam"] != 0)


@pytest.mark.parametrize("use_resource", [True, False], ids=["resource", "ref"])
def test_partitioned_table(use_resource):
    steps = [[0, 6, 6], [3], [2, 3, 4]]
    lazy = _embedding_model(LazyAdamOptimizer(LR), steps, use_resource, partitions=3)
    # fixed_size_partitioner(3) on 7 rows: shards of 3, 2, 2 rows.
    shards = [(0, 3), (3, 5), (5, 7)]
    ref = NumpyLazyAdam(_table())
    for step_ids, got in zip(steps, lazy):
        ref.step(step_ids, _lookup_grad(ref.var, step_ids))
        for k, (lo, hi) in enumerate(shards):
            part = "table/part_%d" % k
            np.testing.assert_allclose(got[part], ref.var[lo:hi], rtol=1e-6, atol=1e-7, err_msg=part)
            np.testing.assert_allclose(got[part + "/Adam"], ref.m[lo:hi], rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(got[part + "/Adam_1"], ref.v[lo:hi], rtol=1e-6, atol=1e-12)
    # Row 1 (shard 0) and rows 5 (shard 2) were never looked up.
    np.testing.assert_array_equal(lazy[-1]["table/part_0"][1], _table()[1])
    np.testing.assert_array_equal(lazy[-1]["table/part_2"][0], _table()[5])


def test_selectable_by_name():
    with tf.Graph().as_default():
        assert isinstance(make_optimizer("lazy_adam", 0.5), LazyAdamOptimizer)
    assert TrainConfig(optimizer="lazy_adam").optimizer == "lazy_adam"
    assert issubclass(LazyAdamOptimizer, tf.train.AdamOptimizer)


def test_slots_follow_their_variable_under_replica_device_setter():
    with tf.Graph().as_default():
        with tf.device(tf.train.replica_device_setter(ps_tasks=2)):
            table = tf.get_variable("table", [VOCAB, DIM], partitioner=tf.fixed_size_partitioner(2))
            ids = tf.constant([0, 4, 6])
            loss = tf.reduce_sum(tf.nn.embedding_lookup(table, ids, partition_strategy="div"))
            opt = LazyAdamOptimizer(LR)
            opt.minimize(loss)
        parts = list(table)
        assert {p.device for p in parts} == {"/job:ps/task:0", "/job:ps/task:1"}
        for part in parts:
            for name in ("m", "v"):
                assert opt.get_slot(part, name).device == part.device


def test_lazy_adam_is_where_tf_contrib_opt_users_look():
    import tensorflow

    from tf1_recsys import compat
    from tf1_recsys.compat.contrib.opt import LazyAdamOptimizer as from_contrib
    from tf1_recsys.training import LazyAdamOptimizer

    assert from_contrib is LazyAdamOptimizer
    compat.install(contrib=True)
    try:
        assert tensorflow.compat.v1.contrib.opt.LazyAdamOptimizer is LazyAdamOptimizer
    finally:
        compat.uninstall()
