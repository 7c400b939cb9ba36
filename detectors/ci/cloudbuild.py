"""Google Cloud Build configs read into the CI model; builder images become commands.

A config is found by name (``cloudbuild*.yaml``) or, wherever it lives, by shape: top-level
keys Cloud Build accepts, ``steps`` whose keys are a build step's, and a builder image from
Google's registries (or a key only Cloud Build has, such as ``waitFor``).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import replace
from typing import Any

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, truthy
from detectors.shapes import one_or_many

SYSTEM = "Google Cloud Build"
_SHELLS = ("bash", "sh", "/bin/bash", "/bin/sh")
_TOP_KEYS = frozenset({"steps", "images", "artifacts", "options", "substitutions", "timeout", "availableSecrets",
                       "secrets", "logsBucket", "serviceAccount", "tags", "queueTtl", "logsbucket"})
_STEP_KEYS = frozenset({"name", "args", "entrypoint", "dir", "env", "id", "waitFor", "secretEnv", "timeout",
                        "volumes", "allowFailure", "allowExitCodes", "script", "automapSubstitutions"})
#: what only a Cloud Build config has: a builder from Google's registries, or its own keys.
_GOOGLE_IMAGE = re.compile(r"^([a-z]+\.)?gcr\.io/|^[a-z0-9-]+-docker\.pkg\.dev/|^docker\.pkg\.dev/")
_OWN_KEYS = frozenset({"waitFor", "secretEnv", "allowFailure", "allowExitCodes", "availableSecrets",
                       "substitutions", "logsBucket", "queueTtl"})


def is_config(path: str) -> bool:
    """cloudbuild.yaml, cloudbuild-deploy.yml, ci/cloudbuild.train.yaml..."""
    base = path.lower().rsplit("/", 1)[-1]
    return base.startswith("cloudbuild") and base.endswith((".yaml", ".yml", ".json"))


def looks_like(doc: Any) -> bool:
    """A Cloud Build config by shape, whatever its file name (``build/pipeline-deployment.yaml``)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list) or not doc["steps"]:
        return False
    steps = doc["steps"]
    if not set(map(str, doc)) <= _TOP_KEYS or not all(isinstance(s, dict) and "name" in s for s in steps):
        return False
    if not all(set(map(str, s)) <= _STEP_KEYS for s in steps):
        return False
    if not any(k in s for s in steps for k in ("args", "entrypoint", "script")):
        return False
    return (any(_GOOGLE_IMAGE.match(str(s.get("name"))) for s in steps)
            or any(k in _OWN_KEYS for s in steps for k in s) or bool(set(doc) & _OWN_KEYS))


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
        if args and args[0] in _PROGRAMS and not _BUILDER_IMAGE.match(image):
            # an image of the project's own given a command (``[python, train.py]``): the command runs
            return " ".join(shlex.quote(a) if " " in a else a for a in args)
        entry = image.rsplit("/", 1)[-1]
        entry = {"cloud-sdk": "gcloud", "gke-deploy": "gke-deploy"}.get(entry, entry)
    return " ".join([entry, *(shlex.quote(a) if " " in a else a for a in args)])


#: Cloud Build's builder images, whose entrypoint is the tool they are named for
_BUILDER_IMAGE = re.compile(r"^(gcr\.io|[\w-]+-docker\.pkg\.dev)/(cloud-builders|google\.com/cloudsdktool|cloud-build)/")
#: programs a step's args may start with when its image is an ordinary one
_PROGRAMS = frozenset({"python", "python3", "bash", "sh", "pytest", "pip", "pip3", "make", "dvc", "gcloud", "kubectl"})


#: a build submitted by hand from the docs: ``gcloud builds submit . --config=.gcp/train.yaml``
_SUBMIT = re.compile(r"gcloud\s+builds\s+submit\b[^\n]*?(?:\\\s*\n[^\n]*?)*?--config[= ]\s*['\"]?\.?/?([\w./-]+)")


def submitted_by_hand(pipeline: Pipeline, docs: dict[str, str]) -> Pipeline:
    """The build as the docs run it: a config they tell people to submit with ``gcloud builds
    submit --config`` runs when someone does, from their machine: a remote build, not CI (its
    cloud trigger, if any, is nowhere in sight)."""
    if pipeline.system != SYSTEM or not pipeline.jobs:
        return pipeline
    for text in docs.values():
        if any(pipeline.file.endswith(m.group(1).lstrip("./")) for m in _SUBMIT.finditer(text)):
            jobs = tuple(replace(job, triggers=frozenset({m.MANUAL})) for job in pipeline.jobs)
            return replace(pipeline, jobs=jobs, ci=False)
    return pipeline


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
                          uses=str(raw.get("name") or ""), neutered=truthy(raw.get("allowFailure")),
                          workdir=str(raw.get("dir") or "")))
    for image in one_or_many(doc.get("images")):
        steps.append(Step(line=finder.key("images"), name="images", run=f"docker push {image}"))
    # Triggers live in the cloud project, not in the file: a build config runs on its trigger.
    return Pipeline(path, SYSTEM, (Job(file=path, system=SYSTEM, name=path, line=1,
                                       triggers=frozenset({m.PUSH}), steps=tuple(steps)),))
