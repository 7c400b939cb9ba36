"""Jenkinsfiles (declarative or scripted) and shared-library steps (``vars/*.groovy``) read as
text into the CI model: stages and sh steps."""
from __future__ import annotations

import re

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step

SYSTEM = "Jenkins"

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"(?m)(^|\s)//.*$")
_STAGE = re.compile(r"\bstage\s*\(\s*['\"]([^'\"]+)['\"]\s*\)")
_SHELL = re.compile(r"\b(sh|bat|powershell|pwsh)\s*\(?\s*(?:script\s*:\s*)?('''(.*?)'''|\"\"\"(.*?)\"\"\"|'([^'\n]*)'|\"([^\"\n]*)\")", re.S)
_INPUT = re.compile(r"(?m)^\s*input\b\s*(\(|message\s*:|['\"])")
_CRON = re.compile(r"\b(cron|parameterizedCron)\s*\(")
_POLL = re.compile(r"\b(pollSCM|githubPush|gitlab)\s*\(")
_LIBRARY_STEP = re.compile(r"(^|/)vars/[\w-]+\.groovy$")
_UNSTABLE = re.compile(r"catchError\s*\(\s*buildResult\s*:\s*['\"]SUCCESS|returnStatus\s*:\s*true")


def is_jenkinsfile(path: str) -> bool:
    """Jenkinsfile, Jenkinsfile.release, Jenkinsfile_model_serving, ci/deploy.jenkinsfile..."""
    base = path.lower().rsplit("/", 1)[-1]
    if base.endswith((".md", ".rst", ".txt", ".html", ".png", ".svg", ".json", ".yml", ".yaml")):
        return False  # a page or a picture about the pipeline
    return base == "jenkinsfile" or base.startswith("jenkinsfile.") \
        or base.startswith(("jenkinsfile_", "jenkinsfile-")) and "." not in base \
        or base.endswith((".jenkinsfile", "_jenkinsfile", "-jenkinsfile"))


def is_library_step(path: str) -> bool:
    """A shared library's custom step (``vars/deployModel.groovy``), callable from Jenkinsfiles."""
    return bool(_LIBRARY_STEP.search(path))


def _blank_comments(text: str) -> str:
    """Comments replaced by spaces of the same length, so positions keep their line numbers."""
    def blank(mt: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", mt.group(0))
    return _LINE_COMMENT.sub(blank, _BLOCK_COMMENT.sub(blank, text))


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


_DECLARATIVE = re.compile(r"^\s*pipeline\s*\{", re.M)
_STAGES_BLOCK = re.compile(r"\bstages\s*\{")


def parse(path: str, text: str) -> Pipeline:
    """One job per stage, holding its shell steps; ``input`` marks a manual gate.

    A library step runs inside the Jenkinsfiles that call it, with their triggers: its steps
    (one job named after it when it has no stages) are read as theirs.
    """
    code = _blank_comments(text)
    library = is_library_step(path)
    if not library and "pipeline" not in code and "node" not in code and "stage" not in code:
        return Pipeline(path, SYSTEM, error="no pipeline, node or stage block")
    triggers = {m.PUSH, m.PULL_REQUEST}
    if _CRON.search(code):
        triggers.add(m.SCHEDULE)
    # a declarative pipeline's stages sit in a ``stages { }`` block: Jenkins rejects the file
    # without one, so none of its stages ever runs
    rejected = not library and bool(_DECLARATIVE.search(code)) and bool(_STAGE.search(code)) \
        and not _STAGES_BLOCK.search(code)
    default = path.rsplit("/", 1)[-1].rsplit(".", 1)[0] if library else "pipeline"
    stages = [(mt.start(), mt.group(1)) for mt in _STAGE.finditer(code)] or [(0, default)]
    bounds = [s for s, _ in stages[1:]] + [len(code)]
    jobs = []
    for (start, name), end in zip(stages, bounds):
        body = code[start:end]
        steps = []
        for sm in _SHELL.finditer(body):
            script = next(g for g in sm.groups()[2:] if g is not None)
            pos = start + sm.start()
            eol = body.find("\n", sm.end())
            statement = body[sm.start():eol if eol >= 0 else len(body)]
            steps.append(Step(line=_line(code, pos), name=sm.group(1), run=script,
                              neutered=bool(_UNSTABLE.search(statement))))
        gate = _INPUT.search(body)
        if gate:
            steps.append(Step(line=_line(code, start + gate.start()), name="input", gate=True))
        environment = name if m.production_like(name) else None
        jobs.append(Job(file=path, system=SYSTEM, name=name, line=_line(code, start),
                        triggers=frozenset(triggers), steps=tuple(steps), environment=environment,
                        manual=bool(gate), neutered=rejected))
    return Pipeline(path, SYSTEM, tuple(jobs))
