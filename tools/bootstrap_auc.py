#!/usr/bin/env python
"""Paired bootstrap of test-AUC differences between models of one ``bench_movielens.py --predictions`` file.

Whether two models' test AUCs differ by more than the test set can tell: the users are
resampled with replacement (each user's test rows together, as the 'next' protocol's
positive and negative share a user and a history), and on each resample every model's
AUC is the mean over its seeds of the AUC of that seed's predictions on the resampled
rows. The difference of model A and model B is then read off the same resamples
(paired), giving a percentile interval and the share of resamples where A is not above B.
The seed spread (standard deviation over seeds on the full test set) is printed beside it:
the seeds' variance is the training noise, the bootstrap's the test sample's.

    python tools/bootstrap_auc.py PREDICTIONS.npz --protocol next --pairs dien:din dien:base dien:lr

Several files (runs of different models on the same test split) are read as one, after checking
that their test labels and users are the same and that no key holds different predictions in two files
(the same model name in two runs: rename it in one file's keys).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from tf1_recsys.metrics import auc  # noqa: E402  (numpy only, no TensorFlow)


def seed_mean_auc(labels, runs, rows=None):
    """Mean over the seeds of the AUC of each run [N] of ``runs``, on ``rows`` (indices, repeats allowed)."""
    rows = np.arange(len(labels)) if rows is None else rows
    return float(np.mean([auc(labels[rows], run[rows]) for run in runs]))


def paired_bootstrap(labels, groups, runs_a, runs_b, replicates=2000, seed=0):
    """Bootstrap over ``groups`` of ``seed_mean_auc(runs_a) - seed_mean_auc(runs_b)``.

    Args:
      labels: [N] binary; groups: [N] the resampled unit (user) of each row.
      runs_a, runs_b: lists of [N] scores, one per seed (a deterministic model: one).
      replicates: number of resamples; seed: of ``numpy.random.default_rng``.

    Returns:
      dict: ``difference`` on the full test set, ``low`` / ``high`` (2.5 and 97.5
      percentiles of the resampled differences), ``p_not_above`` (share of resamples
      with a difference <= 0), ``se`` (their standard deviation).
    """
    labels, groups = np.asarray(labels), np.asarray(groups)
    units, index = np.unique(groups, return_inverse=True)
    rows_of = [np.flatnonzero(index == u) for u in range(len(units))]
    rng = np.random.default_rng(seed)
    diffs = np.empty(replicates)
    for i in range(replicates):
        rows = np.concatenate([rows_of[u] for u in rng.integers(0, len(units), len(units))])
        diffs[i] = seed_mean_auc(labels, runs_a, rows) - seed_mean_auc(labels, runs_b, rows)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return {"difference": seed_mean_auc(labels, runs_a) - seed_mean_auc(labels, runs_b), "low": float(low),
            "high": float(high), "p_not_above": float(np.mean(diffs <= 0)), "se": float(np.std(diffs))}


def load_predictions(paths, protocol, task):
    """Reads ``--predictions`` files as one: ``{key: array}``.

    A key in several files must hold the same array in each (the test labels and users, or a model
    such as the deterministic 'lr' that every run writes); otherwise nothing would say which run a
    model name meant, so it raises.

    Raises ValueError when a file lacks the test labels / users of ``protocol`` and ``task``
    or they differ from the first file's (another test split: its rows cannot be paired), or when
    two files hold different predictions under one key (two runs under one model name).
    """
    merged, source = {}, {}
    for path in paths:
        with np.load(path) as npz:
            arrays = {k: npz[k] for k in npz.files}
        test_keys = ("%s/test/%s" % (protocol, task), "%s/test/user" % protocol)
        for key in test_keys:
            if key not in arrays:
                raise ValueError("%s has no %r" % (path, key))
        for key, array in sorted(arrays.items(), key=lambda item: item[0] not in test_keys):
            if key in merged and not np.array_equal(merged[key], array):
                if key in test_keys:
                    raise ValueError("%s: %r differs from %s's: not the same test split" % (path, key, source[key]))
                raise ValueError("%s: %r differs from %s's: two runs under one model name (rename the model in "
                                 "one file's keys)" % (path, key, source[key]))
            merged.setdefault(key, array)
            source.setdefault(key, path)
    return merged


def load_runs(npz, protocol, model, task):
    """The per-seed test predictions of ``model`` ('lr' has one) from ``load_predictions``' dict."""
    if model == "lr":
        keys = ["%s/lr/%s" % (protocol, task)]
    else:
        prefix = "%s/%s/seed" % (protocol, model)
        keys = sorted(k for k in npz if k.startswith(prefix) and k.endswith("/" + task))
    if not keys or keys[0] not in npz:
        raise KeyError("no predictions of model %r for protocol %r and task %r in the file" % (model, protocol, task))
    return [npz[k] for k in keys]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("predictions", nargs="+", help="the .npz file(s) of bench_movielens.py --predictions")
    parser.add_argument("--protocol", default="next")
    parser.add_argument("--task", help="label (default: 'next' for the next protocol, else 'like')")
    parser.add_argument("--pairs", nargs="+", default=["dien:din", "dien:base", "dien:lr", "din:base"],
                        help="A:B pairs of model names as the bench names them ('lr' for logistic regression)")
    parser.add_argument("--replicates", type=int, default=2000)
    args = parser.parse_args(argv)
    task = args.task or ("next" if args.protocol == "next" else "like")
    try:
        npz = load_predictions(args.predictions, args.protocol, task)
    except ValueError as e:
        print("bootstrap_auc: error: %s" % e, file=sys.stderr)
        return 2
    labels, users = npz["%s/test/%s" % (args.protocol, task)], npz["%s/test/user" % args.protocol]
    print("| A - B | test AUC A (seeds) | test AUC B (seeds) | difference | 95% bootstrap interval | "
          "share of resamples A <= B | seed spread A / B |\n|---|---|---|---|---|---|---|")
    for pair in args.pairs:
        a, b = pair.split(":")
        runs_a, runs_b = (load_runs(npz, args.protocol, m, task) for m in (a, b))
        r = paired_bootstrap(labels, users, runs_a, runs_b, args.replicates)
        spread = lambda runs: "%.4f" % np.std([auc(labels, x) for x in runs]) if len(runs) > 1 else "-"
        print("| %s - %s | %.4f (%d) | %.4f (%d) | %+.4f | [%+.4f, %+.4f] | %.3f | %s / %s |" % (
            a, b, seed_mean_auc(labels, runs_a), len(runs_a), seed_mean_auc(labels, runs_b), len(runs_b),
            r["difference"], r["low"], r["high"], r["p_not_above"], spread(runs_a), spread(runs_b)))
    print("\n%d resamples of the %d test users (seed 0); command: python tools/bootstrap_auc.py %s"
          % (args.replicates, len(np.unique(users)), " ".join(argv if argv is not None else sys.argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
