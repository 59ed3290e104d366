"""``tf1-recsys demo``: the whole story on the embedded synthetic data in a few minutes.

1. generate the seeded synthetic CTR data (known click probabilities, Bayes-optimal AUC);
2. train ``din`` (then, quickly, ``fm`` and the two-task ``mmoe``) in graph mode;
3. score the test split: AUC by ``tf1_recsys.metrics.auc`` and the notes' three methods,
   GAUC, and the gap to the Bayes-optimal AUC;
4. rank the features by the notes' gradient sensitivity (table, CSV, bar chart);
5. freeze ``din``, reload the frozen graph and check its outputs against the session;
6. point at the TensorBoard logs.
"""
import os
import time

from tf1_recsys.cli.common import CLIError, check_numbers, import_tf, load_data, progress_enabled, say, write_json
from tf1_recsys.cli.outdir import DEMO_SUBFOLDERS, LOCK, OutputFolder, fresh_folder

DEFAULT_OUT = "tf1_recsys_demo"


def _out_folder(args):
    out = args.out or DEFAULT_OUT
    if os.path.lexists(out) and not os.path.isdir(out):
        raise CLIError("output folder %s exists and is a file" % out)
    if os.path.isdir(out) and set(os.listdir(out)) - {LOCK} and not args.overwrite:
        fresh = fresh_folder(out)
        if fresh != out:
            say("note: %s already holds files; writing this run to %s (pass --overwrite to replace what "
                "tf1-recsys wrote in %s)" % (out, fresh, out))
            out = fresh
    return OutputFolder(out).prepare(overwrite=args.overwrite, subfolders=DEMO_SUBFOLDERS)


class _Clock:
    """Prints the seconds each demo step took."""

    def __init__(self):
        self.t = time.perf_counter()

    def lap(self, indent=None):
        now = time.perf_counter()
        if indent is not None:
            say("%s(%.1f s)" % (indent, now - self.t))
        self.t = now


def _train(name, data, folder, seed, progress, epochs=None, rows_note="", bayes=None):
    from tf1_recsys.cli import runs
    from tf1_recsys.cli.report import make_trainer
    from tf1_recsys.models.presets import preset

    hparams, settings = preset(name, "synthetic")
    if epochs is not None:
        settings["epochs"] = epochs
    run = {"model": name, "data": "synthetic", "seed": seed, "rows": rows_note or None,
           "hparams": hparams, "train": settings, "schema": data.schema.to_dict()}
    model_dir = folder.subfolder(name)
    folder.record(os.path.join(name, "run.json"))
    write_json(os.path.join(model_dir, "run.json"), run)
    trainer = make_trainer(run, model_dir, progress)
    t0 = time.perf_counter()
    try:
        fit = trainer.fit(data.train, eval_data=data.test, callback=runs.recorder(folder))
        if bayes:  # a flat reference line beside the test AUC curves in TensorBoard
            for step in (0, fit["global_step"]):
                trainer.write_scalars(step, {"eval/bayes_optimal_auc/" + t: bayes[t]
                                             for t in trainer.spec.predictions if t in bayes})
    finally:
        folder.record_new()
    say("  trained %s: %d epochs, %d steps of %d rows, %.1f s"
        % (name, settings["epochs"], fit["steps"], settings["batch_size"], time.perf_counter() - t0))
    return trainer, run, model_dir


