"""GitHub platform facts: protection and rulesets, environments, reviews, runs, releases.

Each fact costs at most one or two REST requests (one page each); reviewed merges come from
the first GraphQL batch of the repository view. Classic branch protection can only be read
with admin rights: the rulesets that apply to the branch and the branch's own summary are
read first (any reader may see them), and only what remains unknown needs the admin endpoint.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from scanner.sources.github import GitHubRepoInfo
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


class GitHubPlatform(PlatformSource):
    """Platform facts of one GitHub repository (default branch, last N items of each kind)."""

    def __init__(self, info: GitHubRepoInfo, view: ApiRepoView | None, now: float | None = None) -> None:
        super().__init__(now)
        self.info = info
        self.view = view
        self.session = info.session
        self.api = "github"
        self._cache: dict[str, Any] = {}

    @property
    def web_url(self) -> str:
        return self.info.repo.get("html_url") or f"https://github.com/{self.info.owner}/{self.info.name}"

    @property
    def branch(self) -> str:
        return self.info.repo.get("default_branch") or self.info.ref

    # -- reads, once each ---------------------------------------------------------------------

    def _get(self, key: str, path: str, params: dict[str, Any] | None = None, shape: type = dict) -> Any:
        """One read, kept; an answer not of the endpoint's ``shape`` is ApiMalformed, an error for
        what it feeds (the other platform facts are still read)."""
        if key not in self._cache:
            self._cache[key] = expect(self.session.get(f"{self.info.api_path}/{path}", params).data, shape,
                                      f"{self.session.host}: {path.split('/')[0]}", objects=True)
        return self._cache[key]

    def _branch_info(self) -> dict[str, Any]:
        return self._get("branch", f"branches/{quote(self.branch, safe='')}")

    def _rules(self) -> list[dict[str, Any]]:
        """Ruleset rules active on the default branch (readable by anyone who can read the repo)."""
        rules = self._get("rules", f"rules/branches/{quote(self.branch, safe='')}", shape=list)
        return rules if isinstance(rules, list) else []

    def _rule(self, kind: str) -> dict[str, Any] | None:
        return next((r for r in self._rules() if r.get("type") == kind), None)

    def _classic(self) -> dict[str, Any] | None:
        """Classic protection of the default branch; None when the branch has none."""
        if not self._branch_info().get("protected"):
            return None
        try:
            return self._get("protection", f"branches/{quote(self.branch, safe='')}/protection")
        except (ApiForbidden, ApiNotFound) as exc:
            raise ApiForbidden(f"branch protection of {self.branch!r} needs admin rights on the repository "
                               f"(GITHUB_TOKEN cannot read it: HTTP {exc.status})", exc.status) from None

    def _settings_url(self) -> str:
        return f"{self.web_url}/settings/branches"

    # -- facts --------------------------------------------------------------------------------

    def _branch_protection(self) -> PlatformFact:
        rule = self._rule("pull_request")
        count = int(((rule or {}).get("parameters") or {}).get("required_approving_review_count") or 0)
        if count >= 1:
            return PlatformFact(present=True, url=self._settings_url(),
                                summary=f"a ruleset requires {count} approving review(s) on {self.branch}",
                                attributes={"source": "ruleset", "required_approving_reviews": count})
        classic = self._classic()
        reviews = (classic or {}).get("required_pull_request_reviews") or {}
        count = int(reviews.get("required_approving_review_count") or 0)
        if count >= 1:
            return PlatformFact(present=True, url=self._settings_url(),
                                summary=f"branch protection requires {count} approving review(s) on {self.branch}",
                                attributes={"source": "branch_protection", "required_approving_reviews": count})
        state = "protected without required reviews" if classic is not None else "not protected"
        return PlatformFact(present=False, url=self._settings_url(),
                            summary=f"{self.branch} is {state}; no ruleset requires approving reviews",
                            attributes={"protected": classic is not None})

    def _required_checks(self) -> PlatformFact:
        rule = self._rule("required_status_checks")
        checks = [c.get("context") for c in ((rule or {}).get("parameters") or {}).get("required_status_checks", [])]
        if rule is not None:
            return PlatformFact(present=True, url=self._settings_url(),
                                summary=f"a ruleset requires {len(checks)} status check(s) on {self.branch}",
                                attributes={"source": "ruleset", "checks": sorted(c for c in checks if c)})
        summary = ((self._branch_info().get("protection") or {}).get("required_status_checks")) or {}
        contexts = list(summary.get("contexts") or []) + [c.get("context") for c in summary.get("checks") or []]
        enforced = summary.get("enforcement_level", "off") != "off" or bool(contexts)
        if self._branch_info().get("protected") and enforced:
            return PlatformFact(present=True, url=self._settings_url(),
                                summary=f"branch protection requires status checks on {self.branch}",
                                attributes={"source": "branch_protection", "checks": sorted({c for c in contexts if c})})
        return PlatformFact(present=False, url=self._settings_url(),
                            summary=f"no required status checks on {self.branch}",
                            attributes={"protected": bool(self._branch_info().get("protected"))})

    def _codeowner_reviews(self) -> PlatformFact:
        rule = self._rule("pull_request")
        if ((rule or {}).get("parameters") or {}).get("require_code_owner_review"):
            return PlatformFact(present=True, url=self._settings_url(), attributes={"source": "ruleset"},
                                summary=f"a ruleset requires code-owner review on {self.branch}")
        classic = self._classic()
        if ((classic or {}).get("required_pull_request_reviews") or {}).get("require_code_owner_reviews"):
            return PlatformFact(present=True, url=self._settings_url(), attributes={"source": "branch_protection"},
                                summary=f"branch protection requires code-owner review on {self.branch}")
        return PlatformFact(present=False, url=self._settings_url(),
                            summary=f"code-owner review is not required on {self.branch}")

    def _environments(self) -> PlatformFact:
        data = self._get("environments", "environments", {"per_page": 100})
        envs = (data or {}).get("environments") or []
        guarded = {}
        for env in envs:
            kinds = sorted({r.get("type") for r in env.get("protection_rules") or []} & {"required_reviewers", "wait_timer"})
            if kinds:
                guarded[env.get("name", "?")] = kinds
        url = f"{self.web_url}/settings/environments"
        if guarded:
            return PlatformFact(present=True, url=url, attributes={"environments": guarded, "total": len(envs)},
                                summary=f"{len(guarded)} of {len(envs)} environment(s) need reviewers or a wait timer: "
                                        + ", ".join(sorted(guarded)))
        return PlatformFact(present=False, url=url, attributes={"total": len(envs)},
                            summary=f"no environment with required reviewers ({len(envs)} environment(s))")

    def _reviewed_merges(self) -> PlatformFact:
        if not self.info.has_graphql:
            raise ApiForbidden("reviews of merged pull requests are read through GitHub's GraphQL API, "
                               "which needs GITHUB_TOKEN")
        if self.view is not None:
            self.view.prefetch()
        if not self.info.extras:
            from scanner.sources.github import _EXTRAS, run_graphql  # same query, without files
            data = run_graphql(self.session, "query($owner: String!, $name: String!, $sha: String!) "
                               "{ repository(owner: $owner, name: $name) { %s } }" % _EXTRAS,
                               {"owner": self.info.owner, "name": self.info.name, "sha": self.info.commit})
            self.info.extras = (data or {}).get("repository") or {}
        nodes = ((self.info.extras.get("pullRequests") or {}).get("nodes")) or []
        changes = []
        for pr in nodes:
            author = ((pr.get("author") or {}).get("login")) or ""
            approvers = {((r.get("author") or {}).get("login")) or "" for r in (pr.get("reviews") or {}).get("nodes") or []}
            changes.append((f"#{pr.get('number')}", author, approvers - {""}))
        return reviewed_merges_fact(changes, "pull request", f"{self.web_url}/pulls?q=is%3Amerged")

    def _runs(self) -> list[dict[str, Any]]:
        data = self._get("runs", "actions/runs", {"branch": self.branch, "per_page": RECENT_ITEMS,
                                                  "exclude_pull_requests": "true"})
        return (data or {}).get("workflow_runs") or []

    def _ci_runs(self) -> PlatformFact:
        runs = [(parse_time(r.get("created_at")), r.get("conclusion") or r.get("status") or "") for r in self._runs()]
        return recent_runs_fact(runs, f"workflow runs on {self.branch}", CI_DAYS, self.since(CI_DAYS),
                                f"{self.web_url}/actions", _SUCCESS)

    def _scheduled_runs(self) -> PlatformFact:
        runs = [r for r in self._runs() if r.get("event") == "schedule"]
        if not runs:  # the newest runs were all pushes: ask for scheduled ones alone
            data = self._get("scheduled", "actions/runs", {"event": "schedule", "per_page": RECENT_ITEMS})
            runs = (data or {}).get("workflow_runs") or []
        pairs = [(parse_time(r.get("created_at")), r.get("conclusion") or r.get("status") or "") for r in runs]
        return recent_runs_fact(pairs, "scheduled workflow runs", CI_DAYS, self.since(CI_DAYS),
                                f"{self.web_url}/actions?query=event%3Aschedule", _SUCCESS)

    def _deployments(self) -> PlatformFact:
        deps = self._get("deployments", "deployments", {"per_page": RECENT_ITEMS}, shape=list)
        since = self.since(DEPLOY_DAYS)
        recent = [d for d in deps if (parse_time(d.get("created_at")) or 0) >= since]
        envs = sorted({d.get("environment") or "?" for d in recent})
        url = f"{self.web_url}/deployments"
        if recent:
            return PlatformFact(present=True, url=url, attributes={"deployments": len(recent), "environments": envs},
                                summary=f"{len(recent)} deployment(s) in the last {DEPLOY_DAYS} days to " + ", ".join(envs))
        return PlatformFact(present=False, url=url, attributes={"deployments_read": len(deps)},
                            summary=f"no deployment in the last {DEPLOY_DAYS} days")

    def _releases(self) -> PlatformFact:
        releases = [r for r in self._get("releases", "releases", {"per_page": 10}, shape=list) if not r.get("draft")]
        url = f"{self.web_url}/releases"
        if releases:
            tags = [r.get("tag_name") for r in releases]
            return PlatformFact(present=True, url=url, attributes={"latest": tags[0], "tags": tags},
                                summary=f"releases exist (latest {tags[0]})")
        return PlatformFact(present=False, url=url, summary="no published release")

    def _contributors(self) -> PlatformFact:
        people = list(self.session.pages(f"{self.info.api_path}/contributors", {"per_page": 100}, limit=100))
        humans = sorted(p.get("login", "") for p in people if not is_bot_login(p.get("login", ""), p.get("type", "")))
        url = f"{self.web_url}/graphs/contributors"
        return PlatformFact(present=len(humans) > 1, url=url,
                            attributes={"count": len(humans), "bots": len(people) - len(humans),
                                        "logins": humans[:50], "count_is_lower_bound": len(people) >= 100},
                            summary=f"{len(humans)} human contributor(s)")

    def _archived(self) -> PlatformFact:
        archived = bool(self.info.repo.get("archived"))
        return PlatformFact(present=archived, url=self.web_url,
                            summary="the repository is archived (read-only)" if archived else "the repository is active")
