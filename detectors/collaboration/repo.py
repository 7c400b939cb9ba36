"""What every collaboration check reads: the repository's files, its parsed pyproject.toml files,
and helpers that find content in them and point evidence at them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from detectors.shapes import get_in
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Outcome, Tier

MAX_LOCATIONS = 5
#: task-runner files deeper than this are someone's sub-build, not the project's workflow.
MAX_TASK_DEPTH = 2
#: ``VAR=value`` assignments before a shell command.
ENV_PREFIX = re.compile(r"^(?:[A-Za-z_]\w*=\S*\s+)+")


def line_of(text: str, needle: str) -> int | None:
    """1-based line of the first occurrence of ``needle`` in ``text``."""
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def more(paths: list[str]) -> str:
    """``a.yml`` or ``a.yml (+2 more)`` for a summary."""
    return paths[0] + (f" (+{len(paths) - 1} more)" if len(paths) > 1 else "")


def depth(path: str) -> int:
    """How many folders deep ``path`` sits below the repository root."""
    return path.count("/")


def base_name(path: str) -> str:
    """Lower-cased file name of ``path``."""
    return path.rsplit("/", 1)[-1].lower()


#: ``doc[k1][k2]...`` for nested mappings, None when a level is missing or not a mapping.
table = get_in


@dataclass
class RepoFiles:
    """The files one collaboration scan looks at, and the detector its evidence comes from."""

    detector: Detector
    ctx: ScanContext
    files: list[str]
    pyprojects: dict[str, dict]

    @classmethod
    def read(cls, detector: Detector, ctx: ScanContext, files: list[str]) -> RepoFiles:
        """The scan of ``files``, with every pyproject.toml parsed (broken ones are left out)."""
        pyprojects: dict[str, dict] = {}
        for path in files:
            if base_name(path) == "pyproject.toml":
                try:
                    doc = ctx.structured(path)
                except ParseError:
                    continue
                pyprojects[path] = doc if isinstance(doc, dict) else {}
        return cls(detector, ctx, files, pyprojects)

    def text(self, path: str) -> str:
        """Text of ``path``, empty when it cannot be read."""
        return self.ctx.text(path) or ""

    def first_document(self, path: str) -> Any:
        """First YAML document (or the TOML table) of ``path``; None when empty or unparsable."""
        try:
            docs = self.ctx.structured(path)
        except ParseError:
            return None
        if isinstance(docs, list):
            return docs[0] if docs else None
        return docs

    def parse_problem(self, path: str) -> str | None:
        """Why ``path`` could not be parsed, None when it parsed."""
        try:
            self.ctx.structured(path)
        except ParseError as exc:
            return str(exc)
        return None

    def error(self, signal: str, path: str, why: str) -> Evidence:
        """Error evidence: ``path`` would decide ``signal`` but could not be read."""
        return self.detector.evidence(signal, f"{path} could not be read: {why}", self.ctx.location(path),
                                      tier=None, outcome=Outcome.ERROR, subject=f"unreadable:{path}")  # type: ignore[arg-type]

    def with_content(self, paths: Iterable[str], min_chars: int = 1) -> list[str]:
        """The paths whose text has at least ``min_chars`` non-blank characters."""
        return [p for p in paths if len("".join(self.text(p).split())) >= min_chars]

    def found(self, signal: str, summary: str, paths: list[str], tier: Tier = Tier.CONFIGURED,
              line: int | None = None, subject: str = "", **attributes: Any) -> Evidence:
        """Evidence pointing at ``paths`` (the first one with ``line``)."""
        locations = [self.ctx.location(p, line if i == 0 else None) for i, p in enumerate(paths[:MAX_LOCATIONS])]
        return self.detector.evidence(signal, summary, *locations, tier=tier, subject=subject, **attributes)
