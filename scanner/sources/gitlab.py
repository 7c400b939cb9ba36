"""A GitLab (gitlab.com or self-hosted) project read through the REST and GraphQL APIs.

Opening costs the project, the commit of the ref and the recursive tree (100 entries a page,
GitLab's maximum); files are then read in GraphQL ``blobs`` batches, the first of which also
brings the last merged merge requests with their approvers. GitLab's tree gives no sizes:
they come with the batches, or in a size-only batch for files that are never read.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from scanner.model import Target
from scanner.sources.http_budget import ApiError, ApiSession
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, Commit, History, TargetUnreadable
from scanner.sources.platform import RECENT_ITEMS, parse_time
from scanner.sources.remote_view import ApiRepoView, Blob, BlobReader, TreeEntry, read_or_unreadable

DEFAULT_URL = "https://gitlab.com"
MAX_COMMITS = 100
MAX_TREE = 20_000

_BLOBS = "blobs(ref: $ref, paths: $paths) { nodes { path size %s } }"
#: paths per ``blobs`` query. GitLab refuses a query over its complexity limit (250 for a signed-in
#: user on gitlab.com): every blob's fields count once per path, and the merge requests that
#: ride on the first query count per item. A query refused anyway (a lower self-hosted limit)
#: is split in two until it passes.
BLOBS_PER_QUERY = 50
FIRST_BLOBS_PER_QUERY = 20
_EXTRAS = """
    mergeRequests(state: merged, first: %d, sort: MERGED_AT_DESC) {
      nodes { iid author { username } approvedBy { nodes { username } } } }
