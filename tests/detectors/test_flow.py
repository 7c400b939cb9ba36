"""The shared reading of what project functions do (``detectors.flow``), and the in-house
recognisers built on it facing hostile input: nothing crashes a detector."""
from __future__ import annotations

import ast

import pytest
from conftest import run_detector

from detectors.data import DataDetector
from detectors.deployment import DeploymentDetector
from detectors.flow import Module, monitoring_names, pipeline_names, source, words
from detectors.monitoring import MonitoringDetector
from detectors.tracking import TrackingDetector
from scanner.model import Outcome


@pytest.mark.parametrize("name, expected", [
    ("run_drift_check", {"run", "drift", "check"}),
    ("runDriftCheck", {"run", "drift", "check"}),
    ("HTTPServer2", {"http", "server", "2"}),
])
def test_words(name, expected):
    assert words(name) == expected


def test_purposes_come_from_whole_words():
    assert monitoring_names(["detect_drift", "drifted_sand", "constraint"]) == ["detect_drift"]
    assert pipeline_names(["retrain_model", "refresh_features", "constraint_check", "refresh_token"]) == \
        ["refresh_features", "retrain_model"]


def test_reach_follows_helpers_callbacks_and_the_constructor():
    tree = ast.parse(
        "class Loop:\n    def __init__(self, check=None):\n        self.check = check or default_check\n"
        "    def tick(self):\n        self._run()\n    def _run(self):\n        self.check()\n"
        "def default_check():\n    compute_drift()\n"
        "def unrelated():\n    retrain()\n")
    module = Module("m.py", tree)
    reached = {f.qualname for f in module.reach(module.lookup("tick", "Loop"))}
    assert reached == {"Loop.tick", "Loop._run", "Loop.__init__", "default_check"}


def test_source_of_a_hostile_expression():
    deep = ast.parse("x = " + "+".join(["1"] * 700)).body[0].value
    assert source(deep) == "..."


DEEP = "+".join(["1"] * 700)
HOSTILE_APP = f"""\
import random
from fastapi import FastAPI
app = FastAPI()

@app.post("/p")
def p(x):
    if random.random() < {DEEP}:
        return candidate_model.predict(x)
    else:
        return stable_model.predict(x)

def promote(v, score, best):
    if score < best + {DEEP}:
        return
    client.set_registered_model_alias("m", "prod", v)
"""


@pytest.mark.parametrize("files", [
    {"app.py": HOSTILE_APP},
    {"k8s/job.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: 5\nspec: [1, 2]\n"},
    {"k8s/job.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec:\n  jobTemplate: {spec: true}\n"},
    {"k8s/job.yaml": "kind: CronJob\nspec: {schedule: [unclosed\n"},
    {"infra/jobs.tf": 'resource "aws_cloudwatch_event_rule" "x" {\n  schedule_expression = "rate(1 day)"\n'},
    {"jobs.py": "import apscheduler\nsched.add_job()\nsched.add_job(func=None, trigger=5)\n"
                "schedule.every().do()\nwhile True:\n    time.sleep()\n"},
    {"store.py": "def f(x):\n    for p in x:\n        labels[p]\n    return 'SELECT FROM JOIN'\n"},
])
def test_hostile_input_never_crashes(make_repo, files):
    root = make_repo(files)
    for detector in (DataDetector, DeploymentDetector, MonitoringDetector, TrackingDetector):
        assert not [e for e in run_detector(detector, root) if e.outcome is Outcome.ERROR
                    and "failed" in e.summary]
