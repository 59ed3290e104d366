"""Batch normalization (Ioffe & Szegedy, 2015): ``BatchNormalization`` / ``batch_normalization``.

Variables of ``tf.compat.v1.layers.batch_normalization``: ``gamma``, ``beta``, and the
non-trainable ``moving_mean`` / ``moving_variance`` (with ``renorm`` also ``moving_stddev``,
``renorm_mean``, ``renorm_stddev``). In training mode the moving-average updates are added
to ``tf.compat.v1.GraphKeys.UPDATE_OPS``: run them, e.g. with
``tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS))``.

A ``training`` tensor selects between batch and moving statistics with ``tf.where``,
not ``tf.cond``: the graph then has no control flow, so it freezes into a GraphDef
that runs (a ``cond`` branch that returns a variable read does not survive
``convert_variables_to_constants`` under control flow v2).

Where TensorFlow would use its fused kernel (4-D / 5-D float inputs, one channel axis that
is 1 or the last, no renorm / virtual batches / adjustment), the same numbers are computed
without it: the moving variance is fed the unbiased (Bessel-corrected) batch variance, as
that kernel does.
"""
from tensorflow.python import tf2 as _tf2

from tf1_recsys._tf import as_float_tensor, check_rank, check_training, require_graph_mode, shape_str, tf
from tf1_recsys.compat.layers.base import Layer
from tf1_recsys.compat.layers.input_spec import InputSpec
from tf1_recsys.compat.layers.variables import positive_float, positive_int

