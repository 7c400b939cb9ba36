"""Scanning github:owner/repo through a GitHub API double (responses)."""
from __future__ import annotations

import json

import jsonschema
import pytest
import responses
from click.testing import CliRunner

from fixtures.api.fake_github import FakeGitHub, FakeRepo, pr, run
from scanner.engine import scan
from scanner.reporting.json_report import to_dict
from scanner.rules_engine import load_rules
from scanner.sources.interface import TargetUnreadable
from scanner.targets import ApiOptions, TargetError, parse_remote, resolve

NOW = 1_780_000_000.0  # 2026-05-28
TOKEN = "ghp_test0000000000000000000000000000secret"
FILES = {
    "README.md": "# Churn\n\n## Installation\n\n```bash\npip install -e .\npython train.py\n```\n",
    "train.py": "import mlflow\nmlflow.log_param('a', 1)\nmlflow.log_metric('acc', 0.9)\n",
    ".github/workflows/ci.yml": "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n",
    "CODEOWNERS": "* @acme/ml\n",
    "models/model.pkl": "binary-ish",
}


def well_run_repo(name: str = "churn") -> FakeRepo:
    return FakeRepo(
        owner="acme", name=name, files=dict(FILES), protected=True,
        protection={"required_pull_request_reviews": {"required_approving_review_count": 1,
                                                      "require_code_owner_reviews": True},
                    "required_status_checks": {"strict": True, "contexts": ["test"], "checks": [{"context": "test"}],
                                               "enforcement_level": "non_admins"}},
        environments=[{"name": "production", "protection_rules": [{"id": 1, "type": "required_reviewers",
                                                                   "reviewers": [{"type": "Team"}]}]}],
        runs=[run("push", "success", "2026-05-27T08:00:00Z"), run("schedule", "success", "2026-05-26T03:00:00Z", "monitor")],
        deployments=[{"id": 1, "environment": "production", "created_at": "2026-05-01T10:00:00Z", "ref": "main"}],
        releases=[{"tag_name": "v1.2.0", "draft": False, "published_at": "2026-04-01T10:00:00Z"}],
        pulls=[pr(i, "ada", ["grace"]) for i in range(1, 10)] + [pr(10, "ada", ["ada"])],
    )


