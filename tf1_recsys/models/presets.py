"""Default hyper-parameters of the reference models per data set (used by the CLI and the benchmark).

``preset(model, data_kind)`` returns ``(model_hparams, train_settings)``: keyword
arguments of ``build_<model>`` and of ``tf1_recsys.training.TrainConfig``. Chosen by
hand on the synthetic data and on MovieLens (see docs/BENCHMARKS.md); no TensorFlow import.
"""
import copy

_PRESETS = {
    ("din", "synthetic"): (
        dict(embedding_size=8, attention_layers=(32, 16), mlp_layers=(128, 64), senet_hidden=16, l2=1e-4),
        dict(epochs=3, batch_size=512, learning_rate=0.002, optimizer="adam"),
    ),
    # DIEN: din's tail; GRUs as wide as the behaviour (item + category, 2E); the paper's alpha = 1;
    # the authors' MLP input (history_sum, build_dien's default), stated so that run.json records it.
    ("dien", "synthetic"): (
        dict(embedding_size=8, attention_layers=(32, 16), aux_layers=(32, 16), mlp_layers=(128, 64),
             senet_hidden=16, l2=1e-4, alpha=1.0, history_sum=True),
        dict(epochs=3, batch_size=512, learning_rate=0.002, optimizer="adam"),
    ),
    ("fm", "synthetic"): (
        dict(embedding_size=8, l2=1e-3),
        dict(epochs=2, batch_size=512, learning_rate=0.005, optimizer="adam"),
    ),
    ("mmoe", "synthetic"): (
        dict(embedding_size=8, num_experts=4, expert_hidden=64, tower_layers=(32,), l2=1e-4),
        dict(epochs=2, batch_size=512, learning_rate=0.002, optimizer="adam"),
    ),
    # MovieLens split by time: 8% of the test movies never occur in training and many more
    # are rare; small initial embeddings without layer norm in the attention keep them
    # near zero (neutral) instead of turning them into full-size random vectors. The
    # attention weights are divided by the history's length: with DIN's raw sum the
    # sequence made din worse than without it (validation AUC, docs/BENCHMARKS.md).
    ("din", "movielens"): (
        dict(embedding_size=8, attention_layers=(32, 16), mlp_layers=(128, 64), senet_hidden=16, l2=0.05,
             wide=True, attention_layer_norm=False, init_stddev=0.001, attention_normalization="mean"),
        dict(epochs=2, batch_size=256, learning_rate=0.001, optimizer="adam"),
    ),
    # MovieLens 'rating': the paper's MLP input (history_sum=False), chosen on validation over the
    # history's sum and mean (docs/BENCHMARKS.md); 'next' keeps build_dien's default, the sum.
    ("dien", "movielens"): (
        dict(embedding_size=8, attention_layers=(32, 16), aux_layers=(32, 16), mlp_layers=(128, 64),
             senet_hidden=16, l2=0.05, wide=True, init_stddev=0.001, alpha=1.0, history_sum=False),
        dict(epochs=2, batch_size=256, learning_rate=0.001, optimizer="adam"),
    ),
    ("fm", "movielens"): (
        dict(embedding_size=8, l2=0.3),
        dict(epochs=8, batch_size=256, learning_rate=0.003, optimizer="adam"),
    ),
    ("mmoe", "movielens"): (
        dict(embedding_size=8, num_experts=4, expert_hidden=64, tower_layers=(32,), l2=0.05),
        dict(epochs=2, batch_size=256, learning_rate=0.001, optimizer="adam"),
    ),
}


# MovieLens 'next' (the next movie against a random unrated one): the history is the signal and
# DIN's raw sum, started as sum pooling, learns it fastest, as DIEN's history sum (validation AUC,
# docs/BENCHMARKS.md).
_PROTOCOL_HPARAMS = {
    ("din", "movielens", "next"): dict(attention_normalization=None, attention_weight_offset=1.0),
    ("dien", "movielens", "next"): dict(history_sum=True),
}


def preset(model, data_kind, protocol=None):
    """``(model_hparams, train_settings)`` copies for ``model`` on ``data_kind`` ('synthetic' or
    'movielens'); other data kinds get the synthetic settings. ``protocol``: MovieLens's
    'rating' (the default) or 'next', which changes din's attention and dien's MLP input."""
    kind = data_kind if data_kind in ("synthetic", "movielens") else "synthetic"
    key = (model, kind)
    if key not in _PRESETS:
        raise ValueError("no preset for model %r" % model)
    hparams, settings = copy.deepcopy(_PRESETS[key])
    hparams.update(_PROTOCOL_HPARAMS.get((model, kind, protocol), {}))
    return hparams, settings
