#!/usr/bin/env python
"""MovieLens benchmark: fm, din and mmoe against a scikit-learn logistic regression.

Data: ml-latest-small through ``tf1_recsys.data.load_movielens`` (label rating >= 4, the
second MMoE task rating == 5; each user's last 20% of ratings by time is the test set;
the behaviour sequence holds the movies rated strictly earlier).

Baseline: ``sklearn.linear_model.LogisticRegression`` on one-hot user, one-hot movie and
multi-hot genres. Its ``C`` is chosen on a validation split of the training set (each
user's last 20% of training ratings), then refit on the whole training set.

Reference: ``item_knn``, classical item-based collaborative filtering on the ratings (see
its docstring), to show how much per-user ranking signal the data holds for any model.

Models: the presets of ``tf1_recsys.models.presets`` for MovieLens, trained with
``tf1_recsys.training.Trainer`` once per seed (the seed sets the graph seed and the batch
order). Reported: test AUC and impression-weighted GAUC (per user), per seed and mean.

    python tools/bench_movielens.py [--path ../shared/data/ml-latest-small] [--seeds 0 1 2]
"""
import argparse
import os
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PATH = os.path.join(os.path.dirname(REPO), "shared", "data", "ml-latest-small")


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


def validation_split(train, fraction=0.2):
    """Each user's last ``fraction`` of training rows (rows are sorted by user, then time)."""
    user = train["user"]
    is_valid = np.zeros(len(user), bool)
    bounds = np.flatnonzero(np.diff(user)) + 1
    for s, e in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(user)]])):
        k = int(np.floor(fraction * (e - s) + 0.5))
        if 0 < k < e - s:
            is_valid[e - k:e] = True
    return ~is_valid, is_valid


def evaluate(labels, scores, groups):
    from tf1_recsys import metrics

    return {"auc": float(metrics.auc(labels, scores)),
            "gauc": float(metrics.gauc(labels, scores, groups, weighting="impressions").gauc)}


def logistic_regression(data, tasks, grid, log):
    from sklearn.linear_model import LogisticRegression

    x_train, x_test = one_hot(data.train, data.schema), one_hot(data.test, data.schema)
    fit_rows, valid_rows = validation_split(data.train)
    results, chosen = {}, {}
    for task in tasks:
        y = data.train[task]
        best = None
        for c in grid:
            m = LogisticRegression(C=c, max_iter=5000).fit(x_train[fit_rows], y[fit_rows])
            value = evaluate(y[valid_rows], m.predict_proba(x_train[valid_rows])[:, 1],
                             data.train["user"][valid_rows])["auc"]
            log("  LR %s C=%g: validation AUC %.4f" % (task, c, value))
            if best is None or value > best[0]:
                best = (value, c)
        chosen[task] = best[1]
        m = LogisticRegression(C=best[1], max_iter=5000).fit(x_train, y)
        results[task] = evaluate(data.test[task], m.predict_proba(x_test)[:, 1], data.test["user"])
    return results, chosen


