"""What the tracking-server source reads, as plain frozen facts, and its typed failures.

The detector never sees the server's JSON: runs and model versions of the REST answers are
converted here, shape-checked field by field (a field of the wrong type is left out, never a
crash), and every failure carries a ``reason`` that is safe to show (credentials redacted).
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


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _objs(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _pairs(value: Any) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` (params, tags) as a dict; anything else is left out."""
    return {str(p["key"]): str(p.get("value", "")) for p in _objs(value) if isinstance(p.get("key"), str)}


def _millis(value: Any) -> int | None:
    """A timestamp of the REST answer: a number, or a string of digits (int64 as JSON text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _text(value: Any) -> str:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def run_facts(run: Mapping[str, Any]) -> RunFacts | None:
    """The facts of one run of a ``runs/search`` answer (REST JSON); None when it has no id."""
    info, data = _obj(run.get("info")), _obj(run.get("data"))
    run_id = _text(info.get("run_id") or info.get("run_uuid"))
    if not run_id:
        return None
    datasets = tuple(sorted(
        (_text(d.get("name")), _text(d.get("digest")))
        for d in (_obj(i.get("dataset")) for i in _objs(_obj(run.get("inputs")).get("dataset_inputs")))
        if _text(d.get("digest"))))
    tags = _pairs(data.get("tags"))
    return RunFacts(
        id=run_id, experiment_id=_text(info.get("experiment_id")), start_time=_millis(info.get("start_time")),
        user=tags.get("mlflow.user") or _text(info.get("user_id")),
        params=frozenset(_pairs(data.get("params"))),
        metrics=frozenset(str(m["key"]) for m in _objs(data.get("metrics")) if isinstance(m.get("key"), str)),
        tags=tags, datasets=datasets,
        model_outputs=len(_objs(_obj(run.get("outputs")).get("model_outputs"))))


def alias_pairs(model: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(alias, version) pairs of a registered model of a ``registered-models/search`` answer."""
    return [(_text(a.get("alias")), _text(a.get("version"))) for a in _objs(model.get("aliases"))
            if _text(a.get("alias"))]


def version_facts(version: Mapping[str, Any], aliases: Mapping[tuple[str, str], set[str]]) -> VersionFacts | None:
    """The facts of one model version of a ``model-versions/search`` answer; None without a name."""
    name, number = _text(version.get("name")), _text(version.get("version"))
    if not name or not number:
        return None
    # Versions carry their aliases on recent servers; the model's alias list covers older ones.
    listed = version.get("aliases")
    own = {a for a in listed if isinstance(a, str)} if isinstance(listed, list) else set()
    own.update(aliases.get((name, number), ()))
    return VersionFacts(
        model=name, version=number, stage=_text(version.get("current_stage")) or "None",
        aliases=tuple(sorted(own)), run_id=_text(version.get("run_id")), user=_text(version.get("user_id")),
        description=_text(version.get("description")), tags=_pairs(version.get("tags")),
        last_updated=_millis(version.get("last_updated_timestamp")))
