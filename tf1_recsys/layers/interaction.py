"""Feature-interaction blocks: Factorization Machine, SENet field weighting, MMoE."""
from tf1_recsys._tf import (
    as_float_tensor,
    check_rank,
    require_graph_mode,
    shape_str,
    static_last_dim,
    tf,
)
from tf1_recsys.layers.core import dense, get_variable_in_scope, positive_int


class FactorizationMachine(object):
    """Factorization Machine (Rendle, 2010) over F fields of a vocabulary of ``num_features``.

    ``logit = w0 + sum_i w[idx_i] x_i + 1/2 sum_k ((sum_i v[idx_i,k] x_i)^2 - sum_i (v[idx_i,k] x_i)^2)``

    Variables, in the scope ``name`` opened where the module is first called:
    ``bias`` [1] (zeros), ``linear_weights`` [num_features, 1] and
    ``interaction_weights`` [num_features, embedding_size], named as the notes.
    Calling the module again, or calling ``logits``, reuses them.

    Initializer: the notes draw both weight tables from N(0, 1). Then each pairwise term
    <v_i, v_j> has variance ``embedding_size`` and the second-order sum of F fields has a
    standard deviation of about ``F * sqrt(embedding_size / 2)`` (about 90 for 39 fields
    of size 10): the sigmoid saturates at the first step and its gradient vanishes. The
    default ``init_stddev=0.01`` (as libFM-style and DeepFM implementations use) starts
    the logit near 0; ``init_stddev=1.0`` restores the notes' N(0, 1).
    """

    def __init__(self, num_features, embedding_size, init_stddev=0.01, seed=None,
                 dtype=tf.float32, name="fm"):
        fn = "FactorizationMachine"
        self.num_features = positive_int(fn, "num_features", num_features)
        self.embedding_size = positive_int(fn, "embedding_size", embedding_size)
        if not (isinstance(init_stddev, (int, float)) and init_stddev > 0):
            raise ValueError("%s: `init_stddev` must be a positive number; got %r." % (fn, init_stddev))
        self.init_stddev = float(init_stddev)
        self.seed = seed
        self.dtype = tf.as_dtype(dtype)
        if not self.dtype.is_floating:
            raise TypeError("%s: `dtype` must be floating; got %s." % (fn, self.dtype.name))
        self.name = name
        self._scope = None
        self._graph = None
        self.w0 = self.w = self.V = None

    def _variables(self):
        fn = "FactorizationMachine"
        graph = tf.get_default_graph()
        if self._scope is None:
            with tf.variable_scope(self.name) as scope:
                self._build(fn)
            self._scope, self._graph = scope, graph
        elif graph is not self._graph:
            raise ValueError(
                "%s '%s' was built in another graph; create a new module for this graph."
                % (fn, self.name)
            )

    def _build(self, fn):
        def normal(offset):
            seed = None if self.seed is None else self.seed + offset
            return tf.random_normal_initializer(stddev=self.init_stddev, seed=seed)

        self.w0 = get_variable_in_scope(
            fn, "bias", shape=[1], dtype=self.dtype, initializer=tf.zeros_initializer())
        self.w = get_variable_in_scope(
            fn, "linear_weights", shape=[self.num_features, 1], dtype=self.dtype,
            initializer=normal(0))
        self.V = get_variable_in_scope(
            fn, "interaction_weights", shape=[self.num_features, self.embedding_size],
            dtype=self.dtype, initializer=normal(1))

    def _inputs(self, fn, feat_index, feat_value):
        feat_index = tf.convert_to_tensor(feat_index)
        if not feat_index.dtype.is_integer:
            raise TypeError(
                "%s: `feat_index` must be an integer tensor of feature ids; got dtype %s."
                % (fn, feat_index.dtype.name))
        check_rank(fn, "feat_index", feat_index, rank=2)
        if feat_value is None:
            feat_value = tf.ones_like(feat_index, dtype=self.dtype)
        feat_value = as_float_tensor(fn, "feat_value", feat_value)
        if feat_value.dtype != self.dtype:
            raise TypeError(
                "%s: `feat_value` has dtype %s but the module was built with dtype=%s."
                % (fn, feat_value.dtype.name, self.dtype.name))
        check_rank(fn, "feat_value", feat_value, rank=2)
        if not feat_index.shape.is_compatible_with(feat_value.shape):
            raise ValueError(
                "%s: `feat_value` must have the shape of `feat_index` [batch, fields]; got "
                "feat_index %s and feat_value %s."
                % (fn, shape_str(feat_index), shape_str(feat_value)))
        return feat_index, feat_value

    def logits(self, feat_index, feat_value=None):
        """The FM logit [B, 1].

        Args:
          feat_index: int tensor [B, F], ids in [0, num_features).
          feat_value: float tensor [B, F]; default ones (one-hot categorical fields).
        """
        fn = "FactorizationMachine"
        require_graph_mode(fn)
        feat_index, feat_value = self._inputs(fn, feat_index, feat_value)
        self._variables()
        with tf.name_scope(self._scope.original_name_scope):
            with tf.name_scope("logits"):
                value = tf.expand_dims(feat_value, -1)  # [B, F, 1]
                embedding_first = tf.nn.embedding_lookup(self.w, feat_index)  # [B, F, 1]
                embedding_value = tf.nn.embedding_lookup(self.V, feat_index) * value  # [B, F, K]
                first_order = tf.reduce_sum(embedding_first * value, axis=1)  # [B, 1]
                linear = self.w0 + first_order
                mul_square = tf.square(tf.reduce_sum(embedding_value, 1))
                square_mul = tf.reduce_sum(tf.square(embedding_value), 1)
                second_order = 0.5 * tf.reduce_sum(mul_square - square_mul, 1, keepdims=True)
                return linear + second_order

    def __call__(self, feat_index, feat_value=None):
        """``sigmoid(logits)`` [B, 1], the notes' output. Train on ``logits`` instead."""
        logits = self.logits(feat_index, feat_value)
        with tf.name_scope(self._scope.original_name_scope):
            return tf.nn.sigmoid(logits, name="probabilities")


