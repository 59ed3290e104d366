"""The item-kNN reference of tools/bench_movielens.py against a direct re-implementation."""
import importlib.util
import os

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
        earlier = [(mj, r) for d in (tr, te) for uj, mj, tj, r in zip(d["user"], d["movie"], d["timestamp"], d["rating"])
                   if uj == u and tj < t]
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
