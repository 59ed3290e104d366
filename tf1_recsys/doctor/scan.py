"""Reading Python files statically: which TensorFlow names each line uses, through its imports and aliases.

``scan_source(source)`` parses with ``ast`` (the code is never imported or run) and returns
``Use`` rows: the dotted path the name refers to, spelled from ``tensorflow``
(``import tensorflow.compat.v1 as tf`` makes ``tf.layers.dense`` the path
``tensorflow.compat.v1.layers.dense``), and for import statements how many leading
components must be importable modules. Names are followed through ``import ... as``,
``from ... import``, assignments (``cell = tf.nn.rnn_cell``) and attribute chains; a
rebinding (``tf = 3``, a parameter called ``tf``, a loop variable) hides TensorFlow from
then on in its scope. ``from tensorflow... import *`` is reported as unresolved. It also
collects the ``tf1_recsys.compat.install(...)`` calls and their flags.
"""
import ast
from collections import namedtuple

Use = namedtuple("Use", ["line", "col", "parts", "import_depth", "star"])
Use.__doc__ = """One TensorFlow name in a file: ``parts`` from ``tensorflow``; ``import_depth`` > 0 for import
statements (the components that must be modules); ``star``: a ``from ... import *``."""

Scan = namedtuple("Scan", ["uses", "installs"])
Scan.__doc__ = """``uses``: list of Use; ``installs``: list of (line, flags) of install() calls, flags a set
of keyword names passed True (``{"*"}`` when passed through ``**kwargs``)."""

_ROOTS = ("tensorflow", "tf1_recsys")
_INSTALL = {("tf1_recsys", "compat", "install"), ("tf1_recsys", "compat", "install", "install")}


