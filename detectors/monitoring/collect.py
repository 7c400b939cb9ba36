"""Gathers monitoring findings from a repository: every check over project Python modules, then
config, IaC and crontab files."""
from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import Callable

from detectors.monitoring.alerting import alert_rules, notification_on_condition, threshold_notification
from detectors.monitoring.dashboards import (cloudwatch_dashboard, dashboard_provider, evidently_dashboard, gcp_dashboard,
                                             grafana_dashboard, monitoring_app)
from detectors.monitoring.drift import (batch_job_monitoring, data_profile, sql_model_monitor, sql_model_monitor_refresh,
                                        statistical_drift)
from detectors.flow import project
from detectors.monitoring.feedback import feedback_store, ground_truth_join, monitored_performance
from detectors.monitoring.findings import Findings
from detectors.monitoring.iac import cloudformation_monitoring, iac_monitoring
from detectors.monitoring.instrumentation import (evaluation_report, log_file, log_records, logging_setup,
                                                  monitoring_report, prediction_logging, progress_table, request_telemetry,
                                                  scoring_script_logging, served_model_logging,
                                                  structured_request_logging, task_logging,
                                                  tensorboard_logger)
from detectors.monitoring.retraining import branching_to_training, retraining_on_monitoring
from detectors.monitoring.schedules import (code_schedule, cron_monitoring, dagster_scheduled_assets, monitoring_cronjob,
                                             prefect_deployments)
from detectors.monitoring.signals import (ALERTING, DASHBOARDS, DRIFT, FEEDBACK, INSTRUMENTATION, LOGGING,
                                          RETRAIN, SCHEDULED)
from detectors.monitoring.source import Hit, Source, line_of, project_sources
from detectors.scheduling import schedules
from detectors.scheduling.iac import alarm_rules, is_cron_file
from detectors.shapes import as_dict, as_list, dicts, get_in
from detectors.tools import is_template_path
from scanner.detector import ParseError, ScanContext
from scanner.model import Tier
from scanner.parsing.structured import load_json, load_yaml

#: (signal, kind, check) run over every project module.
PY_CHECKS: tuple[tuple[str, str, Callable[[Source], Hit | None]], ...] = (
    (LOGGING, "logging-config", logging_setup),
    (LOGGING, "evaluation-report", evaluation_report),
    (LOGGING, "task-logs", task_logging),
    (LOGGING, "scoring-script-logs", scoring_script_logging),
    (LOGGING, "monitoring-report", monitoring_report),
    (LOGGING, "progress-table", progress_table),
    (LOGGING, "log-records", log_records),
    (LOGGING, "log-file", log_file),
    (LOGGING, "tensorboard-logger", tensorboard_logger),
    (INSTRUMENTATION, "request-telemetry", request_telemetry),
    (INSTRUMENTATION, "prediction-log", prediction_logging),
    (INSTRUMENTATION, "served-model-log", served_model_logging),
    (INSTRUMENTATION, "structured-request-log", structured_request_logging),
    (DRIFT, "statistical-drift", statistical_drift),
    (DRIFT, "data-profile", data_profile),
    (DRIFT, "batch-job-monitoring", batch_job_monitoring),
    (DRIFT, "model-monitor", sql_model_monitor),
    (SCHEDULED, "model-monitor-refresh", sql_model_monitor_refresh),
    (ALERTING, "threshold-notification", threshold_notification),
    (DASHBOARDS, "monitoring-app", monitoring_app),
    (SCHEDULED, "orchestrator-schedule", code_schedule),
    (RETRAIN, "retrain-on-monitoring", retraining_on_monitoring),
    (RETRAIN, "branch-to-retraining", branching_to_training),
    (FEEDBACK, "ground-truth-join", ground_truth_join),
    (FEEDBACK, "monitored-performance", monitored_performance),
)
#: cheap text triggers: a YAML/JSON file is parsed only when one of these appears in it.
# ``datasourceUid``: Grafana's file-provisioned alert rules (``groups: - rules: - condition: C``)
_YAML_TRIGGERS = (
    # (a word the trigger holds, found by plain substring search first; the trigger's own regex
    # when the word alone is not it): one small search each instead of one alternation tried at
    # every position of every YAML text
    ("alert:", re.compile(r"\balert:")), ("receivers:", re.compile(r"\breceivers:")),
    ("scrape_configs", None), ("grafana_alert", None), ("contactPoints", None),
    ("providers:", re.compile(r"\bproviders:")), ("datasourceUid", None), ("CronJob", None),
    ("kind:", re.compile(r"kind:\s*(ConfigMap|ServiceMonitor|PodMonitor)\b")), ("CronWorkflow", None),
    ("AWS::CloudWatch::", None), ("AWS::SageMaker::", None), ("deployments:", re.compile(r"\bdeployments:")),
)
_JSON_TRIGGERS = re.compile(r'"panels"|"widgets"|AWS::CloudWatch::|AWS::SageMaker::|"mosaicLayout"|"gridLayout"'
                            r'|"columnLayout"|"rowLayout"')
