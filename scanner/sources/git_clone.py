"""A plain git URL, shallow-cloned with GitPython into a temporary folder that is always removed.

Only ``https://``, ``http://``, ``ssh://``, ``git://``, ``file://`` and scp-like ``user@host:path``
URLs are accepted; remote helpers (``ext::``), option-looking URLs and unsafe clone options
(``--upload-pack``, ``-c``...) are refused by our own check and by GitPython's guards, which
stay on. Credentials written into the URL never reach the report or an error message.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path

import git

from scanner.model import Target
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, TargetUnreadable
from scanner.redaction import redact, redact_url, remember
from scanner.sources.local import LocalRepo

_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!/)[\w./~-]+$")
#: git must never prompt for a password, and may use only these transports (never ext::, fd::).
_GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "SSH_ASKPASS": "true",
            "GIT_ALLOW_PROTOCOL": "https:http:ssh:git:file", "GIT_CONFIG_NOSYSTEM": "1"}


class UnsafeGitUrl(ValueError):
    """The URL names a protocol or an option that could run commands: refused."""


def is_git_url(target: str) -> bool:
    """True for the URL forms this module clones (checked further by :func:`check_url`)."""
    return target.startswith(_SCHEMES) or bool(_SCP_LIKE.match(target.split("#", 1)[0]))


def check_url(url: str) -> None:
    """Refuse remote helpers (``ext::``), option injection and odd characters."""
    if url.startswith("-") or "::" in url or any(c in url for c in "\0\n\r \t"):
        raise UnsafeGitUrl(f"{redact_url(url)}: refused (looks like an option or a remote helper)")
    if not (url.startswith(_SCHEMES) or _SCP_LIKE.match(url)):
        raise UnsafeGitUrl(f"{redact_url(url)}: not a git URL (https://, ssh://, git://, file:// or user@host:path)")
    try:
        git.Git.check_unsafe_protocols(url)
    except git.exc.UnsafeProtocolError as exc:
        raise UnsafeGitUrl(f"{redact_url(url)}: refused ({exc})") from None


def _clone_failure(stderr: str, url: str, shown: str) -> str:
    """git's first ``fatal:`` line, without the URL's credentials."""
    lines = [ln.strip() for ln in stderr.replace("\\n", "\n").splitlines()]
    fatal = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), "git clone failed")
    return redact(fatal.replace(url, shown))[:300]


class ClonedRepo(LocalRepo):
    """A shallow clone of ``url`` (at ``ref``), read like a local checkout, removed on close."""

    def __init__(self, url: str, ref: str | None = None, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        check_url(url)
        remember(url)  # git, or the server through it, may repeat the URL in a failure
        if ref is not None and (ref.startswith("-") or not re.fullmatch(r"[\w./@+-]+", ref)):
            raise UnsafeGitUrl(f"ref {ref!r}: refused")
        self._tmp = tempfile.mkdtemp(prefix="mlops-scan-clone-")
        # Removed when the view is closed, garbage-collected, or at interpreter exit, whichever first.
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)
        shown = redact_url(url) or ""
        try:
            kwargs = {"branch": ref} if ref else {}
            git.Repo.clone_from(url, Path(self._tmp) / "repo", depth=1, single_branch=True,
                                env={**os.environ, **_GIT_ENV}, allow_unsafe_protocols=False,
                                allow_unsafe_options=False, **kwargs)
        except git.GitCommandError as exc:
            self.close()
            raise TargetUnreadable(f"{shown}: cannot clone ({_clone_failure(str(exc.stderr or ''), url, shown)})") from None
        super().__init__(Path(self._tmp) / "repo", max_file_bytes=max_file_bytes, use_git=True)
        name = shown.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        self.target = Target(kind="git", name=name[:-4] if name.endswith(".git") else name, url=shown,
                             ref=ref or self.target.ref, commit=self.target.commit)

    @property
    def clone_dir(self) -> str:
        """Where the clone lives until :meth:`close`."""
        return self._tmp

    def close(self) -> None:
        """Remove the temporary clone now."""
        self._finalizer()
