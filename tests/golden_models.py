"""The project's reference models behind ``graphs/`` (fixtures, not library API).

Each golden graph under ``graphs/`` is one of these models, built from the library's
blocks, written once by ``tools/make_golden_graphs.py`` through the public kit
(``tf1_recsys.testing.write_golden``) and checked by ``tests/test_golden_graphs.py``
(``tf1_recsys.testing.assert_golden``): a change of a block's variable names or shapes,
or of what it computes, fails there as a breaking change for anyone serving a frozen
graph or restoring a checkpoint.

They live with the tests, not in the installed package: they are this project's
fixtures. ``tools/`` (repository scripts, not installed) put ``tests/`` on ``sys.path``
to import them, as pytest does for the tests.

API:
  GRAPHS: dict name -> ``GoldenSpec(model_fn, inputs, seed, description)``; each
    ``model_fn`` follows the kit's contract (returns inputs, outputs, training)
  golden_inputs(name) -> dict key -> numpy array (fixed, batch ``BATCH``)
  ctr_model_fn() -> ModelSpec; ctr_synthetic_data(n, seed) -> dict of arrays
"""
import collections

import numpy as np

from tf1_recsys._tf import tf
from tf1_recsys.layers import (
    DINModel,
    FactorizationMachine,
    MultiHeadAttention,
    dense,
    dice,
    mmoe,
    senet,
)
from tf1_recsys.spec import ModelSpec

GoldenSpec = collections.namedtuple("GoldenSpec", "model_fn inputs seed description")

BATCH = 4


def _training():
    return tf.placeholder_with_default(False, [], name="training")


def _rng(seed, *salt):
    return np.random.default_rng([seed] + [int(s) for s in salt])


# ------------------------------------------------------------------- FM
FM_FEATURES, FM_FIELDS, FM_K = 100, 10, 8


def build_fm():
    """FactorizationMachine(100, 8) over 10 fields: probabilities and logits [B, 1]."""
    index = tf.placeholder(tf.int32, [None, FM_FIELDS], name="feat_index")
    value = tf.placeholder(tf.float32, [None, FM_FIELDS], name="feat_value")
    fm = FactorizationMachine(FM_FEATURES, FM_K, name="fm")
    prob = tf.identity(fm(index, value), name="probabilities")
    logits = tf.identity(fm.logits(index, value), name="logits")
    return {"inputs": {"feat_index": index, "feat_value": value},
            "outputs": {"probabilities": prob, "logits": logits}}


def fm_inputs(rng):
    return {
        "feat_index": rng.integers(0, FM_FEATURES, size=(BATCH, FM_FIELDS)).astype(np.int32),
        "feat_value": rng.uniform(0.0, 1.0, size=(BATCH, FM_FIELDS)).astype(np.float32),
    }


# ------------------------------------------------------------------- DIN attention
DIN_SLOTS, DIN_T, DIN_E = 2, 5, 8


def build_din_attention():
    """DINModel((16, 8)) with layer norm, Dice and a ``seq_len`` mask: output [B, S, E], weights [B, S, T]."""
    queries = tf.placeholder(tf.float32, [None, DIN_SLOTS, 1, DIN_E], name="queries")
    keys = tf.placeholder(tf.float32, [None, DIN_SLOTS, DIN_T, DIN_E], name="keys")
    seq_len = tf.placeholder(tf.int32, [None, DIN_SLOTS], name="seq_len")
    training = _training()
    output, weights = DINModel(layer_size=(16, 8))(
        queries, keys, is_bn=True, name="din", training=training, seq_len=seq_len, return_weights=True)
    outputs = {"output": tf.identity(output, name="output"), "weights": tf.identity(weights, name="weights")}
    return {"inputs": {"queries": queries, "keys": keys, "seq_len": seq_len}, "outputs": outputs,
            "training": training}


