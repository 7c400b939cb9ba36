"""Files a user hands the tool (``--config``, ``--rules``, bundles for ``report``/``diff``/``trend``/
``judge``): read with a size cap, only when they are regular files, and JSON with a nesting cap.

A device (``/dev/zero``), a FIFO or a socket would be read forever or block; a file larger than
its cap is refused after reading one byte past the cap, whatever ``stat`` claims; JSON nested
deeper than anything the tool writes is refused instead of exhausting the parser's recursion.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

#: a bundle of a large org scan stays far below this
MAX_BUNDLE_BYTES = 200 * 1024 * 1024
#: the tool's own JSON is a handful of levels deep
MAX_JSON_DEPTH = 64


class UserFileError(Exception):
    """A file named on the command line cannot be used; the message names it and why."""


def read_text(path: str | Path, max_bytes: int, *, what: str = "file") -> str:
    """UTF-8 text of a regular file of at most ``max_bytes`` bytes."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a device, pipe or socket"
            raise UserFileError(f"{path}: is {kind}, not a {what}")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise UserFileError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    return _decoded(data, str(path), max_bytes, what)


def read_stdin(max_bytes: int, *, what: str = "input") -> str:
    """UTF-8 text of standard input, at most ``max_bytes`` bytes."""
    return _decoded(sys.stdin.buffer.read(max_bytes + 1), "standard input", max_bytes, what)


def _decoded(data: bytes, name: str, max_bytes: int, what: str) -> str:
    if len(data) > max_bytes:
        raise UserFileError(f"{name}: larger than {max_bytes} bytes, refused as a {what}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserFileError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def load_json(text: str, name: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON document nested at most ``max_depth`` levels deep."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise UserFileError(f"{name}: JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise UserFileError(f"{name}: not JSON: {exc}") from exc
    if _depth(doc) > max_depth:
        raise UserFileError(f"{name}: JSON nested deeper than {max_depth} levels")
    return doc


def _depth(doc: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest
