"""The tf1-recsys command end to end at tiny sizes, in-process (one subprocess for the TF-free path)."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import MOVIELENS, REPO
from tf1_recsys.cli import main

TINY = ["--rows", "3000", "--no-progress"]


def run(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc, err, *needles):
    assert rc == 2, err
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("tf1-recsys: error: "), err
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def _event_tags(model_dir):
    """The scalar tags in a folder's TensorBoard event files, read with TensorFlow's own reader."""
    from tf1_recsys._tf import tf

    tags = set()
    for name in os.listdir(model_dir):
        if name.startswith("events.out.tfevents"):
            for event in tf.train.summary_iterator(os.path.join(model_dir, name)):
                tags.update(v.tag for v in event.summary.value)
    return tags


def test_demo_end_to_end_and_run_twice(tmp_path, capsys):
    out = str(tmp_path / "demo")
    rc, text, err = run(capsys, "demo", "--out", out, "--epochs", "1", *TINY)
    assert rc == 0, err
    for needle in ("Bayes-optimal AUC", "calcAUC_byProb", "calculate_auc_func2", "get_auc with scikit-learn",
                   "GAUC", "noise", "-> match", "tensorboard --logdir %s" % out, "fm/click", "mmoe/like",
                   "\"the notes\": the original TF1 code"):
        assert needle in text, needle
    assert text.count("calcAUC_byProb") == 2  # once for din, once for fm and mmoe together
    assert len([l for l in text.splitlines() if l.strip().startswith("(") and l.strip().endswith(" s)")]) >= 5
    tags = _event_tags(os.path.join(out, "din"))
    assert {"eval/auc/click", "eval/gauc/click", "eval/bayes_optimal_auc/click", "train/loss"} <= tags, tags
    assert {"train/loss/click", "train/loss/like"} <= _event_tags(os.path.join(out, "mmoe"))
    for f in ("sensitivity.png", "sensitivity.csv", "din_frozen.pb", "din_frozen.serving.json", "summary.json"):
        assert os.path.isfile(os.path.join(out, f)), f
    assert any(n.startswith("events.out.tfevents") for n in os.listdir(os.path.join(out, "din")))
    summary = json.load(open(os.path.join(out, "summary.json")))
    assert summary["frozen"]["max_abs_diff"] <= 1e-5
    rep = summary["models"]["din"]["click"]
    assert rep["max_disagreement"] < 1e-9 and 0 < rep["auc"] < 1
    assert set(summary["models"]) == {"din", "fm", "mmoe"}

    # the same command again works: a fresh folder next to the first
    rc, text, err = run(capsys, "demo", "--out", out, "--epochs", "1", "--skip-others", *TINY)
    assert rc == 0, err
    assert "writing this run to %s-2" % out in text
    assert os.path.isfile(os.path.join(out + "-2", "din_frozen.pb"))
    # --overwrite replaces the first
    rc, text, err = run(capsys, "demo", "--out", out, "--epochs", "1", "--skip-others", "--overwrite", *TINY)
    assert rc == 0, err
    assert "tf1-recsys demo -> %s" % out in text and not os.path.isdir(os.path.join(out, "fm"))


def test_train_evaluate_auc_freeze_importance(tmp_path, capsys):
    model_dir = str(tmp_path / "mmoe")
    args = ["train", "--model", "mmoe", "--data", "synthetic", "--out", model_dir, "--epochs", "1"] + TINY
    rc, text, err = run(capsys, *args)
    assert rc == 0, err
    assert "click        test AUC" in text and "like         test AUC" in text and "Bayes-optimal" in text
    run_json = json.load(open(os.path.join(model_dir, "run.json")))
    assert run_json["model"] == "mmoe" and "results" in run_json

    # training into the same folder again needs --overwrite
    rc, _, err = run(capsys, *args)
    assert_one_line_error(rc, err, model_dir, "--overwrite")
    rc, _, err = run(capsys, *(args + ["--overwrite"]))
    assert rc == 0, err
    rc, text, err = run(capsys, *(args[:-len(TINY) - 2] + ["--epochs", "2", "--resume"] + TINY))
    assert rc == 0, err

    scores = str(tmp_path / "scores.csv")
    rc, text, err = run(capsys, "evaluate", "--model-dir", model_dir, "--scores-out", scores, "--task", "like",
                        "--no-progress")
    assert rc == 0, err
    assert "like         test AUC" in text and "GAUC" in text and os.path.isfile(scores)
    rc, _, err = run(capsys, "evaluate", "--model-dir", model_dir, "--scores-out", scores, "--no-progress")
    assert_one_line_error(rc, err, scores, "--overwrite")

    rc, text, err = run(capsys, "auc", scores, "--notes", "--weighting", "clicks")
    assert rc == 0, err
    assert "AUC 0." in text and "GAUC 0." in text and "clicks-weighted" in text and "calcAUC_byProb" in text

    rc, text, err = run(capsys, "freeze", "--model-dir", model_dir, "--no-progress")
    assert rc == 0, err
    assert "-> match" in text and os.path.isfile(os.path.join(model_dir, "frozen.pb"))
    serving = json.load(open(os.path.join(model_dir, "frozen.serving.json")))
    assert set(serving["outputs"]) == {"click", "like"}
    pb = str(tmp_path / "m.pb")
    rc, _, err = run(capsys, "freeze", "--model-dir", model_dir, "--output", pb, "--no-check")
    assert rc == 0 and os.path.isfile(pb), err
    rc, _, err = run(capsys, "freeze", "--model-dir", model_dir, "--output", pb)
    assert_one_line_error(rc, err, pb, "--overwrite")

    png = str(tmp_path / "imp.png")
    rc, text, err = run(capsys, "importance", "--model-dir", model_dir, "--png", png, "--rows", "500")
    assert rc == 0, err
    assert "noise" in text and "hist_cat*cat" in text and os.path.isfile(png)
    assert os.path.isfile(str(tmp_path / "imp.csv"))


@pytest.mark.skipif(not os.path.isdir(MOVIELENS), reason="ml-latest-small not present")
def test_train_fm_on_movielens(tmp_path, capsys):
    rc, text, err = run(capsys, "train", "--model", "fm", "--data", "movielens:" + MOVIELENS,
                        "--out", str(tmp_path / "fm"), "--epochs", "1", "--no-progress")
    assert rc == 0, err
    assert "like         test AUC" in text and "GAUC" in text and "610 users" in text


def test_bad_inputs_give_one_line_errors(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("label,score,user\n1,0.9,a\n0,oops,a\n")
    one_class = tmp_path / "one.csv"
    one_class.write_text("1,0.9\n1,0.2\n")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    not_a_run = tmp_path / "empty_run"
    not_a_run.mkdir()
    cases = [
        (["train", "--model", "xgb", "--data", "synthetic"], ["unknown model 'xgb'", "din, fm, mmoe"]),
        (["train", "--model", "fm", "--data", "movielens:" + str(tmp_path / "nope")], ["no such folder"]),
        (["train", "--model", "fm", "--data", "criteo"], ["unknown --data 'criteo'"]),
        (["train", "--model", "fm", "--data", "synthetic", "--out", str(foreign)], ["--overwrite"]),
        (["train", "--model", "fm", "--data", "synthetic", "--out", str(foreign), "--overwrite"],
         ["not written by tf1-recsys"]),
        (["auc", str(tmp_path / "missing.csv")], ["missing.csv: no such file"]),
        (["auc", str(bad)], ["bad.csv:3: malformed row"]),
        (["auc", str(one_class)], ["both classes"]),
        (["evaluate", "--model-dir", str(tmp_path / "none")], ["does not exist"]),
        (["freeze", "--model-dir", str(not_a_run)], ["no run.json"]),
        (["importance", "--model-dir", str(not_a_run)], ["no run.json"]),
        (["demo", "--out", str(a_file)], ["is a file"]),
        (["train", "--model", "fm", "--data", "synthetic", "--out", str(tmp_path / "r1"), "--rows", "5"],
         ["num_impressions"]),
        (["train", "--model", "fm", "--data", "synthetic", "--out", str(tmp_path / "r2"), "--rows", "50",
          "--epochs", "0"], ["--epochs must be positive"]),
    ]
    for argv, needles in cases:
        rc, _, err = run(capsys, *argv)
        assert_one_line_error(rc, err, *needles)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_help_of_every_command(capsys):
    for cmd in ([], ["demo"], ["train"], ["evaluate"], ["freeze"], ["importance"], ["auc"]):
        rc, text, _ = run(capsys, *(cmd + ["--help"]))
        assert rc == 0 and "usage: tf1-recsys" in text
    rc, _, err = run(capsys)
    assert rc == 2


def test_module_entry_point_and_auc_without_tensorflow(tmp_path):
    scores = tmp_path / "s.csv"
    scores.write_text("label,score,group\n1,0.9,u1\n0,0.3,u1\n1,0.2,u2\n0,0.6,u2\n1,0.7,u2\n")
    script = textwrap.dedent("""
        import runpy, sys
        def entry(*argv):
            sys.argv = ["tf1-recsys"] + list(argv)
            try:
                runpy.run_module("tf1_recsys", run_name="__main__", alter_sys=True)
            except SystemExit as e:
                return e.code
        assert entry("--help") == 0
        assert entry("auc", sys.argv_file) == 0
        assert entry("train", "--model", "xgb", "--data", "synthetic") == 2
        assert "tensorflow" not in sys.modules, "auc (or a bad model name) imported TensorFlow"
        print("OK")
    """).replace("sys.argv_file", repr(str(scores)))
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "usage: tf1-recsys" in proc.stdout and "AUC 0.666667" in proc.stdout and "GAUC" in proc.stdout
    assert proc.stdout.strip().endswith("OK")
    assert "tf1-recsys: error: unknown model 'xgb'" in proc.stderr


def test_bar_chart_is_skipped_without_matplotlib(tmp_path, capsys, monkeypatch):
    from tf1_recsys.cli.report import plot_sensitivity
    from tf1_recsys.sensitivity import SensitivityRow

    rows = [SensitivityRow("click", 1, "item", "slot", 0.3), SensitivityRow("click", 2, "noise", "real", 0.01)]
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert plot_sensitivity(rows, str(tmp_path / "x.png")) is None
    assert "matplotlib is not installed" in capsys.readouterr().out
    assert not (tmp_path / "x.png").exists()
