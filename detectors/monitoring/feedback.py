"""Performance feedback: predictions logged in production joined with later ground truth to
compute metrics, in one module (a frame merge) or across a feedback store of the project's own
(predictions kept by id, labels attached later, joined by SQL, merge or lookup, then scored)."""
from __future__ import annotations

import ast
import re
from typing import Iterator

from detectors.flow import Function, Module, Project, callee, expression_names, own_nodes, source, words
from detectors.monitoring.source import MONITORING_PATH, Hit, Source
from scanner.parsing.python import walk

_TRUTH = re.compile(r"ground_?truth|observations|(?<![a-z])gt(?![a-z])|actuals|feedback|delayed_label|true_label")
_PREDICTIONS = re.compile(r"pred")
_PRODUCTION = re.compile(r"drift|monitor(ing|s)|_monitor|monitor_|feedback|production|serving|online|"
                         r"inference_log|prediction_log|delayed")
_METRICS = re.compile(r"metric|rmse|mae|mape|accuracy|f1|auc|precision|recall")


#: a frame of predictions or of ground truth filled in from the other (``predictions.update(obs)``).
_FRAME_JOIN = re.compile(r"\b\w*(?:pred|forecast|observ|label|actual|truth)\w*\.(?:update|join|combine_first)\(", re.I)


def ground_truth_join(src: Source) -> Hit | None:
    """Logged predictions joined with later ground truth, and metrics computed on the result."""
    # the join first (a cheap look), then the words around it
    join = src.call(r"\.merge", r"pandas\.merge", r"polars\.[\w.]*join")
    found = None if join else _FRAME_JOIN.search(src.text) if "pred" in src.lower else None
    if join is None and found is None:
        return None
    # (the logged predictions may go by another name, ``recent``, and be called so only in the
    # module's messages: "No recent predictions found")
    if not (src.mentions(_TRUTH) and (src.mentions(_PREDICTIONS) or "predictions" in src.lower)
            and src.mentions(_METRICS)):
        return None
    if not (_PRODUCTION.search(src.path.lower()) or src.mentions(_PRODUCTION)):
        return None
    line = join.line if join else src.text.count("\n", 0, found.start()) + 1
    return Hit(src.path, line, "predictions joined with ground truth to compute metrics")


_LIVE_DATA = re.compile(r"production|serving|online|inference_log|predictions?_log|requests?_log|\blive\b|"
                        r"feedback|ground.?truth", re.I)
_TEST_SPLIT = re.compile(r"\btest(?:_set|_data|_split)?\.(?:csv|parquet|pkl)\b|\bX_test\b")
#: Evidently's model-quality reports: predictions scored against the actual target.
_EVIDENTLY_PERFORMANCE = (r"evidently\.[\w.]*(Classification|Regression)\w*(Preset|Tab|Section|Metric|Monitor)\w*",)


def monitored_performance(src: Source) -> Hit | None:
    """A monitoring job that measures the model against the actual target with Evidently's
    classification or regression quality report (not a training run's evaluation)."""
    # a module kept as monitoring (its path says so), or a function named so (an orchestrator's
    # ``monitoring_and_reporting`` asset): Evidently's words alone would make any evaluation with
    # it look like monitoring
    if not src.facts.imports_any(("evidently",)):
        return None
    # the "current" data is the held-out test split: the model is evaluated, not watched in production
    if _TEST_SPLIT.search(src.text) and not src.mentions(_LIVE_DATA):
        return None
    call = src.call(*_EVIDENTLY_PERFORMANCE)
    if call is None or not (MONITORING_PATH.search(src.path) or _in_monitoring_function(src, call.line)):
        return None
    return Hit(src.path, call.line, f"model quality against the actual target monitored ({call.name.rsplit('.', 1)[-1]})")


def _in_monitoring_function(src: Source, line: int) -> bool:
    """``line`` lies in a function named for monitoring (``monitoringAndReporting``)."""
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and MONITORING_PATH.search(n.name)
               and n.lineno <= line <= (n.end_lineno or n.lineno) for n in walk(src.tree)) if src.tree else False


# -- a feedback store: predictions kept by id, labels attached later, joined and scored ------------

_PRED = frozenset({"pred", "preds", "prediction", "predictions", "predicted", "inference", "inferences",
                   "forecast", "forecasts", "served"})
_TRUTH_WORDS = frozenset({"label", "labels", "actual", "actuals", "truth", "groundtruth", "feedback", "outcome",
                          "outcomes", "observed", "observation", "observations"})
