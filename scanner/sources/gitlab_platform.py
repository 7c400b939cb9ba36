"""GitLab platform facts: protected branch, approval rules, environments, pipelines, releases.

Approval rules, code-owner approval and protected environments are GitLab Premium features and
need at least Reporter (some Maintainer) access: a 401/403/404 on them makes the fact
``not_available`` with the reason, never ``absent``.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from scanner.sources.gitlab import GitLabProjectInfo
from scanner.sources.http_budget import ApiForbidden, ApiNotFound, expect
from scanner.sources.platform import (
    CI_DAYS,
    DEPLOY_DAYS,
    RECENT_ITEMS,
    PlatformFact,
    PlatformSource,
    is_bot_login,
    parse_time,
    recent_runs_fact,
    reviewed_merges_fact,
)
from scanner.sources.remote_view import ApiRepoView

_SUCCESS = frozenset({"success"})
_PREMIUM = "needs GitLab Premium and a GITLAB_TOKEN with at least Reporter access"


class GitLabPlatform(PlatformSource):
    """Platform facts of one GitLab project (default branch, last N items of each kind)."""

    def __init__(self, info: GitLabProjectInfo, view: ApiRepoView | None, now: float | None = None) -> None:
        super().__init__(now)
        self.info = info
        self.view = view
        self.session = info.session
        self.api = "gitlab"
        self._cache: dict[str, Any] = {}

    @property
    def web_url(self) -> str:
        return self.info.project.get("web_url") or self.info.path

    @property
    def branch(self) -> str:
        return self.info.project.get("default_branch") or self.info.ref

    def _get(self, key: str, path: str, params: dict[str, Any] | None = None, *, premium: bool = False,
             shape: type = list) -> Any:
        """One read, kept; an answer not of the endpoint's ``shape`` is ApiMalformed."""
        if key not in self._cache:
            try:
                self._cache[key] = expect(self.session.get(f"{self.info.api_path}/{path}", params).data, shape,
                                          f"{self.session.host}: {path.split('/')[0]}", objects=True)
            except (ApiForbidden, ApiNotFound) as exc:
                if not premium:
                    raise
                raise ApiForbidden(f"{path.split('/')[0].replace('_', ' ')}: {_PREMIUM} (HTTP {exc.status})",
                                   exc.status) from None
        return self._cache[key]

    def _protected_branch(self) -> dict[str, Any] | None:
        """The default branch's protection, or None when it is not protected."""
        try:
            return self._get("protected", f"protected_branches/{quote(self.branch, safe='')}", shape=dict)
        except ApiNotFound:
            return None
        except ApiForbidden as exc:
            raise ApiForbidden(f"protected branches need Maintainer access (HTTP {exc.status})", exc.status) from None

    def _approval_rules(self) -> list[dict[str, Any]]:
        rules = self._get("approval_rules", "approval_rules", premium=True)
        return [r for r in rules or [] if not r.get("protected_branches")
                or any(b.get("name") == self.branch for b in r["protected_branches"])]

    def _settings_url(self) -> str:
        return f"{self.web_url}/-/settings/repository"

    def _branch_protection(self) -> PlatformFact:
        rules = [r for r in self._approval_rules() if int(r.get("approvals_required") or 0) >= 1]
        url = f"{self.web_url}/-/settings/merge_requests"
        if rules:
            most = max(int(r["approvals_required"]) for r in rules)
            return PlatformFact(present=True, url=url, summary=f"approval rules require up to {most} approval(s) "
                                f"for merge requests into {self.branch}",
                                attributes={"rules": sorted(r.get("name", "?") for r in rules), "approvals_required": most})
        return PlatformFact(present=False, url=url, summary=f"no approval rule requires an approval on {self.branch}")

    def _required_checks(self) -> PlatformFact:
        flag = self.info.project.get("only_allow_merge_if_pipeline_succeeds")
        url = f"{self.web_url}/-/settings/merge_requests"
        if flag is None:
            raise ApiForbidden("merge checks are shown only to project members: GITLAB_TOKEN needs access to the project")
        return PlatformFact(present=bool(flag), url=url, attributes={"only_allow_merge_if_pipeline_succeeds": bool(flag)},
                            summary="merge requests need a successful pipeline" if flag
                            else "merge requests may merge without a successful pipeline")

    def _codeowner_reviews(self) -> PlatformFact:
        branch = self._protected_branch()
        url = self._settings_url()
        if branch is None:
            return PlatformFact(present=False, url=url, summary=f"{self.branch} is not protected: no code-owner approval")
        if branch.get("code_owner_approval_required"):
            return PlatformFact(present=True, url=url, summary=f"code-owner approval is required on {self.branch}")
        return PlatformFact(present=False, url=url, summary=f"code-owner approval is not required on {self.branch}")

    def _environments(self) -> PlatformFact:
        envs = self._get("protected_environments", "protected_environments", {"per_page": 100}, premium=True) or []
        guarded = sorted(e.get("name", "?") for e in envs
                         if int(e.get("required_approval_count") or 0) >= 1 or e.get("approval_rules"))
        url = f"{self.web_url}/-/settings/ci_cd"
        if guarded:
            return PlatformFact(present=True, url=url, attributes={"environments": guarded, "protected": len(envs)},
                                summary=f"{len(guarded)} protected environment(s) need approval: " + ", ".join(guarded))
        return PlatformFact(present=False, url=url, attributes={"protected": len(envs)},
                            summary=f"no environment needs a deployment approval ({len(envs)} protected)")

    def _reviewed_merges(self) -> PlatformFact:
        if self.view is not None:
            self.view.prefetch()
        if not self.info.extras:
            from scanner.sources.gitlab import GitLabBlobReader  # the first batch carries the merge requests
            GitLabBlobReader(self.info).batch([], first=True)
        nodes = ((self.info.extras.get("mergeRequests") or {}).get("nodes")) or []
        changes = []
        for mr in nodes:
            author = ((mr.get("author") or {}).get("username")) or ""
            approvers = {(a or {}).get("username") or "" for a in ((mr.get("approvedBy") or {}).get("nodes") or [])}
            changes.append((f"!{mr.get('iid')}", author, approvers - {""}))
        return reviewed_merges_fact(changes, "merge request", f"{self.web_url}/-/merge_requests?state=merged")

    def _pipelines(self) -> list[dict[str, Any]]:
        return self._get("pipelines", "pipelines", {"ref": self.branch, "per_page": RECENT_ITEMS}) or []

    def _ci_runs(self) -> PlatformFact:
        runs = [(parse_time(p.get("created_at")), p.get("status") or "") for p in self._pipelines()]
        return recent_runs_fact(runs, f"pipelines on {self.branch}", CI_DAYS, self.since(CI_DAYS),
                                f"{self.web_url}/-/pipelines?ref={quote(self.branch)}", _SUCCESS)

    def _scheduled_runs(self) -> PlatformFact:
        runs = [p for p in self._pipelines() if p.get("source") == "schedule"]
        if not runs:
            runs = self._get("scheduled", "pipelines", {"source": "schedule", "per_page": RECENT_ITEMS}) or []
        pairs = [(parse_time(p.get("created_at")), p.get("status") or "") for p in runs]
        return recent_runs_fact(pairs, "scheduled pipelines", CI_DAYS, self.since(CI_DAYS),
                                f"{self.web_url}/-/pipeline_schedules", _SUCCESS)

    def _deployments(self) -> PlatformFact:
        deps = self._get("deployments", "deployments", {"order_by": "created_at", "sort": "desc",
                                                        "per_page": RECENT_ITEMS}) or []
        since = self.since(DEPLOY_DAYS)
        recent = [d for d in deps if (parse_time(d.get("created_at")) or 0) >= since
                  and d.get("status") not in ("failed", "canceled")]
        envs = sorted({(d.get("environment") or {}).get("name", "?") for d in recent})
        url = f"{self.web_url}/-/environments"
        if recent:
            return PlatformFact(present=True, url=url, attributes={"deployments": len(recent), "environments": envs},
                                summary=f"{len(recent)} deployment(s) in the last {DEPLOY_DAYS} days to " + ", ".join(envs))
        return PlatformFact(present=False, url=url, attributes={"deployments_read": len(deps)},
                            summary=f"no deployment in the last {DEPLOY_DAYS} days")

    def _releases(self) -> PlatformFact:
        releases = self._get("releases", "releases", {"per_page": 10}) or []
        url = f"{self.web_url}/-/releases"
        if releases:
            tags = [r.get("tag_name") for r in releases]
            return PlatformFact(present=True, url=url, attributes={"latest": tags[0], "tags": tags},
                                summary=f"releases exist (latest {tags[0]})")
        return PlatformFact(present=False, url=url, summary="no release")

    def _contributors(self) -> PlatformFact:
        people = list(self.session.pages(f"{self.info.api_path}/repository/contributors", {"per_page": 100}, limit=100))
        humans = sorted({p.get("name", "") for p in people if not is_bot_login(p.get("name", ""))
                         and "noreply" not in (p.get("email") or "")})
        return PlatformFact(present=len(humans) > 1, url=f"{self.web_url}/-/graphs/{quote(self.branch)}",
                            attributes={"count": len(humans), "names": humans[:50],
                                        "count_is_lower_bound": len(people) >= 100},
                            summary=f"{len(humans)} human contributor(s)")

    def _archived(self) -> PlatformFact:
        archived = bool(self.info.project.get("archived"))
        return PlatformFact(present=archived, url=self.web_url,
                            summary="the project is archived (read-only)" if archived else "the project is active")