""" % RECENT_ITEMS


def api_base(url: str) -> str:
    """REST base of a GitLab instance URL (``https://host`` -> ``https://host/api/v4``)."""
    url = url.rstrip("/")
    return url if url.endswith("/api/v4") else url + "/api/v4"


def gitlab_session(url: str, **kwargs: Any) -> ApiSession:
    """A session for GitLab with the token from GITLAB_TOKEN, if set."""
    token = os.environ.get("GITLAB_TOKEN")
    return ApiSession(api_base(url), auth_header=("PRIVATE-TOKEN", token) if token else None, **kwargs)


@dataclass
class GitLabProjectInfo:
    """What opening the project learned; shared by the view and the platform facts."""

    path: str
    project: dict[str, Any]
    ref: str
    commit: str
    session: ApiSession
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def api_path(self) -> str:
        return f"projects/{self.project.get('id') or quote(self.path, safe='')}"


def run_graphql(session: ApiSession, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """``data`` of a GitLab GraphQL answer (``/api/graphql``); errors without data raise."""
    answer = session.post_json(session.base_url[: -len("/v4")] + "/graphql", {"query": query, "variables": variables})
    body = answer.data if isinstance(answer.data, dict) else {}
    if body.get("data") is None:
        messages = "; ".join(str(e.get("message", ""))[:120] for e in body.get("errors") or [])
        raise ApiError(f"{session.host}: GraphQL query failed ({messages or 'no data'})")
    return body["data"]


class GitLabBlobReader(BlobReader):
    """Files through GraphQL ``blobs`` batches, or the raw-file endpoint one at a time."""

    def __init__(self, info: GitLabProjectInfo) -> None:
        self.info = info

    def _query(self, paths: list[str], content: bool, extras: bool) -> dict[str, Any]:
        query = ("query($path: ID!, $ref: String!, $paths: [String!]!) { project(fullPath: $path) { "
                 "repository { %s } %s } }" % (_BLOBS % ("rawTextBlob" if content else ""), _EXTRAS if extras else ""))
        data = run_graphql(self.info.session, query, {"path": self.info.path, "ref": self.info.commit, "paths": paths})
        return (data or {}).get("project") or {}

    def batch(self, paths: list[str], first: bool) -> dict[str, Blob]:
        out = {}
        for node in self._nodes(paths, True, first):
            text = node.get("rawTextBlob")
            size = int(node.get("size") or 0)
            out[node["path"]] = Blob(data=text.encode("utf-8") if text is not None else None, size=size)
        return out

    def _nodes(self, paths: list[str], content: bool, first: bool) -> list[dict[str, Any]]:
        """The blob nodes of ``paths``, in queries GitLab accepts (see BLOBS_PER_QUERY); the
        first query also brings the merge requests when ``first``."""
        nodes: list[dict[str, Any]] = []
        size = FIRST_BLOBS_PER_QUERY if first else BLOBS_PER_QUERY
        chunks = [paths[:size]] + [paths[i:i + BLOBS_PER_QUERY] for i in range(size, len(paths), BLOBS_PER_QUERY)]
        for index, chunk in enumerate(chunks):
            nodes += self._split_on_complexity(chunk, content, first and index == 0)
        return [n for n in nodes if isinstance(n, dict) and isinstance(n.get("path"), str)]

    def _split_on_complexity(self, paths: list[str], content: bool, extras: bool) -> list[dict[str, Any]]:
        try:
            project = self._query(paths, content, extras)
        except ApiError as exc:
            if "complexity" not in exc.reason.lower():
                raise
            if len(paths) < 2:
                if not extras:
                    raise
                # the merge requests alone are over the limit: the blobs come without them
                # (the review facts then say they could not be read)
                return self._split_on_complexity(paths, content, False)
            half = len(paths) // 2
            return (self._split_on_complexity(paths[:half], content, extras)
                    + self._split_on_complexity(paths[half:], content, False))
        if extras:
            self.info.extras = {"mergeRequests": project.get("mergeRequests")}
        return ((project.get("repository") or {}).get("blobs") or {}).get("nodes") or []

    def one(self, path: str) -> bytes:
        return self.info.session.get_bytes(f"{self.info.api_path}/repository/files/{quote(path, safe='')}/raw",
                                           {"ref": self.info.commit})

    def sizes(self, paths: list[str]) -> dict[str, int]:
        return {n["path"]: int(n.get("size") or 0) for n in self._nodes(paths, False, False)}


def open_gitlab(path: str, ref: str | None, session: ApiSession) -> GitLabProjectInfo:
    """Read the project and resolve the ref to a commit; TargetUnreadable when impossible."""
    where = f"gitlab:{path}"
    project = read_or_unreadable(lambda: session.get(f"projects/{quote(path, safe='')}").object(where), where,
                                 lambda _: "not found, or private and GITLAB_TOKEN cannot read it")
    if project.get("empty_repo"):
        raise TargetUnreadable(f"{where}: the repository is empty")
    ref = ref or project.get("default_branch") or "main"
    commit = read_or_unreadable(
        lambda: session.get(f"projects/{project['id']}/repository/commits/{quote(ref, safe='')}").object(where), where,
        lambda _: f"ref {ref!r} not found")
    return GitLabProjectInfo(path=project.get("path_with_namespace") or path, project=project, ref=ref,
                             commit=commit["id"], session=session)


def gitlab_view(info: GitLabProjectInfo, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> ApiRepoView:
    """The repository view: the recursive tree now (paginated), file contents when first read."""
    try:
        items = list(info.session.pages(f"{info.api_path}/repository/tree",
                                        {"recursive": "true", "per_page": 100, "ref": info.commit,
                                         "pagination": "keyset"}, limit=MAX_TREE))
    except ApiError as exc:
        raise TargetUnreadable(f"gitlab:{info.path}: cannot list files ({exc.reason})") from None
    entries = [TreeEntry(path=i["path"], size=None) for i in items if i.get("type") == "blob" and i.get("mode") != "120000"]
    target = Target(kind="gitlab", name=info.path, url=info.project.get("web_url"), ref=info.ref, commit=info.commit)
    return ApiRepoView(target, entries, GitLabBlobReader(info), max_file_bytes=max_file_bytes,
                       unread_folders=[(".", f"the listing stops at {MAX_TREE} entries: the rest is not listed")]
                       if len(items) >= MAX_TREE else (), history=lambda: gitlab_history(info))


def gitlab_history(info: GitLabProjectInfo) -> History | None:
    """The newest commits and the tags (two REST listings)."""
    try:
        items = list(info.session.pages(f"{info.api_path}/repository/commits",
                                        {"ref_name": info.commit, "per_page": MAX_COMMITS}, limit=MAX_COMMITS))
        tags = [t["name"] for t in info.session.pages(f"{info.api_path}/repository/tags", {"per_page": 100}, limit=100)]
    except ApiError:
        return None  # history is optional: the history detector then says not_available
    commits = tuple(Commit(sha=c["id"], author_name=c.get("author_name") or "", author_email=c.get("author_email") or "",
                           timestamp=int(parse_time(c.get("authored_date") or c.get("created_at")) or 0),
                           subject=c.get("title") or "") for c in items)
    truncated = len(commits) >= MAX_COMMITS
    return History(commits=commits, tags=tuple(sorted(tags)), truncated=truncated, shallow=truncated)
