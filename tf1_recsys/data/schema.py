"""Feature schema shared by the data loaders, ``tf1_recsys.features`` and the models.

Pure Python (no TensorFlow import), so loaders and the ``auc`` command stay light.

A data set is a dict ``name -> np.ndarray`` with one row per impression:

* ``slot``: one id per row, int64 [N], ids in [1, vocab_size); 0 means "missing".
* ``multi``: several ids per row, int64 [N, max_len], padded with 0 on the right;
  pooled by sum or mean over the non-zero entries (the mask is ``ids != 0``).
* ``sequence``: a behaviour sequence, int64 [N, max_len], oldest first, padded with 0
  on the right. ``query`` names the slot it is compared with (DIN attention); it
  shares that slot's embedding table unless ``table`` says otherwise.
* ``real``: a real-valued feature, float32 [N] (the notes' ``rv_feas``).

Labels are float32 [N] arrays of 0/1, one per task. ``group`` names the array used
to group rows for GAUC (usually the raw user id).
"""
import dataclasses
from typing import List, Optional, Tuple

KINDS = ("slot", "multi", "sequence", "real")


@dataclasses.dataclass
class Feature:
    """One input feature.

    Attributes:
      name: the key in the data dict and the placeholder's name.
      kind: 'slot', 'multi', 'sequence' or 'real'.
      vocab_size: number of embedding rows (id 0 is padding); ignored for 'real'.
      max_len: columns of a 'multi' / 'sequence' array.
      table: name of the embedding table; defaults to ``query`` for sequences, else ``name``.
      pooling: 'sum' or 'mean' for 'multi' (and for sequences in models without attention).
      query: for a 'sequence', the slot it is attended with.
      hash_buckets: when True the fed ids are raw (any non-negative int64) and are hashed
        into [1, vocab_size) inside the graph; 0 stays 0 (padding).
      num_shards: > 1 partitions the table with ``fixed_size_partitioner(num_shards)``.
    """

    name: str
    kind: str
    vocab_size: int = 0
    max_len: int = 1
    table: Optional[str] = None
    pooling: str = "mean"
    query: Optional[str] = None
    hash_buckets: bool = False
    num_shards: int = 1

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError("Feature %r: kind must be one of %s; got %r." % (self.name, KINDS, self.kind))
        if self.kind != "real" and self.vocab_size < 2:
            raise ValueError("Feature %r: vocab_size must be >= 2 (id 0 is padding)." % self.name)
        if self.kind in ("multi", "sequence") and self.max_len < 1:
            raise ValueError("Feature %r: max_len must be >= 1." % self.name)
        if self.pooling not in ("sum", "mean"):
            raise ValueError("Feature %r: pooling must be 'sum' or 'mean'." % self.name)
        if self.kind == "sequence" and not self.query:
            raise ValueError("Feature %r: a sequence needs `query` (the slot it attends with)." % self.name)

    @property
    def table_name(self):
        """The embedding table this feature reads."""
        if self.table:
            return self.table
        if self.kind == "sequence":
            return self.query
        return self.name


@dataclasses.dataclass
class Schema:
    """The features, label names and GAUC group key of a data set."""

    features: List[Feature]
    labels: Tuple[str, ...] = ("click",)
    group: Optional[str] = None

    def __post_init__(self):
        names = [f.name for f in self.features]
        if len(set(names)) != len(names):
            raise ValueError("Schema: duplicate feature names in %s." % names)
        for f in self.features:
            if f.kind == "sequence" and self.get(f.query) is None:
                raise ValueError("Schema: sequence %r attends with unknown slot %r." % (f.name, f.query))

    def get(self, name):
        for f in self.features:
            if f.name == name:
                return f
        return None

    def of_kind(self, *kinds):
        return [f for f in self.features if f.kind in kinds]

    @property
    def real(self):
        return self.of_kind("real")

    @property
    def sparse(self):
        """Slots and multi-valued slots (not sequences)."""
        return self.of_kind("slot", "multi")

    @property
    def sequences(self):
        return self.of_kind("sequence")

    def tables(self):
        """``{table name: vocab_size}``; a shared table takes the largest vocab asked for."""
        out = {}
        for f in self.features:
            if f.kind != "real":
                out[f.table_name] = max(out.get(f.table_name, 0), f.vocab_size)
        return out

    def to_dict(self):
        return {
            "features": [dataclasses.asdict(f) for f in self.features],
            "labels": list(self.labels),
            "group": self.group,
        }

    @classmethod
    def from_dict(cls, d):
        return cls(
            features=[Feature(**f) for f in d["features"]],
            labels=tuple(d["labels"]),
            group=d.get("group"),
        )

    def check(self, data, where="data"):
        """Raises ValueError when ``data`` lacks a feature/label or has a wrong shape."""
        n = None
        for f in self.features:
            if f.name not in data:
                raise ValueError("%s: missing feature %r." % (where, f.name))
            a = data[f.name]
            want_rank = 2 if f.kind in ("multi", "sequence") else 1
            if a.ndim != want_rank:
                raise ValueError("%s: feature %r must have rank %d; got shape %s." % (where, f.name, want_rank, a.shape))
            n = a.shape[0] if n is None else n
            if a.shape[0] != n:
                raise ValueError("%s: feature %r has %d rows; expected %d." % (where, f.name, a.shape[0], n))
        return n


def num_rows(data):
    """Rows of a data dict (the length of its first array)."""
    return len(next(iter(data.values())))


def take(data, index):
    """The rows ``index`` of every array of a data dict."""
    return {k: v[index] for k, v in data.items()}
