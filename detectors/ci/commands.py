"""Shell text of CI steps cut into commands, with the traps removed.

Comment lines never count, ``cmd || true`` marks ``cmd`` as neutered (it cannot fail the job),
and wrappers such as ``uv run`` or ``poetry run`` are peeled off so the tool they start is seen.
"""
from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from typing import Iterable, Iterator

#: fallbacks after ``||`` that swallow a failure: the commands before them cannot fail the job.
_FALLBACK = re.compile(r"^(?:true|:|/bin/true|echo|printf|exit\s+0)\b")
_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
#: a tool pinned to a version by the runner that fetches it: ``uvx ruff@0.5`` -> ``ruff``.
_PINNED = re.compile(r"^([^@\s]+)@[\w.^~<>=*-]+$")
#: how deep ``bash -c "..."`` and ``$(...)`` nest before the rest is read as plain words.
MAX_NESTING = 4
#: commands that only print or inspect: a step made of them runs nothing.
INERT = frozenset({"echo", "printf", "cat", "ls", "pwd", "true", ":", "sleep", "env", "export",
                   "cd", "pushd", "popd", "mkdir", "rm", "cp", "mv", "tee", "set", "unset", "which", "exit",
                   "source", ".", "chmod", "date", "whoami", "write-host"})
_SHELL_KEYWORDS = frozenset({"env", "if", "then", "else", "elif", "do", "while", "until", "!", "{", "(", "time"})
_SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
#: wrappers that run another command: (sub-commands that must follow, options taking a value).
_RUN = (("run",),)
_ENV_RUNNER = {"-n", "--name", "-p", "--prefix"}
_WRAPPERS: dict[str, tuple[tuple[tuple[str, ...], ...], set[str]]] = {
    "uv": ((("run",), ("tool", "run")), {"--with", "--python", "-p", "--group", "--extra", "--env-file", "--directory",
                                         "--project", "--package", "--from", "--index", "--with-requirements"}),
    "uvx": ((), {"--from", "--with", "--python", "-p", "--index", "--with-requirements"}),
    "pipx": (_RUN, {"--spec", "--python", "--index-url", "--pip-args"}),
    "poetry": (_RUN, set()),
    "pipenv": (_RUN, set()),
    "pdm": (_RUN, set()),
    "rye": (_RUN, set()),
    "hatch": (_RUN, set()),
    "conda": (_RUN, _ENV_RUNNER),
    "mamba": (_RUN, _ENV_RUNNER),
    "micromamba": (_RUN, _ENV_RUNNER),
    "pixi": (_RUN, {"-e", "--environment"}),
    "pnpm": ((("exec",),), set()),
    "npx": ((), {"-p", "--package"}),
    "bunx": ((), set()),
    "dotenv": (_RUN, {"-f", "--file"}),
    "doppler": (_RUN, {"-p", "--project", "-c", "--config"}),
    "sudo": ((), {"-u", "-g"}),
    "exec": ((), set()),
    "nohup": ((), set()),
    "nice": ((), {"-n"}),
    "timeout": ((), {"-s", "--signal", "-k", "--kill-after"}),
    "xvfb-run": ((), {"-a", "-s", "--server-args"}),
    "dvc": (_RUN, set()),
}
#: wrappers that fetch the tool they run, possibly pinned to a version.
_FETCHERS = frozenset({"uvx", "pipx", "npx", "bunx", "uv"})
#: container runners: ``docker compose run [options] SERVICE COMMAND`` runs COMMAND in the
#: service's container (the sub-commands that do, after ``compose`` and its global options).
_CONTAINERS = frozenset({"docker", "podman", "nerdctl", "docker-compose", "podman-compose"})
_CONTAINER_RUN = (("run",), ("exec",), ("container", "run"))
_CONTAINER_VALUED = {
    "-e", "--env", "--env-file", "-v", "--volume", "-p", "--publish", "--name", "-w", "--workdir", "-u", "--user",
    "--network", "--net", "--entrypoint", "--gpus", "--mount", "--shm-size", "--platform", "-l", "--label",
    "--cpus", "-m", "--memory", "--ipc", "--runtime", "--add-host", "--hostname", "-h", "--pull", "--ulimit",
    "--device", "--cap-add", "--security-opt", "--log-driver", "-f", "--file", "--project-name", "--profile",
    "--index", "--env-from-file", "--tmpfs"}
#: a command run in a container is followed only when it is plainly a program: an image's own
#: arguments (``aquasec/trivy image app``) are read as the image's tool, not as a command.
_CONTAINER_PROGRAM = re.compile(r"^(python[\d.]*|pytest|bash|sh|make|dvc|mlflow|uv|poetry|pip3?|dbt|kedro|zenml|"
                                r"airflow|prefect|jupyter|papermill|torchrun|accelerate|Rscript|"
                                # checks run in the project's image
                                r"mypy|ruff|flake8|pylint|black|isort|pre-commit|tox|nox|coverage|bandit)$|/|\.(py|sh)$")


