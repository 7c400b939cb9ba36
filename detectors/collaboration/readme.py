"""README setup instructions: a setup/usage section holding a command a newcomer can type, or
laid out as numbered steps."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.collaboration.repo import ENV_PREFIX, RepoFiles
from detectors.collaboration.signals import README
from scanner.model import Evidence, Tier
from scanner.scope import is_example_path

_SETUP_WORDS = re.compile(
    r"\b(?:install\w*|set(?:ting)?[ -]?up|get(?:ting)?[ -]started|quick[ -]?start|usage|how[ -]to)\b", re.I)
#: words that often head setup sections but also other ones: tried after the strong words.
_WEAK_SETUP_WORDS = re.compile(
    r"\b(?:running|run|local(?:ly)?|development|prerequisites|requirements|reproduc\w*|build(?:ing)?|instructions?|"
    r"quick[ -]?demo|launch\w*|start(?:ing)?)\b",
    re.I)
_MD_HEADING = re.compile(
    r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$"          # ## Markdown
    r"|^\s*<h[1-6][^>]*>(.+?)</h[1-6]>"           # <h2>HTML</h2>
    r"|^\s*\*\*([^*]{2,60})\*\*:?\s*$"          # **a bold line standing alone**
    r"|^(={1,6})\s+(\S.*?)\s*$", re.I)             # == AsciiDoc (README.adoc)
_UNDERLINE = re.compile(r"^\s*([=\-~^*#+])\1{2,}\s*$")
_FENCE = re.compile(r"^\s*(```+|~~~+)\s*\{?\.?([\w+-]*)")
#: a command fenced on its own line (```git clone https://...```): code of one line, no block opened
_ONE_LINE_FENCE = re.compile(r"^\s*(```+|~~~+)[^`~]+\1\s*$")
#: an AsciiDoc listing block: ``[source,bash]`` then the block between ``----`` lines.
_ADOC_SOURCE = re.compile(r"^\[source(?:,\s*([\w+-]+))?")
_ADOC_FENCE = "----"
_INLINE_CODE = re.compile(r"`([^`\n]{3,200})`"
                          # HTML code in Markdown: ``<code>make setup</code>``, ``<pre/>pip install -r r.txt</pre>``
                          r"|<(?:code|pre)\s*/?>([^<\n]{3,200})</(?:code|pre)>", re.I)
#: an HTML ``<pre>`` block over several lines: its first line may hold a command already.
_PRE_OPEN = re.compile(r"<pre\s*/?>(.*)$", re.I)
_PRE_CLOSE = re.compile(r"^(.*?)</pre>", re.I)
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
_BARE_WORD = re.compile(r"^(?:\./)?[a-z][\w.-]*$")
_FLAG = re.compile(r"\s--?[A-Za-z]")
#: a command is looked for this many lines after a setup phrase in running text.
_TEXT_WINDOW = 15
#: an ordered-list item with some words: ``1. Setup Airflow on any machine.``
_NUMBERED_STEP = re.compile(r"^\s{0,6}\d{1,2}[.)]\s+\S+\s+\S+"
                            # or marked as such: ``**Step 1.** Create ...``, ``### Step 2: ...``
                            r"|^\s{0,3}(?:\*\*|__|#{1,6}\s*)?step\s+\d{1,2}\b", re.I)
#: a bulleted step telling a newcomer what to do (``- Fork this repository``, ``- Create a service principal``)
_IMPERATIVE_ITEM = re.compile(r"^\s{0,6}[-*+]\s+(?:fork|clone|create|install|set|update|run|add|configure|download|"
                              r"copy|open|start|save|build|deploy|export|edit|enable|generate|launch)\b\s+\S+\s+\S+", re.I)
_LIST_ITEM = re.compile(r"^\s{0,6}(?:\d{1,2}[.)]|[-*+])\s+([A-Za-z.][^\n]{2,200})$")
#: setup-sounding headings about something else than starting the project.
_NOT_SETUP_HEADING = re.compile(r"contribut|clean[ -]?up|uninstall", re.I)
#: the README a project generator writes, left as it was (NestJS, Create React App, Next.js, Vite,
#: Angular CLI): it documents the framework's starter, not this project.
_STARTER_README = re.compile(r"A progressive <a href=\"http://nodejs\.org\"|bootstrapped with \[?Create React App"
                             r"|This is a \[Next\.js\]\([^)]*\) project bootstrapped|This template provides a minimal setup"
                             r"|This project was generated with \[Angular CLI\]", re.I)
_PART_README = re.compile(r"readme[_-][\w.-]+\.(?:md|rst|markdown)$", re.I)
#: GitHub shows .github/README.md in place of the root one when both exist.
_README = re.compile(r"(?:\.github/)?readme(?:\.\w+)?$", re.I)
MIN_SETUP_STEPS = 3


def looks_like_command(line: str, lang: str = "") -> bool:
    """A line of a README code block or span that a reader would type into a shell."""
    text = ENV_PREFIX.sub("", _PROMPT.sub("", line.strip()))
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


#: words of prose: a list item holding them (``Docker and some patience``) is no command.
_PROSE_WORDS = frozenset({"and", "or", "the", "is", "are", "with", "for", "to", "of", "a", "an", "in", "on", "if",
                          "you", "your", "should", "must", "will"})


def _plain_command(text: str) -> bool:
    """A list item's text that is a command written without code formatting: a known program
    with its arguments, and no words of prose."""
    words = text.split()
    return (words[0].lower() in _CLI and len(words) <= 12 and not _PROSE_WORDS & {w.lower() for w in words[1:]}
            and looks_like_command(text))


def _quoted_command(line: str) -> bool:
    """A command written as a Markdown quote (``> python prepare_data.py --out PATH``): a known
    program after the marker, so a quoted remark (``> Note: use --fp16``) is none."""
    words = line.lstrip()[1:].split() if line.lstrip().startswith(">") else []
    return bool(words) and words[0].lower() in _CLI


def _fence(lines: list[str], i: int, open_fence: str | None) -> tuple[str, str] | None:
    """(marker, language) when line ``i`` opens or closes a code block: a Markdown fence, or an
    AsciiDoc listing block's ``----`` (opened under its ``[source,lang]`` line)."""
    m = _FENCE.match(lines[i])
    if m and not _ONE_LINE_FENCE.match(lines[i]):
        return m.group(1), m.group(2).lower()
    if lines[i].strip() == _ADOC_FENCE:
        if open_fence == _ADOC_FENCE:
            return _ADOC_FENCE, ""
        if i and (a := _ADOC_SOURCE.match(lines[i - 1].strip())):
            return _ADOC_FENCE, (a.group(1) or "").lower()
    return None


