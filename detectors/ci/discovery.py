"""Finds the CI files of a repository and reads each into the CI model.

A file counts by its name (``.gitlab-ci.yml``, ``cloudbuild.yaml``, ``buildspec.yml``...) or,
wherever it lives, by its shape: a YAML whose keys are a Cloud Build config's, a buildspec's, an
Azure pipeline's or a Databricks job definition's. Files found by shape in documentation,
example or test-fixture folders are examples, not the project's CI. Templates and local actions
are then read into the steps that name them; CDK, Terraform and CloudFormation definitions of
CodeBuild and CodePipeline are read from their code.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from detectors.ci import (azure, bitbucket, buildkite, cdk, cdk_script, circleci, cloudbuild, cloudformation, codebuild,
                          databricks, github, gitlab, jenkins, terraform)
from detectors.ci.includes import Includes
from detectors.ci.model import Pipeline
from detectors.shapes import first_mapping
from scanner.detector import ParseError, ScanContext

#: (system, is-this-file-a-config, parser over (path, YAML documents, text)).
_YAML_SYSTEMS: tuple[tuple[str, Callable[[str], bool], Callable], ...] = (
    (github.SYSTEM, github.is_workflow, github.parse),
    (gitlab.SYSTEM, gitlab.is_root, gitlab.parse),
    (azure.SYSTEM, azure.is_pipeline, azure.parse),
    (circleci.SYSTEM, circleci.is_config, circleci.parse),
    (bitbucket.SYSTEM, bitbucket.is_config, bitbucket.parse),
    (cloudbuild.SYSTEM, cloudbuild.is_config, cloudbuild.parse),
    (buildkite.SYSTEM, buildkite.is_config, buildkite.parse),
    (codebuild.SYSTEM, codebuild.is_buildspec, codebuild.parse),
)
#: (system, words one of which the text must hold, shape of the first document, parser).
_YAML_SHAPES: tuple[tuple[str, tuple[str, ...], Callable[[Any], bool], Callable], ...] = (
    (cloudbuild.SYSTEM, ("steps",), cloudbuild.looks_like, cloudbuild.parse),
    (codebuild.SYSTEM, ("phases",), codebuild.looks_like, codebuild.parse),
    (cdk.PIPELINE_SYSTEM, cloudformation.WORDS, cloudformation.looks_like, cloudformation.parse),
    (azure.SYSTEM, ("trigger", "pool", "stages", "jobs", "extends"), azure.looks_like, azure.parse),
    (databricks.SYSTEM, ("resources", "bundle"), databricks.looks_like_bundle, databricks.parse_bundle),
    (databricks.DBX_SYSTEM, ("environments",), databricks.looks_like_dbx, databricks.parse_dbx),
)
_NOT_THE_PROJECTS = re.compile(
    r"(^|/)(docs?|documentation|examples?|samples?|tutorials?|templates?|testdata|test_data|fixtures|__fixtures__)/",
    re.I)
MAX_GITLAB_INCLUDES = 50
MAX_JOB_JSON_BYTES = 256 * 1024


def _template(path: str) -> bool:
    return "{{" in path or "{%" in path


def _yaml(ctx: ScanContext, path: str, system: str, parser: Callable) -> Pipeline:
    text = ctx.text(path)
    if text is None:
        return Pipeline(path, system, error=ctx.repo.log.skipped.get(path, "unreadable") if ctx.repo else "unreadable")
    try:
        docs = ctx.structured(path)
    except ParseError as exc:
        return Pipeline(path, system, error=str(exc))
    try:
        return parser(path, docs, text)
    except (AttributeError, TypeError, ValueError, KeyError) as exc:  # shapes no CI system accepts
        return Pipeline(path, system, error=f"unexpected structure: {exc.__class__.__name__}")


def _by_shape(ctx: ScanContext, path: str) -> Pipeline | None:
    """A YAML read as the CI system its shape is (None when it is none, or cannot be read)."""
    if _NOT_THE_PROJECTS.search(path):
        return None
    text = ctx.text(path)
    candidates = [s for s in _YAML_SHAPES if text is not None and any(w in text for w in s[1])]
    if not candidates:
        return None
    try:
        docs = ctx.structured(path)
    except ParseError:
        return None  # not known to be CI: the file's own detector reports it
    doc = first_mapping(docs)
    for system, _, shape, parser in candidates:
        try:
            if shape(doc):
                return parser(path, docs, text)
        except (AttributeError, TypeError, ValueError, KeyError):
            return Pipeline(path, system, error="unexpected structure")
    return None


def _gitlab_includes(ctx: ScanContext, root: Pipeline) -> list[Pipeline]:
    """Local files included by .gitlab-ci.yml (and by them), read as GitLab CI too."""
    out: list[Pipeline] = []
    seen = {root.file}
    queue = [root.file]
    while queue and len(seen) < MAX_GITLAB_INCLUDES:
        path = queue.pop(0)
        try:
            docs = ctx.structured(path)
        except ParseError:
            continue
        local, _ = gitlab.includes(docs[0] if docs else None)
        for inc in local:
            if inc in seen or "*" in inc or ctx.repo is None or not ctx.repo.exists(inc):
                continue
            seen.add(inc)
            queue.append(inc)
            out.append(_yaml(ctx, inc, gitlab.SYSTEM, gitlab.parse))
    return out


def _jenkins(ctx: ScanContext, path: str) -> Pipeline | None:
    text = ctx.text(path)
    if text is None:
        return Pipeline(path, jenkins.SYSTEM, error="unreadable")
    if jenkins.is_library_step(path) and "def call" not in text:
        return None  # a library's helper, not a step pipelines call
    return jenkins.parse(path, text)


def _one(ctx: ScanContext, path: str) -> list[Pipeline]:
    """The pipelines one file holds (by name first, then by shape)."""
    low = path.lower()
    if jenkins.is_jenkinsfile(path) or jenkins.is_library_step(path):
        found = _jenkins(ctx, path)
        return [found] if found else []
    if low.endswith(".tf"):
        return terraform.pipelines(ctx, path)
    if low.endswith(".py"):
        return cdk.pipelines(ctx, path)
    if low.endswith((".ts", ".js")):
        return cdk_script.pipelines(ctx, path)
    if low.endswith(".json"):
        found = _job_json(ctx, path)
        return [found] if found else []
    if not low.endswith((".yml", ".yaml")):
        return []
    if github.project_root(path) and _NOT_THE_PROJECTS.search(path):
        return []  # a workflow kept with documentation or examples
    for system, matches, parser in _YAML_SYSTEMS:
        if matches(path):
            pipeline = _yaml(ctx, path, system, parser)
            return [pipeline, *(_gitlab_includes(ctx, pipeline) if system == gitlab.SYSTEM and not pipeline.error else [])]
    if databricks.is_bundle_root(path):
        return [_yaml(ctx, path, databricks.SYSTEM, databricks.parse_bundle)]
    found = _by_shape(ctx, path)
    return [found] if found else []


def _job_json(ctx: ScanContext, path: str) -> Pipeline | None:
    """A Databricks Jobs API definition kept as JSON (read only when it names a task)."""
    if _NOT_THE_PROJECTS.search(path) or ctx.repo is None or ctx.repo.size(path) > MAX_JOB_JSON_BYTES:
        return None
    return databricks.parse_job_json(ctx, path) if '_task"' in (ctx.text(path) or "") else None


def pipelines(ctx: ScanContext) -> list[Pipeline]:
    """Every CI file of the repository, parsed (or carrying why it could not be)."""
    out: list[Pipeline] = []
    for path in ctx.files():
        if not _template(path):
            out += _one(ctx, path)
    docs = _docs(ctx) if any(p.system == cloudbuild.SYSTEM for p in out) else {}
    return [cloudbuild.submitted_by_hand(p, docs) for p in Includes(ctx).expand(out)]


def _docs(ctx: ScanContext) -> dict[str, str]:
    """The repository's Markdown and reStructuredText documents."""
    return {p: ctx.text(p) or "" for p in ctx.files() if p.lower().endswith((".md", ".rst"))}
