"""What project functions do, read from their syntax trees: the functions a module defines, what
each one calls or hands on as a callback, and the functions it reaches through the module's own
helpers and the project modules it imports.

Recognisers of in-house practices (a scheduler, a validation gate, a promotion gate) follow a call
this way to learn what is really run, instead of trusting the name of a class or a variable.
Modules are parsed lazily, once per scan, and shared by every recogniser.
"""
from __future__ import annotations

import ast
import re
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Iterator

from detectors.tools import is_template_path
from scanner.detector import ScanContext
from scanner.parsing.python import children, walk
from scanner.scope import is_example_path, is_test_path

#: folders of project templates (their code is rendered into other projects, not run here).
TEMPLATE_DIRS = frozenset({"templates", "template"})
#: how many parsed modules a scan keeps summarised at once.
MAX_MODULES = 256
#: how many functions a walk through helpers visits at most (a bound, not a tuning knob).
MAX_REACH = 200

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

#: words of identifiers that say code watches a model or its data in production.
MONITORING_WORDS = frozenset({
    "drift", "drifts", "monitor", "monitoring", "monitors", "quality", "psi", "skew", "anomaly", "anomalies",
    "evaluate", "evaluation", "eval", "degradation", "breach", "breaches", "feedback", "evidently",
    "nannyml", "whylogs", "performance",
    # a service's health probed on a schedule (``backend_health_probe``)
    "probe", "probes", "healthcheck",
})
#: words of identifiers that say code prepares data or trains a model.
PIPELINE_WORDS = frozenset({
    "ingest", "ingestion", "etl", "elt", "preprocess", "preprocessing", "featurize", "featurization",
    "train", "training", "retrain", "retraining", "finetune", "backfill", "materialize", "pipeline",
    "pipelines", "scrape",
    # a SageMaker project's training pipeline (``sagemaker-<project>-modelbuild``)
    "modelbuild",
})
#: a verb and a noun that together say data is being fetched or refreshed (``refresh_features``).
_DATA_VERBS = frozenset({"load", "fetch", "download", "update", "refresh", "sync", "pull", "collect",
                         "prepare", "process", "clean", "build", "import", "export"})
_DATA_NOUNS = frozenset({"data", "dataset", "datasets", "features", "feature", "table", "tables", "records"})


def words(name: str) -> frozenset[str]:
    """Lower-cased words of an identifier (``runDriftCheck``/``run_drift_check`` -> run, drift, check)."""
    return frozenset(w.lower() for w in _WORD.findall(name))


def monitoring_names(names: Iterable[str]) -> list[str]:
    """The names among ``names`` that say they monitor a model or its data."""
    return sorted({n for n in names if words(n) & MONITORING_WORDS})


def pipeline_names(names: Iterable[str]) -> list[str]:
    """The names among ``names`` that say they prepare data or train a model."""
    out = set()
    for name in names:
        ws = words(name)
        if ws & PIPELINE_WORDS or (ws & _DATA_VERBS and ws & _DATA_NOUNS):
            out.add(name)
    return sorted(out)


def is_project_code(path: str) -> bool:
    """A Python module of the project itself: no tests, fixtures, templates, examples or docs."""
    return (path.endswith(".py") and not is_test_path(path) and not is_example_path(path)
            and not is_template_path(path) and not TEMPLATE_DIRS.intersection(path.lower().split("/")[:-1]))


def callee(node: ast.Call) -> str | None:
    """Last name of what a call calls (``a.b.f()`` -> ``f``; ``f()()`` -> ``f``)."""
    func = node.func
    while isinstance(func, ast.Call):
        func = func.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


#: decorators that make a function a web route (``@app.post("/predict")``, ``@bp.route(...)``)
ROUTE_DECORATORS = frozenset({"get", "post", "put", "patch", "delete", "route", "websocket", "api_route"})