def din_attention_inputs(rng):
    return {
        "queries": rng.normal(size=(BATCH, DIN_SLOTS, 1, DIN_E)).astype(np.float32),
        "keys": rng.normal(size=(BATCH, DIN_SLOTS, DIN_T, DIN_E)).astype(np.float32),
        "seq_len": rng.integers(0, DIN_T + 1, size=(BATCH, DIN_SLOTS)).astype(np.int32),
    }


# ------------------------------------------------------------------- MMoE
MMOE_IN = 16


def build_mmoe():
    """mmoe(4 experts of 32, 3 tasks, gates of 16): task outputs [B, 32] and gates [B, 4]."""
    x = tf.placeholder(tf.float32, [None, MMOE_IN], name="inputs")
    outs, gates = mmoe(x, num_experts=4, num_tasks=3, expert_hidden=32, gate_hidden=16, name="mmoe",
                       return_gates=True)
    outputs = {}
    for t, (o, g) in enumerate(zip(outs, gates)):
        outputs["task_%d" % t] = tf.identity(o, name="task_%d" % t)
        outputs["gate_%d" % t] = tf.identity(g, name="gate_%d" % t)
    return {"inputs": {"inputs": x}, "outputs": outputs}


def mmoe_inputs(rng):
    return {"inputs": rng.normal(size=(BATCH, MMOE_IN)).astype(np.float32)}


# ------------------------------------------------------------------- multi-head attention
MHA_D, MHA_HEADS, MHA_LQ, MHA_LK = 16, 4, 3, 6


def build_multi_head_attention():
    """MultiHeadAttention(16, 4) with a padding mask: output [B, 3, 16], weights [B, 4, 3, 6]."""
    v = tf.placeholder(tf.float32, [None, MHA_LK, MHA_D], name="v")
    k = tf.placeholder(tf.float32, [None, MHA_LK, MHA_D], name="k")
    q = tf.placeholder(tf.float32, [None, MHA_LQ, MHA_D], name="q")
    mask = tf.placeholder(tf.float32, [None, 1, 1, MHA_LK], name="mask")
    out, weights = MultiHeadAttention(MHA_D, MHA_HEADS, name="multi_head_attention")(v, k, q, mask)
    outputs = {"output": tf.identity(out, name="output"), "weights": tf.identity(weights, name="weights")}
    return {"inputs": {"v": v, "k": k, "q": q, "mask": mask}, "outputs": outputs}


def multi_head_attention_inputs(rng):
    lengths = rng.integers(1, MHA_LK + 1, size=BATCH)
    mask = (np.arange(MHA_LK)[None, :] >= lengths[:, None]).astype(np.float32)  # 1 = padding
    return {
        "v": rng.normal(size=(BATCH, MHA_LK, MHA_D)).astype(np.float32),
        "k": rng.normal(size=(BATCH, MHA_LK, MHA_D)).astype(np.float32),
        "q": rng.normal(size=(BATCH, MHA_LQ, MHA_D)).astype(np.float32),
        "mask": mask.reshape(BATCH, 1, 1, MHA_LK),
    }


# ------------------------------------------------------------------- SENet
SE_L, SE_E = 10, 8


def build_senet():
    """senet([B, 10, 8], hidden_units=16): re-weighted fields [B, 10, 8]."""
    x = tf.placeholder(tf.float32, [None, SE_L, SE_E], name="inputs")
    out = tf.identity(senet(x, hidden_units=16, name="senet"), name="output")
    return {"inputs": {"inputs": x}, "outputs": {"output": out}}


def senet_inputs(rng):
    return {"inputs": rng.normal(size=(BATCH, SE_L, SE_E)).astype(np.float32)}


# ------------------------------------------------------------------- complete CTR model
CTR_USERS, CTR_ITEMS, CTR_CATS, CTR_E, CTR_T, CTR_DENSE = 1000, 2000, 50, 8, 10, 4


