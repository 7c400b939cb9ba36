"""The HTML report: one self-contained page (inline CSS and SVG, no scripts, no fetches).

A chart of the six levels, per dimension the met criteria and the gap with links to the
evidence, the attested evidence apart, and what was not checked. Every value is escaped.
"""
from __future__ import annotations

from html import escape
from typing import Any

from scanner.reporting import common as c

CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#1b1f24;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;vertical-align:top}
code{font-size:.9em}.met{color:#1a7f37}.gap{color:#cf222e}.muted{color:#57606a}.tag{font-size:.8em;padding:0 .4em;border-radius:.6em;background:#eaeef2}
.FAIL{color:#cf222e;font-weight:bold}.pass{color:#1a7f37}.waived{color:#9a6700}"""

_WAIVED_TAG = ' <span class="tag">waived</span>'
_BAR_W, _ROW_H, _LABEL_W = 320, 26, 170


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _link(text: str, url: str | None) -> str:
    safe = c.safe_url(url)
    return f'<a href="{_e(safe)}">{_e(text)}</a>' if safe else _e(text)


def chart(levels: list[tuple[str, int, int | None]], title: str = "Maturity level per dimension") -> str:
    """An inline SVG bar chart of levels 0-4; ``(label, level, required or None)`` per row."""
    height = _ROW_H * len(levels) + 30
    width = _LABEL_W + _BAR_W + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{_e(title)}"><title>{_e(title)}</title>']
    for tick in range(5):
        x = _LABEL_W + tick * _BAR_W // 4
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 20}" stroke="#d0d7de"/>'
                     f'<text x="{x}" y="{height - 5}" font-size="11" text-anchor="middle">{tick}</text>')
    for i, (name, level, need) in enumerate(levels):
        y = i * _ROW_H + 4
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{_e(name)}</text>'
                     f'<rect x="{_LABEL_W}" y="{y}" width="{level * _BAR_W // 4}" height="{_ROW_H - 8}" '
                     f'fill="#0969da"><title>{_e(name)}: {level}</title></rect>')
        if need is not None:
            x = _LABEL_W + need * _BAR_W // 4
            parts.append(f'<line x1="{x}" y1="{y - 2}" x2="{x}" y2="{y + _ROW_H - 6}" stroke="#cf222e" '
                         f'stroke-width="3"><title>required: {need}</title></line>')
    return "".join(parts) + "</svg>"


def _summary(b: dict[str, Any]) -> str:
    gates = c.required(b)
    rows = "".join(
        f"<tr><td>{_e(c.label(d))}</td><td>{s['level']}/4 {_e(c.level_name(s['level']))}</td>"
        f"<td>{s['confidence']:.2f}</td><td class=\"{c.gate_status(gates.get(d))}\">"
        f"{_e(gates[d]['required']) + ' ' + c.gate_status(gates[d]) if d in gates else ''}</td></tr>"
        for d, s in c.scores(b))
    levels = [(c.label(d), s["level"], gates[d]["required"] if d in gates else None) for d, s in c.scores(b)]
    return (chart(levels) + "<table><tr><th>Dimension</th><th>Level</th><th>Confidence</th><th>Required</th></tr>"
            f"{rows}</table><p>Overall: min {b['overall']['min']}, mean {b['overall']['mean']:.2f}</p>")


def _evidence_links(ids: list[str], index: dict[str, dict[str, Any]]) -> str:
    links = []
    for ev_id in ids:
        ev = index.get(ev_id)
        name = c.location_text(ev["locations"][0]) if ev and ev["locations"] else (ev or {}).get("signal", ev_id)
        links.append(f'<a href="#ev-{_e(ev_id)}"><code>{_e(name)}</code></a>')
    return ", ".join(links)


def _dimension(dim: str, s: dict[str, Any], index: dict[str, dict[str, Any]], signals: dict[str, Any]) -> str:
    items = []
    for crit in s["met"]:
        tag = ' <span class="tag">attested</span>' if crit.get("attested") else ""
        items.append(f'<li class="met">met: {_e(crit["description"] or crit["id"])}{tag} '
                     f'<span class="muted">{_evidence_links(crit["evidence"], index)}</span></li>')
    for crit in s["gap"]:
        extra = _WAIVED_TAG if crit.get("waived") else ""
        if crit.get("not_checked"):
            extra += f' <span class="muted">not checked: {_e(", ".join(crit["not_checked"]))}</span>'
        seen = [i for sig in crit.get("signals", []) for i in signals.get(sig, {}).get("evidence", [])]
        if seen:  # what was found short of the criterion (a mention, an unused dependency)
            extra += f' <span class="muted">seen: {_evidence_links(sorted(set(seen)), index)}</span>'
        rec = f'<br><span class="muted">{_e(crit["recommendation"])}</span>' if crit.get("recommendation") else ""
        items.append(f'<li class="gap">gap to level {s["level"] + 1}: {_e(crit["description"] or crit["id"])}'
                     f"{extra}{rec}</li>")
    return (f'<h3 id="dim-{_e(dim)}">{_e(c.label(dim))}: level {s["level"]} '
            f'({_e(c.level_name(s["level"]))})</h3><p>{_e(s.get("reason", ""))}</p><ul>{"".join(items)}</ul>')


