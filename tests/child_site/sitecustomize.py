"""Python runs this at start-up in the test suite's subprocesses (``tests/conftest.py`` puts this folder
first on their ``PYTHONPATH``): with ``TF1_RECSYS_TEST_CHILD_KERAS=0`` it blocks ``keras``.

On TensorFlow 2.16+ ``import tensorflow`` eagerly imports Keras 3 (``keras.src.optimizers``), and Keras 3
imports scikit-learn: about 1.9 of the 5.4 CPU-seconds of the import, paid again by every reference
script, CLI run and cluster task. TensorFlow skips that import when it raises ImportError, and ``tf.keras``
is only loaded when used; the library never uses Keras, so its processes run the same without it. A test
whose subprocess uses ``tf.keras`` itself sets ``TF1_RECSYS_TEST_CHILD_KERAS=1`` in that process's
environment. A reference process with ``TF_USE_LEGACY_KERAS=1`` (tf_keras) is left alone.
"""
import os
import sys

if os.environ.get("TF1_RECSYS_TEST_CHILD_KERAS") == "0" and not os.environ.get("TF_USE_LEGACY_KERAS"):
    sys.modules["keras"] = None
