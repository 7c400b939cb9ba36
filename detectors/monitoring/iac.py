"""Alarms, dashboards and model monitors declared as infrastructure: CloudFormation, Terraform
and Bicep."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.monitoring.signals import ALERTING, DASHBOARDS, DRIFT, SCHEDULED
from detectors.monitoring.source import line_of
from detectors.shapes import as_str
from scanner.parsing.hcl import strip_comments

_CFN_TYPES = {"AWS::CloudWatch::Alarm": ALERTING, "AWS::CloudWatch::CompositeAlarm": ALERTING,
              "AWS::CloudWatch::AnomalyDetector": ALERTING, "AWS::CloudWatch::Dashboard": DASHBOARDS,
              # SageMaker Model Monitor: data and model quality compared with a training baseline
              "AWS::SageMaker::MonitoringSchedule": DRIFT, "AWS::SageMaker::DataQualityJobDefinition": DRIFT,
              "AWS::SageMaker::ModelQualityJobDefinition": DRIFT}
_TF_RESOURCES = {
    ALERTING: ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm", "google_monitoring_alert_policy",
               "azurerm_monitor_metric_alert", "azurerm_monitor_scheduled_query_rules_alert",
               "azurerm_monitor_scheduled_query_rules_alert_v2", "azurerm_monitor_activity_log_alert",
               "datadog_monitor", "grafana_rule_group", "newrelic_alert_condition",
               "newrelic_nrql_alert_condition", "aws_sns_topic_subscription_alarm"),
    DASHBOARDS: ("aws_cloudwatch_dashboard", "google_monitoring_dashboard", "azurerm_portal_dashboard",
                 "azurerm_dashboard", "azurerm_dashboard_grafana", "datadog_dashboard", "datadog_dashboard_json",
                 "grafana_dashboard", "newrelic_one_dashboard", "newrelic_one_dashboard_json"),
    DRIFT: ("aws_sagemaker_monitoring_schedule", "aws_sagemaker_data_quality_job_definition"),
    SCHEDULED: ("aws_sagemaker_monitoring_schedule",),
}
_BICEP_TYPES = {ALERTING: ("Microsoft.Insights/metricAlerts", "Microsoft.Insights/scheduledQueryRules",
                           "Microsoft.Insights/activityLogAlerts"),
                DASHBOARDS: ("Microsoft.Portal/dashboards", "Microsoft.Dashboard/grafana")}


def cloudformation_monitoring(doc: dict) -> Iterator[tuple[str, str]]:
    """(signal, resource type) of CloudWatch alarms and dashboards and SageMaker model monitors
    in a CloudFormation template; a monitoring schedule given a schedule expression runs on its own."""
    resources = doc.get("Resources")
    if isinstance(resources, dict):
        for res in resources.values():
            kind = as_str(res.get("Type")) if isinstance(res, dict) else ""
            if kind in _CFN_TYPES:
                yield _CFN_TYPES[kind], kind
            if kind == "AWS::SageMaker::MonitoringSchedule" and _schedule_expression(res):
                yield SCHEDULED, kind


def _schedule_expression(res: dict) -> bool:
    props = res.get("Properties")
    config = props.get("MonitoringScheduleConfig") if isinstance(props, dict) else None
    schedule = config.get("ScheduleConfig") if isinstance(config, dict) else None
    return isinstance(schedule, dict) and bool(schedule.get("ScheduleExpression"))


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
