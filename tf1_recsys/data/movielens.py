"""MovieLens ``ml-latest-small`` as a CTR data set, split by time without look-ahead.

Reads ``<path>/ratings.csv`` (userId, movieId, rating, timestamp) and
``<path>/movies.csv`` (movieId, title, genres). No TensorFlow import; the package never
needs this data set, only a path to it.

* Labels: ``like`` = rating >= 4 (the main task), ``love`` = rating == 5 (MMoE's second task).
* Features: ``user`` and ``movie`` (slots, contiguous indices from 1: users by sorted
  userId, movies by sorted movieId of movies.csv), ``genres`` (a multi-valued slot of
  the movie's genres, mean-pooled; "(no genres listed)" gives no genre), and
  ``hist_movie``: the movies the user rated *strictly before* this rating's timestamp,
  oldest first, the last ``max_hist`` of them (0-padded on the right). Ratings with the
  same timestamp never see each other: no look-ahead, even within a batch of ratings.
* Split: each user's ratings are sorted by (timestamp, file order); the last
  ``round(test_fraction * n)`` (at least 1, leaving at least 1) go to test, the rest
  to train (and optionally the latest ``valid_fraction`` of those to validation). Every
  test rating of a user is thus no earlier than their train ratings.
* ``protocol='next'`` instead predicts the next movie a user rates against a random one
  they never rated, with the same history (the DIN paper's Amazon protocol); see
  ``load_movielens``.
* Extra arrays (ignored by the models): ``user_id``, ``movie_id`` (raw ids),
  ``rating``, ``timestamp``.
"""
import dataclasses
import os
from typing import Dict, Optional

import numpy as np

from tf1_recsys.data.csvio import DataError, finite_float, int64_id, read_rows
from tf1_recsys.data.schema import Feature, Schema, take

NO_GENRE = "(no genres listed)"


@dataclasses.dataclass
class MovieLensData:
    """What ``load_movielens`` returns: ``schema``, ``train`` / ``test`` data dicts, vocabularies."""

    schema: Schema
    train: Dict[str, np.ndarray]
    test: Dict[str, np.ndarray]
    genres: list
    path: str
    valid: Optional[Dict[str, np.ndarray]] = None
    protocol: str = "rating"

    def describe(self):
        label = self.schema.labels[0]
        valid = "" if self.valid is None else " / %d validation" % len(self.valid["user"])
        what = "ratings" if self.protocol == "rating" else "rows (next-movie protocol: positives and sampled negatives)"
        return "MovieLens %s: %d users, %d movies, %d train%s / %d test %s, %s rate %.3f" % (
            self.path, self.schema.get("user").vocab_size - 1, self.schema.get("movie").vocab_size - 1,
            len(self.train["user"]), valid, len(self.test["user"]), what, label, self.train[label].mean())


def movielens_schema(num_users, num_movies, num_genres, max_genres, max_hist, labels=("like", "love")):
    return Schema(
        features=[
            Feature("user", "slot", vocab_size=num_users + 1),
            Feature("movie", "slot", vocab_size=num_movies + 1),
            Feature("genres", "multi", vocab_size=num_genres + 1, max_len=max_genres, pooling="mean"),
            Feature("hist_movie", "sequence", vocab_size=num_movies + 1, max_len=max_hist, query="movie"),
        ],
        labels=tuple(labels),
        group="user",
    )


def _history(movies, times, query_times, max_hist):
    """[n, max_hist]: per query time, the last ``max_hist`` of ``movies`` rated strictly earlier.

    ``movies`` / ``times`` are one user's ratings sorted by time; ``query_times`` [n] sorted too.
    """
    before = np.searchsorted(times, query_times, side="left")  # ratings strictly earlier
    start = np.maximum(before - max_hist, 0)
    length = before - start
    cols = np.arange(max_hist)
    if len(movies) == 0:
        return np.zeros((len(query_times), max_hist), np.int64)
    pos = np.minimum(start[:, None] + cols[None, :], len(movies) - 1)
    return np.where(cols[None, :] < length[:, None], movies[pos], 0)


def _rating(text):
    value = finite_float(text)
    if value < 0:
        raise ValueError("rating %s is negative" % text.strip())
    return value


PROTOCOLS = ("rating", "next")


