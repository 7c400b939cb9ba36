"""Batch scoring split across the steps of an orchestrator's pipeline: a pipeline named for
inference (``batch_inference_pipeline``, ``scoring_flow``) one of whose steps predicts with a
model (``model.predict(data)`` in ``get_predictions``). Each step alone is no scoring script; the
pipeline that chains load, predict and store is.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterator

from detectors.flow import ORCHESTRATORS, Function, Project, callee
from scanner.parsing.python import walk

#: decorators that make a function a pipeline of steps
_PIPELINE_DECORATORS = frozenset({"pipeline", "flow", "dag"})
#: a pipeline named for scoring
_SCORING_NAME = re.compile(r"infer|predict|scor(e|ing)|batch", re.I)
#: steps that train: a pipeline holding one is a training pipeline, whatever its name
_TRAINS = re.compile(r"(^|_)(re)?(train|fit|tune)", re.I)
#: calls that score data with a model
_PREDICTS = frozenset({"predict", "predict_proba", "predict_on_batch", "decision_function"})


@dataclass(frozen=True)
class ScoringPipeline:
    path: str
    line: int
    name: str
    step: str
    """The step that predicts."""
    step_path: str
    step_line: int


def scoring_pipelines(project: Project) -> Iterator[ScoringPipeline]:
    """Pipelines named for inference whose steps include one that predicts with a model."""
    steps = _predicting_steps(project)
    if not steps:
        return
    for module in project.modules(*ORCHESTRATORS):
        for fn in module.all_functions():
            if not (_SCORING_NAME.search(fn.name) and _is_pipeline(fn)):
                continue
            named = set(fn.calls) | {a.arg for a in fn.node.args.args}
            if any(_TRAINS.search(n) for n in named):
                continue  # a pipeline that trains evaluates its model; it scores no new data
            found = next((steps[n] for n in sorted(named) if n in steps), None)
            if found is not None:
                step, path, line = found
                yield ScoringPipeline(module.path, fn.line, fn.name, step, path, line)
                return


def _is_pipeline(fn: Function) -> bool:
    for decorator in fn.node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if name in _PIPELINE_DECORATORS:
            return True
    return False


def _predicting_steps(project: Project) -> dict[str, tuple[str, str, int]]:
    """Project functions decorated as steps or tasks that call ``predict`` on something:
    name -> (name, path, line of the call)."""
    out: dict[str, tuple[str, str, int]] = {}
    for module in project.modules(".predict"):
        for fn in module.all_functions():
            if not fn.node.decorator_list:
                continue
            call = next((n for n in walk(fn.node) if isinstance(n, ast.Call) and callee(n) in _PREDICTS), None)
            if call is not None:
                out.setdefault(fn.name, (fn.name, module.path, call.lineno))
    return out
