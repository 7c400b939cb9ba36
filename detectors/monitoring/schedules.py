"""Schedules that run monitoring: orchestrator code, prefect.yaml deployments, Kubernetes
CronJobs and crontab entries (in-house schedulers are ``detectors.scheduling``'s)."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.monitoring.source import MONITORING_TEXT, Hit, Source, line_of, load_source
from detectors.scheduling.iac import cron_entries
from detectors.shapes import as_str, dicts
from scanner.detector import ScanContext
from scanner.parsing.structured import walk

_SCHEDULE_CALLS = (
    (r"airflow\.[\w.]*(DAG|dag)", ("schedule", "schedule_interval", "timetable")),
    (r"\.serve", ("cron", "interval", "rrule", "schedule", "schedules")),
    (r"\.deploy", ("cron", "interval", "rrule", "schedule", "schedules")),
    (r"prefect\.[\w.]*(CronSchedule|IntervalSchedule|RRuleSchedule|Cron|Interval)", ()),
    (r"prefect\.[\w.]*build_from_flow", ("schedule", "schedules")),
    (r"dagster\.(ScheduleDefinition|schedule|build_schedule_from_partitioned_job)", ()),
    # declarative automation: the asset materialises itself on a cron
    (r"dagster\.AutomationCondition\.on_cron", ()),
    (r"dagster\.AutoMaterializePolicy\.\w+", ()),
)
_NO_SCHEDULE = re.compile(r"schedule(_interval)?\s*=\s*None")
_SCHEDULERS = ("airflow", "prefect", "dagster")


def code_schedule(src: Source) -> Hit | None:
    """An orchestrator schedule (Airflow, Prefect, Dagster) in monitoring code. APScheduler and
    ``schedule`` jobs are followed to what they run by ``detectors.scheduling``."""
    if not src.facts.imports_any(_SCHEDULERS) or not src.monitoring:
        return None
    for pattern, kwargs in _SCHEDULE_CALLS:
        call = src.call(pattern, kwargs=kwargs)
        if call and not (kwargs and _NO_SCHEDULE.search(src.text)):
            return Hit(src.path, call.line, f"monitoring scheduled ({call.name})")
    return None


def monitoring_cronjob(doc: dict) -> bool:
    """A Kubernetes CronJob / Argo CronWorkflow whose job runs monitoring."""
    if doc.get("kind") not in ("CronJob", "CronWorkflow"):
        return False
    words = " ".join(str(v) for _, v in walk(doc.get("spec")) if isinstance(v, str))
    return bool(MONITORING_TEXT.search(words))


def cron_monitoring(text: str) -> int | None:
    """Line of a crontab entry whose command runs monitoring."""
    return next((line for line, command in cron_entries(text) if MONITORING_TEXT.search(command)), None)


def prefect_deployments(ctx: ScanContext, path: str, text: str, doc: dict) -> Iterator[tuple[str, int | None]]:
    """(name, line) of scheduled deployments of a prefect.yaml whose flow (or name) is about monitoring."""
    base = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    for dep in dicts(doc.get("deployments")):
        if not (dep.get("schedules") or dep.get("schedule")):
            continue
        name = str(dep.get("name") or dep.get("entrypoint") or "?")
        if MONITORING_TEXT.search(name) or _runs_monitoring(ctx, base, dep.get("entrypoint")):
            yield name, line_of(text, r"^\s*schedules?:")


def _runs_monitoring(ctx: ScanContext, base: str, entrypoint: object) -> bool:
    """The flow file of a deployment entrypoint (``path.py:flow``) is monitoring code."""
    entry = as_str(entrypoint).split(":")[0].removeprefix("./")
    for candidate in (entry, base + entry):
        if entry and ctx.repo is not None and ctx.repo.exists(candidate):
            src = load_source(ctx, candidate)
            return src is not None and src.monitoring
    return False
