"""The data order of a run: which examples global step ``s`` trains on.

The order is a pure function of ``(n, batch_size, seed, shuffle)`` and the step, so a
resumed run continues at the very batch where the interrupted one stopped:
``epoch = step // steps_per_epoch`` selects a permutation drawn from
``numpy.random.default_rng([seed, epoch])``, and ``step % steps_per_epoch`` the slice.
"""
import numpy as np


def steps_per_epoch(n, batch_size):
    """``ceil(n / batch_size)``: the last batch of an epoch holds the remainder."""
    return -(-int(n) // int(batch_size))


def epoch_order(n, seed, epoch, shuffle=True):
    """The example indices of ``epoch`` in training order, int64 [n]."""
    if not shuffle:
        return np.arange(n, dtype=np.int64)
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n).astype(np.int64)


def batch_indices(n, batch_size, seed, step, shuffle=True):
    """The example indices of global step ``step`` (0-based), int64 [<= batch_size]."""
    spe = steps_per_epoch(n, batch_size)
    epoch, within = divmod(int(step), spe)
    order = epoch_order(n, seed, epoch, shuffle)
    return order[within * batch_size:(within + 1) * batch_size]


def check_arrays(data, keys, what):
    """Checks that ``data`` (dict name -> array) has ``keys`` with one common length; returns it.

    Raises:
      ValueError naming the missing keys, or the arrays whose lengths differ.
    """
    if not isinstance(data, dict):
        raise TypeError("%s: expected a dict of numpy arrays keyed by name; got %s." % (what, type(data).__name__))
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(
            "%s: missing arrays %s; the model needs %s (given: %s)." % (what, missing, list(keys), sorted(data))
        )
    lengths = {k: len(data[k]) for k in keys}
    if len(set(lengths.values())) > 1:
        raise ValueError("%s: arrays have different lengths: %s." % (what, lengths))
    n = next(iter(lengths.values())) if lengths else 0
    if n == 0:
        raise ValueError("%s: no examples." % what)
    return n


def take(data, keys, index):
    """``{k: np.asarray(data[k])[index]}`` for ``k`` in ``keys``."""
    return {k: np.asarray(data[k])[index] for k in keys}


__all__ = ["steps_per_epoch", "epoch_order", "batch_indices", "check_arrays", "take"]