@pytest.fixture
def api(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    fake = FakeGitHub()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        yield fake


def options(**kw) -> ApiOptions:
    return ApiOptions(now=NOW, **kw)


def test_parse_remote_targets():
    assert str(parse_remote("github:acme/churn@v1.2")) == "github:acme/churn@v1.2"
    assert parse_remote("gitlab:grp/sub/proj").path == "grp/sub/proj"
    assert parse_remote("/some/path") is None
    for bad in ("github:acme", "github:acme/churn@--upload-pack=x", "gitlab:proj"):
        with pytest.raises(TargetError):
            parse_remote(bad)


def test_repository_scan_reads_files_and_platform_facts_within_budget(api):
    api.add(well_run_repo())
    resolved = resolve("github:acme/churn", options=options())
    result = scan(resolved.repo, load_rules(), target=resolved.target, platform=resolved.platform)
    sig = result.signals
    for present in ("platform.branch_protection", "platform.required_checks", "platform.codeowner_reviews",
                    "platform.protected_environments", "platform.reviewed_merges", "platform.ci_runs_recent",
                    "platform.scheduled_runs_recent", "platform.deployments_recent", "platform.releases",
                    "platform.contributors", "tracking.params_metrics", "deploy.ci_present", "governance.codeowners"):
        assert sig[present].outcome.value == "present", present
    assert sig["platform.archived"].outcome.value == "absent"
    assert sig["platform.branch_protection"].tier.value == "live"
    assert sig["platform.ci_runs_recent"].tier.value == "executed"
    assert result.target.kind == "github" and result.target.commit == FakeRepo("a", "b", {}).sha
    requests_made = result.coverage["sources"]["platform"]["requests"]
    assert requests_made == len(api.calls) and requests_made <= 15
    assert "/graphql" in api.calls and not any(c.startswith("/repos/acme/churn/contents/") for c in api.calls)
    bundle = to_dict(result)
    jsonschema.validate(bundle, json.loads(open("scanner/bundle.schema.json").read()))
    assert TOKEN not in json.dumps(bundle)
    contributors = next(e for e in result.evidence if e.signal == "platform.contributors")
    assert contributors.attributes["count"] == 2 and contributors.attributes["bots"] == 1


def test_reviews_by_the_author_do_not_count(api):
    repo = well_run_repo()
    repo.pulls = [pr(1, "ada", ["ada"]), pr(2, "ada", []), pr(3, "bob", ["ada"])]
    api.add(repo)
    resolved = resolve("github:acme/churn", options=options())
    fact = resolved.platform.fact("platform.reviewed_merges")
    assert not fact.present and fact.attributes["reviewed"] == 1 and fact.attributes["unreviewed"] == ["#1", "#2"]


def test_protection_needing_admin_rights_is_not_available_not_absent(api):
    repo = well_run_repo()
    repo.protection = None  # protected, but the token is not an admin: 403
    api.add(repo)
    resolved = resolve("github:acme/churn", options=options())
    result = scan(resolved.repo, load_rules(), target=resolved.target, platform=resolved.platform)
    bp = result.signals["platform.branch_protection"]
    assert bp.outcome.value == "not_available" and "admin rights" in bp.reason
    assert result.signals["platform.codeowner_reviews"].outcome.value == "not_available"


def test_rulesets_answer_without_admin_rights(api):
    repo = well_run_repo()
    repo.protection = None
    repo.rules = [{"type": "pull_request", "ruleset_source_type": "Repository", "ruleset_source": "acme/churn",
                   "ruleset_id": 42, "parameters": {"required_approving_review_count": 2,
                                                    "require_code_owner_review": True}},
                  {"type": "required_status_checks", "ruleset_id": 42,
                   "parameters": {"required_status_checks": [{"context": "ci/test"}], "strict_required_status_checks_policy": False}}]
    api.add(repo)
    platform = resolve("github:acme/churn", options=options()).platform
    assert platform.fact("platform.branch_protection").attributes == {"source": "ruleset", "required_approving_reviews": 2}
    assert platform.fact("platform.codeowner_reviews").present
    assert platform.fact("platform.required_checks").attributes["checks"] == ["ci/test"]
    assert not any(c.endswith("/protection") for c in api.calls)


def test_stale_and_failed_runs_are_absent(api):
    repo = well_run_repo()
    repo.runs = [run("push", "failure", "2026-05-27T08:00:00Z"), run("push", "success", "2026-03-01T08:00:00Z")]
    repo.deployments = [{"id": 1, "environment": "prod", "created_at": "2025-01-01T00:00:00Z"}]
    api.add(repo)
    platform = resolve("github:acme/churn", options=options()).platform
    ci = platform.fact("platform.ci_runs_recent")
    assert not ci.present and ci.attributes["conclusions"] == {"failure": 1}
    assert not platform.fact("platform.scheduled_runs_recent").present
    assert not platform.fact("platform.deployments_recent").present


def test_private_repository_without_access_is_unreadable_with_a_clear_reason(api, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    repo = well_run_repo("secret-model")
    repo.private = True
    api.add(repo)
    with pytest.raises(TargetUnreadable, match="not found, or private"):
        resolve("github:acme/secret-model", options=options())


def test_empty_repository_409_is_unreadable(api):
    repo = well_run_repo("empty")
    repo.empty = True
    api.add(repo)
    with pytest.raises(TargetUnreadable, match="empty"):
        resolve("github:acme/empty", options=options())


def test_without_token_files_come_from_the_contents_api_and_reviews_are_not_available(api, monkeypatch):
    monkeypatch.delenv("GITHUB_TOKEN")
    api.add(well_run_repo())
    resolved = resolve("github:acme/churn", options=options())
    result = scan(resolved.repo, load_rules(), target=resolved.target, platform=resolved.platform)
    assert result.signals["tracking.params_metrics"].outcome.value == "present"
    assert result.signals["platform.reviewed_merges"].outcome.value == "not_available"
    assert "/graphql" not in api.calls
    assert all(a is None for a in api.authorization)


def test_cli_scans_a_github_target_and_never_prints_the_token(api):
    api.add(well_run_repo())
    res = CliRunner().invoke(__import__("scanner.cli", fromlist=["main"]).main,
                                             ["scan", "github:acme/churn", "--format", "json"])
    assert res.exit_code == 0, res.output + res.stderr
    bundle = json.loads(res.stdout)
    assert bundle["target"]["kind"] == "github"
    assert bundle["signals"]["platform.releases"]["outcome"] == "present"
    assert TOKEN not in res.stdout + res.stderr


# -- a tree too large for one listing ---------------------------------------------------------

def _large_repo(**kw) -> FakeRepo:
    files = dict(FILES)
    files.update({f"src/pkg{i}/mod{j}.py": "x = 1\n" for i in range(6) for j in range(5)})
    files["src/pkg5/deep/train_model.py"] = "import mlflow\nmlflow.log_artifact('model.pkl')\n"
    return FakeRepo(owner="acme", name="big", files=files, **kw)


def test_a_truncated_tree_is_read_folder_by_folder(api):
    api.add(_large_repo(tree_limit=12))  # any recursive listing over 12 entries is truncated
    resolved = resolve("github:acme/big", options=options())
    assert set(resolved.repo.files()) == set(_large_repo().files)  # every file, none lost
    result = scan(resolved.repo, load_rules(), target=resolved.target)
    assert result.signals["tracking.artifacts_models"].outcome.value == "present"
    assert not any(e["source"] == "repository" for e in result.errors)
    # each folder asked for once: the root (recursive, then not), then folder by folder
    assert sum(c.startswith("/repos/acme/big/git/trees/") for c in api.calls) <= 12


def test_folders_that_cannot_be_listed_make_absences_not_available(api, monkeypatch):
    monkeypatch.setattr("scanner.sources.github.MAX_TREE_REQUESTS", 3)
    api.add(_large_repo(tree_limit=12))
    resolved = resolve("github:acme/big", options=options())
    result = scan(resolved.repo, load_rules(), target=resolved.target)
    listed = set(resolved.repo.files())
    assert listed < set(_large_repo().files)
    # what was not listed is said, and nothing is called absent that might sit there
    problem = next(e for e in result.errors if e["source"] == "repository")
    assert "could not be listed" in problem["message"] and "over 3 tree requests" in problem["message"]
    assert result.coverage["sources"]["repository"]["unread_folders"]
    assert all(r.outcome.value != "absent" for s, r in result.signals.items() if not s.startswith(("platform.", "mlflow.")))
    assert result.signals["deploy.ci_present"].outcome.value == "present"  # what was read still counts


# -- answers that are not what the endpoint returns ---------------------------------------------

LOGIN_PAGE = "<!DOCTYPE html><html><head><title>Sign in</title></head><body><form>...</form></body></html>"


@pytest.mark.parametrize("route, body", [
    ("", LOGIN_PAGE),                                   # the repository itself: an HTML login page
    ("", '{"id": 1, "name": "churn", "default_br'),     # truncated JSON
    ("", "[]"),                                         # a list where the repository object belongs
    ("/git/trees", ""),                                 # an empty answer for the file tree
])
def test_a_malformed_answer_for_the_target_itself_makes_it_unreadable(api, route, body):
    api.add(FakeRepo(owner="acme", name="churn", files=dict(FILES), garbled={route: body}))
    with pytest.raises(TargetUnreadable, match=r"expected a JSON object, got (an HTML page|text that is not JSON|a JSON list|an empty answer)"):
        resolve("github:acme/churn", options=options())


@pytest.mark.parametrize("route, body, signals", [
    ("/branches/main", "[]", ("platform.branch_protection", "platform.required_checks")),
    ("/releases", LOGIN_PAGE, ("platform.releases",)),
    ("/deployments", '[{"id": 1, "environment": "prod', ("platform.deployments_recent",)),
])
def test_a_malformed_platform_answer_is_an_error_for_what_it_feeds_and_the_scan_goes_on(api, route, body, signals):
    repo = well_run_repo()
    repo.garbled = {route: body}
    api.add(repo)
    resolved = resolve("github:acme/churn", options=options())
    result = scan(resolved.repo, load_rules(), target=resolved.target, platform=resolved.platform)
    for signal in signals:
        assert result.signals[signal].outcome.value in ("error", "not_available"), signal
        assert "expected a JSON" in (result.signals[signal].reason or ""), signal
    # the repository and the other platform facts are read as before
    assert result.signals["tracking.params_metrics"].outcome.value == "present"
    assert result.signals["platform.contributors"].outcome.value == "present"


def test_every_graphql_batch_is_one_github_accepts(api):
    """Batches after the first declared $sha without using it, which GitHub rejects: each file of
    those batches was then read one request at a time."""
    files = {f"src/mod{i:03d}.py": f"x = {i}\n" for i in range(250)}
    api.add(FakeRepo(owner="acme", name="wide", files={**FILES, **files}))
    resolved = resolve("github:acme/wide", options=options())
    scan(resolved.repo, load_rules(), target=resolved.target)
    assert all(resolved.repo.read_text(p) == c for p, c in files.items())
    assert api.calls.count("/graphql") == 3  # 255 text files, a hundred a batch
    assert not any(c.startswith("/repos/acme/wide/contents/") for c in api.calls)


def test_an_answer_past_the_size_cap_is_refused_not_read_whole(api, monkeypatch):
    monkeypatch.setattr("scanner.sources.http_budget.MAX_ANSWER_BYTES", 4096)
    repo = well_run_repo()
    repo.garbled = {"/releases": json.dumps([{"tag_name": f"v{i}", "draft": False, "body": "x" * 100}
                                             for i in range(100)])}  # ~14 KB, over the cap
    api.add(repo)
    resolved = resolve("github:acme/churn", options=options())
    result = scan(resolved.repo, load_rules(), target=resolved.target, platform=resolved.platform)
    assert "larger than 4096 bytes, refused" in (result.signals["platform.releases"].reason or "")
    assert result.signals["tracking.params_metrics"].outcome.value == "present"
    # the repository itself past the cap: the target cannot be read
    big = FakeRepo(owner="acme", name="huge", files=dict(FILES), garbled={"": json.dumps({"pad": "x" * 5000})})
    api.add(big)
    with pytest.raises(TargetUnreadable, match="larger than 4096 bytes"):
        resolve("github:acme/huge", options=options())


def test_a_failed_batch_blames_none_of_its_files(api):
    """A GraphQL batch that fails reads its files one by one; the file whose read set it off is
    read like the others, not recorded as unreadable."""
    api.add(well_run_repo())
    api.fail_graphql = True
    resolved = resolve("github:acme/churn", options=options())
    first = resolved.repo.files()[0]
    assert resolved.repo.read_text(first) is not None
    assert first not in resolved.repo.log.skipped and not resolved.repo.unread_files
