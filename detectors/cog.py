"""Cog (``cog.yaml``): a model packaged as a container image that serves its predictor over HTTP.

``build`` describes the image (system and Python packages, the Python and CUDA versions) that
``cog build`` or ``cog push`` makes; what it serves (``predict:``) is the catalogue's ``cog``
entry. The Python packages it installs are the project's environment (read with the other
manifests in ``detectors.manifests``).
"""
from __future__ import annotations

from typing import Any

from detectors.shapes import as_dict
from scanner.detector import ParseError, ScanContext

COG_FILE = "cog.yaml"


def cog_configs(ctx: ScanContext) -> list[str]:
    """Paths of the repository's Cog configs that describe an image (a ``build`` mapping)."""
    def read() -> list[str]:
        out = []
        for path in ctx.repo.glob(COG_FILE) if ctx.repo is not None else ():
            try:
                docs = ctx.structured(path)
            except ParseError:
                continue
            if isinstance(as_dict(docs[0] if docs else None).get("build"), dict):
                out.append(path)
        return out
    return ctx.memo("cog_configs", read)


def python_packages(doc: Any) -> list[str]:
    """The pip specs a Cog config's ``build.python_packages`` installs."""
    packages = as_dict(as_dict(doc).get("build")).get("python_packages")
    return [p for p in packages if isinstance(p, str)] if isinstance(packages, list) else []
