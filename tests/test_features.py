"""tf1_recsys.features: tables, partition strategy, hashing, pooling, the embedder."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.data.schema import Feature, Schema
from tf1_recsys.features import (
    FeatureEmbedder,
    embedding_lookup,
    embedding_table,
    hash_bucket,
    id_mask,
    placeholders,
    pool,
)


def _table_values(sess, table):
    if isinstance(table, tf.Variable):
        return sess.run(table)
    return np.concatenate(sess.run(list(table)), axis=0)


@pytest.mark.parametrize("vocab, shards", [(10, 3), (12, 4), (7, 2)])
def test_div_lookup_of_a_partitioned_table_is_row_i(graph, sess, vocab, shards):
    table = embedding_table("t", vocab, 3, num_shards=shards)
    assert len(list(table)) == shards
    ids = tf.constant(np.arange(vocab)[::-1].copy(), tf.int64)
    div = embedding_lookup(table, ids)  # the default
    mod = embedding_lookup(table, ids, partition_strategy="mod")
    sess.run(tf.global_variables_initializer())
    full = _table_values(sess, table)
    got_div, got_mod = sess.run([div, mod])
    np.testing.assert_array_equal(got_div, full[::-1])
    # 'mod' reads id i from shard i % shards, row i // shards: another row of the full table
    shard_rows = [sess.run(v) for v in table]
    expected_mod = np.stack([shard_rows[i % shards][i // shards] for i in range(vocab)[::-1]])
    np.testing.assert_array_equal(got_mod, expected_mod)
    assert not np.array_equal(got_mod, got_div)


def test_partitioned_table_saves_like_an_unpartitioned_one(tmp_path):
    g1 = tf.Graph()
    with g1.as_default(), tf.Session() as s1:
        t = embedding_table("emb", 10, 4, num_shards=3)
        s1.run(tf.global_variables_initializer())
        full = _table_values(s1, t)
        path = tf.train.Saver().save(s1, str(tmp_path / "ckpt"))
    g2 = tf.Graph()
    with g2.as_default(), tf.Session() as s2:
        t2 = embedding_table("emb", 10, 4)
        tf.train.Saver().restore(s2, path)
        np.testing.assert_array_equal(s2.run(embedding_lookup(t2, tf.constant([0, 4, 9]))), full[[0, 4, 9]])


def test_unknown_partition_strategy(graph):
    with pytest.raises(ValueError, match="partition_strategy"):
        embedding_lookup(embedding_table("t", 4, 2), tf.constant([1]), partition_strategy="modulo")


def test_hash_bucket_range_padding_and_determinism(graph, sess):
    raw = np.array([[0, 5, 123456789012, 5], [7, 0, 0, 1]], np.int64)
    h = hash_bucket(tf.constant(raw), 100)
    hs = hash_bucket(tf.constant(raw.astype(str)), 100)
    empty = hash_bucket(tf.constant(["", "a"]), 100)
    out, out_s, out_e = sess.run([h, hs, empty])
    assert out.dtype == np.int64 and out.shape == raw.shape
    assert np.all(out[raw == 0] == 0)
    assert np.all((out[raw != 0] >= 1) & (out[raw != 0] < 100))
    assert out[0, 1] == out[0, 3]
    np.testing.assert_array_equal(out[raw != 0], out_s[raw != 0])  # ints hash like their decimal strings
    assert out_e[0] == 0 and out_e[1] >= 1
    assert np.array_equal(out, sess.run(hash_bucket(tf.constant(raw), 100)))
    with pytest.raises(ValueError):
        hash_bucket(tf.constant([1]), 1)
    with pytest.raises(TypeError):
        hash_bucket(tf.constant([1.5]), 10)


def test_pool_sum_and_mean_with_mask(graph, sess):
    emb = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)
    ids = np.array([[4, 2, 0], [0, 0, 0]], np.int64)
    mask = id_mask(tf.constant(ids))
    s, m = sess.run([pool(tf.constant(emb), mask, "sum"), pool(tf.constant(emb), mask, "mean")])
    np.testing.assert_allclose(s, [emb[0, 0] + emb[0, 1], [0, 0]])
    np.testing.assert_allclose(m, [(emb[0, 0] + emb[0, 1]) / 2, [0, 0]])
    with pytest.raises(ValueError):
        pool(tf.constant(emb), mask, "max")


def _schema(shards=1, hashed=False):
    return Schema([
        Feature("user", "slot", vocab_size=50, hash_buckets=hashed),
        Feature("item", "slot", vocab_size=20, num_shards=shards),
        Feature("tags", "multi", vocab_size=6, max_len=3, pooling="sum"),
        Feature("hist", "sequence", vocab_size=20, max_len=4, query="item"),
        Feature("price", "real"),
        Feature("age", "real"),
    ], labels=("click",), group="user")


def test_embedder_shares_tables_and_pools(graph, sess):
    schema = _schema(shards=2)
    inputs = placeholders(schema)
    assert inputs["hist"].shape.as_list() == [None, 4] and inputs["hist"].dtype == tf.int64
    assert inputs["price"].dtype == tf.float32
    emb = FeatureEmbedder(schema, 5, l2=0.1)
    item = emb.field("item", inputs["item"])
    tags = emb.field("tags", inputs["tags"])
    hist, mask = emb.sequence("hist", inputs["hist"])
    real = emb.real(inputs)
    assert schema.get("hist").table_name == "item"
    assert set(emb.tables) == {"item", "tags"}
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 3
    sess.run(tf.global_variables_initializer())
    feed = {inputs["item"]: [3, 7], inputs["tags"]: [[1, 2, 0], [0, 0, 0]],
            inputs["hist"]: [[3, 5, 0, 0], [7, 0, 0, 0]], inputs["price"]: [1.5, 2.0], inputs["age"]: [3., 4.]}
    i, t, h, m, r = sess.run([item, tags, hist, mask, real], feed)
    full_item = _table_values(sess, emb.tables["item"])
    full_tags = sess.run(emb.tables["tags"])
    np.testing.assert_allclose(i, full_item[[3, 7]])
    np.testing.assert_allclose(h[0, 0], i[0])  # the sequence reads the item table
    np.testing.assert_array_equal(m, [[1, 1, 0, 0], [1, 0, 0, 0]])
    np.testing.assert_allclose(t, [full_tags[1] + full_tags[2], np.zeros(5)], rtol=1e-6)
    np.testing.assert_array_equal(r, [[1.5, 3.0], [2.0, 4.0]])
    with pytest.raises(ValueError):
        emb.field("price", inputs["price"])


def test_embedder_hashes_raw_ids(graph, sess):
    schema = _schema(hashed=True)
    inputs = placeholders(schema)
    emb = FeatureEmbedder(schema, 4)
    user = emb.field("user", inputs["user"])
    sess.run(tf.global_variables_initializer())
    raw = np.array([10 ** 12, 0, 10 ** 12 + 1], np.int64)
    got = sess.run(user, {inputs["user"]: raw})
    table = sess.run(emb.tables["user"])
    rows = sess.run(hash_bucket(tf.constant(raw), 50))
    np.testing.assert_allclose(got, table[rows])


def test_schema_validation():
    with pytest.raises(ValueError, match="query"):
        Feature("h", "sequence", vocab_size=5, max_len=2)
    with pytest.raises(ValueError, match="kind"):
        Feature("h", "dense")
    with pytest.raises(ValueError, match="unknown slot"):
        Schema([Feature("h", "sequence", vocab_size=5, max_len=2, query="item")])
    s = _schema()
    assert Schema.from_dict(s.to_dict()) == s
    assert s.tables() == {"user": 50, "item": 20, "tags": 6}
