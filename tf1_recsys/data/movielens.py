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
  to train. Every test rating of a user is thus no earlier than their train ratings.
* Extra arrays (ignored by the models): ``user_id``, ``movie_id`` (raw ids),
  ``rating``, ``timestamp``.
"""
import dataclasses
import os
from typing import Dict

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

    def describe(self):
        return "MovieLens %s: %d users, %d movies, %d train / %d test ratings, like rate %.3f" % (
            self.path, self.schema.get("user").vocab_size - 1, self.schema.get("movie").vocab_size - 1,
            len(self.train["user"]), len(self.test["user"]), self.train["like"].mean())


def movielens_schema(num_users, num_movies, num_genres, max_genres, max_hist):
    return Schema(
        features=[
            Feature("user", "slot", vocab_size=num_users + 1),
            Feature("movie", "slot", vocab_size=num_movies + 1),
            Feature("genres", "multi", vocab_size=num_genres + 1, max_len=max_genres, pooling="mean"),
            Feature("hist_movie", "sequence", vocab_size=num_movies + 1, max_len=max_hist, query="movie"),
        ],
        labels=("like", "love"),
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


def load_movielens(path, test_fraction=0.2, max_hist=50, max_users=None):
    """Loads ml-latest-small from the folder ``path``.

    Args:
      path: folder holding ratings.csv and movies.csv.
      test_fraction: each user's latest share of ratings that goes to test.
      max_hist: length of the behaviour sequence (most recent earlier ratings).
      max_users: keep only the first ``max_users`` users by userId (for quick tests).

    Returns:
      ``MovieLensData``. Arrays: user/movie int64 [N]; genres int64 [N, G];
      hist_movie int64 [N, max_hist]; like/love float32 [N]; user_id, movie_id int64;
      rating float32; timestamp int64.

    Raises:
      DataError: a missing folder or file, or a malformed row (file and line).
    """
    if not os.path.isdir(path):
        raise DataError("%s: no such folder (expected ml-latest-small with ratings.csv and movies.csv)" % path)
    if not 0 < test_fraction < 1:
        raise ValueError("load_movielens: test_fraction must be in (0, 1); got %r." % test_fraction)
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

    # vocabularies
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

    # time order within user, file order breaking ties; split and histories per user
    order = np.lexsort((np.arange(len(user)), ts, user))
    user, movie, user_raw, movie_raw, rating, ts = (
        a[order] for a in (user, movie, user_raw, movie_raw, rating, ts))
    bounds = np.flatnonzero(np.diff(user)) + 1
    starts, ends = np.concatenate([[0], bounds]), np.concatenate([bounds, [len(user)]])
    is_test = np.zeros(len(user), bool)
    hist = np.zeros((len(user), max_hist), np.int64)
    for s, e in zip(starts, ends):
        n = e - s
        if n >= 2:
            n_test = min(max(int(np.floor(test_fraction * n + 0.5)), 1), n - 1)
            is_test[e - n_test:e] = True
        hist[s:e] = _history(movie[s:e], ts[s:e], ts[s:e], max_hist)

    if not is_test.any():
        raise DataError("%s: no user has two or more ratings, so the per-user test split would be empty"
                        % ratings_csv)
    data = {
        "user": user.astype(np.int64), "movie": movie.astype(np.int64),
        "genres": movie_genres[movie], "hist_movie": hist,
        "like": (rating >= 4).astype(np.float32), "love": (rating == 5).astype(np.float32),
        "user_id": user_raw, "movie_id": movie_raw, "rating": rating, "timestamp": ts,
    }
    schema = movielens_schema(len(users), len(movie_ids), len(genres), max_genres, max_hist)
    return MovieLensData(schema, take(data, ~is_test), take(data, is_test), genres, path)
