"""The command loses no work and deletes nothing it did not write.

Overwrite keeps the user's files; SIGKILL, SIGINT and SIGTERM mid-run resume to the very
weights of an uninterrupted run; a second run on a folder in use is refused; a resumed run
keeps its recorded settings; a diverging run keeps its last finite checkpoint.
"""
import json
import os
import signal

import numpy as np
import pytest

from conftest import CLI_SMALL as SMALL
import cli_slow
from test_cli import assert_one_line_error, run
from tf1_recsys._tf import tf

STEPS_PER_EPOCH = 38  # 2400 training rows / 64


def _train(capsys, out, *extra):
    return run(capsys, "train", *SMALL, "--out", str(out), *extra)


def _checkpoint_values(model_dir):
    reader = tf.train.load_checkpoint(str(model_dir))
    return {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()}


def _step_of(model_dir):
    return int(_checkpoint_values(model_dir)["global_step"])


# ---------------------------------------------------------------- overwrite
def test_overwrite_removes_only_what_tf1_recsys_wrote(tmp_path, capsys, monkeypatch):
    p = tmp_path / "p"
    p.mkdir()
    monkeypatch.chdir(tmp_path)
    rc, _, err = _train(capsys, "p", "--epochs", "1")
    assert rc == 0, err
    first = sorted(os.listdir(p))
    assert "run.json" in first and any(f.startswith("events.out.tfevents") for f in first)
    (p / "mine.py").write_text("x = 1\n")
    (p / "notes").mkdir()
    (p / "notes" / "todo.txt").write_text("keep me")
    rc, _, err = _train(capsys, "p", "--epochs", "2", "--overwrite", "--seed", "1")
    assert rc == 0, err
    assert (p / "mine.py").read_text() == "x = 1\n" and (p / "notes" / "todo.txt").read_text() == "keep me"
    checkpoints = [f for f in first if f.startswith("model.ckpt-%d." % STEPS_PER_EPOCH)]
    assert checkpoints and not any((p / f).exists() for f in checkpoints), "the first run's checkpoint survived"
    # Event files are named by the second they were opened in, so the second run's may reuse the
    # first one's name; either way exactly one is left.
    assert len([f for f in os.listdir(p) if f.startswith("events.out.tfevents")]) == 1
    assert json.load(open(p / "run.json"))["seed"] == 1
    record = json.load(open(p / ".tf1_recsys_output"))["files"]
    assert "mine.py" not in record and "run.json" in record


@pytest.mark.parametrize("where", ["dot", "cwd", "parent", "home", "root", "symlink"])
def test_overwrite_refuses_dangerous_folders(tmp_path, capsys, monkeypatch, where):
    ours = tmp_path / "home" / "proj" / "run"
    ours.mkdir(parents=True)
    (ours / ".tf1_recsys_output").write_text("written by tf1-recsys on 2025-01-01T00:00:00\n")  # old marker
    (ours / "run.json").write_text("{}")
    (ours / "thesis.tex").write_text("mine")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(ours)
    target = {"dot": ".", "cwd": str(ours), "parent": str(ours.parent), "home": str(tmp_path / "home"),
              "root": "/", "symlink": str(tmp_path / "link")}[where]
    if where == "symlink":
        os.symlink(str(ours), target)
    for folder in (ours.parent, tmp_path / "home"):
        (folder / ".tf1_recsys_output").write_text("{}")
    rc, _, err = _train(capsys, target, "--overwrite")
    assert_one_line_error(rc, err, "refusing to overwrite")
    assert (ours / "thesis.tex").read_text() == "mine" and (ours / "run.json").exists()


def test_old_marker_overwrite_removes_only_tf1_recsys_names(tmp_path):
    from tf1_recsys.cli.outdir import OutputFolder

    out = tmp_path / "old"
    (out / "din").mkdir(parents=True)
    (out / ".tf1_recsys_output").write_text("written by tf1-recsys on 2025-01-01T00:00:00\n")
    ours = ["run.json", "checkpoint", "model.ckpt-5.index", "model.ckpt-5.data-00000-of-00001",
            "events.out.tfevents.1.host", "din/run.json", "din/model.ckpt-1.index", "summary.json"]
    theirs = ["thesis.tex", "din/analysis.ipynb", "model_notes.md"]
    for f in ours + theirs:
        (out / f).write_text(f)
    (out / "din" / "plots").mkdir()  # a user's empty folder beside our files
    folder = OutputFolder(str(out))
    assert folder.user_files() == sorted(theirs)
    assert folder.clear() == len(ours)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == sorted(
        theirs + [".tf1_recsys_output"])
    assert (out / "din" / "plots").is_dir()


