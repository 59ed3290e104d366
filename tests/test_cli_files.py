"""Nothing outside an output folder is touched, no user file is replaced, and every failure is one line.

Each test puts a user's files where the command could reach them (beside the folder, behind a
link, at the names the command writes) and checks byte for byte that they survive. Full and
read-only disks are simulated in-process: the operating-system calls that create files raise
ENOSPC / EROFS for paths under the folder (this runs as any user, root included, where a
chmod'ed folder is still writable).
"""
import errno
import json
import os

import numpy as np
import pytest

from conftest import CLI_SMALL as SMALL
from test_cli import assert_one_line_error, run
from tf1_recsys.cli.outdir import MARKER


def _write_record(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(json.dumps({"written_by": "tf1-recsys", "files": files}))


def _user_file(path, text="the user's own bytes"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path, text


def _intact(*files):
    for path, text in files:
        assert path.exists() and path.read_text() == text, "%s was touched" % path


@pytest.fixture
def model_dir(trained_fm_copy):
    """A copy of the shared one-epoch fm folder (conftest's ``trained_fm``)."""
    return trained_fm_copy


# ---------------------------------------------------------------- 1: an edited record
@pytest.mark.parametrize("entry", ["relative", "absolute", "through_link"])
def test_a_record_naming_files_outside_the_folder_is_refused(tmp_path, capsys, entry):
    victim = _user_file(tmp_path / "victim" / "a.txt")
    run_dir = tmp_path / "run"
    named = {"relative": "../victim/a.txt", "absolute": str(victim[0]), "through_link": "sub/a.txt"}[entry]
    _write_record(run_dir, ["run.json", named])
    (run_dir / "run.json").write_text("{}")
    if entry == "through_link":
        os.symlink(str(tmp_path / "victim"), str(run_dir / "sub"))
    rc, _, err = run(capsys, "train", *SMALL, "--out", str(run_dir), "--overwrite")
    assert_one_line_error(rc, err, named, "outside")
    _intact(victim)
    assert (run_dir / "run.json").read_text() == "{}"  # refused before removing anything


def test_clear_checks_the_whole_record_before_removing_anything(tmp_path):
    from tf1_recsys.cli.common import CLIError
    from tf1_recsys.cli.outdir import OutputFolder

    victim = _user_file(tmp_path / "victim.txt")
    run_dir = tmp_path / "run"
    _write_record(run_dir, ["checkpoint", "/", "../victim.txt"])
    ours = _user_file(run_dir / "checkpoint", "ours")
    with pytest.raises(CLIError, match="outside"):
        OutputFolder(str(run_dir)).clear()
    _intact(victim, ours)


# ---------------------------------------------------------------- 2: a linked subfolder
def test_overwrite_never_deletes_through_a_linked_subfolder(tmp_path, capsys):
    other = tmp_path / "other_run"
    theirs = [_user_file(other / name, name) for name in ("checkpoint", "model.ckpt-5.index", "run.json")]
    demo = tmp_path / "dm"
    _write_record(demo, ["summary.json", "din/checkpoint", "din/model.ckpt-5.index", "din/run.json"])
    (demo / "summary.json").write_text("{}")
    os.symlink(str(other), str(demo / "din"))
    rc, _, err = run(capsys, "demo", "--out", str(demo), "--overwrite", "--rows", "3000", "--epochs", "1",
                     "--skip-others", "--no-progress")
    assert_one_line_error(rc, err, "din", "symbolic link")
    _intact(*theirs)
    assert sorted(os.listdir(other)) == ["checkpoint", "model.ckpt-5.index", "run.json"]


def test_a_linked_subfolder_that_the_record_does_not_name_is_refused_too(tmp_path, capsys):
    other = tmp_path / "elsewhere"
    theirs = _user_file(other / "notes.txt")
    demo = tmp_path / "dm"
    _write_record(demo, ["summary.json"])
    (demo / "summary.json").write_text("{}")
    os.symlink(str(other), str(demo / "din"))
    rc, _, err = run(capsys, "demo", "--out", str(demo), "--overwrite", "--rows", "3000", "--epochs", "1",
                     "--skip-others", "--no-progress")
    assert_one_line_error(rc, err, "din", "symbolic link")
    _intact(theirs)
    assert os.listdir(other) == ["notes.txt"]


# ---------------------------------------------------------------- 3: every file the command writes
def test_importance_keeps_a_users_files_at_its_names(model_dir, capsys):
    mine = [_user_file(model_dir / "importance.csv", "my,table\n"), _user_file(model_dir / "importance.png", "png")]
    rc, _, err = run(capsys, "importance", "--model-dir", str(model_dir), "--rows", "200", "--no-progress")
    assert_one_line_error(rc, err, "importance.", "--overwrite")
    _intact(*mine)
    (model_dir / "importance.png").unlink()  # the CSV alone is protected as well
    rc, _, err = run(capsys, "importance", "--model-dir", str(model_dir), "--rows", "200", "--no-progress")
    assert_one_line_error(rc, err, "importance.csv", "--overwrite")
    _intact(mine[0])
    rc, _, err = run(capsys, "importance", "--model-dir", str(model_dir), "--rows", "200", "--no-progress",
                     "--overwrite")
    assert rc == 0, err
    assert (model_dir / "importance.csv").read_text().startswith("head,rank,feature")
    # now tf1-recsys wrote them: a second run replaces its own files without --overwrite
    rc, _, err = run(capsys, "importance", "--model-dir", str(model_dir), "--rows", "200", "--no-progress")
    assert rc == 0, err


def test_freeze_keeps_a_users_serving_json(model_dir, tmp_path, capsys):
    mine = _user_file(tmp_path / "x.serving.json", '{"mine": 1}')
    rc, _, err = run(capsys, "freeze", "--model-dir", str(model_dir), "--output", str(tmp_path / "x.pb"),
                     "--no-check")
    assert_one_line_error(rc, err, "x.serving.json", "--overwrite")
    _intact(mine)
    assert not (tmp_path / "x.pb").exists()
    default = _user_file(model_dir / "frozen.serving.json", '{"mine": 2}')
    rc, _, err = run(capsys, "freeze", "--model-dir", str(model_dir), "--no-check")
    assert_one_line_error(rc, err, "frozen.serving.json", "--overwrite")
    _intact(default)
    assert not (model_dir / "frozen.pb").exists()


# ---------------------------------------------------------------- 6: full and read-only disks
@pytest.fixture(scope="module")
def disk_faults(trained_fm, tmp_path_factory):
    """The report of tests/disk_faults.py, run once in a private mount namespace on small tmpfs mounts."""
    import subprocess
    import sys

    from conftest import REPO

    base = tmp_path_factory.mktemp("disks")
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "mount", "-t", "tmpfs", "tmpfs",
                            str(base)], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("needs a private mount namespace for tmpfs (unshare --user --map-root-user --mount): "
                    + probe.stderr.strip()[:200])
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable,
                           os.path.join(REPO, "tests", "disk_faults.py"), str(base), str(trained_fm)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case, needle", [
    ("ro_train", "Read-only file system"), ("ro_evaluate", "s.csv"), ("ro_freeze", "x.pb"),
    ("ro_importance", "x.png"), ("full_at_start", "No space left on device"),
    ("full_in_save", "No space left on device")])
