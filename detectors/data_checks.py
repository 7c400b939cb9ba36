"""Data checks recognised by what they do: a function that inspects data (columns, types, nulls,
ranges, row counts) and fails on it, called before training or ingestion so that its failure
stops the flow, or going on itself to write the data it checked (a task that raises on missing
columns, then writes the parquet) and run by a call, as an orchestrator's task or as a pipeline
step; pydantic models that validate the records a pipeline reads; and data tests that check a
committed dataset and that CI runs.

A function merely named ``validate_data`` that stops nothing, asserts of a unit test, a check
that nobody calls, or a guard that only asks whether there is any data (``if df.empty: raise``),
whether a file exists or whether a configuration value is set is not a data check here.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

from detectors.data_conditions import CHECK_WORDS, CONTENT_CHECKS, checked_data, looks, touches
from detectors.flow import (Finding, Function, Module, Project, callee, dotted, expression_names, is_route, own_nodes,
                            source, words)
from detectors.liveness import serverless_handler
from scanner.parsing.python import walk

#: extensions of files that hold datasets (checked case-insensitively).
DATA_EXTENSIONS = (".csv", ".tsv", ".parquet", ".jsonl", ".ndjson", ".json", ".npz", ".npy",
                   ".feather", ".arrow", ".avro", ".orc", ".xlsx", ".xls", ".pkl", ".pickle",
                   ".h5", ".hdf5", ".tfrecord", ".tfrecords", ".arff")
#: words of names that say a function is about a dataset (its name or its parameters).
_DATA_NOUNS = frozenset({"data", "dataset", "datasets", "df", "frame", "dataframe", "rows", "records",
                         "batch", "table", "samples", "features", "raw", "inputs"})
#: words of calls that hand data to checks.
_CHECK_CALLS = frozenset({"check", "checks", "validate", "validation", "rules", "rule", "expect", "expectations",
                          "verify", "constraints", "schema", "inspect"})
#: words of calls that write or ingest data.
_WRITE_WORDS = frozenset({"ingest", "insert", "upsert", "write", "save", "store", "upload", "sql", "parquet", "csv",
                          "publish"})
#: words of calls that make what follows a check a training or ingestion flow.
_FLOW_WORDS = _WRITE_WORDS | {"train", "training", "fit", "finetune", "retrain", "load", "register", "process",
                              "transform", "features"}
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


@dataclass(frozen=True)
class _Check:
    """A function that fails on the data."""

    module: Module
    fn: Function
    how: str
    """'raises' (an assert, or an ``if`` on the data that raises or exits) or 'verdict' (it returns a
    yes/no on the data that a caller can stop on)."""
    where: ast.stmt
    """The first statement that fails: the assert, the ``if`` or the return."""

    @cached_property
    def then(self) -> list[str]:
        """Writes or ingestion of the checked data that the check's own body goes on to once the
        data passed (training would make it a guard inside training code, see :func:`_uses_model`)."""
        if self.how != "raises" or not isinstance(self.where, (ast.If, ast.Assert)):
            return []
        data = checked_data(self.fn.node, self.where.test)
        calls = _flow_calls(self.fn.node.body, self.where.end_lineno or self.where.lineno)
        return sorted({str(callee(c)) for c in calls if touches(c, data)})

    @property
    def place(self) -> tuple[str, int]:
        return self.module.path, self.fn.line

    def gate(self, runner: str, place: tuple[str, int]) -> Finding | None:
        """The check as a gate by itself, when its body writes the data once it passed:
        ``data check clean (m.py:3) raises if len(missing) > 0, then writes the data (to_parquet);
        {runner}``."""
        if not self.then:
            return None
        test = source(self.where.test, 60) if isinstance(self.where, (ast.If, ast.Assert)) else ""
        fails = f"asserts {test}" if isinstance(self.where, ast.Assert) else f"raises if {test}"
        verb = "writes the data" if any(words(c) & _WRITE_WORDS for c in self.then) else "goes on with the data"
        return Finding(f"data check {self.fn.name} ({self.module.path}:{self.fn.line}) {fails}, then {verb} "
                       f"({', '.join(self.then[:3])}); {runner}", (self.place, place))


def _fails(module: Module, fn: Function) -> tuple[str, ast.stmt] | None:
    """How a check fails ('raises' or 'verdict', see :class:`_Check`) and the first statement that
    does. A condition on a verdict counts when the function hands the data to checks
    (``run_rules(rows)``)."""
    nodes = sorted((n for n in own_nodes(fn.node) if isinstance(n, (ast.Assert, ast.If, ast.Return))),
                   key=lambda n: n.lineno)
    verdicts = any(words(c) & _CHECK_CALLS for f in module.reach([fn]) for c in f.calls)
    nodes = [n for n in nodes if not (isinstance(n, (ast.Assert, ast.If)) and (_argument_check(fn.node, n.test)
                                                                          or _image_format_only(n.test)))
             and not (isinstance(n, ast.Assert) and _sizes_only(n.test))]
    for node in nodes:
        if isinstance(node, ast.Assert) and looks(node.test, verdicts) \
                or isinstance(node, ast.If) and looks(node.test, verdicts) and any(
                    isinstance(s, ast.Raise) or isinstance(s, ast.Call) and callee(s) in _EXITS
                    for stmt in node.body for s in [stmt, *own_nodes(stmt)]):
            return "raises", node
    for node in nodes:
        value = node.value if isinstance(node, ast.Return) else None
        if isinstance(value, (ast.Compare, ast.BoolOp, ast.UnaryOp)) and looks(value, verdicts):
            return "verdict", node
        if isinstance(node, ast.If) and looks(node.test, verdicts) and any(
                isinstance(s, ast.Return) and isinstance(s.value, ast.Constant) and s.value.value is False
                for s in node.body):
            return "verdict", node
    return None


#: annotations of arguments that name or select data rather than hold it (``dataset_id: str``).
_SCALARS = frozenset({"str", "int", "float", "bool", "Path", "PathLike", "Literal"})


def _argument_check(fn: ast.AST, test: ast.AST) -> bool:
    """The condition reads only scalar arguments (``assert split in ["train", "test"]``,
    ``len(dataset_id.split("/")) == 2``) and what is computed from them: it checks how the
    function was called, not the data."""
    args = fn.args
    every = args.posonlyargs + args.args + args.kwonlyargs
    scalar = {a.arg for a in every if a.annotation is not None and _scalar(a.annotation)}
    if not scalar:
        return False
    assigned: dict[str, list[set[str]]] = {}
    for node in own_nodes(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name in (t.id for t in walk(target) if isinstance(t, ast.Name)):
                    assigned.setdefault(name, []).append(_names(node.value))
    known = set(scalar)
    for _ in range(4):
        known |= {n for n, values in assigned.items() if all(v and v <= known for v in values)}
    read = _names(test)
    return bool(read) and read <= known


#: what an assertion about sizes alone reads (``assert td.shape[1] == cfg.episode_length``).
_SIZES = frozenset({"shape", "len", "size", "ndim", "height", "count"})


def _sizes_only(test: ast.AST) -> bool:
    """An assertion that compares sizes and nothing of the content (no nulls, types, columns or
    ranges): a programmer's invariant on shapes, not a check of the data's quality."""
    read = {n.attr if isinstance(n, ast.Attribute) else n.id for n in walk(test)
            if isinstance(n, (ast.Attribute, ast.Name))}
    return bool(read & _SIZES) and not read & (CONTENT_CHECKS - _SIZES) and not any(
        isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in CONTENT_CHECKS for n in walk(test)) \
        and not any(words(name) & CHECK_WORDS for name in read)


#: an image's format: what a converter requires of the images it writes (square, RGB, a power of two)
_IMAGE_FORMAT = frozenset({"width", "height", "channels", "resolution", "w", "h", "ch", "img_size", "image_size",
                           "mode"})


def _image_format_only(test: ast.AST) -> bool:
    """A condition on nothing but an image's dimensions or channels (``width != height``,
    ``attrs["channels"] not in [1, 3]``): a conversion tool's format requirement, not a check of
    the data's quality."""
    read = {n.attr if isinstance(n, ast.Attribute) else n.id for n in walk(test)
            if isinstance(n, (ast.Attribute, ast.Name)) and not isinstance(getattr(n, "ctx", None), ast.Store)}
    keys = {n.slice.value for n in walk(test) if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Constant)
            and isinstance(n.slice.value, str)}
    named = (read - {n.value.id for n in walk(test) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)}
             - {"np", "math", "int", "floor", "log2"}) | keys
    return bool(named) and named <= _IMAGE_FORMAT


