"""Finds the CI files of a repository and reads each into the CI model."""
from __future__ import annotations

from typing import Callable

from detectors.ci import azure, bitbucket, buildkite, circleci, cloudbuild, github, gitlab, jenkins
from detectors.ci.model import Pipeline
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
)
MAX_GITLAB_INCLUDES = 50


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


def pipelines(ctx: ScanContext) -> list[Pipeline]:
    """Every CI file of the repository, parsed (or carrying why it could not be)."""
    out: list[Pipeline] = []
    for path in ctx.files():
        # every CI system but Jenkins configures itself in YAML: skip the rest cheaply
        if not path.lower().endswith((".yml", ".yaml")) and not jenkins.is_jenkinsfile(path):
            continue
        if _template(path):
            continue
        if jenkins.is_jenkinsfile(path):
            text = ctx.text(path)
            out.append(jenkins.parse(path, text) if text is not None
                       else Pipeline(path, jenkins.SYSTEM, error="unreadable"))
            continue
        for system, matches, parser in _YAML_SYSTEMS:
            if matches(path):
                pipeline = _yaml(ctx, path, system, parser)
                out.append(pipeline)
                if system == gitlab.SYSTEM and pipeline.error is None:
                    out += _gitlab_includes(ctx, pipeline)
                break
    return out
