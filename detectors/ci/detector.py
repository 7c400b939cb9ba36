"""The CI detector: decides CI-backed signals from the normalised CI model."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Iterable, Iterator

from detectors.ci import classify as k
from detectors.ci import github
from detectors.ci.analysis import Finding, JobAnalyser, builds_missing_image
from detectors.ci.discovery import pipelines
from detectors.ci.commands import commands
from detectors.ci.model import AUTOMATIC, DELIVERY, PULL_REQUEST, SCHEDULE, Job, Pipeline, Step
from scanner.detector import Detector, ScanContext
from scanner.model import Evidence, Outcome, Tier

MAX_LOCATIONS = 8
#: environments that publish documentation or packages, not a model or a service.
_NOT_A_DEPLOY_ENV = re.compile(r"pages|docs?\b|documentation|pypi|npm|publish|package", re.I)


@dataclass(frozen=True)
class CIRead:
    """The repository's CI read once per scan and shared by every detector that needs it."""

    pipelines: list[Pipeline]
    """Every CI file found, readable or not."""
    ci_jobs: list[Job]
    """Jobs of CI systems, with the triggers of the workflows calling them."""
    findings: list[Finding]
    """What every job does, orchestrator jobs (Databricks) included."""
    ci_findings: list[Finding]
    """What CI jobs do."""


def read_ci(ctx: ScanContext) -> CIRead:
    """The CI model of the repository and its findings (computed once per scan)."""
    return ctx.memo("ci.read", lambda: _read(ctx))


def _read(ctx: ScanContext) -> CIRead:
    found = pipelines(ctx)
    readable = [p for p in found if not p.error]
    callers = _callers(readable)
    analyser = JobAnalyser(ctx)
    jobs = [(_with_callers(job, p, callers), p.ci) for p in readable for job in p.jobs]
    findings = [(f, ci) for job, ci in jobs for f in analyser.findings(job)]
    return CIRead(found, [j for j, ci in jobs if ci], [f for f, _ in findings], [f for f, ci in findings if ci])