def _steps(b: dict[str, Any]) -> str:
    rows = "".join(
        f"<li><b>{_e(c.label(s['dimension']))}</b> {s['level']} → {s['level'] + 1} "
        f"<span class=\"tag\">{_e(s['stage'])}</span> {_e(s['description'])}"
        f"{' — ' + _e(s['recommendation']) if s.get('recommendation') else ''}"
        f"{_WAIVED_TAG if s.get('waived') else ''}</li>"
        for s in b.get("next_steps", []))
    return f"<h2>Next steps</h2><ol>{rows}</ol>" if rows else ""


def _location_cell(loc: dict[str, Any]) -> str:
    sha = f' <span class="muted">sha256 {_e(loc["sha256"][:12])}</span>' if loc.get("sha256") else ""
    return _link(c.location_text(loc), loc.get("url")) + sha


def _evidence_table(title: str, evidence: list[dict[str, Any]]) -> str:
    if not evidence:
        return ""
    rows = "".join(
        f'<tr id="ev-{_e(e["id"])}"><td><code>{_e(e["signal"])}</code></td><td>{_e(e["outcome"])}</td>'
        f'<td>{_e(e["tier"] or "")}</td><td>{_e(e["summary"])}</td>'
        f'<td>{"<br>".join(_location_cell(loc) for loc in e["locations"][:c.MAX_LOCATIONS])}</td></tr>'
        for e in evidence)
    return (f"<h2>{_e(title)}</h2><table><tr><th>Signal</th><th>Outcome</th><th>Tier</th><th>Summary</th>"
            f"<th>Where</th></tr>{rows}</table>")


def _attested(b: dict[str, Any]) -> str:
    atts = b.get("attestations", [])
    if not atts:
        return ""
    rows = "".join(f"<tr><td><code>{_e(a['signal'])}</code></td><td>{_e(a['by'])}</td><td>{_e(a['date'])}</td>"
                   f"<td>{_e(a['expires'])}</td><td>{_e(a['status'])}</td><td>{_link(a['link'], a['link'])}</td></tr>"
                   for a in atts)
    return ("<h2>Attested (asserted by people, not detected)</h2><table><tr><th>Signal</th><th>By</th>"
            f"<th>Date</th><th>Expires</th><th>Status</th><th>Link</th></tr>{rows}</table>")


def _waivers(b: dict[str, Any]) -> str:
    items = "".join(f"<li><code>{_e(w['id'])}</code> by {_e(w['by'])} until {_e(w['expires'])} "
                    f"({_e(w['status'])}): {_e(w['reason'])}</li>" for w in b.get("waivers", []))
    return f"<h2>Waivers</h2><ul>{items}</ul>" if items else ""


def _not_checked(b: dict[str, Any]) -> str:
    items = [f"<li>{_e(note)}</li>" for note in c.work_tree_notes(b)]
    items += [f"<li>{_e(reason)}: {_e(', '.join(sigs))}</li>" for reason, sigs in c.not_checked(b)]
    skipped, unparsed = c.unread_files(b)
    items += [f"<li>not read: <code>{_e(p)}</code> ({_e(why)})</li>" for p, why in sorted(skipped.items())]
    items += [f"<li>not parsed fully: <code>{_e(p)}</code> ({_e(why)})</li>" for p, why in sorted(unparsed.items())]
    items += [f"<li>error in {_e(e['source'])}: {_e(e['message'])}</li>" for e in b.get("errors", [])]
    return f"<h2>Not checked</h2><ul>{''.join(items)}</ul>" if items else ""


def render_html(bundle: dict[str, Any]) -> str:
    """The report as one HTML page."""
    b, t = bundle, bundle["target"]
    index = c.evidence_index(b)
    head = (f"<p class=\"muted\">{_e(b['tool']['name'])} {_e(b['tool']['version'])} · rules "
            f"{_e(b['rules']['name'])} (sha256 <code>{_e(b['rules']['sha256'][:12])}</code>)"
            f"{' · commit <code>' + _e(t['commit'][:12]) + '</code>' if t.get('commit') else ''}"
            f" · finished {_e(b['finished_at'])}</p>")
    body = "".join([
        f"<h1>MLOps maturity: {_e(t['name'])}</h1>", head, _summary(b), _steps(b),
        "<h2>Per dimension</h2>", "".join(_dimension(d, s, index, b["signals"]) for d, s in c.scores(b)),
        _attested(b), _waivers(b), _not_checked(b),
        _evidence_table("Evidence", [e for e in c.detected(b)]),
        _evidence_table("Attested evidence", [e for e in b.get("evidence", []) if e.get("tier") == "attested"]),
    ])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>MLOps maturity: {_e(t['name'])}</title><style>{CSS}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")
