"""Benchmark: scan a synthetic 20,000-file repository and compare with reading it once.

Builds a git repository of mostly irrelevant files, a few hundred Python / YAML / notebook
files and a few large ones, then measures in the same run:

* reference: ``git ls-files`` plus reading every tracked file once (a lower bound for any
  scanner that looks at the files at all);
* scan: ``mlops-scan scan REPO --format json``.

Each runs in its own process so peak memory (max RSS) is measured apart. Prints wall time,
peak memory and the scan/reference ratios. Usage: ``python bench/scan_bench.py [--files N]``.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READ_ALL = """
import subprocess, sys
root = sys.argv[1]
out = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True, check=True).stdout
total = 0
for rel in out.decode().split("\\0"):
    if rel:
        with open(f"{root}/{rel}", "rb") as f:
            total += len(f.read())
print(total)
"""

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


def build(root: Path, n_files: int) -> None:
    """Write the synthetic repository and commit it."""
    rng = random.Random(7)
    relevant = max(300, n_files // 60)
    for i in range(n_files - relevant):
        kind = rng.choice(["js", "txt", "css", "html", "md", "png"])
        path = root / f"web/{i % 97}/{i % 13}/asset_{i}.{kind}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(200) if kind == "png" else f"// file {i}\n".encode() * 20)
    for i in range(relevant):
        which = i % 3
        path = root / ("src/pkg" if which == 0 else "configs" if which == 1 else "notebooks") / \
            (f"mod_{i}.py" if which == 0 else f"conf_{i}.yaml" if which == 1 else f"nb_{i}.ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(TRAIN.format(n=i) if which == 0 else
                        f"learning_rate: 0.{i}\nlayers: [{i}, {i}]\n" if which == 1 else NOTEBOOK)
    wf = root / ".github/workflows"
    wf.mkdir(parents=True)
    for i in range(5):
        (wf / f"ci{i}.yml").write_text(WORKFLOW.format(n=i))
    (root / "data").mkdir()
    for i in range(3):  # a few large files: over the size cap, listed not read
        (root / f"data/big_{i}.csv").write_bytes(b"a,b,c\n" + b"1,2,3\n" * 700_000)
    (root / "src/pkg/huge_generated.py").write_text("X = [" + "1, " * 400_000 + "]\n")
    env = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org", "PATH": "/usr/bin:/bin"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "synthetic"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, env=env)


# Runs one command as its only child, so the peak RSS it reports belongs to that command's
# process tree alone (our own RUSAGE_CHILDREN would also hold the git calls of the build).
WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "w") as out:
    proc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
print(proc.returncode, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stderr.write(proc.stderr.decode()[-500:])
"""


def measure(cmd: list[str], tmp: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the command's process tree, and its stdout."""
    out = Path(tmp) / f"measure{time.monotonic_ns()}.out"
    proc = subprocess.run([sys.executable, "-c", WRAPPER, str(out), *cmd], capture_output=True, text=True)
    code, wall, rss_kib = proc.stdout.split()
    if int(code) not in (0, 1):
        sys.exit(f"{' '.join(cmd[:4])} failed: {proc.stderr}")
    return float(wall), int(rss_kib) / 1024, out.read_text()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=20_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlops-scan-bench-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        t0 = time.perf_counter()
        build(root, args.files)
        print(f"built {args.files} files in {time.perf_counter() - t0:.1f}s")
        ref_wall, ref_mem, _ = measure([sys.executable, "-c", READ_ALL, str(root)], tmp)
        scan_wall, scan_mem, out = measure([sys.executable, "-m", "scanner.cli", "scan", str(root),
                                            "--format", "json", "-q"], tmp)
        bundle = json.loads(out)
        repo = bundle["coverage"]["sources"]["repository"]
        print(f"reference (git ls-files + read every file): {ref_wall:.2f}s, peak {ref_mem:.0f} MiB")
        print(f"scan: {scan_wall:.2f}s, peak {scan_mem:.0f} MiB; files {repo['files']}, "
              f"read {repo['files_read']}, skipped {len(repo['skipped_files'])}")
        print(f"ratio scan/reference: time {scan_wall / ref_wall:.2f}x, memory {scan_mem / ref_mem:.2f}x")


if __name__ == "__main__":
    main()