MAX_JSON_BYTES = 1_000_000


def collect(ctx: ScanContext) -> Findings:
    """Every monitoring finding of the repository."""
    found = Findings()
    sources = list(project_sources(ctx))
    for src in sources:
        for signal, kind, check in PY_CHECKS:
            hit = check(src)
            if hit:
                found.add(signal, kind, hit)
    dagster = dagster_scheduled_assets(sources)
    if dagster:
        found.add(SCHEDULED, "orchestrator-schedule", dagster)
    for path in ctx.files():
        if not is_template_path(path):
            _structured_file(ctx, path, found)
            _text_file(ctx, path, found)
    _in_house_schedules(ctx, found)
    _alarm_triggers(ctx, found)
    _kedro_logging(ctx, found)
    store = feedback_store(project(ctx))
    if store:
        found.add(FEEDBACK, "feedback-store", store)
    notice = notification_on_condition(project(ctx))
    if notice:
        found.add(ALERTING, "notification-on-condition", notice)
    found.demote_orphan_provisioning()
    _demote_unloaded_rules(ctx, found)
    return found


def _demote_unloaded_rules(ctx: ScanContext, found: Findings) -> None:
    """Prometheus rule files that the repository's own Prometheus configs do not load (their
    ``rule_files`` commented out or naming other files) alert on nothing. Without a Prometheus
    config in the repository the rules may be mounted by a chart or an operator: they count."""
    key = (ALERTING, "alert-rules")
    hits = found.hits.get(key, [])
    if not hits or any(h.what != _RULES for h in hits):
        return
    loaded: list[str] = []
    configs = 0
    for path, _, doc in ctx.yaml_documents("scrape_configs"):
        if "scrape_configs" in doc and not is_template_path(path):
            configs += 1
            loaded += [posixpath.basename(str(g)) for g in as_list(doc.get("rule_files"))]
    if configs and not any(fnmatch.fnmatch(posixpath.basename(h.path), g) for h in hits for g in loaded):
        found.tiers[key] = Tier.DECLARED
        found.hits[key] = [Hit(h.path, h.line, f"{h.what} (no Prometheus config of the repository loads them)")
                           for h in hits]


_RULES = "Prometheus alert rules"


def _in_house_schedules(ctx: ScanContext, found: Findings) -> None:
    """Schedules whose job, followed to what it calls, runs monitoring (and where a loop starts)."""
    for sched in schedules(ctx):
        names = sched.monitoring
        if names:
            found.add(SCHEDULED, "in-house-schedule", Hit(sched.path, sched.line, sched.summary(names)))
            if sched.started and sched.started[0] != sched.path:
                found.add(SCHEDULED, "in-house-schedule", Hit(*sched.started, sched.summary(names)))


#: a Kedro project's logging configuration, which Kedro itself loads for every run.
_KEDRO_LOGGING = re.compile(r"(^|/)conf/[\w-]+/logging\.ya?ml$")


def _kedro_logging(ctx: ScanContext, found: Findings) -> None:
    """Logging configured the Kedro way: a ``conf/<env>/logging.yml`` with handlers in a Kedro
    project (``[tool.kedro]`` in its pyproject)."""
    configs = [p for p in ctx.files() if _KEDRO_LOGGING.search(p) and not is_template_path(p)]
    if not configs or not any("[tool.kedro]" in (ctx.text(p) or "") for p in ctx.files()
                              if p.rsplit("/", 1)[-1] == "pyproject.toml"):
        return
    for path in configs:
        try:
            docs = ctx.structured(path)
        except ParseError:
            continue
        doc = as_dict(docs[0] if docs else None)
        if "version" in doc and as_dict(doc.get("handlers")):
            found.add(LOGGING, "kedro-logging", Hit(path, line_of(ctx.text(path) or "", r"^handlers:"),
                                                    "logging configured for every Kedro run"))
            return


