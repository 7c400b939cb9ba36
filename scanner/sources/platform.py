"""Hosting-platform facts (GitHub, GitLab) behind one small interface the platform detector reads.

A source answers one question per ``platform.*`` signal with a :class:`PlatformFact`, or raises
an :class:`~scanner.sources.http_budget.ApiError`: a fact the token may not read (branch
protection needs admin rights) is ``not_available`` with the reason, never ``absent``.
"""
from __future__ import annotations

import abc
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from scanner.sources.http_budget import ApiError, ApiSession

#: how many merged pull/merge requests, runs and deployments are read (one page each).
RECENT_ITEMS = 30
#: share of merged changes that must carry an approval by someone other than the author.
REVIEWED_SHARE = 0.8
CI_DAYS = 30
DEPLOY_DAYS = 90
DAY = 86_400

SIGNALS: tuple[str, ...] = (
    "platform.branch_protection", "platform.required_checks", "platform.codeowner_reviews",
    "platform.protected_environments", "platform.reviewed_merges", "platform.ci_runs_recent",
    "platform.scheduled_runs_recent", "platform.deployments_recent", "platform.releases",
    "platform.contributors", "platform.archived",
)
#: settings confirmed on the platform are ``live``; things that happened there are ``executed``.
EXECUTED = frozenset({"platform.reviewed_merges", "platform.ci_runs_recent", "platform.scheduled_runs_recent",
                      "platform.deployments_recent", "platform.releases", "platform.contributors"})


@dataclass(frozen=True, kw_only=True)
class PlatformFact:
    """The answer to one platform question."""

    present: bool
    summary: str
    """One line an auditor can check against the platform's UI."""
    url: str | None = None
    """Where the fact can be seen (web UI or API URL, never with a token)."""
    attributes: Mapping[str, Any] = field(default_factory=dict)


#: every platform signal and the method of a PlatformSource that reads it
READERS = {
    "platform.branch_protection": "_branch_protection",
    "platform.required_checks": "_required_checks",
    "platform.codeowner_reviews": "_codeowner_reviews",
    "platform.protected_environments": "_environments",
    "platform.reviewed_merges": "_reviewed_merges",
    "platform.ci_runs_recent": "_ci_runs",
    "platform.scheduled_runs_recent": "_scheduled_runs",
    "platform.deployments_recent": "_deployments",
    "platform.releases": "_releases",
    "platform.contributors": "_contributors",
    "platform.archived": "_archived",
}


class PlatformSource(abc.ABC):
    """Facts about one hosted repository; each fact is computed once, failures too."""

    name = "platform"
    api: str
    session: ApiSession

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now
        self._facts: dict[str, PlatformFact | ApiError] = {}
        self._lock = threading.Lock()

    def _readers(self) -> Mapping[str, Callable[[], PlatformFact]]:
        """signal -> the method that reads it: each platform implements one per signal."""
        return {signal: getattr(self, method) for signal, method in READERS.items()}

    @property
    @abc.abstractmethod
    def web_url(self) -> str:
        """The repository's web page."""

    def fact(self, signal: str) -> PlatformFact:
        """The fact for ``signal``; raises the ApiError that kept it from being read."""
        with self._lock:
            if signal not in self._facts:
                try:
                    self._facts[signal] = self._readers()[signal]()
                except ApiError as exc:
                    self._facts[signal] = exc
            value = self._facts[signal]
        if isinstance(value, ApiError):
            raise value
        return value

    def describe(self) -> dict[str, Any]:
        """Coverage facts: which API, how many requests (no token)."""
        return {"api": self.session.base_url, "requests": self.session.requests_made,
                "not_modified": self.session.not_modified, "repository": self.web_url}

    def since(self, days: int) -> float:
        """Epoch seconds ``days`` ago."""
        return self.now - days * DAY


def parse_time(value: str | None) -> float | None:
    """Epoch seconds of an ISO-8601 timestamp as both APIs write them, or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def iso(ts: float) -> str:
    """ISO-8601 (UTC, seconds) of epoch seconds."""
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def reviewed_merges_fact(changes: list[tuple[str, str, set[str]]], noun: str, url: str) -> PlatformFact:
    """platform.reviewed_merges from (id, author, approvers) of the last merged changes."""
    if not changes:
        return PlatformFact(present=False, summary=f"no merged {noun}s found", url=url,
                            attributes={"merged": 0})
    reviewed = [cid for cid, author, approvers in changes if approvers - {author}]
    share = len(reviewed) / len(changes)
    return PlatformFact(
        present=share >= REVIEWED_SHARE,
        summary=f"{len(reviewed)} of the last {len(changes)} merged {noun}s were approved by someone other "
                f"than the author ({share:.0%}; {REVIEWED_SHARE:.0%} needed)",
        url=url, attributes={"merged": len(changes), "reviewed": len(reviewed), "share": round(share, 2),
                             "unreviewed": [cid for cid, _, _ in changes if cid not in reviewed][:20]})


def recent_runs_fact(runs: list[tuple[float | None, str]], what: str, days: int, since: float,
                     url: str, success: frozenset[str]) -> PlatformFact:
    """A runs fact from (time, conclusion) pairs: present when one succeeded in the window."""
    recent = [(t, c) for t, c in runs if t is not None and t >= since]
    ok = [t for t, c in recent if c in success]
    conclusions: dict[str, int] = {}
    for _, c in recent:
        conclusions[c or "unknown"] = conclusions.get(c or "unknown", 0) + 1
    attrs: dict[str, Any] = {"runs_read": len(runs), "recent": len(recent), "conclusions": dict(sorted(conclusions.items())),
                             "since": iso(since)}
    if ok:
        attrs["last_success"] = iso(max(ok))
        return PlatformFact(present=True, summary=f"{len(ok)} of {len(recent)} {what} in the last {days} days succeeded",
                            url=url, attributes=attrs)
    return PlatformFact(present=False, summary=f"no successful {what} in the last {days} days "
                        f"({len(recent)} runs, none succeeded)" if recent else f"no {what} in the last {days} days",
                        url=url, attributes=attrs)


def is_bot_login(login: str, kind: str = "") -> bool:
    """Automation accounts (``dependabot[bot]``, ``renovate-bot``, project/group bots)."""
    low = login.lower()
    if kind.lower() == "bot" or low.endswith(("[bot]", "-bot", "_bot")):
        return True
    if low.startswith(("project_", "group_")) and "_bot" in low:  # GitLab project/group access tokens
        return True
    return low in {"dependabot", "renovate", "github-actions", "ghost"}