class CIDetector(Detector):
    """Reads CI configuration (GitHub Actions, GitLab CI, Azure Pipelines, Jenkins and its shared
    library steps, CircleCI, Bitbucket Pipelines, Cloud Build, Buildkite, AWS CodeBuild and
    CodePipeline, in YAML or defined in CDK/Terraform) into one model of jobs, triggers and steps,
    found by file name or, wherever it lives, by the shape of the file; Azure templates and local
    composite actions are read into the steps that name them; Databricks bundle and dbx jobs are
    read as an orchestrator's (schedules and data pipelines, not CI). Each command is followed
    into the scripts, task-runner recipes, Python modules and remote jobs (Anyscale, Ray, Azure
    ML, Databricks, submitted pipelines) it starts, and the chain is recorded in the evidence.
    It decides from what the steps really run:

    - ``deploy.ci_present``: a CI system is configured (named in the summary);
    - ``deploy.ci_tests``: a job runs tests or linters (directly or through make/tox/nox/...),
      also when the workflow only runs when someone starts it (the evidence says so);
    - ``deploy.ci_training``: a job trains or evaluates a model (train scripts, dvc repro...);
    - ``deploy.cd``: a job started on push/tag/release deploys (kubectl, helm, cloud deploy
      commands or actions, a deploy CLI) or targets a deployment environment; documentation
      sites and package publishing do not count;
    - ``governance.security_scanning``: a job runs a security scanner (bandit, pip-audit,
      trivy, CodeQL, ruff with the ``S`` rules...);
    - ``governance.approval_gates``: a manual deploy job, or a step that waits for a person
      (Jenkins ``input``, Buildkite ``block``, approval jobs); a production-like environment
      alone is declared (its required reviewers are a platform setting);
    - ``monitoring.scheduled``: a scheduled job runs monitoring or drift code;
    - ``monitoring.retrain_trigger``: after monitoring/drift code, the workflow trains or
      dispatches training;
    - ``data.pipeline_automated``: an automatically started job (push, pull request, schedule...)
      runs the data pipeline;
    - ``tracking.registry_promotion``: a job promotes or registers a model after training or
      evaluation.

    Steps that cannot fail (``continue-on-error``, ``allow_failure``, ``|| true``), never run
    (``if: false``) or only echo do not count; commented-out lines are never read.
    """

    id = "ci"
    signals = (
        "deploy.ci_present", "deploy.ci_tests", "deploy.ci_training", "deploy.cd",
        "governance.security_scanning", "governance.approval_gates", "monitoring.scheduled",
        "monitoring.retrain_trigger", "data.pipeline_automated", "tracking.registry_promotion",
    )

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        read = read_ci(ctx)
        for pipeline in read.pipelines:
            if pipeline.error:
                yield from self._errors(ctx, pipeline)
        yield from self._present(ctx, [p for p in read.pipelines if p.ci and not p.error])
        yield from self._decide(ctx, read.ci_jobs, read.ci_findings, read.findings)

    # -- presence and errors -------------------------------------------------------------------
    def _errors(self, ctx: ScanContext, pipeline: Pipeline) -> Iterator[Evidence]:
        for signal in self.signals:
            yield self.evidence(signal, f"{pipeline.system} file {pipeline.file} could not be read: {pipeline.error}",
                                ctx.location(pipeline.file), outcome=Outcome.ERROR, tier=None,
                                subject="error", system=pipeline.system)

    def _present(self, ctx: ScanContext, readable: list[Pipeline]) -> Iterator[Evidence]:
        by_system: dict[str, list[Pipeline]] = defaultdict(list)
        for pipeline in readable:
            by_system[pipeline.system].append(pipeline)
        for system, group in sorted(by_system.items()):
            jobs = sum(len(p.jobs) for p in group)
            yield self.evidence("deploy.ci_present", f"{system}: {len(group)} file(s), {jobs} job(s)",
                                *[ctx.location(p.file, 1) for p in group[:MAX_LOCATIONS]],
                                subject=system, system=system, files=[p.file for p in group], jobs=jobs)

    # -- signals from findings -----------------------------------------------------------------
    def _decide(self, ctx: ScanContext, jobs: list[Job], findings: list[Finding],
                every: list[Finding]) -> Iterator[Evidence]:
        """``findings`` are CI's; ``every`` adds an orchestrator's jobs (Databricks), which count
        for schedules, data pipelines, retraining and promotion but are not CI."""
        def of(*kinds: str, among: list[Finding] = findings) -> list[Finding]:
            return [f for f in among if f.kinds & set(kinds)]

        # checks a workflow runs only when someone starts it are still the project's CI checks
        # (auditors count them); the evidence says who starts them
        yield from self._checks(ctx, "deploy.ci_tests", of(k.TEST, k.LINT), "runs tests/lint")
        yield from self._grouped(ctx, "deploy.ci_training", of(k.TRAIN), "trains or evaluates a model")
        yield from self._checks(ctx, "governance.security_scanning", of(k.SECURITY), "runs a security scan")
        broken = _broken(ctx, jobs)
        cd = [f for f in of(k.DEPLOY) + _environment_deploys(jobs, findings) + _host_starts(jobs)
              if _delivers(f.job) and (f.job.file, f.job.name) not in broken]
        yield from self._grouped(ctx, "deploy.cd", cd, "deploys automatically")
        scheduled = [f for f in of(k.MONITOR, among=every) if SCHEDULE in f.job.triggers]
        yield from self._grouped(ctx, "monitoring.scheduled", scheduled, "runs monitoring/drift code on a schedule")
        retrain = _after(every, k.MONITOR, {k.TRAIN, k.RETRAIN_TRIGGER})
        yield from self._grouped(ctx, "monitoring.retrain_trigger", retrain, "triggers training after monitoring/drift code")
        # a pull request starts the pipeline as surely as a push: auditors count both
        # automated means no one starts it: a job waiting for its button (when: manual) is not
        data = [f for f in of(k.DATA_PIPELINE, among=every) if _runs_unattended(f.job) and not f.job.manual]
        yield from self._grouped(ctx, "data.pipeline_automated", data, "runs the data pipeline automatically")
        promote = _after(every, k.TRAIN, {k.PROMOTE})
        yield from self._grouped(ctx, "tracking.registry_promotion", promote, "promotes/registers a model after training or evaluation")
        yield from self._gates(ctx, jobs, findings)

    def _checks(self, ctx: ScanContext, signal: str, findings: list[Finding], what: str) -> Iterator[Evidence]:
        unattended = [f for f in findings if _runs_unattended(f.job)]
        yield from self._grouped(ctx, signal, unattended, what)
        by_hand = [f for f in findings if not _runs_unattended(f.job)]
        yield from self._grouped(ctx, signal, by_hand, what + " when someone starts the workflow")

    def _gates(self, ctx: ScanContext, jobs: list[Job], findings: list[Finding]) -> Iterator[Evidence]:
        deploying = {id(f.job) for f in findings if k.DEPLOY in f.kinds}
        gates: list[Finding] = []
        named: list[Finding] = []
        for job in jobs:
            if job.neutered:
                continue
            if job.manual and (id(job) in deploying or any(s.gate for s in job.steps)):
                gates.append(Finding(job, frozenset(), "manual approval before the job runs", job.file, job.line, 0))
            elif job.production:
                named.append(Finding(job, frozenset(), f"environment '{job.environment}'", job.file, job.line, 0))
        yield from self._grouped(ctx, "governance.approval_gates", gates, "gates deployment on a person")
        # Whether a production environment needs a reviewer is a hosting setting the files do not
        # show (platform.protected_environments checks it): naming one is a declaration only.
        yield from self._grouped(ctx, "governance.approval_gates", named,
                                 "targets a production environment (its protection is a platform setting)",
                                 tier=Tier.DECLARED)

    def _grouped(self, ctx: ScanContext, signal: str, findings: list[Finding], what: str,
                 tier: Tier = Tier.CONFIGURED) -> Iterator[Evidence]:
        """One piece of evidence per CI file, listing where the findings are."""
        by_file: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            by_file[f.job.file].append(f)
        for file, group in sorted(by_file.items()):
            first = group[0]
            places = _unique_locations(ctx, group)
            yield self.evidence(
                signal,
                f"{first.job.system} job '{first.job.name}' {what}: {first.text[:160]} ({first.where})",
                *places, tier=tier, subject=file, system=first.job.system, ci_file=file,
                jobs=sorted({f.job.name for f in group}), kinds=sorted({x for f in group for x in f.kinds}),
            )


