"""What ``install()`` puts where: one row per TensorFlow path, import-path table and private-name table it fills in.

``tf1-recsys doctor`` reads this table to say which TF1 names run after ``install(...)``,
and ``tests/test_doctor.py`` checks it against what ``install()`` really does (every row
is set by its flag, and every module ``install()`` sets is a row), so the two cannot drift.

When ``install()`` learns to put a module somewhere new, add a row to ``PROVISIONS``:

- ``target``: the dotted TensorFlow path, spelled from ``tensorflow`` (``tensorflow.compat.v1.layers``);
- ``module``: the tf1_recsys module that path then resolves to;
- ``flag``: the ``install()`` keyword that enables it, or ``None`` for what a bare ``install()`` does;
- ``importable``: whether ``import <target>`` / ``from <target> import x`` also works
  (``install()`` registers it in ``sys.modules``), not only attribute access (``tf.compat.v1.layers``).

When ``install()`` learns to serve import paths through a ``ModuleAliases`` finder
(``tf1_recsys.compat.module_aliases``), add one row to ``ALIAS_TABLES``: the finder, named
``"module:attribute"``, the flag that puts it on ``sys.meta_path`` and, where ``install()`` puts it
there only under a condition, ``only_if``: the ``"module:function"`` of that condition. When it learns to put
private TensorFlow 1.x names into ``tensorflow.python...`` modules, add one row to
``PRIVATE_NAME_TABLES``: a ``{TensorFlow module: {name: "module:attribute" of the value}}``
table, its flag, and whether each name is set only where TensorFlow lacks it.

Plain data: the modules are named here, not imported; ``alias_tables()`` and ``private_names()`` import them.
"""
import importlib
from collections import namedtuple

Provision = namedtuple("Provision", ["target", "module", "flag", "importable"])

PROVISIONS = (
    Provision("tensorflow.compat.v1.layers", "tf1_recsys.compat.layers", None, True),
    Provision("tensorflow.compat.v1.nn.rnn_cell", "tf1_recsys.compat.rnn_cell", None, True),
    Provision("tensorflow.compat.v1.contrib", "tf1_recsys.compat.contrib", "contrib", False),
    Provision("tensorflow.estimator", "tf1_recsys._api.v2.estimator", "estimator", False),
    Provision("tensorflow.compat.v1.estimator", "tf1_recsys.estimator", "estimator", False),
    Provision("tensorflow.compat.v2.estimator", "tf1_recsys._api.v2.estimator", "estimator", False),
)

AliasTable = namedtuple("AliasTable", ["aliases", "flag", "only_if"], defaults=[None])

ALIAS_TABLES = (
    AliasTable("tf1_recsys.compat.contrib_paths:CONTRIB_ALIASES", "contrib"),
    AliasTable("tf1_recsys.compat.estimator_paths:ESTIMATOR_ALIASES", "estimator",
               "tf1_recsys.compat.estimator_paths:real_estimator_missing"),
)

PrivateNameTable = namedtuple("PrivateNameTable", ["table", "flag", "only_where_missing"])

PRIVATE_NAME_TABLES = (
    PrivateNameTable("tf1_recsys.compat.install_rnn:PRIVATE_NAMES", "private_names", False),
    PrivateNameTable("tf1_recsys.compat.install_rnn:MOVED_PRIVATE_NAMES", "private_names", True),
)

PrivateName = namedtuple("PrivateName", ["module", "name", "source", "flag", "only_where_missing"])


def resolve(reference):
    """The object a ``"module:attribute.chain"`` reference names (imports the module)."""
    module, _, chain = reference.partition(":")
    value = importlib.import_module(module)
    for attribute in chain.split("."):
        value = getattr(value, attribute)
    return value


def _applies(flag, flags):
    return flags is None or flag is None or flag in flags


def provisions(flags=None):
    """The rows of ``PROVISIONS`` that ``install(**{flag: True for flag in flags})`` applies.

    ``flags=None``: every row. A bare ``install()`` (``flags=()``) applies the rows whose flag is None.
    """
    if flags is None:
        return list(PROVISIONS)
    return [p for p in PROVISIONS if _applies(p.flag, flags)]


def alias_tables(flags=None):
    """[(ModuleAliases finder, flag)] of ``ALIAS_TABLES`` that ``install(...)`` with ``flags`` puts on sys.meta_path
    (here, now: a row with ``only_if`` counts where its condition holds)."""
    return [(resolve(row.aliases), row.flag) for row in ALIAS_TABLES
            if _applies(row.flag, flags) and (row.only_if is None or resolve(row.only_if)())]


def private_names(flags=None):
    """``PrivateName`` rows (TensorFlow module, name, ``"module:attribute"`` of the value, flag, only where
    missing) of ``PRIVATE_NAME_TABLES`` that ``install(...)`` with ``flags`` sets."""
    rows = []
    for row in PRIVATE_NAME_TABLES:
        if _applies(row.flag, flags):
            for module, names in resolve(row.table).items():
                rows.extend(PrivateName(module, name, source, row.flag, row.only_where_missing)
                            for name, source in names.items())
    return rows


def install_flags():
    """The keyword flags of ``install()`` that some row of the three tables needs, in table order."""
    seen = []
    for row in PROVISIONS + ALIAS_TABLES + PRIVATE_NAME_TABLES:
        if row.flag is not None and row.flag not in seen:
            seen.append(row.flag)
    return seen


__all__ = ["Provision", "PROVISIONS", "AliasTable", "ALIAS_TABLES", "PrivateNameTable", "PRIVATE_NAME_TABLES",
           "PrivateName", "resolve", "provisions", "alias_tables", "private_names", "install_flags"]
