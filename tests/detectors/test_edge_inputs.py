"""Edge inputs seen in real repositories: trigger-less workflows, non-blocking scans that
report to code scanning, tracker run stores, UTF-16 requirements and custom logger classes."""
from __future__ import annotations

import textwrap

import pytest
from conftest import declared, present, run_detector

from detectors.ci import CIDetector
from detectors.data import DataDetector
from detectors.monitoring import MonitoringDetector
from detectors.tools import ToolUsageDetector
from detectors.tracking import TrackingDetector

TRAIN_JOB = textwrap.dedent("""\
    jobs:
      train:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
          - run: python train.py
          - run: pytest -q
    """)


# -- GitHub workflows with no trigger never run --------------------------------------------------
@pytest.mark.parametrize("on", [
    "on:\n",                                   # every trigger commented out
    "on:\n  # schedule:\n  #   - cron: '1 1 * * 1'\n",
    "on: {}\n",
    "on: []\n",
    "",                                        # no on key at all
])
def test_workflow_without_triggers_runs_nothing(make_repo, on):
    repo = make_repo({".github/workflows/train.yml": "name: train\n" + on + TRAIN_JOB})
    found = present(run_detector(CIDetector, repo))
    assert "deploy.ci_training" not in found
    assert "deploy.ci_tests" not in found


@pytest.mark.parametrize("on", [
    "on:\n  workflow_dispatch:\n",               # manual runs still train in CI
    "on: [push]\n",
    "on:\n  issues:\n    types: [opened]\n",     # an event the model does not name still runs
])
def test_workflow_with_a_trigger_still_counts(make_repo, on):
    repo = make_repo({".github/workflows/train.yml": "name: train\n" + on + TRAIN_JOB})
    assert "deploy.ci_training" in present(run_detector(CIDetector, repo))


# -- a non-blocking scanner whose SARIF is uploaded ---------------------------------------------
SCAN = """\
name: scan
on: [push]
jobs:
  security:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: aquasecurity/trivy-action@master
        with:
          scan-type: fs
          format: sarif
          output: trivy-results.sarif
        continue-on-error: true
{upload}"""
UPLOAD = """\
      - uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: trivy-results.sarif
        continue-on-error: true
"""


@pytest.mark.parametrize("upload, expected", [
    (UPLOAD, True),                                                  # findings reach code scanning
    ("", False),                                                     # output goes nowhere
    ("      - uses: actions/upload-artifact@v4\n        with:\n          path: results.sarif\n",
     False),                                                         # an artifact is not an alert
])
def test_non_blocking_scan_counts_only_when_reported(make_repo, upload, expected):
    repo = make_repo({".github/workflows/scan.yml": SCAN.format(upload=upload)})
    assert ("governance.security_scanning" in present(run_detector(CIDetector, repo))) is expected


# -- tracker run stores are not project code --------------------------------------------------------
LOGGING_SCRIPT = """\
import mlflow
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
X, y = load_iris(return_X_y=True)
Xtr, Xte, ytr, yte = train_test_split(X, y)
with mlflow.start_run():
    mlflow.log_param("n_estimators", 100)
    mlflow.log_metric("accuracy", 0.9)
    mlflow.log_artifact("cm.png")
"""


@pytest.mark.parametrize("path", [
    "mlruns/6545/6cd3c47d182d4151adcfeeb287a49cca/artifacts/file.1.py",
    "mlartifacts/1/abc/artifacts/train.py",
    "wandb/run-20240101_101010-abc123/files/code/train.py",
    "project/wandb/offline-run-20240101_101010-x1/files/code/train.py",
])
def test_code_copied_into_a_run_store_is_not_project_code(make_repo, path):
    repo = make_repo({path: LOGGING_SCRIPT, "README.md": "# demo\n"})
    tools = run_detector(ToolUsageDetector, repo)
    assert not {"tracking.library", "tracking.params_metrics", "tracking.artifacts_models"} & present(tools)
    assert "tracking.library" in declared(tools)  # still shown to the reader
    assert "data.prep_code" not in present(run_detector(DataDetector, repo))


@pytest.mark.parametrize("path", ["src/train.py", "mlruns_utils/train.py", "wandb_utils/run-x/train.py"])
def test_same_code_outside_a_run_store_counts(make_repo, path):
    repo = make_repo({path: LOGGING_SCRIPT})
    assert "tracking.params_metrics" in present(run_detector(ToolUsageDetector, repo))


# -- UTF-16 requirements (pip freeze in Windows PowerShell) -------------------------------------
PINNED = "mlflow==2.9.0\npandas==2.1.0\nscikit-learn==1.3.2\nnumpy==1.26.0\nfastapi==0.104.1\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_utf16_requirements_are_read(make_repo, encoding):
    data = {"utf-16": PINNED.encode("utf-16"),
            "utf-16-le-bom": b"\xff\xfe" + PINNED.encode("utf-16-le"),
            "utf-16-be-bom": b"\xfe\xff" + PINNED.encode("utf-16-be")}[encoding]
    repo = make_repo({"requirements.txt": data})
    assert "tracking.reproducible_env" in present(run_detector(TrackingDetector, repo))


@pytest.mark.parametrize("data", [
    PINNED.encode("utf-16-le"),                     # no byte-order mark: not something pip reads
    b"\x00\x01\x02binary\x00" * 20,                 # a binary file named like requirements
])
def test_binary_requirements_stay_unread(make_repo, data):
    repo = make_repo({"requirements.txt": data})
    assert "tracking.reproducible_env" not in present(run_detector(TrackingDetector, repo))


# -- a project Logger class with its own handlers -----------------------------------------------
CUSTOM_LOGGER = """\
import logging
from logging.handlers import RotatingFileHandler

class CustomLogger(logging.Logger):
    def __init__(self, name):
        super().__init__(name)
        handler = RotatingFileHandler("logs/run.log", maxBytes=10240)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        self.addHandler(handler)
        self.addHandler(logging.StreamHandler())
"""


@pytest.mark.parametrize("code, expected", [
    (CUSTOM_LOGGER, True),
    ("import logging\nlog = logging.Logger('x')\nlog.addHandler(logging.FileHandler('a.log'))\n", True),
    # a handler class defined but never attached, or addHandler on something else
    ("import logging\nclass H(logging.Handler):\n    pass\nh = logging.StreamHandler()\n", False),
    ("import logging\nclass Bus:\n    pass\nBus().addHandler(print)\n", False),
])
def test_logger_subclass_with_handlers_is_logging_setup(make_repo, code, expected):
    repo = make_repo({"pkg/config.py": code})
    assert ("monitoring.logging" in present(run_detector(MonitoringDetector, repo))) is expected
