"""``model_fn`` pipelines without ``tf.estimator``: the Estimator API on TensorFlow's own runtime.

An existing ``tf.estimator`` program runs after an import change::

    from tf1_recsys import estimator as tf_estimator   # was: tf.estimator / tf.compat.v1.estimator

    est = tf_estimator.Estimator(model_fn, model_dir, config=tf_estimator.RunConfig(...))
    tf_estimator.train_and_evaluate(est, tf_estimator.TrainSpec(train_input_fn, max_steps=1000),
                                    tf_estimator.EvalSpec(eval_input_fn))

Training drives ``tf.compat.v1.train.MonitoredTrainingSession`` and TensorFlow's hooks;
with ``TF_CONFIG`` naming a cluster (chief, worker, ps, evaluator) each task runs its
``tf.compat.v1.train.Server``, variables go to the ps tasks through
``replica_device_setter``, and the ps tasks exit when every worker is done.
``tf1-recsys launch`` starts such a cluster on one machine.

This package is the V1 namespace (``tf.compat.v1.estimator``: ``DNNClassifier`` ... are the V1
canned classes); ``tf1_recsys._api.v2.estimator`` is the V2 one (``tf.estimator``), whose canned
classes are ``canned.<module>.<Name>V2``.
"""
from tf1_recsys._lazy import lazy_exports

_EXPORTS = {
    "Estimator": "estimator", "EstimatorSpec": "estimator_spec", "ModeKeys": "mode_keys",
    "RunConfig": "run_config", "TaskType": "tf_config", "parse_tf_config": "tf_config",
    "TrainSpec": "training", "EvalSpec": "training", "train_and_evaluate": "training",
    "minimize": "train_op", "WarmStartSettings": "warm_start",
    "Exporter": "exporter", "FinalExporter": "exporter", "LatestExporter": "exporter", "BestExporter": "exporter",
    "DNNLinearCombinedClassifier": "canned.dnn_linear_combined", "DNNClassifier": "canned.dnn",
    "LinearClassifier": "canned.linear", "DNNLinearCombinedRegressor": "canned.dnn_linear_combined",
    "DNNRegressor": "canned.dnn", "LinearRegressor": "canned.linear", "BaselineClassifier": "canned.baseline",
    "BaselineRegressor": "canned.baseline", "DNNEstimator": "canned.dnn", "LinearEstimator": "canned.linear",
    "DNNLinearCombinedEstimator": "canned.dnn_linear_combined", "BaselineEstimator": "canned.baseline",
    "add_metrics": "extenders",
    "classifier_parse_example_spec": "canned.parsing_utils", "regressor_parse_example_spec": "canned.parsing_utils",
}
_EXPORTS.update({name: "head" for name in (
    "Head", "BinaryClassHead", "MultiClassHead", "MultiLabelHead", "RegressionHead", "PoissonRegressionHead",
    "LogisticRegressionHead", "MultiHead")})
_EXPORTS.update({name: "hooks" for name in (
    "CheckpointSaverHook", "CheckpointSaverListener", "FeedFnHook", "FinalOpsHook", "GlobalStepWaiterHook",
    "LoggingTensorHook", "NanLossDuringTrainingError", "NanTensorHook", "ProfilerHook", "SecondOrStepTimer",
    "SessionRunArgs", "SessionRunContext", "SessionRunHook", "SessionRunValues", "StepCounterHook",
    "StopAtStepHook", "SummarySaverHook", "VocabInfo")})
_SUBMODULES = ("export", "inputs", "experimental")
__all__ = sorted(_EXPORTS) + list(_SUBMODULES)


# Lazy, so that `tf1-recsys launch` starts its tasks without importing TensorFlow.
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, _SUBMODULES)
