"""``tf1-recsys doctor``: what of a TF1 codebase runs on the installed TensorFlow, before running it.

    from tf1_recsys.doctor import diagnose
    result = diagnose(["my_project/"])
    print(result.exit_code, result.install_line)
    for f in result.files:
        for row in f.rows:
            print(f.path, row.line, row.api, row.status)

Files are read statically (``scan``), each TensorFlow name is judged on the installed
TensorFlow and against what ``tf1_recsys.compat.install()`` provides (``catalog``), and
``report`` prints the result. Statuses: ``native``, ``install`` (runs after
``install(...)``; ``flags`` says which), ``moved`` (``to`` says where), ``missing``
(``alternative`` where one is known), ``private`` (a ``tensorflow.python...`` name;
``works`` says whether it exists here) and ``unresolved`` (a star import).

Exit codes: 0 everything runs (natively or after the ``install()`` the code calls);
1 something needs an ``install()`` flag the code does not pass, or a moved name;
2 something is provided nowhere (a missing name or a private one that is gone).
"""
import ast
import multiprocessing
import os
import sys
import time
from collections import namedtuple

from tf1_recsys.doctor.catalog import (
    INSTALL, MISSING, MOVED, NATIVE, PRIVATE, STATUSES, UNRESOLVED, Catalog, display, install_line,
)
from tf1_recsys.doctor.scan import scan_tree

Row = namedtuple("Row", ["line", "col", "api", "kind", "status", "flags", "to", "alternative", "note", "works"])
Row.__doc__ = """One use: ``kind`` is ``import`` (an import statement) or ``use`` (a name in code)."""
FileResult = namedtuple("FileResult", ["path", "lines", "rows"])

_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}


class DoctorError(Exception):
    """A path that does not exist or cannot be read: the CLI prints it as one error line."""


class Diagnosis:
    """What ``diagnose`` found: ``files`` (FileResult), ``warnings`` (str), ``installs_called`` (set of flags)."""

    def __init__(self, files, warnings, installs_called, catalog, seconds):
        self.files = files
        self.warnings = warnings
        self.installs_called = installs_called
        self.tensorflow = catalog.version
        self.keras = catalog.keras
        self.tables = catalog.tables
        self.seconds = seconds

    def rows(self):
        for f in self.files:
            for row in f.rows:
                yield f, row

    @property
    def lines(self):
        return sum(f.lines for f in self.files)

    def counts(self):
        counts = {status: 0 for status in STATUSES}
        for _, row in self.rows():
            counts[row.status] += 1
        return counts

    @property
    def flags_needed(self):
        """install() flags the uses need (``None``: a bare install()), natively-missing names and moves included."""
        needed = set()
        for _, row in self.rows():
            if row.status in (INSTALL, MOVED):
                needed.update(row.flags)
        return needed

    @property
    def install_line(self):
        """The ``install(...)`` call the code needs, or None."""
        return install_line(self.flags_needed) if self.flags_needed else None

    @property
    def install_missing(self):
        """Whether the code needs an install() flag that none of its install() calls passes."""
        needed = self.flags_needed
        if not needed:
            return False
        called = self.installs_called
        if called is None:
            return True
        if "*" in called:
            return False
        return not {f for f in needed if f is not None} <= called

    @property
    def exit_code(self):
        """0 all runs, 1 an install() flag or a move is needed, 2 something is provided nowhere."""
        statuses = [(row.status, row.works) for _, row in self.rows()]
        if any(s == MISSING or (s == PRIVATE and not works) for s, works in statuses):
            return 2
        if self.install_missing or any(s == MOVED for s, _ in statuses):
            return 1
        return 0


def python_files(paths):
    """The ``.py`` files of ``paths`` (files as given; folders walked in sorted order, hidden ones skipped)."""
    found = []
    for path in paths:
        if os.path.isfile(path):
            found.append(path)
        elif os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
                found.extend(os.path.join(root, name) for name in sorted(files) if name.endswith(".py"))
        else:
            raise DoctorError("no such file or folder: %s" % path)
    return found


