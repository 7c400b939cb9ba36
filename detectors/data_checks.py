"""Data checks recognised by what they do: a function that inspects data (columns, types, nulls,
ranges, row counts) and fails on it, called before training or ingestion so that its failure
stops the flow; pydantic models that validate the records a pipeline reads; and data tests that
check a committed dataset and that CI runs.

A function merely named ``validate_data`` that stops nothing, asserts of a unit test, a check
that nobody calls, or a guard that only asks whether there is any data (``if df.empty: raise``),
whether a file exists or whether a configuration value is set is not a data check here.
"""
from __future__ import annotations

import ast
import re
from typing import Iterator

from detectors.flow import Finding, Function, Module, Project, callee, dotted, expression_names, own_nodes, words
from scanner.parsing.python import walk

#: extensions of files that hold datasets (checked case-insensitively).
DATA_EXTENSIONS = (".csv", ".tsv", ".parquet", ".jsonl", ".ndjson", ".json", ".npz", ".npy",
                   ".feather", ".arrow", ".avro", ".orc", ".xlsx", ".xls", ".pkl", ".pickle",
                   ".h5", ".hdf5")
#: what a check looks at when it checks the data itself (nulls, types, columns, ranges, rows).
#: Whether there is any data at all (``df.empty``) is left out: that guards availability, not quality.
CONTENT_CHECKS = frozenset({
    "isnull", "isna", "notna", "notnull", "null_count", "is_null", "dtypes", "dtype", "columns", "schema",
    "duplicated", "is_duplicated", "between", "is_between", "nunique", "n_unique", "unique", "min", "max",
    "shape", "select_dtypes", "value_counts", "describe", "isin", "is_in", "isnan", "isfinite",
    "is_numeric_dtype", "is_string_dtype", "is_datetime64_any_dtype", "infer_dtype", "count", "height",
})
#: words of names that say a function is about a dataset (its name or its parameters).
_DATA_NOUNS = frozenset({"data", "dataset", "datasets", "df", "frame", "dataframe", "rows", "records",
                         "batch", "table", "samples", "features", "raw", "inputs"})
#: words of names a data check uses when it looks at the data or hands it to rules.
_CHECK_WORDS = frozenset({"null", "nulls", "nan", "nans", "missing", "schema", "dtype", "dtypes", "column",
                          "columns", "range", "ranges", "duplicate", "duplicates", "duplicated", "rules",
                          "expectations", "expect", "constraints", "outliers"})
#: words of names of files and places: a missing file is data not there yet, not bad data.
_RESOURCE_WORDS = frozenset({"file", "files", "path", "paths", "dir", "dirs", "directory", "folder", "url", "uri"})
#: words of names that hold configuration: a condition on them alone checks arguments.
_CONFIG_WORDS = frozenset({"config", "cfg", "conf", "args", "settings", "params", "options", "opts"})
#: words of a check's outcome.
_VERDICT_WORDS = frozenset({"passed", "valid", "errors", "failures", "failed", "violations", "issues",
                            "invalid"})
#: words of calls that hand data to checks.
_CHECK_CALLS = frozenset({"check", "checks", "validate", "validation", "rules", "rule", "expect", "expectations",
                          "verify", "constraints", "schema", "inspect"})
#: words of calls that make what follows a check a training or ingestion flow.
_FLOW_WORDS = frozenset({"train", "training", "fit", "finetune", "retrain", "ingest", "insert", "upsert",
                         "write", "save", "store", "upload", "load", "sql", "parquet", "csv", "register",
                         "publish", "process", "transform", "features"})
_MODEL_USE = frozenset({"train", "training", "fit", "finetune", "retrain", "predict", "evaluate", "inference",
                        "drift", "psi", "skew"})
#: decorators of pipeline steps: a step that fails stops its pipeline.
_STEPS = frozenset({"task", "step", "flow", "op", "asset", "component", "node", "stage", "pipeline"})
#: a module worth parsing for checks: it defines a function named for data or taking data, or
#: reads rows, records or frames.
_DATA_DEF = re.compile(r"def\s+\w*?(data|dataset|df|frame|rows|records|batch|table|samples|features|raw|inputs)"
                       r"\w*\s*\(|def\s+\w+\s*\([^)]*\b(df|data|dataset|rows|records|frame|batch|table|samples|"
                       r"features)\b|\w_(rows|records|dataset|frame)\s*\(", re.I)