def _names(node: ast.AST) -> set[str]:
    """Variables an expression reads (the functions it calls left out)."""
    called = {id(n.func) for n in walk(node) if isinstance(n, ast.Call)}
    return {n.id for n in walk(node) if isinstance(n, ast.Name) and id(n) not in called}


def _scalar(annotation: ast.AST) -> bool:
    name = annotation.attr if isinstance(annotation, ast.Attribute) else annotation.id \
        if isinstance(annotation, ast.Name) else annotation.value.id if isinstance(annotation, ast.Subscript) \
        and isinstance(annotation.value, ast.Name) else ""
    return name in _SCALARS


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
    """Names of the training or ingestion calls made after ``line`` in a body."""
    return sorted({str(callee(c)) for c in _flow_calls(body, line)})


def _flow_calls(body: list[ast.stmt], line: int) -> list[ast.Call]:
    """Training or ingestion calls made after ``line`` in a body (a read, ``read_parquet``, is neither)."""
    calls = [(n, words(callee(n) or "")) for stmt in body for n in [stmt, *own_nodes(stmt)]
             if isinstance(n, ast.Call) and n.lineno > line]
    return [call for call, named in calls if named & _FLOW_WORDS and "read" not in named]


def _step(fn: Function) -> str | None:
    """The decorator that runs a function as a pipeline step (``task``, ``dsl.component``, ``op``)."""
    for decorator in fn.node.decorator_list:
        name = dotted(decorator.func if isinstance(decorator, ast.Call) else decorator)
        if words(name.rsplit(".", 1)[-1]) & _STEPS:
            return name
    return None


