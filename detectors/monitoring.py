"""Monitoring practices that need context to recognise, beyond a plain library call.

Library use (prometheus_client, evidently, loguru...) is catalogue data read by the ``tools``
detector. This module decides the rest from code and config: logging set-up and evaluation
reports, request telemetry middleware, custom statistical drift checks, alert rules and
threshold notifications, dashboards, orchestrator schedules that run monitoring, code that
retrains on monitoring results, and predictions joined with ground truth. CI schedules and CI
workflows are the CI detector's.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterator

from detectors.tools import is_template_path
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Outcome, Tier
from scanner.parsing.python import MAX_PARSE_BYTES, Call, PyFacts
from scanner.parsing.structured import walk

LOGGING = "monitoring.logging"
INSTRUMENTATION = "monitoring.instrumentation"
DRIFT = "monitoring.drift"
SCHEDULED = "monitoring.scheduled"
ALERTING = "monitoring.alerting"
DASHBOARDS = "monitoring.dashboards"
RETRAIN = "monitoring.retrain_trigger"
FEEDBACK = "monitoring.performance_feedback"

_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")
#: identifiers that say code is about production monitoring. The bare ``monitor`` is left out:
#: it is mostly Keras' ``EarlyStopping(monitor="val_loss")`` keyword in training code.
_MONITORING = re.compile(r"drift|monitor(ing|s)|_monitor|monitor_|nannyml|evidently|whylogs|"
                         r"alibi_detect|frouros|ground_?truth")
_MONITORING_PATH = re.compile(r"monitor|drift", re.I)


def is_test_path(path: str) -> bool:
    """Test code exercises a practice; it does not wire it into the project."""
    return bool(_TEST_PATH.search(path.lower()))


def identifiers(tree: ast.AST) -> frozenset[str]:
    """Lower-cased identifiers of Python code: comments and string literals never count."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.add(node.id.lower())
        elif isinstance(node, ast.Attribute):
            out.add(node.attr.lower())
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name.lower())
        elif isinstance(node, ast.arg):
            out.add(node.arg.lower())
        elif isinstance(node, ast.keyword) and node.arg:
            out.add(node.arg.lower())
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [getattr(node, "module", None) or ""] + [a.name for a in node.names]
            out.update(part.lower() for m in modules for part in m.split(".") if part)
    return frozenset(out)


