"""The rules engine: maturity rules as YAML data, evaluated over signal outcomes.

A rule file names, per dimension and level, criteria that must hold. A criterion's ``when`` is
a small boolean expression over signals::

    data.prep_code                            # shorthand: the signal is present
    {signal: X, min_tier: executed}           # present with at least that tier
    {any: [...]} / {all: [...]} / {not: ...}
    {min_count: 2, of: [...]}                 # at least N of the sub-expressions hold

A level holds when its criteria and all lower levels' hold; the level is the highest that
holds. The unmet criteria of the next level are the gap. The engine never reads files.

A criterion marked ``hygiene: true`` (a licence file, setup steps in the README) does not stop
the climb: as auditors do, a dimension whose practices are all there is scored on them, lower
while hygiene is missing (a level for each missing item up to level 2, one level in all from
level 3), and the missing hygiene stays in the gap.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from scanner.model import DIMENSIONS, Criterion, DimensionScore, Outcome, SignalResult, Tier
from scanner.parsing.structured import ParseError, load_package_yaml, load_yaml
from scanner.user_files import UserFileError, read_text
from scanner.vocabulary import SOURCE_NOT_GIVEN, vocabulary

PROFILES = ("default", "strict")
#: a rule file is a few kilobytes; anything near this is not one
MAX_RULES_BYTES = 1024 * 1024
_TIERS = {t.value: t for t in Tier}


class RuleError(ValueError):
    """A rule file is malformed; the message names the file and the place."""


@dataclass(frozen=True)
class Expr:
    """A parsed criterion expression."""

    op: str  # signal | any | all | not | min_count | twin
    signal: str | None = None
    min_tier: Tier | None = None
    parts: tuple["Expr", ...] = ()
    count: int = 0
    strict: bool = False
    """A repository signal with a live twin: strict profiles need executed evidence for it."""

    def signals(self) -> set[str]:
        """Every signal the expression mentions."""
        if self.op == "signal":
            return {self.signal}  # type: ignore[arg-type]
        return set().union(*(p.signals() for p in self.parts)) if self.parts else set()


@dataclass(frozen=True)
class Rule:
    """One criterion of one level."""

    id: str
    description: str
    when: Expr
    recommendation: str
    hygiene: bool = False
    """Missing, it lowers the level by one instead of capping it (see the module docstring)."""


@dataclass(frozen=True)
class RuleSet:
    """A whole rule file, parsed and checked."""

    name: str
    sha256: str
    levels: Mapping[str, Mapping[int, tuple[Rule, ...]]]
    """dimension -> level (1..4) -> criteria."""
    live_min_tier: Tier | None = None
    """Strict profiles: from level 2, a repository signal that has a live twin counts only at
    this tier or above (what code could do never stands in for what a running system shows)."""
    twins: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Repository signal -> the live signals that stand in for it."""
    live_only_when_given: Mapping[str, int] = field(default_factory=dict)
    """Strict profiles: dimension -> the level from which, when a twin's live source was given,
    only live evidence counts for the repository signal (monitoring: what Prometheus has loaded,
    not the rule file in the repository)."""


# -- loading -------------------------------------------------------------------------------
def _expr(raw: Any, where: str, known: Mapping[str, Any], twins: Mapping[str, tuple[str, ...]]) -> Expr:
    if isinstance(raw, str):
        raw = {"signal": raw}
    if not isinstance(raw, dict) or not raw:
        raise RuleError(f"{where}: expected a signal id or a mapping, got {type(raw).__name__}")
    if "signal" in raw:
        sig = raw["signal"]
        if sig not in known:
            raise RuleError(f"{where}: unknown signal {sig!r}")
        tier = raw.get("min_tier")
        if tier is not None and tier not in _TIERS:
            raise RuleError(f"{where}: unknown tier {tier!r} (one of {', '.join(_TIERS)})")
        own = Expr("signal", signal=sig, min_tier=_TIERS.get(tier) if tier else None, strict=sig in twins)
        if sig in twins:  # the live twin stands in for the repository signal
            return Expr("twin", parts=(own, *(Expr("signal", signal=live) for live in twins[sig])))
        return own
    for op in ("any", "all"):
        if op in raw:
            items = raw[op]
            if not isinstance(items, list) or not items:
                raise RuleError(f"{where}.{op}: expected a non-empty list")
            return Expr(op, parts=tuple(_expr(x, f"{where}.{op}[{i}]", known, twins) for i, x in enumerate(items)))
    if "not" in raw:
        return Expr("not", parts=(_expr(raw["not"], f"{where}.not", known, twins),))
    if "min_count" in raw:
        items = raw.get("of")
        if not isinstance(raw["min_count"], int) or not isinstance(items, list) or not items:
            raise RuleError(f"{where}: min_count needs an integer and an 'of' list")
        return Expr("min_count", count=raw["min_count"],
                    parts=tuple(_expr(x, f"{where}.of[{i}]", known, twins) for i, x in enumerate(items)))
    raise RuleError(f"{where}: unknown operator {', '.join(map(str, raw))} "
                    "(use signal, any, all, not, min_count)")


