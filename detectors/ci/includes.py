"""Templates and local actions read into the steps that stand for them: Azure Pipelines
``template:`` files (steps, jobs, stages or ``extends``, wherever they live in the repository)
and GitHub local composite actions (``uses: ./.github/actions/setup``).

The template's steps run in the caller's job, with its triggers and environment, so they are
added after the step that names them, marked with the file they are written in. A template is
not a pipeline of its own: a referenced file is dropped from the pipelines found by name.
"""
from __future__ import annotations

import posixpath
from dataclasses import replace
from typing import Any, Callable

from detectors.ci import azure, github
from detectors.ci.model import Pipeline, Step
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


def _azure_steps(path: str, docs: list[Any], text: str) -> list[Step]:
    return [s for job in azure.parse(path, docs, text).jobs for s in job.steps]


#: system -> (where a reference points, how the referenced file's steps are read).
_READERS: dict[str, tuple[Callable[[str, str], str], Callable[[str, list[Any], str], list[Step]]]] = {
    azure.SYSTEM: (_azure_path, _azure_steps),
    github.SYSTEM: (lambda ref, here: posixpath.normpath(ref), github.action_steps),
}


class Includes:
    """Expands the include steps of pipelines (cycles stop, depth and files are capped)."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.referenced: set[str] = set()
        self._read: dict[str, list[Step]] = {}
        self._budget = MAX_ADDED_STEPS

    def expand(self, pipelines: list[Pipeline]) -> list[Pipeline]:
        """Pipelines with included steps in place, without the files that are only templates."""
        out = []
        for pipeline in pipelines:
            if pipeline.error or pipeline.system not in _READERS:
                out.append(pipeline)
                continue
            jobs = tuple(replace(job, steps=tuple(self._steps(pipeline.system, job.steps, pipeline.file, (pipeline.file,))))
                         for job in pipeline.jobs)
            out.append(replace(pipeline, jobs=jobs))
        return [p for p in out if p.file not in self.referenced]

    def _steps(self, system: str, steps: tuple[Step, ...] | list[Step], here: str, stack: tuple[str, ...]) -> list[Step]:
        out: list[Step] = []
        for step in steps:
            out.append(step)
            if not step.include or len(stack) > MAX_DEPTH:
                continue
            path = self._find(system, step.include, step.file or here)
            if path is None or path in stack:
                continue
            self.referenced.add(path)
            inner = [s if s.file else replace(s, file=path) for s in self._load(system, path)][:max(self._budget, 0)]
            self._budget -= len(inner)
            out += self._steps(system, inner, path, (*stack, path))
        return out

    def _find(self, system: str, ref: str, here: str) -> str | None:
        where, _ = _READERS[system]
        base = where(ref, here)
        if not base or self.ctx.repo is None:
            return None
        candidates = [base] if base.lower().endswith((".yml", ".yaml")) else [f"{base}/action.yml", f"{base}/action.yaml"]
        return next((c for c in candidates if self.ctx.repo.exists(c)), None)

    def _load(self, system: str, path: str) -> list[Step]:
        if path not in self._read:
            steps: list[Step] = []
            text = self.ctx.text(path)
            if len(self._read) < MAX_FILES and text is not None:
                try:
                    steps = _READERS[system][1](path, self.ctx.structured(path), text)
                except (ParseError, AttributeError, TypeError, ValueError, KeyError):
                    steps = []  # a broken template adds nothing; its caller still counts
            self._read[path] = steps
        return self._read[path]
