"""One training run of the command, from its flags to its report.

The path of ``tf1-recsys train`` (single process, and each task of a cluster in
``cli/cluster.py``): flags -> run settings (``checked_flags``, then ``new_run`` or ``resumed_run``)
-> output folder (``cli/outdir.py``) -> data (``load_checked_data``) -> trainer
(``cli/report.make_trainer``) -> results (``report_test_results``). ``evaluate``,
``freeze`` and ``importance`` read a run back with ``load_run_data``.

Nothing here imports TensorFlow at module level.
"""
import os

from tf1_recsys.cli.common import RUN_FILE, CLIError, check_numbers, data_kind, load_data, read_run, say, write_json

DEFAULT_CHECKPOINT_SECS = 60.0


def check_model(name):
    from tf1_recsys.models import MODEL_NAMES  # no TensorFlow import

    if name not in MODEL_NAMES:
        raise CLIError("unknown model %r; choose one of: %s" % (name, ", ".join(sorted(MODEL_NAMES))))
    return name


def bayes_auc(data, split, task):
    return getattr(data, "bayes_auc", {}).get(split, {}).get(task)


def load_run_data(run, args):
    data_arg = getattr(args, "data", None) or run["data"]
    data = load_data(data_arg, seed=run["seed"], rows=run.get("rows"), protocol=run.get("protocol"))
    if data_arg != run["data"]:
        from tf1_recsys.data.schema import Schema

        if data.schema.to_dict() != Schema.from_dict(run["schema"]).to_dict():
            raise CLIError("--data %s does not have the features the model in %s was trained on"
                           % (data_arg, args.model_dir))
    return data


RESUMABLE = ("epochs", "checkpoint_every", "checkpoint_secs")
"""Train settings that ``--resume`` may change; every other setting comes from run.json."""

FLAG_OF = {"epochs": "--epochs", "batch_size": "--batch-size", "learning_rate": "--lr",
            "optimizer": "--optimizer", "embedding_size": "--embedding-size", "rows": "--rows",
            "seed": "--seed", "data": "--data", "model": "--model", "checkpoint_every": "--checkpoint-steps",
            "checkpoint_secs": "--checkpoint-secs", "protocol": "--protocol"}


def given_settings(args):
    """``{setting: value}`` of the flags given on the command line (None = not given)."""
    given = {"model": args.model, "data": args.data, "seed": args.seed, "rows": args.rows,
             "embedding_size": args.embedding_size, "epochs": args.epochs, "batch_size": args.batch_size,
             "learning_rate": args.lr, "optimizer": args.optimizer, "checkpoint_every": args.checkpoint_steps,
             "checkpoint_secs": args.checkpoint_secs, "protocol": args.protocol}
    return {k: v for k, v in given.items() if v is not None}


def new_run(args, model, kind):
    from tf1_recsys.models.presets import preset

    hparams, settings = preset(model, kind, args.protocol)
    given = given_settings(args)
    for key in ("epochs", "batch_size", "learning_rate", "optimizer", "checkpoint_every", "checkpoint_secs"):
        if key in given:
            settings[key] = given[key]
    settings.setdefault("checkpoint_secs", DEFAULT_CHECKPOINT_SECS)
    if "embedding_size" in given:
        hparams["embedding_size"] = given["embedding_size"]
    seed = args.seed if args.seed is not None else 0
    run = {"model": model, "data": args.data, "seed": seed, "rows": args.rows, "hparams": hparams,
           "train": settings}
    if args.protocol is not None:
        run["protocol"] = args.protocol
    return run