def _alarm_triggers(ctx: ScanContext, found: Findings) -> None:
    """Event rules that start training or a pipeline when an alarm goes off: the alarm closes the
    loop (a drift or quality alarm retraining the model)."""
    for rule in alarm_rules(ctx, project(ctx)):
        names = rule.pipeline
        if names:
            found.add(RETRAIN, "alarm-rule", Hit(rule.path, rule.line, rule.summary(names)))


def _structured_file(ctx: ScanContext, path: str, found: Findings) -> None:
    low = path.lower()
    if low.endswith((".yml", ".yaml")):
        _yaml(ctx, path, found)
    elif low.endswith(".json") and ctx.repo is not None and ctx.repo.size(path) <= MAX_JSON_BYTES:
        _json(ctx, path, found)


def _text_file(ctx: ScanContext, path: str, found: Findings) -> None:
    if path.lower().endswith((".tf", ".bicep")):
        for signal, res, line in iac_monitoring(path, ctx.text(path) or ""):
            found.add(signal, "iac", Hit(path, line, f"{res} declared"))
    elif is_cron_file(path):
        line = cron_monitoring(ctx.text(path) or "")
        if line:
            found.add(SCHEDULED, "crontab", Hit(path, line, "crontab entry running monitoring"))


def _yaml(ctx: ScanContext, path: str, found: Findings) -> None:
    text = ctx.text(path)
    if not text or not any(word in text and (rx is None or rx.search(text)) for word, rx in _YAML_TRIGGERS):
        return
    try:
        docs = ctx.structured(path)
    except ParseError as exc:
        _unparsed_yaml(path, text, str(exc), found)
        return
    for doc in docs:
        if isinstance(doc, dict):
            _yaml_doc(ctx, path, text, doc, found)


def _unparsed_yaml(path: str, text: str, why: str, found: Findings) -> None:
    """Helm-templated rule files do not parse as YAML: their keys still show the rules."""
    rule = re.search(r"(?m)^\s*-?\s*alert:\s*\S", text)
    if rule and re.search(r"(?m)^\s*expr:", text):
        if "{{" in text:
            found.add(ALERTING, "alert-rules", Hit(path, line_of(text, r"^\s*-?\s*alert:"),
                                                  "templated Prometheus alert rules"))
        else:
            found.error(ALERTING, path, why)


def _yaml_doc(ctx: ScanContext, path: str, text: str, doc: dict, found: Findings) -> None:
    kind = alert_rules(doc)
    if kind:
        line = line_of(text, r"^\s*(groups|route|receivers|contactPoints):")
        found.add(ALERTING, "alert-rules", Hit(path, line, kind))
    if dashboard_provider(doc):
        found.add(DASHBOARDS, "grafana-provisioning", Hit(path, line_of(text, r"^\s*providers:"),
                                                          "Grafana dashboard provisioning"))
    _cloudformation(path, text, doc, found)
    if monitoring_cronjob(doc):
        found.add(SCHEDULED, "cronjob", Hit(path, line_of(text, r"^kind:\s*Cron"),
                                            f"{doc.get('kind')} running monitoring"))
    if path.rsplit("/", 1)[-1].lower().startswith("prefect"):
        for name, line in prefect_deployments(ctx, path, text, doc):
            found.add(SCHEDULED, "orchestrator-schedule", Hit(path, line, f"Prefect deployment {name} scheduled"))
    if doc.get("kind") == "ConfigMap":
        _config_map(path, text, doc, found)
    scraped = _scraped_model_server(doc)
    if scraped:
        found.add(INSTRUMENTATION, "scraped-model-server", Hit(path, line_of(text, r"^\s*scrape_configs:"),
                                                               f"Prometheus scrapes the model server's metrics ({scraped})"))
    monitored = _monitored_model_server(doc)
    if monitored:
        found.add(INSTRUMENTATION, "scraped-model-server", Hit(path, line_of(text, r"^kind:\s*(Service|Pod)Monitor"),
                                                               f"{doc.get('kind')} scrapes the model server's metrics ({monitored})"))


