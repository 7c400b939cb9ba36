"""GitHub Actions workflows (.github/workflows/*.yml) read into the CI model.

A step using a local composite action (``uses: ./.github/actions/setup``) stands for the
action's steps, which discovery reads into the job after it.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from typing import Any

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, disabled_condition, flatten, scalars, truthy
from detectors.shapes import one_or_many

SYSTEM = "GitHub Actions"

_EVENTS = {
    "push": m.PUSH, "pull_request": m.PULL_REQUEST, "pull_request_target": m.PULL_REQUEST,
    "merge_group": m.PULL_REQUEST, "release": m.RELEASE, "schedule": m.SCHEDULE,
    "workflow_dispatch": m.MANUAL, "workflow_call": m.WORKFLOW_CALL, "workflow_run": m.WORKFLOW_RUN,
    "repository_dispatch": m.REPOSITORY_DISPATCH, "registry_package": m.RELEASE,
}


_WORKFLOW = re.compile(r"(^|/)\.github/workflows/[^/]+\.ya?ml$", re.I)


def is_workflow(path: str) -> bool:
    """Workflow files live directly in .github/workflows/: the repository's, or those of a
    project kept in a folder (``seedcode/.github/workflows/``), whose paths start there."""
    return bool(_WORKFLOW.search(path))


def project_root(path: str) -> str:
    """The folder a workflow's repository starts at: '' for the repository's own workflows."""
    return path[:_WORKFLOW.search(path).start()] if is_workflow(path) else ""


def triggers(on: Any) -> frozenset[str]:
    """Normalised triggers of an ``on:`` value (string, list or mapping)."""
    events = on if isinstance(on, dict) else {e: None for e in one_or_many(on) if isinstance(e, str)}
    out: set[str] = set()
    for event, conf in events.items():
        name = _EVENTS.get(str(event))
        if name == m.PUSH and isinstance(conf, dict) and ("tags" in conf or "tags-ignore" in conf):
            out.add(m.TAG)
            if not ("branches" in conf or "branches-ignore" in conf or "paths" in conf):
                continue
        if name:
            out.add(name)
    return frozenset(out)


def _job_triggers(base: frozenset[str], condition: Any) -> frozenset[str]:
    """Narrow the workflow's triggers by a job ``if:`` on the event or ref."""
    cond = str(condition or "").replace('"', "'")
    if "event_name == 'pull_request'" in cond and "||" not in cond:
        return base & {m.PULL_REQUEST}
    if "event_name == 'schedule'" in cond and "||" not in cond:
        return base & {m.SCHEDULE}
    if "event_name == 'workflow_dispatch'" in cond and "||" not in cond:
        return base & {m.MANUAL}  # (an opt-in job the workflow runs only when someone starts it)
    if ("refs/heads/" in cond or "event_name == 'push'" in cond or "event_name != 'pull_request'" in cond) and "||" not in cond:
        return base - {m.PULL_REQUEST}
    return base


