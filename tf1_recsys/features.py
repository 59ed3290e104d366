"""Sparse and real-valued features the TF1 way: slot embeddings from ``get_variable``.

* Every id-valued feature reads an embedding table ``embeddings/<table>`` of shape
  [vocab_size, embedding_size] created with ``tf.compat.v1.get_variable``. Id 0 is the
  padding id: it has a row like any other id, but masks ignore it.
* A large table can be split into ``num_shards`` variables with
  ``tf.compat.v1.fixed_size_partitioner``; lookups then go through
  ``tf.compat.v1.nn.embedding_lookup`` with an explicit ``partition_strategy``.

  Partition strategy: ``tf.compat.v1.nn.embedding_lookup`` defaults to ``'mod'``
  (id i lives in shard ``i % num_shards``), while TF2's ``tf.nn.embedding_lookup``
  always uses ``'div'`` (contiguous blocks of ids per shard). A
  ``fixed_size_partitioner`` variable is stored as contiguous row blocks, so only
  ``'div'`` makes row i of the concatenated shards the embedding of id i: the
  partitioned table then saves, restores and freezes exactly like an unpartitioned
  one. This module therefore always passes ``partition_strategy`` explicitly and
  defaults to ``'div'``; ``'mod'`` is accepted for compatibility with old TF1 graphs.
* ``hash_bucket`` maps raw ids (int64 or strings) into [1, num_buckets) with
  TensorFlow's FarmHash fingerprint (stable across runs and platforms); 0 stays 0.
* Multi-valued slots [B, T] are pooled to [B, E] by sum or mean over the non-padding ids.
* Real-valued features [B] are stacked into one [B, R] tensor: the notes' ``rv_feas``.
"""
from tf1_recsys._tf import check_rank, require_graph_mode, tf

PARTITION_STRATEGIES = ("div", "mod")
DEFAULT_PARTITION_STRATEGY = "div"


def _check_strategy(fn, partition_strategy):
    if partition_strategy not in PARTITION_STRATEGIES:
        raise ValueError("%s: `partition_strategy` must be 'div' or 'mod'; got %r." % (fn, partition_strategy))


def embedding_table(name, vocab_size, embedding_size, num_shards=1, initializer=None,
                    regularizer=None, trainable=True):
    """Creates (or, under a reusing scope, gets) the table ``name`` [vocab_size, embedding_size].

    Args:
      num_shards: 1 gives a plain variable; > 1 a ``PartitionedVariable`` split into
        ``num_shards`` contiguous row blocks by ``tf.compat.v1.fixed_size_partitioner``.
      initializer: default N(0, 0.05).

    Returns:
      A variable, or a ``PartitionedVariable`` (iterable over its shards).
    """
    require_graph_mode("embedding_table")
    if int(vocab_size) < 1 or int(embedding_size) < 1:
        raise ValueError("embedding_table %r: vocab_size and embedding_size must be >= 1." % name)
    if int(num_shards) < 1:
        raise ValueError("embedding_table %r: num_shards must be >= 1; got %r." % (name, num_shards))
    partitioner = tf.fixed_size_partitioner(int(num_shards)) if int(num_shards) > 1 else None
    return tf.get_variable(
        name,
        shape=[int(vocab_size), int(embedding_size)],
        dtype=tf.float32,
        initializer=initializer if initializer is not None else tf.random_normal_initializer(stddev=0.05),
        regularizer=regularizer,
        partitioner=partitioner,
        trainable=trainable,
    )


def embedding_lookup(table, ids, partition_strategy=DEFAULT_PARTITION_STRATEGY, name=None):
    """Rows of ``table`` for ``ids``: int tensor [...] -> float [..., E].

    ``table`` is a variable or a ``PartitionedVariable``; see the module docstring for
    why ``partition_strategy`` defaults to 'div'.
    """
    _check_strategy("embedding_lookup", partition_strategy)
    return tf.nn.embedding_lookup(table, ids, partition_strategy=partition_strategy, name=name)


def hash_bucket(ids, num_buckets, name=None):
    """Hashes raw ids into [1, num_buckets); id 0 (and the empty string) stays 0 (padding).

    Args:
      ids: int or string tensor of any shape.
      num_buckets: >= 2, the vocab size of the table the ids index.

    Returns:
      int64 tensor of the shape of ``ids``.
    """
    if int(num_buckets) < 2:
        raise ValueError("hash_bucket: num_buckets must be >= 2; got %r." % num_buckets)
    with tf.name_scope(name, "hash_bucket", [ids]):
        ids = tf.convert_to_tensor(ids)
        if ids.dtype == tf.string:
            strings, is_pad = ids, tf.equal(ids, "")
        elif ids.dtype.is_integer:
            strings, is_pad = tf.as_string(ids), tf.equal(ids, tf.zeros([], ids.dtype))
        else:
            raise TypeError("hash_bucket: ids must be integers or strings; got %s." % ids.dtype.name)
        hashed = tf.strings.to_hash_bucket_fast(strings, int(num_buckets) - 1) + 1
        return tf.where(is_pad, tf.zeros_like(hashed), hashed)


def id_mask(ids):
    """``ids != 0`` as float32, the same shape as ``ids``: 1 = real id, 0 = padding."""
    return tf.cast(tf.not_equal(ids, tf.zeros([], ids.dtype)), tf.float32)


