"""``tf.estimator.experimental``'s hooks, ``inputs.pandas_input_fn`` and the TF1 import paths of tf.estimator.

The programs of tests/estimator_experimental_behaviours.py run once per implementation, in one
process each, side by side: on TensorFlow <= 2.15 every outcome (where training stopped, the
lines logged about it, the evaluations written, the batches, raised types and messages) must
be ``tf.estimator``'s. On every release ours is also checked against the rules re-stated here
in numpy / plain Python: the early-stopping predicates over a scripted metric, gradient descent
for the in-memory evaluations, row slicing for the pandas batches.
"""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_estimator_vs_tf_estimator import HAS_TF_ESTIMATOR, _batches, _sgd_reference, needs_tf_estimator  # noqa: E402

SCRIPT_PATH = os.path.join(HERE, "estimator_experimental_behaviours.py")
HAS_PANDAS = importlib.util.find_spec("pandas") is not None
needs_pandas = pytest.mark.skipif(not HAS_PANDAS, reason="pandas is not installed (an optional test dependency)")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """``{impl: {program: outcome}}``: ours always, ``tf.estimator``'s where it exists."""
    impls = ["tf1_recsys"] + (["tf"] if HAS_TF_ESTIMATOR else [])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONHASHSEED="0")
    procs = {impl: subprocess.Popen([sys.executable, SCRIPT_PATH, "--impl", impl, "--work",
                                     str(tmp_path_factory.mktemp("experimental_" + impl))],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for impl in impls}
    out = {}
    for impl, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr[-6000:]
        out[impl] = json.loads(stdout.strip().splitlines()[-1])
    return out


def _ours(outcomes, name):
    outcome = outcomes["tf1_recsys"][name]
    assert "result" in outcome, outcome
    return outcome["result"]


PROGRAMS = ["chief_signals_and_worker_stops", "early_stopping_hook_argument_errors",
            "early_stopping_hooks_stop_where_tf_does", "in_memory_evaluator_errors",
            "in_memory_evaluator_evaluates_live_variables", "in_memory_evaluator_with_steps_and_early_stop",
            "stop_at_checkpoint_step_hook", "pandas_input_fn_batches", "pandas_input_fn_errors"]


@needs_tf_estimator
@pytest.mark.parametrize("name", PROGRAMS)
def test_program_has_tf_estimators_outcome(outcomes, name):
    if name.startswith("pandas") and not HAS_PANDAS:
        pytest.skip("pandas is not installed")
    assert outcomes["tf1_recsys"][name] == outcomes["tf"][name]


# ---------------------------------------------------------------------------- early stopping, against plain Python
def _expected_stop(should_stop, every_steps=1, max_steps=17):
    """The global step training ends at: after run k the evaluations of steps 1..k exist; the predicate is asked
    after the runs whose starting step is 0, every_steps, 2 * every_steps, ..."""
    from estimator_experimental_behaviours import SCRIPT

    for k in range(1, max_steps + 1):
        history = {step: SCRIPT[step - 1] for step in range(1, min(k, len(SCRIPT)) + 1)}
        if (k - 1) % every_steps == 0 and should_stop(history):
            return k
    return max_steps


def _crossed(better, threshold, min_steps=0):
    return lambda history: any(better(v, threshold) for s, v in history.items() if s >= min_steps)


def _stalled(better, patience, min_steps=0):
    def stop(history):
        best = best_step = None
        for step in sorted(s for s in history if s >= min_steps):
            if best is None or better(history[step], best):
                best, best_step = history[step], step
            if step - best_step >= patience:
                return True
        return False
    return stop


def test_early_stopping_hooks_stop_at_the_step_their_rule_gives(outcomes):
    higher, lower = (lambda a, b: a > b), (lambda a, b: a < b)
    expected = {"higher_min_steps": _expected_stop(_crossed(higher, 3.4, 2)),
                "lower_2.55": _expected_stop(_crossed(lower, 2.55)),
                "lower_never": _expected_stop(_crossed(lower, 0.5)),
                "no_decrease_3": _expected_stop(_stalled(lower, 3)),
                "no_increase_2_min_steps": _expected_stop(_stalled(higher, 2, 4)),
                "lower_every_3_steps": _expected_stop(_crossed(lower, 3.1), every_steps=3)}
    result = _ours(outcomes, "early_stopping_hooks_stop_where_tf_does")
    assert {name: result[name]["stopped_at"] for name in expected} == expected
    assert expected["lower_never"] == 17 and len(set(expected.values())) > 3  # the script tells the rules apart
    assert result["lower_never"]["log"] == []
    assert result["lower_2.55"]["log"] == [
        'At step 6, metric "m" has value 2.5 which is less than the configured threshold (2.55) for early stopping.',
        "Requesting early stopping at global step 5"]
    assert all(r["hook"] == "_StopOnPredicateHook" for r in result.values())


def test_chief_decides_and_worker_reads_the_stop_signal(outcomes):
    assert _ours(outcomes, "chief_signals_and_worker_stops") == {
        "chief": "_StopOnPredicateHook", "worker": "_CheckForStoppingHook", "chief_runs": 1, "worker_runs": 1}


def test_stop_at_checkpoint_step_hook_waits_for_the_checkpoint(outcomes):
    assert _ours(outcomes, "stop_at_checkpoint_step_hook") == {
        "chief": ["StopAtStepHook", 4], "reached": 4, "not_reached": 20}


# ---------------------------------------------------------------------------- InMemoryEvaluatorHook, against numpy
def _eval_loss(w, b, batches=None):
    """The evaluation's 'loss': the mean over the first ``batches`` batches of 2 rows of the batch mean squared error."""
    from estimator_behaviours import X, Y

    return np.mean([np.mean((X[r] @ w + b - Y[r]) ** 2) for r in _batches(len(X), 2, 1)[:batches]])


def test_in_memory_evaluator_evaluates_the_live_variables(outcomes):
    from estimator_behaviours import X

    result = _ours(outcomes, "in_memory_evaluator_evaluates_live_variables")
    train = _batches(len(X), 2, 2)
    assert result["global_step"] == len(train)
    assert sorted(result["history"], key=int) == ["0", "2", "4", "6"]
    for step, metrics in result["history"].items():
        w, b = _sgd_reference(train[:int(step)])
        assert metrics["loss"] == pytest.approx(_eval_loss(w, b), rel=1e-4), step


def test_in_memory_evaluations_feed_an_early_stopping_hook(outcomes):
    from estimator_behaviours import X

    result = _ours(outcomes, "in_memory_evaluator_with_steps_and_early_stop")
    train = _batches(len(X), 2, 50)
    losses = {}
    for step in range(0, len(train), 2):  # evaluations of 2 batches every 2 steps, while none is below 1.0
        w, b = _sgd_reference(train[:step])
        losses[step] = _eval_loss(w, b, batches=2)
        if losses[step] < 1.0:
            break
    assert result["global_step"] == max(losses)
    assert {int(s): m["loss"] for s, m in result["history"].items()} == pytest.approx(losses, rel=1e-4)


# ---------------------------------------------------------------------------- pandas_input_fn, against row slicing
def _rows(n, batch, epochs):
    order = np.tile(np.arange(n), epochs)
    return [order[i:i + batch] for i in range(0, len(order), batch)]


@needs_pandas
def test_pandas_input_fn_batches_are_the_frames_rows_in_order(outcomes):
    from estimator_experimental_behaviours import _frames

    _, x, y_series, y_frame = _frames()
    result = _ours(outcomes, "pandas_input_fn_batches")

    def features(rows):
        return {"a": x["a"].to_numpy()[rows].tolist(), "b": x["b"].to_numpy()[rows].tolist(),
                "s": x["s"].to_numpy()[rows].tolist()}

    assert result["series"] == [[features(r), y_series.to_numpy()[r].tolist()] for r in _rows(7, 3, 2)]
    assert result["frame_overlapping"] == [
        [features(r), {"a": y_frame["a"].to_numpy()[r].tolist(), "t": y_frame["t"].to_numpy()[r].tolist()}]
        for r in _rows(7, 4, 1)]
    assert result["only_x"] == [features(r) for r in _rows(7, 5, 1)]
    assert result["named_target"] == [[features(r), y_series.to_numpy()[r].tolist()] for r in _rows(7, 7, 1)]
    assert result["shuffled_epoch_rows"] == list(range(7))


def test_pandas_input_fn_without_pandas_names_it(monkeypatch):
    from tf1_recsys.estimator import inputs

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pandas_input_fn needs the optional package pandas") as raised:
        inputs.pandas_input_fn(None, shuffle=False)
    assert isinstance(raised.value, TypeError)  # what tf.estimator raised without pandas


# ---------------------------------------------------------------------------- TF1 import paths of tf.estimator
PUBLIC_MODULES = ["estimator", "run_config", "model_fn", "training", "exporter", "early_stopping", "export.export",
                  "export.export_output", "export.export_lib", "inputs.numpy_io", "inputs.pandas_io", "canned.head",
                  "canned.dnn", "canned.linear", "canned.dnn_linear_combined", "canned.baseline", "canned.metric_keys",
                  "canned.prediction_keys", "canned.optimizers", "hooks.hooks"]


def _served(module):
    return {tree + "." + module for tree in ("tensorflow.python.estimator", "tensorflow_estimator.python.estimator")}


def test_tf1_import_paths_of_tf_estimator_are_ours_only_where_no_real_one_is_installed():
    import importlib

    import tf1_recsys.estimator as ours
    from tf1_recsys import compat
    from tf1_recsys.compat.estimator_paths import ESTIMATOR_ALIASES

    real = importlib.util.find_spec("tensorflow_estimator") is not None
    assert real == HAS_TF_ESTIMATOR  # the venvs of CI: TF 2.12 has it, 2.21 has not
    compat.install(estimator=True)
    try:
        from tensorflow.python.estimator import estimator
        from tensorflow.python.estimator.canned import head  # noqa: F401
        from tensorflow_estimator.python.estimator.export import export_lib
        if real:
            assert not ESTIMATOR_ALIASES.installed()
            assert estimator.Estimator.__module__.startswith("tensorflow_estimator.")
            assert export_lib.ServingInputReceiver.__module__.startswith("tensorflow_estimator.")
            return
        assert estimator.Estimator is ours.Estimator
        assert export_lib.ServingInputReceiver is ours.export.ServingInputReceiver
        from tensorflow_estimator import estimator as api
        from tensorflow_estimator.python.estimator.inputs import pandas_io
        from tensorflow_estimator.python.estimator.hooks import hooks
        assert api is ours and pandas_io.pandas_input_fn is ours.inputs.pandas_input_fn
        assert hooks.InMemoryEvaluatorHook is ours.experimental.InMemoryEvaluatorHook
        for module in PUBLIC_MODULES:
            for path in sorted(_served(module)):
                assert ESTIMATOR_ALIASES.serves(path) is not None, path
                assert importlib.import_module(path).__name__ == path
        assert ESTIMATOR_ALIASES.serves("tensorflow_estimator.python.estimator.head.no_such_head") is None
    finally:
        compat.uninstall()
    assert not ESTIMATOR_ALIASES.installed()
    assert not [name for name in sys.modules if name.startswith(("tensorflow_estimator", "tensorflow.python.estim"))]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tensorflow_estimator.python.estimator.estimator")
