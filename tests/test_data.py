"""The data package: synthetic generator, MovieLens loader (no look-ahead), CSV helpers."""
import os

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from conftest import MOVIELENS
from tf1_recsys.data import DataError, generate, load_movielens, read_scores, write_scores
from tf1_recsys.data.synthetic import UNUSED_FEATURES


@pytest.fixture(scope="module")
def syn():
    return generate(num_impressions=6000, seed=3)


def test_synthetic_shapes_match_schema(syn):
    for split in (syn.train, syn.test):
        n = syn.schema.check(split)
        for f in syn.schema.features:
            a = split[f.name]
            if f.kind == "real":
                assert a.dtype == np.float32 and a.shape == (n,)
            else:
                assert a.dtype == np.int64 and a.min() >= 0 and a.max() < f.vocab_size
        for t in syn.schema.labels:
            assert set(np.unique(split[t])) <= {0.0, 1.0}
    assert len(syn.train["user"]) + len(syn.test["user"]) == 6000
    assert len(syn.test["user"]) == 1200


def test_synthetic_sequences_are_right_padded_and_consistent(syn):
    h, c = syn.train["hist_item"], syn.train["hist_cat"]
    real = h > 0
    assert np.array_equal(real, c > 0)
    # padding only on the right
    assert not np.any(~real[:, :-1] & real[:, 1:])
    assert real.sum(1).min() >= syn.config.min_hist
    # an item always has the same category, in the sequence and as the shown item
    items = np.concatenate([h[real], syn.train["item"]])
    cats = np.concatenate([c[real], syn.train["cat"]])
    order = np.argsort(items, kind="stable")
    items, cats = items[order], cats[order]
    same_item = items[1:] == items[:-1]
    assert np.all(cats[1:][same_item] == cats[:-1][same_item])


def test_synthetic_is_seeded(syn):
    again = generate(num_impressions=6000, seed=3)
    other = generate(num_impressions=6000, seed=4)
    for k in syn.train:
        assert np.array_equal(syn.train[k], again.train[k])
    assert not np.array_equal(syn.train["user"], other.train["user"])


def test_bayes_auc_is_the_auc_of_the_true_probabilities(syn):
    for split in ("train", "test"):
        data = getattr(syn, split)
        for task in syn.schema.labels:
            p = syn.probabilities[split][task]
            assert p.shape == data[task].shape
            assert syn.bayes_auc[split][task] == pytest.approx(roc_auc_score(data[task], p), abs=1e-12)
    assert 0.7 < syn.bayes_auc["test"]["click"] < 0.85


def test_labels_are_drawn_from_the_probabilities():
    d = generate(num_impressions=40000, seed=1)
    for task in d.schema.labels:
        p, y = d.probabilities["train"][task], d.train[task]
        assert abs(y.mean() - p.mean()) < 0.01
        # binned calibration of the draws
        bins = np.digitize(p, [0.2, 0.4, 0.6, 0.8])
        for b in np.unique(bins):
            sel = bins == b
            if sel.sum() > 1000:
                assert abs(y[sel].mean() - p[sel].mean()) < 0.03
    assert UNUSED_FEATURES == ("noise",)
    assert abs(np.corrcoef(d.train["noise"], d.train["click"])[0, 1]) < 0.03


def test_generate_rejects_bad_sizes():
    with pytest.raises(ValueError):
        generate(num_impressions=5)
    with pytest.raises(ValueError):
        generate(num_items=3, num_categories=5)


# ------------------------------------------------------------------ MovieLens
needs_movielens = pytest.mark.skipif(not os.path.isdir(MOVIELENS), reason="ml-latest-small not present")


@pytest.fixture(scope="module")
def ml():
    return load_movielens(MOVIELENS)


def _all(ml):
    return {k: np.concatenate([ml.train[k], ml.test[k]]) for k in ml.train}