def pool(embeddings, mask, mode="mean"):
    """Pools [B, T, E] over T with mask [B, T] (1 = real, 0 = pad) -> [B, E].

    'sum' adds the real rows; 'mean' divides by their count (an all-padding row gives 0).
    """
    check_rank("pool", "embeddings", embeddings, rank=3)
    if mode not in ("sum", "mean"):
        raise ValueError("pool: mode must be 'sum' or 'mean'; got %r." % mode)
    mask = tf.cast(mask, embeddings.dtype)
    total = tf.reduce_sum(embeddings * tf.expand_dims(mask, -1), axis=1)
    if mode == "sum":
        return total
    count = tf.reduce_sum(mask, axis=1, keepdims=True)
    return total / tf.maximum(count, 1.0)


def placeholders(schema):
    """Feature placeholders named after the features: ids int64 [None] or [None, T], reals float32 [None]."""
    require_graph_mode("placeholders")
    out = {}
    with tf.name_scope("inputs"):
        for f in schema.features:
            if f.kind == "real":
                out[f.name] = tf.placeholder(tf.float32, [None], name=f.name)
            elif f.kind == "slot":
                out[f.name] = tf.placeholder(tf.int64, [None], name=f.name)
            else:
                out[f.name] = tf.placeholder(tf.int64, [None, f.max_len], name=f.name)
    return out


def label_placeholders(schema):
    """One float32 [None] placeholder per label, named ``labels/<task>``."""
    with tf.name_scope("labels"):
        return {t: tf.placeholder(tf.float32, [None], name=t) for t in schema.labels}


class FeatureEmbedder(object):
    """Embeds a schema's features into ``embedding_size`` columns, one table per table name.

    Tables are created on first use in the variable scope ``scope`` and shared by every
    feature naming the same table (e.g. ``item`` and the behaviour sequence ``hist_item``).

    Args:
      schema: a ``tf1_recsys.data.schema.Schema``.
      embedding_size: E.
      partition_strategy: for partitioned tables; 'div' (default) or 'mod'.
      l2: weight of an L2 penalty on the looked-up rows (added to
        ``GraphKeys.REGULARIZATION_LOSSES``, averaged over the batch), 0 for none.
    """

    def __init__(self, schema, embedding_size, partition_strategy=DEFAULT_PARTITION_STRATEGY,
                 initializer=None, l2=0.0, scope="embeddings"):
        _check_strategy("FeatureEmbedder", partition_strategy)
        self.schema = schema
        self.embedding_size = int(embedding_size)
        self.partition_strategy = partition_strategy
        self.initializer = initializer
        self.l2 = float(l2)
        self.scope = scope
        self.tables = {}
        self._vocab = schema.tables()
        self._shards = {}
        for f in schema.features:
            if f.kind != "real":
                self._shards[f.table_name] = max(self._shards.get(f.table_name, 1), f.num_shards)

    def table(self, table_name):
        """The table variable (created on first call)."""
        if table_name not in self.tables:
            with tf.variable_scope(self.scope, reuse=tf.AUTO_REUSE):
                self.tables[table_name] = embedding_table(
                    table_name, self._vocab[table_name], self.embedding_size,
                    num_shards=self._shards[table_name], initializer=self.initializer)
        return self.tables[table_name]

    def ids(self, feature, ids):
        """Hashes ``ids`` when the feature asks for it."""
        if feature.hash_buckets:
            return hash_bucket(ids, feature.vocab_size, name="hash_" + feature.name)
        return ids

    def lookup(self, name, ids):
        """Raw rows of the feature ``name`` for ``ids`` [...] -> [..., E]."""
        f = self._feature(name)
        emb = embedding_lookup(self.table(f.table_name), self.ids(f, ids),
                               partition_strategy=self.partition_strategy, name="lookup_" + name)
        if self.l2 > 0:
            tf.add_to_collection(tf.GraphKeys.REGULARIZATION_LOSSES,
                                 self.l2 * tf.reduce_mean(tf.reduce_sum(tf.square(emb), axis=-1)))
        return emb

    def field(self, name, ids, pooling=None):
        """One [B, E] vector per row: a slot's embedding or a pooled multi-valued / sequence feature."""
        f = self._feature(name)
        emb = self.lookup(name, ids)
        if f.kind == "slot":
            check_rank("FeatureEmbedder.field", name, emb, rank=2)
            return emb
        return pool(emb, id_mask(ids), pooling or f.pooling)

    def sequence(self, name, ids):
        """A sequence's embeddings [B, T, E] and its mask [B, T] (float, 1 = real)."""
        return self.lookup(name, ids), id_mask(ids)

    def real(self, inputs):
        """The real-valued features stacked [B, R] in schema order, or None when there are none."""
        names = [f.name for f in self.schema.real]
        if not names:
            return None
        return tf.stack([tf.cast(inputs[n], tf.float32) for n in names], axis=1, name="real_features")

    def _feature(self, name):
        f = self.schema.get(name)
        if f is None or f.kind == "real":
            raise ValueError("FeatureEmbedder: %r is not an id feature of the schema." % name)
        return f


__all__ = [
    "PARTITION_STRATEGIES", "DEFAULT_PARTITION_STRATEGY", "embedding_table", "embedding_lookup",
    "hash_bucket", "id_mask", "pool", "placeholders", "label_placeholders", "FeatureEmbedder",
]
