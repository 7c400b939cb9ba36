"""The tool catalogue: what each tool looks like in a repository, as data.

Each ``catalogue/*.yaml`` file maps tool names to:

``imports``   top-level (or dotted) module names that mean the tool is imported
``via``       general SDK modules whose calls can prove use of the tool (``boto3`` for SageMaker
              endpoints) but whose import alone says nothing about it: never a declared mention
``packages``  distribution names, as written in requirements / pyproject / environment files
``names``     how prose names the tool (matched as whole words, case-insensitive)
``signal``    the tool's main signal: where declared-only mentions are recorded
``uses``      signal -> call patterns that prove real use. A pattern is an ``fnmatch`` glob over
              the resolved dotted call name (``mlflow.log_metric``, ``mlflow.*.log_model``);
              ``.name`` matches a method called on any object in a file importing the tool;
              a trailing ``(kw)`` requires that keyword argument, ``(kw=a|b)`` requires it with a
              literal value matching one of the globs ``a``, ``b`` (case-insensitive; a literal
              list matches when one of its items does: ``report_to=["wandb"]``), and
              ``(kw!=a|b)`` requires that the keyword is not given one of those values (absent
              or another value: for options on by default, ``save_model!=false``); ``(**)``
              requires a ``**options`` splat (which may hold any keyword);
              ``("a|b")`` requires a positional literal matching one of the globs
              (``mlflow.set_registry_uri("databricks*")``). A list
              inside the list means all of its patterns must match somewhere in the repository.
``files``     signal -> config files that wire the tool in: a glob of paths, or a mapping
              ``{glob: ..., keys: [...]}`` for files told apart by their content. Each key must
              hold in the file's (first) YAML/JSON document: ``a.b`` is a dotted path (through
              lists too: ``applications.import_path``), ``a|c.d`` gives alternatives, and a
              trailing ``=v1|v2`` requires a scalar value matching one of the globs
              (case-insensitive). Without ``=`` the key must hold a non-empty value.
``commands``  signal -> globs over the shell commands that CI steps and shell scripts run: the
              words of one command, wrappers such as ``uv run`` peeled off, joined by single
              spaces (``az ml online-deployment create *``, ``gcloud*ai models upload *``).

Adding a tool is adding an entry.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any, Callable, Iterable

from scanner.parsing.python import Call, PyFacts
from scanner.parsing.structured import load_package_yaml

_KWARG = re.compile(r"^(.*)\((\w+|\*\*)(?:(!?=)([^)]*))?\)$")
_POSITIONAL = re.compile(r"""^(.*)\((["'])([^)]*)\2\)$""")


def _values_match(value: object, globs: tuple[str, ...]) -> bool:
    """A literal (or one item of a literal list) matches one of the value globs."""
    items = value if isinstance(value, tuple) else (value,)
    return any(fnmatch.fnmatchcase(str(v).lower(), g) for v in items if v is not None for g in globs)


@dataclass(frozen=True)
class Pattern:
    """One call pattern of the catalogue."""

    glob: str
    keyword: str | None = None
    values: tuple[str, ...] = ()
    """Value globs the keyword's literal must (or, when ``negated``, must not) match."""
    negated: bool = False
    positional: tuple[str, ...] = ()
    """Value globs one of the call's positional literals must match."""

    @classmethod
    def parse(cls, text: str) -> "Pattern":
        m = _KWARG.match(text)
        if not m:
            p = _POSITIONAL.match(text)
            if p:
                return cls(p.group(1), positional=tuple(v.strip().lower() for v in p.group(3).split("|") if v.strip()))
            return cls(text)
        values = tuple(v.strip().lower() for v in (m.group(4) or "").split("|") if v.strip())
        return cls(m.group(1), m.group(2), values, m.group(3) == "!=")

    def _passes_keyword(self, call: Call) -> bool:
        if self.keyword is None:
            return True
        if self.negated:
            return not (call.has_kwarg(self.keyword) and _values_match(call.kwarg(self.keyword), self.values))
        if not call.has_kwarg(self.keyword):
            return False
        return not self.values or _values_match(call.kwarg(self.keyword), self.values)

    @cached_property
    def exact(self) -> bool:
        """The glob names one call (or one ``.method``): no wildcard."""
        return not any(c in self.glob for c in "*?[")

    @property
    def method_only(self) -> bool:
        """A ``.method`` pattern: matches calls on objects of unknown origin."""
        return self.glob.startswith(".")

    def matches(self, call: Call) -> bool:
        """True when ``call`` fits the glob (and passes the keyword, if one is required)."""
        if not self._passes_keyword(call):
            return False
        if self.positional and not _values_match(call.args, self.positional):
            return False
        name = call.name
        if self.method_only and not name.startswith("."):
            # a method pattern also matches a resolved call ending in that method
            name = "." + name.rsplit(".", 1)[-1]
        return bool(self._name_test(name))

    @cached_property
    def _name_test(self) -> Callable[[str], object]:
        """The glob as a test of a call's name, made once: plain equality when it has no wildcard
        (every file's every call meets every pattern of the tools it imports)."""
        if self.exact:
            return self.glob.__eq__
        return re.compile(fnmatch.translate(self.glob)).match


def _children(nodes: list[Any], segment: str) -> list[Any]:
    """Values under ``segment`` (``*``: every value) of the mappings among ``nodes`` and among
    the items of the lists in ``nodes``."""
    out: list[Any] = []
    for item in (i for node in nodes for i in (node if isinstance(node, list) else [node])):
        if isinstance(item, dict):
            values = list(item.values()) if segment == "*" else [item.get(segment)]
            out.extend(v for v in values if v is not None)
    return out


def _given(value: Any) -> bool:
    return value not in ("", [], {}) and value is not None


@dataclass(frozen=True)
class FileRule:
    """A config file of the catalogue: a glob of paths and the keys its content must hold."""

    glob: str
    keys: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: object) -> "FileRule":
        if isinstance(raw, dict):
            return cls(str(raw.get("glob", "")), tuple(str(k) for k in raw.get("keys") or ()))
        return cls(str(raw))

    def _alternatives(self, key: str) -> tuple[list[list[str]], tuple[str, ...]]:
        paths, _, values = key.partition("=")
        return ([p.strip().split(".") for p in paths.split("|")],
                tuple(v.strip().lower() for v in values.split("|") if v.strip()))

    def worth_reading(self, text: str) -> bool:
        """Cheap pre-check: every key's last name (of some alternative) occurs in the text."""
        return all(any(path[-1] == "*" or path[-1] in text for path in self._alternatives(key)[0])
                   for key in self.keys)

    def holds(self, doc: Any) -> bool:
        """True when every key holds in the parsed document."""
        for key in self.keys:
            paths, values = self._alternatives(key)
            found = []
            for path in paths:
                nodes = [doc]
                for segment in path:
                    nodes = _children(nodes, segment)
                found.extend(nodes)
            if values:
                scalars = [v for n in found for v in (n if isinstance(n, list) else [n])
                           if isinstance(v, (str, int, float, bool))]
                if not _values_match(tuple(scalars), values):
                    return False
            elif not any(_given(n) for n in found):
                return False
        return True

    def line_in(self, text: str) -> int | None:
        """Line of the first key's first name in the text (where a reader should look)."""
        if not self.keys:
            return None
        for path in self._alternatives(self.keys[0])[0]:
            line = key_line(text, next((p for p in path if p != "*"), path[-1]))
            if line:
                return line
        return None


def key_line(text: str, key: str) -> int | None:
    """Line where a YAML/JSON text first gives ``key`` (``key:``, ``- key:``, ``"key":``)."""
    m = re.search(rf"^[\s-]*[\"']?{re.escape(key)}[\"']?\s*:", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


@dataclass(frozen=True)
class Tool:
    """One catalogue entry."""

    name: str
    family: str
    signal: str | None
    description: str = ""
    imports: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    uses: dict[str, tuple[tuple[Pattern, ...], ...]] = field(default_factory=dict)
    """signal -> alternatives; an alternative holds when each of its patterns matches."""
    files: dict[str, tuple[FileRule, ...]] = field(default_factory=dict)
    commands: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """signal -> globs over shell commands run by CI steps and shell scripts."""

    @property
    def signals(self) -> tuple[str, ...]:
        """Every signal this tool can support."""
        found = set(self.uses) | set(self.files) | set(self.commands)
        if self.signal:
            found.add(self.signal)
        return tuple(sorted(found))

    def imported_by(self, facts: PyFacts) -> str | None:
        """The import that brings this tool into a file, if any."""
        return facts.imports_any(self.imports)

    def reachable_in(self, facts: PyFacts) -> bool:
        """True when the file imports the tool or an SDK through which it can be called."""
        return facts.imports_any(self.imports + self.via) is not None

    def prose_pattern(self) -> re.Pattern[str]:
        """Whole-word, case-insensitive pattern of the tool's names in prose (compiled once)."""
        return _prose_pattern(self.names or (self.name,))


@lru_cache(maxsize=None)
def _prose_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.-])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.IGNORECASE)


