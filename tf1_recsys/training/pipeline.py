"""The training batches of ``Trainer.fit`` as an Estimator ``input_fn``: ``feed_dict`` or ``tf.data``.

Both give global step ``s`` the batch ``batches.batch_indices(N, batch_size, seed, s)``,
so the two modes train the same batches in the same order and a resumed run continues
with the very next batch. The epoch's order is computed once per epoch, not per step.

- ``FeedBatches``: the ``input_fn`` returns placeholders named as the model's; the
  fit's hook feeds each step's rows, sliced in Python, through ``feed(step)``.
- ``DatasetBatches``: the ``input_fn`` returns the next element of an initializable
  ``tf.data`` iterator (name scope ``tf_data``) over the fit's global steps; each element
  is gathered in the graph from placeholders holding the whole arrays (no reordered
  copy), at the indices of its step, computed in the pipeline's thread ahead of the
  training step. ``initialize(session, start)`` starts it once per fit. The elements are
  ``placeholder_with_default`` tensors named as the model's placeholders: feeding them
  bypasses the iterator.

A source's graph does not depend on the arrays: the ``Trainer`` builds it once, and each
``fit`` gives it that fit's arrays and last step with ``bind``.
"""
import threading

from tf1_recsys._tf import tf
from tf1_recsys.training import batches as B


def _batch_shape(tensor):
    shape = tensor.shape
    if shape.rank is None:
        return tf.TensorShape(None)
    return tf.TensorShape([None]).concatenate(shape[1:])


class _StepIndices:
    """``batches.batch_indices`` of one fit's data, the current epoch's order cached."""

    def __init__(self, n, batch_size, seed, shuffle):
        self._lock = threading.Lock()
        self._args = (int(n), int(batch_size), seed, shuffle)
        self._epoch = self._order = None

    def __call__(self, step):
        with self._lock:
            n, batch_size, seed, shuffle = self._args
            epoch, within = divmod(int(step), B.steps_per_epoch(n, batch_size))
            if epoch != self._epoch:
                self._order, self._epoch = B.epoch_order(n, seed, epoch, shuffle), epoch
            return self._order[within * batch_size:(within + 1) * batch_size]


class _Batches:
    """What both sources share: the arrays, the step's indices and the (features, labels) split."""

    def __init__(self, spec, batch_size, seed, shuffle):
        for key in spec.labels:
            if key in spec.inputs and spec.inputs[key] is not spec.labels[key]:
                raise ValueError("model_fn: the name %r is both an input and a label." % key)
        # The input tensors take the names of the model's placeholders, so that the training
        # graph saved with the checkpoints (model.ckpt-N.meta) is fed like the model.
        self._names = {k: t.op.name for k, t in list(spec.labels.items()) + list(spec.inputs.items())}
        self._features = {k: (t.dtype.base_dtype, _batch_shape(t)) for k, t in spec.inputs.items()}
        self._labels = {k: (t.dtype.base_dtype, _batch_shape(t)) for k, t in spec.labels.items()
                        if k not in spec.inputs}
        self._order_args = (batch_size, seed, shuffle)
        self.arrays = self.n = self.indices = self.stop = None

    def bind(self, arrays, stop):
        """Trains on ``arrays`` (``{key: array [N, ...]}``) up to global step ``stop``; returns ``self``."""
        self.arrays = arrays
        self.n = len(next(iter(arrays.values())))
        self.indices = _StepIndices(self.n, *self._order_args)
        self.stop = int(stop)
        return self

    def _split(self, tensors):
        return ({k: tensors[k] for k in self._features}, {k: tensors[k] for k in self._labels})

    def _signature(self):
        return dict(self._features, **self._labels)

    def feed(self, step):
        """The ``feed_dict`` of global step ``step`` (None: the graph reads its own input)."""
        return None

    def initialize(self, session, start):
        """Starts the input at global step ``start`` in ``session``."""


class FeedBatches(_Batches):
    """Placeholders fed with each step's rows (``feed_dict`` training)."""

    def input_fn(self):
        self._placeholders = {k: tf.placeholder(dtype, shape, name=self._names[k])
                              for k, (dtype, shape) in self._signature().items()}
        return self._split(self._placeholders)

    def feed(self, step):
        index = self.indices(step)
        return {p: self.arrays[k][index] for k, p in self._placeholders.items()}


def _without_autotuning():
    """``tf.data.Options`` that turn tf.data's autotuning off.

    The pipeline has nothing to tune (a sequential map, a fixed prefetch), but autotuning
    starts a model thread that wakes at intervals doubling up to a minute, and the
    iterator's destruction, when the training session closes, waits for its next wake-up:
    measured, 3 to 35 s of idle wall time at the end of ``fit`` (docs/BENCHMARKS.md).
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


class DatasetBatches(_Batches):
    """An initializable ``tf.data`` iterator over the global steps ``start`` .. ``stop - 1``."""

    def __init__(self, spec, batch_size, seed, shuffle, prefetch=2):
        super().__init__(spec, batch_size, seed, shuffle)
        self._prefetch = prefetch

    def input_fn(self):
        with tf.name_scope("tf_data"):
            self._whole = {k: tf.placeholder(dtype, shape, name="train_" + k)
                           for k, (dtype, shape) in self._signature().items()}
            self._start = tf.placeholder(tf.int64, [], name="start_step")
            self._stop = tf.placeholder(tf.int64, [], name="stop_step")

            def batch_of(step):
                # Through a lambda: each fit binds its own indices.
                index = tf.numpy_function(lambda s: self.indices(s), [step], tf.int64, stateful=True)
                index.set_shape([None])
                return {k: tf.gather(p, index) for k, p in self._whole.items()}

            dataset = tf.data.Dataset.range(self._start, self._stop).map(batch_of).prefetch(self._prefetch)
            dataset = dataset.with_options(_without_autotuning())
            self._iterator = tf.data.make_initializable_iterator(dataset)
            batch = self._iterator.get_next()
        # Feedable, so that evaluation in the training session can bypass the iterator.
        mapped = {k: tf.placeholder_with_default(batch[k], self._whole[k].shape, name=self._names[k]) for k in batch}
        return self._split(mapped)

    def initialize(self, session, start):
        feed = {p: self.arrays[k] for k, p in self._whole.items()}
        feed[self._start] = int(start)
        feed[self._stop] = self.stop
        session.run(self._iterator.initializer, feed)


def batch_source(spec, config):
    """The ``FeedBatches`` or ``DatasetBatches`` (``config.use_tf_data``) of a ``TrainConfig``, unbound."""
    if config.use_tf_data:
        return DatasetBatches(spec, config.batch_size, config.seed, config.shuffle, config.prefetch)
    return FeedBatches(spec, config.batch_size, config.seed, config.shuffle)


__all__ = ["FeedBatches", "DatasetBatches", "batch_source"]
