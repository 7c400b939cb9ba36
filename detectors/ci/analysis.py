"""What the jobs of the CI model do: each non-neutered command or action, with its kinds.

Commands are followed into what they start (task-runner recipes, shell scripts, Python modules,
remote jobs), so a finding points at the command that really runs, wherever it is written, and
carries the chain of places that lead there.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace

from detectors.ci import classify as k
from detectors.ci.classify import classify_command, classify_uses, script_target
from detectors.ci.commands import UNKNOWN, Command, commands, in_folders
from detectors.ci.follow import Follower, Hop
from detectors.ci.model import Job, Step
from detectors.precommit import CONFIG_NAMES, SECURITY_HOOKS, hook_ids
from detectors.shapes import as_dict, as_list, get_in
from scanner.detector import ParseError, ScanContext

_RUNNERS = {"make", "gmake", "just", "nox", "tox", "invoke", "inv", "mise", "npm", "pnpm", "yarn", "bun", "poe"}
_RUFF_SECURITY = re.compile(r"^(S\d*|ALL)$")
#: a step named for training or evaluating a model ("Train my model", "Evaluate model").
_TRAIN_STEP = re.compile(r"\b(re)?train(ing)?\b|\bfine-?tun\w*|\bevaluat\w*\b.*\bmodels?\b", re.I)
#: a step named for a run that only shows the code works ("Dummy Training", "Smoke test training")
_SMOKE_STEP = re.compile(r"\b(dummy|smoke|sanity|toy)\b", re.I)


def _smoke(kinds: set[str] | frozenset[str], step: Step) -> set[str] | frozenset[str]:
    """A training run in a step its author calls a dummy or smoke run trains no model anyone
    keeps: it tests that training runs."""
    if k.TRAIN in kinds and _SMOKE_STEP.search(step.name):
        return (set(kinds) - {k.TRAIN}) | {k.TEST}
    return kinds


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
    chain: tuple[tuple[str, int | None], ...] = ()
    """Places from the CI step down to ``path:line`` when the command was followed there."""

    @property
    def where(self) -> str:
        """``ci.yml:40 -> deploy/run.sh:12 -> train.py:88`` (or just ``path:line``)."""
        places = self.chain or ((self.path, self.line),)
        return " -> ".join(f"{p}:{n or '?'}" for p, n in places)


_SARIF_UPLOAD = "codeql-action/upload-sarif"


#: kinds that are checks: a check whose failure is ignored checks nothing.
_CHECKS = frozenset({k.TEST, k.LINT, k.SECURITY})


def _actions(findings: list[Finding]) -> list[Finding]:
    """What findings do besides checking (training, deploying, running a pipeline)."""
    return [replace(f, kinds=f.kinds - _CHECKS) for f in findings if f.kinds - _CHECKS]


def _reported_scan(job: Job, step: Step, order: int) -> list[Finding]:
    """A scanner action that may not fail the job still reports when a later step uploads its
    SARIF to code scanning: the findings become alerts there (how CodeQL itself works)."""
    if not step.uses or k.SECURITY not in classify_uses(step.uses, step.args):
        return []
    if not any(_SARIF_UPLOAD in later.uses for later in job.steps[order + 1:]):
        return []
    return [Finding(job, frozenset({k.SECURITY}), step.uses, job.file, step.line, order)]


#: steps publishing JUnit results that fail the job when a test failed (action, input saying so;
#: ``None``: it fails by default unless told not to)
_FAILING_PUBLISHERS = (("publishtestresults@", "failtaskonfailedtests=true"), ("dorny/test-reporter", None),
                       ("mikepenz/action-junit-report", "fail_on_failure=true"))


def _results_fail_the_job(cmd: Command, job: Job, order: int) -> bool:
    """``pytest --junitxml=... || true`` whose results a later step publishes and fails the job on:
    the failures still stop the job, one step later."""
    if not any(w.startswith(("--junitxml", "--junit-xml")) for w in cmd.words):
        return False
    for later in job.steps[order + 1:]:
        uses, args = later.uses.lower(), later.args.lower().replace(" = ", "=")
        for action, fails in _FAILING_PUBLISHERS:
            if action in uses and (fails in args if fails else "fail-on-error=false" not in args):
                return True
    return False


#: the ``$schema`` of an Azure ML job spec that runs something (a pipeline, a command, a sweep)
_AML_JOB_SCHEMA = re.compile(r"azuremlschemas\.azureedge\.net/[\w.]+/(pipelineJob|commandJob|sweepJob)\.schema", re.I)


class JobAnalyser:
    """Turns jobs into findings; caches task-runner and linter configuration look-ups."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.follower = Follower(ctx, self._classify)
        self._ruff_security: dict[str, bool] = {}
        self._pre_commit_security: dict[str, bool] = {}

    def findings(self, job: Job) -> list[Finding]:
        """Findings of a job (none when the whole job is neutered)."""
        if job.neutered:
            return []
        out: list[Finding] = []
        for order, step in enumerate(job.steps):
            found = self._step(job, step, order)
            if step.neutered:
                # a step whose failure is ignored checks nothing, but what it does (training,
                # deploying) still happens
                out += _reported_scan(job, step, order) + _actions(found)
            else:
                out += found
        return out

    def _step(self, job: Job, step: Step, order: int) -> list[Finding]:
        """Findings of one step: its action, an image it builds, the job specs it hands on, its commands."""
        out: list[Finding] = []
        if step.uses:
            kinds = classify_uses(step.uses, step.args)
            if k.LINT in kinds and "pre-commit/action" in step.uses.lower() and self._pre_commit_scans(step.workdir):
                kinds.add(k.SECURITY)
            if kinds:
                out.append(Finding(job, frozenset(kinds), step.uses, step.file or job.file, step.line, order))
            build = _action_build(step)
            if build is not None:  # an image-building action runs the Dockerfile's RUN lines
                out += self._command(job, step, build, order, step.workdir)
            for submit in self._handed_job_specs(step):
                out += self._command(job, step, submit, order, step.workdir)
        workdir = step.workdir
        for cmd, moved in in_folders(commands(step.run), step.workdir):
            if moved != workdir and not self._is_folder(moved):
                break  # ``cd`` into a folder the repository lacks: the step fails there (shells run with -e)
            workdir = moved
            out += self._command(job, step, cmd, order, workdir)
        return out

    def _command(self, job: Job, step: Step, cmd: Command, order: int, workdir: str) -> list[Finding]:
        if cmd.neutered and _results_fail_the_job(cmd, job, order):
            cmd = replace(cmd, neutered=False)
        if cmd.inert:
            return []
        if cmd.neutered:  # ``cmd || true`` cannot fail the job, yet what it does is done
            return _actions(self._command(job, step, replace(cmd, neutered=False), order, workdir))
        path = step.file or job.file
        at = Hop(path, step.line + cmd.offset if step.line else None, cmd.text)
        kinds, module = self.follower.kinds(cmd, workdir, at)
        if kinds <= {k.DATA_PIPELINE} and _TRAIN_STEP.search(step.name) and _runs_python_script(cmd):
            # ``python model.py`` says nothing by its name, ``run_pipeline`` only that it runs a
            # pipeline; the step's name says what it is for ("Run training pipeline").
            kinds = kinds | {k.TRAIN}
        out = []
        if kinds:
            hops = (at, module) if module else (at,)
            out.append(_finding(job, _smoke(kinds, step), hops, order))
        for reached in self.follower.walk(cmd, workdir, at):
            out.append(_finding(job, _smoke(reached.kinds, step), (at, *reached.hops), order))
        return out

    def _handed_job_specs(self, step: Step) -> list[Command]:
        """A shared workflow of another repository handed an Azure ML job or pipeline spec of this
        one (``uses: Azure/mlops-templates/.github/workflows/run-pipeline.yml`` with
        ``parameters-file: mlops/azureml/train/pipeline.yml``) submits it: read as ``az ml job create``."""
        if "/.github/workflows/" not in step.uses or step.uses.startswith("./") or self.ctx.repo is None:
            return []
        out = []
        for word in step.args.split():
            value = word.split("=", 1)[-1]
            if value.endswith((".yml", ".yaml")) and self.ctx.repo.exists(value) \
                    and _AML_JOB_SCHEMA.search((self.ctx.text(value) or "")[:400]):
                out += commands(f"az ml job create --file {value}")
        return out

    def _classify(self, cmd: Command, workdir: str, submitted: bool) -> set[str]:
        """Kinds of one command wherever it is written (a CI step, a script, a recipe)."""
        if self._missing_script(cmd):
            return set()  # the step runs a file the repository does not have: it fails, whatever its name
        kinds = classify_command(cmd, remote_unread=not submitted)
        if cmd.tool in _RUNNERS and len(cmd.words) > 1:
            kinds |= self._target_kinds(cmd)
        if kinds & {k.LINT} and self._ruff_security_check(cmd, workdir):
            kinds.add(k.SECURITY)
        if k.LINT in kinds and cmd.tool == "pre-commit" and self._pre_commit_scans(workdir):
            kinds.add(k.SECURITY)
        return kinds

    def _is_folder(self, folder: str) -> bool:
        return not folder or self.ctx.repo is None or _is_folder(self.ctx, folder)

    def _pre_commit_scans(self, workdir: str) -> bool:
        """The pre-commit config that CI runs holds a security hook (bandit, detect-secrets...)."""
        if workdir not in self._pre_commit_security:
            hooks: set[str] = set()
            for folder in dict.fromkeys([workdir.strip("./"), ""]):
                for name in CONFIG_NAMES:
                    path = f"{folder}/{name}" if folder else name
                    if self.ctx.repo is not None and self.ctx.repo.exists(path):
                        try:
                            docs = self.ctx.structured(path)
                        except ParseError:
                            continue
                        hooks.update(hook_ids(docs[0] if docs else None))
            self._pre_commit_security[workdir] = bool(hooks & SECURITY_HOOKS)
        return self._pre_commit_security[workdir]

    def _missing_script(self, cmd: Command) -> bool:
        """The command runs a script in a folder (``bash automation/train_model/run.sh``) that the
        repository does not have, from whatever folder it is run: a stale step, which fails."""
        target = script_target(cmd)
        if not target or self.ctx.repo is None or not _SCRIPT_FILE.search(target) \
                or target.startswith(("/", "~", "-")) or "$" in target or "{" in target or "*" in target:
            return False
        folder = posixpath.dirname(posixpath.normpath(target))
        if not folder or folder.startswith(".."):
            return False  # a bare name may be run from a folder the step entered first
        folders = self.ctx.memo("ci.folders", lambda: _folders(self.ctx.files()))
        return not any(f == folder or f.endswith("/" + folder) for f in folders)

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


