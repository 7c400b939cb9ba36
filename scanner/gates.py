"""Targets and gates: the level each dimension must reach, and the next steps in order.

A target profile (``--target data_management=3`` or ``targets:`` in the config) and
``--fail-under N`` set a required level per dimension; a dimension below it fails the gate
unless a dimension waiver covers it. The gap of every dimension is ordered by the usual
investment sequence: tracking and registry, then CI/CD of training, then monitoring with
drift detection, then automated retraining; within a step the lowest dimension comes first.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Sequence

from scanner.config import ConfigError, Waiver
from scanner.model import DIMENSIONS, ScanResult
from scanner.rules_engine import RuleSet

#: the investment sequence; a criterion takes the first step whose test it passes.
STAGES: tuple[str, ...] = (
    "tracking and registry",
    "CI/CD of training",
    "monitoring with drift detection",
    "automated retraining",
    "governance and collaboration",
)
_STAGE_OF_DIMENSION = {
    "experiment_tracking": 0,
    "model_deployment": 1,
    "data_management": 1,  # automated, validated data pipelines are part of training CI/CD
    "monitoring": 2,
    "governance": 4,
    "collaboration": 4,
}
_RETRAINING_SIGNALS = frozenset({"monitoring.retrain_trigger"})


@dataclass(frozen=True, kw_only=True)
class GateCheck:
    """One dimension against the level it must reach."""

    dimension: str
    level: int
    required: int
    waived_by: Waiver | None = None
    """An active dimension waiver: the shortfall is reported but does not fail."""

    @property
    def passed(self) -> bool:
        """The level reaches the requirement."""
        return self.level >= self.required

    @property
    def failed(self) -> bool:
        """Below the requirement and not waived."""
        return not self.passed and self.waived_by is None


@dataclass(frozen=True, kw_only=True)
class NextStep:
    """One unmet criterion of a dimension's next level, placed in the investment sequence."""

    dimension: str
    level: int
    criterion: str
    description: str
    recommendation: str
    stage: str
    signals: tuple[str, ...]
    required: int | None = None
    waived_by: Waiver | None = None


@dataclass(frozen=True, kw_only=True)
class Assessment:
    """Gate checks and ordered next steps for one scan."""

    checks: tuple[GateCheck, ...]
    next_steps: tuple[NextStep, ...]

    def failures(self) -> list[str]:
        """One line per failed gate."""
        return [f"{c.dimension} is at level {c.level}, below the required {c.required}"
                for c in self.checks if c.failed]


def required_levels(targets: Mapping[str, int] | None, fail_under: int | None) -> dict[str, int]:
    """The level each dimension must reach: its target, raised to ``fail_under``."""
    out = {}
    for dim in DIMENSIONS:
        wanted = [v for v in ((targets or {}).get(dim), fail_under) if v is not None]
        if wanted:
            out[dim] = max(wanted)
    return out


def criterion_signals(rules: RuleSet) -> dict[str, tuple[str, ...]]:
    """Criterion id -> the signals its expression names."""
    return {rule.id: tuple(sorted(rule.when.signals()))
            for levels in rules.levels.values() for rules_ in levels.values() for rule in rules_}


def check_waivers(waivers: Sequence[Waiver], rules: RuleSet) -> None:
    """Every waiver names a dimension or a criterion of the rules in use."""
    known = set(DIMENSIONS) | set(criterion_signals(rules))
    for waiver in waivers:
        if waiver.id not in known:
            raise ConfigError(f"waiver {waiver.id!r}: neither a dimension nor a criterion of the rules "
                              f"{rules.name!r} (`mlops-scan explain DIMENSION` lists criteria)")


def stage_of(dimension: str, signals: Sequence[str]) -> int:
    """Index in STAGES of a criterion of ``dimension`` naming ``signals``."""
    if signals and set(signals) <= _RETRAINING_SIGNALS:
        return STAGES.index("automated retraining")
    return _STAGE_OF_DIMENSION.get(dimension, len(STAGES) - 1)


def assess(result: ScanResult, rules: RuleSet, *, targets: Mapping[str, int] | None = None,
           fail_under: int | None = None, waivers: Sequence[Waiver] = (),
           today: dt.date | None = None) -> Assessment:
    """Check the gates and order the gap; only waivers active ``today`` apply."""
    today = today or dt.date.today()
    active = {w.id: w for w in waivers if w.active(today)}
    required = required_levels(targets, fail_under)
    checks = tuple(GateCheck(dimension=dim, level=result.scores[dim].level, required=need,
                             waived_by=active.get(dim) if result.scores[dim].level < need else None)
                   for dim, need in required.items())
    signals_of = criterion_signals(rules)
    steps = []
    for dim in DIMENSIONS:
        score = result.scores[dim]
        for crit in score.gap:
            sigs = signals_of.get(crit.id, ())
            steps.append(NextStep(
                dimension=dim, level=score.level, criterion=crit.id, description=crit.description,
                recommendation=crit.recommendation or "", stage=STAGES[stage_of(dim, sigs)],
                signals=sigs, required=required.get(dim), waived_by=active.get(crit.id)))
    order = {dim: i for i, dim in enumerate(DIMENSIONS)}
    steps.sort(key=lambda s: (STAGES.index(s.stage), s.level, order[s.dimension]))  # stable: rule order kept
    return Assessment(checks=checks, next_steps=tuple(steps))
