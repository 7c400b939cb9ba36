"""Code-quality tooling: pre-commit hooks, linter/formatter configuration, and linters run by CI
or task runners. A linter only listed as a dependency is declared."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.ci import read_ci
from detectors.ci.classify import LINT
from detectors.collaboration.repo import (ENV_PREFIX, MAX_LOCATIONS, MAX_TASK_DEPTH, RepoFiles, base_name, depth,
                                          line_of, more, table)
from detectors.collaboration.signals import CODE_QUALITY
from detectors.manifests import requirements
from detectors.precommit import CONFIG_NAMES, hook_ids
from detectors.shapes import as_dict, as_str, dicts
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

#: (path, job/step name, shell text, action used) of one CI step or task recipe.
Script = tuple[str, str, str, str]


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
    if not found:
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
    for path, label, script, uses in _scripts(repo):
        tools = lint_commands(script)
        named = (not tools and bool(script.strip()) and not _INSTALL_ONLY.match(script)
                 and bool(_LINT_STEP_NAME.search(label)))
        action = bool(uses) and bool(_LINT_ACTION.search(uses))
        if tools or named or action:
            what = ", ".join(sorted(set(tools))) or (uses if action else f"step '{label}'")
            needle = (script.strip().splitlines() or [uses])[0] if not tools else tools[0]
            yield repo.found(CODE_QUALITY, f"{what} run in {path}", [path],
                             line=line_of(repo.text(path), needle), subject=f"run:{path}", runner=label)
            return


def _scripts(repo: RepoFiles) -> Iterator[Script]:
    """CI steps and task recipes, in file order."""
    for path in repo.files:
        low = path.lower()
        if low.startswith(".github/workflows/") and low.endswith((".yml", ".yaml")):
            yield from _github_steps(repo, path)
        elif low.endswith(".gitlab-ci.yml"):
            yield from _gitlab_jobs(repo, path)
        elif depth(path) <= MAX_TASK_DEPTH and base_name(path) == "noxfile.py":
            runs = _NOX_RUN.findall(repo.text(path))
            yield path, path, "\n".join(a + " " + re.sub(r"[\s,'\"]+", " ", b) for a, b in runs), ""
        elif depth(path) <= MAX_TASK_DEPTH and base_name(path) in _TASK_FILES:
            yield path, path, repo.text(path), ""


def _github_steps(repo: RepoFiles, path: str) -> Iterator[Script]:
    # a broken workflow yields nothing: the CI detector reports it
    jobs = as_dict(table(repo.first_document(path), "jobs"))
    for job_id, job in jobs.items():
        for step in dicts(table(job, "steps")):
            label = str(step.get("name") or job_id)
            yield path, label, as_str(step.get("run")), as_str(step.get("uses"))


def _gitlab_jobs(repo: RepoFiles, path: str) -> Iterator[Script]:
    doc = repo.first_document(path)
    for name, job in doc.items() if isinstance(doc, dict) else ():
        if isinstance(job, dict) and "script" in job:
            script = job["script"]
            lines = script if isinstance(script, list) else [script]
            yield path, str(name), "\n".join(str(s) for s in lines), ""


def _declared_linters(repo: RepoFiles) -> Iterator[Evidence]:
    listed = [r for r in requirements(repo.ctx) if r.name in _LINT_CMD]
    for req in listed[:1]:
        yield repo.found(CODE_QUALITY, f"{req.name} listed as a dependency in {req.path}, but not configured or run",
                         [req.path], tier=Tier.DECLARED, line=req.line, subject="declared", tool=req.name)
    editorconfig = [p for p in repo.files if p.lower() == ".editorconfig"]
    if editorconfig:
        yield repo.found(CODE_QUALITY, ".editorconfig sets whitespace rules only (no linter)",
                         editorconfig, tier=Tier.DECLARED, subject="editorconfig")
