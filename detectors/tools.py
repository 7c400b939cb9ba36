"""Tool use across every family, driven by the catalogue: imports plus calls make a signal present.

What the catalogue knows of a tool is matched against the syntax facts of every Python file and
notebook; config files it names count as wiring. A tool that is only imported, only listed in a
dependency manifest, or only named in prose is recorded as ``declared`` evidence, which a reader
sees but which never makes a signal present.
"""
from __future__ import annotations

import fnmatch
import functools
import re
from collections import defaultdict
from dataclasses import replace
from itertools import chain
from typing import Callable, Iterable, Iterator

from detectors.catalogue import FileRule, Pattern, Tool, catalogue, catalogue_index, match_calls
from detectors.ci import read_ci
from detectors.ci.commands import commands
from detectors.dockerfile import build_commands, image_commands, is_dockerfile, shell_form
from detectors.instantiation import configured_calls
from detectors.liveness import unreached
from detectors.manifests import requirements
from detectors.scripts import script_files
from detectors.shapes import first_mapping
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Tier
from scanner.parsing.python import Call, LazyFacts, PyFacts
from scanner.scope import is_example_path, is_test_path
from scanner.sources.interface import SourceError

#: prose files read for declared mentions (README, docs, agent instruction files).
PROSE_SUFFIXES = (".md", ".rst", ".txt", ".mdx")
MAX_PROSE_FILES = 300
#: signals whose definition leaves out notebooks (data preparation "in scripts or modules"):
#: only calls in Python sources that are not notebooks (nor their exports) count for them.
SCRIPT_SIGNALS = frozenset({"data.prep_code"})
#: signals a test suite shows for itself: data tests are data validation, tests are tests.
TEST_SIGNALS = frozenset({"data.validation", "deploy.tests"})
#: config files told apart by their content are parsed only below this size.
MAX_KEYED_BYTES = 512 * 1024


#: cookiecutter's generation hooks: they render the template, they are not project code.
_TEMPLATE_HOOK = re.compile(r"(^|/)hooks/(pre|post)_gen_project\.(py|sh|ps1)$")
#: a tracker's local run store committed by mistake: MLflow and W&B keep copies of the training
#: script (logged artifacts, saved code) there, so the same code would be counted twice or, once
#: the real script is gone, stand in for code the project no longer has.
_RUN_STORE = re.compile(r"(^|/)(mlruns|mlartifacts|wandb/(offline-)?run-[^/]+)/")


def _reexports(sources: list[tuple[str, PyFacts]], table: dict[str, tuple[Tool, ...]]) -> dict[str, str]:
    """``pkg.utils.mlflow_wrapper.mlflow`` -> ``mlflow``: a project module importing a tool's
    module re-exports it under that name (an optional-dependency wrapper: ``try: import mlflow``,
    a stand-in when it is missing), and a file importing it from there uses the tool. Found from
    the imports' text alone: only the wrapper itself is parsed."""
    from detectors.flow import module_index  # (flow imports this module's path tests)
    modules = module_index(path for path, _ in sources if path.endswith(".py"))
    wanted = {c for _, facts in sources for c in facts.import_candidates()
              if "." in c and c.rsplit(".", 1)[1] in table and c.rsplit(".", 1)[0] in modules}
    aliases: dict[str, str] = {}
    by_path = dict(sources) if wanted else {}
    for name in wanted:
        wrapper, tool = name.rsplit(".", 1)
        facts = by_path.get(modules[wrapper])
        if facts is not None and tool in facts.import_candidates() and tool in facts.imports:
            aliases[name] = tool
    return aliases


def _through_reexports(facts: PyFacts, aliases: dict[str, str]) -> PyFacts:
    """The file's facts with calls through a re-exported tool named as the tool's own."""
    parsed = facts.facts() if isinstance(facts, LazyFacts) else facts

    def renamed(name: str) -> str:
        for alias, tool in aliases.items():
            if name == alias or name.startswith(alias + "."):
                return tool + name[len(alias):]
        return name

    imports = {**parsed.imports, **{tool: line for name, line in parsed.imports.items()
                                    for alias, tool in aliases.items() if name == alias}}
    calls = tuple(replace(c, name=renamed(c.name)) for c in parsed.calls)
    return replace(parsed, imports=imports, calls=calls)


