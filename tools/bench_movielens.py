#!/usr/bin/env python
"""MovieLens benchmark: our fm, din, dien and mmoe against LR, item-kNN, a sum-pooling base model and DeepCTR.

Data: ml-latest-small through ``tf1_recsys.data.load_movielens`` under one or both
protocols (``--protocol rating next``): ``rating`` (label rating >= 4, MMoE's second task
rating == 5; each user's last 20% of ratings by time is test, the last 20% of the rest
validation) and ``next`` (the DIN paper's Amazon protocol: the next movie a user rates
against a random unrated one; each user's last position is test, the one before
validation). Every model sees the same rows and features: user, movie, genres and the
behaviour sequence ``hist_movie``.

Every model is trained on the train split only and tuned on the validation split only,
with the same budget: ``GRID_SIZE`` settings (our and DeepCTR's networks: learning rate
x L2 strength, each model's own L2 scale; LR: four ``C``; item-kNN: neighbours x
shrinkage), and for the networks the number of epochs (up to ``--max-epochs``) picked by
early stopping on the validation AUC. The grid runs with seed 0; the chosen setting is
then trained with the other seeds (epochs again by validation). The test split is read
once per reported number, with the model and epoch validation chose.

Peers: ``sklearn.linear_model.LogisticRegression`` (one-hot user and movie, multi-hot
genres), ``item_knn`` / ``item_knn_next`` (classical item-based collaborative
filtering), ``base`` (our din with sum pooling instead of attention, the DIN paper's base
model) and DeepCTR 0.9.4's ``DIN`` and ``DeepFM`` (tools/deepctr_movielens.py, run in the
environment of tools/deepctr_venv.py as a subprocess).

    python tools/bench_movielens.py [--protocol rating next] [--seeds 0 1 2] [--write-docs]
"""
import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import types

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(os.path.dirname(REPO), "shared", "data", "ml-latest-small")
sys.path.insert(0, os.path.join(REPO, "tools"))

LEARNING_RATES = (1e-3, 3e-3)
L2 = {"din": (0.01, 0.05), "dien": (0.01, 0.05), "dien_paper": (0.01, 0.05), "base": (0.01, 0.05),
      "din_noseq": (0.01, 0.05), "din_raw": (0.01, 0.05),
      "fm": (0.1, 0.3), "mmoe": (0.01, 0.05), "deepctr_din": (1e-6, 1e-4), "deepctr_deepfm": (1e-5, 1e-3),
      "wide_deep": (1.0, 10.0)}
"""Per network, the two L2 strengths of its grid, on its own scale: ours penalise the
looked-up embedding rows (``l2`` of the builders, mean over the batch); DeepCTR's its
``l2_reg_embedding`` (DeepFM: also ``l2_reg_linear``), around its defaults; the canned Wide &
Deep its linear part's (Ftrl's ``l2_regularization_strength``)."""
LR_C = (0.1, 0.3, 1.0, 3.0)
KNN = tuple(itertools.product((20, 50), (10.0, 100.0)))  # (neighbours, shrink)
GRID_SIZE = 4
BATCH_SIZE = 512
MAX_EPOCHS = {"rating": 4, "next": 2}
OURS = {"fm": ("fm", {}, ()), "din": ("din", {}, ()), "dien": ("dien", {}, ()), "mmoe": ("mmoe", {}, ()),
        "base": ("din", {"sequence_pooling": "sum"}, ()), "din_noseq": ("din", {}, ("hist_movie",)),
        "din_raw": ("din", {"attention_normalization": None}, ()),
        "dien_paper": ("dien", {"history_sum": False}, ())}
"""Benchmark name -> (model, hyper-parameters over its MovieLens preset, features dropped)."""
DEEPCTR = {"deepctr_din": "DIN", "deepctr_deepfm": "DeepFM"}
LABELS = {"fm": "fm", "din": "din",
          "dien": "dien (AUGRU, alpha 1, the preset's MLP input: rating the paper's, next the history sum)",
          "dien_paper": "dien_paper (AUGRU, alpha 1, the paper's MLP input)", "mmoe": "mmoe",
          "base": "din base (sum pooling)",
          "din_noseq": "din (no behaviour sequence)", "din_raw": "din, raw attention sum (the old preset)",
          "deepctr_din": "DeepCTR DIN", "deepctr_deepfm": "DeepCTR DeepFM"}
