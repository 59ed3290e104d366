"""Reference models, each ``build_<name>(schema, **hparams) -> ModelSpec``, and a registry.

The builders (and TensorFlow) are imported on first use, so ``MODEL_NAMES`` and
``tf1_recsys.models.presets`` can be read without importing TensorFlow.
"""
import importlib

MODEL_NAMES = ("din", "dien", "fm", "mmoe")
"""The registered model names."""

_BUILDERS = {"din": "tf1_recsys.models.din", "dien": "tf1_recsys.models.dien",
             "fm": "tf1_recsys.models.fm", "mmoe": "tf1_recsys.models.mmoe"}


def get_model(name):
    """The builder called ``name``; ValueError listing the known names otherwise."""
    if not isinstance(name, str) or name not in _BUILDERS:
        raise ValueError("unknown model %r; choose one of: %s" % (name, ", ".join(sorted(MODEL_NAMES))))
    return getattr(importlib.import_module(_BUILDERS[name]), "build_" + name)


def build_model(name, schema, **hparams):
    """``get_model(name)(schema, **hparams)``: builds in the current default graph."""
    return get_model(name)(schema, **hparams)


def __getattr__(attr):
    # MODELS (dict name -> builder) and build_din / build_dien / build_fm / build_mmoe, loaded lazily.
    if attr == "MODELS":
        return {n: get_model(n) for n in MODEL_NAMES}
    if attr.startswith("build_") and attr[len("build_"):] in _BUILDERS:
        return get_model(attr[len("build_"):])
    raise AttributeError("module %r has no attribute %r" % (__name__, attr))


__all__ = ["MODELS", "MODEL_NAMES", "get_model", "build_model", "build_fm", "build_din", "build_dien", "build_mmoe"]
