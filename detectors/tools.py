"""Tool use across every family, driven by the catalogue: imports plus calls make a signal present.

What the catalogue knows of a tool is matched against the syntax facts of every Python file and
notebook; config files it names count as wiring. A tool that is only imported, only listed in a
dependency manifest, or only named in prose is recorded as ``declared`` evidence, which a reader
sees but which never makes a signal present.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Iterator

from detectors.catalogue import Pattern, Tool, catalogue, match_calls
from detectors.manifests import requirements
from scanner.detector import Detector, ScanContext
from scanner.model import Evidence, Tier
from scanner.parsing.python import Call

#: prose files read for declared mentions (README, docs, agent instruction files).
PROSE_SUFFIXES = (".md", ".rst", ".txt", ".mdx")
MAX_PROSE_FILES = 300


#: cookiecutter's generation hooks: they render the template, they are not project code.
_TEMPLATE_HOOK = re.compile(r"(^|/)hooks/(pre|post)_gen_project\.(py|sh|ps1)$")
#: a tracker's local run store committed by mistake: MLflow and W&B keep copies of the training
#: script (logged artifacts, saved code) there, so the same code would be counted twice or, once
#: the real script is gone, stand in for code the project no longer has.
_RUN_STORE = re.compile(r"(^|/)(mlruns|mlartifacts|wandb/(offline-)?run-[^/]+)/")


def is_template_path(path: str) -> bool:
    """An unrendered project template (cookiecutter, copier), its generation hooks, or a file kept
    in a tracker's local run store: their code is not the repo's."""
    return "{{" in path or "{%" in path or bool(_TEMPLATE_HOOK.search(path)) or is_run_store_path(path)


def is_run_store_path(path: str) -> bool:
    """A file under a tracker's local run store (mlruns/, mlartifacts/, wandb/run-*/)."""
    return bool(_RUN_STORE.search(path))


class ToolUsageDetector(Detector):
    """Finds catalogue tools used in code (import + call) or wired by their config files."""

    id = "tools"
    signals = tuple(sorted({s for t in catalogue().values() for s in t.signals}))

    @classmethod
    def tools_for(cls, signal: str) -> list[str]:
        """Catalogue tools that can make ``signal`` present (for ``mlops-scan signals``)."""
        return sorted(t.name for t in catalogue().values() if signal in t.signals)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        tools = catalogue()
        used: set[str] = set()
        for tool in tools.values():
            for ev in self._code_use(ctx, tool):
                used.add(tool.name)
                yield ev
            for ev in self._config_files(ctx, tool):
                used.add(tool.name)
                yield ev
        yield from self._declared(ctx, tools, used)

    # -- code --------------------------------------------------------------------------------
    def _code_use(self, ctx: ScanContext, tool: Tool) -> Iterator[Evidence]:
        if not (tool.imports or tool.via):
            return
        # pattern -> (path, call) of its first match over the repository
        hits: dict[Pattern, tuple[str, Call]] = {}
        files_using: set[str] = set()
        all_patterns = tuple({p for alts in tool.uses.values() for alt in alts for p in alt})
        for path, facts in ctx.python_files():
            if is_template_path(path) or not tool.reachable_in(facts):
                continue
            found = match_calls(tool, facts, all_patterns)
            if found:
                files_using.add(path)
            for pattern, call in found.items():
                hits.setdefault(pattern, (path, call))
        for signal, alternatives in sorted(tool.uses.items()):
            for alt in alternatives:
                if all(p in hits for p in alt):
                    places = [hits[p] for p in alt]
                    path, call = places[0]
                    calls = sorted({c.name for _, c in places})
                    yield self.evidence(
                        signal,
                        f"{tool.name}: {', '.join(calls)} called in {path}",
                        *[ctx.location(p, c.line if not p.endswith(".ipynb") else None) for p, c in places],
                        subject=tool.name,
                        tool=tool.name,
                        calls=calls,
                        files=len(files_using),
                    )
                    break

    def _config_files(self, ctx: ScanContext, tool: Tool) -> Iterator[Evidence]:
        if ctx.repo is None:
            return
        for signal, globs in sorted(tool.files.items()):
            paths = [p for p in ctx.repo.glob(*globs) if not is_template_path(p)]
            if paths:
                ctx.text(paths[0])  # read it, so the location carries its sha256
                yield self.evidence(
                    signal,
                    f"{tool.name}: config file {paths[0]}" + (f" (+{len(paths) - 1} more)" if len(paths) > 1 else ""),
                    *[ctx.location(p) for p in paths[:5]],
                    subject=tool.name,
                    tool=tool.name,
                    files=len(paths),
                )

    # -- declared ----------------------------------------------------------------------------
    def _declared(self, ctx: ScanContext, tools: dict[str, Tool], used: set[str]) -> Iterator[Evidence]:
        by_package: dict[str, list[Tool]] = defaultdict(list)
        for tool in tools.values():
            for pkg in tool.packages:
                by_package[pkg].append(tool)
        seen: set[tuple[str, str]] = set()

        def declare(tool: Tool, path: str, line: int | None, how: str) -> Iterable[Evidence]:
            if tool.name in used or tool.signal is None or (tool.name, path) in seen:
                return ()
            seen.add((tool.name, path))
            return (self.evidence(tool.signal, f"{tool.name} {how} in {path}, but not used in code",
                                  ctx.location(path, line), tier=Tier.DECLARED,
                                  subject=f"{tool.name}:declared", tool=tool.name, mention=how),)

        for path, facts in ctx.python_files():
            for tool in tools.values():
                mod = tool.imported_by(facts) if tool.imports else None
                if mod:
                    how = ("in a tracker run store" if is_run_store_path(path)
                           else "in an unrendered template" if is_template_path(path) else "imported")
                    yield from declare(tool, path, facts.imports.get(mod), how)
        for req in requirements(ctx):
            for tool in by_package.get(req.name, ()):
                yield from declare(tool, req.path, req.line, "listed as a dependency")
        prose = [p for p in ctx.files() if p.lower().endswith(PROSE_SUFFIXES)
                 and "requirements" not in p.lower()][:MAX_PROSE_FILES]
        patterns = {name: tool.prose_pattern() for name, tool in tools.items()
                    if name not in used and tool.signal}
        for path in prose:
            text = ctx.text(path)
            if not text:
                continue
            for name, pattern in patterns.items():
                m = pattern.search(text) if pattern else None
                if m:
                    yield from declare(tools[name], path, text.count("\n", 0, m.start()) + 1,
                                       "named in prose")
