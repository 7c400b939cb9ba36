"""Synthetic repositories for the benchmarks: a sparse tree of mostly irrelevant files, and a
realistic ML project (packages of data, training, serving and monitoring code, tests, configs,
CI, notebooks with outputs, manifests and docs) whose files look like real ones."""
from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org", "PATH": "/usr/bin:/bin"}

TRAIN = """import mlflow
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

def train(path, n_estimators={n}):
    df = pd.read_csv(path).dropna()
    with mlflow.start_run():
        mlflow.log_param("n_estimators", n_estimators)
        model = RandomForestClassifier(n_estimators=n_estimators).fit(df.drop(columns="y"), df.y)
        mlflow.log_metric("acc", model.score(df.drop(columns="y"), df.y))
        mlflow.sklearn.log_model(model, "model")
"""

WORKFLOW = """name: ci-{n}
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install -e . && pytest -q
"""

NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": ["import pandas as pd\n", "df = pd.read_csv('data.csv')\n", "df.describe()\n"]}]})


def commit(root: Path) -> None:
    """Make ``root`` a git repository with everything in one commit."""
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "synthetic"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=GIT_ENV)


def _write(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def build_sparse(root: Path, n_files: int) -> None:
    """Mostly web assets nobody reads, a few hundred Python/YAML/notebook files, a few large ones."""
    rng = random.Random(7)
    relevant = max(300, n_files // 60)
    for i in range(n_files - relevant):
        kind = rng.choice(["js", "txt", "css", "html", "md", "png"])
        _write(root, f"web/{i % 97}/{i % 13}/asset_{i}.{kind}",
               rng.randbytes(200) if kind == "png" else f"// file {i}\n".encode() * 20)
    for i in range(relevant):
        which = i % 3
        rel = (f"src/pkg/mod_{i}.py" if which == 0 else f"configs/conf_{i}.yaml" if which == 1
               else f"notebooks/nb_{i}.ipynb")
        _write(root, rel, TRAIN.format(n=i) if which == 0 else
               f"learning_rate: 0.{i}\nlayers: [{i}, {i}]\n" if which == 1 else NOTEBOOK)
    for i in range(5):
        _write(root, f".github/workflows/ci{i}.yml", WORKFLOW.format(n=i))
    for i in range(3):  # a few large files: over the size cap, listed not read
        _write(root, f"data/big_{i}.csv", b"a,b,c\n" + b"1,2,3\n" * 700_000)
    _write(root, "src/pkg/huge_generated.py", "X = [" + "1, " * 400_000 + "]\n")
    commit(root)


# -- a realistic ML project ---------------------------------------------------------------------
_DATA = '''"""Loading and cleaning of the {name} table."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

log = logging.getLogger(__name__)
COLUMNS = {columns!r}


def load_{name}(path: str | Path) -> pd.DataFrame:
    """Read the raw export and keep the known columns."""
    df = pd.read_csv(path, parse_dates=["ts"])
    missing = set(COLUMNS) - set(df.columns)
    if missing:
        raise ValueError(f"missing columns: {{sorted(missing)}}")
    return df[COLUMNS]


def clean_{name}(df: pd.DataFrame) -> pd.DataFrame:
    df = df.drop_duplicates().dropna(subset=["target"])
    df["amount"] = df["amount"].clip(lower=0).fillna(df["amount"].median())
    df["weekday"] = df["ts"].dt.weekday
    log.info("cleaned %d rows", len(df))
    return df


def split_{name}(df: pd.DataFrame, seed: int = {seed}):
    features = df.drop(columns=["target"]).select_dtypes(include=[np.number])
    scaler = StandardScaler()
    x = scaler.fit_transform(features)
    return train_test_split(x, df["target"], test_size=0.2, random_state=seed)
'''

_TRAIN = '''"""Training of the {name} model."""
from __future__ import annotations

import argparse

import mlflow
import optuna
import yaml
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import f1_score, roc_auc_score

from {pkg}.data.{name} import clean_{name}, load_{name}, split_{name}


def objective(trial, x_train, y_train, x_val, y_val):
    params = {{"n_estimators": trial.suggest_int("n_estimators", 50, 400),
              "max_depth": trial.suggest_int("max_depth", 2, 8)}}
    model = GradientBoostingClassifier(**params).fit(x_train, y_train)
    return roc_auc_score(y_val, model.predict_proba(x_val)[:, 1])


def main(config_path: str) -> None:
    with open(config_path) as f:
        config = yaml.safe_load(f)
    x_train, x_val, y_train, y_val = split_{name}(clean_{name}(load_{name}(config["data"])))
    study = optuna.create_study(direction="maximize")
    study.optimize(lambda t: objective(t, x_train, y_train, x_val, y_val), n_trials=config["trials"])
    with mlflow.start_run(run_name="{name}"):
        mlflow.log_params(study.best_params)
        model = GradientBoostingClassifier(**study.best_params).fit(x_train, y_train)
        score = f1_score(y_val, model.predict(x_val))
        mlflow.log_metric("f1", score)
        mlflow.sklearn.log_model(model, "model", registered_model_name="{name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/{name}.yaml")
    main(parser.parse_args().config)
'''

_SERVE = '''"""HTTP service for the {name} model."""
from __future__ import annotations

import joblib
from fastapi import FastAPI
from prometheus_client import Counter, Histogram
from pydantic import BaseModel

app = FastAPI(title="{name}")
model = joblib.load("models/{name}.joblib")
PREDICTIONS = Counter("{name}_predictions_total", "predictions served")
LATENCY = Histogram("{name}_latency_seconds", "prediction latency")


class Request(BaseModel):
    amount: float
    weekday: int


@app.post("/predict")
def predict(req: Request) -> dict:
    with LATENCY.time():
        PREDICTIONS.inc()
        return {{"score": float(model.predict_proba([[req.amount, req.weekday]])[0, 1])}}
'''

_MONITOR = '''"""Daily drift report for {name}."""
import pandas as pd
from evidently.metric_preset import DataDriftPreset
from evidently.report import Report


def drift_report(reference: pd.DataFrame, current: pd.DataFrame) -> dict:
    report = Report(metrics=[DataDriftPreset()])
    report.run(reference_data=reference, current_data=current)
    report.save_html("reports/{name}_drift.html")
    return report.as_dict()
'''

_UTIL = '''"""Small helpers ({i})."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from typing import Any, Callable


def retry(times: int = {i} % 5 + 1) -> Callable:
    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any):
            for attempt in range(times):
                try:
                    return fn(*args, **kwargs)
                except OSError:
                    time.sleep(2 ** attempt)
            return fn(*args, **kwargs)
        return inner
    return wrap


def digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes")
'''

_TEST = '''import pandas as pd
import pytest

from {pkg}.data.{name} import clean_{name}


@pytest.fixture
def frame():
    return pd.DataFrame({{"ts": pd.to_datetime(["2024-01-01", "2024-01-02"]), "amount": [1.0, None],
                         "target": [0, 1]}})


def test_clean_{name}_keeps_rows(frame):
    assert len(clean_{name}(frame)) == 2


def test_clean_{name}_fills_amount(frame):
    assert clean_{name}(frame)["amount"].notna().all()
'''

_CONFIG = "data: data/{name}.csv\ntrials: {i}\nmodel:\n  max_depth: {d}\n  learning_rate: 0.0{d}\n"
_K8S = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: {name}
          image: registry.example.org/{name}:latest
          ports: [{{containerPort: 8080}}]
"""
_DOC = "# {name}\n\nThe {name} model scores transactions. It is trained with MLflow tracking and served with FastAPI.\n\n" \
       "## Metrics\n\nAUC is reported per run; drift is checked daily with Evidently.\n" * 3


def _notebook(rng: random.Random, name: str) -> str:
    image = {"output_type": "display_data", "metadata": {},
             "data": {"image/png": rng.randbytes(30_000).hex(), "text/plain": ["<Figure>"]}}
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [f"# Exploring {name}\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [image],
              "source": ["import pandas as pd\n", "import matplotlib.pyplot as plt\n",
                         f"df = pd.read_csv('data/{name}.csv')\n", "df.hist(figsize=(12, 8))\n", "plt.show()\n"]}]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def build_realistic(root: Path, n_files: int = 1000) -> None:
    """A real-looking ML monorepo of about ``n_files`` files."""
    rng = random.Random(11)
    pkg = "ledger"
    names = [f"{w}{i}" for i in range(n_files) for w in ("fraud", "churn", "risk", "demand")][: max(4, n_files // 12)]
    for i, name in enumerate(names):
        cols = ["ts", "amount", "target", f"feature_{i}"]
        _write(root, f"src/{pkg}/data/{name}.py", _DATA.format(name=name, columns=cols, seed=i))
        _write(root, f"src/{pkg}/models/train_{name}.py", _TRAIN.format(name=name, pkg=pkg))
        _write(root, f"src/{pkg}/serving/{name}_api.py", _SERVE.format(name=name))
        _write(root, f"src/{pkg}/monitoring/{name}_drift.py", _MONITOR.format(name=name))
        _write(root, f"tests/test_{name}.py", _TEST.format(name=name, pkg=pkg))
        _write(root, f"configs/{name}.yaml", _CONFIG.format(name=name, i=i % 50 + 10, d=i % 7 + 2))
        _write(root, f"k8s/{name}.yaml", _K8S.format(name=name))
        _write(root, f"docs/models/{name}.md", _DOC.format(name=name))
        if i % 4 == 0:
            _write(root, f"notebooks/{name}_eda.ipynb", _notebook(rng, name))
        if i % 3 == 0:
            _write(root, f"data/samples/{name}.csv", "ts,amount,target\n" + "2024-01-01,1.5,0\n" * 40)
    for i in range(max(0, n_files - sum(1 for _ in root.rglob("*") if _.is_file()) - 12)):
        _write(root, f"src/{pkg}/utils/helpers_{i}.py", _UTIL.format(i=i))
    _write(root, f"src/{pkg}/__init__.py", "")
    _write(root, "README.md", "# Ledger ML\n\n## Installation\n\n```bash\npip install -e .\nmake test\n```\n")
    _write(root, "pyproject.toml", f'[project]\nname = "{pkg}"\nversion = "1.0"\ndependencies = ["mlflow", "pandas"]\n'
                                   '[tool.ruff]\nline-length = 100\n')
    _write(root, "requirements.txt", "mlflow==2.12.1\npandas==2.2.0\nscikit-learn==1.4.0\noptuna==3.5.0\n"
                                     "fastapi==0.110.0\nevidently==0.4.15\nprometheus-client==0.20.0\n")
    _write(root, "Dockerfile", "FROM python:3.11-slim\nCOPY . /app\nRUN pip install /app\nCMD [\"uvicorn\", \"app:app\"]\n")
    _write(root, "Makefile", "test:\n\tpytest -q\nlint:\n\truff check src\n")
    _write(root, ".pre-commit-config.yaml", "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
                                            "    rev: v0.3.0\n    hooks:\n      - id: ruff\n")
    _write(root, "dvc.yaml", "stages:\n  train:\n    cmd: python -m ledger.models.train_fraud0\n"
                             "    deps: [data/samples]\n    outs: [models]\n")
    _write(root, ".github/workflows/ci.yml", "name: ci\non: [push, pull_request]\njobs:\n  test:\n"
                                             "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
                                             "      - run: pip install -e . && make lint && pytest -q\n")
    _write(root, ".github/workflows/drift.yml", "name: drift\non:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n"
                                                "  drift:\n    runs-on: ubuntu-latest\n    steps:\n"
                                                "      - run: python -m ledger.monitoring.fraud0_drift\n")
    _write(root, "LICENSE", "MIT License\n\nCopyright (c) 2026 Ledger\n")
    commit(root)
