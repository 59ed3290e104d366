"""The one place that imports TensorFlow, plus graph-building checks shared by every module."""
import numpy as np

try:
    import tensorflow as _tensorflow
except ImportError as e:  # pragma: no cover - exercised only without TensorFlow
    raise ImportError(
        "tf1_recsys needs TensorFlow 2.x: pip install 'tf1_recsys[cpu]' "
        "(tensorflow-cpu) or 'tf1_recsys[gpu]' (tensorflow)."
    ) from e

tf = _tensorflow.compat.v1
"""``tensorflow.compat.v1``: the only TensorFlow API the library builds with."""


def require_graph_mode(fn_name):
    """Raises RuntimeError when called eagerly: every block builds a static graph."""
    if tf.executing_eagerly():
        raise RuntimeError(
            "%s builds TF1 static-graph variables and cannot run eagerly. Build it inside "
            "`with tf.Graph().as_default():` (or call "
            "tf.compat.v1.disable_eager_execution() once at program start)." % fn_name
        )


def shape_str(tensor_or_shape):
    """The static shape as the user would write it, e.g. ``(None, 8, 16)``."""
    shape = getattr(tensor_or_shape, "shape", tensor_or_shape)
    shape = tf.TensorShape(shape)
    if shape.rank is None:
        return "<unknown rank>"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape.as_list()) + (
        ",)" if shape.rank == 1 else ")")


def check_rank(fn_name, arg_name, tensor, rank=None, min_rank=None):
    """Checks the static rank of ``tensor`` and raises a ValueError naming the argument."""
    r = tensor.shape.rank
    if r is None:
        want = "rank %d" % rank if rank is not None else "rank >= %d" % min_rank
        raise ValueError(
            "%s: `%s` must have a known %s; got a tensor of unknown rank." % (fn_name, arg_name, want)
        )
    if rank is not None and r != rank:
        raise ValueError(
            "%s: `%s` must have rank %d; got shape %s (rank %d)."
            % (fn_name, arg_name, rank, shape_str(tensor), r)
        )
    if min_rank is not None and r < min_rank:
        raise ValueError(
            "%s: `%s` must have rank >= %d; got shape %s (rank %d)."
            % (fn_name, arg_name, min_rank, shape_str(tensor), r)
        )


def static_last_dim(fn_name, arg_name, tensor):
    """The known last dimension of ``tensor``; ValueError when it is unknown.

    Under ``disable_v2_behavior()`` a shape's entries are ``Dimension`` objects, so the value is read
    through ``tf.compat.dimension_value`` (``None`` when unknown, whichever shape behaviour is on).
    """
    dim = tf.compat.dimension_value(tensor.shape[-1])
    if dim is None:
        raise ValueError(
            "%s: the last dimension of `%s` must be known at graph-construction time; got shape %s."
            % (fn_name, arg_name, shape_str(tensor))
        )
    return int(dim)


def as_float_tensor(fn_name, arg_name, value):
    """Converts ``value`` to a floating tensor, or raises naming the argument."""
    t = tf.convert_to_tensor(value)
    if not t.dtype.is_floating:
        raise TypeError(
            "%s: `%s` must be a floating-point tensor; got dtype %s." % (fn_name, arg_name, t.dtype.name)
        )
    return t


def check_training(fn_name, training):
    """Returns ``training`` as a Python bool when it is static, else the scalar bool tensor."""
    if isinstance(training, (bool, np.bool_)):
        return bool(training)
    if not tf.is_tensor(training):
        raise TypeError(
            "%s: `training` must be a Python bool or a scalar boolean tensor; got %r."
            % (fn_name, training)
        )
    if training.dtype != tf.bool:
        raise TypeError(
            "%s: `training` must be a boolean tensor; got dtype %s. Use e.g. "
            "tf.compat.v1.placeholder_with_default(False, [])." % (fn_name, training.dtype.name)
        )
    if training.shape.rank not in (None, 0):
        raise ValueError(
            "%s: `training` must be a scalar; got shape %s." % (fn_name, shape_str(training))
        )
    static = tf.get_static_value(training)
    return bool(static) if static is not None else training
