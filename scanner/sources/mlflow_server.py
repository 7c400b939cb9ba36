"""A live MLflow tracking server, read with a few bounded queries of its REST API.

Nothing is written and no artifact is ever downloaded or listed: runs, registered models and
model versions are read with ``max_results``, a time filter and an ordering, so a scan costs a
handful of HTTP requests whatever the size of the server. The requests go through the scan's
own HTTP session (:class:`~scanner.sources.http_budget.ApiSession`): counted, bounded by the
per-request timeout and the scan's deadline, read with a size cap, redirects followed only on
the server's own origin; the MLflow client library is neither needed nor patched.

Credentials come only from where the MLflow client takes them: the URL's user information,
``MLFLOW_TRACKING_TOKEN`` or ``MLFLOW_TRACKING_USERNAME``/``PASSWORD`` (and the TLS settings
``MLFLOW_TRACKING_INSECURE_TLS``, ``MLFLOW_TRACKING_SERVER_CERT_PATH``,
``MLFLOW_TRACKING_CLIENT_CERT_PATH``); for ``databricks[://PROFILE]``, ``DATABRICKS_HOST`` and
``DATABRICKS_TOKEN`` or the profile's host and token in ``~/.databrickscfg``. They are sent in a
header and redacted from every message this module produces.
"""
from __future__ import annotations

import base64
import configparser
import fnmatch
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from scanner.deadline import Deadline
from scanner.redaction import redact, remember
from scanner.sources.http_budget import (
    ApiDeadline,
    ApiError,
    ApiForbidden,
    ApiForeignHost,
    ApiMalformed,
    ApiNotFound,
    ApiRateLimited,
    ApiSession,
    ApiUnavailable,
    RateLimitGate,
)
from scanner.sources.live_http import after_host, once
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

API_PATH = "api/2.0/mlflow"