def validation_gates(project: Project) -> Iterator[Finding]:
    """Data checks whose failure stops the flow: called before training or ingestion, or going on
    to write the data themselves and run by a call, as an orchestrator's task or as a pipeline step."""
    checks: dict[int, _Check] = {}
    for module in project.modules("raise", "exit(", "return False", "assert ", pattern=_DATA_DEF):
        for fn in module.all_functions():
            failure = _fails(module, fn) if _about_data(fn) and not _uses_model(fn) else None
            if failure:
                checks[id(fn.node)] = _Check(module, fn, *failure)
    if not checks:
        return
    names = {check.fn.name for check in checks.values()}
    alternatives = "|".join(re.escape(n) for n in sorted(names))
    pattern = re.compile(rf"\b({alternatives})\s*\(|python_callable\s*=\s*[\w.]*\b({alternatives})\b")
    for module in project.modules(*sorted(names), pattern=pattern):
        for node in walk(module.tree):
            for check, task in _runs(project, module, node, checks, names) if isinstance(node, ast.Call) else ():
                found = _tasked(module, node, check) if task else _wired(module, node, check)
                if found:
                    yield found
                    return
    for check in checks.values():
        # a step the orchestrator runs (a Dagster asset) needs no caller in the code
        step = _step(check.fn)
        found = check.gate(f"it runs as pipeline step @{step}", (check.module.path, check.where.lineno)) \
            if step else None
        if found:
            yield found
            return


def _runs(project: Project, module: Module, call: ast.Call, checks: dict[int, _Check],
          names: set[str]) -> Iterator[tuple[_Check, bool]]:
    """The checks a call runs, and whether it runs them as an orchestrator's task: a call of the
    module's own check or of one it imports, or ``python_callable=check``."""
    named = [(call.func, callee(call), False)] + [(k.value, dotted(k.value).rsplit(".", 1)[-1], True)
                                                   for k in call.keywords if k.arg == "python_callable"]
    for target, name, task in named:
        if name not in names:
            continue
        owner = dotted(target).rpartition(".")[0].split(".")[-1] or None
        for fn in project.resolve(module, name, owner)[1]:
            if id(fn.node) in checks:
                yield checks[id(fn.node)], task


