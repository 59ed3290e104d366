#!/usr/bin/env python
"""DeepCTR 0.9.4 ``DIEN`` (AUGRU, auxiliary loss) trained with ``model.fit``: the peer of ``tools/bench_dien.py``.

Runs only inside the DeepCTR environment of ``tools/deepctr_venv.py`` (tf_keras,
``TF_USE_LEGACY_KERAS=1``), as a subprocess of the bench. DeepCTR's ``DIEN`` is graph-mode
Keras (its GRUs are ``dynamic_rnn`` loops; DeepCTR's own DIEN example disables eager
execution first, as here). Its GRUs are as wide as the concatenated behaviour (2 x
``--embedding``), its auxiliary network 100-50 sigmoid, its attention 64-16 Dice with
softmax-normalised scores (DeepCTR's defaults). DeepCTR takes the negative behaviours as
inputs (``neg_hist_*``): drawn here once, before timing, uniformly from the real
behaviours of all rows (numpy, seed 0), zero past each row's length. The timed ``fit``
and its JSON line: ``tools/deepctr_fit.py``.

DeepCTR 0.9.4's ``deepctr/contrib/rnn_v2.py`` and ``contrib/utils.py`` (the ``dynamic_rnn``
and cell helpers of its ``DynamicGRU``) call TensorFlow internals by names that TensorFlow
has since moved and, by 2.21, removed: ``array_ops.stack`` / ``unstack`` (now
``array_ops_stack``), ``control_flow_ops.Assert`` / ``cond`` / ``while_loop`` (now
``control_flow_assert``, ``cond``, ``while_loop``) and ``nest.is_sequence`` (now
``is_nested``). Unpatched, building the model stops at the first: ``AttributeError: module
'tensorflow.python.ops.array_ops' has no attribute 'stack'``. ``restore_moved_names`` puts
the old names back, pointing at the same functions, before DeepCTR is imported; nothing of
DeepCTR itself is altered.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepctr_fit  # noqa: E402  (tools/deepctr_fit.py)


def negatives(data, seed=0):
    """``neg_hist_item_id`` / ``neg_hist_cate_id``: real behaviours drawn uniformly, padded like the history."""
    import numpy as np

    item, cate = data["hist_item_id"], data["hist_cate_id"]
    real = np.flatnonzero(item.ravel() > 0)
    pick = np.random.default_rng(seed).choice(real, item.shape)
    live = item > 0
    return {"neg_hist_item_id": np.where(live, item.ravel()[pick], 0),
            "neg_hist_cate_id": np.where(live, cate.ravel()[pick], 0)}


MOVED = (("tensorflow.python.ops.array_ops", "stack", "tensorflow.python.ops.array_ops_stack", "stack"),
         ("tensorflow.python.ops.array_ops", "unstack", "tensorflow.python.ops.array_ops_stack", "unstack"),
         ("tensorflow.python.ops.control_flow_ops", "Assert", "tensorflow.python.ops.control_flow_assert", "Assert"),
         ("tensorflow.python.ops.control_flow_ops", "cond", "tensorflow.python.ops.cond", "cond"),
         ("tensorflow.python.ops.control_flow_ops", "while_loop", "tensorflow.python.ops.while_loop", "while_loop"),
         ("tensorflow.python.util.nest", "is_sequence", "tensorflow.python.util.nest", "is_nested"))


def restore_moved_names():
    """The names of ``MOVED`` that this TensorFlow lacks, set to where the function lives now."""
    import importlib

    for module, name, home, new_name in MOVED:
        m = importlib.import_module(module)
        if not hasattr(m, name):
            setattr(m, name, getattr(importlib.import_module(home), new_name))


def build(data, a):
    import tensorflow as tf

    restore_moved_names()
    from deepctr.models import DIEN

    tf.compat.v1.disable_eager_execution()
    columns = (deepctr_fit.behaviour_columns(data, a.embedding, length_name="seq_length")
               + deepctr_fit.behaviour_columns(data, a.embedding, prefix="neg_hist_", length_name="seq_length")[-2:])
    model = DIEN(columns, ["item_id", "cate_id"], gru_type="AUGRU", use_negsampling=True, alpha=1.0,
                 dnn_hidden_units=(256, 128, 64), l2_reg_embedding=0.0)
    # graph mode: Keras' v1 training loop, which takes the legacy optimizers
    model.compile(tf.keras.optimizers.legacy.Adam(1e-3), "binary_crossentropy")
    x = {k: data[k] for k in ("user", "gender", "item_id", "cate_id", "pay_score", "hist_item_id", "hist_cate_id")}
    x.update(negatives(data))
    x["seq_length"] = (data["hist_item_id"] > 0).sum(1).astype("int64")
    return model, x


if __name__ == "__main__":
    sys.exit(deepctr_fit.main(__doc__.splitlines()[0], build))
