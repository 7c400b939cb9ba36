"""The configuration file: loading, checking, excludes, disabled detectors, attestations, waivers."""
from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest

from conftest import write_tree
from reports_support import SCHEMA, cli, copy_fixture, scan_bundle
from scanner.config import CONFIG_FILE, ConfigError, find_config, load_config, parse_config
from scanner.vocabulary import vocabulary

TODAY = dt.date.today()
FUTURE = (TODAY + dt.timedelta(days=180)).isoformat()
PAST = (TODAY - dt.timedelta(days=400)).isoformat()


def attestation(signal: str, expires: str = FUTURE) -> str:
    return (f"  - signal: {signal}\n    by: Grace Hopper <grace@example.org>\n    date: {PAST}\n"
            f"    link: https://wiki.example.org/mlops/{signal}\n    expires: {expires}\n"
            f"    note: configured outside this repository\n")


def test_yaml_config_is_read_and_checked(tmp_path):
    path = write_tree(tmp_path, {CONFIG_FILE: (
        "profile: strict\nexclude: [sandbox/]\ndisable: [history]\nfail_under: 1\n"
        "targets: {monitoring: 2, data_management: 3}\nattestations:\n" + attestation("monitoring.alerting")
        + f"waivers:\n  - id: monitoring\n    by: Ada\n    reason: new service\n    expires: {FUTURE}\n")}) / CONFIG_FILE
    cfg = load_config(path, vocabulary())
    assert cfg.profile == "strict" and cfg.exclude == ("sandbox/",) and cfg.disable == ("history",)
    assert cfg.targets == {"data_management": 3, "monitoring": 2} and cfg.fail_under == 1
    assert cfg.attestations[0].signal == "monitoring.alerting"
    assert cfg.attestations[0].expires == dt.date.fromisoformat(FUTURE)
    assert cfg.waivers[0].id == "monitoring" and cfg.waivers[0].active(TODAY)
    assert cfg.sha256 and len(cfg.sha256) == 64


def test_pyproject_table_is_found_when_there_is_no_yaml(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n\n[tool.mlops-scan]\nexclude = ['old/']\n"
                                            "targets = { monitoring = 1 }\n"})
    path = find_config(tmp_path)
    assert path == tmp_path / "pyproject.toml"
    cfg = load_config(path, vocabulary())
    assert cfg.exclude == ("old/",) and cfg.targets == {"monitoring": 1}


def test_yaml_wins_over_pyproject_and_plain_pyproject_is_no_config(tmp_path):
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n"})
    assert find_config(tmp_path) is None
    write_tree(tmp_path, {CONFIG_FILE: "fail_under: 1\n", "pyproject.toml": "[tool.mlops-scan]\nfail_under = 2\n"})
    assert find_config(tmp_path) == tmp_path / CONFIG_FILE


@pytest.mark.parametrize("raw, message", [
    ({"excludes": ["a"]}, "unknown key(s) excludes"),
    ({"profile": "lenient"}, "profile: 'lenient' is not one of"),
    ({"targets": {"vibes": 2}}, "unknown dimension 'vibes'"),
    ({"targets": {"monitoring": 5}}, "expected a level from 0 to 4"),
    ({"targets": "monitoring:2"}, "is not DIMENSION=LEVEL"),
    ({"fail_under": "two"}, "fail_under: expected a level"),
    ({"exclude": "data/"}, "exclude: expected a list"),
    ({"attestations": [{"signal": "monitoring.alerting", "by": "x"}]}, "missing date, link, expires"),
    ({"attestations": [{"signal": "monitoring.vibes", "by": "x", "date": "2026-01-01", "link": "https://a",
                        "expires": "2026-02-01"}]}, "unknown signal 'monitoring.vibes'"),
    ({"attestations": [{"signal": "monitoring.alerting", "by": "x", "date": "2026-01-01",
                        "link": "javascript:alert(1)", "expires": "2026-02-01"}]}, "link must be an http(s) URL"),
    ({"attestations": [{"signal": "monitoring.alerting", "by": "x", "date": "2026-03-01", "link": "https://a",
                        "expires": "2026-02-01"}]}, "is before date"),
    ({"waivers": [{"id": "monitoring", "by": "x", "reason": "y", "expires": "soon"}]}, "expected a date"),
])
def test_bad_config_is_a_clear_error_naming_the_key(raw, message):
    with pytest.raises(ConfigError, match="cfg.yaml") as info:
        parse_config(raw, "cfg.yaml", vocabulary())
    assert message in str(info.value)


def test_malformed_config_file_exits_2_naming_the_file(tmp_path):
    repo = write_tree(tmp_path / "r", {"train.py": "print(1)\n", CONFIG_FILE: "targets: [unclosed\n"})
    res = cli("scan", str(repo), "-q")
    assert res.exit_code == 2
    assert CONFIG_FILE in res.stderr


@pytest.mark.parametrize("make, message", [
    # a link out of the repository (the process's environment) is never followed
    (lambda r: (r / CONFIG_FILE).symlink_to("/proc/self/environ"), "not read (a symlink"),
    (lambda r: (r / "pyproject.toml").symlink_to(r.parent / "elsewhere.toml"), "not read (a symlink"),
    (lambda r: (r / "pyproject.toml").write_bytes(b"[tool.mlops-scan]\nprofile = 'strict'\n\xff\xfe"), "not UTF-8"),
    (lambda r: (r / "pyproject.toml").write_text("[tool.mlops-scan]\n" + "# pad\n" * 60_000), "larger than 262144"),
])
def test_a_repository_config_that_cannot_be_read_is_reported_and_the_scan_goes_on(tmp_path, make, message):
    repo = write_tree(tmp_path / "r", {"train.py": "import mlflow\nmlflow.log_metric('acc', 0.9)\n"})
    (tmp_path / "elsewhere.toml").write_text("[tool.mlops-scan]\nprofile = 'strict'\n")
    make(repo)
    bundle = scan_bundle(repo)
    problem = next(e for e in bundle["errors"] if e["source"] == "config")
    assert message in problem["message"] and "scanned without it" in problem["message"]
    assert bundle["config"] is None and bundle["rules"]["name"] == "default"
    assert "PATH=" not in json.dumps(bundle)  # the environment was never read


