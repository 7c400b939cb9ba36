"""Hyperparameter search written by hand: loops over lists of hyperparameter values (nested, or
over ``itertools.product``/``ParameterGrid``) that train a model or start a tracked run for every
combination. A loop over epochs alone, or over one hyperparameter, is training, not a search.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from detectors.data import code_files
from detectors.flow import callee, words
from scanner.detector import ScanContext
from scanner.parsing.python import walk

#: words of hyperparameter names (``learning_rate``, ``dropout``, ``n_estimators``, ``batch_size``).
HYPERPARAMETER_WORDS = frozenset({
    "lr", "learning", "rate", "dropout", "epochs", "epoch", "batch", "momentum", "decay", "depth",
    "estimators", "alpha", "gamma", "lambda", "layers", "hidden", "units", "neighbors", "leaf", "leaves",
    "regularization", "reg", "temperature", "warmup", "optimizer", "kernel", "penalty", "heads", "embedding",
    "dim", "c",
})
#: calls that train or record a trial (``fit``, ``train_model``, ``mlflow.start_run``, ``run_trial``).
_TRIAL_WORDS = frozenset({"fit", "train", "training", "run", "trial", "experiment", "evaluate"})
_GRIDS = frozenset({"product", "ParameterGrid"})
#: the libraries a search trains with or records to (a file importing none is not read).
_ML_IMPORTS = ("sklearn", "torch", "tensorflow", "keras", "xgboost", "lightgbm", "catboost", "mlflow", "wandb",
               "clearml", "neptune", "comet_ml", "aim", "lightning", "pytorch_lightning", "transformers", "jax")


@dataclass(frozen=True)
class GridSearch:
    """One hand-written search: where it loops, over what, and the call run per combination."""

    path: str
    line: int
    params: tuple[str, ...]
    call: str


def grid_searches(ctx: ScanContext) -> Iterator[GridSearch]:
    """Hand-written searches in the project's modules (tests and templates left out)."""
    for path, facts in code_files(ctx):
        if "for " not in (ctx.text(path) or "") or not facts.imports_any(_ML_IMPORTS):
            continue
        tree = ctx.tree(path)
        found = _search(tree) if tree is not None else None
        if found:
            line, params, call = found
            yield GridSearch(path, line, params, call)


def _search(tree: ast.Module) -> tuple[int, tuple[str, ...], str] | None:
    for node in walk(tree):
        if not isinstance(node, (ast.For, ast.AsyncFor)):
            continue
        grid = isinstance(node.iter, ast.Call) and callee(node.iter) in _GRIDS
        params = _hyperparameters(node) if grid or _values(node.iter) else ()
        inner = [n for n in node.body if isinstance(n, (ast.For, ast.AsyncFor)) and _values(n.iter)] if not grid else []
        for loop in inner:  # nested loops: one more hyperparameter per level
            params += _hyperparameters(loop)
        if len(set(params)) < 2 or not (grid or inner):
            continue
        trial = next((c for c in walk(node) if isinstance(c, ast.Call) and words(callee(c) or "") & _TRIAL_WORDS), None)
        if trial is not None:
            return node.lineno, tuple(dict.fromkeys(params)), str(callee(trial))
    return None


def _hyperparameters(loop: ast.For | ast.AsyncFor) -> tuple[str, ...]:
    """Loop variables named like hyperparameters (``for lr, depth in ...``)."""
    names = [n.id for n in walk(loop.target) if isinstance(n, ast.Name)]
    return tuple(n for n in names if words(n) & HYPERPARAMETER_WORDS)


def _values(iterable: ast.AST) -> bool:
    """A loop over candidate values: a literal list (``[0.1, 0.01]``) or a configured list named
    like a hyperparameter (``config.dropout``), not ``range(epochs)`` or a data loader."""
    if isinstance(iterable, (ast.List, ast.Tuple, ast.Set)):
        return len(iterable.elts) > 1
    name = iterable.attr if isinstance(iterable, ast.Attribute) else iterable.id if isinstance(iterable, ast.Name) else ""
    return bool(words(name) & HYPERPARAMETER_WORDS)
