"""Benchmark: inspect a busy tracking server (100 experiments x 100 runs, 20 registered models).

The server's sqlite store is filled in-process before the server starts (bulk SQL inserts for
runs, params, metrics and tags; the store API for experiments and the registry), since ten
thousand runs through the REST API would take minutes. Then, in the same run, it measures:

* reference: one minimal REST query (``search_experiments(max_results=1)``), the floor for
  any client of this server;
* inspection: ``MLflowSource`` + ``MLflowServerDetector`` over the whole server.

Prints wall times, the HTTP requests the inspection made and the inspection/reference ratio.
Targets: at most 20 requests and 5 s. Usage: ``python bench/mlflow_bench.py [--runs N]``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from mlflow_support import mlflow_server  # noqa: E402


def populate(db: Path, artifacts: Path, experiments: int, runs: int, models: int) -> None:
    """Fill a fresh sqlite store; the whole load is a few bulk inserts."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore as RegistryStore
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    from sqlalchemy import insert

    uri = f"sqlite:///{db}"
    store = SqlAlchemyStore(uri, str(artifacts))
    now = int(time.time() * 1000)
    rows: dict[type, list[dict]] = {SqlRun: [], SqlParam: [], SqlMetric: [], SqlLatestMetric: [], SqlTag: []}
    registered_from: list[str] = []
    for e in range(experiments):
        exp_id = store.create_experiment(f"team-{e % 7}-experiment-{e}")
        for r in range(runs):
            run_id = uuid.uuid4().hex
            start = now - (e * runs + r) * 60_000  # one run a minute, newest first
            rows[SqlRun].append({"run_uuid": run_id, "name": f"run-{r}", "experiment_id": int(exp_id),
                                 "user_id": f"user{r % 5}", "status": "FINISHED", "start_time": start,
                                 "end_time": start + 30_000, "lifecycle_stage": "active",
                                 "artifact_uri": f"{artifacts}/{exp_id}/{run_id}/artifacts",
                                 "source_type": "LOCAL", "source_name": "train.py"})
            rows[SqlParam].extend({"run_uuid": run_id, "key": k, "value": str(r)} for k in ("lr", "depth"))
            metric = {"run_uuid": run_id, "key": "auc", "value": 0.5 + r / 1000, "timestamp": start,
                      "step": 0, "is_nan": False}
            rows[SqlMetric].append(metric)
            rows[SqlLatestMetric].append(dict(metric))
            rows[SqlTag].extend({"run_uuid": run_id, "key": k, "value": v} for k, v in (
                ("mlflow.user", f"user{r % 5}"), ("mlflow.source.git.commit", f"{r:040x}"),
                ("mlflow.source.type", "JOB" if r % 3 == 0 else "LOCAL")))
            if r == 0 and len(registered_from) < models:
                registered_from.append(run_id)
    with store.ManagedSessionMaker() as session:
        for model, batch in rows.items():
            session.execute(insert(model), batch)
    registry = RegistryStore(uri)
    for m, run_id in enumerate(registered_from):
        name = f"model-{m}"
        registry.create_registered_model(name)
        for _ in range(3):
            registry.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        registry.set_registered_model_alias(name, "champion", "3")


def inspect(url: str) -> tuple[float, int, dict[str, str]]:
    """Wall time, HTTP requests and outcome per signal of one inspection."""
    from detectors.mlflow_server import MLflowServerDetector
    from scanner.detector import ScanContext
    from scanner.sources.mlflow_server import MLflowSource

    started = time.perf_counter()
    source = MLflowSource(url)
    evidence = list(MLflowServerDetector().detect(ScanContext(None, mlflow=source)))
    elapsed = time.perf_counter() - started
    return elapsed, source.requests_made, {e.signal: e.outcome.value for e in evidence}


def reference(url: str) -> float:
    """Wall time of the smallest query a client can make."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=url)
    client.search_experiments(max_results=1)  # warm the connection pool, as the inspection's first call does not
    started = time.perf_counter()
    client.search_experiments(max_results=1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=100)
    parser.add_argument("--runs", type=int, default=100, help="runs per experiment")
    parser.add_argument("--models", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    importlib.import_module("mlflow.tracking")  # before timing: the client import alone takes seconds
    import_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        populate(work / "mlflow.db", work / "artifacts", args.experiments, args.runs, args.models)
        print(f"populated {args.experiments} x {args.runs} runs, {args.models} models "
              f"in {time.perf_counter() - started:.1f} s")
        with mlflow_server(work) as url:
            ref = reference(url)
            elapsed, requests, outcomes = inspect(url)
    print(json.dumps(outcomes, indent=1, sort_keys=True))
    print(f"mlflow client import: {import_seconds:.2f} s (not counted)")
    print(f"reference query:      {ref * 1000:.1f} ms")
    print(f"inspection:           {elapsed:.2f} s, {requests} HTTP requests "
          f"(ratio {elapsed / ref:.0f}x reference)")
    ok = requests <= 20 and elapsed <= 5
    print("targets (<= 20 requests, <= 5 s):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
