"""A plain git URL, shallow-cloned by git into a temporary folder that is always removed.

Only ``https://``, ``http://``, ``ssh://``, ``git://``, ``file://`` and scp-like ``user@host:path``
URLs are accepted; remote helpers (``ext::``), option-looking URLs and unsafe clone options
(``--upload-pack``, ``-c``...) are refused by our own check and by GitPython's protocol guard,
and git itself runs with the ``ext`` and ``fd`` transports disabled, never prompting, under a
deadline (``--clone-timeout``). Credentials written into the URL never reach the report or an
error message.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
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


log = logging.getLogger(__name__)
#: seconds a clone may take before it is killed (``--clone-timeout``)
CLONE_TIMEOUT = 300.0


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
    lines = [ln.strip() for ln in stderr.splitlines()]
    fatal = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), "git clone failed")
    return redact(fatal.replace(url, shown))[:300]


def _clone(url: str, ref: str | None, dest: Path, timeout: float, flag: str) -> str | None:
    """Shallow-clone ``url`` into ``dest``; git's stderr when it fails, None when it worked.

    A server that never answers, or drips a byte a second, must not hold the scan: git gives up
    on a transfer slower than 1 KB/s for 30 s (or its deadline, if shorter), ssh on a connection
    not made in 30 s, and past ``timeout`` the clone is killed, with every process it started
    (git runs its transports as children holding its pipes)."""
    stall = str(int(max(1, min(30, timeout))))
    env = {**os.environ, **_GIT_ENV, "GIT_HTTP_LOW_SPEED_LIMIT": "1000", "GIT_HTTP_LOW_SPEED_TIME": stall,
           # (the user's own ssh command, if any, keeps its options: ours are added)
           "GIT_SSH_COMMAND": f"{os.environ.get('GIT_SSH_COMMAND') or 'ssh'} -o BatchMode=yes -o ConnectTimeout={stall}"}
    cmd = ["git", "-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never", "clone", "--quiet",
           "--depth=1", "--single-branch", *(["--branch", ref] if ref else []), "--", url, str(dest)]
    log.debug("running %s (deadline %g s)", " ".join(cmd), timeout)  # (the log's formatter redacts)
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return f"fatal: no answer within {timeout:g} s ({flag})"
    except BaseException:  # interrupted or terminated: git goes with the scan
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return None if proc.returncode == 0 else stderr or f"git clone exited {proc.returncode}"


class ClonedRepo(LocalRepo):
    """A shallow clone of ``url`` (at ``ref``), read like a local checkout, removed on close."""

    def __init__(self, url: str, ref: str | None = None, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                 timeout: float = CLONE_TIMEOUT, flag: str = "--clone-timeout") -> None:
        """``timeout``: seconds the clone may take; ``flag`` names the setting that set them."""
        check_url(url)
        remember(url)  # git, or the server through it, may repeat the URL in a failure
        if ref is not None and (ref.startswith("-") or not re.fullmatch(r"[\w./@+-]+", ref)):
            raise UnsafeGitUrl(f"ref {ref!r}: refused")
        self._tmp = tempfile.mkdtemp(prefix="mlops-scan-clone-")
        # Removed when the view is closed, garbage-collected, or at interpreter exit, whichever first.
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._tmp, ignore_errors=True)
        shown = redact_url(url) or ""
        failure = _clone(url, ref, Path(self._tmp) / "repo", timeout, flag)
        if failure is not None:
            self.close()
            raise TargetUnreadable(f"{shown}: cannot clone ({_clone_failure(failure, url, shown)})")
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
