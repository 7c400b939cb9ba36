"""Scanning gitlab:group/sub/project through a GitLab API double (responses)."""
from __future__ import annotations

import json

import pytest
import responses

from fixtures.api.fake_gitlab import FakeGitLab, FakeProject, mr, pipeline
from scanner.engine import scan
from scanner.reporting.json_report import to_dict
from scanner.rules_engine import load_rules
from scanner.sources.interface import TargetUnreadable
from scanner.targets import ApiOptions, resolve
from test_github_source import FILES, NOW

TOKEN = "glpat-test-secret-000000000000"


def project(path: str = "acme/ml/churn", **kw) -> FakeProject:
    files = dict(FILES, **{".gitlab-ci.yml": "test:\n  script:\n    - pytest\n", "data/train.csv": "a,b\n" * 3000})
    files.pop(".github/workflows/ci.yml")
    base = dict(
        protected={"id": 1, "name": "main", "push_access_levels": [{"access_level": 40}],
                   "merge_access_levels": [{"access_level": 30}], "allow_force_push": False,
                   "code_owner_approval_required": True},
        approval_rules=[{"id": 1, "name": "ML reviewers", "rule_type": "regular", "approvals_required": 1,
                         "protected_branches": [], "eligible_approvers": []}],
        protected_environments=[{"name": "production", "deploy_access_levels": [{"access_level": 40}],
                                 "required_approval_count": 1, "approval_rules": []}],
        pipelines=[pipeline("success", "2026-05-27T08:00:00.000Z"), pipeline("success", "2026-05-25T03:00:00.000Z", "schedule")],
        deployments=[{"id": 7, "iid": 7, "status": "success", "created_at": "2026-05-10T10:00:00.000Z",
                      "environment": {"id": 1, "name": "production"}}],
        releases=[{"tag_name": "v0.3.0", "name": "0.3.0", "released_at": "2026-04-02T10:00:00.000Z"}],
        merge_requests=[mr(i, "ada", ["grace"]) for i in range(1, 6)],
    )
    base.update(kw)
    return FakeProject(path=path, files=files, **base)


@pytest.fixture
def gl(monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    fake = FakeGitLab(page_size=3)  # small pages: the tree needs several, following Link headers
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        yield fake


def scan_target(target: str, **kw):
    resolved = resolve(target, options=ApiOptions(now=NOW, **kw))
    return scan(resolved.repo, load_rules(), target=resolved.target, platform=resolved.platform)


def test_project_in_a_subgroup_scans_with_platform_facts(gl):
    gl.add(project())
    result = scan_target("gitlab:acme/ml/churn")
    sig = result.signals
    for present in ("platform.branch_protection", "platform.required_checks", "platform.codeowner_reviews",
                    "platform.protected_environments", "platform.reviewed_merges", "platform.ci_runs_recent",
                    "platform.scheduled_runs_recent", "platform.deployments_recent", "platform.releases",
                    "platform.contributors", "deploy.ci_present", "tracking.params_metrics"):
        assert sig[present].outcome.value == "present", present
    assert sig["platform.archived"].outcome.value == "absent"
    assert result.target.kind == "gitlab" and result.target.name == "acme/ml/churn"
    assert result.target.commit == gl.projects["acme/ml/churn"].sha
    assert sum(1 for c in gl.calls if c.endswith("/repository/tree")) == 2  # 6 files, pages of 3
    assert result.coverage["sources"]["platform"]["requests"] == len(gl.calls)
    assert TOKEN not in json.dumps(to_dict(result))
    assert set(gl.tokens) == {TOKEN}


def test_sizes_come_without_reading_data_files(gl):
    gl.add(project())
    resolved = resolve("gitlab:acme/ml/churn", options=ApiOptions(now=NOW))
    assert resolved.repo.size("data/train.csv") == len("a,b\n" * 3000)
    assert not any(c.endswith("/raw") for c in gl.calls)


def test_premium_facts_without_rights_are_not_available(gl):
    gl.add(project(member=False))
    result = scan_target("gitlab:acme/ml/churn")
    for sig in ("platform.branch_protection", "platform.protected_environments", "platform.codeowner_reviews",
                "platform.required_checks"):
        assert result.signals[sig].outcome.value == "not_available", sig
    assert "Premium" in result.signals["platform.branch_protection"].reason
    assert result.signals["platform.releases"].outcome.value == "present"


def test_missing_project_and_empty_project_are_unreadable(gl):
    gl.add(project("acme/empty", empty=True))
    with pytest.raises(TargetUnreadable, match="not found, or private"):
        resolve("gitlab:acme/nope", options=ApiOptions(now=NOW))
    with pytest.raises(TargetUnreadable, match="empty"):
        resolve("gitlab:acme/empty", options=ApiOptions(now=NOW))


def test_self_hosted_url(monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    fake = FakeGitLab(url="https://git.example.internal")
    fake.add(project("data/churn", merge_requests=[mr(1, "ada", [])]))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake.register(mock)
        result = scan_target("gitlab:data/churn", gitlab_url="https://git.example.internal")
    assert result.target.url == "https://git.example.internal/data/churn"
    assert result.signals["platform.reviewed_merges"].outcome.value == "absent"


def test_blob_batches_stay_under_gitlabs_query_complexity(gl):
    """gitlab.com refuses a query over complexity 250: a hundred blobs with their text are far
    over it. Batches are sized to pass, so every file comes through GraphQL and none is read
    one request at a time."""
    files = {f"pkg/module_{i:03d}.py": f"import numpy as np\nVALUE = {i}\n" for i in range(150)}
    big = project()
    big.files.update(files)
    gl.add(big)
    gl.page_size = 100
    result = scan_target("gitlab:acme/ml/churn")
    assert result.signals["deploy.ci_present"].outcome.value == "present"
    alone = [c for c in gl.calls if "/repository/files/" in c]
    assert not [c for c in alone if c.endswith((".py/raw", ".yml/raw"))]  # no code or CI file read on its own
    assert gl.calls.count("/graphql") <= 8


def test_a_query_refused_for_complexity_is_split_in_two(gl):
    gl.add(project())
    gl.max_complexity = 160  # a smaller limit than the batches are sized for (a self-hosted setting)
    result = scan_target("gitlab:acme/ml/churn")
    assert result.signals["deploy.ci_present"].outcome.value == "present"
    assert result.signals["platform.reviewed_merges"].outcome.value == "present"  # the merge requests came too
    assert not [c for c in gl.calls if c.endswith((".py/raw", ".yml/raw"))]