_RENORM_KEYS = ("rmax", "rmin", "dmax")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class BatchNormalization(Layer):
    """Batch normalization layer; same constructor as ``tf.compat.v1.layers.BatchNormalization``.

    Args:
      axis: int or list of ints, the normalized (channel) axes; statistics are taken over
        all the others. With several axes the variables have the input's rank, with
        size 1 on the reduced axes.
      momentum: moving average decay, ``moving = momentum * moving + (1 - momentum) * batch``.
      epsilon: number > 0 added to the variance.
      center, scale: whether to add ``beta`` / multiply by ``gamma``.
      renorm: Batch Renormalization (Ioffe, 2017); ``renorm_clipping`` may map 'rmax',
        'rmin', 'dmax' to scalars; ``renorm_momentum`` decays the renorm statistics.
      fused: None or True use the fused kernel's numbers where TensorFlow would fuse; False never.
      virtual_batch_size: "ghost batch" size that must divide the batch in training.
      adjustment: callable mapping the input's dynamic shape to (scale, bias) applied to the
        normalized values in training, before gamma and beta.

    Call: ``layer(inputs, training=False, mask=None)``; ``training`` a Python bool or scalar bool
    tensor; ``mask`` (the call argument of Keras' ``BatchNormalization``) None, or the frequency
    weight of each position in the batch statistics, of the input's shape without the (single)
    channel axis: bool or 0/1 keeps only the marked positions, a count w weighs a position as w
    copies of it (``tf.nn.weighted_moments``; the moving statistics move towards these moments,
    with the fused kernel's numbers the variance's Bessel correction counts sum(mask) positions).
    Not with ``virtual_batch_size`` or several channel axes.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer=tf.zeros_initializer(), gamma_initializer=tf.ones_initializer(),
                 moving_mean_initializer=tf.zeros_initializer(),
                 moving_variance_initializer=tf.ones_initializer(), beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, fused=None, trainable=True,
                 virtual_batch_size=None, adjustment=None, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        fn = "batch_normalization"
        if _is_int(axis):
            self.axis = axis
        elif isinstance(axis, (list, tuple)) and axis and all(_is_int(a) for a in axis):
            self.axis = list(axis)
        else:
            raise TypeError("%s: `axis` must be an int or a list/tuple of ints; got %r." % (fn, axis))
        try:
            momentum_value = float(momentum)
        except (TypeError, ValueError):
            momentum_value = None
        if momentum_value is None or not 0.0 <= momentum_value <= 1.0:
            raise ValueError("%s: `momentum` must be in [0, 1]; got %r." % (fn, momentum))
        self.momentum = momentum
        self.epsilon = positive_float(fn, "epsilon", epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.renorm = bool(renorm)
        if virtual_batch_size is not None:
            virtual_batch_size = positive_int(fn, "virtual_batch_size", virtual_batch_size)
        self.virtual_batch_size = virtual_batch_size
        if adjustment is not None and not callable(adjustment):
            raise TypeError("%s: `adjustment` must be None or a callable; got %r." % (fn, adjustment))
        if adjustment is not None and virtual_batch_size is not None:
            raise ValueError("%s: `adjustment` cannot be combined with `virtual_batch_size`." % fn)
        self.adjustment = adjustment
        self.fused = fused
        # False makes the fused-path moving variance the plain batch variance, as without fusing
        # (TensorFlow's own tests set it to move checkpoints between fused and non-fused layers).
        self._bessels_correction_test_only = True
        self.supports_masking = True
        if self.renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - set(_RENORM_KEYS)
            if unknown:
                raise ValueError("%s: `renorm_clipping` keys must be among %s; got %r."
                                 % (fn, ", ".join(_RENORM_KEYS), sorted(unknown)))
            self.renorm_clipping = renorm_clipping
            self.renorm_momentum = renorm_momentum
        self.gamma = self.beta = None

    def _check_inputs(self, inputs):
        fn = self._api_name()
        inputs = as_float_tensor(fn, "inputs", inputs)
        check_rank(fn, "inputs", inputs, min_rank=1)

    def _validated_axes(self, rank):
        fn = self._api_name()
        axes = [self.axis] if _is_int(self.axis) else list(self.axis)
        out = []
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError("%s: `axis` must be an int in [-%d, %d) for an input of rank %d; got %r."
                                 % (fn, rank, rank, rank, self.axis))
            out.append(a % rank)
        if len(set(out)) != len(out):
            raise ValueError("%s: `axis` has duplicate axes: %r." % (fn, self.axis))
        return out

    def build(self, input_shape):
        fn = self._api_name()
        input_shape = tf.TensorShape(input_shape)
        rank = input_shape.rank
        if rank is None:
            raise ValueError("%s: `inputs` must have a known rank." % fn)
        axes = self._validated_axes(rank)
        if self.virtual_batch_size is not None and 0 in axes:
            raise ValueError("%s: with `virtual_batch_size`, `axis` cannot include the batch axis 0; "
                             "got %r." % (fn, self.axis))
        for a in axes:
            if tf.compat.dimension_value(input_shape[a]) is None:
                raise ValueError("%s: dimension %d (`axis`) of `inputs` must be known; got shape %s."
                                 % (fn, a, shape_str(input_shape)))
        axis_to_dim = {a: int(input_shape[a]) for a in axes}
        dtype = tf.as_dtype(self.dtype or tf.float32)
        self._param_dtype = tf.float32 if dtype in (tf.float16, tf.bfloat16) else dtype
        # TensorFlow fuses (v1 rule, fused None or True) for rank 4 / 5 with axis 1 or the last.
        self._fused = (
            self.fused is not False and rank in (4, 5) and len(axes) == 1 and axes[0] in (1, rank - 1)
            and not self.renorm and self.virtual_batch_size is None and self.adjustment is None
            and dtype in (tf.float32, tf.float16, tf.bfloat16)) or getattr(self, "_fused_numbers", False)
        self.input_spec = InputSpec(ndim=rank, axes=axis_to_dim)
        if len(axes) == 1 and self.virtual_batch_size is None:
            param_shape = [axis_to_dim[axes[0]]]
        else:
            param_shape = [axis_to_dim.get(i, 1) for i in range(rank)]
            if self.virtual_batch_size is not None:
                param_shape.insert(1, 1)
                axes = [a + 1 for a in axes]
        self._axes = axes
        self._param_shape = param_shape

        def weight(name, initializer, trainable, regularizer=None, constraint=None):
            return self.add_weight(name, shape=param_shape, dtype=self._param_dtype, initializer=initializer,
                                   regularizer=regularizer, constraint=constraint, trainable=trainable)

        if self.scale:
            self.gamma = weight("gamma", self.gamma_initializer, True, self.gamma_regularizer,
                                self.gamma_constraint)
        if self.center:
            self.beta = weight("beta", self.beta_initializer, True, self.beta_regularizer,
                               self.beta_constraint)
        partitioner = self._scope.partitioner if self._scope is not None else None
        if partitioner is not None:
            self._scope.set_partitioner(None)
        try:
            self.moving_mean = weight("moving_mean", self.moving_mean_initializer, False)
            self.moving_variance = weight("moving_variance", self.moving_variance_initializer, False)
            if self.renorm:
                variance_init = self.moving_variance_initializer

                def stddev_initializer(*args, **kwargs):
                    return tf.sqrt(variance_init(*args, **kwargs))

                self.moving_stddev = weight("moving_stddev", stddev_initializer, False)
                self.renorm_mean = weight("renorm_mean", self.moving_mean_initializer, False)
                self.renorm_stddev = weight("renorm_stddev", stddev_initializer, False)
        finally:
            if partitioner is not None:
                self._scope.set_partitioner(partitioner)
        super().build(input_shape)

    def _moving_average_delta(self, var, value, momentum, training):
        """``(var - value) * (1 - momentum)``, zero where ``training`` is a False tensor."""
        decay = tf.constant(1.0 - momentum, dtype=var.dtype.base_dtype, name="decay")
        delta = (var.read_value() - tf.cast(value, var.dtype.base_dtype)) * decay
        if training is not True:
            delta = tf.where(training, delta, tf.zeros_like(delta))
        return delta

    def call(self, inputs, training=False, mask=None):
        fn = self._api_name()
        training = check_training(fn, False if training is None else training)
        inputs = tf.convert_to_tensor(inputs)
        if mask is not None:
            mask = self._frequency_weights(fn, inputs, mask)
        original_shape = None
        if self.virtual_batch_size is not None:
            dynamic = tf.shape(inputs)
            original_shape = tf.concat([tf.constant([-1]), dynamic[1:]], axis=0)
            lead = [self.virtual_batch_size, -1] if (training is True or not _tf2.enabled()) else [-1, 1]
            inputs = tf.reshape(inputs, tf.concat([tf.constant(lead), dynamic[1:]], axis=0))
        in_dtype = inputs.dtype.base_dtype
        if in_dtype in (tf.float16, tf.bfloat16):
            inputs = tf.cast(inputs, tf.float32)
        outputs = self._normalize(inputs, training, mask)
        if in_dtype in (tf.float16, tf.bfloat16):
            outputs = tf.cast(outputs, in_dtype)
        if original_shape is not None:
            outputs = tf.reshape(outputs, original_shape)
        return outputs

    def _frequency_weights(self, fn, inputs, mask):
        """``mask`` as float weights with a size-1 channel axis, broadcastable to ``inputs``."""
        if self.virtual_batch_size is not None or len(self._axes) != 1:
            raise ValueError("%s: `mask` needs one channel axis and no `virtual_batch_size`; got axis=%r, "
                             "virtual_batch_size=%r." % (fn, self.axis, self.virtual_batch_size))
        mask = tf.convert_to_tensor(mask)
        channel = self._axes[0]
        want = inputs.shape[:channel].concatenate(inputs.shape[channel + 1:])
        if not mask.shape.is_compatible_with(want):
            raise ValueError("%s: `mask` must have the shape of `inputs` without its channel axis %d, %s; got %s."
                             % (fn, channel, shape_str(want), shape_str(mask)))
        return tf.expand_dims(tf.cast(mask, self._param_dtype), channel)

    def _normalize(self, inputs, training, weights=None):
        rank = inputs.shape.rank
        axes = self._axes
        reduction_axes = [i for i in range(rank) if i not in axes]
        if self.virtual_batch_size is not None:
            del reduction_axes[1]
        epsilon = self.epsilon
        broadcast_shape = [1] * rank
        broadcast_shape[axes[0]] = int(inputs.shape[axes[0]])

        def broadcast(v):
            if v is not None and v.shape.rank != rank and reduction_axes != list(range(rank - 1)):
                return tf.reshape(v, broadcast_shape)
            return v

        scale, offset = broadcast(self.gamma), broadcast(self.beta)

        def compose(first_scale, first_offset, then_scale, then_offset):
            if then_scale is not None:
                first_scale = first_scale * then_scale
                first_offset = first_offset * then_scale
            if then_offset is not None:
                first_offset = first_offset + then_offset
            return first_scale, first_offset

        def choose(when_training, otherwise):
            if training is True:
                return when_training
            if self.virtual_batch_size is None:
                return tf.where(training, when_training, otherwise)
            # Ghost batches: the batch statistics are [1, k, ...], the moving ones [1, 1, ...].
            chosen = tf.where_v2(training, when_training, otherwise)
            chosen.set_shape(tf.broadcast_static_shape(when_training.shape, otherwise.shape))
            return chosen

        if training is False:
            mean, variance = self.moving_mean, self.moving_variance
        else:
            if self.adjustment is not None:
                adj_scale, adj_bias = self.adjustment(tf.shape(inputs))
                adj_scale = choose(adj_scale, tf.ones_like(adj_scale))
                adj_bias = choose(adj_bias, tf.zeros_like(adj_bias))
                scale, offset = compose(adj_scale, adj_bias, scale, offset)
            keep_dims = self.virtual_batch_size is not None or len(axes) > 1
            if weights is None:
                batch_mean, batch_variance = tf.nn.moments(
                    tf.cast(inputs, self._param_dtype), reduction_axes, keepdims=keep_dims)
            else:
                batch_mean, batch_variance = tf.nn.weighted_moments(
                    tf.cast(inputs, self._param_dtype), reduction_axes, weights, keepdims=keep_dims)
            mean = choose(batch_mean, self.moving_mean.read_value())
            variance = choose(batch_variance, self.moving_variance.read_value())
            if self.virtual_batch_size is not None:
                new_mean = tf.reduce_mean(mean, axis=1, keepdims=True)
                new_variance = tf.reduce_mean(variance, axis=1, keepdims=True)
            else:
                new_mean, new_variance = mean, variance
            if self._fused and self._bessels_correction_test_only:
                if weights is None:
                    n = tf.cast(tf.size(inputs) // tf.size(batch_mean), new_variance.dtype)
                else:
                    n = tf.cast(tf.reduce_sum(weights), new_variance.dtype)
                new_variance = new_variance * n / tf.maximum(n - 1.0, 1.0)
            if self.renorm:
                r, d, renorm_updates = self._renorm_correction(new_mean, new_variance, training)
                with tf.control_dependencies(renorm_updates):
                    new_mean, new_variance = tf.identity(new_mean), tf.identity(new_variance)
                r = broadcast(tf.stop_gradient(r, name="renorm_r"))
                d = broadcast(tf.stop_gradient(d, name="renorm_d"))
                scale, offset = compose(r, d, scale, offset)
            with tf.name_scope("AssignMovingAvg"):
                delta = self._moving_average_delta(self.moving_mean, new_mean, self.momentum, training)
                self.add_update(self.moving_mean.assign_sub(delta, read_value=False, name="update_moving_mean"))
            with tf.name_scope("AssignMovingAvg_1"):
                if self.renorm:
                    target = tf.sqrt(new_variance + self.epsilon)
                    delta = self._moving_average_delta(self.moving_stddev, target, self.momentum, training)
                    new_stddev = self.moving_stddev.assign_sub(delta)
                    value = tf.nn.relu(new_stddev * new_stddev - self.epsilon)
                    if training is not True:
                        value = tf.where(training, value, self.moving_variance.read_value())
                    update = self.moving_variance.assign(value, read_value=False, name="update_moving_variance")
                else:
                    delta = self._moving_average_delta(self.moving_variance, new_variance, self.momentum, training)
                    update = self.moving_variance.assign_sub(delta, read_value=False, name="update_moving_variance")
                self.add_update(update)
        if offset is not None:
            offset = tf.cast(offset, inputs.dtype)
        if scale is not None:
            scale = tf.cast(scale, inputs.dtype)
        outputs = tf.nn.batch_normalization(
            inputs, broadcast(tf.cast(mean, inputs.dtype)), broadcast(tf.cast(variance, inputs.dtype)),
            offset, scale, epsilon)
        outputs.set_shape(inputs.shape)
        return outputs

    def _renorm_correction(self, mean, variance, training):
        """Batch renormalization's (r, d) and the updates of ``renorm_mean`` / ``renorm_stddev``."""
        stddev = tf.sqrt(variance + self.epsilon)
        renorm_stddev = tf.maximum(self.renorm_stddev.read_value(), tf.sqrt(self.epsilon))
        r = stddev / renorm_stddev
        d = (mean - self.renorm_mean.read_value()) / renorm_stddev
        clip = self.renorm_clipping
        if clip.get("rmin") is not None:
            r = tf.maximum(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = tf.minimum(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = tf.minimum(tf.maximum(d, -clip["dmax"]), clip["dmax"])
        if training is not True:
            r = tf.where(training, r, tf.ones_like(r))
            d = tf.where(training, d, tf.zeros_like(d))
        with tf.control_dependencies([r, d]):
            updates = [
                var.assign_sub(self._moving_average_delta(var, value, self.renorm_momentum, training),
                               read_value=False)
                for var, value in ((self.renorm_mean, mean), (self.renorm_stddev, stddev))]
        return r, d, updates

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=tf.zeros_initializer(), gamma_initializer=tf.ones_initializer(),
                        moving_mean_initializer=tf.zeros_initializer(),
                        moving_variance_initializer=tf.ones_initializer(), beta_regularizer=None,
                        gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, training=False,
                        trainable=True, name=None, reuse=None, renorm=False, renorm_clipping=None,
                        renorm_momentum=0.99, fused=None, virtual_batch_size=None, adjustment=None):
    """Functional ``BatchNormalization``; same signature as ``tf.compat.v1.layers.batch_normalization``.

    Args:
      inputs: float tensor whose ``axis`` dimensions are known.
      training: Python bool, or a scalar boolean tensor such as
        ``tf.compat.v1.placeholder_with_default(False, [])``. True normalises with the
        batch statistics and adds the moving-average updates to ``UPDATE_OPS``; False
        uses the moving statistics and adds no update.
      name: the variable scope; None gives 'batch_normalization', 'batch_normalization_1', ...
      (other arguments: see ``BatchNormalization``)

    Returns:
      A tensor of the shape of ``inputs``.
    """
    fn = "batch_normalization"
    require_graph_mode(fn)
    inputs = as_float_tensor(fn, "inputs", inputs)
    check_rank(fn, "inputs", inputs, min_rank=2)
    training = check_training(fn, False if training is None else training)  # None: TF1's learning phase, False
    layer = BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
        beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer, moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
        gamma_constraint=gamma_constraint, renorm=renorm, renorm_clipping=renorm_clipping,
        renorm_momentum=renorm_momentum, fused=fused, trainable=trainable, virtual_batch_size=virtual_batch_size,
        adjustment=adjustment, name=name, _scope=name, _reuse=reuse)
    layer._functional_name = fn
    return layer(inputs, training=training)


# The aliases tf_keras' legacy module defines (TensorFlow does not export them).
BatchNorm, batch_norm = BatchNormalization, batch_normalization

__all__ = ["BatchNormalization", "batch_normalization"]
