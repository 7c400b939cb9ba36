"""What a Python module that CI runs does, told by the calls it makes.

A module whose name says nothing (``python run.py``) is classified by what it calls:
``pytest.main`` runs tests, ``.fit`` in a file using an ML library trains, a deploy SDK call
deploys. A module that submits a pipeline (Vertex ``PipelineJob``, Kubeflow ``Client``, a
SageMaker pipeline's ``upsert``/``start``, a TFX runner, Azure ML) runs that pipeline, which
is training when the pipeline trains: the module, the local modules it imports and the local
modules its command line names are read for training steps.
"""
from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass
from typing import Iterable

from detectors.catalogue import Pattern
from detectors.ci import classify as k
from detectors.ci.classify import script_kinds
from scanner.detector import ScanContext
from scanner.parsing.python import Call, MAX_PARSE_BYTES, PyFacts, walk

#: local modules read to learn whether a submitted pipeline trains.
MAX_LOCAL_MODULES = 12
#: import hops followed from a module to the helper that submits its pipeline.
HOPS = 3

_ML_LIBS = ("sklearn", "tensorflow", "keras", "torch", "lightning", "pytorch_lightning", "xgboost",
            "lightgbm", "catboost", "transformers", "statsmodels", "prophet", "autogluon", "pycaret",
            "fastai", "ultralytics", "sentence_transformers", "spacy", "jax", "flax", "tfx", "sagemaker",
            "mlflow", "ray.train", "gluonts", "darts", "sktime", "neuralprophet", "setfit", "peft", "trl")
_DEPLOY_SDKS = ("sagemaker", "google.cloud.aiplatform", "azureml", "azure.ai.ml", "mlflow.deployments",
                "mlflow.sagemaker", "boto3", "databricks.sdk", "kubernetes", "modal", "bentoml", "truss")

_FIT_CALLS = (".fit", ".fit_generator", "xgboost.train", "lightgbm.train", "*Trainer.train", "ultralytics.*.train")
#: (kind, modules one of which the file must import (none: any file), call patterns).
_CALL_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (k.TEST, (), ("pytest.main", "unittest.main", "unittest.*TestRunner.run", "nose.run", "nose2.main")),
    (k.TRAIN, _ML_LIBS, _FIT_CALLS),
    # a model (or an LLM application) evaluated against a dataset: MLflow's evaluation, RAG judges
    (k.TRAIN, ("mlflow", "ragas", "deepeval"), ("mlflow.evaluate", "mlflow.models.evaluate", "mlflow.genai.evaluate",
                                               "mlflow.genai.evaluation.*evaluate", "ragas.evaluate", "deepeval.evaluate")),
    (k.DEPLOY, _DEPLOY_SDKS, (".deploy", ".deploy_model", "*.online_deployments.begin_create_or_update",
                              "*.online_endpoints.begin_create_or_update", "*.batch_deployments.begin_create_or_update",
                              "boto3.client.create_endpoint", "boto3.client.update_endpoint", ".update_endpoint",
                              "mlflow.deployments.*.create_deployment", "mlflow.deployments.*.update_deployment",
                              "mlflow.sagemaker.deploy", "*.serving_endpoints.create", "*.serving_endpoints.update_config",
                              "*.patch_namespaced_deployment", "*.replace_namespaced_deployment",
                              "google.cloud.aiplatform.Endpoint.create")),
    # a registered model version moved to an alias or stage: the serving pointer changes
    (k.PROMOTE, ("mlflow",), (".set_registered_model_alias", ".transition_model_version_stage")),
)
#: calls that run or submit a pipeline (each a group: all of its patterns must be called).
_PIPELINE_RUNS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    ((), ("google.cloud.aiplatform.PipelineJob*.run",)),
    ((), ("google.cloud.aiplatform.PipelineJob*.submit",)),
    ((), ("google.cloud.aiplatform.pipeline_jobs.PipelineJob*.*",)),
    ((), ("kfp.*Client.create_run_from_*",)),
    ((), ("kfp.*Client.run_pipeline",)),
    # a Kubeflow runner only compiles the pipeline to a file; the local and Beam runners run it
    ((), ("tfx.orchestration.*LocalDagRunner.run",)),
    ((), ("tfx.orchestration.*BeamDagRunner.run",)),
    ((), ("azure.ai.ml.MLClient.jobs.create_or_update",)),
    ((), ("zenml.client.Client.trigger_pipeline",)),
    ((), ("azureml.core.Experiment.submit",)),
    ((), ("azureml.pipeline.core.*.submit",)),
    (("sagemaker",), (".upsert", ".start")),
)
#: a pipeline definition registered or compiled, and what would start it: a module that does the
#: first without the second publishes the pipeline, it runs nothing (``train_pipeline.py`` upserting
#: a SageMaker pipeline that a schedule or a person starts elsewhere).
_REGISTERS = (
    (("sagemaker",), tuple(Pattern.parse(p) for p in (".upsert", ".create")), tuple(Pattern.parse(p) for p in (".start",))),
    (("kfp",), tuple(Pattern.parse(p) for p in ("kfp.*Compiler.compile",)),
     tuple(Pattern.parse(p) for p in ("kfp.*Client.create_run_from_*", "kfp.*Client.run_pipeline",
                                      "google.cloud.aiplatform.PipelineJob*"))),
)
#: calls that build a training step into a pipeline.
_TRAINING_STEPS = tuple(Pattern.parse(p) for p in (
    "*.Trainer", "tfx.*Trainer", "sagemaker.*TrainingStep", "sagemaker.*Estimator", "sagemaker.*.estimator.*",
    "google_cloud_pipeline_components.*Training*", "*CustomTrainingJob*", "*AutoML*TrainingJob*",
    "azure.ai.ml.automl.*", "azureml.train.*", "azureml.pipeline.steps.*Train*"))