def _chain(node):
    """(base Name node, [attr, ...]) of ``a.b.c``, or (None, None) when it does not start at a name."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return node, attrs[::-1]
    return None, None


class _Scanner(ast.NodeVisitor):
    """Visits statements in order; ``self.scope`` maps a local name to the path it holds (or None: hidden)."""

    def __init__(self):
        self.scope = {}
        self.uses = []
        self.installs = []
        self._deferred = []  # function definitions whose bodies run when their enclosing body ends
        self._keep = 0  # > 0 inside `except` / `else` branches: their imports do not replace the first ones

    # -- bindings --------------------------------------------------------------------------------------------
    def _bind(self, name, parts):
        """Binds ``name`` to ``parts`` (None hides it), except that a fallback branch keeps a path already bound."""
        if self._keep and self.scope.get(name) is not None:
            return
        self.scope[name] = parts

    def _hide(self, target):
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.scope[node.id] = None

    def _path_of(self, node):
        """The tracked path an expression refers to, or None."""
        base, attrs = _chain(node)
        if base is None:
            return None
        parts = self.scope.get(base.id)
        return None if parts is None else parts + tuple(attrs)

    def _use(self, node, parts, import_depth=0, star=False):
        if parts[0] == "tensorflow" and (len(parts) > 1 or star):
            self.uses.append(Use(node.lineno, node.col_offset + 1, parts, import_depth, star))

    # -- imports ---------------------------------------------------------------------------------------------
    def visit_Import(self, node):
        for alias in node.names:
            parts = tuple(alias.name.split("."))
            if parts[0] not in _ROOTS:
                self._bind(alias.asname or parts[0], None)
                continue
            self._use(node, parts, import_depth=len(parts))
            if alias.asname:
                self._bind(alias.asname, parts)
            else:
                self._bind(parts[0], parts[:1])

    def visit_ImportFrom(self, node):
        module = tuple((node.module or "").split("."))
        if node.level or module[0] not in _ROOTS:
            for alias in node.names:
                if alias.name != "*":
                    self._bind(alias.asname or alias.name, None)
            return
        for alias in node.names:
            if alias.name == "*":
                self._use(node, module, import_depth=len(module), star=True)
                continue
            parts = module + (alias.name,)
            self._use(node, parts, import_depth=len(module))
            self._bind(alias.asname or alias.name, parts)

    # -- assignments and other bindings ----------------------------------------------------------------------
    def visit_Assign(self, node):
        self.visit(node.value)
        parts = self._path_of(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name) and parts is not None:
                self.scope[target.id] = parts
            else:
                self._visit_target(target)

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)
        self._visit_target(node.target)

    def visit_AugAssign(self, node):
        self.visit(node.value)
        self._visit_target(node.target)

    def visit_NamedExpr(self, node):
        self.visit(node.value)
        self._hide(node.target)

    def _visit_target(self, target):
        """Names stored are hidden; attribute / subscript targets are uses of their base (``tf.x.y = ...``)."""
        if isinstance(target, ast.Name):
            self.scope[target.id] = None
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._visit_target(elt)
        elif isinstance(target, ast.Starred):
            self._visit_target(target.value)
        else:
            self.visit(target)

    def visit_For(self, node):
        self.visit(node.iter)
        self._visit_target(node.target)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node):
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._visit_target(item.optional_vars)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_Try(self, node):
        for stmt in node.body:
            self.visit(stmt)
        self._keep += 1
        try:
            for handler in node.handlers:
                if handler.type is not None:
                    self.visit(handler.type)
                if handler.name:
                    self.scope[handler.name] = None
                for stmt in handler.body:
                    self.visit(stmt)
            for stmt in node.orelse:
                self.visit(stmt)
        finally:
            self._keep -= 1
        for stmt in node.finalbody:
            self.visit(stmt)

    visit_TryStar = visit_Try

    def visit_If(self, node):
        self.visit(node.test)
        for stmt in node.body:
            self.visit(stmt)
        self._keep += 1
        try:
            for stmt in node.orelse:
                self.visit(stmt)
        finally:
            self._keep -= 1

    # -- scopes ----------------------------------------------------------------------------------------------
    def visit_FunctionDef(self, node):
        for deco in node.decorator_list:
            self.visit(deco)
        args = node.args
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(default)
        for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)
        self.scope[node.name] = None
        self._deferred.append(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        inner = dict(self.scope)
        args = node.args
        for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
            if arg is not None:
                inner[arg.arg] = None
        self._run_scope(inner, [node.body])

    def visit_ClassDef(self, node):
        for expr in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(expr)
        self._run_scope(dict(self.scope), node.body)
        self.scope[node.name] = None

    def _comprehension(self, node, results):
        inner = dict(self.scope)
        saved, self.scope = self.scope, inner
        try:
            for gen in node.generators:
                self.visit(gen.iter)
                self._visit_target(gen.target)
                for cond in gen.ifs:
                    self.visit(cond)
            for expr in results:
                self.visit(expr)
        finally:
            self.scope = saved

    def visit_ListComp(self, node):
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node):
        self._comprehension(node, [node.key, node.value])

    def _run_scope(self, scope, body):
        saved, saved_deferred = self.scope, self._deferred
        self.scope, self._deferred = scope, []
        try:
            for stmt in body:
                self.visit(stmt)
            self._run_deferred()
        finally:
            self.scope, self._deferred = saved, saved_deferred

    def _run_deferred(self):
        """Function bodies run after their enclosing body: they see its final bindings (Python looks names up late)."""
        deferred, self._deferred = self._deferred, []
        for node in deferred:
            inner = dict(self.scope)
            args = node.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]:
                if arg is not None:
                    inner[arg.arg] = None
            self._run_scope(inner, node.body)

    def run_module(self, tree):
        for stmt in tree.body:
            self.visit(stmt)
        self._run_deferred()

    # -- uses ------------------------------------------------------------------------------------------------
    def visit_Attribute(self, node):
        parts = self._path_of(node)
        if parts is None:
            self.generic_visit(node)
        elif parts[0] == "tensorflow":
            self._use(node, parts)

    def visit_Call(self, node):
        parts = self._path_of(node.func)
        if parts in _INSTALL:
            flags = set()
            for kw in node.keywords:
                if kw.arg is None:
                    flags.add("*")
                elif isinstance(kw.value, ast.Constant) and kw.value.value:
                    flags.add(kw.arg)
            if node.args:
                flags.add("*")  # positional flags: install(True, True)
            self.installs.append((node.lineno, flags))
        self.generic_visit(node)


def scan_tree(tree):
    """``Scan`` of a parsed module."""
    scanner = _Scanner()
    scanner.run_module(tree)
    scanner.uses.sort(key=lambda u: (u.line, u.col))
    return Scan(scanner.uses, scanner.installs)


def scan_source(source, filename="<source>"):
    """``Scan`` of Python source (str or bytes; bytes honour a PEP 263 coding line). Raises SyntaxError,
    ValueError (NUL bytes) or UnicodeDecodeError / LookupError for text it cannot read."""
    return scan_tree(ast.parse(source, filename=filename))


__all__ = ["Use", "Scan", "scan_source", "scan_tree"]
