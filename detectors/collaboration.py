"""Collaboration habits read from repository files: onboarding docs, contribution workflow,
code-quality tooling, packaging, docs sites, task runners and shared development environments.

Each check looks at a few files picked by path and requires real content (a README with an
install section *and* a command, a Makefile with a target that runs something, a compose file
with services): an empty or boilerplate file is at most ``declared``.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

from detectors.manifests import requirements
from detectors.tools import is_template_path
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Outcome, Tier

README = "collaboration.readme_setup"
CONTRIBUTING = "collaboration.contributing"
TEMPLATES = "collaboration.templates"
CODE_QUALITY = "collaboration.code_quality"
PACKAGED = "collaboration.packaged_code"
DOCS_SITE = "collaboration.docs_site"
TASK_RUNNER = "collaboration.task_runner"
DEV_ENV = "collaboration.dev_env"

MAX_LOCATIONS = 5

# -- README ------------------------------------------------------------------------------------
_SETUP_WORDS = re.compile(
    r"\b(?:install\w*|set[ -]?up|get(?:ting)?[ -]started|quick[ -]?start|usage|how[ -]to)\b", re.I)
#: words that often head setup sections but also other ones: tried after the strong words.
_WEAK_SETUP_WORDS = re.compile(
    r"\b(?:running|run|local(?:ly)?|development|prerequisites|requirements|reproduc\w*|build(?:ing)?)\b",
    re.I)
_MD_HEADING = re.compile(
    r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$"          # ## Markdown
    r"|^\s*<h[1-6][^>]*>(.+?)</h[1-6]>"           # <h2>HTML</h2>
    r"|^\s*\*\*([^*]{2,60})\*\*:?\s*$", re.I)     # **a bold line standing alone**
_UNDERLINE = re.compile(r"^\s*([=\-~^*#+])\1{2,}\s*$")
_FENCE = re.compile(r"^\s*(```+|~~~+)\s*\{?\.?([\w+-]*)")
_INLINE_CODE = re.compile(r"`([^`\n]{3,200})`")
_SHELL_LANGS = frozenset({"sh", "bash", "shell", "console", "zsh", "fish", "powershell", "ps1",
                          "pwsh", "cmd", "bat", "batch", "terminal", "shell-session", "shellsession"})
_NOT_SHELL_LANGS = frozenset({"python", "py", "python3", "ipython", "json", "yaml", "yml", "toml",
                              "ini", "text", "txt", "csv", "sql", "r", "js", "javascript", "ts",
                              "html", "xml", "java", "c", "cpp", "go", "rust", "mermaid", "dockerfile"})
_CLI = frozenset({
    "pip", "pip3", "pipx", "conda", "mamba", "micromamba", "poetry", "uv", "uvx", "pipenv", "pdm",
    "hatch", "rye", "pixi", "docker", "docker-compose", "podman", "make", "just", "task", "tox",
    "nox", "invoke", "python", "python3", "py", "git", "npm", "npx", "yarn", "pnpm", "bun", "node",
    "cd", "source", "bash", "sh", "curl", "wget", "jupyter", "streamlit", "uvicorn", "gunicorn",
    "flask", "dvc", "mlflow", "kubectl", "helm", "terraform", "pytest", "apt", "apt-get", "brew",
    "sudo", "cargo", "go", "mvn", "gradle", "rscript", "virtualenv", "kedro", "dbt", "prefect",
    "airflow", "mkdocs", "sphinx-build", "snakemake", "bentoml", "export", "cp", "gcloud", "aws", "az",
})
_PROMPT = re.compile(r"^\s*(?:\$|%|>|PS>|PS [^>]*>|!)\s*")
_ENV_PREFIX = re.compile(r"^(?:[A-Za-z_]\w*=\S*\s+)+")
_BARE_WORD = re.compile(r"^(?:\./)?[a-z][\w.-]*$")
_FLAG = re.compile(r"\s--?[A-Za-z]")
#: a command is looked for this many lines after a setup phrase in running text.
_TEXT_WINDOW = 15
#: an ordered-list item with some words: ``1. Setup Airflow on any machine.``
_NUMBERED_STEP = re.compile(r"^\s{0,6}\d{1,2}[.)]\s+\S+\s+\S+")
#: setup-sounding headings about something else than starting the project.
_NOT_SETUP_HEADING = re.compile(r"contribut|clean[ -]?up|uninstall", re.I)
MIN_SETUP_STEPS = 3

# -- files of the other checks -----------------------------------------------------------------
_CONTRIBUTING = re.compile(
    r"^(?:\.github/|\.gitlab/|docs?/)?contributing(?:\.(?:md|rst|txt|adoc|markdown))?$", re.I)
_TEMPLATE_KINDS = (
    ("pull request template", re.compile(
        r"^(?:\.github/|docs/)?pull_request_template(?:\.md|\.txt)?$|^\.github/pull_request_template/[^/]+\.md$"
        r"|^\.gitlab/merge_request_templates/[^/]+\.md$", re.I)),
    ("issue template", re.compile(
        r"^(?:\.github/|docs/)?issue_template(?:\.md|\.txt)?$"
        r"|^\.github/issue_template/(?!config\.ya?ml$)[^/]+\.(?:md|ya?ml)$"  # config.yml is no template
        r"|^\.gitlab/issue_templates/[^/]+\.md$", re.I)),
)
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
_DOCS_FILES = (
    ("mkdocs", re.compile(r"(?:^|/)mkdocs\.ya?ml$", re.I), "site_name"),
    ("zensical", re.compile(r"(?:^|/)zensical\.toml$", re.I), "site_name"),
    ("sphinx", re.compile(r"(?:^|/)conf\.py$", re.I), "sphinx|html_theme"),
    ("docusaurus", re.compile(r"(?:^|/)docusaurus\.config\.[cm]?[jt]s$", re.I), ""),
    ("read the docs", re.compile(r"(?:^|/)\.?readthedocs\.ya?ml$", re.I), ""),
    ("jupyter book", re.compile(r"(?:^|/)_toc\.ya?ml$", re.I), ""),
    ("quarto", re.compile(r"(?:^|/)_quarto\.ya?ml$", re.I), r"type:\s*(?:website|book)"),
    ("mdbook", re.compile(r"(?:^|/)book\.toml$", re.I), r"\[book\]"),
    ("vitepress", re.compile(r"(?:^|/)\.vitepress/config\.[cm]?[jt]s$", re.I), ""),
    ("antora", re.compile(r"(?:^|/)antora(?:-playbook)?\.ya?ml$", re.I), ""),
)
_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_][\w./%-]*(?:[ \t]+[\w./%-]+)*)[ \t]*::?(?![=:])(.*)$")
_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][\w-]*)(?:[ \t]+[^:=]*)?:(?![=])")
_COMPOSE = re.compile(r"(?:^|/)(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$", re.I)
_PROD_NAME = re.compile(r"(?<![a-z])(?:prod|production|prd|deploy|release)(?![a-z])", re.I)
_DEVCONTAINER = re.compile(r"^(?:\.devcontainer/(?:[^/]+/)?devcontainer\.json|\.devcontainer\.json)$", re.I)
_DEV_SHELLS = (
    ("gitpod", re.compile(r"^\.gitpod\.ya?ml$", re.I), ""),
    ("nix flake", re.compile(r"(?:^|/)flake\.nix$", re.I), r"devShells?\b"),
    ("nix shell", re.compile(r"(?:^|/)shell\.nix$", re.I), r"mkShell"),
    ("devbox", re.compile(r"(?:^|/)devbox\.json$", re.I), r"packages"),
)
#: task-runner files deeper than this are someone's sub-build, not the project's workflow.
_MAX_TASK_DEPTH = 2


def _line_of(text: str, needle: str) -> int | None:
    """1-based line of the first occurrence of ``needle`` in ``text``."""
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _more(paths: list[str]) -> str:
    """``a.yml`` or ``a.yml (+2 more)`` for a summary."""
    return paths[0] + (f" (+{len(paths) - 1} more)" if len(paths) > 1 else "")


def _depth(path: str) -> int:
    return path.count("/")


def _table(doc: Any, *keys: str) -> Any:
    """``doc[k1][k2]...`` for nested mappings, None when a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


