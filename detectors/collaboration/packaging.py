"""Packaged code: a package manifest (pyproject, setup.py, setup.cfg) over a real code package,
or a modular package layout (regular packages, or folders the project imports modules through)."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from detectors.collaboration.repo import RepoFiles, base_name, table
from detectors.collaboration.signals import PACKAGED
from detectors.flow import is_project_code, module_index
from scanner.detector import ScanContext
from scanner.model import Evidence, Tier
from scanner.scope import copied_projects, is_example_path, is_test_path

_SETUP_CFG_NAME = re.compile(r"^\[metadata\][^\[]*^name\s*=", re.M)
#: ``from .schema import X`` / ``from . import schema`` at the start of a line
_RELATIVE_IMPORT = re.compile(r"^[ \t]*from[ \t]+\.(\w+)[ \t]+import\b|^[ \t]*from[ \t]+\.[ \t]+import[ \t]+(\w+)", re.M)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def code_packages(files: list[str]) -> list[str]:
    """Top-level Python packages with several modules, by the files' paths alone (folders with ``__init__.py``, folders
    under ``src/``, or ``src/`` itself), test suites and non-identifier folders excluded."""
    inits = {_parent(p) for p in files if p.rsplit("/", 1)[-1] == "__init__.py"}
    # (an ``__init__.py`` at the repository's root makes no one package of everything: its
    # packages are still the top-level ones)
    roots = {d for d in inits if d == "." or _parent(d) not in inits - {"."}}
    # src/ layout with namespace packages: the folders under src/ are the packages.
    roots |= {"/".join(p.split("/")[:2]) for p in files
              if p.startswith("src/") and p.count("/") >= 2 and "src" not in inits}
    # a flat src/ folder of modules (src/prepare.py, core/src/train.py) is a modular layout too
    flat = [_parent(p) for p in files if p.endswith(".py") and _parent(p).rsplit("/", 1)[-1] == "src"
            and not is_example_path(p) and not is_test_path(p)]
    roots |= {folder for folder in set(flat) if flat.count(folder) >= 2 and folder not in inits}
    out = []
    for root in sorted(roots):
        name = root.rsplit("/", 1)[-1]
        if root != "." and (not name.isidentifier() or name.lower() in ("tests", "test", "testing")):
            continue
        prefix = "" if root == "." else root + "/"
        modules = [p for p in files if p.startswith(prefix) and p.endswith(".py")
                   and p.rsplit("/", 1)[-1] != "__init__.py" and (root != "." or "/" not in p)]
        if len(modules) >= 2:
            out.append(root)
    return out


@dataclass(frozen=True)
class ImportedFolder:
    """A folder without ``__init__.py`` (an implicit namespace package) whose modules the
    project's modules import by dotted names through it."""

    root: str
    """The folder the first part of the dotted names stands for (``dags/tasks``)."""
    modules: tuple[str, ...]
    """Its modules that are imported, sorted."""
    importer: str
    """A module importing one of them."""
    line: int
    """Line of that import."""
    name: str
    """The dotted name imported there (``tasks.train_model``)."""


def imported_folders(ctx: ScanContext, files: list[str]) -> list[ImportedFolder]:
    """Folders without ``__init__.py`` through which project modules import two or more modules
    by dotted names (``from tasks.train_model import train`` with ``dags/tasks/train_model.py``:
    a folder put on ``sys.path`` or an orchestrator's DAG folder). Tests, examples, docs and
    notebooks (exported ones too) neither import nor are imported: helpers only notebooks use are
    still notebooks only."""
    code = [p for p in files if is_project_code(p) and not ctx.is_notebook(p)]
    index = module_index(code)
    inits = {_parent(p) for p in files if base_name(p) == "__init__.py"}
    found: dict[str, dict[str, tuple[str, int, str]]] = defaultdict(dict)
    modules = set(code)
    for importer in code:
        facts = ctx.python(importer)
        # the text's candidates first: only a file that may import a project module is parsed
        candidates = facts.import_candidates() if facts is not None else ()
        for name in sorted(n for n in candidates if "." in n and index.get(n) not in (None, importer)):
            line = facts.imports.get(name)
            root = _root(index[name], name)
            if line is not None and root not in inits:
                found[root].setdefault(index[name], (importer, line, name))
        # ``from .schema import X`` beside schema.py: only a package imports so (``uvicorn app.main:app``)
        folder = _parent(importer)
        if folder == "." or folder in inits:
            continue
        text = ctx.text(importer) or ""
        for m in _RELATIVE_IMPORT.finditer(text):
            sibling = f"{folder}/{m.group(1) or m.group(2)}.py"
            if sibling in modules and sibling != importer:
                found[folder].setdefault(sibling, (importer, text.count("\n", 0, m.start()) + 1, "." + sibling[len(folder) + 1:-3]))
    out = []
    for root, modules in sorted(found.items()):
        if len(modules) >= 2:
            importer, line, name = modules[min(modules)]
            out.append(ImportedFolder(root, tuple(sorted(modules)), importer, line, name))
    return out


