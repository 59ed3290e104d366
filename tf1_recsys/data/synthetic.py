"""A seeded synthetic CTR data set whose click probabilities are known.

The story the generator tells (all draws from one ``numpy.random.Generator(seed)``):

1. Items 1..I each belong to one of C categories; each has a popularity bias
   ``item_bias ~ N(0, 0.5)`` and, for the second task, ``item_quality ~ N(0, 0.7)``.
2. Users 1..U each have latent interests ``theta_u ~ Dirichlet(0.3)`` over the
   categories and an activity bias ``user_bias ~ N(0, 0.4)``.
3. An impression picks a user uniformly. Its behaviour sequence holds ``L ~ U{min_hist..max_hist}``
   earlier items whose categories are drawn from ``theta_u`` (``hist_item``, ``hist_cat``).
   The shown item's category comes from ``theta_u`` half of the time and is uniform
   otherwise; the item is uniform within its category. ``price`` ~ N(0, 1) is drawn
   per impression.
4. ``m`` = the number of history items in the shown item's category;
   ``affinity = 1 - exp(-m / 3)``.

       click logit = -1.2 + 2.5 affinity + user_bias + item_bias - 0.5 price
       like  logit = -1.5 + 1.2 affinity + 0.5 user_bias + item_quality + 0.4 price

   and each label is a Bernoulli draw of ``sigmoid(logit)`` (the two draws are independent).

With ``interest_drift=True`` each user also has a second interest ``theta'_u`` (a later
Dirichlet draw): the behaviour at position t of L is drawn from ``theta'_u`` with
probability t / (L - 1) and from ``theta_u`` otherwise (the interest moves from old to
new along the history), the shown item's own-interest category comes from ``theta'_u``
(the current interest), and ``m`` counts the history's matches weighted by recency,
``2 (t + 1) / L`` (mean weight about 1): the order of the behaviours now matters.

The probabilities depend only on what a model is shown (the ids, the sequence and
``price``), so the Bayes-optimal AUC, the AUC of the true probabilities against the
drawn labels, is what a perfect model would score on the same rows. One feature is
drawn but never used for a label: ``noise`` (real-valued, N(0, 1)); a gradient-sensitivity
report should rank it last. (``hist_item`` matters only through ``hist_cat``, the
categories of the same items.)
"""
import dataclasses
from typing import Dict

import numpy as np

from tf1_recsys.data.schema import Feature, Schema, take

UNUSED_FEATURES = ("noise",)
"""Features the generator draws but never uses for a label."""


@dataclasses.dataclass
class SyntheticConfig:
    """Sizes and seed of the generated data (defaults: the demo's)."""

    num_users: int = 500
    num_items: int = 300
    num_categories: int = 20
    num_impressions: int = 300000
    min_hist: int = 3
    max_hist: int = 20
    test_fraction: float = 0.2
    seed: int = 0
    interest_drift: bool = False
    """Off (default): the story above, whose histories are i.i.d. (their order carries nothing).
    On: each user's interest drifts along the history, for DIEN's interest evolution to find
    (see ``generate``); the default data, and so every existing number, are unchanged."""


@dataclasses.dataclass
class SyntheticData:
    """What ``generate`` returns.

    Attributes:
      schema: the feature schema (labels 'click' and 'like', group 'user').
      train, test: data dicts ``name -> np.ndarray`` (see ``tf1_recsys.data.schema``).
      probabilities: ``{'train'|'test': {task: float64 [N]}}``, the true probabilities.
      bayes_auc: ``{'train'|'test': {task: float}}``, the AUC of the true probabilities
        against the drawn labels on that split: the best AUC any model can expect.
      config: the ``SyntheticConfig`` used.
    """

    schema: Schema
    train: Dict[str, np.ndarray]
    test: Dict[str, np.ndarray]
    probabilities: Dict[str, Dict[str, np.ndarray]]
    bayes_auc: Dict[str, Dict[str, float]]
    config: SyntheticConfig

    def describe(self):
        c = self.config
        rates = ", ".join("%s rate %.3f" % (t, self.train[t].mean()) for t in self.schema.labels)
        return "synthetic CTR data (seed %d): %d users, %d items, %d categories, %d train / %d test rows, %s" % (
            c.seed, c.num_users, c.num_items, c.num_categories,
            len(self.train["user"]), len(self.test["user"]), rates)


def synthetic_schema(config=None):
    """The schema of ``generate(config)``'s data."""
    c = config or SyntheticConfig()
    return Schema(
        features=[
            Feature("user", "slot", vocab_size=c.num_users + 1),
            Feature("item", "slot", vocab_size=c.num_items + 1),
            Feature("cat", "slot", vocab_size=c.num_categories + 1),
            Feature("hist_item", "sequence", vocab_size=c.num_items + 1, max_len=c.max_hist, query="item"),
            Feature("hist_cat", "sequence", vocab_size=c.num_categories + 1, max_len=c.max_hist, query="cat"),
            Feature("price", "real"),
            Feature("noise", "real"),
        ],
        labels=("click", "like"),
        group="user",
    )


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _draw_categories(rng, cum_interest, shape):
    """Categories 1..C drawn from each row's cumulative interest [N, C]; returns int64 [N, *shape]."""
    u = rng.random((cum_interest.shape[0],) + shape + (1,))
    cum = cum_interest.reshape((cum_interest.shape[0],) + (1,) * len(shape) + (-1,))
    return np.minimum((u > cum).sum(-1) + 1, cum_interest.shape[1]).astype(np.int64)


