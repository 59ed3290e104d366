#!/usr/bin/env python
"""DeepCTR 0.9.4 ``DIN`` trained with ``model.fit``: the peer of ``tools/bench_din.py``.

Runs only inside the DeepCTR environment of ``tools/deepctr_venv.py`` (tf_keras,
``TF_USE_LEGACY_KERAS=1``), as a subprocess of the bench; it never runs in the package's
environment. The timed ``fit`` and its JSON line: ``tools/deepctr_fit.py``.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deepctr_fit  # noqa: E402  (tools/deepctr_fit.py)

INPUTS = ["user", "gender", "item_id", "cate_id", "pay_score", "hist_item_id", "hist_cate_id"]


def build(data, a):
    import tensorflow as tf
    from deepctr.models import DIN

    model = DIN(deepctr_fit.behaviour_columns(data, a.embedding), ["item_id", "cate_id"],
                dnn_hidden_units=(256, 128, 64), dnn_activation="dice", att_hidden_size=(80, 40),
                att_activation="dice", l2_reg_embedding=0.0)
    model.compile(tf.keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model, {k: data[k] for k in INPUTS}


if __name__ == "__main__":
    sys.exit(deepctr_fit.main(__doc__.splitlines()[0], build))
