"""Live MLflow tracking-server signals: what recent runs record and what the registry holds.

Reads ``ctx.mlflow`` (a :class:`scanner.sources.mlflow_server.MLflowSource`); every piece of
evidence is tier ``live`` and carries the counts, names and time ranges an auditor can check
against the server's UI.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from detectors.shapes import as_list, dicts
from scanner.detector import Detector, ScanContext
from scanner.model import Evidence, Location, Outcome, Tier
from scanner.sources.interface import SourceError
from scanner.sources.mlflow_server import (
    GIT_COMMIT_TAG,
    RECENT_DAYS,
    MLflowForbidden,
    MLflowRegistryUnavailable,
    MLflowSource,
    MLflowUnavailable,
    RunFacts,
    VersionFacts,
)

RUN_SIGNALS = (
    "mlflow.experiments_active", "mlflow.runs_params_metrics", "mlflow.runs_artifacts_models",
    "mlflow.runs_git_commit", "mlflow.runs_dataset_inputs", "mlflow.runs_automated",
    "mlflow.multiple_users",
)
REGISTRY_SIGNALS = (
    "mlflow.registered_models", "mlflow.production_alias", "mlflow.alias_recently_moved",
    "mlflow.version_documentation",
)

#: aliases (case-insensitive) and the legacy stage that mean "serves production".
PRODUCTION_ALIASES = frozenset({"champion", "production", "prod"})
PRODUCTION_STAGE = "production"
#: ``mlflow.source.type`` values set when a job or an MLflow Project started the run.
AUTOMATED_SOURCE_TYPES = frozenset({"JOB", "PROJECT"})
#: run tag keys (lower-cased) that CI systems or job launchers leave behind.
CI_TAG_KEYS = frozenset({
    "ci", "github_actions", "gitlab_ci", "jenkins_url", "buildkite", "circleci", "tf_build",
    "github.run_id", "github_run_id", "ci_job_id", "ci_pipeline_id", "build_id",
    "mlflow.databricks.jobid", "mlflow.databricks.jobrunid", "airflow.dag_id",
})
CI_TAG_PREFIXES = ("ci.", "ci_", "github.", "gitlab.")
FALSE_VALUES = frozenset({"", "0", "false", "no", "none"})
#: version tag keys that document ownership, validation or approval.
DOC_TAG = re.compile(r"owner|validat|approv|review|model[_-]?card|intended|evaluat|limitation", re.I)
#: lists in attributes are capped so a big server does not bloat the report.
LIST_CAP = 50


class MLflowServerDetector(Detector):
    """Tracking-server practices, confirmed live on the server given with ``--mlflow-uri``.

    Only experiments belonging to the scanned repository count (runs tagged with its git
    remote or commits, or names matching ``--mlflow-experiment`` patterns); without either,
    the whole server is in scope. Recent means started within the last 90 days.

    - experiments_active: an in-scope experiment has a recent run (one is enough: a team may keep one).
    - runs_params_metrics: a recent run logged params and metrics.
    - runs_artifacts_models: a recent run logged a model (``mlflow.log-model.history`` tag or
      logged-model outputs); artifacts are never listed nor downloaded.
    - runs_git_commit: a recent run carries ``mlflow.source.git.commit``.
    - runs_dataset_inputs: a recent run records a dataset input with a digest.
    - runs_automated: some recent runs come from a job/project source or carry CI tags.
    - multiple_users: recent runs come from more than one ``mlflow.user``.
    - registered_models: an in-scope registered model has at least one version.
    - production_alias: a version has alias champion/production/prod or stage Production.
    - alias_recently_moved: such a version was updated within 90 days (aliases carry no
      timestamp of their own, so the version's last update is the proxy).
    - version_documentation: versions carry a description or owner/validation/approval tags.

    An unreachable server, refused credentials or a server without a registry make the
    affected signals ``not_available``; an unexpected failure makes them ``error``.
    """

    id = "mlflow_server"
    sources = ("mlflow",)
    signals = RUN_SIGNALS + REGISTRY_SIGNALS

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        source: MLflowSource = ctx.mlflow
        yield from self._guarded(source, RUN_SIGNALS, self._run_evidence)
        yield from self._guarded(source, REGISTRY_SIGNALS, self._registry_evidence)

    def _guarded(self, source: MLflowSource, signals: tuple[str, ...], read: Any) -> Iterator[Evidence]:
        """Evidence from ``read``, or one not_available/error evidence per signal if it fails."""
        try:
            found = list(read(source))
        except SourceError as exc:
            yield from self._unchecked(source, signals, exc)
            return
        yield from found

    def _unchecked(self, source: MLflowSource, signals: Iterable[str], exc: SourceError) -> Iterator[Evidence]:
        not_available = isinstance(exc, (MLflowUnavailable, MLflowForbidden, MLflowRegistryUnavailable))
        outcome = Outcome.NOT_AVAILABLE if not_available else Outcome.ERROR
        reason = getattr(exc, "reason", str(exc))
        for signal in signals:
            yield self.evidence(signal, reason, self._where(source, "server"), tier=None,
                                outcome=outcome, server=source.display_uri,
                                failure=exc.__class__.__name__)

    # -- runs ---------------------------------------------------------------------------------

    def _run_evidence(self, source: MLflowSource) -> Iterator[Evidence]:
        scope = source.scope()
        runs = source.recent_runs()
        active = source.active_experiment_ids()
        names = {e.id: e.name for e in source.experiments()}
        common = {"server": source.display_uri, "scope": _scope_attrs(scope, names),
                  "recent_since": _iso(source.since_ms), "runs_read": len(runs),
                  "runs_sample_truncated": "runs" in source.truncated}
        where = self._where(source, "runs")
        if active:
            yield self._live("mlflow.experiments_active",
                             f"{len(active)} in-scope experiment(s) with runs in the last {RECENT_DAYS} days",
                             where, common, experiments=_cap(names.get(i, i) for i in active),
                             count_is_lower_bound="runs" in source.truncated)
        yield from self._run_practices(runs, where, common, source)

    def _run_practices(self, runs: tuple[RunFacts, ...], where: Location, common: dict,
                       source: MLflowSource) -> Iterator[Evidence]:
        with_both = [r for r in runs if r.params and r.metrics]
        if with_both:
            yield self._live("mlflow.runs_params_metrics", _share(with_both, runs, "log params and metrics"),
                             where, common, **_run_range(with_both),
                             param_keys=_top(k for r in with_both for k in r.params),
                             metric_keys=_top(k for r in with_both for k in r.metrics))
        with_models = [r for r in runs if r.model_outputs or r.tags.get("mlflow.log-model.history")]
        if with_models:
            yield self._live("mlflow.runs_artifacts_models", _share(with_models, runs, "log models"),
                             where, common, **_run_range(with_models),
                             flavors=_top(f for r in with_models for f in _flavors(r)))
        with_commit = [r for r in runs if r.tags.get(GIT_COMMIT_TAG)]
        if with_commit:
            commits = {r.tags[GIT_COMMIT_TAG].lower() for r in with_commit}
            extra = {"repository_commits_matched": len(commits & source.repo_commits)} if source.repo_commits else {}
            yield self._live("mlflow.runs_git_commit", _share(with_commit, runs, f"carry {GIT_COMMIT_TAG}"),
                             where, common, **_run_range(with_commit), commits=_cap(commits, 10), **extra)
        with_data = [r for r in runs if r.datasets]
        if with_data:
            yield self._live("mlflow.runs_dataset_inputs",
                             _share(with_data, runs, "record dataset inputs with a digest"), where, common,
                             **_run_range(with_data),
                             datasets=_cap(f"{n}@{d}" for r in with_data for n, d in r.datasets))
        yield from self._automation_and_users(runs, where, common)

    def _automation_and_users(self, runs: tuple[RunFacts, ...], where: Location, common: dict) -> Iterator[Evidence]:
        automated = [r for r in runs if _automation_marks(r)]
        if automated:
            yield self._live("mlflow.runs_automated", _share(automated, runs, "come from automation"),
                             where, common, **_run_range(automated),
                             share=round(len(automated) / len(runs), 3),
                             marks=_top(m for r in automated for m in _automation_marks(r)))
        users = {r.user for r in runs if r.user}
        if len(users) > 1:
            yield self._live("mlflow.multiple_users", f"recent runs come from {len(users)} users",
                             where, common, users=_cap(users),
                             runs_per_user=dict(sorted(Counter(r.user for r in runs if r.user).items())[:LIST_CAP]))

    # -- registry -----------------------------------------------------------------------------

    def _registry_evidence(self, source: MLflowSource) -> Iterator[Evidence]:
        versions = source.model_versions()
        common = {"server": source.display_uri, "models_in_scope": dict(source.model_scope_reasons()),
                  "versions_read": len(versions),
                  "registry_truncated": sorted(source.truncated & {"registered_models", "model_versions"})}
        where = self._where(source, "registry")
        per_model = Counter(v.model for v in versions)
        if per_model:
            yield self._live("mlflow.registered_models",
                             f"{len(per_model)} registered models hold {len(versions)} versions", where,
                             common, versions_per_model=dict(sorted(per_model.items())[:LIST_CAP]))
        production = [v for v in versions if _production_marks(v)]
        if production:
            yield self._live("mlflow.production_alias",
                             f"{len(production)} versions carry a production alias or stage", where,
                             common, versions=[_version_ref(v) for v in production[:LIST_CAP]])
        recent = [v for v in production if v.last_updated and v.last_updated >= source.since_ms]
        if recent:
            yield self._live("mlflow.alias_recently_moved",
                             f"{len(recent)} production versions were updated in the last {RECENT_DAYS} days",
                             where, common, versions=[_version_ref(v) for v in recent[:LIST_CAP]],
                             note="aliases carry no timestamp: the version's last update is used")
        documented = [v for v in versions if v.description.strip() or _doc_tags(v)]
        if documented:
            yield self._live("mlflow.version_documentation",
                             f"{len(documented)} of {len(versions)} versions carry a description or "
                             "owner/validation tags", where, common,
                             versions=[{"model": v.model, "version": v.version,
                                        "description": bool(v.description.strip()), "tags": _doc_tags(v)}
                                       for v in documented[:LIST_CAP]])

    # -- helpers ------------------------------------------------------------------------------

    def _live(self, signal: str, summary: str, where: Location, common: dict, **attributes: Any) -> Evidence:
        return self.evidence(signal, summary, where, tier=Tier.LIVE, **common, **attributes)

    @staticmethod
    def _where(source: MLflowSource, part: str) -> Location:
        return Location(path=f"mlflow:{part}", url=source.display_uri)


def _scope_attrs(scope: Any, names: dict[str, str]) -> dict[str, Any]:
    experiments = {names.get(i, i): list(why) for i, why in sorted(scope.reasons.items())}
    return {"rule": scope.rule, "experiments_in_scope": len(experiments),
            "experiments": dict(sorted(experiments.items())[:LIST_CAP])}


def _share(subset: list, runs: tuple, what: str) -> str:
    return f"{len(subset)} of {len(runs)} recent runs {what}"


def _run_range(runs: list[RunFacts]) -> dict[str, Any]:
    times = [r.start_time for r in runs if r.start_time]
    return {"runs": len(runs), "first_start": _iso(min(times)) if times else None,
            "last_start": _iso(max(times)) if times else None}


def _automation_marks(run: RunFacts) -> list[str]:
    marks = []
    source_type = run.tags.get("mlflow.source.type", "").upper()
    if source_type in AUTOMATED_SOURCE_TYPES:
        marks.append(f"mlflow.source.type={source_type}")
    for key, value in run.tags.items():
        low = key.lower()
        if (low in CI_TAG_KEYS or low.startswith(CI_TAG_PREFIXES)) and value.strip().lower() not in FALSE_VALUES:
            marks.append(f"tag:{key}")
    return marks


def _flavors(run: RunFacts) -> list[str]:
    """Model flavors named by the ``mlflow.log-model.history`` tag (a tag any client can write)."""
    try:
        history = json.loads(run.tags.get("mlflow.log-model.history", "[]"))
    except (ValueError, TypeError, RecursionError):
        return []
    out = []
    for entry in dicts(history):
        flavors = entry.get("flavors")
        names = flavors.keys() if isinstance(flavors, dict) else as_list(flavors)
        out += [f for f in names if isinstance(f, str) and f != "python_function"]
    return out


def _production_marks(version: VersionFacts) -> list[str]:
    marks = [f"alias:{a}" for a in version.aliases if a.lower() in PRODUCTION_ALIASES]
    if version.stage.lower() == PRODUCTION_STAGE:
        marks.append(f"stage:{version.stage}")
    return marks


def _version_ref(version: VersionFacts) -> dict[str, Any]:
    return {"model": version.model, "version": version.version, "marks": _production_marks(version),
            "last_updated": _iso(version.last_updated) if version.last_updated else None}


def _doc_tags(version: VersionFacts) -> list[str]:
    return sorted(k for k, v in version.tags.items() if DOC_TAG.search(k) and v.strip())


def _top(values: Iterable[str], n: int = 10) -> list[str]:
    """The ``n`` most frequent values (ties by name), for a readable, deterministic summary."""
    counts = Counter(values)
    return [v for v, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def _cap(values: Iterable[str], n: int = LIST_CAP) -> list[str]:
    return sorted(set(values))[:n]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


__all__ = ["MLflowServerDetector"]
