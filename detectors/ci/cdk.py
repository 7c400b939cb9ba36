"""AWS CodeBuild and CodePipeline defined in Python CDK code, read into the CI model.

``codebuild.BuildSpec.from_object({...})`` is an inline buildspec; ``pipelines.ShellStep`` /
``CodeBuildStep`` hold ``commands``; CodePipeline actions that deploy (ECS, CodeDeploy,
CloudFormation, Elastic Beanstalk) and CDK Pipelines' ``add_stage`` deploy; a manual approval
action or step waits for a person. Only literal values are read; the code is never run.
"""
from __future__ import annotations

import ast
from typing import Any

from detectors.ci import codebuild
from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, script_text
from scanner.detector import ScanContext
from scanner.parsing.python import MAX_PARSE_BYTES, walk

PIPELINE_SYSTEM = "AWS CodePipeline"
_MODULES = ("aws_cdk.aws_codebuild", "aws_cdk.pipelines", "aws_cdk.aws_codepipeline", "aws_cdk.aws_codepipeline_actions")
_SHELL_STEPS = ("ShellStep", "CodeBuildStep")
_COMMAND_KEYWORDS = ("install_commands", "commands")
_DEPLOY_ACTIONS = ("EcsDeployAction", "CodeDeployServerDeployAction", "CodeDeployEcsDeployAction",
                   "CloudFormationCreateUpdateStackAction", "CloudFormationExecuteChangeSetAction",
                   "ElasticBeanstalkDeployAction", "add_application_stage")
_APPROVALS = ("ManualApprovalAction", "ManualApprovalStep")


def _literal(node: ast.AST) -> Any:
    """The literal value of a node; non-literal parts of lists and dicts become None."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {_literal(k): _literal(v) for k, v in zip(node.keys, node.values) if k is not None}
    return None


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _deploys_stage(node: ast.Call, name: str) -> bool:
    """CDK Pipelines' ``pipeline.add_stage(AppStage(...))`` deploys the application stage (the
    low-level ``add_stage(stage_name=...)`` only adds a stage, whose actions say what it does)."""
    return name == "add_stage" and bool(node.args) and not any(kw.arg == "stage_name" for kw in node.keywords)


def _step(node: ast.Call, name: str, finder: LineFinder) -> list[Step]:
    if name == "from_object" and node.args and "BuildSpec" in ast.unparse(node.func):
        return codebuild.steps(_literal(node.args[0]), finder, node.lineno)
    if name in _SHELL_STEPS:
        words = {kw.arg: _literal(kw.value) for kw in node.keywords if kw.arg in _COMMAND_KEYWORDS}
        run = "\n".join(script_text(words.get(k)) for k in _COMMAND_KEYWORDS if words.get(k))
        return [Step(line=node.lineno, name=name, run=run)] if run else []
    if name in _DEPLOY_ACTIONS or _deploys_stage(node, name):
        return [Step(line=node.lineno, name=name, uses=f"codepipeline:deploy/{name}")]
    if name in _APPROVALS:
        return [Step(line=node.lineno, name=name, gate=True)]
    return []


def parse(path: str, text: str) -> Pipeline | None:
    """One job holding the file's build steps and pipeline actions, in source order."""
    if len(text) > MAX_PARSE_BYTES:
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # the Python detectors report a file that does not parse
    finder = LineFinder(text)
    calls = sorted((n for n in walk(tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
    steps = [s for call in calls for s in _step(call, _callee(call), finder)]
    if not steps:
        return None
    pipeline = any(s.uses or s.gate for s in steps) or "pipelines" in text or "codepipeline" in text
    system = PIPELINE_SYSTEM if pipeline else codebuild.SYSTEM
    return Pipeline(path, system, tuple(pipeline_jobs(path, system, path, 1, steps)))


def pipeline_jobs(path: str, system: str, name: str, line: int, steps: list[Step]) -> list[Job]:
    """A pipeline's actions as jobs, however it is defined: those before its first manual
    approval run on every change (a deploy to staging there is continuous delivery); the approval
    and what follows it wait for a person."""
    first = next((i for i, s in enumerate(steps) if s.gate), len(steps))
    jobs = []
    if steps[:first]:
        jobs.append(Job(file=path, system=system, name=name, line=line, triggers=frozenset({m.PUSH}),
                        steps=tuple(steps[:first])))
    if steps[first:]:
        jobs.append(Job(file=path, system=system, name=f"{name} (approved)" if jobs else name, line=line,
                        triggers=frozenset({m.PUSH}), steps=tuple(steps[first:]), manual=True))
    return jobs


def pipelines(ctx: ScanContext, path: str) -> list[Pipeline]:
    """The CDK-defined build or pipeline of a Python file importing the CDK's CI modules."""
    text = ctx.text(path)
    if text is None or "aws_cdk" not in text:
        return []
    facts = ctx.python(path)
    if facts is None or facts.imports_any(_MODULES) is None:
        return []
    found = parse(path, text)
    return [found] if found else []
