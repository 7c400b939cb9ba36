"""A GitHub (or GitHub Enterprise Server) repository read through the REST and GraphQL APIs.

Opening costs three requests (repository, commit of the ref, recursive tree); the files are
then read in GraphQL batches of up to a hundred, and the first batch also carries the commit
history, the tags and the last merged pull requests with their approvals, which the platform
facts reuse. Without a token GitHub's GraphQL API is closed: files are then read one by one
through the contents API and history through the REST listings.
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

DEFAULT_API = "https://api.github.com"
MAX_COMMITS = 100
#: tree requests a truncated listing may take, folder by folder, before the rest is left unread
MAX_TREE_REQUESTS = 200
_RAW = "application/vnd.github.raw"

_BLOB_FIELDS = "... on Blob { byteSize isBinary isTruncated text }"
_EXTRAS = """
    history: object(expression: $sha) { ... on Commit { history(first: %d) {
      nodes { oid messageHeadline committedDate author { name email } } } } }
    refs(refPrefix: "refs/tags/", first: 100) { totalCount nodes { name } }
    pullRequests(states: MERGED, first: %d, orderBy: {field: UPDATED_AT, direction: DESC}) {
      nodes { number author { login } mergedAt reviews(states: APPROVED, first: 20) { nodes { author { login } } } } }
""" % (MAX_COMMITS, RECENT_ITEMS)


def graphql_url(api_url: str) -> str:
    """GraphQL endpoint of a REST base: api.github.com/graphql, or HOST/api/graphql on GHES."""
    base = api_url.rstrip("/")
    return base[: -len("/v3")] + "/graphql" if base.endswith("/api/v3") else base + "/graphql"


def github_session(api_url: str, **kwargs: Any) -> ApiSession:
    """A session for GitHub with the token from GITHUB_TOKEN, if set."""
    token = os.environ.get("GITHUB_TOKEN")
    auth = ("Authorization", f"Bearer {token}") if token else None
    session = ApiSession(api_url, auth_header=auth, **kwargs)
    session.http.headers["X-GitHub-Api-Version"] = "2022-11-28"
    return session


@dataclass
class GitHubRepoInfo:
    """What opening the repository learned; shared by the view and the platform facts."""

    owner: str
    name: str
    repo: dict[str, Any]
    ref: str
    commit: str
    session: ApiSession
    extras: dict[str, Any] = field(default_factory=dict)
    """history/refs/pullRequests from the first GraphQL batch (empty without a token)."""

    @property
    def api_path(self) -> str:
        return f"repos/{quote(self.owner)}/{quote(self.name)}"

    @property
    def has_graphql(self) -> bool:
        return self.session.auth_header is not None


class GitHubBlobReader(BlobReader):
    """Files through GraphQL batches (with a token) or the contents API (without)."""

    def __init__(self, info: GitHubRepoInfo) -> None:
        self.info = info

    def batch(self, paths: list[str], first: bool) -> dict[str, Blob]:
        if not self.info.has_graphql:
            return {}
        names = [f"$e{i}: String!" for i in range(len(paths))]
        fields = [f"f{i}: object(expression: $e{i}) {{ {_BLOB_FIELDS} }}" for i in range(len(paths))]
        # $sha only where the history asks for it: GitHub rejects a declared variable left unused
        if first:
            names.insert(0, "$sha: String!")
        query = ("query($owner: String!, $name: String!%s) { repository(owner: $owner, name: $name) { %s %s } }"
                 % ("".join(", " + n for n in names), " ".join(fields), _EXTRAS if first else ""))
        variables = {"owner": self.info.owner, "name": self.info.name,
                     **({"sha": self.info.commit} if first else {}),
                     **{f"e{i}": f"{self.info.commit}:{p}" for i, p in enumerate(paths)}}
        data = run_graphql(self.info.session, query, variables)
        repo = (data or {}).get("repository") or {}
        if first:
            self.info.extras = {k: repo.get(k) for k in ("history", "refs", "pullRequests")}
        out = {}
        for i, path in enumerate(paths):
            node = repo.get(f"f{i}")
            if node and node.get("text") is not None and not node.get("isTruncated") and not node.get("isBinary"):
                out[path] = Blob(data=node["text"].encode("utf-8"), size=int(node.get("byteSize") or 0))
        return out

    def one(self, path: str) -> bytes:
        return self.info.session.get_bytes(f"{self.info.api_path}/contents/{quote(path)}",
                                           {"ref": self.info.commit}, accept=_RAW)


def run_graphql(session: ApiSession, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """``data`` of a GraphQL answer; errors without data become an ApiError."""
    answer = session.post_json(graphql_url(session.base_url), {"query": query, "variables": variables})
    body = answer.data if isinstance(answer.data, dict) else {}
    if body.get("data") is None:
        messages = "; ".join(str(e.get("message", ""))[:120] for e in body.get("errors") or [])
        raise ApiError(f"{session.host}: GraphQL query failed ({messages or 'no data'})")
    return body["data"]


def open_github(owner: str, name: str, ref: str | None, session: ApiSession) -> GitHubRepoInfo:
    """Read the repository and resolve the ref to a commit; TargetUnreadable when impossible."""
    where = f"github:{owner}/{name}"
    repo = read_or_unreadable(lambda: session.get(f"repos/{quote(owner)}/{quote(name)}").object(where), where,
                              lambda _: "not found, or private and GITHUB_TOKEN cannot read it")
    ref = ref or repo.get("default_branch") or "main"
    sha = read_or_unreadable(
        lambda: session.get(f"repos/{quote(owner)}/{quote(name)}/commits/{quote(ref, safe='')}",
                            accept="application/vnd.github.sha").data, where,
        lambda exc: "the repository is empty" if exc.status == 409 else f"ref {ref!r} not found")
    if not isinstance(sha, str) or len(sha.strip()) < 7:
        raise TargetUnreadable(f"{where}: the API did not return a commit for {ref!r}")
    return GitHubRepoInfo(owner=owner, name=name, repo=repo, ref=ref, commit=sha.strip(), session=session)


def github_view(info: GitHubRepoInfo, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> ApiRepoView:
    """The repository view: one recursive tree request now (folder by folder when GitHub
    truncates it), file contents when first read."""
    try:
        tree = info.session.get(f"{info.api_path}/git/trees/{info.commit}", {"recursive": "1"}).object("file tree")
    except ApiError as exc:
        raise TargetUnreadable(f"github:{info.owner}/{info.name}: cannot list files ({exc.reason})") from None
    entries, unread = _blobs(tree), []
    if tree.get("truncated"):
        entries, unread = _tree_by_folders(info)
    target = Target(kind="github", name=f"{info.owner}/{info.name}", url=info.repo.get("html_url"),
                    ref=info.ref, commit=info.commit)
    reader = GitHubBlobReader(info)
    view = ApiRepoView(target, entries, reader, max_file_bytes=max_file_bytes, unread_folders=unread,
                       history=lambda: github_history(info, view))
    return view


def _blobs(tree: Any, prefix: str = "") -> list[TreeEntry]:
    """The files of a tree listing (symlinks left out), their paths made the repository's."""
    items = tree.get("tree") if isinstance(tree, dict) else None
    return [TreeEntry(path=prefix + e["path"], size=e.get("size")) for e in items or []
            if isinstance(e, dict) and e.get("type") == "blob" and e.get("mode") != "120000" and isinstance(e.get("path"), str)]


