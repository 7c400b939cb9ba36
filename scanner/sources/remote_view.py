"""A repository read through a hosting API: one tree listing, then batched reads of the files.

The file list is the same as a local checkout's (the default excludes, the size cap), so every
repository detector runs unchanged. Detectors read nearly every text file, so instead of one
request per file the view fetches the text files in a few batches (GraphQL on both platforms)
the first time any file is read; a file left out of the batches (binary-looking, over the batch
caps) is fetched alone only if a detector asks for it.
"""
from __future__ import annotations

import abc
import logging
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from scanner.model import Target
from scanner.sources.http_budget import ApiError, ApiNotFound
from scanner.sources.interface import (
    DEFAULT_EXCLUDES,
    DEFAULT_MAX_FILE_BYTES,
    History,
    RepoView,
    SourceError,
    TargetUnreadable,
    is_generated_output,
)

#: suffixes of files no detector reads as text: never batched, fetched alone if ever asked.
BINARY_SUFFIXES = frozenset({
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "svg", "webp", "tif", "tiff", "pdf", "zip", "gz", "tgz",
    "bz2", "xz", "7z", "tar", "rar", "jar", "whl", "egg", "so", "dll", "dylib", "exe", "bin", "o", "a",
    "pyc", "pkl", "pickle", "joblib", "pt", "pth", "ckpt", "h5", "hdf5", "onnx", "pb", "tflite", "npz",
    "npy", "parquet", "feather", "arrow", "avro", "orc", "csv", "tsv", "xls", "xlsx", "db", "sqlite",
    "mp3", "mp4", "wav", "avi", "mov", "ttf", "woff", "woff2", "eot", "safetensors", "model", "lock",
})
#: batch caps: files per request, and bytes per request when sizes are known.
_log = logging.getLogger(__name__)

BATCH_FILES = 100
BATCH_BYTES = 2 * 1024 * 1024
#: a file larger than this is not batched (it is fetched alone when asked for).
BATCH_FILE_CAP = 512 * 1024
#: at most this much text is prefetched for one repository; the rest is read on demand.
PREFETCH_BYTES = 16 * 1024 * 1024
PREFETCH_FILES = 1500


T = TypeVar("T")


@dataclass(frozen=True)
class TreeEntry:
    """One file of the API's recursive tree."""

    path: str
    size: int | None
    """Bytes, when the API gives it (GitHub does, GitLab's tree does not)."""


@dataclass(frozen=True)
class Blob:
    """A file's content as a batch returned it."""

    data: bytes | None
    """None when the API would not give the content as text (binary, truncated)."""
    size: int


class BlobReader(abc.ABC):
    """How one platform reads file contents for the view."""

    @abc.abstractmethod
    def batch(self, paths: list[str], first: bool) -> dict[str, Blob]:
        """Contents of ``paths`` in one request (``first``: the first batch of the scan)."""

    @abc.abstractmethod
    def one(self, path: str) -> bytes:
        """Raw bytes of one file (one request)."""

    def sizes(self, paths: list[str]) -> dict[str, int]:
        """Sizes of files the tree gave none for, in one request (without reading them)."""
        return {}


def read_or_unreadable(fetch: Callable[[], T], where: str, not_found: Callable[[ApiNotFound], str]) -> T:
    """One API read that opening a target depends on: any failure makes the target unreadable
    (exit 3), with the reason, and ``not_found`` says what a 404/409 means here."""
    try:
        return fetch()
    except ApiNotFound as exc:
        raise TargetUnreadable(f"{where}: {not_found(exc)} ({exc.reason})") from None
    except ApiError as exc:
        raise TargetUnreadable(f"{where}: {exc.reason}") from None


def wanted_for_batch(path: str) -> bool:
    """Files detectors read as text: everything but binary-looking suffixes."""
    base = path.rsplit("/", 1)[-1].lower()
    suffix = base.rsplit(".", 1)[-1] if "." in base else ""
    return suffix not in BINARY_SUFFIXES or base in ("poetry.lock", "pdm.lock", "uv.lock", "conda-lock.yml")


