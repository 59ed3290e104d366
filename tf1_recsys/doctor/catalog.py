"""What a TensorFlow name is on the installed TensorFlow, and after ``tf1_recsys.compat.install(...)``.

``Catalog().verdict(path, import_depth)`` answers for one dotted path spelled from
``tensorflow`` (``("tensorflow", "nn", "rnn_cell", "GRUCell")``). It never builds a graph:
the installed TensorFlow is asked by walking its module attributes, and tf1_recsys by
walking what the tables of ``tf1_recsys.compat.provides`` say ``install()`` puts where: the
modules of ``PROVISIONS``, the import paths of the ``ModuleAliases`` finders of ``ALIAS_TABLES``
(``tensorflow.contrib...``) and the private names of ``PRIVATE_NAME_TABLES``
(``tensorflow.python.ops.rnn_cell_impl._Linear``). Importing this module does not import
TensorFlow; ``Catalog()`` does. Keras-backed lazy modules (``tf.compat.v1.layers`` and
``tf.compat.v1.nn.rnn_cell`` on TensorFlow 2.16+) are recognised by their loader object
and never loaded: with Keras 3 they are stubs that raise on use. TF1 -> TF2 moves come
from the tables of TensorFlow's own ``tf_upgrade_v2`` when the wheel ships them.
"""
import difflib
import importlib
import importlib.metadata
import os
import types
from collections import namedtuple

NATIVE, INSTALL, MOVED, MISSING, PRIVATE, UNRESOLVED = "native", "install", "moved", "missing", "private", "unresolved"
STATUSES = (NATIVE, INSTALL, MOVED, MISSING, PRIVATE, UNRESOLVED)

Verdict = namedtuple("Verdict", ["status", "flags", "to", "alternative", "note", "works"])
Verdict.__new__.__defaults__ = ((), None, None, None, True)
Verdict.__doc__ = """One name's status. ``flags``: install() flags it needs (``None`` = a bare install());
``to``: where a moved name lives now; ``works``: False for a private name that is gone."""

# Walk outcomes.
_OK, _ABSENT, _STUB, _KERAS = "ok", "absent", "stub", "keras"
_PRIVATE_ROOTS = ("python", "core", "tools", "lite", "compiler")


def _keras_flavour():
    """Which Keras TensorFlow's lazy loaders would import, read from package metadata (no import).

    ``"tf_keras"`` (TF_USE_LEGACY_KERAS set and tf_keras installed), ``"keras2"``,
    ``"keras3"`` or ``"none"``.
    """
    def version(dist):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    if os.environ.get("TF_USE_LEGACY_KERAS") in ("true", "True", "1") and version("tf_keras"):
        return "tf_keras"
    keras = version("keras")
    if keras is None:
        return "none"
    return "keras3" if keras.split(".")[0] >= "3" else "keras2"


def _lazy_loader_kind(value):
    """``None`` for an ordinary object; else ``"keras"`` or ``"plain"`` for TensorFlow's LazyLoader modules."""
    if not isinstance(value, types.ModuleType) or type(value) is types.ModuleType:
        return None
    names = [cls.__name__ for cls in type(value).__mro__]
    if "LazyLoader" not in names:
        return None
    target = vars(value).get("__name__") or ""
    if "KerasLazyLoader" in names or target.split(".")[0] in ("keras", "tf_keras"):
        return "keras"
    return "plain"


def _is_legacy_keras_stub(loader, flavour):
    """Whether the Keras-backed ``loader`` raises on use with the Keras that would be imported."""
    if flavour in ("none",):
        return True
    if flavour != "keras3":
        return False
    state = vars(loader)
    submodule = state.get("_tfll_submodule") or ""
    target = state.get("__name__") or ""
    # TensorFlow's KerasLazyLoader refuses every name of a `__internal__.legacy.*` submodule under Keras 3.
    return submodule.startswith("__internal__.legacy.") or ".legacy." in target


