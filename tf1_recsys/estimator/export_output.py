"""Serving outputs of a ``model_fn``: ``PredictOutput``, ``RegressionOutput``, ``ClassificationOutput``, ``EvalOutput``.

They are TensorFlow's own classes (``tensorflow.python.saved_model.model_utils.export_output``,
part of TensorFlow itself on every release, not of ``tensorflow_estimator``), as
``tf.estimator.export`` re-exported them: an output built for ``tf.estimator`` is one of ours.
Each turns the receiver tensors of a ``ServingInputReceiver`` into a ``SignatureDef``
(``as_signature_def``).
"""
from tensorflow.python.saved_model.model_utils import export_output as _export_output

ExportOutput = _export_output.ExportOutput
PredictOutput = _export_output.PredictOutput
RegressionOutput = _export_output.RegressionOutput
ClassificationOutput = _export_output.ClassificationOutput
EvalOutput = _export_output.EvalOutput

__all__ = ["ExportOutput", "PredictOutput", "RegressionOutput", "ClassificationOutput", "EvalOutput"]
