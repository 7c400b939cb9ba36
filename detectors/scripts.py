"""JavaScript and TypeScript sources of the project, read into the facts Python sources give
(``scanner.parsing.javascript``): CDK stacks and Lambda functions that provision or call what the
catalogue knows."""
from __future__ import annotations

import re

from scanner.detector import ScanContext
from scanner.parsing.javascript import parse_script
from scanner.parsing.python import PyFacts
from scanner.sources.interface import SourceError

SCRIPT_SUFFIXES = (".ts", ".js", ".mjs", ".cjs")
#: installed packages, build output, type declarations and minified bundles: not the project's code.
_NOT_SOURCE = re.compile(r"(^|/)(node_modules|cdk\.out|dist|coverage|\.next)/|\.d\.ts$|\.min\.js$")
MAX_SCRIPT_BYTES = 256 * 1024


def script_files(ctx: ScanContext) -> list[tuple[str, PyFacts]]:
    """(path, facts) of the repository's JavaScript/TypeScript sources that import a package."""
    return ctx.memo("script_files", lambda: list(_read(ctx)))


def is_script_source(path: str) -> bool:
    """A JavaScript/TypeScript file of the project (not installed, built or a declaration)."""
    return path.endswith(SCRIPT_SUFFIXES) and not _NOT_SOURCE.search(path)


def _read(ctx: ScanContext):
    for path in ctx.files():
        if not is_script_source(path):
            continue
        try:
            if ctx.repo.size(path) > MAX_SCRIPT_BYTES:
                continue
        except (OSError, SourceError):
            continue
        text = ctx.text(path)
        facts = parse_script(text) if text else None
        if facts is not None:
            yield path, facts
