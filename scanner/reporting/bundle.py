"""The full evidence bundle: the scan's JSON plus gates, next steps, attestations and waivers.

Every other report renders this one object, so a saved bundle can be rendered again later and
all formats of one run agree. Output is deterministic: sorted keys and lists, no durations;
only ``started_at`` and ``finished_at`` differ between two scans of the same input.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Sequence

from scanner.config import Waiver
from scanner.gates import Assessment
from scanner.model import DIMENSIONS, ScanResult, Tier
from scanner.reporting.json_report import to_dict


@dataclass(frozen=True, kw_only=True)
class BundleExtras:
    """What the configuration and the gates add to a scan's bundle."""

    assessment: Assessment | None = None
    attestations: Sequence[dict[str, Any]] = ()
    """From ``scanner.attestations.statuses``."""
    waivers: Sequence[Waiver] = ()
    config: dict[str, Any] | None = None
    """``{"path", "sha256"}`` of the configuration file that was read."""
    today: dt.date = field(default_factory=dt.date.today)


def _waiver(w: Waiver, today: dt.date) -> dict[str, Any]:
    return {"id": w.id, "by": w.by, "reason": w.reason, "link": w.link or None,
            "expires": w.expires.isoformat(), "status": "active" if w.active(today) else "expired"}


def _gates(assessment: Assessment | None, today: dt.date) -> dict[str, Any]:
    checks = [{"dimension": c.dimension, "level": c.level, "required": c.required, "passed": c.passed,
               "waived": _waiver(c.waived_by, today) if c.waived_by else None}
              for c in (assessment.checks if assessment else ())]
    order = {dim: i for i, dim in enumerate(DIMENSIONS)}
    return {"checks": sorted(checks, key=lambda c: order.get(c["dimension"], len(order))),
            "failed": any(not c["passed"] and not c["waived"] for c in checks)}


def _next_steps(assessment: Assessment | None, today: dt.date) -> list[dict[str, Any]]:
    return [{"dimension": s.dimension, "level": s.level, "required": s.required, "criterion": s.criterion,
             "description": s.description, "recommendation": s.recommendation, "stage": s.stage,
             "signals": list(s.signals), "waived": _waiver(s.waived_by, today) if s.waived_by else None}
            for s in (assessment.next_steps if assessment else ())]


def _strip_durations(coverage: dict[str, Any]) -> dict[str, Any]:
    # durations differ on every run; the bundle must be byte-identical apart from timestamps
    detectors = {name: {k: v for k, v in entry.items() if k != "seconds"}
                 for name, entry in (coverage.get("detectors") or {}).items()}
    return {**coverage, "detectors": detectors}


def _annotate_criteria(bundle: dict[str, Any], extras: BundleExtras) -> None:
    """Mark criteria met by attestation, and gap criteria that are waived or name signals."""
    attested = {e["id"] for e in bundle["evidence"] if e["tier"] == Tier.ATTESTED.value}
    steps = {(s["dimension"], s["criterion"]): s for s in _next_steps(extras.assessment, extras.today)}
    for dim, score in bundle["scores"].items():
        for crit in score["met"]:
            crit["attested"] = bool(attested & set(crit["evidence"]))
        for crit in score["gap"]:
            step = steps.get((dim, crit["id"]))
            if step:
                crit["signals"] = step["signals"]
                crit["waived"] = step["waived"]


def build_bundle(result: ScanResult, extras: BundleExtras | None = None) -> dict[str, Any]:
    """The bundle as plain data."""
    extras = extras or BundleExtras()
    bundle = to_dict(result)
    bundle["coverage"] = _strip_durations(bundle["coverage"])
    _annotate_criteria(bundle, extras)
    bundle["gates"] = _gates(extras.assessment, extras.today)
    bundle["next_steps"] = _next_steps(extras.assessment, extras.today)
    bundle["attestations"] = list(extras.attestations)
    bundle["waivers"] = sorted((_waiver(w, extras.today) for w in extras.waivers), key=lambda w: w["id"])
    bundle["config"] = extras.config
    return bundle


def dump_bundle(bundle: dict[str, Any]) -> str:
    """The bundle as JSON text (sorted keys, two-space indent, UTF-8)."""
    return json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
