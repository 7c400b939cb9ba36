"""Rate limits, retries, budgets and conditional requests of the API session (GitHub answers)."""
from __future__ import annotations

import pytest
import responses

from fixtures.api.fake_github import RATE, FakeGitHub
from scanner.sources.http_budget import (
    ApiForbidden,
    ApiRateLimited,
    ApiSession,
    ApiUnavailable,
    BudgetExhausted,
    EtagCache,
    RateLimitGate,
    RequestBudget,
)
from test_github_source import NOW, TOKEN, options, well_run_repo
from scanner.engine import scan
from scanner.rules_engine import load_rules
from scanner.targets import resolve

API = "https://api.github.com"


class Clock:
    """A fake clock whose sleep advances time, so tests never wait."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def session(clock: Clock, **kw) -> ApiSession:
    return ApiSession(API, gate=RateLimitGate(sleep=clock.sleep, clock=clock.time), **kw)


@responses.activate
def test_secondary_rate_limit_waits_for_retry_after_then_succeeds():
    clock = Clock()
    responses.get(f"{API}/repos/a/b", status=403, headers={"Retry-After": "7"},
                  json={"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})
    responses.get(f"{API}/repos/a/b", json={"full_name": "a/b"}, headers=RATE)
    s = session(clock)
    assert s.get("repos/a/b").data == {"full_name": "a/b"}
    assert clock.slept == [7.0] and s.requests_made == 2


@responses.activate
def test_spent_primary_limit_pauses_until_reset():
    clock = Clock()
    reset = int(clock.now) + 30
    responses.get(f"{API}/x", json=[], headers={**RATE, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    responses.get(f"{API}/y", json=[], headers=RATE)
    s = session(clock)
    s.get("x")
    s.get("y")
    assert clock.slept == [30.0]


@responses.activate
def test_a_reset_too_far_away_gives_up_with_rate_limited():
    clock = Clock()
    responses.get(f"{API}/x", status=403, json={"message": "API rate limit exceeded for user ID 1."},
                  headers={**RATE, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(clock.now) + 3600)})
    with pytest.raises(ApiRateLimited, match="resets in"):
        session(clock).get("x")


@responses.activate
def test_5xx_is_retried_with_backoff_then_reported_unavailable():
    clock = Clock()
    for _ in range(4):
        responses.get(f"{API}/x", status=502, body="<html>Bad gateway</html>")
    with pytest.raises(ApiUnavailable, match="HTTP 502"):
        session(clock).get("x")
    assert clock.slept == [0.5, 1.0, 2.0]


@responses.activate
def test_5xx_then_success():
    clock = Clock()
    responses.get(f"{API}/x", status=503)
    responses.get(f"{API}/x", json={"ok": True})
    assert session(clock).get("x").data == {"ok": True}


@responses.activate
def test_a_plain_403_is_forbidden_not_retried():
    clock = Clock()
    responses.get(f"{API}/x", status=403, json={"message": "Must have admin rights to Repository."})
    with pytest.raises(ApiForbidden, match="admin rights"):
        session(clock).get("x")
    assert clock.slept == []


@responses.activate
def test_budget_stops_before_sending():
    responses.get(f"{API}/x", json={})
    s = session(Clock(), budget=RequestBudget(1))
    s.get("x")
    with pytest.raises(BudgetExhausted):
        s.get("x")
    assert len(responses.calls) == 1


@responses.activate
def test_conditional_request_replays_the_cached_body_on_304(tmp_path):
    responses.get(f"{API}/x", json={"v": 1}, headers={"ETag": '"abc"', "Link": '<https://api.github.com/x?page=2>; rel="next"'})
    responses.get(f"{API}/x", status=304, match=[responses.matchers.header_matcher({"If-None-Match": '"abc"'})])
    cache = EtagCache(tmp_path / "etags.json")
    s = session(Clock(), cache=cache)
    first = s.get("x")
    cache.save()
    again = session(Clock(), cache=EtagCache(tmp_path / "etags.json")).get("x")
    assert first.data == again.data == {"v": 1} and again.from_cache
    assert "next" in again.headers["Link"]


def test_secondary_limit_mid_scan_and_budget_in_a_full_scan(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    fake = FakeGitHub()
    fake.add(well_run_repo())
    fake.secondary_limit_once.add("/repos/acme/churn/environments")
    clock = Clock(NOW)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        opts = options(gate=RateLimitGate(sleep=clock.sleep, clock=clock.time), budget=RequestBudget(10))
        resolved = resolve("github:acme/churn", options=opts)
        result = scan(resolved.repo, load_rules(), target=resolved.target, platform=resolved.platform)
    assert clock.slept == [1.0]  # Retry-After of the secondary limit
    assert result.signals["platform.protected_environments"].outcome.value == "present"
    # the budget of 10 ran out before the last facts: they are not_available, never absent
    late = [s for s in ("platform.releases", "platform.contributors")
            if result.signals[s].outcome.value == "not_available"]
    assert late and "--max-requests" in result.signals[late[0]].reason


@responses.activate
def test_the_answer_that_spends_the_last_point_keeps_its_data_and_the_next_request_gives_up():
    """Before: the reset an hour away raised on the answer that carried the data, losing it."""
    clock = Clock()
    reset = int(clock.now) + 3600
    responses.get(f"{API}/repos/a/b", json={"full_name": "a/b"},
                  headers={**RATE, "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    s = session(clock)
    assert s.get("repos/a/b").data == {"full_name": "a/b"}
    with pytest.raises(ApiRateLimited, match="rate limit spent: resets in 3600 s"):
        s.get("repos/a/b")
    assert s.requests_made == 1 and clock.slept == []  # the second request was never sent