# -- README: sections and commands --------------------------------------------------------------
def looks_like_command(line: str, lang: str = "") -> bool:
    """A line of a README code block or span that a reader would type into a shell."""
    text = _ENV_PREFIX.sub("", _PROMPT.sub("", line.strip()))
    if not text or text.startswith(("#", "//")):
        return False
    words = text.split()
    head = words[0].lower()
    if head in ("python", "python3", "py"):
        # ``python 3.10`` in a requirements list is a version, not a command.
        return len(words) > 1 and (words[1].startswith("-") or words[1].endswith((".py", ".ipynb")))
    if head in _CLI or head.startswith("./"):
        return len(words) > 1 or head in ("make", "just", "tox", "nox", "pytest")
    if lang in _SHELL_LANGS:
        return True
    # An unknown program: a bare word with options, never an assignment or a call.
    return (_BARE_WORD.match(words[0]) is not None and len(words) > 1 and words[1] != "="
            and "(" not in words[0] and bool(_FLAG.search(text)))


def readme_commands(lines: list[str]) -> list[tuple[int, str]]:
    """(0-based line, command) of every command in fenced/indented blocks or inline code."""
    found: list[tuple[int, str]] = []
    fence: str | None = None
    lang = ""
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m and (fence is None or line.strip().startswith(fence)):
            fence, lang = (None, "") if fence else (m.group(1), m.group(2).lower())
            continue
        if fence is not None:
            if lang not in _NOT_SHELL_LANGS and looks_like_command(line, lang):
                found.append((i, line.strip()))
        elif line.startswith(("    ", "\t")) or _PROMPT.match(line) and line.lstrip().startswith("$"):
            if looks_like_command(line):
                found.append((i, line.strip()))
        else:
            found += [(i, span) for span in _INLINE_CODE.findall(line) if looks_like_command(span)]
    return found