def _unique_locations(ctx: ScanContext, group: Iterable[Finding]) -> list:
    """Where the findings are, each followed chain from its CI step down (the first one whole)."""
    seen: set[tuple[str, int | None]] = set()
    out = []
    for f in group:
        for place in f.chain or ((f.path, f.line),):
            if place not in seen and len(out) < MAX_LOCATIONS:
                seen.add(place)
                out.append(ctx.location(*place))
    return out


def _broken(ctx: ScanContext, jobs: list[Job]) -> set[tuple[str, str]]:
    """(file, name) of jobs that build an image from a Dockerfile or folder the repository lacks,
    and of the jobs that need them: none of them can get to a deploy."""
    broken = {(j.file, j.name) for j in jobs if builds_missing_image(ctx, j)}
    grew = bool(broken)
    while grew:
        grew = False
        for job in jobs:
            if (job.file, job.name) not in broken and any((job.file, n) in broken for n in job.needs):
                broken.add((job.file, job.name))
                grew = True
    return broken


def _runs_unattended(job: Job) -> bool:
    """The job runs on its own (push, pull request, schedule), not only on a click of a
    workflow's run button; a job of such a pipeline that waits for its own button (GitLab's
    ``when: manual``) is started with it."""
    return bool(job.triggers & (AUTOMATIC | {PULL_REQUEST}))


def _delivers(job: Job) -> bool:
    """Started by merge/tag/release (not only by a pull request or a person)."""
    return bool(job.triggers & DELIVERY) and not job.manual


def _environment_deploys(jobs: list[Job], findings: list[Finding]) -> list[Finding]:
    """Jobs that target a deployment environment on delivery, when they do not publish docs."""
    docs = {id(f.job) for f in findings if k.DOCS_DEPLOY in f.kinds}
    out = []
    for job in jobs:
        if (job.environment and _delivers(job) and not job.neutered and id(job) not in docs
                and not _NOT_A_DEPLOY_ENV.search(job.environment) and any(map(_acts, job.steps))):
            out.append(Finding(job, frozenset({k.DEPLOY}), f"environment '{job.environment}'", job.file, job.line, 0))
    return out


#: actions that only prepare a job (check out, set up a toolchain, log in) or publish its notes
#: (a GitHub release of the tag): no deploy by themselves
_PREPARING_ACTION = re.compile(r"^actions/(checkout|setup-\w+|cache|download-artifact|create-release|upload-release-asset)@"
                               r"|/(setup-[\w-]+|login)(-action)?@|^softprops/action-gh-release@|^ncipollo/release-action@"
                               r"|^marvinpinto/action-automatic-releases@", re.I)