def _finding(job: Job, kinds: set[str] | frozenset[str], hops: tuple[Hop, ...], order: int) -> Finding:
    """A finding at the last hop, its text the commands along the way."""
    texts: list[str] = []
    for hop in hops:
        if hop.text and (not texts or texts[-1] != hop.text):
            texts.append(hop.text)
    places = tuple(dict.fromkeys((h.path, h.line) for h in hops))
    last = hops[-1]
    return Finding(job, frozenset(kinds), " -> ".join(texts), last.path, last.line, order,
                   places if len(places) > 1 else ())


#: a path to a script file, as a step names it (``scripts/train.sh``, ``src/train.py``).
_SCRIPT_FILE = re.compile(r"\.(sh|bash|py|ipynb|r|ps1)$", re.I)


def _action_build(step: Step) -> Command | None:
    """``docker build -f FILE CONTEXT`` for a step using docker/build-push-action."""
    if "docker/build-push-action" not in step.uses.lower():
        return None
    given = dict(w.split("=", 1) for w in step.args.split() if "=" in w)
    words = ["docker", "build"]
    if given.get("file"):
        words += ["-f", given["file"]]
    words.append(given.get("context") or ".")
    if any("$" in w for w in words):
        return None
    return Command(tuple(words), 0)


def builds_missing_image(ctx: ScanContext, job: Job) -> str | None:
    """The Dockerfile or build context a step of ``job`` builds from that the repository does not
    have (a folder moved away since the workflow was written): the job fails there."""
    if ctx.repo is None:
        return None
    for step in job.steps:
        build = _action_build(step)
        builds = [build] if build is not None else []
        builds += [c for c in commands(step.run) if c.words[:2] == ("docker", "build")
                   or c.words[:3] == ("docker", "buildx", "build")]
        for cmd in builds:
            for target in _build_inputs(cmd.words, step.workdir):
                if not (ctx.repo.exists(target) or _is_folder(ctx, target)):
                    return target
    return None


