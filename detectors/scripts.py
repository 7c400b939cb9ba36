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
    """(path, facts) of the repository's JavaScript/TypeScript sources that import a package,
    read only in a project whose package manifest (or CDK app) names a package the catalogue
    knows: a folder of web assets is not read file by file."""
    return ctx.memo("script_files", lambda: list(_read(ctx)) if node_project(ctx) else [])


#: packages whose use the catalogue reads in JavaScript/TypeScript (CDK, the AWS SDK)
_KNOWN_PACKAGES = re.compile(r'"(aws-cdk-lib|@aws-cdk/[\w-]+|aws-sdk|@aws-sdk/[\w-]+|cdk-nag|constructs)"')


def node_project(ctx: ScanContext) -> bool:
    """A CDK app, or a ``package.json`` of the project depending on a package the catalogue knows."""
    return ctx.memo("node_project", lambda: _node_project(ctx))


def _node_project(ctx: ScanContext) -> bool:
    if ctx.repo is None:
        return False
    if ctx.repo.glob("cdk.json"):
        return True
    return any(_KNOWN_PACKAGES.search(ctx.text(p) or "") for p in ctx.repo.glob("package.json")
               if not _NOT_SOURCE.search(p))


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
