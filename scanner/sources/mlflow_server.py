"""A live MLflow tracking server, read with a few bounded queries through the MLflow client.

Only the client API that ``mlflow-skinny`` ships is used. Nothing is written and no artifact
is ever downloaded or listed: runs, registered models and model versions are read with
``max_results``, a time filter and an ordering, so a scan costs a handful of HTTP requests
whatever the size of the server. Credentials come only from the environment the MLflow client
honours (``MLFLOW_TRACKING_TOKEN``, ``MLFLOW_TRACKING_USERNAME``/``PASSWORD``) and are redacted
from every message this module produces.
"""
from __future__ import annotations

import fnmatch
import json
import math
import os
import re
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, TypeVar
from urllib.parse import urlsplit

from scanner.redaction import redact, remember
from scanner.sources.mlflow_facts import (  # noqa: F401  (re-exported: the source's public API)
    ExperimentFacts,
    MLflowError,
    MLflowForbidden,
    MLflowQueryFailed,
    MLflowRegistryUnavailable,
    MLflowUnavailable,
    RunFacts,
    Scope,
    VersionFacts,
    alias_pairs,
    normalize_git_url,
    run_facts,
    version_facts,
)

T = TypeVar("T")

#: runs older than this are not read: the live signals speak of current practice.
RECENT_DAYS = 90
DAY_MS = 86_400_000
#: page sizes (one page per query: beyond them the facts are a sample, flagged as truncated).
MAX_EXPERIMENTS = 1000
MAX_MODELS = 1000
MAX_VERSIONS = 5000
#: registered-model versions whose run is looked up to decide whether the model is in scope.
MAX_ATTRIBUTION_RUNS = 500

GIT_REPO_TAG = "mlflow.source.git.repoURL"
GIT_COMMIT_TAG = "mlflow.source.git.commit"

_RETRIED_STATUS = re.compile(r"too many (\d{3}) error responses")


