"""The reference models: shapes, loss, registry, sensitivity, training signal, frozen == session."""
import numpy as np
import pytest

from tf1_recsys._tf import tf
from tf1_recsys.data import generate, take
from tf1_recsys.data.synthetic import UNUSED_FEATURES
from tf1_recsys.models import MODELS, build_model, get_model
from tf1_recsys.models.presets import preset
from tf1_recsys.sensitivity import feature_sensitivity
from tf1_recsys.training import TrainConfig, Trainer


@pytest.fixture(scope="module")
def small():
    return generate(num_impressions=3000, seed=5)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_graph_shapes_and_loss(graph, sess, small, name):
    spec = build_model(name, small.schema, embedding_size=4)
    assert spec.name == name
    assert set(spec.inputs) == {f.name for f in small.schema.features}
    want_tasks = ["click", "like"] if name == "mmoe" else ["click"]
    assert spec.tasks == want_tasks
    sess.run(tf.global_variables_initializer())
    batch = take(small.train, np.arange(64))
    out = sess.run({"p": spec.predictions, "l": spec.logits, "loss": spec.loss}, spec.feed(batch, training=True))
    for t in want_tasks:
        assert out["p"][t].shape == (64,) and out["l"][t].shape == (64,)
        assert np.all((out["p"][t] > 0) & (out["p"][t] < 1))
        assert spec.predictions[t].name == "predictions/%s:0" % t
    assert np.isfinite(out["loss"]) and out["loss"] > 0
    # the sensitivity inputs have the widths get_gradients expects
    feas, emb, rv_len, names = spec.sensitivity
    width = sum(int(t.shape[-1]) for t in feas)
    assert width == rv_len + (len(names) - rv_len) * emb
    rows = feature_sensitivity(sess, [spec.predictions[t] for t in spec.tasks], feas, emb, rv_len,
                               spec.feed(batch), names, head_names=spec.tasks)
    assert {r.feature for r in rows} == set(names)
    assert all(np.isfinite(r.sensitivity) and r.sensitivity >= 0 for r in rows)


def test_registry_names_the_known_models():
    assert sorted(MODELS) == ["dien", "din", "fm", "mmoe"]
    assert get_model("din") is MODELS["din"]
    with pytest.raises(ValueError, match="unknown model 'xgb'; choose one of: dien, din, fm, mmoe"):
        get_model("xgb")


def test_unknown_task(graph, small):
    with pytest.raises(ValueError, match="unknown task"):
        build_model("din", small.schema, task="buy")


def test_din_with_partitioned_tables_and_mod_strategy(graph, sess, small):
    schema = small.schema
    for f in schema.features:
        if f.name in ("item", "user"):
            f.num_shards = 3
    try:
        spec = build_model("din", schema, embedding_size=4, partition_strategy="mod", wide=True)
        names = [v.op.name for v in tf.global_variables()]
        assert any(n.endswith("embeddings/item/part_2") for n in names)
        sess.run(tf.global_variables_initializer())
        p = sess.run(spec.predictions["click"], spec.feed(take(small.test, np.arange(10))))
        assert p.shape == (10,)
    finally:
        for f in schema.features:
            f.num_shards = 1


@pytest.mark.parametrize("name", sorted(MODELS))
def test_frozen_outputs_equal_the_sessions(tmp_path, small, name):
    from tf1_recsys.cli.report import freeze_and_check

    hparams, settings = preset(name, "synthetic")
    settings.update(epochs=1, batch_size=256)
    config = TrainConfig(progress=False, **settings)
    with Trainer(lambda: build_model(name, small.schema, **hparams), config, model_dir=str(tmp_path)) as tr:
        tr.fit(small.train)
        path, names, diff = freeze_and_check(tr, small.test, str(tmp_path / "frozen.pb"), rows=500)
    assert diff <= 1e-6
    assert set(names["outputs"]) == ({"click", "like"} if name == "mmoe" else {"click"})


def test_din_ranks_the_unused_feature_below_the_used_ones():
    """After a short training, 'noise' (never used by the generator) ranks below every feature it uses."""
    from tf1_recsys.cli.report import score, sensitivity

    data = generate(num_impressions=20000, seed=11)
    hparams, settings = preset("din", "synthetic")
    hparams.update(attention_layers=(16, 8), mlp_layers=(32, 16))
    settings.update(epochs=3, learning_rate=0.005, batch_size=256)
    with Trainer(lambda: build_model("din", data.schema, **hparams), TrainConfig(progress=False, **settings)) as tr:
        tr.fit(data.train)
        _, reports = score(tr, data.test, data.schema)
        rows = sensitivity(tr, data.test, rows=4000)
    assert reports["click"]["auc"] > 0.62  # it learned something
    value = {r.feature: r.sensitivity for r in rows}
    used = ["user", "item", "cat", "hist_cat", "price"]
    for unused in UNUSED_FEATURES:
        assert value[unused] < min(value[f] for f in used), value
    assert rows[-1].feature == "noise"


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_din_base_model_sum_pools_the_sequences(graph, sess, small, mode):
    spec = build_model("din", small.schema, embedding_size=4, sequence_pooling=mode)
    names = [v.op.name for v in tf.global_variables()]
    assert not any("/din/" in n or n.endswith("/din") for n in names), names  # no attention variables
    sess.run(tf.global_variables_initializer())
    batch = take(small.test, np.arange(32))
    tables = {v.op.name: v for v in tf.global_variables()}
    for f in small.schema.sequences:
        got = sess.run(graph.get_tensor_by_name("din_model/%s_pool_%s:0" % (mode, f.name)), spec.feed(batch))
        ids = batch[f.name]
        table = sess.run(tables["din_model/embeddings/%s" % f.table_name])
        want = (table[ids] * (ids != 0)[..., None]).sum(1)  # numpy: sum of the real behaviours' rows
        if mode == "mean":
            want = want / np.maximum((ids != 0).sum(1), 1)[:, None]
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7, err_msg=f.name)
    with pytest.raises(ValueError, match="`sequence_pooling` must be 'attention', 'sum' or 'mean'; got 'max'"):
        build_model("din", small.schema, sequence_pooling="max")
    with pytest.raises(ValueError, match="`attention_normalization` must be None, 'mean' or 'softmax'; got 'sum'"):
        build_model("din", small.schema, attention_normalization="sum")


