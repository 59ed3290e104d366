"""``pandas_input_fn``, as ``tf.compat.v1.estimator.inputs``: batches of a pandas ``DataFrame``.

The columns go through ``numpy_input_fn`` (``tf1_recsys.estimator.inputs``), so the batches are
the ones TensorFlow's queue-fed version gave: in row order without shuffling, running on across
epoch boundaries, the last one short. The ``DataFrame``'s index is not a feature. Text columns
become ``tf.string`` (UTF-8). pandas is optional: it is imported only when the function is called.
"""
import numpy as np


class PandasNotInstalledError(ImportError, TypeError):
    """pandas is missing. A ``TypeError`` too, the type ``tf.estimator`` raised in that case."""


def _pandas():
    try:
        import pandas
    except ImportError as e:
        raise PandasNotInstalledError("pandas_input_fn needs the optional package pandas, which is not installed "
                                      "(pip install pandas): %s" % e) from None
    return pandas


def _column(series):
    """A column as a numpy array [N]; text (object or str dtype) as UTF-8 bytes."""
    values = series.to_numpy()
    if values.dtype.kind in "OU":
        values = np.char.encode(values.astype(str), "utf-8")
    return values


def pandas_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000, num_threads=1,
                    target_column="target"):
    """An ``input_fn`` returning ``(features, target)`` batches of a ``DataFrame`` (``features`` alone when y is None).

    Args:
      x: ``pandas.DataFrame`` [N rows]; each column becomes a feature tensor [batch].
      y: None, a ``pandas.Series`` [N] (the target is then one tensor [batch]) or a ``DataFrame``
        (a dict column -> tensor [batch]); its index must equal ``x``'s.
      batch_size, num_epochs, num_threads: as ``numpy_input_fn``.
      shuffle: True or False; it must be given.
      queue_capacity: accepted for compatibility (None allowed); each epoch is a full permutation.
      target_column: a name for a ``Series`` ``y`` that no column of ``x`` has.

    Raises:
      PandasNotInstalledError (an ``ImportError`` and a ``TypeError``): pandas is not installed.
      ValueError: ``shuffle`` is not a bool; ``x`` has a column named ``target_column``; the indexes differ.
      TypeError: ``target_column`` is not a string.
    """
    from tf1_recsys.estimator.inputs import numpy_input_fn

    pd = _pandas()
    if not isinstance(shuffle, bool):
        raise ValueError("shuffle must be provided and explicitly set as boolean (it is recommended to set it as "
                         "True for training); got {}".format(shuffle))
    if not isinstance(target_column, str):
        raise TypeError("target_column must be a string type")
    features = {column: _column(x[column]) for column in x.columns}
    targets = None
    if y is not None:
        if target_column in x:
            raise ValueError("Cannot use name %s for target column: DataFrame already has a column with that name: "
                             "%s" % (target_column, x.columns))
        if not np.array_equal(x.index, y.index):
            raise ValueError("Index for x and y are mismatched.\nIndex for x: %s\nIndex for y: %s\n"
                             % (x.index, y.index))
        if isinstance(y, pd.DataFrame):
            # numpy_input_fn wants distinct keys for x and y: a target named like a feature gets a private key.
            target_keys = {"\0target\0%s" % column: column for column in y.columns}
            targets = {key: _column(y[column]) for key, column in target_keys.items()}
        else:
            targets = _column(y)
    if queue_capacity is None:
        queue_capacity = max(len(x) * (4 if shuffle else 1), 1)
    batches = numpy_input_fn(features, targets, batch_size=batch_size, num_epochs=num_epochs, shuffle=shuffle,
                             queue_capacity=queue_capacity, num_threads=num_threads)
    if not isinstance(y, pd.DataFrame):
        return batches

    def input_fn():
        feature_batch, target_batch = batches()
        return feature_batch, {target_keys[key]: value for key, value in target_batch.items()}

    return input_fn


__all__ = ["pandas_input_fn", "PandasNotInstalledError"]
