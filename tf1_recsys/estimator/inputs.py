"""``tf1_recsys.estimator.inputs``: ``numpy_input_fn`` and ``pandas_input_fn``, as ``tf.compat.v1.estimator.inputs``.

TensorFlow's version fed queues from Python threads; this one reads the arrays through
``tf.data.Dataset.from_generator``, a batch at a time, so they never enter the GraphDef
(no 2 GB limit). As with the queues, batches run on across epoch boundaries and the last
one may be short.
"""
import collections

import numpy as np

from tf1_recsys._tf import tf
from tf1_recsys.estimator.pandas_io import pandas_input_fn


def _as_dict(what, value):
    if isinstance(value, dict):
        if not value:
            raise ValueError("numpy_input_fn: `%s` must not be an empty dict." % what)
        return collections.OrderedDict((k, np.asarray(v)) for k, v in value.items()), True
    if isinstance(value, np.ndarray):
        return collections.OrderedDict([("__%s__" % what, value)]), False
    raise TypeError("numpy_input_fn: `%s` must be a numpy array or a dict of numpy arrays; got %s."
                    % (what, type(value).__name__))


def numpy_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000, num_threads=1):
    """An ``input_fn`` returning batches of ``x`` (and ``y``) as ``(features, targets)`` tensors.

    Args:
      x: numpy array [N, ...] (the features are then that one tensor) or dict name -> array [N, ...].
      y: None, a numpy array [N, ...] or a dict name -> array [N, ...] (keys not in ``x``).
      batch_size: examples per batch.
      num_epochs: passes over the data (0 or less: no batch, as tf.estimator's); None
        repeats forever (every batch then has ``batch_size`` rows, also in the static shape).
      shuffle: True or False; it must be given (shuffle for training, not for prediction).
      queue_capacity: accepted for compatibility; each epoch is a full permutation.
      num_threads: batches prepared ahead.

    Returns:
      ``input_fn()`` -> ``(features, targets)``, or ``features`` when ``y`` is None.
    """
    if shuffle is None or not isinstance(shuffle, bool):
        raise ValueError("numpy_input_fn: `shuffle` must be given explicitly as True or False; got %r." % (shuffle,))
    for name, value in (("batch_size", batch_size), ("queue_capacity", queue_capacity), ("num_threads", num_threads)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError("numpy_input_fn: `%s` must be an integer >= 1; got %r." % (name, value))
    if num_epochs is not None and (isinstance(num_epochs, bool) or not isinstance(num_epochs, (int, np.integer))):
        raise ValueError("numpy_input_fn: `num_epochs` must be None or an integer; got %r." % (num_epochs,))
    features, x_is_dict = _as_dict("x", x)
    targets, y_is_dict = (None, False) if y is None else _as_dict("y", y)
    if targets is not None and y_is_dict:
        both = sorted(set(features) & set(targets))
        if both:
            raise ValueError("numpy_input_fn: keys %s are in both `x` and `y`." % both)
    arrays = dict(features)
    arrays.update(targets or {})
    lengths = {k: (v.shape[0] if v.ndim else None) for k, v in arrays.items()}
    n = next(iter(lengths.values()))
    if n is None or any(length != n for length in lengths.values()):
        raise ValueError("numpy_input_fn: every array of `x` and `y` needs the same first dimension; got %s."
                         % {k.strip("_"): arrays[k].shape for k in arrays})

    def input_fn():
        graph_seed, op_seed = tf.get_seed(None)  # reproducible under tf.set_random_seed, as shuffling ops
        rng = np.random.RandomState(None if graph_seed is None else [graph_seed, op_seed])

        def batches():
            carry = np.zeros(0, np.int64)
            epoch = 0
            while num_epochs is None or epoch < num_epochs:
                order = rng.permutation(n) if shuffle else np.arange(n)
                rows = np.concatenate([carry, order])
                full = len(rows) // batch_size * batch_size
                for start in range(0, full, batch_size):
                    index = rows[start:start + batch_size]
                    yield {k: v[index] for k, v in arrays.items()}
                carry = rows[full:]
                epoch += 1
            if len(carry):
                yield {k: v[carry] for k, v in arrays.items()}

        first = batch_size if num_epochs is None else None
        signature = {k: tf.TensorSpec([first] + list(v.shape[1:]), tf.as_dtype(v.dtype)) for k, v in arrays.items()}
        data = tf.data.Dataset.from_generator(batches, output_signature=signature).prefetch(num_threads)
        batch = tf.data.make_one_shot_iterator(data).get_next()
        feats = {k: batch[k] for k in features} if x_is_dict else batch["__x__"]
        if targets is None:
            return feats
        return feats, ({k: batch[k] for k in targets} if y_is_dict else batch["__y__"])

    return input_fn


__all__ = ["numpy_input_fn", "pandas_input_fn"]
