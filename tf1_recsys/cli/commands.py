"""``train``, ``evaluate``, ``freeze``, ``importance`` and ``auc``.

Each ``cmd_<name>(args)`` returns an exit code and raises ``CLIError`` for user errors.
"""
import os

from tf1_recsys.cli.common import (
    RUN_FILE,
    CLIError,
    check_numbers,
    data_kind,
    import_tf,
    load_data,
    parse_data,
    progress_enabled,
    read_run,
    say,
    write_json,
)
from tf1_recsys.cli.outdir import OutputFolder, check_out, claim, writing
from tf1_recsys.cli.signals import stop_on_signals

DEFAULT_CHECKPOINT_SECS = 60.0


def check_model(name):
    from tf1_recsys.models import MODEL_NAMES  # no TensorFlow import

    if name not in MODEL_NAMES:
        raise CLIError("unknown model %r; choose one of: %s" % (name, ", ".join(sorted(MODEL_NAMES))))
    return name


def _bayes(data, split, task):
    return getattr(data, "bayes_auc", {}).get(split, {}).get(task)


def _load_run_data(run, args):
    data_arg = getattr(args, "data", None) or run["data"]
    data = load_data(data_arg, seed=run["seed"], rows=run.get("rows"), protocol=run.get("protocol"))
    if data_arg != run["data"]:
        from tf1_recsys.data.schema import Schema

        if data.schema.to_dict() != Schema.from_dict(run["schema"]).to_dict():
            raise CLIError("--data %s does not have the features the model in %s was trained on"
                           % (data_arg, args.model_dir))
    return data


# ------------------------------------------------------------------ train
RESUMABLE = ("epochs", "checkpoint_every", "checkpoint_secs")
"""Train settings that ``--resume`` may change; every other setting comes from run.json."""

_FLAG_OF = {"epochs": "--epochs", "batch_size": "--batch-size", "learning_rate": "--lr",
            "optimizer": "--optimizer", "embedding_size": "--embedding-size", "rows": "--rows",
            "seed": "--seed", "data": "--data", "model": "--model", "checkpoint_every": "--checkpoint-steps",
            "checkpoint_secs": "--checkpoint-secs", "protocol": "--protocol"}


def _given_settings(args):
    """``{setting: value}`` of the flags given on the command line (None = not given)."""
    given = {"model": args.model, "data": args.data, "seed": args.seed, "rows": args.rows,
             "embedding_size": args.embedding_size, "epochs": args.epochs, "batch_size": args.batch_size,
             "learning_rate": args.lr, "optimizer": args.optimizer, "checkpoint_every": args.checkpoint_steps,
             "checkpoint_secs": args.checkpoint_secs, "protocol": args.protocol}
    return {k: v for k, v in given.items() if v is not None}


def _new_run(args, model, kind):
    from tf1_recsys.models.presets import preset

    hparams, settings = preset(model, kind, args.protocol)
    given = _given_settings(args)
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


def _resumed_run(args, out):
    """The run of ``out/run.json`` with the allowed changes of the flags; CLIError for the others."""
    previous = read_run(out)
    run = {k: previous[k] for k in ("model", "data", "seed", "rows", "hparams", "train", "schema", "protocol")
           if k in previous}
    recorded = {"model": run.get("model"), "data": run.get("data"), "seed": run.get("seed"),
                "rows": run.get("rows"), "embedding_size": run.get("hparams", {}).get("embedding_size"),
                "protocol": run.get("protocol", "rating" if run.get("data", "").startswith("movielens:") else None)}
    recorded.update(run.get("train", {}))
    changes = []
    for key, value in sorted(_given_settings(args).items()):
        old = recorded.get(key)
        if key in RESUMABLE:
            if value != old:
                run["train"][key] = value
                changes.append("%s %s (was %s)" % (_FLAG_OF[key], value, old))
        elif value != old:
            raise CLIError("--resume: %s %s differs from the %s recorded in %s; a resumed run keeps its "
                           "model and data settings (only %s may change; start a new --out instead)"
                           % (_FLAG_OF[key], value, old, os.path.join(out, RUN_FILE),
                              ", ".join(_FLAG_OF[k] for k in RESUMABLE)))
    return run, changes


def _check_labels(data, schema):
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


