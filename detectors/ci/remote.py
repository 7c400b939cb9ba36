"""Jobs a CI command submits to a platform, read from the repository: what they run remotely.

``anyscale job submit job.yaml`` runs the YAML's ``entrypoint``; ``anyscale job submit -- cmd``
and ``ray job submit ... -- cmd`` run ``cmd``; ``az ml job create -f job.yml`` runs the job's
``command`` (a pipeline job: each step's command or component); ``sky launch task.yaml`` its
``run``; ``databricks bundle run KEY`` / ``databricks jobs run-now`` the bundle's job tasks, and
``databricks jobs create --json-file`` the tasks of the Jobs API definition it is given;
``databricks bundle deploy`` deploys the bundle's jobs and serving endpoints; ``dbx deploy`` deploys
a dbx deployment file's jobs and ``dbx launch JOB`` (or ``dbx execute JOB``) runs one.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any, Iterable

from detectors.ci import classify as k
from detectors.ci import databricks
from detectors.ci.commands import Command
from detectors.ci.yamlutil import LineFinder
from detectors.shapes import as_dict, as_str, first_mapping
from scanner.detector import ParseError, ScanContext

#: steps of an Azure ML pipeline job (and components) read per submitted job.
MAX_PIPELINE_STEPS = 30


@dataclass(frozen=True)
class Remote:
    """Shell text a submitted job runs, and where it is defined."""

    path: str
    """File defining the job; empty when the command line itself holds what runs."""
    line: int | None
    script: str
    workdir: str = ""
    kinds: frozenset[str] = frozenset()
    """Kinds the submission has by itself (a bundle deploy deploys)."""


def locate(ctx: ScanContext, name: str, dirs: Iterable[str]) -> str | None:
    """Repository path of a file named in a command, tried from each folder then the root."""
    if ctx.repo is None or not name or "$" in name or "{" in name:
        return None
    for folder in dict.fromkeys([*dirs, ""]):
        path = posixpath.normpath(posixpath.join(folder, name))
        if not path.startswith("..") and ctx.repo.exists(path):
            return path
    return None


def _after_dashes(words: tuple[str, ...]) -> str:
    return " ".join(words[words.index("--") + 1:]) if "--" in words else ""


def _option(words: tuple[str, ...], *names: str) -> str:
    for i, word in enumerate(words):
        for name in names:
            if word == name and i + 1 < len(words):
                return words[i + 1]
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
    return ""


#: where dbx looks for its deployment file when none is named.
_DBX_FILES = ("conf/deployment.yml", "conf/deployment.yaml", "conf/deployment.json")


class RemoteJobs:
    """Reads the job definitions submitted by CI commands (cached per command)."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self._cache: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Remote]] = {}

    def definitions(self, cmd: Command, dirs: tuple[str, ...]) -> list[Remote]:
        """What ``cmd`` runs remotely (empty when it submits nothing the repository defines)."""
        key = (cmd.words, dirs)
        if key not in self._cache:
            self._cache[key] = self._read(cmd.words, dirs)
        return self._cache[key]

    def _read(self, words: tuple[str, ...], dirs: tuple[str, ...]) -> list[Remote]:
        head = " ".join(words[:3]).lower()
        if head in ("anyscale job submit", "anyscale jobs submit"):
            return self._yaml_job(words, dirs, ("entrypoint",), inline=True)
        if head == "ray job submit":
            inline = _after_dashes(words)
            return [Remote("", None, inline)] if inline else []
        if head == "sky launch" or head == "sky exec":
            return self._yaml_job(words, dirs, ("run",), inline=False)
        if head == "az ml job":
            return self._azure_ml(words, dirs) if words[3:4] in (("create",), ("update",)) else []
        if words[:3] in (("databricks", "jobs", "create"), ("databricks", "jobs", "reset")):
            return self._databricks_job_file(words, dirs)
        if words[:2] == ("databricks", "bundle") or words[:3] == ("databricks", "jobs", "run-now"):
            return self._databricks(words, dirs)
        if words[:2] in (("dbx", "deploy"), ("dbx", "launch"), ("dbx", "execute")):
            return self._dbx(words, dirs)
        return []

    def _dbx(self, words: tuple[str, ...], dirs: tuple[str, ...]) -> list[Remote]:
        """``dbx deploy`` deploys the deployment file's jobs (``--jobs`` or all of them) to the
        workspace; ``dbx launch JOB`` runs that job's tasks, and ``dbx execute JOB`` runs them on
        an existing cluster."""
        named = _option(words, "--deployment-file")
        path = locate(self.ctx, named, dirs) if named else next(
            (p for p in _DBX_FILES if self.ctx.repo is not None and self.ctx.repo.exists(p)), None)
        text = self.ctx.text(path) if path else None
        if not text:
            return []
        try:
            jobs = databricks.parse_dbx(path, self.ctx.structured(path), text).jobs
        except (ParseError, AttributeError, TypeError, ValueError):
            return []
        if not jobs:
            return []
        if words[1] == "deploy":
            return [Remote(jobs[0].file, jobs[0].line, "", kinds=frozenset({k.DEPLOY}))]
        keys = {w for w in words[2:] if not w.startswith("-")} | {_option(words, "--job")}
        chosen = [j for j in jobs if j.name in keys] or jobs
        return [Remote(job.file, step.line, step.run, step.workdir) for job in chosen for step in job.steps if step.run]

    def _yaml(self, path: str) -> dict[str, Any]:
        try:
            return first_mapping(self.ctx.structured(path)) or {}
        except ParseError:
            return {}

    def _yaml_job(self, words: tuple[str, ...], dirs: tuple[str, ...], keys: tuple[str, ...], inline: bool) -> list[Remote]:
        inline_cmd = _after_dashes(words) if inline else ""
        if inline_cmd:
            return [Remote("", None, inline_cmd)]
        name = _option(words, "-f", "--config-file", "--config") or next(
            (w for w in words[3 if words[0] != "sky" else 2:] if w.lower().endswith((".yaml", ".yml"))), "")
        path = locate(self.ctx, name, dirs)
        if path is None:
            return []
        doc = self._yaml(path)
        finder = LineFinder(self.ctx.text(path) or "")
        runtime = as_dict(doc.get("runtime_env"))
        workdir = as_str(doc.get("workdir") or doc.get("working_dir") or runtime.get("working_dir"))
        workdir = "" if workdir in (".", "./") or "://" in workdir else workdir
        return [Remote(path, finder.key(key), as_str(doc.get(key)), workdir) for key in keys if as_str(doc.get(key))]

    # -- Azure ML ------------------------------------------------------------------------------
    def _azure_ml(self, words: tuple[str, ...], dirs: tuple[str, ...]) -> list[Remote]:
        path = locate(self.ctx, _option(words, "-f", "--file"), dirs)
        return self._aml_file(path, depth=0) if path else []

    def _aml_file(self, path: str, depth: int) -> list[Remote]:
        doc = self._yaml(path)
        finder = LineFinder(self.ctx.text(path) or "")
        here = posixpath.dirname(path)
        out = self._aml_command(path, finder, doc, here)
        trial = as_dict(doc.get("trial"))  # a sweep job runs its trial's command
        out += self._aml_command(path, finder, trial, here)
        for name, step in list(as_dict(doc.get("jobs")).items())[:MAX_PIPELINE_STEPS]:
            step = as_dict(step)
            start = finder.key(str(name)) or 1
            out += self._aml_command(path, finder, step, here, start=start)
            out += self._aml_command(path, finder, as_dict(step.get("trial")), here, start=start)
            # a step's component, or a sweep step's trial, kept in a file of its own
            for key in ("component", "trial"):
                ref = as_str(step.get(key)).removeprefix("file:")
                found = locate(self.ctx, ref, [here]) if ref.endswith((".yml", ".yaml")) else None
                if found and found != path and depth < 2:
                    out += self._aml_file(found, depth + 1)
        return out

    @staticmethod
    def _aml_command(path: str, finder: LineFinder, doc: dict, here: str, start: int = 1) -> list[Remote]:
        command = as_str(doc.get("command"))
        if not command:
            return []
        code = as_str(doc.get("code"))
        workdir = posixpath.normpath(posixpath.join(here, code)) if code and "://" not in code and ":" not in code else here
        return [Remote(path, finder.key("command", start), command, "" if workdir == "." else workdir)]

    # -- Databricks ----------------------------------------------------------------------------
    def _databricks_job_file(self, words: tuple[str, ...], dirs: tuple[str, ...]) -> list[Remote]:
        """``databricks jobs create --json-file jobs/train.json``: CI creates the job to run it
        (``run-now`` on the id it gets back, or the job's own schedule): the job's tasks run."""
        named = _option(words, "--json-file")
        path = locate(self.ctx, named, dirs) if named else None
        pipeline = databricks.parse_job_json(self.ctx, path) if path else None
        if pipeline is None:
            return []
        return [Remote(job.file, step.line, step.run) for job in pipeline.jobs for step in job.steps if step.run]

    def _databricks(self, words: tuple[str, ...], dirs: tuple[str, ...]) -> list[Remote]:
        jobs = databricks.bundle_jobs(self.ctx, dirs)
        if not jobs:
            return []
        verb = words[2] if len(words) > 2 else ""
        if words[1] == "bundle" and verb == "deploy":
            first = jobs[0]
            return [Remote(first.file, first.line, "", kinds=frozenset({k.DEPLOY}))]
        if words[1] == "bundle" and verb != "run":
            return []
        keys = {w for w in words[3:] if not w.startswith("-")} if verb == "run" else set()
        chosen = [j for j in jobs if j.name in keys] or jobs
        return [Remote(job.file, step.line, step.run, step.workdir) for job in chosen for step in job.steps if step.run]