class ApiRepoView(RepoView):
    """Files of a hosted repository at one commit, read through its API."""

    def __init__(
        self,
        target: Target,
        entries: Iterable[TreeEntry],
        reader: BlobReader,
        *,
        history: Callable[[], History | None] | None = None,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        excludes: tuple[str, ...] = DEFAULT_EXCLUDES,
        unread_folders: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(max_file_bytes)
        self.target = target
        self.reader = reader
        skip = frozenset(excludes)
        # a hosted tree lists what git tracks: build output is told by its layout, not its name
        kept = [e for e in entries if not any(part in skip for part in e.path.split("/"))
                and not is_generated_output(e.path, tracked=True)]
        self._files = tuple(sorted(e.path for e in kept))
        self._sizes = {e.path: e.size for e in kept}
        self._blobs: dict[str, Blob] = {}
        self._prefetched = False
        self._history_loader = history
        self._history: History | None | bool = False
        self.unread_folders = tuple(unread_folders)
        self.unread_files: dict[str, str] = {}
        for folder, why in self.unread_folders:
            self.log.skipped[f"{folder}/ (tree)"] = why

    def files(self) -> tuple[str, ...]:
        return self._files

    def size(self, path: str) -> int:
        if path not in self._sizes:
            raise SourceError(f"{path}: not a file in scope")
        size = self._sizes[path]
        if size is None:
            self._prefetch()
            size = self._sizes.get(path)
        if size is None:  # not batched and the tree gave no size: ask for a batch of sizes
            unknown = [p for p in self._files if self._sizes.get(p) is None and p >= path][:BATCH_FILES]
            self._sizes.update(self.reader.sizes(unknown))
            size = self._sizes.get(path)
        if size is None:
            raise SourceError(f"{path}: the API gave no size for this file")
        return size

    def _read(self, path: str) -> bytes:
        self._prefetch()
        blob = self._blobs.get(path)
        if blob is not None and blob.data is not None:
            return blob.data
        return self._fetch_alone(path)

    def _fetch_alone(self, path: str) -> bytes:
        blob = self._blobs.get(path)
        if blob is not None and blob.data is not None:
            return blob.data
        try:
            data = self.reader.one(path)
        except ApiError as exc:
            # a file the tree lists but the API would not hand over was never checked: the
            # engine turns the repository's absences into not_available (the deadline, a 5xx...)
            self.unread_files[path] = exc.reason
            raise
        self._blobs[path] = Blob(data=data, size=len(data))
        self._sizes[path] = len(data)
        return data

    def history(self) -> History | None:
        if self._history is False:
            self._history = self._history_loader() if self._history_loader else None
        return self._history  # type: ignore[return-value]

    def prefetch(self) -> None:
        """Read the text files in batches now (also done on the first read)."""
        self._prefetch()

    def _prefetch(self) -> None:
        if self._prefetched:
            return
        self._prefetched = True
        for index, batch in enumerate(self._batches()):
            try:
                blobs = self.reader.batch(batch, first=index == 0)
            except ApiError as exc:
                # a failed batch is no verdict on any of its files: each is then read on its own
                # (and the file that happened to trigger the batch is not blamed for it)
                _log.debug("a batch of %d files failed, read one by one: %s", len(batch), exc.reason)
                continue
            for path, blob in blobs.items():
                self._blobs[path] = blob
                self._sizes[path] = blob.size

    def _batches(self) -> list[list[str]]:
        """The text files worth reading, grouped into requests by count and known bytes."""
        batches: list[list[str]] = [[]]
        batch_bytes = total = count = 0
        for path in self._files:
            size = self._sizes.get(path)
            if not wanted_for_batch(path) or (size is not None and size > min(BATCH_FILE_CAP, self.max_file_bytes)):
                continue
            known = size or 0
            if total + known > PREFETCH_BYTES or count >= PREFETCH_FILES:
                break
            if len(batches[-1]) >= BATCH_FILES or (batches[-1] and batch_bytes + known > BATCH_BYTES):
                batches.append([])
                batch_bytes = 0
            batches[-1].append(path)
            batch_bytes += known
            total += known
            count += 1
        return [b for b in batches if b] or [[]]
