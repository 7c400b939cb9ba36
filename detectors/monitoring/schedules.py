"""Schedules that run monitoring: orchestrator code, prefect.yaml deployments, Kubernetes
CronJobs and crontab entries (in-house schedulers are ``detectors.scheduling``'s)."""
from __future__ import annotations

import ast
import re
from typing import Iterator

from detectors.flow import dotted
from detectors.monitoring.source import MONITORING, MONITORING_TEXT, Hit, Source, identifiers, line_of, load_source
from detectors.scheduling.iac import cron_entries
from detectors.scheduling.job import unset_schedule
from detectors.shapes import as_str, dicts
from scanner.detector import ScanContext
from scanner.parsing.python import walk as walk_tree
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
_SCHEDULE_ARG = re.compile(r"\bschedule(?:_interval)?\s*=([^\n]*)")
_SCHEDULERS = ("airflow", "prefect", "dagster")


def code_schedule(src: Source) -> Hit | None:
    """An orchestrator schedule (Airflow, Prefect, Dagster) in monitoring code. APScheduler and
    ``schedule`` jobs are followed to what they run by ``detectors.scheduling``."""
    if not src.facts.imports_any(_SCHEDULERS) or not src.monitoring:
        return None
    for pattern, kwargs in _SCHEDULE_CALLS:
        call = src.call(pattern, kwargs=kwargs)
        if call and not (kwargs and any(unset_schedule(m.group(1)) for m in _SCHEDULE_ARG.finditer(src.text))):
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
            if src is None:
                return False
            # (or a script the flow runs as a command: ``run("python monitoring/data_drift.py")``)
            return src.monitoring or any(
                script.monitoring for script in (load_source(ctx, p) for p in _scripts_run(ctx, src.text)) if script)
    return False


_SCRIPT_COMMAND = re.compile(r"""["']python[\d.]*\s+(?:-u\s+)?([\w./-]+\.py)\b""")


def _scripts_run(ctx: ScanContext, text: str) -> list[str]:
    """Repository scripts a flow runs as shell commands written in its strings."""
    found = [m.group(1).removeprefix("./") for m in _SCRIPT_COMMAND.finditer(text)]
    return [p for p in dict.fromkeys(found) if ctx.repo is not None and ctx.repo.exists(p)][:10]


#: an asset decorator of Dagster (``@asset(group_name=...)``, ``@dg.asset``, ``@multi_asset``).
_DAGSTER_ASSET = re.compile(r"(^|\.)(asset|multi_asset)$")


def dagster_scheduled_assets(sources: list[Source]) -> Hit | None:
    """A Dagster schedule whose job selects asset groups (``AssetSelection.groups("Monitoring")``)
    or assets, one of them an asset function that runs monitoring code: its own name or body
    names monitoring (``monitoringAndReporting`` building an Evidently report). The schedule,
    the job and the assets usually sit in different modules of the Dagster project."""
    selected: dict[str, tuple[str, int]] = {}  # group or asset name -> (schedule file, line)
    for src in sources:
        if not src.facts.imports_any(("dagster",)) or src.call(r"dagster\.(ScheduleDefinition|schedule)") is None:
            continue
        for call in src.facts.calls:
            if re.search(r"(^|\.)AssetSelection\.(groups|assets|keys)$|(^|\.)define_asset_job$", call.name):
                for arg in call.args:
                    for name in arg if isinstance(arg, tuple) else (arg,):
                        if isinstance(name, str):
                            selected.setdefault(name, (src.path, call.line))
    if not selected:
        return None
    for src in sources:
        if not src.facts.imports_any(("dagster",)) or src.tree is None:
            continue
        for fn in (n for n in walk_tree(src.tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for deco in fn.decorator_list:
                call = deco if isinstance(deco, ast.Call) else None
                if not _DAGSTER_ASSET.search(dotted(call.func if call else deco) or ""):
                    continue
                group = next((k.value.value for k in (call.keywords if call else ())
                              if k.arg == "group_name" and isinstance(k.value, ast.Constant)), None)
                where = selected.get(fn.name) or (selected.get(group) if isinstance(group, str) else None)
                if where and any(MONITORING.search(n) for n in {fn.name.lower(), *identifiers(fn)}):
                    return Hit(where[0], where[1], f"Dagster schedule runs the monitoring asset {fn.name} "
                                                   f"({src.path}:{fn.lineno})")
    return None

