"""One scan: run every detector over the sources, fold evidence into signals, judge them."""
from __future__ import annotations

import gc
import logging
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import partial
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from scanner import __version__
from scanner.deadline import Deadline
from scanner.detector import Detector, LoadedDetectors, ScanContext, load_detectors
from scanner.model import Evidence, Outcome, ScanResult, SignalResult, Target, Tier
from scanner.parallel import run_shared
from scanner.rules_engine import RuleSet, judge
from scanner.scope import ci_built_examples, copied_projects, examples_only, scope_evidence
from scanner.sources.interface import RepoView
from scanner.vocabulary import MONITORING_SOURCES, SOURCE_NOT_GIVEN, families, vocabulary

log = logging.getLogger(__name__)

#: vocabulary source -> the ScanContext source that serves it.
_CONTEXT_SOURCE = {"repository": "repo", "mlflow": "mlflow", "platform": "platform",
                   **{name: name for name in MONITORING_SOURCES}}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class _Run:
    """What one detector's run gave: its evidence, coverage entry and error, and whether it ran
    to the end (then it decides its signals)."""

    evidence: list[Evidence]
    coverage: dict
    error: dict[str, str] | None = None
    decided: bool = False


def run_detectors(
    ctx: ScanContext,
    detectors: Iterable[type[Detector]],
    *,
    debug: bool = False,
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
    deadline: Deadline | None = None,
) -> tuple[list[Evidence], dict[str, dict], list[dict[str, str]], set[str]]:
    """Run detectors; a failing one becomes error evidence and an entry in ``errors``.

    With ``jobs`` over 1 the detectors are shared out over forked processes where that is safe
    (see ``scanner.parallel``); the result is the same as one process gives, in the same order.
    Returns the evidence, per-detector coverage, errors, and the signals that some detector
    which ran decides (those with no evidence are then absent, not unknown). A detector whose
    turn comes after the ``deadline`` is not run: its signals are not_available.
    """
    detectors = list(detectors)
    deadline = deadline or Deadline()
    runnable = [cls for cls in detectors if all(s in ctx.sources for s in cls.sources)]
    known_families = families()
    run = partial(_run_one, ctx, known_families=known_families, debug=debug, progress=progress, deadline=deadline)
    runs = run_shared(ctx, runnable, run, jobs=jobs if not debug else 1, deadline=deadline)
    evidence: list[Evidence] = []
    coverage: dict[str, dict] = {}
    errors: list[dict[str, str]] = []
    decided: set[str] = set()
    for cls in detectors:
        outcome = runs.get(cls.id)
        if outcome is None:
            missing = [s for s in cls.sources if s not in ctx.sources]
            coverage[cls.id] = {"status": "skipped", "reason": f"needs source(s): {', '.join(missing)}"}
            continue
        evidence.extend(outcome.evidence)
        coverage[cls.id] = outcome.coverage
        if outcome.error:
            errors.append(outcome.error)
        if outcome.decided:
            decided.update(cls.signals)
    return evidence, coverage, errors, decided


def _run_one(ctx: ScanContext, cls: type[Detector], *, known_families: frozenset[str] | set[str],
             debug: bool, progress: Callable[[str], None] | None, deadline: Deadline) -> _Run:
    if deadline.passed:
        why = f"not run: {deadline.reason()}"
        return _Run(evidence=[Evidence.make(signal=sig, detector=cls.id, outcome=Outcome.NOT_AVAILABLE, tier=None,
                                            summary=why) for sig in cls.signals],
                    coverage={"status": "not_available", "reason": why},
                    error={"source": f"detector:{cls.id}", "message": why})
    if progress:
        progress(cls.id)
    started = time.perf_counter()
    try:
        found = []
        for ev in cls().detect(ctx):
            if ev.signal.split(".", 1)[0] not in known_families:
                raise ValueError(f"evidence for signal {ev.signal!r} outside the vocabulary's families")
            found.append(ev)
    except Exception as exc:
        if debug:
            raise
        log.warning("detector %s failed: %s", cls.id, exc)
        message = f"{exc.__class__.__name__}: {exc}"
        return _Run(
            evidence=[Evidence.make(signal=sig, detector=cls.id, outcome=Outcome.ERROR, tier=None,
                                    summary=f"detector {cls.id} failed: {message}")
                      for sig in cls.signals],
            coverage={"status": "error", "reason": message},
            error={"source": f"detector:{cls.id}", "message": message},
        )
    return _Run(evidence=found, decided=True,
                coverage={"status": "ok", "evidence": len(found), "seconds": round(time.perf_counter() - started, 3)})


