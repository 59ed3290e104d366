"""``Layer``: the base class of ``tf.compat.v1.layers``, on ``variable_scope`` and ``get_variable``.

A layer object owns one variable scope, chosen on its first call (or first ``add_weight``):
``name`` when the functional form passes it as the scope, else a unique scope in the current
variable scope (``my_layer``, ``my_layer_1``, ...). Its ops are created in that scope's name
scope; every later call re-enters the scope with ``reuse=True``, so a layer called twice
shares its variables. ``build(input_shape)`` runs once, before the first ``call``. Regularizer
losses go to ``REGULARIZATION_LOSSES`` and ``layer.losses``; updates (e.g. batch-norm moving
averages) to ``UPDATE_OPS`` and ``layer.updates``.

Graph mode only: calling a layer eagerly raises the library's RuntimeError.
"""
import contextlib
import copy
import inspect
import re
import threading
import weakref

import numpy as np

from tf1_recsys._tf import require_graph_mode, tf
from tf1_recsys.compat.layers.default_initializer import default_initializer
from tf1_recsys.compat.layers.input_spec import InputSpec, assert_input_compatibility, is_input_spec, SPEC_FIELDS
from tf1_recsys.compat.layers.variables import get_variable_in_scope

_KNOWN_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "weights", "activity_regularizer",
                 "autocast", "dynamic", "input_dim", "_scope", "_reuse", "dtype"}

_OBJECT_NAME_UIDS = weakref.WeakKeyDictionary()  # graph -> {base name: count}
_CALL_CONTEXT = threading.local()


