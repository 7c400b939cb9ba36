"""Bitbucket Pipelines (bitbucket-pipelines.yml) read into the CI model."""
from __future__ import annotations

from typing import Any, Iterator

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, flatten
from detectors.shapes import one_or_many

SYSTEM = "Bitbucket Pipelines"
_SECTIONS = {"default": m.PUSH, "branches": m.PUSH, "tags": m.TAG, "pull-requests": m.PULL_REQUEST,
             "custom": m.MANUAL}


def is_config(path: str) -> bool:
    """The Bitbucket Pipelines file at the repository root."""
    return path.lower() == "bitbucket-pipelines.yml"


def _step_items(items: Any) -> Iterator[dict]:
    """Every ``step`` mapping in a pipeline list, through parallel and stage groups."""
    for item in one_or_many(items):
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("step"), dict):
            yield item["step"]
        for key in ("parallel", "stage"):
            group = item.get(key)
            if isinstance(group, dict):
                group = group.get("steps")
            yield from _step_items(group)


def _pipelines(doc: dict) -> Iterator[tuple[str, str, Any]]:
    """(trigger, pipeline name, items) for every pipeline of the file."""
    pipelines = doc.get("pipelines") if isinstance(doc.get("pipelines"), dict) else {}
    for section, trigger in _SECTIONS.items():
        value = pipelines.get(section)
        if section == "default":
            yield trigger, "default", value
        elif isinstance(value, dict):
            for name, items in value.items():
                yield trigger, f"{section}:{name}", items


def parse(path: str, docs: list[Any], text: str) -> Pipeline:
    """One job per step of every pipeline (default, branches, tags, pull requests, custom)."""
    doc = docs[0] if docs else None
    if not isinstance(doc, dict):
        return Pipeline(path, SYSTEM, error=None if doc is None else "not a Bitbucket Pipelines mapping")
    finder = LineFinder(text)
    jobs = []
    for trigger, pipeline, items in _pipelines(doc):
        for step in _step_items(items):
            name = str(step.get("name") or pipeline)
            line = finder.text(name) if step.get("name") else None
            steps, cursor = [], line or 1
            for entry in one_or_many(step.get("script")):
                if isinstance(entry, dict) and entry.get("pipe"):
                    pipe = str(entry["pipe"])
                    steps.append(Step(line=finder.text(pipe, cursor), uses=pipe, args=flatten(entry.get("variables"))))
                elif isinstance(entry, str):
                    at = finder.text(entry, cursor)
                    cursor = at or cursor
                    steps.append(Step(line=at, run=entry))
            jobs.append(Job(file=path, system=SYSTEM, name=name, line=line, triggers=frozenset({trigger}),
                            steps=tuple(steps), environment=str(step["deployment"]) if step.get("deployment") else None,
                            manual=step.get("trigger") == "manual"))
    return Pipeline(path, SYSTEM, tuple(jobs))
