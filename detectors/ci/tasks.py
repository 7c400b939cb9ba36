"""Task runners that CI calls, resolved one level at a time: ``make test`` -> the recipe of ``test``.

Supports Makefile, justfile, nox, tox, invoke, mise, package.json scripts and the script
tables of pyproject.toml (project/poetry/pdm/hatch/poe). A recipe's commands are returned with
the file and line they were written at, so evidence points at the real command.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from detectors.ci.commands import Command, commands
from detectors.shapes import as_dict, get_in
from scanner.detector import ParseError, ScanContext

_MAKE_RULE = re.compile(r"^([A-Za-z0-9_./%-][\w./%-]*(?:[ \t]+[\w./%-]+)*)[ \t]*::?(?!=)[ \t]*([^=#\n]*?)\s*(?:#.*)?$")
_MAKE_VAR = re.compile(r"^([A-Za-z_][\w]*)\s*(?:\?|:|::|\+)?=\s*(.*)$")
_VAR_REF = re.compile(r"\$[({]([A-Za-z_]\w*)[)}]")
_JUST_RULE = re.compile(r"^@?([A-Za-z0-9_-]+)(?:[ \t]+[^:=]*)?:(?!=)[ \t]*([^#\n]*)$")
_PY_DEF = re.compile(r"^(?:async\s+)?def\s+(\w+)\s*\(", re.M)
_RUN_CALL = re.compile(r"\.run(?:_always|_install|_in_venv)?\(\s*((?:[rfbu]?['\"][^'\"]*['\"]\s*,?\s*)+)")
_STRING = re.compile(r"[rfbu]?['\"]([^'\"]*)['\"]")
_NAME_KW = re.compile(r"name\s*=\s*['\"]([\w-]+)['\"]")


@dataclass(frozen=True)
class Resolved:
    """A command found inside a task runner's recipe."""

    path: str
    line: int | None
    command: Command


def _recipe(path: str, first_line: int, body: list[str]) -> list[Resolved]:
    text = "\n".join(body)
    return [Resolved(path, first_line + c.offset, c) for c in commands(text)]


def _substitute(line: str, variables: dict[str, str]) -> str:
    return _VAR_REF.sub(lambda m: variables.get(m.group(1), m.group(0)), line)


def parse_makefile(text: str) -> dict[str, tuple[int, list[str], list[str]]]:
    """target -> (line, prerequisites, recipe lines) of a Makefile (variables expanded once)."""
    variables: dict[str, str] = {"MAKE": "make"}
    targets: dict[str, tuple[int, list[str], list[str]]] = {}
    current: list[str] | None = None
    for i, raw in enumerate(text.splitlines(), 1):
        if current and current[-1].endswith("\\"):
            # a command continued over lines (``\`` at the end) is one command, however its next
            # line is indented; the continuation's leading ``-`` is an option's (``--train-file``)
            current[-1] = f"{current[-1][:-1].rstrip()} {_substitute(raw.strip(), variables)}"
            continue
        if raw.startswith("\t"):
            if current is not None:
                line = raw.strip().lstrip("@+")
                # a leading "-" makes make ignore the command's failure: it cannot fail the job
                # (marked now, said once the command is whole)
                ignored = line.startswith("-")
                line = _substitute(line.lstrip("@+-").strip(), variables)
                current.append(f"{_IGNORED}{line}" if ignored else line)
            continue
        var = _MAKE_VAR.match(raw)
        rule = None if var else _MAKE_RULE.match(raw)
        if var:
            variables.setdefault(var.group(1), var.group(2).strip())
            current = None
        elif rule:
            current = []
            prereqs = rule.group(2).split()
            for name in rule.group(1).split():
                targets.setdefault(name, (i, prereqs, current))
        elif raw.strip() and not raw.lstrip().startswith("#"):
            current = None
    for _, _, recipe in targets.values():
        recipe[:] = [f"{r[1:]} || true" if r.startswith(_IGNORED) else r for r in recipe]
    return targets


_IGNORED = "\0"


