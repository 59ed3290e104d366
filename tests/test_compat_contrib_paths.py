"""``tensorflow.contrib...`` import paths after ``install(contrib=True)``, and the generic ``ModuleAliases``.

The documented paths are imported in one fresh Python process (so that "importing tf1_recsys
alone changes nothing" is observed before anything else installed a finder): each must fail
before ``install(contrib=True)``, resolve to our objects after it, and fail again after
``uninstall()`` with ``sys.modules`` and ``tensorflow``'s attributes as they were.
The mechanism itself is tested on throw-away packages written to ``tmp_path``.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from tf1_recsys.compat.contrib_paths import CONTRIB_PATHS
from tf1_recsys.compat.module_aliases import AliasModule, ModuleAliases

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each documented import statement and an expression that must then be our object (`ours`).
DOCUMENTED = [
    ("from tensorflow.contrib.layers.python.layers import batch_norm", "batch_norm is C.layers.batch_norm"),
    ("import tensorflow.contrib.layers as layers", "layers.fully_connected is C.layers.fully_connected"),
    ("from tensorflow.contrib import layers", "layers.xavier_initializer is C.layers.xavier_initializer"),
    ("import tensorflow.contrib.layers.python.layers.layers as L", "L.layer_norm is C.layers.layer_norm"),
    ("from tensorflow.contrib.layers.python.layers import initializers",
     "initializers.xavier_initializer is C.layers.xavier_initializer"),
    ("from tensorflow.contrib.layers.python.layers import regularizers",
     "regularizers.l2_regularizer is C.layers.l2_regularizer"),
    ("from tensorflow.contrib.layers.python.layers import utils",
     "utils.collect_named_outputs is C.layers.utils.collect_named_outputs"),
    ("from tensorflow.contrib.layers import utils", "utils.smart_cond is C.layers.utils.smart_cond"),
    ("from tensorflow.contrib.layers.python.layers import encoders",
     "encoders.embed_sequence is C.layers.embed_sequence"),
    ("import tensorflow.contrib.layers.python.layers.layers", "tensorflow.contrib.layers.python.layers.layers"
     ".batch_norm is C.layers.batch_norm"),
    ("from tensorflow.contrib import framework", "framework.arg_scope is C.framework.arg_scope"),
    ("from tensorflow.contrib.framework.python.ops import arg_scope, add_arg_scope",
     "arg_scope is C.framework.arg_scope and add_arg_scope is C.framework.add_arg_scope"),
    ("from tensorflow.contrib.framework.python.ops.arg_scope import arg_scope",
     "arg_scope is C.framework.arg_scope"),
    ("from tensorflow.contrib.framework.python.ops import variables",
     "variables.get_variables_to_restore is C.framework.get_variables_to_restore"),
    ("from tensorflow.contrib.framework.python.ops.variables import model_variable",
     "model_variable is C.framework.model_variable"),
    ("from tensorflow.contrib import opt", "opt.LazyAdamOptimizer is C.opt.LazyAdamOptimizer"),
    ("from tensorflow.contrib.opt import AdamWOptimizer, LazyAdamOptimizer, NadamOptimizer",
     "AdamWOptimizer is C.opt.AdamWOptimizer and NadamOptimizer is C.opt.NadamOptimizer"),
    ("from tensorflow.contrib.opt.python.training.nadam_optimizer import NadamOptimizer",
     "NadamOptimizer is C.opt.NadamOptimizer"),
    ("from tensorflow.contrib.opt.python.training.lazy_adam_optimizer import LazyAdamOptimizer",
     "LazyAdamOptimizer is C.opt.LazyAdamOptimizer"),
    ("from tensorflow.contrib.opt.python.training.weight_decay_optimizers import MomentumWOptimizer",
     "MomentumWOptimizer is C.opt.MomentumWOptimizer"),
    ("import tensorflow.contrib.data as data", "data.parallel_interleave is tf.data.experimental.parallel_interleave"),
    ("from tensorflow.contrib.data.python.ops.interleave_ops import parallel_interleave",
     "parallel_interleave is tf.data.experimental.parallel_interleave"),
    ("from tensorflow.contrib.data import Dataset, TFRecordDataset",
     "Dataset is tf.data.Dataset and TFRecordDataset is tf.data.TFRecordDataset"),
    ("from tensorflow.contrib.data.python.ops.batching import map_and_batch",
     "map_and_batch is tf.data.experimental.map_and_batch"),
    ("from tensorflow.contrib.seq2seq import sequence_loss", "sequence_loss is C.seq2seq.sequence_loss"),
    ("from tensorflow.contrib.seq2seq.python.ops.loss import sequence_loss",
     "sequence_loss is C.seq2seq.sequence_loss"),
    ("from tensorflow.contrib import legacy_seq2seq",
     "legacy_seq2seq.sequence_loss_by_example is C.legacy_seq2seq.sequence_loss_by_example"),
    ("from tensorflow.contrib.legacy_seq2seq.python.ops.seq2seq import sequence_loss",
     "sequence_loss is C.legacy_seq2seq.sequence_loss"),
    ("from tensorflow.contrib.training import HParams", "HParams is C.training.HParams"),
    ("from tensorflow.contrib.training.python.training.hparam import HParams", "HParams is C.training.HParams"),
    ("from tensorflow.compat.v1.contrib import layers", "layers.batch_norm is C.layers.batch_norm"),
    ("from tensorflow.contrib import rnn", "rnn.GRUBlockCellV2 is C.rnn.GRUBlockCellV2 and rnn.GRUCell is C.rnn.GRUCell"),
    ("from tensorflow.contrib.rnn import LSTMBlockFusedCell, LayerNormBasicLSTMCell",
     "LSTMBlockFusedCell is C.rnn.LSTMBlockFusedCell and LayerNormBasicLSTMCell is C.rnn.LayerNormBasicLSTMCell"),
    ("from tensorflow.contrib.rnn.python.ops.rnn_cell import AttentionCellWrapper",
     "AttentionCellWrapper is C.rnn.AttentionCellWrapper"),
    ("from tensorflow.contrib.rnn.python.ops.lstm_ops import LSTMBlockCell", "LSTMBlockCell is C.rnn.LSTMBlockCell"),
    ("from tensorflow.contrib.rnn.python.ops.gru_ops import GRUBlockCell", "GRUBlockCell is C.rnn.GRUBlockCell"),
    ("from tensorflow.contrib.rnn.python.ops.core_rnn_cell import _Linear",
     "_Linear is __import__('tf1_recsys.compat.rnn_cell.linear', fromlist=['Linear']).Linear"),
    ("from tensorflow.contrib.estimator import multi_head, binary_classification_head, DNNEstimator",
     "multi_head is C.estimator.multi_head and DNNEstimator is C.estimator.DNNEstimator"
     " and binary_classification_head is C.estimator.binary_classification_head"),
    ("from tensorflow.contrib.estimator.python.estimator import head",
     "head.multi_label_head is C.estimator.multi_label_head"),
    ("from tensorflow.contrib.estimator.python.estimator.multi_head import multi_head",
     "multi_head is C.estimator.multi_head"),
]

SCRIPT = r'''
import json, sys
documented = json.loads(sys.argv[1])

def snapshot():
    import tensorflow
    return ([n for n in sorted(sys.modules) if ".contrib" in n and not n.startswith("tf1_recsys")],
            list(sys.meta_path), sorted(vars(tensorflow)), sorted(vars(tensorflow.compat.v1)))

def try_all():
    results = []
    for statement, check in documented:
        namespace = {}
        try:
            exec("import tensorflow\nimport tensorflow.compat.v1 as tf\nimport tf1_recsys.compat.contrib as C\n"
                 + statement, namespace)
            results.append(bool(eval(check, namespace)))
        except ImportError as e:
            results.append("ImportError: %s" % e)
    return results

import tensorflow  # noqa
import tf1_recsys, tf1_recsys.compat  # noqa: importing alone must change nothing
before = snapshot()
out = {"alone": try_all()}
from tf1_recsys import compat
compat.install(contrib=True)
compat.install(contrib=True)
out["installed"] = try_all()
out["finders"] = sum(type(f).__name__ == "ModuleAliases" for f in sys.meta_path)
compat.uninstall()
out["uninstalled"] = try_all()
out["restored"] = snapshot() == before
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def documented_paths():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(DOCUMENTED)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_documented_paths_resolve_to_ours_only_while_installed(documented_paths):
    statements = [statement for statement, _ in DOCUMENTED]
    for when in ("alone", "uninstalled"):
        for statement, result in zip(statements, documented_paths[when]):
            assert isinstance(result, str) and "contrib" in result, (when, statement, result)
    assert dict(zip(statements, documented_paths["installed"])) == {s: True for s in statements}
    assert documented_paths["finders"] == 1  # install() twice: one finder
    assert documented_paths["restored"], "uninstall() left sys.modules, sys.meta_path or tensorflow changed"


def test_every_row_of_the_table_points_at_a_module_that_exists():
    import importlib.util

    for alias, target in CONTRIB_PATHS.items():
        assert alias.startswith(("tensorflow.contrib", "tensorflow.compat.v1.contrib")), alias
        assert importlib.util.find_spec(target) is not None, (alias, target)


# --- the mechanism, on throw-away packages -------------------------------------------------------

def _write(root, files):
    for path, text in files.items():
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(textwrap.dedent(text))


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """``newpkg`` (ours) and ``oldroot`` (a real package the aliases hang under)."""
    _write(tmp_path, {
        "oldroot/__init__.py": "present = 'real'\n",
        "newpkg/__init__.py": "from newpkg import ops\nfrom newpkg.tool import tool\n",
        "newpkg/ops.py": "def op():\n    return 'op'\n",
        "newpkg/tool.py": "def tool():\n    return 'tool'\n",
        "newpkg/deep/__init__.py": "",
        "newpkg/deep/leaf.py": "VALUE = 42\n",
        "realold/__init__.py": "",
        "realold/sub.py": "WHO = 'original'\n",
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in [n for n in sys.modules if n.split(".")[0] in ("oldroot", "newpkg", "realold")]:
        del sys.modules[name]


def test_aliases_all_import_forms_deep_rows_and_missing_targets(packages):
    import importlib

    import oldroot
    aliases = ModuleAliases({
        "oldroot.contrib": "newpkg",
        "oldroot.contrib.tool.python.ops": "newpkg.tool",  # deep row below a synthetic 'python'
        "oldroot.contrib.absent": "newpkg.not_there",
        "oldroot.contrib.absent.python.ops": "newpkg.not_there",
    })
    with pytest.raises(ImportError):
        importlib.import_module("oldroot.contrib")
    aliases.install()
    aliases.install()
    try:
        import newpkg
        import oldroot.contrib.deep.leaf as leaf
        from oldroot.contrib import ops
        from oldroot.contrib.deep.leaf import VALUE
        from oldroot.contrib.tool.python.ops import tool
        assert (leaf.VALUE, VALUE, ops.op(), tool()) == (42, 42, "op", "tool")
        assert isinstance(oldroot.contrib, AliasModule) and oldroot.contrib.tool is newpkg.tool  # the function
        # As in TF 1.x: the function the package exports hides the module of the same name ...
        assert sys.modules["oldroot.contrib.tool"].__name__ == "oldroot.contrib.tool"
        assert sys.modules["oldroot.contrib.tool.python.ops"].tool is newpkg.tool
        assert newpkg.tool.__module__ == "newpkg.tool" and "python" not in vars(newpkg)  # ... and ours is untouched
        for name in ("oldroot.contrib.absent", "oldroot.contrib.absent.python.ops", "oldroot.contrib.nothing"):
            with pytest.raises(ModuleNotFoundError, match=r"No module named 'oldroot\.contrib\.(absent|nothing)'"):
                importlib.import_module(name)
        with pytest.raises(ImportError, match="cannot import name 'absent'"):
            exec("from oldroot.contrib import absent", {})
        assert sorted(n for n in sys.meta_path if n is aliases) == [aliases]
    finally:
        aliases.uninstall()
        aliases.uninstall()
    assert not any(n.startswith("oldroot.contrib") for n in sys.modules)
    assert not hasattr(oldroot, "contrib") and aliases not in sys.meta_path
    with pytest.raises(ImportError):
        importlib.import_module("oldroot.contrib.deep.leaf")


def test_aliases_set_aside_modules_already_imported_and_put_them_back(packages):
    import realold.sub as original

    aliases = ModuleAliases({"realold.sub": "newpkg.deep.leaf"})
    aliases.install()
    try:
        import realold
        import realold.sub as now
        assert now.VALUE == 42 and realold.sub is now
    finally:
        aliases.uninstall()
    assert sys.modules["realold.sub"] is original and realold.sub is original and original.WHO == "original"


def test_aliases_reject_relative_names():
    with pytest.raises(ValueError, match="absolute module names; got '.x' -> 'y'"):
        ModuleAliases({".x": "y"})
