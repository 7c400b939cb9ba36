"""The GitHub Action, the GitLab CI template and the example workflow: parsed, and their scripts
executed exactly as written (the text of each ``run:``/``script:`` block is what runs).

The scripts honour MLOPS_SCAN_VENV (a virtualenv already holding mlops-scan), so these tests
reuse the current environment instead of installing; everything else runs as in CI.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from reports_support import copy_fixture

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
GITLAB = yaml.safe_load((ROOT / "ci" / "gitlab-ci-template.yml").read_text())
EXAMPLE = yaml.safe_load((ROOT / "examples" / "github-workflow.yml").read_text())
VENV = Path(sys.executable).parent.parent
_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


# -- a minimal runner for the composite action --------------------------------------------
def _evaluate(text: str, context: dict[str, str]) -> str:
    """Substitute ``${{ name }}`` from ``context``; any other expression fails the test."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        assert name in context or name.startswith("steps."), f"unsupported expression {name!r}"
        return context.get(name, "")
    return _EXPR.sub(value, str(text))


def _outputs(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_action(workspace: Path, inputs: dict[str, str]) -> dict[str, subprocess.CompletedProcess]:
    """Run every ``run:`` step of action.yml in order, as the runner would (bash -eo pipefail)."""
    defaults = {f"inputs.{k}": str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
    context = {**defaults, **{f"inputs.{k}": v for k, v in inputs.items()}, "github.action_path": str(ROOT)}
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    base_env = {"PATH": f"{VENV / 'bin'}:/usr/bin:/bin", "HOME": str(workspace.parent), "RUNNER_TEMP": str(runner_temp),
                "GITHUB_WORKSPACE": str(workspace), "GITHUB_STEP_SUMMARY": str(workspace.parent / "summary.md"),
                "MLOPS_SCAN_VENV": str(VENV)}
    results = {}
    for i, step in enumerate(ACTION["runs"]["steps"]):
        if "run" not in step:
            continue
        output_file = workspace.parent / f"output-{i}"
        env = {**base_env, "GITHUB_OUTPUT": str(output_file),
               **{k: _evaluate(v, context) for k, v in (step.get("env") or {}).items()}}
        script = workspace.parent / f"step-{i}.sh"
        script.write_text(step["run"])  # the block exactly as written in action.yml
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=workspace, env=env, capture_output=True, text=True)
        results[step.get("id") or step["name"]] = proc
        for key, val in _outputs(output_file).items():
            context[f"steps.{step.get('id')}.outputs.{key}"] = val
        if proc.returncode != 0:
            break  # later steps do not run after a failure (no `if: always()` on run steps)
    return results


@pytest.fixture
def workspace(tmp_path):
    return copy_fixture("scripts_mlflow", tmp_path / "workspace")


def test_action_is_a_composite_action_with_safe_scripts():
    assert ACTION["runs"]["using"] == "composite"
    run_steps = [s for s in ACTION["runs"]["steps"] if "run" in s]
    assert [s["name"] for s in run_steps] == ["Install mlops-scan", "Scan", "Gate"]
    for step in run_steps:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs must reach scripts through env, not the script text"
        assert "if" not in step, "run steps are unconditional, so the test runs them all"
    upload = next(s for s in ACTION["runs"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"].startswith("always()")
    assert "mlops-scan.json" in upload["with"]["path"] and "mlops-scan.html" in upload["with"]["path"]


def test_action_scans_reports_and_fails_under_target(workspace):
    results = run_action(workspace, {"target": "monitoring=2"})
    install, scan, gate = results["install"], results["scan"], results["Gate"]
    assert install.returncode == 0, install.stderr
    assert scan.returncode == 0, scan.stderr  # the gate fails last, after the upload
    assert gate.returncode == 1 and "a maturity gate failed" in gate.stdout
    out = workspace / "mlops-scan-report"
    bundle = json.loads((out / "mlops-scan.json").read_text())
    assert bundle["gates"]["failed"] is True and (out / "mlops-scan.html").exists()
    summary = (workspace.parent / "summary.md").read_text()
    assert summary.startswith("# MLOps maturity: workspace") and "2 (FAIL)" in summary
    assert _outputs(workspace.parent / "output-2") == {"exit-code": "1", "min-level": "0",
                                                        "report-dir": "mlops-scan-report"}


def test_action_passes_when_the_target_is_met_or_gating_is_off(workspace):
    assert run_action(workspace, {"target": "experiment_tracking=2"})["Gate"].returncode == 0
    assert run_action(workspace, {"fail-under": "3", "fail-on-gate": "false"})["Gate"].returncode == 0


def test_action_stops_on_a_usage_error(workspace):
    results = run_action(workspace, {"target": "vibes=2"})
    assert results["scan"].returncode == 2 and "Gate" not in results


# -- the GitLab template --------------------------------------------------------------------
def run_gitlab(workspace: Path, variables: dict[str, str]) -> subprocess.CompletedProcess:
    """The job's script entries in one shell, as a GitLab runner runs them (bash, errexit)."""
    job = GITLAB[".mlops-scan"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workspace.parent), "CI_PROJECT_DIR": str(workspace),
           "CI_PIPELINE_SOURCE": "schedule", **{k: str(v) for k, v in job["variables"].items()}, **variables}
    script = workspace.parent / "gitlab-job.sh"
    script.write_text("\n".join(job["script"]))  # each entry exactly as written
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                          cwd=workspace, env=env, capture_output=True, text=True)


def test_gitlab_template_shape():
    job = GITLAB[".mlops-scan"]
    assert GITLAB["mlops-scan"] == {"extends": ".mlops-scan"}
    assert job["artifacts"]["when"] == "always"
    assert {"mlops-scan-report/mlops-scan.json", "mlops-scan-report/mlops-scan.html"} <= set(job["artifacts"]["paths"])
    assert {"if": '$CI_PIPELINE_SOURCE == "schedule"'} in job["rules"]


def test_gitlab_job_scans_prints_markdown_and_fails_under_target(workspace):
    proc = run_gitlab(workspace, {"MLOPS_SCAN_VENV": str(VENV), "MLOPS_SCAN_TARGET": "monitoring=2"})
    assert proc.returncode == 1, proc.stderr
    assert "# MLOps maturity: workspace" in proc.stdout and "section_start" in proc.stdout
    job = GITLAB[".mlops-scan"]
    for path in job["artifacts"]["paths"]:
        assert (workspace / path).is_file(), path


def test_gitlab_job_passes_at_target(workspace):
    proc = run_gitlab(workspace, {"MLOPS_SCAN_VENV": str(VENV), "MLOPS_SCAN_FAIL_UNDER": "0"})
    assert proc.returncode == 0, proc.stderr


def test_gitlab_job_without_package_or_venv_says_what_to_set(workspace, tmp_path):
    proc = run_gitlab(workspace, {"MLOPS_SCAN_VENV": str(tmp_path / "no-venv")})
    assert proc.returncode == 2 and "set MLOPS_SCAN_PACKAGE" in proc.stderr


# -- the example workflow -------------------------------------------------------------------
def test_example_workflow_is_scheduled_and_uses_the_action_inputs():
    triggers = EXAMPLE.get("on", EXAMPLE.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert triggers["schedule"][0]["cron"]
    steps = EXAMPLE["jobs"]["mlops-scan"]["steps"]
    action_step = next(s for s in steps if s.get("uses", "").split("@")[0].endswith("/mlops-scan"))
    assert set(action_step["with"]) <= set(ACTION["inputs"])
    sarif = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert sarif["with"]["sarif_file"] == f"{ACTION['inputs']['out-dir']['default']}/mlops-scan.sarif"
