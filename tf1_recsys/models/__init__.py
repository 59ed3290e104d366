"""Reference models, each ``build_<name>(schema, **hparams) -> ModelSpec``, and a registry."""
from tf1_recsys.models.din import build_din
from tf1_recsys.models.fm import build_fm
from tf1_recsys.models.mmoe import build_mmoe

MODELS = {"fm": build_fm, "din": build_din, "mmoe": build_mmoe}
"""Model builders by name."""


def get_model(name):
    """The builder called ``name``; ValueError listing the known names otherwise."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise ValueError("unknown model %r; choose one of: %s" % (name, ", ".join(sorted(MODELS)))) from None


def build_model(name, schema, **hparams):
    """``get_model(name)(schema, **hparams)``: builds in the current default graph."""
    return get_model(name)(schema, **hparams)


__all__ = ["MODELS", "get_model", "build_model", "build_fm", "build_din", "build_mmoe"]
