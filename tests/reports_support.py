"""Helpers for the report, config, gate and history tests: run the CLI, copy fixtures."""
from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

from click.testing import CliRunner, Result

from conftest import FIXTURES
from scanner.cli import main

SCHEMA = json.loads(resources.files("scanner").joinpath("bundle.schema.json").read_text())
_TIMESTAMP = re.compile(r'"(started_at|finished_at)": "[^"]*"')


def cli(*args: str) -> Result:
    """Run the command line in-process."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def copy_fixture(name: str, dest: Path) -> Path:
    """A plain (non-git) copy of a fixture repository, free to change."""
    shutil.copytree(FIXTURES / name, dest)
    return dest


def scan_bundle(target: Path, *args: str) -> dict:
    """The evidence bundle of a scan (exit code 0 or 1 accepted: a gate may fail)."""
    res = cli("scan", str(target), "--format", "json", "-q", *args)
    assert res.exit_code in (0, 1), res.output + res.stderr
    return json.loads(res.stdout)


def without_timestamps(text: str) -> str:
    """Bundle text with its two timestamps blanked: all that may differ between two scans."""
    return _TIMESTAMP.sub(r'"\1": ""', text)
