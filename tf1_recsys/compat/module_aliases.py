"""Import paths that TensorFlow no longer has, served by our modules while installed: ``ModuleAliases``.

A prefix map ``{alias: target}`` such as::

    {"tensorflow.contrib": "tf1_recsys.compat.contrib",
     "tensorflow.contrib.layers.python.layers": "tf1_recsys.compat.contrib.layers"}

makes ``alias`` and every ``alias.a.b`` importable as ``target.a.b``; the longest alias
that prefixes a name wins. Every import form works (``import alias.a as x``,
``from alias import a``, ``from alias.a import name``, ``import alias.a``). A name between
an alias and a longer one that has no module of its own (``tensorflow.contrib.layers.python``)
is an empty package, so the longer path can be reached; a name whose target does not exist
(an optional module not installed), and that leads to no alias whose target exists, is simply
not importable: ``ModuleNotFoundError`` names it.

``sys.modules`` gets, under each alias name, an ``AliasModule``: a module object of its own
whose attributes are read from the target module, so importing through an alias never
changes our modules. ``install()`` puts the finder first on ``sys.meta_path`` and sets aside
modules already imported under an alias name; ``uninstall()`` removes the finder and every
alias module, puts back what was set aside, and restores the attributes the import system
set on real parent packages (``tensorflow.contrib``).
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

_MISSING = object()


def _find_spec(name):
    """The spec of module ``name``, or None when it (or a parent package) does not exist."""
    try:
        return importlib.util.find_spec(name)
    except ImportError:
        return None


class AliasModule(types.ModuleType):
    """The module under an alias name; attribute reads and ``dir()`` go to ``target``.

    The import system sets each imported child module on its parent package. Where the target
    itself defines that name as something other than a module (``arg_scope`` the function
    beside the TF 1.x module ``...python.ops.arg_scope``), the target's value stays visible, as
    it did in TF 1.x, whose packages re-exported the function after importing the module.
    """

    def __init__(self, name, target):
        super().__init__(name, target.__doc__)
        vars(self)["_alias_target"] = target

    def __getattr__(self, name):
        target = vars(self)["_alias_target"]
        try:
            return getattr(target, name)
        except AttributeError:
            if name == "__all__":  # `from alias import *` of a target without __all__
                return [n for n in dir(target) if not n.startswith("_")]
            raise AttributeError("module %r has no attribute %r" % (self.__name__, name)) from None

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and not name.startswith("__"):
            own = getattr(vars(self)["_alias_target"], name, None)
            if own is not None and not isinstance(own, types.ModuleType):
                return
        super().__setattr__(name, value)

    def __dir__(self):
        return sorted(set(dir(vars(self)["_alias_target"])) | set(vars(self)) - {"_alias_target"})

    def __repr__(self):
        return "<module %r (alias of %r)>" % (self.__name__, vars(self)["_alias_target"].__name__)


class ModuleAliases(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A ``sys.meta_path`` finder serving the import paths of ``prefix_map`` (alias -> target)."""

    def __init__(self, prefix_map):
        for alias, target in prefix_map.items():
            if not alias or not target or alias.startswith(".") or target.startswith("."):
                raise ValueError("ModuleAliases: aliases and targets must be absolute module names; got %r -> %r."
                                 % (alias, target))
        self._map = dict(prefix_map)
        self._created = {}  # alias name -> the module this finder made for it
        self._set_aside = {}  # alias name -> the module sys.modules held before install()
        self._parent_attrs = []  # (real parent module, attribute, previous value or _MISSING)

    @property
    def prefix_map(self):
        """A copy of the alias -> target map."""
        return dict(self._map)

    def installed(self):
        return any(finder is self for finder in sys.meta_path)

    def target_name(self, fullname):
        """The module ``fullname`` is served by, or None when no alias prefixes it."""
        alias = max((a for a in self._map if fullname == a or fullname.startswith(a + ".")), key=len, default=None)
        return None if alias is None else self._map[alias] + fullname[len(alias):]

    def _covers(self, name):
        return self.target_name(name) is not None

    def install(self):
        """Puts the finder first on ``sys.meta_path``. Idempotent."""
        if self.installed():
            return
        for name in list(sys.modules):
            if self._covers(name):
                self._set_aside[name] = sys.modules.pop(name)
        sys.meta_path.insert(0, self)

    def uninstall(self):
        """Undoes ``install()`` and every import made through it. Idempotent."""
        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]
        created = {id(module) for module in self._created.values()}
        for name, module in self._created.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
        for parent, attr, previous in reversed(self._parent_attrs):
            if id(vars(parent).get(attr)) not in created:
                continue  # changed since by someone else: theirs to keep
            if previous is _MISSING:
                delattr(parent, attr)
            else:
                setattr(parent, attr, previous)
        sys.modules.update(self._set_aside)
        self._created.clear()
        self._set_aside.clear()
        self._parent_attrs.clear()

    def serves(self, fullname):
        """What ``import fullname`` gives while installed, without importing anything: ``(target, spec of the
        target, has_rows_below)``, with target None for an empty package on the way to a deeper alias; or None
        when this finder does not serve ``fullname`` (no alias prefixes it, or its target does not exist and
        no alias below it has one)."""
        target_name = self.target_name(fullname)
        if target_name is None:
            return None
        target_spec = _find_spec(target_name)
        has_rows_below = any(alias.startswith(fullname + ".") and _find_spec(target) is not None
                             for alias, target in self._map.items())
        if target_spec is None and not has_rows_below:
            return None
        return (target_name if target_spec is not None else None), target_spec, has_rows_below

    # importlib.abc.MetaPathFinder
    def find_spec(self, fullname, path=None, target=None):
        served = self.serves(fullname)
        if served is None:
            return None
        target_name, target_spec, has_rows_below = served
        if target_spec is not None:
            spec = importlib.machinery.ModuleSpec(
                fullname, self, origin="alias of " + target_name,
                is_package=has_rows_below or target_spec.submodule_search_locations is not None)
            spec.loader_state = target_name
        else:
            spec = importlib.machinery.ModuleSpec(fullname, self, is_package=True)  # an empty package on the way
            spec.loader_state = None
        self._remember_parent_attr(fullname)
        return spec

    def _remember_parent_attr(self, fullname):
        parent_name, _, attr = fullname.rpartition(".")
        parent = sys.modules.get(parent_name)
        if parent is None or any(parent is module for module in self._created.values()):
            return
        if all(p is not parent or a != attr for p, a, _ in self._parent_attrs):
            self._parent_attrs.append((parent, attr, vars(parent).get(attr, _MISSING)))

    # importlib.abc.Loader
    def create_module(self, spec):
        if spec.loader_state is None:
            module = types.ModuleType(spec.name, "Empty package on the way to the aliases below it.")
        else:
            module = AliasModule(spec.name, importlib.import_module(spec.loader_state))
            # Its own import attributes, not the target's (the import system sets only missing ones):
            # children are found by this finder alone, never in the target's directory.
            own = {"__loader__": self, "__package__": spec.parent}
            if spec.submodule_search_locations is not None:
                own["__path__"] = []
            vars(module).update(own)
        self._created[spec.name] = module
        return module

    def exec_module(self, module):
        pass  # the target module ran when it was imported


__all__ = ["ModuleAliases", "AliasModule"]