def test_full_and_read_only_disks_are_one_line_errors(disk_faults, case, needle):
    result = disk_faults[case]
    assert_one_line_error(result["rc"], result["err"], needle, "cannot write")


def test_a_run_that_filled_the_disk_recorded_every_file_it_left(disk_faults):
    for case in ("full_at_start", "full_in_save"):
        assert disk_faults[case]["unrecorded"] == [], case
    after = disk_faults["overwrite_after_full"]
    assert after["rc"] == 0, after["err"]
    assert after["unrecorded"] == [] and not any(".tmp" in f for f in after["files"]), after["files"]
    assert len([f for f in after["files"] if f.startswith("events.out")]) == 1


# ---------------------------------------------------------------- 6, 7: one line that names the cause
def _nan_checkpoint(model_dir):
    """Writes NaN into every float variable of the folder's latest checkpoint (TensorFlow's own Saver)."""
    from tf1_recsys._tf import tf

    prefix = tf.train.latest_checkpoint(str(model_dir))
    with tf.Graph().as_default(), tf.Session() as sess:
        saver = tf.train.import_meta_graph(prefix + ".meta")
        saver.restore(sess, prefix)
        for var in tf.global_variables():
            if var.dtype.base_dtype == tf.float32:
                sess.run(var.assign(tf.fill(tf.shape(var), np.float32("nan"))))
        saver.save(sess, prefix)


def test_nonsense_numbers_name_their_flag(model_dir, tmp_path, capsys):
    train = ["train", "--model", "fm", "--data", "synthetic", "--no-progress"]
    cases = [
        (train + ["--rows", "3000", "--seed", "-1", "--out", str(tmp_path / "a")], ["--seed", "-1"]),
        (train + ["--rows", "3000", "--lr", "inf", "--out", str(tmp_path / "b")], ["--lr", "finite", "inf"]),
        (train + ["--rows", "3000", "--checkpoint-secs", "nan", "--out", str(tmp_path / "c")], ["--checkpoint-secs"]),
        (train + ["--rows", str(10 ** 12), "--out", str(tmp_path / "d")], ["--rows %d" % 10 ** 12, "memory"]),
        (["demo", "--seed", "-2", "--out", str(tmp_path / "e")], ["--seed", "-2"]),
        (["importance", "--model-dir", str(model_dir), "--rows", "-1"], ["--rows", "-1"]),
    ]
    for argv, needles in cases:
        rc, text, err = run(capsys, *argv)
        assert_one_line_error(rc, err, *needles)
        assert "training" not in text and "sensitivity of" not in text
    assert not any((tmp_path / d).exists() for d in "abcde")


