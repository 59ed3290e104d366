"""``tf.contrib.layers`` layers: ``fully_connected``, ``layer_norm``, ``batch_norm``, ``dropout``, ``flatten``,
``embed_sequence``.

Variables are named as ``tf.contrib`` named them (``fully_connected/weights``,
``LayerNorm/gamma``, ``BatchNorm/moving_mean``, ``EmbedSequence/embeddings``) and are
also added to ``GraphKeys.MODEL_VARIABLES``, so TF1 checkpoints restore unchanged.
All but ``embed_sequence`` honour ``tf.contrib.framework.arg_scope``
as contrib's did (``embed_sequence`` did not).
"""
from tf1_recsys._tf import as_float_tensor, check_training, require_graph_mode, shape_str, tf
from tf1_recsys.compat.contrib.framework.arg_scope import add_arg_scope
from tf1_recsys.compat.contrib.layers.initializers import xavier_initializer
from tf1_recsys.compat.contrib.layers.utils import collect_named_outputs, get_variable_collections
from tf1_recsys.compat.layers.core import Dense, Dropout, Flatten
from tf1_recsys.compat.layers.normalization import BatchNormalization
from tf1_recsys.compat.layers.variables import get_variable_in_scope, positive_int, rate_in_unit_interval

_NCHW, _NHWC = "NCHW", "NHWC"


def _model_variable_getter(rename=None):
    """Custom getter: renames (e.g. kernel -> weights) and adds the variable to MODEL_VARIABLES."""
    rename = rename or {}

    def model_variable_getter(getter, name, *args, **kwargs):
        head, _, short = name.rpartition("/")
        if short in rename:
            name = (head + "/" if head else "") + rename[short]
        collections = list(kwargs.get("collections") or [tf.GraphKeys.GLOBAL_VARIABLES])
        if tf.GraphKeys.MODEL_VARIABLES not in collections:
            collections.append(tf.GraphKeys.MODEL_VARIABLES)
        kwargs["collections"] = collections
        return getter(name, *args, **kwargs)

    return model_variable_getter