@dataclass(frozen=True)
class Command:
    """One command of a script: its words after wrappers, and where it was written."""

    words: tuple[str, ...]
    offset: int
    """0-based line offset inside the script it came from."""
    neutered: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def tool(self) -> str:
        """The program run, without its directory (``./scripts/x.sh`` -> ``x.sh``)."""
        return self.words[0].rsplit("/", 1)[-1].lower() if self.words else ""

    @property
    def inert(self) -> bool:
        """Only prints or moves files: never counts as running anything."""
        return not self.words or self.tool in INERT


def _words(segment: str) -> list[str]:
    try:
        return shlex.split(segment, comments=True)
    except ValueError:  # unbalanced quotes in a templated line: fall back to whitespace
        return segment.split()


def _drop_options(rest: list[str], valued: set[str]) -> list[str]:
    while rest and rest[0].startswith("-"):
        opt = rest.pop(0)
        if opt == "--":
            break
        if opt in valued and "=" not in opt and rest:
            rest.pop(0)
    return rest


def _peel(head: str, words: list[str]) -> list[str] | None:
    """The command a wrapper runs, or None when ``words`` do not start with that wrapper."""
    subs, valued = _WRAPPERS[head]
    rest = words[1:]
    if subs:
        sub = next((s for s in subs if tuple(rest[:len(s)]) == s), None)
        if sub is None:
            return None
        rest = rest[len(sub):]
    if head == "uv" and rest[:1] in (["-m"], ["--module"]):
        return ["python", "-m", *rest[1:]]  # ``uv run -m pkg`` runs a module
    rest = _drop_options(rest, valued)
    if head == "timeout" and rest and rest[0][:1].isdigit():
        rest = rest[1:]  # the duration
    if head == "hatch" and rest and ":" in rest[0] and not rest[0].startswith("-"):
        rest = [rest[0].split(":", 1)[1], *rest[1:]]
    if head in _FETCHERS and rest:
        pinned = _PINNED.match(rest[0])
        if pinned:
            rest = [pinned.group(1), *rest[1:]]
    return rest


_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
#: what stands for a CI expression glued into a word: its value is unknown here.
UNKNOWN = "X"


def _without_expressions(words: list[str]) -> list[str]:
    """Words with CI template expressions (``${{ env.EXTRA_OPTIONS }}``), whose value is unknown
    here, taken out: one standing alone is dropped (options, most often), one glued into a word
    (``${{ env.IMAGE }}:${{ github.sha }}``, an image) leaves a placeholder for that word."""
    out: list[str] = []
    group: list[str] = []
    for word in words:
        if group or "${{" in word:
            group.append(word)
            text = " ".join(group)
            if text.count("${{") > text.count("}}"):
                continue  # the expression goes on in the next word
            group = []
            if _EXPRESSION.sub("", text).strip():
                out.append(_EXPRESSION.sub(UNKNOWN, text))
            continue
        out.append(word)
    return out + group


def _in_container(head: str, words: list[str]) -> list[str] | None:
    """The program ``docker compose run ... SERVICE python train.py`` runs, or None."""
    rest = _without_expressions(words[1:])
    if head.endswith("-compose") or rest[:1] == ["compose"]:
        rest = _drop_options(rest[0 if head.endswith("-compose") else 1:], _CONTAINER_VALUED)
    sub = next((s for s in _CONTAINER_RUN if tuple(rest[:len(s)]) == s), None)
    if sub is None:
        return None
    program = _drop_options(rest[len(sub):], _CONTAINER_VALUED)[1:]  # past the service or image
    return program if program and _CONTAINER_PROGRAM.search(program[0]) else None


def container_image(words: list[str] | tuple[str, ...]) -> str | None:
    """The image ``docker run [options] IMAGE`` starts with its own command (no program given)."""
    head = words[0].rsplit("/", 1)[-1].lower() if words else ""
    if head not in _CONTAINERS or head.endswith("-compose"):
        return None
    rest = _without_expressions(list(words[1:]))
    sub = next((s for s in _CONTAINER_RUN if tuple(rest[:len(s)]) == s and s != ("exec",)), None)
    if sub is None:
        return None
    rest = _drop_options(rest[len(sub):], _CONTAINER_VALUED)
    return rest[0] if len(rest) == 1 else None


