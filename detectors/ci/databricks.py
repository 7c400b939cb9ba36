"""Databricks jobs read into the CI model: asset bundles (``databricks.yml`` and the resource
files it includes), dbx ``conf/deployment.yml`` workflows, Jobs API definitions and the
``databricks_job`` resources of Terraform (the Databricks provider; the older MLOps Stacks).

These are an orchestrator's job definitions, not CI: their jobs count for schedules and data
pipelines (a ``schedule``/``trigger`` makes a job scheduled), and for CI signals only when a CI
step starts them (``databricks bundle run``), which the remote-job reader follows.
"""
from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import Any, Iterable

from detectors.ci import model as m
from detectors.ci.model import Job, Pipeline, Step
from detectors.ci.yamlutil import LineFinder, flatten, script_text
from detectors.shapes import as_dict, as_list, as_str, dicts, first_mapping
from scanner.detector import ParseError, ScanContext
from scanner.parsing.hcl import hcl_document

SYSTEM = "Databricks Asset Bundles"
DBX_SYSTEM = "Databricks dbx"
JOBS_API_SYSTEM = "Databricks Jobs API"
TERRAFORM_SYSTEM = "Databricks jobs (Terraform)"
MAX_INCLUDED = 50
_BUNDLE_ROOTS = ("databricks.yml", "databricks.yaml")
_VARIABLE_PREFIX = re.compile(r"^(\$\{[^}]*\}/?)+")


def is_bundle_root(path: str) -> bool:
    """``databricks.yml`` (the bundle's root configuration)."""
    return path.lower().rsplit("/", 1)[-1] in _BUNDLE_ROOTS


def looks_like_bundle(doc: Any) -> bool:
    """A bundle file by shape: ``bundle:`` or ``resources.jobs.*.tasks`` / serving endpoints."""
    if not isinstance(doc, dict):
        return False
    resources = as_dict(doc.get("resources"))
    jobs = as_dict(resources.get("jobs"))
    return (isinstance(doc.get("bundle"), dict) or any(isinstance(as_dict(j).get("tasks"), list) for j in jobs.values())
            or isinstance(resources.get("model_serving_endpoints"), dict))


def looks_like_dbx(doc: Any) -> bool:
    """A dbx deployment file: ``environments.<env>.workflows`` (or ``jobs``) with tasks."""
    for env in as_dict(as_dict(doc).get("environments")).values():
        for job in dicts(as_dict(env).get("workflows")) + dicts(as_dict(env).get("jobs")):
            if "tasks" in job or any(key.endswith("_task") for key in job):
                return True
    return False


def job_settings(doc: Any) -> dict | None:
    """The settings of a Jobs API job definition (``databricks jobs create --json-file``, or the
    ``settings`` of what ``jobs get`` returns): a job with a cluster and a task."""
    doc = as_dict(doc)
    job = as_dict(doc.get("settings")) or doc
    tasks = dicts(job.get("tasks")) or [job]
    clusters = any(k in job for k in ("new_cluster", "existing_cluster_id", "job_clusters", "environments")) or any(
        k in t for t in tasks for k in ("new_cluster", "existing_cluster_id", "job_cluster_key", "environment_key"))
    runs = any(isinstance(v, dict) for t in tasks for k, v in t.items() if k.endswith("_task"))
    return job if clusters and runs else None


def _triggers(job: dict) -> frozenset[str]:
    """Scheduled when a schedule, trigger or continuous run is set and not paused."""
    for key in ("schedule", "trigger", "continuous"):
        conf = job.get(key)
        if conf and str(as_dict(conf).get("pause_status", "")).upper() != "PAUSED":
            return frozenset({m.SCHEDULE})
    return frozenset({m.MANUAL})


def _path(value: Any, here: str) -> str:
    """A task's file path made repository-relative (``../src/x.py`` from ``resources/``)."""
    raw = _VARIABLE_PREFIX.sub("", as_str(value)).removeprefix("file:fuse://").removeprefix("file://")
    if not raw or raw.startswith(("/", "dbfs:", "s3:", "abfss:", "gs:")):
        return raw
    return posixpath.normpath(posixpath.join(here, raw))


