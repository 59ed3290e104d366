"""What the DeepCTR peers of the speed benchmarks share (``deepctr_din_speed.py``, ``deepctr_dien_speed.py``).

Runs only inside the DeepCTR environment of ``tools/deepctr_venv.py``. ``main`` parses the
common arguments, reads the bench's ``.npz`` (``--data``: the columns of
``bench_din.make_data``), asks ``build(data, args)`` for ``(model, inputs)``, trains one
warm-up ``fit`` on the first ``--warmup-steps`` batches (tracing, allocator), then ``fit``
over all rows for ``--epochs`` and prints one JSON line: wall seconds, CPU seconds of this
process (user + system, all threads) during the timed fit, examples trained, the wall and
CPU seconds of each epoch (from its ``on_epoch_begin`` to its ``on_epoch_end``), the CPU
milliseconds of every step (``on_train_batch_begin`` to ``on_train_batch_end``), the
parameter count and the layer types.

``--trace N`` (``tools/profile_dien_step.py``) instead prints, after the warm-up, the CPU
milliseconds of ``--steps`` ``train_on_batch`` calls on the first batch and the kernel times
of N traced calls (the model recompiled with ``RunOptions(trace_level=FULL_TRACE)`` and a
``RunMetadata``, Keras' session arguments; a fresh optimizer): ``{node name: [kernel type,
ms per step]}``.
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
    p.add_argument("--trace", type=int, default=0, help="profile N traced steps instead of the timed fit")
    p.add_argument("--steps", type=int, default=20, help="untraced train_on_batch steps timed with --trace")
    a = p.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    data = dict(np.load(a.data))
    model, x = build(data, a)
    y = data["click"]
    w = a.warmup_steps * a.batch_size
    model.fit({k: v[:w] for k, v in x.items()}, y[:w], batch_size=a.batch_size, epochs=1, verbose=0)

    if a.trace:
        print(json.dumps(profile(model, {k: v[:a.batch_size] for k, v in x.items()}, y[:a.batch_size], a)))
        return 0
    stamps, step_cpu = [], []  # (epoch, 'begin' / 'end', wall, cpu); CPU ms of each step

    class Stamps(tf.keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            stamps.append((epoch, "begin", time.perf_counter(), cpu_seconds()))

        def on_epoch_end(self, epoch, logs=None):
            stamps.append((epoch, "end", time.perf_counter(), cpu_seconds()))

        def on_train_batch_begin(self, batch, logs=None):
            step_cpu.append(cpu_seconds())

        def on_train_batch_end(self, batch, logs=None):
            step_cpu[-1] = (cpu_seconds() - step_cpu[-1]) * 1e3

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
        "epoch_examples": int(len(y)), "step_cpu_ms": step_cpu,
        "loss": float(history.history["loss"][-1]),
        "params": int(model.count_params()),
        "layers": dict(sorted(layers.items())),
        "tf": tf.__version__,
        "keras": tf.keras.__name__ if hasattr(tf.keras, "__name__") else "",
    }))
    return 0


def profile(model, x, y, a):
    """CPU ms of ``a.steps`` ``train_on_batch`` calls on one batch, then the kernels of ``a.trace`` traced ones."""
    import tensorflow as tf

    step_cpu = []
    for _ in range(a.steps):
        c = cpu_seconds()
        model.train_on_batch(x, y)
        step_cpu.append((cpu_seconds() - c) * 1e3)
    meta = tf.compat.v1.RunMetadata()
    model.compile(tf.keras.optimizers.legacy.Adam(1e-3), "binary_crossentropy",
                  options=tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE), run_metadata=meta)
    model.train_on_batch(x, y)  # builds the traced train function
    kernels = {}
    for _ in range(a.trace):
        model.train_on_batch(x, y)
        add_node_kernels(meta.step_stats, a.trace, kernels)
    return {"step_cpu_ms": step_cpu, "kernels": kernels, "tf": tf.__version__}


def add_node_kernels(step_stats, traces, kernels):
    """Adds a traced step's ``StepStats`` to ``kernels`` ``{node name: [kernel type, ms]}``, ms divided by ``traces``."""
    for device in step_stats.dev_stats:
        for node in device.node_stats:
            label = node.timeline_label
            entry = kernels.setdefault(node.node_name, [label.split(" = ")[1].split("(")[0] if " = " in label else "?",
                                                        0.0])
            entry[1] += node.all_end_rel_micros / 1e3 / traces
