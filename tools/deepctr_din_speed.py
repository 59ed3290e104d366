#!/usr/bin/env python
"""DeepCTR 0.9.4 ``DIN`` trained with ``model.fit``: the peer of ``tools/bench_din.py``.

Runs only inside the DeepCTR environment of ``tools/deepctr_venv.py`` (tf_keras,
``TF_USE_LEGACY_KERAS=1``), as a subprocess of the bench; it never runs in the package's
environment. Reads the data the bench wrote (``--data``, an ``.npz`` of the columns of
``bench_din.make_data``), trains one warm-up ``fit`` on the first ``--warmup-steps``
batches (tracing, allocator), then ``fit`` over all rows for ``--epochs`` and prints one
JSON line: wall seconds, CPU seconds of this process (user + system, all threads) during
the timed fit, examples trained, the wall and CPU seconds of each epoch (from its
``on_epoch_begin`` to its ``on_epoch_end``), the parameter count and the layer types.
"""
import argparse
import collections
import json
import resource
import sys
import time


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--warmup-steps", type=int, default=5)
    p.add_argument("--embedding", type=int, default=16)
    a = p.parse_args(argv)

    import numpy as np
    import tensorflow as tf
    from deepctr.feature_column import DenseFeat, SparseFeat, VarLenSparseFeat
    from deepctr.models import DIN

    data = dict(np.load(a.data))
    vocab = {k[len("vocab_"):]: int(v) for k, v in data.items() if k.startswith("vocab_")}
    maxlen = data["hist_item_id"].shape[1]
    e = a.embedding
    columns = [SparseFeat("user", vocab["user"], embedding_dim=e),
               SparseFeat("gender", vocab["gender"], embedding_dim=e),
               SparseFeat("item_id", vocab["item_id"], embedding_dim=e),
               SparseFeat("cate_id", vocab["cate_id"], embedding_dim=e),
               DenseFeat("pay_score", 1),
               VarLenSparseFeat(SparseFeat("hist_item_id", vocab["item_id"], embedding_dim=e,
                                           embedding_name="item_id"), maxlen=maxlen),
               VarLenSparseFeat(SparseFeat("hist_cate_id", vocab["cate_id"], embedding_dim=e,
                                           embedding_name="cate_id"), maxlen=maxlen)]
    model = DIN(columns, ["item_id", "cate_id"], dnn_hidden_units=(256, 128, 64), dnn_activation="dice",
                att_hidden_size=(80, 40), att_activation="dice", l2_reg_embedding=0.0)
    model.compile(tf.keras.optimizers.Adam(1e-3), "binary_crossentropy")
    names = ["user", "gender", "item_id", "cate_id", "pay_score", "hist_item_id", "hist_cate_id"]
    x = {k: data[k] for k in names}
    y = data["click"]
    w = a.warmup_steps * a.batch_size
    model.fit({k: v[:w] for k, v in x.items()}, y[:w], batch_size=a.batch_size, epochs=1, verbose=0)

    stamps = []  # (epoch, 'begin' / 'end', wall, cpu)

    class Stamps(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            stamps.append((epoch, "begin", time.perf_counter(), cpu_seconds()))

        def on_epoch_end(self, epoch, logs=None):
            stamps.append((epoch, "end", time.perf_counter(), cpu_seconds()))

    c0, t0 = cpu_seconds(), time.perf_counter()
    history = model.fit(x, y, batch_size=a.batch_size, epochs=a.epochs, verbose=0, shuffle=True,
                        callbacks=[Stamps()])
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    begins = {e: (w, c) for e, kind, w, c in stamps if kind == "begin"}
    epochs = [(w - begins[e][0], c - begins[e][1]) for e, kind, w, c in stamps if kind == "end"]
    layers = collections.Counter(type(layer).__name__ for layer in model.layers)
    print(json.dumps({
        "wall": wall, "cpu": cpu, "examples": int(len(y) * a.epochs),
        "epoch_wall": [w for w, _ in epochs], "epoch_cpu": [c for _, c in epochs],
        "epoch_examples": int(len(y)),
        "loss": float(history.history["loss"][-1]),
        "params": int(model.count_params()),
        "layers": dict(sorted(layers.items())),
        "tf": tf.__version__,
        "keras": tf.keras.__name__ if hasattr(tf.keras, "__name__") else "",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
