"""Alarms and dashboards declared as infrastructure: CloudFormation, Terraform and Bicep."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.monitoring.signals import ALERTING, DASHBOARDS
from detectors.monitoring.source import line_of
from detectors.shapes import as_str
from scanner.parsing.hcl import strip_comments

_CFN_TYPES = {"AWS::CloudWatch::Alarm": ALERTING, "AWS::CloudWatch::CompositeAlarm": ALERTING,
              "AWS::CloudWatch::AnomalyDetector": ALERTING, "AWS::CloudWatch::Dashboard": DASHBOARDS}
_TF_RESOURCES = {
    ALERTING: ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm", "google_monitoring_alert_policy",
               "azurerm_monitor_metric_alert", "azurerm_monitor_scheduled_query_rules_alert",
               "azurerm_monitor_scheduled_query_rules_alert_v2", "azurerm_monitor_activity_log_alert",
               "datadog_monitor", "grafana_rule_group", "newrelic_alert_condition",
               "newrelic_nrql_alert_condition", "aws_sns_topic_subscription_alarm"),
    DASHBOARDS: ("aws_cloudwatch_dashboard", "google_monitoring_dashboard", "azurerm_portal_dashboard",
                 "azurerm_dashboard", "azurerm_dashboard_grafana", "datadog_dashboard", "datadog_dashboard_json",
                 "grafana_dashboard", "newrelic_one_dashboard", "newrelic_one_dashboard_json"),
}
_BICEP_TYPES = {ALERTING: ("Microsoft.Insights/metricAlerts", "Microsoft.Insights/scheduledQueryRules",
                           "Microsoft.Insights/activityLogAlerts"),
                DASHBOARDS: ("Microsoft.Portal/dashboards", "Microsoft.Dashboard/grafana")}


def cloudformation_monitoring(doc: dict) -> Iterator[tuple[str, str]]:
    """(signal, resource type) of CloudWatch alarms and dashboards in a CloudFormation template."""
    resources = doc.get("Resources")
    if isinstance(resources, dict):
        for res in resources.values():
            kind = as_str(res.get("Type")) if isinstance(res, dict) else ""
            if kind in _CFN_TYPES:
                yield _CFN_TYPES[kind], kind


def _iac_patterns(path: str) -> Iterator[tuple[str, str, str]]:
    """(signal, resource type, regex declaring it) for a Terraform or Bicep file."""
    bicep = path.lower().endswith(".bicep")
    for signal, types in (_BICEP_TYPES if bicep else _TF_RESOURCES).items():
        for res in types:
            yield signal, res, (re.escape(res) + "@" if bicep else r'resource\s+"' + res + '"')


def iac_monitoring(path: str, text: str) -> Iterator[tuple[str, str, int | None]]:
    """(signal, resource type, line) of alarms and dashboards declared in Terraform or Bicep."""
    code = strip_comments(text, bicep=path.lower().endswith(".bicep"))
    for signal, res, pattern in _iac_patterns(path):
        line = line_of(code, pattern)
        if line:
            yield signal, res, line
