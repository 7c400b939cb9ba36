"""Report formats: several from one run, SARIF structure, safe HTML, Markdown, badge, re-rendering."""
from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from conftest import FIXTURES
from reports_support import cli, without_timestamps
from scanner.reporting import render_html, render_markdown
from scanner.reporting.badge import badge


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Every format of one scan of trap_readme_only (tools named only in prose and manifests)."""
    out = tmp_path_factory.mktemp("out")
    res = cli("scan", str(FIXTURES / "trap_readme_only"), "--format", "json,md,html,sarif,badge,text",
              "--out-dir", str(out), "-q", "--target", "experiment_tracking=1")
    assert res.exit_code == 1, res.stderr  # experiment tracking is at 0
    return out


def test_one_run_writes_every_format(outputs):
    names = sorted(p.name for p in outputs.iterdir())
    assert names == ["mlops-scan-badge.json", "mlops-scan.html", "mlops-scan.json", "mlops-scan.md",
                     "mlops-scan.sarif", "mlops-scan.txt"]


def test_json_from_out_dir_equals_the_single_format_output(outputs):
    single = cli("scan", str(FIXTURES / "trap_readme_only"), "--format", "json", "-q",
                 "--target", "experiment_tracking=1").stdout
    assert without_timestamps(single) == without_timestamps((outputs / "mlops-scan.json").read_text())


@pytest.mark.parametrize("args, message", [
    (["--format", "json,md"], "several formats need --out-dir"),
    (["--format", "json,pdf"], "unknown format(s) pdf"),
    (["--format", "md", "-o", "x.md", "--out-dir", "d"], "either -o FILE"),
])
def test_format_usage_errors_exit_2(args, message):
    res = cli("scan", str(FIXTURES / "trap_readme_only"), "-q", *args)
    assert res.exit_code == 2
    assert message in res.stderr


def test_sarif_lists_each_unmet_criterion_of_the_next_level(outputs):
    log = json.loads((outputs / "mlops-scan.sarif").read_text())
    bundle = json.loads((outputs / "mlops-scan.json").read_text())
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    gap = [(d, c["id"]) for d, s in bundle["scores"].items() for c in s["gap"]]
    assert sorted((r["properties"]["dimension"], r["ruleId"]) for r in run["results"]) == sorted(gap)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"], "code scanning rejects results without a location"
        assert result["level"] in ("error", "note")
    tracking = next(r for r in run["results"] if r["ruleId"] == "tracking.recorded")
    assert tracking["level"] == "error"  # below its target
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for loc in tracking["locations"]}
    assert "README.md" in uris  # where the tool was only mentioned


def test_sarif_fingerprints_are_stable_across_runs(outputs, tmp_path):
    again = tmp_path / "again"
    cli("scan", str(FIXTURES / "trap_readme_only"), "--format", "sarif", "--out-dir", str(again), "-q")
    fp = lambda p: sorted(r["partialFingerprints"]["mlopsScanCriterion/v1"]  # noqa: E731
                          for r in json.loads(p.read_text())["runs"][0]["results"])
    assert fp(again / "mlops-scan.sarif") == fp(outputs / "mlops-scan.sarif")


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "href" in attrs:
            self.hrefs.append(attrs["href"])


def test_html_is_self_contained_and_every_evidence_link_resolves(outputs):
    html = (outputs / "mlops-scan.html").read_text()
    parser = _Anchors()
    parser.feed(html)
    assert "svg" in parser.tags and "script" not in parser.tags and "link" not in parser.tags
    internal = [h[1:] for h in parser.hrefs if h.startswith("#")]
    assert internal and set(internal) <= parser.ids
    assert all(h.startswith(("#", "https://", "http://")) for h in parser.hrefs)
    assert "Not checked" in html and "MLflow tracking server not given" in html


def test_html_and_markdown_escape_hostile_content(outputs):
    bundle = json.loads((outputs / "mlops-scan.json").read_text())
    ev = bundle["evidence"][0]
    ev["summary"] = "<script>alert(1)</script> | pipe"
    ev["locations"] = [{"path": "a<b>.py", "line": 1, "url": "javascript:alert(1)", "sha256": None}]
    bundle["scores"]["governance"]["reason"] = "x\n| injected | row |"
    html = render_html(bundle)
    assert "<script>" not in html and "&lt;script&gt;" in html and "a&lt;b&gt;.py" in html
    assert "javascript:" not in html  # a link a reader could follow only when http(s)
    md = render_markdown(bundle)
    assert "x \\| injected \\| row \\|" in md


def test_markdown_fits_a_job_summary(outputs):
    md = (outputs / "mlops-scan.md").read_text()
    assert md.startswith("# MLOps maturity: trap_readme_only")
    assert "| Experiment tracking | 0/4 none / ad hoc |" in md and "0 (FAIL)" not in md
    assert "1 (FAIL)" in md and "## Next steps" in md and "## Not checked" in md
    assert len(md.encode()) < 65536  # the size limit of a pull request comment


def test_badge_is_a_shields_endpoint(outputs):
    data = json.loads((outputs / "mlops-scan-badge.json").read_text())
    assert data["schemaVersion"] == 1 and data["label"] == "MLOps maturity"
    assert data["message"].startswith("min 0/4") and data["color"] == "critical"  # the gate failed
    passing = {"overall": {"min": 3, "mean": 3.5}, "gates": {"failed": False}}
    assert badge(passing) == {"schemaVersion": 1, "label": "MLOps maturity", "message": "min 3/4 · mean 3.5",
                              "color": "yellowgreen"}


def test_report_command_renders_a_saved_bundle_again(outputs, tmp_path):
    res = cli("report", str(outputs / "mlops-scan.json"), "--format", "md")
    assert res.exit_code == 0
    assert res.stdout == (outputs / "mlops-scan.md").read_text()
    res = cli("report", str(outputs / "mlops-scan.json"), "--format", "html,sarif", "--out-dir", str(tmp_path))
    assert res.exit_code == 0
    assert (tmp_path / "mlops-scan.sarif").read_text() == (outputs / "mlops-scan.sarif").read_text()
