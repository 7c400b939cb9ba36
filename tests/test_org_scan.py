"""Org scans: listing with pagination and filters, concurrency, a failure mid-scan, resume."""
from __future__ import annotations

import json
import os

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


def scan_gitlab_group(monkeypatch, out_dir, group: str, *paths: str):
    """An org scan of a GitLab group (behind the API double) holding ``paths``: (fake, outcome)."""
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-secret-0000")
    fake = FakeGitLab(group=group)
    for path in paths:
        fake.add(project(path))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        options = ApiOptions(now=NOW)
        listed = list_repositories("gitlab", group, options)
        outcome = OrgScanner(load_rules(), out_dir, options, workers=2).run(f"gitlab:{group}", listed, len(listed))
    return fake, outcome


def test_gitlab_group_with_subgroups(monkeypatch, tmp_path):
    fake, outcome = scan_gitlab_group(monkeypatch, tmp_path, "acme", "acme/churn", "acme/ml/ranker")
    report = summarise(outcome)
    assert [r["path"] for r in report["repositories"]] == ["acme/churn", "acme/ml/ranker"]
    assert report["counts"]["scanned"] == 2
    assert fake.calls[0] == "/groups/acme/projects"


def _edit(path, change) -> None:
    bundle = json.loads(path.read_text())
    change(bundle)
    path.write_text(json.dumps(bundle))


def test_rerun_rescans_when_the_rules_or_the_tool_version_changed(gh, tmp_path):
    org_of(4, gh)
    run_org("github:acme", "--out-dir", str(tmp_path), "-q")
    _edit(tmp_path / result_file("acme/model-00"), lambda b: b["rules"].update(sha256="0" * 64))
    _edit(tmp_path / result_file("acme/model-01"), lambda b: b["tool"].update(version="0.0.1"))
    _edit(tmp_path / result_file("acme/model-02"), lambda b: b.pop("rules"))
    gh.calls.clear()
    report = json.loads(run_org("github:acme", "--out-dir", str(tmp_path), "--format", "json", "-q").stdout)
    status = {r["path"]: r["status"] for r in report["repositories"]}
    assert status == {"acme/model-00": "scanned", "acme/model-01": "scanned", "acme/model-02": "scanned",
                      "acme/model-03": "resumed"}
    assert any(c.startswith("/repos/acme/model-00/git/trees") for c in gh.calls)
    assert not any(c.startswith("/repos/acme/model-03/git/trees") for c in gh.calls)
    rescanned = json.loads((tmp_path / result_file("acme/model-00")).read_text())
    assert rescanned["rules"]["sha256"] == load_rules().sha256


@pytest.mark.parametrize("damage", [lambda b: b.pop("target"), lambda b: b.update(target=None),
                                    lambda b: b["target"].pop("commit")],
                         ids=["no-target", "null-target", "no-commit"])
def test_a_stored_result_without_its_target_is_rescanned_not_failed(gh, tmp_path, damage):
    org_of(2, gh)
    run_org("github:acme", "--out-dir", str(tmp_path), "-q")
    _edit(tmp_path / result_file("acme/model-00"), damage)
    (tmp_path / result_file("acme/model-01")).write_text("[]")  # valid JSON, not a result
    report = json.loads(run_org("github:acme", "--out-dir", str(tmp_path), "--format", "json", "-q").stdout)
    assert {r["path"]: r["status"] for r in report["repositories"]} == {
        "acme/model-00": "scanned", "acme/model-01": "scanned"}
    assert json.loads((tmp_path / result_file("acme/model-00")).read_text())["target"]["commit"] == \
        gh.repos["acme/model-00"].sha


def test_result_file_names_are_injective():
    paths = ["g/a/b", "g/a__b", "g__a/b", "g/a_/b", "g/a/_b", "g/a___b", "g/a b", "g/a_b", "g/a%b",
             "acme/model-00", "acme/Model-00", "g/a.b", "g/a-b", "a//b", "a/__b"]
    names = [result_file(p) for p in paths]
    assert len(set(names)) == len(paths)
    assert result_file("acme/model-00") == "acme__model-00.json"  # plain paths keep readable names
    assert result_file("g/a/b") != result_file("g/a__b")
    assert all("/" not in n and n.endswith(".json") for n in names)


def test_projects_whose_flattened_paths_clash_get_separate_results(monkeypatch, tmp_path):
    _, outcome = scan_gitlab_group(monkeypatch, tmp_path, "g", "g/a/b", "g/a__b")
    files = {o.path: o.file for o in outcome.outcomes}
    assert [o.status for o in outcome.outcomes] == ["scanned", "scanned"]
    assert len(set(files.values())) == 2
    for path, name in files.items():
        assert json.loads((tmp_path / name).read_text())["target"]["name"] == path


def test_concurrent_writes_of_one_result_use_separate_temporary_files(tmp_path, monkeypatch):
    """A second write that lands while the first is being renamed must not take its temporary file."""
    import scanner.org as org

    target = tmp_path / "acme__x.json"
    real_replace = os.replace
    renamed: list[str] = []

    def replace_with_a_write_in_between(src, dst):
        if not renamed:
            renamed.append(str(src))
            org._write_atomically(target, "second")  # another thread finishing its own write
        else:
            renamed.append(str(src))
        real_replace(src, dst)

    monkeypatch.setattr(org.os, "replace", replace_with_a_write_in_between)
    org._write_atomically(target, "first")
    assert len(set(renamed)) == 2
    assert target.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["acme__x.json"]


def _deep_module(i: int) -> str:
    """A module deep enough that concurrent parses overlap (CPython 3.11's ``ast.parse`` from
    several threads at once can fail with "AST constructor recursion depth mismatch")."""
    nested = "x = " + "(" * 60 + "1" + ")" * 60 + "\n"
    body = "".join(f"def step_{k}(df):\n    return [{', '.join(f'df[{j}]' for j in range(20))}]\n\n" for k in range(40))
    return f"import mlflow\nimport pandas as pd\n{nested}{body}mlflow.log_metric('m{i}', 1)\n"


def _bundles(folder) -> dict[str, dict]:
    """Each bundle without what the clock decides (timings, "since" windows)."""
    def timeless(value):
        if isinstance(value, dict):
            return {k: timeless(v) for k, v in value.items() if k not in ("started_at", "finished_at", "seconds", "since")}
        return [timeless(v) for v in value] if isinstance(value, list) else value
    return {path.name: timeless(json.loads(path.read_text())) for path in sorted(folder.glob("acme__*.json"))}


def test_one_worker_and_four_workers_give_the_same_bundles(gh, tmp_path):
    for i in range(8):
        files = {f"src/pkg/mod_{k}.py": _deep_module(k) for k in range(12)}
        files.update(well_run_repo().files)
        repo = FakeRepo(owner="acme", name=f"svc-{i}", files=files)
        repo.sha = f"{i:02d}" + repo.sha[2:]
        gh.add(repo)
    one, four = tmp_path / "one", tmp_path / "four"
    for folder, workers in ((one, "1"), (four, "4")):
        res = run_org("github:acme", "--out-dir", str(folder), "--workers", workers, "--format", "json", "-q")
        assert res.exit_code == 0 and json.loads(res.stdout)["counts"]["failed"] == 0
    a, b = _bundles(one), _bundles(four)
    assert len(a) == 8 and a == b
    assert not any(b_["errors"] for b_ in b.values())
