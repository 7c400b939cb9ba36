"""``mlops-scan judge``: re-scoring saved signals under other rules and what-if assumptions."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("judge") / "bundle.json"
    res = run("scan", str(FIXTURES / "scripts_mlflow"), "--no-git", "--format", "json", "-o", str(path), "-q")
    assert res.exit_code in (0, 1), res.output
    return path


def test_judging_a_bundle_again_gives_its_own_levels(bundle):
    doc = json.loads(bundle.read_text())
    res = run("judge", str(bundle), "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert {d: s["level"] for d, s in out["scores"].items()} == {d: s["level"] for d, s in doc["scores"].items()}
    assert all(s["before"] == s["level"] for s in out["scores"].values())
    assert out["signals"]["tracking.params_metrics"]["outcome"] == doc["signals"]["tracking.params_metrics"]["outcome"]


def test_assume_answers_what_level_a_practice_would_give(bundle):
    doc = json.loads(bundle.read_text())
    before = doc["scores"]["monitoring"]["level"]
    res = run("judge", str(bundle), "--assume", "monitoring.drift=present", "--assume", "monitoring.logging=present",
              "--format", "json")
    out = json.loads(res.output)
    assert out["assumed"] == {"monitoring.drift": "present", "monitoring.logging": "present"}
    assert out["scores"]["monitoring"]["level"] == 2 > before
    text = run("judge", str(bundle), "--assume", "monitoring.drift=present", "--assume", "monitoring.logging=present").output
    assert f"(was {before})" in text and "assuming: monitoring.drift=present" in text


def test_assume_absent_takes_a_practice_away(bundle):
    out = json.loads(run("judge", str(bundle), "--assume", "tracking.params_metrics=absent", "--format", "json").output)
    assert out["scores"]["experiment_tracking"]["level"] <= 1
    assert out["signals"]["tracking.params_metrics"]["outcome"] == "absent"


def test_signals_on_standard_input_with_unmentioned_signals_absent():
    doc = {"signals": {"collaboration.readme_setup": {"outcome": "present"},
                       "collaboration.packaged_code": {"outcome": "present", "tier": "configured"},
                       "deploy.tests": {"outcome": "present"}, "made.up_signal": {"outcome": "present"}}}
    res = run("judge", "-", "--format", "md", input=json.dumps(doc))
    assert res.exit_code == 0, res.output
    assert "| collaboration | 2 |" in res.output
    assert "| data_management | 0 |" in res.output
    out = json.loads(run("judge", "-", "--format", "json", input=json.dumps(doc)).output)
    assert out["ignored_signals"] == ["made.up_signal"]


def test_strict_profile_and_rule_files_apply(bundle, tmp_path):
    rules = tmp_path / "mine.yaml"
    rules.write_text("extends: default\nname: mine\ndimensions:\n  collaboration:\n    levels:\n"
                     "      1:\n        - id: c\n          when: governance.model_card\n")
    out = json.loads(run("judge", str(bundle), "--rules", str(rules), "--format", "json").output)
    assert out["rules"]["name"] == "mine"
    assert out["scores"]["collaboration"]["level"] == 0
    assert json.loads(run("judge", str(bundle), "--profile", "strict", "--format", "json").output)["rules"]["name"] == "strict"


@pytest.mark.parametrize("args, stdin, message", [
    (["-"], "not json", "standard input: not JSON"),
    (["-"], "[1, 2]", "expected a bundle or an object with a 'signals' mapping"),
    (["-"], '{"signals": {"deploy.cd": {"outcome": "maybe"}}}', "signals.deploy.cd.outcome: 'maybe' is not one of"),
    (["-"], '{"signals": {"deploy.cd": {"outcome": "present", "tier": "rumour"}}}', "signals.deploy.cd.tier"),
    (["-", "--assume", "deploy.cd"], '{"signals": {}}', "expected SIGNAL=present or SIGNAL=absent"),
    (["-", "--assume", "deploy.cdx=present"], '{"signals": {}}', "unknown signal 'deploy.cdx'"),
    (["/nonexistent/bundle.json"], None, "cannot read"),
])
def test_bad_input_is_a_usage_error_that_names_the_problem(args, stdin, message):
    res = run("judge", *args, input=stdin)
    assert res.exit_code == 2
    assert message in res.output