_FIT = tuple(Pattern.parse(p) for p in _FIT_CALLS)
_COMPILED = tuple((kind, guard, tuple(Pattern.parse(p) for p in pats)) for kind, guard, pats in _CALL_RULES)
_COMPILED_RUNS = tuple((guard, tuple(Pattern.parse(p) for p in pats)) for guard, pats in _PIPELINE_RUNS)


@dataclass(frozen=True)
class ModuleKinds:
    """What a module does, and the line of the call that shows it."""

    path: str
    kinds: frozenset[str]
    line: int | None
    what: str
    """The call that shows it (``calls pytest.main``)."""


def _first(calls: Iterable[Call], patterns: tuple[Pattern, ...]) -> Call | None:
    return next((c for c in calls for p in patterns if p.matches(c)), None)


def _imports(facts: PyFacts, modules: tuple[str, ...]) -> bool:
    return not modules or facts.imports_any(modules) is not None


class Modules:
    """Finds the Python modules CI commands run and reads what they do (cached per scan)."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self._spans: dict[str, tuple[dict[str, tuple[int, int]], dict[str, str]]] = {}

    # -- where a module is -------------------------------------------------------------------
    def publishes_pipeline(self, path: str) -> bool:
        """The module registers or compiles a pipeline definition and never starts a run of it."""
        facts = self.ctx.python(path)
        return facts is not None and any(
            _imports(facts, guard) and _first(facts.calls, registers) and not _first(facts.calls, starts)
            for guard, registers, starts in _REGISTERS)

    def find(self, target: str, dirs: Iterable[str]) -> str | None:
        """Repository path of a script (``a/b.py``) or dotted module (``a.b``), tried from ``dirs``."""
        if self.ctx.repo is None or not target or "$" in target:
            return None
        if target.endswith((".py", ".ipynb")):
            names = [target]
        else:
            rel = target.replace(".", "/")
            names = [f"{rel}.py", f"{rel}/__main__.py", f"{rel}.ipynb", f"src/{rel}.py", f"src/{rel}/__main__.py"]
        for folder in dict.fromkeys([*dirs, ""]):
            for name in names:
                path = posixpath.normpath(posixpath.join(folder, name)) if folder else posixpath.normpath(name)
                if not path.startswith("..") and self.ctx.repo.exists(path):
                    return path
        return None

    def local_imports(self, path: str, facts: PyFacts, dirs: tuple[str, ...] = ()) -> list[str]:
        """Repository modules that ``path`` imports (``from src.x import y`` -> ``src/x/y.py``),
        looked up from the root, the project folders ``dirs``, the module's own folder and its
        parent (a notebook in ``notebooks/`` importing the modules beside that folder)."""
        out: list[str] = []
        here = posixpath.dirname(path)
        folders = list(dict.fromkeys(["", *dirs, here, posixpath.dirname(here)]))
        # (each folder's ``src/`` too: a src layout's packages import from there)
        folders += [posixpath.join(d, "src") for d in folders]
        for name in facts.imports:
            for candidate in (name, name.rsplit(".", 1)[0] if "." in name else ""):
                rel = candidate.replace(".", "/")
                paths = [posixpath.join(d, f"{rel}{end}") for d in folders for end in (".py", "/__init__.py")]
                found = next((p for p in paths if candidate and self.ctx.repo is not None and self.ctx.repo.exists(p)), None)
                if found and found not in out:
                    out.append(found)
                    break
        return out[:MAX_LOCAL_MODULES]

    # -- what it does -------------------------------------------------------------------------
    def kinds(self, path: str, args: tuple[str, ...] = (), by_calls: bool = True,
              dirs: tuple[str, ...] = ()) -> ModuleKinds | None:
        """Kinds of the module at ``path`` run with ``args``; None when it shows none.

        A submitted pipeline is always looked for; ``by_calls`` also classifies by the generic
        calls (tests, fit, deploy). ``dirs`` are where modules named in ``args`` are looked up.
        An argument naming a function of the module (``--mode deploy-model``) narrows the calls
        read to that function's.
        """
        facts = self.ctx.python(path)
        if facts is None:
            return None
        calls = self._narrowed(path, facts, args)
        run = self._pipeline_run(path, facts, calls, args, dirs)
        if run is not None:
            return run
        if not by_calls:
            return None
        for kind, guard, patterns in _COMPILED:
            if _imports(facts, guard):
                call = _first(calls, patterns)
                if call is not None:
                    return ModuleKinds(path, frozenset({kind}), call.line, f"calls {call.name.lstrip('.')}")
        # the call may sit in a project helper the module imports and calls (a job's notebook
        # doing ``from deploy import deploy`` then ``deploy(model_uri)``)
        for helper in self.local_imports(path, facts, dirs):
            found = self.ctx.python(helper)
            for kind, guard, patterns in _COMPILED if found is not None else ():
                call = _first(found.calls, patterns) if _imports(found, guard) else None
                if call is not None and self._calls_helper(calls, helper, call.line):
                    return ModuleKinds(path, frozenset({kind}), None,
                                       f"calls {call.name.lstrip('.')} through {helper}:{call.line}")
        return None

    def _pipeline_run(self, path: str, facts: PyFacts, calls: tuple[Call, ...], args: tuple[str, ...],
                      dirs: tuple[str, ...]) -> ModuleKinds | None:
        paths = [path, *self.local_imports(path, facts, dirs), *self._named_modules(path, args, dirs)]
        reach = [(p, f) for p, f in ((p, self.ctx.python(p)) for p in paths) if f is not None]
        # the submission a few hops away: an end-to-end test calling the project's runner, which
        # calls its trigger helper, which submits (``test_e2e -> pipeline_e2e_test -> trigger``)
        seen = {p for p, _ in reach}
        frontier = list(reach[1:])
        # (the helpers import from where the module itself does: its project folder, its src/)
        roots = tuple(dict.fromkeys((*dirs, posixpath.dirname(path), posixpath.dirname(posixpath.dirname(path)))))
        for _ in range(HOPS - 1):
            frontier = [(q, g) for p, f in frontier for q in self.local_imports(p, f, roots) if q not in seen
                        and not seen.add(q) and (g := self.ctx.python(q)) is not None]
            reach += frontier
        for guard, patterns in _COMPILED_RUNS:
            if guard and not any(_imports(f, guard) for _, f in reach):
                continue
            # the submission may sit in a project helper the module imports and calls (``execute_pipeline(job)``)
            for where, found in ((p, [_first(calls if p == path else f.calls, (pat,)) for pat in patterns])
                                 for p, f in reach):
                if all(found) and (where == path or self._reaches(calls, where, found[-1].line, reach)):
                    call = found[-1]
                    kinds = {k.DATA_PIPELINE}
                    if any(self._trains(p, f) for p, f in reach):
                        kinds.add(k.TRAIN)
                    if where == path:
                        return ModuleKinds(path, frozenset(kinds), call.line, f"calls {call.name.lstrip('.')}")
                    return ModuleKinds(path, frozenset(kinds), None,
                                       f"submits through {where}:{call.line} ({call.name.lstrip('.')})")
        return None

    def _calls_helper(self, calls: tuple[Call, ...], helper: str, line: int) -> bool:
        """One of ``calls`` runs the function of ``helper`` whose body holds ``line``, or a function
        of ``helper`` that calls it (``prepare_and_execute`` -> ``execute`` -> the submission)."""
        owners = self._owners(helper, line)
        return any(c.name.rsplit(".", 1)[-1] in owners for c in calls)

    def _owners(self, helper: str, line: int) -> set[str]:
        """The function of ``helper`` holding ``line`` and the functions of ``helper`` calling it."""
        spans = self._function_spans(helper)
        facts = self.ctx.python(helper)
        owners = {name for name, (a, b) in spans.items() if a <= line <= b}
        for _ in range(3):
            callers = {name for name, (a, b) in spans.items() if facts is not None and any(
                a <= c.line <= b and c.name.rsplit(".", 1)[-1] in owners for c in facts.calls)}
            if callers <= owners:
                break
            owners |= callers
        return owners

    def _reaches(self, calls: tuple[Call, ...], where: str, line: int, reach: list[tuple[str, PyFacts]]) -> bool:
        """``calls`` run the function of ``where`` holding ``line``: directly, or through the
        functions of other reached modules that call it, hop by hop."""
        frontier = [(where, line)]
        for _ in range(HOPS):
            if any(self._calls_helper(calls, mod, at) for mod, at in frontier):
                return True
            frontier = [(p, c.line) for mod, at in frontier for owners in [self._owners(mod, at)]
                        for p, f in reach if p != mod for c in f.calls if c.line
                        and c.name.rsplit(".", 1)[-1] in owners][:MAX_LOCAL_MODULES]
            if not frontier:
                return False
        return False

    def _named_modules(self, path: str, args: tuple[str, ...], dirs: tuple[str, ...]) -> list[str]:
        """Local modules the command line names (``--module-name pipelines.abalone.pipeline``, or
        ``--module-name pipeline`` run beside it)."""
        out = []
        for before, word in zip(("", *args), args):
            if word.startswith("-") or not re.fullmatch(r"[\w./-]+", word):
                continue
            # a dotted or slashed word, or any word handed to a ``--module-name`` option
            named = "." in word or "/" in word or (before.startswith("-") and "module" in before)
            found = self.find(word, [*dirs, posixpath.dirname(path)]) if named else None
            if found and found != path:
                out.append(found)
        return out[:MAX_LOCAL_MODULES]

    def _trains(self, path: str, facts: PyFacts) -> bool:
        """The module builds or runs training: a training step, a fit call, a train function, or a
        pipeline definition with a training step in it."""
        if k.TRAIN in script_kinds(path.rsplit(".", 1)[0]):
            return True
        if _first(facts.calls, _TRAINING_STEPS) is not None:
            return True
        if _imports(facts, _ML_LIBS) and _first(facts.calls, _FIT) is not None:
            return True
        return any(k.TRAIN in script_kinds(name) for name in facts.defs) or self._training_step(path)

    def _training_step(self, path: str) -> bool:
        """A pipeline definition (a function decorated ``@pipeline``/``@dsl.pipeline``) names a
        step for training (``train_step = components["train"](training_data=...)``)."""
        text = self.ctx.text(path) or ""
        tree = self.ctx.tree(path) if "pipeline" in text and "train" in text else None
        if tree is None:
            return False
        for fn in walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    _last_name(d.func if isinstance(d, ast.Call) else d) == "pipeline" for d in fn.decorator_list):
                names = {n.id for n in walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                names |= {kw.arg for n in walk(fn) if isinstance(n, ast.Call) for kw in n.keywords if kw.arg}
                if any(k.TRAIN in script_kinds(name) for name in names):
                    return True
        return False

    def _narrowed(self, path: str, facts: PyFacts, args: tuple[str, ...]) -> tuple[Call, ...]:
        """Calls of the function an argument names (a mode of a multi-purpose script, a CLI's
        sub-command), else all."""
        words = {w.replace("-", "_") for w in args if not w.startswith("-")}
        commands = {c.replace("-", "_"): f for c, f in self._commands(path).items()}
        wanted = (words & set(facts.defs)) | {commands[w] for w in words if w in commands}
        if not wanted:
            return facts.calls
        spans = self._function_spans(path)
        ranges = [spans[name] for name in wanted if name in spans]
        if not ranges:
            return facts.calls
        return tuple(c for c in facts.calls if any(a <= c.line <= b for a, b in ranges))

    def _function_spans(self, path: str) -> dict[str, tuple[int, int]]:
        return self._functions(path)[0]

    def _commands(self, path: str) -> dict[str, str]:
        """Sub-command names a CLI module declares (``@app.command("download")`` on
        ``data_download``, Typer and Click alike), to the functions they run."""
        return self._functions(path)[1]

    def _functions(self, path: str) -> tuple[dict[str, tuple[int, int]], dict[str, str]]:
        if path not in self._spans:
            spans: dict[str, tuple[int, int]] = {}
            commands: dict[str, str] = {}
            text = self.ctx.text(path) or ""
            if path.endswith(".py") and len(text) <= MAX_PARSE_BYTES:
                try:
                    tree = ast.parse(text)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    tree = None
                for node in walk(tree) if tree is not None else ():
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        spans.setdefault(node.name, (node.lineno, node.end_lineno or node.lineno))
                        for name in _command_names(node):
                            commands.setdefault(name, node.name)
            self._spans[path] = (spans, commands)
        return self._spans[path]


def _command_names(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """Names a ``@group.command("name")`` / ``@group.command(name="name")`` decorator gives ``func``."""
    names = []
    for deco in func.decorator_list:
        if isinstance(deco, ast.Call) and _last_name(deco.func) == "command":
            given = [*deco.args[:1], *(kw.value for kw in deco.keywords if kw.arg == "name")]
            names += [a.value for a in given if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return names


def _last_name(node: ast.expr) -> str:
    """``pipeline`` of ``dsl.pipeline`` or ``pipeline``."""
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