#: a column holding what the model predicted (a serving timestamp is no prediction).
_PRED_COLUMNS = frozenset({"pred", "preds", "prediction", "predictions", "predicted"})
#: what the reference side of a metric is called (``score(preds, refs)``, ``f1(y_true, y_pred)``).
_REFERENCE = _TRUTH_WORDS | {"ref", "refs", "reference", "references", "true", "gold", "expected"}
_METRIC_CALLS = frozenset({"accuracy", "f1", "precision", "recall", "auc", "mae", "mse", "rmse", "mape", "r2", "error",
                           "score", "metric", "metrics", "wer", "bleu", "brier", "logloss"})
_TRUTH_TEXT = re.compile(r"label|actual|truth|feedback|outcome|observ", re.I)
_PRED_TEXT = re.compile(r"pred|inference|forecast|served", re.I)
_SQL_TABLES = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)", re.I)
_SQL_INSERT = re.compile(r"\bINSERT\s+INTO\s+([A-Za-z_][\w.]*)\s*(?:\(([^)]*)\))?", re.I)
#: columns a query selects, by name or alias (``p.prediction``, ``t.is_fraud AS actual``).
_SQL_COLUMNS = re.compile(r"(?:\bAS\s+|\b\w+\.)([A-Za-z_]\w*)", re.I)
#: a label handed to a function: named so (a measured ``actual_seconds`` is not a label).
_LABEL_WORDS = frozenset({"label", "labels", "truth", "groundtruth", "outcome", "feedback"})
_LABEL_PARAMS = frozenset({"actual", "actuals", "y_true", "ground_truth", "target"})
_ROUTE_CALLS = frozenset({"post", "put", "patch", "route", "api_route", "add_api_route"})
_WRITES = frozenset({"insert", "execute", "put", "save", "write", "store", "update", "attach", "set", "add", "post",
                     "append", "upsert", "log", "record", "submit"})


def _has(names: list[str], vocabulary: frozenset[str]) -> bool:
    return any(words(n) & vocabulary for n in names)


def _joins(module: Module) -> Iterator[tuple[int, str]]:
    """(line, how) of a join of predictions with labels: an SQL JOIN of the two tables, a frame
    merge of the two, or a label looked up by a prediction's id in a loop."""
    for node in walk(module.tree):
        sql = _sql_text(node)
        if sql and "join" in sql.lower():
            tables = _SQL_TABLES.findall(sql)
            # the tables say which holds predictions and which labels, or the columns selected do
            columns = _SQL_COLUMNS.findall(sql)
            if _has(tables, _PRED) and _has(tables, _TRUTH_WORDS) or \
                    _has(columns, _PRED_COLUMNS) and _has(columns, _TRUTH_WORDS):
                yield node.lineno, f"SQL join of {' and '.join(tables[:3])}"
        elif isinstance(node, ast.Call) and callee(node) in ("merge", "join") and (node.args or node.keywords):
            owner = [node.func.value] if isinstance(node.func, ast.Attribute) else []
            sides = [expression_names(n) for n in owner + list(node.args[:2])]
            if len(sides) >= 2 and any(_has(s, _PRED) for s in sides) and any(_has(s, _TRUTH_WORDS) for s in sides):
                yield node.lineno, f"{callee(node)} of predictions with labels"
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            hit = _lookup_join(node)
            if hit:
                yield hit, "labels looked up by prediction id"