CANNED = {"wide_deep": "DNNLinearCombinedClassifier"}
"""tf.estimator's canned Wide & Deep as TF1 teams ran it, on ``tf1_recsys.estimator``: wide user, movie and
genres ids; deep 16-wide user embedding, movie and ``hist_movie`` sharing one 16-wide table (mean over the
sequence), 8-wide genres (mean), hidden 64-32; Adam on the deep part, Ftrl (0.01) on the wide part."""
LABELS["wide_deep"] = "canned Wide & Deep (DNNLinearCombinedClassifier)"
MODEL_CHOICES = sorted(OURS) + sorted(DEEPCTR) + sorted(CANNED)


def one_hot(data, schema):
    """Sparse [N, users + movies + genres] design matrix of the baseline."""
    import scipy.sparse as sp

    n = len(data["user"])
    rows = np.arange(n)
    parts = []
    for name in ("user", "movie"):
        parts.append(sp.csr_matrix((np.ones(n), (rows, data[name])), shape=(n, schema.get(name).vocab_size)))
    g = data["genres"]
    keep = g.ravel() > 0
    parts.append(sp.csr_matrix((np.ones(keep.sum()), (np.repeat(rows, g.shape[1])[keep], g.ravel()[keep])),
                               shape=(n, schema.get("genres").vocab_size)))
    return sp.hstack(parts).tocsr()


def evaluate(labels, scores, groups):
    from tf1_recsys import metrics

    return {"auc": float(metrics.auc(labels, scores)),
            "gauc": float(metrics.gauc(labels, scores, groups, weighting="impressions").gauc)}


def item_knn(data, neighbours=50, shrink=10.0, prior=3.0, block=1024, context=None):
    """Predicted ratings of the test rows by item-based collaborative filtering.

    The classical neighbourhood estimate, with its usual constants and nothing tuned here:
    ``b_m + b_u + sum_j s_mj r_uj / (1 + sum_j |s_mj|)`` where ``b_m`` and ``b_u`` are the
    movie's and the user's shrunk mean offsets on train (``prior`` pseudo-ratings),
    ``r_uj`` the residual ratings of the user's ``neighbours`` movies most similar to m among
    those rated strictly before the test rating (train and earlier test ratings: a served
    model knows them), and ``s`` the cosine similarity of the movies' train residuals,
    damped by ``co / (co + shrink)`` (co = users who rated both). ``context``: more rated
    rows (e.g. the validation split) that count as earlier ratings but not for the
    baselines or similarities. Works on ``block`` test movies at a time to bound memory.
    """
    import scipy.sparse as sp

    tr, te = data.train, data.test
    n_users, n_movies = data.schema.get("user").vocab_size, data.schema.get("movie").vocab_size
    count = np.bincount(tr["movie"], minlength=n_movies)
    mean = tr["rating"].mean()
    b_m = np.bincount(tr["movie"], weights=tr["rating"] - mean, minlength=n_movies) / (count + prior)
    off = tr["rating"] - mean - b_m[tr["movie"]]
    b_u = np.bincount(tr["user"], weights=off, minlength=n_users) / (np.bincount(tr["user"], minlength=n_users) + prior)
    res = (off - b_u[tr["user"]]).astype(np.float32)
    r = sp.csc_matrix((res, (tr["user"], tr["movie"])), shape=(n_users, n_movies))
    seen = sp.csc_matrix((np.ones(len(res), np.float32), (tr["user"], tr["movie"])), shape=(n_users, n_movies))
    norm = np.sqrt(np.asarray(r.multiply(r).sum(axis=0)).ravel()) + 1e-9

    # every rating of a user, in time order, with its residual against the train baselines
    rows = [tr, te] + ([context] if context is not None else [])
    u, m, t = (np.concatenate([d[k] for d in rows]) for k in ("user", "movie", "timestamp"))
    rr = np.concatenate([d["rating"] for d in rows]) - mean - b_m[m] - b_u[u]
    order = np.lexsort((t, u))
    u, m, t, rr = u[order], m[order], t[order], rr[order]
    start = np.searchsorted(u, np.arange(n_users + 1))

    pred = mean + b_m[te["movie"]] + b_u[te["user"]]
    movies = np.unique(te["movie"])
    for a in range(0, len(movies), block):
        cand = movies[a:a + block]
        co = (seen[:, cand].T @ seen).toarray()
        sim = (r[:, cand].T @ r).toarray() / (norm[cand, None] * norm[None, :]) * (co / (co + shrink))
        sim[np.arange(len(cand)), cand] = 0.0
        row_of = dict(zip(cand.tolist(), range(len(cand))))
        for i in np.flatnonzero(np.isin(te["movie"], cand)):
            user = te["user"][i]
            lo = start[user]
            hi = lo + np.searchsorted(t[lo:start[user + 1]], te["timestamp"][i], side="left")
            s = sim[row_of[te["movie"][i]], m[lo:hi]]
            top = np.argsort(-np.abs(s))[:neighbours]
            pred[i] += float(s[top] @ rr[lo:hi][top]) / (1.0 + float(np.abs(s[top]).sum()))
    return pred




