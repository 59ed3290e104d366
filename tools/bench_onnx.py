#!/usr/bin/env python
"""Serving latency: the frozen graph in a TensorFlow session against its ONNX model in onnxruntime.

    python tools/bench_onnx.py                 # prints a markdown section
    python tools/bench_onnx.py --write-docs    # and replaces the "## Serving without TensorFlow"
                                               # section of docs/BENCHMARKS.md

Models: the golden ``ctr`` graph (graphs/ctr: embeddings + DIN attention + SENet + Dice MLP) and
the reference models ``fm``, ``din`` and ``mmoe`` (synthetic presets, frozen at their initial
values: latency does not depend on the values). Each is converted by
``tf1_recsys.export.to_onnx`` (checked against the session before it is timed). For every
model, thread setting (1 thread; all cores) and batch (1, 64, 1024): ``--rounds`` rounds,
each timing TensorFlow then onnxruntime (the order swapped every round) for at least
``--seconds`` and ``--min-calls`` calls each, after a warm-up; one call is one ``run`` of
all outputs on the same numpy inputs. Median and p99 over all calls of all rounds.
"""
import argparse
import os
import platform
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import benchdoc  # noqa: E402  (tools/benchdoc.py)
sys.path.insert(0, REPO)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
SECTION = "## Serving without TensorFlow: ONNX (`tools/bench_onnx.py`)"
BATCHES = (1, 64, 1024)
NOTES = """What this says, and what it does not: at batch 1 and 64 a call into onnxruntime costs tens of
microseconds where a TensorFlow `Session.run` costs a few hundred (its per-call overhead: feed
conversion, executor set-up), so small-batch serving, what an ads server feels, gains several times.
At batch 1024 the arithmetic dominates and TensorFlow (oneDNN kernels, Grappler's rewrites) was
faster in all rows but one here; elementwise `Mul`, `Sub` and `ReduceMean` (normalisation arithmetic)
take most of onnxruntime's time in the ctr graph (its profiler, one thread). The "all cores"
rows on this shared 2-core machine are the least reliable: onnxruntime's intra-op threads spin-wait
by default, which an oversubscribed machine punishes (a quick check with
`session.intra_op.allow_spinning=0` moved one ctr batch-1024 median from 23 to 3 ms and another not
at all). Measure on your serving hardware with this command before choosing a runtime for large
batches."""


def golden_ctr():
    """``(graph_def, inputs, outputs, feeds(batch))`` of graphs/ctr."""
    from tf1_recsys import export
    from tf1_recsys.export_onnx import default_check_inputs, manifest_names

    path = os.path.join(REPO, "graphs", "ctr", "graph.pb")
    graph_def = export.read_graph_def(path)
    inputs, outputs = manifest_names(os.path.join(REPO, "graphs", "ctr", "manifest.json"))
    return graph_def, inputs, outputs, lambda batch: default_check_inputs(graph_def, inputs, batch=batch)


def reference_model(name):
    """``(graph_def, inputs, outputs, feeds(batch))`` of a reference model on synthetic rows."""
    from tf1_recsys.data import generate, take
    from tf1_recsys.models import build_model
    from tf1_recsys.models.presets import preset
    from tf1_recsys.training import TrainConfig, Trainer

    data = generate(num_impressions=max(BATCHES) * 2, seed=0)
    hparams, settings = preset(name, "synthetic")
    with Trainer(lambda: build_model(name, data.schema, **hparams), TrainConfig(progress=False, **settings)) as tr:
        graph_def = tr.freeze()
        inputs, outputs = tr.serving_names()
    rows = data.test if len(next(iter(data.test.values()))) >= max(BATCHES) else data.train
    return graph_def, inputs, outputs, lambda batch: {k: take(rows, np.arange(batch))[k] for k in inputs}


def tf_runner(graph_def, inputs, outputs, threads):
    from tf1_recsys import export
    from tf1_recsys._tf import tf

    config = tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1 if threads == 1
                            else threads)
    model = export.FrozenModel(graph_def, inputs, outputs, config=config)
    fetches = list(model.outputs.values())

    def run(feeds):
        return model.sess.run(fetches, {model.inputs[k]: v for k, v in feeds.items()})
    return run, model.close


def ort_runner(model, inputs, outputs, threads):
    from tf1_recsys.export_onnx import onnx_session

    session = onnx_session(model, threads=threads)
    names = list(outputs.values())

    def run(feeds):
        return session.run(names, {inputs[k]: v for k, v in feeds.items()})
    return run, lambda: None


