"""What the DeepCTR peers of the speed benchmarks share (``deepctr_din_speed.py``, ``deepctr_dien_speed.py``).

Runs only inside the DeepCTR environment of ``tools/deepctr_venv.py``. ``main`` parses the
common arguments, reads the bench's ``.npz`` (``--data``: the columns of
``bench_din.make_data``), asks ``build(data, args)`` for ``(model, inputs)``, trains one
warm-up ``fit`` on the first ``--warmup-steps`` batches (tracing, allocator), then ``fit``
over all rows for ``--epochs`` and prints one JSON line: wall seconds, CPU seconds of this
process (user + system, all threads) during the timed fit, examples trained, the wall and
CPU seconds of each epoch (from its ``on_epoch_begin`` to its ``on_epoch_end``), the
parameter count and the layer types.
"""
import argparse
import collections
import json
import resource
import time


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def vocabularies(data):
    """``{name: vocabulary size}`` from the ``vocab_<name>`` entries of the bench's data."""
    return {k[len("vocab_"):]: int(v) for k, v in data.items() if k.startswith("vocab_")}


def behaviour_columns(data, embedding, prefix="hist_", **varlen):
    """DeepCTR columns of the bench's schema: four slots, ``pay_score``, and the item / cate sequences.

    The sequences are named ``<prefix>item_id`` / ``<prefix>cate_id`` and share the slots'
    tables; ``varlen`` goes to each ``VarLenSparseFeat`` (e.g. ``length_name``).
    """
    from deepctr.feature_column import DenseFeat, SparseFeat, VarLenSparseFeat

    vocab = vocabularies(data)
    maxlen = data["hist_item_id"].shape[1]
    slots = [SparseFeat(n, vocab[n], embedding_dim=embedding) for n in ("user", "gender", "item_id", "cate_id")]
    sequences = [VarLenSparseFeat(SparseFeat(prefix + n, vocab[n], embedding_dim=embedding, embedding_name=n),
                                  maxlen=maxlen, **varlen) for n in ("item_id", "cate_id")]
    return slots + [DenseFeat("pay_score", 1)] + sequences


def main(description, build, argv=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", required=True)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--warmup-steps", type=int, default=5)
    p.add_argument("--embedding", type=int, default=16)
    a = p.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    data = dict(np.load(a.data))
    model, x = build(data, a)
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
