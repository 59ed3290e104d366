"""What ``import tensorflow_estimator`` gives while ``install(estimator=True)`` serves that name: its ``estimator``.

The real package's top level holds the API as ``tensorflow_estimator.estimator``
(``from tensorflow_estimator import estimator as tf_estimator``); here that is ``tf1_recsys.estimator``.
"""
from tf1_recsys import estimator

__all__ = ["estimator"]
