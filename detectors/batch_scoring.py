"""Batch scoring written in code: a script that scores data with the model it loads and writes the
predictions out (a file, a table, a bucket, a database).

Recognised by data flow in the script: what it writes holds what the model predicted, through
assignments, frame columns, containers it fills, loops and the script's own helpers. An evaluation
that predicts only to compute metrics writes no predictions, whatever it does with the metrics.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable

from detectors.flow import callee, dotted, own_nodes, words
from scanner.parsing.python import children, walk

#: calls that score data with a model (``transform`` too, on the loaded model: a Spark ML model).
_SCORING = frozenset({"predict", "predict_proba", "predict_log_proba", "predict_on_batch", "decision_function",
                      "score_samples", "score_batch"})
#: calls that write data out: files, tables, buckets, databases (and Spark's ``df.write...``).
_SINKS = frozenset({"to_csv", "to_parquet", "to_sql", "to_json", "to_feather", "to_excel", "to_gbq", "write_csv",
                    "write_parquet", "write_database", "write_delta", "write_table", "saveAsTable", "insertInto",
                    "upload_file", "upload_fileobj", "put_object", "upload_blob", "upload_from_filename",
                    "upload_from_string", "insert_one", "insert_many", "insert_rows", "insert_rows_json",
                    "load_table_from_dataframe", "execute", "executemany", "bulk_insert_mappings", "write",
                    "writelines", "writerow", "writerows", "write_text", "dump", "savetxt"})
#: calls that add to a container: the container then holds what was added.
_FILLS = frozenset({"append", "extend", "insert", "update", "add", "put"})
#: words of metrics' names: a metric computed from predictions is no prediction.
_METRICS = frozenset({"accuracy", "acc", "error", "loss", "metric", "metrics", "report", "matrix", "auc", "precision",
                      "recall", "evaluation", "mae", "mse", "rmse", "mape"})
#: calls computing a metric may also be named for a score (``r2_score``, ``model.score``); a
#: variable named so often holds the predictions themselves (a fraud score).
_METRIC_CALLS = _METRICS | {"score", "evaluate"}
#: a bound for the rounds of propagation (each round follows every assignment once).
MAX_ROUNDS = 8


@dataclass(frozen=True)
class Scoring:
    """A script's scoring: the call that scores and the calls that write the predictions out."""

    score: str
    writes: tuple[str, ...]
    """Names of the writing calls, in the order of the script."""


def batch_scoring(tree: ast.Module, load: tuple[int, str]) -> Scoring | None:
    """How a script whose model is loaded at ``load`` (line, call) scores data and writes the
    predictions out, if it does."""
    calls = [n for n in walk(tree) if isinstance(n, ast.Call)]
    loaded = _loaded_names(tree, load)
    seeds = [n for n in calls if callee(n) in _SCORING or (callee(n) == "transform" and _on_model(n, loaded))]
    if not seeds:
        return None
    flow = _Flow(tree, {id(n) for n in seeds})
    flow.propagate(calls)
    writes = sorted((n for n in calls if flow.writes(n)), key=lambda n: (n.lineno, n.col_offset))
    if not writes:
        return None
    return Scoring(str(callee(seeds[0])), tuple(dict.fromkeys(str(callee(n)) for n in writes)))


def _loaded_names(tree: ast.Module, load: tuple[int, str]) -> set[str]:
    """Names (``model``, ``self.model``) assigned the model loaded at ``load``."""
    line, name = load[0], load[1].rsplit(".", 1)[-1]
    return {dotted(t) for n in walk(tree) if isinstance(n, ast.Assign) and n.lineno == line
            and any(isinstance(c, ast.Call) and callee(c) == name for c in walk(n.value)) for t in n.targets}


def _on_model(call: ast.Call, loaded: set[str]) -> bool:
    owner = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else ""
    return owner in loaded or "model" in words(owner.rsplit(".", 1)[-1])