def logistic_regression(data, tasks, grid, log, keep=None):
    """Per task: C picked on validation; returns ``({task: test metrics}, {task: (C, valid AUC)})``.

    ``keep``: a dict that receives ``{task: test predictions [N]}`` of the chosen C."""
    from sklearn.linear_model import LogisticRegression

    x = {s: one_hot(getattr(data, s), data.schema) for s in ("train", "valid", "test")}
    results, chosen = {}, {}
    for task in tasks:
        best = None
        for c in grid:
            m = LogisticRegression(C=c, solver="liblinear", max_iter=5000).fit(x["train"], data.train[task])
            value = evaluate(data.valid[task], m.predict_proba(x["valid"])[:, 1], data.valid["user"])["auc"]
            log("  LR %s C=%g: validation AUC %.4f" % (task, c, value))
            if best is None or value > best[0]:
                best = (value, c, m)
        chosen[task] = (best[1], best[0])
        test = best[2].predict_proba(x["test"])[:, 1]
        if keep is not None:
            keep[task] = test
        results[task] = evaluate(data.test[task], test, data.test["user"])
    return results, chosen


def item_knn_next(data, rows, neighbours=50, shrink=10.0, block=1024):
    """Scores of ``rows`` (next protocol) by item-based collaborative filtering on the histories.

    ``score = sum_j s_cj`` over the ``neighbours`` movies j of the row's ``hist_movie`` most
    similar to the candidate c, where ``s`` is the cosine similarity of the movies' columns
    in the binary user x movie matrix of the train positives, damped by
    ``co / (co + shrink)`` (co = users with both). Works on ``block`` candidates at a time.
    """
    import scipy.sparse as sp

    tr = data.train
    pos = tr[data.schema.labels[0]] > 0
    n_users, n_movies = data.schema.get("user").vocab_size, data.schema.get("movie").vocab_size
    seen = sp.csc_matrix((np.ones(int(pos.sum()), np.float32), (tr["user"][pos], tr["movie"][pos])),
                         shape=(n_users, n_movies))
    seen.data[:] = 1.0
    norm = np.sqrt(np.asarray(seen.sum(axis=0)).ravel()) + 1e-9
    hist = rows["hist_movie"]
    score = np.zeros(len(hist))
    movies = np.unique(rows["movie"])
    for a in range(0, len(movies), block):
        cand = movies[a:a + block]
        co = (seen[:, cand].T @ seen).toarray()
        sim = co / (norm[cand, None] * norm[None, :]) * (co / (co + shrink))
        sim[:, 0] = 0.0  # padding
        row_of = np.full(n_movies, -1)
        row_of[cand] = np.arange(len(cand))
        pick = np.flatnonzero(row_of[rows["movie"]] >= 0)
        s = sim[row_of[rows["movie"][pick]][:, None], hist[pick]]  # [n, T]
        s = -np.sort(-s, axis=1)[:, :neighbours]
        score[pick] = s.sum(axis=1)
    return score


