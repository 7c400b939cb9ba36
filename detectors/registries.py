"""Model registries a project keeps itself, with no registry product: a table of model versions
with a lifecycle (an ORM class named for model versions, holding a version and a status or stage
column), a live alias kept as a symlink that a project helper re-points to a version folder, or
versioned entries a registry function numbers and writes (a folder or bucket per model version).
A class that only describes a model, or a symlink named for nothing live, is no registry.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterator

from detectors.flow import Project, dotted, words
from detectors.promotion import moves_live_pointer

#: bases of persisted records (SQLAlchemy, Flask-SQLAlchemy, SQLModel, Django, ODMs).
_ORM_BASE = re.compile(r"(^|\.)(Base|DeclarativeBase|Model|SQLModel|Document|Table)$")
_VERSION_FIELDS = frozenset({"version", "version_number", "version_id", "model_version", "revision"})
_LIFECYCLE_FIELDS = frozenset({"status", "stage", "state", "alias", "aliases", "is_active", "active", "is_production",
                               "is_champion", "champion", "lifecycle", "approval_status", "current_stage"})
_CLASS_HINT = re.compile(r"class\s+\w*(?:[Mm]odel\w*(?:[Vv]ersion|[Rr]egistr)|[Rr]egistered[Mm]odel)")


@dataclass(frozen=True)
class Registry:
    path: str
    line: int
    what: str


def in_house_registries(project: Project) -> Iterator[Registry]:
    """Version tables with a lifecycle, then live-alias helpers, each once."""
    for module in project.modules("class ", pattern=_CLASS_HINT):
        for name, node in module.classes.items():
            fields = _version_table(name, node)
            if fields:
                yield Registry(module.path, node.lineno, f"table of model versions {name} ({', '.join(fields)})")
    for module in project.modules("symlink"):
        for fn in module.all_functions():
            if moves_live_pointer(fn.name, fn.node):
                yield Registry(module.path, fn.node.lineno, f"live alias kept as a symlink, re-pointed by {fn.name}()")
                return
    for module in project.modules("registry", pattern=_VERSIONING_DEF):
        found = _versioned_store(module)
        if found:
            yield found
            return


#: a function numbering versions (``_next_version``, ``bump_version``, ``latest_version``).
_VERSIONING_DEF = re.compile(r"def\s+_?(next|new|bump|latest|get_next|increment)_\w*version\w*\s*\(")
_WRITES = frozenset({"mkdir", "makedirs", "write_text", "write_bytes", "copy", "copy2", "copyfile", "copytree", "dump",
                     "upload_file", "upload_from_filename", "put_object"})


def _versioned_store(module) -> Registry | None:
    """A registry folder or bucket the project keeps itself: a function named for the model
    registry (``push_to_registry``, ``register_model_version``) that numbers a new version with
    a versioning helper of its module and writes the entry (a folder, a copy, a metadata file)."""
    numbering = {fn.name for fn in module.all_functions() if _VERSIONING_DEF.search(f"def {fn.name}(")}
    for fn in module.all_functions():
        named = words(fn.name)
        if not ("registry" in named or "register" in named and "model" in named):
            continue
        calls = {c.rsplit(".", 1)[-1] for c in fn.calls}
        if calls & numbering and calls & _WRITES:
            return Registry(module.path, fn.node.lineno,
                            f"versioned model entries written by {fn.name}() (versions numbered by "
                            f"{sorted(calls & numbering)[0]}())")
    return None


def _version_table(name: str, node: ast.ClassDef) -> list[str]:
    """The version and lifecycle fields of a persisted class named for model versions, else []."""
    named = words(name)
    if "model" not in named or not named & {"version", "versions", "registry", "registered"}:
        return []
    persisted = any(_ORM_BASE.search(dotted(b) or "") for b in node.bases) or any(
        k.arg == "table" for k in node.keywords)
    if not persisted:
        return []
    fields = [t.id for stmt in node.body if isinstance(stmt, (ast.Assign, ast.AnnAssign))
              for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]) if isinstance(t, ast.Name)]
    version = [f for f in fields if f in _VERSION_FIELDS]
    lifecycle = [f for f in fields if f in _LIFECYCLE_FIELDS]
    return version[:1] + lifecycle[:1] if version and lifecycle else []
