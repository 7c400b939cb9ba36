"""Azure Pipelines read into the CI model: ``azure-pipelines*.yml``, files under
``.azure-pipelines/`` or ``.pipelines/``, and pipelines found by shape anywhere.

``template:`` references (steps, jobs, stages, ``extends``) become steps that stand for the
template; discovery reads the template, wherever it lives, into their place.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Callable, Iterator

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, disabled_condition, flatten, scalars, truthy
from detectors.shapes import one_or_many

SYSTEM = "Azure Pipelines"
_SCRIPT_KEYS = ("script", "bash", "pwsh", "powershell")
_INLINE_INPUTS = ("inlineScript", "script", "arguments", "command", "scriptPath", "inline")


def is_pipeline(path: str) -> bool:
    """azure-pipelines*.yml anywhere, or any YAML under .azure-pipelines/ or .pipelines/."""
    low = path.lower()
    base = low.rsplit("/", 1)[-1]
    if not low.endswith((".yml", ".yaml")):
        return False
    return base.startswith("azure-pipelines") or low.startswith((".azure-pipelines/", ".pipelines/", ".azuredevops/"))


#: keys of a pipeline (not of a bare steps template), and what a step is made of.
_PIPELINE_KEYS = frozenset({"trigger", "pr", "schedules", "pool", "stages", "jobs", "extends", "resources"})
_TOP_KEYS = _PIPELINE_KEYS | {"steps", "variables", "parameters", "name", "lockBehavior", "container",
                              "appendCommitMessageToRunName", "workspace", "strategy", "services"}
_STEP_KINDS = ("script", "bash", "pwsh", "powershell", "task", "template", "checkout", "download", "publish")


def looks_like(doc: Any) -> bool:
    """An Azure Pipelines file by shape: pipeline keys only, with stages, jobs or steps of its kind."""
    if not isinstance(doc, dict) or not set(map(str, doc)) <= _TOP_KEYS or not set(map(str, doc)) & _PIPELINE_KEYS:
        return False
    items = [i for key in ("stages", "jobs", "steps") for i in one_or_many(doc.get(key)) if isinstance(i, dict)]
    return any(k in i for i in items for k in ("stage", "job", "deployment", *_STEP_KINDS)) or \
        isinstance(doc.get("extends"), dict)


def _triggers(doc: dict) -> frozenset[str]:
    out: set[str] = set()
    if doc.get("trigger", "default") not in ("none", None, [], False):
        out.add(m.PUSH)
        if "tags" in flatten(doc.get("trigger")):
            out.add(m.TAG)
    if doc.get("pr", "default") not in ("none", None, [], False):
        out.add(m.PULL_REQUEST)
    if doc.get("schedules"):
        out.add(m.SCHEDULE)
    if "trigger" in flatten((doc.get("resources") or {}).get("pipelines") if isinstance(doc.get("resources"), dict) else None):
        out.add(m.WORKFLOW_RUN)
    return frozenset(out)


def _raw_jobs(doc: dict) -> Iterator[tuple[dict, dict]]:
    """(stage, job) pairs, whether the file has stages, jobs or only steps."""
    extends = doc.get("extends")
    if isinstance(extends, dict) and isinstance(extends.get("template"), str):
        yield {}, {"job": extends["template"], "template": extends["template"]}
    if isinstance(doc.get("stages"), list):
        for stage in doc["stages"]:
            if isinstance(stage, dict) and isinstance(stage.get("template"), str):
                yield {}, {"job": stage["template"], "template": stage["template"]}
            elif isinstance(stage, dict):
                for job in one_or_many(stage.get("jobs")):
                    if isinstance(job, dict):
                        yield stage, job
    elif isinstance(doc.get("jobs"), list):
        for job in doc["jobs"]:
            if isinstance(job, dict):
                yield {}, job
    elif isinstance(doc.get("steps"), list):
        yield {}, {"job": "default", "steps": doc["steps"]}


def _job_steps(job: dict) -> list[Any]:
    steps = list(one_or_many(job.get("steps")))
    strategy = job.get("strategy") if isinstance(job.get("strategy"), dict) else {}
    for plan in strategy.values():  # deployment jobs: runOnce / rolling / canary hooks
        if isinstance(plan, dict):
            for hook in plan.values():
                if isinstance(hook, dict):
                    steps += one_or_many(hook.get("steps"))
    return steps


#: the macros that name the checked-out repository (``$(Build.SourcesDirectory)/src/train.py``):
#: a path under them is the repository's own
_AT_SOURCES = re.compile(r"\$\((?:Build\.SourcesDirectory|System\.DefaultWorkingDirectory|Build\.Repository\.LocalPath"
                         r"|Pipeline\.Workspace/s)\)/")


def _step(raw: dict, finder: LineFinder, cursor: int) -> Step:
    if isinstance(raw.get("template"), str):
        return Step(line=finder.text(raw["template"], cursor), name=str(raw["template"]), include=raw["template"],
                    args=flatten(raw.get("parameters")), inputs=scalars(raw.get("parameters")))
    run = _AT_SOURCES.sub("", next((str(raw[k]) for k in _SCRIPT_KEYS if raw.get(k)), ""))
    task = str(raw.get("task") or "")
    inputs = raw.get("inputs") if isinstance(raw.get("inputs"), dict) else {}
    if task and not run:
        run = "\n".join(str(inputs[k]) for k in _INLINE_INPUTS if isinstance(inputs.get(k), str) and k != "command")
    line = (finder.text(run, cursor) if run else None) or (finder.text(task, cursor) if task else None)
    return Step(
        line=line, name=str(raw.get("displayName") or ""), run=run, uses=task, args=flatten(inputs),
        neutered=truthy(raw.get("continueOnError")) or disabled_condition(raw.get("condition"))
        or raw.get("enabled") is False,
        gate=task.lower().startswith("manualvalidation"),
    )


def parameter_defaults(doc: Any) -> dict[str, str]:
    """Defaults of the parameters a template declares: a list of ``{name, type, default}`` or the
    older mapping of names to defaults."""
    declared = doc.get("parameters") if isinstance(doc, dict) else None
    if isinstance(declared, list):
        declared = {p["name"]: p.get("default") for p in declared if isinstance(p, dict) and "name" in p}
    return dict(scalars(declared))


_PARAMETER = re.compile(r"\$\{\{\s*parameters\.([\w-]+)\s*\}\}")


def with_parameters(step: Step, values: dict[str, str]) -> Step:
    """A template's step with the parameters it reads (``${{ parameters.script }}``) filled in
    with what the caller passed, or the template's defaults; unknown ones are left as written."""
    if not values:
        return step
    return _filled(step, lambda text: _PARAMETER.sub(lambda m: values.get(m.group(1), m.group(0)), text)
                   if "parameters." in text else text)


