"""Building a placeholder-fed model behind a ``tf.data`` pipeline, in graph mode.

A ``ModelSpec`` is built from placeholders. To train it from an initializable
``tf.data`` iterator without changing the model code, the model is built once in a
scratch graph, exported as a MetaGraphDef, and imported into the trainer's graph with
``input_map`` replacing each input / label placeholder by
``tf.placeholder_with_default(iterator.get_next()[key])``. Variable names, initial
values (the random ops keep the seeds they were built with) and collections
(``UPDATE_OPS``, ``REGULARIZATION_LOSSES``) are those of a direct build, so checkpoints
move freely between ``feed_dict`` and ``tf.data`` runs. Feeding the mapped tensors
(as ``predict`` does) bypasses the iterator.

The iterator is initialised once per ``fit``: with the training arrays as they are (no
reordered copy) and the range of global steps to train. Each element is one global
step's batch, gathered in the graph at the indices ``batches.batch_indices`` gives for
that step (the epoch's order is computed once per epoch, in the pipeline's thread, ahead
of the training step), so the batches are those of ``feed_dict`` training, in the same
order, and an epoch's start re-initialises nothing.
"""
import threading

from tf1_recsys._tf import tf
from tf1_recsys.spec import ModelSpec
from tf1_recsys.training import batches as B


def _batch_shape(tensor):
    shape = tensor.shape
    if shape.rank is None:
        return tf.TensorShape(None)
    return tf.TensorShape([None]).concatenate(shape[1:])


def _remap(value, graph, replace):
    if isinstance(value, (tf.Tensor, tf.Operation)):
        if value.name in replace:
            return replace[value.name]
        return graph.as_graph_element(value.name)
    if isinstance(value, dict):
        return type(value)((k, _remap(v, graph, replace)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_remap(v, graph, replace) for v in value)
    return value


class _StepIndices:
    """``batches.batch_indices`` of one ``fit``'s data, the current epoch's order cached."""

    def __init__(self):
        self._lock = threading.Lock()
        self._args = None
        self._epoch = self._order = None

    def reset(self, n, batch_size, seed, shuffle):
        with self._lock:
            self._args = (int(n), int(batch_size), seed, shuffle)
            self._epoch = self._order = None

    def __call__(self, step):
        with self._lock:
            n, batch_size, seed, shuffle = self._args
            epoch, within = divmod(int(step), B.steps_per_epoch(n, batch_size))
            if epoch != self._epoch:
                self._order, self._epoch = B.epoch_order(n, seed, epoch, shuffle), epoch
            return self._order[within * batch_size:(within + 1) * batch_size]


class DataPipeline:
    """The initializable iterator that feeds a model built by ``build_with_pipeline``.

    Attributes:
      placeholders: dict key -> placeholder holding the whole training array [N, ...].
      initializer: op to run with ``feed_dict=pipeline.feed(arrays, start, stop, seed, shuffle)``.
      serving_names: ``(inputs, predictions)`` tensor names of the model as ``model_fn``
        builds it alone (the names of its frozen or exported serving graph).
    """

    def __init__(self, placeholders, steps, initializer, serving_names, indices, batch_size):
        self.placeholders = placeholders
        self.steps = steps
        self.initializer = initializer
        self.serving_names = serving_names
        self._indices = indices  # also keeps the callable of the graph's numpy_function alive
        self._batch_size = batch_size

    def feed(self, arrays, start, stop, seed, shuffle=True):
        """The initializer's feed: global steps ``start`` .. ``stop - 1`` over ``arrays`` [N, ...]."""
        n = len(next(iter(arrays.values())))
        self._indices.reset(n, self._batch_size, seed, shuffle)
        feed = {self.placeholders[k]: arrays[k] for k in self.placeholders}
        feed[self.steps[0]], feed[self.steps[1]] = int(start), int(stop)
        return feed


def build_with_pipeline(model_fn, seed, batch_size, prefetch=2):
    """Builds ``model_fn()`` in the current default graph, fed by a ``tf.data`` iterator.

    Returns:
      ``(spec, pipeline)``: the ModelSpec in the current graph, whose ``inputs`` and
      ``labels`` are feedable ``placeholder_with_default`` tensors reading the iterator
      when not fed, and the ``DataPipeline``.
    """
    scratch = tf.Graph()
    with scratch.as_default():
        tf.set_random_seed(seed)
        spec0 = model_fn()
        if not isinstance(spec0, ModelSpec):
            raise TypeError("model_fn must return a ModelSpec; got %s." % type(spec0).__name__)
        meta = tf.train.export_meta_graph(graph=scratch, clear_devices=True)
    fed = dict(spec0.inputs)
    for key, tensor in spec0.labels.items():
        if key in fed and fed[key] is not tensor:
            raise ValueError("model_fn: the name %r is both an input and a label." % key)
        fed[key] = tensor
    graph = tf.get_default_graph()
    indices = _StepIndices()
    with tf.name_scope("tf_data"):
        placeholders = {
            k: tf.placeholder(t.dtype, _batch_shape(t), name="train_" + k) for k, t in fed.items()
        }
        steps = (tf.placeholder(tf.int64, [], name="start_step"), tf.placeholder(tf.int64, [], name="stop_step"))

        def batch_of(step):
            index = tf.numpy_function(indices, [step], tf.int64, stateful=True)
            index.set_shape([None])
            return {k: tf.gather(p, index) for k, p in placeholders.items()}

        dataset = tf.data.Dataset.range(steps[0], steps[1]).map(batch_of).prefetch(prefetch)
        iterator = tf.data.make_initializable_iterator(dataset)
        batch = iterator.get_next()
        mapped = {
            k: tf.placeholder_with_default(batch[k], t.shape, name=k) for k, t in fed.items()
        }
    input_map = {fed[k].name: mapped[k] for k in fed}
    tf.train.import_meta_graph(meta, input_map=input_map, clear_devices=True)
    replace = {fed[k].name: mapped[k] for k in fed}
    spec = ModelSpec(**{
        f.name: _remap(getattr(spec0, f.name), graph, replace)
        for f in spec0.__dataclass_fields__.values()
    })
    names = ({k: t.name for k, t in spec0.inputs.items()}, {k: t.name for k, t in spec0.predictions.items()})
    return spec, DataPipeline(placeholders, steps, iterator.initializer, names, indices, batch_size)


__all__ = ["build_with_pipeline", "DataPipeline"]