def cmd_demo(args):
    t_start = time.perf_counter()
    check_numbers(args)
    folder = _out_folder(args)
    out = folder.path
    progress = progress_enabled(args)
    say("tf1-recsys demo -> %s" % out)
    say("\"the notes\": the original TF1 code this package ports and fixes (FM, attention, DIN with Dice, "
        "MMoE, SENet, gradient sensitivity, three AUC methods); see docs/BUGFIXES.md")
    clock = _Clock()
    say("[1/6] data")
    data = load_data("synthetic", seed=args.seed, rows=args.rows)
    say("  " + data.describe())
    bayes = data.bayes_auc["test"]
    say("  Bayes-optimal test AUC (the true click probabilities): " +
        ", ".join("%s %.4f" % kv for kv in bayes.items()))

    import_tf()
    from tf1_recsys.cli.report import (
        freeze_and_check,
        plot_sensitivity,
        print_auc_report,
        print_notes_agreement,
        score,
        sensitivity,
        write_sensitivity_csv,
    )
    from tf1_recsys.sensitivity import format_table

    summary = {"out": out, "seed": args.seed, "data": data.describe(), "bayes_auc": bayes, "models": {}}
    say("[2/6] din: slot embeddings + DIN attention over the behaviour sequences + SENet + Dice MLP")
    clock.lap()
    din, din_run, din_dir = _train("din", data, folder, args.seed, progress, args.epochs, args.rows, bayes)
    clock.lap("  ")
    try:
        say("[3/6] test AUC and GAUC")
        _, reports = score(din, data.test, data.schema)
        print_auc_report("din/click", reports["click"], bayes["click"], target=0.02)
        print_notes_agreement(reports.values())
        clock.lap("  ")
        summary["models"]["din"] = reports
        gap = bayes["click"] - reports["click"]["auc"]

        say("[4/6] gradient sensitivity of din (the notes' get_gradients on %d test rows)"
            % min(4096, len(data.test["click"])))
        rows = sensitivity(din, data.test)
        say(format_table(rows))
        from tf1_recsys.data.synthetic import UNUSED_FEATURES

        ranks = {r.feature: r.rank for r in rows}
        for f in UNUSED_FEATURES:
            say("  '%s' is never used by the generator: rank %d of %d" % (f, ranks[f], len(ranks)))
        folder.record("sensitivity.csv", "sensitivity.png")
        csv_path = write_sensitivity_csv(rows, os.path.join(out, "sensitivity.csv"))
        png = plot_sensitivity(rows, os.path.join(out, "sensitivity.png"), title="din")
        say("  saved %s%s" % (csv_path, " and %s" % png if png else ""))
        clock.lap("  ")
        summary["sensitivity"] = [r._asdict() for r in rows]

        say("[5/6] freeze din, reload the frozen graph, compare its outputs with the session")
        folder.record("din_frozen.pb", "din_frozen.serving.json")
        pb, names, diff = freeze_and_check(din, data.test, os.path.join(out, "din_frozen.pb"))
        write_json(os.path.join(out, "din_frozen.serving.json"), names)
        say("  %s: inputs %s -> outputs %s" % (pb, ", ".join(sorted(names["inputs"])),
                                              ", ".join(names["outputs"].values())))
        say("  max |frozen - session| = %.2g -> %s" % (diff, "match" if diff <= 1e-5 else "MISMATCH"))
        summary["frozen"] = {"path": pb, "max_abs_diff": diff}
        clock.lap("  ")
    finally:
        din.close()

    if not args.skip_others:
        say("[6/6] quick fm and two-task mmoe on the same data")
        for name in ("fm", "mmoe"):
            trainer, _, _ = _train(name, data, folder, args.seed, progress, None if args.epochs is None else 1,
                                   args.rows, bayes)
            try:
                _, reports = score(trainer, data.test, data.schema)
            finally:
                trainer.close()
            for task, rep in reports.items():
                print_auc_report("%s/%s" % (name, task), rep, bayes[task])
            summary["models"][name] = reports
        print_notes_agreement(r for m in ("fm", "mmoe") for r in summary["models"][m].values())
        clock.lap("  ")
    summary["seconds"] = time.perf_counter() - t_start
    folder.record("summary.json")
    write_json(os.path.join(out, "summary.json"), summary)
    say("done in %.0f s. din's test AUC is %.4f below the Bayes-optimal %.4f%s."
        % (summary["seconds"], gap, bayes["click"], "" if gap <= 0.02 else " (more than 0.02: train longer)"))
    say("TensorBoard (training loss and AUC, test AUC and GAUC per epoch, the Bayes-optimal AUC as a "
        "reference line, graphs): tensorboard --logdir %s" % out)
    say("summary: %s" % os.path.join(out, "summary.json"))
    return 0
