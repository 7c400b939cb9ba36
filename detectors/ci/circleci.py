"""CircleCI (.circleci/config.yml) read into the CI model, triggers taken from workflows."""
from __future__ import annotations

from typing import Any

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, flatten
from detectors.shapes import one_or_many

SYSTEM = "CircleCI"


def is_config(path: str) -> bool:
    """The CircleCI configuration file."""
    return path.lower() in (".circleci/config.yml", ".circleci/config.yaml")


def _steps(job: dict, finder: LineFinder, start: int) -> list[Step]:
    out, cursor = [], start
    for raw in one_or_many(job.get("steps")):
        if isinstance(raw, str):
            continue  # checkout, setup_remote_docker...
        if not isinstance(raw, dict) or not raw:
            continue
        key, value = next(iter(raw.items()))
        if key == "run":
            run = value.get("command", "") if isinstance(value, dict) else str(value or "")
            line = finder.text(str(run), cursor)
            out.append(Step(line=line, name=str(value.get("name", "")) if isinstance(value, dict) else "", run=str(run)))
        else:  # an orb command or a reusable command
            line = finder.key(str(key), cursor)
            out.append(Step(line=line, uses=str(key), args=flatten(value)))
        cursor = line or cursor
    return out


def _workflow_use(workflows: dict) -> tuple[dict[str, set[str]], set[str], dict[str, dict]]:
    """job name -> triggers, names of jobs behind an approval job, orb jobs called by workflows."""
    triggers: dict[str, set[str]] = {}
    gated: set[str] = set()
    approvals: set[str] = set()
    called: dict[str, dict] = {}
    for wf in workflows.values():
        if not isinstance(wf, dict):
            continue
        scheduled = any(isinstance(t, dict) and "schedule" in t for t in one_or_many(wf.get("triggers")))
        for item in one_or_many(wf.get("jobs")):
            name, conf = (item, {}) if isinstance(item, str) else next(iter(item.items())) if isinstance(item, dict) and item else (None, {})
            if name is None:
                continue
            conf = conf if isinstance(conf, dict) else {}
            if conf.get("type") == "approval":
                approvals.add(str(name))
                continue
            found = {m.SCHEDULE} if scheduled else {m.PUSH, m.PULL_REQUEST}
            if "tags" in (conf.get("filters") or {}):
                found.add(m.TAG)
            triggers.setdefault(str(name), set()).update(found)
            if any(str(r) in approvals for r in one_or_many(conf.get("requires"))):
                gated.add(str(name))
            called[str(name)] = conf
    return triggers, gated, called


def parse(path: str, docs: list[Any], text: str) -> Pipeline:
    """Jobs of a CircleCI config, with workflow triggers and approval gates."""
    doc = docs[0] if docs else None
    if not isinstance(doc, dict):
        return Pipeline(path, SYSTEM, error=None if doc is None else "not a CircleCI mapping")
    finder = LineFinder(text)
    defined = doc.get("jobs") if isinstance(doc.get("jobs"), dict) else {}
    workflows = doc.get("workflows") if isinstance(doc.get("workflows"), dict) else {}
    triggers, gated, called = _workflow_use(workflows)
    jobs_line = finder.key("jobs") or 1
    jobs = []
    for name in sorted(set(defined) | set(called), key=str):
        job = defined.get(name)
        line = finder.key(str(name), jobs_line)
        if isinstance(job, dict):
            steps = _steps(job, finder, line or jobs_line)
        else:  # an orb job such as aws-ecs/deploy-service-update
            steps = [Step(line=finder.text(str(name)), uses=str(name), args=flatten(called.get(name)))]
        jobs.append(Job(file=path, system=SYSTEM, name=str(name), line=line,
                        triggers=frozenset(triggers.get(str(name), {m.PUSH, m.PULL_REQUEST})),
                        steps=tuple(steps), manual=str(name) in gated))
    return Pipeline(path, SYSTEM, tuple(jobs))