def knn_reference(data, log):
    """item-kNN with (neighbours, shrink) picked on validation; ``(test metrics, chosen, valid AUC)``."""
    task = data.schema.labels[0]
    best = None
    for k, shrink in KNN:
        if data.protocol == "rating":
            score = item_knn(types.SimpleNamespace(train=data.train, test=data.valid, schema=data.schema),
                             neighbours=k, shrink=shrink)
        else:
            score = item_knn_next(data, data.valid, neighbours=k, shrink=shrink)
        value = evaluate(data.valid[task], score, data.valid["user"])["auc"]
        log("  item-kNN neighbours=%d shrink=%g: validation AUC %.4f" % (k, shrink, value))
        if best is None or value > best[0]:
            best = (value, k, shrink)
    _, k, shrink = best
    if data.protocol == "rating":
        score = item_knn(data, neighbours=k, shrink=shrink, context=data.valid)
    else:
        score = item_knn_next(data, data.test, neighbours=k, shrink=shrink)
    return ({t: evaluate(data.test[t], score, data.test["user"]) for t in data.schema.labels},
            "neighbours=%d, shrink=%g" % (k, shrink), best[0])


def _auc(labels, scores):
    from tf1_recsys import metrics

    return float(metrics.auc(labels, scores))


def train_ours(name, data, setting, seed, max_epochs, progress=False):
    """One run of our model; returns a list over epochs of ``(valid AUC, {task: test predictions})``.

    Stops after the first epoch whose validation AUC (main task) is below the best so far.
    """
    from tf1_recsys.data.schema import Schema
    from tf1_recsys.models import build_model
    from tf1_recsys.models.presets import preset
    from tf1_recsys.training import TrainConfig, Trainer

    model, extra, drop = OURS[name]
    schema = Schema([f for f in data.schema.features if f.name not in drop], data.schema.labels, data.schema.group)
    hparams, _ = preset(model, "movielens", data.protocol if name in ("din", "dien") else None)
    hparams.update(extra)
    hparams.update(setting.get("hparams", {}))
    hparams["l2"] = setting["l2"]
    config = TrainConfig(seed=seed, progress=progress, checkpoint_every=10 ** 9, checkpoint_secs=None,
                         epochs=max_epochs, batch_size=BATCH_SIZE, learning_rate=setting["learning_rate"],
                         optimizer="adam")
    task = data.schema.labels[0]
    history = []
    with Trainer(lambda: build_model(model, schema, **hparams), config) as trainer:
        def epoch_end(event=None, info=None):
            if event not in (None, "epoch"):
                return
            value = _auc(data.valid[task], trainer.predict(data.valid)[task])
            history.append((value, trainer.predict(data.test)))
            if value < max(v for v, _ in history):
                trainer.request_stop("validation AUC fell")

        if trainer.fit(data.train, eval_data=data.valid if max_epochs > 1 else None,
                       callback=epoch_end)["stopped"] is None:
            epoch_end()
    return history


def train_canned(name, data, setting, seed, max_epochs):
    """One run of the canned Wide & Deep (``CANNED``); returns what ``train_ours`` returns."""
    from tf1_recsys import estimator as E
    from tf1_recsys._tf import tf

    fc = tf.feature_column
    task = data.schema.labels[0]
    ids = {k: fc.categorical_column_with_identity(k, data.schema.get(v).vocab_size)
           for k, v in (("user", "user"), ("movie", "movie"), ("genres", "genres"), ("hist_movie", "movie"))}
    with tf.Graph().as_default():  # TensorFlow makes shared columns in graph mode only
        movie, hist = fc.shared_embedding_columns([ids["movie"], ids["hist_movie"]], 16, combiner="mean")
    deep = [fc.embedding_column(ids["user"], 16), movie, hist, fc.embedding_column(ids["genres"], 8)]

    def features(split):  # padding id 0 -> -1, which the categorical columns ignore
        return {k: np.where(split[k] > 0, split[k], -1).astype(np.int64) for k in ids}

    def input_fn(split, epoch=None):
        def fn():
            x = features(split)
            if epoch is None:
                return tf.data.Dataset.from_tensor_slices(x).batch(4096)
            labels = split[task].astype(np.float32).reshape(-1, 1)
            return tf.data.Dataset.from_tensor_slices((x, labels)).shuffle(
                len(labels), seed=seed * 1000 + epoch).batch(BATCH_SIZE)
        return fn

    def scores(model, split):
        return np.concatenate([p["logistic"].ravel() for p in model.predict(
            input_fn(split), predict_keys=["logistic"], yield_single_examples=False)])

    history = []
    with tempfile.TemporaryDirectory() as model_dir:
        model = getattr(E, CANNED[name])(
            model_dir, [ids["user"], ids["movie"], ids["genres"]],
            lambda: tf.train.FtrlOptimizer(0.01, l2_regularization_strength=setting["l2"]), deep,
            lambda: tf.train.AdamOptimizer(setting["learning_rate"]), [64, 32],
            config=E.RunConfig(tf_random_seed=seed, save_summary_steps=None, log_step_count_steps=None,
                               save_checkpoints_steps=10 ** 9))
        for epoch in range(max_epochs):
            model.train(input_fn(data.train, epoch))
            history.append((_auc(data.valid[task], scores(model, data.valid)), {task: scores(model, data.test)}))
            if history[-1][0] < max(v for v, _ in history):
                break
    return history


