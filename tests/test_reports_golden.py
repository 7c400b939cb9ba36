"""Golden files per renderer: a stored bundle rendered to each format must match byte for byte.

The input, tests/golden/bundle.json, is a real scan of the scripts_mlflow fixture (in a git
repository with pinned dates, so its commit is fixed) with a configuration that sets targets,
attestations and waivers, and with pinned timestamps. Regenerate the input and every golden
file after an intended change with:

    MLOPS_SCAN_REGEN_GOLDEN=1 pytest tests/test_reports_golden.py

and review the diff.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from reports_support import SCHEMA, cli, copy_fixture
from scanner.config import CONFIG_FILE
from scanner.history import diff, trend
from scanner.reporting import BUNDLE_RENDERERS
from scanner.reporting.history_report import (
    render_diff_markdown, render_diff_text, render_trend_html, render_trend_text,
)

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("MLOPS_SCAN_REGEN_GOLDEN") == "1"
CONFIG = """\
targets: {experiment_tracking: 2, monitoring: 2}
fail_under: 1
attestations:
  - signal: monitoring.alerting
    by: Grace Hopper <grace@example.org>
    date: 2025-01-10
    link: https://wiki.example.org/oncall/house-prices
    expires: 2099-01-10
    note: PagerDuty alerts on the scoring job, configured outside this repository
  - signal: tracking.library
    by: Grace Hopper <grace@example.org>
    date: 2025-01-10
    link: https://wiki.example.org/tracking
    expires: 2099-01-10
  - signal: deploy.iac
    by: Alan Turing <alan@example.org>
    date: 2019-05-01
    link: https://wiki.example.org/terraform
    expires: 2020-05-01
waivers:
  - id: model_deployment
    by: Ada Lovelace <ada@example.org>
    reason: batch scoring only until Q3
    link: https://tickets.example.org/ML-42
    expires: 2099-09-30
  - id: governance.maintained
    by: Ada Lovelace <ada@example.org>
    reason: dependency bot rollout planned
    expires: 2099-09-30
"""
_PINNED = {"GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.org",
           "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.org",
           "GIT_AUTHOR_DATE": "2025-01-10T12:00:00Z", "GIT_COMMITTER_DATE": "2025-01-10T12:00:00Z",
           "PATH": "/usr/bin:/bin:/usr/local/bin"}


def _make_input(tmp_path: Path) -> dict:
    repo = copy_fixture("scripts_mlflow", tmp_path / "house-prices")
    (repo / CONFIG_FILE).write_text(CONFIG)
    env = {**_PINNED, "HOME": str(tmp_path)}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "initial"],
                 ["remote", "add", "origin", "https://github.com/example/house-prices.git"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)
    res = cli("scan", str(repo), "--format", "json", "-q")
    assert res.exit_code == 1, res.stderr  # monitoring is below its target
    bundle = json.loads(res.stdout)
    bundle["started_at"], bundle["finished_at"] = "2025-01-10T12:00:00Z", "2025-01-10T12:00:03Z"
    return bundle


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> dict:
    path = GOLDEN / "bundle.json"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(_make_input(tmp_path_factory.mktemp("golden")), indent=2, sort_keys=True,
                                   ensure_ascii=False) + "\n", encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8"))


def _older(bundle: dict) -> dict:
    """The same bundle as it might have looked a month earlier: no container, monitoring 0."""
    old = json.loads(json.dumps(bundle))
    old["finished_at"] = "2024-12-10T12:00:03Z"
    old["scores"]["monitoring"]["level"] = 0
    old["overall"] = {"min": 0, "mean": 0.83}
    lost = [e["id"] for e in old["evidence"] if e["signal"] == "monitoring.logging"]
    old["evidence"] = [e for e in old["evidence"] if e["id"] not in lost]
    old["signals"]["monitoring.logging"] = {"outcome": "absent", "tier": None, "evidence": []}
    old["evidence"].append({"id": "00000000deadbeef", "signal": "data.raw_data_committed", "detector": "data",
                            "outcome": "present", "tier": "configured", "summary": "raw data committed: data/raw.csv",
                            "locations": [], "attributes": {}})
    return old


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {name}: run with MLOPS_SCAN_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_golden_input_is_a_valid_bundle_with_every_section(bundle):
    jsonschema.validate(bundle, SCHEMA)
    assert bundle["target"]["commit"] and bundle["target"]["url"]
    assert {a["status"] for a in bundle["attestations"]} == {"counted", "superseded", "expired"}
    assert bundle["gates"]["checks"] and bundle["next_steps"] and bundle["waivers"]


@pytest.mark.parametrize("fmt, name", [("md", "report.md"), ("html", "report.html"), ("sarif", "report.sarif"),
                                       ("badge", "badge.json"), ("json", "bundle.json")])
def test_renderer_matches_golden(fmt, name, bundle):
    _check(name, BUNDLE_RENDERERS[fmt](bundle))


def test_diff_matches_golden(bundle):
    d = diff(_older(bundle), bundle)
    _check("diff.txt", render_diff_text(d))
    _check("diff.md", render_diff_markdown(d))


def test_trend_matches_golden(bundle, tmp_path):
    (tmp_path / "2024-12.json").write_text(json.dumps(_older(bundle)))
    (tmp_path / "2025-01.json").write_text(json.dumps(bundle))
    rows = trend(tmp_path)
    _check("trend.txt", render_trend_text(rows))
    _check("trend.html", render_trend_html(rows))