def parse_rules(text: str, origin: str, extra_signals: Mapping[str, Any] = {}, *, builtin: bool = False) -> RuleSet:
    """Parse and check a rule file's text; ``origin`` names it in errors (``builtin``: a profile
    shipped with the scanner, read by the fast loader)."""
    try:
        doc = load_package_yaml(text) if builtin else load_yaml(text)
    except ParseError as exc:
        raise RuleError(f"{origin}: {exc}") from exc
    if not isinstance(doc, dict):
        raise RuleError(f"{origin}: expected a mapping with a 'dimensions' key")
    name = str(doc.get("name") or Path(origin).stem)
    digest = hashlib.sha256(text.encode())
    if "extends" in doc:
        doc, base_text = _extend(doc, origin)
        digest.update(b"\0" + base_text.encode())  # what was extended is part of what applies
    if not isinstance(doc.get("dimensions"), dict):
        raise RuleError(f"{origin}: expected a mapping with a 'dimensions' key")
    known = {**vocabulary(), **extra_signals}
    twins = _twins(doc.get("twins"), origin, known)
    levels: dict[str, dict[int, tuple[Rule, ...]]] = {}
    for dim, body in doc["dimensions"].items():
        if dim not in DIMENSIONS:
            raise RuleError(f"{origin}: dimensions.{dim}: unknown dimension (one of {', '.join(DIMENSIONS)})")
        raw_levels = (body or {}).get("levels") if isinstance(body, dict) else None
        if not isinstance(raw_levels, dict):
            raise RuleError(f"{origin}: dimensions.{dim}: expected a 'levels' mapping")
        levels[dim] = {}
        for level, rules in raw_levels.items():
            where = f"{origin}: dimensions.{dim}.levels.{level}"
            if level not in (1, 2, 3, 4):
                raise RuleError(f"{where}: levels are 1 to 4")
            if not isinstance(rules, list) or not rules:
                raise RuleError(f"{where}: expected a non-empty list of criteria")
            parsed = []
            for i, rule in enumerate(rules):
                if not isinstance(rule, dict) or "when" not in rule:
                    raise RuleError(f"{where}[{i}]: a criterion needs 'when'")
                parsed.append(Rule(
                    id=str(rule.get("id", f"{dim}.{level}.{i}")),
                    description=str(rule.get("description", "")),
                    when=_expr(rule["when"], f"{where}[{i}].when", known, twins),
                    recommendation=str(rule.get("recommendation", "")),
                    hygiene=_flag(rule.get("hygiene", False), f"{where}[{i}].hygiene"),
                ))
            levels[dim][level] = tuple(parsed)
    missing = [d for d in DIMENSIONS if d not in levels]
    if missing:
        raise RuleError(f"{origin}: dimensions missing: {', '.join(missing)}")
    strict = doc.get("strict") or {}
    tier = strict.get("live_min_tier") if isinstance(strict, dict) else None
    if tier is not None and tier not in _TIERS:
        raise RuleError(f"{origin}: strict.live_min_tier: unknown tier {tier!r}")
    live_only = strict.get("live_only_when_given") or {} if isinstance(strict, dict) else {}
    if not isinstance(live_only, dict) or not all(
            d in DIMENSIONS and isinstance(lvl, int) and 1 <= lvl <= 4 for d, lvl in live_only.items()):
        raise RuleError(f"{origin}: strict.live_only_when_given: expected dimension -> level (1-4)")
    return RuleSet(name=name, sha256=digest.hexdigest(), levels=levels,
                   live_min_tier=_TIERS.get(tier) if tier else None, twins=twins, live_only_when_given=live_only)


def _flag(raw: Any, where: str) -> bool:
    if not isinstance(raw, bool):
        raise RuleError(f"{where}: expected true or false")
    return raw