def test_a_date_no_calendar_has_in_the_config_exits_2_naming_the_file_and_key(tmp_path):
    repo = write_tree(tmp_path / "r", {"train.py": "print(1)\n", CONFIG_FILE: (
        "waivers:\n  - id: monitoring\n    by: a\n    reason: b\n    expires: 2026-02-30\n")})
    res = cli("scan", str(repo), "-q")
    assert res.exit_code == 2 and "waivers[0]: expires: expected a date YYYY-MM-DD, got '2026-02-30'" in res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_waiver_id_exits_2(tmp_path):
    repo = write_tree(tmp_path / "r", {CONFIG_FILE: f"waivers:\n  - id: monitoring.nothing\n    by: a\n"
                                                    f"    reason: b\n    expires: {FUTURE}\n"})
    res = cli("scan", str(repo), "-q")
    assert res.exit_code == 2
    assert "neither a dimension nor a criterion" in res.stderr


def test_excludes_and_disabled_detectors_from_the_config(tmp_path):
    repo = copy_fixture("ci_serving", tmp_path / "repo")
    before = scan_bundle(repo)
    assert before["signals"]["deploy.container"]["outcome"] == "present"
    (repo / CONFIG_FILE).write_text("exclude: [Dockerfile]\ndisable: [governance]\n")
    after = scan_bundle(repo)
    assert after["signals"]["deploy.container"]["outcome"] == "absent"
    assert all(loc["path"] != "Dockerfile" for e in after["evidence"] for loc in e["locations"])
    assert "governance" not in after["coverage"]["detectors"]
    assert after["config"]["path"] == CONFIG_FILE
    # one file more (the configuration), one less (the excluded Dockerfile)
    assert after["coverage"]["sources"]["repository"]["files"] == before["coverage"]["sources"]["repository"]["files"]


def test_no_config_flag_ignores_the_repository_config(tmp_path):
    repo = copy_fixture("ci_serving", tmp_path / "repo")
    (repo / CONFIG_FILE).write_text("exclude: [Dockerfile]\n")
    assert scan_bundle(repo, "--no-config")["signals"]["deploy.container"]["outcome"] == "present"


# -- attestations ---------------------------------------------------------------------------
@pytest.fixture
def attested_repo(tmp_path):
    """scripts_mlflow (model_deployment 0) with a serving practice attested by a person."""
    repo = copy_fixture("scripts_mlflow", tmp_path / "repo")
    (repo / CONFIG_FILE).write_text("attestations:\n" + attestation("deploy.serving")
                                    + attestation("tracking.library") + attestation("deploy.iac", expires=PAST))
    return repo


def test_attested_evidence_counts_under_default_apart_from_detection(attested_repo):
    bundle = scan_bundle(attested_repo)
    jsonschema.validate(bundle, SCHEMA)
    serving = bundle["signals"]["deploy.serving"]
    assert serving == {"outcome": "present", "tier": "attested", "evidence": serving["evidence"]}
    attested = [e for e in bundle["evidence"] if e["tier"] == "attested"]
    assert {e["signal"] for e in attested} == {"deploy.serving", "tracking.library"}  # the expired one is not used
    assert set(serving["evidence"]) == {e["id"] for e in attested if e["signal"] == "deploy.serving"}
    assert all(e["detector"] == "attestation" and e["locations"][0]["path"] == CONFIG_FILE
               and e["locations"][0]["sha256"] == bundle["config"]["sha256"] for e in attested)
    assert bundle["scores"]["model_deployment"]["level"] == 1
    met = bundle["scores"]["model_deployment"]["met"]
    assert [c["attested"] for c in met] == [True]
    status = {a["signal"]: a["status"] for a in bundle["attestations"]}
    assert status == {"deploy.serving": "counted", "tracking.library": "superseded", "deploy.iac": "expired"}


def test_detected_evidence_is_never_mixed_with_attested(attested_repo):
    bundle = scan_bundle(attested_repo)
    library = bundle["signals"]["tracking.library"]
    assert library["tier"] != "attested"
    attested_ids = {e["id"] for e in bundle["evidence"] if e["tier"] == "attested"}
    assert not attested_ids & set(library["evidence"])


def test_strict_profile_ignores_attestations(attested_repo):
    bundle = scan_bundle(attested_repo, "--profile", "strict")
    assert bundle["signals"]["deploy.serving"]["outcome"] == "absent"
    assert bundle["scores"]["model_deployment"]["level"] == 0
    status = {a["signal"]: a["status"] for a in bundle["attestations"]}
    assert status["deploy.serving"] == "ignored"


def test_attestations_are_reported_apart_in_every_format(attested_repo, tmp_path):
    out = tmp_path / "out"
    res = cli("scan", str(attested_repo), "--format", "text,md,html", "--out-dir", str(out), "-q")
    assert res.exit_code == 0, res.stderr
    assert "attested (asserted by people, not detected):" in (out / "mlops-scan.txt").read_text()
    assert "## Attested (asserted by people, not detected)" in (out / "mlops-scan.md").read_text()
    html = (out / "mlops-scan.html").read_text()
    assert "<h2>Attested evidence</h2>" in html and "https://wiki.example.org/mlops/deploy.serving" in html
