"""The evidence bundle as a contract, over every fixture: schema, determinism, replayability."""
from __future__ import annotations

import hashlib
import json
import subprocess
from importlib import resources

import jsonschema
import pytest
import yaml

from conftest import FIXTURES, ROOT
from reports_support import SCHEMA, cli, without_timestamps
from scanner import __version__

#: the fixture repositories (those with expected levels), not recorded API payloads
FIXTURE_NAMES = sorted(yaml.safe_load((ROOT / "tests" / "fixture_expectations.yaml").read_text()))


@pytest.fixture(scope="module")
def bundles():
    """Two scans of each fixture, as the JSON text the command line writes."""
    out = {}
    for name in FIXTURE_NAMES:
        runs = [cli("scan", str(FIXTURES / name), "--format", "json", "-q") for _ in range(2)]
        assert all(r.exit_code == 0 for r in runs), runs[0].stderr
        out[name] = [r.stdout for r in runs]
    return out


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_fixture_bundle_validates(name, bundles):
    jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(
        json.loads(bundles[name][0]))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_same_input_gives_byte_identical_json_apart_from_timestamps(name, bundles):
    first, second = bundles[name]
    assert without_timestamps(first) == without_timestamps(second)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_every_file_location_carries_the_sha256_of_what_was_read(name, bundles):
    bundle = json.loads(bundles[name][0])
    root = FIXTURES / name
    checked = 0
    for ev in bundle["evidence"]:
        for loc in ev["locations"]:
            path = root / loc["path"]
            if path.is_file():
                assert loc["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), loc
                checked += 1
            else:  # not a file: a git ref or the history, which has no content digest
                assert loc["sha256"] is None, loc
    assert checked > 0


def test_bundle_names_commit_tool_version_and_rules_digest(bundles):
    bundle = json.loads(bundles["full_stack"][0])
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert bundle["target"]["commit"] == head
    assert bundle["tool"] == {"name": "mlops-scan", "version": __version__}
    rules_text = resources.files("rules").joinpath("default.yaml").read_text(encoding="utf-8")
    assert bundle["rules"] == {"name": "default", "sha256": hashlib.sha256(rules_text.encode()).hexdigest()}


def test_schema_command_prints_the_shipped_schema():
    res = cli("schema")
    assert res.exit_code == 0
    assert json.loads(res.stdout) == SCHEMA


def test_schema_rejects_a_bundle_that_breaks_the_contract(bundles):
    bundle = json.loads(bundles["scripts_mlflow"][0])
    bundle["evidence"][0]["locations"].append({"path": "x.py", "line": 1, "url": None, "sha256": "not-a-digest"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bundle, SCHEMA)
