"""Google Cloud Build (cloudbuild*.yaml) read into the CI model; builder images become commands."""
from __future__ import annotations

import shlex
from typing import Any

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, truthy
from detectors.shapes import one_or_many

SYSTEM = "Google Cloud Build"
_SHELLS = ("bash", "sh", "/bin/bash", "/bin/sh")


def is_config(path: str) -> bool:
    """cloudbuild.yaml, cloudbuild-deploy.yml, ci/cloudbuild.train.yaml..."""
    base = path.lower().rsplit("/", 1)[-1]
    return base.startswith("cloudbuild") and base.endswith((".yaml", ".yml", ".json"))


def _command(step: dict) -> str:
    """The shell text a step runs: a script, ``bash -c``, or builder + args."""
    if isinstance(step.get("script"), str):
        return step["script"]
    args = [str(a) for a in one_or_many(step.get("args"))]
    entry = str(step.get("entrypoint") or "")
    if entry in _SHELLS and len(args) >= 2 and args[0] in ("-c", "-ce", "-ec", "-eu", "-euo"):
        return args[-1]
    if not entry:
        image = str(step.get("name") or "").split("@", 1)[0].split(":", 1)[0]
        entry = image.rsplit("/", 1)[-1]
        entry = {"cloud-sdk": "gcloud", "gke-deploy": "gke-deploy"}.get(entry, entry)
    return " ".join([entry, *(shlex.quote(a) if " " in a else a for a in args)])


def parse(path: str, docs: list[Any], text: str) -> Pipeline:
    """One job for the build; each step is a command; ``images:`` means the build pushes them."""
    doc = docs[0] if docs else None
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list):
        return Pipeline(path, SYSTEM, error=None if doc is None else "not a Cloud Build config: no steps")
    finder = LineFinder(text)
    steps, cursor = [], 1
    for raw in doc["steps"]:
        if not isinstance(raw, dict):
            continue
        line = finder.text(str(raw.get("id") or raw.get("name") or ""), cursor)
        cursor = line or cursor
        steps.append(Step(line=line, name=str(raw.get("id") or ""), run=_command(raw),
                          uses=str(raw.get("name") or ""), neutered=truthy(raw.get("allowFailure"))))
    for image in one_or_many(doc.get("images")):
        steps.append(Step(line=finder.key("images"), name="images", run=f"docker push {image}"))
    # Triggers live in the cloud project, not in the file: a build config runs on its trigger.
    return Pipeline(path, SYSTEM, (Job(file=path, system=SYSTEM, name=path, line=1,
                                       triggers=frozenset({m.PUSH}), steps=tuple(steps)),))
