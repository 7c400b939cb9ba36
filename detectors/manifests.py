"""Dependency manifests: which packages a repository declares, and where.

A declared package is only a ``declared`` mention: it never makes a signal present.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from scanner.detector import ParseError, ScanContext

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_PINNED = re.compile(r"==\s*[\w.*+!-]+|@\s*\S+|--hash=")
_SPEC_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

REQUIREMENTS = ("requirements*.txt", "requirements*.in", "requirements/*.txt", "*requirements.txt")
MANIFESTS = REQUIREMENTS + ("pyproject.toml", "setup.py", "setup.cfg", "environment*.yml",
                            "environment*.yaml", "conda*.yml", "conda*.yaml", "Pipfile")


@dataclass(frozen=True)
class Requirement:
    """One declared dependency."""

    name: str
    """Normalised distribution name (lowercase, dashes)."""
    path: str
    line: int | None
    pinned: bool


def normalise(name: str) -> str:
    """PEP 503 normalisation, so ``Great_Expectations`` and ``great-expectations`` meet."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _from_spec(spec: str, path: str, line: int | None) -> Requirement | None:
    m = _SPEC_NAME.match(spec)
    if not m or spec.lstrip().startswith(("-", "#")):
        return None
    return Requirement(normalise(m.group(1)), path, line, bool(_PINNED.search(spec)))


def _requirements_txt(text: str, path: str) -> list[Requirement]:
    out = []
    for i, raw in enumerate(text.splitlines(), 1):
        spec = raw.split(" #", 1)[0].strip()
        req = _from_spec(spec, path, i) if spec else None
        if req:
            out.append(req)
    return out


def _specs_in(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, list):
        return [s for item in obj for s in _specs_in(item)]
    if isinstance(obj, dict):
        return [s for item in obj.values() for s in _specs_in(item)]
    return []


def _pyproject(doc: dict, path: str) -> list[Requirement]:
    project = doc.get("project") or {}
    specs = _specs_in(project.get("dependencies", [])) + _specs_in(project.get("optional-dependencies", {}))
    specs += _specs_in(doc.get("dependency-groups", {}))
    out = [r for s in specs if (r := _from_spec(s, path, None))]
    poetry = (doc.get("tool") or {}).get("poetry") or {}
    tables = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
    tables += [(g or {}).get("dependencies") or {} for g in (poetry.get("group") or {}).values()]
    for table in tables:
        for name, ver in table.items():
            if name.lower() != "python":
                pinned = isinstance(ver, str) and bool(re.match(r"^\s*=?=?\s*\d", ver))
                out.append(Requirement(normalise(name), path, None, pinned))
    return out


def _setup_py(text: str, path: str) -> list[Requirement]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("install_requires", "extras_require"):
            for sub in ast.walk(node.value):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    req = _from_spec(sub.value, path, sub.lineno)
                    if req:
                        out.append(req)
    return out


def _conda(doc: object, path: str) -> list[Requirement]:
    if not isinstance(doc, dict):
        return []
    out = []
    for dep in doc.get("dependencies") or []:
        if isinstance(dep, str):
            name = re.split(r"[=<>! ]", dep.split("::")[-1], 1)[0]
            out.append(Requirement(normalise(name), path, None, "=" in dep))
        elif isinstance(dep, dict):
            out += [r for s in _specs_in(dep.get("pip", [])) if (r := _from_spec(s, path, None))]
    return out


def requirements(ctx: ScanContext) -> list[Requirement]:
    """Every dependency declared anywhere in the repository (malformed files are skipped)."""
    return ctx.memo("requirements", lambda: _read_requirements(ctx))


def _read_requirements(ctx: ScanContext) -> list[Requirement]:
    out: list[Requirement] = []
    for path in ctx.repo.glob(*MANIFESTS) if ctx.repo is not None else []:
        base = path.rsplit("/", 1)[-1].lower()
        try:
            if base == "pyproject.toml":
                out += _pyproject(ctx.structured(path), path)
            elif base == "setup.py":
                out += _setup_py(ctx.text(path) or "", path)
            elif base == "setup.cfg":
                text = ctx.text(path) or ""
                block = re.search(r"install_requires\s*=\s*\n((?:[ \t]+.*\n?)+)", text)
                out += _requirements_txt(block.group(1), path) if block else []
            elif base.endswith((".yml", ".yaml")):
                docs = ctx.structured(path)
                out += _conda(docs[0] if docs else None, path)
            elif base == "pipfile":  # TOML without the .toml name: its package lines suffice
                text = ctx.text(path) or ""
                out += [Requirement(normalise(m.group(1)), path, None, False)
                        for m in re.finditer(r"^([A-Za-z0-9][\w.-]*)\s*=", text, re.M)
                        if m.group(1) not in ("url", "verify_ssl", "name", "python_version")]
            else:
                out += _requirements_txt(ctx.text(path) or "", path)
        except ParseError:
            continue
    return out
