"""Data tests: a test module that reads a dataset committed to the repository and asserts on its
content (columns, shape, nulls, types), collected by a test run that CI starts.

A unit test's asserts on a frame it builds itself, a test of a fixture file, or a data test that
no CI job collects do not validate the project's data.
"""
from __future__ import annotations

import ast
import re
from typing import Iterator

from detectors.ci import read_ci
from detectors.ci.classify import TEST, classify_command
from detectors.ci.commands import Command, commands
from detectors.data_checks import DATA_EXTENSIONS
from detectors.data_conditions import CONTENT_CHECKS
from detectors.flow import Finding, Module, Project, callee, dotted, own_nodes, project
from detectors.tools import is_template_path
from scanner.detector import ScanContext
from scanner.parsing.python import walk
from scanner.scope import TEST_DIRS

_LITERAL = re.compile(r"""["']([^"'\n]+(?:""" + "|".join(re.escape(e) for e in DATA_EXTENSIONS) + r"""))["']""",
                      re.I)
#: pytest options that take the next word as their value.
_VALUED = frozenset({"-k", "-m", "-c", "-p", "-o", "--rootdir", "--cov", "--ignore", "--deselect",
                     "--junitxml", "--junit-xml", "--confcutdir", "--basetemp"})


def _is_test_module(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    return path.endswith(".py") and (base.startswith("test_") or base.endswith("_test.py")) \
        and not is_template_path(path)


def data_tests(ctx: ScanContext) -> Iterator[Finding]:
    """Test modules asserting on the project's dataset that a CI test run collects: a committed
    dataset the test names, or the data a pytest fixture loads through the project's own loader
    (a dataset downloaded before the tests, ``raw = load_raw()``)."""
    # (a dataset DVC tracks is the project's too: its ``.dvc`` pointer is committed in its place)
    data = [p.removesuffix(".dvc") for p in ctx.files()]
    datasets = {p.rsplit("/", 1)[-1] for p in data if p.lower().endswith(DATA_EXTENSIONS)
                and not TEST_DIRS.intersection(p.lower().split("/")[:-1])}
    candidates = [p for p in ctx.files() if _is_test_module(p)]
    runs = _ci_test_runs(ctx) if candidates else []
    for path in candidates:
        text = ctx.text(path) or ""
        named = {m.group(1).rsplit("/", 1)[-1] for m in _LITERAL.finditer(text)} & datasets
        run = next((r for r in runs if _collects(r[2], path)), None)
        if not (named or "fixture" in text and _names_a_loader(ctx, text)) or "assert" not in text or run is None:
            continue
        tree = ctx.tree(path)
        fixtures = _loaded_fixtures(ctx, path, tree) if tree is not None and "fixture" in text else {}
        hit = _asserts_on_dataset(tree, named, fixtures) if tree is not None and (named or fixtures) else None
        if hit:
            line, test, dataset = hit
            yield Finding(f"data test {test} asserts on the dataset {dataset} ({path}:{line}); "
                          f"CI runs it ({run[0]}:{run[1]})", ((path, line), (run[0], run[1])))
            return


def _asserts_on_dataset(tree: ast.AST, datasets: set[str], fixtures: dict[str, str]) -> tuple[int, str, str] | None:
    """(line, test, dataset) of an assert on what a test read from a committed dataset, or was
    handed by a fixture that loads the project's data, and looked into (shape, columns, nulls...)."""
    for fn in walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name.startswith("test"):
            held = {a.arg: fixtures[a.arg] for a in fn.args.args if a.arg in fixtures}
            hit = _test_of_dataset(fn, datasets, held)
            if hit:
                return hit[0], fn.name, hit[1]
    return None


def _loaded_fixtures(ctx: ScanContext, path: str, tree: ast.Module) -> dict[str, str]:
    """Fixtures of a test module that hold the project's data: one returning what a project
    function reading a data file gives (``return load_raw()``), or derived from such a fixture
    (``def cleaned(raw): return clean(raw)``) -> what they load. A loader handed a temporary or
    test folder reads a test's own file."""
    proj = project(ctx)
    module = Module(path, tree)
    fixtures = [f for f in module.all_functions() if f.cls is None and _is_fixture(f.node)]
    held: dict[str, str] = {}
    for _ in range(3):  # fixtures built on fixtures, a few deep
        for fn in fixtures:
            if fn.name in held:
                continue
            base = next((held[a.arg] for a in fn.node.args.args if a.arg in held), None)
            held_by = base or next((name for call in own_nodes(fn.node) if isinstance(call, ast.Call)
                                    for name in [_project_loader(proj, module, call)] if name), None)
            if held_by:
                held[fn.name] = held_by
    return held


_IDENTIFIER = re.compile(r"[^\W\d]\w*")


def _names_a_loader(ctx: ScanContext, text: str) -> bool:
    """A cheap look before parsing a test module: it names a project function that reads a data
    file, or one calling such a function in its own module (``load_raw`` -> ``_read`` -> ``read_csv``)."""
    def find() -> frozenset[str]:
        names: set[str] = set()
        for module in project(ctx).modules(*_DATA_READS):
            readers = {f.name for f in module.all_functions() if f.calls & _DATA_READS}
            names |= readers | {f.name for f in module.all_functions() if f.calls & readers}
        return frozenset(names)

    # a call of a loader names it as a whole identifier (``load_raw(...)``, ``io.load_raw(...)``):
    # the text's identifiers are looked up in the set, in time linear in the text whatever the
    # number of loaders a large project has
    return not ctx.memo("data_tests.loaders", find).isdisjoint(_IDENTIFIER.findall(text))


def _is_fixture(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(dotted(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1] == "fixture"
               for d in fn.decorator_list)


def _project_loader(proj: Project, module: Module, call: ast.Call) -> str | None:
    """``name()`` when ``call`` runs a project function that reads a data file (``pd.read_csv``,
    ``load_dataset``...) on no temporary or test path."""
    name = callee(call)
    if not name or any(isinstance(n, ast.Name) and n.id in _TEMPORARY or isinstance(n, ast.Constant)
                       and isinstance(n.value, str) and _TEST_WORDS & set(re.split(r"\W+", n.value.lower()))
                       for n in walk(call)):
        return None
    owner, _, last = name.rpartition(".")
    found, fns = proj.resolve(module, last, owner or None)
    if found is module or not fns:
        return None
    reached = found.reach(fns)
    return f"{last}()" if any(fn.calls & _DATA_READS for fn in reached) else None


#: calls that read a dataset from a file or a hub
_DATA_READS = frozenset({"read_csv", "read_parquet", "read_json", "read_excel", "read_table", "read_feather",
                         "read_orc", "read_hdf", "read_pickle", "read_sql", "read_sql_query", "scan_csv",
                         "scan_parquet", "load_dataset", "loadtxt", "genfromtxt", "read_delta"})
#: words of a path that is a test's own data
_TEST_WORDS = frozenset({"test", "tests", "fixture", "fixtures", "sample", "samples", "dummy", "mock", "fake", "toy"})


def _test_of_dataset(fn: ast.AST, datasets: set[str], held: dict[str, str]) -> tuple[int, str] | None:
    read: dict[str, str] = dict(held)  # name -> dataset it holds (directly or derived)
    looked: set[str] = set()         # names derived from the data through a content check
    for node in sorted((n for n in own_nodes(fn) if isinstance(n, ast.Assign) or _asserts(n)), key=lambda n: n.lineno):
        used = {n.id for n in walk(node) if isinstance(n, ast.Name)}
        checks = any(isinstance(n, ast.Attribute) and n.attr in _LOOKS or isinstance(n, ast.Call)
                     and callee(n) in _LOOKS for n in walk(node))
        if not isinstance(node, ast.Assign):
            held = [read[u] for u in used if u in read]
            if held and (checks or used & looked):
                return node.lineno, held[0]
            continue
        # (a file the test writes under its temporary folder is a fixture of the test, not the data)
        source = None if used & _TEMPORARY else \
            _dataset_literal(node.value, datasets) or next((read[u] for u in used if u in read), None)
        # (``features, sales = ingest(features_path="data/raw/features.csv", ...)`` binds each name)
        for target in (t for node_target in node.targets for t in walk(node_target) if isinstance(t, ast.Name)):
            if source:
                read[target.id] = source
                if checks or used & looked:
                    looked.add(target.id)
    return None


#: pytest's temporary folders
_TEMPORARY = frozenset({"tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory"})
#: what looks into the data: content checks, and pandas' string and date accessors
#: (``features.Date.str.match(date_format)``)
_LOOKS = CONTENT_CHECKS | {"str", "dt"}


def _asserts(node: ast.AST) -> bool:
    """An ``assert`` statement, or a unittest assertion (``self.assertTrue(...)``)."""
    if isinstance(node, ast.Assert):
        return True
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
        and isinstance(node.value.func, ast.Attribute) and node.value.func.attr.startswith("assert")


def _dataset_literal(node: ast.AST, datasets: set[str]) -> str | None:
    for sub in walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.rsplit("/", 1)[-1] in datasets:
            return sub.value.rsplit("/", 1)[-1]
    return None


def _ci_test_runs(ctx: ScanContext) -> list[tuple[str, int | None, tuple[str, ...]]]:
    """(CI file, line, paths collected; empty for the whole repository) of every CI test run,
    from the scan's shared reading of CI (commands followed into task runners and scripts)."""
    out = []
    for finding in read_ci(ctx).ci_findings:
        if TEST in finding.kinds:
            path, line = finding.chain[0] if finding.chain else (finding.path, finding.line)
            scope = next((_test_paths(cmd) for cmd in commands(finding.text) if TEST in classify_command(cmd)), ())
            out.append((path, line, scope))
    return out


def _test_paths(cmd: Command) -> tuple[str, ...]:
    """Paths a pytest command is given (``pytest tests/unit`` -> tests/unit); other runners and a
    bare ``pytest`` collect everything."""
    words = list(cmd.words)
    if "pytest" not in [w.rsplit("/", 1)[-1] for w in words]:
        return ()
    rest = words[[w.rsplit("/", 1)[-1] for w in words].index("pytest") + 1:]
    paths, skip = [], False
    for word in rest:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _VALUED
        else:
            paths.append(word.removeprefix("./").rstrip("/"))
    return () if "." in paths or "" in paths else tuple(paths)


def _collects(scope: tuple[str, ...], path: str) -> bool:
    """A test run given ``scope`` (paths, ``file::test`` ids) collects the module at ``path``."""
    folders = [s.split("::")[0] for s in scope]
    return not scope or any(path == f or path.startswith(f + "/") for f in folders)


# -- dbt tests ---------------------------------------------------------------------------------------

#: a dbt model's declared tests (``data_tests:``, or the older ``tests:``) in its schema file.
_DBT_TESTS = re.compile(r"^\s*(?:data_)?tests\s*:", re.M)
#: a dbt run that executes the tests: ``dbt build`` or ``dbt test``, wherever it is started.
_DBT_RUN = re.compile(r"\bdbt\s+(?:[-\w=]+\s+)*(?:build|test)\b")
_RUNNER_SUFFIXES = (".py", ".sh", ".yml", ".yaml", "makefile", "justfile", ".toml", "dockerfile")


def dbt_tests(ctx: ScanContext) -> Iterator[Finding]:
    """dbt models' declared tests that something runs (``dbt build``/``dbt test`` in CI, a DAG
    task, a recipe or a script): a failing test stops the build of the models after it."""
    projects = [p.rsplit("/", 1)[0] if "/" in p else "" for p in ctx.files()
                if p.rsplit("/", 1)[-1] == "dbt_project.yml" and not is_template_path(p)]
    if not projects:
        return
    tests = [p for p in ctx.files() if p.lower().endswith((".yml", ".yaml")) and "/models/" in f"/{p}"
             and any(p.startswith(f"{d}/") or not d for d in projects) and _DBT_TESTS.search(ctx.text(p) or "")]
    if not tests:
        return
    for path in ctx.files():
        if not path.lower().endswith(_RUNNER_SUFFIXES) or is_template_path(path):
            continue
        # (a commented-out ``# dbt test`` task runs nothing)
        text = "\n".join("" if line.lstrip().startswith("#") else line for line in (ctx.text(path) or "").splitlines())
        found = _DBT_RUN.search(text) if "dbt" in text else None
        if found:
            line = text.count("\n", 0, found.start()) + 1
            yield Finding(f"dbt tests declared in {tests[0]} run by '{found.group(0)}' ({path}:{line})",
                          ((tests[0], None), (path, line)))
            return