def unwrap(words: list[str]) -> list[str]:
    """Drop env assignments and runner wrappers: ``FOO=1 uv run pytest`` -> ``pytest``."""
    # a CI expression split over words (``TAG=${{ steps.tag.outputs.tag }} modal deploy``) is one
    if any("${{" in w for w in words):
        words = _without_expressions(words)
    for _ in range(6):
        while words and _ENV_ASSIGN.match(words[0]):
            words = words[1:]
        if not words:
            return words
        head = words[0].rsplit("/", 1)[-1].lower()
        if head in _SHELL_KEYWORDS:
            words = words[1:]
            continue
        if head in _CONTAINERS:
            inside = _in_container(head, words)
            if inside is None:
                return words
            words = inside
            continue
        if head.startswith("python") and words[1:2] == ["-m"] and words[2:3] and words[2].lower() in _WRAPPERS:
            words = words[2:]  # ``python -m poetry run dbx ...``: the wrapper run as a module
            continue
        if head not in _WRAPPERS:
            return words
        peeled = _peel(head, words)
        if peeled is None:
            return words
        words = peeled
    return words


def shell_script(words: list[str] | tuple[str, ...]) -> str | None:
    """The script of ``bash -c "..."``, ``sh -ec '...'``, ``eval "..."``, ``pwsh -Command ...``."""
    if not words:
        return None
    head = words[0].rsplit("/", 1)[-1].lower()
    if head == "eval":
        return " ".join(words[1:]) or None
    if head in ("pwsh", "powershell"):
        for i, word in enumerate(words[:-1]):
            if word.lower() in ("-c", "-command"):
                return " ".join(words[i + 1:])
        return None
    if head not in _SHELLS:
        return None
    for i, word in enumerate(words[1:-1], 1):
        if not word.startswith("-") or word.startswith("--"):
            return None  # ``bash script.sh -c``: the -c belongs to the script
        if "c" in word[1:]:
            return words[i + 1]
    return None


#: a shell on another machine, given its script as one (quoted, possibly multi-line) argument
_REMOTE_SHELL = re.compile(r"^\s*(sudo\s+)?(ssh|gcloud\s+(\S+\s+)*compute\s+(\S+\s+)*ssh|az\s+ssh\s+vm)\b")


def _open_quote(text: str) -> bool:
    """The text ends inside a quoted string (the last character opens one or sits in one)."""
    states = _quoting(text + " ")  # the state of one more character is the state at the end
    return states[-1] in ("'", '"')