@dataclass
class Source:
    """One Python module of the project (not a test, a template or a notebook)."""

    path: str
    text: str
    facts: PyFacts

    @cached_property
    def tree(self) -> ast.AST | None:
        """Syntax tree, or None when the module is too big or does not parse."""
        if len(self.text) > MAX_PARSE_BYTES or self.facts.error:
            return None
        try:
            return ast.parse(self.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    @cached_property
    def lower(self) -> str:
        """Lower-cased source, for cheap pre-checks before the syntax tree is walked."""
        return self.text.lower()

    @cached_property
    def names(self) -> frozenset[str]:
        """Identifiers of the module (imports, names, attributes, keywords)."""
        return identifiers(self.tree) if self.tree is not None else frozenset()

    def mentions(self, pattern: re.Pattern[str]) -> bool:
        """True when an identifier of the module matches ``pattern`` (an unanchored regex)."""
        return bool(pattern.search(self.lower)) and any(pattern.search(n) for n in self.names)

    @property
    def monitoring(self) -> bool:
        """Code about production monitoring, by its path or its identifiers."""
        return bool(_MONITORING_PATH.search(self.path)) or self.mentions(_MONITORING)

    def call(self, *patterns: str, kwargs: tuple[str, ...] = ()) -> Call | None:
        """First call whose resolved name ends with one of ``patterns`` (regexes).

        A pattern starting with ``\\.`` is a method: it matches whatever the object is
        (``load_table(...).merge`` resolves to ``load_table.merge``). Other patterns match
        whole dotted components. ``kwargs``: at least one of these keywords must be passed.
        """
        alternatives = [p if p.startswith("\\.") else r"(?:^|\.)" + p for p in patterns]
        pattern = re.compile("(?:" + "|".join(alternatives) + ")$")
        for call in self.facts.calls:
            if pattern.search(call.name) and (not kwargs or any(call.has_kwarg(k) for k in kwargs)):
                return call
        return None


@dataclass(frozen=True)
class Hit:
    """One finding: where, and what was seen."""

    path: str
    line: int | None
    what: str


# -- Python checks: each takes a module and returns a hit or None ------------------------------

#: generated scaffolding (alembic's env.py calls fileConfig) is not serving or training code.
_SCAFFOLDING = re.compile(r"(^|/)(migrations|alembic)/")


def logging_setup(src: Source) -> Hit | None:
    """Stdlib logging configured: basicConfig/dictConfig/fileConfig, or a logger given handlers."""
    if _SCAFFOLDING.search(src.path):
        return None
    call = src.call(r"logging\.basicConfig", r"logging\.config\.dictConfig", r"logging\.config\.fileConfig")
    if call is None and src.call(r"logging\.getLogger"):
        call = src.call(r"logging\.(handlers\.)?\w*Handler", r"\.addHandler")
    return Hit(src.path, call.line, f"logging configured ({call.name})") if call else None


_EVAL_SCRIPT = re.compile(r"(^|[_-])eval", re.I)  # evaluate.py, model_eval.py; not retrieval.py
_REPORT_NAMES = re.compile(r"metric|report|score")


def evaluation_report(src: Source) -> Hit | None:
    """An evaluation script that writes its metrics to a report file on every run."""
    if not _EVAL_SCRIPT.search(src.path.rsplit("/", 1)[-1]) or not src.mentions(_REPORT_NAMES):
        return None
    call = src.call(r"json\.dump", r"yaml\.dump", r"yaml\.safe_dump", r"\.to_json", r"\.to_html",
                    r"\.save_html", r"\.write_text")
    return Hit(src.path, call.line, f"evaluation report written ({call.name})") if call else None


_WEB = ("fastapi", "starlette", "flask", "litestar", "aiohttp", "sanic", "bentoml", "quart")
_SERVER_ARGS = frozenset({"scope", "receive", "send"})
_WSGI_ARGS = frozenset({"environ", "start_response"})
_LATENCY = re.compile(r"latency|duration|elapsed|response_time")


def request_telemetry(src: Source) -> Hit | None:
    """Serving middleware that times each request and logs or records it."""
    hook = src.call(r"\.middleware", r"\.before_request", r"\.after_request") if src.facts.imports_any(_WEB) else None
    # a hand-written ASGI/WSGI middleware class needs no web framework import
    has_class = any("middleware" in d.lower() for d in src.facts.defs) and (
        src.facts.imports_any(_WEB) is not None or _SERVER_ARGS <= src.names or _WSGI_ARGS <= src.names)
    timer = src.call(r"time\.perf_counter", r"time\.perf_counter_ns", r"time\.monotonic",
                     r"time\.monotonic_ns", r"time\.time")
    if not (hook or has_class) or timer is None:
        return None
    logs = src.call(r"\.info", r"\.debug", r"\.warning", r"\.log", r"\.bind") or src.mentions(_LATENCY)
    return Hit(src.path, timer.line, "request timing recorded by serving middleware") if logs else None


_STAT_TESTS = (r"ks_2samp", r"kstest", r"chisquare", r"chi2_contingency", r"wasserstein_distance",
               r"jensenshannon", r"anderson_ksamp", r"energy_distance")
_PSI_DEF = re.compile(r"(^|_)psi($|_)|population_stability", re.I)
#: a bare ``psi`` is also physics' wave function: the stability index compares expected/actual shares.
_PSI_ARGS = frozenset({"expected", "actual"})


def statistical_drift(src: Source) -> Hit | None:
    """Custom drift checks: two-sample tests in monitoring code, or a PSI function."""
    psi = next((d for d in sorted(src.facts.defs) if _PSI_DEF.search(d)), None)
    if psi and ("population_stability" in psi.lower() or src.monitoring or _PSI_ARGS <= src.names):
        return Hit(src.path, None, f"population stability index computed ({psi})")
    call = src.call(*(r"scipy\.[\w.]*" + t for t in _STAT_TESTS))
    if call and src.monitoring:
        return Hit(src.path, call.line, f"statistical drift test ({call.name})")
    return None


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


_APP_FRAMEWORKS = ("streamlit", "dash", "panel")


def monitoring_app(src: Source) -> Hit | None:
    """A Streamlit/Dash/Panel app about monitoring (not a prediction demo, not static plots)."""
    module = src.facts.imports_any(_APP_FRAMEWORKS)
    if module is None or not src.monitoring:
        return None
    top = module.split(".")[0]
    call = next((c for c in src.facts.calls if c.name.startswith(top + ".")), None)
    return Hit(src.path, call.line, f"{top} monitoring app") if call else None


_SCHEDULE_CALLS = (
    (r"airflow\.[\w.]*(DAG|dag)", ("schedule", "schedule_interval", "timetable")),
    (r"\.serve", ("cron", "interval", "rrule", "schedule", "schedules")),
    (r"\.deploy", ("cron", "interval", "rrule", "schedule", "schedules")),
    (r"prefect\.[\w.]*(CronSchedule|IntervalSchedule|RRuleSchedule|Cron|Interval)", ()),
    (r"prefect\.[\w.]*build_from_flow", ("schedule", "schedules")),
    (r"dagster\.(ScheduleDefinition|schedule|build_schedule_from_partitioned_job)", ()),
    (r"apscheduler\.[\w.]*", ()),
    (r"\.add_job", ()),
    (r"\.scheduled_job", ()),
    (r"schedule\.every[\w.]*", ()),
)
_NO_SCHEDULE = re.compile(r"schedule(_interval)?\s*=\s*None")
_SCHEDULERS = ("airflow", "prefect", "dagster", "apscheduler", "schedule")


def code_schedule(src: Source) -> Hit | None:
    """An orchestrator schedule (Airflow, Prefect, Dagster, APScheduler) in monitoring code."""
    if not src.facts.imports_any(_SCHEDULERS) or not src.monitoring:
        return None
    for pattern, kwargs in _SCHEDULE_CALLS:
        call = src.call(pattern, kwargs=kwargs)
        if call and not (kwargs and _NO_SCHEDULE.search(src.text)):
            return Hit(src.path, call.line, f"monitoring scheduled ({call.name})")
    return None


_GUARD = re.compile(r"drift|retrain|degrad|decay|should_train|trigger|alert|threshold|psi|p_?value|"
                    r"exceed|breach")
_TRAIN_WORDS = frozenset({"train", "retrain", "training", "retraining"})
_DISPATCH = re.compile(r"^(create_dispatch|run_deployment|trigger_dag|submit_pipeline_job|"
                       r"start_pipeline_execution|run_pipeline|create_run|post|urlopen|Request|run|Popen)$")


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


#: first words of functions that ask about or record training rather than start it.
_NOT_STARTING = frozenset({"should", "needs", "is", "has", "can", "evaluate", "check", "decide", "get",
                           "load", "log", "record", "save", "notify", "send", "mark", "split"})


def _starts_training(node: ast.Call) -> bool:
    """A call that runs training: a train* function, or a dispatch/launch naming training."""
    name = _call_name(node)
    words = name.lower().split("_")
    if words[0] not in _NOT_STARTING and _TRAIN_WORDS & set(words) and name != "train_test_split":
        return True
    if not _DISPATCH.match(name):
        return False
    strings = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return any(re.search(r"train|dispatches", s, re.I) for s in strings)


def _node_names(node: ast.AST) -> set[str]:
    return {(n.id if isinstance(n, ast.Name) else n.attr).lower()
            for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute))}