def train_deepctr(name, data, jobs, max_epochs, workdir, venv=None):
    """Runs ``jobs`` [(setting, seed)] of a DeepCTR model in its environment, one subprocess.

    Returns, per job, a list over epochs of ``(valid AUC, {task: test predictions})``.
    """
    import deepctr_venv

    task = data.schema.labels[0]
    arrays = {}
    for split in ("train", "valid", "test"):
        d = getattr(data, split)
        for k in ("user", "movie", "genres", "hist_movie"):
            arrays["%s/%s" % (split, k)] = d[k]
        arrays["%s/label" % split] = d[task]
    inp, out, job_file = (os.path.join(workdir, n) for n in ("arrays.npz", "predictions.npz", "job.json"))
    np.savez(inp, **arrays)
    job = {"input": inp, "output": out, "model": DEEPCTR[name], "embedding_size": 8,
           "vocab": {k: data.schema.get(k).vocab_size for k in ("user", "movie", "genres")},
           "runs": [dict(seed=seed, learning_rate=s["learning_rate"], l2=s["l2"], epochs=max_epochs,
                         batch_size=BATCH_SIZE) for s, seed in jobs]}
    with open(job_file, "w") as f:
        json.dump(job, f)
    python = deepctr_venv.ensure(venv or deepctr_venv.DEFAULT_PATH)
    subprocess.run([python, os.path.join(REPO, "tools", "deepctr_movielens.py"), job_file],
                   check=True, env=deepctr_venv.environment(), stdout=subprocess.DEVNULL)
    preds = np.load(out)
    result = []
    for i in range(len(jobs)):
        valid, test = preds["run%d/valid" % i], preds["run%d/test" % i]
        result.append([(_auc(data.valid[task], v), {task: t}) for v, t in zip(valid, test)])
    return result


def grid(name):
    return [{"learning_rate": lr, "l2": l2} for lr in LEARNING_RATES for l2 in L2[name]]


def describe(setting, epochs):
    return "lr=%g, l2=%g, epochs=%d" % (setting["learning_rate"], setting["l2"], epochs)


