"""AWS CodeBuild projects and CodePipelines defined in Terraform, read into the CI model.

An ``aws_codebuild_project`` with an inline ``buildspec`` (heredoc or string) is a build whose
phases are steps (a buildspec kept in its own file is found as a file); an ``aws_codepipeline``
is a pipeline whose actions deploy (ECS, CodeDeploy, CloudFormation, Elastic Beanstalk) or wait
for a manual approval. Blocks are read from the text: the configuration is never evaluated.
"""
from __future__ import annotations

import re

from detectors.ci import codebuild, databricks
from detectors.ci.cdk import PIPELINE_SYSTEM, pipeline_jobs
from detectors.ci.model import Pipeline, Step
from detectors.ci.yamlutil import LineFinder
from scanner.detector import ParseError, ScanContext
from scanner.parsing.hcl import strip_comments
from scanner.parsing.structured import load_yaml_documents

_RESOURCE = re.compile(r'^\s*resource\s+"(aws_codebuild_project|aws_codepipeline)"\s+"([\w-]+)"\s*\{', re.M)
_HEREDOC_START = re.compile(r'<<-?\s*"?(\w+)"?[ \t]*\n')
_INLINE = re.compile(r'\bbuildspec\s*=\s*(?:<<-?\s*"?(\w+)"?[ \t]*\n|"((?:[^"\\]|\\.)*)")')
_ACTION = re.compile(r"\baction\s*\{")
_ATTRIBUTE = re.compile(r'^\s*(\w+)\s*=\s*"([^"]*)"', re.M)
DEPLOY_PROVIDERS = frozenset({"ecs", "codedeploy", "codedeploytoecs", "cloudformation", "cloudformationstackset",
                              "elasticbeanstalk", "servicecatalog", "appconfig"})


def _block_end(text: str, start: int) -> int:
    """Index after the ``}`` closing the ``{`` at ``start``; strings and heredocs are skipped."""
    depth, i = 0, start
    while i < len(text):
        heredoc = _HEREDOC_START.match(text, i) if text.startswith("<<", i) else None
        if heredoc:
            end = re.compile(r"^\s*" + re.escape(heredoc.group(1)) + r"\s*$", re.M).search(text, heredoc.end())
            i = end.end() if end else len(text)
            continue
        ch = text[i]
        if ch == '"':
            close = re.compile(r'(?<!\\)"').search(text, i + 1)
            i = close.end() if close else len(text)
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        i += 1
        if depth == 0:
            return i
    return len(text)


def _buildspec(text: str, body_start: int, body: str) -> tuple[str, int] | None:
    """(YAML text, line where it starts) of an inline buildspec in a project's block."""
    m_ = _INLINE.search(body)
    if m_ is None:
        return None
    if m_.group(1):
        end = re.compile(r"^\s*" + re.escape(m_.group(1)) + r"\s*$", re.M).search(body, m_.end())
        spec = body[m_.end():end.start() if end else len(body)]
    else:
        spec = m_.group(2).encode().decode("unicode_escape", errors="replace")
        if spec.lower().endswith((".yml", ".yaml")):
            return None  # a file in the source: read where it lives
    return spec, text.count("\n", 0, body_start + m_.end()) + 1


def _codebuild(text: str, start: int, body: str) -> list[Step]:
    found = _buildspec(text, start, body)
    if found is None:
        return []
    spec, line = found
    try:
        docs = load_yaml_documents(spec)
    except ParseError:
        return []
    doc = docs[0] if docs else None
    return codebuild.steps(doc, LineFinder(text), line) if codebuild.looks_like(doc) else []


def _codepipeline(text: str, start: int, body: str) -> list[Step]:
    steps = []
    for action in _ACTION.finditer(body):
        block = body[action.start():_block_end(body, action.end() - 1)]
        attrs = {k.lower(): v for k, v in _ATTRIBUTE.findall(block)}
        line = text.count("\n", 0, start + action.start()) + 1
        category, provider = attrs.get("category", "").lower(), attrs.get("provider", "")
        if category == "approval":
            steps.append(Step(line=line, name=attrs.get("name", "approval"), gate=True))
        elif category == "deploy" and provider.lower() in DEPLOY_PROVIDERS:
            steps.append(Step(line=line, name=attrs.get("name", provider), uses=f"codepipeline:deploy/{provider}"))
    return steps


def parse(path: str, text: str) -> list[Pipeline]:
    """One pipeline per CodeBuild project with an inline buildspec and per CodePipeline
    (commented-out blocks are blanked first, lines kept)."""
    text = strip_comments(text)
    out = []
    for res in _RESOURCE.finditer(text):
        kind, name = res.group(1), res.group(2)
        body = text[res.end():_block_end(text, res.end() - 1)]
        if kind == "aws_codebuild_project":
            steps, system = _codebuild(text, res.end(), body), codebuild.SYSTEM
        else:
            steps, system = _codepipeline(text, res.end(), body), PIPELINE_SYSTEM
        if steps:
            line = text.count("\n", 0, res.start()) + 1
            out.append(Pipeline(path, system, tuple(pipeline_jobs(path, system, name, line, steps))))
    return out


def pipelines(ctx: ScanContext, path: str) -> list[Pipeline]:
    """CI defined in a Terraform file (cheap text check first)."""
    text = ctx.text(path)
    if text is None:
        return []
    jobs = databricks.parse_terraform_jobs(path, text) if '"databricks_job"' in text else None
    if "aws_codebuild_project" not in text and "aws_codepipeline" not in text:
        return [jobs] if jobs else []
    return parse(path, text) + ([jobs] if jobs else [])
