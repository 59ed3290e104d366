"""tools/bench_movielens.py (item-kNN, validation tuning) and tools/deepctr_movielens.py against re-implementations."""
import importlib.util
import os
import types

import numpy as np
import pytest

from tf1_recsys.data import load_movielens

pytest.importorskip("scipy")
TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_movielens", os.path.join(TOOLS, "bench_movielens.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tiny_movielens(folder, seed=0, users=25, movies=30):
    rng = np.random.RandomState(seed)
    rows = []
    for u in range(1, users + 1):
        for m in rng.choice(movies, rng.randint(4, 15), replace=False) + 1:
            rows.append("%d,%d,%.1f,%d\n" % (u, m, rng.randint(1, 11) / 2.0, rng.randint(1, 30)))
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + "".join(rows))
    (folder / "movies.csv").write_text(
        "movieId,title,genres\n" + "".join("%d,M%d,Drama\n" % (m, m) for m in range(1, movies + 1)))
    return load_movielens(str(folder))


def _knn_reference(data, neighbours, shrink, prior):
    """Dense, row-by-row item-kNN written from the formula."""
    tr, te = data.train, data.test
    nu, nm = data.schema.get("user").vocab_size, data.schema.get("movie").vocab_size
    mean = tr["rating"].mean()
    b_m = np.zeros(nm)
    for m in range(nm):
        r = tr["rating"][tr["movie"] == m]
        b_m[m] = (r - mean).sum() / (len(r) + prior)
    b_u = np.zeros(nu)
    for u in range(nu):
        sel = tr["user"] == u
        b_u[u] = (tr["rating"][sel] - mean - b_m[tr["movie"][sel]]).sum() / (sel.sum() + prior)
    res = np.zeros((nu, nm))
    rated = np.zeros((nu, nm))
    for u, m, r in zip(tr["user"], tr["movie"], tr["rating"]):
        res[u, m] = r - mean - b_m[m] - b_u[u]
        rated[u, m] = 1
    out = []
    for u, m, t in zip(te["user"], te["movie"], te["timestamp"]):
        earlier = [(mj, r) for d in (tr, te)
                   for uj, mj, tj, r in zip(d["user"], d["movie"], d["timestamp"], d["rating"]) if uj == u and tj < t]
        sims, resid = [], []
        for mj, r in earlier:
            co = (rated[:, m] * rated[:, mj]).sum()
            cos = res[:, m] @ res[:, mj] / ((np.linalg.norm(res[:, m]) + 1e-9) * (np.linalg.norm(res[:, mj]) + 1e-9))
            sims.append(0.0 if mj == m else cos * co / (co + shrink))
            resid.append(r - mean - b_m[mj] - b_u[u])
        sims, resid = np.array(sims), np.array(resid)
        top = np.argsort(-np.abs(sims), kind="stable")[:neighbours]
        adj = sims[top] @ resid[top] / (1.0 + np.abs(sims[top]).sum()) if len(top) else 0.0
        out.append(mean + b_m[m] + b_u[u] + adj)
    return np.array(out)


