"""The ``tf.contrib`` pieces recommendation code used, Keras-free: ``layers``, ``framework``, ``opt``,
``data``, ``rnn``, ``seq2seq``, ``legacy_seq2seq``, ``training.HParams`` and ``estimator`` (heads).

``install(contrib=True)`` makes them ``tf.compat.v1.contrib`` and importable as ``tensorflow.contrib...``
(``tf1_recsys.compat.contrib_paths``).
"""
from tf1_recsys.compat.contrib import data, estimator, framework, layers, legacy_seq2seq, opt, rnn, seq2seq, training

__all__ = ["layers", "framework", "opt", "data", "rnn", "seq2seq", "legacy_seq2seq", "training", "estimator"]