def _task_script(task: dict, here: str) -> tuple[str, str]:
    """(shell text, uses) of one task: the file or entry point it runs, as a command."""
    if isinstance(task.get("for_each_task"), dict):
        return _task_script(as_dict(task["for_each_task"].get("task")), here)
    params = " ".join(as_str(p) for p in as_list(as_dict(task.get("spark_python_task")).get("parameters")))
    python_file = _path(as_dict(task.get("spark_python_task")).get("python_file"), here)
    if python_file:
        return f"python {python_file} {params}".strip(), ""
    notebook = _path(as_dict(task.get("notebook_task")).get("notebook_path"), here)
    if notebook:  # often written without its suffix: the module finder tries .py and .ipynb
        return f"python {notebook}", ""
    wheel = as_dict(task.get("python_wheel_task"))
    if wheel:
        entry = as_str(wheel.get("entry_point")) or f"python -m {as_str(wheel.get('package_name'))}"
        return " ".join([entry, *(as_str(p) for p in as_list(wheel.get("parameters")))]), ""
    dbt = as_dict(task.get("dbt_task"))
    if dbt:
        return script_text(dbt.get("commands")), ""
    if task.get("pipeline_task"):
        return "", "databricks pipeline_task"
    return "", ""


def _jobs(path: str, system: str, raw_jobs: Iterable[tuple[str, dict]], finder: LineFinder) -> list[Job]:
    here = posixpath.dirname(path) if system == SYSTEM else ""
    out = []
    for name, job in raw_jobs:
        line = finder.key(name) or finder.text(name)
        steps = []
        tasks = dicts(job.get("tasks")) or [job]  # dbx's older jobs hold one task themselves
        for task in tasks:
            run, uses = _task_script(task, here)
            if run or uses:
                key = as_str(task.get("task_key"))
                at = (finder.key(key, line or 1) or finder.text(key, line or 1)) if key else None
                # the parameters a notebook reads as widgets: its run configuration, kept in the job
                params = as_dict(task.get("notebook_task")).get("base_parameters")
                steps.append(Step(line=at or line, name=key, run=run, uses=uses, args=flatten(params) if params else ""))
        out.append(Job(file=path, system=system, name=name, line=line, triggers=_triggers(job), steps=tuple(steps)))
    return out


def parse_bundle(path: str, docs: list[Any], text: str) -> Pipeline:
    """Jobs (and model-serving endpoints, as jobs without steps) of one bundle file."""
    doc = first_mapping(docs) or {}
    finder = LineFinder(text)
    tables = [as_dict(doc.get("resources"))] + [as_dict(as_dict(t).get("resources"))
                                                 for t in as_dict(doc.get("targets")).values()]
    raw: dict[str, dict] = {}
    endpoints: list[str] = []
    for table in tables:
        for name, job in as_dict(table.get("jobs")).items():
            raw.setdefault(str(name), as_dict(job))
        endpoints += [str(n) for n in as_dict(table.get("model_serving_endpoints"))]
    jobs = _jobs(path, SYSTEM, raw.items(), finder)
    jobs += [Job(file=path, system=SYSTEM, name=n, line=finder.key(n), triggers=frozenset({m.MANUAL}))
             for n in dict.fromkeys(endpoints)]
    return Pipeline(path, SYSTEM, tuple(jobs), ci=False)


#: bundle resources that are infrastructure; jobs and pipelines are workloads, read as an orchestrator's
_INFRASTRUCTURE = ("registered_models", "experiments", "model_serving_endpoints", "schemas", "volumes", "catalogs",
                   "clusters", "quality_monitors", "apps", "secret_scopes", "sql_warehouses", "database_instances")
_INFRASTRUCTURE_KEY = re.compile(r"^\s+(%s)\s*:" % "|".join(_INFRASTRUCTURE), re.M)


def infrastructure(ctx: ScanContext, path: str) -> list[str]:
    """The infrastructure a bundle file declares (registered models, experiments, serving
    endpoints, schemas...) at its top level or for a target; none for a bundle of jobs alone."""
    text = ctx.text(path) or ""
    if "resources" not in text or not _INFRASTRUCTURE_KEY.search(text):
        return []
    try:
        doc = first_mapping(ctx.structured(path)) or {}
    except ParseError:
        return []
    tables = [as_dict(doc.get("resources"))] + [as_dict(as_dict(t).get("resources"))
                                                 for t in as_dict(doc.get("targets")).values()]
    return [kind for kind in _INFRASTRUCTURE if any(as_dict(t.get(kind)) for t in tables)]