# ---------------------------------------------------------------- signals, lock, resume
SIGNALS = [(signal.SIGKILL, -9), (signal.SIGINT, 130), (signal.SIGTERM, 143)]


@pytest.fixture(scope="module")
def slow_runs(tmp_path_factory):
    """{signal: (process, its folder, its hold file)}: one run per signal, started at once (they import
    TensorFlow and train side by side), each held after its checkpoint of step 40 until its test lets it go."""
    runs = {}
    try:
        for sig, _ in SIGNALS:
            folder = tmp_path_factory.mktemp("signal_%s" % sig.name)
            (folder / "run").mkdir()
            hold = folder / "hold"
            hold.write_text("")
            runs[sig] = (cli_slow.start_held(30, ["train", *SMALL, "--out", str(folder / "run"), "--epochs", "3",
                                                 "--checkpoint-steps", "20"], 40, hold,
                                                str(folder / "run") + ".err"), folder / "run", hold)
        yield runs
    finally:
        for proc, _, hold in runs.values():
            if hold.exists():
                hold.unlink()
            proc.kill()
            proc.wait(timeout=60)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted") / "run"
    import io
    import contextlib

    from tf1_recsys.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        rc = main(["train", *SMALL, "--out", str(out), "--epochs", "3", "--checkpoint-steps", "20"])
    assert rc == 0, err.getvalue()
    return _checkpoint_values(out)


@pytest.mark.parametrize("sig, code", SIGNALS)
def test_signal_mid_run_then_resume_matches_uninterrupted(capsys, slow_runs, uninterrupted, sig, code):
    proc, out, hold = slow_runs[sig]
    try:
        seen = cli_slow.wait_for_checkpoint(proc, 40)
        assert seen is not None, open(str(out) + ".err").read()[-3000:]
        if sig == signal.SIGINT:  # while it trains: a second run on the folder is refused, naming the PID
            for extra in (["--resume"], ["--overwrite"]):
                rc, _, err = _train(capsys, out, "--epochs", "3", *extra)
                assert_one_line_error(rc, err, "in use by another tf1-recsys run (PID %d)" % proc.pid)
        proc.send_signal(sig)
        hold.unlink()  # the signal arrives within a step, as it would without the hold
        stdout, _ = proc.communicate(timeout=120)
        stderr = open(str(out) + ".err").read()
    finally:
        proc.kill()
        proc.wait(timeout=60)
    assert proc.returncode == code, stderr[-3000:]
    stopped_at = _step_of(out)
    assert seen <= stopped_at < 3 * STEPS_PER_EPOCH
    if sig != signal.SIGKILL:
        assert "stopped by %s at global step %d" % (sig.name, stopped_at) in stdout, stdout
    rc, text, err = _train(capsys, out, "--resume")
    assert rc == 0, err
    assert "resuming from" in text and "at global step %d" % stopped_at in text
    resumed = _checkpoint_values(out)
    assert int(resumed["global_step"]) == 3 * STEPS_PER_EPOCH
    assert set(resumed) == set(uninterrupted)
    for name, value in uninterrupted.items():
        np.testing.assert_allclose(resumed[name], value, rtol=1e-6, atol=1e-7, err_msg=name)


def test_resume_refuses_changed_settings_and_allows_epochs(capsys, trained_fm_copy):
    out = trained_fm_copy
    run_json = (out / "run.json").read_bytes()
    for flag, value, recorded in (("--rows", "4000", "3000"), ("--seed", "5", "0"), ("--batch-size", "32", "64"),
                                  ("--embedding-size", "16", "8"), ("--lr", "0.1", "0.005"),
                                  ("--optimizer", "sgd", "adam")):
        rc, _, err = run(capsys, "train", *[a for a in SMALL if a not in ("--rows", "3000", "--batch-size", "64")],
                         "--out", str(out), "--resume", flag, value)
        assert_one_line_error(rc, err, "--resume: %s %s differs from the %s recorded" % (flag, value, recorded))
        assert (out / "run.json").read_bytes() == run_json
    rc, text, err = run(capsys, "train", "--model", "fm", "--data", "synthetic", "--out", str(out), "--resume",
                        "--epochs", "2", "--no-progress")
    assert rc == 0, err
    assert "changed: --epochs 2 (was 1)" in text
    assert _step_of(out) == 2 * STEPS_PER_EPOCH
    assert json.load(open(out / "run.json"))["rows"] == 3000