def generate(config=None, **overrides):
    """Generates a data set; ``overrides`` replace fields of ``config`` (e.g. ``seed=3``).

    Returns:
      a ``SyntheticData``. Feature arrays: user/item/cat int64 [N];
      hist_item/hist_cat int64 [N, max_hist] (0-padded on the right); price/noise
      float32 [N]; labels click/like float32 [N].
    """
    c = dataclasses.replace(config or SyntheticConfig(), **overrides)
    if c.num_impressions < 10 or not 0 < c.test_fraction < 1:
        raise ValueError("generate: need num_impressions >= 10 and 0 < test_fraction < 1.")
    if c.num_items < c.num_categories or c.num_categories < 1:
        raise ValueError("generate: need 1 <= num_categories <= num_items.")
    if not 1 <= c.min_hist <= c.max_hist:
        raise ValueError("generate: need 1 <= min_hist <= max_hist.")
    rng = np.random.default_rng(c.seed)
    C, n, T = c.num_categories, c.num_impressions, c.max_hist

    item_cat = rng.integers(1, C + 1, c.num_items + 1)
    item_cat[0] = 0
    item_cat[1:C + 1] = np.arange(1, C + 1)  # every category has an item
    item_bias = rng.normal(0.0, 0.5, c.num_items + 1)
    item_quality = rng.normal(0.0, 0.7, c.num_items + 1)
    interest = rng.dirichlet(0.3 * np.ones(C), c.num_users + 1)
    user_bias = rng.normal(0.0, 0.4, c.num_users + 1)
    items_of_cat = [np.flatnonzero(item_cat == k) for k in range(C + 1)]

    def items_in(cats):
        out = np.zeros(cats.shape, np.int64)
        for k in range(1, C + 1):
            where = cats == k
            pool = items_of_cat[k]
            out[where] = pool[rng.integers(0, len(pool), where.sum())]
        return out

    user = rng.integers(1, c.num_users + 1, n)
    cum = np.cumsum(interest[user], axis=1)
    hist_len = rng.integers(c.min_hist, T + 1, n)
    pad = np.arange(T)[None, :] >= hist_len[:, None]
    hist_cat = _draw_categories(rng, cum, (T,))
    hist_cat[pad] = 0
    hist_item = items_in(hist_cat)
    own = rng.random(n) < 0.5
    cat = np.where(own, _draw_categories(rng, cum, ()), rng.integers(1, C + 1, n))
    item = items_in(cat)
    price = rng.normal(0.0, 1.0, n)
    noise = rng.normal(0.0, 1.0, n)

    weight = np.ones((n, T))
    if c.interest_drift:  # extra draws after the default ones: the default data stay as they were
        cum_new = np.cumsum(rng.dirichlet(0.3 * np.ones(C), c.num_users + 1)[user], axis=1)
        late = rng.random((n, T)) < np.arange(T)[None, :] / np.maximum(hist_len - 1, 1)[:, None]
        hist_cat = np.where(late, _draw_categories(rng, cum_new, (T,)), hist_cat)
        hist_cat[pad] = 0
        hist_item = items_in(hist_cat)
        cat = np.where(own, _draw_categories(rng, cum_new, ()), cat)
        item = items_in(cat)
        weight = np.where(pad, 0.0, 2.0 * (np.arange(T)[None, :] + 1) / hist_len[:, None])
    matches = ((hist_cat == cat[:, None]) * weight).sum(axis=1)
    affinity = 1.0 - np.exp(-matches / 3.0)
    p_click = _sigmoid(-1.2 + 2.5 * affinity + user_bias[user] + item_bias[item] - 0.5 * price)
    p_like = _sigmoid(-1.5 + 1.2 * affinity + 0.5 * user_bias[user] + item_quality[item] + 0.4 * price)
    click = (rng.random(n) < p_click).astype(np.float32)
    like = (rng.random(n) < p_like).astype(np.float32)

    data = {
        "user": user.astype(np.int64), "item": item.astype(np.int64), "cat": cat.astype(np.int64),
        "hist_item": hist_item, "hist_cat": hist_cat,
        "price": price.astype(np.float32), "noise": noise.astype(np.float32),
        "click": click, "like": like,
    }
    probs = {"click": p_click, "like": p_like}
    order = rng.permutation(n)
    n_test = max(1, int(round(n * c.test_fraction)))
    splits = {"train": np.sort(order[n_test:]), "test": np.sort(order[:n_test])}
    from tf1_recsys.metrics import auc

    probabilities = {s: {t: p[idx] for t, p in probs.items()} for s, idx in splits.items()}
    bayes = {
        s: {t: float(auc(data[t][idx], probabilities[s][t])) for t in probs} for s, idx in splits.items()
    }
    return SyntheticData(
        schema=synthetic_schema(c),
        train=take(data, splits["train"]),
        test=take(data, splits["test"]),
        probabilities=probabilities,
        bayes_auc=bayes,
        config=c,
    )