#: model servers that expose request and inference metrics of their own for Prometheus to scrape.
_METRIC_SERVERS = re.compile(r"triton|torchserve|tensorflow[-_]serving|tfserving|tf[-_]serving|mlserver|vllm|"
                             r"text[-_]generation[-_]inference|\btgi\b|seldon|kserve|bentoml|ray[-_]serve", re.I)


def _scraped_model_server(doc: dict) -> str | None:
    """A scrape job of a Prometheus config whose name or targets are a model server."""
    for job in dicts(doc.get("scrape_configs")):
        targets = " ".join(str(t) for c in dicts(job.get("static_configs")) for t in as_list(c.get("targets")))
        text = f"{job.get('job_name', '')} {targets}"
        found = _METRIC_SERVERS.search(text)
        if found:
            return text.strip()[:80]
    return None


def _monitored_model_server(doc: dict) -> str | None:
    """A Prometheus Operator ServiceMonitor or PodMonitor whose name or selected labels are a
    model server (``matchLabels: {app: vllm}``) and that scrapes an endpoint of it."""
    if doc.get("kind") not in ("ServiceMonitor", "PodMonitor") or "monitoring.coreos.com" not in str(doc.get("apiVersion")):
        return None
    spec = as_dict(doc.get("spec"))
    if not (dicts(spec.get("endpoints")) or dicts(spec.get("podMetricsEndpoints"))):
        return None
    labels = " ".join(f"{k}={v}" for k, v in as_dict(get_in(spec, "selector", "matchLabels")).items())
    text = f"{get_in(doc, 'metadata', 'name') or ''} {labels}"
    return text.strip()[:80] if _METRIC_SERVERS.search(text) else None


def _config_map(path: str, text: str, doc: dict, found: Findings) -> None:
    """Dashboards and alert rules shipped to Grafana or Prometheus inside a Kubernetes ConfigMap
    (a ``dashboard.json: |`` or ``alert.rules: |`` entry of its data)."""
    for key, value in sorted(as_dict(doc.get("data")).items()):
        if not isinstance(value, str) or len(value) > MAX_JSON_BYTES:
            continue
        try:
            inner = load_json(value) if value.lstrip().startswith("{") else load_yaml(value)
        except ParseError:
            continue
        line = line_of(text, rf"^\s*{re.escape(str(key))}\s*:")
        if grafana_dashboard(inner):
            found.add(DASHBOARDS, "grafana-dashboard", Hit(path, line, f"Grafana dashboard in ConfigMap key {key}"))
        if isinstance(inner, dict) and alert_rules(inner):
            found.add(ALERTING, "alert-rules", Hit(path, line, f"{alert_rules(inner)} in ConfigMap key {key}"))


def _json(ctx: ScanContext, path: str, found: Findings) -> None:
    text = ctx.text(path)
    if not text or not _JSON_TRIGGERS.search(text):
        return
    try:
        doc = ctx.structured(path)
    except ParseError:
        return  # a JSON file that merely mentions panels decides nothing
    if grafana_dashboard(doc):
        found.add(DASHBOARDS, "grafana-dashboard", Hit(path, None, "Grafana dashboard"))
    elif cloudwatch_dashboard(doc):
        found.add(DASHBOARDS, "cloudwatch-dashboard", Hit(path, None, "CloudWatch dashboard body"))
    elif gcp_dashboard(doc):
        found.add(DASHBOARDS, "gcp-dashboard", Hit(path, None, "Google Cloud Monitoring dashboard"))
    elif evidently_dashboard(doc):
        found.add(DASHBOARDS, "evidently-dashboard", Hit(path, None, "Evidently UI project dashboard"))
    if isinstance(doc, dict):
        _cloudformation(path, text, doc, found)


def _cloudformation(path: str, text: str, doc: dict, found: Findings) -> None:
    for signal, res in cloudformation_monitoring(doc):
        found.add(signal, "cloudformation", Hit(path, line_of(text, re.escape(res)), f"CloudFormation {res}"))