@needs_movielens
def test_movielens_labels_and_features(ml):
    for split in (ml.train, ml.test):
        ml.schema.check(split)
        assert np.array_equal(split["like"], (split["rating"] >= 4).astype(np.float32))
        assert np.array_equal(split["love"], (split["rating"] == 5).astype(np.float32))
    assert len(ml.train["user"]) + len(ml.test["user"]) == 100836
    # Toy Story (movieId 1): Adventure|Animation|Children|Comedy|Fantasy
    row = np.flatnonzero(ml.train["movie_id"] == 1)[0]
    names = [ml.genres[g - 1] for g in ml.train["genres"][row] if g > 0]
    assert names == ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]


@needs_movielens
def test_movielens_split_is_each_users_last_fifth(ml):
    tr, te = ml.train, ml.test
    users = np.unique(tr["user"])
    assert np.array_equal(users, np.unique(te["user"]))
    last_train = np.zeros(users.max() + 1, np.int64)
    first_test = np.full(users.max() + 1, np.iinfo(np.int64).max)
    np.maximum.at(last_train, tr["user"], tr["timestamp"])
    np.minimum.at(first_test, te["user"], te["timestamp"])
    assert np.all(last_train[users] <= first_test[users])
    n_train = np.bincount(tr["user"], minlength=users.max() + 1)[users]
    n_test = np.bincount(te["user"], minlength=users.max() + 1)[users]
    n = n_train + n_test
    assert np.all(n_test == np.floor(0.2 * n + 0.5).astype(int))


@needs_movielens
def test_movielens_history_has_no_look_ahead(ml):
    a = _all(ml)
    when = {(u, m): t for u, m, t in zip(a["user"], a["movie"], a["timestamp"])}
    by_user = {}
    for (u, m), t in when.items():
        by_user.setdefault(u, {})[m] = t
    rng = np.random.default_rng(0)
    for i in rng.choice(len(a["user"]), 400, replace=False):
        u, t, hist = a["user"][i], a["timestamp"][i], a["hist_movie"][i]
        real = hist[hist > 0]
        assert all(when[(u, m)] < t for m in real)
        assert a["movie"][i] not in real
        # the most recent earlier ratings, oldest first
        earlier = sorted((w, m) for m, w in by_user[u].items() if w < t)
        expected_times = [w for w, _ in earlier][-hist.shape[0]:]
        assert len(real) == len(expected_times)
        assert [when[(u, m)] for m in real] == expected_times


def test_movielens_missing_folder_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_movielens(str(tmp_path / "nope"))
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,2,4.0,100\n1,x,3.0,101\n")
    (tmp_path / "movies.csv").write_text("movieId,title,genres\n2,A,Drama\n")
    with pytest.raises(DataError, match=r"ratings.csv:3: malformed row"):
        load_movielens(str(tmp_path))


def test_movielens_loader_on_a_tiny_folder(tmp_path):
    (tmp_path / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n"
        + "".join("1,%d,%s,%d\n" % (m, r, t) for m, r, t in
                  [(10, 4.0, 5), (20, 2.0, 5), (30, 5.0, 7), (10, 1.0, 1), (40, 3.5, 9)])
        + "2,20,4.5,3\n2,30,3.0,4\n")
    (tmp_path / "movies.csv").write_text(
        "movieId,title,genres\n10,A,Drama|Comedy\n20,B,(no genres listed)\n30,C,Drama\n40,D,Horror\n")
    d = load_movielens(str(tmp_path), max_hist=3)
    # user 1: ratings sorted by time: (10,t1) then (10,t5),(20,t5) tie, (30,t7), (40,t9) -> 1 test
    assert d.test["user_id"].tolist() == [1, 2]
    assert d.test["movie_id"].tolist() == [40, 30]
    tr = d.train
    rows = {(u, m, t): h for u, m, t, h in zip(tr["user_id"], tr["movie_id"], tr["timestamp"], tr["hist_movie"])}
    movie = lambda mid: {10: 1, 20: 2, 30: 3, 40: 4}[mid]
    assert rows[(1, 10, 1)].tolist() == [0, 0, 0]
    # the two ratings at t=5 do not see each other
    assert rows[(1, 10, 5)].tolist() == [movie(10), 0, 0]
    assert rows[(1, 20, 5)].tolist() == [movie(10), 0, 0]
    assert rows[(1, 30, 7)].tolist() == [movie(10), movie(10), movie(20)]
    assert d.test["hist_movie"][0].tolist() == [movie(10), movie(20), movie(30)]  # last 3 of 4
    g = tr["genres"][tr["movie_id"] == 20][0]
    assert g.tolist() == [0, 0]