def _ctr_graph():
    """Embeddings + DINModel over the history + SENet over the fields + MLP with Dice."""
    user = tf.placeholder(tf.int32, [None], name="user_id")
    item = tf.placeholder(tf.int32, [None], name="item_id")
    cat = tf.placeholder(tf.int32, [None], name="category")
    hist = tf.placeholder(tf.int32, [None, CTR_T], name="hist_items")
    hist_len = tf.placeholder(tf.int32, [None], name="hist_len")
    dense_x = tf.placeholder(tf.float32, [None, CTR_DENSE], name="dense")
    training = _training()
    init = tf.random_normal_initializer(stddev=0.05)
    with tf.variable_scope("embedding"):
        user_table = tf.get_variable("user", [CTR_USERS, CTR_E], initializer=init)
        item_table = tf.get_variable("item", [CTR_ITEMS, CTR_E], initializer=init)
        cat_table = tf.get_variable("category", [CTR_CATS, CTR_E], initializer=init)
    user_e = tf.nn.embedding_lookup(user_table, user)  # [B, E]
    item_e = tf.nn.embedding_lookup(item_table, item)  # [B, E]
    cat_e = tf.nn.embedding_lookup(cat_table, cat)  # [B, E]
    hist_e = tf.nn.embedding_lookup(item_table, hist)  # [B, T, E]
    interest = DINModel(layer_size=(16, 8))(
        tf.reshape(item_e, [-1, 1, 1, CTR_E]), tf.expand_dims(hist_e, 1), is_bn=True, name="din",
        training=training, seq_len=tf.expand_dims(hist_len, 1))  # [B, 1, E]
    fields = tf.stack([user_e, item_e, cat_e, tf.reshape(interest, [-1, CTR_E])], axis=1)  # [B, 4, E]
    fields = senet(fields, hidden_units=8, name="senet")
    h = tf.concat([tf.reshape(fields, [-1, 4 * CTR_E]), dense_x], axis=1)
    with tf.variable_scope("mlp"):
        h = dice(dense(h, 32, name="fc1"), name="1", training=training)
        h = dice(dense(h, 16, name="fc2"), name="2", training=training)
        logit = tf.squeeze(dense(h, 1, name="logit"), -1)
    logit = tf.identity(logit, name="logit")
    prob = tf.sigmoid(logit, name="probability")
    inputs = {"user_id": user, "item_id": item, "category": cat, "hist_items": hist,
              "hist_len": hist_len, "dense": dense_x}
    return inputs, logit, prob, training


def build_ctr():
    """The complete CTR model in inference form: probability and logit [B]."""
    inputs, logit, prob, training = _ctr_graph()
    return {"inputs": inputs, "outputs": {"probability": prob, "logit": logit}, "training": training}


def ctr_model_fn():
    """The complete CTR model as a ModelSpec (task 'click'), for ``Trainer`` and the benchmark."""
    inputs, logit, prob, training = _ctr_graph()
    click = tf.placeholder(tf.float32, [None], name="click")
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=click, logits=logit), name="loss")
    return ModelSpec(inputs=inputs, labels={"click": click}, training=training, logits={"click": logit},
                     predictions={"click": prob}, loss=loss, name="golden_ctr")


def ctr_synthetic_data(n, seed=0):
    """Synthetic CTR data for ``ctr_model_fn``: dict of arrays [n, ...] with a learnable 'click'."""
    rng = _rng(seed, 99)
    item = rng.integers(0, CTR_ITEMS, size=n).astype(np.int32)
    data = {
        "user_id": rng.integers(0, CTR_USERS, size=n).astype(np.int32),
        "item_id": item,
        "category": (item % CTR_CATS).astype(np.int32),
        "hist_items": rng.integers(0, CTR_ITEMS, size=(n, CTR_T)).astype(np.int32),
        "hist_len": rng.integers(0, CTR_T + 1, size=n).astype(np.int32),
        "dense": rng.normal(size=(n, CTR_DENSE)).astype(np.float32),
    }
    item_bias = _rng(seed, 100).normal(size=CTR_ITEMS)
    same_cat = (data["hist_items"] % CTR_CATS == data["category"][:, None])
    same_cat &= np.arange(CTR_T)[None, :] < data["hist_len"][:, None]
    logit = item_bias[item] + 1.5 * same_cat.sum(1) + 0.5 * data["dense"][:, 0] - 1.0
    data["click"] = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float32)
    return data


