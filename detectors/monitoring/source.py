"""What every monitoring check reads: project Python modules, findings, and what counts as
monitoring code."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

from detectors.tools import is_template_path
from scanner.detector import ScanContext
from scanner.parsing.python import Call, PyFacts, parse_tree, walk
from scanner.scope import is_test_path

#: identifiers that say code is about production monitoring. The bare ``monitor`` is left out:
#: it is mostly Keras' ``EarlyStopping(monitor="val_loss")`` keyword in training code.
MONITORING = re.compile(r"drift|monitor(ing|s)|_monitor|monitor_|nannyml|evidently|whylogs|"
                        r"alibi_detect|frouros|ground_?truth")
MONITORING_PATH = re.compile(r"monitor|drift", re.I)
#: monitoring named in free text: config values, job commands, deployment names.
MONITORING_TEXT = re.compile(r"drift|monitor|nannyml|evidently|whylogs|ground.?truth", re.I)


def identifiers(tree: ast.AST) -> frozenset[str]:
    """Lower-cased identifiers of Python code: comments and string literals never count."""
    out: set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.Name):
            out.add(node.id.lower())
        elif isinstance(node, ast.Attribute):
            out.add(node.attr.lower())
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name.lower())
        elif isinstance(node, ast.arg):
            out.add(node.arg.lower())
        elif isinstance(node, ast.keyword) and node.arg and not _is_none(node.value):
            # ``data_drift_score=None`` fills a column with nothing: no drift is computed
            out.add(node.arg.lower())
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [getattr(node, "module", None) or ""] + [a.name for a in node.names]
            out.update(part.lower() for m in modules for part in m.split(".") if part)
    return frozenset(out)


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def line_of(text: str, pattern: str) -> int | None:
    """1-based line of the first match of ``pattern`` (a multi-line regex) in ``text``."""
    m = re.search(pattern, text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


@dataclass
class Source:
    """One Python module of the project (not a test, a template or a notebook)."""

    path: str
    text: str
    facts: PyFacts
    ctx: ScanContext | None = None
    """The scan, whose parse of the module is shared (none: the text is parsed here)."""

    @cached_property
    def tree(self) -> ast.AST | None:
        """Syntax tree, or None when the module is too big or does not parse."""
        if self.facts.error:
            return None
        return self.ctx.tree(self.path) if self.ctx is not None else parse_tree(self.text)

    @cached_property
    def lower(self) -> str:
        """Lower-cased source, for cheap pre-checks before the syntax tree is walked."""
        return self.text.lower()

    @cached_property
    def names(self) -> frozenset[str]:
        """Identifiers of the module (imports, names, attributes, keywords)."""
        return identifiers(self.tree) if self.tree is not None else frozenset()

    def mentions(self, pattern: re.Pattern[str]) -> bool:
        """True when an identifier of the module matches ``pattern`` (an unanchored regex)."""
        return bool(pattern.search(self.lower)) and any(pattern.search(n) for n in self.names)

    @property
    def monitoring(self) -> bool:
        """Code about production monitoring, by its path or its identifiers."""
        return bool(MONITORING_PATH.search(self.path)) or self.mentions(MONITORING)

    def call(self, *patterns: str, kwargs: tuple[str, ...] = ()) -> Call | None:
        """First call whose resolved name ends with one of ``patterns`` (regexes).

        A pattern starting with ``\\.`` is a method: it matches whatever the object is
        (``load_table(...).merge`` resolves to ``load_table.merge``). Other patterns match
        whole dotted components. ``kwargs``: at least one of these keywords must be passed.
        """
        alternatives = [p if p.startswith("\\.") else r"(?:^|\.)" + p for p in patterns]
        pattern = re.compile("(?:" + "|".join(alternatives) + ")$")
        for call in self.facts.calls:
            if pattern.search(call.name) and (not kwargs or any(call.has_kwarg(k) for k in kwargs)):
                return call
        return None


def load_source(ctx: ScanContext, path: str) -> Source | None:
    """The module at ``path``, or None when it cannot be read or parsed into facts."""
    facts = ctx.python(path)
    text = ctx.text(path)
    return Source(path, text, facts, ctx) if facts is not None and text is not None else None


def project_sources(ctx: ScanContext) -> Iterator[Source]:
    """Python modules of the project: tests, templates and notebooks (also those kept as ``.py``
    scripts) are left out."""
    for path in ctx.files():
        if path.endswith(".py") and not is_test_path(path) and not is_template_path(path) \
                and not ctx.is_notebook(path):
            src = load_source(ctx, path)
            if src is not None:
                yield src


@dataclass(frozen=True)
class Hit:
    """One finding: where, and what was seen."""

    path: str
    line: int | None
    what: str
