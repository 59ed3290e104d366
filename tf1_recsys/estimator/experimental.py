"""``tf1_recsys.estimator.experimental``: the parts of ``tf.estimator.experimental`` provided here.

``build_raw_supervised_input_receiver_fn``, ``call_logit_fn``, the canned estimators' logit
builders (``dnn_logit_fn_builder``, ``linear_logit_fn_builder``, as ``tf.compat.v1.estimator.experimental``
has them), the early-stopping hooks (``tf1_recsys.estimator.early_stopping``), ``InMemoryEvaluatorHook``
and ``make_stop_at_checkpoint_step_hook``.
"""
from tf1_recsys._tf import tf
from tf1_recsys.estimator.canned.dnn import dnn_logit_fn_builder
from tf1_recsys.estimator.canned.linear import linear_logit_fn_builder
from tf1_recsys.estimator.early_stopping import (make_early_stopping_hook, stop_if_higher_hook, stop_if_lower_hook,
                                                 stop_if_no_decrease_hook, stop_if_no_increase_hook)
from tf1_recsys.estimator.in_memory_evaluator import InMemoryEvaluatorHook
from tf1_recsys.estimator.stop_at_checkpoint import make_stop_at_checkpoint_step_hook
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


__all__ = ["InMemoryEvaluatorHook", "build_raw_supervised_input_receiver_fn", "call_logit_fn", "dnn_logit_fn_builder",
           "linear_logit_fn_builder",
           "make_early_stopping_hook", "make_stop_at_checkpoint_step_hook", "stop_if_higher_hook",
           "stop_if_lower_hook", "stop_if_no_decrease_hook", "stop_if_no_increase_hook"]