def test_resume_without_checkpoint_and_failed_restore_leave_the_folder_intact(tmp_path, capsys, trained_fm_copy):
    out = trained_fm_copy
    run_json = (out / "run.json").read_bytes()
    for f in os.listdir(out):
        if f.startswith("model.ckpt-"):
            with open(out / f, "r+b") as fh:  # damage every checkpoint
                fh.truncate(8)
    rc, _, err = _train(capsys, out, "--resume", "--epochs", "2")
    assert_one_line_error(rc, err, "checkpoint")
    assert (out / "run.json").read_bytes() == run_json  # run.json is written only after a good restore

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".tf1_recsys_output").write_text('{"files": ["run.json"]}')
    (empty / "run.json").write_bytes(run_json)
    rc, _, err = _train(capsys, empty, "--resume")
    assert_one_line_error(rc, err, "has no checkpoint to resume from")


def test_resumed_run_keeps_max_to_keep_and_removes_stale_temporaries(tmp_path, capsys):
    out = tmp_path / "run"
    rc, _, err = _train(capsys, out, "--epochs", "1", "--checkpoint-steps", "5")
    assert rc == 0, err
    stale = out / "model.ckpt-40_temp"
    stale.mkdir()
    (stale / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"half a save")
    rc, _, err = _train(capsys, out, "--resume", "--epochs", "2", "--checkpoint-steps", "5")
    assert rc == 0, err
    assert len([f for f in os.listdir(out) if f.endswith(".index")]) == 3  # TrainConfig.max_to_keep
    assert not stale.exists()


# ---------------------------------------------------------------- NaN
def test_diverging_run_stops_and_keeps_the_last_finite_checkpoint(tmp_path, capsys):
    out = tmp_path / "nan"
    rc, _, err = run(capsys, "train", "--model", "din", "--data", "synthetic", "--rows", "3000", "--lr", "1000",
                     "--checkpoint-steps", "1", "--out", str(out), "--no-progress")
    assert_one_line_error(rc, err, "diverged at global step", "kept the last finite checkpoint", "--lr 100")
    values = _checkpoint_values(out)
    assert all(np.all(np.isfinite(v)) for v in values.values() if np.issubdtype(np.asarray(v).dtype, np.floating))
    rc, _, err = run(capsys, "freeze", "--model-dir", str(out), "--no-check")
    assert rc == 0, err  # the kept checkpoint is finite: it freezes


def test_freeze_refuses_a_checkpoint_with_nan(capsys, trained_fm_copy):
    out = trained_fm_copy
    prefix = tf.train.latest_checkpoint(str(out))
    graph = tf.Graph()
    with graph.as_default(), tf.Session() as sess:  # write NaN into one variable of the checkpoint
        saver = tf.train.import_meta_graph(prefix + ".meta")
        saver.restore(sess, prefix)
        var = [v for v in tf.global_variables() if v.dtype.base_dtype == tf.float32][0]
        sess.run(var.assign(tf.fill(tf.shape(var), np.float32("nan"))))
        saver.save(sess, prefix)
    for extra in ([], ["--no-check"]):
        rc, _, err = run(capsys, "freeze", "--model-dir", str(out), *extra)
        assert_one_line_error(rc, err, "refusing to freeze", "not finite")
    assert not (out / "frozen.pb").exists()


# ---------------------------------------------------------------- data checks
def test_too_little_data_fails_before_training(tmp_path, capsys):
    for rows, needle in (("50", "no user of the test split has both classes"), ("10", "only one class")):
        rc, text, err = run(capsys, "train", "--model", "fm", "--data", "synthetic", "--rows", rows,
                            "--out", str(tmp_path / rows), "--no-progress")
        assert_one_line_error(rc, err, needle, "--rows")
        assert "training fm" not in text