def to_snake_case(name):
    """``MaxPooling2D`` -> ``max_pooling2d``, ``MyLayer`` -> ``my_layer``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name if name[0] != "_" else "private" + name


def unique_object_name(base_name):
    """``base_name_1``, ``base_name_2``, ... per graph: the ``name`` of an unnamed layer.

    (TensorFlow's own graph-mode layers number from 1; their variable scopes from 0.)
    """
    graph = tf.get_default_graph()
    counts = _OBJECT_NAME_UIDS.setdefault(graph, {})
    counts[base_name] = counts.get(base_name, 0) + 1
    return "%s_%d" % (base_name, counts[base_name])


def _context_training():
    stack = getattr(_CALL_CONTEXT, "training", None)
    return stack[-1] if stack else None


def _add_to_collection(elements, key):
    collection = tf.get_collection_ref(key)
    present = {id(e) for e in collection}
    for element in tf.nest.flatten(elements):
        if id(element) not in present:
            collection.append(element)
            present.add(id(element))


def _reaches(tensor_or_op, sources):
    """Whether the graph value ``tensor_or_op`` depends on any op in ``sources``."""
    start = tensor_or_op.op if hasattr(tensor_or_op, "op") else tensor_or_op
    seen, stack = set(), [start]
    while stack:
        op = stack.pop()
        if op in sources:
            return True
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return False


def _variable_creation_scope():
    """Where ``add_weight`` creates variables: ``tf.init_scope()`` inside a function being traced.

    A layer first called while a function graph is built (``graph.building_function``) creates
    its variables in the graph that encloses the function, as TensorFlow's layers do; when that
    context is eager (a ``tf.function`` outside any graph) they stay in the function graph.
    """
    if tf.get_default_graph().building_function:
        with tf.init_scope():
            outer_is_graph = not tf.executing_eagerly()
        if outer_is_graph:
            return tf.init_scope()
    return contextlib.nullcontext()


class Layer(object):
    """Base layer of ``tf.compat.v1.layers``.

    Args:
      trainable: whether the layer's variables go to ``TRAINABLE_VARIABLES``.
      name: the layer's name and the base of its variable scope; None derives it from
        the class name (``MyLayer`` -> ``my_layer``).
      dtype: dtype of the weights; None takes the dtype of the first input.
      activity_regularizer: optional callable on the outputs; its value divided by the
        batch size is added to ``REGULARIZATION_LOSSES``.

    Variables created while a function graph is traced are lifted into the graph that
    encloses the function (``tf.init_scope``).

    Layers stored as attributes of a layer are not tracked by it (as in ``tf.compat.v1.layers``):
    ``variables``, ``losses`` and ``updates`` are the layer's own.

    Subclasses implement ``build(input_shape)`` (create weights with ``add_weight``, then
    ``super().build(input_shape)``) and ``call(inputs, ...)``. A ``call`` with a ``scope``
    argument receives the layer's variable scope; one with ``training`` receives the
    ``training`` of an enclosing layer call when it is not passed.
    """

    _instrumented_keras_api = False  # TensorFlow's test of "not a Keras layer" reads it
    _keras_default_initializer = True
    """A float weight added without initializer gets ``default_initializer``'s (Keras' Glorot under TF 2
    behaviour); False keeps ``get_variable``'s, as the cells of TensorFlow's private ``rnn_cell`` module."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        for key in kwargs:
            if key not in _KNOWN_KWARGS:
                raise TypeError("Keyword argument not understood:", key)
        scope = kwargs.pop("_scope", None)
        self._reuse = kwargs.pop("_reuse", None)
        self._activity_regularizer = kwargs.pop("activity_regularizer", None)
        self._trainable = bool(trainable)
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._updates = []
        self._losses = []
        self._input_spec = None
        self.built = False
        self.supports_masking = False
        self._dtype = tf.as_dtype(dtype).name if dtype is not None else None
        self._base_name, self._name = self._init_names(name)
        self._call_arg_names = self._arg_names(self.call)
        self._current_scope = None
        if scope:
            with tf.variable_scope(scope) as captured:
                self._scope = captured
        else:
            self._scope = None

    def _init_names(self, name):
        if isinstance(name, tf.VariableScope):
            return name.name, unique_object_name(to_snake_case(type(self).__name__))
        if not name:
            base = to_snake_case(type(self).__name__)
            return base, unique_object_name(base)
        return name, name

    @staticmethod
    def _arg_names(fn):
        try:
            return list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            return []

    # --- properties --------------------------------------------------------------------

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, regularizer):
        self._activity_regularizer = regularizer

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        for spec in tf.nest.flatten(value):
            if spec is not None and not is_input_spec(spec):
                raise TypeError("Layer input_spec must be an instance of InputSpec (or an object with its "
                                "attributes %s). Got: %r" % (", ".join(SPEC_FIELDS), spec))
        self._input_spec = value

    @property
    def scope_name(self):
        if not self._scope:
            raise ValueError(
                'No name available for layer scope because the layer "%s" has not been used yet. '
                "The scope name is determined the first time the layer instance is called. You "
                "must therefore call the layer before querying `scope_name`." % self._name)
        return self._scope.name

    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def updates(self):
        return list(self._updates)

    @property
    def losses(self):
        return list(self._losses)

    def get_updates_for(self, inputs):
        """Updates that depend on ``inputs``; with None, those that depend on no layer input."""
        return self._conditional(self.updates, inputs)

    def get_losses_for(self, inputs):
        """Losses that depend on ``inputs``; with None, those that depend on no layer input."""
        return self._conditional(self.losses, inputs)

    def _conditional(self, items, inputs):
        if inputs is None:
            sources = {t.op for t in getattr(self, "_seen_inputs", [])}
            return [i for i in items if not sources or not _reaches(i, sources)]
        sources = {t.op for t in tf.nest.flatten(inputs) if hasattr(t, "op")}
        return [i for i in items if _reaches(i, sources)]

    # --- weights, losses, updates ------------------------------------------------------

    def _set_scope(self, scope=None):
        if self._scope is None:
            if self._reuse:
                with tf.variable_scope(scope if scope is not None else self._base_name) as captured:
                    self._scope = captured
            else:
                with tf.variable_scope(scope, default_name=self._base_name) as captured:
                    self._scope = captured

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None, trainable=None,
                   constraint=None, use_resource=None, synchronization=tf.VariableSynchronization.AUTO,
                   aggregation=tf.VariableAggregation.NONE, partitioner=None, **kwargs):
        """Creates (or, once built or with reuse, gets) ``<layer scope>/<name>`` via ``get_variable``.

        ``trainable`` defaults to True (False for ``synchronization=ON_READ``). The
        regularizer's loss is added once, when the variable is created, to
        ``REGULARIZATION_LOSSES`` and ``self.losses``; ``constraint`` is stored on the
        variable, where ``tf.compat.v1.train`` optimizers apply it after each update.
        """
        for key in kwargs:
            if key != "experimental_autocast":
                raise TypeError("Unknown keyword argument:", key)
        require_graph_mode("%s.add_weight" % type(self).__name__)
        if synchronization == tf.VariableSynchronization.ON_READ:
            if trainable:
                raise ValueError(
                    "Synchronization value can be set to VariableSynchronization.ON_READ only for "
                    "non-trainable variables. You have specified trainable=True and "
                    "synchronization=VariableSynchronization.ON_READ.")
            trainable = False
        elif trainable is None:
            trainable = True
        with _variable_creation_scope():
            return self._create_weight(name, shape, dtype, initializer, regularizer, trainable, constraint,
                                       use_resource, synchronization, aggregation, partitioner)

    def _create_weight(self, name, shape, dtype, initializer, regularizer, trainable, constraint, use_resource,
                       synchronization, aggregation, partitioner):
        existing = {id(v) for v in tf.global_variables()}
        dtype = tf.as_dtype(dtype or self.dtype or tf.float32)
        self._set_scope(None)
        reuse = self.built or self._reuse
        with tf.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as scope:
            self._current_scope = scope
            if initializer is None and scope.initializer is None and self._keras_default_initializer:
                initializer = default_initializer(dtype)  # a scope's initializer comes first, as in TensorFlow
            with tf.name_scope(scope.original_name_scope):
                variable = get_variable_in_scope(
                    self._api_name(), name, shape=shape, dtype=dtype, initializer=initializer,
                    trainable=trainable and self.trainable, constraint=constraint,
                    partitioner=partitioner, use_resource=use_resource,
                    synchronization=synchronization, aggregation=aggregation)
                parts = list(variable) if type(variable).__name__ == "PartitionedVariable" else [variable]
                if regularizer is not None and all(id(p) not in existing for p in parts):
                    for part in parts:
                        with tf.name_scope(name + "/Regularizer"):
                            loss = regularizer(part)
                        if loss is not None:
                            self.add_loss(loss)
        in_collection = {id(v) for v in tf.trainable_variables()}
        for part in parts:
            if trainable and self.trainable and id(part) in in_collection:
                self._trainable_weights.append(part)
            else:
                self._non_trainable_weights.append(part)
        return variable

    def add_variable(self, *args, **kwargs):
        """Deprecated alias of ``add_weight``."""
        return self.add_weight(*args, **kwargs)

    def add_loss(self, losses, inputs=None):
        """Adds loss tensors (or zero-argument callables) to ``self.losses`` and ``REGULARIZATION_LOSSES``."""
        del inputs
        new = []
        for loss in tf.nest.flatten(losses):
            if callable(loss):
                loss = loss()
            if loss is None:
                continue
            new.append(tf.convert_to_tensor(loss))
        self._losses.extend(new)
        _add_to_collection(new, tf.GraphKeys.REGULARIZATION_LOSSES)

    def add_update(self, updates, inputs=None):
        """Adds update ops (or callables returning them) to ``self.updates``; ``__call__`` puts them in ``UPDATE_OPS``."""
        del inputs
        for update in tf.nest.flatten(updates):
            if callable(update):
                update = update()
            if update is not None:
                self._updates.append(update)

    # --- building and calling ----------------------------------------------------------

    def build(self, input_shape):
        """Creates the layer's weights; subclasses call ``super().build(input_shape)`` last."""
        self._build_input_shape = input_shape
        self.built = True

    def call(self, inputs, **kwargs):
        """The layer's computation; the base layer returns its input."""
        return inputs

    def compute_output_shape(self, input_shape):
        raise NotImplementedError(
            "%s.compute_output_shape is not implemented; build the layer on a placeholder of "
            "that shape instead." % type(self).__name__)

    def _check_inputs(self, inputs):
        """Hook for subclasses: validate ``inputs`` before the input spec and ``build``."""

    def __call__(self, inputs, *args, **kwargs):
        """Builds the layer on the first call, then runs ``call`` in the layer's variable scope."""
        require_graph_mode(self._api_name())
        scope = kwargs.pop("scope", None)

        def to_tensor(x):
            return tf.convert_to_tensor(x) if isinstance(x, (np.ndarray, float, int, np.generic)) else x

        inputs = tf.nest.map_structure(to_tensor, inputs)
        accepts_training = "training" in self._call_arg_names
        if "training" in kwargs and not accepts_training:
            kwargs.pop("training")
        passed_training = kwargs.get("training")
        if accepts_training and passed_training is None:
            positional = self._call_arg_names.index("training") - 1
            if positional < len(args):
                passed_training = args[positional]
            elif _context_training() is not None:
                kwargs["training"] = passed_training = _context_training()
        self._check_inputs(inputs)
        self._set_scope(scope)
        reuse = True if self.built else self._reuse
        with tf.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as var_scope:
            self._current_scope = var_scope
            if "scope" in self._call_arg_names:
                kwargs["scope"] = var_scope
            assert_input_compatibility(self.input_spec, inputs, self.name)
            with tf.name_scope(var_scope.original_name_scope):
                if not self.built:
                    flat = tf.nest.flatten(inputs)
                    if flat and self._dtype is None and hasattr(flat[0], "dtype"):
                        self._dtype = flat[0].dtype.base_dtype.name
                    shapes = tf.nest.map_structure(
                        lambda x: tf.TensorShape(x.shape) if hasattr(x, "shape") else None, inputs)
                    self.build(shapes)
                    self.built = True
                stack = getattr(_CALL_CONTEXT, "training", None)
                if stack is None:
                    stack = _CALL_CONTEXT.training = []
                stack.append(passed_training)
                try:
                    outputs = self.call(inputs, *args, **kwargs)
                finally:
                    stack.pop()
                if outputs is None:
                    raise ValueError("A layer's `call` method should return a Tensor or a list of "
                                     "Tensors, not None (layer: %s)." % self.name)
                if self._activity_regularizer is not None:
                    with tf.name_scope("ActivityRegularizer"):
                        for output in tf.nest.flatten(outputs):
                            loss = tf.convert_to_tensor(self._activity_regularizer(output))
                            batch = tf.cast(tf.shape(output)[0], loss.dtype)
                            self.add_loss(loss / batch)
        self._seen_inputs = getattr(self, "_seen_inputs", []) + [
            t for t in tf.nest.flatten(inputs) if hasattr(t, "op")]
        _add_to_collection(self.updates, tf.GraphKeys.UPDATE_OPS)
        return outputs

    def __deepcopy__(self, memo):
        """A copy that shares the layer's graph objects (variables, tensors, scope) with the original."""
        def graph_object(value):
            return tf.is_tensor(value) or isinstance(value, (tf.Variable, tf.Operation))

        result = type(self).__new__(type(self))
        memo[id(self)] = result
        for key, value in self.__dict__.items():
            if key in ("_scope", "_current_scope"):
                value = copy.copy(value)
            elif graph_object(value):
                pass
            elif isinstance(value, list) and all(graph_object(v) for v in value):
                value = list(value)
            else:
                value = copy.deepcopy(value, memo)
            object.__setattr__(result, key, value)
        return result

    def apply(self, inputs, *args, **kwargs):
        """Same as calling the layer."""
        return self(inputs, *args, **kwargs)

    def _api_name(self):
        return getattr(self, "_functional_name", None) or type(self).__name__

    def count_params(self):
        if not self.built:
            raise ValueError("You tried to call `count_params` on layer %s, but the layer isn't built. "
                             "Call the layer on an input first." % self.name)
        return int(sum(np.prod(w.shape.as_list()) for w in self.weights))

    def get_weights(self):
        """The weights' values, read in the default session."""
        return tf.get_default_session().run(self.weights)

    def set_weights(self, weights):
        """Assigns ``weights`` (numpy arrays, in ``self.weights`` order) in the default session."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError("Layer %s expects %d weights, but the given weights list has %d."
                             % (self.name, len(params), len(weights)))
        sess = tf.get_default_session()
        for var, value in zip(params, weights):
            var.load(np.asarray(value), sess)

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self._dtype is not None:
            config["dtype"] = self._dtype
        return config

    @classmethod
    def from_config(cls, config):
        """The layer ``config`` (a ``get_config()`` result) describes: ``cls(**config)``."""
        return cls(**config)


__all__ = ["Layer", "InputSpec", "to_snake_case"]
