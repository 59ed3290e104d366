"""``tf1-recsys doctor``: name resolution on a snippet corpus, its verdicts against reality, the CLI.

The reality check runs every snippet of ``REALITY`` in ONE subprocess (a fresh graph each,
tf_keras blocked as here): what the doctor says runs must build, with the install() it
prescribes and, for a name it says needs install(), fail without it; what it says is missing
must fail even with every install() flag; a moved name must fail as written and its new name resolve.
"""
import importlib
import inspect
import json
import os
import subprocess
import sys
import textwrap
import types

import pytest
import tensorflow

import tf1_recsys.compat as compat
from conftest import REPO
from test_cli import assert_one_line_error, run
from tf1_recsys.compat.module_aliases import ModuleAliases
from tf1_recsys.compat.provides import PROVISIONS, alias_tables, install_flags, private_names, provisions, resolve
from tf1_recsys.doctor import INSTALL, MISSING, MOVED, NATIVE, PRIVATE, UNRESOLVED, Catalog, diagnose
from tf1_recsys.doctor.scan import scan_source



@pytest.fixture(scope="module")
def catalog():
    return Catalog()


def paths(source):
    """(line, dotted path, import_depth) of each TensorFlow use in ``source``."""
    return [(u.line, ".".join(u.parts), u.import_depth) for u in scan_source(textwrap.dedent(source)).uses]


# -- scanning: import styles, aliases, shadowing ---------------------------------------------------------------
def test_import_styles_resolve_to_tensorflow_paths():
    src = """
        import tensorflow as tf
        import tensorflow.compat.v1 as v1
        from tensorflow.contrib import rnn
        from tensorflow.python.estimator.canned import head as head_lib
        import tensorflow.contrib.layers
        tf.layers.dense
        v1.nn.rnn_cell.GRUCell(3)
        rnn.GRUCell
        head_lib._Head
        tf.compat.v1.placeholder
        tensorflow.contrib.layers.fully_connected
        """
    assert paths(src) == [
        (3, "tensorflow.compat.v1", 3),
        (4, "tensorflow.contrib.rnn", 2),
        (5, "tensorflow.python.estimator.canned.head", 4),
        (6, "tensorflow.contrib.layers", 3),
        (7, "tensorflow.layers.dense", 0),
        (8, "tensorflow.compat.v1.nn.rnn_cell.GRUCell", 0),
        (9, "tensorflow.contrib.rnn.GRUCell", 0),
        (10, "tensorflow.python.estimator.canned.head._Head", 0),
        (11, "tensorflow.compat.v1.placeholder", 0),
        (12, "tensorflow.contrib.layers.fully_connected", 0),
    ]


def test_aliases_follow_assignments_and_functions_see_module_names():
    src = """
        import tensorflow as tf
        def build(x):
            return cells.GRUCell(4)
        cells = tf.nn.rnn_cell
        Dense = tf.layers.Dense
        layer = Dense(3)
        """
    assert paths(src) == [
        (4, "tensorflow.nn.rnn_cell.GRUCell", 0),  # the module-level alias below, read when build() runs
        (5, "tensorflow.nn.rnn_cell", 0),
        (6, "tensorflow.layers.Dense", 0),
    ]


def test_shadowed_names_are_not_tensorflow():
    src = """
        import tensorflow as tf
        def f(tf):
            return tf.layers.dense
        def g():
            tf = object()
            return tf.anything
        for tf in range(3):
            pass
        tf.nn.relu
        lambda tf: tf.whatever
        [tf.x for tf in ()]
        """
    assert paths(src) == []


def test_try_import_keeps_the_first_binding_and_star_imports_are_unresolved():
    src = """
        try:
            import tensorflow.compat.v1 as tf
        except ImportError:
            import tensorflow as tf
        from tensorflow.contrib.layers import *
        tf.placeholder
        """
    uses = scan_source(textwrap.dedent(src)).uses
    assert [(u.line, ".".join(u.parts), u.star) for u in uses] == [
        (3, "tensorflow.compat.v1", False),
        (6, "tensorflow.contrib.layers", True), (7, "tensorflow.compat.v1.placeholder", False)]


def test_install_calls_are_found_with_their_flags():
    src = """
        import tf1_recsys.compat
        from tf1_recsys.compat import install as setup
        tf1_recsys.compat.install(contrib=True)
        setup(estimator=True, contrib=False)
        tf1_recsys.compat.uninstall()
        """
    assert [flags for _, flags in scan_source(textwrap.dedent(src)).installs] == [{"contrib"}, {"estimator"}]


