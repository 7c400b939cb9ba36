"""Alerting: Prometheus/Grafana alert rules, Alertmanager routing, and notifications that code
sends on drift or threshold breaches."""
from __future__ import annotations

import ast
import re

from detectors.flow import Function, Module, Project, callee, dotted, own_nodes, source
from detectors.monitoring.source import Hit, Source, identifiers
from detectors.shapes import as_dict, dicts, get_in
from scanner.parsing.python import walk

_NOTIFY_CONTEXT = re.compile(r"drift|threshold|alert|degrad|anomal|exceed|breach|(?<![a-z])sl[oa](?![a-z])")
#: where a notification goes: chat webhooks and bots, pagers, or an issue opened for someone to review.
_WEBHOOK = re.compile(r"webhook|slack|teams|discord|telegram|mattermost|pagerduty|opsgenie|"
                      r"(create|open|post|file)_\w*issue|jira")


def threshold_notification(src: Source) -> Hit | None:
    """A Slack/e-mail/pager notification sent from code about drift, thresholds or alerts."""
    call = src.call(r"smtplib\.SMTP\w*", r"slack_sdk\.[\w.]*chat_postMessage", r"slack_sdk\.[\w.]*\.send",
                    r"pymsteams\.[\w.]*", r"pdpyras\.[\w.]*", r"apprise\.[\w.]*notify",
                    # Prefect's notification tasks (prefect-email, prefect-slack)
                    r"prefect_email\.[\w.]*email_send_message", r"prefect_slack\.[\w.]*send_\w+")
    if call is None and src.mentions(_WEBHOOK):
        call = src.call(r"requests\.post", r"httpx\.post", r"httpx\.[\w.]*\.post",
                        r"urllib\.request\.urlopen", r"urllib\.request\.Request", r"aiohttp\.[\w.]*\.post")
    if call is None or not src.mentions(_NOTIFY_CONTEXT):
        return None
    return Hit(src.path, call.line, f"notification sent on a monitored condition ({call.name})")


#: what a notifier's body calls to deliver its message (last names of the calls).
_DELIVERS = frozenset({"post", "urlopen", "sendmail", "send_message", "chat_postMessage", "publish", "notify"})
#: calls that run a task later (``notify.submit(msg)``, ``notify.delay(msg)``): the task is the owner.
_DEFERRED = frozenset({"submit", "fn", "map", "delay", "apply_async", "remote"})
_NOTIFIER_HINTS = ("webhook", "slack", "teams", "discord", "telegram", "mattermost", "pagerduty", "opsgenie")


def notification_on_condition(project: Project) -> Hit | None:
    """A project function that sends a chat or pager message, called on a monitored condition in
    another place (``if data_drift_detected: notify_telegram.submit("Drift detected")``): the
    notification and the condition that sends it often live in different modules."""
    notifiers: dict[int, tuple[Module, Function]] = {}
    for module in project.modules(*_NOTIFIER_HINTS, *(h.upper() for h in _NOTIFIER_HINTS)):  # SLACK_WEBHOOK_URL
        if not _WEBHOOK.search(" ".join(identifiers(module.tree))):
            continue
        for fn in module.all_functions():
            if fn.calls & _DELIVERS:
                notifiers[id(fn.node)] = (module, fn)
    if not notifiers:
        return None
    names = sorted({fn.name for _, fn in notifiers.values()})
    for module in project.modules(*names, pattern=re.compile(_NOTIFY_CONTEXT.pattern, re.I)):
        # the names the module calls them by, renamed on import included (``import send as notify``)
        local = set(names) | {alias for alias, (_, target) in module.imports.items()
                              if target.rsplit(".", 1)[-1] in names}
        for call, why in _calls_on_condition(module, local):
            name = callee(call)
            owner = dotted(call.func).rpartition(".")[0].split(".")
            if name in _DEFERRED and owner[-1] in names:
                name, owner = owner[-1], owner[:-1]
            for target in project.resolve(module, str(name), owner[-1] if owner and owner[-1] else None)[1]:
                if id(target.node) in notifiers:
                    home = notifiers[id(target.node)][0]
                    return Hit(module.path, call.lineno, f"{target.name} ({home.path}:{target.line}) sends a message; "
                                                          f"called {why}")
    return None


def _calls_on_condition(module: Module, names: set[str]) -> list[tuple[ast.Call, str]]:
    """Calls of ``names`` made under a monitored condition (``if drift_detected:``) or carrying a
    message about one (``notify("Drift detected")``)."""
    out = []
    for node in walk(module.tree):
        if isinstance(node, ast.If) and _NOTIFY_CONTEXT.search(source(node.test).lower()):
            out += [(c, f"when {source(node.test)}") for stmt in node.body for c in [stmt, *own_nodes(stmt)]
                    if isinstance(c, ast.Call) and _named(c, names)]
        elif isinstance(node, ast.Call) and _named(node, names):
            text = " ".join(a.value for a in walk(node) if isinstance(a, ast.Constant) and isinstance(a.value, str))
            if _NOTIFY_CONTEXT.search(text.lower()):
                out.append((node, f"with a message about {_NOTIFY_CONTEXT.search(text.lower()).group(0)}"))
    return sorted(out, key=lambda item: item[0].lineno)


def _named(call: ast.Call, names: set[str]) -> bool:
    name = callee(call)
    return name in names or name in _DEFERRED and dotted(call.func).rpartition(".")[0].split(".")[-1] in names


def _rules_of(doc: dict) -> list[dict]:
    """Rules of a Prometheus/Grafana rule file, of a PrometheusRule resource, or of the values of
    a Helm chart that installs Prometheus (kube-prometheus-stack's ``additionalPrometheusRules``
    and ``additionalPrometheusRulesMap``, the prometheus chart's ``serverFiles``)."""
    groups = doc.get("groups")
    if groups is None and doc.get("kind") == "PrometheusRule":
        groups = get_in(doc, "spec", "groups")
    groups = list(dicts(groups))
    for entry in [*dicts(doc.get("additionalPrometheusRules")),
                  *dicts(list(as_dict(doc.get("additionalPrometheusRulesMap")).values())),
                  *dicts(list(as_dict(doc.get("serverFiles")).values()))]:
        groups += dicts(entry.get("groups"))
    return [r for g in groups for r in dicts(g.get("rules"))]


def alert_rules(doc: dict) -> str | None:
    """Prometheus alert rules, Alertmanager routing or Grafana alert provisioning."""
    rules = _rules_of(doc)
    if any("alert" in r and "expr" in r for r in rules):
        return "Prometheus alert rules"
    if any("grafana_alert" in r or ("condition" in r and "data" in r) for r in rules):
        return "Grafana alert rules"
    routing = as_dict(get_in(doc, "alertmanager", "config")) or doc
    if isinstance(routing.get("route"), dict) and isinstance(routing.get("receivers"), list):
        return "Alertmanager routing"
    if "contactPoints" in doc or ("policies" in doc and "apiVersion" in doc):
        return "Grafana contact points / notification policies"
    return None
