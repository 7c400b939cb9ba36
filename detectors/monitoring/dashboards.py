"""Dashboards: Grafana dashboard models and provisioning, CloudWatch dashboard bodies, and
Streamlit/Dash/Panel apps about monitoring."""
from __future__ import annotations

import re
from typing import Any

from detectors.monitoring.source import Hit, Source
from detectors.shapes import as_list, dicts

_APP_FRAMEWORKS = ("streamlit", "dash", "panel")
#: what an app shows when it is a dashboard: charts, metrics, tables or an embedded HTML report
#: (an Evidently report rendered into the page; a chat or a prediction
#: form that only mentions monitoring shows none of them).
_DISPLAY = re.compile(r"^(streamlit\.(line_chart|area_chart|bar_chart|scatter_chart|plotly_chart|altair_chart|"
                      r"vega_lite_chart|pyplot|bokeh_chart|metric|dataframe|table|components\.v1\.html)"
                      r"|dash\.(dcc\.)?Graph|dash_core_components\.Graph|panel\.(pane|indicators)\.\w+)$")

#: a page of a dashboard app named for what monitoring watches (``pages/2_Model_Performance.py``)
_MONITORING_PAGE = re.compile(r"(model|system|service)[ _-]?(performance|health|metrics)|data[ _-]?quality"
                              r"|observability", re.I)


def monitoring_app(src: Source) -> Hit | None:
    """A Streamlit/Dash/Panel app about monitoring that shows charts, metrics or tables (not a
    prediction demo, not static plots, not a chat app calling a monitoring helper)."""
    module = src.facts.imports_any(_APP_FRAMEWORKS)
    if module is None or not (src.monitoring or _MONITORING_PAGE.search(src.path)):
        return None
    top = module.split(".")[0]
    call = next((c for c in src.facts.calls if _DISPLAY.match(c.name)), None)
    return Hit(src.path, call.line, f"{top} monitoring app ({call.name.rsplit('.', 1)[-1]})") if call else None


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
    panels = doc.get("panels") or [p for r in dicts(doc.get("rows")) for p in as_list(r.get("panels"))]
    return isinstance(panels, list) and bool(panels) and ("title" in doc or "uid" in doc or "schemaVersion" in doc)


def evidently_dashboard(doc: Any) -> bool:
    """An Evidently UI project kept in its workspace (``workspace/<id>/metadata.json``): its
    dashboard's panels chart the snapshots monitoring writes."""
    dashboard = doc.get("dashboard") if isinstance(doc, dict) else None
    panels = as_list(dashboard.get("panels")) if isinstance(dashboard, dict) else []
    return any(isinstance(p, dict) and str(p.get("type", "")).startswith("evidently:dashboard_panel") for p in panels)


#: widget types of a CloudWatch dashboard body (``put_dashboard``'s ``DashboardBody``)
_CLOUDWATCH_WIDGETS = frozenset({"metric", "log", "alarm", "text", "explorer"})


def cloudwatch_dashboard(doc: Any) -> bool:
    """A CloudWatch dashboard body: widgets of CloudWatch's types, at least one charting metrics or logs."""
    widgets = doc.get("widgets") if isinstance(doc, dict) else None
    if not isinstance(widgets, list) or not widgets:
        return False
    kinds = [w.get("type") for w in widgets if isinstance(w, dict) and isinstance(w.get("properties"), dict)]
    return len(kinds) == len(widgets) and set(kinds) <= _CLOUDWATCH_WIDGETS and bool({"metric", "log"} & set(kinds))


#: the layouts of a Google Cloud Monitoring dashboard and where each keeps its widgets.
_GCP_LAYOUTS = {"mosaicLayout": "tiles", "gridLayout": "widgets", "columnLayout": "columns", "rowLayout": "rows"}


def gcp_dashboard(doc: Any) -> bool:
    """A Google Cloud Monitoring dashboard (``gcloud monitoring dashboards create --config``):
    a display name and a layout whose widgets chart time series."""
    if not isinstance(doc, dict) or not isinstance(doc.get("displayName"), str):
        return False
    for layout, key in _GCP_LAYOUTS.items():
        if isinstance(doc.get(layout), dict) and doc[layout].get(key):
            return "timeSeriesQuery" in str(doc[layout]) or "xyChart" in str(doc[layout])
    return False
