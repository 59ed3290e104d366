"""What ``install()`` puts where: one row per TensorFlow path that tf1_recsys fills in.

``tf1-recsys doctor`` reads this table to say which TF1 names run after ``install(...)``,
and ``tests/test_doctor.py`` checks it against what ``install()`` really does (every row
is set by its flag, and every module ``install()`` sets is a row), so the two cannot drift.

When ``install()`` learns to put a module somewhere new, add a row to ``PROVISIONS``:

- ``target``: the dotted TensorFlow path, spelled from ``tensorflow`` (``tensorflow.compat.v1.layers``);
- ``module``: the tf1_recsys module that path then resolves to;
- ``flag``: the ``install()`` keyword that enables it, or ``None`` for what a bare ``install()`` does;
- ``importable``: whether ``import <target>`` / ``from <target> import x`` also works
  (``install()`` registers it in ``sys.modules``), not only attribute access (``tf.compat.v1.layers``).

Plain data: the modules are named here, not imported.
"""
from collections import namedtuple

Provision = namedtuple("Provision", ["target", "module", "flag", "importable"])

PROVISIONS = (
    Provision("tensorflow.compat.v1.layers", "tf1_recsys.compat.layers", None, True),
    Provision("tensorflow.compat.v1.nn.rnn_cell", "tf1_recsys.compat.rnn_cell", None, True),
    Provision("tensorflow.compat.v1.contrib", "tf1_recsys.compat.contrib", "contrib", False),
    Provision("tensorflow.estimator", "tf1_recsys.estimator", "estimator", False),
    Provision("tensorflow.compat.v1.estimator", "tf1_recsys.estimator", "estimator", False),
    Provision("tensorflow.compat.v2.estimator", "tf1_recsys.estimator", "estimator", False),
)


def provisions(flags=None):
    """The rows of ``PROVISIONS`` that ``install(**{flag: True for flag in flags})`` applies.

    ``flags=None``: every row. A bare ``install()`` (``flags=()``) applies the rows whose flag is None.
    """
    if flags is None:
        return list(PROVISIONS)
    return [p for p in PROVISIONS if p.flag is None or p.flag in flags]


def install_flags():
    """The keyword flags of ``install()`` that some row needs, in table order."""
    seen = []
    for p in PROVISIONS:
        if p.flag is not None and p.flag not in seen:
            seen.append(p.flag)
    return seen


__all__ = ["Provision", "PROVISIONS", "provisions", "install_flags"]
