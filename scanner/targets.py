"""What a scan target string names, and the sources that read it.

``PATH`` (a local folder), ``mlflow+http(s)://...`` (a tracking server alone),
``github:owner/repo[@ref]`` and ``gitlab:group/sub/project[@ref]`` (read through the APIs, with
platform facts), or a plain git URL (``https://``, ``ssh://``, ``git@host:path``, ``file://``,
optionally ``#ref``), which is shallow-cloned into a temporary folder removed on ``close()``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from scanner.deadline import Deadline
from scanner.model import Target
from scanner.redaction import redact
from scanner.sources.http_budget import EtagCache, RateLimitGate, RequestBudget
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, RepoView
from scanner.sources.local import LocalRepo
from scanner.vocabulary import MONITORING_SOURCES

MLFLOW_PREFIX = "mlflow+"
_GITHUB = re.compile(r"^github:(?P<owner>[A-Za-z0-9][\w.-]*)/(?P<name>[\w.-]+?)(?:\.git)?(?:@(?P<ref>[^\s@]+))?$")
_GITLAB = re.compile(r"^gitlab:(?P<path>[\w.-]+(?:/[\w.-]+)+?)(?:\.git)?(?:@(?P<ref>[^\s@]+))?$")
_REF = re.compile(r"^[\w./+-]+$")


class TargetError(ValueError):
    """The target string cannot be scanned as written (a usage error)."""


@dataclass(frozen=True)
class RemoteSpec:
    """A repository on a hosting platform, named as ``github:owner/repo@ref``."""

    platform: str
    """github | gitlab"""
    path: str
    """owner/repo, or group/sub/project."""
    ref: str | None = None

    def __str__(self) -> str:
        return f"{self.platform}:{self.path}" + (f"@{self.ref}" if self.ref else "")


@dataclass(frozen=True)
class ApiOptions:
    """How to reach the APIs: instance URLs, the shared request budget and rate-limit gate."""

    github_url: str | None = None
    """GitHub Enterprise Server API base (``https://HOST/api/v3``); api.github.com otherwise."""
    gitlab_url: str | None = None
    """Self-hosted GitLab (``https://HOST``); gitlab.com otherwise."""
    budget: RequestBudget = field(default_factory=RequestBudget)
    gate: RateLimitGate = field(default_factory=RateLimitGate)
    cache: EtagCache | None = None
    deadline: Deadline = field(default_factory=Deadline)
    """The scan's deadline (``--timeout``): every request and rate-limit wait ends before it."""
    now: float | None = None
    """Clock for the "recent" windows of platform facts (tests)."""

    def session_settings(self) -> dict[str, Any]:
        """What every API session of these options shares."""
        return {"budget": self.budget, "gate": self.gate, "cache": self.cache, "deadline": self.deadline}


@dataclass(frozen=True)
class ResolvedTarget:
    """A repository to read, and/or a tracking server named by the target itself."""

    repo: RepoView | None
    mlflow_uri: str | None = None
    monitoring_urls: Mapping[str, str] = field(default_factory=dict)
    """Live monitoring systems the target itself names (``prometheus+http://...``), by source."""
    platform: Any = None
    """Hosting-platform facts (branch protection, reviews, runs...) when the target is on one."""
    target: Target | None = None
    """How to name the target in the report, when the repository view does not say."""
    cleanup: Callable[[], None] | None = None

    def close(self) -> None:
        """Release what the target holds (the temporary clone of a git URL)."""
        if self.cleanup is not None:
            self.cleanup()

    def __enter__(self) -> "ResolvedTarget":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_remote(target: str) -> RemoteSpec | None:
    """The hosted repository a ``github:``/``gitlab:`` target names; TargetError if malformed."""
    if not target.startswith(("github:", "gitlab:")):
        return None
    match = _GITHUB.match(target) or _GITLAB.match(target)
    if match is None:
        raise TargetError(f"{target}: expected github:OWNER/REPO[@REF] or gitlab:GROUP[/SUBGROUP]/PROJECT[@REF]")
    ref = match.group("ref")
    if ref is not None and (ref.startswith("-") or not _REF.match(ref)):
        raise TargetError(f"{target}: {ref!r} is not a valid git ref")
    if target.startswith("github:"):
        return RemoteSpec("github", f"{match.group('owner')}/{match.group('name')}", ref)
    return RemoteSpec("gitlab", match.group("path"), ref)


def open_info(spec: RemoteSpec, options: ApiOptions) -> Any:
    """The hosted repository and the commit of its ref (two requests); raises TargetUnreadable."""
    common = options.session_settings()
    if spec.platform == "github":
        from scanner.sources.github import DEFAULT_API, github_session, open_github

        owner, name = spec.path.split("/", 1)
        return open_github(owner, name, spec.ref, github_session(options.github_url or DEFAULT_API, **common))
    from scanner.sources.gitlab import DEFAULT_URL, gitlab_session, open_gitlab

    return open_gitlab(spec.path, spec.ref, gitlab_session(options.gitlab_url or DEFAULT_URL, **common))


def from_info(info: Any, options: ApiOptions, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> ResolvedTarget:
    """The API-backed view (one tree listing) and platform facts of an opened repository."""
    from scanner.sources.github import GitHubRepoInfo

    if isinstance(info, GitHubRepoInfo):
        from scanner.sources.github import github_view
        from scanner.sources.github_platform import GitHubPlatform

        view = github_view(info, max_file_bytes=max_file_bytes)
        return ResolvedTarget(repo=view, platform=GitHubPlatform(info, view, now=options.now), target=view.target,
                              cleanup=info.session.close)
    from scanner.sources.gitlab import gitlab_view
    from scanner.sources.gitlab_platform import GitLabPlatform

    view = gitlab_view(info, max_file_bytes=max_file_bytes)
    return ResolvedTarget(repo=view, platform=GitLabPlatform(info, view, now=options.now), target=view.target,
                          cleanup=info.session.close)


def open_remote(spec: RemoteSpec, options: ApiOptions, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> ResolvedTarget:
    """The API-backed view and platform facts of a hosted repository (raises TargetUnreadable)."""
    return from_info(open_info(spec, options), options, max_file_bytes=max_file_bytes)


def _clone(target: str, max_file_bytes: int, timeout: float | None, deadline: Deadline) -> ResolvedTarget:
    from scanner.sources.git_clone import CLONE_TIMEOUT, ClonedRepo, UnsafeGitUrl

    url, _, ref = target.partition("#")
    timeout = timeout or CLONE_TIMEOUT
    # the clone ends by its own limit or by the scan's deadline, whichever comes first
    flag = "--clone-timeout" if timeout <= deadline.remaining() else f"what {deadline} left"
    try:
        repo = ClonedRepo(url, ref or None, max_file_bytes=max_file_bytes,
                          timeout=max(1.0, min(timeout, deadline.remaining())), flag=flag)
    except UnsafeGitUrl as exc:
        raise TargetError(str(exc)) from None
    return ResolvedTarget(repo=repo, target=repo.target, cleanup=repo.close)


def resolve(
    target: str,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    use_git: bool = True,
    include_untracked: bool = False,
    github_url: str | None = None,
    gitlab_url: str | None = None,
    max_requests: int | None = None,
    options: ApiOptions | None = None,
    clone_timeout: float | None = None,
    deadline: Deadline | None = None,
) -> ResolvedTarget:
    """Open the sources a target names; raises TargetError or a SourceError (unreadable).

    ``github_url``/``gitlab_url`` point at GitHub Enterprise Server / self-hosted GitLab;
    ``max_requests`` caps the API requests of the scan. Call ``close()`` on the result (or use
    it as a context manager) to remove a temporary clone at once. ``deadline`` (``--timeout``)
    bounds the clone and every API request of the scan.
    """
    deadline = deadline or (options.deadline if options else Deadline())
    from scanner.sources.git_clone import is_git_url

    if target.startswith(MLFLOW_PREFIX):
        uri = target[len(MLFLOW_PREFIX):]
        if not (uri.startswith(("http://", "https://", "databricks://")) or uri == "databricks"):
            raise TargetError(f"{target}: an MLflow target is mlflow+http://host:port, mlflow+https://... "
                              "or mlflow+databricks[://PROFILE]")
        return ResolvedTarget(repo=None, mlflow_uri=uri)
    for name in MONITORING_SOURCES:
        if target.startswith(f"{name}+"):
            url = target[len(name) + 1:]
            if not url.startswith(("http://", "https://")):
                raise TargetError(f"{target}: a {name} target is {name}+http://host:port or {name}+https://...")
            return ResolvedTarget(repo=None, monitoring_urls={name: url},
                                  target=Target(kind=name, name=redact(url)))
    spec = parse_remote(target)
    if spec is not None:
        options = options or ApiOptions(github_url=github_url, gitlab_url=gitlab_url,
                                        budget=RequestBudget(max_requests), deadline=deadline)
        return open_remote(spec, options, max_file_bytes=max_file_bytes)
    if target.startswith("-"):
        raise TargetError(f"{target}: refused (a target never starts with '-')")
    if is_git_url(target) or "::" in target.split("/", 1)[0]:
        return _clone(target, max_file_bytes, clone_timeout, deadline)
    return ResolvedTarget(repo=LocalRepo(Path(target), max_file_bytes=max_file_bytes, use_git=use_git,
                                         include_untracked=include_untracked))
