"""Attestations from the configuration turned into evidence of the ``attested`` tier.

An attestation is a person vouching for a practice the scanner cannot see. It becomes
evidence of its own tier, located at the configuration file (with that file's sha256) and
linking to where a reader can check it; expired ones are reported but never used.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Sequence

from scanner.config import Attestation, Config
from scanner.model import Evidence, Location, Outcome, ScanResult, Tier

DETECTOR = "attestation"


def to_evidence(att: Attestation, config_path: str, config_sha256: str | None) -> Evidence:
    """The evidence an attestation stands for."""
    summary = f"attested by {att.by} on {att.date.isoformat()}, valid until {att.expires.isoformat()}"
    if att.note:
        summary += f": {att.note}"
    return Evidence.make(
        signal=att.signal, detector=DETECTOR, outcome=Outcome.PRESENT, tier=Tier.ATTESTED,
        summary=summary,
        locations=(Location(path=config_path, url=att.link, sha256=config_sha256),),
        attributes={"by": att.by, "date": att.date.isoformat(), "expires": att.expires.isoformat(),
                    "link": att.link, "note": att.note},
        subject=f"{att.by}\x1f{att.date.isoformat()}",
    )


def active_evidence(config: Config, config_path: str, today: dt.date) -> tuple[Evidence, ...]:
    """Evidence of the attestations still valid ``today``."""
    return tuple(to_evidence(a, config_path, config.sha256) for a in config.attestations if a.active(today))


def statuses(result: ScanResult, config: Config, config_path: str, today: dt.date) -> list[dict[str, Any]]:
    """Each attestation with what became of it: counted, superseded, ignored or expired."""
    out = []
    for att in config.attestations:
        ev = to_evidence(att, config_path, config.sha256)
        signal = result.signals.get(att.signal)
        if not att.active(today):
            status = "expired"
        elif signal is not None and ev.id in signal.evidence_ids:
            status = "counted"  # the signal is present on this assertion alone
        elif signal is not None and signal.outcome is Outcome.PRESENT:
            status = "superseded"  # detected evidence already shows the practice
        else:
            status = "ignored"  # the rules profile (strict) does not count assertions
        out.append({"evidence": ev.id, "status": status, **ev.attributes, "signal": att.signal})
    return sorted(out, key=lambda a: (a["signal"], a["by"], a["date"]))


def attested_ids(evidence: Sequence[Mapping[str, Any]]) -> set[str]:
    """Ids of the bundle's attested evidence."""
    return {e["id"] for e in evidence if e.get("tier") == Tier.ATTESTED.value}
