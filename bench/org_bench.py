"""Org scan benchmark: 200 repositories served by a mocked GitHub API (no network).

Prints the API requests per repository (including every platform fact) and the wall time,
beside a reference measured in the same run: the same number of bare HTTP requests answered by
the same mock, so the ratio shows what the scan itself costs on top of its requests.

    python bench/org_bench.py [--repos 200] [--workers 4]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import responses  # noqa: E402

from fixtures.api.fake_github import API, FakeGitHub, FakeRepo, pr, run  # noqa: E402
from scanner.org import OrgScanner, list_repositories  # noqa: E402
from scanner.org_report import summarise  # noqa: E402
from scanner.rules_engine import load_rules  # noqa: E402
from scanner.targets import ApiOptions  # noqa: E402

#: what a typical ML repository holds: code, configs, CI, docs, a notebook, data kept out.
TYPICAL_FILES = {
    "README.md": "# Churn model\n\n## Setup\n\n```bash\npip install -e .\nmake train\n```\n",
    "pyproject.toml": "[project]\nname = 'churn'\nversion = '0.1.0'\ndependencies = ['mlflow', 'pandas']\n",
    "Makefile": "train:\n\tpython -m churn.train\n",
    "src/churn/__init__.py": "",
    "src/churn/data.py": "import pandas as pd\n\ndef load(path):\n    return pd.read_csv(path).dropna()\n",
    "src/churn/train.py": "import mlflow\nfrom churn.data import load\n\ndef main():\n    mlflow.log_param('lr', 0.1)\n"
                          "    mlflow.log_metric('auc', 0.9)\n    mlflow.sklearn.log_model(None, 'model')\n",
    "src/churn/serve.py": "from fastapi import FastAPI\nimport mlflow\napp = FastAPI()\nmodel = mlflow.pyfunc.load_model('models:/churn@champion')\n",
    "tests/test_data.py": "def test_load():\n    assert True\n",
    "notebooks/explore.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    ".github/workflows/ci.yml": "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: pytest\n",
    "Dockerfile": "FROM python:3.11-slim\nCOPY . /app\nRUN pip install /app\nCMD [\"uvicorn\", \"churn.serve:app\"]\n",
    "CODEOWNERS": "* @acme/ml\n",
    "LICENSE": "MIT License\n\nCopyright (c) 2026 Acme\n",
    ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.4.0\n    hooks:\n      - id: ruff\n",
    "configs/train.yaml": "lr: 0.1\nepochs: 10\n",
    "data/train.csv": "a,b\n" * 2000,
}


def build(fake: FakeGitHub, n: int) -> None:
    for i in range(n):
        repo = FakeRepo(owner="acme", name=f"repo-{i:03d}", files=dict(TYPICAL_FILES),
                        sha=f"{i:04x}" + "a" * 36, protected=i % 3 == 0,
                        protection={"required_pull_request_reviews": {"required_approving_review_count": 1},
                                    "required_status_checks": {"contexts": ["test"], "enforcement_level": "non_admins"}},
                        runs=[run("push", "success", "2026-05-27T08:00:00Z")],
                        releases=[{"tag_name": "v1.0.0", "draft": False}],
                        pulls=[pr(k, "ada", ["grace"]) for k in range(20)])
        fake.add(repo)


def reference(n_requests: int) -> float:
    """Seconds for the same number of bare GETs against the same mock."""
    session = requests.Session()
    started = time.perf_counter()
    for _ in range(n_requests):
        session.get(f"{API}/repos/acme/repo-000", timeout=5)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    os.environ["GITHUB_TOKEN"] = "bench-token-not-secret"
    fake = FakeGitHub(page_size=100)
    build(fake, args.repos)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, tempfile.TemporaryDirectory() as out:
        fake.register(mock)
        options = ApiOptions(now=1_780_000_000.0)
        started = time.perf_counter()
        listed = list_repositories("github", "acme", options)
        result = OrgScanner(load_rules(), Path(out), options, workers=args.workers).run("github:acme", listed, len(listed))
        wall = time.perf_counter() - started
        ref = reference(options.budget.used)
    report = summarise(result)
    per_repo = [o.requests for o in result.outcomes if o.status == "scanned"]
    print(f"repositories scanned:      {report['counts']['scanned']} (failed {report['counts']['failed']})")
    print(f"requests per repository:   mean {statistics.mean(per_repo):.1f}, max {max(per_repo)}, "
          f"min {min(per_repo)}  (listing: {options.budget.used - sum(per_repo)} request(s))")
    print(f"requests in total:         {options.budget.used}")
    print(f"wall time:                 {wall:.2f} s ({wall / len(per_repo) * 1000:.0f} ms per repository, "
          f"{args.workers} workers)")
    print(f"reference (bare requests): {ref:.2f} s for the same {options.budget.used} requests; "
          f"scan/reference = {wall / ref:.1f}x")
    print(f"weakest dimension:         {report['weakest_dimension']}")


if __name__ == "__main__":
    main()
