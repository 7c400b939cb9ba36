"""Core result types: evidence, per-signal outcomes, per-dimension scores, the scan result.

All are frozen, keyword-only dataclasses so that a detector cannot alter evidence after the
fact and a reporter cannot alter a result it renders.
"""
from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping


class Outcome(str, enum.Enum):
    """What a detector could say about a signal."""

    PRESENT = "present"
    ABSENT = "absent"
    NOT_AVAILABLE = "not_available"  # the source was not given, not reachable or not permitted
    ERROR = "error"  # the detector failed: never read as absent


class Tier(str, enum.Enum):
    """How strongly the evidence shows a practice, weakest first."""

    DECLARED = "declared"  # mentioned in prose or a manifest only: never makes a signal present
    CONFIGURED = "configured"  # wired into code, config or CI
    EXECUTED = "executed"  # a run happened (CI history, tracking runs)
    LIVE = "live"  # confirmed on a running system
    ATTESTED = "attested"  # asserted by a person in the config; kept apart from detected evidence

    @property
    def rank(self) -> int:
        """Strength used to pick the strongest evidence; attested ranks with declared."""
        return {"declared": 0, "attested": 0, "configured": 1, "executed": 2, "live": 3}[self.value]


DIMENSIONS: tuple[str, ...] = (
    "data_management",
    "experiment_tracking",
    "model_deployment",
    "monitoring",
    "governance",
    "collaboration",
)


@dataclass(frozen=True, kw_only=True)
class Location:
    """Where a piece of evidence was seen."""

    path: str
    """Repository-relative POSIX path (or a ref such as ``refs/tags/v1``)."""
    line: int | None = None
    end_line: int | None = None
    url: str | None = None
    sha256: str | None = None
    """sha256 of the file content that was read, so an auditor can prove what was seen."""


def evidence_id(signal: str, detector: str, path: str, subject: str = "") -> str:
    """Stable fingerprint: no line numbers, so ids survive edits between scans."""
    raw = "\x1f".join((signal, detector, path, subject))
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:16]


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """One observation by one detector about one signal."""

    id: str
    signal: str
    detector: str
    outcome: Outcome
    tier: Tier | None
    summary: str
    locations: tuple[Location, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def make(
        cls,
        *,
        signal: str,
        detector: str,
        outcome: Outcome = Outcome.PRESENT,
        tier: Tier | None = Tier.CONFIGURED,
        summary: str,
        locations: tuple[Location, ...] | list[Location] = (),
        attributes: Mapping[str, Any] | None = None,
        subject: str = "",
    ) -> "Evidence":
        """Build evidence with its fingerprint; ``subject`` tells apart two findings in one file."""
        locations = tuple(locations)
        first = locations[0].path if locations else ""
        return cls(
            id=evidence_id(signal, detector, first, subject),
            signal=signal,
            detector=detector,
            outcome=outcome,
            tier=tier,
            summary=summary,
            locations=locations,
            attributes=dict(attributes or {}),
        )

    @property
    def counts(self) -> bool:
        """True when this evidence makes its signal present (declared mentions never do)."""
        return (
            self.outcome is Outcome.PRESENT
            and self.tier is not None
            and self.tier not in (Tier.DECLARED, Tier.ATTESTED)
        )


@dataclass(frozen=True, kw_only=True)
class SignalResult:
    """The verdict on one signal, from the strongest evidence."""

    signal: str
    outcome: Outcome
    tier: Tier | None
    evidence_ids: tuple[str, ...] = ()
    reason: str | None = None
    """Why the signal could not be checked (not_available / error)."""


@dataclass(frozen=True, kw_only=True)
class Criterion:
    """A rule criterion as evaluated: its text, whether it held, and the evidence behind it."""

    id: str
    description: str
    held: bool
    evidence_ids: tuple[str, ...] = ()
    recommendation: str | None = None
    unknown_signals: tuple[str, ...] = ()
    """Unchecked signals (not_available or error) that alone keep an unmet criterion from holding."""


@dataclass(frozen=True, kw_only=True)
class DimensionScore:
    """The level of one dimension, explained."""

    dimension: str
    level: int
    confidence: float
    met: tuple[Criterion, ...]
    gap: tuple[Criterion, ...]
    """Unmet criteria of the next level."""
    recommendations: tuple[str, ...]
    reason: str
    """One line saying why this level."""


@dataclass(frozen=True, kw_only=True)
class Target:
    """What was scanned."""

    kind: str  # local | git | github | gitlab | mlflow | prometheus | alertmanager | grafana
    name: str
    url: str | None = None
    ref: str | None = None
    commit: str | None = None
    dirty: bool | None = None
    """True when the work tree read differs from ``commit`` (None when there is no commit)."""
    modified: tuple[str, ...] = ()
    """Tracked files whose work-tree content differs from ``commit`` (what makes it dirty)."""


@dataclass(frozen=True, kw_only=True)
class ScanResult:
    """Everything one scan found and concluded."""

    target: Target
    tool_version: str
    rules_name: str
    rules_sha256: str
    started_at: str
    finished_at: str
    signals: Mapping[str, SignalResult]
    evidence: tuple[Evidence, ...]
    scores: Mapping[str, DimensionScore]
    coverage: Mapping[str, Any]
    errors: tuple[Mapping[str, str], ...]

    @property
    def overall_min(self) -> int:
        """Weakest dimension, as the ML Test Score headlines it."""
        return min(s.level for s in self.scores.values())

    @property
    def overall_mean(self) -> float:
        """Breadth across the six dimensions."""
        return round(sum(s.level for s in self.scores.values()) / len(self.scores), 2)
