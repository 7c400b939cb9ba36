"""Tokens go to the API's own origin only: pagination links and redirects elsewhere are refused.

Every test registers a second host with ``responses`` and checks, from the requests that
``responses`` recorded, that the token never reached it. Also: the ETag cache and the rate-limit
gate count under their locks, and the cache is saved by write-then-rename.
"""
from __future__ import annotations

import json
import threading

import pytest
import responses

from fixtures.api.fake_gitlab import FakeGitLab
from scanner.sources.github import github_session
from scanner.sources.gitlab import gitlab_session
from scanner.sources.http_budget import (
    ApiError,
    ApiForeignHost,
    ApiSession,
    EtagCache,
    RateLimitGate,
    origin,
)
from scanner.sources.interface import TargetUnreadable
from scanner.org import list_repositories
from scanner.targets import ApiOptions
from test_gitlab_source import project, scan_target

GH_TOKEN = "ghp_security-test-000000000000"
GL_TOKEN = "glpat-security-test-0000000000"
GITHUB = "https://api.github.com"
GITLAB = "https://gitlab.com/api/v4"
EVIL = "https://evil.example.net"


def no_sleep(_: float) -> None:
    pass


def gate() -> RateLimitGate:
    return RateLimitGate(sleep=no_sleep)


def calls_to(host_url: str) -> list[responses.Call]:
    return [c for c in responses.calls if c.request.url.startswith(host_url)]


def attempt(action) -> ApiError | None:
    """The ApiError ``action`` raised, or None."""
    try:
        action()
    except ApiError as exc:
        return exc
    return None


def leaked(call: responses.Call) -> bool:
    headers = {k.lower(): v for k, v in call.request.headers.items()}
    return GL_TOKEN in headers.get("private-token", "") or GH_TOKEN in headers.get("authorization", "") \
        or any(tok in str(v) for v in headers.values() for tok in (GH_TOKEN, GL_TOKEN))


# -- origin matching -------------------------------------------------------------------------

def test_origin_compares_scheme_host_and_port():
    assert origin("https://GitLab.com/api/v4") == origin("https://gitlab.com:443/api/v4/x")
    assert origin("https://gitlab.com") != origin("http://gitlab.com")
    assert origin("https://gitlab.com") != origin("https://gitlab.com:8443")
    assert origin("https://gitlab.com") != origin("https://gitlab.com.evil.example.net")
    assert origin("https://gitlab.com") != origin("https://gitlab.com@evil.example.net")


# -- pagination links ------------------------------------------------------------------------