def test_unreadable_files_are_one_warning_each_and_the_rest_is_read(tmp_path, catalog):
    (tmp_path / "py2.py").write_text("import tensorflow as tf\nprint 'hello', tf.nn\ntf.Session\n")
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "nul.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "deep.py").write_text("x = " + "+".join(["1"] * 20000) + "\n")
    (tmp_path / "latin.py").write_bytes(b"import tensorflow as tf\ns = '\xe9t\xe9'\ntf.Session\n")
    (tmp_path / "declared.py").write_bytes(b"# -*- coding: latin-1 -*-\nimport tensorflow as tf\n"
                                           b"s = '\xe9'\ntf.nn.relu\n")
    (tmp_path / "ok.py").write_text("import tensorflow as tf\ntf.nn.relu\n")
    (tmp_path / "tabs.py").write_text("import tensorflow as tf\nif 1:\n        x = 1\n\ty = tf.nn.relu\n")
    d = diagnose([str(tmp_path)], catalog)
    assert sorted(os.path.basename(f.path) for f in d.files) == ["declared.py", "latin.py", "ok.py", "py2.py", "tabs.py"]
    by_file = {os.path.basename(w.split(":")[0]): w for w in d.warnings}
    assert sorted(by_file) == ["broken.py", "deep.py", "latin.py", "nul.py", "py2.py", "tabs.py"]
    assert "Python 2" in by_file["py2.py"] and "Latin-1" in by_file["latin.py"]
    assert all("\n" not in w for w in d.warnings)
    latin = [f for f in d.files if f.path.endswith("latin.py")][0]
    assert [(r.line, r.api) for r in latin.rows] == [(3, "tf.Session")]
    py2 = [f for f in d.files if f.path.endswith("py2.py")][0]
    assert [(r.line, r.api) for r in py2.rows] == [(2, "tf.nn"), (3, "tf.Session")]
    tabs = [f for f in d.files if f.path.endswith("tabs.py")][0]
    assert [(r.line, r.api) for r in tabs.rows] == [(4, "tf.nn.relu")]


# -- the catalog: read from TensorFlow and from install() ------------------------------------------------------
def test_provisions_table_is_what_install_does():
    """What compat/provides.py lists is what install() does: every module it sets into TensorFlow is a
    PROVISIONS row and every row is set by its flag; the import-path finders on sys.meta_path are
    exactly the ALIAS_TABLES of the flags passed; the names set into TensorFlow's private modules
    are exactly the PRIVATE_NAME_TABLES rows, each holding the value its row names."""
    flags = [name for name, p in inspect.signature(compat.install).parameters.items() if p.default is False]
    assert set(install_flags()) <= set(flags)
    for row in private_names():  # imported first, so that what install() changes in them is seen
        importlib.import_module(row.module)

    def ours(value):  # vars(): a getattr would load TensorFlow's lazy (Keras) modules
        return isinstance(value, types.ModuleType) and str(vars(value).get("__name__")).startswith("tf1_recsys")

    def tensorflow_state():
        return {name: dict(vars(m)) for name, m in list(sys.modules.items())
                if m is not None and name.split(".")[0] == "tensorflow" and not ours(m)}

    def finders():
        return {id(f) for f in sys.meta_path if isinstance(f, ModuleAliases)}

    missing = object()
    before, modules_before = tensorflow_state(), dict(sys.modules)
    finders_before = finders()
    compat.install(**{f: True for f in flags})
    try:
        set_attrs, set_private = set(), {}
        for name, attrs in tensorflow_state().items():
            for attr, value in attrs.items():
                if ours(value) and before.get(name, {}).get(attr) is not value:
                    set_attrs.add(name.replace("._api.v2", "") + "." + attr)
                elif name.startswith("tensorflow.python.") and before[name].get(attr, missing) is not value:
                    set_private[(name, attr)] = value
        new_modules = {k.replace("._api.v2", "") for k, v in sys.modules.items() if modules_before.get(k) is not v
                       and ours(v) and k.startswith("tensorflow")}
        table = {p.target for p in PROVISIONS}
        assert set_attrs <= table, "install() sets names compat/provides.py does not list"
        assert new_modules == {p.target for p in PROVISIONS if p.importable}
        assert finders() - finders_before == {id(f) for f, _ in alias_tables()}
        expected = {(r.module, r.name): r for r in private_names()
                    if not (r.only_where_missing and r.name in before[r.module])}
        assert sorted(set_private) == sorted(expected), "install() sets private names provides.py does not list"
        assert all(set_private[key] is resolve(r.source) for key, r in expected.items())
        assert any(r.only_where_missing for r in expected.values()) or tensorflow.__version__ < "2.16"
    finally:
        compat.uninstall()
    assert finders() == finders_before
    for flag in [None] + install_flags():
        given = [flag] if flag else []
        compat.install(**({flag: True} if flag else {}))
        try:
            for p in provisions(given):
                obj = tensorflow
                for part in p.target.split(".")[1:]:
                    obj = getattr(obj, part)
                assert obj is sys.modules[p.module], p
            assert finders() - finders_before == {id(f) for f, _ in alias_tables(given)}, flag
            for r in private_names(given):
                assert getattr(importlib.import_module(r.module), r.name) is not None, r
            untouched = [r for r in private_names() if r not in private_names(given) and not r.only_where_missing]
            assert all(getattr(importlib.import_module(r.module), r.name, None) is not resolve(r.source)
                       for r in untouched), flag
        finally:
            compat.uninstall()