#: an estimator's own API (scikit-learn's ``fit``/``transform``, a network's ``forward``): what it
#: checks first are its inputs, as a library validates its arguments, not a pipeline's data.
_ESTIMATOR_API = frozenset({"fit", "fit_transform", "transform", "inverse_transform", "partial_fit", "predict",
                            "predict_proba", "score", "_fit", "_transform", "__init__", "__call__", "forward"})


#: functions that try code out by hand (``_test()`` at the bottom of a loader module, ``debug_batches``)
_TRY_OUT = re.compile(r"^_*(test|debug|demo|try)(_|$)", re.I)


def _serves(fn: Function) -> bool:
    """A serving entry point: a web route, or a serverless handler given the request event."""
    return is_route(fn.node) or serverless_handler(fn)


def _wired(module: Module, call: ast.Call, check: _Check) -> Finding | None:
    caller = module.enclosing(call.lineno)
    if caller is check.fn or caller is not None and caller.cls and caller.name in _ESTIMATOR_API:
        return None
    if caller is not None and _serves(caller):
        return None  # a request checked as it is served: input validation of the service, not of data
    if caller is not None and _TRY_OUT.match(caller.name):
        return None  # a function trying the code out by hand (``_test``, ``debug_loader``) gates no flow
    body = caller.node.body if caller else module.tree.body
    if check.how == "verdict" and not _guarded(body, call):
        return None
    after = _flow_after(body, call.lineno)
    step = caller is not None and _step(caller) is not None
    where = caller.qualname if caller else module.path
    if not after and not step:
        # a check that writes the data itself once it passed is a gate wherever it is called
        return check.gate(f"{where} calls it ({module.path}:{call.lineno})", (module.path, call.lineno))
    then = f"before {', '.join(after[:3])}" if after else "in pipeline step"
    verb = "raises" if check.how == "raises" else "returns a verdict the caller stops on"
    return Finding(f"data check {check.fn.name} ({check.module.path}:{check.fn.line}) {verb}; {where} calls it "
                   f"{then} ({module.path}:{call.lineno})", (check.place, (module.path, call.lineno)))


def _tasked(module: Module, operator: ast.Call, check: _Check) -> Finding | None:
    """A check handed to an orchestrator (``PythonOperator(task_id=..., python_callable=check)``)
    that writes the data itself once it passed: a failing task stops its run there."""
    task = next((k.value.value for k in operator.keywords if k.arg == "task_id"
                 and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)), None)
    task = f"{callee(operator)} task {task!r}" if task else f"{callee(operator)} task"
    return check.gate(f"{task} runs it ({module.path}:{operator.lineno})", (module.path, operator.lineno))


# -- a validation stage whose verdict the runner stops on -------------------------------------------

#: a module kept as the data validation stage (``components/data_validation.py``, ``validate_data.py``)
_VALIDATION_MODULE = re.compile(r"(^|/)[^/]*(data_?valid|validat\w*_?data)[^/]*\.py$", re.I)
_VALIDATION_WORD = re.compile(r"valid", re.I)


def validation_stage_gates(project: Project) -> Iterator[Finding]:
    """A data validation stage that looks at the data's content (columns, nulls, ranges) and whose
    verdict the runner stops on (``passed = DataValidationPipeline().run()`` then ``if not passed:
    raise``) before the stages after it: the project's pipeline of stages, written by hand."""
    # the stage's name first: only those few modules are parsed here
    named = (project.module(p) for p in project.paths if _VALIDATION_MODULE.search(p))
    stages = [m for m in named if m is not None and any(
        isinstance(n, (ast.If, ast.Assert)) and looks(n.test, False) for fn in m.all_functions()
        for n in own_nodes(fn.node))]
    if not stages:
        return
    for module in project.modules("valid", pattern=_VERDICT_READ):
        for scope in [*(fn.node for fn in module.all_functions()), module.tree]:
            found = _stops_on_verdict(module, scope) or _stops_on_status_file(module, scope)
            if found:
                yield Finding(f"data validation stage {stages[0].path} checks the data's content; {found}",
                              ((stages[0].path, 1), (module.path, _line_of(found))))
                return