def readme_commands(lines: list[str]) -> list[tuple[int, str]]:
    """(0-based line, command) of every command in fenced/indented blocks or inline code."""
    found: list[tuple[int, str]] = []
    fence: str | None = None
    lang = ""
    for i, line in enumerate(lines):
        m = _fence(lines, i, fence)
        if m and (fence is None or line.strip().startswith(fence)):
            fence, lang = (None, "") if fence else m
            continue
        if fence is not None:
            if lang not in _NOT_SHELL_LANGS and looks_like_command(line, lang):
                found.append((i, line.strip()))
        elif line.startswith(("    ", "\t")) or _PROMPT.match(line) and line.lstrip().startswith("$") \
                or _quoted_command(line):
            if looks_like_command(line):
                found.append((i, line.strip()))
        else:
            spans = [a or b for a, b in _INLINE_CODE.findall(line)]
            found += [(i, span) for span in spans if looks_like_command(span)]
            # a list item that is itself a command, unformatted (``3. pip install uv``), or a
            # line of a plain-text README that is one (``git clone https://...``)
            item = _LIST_ITEM.match(line) if not spans else None
            if item and _plain_command(item.group(1)):
                found.append((i, item.group(1).strip()))
            elif not spans and line.strip() and _plain_command(line.strip()):
                found.append((i, line.strip()))
            opened = _PRE_OPEN.search(line) if "</pre>" not in line.lower() else None
            if opened:
                found += _pre_block(lines, i, opened.group(1))
    return found


def _pre_block(lines: list[str], start: int, first: str) -> list[tuple[int, str]]:
    """Commands of an HTML ``<pre>`` block opened on line ``start``: each line that reads as one."""
    out, rows = [], [(start, first)]
    for j in range(start + 1, min(len(lines), start + 40)):
        closed = _PRE_CLOSE.match(lines[j])
        rows.append((j, closed.group(1) if closed else lines[j]))
        if closed:
            break
    out += [(j, text.strip()) for j, text in rows if text.strip() and looks_like_command(text.strip())]
    return out