def test_a_table_too_big_for_memory_is_named(tmp_path, capsys):
    rc, _, err = run(capsys, "train", "--model", "fm", "--data", "synthetic", "--rows", "3000", "--no-progress",
                     "--embedding-size", str(10 ** 9), "--out", str(tmp_path / "big"))
    assert_one_line_error(rc, err, "--embedding-size", "memory", "embedding_size 1000000000")


def test_an_edited_run_json_and_nan_weights_are_one_line_errors(model_dir, capsys):
    run_json = json.load(open(model_dir / "run.json"))
    run_json["hparams"]["embedding_size"] = -3
    (model_dir / "run.json").write_text(json.dumps(run_json))
    rc, _, err = run(capsys, "evaluate", "--model-dir", str(model_dir), "--no-progress")
    assert_one_line_error(rc, err, "run.json", "embedding_size", "-3")
    run_json["hparams"]["embedding_size"] = 8
    (model_dir / "run.json").write_text(json.dumps(run_json))
    _nan_checkpoint(model_dir)
    rc, _, err = run(capsys, "evaluate", "--model-dir", str(model_dir), "--no-progress")
    assert_one_line_error(rc, err, "not finite", "model.ckpt-")


def test_a_cluster_chief_names_why_it_cannot_continue_a_folder(model_dir):
    from tf1_recsys.cli.cluster import _prepare_chief_folder
    from tf1_recsys.cli.common import CLIError

    recorded = json.load(open(model_dir / "run.json"))
    run_ = {k: v for k, v in recorded.items() if k not in ("schema", "results")}
    run_["train"] = dict(run_["train"], epochs=run_["train"]["epochs"] + 1)
    run_["cluster"] = {"ps": 1, "workers": 2}
    with pytest.raises(CLIError, match="holds a single-process run") as e:
        _prepare_chief_folder(str(model_dir), run_)
    assert "another run" not in str(e.value)
    recorded["cluster"] = {"ps": 1, "workers": 2}  # now a cluster's folder, continued with other --epochs
    (model_dir / "run.json").write_text(json.dumps(recorded))
    with pytest.raises(CLIError, match="records epochs %d, not %d" % (recorded["train"]["epochs"],
                                                                       run_["train"]["epochs"])):
        _prepare_chief_folder(str(model_dir), run_)


# ---------------------------------------------------------------- 8: the library refuses NaN too
def test_freeze_session_refuses_nan_variables_unless_allowed(tmp_path):
    from tf1_recsys import export
    from tf1_recsys._tf import tf

    with tf.Graph().as_default(), tf.Session() as sess:
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.get_variable("w", initializer=np.array([[1.0], [np.nan]], np.float32))
        b = tf.get_variable("b", initializer=np.zeros([1], np.float32))
        tf.identity(tf.matmul(x, w) + b, name="y")
        sess.run(tf.global_variables_initializer())
        with pytest.raises(ValueError, match="variables w hold NaN or inf"):
            export.freeze_session(sess, "y")
        frozen = export.freeze_session(sess, "y", allow_non_finite=True)
    out = export.run_frozen(frozen, {"x:0": np.ones([1, 2], np.float32)}, {"y": "y:0"})
    assert np.isnan(out["y"]).all()  # what was refused by default: NaN outputs


def test_write_golden_refuses_nan_outputs_unless_allowed(tmp_path):
    from test_testing_kit import golden_inputs, make_model_fn
    from tf1_recsys import testing

    inputs = golden_inputs()
    inputs["dense"][1, :] = np.inf  # relu passes inf; the logit is inf or NaN
    with pytest.raises(ValueError, match="not finite"):
        testing.write_golden(str(tmp_path / "nan"), make_model_fn(), inputs, seed=5)
    assert not (tmp_path / "nan").exists()
    testing.write_golden(str(tmp_path / "nan"), make_model_fn(), inputs, seed=5, allow_non_finite=True)
    assert (tmp_path / "nan" / "manifest.json").exists()


def test_write_graph_def_leaves_the_umask_alone(tmp_path, monkeypatch):
    from tf1_recsys import export
    from tf1_recsys._tf import tf

    old = os.umask(0o027)
    try:
        def no_umask(mask):  # another thread creating files meanwhile would get this mask
            raise AssertionError("write_graph_def changed the process umask to %o" % mask)

        monkeypatch.setattr(os, "umask", no_umask)
        path = export.write_graph_def(tf.GraphDef(), str(tmp_path / "g.pb"))
    finally:
        monkeypatch.undo()
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["g.pb"]