def _alternatives(raw: Iterable[object]) -> tuple[tuple[Pattern, ...], ...]:
    alts = []
    for item in raw:
        group = item if isinstance(item, list) else [item]
        alts.append(tuple(Pattern.parse(str(p)) for p in group))
    return tuple(alts)


def _tool(name: str, family: str, raw: dict) -> Tool:
    return Tool(
        name=name,
        family=family,
        signal=raw.get("signal"),
        description=raw.get("description", ""),
        imports=tuple(raw.get("imports", ())),
        via=tuple(raw.get("via", ())),
        packages=tuple(p.lower() for p in raw.get("packages", ())),
        names=tuple(raw.get("names", ())),
        uses={sig: _alternatives(pats) for sig, pats in (raw.get("uses") or {}).items()},
        files={sig: tuple(FileRule.parse(r) for r in rules) for sig, rules in (raw.get("files") or {}).items()},
        commands={sig: tuple(str(g) for g in globs) for sig, globs in (raw.get("commands") or {}).items()},
    )


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Tool]:
    """Every tool of every ``catalogue/*.yaml`` file, by name."""
    tools: dict[str, Tool] = {}
    folder = resources.files("detectors").joinpath("catalogue")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        family = entry.name[: -len(".yaml")]
        doc = load_package_yaml(entry.read_text(encoding="utf-8")) or {}
        for name, raw in (doc.get("tools") or {}).items():
            if name in tools:
                raise ValueError(f"catalogue/{entry.name}: tool {name!r} is defined twice")
            tools[name] = _tool(name, family, raw or {})
    return tools


