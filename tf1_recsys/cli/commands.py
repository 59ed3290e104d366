"""``train``, ``evaluate``, ``freeze``, ``importance`` and ``auc``.

Each ``cmd_<name>(args)`` returns an exit code and raises ``CLIError`` for user errors.
"""
import os

from tf1_recsys.cli import runs
from tf1_recsys.cli.cluster import cluster_task, train_task
from tf1_recsys.cli.common import (
    RUN_FILE,
    CLIError,
    check_numbers,
    import_tf,
    parse_data,
    progress_enabled,
    read_run,
    say,
    write_json,
)
from tf1_recsys.cli.outdir import OutputFolder, check_out, claim, writing
from tf1_recsys.cli.runs import bayes_auc, check_model, load_run_data
from tf1_recsys.cli.signals import stop_on_signals


# ------------------------------------------------------------------ train
def cmd_train(args):
    task = cluster_task()
    if args.cluster and task is None:
        raise CLIError("--cluster: $TF_CONFIG names no cluster (it is %s); start the tasks with `tf1-recsys "
                       "launch` or a launcher that sets it (docs/DISTRIBUTED.md)"
                       % ("not set" if not os.environ.get("TF_CONFIG") else "one local process"))
    if task is not None:
        return train_task(args, task)
    model, kind, out = runs.checked_flags(args)
    folder = OutputFolder(out)
    if args.resume:
        if args.overwrite:
            raise CLIError("--resume and --overwrite contradict each other: pick one")
        run, changes = runs.resumed_run(args, out)
        folder.lock()
    else:
        run, changes = runs.new_run(args, model, kind), []
        check_out(out, args.overwrite)
    data = runs.load_checked_data(run, out)
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
                fit = trainer.fit(data.train, eval_data=data.test, callback=runs.recorder(folder))
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
    runs.report_test_results(run, out, data, reports, fit["global_step"])
    return 0


# ------------------------------------------------------------------ evaluate
def cmd_evaluate(args):
    run = read_run(args.model_dir)
    data = load_run_data(run, args)
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
        print_auc_report(task, rep, bayes_auc(data, args.split, task), split=args.split)
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
    onnx_path = _check_onnx_path(output) if args.onnx else None
    claim([output, serving] + ([onnx_path] if onnx_path else []), args.overwrite, args.model_dir)
    data = None if args.no_check else load_run_data(run, args)
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
    names["graph"] = os.path.basename(output)
    with writing("output file", serving):
        write_json(serving, names)
    say("froze %s into %s (%d bytes); input/output tensor names in %s"
        % (trainer.restored_from, output, os.path.getsize(output), serving))
    if onnx_path:
        names["onnx"] = _write_onnx(output, onnx_path, names, None if data is None else data.test)
        with writing("output file", serving):
            write_json(serving, names)
    if data is not None:
        ok = diff <= 1e-5
        say("reloaded the frozen graph: max |frozen - session| = %.2g on %d test rows -> %s"
            % (diff, min(2048, len(data.test[data.schema.labels[0]])), "match" if ok else "MISMATCH"))
        if not ok:
            return 1
    return 0


def _check_onnx_path(output):
    """``<output stem>.onnx``, once the onnx packages are there (``claim`` decides whether it may be written)."""
    from tf1_recsys.export_onnx import OnnxUnavailableError, onnx_modules

    try:
        onnx_modules()
    except OnnxUnavailableError as e:
        raise CLIError("--onnx: %s" % e) from None
    return os.path.splitext(output)[0] + ".onnx"


def _write_onnx(pb, path, names, rows, check_rows=256):
    """Converts the frozen ``pb`` to ``path`` after checking it against the session; the manifest entry."""
    import numpy as np

    from tf1_recsys.data.schema import take
    from tf1_recsys.export_onnx import OnnxConversionError, OnnxMismatchError, onnx_versions, to_onnx

    check = None
    if rows is not None:
        batch = take(rows, np.arange(min(check_rows, len(next(iter(rows.values()))))))
        check = {k: batch[k] for k in names["inputs"]}
    try:
        result = to_onnx(pb, path, inputs=names["inputs"], outputs=names["outputs"], check_inputs=check,
                         overwrite=True)
    except (OnnxConversionError, OnnxMismatchError) as e:
        raise CLIError(str(e)) from None
    worst = max(result.differences.values())
    say("wrote %s (%d bytes): onnxruntime matches the session to %.2g on %s -> match"
        % (path, os.path.getsize(path), worst, "%d test rows" % len(next(iter(check.values())))
           if check else "random inputs"))
    opset = next(o.version for o in result.model.opset_import if o.domain in ("", "ai.onnx"))
    return dict(file=os.path.basename(path), opset=opset, max_difference=worst, **onnx_versions())


# ------------------------------------------------------------------ importance
def cmd_importance(args):
    check_numbers(args)
    run = read_run(args.model_dir)
    png = args.png or os.path.join(args.model_dir, "importance.png")
    csv_path = os.path.splitext(png)[0] + ".csv"
    claim([png, csv_path], args.overwrite, args.model_dir)
    data = load_run_data(run, args)
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