def _keep_first_own(table: dict[Pattern, tuple[str, Call]], pattern: Pattern, path: str, call: Call) -> None:
    """Keep a pattern's first hit, unless it lies in an example or docs folder and this one does not."""
    kept = table.get(pattern)
    if kept is None or (is_example_path(kept[0]) and not is_example_path(path)):
        table[pattern] = (path, call)


def is_template_path(path: str) -> bool:
    """An unrendered project template (cookiecutter, copier), its generation hooks, or a file kept
    in a tracker's local run store: their code is not the repo's."""
    return "{{" in path or "{%" in path or ("_gen_project." in path and bool(_TEMPLATE_HOOK.search(path))) \
        or is_run_store_path(path)


def is_run_store_path(path: str) -> bool:
    """A file under a tracker's local run store (mlruns/, mlartifacts/, wandb/run-*/)."""
    # every detector asks this of every file: the regex runs only where its words are
    return ("mlruns/" in path or "mlartifacts/" in path or "run-" in path) and bool(_RUN_STORE.search(path))


class ToolUsageDetector(Detector):
    """Finds catalogue tools used in code (import + call) or wired by their config files."""

    id = "tools"
    cost = 12
    signals = tuple(sorted({s for t in catalogue().values() for s in t.signals}))

    @classmethod
    def tools_for(cls, signal: str) -> list[str]:
        """Catalogue tools that can make ``signal`` present (for ``mlops-scan signals``)."""
        return sorted(t.name for t in catalogue().values() if signal in t.signals)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        tools = catalogue()
        used: set[str] = set()
        for ev in self._code_use(ctx):
            used.add(ev.attributes["tool"])
            yield ev
        for tool in tools.values():
            for ev in self._config_files(ctx, tool):
                used.add(tool.name)
                yield ev
            for ev in self._command_use(ctx, tool):
                used.add(tool.name)
                yield ev
        yield from self._declared(ctx, tools, used)

    # -- code --------------------------------------------------------------------------------
    def _code_use(self, ctx: ScanContext) -> Iterator[Evidence]:
        """One pass over the sources: each file is matched only against the tools it imports."""
        index = catalogue_index()
        # tool -> pattern -> (path, call) of its first match: anywhere, outside tests, in modules
        hits: dict[str, dict[Pattern, tuple[str, Call]]] = defaultdict(dict)
        project_hits: dict[str, dict[Pattern, tuple[str, Call]]] = defaultdict(dict)
        script_hits: dict[str, dict[Pattern, tuple[str, Call]]] = defaultdict(dict)
        # calls inside functions nothing runs: shown as declared, never counted
        unrun: dict[str, dict[Pattern, tuple[str, Call]]] = defaultdict(dict)
        dead: dict[tuple[str, int], str] = {}
        files_using: dict[str, set[str]] = defaultdict(set)
        # code, the configs Hydra instantiates (their ``_target_`` entries are calls) and
        # JavaScript/TypeScript (CDK stacks, Lambda functions calling the AWS SDK)
        sources = list(ctx.python_files())
        aliases = _reexports(sources, index.by_module)
        for path, facts in chain(sources, configured_calls(ctx), script_files(ctx)):
            if aliases and any(c in aliases for c in facts.import_candidates()):
                facts = _through_reexports(facts, aliases)
            if is_template_path(path) or not index.may_use(facts, index.by_module):
                continue
            in_tests = is_test_path(path)
            for name, (tool, _module) in index.tools_of(facts, index.by_module).items():
                found = match_calls(tool, facts, _patterns(tool))
                if found:
                    files_using[name].add(path)
                for pattern, call in found.items():
                    if not in_tests and (path, call.line) not in dead:
                        dead[(path, call.line)] = unreached(ctx, path, call.line) or ""
                    if not in_tests and dead[(path, call.line)]:
                        _keep_first_own(unrun[name], pattern, path, call)
                        continue
                    _keep_first_own(hits[name], pattern, path, call)
                    if not in_tests:
                        _keep_first_own(project_hits[name], pattern, path, call)
                        if not ctx.is_notebook(path):
                            _keep_first_own(script_hits[name], pattern, path, call)
        tools = catalogue()
        for name in sorted(set(hits) | set(unrun)):
            tool = tools[name]
            for signal, alternatives in sorted(tool.uses.items()):
                counted = (script_hits if signal in SCRIPT_SIGNALS else
                           hits if signal in TEST_SIGNALS else project_hits)[name]
                # an alternative the project's own code satisfies first; one only tests exercise (a
                # tracker mocked in a test) is shown, not counted, and only when none is satisfied
                # (and one the project's own modules satisfy before one only its examples do)
                own = {p: hit for p, hit in counted.items() if not is_example_path(hit[0])}
                found = next(((alt, table, Tier.CONFIGURED) for table in (own, counted) for alt in alternatives
                              if all(p in table for p in alt)), None) \
                    or next(((alt, table, Tier.DECLARED) for table in (hits[name], {**unrun[name], **hits[name]})
                             for alt in alternatives if all(p in table for p in alt)), None)
                if found is None:
                    continue
                alt, tool_hits, tier = found
                places = [tool_hits[p] for p in alt]
                path, call = places[0]
                calls = sorted({c.name for _, c in places})
                unrun_in = next((dead[(p, c.line)] for p, c in places if dead.get((p, c.line))), "")
                why = "" if tier is Tier.CONFIGURED else \
                    f" (in {unrun_in}, which nothing in the repository calls)" if unrun_in else " (only in tests)"
                yield self.evidence(
                    signal,
                    f"{tool.name}: {', '.join(calls)} called in {path}{why}",
                    *[ctx.location(p, c.line if not p.endswith(".ipynb") else None) for p, c in places],
                    tier=tier,
                    subject=tool.name,
                    tool=tool.name,
                    calls=calls,
                    files=len(files_using[name]),
                )

    def _config_files(self, ctx: ScanContext, tool: Tool) -> Iterator[Evidence]:
        if ctx.repo is None:
            return
        for signal, rules in sorted(tool.files.items()):
            found = [(path, line) for rule in rules for path in ctx.repo.glob(rule.glob)
                     if not is_template_path(path) for line in _rule_line(ctx, rule, path)]
            paths = list(dict.fromkeys(p for p, _ in found))
            if paths:
                ctx.text(paths[0])  # read it, so the location carries its sha256
                lines = dict(reversed(found))
                yield self.evidence(
                    signal,
                    f"{tool.name}: config file {paths[0]}" + (f" (+{len(paths) - 1} more)" if len(paths) > 1 else ""),
                    *[ctx.location(p, lines[p]) for p in paths[:5]],
                    subject=tool.name,
                    tool=tool.name,
                    files=len(paths),
                )

    def _command_use(self, ctx: ScanContext, tool: Tool) -> Iterator[Evidence]:
        for signal, globs in sorted(tool.commands.items()):
            # one regex for the signal's globs: every command is matched once, not once per glob
            matcher = _glob_matcher(tuple(globs))
            found = [(path, line, text) for path, line, text in _shell_commands(ctx) if matcher(text)]
            if found:
                path, _line, text = found[0]
                yield self.evidence(
                    signal,
                    f"{tool.name}: '{text[:80]}' run in {path}" + (f" (+{len(found) - 1} more)" if len(found) > 1 else ""),
                    *[ctx.location(p, ln) for p, ln, _ in found[:5]],
                    subject=f"{tool.name}:commands",
                    tool=tool.name,
                    commands=sorted({t[:120] for _, _, t in found})[:10],
                )

    # -- declared ----------------------------------------------------------------------------
    def _declared(self, ctx: ScanContext, tools: dict[str, Tool], used: set[str]) -> Iterator[Evidence]:
        index = catalogue_index()
        seen: set[tuple[str, str]] = set()

        def declare(tool: Tool, path: str, line: int | None, how: str) -> Iterable[Evidence]:
            if tool.name in used or tool.signal is None or (tool.name, path) in seen:
                return ()
            seen.add((tool.name, path))
            return (self.evidence(tool.signal, f"{tool.name} {how} in {path}, but not used in code",
                                  ctx.location(path, line), tier=Tier.DECLARED,
                                  subject=f"{tool.name}:declared", tool=tool.name, mention=how),)

        for path, facts in ctx.python_files():
            if not index.may_use(facts, index.by_import):
                continue
            how = ("in a tracker run store" if is_run_store_path(path)
                   else "in an unrendered template" if is_template_path(path) else "imported")
            for tool, module in index.tools_of(facts, index.by_import).values():
                yield from declare(tool, path, facts.imports.get(module), how)
        for req in requirements(ctx):
            for tool in index.by_package.get(req.name, ()):
                yield from declare(tool, req.path, req.line, "listed as a dependency")
        prose = [p for p in ctx.files() if p.lower().endswith(PROSE_SUFFIXES)
                 and "requirements" not in p.lower()][:MAX_PROSE_FILES]
        for path in prose:
            text = ctx.text(path)
            if not text:
                continue
            for name, offset in sorted(index.mentions(text).items()):
                yield from declare(tools[name], path, text.count("\n", 0, offset) + 1, "named in prose")