def parse_justfile(text: str) -> dict[str, tuple[int, list[str], list[str]]]:
    """recipe -> (line, dependencies, body lines) of a justfile."""
    recipes: dict[str, tuple[int, list[str], list[str]]] = {}
    current: list[str] | None = None
    for i, raw in enumerate(text.splitlines(), 1):
        if raw[:1] in (" ", "\t"):
            if current is not None and raw.strip():
                current.append(raw.strip().lstrip("@-").strip())
            continue
        rule = _JUST_RULE.match(raw)
        if rule and not raw.startswith(("set ", "export ", "alias ", "import ")):
            current = []
            recipes.setdefault(rule.group(1), (i, rule.group(2).split(), current))
        else:
            current = None
    return recipes


def parse_python_tasks(text: str) -> dict[str, tuple[int, list[str]]]:
    """function (and ``name=`` alias) -> (line, commands its ``.run(...)`` calls pass)."""
    out: dict[str, tuple[int, list[str]]] = {}
    defs = list(_PY_DEF.finditer(text))
    for n, m in enumerate(defs):
        end = defs[n + 1].start() if n + 1 < len(defs) else len(text)
        body = text[m.start():end]
        head_start = text.rfind("\n\n", 0, m.start())
        decorators = text[max(head_start, 0):m.start()]
        runs = [" ".join(_STRING.findall(c.group(1))) for c in _RUN_CALL.finditer(body)]
        line = text.count("\n", 0, m.start()) + 1
        names = {m.group(1), m.group(1).replace("_", "-")}
        names |= set(_NAME_KW.findall(decorators))
        for name in names:
            out.setdefault(name, (line, runs))
    return out


