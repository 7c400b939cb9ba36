"""The repository view every repository detector reads through, and its errors."""
from __future__ import annotations

import abc
import fnmatch
import functools
import hashlib
import re
from dataclasses import dataclass, field

from scanner.model import Target


class SourceError(Exception):
    """A source could not answer; detectors turn this into error/not_available evidence."""


class FileTooLarge(SourceError):
    """The file is over the size cap and was not read."""


class TargetUnreadable(SourceError):
    """The target as a whole cannot be read (exit code 3)."""


@dataclass(frozen=True, kw_only=True)
class Commit:
    """One commit of the history, as much as detectors need."""

    sha: str
    author_name: str
    author_email: str
    timestamp: int
    subject: str


@dataclass(frozen=True, kw_only=True)
class History:
    """Git history facts: commits (newest first, capped) and tags."""

    commits: tuple[Commit, ...] = ()
    tags: tuple[str, ...] = ()
    truncated: bool = False
    """True when only the newest commits were read."""
    shallow: bool = False
    """True for a shallow clone: older commits are not there to read."""


#: folders never scanned: environments, dependencies, vendored code and caches.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "virtualenv", ".tox", ".nox",
    "node_modules", "site-packages", "dist-packages", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", ".eggs",
    "vendor", "third_party", "third-party", "bower_components", ".cache", ".idea", ".vscode",
)

#: folders named like build output. A folder git tracks is the project's (a tracked ``build/``
#: often holds CI and pipeline configs), so these names alone exclude only files git does not
#: track (a plain folder walk); tracked files are left out by the layout of a build tool's
#: output (``_GENERATED``).
OUTPUT_FOLDERS = frozenset({"build", "dist", "_build"})
_GENERATED = re.compile(
    r"(^|/)build/(lib|lib\.[^/]+|bdist\.[^/]+|temp\.[^/]+|scripts-[^/]+)/"  # setuptools
    r"|(^|/)(_build|build)/(html|doctrees|latex|dirhtml|singlehtml)/"  # sphinx
    r"|(^|/)dist/[^/]+\.(whl|tar\.gz|egg|zip|min\.js|js\.map)$"  # wheels, sdists, bundles
    r"|(^|/)[^/]+\.egg-info/")


def is_generated_output(path: str, tracked: bool) -> bool:
    """True for a file of generated build output: by its folder's name when git does not track
    it, by a build tool's output layout when it does."""
    if ("build" in path or "dist/" in path or ".egg-info/" in path) and _GENERATED.search(path):
        return True
    return not tracked and any(part in OUTPUT_FOLDERS for part in path.split("/")[:-1])

#: files larger than this are listed in coverage and not read.
DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
#: a notebook keeps its cell outputs (plots, tables) in the same file as its code: it is read up
#: to this size, and only its code cells are parsed, under the parser's own caps.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


@dataclass
class ReadLog:
    """What a view read, skipped or failed on; reported in coverage."""

    sha256: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    """path -> reason (too large, symlink outside the root, unreadable...)."""