def item_knn(data, neighbours=50, shrink=10.0, prior=3.0, block=1024):
    """Predicted ratings of the test rows by item-based collaborative filtering.

    The classical neighbourhood estimate, with its usual constants and nothing tuned here:
    ``b_m + b_u + sum_j s_mj r_uj / (1 + sum_j |s_mj|)`` where ``b_m`` and ``b_u`` are the
    movie's and the user's shrunk mean offsets on train (``prior`` pseudo-ratings),
    ``r_uj`` the residual ratings of the user's ``neighbours`` movies most similar to m among
    those rated strictly before the test rating (train and earlier test ratings: a served
    model knows them), and ``s`` the cosine similarity of the movies' train residuals,
    damped by ``co / (co + shrink)`` (co = users who rated both). Works on ``block`` test
    movies at a time to bound memory.
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
    u = np.concatenate([tr["user"], te["user"]])
    m = np.concatenate([tr["movie"], te["movie"]])
    t = np.concatenate([tr["timestamp"], te["timestamp"]])
    rr = np.concatenate([tr["rating"], te["rating"]]) - mean - b_m[m] - b_u[u]
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


MODELS = {"fm": ("fm", {}), "din": ("din", {}), "mmoe": ("mmoe", {}),
          "base": ("din", {"sequence_pooling": "sum"})}
"""Benchmark name -> (model, hyper-parameters over its preset); 'base' is the DIN paper's
base model: din with each behaviour sequence sum-pooled instead of attended."""


def train_model(name, data, seed, progress, drop=()):
    from tf1_recsys.data.schema import Schema
    from tf1_recsys.models import build_model
    from tf1_recsys.models.presets import preset
    from tf1_recsys.training import TrainConfig, Trainer

    schema = Schema([f for f in data.schema.features if f.name not in drop], data.schema.labels, data.schema.group)
    name, extra = MODELS[name]
    hparams, settings = preset(name, "movielens")
    hparams.update(extra)
    config = TrainConfig(seed=seed, progress=progress, checkpoint_every=10 ** 9, **settings)
    with Trainer(lambda: build_model(name, schema, **hparams), config) as trainer:
        trainer.fit(data.train)
        preds = trainer.predict(data.test)
    return {t: evaluate(data.test[t], p, data.test["user"]) for t, p in preds.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", default=DEFAULT_PATH, help="ml-latest-small folder (default %(default)s)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["fm", "din", "mmoe"], choices=sorted(MODELS),
                        help="'base' is din with sum pooling instead of attention (the DIN paper's base model)")
    parser.add_argument("--lr-grid", type=float, nargs="+", default=[0.3, 1.0, 3.0], help="C values of the LR")
    parser.add_argument("--no-ablation", action="store_true", help="skip din without the behaviour sequence")
    parser.add_argument("--markdown", help="also write the result table to this file")
    parser.add_argument("--protocol", choices=["rating", "next"], default="rating",
                        help="'rating' (label rating >= 4, last 20%% of each user's ratings as test) or 'next' "
                        "(the next movie a user rates against a random unrated one; last position as test)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    t0 = time.perf_counter()
    log = lambda s: print(s, flush=True)

    from tf1_recsys.data import DataError, load_movielens

    try:
        data = load_movielens(args.path, protocol=args.protocol)
    except DataError as e:
        print("bench_movielens: error: %s" % e, file=sys.stderr)
        return 2
    log(data.describe())
    tasks = list(data.schema.labels)
    log("logistic regression (scikit-learn), C chosen on a validation split of train from %s" % args.lr_grid)
    lr, chosen = logistic_regression(data, tasks, args.lr_grid, log)
    for t in tasks:
        log("  LR %s (C=%g): test AUC %.4f GAUC %.4f" % (t, chosen[t], lr[t]["auc"], lr[t]["gauc"]))

    knn = {}
    if args.protocol == "rating":  # item-kNN predicts ratings; the 'next' rows have none
        log("item-kNN (rating residuals, time-aware neighbourhoods; a classical reference, nothing tuned)")
        t1 = time.perf_counter()
        knn_pred = item_knn(data)
        knn = {t: evaluate(data.test[t], knn_pred, data.test["user"]) for t in tasks}
        for t in tasks:
            log("  item-kNN %s: test AUC %.4f GAUC %.4f (%.0f s)" % (t, knn[t]["auc"], knn[t]["gauc"],
                                                                time.perf_counter() - t1))

    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    progress = sys.stderr.isatty()
    runs = [("din base (sum pooling)" if m == "base" else m, m, ()) for m in args.models]
    if not args.no_ablation and "din" in args.models:
        runs.append(("din (no behaviour sequence)", "din", ("hist_movie",)))
    results = {}
    for label, model, drop in runs:
        for seed in args.seeds:
            t1 = time.perf_counter()
            res = train_model(model, data, seed, progress, drop)
            results.setdefault(label, []).append(res)
            log("  %s seed %d: %s (%.0f s)" % (label, seed, ", ".join(
                "%s AUC %.4f GAUC %.4f" % (t, r["auc"], r["gauc"]) for t, r in res.items()), time.perf_counter() - t1))

    lines = ["| model | task | test AUC | GAUC (impressions) | AUC - LR | GAUC - LR | per seed (AUC / GAUC) |",
             "|---|---|---|---|---|---|---|"]
    for t in tasks:
        lines.append("| logistic regression (C=%g) | %s | %.4f | %.4f | | | deterministic |"
                     % (chosen[t], t, lr[t]["auc"], lr[t]["gauc"]))
    for t in knn:
        lines.append("| item-kNN (reference) | %s | %.4f | %.4f | %+.4f | %+.4f | deterministic |"
                     % (t, knn[t]["auc"], knn[t]["gauc"], knn[t]["auc"] - lr[t]["auc"], knn[t]["gauc"] - lr[t]["gauc"]))
    for label, res in results.items():
        for t in res[0]:
            a = np.array([r[t]["auc"] for r in res])
            g = np.array([r[t]["gauc"] for r in res])
            pm = lambda v: "%.4f ± %.4f" % (v.mean(), v.std()) if len(v) > 1 else "%.4f" % v[0]
            lines.append("| %s | %s | %s | %s | %+.4f | %+.4f | %s |" % (
                label, t, pm(a), pm(g), a.mean() - lr[t]["auc"], g.mean() - lr[t]["gauc"],
                ", ".join("%.4f / %.4f" % (x, y) for x, y in zip(a, g))))
    table = "\n".join(lines)
    elapsed = time.perf_counter() - t0
    footer = "seeds %s; %.0f s on this machine; command: python tools/bench_movielens.py %s" % (
        " ".join(map(str, args.seeds)), elapsed, " ".join(argv if argv is not None else sys.argv[1:]))
    log("\n" + table + "\n\n" + footer)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table + "\n\n" + footer + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