def readme_headings(lines: list[str]) -> list[tuple[int, int, str]]:
    """(0-based line, level, title) of Markdown, setext, RST, HTML and bold-line headings."""
    out: list[tuple[int, int, str]] = []
    fence: str | None = None
    for i, line in enumerate(lines):
        m = _fence(lines, i, fence)
        if m and (fence is None or line.strip().startswith(fence)):
            fence = None if fence else m[0]
            continue
        if fence:
            continue
        m = _MD_HEADING.match(line[:300])  # headings are short; a capped line keeps regexes linear
        if m:
            level = (len(line.lstrip()) - len(line.lstrip().lstrip("#")) if m.group(1)
                     else len(m.group(4)) if m.group(4) else 6)
            out.append((i, level or 6, m.group(5) or next(g for g in m.groups() if g)))
        elif _UNDERLINE.match(line) and i > 0 and lines[i - 1].strip() and not _UNDERLINE.match(lines[i - 1]):
            out.append((i - 1, 1 if line.strip()[0] == "=" else 2, lines[i - 1].strip()))
    return out


def _section_end(headings: list[tuple[int, int, str]], n: int, default: int) -> int:
    """0-based line where the section of heading ``n`` ends (the next heading of its level or above)."""
    level = headings[n][1]
    return next((h[0] for h in headings[n + 1:] if h[1] <= level), default)


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
        for n, (start, _, title) in enumerate(headings):
            if not words.search(title):
                continue
            end = _section_end(headings, n, len(lines))
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
    """(1-based line, heading, count) of a setup/usage section laid out as numbered steps (or as
    bullets each telling what to do: ``- Fork this repository``).

    Step-by-step guides (click here, set this variable, run the DAG) carry no shell command yet
    tell a newcomer how to start; a short numbered list is too thin to count.
    """
    lines = text.splitlines()
    headings = readme_headings(lines)
    for n, (start, _, title) in enumerate(headings):
        if not _SETUP_WORDS.search(title) or _NOT_SETUP_HEADING.search(title):
            continue
        end = _section_end(headings, n, len(lines))
        count = sum(1 for line in lines[start + 1:end] if _NUMBERED_STEP.match(line) or _IMPERATIVE_ITEM.match(line))
        if count >= MIN_SETUP_STEPS:
            return start + 1, title.strip("*# "), count
    return None


#: links that open the repository in a ready development environment (VS Code Dev Containers,
#: GitHub Codespaces, Gitpod, Firebase Studio): setup in one click.
_ONE_CLICK = re.compile(r"ms-vscode-remote\.remote-containers/cloneInVolume|codespaces\.new/|github\.com/codespaces/new"
                        r"|gitpod\.io/#|studio\.firebase\.google\.com/import", re.I)
_ENVIRONMENT_FILES = (".devcontainer/devcontainer.json", ".devcontainer.json", ".gitpod.yml", ".idx/dev.nix")


def one_click_setup(text: str, files: frozenset[str]) -> tuple[int, str] | None:
    """(1-based line, heading) of a setup section opening the repository in a development
    environment it configures (a dev container, Gitpod, IDX), when the repository has that config."""
    if not any(f in files for f in _ENVIRONMENT_FILES):
        return None
    lines = text.splitlines()
    headings = readme_headings(lines)
    for i, line in enumerate(lines):
        if not _ONE_CLICK.search(line):
            continue
        # the heading the link sits under (not a title over the whole README)
        start, _, title = next((h for h in reversed(headings) if h[0] < i), (-1, 0, ""))
        if (_SETUP_WORDS.search(title) or _WEAK_SETUP_WORDS.search(title)) and not _NOT_SETUP_HEADING.search(title):
            return start + 1, title.strip("*# ")
    return None


_MD_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>#?]+)")
#: a link to a file of a repository on its host (``https://github.com/o/r/blob/main/SETUP.md``):
#: the file of that path here, when the repository has one.
_HOSTED_FILE = re.compile(r"^https?://(?:github\.com|gitlab\.com)/[^/]+/[^/]+/(?:-/)?(?:blob|tree)/[^/]+/(.+)$")
#: documents a README may hand setup over to.
_GUIDE = re.compile(r"\.(md|markdown|rst|txt)$|(^|/)[^./]+/?$", re.I)


