"""Buildkite (.buildkite/pipeline*.yml) read into the CI model; block/input steps are gates."""
from __future__ import annotations

from typing import Any, Iterator

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, disabled_condition, flatten, script_text, truthy
from detectors.shapes import one_or_many

SYSTEM = "Buildkite"


def is_config(path: str) -> bool:
    """pipeline*.yml under .buildkite/ (or buildkite.yml at the root)."""
    low = path.lower()
    base = low.rsplit("/", 1)[-1]
    return (low.startswith(".buildkite/") and base.startswith("pipeline") and base.endswith((".yml", ".yaml"))) \
        or low in ("buildkite.yml", "buildkite.yaml")


def _flat_steps(items: Any) -> Iterator[Any]:
    for item in one_or_many(items):
        if isinstance(item, dict) and isinstance(item.get("steps"), list) and "group" in item:
            yield from _flat_steps(item["steps"])
        else:
            yield item


def parse(path: str, docs: list[Any], text: str) -> Pipeline:
    """One job per command step; a ``block``/``input`` step makes later steps wait for a person."""
    doc = docs[0] if docs else None
    items = doc.get("steps") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return Pipeline(path, SYSTEM, error=None if doc is None else "not a Buildkite pipeline: no steps")
    finder = LineFinder(text)
    jobs, blocked, cursor = [], False, 1
    for raw in _flat_steps(items):
        if not isinstance(raw, dict):
            continue
        if "block" in raw or "input" in raw:
            blocked = True
            line = finder.text(str(raw.get("block") or raw.get("input")), cursor)
            jobs.append(Job(file=path, system=SYSTEM, name=str(raw.get("block") or raw.get("input")), line=line,
                            triggers=frozenset({m.PUSH}), steps=(Step(line=line, name="block", gate=True),), manual=True))
            continue
        script = script_text(raw.get("command", raw.get("commands")))
        name = str(raw.get("label") or raw.get("key") or script.split("\n", 1)[0])
        line = finder.text(script, cursor) if script else finder.text(name, cursor)
        cursor = line or cursor
        steps = [Step(line=line, run=script)] if script else []
        for plugin in one_or_many(raw.get("plugins")):
            key = next(iter(plugin), "") if isinstance(plugin, dict) else str(plugin)
            steps.append(Step(line=finder.text(str(key), cursor), uses=str(key), args=flatten(plugin)))
        if raw.get("trigger"):
            steps.append(Step(line=line, uses="buildkite-trigger", args=str(raw["trigger"])))
        scheduled = "schedule" in str(raw.get("if") or "")
        jobs.append(Job(file=path, system=SYSTEM, name=name, line=line,
                        triggers=frozenset({m.SCHEDULE} if scheduled else {m.PUSH, m.PULL_REQUEST}),
                        steps=tuple(steps), manual=blocked,
                        neutered=truthy(raw.get("soft_fail")) or disabled_condition(raw.get("if"))))
    return Pipeline(path, SYSTEM, tuple(jobs))