def test_movielens_ties_in_time_keep_the_file_order_in_later_histories(tmp_path):
    # ml-latest-small has 15790 same-second pairs of one user; their order in a history is the file's
    # (movie 60, never rated, is the negatives' pool)
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,30,4.0,5\n1,10,4.0,5\n1,20,4.0,3\n"
                                          "1,40,4.0,7\n1,50,4.0,8\n")
    movies = (10, 20, 30, 40, 50, 60)
    (tmp_path / "movies.csv").write_text("movieId,title,genres\n" + "".join("%d,M,Drama\n" % m for m in movies))
    d = load_movielens(str(tmp_path), max_hist=4, protocol="next")
    index = {10: 1, 20: 2, 30: 3, 40: 4, 50: 5}
    hist = {int(m): h.tolist() for split in (d.train, d.valid, d.test)
            for m, h, y in zip(split["movie_id"], split["hist_movie"], split["next"]) if y == 1}
    assert hist[40] == [index[20], index[30], index[10], 0]  # by time, then file order: 30 before 10
    assert hist[50] == [index[20], index[30], index[10], index[40]]  # the most recent last
    assert hist[10] == hist[30] == [index[20], 0, 0, 0]  # same-second ratings do not see each other


# ------------------------------------------------------------------ CSV
def test_read_scores_with_and_without_header(tmp_path):
    p = tmp_path / "s.csv"
    write_scores(str(p), [1, 0, 1], [0.9, 0.2, 0.4], ["a", "a", "b"])
    y, s, g = read_scores(str(p))
    assert y.tolist() == [1, 0, 1] and s.tolist() == [0.9, 0.2, 0.4] and g.tolist() == ["a", "a", "b"]
    p.write_text("1,0.5\n0,0.25\n\n")
    y, s, g = read_scores(str(p))
    assert y.tolist() == [1, 0] and g is None


@pytest.mark.parametrize("text, where", [
    ("label,score\n1,0.5\n0,abc\n", ":3: malformed"),
    ("label,score\n1,0.5\n2,0.1\n", ":3: malformed"),
    ("1,0.5,u1\n0,0.1\n", ":2: expected 3 fields"),
    ("1,0.5\n0,nan\n", ":2: malformed"),
    ("label,score\n", "no rows"),
    ("1\n", ":1: expected label,score"),
])
def test_read_scores_names_file_and_line(tmp_path, text, where):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(DataError) as e:
        read_scores(str(p))
    assert str(p) in str(e.value) and where in str(e.value)


def test_read_scores_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_scores(str(tmp_path / "missing.csv"))


def _write_movielens(folder, ratings, movies):
    """ratings: (userId, movieId, rating, timestamp) rows; movies: movieIds (genre Drama)."""
    folder.mkdir(exist_ok=True)
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" +
                                        "".join("%d,%d,%.1f,%d\n" % r for r in ratings))
    (folder / "movies.csv").write_text("movieId,title,genres\n" + "".join("%d,M%d,Drama\n" % (m, m) for m in movies))
    return str(folder)


