"""The command line: report formats, the JSON contract, exit codes, clear errors."""
from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import git_repo, write_tree
from scanner.cli import main
from scanner.vocabulary import vocabulary

SCHEMA = json.loads(resources.files("scanner").joinpath("bundle.schema.json").read_text())


@pytest.fixture
def small_repo(tmp_path):
    return write_tree(tmp_path / "proj", {
        "README.md": "# Churn\n\n## Installation\n\n```bash\npip install -r requirements.txt\npython train.py\n```\n",
        "LICENSE": "MIT License\n\nCopyright (c) 2026 Churn Team\n\nPermission is hereby granted, free of charge...\n",
        "train.py": "import mlflow\nmlflow.log_param('a', 1)\nmlflow.log_metric('acc', 0.9)\n",
    })


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_json_bundle_follows_the_contract(small_repo):
    res = run("scan", str(small_repo), "--format", "json", "-q")
    assert res.exit_code == 0, res.output
    bundle = json.loads(res.output)
    jsonschema.validate(bundle, SCHEMA)
    assert set(vocabulary()) <= set(bundle["signals"])
    assert bundle["signals"]["tracking.params_metrics"]["outcome"] == "present"
    assert bundle["signals"]["platform.branch_protection"]["outcome"] == "not_available"
    assert bundle["scores"]["experiment_tracking"]["level"] == 2
    ids = {e["id"] for e in bundle["evidence"]}
    for sig in bundle["signals"].values():
        assert set(sig["evidence"]) <= ids


def test_output_is_deterministic_apart_from_timestamps(small_repo):
    def strip(text):
        doc = json.loads(text)
        doc.pop("started_at"), doc.pop("finished_at")
        for det in doc["coverage"]["detectors"].values():
            det.pop("seconds", None)
        return json.dumps(doc, sort_keys=True)
    first = run("scan", str(small_repo), "--format", "json", "-q").output
    second = run("scan", str(small_repo), "--format", "json", "-q").output
    assert strip(first) == strip(second)


def test_text_report_shows_levels_reasons_next_steps_and_what_was_not_checked(small_repo):
    res = run("scan", str(small_repo), "-q")
    assert res.exit_code == 0
    assert "Experiment tracking  [##..] 2/4" in res.output
    assert "why:" in res.output and "next:" in res.output
    assert "not checked:" in res.output and "MLflow tracking server not given" in res.output


def test_output_file(small_repo, tmp_path):
    out = tmp_path / "bundle.json"
    res = run("scan", str(small_repo), "--format", "json", "-o", str(out))
    assert res.exit_code == 0
    assert json.loads(out.read_text())["schema_version"] == "1.0"


def test_fail_under_gate_exits_1(small_repo):
    res = run("scan", str(small_repo), "-q", "--fail-under", "3")
    assert res.exit_code == 1
    assert "below --fail-under 3" in res.output


def test_missing_target_exits_3(tmp_path):
    res = run("scan", str(tmp_path / "missing"), "-q")
    assert res.exit_code == 3
    assert "cannot read" in res.output


@pytest.mark.parametrize("target, message", [
    ("github:owner", "expected github:OWNER/REPO"),
    ("ext::sh -c touch% /tmp/pwned", "refused"),
    ("mlflow+ftp://host", "mlflow+http://host:port"),
])
def test_malformed_or_unsafe_targets_are_clear_usage_errors(target, message):
    res = run("scan", target)
    assert res.exit_code == 2
    assert message in res.output


def test_bad_rule_file_exits_2_naming_file_and_place(small_repo, tmp_path):
    rules = tmp_path / "my-rules.yaml"
    rules.write_text("extends: default\ndimensions:\n  monitoring:\n    levels:\n      1:\n        - when: monitoring.vibes\n")
    res = run("scan", str(small_repo), "--rules", str(rules))
    assert res.exit_code == 2
    assert "my-rules.yaml: dimensions.monitoring.levels.1[0].when: unknown signal 'monitoring.vibes'" in res.output


def test_user_rules_change_the_score(small_repo, tmp_path):
    rules = tmp_path / "lenient.yaml"
    rules.write_text("name: lenient\nextends: default\ndimensions:\n  monitoring:\n    levels:\n"
                     "      1:\n        - when: governance.license\n          description: a licence\n")
    bundle = json.loads(run("scan", str(small_repo), "--rules", str(rules), "--format", "json", "-q").output)
    assert bundle["rules"]["name"] == "lenient"
    assert bundle["scores"]["monitoring"]["level"] == 1