class TaskRunners:
    """Resolves task-runner invocations of CI commands into the commands they run."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self._cache: dict[str, Any] = {}

    # -- file lookup ---------------------------------------------------------------------------
    def _find(self, names: tuple[str, ...], workdir: str) -> str | None:
        if self.ctx.repo is None:
            return None
        for folder in (workdir.strip("./"), ""):
            for name in names:
                path = f"{folder}/{name}" if folder else name
                if self.ctx.repo.exists(path):
                    return path
        return None

    def _parsed(self, path: str, parser: Callable[[str], Any]) -> Any:
        if path not in self._cache:
            text = self.ctx.text(path) or ""
            self._cache[path] = parser(text)
        return self._cache[path]

    def _structured(self, path: str) -> Any:
        try:
            value = self.ctx.structured(path)
        except ParseError:
            return {}
        return value if isinstance(value, dict) else {}

    # -- resolution ----------------------------------------------------------------------------
    def resolve(self, cmd: Command, workdir: str = "") -> list[Resolved]:
        """Commands the recipe ``cmd`` names runs, one level (empty when it is not a task runner).

        Recipes calling other recipes (``$(MAKE) test``) are followed by the caller, which
        guards depth and cycles for every kind of hop alike.
        """
        resolvers = {
            "make": self._make, "gmake": self._make, "just": self._just, "nox": self._nox,
            "tox": self._tox, "invoke": self._invoke, "inv": self._invoke, "mise": self._mise,
            "npm": self._npm, "pnpm": self._npm, "yarn": self._npm, "bun": self._npm,
            "poe": self._poe,
        }
        resolver = resolvers.get(cmd.tool)
        if resolver is not None:
            return resolver(list(cmd.words[1:]), workdir)
        return self._project_script(list(cmd.words), workdir)

    def _targets(self, words: list[str], valued: set[str]) -> tuple[list[str], dict[str, str]]:
        names, opts = [], {}
        it = iter(words)
        for word in it:
            if word in valued:
                opts[word] = next(it, "")
            elif word.startswith("-") or "=" in word:
                continue
            else:
                names.append(word)
        return names, opts

    def _rules(self, path: str | None, parser: Callable, names: list[str], default_first: bool) -> list[Resolved]:
        if path is None:
            return []
        rules = self._parsed(path, parser)
        if not names and default_first and rules:
            names = [next(iter(rules))]
        out: list[Resolved] = []
        for name in names:
            line, prereqs, body = rules.get(name, (None, [], []))
            if line is None:
                continue
            for dep in prereqs[:10]:
                dline, _, dbody = rules.get(dep, (None, [], []))
                if dline is not None:
                    out += _recipe(path, dline + 1, dbody)
            out += _recipe(path, line + 1, body)
        return out

    def _make(self, words: list[str], workdir: str) -> list[Resolved]:
        names, opts = self._targets(words, {"-C", "-f", "--directory", "--file", "-j"})
        folder = opts.get("-C") or opts.get("--directory") or workdir
        file = opts.get("-f") or opts.get("--file")
        path = self._find((file,) if file else ("Makefile", "makefile", "GNUmakefile"), folder)
        return self._rules(path, parse_makefile, names, default_first=True)

    def _just(self, words: list[str], workdir: str) -> list[Resolved]:
        names, _ = self._targets(words, {"-f", "--justfile", "-d"})
        path = self._find(("justfile", "Justfile", ".justfile"), workdir)
        return self._rules(path, parse_justfile, names, default_first=True)

    def _python_tasks(self, file: str, names: list[str], workdir: str) -> list[Resolved]:
        path = self._find((file,), workdir)
        if path is None:
            return []
        tasks = self._parsed(path, parse_python_tasks)
        out: list[Resolved] = []
        for name in names:
            line, runs = tasks.get(name, (None, []))
            for run in runs:
                out += [Resolved(path, line, c) for c in commands(run)]
        return out

    def _nox(self, words: list[str], workdir: str) -> list[Resolved]:
        _, opts = self._targets(words, {"-s", "--session", "--sessions", "-e", "-f"})
        names = (opts.get("-s") or opts.get("--session") or opts.get("--sessions") or opts.get("-e") or "").split(",")
        return self._python_tasks("noxfile.py", [n for n in names if n], workdir)

    def _invoke(self, words: list[str], workdir: str) -> list[Resolved]:
        names, _ = self._targets(words, {"-c", "--collection", "-f"})
        return self._python_tasks("tasks.py", names, workdir)

    def _tox(self, words: list[str], workdir: str) -> list[Resolved]:
        _, opts = self._targets(words, {"-e", "-c", "--conf"})
        path = self._find(("tox.ini",), workdir)
        if path is None:
            return []
        text = self.ctx.text(path) or ""
        envs = [e for e in (opts.get("-e") or "").split(",") if e] or [""]
        out: list[Resolved] = []
        for env in envs:
            section = f"testenv:{env}" if env else "testenv"
            m = re.search(r"^\[" + re.escape(section) + r"\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
            if m is None and env:
                m = re.search(r"^\[testenv\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
            block = re.search(r"^commands\s*=\s*(.*?)(?=^\S|\Z)", m.group(1), re.M | re.S) if m else None
            if block:
                line = text.count("\n", 0, m.start(1) + block.start()) + 1
                out += [Resolved(path, line + c.offset, c) for c in commands(block.group(1))]
        return out

    def _mise(self, words: list[str], workdir: str) -> list[Resolved]:
        if not words or words[0] not in ("run", "r"):
            return []
        names, _ = self._targets(words[1:], set())
        path = self._find(("mise.toml", ".mise.toml", "mise/config.toml", ".mise/config.toml"), workdir)
        tasks = as_dict(self._structured(path).get("tasks")) if path else {}
        out: list[Resolved] = []
        for name in names[:1]:
            task = tasks.get(name)
            run = task.get("run") if isinstance(task, dict) else task
            scripts = run if isinstance(run, list) else [run]
            line = self._line_of(path, f"tasks.{name}") or self._line_of(path, f"{name} =")
            deps = task.get("depends", []) if isinstance(task, dict) else []
            for dep in deps if isinstance(deps, list) else []:
                out += self._mise(["run", str(dep)], workdir)
            for script in scripts:
                if isinstance(script, str):
                    out += [Resolved(path, line, c) for c in commands(script)]
        return out

    def _npm(self, words: list[str], workdir: str) -> list[Resolved]:
        if words and words[0] in ("run", "run-script"):
            words = words[1:]
        names, _ = self._targets(words, {"--prefix", "-C", "--filter"})
        path = self._find(("package.json",), workdir)
        scripts = as_dict(self._structured(path).get("scripts")) if path else {}
        out: list[Resolved] = []
        for name in names[:1]:
            script = scripts.get(name)
            if isinstance(script, str):
                line = self._line_of(path, f'"{name}"')
                out += [Resolved(path, line, c) for c in commands(script)]
        return out

    def _poe(self, words: list[str], workdir: str) -> list[Resolved]:
        names, _ = self._targets(words, set())
        return self._pyproject_tasks(names[:1], workdir)

    def _pyproject_tasks(self, names: list[str], workdir: str) -> list[Resolved]:
        path = self._find(("pyproject.toml",), workdir)
        if path is None or not names:
            return []
        doc = self._structured(path)
        tables: list[dict] = [as_dict(get_in(doc, "project", "scripts")),
                              as_dict(get_in(doc, "tool", "poetry", "scripts")),
                              as_dict(get_in(doc, "tool", "pdm", "scripts")),
                              as_dict(get_in(doc, "tool", "poe", "tasks")),
                              as_dict(get_in(doc, "tool", "rye", "scripts"))]
        for env in as_dict(get_in(doc, "tool", "hatch", "envs")).values():
            tables.append(as_dict(get_in(env, "scripts")))
        out: list[Resolved] = []
        name = names[0]
        for table in tables:
            entry = table.get(name) if isinstance(table, dict) else None
            line = self._line_of(path, f"{name} =") or self._line_of(path, f'"{name}"')
            for script in self._entry_scripts(entry):
                out += [Resolved(path, line, c) for c in commands(script)]
        return out

    @staticmethod
    def _entry_scripts(entry: Any) -> list[str]:
        """Shell text of a script-table entry; ``pkg.mod:func`` entry points become ``python -m``."""
        if isinstance(entry, dict):
            entry = entry.get("cmd") or entry.get("shell") or entry.get("call") or entry.get("script") or entry.get("sequence")
        if isinstance(entry, list):
            return [s for e in entry for s in TaskRunners._entry_scripts(e)]
        if not isinstance(entry, str):
            return []
        if re.fullmatch(r"[\w.]+:[\w.]+", entry.strip()):
            return ["python -m " + entry.strip().split(":", 1)[0]]
        return [entry]

    def _project_script(self, words: list[str], workdir: str) -> list[Resolved]:
        """A bare word that is a script of pyproject.toml (``uv run train`` after unwrapping) or
        a console script of setup.py/setup.cfg (``run-pipeline --module-name x``), with its
        arguments passed on."""
        if not words or "/" in words[0] or "." in words[0]:
            return []
        found = self._pyproject_tasks([words[0]], workdir) or self._setup_script(words[0], workdir)
        if len(words) == 1:
            return found
        return [Resolved(r.path, r.line, Command((*r.command.words, *words[1:]), r.command.offset, r.command.neutered))
                for r in found]

    def _setup_script(self, name: str, workdir: str) -> list[Resolved]:
        """``name = pkg.mod:main`` among the console scripts of setup.py or setup.cfg."""
        rx = re.compile(r"""['"]?\s*""" + re.escape(name) + r"""\s*=\s*([\w.]+):[\w.]+""")
        near = [p for p in (self._find((file,), workdir) for file in ("setup.py", "setup.cfg")) if p]
        # a build whose source is a subproject (a CodeBuild spec kept apart from the package it
        # installs): the one package of the repository that declares the script
        # (the repository's setup files listed once per scan: every console-script lookup asks)
        setups = self.ctx.memo("tasks.setup_files", lambda: [p for p in self.ctx.files()
                                                             if p.rsplit("/", 1)[-1] in ("setup.py", "setup.cfg")])
        anywhere = [p for p in setups if p not in near]
        for paths in (near, anywhere):
            found = []
            for path in paths:
                text = self.ctx.text(path) if path else None
                m = rx.search(text or "") if text and "console_scripts" in text else None
                if m:
                    line = text.count("\n", 0, m.start()) + 1
                    found.append([Resolved(path, line, c) for c in commands(f"python -m {m.group(1)}")])
            if len(found) == 1 or found and paths is near:
                return found[0]
        return []

    def _line_of(self, path: str | None, needle: str) -> int | None:
        text = self.ctx.text(path) if path else None
        if not text:
            return None
        at = text.find(needle)
        return text.count("\n", 0, at) + 1 if at >= 0 else None