def test_catalog_knows_the_keras_stubs_without_loading_keras(catalog):
    keras_before = {k for k in sys.modules if k.split(".")[0] in ("keras", "tf_keras")}
    v = catalog.verdict(("tensorflow", "compat", "v1", "layers", "dense"))
    keras_after = {k for k in sys.modules if k.split(".")[0] in ("keras", "tf_keras")}
    assert keras_after == keras_before
    loader = vars(tensorflow.compat.v1).get("layers")
    if type(loader).__name__ == "KerasLazyLoader":  # TensorFlow 2.16+: a Keras 3 stub
        assert v.status == INSTALL and v.flags == (None,) and "stub" in v.note
    else:  # TensorFlow <= 2.15: Keras 2 behind it
        assert v.status == NATIVE


# -- verdicts against reality ----------------------------------------------------------------------------------
X = "x = tf.placeholder(tf.float32, [None, 3])\n"
REALITY = {
    "native": "import tensorflow.compat.v1 as tf\n" + X + "y = tf.nn.relu(x)\n",
    "layers": "import tensorflow.compat.v1 as tf\n" + X + "y = tf.layers.dense(x, 2)\n",
    "from_layers": "import tensorflow.compat.v1 as tf\nfrom tensorflow.compat.v1 import layers as L\n" + X
                   + "y = L.dense(x, 2)\n",
    "contrib": "import tensorflow.compat.v1 as tf\n" + X + "y = tf.contrib.layers.fully_connected(x, 2)\n",
    "estimator": "import tensorflow.compat.v1 as tf\nc = tf.estimator.RunConfig(model_dir=None)\n",
    "rnn_alias": "import tensorflow.compat.v1 as tf\ncells = tf.nn.rnn_cell\ns = tf.placeholder(tf.float32, "
                 "[None, 5, 3])\nout, st = tf.nn.dynamic_rnn(cells.GRUCell(4), s, dtype=tf.float32)\n",
    "contrib_rnn": "import tensorflow.compat.v1 as tf\nw = tf.contrib.rnn.AttentionCellWrapper\n",
    "contrib_learn": "import tensorflow.compat.v1 as tf\nw = tf.contrib.learn.Experiment\n",
    "import_contrib": "from tensorflow.contrib import layers\n",
    "import_contrib_rnn": "import tensorflow.compat.v1 as tf\nfrom tensorflow.contrib import rnn\n"
                          "s = tf.placeholder(tf.float32, [None, 5, 3])\n"
                          "out, st = tf.nn.dynamic_rnn(rnn.GRUCell(4), s, dtype=tf.float32)\n",
    "import_contrib_deep": "import tensorflow.compat.v1 as tf\n"
                           "from tensorflow.contrib.layers.python.layers import batch_norm\n" + X
                           + "y = batch_norm(x)\n",
    "import_contrib_through_module": "import tensorflow as tf\nimport tensorflow.contrib.layers.python.layers\n"
                                     "f = tf.contrib.layers.python.layers.batch_norm\n",
    "import_contrib_gone": "from tensorflow.contrib.learn.python.learn import Experiment\n",
    "private_linear": "import tensorflow.compat.v1 as tf\nfrom tensorflow.python.ops.rnn_cell_impl import _Linear\n"
                      + X + "y = _Linear([x], 2, True)([x])\n",
    "contrib_not_imported": "import tensorflow as tf\nf = tf.contrib.layers.fully_connected\n",
    "private_moved": "from tensorflow.python.util import nest\nf = nest.is_sequence\n",
    "moved_root": "import tensorflow as tf\n" + X,
    "moved_contrib": "import tensorflow.compat.v1 as tf\nf = tf.contrib.data.parallel_interleave\n",
    "private_ops": "from tensorflow.python.ops import array_ops\nf = array_ops.identity\n",
    "private_estimator": "from tensorflow.python.estimator.canned import head\n",
}