def load_movielens(path, test_fraction=0.2, max_hist=50, max_users=None, protocol="rating",
                   valid_fraction=0.0, negative_seed=0):
    """Loads ml-latest-small from the folder ``path`` under one of two protocols.

    ``protocol='rating'``: every rating is a row, labels ``like`` (rating >= 4) and
    ``love`` (rating == 5); each user's last ``test_fraction`` of ratings by time is the
    test split and, with ``valid_fraction`` > 0, the last ``valid_fraction`` of each user's
    remaining ratings the validation split.

    ``protocol='next'`` (the DIN paper's Amazon protocol): for each user's k-th rating
    by time (k >= 1, so that the history is not empty), the movie rated at k with the
    movies rated strictly before it as ``hist_movie`` is a positive (label ``next`` = 1),
    and a movie the user never rated, drawn uniformly from the catalogue (movies.csv and
    ratings.csv) with ``numpy.random.default_rng([negative_seed, userId])``, with the same
    history is a negative. Each user's last position is test, the one before validation
    (users with fewer than 4 ratings are train only). ``test_fraction`` and
    ``valid_fraction`` do not apply.

    Args:
      path: folder holding ratings.csv and movies.csv.
      test_fraction: ('rating') each user's latest share of ratings that goes to test.
      max_hist: length of the behaviour sequence (most recent earlier ratings).
      max_users: keep only the first ``max_users`` users by userId (for quick tests).
      protocol: 'rating' or 'next'.
      valid_fraction: ('rating') share of each user's training ratings, the latest,
        held out as the validation split; 0 gives no validation split.
      negative_seed: ('next') seed of the negatives.

    Returns:
      ``MovieLensData`` with ``train``, ``valid`` (None for 'rating' without
      ``valid_fraction``) and ``test``. Arrays: user/movie int64 [N]; genres int64 [N, G];
      hist_movie int64 [N, max_hist]; labels float32 [N] (like/love, or next); user_id,
      movie_id int64; timestamp int64; 'rating' also has rating float32.

    Raises:
      DataError: a missing folder or file, or a malformed row (file and line), or a
        split that would be empty.
    """
    if protocol not in PROTOCOLS:
        raise ValueError("load_movielens: unknown `protocol` %r; expected one of %s." % (protocol, ", ".join(PROTOCOLS)))
    if not os.path.isdir(path):
        raise DataError("%s: no such folder (expected ml-latest-small with ratings.csv and movies.csv)" % path)
    if not 0 < test_fraction < 1:
        raise ValueError("load_movielens: test_fraction must be in (0, 1); got %r." % test_fraction)
    if not 0 <= valid_fraction < 1:
        raise ValueError("load_movielens: valid_fraction must be in [0, 1); got %r." % valid_fraction)
    r = _read(path, max_users)
    if protocol == "next":
        return _next_protocol(r, path, max_hist, negative_seed)
    return _rating_protocol(r, path, max_hist, test_fraction, valid_fraction)


def _read(path, max_users):
    """Ratings sorted by (user, time, file order) and the catalogue, as index arrays."""
    ratings_csv, movies_csv = os.path.join(path, "ratings.csv"), os.path.join(path, "movies.csv")
    user_raw, movie_raw, rating, ts = read_rows(
        ratings_csv, ["userId", "movieId", "rating", "timestamp"], [int64_id, int64_id, _rating, int64_id])
    mid, _, genre_text = read_rows(movies_csv, ["movieId", "title", "genres"], [int64_id, str, str])
    user_raw, movie_raw = np.asarray(user_raw, np.int64), np.asarray(movie_raw, np.int64)
    rating, ts = np.asarray(rating, np.float32), np.asarray(ts, np.int64)
    if len(user_raw) == 0:
        raise DataError("%s: no ratings" % ratings_csv)
    if max_users is not None:
        keep = np.isin(user_raw, np.unique(user_raw)[:max_users])
        user_raw, movie_raw, rating, ts = user_raw[keep], movie_raw[keep], rating[keep], ts[keep]

    users = np.unique(user_raw)
    movie_ids = np.unique(np.concatenate([np.asarray(mid, np.int64), movie_raw]))
    genre_lists = {}
    for m, g in zip(mid, genre_text):
        genre_lists[m] = [x for x in g.split("|") if x and x != NO_GENRE]
    genres = sorted({x for gl in genre_lists.values() for x in gl})
    genre_index = {g: i + 1 for i, g in enumerate(genres)}
    max_genres = max([len(gl) for gl in genre_lists.values()] + [1])
    movie_genres = np.zeros((len(movie_ids) + 1, max_genres), np.int64)
    for m, gl in genre_lists.items():
        row = np.searchsorted(movie_ids, m) + 1
        movie_genres[row, :len(gl)] = [genre_index[x] for x in gl]

    user = np.searchsorted(users, user_raw) + 1
    movie = np.searchsorted(movie_ids, movie_raw) + 1
    order = np.lexsort((np.arange(len(user)), ts, user))  # time order within user, file order breaking ties
    user, movie, user_raw, movie_raw, rating, ts = (a[order] for a in (user, movie, user_raw, movie_raw, rating, ts))
    bounds = np.flatnonzero(np.diff(user)) + 1
    return dict(user=user, movie=movie, user_raw=user_raw, movie_raw=movie_raw, rating=rating, ts=ts,
                starts=np.concatenate([[0], bounds]), ends=np.concatenate([bounds, [len(user)]]),
                users=users, movie_ids=movie_ids, genres=genres, movie_genres=movie_genres,
                max_genres=max_genres, ratings_csv=ratings_csv)


