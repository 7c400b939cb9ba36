"""Code nothing runs: a function no code, config, CI file or script of the repository names.

A tool called only inside ``run_study()`` that nothing calls (no ``__main__``, no DAG, Makefile
or entry point naming it) is written, not used. A function counts as run when anything in the
repository names it besides its own ``def`` (a call, an import, a callback handed on, a string in
a config or an entry point; a test's call exercises it, it does not run it), when a decorator registers it (a route, a task, a CLI command, a
test fixture; a Kubeflow ``@component`` is a step, run when a pipeline names it), when a platform calls it by its conventional name (``init``/``run`` of a scoring
script, ``preprocessing_fn``, ``lambda_handler``, any ``(event, context)`` handler), or when it is a method of a class named
somewhere (frameworks call the hooks); code at module level runs when the module does. Documentation does not count as a caller.
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from scanner.detector import ScanContext
from scanner.scope import is_test_path

if TYPE_CHECKING:
    from detectors.flow import Function

#: files whose text may call or name a function: code, configs, CI and task runners
_CALLERS = re.compile(r"(\.(py|ipynb|ya?ml|toml|cfg|ini|json|sh|bash|jsonnet|libsonnet)|"
                      r"(^|/)(Makefile|Dockerfile[^/]*|Procfile|Jenkinsfile[^/]*|justfile|Taskfile[^/]*))$", re.I)
MAX_CALLER_BYTES = 2_000_000


def unreached(ctx: ScanContext, path: str, line: int | None) -> str | None:
    """The function holding ``line`` of ``path`` when nothing in the repository runs it (its
    qualified name), else None: module-level code, a decorated function, or one named elsewhere."""
    if line is None or not path.endswith(".py"):
        return None  # a notebook's cells run top to bottom; its functions are called from them
    from detectors.flow import project  # the flow reader imports the tool catalogue, which asks here
    module = project(ctx).module(path)
    if module is None:
        return None
    holding = sorted((f for f in module.all_functions()
                      if f.node.lineno <= line <= (f.node.end_lineno or f.node.lineno)), key=lambda f: f.node.lineno)
    # a decorator registers the function with what runs it; a pipeline component's decorator only
    # makes it a step, which runs when a pipeline names it
    if not holding or any(f.node.decorator_list and not _component(f) for f in holding):
        return None
    return next((f.qualname for f in holding if not _named(ctx, f)), None)


#: decorators that make a function a pipeline step (Kubeflow Pipelines components)
_COMPONENT_DECORATORS = frozenset({"component", "container_component"})


def _component(fn: "Function") -> bool:
    """Every decorator of ``fn`` makes it a Kubeflow pipeline component (``@dsl.component``)."""
    names = [d.func if isinstance(d, ast.Call) else d for d in fn.node.decorator_list]
    return all((n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "")) in _COMPONENT_DECORATORS
               for n in names)


#: functions a platform calls by their conventional name, never named by the project: Azure ML
#: scoring scripts (``init``/``run``), TFX and TF Transform module files, SageMaker inference
#: handlers, serverless handlers, script entry points
ENTRY_POINTS = frozenset({"init", "run", "main", "handler", "lambda_handler", "preprocessing_fn", "run_fn",
                          "trainer_fn", "tuner_fn", "stats_options_updater_fn", "model_fn", "input_fn",
                          "predict_fn", "output_fn", "transform_fn", "app"})


def _named(ctx: ScanContext, fn: Function) -> bool:
    # a method runs when its class is used: frameworks call hooks (``training_step``, ``forward``,
    # a callback's ``on_epoch_end``) the project never names
    if fn.cls is not None:
        return _mentioned(ctx, fn.cls, "class")
    return fn.name in ENTRY_POINTS or serverless_handler(fn) or _mentioned(ctx, fn.name, "def")


def serverless_handler(fn: "Function") -> bool:
    """A function taking ``(event, context)``: an AWS Lambda (or Cloud Functions) handler, which
    the platform calls by the name its infrastructure code gives (a CDK stack in TypeScript)."""
    args = [a.arg.lstrip("_") for a in fn.node.args.args]
    return len(args) == 2 and args[0] in ("event", "evt") and args[1] in ("context", "ctx")


def _mentioned(ctx: ScanContext, name: str, keyword: str) -> bool:
    """``name`` appears somewhere besides its own ``def``/``class`` lines."""
    return ctx.memo(f"liveness:{keyword}:{name}", lambda: _count(ctx, name, keyword))


def _count(ctx: ScanContext, name: str, keyword: str) -> bool:
    word = re.compile(rf"\b{re.escape(name)}\b")
    definition = re.compile(rf"\b{keyword}\s+{re.escape(name)}\b")
    for text in _caller_texts(ctx):
        if name in text and len(word.findall(text)) > len(definition.findall(text)):
            return True
    return False


def _caller_texts(ctx: ScanContext) -> list[str]:
    def read() -> list[str]:
        if ctx.repo is None:
            return []
        # a test calling a function exercises it; it does not make the project run it
        return [t for p in ctx.files() if _CALLERS.search(p) and not is_test_path(p)
                and ctx.repo.size(p) <= MAX_CALLER_BYTES for t in [ctx.text(p)] if t]
    return ctx.memo("liveness:texts", read)