def _tree_by_folders(info: GitHubRepoInfo) -> tuple[list[TreeEntry], list[tuple[str, str]]]:
    """A tree too large for one recursive listing, read folder by folder: each folder recursively,
    and a folder still truncated by its children, one level down. What cannot be read (an error,
    the request budget, ``MAX_TREE_REQUESTS``) is returned as (folder, reason), never dropped."""
    entries: list[TreeEntry] = []
    unread: list[tuple[str, str]] = []
    queue: list[tuple[str, str, bool]] = [("", info.commit, False)]  # (folder, tree sha, recursive)
    requests = 0
    while queue:
        folder, sha, recursive = queue.pop(0)
        if requests >= MAX_TREE_REQUESTS:
            unread += [(folder or ".", f"not listed: over {MAX_TREE_REQUESTS} tree requests")]
            continue
        requests += 1
        try:
            tree = info.session.get(f"{info.api_path}/git/trees/{sha}",
                                    {"recursive": "1"} if recursive else None).object("file tree")
        except ApiError as exc:
            unread.append((folder or ".", f"not listed: {exc.reason}"))
            continue
        prefix = folder + "/" if folder else ""
        if recursive and not tree.get("truncated"):
            entries += _blobs(tree, prefix)
            continue
        if recursive:  # still too large: this folder's own files, then each subfolder on its own
            queue.insert(0, (folder, sha, False))
            continue
        entries += _blobs(tree, prefix)
        queue += [(prefix + e["path"], e["sha"], True) for e in tree.get("tree") or []
                  if isinstance(e, dict) and e.get("type") == "tree" and isinstance(e.get("sha"), str)]
    return entries, unread


def github_history(info: GitHubRepoInfo, view: ApiRepoView) -> History | None:
    """The newest commits and the tags: from the first GraphQL batch, or two REST listings."""
    if info.has_graphql:
        view.prefetch()
        hist = ((info.extras.get("history") or {}).get("history") or {}).get("nodes")
        if hist is None:
            return None
        commits = [_commit(n["oid"], n.get("author") or {}, n.get("committedDate"), n.get("messageHeadline", ""))
                   for n in hist]
        tags = [n["name"] for n in (info.extras.get("refs") or {}).get("nodes") or []]
        total_tags = (info.extras.get("refs") or {}).get("totalCount") or 0
        truncated = len(commits) >= MAX_COMMITS or total_tags > len(tags)
    else:
        try:
            items = list(info.session.pages(f"{info.api_path}/commits", {"sha": info.commit, "per_page": MAX_COMMITS},
                                            limit=MAX_COMMITS))
            tags = [t["name"] for t in info.session.pages(f"{info.api_path}/tags", {"per_page": 100}, limit=100)
                    if isinstance(t, dict) and isinstance(t.get("name"), str)]
        except ApiError:
            return None  # history is optional: the history detector then says not_available
        commits = [_rest_commit(c) for c in items if isinstance(c, dict) and isinstance(c.get("sha"), str)]
        truncated = len(commits) >= MAX_COMMITS
    return History(commits=tuple(commits), tags=tuple(sorted(tags)), truncated=truncated, shallow=truncated)


def _rest_commit(item: dict[str, Any]) -> Commit:
    """A commit of the REST listing; fields of the wrong type read as empty."""
    commit = item.get("commit") if isinstance(item.get("commit"), dict) else {}
    author = commit.get("author") if isinstance(commit.get("author"), dict) else {}
    message = commit.get("message") if isinstance(commit.get("message"), str) else ""
    date = author.get("date") if isinstance(author.get("date"), str) else None
    return _commit(item["sha"], author, date, message.split("\n", 1)[0])


def _commit(sha: str, author: dict[str, Any], date: str | None, subject: str) -> Commit:
    return Commit(sha=sha, author_name=author.get("name") or "", author_email=author.get("email") or "",
                  timestamp=int(parse_time(date) or 0), subject=subject)
