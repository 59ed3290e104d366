"""``train``, ``evaluate``, ``freeze``, ``importance`` and ``auc``.

Each ``cmd_<name>(args)`` returns an exit code and raises ``CLIError`` for user errors.
"""
import os

from tf1_recsys.cli.common import (
    RUN_FILE,
    CLIError,
    check_new_file,
    check_out,
    data_kind,
    import_tf,
    load_data,
    parse_data,
    prepare_out,
    progress_enabled,
    read_run,
    say,
    write_json,
)


def check_model(name):
    from tf1_recsys.models import MODEL_NAMES  # no TensorFlow import

    if name not in MODEL_NAMES:
        raise CLIError("unknown model %r; choose one of: %s" % (name, ", ".join(sorted(MODEL_NAMES))))
    return name


def _bayes(data, split, task):
    return getattr(data, "bayes_auc", {}).get(split, {}).get(task)


def _load_run_data(run, args):
    data_arg = getattr(args, "data", None) or run["data"]
    data = load_data(data_arg, seed=run["seed"], rows=run.get("rows"))
    if data_arg != run["data"]:
        from tf1_recsys.data.schema import Schema

        if data.schema.to_dict() != Schema.from_dict(run["schema"]).to_dict():
            raise CLIError("--data %s does not have the features the model in %s was trained on"
                           % (data_arg, args.model_dir))
    return data


# ------------------------------------------------------------------ train
def cmd_train(args):
    from tf1_recsys.models.presets import preset

    model = check_model(args.model)
    kind = data_kind(args.data)
    for flag, value in (("--epochs", args.epochs), ("--batch-size", args.batch_size), ("--lr", args.lr),
                        ("--embedding-size", args.embedding_size), ("--rows", args.rows)):
        if value is not None and not value > 0:
            raise CLIError("%s must be positive; got %s" % (flag, value))
    hparams, settings = preset(model, kind)
    for key, value in (("epochs", args.epochs), ("batch_size", args.batch_size),
                       ("learning_rate", args.lr), ("optimizer", args.optimizer)):
        if value is not None:
            settings[key] = value
    if args.embedding_size is not None:
        hparams["embedding_size"] = args.embedding_size
    out = args.out or os.path.join("runs", model)
    if args.resume:
        previous = read_run(out)
        if previous["model"] != model or previous["data"] != args.data:
            raise CLIError("--resume: %s holds a %s model trained on %s, not %s on %s"
                           % (out, previous["model"], previous["data"], model, args.data))
    else:
        check_out(out, args.overwrite)
    data = load_data(args.data, seed=args.seed, rows=args.rows)
    if not args.resume:
        prepare_out(out, args.overwrite)
    say("data: " + data.describe())
    import_tf()
    from tf1_recsys.cli.report import make_trainer, print_auc_report, score

    run = {"model": model, "data": args.data, "seed": args.seed, "rows": args.rows,
           "hparams": hparams, "train": settings, "schema": data.schema.to_dict()}
    write_json(os.path.join(out, RUN_FILE), run)
    trainer = make_trainer(run, out, progress_enabled(args))
    try:
        say("training %s: %s" % (model, ", ".join("%s=%s" % kv for kv in sorted(settings.items()))))
        fit = trainer.fit(data.train)
        say("trained %d steps in %.1f s (%.0f examples/s), last train loss %.4f"
            % (fit["steps"], fit["seconds"], fit["examples_per_sec"], fit.get("loss", float("nan"))))
        _, reports = score(trainer, data.test, data.schema)
    finally:
        trainer.close()
    for task, rep in reports.items():
        print_auc_report(task, rep, _bayes(data, "test", task))
    run["results"] = {"test": reports, "global_step": fit["global_step"]}
    write_json(os.path.join(out, RUN_FILE), run)
    say("model folder: %s (checkpoints and TensorBoard logs: tensorboard --logdir %s)" % (out, out))
    return 0


# ------------------------------------------------------------------ evaluate
def cmd_evaluate(args):
    run = read_run(args.model_dir)
    data = _load_run_data(run, args)
    rows = getattr(data, args.split)
    import_tf()
    from tf1_recsys.cli.report import make_trainer, print_auc_report, score
    from tf1_recsys.data.csvio import write_scores

    if args.scores_out:
        check_new_file(args.scores_out, args.overwrite, "scores file")
    trainer = make_trainer(run, args.model_dir, progress_enabled(args))
    try:
        if trainer.restored_from is None:
            raise CLIError("%s has no checkpoint to evaluate" % args.model_dir)
        preds, reports = score(trainer, rows, data.schema)
    finally:
        trainer.close()
    say("%s on the %s split of %s (%s)" % (run["model"], args.split, run["data"], data.describe()))
    for task, rep in reports.items():
        print_auc_report(task, rep, _bayes(data, args.split, task))
    if args.scores_out:
        task = args.task or list(preds)[0]
        if task not in preds:
            raise CLIError("unknown --task %r; the model predicts %s" % (task, ", ".join(preds)))
        group = rows.get(data.schema.group) if data.schema.group else None
        write_scores(args.scores_out, rows[task], preds[task], group)
        say("wrote %s (label,score,group of task %s); score it with: tf1-recsys auc %s"
            % (args.scores_out, task, args.scores_out))
    return 0


# ------------------------------------------------------------------ freeze
def cmd_freeze(args):
    run = read_run(args.model_dir)
    output = args.output or os.path.join(args.model_dir, "frozen.pb")
    if args.output:
        check_new_file(output, args.overwrite, "output file")
    data = None if args.no_check else _load_run_data(run, args)
    import_tf()
    from tf1_recsys import export
    from tf1_recsys.cli.report import freeze_and_check, make_trainer

    trainer = make_trainer(run, args.model_dir, progress_enabled(args))
    try:
        if trainer.restored_from is None:
            raise CLIError("%s has no checkpoint to freeze" % args.model_dir)
        if data is None:
            export.write_graph_def(trainer.freeze(), output)
            names = dict(zip(("inputs", "outputs"), export.serving_names(trainer.spec)))
        else:
            output, names, diff = freeze_and_check(trainer, data.test, output)
    finally:
        trainer.close()
    serving = os.path.splitext(output)[0] + ".serving.json"
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
    run = read_run(args.model_dir)
    png = args.png or os.path.join(args.model_dir, "importance.png")
    if args.png:
        check_new_file(args.png, args.overwrite, "PNG file")
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
    csv_path = write_sensitivity_csv(rows, os.path.splitext(png)[0] + ".csv")
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
