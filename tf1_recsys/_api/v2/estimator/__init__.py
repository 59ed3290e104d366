"""``tf.estimator`` / ``tf.compat.v2.estimator`` after ``install(estimator=True)``: the V2 canned classes.

``DNNClassifier``, ``LinearClassifier``, ``DNNLinearCombinedClassifier``, ``BaselineClassifier``
(and their regressors and estimators) are tf.estimator 2.15's V2 classes (``canned.dnn.DNNClassifierV2``
...); every other name is ``tf1_recsys.estimator``'s, which stays the V1 namespace
(``tf.compat.v1.estimator``). Lazy, like ``tf1_recsys.estimator``.
"""
import importlib
import sys

_CANNED_V2 = {
    "DNNClassifier": "dnn", "DNNRegressor": "dnn", "DNNEstimator": "dnn",
    "LinearClassifier": "linear", "LinearRegressor": "linear", "LinearEstimator": "linear",
    "DNNLinearCombinedClassifier": "dnn_linear_combined", "DNNLinearCombinedRegressor": "dnn_linear_combined",
    "DNNLinearCombinedEstimator": "dnn_linear_combined",
    "BaselineClassifier": "baseline", "BaselineRegressor": "baseline", "BaselineEstimator": "baseline",
}

_FUNCTIONS_V2 = {"classifier_parse_example_spec": "parsing_utils", "regressor_parse_example_spec": "parsing_utils"}


def _v1_namespace():
    return importlib.import_module("tf1_recsys.estimator")


def __getattr__(name):
    if name in _CANNED_V2:
        module = importlib.import_module("tf1_recsys.estimator.canned." + _CANNED_V2[name])
        value = getattr(module, name + "V2")
    elif name in _FUNCTIONS_V2:
        module = importlib.import_module("tf1_recsys.estimator.canned." + _FUNCTIONS_V2[name])
        value = getattr(module, name + "_v2")
    else:
        value = getattr(_v1_namespace(), name)
    setattr(sys.modules[__name__], name, value)
    return value


def __dir__():
    return sorted(set(vars(sys.modules[__name__])) | set(dir(_v1_namespace())))


__all__ = sorted(set(_v1_namespace().__all__))
