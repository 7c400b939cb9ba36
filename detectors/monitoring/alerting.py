"""Alerting: Prometheus/Grafana alert rules, Alertmanager routing, and notifications that code
sends on drift or threshold breaches."""
from __future__ import annotations

import re

from detectors.monitoring.source import Hit, Source
from detectors.shapes import dicts, get_in

_NOTIFY_CONTEXT = re.compile(r"drift|threshold|alert|degrad|anomal|exceed|breach|(?<![a-z])sl[oa](?![a-z])")
#: where a notification goes: chat webhooks, pagers, or an issue opened for someone to review.
_WEBHOOK = re.compile(r"webhook|slack|teams|discord|pagerduty|opsgenie|(create|open|post|file)_\w*issue|jira")


def threshold_notification(src: Source) -> Hit | None:
    """A Slack/e-mail/pager notification sent from code about drift, thresholds or alerts."""
    call = src.call(r"smtplib\.SMTP\w*", r"slack_sdk\.[\w.]*chat_postMessage", r"slack_sdk\.[\w.]*\.send",
                    r"pymsteams\.[\w.]*", r"pdpyras\.[\w.]*", r"apprise\.[\w.]*notify")
    if call is None and src.mentions(_WEBHOOK):
        call = src.call(r"requests\.post", r"httpx\.post", r"httpx\.[\w.]*\.post",
                        r"urllib\.request\.urlopen", r"urllib\.request\.Request", r"aiohttp\.[\w.]*\.post")
    if call is None or not src.mentions(_NOTIFY_CONTEXT):
        return None
    return Hit(src.path, call.line, f"notification sent on a monitored condition ({call.name})")


def _rules_of(doc: dict) -> list[dict]:
    """Rules of a Prometheus/Grafana rule file, or of a PrometheusRule resource."""
    groups = doc.get("groups")
    if groups is None and doc.get("kind") == "PrometheusRule":
        groups = get_in(doc, "spec", "groups")
    return [r for g in dicts(groups) for r in dicts(g.get("rules"))]


def alert_rules(doc: dict) -> str | None:
    """Prometheus alert rules, Alertmanager routing or Grafana alert provisioning."""
    rules = _rules_of(doc)
    if any("alert" in r and "expr" in r for r in rules):
        return "Prometheus alert rules"
    if any("grafana_alert" in r or ("condition" in r and "data" in r) for r in rules):
        return "Grafana alert rules"
    if isinstance(doc.get("route"), dict) and isinstance(doc.get("receivers"), list):
        return "Alertmanager routing"
    if "contactPoints" in doc or ("policies" in doc and "apiVersion" in doc):
        return "Grafana contact points / notification policies"
    return None