def _bound(target: ast.AST) -> set[str]:
    """Names an assignment binds or changes (``df["pred"] = ...`` changes ``df``)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_bound(t) for t in target.elts)) if target.elts else set()
    while isinstance(target, (ast.Subscript, ast.Starred)):
        target = target.value
    name = dotted(target)
    return {name} if name else set()


class _Flow:
    """Names and helpers holding predictions, grown from the scoring calls.

    A variable belongs to the function that assigns it (a ``df`` in one function is not the ``df``
    of another); module-level variables and attributes (``self.scored``) are seen everywhere.
    """

    def __init__(self, tree: ast.Module, seeds: set[int]) -> None:
        self.seeds = seeds
        self.functions = [n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        self.scope = {id(n): id(fn) for fn in self.functions for n in own_nodes(fn)}
        self.steps = [n for n in walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For,
                                                                ast.AsyncFor))]
        self.names: set[tuple[int, str]] = set()
        """(scope, name) of what holds predictions; scope 0 is the module's."""
        self.returning: set[str] = set()
        """Helpers of the script that return predictions."""

    def within(self, node: ast.AST) -> int:
        """The scope of a statement or expression: its function's, else the module's (0)."""
        return self.scope.get(id(node), 0)

    def hold(self, scope: int, names: Iterable[str]) -> None:
        """Record that ``names`` of ``scope`` hold predictions (a variable named for a metric does not)."""
        self.names |= {(0 if "." in n else scope, n) for n in names if not words(n.rsplit(".", 1)[-1]) & _METRICS}

    def carries(self, node: ast.AST, scope: int) -> bool:
        """Whether an expression in ``scope`` holds predictions (not through a metric computed from them)."""
        stack = [node]
        while stack:
            sub = stack.pop()
            if isinstance(sub, ast.Call):
                name = callee(sub) or ""
                if id(sub) in self.seeds or name in self.returning:
                    return True
                if words(name) & _METRIC_CALLS:
                    continue
            elif isinstance(sub, (ast.Name, ast.Attribute)) and ((scope, dotted(sub)) in self.names
                                                                 or (0, dotted(sub)) in self.names):
                return True
            stack.extend(children(sub))
        return False

    def propagate(self, calls: list[ast.Call]) -> None:
        """Follow the predictions through the script until nothing more holds them."""
        helpers = {fn.name: fn for fn in self.functions}
        for _ in range(MAX_ROUNDS):
            before = len(self.names) + len(self.returning)
            for step in self.steps:
                source = step.iter if isinstance(step, (ast.For, ast.AsyncFor)) else step.value
                if source is not None and self.carries(source, self.within(step)):
                    targets = getattr(step, "targets", None) or [step.target]
                    self.hold(self.within(step), (n for t in targets for n in _bound(t)))
            for call in calls:
                name = callee(call) or ""
                if self.writes(call):  # the file or buffer written holds them (``preds.to_csv(path)``)
                    self.hold(self.within(call), (n for a in call.args for n in _bound(a)))
                elif not any(self.carries(a, self.within(call)) for a in _arguments(call)):
                    continue
                elif name in helpers:  # the script's helper, given predictions
                    helper = helpers[name]
                    self.hold(id(helper), (a.arg for a in helper.args.args + helper.args.kwonlyargs
                                           if a.arg not in ("self", "cls")))
                elif name in _FILLS and isinstance(call.func, ast.Attribute):
                    self.hold(self.within(call), _bound(call.func.value))
            self.returning |= {fn.name for fn in self.functions if any(
                isinstance(n, ast.Return) and n.value is not None and self.carries(n.value, id(fn))
                for n in own_nodes(fn))}
            if len(self.names) + len(self.returning) == before:
                return

    def writes(self, call: ast.Call) -> bool:
        """Whether a call writes predictions out: a writer given them, or called on them."""
        chain = _chain(call.func)
        if callee(call) not in _SINKS and "write" not in chain:
            return False
        owner = [call.func.value] if isinstance(call.func, ast.Attribute) else []
        return any(self.carries(a, self.within(call)) for a in owner + _arguments(call))


def _arguments(call: ast.Call) -> list[ast.AST]:
    return [*call.args, *(k.value for k in call.keywords)]


def _chain(func: ast.AST) -> list[str]:
    """Attribute names along a call chain (``df.write.mode("x").parquet`` -> parquet, mode, write)."""
    out = []
    while isinstance(func, (ast.Attribute, ast.Call)):
        if isinstance(func, ast.Attribute):
            out.append(func.attr)
            func = func.value
        else:
            func = func.func
    return out
