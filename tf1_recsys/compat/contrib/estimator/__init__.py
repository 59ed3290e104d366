"""``tf.contrib.estimator`` (TF 1.x): the public V1 heads and the head-taking canned estimators.

``install(contrib=True)`` serves it as ``tensorflow.contrib.estimator`` and its files as
``tensorflow.contrib.estimator.python.estimator.{head,multi_head}``. The heads are
``tf1_recsys.estimator.canned``'s, the classes ``tf1_recsys.estimator``'s.
"""
from tf1_recsys.compat.contrib.estimator.head import (binary_classification_head, logistic_regression_head,
                                                      multi_class_head, multi_label_head, poisson_regression_head,
                                                      regression_head)
from tf1_recsys.compat.contrib.estimator.multi_head import multi_head
from tf1_recsys.estimator.canned.dnn import DNNEstimator
from tf1_recsys.estimator.canned.dnn_linear_combined import DNNLinearCombinedEstimator
from tf1_recsys.estimator.canned.linear import LinearEstimator
from tf1_recsys.estimator.extenders import add_metrics

__all__ = ["DNNEstimator", "DNNLinearCombinedEstimator", "LinearEstimator", "add_metrics",
           "binary_classification_head", "logistic_regression_head", "multi_class_head", "multi_head",
           "multi_label_head", "poisson_regression_head", "regression_head"]
