"""``diff`` and ``trend`` over saved bundles."""
from __future__ import annotations

import json
import re

import pytest

from conftest import FIXTURES
from reports_support import cli, copy_fixture
from scanner.history import HistoryError, diff, load_bundle, trend


@pytest.fixture
def before_after(tmp_path):
    """Bundles of scripts_mlflow before and after a container image is added."""
    repo = copy_fixture("scripts_mlflow", tmp_path / "repo")
    old = tmp_path / "old.json"
    assert cli("scan", str(repo), "--format", "json", "-o", str(old), "-q").exit_code == 0
    (repo / "Dockerfile").write_bytes((FIXTURES / "ci_serving" / "Dockerfile").read_bytes())
    new = tmp_path / "new.json"
    assert cli("scan", str(repo), "--format", "json", "-o", str(new), "-q").exit_code == 0
    return old, new


def test_diff_shows_the_gain_after_adding_a_practice(before_after):
    old, new = before_after
    res = cli("diff", str(old), str(new))
    assert res.exit_code == 0
    assert re.search(r"Model deployment\s+0\s+1\s+\+1", res.stdout)
    assert "signals now present: deploy.container" in res.stdout
    added = [e for e in json.loads(new.read_text())["evidence"] if e["signal"] == "deploy.container"]
    assert f"+ {added[0]['id']}  deploy.container" in res.stdout
    assert "regressions: none" in res.stdout


def test_reverse_diff_is_a_regression_and_can_fail(before_after):
    old, new = before_after
    res = cli("diff", str(new), str(old), "--fail-on-regression")
    assert res.exit_code == 1
    assert "model_deployment: level 1 -> 0" in res.stdout
    assert "deploy.container: no longer present" in res.stderr


def test_diff_json_lists_evidence_by_stable_id(before_after):
    old, new = before_after
    data = json.loads(cli("diff", str(old), str(new), "--format", "json").stdout)
    assert data["dimensions"]["model_deployment"] == {"old": 0, "new": 1, "delta": 1}
    assert [e["signal"] for e in data["evidence_gained"]] == ["deploy.container"]
    assert data["evidence_lost"] == [] and data["regressions"] == []


def test_diff_markdown_for_a_pull_request(before_after):
    old, new = before_after
    md = cli("diff", str(old), str(new), "--format", "md").stdout
    assert "| Model deployment | 0 | 1 | +1 |" in md and "Evidence gained (1)" in md


def test_moving_lines_neither_gains_nor_loses_evidence(tmp_path):
    repo = copy_fixture("scripts_mlflow", tmp_path / "repo")
    old = cli("scan", str(repo), "--format", "json", "-q").stdout
    train = repo / "train.py"
    train.write_text("# a header comment\n# and another line\n\n" + train.read_text())
    new = cli("scan", str(repo), "--format", "json", "-q").stdout
    d = diff(json.loads(old), json.loads(new))
    assert d.gained == () and d.lost == () and d.regressions == ()


def test_diff_notes_when_rules_differ(before_after):
    old, new = before_after
    doc = json.loads(new.read_text())
    doc["rules"]["sha256"] = "0" * 64
    assert any("rules differ" in n for n in diff(json.loads(old.read_text()), doc).notes)


def test_not_a_bundle_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"schemaVersion": 1}')
    with pytest.raises(HistoryError, match="not an mlops-scan evidence bundle"):
        load_bundle(bad)
    res = cli("diff", str(bad), str(bad))
    assert res.exit_code == 2 and "x.json" in res.stderr


def _series(tmp_path, levels: list[int]):
    folder = tmp_path / "history"
    folder.mkdir()
    base = json.loads(cli("scan", str(FIXTURES / "scripts_mlflow"), "--format", "json", "-q").stdout)
    for i, level in enumerate(levels):
        doc = json.loads(json.dumps(base))
        doc["finished_at"] = f"2026-0{i + 1}-01T06:00:00Z"
        doc["scores"]["monitoring"]["level"] = level
        # written out of order: the trend sorts by time, not by file name
        (folder / f"scan-{len(levels) - i}.json").write_text(json.dumps(doc))
    (folder / "mlops-scan-badge.json").write_text('{"schemaVersion": 1}')
    return folder


def test_trend_table_is_ordered_by_time_and_skips_other_json(tmp_path):
    folder = _series(tmp_path, [0, 1, 3])
    rows = trend(folder)
    assert [r.levels["monitoring"] for r in rows] == [0, 1, 3]
    res = cli("trend", str(folder))
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0].split()[:3] == ["finished", "commit", "data"] and len(lines) == 4
    assert lines[1].startswith("2026-01-01T06:00:00Z")


def test_trend_html_has_a_chart(tmp_path):
    folder = _series(tmp_path, [1, 2])
    out = tmp_path / "trend.html"
    assert cli("trend", str(folder), "--format", "html", "-o", str(out)).exit_code == 0
    html = out.read_text()
    assert html.count("<polyline") == 6 and "<script" not in html


def test_trend_of_a_folder_without_bundles_exits_2(tmp_path):
    res = cli("trend", str(tmp_path))
    assert res.exit_code == 2 and "no evidence bundle" in res.stderr