def resumed_run(args, out):
    """The run of ``out/run.json`` with the allowed changes of the flags; CLIError for the others."""
    previous = read_run(out)
    run = {k: previous[k] for k in ("model", "data", "seed", "rows", "hparams", "train", "schema", "protocol")
           if k in previous}
    recorded = {"model": run.get("model"), "data": run.get("data"), "seed": run.get("seed"),
                "rows": run.get("rows"), "embedding_size": run.get("hparams", {}).get("embedding_size"),
                "protocol": run.get("protocol", "rating" if run.get("data", "").startswith("movielens:") else None)}
    recorded.update(run.get("train", {}))
    changes = []
    for key, value in sorted(given_settings(args).items()):
        old = recorded.get(key)
        if key in RESUMABLE:
            if value != old:
                run["train"][key] = value
                changes.append("%s %s (was %s)" % (FLAG_OF[key], value, old))
        elif value != old:
            raise CLIError("--resume: %s %s differs from the %s recorded in %s; a resumed run keeps its "
                           "model and data settings (only %s may change; start a new --out instead)"
                           % (FLAG_OF[key], value, old, os.path.join(out, RUN_FILE),
                              ", ".join(FLAG_OF[k] for k in RESUMABLE)))
    return run, changes


def check_labels(data, schema):
    """CLIError unless every label of the train and test splits holds both classes."""
    import numpy as np

    for split in ("train", "test"):
        rows = getattr(data, split)
        for task in schema.labels:
            y = np.asarray(rows[task])
            if y.size == 0:
                raise CLIError("the %s split is empty (no rows); use more data (--rows) or another split"
                               % split)
            if y.min() == y.max():
                raise CLIError("label %s of the %s split has only one class (%d rows, all %g); AUC needs "
                               "both: use more data (--rows)" % (task, split, y.size, y.flat[0]))
            if split == "test" and schema.group:
                groups = np.asarray(rows[schema.group])
                _, code = np.unique(groups, return_inverse=True)
                pos = np.bincount(code, weights=y.reshape(-1) > 0)
                total = np.bincount(code)
                if not np.any((pos > 0) & (pos < total)):
                    raise CLIError("no %s of the test split has both classes of label %s (%d rows), so GAUC is "
                                   "undefined: use more data (--rows)" % (schema.group, task, y.size))



def report_test_results(run, out, data, reports, global_step):
    """Prints a trained run's test reports and writes them, with its global step, into ``out``'s run.json."""
    from tf1_recsys.cli.report import print_auc_report, print_notes_agreement

    for task, rep in reports.items():
        print_auc_report(task, rep, bayes_auc(data, "test", task))
    print_notes_agreement(reports.values())
    run["results"] = {"test": reports, "global_step": global_step}
    write_json(os.path.join(out, RUN_FILE), run)
    say("model folder: %s (checkpoints and TensorBoard logs: tensorboard --logdir %s)" % (out, out))


def recorder(folder, every_secs=1.0):
    """A ``Trainer.fit`` callback that records the trainer's new files in ``folder`` (at most once a second)."""
    import time

    last = [0.0]

    def callback(event, info):
        now = time.monotonic()
        if event != "step" or now - last[0] >= every_secs:
            folder.record_new()
            last[0] = now

    return callback


def checked_flags(args):
    """``(model, data kind, output folder)`` of ``train``'s flags, each checked (CLIError naming the flag)."""
    model = check_model(args.model)
    kind = data_kind(args.data)
    check_numbers(args)
    return model, kind, args.out or os.path.join("runs", model)


def load_checked_data(run, out):
    """The data of ``run``, checked to hold both classes of every label; records its schema in ``run``.

    A ``run`` that already records a schema (a resumed run read from ``out``) must find the same features.
    """
    data = load_data(run["data"], seed=run["seed"], rows=run.get("rows"), protocol=run.get("protocol"))
    if "schema" in run:
        from tf1_recsys.data.schema import Schema

        if data.schema.to_dict() != Schema.from_dict(run["schema"]).to_dict():
            raise CLIError("--resume: the data %s no longer has the features recorded in %s"
                           % (run["data"], os.path.join(out, RUN_FILE)))
    check_labels(data, data.schema)
    run["schema"] = data.schema.to_dict()
    return data


__all__ = ["check_model", "checked_flags", "resumed_run", "new_run", "load_checked_data", "check_labels",
           "load_run_data", "recorder", "report_test_results", "RESUMABLE", "DEFAULT_CHECKPOINT_SECS"]
