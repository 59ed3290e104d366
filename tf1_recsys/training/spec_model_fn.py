"""An Estimator ``model_fn`` of a placeholder-fed ``ModelSpec``: how ``Trainer.fit`` runs on the Estimator.

A ``ModelSpec`` is built from placeholders. ``SpecModelFn`` exports the model once as a
MetaGraphDef (the model alone, before any optimizer) and, in each ``model_fn`` call,
imports it into the Estimator's graph with ``input_map`` replacing each input and label
placeholder by the ``features`` / ``labels`` tensors and the training switch by a
``placeholder_with_default(False)`` of the same name, fed True by a ``FeedFnHook`` in TRAIN. Variable names, initial values (the random
ops keep the seeds they were built with) and collections (``UPDATE_OPS``,
``REGULARIZATION_LOSSES``) are those of the direct build. The loss and train op are
``training_loss`` and ``minimize`` in the name scope ``train`` (the optimizer's slots are
``<variable>/Adam``...). The ``Trainer``'s graph is the TRAIN graph of this ``model_fn``.
"""
import itertools

from tf1_recsys._tf import tf
from tf1_recsys.estimator import EstimatorSpec, ModeKeys, export
# The module, not its `minimize`: estimator.train_op imports training.config, which runs this
# package's __init__ and so this module while train_op is still half-imported.
from tf1_recsys.estimator import train_op as estimator_train_op
from tf1_recsys.spec import ModelSpec
from tf1_recsys.training.config import make_optimizer, training_loss


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


_IMPORTS = itertools.count(1)


def _rename_functions(meta_graph, suffix):
    """A copy of ``meta_graph`` whose function library names (and every reference) end in ``suffix``.

    A control-flow-v2 loop (``dynamic_rnn``) is a ``While`` op calling library functions;
    its gradient registers ``<body>_rewritten`` process-wide by name. Imported twice under
    the same names (two Trainers of one model, or two Estimator graphs), two gradients would
    register one name with two definitions ("Attempting to add a duplicate function").
    """
    library = meta_graph.graph_def.library
    names = {f.signature.name for f in library.function}
    if not names:
        return meta_graph
    meta = type(meta_graph)()
    meta.CopyFrom(meta_graph)

    def rename_attrs(nodes):
        for node in nodes:
            for attr in node.attr.values():
                funcs = [attr.func] if attr.HasField("func") else list(attr.list.func)
                for fn in funcs:
                    if fn.name in names:
                        fn.name += suffix

    rename_attrs(meta.graph_def.node)
    for f in meta.graph_def.library.function:
        f.signature.name += suffix
        rename_attrs(f.node_def)
    for g in meta.graph_def.library.gradient:
        for field in ("function_name", "gradient_func"):
            if getattr(g, field) in names:
                setattr(g, field, getattr(g, field) + suffix)
    return meta


class SpecModelFn:
    """``model_fn(features, labels, mode)`` of the model that ``spec`` describes.

    Args:
      meta_graph: the MetaGraphDef of the graph holding ``spec`` and nothing else
        (``tf.compat.v1.train.export_meta_graph(clear_devices=True)`` right after the build).
      spec: the ``ModelSpec`` in that graph; its inputs and labels are the keys of
        ``features`` and ``labels``.
      config: the ``TrainConfig`` of the loss and the optimizer.
      max_to_keep: checkpoints the training ``Saver`` keeps.

    Attributes:
      spec: the ``ModelSpec`` of the latest call, in the Estimator's graph (inputs and
        labels are the given tensors).
      loss: the training loss of the latest TRAIN or EVAL call.
    """

    def __init__(self, meta_graph, spec, config, max_to_keep=5):
        if not isinstance(spec, ModelSpec):
            raise TypeError("SpecModelFn: `spec` must be a ModelSpec; got %s." % type(spec).__name__)
        self._meta = meta_graph
        self._spec = spec
        self._config = config
        self._max_to_keep = max_to_keep
        self.spec = self.loss = None

    def _import(self, features, labels, training):
        given = dict(features)
        given.update(labels or {})
        replace = {self._spec.training.name: training}
        for key, tensor in list(self._spec.inputs.items()) + list(self._spec.labels.items()):
            if key in given:
                replace[tensor.name] = given[key]
            elif key in self._spec.inputs:
                raise ValueError("SpecModelFn: `features` lacks the model's input %r; it has %s."
                                 % (key, sorted(features)))
        meta = _rename_functions(self._meta, "_i%d" % next(_IMPORTS))
        tf.train.import_meta_graph(meta, input_map=replace, clear_devices=True)
        graph = tf.get_default_graph()
        return ModelSpec(**{f: _remap(getattr(self._spec, f), graph, replace)
                            for f in self._spec.__dataclass_fields__})

    def _scaffold(self):
        saver = tf.train.Saver(max_to_keep=self._max_to_keep, save_relative_paths=True)
        tf.add_to_collection(tf.GraphKeys.SAVERS, saver)  # where CheckpointSaverHook looks for it
        return tf.train.Scaffold(saver=saver)

    def __call__(self, features, labels, mode, config=None):
        # Named and defaulting as the model's switch (the saved training graph serves like the
        # model); TRAIN feeds True through a hook.
        training = tf.placeholder_with_default(False, [], name=self._spec.training.op.name)
        spec = self.spec = self._import(features, labels, training)
        predictions = dict(spec.predictions)
        if mode == ModeKeys.PREDICT:
            return EstimatorSpec(mode, predictions=predictions,
                                 export_outputs={"serving_default": export.PredictOutput(predictions)})
        cfg = self._config
        with tf.name_scope("train"):
            loss = self.loss = training_loss(spec, cfg)
            train_op, hooks = None, []
            if mode == ModeKeys.TRAIN:
                optimizer = make_optimizer(cfg.optimizer, cfg.learning_rate, **cfg.optimizer_kwargs)
                train_op, hooks = estimator_train_op.minimize(loss, optimizer, config, clip_norm=cfg.clip_norm)
                hooks = list(hooks) + [tf.train.FeedFnHook(lambda: {training: True})]
        return EstimatorSpec(mode, predictions=predictions, loss=loss, train_op=train_op, training_hooks=hooks,
                             scaffold=self._scaffold())


__all__ = ["SpecModelFn"]