def ctr_inputs(rng):
    data = ctr_synthetic_data(BATCH, seed=int(rng.integers(0, 2 ** 31)))
    data.pop("click")
    data["hist_len"][0] = 0  # one user without history: DIN output exactly 0
    return data


# ------------------------------------------------------------------- DIEN interest blocks
DIEN_T, DIEN_E, DIEN_H = 6, 8, 8


def build_dien_interest():
    """interest_extractor (GRU 8) + interest_evolution (AUGRU, attention (8, 4)): interests [B, T, 8],
    final interest [B, 8], scores [B, T]; the loops built as TF1 built them (control flow v1)."""
    from tf1_recsys.layers import interest_evolution, interest_extractor

    behaviours = tf.placeholder(tf.float32, [None, DIEN_T, DIEN_E], name="behaviours")
    mask = tf.placeholder(tf.int32, [None, DIEN_T], name="mask")
    query = tf.placeholder(tf.float32, [None, DIEN_E], name="query")
    training = _training()
    # A v2 loop's functions are named with a process-wide counter, so its bytes would
    # depend on what the process built before; v1 loops are named by the graph alone.
    was_v2 = tf.control_flow_v2_enabled()
    tf.disable_control_flow_v2()
    try:
        interests, _ = interest_extractor(behaviours, mask, DIEN_H)
        final, scores = interest_evolution(interests, query, mask, attention_layers=(8, 4), training=training)
    finally:
        if was_v2:
            tf.enable_control_flow_v2()
    outputs = {"interests": tf.identity(interests, name="interests"), "final": tf.identity(final, name="final"),
               "scores": tf.identity(scores, name="scores")}
    return {"inputs": {"behaviours": behaviours, "mask": mask, "query": query}, "outputs": outputs,
            "training": training}


def dien_interest_inputs(rng):
    lengths = np.array([0, 2, DIEN_T, 4])[:BATCH]
    return {
        "behaviours": rng.normal(size=(BATCH, DIEN_T, DIEN_E)).astype(np.float32),
        "mask": (np.arange(DIEN_T)[None, :] < lengths[:, None]).astype(np.int32),
        "query": rng.normal(size=(BATCH, DIEN_E)).astype(np.float32),
    }


# ------------------------------------------------------------------- registry
GRAPHS = collections.OrderedDict([
    ("fm", GoldenSpec(build_fm, fm_inputs, 101, build_fm.__doc__)),
    ("din_attention", GoldenSpec(build_din_attention, din_attention_inputs, 102, build_din_attention.__doc__)),
    ("mmoe", GoldenSpec(build_mmoe, mmoe_inputs, 103, build_mmoe.__doc__)),
    ("multi_head_attention", GoldenSpec(build_multi_head_attention, multi_head_attention_inputs, 104,
                                        build_multi_head_attention.__doc__)),
    ("senet", GoldenSpec(build_senet, senet_inputs, 105, build_senet.__doc__)),
    ("ctr", GoldenSpec(build_ctr, ctr_inputs, 106, _ctr_graph.__doc__)),
    ("dien_interest", GoldenSpec(build_dien_interest, dien_interest_inputs, 107, build_dien_interest.__doc__)),
])


def golden_inputs(name):
    """The fixed golden inputs of ``name``: dict key -> numpy array (batch ``BATCH``)."""
    return GRAPHS[name].inputs(_rng(GRAPHS[name].seed, 1))


__all__ = ["GRAPHS", "BATCH", "GoldenSpec", "golden_inputs", "ctr_model_fn", "ctr_synthetic_data"]
