"""Org scans: listing with pagination and filters, concurrency, a failure mid-scan, resume."""
from __future__ import annotations

import json

import pytest
import responses
from click.testing import CliRunner

from fixtures.api.fake_github import FakeGitHub, FakeRepo
from fixtures.api.fake_gitlab import FakeGitLab
from scanner.cli import main
from scanner.org import OrgScanner, list_repositories, parse_org, result_file
from scanner.org_report import summarise
from scanner.rules_engine import load_rules
from scanner.sources.org_listing import OrgFilter
from scanner.targets import ApiOptions, TargetError
from test_github_source import NOW, TOKEN, well_run_repo
from test_gitlab_source import project


def org_of(n: int, fake: FakeGitHub) -> None:
    for i in range(n):
        repo = well_run_repo(f"model-{i:02d}") if i % 2 == 0 else FakeRepo(owner="acme", name=f"model-{i:02d}", files={"README.md": "# x\n"})
        repo.sha = f"{i:02d}" + repo.sha[2:]
        fake.add(repo)


@pytest.fixture
def gh(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    fake = FakeGitHub(page_size=4)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        yield fake


def run_org(*args: str):
    return CliRunner().invoke(main, ["org", *args], catch_exceptions=False)


def test_parse_org_targets():
    assert parse_org("github:acme") == ("github", "acme")
    assert parse_org("gitlab:acme/ml") == ("gitlab", "acme/ml")
    for bad in ("github:acme/churn", "bitbucket:acme", "github:"):
        with pytest.raises(TargetError):
            parse_org(bad)


def test_listing_follows_pages_and_filters(gh):
    org_of(10, gh)
    gh.repos["acme/model-03"].archived = True
    gh.repos["acme/model-04"].fork = True
    listed = list_repositories("github", "acme", ApiOptions(now=NOW))
    assert len(listed) == 10 and sum(c.startswith("/orgs/acme/repos") for c in gh.calls) == 3
    kept = OrgFilter(include=("model-0*",), exclude=("*-01",), skip_archived=True, skip_forks=True, limit=4).apply(listed)
    assert [r.path for r in kept] == ["acme/model-00", "acme/model-02", "acme/model-05", "acme/model-06"]


def test_org_scan_keeps_every_result_when_one_repository_fails(gh, tmp_path, monkeypatch):
    monkeypatch.setattr("scanner.sources.http_budget.BACKOFF", (0.0, 0.0, 0.0))  # retried without waiting
    org_of(6, gh)
    gh.repos["acme/model-03"].fail_tree = 500  # the API fails on this one, after retries
    res = run_org("github:acme", "--out-dir", str(tmp_path), "--workers", "3", "--format", "json", "-q")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["counts"] == {"scanned": 5, "resumed": 0, "failed": 1}
    assert report["failed"][0]["path"] == "acme/model-03" and "HTTP 500" in report["failed"][0]["error"]
    files = sorted(p.name for p in tmp_path.glob("acme__*.json"))
    assert files == [result_file(f"acme/model-{i:02d}") for i in (0, 1, 2, 4, 5)]
    bundle = json.loads((tmp_path / result_file("acme/model-00")).read_text())
    assert bundle["signals"]["platform.branch_protection"]["outcome"] == "present"
    assert report["distribution"]["collaboration"] and sum(report["distribution"]["governance"].values()) == 5
    assert report["weakest_dimension"] in report["mean_level"]
    assert json.loads((tmp_path / "org-report.json").read_text())["counts"]["failed"] == 1
    assert TOKEN not in res.stdout + res.stderr


def test_rerun_resumes_repositories_at_the_same_commit(gh, tmp_path):
    org_of(3, gh)
    run_org("github:acme", "--out-dir", str(tmp_path), "-q")
    gh.repos["acme/model-01"].sha = "ff" + gh.repos["acme/model-01"].sha[2:]  # a new commit
    gh.calls.clear()
    res = run_org("github:acme", "--out-dir", str(tmp_path), "--format", "json", "-q")
    report = json.loads(res.stdout)
    status = {r["path"]: r["status"] for r in report["repositories"]}
    assert status == {"acme/model-00": "resumed", "acme/model-01": "scanned", "acme/model-02": "resumed"}
    assert not any(c.startswith("/repos/acme/model-00/git/trees") for c in gh.calls)


def test_strict_errors_exit_code_and_text_report(gh, tmp_path):
    org_of(2, gh)
    gh.repos["acme/model-01"].fail_tree = 404
    res = run_org("github:acme", "--out-dir", str(tmp_path), "--strict-errors", "-q")
    assert res.exit_code == 1
    assert "FAILED acme/model-01" in res.stdout and "weakest dimension" in res.stdout


def test_budget_shared_across_the_org_makes_late_repositories_fail_not_vanish(gh, tmp_path):
    org_of(4, gh)
    res = run_org("github:acme", "--out-dir", str(tmp_path), "--workers", "1", "--max-requests", "20",
                  "--format", "json", "-q")
    report = json.loads(res.stdout)
    assert len(report["repositories"]) == 4
    assert any("--max-requests" in (r["error"] or "") for r in report["repositories"])


def test_gitlab_group_with_subgroups(monkeypatch, tmp_path):
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-secret-0000")
    fake = FakeGitLab(group="acme")
    fake.add(project("acme/churn"))
    fake.add(project("acme/ml/ranker"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        options = ApiOptions(now=NOW)
        listed = list_repositories("gitlab", "acme", options)
        outcome = OrgScanner(load_rules(), tmp_path, options, workers=2).run("gitlab:acme", listed, len(listed))
    report = summarise(outcome)
    assert [r["path"] for r in report["repositories"]] == ["acme/churn", "acme/ml/ranker"]
    assert report["counts"]["scanned"] == 2
    assert fake.calls[0] == "/groups/acme/projects"