_EXITS = frozenset({"exit", "abort", "fail", "cancel"})
_ROUTES = frozenset({"get", "post", "put", "patch", "delete", "route", "websocket", "api_route"})


# -- checks that stop the flow ---------------------------------------------------------------------

def _stops(nodes: list[ast.AST]) -> bool:
    """The statements raise, exit, cancel or return: what follows them does not run."""
    for node in nodes:
        for sub in [node, *own_nodes(node)]:
            if isinstance(sub, (ast.Raise, ast.Return)):
                return True
            if isinstance(sub, ast.Call) and callee(sub) in _EXITS:
                return True
    return False


def _looks(test: ast.AST, verdicts: bool) -> bool:
    """A condition about data content (``df.isnull().any()``, ``missing_columns``, ``len(rows) < n``)
    or, when ``verdicts``, about the outcome of checks (``not report["passed"]``). A condition that
    only asks whether there is any data (``df.empty``, ``len(rows) == 0``), names only files, or
    reads only configuration (``not config.required_columns``) guards something else."""
    if _reads_config(test):
        return False
    sizes = _emptiness_sizes(test)
    for node in walk(test):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else \
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        if not name or id(node) in sizes or words(name) & _RESOURCE_WORDS:
            continue
        if name in CONTENT_CHECKS or name == "len" or words(name) & _CHECK_WORDS \
                or verdicts and words(name) & _VERDICT_WORDS:
            return True
    return False


def _reads_config(test: ast.AST) -> bool:
    """Every variable the condition reads holds configuration (``config.path``, ``cfg["columns"]``)."""
    called = {id(n.func) for n in walk(test) if isinstance(n, ast.Call)}
    read = [n.id for n in walk(test) if isinstance(n, ast.Name) and id(n) not in called]
    return bool(read) and all(words(name) & _CONFIG_WORDS for name in read)


def _size(node: ast.AST) -> ast.AST | None:
    """The name that measures a size in ``len(x)``, ``x.count()``, ``x.shape[0]`` or ``x.height``;
    the size of a selection (``len(df[df.amount < 0])``) measures bad rows, not rows."""
    if isinstance(node, ast.Call) and not node.keywords:
        if isinstance(node.func, ast.Name) and node.func.id == "len" and len(node.args) == 1 \
                and not isinstance(node.args[0], ast.Subscript) \
                or isinstance(node.func, ast.Attribute) and node.func.attr == "count" and not node.args \
                and not isinstance(node.func.value, ast.Subscript):
            return node.func
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape" \
            and isinstance(node.slice, ast.Constant) and node.slice.value == 0:
        return node.value
    return node if isinstance(node, ast.Attribute) and node.attr == "height" else None


#: ``size OP n`` that only tells none from some: ``== 0``, ``!= 0``, ``<= 0``, ``> 0``, ``< 1``, ``>= 1``.
_NONE_OR_SOME = {0: (ast.Eq, ast.NotEq, ast.LtE, ast.Gt), 1: (ast.Lt, ast.GtE)}
_MIRRORED = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def _emptiness_sizes(test: ast.AST) -> set[int]:
    """Ids of the size names (``len``, ``count``, ``shape``) a condition uses only to ask whether
    there is any data: ``len(x) == 0``, ``0 < len(x)``, ``not len(x)``, ``df.shape[0] < 1``. What
    is measured still counts (``len(missing_columns) > 0`` looks at columns)."""
    out = set()
    for node in walk(test):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            (left, right), op = (node.left, node.comparators[0]), type(node.ops[0])
            if _size(left) is None:
                left, right, op = right, left, _MIRRORED.get(op, op)
            size = _size(left)
            if size is not None and isinstance(right, ast.Constant) and type(right.value) is int \
                    and op in _NONE_OR_SOME.get(right.value, ()):
                out.add(id(size))
    truths = [test]  # a size tested for truth: ``if len(x)``, ``if not df.count() or ...``
    while truths:
        node = truths.pop()
        if isinstance(node, ast.BoolOp):
            truths.extend(node.values)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            truths.append(node.operand)
        elif _size(node) is not None:
            out.add(id(_size(node)))
    return out