def parse_dbx(path: str, docs: list[Any], text: str) -> Pipeline:
    """Workflows of every environment of a dbx deployment file (each workflow once)."""
    doc = first_mapping(docs) or {}
    finder = LineFinder(text)
    raw: dict[str, dict] = {}
    for env in as_dict(doc.get("environments")).values():
        for job in dicts(as_dict(env).get("workflows")) + dicts(as_dict(env).get("jobs")):
            raw.setdefault(as_str(job.get("name"), "workflow"), job)
    return Pipeline(path, DBX_SYSTEM, tuple(_jobs(path, DBX_SYSTEM, raw.items(), finder)), ci=False)


def parse_job_json(ctx: ScanContext, path: str) -> Pipeline | None:
    """A Jobs API job definition in JSON (None when the file is not one). Notebooks are named by
    their workspace path (``/Shared/project/train``): the repository file of that name stands for it."""
    try:
        job = job_settings(ctx.structured(path))
    except ParseError:
        return None
    if job is None:
        return None
    name = as_str(job.get("name"), posixpath.basename(path))
    [parsed] = _jobs(path, JOBS_API_SYSTEM, [(name, job)], LineFinder(ctx.text(path) or ""))
    steps = tuple(Step(line=st.line, name=st.name, run=_in_repository(ctx, st.run), uses=st.uses) for st in parsed.steps)
    return Pipeline(path, JOBS_API_SYSTEM, (Job(file=path, system=JOBS_API_SYSTEM, name=name, line=parsed.line,
                                                triggers=parsed.triggers, steps=steps),), ci=False)


def parse_terraform_jobs(path: str, text: str) -> Pipeline | None:
    """The ``databricks_job`` resources of a Terraform file, read like a bundle's jobs (a task's
    notebook path is the repository's, as the job's ``git_source`` runs it). None when the file
    holds none or does not parse (the Terraform readers of other resources still read it)."""
    try:
        doc = hcl_document(text)
    except ValueError:
        return None
    # (named by the resource's label: the job's own name is often an expression)
    raw = [(label, job) for res in dicts(doc.get("resource"))
           for label, job in as_dict(res.get("databricks_job")).items() if isinstance(job, dict)]
    if not raw:
        return None
    return Pipeline(path, TERRAFORM_SYSTEM, tuple(_jobs(path, TERRAFORM_SYSTEM, raw, LineFinder(text))), ci=False)


def _in_repository(ctx: ScanContext, run: str) -> str:
    """``python /Shared/project/train`` -> ``python notebooks/train.py`` when exactly one project
    file has that name."""
    words = run.split(" ", 2)
    if len(words) < 2 or words[0] != "python" or not words[1].startswith("/"):
        return run
    stem = posixpath.basename(words[1])
    names = (stem,) if stem.endswith((".py", ".ipynb")) else (f"{stem}.py", f"{stem}.ipynb")
    found = [f for f in ctx.files() if posixpath.basename(f) in names]
    return " ".join(["python", found[0], *words[2:]]) if len(found) == 1 else run


def _read(ctx: ScanContext, path: str) -> Pipeline | None:
    try:
        docs = ctx.structured(path)
    except ParseError:
        return None
    return parse_bundle(path, docs, ctx.text(path) or "") if looks_like_bundle(first_mapping(docs)) else None


def bundle_jobs(ctx: ScanContext, dirs: Iterable[str]) -> list[Job]:
    """Jobs of the bundle a ``databricks bundle`` command works on: the ``databricks.yml`` of the
    command's folder (or the root) and the resource files its ``include`` globs match."""
    if ctx.repo is None:
        return []
    root = next((f"{d}/{n}" if d else n for d in dict.fromkeys([*dirs, ""]) for n in _BUNDLE_ROOTS
                 if ctx.repo.exists(f"{d}/{n}" if d else n)), None)
    bundle = _read(ctx, root) if root else None
    if bundle is None:
        return []
    folder = posixpath.dirname(root)
    globs = [posixpath.normpath(posixpath.join(folder, g)) for g in _includes(ctx, root)]
    files = [f for f in ctx.files() if f != root and any(fnmatch.fnmatchcase(f, g) for g in globs)]
    jobs = list(bundle.jobs)
    for path in files[:MAX_INCLUDED]:
        included = _read(ctx, path)
        jobs += included.jobs if included else []
    return jobs


def _includes(ctx: ScanContext, root: str) -> list[str]:
    try:
        doc = first_mapping(ctx.structured(root)) or {}
    except ParseError:
        return []
    return [g for g in (as_str(x) for x in as_list(doc.get("include"))) if g]
