"""What a Python file (or a notebook's code cells) imports and calls, read from its syntax tree.

Reading the tree, not the text, is what keeps comments, docstrings and strings from counting
as use: ``# import mlflow`` and ``x.shape`` never look like a tool here.
"""
from __future__ import annotations

import ast
import json
import re
import threading
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator, Sequence

#: ast.parse of one huge line can take gigabytes: larger sources are not parsed.
MAX_PARSE_BYTES = 1_000_000
MAX_LINE_CHARS = 20_000

_IMPORT_LINE = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w., ]+))", re.M)


@dataclass(frozen=True)
class Call:
    """One call (or decorator) with its callee resolved through the file's imports.

    ``name`` is dotted and rooted at the imported module (``import mlflow as mf`` then
    ``mf.log_metric()`` gives ``mlflow.log_metric``; ``client = MlflowClient()`` then
    ``client.get_run()`` gives ``mlflow.tracking.MlflowClient.get_run``). A call on an object
    whose origin is unknown keeps only its attribute, with a leading dot: ``.fit``.
    """

    name: str
    line: int
    args: tuple[object, ...] = ()
    """Literal positional arguments (str/int/float/bool, or a tuple of them for a list or tuple
    of such literals); other expressions are None."""
    kwargs: tuple[tuple[str, object], ...] = ()
    """Keyword arguments with their literal value (as for ``args``), or None when not a literal;
    a ``**options`` splat is the keyword ``**``."""

    def kwarg(self, key: str, default: object = None) -> object:
        """The literal value of keyword ``key`` (None when it is not a literal)."""
        for k, v in self.kwargs:
            if k == key:
                return v
        return default

    def has_kwarg(self, key: str) -> bool:
        """True when the call passes keyword ``key``."""
        return any(k == key for k, _ in self.kwargs)


@dataclass(frozen=True)
class PyFacts:
    """Imports and calls of one source file."""

    imports: dict[str, int] = field(default_factory=dict)
    """Imported module (dotted, as written) -> first line; ``from a.b import c`` gives both
    ``a.b`` and ``a.b.c`` (``c`` may be a submodule)."""
    calls: tuple[Call, ...] = ()
    defs: frozenset[str] = frozenset()
    """Names of functions and classes defined in the file."""
    error: str | None = None
    """Why the file could not be parsed fully (imports then come from a line scan)."""
    cells: tuple[int, ...] = ()
    """For notebooks: first line of each code cell, so a line maps back to its cell."""

    @cached_property
    def calls_by_name(self) -> dict[str, list[int]]:
        """Positions of the calls under their name and under their ``.method`` (made once: every
        catalogue tool the file imports looks its patterns up here)."""
        index: dict[str, list[int]] = {}
        for i, call in enumerate(self.calls):
            index.setdefault(call.name, []).append(i)
            if not call.name.startswith("."):
                index.setdefault("." + call.name.rsplit(".", 1)[-1], []).append(i)
        return index

    def imports_any(self, modules: tuple[str, ...] | list[str]) -> str | None:
        """The first import that is one of ``modules`` or inside one of them."""
        under = self._first_import_under
        found = [under[mod] for mod in modules if mod in under]
        return min(found)[1] if found else None

    @cached_property
    def _first_import_under(self) -> dict[str, tuple[int, str]]:
        """Every module an import is or lies in (``a.b.c``: ``a``, ``a.b``, ``a.b.c``) -> the first
        such import, with its position: a question about many modules is a few lookups."""
        out: dict[str, tuple[int, str]] = {}
        for index, name in enumerate(self.imports):
            for prefix in dotted_prefixes(name):
                out.setdefault(prefix, (index, name))
        return out

    def import_candidates(self) -> frozenset[str]:
        """Modules the file may import: here exactly its imports (see ``LazyFacts``)."""
        return frozenset(self.imports)

    def may_name(self, word: str) -> bool:
        """False only when the source surely does not contain ``word`` (see ``LazyFacts``);
        parsed facts keep no text, so here the calls must answer."""
        return True

    def cell_of(self, line: int) -> int | None:
        """1-based notebook cell holding ``line`` (None for plain sources)."""
        if not self.cells:
            return None
        cell = 0
        for i, start in enumerate(self.cells):
            if start <= line:
                cell = i + 1
        return cell or None