_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class CatalogueIndex:
    """The catalogue turned around once per process, so a file is matched against every tool in
    one pass: modules to the tools they bring, package names to tools, prose names by their
    first word."""

    by_module: dict[str, tuple[Tool, ...]]
    """Import or ``via`` module -> tools whose calls can be made through it."""
    by_import: dict[str, tuple[Tool, ...]]
    """Import module -> tools it declares (``via`` SDKs excluded)."""
    by_package: dict[str, tuple[Tool, ...]]
    by_first_word: dict[str, tuple[Tool, ...]]
    """First word of a prose name (lower case) -> tools with a name starting so."""

    def may_use(self, facts: PyFacts, table: dict[str, tuple[Tool, ...]]) -> bool:
        """Whether the file may import a tool of ``table`` (asked of its text, so a file that
        cannot is never parsed)."""
        for module in facts.import_candidates():
            parts = module.split(".")
            if any(".".join(parts[:i]) in table for i in range(1, len(parts) + 1)):
                return True
        return False

    def tools_of(self, facts: PyFacts, table: dict[str, tuple[Tool, ...]]) -> dict[str, tuple[Tool, str]]:
        """Tool name -> (tool, first import bringing it) for a file's imports, via ``table``."""
        found: dict[str, tuple[Tool, str]] = {}
        for module in facts.imports:
            parts = module.split(".")
            for i in range(1, len(parts) + 1):
                for tool in table.get(".".join(parts[:i]), ()):
                    found.setdefault(tool.name, (tool, module))
        return found

    def mentions(self, text: str) -> dict[str, int]:
        """Tool name -> offset of its first prose mention in ``text``.

        The words of the text select the few tools that may be named (one cheap pass); only
        their whole-name patterns are searched.
        """
        low = text.lower()
        words = set(_WORD.findall(low))
        candidates = {t.name: t for w in words.intersection(self.by_first_word) for t in self.by_first_word[w]}
        found: dict[str, int] = {}
        for name, tool in sorted(candidates.items()):
            if not any(n.lower() in low for n in tool.names or (tool.name,)):
                continue  # its first word is there, the whole name is not
            m = tool.prose_pattern().search(text)
            if m:
                found[name] = m.start()
        return found


def _grouped(pairs: Iterable[tuple[str, Tool]]) -> dict[str, tuple[Tool, ...]]:
    out: dict[str, list[Tool]] = {}
    for key, tool in pairs:
        if tool not in out.setdefault(key, []):
            out[key].append(tool)
    return {key: tuple(tools) for key, tools in out.items()}


@lru_cache(maxsize=1)
def catalogue_index() -> CatalogueIndex:
    """The index of the whole catalogue (built once)."""
    tools = list(catalogue().values())
    return CatalogueIndex(
        by_module=_grouped((m, t) for t in tools for m in t.imports + t.via),
        by_import=_grouped((m, t) for t in tools for m in t.imports),
        by_package=_grouped((p, t) for t in tools for p in t.packages),
        by_first_word=_grouped((w, t) for t in tools for n in (t.names or (t.name,))
                               for w in _WORD.findall(n.lower())[:1]),
    )


def tools_for(signal: str) -> list[Tool]:
    """Tools of the catalogue that support ``signal``."""
    return [t for t in catalogue().values() if signal in t.signals]


def match_calls(tool: Tool, facts: PyFacts, patterns: tuple[Pattern, ...]) -> dict[Pattern, Call]:
    """For each pattern, the first call of ``facts`` it matches (only in files using the tool)."""
    found: dict[Pattern, Call] = {}
    if not tool.reachable_in(facts):
        return found
    calls = facts.calls
    index = facts.calls_by_name
    for pattern in patterns:
        # a pattern without wildcards meets only the calls of its name (or, ``.method``, of its
        # method): looked up, not tried on every call of the file
        candidates = (calls[i] for i in index.get(pattern.glob, ())) if pattern.exact else calls
        call = next((c for c in candidates if pattern.matches(c)), None)
        if call is not None:
            found[pattern] = call
    return found