def time_calls(run, feeds, seconds, min_calls):
    times = []
    start = time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        run(feeds)
        times.append(time.perf_counter() - t0)
    return times


def measure(name, source, threads_list, rounds, seconds, min_calls):
    from tf1_recsys.export import to_onnx

    graph_def, inputs, outputs, feeds_of = source
    result = to_onnx(graph_def, inputs=inputs, outputs=outputs, check_inputs=feeds_of(64))
    rows = []
    for threads in threads_list:
        tf_run, tf_close = tf_runner(graph_def, inputs, outputs, threads)
        ort_run, _ = ort_runner(result.model, inputs, outputs, threads)
        for batch in BATCHES:
            feeds = feeds_of(batch)
            for run in (tf_run, ort_run):
                time_calls(run, feeds, 0.1, 3)  # warm-up
            times = {"tf": [], "ort": []}
            for r in range(rounds):
                order = (("tf", tf_run), ("ort", ort_run)) if r % 2 == 0 else (("ort", ort_run), ("tf", tf_run))
                for key, run in order:
                    times[key] += time_calls(run, feeds, seconds, min_calls)
            stats = {k: (1e3 * np.median(v), 1e3 * np.percentile(v, 99), len(v)) for k, v in times.items()}
            rows.append((name, threads, batch, stats))
            print("  %s threads=%d batch=%d: TF %.3f ms, onnxruntime %.3f ms (median)"
                  % (name, threads, batch, stats["tf"][0], stats["ort"][0]), file=sys.stderr)
        tf_close()
    return rows, max(result.differences.values())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=0.25, help="least time of one contender in one round")
    parser.add_argument("--min-calls", type=int, default=10)
    parser.add_argument("--models", default="ctr,fm,din,mmoe")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)

    from tf1_recsys._tf import tf
    from tf1_recsys.export_onnx import onnx_versions

    cores = os.cpu_count() or 1
    threads_list = (1, cores) if cores > 1 else (1,)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    started = time.time()
    table, worst = [], {}
    for name in args.models.split(","):
        source = golden_ctr() if name == "ctr" else reference_model(name)
        rows, worst[name] = measure(name, source, threads_list, args.rounds, args.seconds, args.min_calls)
        table += rows
    versions = onnx_versions()
    lines = [SECTION, "",
             "Latency of one call in ms, median / p99, of the frozen graph in a TensorFlow session "
             "(`FrozenModel`) and of its ONNX model (`tf1_recsys.export.to_onnx`, opset 17) in onnxruntime; "
             "TensorFlow %s, tf2onnx %s, onnxruntime %s, %s, %d CPU cores, %s; %d alternating rounds of at least "
             "%g s and %d calls per contender, after a warm-up. Load average at the start: %.1f (the machine is "
             "shared; p99 is the most sensitive to that). Run time %.0f s. Command: `python tools/bench_onnx.py "
             "--write-docs`."
             % (tf.version.VERSION, versions["tf2onnx"], versions["onnxruntime"], platform.machine(), cores,
                platform.python_version() and "Python " + platform.python_version(), args.rounds, args.seconds,
                args.min_calls, load, time.time() - started),
             "",
             "| model | threads | batch | TF median | TF p99 | ORT median | ORT p99 | median ratio TF/ORT |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, threads, batch, s in table:
        lines.append("| %s | %d | %d | %.3f | %.3f | %.3f | %.3f | %.2f |"
                     % (name, threads, batch, s["tf"][0], s["tf"][1], s["ort"][0], s["ort"][1],
                        s["tf"][0] / s["ort"][0]))
    lines += ["", "Largest |onnxruntime - TensorFlow| of the conversion check (batch 64 and 1): " + ", ".join(
        "%s %.2g" % kv for kv in worst.items()) + ".", ""]
    for batch in BATCHES:
        ratios = [s["tf"][0] / s["ort"][0] for _, _, b, s in table if b == batch]
        lines.append("- batch %d: median ratio TF/onnxruntime from %.2f to %.2f over the models and thread "
                     "settings (%s)." % (batch, min(ratios), max(ratios), "onnxruntime faster in every case"
                                         if min(ratios) > 1 else "TensorFlow faster in every case"
                                         if max(ratios) < 1 else "mixed"))
    lines += ["", NOTES]
    benchdoc.publish(SECTION, "\n".join(lines), args.write_docs)


if __name__ == "__main__":
    main()
