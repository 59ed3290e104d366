"""Training, scoring, sensitivity and freezing steps shared by ``demo`` and the single commands.

TensorFlow is imported inside the functions that need it.
"""
import inspect
import os

import numpy as np

from tf1_recsys.cli.common import CLIError, say


# ------------------------------------------------------------------ models
def make_trainer(run, model_dir, progress):
    """A ``Trainer`` for a run description (model, hparams, train settings, schema).

    Restores the latest checkpoint of ``model_dir`` when there is one.
    """
    from tf1_recsys.data.schema import Schema
    from tf1_recsys.models import get_model
    from tf1_recsys.training import CheckpointError, TrainConfig, Trainer

    builder = get_model(run["model"])
    schema = Schema.from_dict(run["schema"])
    hparams = dict(run["hparams"])
    run_json = os.path.join(model_dir, "run.json")
    try:
        inspect.signature(builder).bind(schema, **hparams)
    except TypeError as e:
        raise CLIError("%s: the hparams of model %s are wrong (%s)" % (run_json, run["model"], e)) from None
    try:
        config = TrainConfig(seed=run["seed"], progress=progress, **run["train"])
    except (TypeError, ValueError) as e:
        raise CLIError("%s: %s" % (run_json, e)) from None

    def build():
        return builder(schema, **hparams)

    try:
        too_big = _memory_problem(build)  # a graph alone: TensorFlow takes long to fail on such a table
    except (TypeError, ValueError) as e:  # a model that refuses its hparams (an edited run.json)
        raise CLIError("%s: the hparams of model %s are wrong (%s)" % (run_json, run["model"], e)) from None
    if too_big is not None:
        raise CLIError("the variables of model %s (embedding_size %s) %s: use a smaller --embedding-size"
                       % (run["model"], hparams.get("embedding_size"), too_big))
    try:
        return Trainer(build, config, model_dir=model_dir, eval_group_key=schema.group)
    except CheckpointError as e:
        raise CLIError(str(e).splitlines()[0]) from None


def _memory_problem(build):
    """A description when the variables ``build()`` creates cannot fit in this machine's memory, else None."""
    from tf1_recsys._tf import tf

    with tf.Graph().as_default():
        build()
        values = sum(v.shape.num_elements() or 0 for v in tf.global_variables())
        size = sum((v.shape.num_elements() or 0) * v.dtype.base_dtype.size for v in tf.global_variables())
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None
    if size < memory:
        return None
    return "hold %d values, %.3g GB before the optimizer's slots, more than this machine's %.3g GB of memory" % (
        values, size / 1e9, memory / 1e9)


# ------------------------------------------------------------------ AUC
def auc_report(labels, scores, groups=None, weighting="impressions", pairwise_limit=None):
    """AUC by ``tf1_recsys.metrics.auc`` and the notes' three methods, and GAUC.

    Returns a dict: 'auc', 'get_auc' (None without scikit-learn), 'calcAUC_byProb',
    'calculate_auc_func2', 'max_disagreement', and with ``groups`` 'gauc',
    'gauc_groups_used', 'gauc_groups_skipped'.
    """
    from tf1_recsys import metrics

    labels, scores = np.asarray(labels), np.asarray(scores)
    out = {"auc": float(metrics.auc(labels, scores))}
    try:
        out["get_auc"] = float(metrics.get_auc(labels, scores))
    except ImportError:
        out["get_auc"] = None
    out["calcAUC_byProb"] = float(metrics.calcAUC_byProb(labels, scores))
    out["calculate_auc_func2"] = float(metrics.calculate_auc_func2(labels, scores))
    values = [v for k, v in out.items() if v is not None]
    out["max_disagreement"] = float(max(values) - min(values))
    if groups is not None:
        g = metrics.gauc(labels, scores, groups, weighting=weighting)
        out.update(gauc=float(g.gauc), gauc_groups_used=int(g.groups_used),
                   gauc_groups_skipped=int(g.groups_skipped))
    return out


def print_auc_report(task, rep, bayes=None, indent="  ", target=None, split="test"):
    """Prints one ``auc_report``: AUC and GAUC on one line; with ``bayes``, the gap to it on a second."""
    line = "%s%-12s %s AUC %.4f" % (indent, task, split, rep["auc"])
    if "gauc" in rep:
        line += "   GAUC %.4f (impression-weighted over %d users; %d with one class skipped)" % (
            rep["gauc"], rep["gauc_groups_used"], rep["gauc_groups_skipped"])
    say(line)
    if bayes is not None:
        gap = bayes - rep["auc"]
        verdict = "" if target is None else (" -> within %g" % target if gap <= target else " -> NOT within %g" % target)
        say("%s%-12s Bayes-optimal AUC %.4f (true probabilities vs drawn labels, same rows): gap %.4f%s"
            % (indent, "", bayes, gap, verdict))