def _stops_on_verdict(module: Module, scope: ast.AST) -> str | None:
    """``ok = <validation call>`` then ``if not ok: raise`` with more of the flow after it."""
    made = {}  # variables holding a validation object or its verdict
    body = sorted((n for n in own_nodes(scope) if isinstance(n, ast.stmt)), key=lambda n: n.lineno)
    for node in body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            text = source(node.value) + " " + " ".join(made.get(n, "") for n in expression_names(node.value))
            if _VALIDATION_WORD.search(text):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        made[target.id] = text
    for i, node in enumerate(body):
        if isinstance(node, ast.If) and isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not) \
                and isinstance(node.test.operand, ast.Name) and node.test.operand.id in made \
                and _stops(node.body) and _goes_on(getattr(scope, "body", []), node.lineno):
            return f"{module.path}:{node.lineno} stops when it fails (if not {node.test.operand.id})"
    return None


#: where a runner reads a validation stage's verdict: ``if not passed`` on its result, or a status
#: file it opens (``open(Path("data/status.txt"))``)
_VERDICT_READ = re.compile(r"if\s+not\s+\w*valid|open\([^)\n]*(?:status|valid)", re.I)
#: a file the validation stage leaves its verdict in (``data/status.txt``, ``validation_status``)
_STATUS_FILE = re.compile(r"status|valid", re.I)


def _stops_on_status_file(module: Module, scope: ast.AST) -> str | None:
    """The verdict handed over in a file: ``with open("status.txt") as f: status = f.read()``, then
    ``if status == "True": <the next stage> else: raise``."""
    read: set[str] = set()
    for node in own_nodes(scope):
        if isinstance(node, ast.With) and any(isinstance(item.context_expr, ast.Call) and callee(item.context_expr) == "open"
                                              and _STATUS_FILE.search(source(item.context_expr)) for item in node.items):
            read |= {t.id for stmt in node.body if isinstance(stmt, ast.Assign) for t in stmt.targets
                     if isinstance(t, ast.Name)}
    for node in own_nodes(scope):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and isinstance(node.test.left, ast.Name) \
                and node.test.left.id in read and isinstance(node.test.ops[0], ast.Eq) \
                and any(isinstance(c, ast.Constant) and str(c.value) == "True" for c in node.test.comparators) \
                and node.orelse and _stops(node.orelse) and _goes_on(node.body, node.lineno):
            return f"{module.path}:{node.lineno} runs the next stage only when the verdict file says so"
    return None


_REPORTING = frozenset({"info", "error", "warning", "debug", "exception", "print", "log", "echo", "secho"})


def _goes_on(body: list[ast.stmt], line: int) -> bool:
    """Later stages run after ``line`` (any call that does more than report)."""
    return any(isinstance(n, ast.Call) and n.lineno > line and not words(callee(n) or "") & _REPORTING
               for stmt in body for n in [stmt, *own_nodes(stmt)])


def _line_of(found: str) -> int:
    return int(found.split(":", 1)[1].split(" ", 1)[0])


# -- pydantic records in a pipeline ----------------------------------------------------------------

_PARSE = frozenset({"model_validate", "model_validate_json", "parse_obj", "parse_raw", "validate"})
_RECORD_FLOW = frozenset({"ingest", "load", "etl", "records", "rows", "process", "clean", "pipeline", "import",
                          "read", "parse", "extract", "batch", "stream", "consume"})


_SETTINGS_MODEL = re.compile(r"(Config|Configuration|Settings|Params|Parameters|Args|Arguments|Options)$")


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
    # a model of the run's settings (``Config``, ``TrainingSettings``) validates a config, not data
    return {m for m in models if not _SETTINGS_MODEL.search(m)}


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
    for module in project.modules(*sorted(models), pattern=pattern):
        for fn in module.all_functions():
            if is_route(fn.node):
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
