"""What the jobs of the CI model do: each non-neutered command or action, with its kinds.

Task runners are followed one level (``make test`` -> its recipe), so the finding points at
the command that really runs, wherever it is written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from detectors.ci import classify as k
from detectors.ci.classify import classify_command, classify_uses, script_target
from detectors.ci.commands import Command, commands
from detectors.ci.model import Job, Step
from detectors.ci.tasks import TaskRunners
from detectors.shapes import as_dict, as_list, get_in
from scanner.detector import ParseError, ScanContext

_RUNNERS = {"make", "gmake", "just", "nox", "tox", "invoke", "inv", "mise", "npm", "pnpm", "yarn", "bun", "poe"}
_RUFF_SECURITY = re.compile(r"^(S\d*|ALL)$")
#: a step named for training or evaluating a model ("Train my model", "Evaluate model").
_TRAIN_STEP = re.compile(r"\b(re)?train(ing)?\b|\bfine-?tun\w*|\bevaluat\w*\b.*\bmodels?\b", re.I)


@dataclass(frozen=True)
class Finding:
    """One thing a job does: its kinds, the text that shows it, and where that text is."""

    job: Job
    kinds: frozenset[str]
    text: str
    path: str
    line: int | None
    order: int
    """Position of the step in its job, to tell what runs after what."""


_SARIF_UPLOAD = "codeql-action/upload-sarif"


def _reported_scan(job: Job, step: Step, order: int) -> list[Finding]:
    """A scanner action that may not fail the job still reports when a later step uploads its
    SARIF to code scanning: the findings become alerts there (how CodeQL itself works)."""
    if not step.uses or k.SECURITY not in classify_uses(step.uses, step.args):
        return []
    if not any(_SARIF_UPLOAD in later.uses for later in job.steps[order + 1:]):
        return []
    return [Finding(job, frozenset({k.SECURITY}), step.uses, job.file, step.line, order)]


class JobAnalyser:
    """Turns jobs into findings; caches task-runner and linter configuration look-ups."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.runners = TaskRunners(ctx)
        self._ruff_security: dict[str, bool] = {}

    def findings(self, job: Job) -> list[Finding]:
        """Findings of a job (none when the whole job is neutered)."""
        if job.neutered:
            return []
        out: list[Finding] = []
        for order, step in enumerate(job.steps):
            if step.neutered:
                out += _reported_scan(job, step, order)
                continue
            if step.uses:
                kinds = classify_uses(step.uses, step.args)
                if kinds:
                    out.append(Finding(job, frozenset(kinds), step.uses, job.file, step.line, order))
            for cmd in commands(step.run):
                out += self._command(job, step, cmd, order)
        return out

    def _command(self, job: Job, step: Step, cmd: Command, order: int) -> list[Finding]:
        if cmd.neutered or cmd.inert:
            return []
        line = step.line + cmd.offset if step.line else None
        kinds = classify_command(cmd)
        if not kinds and _TRAIN_STEP.search(step.name) and _runs_python_script(cmd):
            # ``python model.py`` says nothing by its name; the step's name says what it is for.
            kinds = {k.TRAIN}
        if cmd.tool in _RUNNERS and len(cmd.words) > 1:
            kinds |= self._target_kinds(cmd)
        if self._ruff_security_check(cmd, step.workdir) and kinds & {k.LINT}:
            kinds.add(k.SECURITY)
        out = [Finding(job, frozenset(kinds), cmd.text, job.file, line, order)] if kinds else []
        for res in self.runners.expand(cmd, step.workdir):
            if res.command.neutered or res.command.inert:
                continue
            sub = classify_command(res.command)
            if sub & {k.LINT} and self._ruff_security_check(res.command, step.workdir):
                sub.add(k.SECURITY)
            if sub:
                out.append(Finding(job, frozenset(sub), f"{cmd.text} -> {res.command.text}", res.path, res.line, order))
        return out

    @staticmethod
    def _target_kinds(cmd: Command) -> set[str]:
        """``make test`` with no Makefile to read still says what it is for, by its name."""
        words = [w for w in cmd.words[1:] if not w.startswith("-") and w not in ("run", "run-script", "exec")]
        if not words:
            return set()
        return classify_command(Command(("python", words[0].replace(":", "_")), cmd.offset)) & {k.TEST, k.LINT}

    def _ruff_security_check(self, cmd: Command, workdir: str) -> bool:
        """``ruff check`` (not ``ruff format``) with the flake8-bandit rules switched on."""
        if cmd.tool != "ruff" or (len(cmd.words) > 1 and cmd.words[1] == "format"):
            return False
        return self._ruff_selects_security(workdir)

    def _ruff_selects_security(self, workdir: str) -> bool:
        """Ruff's configuration turns on the flake8-bandit (``S``) rules."""
        if workdir not in self._ruff_security:
            found = False
            folders = [workdir.strip("./"), ""] if workdir else [""]
            for folder in folders:
                for name in ("ruff.toml", ".ruff.toml", "pyproject.toml"):
                    path = f"{folder}/{name}" if folder else name
                    if self.ctx.repo is not None and self.ctx.repo.exists(path) and self._selects(path):
                        found = True
            self._ruff_security[workdir] = found
        return self._ruff_security[workdir]

    def _selects(self, path: str) -> bool:
        try:
            doc = self.ctx.structured(path)
        except ParseError:
            return False
        if not isinstance(doc, dict):
            return False
        ruff = get_in(doc, "tool", "ruff") if path.endswith("pyproject.toml") else doc
        if not isinstance(ruff, dict):
            return False
        tables = [ruff, as_dict(ruff.get("lint"))]
        rules = [r for t in tables for key in ("select", "extend-select") for r in as_list(t.get(key))]
        return any(isinstance(r, str) and _RUFF_SECURITY.match(r) for r in rules)


def _runs_python_script(cmd: Command) -> bool:
    """``python x.py`` (not ``python -c``, not ``python -m pip install``)."""
    target = script_target(cmd) if cmd.tool.startswith("python") else None
    return bool(target) and target.lower().endswith(".py")