def readme_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(0-based line, level, title) of Markdown, setext, RST, HTML and bold-line headings."""
    out: list[tuple[int, int, str]] = []
    fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fence = not fence
            continue
        if fence:
            continue
        m = _MD_HEADING.match(line[:300])  # headings are short; a capped line keeps regexes linear
        if m:
            level = len(line.lstrip()) - len(line.lstrip().lstrip("#")) if m.group(1) else 6
            out.append((i, level or 6, next(g for g in m.groups() if g)))
        elif _UNDERLINE.match(line) and i > 0 and lines[i - 1].strip() and not _UNDERLINE.match(lines[i - 1]):
            out.append((i - 1, 1 if line.strip()[0] == "=" else 2, lines[i - 1].strip()))
    return out


def setup_instructions(text: str) -> tuple[int, str, str] | None:
    """(1-based line, heading or phrase, command) of setup instructions, or None.

    A setup heading counts when its section holds a command; a setup phrase in running text
    counts when a command follows within a few lines.
    """
    lines = text.splitlines()
    commands = readme_commands(lines)
    if not commands:
        return None
    headings = readme_headings(lines)
    for words in (_SETUP_WORDS, _WEAK_SETUP_WORDS):
        for n, (start, level, title) in enumerate(headings):
            if not words.search(title):
                continue
            end = next((h[0] for h in headings[n + 1:] if h[1] <= level), len(lines))
            inside = [c for i, c in commands if start < i < end]
            if inside:
                return start + 1, title.strip("*# "), inside[0]
    heading_lines = {h[0] for h in headings}
    for i, line in enumerate(lines):
        if i not in heading_lines and (_SETUP_WORDS.search(line) or _WEAK_SETUP_WORDS.search(line)):
            after = [c for j, c in commands if i <= j <= i + _TEXT_WINDOW]
            if after:
                return i + 1, line.strip()[:80], after[0]
    return None


def setup_steps(text: str) -> tuple[int, str, int] | None:
    """(1-based line, heading, count) of a setup/usage section laid out as numbered steps.

    Step-by-step guides (click here, set this variable, run the DAG) carry no shell command yet
    tell a newcomer how to start; a short numbered list is too thin to count.
    """
    lines = text.splitlines()
    headings = readme_headings(lines)
    for n, (start, level, title) in enumerate(headings):
        if not _SETUP_WORDS.search(title) or _NOT_SETUP_HEADING.search(title):
            continue
        end = next((h[0] for h in headings[n + 1:] if h[1] <= level), len(lines))
        count = sum(1 for line in lines[start + 1:end] if _NUMBERED_STEP.match(line))
        if count >= MIN_SETUP_STEPS:
            return start + 1, title.strip("*# "), count
    return None


# -- Makefile and justfile ------------------------------------------------------------------
def make_targets(text: str) -> list[str]:
    """Targets of a Makefile that run a recipe (special ``.X`` targets and variables excluded)."""
    lines = text.splitlines()
    targets: list[str] = []
    for i, line in enumerate(lines):
        m = _MAKE_TARGET.match(line)
        if not m or line.startswith(".") or "=" in m.group(1):
            continue
        inline = m.group(2).partition(";")[2].strip()
        following = next((ln for ln in lines[i + 1:i + 20] if ln.strip() and not ln.lstrip().startswith("#")), "")
        if inline or following.startswith("\t"):
            targets += m.group(1).split()
    return targets


def just_recipes(text: str) -> list[str]:
    """Recipes of a justfile that have an indented body."""
    lines = text.splitlines()
    recipes = []
    for i, line in enumerate(lines):
        m = _JUST_RECIPE.match(line)
        if m and i + 1 < len(lines) and lines[i + 1][:1] in (" ", "\t") and lines[i + 1].strip():
            recipes.append(m.group(1))
    return recipes


def lint_commands(script: str) -> list[str]:
    """Linter/formatter invocations in shell text (``uv run ruff check .`` -> ``ruff``)."""
    found = []
    for line in script.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for part in re.split(r"&&|\|\||;|\|", line):
            part = _TOX_COMMANDS.sub("", part.strip().lstrip("-@ \t"))
            words = _WRAPPER.sub("", _ENV_PREFIX.sub("", part)).split()
            if not words:
                continue
            tool = words[0].rsplit("/", 1)[-1].lower()
            if tool in _LINT_CMD or (tool == "pre-commit" and "run" in words[1:2]):
                found.append(tool)
    return found


class CollaborationDetector(Detector):
    """Finds the shared engineering habits of a repository, from its files.

    * ``collaboration.readme_setup``: a root README with a setup/usage section (install,
      getting started, quick start, usage...) that holds a command a reader can type.
    * ``collaboration.contributing``: a CONTRIBUTING file (root, ``.github/``, ``docs/``).
    * ``collaboration.templates``: pull/merge request or issue templates (GitHub, GitLab).
    * ``collaboration.code_quality``: pre-commit hooks, linter/formatter configuration, or a
      linter run by CI or a task runner. A linter only listed as a dependency is declared.
    * ``collaboration.packaged_code``: a package manifest over a real code package, or a
      modular package layout (a folder with ``__init__.py`` and several modules). A manifest
      stub without code is declared.
    * ``collaboration.docs_site``: MkDocs/Zensical, Sphinx, Docusaurus, Read the Docs, Jupyter
      Book, Quarto, mdBook, VitePress or Antora site configuration.
    * ``collaboration.task_runner``: Makefile/justfile with real targets, tox, nox, invoke,
      mise or Taskfile tasks, poe/pdm/hatch scripts.
    * ``collaboration.dev_env``: devcontainer, docker compose with services, Gitpod, Nix shell.
    """

    id = "collaboration"
    signals = (README, CONTRIBUTING, TEMPLATES, CODE_QUALITY, PACKAGED, DOCS_SITE, TASK_RUNNER, DEV_ENV)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        files = [p for p in ctx.files() if not is_template_path(p)]
        pyprojects = self._pyprojects(ctx, files)
        for check in (self._readme, self._contributing, self._templates, self._docs_site, self._dev_env):
            yield from check(ctx, files)
        yield from self._code_quality(ctx, files, pyprojects)
        yield from self._packaged(ctx, files, pyprojects)
        yield from self._task_runner(ctx, files, pyprojects)

    # -- helpers -------------------------------------------------------------------------------
    def _pyprojects(self, ctx: ScanContext, files: list[str]) -> dict[str, dict]:
        """Parsed pyproject.toml files (the broken ones become error evidence later)."""
        out: dict[str, dict] = {}
        for path in files:
            if path.rsplit("/", 1)[-1].lower() == "pyproject.toml":
                try:
                    doc = ctx.structured(path)
                except ParseError:
                    continue
                out[path] = doc if isinstance(doc, dict) else {}
        return out

    def _found(self, ctx: ScanContext, signal: str, summary: str, paths: list[str],
               tier: Tier = Tier.CONFIGURED, line: int | None = None, subject: str = "",
               **attributes: Any) -> Evidence:
        """Evidence pointing at ``paths`` (the first one with ``line``)."""
        locations = [ctx.location(p, line if i == 0 else None) for i, p in enumerate(paths[:MAX_LOCATIONS])]
        return self.evidence(signal, summary, *locations, tier=tier, subject=subject, **attributes)

    def _content(self, ctx: ScanContext, paths: Iterable[str], min_chars: int = 1) -> list[str]:
        """The paths whose text has at least ``min_chars`` non-blank characters."""
        return [p for p in paths if len("".join((ctx.text(p) or "").split())) >= min_chars]

    # -- README --------------------------------------------------------------------------------
    def _readme(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        # GitHub shows .github/README.md in place of the root one when both exist.
        readmes = [p for p in files if re.match(r"(?:\.github/)?readme(?:\.\w+)?$", p, re.I)]
        for path in readmes:
            found = setup_instructions(ctx.text(path) or "")
            if found:
                line, heading, command = found
                yield self._found(ctx, README, f"{path}: '{heading}' with a command ({command[:60]})",
                                  [path], line=line, heading=heading, command=command[:200])
                return
        for path in readmes:
            steps = setup_steps(ctx.text(path) or "")
            if steps:
                line, heading, count = steps
                yield self._found(ctx, README, f"{path}: '{heading}' with {count} numbered steps",
                                  [path], line=line, heading=heading, steps=count)
                return
        if readmes:
            yield self._found(ctx, README, f"{readmes[0]} has no setup section with a command",
                              readmes[:1], tier=Tier.DECLARED)

    # -- contribution workflow ------------------------------------------------------------------
    def _contributing(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        candidates = [p for p in files if _CONTRIBUTING.match(p)]
        real = self._content(ctx, candidates, min_chars=60)
        if real:
            yield self._found(ctx, CONTRIBUTING, f"contribution guide {real[0]}", real)
        elif candidates:
            yield self._found(ctx, CONTRIBUTING, f"{candidates[0]} is empty or a stub", candidates,
                              tier=Tier.DECLARED)

    def _templates(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        for kind, pattern in _TEMPLATE_KINDS:
            paths = self._content(ctx, [p for p in files if pattern.match(p)], min_chars=20)
            if paths:
                yield self._found(ctx, TEMPLATES, f"{kind}: {_more(paths)}", paths,
                                  subject=kind, kind=kind, files=len(paths))

    # -- code quality --------------------------------------------------------------------------
    def _code_quality(self, ctx: ScanContext, files: list[str], pyprojects: dict[str, dict]) -> Iterator[Evidence]:
        found = False
        for ev in (*self._pre_commit(ctx, files), *self._lint_configs(ctx, files, pyprojects),
                   *self._lint_runs(ctx, files)):
            found = found or ev.counts
            yield ev
        if not found:
            yield from self._declared_linters(ctx, files)

    def _pre_commit(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        for path in files:
            if path.rsplit("/", 1)[-1].lower() not in (".pre-commit-config.yaml", ".pre-commit-config.yml"):
                continue
            try:
                docs = ctx.structured(path)
            except ParseError as exc:
                yield self.evidence(CODE_QUALITY, f"{path} cannot be parsed: {exc}", ctx.location(path),
                                    outcome=Outcome.ERROR, tier=None, subject="pre-commit")
                continue
            repos = _table(docs[0] if docs else None, "repos") or []
            hooks = sorted({str(h.get("id")) for r in repos if isinstance(r, dict)
                            for h in r.get("hooks") or [] if isinstance(h, dict) and h.get("id")})
            if hooks:
                yield self._found(ctx, CODE_QUALITY, f"pre-commit hooks in {path}: {', '.join(hooks[:6])}",
                                  [path], subject="pre-commit", hooks=hooks)

    def _lint_configs(self, ctx: ScanContext, files: list[str], pyprojects: dict[str, dict]) -> Iterator[Evidence]:
        configs = self._content(ctx, [p for p in files if _LINT_FILES.search(p)])
        for path, doc in pyprojects.items():
            tools = [t for t in _LINT_TOOLS if isinstance(_table(doc, "tool", t), dict)]
            if tools:
                text = ctx.text(path) or ""
                yield self._found(ctx, CODE_QUALITY, f"{', '.join(tools)} configured in {path}", [path],
                                  line=_line_of(text, f"[tool.{tools[0]}"), subject=f"pyproject:{path}",
                                  tools=tools)
        for path in files:
            if path.rsplit("/", 1)[-1].lower() in ("setup.cfg", "tox.ini"):
                text = ctx.text(path) or ""
                m = _INI_SECTIONS.search(text)
                if m:
                    yield self._found(ctx, CODE_QUALITY, f"[{m.group(1)}] section in {path}", [path],
                                      line=_line_of(text, m.group(0)), subject=f"ini:{path}")
        if configs:
            yield self._found(ctx, CODE_QUALITY, f"linter/formatter config {_more(configs)}",
                              configs, subject="config-files", files=configs[:20])

    def _lint_runs(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        """Linters run by CI steps or by task-runner recipes."""
        for path, label, script, uses in self._scripts(ctx, files):
            tools = lint_commands(script)
            named = (not tools and bool(script.strip()) and not _INSTALL_ONLY.match(script)
                     and bool(_LINT_STEP_NAME.search(label)))
            action = bool(uses) and bool(_LINT_ACTION.search(uses))
            if tools or named or action:
                what = ", ".join(sorted(set(tools))) or (uses if action else f"step '{label}'")
                text = ctx.text(path) or ""
                needle = (script.strip().splitlines() or [uses])[0] if not tools else tools[0]
                yield self._found(ctx, CODE_QUALITY, f"{what} run in {path}", [path],
                                  line=_line_of(text, needle), subject=f"run:{path}", runner=label)
                return

    def _scripts(self, ctx: ScanContext, files: list[str]) -> Iterator[tuple[str, str, str, str]]:
        """(path, job/step name, shell text, action used) of CI steps and task recipes."""
        for path in files:
            low = path.lower()
            if low.startswith(".github/workflows/") and low.endswith((".yml", ".yaml")):
                yield from self._github_steps(ctx, path)
            elif low.endswith(".gitlab-ci.yml"):
                yield from self._gitlab_jobs(ctx, path)
            elif _depth(path) <= _MAX_TASK_DEPTH and low.rsplit("/", 1)[-1] == "noxfile.py":
                runs = _NOX_RUN.findall(ctx.text(path) or "")
                yield path, path, "\n".join(a + " " + re.sub(r"[\s,'\"]+", " ", b) for a, b in runs), ""
            elif _depth(path) <= _MAX_TASK_DEPTH and low.rsplit("/", 1)[-1] in (
                    "makefile", "gnumakefile", "justfile", ".justfile", "tox.ini"):
                yield path, path, ctx.text(path) or "", ""

    def _github_steps(self, ctx: ScanContext, path: str) -> Iterator[tuple[str, str, str, str]]:
        try:
            docs = ctx.structured(path)
        except ParseError:
            return  # the CI detector reports broken workflows
        jobs = _table(docs[0] if docs else None, "jobs") or {}
        for job_id, job in jobs.items() if isinstance(jobs, dict) else ():
            for step in (job.get("steps") or []) if isinstance(job, dict) else []:
                if isinstance(step, dict):
                    label = str(step.get("name") or job_id)
                    yield path, label, str(step.get("run") or ""), str(step.get("uses") or "")

    def _gitlab_jobs(self, ctx: ScanContext, path: str) -> Iterator[tuple[str, str, str, str]]:
        try:
            docs = ctx.structured(path)
        except ParseError:
            return
        doc = docs[0] if docs else None
        for name, job in doc.items() if isinstance(doc, dict) else ():
            if isinstance(job, dict) and "script" in job:
                script = job["script"]
                lines = script if isinstance(script, list) else [script]
                yield path, str(name), "\n".join(str(s) for s in lines), ""

    def _declared_linters(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        listed = [r for r in requirements(ctx) if r.name in _LINT_CMD]
        for req in listed[:1]:
            yield self._found(ctx, CODE_QUALITY,
                              f"{req.name} listed as a dependency in {req.path}, but not configured or run",
                              [req.path], tier=Tier.DECLARED, line=req.line, subject="declared", tool=req.name)
        editorconfig = [p for p in files if p.lower() == ".editorconfig"]
        if editorconfig:
            yield self._found(ctx, CODE_QUALITY, ".editorconfig sets whitespace rules only (no linter)",
                              editorconfig, tier=Tier.DECLARED, subject="editorconfig")

    # -- packaging -----------------------------------------------------------------------------
    def _packaged(self, ctx: ScanContext, files: list[str], pyprojects: dict[str, dict]) -> Iterator[Evidence]:
        manifests = self._manifests(ctx, files, pyprojects)
        packages = code_packages(files)
        if manifests and packages:
            yield self._found(ctx, PACKAGED, f"installable package: {manifests[0]} over {', '.join(packages[:3])}",
                              manifests, subject="manifest", manifests=manifests, packages=packages[:20])
        elif packages:
            init = f"{packages[0]}/__init__.py" if packages[0] != "." else "__init__.py"
            yield self._found(ctx, PACKAGED, f"modular package layout: {', '.join(packages[:3])}",
                              [init if init in files else packages[0]], subject="layout", packages=packages[:20])
        elif manifests:
            yield self._found(ctx, PACKAGED, f"{manifests[0]} declares a package but no code package exists",
                              manifests, tier=Tier.DECLARED, subject="manifest")

    def _manifests(self, ctx: ScanContext, files: list[str], pyprojects: dict[str, dict]) -> list[str]:
        """Package manifests that name a distribution (pyproject, setup.py, setup.cfg)."""
        out = [p for p, doc in pyprojects.items()
               if _table(doc, "project", "name") or _table(doc, "tool", "poetry", "name")
               or _table(doc, "tool", "flit", "metadata")]
        for path in files:
            base = path.rsplit("/", 1)[-1].lower()
            if base == "setup.py":
                facts = ctx.python(path)
                if facts and any(c.name.rsplit(".", 1)[-1] == "setup" for c in facts.calls):
                    out.append(path)
            elif base == "setup.cfg" and re.search(r"^\[metadata\][^\[]*^name\s*=", ctx.text(path) or "", re.M):
                out.append(path)
        return sorted(out)

    # -- docs site -----------------------------------------------------------------------------
    def _docs_site(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        dirs = {p.rsplit("/", 1)[0] if "/" in p else "" for p in files
                if re.search(r"(?:^|/)_config\.ya?ml$", p, re.I)}
        for name, pattern, content in _DOCS_FILES:
            paths = [p for p in files if pattern.search(p)]
            if name == "jupyter book":
                paths = [p for p in paths if (p.rsplit("/", 1)[0] if "/" in p else "") in dirs]
            if content:
                paths = [p for p in paths if re.search(content, ctx.text(p) or "")]
            if paths:
                yield self._found(ctx, DOCS_SITE, f"{name} documentation site: {paths[0]}", paths,
                                  subject=name, generator=name)
                return

    # -- task runner ---------------------------------------------------------------------------
    def _task_runner(self, ctx: ScanContext, files: list[str], pyprojects: dict[str, dict]) -> Iterator[Evidence]:
        for path in files:
            if _depth(path) > _MAX_TASK_DEPTH:
                continue
            found = self._tasks_in(ctx, path, pyprojects.get(path))
            if found:
                runner, tasks = found
                summary = f"{runner} with {len(tasks)} tasks in {path} ({', '.join(tasks[:5])})"
                yield self._found(ctx, TASK_RUNNER, summary, [path], subject=runner, runner=runner, tasks=tasks[:30])
                return

    def _tasks_in(self, ctx: ScanContext, path: str, pyproject: dict | None) -> tuple[str, list[str]] | None:
        """(runner, task names) of one file, or None when it defines no runnable task."""
        base = path.rsplit("/", 1)[-1].lower()
        if base in ("makefile", "gnumakefile"):
            text = ctx.text(path) or ""
            # sphinx-quickstart writes a Makefile that only forwards to sphinx-build.
            return ("make", make_targets(text)) if "SPHINXBUILD" not in text and make_targets(text) else None
        if base in ("justfile", ".justfile"):
            recipes = just_recipes(ctx.text(path) or "")
            return ("just", recipes) if recipes else None
        if base == "tox.ini":
            envs = re.findall(r"^\[testenv(?::([^\]]+))?\]", ctx.text(path) or "", re.M)
            return ("tox", [e or "testenv" for e in envs]) if envs else None
        if base in ("noxfile.py", "tasks.py"):
            decorator = "nox.session" if base == "noxfile.py" else "invoke.task"
            facts = ctx.python(path)
            if not facts or not any(c.name.startswith(decorator) for c in facts.calls):
                return None
            names = re.findall(r"^@[\w.]+.*\n(?:[ \t]*@.*\n)*[ \t]*def[ \t]+(\w+)", ctx.text(path) or "", re.M)
            return decorator.split(".")[0], names or [decorator]
        if base in ("mise.toml", ".mise.toml", "taskfile.yml", "taskfile.yaml"):
            return self._table_tasks(ctx, path)
        if pyproject is not None:
            return self._pyproject_tasks(pyproject)
        return None

    def _table_tasks(self, ctx: ScanContext, path: str) -> tuple[str, list[str]] | None:
        try:
            doc = ctx.structured(path)
        except ParseError:
            return None
        doc = doc[0] if isinstance(doc, list) and doc else doc
        tasks = _table(doc, "tasks")
        runner = "mise" if path.lower().endswith(".toml") else "task"
        return (runner, sorted(map(str, tasks))) if isinstance(tasks, dict) and tasks else None

    @staticmethod
    def _pyproject_tasks(doc: dict) -> tuple[str, list[str]] | None:
        for runner, keys in (("poe", ("tool", "poe", "tasks")), ("pdm", ("tool", "pdm", "scripts")),
                             ("taskipy", ("tool", "taskipy", "tasks"))):
            tasks = _table(doc, *keys)
            if isinstance(tasks, dict) and tasks:
                return runner, sorted(tasks)
        envs = _table(doc, "tool", "hatch", "envs") or {}
        scripts = sorted(s for env in envs.values() if isinstance(env, dict)
                         for s in (env.get("scripts") or {})) if isinstance(envs, dict) else []
        return ("hatch", scripts) if scripts else None

    # -- development environment -------------------------------------------------------------
    def _dev_env(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        devcontainers = self._content(ctx, [p for p in files if _DEVCONTAINER.match(p)], min_chars=10)
        if devcontainers:
            yield self._found(ctx, DEV_ENV, f"dev container {devcontainers[0]}", devcontainers,
                              subject="devcontainer")
            return
        composed = [p for p in files if _COMPOSE.search(p) and self._compose_services(ctx, p)]
        local = [p for p in composed if not _PROD_NAME.search(p.rsplit("/", 1)[-1])]
        if local:
            yield self._found(ctx, DEV_ENV, f"docker compose stack {_more(local)}", local,
                              subject="compose", files=local[:20])
            return
        for name, pattern, content in _DEV_SHELLS:
            paths = [p for p in files if pattern.search(p) and re.search(content, ctx.text(p) or "")]
            if paths:
                yield self._found(ctx, DEV_ENV, f"{name} development environment {paths[0]}", paths, subject=name)
                return
        if composed:
            yield self._found(ctx, DEV_ENV, f"only production compose files ({composed[0]})", composed,
                              tier=Tier.DECLARED, subject="compose")

    def _compose_services(self, ctx: ScanContext, path: str) -> bool:
        try:
            docs = ctx.structured(path)
        except ParseError:
            return False
        services = _table(docs[0] if docs else None, "services")
        return isinstance(services, dict) and bool(services)


def code_packages(files: list[str]) -> list[str]:
    """Top-level Python packages with several modules (folders with ``__init__.py``, or
    folders under ``src/``), test suites and non-identifier folders excluded."""
    inits = {_parent(p) for p in files if p.rsplit("/", 1)[-1] == "__init__.py"}
    roots = {d for d in inits if _parent(d) not in inits}
    # src/ layout with namespace packages: the folders under src/ are the packages.
    roots |= {"/".join(p.split("/")[:2]) for p in files
              if p.startswith("src/") and p.count("/") >= 2 and "src" not in inits}
    out = []
    for root in sorted(roots):
        name = root.rsplit("/", 1)[-1]
        if root != "." and (not name.isidentifier() or name.lower() in ("tests", "test", "testing")):
            continue
        prefix = "" if root == "." else root + "/"
        modules = [p for p in files if p.startswith(prefix) and p.endswith(".py")
                   and p.rsplit("/", 1)[-1] != "__init__.py" and (root != "." or "/" not in p)]
        if len(modules) >= 2:
            out.append(root)
    return out


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."