def fold_signals(evidence: list[Evidence], decided: set[str],
                 given: frozenset[str] = frozenset({"repo"})) -> dict[str, SignalResult]:
    """The verdict per signal: present beats error beats not_available beats absent.

    Only evidence of tier configured or above makes a signal present; declared mentions are
    kept on an absent signal so a reader sees them. Every vocabulary signal gets a verdict;
    ``given`` names the sources of this scan, to say why an unchecked signal was not checked.
    """
    by_signal: dict[str, list[Evidence]] = defaultdict(list)
    for ev in evidence:
        by_signal[ev.signal].append(ev)
    vocab = vocabulary()
    out: dict[str, SignalResult] = {}
    for sig in sorted(set(vocab) | set(by_signal)):
        evs = by_signal.get(sig, [])
        counting = [e for e in evs if e.counts]
        errors = [e for e in evs if e.outcome is Outcome.ERROR]
        unavailable = [e for e in evs if e.outcome is Outcome.NOT_AVAILABLE]
        if counting:
            best = max(e.tier.rank for e in counting)  # type: ignore[union-attr]
            strongest = [e for e in counting if e.tier.rank == best]  # type: ignore[union-attr]
            out[sig] = SignalResult(signal=sig, outcome=Outcome.PRESENT, tier=strongest[0].tier,
                                    evidence_ids=tuple(sorted({e.id for e in counting})))
        elif errors or unavailable:
            chosen = errors or unavailable
            out[sig] = SignalResult(signal=sig, outcome=chosen[0].outcome, tier=None,
                                    evidence_ids=tuple(sorted({e.id for e in chosen})),
                                    reason="; ".join(sorted({e.summary for e in chosen}))[:500])
        elif sig in decided or evs:
            mentions = [e for e in evs if e.tier in (Tier.DECLARED, Tier.ATTESTED)]
            out[sig] = SignalResult(signal=sig, outcome=Outcome.ABSENT,
                                    tier=Tier.DECLARED if mentions else None,
                                    evidence_ids=tuple(sorted({e.id for e in mentions})))
        else:
            spec = vocab.get(sig)
            source = spec.source if spec else ""
            reason = ("no detector checks this signal" if _CONTEXT_SOURCE.get(source) in given
                      else SOURCE_NOT_GIVEN.get(source, "no detector checks this signal"))
            out[sig] = SignalResult(signal=sig, outcome=Outcome.NOT_AVAILABLE, tier=None, reason=reason)
    return out


def overlay_attested(signals: dict[str, SignalResult], attested: Sequence[Evidence], *,
                     counted: bool) -> dict[str, SignalResult]:
    """Attested evidence makes a signal present only where nothing detected does.

    It is never folded with detected evidence: the signal then carries tier ``attested`` and
    only the attestations' ids, so every reader can tell assertion from detection. With
    ``counted`` false (audit profiles) the signals are left as detected.
    """
    if not counted:
        return signals
    out = dict(signals)
    by_signal: dict[str, list[str]] = defaultdict(list)
    for ev in attested:
        by_signal[ev.signal].append(ev.id)
    for sig, ids in by_signal.items():
        current = out.get(sig)
        if current is None or current.outcome is not Outcome.PRESENT:
            out[sig] = SignalResult(signal=sig, outcome=Outcome.PRESENT, tier=Tier.ATTESTED,
                                    evidence_ids=tuple(sorted(set(ids))))
    return out


