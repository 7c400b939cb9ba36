"""AWS CodeBuild and CodePipeline defined in TypeScript/JavaScript CDK code, read into the CI
model as the Python CDK's are (``detectors.ci.cdk``): CDK Pipelines' ``addStage(new AppStage(...))``
and CodePipeline deploy actions deploy, ``ShellStep``/``CodeBuildStep`` and
``BuildSpec.fromObject`` run their ``commands``, a manual approval waits for a person. A scan of
the text: only literal command strings are read, and the code is never run."""
from __future__ import annotations

import re

from detectors.ci.cdk import PIPELINE_SYSTEM, pipeline_jobs
from detectors.ci.codebuild import SYSTEM as CODEBUILD
from detectors.ci.model import Pipeline, Step
from detectors.scripts import is_script_source, node_project
from scanner.detector import ScanContext
from scanner.parsing.javascript import uncommented

_CI_MODULES = re.compile(r"""['"](?:aws-cdk-lib/|@aws-cdk/)(pipelines|aws-codepipeline|aws-codebuild)\b""")
_CONSTRUCT = re.compile(r"\bnew\s+(?:[\w$]+\.)*([\w$]+)\s*\(|\.(addStage|addApplicationStage)\s*\(\s*new\b"
                        r"|\bBuildSpec\.fromObject\s*\(")
_SHELL_STEPS = ("ShellStep", "CodeBuildStep")
_DEPLOY_ACTIONS = ("EcsDeployAction", "CodeDeployServerDeployAction", "CodeDeployEcsDeployAction",
                   "CloudFormationCreateUpdateStackAction", "CloudFormationExecuteChangeSetAction",
                   "ElasticBeanstalkDeployAction")
_APPROVALS = ("ManualApprovalAction", "ManualApprovalStep")
_COMMANDS = re.compile(r"\b(?:installCommands|commands)\s*:\s*\[")
_STRING = re.compile(r"""'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`([^`]*)`""")
#: how far into a construct's arguments its commands are looked for.
_WINDOW = 3000


def _commands(text: str, start: int) -> list[str]:
    """The string literals of the ``commands``/``installCommands`` arrays of the construct whose
    arguments start at ``start`` (up to the parenthesis that closes them)."""
    depth, end = 0, min(len(text), start + _WINDOW)
    for i in range(start, end):
        depth += text[i] in "([{"
        depth -= text[i] in ")]}"
        if depth < 0:
            end = i
            break
    out = []
    for m in _COMMANDS.finditer(text, start, end):
        close = text.find("]", m.end(), end)
        out += [next(g for g in s.groups() if g is not None) for s in _STRING.finditer(text, m.end(), close)]
    return out


def pipelines(ctx: ScanContext, path: str) -> list[Pipeline]:
    """The CDK-defined build or pipeline of a script importing the CDK's CI modules."""
    text = ctx.text(path) if is_script_source(path) and node_project(ctx) else None
    if not text or not _CI_MODULES.search(text):
        return []
    text = uncommented(text)
    steps = []
    for m in _CONSTRUCT.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        name = m.group(1) or m.group(2) or "BuildSpec.fromObject"
        if m.group(2):
            steps.append(Step(line=line, name=name, uses=f"codepipeline:deploy/{name}"))
        elif name in _DEPLOY_ACTIONS:
            steps.append(Step(line=line, name=name, uses=f"codepipeline:deploy/{name}"))
        elif name in _APPROVALS:
            steps.append(Step(line=line, name=name, gate=True))
        elif name in _SHELL_STEPS or name == "BuildSpec.fromObject":
            run = "\n".join(_commands(text, m.end()))
            if run:
                steps.append(Step(line=line, name=name, run=run))
    if not steps:
        return []
    system = PIPELINE_SYSTEM if any(s.uses or s.gate for s in steps) or "pipeline" in text.lower() else CODEBUILD
    return [Pipeline(path, system, tuple(pipeline_jobs(path, system, path, 1, steps)))]
