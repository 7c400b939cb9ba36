"""Faults of a flaky network or a hostile server, injected by real servers on 127.0.0.1.

Each case scans ``github:acme/demo`` through the command line against a loopback server that
answers like GitHub's REST API, with one fault: the scan ends in bounded time (short deadlines
here), exits as documented, and what the fault kept from being read is an error or
``not_available`` with the reason, never an absence. The tracking-server source meets the same
faults at the end.
"""
from __future__ import annotations

import json
import threading
import time

import pytest
from click.testing import CliRunner

from fault_servers import (
    LOGIN_PAGE,
    NAME,
    OWNER,
    abuse,
    drip,
    fake_github,
    hang,
    huge,
    rate_limited,
    redirect_to,
    serve,
    status,
)
from scanner.cli import main
from scanner.deadline import Deadline
from scanner.sources.http_budget import ApiRateLimited, ApiSession, RateLimitGate
from scanner.sources.mlflow_server import MLflowQueryFailed, MLflowSource, MLflowUnavailable

#: no case may take longer than this (the deadlines given are a few seconds)
BOUND = 15.0


@pytest.fixture(autouse=True)
def _no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GITHUB_TOKEN", "GITLAB_TOKEN", "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def _no_request_outlives_its_server():
    """A request given up on at a deadline is left to end with its connection: once the server
    is gone, no such thread may be left (a leftover would also keep later scans from forking)."""
    yield
    end = time.monotonic() + 5
    while time.monotonic() < end and _requests_in_flight():
        time.sleep(0.05)
    assert not _requests_in_flight()


def _requests_in_flight() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("api-")]


def scan(server, *extra: str, timeout: float = 4) -> tuple[int, dict | None, str, float]:
    """(exit code, bundle or None, what was said on stderr, seconds) of a scan of the fake."""
    started = time.monotonic()
    res = CliRunner().invoke(main, ["scan", f"github:{OWNER}/{NAME}", "--github-url", server.url,
                                    "--timeout", str(timeout), "--format", "json", "-q", *extra])
    seconds = time.monotonic() - started
    bundle = json.loads(res.stdout) if res.stdout.startswith("{") else None
    return res.exit_code, bundle, res.stderr, seconds


def repository_signals(bundle: dict) -> dict[str, dict]:
    return {k: v for k, v in bundle["signals"].items() if not k.startswith(("platform.", "mlflow."))}


def assert_nothing_unread_is_absent(bundle: dict, words: str) -> None:
    signals = repository_signals(bundle)
    assert not [k for k, v in signals.items() if v["outcome"] == "absent"]
    assert any(words in (v.get("reason") or "") for v in signals.values() if v["outcome"] == "not_available")
    assert any(words in e["message"] for e in bundle["errors"])


# -- the healthy fake first: the faults below are the only difference ------------------------

def test_the_fake_answers_like_github() -> None:
    with serve(fake_github()) as server:
        code, bundle, _, _ = scan(server)
    assert code == 0 and bundle is not None
    assert bundle["signals"]["deploy.ci_present"]["outcome"] == "present"
    assert bundle["coverage"]["sources"]["repository"]["files_read"] >= 5
    assert not [e for e in bundle["errors"] if e["source"] == "repository"]


# -- deadlines ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path, fault, timeout, words", [
    (r"/contents/train\.py$", drip, 3, "deadline (--timeout 3 s)"),
    (r"/contents/README\.md$", rate_limited(100), 5,
     "resets in 100 s, after the scan's deadline (--timeout 5 s) ends"),
    (r"/contents/train\.py$", abuse, 5, "rate limited (HTTP 403): resets in 60 s"),
], ids=["drip", "retry-after-past-the-deadline", "secondary-limit-past-the-deadline"])
def test_a_file_held_back_past_the_deadline_is_not_available_and_the_scan_ends(path, fault, timeout, words) -> None:
    with serve(fake_github(), [(path, fault)]) as server:
        code, bundle, _, seconds = scan(server, timeout=timeout)
    assert code == 0 and seconds < BOUND
    assert_nothing_unread_is_absent(bundle, words)


def test_a_tree_listing_that_never_answers_fails_the_target_at_the_deadline() -> None:
    with serve(fake_github(), [(r"/git/trees/", hang)]) as server:
        code, bundle, said, seconds = scan(server, timeout=2)
    assert code == 3 and bundle is None and seconds < BOUND
    assert "cannot list files" in said and "deadline (--timeout 2 s)" in said


def test_retry_after_an_hour_is_not_waited_for() -> None:
    with serve(fake_github(), [(r"/repos/acme/demo$", rate_limited(3600))]) as server:
        code, _, said, seconds = scan(server, timeout=30)
    assert code == 3 and seconds < BOUND and "resets in 3600 s, beyond the 120 s we wait" in said


def test_a_secondary_rate_limit_without_retry_after_waits_at_most_two_minutes() -> None:
    slept: list[float] = []
    now = [1_000_000.0]

    def sleep(seconds: float) -> None:  # the clock moves, nobody waits
        slept.append(seconds)
        now[0] += seconds

    with serve(fake_github(), [(r"/contents/", abuse)]) as server:
        session = ApiSession(server.url, gate=RateLimitGate(sleep=sleep, clock=lambda: now[0]))
        with pytest.raises(ApiRateLimited, match="beyond the 120 s we wait"):
            session.get_bytes(f"repos/{OWNER}/{NAME}/contents/train.py")
        calls = [c for c in server.seen if "/contents/" in c]
    assert sum(slept) <= 120 and slept == [60.0, 60.0] and len(calls) == 3


