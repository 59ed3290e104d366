"""``add_metrics``: an Estimator whose evaluation reports more metrics, as ``tf.estimator.add_metrics``."""
from tf1_recsys.estimator.mode_keys import ModeKeys
from tf1_recsys.estimator.user_fns import fn_args

_METRIC_FN_ARGS = frozenset(["features", "labels", "predictions", "config"])


def add_metrics(estimator, metric_fn):
    """A new ``Estimator`` on ``estimator``'s model_dir, config and warm start, whose EVAL spec also has
    ``metric_fn``'s metrics.

    Args:
      estimator: an ``Estimator``.
      metric_fn: takes any of ``features``, ``labels``, ``predictions``, ``config`` and returns
        a dict name -> ``(value, update_op)`` or metric object; a name the model_fn already
        reports is replaced.
    """
    from tf1_recsys.estimator.estimator import Estimator

    unexpected = list(set(fn_args(metric_fn)) - _METRIC_FN_ARGS)
    if unexpected:
        raise ValueError("metric_fn (%s) has following not expected args: %s" % (metric_fn, unexpected))

    def new_model_fn(features, labels, mode, config):
        spec = estimator.model_fn(features, labels, mode, config)
        if mode != ModeKeys.EVAL:
            return spec
        available = {"features": features, "labels": labels, "predictions": spec.predictions, "config": config}
        wanted = fn_args(metric_fn)
        metrics = dict(spec.eval_metric_ops or {})
        metrics.update(metric_fn(**{k: v for k, v in available.items() if k in wanted}))
        return spec._replace(eval_metric_ops=metrics)

    return Estimator(model_fn=new_model_fn, model_dir=estimator.model_dir, config=estimator.config,
                     warm_start_from=estimator._warm_start_settings)


__all__ = ["add_metrics"]