def _fails(module: Module, fn: Function) -> str | None:
    """How a check fails: 'raises' (an assert, or an ``if`` on the data that raises or exits) or
    'verdict' (it returns a yes/no on the data that a caller can stop on). A condition on a
    verdict counts when the function hands the data to checks (``run_rules(rows)``)."""
    nodes = list(own_nodes(fn.node))
    verdicts = any(words(c) & _CHECK_CALLS for f in module.reach([fn]) for c in f.calls)
    if any(isinstance(n, ast.Assert) and _looks(n.test, verdicts) for n in nodes):
        return "raises"
    for node in nodes:
        if isinstance(node, ast.If) and _looks(node.test, verdicts) and any(
                isinstance(s, ast.Raise) or isinstance(s, ast.Call) and callee(s) in _EXITS
                for stmt in node.body for s in [stmt, *own_nodes(stmt)]):
            return "raises"
    for node in nodes:
        value = node.value if isinstance(node, ast.Return) else None
        if isinstance(value, (ast.Compare, ast.BoolOp, ast.UnaryOp)) and _looks(value, verdicts):
            return "verdict"
        if isinstance(node, ast.If) and _looks(node.test, verdicts) and any(
                isinstance(s, ast.Return) and isinstance(s.value, ast.Constant) and s.value.value is False
                for s in node.body):
            return "verdict"
    return None


