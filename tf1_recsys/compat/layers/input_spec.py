"""``InputSpec``: the rank, dtype and shape a layer accepts, checked when it is called."""
from tf1_recsys._tf import shape_str, tf


class InputSpec(object):
    """What one input of a layer must look like; ``None`` fields are not checked.

    Args:
      dtype: expected dtype name or ``tf.DType``.
      shape: expected shape; ``None`` entries match any size. Implies ``ndim``.
      ndim: exact rank.
      max_ndim, min_ndim: rank bounds.
      axes: dict ``{axis: size}`` for axes whose size is fixed (negative axes count from the end).
      allow_last_axis_squeeze: accept a missing or extra trailing axis of size 1.
      name: the input's name, used in error messages.
      optional: whether the input may be None (recorded; inputs are not optional in graph layers).
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = tf.as_dtype(dtype).name if dtype is not None else None
        shape = tf.TensorShape(shape)
        if shape.rank is None:
            self.shape = None
        else:
            self.shape = tuple(shape.as_list())
            ndim = shape.rank
        self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.optional = optional
        try:
            self.axes = {int(k): v for k, v in (axes or {}).items()}
        except (ValueError, TypeError):
            raise TypeError("InputSpec: the keys of `axes` must be integers; got %r." % (axes,))
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim is not None else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(
                    "InputSpec: axis %d in `axes` is outside the rank allowed by ndim/max_ndim (%d)."
                    % (max(self.axes), max_dim + 1))

    def __repr__(self):
        fields = [
            "dtype=" + str(self.dtype) if self.dtype else "",
            "shape=" + str(self.shape) if self.shape else "",
            "ndim=" + str(self.ndim) if self.ndim else "",
            "max_ndim=" + str(self.max_ndim) if self.max_ndim else "",
            "min_ndim=" + str(self.min_ndim) if self.min_ndim else "",
            "axes=" + str(self.axes) if self.axes else "",
        ]
        return "InputSpec(%s)" % ", ".join(f for f in fields if f)

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


SPEC_FIELDS = ("dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes")
"""The attributes that make an object an input spec: ours, TensorFlow's or Keras's ``InputSpec``."""


def is_input_spec(value):
    """Whether ``value`` has every field of ``SPEC_FIELDS`` (no class check: no Keras import)."""
    return all(hasattr(value, field) for field in SPEC_FIELDS)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raises a ValueError naming the layer, the input and the violated field of its spec."""
    if not input_spec:
        return
    specs = tf.nest.flatten(input_spec)
    flat = tf.nest.flatten(inputs)
    if len(flat) != len(specs):
        raise ValueError(
            'Layer "%s" expects %d input(s), but it received %d input tensors.'
            % (layer_name, len(specs), len(flat)))
    for index, (x, spec) in enumerate(zip(flat, specs)):
        if spec is None:
            continue
        where = 'Input %d of layer "%s" is incompatible with the layer: ' % (index, layer_name)
        shape = tf.TensorShape(x.shape)
        rank = shape.rank
        if rank is None:  # nothing is checked on an input of unknown rank, as in TensorFlow
            continue
        squeeze = getattr(spec, "allow_last_axis_squeeze", False)
        if spec.ndim is not None and not squeeze:
            if rank != spec.ndim:
                raise ValueError(where + "expected ndim=%d, found ndim=%s. Full shape received: %s"
                                 % (spec.ndim, rank, shape_str(shape)))
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(where + "expected max_ndim=%d, found ndim=%d. Full shape received: %s"
                             % (spec.max_ndim, rank, shape_str(shape)))
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(where + "expected min_ndim=%d, found ndim=%d. Full shape received: %s"
                             % (spec.min_ndim, rank, shape_str(shape)))
        if spec.dtype is not None and x.dtype.base_dtype != tf.as_dtype(spec.dtype):
            raise ValueError(where + "expected dtype=%s, found dtype=%s"
                             % (tf.as_dtype(spec.dtype).name, x.dtype.base_dtype.name))
        if spec.axes:
            dims = shape.as_list()
            for axis, value in spec.axes.items():
                if value is not None and dims[int(axis)] not in (value, None):
                    raise ValueError(where + "expected axis %d of input shape to have value %s, "
                                     "but received input with shape %s" % (axis, value, shape_str(shape)))
        if spec.shape is not None:
            dims = shape.as_list()
            want = list(spec.shape)
            if squeeze:
                if dims and dims[-1] == 1:
                    dims = dims[:-1]
                if want and want[-1] == 1:
                    want = want[:-1]
            for got_dim, want_dim in zip(dims, want):
                if want_dim is not None and got_dim is not None and got_dim != want_dim:
                    raise ValueError(where + "expected shape=%s, found shape=%s"
                                     % (tuple(spec.shape), shape_str(shape)))
