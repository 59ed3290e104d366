"""``tf1_recsys.estimator.export``: what ``tf.estimator.export`` held, a SavedModel's inputs and outputs.

    from tf1_recsys import estimator as tf_estimator     # was: tf.estimator
    tf_estimator.export.PredictOutput(predictions)
    tf_estimator.export.build_parsing_serving_input_receiver_fn(feature_spec)
"""
from tf1_recsys.estimator.export_output import (ClassificationOutput, EvalOutput, ExportOutput, PredictOutput,
                                                RegressionOutput)
from tf1_recsys.estimator.serving import (ServingInputReceiver, TensorServingInputReceiver,
                                          build_parsing_serving_input_receiver_fn,
                                          build_raw_serving_input_receiver_fn)

__all__ = ["ClassificationOutput", "EvalOutput", "ExportOutput", "PredictOutput", "RegressionOutput",
           "ServingInputReceiver", "TensorServingInputReceiver", "build_parsing_serving_input_receiver_fn",
           "build_raw_serving_input_receiver_fn"]
