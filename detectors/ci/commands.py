"""Shell text of CI steps cut into commands, with the traps removed.

Comment lines never count, ``cmd || true`` marks ``cmd`` as neutered (it cannot fail the job),
and wrappers such as ``uv run`` or ``poetry run`` are peeled off so the tool they start is seen.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_NEUTER = re.compile(r"\|\|\s*(?:true\b|:|exit\s+0\b|echo\b|/bin/true\b)")
_SPLIT = re.compile(r"\s*(?:&&|;|\|\||\|)\s*")
_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
#: commands that only print or inspect: a step made of them runs nothing.
INERT = frozenset({"echo", "printf", "cat", "ls", "pwd", "true", ":", "sleep", "env", "export",
                   "cd", "mkdir", "rm", "cp", "mv", "tee", "set", "unset", "which", "exit",
                   "source", ".", "chmod", "date", "whoami", "write-host"})
_SHELL_KEYWORDS = frozenset({"env", "if", "then", "else", "elif", "do", "while", "until", "!", "{", "("})
#: wrappers that run another command: (tool, sub-command or None, options taking a value).
_WRAPPERS = {
    "uv": ("run", {"--with", "--python", "-p", "--group", "--extra", "--env-file", "--directory", "--project", "--package"}),
    "poetry": ("run", set()),
    "pipenv": ("run", set()),
    "pdm": ("run", set()),
    "rye": ("run", set()),
    "hatch": ("run", set()),
    "conda": ("run", {"-n", "--name", "-p", "--prefix"}),
    "mamba": ("run", {"-n", "--name", "-p", "--prefix"}),
    "micromamba": ("run", {"-n", "--name", "-p", "--prefix"}),
    "pixi": ("run", {"-e", "--environment"}),
    "pnpm": ("exec", set()),
    "npx": (None, set()),
    "uvx": (None, set()),
    "pipx": ("run", set()),
    "sudo": (None, {"-u"}),
    "time": (None, set()),
    "exec": (None, set()),
    "xvfb-run": (None, {"-a"}),
    "dvc": ("run", set()),
}


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


def unwrap(words: list[str]) -> list[str]:
    """Drop env assignments and runner wrappers: ``FOO=1 uv run pytest`` -> ``pytest``."""
    for _ in range(5):
        while words and _ENV_ASSIGN.match(words[0]):
            words = words[1:]
        if not words:
            return words
        head = words[0].rsplit("/", 1)[-1].lower()
        if head in _SHELL_KEYWORDS:
            words = words[1:]
            continue
        wrapper = _WRAPPERS.get(head)
        if wrapper is None:
            return words
        sub, valued = wrapper
        rest = words[1:]
        if sub is not None:
            if not rest or rest[0] != sub:
                return words
            rest = rest[1:]
        while rest and rest[0].startswith("-"):
            opt = rest.pop(0)
            if opt in valued and "=" not in opt and rest:
                rest.pop(0)
        if head == "hatch" and rest and ":" in rest[0] and not rest[0].startswith("-"):
            rest = [rest[0].split(":", 1)[1], *rest[1:]]
        words = rest
    return words


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
        if line.endswith("\\") or line.endswith("`"):
            pending += line[:-1] + " "
            continue
        pending += line
        if pending.strip():
            out.append((start, pending.strip()))
        pending = ""
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def commands(script: str) -> list[Command]:
    """Commands of a shell script, in order; inert and empty ones included (callers filter)."""
    out: list[Command] = []
    for offset, line in logical_lines(script):
        neutered = bool(_NEUTER.search(line))
        for segment in _SPLIT.split(line):
            words = unwrap(_words(segment))
            if words:
                out.append(Command(tuple(words), offset, neutered))
    return out