def tune_network(name, data, seeds, max_epochs, log, venv=None, keep=None):
    """Grid on ``seeds[0]``, the chosen setting on the other seeds; per seed ``(test metrics, picked, valid AUC)``.

    ``keep``: a dict that receives ``{seed: {task: test predictions [N]}}`` of the chosen epochs."""
    settings = grid(name)
    if name in DEEPCTR:
        with tempfile.TemporaryDirectory() as tmp:
            runs = lambda jobs: train_deepctr(name, data, jobs, max_epochs, tmp, venv)
            first = runs([(s, seeds[0]) for s in settings])
    else:
        train = train_canned if name in CANNED else train_ours
        runs = lambda jobs: [train(name, data, s, seed, max_epochs) for s, seed in jobs]
        first = runs([(s, seeds[0]) for s in settings])
    best = None
    for s, history in zip(settings, first):
        e = int(np.argmax([v for v, _ in history]))
        log("  %s %s seed %d: validation AUC %s -> epoch %d" % (
            LABELS[name], describe(s, e + 1), seeds[0], " ".join("%.4f" % v for v, _ in history), e + 1))
        if best is None or history[e][0] > best[0]:
            best = (history[e][0], s, e, history)
    chosen = best[1]
    histories = [best[3]]
    if len(seeds) > 1:
        if name in DEEPCTR:
            with tempfile.TemporaryDirectory() as tmp:
                histories += train_deepctr(name, data, [(chosen, seed) for seed in seeds[1:]], max_epochs, tmp, venv)
        else:
            histories += runs([(chosen, seed) for seed in seeds[1:]])
    out = []
    for seed, history in zip(seeds, histories):
        e = int(np.argmax([v for v, _ in history]))
        metrics = {t: evaluate(data.test[t], p, data.test["user"]) for t, p in history[e][1].items()}
        if keep is not None:
            keep[seed] = history[e][1]
        out.append((metrics, describe(chosen, e + 1), history[e][0]))
        log("  %s seed %d: %s, validation AUC %.4f; test %s" % (LABELS[name], seed, describe(chosen, e + 1),
            history[e][0], ", ".join("%s AUC %.4f GAUC %.4f" % (t, r["auc"], r["gauc"]) for t, r in metrics.items())))
    return out


