"""``mlops-scan judge BUNDLE|-``: score saved signals again, under other rules or assumptions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from scanner.model import DIMENSIONS
from scanner.rejudge import JudgeInputError, Rejudged, parse_assumptions, rejudge
from scanner.reporting.json_report import score_dict
from scanner.rules_engine import PROFILES, RuleError, RuleSet, load_rules
from scanner.user_files import MAX_BUNDLE_BYTES, UserFileError, load_json, read_stdin, read_text



def _read(source: str) -> Any:
    try:
        text = read_stdin(MAX_BUNDLE_BYTES, what="bundle") if source == "-" else \
            read_text(source, MAX_BUNDLE_BYTES, what="bundle")
        return load_json(text, "standard input" if source == "-" else source)
    except UserFileError as exc:
        raise click.UsageError(str(exc)) from exc


def _as_json(result: Rejudged, rules: RuleSet) -> str:
    doc = {"rules": {"name": rules.name, "sha256": rules.sha256},
           "assumed": result.assumed, "ignored_signals": list(result.ignored),
           "scores": {dim: {**score_dict(s), "before": result.before.get(dim)} for dim, s in result.scores.items()},
           "signals": {sig: {"outcome": r.outcome.value, "tier": r.tier.value if r.tier else None,
                             "evidence": list(r.evidence_ids)} for sig, r in sorted(result.signals.items())},
           "overall": result.overall}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _change(result: Rejudged, dim: str) -> str:
    before = result.before.get(dim)
    level = result.scores[dim].level
    return "" if before is None or before == level else f" (was {before})"


def _as_text(result: Rejudged, rules: RuleSet) -> str:
    lines = [f"rules: {rules.name}"]
    if result.assumed:
        lines.append("assuming: " + ", ".join(f"{s}={v}" for s, v in sorted(result.assumed.items())))
    width = max(map(len, DIMENSIONS))
    for dim in DIMENSIONS:
        s = result.scores[dim]
        lines.append(f"{dim:<{width}}  {s.level}/4{_change(result, dim)}  {s.reason}")
    lines.append(f"overall: min {result.overall['min']}, mean {result.overall['mean']}")
    if result.ignored:
        lines.append(f"ignored (not in the vocabulary): {', '.join(result.ignored)}")
    return "\n".join(lines) + "\n"


def _as_markdown(result: Rejudged, rules: RuleSet) -> str:
    lines = [f"# Scores under `{rules.name}`", ""]
    if result.assumed:
        lines += ["Assuming " + ", ".join(f"`{s}` {v}" for s, v in sorted(result.assumed.items())) + ".", ""]
    lines += ["| dimension | level | why | next level needs |", "|---|---|---|---|"]
    for dim in DIMENSIONS:
        s = result.scores[dim]
        gap = "; ".join(c.description for c in s.gap) or "-"
        lines.append(f"| {dim} | {s.level}{_change(result, dim)} | {s.reason} | {gap} |")
    lines += ["", f"Overall: min {result.overall['min']}, mean {result.overall['mean']}."]
    return "\n".join(lines) + "\n"


_FORMATS = {"text": _as_text, "json": _as_json, "md": _as_markdown}


@click.command()
@click.argument("bundle", metavar="BUNDLE|-")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="A rule file of your own.")
@click.option("--profile", type=click.Choice(PROFILES), default="default", show_default=True)
@click.option("--assume", "assumptions", multiple=True, metavar="SIGNAL=present|absent",
              help="Score as if this signal were present or absent (repeatable).")
@click.option("--format", "fmt", type=click.Choice(sorted(_FORMATS)), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
def judge(bundle: str, rules_file: str | None, profile: str, assumptions: tuple[str, ...], fmt: str,
          output: str | None) -> None:
    """Re-score a saved BUNDLE (or a {"signals": {...}} object on standard input with -)."""
    try:
        rules = load_rules(rules_file, profile)
        result = rejudge(_read(bundle), rules, parse_assumptions(assumptions))
    except (RuleError, JudgeInputError) as exc:
        raise click.UsageError(str(exc)) from exc
    text = _FORMATS[fmt](result, rules)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