class MLflowSource:
    """Read-only, bounded access to one tracking server; every query's result is cached.

    ``requests_made`` counts the HTTP requests the MLflow client sent on behalf of this source.
    The client's request function is wrapped only while a query runs, so this source must not
    be used from several threads at once.
    """

    name = "mlflow"

    def __init__(
        self,
        uri: str,
        *,
        timeout: float = 10.0,
        experiment_patterns: tuple[str, ...] = (),
        repo_remote: str | None = None,
        repo_commits: frozenset[str] = frozenset(),
        max_runs: int = 200,
        now: float | None = None,
        max_retries: int = 1,
    ) -> None:
        self.uri = uri.rstrip("/")
        remember(self.uri)  # the server may echo its credentials back in an error
        self.display_uri = redact(self.uri)
        if self.uri != "databricks" and urlsplit(self.uri).scheme not in ("http", "https", "databricks"):
            # Other schemes (file:, sqlite:) would make the client open local stores directly.
            # databricks / databricks://PROFILE take the host and token from Databricks profiles.
            raise ValueError(f"not an http(s) or databricks tracking-server URL: {self.display_uri}")
        self.timeout = timeout
        self.max_retries = max_retries
        self.experiment_patterns = tuple(experiment_patterns)
        self.repo_remote = normalize_git_url(repo_remote) if repo_remote else None
        self.repo_commits = frozenset(c.lower() for c in repo_commits)
        self.max_runs = max_runs
        self.now_ms = int((time.time() if now is None else now) * 1000)
        self.since_ms = self.now_ms - RECENT_DAYS * DAY_MS
        self.requests_made = 0
        self.truncated: set[str] = set()
        """Queries whose single page did not hold every result (facts are then a sample)."""
        self._cache: dict[str, Any] = {}
        self._last_status: int | None = None
        self._last_exception: BaseException | None = None
        self._client: Any = None

    # -- public facts -------------------------------------------------------------------------

    def experiments(self) -> tuple[ExperimentFacts, ...]:
        """Active experiments, most recently updated first (one request)."""
        return self._cached("experiments", self._read_experiments)

    def scope(self) -> Scope:
        """The experiments in scope and why (one request per identity kind given)."""
        return self._cached("scope", self._read_scope)

    def recent_runs(self) -> tuple[RunFacts, ...]:
        """Up to ``max_runs`` newest runs of the last 90 days in the in-scope experiments."""
        return self._cached("runs", self._read_recent_runs)

    def active_experiment_ids(self) -> frozenset[str]:
        """In-scope experiments with a run in the last 90 days (at most one extra request)."""
        return self._cached("active", self._read_active_experiments)

    def model_versions(self) -> tuple[VersionFacts, ...]:
        """Versions of the in-scope registered models, most recently updated first."""
        return self._cached("versions", self._read_scoped_versions)

    def registered_model_names(self) -> tuple[str, ...]:
        """Names of in-scope registered models (with or without versions)."""
        self.model_versions()
        return self._cache["models_in_scope"]

    def model_scope_reasons(self) -> Mapping[str, str]:
        """registered model name -> why it is in scope."""
        self.model_versions()
        return self._cache["model_reasons"]

    def describe(self) -> dict[str, Any]:
        """Coverage facts for the report (no credentials)."""
        return {"uri": self.display_uri, "requests": self.requests_made,
                "truncated": sorted(self.truncated)}

    # -- queries ------------------------------------------------------------------------------

    def _read_experiments(self) -> tuple[ExperimentFacts, ...]:
        from mlflow.entities import ViewType

        page = self._query("listing experiments", lambda c: c.search_experiments(
            view_type=ViewType.ACTIVE_ONLY, max_results=MAX_EXPERIMENTS,
            order_by=["last_update_time DESC"]))
        self._note_truncation("experiments", page)
        return tuple(ExperimentFacts(id=str(e.experiment_id), name=e.name) for e in page)

    def _read_scope(self) -> Scope:
        experiments = self.experiments()
        if not (self.repo_remote or self.repo_commits or self.experiment_patterns):
            why = ("server-only scan: no repository identity or experiment pattern given",)
            return Scope(rule="server", reasons={e.id: why for e in experiments})
        reasons: dict[str, list[str]] = {}
        for exp in experiments:
            for pattern in self.experiment_patterns:
                if fnmatch.fnmatchcase(exp.name, pattern):
                    reasons.setdefault(exp.id, []).append(f"name matches {pattern!r}")
        found = self._identity_runs([e.id for e in experiments])
        for run in found:
            why = self._identity_reason(run)
            if why and why not in reasons.setdefault(run.experiment_id, []):
                reasons[run.experiment_id].append(why)
        return Scope(rule="repository", reasons={k: tuple(v) for k, v in reasons.items()},
                     identity_runs=found)

    def _identity_runs(self, experiment_ids: list[str]) -> tuple[RunFacts, ...]:
        """Recent runs tagged with the repository's remote or one of its commits."""
        if not experiment_ids:
            return ()
        filters = []
        if self.repo_remote:
            host, _, path = self.repo_remote.partition("/")
            # ILIKE with '_' between host and path matches https, ssh and scp-like remotes;
            # the exact comparison is made on the normalised tag value afterwards.
            like = f"%{_escape(host)}_{_escape(path)}%"
            filters.append(("remote", f"tags.`{GIT_REPO_TAG}` ILIKE '{like}'"))
        if self.repo_commits:
            filters.append(("commits", f"tags.`{GIT_COMMIT_TAG}` ILIKE '%'"))
        runs: dict[str, RunFacts] = {}
        for label, tag_filter in filters:
            for run in self._search_runs(f"finding runs of the repository by {label}", experiment_ids,
                                         f"{tag_filter} AND attributes.start_time > {self.since_ms}",
                                         self.max_runs, f"identity_{label}"):
                if self._identity_reason(run):
                    runs[run.id] = run
        return tuple(runs.values())

    def _identity_reason(self, run: RunFacts) -> str | None:
        remote = run.tags.get(GIT_REPO_TAG)
        if self.repo_remote and remote and normalize_git_url(remote) == self.repo_remote:
            return f"runs carry {GIT_REPO_TAG} = repository remote ({self.repo_remote})"
        commit = run.tags.get(GIT_COMMIT_TAG, "").lower()
        if commit and commit in self.repo_commits:
            return f"runs carry {GIT_COMMIT_TAG} of a repository commit"
        return None

    def _read_recent_runs(self) -> tuple[RunFacts, ...]:
        ids = sorted(self.scope().reasons)
        if not ids:
            return ()
        return self._search_runs("reading recent runs", ids,
                                 f"attributes.start_time > {self.since_ms}", self.max_runs, "runs")

    def _read_active_experiments(self) -> frozenset[str]:
        seen = {r.experiment_id for r in self.recent_runs()}
        rest = sorted(set(self.scope().reasons) - seen)
        if len(seen) < 2 and rest and "runs" in self.truncated:
            # The newest runs all came from one experiment: ask once whether another has any.
            more = self._search_runs("looking for other active experiments", rest,
                                     f"attributes.start_time > {self.since_ms}", 1, "active_probe")
            seen.update(r.experiment_id for r in more)
        return frozenset(seen)

    def _search_runs(self, what: str, experiment_ids: list[str], filter_string: str,
                     max_results: int, label: str) -> tuple[RunFacts, ...]:
        from mlflow.entities import ViewType

        page = self._query(what, lambda c: c.search_runs(
            experiment_ids=experiment_ids, filter_string=filter_string,
            run_view_type=ViewType.ACTIVE_ONLY, max_results=max_results,
            order_by=["attributes.start_time DESC"]))
        self._note_truncation(label, page)
        return tuple(run_facts(r) for r in page)

    def _read_versions(self) -> tuple[VersionFacts, ...]:
        models = self._query("listing registered models", lambda c: c.search_registered_models(
            max_results=MAX_MODELS, order_by=["last_updated_timestamp DESC"]), registry=True)
        self._note_truncation("registered_models", models)
        aliases: dict[tuple[str, str], set[str]] = {}
        for model in models:
            for alias, version in alias_pairs(model.aliases):
                aliases.setdefault((model.name, version), set()).add(alias)
        page = self._query("listing model versions", lambda c: c.search_model_versions(
            max_results=MAX_VERSIONS, order_by=["last_updated_timestamp DESC"]), registry=True)
        self._note_truncation("model_versions", page)
        self._cache["all_models"] = tuple(sorted(m.name for m in models))
        return tuple(version_facts(v, aliases) for v in page)

    def _read_scoped_versions(self) -> tuple[VersionFacts, ...]:
        scope = self.scope()  # first: a dead server then fails once, not once per query
        versions = self._read_versions()
        reasons: dict[str, str] = {}
        if scope.everything:
            reasons = {name: "server-only scan" for name in self._cache["all_models"]}
        else:
            for name in self._cache["all_models"]:
                for pattern in self.experiment_patterns:
                    if fnmatch.fnmatchcase(name, pattern):
                        reasons.setdefault(name, f"name matches {pattern!r}")
            for version in versions:
                if version.model not in reasons and version.run_id in self._scoped_run_ids(versions):
                    reasons[version.model] = "a version was registered from a run in scope"
        self._cache["models_in_scope"] = tuple(sorted(reasons))
        self._cache["model_reasons"] = dict(sorted(reasons.items()))
        return tuple(v for v in versions if v.model in reasons)

    def _scoped_run_ids(self, versions: tuple[VersionFacts, ...]) -> frozenset[str]:
        """Run ids (among the versions' runs) that belong to the repository; one request."""
        if "scoped_run_ids" in self._cache:
            return self._cache["scoped_run_ids"]
        scope = self.scope()
        known = {r.id for r in self.recent_runs()} | {r.id for r in scope.identity_runs}
        wanted = sorted({v.run_id for v in versions if v.run_id} - known)[:MAX_ATTRIBUTION_RUNS]
        found = set(known)
        if wanted and self.experiments():
            ids = ", ".join(f"'{_escape(r)}'" for r in wanted)
            runs = self._search_runs("attributing model versions to runs",
                                     [e.id for e in self.experiments()],
                                     f"attributes.run_id IN ({ids})", len(wanted), "attribution")
            found.update(r.id for r in runs
                         if r.experiment_id in scope.reasons or self._identity_reason(r))
        self._cache["scoped_run_ids"] = frozenset(found)
        return self._cache["scoped_run_ids"]

    # -- plumbing -----------------------------------------------------------------------------

    def _cached(self, key: str, compute: Callable[[], T]) -> T:
        """Compute once; a failure is cached too, so a dead server costs one timeout, not many."""
        if key not in self._cache:
            try:
                self._cache[key] = compute()
            except MLflowError as exc:
                self._cache[key] = exc
        value = self._cache[key]
        if isinstance(value, MLflowError):
            raise value
        return value

    def _note_truncation(self, label: str, page: Any) -> None:
        if getattr(page, "token", None):
            self.truncated.add(label)

    def _query(self, what: str, call: Callable[[Any], T], *, registry: bool = False) -> T:
        """Run one client call with short timeouts and few retries; map failures to errors."""
        from mlflow.exceptions import MlflowException

        self._last_status, self._last_exception = None, None
        try:
            with self._bounded_http():
                return call(self._get_client())
        except MlflowException as exc:
            raise self._classify(what, exc, registry) from None  # from None: the cause names the URL
        except MLflowError:
            raise
        except Exception as exc:  # malformed answers surface as parser errors of the client
            raise MLflowQueryFailed(f"{what} failed at {self.display_uri}: "
                                    f"{exc.__class__.__name__}: {redact(str(exc))[:200]}") from None

    def _get_client(self) -> Any:
        if self._client is None:
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return self._client

    def _classify(self, what: str, exc: Exception, registry: bool) -> MLflowError:
        status = self._last_status
        where = f"{what} at {self.display_uri}"
        if status in (401, 403):
            return MLflowForbidden(
                f"{where}: the server refused access (HTTP {status}); give credentials through "
                "MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD")
        if status == 404 and registry:
            return MLflowRegistryUnavailable(f"{where}: the server has no model registry (HTTP 404)")
        if status is None and self._last_exception is not None:
            return MLflowUnavailable(f"{where}: {self._network_failure()}")
        if status is not None and (status >= 500 or status in (408, 429)):
            return MLflowUnavailable(f"{where}: the server answered HTTP {status}")
        detail = redact(str(getattr(exc, "message", exc)))[:200]
        return MLflowQueryFailed(f"{where} failed (HTTP {status}): {detail}")

    def _network_failure(self) -> str:
        import requests

        exc = self._last_exception
        cause = exc.__cause__ or exc.__context__ if exc is not None else None
        if isinstance(cause, requests.exceptions.Timeout) or "timeout" in str(exc).lower():
            return f"no answer within {self._timeout_seconds()} s (timeout)"
        if isinstance(cause, requests.exceptions.ConnectionError) or "connection" in str(exc).lower():
            return "server unreachable (connection failed)"
        return f"request failed: {redact(str(exc))[:200]}"

    def _check_answer(self, response: Any, endpoint: str) -> None:
        """A successful answer that no tracking server gives is an error, never an empty result:
        one from another host after a redirect, one that is no JSON object (empty, an HTML page),
        an experiments search without even the Default experiment's ``experiments`` key."""
        if response.status_code != 200:
            return
        asked, answered = urlsplit(self.uri), urlsplit(str(getattr(response, "url", "") or self.uri))
        # (a databricks:// URI names a profile, whose workspace is the host that answers)
        if asked.scheme in ("http", "https") and (answered.hostname, answered.port) != (asked.hostname, asked.port):
            raise MLflowQueryFailed(f"{endpoint} at {self.display_uri}: the answer came from another host "
                                    f"({redact(answered.hostname or '?')}) after a redirect")
        try:
            doc = json.loads(response.text or "null")
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise MLflowQueryFailed(f"{endpoint} at {self.display_uri}: the answer is not a JSON object "
                                    "(empty, or an HTML page: not an MLflow tracking server?)")
        if endpoint.endswith("experiments/search") and "experiments" not in doc:
            raise MLflowQueryFailed(f"{endpoint} at {self.display_uri}: the server listed no experiment at all, "
                                    "not even Default (not an MLflow tracking server?)")

    def _timeout_seconds(self) -> int:
        return max(1, math.ceil(self.timeout))  # the client reads an integer number of seconds

    @contextmanager
    def _bounded_http(self) -> Iterator[None]:
        """Short timeout, few quick retries and request counting, only while a query runs."""
        from mlflow.utils import rest_utils

        settings = {"MLFLOW_HTTP_REQUEST_TIMEOUT": str(self._timeout_seconds()),
                    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(self.max_retries),
                    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0"}
        saved = {k: os.environ.get(k) for k in settings}
        original = rest_utils.http_request

        def counting_request(*args: Any, **kwargs: Any) -> Any:
            self.requests_made += 1
            try:
                response = original(*args, **kwargs)
            except Exception as exc:
                self._last_exception = exc
                # Retried 5xx/429 answers surface as "too many 503 error responses".
                retried = _RETRIED_STATUS.search(str(exc))
                self._last_status = int(retried.group(1)) if retried else None
                raise
            self._last_status = response.status_code
            self._check_answer(response, str(kwargs.get("endpoint") or (args[1] if len(args) > 1 else "")))
            return response

        os.environ.update(settings)
        rest_utils.http_request = counting_request
        try:
            yield
        finally:
            rest_utils.http_request = original
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _escape(value: str) -> str:
    """A value safe inside a single-quoted MLflow filter literal."""
    return value.replace("\\", "\\\\").replace("'", "\\'")
