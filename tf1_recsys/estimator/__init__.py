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
``python -m tf1_recsys.estimator.launch`` starts such a cluster on one machine.
"""
from tf1_recsys.estimator.estimator import Estimator
from tf1_recsys.estimator.estimator_spec import EstimatorSpec
from tf1_recsys.estimator.export_output import ClassificationOutput, ExportOutput, PredictOutput, RegressionOutput
from tf1_recsys.estimator.mode_keys import ModeKeys
from tf1_recsys.estimator.run_config import RunConfig
from tf1_recsys.estimator.serving import ServingInputReceiver, build_raw_serving_input_receiver_fn
from tf1_recsys.estimator.tf_config import TaskType, parse_tf_config
from tf1_recsys.estimator.train_op import minimize
from tf1_recsys.estimator.training import EvalSpec, TrainSpec, train_and_evaluate

__all__ = [
    "Estimator", "EstimatorSpec", "ModeKeys", "RunConfig", "TaskType", "parse_tf_config",
    "TrainSpec", "EvalSpec", "train_and_evaluate", "ServingInputReceiver", "build_raw_serving_input_receiver_fn",
    "ExportOutput", "PredictOutput", "RegressionOutput", "ClassificationOutput", "minimize",
]
