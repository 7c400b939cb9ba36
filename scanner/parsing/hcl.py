"""Comments of Terraform (HCL) and Bicep sources blanked by a tokenizer that knows strings.

A regular expression cannot tell a comment from a ``#`` in a URL or a ``/*`` in an S3 ARN
(``"arn:aws:s3:::bucket/*"``): it blanks real code up to the next ``*/``. This walks the source
once, skipping quoted strings (with escapes and ``${...}`` interpolations) and heredocs, and
replaces every comment character with a space, newlines kept, so line numbers stay right.
"""
from __future__ import annotations

import re
from typing import Any

_HEREDOC = re.compile(r"<<-?\s*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_RESOURCE = re.compile(r'^\s*resource\s+"([\w-]+)"\s+"([\w-]+)"\s*\{', re.M)


def resource_blocks(text: str) -> dict[tuple[str, str], tuple[int, str]]:
    """(type, label) -> (1-based line, body) of every ``resource "type" "label" { ... }`` block
    (comments are best blanked first, see ``strip_comments``)."""
    out = {}
    for m in _RESOURCE.finditer(text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out[(m.group(1), m.group(2))] = (text.count("\n", 0, m.start()) + 1, text[m.end():i])
    return out


def strip_comments(text: str, *, bicep: bool = False) -> str:
    """``text`` with ``#``, ``//`` and ``/* */`` comments blanked (Bicep: ``//`` and ``/* */``)."""
    out: list[str] = []
    quote = "'" if bicep else '"'
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == quote:
            end = _string_end(text, i, quote)
            out.append(text[i:end])
            i = end
        elif not bicep and ch == "<" and text.startswith("<<", i):
            m = _HEREDOC.match(text, i)
            end = _heredoc_end(text, m) if m else i + 2
            out.append(text[i:end])
            i = end
        elif (ch == "#" and not bicep) or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _string_end(text: str, start: int, quote: str) -> int:
    """Index just past the string opened at ``start``; an unclosed string ends at its line."""
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "$" and text.startswith("${", i):  # an interpolation may quote strings itself
            i = _interpolation_end(text, i + 2, quote)
            continue
        if ch == quote:
            return i + 1
        if ch == "\n":  # strings do not span lines: a stray quote must not swallow the file
            return i
        i += 1
    return n


def _interpolation_end(text: str, i: int, quote: str) -> int:
    """Index just past the ``}`` closing an interpolation whose body starts at ``i``."""
    depth, n = 1, len(text)
    while i < n and depth:
        ch = text[i]
        if ch == quote:
            i = _string_end(text, i, quote)
            continue
        if ch == "\n":
            return i
        depth += (ch == "{") - (ch == "}")
        i += 1
    return i


def _heredoc_end(text: str, m: re.Match[str]) -> int:
    """Index just past the heredoc's closing marker line (the end of text if it never closes)."""
    marker = re.compile(r"^[ \t]*" + re.escape(m.group(1)) + r"[ \t]*$", re.M)
    close = marker.search(text, m.end())
    return close.end() if close else len(text)


def hcl_document(text: str) -> dict[str, Any]:
    """A Terraform file as plain data (python-hcl2), shaped like the JSON the same configuration
    would be written in: strings without their quotes, a block written once a mapping, a block
    written several times (``task { }`` ``task { }``) a list under its plural (``tasks``), the
    parser's markers dropped. Raises ValueError when the file does not parse."""
    import hcl2  # imported on first use: only files holding resources read this way pay for it

    try:
        return _plain(hcl2.loads(text))
    except Exception as exc:  # the parser's own errors (lark's) have no common base to name
        raise ValueError(f"not HCL: {exc.__class__.__name__}") from exc


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key.startswith("__") and key.endswith("__"):
            continue
        key = _plain(key)
        blocks = isinstance(item, list) and item and all(isinstance(b, dict) and b.get("__is_block__") for b in item)
        if blocks and key in _REPEATED_BLOCKS:
            out[_REPEATED_BLOCKS[key]] = [_plain(b) for b in item]
        elif blocks and len(item) == 1:
            out[key] = _plain(item[0])
        else:
            out[key] = _plain(item)
    return out


#: blocks a resource may hold several of, and the key their JSON form lists them under
_REPEATED_BLOCKS = {"task": "tasks", "job_cluster": "job_clusters", "library": "libraries",
                    "depends_on": "depends_on", "parameter": "parameters"}