#: every ``import x`` / ``from x import y`` anywhere in a text (after ``;`` too, in strings too):
#: a superset of what the syntax tree imports, read without parsing.
_ANY_IMPORT = re.compile(r"\bfrom[ \t]+([\w.]+)[ \t]+import[ \t]*(\([^)]*\)|[^\n;#]*)|\bimport[ \t]+([^\n;#]+)")
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def dotted_prefixes(name: str) -> Iterator[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: the modules a dotted name is or lies in."""
    start = 0
    while True:
        dot = name.find(".", start)
        if dot < 0:
            yield name
            return
        yield name[:dot]
        start = dot + 1


def import_candidates(source: str) -> frozenset[str]:
    """Modules a source may import, by a text scan (a superset of the syntax tree's imports:
    ``from a import b`` gives ``a`` and ``a.b``)."""
    out: set[str] = set()
    for m in _ANY_IMPORT.finditer(source):
        if m.group(1):
            out.add(m.group(1))
            out.update(f"{m.group(1)}.{n}" for n in _NAME.findall(m.group(2).replace(" as ", " , ")))
        else:
            out.update(n for n in _NAME.findall(m.group(3).replace(" as ", " , ")))
    return frozenset(out)


class LazyFacts:
    """The facts of a source, parsed only when something asks for them.

    ``import_candidates`` (a text scan) lets a caller learn that a file cannot import a tool
    without parsing it; everything else parses the file once, on first use.
    """

    __slots__ = ("_source", "_parse", "_facts", "_candidates", "_prefixes")

    def __init__(self, source: str, parse) -> None:  # parse: source -> PyFacts
        self._source = source
        self._parse = parse
        self._facts: PyFacts | None = None
        self._candidates: frozenset[str] | None = None
        self._prefixes: frozenset[str] | None = None

    def facts(self) -> PyFacts:
        """The parsed facts (parsed now if they were not yet)."""
        if self._facts is None:
            self._facts = self._parse(self._source)
            self._source = ""  # the text stays with the repository view, not here
        return self._facts

    @property
    def parsed(self) -> bool:
        """True once the source was parsed."""
        return self._facts is not None

    def import_candidates(self) -> frozenset[str]:
        if self._facts is not None:
            return self._facts.import_candidates()
        if self._candidates is None:
            self._candidates = import_candidates(self._source)
        return self._candidates

    def may_name(self, word: str) -> bool:
        """False when the unparsed text does not contain ``word``: a question about calls
        of that name is answered without parsing."""
        return self._facts is not None or word in self._source

    def imports_any(self, modules: tuple[str, ...] | list[str]) -> str | None:
        if self._facts is None:
            if self._prefixes is None:
                self._prefixes = frozenset(p for c in self.import_candidates() for p in dotted_prefixes(c))
            if not any(m in self._prefixes for m in modules):
                return None  # the tree cannot import what the text does not name
        return self.facts().imports_any(modules)

    def cell_of(self, line: int) -> int | None:
        return self.facts().cell_of(line)

    @property
    def imports(self) -> dict[str, int]:
        return self.facts().imports

    @property
    def calls(self) -> tuple[Call, ...]:
        return self.facts().calls

    @property
    def calls_by_name(self) -> dict[str, list[int]]:
        return self.facts().calls_by_name

    @property
    def defs(self) -> frozenset[str]:
        return self.facts().defs

    @property
    def error(self) -> str | None:
        return self.facts().error

    @property
    def cells(self) -> tuple[int, ...]:
        return self.facts().cells


def _scalar(node: ast.AST) -> object:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return node.value
    return None


def children(node: ast.AST) -> list[ast.AST]:
    """The direct child nodes of ``node`` (``ast.iter_child_nodes``, as a list and faster).

    Load/Store contexts and operators are left out: they are shared leaves no detector looks
    for (it reads ``node.ctx`` or ``node.op``), and a quarter of a module's nodes."""
    fields = _CHILD_FIELDS.get(node.__class__)
    if fields is None:
        fields = _CHILD_FIELDS[node.__class__] = tuple(f for f in node._fields if f not in _SCALAR_FIELDS)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if value.__class__ is list:
            out.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


#: fields that never hold a node worth walking: names, numbers, and the shared leaves
_SCALAR_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "module", "level", "type_comment",
                            "kind", "conversion", "is_async"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def walk(node: ast.AST) -> Sequence[ast.AST]:
    """Every node under ``node``, itself included, breadth first (``ast.walk``'s order), as a
    sequence and faster. A whole module's nodes are kept for the last few hundred modules: the
    facts and every detector walking the module share one walk."""
    if isinstance(node, ast.Module):
        below = _MODULE_NODES.get(node)
        if below is None:
            below = _MODULE_NODES[node] = tuple(_walk(node))[1:]
        return (node, *below)
    return _walk(node)


#: a module's nodes below its root, for as long as the module lives (weakly keyed: a scan's trees
#: are freed with the scan, not kept by the cache; the root is left out of the value so the entry
#: does not keep its own key alive).
_MODULE_NODES: "weakref.WeakKeyDictionary[ast.Module, tuple[ast.AST, ...]]" = weakref.WeakKeyDictionary()


def _walk(node: ast.AST) -> list[ast.AST]:
    out = [node]
    i = 0
    while i < len(out):
        out.extend(children(out[i]))
        i += 1
    return out


def _literal(node: ast.AST) -> object:
    """A scalar literal, or a tuple for a list/tuple of scalar literals (``report_to=["wandb"]``)
    or for the literals a conditional chooses between (``"wandb" if use_wandb else "none"``)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        items = tuple(_scalar(e) for e in node.elts)
        return items if all(i is not None for i in items) else None
    if isinstance(node, ast.IfExp):
        choices = [b for b in (node.body, node.orelse) if not (isinstance(b, ast.Constant) and b.value is None)]
        values = tuple(_scalar(b) for b in choices)
        return values if values and all(v is not None for v in values) else None
    return _scalar(node)


def _dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` as ['a', 'b', 'c']; calls in the chain collapse (``f().g`` -> ['f', 'g'])."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            return parts[::-1]
        else:
            return parts[::-1] if parts else None


class _Resolver:
    """Maps local names to the dotted names they were imported or assigned from."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def resolve(self, node: ast.AST) -> str | None:
        parts = _dotted(node)
        if not parts:
            return None
        if parts[0] == "self" and len(parts) > 2 and f"self.{parts[1]}" in self.names:
            # ``self._wandb = wandb`` then ``self._wandb.log_artifact(...)``
            return ".".join([self.names[f"self.{parts[1]}"], *parts[2:]])
        root = self.names.get(parts[0])
        if root is not None:
            return ".".join([root, *parts[1:]])
        return "." + parts[-1] if len(parts) > 1 else parts[0]


def facts_from_tree(tree: ast.AST, cells: tuple[int, ...] = ()) -> PyFacts:
    """Extract imports, resolved calls and definitions from a parsed module."""
    resolver = _Resolver()
    imports: dict[str, int] = {}
    # one pass sorts out the few kinds of node read below (by exact class: no subclasses exist)
    binds: list[ast.AST] = []
    later: list[ast.AST] = []
    for node in walk(tree):
        kind = node.__class__
        if kind is ast.Call or kind in _DEFS:
            later.append(node)
        elif kind is ast.Assign or kind is ast.withitem:
            binds.append(node)
        elif kind is ast.Import:
            for alias in node.names:
                imports.setdefault(alias.name, node.lineno)
                if alias.asname:
                    resolver.names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    resolver.names.setdefault(top, top)
        elif kind is ast.ImportFrom and node.module and not node.level:
            imports.setdefault(node.module, node.lineno)
            for alias in node.names:
                if alias.name != "*":
                    # ``from ray import serve`` imports ``ray.serve`` when serve is a submodule:
                    # recorded as such, a tool whose import is a submodule is found either way
                    imports.setdefault(f"{node.module}.{alias.name}", node.lineno)
                    resolver.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    # Imports and simple assignments first: names are resolved flow-insensitively, which is
    # what a reader does with a script and keeps cross-cell notebook use working. The first
    # binding in the source wins (the walk is not in source order).
    binds.sort(key=lambda n: (getattr(n, "lineno", 0) or getattr(n.context_expr, "lineno", 0), getattr(n, "col_offset", 0)))
    for node in binds:
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        else:
            value, targets = node.context_expr, [node.optional_vars] if node.optional_vars else []
        for target in targets:
            # an imported module kept on the instance (``self._wandb = wandb``) stands for it
            if isinstance(value, ast.Name) and value.id in resolver.names and _on_self(target):
                resolver.names.setdefault(f"self.{target.attr}", resolver.names[value.id])
        if not isinstance(value, ast.Call):
            continue
        origin = resolver.resolve(value.func)
        if origin and not origin.startswith("."):
            for target in targets:
                if isinstance(target, ast.Name) and target.id not in resolver.names:
                    resolver.names[target.id] = origin
                elif _on_self(target):
                    # a client kept on the instance (``self.workspace = WorkspaceClient()``)
                    resolver.names.setdefault(f"self.{target.attr}", origin)
    calls: list[Call] = []
    defs: set[str] = set()
    for node in later:
        if node.__class__ is ast.Call:
            name = resolver.resolve(node.func)
            if name:
                calls.append(Call(
                    name=name,
                    line=node.lineno,
                    args=tuple(_literal(a) for a in node.args),
                    # a ``**options`` splat is kept as the keyword ``**``: it may hold any keyword
                    kwargs=tuple((k.arg or "**", _literal(k.value) if k.arg else None) for k in node.keywords),
                ))
        else:
            defs.add(node.name)
            if node.__class__ is ast.ClassDef:
                # a subclass of an imported class is built through it (``class Logger(SummaryWriter)``
                # then ``self.add_scalar(...)``): building one calls the base's constructor
                for base in node.bases:
                    name = resolver.resolve(base)
                    if name and "." in name and not name.startswith("."):
                        calls.append(Call(name=name, line=node.lineno))
            for dec in node.decorator_list:
                if not isinstance(dec, ast.Call):  # a called decorator is seen as a Call above
                    name = resolver.resolve(dec)
                    if name:
                        calls.append(Call(name=name, line=dec.lineno))
    calls.sort(key=lambda c: (c.line, c.name))
    return PyFacts(imports=imports, calls=tuple(calls), defs=frozenset(defs), cells=cells)


_DEFS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})


