"""What a scan target string names, and the sources that read it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.model import Target
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, RepoView
from scanner.sources.local import LocalRepo

MLFLOW_PREFIX = "mlflow+"
REMOTE_PREFIXES = ("github:", "gitlab:", "http://", "https://", "ssh://", "git@", "git://", "file://")


class TargetError(ValueError):
    """The target string cannot be scanned as written (a usage error)."""


@dataclass(frozen=True)
class ResolvedTarget:
    """A repository to read, and/or a tracking server named by the target itself."""

    repo: RepoView | None
    mlflow_uri: str | None = None
    platform: Any = None
    """Hosting-platform facts (branch protection, reviews, runs...) when the target is on one."""
    target: Target | None = None
    """How to name the target in the report, when the repository view does not say."""


def resolve(target: str, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, use_git: bool = True) -> ResolvedTarget:
    """Open the sources a target names; raises TargetError or a SourceError (unreadable)."""
    if target.startswith(MLFLOW_PREFIX):
        uri = target[len(MLFLOW_PREFIX):]
        if not uri.startswith(("http://", "https://")):
            raise TargetError(f"{target}: an MLflow target is mlflow+http://host:port or mlflow+https://...")
        return ResolvedTarget(repo=None, mlflow_uri=uri)
    if target.startswith(REMOTE_PREFIXES):
        raise TargetError(f"{target}: only local paths and mlflow+http(s):// servers can be scanned in this "
                          "version (remote repositories and organisations are planned)")
    return ResolvedTarget(repo=LocalRepo(Path(target), max_file_bytes=max_file_bytes, use_git=use_git))
