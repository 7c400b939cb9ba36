"""Compare saved bundles: what changed between two scans, and the trend over many.

Evidence is matched by its stable id (signal, detector, first path, subject; no line
numbers), so an edit that moves a line neither gains nor loses evidence.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.model import DIMENSIONS
from scanner.user_files import MAX_BUNDLE_BYTES, UserFileError, load_json, read_text

_REQUIRED = ("schema_version", "scores", "signals", "evidence", "overall", "finished_at")


class HistoryError(ValueError):
    """A file is not a readable evidence bundle; the message names it."""


def load_bundle(path: Path) -> dict[str, Any]:
    """A saved bundle, checked for the keys comparisons rely on."""
    try:
        doc = load_json(read_text(path, MAX_BUNDLE_BYTES, what="bundle"), str(path))
    except UserFileError as exc:
        raise HistoryError(str(exc)) from exc
    missing = [k for k in _REQUIRED if not isinstance(doc, dict) or k not in doc]
    if missing:
        raise HistoryError(f"{path}: not an mlops-scan evidence bundle (missing {', '.join(missing)})")
    return doc


@dataclass(frozen=True, kw_only=True)
class DimensionChange:
    """One dimension's level before and after."""

    dimension: str
    old: int
    new: int

    @property
    def delta(self) -> int:
        return self.new - self.old


@dataclass(frozen=True, kw_only=True)
class BundleDiff:
    """What changed between two bundles of the same target."""

    dimensions: tuple[DimensionChange, ...]
    gained: tuple[dict[str, Any], ...]
    """Evidence in the new bundle only (id, signal, tier, summary)."""
    lost: tuple[dict[str, Any], ...]
    signals_gained: tuple[str, ...]
    """Signals present now and not before."""
    signals_lost: tuple[str, ...]
    notes: tuple[str, ...]
    """Why the two may not compare like for like (other rules, tool version or target)."""

    @property
    def regressions(self) -> tuple[str, ...]:
        """Dimensions that dropped and signals that are no longer present."""
        return tuple([f"{d.dimension}: level {d.old} -> {d.new}" for d in self.dimensions if d.delta < 0]
                     + [f"{s}: no longer present" for s in self.signals_lost])


def _brief(ev: dict[str, Any]) -> dict[str, Any]:
    return {"id": ev["id"], "signal": ev["signal"], "tier": ev.get("tier"), "outcome": ev.get("outcome"),
            "summary": ev.get("summary", "")}


def _present(bundle: dict[str, Any]) -> set[str]:
    return {s for s, r in bundle["signals"].items() if r.get("outcome") == "present"}


def _notes(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    notes = []
    if old.get("rules", {}).get("sha256") != new.get("rules", {}).get("sha256"):
        notes.append("the rules differ (sha256): level changes may come from the rules, not the repository")
    if old.get("tool", {}).get("version") != new.get("tool", {}).get("version"):
        notes.append(f"tool version {old.get('tool', {}).get('version')} -> {new.get('tool', {}).get('version')}")
    if old.get("target", {}).get("name") != new.get("target", {}).get("name"):
        notes.append("the two bundles name different targets")
    return tuple(notes)


def diff(old: dict[str, Any], new: dict[str, Any]) -> BundleDiff:
    """Per-dimension changes, evidence gained and lost by id, and signals that changed."""
    old_ev = {e["id"]: e for e in old["evidence"]}
    new_ev = {e["id"]: e for e in new["evidence"]}
    dims = tuple(DimensionChange(dimension=d, old=old["scores"][d]["level"], new=new["scores"][d]["level"])
                 for d in DIMENSIONS if d in old["scores"] and d in new["scores"])
    return BundleDiff(
        dimensions=dims,
        gained=tuple(_brief(new_ev[i]) for i in sorted(set(new_ev) - set(old_ev), key=lambda i: (new_ev[i]["signal"], i))),
        lost=tuple(_brief(old_ev[i]) for i in sorted(set(old_ev) - set(new_ev), key=lambda i: (old_ev[i]["signal"], i))),
        signals_gained=tuple(sorted(_present(new) - _present(old))),
        signals_lost=tuple(sorted(_present(old) - _present(new))),
        notes=_notes(old, new),
    )


def diff_to_dict(d: BundleDiff) -> dict[str, Any]:
    """The diff as plain data (``diff --format json``)."""
    return {
        "dimensions": {c.dimension: {"old": c.old, "new": c.new, "delta": c.delta} for c in d.dimensions},
        "evidence_gained": list(d.gained), "evidence_lost": list(d.lost),
        "signals_gained": list(d.signals_gained), "signals_lost": list(d.signals_lost),
        "regressions": list(d.regressions), "notes": list(d.notes),
    }


@dataclass(frozen=True, kw_only=True)
class TrendRow:
    """One scan in a series."""

    file: str
    finished_at: str
    commit: str | None
    levels: dict[str, int]
    overall_min: int
    overall_mean: float


def trend(folder: Path) -> list[TrendRow]:
    """Every bundle in ``folder`` (``*.json``, not recursive), oldest first.

    JSON files that are not bundles (a badge, a SARIF log) are passed over; a folder without
    any bundle is an error.
    """
    if not folder.is_dir():
        raise HistoryError(f"{folder}: not a folder")
    rows = []
    for path in sorted(folder.glob("*.json")):
        try:
            doc = load_bundle(path)
        except HistoryError:
            continue
        rows.append(TrendRow(
            file=path.name, finished_at=str(doc["finished_at"]), commit=(doc.get("target") or {}).get("commit"),
            levels={d: doc["scores"][d]["level"] for d in DIMENSIONS if d in doc["scores"]},
            overall_min=doc["overall"]["min"], overall_mean=doc["overall"]["mean"]))
    if not rows:
        raise HistoryError(f"{folder}: no evidence bundle (*.json written by `mlops-scan scan --format json`)")
    return sorted(rows, key=lambda r: (r.finished_at, r.file))
