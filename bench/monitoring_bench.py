"""Benchmark: the live monitoring part of a scan against one ``/api/v1/rules`` request.

A real Prometheus (Debian's package) scrapes an exporter of 5,000 series and loads 200 alerting
rules; a loopback Grafana answers like its API with 500 dashboards. The scan reads both with the
repository's scope, and the bench prints the requests each source made, the wall time of the
live part (the scan with the sources minus the same scan without them) and its ratio to one
``/api/v1/rules`` call measured in the same run. Usage: ``python bench/monitoring_bench.py``.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scanner.engine import scan  # noqa: E402
from scanner.rules_engine import load_rules  # noqa: E402
from scanner.sources.grafana import GrafanaSource  # noqa: E402
from scanner.sources.local import LocalRepo  # noqa: E402
from scanner.sources.prometheus import PrometheusSource  # noqa: E402
from tests.conftest import git_repo  # noqa: E402
from tests.fault_servers import serve  # noqa: E402
from tests import monitoring_stack  # noqa: E402

SERIES, RULES, DASHBOARDS = 5000, 200, 500


def rules_file() -> str:
    lines = ["groups:", "- name: bench", "  rules:"]
    for i in range(RULES):
        lines += [f"  - alert: Model{i}Drift", f"    expr: model_{i % 50}_drift_score > 0.9",
                  f"    labels: {{service: svc-{i % 50}}}"]
    return "\n".join(lines) + "\n"


def grafana_app(h) -> None:
    path = h.path.split("?")[0]
    if path == "/api/search":
        h.json([{"uid": f"d{i}", "title": f"Model {i} dashboard" if i % 10 == 0 else f"Team board {i}",
                 "type": "dash-db", "tags": ["ml"] if i % 10 == 0 else []} for i in range(DASHBOARDS)])
    elif path.startswith("/api/dashboards/uid/"):
        h.json({"meta": {"updated": "2026-12-01T00:00:00Z"},
                "dashboard": {"panels": [{"targets": [{"expr": "model_1_drift_score"}]}]}})
    elif path == "/api/v1/provisioning/alert-rules":
        h.json([{"uid": f"r{i}", "title": f"rule {i}", "data": [{"model": {"expr": f"model_{i}_drift_score > 1"}}]}
                for i in range(100)])
    else:
        h.json({"message": "not found"}, status=404)


def main() -> None:
    from prometheus_client import CollectorRegistry, Gauge

    monitoring_stack.PROJECT_RULES = rules_file()
    start = monitoring_stack.start_exporter
    with tempfile.TemporaryDirectory(prefix="mlops-scan-monbench-") as tmp:
        from prometheus_client import start_http_server
        registry = CollectorRegistry()
        per_metric = SERIES // 50
        for m in range(50):
            gauge = Gauge(f"model_{m}_drift_score", "drift", ["feature"], registry=registry)
            for f in range(per_metric):
                gauge.labels(feature=f"f{f}").set(0.95 if (m, f) == (1, 0) else 0.1)  # one alert fires
        port = monitoring_stack.free_port()
        server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
        monitoring_stack.start_exporter = lambda: (port, lambda: (server.shutdown(), server.server_close()))
        repo = git_repo(Path(tmp) / "repo", {"k8s/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-1\n"})
        stack_gen = monitoring_stack.run_stack(Path(tmp))
        stack = next(stack_gen)
        try:
            best_rules = min(_timed(lambda: requests.get(f"{stack.prometheus}/api/v1/rules", timeout=30)) for _ in range(3))
            with serve(grafana_app) as grafana:
                rules = load_rules()
                bare = min(_timed(lambda: scan(LocalRepo(repo), rules, jobs=1)) for _ in range(3))
                walls, sources = [], {}
                for _ in range(3):
                    sources = {"prometheus": PrometheusSource(stack.prometheus),
                               "grafana": GrafanaSource(grafana.url)}
                    walls.append(_timed(lambda: scan(LocalRepo(repo), rules, jobs=1, monitoring=sources)))
            live = max(min(walls) - bare, 0.0)
            made = {name: s.requests_made for name, s in sources.items()}
            print(f"Prometheus: {SERIES} series, {RULES} rules; Grafana: {DASHBOARDS} dashboards (loopback fake)")
            print(f"requests: {made} = {sum(made.values())} in all (target <= 25)")
            print(f"one /api/v1/rules: {best_rules:.3f}s; live part of the scan: {live:.3f}s "
                  f"(target < 3 s); ratio {live / best_rules:.1f}x")
        finally:
            stack_gen.close()
            monitoring_stack.start_exporter = start


def _timed(call) -> float:
    t = time.perf_counter()
    call()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
