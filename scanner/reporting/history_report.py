"""Renderers for ``diff`` (text, Markdown, JSON) and ``trend`` (table, JSON, an HTML chart)."""
from __future__ import annotations

import json
from html import escape
from typing import Any

from scanner.history import BundleDiff, TrendRow, diff_to_dict
from scanner.model import DIMENSIONS
from scanner.reporting import common as c
from scanner.reporting.html_report import CSS

_SHORT = {"data_management": "data", "experiment_tracking": "tracking", "model_deployment": "deploy",
          "monitoring": "monitor", "governance": "govern", "collaboration": "collab"}
_COLOURS = ("#0969da", "#8250df", "#1a7f37", "#bf3989", "#9a6700", "#cf222e")
MAX_EVIDENCE_LINES = 50


def _arrow(delta: int) -> str:
    return f"+{delta}" if delta > 0 else (str(delta) if delta < 0 else "=")


def _evidence_lines(title: str, items: tuple[dict[str, Any], ...], bullet: str) -> list[str]:
    if not items:
        return []
    lines = [f"{title} ({len(items)}):"]
    lines += [f"{bullet}{e['id']}  {e['signal']} [{e['tier']}] {e['summary']}" for e in items[:MAX_EVIDENCE_LINES]]
    if len(items) > MAX_EVIDENCE_LINES:
        lines.append(f"{bullet}... and {len(items) - MAX_EVIDENCE_LINES} more (--format json lists all)")
    return lines


def render_diff_text(d: BundleDiff) -> str:
    """The diff for a terminal or a CI log."""
    lines = ["dimension             old  new  change"]
    lines += [f"{c.label(x.dimension):<20}  {x.old:>3}  {x.new:>3}  {_arrow(x.delta)}" for x in d.dimensions]
    if d.signals_gained:
        lines += ["", "signals now present: " + ", ".join(d.signals_gained)]
    if d.signals_lost:
        lines += ["", "signals no longer present: " + ", ".join(d.signals_lost)]
    for title, items, bullet in (("evidence gained", d.gained, "  + "), ("evidence lost", d.lost, "  - ")):
        block = _evidence_lines(title, items, bullet)
        lines += [""] + block if block else []
    lines += ["", "regressions: " + ("; ".join(d.regressions) if d.regressions else "none")]
    lines += [f"note: {n}" for n in d.notes]
    return "\n".join(lines) + "\n"


def render_diff_markdown(d: BundleDiff) -> str:
    """The diff for a pull/merge request comment."""
    lines = ["## MLOps maturity: changes", "", "| Dimension | Old | New | Change |", "|---|---|---|---|"]
    lines += [f"| {c.label(x.dimension)} | {x.old} | {x.new} | {_arrow(x.delta)} |" for x in d.dimensions]
    lines.append("")
    if d.regressions:
        lines += ["**Regressions:**", ""] + [f"- {r}" for r in d.regressions] + [""]
    for title, items, sign in (("Evidence gained", d.gained, "+"), ("Evidence lost", d.lost, "-")):
        if items:
            lines += [f"<details><summary>{title} ({len(items)})</summary>", ""]
            lines += [f"- {sign} `{e['signal']}` {e['summary']}" for e in items[:MAX_EVIDENCE_LINES]]
            lines += ["", "</details>", ""]
    lines += [f"> {n}" for n in d.notes]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_diff_json(d: BundleDiff) -> str:
    """The diff as JSON."""
    return json.dumps(diff_to_dict(d), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_trend_text(rows: list[TrendRow]) -> str:
    """One line per scan, oldest first."""
    head = f"{'finished':<21} {'commit':<12} " + " ".join(f"{_SHORT[d]:>8}" for d in DIMENSIONS) + "   min  mean"
    lines = [head]
    for r in rows:
        levels = " ".join(f"{r.levels.get(d, ''):>8}" for d in DIMENSIONS)
        lines.append(f"{r.finished_at:<21} {(r.commit or '-')[:12]:<12} {levels}   {r.overall_min:>3}  {r.overall_mean:>4.2f}")
    return "\n".join(lines) + "\n"


def render_trend_json(rows: list[TrendRow]) -> str:
    """The series as JSON."""
    return json.dumps([r.__dict__ for r in rows], indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def trend_chart(rows: list[TrendRow]) -> str:
    """An inline SVG line chart: one line per dimension, levels 0-4 over the scans."""
    width, height, left, top = 640, 240, 40, 10
    step = (width - left - 20) / max(len(rows) - 1, 1)
    y = lambda level: top + (4 - level) * (height - top - 30) / 4  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 20 * 3}" role="img" '
             'aria-label="Maturity levels over time"><title>Maturity levels over time</title>']
    for level in range(5):
        parts.append(f'<line x1="{left}" y1="{y(level):.1f}" x2="{width - 20}" y2="{y(level):.1f}" stroke="#d0d7de"/>'
                     f'<text x="{left - 10}" y="{y(level) + 4:.1f}" font-size="11" text-anchor="end">{level}</text>')
    for i, dim in enumerate(DIMENSIONS):
        points = " ".join(f"{left + j * step:.1f},{y(r.levels.get(dim, 0)) + (i - 2.5) * 1.5:.1f}"
                          for j, r in enumerate(rows))
        parts.append(f'<polyline fill="none" stroke="{_COLOURS[i]}" stroke-width="2" points="{points}">'
                     f"<title>{escape(c.label(dim))}</title></polyline>")
        parts.append(f'<text x="{left + (i % 3) * 200}" y="{height + 10 + (i // 3) * 18}" font-size="12" '
                     f'fill="{_COLOURS[i]}">■ {escape(c.label(dim))}</text>')
    return "".join(parts) + "</svg>"


def render_trend_html(rows: list[TrendRow]) -> str:
    """A self-contained page: the chart and the table."""
    head = "".join(f"<th>{escape(c.label(d))}</th>" for d in DIMENSIONS)
    body = "".join(
        f"<tr><td>{escape(r.finished_at)}</td><td><code>{escape((r.commit or '-')[:12])}</code></td>"
        + "".join(f"<td>{r.levels.get(d, '')}</td>" for d in DIMENSIONS)
        + f"<td>{r.overall_min}</td><td>{r.overall_mean:.2f}</td></tr>" for r in rows)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>MLOps maturity trend</title>"
            f"<style>{CSS}</style></head>\n<body>\n<h1>MLOps maturity trend</h1>{trend_chart(rows)}"
            f"<table><tr><th>Finished</th><th>Commit</th>{head}<th>Min</th><th>Mean</th></tr>{body}</table>"
            "\n</body></html>\n")
