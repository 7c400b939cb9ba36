"""Packaged code: a package manifest (pyproject, setup.py, setup.cfg) over a real code package,
or a modular package layout."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.collaboration.repo import RepoFiles, base_name, table
from detectors.collaboration.signals import PACKAGED
from scanner.model import Evidence, Tier
from scanner.scope import is_example_path, is_test_path

_SETUP_CFG_NAME = re.compile(r"^\[metadata\][^\[]*^name\s*=", re.M)


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def code_packages(files: list[str]) -> list[str]:
    """Top-level Python packages with several modules (folders with ``__init__.py``, folders
    under ``src/``, or ``src/`` itself), test suites and non-identifier folders excluded."""
    inits = {_parent(p) for p in files if p.rsplit("/", 1)[-1] == "__init__.py"}
    roots = {d for d in inits if _parent(d) not in inits}
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


def packaged_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """A manifest over code packages, else a package layout, else a manifest without code (declared)."""
    found = manifests(repo)
    packages = code_packages(repo.files)
    if found and packages:
        yield repo.found(PACKAGED, f"installable package: {found[0]} over {', '.join(packages[:3])}",
                         found, subject="manifest", manifests=found, packages=packages[:20])
    elif packages:
        init = f"{packages[0]}/__init__.py" if packages[0] != "." else "__init__.py"
        yield repo.found(PACKAGED, f"modular package layout: {', '.join(packages[:3])}",
                         [init if init in repo.files else packages[0]], subject="layout", packages=packages[:20])
    elif found:
        yield repo.found(PACKAGED, f"{found[0]} declares a package but no code package exists",
                         found, tier=Tier.DECLARED, subject="manifest")
