"""AWS CodeBuild buildspecs read into the CI model: each phase's ``commands`` are a step.

A buildspec is found by name (``buildspec*.yml``) or by shape (``version`` and ``phases`` whose
phases hold ``commands``); CDK and Terraform definitions hand their inline buildspecs here too.
CodeBuild's triggers (webhooks, a CodePipeline source) live in the cloud project: a buildspec
runs on its trigger, as a Cloud Build config does.
"""
from __future__ import annotations

from typing import Any

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, script_text
from detectors.shapes import as_dict, first_mapping, one_or_many

SYSTEM = "AWS CodeBuild"
_PHASES = ("install", "pre_build", "build", "post_build")


def is_buildspec(path: str) -> bool:
    """buildspec.yml, buildspec-test.yaml, ci/buildspec_deploy.yml..."""
    base = path.lower().rsplit("/", 1)[-1]
    return base.startswith("buildspec") and base.endswith((".yml", ".yaml"))


def looks_like(doc: Any) -> bool:
    """A buildspec by shape: ``version`` and ``phases`` with ``commands`` in a phase."""
    phases = as_dict(as_dict(doc).get("phases"))
    return "version" in as_dict(doc) and any("commands" in as_dict(p) for p in phases.values())


def steps(doc: Any, finder: LineFinder, start: int = 1, workdir: str = "") -> list[Step]:
    """One step per command of each phase (and its ``finally`` block), in the order CodeBuild
    runs them, each at the line it is written on."""
    phases = as_dict(as_dict(doc).get("phases"))
    out: list[Step] = []
    cursor = start
    for name in sorted(phases, key=lambda p: _PHASES.index(p) if p in _PHASES else len(_PHASES)):
        phase = as_dict(phases[name])
        # ``on-failure: CONTINUE`` lets the build go on when the phase fails
        neutered = str(phase.get("on-failure", "")).upper() == "CONTINUE"
        for block in ("commands", "finally"):
            for item in one_or_many(phase.get(block)):
                command = script_text(item)
                if command.strip():
                    line = finder.text(command, cursor)
                    cursor = line or cursor
                    out.append(Step(line=line, name=str(name), run=command, neutered=neutered, workdir=workdir))
    return out


def parse(path: str, docs: list[Any], text: str) -> Pipeline:
    """One job for the build."""
    doc = first_mapping(docs)
    if doc is None or not isinstance(doc.get("phases"), dict):
        return Pipeline(path, SYSTEM, error=None if not docs else "not a buildspec: no phases")
    job = Job(file=path, system=SYSTEM, name=path, line=1, triggers=frozenset({m.PUSH}),
              steps=tuple(steps(doc, LineFinder(text))))
    return Pipeline(path, SYSTEM, (job,))
