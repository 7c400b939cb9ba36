"""Scanning every repository of an organisation or group: a bounded pool, resumable, fault-tolerant.

Each repository is scanned on its own (its own request count, its own evidence JSON written
atomically into the output folder); one that fails is recorded with the reason and the others
go on. A re-run with the same folder skips repositories whose stored result is of the same
commit, scanned with the same rules (sha256) by the same tool version, at the cost of the two
requests that tell the current commit; anything else (or a stored file that cannot be read)
is scanned again.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from scanner import __version__
from scanner.deadline import Deadline
from scanner.detector import LoadedDetectors, load_detectors
from scanner.engine import scan
from scanner.model import DIMENSIONS
from scanner.redaction import redact
from scanner.reporting.json_report import render_json
from scanner.rules_engine import RuleSet
from scanner.sources.http_budget import ApiError, EtagCache
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, SourceError
from scanner.sources.org_listing import ListedRepo, list_github, list_gitlab
from scanner.targets import ApiOptions, RemoteSpec, TargetError, from_info, open_info

ETAG_CACHE = ".etag-cache.json"


@dataclass(frozen=True, kw_only=True)
class RepoOutcome:
    """What happened to one repository of the org scan."""

    path: str
    status: str
    """scanned | resumed | failed"""
    commit: str | None = None
    levels: Mapping[str, int] = field(default_factory=dict)
    requests: int = 0
    error: str | None = None
    file: str | None = None
    """The evidence JSON, relative to the output folder."""


@dataclass(frozen=True, kw_only=True)
class OrgScan:
    """The result of an org scan."""

    org: str
    outcomes: tuple[RepoOutcome, ...]
    listed: int
    seconds: float
    requests: int


def parse_org(target: str) -> tuple[str, str]:
    """(platform, org or group path) of ``github:ORG`` / ``gitlab:GROUP[/SUB]``."""
    match = re.fullmatch(r"(github|gitlab):([\w.-]+(?:/[\w.-]+)*)", target)
    if match is None or (match.group(1) == "github" and "/" in match.group(2)):
        raise TargetError(f"{target}: expected github:ORG or gitlab:GROUP[/SUBGROUP]")
    return match.group(1), match.group(2)


def result_file(path: str) -> str:
    """File name of a repository's evidence JSON; distinct paths always get distinct names.

    Path separators become ``__``. When that cannot be read back unambiguously (the path holds
    ``__``, an ``_`` next to a separator, or characters replaced for the file system), a short
    hash of the full path follows an ``@``, a character the plain names never contain.
    """
    flat = re.sub(r"[^\w.-]", "_", path.replace("/", "__"))
    if flat.replace("__", "/") == path:
        return flat + ".json"
    return f"{flat}@{hashlib.sha256(path.encode()).hexdigest()[:16]}.json"


def list_repositories(platform: str, org: str, options: ApiOptions) -> list[ListedRepo]:
    """Every repository of the org or group (subgroups included)."""
    from scanner.sources.github import DEFAULT_API, github_session
    from scanner.sources.gitlab import DEFAULT_URL, gitlab_session

    common = options.session_settings()
    if platform == "github":
        return list_github(github_session(options.github_url or DEFAULT_API, **common), org)
    return list_gitlab(gitlab_session(options.gitlab_url or DEFAULT_URL, **common), org)


class OrgScanner:
    """Scans listed repositories concurrently into ``out_dir``."""

    def __init__(self, rules: RuleSet, out_dir: Path, options: ApiOptions, *, workers: int = 4,
                 max_file_bytes: int = DEFAULT_MAX_FILE_BYTES, loaded: LoadedDetectors | None = None,
                 seconds: float | None = None) -> None:
        self.rules = rules
        self.out_dir = out_dir
        self.options = options
        self.workers = max(1, workers)
        self.max_file_bytes = max_file_bytes
        self.loaded = loaded or load_detectors()
        self.seconds = seconds
        """Each repository's deadline (``--timeout``)."""

    def run(self, org: str, repos: list[ListedRepo], listed: int,
            progress: Callable[[RepoOutcome], None] | None = None) -> OrgScan:
        """Scan ``repos``; every finished result is kept whatever happens to the others."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        before = self.options.budget.used
        outcomes: list[RepoOutcome] = []
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="org-scan") as pool:
            futures = {pool.submit(self.scan_one, repo): repo for repo in repos}
            for future in as_completed(futures):
                outcome = future.result()  # scan_one never raises
                outcomes.append(outcome)
                if progress:
                    progress(outcome)
        if self.options.cache is not None:
            self.options.cache.save()
        return OrgScan(org=org, outcomes=tuple(sorted(outcomes, key=lambda o: o.path.lower())), listed=listed,
                       seconds=round(time.perf_counter() - started, 3), requests=self.options.budget.used - before)

    def scan_one(self, repo: ListedRepo) -> RepoOutcome:
        """Scan one repository; any failure becomes a ``failed`` outcome with the reason."""
        name = result_file(repo.path)
        info = None
        options = replace(self.options, deadline=Deadline(self.seconds))
        try:
            info = open_info(RemoteSpec(repo.platform, repo.path), options)
            stored = self._stored(name)
            if stored is not None and self._reusable(stored, info.commit):
                return RepoOutcome(path=repo.path, status="resumed", commit=info.commit, file=name,
                                   levels=_levels(stored), requests=info.session.requests_made)
            resolved = from_info(info, options, max_file_bytes=self.max_file_bytes)
            result = scan(resolved.repo, self.rules, target=resolved.target, platform=resolved.platform,
                          loaded=self.loaded, deadline=options.deadline)
            _write_atomically(self.out_dir / name, render_json(result))
            return RepoOutcome(path=repo.path, status="scanned", commit=info.commit, file=name,
                               levels={d: s.level for d, s in result.scores.items()},
                               requests=info.session.requests_made)
        except (SourceError, ApiError) as exc:
            return self._failed(repo, info, getattr(exc, "reason", None) or str(exc))
        except Exception as exc:  # an unexpected fault in one repository must not lose the others
            return self._failed(repo, info, f"{exc.__class__.__name__}: {exc}")
        finally:
            if info is not None:
                info.session.close()  # its pooled connections, one repository's worth

    def _failed(self, repo: ListedRepo, info: Any, why: str) -> RepoOutcome:
        requests = info.session.requests_made if info is not None else 0
        return RepoOutcome(path=repo.path, status="failed", error=redact(why)[:500], requests=requests,
                           commit=getattr(info, "commit", None))

    def _stored(self, name: str) -> dict[str, Any] | None:
        try:
            stored = json.loads((self.out_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return stored if isinstance(stored, dict) else None

    def _reusable(self, stored: Mapping[str, Any], commit: str | None) -> bool:
        """True when a stored result is of this commit, these rules and this tool version."""
        return (commit is not None
                and _field(stored, "target", "commit") == commit
                and _field(stored, "rules", "sha256") == self.rules.sha256
                and _field(stored, "tool", "version") == __version__)


def _field(bundle: Mapping[str, Any], section: str, key: str) -> Any:
    """``bundle[section][key]``, or None when either is missing or of the wrong type."""
    part = bundle.get(section)
    return part.get(key) if isinstance(part, dict) else None


def _levels(bundle: Mapping[str, Any]) -> dict[str, int]:
    return {d: int(bundle.get("scores", {}).get(d, {}).get("level", 0)) for d in DIMENSIONS}


def _write_atomically(path: Path, text: str) -> None:
    """Write then rename, so an interrupted run never leaves a half file that resume would trust."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=path.name + ".",
                                     suffix=".tmp", delete=False) as tmp:
        tmp.write(text)
    try:
        os.replace(tmp.name, path)
    except OSError:
        Path(tmp.name).unlink(missing_ok=True)
        raise


def etag_cache(out_dir: Path) -> EtagCache:
    """The conditional-request cache kept in the output folder between runs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return EtagCache(out_dir / ETAG_CACHE)
