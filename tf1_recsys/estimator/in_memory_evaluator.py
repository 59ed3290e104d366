"""``InMemoryEvaluatorHook``: evaluates the training session's current variables, no checkpoint needed.

The evaluation graph is built once, in a graph of its own, when training begins. Each time the
hook evaluates it reads the training session's global variables, feeds those of the same name
into the evaluation graph through placeholders, and runs ``Estimator.evaluate``'s loop there,
writing the results to ``eval`` (``eval_<name>``) under ``model_dir`` as ``evaluate`` does.
"""
import os

from tf1_recsys._tf import tf


class InMemoryEvaluatorHook(tf.train.SessionRunHook):
    """Runs ``estimator.evaluate(input_fn, steps, hooks, name=name)`` on the live variables while training.

    It evaluates once after the training session is created, every ``every_n_iter`` training
    steps of this process, and at the end. One process only (no ps tasks, one worker); the
    ``model_fn``'s scaffold must have no saver and no ``init_fn``, and the graph no saveable
    objects besides variables.

    Args:
      estimator: the ``Estimator`` being trained.
      input_fn: the evaluation ``input_fn``, as for ``evaluate``.
      steps: batches per evaluation; None runs to the end of the input.
      hooks: ``SessionRunHook``s of the evaluation.
      name: evaluation name (the folder ``eval_<name>``).
      every_n_iter: training steps between evaluations, >= 1.

    Raises:
      ValueError: ``every_n_iter`` is None or < 1, or the ``RunConfig`` names a cluster.
      TypeError: a hook is not a ``SessionRunHook``.
    """

    def __init__(self, estimator, input_fn, steps=None, hooks=None, name=None, every_n_iter=100):
        from tf1_recsys.estimator.estimator import _check_hooks_type

        if every_n_iter is None or every_n_iter <= 0:
            raise ValueError("invalid every_n_iter=%s." % every_n_iter)
        if estimator.config.num_ps_replicas > 0 or estimator.config.num_worker_replicas > 1:
            raise ValueError("InMemoryEvaluator supports only single machine (aka Local) setting.")
        self._estimator = estimator
        self._input_fn = input_fn
        self._steps = steps
        self._name = name
        self._every_n_iter = every_n_iter
        self._eval_dir = os.path.join(estimator.model_dir, "eval_" + name if name else "eval")
        self._hooks = _check_hooks_type(hooks) + estimator._convert_eval_steps_to_hooks(steps)
        self._timer = tf.train.SecondOrStepTimer(every_steps=every_n_iter)
        self._graph = None

    def begin(self):
        """Builds the evaluation graph, with a placeholder to feed each of its global variables."""
        self._timer.reset()
        self._iter_count = 0
        self._graph = self._estimator._new_graph()
        with self._graph.as_default():
            self._scaffold, self._update_op, self._eval_dict, self._all_hooks = \
                self._estimator._evaluate_build_graph(self._input_fn, self._hooks, checkpoint_path=None)
            if self._scaffold.saver is not None:
                raise ValueError("InMemoryEvaluator does not support custom saver")
            if self._scaffold.init_fn is not None:
                raise ValueError("InMemoryEvaluator does not support custom init_fn")
            self._eval_vars = {v.name: v for v in tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}
            self._placeholders = {name: tf.placeholder(v.dtype) for name, v in self._eval_vars.items()}

    def after_create_session(self, session, coord):
        """Pairs the training variables with the evaluation's by name, then evaluates the initial model."""
        if tf.get_collection(tf.GraphKeys.SAVEABLE_OBJECTS):
            raise ValueError("InMemoryEvaluator does not support saveables other than global variables.")
        train_vars = {v.name: v for v in tf.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)}
        shared = set(train_vars) & set(self._eval_vars)
        self._train_vars = {name: train_vars[name] for name in shared}
        with self._graph.as_default():
            self._feed_op = tf.group([tf.assign(self._eval_vars[name], self._placeholders[name]) for name in shared])
        self._evaluate(session)

    def _evaluate(self, train_session):
        values = train_session.run(self._train_vars)
        feed = {self._placeholders[name]: value for name, value in values.items()}

        def feed_variables(scaffold, session):
            session.run(self._feed_op, feed_dict=feed)

        scaffold = tf.train.Scaffold(init_fn=feed_variables, copy_from_scaffold=self._scaffold)
        with self._graph.as_default():
            self._estimator._evaluate_run(checkpoint_path=None, scaffold=scaffold, update_op=self._update_op,
                                          eval_dict=self._eval_dict, all_hooks=self._all_hooks,
                                          output_dir=self._eval_dir)
        self._timer.update_last_triggered_step(self._iter_count)

    def after_run(self, run_context, run_values):
        """Evaluates every ``every_n_iter`` training steps."""
        self._iter_count += 1
        if self._timer.should_trigger_for_step(self._iter_count):
            self._evaluate(run_context.session)

    def end(self, session):
        """Evaluates the final model."""
        self._evaluate(session)


__all__ = ["InMemoryEvaluatorHook"]