def linked_guides(text: str, folder: str, files: frozenset[str]) -> list[tuple[int, str]]:
    """(1-based line, path) of repository documents the README links from setup wording: a link
    on a line, or in a section, that speaks of setup (``see the [getting started](docs/x.md)
    guide``); a link to a folder means its README."""
    lines = text.splitlines()
    headings = readme_headings(lines)
    # the guide must hold the instructions itself: a link from weaker wording ("the fine-tuning
    # instruction is in [FINETUNE.md]") is followed too
    setup_lines = {i for i, line in enumerate(lines) if _SETUP_WORDS.search(line) or _WEAK_SETUP_WORDS.search(line)}
    for n, (start, _, title) in enumerate(headings):
        if (_SETUP_WORDS.search(title) or _WEAK_SETUP_WORDS.search(title)) and not _NOT_SETUP_HEADING.search(title):
            setup_lines.update(range(start, _section_end(headings, n, len(lines))))
    out: list[tuple[int, str]] = []
    for i in sorted(setup_lines):
        for target in _MD_LINK.findall(lines[i]):
            hosted = _HOSTED_FILE.match(target)
            # (another project's README on its host is no guide of this one)
            if hosted and hosted.group(1).rpartition("/")[2].lower().startswith("readme"):
                continue
            target = "/" + hosted.group(1) if hosted else target
            if "://" in target or target.startswith("mailto:") or not _GUIDE.search(target):
                continue
            path = _resolve(folder, target)
            for candidate in (path, f"{path}/README.md", f"{path}/readme.md"):
                if candidate in files and candidate not in {p for _, p in out}:
                    out.append((i + 1, candidate))
                    break
    return out


def _resolve(folder: str, target: str) -> str:
    """A link target as a repository path (``/docs/x.md`` from the root, ``../x`` resolved)."""
    parts = [] if target.startswith("/") else [p for p in folder.split("/") if p]
    for part in target.strip("/").split("/"):
        if part == "..":
            parts = parts[:-1]
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _instructions(text: str) -> tuple[int, str, str] | None:
    """(line, heading, what) of setup instructions: a command, else numbered steps."""
    found = setup_instructions(text)
    if found:
        line, heading, command = found
        return line, heading, f"a command ({command[:60]})"
    steps = setup_steps(text)
    if steps:
        line, heading, count = steps
        return line, heading, f"{count} numbered steps"
    return None


def readme_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """A README with setup instructions (a command, else numbered steps, else a link opening the
    repository in the development environment it configures), else one that hands setup over to
    a linked guide holding them, else a declared README."""
    # the README first, then the root's READMEs of the project's parts (``README_deit.md``,
    # one per paper of a research code base, linked from the README's index)
    readmes = [p for p in repo.files if _README.match(p)] + sorted(p for p in repo.files if _PART_README.match(p))
    # without one at the root, the READMEs of its top folders (a repository of several projects)
    readmes = readmes or sorted(p for p in repo.files if p.count("/") == 1 and _README.match(p.split("/", 1)[1])
                                and not is_example_path(p) and not _STARTER_README.search(repo.text(p)[:3000]))
    for path in readmes:
        found = setup_instructions(repo.text(path))
        if found:
            line, heading, command = found
            yield repo.found(README, f"{path}: '{heading}' with a command ({command[:60]})",
                             [path], line=line, heading=heading, command=command[:200])
            return
    for path in readmes:
        steps = setup_steps(repo.text(path))
        if steps:
            line, heading, count = steps
            yield repo.found(README, f"{path}: '{heading}' with {count} numbered steps",
                             [path], line=line, heading=heading, steps=count)
            return
    files = frozenset(repo.files)
    for path in readmes:
        opened = one_click_setup(repo.text(path), files)
        if opened:
            line, heading = opened
            yield repo.found(README, f"{path}: '{heading}' opens the repository in its configured development "
                             "environment", [path], line=line, heading=heading)
            return
    for path in readmes:
        for link_line, guide in linked_guides(repo.text(path), path.rpartition("/")[0], files):
            found = _instructions(repo.text(guide))
            if found:
                line, heading, what = found
                locations = [repo.ctx.location(path, link_line), repo.ctx.location(guide, line)]
                yield repo.detector.evidence(README, f"{path}:{link_line} links setup to {guide}: '{heading}' with {what}",
                                             *locations, heading=heading, guide=guide)
                return
    if readmes:
        yield repo.found(README, f"{readmes[0]} has no setup section with a command",
                         readmes[:1], tier=Tier.DECLARED)
