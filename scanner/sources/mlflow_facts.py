"""What the tracking-server source reads, as plain frozen facts, and its typed failures.

The detector never sees MLflow client objects: runs and model versions are converted here,
and every failure carries a ``reason`` that is safe to show (credentials redacted).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from scanner.sources.interface import SourceError

_USERINFO = re.compile(r"(?<=//)[^/@\s]+@")


class MLflowError(SourceError):
    """The tracking server could not answer a query; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MLflowUnavailable(MLflowError):
    """Connection refused, DNS failure, timeout, or a 5xx/429 answer: not reachable now."""


class MLflowForbidden(MLflowError):
    """The server answered 401/403: the credentials in the environment do not allow reading."""


class MLflowRegistryUnavailable(MLflowError):
    """The registry endpoints answered 404: this server has no model registry."""


class MLflowQueryFailed(MLflowError):
    """Any other failure (unexpected status, malformed answer): the scan could not check."""


def normalize_git_url(url: str) -> str:
    """``host/owner/name`` of a git remote, lower-cased: https, ssh and ``.git`` forms agree."""
    url = url.strip().lower()
    url = re.sub(r"^[a-z+]+://", "", url)  # https://, ssh://, git+ssh://
    url = _USERINFO.sub("", "//" + url)[2:] if "@" in url.split("/", 1)[0] else url
    url = re.sub(r"^([^/:]+):(?!\d+/)", r"\1/", url)  # scp-like git@host:owner/name
    url = re.sub(r"^([^/:]+):\d+/", r"\1/", url)  # explicit port
    url = url.rstrip("/")
    return url[:-4] if url.endswith(".git") else url


@dataclass(frozen=True, kw_only=True)
class ExperimentFacts:
    """One active experiment."""

    id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class RunFacts:
    """What the detector needs of one run (params/metrics as key sets, no values)."""

    id: str
    experiment_id: str
    start_time: int | None
    """Milliseconds since the epoch."""
    user: str
    params: frozenset[str]
    metrics: frozenset[str]
    tags: Mapping[str, str]
    datasets: tuple[tuple[str, str], ...]
    """(name, digest) of each dataset input that has a digest."""
    model_outputs: int
    """Logged models recorded as run outputs."""


@dataclass(frozen=True, kw_only=True)
class VersionFacts:
    """One registered-model version."""

    model: str
    version: str
    stage: str
    aliases: tuple[str, ...]
    run_id: str
    user: str
    description: str
    tags: Mapping[str, str]
    last_updated: int | None
    """Milliseconds since the epoch of the version's last update (aliases have no timestamp)."""


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Which experiments belong to the scanned repository, and why."""

    rule: str
    """How scope was decided: ``server`` (everything), or ``repository`` (identity/patterns)."""
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """experiment id -> why it is in scope."""
    identity_runs: tuple[RunFacts, ...] = ()
    """Recent runs found by the repository identity (remote or commits)."""

    @property
    def everything(self) -> bool:
        """True for a server-only scan: every experiment counts."""
        return self.rule == "server"


def run_facts(run: Any) -> RunFacts:
    data, info = run.data, run.info
    inputs = getattr(run, "inputs", None)
    datasets = tuple(sorted(
        (d.dataset.name, d.dataset.digest)
        for d in (getattr(inputs, "dataset_inputs", None) or [])
        if d.dataset is not None and d.dataset.digest))
    outputs = getattr(run, "outputs", None)
    tags = dict(data.tags or {})
    return RunFacts(
        id=info.run_id, experiment_id=str(info.experiment_id), start_time=info.start_time,
        user=tags.get("mlflow.user") or info.user_id or "",
        params=frozenset(data.params or {}), metrics=frozenset(data.metrics or {}),
        tags=tags, datasets=datasets,
        model_outputs=len(getattr(outputs, "model_outputs", None) or []))


def alias_pairs(aliases: Any) -> list[tuple[str, str]]:
    """(alias, version) pairs: the client gives a dict, older ones a list of alias objects."""
    if isinstance(aliases, Mapping):
        return [(str(a), str(v)) for a, v in aliases.items()]
    return [(a.alias, str(a.version)) for a in aliases or []]


def version_facts(version: Any, aliases: Mapping[tuple[str, str], set[str]]) -> VersionFacts:
    # Versions carry their aliases on recent servers; the model's alias list covers older ones.
    own = set(getattr(version, "aliases", None) or [])
    own.update(aliases.get((version.name, str(version.version)), ()))
    return VersionFacts(
        model=version.name, version=str(version.version), stage=version.current_stage or "None",
        aliases=tuple(sorted(own)), run_id=version.run_id or "", user=version.user_id or "",
        description=version.description or "", tags=dict(version.tags or {}),
        last_updated=version.last_updated_timestamp)