def test_auc_csv_with_bom_and_named_columns(tmp_path, capsys):
    from sklearn.metrics import roc_auc_score

    labels, scores = [1, 0, 1, 0], [0.9, 0.2, 0.4, 0.6]
    expected = roc_auc_score(labels, scores)
    no_header = tmp_path / "bom.csv"
    no_header.write_bytes(b"\xef\xbb\xbf" + "".join("%d,%g\n" % r for r in zip(labels, scores)).encode())
    reordered = tmp_path / "named.csv"
    reordered.write_bytes(b"\xef\xbb\xbfscore,label\n" + "".join("%g,%d\n" % r for r in zip(scores, labels)).encode())
    for path in (no_header, reordered):
        rc, text, err = run(capsys, "auc", str(path))
        assert rc == 0, err
        assert "4 rows, 2 positive" in text and "AUC %.6f" % expected in text
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("y,p\n1,0.3\n0,0.1\n")
    rc, _, err = run(capsys, "auc", str(wrong))
    assert_one_line_error(rc, err, "wrong.csv:1: header y,p has no column label or score")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("label,score,group\n1,0.5,Jos\xe9\n".encode("latin-1"))
    rc, _, err = run(capsys, "auc", str(latin))
    assert_one_line_error(rc, err, "latin.csv: not UTF-8 text")


def test_frozen_graph_file_mode_follows_the_umask(tmp_path):
    from tf1_recsys import export

    old = os.umask(0o022)
    try:
        path = export.write_graph_def(tf.GraphDef(), str(tmp_path / "g.pb"))
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert os.listdir(tmp_path) == ["g.pb"]


def test_edited_run_json_and_missing_checkpoint_data_are_one_line_errors(tmp_path, capsys, trained_fm_copy):
    import shutil

    out = trained_fm_copy
    good = json.load(open(out / "run.json"))

    def edited(change):
        run_json = json.loads(json.dumps(good))
        change(run_json)
        (out / "run.json").write_text(json.dumps(run_json))

    cases = [
        (lambda r: r.update(model="xgb"), "unknown model 'xgb'"),
        (lambda r: r.pop("hparams"), "missing key 'hparams'"),
        (lambda r: r["schema"]["features"][0].update(colour="red"), "'schema' is not a valid schema"),
        (lambda r: r["hparams"].update(dropout=0.5), "the hparams of model fm are wrong"),
        (lambda r: r.update(seed="zero"), "'seed' must be a JSON int"),
    ]
    for change, needle in cases:
        edited(change)
        rc, _, err = run(capsys, "evaluate", "--model-dir", str(out), "--no-progress")
        assert_one_line_error(rc, err, "run.json", needle)
    edited(lambda r: None)
    data_files = [f for f in os.listdir(out) if ".data-" in f]
    shutil.move(str(out / sorted(data_files)[-1]), str(tmp_path / "moved"))
    rc, _, err = run(capsys, "evaluate", "--model-dir", str(out), "--no-progress")
    assert_one_line_error(rc, err, "checkpoint")


def test_bad_movielens_files_are_one_line_errors(tmp_path, capsys):
    good_movies = "movieId,title,genres\n1,A,Drama\n2,B,Comedy\n"

    def folder(name, ratings, movies=good_movies, encoding="utf-8"):
        path = tmp_path / name
        path.mkdir()
        (path / "ratings.csv").write_bytes(ratings.encode(encoding))
        (path / "movies.csv").write_bytes(movies.encode(encoding) if isinstance(movies, str) else movies)
        return "movielens:" + str(path)

    header = "userId,movieId,rating,timestamp\n"
    rows = "1,1,4.0,10\n1,2,3.0,20\n2,1,5.0,30\n2,2,1.0,40\n"
    cases = [
        (folder("big_id", header + "1,%d,4.0,10\n" % 2 ** 63 + rows), "ratings.csv:2: malformed row", "int64"),
        (folder("nan", header + rows + "3,1,nan,50\n"), "ratings.csv:6", "not a finite number"),
        (folder("negative", header + rows + "3,1,-1,50\n"), "ratings.csv:6", "rating -1 is negative"),
        (folder("float_id", header + "1,1.5,4.0,10\n" + rows), "ratings.csv:2: malformed row", "1.5"),
        (folder("latin", header + rows, b"movieId,title,genres\n1,Am\xe9lie,Drama\n"), "movies.csv: not UTF-8", "0xe9"),
        (folder("one_each", header + "1,1,4.0,10\n2,2,3.0,20\n"), "test split would be empty", "ratings.csv"),
    ]
    for data, *needles in cases:
        rc, _, err = run(capsys, "train", "--model", "fm", "--data", data, "--out", str(tmp_path / "out"),
                         "--no-progress")
        assert_one_line_error(rc, err, *needles)
    bom = folder("bom", "\ufeff" + header + rows)  # a byte-order mark before the header is not data
    from tf1_recsys.data import load_movielens

    assert len(load_movielens(bom[len("movielens:"):]).train["user"]) == 2