class MLflowSource:
    """Read-only, bounded access to one tracking server; every query's result is cached.

    ``requests_made`` counts the HTTP requests sent, retries included.
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
        deadline: Deadline | None = None,
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
        self.deadline = deadline or Deadline()
        self.experiment_patterns = tuple(experiment_patterns)
        self.repo_remote = normalize_git_url(repo_remote) if repo_remote else None
        self.repo_commits = frozenset(c.lower() for c in repo_commits)
        self.max_runs = max_runs
        self.now_ms = int((time.time() if now is None else now) * 1000)
        self.since_ms = self.now_ms - RECENT_DAYS * DAY_MS
        self.truncated: set[str] = set()
        """Queries whose single page did not hold every result (facts are then a sample)."""
        self._cache: dict[str, Any] = {}
        self._session: ApiSession | None = None

    @property
    def requests_made(self) -> int:
        return self._session.requests_made if self._session is not None else 0

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
        doc = self._query("listing experiments", "POST", "experiments/search", {
            "view_type": "ACTIVE_ONLY", "max_results": MAX_EXPERIMENTS, "order_by": ["last_update_time DESC"]})
        if "experiments" not in doc:  # every tracking server has at least the Default experiment
            raise MLflowQueryFailed(f"listing experiments at {self.display_uri}: the server listed no experiment "
                                    "at all, not even Default (not an MLflow tracking server?)")
        page = self._page("experiments", doc, "experiments", MAX_EXPERIMENTS)
        return tuple(ExperimentFacts(id=str(e["experiment_id"]), name=str(e.get("name", "")))
                     for e in page if isinstance(e.get("experiment_id"), (str, int)))

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
        doc = self._query(what, "POST", "runs/search", {
            "experiment_ids": experiment_ids, "filter": filter_string, "run_view_type": "ACTIVE_ONLY",
            "max_results": max_results, "order_by": ["attributes.start_time DESC"]})
        facts = (run_facts(r) for r in self._page(label, doc, "runs", max_results))
        return tuple(f for f in facts if f is not None)

    def _read_versions(self) -> tuple[VersionFacts, ...]:
        doc = self._query("listing registered models", "GET", "registered-models/search", {
            "max_results": MAX_MODELS, "order_by": "last_updated_timestamp DESC"}, registry=True)
        models = [m for m in self._page("registered_models", doc, "registered_models", MAX_MODELS)
                  if isinstance(m.get("name"), str)]
        aliases: dict[tuple[str, str], set[str]] = {}
        for model in models:
            for alias, version in alias_pairs(model):
                aliases.setdefault((model["name"], version), set()).add(alias)
        doc = self._query("listing model versions", "GET", "model-versions/search", {
            "max_results": MAX_VERSIONS, "order_by": "last_updated_timestamp DESC"}, registry=True)
        page = self._page("model_versions", doc, "model_versions", MAX_VERSIONS)
        self._cache["all_models"] = tuple(sorted(m["name"] for m in models))
        facts = (version_facts(v, aliases) for v in page)
        return tuple(f for f in facts if f is not None)

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
        return once(self._cache, key, compute, MLflowError)

    def _page(self, label: str, doc: dict[str, Any], key: str, asked: int) -> list[dict[str, Any]]:
        """The objects of one page; a next-page token marks the facts as a sample. A page longer
        than asked for is no answer a tracking server gives: refused, not trusted."""
        items = doc.get(key, [])
        if not isinstance(items, list):
            raise MLflowQueryFailed(f"{label} at {self.display_uri}: '{key}' is not a list")
        if len(items) > asked:
            raise MLflowQueryFailed(f"{label} at {self.display_uri}: {len(items)} items where at most "
                                    f"{asked} were asked for; refused")
        if doc.get("next_page_token"):
            self.truncated.add(label)
        return [item for item in items if isinstance(item, dict)]

    def _query(self, what: str, method: str, endpoint: str, payload: Mapping[str, Any], *,
               registry: bool = False) -> dict[str, Any]:
        """One REST call, its answer a JSON object; every failure becomes a typed MLflowError."""
        where = f"{what} at {self.display_uri}"
        try:
            session = self._http()
            answer = (session.post_json(f"{API_PATH}/{endpoint}", payload) if method == "POST"
                      else session.get(f"{API_PATH}/{endpoint}", payload))
        except ApiError as exc:
            raise self._classify(where, exc, registry) from None  # from None: the cause names the URL
        if not isinstance(answer.data, dict):
            raise MLflowQueryFailed(f"{where}: the answer is not a JSON object "
                                    "(empty, or an HTML page: not an MLflow tracking server?)")
        return answer.data

    def _classify(self, where: str, exc: ApiError, registry: bool) -> MLflowError:
        status = exc.status
        if isinstance(exc, ApiForeignHost):
            return MLflowQueryFailed(f"{where}: the answer came from another host after a redirect; not followed")
        if isinstance(exc, ApiForbidden):
            return MLflowForbidden(
                f"{where}: the server refused access (HTTP {status}); give credentials through "
                "MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD")
        if isinstance(exc, ApiNotFound) and registry and status == 404:
            return MLflowRegistryUnavailable(f"{where}: the server has no model registry (HTTP 404)")
        if isinstance(exc, ApiDeadline):
            return MLflowUnavailable(f"{where}: {self.deadline.reason()}")
        if isinstance(exc, (ApiUnavailable, ApiRateLimited)):
            said = f"the server answered HTTP {status}" if status else after_host(exc.reason)
            return MLflowUnavailable(f"{where}: {said}")
        if isinstance(exc, ApiMalformed):
            return MLflowQueryFailed(f"{where}: {after_host(exc.reason)}")
        return MLflowQueryFailed(f"{where} failed (HTTP {status}): {after_host(exc.reason)}")

    def _http(self) -> ApiSession:
        """The session to the server's REST API, made on first use (Databricks profiles are
        read then, so a missing one is a failed query, not a crash)."""
        if self._session is None:
            base, auth, tls = _server_access(self.uri)
            self._session = ApiSession(f"{base}/", auth_header=auth, timeout=self.timeout,
                                       deadline=self.deadline, retries=self.max_retries,
                                       answer_seconds=max(self.timeout * 3, 10.0),
                                       gate=RateLimitGate(max_wait=min(30.0, self.timeout * 3)))
            self._session.http.verify, self._session.http.cert = tls
        return self._session


def _server_access(uri: str) -> tuple[str, tuple[str, str] | None, tuple[Any, Any]]:
    """(base URL without credentials, Authorization header, (verify, cert)) of a tracking URI."""
    if uri == "databricks" or uri.startswith("databricks://"):
        host, token = _databricks_profile(uri.partition("://")[2] or None)
        return host.rstrip("/"), ("Authorization", f"Bearer {token}"), (True, None)
    parts = urlsplit(uri)
    base = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path.rstrip("/"), "", ""))
    env = os.environ
    user, password = env.get("MLFLOW_TRACKING_USERNAME"), env.get("MLFLOW_TRACKING_PASSWORD")
    if parts.username is not None:  # user information in the URL, as requests would send it
        user, password = unquote(parts.username), unquote(parts.password or "")
    auth = None
    if user and password is not None and (password or parts.username is not None):
        basic = base64.b64encode(f"{user}:{password}".encode()).decode()
        auth = ("Authorization", f"Basic {basic}")
    elif env.get("MLFLOW_TRACKING_TOKEN"):
        auth = ("Authorization", f"Bearer {env['MLFLOW_TRACKING_TOKEN']}")
    insecure = env.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() in ("true", "1")
    verify: Any = False if insecure else env.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or True
    return base, auth, (verify, env.get("MLFLOW_TRACKING_CLIENT_CERT_PATH") or None)


def _databricks_profile(profile: str | None) -> tuple[str, str]:
    """(host, personal access token) of a Databricks workspace: from DATABRICKS_HOST/TOKEN when no
    profile is named, else from the profile of ``~/.databrickscfg`` (DATABRICKS_CONFIG_FILE)."""
    env = os.environ
    if profile is None and env.get("DATABRICKS_HOST") and env.get("DATABRICKS_TOKEN"):
        return _https(env["DATABRICKS_HOST"]), env["DATABRICKS_TOKEN"]
    name = profile or "DEFAULT"
    path = Path(env.get("DATABRICKS_CONFIG_FILE") or Path.home() / ".databrickscfg")
    config = configparser.ConfigParser(interpolation=None)
    try:
        config.read_string(path.read_text(encoding="utf-8")[:1_000_000])
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise MLflowQueryFailed(f"Databricks profile {name!r}: cannot read {path} "
                                f"({exc.__class__.__name__}); set DATABRICKS_HOST and DATABRICKS_TOKEN") from None
    section = config.defaults() if name == "DEFAULT" else (config[name] if config.has_section(name) else None)
    if not section or not section.get("host") or not section.get("token"):
        raise MLflowQueryFailed(f"Databricks profile {name!r} in {path} has no host and token (only personal "
                                "access tokens are read)")
    return _https(section["host"]), section["token"]


def _https(host: str) -> str:
    return host if host.startswith(("http://", "https://")) else f"https://{host}"


def _escape(value: str) -> str:
    """A value safe inside a single-quoted MLflow filter literal."""
    return value.replace("\\", "\\\\").replace("'", "\\'")
