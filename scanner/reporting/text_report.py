"""The terminal report: per dimension the level, a bar, why, and the next step."""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from scanner.model import Outcome, ScanResult

LABELS = {
    "data_management": "Data management",
    "experiment_tracking": "Experiment tracking",
    "model_deployment": "Model deployment",
    "monitoring": "Monitoring",
    "governance": "Governance",
    "collaboration": "Collaboration",
}
LEVEL_NAMES = ("none / ad hoc", "manual", "repeatable", "automated", "closed loop")


def _bar(level: int) -> str:
    return "#" * level + "." * (4 - level)


def render_text(result: ScanResult) -> str:
    """A readable report for a terminal or a CI log."""
    t = result.target
    head = f"mlops-scan {result.tool_version}  {t.kind}:{t.name}"
    if t.commit:
        head += f" @ {t.commit[:12]}"
    lines = [head, f"rules: {result.rules_name}", ""]
    width = max(len(v) for v in LABELS.values())
    for dim, score in result.scores.items():
        lines.append(f"{LABELS.get(dim, dim):<{width}}  [{_bar(score.level)}] {score.level}/4 "
                     f"{LEVEL_NAMES[score.level]}  (confidence {score.confidence:.2f})")
        lines.append(f"{'':<{width}}  why:  {score.reason}")
        if score.gap:
            step = score.recommendations[0] if score.recommendations else score.gap[0].description
            lines.append(f"{'':<{width}}  next: {step}")
    lines += ["", f"overall: min {result.overall_min}, mean {result.overall_mean:.2f}"]
    present = sum(1 for s in result.signals.values() if s.outcome is Outcome.PRESENT)
    lines.append(f"signals: {present} present of {len(result.signals)}, "
                 f"{len(result.evidence)} pieces of evidence")
    lines += _not_checked(result)
    return printable("\n".join(lines)) + "\n"


def work_tree_notes(target: dict[str, Any], repository: dict[str, Any]) -> list[str]:
    """What a reader of the evidence must know about what was read: a repository made only of
    examples, files left unread, a work tree that differs from the commit the bundle names."""
    out = []
    if repository.get("git_unusable"):
        out.append(str(repository["git_unusable"]))
    if repository.get("examples_only"):
        out.append("the repository holds only example, docs or fixture folders: their code is scored as the project's")
    untracked = repository.get("untracked_files") or 0
    if untracked and not repository.get("include_untracked"):
        out.append(f"{untracked} untracked file(s) not read (--include-untracked reads them)")
    if target.get("dirty"):
        modified = target.get("modified_files") or []
        out.append(f"the work tree differs from commit {str(target.get('commit'))[:12]} "
                   f"({len(modified)} modified file(s){', untracked files read' if untracked and repository.get('include_untracked') else ''}): "
                   "the evidence is of the work tree")
    return out


def _not_checked(result: ScanResult) -> list[str]:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for sig, res in result.signals.items():
        if res.outcome in (Outcome.NOT_AVAILABLE, Outcome.ERROR):
            by_reason[f"{res.outcome.value}: {res.reason or 'no reason given'}"].append(sig)
    repo = result.coverage.get("sources", {}).get("repository", {})
    skipped = repo.get("skipped_files") or {}
    unparsed = repo.get("unparsed_files") or {}
    t = result.target
    tree = work_tree_notes({"dirty": t.dirty, "modified_files": t.modified, "commit": t.commit}, repo)
    if not (by_reason or skipped or unparsed or result.errors or tree):
        return []
    out = ["", "not checked:"]
    out += [f"  - {note}" for note in tree]
    for reason, sigs in sorted(by_reason.items()):
        out.append(f"  - {len(sigs)} signal(s), {reason}")
    if skipped:
        out.append(f"  - {len(skipped)} file(s) not read (size cap, links out of the repository, unreadable)")
    if unparsed:
        out.append(f"  - {len(unparsed)} file(s) could not be parsed fully")
    for err in result.errors:
        out.append(f"  - error in {err['source']}: {err['message']}")
    return out

def printable(text: str) -> str:
    """``text`` for a terminal: control characters other than the line breaks the report is
    made of (an escape sequence that retitles the window or clears the screen, a carriage return
    that overwrites a line) and the bidirectional overrides that reorder what is shown are
    written out as escapes (``\\x1b``), so a file name or a message cannot act on the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
