"""A dataset registry of the project's own: a dataset stored under the digest of its content
(content addressing), so that each version is immutable and named by what it holds.

Recognised by data flow in one function: the content is hashed, the digest (or a name made from
it) keys the place the same content is written to. A cache keyed by a URL's hash, a digest that
is only logged, or a model store is not dataset versioning.
"""
from __future__ import annotations

import ast
from typing import Iterator

from detectors.flow import Finding, Function, Project, callee, dotted, own_nodes, words
from scanner.parsing.python import walk

_DIGESTS = frozenset({"sha256", "sha1", "sha512", "md5", "blake2b", "blake2s", "sha3_256", "hexdigest", "digest"})
_WRITES = frozenset({"put_object", "upload_file", "upload_fileobj", "upload_blob", "upload_from_filename",
                     "upload_from_string", "write_bytes", "write_text", "copy", "copyfile", "copy2", "copytree",
                     "to_parquet", "to_csv", "save", "put", "upload", "write", "move", "rename"})
_DATA = frozenset({"data", "dataset", "datasets", "corpus", "snapshot", "snapshots", "raw", "table", "tables"})
#: what a content-addressed store holds when it is not a dataset.
_NOT_DATA = frozenset({"cache", "cached", "model", "models", "checkpoint", "weights", "artifact", "artifacts", "image",
                       "images", "avatar", "upload", "attachment"})


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in walk(node) if isinstance(n, ast.Name)}


def _digest_of(node: ast.AST) -> set[str] | None:
    """Names hashed by a digest call inside ``node`` (``hashlib.sha256(content).hexdigest()``)."""
    for sub in walk(node):
        if isinstance(sub, ast.Call) and callee(sub) in _DIGESTS and ("hashlib" in dotted(sub.func) or sub.args):
            hashed = set().union(*(_names(a) for a in sub.args)) if sub.args else set()
            inner = sub.func.value if isinstance(sub.func, ast.Attribute) else None
            if inner is not None and isinstance(inner, ast.Call):
                hashed |= set().union(*(_names(a) for a in inner.args)) if inner.args else set()
            if hashed:
                return hashed
    return None


def _about_datasets(path: str, fn: Function) -> bool:
    args = fn.node.args
    names = [fn.name, path.rsplit("/", 1)[-1][:-3]] + [a.arg for a in args.posonlyargs + args.args]
    found = set().union(*(words(n) for n in names))
    return bool(found & _DATA) and not found & _NOT_DATA


def content_addressed(fn: Function) -> tuple[int, str] | None:
    """(line, write) where the function writes content under the digest of that same content."""
    keyed: set[str] = set()
    hashed: set[str] = set()
    for node in sorted((n for n in own_nodes(fn.node) if isinstance(n, (ast.Assign, ast.Call))), key=_position):
        if isinstance(node, ast.Assign):
            digest = _digest_of(node.value)
            if digest or _names(node.value) & keyed:
                keyed |= {t.id for t in node.targets if isinstance(t, ast.Name)}
                hashed |= digest or set()
        elif callee(node) in _WRITES and keyed:
            args = [*node.args, *(k.value for k in node.keywords)]
            used = set().union(*(_names(a) for a in args)) if args else set()
            if used & keyed and (used - keyed) & hashed:
                return node.lineno, str(callee(node))
    return None


def _position(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset


def dataset_registries(project: Project) -> Iterator[Finding]:
    """Functions storing datasets under the digest of their content."""
    for module in project.modules("hashlib", "digest("):
        for fn in module.all_functions():
            hit = content_addressed(fn) if _about_datasets(module.path, fn) else None
            if hit:
                line, write = hit
                yield Finding(f"content-addressed dataset versions: {fn.qualname} writes the data with {write} "
                              f"under the digest of its content ({module.path}:{line})",
                              ((module.path, fn.line), (module.path, line)))
                return