def _load_upgrade_tables():
    """(renames, addons) from ``tensorflow.tools.compatibility.all_renames_v2``, or empty ones.

    ``renames``: ``"tf.X" -> "tf.Y"`` (tf_upgrade_v2's symbol renames, the manual ones
    included, e.g. ``tf.contrib.data.parallel_interleave`` -> ``tf.data.experimental.parallel_interleave``);
    ``addons``: ``tf.contrib`` names tf_upgrade_v2 points at TensorFlow Addons.
    """
    try:
        from tensorflow.tools.compatibility import all_renames_v2
    except Exception:  # not shipped in this wheel: moves then come only from the tf.compat.v1 rule
        return {}, {}
    return dict(all_renames_v2.symbol_renames), dict(getattr(all_renames_v2, "addons_symbol_mappings", {}))


def display(parts):
    """``("tensorflow", "compat", "v1", "layers")`` -> ``"tf.compat.v1.layers"`` (private paths keep ``tensorflow``)."""
    if len(parts) > 1 and parts[1] in _PRIVATE_ROOTS:
        return ".".join(parts)
    return ".".join(("tf",) + tuple(parts[1:]))


def _table_key(parts):
    """The tf_upgrade_v2 spelling of a path: ``tf.`` plus what follows ``tensorflow[.compat.v1]``."""
    rest = tuple(parts[1:])
    if rest[:2] in (("compat", "v1"), ("compat", "v2")):
        rest = rest[2:]
    return "tf." + ".".join(rest) if rest else "tf"


