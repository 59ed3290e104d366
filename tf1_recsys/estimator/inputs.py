"""``tf1_recsys.estimator.inputs``: ``numpy_input_fn``, as ``tf.compat.v1.estimator.inputs``.

A pandas ``DataFrame`` goes in as ``numpy_input_fn({c: df[c].to_numpy() for c in df}, ...)``.

TensorFlow's versions fed queues from Python threads; these build a ``tf.data`` pipeline
over the arrays (held as graph constants, so the arrays must fit in a 2 GB GraphDef;
stream larger data with a ``tf.data`` ``input_fn``). As with the queues, batches run on
across epoch boundaries (``repeat`` before ``batch``) and the last one may be short.
"""
import collections

import numpy as np

from tf1_recsys._tf import tf


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
      num_epochs: passes over the data; None repeats forever (every batch then has
        ``batch_size`` rows, also in the static shape).
      shuffle: True or False; it must be given (shuffle for training, not for prediction).
      queue_capacity: the shuffle buffer, in examples.
      num_threads: parallel calls of the batch assembly (1 keeps the order reproducible).

    Returns:
      ``input_fn()`` -> ``(features, targets)``, or ``features`` when ``y`` is None.
    """
    if shuffle is None or not isinstance(shuffle, bool):
        raise ValueError("numpy_input_fn: `shuffle` must be given explicitly as True or False; got %r." % (shuffle,))
    for name, value in (("batch_size", batch_size), ("queue_capacity", queue_capacity), ("num_threads", num_threads)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError("numpy_input_fn: `%s` must be an integer >= 1; got %r." % (name, value))
    if num_epochs is not None and (isinstance(num_epochs, bool) or not isinstance(num_epochs, (int, np.integer))
                                   or num_epochs < 1):
        raise ValueError("numpy_input_fn: `num_epochs` must be None or an integer >= 1; got %r." % (num_epochs,))
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
        data = tf.data.Dataset.from_tensor_slices({k: tf.constant(v) for k, v in arrays.items()})
        if shuffle:
            data = data.shuffle(queue_capacity, reshuffle_each_iteration=True)
        data = data.repeat(num_epochs).batch(batch_size, drop_remainder=num_epochs is None)
        batch = tf.data.make_one_shot_iterator(data.prefetch(num_threads)).get_next()
        feats = {k: batch[k] for k in features} if x_is_dict else batch["__x__"]
        if targets is None:
            return feats
        return feats, ({k: batch[k] for k in targets} if y_is_dict else batch["__y__"])

    return input_fn


__all__ = ["numpy_input_fn"]