def _twins(raw: Any, origin: str, known: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The ``twins`` map: each repository signal and the live signal(s) that stand in for it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise RuleError(f"{origin}: twins: expected a mapping of repository signal -> live signal(s)")
    vocab = vocabulary()
    out = {}
    for repo_sig, value in raw.items():
        lives = tuple(value) if isinstance(value, list) else (value,)
        if not lives or not all(isinstance(v, str) for v in lives):
            raise RuleError(f"{origin}: twins.{repo_sig}: expected a live signal or a list of them")
        for sig in (repo_sig, *lives):
            if sig not in known:
                raise RuleError(f"{origin}: twins.{repo_sig}: unknown signal {sig!r}")
        for live_sig in lives:
            if live_sig in vocab and not vocab[live_sig].live:
                raise RuleError(f"{origin}: twins.{repo_sig}: {live_sig!r} is not a live signal")
        out[repo_sig] = lives
    return out


def _builtin_text(profile: str) -> str:
    if profile not in PROFILES:
        raise RuleError(f"unknown rules profile {profile!r} (one of {', '.join(PROFILES)})")
    return resources.files("rules").joinpath(f"{profile}.yaml").read_text(encoding="utf-8")


def _extend(doc: dict, origin: str) -> tuple[dict, str]:
    """Overlay a rule file on the built-in profile it extends, level by level (and its text)."""
    try:
        base_text = _builtin_text(str(doc["extends"]))
    except RuleError as exc:
        raise RuleError(f"{origin}: extends: {exc}") from exc
    base = load_package_yaml(base_text)
    dims = {d: {"levels": dict((b or {}).get("levels") or {})} for d, b in base["dimensions"].items()}
    for dim, body in (doc.get("dimensions") or {}).items():
        levels = (body or {}).get("levels") if isinstance(body, dict) else None
        dims.setdefault(dim, {"levels": {}})["levels"].update(levels or {})
    merged = {**base, **{k: v for k, v in doc.items() if k != "extends"}}
    merged["dimensions"] = dims
    return merged, base_text


def load_rules(path: str | Path | None = None, profile: str = "default") -> RuleSet:
    """A user's rule file, or a built-in profile."""
    if path is not None:
        try:
            text = read_text(path, MAX_RULES_BYTES, what="rule file")
        except UserFileError as exc:
            raise RuleError(str(exc)) from exc
        return parse_rules(text, str(path))
    return parse_rules(_builtin_text(profile), f"{profile}.yaml", builtin=True)


# -- evaluation ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Verdict:
    held: bool
    evidence: tuple[str, ...]
    unknown: tuple[str, ...]


def _evaluate(expr: Expr, signals: Mapping[str, SignalResult], min_tier: Tier | None,
              live_only: bool = False) -> _Verdict:
    """``min_tier`` is the strict profile's floor for repository signals that have a live twin;
    ``live_only``: where a twin's live source was given, only live evidence counts for it."""
    if expr.op == "twin" and live_only and any(_given(p.signal, signals) for p in expr.parts[1:]):
        own = replace(expr.parts[0], min_tier=Tier.LIVE)
        expr = replace(expr, parts=(own, *expr.parts[1:]))
    if expr.op == "signal":
        res = signals.get(expr.signal)  # type: ignore[arg-type]
        if res is None or res.outcome in (Outcome.NOT_AVAILABLE, Outcome.ERROR):
            return _Verdict(False, (), (expr.signal,))  # type: ignore[arg-type]
        need = expr.min_tier or (min_tier if expr.strict else None)
        held = res.outcome is Outcome.PRESENT and (
            need is None or (res.tier is not None and res.tier.rank >= need.rank))
        return _Verdict(held, res.evidence_ids if held else (), ())
    subs = [_evaluate(p, signals, min_tier, live_only) for p in expr.parts]
    unknown = tuple(s for v in subs for s in v.unknown)
    if expr.op == "not":
        # "could not check" is never "absent": a negation over unchecked signals does not hold
        return _Verdict(not subs[0].held and not unknown, (), unknown)
    hits = [v for v in subs if v.held]
    need = {"any": 1, "twin": 1, "all": len(subs), "min_count": expr.count}[expr.op]
    held = len(hits) >= need
    return _Verdict(held, tuple(e for v in hits for e in v.evidence) if held else (), unknown)


def _given(signal: str | None, signals: Mapping[str, SignalResult]) -> bool:
    """The signal's source was given to the scan (whether or not it could answer)."""
    res = signals.get(signal or "")
    spec = vocabulary().get(signal or "")
    return res is not None and spec is not None and not (
        res.outcome is Outcome.NOT_AVAILABLE and res.reason == SOURCE_NOT_GIVEN.get(spec.source))


def _tier_for(rules: RuleSet, level: int) -> Tier | None:
    return rules.live_min_tier if level >= 2 else None


def _criteria(rules: RuleSet, dim: str, lvl: int, signals: Mapping[str, SignalResult]) -> list[tuple[Rule, Criterion]]:
    out = []
    for rule in rules.levels[dim].get(lvl, ()):
        min_tier = _tier_for(rules, lvl)
        live_only = lvl >= rules.live_only_when_given.get(dim, 5)
        verdict = _evaluate(rule.when, signals, min_tier, live_only)
        out.append((rule, Criterion(
            id=rule.id, description=rule.description, held=verdict.held,
            evidence_ids=tuple(sorted(set(verdict.evidence))),
            recommendation=rule.recommendation or None,
            unknown_signals=_blocking_unknowns(rule.when, signals, verdict, min_tier, live_only),
        )))
    return out


def judge(rules: RuleSet, signals: Mapping[str, SignalResult]) -> dict[str, DimensionScore]:
    """Score every dimension from the signal outcomes."""
    scores = {}
    for dim in DIMENSIONS:
        met: list[Criterion] = []
        top: list[Criterion] = []  # criteria of the highest level that holds
        hygiene: list[Criterion] = []  # missing hygiene criteria up to the practices' level
        practices = 0
        gap: list[Criterion] = []
        for lvl in (1, 2, 3, 4):
            evaluated = _criteria(rules, dim, lvl, signals)
            if not evaluated or not all(c.held for r, c in evaluated if not r.hygiene):
                gap = [c for _r, c in evaluated if not c.held]
                break
            practices = lvl
            met.extend(c for _r, c in evaluated if c.held)
            top = [c for _r, c in evaluated if c.held]
            hygiene.extend(c for r, c in evaluated if r.hygiene and not c.held)
        # auditors score missing hygiene one level down for each item at the basic levels, and
        # one level in all under practices that are automated (level 3 and up)
        level = max(practices - (min(len(hygiene), 1) if practices >= 3 else len(hygiene)), 0)
        scores[dim] = DimensionScore(
            dimension=dim, level=level,
            confidence=_confidence(rules, dim, signals),
            met=tuple(met), gap=tuple(hygiene + gap),
            recommendations=tuple(c.recommendation for c in hygiene + gap if c.recommendation),
            reason=_reason(level, top, gap, hygiene, practices),
        )
    return scores


def _blocking_unknowns(expr: Expr, signals: Mapping[str, SignalResult], verdict: _Verdict,
                       min_tier: Tier | None, live_only: bool) -> tuple[str, ...]:
    """Unchecked signals that alone keep a criterion from holding (a missing source caps it)."""
    if verdict.held or not verdict.unknown:
        return ()
    assumed = dict(signals)
    for sig in verdict.unknown:
        assumed[sig] = SignalResult(signal=sig, outcome=Outcome.PRESENT, tier=Tier.LIVE)
    return tuple(sorted(set(verdict.unknown))) if _evaluate(expr, assumed, min_tier, live_only).held else ()


def _confidence(rules: RuleSet, dim: str, signals: Mapping[str, SignalResult]) -> float:
    """Share of the dimension's signals that could be checked; live sources weigh a fifth."""
    vocab = vocabulary()
    named = set().union(*(r.when.signals() for rules_ in rules.levels[dim].values() for r in rules_))
    checked = {s for s in named if s in signals
               and signals[s].outcome not in (Outcome.NOT_AVAILABLE, Outcome.ERROR)}
    repo = [s for s in named if not (s in vocab and vocab[s].live)]
    live = [s for s in named if s in vocab and vocab[s].live]
    repo_share = sum(s in checked for s in repo) / len(repo) if repo else 1.0
    if not live:
        return round(repo_share, 2)
    live_share = sum(s in checked for s in live) / len(live)
    return round(0.8 * repo_share + 0.2 * live_share, 2)


def _reason(level: int, top: list[Criterion], gap: list[Criterion], hygiene: list[Criterion],
            practices: int) -> str:
    """One line: what holds at this level, or what is missing for level 1."""
    if level == 0:
        why = "level 0: missing " + ("; ".join(c.description for c in hygiene or gap) or "level-1 criteria")
    else:
        why = f"level {level}: " + "; ".join(c.description for c in top)
    if hygiene and level > 0:
        below = "one" if practices - level == 1 else str(practices - level)
        why += (f" ({below} below the practices' level {practices}: missing "
                + "; ".join(c.description for c in hygiene) + ")")
    # say when the next level is out of reach only because a source was missing
    unknown = sorted({s for c in gap for s in c.unknown_signals})
    if unknown:
        why += f" (capped: {', '.join(unknown)} not available)"
    return why