def test_item_knn_matches_the_formula(tmp_path):
    data = _tiny_movielens(tmp_path)
    got = _bench().item_knn(data, neighbours=3, shrink=2.0, prior=3.0, block=7)
    want = _knn_reference(data, neighbours=3, shrink=2.0, prior=3.0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    baseline = _bench().item_knn(data, neighbours=0, shrink=2.0, prior=3.0)
    assert np.abs(got - baseline).max() > 0.05  # the neighbourhood term is exercised


def test_item_knn_counts_the_context_rows_as_earlier_ratings_only(tmp_path):
    data = load_movielens(str(_tiny_movielens(tmp_path).path), valid_fraction=0.3)
    bench = _bench()
    got = bench.item_knn(data, neighbours=3, shrink=2.0, prior=3.0, context=data.valid)
    merged = types.SimpleNamespace(schema=data.schema, train=data.train,
                                   test={k: np.concatenate([data.valid[k], data.test[k]]) for k in data.test})
    # the reference sees the validation rows as earlier ratings by putting them among the "test" rows
    want = _knn_reference(merged, neighbours=3, shrink=2.0, prior=3.0)[len(data.valid["user"]):]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    assert np.abs(got - bench.item_knn(data, neighbours=3, shrink=2.0, prior=3.0)).max() > 0.01


def test_item_knn_next_matches_the_formula(tmp_path):
    _tiny_movielens(tmp_path, users=30, movies=25)
    data = load_movielens(str(tmp_path), protocol="next")
    got = _bench().item_knn_next(data, data.test, neighbours=2, shrink=3.0, block=4)
    pos = data.train["next"] > 0
    nu, nm = data.schema.get("user").vocab_size, data.schema.get("movie").vocab_size
    seen = np.zeros((nu, nm))
    seen[data.train["user"][pos], data.train["movie"][pos]] = 1
    want = []
    for c, hist in zip(data.test["movie"], data.test["hist_movie"]):
        sims = []
        for j in hist[hist > 0]:
            co = seen[:, c] @ seen[:, j]
            cos = co / ((np.sqrt(seen[:, c].sum()) + 1e-9) * (np.sqrt(seen[:, j].sum()) + 1e-9))
            sims.append(cos * co / (co + 3.0))
        want.append(sum(sorted(sims, reverse=True)[:2]))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.ptp(got) > 0


def test_tuning_picks_setting_and_epoch_on_validation_and_reads_test_there(tmp_path, monkeypatch):
    data = load_movielens(str(_tiny_movielens(tmp_path).path), valid_fraction=0.3)
    bench = _bench()
    n = len(data.test["like"])
    rng = np.random.RandomState(1)
    preds = {}

    def fake(name, d, setting, seed, max_epochs):
        # validation AUC per epoch: best for lr=0.003, l2=0.01 at epoch 2 (seed 0)
        key = (setting["learning_rate"], setting["l2"], seed)
        valid = [0.60, 0.70, 0.65] if key[:2] == (3e-3, 0.01) else [0.62, 0.61]
        out = [(v, {"like": rng.uniform(size=n), "love": rng.uniform(size=n)}) for v in valid[:max_epochs]]
        preds[key] = out
        return out

    monkeypatch.setattr(bench, "train_ours", fake)
    res = bench.tune_network("din", data, [0, 5], 3, lambda s: None)
    assert [r[1] for r in res] == ["lr=0.003, l2=0.01, epochs=2"] * 2
    assert [r[2] for r in res] == [0.70, 0.70]
    assert sorted(preds) == sorted([(lr, l2, 0) for lr in (1e-3, 3e-3) for l2 in (0.01, 0.05)] + [(3e-3, 0.01, 5)])
    for (metrics, _, _), seed in zip(res, [0, 5]):
        chosen = preds[(3e-3, 0.01, seed)][1][1]["like"]
        assert metrics["like"] == bench.evaluate(data.test["like"], chosen, data.test["user"])


def test_deepctr_script_auc_matches_ours():
    from tf1_recsys import metrics

    spec = importlib.util.spec_from_file_location("deepctr_movielens", os.path.join(TOOLS, "deepctr_movielens.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 2, 500).astype(np.float32)
    scores = np.round(rng.uniform(size=500) + 0.3 * labels, 2)  # ties included
    assert abs(module.auc(labels, scores) - float(metrics.auc(labels, scores))) < 1e-12


def test_deepctr_peers_train_in_their_environment_and_return_predictions(tmp_path):
    import sys

    sys.path.insert(0, TOOLS)
    import deepctr_venv

    venv = os.environ.get("TF1_RECSYS_DEEPCTR_VENV", deepctr_venv.DEFAULT_PATH)
    if not os.path.exists(os.path.join(venv, deepctr_venv.MARKER)):
        pytest.skip("no DeepCTR environment at %s (python tools/deepctr_venv.py makes one)" % venv)
    (tmp_path / "ml").mkdir()
    data = load_movielens(str(_tiny_movielens(tmp_path / "ml").path), valid_fraction=0.3)
    bench = _bench()
    jobs = [({"learning_rate": 0.01, "l2": 1e-6}, 0), ({"learning_rate": 0.01, "l2": 1e-6}, 1)]
    for name in ("deepctr_din", "deepctr_deepfm"):
        out = bench.train_deepctr(name, data, jobs, 2, str(tmp_path), venv)
        assert len(out) == 2
        for history in out:
            assert 1 <= len(history) <= 2
            for value, preds in history:
                p = preds["like"]
                assert p.shape == data.test["like"].shape and np.all((p > 0) & (p < 1)), name
                assert 0.0 <= value <= 1.0
        assert not np.array_equal(out[0][0][1]["like"], out[1][0][1]["like"])  # the seed matters


def _bootstrap():
    spec = importlib.util.spec_from_file_location("bootstrap_auc", os.path.join(TOOLS, "bootstrap_auc.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bootstrap_auc_against_sklearn_on_the_same_resamples():
    from sklearn.metrics import roc_auc_score

    boot = _bootstrap()
    rng = np.random.default_rng(4)
    users = np.repeat(np.arange(30), 2)
    labels = np.tile([1.0, 0.0], 30)
    a = [np.round(labels + rng.normal(0, s, 60), 1) for s in (0.8, 0.9)]  # rounded: tied scores
    b = [np.round(labels + rng.normal(0, 1.5, 60), 1)]
    got = boot.paired_bootstrap(labels, users, a, b, replicates=50, seed=7)
    # the same resamples drawn here: whole users with replacement, rows of a user together
    draw = np.random.default_rng(7)
    diffs = []
    for _ in range(50):
        rows = np.concatenate([np.flatnonzero(users == u) for u in draw.integers(0, 30, 30)])
        diffs.append(np.mean([roc_auc_score(labels[rows], x[rows]) for x in a])
                     - roc_auc_score(labels[rows], b[0][rows]))
    assert got["low"] == pytest.approx(np.percentile(diffs, 2.5), abs=1e-12)
    assert got["high"] == pytest.approx(np.percentile(diffs, 97.5), abs=1e-12)
    assert got["p_not_above"] == pytest.approx(np.mean(np.array(diffs) <= 0))
    full = np.mean([roc_auc_score(labels, x) for x in a]) - roc_auc_score(labels, b[0])
    assert got["difference"] == pytest.approx(full, abs=1e-12)
    same = boot.paired_bootstrap(labels, users, b, b, replicates=20)
    assert same["low"] == same["high"] == same["difference"] == 0 and same["p_not_above"] == 1


def test_bootstrap_reads_several_prediction_files_of_one_test_split(tmp_path, capsys):
    boot = _bootstrap()
    rng = np.random.default_rng(1)
    labels, users = np.tile([1.0, 0.0], 20), np.repeat(np.arange(20), 2)
    test = {"next/test/next": labels, "next/test/user": users}
    a = {"next/a/seed%d/next" % k: labels + rng.normal(0, 1, 40) for k in range(2)}
    b = {"next/b/seed0/next": labels + rng.normal(0, 2, 40)}
    np.savez(tmp_path / "a.npz", **test, **a)
    np.savez(tmp_path / "b.npz", **test, **b)
    np.savez(tmp_path / "ab.npz", **test, **a, **b)
    np.savez(tmp_path / "other.npz", **{**test, "next/test/user": users[::-1]}, **b)
    tables = []
    for files in (["ab.npz"], ["a.npz", "b.npz"]):
        assert boot.main([*(str(tmp_path / f) for f in files), "--pairs", "a:b", "--replicates", "30"]) == 0
        tables.append(capsys.readouterr().out.split("\n")[2])
    assert tables[0] == tables[1] and tables[0].startswith("| a - b | ")
    assert boot.main([str(tmp_path / "a.npz"), str(tmp_path / "other.npz"), "--pairs", "a:b"]) == 2
    assert "other.npz: 'next/test/user' differs from" in capsys.readouterr().err


def test_bootstrap_refuses_one_model_name_with_different_predictions_in_two_files(tmp_path, capsys):
    boot = _bootstrap()
    rng = np.random.default_rng(2)
    labels, users = np.tile([1.0, 0.0], 20), np.repeat(np.arange(20), 2)
    test = {"next/test/next": labels, "next/test/user": users}
    lr = {"next/lr/next": labels + rng.normal(0, 1, 40)}  # deterministic: every run writes the same
    first = {"next/a/seed0/next": labels + rng.normal(0, 1, 40), "next/b/seed0/next": labels + rng.normal(0, 2, 40)}
    rerun = {"next/a/seed0/next": labels + rng.normal(0, 1, 40)}
    np.savez(tmp_path / "first.npz", **test, **lr, **first)
    np.savez(tmp_path / "rerun.npz", **test, **lr, **rerun)
    np.savez(tmp_path / "same.npz", **test, **lr, **{"next/a/seed0/next": first["next/a/seed0/next"]})
    assert boot.main([str(tmp_path / "first.npz"), str(tmp_path / "rerun.npz"), "--pairs", "a:b"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1
    assert out.err == ("bootstrap_auc: error: %s: 'next/a/seed0/next' differs from %s's: two runs under one model "
                       "name (rename the model in one file's keys)\n"
                       % (tmp_path / "rerun.npz", tmp_path / "first.npz"))
    # equal arrays under one key (the test split, 'lr', a model written twice) merge as before
    merged = boot.load_predictions([str(tmp_path / "first.npz"), str(tmp_path / "same.npz")], "next", "next")
    assert sorted(merged) == sorted({**test, **lr, **first})
    for key, value in {**test, **lr, **first}.items():
        np.testing.assert_array_equal(merged[key], value)


def test_predictions_file_holds_what_the_table_reports(tmp_path, monkeypatch):
    data = load_movielens(str(_tiny_movielens(tmp_path).path), valid_fraction=0.3)
    bench = _bench()
    n = len(data.test["like"])
    rng = np.random.RandomState(2)

    def fake(name, d, setting, seed, max_epochs):
        return [(0.6 + 0.01 * seed, {"like": rng.uniform(size=n), "love": rng.uniform(size=n)})]

    monkeypatch.setattr(bench, "train_ours", fake)
    import tf1_recsys.data

    monkeypatch.setattr(tf1_recsys.data, "load_movielens", lambda *a, **k: data)
    fixed = {t: {"auc": 0.5, "gauc": 0.5} for t in ("like", "love")}
    monkeypatch.setattr(bench, "knn_reference", lambda d, log: (fixed, "fake", 0.5))
    path = str(tmp_path / "p.npz")
    out = str(tmp_path / "t.md")
    assert bench.main(["--protocol", "rating", "--models", "din", "--seeds", "0", "3", "--predictions", path,
                       "--markdown", out]) == 0
    z = np.load(path)
    np.testing.assert_array_equal(z["rating/test/like"], data.test["like"])
    np.testing.assert_array_equal(z["rating/test/user"], data.test["user"])
    table = open(out).read()
    for seed in (0, 3):
        want = bench.evaluate(data.test["like"], z["rating/din/seed%d/like" % seed], data.test["user"])
        assert "%.4f / %.4f" % (want["auc"], want["gauc"]) in table
    lr = bench.evaluate(data.test["like"], z["rating/lr/like"], data.test["user"])
    assert "| logistic regression | like | %.4f | %.4f |" % (lr["auc"], lr["gauc"]) in table
