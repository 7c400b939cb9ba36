"""A live Grafana, read through its HTTP API: the dashboards (``/api/search``, then the models of
at most ``MAX_DASHBOARDS`` candidates by ``/api/dashboards/uid/UID``) and the Grafana-managed
alert rules (``/api/v1/provisioning/alert-rules``). Credentials: ``GRAFANA_TOKEN`` (a service
account token) or ``GRAFANA_USERNAME``/``GRAFANA_PASSWORD``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from scanner.sources.live_http import LiveQueryFailed, LiveSource, objects

#: dashboards listed at most (one search request)
MAX_SEARCH = 5000
#: dashboard models read at most: the candidates the scope names first
MAX_DASHBOARDS = 8


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    tags: tuple[str, ...]
    folder: str = ""


@dataclass(frozen=True)
class DashboardModel:
    """What a dashboard's panels query, and when it was last saved."""

    dashboard: Dashboard
    queries: tuple[str, ...]
    updated: str = ""


@dataclass(frozen=True)
class AlertRule:
    uid: str
    title: str
    queries: tuple[str, ...]
    labels: dict[str, str]
    updated: str = ""


class GrafanaSource(LiveSource):
    name = "grafana"
    kind = "Grafana"
    token_env = "GRAFANA_TOKEN"
    user_env = "GRAFANA_USERNAME"
    password_env = "GRAFANA_PASSWORD"

    def dashboards(self) -> tuple[Dashboard, ...]:
        doc = self.get_json("listing the dashboards", "api/search", {"type": "dash-db", "limit": MAX_SEARCH})
        if not isinstance(doc, list):
            raise LiveQueryFailed(f"listing the dashboards at {self.display_uri}: not a list of dashboards")
        if len(doc) >= MAX_SEARCH:
            self.truncated.add("dashboards")
        return tuple(Dashboard(uid=str(d.get("uid", "")), title=str(d.get("title", "")),
                               tags=tuple(str(t) for t in d.get("tags") or () if isinstance(t, str)),
                               folder=str(d.get("folderTitle", "")))
                     for d in objects(doc) if d.get("uid"))

    def models(self, rank: Callable[[Dashboard], int | None]) -> Iterator[DashboardModel]:
        """Models of the dashboards ``rank`` keeps (None drops one), lowest rank first, at most
        ``MAX_DASHBOARDS``; one that cannot be read is skipped (the rest still count)."""
        ranked = sorted((r, d.title, d) for d in self.dashboards() if (r := rank(d)) is not None)
        if len(ranked) > MAX_DASHBOARDS:
            self.truncated.add("dashboard_models")
        for _, _, dashboard in ranked[:MAX_DASHBOARDS]:
            doc = self.get_json(f"reading dashboard {dashboard.title!r}", f"api/dashboards/uid/{dashboard.uid}")
            model = doc.get("dashboard") if isinstance(doc, dict) else None
            if not isinstance(model, dict):
                raise LiveQueryFailed(f"reading dashboard {dashboard.title!r} at {self.display_uri}: no dashboard model")
            meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
            yield DashboardModel(dashboard=dashboard, queries=tuple(_panel_queries(model)),
                                 updated=str(meta.get("updated", "")))

    def alert_rules(self) -> tuple[AlertRule, ...]:
        what = "listing the alert rules"
        doc = self.get_json(what, "api/v1/provisioning/alert-rules")
        if not isinstance(doc, list):
            raise LiveQueryFailed(f"{what} at {self.display_uri}: not a list of alert rules")
        return tuple(AlertRule(uid=str(r.get("uid", "")), title=str(r.get("title", "")),
                               queries=tuple(_query_text(q.get("model")) for q in objects(r.get("data"))),
                               labels={str(k): str(v) for k, v in (r.get("labels") or {}).items()}
                               if isinstance(r.get("labels"), dict) else {},
                               updated=str(r.get("updated", "")))
                     for r in objects(doc))


def _panel_queries(model: dict[str, Any], depth: int = 0) -> Iterator[str]:
    """The query text of every panel target, rows' nested panels included."""
    for panel in objects(model.get("panels")):
        for target in objects(panel.get("targets")):
            text = _query_text(target)
            if text:
                yield text
        if depth < 3:
            yield from _panel_queries(panel, depth + 1)


def _query_text(target: Any) -> str:
    if not isinstance(target, dict):
        return ""
    for key in ("expr", "query", "rawSql", "rawQuery", "expression"):
        if isinstance(target.get(key), str):
            return target[key][:2000]
    return ""