def _guarded(call: ast.Call, guards: list[ast.If]) -> bool:
    """The call runs inside a guard's branches, or after a guard that can leave early."""
    for guard in guards:
        end = guard.end_lineno or guard.lineno
        if guard.body[0].lineno <= call.lineno <= end:
            return True
        exits = any(isinstance(n, (ast.Return, ast.Raise, ast.Continue)) for n in ast.walk(guard))
        if exits and end < call.lineno:
            return True
    return False


def _may_start_training(facts: PyFacts) -> bool:
    """Cheap pre-check on resolved call names before the syntax tree is walked."""
    for call in facts.calls:
        last = call.name.rsplit(".", 1)[-1]
        if _TRAIN_WORDS & set(last.lower().split("_")) or _DISPATCH.match(last):
            return True
    return False


def retraining_on_monitoring(src: Source) -> Hit | None:
    """A function that, on a drift/monitoring condition, starts a training run."""
    if "train" not in src.lower or not _may_start_training(src.facts) or src.tree is None or not src.monitoring:
        return None
    for func in ast.walk(src.tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        starts = [n for n in ast.walk(func) if isinstance(n, ast.Call) and _starts_training(n)]
        if not starts or not any(_MONITORING.search(n) for n in _node_names(func) | {func.name.lower()}):
            continue
        guards = [n for n in ast.walk(func) if isinstance(n, ast.If)
                  and any(_GUARD.search(n2) for n2 in _node_names(n.test))]
        call = next((c for c in starts if _guarded(c, guards)), None)
        if call is not None:
            return Hit(src.path, call.lineno, f"{func.name} starts training ({_call_name(call)}) "
                                              "on a monitoring result")
    return None


_TRUTH = re.compile(r"ground_?truth|(?<![a-z])gt(?![a-z])|actuals|feedback|delayed_label|true_label")
_PREDICTIONS = re.compile(r"pred")
_PRODUCTION = re.compile(r"drift|monitor(ing|s)|_monitor|monitor_|feedback|production|serving|online|"
                         r"inference_log|prediction_log|delayed")
_METRICS = re.compile(r"metric|rmse|mae|mape|accuracy|f1|auc|precision|recall")


def ground_truth_join(src: Source) -> Hit | None:
    """Logged predictions joined with later ground truth, and metrics computed on the result."""
    join = src.call(r"\.merge", r"pandas\.merge", r"polars\.[\w.]*join")
    if join is None or not (src.mentions(_TRUTH) and src.mentions(_PREDICTIONS) and src.mentions(_METRICS)):
        return None
    if not (_PRODUCTION.search(src.path.lower()) or src.mentions(_PRODUCTION)):
        return None
    return Hit(src.path, join.line, "predictions joined with ground truth to compute metrics") if join else None


#: (signal, kind, check) run over every project module.
PY_CHECKS: tuple[tuple[str, str, Callable[[Source], Hit | None]], ...] = (
    (LOGGING, "logging-config", logging_setup),
    (LOGGING, "evaluation-report", evaluation_report),
    (INSTRUMENTATION, "request-telemetry", request_telemetry),
    (DRIFT, "statistical-drift", statistical_drift),
    (ALERTING, "threshold-notification", threshold_notification),
    (DASHBOARDS, "monitoring-app", monitoring_app),
    (SCHEDULED, "orchestrator-schedule", code_schedule),
    (RETRAIN, "retrain-on-monitoring", retraining_on_monitoring),
    (FEEDBACK, "ground-truth-join", ground_truth_join),
)


# -- config files: alert rules, dashboards, schedules ------------------------------------------

_MONITORING_TEXT = re.compile(r"drift|monitor|nannyml|evidently|whylogs|ground.?truth", re.I)


def _line_of(text: str, pattern: str) -> int | None:
    m = re.search(pattern, text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _rules_of(doc: dict) -> list[dict]:
    """Rules of a Prometheus/Grafana rule file, or of a PrometheusRule resource."""
    groups = doc.get("groups")
    if groups is None and doc.get("kind") == "PrometheusRule":
        groups = (doc.get("spec") or {}).get("groups")
    if not isinstance(groups, list):
        return []
    return [r for g in groups if isinstance(g, dict) for r in (g.get("rules") or []) if isinstance(r, dict)]


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


def dashboard_provider(doc: dict) -> bool:
    """Grafana dashboard provisioning (a provider loading dashboards from files)."""
    providers = doc.get("providers")
    return isinstance(providers, list) and any(
        isinstance(p, dict) and (p.get("type") == "file" or isinstance(p.get("options"), dict))
        for p in providers)


def grafana_dashboard(doc: Any) -> bool:
    """A Grafana dashboard model: panels (or rows of panels), possibly under ``dashboard``."""
    if isinstance(doc, dict) and isinstance(doc.get("dashboard"), dict):
        doc = doc["dashboard"]
    if not isinstance(doc, dict):
        return False
    rows = doc.get("rows") if isinstance(doc.get("rows"), list) else []
    panels = doc.get("panels") or [p for r in rows if isinstance(r, dict) for p in (r.get("panels") or [])]
    return isinstance(panels, list) and bool(panels) and ("title" in doc or "uid" in doc or "schemaVersion" in doc)


_CFN_TYPES = {"AWS::CloudWatch::Alarm": ALERTING, "AWS::CloudWatch::CompositeAlarm": ALERTING,
              "AWS::CloudWatch::AnomalyDetector": ALERTING, "AWS::CloudWatch::Dashboard": DASHBOARDS}


def cloudformation_monitoring(doc: dict) -> Iterator[tuple[str, str]]:
    """(signal, resource type) of CloudWatch alarms and dashboards in a CloudFormation template."""
    resources = doc.get("Resources")
    if isinstance(resources, dict):
        for res in resources.values():
            kind = res.get("Type") if isinstance(res, dict) else None
            if kind in _CFN_TYPES:
                yield _CFN_TYPES[kind], kind


def monitoring_cronjob(doc: dict) -> bool:
    """A Kubernetes CronJob / Argo CronWorkflow whose job runs monitoring."""
    if doc.get("kind") not in ("CronJob", "CronWorkflow"):
        return False
    words = " ".join(str(v) for _, v in walk(doc.get("spec")) if isinstance(v, str))
    return bool(_MONITORING_TEXT.search(words))


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
_HCL_COMMENT = re.compile(r"(?m)^\s*(#|//).*$|/\*.*?\*/", re.S)


def _iac_patterns(path: str) -> Iterator[tuple[str, str, str]]:
    """(signal, resource type, regex declaring it) for a Terraform or Bicep file."""
    bicep = path.lower().endswith(".bicep")
    for signal, types in (_BICEP_TYPES if bicep else _TF_RESOURCES).items():
        for res in types:
            yield signal, res, (re.escape(res) + "@" if bicep else r'resource\s+"' + res + '"')


def iac_monitoring(path: str, text: str) -> Iterator[tuple[str, str, int | None]]:
    """(signal, resource type, line) of alarms and dashboards declared in Terraform or Bicep."""
    code = _HCL_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    for signal, res, pattern in _iac_patterns(path):
        line = _line_of(code, pattern)
        if line:
            yield signal, res, line


_CRON_LINE = re.compile(r"^\s*(@\w+|(?:[\d*/,\-]+\s+){4}[\w*/,\-]+)\s+(\S.*)$")


def cron_monitoring(text: str) -> int | None:
    """Line of a crontab entry whose command runs monitoring."""
    for i, line in enumerate(text.splitlines(), 1):
        m = _CRON_LINE.match(line)
        if m and not line.lstrip().startswith("#") and _MONITORING_TEXT.search(m.group(2)):
            return i
    return None


def is_cron_file(path: str) -> bool:
    """crontab files, *.cron, and files in a cron.d folder."""
    low = path.lower()
    base = low.rsplit("/", 1)[-1]
    return base in ("crontab", "cronfile") or base.endswith((".cron", ".crontab")) or "/cron.d/" in "/" + low


#: cheap text triggers: a YAML/JSON file is parsed only when one of these appears in it.
_YAML_TRIGGERS = re.compile(r"\balert:|\breceivers:|grafana_alert|contactPoints|\bproviders:|CronJob|"
                            r"CronWorkflow|AWS::CloudWatch::|\bdeployments:")
_JSON_TRIGGERS = re.compile(r'"panels"|AWS::CloudWatch::')
MAX_JSON_BYTES = 1_000_000


def project_sources(ctx: ScanContext) -> Iterator[Source]:
    """Python modules of the project: tests, templates and notebooks are left out."""
    for path in ctx.files():
        if path.endswith(".py") and not is_test_path(path) and not is_template_path(path):
            facts = ctx.python(path)
            text = ctx.text(path)
            if facts is not None and text is not None:
                yield Source(path, text, facts)


class Findings:
    """Hits gathered per (signal, kind), with their tier, and files that failed to parse."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str], list[Hit]] = {}
        self.tiers: dict[tuple[str, str], Tier] = {}
        self.errors: dict[str, list[tuple[str, str]]] = {}

    def add(self, signal: str, kind: str, hit: Hit, tier: Tier = Tier.CONFIGURED) -> None:
        self.hits.setdefault((signal, kind), []).append(hit)
        self.tiers.setdefault((signal, kind), tier)

    def error(self, signal: str, path: str, why: str) -> None:
        self.errors.setdefault(signal, []).append((path, why))

    def found(self, signal: str) -> bool:
        return any(s == signal and self.tiers[(s, k)] is not Tier.DECLARED for s, k in self.hits)


class MonitoringDetector(Detector):
    """Monitoring wired into the repository, beyond plain library calls (those are catalogue data).

    - ``monitoring.logging``: stdlib logging configured (basicConfig, dictConfig/fileConfig, a
      logger given handlers) in project code, or an evaluation script writing a metrics report.
    - ``monitoring.instrumentation``: serving middleware timing each request and logging it.
    - ``monitoring.drift``: two-sample tests (KS, chi-square, Wasserstein...) in monitoring code,
      or a population-stability-index function. Notebooks are one-off analysis and do not count.
    - ``monitoring.alerting``: Prometheus alert rules, Alertmanager routing, Grafana alerting,
      CloudWatch/Cloud Monitoring/Azure Monitor alarms in IaC, notifications on drift/thresholds.
    - ``monitoring.dashboards``: Grafana dashboard JSON, Grafana provisioning (declared only when
      the repository holds no dashboard), IaC dashboards, Streamlit/Dash/Panel monitoring apps.
    - ``monitoring.scheduled``: orchestrator schedules (prefect.yaml, Airflow, Prefect, Dagster,
      APScheduler), Kubernetes CronJobs and crontab entries that run monitoring code.
    - ``monitoring.retrain_trigger``: a function that starts training on a monitoring result.
    - ``monitoring.performance_feedback``: predictions joined with ground truth to compute metrics.

    Tests, unrendered templates and vendored folders never count.
    """

    id = "monitoring"
    signals = (LOGGING, INSTRUMENTATION, DRIFT, SCHEDULED, ALERTING, DASHBOARDS, RETRAIN, FEEDBACK)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        found = Findings()
        for src in project_sources(ctx):
            for signal, kind, check in PY_CHECKS:
                hit = check(src)
                if hit:
                    found.add(signal, kind, hit)
        self._config_files(ctx, found)
        self._text_files(ctx, found)
        self._dashboard_provisioning(found)
        yield from self._report(ctx, found)

    # -- collecting --------------------------------------------------------------------------
    def _config_files(self, ctx: ScanContext, found: Findings) -> None:
        for path in ctx.files():
            low = path.lower()
            if is_template_path(path):
                continue
            if low.endswith((".yml", ".yaml")):
                self._yaml(ctx, path, found)
            elif low.endswith(".json") and ctx.repo is not None and ctx.repo.size(path) <= MAX_JSON_BYTES:
                self._json(ctx, path, found)

    def _yaml(self, ctx: ScanContext, path: str, found: Findings) -> None:
        text = ctx.text(path)
        if not text or not _YAML_TRIGGERS.search(text):
            return
        try:
            docs = ctx.structured(path)
        except ParseError as exc:
            self._unparsed_yaml(path, text, str(exc), found)
            return
        for doc in docs:
            if isinstance(doc, dict):
                self._yaml_doc(ctx, path, text, doc, found)

    def _unparsed_yaml(self, path: str, text: str, why: str, found: Findings) -> None:
        """Helm-templated rule files do not parse as YAML: their keys still show the rules."""
        rule = re.search(r"(?m)^\s*-?\s*alert:\s*\S", text)
        if rule and re.search(r"(?m)^\s*expr:", text):
            if "{{" in text:
                found.add(ALERTING, "alert-rules", Hit(path, _line_of(text, r"^\s*-?\s*alert:"),
                                                      "templated Prometheus alert rules"))
            else:
                found.error(ALERTING, path, why)

    def _yaml_doc(self, ctx: ScanContext, path: str, text: str, doc: dict, found: Findings) -> None:
        kind = alert_rules(doc)
        if kind:
            line = _line_of(text, r"^\s*(groups|route|receivers|contactPoints):")
            found.add(ALERTING, "alert-rules", Hit(path, line, kind))
        if dashboard_provider(doc):
            found.add(DASHBOARDS, "grafana-provisioning", Hit(path, _line_of(text, r"^\s*providers:"),
                                                              "Grafana dashboard provisioning"))
        for signal, res in cloudformation_monitoring(doc):
            found.add(signal, "cloudformation", Hit(path, _line_of(text, re.escape(res)), f"CloudFormation {res}"))
        if monitoring_cronjob(doc):
            found.add(SCHEDULED, "cronjob", Hit(path, _line_of(text, r"^kind:\s*Cron"),
                                                f"{doc.get('kind')} running monitoring"))
        if path.rsplit("/", 1)[-1].lower().startswith("prefect"):
            for name, line in self._prefect_deployments(ctx, path, text, doc):
                found.add(SCHEDULED, "orchestrator-schedule", Hit(path, line, f"Prefect deployment {name} scheduled"))

    def _prefect_deployments(self, ctx: ScanContext, path: str, text: str, doc: dict
                             ) -> Iterator[tuple[str, int | None]]:
        """Scheduled deployments of a prefect.yaml whose flow (or name) is about monitoring."""
        base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        for dep in doc.get("deployments") or []:
            if not isinstance(dep, dict) or not (dep.get("schedules") or dep.get("schedule")):
                continue
            name = str(dep.get("name") or dep.get("entrypoint") or "?")
            if _MONITORING_TEXT.search(name) or self._runs_monitoring(ctx, base, dep.get("entrypoint")):
                yield name, _line_of(text, r"^\s*schedules?:")

    @staticmethod
    def _runs_monitoring(ctx: ScanContext, base: str, entrypoint: object) -> bool:
        """The flow file of a deployment entrypoint (``path.py:flow``) is monitoring code."""
        entry = str(entrypoint or "").split(":")[0].removeprefix("./")
        for candidate in (entry, base + entry):
            if entry and ctx.repo is not None and ctx.repo.exists(candidate):
                facts, text = ctx.python(candidate), ctx.text(candidate)
                return facts is not None and text is not None and Source(candidate, text, facts).monitoring
        return False

    def _json(self, ctx: ScanContext, path: str, found: Findings) -> None:
        text = ctx.text(path)
        if not text or not _JSON_TRIGGERS.search(text):
            return
        try:
            doc = ctx.structured(path)
        except ParseError:
            return  # a JSON file that merely mentions panels decides nothing
        if grafana_dashboard(doc):
            found.add(DASHBOARDS, "grafana-dashboard", Hit(path, None, "Grafana dashboard"))
        if isinstance(doc, dict):
            for signal, res in cloudformation_monitoring(doc):
                found.add(signal, "cloudformation", Hit(path, _line_of(text, re.escape(res)), f"CloudFormation {res}"))

    def _text_files(self, ctx: ScanContext, found: Findings) -> None:
        for path in ctx.files():
            low = path.lower()
            if is_template_path(path):
                continue
            if low.endswith((".tf", ".bicep")):
                text = ctx.text(path) or ""
                for signal, res, line in iac_monitoring(path, text):
                    found.add(signal, "iac", Hit(path, line, f"{res} declared"))
            elif is_cron_file(path):
                line = cron_monitoring(ctx.text(path) or "")
                if line:
                    found.add(SCHEDULED, "crontab", Hit(path, line, "crontab entry running monitoring"))

    @staticmethod
    def _dashboard_provisioning(found: Findings) -> None:
        """Provisioning that loads dashboards absent from the repository provisions nothing."""
        key = (DASHBOARDS, "grafana-provisioning")
        if key in found.hits and (DASHBOARDS, "grafana-dashboard") not in found.hits:
            found.tiers[key] = Tier.DECLARED
            found.hits[key] = [Hit(h.path, h.line, h.what + " (no dashboard JSON in the repository)")
                               for h in found.hits[key]]

    # -- reporting ---------------------------------------------------------------------------
    def _report(self, ctx: ScanContext, found: Findings) -> Iterator[Evidence]:
        for (signal, kind), hits in sorted(found.hits.items()):
            yield self._evidence(ctx, signal, kind, hits, found.tiers[(signal, kind)])
        for signal, errors in sorted(found.errors.items()):
            if not found.found(signal):
                for path, why in errors:
                    yield self.evidence(signal, f"{path} could not be parsed: {why}", ctx.location(path),
                                        outcome=Outcome.ERROR, tier=None, subject=f"error:{path}")

    def _evidence(self, ctx: ScanContext, signal: str, kind: str, hits: list[Hit], tier: Tier) -> Evidence:
        first = hits[0]
        files = sorted({h.path for h in hits})
        more = f" (+{len(files) - 1} more files)" if len(files) > 1 else ""
        return self.evidence(signal, f"{first.what} in {first.path}{more}",
                             *[ctx.location(h.path, h.line) for h in hits[:5]],
                             tier=tier, subject=kind, kind=kind, files=len(files))