def logical_lines(script: str) -> list[tuple[int, str]]:
    """(line offset, text) of the script's lines, continuations joined, comments dropped."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for i, raw in enumerate(script.splitlines()):
        line = raw.rstrip()
        if not pending:
            start = i
            if line.lstrip().startswith(("#", "//", "REM ", "rem ")):
                continue
        if line.endswith("\\") or (line.endswith("`") and line.count("`") % 2):
            pending += line[:-1] + " "
            continue
        pending += line
        if _REMOTE_SHELL.match(pending) and _open_quote(pending):
            # a script run on another machine (``gcloud compute ssh vm --command "`` ... ``"``)
            # is one argument of the local command, not commands of this script
            pending += "\n"
            continue
        if pending.strip():
            out.append((start, pending.strip()))
        pending = ""
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _quoting(line: str) -> list[str]:
    """Per character: the quote it sits in (``'`` or ``"``), ``\\`` when escaped, else empty."""
    states: list[str] = []
    quote, escaped = "", False
    for ch in line:
        if escaped:
            states.append("\\")
            escaped = False
            continue
        states.append(quote)
        if ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
    return states


def _closing(line: str, i: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``i`` (len(line) if none), quotes respected."""
    depth = 0
    states = _quoting(line[i:])
    for j, ch in enumerate(line[i:]):
        if states[j] or ch not in "()":
            continue
        depth += 1 if ch == "(" else -1
        if depth == 0:
            return i + j
    return len(line)


def substitutions(line: str) -> tuple[str, list[str]]:
    """The line with ``$(...)`` and backtick substitutions replaced by a placeholder, and the
    commands they run (outside single quotes, where the shell expands them)."""
    out: list[str] = []
    inner: list[str] = []
    states = _quoting(line)
    i = 0
    while i < len(line):
        expands = states[i] in ("", '"')
        if expands and line.startswith("$(", i) and not line.startswith("$((", i):
            end = _closing(line, i + 1)
        elif expands and line[i] == "`" and line.find("`", i + 1) > i:
            end = line.find("`", i + 1)
        else:
            out.append(line[i])
            i += 1
            continue
        inner.append(line[i + 2:end] if line[i] == "$" else line[i + 1:end])
        out.append("SUBST")
        i = end + 1
    return "".join(out), inner


def _operators(line: str) -> list[tuple[str, str]]:
    """(operator before, text) pieces of a line cut at ``&& || | ; &`` outside quotes."""
    pieces: list[tuple[str, str]] = []
    states = _quoting(line)
    op, start, i = "", 0, 0
    while i < len(line):
        ch = line[i]
        if not states[i] and (line.startswith(("&&", "||"), i) or ch in ";|" or (ch == "&" and _background(line, i))):
            pieces.append((op, line[start:i]))
            op = line[i:i + 2] if line.startswith(("&&", "||"), i) else ch
            i += len(op)
            start = i
            continue
        i += 1
    pieces.append((op, line[start:]))
    return pieces


def _background(line: str, i: int) -> bool:
    """A lone ``&`` that sends a command to the background (not ``2>&1``, ``&>``, ``>&2``)."""
    before = line[i - 1:i]
    after = line[i + 1:i + 2]
    return not (before and before in "<>&") and not (after and after in ">&")


def _segments(line: str) -> list[tuple[str, bool]]:
    """(command text, neutered) of one line: in a list cut by ``;``/``&``, the commands before
    a ``|| true``-like fallback cannot fail the job."""
    out: list[tuple[str, bool]] = []
    group: list[str] = []
    for op, text in _operators(line):
        if op in (";", "&"):
            out += [(t, False) for t in group]
            group = []
        elif op == "||" and _FALLBACK.match(text.strip()):
            out += [(t, True) for t in group]
            group = []
            out.append((text, True))
            continue
        group.append(text)
    out += [(t, False) for t in group]
    return out


def _line_commands(line: str, offset: int, neutered: bool, depth: int) -> list[Command]:
    line, inner = substitutions(line)
    out: list[Command] = []
    for segment, swallowed in _segments(line):
        # substitutions run before the command holding them, and fail or not with it
        held, inner = inner[:segment.count("SUBST")], inner[segment.count("SUBST"):]
        for text in held if depth < MAX_NESTING else ():
            out += _line_commands(text, offset, neutered or swallowed, depth + 1)
        words = unwrap(_words(segment))
        script = shell_script(words) if depth < MAX_NESTING else None
        if script is not None:
            for _, sub in logical_lines(script):
                out += _line_commands(sub, offset, neutered or swallowed, depth + 1)
        elif words:
            out.append(Command(tuple(words), offset, neutered or swallowed))
    return out


def commands(script: str) -> list[Command]:
    """Commands of a shell script, in order; inert and empty ones included (callers filter).

    ``$(...)`` and backticks run before the command holding them; ``bash -c "..."`` runs the
    commands of its string; ``a && b || true`` cannot fail the job.
    """
    out: list[Command] = []
    known: dict[str, str] = {}
    for offset, line in logical_lines(script):
        # ``FIXTURE=tests/fixtures/pipeline`` then ``dvc repro "$FIXTURE/dvc.yaml"``: a variable
        # set to a literal on a line of its own is read where later commands use it
        assigned = _LITERAL_ASSIGN.match(line)
        if assigned:
            known[assigned.group(1)] = assigned.group(2).strip("\"'")
        elif known and "$" in line:
            line = _VARIABLE.sub(lambda m: known.get(m.group(1) or m.group(2), m.group(0)), line)
        out += _line_commands(line, offset, False, 0)
    return out


_LITERAL_ASSIGN = re.compile(r"""^\s*(?:export\s+)?([A-Za-z_]\w*)=("[^"$`]*"|'[^']*'|[^\s"'$`;&|]*)\s*$""")
_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")


def module_form(cmd: Command) -> Command | None:
    """``python -m pytest -q`` as ``pytest -q``: a tool run as a module, for matching tool rules."""
    words = cmd.words
    if len(words) > 2 and words[0].rsplit("/", 1)[-1].lower().startswith("python") and words[1] == "-m":
        return Command((words[2].replace("_", "-"), *words[3:]), cmd.offset, cmd.neutered)
    return None


def in_folders(cmds: Iterable[Command], workdir: str) -> Iterator[tuple[Command, str]]:
    """Each command with the folder it runs in: ``cd training`` and ``pushd training`` move later
    commands there, ``popd`` back. A folder named by a variable or outside the repository is not
    followed."""
    stack: list[str] = []
    for cmd in cmds:
        if cmd.tool == "popd" and stack:
            workdir = stack.pop()
        elif cmd.tool in ("cd", "pushd") and len(cmd.words) == 2 and "$" not in cmd.words[1] \
                and not cmd.words[1].startswith(("/", "~", "-")):
            moved = posixpath.normpath(posixpath.join(workdir or ".", cmd.words[1]))
            if not moved.startswith(".."):
                if cmd.tool == "pushd":
                    stack.append(workdir)
                workdir = "" if moved == "." else moved
        yield cmd, workdir
