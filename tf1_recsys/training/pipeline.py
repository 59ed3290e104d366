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
"""
from tf1_recsys._tf import tf
from tf1_recsys.spec import ModelSpec


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


class DataPipeline:
    """The initializable iterator that feeds a model built by ``build_with_pipeline``.

    Attributes:
      placeholders: dict key -> placeholder holding the whole (ordered) epoch slice.
      initializer: op to run with ``feed_dict=pipeline.feed(arrays)``.
      serving_names: ``(inputs, predictions)`` tensor names of the model as ``model_fn``
        builds it alone (the names of its frozen or exported serving graph).
    """

    def __init__(self, placeholders, initializer, serving_names):
        self.placeholders = placeholders
        self.initializer = initializer
        self.serving_names = serving_names

    def feed(self, arrays):
        return {self.placeholders[k]: arrays[k] for k in self.placeholders}


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
    with tf.name_scope("tf_data"):
        placeholders = {
            k: tf.placeholder(t.dtype, _batch_shape(t), name="epoch_" + k) for k, t in fed.items()
        }
        # Slicing whole batches out of the epoch arrays costs one copy per batch;
        # from_tensor_slices(...).batch() would handle every example separately.
        count = tf.shape(next(iter(placeholders.values())), out_type=tf.int64)[0]
        batches = (count + batch_size - 1) // batch_size
        dataset = tf.data.Dataset.range(batches).map(
            lambda i: {k: p[i * batch_size:(i + 1) * batch_size] for k, p in placeholders.items()}
        ).prefetch(prefetch)
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
    return spec, DataPipeline(placeholders, iterator.initializer, names)


__all__ = ["build_with_pipeline", "DataPipeline"]
