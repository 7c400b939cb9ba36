"""A live Prometheus server, read through its HTTP API v1 with four bounded requests.

What it answers: the alerting and recording rules loaded (``/api/v1/rules``), the alerts that
fired within the window (one instant query over the ``ALERTS`` series), the scrape targets and
their health (``/api/v1/targets``), and which model-level series exist: one ``group by`` query
whose answer is one row per metric name and owning job, never the series themselves. Credentials:
``PROMETHEUS_TOKEN`` (bearer) or ``PROMETHEUS_USERNAME``/``PROMETHEUS_PASSWORD``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from scanner.sources.live_http import LiveQueryFailed, LiveSource, objects

#: the window in which a fired alert counts (Prometheus keeps 15 days by default: the query asks
#: for what it has).
FIRED_DAYS = 30
#: rows of the model-series query kept at most (one per metric name and job).
MAX_SERIES_ROWS = 5000
#: the labels that say which service or model a series, a rule or an alert belongs to.
OWNER_LABELS = ("job", "service", "app", "app_kubernetes_io_name", "container", "model", "model_name",
                "deployment", "namespace")
#: words of metric names that are about a model or its data (predictions, inference latency,
#: drift and data quality), for the one series query.
MODEL_METRIC_PATTERN = ("(?i).*(predict|inference|model|drift|psi|skew|data_quality|feature|score|"
                        "accuracy|precision|recall|auc|latency|request).*")


@dataclass(frozen=True)
class Rule:
    """One loaded rule."""

    group: str
    name: str
    kind: str  # alerting | recording
    query: str
    labels: Mapping[str, str] = field(default_factory=dict)
    health: str = ""
    state: str = ""  # alerting rules: inactive | pending | firing


@dataclass(frozen=True)
class Target:
    """One active scrape target."""

    job: str
    instance: str
    health: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SeriesRow:
    """A metric name and the owner labels of the series that carry it."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)


class PrometheusSource(LiveSource):
    name = "prometheus"
    kind = "Prometheus server"
    token_env = "PROMETHEUS_TOKEN"
    user_env = "PROMETHEUS_USERNAME"
    password_env = "PROMETHEUS_PASSWORD"

    def rules(self) -> tuple[Rule, ...]:
        data = self._data("reading the loaded rules", "api/v1/rules", {})
        out = []
        for group in objects(data.get("groups")):
            for rule in objects(group.get("rules")):
                out.append(Rule(group=str(group.get("name", "")), name=str(rule.get("name", "")),
                                kind=str(rule.get("type", "")), query=str(rule.get("query", "")),
                                labels=_strings(rule.get("labels")), health=str(rule.get("health", "")),
                                state=str(rule.get("state", ""))))
        return tuple(out)

    def fired(self) -> dict[str, int]:
        """alertname -> samples in which it was firing, within ``FIRED_DAYS`` (what the server keeps)."""
        query = f'count by (alertname) (count_over_time(ALERTS{{alertstate="firing"}}[{FIRED_DAYS}d]))'
        rows = self._vector("reading which alerts fired", query)
        return {r["metric"].get("alertname", ""): int(float(r["value"][1])) for r in rows}

    def targets(self) -> tuple[Target, ...]:
        data = self._data("reading the scrape targets", "api/v1/targets", {"state": "active"})
        return tuple(Target(job=str(_strings(t.get("labels")).get("job", t.get("scrapePool", ""))),
                            instance=str(_strings(t.get("labels")).get("instance", "")),
                            health=str(t.get("health", "")), labels=_strings(t.get("labels")))
                     for t in objects(data.get("activeTargets")))

    def model_series(self) -> tuple[SeriesRow, ...]:
        """Metric names about models or their data, with the owners of their series (one query)."""
        query = f'group by (__name__, {", ".join(OWNER_LABELS)}) ({{__name__=~"{MODEL_METRIC_PATTERN}"}})'
        rows = self._vector("reading which model series exist", query)
        if len(rows) > MAX_SERIES_ROWS:
            self.truncated.add("model_series")
            rows = rows[:MAX_SERIES_ROWS]
        return tuple(SeriesRow(name=r["metric"].get("__name__", ""),
                               labels={k: v for k, v in r["metric"].items() if k != "__name__"}) for r in rows)

    # -- plumbing -----------------------------------------------------------------------------

    def _data(self, what: str, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The ``data`` of a Prometheus answer (``{"status": "success", "data": ...}``)."""
        doc = self.get_json(what, path, params)
        if not isinstance(doc, dict) or doc.get("status") != "success" or not isinstance(doc.get("data"), dict):
            said = doc.get("error") if isinstance(doc, dict) else None
            raise LiveQueryFailed(f"{what} at {self.display_uri}: not a Prometheus answer"
                                  + (f" ({str(said)[:200]})" if said else ""))
        return doc["data"]

    def _vector(self, what: str, query: str) -> list[dict[str, Any]]:
        data = self._data(what, "api/v1/query", {"query": query})
        rows = objects(data.get("result")) if data.get("resultType") == "vector" else None
        if rows is None:
            raise LiveQueryFailed(f"{what} at {self.display_uri}: the query gave no instant vector")
        return [{"metric": _strings(r.get("metric")), "value": r["value"]} for r in rows
                if isinstance(r.get("value"), list) and len(r["value"]) == 2 and _number(r["value"][1])]


def _strings(value: Any) -> dict[str, str]:
    """A label set as plain strings (anything else gives none)."""
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _number(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True