def _mostly_flat(repo: RepoFiles, imported: list[ImportedFolder]) -> bool:
    """More of the project's modules are scripts at the repository root than modules of the
    folders it imports through."""
    flat = [p for p in repo.files if "/" not in p and p.endswith(".py") and is_project_code(p)
            and p not in ("setup.py", "conftest.py") and not repo.ctx.is_notebook(p)]
    return len(flat) > sum(len(f.modules) for f in imported)


def _root(path: str, name: str) -> str:
    """The folder the first part of ``name`` stands for, ``name`` being ``path``'s dotted suffix."""
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return "/".join(parts[:len(parts) - name.count(".")])


def manifests(repo: RepoFiles) -> list[str]:
    """Package manifests that name a distribution (pyproject, setup.py, setup.cfg)."""
    out = [p for p, doc in repo.pyprojects.items()
           if table(doc, "project", "name") or table(doc, "tool", "poetry", "name")
           or table(doc, "tool", "flit", "metadata")]
    for path in repo.files:
        base = base_name(path)
        if base == "setup.py":
            facts = repo.ctx.python(path)
            if facts and any(c.name.rsplit(".", 1)[-1] == "setup" for c in facts.calls):
                out.append(path)
        elif base == "setup.cfg" and _SETUP_CFG_NAME.search(repo.text(path)):
            out.append(path)
    return sorted(out)


def _within(path: str, folders: frozenset[str]) -> bool:
    low = path.lower()
    return any(low.startswith(f + "/") for f in folders)


def packaged_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """A manifest over code packages, else a package layout, else a manifest without code (declared)."""
    # (a copy of another repository kept in a folder brings its own manifest and packages)
    copies = repo.ctx.memo("scope.copied_projects", lambda: copied_projects(repo.files))
    found = [m for m in manifests(repo) if not _within(m, copies)]
    regular = [p for p in code_packages(repo.files) if not _within(p + "/", copies)]
    imported = [f for f in imported_folders(repo.ctx, repo.files) if f.root not in regular]
    if not regular and _mostly_flat(repo, imported):
        imported = []  # flat scripts at the root with a helpers folder beside them: no layout
    packages = sorted(regular + [f.root for f in imported])
    if found and packages:
        yield repo.found(PACKAGED, f"installable package: {found[0]} over {', '.join(packages[:3])}",
                         found, subject="manifest", manifests=found, packages=packages[:20])
    elif regular:
        init = f"{regular[0]}/__init__.py" if regular[0] != "." else "__init__.py"
        yield repo.found(PACKAGED, f"modular package layout: {', '.join(packages[:3])}",
                         [init if init in repo.files else regular[0]], subject="layout", packages=packages[:20])
    elif imported:
        first = imported[0]
        yield repo.found(PACKAGED, f"modular package layout: {', '.join(packages[:3])} (modules imported through "
                                   f"the folder, e.g. {first.name} in {first.importer})",
                         [first.importer], line=first.line, subject="layout", packages=packages[:20],
                         imported={f.root: list(f.modules[:10]) for f in imported[:20]})
    elif found:
        yield repo.found(PACKAGED, f"{found[0]} declares a package but no code package exists",
                         found, tier=Tier.DECLARED, subject="manifest")
