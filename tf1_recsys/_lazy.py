"""Package attributes loaded from their submodules on first use (module ``__getattr__``, PEP 562).

Used by the packages whose import must stay free of TensorFlow (``metrics`` for the
``auc`` command, ``estimator`` for the launcher, ``testing`` for the pytest entry point).
"""
import importlib
import sys


def lazy_exports(package, exports, submodules=()):
    """``(__getattr__, __dir__)`` for ``package``, whose names ``exports`` (name -> submodule) load lazily.

    ``submodules`` are names of submodules that are attributes themselves (``package.name``),
    imported on first use. A name, once loaded, is cached in the package's namespace.
    """
    def __getattr__(name):
        if name in submodules:
            return importlib.import_module("%s.%s" % (package, name))  # the import sets the attribute
        if name not in exports:
            raise AttributeError("module %r has no attribute %r" % (package, name))
        value = getattr(importlib.import_module("%s.%s" % (package, exports[name])), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(exports) | set(submodules))

    return __getattr__, __dir__