def test_movielens_din_presets_differ_by_protocol_only_in_the_attention():
    rating, settings = preset("din", "movielens")
    nxt, next_settings = preset("din", "movielens", "next")
    assert rating["attention_normalization"] == "mean" and settings == next_settings
    assert (nxt["attention_normalization"], nxt["attention_weight_offset"]) == (None, 1.0)
    assert {k: v for k, v in nxt.items() if not k.startswith("attention_")} == \
        {k: v for k, v in rating.items() if not k.startswith("attention_")}
    assert preset("fm", "movielens", "next") == preset("fm", "movielens")


# The attention variables of build_din(schema, embedding_size=4, attention_layers=(6, 5)) with the
# synthetic schema's two sequences (hist_item, hist_cat) of one length, as before
# `sequence_attention` existed; E and S*E = 8 are the only widths that differ in 'joint'.
def _attention_variables(width):
    return [("din_model/din/queries_norm/beta", [width]), ("din_model/din/queries_norm/gamma", [width]),
            ("din_model/din/keys_norm/beta", [width]), ("din_model/din/keys_norm/gamma", [width]),
            ("din_model/din/layer1/kernel", [4 * width, 6]), ("din_model/din/layer1/bias", [6]),
            ("din_model/din/layer2/kernel", [6, 5]), ("din_model/din/layer2/bias", [5]),
            ("din_model/din/dice_alpha", [5])] + [
        ("din_model/din/dice_norm/%s" % n, [5]) for n in ("gamma", "beta", "moving_mean", "moving_variance")] + [
        ("din_model/din/layer3/kernel", [5, 1]), ("din_model/din/layer3/bias", [1])]


def _din_graph(schema, **hparams):
    """``(nodes, variables)`` of a din built in a fresh graph: (name, op, inputs), (name, shape)."""
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        build_model("din", schema, embedding_size=4, attention_layers=(6, 5), **hparams)
        variables = [(v.op.name, v.shape.as_list()) for v in tf.global_variables()]
    return [(n.name, n.op, list(n.input)) for n in g.as_graph_def().node], variables


def test_din_separate_sequence_attention_is_the_default_graph(small):
    nodes, variables = _din_graph(small.schema)
    assert _din_graph(small.schema, sequence_attention="separate") == (nodes, variables)
    assert [v for v in variables if v[0].startswith("din_model/din/")] == _attention_variables(4)
    _, joint = _din_graph(small.schema, sequence_attention="joint")
    assert [v for v in joint if v[0].startswith("din_model/din/")] == _attention_variables(8)
    # outside the attention the two modes build the same variables: the fields keep their shapes
    assert [v for v in joint if "/din/" not in v[0]] == [v for v in variables if "/din/" not in v[0]]
    with pytest.raises(ValueError, match=r"^build_din: `sequence_attention` must be 'separate' or 'joint'; "
                                         r"got 'both'\.$"):
        _din_graph(small.schema, sequence_attention="both")


@pytest.mark.parametrize("layer_norm", [True, False])
def test_din_joint_attention_equals_numpy_din_over_the_concatenated_embeddings(graph, sess, rng, small, layer_norm):
    from tests.test_blocks_din import din_model_np, randomize_variables  # DINModel's formula in numpy

    schema = small.schema
    spec = build_model("din", schema, embedding_size=4, attention_layers=(6, 5), sequence_attention="joint",
                       attention_layer_norm=layer_norm)
    values = randomize_variables(sess, rng)  # the id-0 rows too: padding shows unless masked
    batch = take(small.test, np.arange(16))
    seqs = schema.sequences
    assert len(seqs) == 2 and len({f.max_len for f in seqs}) == 1
    # positions where the second sequence pads and the first does not: hidden from both (AND)
    first, second = batch[seqs[0].name], batch[seqs[1].name].copy()
    second[::2, 1] = 0
    batch[seqs[1].name] = second
    assert np.any((first != 0) & (second == 0))
    table = lambda name: values["din_model/embeddings/" + schema.get(name).table_name]  # noqa: E731
    query = np.concatenate([table(f.query)[batch[f.query]] for f in seqs], -1)  # [B, S*E]
    keys = np.concatenate([table(f.name)[batch[f.name]] for f in seqs], -1)  # [B, T, S*E]
    mask = np.all([batch[f.name] != 0 for f in seqs], axis=0)  # [B, T]
    p = {n[len("din_model/"):]: v for n, v in values.items()}
    want, _ = din_model_np(query[:, None, None], keys[:, None], p, layer_norm, mask[:, None])  # [B, 1, S*E]
    flat = spec.sensitivity[0][-1]  # [B, L*E]: the slots' fields, then the sequences' in schema order
    got = sess.run(flat, spec.feed(batch))[:, len(schema.sparse) * 4:]
    np.testing.assert_allclose(got, want[:, 0], rtol=1e-4, atol=1e-4)