def cmd_train(args):
    from tf1_recsys.cli.cluster import cluster_task, train_task

    task = cluster_task()
    if args.cluster and task is None:
        raise CLIError("--cluster: $TF_CONFIG names no cluster (it is %s); start the tasks with `tf1-recsys "
                       "launch` or a launcher that sets it (docs/DISTRIBUTED.md)"
                       % ("not set" if not os.environ.get("TF_CONFIG") else "one local process"))
    if task is not None:
        return train_task(args, task)
    model = check_model(args.model)
    kind = data_kind(args.data)
    check_numbers(args)
    out = args.out or os.path.join("runs", model)
    folder = OutputFolder(out)
    if args.resume:
        if args.overwrite:
            raise CLIError("--resume and --overwrite contradict each other: pick one")
        run, changes = _resumed_run(args, out)
        folder.lock()
    else:
        run, changes = _new_run(args, model, kind), []
        check_out(out, args.overwrite)
    data = load_data(run["data"], seed=run["seed"], rows=run.get("rows"), protocol=run.get("protocol"))
    if args.resume:
        from tf1_recsys.data.schema import Schema

        if "schema" in run and data.schema.to_dict() != Schema.from_dict(run["schema"]).to_dict():
            raise CLIError("--resume: the data %s no longer has the features recorded in %s"
                           % (run["data"], os.path.join(out, RUN_FILE)))
    _check_labels(data, data.schema)
    run["schema"] = data.schema.to_dict()
    if args.resume:
        folder.snapshot()
    else:
        folder.prepare(args.overwrite)  # which takes the snapshot
    say("data: " + data.describe())
    import_tf()
    from tf1_recsys.cli.report import make_trainer, score
    from tf1_recsys.training import NanLossDuringTrainingError

    trainer = make_trainer(run, out, progress_enabled(args))
    if args.resume and trainer.restored_from is None:
        trainer.close()
        raise CLIError("--resume: %s has no checkpoint to resume from (run.json is there, but no "
                       "checkpoint was saved); train again without --resume" % out)
    folder.record(RUN_FILE)
    write_json(os.path.join(out, RUN_FILE), run)  # only now: a failed restore leaves run.json as it was
    settings = run["train"]
    try:
        if trainer.restored_from is not None:
            say("resuming from %s at global step %d%s" % (trainer.restored_from, trainer.step,
                                                          "; changed: " + ", ".join(changes) if changes else ""))
        say("training %s: %s" % (model, ", ".join("%s=%s" % kv for kv in sorted(settings.items()))))
        with stop_on_signals(trainer) as caught:
            try:
                fit = trainer.fit(data.train, eval_data=data.test, callback=_recorder(folder))
            except NanLossDuringTrainingError as e:
                raise CLIError("training diverged at global step %s (the loss or the weights became NaN or inf); "
                               "kept the last finite checkpoint, %s. Try a smaller --lr, e.g. --lr %g"
                               % (e.step, e.checkpoint or "none (no step was finite)",
                                  settings["learning_rate"] / 10)) from None
            finally:
                folder.record_new()
        if fit["stopped"]:
            say("stopped by %s at global step %d; checkpoint saved in %s. Continue with the same command "
                "and --resume" % (caught[0], fit["global_step"], out))
            return 128 + caught[1]
        say("trained %d steps in %.1f s (%.0f examples/s), last train loss %.4f"
            % (fit["steps"], fit["seconds"], fit["examples_per_sec"], fit.get("loss", float("nan"))))
        _, reports = score(trainer, data.test, data.schema)
    finally:
        trainer.close()
    report_test_results(run, out, data, reports, fit["global_step"])
    return 0


def report_test_results(run, out, data, reports, global_step):
    """Prints a trained run's test reports and writes them, with its global step, into ``out``'s run.json."""
    from tf1_recsys.cli.report import print_auc_report, print_notes_agreement

    for task, rep in reports.items():
        print_auc_report(task, rep, _bayes(data, "test", task))
    print_notes_agreement(reports.values())
    run["results"] = {"test": reports, "global_step": global_step}
    write_json(os.path.join(out, RUN_FILE), run)
    say("model folder: %s (checkpoints and TensorBoard logs: tensorboard --logdir %s)" % (out, out))


def _recorder(folder, every_secs=1.0):
    """A ``Trainer.fit`` callback that records the trainer's new files in ``folder`` (at most once a second)."""
    import time

    last = [0.0]

    def callback(event, info):
        now = time.monotonic()
        if event != "step" or now - last[0] >= every_secs:
            folder.record_new()
            last[0] = now

    return callback


# ------------------------------------------------------------------ evaluate
def cmd_evaluate(args):
    run = read_run(args.model_dir)
    data = _load_run_data(run, args)
    rows = getattr(data, args.split, None)
    if rows is None:
        raise CLIError("--split %s: %s has no %s split" % (args.split, run["data"], args.split))
    import_tf()
    from tf1_recsys.cli.report import make_trainer, print_auc_report, print_notes_agreement, score
    from tf1_recsys.data.csvio import write_scores

    if args.scores_out:
        claim([args.scores_out], args.overwrite, args.model_dir, "scores file")
    trainer = make_trainer(run, args.model_dir, progress_enabled(args))
    try:
        if trainer.restored_from is None:
            raise CLIError("%s has no checkpoint to evaluate" % args.model_dir)
        preds, reports = score(trainer, rows, data.schema)
    finally:
        trainer.close()
    say("%s on the %s split of %s (%s)" % (run["model"], args.split, run["data"], data.describe()))
    for task, rep in reports.items():
        print_auc_report(task, rep, _bayes(data, args.split, task), split=args.split)
    print_notes_agreement(reports.values())
    if args.scores_out:
        task = args.task or list(preds)[0]
        if task not in preds:
            raise CLIError("unknown --task %r; the model predicts %s" % (task, ", ".join(preds)))
        group = rows.get(data.schema.group) if data.schema.group else None
        with writing("scores file", args.scores_out):
            write_scores(args.scores_out, rows[task], preds[task], group)
        say("wrote %s (label,score,group of task %s); score it with: tf1-recsys auc %s"
            % (args.scores_out, task, args.scores_out))
    return 0


