"""Templates and local actions read into the jobs and steps that stand for them: Azure Pipelines
``template:`` files (steps, jobs, stages or ``extends``, wherever they live in the repository)
and GitHub local composite actions (``uses: ./.github/actions/setup``).

A steps template runs in the caller's job, with its triggers and environment, so its steps are
added after the step that names it, marked with the file they are written in; a jobs or stages
template's jobs take the place of the reference, with the caller's triggers. A template is not
a pipeline of its own: a referenced file is dropped from the pipelines found by name.
"""
from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any, Callable

from detectors.ci import azure, github
from detectors.ci.model import Job, Pipeline, Step
from scanner.detector import ParseError, ScanContext

MAX_DEPTH = 5
#: template files read per scan.
MAX_FILES = 60
#: steps added per scan: templates naming each other many times over cannot multiply without end.
MAX_ADDED_STEPS = 3000


def _azure_path(ref: str, here: str) -> str:
    """``x.yml`` from the including file's folder; ``/x.yml`` from the root; ``x@repo`` elsewhere."""
    if "@" in ref or "$" in ref:
        return ""
    return ref.lstrip("/") if ref.startswith("/") else posixpath.normpath(posixpath.join(posixpath.dirname(here), ref))


def _action_jobs(path: str, docs: list[Any], text: str) -> list[Job]:
    steps = tuple(github.action_steps(path, docs, text))
    return [Job(file=path, system=github.SYSTEM, name=path, line=1, triggers=frozenset(), steps=steps)] if steps else []


#: system -> (where a reference points, how the referenced file's jobs are read).
_READERS: dict[str, tuple[Callable[[str, str], str], Callable[[str, list[Any], str], list[Job]]]] = {
    azure.SYSTEM: (_azure_path, lambda path, docs, text: list(azure.parse(path, docs, text).jobs)),
    github.SYSTEM: (lambda ref, here: posixpath.normpath(ref), _action_jobs),
}


class Includes:
    """Expands the template references of pipelines (cycles stop, depth and work are capped)."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.referenced: set[str] = set()
        self._read: dict[str, list[Job]] = {}
        self._budget = MAX_ADDED_STEPS

    def expand(self, pipelines: list[Pipeline]) -> list[Pipeline]:
        """Pipelines with included jobs and steps in place, without the files that are only templates."""
        out = []
        for pipeline in pipelines:
            if pipeline.error or pipeline.system not in _READERS:
                out.append(pipeline)
                continue
            jobs = tuple(j for job in pipeline.jobs for j in self._job(pipeline.system, job, pipeline.file, (pipeline.file,)))
            out.append(replace(pipeline, jobs=jobs))
        return [p for p in out if p.file not in self.referenced]

    def _job(self, system: str, job: Job, here: str, stack: tuple[str, ...]) -> list[Job]:
        if system == azure.SYSTEM and azure.stands_for_jobs(job):
            ref = job.steps[0]
            path = self._template(system, ref, here, stack)
            if path is None:
                return [job]
            out = []
            values = self._inputs(system, path, ref)
            for inner in self._take(self._load(system, path), lambda j: len(j.steps)):
                inner = replace(inner, file=job.file, line=job.line, triggers=job.triggers,
                                steps=tuple(azure.with_parameters(s if s.file else replace(s, file=path), values)
                                            for s in inner.steps))
                out += self._job(system, inner, path, (*stack, path))
            return out or [job]
        steps = self._steps(system, job.steps, here, stack)
        return [replace(job, steps=tuple(steps), manual=job.manual or any(s.gate for s in steps))]

    def _steps(self, system: str, steps: tuple[Step, ...] | list[Step], here: str, stack: tuple[str, ...]) -> list[Step]:
        out: list[Step] = []
        for step in steps:
            out.append(step)
            path = self._template(system, step, step.file or here, stack) if step.include else None
            if path is not None:
                values = self._inputs(system, path, step)
                fill = azure.with_parameters if system == azure.SYSTEM else github.with_inputs
                inner = [fill(s if s.file else replace(s, file=path), values)
                         for job in self._load(system, path) for s in job.steps]
                out += self._steps(system, self._take(inner, lambda s: 1), path, (*stack, path))
        return out

    def _inputs(self, system: str, path: str, step: Step) -> dict[str, str]:
        """What a local action's or a template's steps read: the calling step's values over the
        defaults the file declares (``${{ inputs.script }}``, ``${{ parameters.script }}`` become
        what the caller hands it)."""
        try:
            docs = self.ctx.structured(path)
        except ParseError:
            docs = []
        doc = docs[0] if docs and isinstance(docs[0], dict) else {}
        defaults = dict(github.input_defaults(doc.get("inputs"))) if system == github.SYSTEM else \
            azure.parameter_defaults(doc)
        return {**defaults, **dict(step.inputs)}

    def _template(self, system: str, step: Step, here: str, stack: tuple[str, ...]) -> str | None:
        """The file a reference names, when it exists and is not already being expanded."""
        if len(stack) > MAX_DEPTH or self.ctx.repo is None:
            return None
        base = _READERS[system][0](step.include, here)
        candidates = [base] if base.lower().endswith((".yml", ".yaml")) else [f"{base}/action.yml", f"{base}/action.yaml"]
        path = next((c for c in candidates if base and self.ctx.repo.exists(c)), None)
        if path is None or path in stack:
            return None
        self.referenced.add(path)
        return path

    def _take(self, items: list, cost: Callable[[Any], int]) -> list:
        """As many jobs or steps as the budget of added steps allows."""
        out = []
        for item in items:
            if self._budget < cost(item):
                break
            self._budget -= cost(item)
            out.append(item)
        return out

    def _load(self, system: str, path: str) -> list[Job]:
        if path not in self._read:
            jobs: list[Job] = []
            text = self.ctx.text(path)
            if len(self._read) < MAX_FILES and text is not None:
                try:
                    jobs = _READERS[system][1](path, self.ctx.structured(path), text)
                except (ParseError, AttributeError, TypeError, ValueError, KeyError):
                    jobs = []  # a broken template adds nothing; its caller still counts
            self._read[path] = jobs
        return self._read[path]
