"""Dependency manifests: which packages a repository declares, and where.

A declared package is only a ``declared`` mention: it never makes a signal present.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from detectors.cog import COG_FILE, python_packages
from detectors.shapes import as_dict, as_list
from scanner.detector import ParseError, ScanContext
from scanner.parsing.python import parse_tree, walk
from scanner.sources.interface import SourceError

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
#: an exact version, a URL or a hash; or a compatible release down to the patch (``~=1.2.0``:
#: only 1.2.x bug fixes)
_PINNED = re.compile(r"==\s*[\w.*+!-]+|@\s*\S+|--hash=|~=\s*\d+\.\d+\.\d+")
_SPEC_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

REQUIREMENTS = ("requirements*.txt", "requirements*.in", "requirements/*.txt", "*requirements.txt")
MANIFESTS = REQUIREMENTS + ("pyproject.toml", "setup.py", "setup.cfg", "environment*.yml",
                            "environment*.yaml", "conda*.yml", "conda*.yaml", "Pipfile", COG_FILE)
#: a conda environment file under any name (Azure ML keeps them as ``*_dependencies.yml``): a
#: top-level ``dependencies`` list that installs Python or pip.
_CONDA_DEPENDENCIES = re.compile(r"^dependencies:[ \t]*$", re.M)
_CONDA_PYTHON = re.compile(r"^\s*-\s*(?:[\w-]+::)?(?:python|pip)\b", re.M)


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


#: a dependency installed from version control: ``git+https://host/org/name.git@rev#egg=name``.
_VCS = re.compile(r"^\s*(?:git|hg|svn|bzr)\+\S+?/([\w.-]+?)(?:\.git)?(@[\w./-]+)?(?:#egg=([\w.-]+))?\s*$")


def _from_spec(spec: str, path: str, line: int | None) -> Requirement | None:
    vcs = _VCS.match(spec)
    if vcs:  # pinned only to a commit or tag (``@rev``); a branch head moves
        return Requirement(normalise(vcs.group(3) or vcs.group(1)), path, line, bool(vcs.group(2)))
    m = _SPEC_NAME.match(spec)
    if not m or spec.lstrip().startswith(("-", "#")):
        return None
    return Requirement(normalise(m.group(1)), path, line, bool(_PINNED.search(spec)))


def component_packages(ctx: ScanContext) -> list[Requirement]:
    """Packages a Kubeflow Pipelines component installs into its step's environment
    (``@component(base_image=..., packages_to_install=["xgboost==1.5.2", ...])``)."""
    out = []
    for path, facts in ctx.python_files(notebooks=False):
        if not facts.may_name("packages_to_install") or not facts.imports_any(("kfp",)):
            continue
        for call in facts.calls:
            specs = call.kwarg("packages_to_install")
            image = call.kwarg("base_image")
            if isinstance(image, str) and (image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]):
                continue  # installed on an image that moves: the step's environment is not fixed
            if isinstance(specs, tuple):
                out += [r for spec in specs if isinstance(spec, str) and (r := _from_spec(spec, path, call.line))]
    return out


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


def _pyproject(doc: object, path: str) -> list[Requirement]:
    doc = as_dict(doc)
    project = as_dict(doc.get("project"))
    specs = _specs_in(project.get("dependencies", [])) + _specs_in(project.get("optional-dependencies", {}))
    specs += _specs_in(doc.get("dependency-groups", {}))
    out = [r for s in specs if (r := _from_spec(s, path, None))]
    poetry = as_dict(as_dict(doc.get("tool")).get("poetry"))
    tables = [as_dict(poetry.get("dependencies")), as_dict(poetry.get("dev-dependencies"))]
    tables += [as_dict(as_dict(g).get("dependencies")) for g in as_dict(poetry.get("group")).values()]
    for table in tables:
        for name, ver in table.items():
            if str(name).lower() != "python":
                pinned = isinstance(ver, str) and bool(re.match(r"^\s*=?=?\s*\d", ver))
                out.append(Requirement(normalise(str(name)), path, None, pinned))
    return out


def _setup_py(text: str, path: str) -> list[Requirement]:
    tree = parse_tree(text)
    if tree is None:
        return []
    out = []
    for node in walk(tree):
        if isinstance(node, ast.keyword) and node.arg in ("install_requires", "extras_require"):
            for sub in walk(node.value):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    req = _from_spec(sub.value, path, sub.lineno)
                    if req:
                        out.append(req)
    return out


def _conda(doc: object, path: str) -> list[Requirement]:
    if not isinstance(doc, dict):
        return []
    out = []
    for dep in as_list(doc.get("dependencies")):
        if isinstance(dep, str):
            name = re.split(r"[=<>! ]", dep.split("::")[-1], 1)[0]
            if normalise(name) != "pip":  # conda's own pip, there to install the ``pip:`` list
                out.append(Requirement(normalise(name), path, None, "=" in dep))
        elif isinstance(dep, dict):
            out += [r for s in _specs_in(dep.get("pip", [])) if (r := _from_spec(s, path, None))]
    return out


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _requirements_text(ctx: ScanContext, path: str) -> str:
    """Text of a requirements file. ``pip freeze > requirements.txt`` in Windows PowerShell writes
    UTF-16 with a byte-order mark; pip reads such files, so they are read here too instead of
    being skipped as binary (their NUL bytes)."""
    text = ctx.text(path)
    if text is not None:
        return text
    try:
        data = ctx.repo.read_bytes(path)
    except SourceError:
        return ""
    if not data.startswith(_UTF16_BOMS):
        return ""
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError:
        return ""


def requirements(ctx: ScanContext) -> list[Requirement]:
    """Every dependency declared anywhere in the repository (malformed files are skipped)."""
    return ctx.memo("requirements", lambda: _read_requirements(ctx))[0]


def unreadable_manifests(ctx: ScanContext) -> dict[str, str]:
    """path -> why, for pyproject/conda manifests that could not be read (their dependencies are unknown)."""
    return ctx.memo("requirements", lambda: _read_requirements(ctx))[1]


def _shape_problem(base: str, doc: object) -> str | None:
    """Why a parsed pyproject/conda manifest is not shaped like one (None when it is, or is empty)."""
    if doc is None:
        return None
    if not isinstance(doc, dict):
        return "the document is not a mapping"
    if base == "pyproject.toml":
        project = doc.get("project")
        if project is not None and not isinstance(project, dict):
            return "[project] is not a table"
        if isinstance(project, dict) and not isinstance(project.get("dependencies", []), list):
            return "project.dependencies is not a list"
    elif not isinstance(doc.get("dependencies", []), list):
        return "'dependencies' is not a list"
    return None


def _manifest_paths(ctx: ScanContext) -> list[str]:
    """Manifests by name, then conda environment files named otherwise, told by their content."""
    if ctx.repo is None:
        return []
    named = ctx.repo.glob(*MANIFESTS)
    known = set(named)
    shaped = [p for p in ctx.repo.glob("*.yml", "*.yaml") if p not in known and _is_conda_env(ctx.text(p) or "")]
    return named + shaped


def _is_conda_env(text: str) -> bool:
    return bool(_CONDA_DEPENDENCIES.search(text)) and bool(_CONDA_PYTHON.search(text))


def _read_requirements(ctx: ScanContext) -> tuple[list[Requirement], dict[str, str]]:
    out: list[Requirement] = []
    problems: dict[str, str] = {}
    for path in _manifest_paths(ctx):
        base = path.rsplit("/", 1)[-1].lower()
        try:
            if base == "pyproject.toml":
                doc = ctx.structured(path)
                why = _shape_problem(base, doc)
                if why:
                    problems[path] = why
                out += _pyproject(doc, path)
            elif base == "setup.py":
                out += _setup_py(ctx.text(path) or "", path)
            elif base == "setup.cfg":
                text = ctx.text(path) or ""
                block = re.search(r"install_requires\s*=\s*\n((?:[ \t]+.*\n?)+)", text)
                out += _requirements_txt(block.group(1), path) if block else []
            elif base == COG_FILE:  # the Python packages a Cog image installs
                docs = ctx.structured(path)
                out += [r for s in python_packages(docs[0] if docs else None) if (r := _from_spec(s, path, None))]
            elif base.endswith((".yml", ".yaml")):
                docs = ctx.structured(path)
                doc = docs[0] if docs else None
                why = _shape_problem(base, doc)
                if why:
                    problems[path] = why
                out += _conda(doc, path)
            elif base == "pipfile":  # TOML without the .toml name: its package lines suffice
                text = ctx.text(path) or ""
                out += [Requirement(normalise(m.group(1)), path, None, False)
                        for m in re.finditer(r"^([A-Za-z0-9][\w.-]*)\s*=", text, re.M)
                        if m.group(1) not in ("url", "verify_ssl", "name", "python_version")]
            else:
                out += _requirements_txt(_requirements_text(ctx, path), path)
        except ParseError as exc:
            if base == "pyproject.toml" or base.endswith((".yml", ".yaml")):
                problems[path] = str(exc)
    return out, problems
