"""Retraining triggers: a function that starts a training run when a monitoring check says so, or
an Airflow branch that, on such a check, picks the DAG's training task."""
from __future__ import annotations

import ast
import re

from detectors.flow import dotted
from detectors.monitoring.source import MONITORING, Hit, Source
from scanner.parsing.python import PyFacts, walk

_GUARD = re.compile(r"drift|retrain|degrad|decay|should_train|trigger|alert|threshold|psi|p_?value|"
                    r"exceed|breach")
_TRAIN_WORDS = frozenset({"train", "retrain", "training", "retraining"})
#: calls that dispatch a run somewhere (``trigger_dag``, ``trigger_airflow_dag``, ``submit_pipeline_job``):
#: training when a string they are given names it.
_DISPATCH = re.compile(r"^(create_dispatch|run_deployment|trigger_\w*(dag|pipeline|workflow|flow|job|run)s?|"
                       r"submit_\w*(pipeline|job|run)s?|start_pipeline_execution|run_pipeline|create_run|post|"
                       r"urlopen|Request|run|Popen)$")
#: first words of functions that ask about or record training rather than start it.
_NOT_STARTING = frozenset({"should", "needs", "is", "has", "can", "evaluate", "check", "decide", "get",
                           "load", "log", "record", "save", "notify", "send", "mark", "split"})


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _starts_training(node: ast.Call) -> bool:
    """A call that runs training: a train* function, or a dispatch/launch naming training."""
    name = _call_name(node)
    words = name.lower().split("_")
    if words[0] not in _NOT_STARTING and _TRAIN_WORDS & set(words) and name != "train_test_split":
        return True
    if not _DISPATCH.match(name):
        return False
    strings = [n.value for n in walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any(re.search(r"train|dispatches", s, re.I) for s in strings)


def _node_names(node: ast.AST) -> set[str]:
    return {(n.id if isinstance(n, ast.Name) else n.attr).lower()
            for n in walk(node) if isinstance(n, (ast.Name, ast.Attribute))}


def _guarded(call: ast.Call, guards: list[ast.If]) -> bool:
    """The call runs inside a guard's branches, or after a guard that can leave early."""
    for guard in guards:
        end = guard.end_lineno or guard.lineno
        if guard.body[0].lineno <= call.lineno <= end:
            return True
        exits = any(isinstance(n, (ast.Return, ast.Raise, ast.Continue)) for n in walk(guard))
        if exits and end < call.lineno:
            return True
    return False


def _may_start_training(facts: PyFacts) -> bool:
    """Cheap pre-check on resolved call names before the syntax tree is walked."""
    for call in facts.calls:
        last = call.name.rsplit(".", 1)[-1]
        if _TRAIN_WORDS & set(last.lower().split("_")) or _DISPATCH.match(last):
            return True
    return False


def _guarded_training(func: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
    """The first training call of a monitoring function that runs under a monitoring guard."""
    starts = [n for n in walk(func) if isinstance(n, ast.Call) and _starts_training(n)]
    if not starts or not any(MONITORING.search(n) for n in _node_names(func) | {func.name.lower()}):
        return None
    guards = [n for n in walk(func) if isinstance(n, ast.If)
              and any(_GUARD.search(n2) for n2 in _node_names(n.test))]
    return next((c for c in starts if _guarded(c, guards)), None)


def retraining_on_monitoring(src: Source) -> Hit | None:
    """A function that, on a drift/monitoring condition, starts a training run."""
    if "train" not in src.lower or not _may_start_training(src.facts) or src.tree is None or not src.monitoring:
        return None
    for func in walk(src.tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            call = _guarded_training(func)
            if call is not None:
                return Hit(src.path, call.lineno, f"{func.name} starts training ({_call_name(call)}) "
                                                  "on a monitoring result")
    return None


def branching_to_training(src: Source) -> Hit | None:
    """An Airflow branch callable (``BranchPythonOperator(python_callable=f)``, ``@task.branch``) that,
    under a monitoring guard (``if drift_detected:``), returns the id of a task of the DAG that
    trains (``return "retrain_model"``)."""
    if "branch" not in src.lower or src.tree is None or not src.facts.imports_any(("airflow",)):
        return None
    tasks = {kw.value.value for n in walk(src.tree) if isinstance(n, ast.Call) for kw in n.keywords
             if kw.arg == "task_id" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)}
    branches = _branch_callables(src.tree)
    for func in (f for f in walk(src.tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name in branches):
        guards = [n for n in walk(func) if isinstance(n, ast.If) and any(_GUARD.search(m) for m in _node_names(n.test))]
        for ret in (n for g in guards for stmt in g.body for n in walk(stmt) if isinstance(n, ast.Return)):
            named = [n.value for n in walk(ret) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            chosen = next((t for t in named if t in tasks and _TRAIN_WORDS & set(re.split(r"[^a-z]+", t.lower()))), None)
            if chosen:
                return Hit(src.path, ret.lineno, f"branch {func.name} picks the training task '{chosen}' "
                                                 "on a monitoring result")
    return None


def _branch_callables(tree: ast.AST) -> set[str]:
    """Names of the functions an Airflow DAG branches with."""
    names = set()
    for node in walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) == "BranchPythonOperator":
            names |= {kw.value.id for kw in node.keywords if kw.arg == "python_callable" and isinstance(kw.value, ast.Name)}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                dotted(d.func if isinstance(d, ast.Call) else d).endswith("task.branch") for d in node.decorator_list):
            names.add(node.name)
    return names
