"""The initializer ``tf.compat.v1.layers`` give a floating-point weight created with ``initializer=None``.

TensorFlow's layers (Keras-backed, ``tf_keras`` on 2.16+) choose it by the TF 2 behaviour flag:

- after ``tf.compat.v1.disable_v2_behavior()``: ``get_variable``'s Glorot uniform, whose op seed
  comes from the graph seed (``tf.set_random_seed``) and the graph's op count;
- with TF 2 behaviour on (``tf.compat.v1.disable_eager_execution()`` alone, the usual TF 2 set-up):
  Keras' Glorot uniform, ``tf.random.stateless_uniform(shape, seed=[s, 0], -limit, limit)`` with
  ``limit = sqrt(6 / (fan_in + fan_out))`` and ``s = random.randint(1, 10**9)`` drawn from Python's
  global ``random`` module when the variable is created; the graph seed plays no part, and each
  such weight consumes one draw of Python's ``random`` (so does a program's later use of it).

While ``tf1_recsys.compat.install()`` is in effect (``follow_keras_defaults(True)``; ``uninstall()``
turns it off), ``default_initializer(dtype)`` returns what TensorFlow's layer would use, so that a
program run through the drop-in gets TensorFlow's initial values (and Python random stream) under
either behaviour. Otherwise, as in tf1_recsys' own models and blocks, it is always ``get_variable``'s,
reproducible from the graph seed alone.
"""
import math
import random

from tensorflow.python import tf2 as _tf2

from tf1_recsys._tf import tf


def fans(shape):
    """``(fan_in, fan_out)`` of a weight ``shape`` (ints): ``[in, out]``, ``[*window, in, out]`` (each times
    the window's size), ``[n]`` -> ``(n, n)``, ``[]`` -> ``(1, 1)``; as TensorFlow's initializers count them."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(math.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


class KerasGlorotUniform(object):
    """Keras' unseeded Glorot uniform: one seed drawn from Python's ``random`` at its first call."""

    def __init__(self):
        self._seed = None

    def __call__(self, shape, dtype=None, **kwargs):
        shape = [int(d) for d in shape]
        if self._seed is None:
            self._seed = random.randint(1, int(1e9))
        fan_in, fan_out = fans(shape)
        limit = math.sqrt(3.0 / max(1.0, (fan_in + fan_out) / 2.0))
        return tf.random.stateless_uniform(shape=shape, minval=-limit, maxval=limit,
                                           dtype=tf.as_dtype(dtype or tf.float32), seed=[self._seed, 0])


_follow_keras = [False]


def follow_keras_defaults(on):
    """Whether ``default_initializer`` follows TensorFlow's layers (set by ``install()`` / ``uninstall()``)."""
    _follow_keras[0] = bool(on)


def default_initializer(dtype):
    """The initializer for a weight of ``dtype`` given none (None: ``get_variable``'s); see the module docstring."""
    if _follow_keras[0] and _tf2.enabled() and tf.as_dtype(dtype).is_floating:
        return KerasGlorotUniform()
    return None


__all__ = ["KerasGlorotUniform", "default_initializer", "follow_keras_defaults", "fans"]
