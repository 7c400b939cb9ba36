"""Helpers shared by the CI parsers: finding lines in the source text, flattening values."""
from __future__ import annotations

import re
from typing import Any

from detectors.shapes import one_or_many


class LineFinder:
    """Finds the line where a key or a command is written, searching forward from a line.

    YAML loaders drop positions; searching the text for what was parsed, in document order,
    gives the line an auditor needs without a second, position-keeping parser.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def key(self, name: str, start: int = 1) -> int | None:
        """Line of ``name:`` as a mapping key (1-based), at or after ``start``."""
        rx = re.compile(r"^\s*-?\s*['\"]?" + re.escape(str(name)) + r"['\"]?\s*:")
        return self._search(rx, start)

    def text(self, needle: str, start: int = 1) -> int | None:
        """Line holding the first non-blank line of ``needle``, at or after ``start``."""
        first = next((ln.strip() for ln in str(needle).splitlines() if ln.strip()), "")
        if not first:
            return None
        for i in range(max(start, 1) - 1, len(self.lines)):
            if first in self.lines[i]:
                return i + 1
        return None

    def _search(self, rx: re.Pattern[str], start: int) -> int | None:
        for i in range(max(start, 1) - 1, len(self.lines)):
            if rx.search(self.lines[i]):
                return i + 1
        return None


def flatten(value: Any, limit: int = 4000) -> str:
    """Scalars of a nested value as ``key=value`` words, for matching action inputs."""
    out: list[str] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack and sum(len(s) for s in out) < limit:
        key, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((str(k), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((key, v) for v in reversed(node))
        elif node is not None:
            out.append(f"{key}={node}" if key else str(node))
    return " ".join(out)


_FALSE_IF = re.compile(r"^\s*(\$\{\{\s*)?(false|0|'false'|\"false\")(\s*\}\})?\s*$", re.I)


def disabled_condition(value: Any) -> bool:
    """``if: false``, ``if: ${{ false }}``, ``condition: false``: the step never runs."""
    if value is False or value == 0:
        return True
    return isinstance(value, str) and bool(_FALSE_IF.match(value))


def truthy(value: Any) -> bool:
    """YAML-ish truth: ``true``, ``"true"``, ``yes``."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1")


def script_text(value: Any) -> str:
    """A script given as a string or a list of strings (lists of lists flattened)."""
    parts: list[str] = []
    for item in one_or_many(value):
        if isinstance(item, list):
            parts.append(script_text(item))
        elif isinstance(item, (str, int, float)):
            parts.append(str(item))
    return "\n".join(parts)


def scalars(value: Any) -> tuple[tuple[str, str], ...]:
    """The scalar values of a mapping (``with:`` inputs, template ``parameters:``), as (name, text)
    pairs; booleans as YAML writes them."""
    if not isinstance(value, dict):
        return ()
    return tuple((str(k), str(v).lower() if isinstance(v, bool) else str(v))
                 for k, v in value.items() if isinstance(v, (str, int, float, bool)))
