"""The Markdown report: for CI job summaries and pull/merge request comments."""
from __future__ import annotations

import re
from typing import Any

from scanner.reporting import common as c

MAX_STEPS = 10


def _cell(text: Any) -> str:
    """Text that stays text wherever it is put (a table cell, a list item, a heading): the marks
    that open markup are escaped, so a path, a message or a name from the scanned repository can
    open no link, image, code span, emphasis or raw HTML (``<img onerror>``), and a line break
    cannot start a new block, heading or table row."""
    return _PUNCTUATION.sub(r"\\\g<0>", _one_line(text))


def _code(text: Any) -> str:
    """A code span that its text cannot close: fenced with more backticks than the longest run in
    the text (CommonMark), on one line, pipes escaped for tables."""
    body = _one_line(text).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") or not body.strip() else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _one_line(text: Any) -> str:
    return _BREAKS.sub(" ", str(text))


#: the marks that open a link or image (``[``), raw HTML or an autolink (``<``), code, emphasis
#: or a table cell, and the escape itself; the rest of the punctuation stays as written
_PUNCTUATION = re.compile(r"[\\`*\[\]<>|]")
#: line breaks of every kind, and the other control characters, become spaces
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def _header(b: dict[str, Any]) -> list[str]:
    t = b["target"]
    facts = [_code(f"{b['tool']['name']} {b['tool']['version']}"),
             f"rules {_code(b['rules']['name'])} (sha256 {_code(b['rules']['sha256'][:12])})"]
    if t.get("commit"):
        facts.append(f"commit {_code(t['commit'][:12])}")
    facts.append(f"finished {_cell(b['finished_at'])}")
    return [f"# MLOps maturity: {_cell(t['name'])}", "", " · ".join(facts), ""]


def _table(b: dict[str, Any]) -> list[str]:
    gates = c.required(b)
    rows = ["| Dimension | Level | | Confidence | Required |", "|---|---|---|---|---|"]
    for dim, s in c.scores(b):
        check = gates.get(dim)
        need = f"{check['required']} ({c.gate_status(check)})" if check else ""
        bar = "█" * s["level"] + "░" * (4 - s["level"])
        rows.append(f"| {c.label(dim)} | {s['level']}/4 {c.level_name(s['level'])} | `{bar}` "
                    f"| {s['confidence']:.2f} | {need} |")
    rows += ["", f"**Overall:** min {b['overall']['min']}, mean {b['overall']['mean']:.2f}", ""]
    return rows


def _gates(b: dict[str, Any]) -> list[str]:
    checks = b.get("gates", {}).get("checks", [])
    if not checks:
        return []
    out = ["## Gates", ""]
    for ch in checks:
        status = c.gate_status(ch)
        line = f"- **{status}** {c.label(ch['dimension'])}: level {ch['level']}, required {ch['required']}"
        if ch.get("waived"):
            w = ch["waived"]
            line += f" (waived by {_cell(w['by'])} until {_cell(w['expires'])}: {_cell(w['reason'])})"
        out.append(line)
    return out + [""]


def _steps(b: dict[str, Any]) -> list[str]:
    steps = b.get("next_steps", [])
    if not steps:
        return []
    out = ["## Next steps", "", "In the usual investment order; lowest dimension first within a step.", ""]
    for i, s in enumerate(steps[:MAX_STEPS], 1):
        line = (f"{i}. **{c.label(s['dimension'])}** {s['level']} → {s['level'] + 1} "
                f"({_cell(s['stage'])}): {_cell(s['description'])}")
        if s.get("recommendation"):
            line += f" — {_cell(s['recommendation'])}"
        if s.get("waived"):
            line += f" *(waived by {_cell(s['waived']['by'])} until {_cell(s['waived']['expires'])})*"
        out.append(line)
    if len(steps) > MAX_STEPS:
        out.append(f"\n…and {len(steps) - MAX_STEPS} more in the full report.")
    return out + [""]


def _evidence_refs(ids: list[str], index: dict[str, dict[str, Any]]) -> str:
    refs = []
    for ev_id in ids[:c.MAX_LOCATIONS]:
        ev = index.get(ev_id)
        if ev and ev["locations"]:
            loc = ev["locations"][0]
            url = c.safe_url(loc.get("url"))
            text = _code(c.location_text(loc))
            refs.append(f"[{text}](<{url.replace('>', '%3E').replace(' ', '%20')}>)" if url else text)
        elif ev:
            refs.append(_code(ev["signal"]))
    more = len(ids) - c.MAX_LOCATIONS
    return ", ".join(refs) + (f" (+{more})" if more > 0 else "")


def _dimensions(b: dict[str, Any]) -> list[str]:
    index = c.evidence_index(b)
    out = ["## Per dimension", ""]
    for dim, s in c.scores(b):
        out += [f"<details><summary><b>{c.label(dim)}</b>: level {s['level']}</summary>", "",
                _cell(s.get("reason", "")), ""]
        for crit in s["met"]:
            tag = " *(attested)*" if crit.get("attested") else ""
            out.append(f"- ✔ {_cell(crit['description'] or crit['id'])}{tag}: {_evidence_refs(crit['evidence'], index)}")
        for crit in s["gap"]:
            tag = " *(waived)*" if crit.get("waived") else ""
            unknown = f" (not checked: {_cell(', '.join(crit['not_checked']))})" if crit.get("not_checked") else ""
            out.append(f"- ✘ {_cell(crit['description'] or crit['id'])}{tag}{unknown}")
        out += ["", "</details>", ""]
    return out


def _attested(b: dict[str, Any]) -> list[str]:
    atts = b.get("attestations", [])
    if not atts:
        return []
    out = ["## Attested (asserted by people, not detected)", "",
           "| Signal | By | Date | Expires | Status | Link |", "|---|---|---|---|---|---|"]
    for a in atts:
        out.append(f"| {_code(a['signal'])} | {_cell(a['by'])} | {_cell(a['date'])} | {_cell(a['expires'])} | {a['status']} "
                   f"| {_cell(a['link'])} |")
    return out + [""]


def _waivers(b: dict[str, Any]) -> list[str]:
    waivers = b.get("waivers", [])
    if not waivers:
        return []
    out = ["## Waivers", ""]
    out += [f"- {_code(w['id'])} by {_cell(w['by'])} until {_cell(w['expires'])} ({w['status']}): {_cell(w['reason'])}"
            for w in waivers]
    return out + [""]


def _not_checked(b: dict[str, Any]) -> list[str]:
    groups = c.not_checked(b)
    skipped, unparsed = c.unread_files(b)
    tree = c.work_tree_notes(b)
    if not (groups or skipped or unparsed or b.get("errors") or tree):
        return []
    out = ["## Not checked", ""]
    out += [f"- {_cell(note)}" for note in tree]
    out += [f"- {len(sigs)} signal(s), {_cell(reason)}" for reason, sigs in groups]
    if skipped:
        out.append(f"- {len(skipped)} file(s) not read (size cap, links out of the repository, unreadable)")
    if unparsed:
        out.append(f"- {len(unparsed)} file(s) could not be parsed fully")
    out += [f"- error in {_cell(e['source'])}: {_cell(e['message'])}" for e in b.get("errors", [])]
    return out + [""]


def render_markdown(bundle: dict[str, Any]) -> str:
    """The report as GitHub-flavoured Markdown."""
    parts = [_header, _table, _gates, _steps, _dimensions, _attested, _waivers, _not_checked]
    return "\n".join(line for part in parts for line in part(bundle)).rstrip("\n") + "\n"
