"""Code-quality tooling: pre-commit hooks, linter/formatter configuration, and linters run by CI
or task runners. A linter only listed as a dependency, or run by a CI step whose failures the CI
model knows to be ignored (``continue-on-error``, ``allow_failure``, a disabled step), is declared."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from detectors.ci import github, gitlab, read_ci
from detectors.ci.classify import LINT
from detectors.collaboration.repo import (ENV_PREFIX, MAX_LOCATIONS, MAX_TASK_DEPTH, RepoFiles, base_name, depth,
                                          line_of, more, table)
from detectors.collaboration.signals import CODE_QUALITY
from detectors.manifests import requirements
from detectors.precommit import CONFIG_NAMES, hook_ids
from scanner.detector import ParseError
from scanner.model import Evidence, Outcome, Tier

#: linters and formatters: config files of their own, and sections they read elsewhere.
_LINT_FILES = re.compile(
    r"(?:^|/)(?:\.flake8|\.pylintrc|pylintrc|\.?ruff\.toml|\.?mypy\.ini|\.isort\.cfg|pyrightconfig\.json|"
    r"\.eslintrc(?:\.\w+)?|eslint\.config\.[cm]?[jt]s|\.prettierrc(?:\.\w+)?|prettier\.config\.[cm]?js|"
    r"\.stylelintrc(?:\.\w+)?|biome\.jsonc?|\.markdownlint(?:-cli2)?(?:\.\w+)?|\.yamllint(?:\.ya?ml)?|"
    r"\.golangci\.ya?ml|\.rubocop\.yml|\.clang-format|\.hadolint\.ya?ml|\.sqlfluff|\.mdformat\.toml|"
    r"\.pydocstyle|\.pycodestyle|\.style\.yapf)$", re.I)
_LINT_TOOLS = ("ruff", "black", "isort", "flake8", "pylint", "mypy", "pyright", "pydocstyle",
               "pycodestyle", "autopep8", "yapf", "pylama", "docformatter", "blackdoc", "nbqa")
_INI_SECTIONS = re.compile(
    r"^\[(flake8|isort|mypy(?:-[\w.*]+)?|pylint[\w.]*|pycodestyle|pydocstyle|yapf|tool:isort)\]\s*$", re.M | re.I)
_LINT_CMD = frozenset(_LINT_TOOLS + (
    "prettier", "eslint", "stylelint", "biome", "mdformat", "markdownlint", "markdownlint-cli2",
    "yamllint", "shellcheck", "hadolint", "sqlfluff", "codespell", "golangci-lint", "rubocop",
    "gofmt", "clang-format", "djlint", "prospector", "interrogate", "vulture", "deptry", "pyflakes"))
_WRAPPER = re.compile(
    r"^(?:(?:uv|poetry|pdm|pipenv|hatch|rye|pixi|conda|mamba)\s+run\s+(?:-{1,2}[\w-]+(?:[ =][^\s-]\S*)?\s+)*"
    r"|(?:python3?|\$\(\w+\)|\$\{\w+\})\s+-m\s+|npx\s+|uvx\s+|pnpm\s+(?:exec\s+)?|yarn\s+|bunx\s+|pipx\s+run\s+)")
_TOX_COMMANDS = re.compile(r"^commands(?:_pre|_post)?\s*=\s*")
_NOX_RUN = re.compile(r"session\.run\(\s*['\"]([^'\"]+)['\"]((?:\s*,\s*['\"][^'\"]*['\"])*)")
_INSTALL_ONLY = re.compile(
    r"^\s*(?:pip3?|uv|poetry|pdm|pipenv|npm|yarn|pnpm|conda|mamba|apt-get|apt)\s+(?:install|sync|ci|add)\b")
_LINT_ACTION = re.compile(r"ruff|psf/black|pre-commit/action|super-linter|lint-action|flake8|pylint|mypy|"
                          r"prettier|eslint|reviewdog|markdownlint|hadolint|isort", re.I)
_LINT_STEP_NAME = re.compile(r"\b(?:lint\w*|format\w*|style|code[ -]quality|pre-commit)\b", re.I)
_TASK_FILES = ("makefile", "gnumakefile", "justfile", ".justfile", "tox.ini")

#: what keeps a CI step from failing the build, as each CI system spells it.
_IGNORED = {github.SYSTEM: "continue-on-error or a disabled step", gitlab.SYSTEM: "allow_failure or when: never"}


@dataclass(frozen=True)
class Script:
    """One CI step or task recipe."""

    path: str
    """File it is written in."""
    label: str
    """Step name, else job name (task files: their path)."""
    text: str
    """Shell text it runs."""
    uses: str = ""
    """GitHub action it uses."""
    ignored: str = ""
    """Why it cannot fail the build ('' when it can)."""


def lint_commands(script: str) -> list[str]:
    """Linter/formatter invocations in shell text (``uv run ruff check .`` -> ``ruff``)."""
    found = []
    for line in script.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for part in re.split(r"&&|\|\||;|\|", line):
            part = _TOX_COMMANDS.sub("", part.strip().lstrip("-@ \t"))
            words = _WRAPPER.sub("", ENV_PREFIX.sub("", part)).split()
            if not words:
                continue
            tool = words[0].rsplit("/", 1)[-1].lower()
            if tool in _LINT_CMD or (tool == "pre-commit" and "run" in words[1:2]):
                found.append(tool)
    return found


def code_quality_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """Hooks, configs and linter runs; linters merely declared only when none of those counts."""
    found = False
    for ev in (*_pre_commit(repo), *_lint_configs(repo), *_lint_runs(repo)):
        found = found or ev.counts
        yield ev
    if not found:
        yield from _declared_linters(repo)


def _pre_commit(repo: RepoFiles) -> Iterator[Evidence]:
    for path in repo.files:
        if base_name(path) not in CONFIG_NAMES:
            continue
        try:
            docs = repo.ctx.structured(path)
        except ParseError as exc:
            yield repo.detector.evidence(CODE_QUALITY, f"{path} cannot be parsed: {exc}", repo.ctx.location(path),
                                         outcome=Outcome.ERROR, tier=None, subject="pre-commit")
            continue
        doc = docs[0] if docs else None
        repos = table(doc, "repos")
        if doc is not None and not (isinstance(doc, dict) and isinstance(repos, (list, type(None)))):
            why = "the document is not a mapping" if not isinstance(doc, dict) else "'repos' is not a list"
            yield repo.error(CODE_QUALITY, path, why)
            continue
        hooks = hook_ids(doc)
        if hooks:
            yield repo.found(CODE_QUALITY, f"pre-commit hooks in {path}: {', '.join(hooks[:6])}",
                             [path], subject="pre-commit", hooks=hooks)


def _lint_configs(repo: RepoFiles) -> Iterator[Evidence]:
    configs = repo.with_content([p for p in repo.files if _LINT_FILES.search(p)])
    for path, doc in repo.pyprojects.items():
        tools = [t for t in _LINT_TOOLS if isinstance(table(doc, "tool", t), dict)]
        if tools:
            yield repo.found(CODE_QUALITY, f"{', '.join(tools)} configured in {path}", [path],
                             line=line_of(repo.text(path), f"[tool.{tools[0]}"), subject=f"pyproject:{path}",
                             tools=tools)
    for path in repo.files:
        if base_name(path) in ("setup.cfg", "tox.ini"):
            text = repo.text(path)
            m = _INI_SECTIONS.search(text)
            if m:
                yield repo.found(CODE_QUALITY, f"[{m.group(1)}] section in {path}", [path],
                                 line=line_of(text, m.group(0)), subject=f"ini:{path}")
    if configs:
        yield repo.found(CODE_QUALITY, f"linter/formatter config {more(configs)}",
                         configs, subject="config-files", files=configs[:20])


def _lint_runs(repo: RepoFiles) -> Iterator[Evidence]:
    """Linters run by CI steps or by task-runner recipes; CI read by the CI model covers every
    system it knows (Azure templates, Jenkins, Cloud Build...) and follows scripts."""
    found = list(_script_lint_runs(repo))
    yield from found
    if not any(ev.counts for ev in found):
        yield from _ci_lint_runs(repo)


def _ci_lint_runs(repo: RepoFiles) -> Iterator[Evidence]:
    for finding in read_ci(repo.ctx).ci_findings:
        if LINT in finding.kinds:
            job = finding.job
            places = list(dict.fromkeys(finding.chain or ((finding.path, finding.line),)))
            locations = [repo.ctx.location(p, n) for p, n in places[:MAX_LOCATIONS]]
            yield repo.detector.evidence(
                CODE_QUALITY, f"{finding.text[:120]} run by {job.system} in {job.file} ({finding.where})",
                *locations, subject=f"run:{job.file}", runner=job.name)
            return


def _script_lint_runs(repo: RepoFiles) -> Iterator[Evidence]:
    """The first linter run that can fail the build; before it, one run per file whose failures
    are ignored (declared: the lint runs, but nothing stops on what it finds)."""
    ignored: set[str] = set()
    for script in _scripts(repo):
        what, needle = _lint_run(script)
        if not what:
            continue
        line = line_of(repo.text(script.path), needle)
        if not script.ignored:
            yield repo.found(CODE_QUALITY, f"{what} run in {script.path}", [script.path], line=line,
                             subject=f"run:{script.path}", runner=script.label)
            return
        if script.path not in ignored:
            ignored.add(script.path)
            yield repo.found(CODE_QUALITY,
                             f"{what} run in {script.path}, but it cannot fail the build ({script.ignored})",
                             [script.path], tier=Tier.DECLARED, line=line, subject=f"ignored-run:{script.path}",
                             runner=script.label)


def _lint_run(script: Script) -> tuple[str, str]:
    """(what runs, text to point at) when the script runs a linter, else ('', '')."""
    tools = lint_commands(script.text)
    if tools:
        return ", ".join(sorted(set(tools))), tools[0]
    if script.uses and _LINT_ACTION.search(script.uses):
        return script.uses, (script.text.strip().splitlines() or [script.uses])[0]
    if script.text.strip() and not _INSTALL_ONLY.match(script.text) and _LINT_STEP_NAME.search(script.label):
        return f"step '{script.label}'", script.text.strip().splitlines()[0]
    return "", ""


def _scripts(repo: RepoFiles) -> Iterator[Script]:
    """GitHub and GitLab CI steps (as the CI model reads them) and task recipes, in file order."""
    steps = _ci_steps(repo)
    for path in repo.files:
        if path in steps:
            yield from steps[path]
        elif depth(path) <= MAX_TASK_DEPTH and base_name(path) == "noxfile.py":
            runs = _NOX_RUN.findall(repo.text(path))
            yield Script(path, path, "\n".join(a + " " + re.sub(r"[\s,'\"]+", " ", b) for a, b in runs))
        elif depth(path) <= MAX_TASK_DEPTH and base_name(path) in _TASK_FILES:
            yield Script(path, path, repo.text(path))


def _ci_steps(repo: RepoFiles) -> dict[str, list[Script]]:
    """Steps of GitHub workflows (and the local actions they use) and GitLab jobs, by the file
    they are written in; a step of a neutered job or a neutered step cannot fail the build."""
    out: dict[str, list[Script]] = defaultdict(list)
    for pipeline in read_ci(repo.ctx).pipelines:
        on_github = pipeline.system == github.SYSTEM
        if not (on_github or pipeline.system == gitlab.SYSTEM):
            continue
        for job in pipeline.jobs:
            for step in job.steps:
                ignored = _IGNORED[pipeline.system] if job.neutered or step.neutered else ""
                label = step.name if on_github and step.name else job.name
                path = step.file or job.file
                out[path].append(Script(path, label, step.run, step.uses if on_github else "", ignored))
    return out


def _declared_linters(repo: RepoFiles) -> Iterator[Evidence]:
    listed = [r for r in requirements(repo.ctx) if r.name in _LINT_CMD]
    for req in listed[:1]:
        yield repo.found(CODE_QUALITY, f"{req.name} listed as a dependency in {req.path}, but not configured or run",
                         [req.path], tier=Tier.DECLARED, line=req.line, subject="declared", tool=req.name)
    editorconfig = [p for p in repo.files if p.lower() == ".editorconfig"]
    if editorconfig:
        yield repo.found(CODE_QUALITY, ".editorconfig sets whitespace rules only (no linter)",
                         editorconfig, tier=Tier.DECLARED, subject="editorconfig")