def print_notes_agreement(reports, indent="  "):
    """One line: the notes' three AUC methods against ``metrics.auc``, over every report."""
    reports = list(reports)
    if not reports:
        return
    worst = max(rep["max_disagreement"] for rep in reports)
    sk = "" if all(rep["get_auc"] is not None for rep in reports) else " (get_auc skipped: no scikit-learn)"
    say("%sthe notes' three AUC methods (get_auc with scikit-learn, calcAUC_byProb, calculate_auc_func2) "
        "agree with tf1_recsys.metrics.auc: largest difference %.1e%s" % (indent, worst, sk))


def score(trainer, data, schema):
    """``(predictions {task: [N]}, reports {task: auc_report})`` on ``data``."""
    preds = trainer.predict(data)
    groups = data.get(schema.group) if schema.group else None
    reports = {}
    for task, p in preds.items():
        bad = int(np.size(p) - np.count_nonzero(np.isfinite(p)))
        if bad:
            raise CLIError("the model's %s predictions are not finite (NaN or inf) on %d of %d rows: its checkpoint %s "
                           "holds NaN or inf weights; retrain it (with a smaller --lr)"
                           % (task, bad, np.size(p), trainer.restored_from or "(none)"))
        reports[task] = auc_report(data[task], p, groups)
    return preds, reports


# ------------------------------------------------------------------ sensitivity
def sensitivity(trainer, data, rows=4096):
    """The notes' gradient sensitivity of every head on the first ``rows`` rows of ``data``.

    Returns a list of ``tf1_recsys.sensitivity.SensitivityRow``.
    """
    from tf1_recsys.data.schema import take
    from tf1_recsys.sensitivity import feature_sensitivity

    spec = trainer.spec
    if spec.sensitivity is None:
        raise CLIError("model %s reports no sensitivity inputs" % spec.name)
    feas, emb_size, rv_len, names = spec.sensitivity
    n = len(next(iter(data.values())))
    batch = take(data, np.arange(min(rows, n)))
    tasks = spec.tasks
    return feature_sensitivity(trainer.sess, [spec.predictions[t] for t in tasks], feas, emb_size, rv_len,
                               spec.feed(batch, training=False), names, head_names=tasks)


def write_sensitivity_csv(rows, path):
    import csv

    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["head", "rank", "feature", "kind", "sensitivity"])
        for r in rows:
            w.writerow([r.head, r.rank, r.feature, r.kind, repr(r.sensitivity)])
    return path


def plot_sensitivity(rows, path, title="the model"):
    """Saves a horizontal bar chart per head; returns ``path``, or None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        say("  matplotlib is not installed: skipping the bar chart (pip install matplotlib)")
        return None
    heads = list(dict.fromkeys(r.head for r in rows))
    fig, axes = plt.subplots(1, len(heads), figsize=(6.5 * len(heads), 0.4 * max(
        sum(1 for r in rows if r.head == h) for h in heads) + 1.5), squeeze=False)
    for ax, head in zip(axes[0], heads):
        mine = sorted((r for r in rows if r.head == head), key=lambda r: r.rank, reverse=True)
        colors = ["tab:orange" if r.kind == "real" else "tab:blue" for r in mine]
        bars = ax.barh([r.feature for r in mine], [r.sensitivity for r in mine], color=colors)
        ax.bar_label(bars, labels=["%.3g" % r.sensitivity for r in mine], padding=3, fontsize="small")
        ax.set_xscale("log")  # a feature a hundred times weaker is still a visible bar
        ax.margins(x=0.25)
        ax.set_title("Gradient sensitivity of %s: %s" % (title, head))
        ax.set_xlabel("|batch mean of d prediction / d input| (log scale)")
    from matplotlib.patches import Patch

    axes[0][-1].legend(handles=[Patch(color="tab:blue", label="slot (max over its embedding dims)"),
                                Patch(color="tab:orange", label="real-valued feature")],
                       loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ------------------------------------------------------------------ freezing
def freeze_and_check(trainer, data, path, rows=2048):
    """Freezes the trainer's model to ``path``, reloads it and compares its outputs on ``rows`` rows.

    Returns ``(path, serving names dict, max |frozen - session|)``.
    """
    from tf1_recsys import export
    from tf1_recsys.data.schema import take

    n = len(next(iter(data.values())))
    batch = take(data, np.arange(min(rows, n)))
    session_out = trainer.predict(batch)
    bad = [t for t, v in session_out.items() if not np.all(np.isfinite(v))]
    if bad:
        raise CLIError("refusing to freeze: the model's %s outputs are not finite (NaN or inf) on test rows; "
                       "retrain with a smaller --lr" % ", ".join(bad))
    graph_def = trainer.freeze()
    export.write_graph_def(graph_def, path)
    inputs, outputs = export.serving_names(trainer.spec)
    with export.FrozenModel(path, inputs, outputs) as model:
        frozen_out = model({k: batch[k] for k in inputs})
    diff = max(float(np.max(np.abs(np.reshape(frozen_out[t], [-1]) - session_out[t]))) for t in outputs)
    return path, {"inputs": inputs, "outputs": outputs}, diff


def relpath(path):
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path
