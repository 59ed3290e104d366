"""Deterministic "trained-looking" variable values, independent of TensorFlow's random streams.

TensorFlow's random initializers may draw other numbers on another version, so a golden
graph filled by them could not be rebuilt later. These values are numpy draws seeded by
a seed and the CRC32 of the variable's name: the same on every TensorFlow and platform.
"""
import zlib

import numpy as np


def variable_values(variables, seed):
    """Values for ``variables``: dict variable name (``var.op.name``) -> numpy array.

    Each value depends only on ``seed`` and the variable's name, shape and dtype: normal
    weights scaled by 1/sqrt(fan-in) for rank >= 2, small values (0.1 * normal) for
    rank <= 1, gammas 1 + 0.1 * normal and moving variances uniform in [0.5, 1.5].
    """
    values = {}
    for var in variables:
        name = var.op.name
        shape = var.shape.as_list()
        dtype = var.dtype.base_dtype.as_numpy_dtype
        rng = np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])
        leaf = name.rsplit("/", 1)[-1]
        if leaf == "moving_variance":
            value = rng.uniform(0.5, 1.5, size=shape)
        elif leaf == "gamma":
            value = 1.0 + 0.1 * rng.normal(size=shape)
        elif len(shape) >= 2:
            value = rng.normal(size=shape) / np.sqrt(max(shape[-2], 1))
        else:
            value = 0.1 * rng.normal(size=shape)
        values[name] = np.asarray(value, dtype=dtype)
    return values


def assign_values(sess, variables, seed):
    """Initialises ``variables`` in ``sess`` with ``variable_values(variables, seed)``; returns them."""
    values = variable_values(variables, seed)
    with sess.graph.as_default():  # initial_value refuses eager mode
        sess.run([v.initializer for v in variables], {v.initial_value: values[v.op.name] for v in variables})
    return values


__all__ = ["variable_values", "assign_values"]
