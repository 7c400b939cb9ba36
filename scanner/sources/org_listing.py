"""The repositories of a GitHub organisation (or user) or a GitLab group with its subgroups."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from urllib.parse import quote

from scanner.sources.http_budget import ApiError, ApiNotFound, ApiSession
from scanner.sources.interface import TargetUnreadable

#: an org listing never reads more than this many repositories.
MAX_LISTED = 10_000


@dataclass(frozen=True)
class ListedRepo:
    """One repository of the listing."""

    platform: str
    path: str
    """owner/name, or group/sub/project."""
    archived: bool
    fork: bool

    @property
    def target(self) -> str:
        """The scan target naming this repository (``github:owner/name``)."""
        return f"{self.platform}:{self.path}"


@dataclass(frozen=True)
class OrgFilter:
    """Which listed repositories to scan."""

    include: tuple[str, ...] = ()
    """Globs on the path or the name; when given, a repository must match one."""
    exclude: tuple[str, ...] = ()
    skip_archived: bool = False
    skip_forks: bool = False
    limit: int | None = None

    def apply(self, repos: list[ListedRepo]) -> list[ListedRepo]:
        """The repositories to scan, sorted by path."""
        kept = []
        for repo in sorted(repos, key=lambda r: r.path.lower()):
            names = (repo.path, repo.path.rsplit("/", 1)[-1])
            if self.include and not any(fnmatch.fnmatchcase(n, g) for n in names for g in self.include):
                continue
            if any(fnmatch.fnmatchcase(n, g) for n in names for g in self.exclude):
                continue
            if (self.skip_archived and repo.archived) or (self.skip_forks and repo.fork):
                continue
            kept.append(repo)
        return kept[: self.limit] if self.limit is not None else kept


def list_github(session: ApiSession, org: str) -> list[ListedRepo]:
    """Repositories of a GitHub organisation, or of a user when no such organisation exists."""
    try:
        items = list(session.pages(f"orgs/{quote(org)}/repos", {"per_page": 100, "type": "all"}, limit=MAX_LISTED))
    except ApiNotFound:
        try:
            items = list(session.pages(f"users/{quote(org)}/repos", {"per_page": 100, "type": "owner"}, limit=MAX_LISTED))
        except ApiError as exc:
            raise TargetUnreadable(f"github:{org}: cannot list repositories ({exc.reason})") from None
    except ApiError as exc:
        raise TargetUnreadable(f"github:{org}: cannot list repositories ({exc.reason})") from None
    return [ListedRepo("github", r["full_name"], bool(r.get("archived")), bool(r.get("fork"))) for r in items]


def list_gitlab(session: ApiSession, group: str) -> list[ListedRepo]:
    """Projects of a GitLab group and all its subgroups."""
    try:
        items = list(session.pages(f"groups/{quote(group, safe='')}/projects",
                                   {"per_page": 100, "include_subgroups": "true", "order_by": "path", "sort": "asc"},
                                   limit=MAX_LISTED))
    except ApiError as exc:
        raise TargetUnreadable(f"gitlab:{group}: cannot list projects ({exc.reason})") from None
    return [ListedRepo("gitlab", p["path_with_namespace"], bool(p.get("archived")), "forked_from_project" in p)
            for p in items]