def test_movielens_next_protocol_against_a_loop_over_each_users_history(tmp_path):
    rng = np.random.default_rng(3)
    movies = list(range(10, 60))
    ratings = []
    for user in (5, 7, 9):
        n = {5: 6, 7: 3, 9: 12}[user]
        for k, m in enumerate(rng.choice(movies, n, replace=False)):
            ratings.append((user, int(m), 4.0, 100 + k // 2))  # pairs share a timestamp
    data = load_movielens(_write_movielens(tmp_path / "ml", ratings, movies), protocol="next", max_hist=4,
                          negative_seed=11)
    assert data.schema.labels == ("next",) and data.protocol == "next"
    index = {m: i + 1 for i, m in enumerate(sorted(movies))}
    expected = {"train": [], "valid": [], "test": []}
    for user in (5, 7, 9):
        mine = [r for r in ratings if r[0] == user]
        for k in range(1, len(mine)):
            hist = [index[m] for _, m, _, t in mine[:k] if t < mine[k][3]][-4:]
            split = "test" if len(mine) >= 4 and k == len(mine) - 1 else (
                "valid" if len(mine) >= 4 and k == len(mine) - 2 else "train")
            expected[split].append((user, index[mine[k][1]], tuple(hist + [0] * (4 - len(hist)))))
    for split in ("train", "valid", "test"):
        rows = getattr(data, split)
        pos = rows["next"] == 1
        got = sorted(zip(rows["user_id"][pos].tolist(), rows["movie"][pos].tolist(), map(tuple, rows["hist_movie"][pos].tolist())))
        assert got == sorted(expected[split]), split
        assert pos.sum() == (~pos).sum()  # one negative per positive, with the same history
        neg = ~pos
        for u, m, h in zip(rows["user_id"][neg], rows["movie_id"][neg], rows["hist_movie"][neg]):
            assert m not in {r[1] for r in ratings if r[0] == u}, "a negative the user rated"
            assert tuple(h) in {e[2] for e in expected[split] if e[0] == u}
    again = load_movielens(str(tmp_path / "ml"), protocol="next", max_hist=4, negative_seed=11)
    np.testing.assert_array_equal(again.train["movie"], data.train["movie"])
    other = load_movielens(str(tmp_path / "ml"), protocol="next", max_hist=4, negative_seed=12)
    assert not np.array_equal(other.train["movie"], data.train["movie"])


def test_movielens_rating_protocol_validation_split_is_the_latest_training_ratings(tmp_path):
    ratings = [(1, m, 3.0 + (m % 3), m) for m in range(1, 21)] + [(2, m, 4.0, 50 - m) for m in range(1, 11)]
    data = load_movielens(_write_movielens(tmp_path / "ml", ratings, range(1, 21)), valid_fraction=0.25)
    for user, n in ((1, 20), (2, 10)):
        times = sorted(r[3] for r in ratings if r[0] == user)
        n_test = int(np.floor(0.2 * n + 0.5))
        n_valid = int(np.floor(0.25 * (n - n_test) + 0.5))
        for split, want in (("test", times[n - n_test:]), ("valid", times[n - n_test - n_valid:n - n_test]),
                            ("train", times[:n - n_test - n_valid])):
            rows = getattr(data, split)
            assert sorted(rows["timestamp"][rows["user_id"] == user].tolist()) == want, (user, split)
    assert load_movielens(str(tmp_path / "ml")).valid is None
    with pytest.raises(ValueError, match="unknown `protocol` 'amazon'"):
        load_movielens(str(tmp_path / "ml"), protocol="amazon")


def test_interest_drift_makes_recent_behaviours_the_signal():
    d = generate(num_impressions=6000, seed=4, interest_drift=True)
    x = d.train
    T = x["hist_cat"].shape[1]
    length = (x["hist_cat"] > 0).sum(1)
    pos = np.arange(T)[None, :]
    weight = np.where(pos < length[:, None], 2.0 * (pos + 1) / length[:, None], 0.0)
    m = ((x["hist_cat"] == x["cat"][:, None]) * weight).sum(1)
    # the click logit rises with the recency-weighted matches: the probabilities are ordered by m
    # for a fixed price / user / item term, so check the correlation over all rows
    p = d.probabilities["train"]["click"]
    assert np.corrcoef(1 - np.exp(-m / 3), p)[0, 1] > 0.5
    half = pos < (length[:, None] + 1) // 2
    early = ((x["hist_cat"] == x["cat"][:, None]) & half & (pos < length[:, None])).sum(1)
    late = ((x["hist_cat"] == x["cat"][:, None]) & ~half & (pos < length[:, None])).sum(1)
    assert roc_auc_score(x["click"], late) > roc_auc_score(x["click"], early) + 0.02
