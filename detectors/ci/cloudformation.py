"""AWS CodeBuild projects and CodePipelines defined in CloudFormation templates, read into the
CI model (as the CDK and Terraform definitions of the same resources are).

An ``AWS::CodeBuild::Project`` whose ``Source.BuildSpec`` is inline YAML is a build whose phases
are steps (a buildspec named by file is read where that file lives); an
``AWS::CodePipeline::Pipeline`` is a pipeline whose actions deploy (ECS, CodeDeploy,
CloudFormation stacks or stack sets, Elastic Beanstalk, Service Catalog) or wait for a manual
approval. Intrinsic functions (``!Sub``, ``!Ref``) are read as plain values, never evaluated.
"""
from __future__ import annotations

from typing import Any

from detectors.ci import codebuild
from detectors.ci.cdk import PIPELINE_SYSTEM, pipeline_jobs
from detectors.ci.model import Pipeline, Step
from detectors.ci.terraform import DEPLOY_PROVIDERS
from detectors.ci.yamlutil import LineFinder
from detectors.shapes import as_dict, first_mapping, one_or_many
from scanner.detector import ParseError
from scanner.parsing.structured import load_yaml_documents

BUILD = "AWS::CodeBuild::Project"
PIPELINE = "AWS::CodePipeline::Pipeline"
WORDS = (BUILD, PIPELINE)
"""Words one of which a template's text must hold (a cheap look before it is parsed)."""


def _resources(doc: Any) -> dict[str, dict]:
    """Logical id -> resource of a template's ``Resources`` (only the CI resources)."""
    return {name: res for name, res in as_dict(as_dict(doc).get("Resources")).items()
            if isinstance(res, dict) and res.get("Type") in WORDS}


def looks_like(doc: Any) -> bool:
    """A CloudFormation template with a CodeBuild project or a CodePipeline among its resources."""
    return bool(_resources(doc))


def _build_steps(props: dict, finder: LineFinder, start: int) -> list[Step]:
    spec = as_dict(props.get("Source")).get("BuildSpec")
    if not isinstance(spec, str) or "\n" not in spec:
        return []  # a buildspec file in the source: read where it lives
    try:
        docs = load_yaml_documents(spec)
    except ParseError:
        return []
    doc = first_mapping(docs)
    line = finder.key("BuildSpec", start) or start
    return codebuild.steps(doc, finder, line) if codebuild.looks_like(doc) else []


def _pipeline_steps(props: dict, finder: LineFinder, start: int) -> list[Step]:
    steps = []
    for stage in one_or_many(props.get("Stages")):
        for action in one_or_many(as_dict(stage).get("Actions")):
            action = as_dict(action)
            kind = as_dict(action.get("ActionTypeId"))
            category, provider = str(kind.get("Category", "")).lower(), str(kind.get("Provider", ""))
            name = str(action.get("Name") or provider)
            line = finder.text(f"Name: {name}", start) or start
            if category == "approval":
                steps.append(Step(line=line, name=name, gate=True))
            elif category == "deploy" and provider.lower() in DEPLOY_PROVIDERS:
                steps.append(Step(line=line, name=name, uses=f"codepipeline:deploy/{provider}"))
    return steps


def parse(path: str, docs: list[Any], text: str) -> Pipeline | None:
    """One job per CodeBuild project with an inline buildspec and per CodePipeline that deploys
    or waits for approval (split at the approval); None when the template has neither."""
    finder = LineFinder(text)
    jobs = []
    for name, res in _resources(first_mapping(docs)).items():
        start = finder.key(name) or 1
        props = as_dict(res.get("Properties"))
        build = res["Type"] == BUILD
        steps = _build_steps(props, finder, start) if build else _pipeline_steps(props, finder, start)
        if steps:
            jobs += pipeline_jobs(path, codebuild.SYSTEM if build else PIPELINE_SYSTEM, name, start, steps)
    if not jobs:
        return None  # builds whose buildspecs are files, pipelines that neither deploy nor wait
    # a template defining a pipeline is that pipeline's file, whatever builds it defines besides
    system = PIPELINE_SYSTEM if any(j.system == PIPELINE_SYSTEM for j in jobs) else codebuild.SYSTEM
    return Pipeline(path, system, tuple(jobs))
