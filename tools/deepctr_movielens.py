#!/usr/bin/env python
"""DeepCTR 0.9.4's ``DIN`` and ``DeepFM`` on arrays prepared by tools/bench_movielens.py.

Runs inside the DeepCTR environment of tools/deepctr_venv.py (tf_keras,
``TF_USE_LEGACY_KERAS=1``), never in the package's process:

    <deepctr python> tools/deepctr_movielens.py JOB.json

``JOB.json`` names the input ``.npz`` (``<split>/<feature>`` arrays of the splits
``train``, ``valid``, ``test``: ``user``, ``movie`` [N], ``genres`` [N, G], ``hist_movie``
[N, T], and the label ``<split>/label`` [N]), the vocabulary sizes, the model and a
list of runs (seed, learning rate, L2 on the embeddings, epochs, batch size). For every
run and every epoch it writes the predictions on ``valid`` and on ``test`` to the
output ``.npz`` (``run<i>/valid`` and ``run<i>/test``, [epochs, N]), stopping a run
after the first epoch whose validation AUC is below the best so far; the caller picks
the run and the epoch on ``valid``.

Features, as our models see them: ``user`` and ``movie`` (``SparseFeat``), ``genres``
(``VarLenSparseFeat``, mean), ``hist_movie`` (``VarLenSparseFeat`` sharing the movie
table, 0 = padding, masked). DIN attends ``hist_movie`` with ``movie`` as the query;
DeepFM mean-pools it. Everything else is DeepCTR's default (DIN: DNN 256-128-64 ReLU,
attention 80-40 Dice, no weight normalisation; DeepFM: DNN 256-128-64), Adam,
binary cross-entropy.
"""
import json
import os
import sys

import numpy as np


def auc(labels, scores):
    """Area under the ROC curve by ranks (ties share their mean rank)."""
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inverse]
    pos = labels > 0
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def feature_columns(vocab, genres_len, hist_len, embedding_size):
    from deepctr.feature_column import SparseFeat, VarLenSparseFeat

    return [
        SparseFeat("user", vocab["user"], embedding_dim=embedding_size),
        SparseFeat("movie", vocab["movie"], embedding_dim=embedding_size),
        VarLenSparseFeat(SparseFeat("genres", vocab["genres"], embedding_dim=embedding_size), genres_len,
                         combiner="mean"),
        VarLenSparseFeat(SparseFeat("hist_movie", vocab["movie"], embedding_dim=embedding_size,
                                    embedding_name="movie"), hist_len, combiner="mean"),
    ]


def build(job, run, columns):
    from deepctr.models import DIN, DeepFM

    if job["model"] == "DIN":
        return DIN(columns, ["movie"], l2_reg_embedding=run["l2"], seed=run["seed"])
    if job["model"] == "DeepFM":
        return DeepFM(columns, columns, l2_reg_embedding=run["l2"], l2_reg_linear=run["l2"], seed=run["seed"])
    raise SystemExit("deepctr_movielens: unknown model %r (DIN or DeepFM)" % job["model"])


def main(argv):
    if len(argv) != 1:
        raise SystemExit("usage: deepctr_movielens.py JOB.json")
    with open(argv[0]) as f:
        job = json.load(f)
    import tensorflow as tf

    arrays = np.load(job["input"])
    names = ("user", "movie", "genres", "hist_movie")
    split = {s: {n: arrays["%s/%s" % (s, n)] for n in names} for s in ("train", "valid", "test")}
    label = arrays["train/label"].astype(np.float32)
    columns = feature_columns(job["vocab"], split["train"]["genres"].shape[1],
                              split["train"]["hist_movie"].shape[1], job["embedding_size"])
    out = {}
    for i, run in enumerate(job["runs"]):
        tf.keras.backend.clear_session()
        tf.random.set_seed(run["seed"])
        np.random.seed(run["seed"])
        model = build(job, run, columns)
        model.compile(tf.keras.optimizers.Adam(run["learning_rate"]), "binary_crossentropy")
        valid, test = [], []
        for _ in range(run["epochs"]):
            model.fit(split["train"], label, batch_size=run["batch_size"], epochs=1, verbose=0, shuffle=True)
            valid.append(model.predict(split["valid"], batch_size=4096, verbose=0).ravel())
            test.append(model.predict(split["test"], batch_size=4096, verbose=0).ravel())
            scores = [auc(arrays["valid/label"], v) for v in valid]
            if scores[-1] < max(scores):  # early stopping, as the caller does for our models
                break
        out["run%d/valid" % i], out["run%d/test" % i] = np.stack(valid), np.stack(test)
    np.savez(job["output"], **out)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main(sys.argv[1:]))
