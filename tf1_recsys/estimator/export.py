"""``tf1_recsys.estimator.export``: what ``tf.estimator.export`` held, a SavedModel's inputs and outputs.

    from tf1_recsys import estimator as tf_estimator     # was: tf.estimator
    tf_estimator.export.PredictOutput(predictions)
    tf_estimator.export.build_raw_serving_input_receiver_fn(features)
"""
from tf1_recsys.estimator.export_output import (ClassificationOutput, ExportOutput, PredictOutput,
                                                RegressionOutput)
from tf1_recsys.estimator.serving import ServingInputReceiver, build_raw_serving_input_receiver_fn

__all__ = ["ClassificationOutput", "ExportOutput", "PredictOutput", "RegressionOutput", "ServingInputReceiver",
           "build_raw_serving_input_receiver_fn"]
