"""A local directory: the files git tracks when it is a work tree, a plain walk otherwise."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import git

from scanner.model import Target
from scanner.redaction import redact_url
from scanner.sources.interface import (
    DEFAULT_EXCLUDES,
    DEFAULT_MAX_FILE_BYTES,
    Commit,
    History,
    RepoView,
    SourceError,
    TargetUnreadable,
    is_generated_output,
)

#: history deeper than this is not read; enough to count contributors and bot updates.
MAX_COMMITS = 5000

#: the scanned repository's own git config may name programs that git would run
#: (fsmonitor, hooks, filters, pagers); neutralise them for every call we make.
SAFE_GIT_OPTIONS = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "safe.directory=*",
    "diff.external=",
    "gpg.program=false",
)

def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes from the file system, as surrogates
        return False
    return True


def _excluded(rel: str, excludes: frozenset[str]) -> bool:
    return any(part in excludes for part in rel.split("/"))


class LocalRepo(RepoView):
    """Files under ``root``; git-tracked files when ``root`` lies in a git work tree."""

    local = True

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        excludes: tuple[str, ...] = DEFAULT_EXCLUDES,
        use_git: bool = True,
        include_untracked: bool = False,
    ) -> None:
        super().__init__(max_file_bytes)
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise TargetUnreadable(f"{root}: not a directory")
        self.excludes = frozenset(excludes)
        self.include_untracked = include_untracked
        self._status_cache: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self.git_unusable: str | None = None
        """Why git could not list the files (a corrupt index): the folder was walked instead."""
        self._tracked: list[str] = []
        self._git = self._open_git() if use_git else None
        self.untracked: tuple[str, ...] | None = self._untracked() if self._git is not None else None
        """Files git does not track, ignored ones left out (None outside a git work tree): read
        only with ``include_untracked``."""
        self._files: tuple[str, ...] | None = None
        self._sizes: dict[str, int] = {}
        self._history: History | None = None
        self._escapes: dict[str, bool] = {}
        self.target = self._describe()

    # -- git -------------------------------------------------------------------------------
    def _open_git(self):
        try:
            repo = git.Repo(self.root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            return None
        if repo.bare or repo.working_tree_dir is None or not repo.head.is_valid():
            return None  # no commit yet: nothing is tracked, so read the folder as it is
        repo.git.set_persistent_git_options(c=list(SAFE_GIT_OPTIONS))
        top = Path(repo.working_tree_dir).resolve()
        self._prefix = "" if top == self.root else self.root.relative_to(top).as_posix() + "/"
        self._git = repo
        try:  # listed now: an index git cannot read lists nothing, so the folder is walked instead
            self._tracked = self._git_files()
        except SourceError as exc:
            why = [ln.strip().removeprefix("stderr:").strip(" '") for ln in str(exc).splitlines() if ln.strip()]
            self.git_unusable = f"git cannot list the tracked files ({why[-1]}): " \
                                "the folder was walked instead, untracked files included"
            return None
        return repo

    def _git_call(self, *args: str) -> str:
        try:
            return self._git.git.execute(["git", *self._git.git._persistent_git_options, *args],
                                         strip_newline_in_stdout=False)
        except git.GitCommandError as exc:
            raise SourceError(f"git {args[0]} failed: {exc.stderr.strip()[:300]}") from exc

    def _git_or_empty(self, *args: str) -> str:
        try:
            return self._git_call(*args).strip()
        except SourceError:
            return ""

    def _describe(self) -> Target:
        name = self.root.name
        if self._git is None:
            return Target(kind="local", name=name)
        url = ref = commit = None
        try:
            commit = self._git.head.commit.hexsha
        except ValueError:  # a repository without commits yet
            commit = None
        try:
            ref = self._git.active_branch.name
        except TypeError:  # detached HEAD
            ref = None
        try:
            url = redact_url(self._git.remotes.origin.url) if self._git.remotes else None
        except (AttributeError, ValueError):
            url = None
        modified = self._modified() if commit else ()
        # what was read is the work tree: when it differs from the commit (or holds files the
        # commit lacks), the commit alone cannot replay the evidence
        dirty = bool(modified) or (self.include_untracked and bool(self.untracked)) if commit else None
        return Target(kind="local", name=name, url=url, ref=ref, commit=commit, dirty=dirty, modified=modified)

    def _modified(self) -> tuple[str, ...]:
        """Tracked files whose work-tree (or staged) content differs from HEAD."""
        return self._status()[0]

    def _untracked(self) -> tuple[str, ...]:
        return tuple(p for p in self._status()[1]
                     if not _excluded(p, self.excludes) and not is_generated_output(p, False))

    def _status(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(changed tracked files, untracked files) below the root, from one ``git status``."""
        if self._status_cache is None:
            out = self._git_call("status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all",
                                 "--", self._prefix or ".")
            n = len(self._prefix)
            changed, untracked = [], []
            for entry in out.split("\0"):
                if len(entry) > 3 and entry[3:].startswith(self._prefix):
                    (untracked if entry[:2] == "??" else changed).append(entry[3 + n:])
            self._status_cache = (tuple(sorted(changed)), tuple(sorted(untracked)))
        return self._status_cache

    # -- files -----------------------------------------------------------------------------
    def files(self) -> tuple[str, ...]:
        if self._files is None:
            listed = self._tracked if self._git is not None else self._walk()
            if self.untracked and self.include_untracked:
                listed = [*listed, *self.untracked]
            self._files = tuple(sorted(p for p in listed if self._admit(p)))
        return self._files

    def _git_files(self) -> list[str]:
        out = self._git_call("ls-files", "-z", "--cached", "--", self._prefix or ".")
        n = len(self._prefix)
        return [p[n:] for p in out.split("\0") if p and p.startswith(self._prefix)]

    def _walk(self) -> list[str]:
        # Iterative, so very deep trees cannot exhaust the recursion limit.
        found: list[str] = []
        stack = [""]
        while stack:
            rel_dir = stack.pop()
            try:
                entries = list(os.scandir(self.root / rel_dir))
            except OSError as exc:
                self.log.skipped[rel_dir or "."] = f"unreadable folder: {exc.strerror or exc}"
                continue
            for entry in entries:
                rel = f"{rel_dir}{entry.name}"
                if entry.name in self.excludes:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(rel + "/")
                else:  # files and links alike: _admit decides, and never follows a link out
                    found.append(rel)
        return found

    def _admit(self, rel: str) -> bool:
        """Keep regular files inside the root; record symlinks that leave it."""
        if _excluded(rel, self.excludes) or is_generated_output(rel, tracked=self._git is not None):
            return False
        if not _utf8(rel):
            # evidence and reports are UTF-8: such a name could not be shown or fingerprinted
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            self.log.skipped[shown] = "file name is not valid UTF-8 (not read)"
            return False
        if self._folder_escapes(rel.rpartition("/")[0]):
            self.log.skipped[rel] = "inside a linked folder that points outside the repository (not followed)"
            return False
        full = self.root / rel
        try:
            st = os.lstat(full)  # one call for most files: only links need more
            if stat.S_ISLNK(st.st_mode):
                if not full.resolve().is_relative_to(self.root):
                    self.log.skipped[rel] = "symlink pointing outside the repository (not followed)"
                    return False
                st = full.stat()
        except (OSError, RuntimeError):  # dangling or looping links, deleted tracked files
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        self._sizes[rel] = st.st_size
        return True

    def _folder_escapes(self, folder: str) -> bool:
        """True when ``folder`` or a parent of it is a link leaving the root (memoised per folder)."""
        if not folder:
            return False
        if folder not in self._escapes:
            parent = folder.rpartition("/")[0]
            path = self.root / folder
            try:
                leaves = path.is_symlink() and not path.resolve().is_relative_to(self.root)
            except (OSError, RuntimeError):  # looping links
                leaves = True
            self._escapes[folder] = leaves or self._folder_escapes(parent)
        return self._escapes[folder]

    def size(self, path: str) -> int:
        self.files()  # sizes are taken while listing
        if path not in self._sizes:
            raise SourceError(f"{path}: not a file in scope")
        return self._sizes[path]

    def _read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()

    def absent_tracked(self) -> dict[str, int | None]:
        """Files the commit holds that are not in the work tree (deleted here, or left out of a
        clone that skips large files), with their committed size: None when this clone lacks
        their content too."""
        if self._git is None or self.target.commit is None:
            return {}
        out = self._git_call("ls-files", "-z", "--deleted", "--", self._prefix or ".")
        n = len(self._prefix)
        # sizes are read from the blobs, which a partial clone would fetch from its remote: never
        # go on the network here
        partial = bool(self._git_or_empty("config", "--get", "extensions.partialClone"))
        missing = [path for path in (p[n:] for p in out.split("\0") if p and p.startswith(self._prefix))
                   if not _excluded(path, self.excludes) and not is_generated_output(path, True)]
        sizes = self._committed_sizes() if missing and not partial else {}
        return {path: sizes.get(path) for path in missing}

    def _committed_sizes(self) -> dict[str, int]:
        """Size of every file of the commit under the scanned folder, from one ``git ls-tree``
        (not one git process per file: a clone without its large files misses hundreds)."""
        tree = f"HEAD:{self._prefix.rstrip('/')}" if self._prefix else "HEAD"
        try:
            out = self._git_call("ls-tree", "-r", "-l", "-z", tree)
        except SourceError:
            return {}
        sizes: dict[str, int] = {}
        for entry in out.split("\0"):
            meta, _, path = entry.partition("\t")
            size = meta.split()[-1] if meta else ""
            if path and size.isdigit():
                sizes[path] = int(size)
        return sizes

    # -- history ---------------------------------------------------------------------------
    def history(self) -> History | None:
        if self._git is None or self.target.commit is None:
            return None
        if self._history is None:
            self._history = self._read_history()
        return self._history

    def _read_history(self) -> History:
        fmt = "%H%x1f%an%x1f%ae%x1f%at%x1f%s%x1e"
        log = self._git_call("log", f"-n{MAX_COMMITS}", f"--format={fmt}", "--", self._prefix or ".")
        commits = []
        for record in log.split("\x1e"):
            parts = record.strip("\n").split("\x1f")
            if len(parts) == 5:
                sha, name, email, ts, subject = parts
                commits.append(Commit(sha=sha, author_name=name, author_email=email,
                                      timestamp=int(ts or 0), subject=subject))
        tags = self._git_call("for-each-ref", "--format=%(refname:short)", "refs/tags").split()
        shallow = (Path(self._git.git_dir) / "shallow").is_file()
        return History(commits=tuple(commits), tags=tuple(sorted(tags)),
                       truncated=len(commits) >= MAX_COMMITS, shallow=shallow)