def test_signals_lists_the_vocabulary_with_detectors_and_tools():
    res = run("signals")
    assert res.exit_code == 0
    for sig in vocabulary():
        assert sig in res.output
    assert "mlflow" in res.output


def test_console_script_is_installed(small_repo):
    script = Path(sys.executable).parent / "mlops-scan"
    proc = subprocess.run([str(script), "scan", str(small_repo), "--format", "json", "-q"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["target"]["name"] == "proj"


def test_explain_a_signal_says_what_is_checked_and_why():
    res = run("explain", "monitoring.drift")
    assert res.exit_code == 0
    assert "What is checked:" in res.output and "[monitoring]" in res.output
    assert "evidently" in res.output
    assert "monitoring level 2" in res.output


def test_explain_a_dimension_lists_levels_and_criteria():
    res = run("explain", "governance")
    assert res.exit_code == 0
    for level in (1, 2, 3, 4):
        assert f"level {level}" in res.output
    assert "when: any of (governance.license" in res.output


def test_explain_unknown_name_is_a_usage_error():
    res = run("explain", "vibes")
    assert res.exit_code == 2
    assert "neither a signal nor a dimension" in res.output


def test_bundle_says_when_the_work_tree_is_dirty_and_what_was_left_unread(tmp_path):
    root = tmp_path / "proj"
    git_repo(root, {"train.py": "import mlflow\nmlflow.log_param('a', 1)\n"})
    (root / "train.py").write_text("import mlflow\nmlflow.log_param('a', 2)\n")
    write_tree(root, {"wip.py": "import wandb\n"})
    bundle = json.loads(run("scan", str(root), "--format", "json", "-q").output)
    jsonschema.validate(bundle, SCHEMA)
    assert bundle["target"]["dirty"] is True and bundle["target"]["modified_files"] == ["train.py"]
    repo_cov = bundle["coverage"]["sources"]["repository"]
    assert repo_cov["untracked_files"] == 1 and repo_cov["include_untracked"] is False
    text = run("scan", str(root), "-q").output
    assert "1 untracked file(s) not read (--include-untracked reads them)" in text
    assert "the work tree differs from commit" in text
    wide = json.loads(run("scan", str(root), "--format", "json", "-q", "--include-untracked").output)
    assert wide["coverage"]["sources"]["repository"]["include_untracked"] is True
    assert any(loc["path"] == "wip.py" for e in wide["evidence"] for loc in e["locations"])


# -- mistakes in the flags are caught before the scan ------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/missing/folder/report.json"], "does not exist"),
    (["--out-dir", "{tmp}/afile/reports"], "cannot be created under"),
    (["--rules", "{rules}", "--profile", "strict"], "replaces the profile"),
    (["--disable", "tracking", "--disable", "nosuchdetector"], "unknown detector(s) nosuchdetector;"),
    (["--disable", "nosuchdetector"], "known: alertmanager, ci, collaboration"),
])
def test_flag_mistakes_are_usage_errors_before_the_scan(small_repo, tmp_path, args, message):
    (tmp_path / "afile").write_text("x")
    rules = Path(__file__).parents[1] / "rules" / "default.yaml"
    args = [a.format(tmp=tmp_path, rules=rules) for a in args]
    res = CliRunner().invoke(main, ["scan", str(small_repo), *args])
    assert res.exit_code == 2 and message in res.output
    assert "scanning" not in res.output  # refused before any work


def test_an_unknown_detector_disabled_in_the_config_is_named_with_the_file(small_repo):
    (small_repo / ".mlops-scan.yaml").write_text("disable: [tracking, trakcing]\n")
    res = CliRunner().invoke(main, ["scan", str(small_repo), "-q"])
    assert res.exit_code == 2 and ".mlops-scan.yaml: disable: unknown detector(s) trakcing" in res.output


def test_org_refuses_a_rule_file_with_the_strict_profile(tmp_path):
    rules = Path(__file__).parents[1] / "rules" / "default.yaml"
    res = CliRunner().invoke(main, ["org", "github:acme", "--rules", str(rules), "--profile", "strict",
                                    "--out-dir", str(tmp_path / "org")])
    assert res.exit_code == 2 and "replaces the profile" in res.output


def test_a_tracking_server_alone_that_cannot_be_read_exits_3():
    res = CliRunner().invoke(main, ["scan", "mlflow+http://127.0.0.1:1", "--mlflow-timeout", "2"])
    assert res.exit_code == 3 and "cannot read the tracking server http://127.0.0.1:1" in res.output
    assert "0/4" not in res.output


