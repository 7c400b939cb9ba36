"""Score saved signals again: another rule set, or what-if assumptions about some signals.

Works on a bundle, or on anything bundle-shaped (``{"signals": {id: {"outcome", "tier"}}}``),
so planning ("what level would drift detection give us?") needs no new scan. Nothing is read
but the signals; the evidence behind them is carried over by id.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from scanner.model import DIMENSIONS, DimensionScore, Outcome, SignalResult, Tier
from scanner.rules_engine import RuleSet, judge
from scanner.vocabulary import vocabulary

_OUTCOMES = {o.value: o for o in Outcome}
_TIERS = {t.value: t for t in Tier}
ASSUMABLE = ("present", "absent")


class JudgeInputError(ValueError):
    """The input is not bundle-shaped or an assumption is malformed; the message says where."""


@dataclass(frozen=True)
class Rejudged:
    scores: dict[str, DimensionScore]
    signals: dict[str, SignalResult]
    """What was scored: the input's signals with the assumptions applied."""
    before: dict[str, int]
    """The levels the input itself recorded (empty when it held no scores)."""
    assumed: dict[str, str]
    ignored: tuple[str, ...]
    """Signal ids in the input that the vocabulary does not know."""

    @property
    def overall(self) -> dict[str, float]:
        levels = [s.level for s in self.scores.values()]
        return {"min": min(levels), "mean": round(sum(levels) / len(levels), 2)}


def parse_assumptions(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``SIGNAL=present|absent`` pairs, checked against the vocabulary."""
    known = vocabulary()
    out = {}
    for item in items:
        sig, sep, value = item.partition("=")
        sig, value = sig.strip(), value.strip().lower()
        if not sep or value not in ASSUMABLE:
            raise JudgeInputError(f"--assume {item!r}: expected SIGNAL=present or SIGNAL=absent")
        if sig not in known:
            raise JudgeInputError(f"--assume {item!r}: unknown signal {sig!r} (see `mlops-scan signals`)")
        out[sig] = value
    return out


def _signal(sig: str, raw: Any) -> SignalResult:
    if not isinstance(raw, Mapping):
        raise JudgeInputError(f"signals.{sig}: expected an object with an 'outcome'")
    outcome = _OUTCOMES.get(str(raw.get("outcome")))
    if outcome is None:
        raise JudgeInputError(f"signals.{sig}.outcome: {raw.get('outcome')!r} is not one of {', '.join(_OUTCOMES)}")
    tier = raw.get("tier")
    if tier is not None and tier not in _TIERS:
        raise JudgeInputError(f"signals.{sig}.tier: {tier!r} is not one of {', '.join(_TIERS)}")
    if outcome is Outcome.PRESENT and tier is None:
        tier = Tier.CONFIGURED.value  # a hand-written "present" means wired in, the usual meaning
    evidence = raw.get("evidence") or ()
    return SignalResult(signal=sig, outcome=outcome, tier=_TIERS[tier] if tier else None,
                        evidence_ids=tuple(str(e) for e in evidence) if isinstance(evidence, list) else (),
                        reason=raw.get("reason"))


def rejudge(doc: Any, rules: RuleSet, assume: Mapping[str, str] | None = None) -> Rejudged:
    """The scores of ``doc``'s signals under ``rules``, with ``assume`` overriding some signals.

    A signal the input does not mention is absent, as an auditor's sheet means it; assumed
    present signals count as configured evidence."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("signals"), Mapping):
        raise JudgeInputError("expected a bundle or an object with a 'signals' mapping")
    known = vocabulary()
    signals = {sig: _signal(sig, raw) for sig, raw in doc["signals"].items() if sig in known}
    ignored = tuple(sorted(sig for sig in doc["signals"] if sig not in known))
    for sig in known:
        signals.setdefault(sig, SignalResult(signal=sig, outcome=Outcome.ABSENT, tier=None))
    for sig, value in (assume or {}).items():
        signals[sig] = (SignalResult(signal=sig, outcome=Outcome.PRESENT, tier=Tier.CONFIGURED)
                        if value == "present" else SignalResult(signal=sig, outcome=Outcome.ABSENT, tier=None))
    before = {}
    for dim, entry in (doc.get("scores") or {}).items():
        level = entry.get("level") if isinstance(entry, Mapping) else entry
        if dim in DIMENSIONS and isinstance(level, int):
            before[dim] = level
    return Rejudged(scores=judge(rules, signals), signals=signals, before=before, assumed=dict(assume or {}), ignored=ignored)