def senet(inputs, hidden_units=512, name=None):
    """Squeeze-and-excitation field weighting (as in FiBiNET).

    ``z = mean_e(inputs)`` [B, L]; ``a = 2 * sigmoid(W2 relu(W1 z + b1) + b2)`` [B, L];
    output ``a[..., None] * inputs``.

    Args:
      inputs: float tensor [B, L, E] with L known.
      hidden_units: width of the first layer (``se1``).
      name: with None, the layers ``se1`` and ``se2`` are created in the caller's
        current variable scope, as the notes; otherwise inside ``variable_scope(name)``.

    Returns:
      A tensor [B, L, E].
    """
    fn = "senet"
    require_graph_mode(fn)
    inputs = as_float_tensor(fn, "inputs", inputs)
    check_rank(fn, "inputs", inputs, rank=3)
    fields = tf.compat.dimension_value(inputs.shape[1])
    if fields is None:
        raise ValueError(
            "%s: the field dimension (axis 1) of `inputs` must be known; got shape %s."
            % (fn, shape_str(inputs)))
    hidden_units = positive_int(fn, "hidden_units", hidden_units)

    def build():
        squeeze = tf.reduce_mean(inputs, axis=-1)  # [B, L]
        out1 = dense(squeeze, units=hidden_units, activation="relu", name="se1")
        out2 = 2 * dense(out1, units=int(fields), activation="sigmoid", name="se2")
        return tf.expand_dims(out2, axis=-1) * inputs

    if name is None:
        return build()
    with tf.variable_scope(name):
        return build()


def mmoe(inputs, num_experts=4, num_tasks=3, expert_hidden=512, gate_hidden=128, name="mmoe",
         expert_activation="relu", gate_activation="relu", kernel_initializer=None, seed=None,
         return_gates=False):
    """Multi-gate Mixture-of-Experts (Ma et al., 2018).

    ``expert_e = act(inputs W_e + b_e)`` [B, expert_hidden] for each of the experts;
    per task t, ``g_t = softmax(gate_t(inputs))`` [B, num_experts] and
    ``out_t = sum_e g_t[:, e] * expert_e``.

    Variables under ``name``: ``expert_<e>/{kernel, bias}`` for e < num_experts, and per
    task ``gate_<t>/hidden/{kernel, bias}`` (absent when ``gate_hidden`` is None) and
    ``gate_<t>/logits/{kernel, bias}``.

    Every expert and gate draws its own initial weights: with ``seed=None`` TensorFlow
    derives a distinct op seed for each from the graph seed; with an int ``seed``,
    expert e uses ``seed + e`` and the layers of the gates the seeds after those, so
    runs are reproducible and experts still differ.

    Args:
      inputs: float tensor [B, D] with D known.
      num_experts, num_tasks, expert_hidden: positive ints.
      gate_hidden: width of each gate's hidden layer (the notes' ``gate_hidden1``), or
        None for the paper's one-layer softmax gate.
      return_gates: also return the gate weights.

    Returns:
      A list of ``num_tasks`` tensors [B, expert_hidden]; with ``return_gates=True``,
      ``(outputs, gates)`` where ``gates`` is a list of ``num_tasks`` tensors
      [B, num_experts] that sum to 1 over experts.
    """
    fn = "mmoe"
    require_graph_mode(fn)
    inputs = as_float_tensor(fn, "inputs", inputs)
    check_rank(fn, "inputs", inputs, rank=2)
    static_last_dim(fn, "inputs", inputs)
    num_experts = positive_int(fn, "num_experts", num_experts)
    num_tasks = positive_int(fn, "num_tasks", num_tasks)
    expert_hidden = positive_int(fn, "expert_hidden", expert_hidden)
    if gate_hidden is not None:
        gate_hidden = positive_int(fn, "gate_hidden", gate_hidden)
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise TypeError("%s: `seed` must be None or an int; got %r." % (fn, seed))
    if seed is not None and kernel_initializer is not None:
        raise ValueError("%s: pass either `seed` or `kernel_initializer`, not both." % fn)

    seeds = iter(range(seed if seed is not None else 0, 2 ** 62))

    def initializer():
        if seed is None:
            return kernel_initializer
        return tf.glorot_uniform_initializer(seed=next(seeds))

    with tf.variable_scope(name):
        experts = [
            dense(inputs, expert_hidden, activation=expert_activation,
                  kernel_initializer=initializer(), name="expert_%d" % e)
            for e in range(num_experts)
        ]
        all_experts = tf.stack(experts, axis=1)  # [B, num_experts, expert_hidden]
        outputs, gates = [], []
        for t in range(num_tasks):
            with tf.variable_scope("gate_%d" % t):
                hidden = inputs
                if gate_hidden is not None:
                    hidden = dense(hidden, gate_hidden, activation=gate_activation,
                                   kernel_initializer=initializer(), name="hidden")
                gate = dense(hidden, num_experts, activation="softmax",
                             kernel_initializer=initializer(), name="logits")  # [B, num_experts]
            gates.append(gate)
            outputs.append(tf.reduce_sum(tf.expand_dims(gate, -1) * all_experts, axis=1))
    if return_gates:
        return outputs, gates
    return outputs


__all__ = ["FactorizationMachine", "senet", "mmoe"]