def _patterns(tool: Tool) -> tuple[Pattern, ...]:
    """Every call pattern of a tool, over all its signals (each once)."""
    return tuple(dict.fromkeys(p for alts in tool.uses.values() for alt in alts for p in alt))


def _rule_line(ctx: ScanContext, rule: FileRule, path: str) -> list[int | None]:
    """``[line]`` when the file fits the rule (its keys hold), else ``[]``; a file whose content
    cannot be parsed does not fit (the parse problem is recorded in coverage)."""
    if not rule.keys:
        return [None]
    try:
        if ctx.repo.size(path) > MAX_KEYED_BYTES:
            return []
    except (OSError, SourceError):
        return []
    text = ctx.text(path) or ""
    if not rule.worth_reading(text):
        return []
    try:
        docs = ctx.structured(path)
    except ParseError:
        return []
    doc = docs if path.lower().endswith((".json", ".toml")) else first_mapping(docs)
    return [rule.line_in(text)] if rule.holds(doc) else []


@functools.lru_cache(maxsize=None)
def _glob_matcher(globs: tuple[str, ...]) -> Callable[[str], re.Match | None]:
    """A case-sensitive matcher of any of the shell globs (``fnmatchcase`` semantics)."""
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs)).match


def _shell_commands(ctx: ScanContext) -> list[tuple[str, int | None, str]]:
    """(path, line, command) of what CI steps, shell scripts, Makefile/justfile recipes and
    Dockerfiles (build steps, the image's command) run. Jobs and steps that never run or cannot
    fail (``if: false``, ``|| true``) are left out: their commands prove nothing."""
    def read() -> list[tuple[str, int | None, str]]:
        out: list[tuple[str, int | None, str]] = []
        for pipeline in read_ci(ctx).pipelines:
            for job in pipeline.jobs:
                for step in job.steps if not job.neutered else ():
                    out += [(pipeline.file, step.line, cmd.text) for cmd in commands(step.run)
                            if not step.neutered and not cmd.neutered]
        for path in ctx.files():
            if is_template_path(path):
                continue
            if path.endswith(".sh"):
                out += [(path, cmd.offset + 1, cmd.text) for cmd in commands(ctx.text(path) or "")
                        if not cmd.neutered]
            elif path.rsplit("/", 1)[-1] in ("Makefile", "makefile", "GNUmakefile", "justfile"):
                out += [(path, line, cmd.text) for line, recipe in _recipe_lines(ctx.text(path) or "")
                        for cmd in commands(recipe) if not cmd.neutered]
            elif is_dockerfile(path):
                text = ctx.text(path) or ""
                lines = build_commands(text) + [(line, shell_form(cmd)) for line, _, cmd in image_commands(text)]
                out += [(path, line, cmd.text) for line, script in lines for cmd in commands(script) if not cmd.neutered]
        return out
    return ctx.memo("catalogue_commands", read)


def _recipe_lines(text: str) -> list[tuple[int, str]]:
    """(line, command) of a Makefile's or justfile's recipe lines (indented under a target)."""
    return [(i, line.strip().lstrip("@-")) for i, line in enumerate(text.splitlines(), 1)
            if line.startswith(("\t", "    ")) and line.strip() and not line.strip().startswith("#")]