def _parse(path, warnings):
    """The module's ast and line count, or (None, 0) with a warning naming the file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        warnings.append("%s: skipped, cannot read: %s" % (path, e.strerror or e))
        return None, 0
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    try:
        return ast.parse(data, filename=path), lines
    except SyntaxError as e:
        if "decode" in str(e.msg) or "unicode" in str(e.msg).lower():
            try:  # no coding line and not UTF-8: Latin-1 keeps every byte, so its names still read
                tree = ast.parse(data.decode("latin-1"), filename=path)
                warnings.append("%s: not UTF-8 and no coding line; read as Latin-1" % path)
                return tree, lines
            except (SyntaxError, ValueError):
                pass
        if _looks_python2(e):
            tree = _parse_python2(data, path)
            if tree is not None:
                warnings.append("%s:%s: Python 2 (%s); read with tab stops of 8 after lib2to3's print/exec/except "
                                "fixes, lines kept"
                                % (path, e.lineno or "?", e.msg))
                return tree, lines
        hint = " (Python 2?)" if _looks_python2(e) else ""
        warnings.append("%s:%s: skipped, cannot parse%s: %s" % (path, e.lineno or "?", hint, e.msg))
    except (ValueError, UnicodeDecodeError, LookupError, RecursionError, MemoryError) as e:
        # NUL bytes, an unknown coding line, nesting too deep for the parser
        warnings.append("%s: skipped, cannot parse: %s" % (path, e))
    return None, 0


_PY2_FIXES = ["lib2to3.fixes.fix_" + name for name in (
    "print", "exec", "except", "raise", "ne", "repr", "numliterals", "tuple_params")]


def _parse_python2(data, path):
    """The ast of a Python 2 file, its tabs expanded and the syntax-only fixers of lib2to3 applied (both keep
    line numbers), or None
    (not convertible, or no lib2to3: Python 3.13 removed it)."""
    try:
        import warnings as warnings_module

        with warnings_module.catch_warnings():
            warnings_module.simplefilter("ignore")
            from lib2to3 import refactor
        text = data.decode("utf-8", errors="replace").expandtabs(8)  # Python 2's tab stops: mixed indents parse
        converted = str(refactor.RefactoringTool(_PY2_FIXES).refactor_string(text + "\n", path))
        return ast.parse(converted, filename=path)
    except Exception:  # lib2to3's ParseError, a SyntaxError left after the fixes, no lib2to3
        return None


def _looks_python2(error):
    if isinstance(error, TabError):
        return True
    text = (error.text or "") + " " + str(error.msg)
    return "print" in text or "Missing parentheses" in text or "exec" in text or "except" in text and "," in text


def _imported_paths(uses):
    """The module paths a file's import statements import, with their parent packages (``from a.b import c``:
    ``a``, ``a.b`` and maybe ``a.b.c``)."""
    return {u.parts[:k] for u in uses if u.import_depth and not u.star for k in range(2, len(u.parts) + 1)}


def _imported(use, imported_paths):
    """How many leading components of ``use`` the file reaches through its imports."""
    if use.import_depth:
        return len(use.parts)
    return max((k for k in range(2, len(use.parts) + 1) if use.parts[:k] in imported_paths), default=1)


def _row(use, catalog, imported_paths=frozenset()):
    if use.star:
        return Row(use.line, use.col, display(use.parts) + ".*", "import", UNRESOLVED, (), None, None,
                   "star import: the names it brings cannot be followed", True)
    v = catalog.verdict(use.parts, use.import_depth, _imported(use, imported_paths))
    return Row(use.line, use.col, display(use.parts), "import" if use.import_depth else "use",
               v.status, v.flags, v.to, v.alternative, v.note, v.works)


def _scan_file(path):
    """(path, lines, uses, installs, warnings) of one file: the part that needs no TensorFlow."""
    warnings = []
    tree, lines = _parse(path, warnings)
    if tree is None:
        return path, 0, None, [], warnings
    try:
        scan = scan_tree(tree)
    except RecursionError:  # expressions nested deeper than Python's recursion limit
        warnings.append("%s: skipped, nested too deeply to follow" % path)
        return path, 0, None, [], warnings
    return path, lines, scan.uses, scan.installs, warnings


def _scans(files, jobs):
    """Scans of ``files`` in order: in ``jobs`` forked processes for a large tree, which read the files
    while this process imports TensorFlow; in this process otherwise (or once TensorFlow is loaded:
    no fork after its threads start)."""
    big = sum(os.path.getsize(f) for f in files[:2000]) > 2000000
    if jobs > 1 and big and "tensorflow" not in sys.modules and "fork" in multiprocessing.get_all_start_methods():
        pool = multiprocessing.get_context("fork").Pool(jobs)
        return pool, pool.imap(_scan_file, files, chunksize=4)
    return None, (_scan_file(f) for f in files)


def diagnose(paths, catalog=None, jobs=None, import_tensorflow=None):
    """``Diagnosis`` of the Python files under ``paths`` (files or folders) on the installed TensorFlow.

    Raises DoctorError for a path that does not exist. Files that cannot be parsed are
    skipped with a warning naming them. ``jobs``: processes reading a large tree (default: the CPUs, at most 4).
    ``import_tensorflow``: called to import TensorFlow once the reading has started (the CLI's quiet import).
    """
    if isinstance(paths, str):
        paths = [paths]
    start = time.perf_counter()
    files = python_files(paths)
    pool, scans = _scans(files, jobs or min(os.cpu_count() or 1, 4))
    try:
        if catalog is None and import_tensorflow is not None:
            import_tensorflow()
        catalog = catalog or Catalog()
        results, warnings, installs = [], [], None
        for path, lines, uses, calls, file_warnings in scans:
            warnings.extend(file_warnings)
            if uses is None:
                continue
            for _, flags in calls:
                installs = (installs or set()) | flags
            imported_paths = _imported_paths(uses)
            results.append(FileResult(path, lines, [_row(use, catalog, imported_paths) for use in uses]))
    finally:
        if pool is not None:
            pool.terminate()
    return Diagnosis(results, warnings, installs, catalog, time.perf_counter() - start)


__all__ = ["diagnose", "Diagnosis", "DoctorError", "Row", "FileResult", "python_files", "Catalog",
           "NATIVE", "INSTALL", "MOVED", "MISSING", "PRIVATE", "UNRESOLVED", "STATUSES"]