def _acts(step: Step) -> bool:
    """The step does something: an action that is more than preparation, or a command that is
    not inert (a job whose steps only ``echo "This would deploy"`` deploys nothing)."""
    if step.uses:
        return not _PREPARING_ACTION.search(step.uses)
    return any(not cmd.inert for cmd in commands(step.run))


#: a service started detached on the machine the job runs on
_DETACHED_START = re.compile(r"^(docker[- ]compose\b.*\bup\b.*\s(-d|--detach)\b|docker run\b.*\s(-d|--detach)\b)")


#: a service stopped or removed: what a workflow started for its tests, torn down after them.
_TEARDOWN = re.compile(r"^(docker[- ]compose\b.*\b(down|stop|rm)\b|docker (container )?(stop|rm|kill)\b)")


def _host_starts(jobs: list[Job]) -> list[Finding]:
    """A job on a self-hosted runner that starts a service detached (``docker compose up -d``):
    the service stays up on that host, a deployment; on a hosted runner it dies with the job.
    Services the same workflow stops or removes afterwards were started for its checks."""
    out = []
    for job in jobs:
        if "self-hosted" not in job.runner.lower() or job.neutered:
            continue
        for order, step in enumerate(job.steps):
            cmd = next((c for c in commands(step.run) if not c.neutered and _DETACHED_START.match(c.text)), None)
            if cmd is not None and not _torn_down(job, order, jobs):
                out.append(Finding(job, frozenset({k.DEPLOY}), f"{cmd.text} (on a self-hosted runner)", job.file,
                                   step.line, order))
                break
    return out


def _torn_down(job: Job, order: int, jobs: list[Job]) -> bool:
    """Services stopped or removed after step ``order`` of ``job``: later in the job, or by a
    job of the same file that waits for it (``needs``, directly or not)."""
    def tears(steps) -> bool:
        return any(_TEARDOWN.match(c.text) for step in steps for c in commands(step.run))

    if tears(job.steps[order + 1:]):
        return True
    waiting, grew = {job.name}, True
    while grew:
        later = {j.name for j in jobs if j.file == job.file and set(j.needs) & waiting} - waiting
        grew, waiting = bool(later), waiting | later
    return any(tears(j.steps) for j in jobs if j.file == job.file and j.name in waiting - {job.name})


def _after(findings: list[Finding], first: str, then: set[str]) -> list[Finding]:
    """Findings of kinds ``then`` that run after a ``first`` finding: later in the same job,
    or in a job that needs (directly or not) a job with the ``first`` finding."""
    firsts = [f for f in findings if first in f.kinds]
    out = []
    for f in findings:
        if not (f.kinds & then) or first in f.kinds:
            continue
        for g in firsts:
            same_job = g.job is f.job and g.order < f.order
            if same_job or (g.job.file == f.job.file and _needs(f.job, g.job.name, f.job.file, findings)):
                out.append(f)
                break
    return out


def _needs(job: Job, name: str, file: str, findings: list[Finding], depth: int = 0) -> bool:
    if name in job.needs:
        return True
    if depth > 5:
        return False
    jobs = {f.job.name: f.job for f in findings if f.job.file == file}
    return any(_needs(jobs[n], name, file, findings, depth + 1) for n in job.needs if n in jobs)


def _callers(readable: list[Pipeline]) -> dict[str, tuple[frozenset[str], dict[str, str]]]:
    """Reusable workflow path -> triggers of the workflows calling it, and the inputs the first
    caller hands it."""
    out: dict[str, tuple[frozenset[str], dict[str, str]]] = {}
    for pipeline in readable:
        for path, triggers, handed in pipeline.called_workflows:
            before, values = out.get(path, (frozenset(), {}))
            out[path] = (before | triggers, values or dict(handed))
    return out


def _with_callers(job: Job, pipeline: Pipeline, callers: dict[str, tuple[frozenset[str], dict[str, str]]]) -> Job:
    """A reusable workflow's jobs run on the triggers of the workflows that call it, with the
    inputs they hand it (else the inputs' defaults) in their commands."""
    extra, handed = callers.get(job.file, (frozenset(), {}))
    values = {**dict(pipeline.input_defaults), **handed}
    if not extra and not values:
        return job
    return replace(job, triggers=job.triggers | extra, steps=tuple(github.with_inputs(s, values) for s in job.steps))