def _sql_text(node: ast.AST) -> str | None:
    """A string literal, or an f-string with each placeholder read as the name it holds
    (``{TABLE_NAMES['PREDICTIONS']}`` -> ``PREDICTIONS``, ``{table}`` -> ``table``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            inner = value.value
            key = inner.slice if isinstance(inner, ast.Subscript) else inner
            parts.append(key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else
                         key.id if isinstance(key, ast.Name) else key.attr if isinstance(key, ast.Attribute) else "x")
    return "".join(parts)


def _lookup_join(loop: ast.For | ast.AsyncFor) -> int | None:
    """A loop over predictions that looks their label up by id (``labels[pid]``, ``labels.get(pid)``)."""
    lookups: dict[str, list[tuple[str, int]]] = {}
    for node in walk(loop):
        container = key = None
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Name):
            container, key = node.value.id, node.slice.id
        elif isinstance(node, ast.Call) and callee(node) == "get" and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.args and isinstance(node.args[0], ast.Name):
            container, key = node.func.value.id, node.args[0].id
        if container and key:
            lookups.setdefault(key, []).append((container, node.lineno))
    over_predictions = _has(expression_names(loop.target) + expression_names(loop.iter), _PRED)
    for key, found in lookups.items():
        containers = [c for c, _ in found]
        truth = [line for c, line in found if words(c) & _TRUTH_WORDS]
        if truth and (over_predictions or _has(containers, _PRED)):
            return truth[0]
    return None


def _scores(module: Module) -> Iterator[tuple[Function, int]]:
    """(function, line) of a metric computed on predictions against labels or references."""
    for fn in module.all_functions():
        for node in own_nodes(fn.node):
            if isinstance(node, ast.Call) and words(callee(node) or "") & _METRIC_CALLS and len(node.args) >= 2:
                args = [expression_names(a) for a in node.args]
                if any(_has(a, _PRED) for a in args) and any(_has(a, _REFERENCE) for a in args):
                    yield fn, node.lineno
                    break


def _label_intake(project: Project) -> tuple[str, int, str] | None:
    """Where labels arrive after the fact: a route whose path names labels or feedback, else a
    function taking a prediction's id and its label that stores it."""
    modules = list(project.modules("label", "feedback", "actual", "truth", "outcome"))
    for module in modules:
        for fn in module.all_functions():
            for dec in fn.node.decorator_list:
                if isinstance(dec, ast.Call) and callee(dec) in _ROUTE_CALLS and dec.args \
                        and _has(expression_names(dec.args[0]), _TRUTH_WORDS):
                    return module.path, dec.lineno, f"route {source(dec.args[0])}"
    for module in modules:
        for fn in module.all_functions():
            params = [a.arg for a in fn.node.args.args + fn.node.args.kwonlyargs]
            keyed = any("id" in words(p) and words(p) & (_PRED | {"request", "event", "record"}) for p in params)
            if keyed and any(p.lower() in _LABEL_PARAMS or words(p) & _LABEL_WORDS for p in params) \
                    and any(words(c) & _WRITES for c in fn.calls):
                return module.path, fn.line, fn.qualname
    # a job that stores labels with SQL (``INSERT INTO feedback_labels (..., analyst_label) ...``)
    for module in modules:
        for node in walk(module.tree):
            sql = _sql_text(node)
            m = _SQL_INSERT.search(sql) if sql and "insert" in sql.lower() else None
            if m and _has([m.group(1), *re.findall(r"\w+", m.group(2) or "")], _TRUTH_WORDS | _LABEL_WORDS):
                holder = module.enclosing(node.lineno)
                return module.path, node.lineno, holder.qualname if holder else f"SQL insert into {m.group(1)}"
    return None


#: words of a function that reports how well the model does on the feedback it received.
_STATS_WORDS = frozenset({"stats", "statistics", "accuracy", "metrics", "performance", "summary"})
#: a feedback record's verdict on its prediction (``is_correct``, ``was_correct``, ``correct``).
_VERDICT = re.compile(r"^(is_|was_)?correct(ness)?$")


def _verdict_scores(project: Project) -> tuple[str, int, str] | None:
    """(path, line, function) of a function that scores stored feedback by the verdict each record
    holds on its prediction (``where("is_correct", "==", True).count()`` over the total)."""
    for module in project.modules("correct", pattern=re.compile("feedback", re.I)):
        for fn in module.all_functions():
            if not words(fn.name) & _STATS_WORDS:
                continue
            for node in own_nodes(fn.node):
                name = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else \
                    node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
                if name and _VERDICT.match(name):
                    return module.path, node.lineno, fn.qualname
    return None


def feedback_store(project: Project) -> Hit | None:
    """Predictions joined with labels that arrive later, and a metric computed on the result.

    The join (SQL, merge or lookup by id) and the metric are linked: in one module, or the metric's
    module calls the function holding the join. A label intake (an endpoint or a function storing a
    label by prediction id) must exist, or it is an offline evaluation on a test set."""
    # every join form names predictions and labels: modules whose text names both are walked
    joins = [(m, line, how) for m in project.modules("JOIN", "join", "merge", ".get(", "[", pattern=_TRUTH_TEXT)
             if _PRED_TEXT.search(project.text(m.path)) for line, how in _joins(m)]
    # feedback records that keep the user's verdict beside the prediction need no join
    scored = None if joins else _verdict_scores(project)
    intake = _label_intake(project) if joins or scored else None
    if intake is None:
        return None
    if scored:
        return Hit(scored[0], scored[1], f"feedback records keep each prediction's verdict and {scored[2]} scores "
                                         f"them; feedback arrives through {intake[2]} ({intake[0]}:{intake[1]})")
    joins.sort(key=lambda j: j[2].startswith("labels looked up"))  # a store's own join first
    for module, line, how in joins:
        holder = module.enclosing(line)
        scorers = [module] + ([m for m in project.modules(holder.name) if m is not module
                               and any(holder.name in f.calls for f in m.all_functions())] if holder else [])
        for scorer in scorers:
            for fn, score_line in _scores(scorer):
                return Hit(scorer.path, score_line,
                           f"predictions joined with labels ({how}, {module.path}:{line}) and scored by {fn.qualname}; "
                           f"labels arrive through {intake[2]} ({intake[0]}:{intake[1]})")
    return None