def _on_self(target: ast.AST) -> bool:
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"


_CALL_TEXT = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*\(")
_STRING = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")


def _fallback(source: str, error: str) -> PyFacts:
    """Imports and calls read line by line, for a file the parser rejects.

    Real repositories use syntax newer than the interpreter running the scan (3.12 f-strings,
    ``type`` statements) or Python 2; a line scan with comments and string contents dropped
    still sees ``import mlflow as mf`` and ``mf.log_metric(...)``. Arguments are not read.
    """
    lines = ["" if line.lstrip().startswith("#") else line for line in source.splitlines()]
    code = "\n".join(lines)
    imports: dict[str, int] = {}
    resolver = _Resolver()
    for m in _IMPORT_LINE.finditer(code):
        line = code.count("\n", 0, m.start()) + 1
        if m.group(1):  # from X import a as b, c
            imports.setdefault(m.group(1), line)
            tail = code[m.end():].split("\n", 1)[0]
            for part in tail.strip("() \\").split(","):
                bits = part.split(" as ")
                if bits[0].strip().isidentifier():
                    imports.setdefault(f"{m.group(1)}.{bits[0].strip()}", line)
                    resolver.names[bits[-1].strip()] = f"{m.group(1)}.{bits[0].strip()}"
            continue
        for part in m.group(2).split(","):
            bits = part.split(" as ")
            mod = bits[0].strip()
            if mod:
                imports.setdefault(mod, line)
                alias = bits[1].strip() if len(bits) == 2 else mod.split(".")[0]
                resolver.names.setdefault(alias, alias if len(bits) == 1 else mod)
    calls = []
    for number, line in enumerate(lines, 1):
        for m in _CALL_TEXT.finditer(_STRING.sub("''", line)):
            parts = m.group(1).split(".")
            root = resolver.names.get(parts[0])
            name = ".".join([root, *parts[1:]]) if root else ("." + parts[-1] if len(parts) > 1 else parts[0])
            calls.append(Call(name=name, line=number))
    return PyFacts(imports=imports, calls=tuple(calls), error=error + " (read line by line)")


def _too_big(source: str) -> str | None:
    if len(source) > MAX_PARSE_BYTES:
        return f"not parsed: larger than {MAX_PARSE_BYTES} characters"
    if any(len(line) > MAX_LINE_CHARS for line in source.splitlines()):
        return f"not parsed: a line longer than {MAX_LINE_CHARS} characters"
    return None


#: CPython 3.11 can fail ``ast.parse`` run from several threads at once ("AST constructor
#: recursion depth mismatch", gh-106905): org scans parse one source at a time. Parsing holds
#: the GIL anyway, so nothing is lost.
_PARSE_LOCK = threading.Lock()


def _ast_parse(source: str) -> ast.Module:
    with _PARSE_LOCK:
        try:
            return ast.parse(source)
        except SyntaxError:
            # IPython magics and shell escapes left in a notebook kept as a script (``%cd path``,
            # ``!pip install x``) are no Python; blanked (lines keep their numbers), and syntax
            # newer than the interpreter rewritten
            older = _older_syntax(_MAGIC_LINE.sub("", source))
            if older == source:
                raise
            return ast.parse(older)


#: a line that is an IPython magic or shell escape (never a Python statement at a line's start)
_MAGIC_LINE = re.compile(r"^[ \t]*[%!][^=\n][^\n]*$", re.M)


#: syntax of Python releases newer than the one the scan runs on, rewritten line for line into
#: what it means in older syntax, so a modern project's modules are read rather than skipped:
#: ``except A, B:`` (3.14) -> ``except (A, B):``; ``type X = ...`` and ``def f[T](...)``,
#: ``class C[T]:`` (3.12) without their type parameters.
_NEWER_SYNTAX = (
    (re.compile(r"^(\s*except\*?\s+)(?!\()([^:()\n]+,[^:()\n]+?)\s*:", re.M), r"\1(\2):"),
    (re.compile(r"^(\s*)type\s+(\w+)\s*(?:\[[^\]\n]*\])?\s*=", re.M), r"\1\2 ="),
    (re.compile(r"^(\s*(?:async\s+)?def\s+\w+)\[[^\]\n]*(?:\[[^\]\n]*\][^\]\n]*)*\](\s*\()", re.M), r"\1\2"),
    (re.compile(r"^(\s*class\s+\w+)\[[^\]\n]*(?:\[[^\]\n]*\][^\]\n]*)*\]", re.M), r"\1"),
)


def _older_syntax(source: str) -> str:
    for pattern, replacement in _NEWER_SYNTAX:
        source = pattern.sub(replacement, source)
    return source


def parse_tree(source: str) -> ast.Module | None:
    """The syntax tree of a source within the parse caps, or None (too big, or does not parse).

    For detectors that need more than imports and calls; the caps are the same as the facts'.
    """
    if _too_big(source):
        return None
    try:
        return _ast_parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def parse_python(source: str) -> PyFacts:
    """Facts of a Python source; a file that does not parse keeps its imports and the error."""
    return parse_source(source)[1]


def parse_source(source: str) -> tuple[ast.Module | None, PyFacts]:
    """The syntax tree (None when it does not parse within the caps) and the facts of a source."""
    reason = _too_big(source)
    if reason:
        return None, PyFacts(error=reason)
    try:
        tree = _ast_parse(source)
    except (SyntaxError, ValueError) as exc:
        return None, _fallback(source, f"syntax error: {exc.__class__.__name__}: {getattr(exc, 'msg', exc)}")
    except (RecursionError, MemoryError) as exc:
        return None, PyFacts(error=f"not parsed: {exc.__class__.__name__}")
    try:
        return tree, facts_from_tree(tree)
    except RecursionError:
        return None, _fallback(source, "not parsed: nesting too deep")


#: first lines of a script that is a notebook: a Databricks source notebook, a jupytext-paired
#: script's header. (nbconvert's ``# In[1]:`` markers alone are not: once the notebook is gone,
#: the exported script is what runs.)
_NOTEBOOK_EXPORT = re.compile(r"^# Databricks notebook source\s*$|^# jupyter:\s*$", re.M)
NOTEBOOK_HEAD_CHARS = 4000


def notebook_export(source: str) -> bool:
    """True when a Python source is a notebook in script form (cells exported or kept as text)."""
    return bool(_NOTEBOOK_EXPORT.search(source[:NOTEBOOK_HEAD_CHARS]))


_MAGIC = re.compile(r"^\s*[%!?]|\?\s*$")


def notebook_code_cells(text: str) -> list[str]:
    """Code cells of an nbformat 4 (or 3) notebook; raises ValueError when it is not one."""
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise ValueError("not a notebook document")
    cells = doc.get("cells")
    if cells is None:  # nbformat 3 keeps cells in worksheets
        cells = [c for ws in doc.get("worksheets", []) for c in ws.get("cells", [])]
    out = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", cell.get("input", ""))
        out.append("".join(src) if isinstance(src, list) else str(src))
    return out


def parse_notebook(text: str) -> PyFacts:
    """Facts of a notebook's code cells; shell and magic lines are blanked, bad cells skipped."""
    try:
        sources = notebook_code_cells(text)
    except (ValueError, TypeError, AttributeError, RecursionError, MemoryError) as exc:
        return PyFacts(error=f"not a readable notebook: {exc.__class__.__name__}")
    body: list[ast.stmt] = []
    starts: list[int] = []
    offset = 0
    bad = 0
    # the code is capped, not the file: outputs (plots, tables) are never read
    if sum(len(src) for src in sources) > MAX_PARSE_BYTES:
        return PyFacts(error=f"not parsed: code cells larger than {MAX_PARSE_BYTES} characters")
    for src in sources:
        if src.lstrip().startswith("%%"):  # a cell magic: not Python
            continue
        lines = ["" if _MAGIC.search(line) else line for line in src.splitlines()]
        code = "\n".join(lines)
        if _too_big(code):
            bad += 1
            continue
        try:
            tree = _ast_parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            bad += 1
            continue
        ast.increment_lineno(tree, offset)
        starts.append(offset + 1)
        body.extend(tree.body)
        offset += len(lines) + 1
    try:
        facts = facts_from_tree(ast.Module(body=body, type_ignores=[]), tuple(starts))
    except (RecursionError, MemoryError) as exc:
        return PyFacts(error=f"not parsed: {exc.__class__.__name__}")
    if bad:
        return PyFacts(imports=facts.imports, calls=facts.calls, defs=facts.defs, cells=facts.cells,
                       error=f"{bad} code cell(s) did not parse")
    return facts