def _dedupe(evidence: list[Evidence]) -> tuple[Evidence, ...]:
    """One evidence per id (the strongest), sorted, so output is deterministic."""
    best: dict[str, Evidence] = {}
    for ev in evidence:
        cur = best.get(ev.id)
        if cur is None or (ev.counts and not cur.counts):
            best[ev.id] = ev
    return tuple(sorted(best.values(), key=lambda e: (e.signal, e.detector, e.id)))


#: the cyclic garbage collector's thresholds during detection (CPython's default: 700, 10, 10).
#: Parsing builds hundreds of thousands of syntax nodes, none of them in cycles; with the default
#: the collector keeps walking every tree the scan holds, a fifth of the scan's time.
_SCAN_GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Collect garbage less often while detectors run (the thresholds are restored after)."""
    before = gc.get_threshold()
    gc.set_threshold(*_SCAN_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def scan(
    repo: RepoView | None,
    rules: RuleSet,
    *,
    target: Target | None = None,
    mlflow: Any = None,
    platform: Any = None,
    monitoring: Mapping[str, Any] | None = None,
    loaded: LoadedDetectors | None = None,
    debug: bool = False,
    progress: Callable[[str], None] | None = None,
    attested: Sequence[Evidence] = (),
    jobs: int = 1,
    deadline: Deadline | None = None,
) -> ScanResult:
    """Scan the sources with every registered detector and judge the result.

    ``mlflow`` is a tracking-server source (``scanner.sources.mlflow_server.MLflowSource``);
    ``platform`` a hosting-platform source; ``monitoring`` the live monitoring sources by name
    (``scanner.sources.live_http.LiveSource``); each needs a ``describe()`` for coverage.
    ``attested`` is evidence people assert in the configuration (tier ``attested``).
    ``jobs`` is how many processes detection may use (``scanner.parallel``); the result is the
    same for any number. Past the ``deadline`` (``--timeout``) no detector starts: what it would
    have checked is not_available.
    """
    started = _now()
    loaded = loaded or load_detectors()
    ctx = ScanContext(repo, mlflow=mlflow, platform=platform, monitoring=monitoring)
    with _few_collections():
        try:
            evidence, det_cov, errors, decided = run_detectors(ctx, loaded.detectors, debug=debug, progress=progress,
                                                               jobs=jobs, deadline=deadline)
        finally:
            ctx.release()
    examples = examples_only(repo.files()) if repo is not None else False
    shipped = ci_built_examples(repo.files(), repo.read_text) if repo is not None else frozenset()
    copies = copied_projects(repo.files()) if repo is not None else frozenset()
    evidence = scope_evidence(evidence, examples_are_the_project=examples, shipped=shipped, copies=copies)
    for name, why in sorted(loaded.failures.items()):
        errors.append({"source": f"plugin:{name}", "message": why})
        det_cov[name] = {"status": "error", "reason": why}
    evidence_t = _dedupe(evidence)
    signals = fold_signals(list(evidence_t), decided, ctx.sources)
    coverage = {"detectors": det_cov, "sources": _source_coverage(repo, ctx)}
    if examples:
        coverage["sources"]["repository"]["examples_only"] = True
    _note_source_failures(signals, coverage["sources"], errors)
    _note_unread(signals, coverage["sources"], errors, repo)
    if attested:
        # a profile that demands executed/live evidence (strict) is an audit: assertions do not count
        signals = overlay_attested(signals, attested, counted=rules.live_min_tier is None)
        evidence_t = tuple(sorted((*evidence_t, *attested), key=lambda e: (e.signal, e.detector, e.id)))
    if target is None:
        target = repo.target if repo is not None else Target(kind="mlflow", name=getattr(mlflow, "display_uri", ""))
    return ScanResult(
        target=target,
        tool_version=__version__,
        rules_name=rules.name,
        rules_sha256=rules.sha256,
        started_at=started,
        finished_at=_now(),
        signals=signals,
        evidence=evidence_t,
        scores=judge(rules, signals),
        coverage=coverage,
        errors=tuple(errors),
    )


def _note_source_failures(signals: dict[str, SignalResult], sources: dict, errors: list[dict[str, str]]) -> None:
    """A live source that could not answer shows in coverage and errors, not only per signal."""
    vocab = vocabulary()
    for name, entry in sources.items():
        if entry.get("status") != "ok" or name == "repository":
            continue
        failed = sorted({r.reason for sig, r in signals.items()
                         if sig in vocab and vocab[sig].source == name and r.reason
                         and r.outcome in (Outcome.NOT_AVAILABLE, Outcome.ERROR)})
        if failed:
            entry["status"] = "not_available"
            entry["reason"] = "; ".join(failed)[:500]
            errors.append({"source": name, "message": entry["reason"]})


def _note_unread(signals: dict[str, SignalResult], sources: dict, errors: list[dict[str, str]],
                 repo: RepoView | None) -> None:
    """Folders of a hosted repository that could not be listed and files that could not be read
    (the deadline, a failing API): the repository's signals found absent were never checked
    there, so they are not_available, not absent."""
    folders = tuple(getattr(repo, "unread_folders", ()))
    files = sorted(getattr(repo, "unread_files", {}).items())
    if not folders and not files:
        return
    parts = []
    if folders:
        parts.append(f"{len(folders)} folder(s) of the repository could not be listed: " + _shown(folders))
    if files:
        parts.append(f"{len(files)} file(s) of the repository could not be read: " + _shown(files))
    reason = "; ".join(parts)
    vocab = vocabulary()
    for sig, res in list(signals.items()):
        if res.outcome is Outcome.ABSENT and sig in vocab and vocab[sig].source == "repository":
            signals[sig] = replace(res, outcome=Outcome.NOT_AVAILABLE, reason=reason)
    entry = sources.get("repository")
    if isinstance(entry, dict):
        if folders:
            entry["unread_folders"] = [folder for folder, _ in folders]
        if files:
            entry["unread_files"] = len(files)
    errors.append({"source": "repository", "message": reason[:500]})


def _shown(items: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{name} ({why})" for name, why in items[:3]) + (" ..." if len(items) > 3 else "")


def _untracked_coverage(repo: RepoView) -> dict:
    """Files of a git work tree that git does not track: counted, and read only when asked."""
    untracked = getattr(repo, "untracked", None)
    if untracked is None:  # not a git work tree: there is nothing git leaves out
        return {}
    return {"untracked_files": len(untracked), "include_untracked": bool(getattr(repo, "include_untracked", False))}


def _source_coverage(repo: RepoView | None, ctx: ScanContext) -> dict:
    out: dict = {name: {"status": "skipped", "reason": why} for name, why in
                 (("platform", SOURCE_NOT_GIVEN["platform"]), ("mlflow", SOURCE_NOT_GIVEN["mlflow"]))}
    for name, source in (("mlflow", ctx.mlflow), ("platform", ctx.platform), *ctx.monitoring.items()):
        if source is not None:
            out[name] = {"status": "ok", **source.describe()}
    if repo is None:
        out["repository"] = {"status": "skipped", "reason": "no repository given"}
        return out
    history = ctx.history()
    out["repository"] = {
        "status": "ok",
        "files": len(repo.files()),
        "files_read": len(repo.log.sha256),
        "skipped_files": dict(sorted(repo.log.skipped.items())),
        "unparsed_files": dict(sorted(ctx.problems.items())),
        **_untracked_coverage(repo),
        **({"git_unusable": repo.git_unusable} if getattr(repo, "git_unusable", None) else {}),
        "history": ({"commits": len(history.commits), "tags": len(history.tags),
                     "truncated": history.truncated} if history else None),
    }
    return out