def _add_to_collections(variable, variables_collections, key):
    names = get_variable_collections(variables_collections, key)
    if variable is None or not names:
        return
    for name in [names] if isinstance(names, str) else names:
        if variable not in tf.get_collection(name):
            tf.add_to_collection(name, variable)


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=tf.nn.relu, normalizer_fn=None, normalizer_params=None,
                    weights_initializer=xavier_initializer(), weights_regularizer=None,
                    biases_initializer=tf.zeros_initializer(), biases_regularizer=None, reuse=None,
                    variables_collections=None, outputs_collections=None, trainable=True, scope=None):
    """``activation_fn(normalizer_fn(inputs @ weights + biases))``, as ``tf.contrib.layers.fully_connected``.

    Args:
      inputs: float tensor [..., in], rank >= 2, ``in`` known.
      num_outputs: int, the output width.
      activation_fn: default ``tf.nn.relu``; None for a linear layer.
      normalizer_fn: e.g. ``batch_norm``; when given there is no bias.
      biases_initializer: None for no bias.
      scope: variable scope, default 'fully_connected' (uniquified).

    Returns:
      A tensor [..., num_outputs]. Variables ``<scope>/weights`` [in, num_outputs] and
      ``<scope>/biases`` [num_outputs].
    """
    fn = "fully_connected"
    require_graph_mode(fn)
    if isinstance(num_outputs, bool) or not isinstance(num_outputs, int):
        raise ValueError("%s: `num_outputs` must be an int; got %r." % (fn, num_outputs))
    getter = _model_variable_getter({"kernel": "weights", "bias": "biases"})
    with tf.variable_scope(scope, "fully_connected", [inputs], reuse=reuse, custom_getter=getter) as sc:
        inputs = as_float_tensor(fn, "inputs", inputs)
        layer = Dense(num_outputs, activation=None,
                      use_bias=not normalizer_fn and biases_initializer is not None,
                      kernel_initializer=weights_initializer, bias_initializer=biases_initializer,
                      kernel_regularizer=weights_regularizer, bias_regularizer=biases_regularizer,
                      trainable=trainable, name=sc.name, dtype=inputs.dtype.base_dtype, _scope=sc, _reuse=reuse)
        layer._functional_name = fn
        outputs = layer(inputs)
        _add_to_collections(layer.kernel, variables_collections, "weights")
        _add_to_collections(layer.bias, variables_collections, "biases")
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def layer_norm(inputs, center=True, scale=True, activation_fn=None, reuse=None, variables_collections=None,
               outputs_collections=None, trainable=True, begin_norm_axis=1, begin_params_axis=-1, scope=None):
    """Layer normalization (Ba et al., 2016), as ``tf.contrib.layers.layer_norm``.

    Normalizes over the axes ``begin_norm_axis``..last (variance epsilon 1e-12), then
    ``gamma * x + beta`` with parameters of shape ``inputs.shape[begin_params_axis:]``.

    Returns:
      A tensor of the shape of ``inputs``. Variables ``<scope>/beta``, ``<scope>/gamma``;
      the scope defaults to 'LayerNorm'.
    """
    fn = "layer_norm"
    require_graph_mode(fn)
    with tf.variable_scope(scope, "LayerNorm", [inputs], reuse=reuse) as sc:
        inputs = as_float_tensor(fn, "inputs", inputs)
        rank = inputs.shape.rank
        if rank is None:
            raise ValueError("%s: `inputs` has an unknown rank." % fn)
        norm_axis = begin_norm_axis + rank if begin_norm_axis < 0 else begin_norm_axis
        if not 0 <= norm_axis < rank or not -rank <= begin_params_axis < rank:
            raise ValueError("%s: `begin_norm_axis` (%d) and `begin_params_axis` (%d) must be valid axes of "
                             "`inputs` of rank %d." % (fn, begin_norm_axis, begin_params_axis, rank))
        params_shape = inputs.shape[begin_params_axis:]
        if not params_shape.is_fully_defined():
            raise ValueError("%s: dimensions %d: of `inputs` must be known; got shape %s."
                             % (fn, begin_params_axis, shape_str(inputs)))
        beta = gamma = None
        for name, wanted, init in (("beta", center, tf.zeros_initializer()),
                                   ("gamma", scale, tf.ones_initializer())):
            if not wanted:
                continue
            var = get_variable_in_scope(
                fn, name, shape=params_shape, dtype=inputs.dtype.base_dtype, initializer=init,
                trainable=trainable,
                collections=[tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.MODEL_VARIABLES])
            _add_to_collections(var, variables_collections, name)
            beta, gamma = (var, gamma) if name == "beta" else (beta, var)
        mean, variance = tf.nn.moments(inputs, list(range(norm_axis, rank)), keepdims=True)
        outputs = tf.nn.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                            variance_epsilon=1e-12)
        outputs.set_shape(inputs.shape)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
               param_initializers=None, param_regularizers=None, updates_collections=tf.GraphKeys.UPDATE_OPS,
               is_training=True, reuse=None, variables_collections=None, outputs_collections=None,
               trainable=True, batch_weights=None, fused=None, data_format=_NHWC, zero_debias_moving_mean=False,
               scope=None, renorm=False, renorm_clipping=None, renorm_decay=0.99, adjustment=None):
    """Batch normalization, as ``tf.contrib.layers.batch_norm`` (note its defaults: ``scale=False``,
    ``decay=0.999``, ``is_training=True``).

    The channel axis is the last one (``data_format='NHWC'``) or 1 (``'NCHW'``). Where
    ``tf.contrib`` used the fused kernel (2-D and 4-D inputs, ``fused`` None or True, no
    renorm / adjustment) the moving variance is fed the unbiased batch variance, as that
    kernel does. Updates go to ``updates_collections``; with None they run with the output.

    Args:
      inputs: float tensor [batch, ..., channels] (or NCHW), channels known.
      is_training: Python bool or scalar boolean tensor.
      param_initializers / param_regularizers: dicts keyed 'beta', 'gamma' (initializers
        also 'moving_mean', 'moving_variance').
      scope: variable scope, default 'BatchNorm'.

    Returns:
      A tensor of the shape of ``inputs``. Variables ``<scope>/beta``, ``<scope>/gamma``
      (with ``scale=True``), ``<scope>/moving_mean``, ``<scope>/moving_variance``.

    Not provided (ValueError): ``batch_weights``, ``zero_debias_moving_mean=True``.
    """
    fn = "batch_norm"
    require_graph_mode(fn)
    if batch_weights is not None:
        raise ValueError("%s: `batch_weights` is not provided by tf1_recsys.compat; weight the inputs "
                         "yourself or use tf.nn.weighted_moments." % fn)
    if zero_debias_moving_mean:
        raise ValueError("%s: `zero_debias_moving_mean=True` is not provided by tf1_recsys.compat." % fn)
    if data_format not in (_NCHW, _NHWC):
        raise ValueError("%s: `data_format` must be 'NCHW' or 'NHWC'; got %r." % (fn, data_format))
    is_training = check_training(fn, is_training)
    inputs = as_float_tensor(fn, "inputs", inputs)
    rank = inputs.shape.rank
    fused_numbers = (fused is None or fused) and rank == 2 and not renorm and adjustment is None
    initializers = dict(param_initializers or {})
    regularizers = dict(param_regularizers or {})
    unknown = set(initializers) - {"beta", "gamma", "moving_mean", "moving_variance"}
    if unknown:
        raise ValueError("%s: unknown `param_initializers` keys %s." % (fn, sorted(unknown)))
    with tf.variable_scope(scope, "BatchNorm", [inputs], reuse=reuse,
                           custom_getter=_model_variable_getter()) as sc:
        layer = BatchNormalization(
            axis=1 if data_format == _NCHW else -1, momentum=decay, epsilon=epsilon, center=center, scale=scale,
            beta_initializer=initializers.get("beta", tf.zeros_initializer()),
            gamma_initializer=initializers.get("gamma", tf.ones_initializer()),
            moving_mean_initializer=initializers.get("moving_mean", tf.zeros_initializer()),
            moving_variance_initializer=initializers.get("moving_variance", tf.ones_initializer()),
            beta_regularizer=regularizers.get("beta"), gamma_regularizer=regularizers.get("gamma"),
            trainable=trainable, renorm=renorm, renorm_clipping=renorm_clipping, renorm_momentum=renorm_decay,
            adjustment=adjustment, fused=fused, name=sc.name, _scope=sc, _reuse=reuse)
        layer._functional_name = fn
        layer._fused_numbers = fused_numbers
        collection = tf.get_collection_ref(tf.GraphKeys.UPDATE_OPS)
        before = list(collection)
        outputs = layer(inputs, training=is_training)
        new_updates = [u for u in collection if all(u is not b for b in before)]
        if updates_collections is not tf.GraphKeys.UPDATE_OPS and updates_collections != [tf.GraphKeys.UPDATE_OPS]:
            collection[:] = before
            if updates_collections is None:
                if new_updates:
                    with tf.control_dependencies(new_updates):
                        outputs = tf.identity(outputs)
            else:
                tf.add_to_collections(updates_collections, new_updates)
        for name in ("moving_mean", "moving_variance", "beta", "gamma"):
            _add_to_collections(getattr(layer, name, None), variables_collections, name)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True, outputs_collections=None, scope=None,
            seed=None):
    """Keeps each input with probability ``keep_prob`` scaled by 1 / keep_prob, in training only, as
    ``tf.contrib.layers.dropout`` (note: ``keep_prob``, not ``rate``, and ``is_training=True`` by default).

    Args:
      inputs: a tensor.
      keep_prob: number in [0, 1] or a scalar tensor.
      noise_shape: as ``tf.nn.dropout``'s.
      is_training: Python bool or scalar boolean tensor; False returns ``inputs`` unchanged.
      scope: name scope, default 'Dropout'.

    Returns:
      A tensor of the shape of ``inputs``.
    """
    fn = "dropout"
    require_graph_mode(fn)
    keep_prob = rate_in_unit_interval(fn, "keep_prob", keep_prob)
    with tf.variable_scope(scope, "Dropout", [inputs]) as sc:
        inputs = tf.convert_to_tensor(inputs)
        layer = Dropout(rate=1 - keep_prob, noise_shape=noise_shape, seed=seed, name=sc.name, _scope=sc)
        layer._functional_name = fn
        outputs = layer(inputs, training=is_training)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    """Flattens ``inputs`` [batch, d1, d2, ...] to [batch, d1 * d2 * ...], as ``tf.contrib.layers.flatten``
    (name scope default 'Flatten')."""
    fn = "flatten"
    require_graph_mode(fn)
    with tf.name_scope(scope, "Flatten", [inputs]) as sc:
        layer = Flatten()
        layer._functional_name = fn
        outputs = layer(tf.convert_to_tensor(inputs))
        return collect_named_outputs(outputs_collections, sc, outputs)


