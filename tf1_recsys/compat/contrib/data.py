"""``tf.contrib.data``: the functions that moved to ``tf.data.experimental`` and the classes that moved to
``tf.data`` (TensorFlow's own, same objects), and the few contrib-only transformations, rebuilt on ``tf.data``.

Each transformation returns a function ``Dataset -> Dataset`` for ``dataset.apply(...)``, as in TF 1.x.
Not provided: ``LMDBDataset``, ``assert_element_shape``, ``CheckpointInputPipelineHook``,
``read_batch_features``, ``reduce_dataset``, ``sliding_window_batch`` (use ``Dataset.window``).
"""
from tf1_recsys._tf import tf

_experimental = tf.data.experimental

# TF 1.3-1.4 had tf.data's classes here first (their old extra arguments, e.g. ``map(num_threads=)``, are gone).
Dataset = tf.data.Dataset
FixedLengthRecordDataset = tf.data.FixedLengthRecordDataset
Iterator = tf.data.Iterator
TextLineDataset = tf.data.TextLineDataset
TFRecordDataset = tf.data.TFRecordDataset

AUTOTUNE = _experimental.AUTOTUNE
Counter = _experimental.Counter
CsvDataset = _experimental.CsvDataset
Optional = _experimental.Optional
RandomDataset = _experimental.RandomDataset
Reducer = _experimental.Reducer
SqlDataset = _experimental.SqlDataset
TFRecordWriter = _experimental.TFRecordWriter
bucket_by_sequence_length = _experimental.bucket_by_sequence_length
choose_from_datasets = _experimental.choose_from_datasets
copy_to_device = _experimental.copy_to_device
dense_to_sparse_batch = _experimental.dense_to_sparse_batch
enumerate_dataset = _experimental.enumerate_dataset
get_next_as_optional = _experimental.get_next_as_optional
get_single_element = _experimental.get_single_element
group_by_reducer = _experimental.group_by_reducer
group_by_window = _experimental.group_by_window
ignore_errors = _experimental.ignore_errors
make_batched_features_dataset = _experimental.make_batched_features_dataset
make_csv_dataset = _experimental.make_csv_dataset
make_saveable_from_iterator = _experimental.make_saveable_from_iterator
map_and_batch = _experimental.map_and_batch
parallel_interleave = _experimental.parallel_interleave
parse_example_dataset = _experimental.parse_example_dataset
prefetch_to_device = _experimental.prefetch_to_device
rejection_resample = _experimental.rejection_resample
sample_from_datasets = _experimental.sample_from_datasets
scan = _experimental.scan
shuffle_and_repeat = _experimental.shuffle_and_repeat
unbatch = _experimental.unbatch
unique = _experimental.unique


def batch_and_drop_remainder(batch_size):
    """Batches ``batch_size`` consecutive elements and drops a last, smaller batch: a ``Dataset -> Dataset``."""
    return lambda dataset: dataset.batch(batch_size, drop_remainder=True)


def padded_batch_and_drop_remainder(batch_size, padded_shapes, padding_values=None):
    """``Dataset.padded_batch`` that drops a last, smaller batch: a ``Dataset -> Dataset``."""
    return lambda dataset: dataset.padded_batch(batch_size, padded_shapes, padding_values, drop_remainder=True)


def sloppy_interleave(map_func, cycle_length, block_length=1):
    """``parallel_interleave(map_func, cycle_length, block_length, sloppy=True)``: elements in any order."""
    return parallel_interleave(map_func, cycle_length, block_length=block_length, sloppy=True)


__all__ = [
    "Dataset", "FixedLengthRecordDataset", "Iterator", "TextLineDataset", "TFRecordDataset",
    "AUTOTUNE", "Counter", "CsvDataset", "Optional", "RandomDataset", "Reducer", "SqlDataset", "TFRecordWriter",
    "batch_and_drop_remainder", "bucket_by_sequence_length", "choose_from_datasets", "copy_to_device",
    "dense_to_sparse_batch", "enumerate_dataset", "get_next_as_optional", "get_single_element",
    "group_by_reducer", "group_by_window", "ignore_errors", "make_batched_features_dataset", "make_csv_dataset",
    "make_saveable_from_iterator", "map_and_batch", "padded_batch_and_drop_remainder", "parallel_interleave",
    "parse_example_dataset", "prefetch_to_device", "rejection_resample", "sample_from_datasets", "scan",
    "shuffle_and_repeat", "sloppy_interleave", "unbatch", "unique",
]