def _cpu_seconds():
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_protocol(args, protocol, log, keep=None):
    """Loads, tunes and tests every model on one protocol; returns the markdown table lines.

    ``keep``: a dict that receives the test labels, users and predictions as ``save_predictions`` stores them."""
    from tf1_recsys.data import load_movielens

    data = load_movielens(args.path, protocol=protocol, valid_fraction=0.2, max_users=args.max_users)
    log(data.describe())
    tasks = list(data.schema.labels)
    log("logistic regression (scikit-learn), C from %s on validation" % (LR_C,))
    kept = {"lr": {}}
    lr, lr_chosen = logistic_regression(data, tasks, LR_C, log, keep=kept["lr"])
    log("item-kNN, (neighbours, shrink) from %s on validation" % (KNN,))
    knn, knn_chosen, knn_valid = knn_reference(data, log)
    rows = [("logistic regression", t, [lr[t]], "C=%g" % lr_chosen[t][0], [lr_chosen[t][1]]) for t in tasks]
    rows += [("item-kNN", t, [knn[t]], knn_chosen, [knn_valid]) for t in tasks]
    for name in args.models:
        t1, c1 = time.perf_counter(), _cpu_seconds()
        kept[name] = {}
        res = tune_network(name, data, args.seeds, args.max_epochs or MAX_EPOCHS[protocol], log, args.deepctr_venv,
                           keep=kept[name])
        log("  %s: %.0f s, %.0f CPU s" % (LABELS[name], time.perf_counter() - t1, _cpu_seconds() - c1))
        for t in res[0][0]:
            rows.append((LABELS[name], t, [r[0][t] for r in res], sorted(set(r[1] for r in res)), [r[2] for r in res]))
    if keep is not None:
        keep.update(("%s/test/%s" % (protocol, k), data.test[k]) for k in ["user"] + tasks)
        keep.update(("%s/lr/%s" % (protocol, t), p) for t, p in kept.pop("lr").items())
        keep.update(("%s/%s/seed%d/%s" % (protocol, name, seed, t), p)
                    for name, runs in kept.items() for seed, preds in runs.items() for t, p in preds.items())
    lines = ["| model | task | test AUC | test GAUC | AUC - LR | GAUC - LR | picked on validation | validation AUC | "
             "per seed (AUC / GAUC) |", "|---|---|---|---|---|---|---|---|---|"]
    pm = lambda v: "%.4f ± %.4f" % (np.mean(v), np.std(v)) if len(v) > 1 else "%.4f" % v[0]
    for label, t, res, picked, valid in rows:
        a, g = [r["auc"] for r in res], [r["gauc"] for r in res]
        picked = picked if isinstance(picked, str) else "; ".join(picked)
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, t, pm(a), pm(g),
            "%+.4f" % (np.mean(a) - lr[t]["auc"]) if label != "logistic regression" else "",
            "%+.4f" % (np.mean(g) - lr[t]["gauc"]) if label != "logistic regression" else "",
            picked, " ".join("%.4f" % v for v in valid),
            ", ".join("%.4f / %.4f" % (x, y) for x, y in zip(a, g)) if len(a) > 1 else "deterministic"))
    return data.describe(), lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", default=DEFAULT_PATH, help="ml-latest-small folder (default %(default)s)")
    parser.add_argument("--protocol", nargs="+", choices=["rating", "next"], default=["rating", "next"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", choices=MODEL_CHOICES,
                        default=["base", "din", "din_noseq", "fm", "mmoe", "deepctr_din", "deepctr_deepfm"],
                        help="networks besides LR and item-kNN ('dien', with its MovieLens preset's MLP input per "
                        "protocol, and 'dien_paper', dien with history_sum=False, are opt-in); 'base' is din "
                        "with sum pooling, 'din_noseq' "
                        "din without the behaviour sequence, 'din_raw' din with DIN's unnormalised attention "
                        "sum; deepctr_* run in tools/deepctr_venv.py's environment; 'wide_deep' is the canned "
                        "DNNLinearCombinedClassifier of tf1_recsys.estimator (opt-in)")
    parser.add_argument("--max-epochs", type=int, help="epochs per run, early-stopped on validation "
                        "(default %s)" % MAX_EPOCHS)
    parser.add_argument("--deepctr-venv", help="DeepCTR environment of tools/deepctr_venv.py (default: "
                        ".venv-deepctr in the repository; made when missing)")
    parser.add_argument("--max-users", type=int, help="only the first N users (quick checks)")
    parser.add_argument("--markdown", help="also write the result tables to this file")
    parser.add_argument("--predictions", help="also save the test labels, users and every reported model's test "
                        "predictions to this .npz ('<protocol>/<model>/seed<k>/<task>', '<protocol>/lr/<task>', "
                        "'<protocol>/test/<task or user>'), for paired comparisons such as tools/bootstrap_auc.py")
    parser.add_argument("--write-docs", action="store_true", help="write the tables into docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    from tf1_recsys.data import DataError

    t0, c0 = time.perf_counter(), _cpu_seconds()
    log = lambda s: print(s, flush=True)
    tables, kept = [], {}
    for protocol in args.protocol:
        try:
            tables.append((protocol,) + run_protocol(args, protocol, log, keep=kept))
        except DataError as e:
            print("bench_movielens: error: %s" % e, file=sys.stderr)
            return 2
    footer = ("seeds %s; %.0f s wall, %.0f CPU s (this process and its subprocesses) on this machine; command: "
              "python tools/bench_movielens.py %s" % (" ".join(map(str, args.seeds)), time.perf_counter() - t0,
                                                     _cpu_seconds() - c0,
                                                     " ".join(argv if argv is not None else sys.argv[1:])))
    text = "".join("\n#### Protocol `%s`\n\n%s\n\n%s\n" % (p, d, "\n".join(lines)) for p, d, lines in tables)
    log(text + "\n" + footer)
    if args.predictions:
        np.savez(args.predictions, **kept)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n" + footer + "\n")
    if args.write_docs:
        import benchdoc

        benchdoc.write_section(MOVIELENS_TITLE, MOVIELENS_TITLE + "\n" + MOVIELENS_TEXT + text + "\n" + footer + "\n")
    return 0


MOVIELENS_TITLE = "## MovieLens (`tools/bench_movielens.py`)"
MOVIELENS_TEXT = """
Generated by the command at the end of this section. Every model sees the same rows and features
(user, movie, genres, `hist_movie`: the last 50 movies rated strictly earlier), is trained on the train
split only and is tuned on the validation split only with the same budget: four settings (networks:
learning rate {0.001, 0.003} x two L2 strengths on the model's own scale, batch 512, epochs up to 4
(`rating`) / 2 (`next`) early-stopped on validation AUC; LR: C in {0.1, 0.3, 1, 3}; item-kNN: neighbours
{20, 50} x shrinkage {10, 100}). The grid runs with seed 0, the chosen setting with the other seeds; the
test split is read once per reported number. GAUC is per user, weighted by impressions; spread is the
standard deviation over the seeds. The grid is kept this small for the run time (see the next
section).
"""


if __name__ == "__main__":
    sys.exit(main())
