"""Live monitoring sources against a real Prometheus and Alertmanager (Debian's packages, started
here), Grafana's API through payloads shaped like its documented answers, and the faults a
running system can throw at a scan."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
import responses
from click.testing import CliRunner

from scanner.cli import main
from tests.conftest import git_repo
from tests.fault_servers import huge, redirect_to, serve, status
from tests.monitoring_stack import Stack, run_stack, silence

NEW_SIGNALS = ("prometheus.alert_rules", "prometheus.alerts_fired", "prometheus.targets_up",
               "prometheus.model_series", "prometheus.drift_series", "alertmanager.alerts_routed",
               "alertmanager.alerts_silenced", "grafana.dashboards", "grafana.alert_rules")

#: the model service as its repository holds it: code registering its metrics, a manifest
#: naming the service, and an alert rule file (repository evidence of alerting)
PROJECT = {
    "serve.py": "from prometheus_client import Counter, Gauge, Histogram\n\n"
                "PREDICTIONS = Counter('churn_predictions', 'predictions served')\n"
                "LATENCY = Histogram('churn_prediction_latency_seconds', 'inference latency')\n"
                "DRIFT = Gauge('churn_feature_drift_score', 'share of drifted features')\n",
    "k8s/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: churn-api\nspec:\n"
                           "  template:\n    spec:\n      containers:\n      - name: api\n        image: churn:1\n",
    "monitoring/rules.yml": "groups:\n- name: churn\n  rules:\n  - alert: ChurnDriftHigh\n"
                            "    expr: churn_feature_drift_score > 0.3\n",
    "requirements.txt": "prometheus-client==0.20.0\n",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    yield from run_stack(tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return git_repo(tmp_path_factory.mktemp("project"), PROJECT)


def scan(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json", "-q"], env=env, catch_exceptions=False)
    doc = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.exit_code, doc, result.stdout + result.stderr


def outcome(doc: dict, signal: str) -> str:
    return doc["signals"][signal]["outcome"]


def items(doc: dict, signal: str) -> list[dict]:
    return [i for e in doc["evidence"] if e["signal"] == signal for i in e["attributes"].get("items", [])]


def test_a_live_stack_gives_present_evidence_naming_what_it_saw(stack: Stack, project: Path) -> None:
    silence(stack.alertmanager, {"service": "churn-api"}, days=30)
    code, doc, _ = scan(str(project), "--prometheus-url", stack.prometheus, "--alertmanager-url", stack.alertmanager)
    assert code == 0
    for signal in NEW_SIGNALS[:7]:
        assert outcome(doc, signal) == "present", (signal, doc["signals"][signal])
    rules = {i["rule"] for i in items(doc, "prometheus.alert_rules")}
    # the other team's rule on the same server is out of scope
    assert rules == {"ChurnDriftHigh", "ChurnLatencyHigh"}
    assert {i["alert"] for i in items(doc, "prometheus.alerts_fired")} == {"ChurnDriftHigh"}
    assert [(i["job"], i["why"]) for i in items(doc, "prometheus.targets_up")] == [
        ("churn-api", "job=churn-api is declared by the repository")]
    assert "churn_feature_drift_score" in {i["metric"] for i in items(doc, "prometheus.drift_series")}
    assert {"churn_predictions_total", "churn_prediction_latency_seconds_bucket"} <= {
        i["metric"] for i in items(doc, "prometheus.model_series")}
    routed = items(doc, "alertmanager.alerts_routed")
    assert {(i["alert"], tuple(i["receivers"]), tuple(i["integrations"])) for i in routed} == {
        ("ChurnDriftHigh", ("ml-oncall",), ("webhook",)), ("ChurnLatencyHigh", ("ml-oncall",), ("webhook",))}
    [muted] = items(doc, "alertmanager.alerts_silenced")
    assert muted["days"] > 29 and muted["mutes"] == ["ChurnDriftHigh", "ChurnLatencyHigh"]
    live = [e for e in doc["evidence"] if e["signal"].startswith(("prometheus.", "alertmanager."))]
    assert {e["tier"] for e in live if e["outcome"] == "present"} == {"live"}
    assert doc["coverage"]["sources"]["prometheus"]["requests"] == 4
    assert doc["coverage"]["sources"]["alertmanager"]["requests"] == 2


def test_the_stack_alone_is_a_target_and_everything_on_it_is_in_scope(stack: Stack) -> None:
    code, doc, _ = scan(f"prometheus+{stack.prometheus}")
    assert code == 0
    assert doc["target"]["kind"] == "prometheus"
    assert {i["rule"] for i in items(doc, "prometheus.alert_rules")} == {
        "ChurnDriftHigh", "ChurnLatencyHigh", "LedgerModelScoreLow"}
    scope = next(e for e in doc["evidence"] if e["signal"] == "prometheus.alert_rules")["attributes"]["scope"]
    assert scope["rule"] == "everything"


def test_a_match_narrows_the_scope_to_what_it_names(stack: Stack) -> None:
    _, doc, _ = scan(f"prometheus+{stack.prometheus}", "--monitoring-match", "service=ledger-api")
    assert {i["rule"] for i in items(doc, "prometheus.alert_rules")} == {"LedgerModelScoreLow"}
    assert outcome(doc, "prometheus.targets_up") == "absent"  # nothing answers for the ledger


def test_stopped_sources_leave_every_new_signal_not_available_and_the_repository_untouched(project: Path) -> None:
    with serve(lambda h: h.json({}), faults=[(".*", status(503))]) as down:
        dead = down.url
    code_plain, plain, _ = scan(str(project))
    code, doc, _ = scan(str(project), "--prometheus-url", dead, "--alertmanager-url", dead, "--grafana-url", dead,
                        "--monitoring-timeout", "1")
    assert code == code_plain == 0
    for signal in NEW_SIGNALS:
        assert outcome(doc, signal) == "not_available", signal
        assert "at http://127.0.0.1" in doc["signals"][signal]["reason"]
    def repository(signals: dict) -> dict:
        return {k: v for k, v in signals.items() if k not in NEW_SIGNALS}
    assert repository(doc["signals"]) == repository(plain["signals"])
    assert {e["source"] for e in doc["errors"]} >= {"prometheus", "alertmanager", "grafana"}


@pytest.mark.parametrize("fault, expected, words", [
    (status(401, '{"error": "unauthorized"}'), "not_available", "refused access (HTTP 401)"),
    (status(404, "404 page not found", "text/plain"), "not_available", "API disabled"),
    (status(500), "not_available", "HTTP 500"),
    (status(200, "<html>login</html>", "text/html"), "error", "not JSON"),
    (status(200, '{"status": "success", "data": []}'), "error", "not a Prometheus answer"),
    (huge(80 * 1024 * 1024), "error", "larger than"),
])
def test_each_fault_of_a_prometheus_is_an_outcome_with_its_reason(project: Path, fault, expected: str,
                                                                  words: str) -> None:
    with serve(lambda h: h.json({}), faults=[(".*", fault)]) as server:
        code, doc, _ = scan(str(project), "--prometheus-url", server.url, "--monitoring-timeout", "5")
    assert code == 0
    for signal in NEW_SIGNALS[:5]:
        assert outcome(doc, signal) == expected
        assert words in doc["signals"][signal]["reason"]


def test_a_prometheus_scanned_alone_that_cannot_be_read_exits_3_naming_why() -> None:
    with serve(lambda h: h.json({}), faults=[(".*", status(403))]) as server:
        code, _, out = scan(f"prometheus+{server.url}")
    assert code == 3
    assert "refused access (HTTP 403)" in out and "PROMETHEUS_TOKEN" in out


def test_a_redirect_to_another_host_is_refused_and_the_token_never_sent_there(project: Path) -> None:
    with serve(lambda h: h.json({})) as elsewhere:
        with serve(lambda h: h.json({}), faults=[(".*", redirect_to(elsewhere.url.replace("127.0.0.1", "localhost")
                                                                   + "/api/v1/rules"))]) as server:
            _, doc, _ = scan(str(project), "--prometheus-url", server.url, env={"PROMETHEUS_TOKEN": "canary-redirect"})
        assert elsewhere.seen == []
    assert outcome(doc, "prometheus.alert_rules") == "not_available"
    assert "another host" in doc["signals"]["prometheus.alert_rules"]["reason"]


def test_canary_credentials_appear_in_no_output(stack: Stack, project: Path, tmp_path: Path) -> None:
    canaries = {"PROMETHEUS_TOKEN": "canary-prom-7f3a", "ALERTMANAGER_PASSWORD": "canary-am-91c2",
                "ALERTMANAGER_USERNAME": "ops", "GRAFANA_TOKEN": "canary-graf-55d0"}
    with serve(lambda h: h.json({}), faults=[(".*", status(401, '{"message": "canary-graf-55d0 is invalid"}'))]) as graf:
        result = CliRunner().invoke(main, [
            "scan", str(project), "--prometheus-url", stack.prometheus,
            "--alertmanager-url", stack.alertmanager.replace("http://", "http://ops:canary-url-3b1e@"),
            "--grafana-url", graf.url, "--debug", "--format", "json,md,html,sarif,text", "--out-dir", str(tmp_path)],
            env=canaries, catch_exceptions=False)
        seen = graf.seen
    written = "".join(p.read_text() for p in tmp_path.iterdir())
    everything = result.stdout + result.stderr + written
    for secret in (*canaries.values(), "canary-url-3b1e"):
        if secret == "ops":
            continue
        assert secret not in everything, secret
    assert any("Bearer canary-graf-55d0" in line for line in seen)  # it was sent, to its own server only


# -- Grafana: its API answers as documented ----------------------------------------------------

GRAFANA = "https://grafana.example.com"


def _grafana(search: list[dict], dashboards: dict[str, dict], rules: list[dict]) -> None:
    responses.get(f"{GRAFANA}/api/search", json=search)
    for uid, model in dashboards.items():
        responses.get(f"{GRAFANA}/api/dashboards/uid/{uid}", json={
            "meta": {"type": "db", "slug": uid, "updated": "2026-11-30T10:00:00Z", "folderTitle": "ML"},
            "dashboard": model})
    responses.get(f"{GRAFANA}/api/v1/provisioning/alert-rules", json=rules)


def _panel(expr: str) -> dict:
    return {"type": "timeseries", "title": expr[:20], "datasource": {"type": "prometheus", "uid": "prom"},
            "targets": [{"refId": "A", "expr": expr}]}


@responses.activate
def test_grafana_dashboards_and_alert_rules_on_the_models_metrics(project: Path) -> None:
    _grafana(
        search=[{"id": 1, "uid": "churn", "title": "Churn model", "type": "dash-db", "tags": ["ml"],
                 "folderTitle": "ML", "url": "/d/churn/churn-model"},
                {"id": 2, "uid": "ledger", "title": "Ledger API", "type": "dash-db", "tags": [], "url": "/d/ledger"},
                {"id": 3, "uid": "nodes", "title": "Node exporter", "type": "dash-db", "tags": ["infra"], "url": "/d/n"}],
        dashboards={"churn": {"uid": "churn", "title": "Churn model", "panels": [
            {"type": "row", "title": "Model", "panels": [_panel("rate(churn_predictions_total[5m])")]},
            _panel("churn_feature_drift_score")]}},
        rules=[{"uid": "r1", "title": "Churn drift", "folderUID": "ml", "ruleGroup": "churn",
                "labels": {"team": "ml"}, "updated": "2026-11-29T08:00:00Z",
                "data": [{"refId": "A", "datasourceUid": "prom",
                          "model": {"expr": "churn_feature_drift_score > 0.3", "refId": "A"}}]},
               {"uid": "r2", "title": "Disk", "labels": {}, "data": [{"refId": "A", "model": {"expr": "node_disk > 1"}}]}])
    code, doc, _ = scan(str(project), "--grafana-url", GRAFANA, env={"GRAFANA_TOKEN": "glsa_test"})
    assert code == 0
    [board] = items(doc, "grafana.dashboards")
    assert board["dashboard"] == "Churn model" and board["panels_on_model"] == 2
    assert [r["rule"] for r in items(doc, "grafana.alert_rules")] == ["Churn drift"]
    # search, one dashboard model (the only candidate), the alert rules
    assert len(responses.calls) == 3
    assert all(c.request.headers["Authorization"] == "Bearer glsa_test" for c in responses.calls)


@responses.activate
def test_grafana_refusing_the_token_is_not_available_with_the_variable_named(project: Path) -> None:
    responses.get(f"{GRAFANA}/api/search", status=401, json={"message": "invalid API key"})
    responses.get(f"{GRAFANA}/api/v1/provisioning/alert-rules", status=403,
                  json={"message": "You'll need additional permissions to perform this action."})
    _, doc, _ = scan(str(project), "--grafana-url", GRAFANA)
    for signal in ("grafana.dashboards", "grafana.alert_rules"):
        assert outcome(doc, signal) == "not_available"
        assert "GRAFANA_TOKEN" in doc["signals"][signal]["reason"]


# -- the rules: live twins, and the strict profile ---------------------------------------------

def test_live_alerting_stands_in_for_the_repository_and_strict_needs_it_when_given(stack: Stack, tmp_path: Path) -> None:
    # the repository holds an alert rule file only; the stack is read for the verdict
    root = git_repo(tmp_path / "rules-only", {
        "serve.py": PROJECT["serve.py"], "monitoring/rules.yml": PROJECT["monitoring/rules.yml"]})
    _, default_doc, _ = scan(str(root), "--prometheus-url", stack.prometheus)
    assert default_doc["scores"]["monitoring"]["level"] >= 3
    _, strict_given, _ = scan(str(root), "--profile", "strict", "--prometheus-url", stack.prometheus)
    assert strict_given["scores"]["monitoring"]["level"] >= 3  # Prometheus itself shows the alerting
    with serve(lambda h: h.json({}), faults=[(".*", status(503))]) as down:
        _, strict_down, _ = scan(str(root), "--profile", "strict", "--prometheus-url", down.url,
                                 "--monitoring-timeout", "1")
    _, strict_alone, _ = scan(str(root), "--profile", "strict")
    # given but unreadable: the rule file alone does not reach level 3 under strict
    assert strict_down["scores"]["monitoring"]["level"] < 3
    assert strict_alone["scores"]["monitoring"]["level"] >= strict_down["scores"]["monitoring"]["level"]
