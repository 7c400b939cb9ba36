"""Live monitoring signals: what a running Prometheus, Alertmanager and Grafana hold for this
project (see ``detectors.monitoring.live_scope`` for what "this project" means).

Every piece of evidence is tier ``live`` and names the objects it saw (rules, alerts, targets,
series, receivers, dashboards) and why each is in scope. A source that cannot answer makes its
signals ``not_available`` (down, refused, API disabled) or ``error`` (an answer of the wrong shape).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator

from detectors.monitoring.live_scope import DRIFT_METRIC, ML_METRIC, LiveScope, live_scope
from scanner.detector import Detector, ScanContext
from scanner.model import Evidence, Location, Outcome, Tier
from scanner.sources.alertmanager import AlertmanagerSource
from scanner.sources.grafana import GrafanaSource
from scanner.sources.live_http import NOT_AVAILABLE, LiveError, LiveSource
from scanner.sources.prometheus import FIRED_DAYS, PrometheusSource

#: objects listed per evidence at most (a big stack must not bloat the report)
LIST_CAP = 25
#: a silence longer than this hides a model's alerts for good (``alertmanager.alerts_silenced``)
LONG_SILENCE_DAYS = 7


class _LiveDetector(Detector):
    """One live source's signals; a failure of the source becomes one outcome per signal."""

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        source: LiveSource = ctx.monitoring[self.sources[0]]
        scope = live_scope(ctx)
        try:
            found = list(self._read(source, scope, ctx))
        except LiveError as exc:
            outcome = Outcome.NOT_AVAILABLE if isinstance(exc, NOT_AVAILABLE) else Outcome.ERROR
            for signal in self.signals:
                yield self.evidence(signal, exc.reason, self._where(source), tier=None, outcome=outcome,
                                    server=source.display_uri, failure=exc.__class__.__name__)
            return
        yield from found

    def _read(self, source: Any, scope: LiveScope, ctx: ScanContext) -> Iterator[Evidence]:
        raise NotImplementedError

    @staticmethod
    def _where(source: LiveSource, part: str = "server") -> Location:
        return Location(path=f"{source.name}:{part}", url=source.display_uri)

    def _found(self, signal: str, source: LiveSource, part: str, what: str, items: list[dict[str, Any]],
               scope: LiveScope, **extra: Any) -> Evidence:
        """Present live evidence naming up to ``LIST_CAP`` objects, or absent evidence saying
        what was looked at."""
        common = {"server": source.display_uri, "scope": scope.describe(), **extra}
        if items:
            return self.evidence(signal, f"{len(items)} {what}", self._where(source, part), tier=Tier.LIVE,
                                 count=len(items), items=items[:LIST_CAP], **common)
        return self.evidence(signal, f"no {what}", self._where(source, part), tier=None,
                             outcome=Outcome.ABSENT, count=0, **common)


class PrometheusDetector(_LiveDetector):
    """A live Prometheus (``--prometheus-url``): alerting rules on the project's metrics loaded and
    healthy, alerts of them that fired, scrape targets of its services up, model-level and drift
    series being written."""

    id = "prometheus"
    sources = ("prometheus",)
    signals = ("prometheus.alert_rules", "prometheus.alerts_fired", "prometheus.targets_up",
               "prometheus.model_series", "prometheus.drift_series")

    def _read(self, source: PrometheusSource, scope: LiveScope, ctx: ScanContext) -> Iterator[Evidence]:
        rules = [(r, why) for r in source.rules() if r.kind == "alerting"
                 and (why := scope.labels(r.labels) or scope.query(r.query)) and _about_models(r.query, scope)]
        healthy = [{"rule": r.name, "group": r.group, "expr": r.query[:200], "state": r.state, "why": why}
                   for r, why in rules if r.health in ("ok", "unknown", "")]
        broken = [r.name for r, _ in rules if r.health == "err"]
        yield self._found("prometheus.alert_rules", source, "rules", "alerting rule(s) on the model's metrics loaded",
                          healthy, scope, failing_rules=broken[:LIST_CAP])
        fired = source.fired()
        yield self._found("prometheus.alerts_fired", source, "alerts",
                          f"in-scope alert(s) fired within {FIRED_DAYS} days",
                          [{"alert": r.name, "samples_firing": fired[r.name]} for r, _ in rules if r.name in fired],
                          scope)
        targets = [(t, why) for t in source.targets() if (why := scope.labels(t.labels))]
        up = [{"job": t.job, "instance": t.instance, "why": why} for t, why in targets if t.health == "up"]
        down = [f"{t.job} {t.instance}" for t, _ in targets if t.health != "up"]
        yield self._found("prometheus.targets_up", source, "targets", "scrape target(s) of the service up",
                          up, scope, targets_down=down[:LIST_CAP])
        rows = [(s, why) for s in source.model_series() if (why := scope.labels({**s.labels, "__name__": s.name}))]
        model = sorted({s.name for s, _ in rows if ML_METRIC.search(s.name) or s.name in scope.metrics})
        drift = sorted({s.name for s, _ in rows if DRIFT_METRIC.search(s.name)})
        yield self._found("prometheus.model_series", source, "series", "model-level metric(s) being written",
                          [{"metric": m} for m in model], scope, sample_truncated="model_series" in source.truncated)
        yield self._found("prometheus.drift_series", source, "series", "drift or data-quality metric(s) being written",
                          [{"metric": m} for m in drift], scope)