REALITY_SCRIPT = r"""
import json, sys
sys.modules["tf_keras"] = None
import tensorflow
import tf1_recsys.compat as compat
cases = json.load(open(sys.argv[1]))
out = {}
for case in cases:
    compat.uninstall()
    if case["install"] is not None:
        compat.install(**{f: True for f in case["install"]})
    try:
        with tensorflow.Graph().as_default():
            if case["code"] is not None:
                exec(compile(case["code"], case["name"], "exec"), {})
            if case["resolve"] is not None:
                obj = tensorflow
                for part in case["resolve"].split(".")[1:]:
                    obj = getattr(obj, part)
        out[case["key"]] = None
    except Exception as e:
        out[case["key"]] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    finally:
        compat.uninstall()
json.dump(out, open(sys.argv[2], "w"))
"""


@pytest.fixture(scope="module")
def reality(tmp_path_factory, catalog):
    """The doctor's diagnosis of each REALITY snippet, and what happened when each case ran."""
    folder = tmp_path_factory.mktemp("reality")
    every_flag = install_flags()
    diagnoses, cases = {}, []
    for name, code in REALITY.items():
        path = folder / (name + ".py")
        path.write_text(code)
        d = diagnoses[name] = diagnose([str(path)], catalog)
        needed = sorted(f for f in d.flags_needed if f is not None)
        cases.append(dict(key=name + ":as_prescribed", name=name, code=code, resolve=None,
                          install=needed if d.flags_needed else None))
        cases.append(dict(key=name + ":no_install", name=name, code=code, resolve=None, install=None))
        cases.append(dict(key=name + ":all_flags", name=name, code=code, resolve=None, install=every_flag))
        for _, row in d.rows():
            if row.status == MOVED:
                cases.append(dict(key=name + ":to:" + row.to, name=name, code=None, resolve=row.to,
                                  install=[f for f in row.flags if f]))
    (folder / "cases.json").write_text(json.dumps(cases))
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TF_USE_LEGACY_KERAS", None)
    proc = subprocess.run([sys.executable, "-c", REALITY_SCRIPT, str(folder / "cases.json"), str(folder / "out.json")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return diagnoses, json.loads((folder / "out.json").read_text())


@pytest.mark.parametrize("name", sorted(REALITY))
def test_verdict_matches_reality(reality, name):
    diagnoses, ran = reality
    d = diagnoses[name]
    statuses = {row.status for _, row in d.rows()}
    assert statuses, "the snippet has TensorFlow uses"
    if d.exit_code == 2:
        assert ran[name + ":all_flags"] is not None, "said missing, but it runs with every install() flag"
    elif MOVED in statuses:
        assert ran[name + ":all_flags"] is not None, "said moved, but it runs as written"
        for _, row in d.rows():
            if row.status == MOVED:
                assert ran[name + ":to:" + row.to] is None, ran[name + ":to:" + row.to]
    else:
        assert ran[name + ":as_prescribed"] is None, ran[name + ":as_prescribed"]
        if INSTALL in statuses:
            assert d.exit_code == 1
            assert ran[name + ":no_install"] is not None, "said it needs install(), but it runs without"
        else:
            assert d.exit_code == 0 and ran[name + ":no_install"] is None


def test_reality_covers_every_kind_of_verdict(reality):
    """The reality set is not vacuous on this TensorFlow: it holds names that run, need install, moved, are missing."""
    diagnoses, _ = reality
    seen = {row.status for d in diagnoses.values() for _, row in d.rows()}
    assert {NATIVE, INSTALL, MOVED, MISSING, PRIVATE} <= seen


def test_import_paths_and_private_names_come_from_install_tables(catalog):
    """DIEN's ``_Linear`` import needs install(private_names=True) and is flagged fragile; contrib import paths
    need install(contrib=True); an alias table added to provides.py is read with its flag, nothing else to change."""
    v = catalog.verdict(("tensorflow", "python", "ops", "rnn_cell_impl", "_Linear"), import_depth=4)
    assert v.status == INSTALL and v.flags == ("private_names",) and "fragile" in v.note
    rnn = catalog.verdict(("tensorflow", "contrib", "rnn"), import_depth=2)
    assert rnn.status == INSTALL and rnn.flags == ("contrib",)
    gone = ("tensorflow", "python", "tf1_recsys_test_alias", "__version__")
    assert catalog.verdict(gone, import_depth=3)[:2] == (PRIVATE, ())
    extra = alias_tables() + [(ModuleAliases({"tensorflow.python.tf1_recsys_test_alias": "tf1_recsys.version"}),
                               "estimator")]
    v = Catalog(alias_tables=extra).verdict(gone, import_depth=3)
    assert v.status == INSTALL and v.flags == ("estimator",)


def test_moves_come_from_tf_upgrade_v2_tables(catalog):
    v = catalog.verdict(("tensorflow", "contrib", "data", "parallel_interleave"))
    from tensorflow.tools.compatibility import all_renames_v2

    assert v.status == MOVED and v.to == all_renames_v2.symbol_renames["tf.contrib.data.parallel_interleave"]


# -- the command -----------------------------------------------------------------------------------------------
def test_cli_exit_codes_json_and_only(tmp_path, capsys):
    runs = tmp_path / "runs.py"
    runs.write_text("import tensorflow.compat.v1 as tf\ntf.nn.relu\n")
    needs = tmp_path / "needs.py"
    needs.write_text("import tensorflow.compat.v1 as tf\ntf.contrib.layers.fully_connected\n")
    called = tmp_path / "called.py"
    called.write_text("import tf1_recsys.compat\ntf1_recsys.compat.install(contrib=True)\n"
                      "import tensorflow.compat.v1 as tf\ntf.contrib.layers.fully_connected\n")
    missing = tmp_path / "missing.py"
    missing.write_text("import tensorflow.compat.v1 as tf\ntf.nn.relu\ntf.contrib.learn.Experiment\n")
    assert run(capsys, "doctor", str(runs))[0] == 0
    rc, out, _ = run(capsys, "doctor", str(needs))
    assert rc == 1 and "tf1_recsys.compat.install(contrib=True)" in out and "not called" in out
    assert run(capsys, "doctor", str(called))[0] == 0
    partly = tmp_path / "partly.py"
    partly.write_text(called.read_text() + "tf.estimator.RunConfig\n")
    rc, out, _ = run(capsys, "doctor", str(partly))
    if vars(tensorflow).get("estimator") is None:  # TensorFlow 2.16+: no tf.estimator of its own
        assert rc == 1 and "the code's install() calls lack estimator=True" in out
    else:
        assert rc == 0 and "called by the code" in out
    rc, out, _ = run(capsys, "doctor", str(missing), "--format", "json", "--only", "missing")
    data = json.loads(out)
    assert rc == 2 == data["exit_code"]
    assert data["counts"][NATIVE] == 2 and data["counts"][MISSING] == 1
    assert [(u["line"], u["api"], u["status"]) for f in data["files"] for u in f["uses"]] == [
        (3, "tf.compat.v1.contrib.learn.Experiment", MISSING)]


def test_cli_help_and_errors(capsys):
    rc, out, _ = run(capsys, "doctor", "--help")
    assert rc == 0 and "exit codes:" in out and "tf1-recsys doctor my_project/" in out
    rc, _, err = run(capsys, "doctor", "/no/such/folder")
    assert_one_line_error(rc, err, "no such file or folder: /no/such/folder")
    rc, _, err = run(capsys, "doctor", ".", "--only", "gone")
    assert rc == 2 and "--only" in err and UNRESOLVED in err


def test_names_past_an_object_are_not_judged(catalog):
    """``FLAGS.batch_size`` after ``FLAGS = tf.app.flags.FLAGS`` is the user's flag, not a TensorFlow name;
    a class's attribute still is."""
    flags = catalog.verdict(("tensorflow", "compat", "v1", "app", "flags", "FLAGS", "batch_size"))
    assert flags.status == NATIVE
    assert not isinstance(tensorflow.compat.v1.app.flags.FLAGS, (types.ModuleType, type))
    assert catalog.verdict(("tensorflow", "compat", "v1", "GraphKeys", "UPDATE_OPS")).status == NATIVE
    assert not hasattr(tensorflow.compat.v1.GraphKeys, "NO_SUCH_KEY")
    assert catalog.verdict(("tensorflow", "compat", "v1", "GraphKeys", "NO_SUCH_KEY")).status == MISSING