def is_route(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A web framework's route handler: it answers requests."""
    return any(isinstance(d, ast.Call) and callee(d) in ROUTE_DECORATORS for d in fn.decorator_list)


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a name or attribute chain, else ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def source(node: ast.AST, limit: int = 80) -> str:
    """The code of an expression, cut to ``limit`` characters, for evidence summaries; a
    hostile expression too deep to print (``1+1+...``) is shown as '...'."""
    try:
        return ast.unparse(node)[:limit]
    except (RecursionError, ValueError):
        return "..."


def expression_names(node: ast.AST) -> list[str]:
    """Identifiers, attribute names and strings inside an expression (``LambdaFunction(retrain_fn)``
    -> LambdaFunction, retrain_fn; ``merge(labels, on="id")`` -> merge, labels, id)."""
    out = []
    for sub in walk(node):
        if isinstance(sub, ast.Name):
            out.append(sub.id)
        elif isinstance(sub, ast.Attribute):
            out.append(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            out.append(sub.value)
    return out


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def own_nodes(fn: ast.AST) -> tuple[ast.AST, ...]:
    """Nodes of a function's body, without the bodies of functions or classes nested in it.

    Recognisers ask for the same scopes again and again (every gate, schedule and check looks at
    a function's own nodes): the lists of the last few thousand scopes are kept.
    """
    cached = _OWN_NODES.get(fn)
    if cached is None:
        cached = _OWN_NODES[fn] = _own_nodes(fn)
    return cached


#: the own nodes of every scope asked for, for as long as its tree lives (weakly keyed: freed with
#: the scan's trees; the scope node itself is not among its own nodes, so it is not kept alive).
_OWN_NODES: "weakref.WeakKeyDictionary[ast.AST, tuple[ast.AST, ...]]" = weakref.WeakKeyDictionary()


def _own_nodes(fn: ast.AST) -> tuple[ast.AST, ...]:
    out: list[ast.AST] = []
    stack = children(fn)
    while stack:
        node = stack.pop()
        out.append(node)
        if not isinstance(node, _SCOPES):
            stack.extend(children(node))
    return tuple(out)


class Function:
    """One function or method, with the names its own body calls and hands on (read when asked)."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, cls: str | None) -> None:
        self.name = node.name
        self.cls = cls
        self.node = node

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def qualname(self) -> str:
        return f"{self.cls}.{self.name}" if self.cls else self.name

    @property
    def calls(self) -> frozenset[str]:
        """Last names of everything the body calls."""
        return self._names[0]

    @property
    def handed(self) -> frozenset[str]:
        """Names (bare, ``self.x`` or ``module.x``) the body passes or stores without calling them:
        callbacks, defaults of injectable steps."""
        return self._names[1]

    @cached_property
    def _names(self) -> tuple[frozenset[str], frozenset[str]]:
        calls: set[str] = set()
        skip: set[int] = set()
        nodes = list(own_nodes(self.node))
        for sub in nodes:
            if isinstance(sub, ast.Call):
                name = callee(sub)
                if name:
                    calls.add(name)
                skip.add(id(sub.func))
            elif isinstance(sub, ast.Attribute):
                skip.add(id(sub.value))  # ``quality.f``: the owner is no callable of its own
        handed = set()
        for sub in nodes:
            if id(sub) in skip or not isinstance(getattr(sub, "ctx", None), ast.Load):
                continue
            if isinstance(sub, ast.Name):
                handed.add(sub.id)
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                handed.add(sub.attr)
        return frozenset(calls), frozenset(handed - calls)


@dataclass
class Module:
    """The functions, classes and imports of one parsed module."""

    path: str
    tree: ast.Module
    functions: dict[str, list[Function]] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    imports: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Local name -> (relative level, dotted target) of every import, also those inside functions."""
    imported_attrs: frozenset[str] = frozenset()
    """Names used as attributes of an imported name (``quality.compute_quality`` -> compute_quality)."""

    def __post_init__(self) -> None:
        nodes = walk(self.tree)  # one walk, read twice: imports must be known before attributes
        methods: set[int] = set()
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                self.classes.setdefault(node.name, node)
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.functions.setdefault(item.name, []).append(Function(item, node.name))
                        methods.add(id(item))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports[alias.asname or alias.name.split(".")[0]] = (0, alias.name if alias.asname
                                                                               else alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}" if node.module else alias.name
                    self.imports[alias.asname or alias.name] = (node.level, target)
        attrs = set()
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and id(node) not in methods:
                self.functions.setdefault(node.name, []).append(Function(node, None))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.imports:
                attrs.add(node.attr)
        self.imported_attrs = frozenset(attrs)

    def all_functions(self) -> Iterator[Function]:
        """Every function and method of the module."""
        for fns in self.functions.values():
            yield from fns

    def lookup(self, name: str, cls: str | None = None) -> list[Function]:
        """Functions called ``name``: the methods of ``cls`` first, else every one of that name."""
        found = self.functions.get(name, [])
        own = [f for f in found if cls is not None and f.cls == cls]
        return own or found

    def enclosing(self, line: int) -> Function | None:
        """The innermost function whose body holds ``line``."""
        best = None
        for fn in self.all_functions():
            if fn.node.lineno <= line <= (fn.node.end_lineno or fn.node.lineno):
                if best is None or fn.node.lineno >= best.node.lineno:
                    best = fn
        return best

    def reach(self, starts: Iterable[Function]) -> list[Function]:
        """The functions ``starts`` run through this module's helpers: what they call or hand on as
        a callback, and for a method, the constructor of its class (the object had to be built)."""
        seen: dict[int, Function] = {}
        queue = list(starts)
        while queue and len(seen) < MAX_REACH:
            fn = queue.pop(0)
            if id(fn.node) in seen:
                continue
            seen[id(fn.node)] = fn
            names = set(fn.calls) | set(fn.handed)
            if fn.cls:
                names.add("__init__")
            for name in sorted(names):
                queue.extend(f for f in self.lookup(name, fn.cls) if id(f.node) not in seen
                             and (name != "__init__" or f.cls == fn.cls))
        return list(seen.values())


@dataclass(frozen=True)
class Finding:
    """What a recogniser saw, and the places (path, line) that show it, most telling first."""

    summary: str
    places: tuple[tuple[str, int | None], ...]


def module_index(paths: Iterable[str]) -> dict[str, str]:
    """Dotted module name -> path, under every suffix (``src/pkg/m.py`` is ``pkg.m`` and ``m``)."""
    index: dict[str, str] = {}
    for path in sorted(paths):
        parts = path[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for i in range(len(parts)):
            index.setdefault(".".join(parts[i:]), path)
    return index


class Project:
    """The project's Python modules, parsed on demand and kept for the whole scan."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.paths = [p for p in ctx.files() if is_project_code(p)]
        self._known = frozenset(self.paths)
        self.index = module_index(self.paths)
        self._modules: OrderedDict[str, Module | None] = OrderedDict()
        self._needles: dict[str, frozenset[str]] = {}
        self._searched: dict[tuple[str, int, str], bool] = {}

    def text(self, path: str) -> str:
        """Text of a file ('' when unreadable)."""
        return self.ctx.text(path) or ""

    def module(self, path: str) -> Module | None:
        """The parsed module at ``path`` (None when it does not parse or is over the caps).

        The last ``MAX_MODULES`` modules read are kept: a walk through helpers returns to the same
        few modules, and a large repository's trees would not fit in memory all at once.
        """
        if path in self._modules:
            self._modules.move_to_end(path)
            return self._modules[path]
        tree = self.ctx.tree(path)
        self._modules[path] = Module(path, tree) if tree is not None else None
        if len(self._modules) > MAX_MODULES:
            self._modules.popitem(last=False)
        return self._modules[path]

    def modules(self, *needles: str, pattern: re.Pattern[str] | None = None) -> Iterator[Module]:
        """Parsed project modules whose text holds one of ``needles`` (a cheap pre-check), and
        matches ``pattern`` when one is given."""
        holding = set().union(*(self._holding(n) for n in needles))
        for path in self.paths:
            if path in holding and (pattern is None or self._matches(pattern, path)):
                module = self.module(path)
                if module is not None:
                    yield module

    def _holding(self, needle: str) -> frozenset[str]:
        """Paths whose text holds ``needle``: detectors ask for the same few words again and
        again, so each is looked for once per scan."""
        if needle not in self._needles:
            self._needles[needle] = frozenset(p for p in self.paths if needle in self.text(p))
        return self._needles[needle]

    def _matches(self, pattern: re.Pattern[str], path: str) -> bool:
        key = (pattern.pattern, pattern.flags, path)
        if key not in self._searched:
            self._searched[key] = pattern.search(self.text(path)) is not None
        return self._searched[key]

    def import_target(self, module: Module, name: str) -> str | None:
        """Path of the project module a local name was imported from or as, if any."""
        if name not in module.imports:
            return None
        level, target = module.imports[name]
        if level:
            base = module.path.split("/")[:-level]
            target = ".".join(base + [target]) if target else ".".join(base)
        else:
            near = self._beside(module.path, target)
            if near:
                return near
        return self.index.get(target) or self.index.get(target.rsplit(".", 1)[0])

    def _beside(self, path: str, target: str) -> str | None:
        """The module ``target`` names in the importing file's own folder: a script run from its
        folder imports its neighbours first (``from utils import load`` in ``app/main.py`` is
        ``app/utils/``, whatever other ``utils`` the repository holds)."""
        folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        for dotted in (target, target.rsplit(".", 1)[0]):
            rel = folder + dotted.replace(".", "/")
            for candidate in (rel + ".py", rel + "/__init__.py"):
                if candidate in self._known:
                    return candidate
        return None

    def resolve(self, module: Module, name: str, owner: str | None = None) -> tuple[Module, list[Function]]:
        """Where a called name lives: ``owner.name`` with ``owner`` an imported project module, a
        function imported by that name, or else a function of ``module`` itself."""
        # ``from x import send as notify``: the call says notify, the module defines send
        imported = module.imports[name][1].rsplit(".", 1)[-1] if name in module.imports else name
        for alias, attr in ((owner, name), (name, imported)):
            if alias is None:
                continue
            path = self.import_target(module, alias)
            other = self.module(path) if path and path != module.path else None
            if other is not None and not other.functions.get(attr):
                # a package re-exporting the name from one of its modules (``from .workflow import x``)
                again = self.import_target(other, attr)
                other = self.module(again) if again and again not in (path, module.path) else other
            if other is not None and other.functions.get(attr):
                return other, other.lookup(attr)
        return module, module.lookup(name)

    def behaviour(self, module: Module, starts: list[Function]) -> list[str]:
        """Names of what ``starts`` do: the functions they reach in their module and everything those
        call or hand on. Variables and strings never count, only callables."""
        names: set[str] = set()
        for fn in module.reach(starts):
            names.add(fn.name)
            names |= fn.calls
            # a callback is a function of the module or something taken from an import
            # (``reserve_fn or quality.try_reserve_retrain``), never a plain variable
            names |= {h for h in fn.handed if module.functions.get(h) or h in module.imports
                      or h in module.imported_attrs}
        return sorted(names)


def project(ctx: ScanContext) -> Project:
    """The scan's shared :class:`Project`."""
    return ctx.memo("flow.project", lambda: Project(ctx))


#: orchestrators whose tasks are Python functions: a module their pipeline code imports runs in a task.
ORCHESTRATORS = ("airflow", "prefect", "dagster", "zenml", "kfp", "metaflow", "flytekit")


def orchestrated_modules(ctx: ScanContext) -> dict[str, tuple[str, str, int | None]]:
    """Project modules that a pipeline's tasks import (``from batch_prediction_pipeline import
    batch`` inside an Airflow ``@task``): path -> (what, pipeline file, line) of the first."""
    return {target: found[0] for target, found in pipeline_importers(ctx).items()}


def pipeline_importers(ctx: ScanContext) -> dict[str, list[tuple[str, str, int | None]]]:
    """Every pipeline module (importing an orchestrator) that imports each project module:
    path -> [(what, pipeline file, line)]."""
    def build() -> dict[str, list[tuple[str, str, int | None]]]:
        index = module_index([p for p in ctx.files() if p.endswith(".py")])
        out: dict[str, list[tuple[str, str, int | None]]] = {}
        for path, facts in ctx.python_files(notebooks=False):
            tool = facts.imports_any(ORCHESTRATORS) if not is_test_path(path) else None
            if tool is None:
                continue
            for module, line in facts.imports.items():
                target = index.get(module)
                if target and target != path:
                    out.setdefault(target, []).append((f"{tool.split('.')[0]} pipeline tasks in {path}", path, line))
        return out
    return ctx.memo("flow.pipeline_importers", build)