@responses.activate
def test_gitlab_next_link_to_another_host_is_refused_and_the_token_stays_home(monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", GL_TOKEN)
    responses.get(f"{GITLAB}/groups/acme/projects", json=[{"path_with_namespace": "acme/a"}],
                  headers={"Link": f'<{EVIL}/api/v4/groups/acme/projects?page=2>; rel="next"'})
    responses.get(f"{EVIL}/api/v4/groups/acme/projects", json=[{"path_with_namespace": "acme/stolen"}])
    s = gitlab_session("https://gitlab.com", gate=gate())
    raised = attempt(lambda: list(s.pages("groups/acme/projects", {"per_page": 1}, limit=10)))
    assert not any(leaked(c) for c in calls_to(EVIL)), "PRIVATE-TOKEN sent to another host"
    assert calls_to(EVIL) == []
    assert isinstance(raised, ApiForeignHost) and "another host" in raised.reason
    assert [leaked(c) for c in calls_to(GITLAB)] == [True]  # the API itself did get the token


@responses.activate
def test_next_link_downgrading_to_http_or_another_port_is_refused(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    for other in ("http://api.github.com", "https://api.github.com:8443"):
        responses.get(f"{GITHUB}/orgs/acme/repos", json=[{"full_name": "acme/a"}],
                      headers={"Link": f'<{other}/orgs/acme/repos?page=2>; rel="next"'})
        responses.get(f"{other}/orgs/acme/repos", json=[])
        with pytest.raises(ApiForeignHost):
            list(github_session(GITHUB, gate=gate()).pages("orgs/acme/repos", limit=10))
        assert calls_to(other) == []


@responses.activate
def test_next_link_on_the_same_origin_is_followed_with_the_token(monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", GL_TOKEN)
    responses.get(f"{GITLAB}/x", json=[1], headers={"Link": '<https://gitlab.com/api/v4/x?page=2>; rel="next"'},
                  match=[responses.matchers.query_param_matcher({})])
    responses.get(f"{GITLAB}/x", json=[2], match=[responses.matchers.query_param_matcher({"page": "2"})])
    s = gitlab_session("https://gitlab.com", gate=gate())
    assert list(s.pages("x", limit=10)) == [1, 2]
    assert len(responses.calls) == 2 and all(leaked(c) for c in responses.calls)


def test_org_listing_with_a_foreign_link_fails_cleanly_without_leaking(monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", GL_TOKEN)

    class HostileGitLab(FakeGitLab):
        def _paged(self, raw_path, query, items):
            status, headers, body = super()._paged(raw_path, query, items)
            if "Link" in headers:
                headers["Link"] = headers["Link"].replace(self.api, EVIL + "/api/v4")
            return status, headers, body

    fake = HostileGitLab(page_size=1)
    fake.add(project("acme/one"))
    fake.add(project("acme/two"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        mock.get(EVIL + "/api/v4/groups/acme/projects", json=[])
        with pytest.raises(TargetUnreadable, match="another host") as caught:
            list_repositories("gitlab", "acme", ApiOptions())
        evil = [c for c in mock.calls if c.request.url.startswith(EVIL)]
    assert evil == []
    assert GL_TOKEN not in str(caught.value)


def test_a_foreign_contributors_link_makes_the_signal_not_available(monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", GL_TOKEN)

    class HostileContributors(FakeGitLab):
        def _paged(self, raw_path, query, items):
            status, headers, body = super()._paged(raw_path, query, items)
            if raw_path.endswith("/repository/contributors") and "Link" in headers:
                headers["Link"] = headers["Link"].replace(self.api, EVIL + "/api/v4")
            return status, headers, body

    fake = HostileContributors(page_size=1)
    fake.add(project())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        mock.add_callback("GET", responses.matchers.re.compile(EVIL + r"/.*"),
                          callback=lambda request: (200, {}, "[]"))
        result = scan_target("gitlab:acme/ml/churn")
        evil = [c for c in mock.calls if c.request.url.startswith(EVIL)]
    assert evil == []
    signal = result.signals["platform.contributors"]
    assert signal.outcome.value == "not_available" and "another host" in signal.reason
    assert result.signals["platform.branch_protection"].outcome.value == "present"


# -- redirects -------------------------------------------------------------------------------

@responses.activate
def test_gitlab_redirect_to_another_host_is_not_followed_with_private_token(monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", GL_TOKEN)
    responses.get(f"{GITLAB}/projects/1", status=302, headers={"Location": f"{EVIL}/collect"})
    responses.get(f"{EVIL}/collect", json={"id": 1})
    s = gitlab_session("https://gitlab.com", gate=gate())
    raised = attempt(lambda: s.get("projects/1"))
    # requests drops Authorization on a cross-host redirect, but not PRIVATE-TOKEN
    assert not any(leaked(c) for c in calls_to(EVIL)), "PRIVATE-TOKEN sent to another host"
    assert calls_to(EVIL) == []
    assert isinstance(raised, ApiForeignHost) and raised.status == 302
    assert "redirect to another host" in raised.reason and GL_TOKEN not in raised.reason


@responses.activate
def test_raw_file_redirect_to_another_host_is_refused(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    responses.get(f"{GITHUB}/repos/a/b/contents/x", status=307, headers={"Location": f"{EVIL}/x"})
    responses.get(f"{EVIL}/x", body=b"data")
    with pytest.raises(ApiForeignHost):
        github_session(GITHUB, gate=gate()).get_bytes("repos/a/b/contents/x")
    assert calls_to(EVIL) == []


@responses.activate
def test_same_host_redirect_is_followed_with_the_token_and_counted(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    responses.get(f"{GITHUB}/repos/acme/old", status=301, headers={"Location": "/repositories/42"})
    responses.get(f"{GITHUB}/repositories/42", json={"full_name": "acme/new"})
    s = github_session(GITHUB, gate=gate())
    assert s.get("repos/acme/old").data == {"full_name": "acme/new"}
    assert s.requests_made == 2 and all(leaked(c) for c in responses.calls)


@responses.activate
def test_a_redirect_loop_ends_in_an_api_error():
    responses.get(f"{GITHUB}/loop", status=302, headers={"Location": f"{GITHUB}/loop"})
    with pytest.raises(ApiError, match="redirects"):
        ApiSession(GITHUB, gate=gate()).get("loop")


@responses.activate
def test_absolute_url_on_another_host_gets_no_token(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    responses.get(f"{EVIL}/x", json={})
    github_session(GITHUB, gate=gate()).get(f"{EVIL}/x")
    assert len(calls_to(EVIL)) == 1 and not leaked(calls_to(EVIL)[0])


# -- counters under locks, atomic cache save --------------------------------------------------

class LockCheckedCache(EtagCache):
    """Records whether the lock was held each time ``hits`` changes after construction."""

    def __setattr__(self, name, value):
        if name == "hits" and "hits" in self.__dict__:
            self.__dict__.setdefault("held", []).append(self._lock.locked())
        super().__setattr__(name, value)


class LockCheckedGate(RateLimitGate):
    """Records whether the lock was held each time ``waited`` changes after construction."""

    def __setattr__(self, name, value):
        if name == "waited" and "waited" in self.__dict__:
            self.__dict__.setdefault("held", []).append(self._lock.locked())
        super().__setattr__(name, value)


@responses.activate
def test_cache_hits_are_counted_under_the_lock():
    responses.get(f"{GITHUB}/x", json={"v": 1}, headers={"ETag": '"e"'})
    responses.get(f"{GITHUB}/x", status=304)
    cache = LockCheckedCache()
    s = ApiSession(GITHUB, gate=gate(), cache=cache)
    s.get("x")
    assert s.get("x").from_cache
    assert cache.hits == 1 and cache.held == [True]


def test_gate_waits_are_counted_under_the_lock():
    now = [1000.0]
    g = LockCheckedGate(sleep=no_sleep, clock=lambda: now[0])
    g.hold_until(1010.0, "test")
    g.wait()
    g.wait()
    assert g.waited == 20.0 and g.held == [True, True]


def test_concurrent_counters_lose_no_update():
    cache = EtagCache()
    g = RateLimitGate(sleep=no_sleep, clock=lambda: 0.0)
    g.hold_until(1.0, "test")

    def work():
        for _ in range(500):
            cache.hit()
            g.wait()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.hits == 4000 and g.waited == 4000.0


def test_cache_save_writes_then_renames(tmp_path, monkeypatch):
    path = tmp_path / "etags.json"
    cache = EtagCache(path)
    cache.put("k1", '"a"', "one", {})
    cache.save()
    cache.put("k2", '"b"', "two", {})

    def broken_replace(src, dst):
        raise OSError("disk went away")

    monkeypatch.setattr("scanner.sources.http_budget.os.replace", broken_replace)
    with pytest.raises(OSError):
        cache.save()
    assert set(json.loads(path.read_text())) == {"k1"}  # the earlier cache is whole, not half-written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["etags.json"]  # no temporary file left
    monkeypatch.undo()
    cache.save()
    assert set(json.loads(path.read_text())) == {"k1", "k2"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["etags.json"]
