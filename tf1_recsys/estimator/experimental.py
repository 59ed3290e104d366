"""``tf1_recsys.estimator.experimental``: the parts of ``tf.estimator.experimental`` provided here.

``build_raw_supervised_input_receiver_fn`` and ``call_logit_fn``. The early-stopping hooks,
``InMemoryEvaluatorHook`` and ``make_stop_at_checkpoint_step_hook`` are not provided yet
(docs/MIGRATION.md).
"""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.serving import build_raw_supervised_input_receiver_fn
from tf1_recsys.estimator.user_fns import fn_args


def call_logit_fn(logit_fn, features, mode, params, config):
    """Calls ``logit_fn(features, [mode], [params], [config])`` with the arguments it declares.

    Returns:
      Its result: a tensor of logits, or a dict string -> tensor.
    """
    wanted = fn_args(logit_fn)
    kwargs = {k: v for k, v in (("mode", mode), ("params", params), ("config", config)) if k in wanted}
    result = logit_fn(features=features, **kwargs)
    is_dict = isinstance(result, dict) and all(
        isinstance(k, str) and isinstance(v, tf.Tensor) for k, v in result.items())
    if not (is_dict or isinstance(result, tf.Tensor)):
        raise ValueError("logit_fn should return a Tensor or a dictionary mapping strings to Tensors.  "
                         "logit_fn returned: %s" % result)
    return result


__all__ = ["build_raw_supervised_input_receiver_fn", "call_logit_fn"]