def embed_sequence(ids, vocab_size=None, embed_dim=None, unique=False, initializer=None, regularizer=None,
                   trainable=True, scope=None, reuse=None):
    """Embeds integer ids [batch, length] into [batch, length, embed_dim], as ``tf.contrib.layers.embed_sequence``.

    Variable ``<scope>/embeddings`` [vocab_size, embed_dim] (scope default 'EmbedSequence');
    ``vocab_size`` and ``embed_dim`` may be omitted only with ``reuse``.
    """
    fn = "embed_sequence"
    require_graph_mode(fn)
    if not (reuse or (vocab_size and embed_dim)):
        raise ValueError("%s: `vocab_size` and `embed_dim` are required unless reusing; got vocab_size=%s "
                         "and embed_dim=%s." % (fn, vocab_size, embed_dim))
    with tf.variable_scope(scope, "EmbedSequence", [ids], reuse=reuse):
        ids = tf.convert_to_tensor(ids)
        if not ids.dtype.is_integer:
            raise TypeError("%s: `ids` must be an integer tensor; got dtype %s." % (fn, ids.dtype.name))
        shape = None
        if vocab_size is not None and embed_dim is not None:
            shape = [positive_int(fn, "vocab_size", vocab_size), positive_int(fn, "embed_dim", embed_dim)]
        embeddings = get_variable_in_scope(
            fn, "embeddings", shape=shape, initializer=initializer, regularizer=regularizer,
            trainable=trainable, collections=[tf.GraphKeys.GLOBAL_VARIABLES, tf.GraphKeys.MODEL_VARIABLES])
        if unique:
            flat = tf.reshape(ids, [-1])
            values, index = tf.unique(flat)
            rows = tf.nn.embedding_lookup(embeddings, values)
            out = tf.gather(rows, index)
            return tf.reshape(out, tf.concat([tf.shape(ids), tf.shape(embeddings)[1:]], 0))
        return tf.nn.embedding_lookup(embeddings, ids)


__all__ = ["fully_connected", "layer_norm", "batch_norm", "dropout", "flatten", "embed_sequence"]