# -- truncated and garbled listings ------------------------------------------------------------

def test_a_truncated_tree_is_read_folder_by_folder() -> None:
    with serve(fake_github(truncated_tree=True)) as server:
        code, bundle, _, _ = scan(server)
    assert code == 0
    repo = bundle["coverage"]["sources"]["repository"]
    assert repo["files"] == 6 and "unread_folders" not in repo


def test_a_folder_of_a_truncated_tree_that_cannot_be_listed_is_not_available() -> None:
    with serve(fake_github(truncated_tree=True), [(r"/git/trees/tree-src$", status(500, "{}"))]) as server:
        code, bundle, _, _ = scan(server)
    assert code == 0 and bundle["coverage"]["sources"]["repository"]["unread_folders"] == ["src"]
    assert_nothing_unread_is_absent(bundle, "could not be listed")


def test_garbled_pagination_is_no_history_not_zero_commits() -> None:
    def garbled(h) -> None:
        if "page=2" in h.path:
            h.send(200, '[{"sha": "deadbeef", "commit": ', "application/json")  # cut short
        else:
            h.server.app(h)

    with serve(fake_github(), [(r"/repos/acme/demo/commits$", garbled)]) as server:
        code, bundle, _, _ = scan(server)
    assert code == 0 and bundle["coverage"]["sources"]["repository"]["history"] is None
    history = [v for k, v in bundle["signals"].items() if k in ("collaboration.multiple_contributors",)]
    assert history and all(v["outcome"] == "not_available" for v in history)


# -- answers that are not what the endpoint returns -------------------------------------------

@pytest.mark.parametrize("fault, words", [
    (status(200, LOGIN_PAGE, "text/html"), "got an HTML page"),
    (status(200, "[]"), "got a JSON list"),
    (status(200, ""), "got an empty answer"),
])
def test_a_repository_answer_that_is_no_repository_fails_the_target(fault, words: str) -> None:
    with serve(fake_github(), [(r"/repos/acme/demo$", fault)]) as server:
        code, bundle, said, _ = scan(server)
    assert code == 3 and bundle is None and words in said and "Traceback" not in said


def test_a_tree_that_is_a_list_fails_the_target_with_the_reason() -> None:
    with serve(fake_github(), [(r"/git/trees/", status(200, "[]"))]) as server:
        code, _, said, _ = scan(server)
    assert code == 3 and "cannot list files (file tree: expected a JSON object, got a JSON list)" in said


def test_a_login_page_for_the_history_leaves_the_rest_of_the_scan() -> None:
    with serve(fake_github(), [(r"/repos/acme/demo/commits$", status(200, LOGIN_PAGE, "text/html"))]) as server:
        code, bundle, _, _ = scan(server)
    assert code == 0 and bundle["signals"]["deploy.ci_present"]["outcome"] == "present"
    assert bundle["coverage"]["sources"]["repository"]["history"] is None
    assert bundle["signals"]["collaboration.multiple_contributors"]["outcome"] == "not_available"


# -- redirects and size ------------------------------------------------------------------------

def test_a_redirect_to_another_port_is_not_followed_and_carries_no_token(monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_faultinjectiontoken000000000000000000")
    with serve(fake_github()) as elsewhere:
        with serve(fake_github(), [(r"/contents/train\.py$", redirect_to(elsewhere.url))]) as server:
            code, bundle, said, _ = scan(server)
        assert elsewhere.seen == []  # never asked, so never handed the token
    assert code == 0 and "ghp_faultinjection" not in json.dumps(bundle) + said
    assert_nothing_unread_is_absent(bundle, "redirect to another host")


def test_a_200_mb_answer_is_refused_at_the_cap() -> None:
    with serve(fake_github(), [(r"/contents/train\.py$", huge(200 << 20))]) as server:
        code, bundle, _, seconds = scan(server, timeout=60)
        sent = server.bytes_sent
    assert code == 0 and seconds < BOUND
    assert sent < 100 << 20  # the reader stopped at the 64 MiB cap, not at the end
    assert_nothing_unread_is_absent(bundle, "an answer larger than 67108864 bytes, refused")


# -- the tracking server meets the same faults ------------------------------------------------

def _not_found(h) -> None:
    h.json({"error_code": "ENDPOINT_NOT_FOUND", "message": "no such endpoint"}, 404)


def test_a_dripping_tracking_server_is_cut_at_the_deadline() -> None:
    with serve(_not_found, [(r"experiments/search", drip)]) as server:
        started = time.monotonic()
        source = MLflowSource(server.url, timeout=1, deadline=Deadline(2))
        with pytest.raises(MLflowUnavailable, match=r"deadline \(--timeout 2 s\)"):
            source.experiments()
    assert time.monotonic() - started < BOUND


@pytest.mark.parametrize("fault, words", [
    (huge(200 << 20), "larger than 67108864 bytes, refused"),
    (lambda h: h.send(200, '{"experiments": [' + ",".join(['{"experiment_id": "1", "name": "e"}'] * 1_000_000) + "]}"),
     "1000000 items where at most 1000 were asked for"),
])
def test_a_huge_tracking_server_answer_is_refused(fault, words: str) -> None:
    with serve(_not_found, [(r"experiments/search", fault)]) as server:
        with pytest.raises(MLflowQueryFailed, match=words):
            MLflowSource(server.url, timeout=10, deadline=Deadline(30)).experiments()