def _about_data(fn: Function) -> bool:
    """Named for data, given data, or reading it (``parse_rows``, ``read_frame``)."""
    args = fn.node.args
    names = [fn.name, *fn.calls] + [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    return any(words(n) & _DATA_NOUNS for n in names)


def _uses_model(fn: Function) -> bool:
    """The function fits or runs a model itself (a guard inside training or evaluation code), or
    compares data with a reference (drift is monitoring): not a check of the data before use."""
    return any(words(c) & _MODEL_USE for c in [fn.name, *fn.calls])


def _guarded(caller: list[ast.stmt], call: ast.Call) -> bool:
    """The caller stops when a verdict check says no: ``if not check(df): raise`` or
    ``ok = check(df)`` then ``if not ok: return``."""
    target = None
    for stmt in caller:
        for node in [stmt, *own_nodes(stmt)]:
            if isinstance(node, ast.If) and _stops(node.body):
                test_nodes = list(walk(node.test))
                if call in test_nodes or target and any(isinstance(n, ast.Name) and n.id == target for n in test_nodes):
                    return True
            if isinstance(node, ast.Assign) and node.value is call and isinstance(node.targets[0], ast.Name):
                target = node.targets[0].id
    return False


def _flow_after(body: list[ast.stmt], line: int) -> list[str]:
    """Training or ingestion calls made after ``line`` in a body."""
    return sorted({callee(n) for stmt in body for n in [stmt, *own_nodes(stmt)]
                   if isinstance(n, ast.Call) and n.lineno > line and callee(n) and words(callee(n)) & _FLOW_WORDS})


def _is_step(fn: Function) -> bool:
    return any(words(dotted(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1]) & _STEPS
               for d in fn.node.decorator_list)


def validation_gates(project: Project) -> Iterator[Finding]:
    """Data checks called before training or ingestion whose failure stops the flow."""
    checks: dict[int, tuple[Module, Function, str]] = {}
    for module in project.modules("raise", "exit(", "return False", "assert ", pattern=_DATA_DEF):
        for fn in module.all_functions():
            how = _fails(module, fn) if _about_data(fn) and not _uses_model(fn) else None
            if how:
                checks[id(fn.node)] = (module, fn, how)
    if not checks:
        return
    names = sorted({fn.name for _, fn, _ in checks.values()})
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\s*\(")
    for module in project.modules("(", pattern=pattern):
        for node in walk(module.tree):
            name = callee(node) if isinstance(node, ast.Call) else None
            if name not in names:
                continue
            # the check this call runs: the module's own function, or the one it imports
            owner = dotted(node.func).rpartition(".")[0].split(".")[-1] or None
            for target in project.resolve(module, name, owner)[1]:
                found = _wired(module, node, *checks[id(target.node)]) if id(target.node) in checks else None
                if found:
                    yield found
                    return


def _wired(module: Module, call: ast.Call, home: Module, check: Function, how: str) -> Finding | None:
    caller = module.enclosing(call.lineno)
    if caller is check:
        return None
    body = caller.node.body if caller else module.tree.body
    if how == "verdict" and not _guarded(body, call):
        return None
    after = _flow_after(body, call.lineno)
    step = caller is not None and _is_step(caller)
    if not after and not step:
        return None
    where = caller.qualname if caller else module.path
    then = f"before {', '.join(after[:3])}" if after else "in pipeline step"
    verb = "raises" if how == "raises" else "returns a verdict the caller stops on"
    return Finding(f"data check {check.name} ({home.path}:{check.line}) {verb}; {where} calls it {then} "
                   f"({module.path}:{call.lineno})", ((home.path, check.line), (module.path, call.lineno)))


# -- pydantic records in a pipeline ----------------------------------------------------------------

_PARSE = frozenset({"model_validate", "model_validate_json", "parse_obj", "parse_raw", "validate"})
_RECORD_FLOW = frozenset({"ingest", "load", "etl", "records", "rows", "process", "clean", "pipeline", "import",
                          "read", "parse", "extract", "batch", "stream", "consume"})


def _record_models(project: Project) -> set[str]:
    """Project classes that are pydantic models (directly or through another project model)."""
    bases: dict[str, set[str]] = {}
    for module in project.modules("BaseModel"):
        for node in walk(module.tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {dotted(b).rsplit(".", 1)[-1] for b in node.bases}
    models = {name for name, of in bases.items() if "BaseModel" in of}
    for _ in range(3):
        models |= {name for name, of in bases.items() if of & models}
    return models


def _validates_record(node: ast.AST, models: set[str]) -> bool:
    """``Model(**row)`` or ``Model.model_validate(row)`` for a project pydantic model."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name) and func.id in models:
        return any(k.arg is None for k in node.keywords) or bool(node.args)
    return isinstance(func, ast.Attribute) and func.attr in _PARSE and dotted(func.value) in models


def record_validation(project: Project) -> Iterator[Finding]:
    """A pipeline function that validates every record it reads against a pydantic model and
    rejects the ones that fail (``except ValidationError``) or fails with them."""
    models = _record_models(project)
    if not models:
        return
    pattern = re.compile(r"\b(" + "|".join(re.escape(m) for m in sorted(models)) + r")\b")
    for module in project.modules("for ", pattern=pattern):
        for fn in module.all_functions():
            if any(callee(d) in _ROUTES for d in fn.node.decorator_list if isinstance(d, ast.Call)):
                continue  # a request handler validates a request, not a dataset
            hit = _record_loop(fn, models)
            if hit is not None:
                yield Finding(f"records validated against pydantic model {hit[1]} in {fn.qualname} "
                              f"({module.path}:{hit[0]})", ((module.path, hit[0]),))
                return


def _record_loop(fn: Function, models: set[str]) -> tuple[int, str] | None:
    rejects = any(isinstance(n, ast.ExceptHandler) and n.type is not None and any("ValidationError" in x for x in expression_names(n.type))
                  for n in own_nodes(fn.node))
    in_pipeline = bool(words(fn.name) & _RECORD_FLOW)
    if not (rejects or in_pipeline):
        return None
    for loop in own_nodes(fn.node):
        if isinstance(loop, (ast.For, ast.AsyncFor, ast.ListComp, ast.GeneratorExp, ast.SetComp)):
            for node in walk(loop):
                if _validates_record(node, models):
                    return node.lineno, dotted(node.func).split(".")[0]
    return None
