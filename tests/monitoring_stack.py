"""A real monitoring stack on 127.0.0.1 for tests: Prometheus and Alertmanager (Debian's
packages) and a model service exporting its metrics with ``prometheus_client``.

Prometheus scrapes two jobs, the project's ``churn-api`` (the exporter, up) and another team's
``ledger-api`` (nothing listens: down), evaluates the project's rules and another team's, and
sends alerts to Alertmanager, which routes the project's alerts to a webhook receiver and the
rest to a null one. A binary that is missing fails the test with the reason: nothing is skipped.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import requests

PROJECT_RULES = """
groups:
- name: churn-model
  rules:
  - alert: ChurnDriftHigh
    expr: churn_feature_drift_score > 0.3
    labels: {severity: page, service: churn-api}
    annotations: {summary: drift of the churn model's features}
  - alert: ChurnLatencyHigh
    expr: histogram_quantile(0.99, rate(churn_prediction_latency_seconds_bucket[5m])) > 2
    labels: {severity: ticket, service: churn-api}
  - record: churn:predictions:rate1m
    expr: rate(churn_predictions_total[1m])
- name: ledger
  rules:
  - alert: LedgerModelScoreLow
    expr: ledger_model_score < 0.5
    labels: {service: ledger-api}
"""

ALERTMANAGER_CONFIG = """
route:
  receiver: blackhole
  group_wait: 1s
  routes:
  - receiver: ml-oncall
    matchers: ['service="churn-api"']
receivers:
- name: blackhole
- name: ml-oncall
  webhook_configs:
  - url: http://127.0.0.1:9/hook
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def binary(name: str) -> str:
    """A server binary of the stack, or the test fails saying how to install it."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed: apt-get install -y prometheus prometheus-alertmanager "
                             "(.ci/run installs it)")
    return path


def wait_for(what: str, check: Callable[[], bool], seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Stack:
    prometheus: str
    alertmanager: str


def start_exporter() -> tuple[int, Callable[[], None]]:
    """The model service's metrics on a port of its own (a registry of its own, not the global)."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

    registry = CollectorRegistry()
    Counter("churn_predictions", "predictions served", registry=registry).inc(42)
    Histogram("churn_prediction_latency_seconds", "inference latency", registry=registry).observe(0.05)
    Gauge("churn_feature_drift_score", "share of drifted features", registry=registry).set(0.6)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)
    return port, stop


def _process(cmd: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT)


def run_stack(tmp: Path) -> Iterator[Stack]:
    """Start the stack, wait until Prometheus has scraped the service and an alert fires, yield
    its URLs, then stop everything."""
    prometheus, alertmanager = binary("prometheus"), binary("prometheus-alertmanager")
    exporter_port, stop_exporter = start_exporter()
    am_port, prom_port, dead_port = free_port(), free_port(), free_port()
    (tmp / "rules.yml").write_text(PROJECT_RULES)
    (tmp / "alertmanager.yml").write_text(ALERTMANAGER_CONFIG)
    (tmp / "prometheus.yml").write_text(f"""
global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: [{tmp / 'rules.yml'}]
alerting:
  alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{am_port}']}}]}}]
scrape_configs:
- job_name: churn-api
  static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]
- job_name: ledger-api
  static_configs: [{{targets: ['127.0.0.1:{dead_port}']}}]
""")
    procs = [
        _process([alertmanager, f"--config.file={tmp / 'alertmanager.yml'}", f"--storage.path={tmp / 'am'}",
                  f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="], tmp / "am.log"),
        _process([prometheus, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                  f"--web.listen-address=127.0.0.1:{prom_port}"], tmp / "prometheus.log"),
    ]
    stack = Stack(prometheus=f"http://127.0.0.1:{prom_port}", alertmanager=f"http://127.0.0.1:{am_port}")
    try:
        wait_for("Alertmanager", lambda: requests.get(f"{stack.alertmanager}/-/ready", timeout=2).ok)
        wait_for("Prometheus", lambda: requests.get(f"{stack.prometheus}/-/ready", timeout=2).ok)
        wait_for("the first scrape of the service", lambda: any(
            t["health"] == "up" for t in requests.get(f"{stack.prometheus}/api/v1/targets", timeout=2)
            .json()["data"]["activeTargets"]))
        wait_for("the drift alert to fire", lambda: requests.get(
            f"{stack.prometheus}/api/v1/query", params={"query": 'ALERTS{alertstate="firing"}'}, timeout=2)
            .json()["data"]["result"] != [])
        yield stack
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        stop_exporter()


def silence(alertmanager: str, matchers: dict[str, str], days: float) -> str:
    """Create a silence through Alertmanager's own API; returns its id."""
    now = time.time()
    body = {"matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
            "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + days * 86400)),
            "createdBy": "tests", "comment": "muted while the model is retrained"}
    resp = requests.post(f"{alertmanager}/api/v2/silences", json=body, timeout=5)
    resp.raise_for_status()
    return resp.json()["silenceID"]