def _environment(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value else None


def _workdir(*scopes: dict) -> str:
    """The ``defaults.run.working-directory`` of the first scope (job, then workflow) that sets one."""
    for scope in scopes:
        defaults = scope.get("defaults") if isinstance(scope.get("defaults"), dict) else {}
        run = defaults.get("run") if isinstance(defaults.get("run"), dict) else {}
        if run.get("working-directory"):
            return str(run["working-directory"])
    return ""


#: an input read in an expression: ``${{ inputs.name }}``, ``${{ github.event.inputs.name }}``, with
#: a literal fallback (``${{ inputs.model || 'nyc_taxi' }}``).
_INPUT = re.compile(r"""\$\{\{\s*(?:github\.event\.)?inputs\.([\w-]+)\s*(?:\|\|\s*['"]([^'"]*)['"]\s*)?\}\}""")


def input_defaults(inputs: Any) -> tuple[tuple[str, str], ...]:
    """Defaults of an ``inputs:`` mapping (an action's, or a workflow's ``workflow_call``)."""
    if not isinstance(inputs, dict):
        return ()
    return scalars({k: v.get("default") for k, v in inputs.items() if isinstance(v, dict)})


def substitute(text: str, values: dict[str, str]) -> str:
    """``text`` with the inputs it reads replaced by their values (a fallback literal when the
    input has none); inputs of unknown value are left as written."""
    if "inputs." not in text:
        return text
    return _INPUT.sub(lambda m: values.get(m.group(1)) or (m.group(2) if m.group(2) is not None else m.group(0)),
                      text)


def with_inputs(step: Step, values: dict[str, str]) -> Step:
    """A step with the inputs it reads filled in."""
    if not values:
        return step
    return replace(step, run=substitute(step.run, values), args=substitute(step.args, values),
                   inputs=tuple((k, substitute(v, values)) for k, v in step.inputs))


def _workflow_defaults(on: Any) -> tuple[tuple[str, str], ...]:
    events = on if isinstance(on, dict) else {}
    out: dict[str, str] = {}
    for event in ("workflow_dispatch", "workflow_call"):
        conf = events.get(event)
        out.update(input_defaults(conf.get("inputs")) if isinstance(conf, dict) else ())
    return tuple(out.items())


def _steps(job: dict, finder: LineFinder, start: int, root: str = "", workflow: dict | None = None) -> list[Step]:
    out: list[Step] = []
    cursor = start
    workdir = _workdir(job, workflow or {})
    for raw in one_or_many(job.get("steps")):
        if not isinstance(raw, dict):
            continue
        uses = str(raw.get("uses") or "")
        run = str(raw.get("run") or "") or _inline_script(uses, raw.get("with"))
        line = (finder.text(run, cursor) if run else None) or (finder.text(uses, cursor) if uses else None)
        cursor = line or cursor
        out.append(Step(
            line=line,
            name=str(raw.get("name") or ""),
            run=run,
            uses=uses,
            args=flatten(raw.get("with")),
            neutered=truthy(raw.get("continue-on-error")) or disabled_condition(raw.get("if"))
            or never_fails(uses, raw.get("with")),
            workdir=_under(root, str(raw.get("working-directory") or workdir)),
            include=_under(root, uses.split("@", 1)[0]) if uses.startswith("./") else "",
            inputs=scalars(raw.get("with")) if uses.startswith("./") else (),
        ))
    return out


#: scanner actions told to report without failing the step (``soft_fail: true``), or that do not
#: fail unless told to (Trivy's ``exit-code`` defaults to 0): action -> (input, value that never fails;
#: None: a true value)
_REPORT_ONLY = {"aquasecurity/tfsec-action": ("soft_fail", None), "bridgecrewio/checkov-action": ("soft_fail", None),
                "aquasecurity/trivy-action": ("exit-code", "0"), "anchore/scan-action": ("fail-build", "false")}


def never_fails(uses: str, inputs: Any) -> bool:
    """A scanner action that reports findings without failing its step."""
    rule = _REPORT_ONLY.get(uses.split("@", 1)[0].lower())
    if rule is None:
        return False
    key, quiet = rule
    value = inputs.get(key) if isinstance(inputs, dict) else None
    if quiet is None:
        return truthy(value)
    return str(value if value is not None else quiet).strip().lower() == quiet


#: actions that run what an input names: a shell script (the step's commands), or a notebook of
#: the repository that Databricks' action runs as a one-time job (read like a job's notebook task).
_SCRIPT_ACTIONS = {"azure/cli": ("inlineScript", ""), "azure/powershell": ("inlineScript", ""),
                   "databricks/run-notebook": ("local-notebook-path", "python ")}


def _inline_script(uses: str, inputs: Any) -> str:
    """The script an action such as ``azure/cli`` runs from its ``inlineScript`` input."""
    key, prefix = _SCRIPT_ACTIONS.get(uses.split("@", 1)[0].lower(), ("", ""))
    value = inputs.get(key) if key and isinstance(inputs, dict) else None
    return prefix + value if isinstance(value, str) else ""


def _under(root: str, path: str) -> str:
    """A path of the workflow's project made repository-relative and normalised (``./app`` is
    ``app``; '' is the repository's root)."""
    joined = posixpath.normpath(posixpath.join(root, path)) if root or path else "."
    return "" if joined == "." else joined


def action_steps(path: str, docs: list[Any], text: str) -> list[Step]:
    """Steps of a composite action's ``action.yml`` (none for JavaScript or Docker actions)."""
    doc = docs[0] if docs else None
    runs = doc.get("runs") if isinstance(doc, dict) else None
    if not isinstance(runs, dict) or str(runs.get("using")).lower() != "composite":
        return []
    return _steps(runs, LineFinder(text), 1)


#: a starter workflow's placeholder left in place (``AWS_REGION: MY_AWS_REGION``).
_PLACEHOLDER = re.compile(r"^(MY_[A-Z0-9_]+|<[^>]+>|your[-_ ][\w -]+)$", re.I)


def _unfilled_starter(doc: dict) -> bool:
    """A starter workflow copied in and never filled in: its settings are still the template's
    placeholders, so its steps cannot work."""
    values = [str(v) for _, v in scalars(doc.get("env"))]
    return len(values) >= 2 and sum(bool(_PLACEHOLDER.match(v.strip())) for v in values) * 2 >= len(values)


def parse(path: str, docs: list[Any], text: str) -> Pipeline:
    """Jobs of one workflow file; ``on`` is read under both ``on`` and YAML 1.1's ``True``."""
    doc = docs[0] if docs else None
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return Pipeline(path, SYSTEM, error="not a workflow: no jobs mapping")
    on = doc.get("on", doc.get(True))
    # With no event at all (``on:`` left empty once every trigger is commented out) GitHub
    # rejects the workflow: none of its jobs can ever run.
    never_runs = not on or _unfilled_starter(doc)
    base = triggers(on)
    defaults = _workflow_defaults(on)
    finder = LineFinder(text)
    jobs_line = finder.key("jobs") or 1
    jobs: list[Job] = []
    called: list[tuple[str, frozenset[str]]] = []
    for name, job in doc["jobs"].items():
        if not isinstance(job, dict):
            continue
        line = finder.key(name, jobs_line)
        job_triggers = _job_triggers(base, job.get("if"))
        steps = _steps(job, finder, line or jobs_line, project_root(path), doc)
        uses = str(job.get("uses") or "")
        if uses:  # a reusable workflow: its jobs run with this workflow's triggers and the inputs it hands on
            steps.append(Step(line=finder.text(uses, line or 1), uses=uses, args=flatten(job.get("with"))))
            if uses.startswith("./"):
                handed = tuple((k, substitute(v, dict(defaults))) for k, v in scalars(job.get("with")))
                called.append((_under(project_root(path), uses[2:].split("@", 1)[0]), job_triggers, handed))
        jobs.append(Job(
            file=path, system=SYSTEM, name=str(name), line=line, triggers=job_triggers,
            steps=tuple(steps), environment=_environment(job.get("environment")),
            neutered=never_runs or truthy(job.get("continue-on-error")) or disabled_condition(job.get("if")),
            needs=tuple(str(n) for n in one_or_many(job.get("needs"))),
            runner=" ".join(str(r) for r in one_or_many(job.get("runs-on")) if isinstance(r, (str, int))),
        ))
    return Pipeline(path, SYSTEM, tuple(jobs), called_workflows=tuple(called), input_defaults=defaults)
