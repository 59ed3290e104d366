"""The kit's ``model_fn``: what a user hands to manifests, checkpoint reports and golden graphs.

A ``model_fn`` is a callable taking no arguments that builds a model into the current
default graph and returns either

* a dict ``{"inputs": {key: placeholder}, "outputs": {key: tensor}}``, optionally with
  ``"training": switch``, the scalar bool ``placeholder_with_default(False, [])`` that
  turns batch norm / Dice to training mode (frozen to False in golden graphs); or
* a ``tf1_recsys.spec.ModelSpec``: inputs ``spec.inputs``, outputs
  ``spec.predictions``, switch ``spec.training``.

The kit always calls it inside a fresh ``tf.Graph`` it owns, so the function must not
create its own graph or session. Wrap a builder that needs arguments in a lambda or
``functools.partial``. The variables of the model are the graph's global variables
after the call, in creation order.

Variable manifests and checkpoint reports look only at the variables, so for them any
callable that builds into the default graph will do, whatever it returns (a layer
call returning a tensor, say). Golden graphs need the inputs and outputs.
"""
import collections
import collections.abc

from tf1_recsys._tf import tf
from tf1_recsys.spec import ModelSpec

Model = collections.namedtuple("Model", "inputs outputs training variables")
Model.__doc__ = """A built model_fn: dicts key -> tensor, the switch (or None), the global variables."""


def _tensor_dict(what, value):
    if not isinstance(value, collections.abc.Mapping) or not value:
        raise TypeError("model_fn: %r must be a non-empty dict key -> tensor; got %r." % (what, value))
    for key, tensor in value.items():
        if not isinstance(key, str) or not isinstance(tensor, tf.Tensor):
            raise TypeError("model_fn: %r must map str keys to tensors; got %r: %r." % (what, key, tensor))
    return dict(value)


def _call(model_fn, seed, what):
    """``model_fn()`` in the current (graph-mode) default graph, after ``tf.set_random_seed(seed)`` unless None."""
    if not callable(model_fn):
        raise TypeError("model_fn must be a callable taking no arguments; got %r." % (model_fn,))
    if tf.executing_eagerly():
        raise RuntimeError("%s: call it inside `with tf.Graph().as_default():`." % what)
    if seed is not None:
        tf.set_random_seed(seed)
    return model_fn()


def build_model(model_fn, seed=None):
    """Calls ``model_fn`` in the current default graph and checks what it returned.

    Args:
      model_fn: see the module docstring.
      seed: when not None, the graph-level seed set (``tf.set_random_seed``) before the call.
    Returns:
      ``Model(inputs, outputs, training, variables)``.
    Raises:
      TypeError when ``model_fn`` returns anything else, naming what it got.
    """
    built = _call(model_fn, seed, "build_model")
    if isinstance(built, ModelSpec):
        inputs, outputs, training = built.inputs, built.predictions, built.training
    elif isinstance(built, collections.abc.Mapping) and "inputs" in built and "outputs" in built:
        unknown = sorted(set(built) - {"inputs", "outputs", "training"})
        if unknown:
            raise TypeError("model_fn returned a dict with unknown keys %s; allowed: inputs, outputs, "
                            "training." % unknown)
        inputs, outputs, training = built["inputs"], built["outputs"], built.get("training")
    else:
        raise TypeError("model_fn must return a ModelSpec or a dict with 'inputs' and 'outputs' "
                        "(and optionally 'training'); got %r." % (built,))
    inputs, outputs = _tensor_dict("inputs", inputs), _tensor_dict("outputs", outputs)
    if training is not None and (not isinstance(training, tf.Tensor) or training.dtype != tf.bool):
        raise TypeError("model_fn: 'training' must be a scalar bool tensor or None; got %r." % (training,))
    return Model(inputs, outputs, training, list(tf.global_variables()))


def build_variables(model_fn, seed=None):
    """Calls ``model_fn`` in the current default graph; returns the global variables (its return value is unused)."""
    _call(model_fn, seed, "build_variables")
    return list(tf.global_variables())


__all__ = ["Model", "build_model", "build_variables"]
