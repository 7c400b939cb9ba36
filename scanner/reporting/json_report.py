"""The evidence bundle: the JSON contract of DESIGN.md, deterministic (sorted keys and lists)."""
from __future__ import annotations

import json
from typing import Any

from scanner.model import Criterion, DimensionScore, Evidence, ScanResult

SCHEMA_VERSION = "1.0"


def _criterion(c: Criterion) -> dict[str, Any]:
    out: dict[str, Any] = {"id": c.id, "description": c.description, "evidence": list(c.evidence_ids)}
    if c.recommendation:
        out["recommendation"] = c.recommendation
    if c.unknown_signals:
        out["not_checked"] = list(c.unknown_signals)
    return out


def score_dict(s: DimensionScore) -> dict[str, Any]:
    """One dimension's score as the bundle holds it."""
    return {"level": s.level, "confidence": s.confidence, "reason": s.reason,
            "met": [_criterion(c) for c in s.met], "gap": [_criterion(c) for c in s.gap],
            "recommendations": list(s.recommendations)}


def _evidence(ev: Evidence) -> dict[str, Any]:
    locations = []
    for loc in ev.locations:
        item = {"path": loc.path, "line": loc.line, "url": loc.url, "sha256": loc.sha256}
        if loc.end_line is not None:
            item["end_line"] = loc.end_line
        locations.append(item)
    return {
        "id": ev.id, "signal": ev.signal, "detector": ev.detector, "outcome": ev.outcome.value,
        "tier": ev.tier.value if ev.tier else None, "summary": ev.summary,
        "locations": locations, "attributes": dict(ev.attributes),
    }


def to_dict(result: ScanResult) -> dict[str, Any]:
    """The bundle as plain data."""
    t = result.target
    target: dict[str, Any] = {"kind": t.kind, "name": t.name, "url": t.url, "ref": t.ref, "commit": t.commit}
    if t.dirty is not None:
        target["dirty"] = t.dirty
    if t.modified:
        target["modified_files"] = list(t.modified)
    signals = {}
    for sig, res in sorted(result.signals.items()):
        entry: dict[str, Any] = {"outcome": res.outcome.value, "tier": res.tier.value if res.tier else None,
                                 "evidence": sorted(res.evidence_ids)}
        if res.reason:
            entry["reason"] = res.reason
        signals[sig] = entry
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mlops-scan", "version": result.tool_version},
        "target": target,
        "rules": {"name": result.rules_name, "sha256": result.rules_sha256},
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "scores": {dim: score_dict(s) for dim, s in result.scores.items()},
        "overall": {"min": result.overall_min, "mean": result.overall_mean},
        "signals": signals,
        "evidence": [_evidence(e) for e in result.evidence],
        "coverage": result.coverage,
        "errors": sorted(result.errors, key=lambda e: (e.get("source", ""), e.get("message", ""))),
    }


def render_json(result: ScanResult) -> str:
    """The bundle as JSON text."""
    return json.dumps(to_dict(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