def _histories(r, max_hist):
    hist = np.zeros((len(r["user"]), max_hist), np.int64)
    for s, e in zip(r["starts"], r["ends"]):
        hist[s:e] = _history(r["movie"][s:e], r["ts"][s:e], r["ts"][s:e], max_hist)
    return hist


def _latest(n, fraction):
    """How many of a user's n items (the latest) a split of ``fraction`` takes: >= 1, leaving >= 1."""
    return min(max(int(np.floor(fraction * n + 0.5)), 1), n - 1) if n >= 2 else 0


def _rating_protocol(r, path, max_hist, test_fraction, valid_fraction):
    n_rows = len(r["user"])
    split = np.zeros(n_rows, np.int8)  # 0 train, 1 valid, 2 test
    for s, e in zip(r["starts"], r["ends"]):
        n_test = _latest(e - s, test_fraction)
        split[e - n_test:e] = 2
        if valid_fraction:
            n_valid = _latest(e - s - n_test, valid_fraction)
            split[e - n_test - n_valid:e - n_test] = 1
    if not (split == 2).any():
        raise DataError("%s: no user has two or more ratings, so the per-user test split would be empty"
                        % r["ratings_csv"])
    if valid_fraction and not (split == 1).any():
        raise DataError("%s: no user has three or more ratings, so the validation split would be empty"
                        % r["ratings_csv"])
    data = {
        "user": r["user"].astype(np.int64), "movie": r["movie"].astype(np.int64),
        "genres": r["movie_genres"][r["movie"]], "hist_movie": _histories(r, max_hist),
        "like": (r["rating"] >= 4).astype(np.float32), "love": (r["rating"] == 5).astype(np.float32),
        "user_id": r["user_raw"], "movie_id": r["movie_raw"], "rating": r["rating"], "timestamp": r["ts"],
    }
    schema = movielens_schema(len(r["users"]), len(r["movie_ids"]), len(r["genres"]), r["max_genres"], max_hist)
    valid = take(data, split == 1) if valid_fraction else None
    return MovieLensData(schema, take(data, split == 0), take(data, split == 2), r["genres"], path,
                         valid=valid, protocol="rating")


def _next_protocol(r, path, max_hist, negative_seed):
    hist_all = _histories(r, max_hist)
    num_movies = len(r["movie_ids"])
    rows, split = [], []
    for s, e in zip(r["starts"], r["ends"]):
        n = e - s
        if n < 2:
            continue
        seen = np.unique(r["movie"][s:e])
        unseen = np.setdiff1d(np.arange(1, num_movies + 1), seen, assume_unique=True)
        if len(unseen) == 0:
            continue
        positions = np.arange(s + 1, e)  # k >= 1: a non-empty history
        rng = np.random.default_rng([int(negative_seed), int(r["user_raw"][s])])
        negatives = unseen[rng.integers(0, len(unseen), size=len(positions))]
        part = np.zeros(len(positions), np.int8)
        if n >= 4:
            part[-1], part[-2] = 2, 1
        rows.append((positions, negatives))
        split.append(part)
    if not rows:
        raise DataError("%s: no user has two or more ratings; the 'next' protocol needs a history"
                        % r["ratings_csv"])
    positions = np.concatenate([p for p, _ in rows])
    negatives = np.concatenate([neg for _, neg in rows])
    part = np.concatenate(split)
    if not (part == 2).any():
        raise DataError("%s: no user has four or more ratings, so the 'next' test split would be empty"
                        % r["ratings_csv"])
    movie = np.concatenate([r["movie"][positions], negatives]).astype(np.int64)
    inverse_ids = np.concatenate([[0], r["movie_ids"]])
    data = {
        "user": np.tile(r["user"][positions], 2).astype(np.int64), "movie": movie,
        "genres": r["movie_genres"][movie], "hist_movie": np.tile(hist_all[positions], (2, 1)),
        "next": np.repeat(np.array([1.0, 0.0], np.float32), len(positions)),
        "user_id": np.tile(r["user_raw"][positions], 2), "movie_id": inverse_ids[movie],
        "timestamp": np.tile(r["ts"][positions], 2),
    }
    part = np.tile(part, 2)
    schema = movielens_schema(len(r["users"]), num_movies, len(r["genres"]), r["max_genres"], max_hist,
                              labels=("next",))
    return MovieLensData(schema, take(data, part == 0), take(data, part == 2), r["genres"], path,
                         valid=take(data, part == 1), protocol="next")
