"""Hyperparameter search written by hand: loops over lists of hyperparameter values (nested, or
over ``itertools.product``/``ParameterGrid``) that train a model or start a tracked run for every
combination, and random searches: a loop over a number of trials that draws a configuration from
a search space (``hp = sample_hp(space, rng)``) and scores it (``score_fn(hp)``). A loop over
epochs alone, or over one hyperparameter, is training, not a search.
"""
from __future__ import annotations

import ast
import re
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
#: a call drawing a configuration from a search space: a drawing word and a configuration word
#: (``sample_hp``, ``suggest_params``, ``random_config``)
_DRAW_WORDS = frozenset({"sample", "draw", "suggest", "random"})
_SPACE_WORDS = frozenset({"hp", "hps", "hparams", "hyperparameters", "hyperparams", "params", "config", "space"})
_DRAW_HINT = re.compile(r"(sample|draw|suggest|random)_?\w*(hp|param|config|space)", re.I)
#: what a trial of a random search calls with the drawn configuration (``score_fn``, ``objective``)
_SCORE_WORDS = _TRIAL_WORDS | {"score", "objective", "fn", "eval"}
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
    random: bool = False
    """A random search: ``params`` names the call drawing each trial's configuration."""
    evolution: bool = False
    """An evolution: ``params`` names the mapping each generation mutates at random."""


def grid_searches(ctx: ScanContext) -> Iterator[GridSearch]:
    """Hand-written searches in the project's modules (tests and templates left out)."""
    for path, facts in code_files(ctx):
        text = ctx.text(path) or ""
        if "for " not in text:
            continue
        grid = facts.imports_any(_ML_IMPORTS)
        draws = "range(" in text and _DRAW_HINT.search(text)
        tree = ctx.tree(path) if grid or draws else None
        if tree is None:
            continue
        found = _search(tree) if grid else None
        if found:
            yield GridSearch(path, *found)
        elif draws and (drawn := _random_search(tree)):
            yield GridSearch(path, *drawn, random=True)
        elif grid and "random" in text and (evolved := _evolution(tree)):
            yield GridSearch(path, *evolved, evolution=True)


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


def _random_search(tree: ast.Module) -> tuple[int, tuple[str, ...], str] | None:
    """A loop over ``range(n_trials)`` drawing a configuration and scoring it: (line, the drawing
    call, the scoring call)."""
    for node in walk(tree):
        if not (isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.iter, ast.Call)
                and callee(node.iter) == "range"):
            continue
        for stmt in walk(node):
            if not (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)):
                continue
            draw = words(callee(stmt.value) or "")
            drawn = {t.id for t in stmt.targets if isinstance(t, ast.Name)}
            if not (draw & _DRAW_WORDS and draw & _SPACE_WORDS and drawn):
                continue
            for call in walk(node):
                if (isinstance(call, ast.Call) and words(callee(call) or "") & _SCORE_WORDS
                        and any(isinstance(a, ast.Name) and a.id in drawn
                                for a in [*call.args, *(k.value for k in call.keywords)])):
                    return node.lineno, (str(callee(stmt.value)),), str(callee(call))
    return None


def _evolution(tree: ast.Module) -> tuple[int, tuple[str, ...], str] | None:
    """Hyperparameter evolution (YOLO's ``--evolve``): a loop over ``range(generations)`` that
    mutates a hyperparameter mapping with random draws (``hyp[k] = ... * v[i]`` after
    ``np.random...``) and trains with it (``train(hyp.copy(), ...)``): (line, the mapping, the
    training call)."""
    for node in walk(tree):
        if not (isinstance(node, (ast.For, ast.AsyncFor)) and isinstance(node.iter, ast.Call)
                and callee(node.iter) == "range"):
            continue
        body = list(walk(node))
        if not any(isinstance(c, ast.Call) and "random" in (callee(c) or "").lower().split(".") for c in body):
            continue
        mutated = {t.value.id for a in body if isinstance(a, ast.Assign) for t in a.targets
                   if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)
                   and words(t.value.id) & (_SPACE_WORDS | {"hyp"})}
        for call in body:
            if not (isinstance(call, ast.Call) and words(callee(call) or "") & _TRIAL_WORDS):
                continue
            handed = [n.id for a in [*call.args, *(k.value for k in call.keywords)] for n in walk(a)
                      if isinstance(n, ast.Name) and n.id in mutated]
            if handed:
                return node.lineno, (handed[0],), str(callee(call))
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
