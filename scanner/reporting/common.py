"""Lookups shared by the renderers of a bundle: labels, evidence by id, what was not checked."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator

from scanner.reporting import text_report
from scanner.reporting.text_report import LABELS, LEVEL_NAMES

MAX_LOCATIONS = 5
"""Locations shown per piece of evidence in a report (the bundle keeps them all)."""


def label(dimension: str) -> str:
    """Human name of a dimension."""
    return LABELS.get(dimension, dimension)


def level_name(level: int) -> str:
    """Name of a level (0 none / ad hoc ... 4 closed loop)."""
    return LEVEL_NAMES[level] if 0 <= level < len(LEVEL_NAMES) else str(level)


def evidence_index(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Evidence by id."""
    return {e["id"]: e for e in bundle.get("evidence", [])}


def detected(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Detected evidence (everything but the attested tier), in bundle order."""
    return [e for e in bundle.get("evidence", []) if e.get("tier") != "attested"]


def location_text(loc: dict[str, Any]) -> str:
    """``path:line`` of a location."""
    return f"{loc['path']}:{loc['line']}" if loc.get("line") else loc["path"]


def safe_url(url: str | None) -> str | None:
    """The URL if a reader may follow it (http or https only), else None."""
    return url if url and url.startswith(("https://", "http://")) else None


def not_checked(bundle: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(reason, signals) for every signal that could not be checked, by reason."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for sig, res in sorted(bundle.get("signals", {}).items()):
        if res["outcome"] in ("not_available", "error"):
            by_reason[f"{res['outcome']}: {res.get('reason') or 'no reason given'}"].append(sig)
    return sorted(by_reason.items())


def unread_files(bundle: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(files not read, files not parsed fully) of the repository source."""
    repo = bundle.get("coverage", {}).get("sources", {}).get("repository", {})
    return dict(repo.get("skipped_files") or {}), dict(repo.get("unparsed_files") or {})


def work_tree_notes(bundle: dict[str, Any]) -> list[str]:
    """Untracked files left unread and a work tree that differs from its commit."""
    repo = bundle.get("coverage", {}).get("sources", {}).get("repository", {})
    return text_report.work_tree_notes(bundle.get("target", {}), repo)


def scores(bundle: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(dimension, score) in the canonical dimension order."""
    order = list(LABELS)
    yield from sorted(bundle["scores"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)


def required(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Gate check by dimension."""
    return {c["dimension"]: c for c in bundle.get("gates", {}).get("checks", [])}


def gate_status(check: dict[str, Any] | None) -> str:
    """``pass``, ``FAIL`` or ``waived`` for a gate check, or empty without one."""
    if not check:
        return ""
    if check["passed"]:
        return "pass"
    return "waived" if check.get("waived") else "FAIL"
