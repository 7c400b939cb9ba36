"""Hosting-platform signals (``platform.*``), read live from the GitHub or GitLab API.

Reads ``ctx.platform`` (a :class:`scanner.sources.platform.PlatformSource`). Settings confirmed
on the platform (protection, rulesets, environments, archived) are ``live`` evidence; things
that happened there (merged reviews, runs, deployments, releases, contributors) are ``executed``.
"""
from __future__ import annotations

from typing import Iterator

from scanner.detector import Detector, ScanContext
from scanner.model import Evidence, Location, Outcome, Tier
from scanner.sources.http_budget import ApiError, ApiForbidden, ApiNotFound, ApiRateLimited, ApiUnavailable, BudgetExhausted
from scanner.sources.platform import EXECUTED, SIGNALS, PlatformSource

#: failures that mean "could not check" (rights, plan, limits, outage), not a detector fault.
_NOT_AVAILABLE = (ApiForbidden, ApiNotFound, ApiRateLimited, ApiUnavailable, BudgetExhausted)


class PlatformDetector(Detector):
    """Platform facts of a ``github:``/``gitlab:`` target, one API question per signal.

    - branch_protection: the default branch needs >= 1 approving review (GitHub rulesets or
      classic protection; GitLab approval rules).
    - required_checks: merging needs passing status checks / a successful pipeline.
    - codeowner_reviews: code-owner review/approval is required.
    - protected_environments: an environment needs reviewers/approvals (or a wait timer).
    - reviewed_merges: >= 80% of the last 30 merged pull/merge requests were approved by
      someone other than the author.
    - ci_runs_recent / scheduled_runs_recent: a (scheduled) run succeeded in the last 30 days.
    - deployments_recent: a deployment in the last 90 days.
    - releases: a published release exists.
    - contributors: more than one human contributor (bots left out; count in attributes).
    - archived: the repository is archived (an anti-signal).

    A fact the token may not read (classic protection needs admin rights, approval rules need
    GitLab Premium) is ``not_available`` with the reason; an absent fact yields ``absent``
    evidence carrying what was seen.
    """

    id = "platform"
    sources = ("platform",)
    signals = SIGNALS

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        source: PlatformSource = ctx.platform
        for signal in self.signals:
            yield self._one(source, signal)

    def _one(self, source: PlatformSource, signal: str) -> Evidence:
        where = Location(path=f"{source.api} API", url=source.web_url)
        try:
            fact = source.fact(signal)
        except ApiError as exc:
            outcome = Outcome.NOT_AVAILABLE if isinstance(exc, _NOT_AVAILABLE) else Outcome.ERROR
            return self.evidence(signal, exc.reason, where, tier=None, outcome=outcome,
                                 failure=exc.__class__.__name__, status=exc.status)
        location = Location(path=f"{source.api} API", url=fact.url or source.web_url)
        tier = Tier.EXECUTED if signal in EXECUTED else Tier.LIVE
        if fact.present:
            return self.evidence(signal, fact.summary, location, tier=tier, **dict(fact.attributes))
        return self.evidence(signal, fact.summary, location, tier=None, outcome=Outcome.ABSENT,
                             **dict(fact.attributes))