class AlertmanagerDetector(_LiveDetector):
    """A live Alertmanager (``--alertmanager-url``): where the project's alerts are routed, and
    silences that mute them for more than a week."""

    id = "alertmanager"
    sources = ("alertmanager",)
    signals = ("alertmanager.alerts_routed", "alertmanager.alerts_silenced")

    def _read(self, source: AlertmanagerSource, scope: LiveScope, ctx: ScanContext) -> Iterator[Evidence]:
        routing = source.routing()
        alerts = _alert_label_sets(ctx, scope)
        routed, dropped = [], []
        for labels in alerts:
            names = routing.route.receivers_for(labels)
            kinds = sorted({k for n in names for k in routing.receivers.get(n, ())})
            (routed if kinds else dropped).append({"alert": labels.get("alertname", "(default route)"),
                                                  "receivers": names, "integrations": kinds})
        yield self._found("alertmanager.alerts_routed", source, "routes",
                          "alert(s) of the model routed to a receiver that notifies", routed, scope,
                          null_routed=dropped[:LIST_CAP],
                          alerts_from="the in-scope rules of Prometheus" if "prometheus" in ctx.monitoring
                          else "scope labels (no --prometheus-url to name the alerts)")
        now = datetime.now(timezone.utc)
        long = [{"silence": s.id, "days": round(s.days, 1), "ends": s.ends.isoformat(), "created_by": s.created_by,
                 "mutes": sorted({a.get("alertname", "") for a in alerts if s.mutes(a)})}
                for s in source.silences() if s.state == "active" and s.ends > now
                and s.days > LONG_SILENCE_DAYS and any(s.mutes(a) for a in alerts)]
        yield self._found("alertmanager.alerts_silenced", source, "silences",
                          f"active silence(s) muting the model's alerts for over {LONG_SILENCE_DAYS} days", long, scope)


class GrafanaDetector(_LiveDetector):
    """A live Grafana (``--grafana-url``): dashboards whose panels query the project's metrics, and
    Grafana-managed alert rules on them."""

    id = "grafana"
    sources = ("grafana",)
    signals = ("grafana.dashboards", "grafana.alert_rules")

    def _read(self, source: GrafanaSource, scope: LiveScope, ctx: ScanContext) -> Iterator[Evidence]:
        def rank(d: Any) -> int | None:
            if scope.title(d.title, d.tags):
                return 0
            return 1 if ML_METRIC.search(d.title) or any(ML_METRIC.search(t) for t in d.tags) else None
        boards = []
        for model in source.models(rank):
            why = scope.title(model.dashboard.title, model.dashboard.tags)
            queried = [q for q in model.queries if scope.query(q) or (why and ML_METRIC.search(q))]
            if queried:
                boards.append({"dashboard": model.dashboard.title, "uid": model.dashboard.uid,
                               "updated": model.updated, "panels_on_model": len(queried),
                               "why": why or scope.query(queried[0])})
        yield self._found("grafana.dashboards", source, "dashboards", "dashboard(s) querying the model's metrics",
                          boards, scope, dashboards_listed=len(source.dashboards()),
                          sample_truncated=sorted(source.truncated))
        rules = [{"rule": r.title, "uid": r.uid, "updated": r.updated, "why": why} for r in source.alert_rules()
                 if (why := scope.labels(r.labels) or next(filter(None, map(scope.query, r.queries)), None))]
        yield self._found("grafana.alert_rules", source, "alert-rules", "Grafana alert rule(s) on the model's metrics",
                          rules, scope)


def _about_models(query: str, scope: LiveScope) -> bool:
    """A rule about a model or its service: it uses ML metric names, or it is in scope by name."""
    return bool(ML_METRIC.search(query)) or not scope.everything


def _alert_label_sets(ctx: ScanContext, scope: LiveScope) -> list[dict[str, str]]:
    """The label sets of the project's alerts: its in-scope alerting rules when Prometheus was
    given (their labels and name), else one label set per scope selector or name."""
    prometheus = ctx.monitoring.get("prometheus")
    if prometheus is not None:
        try:
            return [{**r.labels, "alertname": r.name} for r in prometheus.rules() if r.kind == "alerting"
                    and (scope.labels(r.labels) or scope.query(r.query)) and _about_models(r.query, scope)]
        except LiveError:
            pass  # Prometheus' own signals say why; route what the scope names instead
    sets = [{k: v} for k, v in scope.selectors] + [{"service": n} for n in sorted(scope.names) + list(scope.words)]
    return sets or [{}]