class Catalog:
    """The installed TensorFlow plus what ``tf1_recsys.compat.install()`` provides; verdicts are cached."""

    def __init__(self, provisions=None, alias_tables=None, private_names=None):
        import tensorflow

        from tf1_recsys.compat import provides  # the compat package imports TensorFlow

        provisions = provides.PROVISIONS if provisions is None else provisions
        self._aliases = provides.alias_tables() if alias_tables is None else alias_tables
        self._private = {}  # (TensorFlow module, name) -> PrivateName
        for row in provides.private_names() if private_names is None else private_names:
            self._private[(row.module, row.name)] = row
        self.tensorflow = tensorflow
        self.version = tensorflow.__version__
        self.keras = _keras_flavour()
        self._provisions = {p.target: p for p in provisions}
        self._renames, self._addons = _load_upgrade_tables()
        self.tables = "tf_upgrade_v2 (installed TensorFlow)" if self._renames else "none shipped"
        self._verdicts = {}
        self._walks = {}
        self._leaves = None  # last name -> [(target path, flag)] of what install() provides

    # -- walking ---------------------------------------------------------------------------------------------
    def _child(self, parent, fullname, part, importing):
        """(outcome, object) of ``parent.part`` without loading Keras."""
        value = vars(parent).get(part, _ABSENT) if isinstance(parent, types.ModuleType) else _ABSENT
        if value is _ABSENT:
            try:
                value = getattr(parent, part)
            except Exception:  # AttributeError, or a module __getattr__ that fails to import
                value = _ABSENT
        if value is _ABSENT and isinstance(parent, types.ModuleType) and hasattr(parent, "__path__") and (
                importing or fullname.split(".")[1:2][0] in _PRIVATE_ROOTS):
            try:
                value = importlib.import_module(fullname)
            except Exception:  # ImportError, or the module failing while it imports
                value = _ABSENT
        if value is _ABSENT:
            return _ABSENT, None
        kind = _lazy_loader_kind(value)
        if kind == "keras":
            return (_STUB if _is_legacy_keras_stub(value, self.keras) else _KERAS), value
        if kind == "plain":
            try:
                dir(value)  # loads it (tensorflow_estimator behind tf.estimator on TF <= 2.15)
            except Exception:
                return _ABSENT, None
        if importing and not isinstance(value, types.ModuleType):
            return _ABSENT, None
        return _OK, value

    def _installed_child(self, parent, parts, i, importing, imported):
        """(object, flag) that ``install()`` makes ``parts[:i + 1]`` resolve to, or None where it provides nothing.

        ``imported``: how many leading components the file reaches through import statements, the
        only ones an import-path finder serves (``tf.contrib`` stays an attribute nobody sets).
        """
        fullname = ".".join(parts[:i + 1])
        provision = self._provisions.get(fullname)
        if provision is not None and (provision.importable or not importing):
            return importlib.import_module(provision.module), provision.flag
        if i < imported:
            for finder, flag in self._aliases:
                served = finder.serves(fullname)
                if served is not None:
                    target = served[0]  # None: the empty package on the way to a deeper alias
                    return (types.ModuleType(fullname) if target is None else importlib.import_module(target)), flag
        row = self._private.get((".".join(parts[:i]), parts[i]))
        if row is not None and not importing:
            if row.only_where_missing and self._child(parent, fullname, parts[i], False)[0] == _OK:
                return None
            from tf1_recsys.compat.provides import resolve

            return resolve(row.source), row.flag
        return None

    def _walk(self, parts, import_depth, installed, imported=0):
        """(outcome, flags used, where it stopped, object reached) of resolving ``parts`` natively or with every
        provision."""
        key = (parts, import_depth, installed, imported)
        if key in self._walks:
            return self._walks[key]
        obj, used, outcome, stop = self.tensorflow, set(), _OK, len(parts)
        for i in range(1, len(parts)):
            if not isinstance(obj, (types.ModuleType, type)):
                break  # an object's attributes are its own business (tf.app.flags.FLAGS.batch_size)
            importing = i < import_depth
            provided = self._installed_child(obj, parts, i, importing, imported) if installed else None
            if provided is not None:
                obj = provided[0]
                used.add(provided[1])
                continue
            outcome, obj = self._child(obj, ".".join(parts[:i + 1]), parts[i], importing)
            if outcome != _OK:
                stop = i
                break
        result = (outcome, frozenset(used), stop, obj)
        self._walks[key] = result
        return result

    # -- verdicts --------------------------------------------------------------------------------------------
    def verdict(self, parts, import_depth=0, imported=None):
        """The ``Verdict`` of ``parts`` (a tuple starting with ``"tensorflow"``).

        ``import_depth``: how many leading components an import statement needs as modules
        (``import a.b`` -> 2; ``from a.b import c`` -> 2, with ``c`` an attribute).
        ``imported``: how many leading components the file imports (import paths such as
        ``tensorflow.contrib.rnn`` exist only when imported); default: all of an import
        statement's (``len(parts)``), none beyond ``tensorflow`` for a name in code.
        """
        parts = tuple(parts)
        if imported is None:
            imported = len(parts) if import_depth else 1
        key = (parts, import_depth, imported)
        if key not in self._verdicts:
            self._verdicts[key] = self._decide(parts, import_depth, imported)
        return self._verdicts[key]

    def _decide(self, parts, import_depth, imported):
        native, _, stop, _ = self._walk(parts, import_depth, installed=False)
        stub_note = None
        if native == _STUB:
            stub_note = "%s exists here but is a Keras %s stub that raises on use" % (
                display(parts[:stop + 1]), "3" if self.keras == "keras3" else "(none installed)")
        private = len(parts) > 1 and parts[1] in _PRIVATE_ROOTS
        if native in (_OK, _KERAS):
            note = "through Keras (%s); its names are not checked" % self.keras if native == _KERAS else None
            if private:
                return Verdict(PRIVATE, note=note or "works on TensorFlow %s; private, may change" % self.version)
            return Verdict(NATIVE, note=note)
        installed, flags, _, _ = self._walk(parts, import_depth, installed=True, imported=imported)
        if installed == _OK and flags:
            if private:
                stub_note = "a private TensorFlow 1.x name, gone from TensorFlow %s: fragile" % self.version
            return Verdict(INSTALL, flags=_sorted_flags(flags), note=stub_note)
        if private:
            return Verdict(PRIVATE, works=False, note="gone from TensorFlow %s" % self.version,
                           alternative=self._nearest(parts, import_depth, imported))
        moved = self._moved(parts, import_depth)
        if moved is not None:
            return moved._replace(note=stub_note)
        return Verdict(MISSING, alternative=self._alternative(parts, import_depth, imported), note=stub_note)

    def _target_flags(self, target, attribute_tail):
        """install() flags a ``tf.X`` name of the tables needs (``()``: none), or None when it is not usable.

        ``attribute_tail``: how many trailing components may be attributes (the rest must be
        modules when the name comes from an import statement; None: all attributes).
        """
        parts = ("tensorflow",) + tuple(target.split(".")[1:])
        depth = 0 if attribute_tail is None else max(len(parts) - attribute_tail, 1)
        native, _, _, _ = self._walk(parts, depth, installed=False)
        if native in (_OK, _KERAS):
            return ()
        installed, flags, _, _ = self._walk(parts, depth, installed=True)
        return _sorted_flags(flags) if installed == _OK and flags else None

    def _moved(self, parts, import_depth):
        key = _table_key(parts)
        candidates = []
        if key in self._renames:
            candidates.append(self._renames[key])
        if parts[1:3] != ("compat", "v1") and key != "tf":
            candidates.append("tf.compat.v1." + key[3:])
        for target in candidates:
            if not target.startswith("tf.") or target == display(parts):
                continue
            flags = self._target_flags(target, len(parts) - import_depth if import_depth else None)
            if flags is not None:
                return Verdict(MOVED, flags=flags, to=target)
        return None

    def _alternative(self, parts, import_depth, imported):
        key = _table_key(parts)
        provided = self._provided_elsewhere(parts)
        if provided:
            return provided
        if key in self._addons:
            return self._addons[key] + " (TensorFlow Addons)"
        if key in self._renames and self._renames[key] not in (key, display(parts)):
            return self._renames[key] + " (tf_upgrade_v2's name; not usable here either)"
        return self._nearest(parts, import_depth, imported)

    def _provided_elsewhere(self, parts):
        """Where install() provides a name with the same last component, e.g. ``batch_norm`` of
        ``tf.contrib.layers.python.layers`` -> ``tf.compat.v1.contrib.layers.batch_norm``; the path
        sharing most components wins."""
        if self._leaves is None:
            self._leaves = {}
            for provision in self._provisions.values():
                self._index(importlib.import_module(provision.module), provision.target, provision.flag, 3)
        candidates = self._leaves.get(parts[-1], [])
        if not candidates:
            return None
        target, flag = max(candidates, key=lambda c: (len(set(c[0].split(".")) & set(parts)), -len(c[0])))
        return "%s (after %s)" % (display(tuple(target.split("."))), install_line([flag]))

    def _index(self, module, target, flag, depth):
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            self._leaves.setdefault(name, []).append((target + "." + name, flag))
            value = vars(module).get(name)
            if depth > 1 and isinstance(value, types.ModuleType) and value.__name__.startswith(module.__name__ + "."):
                self._index(value, target + "." + name, flag, depth - 1)

    def _nearest(self, parts, import_depth, imported=0):
        """A close name beside the first missing component, natively or after install, e.g. ``tf.nn.gru``."""
        for installed in (False, True):
            outcome, _, stop, _ = self._walk(parts, import_depth, installed, imported if installed else 0)
            if outcome != _ABSENT or stop < 1:
                continue
            parent = parts[:stop]
            found, _, _, obj = self._walk(parent, 0, installed, min(imported, stop) if installed else 0)
            if found != _OK:
                continue
            names = [n for n in dir(obj) if not n.startswith("_")]
            close = difflib.get_close_matches(parts[stop], names, n=1, cutoff=0.75)
            if close:
                return display(parent + (close[0],))
        return None


def _sorted_flags(flags):
    """Flags in a stable order, ``None`` (a bare install()) first."""
    return tuple(sorted(flags, key=lambda f: (f is not None, f or "")))


def install_line(flags):
    """The call that provides ``flags``: ``tf1_recsys.compat.install(contrib=True)``."""
    named = sorted(f for f in flags if f is not None)
    return "tf1_recsys.compat.install(%s)" % ", ".join("%s=True" % f for f in named)


__all__ = ["Catalog", "Verdict", "STATUSES", "NATIVE", "INSTALL", "MOVED", "MISSING", "PRIVATE", "UNRESOLVED",
           "display", "install_line"]
