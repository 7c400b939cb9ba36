"""What a scan costs, counted rather than timed: parses per file, file listings per scan.

Wall time belongs to ``bench/``; here the work itself is counted, on small generated projects,
so that a change that parses a file twice or walks the file list once per file fails a test.
"""
from __future__ import annotations

import collections
from pathlib import Path

import pytest

import scanner.parsing.python as python_parsing
from conftest import git_repo
from scanner.detector import ScanContext
from scanner.engine import scan
from scanner.rules_engine import load_rules
from scanner.sources.local import LocalRepo

MODULE = """import mlflow
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from project.features import build_{i}


def load_{i}(path: str) -> pd.DataFrame:
    return pd.read_csv(path).dropna()


def train_{i}(path: str, n_estimators: int = {i}) -> RandomForestClassifier:
    df = build_{i}(load_{i}(path))
    with mlflow.start_run(run_name="model-{i}"):
        model = RandomForestClassifier(n_estimators=n_estimators).fit(df.drop(columns="y"), df["y"])
        mlflow.log_param("n_estimators", n_estimators)
        mlflow.sklearn.log_model(model, "model-{i}")
    return model
"""


def project(root: Path, modules: int) -> Path:
    files = {f"project/models/model_{i:03d}.py": MODULE.format(i=i) for i in range(modules)}
    files.update({"project/features/__init__.py": "".join(f"def build_{i}(df):\n    return df\n\n" for i in range(modules)),
                  "configs/train.yaml": "n_estimators: 100\n",
                  "tests/test_models.py": "from project.models.model_000 import load_0\n\ndef test_load():\n    assert load_0\n",
                  ".github/workflows/ci.yml": "on: [push]\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                                              "      - run: pytest\n",
                  "requirements.txt": "mlflow\npandas\nscikit-learn\n"})
    return git_repo(root, files)


def counted_scan(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[collections.Counter, int]:
    """(parses per distinct source, calls of the scan's file listing by detectors)."""
    parses: collections.Counter = collections.Counter()
    listings = [0]
    parse, files = python_parsing._ast_parse, ScanContext.files

    def counting_parse(source: str):
        parses[source] += 1
        return parse(source)

    def counting_files(self):
        listings[0] += 1
        return files(self)

    monkeypatch.setattr(python_parsing, "_ast_parse", counting_parse)
    monkeypatch.setattr(ScanContext, "files", counting_files)
    scan(LocalRepo(root), load_rules(), jobs=1)
    return parses, listings[0]


def test_each_python_file_is_parsed_once_per_scan(tmp_path, monkeypatch):
    parses, _ = counted_scan(project(tmp_path / "p", 40), monkeypatch)
    assert len(parses) >= 40  # every module was read
    assert max(parses.values()) == 1, [s.splitlines()[0] for s, n in parses.items() if n > 1]


def test_the_file_listing_is_asked_for_as_often_whatever_the_size(tmp_path, monkeypatch):
    """Detectors ask for the list of files a fixed number of times: never once per file."""
    _, small = counted_scan(project(tmp_path / "small", 10), monkeypatch)
    _, large = counted_scan(project(tmp_path / "large", 60), monkeypatch)
    assert small == large and large < 200