# ------------------------------------------------------------------ freeze
def cmd_freeze(args):
    run = read_run(args.model_dir)
    output = args.output or os.path.join(args.model_dir, "frozen.pb")
    serving = os.path.splitext(output)[0] + ".serving.json"
    claim([output, serving], args.overwrite, args.model_dir)
    data = None if args.no_check else _load_run_data(run, args)
    import_tf()
    from tf1_recsys import export
    from tf1_recsys.cli.report import freeze_and_check, make_trainer
    from tf1_recsys.training import NanLossDuringTrainingError

    trainer = make_trainer(run, args.model_dir, progress_enabled(args))
    try:
        if trainer.restored_from is None:
            raise CLIError("%s has no checkpoint to freeze" % args.model_dir)
        try:
            with writing("output file", output):
                if data is None:
                    export.write_graph_def(trainer.freeze(), output)
                    names = dict(zip(("inputs", "outputs"), export.serving_names(trainer.spec)))
                else:
                    output, names, diff = freeze_and_check(trainer, data.test, output)
        except NanLossDuringTrainingError as e:
            raise CLIError(str(e)) from None
    finally:
        trainer.close()
    with writing("output file", serving):
        write_json(serving, names)
    say("froze %s into %s (%d bytes); input/output tensor names in %s"
        % (trainer.restored_from, output, os.path.getsize(output), serving))
    if data is not None:
        ok = diff <= 1e-5
        say("reloaded the frozen graph: max |frozen - session| = %.2g on %d test rows -> %s"
            % (diff, min(2048, len(data.test[data.schema.labels[0]])), "match" if ok else "MISMATCH"))
        if not ok:
            return 1
    return 0


# ------------------------------------------------------------------ importance
def cmd_importance(args):
    check_numbers(args)
    run = read_run(args.model_dir)
    png = args.png or os.path.join(args.model_dir, "importance.png")
    csv_path = os.path.splitext(png)[0] + ".csv"
    claim([png, csv_path], args.overwrite, args.model_dir)
    data = _load_run_data(run, args)
    import_tf()
    from tf1_recsys.cli.report import make_trainer, plot_sensitivity, sensitivity, write_sensitivity_csv
    from tf1_recsys.sensitivity import format_table

    trainer = make_trainer(run, args.model_dir, progress_enabled(args))
    try:
        if trainer.restored_from is None:
            raise CLIError("%s has no checkpoint to explain" % args.model_dir)
        rows = sensitivity(trainer, data.test, args.rows)
    finally:
        trainer.close()
    say("gradient sensitivity of %s on %d test rows (the notes' get_gradients: |batch mean of "
        "d prediction / d input|; a slot is the max over its embedding dimensions):"
        % (run["model"], min(args.rows, len(data.test[data.schema.labels[0]]))))
    say(format_table(rows))
    with writing("output file", csv_path):
        write_sensitivity_csv(rows, csv_path)
    with writing("output file", png):
        saved = plot_sensitivity(rows, png, title=run["model"])
    say("table: %s%s" % (csv_path, "; bar chart: %s" % saved if saved else ""))
    return 0


# ------------------------------------------------------------------ auc (no TensorFlow)
def cmd_auc(args):
    from tf1_recsys import metrics
    from tf1_recsys.data.csvio import DataError, read_scores

    try:
        labels, scores, groups = read_scores(args.file)
    except DataError as e:
        raise CLIError(str(e)) from None
    n_pos = int(labels.sum())
    if n_pos in (0, len(labels)):
        raise CLIError("%s: all %d labels are %d; AUC needs both classes" % (args.file, len(labels), int(labels[0])))
    say("%s: %d rows, %d positive" % (args.file, len(labels), n_pos))
    say("AUC %.6f" % metrics.auc(labels, scores))
    if args.notes:
        try:
            sk = "%.6f" % metrics.get_auc(labels, scores)
        except ImportError:
            sk = "n/a (scikit-learn not installed)"
        say("the notes' methods: get_auc (sklearn) %s, calcAUC_byProb %.6f, calculate_auc_func2 %.6f"
            % (sk, metrics.calcAUC_byProb(labels, scores), metrics.calculate_auc_func2(labels, scores)))
    if groups is not None:
        try:
            g = metrics.gauc(labels, scores, groups, weighting=args.weighting)
        except ValueError as e:
            raise CLIError("%s: %s" % (args.file, e)) from None
        say("GAUC %.6f (%s-weighted over %d groups; %d groups with one class skipped)"
            % (g.gauc, args.weighting, g.groups_used, g.groups_skipped))
    return 0


__all__ = ["cmd_train", "cmd_evaluate", "cmd_freeze", "cmd_importance", "cmd_auc", "check_model", "parse_data"]