@functools.lru_cache(maxsize=512)
def _glob_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled regex for a set of globs: a single match per file instead of one per glob."""
    return re.compile("|".join(f"(?:{fnmatch.translate(p.lower())})" for p in patterns) or "(?!)")


class RepoView(abc.ABC):
    """Read-only files of one repository, already filtered by the default excludes."""

    target: Target
    local: bool = False
    """Files are read from this machine's disk, with no connection or request budget that a
    forked process would share (detectors may then run in forked processes)."""

    def __init__(self, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        self.max_file_bytes = max_file_bytes
        self.log = ReadLog()
        self._texts: dict[str, str | None] = {}

    @abc.abstractmethod
    def files(self) -> tuple[str, ...]:
        """Sorted repository-relative POSIX paths of the regular files in scope."""

    @abc.abstractmethod
    def size(self, path: str) -> int:
        """Size in bytes of a file, without reading it."""

    @abc.abstractmethod
    def _read(self, path: str) -> bytes:
        """Read a file's bytes (the size cap is already checked)."""

    def history(self) -> History | None:
        """Git history, or None when the target has none (a plain folder)."""
        return None

    def read_bytes(self, path: str) -> bytes:
        """Bytes of a file; raises FileTooLarge or SourceError and records why."""
        if path in self.log.skipped and path not in self.log.sha256:  # a binary file was read
            raise SourceError(f"{path}: {self.log.skipped[path]}")
        size = self.size(path)
        cap = self.size_cap(path)
        if size > cap:
            self.log.skipped[path] = f"over the size cap ({size} > {cap} bytes)"
            raise FileTooLarge(f"{path}: {self.log.skipped[path]}")
        try:
            data = self._read(path)
        except SourceError as exc:
            self.log.skipped[path] = str(exc)
            raise
        except OSError as exc:
            self.log.skipped[path] = f"unreadable: {exc.strerror or exc}"
            raise SourceError(f"{path}: {self.log.skipped[path]}") from exc
        self.log.sha256[path] = hashlib.sha256(data).hexdigest()
        return data

    def size_cap(self, path: str) -> int:
        """Largest size of ``path`` that is read: notebooks may be larger, for their outputs."""
        if path.lower().endswith(".ipynb"):
            return max(self.max_file_bytes, MAX_NOTEBOOK_BYTES)
        return self.max_file_bytes

    def read_text(self, path: str) -> str | None:
        """Text of a file, or None when it cannot be read or decoded (recorded, not fatal).

        Kept once read (detectors read the same files again and again), unless it is a notebook
        over the size cap, read for its code and not kept for its outputs."""
        if path in self._texts:
            return self._texts[path]
        try:
            data = self.read_bytes(path)
        except SourceError:
            return None
        text: str | None
        if b"\x00" in data[:8192]:
            self.log.skipped.setdefault(path, "binary content")
            text = None
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                # Odd encodings are normal input: latin-1 never fails and keeps ASCII keywords intact.
                text = data.decode("latin-1")
        if len(data) <= self.max_file_bytes:
            self._texts[path] = text
        return text

    def sha256(self, path: str) -> str | None:
        """sha256 of the content read from ``path``, if it was read."""
        return self.log.sha256.get(path)

    def glob(self, *patterns: str) -> list[str]:
        """Files whose path or basename matches any of the patterns (case-insensitive)."""
        rx = _glob_regex(patterns)
        return [path for path, low, base in self._candidates(patterns) if rx.match(low) or rx.match(base)]

    def _candidates(self, patterns: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """The files a set of globs can match: looked up by extension (``*.yaml``) or by name
        (``MLproject``) when every glob says which, else all. Detectors glob a large tree often."""
        by_ext, by_name = self._indexes()
        picked: set[int] = set()
        for pattern in patterns:
            last = pattern.lower().rsplit("/", 1)[-1]
            ext = last.rsplit(".", 1)[-1] if "." in last else None
            if not any(c in last for c in "*?["):
                picked.update(by_name.get(last, ()))
            elif ext is not None and "/" not in ext and not ext.startswith("*"):
                # ``*.yaml``, or ``*.y*ml`` read against the few dot-suffixes the tree has
                for known in (fnmatch.filter(by_ext, ext) if any(c in ext for c in "*?[") else [ext]):
                    picked.update(by_ext.get(known, ()))
            else:
                return self._lowered()
        lowered = self._lowered()
        return [lowered[i] for i in sorted(picked)]

    def _indexes(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        cached = getattr(self, "_glob_indexes", None)
        if cached is None:
            by_ext: dict[str, list[int]] = {}
            by_name: dict[str, list[int]] = {}
            for i, (_, _, base) in enumerate(self._lowered()):
                by_name.setdefault(base, []).append(i)
                # every dot-suffix ("tar.gz" and "gz"): a glob's ``*`` may span a dot
                parts = base.split(".")
                for k in range(1, len(parts)):
                    by_ext.setdefault(".".join(parts[k:]), []).append(i)
            cached = self._glob_indexes = (by_ext, by_name)
        return cached

    def _lowered(self) -> list[tuple[str, str, str]]:
        # computed once: detectors glob the file list many times
        cached = getattr(self, "_lowered_files", None)
        if cached is None:
            cached = [(p, p.lower(), p.lower().rsplit("/", 1)[-1]) for p in self.files()]
            self._lowered_files = cached
        return cached

    def exists(self, path: str) -> bool:
        """True when ``path`` is a file in scope."""
        return path in self._file_set()

    def _file_set(self) -> frozenset[str]:
        cached = getattr(self, "_files_frozen", None)
        if cached is None:
            cached = frozenset(self.files())
            self._files_frozen = cached
        return cached