def _filled(step: Step, fill: Callable[[str], str]) -> Step:
    """The step with ``fill`` applied to every text it holds."""
    return replace(step, run=fill(step.run), args=fill(step.args), include=fill(step.include),
                   inputs=tuple((k, fill(v)) for k, v in step.inputs))


#: a variable's macro (``$(amlPipelineRunner)``), expanded where the pipeline declares the variable
_MACRO = re.compile(r"\$\(([\w.-]+)\)")


def _variables(*scopes: Any) -> dict[str, str]:
    """Variables the pipeline, stage and job declare with a literal value (the innermost wins):
    a mapping of names to values, or a list of ``{name, value}`` (groups and templates are not read)."""
    out: dict[str, str] = {}
    for scope in scopes:
        declared = scope.get("variables") if isinstance(scope, dict) else None
        if isinstance(declared, dict):
            out.update(scalars(declared))
        elif isinstance(declared, list):
            out.update((str(v["name"]), str(v["value"])) for v in declared if isinstance(v, dict) and "name" in v
                       and isinstance(v.get("value"), (str, int, float, bool)))
    return out


def with_variables(step: Step, values: dict[str, str]) -> Step:
    """A step with the macros of the variables its pipeline declares filled in
    (``python $(amlPipelineRunner)`` -> ``python code/pipelines/retrain_model.py``)."""
    if not values or "$(" not in step.run + step.args:
        return step
    return _filled(step, lambda text: _MACRO.sub(lambda m: values.get(m.group(1), m.group(0)), text))


def stands_for_jobs(job: Job) -> bool:
    """A job that is a ``jobs``/``stages``/``extends`` template reference: the template's jobs
    take its place (each keeps its own gates, environment and dependencies)."""
    return len(job.steps) == 1 and bool(job.steps[0].include) and job.steps[0].include == job.name


def parse(path: str, docs: list[Any], text: str) -> Pipeline:
    """Jobs (and deployment jobs) of one Azure Pipelines file."""
    doc = docs[0] if docs else None
    if not isinstance(doc, dict):
        return Pipeline(path, SYSTEM, error=None if doc is None else "not an Azure Pipelines mapping")
    finder = LineFinder(text)
    base = _triggers(doc)
    jobs: list[Job] = []
    for stage, job in _raw_jobs(doc):
        variables = _variables(doc, stage, job)
        name = str(job.get("deployment") or job.get("job") or job.get("template") or "job")
        line = finder.text(name) if name != "default" else None
        steps = []
        cursor = line or 1
        template = {"template": job["template"]} if isinstance(job.get("template"), str) else None
        for raw in [template] if template else _job_steps(job):
            if isinstance(raw, dict):
                step = _step(raw, finder, cursor)
                cursor = step.line or cursor
                steps.append(with_variables(step, variables))
        env = job.get("environment")
        env_name = str(env.get("name") if isinstance(env, dict) else env) if env else None
        condition = job.get("condition") or stage.get("condition")
        jobs.append(Job(
            file=path, system=SYSTEM, name=name, line=line, triggers=base, steps=tuple(steps),
            environment=env_name,
            manual=any(s.gate for s in steps) or str((job.get("pool") or "")).lower() == "server",
            neutered=truthy(job.get("continueOnError")) or disabled_condition(condition),
            needs=tuple(str(d) for d in one_or_many(job.get("dependsOn"))),
        ))
    return Pipeline(path, SYSTEM, tuple(jobs))
