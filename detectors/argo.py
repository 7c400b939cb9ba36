"""Argo Workflows read as pipelines: a workflow (or template) whose DAG or steps chain several
tasks declares a pipeline; a ``CronWorkflow``, or an Argo Events calendar whose sensor submits a
workflow, runs one on a schedule.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from detectors.shapes import as_dict, as_list, dicts
from detectors.tools import is_template_path
from scanner.detector import ScanContext

_WORKFLOW_KINDS = frozenset({"Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow"})
#: minimum tasks of a DAG (or steps of a steps template) that make a pipeline, not one container run
MIN_TASKS = 2


@dataclass(frozen=True)
class ArgoFinding:
    path: str
    line: int | None
    kind: str
    name: str
    tasks: tuple[str, ...] = ()


def _documents(ctx: ScanContext) -> Iterator[tuple[str, str, dict]]:
    """(path, text, document) of the YAML documents that Argo (Workflows or Events) defines."""
    for path, text, doc in ctx.yaml_documents("argoproj.io"):
        if not is_template_path(path) and str(doc.get("apiVersion", "")).startswith("argoproj.io/"):
            yield path, text, doc


def _line(text: str, kind: str) -> int | None:
    at = text.find(f"kind: {kind}")
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _tasks(spec: dict) -> tuple[str, ...]:
    """Names of the tasks of the workflow's DAG or steps templates (the largest of them)."""
    best: tuple[str, ...] = ()
    for template in dicts(as_dict(spec).get("templates")):
        tasks = [str(t.get("name")) for t in dicts(as_dict(template.get("dag")).get("tasks"))]
        steps = [str(s.get("name")) for group in as_list(template.get("steps"))
                 for s in (dicts(group) if isinstance(group, list) else [group] if isinstance(group, dict) else [])]
        found = tuple(tasks or steps)
        best = found if len(found) > len(best) else best
    return best


def pipelines(ctx: ScanContext) -> list[ArgoFinding]:
    """Workflows declaring a pipeline of several tasks."""
    out = []
    for path, text, doc in _documents(ctx):
        kind = str(doc.get("kind"))
        if kind not in _WORKFLOW_KINDS:
            continue
        spec = as_dict(doc.get("spec"))
        tasks = _tasks(as_dict(spec.get("workflowSpec")) if kind == "CronWorkflow" else spec)
        if len(tasks) >= MIN_TASKS:
            name = str(as_dict(doc.get("metadata")).get("name") or as_dict(doc.get("metadata")).get("generateName") or "?")
            out.append(ArgoFinding(path, _line(text, kind), kind, name, tasks))
    return out


def schedules(ctx: ScanContext) -> list[ArgoFinding]:
    """Workflows run on a schedule: an active ``CronWorkflow``, or an Argo Events calendar event
    source in a repository whose sensor submits a workflow."""
    out, calendars, submits = [], [], False
    for path, text, doc in _documents(ctx):
        kind, spec = str(doc.get("kind")), as_dict(doc.get("spec"))
        name = str(as_dict(doc.get("metadata")).get("name") or "?")
        if kind == "CronWorkflow" and (spec.get("schedule") or spec.get("schedules")) and spec.get("suspend") is not True:
            out.append(ArgoFinding(path, _line(text, kind), kind, name))
        elif kind == "EventSource" and as_dict(spec.get("calendar")):
            calendars.append(ArgoFinding(path, _line(text, kind), "EventSource calendar", name))
        elif kind == "Sensor" and any(_submits_workflow(t) for t in dicts(spec.get("triggers"))):
            submits = True
    return out + (calendars if submits else [])


def _submits_workflow(trigger: dict) -> bool:
    """A sensor trigger that submits an Argo workflow (``argoWorkflow``, or a Kubernetes
    resource of kind Workflow)."""
    template = as_dict(trigger.get("template"))
    if "argoWorkflow" in template:
        return True
    source = as_dict(as_dict(as_dict(template.get("k8s")).get("source")).get("resource"))
    return source.get("kind") == "Workflow"
