"""GitLab CI (.gitlab-ci.yml and its local includes) read into the CI model."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, flatten, script_text, truthy
from detectors.shapes import one_or_many

SYSTEM = "GitLab CI"

_RESERVED = frozenset({"image", "services", "stages", "types", "before_script", "after_script",
                       "variables", "cache", "include", "default", "workflow", "spec"})
_SECURITY_TEMPLATES = ("security/", "sast", "secret-detection", "dependency-scanning",
                       "container-scanning", "dast", "license-scanning", "code-quality")


def is_root(path: str) -> bool:
    """The pipeline file GitLab starts from."""
    return path.lower() == ".gitlab-ci.yml"


def includes(doc: Any) -> tuple[list[str], list[str]]:
    """(local include paths, template names) of a pipeline document."""
    local, templates = [], []
    for item in one_or_many(doc.get("include") if isinstance(doc, dict) else None):
        if isinstance(item, str):
            if not item.startswith(("http://", "https://")):
                local.append(item.lstrip("/"))
        elif isinstance(item, dict):
            if isinstance(item.get("local"), str):
                local.append(item["local"].lstrip("/"))
            if isinstance(item.get("template"), str):
                templates.append(item["template"])
            if isinstance(item.get("component"), str):
                templates.append(item["component"])
    return local, templates


def _triggers(job: dict) -> frozenset[str]:
    """Which pipeline sources run the job, from its ``rules``/``only``/``except``."""
    rules = flatten(job.get("rules")).lower()
    only = flatten(job.get("only")).lower()
    text = f"{rules} {only}"
    out = {m.PUSH, m.PULL_REQUEST}
    if "schedule" in text and ("==" in rules and "schedule" in rules or only.strip() in ("schedules", "refs=schedules")):
        out = {m.SCHEDULE}
    elif "merge_request" in text and "==" in rules and "ci_commit_branch" not in rules:
        out = {m.PULL_REQUEST}
    if "ci_commit_tag" in text or "tags" in only:
        out.add(m.TAG)
        if only.strip() in ("tags", "refs=tags"):
            out = {m.TAG}
    if "web" in only.split() or "pipeline_source == \"web\"" in rules:
        out.add(m.MANUAL)
    return frozenset(out)


def _manual(job: dict) -> bool:
    if job.get("when") == "manual":
        return True
    return any(isinstance(r, dict) and r.get("when") == "manual" for r in one_or_many(job.get("rules")))


def _blocks(job: dict) -> bool:
    """A manual job the pipeline waits for: ``when: manual`` in ``rules`` (GitLab makes it
    ``allow_failure: false``) unless allowed to fail; a job-level ``when: manual`` does not block."""
    rules = [r for r in one_or_many(job.get("rules")) if isinstance(r, dict) and r.get("when") == "manual"]
    return bool(rules) and not truthy(job.get("allow_failure")) and not any(truthy(r.get("allow_failure")) for r in rules)


def _behind_blocking_manual(jobs: list[Job], raw: dict[str, dict], stages: Any) -> list[Job]:
    """Jobs that run only once someone started a blocking manual job before them (a later
    stage, or one that needs it) are started by hand too."""
    order = {str(s): i for i, s in enumerate(one_or_many(stages) or ["build", "test", "deploy"])}
    stage = {name: order.get(str(job.get("stage", "test")), 0) for name, job in raw.items()}
    blocking = {name for name, job in raw.items() if _blocks(job)}
    if not blocking:
        return jobs
    first = min(stage[name] for name in blocking)

    def waits(job: Job) -> bool:
        # with ``needs`` a job waits only for the jobs it names, else for every earlier stage
        return bool(blocking & set(job.needs)) if "needs" in raw[job.name] else stage[job.name] > first
    return [replace(j, manual=True) if not j.manual and j.name in raw and waits(j) else j for j in jobs]


def _resolve_extends(name: str, job: dict, doc: dict, depth: int = 0) -> dict:
    if depth > 3:
        return job
    merged: dict = {}
    for parent in one_or_many(job.get("extends")):
        base = doc.get(parent)
        if isinstance(base, dict):
            merged.update(_resolve_extends(str(parent), base, doc, depth + 1))
    merged.update(job)
    return merged


def _environment(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return str(value) if value else None


def parse(path: str, docs: list[Any], text: str) -> Pipeline:
    """Jobs of one GitLab CI file (hidden ``.template`` jobs only through ``extends``)."""
    doc = docs[0] if docs else None
    if doc is None:
        return Pipeline(path, SYSTEM)
    if not isinstance(doc, dict):
        return Pipeline(path, SYSTEM, error="not a GitLab CI mapping")
    finder = LineFinder(text)
    default = doc.get("default") if isinstance(doc.get("default"), dict) else {}
    jobs: list[Job] = []
    resolved: dict[str, dict] = {}
    for name, raw in doc.items():
        if name in _RESERVED or not isinstance(raw, dict) or str(name).startswith("."):
            continue
        job = resolved[str(name)] = _resolve_extends(str(name), raw, doc)
        line = finder.key(name)
        before = job.get("before_script", default.get("before_script", doc.get("before_script")))
        steps = []
        for key, value in (("before_script", before), ("script", job.get("script")), ("after_script", job.get("after_script"))):
            script = script_text(value)
            if script:
                steps.append(Step(line=finder.text(script, line or 1) or line, name=key, run=script,
                                  uses=str((job.get("image") or {}).get("name") if isinstance(job.get("image"), dict) else job.get("image") or "")))
        if job.get("trigger"):
            steps.append(Step(line=finder.key("trigger", line or 1), name="trigger", uses="gitlab-trigger", args=flatten(job["trigger"])))
        if str(name) == "pages":  # GitLab Pages publishes a static site
            steps.append(Step(line=line, name="pages", uses="actions/deploy-pages"))
        jobs.append(Job(
            file=path, system=SYSTEM, name=str(name), line=line, triggers=_triggers(job),
            steps=tuple(steps), environment=_environment(job.get("environment")),
            manual=_manual(job), neutered=truthy(job.get("allow_failure")) or job.get("when") == "never",
            needs=tuple(str(n.get("job") if isinstance(n, dict) else n) for n in one_or_many(job.get("needs"))),
        ))
    jobs = _behind_blocking_manual(jobs, resolved, doc.get("stages"))
    _, templates = includes(doc)
    for template in templates:
        if any(t in template.lower() for t in _SECURITY_TEMPLATES):
            line = finder.text(template)
            jobs.append(Job(file=path, system=SYSTEM, name=f"template:{template}", line=line,
                            triggers=frozenset({m.PUSH, m.PULL_REQUEST}),
                            steps=(Step(line=line, uses=f"gitlab-template:{template}"),)))
    return Pipeline(path, SYSTEM, tuple(jobs))
