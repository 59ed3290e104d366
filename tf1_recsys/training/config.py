"""``TrainConfig``, optimizers and ``build_train_op``.

``build_train_op`` is the one place where the batch-norm trap of TF1 is handled (the
Estimator-style ``tf1_recsys.estimator.minimize`` builds on it): the gradients are
created under ``tf.control_dependencies(UPDATE_OPS)``, so every step also
runs the moving-average updates of ``batch_normalization`` and ``dice``. Without that
control dependency the moving statistics never change and the model serves with its
initial statistics (mean 0, variance 1).
"""
import dataclasses
from typing import Dict, Optional

from tf1_recsys._tf import tf
from tf1_recsys.training.lazy_adam import LazyAdamOptimizer

_OPTIMIZERS = {
    "adam": tf.train.AdamOptimizer,
    "lazy_adam": LazyAdamOptimizer,
    "adagrad": tf.train.AdagradOptimizer,
    "ftrl": tf.train.FtrlOptimizer,
    "sgd": tf.train.GradientDescentOptimizer,
    "momentum": lambda learning_rate, momentum=0.9, **kw: tf.train.MomentumOptimizer(
        learning_rate, momentum, **kw
    ),
    "rmsprop": tf.train.RMSPropOptimizer,
}


@dataclasses.dataclass
class TrainConfig:
    """Settings of ``Trainer``.

    Attributes:
      optimizer: 'adam' | 'lazy_adam' | 'adagrad' | 'ftrl' | 'sgd' | 'momentum' | 'rmsprop',
        or a ``tf.compat.v1.train.Optimizer``. 'adam' updates both moments of a whole
        embedding table at every step (time and memory traffic grow with the vocabulary);
        'lazy_adam' (``LazyAdamOptimizer``) updates only the rows a batch looks up.
      learning_rate: the optimizer's learning rate.
      batch_size: examples per training step; the last batch of an epoch may be smaller.
      epochs: passes over the training data; the run has ``epochs * ceil(N / batch_size)`` steps.
      seed: graph-level seed (``tf.set_random_seed``) and seed of the data order.
      checkpoint_every: save a checkpoint every this many global steps (and one at the end),
        like ``CheckpointSaverHook(save_steps=...)``.
      checkpoint_secs: also save when this many seconds have passed since the last save
        (``save_secs``); None saves by steps only. A run killed at any moment loses at most
        this much work.
      max_to_keep: checkpoints kept by the ``Saver``.
      progress: tqdm progress bar; None shows it only when stderr is a terminal.
      use_tf_data: feed training batches through a ``tf.data`` pipeline (an initializable
        iterator, initialised once per ``fit``) instead of ``feed_dict``. Same batches, same
        order, same checkpoints.
      shuffle: shuffle the examples each epoch (a fixed function of ``seed`` and the epoch).
      optimizer_kwargs: extra optimizer arguments, e.g. ``{'l1_regularization_strength': 1.0}``
        for FTRL.
      l2: adds ``l2 * sum(l2_loss(w))`` over the trainable variables of rank >= 2
        (kernels and embedding tables; biases and batch-norm parameters are left out).
      task_weights: when given, the training loss is ``sum_t w_t * logloss_t`` over the
        spec's ``logits`` / ``labels`` plus the graph's REGULARIZATION_LOSSES, instead of
        ``spec.loss``. Tasks not named get weight 0.
      clip_norm: clip the gradients by global norm.
      log_every: steps between TensorBoard points (loss, AUC of the window) and bar updates.
      eval_batch_size: batch size of ``predict`` / ``evaluate``; default 4 * batch_size.
      threads: intra- and inter-op threads of the session; 1 makes runs bit-repeatable
        on CPU. None lets TensorFlow choose.
      prefetch: batches prefetched by the ``tf.data`` pipeline.
    """

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 256
    epochs: int = 1
    seed: int = 0
    checkpoint_every: int = 500
    checkpoint_secs: Optional[float] = 60.0
    max_to_keep: int = 3
    progress: Optional[bool] = None
    use_tf_data: bool = False
    shuffle: bool = True
    optimizer_kwargs: Dict[str, float] = dataclasses.field(default_factory=dict)
    l2: float = 0.0
    task_weights: Optional[Dict[str, float]] = None
    clip_norm: Optional[float] = None
    log_every: int = 100
    eval_batch_size: Optional[int] = None
    threads: Optional[int] = None
    prefetch: int = 2

    def __post_init__(self):
        for name in ("batch_size", "epochs", "checkpoint_every", "max_to_keep", "log_every", "prefetch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError("TrainConfig: `%s` must be a positive int; got %r." % (name, value))
        if self.optimizer not in _OPTIMIZERS and not isinstance(self.optimizer, tf.train.Optimizer):
            raise ValueError(
                "TrainConfig: unknown `optimizer` %r; expected one of %s."
                % (self.optimizer, ", ".join(sorted(_OPTIMIZERS)))
            )
        if self.checkpoint_secs is not None and not (
                isinstance(self.checkpoint_secs, (int, float)) and self.checkpoint_secs > 0):
            raise ValueError("TrainConfig: `checkpoint_secs` must be > 0 or None; got %r." % (self.checkpoint_secs,))
        if not self.learning_rate > 0:
            raise ValueError("TrainConfig: `learning_rate` must be > 0; got %r." % self.learning_rate)
        if self.l2 < 0:
            raise ValueError("TrainConfig: `l2` must be >= 0; got %r." % self.l2)

    def session_config(self):
        """The ``tf.ConfigProto`` of the trainer's session."""
        if self.threads is None:
            return tf.ConfigProto()
        return tf.ConfigProto(
            intra_op_parallelism_threads=self.threads, inter_op_parallelism_threads=self.threads
        )


def make_optimizer(optimizer="adam", learning_rate=1e-3, **kwargs):
    """A ``tf.compat.v1.train.Optimizer`` from its name, or ``optimizer`` itself if it is one."""
    if isinstance(optimizer, tf.train.Optimizer):
        if kwargs:
            raise ValueError("make_optimizer: optimizer kwargs given with an optimizer instance.")
        return optimizer
    try:
        cls = _OPTIMIZERS[optimizer]
    except (KeyError, TypeError):
        raise ValueError(
            "make_optimizer: unknown optimizer %r; expected one of %s or a "
            "tf.compat.v1.train.Optimizer." % (optimizer, ", ".join(sorted(_OPTIMIZERS)))
        ) from None
    return cls(learning_rate=learning_rate, **kwargs)


def build_train_op(loss, optimizer="adam", learning_rate=1e-3, global_step=None, clip_norm=None,
                   var_list=None, **optimizer_kwargs):
    """The training op of ``loss``, run after the graph's ``UPDATE_OPS``.

    Args:
      loss: scalar float tensor.
      optimizer: a name ('adam', 'lazy_adam', 'adagrad', 'ftrl', 'sgd', 'momentum',
        'rmsprop') or a ``tf.compat.v1.train.Optimizer``.
      learning_rate: float or scalar tensor.
      global_step: int64 variable incremented by each step; None gets or creates the
        graph's global step.
      clip_norm: optional clipping of the gradients by global norm.
      var_list: variables to train; default all trainable variables.

    Returns:
      ``(train_op, global_step)``. Running ``train_op`` applies one update and also runs
      every op in ``tf.compat.v1.GraphKeys.UPDATE_OPS`` present when it was built.
    """
    if global_step is None:
        global_step = tf.train.get_or_create_global_step()
    opt = make_optimizer(optimizer, learning_rate, **optimizer_kwargs)
    # The dependency is on the gradients, not on apply_gradients: SyncReplicasOptimizer
    # builds its token-queue ops inside apply_gradients, and a dependency there made them
    # wait for the input ("You must feed a value for placeholder ...").
    with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
        grads_and_vars = opt.compute_gradients(loss, var_list=var_list)
    grads_and_vars = [(g, v) for g, v in grads_and_vars if g is not None]
    if not grads_and_vars:
        raise ValueError("build_train_op: `loss` depends on no trainable variable.")
    if clip_norm is not None:
        grads, variables = zip(*grads_and_vars)
        grads, _ = tf.clip_by_global_norm(list(grads), clip_norm)
        grads_and_vars = list(zip(grads, variables))
    train_op = opt.apply_gradients(grads_and_vars, global_step=global_step, name="train_op")
    return train_op, global_step


def training_loss(spec, config):
    """The loss the trainer minimises: ``spec.loss`` or the ``task_weights`` sum, plus ``l2``."""
    if config.task_weights is None:
        loss = spec.loss
    else:
        unknown = sorted(set(config.task_weights) - set(spec.logits))
        if unknown:
            raise ValueError(
                "TrainConfig.task_weights names tasks %s that the model does not have; tasks: %s."
                % (unknown, list(spec.logits))
            )
        terms = []
        for task, weight in config.task_weights.items():
            if weight:
                xent = tf.nn.sigmoid_cross_entropy_with_logits(
                    labels=tf.cast(spec.labels[task], spec.logits[task].dtype), logits=spec.logits[task]
                )
                terms.append(float(weight) * tf.reduce_mean(xent))
        terms.extend(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
        loss = tf.add_n(terms, name="weighted_task_loss") if terms else tf.constant(0.0)
    if config.l2:
        weights = [v for v in tf.trainable_variables() if v.shape.rank is not None and v.shape.rank >= 2]
        if weights:
            loss = loss + config.l2 * tf.add_n([tf.nn.l2_loss(w) for w in weights])
    return loss


__all__ = ["TrainConfig", "build_train_op", "make_optimizer", "training_loss"]
