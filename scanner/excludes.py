"""A repository view with the project's own excludes applied (``exclude:`` in the config).

Wraps any ``RepoView``: the wrapped view still lists, caps and reads; this one only hides the
paths that match the patterns, so detectors never see them and coverage counts them out.
"""
from __future__ import annotations

import fnmatch
from typing import Any

from scanner.sources.interface import History, RepoView, SourceError


def matches(path: str, patterns: tuple[str, ...]) -> bool:
    """True when ``path`` matches a glob, or lies under a folder pattern (``data/`` or ``data``)."""
    for pattern in patterns:
        folder = pattern.rstrip("/")
        if fnmatch.fnmatchcase(path, pattern) or path == folder or path.startswith(folder + "/"):
            return True
    return False


class ExcludingRepo(RepoView):
    """The files of ``inner`` minus those matching ``patterns``."""

    def __init__(self, inner: RepoView, patterns: tuple[str, ...]) -> None:
        super().__init__(inner.max_file_bytes)
        self.inner = inner
        self.patterns = patterns
        self.log = inner.log  # one record of what was read and skipped, whoever read it
        self.target = inner.target
        self.local = inner.local
        self._files: tuple[str, ...] | None = None

    def files(self) -> tuple[str, ...]:
        if self._files is None:
            self._files = tuple(p for p in self.inner.files() if not matches(p, self.patterns))
        return self._files

    def size(self, path: str) -> int:
        if matches(path, self.patterns):
            raise SourceError(f"{path}: excluded by the configuration")
        return self.inner.size(path)

    def _read(self, path: str) -> bytes:
        return self.inner.read_bytes(path)

    def history(self) -> History | None:
        return self.inner.history()

    def __getattr__(self, name: str) -> Any:
        # public source-specific extras (a local root, a remote's client) stay reachable;
        # private caches must not be: the inner view's would list the excluded files
        if name.startswith("_") or "inner" not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.inner, name)
