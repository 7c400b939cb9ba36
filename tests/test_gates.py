"""Targets and gates: required levels, exit codes, waivers, and the order of the next steps."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import FIXTURES
from reports_support import cli, copy_fixture, scan_bundle
from scanner.config import CONFIG_FILE, Waiver
from scanner.engine import scan
from scanner.gates import STAGES, assess, required_levels, stage_of
from scanner.rules_engine import load_rules
from scanner.sources.local import LocalRepo

FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()


@pytest.fixture(scope="module")
def scripts_mlflow():
    """levels: data 1, tracking 2, deployment 0, monitoring 1, governance 1, collaboration 1."""
    rules = load_rules()
    return scan(LocalRepo(FIXTURES / "scripts_mlflow"), rules), rules


def test_required_level_is_the_target_raised_to_fail_under():
    assert required_levels({"monitoring": 3, "governance": 1}, 2) == {
        "data_management": 2, "experiment_tracking": 2, "model_deployment": 2, "monitoring": 3,
        "governance": 2, "collaboration": 2}
    assert required_levels({"monitoring": 3}, None) == {"monitoring": 3}
    assert required_levels(None, None) == {}


def test_gate_fails_below_target_and_passes_at_it(scripts_mlflow):
    result, rules = scripts_mlflow
    checks = {c.dimension: c for c in assess(result, rules, targets={"experiment_tracking": 2, "monitoring": 2}).checks}
    assert not checks["experiment_tracking"].failed
    assert checks["monitoring"].failed


def test_dimension_waiver_lifts_the_gate_but_keeps_it_visible(scripts_mlflow):
    result, rules = scripts_mlflow
    waiver = Waiver(id="monitoring", by="Ada", reason="new service", expires=dt.date.today())
    outcome = assess(result, rules, targets={"monitoring": 2}, waivers=[waiver])
    (check,) = outcome.checks
    assert not check.passed and not check.failed and check.waived_by == waiver
    expired = Waiver(id="monitoring", by="Ada", reason="x", expires=dt.date.today() - dt.timedelta(days=1))
    assert assess(result, rules, targets={"monitoring": 2}, waivers=[expired]).checks[0].failed


def test_next_steps_follow_the_investment_sequence_lowest_dimension_first(scripts_mlflow):
    result, rules = scripts_mlflow
    steps = assess(result, rules).next_steps
    stages = [STAGES.index(s.stage) for s in steps]
    assert stages == sorted(stages)
    assert steps[0].dimension == "experiment_tracking"
    # data (level 1) and deployment (level 0) share the CI/CD step: the lower one comes first
    cicd = [s.dimension for s in steps if s.stage == "CI/CD of training"]
    assert cicd.index("model_deployment") < cicd.index("data_management")
    assert {s.dimension for s in steps} == {d for d, s in result.scores.items() if s.gap}


def test_retraining_criteria_come_after_monitoring():
    assert stage_of("monitoring", ["monitoring.retrain_trigger"]) == STAGES.index("automated retraining")
    assert stage_of("monitoring", ["monitoring.drift"]) == STAGES.index("monitoring with drift detection")
    assert stage_of("experiment_tracking", ["tracking.model_registry"]) == 0


def test_cli_target_gate_exits_1_and_names_the_dimension():
    res = cli("scan", str(FIXTURES / "scripts_mlflow"), "-q", "--target", "monitoring=2,experiment_tracking=2")
    assert res.exit_code == 1
    assert "below target: monitoring=1 (target 2)" in res.stderr
    assert "experiment_tracking" not in res.stderr


def test_cli_target_met_exits_0():
    res = cli("scan", str(FIXTURES / "scripts_mlflow"), "-q", "--target", "experiment_tracking=2",
              "--target", "monitoring=1")
    assert res.exit_code == 0, res.stderr


def test_cli_bad_target_is_a_usage_error():
    res = cli("scan", str(FIXTURES / "scripts_mlflow"), "-q", "--target", "monitoring=high")
    assert res.exit_code == 2
    assert "expected a level from 0 to 4" in res.stderr


def test_targets_from_config_and_flag_override(tmp_path):
    repo = copy_fixture("scripts_mlflow", tmp_path / "repo")
    (repo / CONFIG_FILE).write_text("targets: {monitoring: 3}\n")
    assert cli("scan", str(repo), "-q").exit_code == 1
    assert cli("scan", str(repo), "-q", "--target", "monitoring=1").exit_code == 0


def test_waived_gate_and_criterion_stay_visible_in_every_report(tmp_path):
    repo = copy_fixture("scripts_mlflow", tmp_path / "repo")
    (repo / CONFIG_FILE).write_text(
        "targets: {monitoring: 2}\nwaivers:\n"
        f"  - {{id: monitoring, by: Ada, reason: service not live yet, expires: {FUTURE}}}\n"
        f"  - {{id: deploy.deployable, by: Ada, reason: batch scoring only, expires: {FUTURE}}}\n")
    out = tmp_path / "out"
    res = cli("scan", str(repo), "-q", "--format", "json,md,html,sarif,text", "--out-dir", str(out))
    assert res.exit_code == 0, res.stderr
    bundle = json.loads((out / "mlops-scan.json").read_text())
    (check,) = bundle["gates"]["checks"]
    assert check["passed"] is False and check["waived"]["by"] == "Ada" and bundle["gates"]["failed"] is False
    gap = bundle["scores"]["model_deployment"]["gap"][0]
    assert gap["id"] == "deploy.deployable" and gap["waived"]["reason"] == "batch scoring only"
    assert "waived by Ada" in (out / "mlops-scan.md").read_text()
    assert "waived" in (out / "mlops-scan.html").read_text()
    assert "waived" in (out / "mlops-scan.txt").read_text()
    sarif = json.loads((out / "mlops-scan.sarif").read_text())
    waived = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "deploy.deployable"]
    assert waived[0]["suppressions"][0]["status"] == "accepted"


def test_fail_under_from_config(tmp_path):
    repo = copy_fixture("scripts_mlflow", tmp_path / "repo")
    (repo / CONFIG_FILE).write_text("fail_under: 1\n")
    bundle = scan_bundle(repo)
    assert bundle["gates"]["failed"] is True
    assert [c["dimension"] for c in bundle["gates"]["checks"] if not c["passed"]] == ["model_deployment"]