def _build_inputs(words: tuple[str, ...], workdir: str) -> list[str]:
    """Repository paths of the Dockerfile (``-f``) and the context a ``docker build`` names."""
    out, i, rest = [], 2, []
    while i < len(words):
        word = words[i]
        if word in ("-f", "--file") and i + 1 < len(words):
            out.append(words[i + 1])
            i += 2
            continue
        if word.startswith("--file="):
            out.append(word.split("=", 1)[1])
        elif word.startswith("-") and "=" not in word and i + 1 < len(words) and word not in _BUILD_FLAGS:
            i += 1  # an option's value
        elif not word.startswith("-"):
            rest.append(word)
        i += 1
    out += rest[-1:]
    # (a path made of a CI expression, ``${{ env.PROJECT_PATH }}/Dockerfile``, is unknown: never missing)
    paths = [posixpath.normpath(posixpath.join(workdir or ".", p)) for p in out if "$" not in p and "://" not in p
             and p != "-" and UNKNOWN not in p.split("/")]
    return [p for p in paths if not p.startswith("..") and p != "."]


#: ``docker build`` options that take no value.
_BUILD_FLAGS = frozenset({"--push", "--load", "--no-cache", "--pull", "-q", "--quiet", "--rm", "--compress"})


def _is_folder(ctx: ScanContext, path: str) -> bool:
    return any(f.startswith(path.rstrip("/") + "/") for f in ctx.files())


def _folders(files: tuple[str, ...]) -> frozenset[str]:
    """Every folder that holds a file of the repository."""
    out: set[str] = set()
    for path in files:
        parts = path.split("/")[:-1]
        out.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(out)


def _runs_python_script(cmd: Command) -> bool:
    """``python x.py`` or a project module run with ``python -m src.pipeline.run`` (not ``python
    -c``, not a tool such as ``python -m pip install``)."""
    target = script_target(cmd) if cmd.tool.startswith("python") else None
    return bool(target) and (target.lower().endswith(".py") or "-m" in cmd.words and "/" in target)
