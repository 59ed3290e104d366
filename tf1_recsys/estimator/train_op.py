"""``minimize``: a ``model_fn``'s train op for one process or a cluster, asynchronous or synchronous."""
import collections

from tf1_recsys._tf import tf
from tf1_recsys.training.config import build_train_op

TrainOp = collections.namedtuple("TrainOp", ["train_op", "training_hooks"])
TrainOp.__doc__ = """``minimize``'s result: pass both into ``EstimatorSpec(train_op=..., training_hooks=...)``."""


class _QuietChiefQueueRunner(tf.train.QueueRunner):
    """The chief queue runner of ``SyncReplicasOptimizer``, ending quietly when its session closes.

    Its enqueue op waits in ``TakeGrad`` for the next step's gradients, which never come
    after the last step; closing the session cancels that wait. TensorFlow's runner
    re-raises the ``CancelledError`` in its thread after the coordinator was joined (an
    unhandled exception in a thread); this one counts it as the end of its queue, and keeps
    its threads so that they can be joined.
    """

    def __init__(self, runner):
        super().__init__(queue=runner.queue, enqueue_ops=runner.enqueue_ops, close_op=runner.close_op,
                         cancel_op=runner.cancel_op,
                         queue_closed_exception_types=(tf.errors.OutOfRangeError, tf.errors.CancelledError))
        self.threads = []

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        threads = super().create_threads(sess, coord=coord, daemon=daemon, start=start)
        self.threads.extend(threads)
        return threads


class SyncReplicasHook(tf.train.SessionRunHook):
    """``SyncReplicasOptimizer.make_session_run_hook``'s hook, whose chief queue runner ends quietly.

    ``Estimator.train`` calls ``join`` after its session closed, so no queue-runner thread
    outlives ``train``.
    """

    def __init__(self, hook):
        self._hook = hook
        self._runner = None

    def begin(self):
        self._hook.begin()
        runner = getattr(self._hook, "_q_runner", None)  # None on a non-chief worker
        if runner is not None:
            self._runner = self._hook._q_runner = _QuietChiefQueueRunner(runner)

    def after_create_session(self, session, coord):
        self._hook.after_create_session(session, coord)

    def join(self, timeout_secs=10.0):
        """Waits up to ``timeout_secs`` for the queue-runner threads (they end when the session closed)."""
        for thread in self._runner.threads if self._runner is not None else ():
            thread.join(timeout_secs)


def minimize(loss, optimizer, config=None, sync_replicas=False, replicas_to_aggregate=None, global_step=None,
             clip_norm=None, var_list=None):
    """The train op of ``loss`` and the hooks it needs.

    The gradients are computed after every op in ``tf.compat.v1.GraphKeys.UPDATE_OPS``
    (batch-norm moving averages), so each step also updates them. The dependency is on
    the gradients, not on ``apply_gradients``: ``SyncReplicasOptimizer`` builds its
    token-queue ops inside ``apply_gradients``, and a dependency there made those ops
    wait for the input ("You must feed a value for placeholder ...").

    Args:
      loss: float scalar tensor.
      optimizer: a ``tf.compat.v1.train.Optimizer``.
      config: the ``RunConfig`` the ``model_fn`` received (needed for ``sync_replicas``).
      sync_replicas: wrap ``optimizer`` in ``tf.compat.v1.train.SyncReplicasOptimizer``:
        each update averages ``replicas_to_aggregate`` workers' gradients (default: all
        ``config.num_worker_replicas``). Its chief queue runner ends only when the
        session closes, so set ``RunConfig(stop_grace_period_secs=...)`` short.
      global_step: incremented by each update; default the graph's global step.
      clip_norm: clip the gradients to this global norm.
      var_list: variables to train; default every trainable variable.

    Returns:
      ``TrainOp(train_op, training_hooks)``.
    """
    if not isinstance(optimizer, tf.train.Optimizer):
        raise TypeError("minimize: `optimizer` must be a tf.compat.v1.train.Optimizer; got %r." % (optimizer,))
    if global_step is None:
        global_step = tf.train.get_or_create_global_step()
    hooks = []
    if sync_replicas:
        if config is None:
            raise ValueError("minimize: `sync_replicas=True` needs the `config` (RunConfig) given to model_fn.")
        total = max(1, config.num_worker_replicas)
        aggregate = total if replicas_to_aggregate is None else int(replicas_to_aggregate)
        if not 1 <= aggregate:
            raise ValueError("minimize: `replicas_to_aggregate` must be >= 1; got %r." % (replicas_to_aggregate,))
        optimizer = tf.train.SyncReplicasOptimizer(optimizer, replicas_to_aggregate=aggregate,
                                                   total_num_replicas=total)
        hooks.append(SyncReplicasHook(optimizer.make_session_run_hook(config.is_chief)))
    train_op, _ = build_train_op(loss, optimizer, global_step=global_step, clip_norm=clip_norm, var_list=var_list)
    return TrainOp(train_op, hooks)


__all__ = ["minimize", "TrainOp", "SyncReplicasHook"]
