"""The terminal report with what the configuration adds: gates, attestations, waivers."""
from __future__ import annotations

from typing import Any

from scanner.model import ScanResult
from scanner.reporting import common as c
from scanner.reporting.text_report import render_text


def _gates(bundle: dict[str, Any]) -> list[str]:
    checks = bundle.get("gates", {}).get("checks", [])
    return ["", "gates:"] + [f"  {c.gate_status(ch):<6} {ch['dimension']}: level {ch['level']}, "
                             f"required {ch['required']}" for ch in checks] if checks else []


def _attested(bundle: dict[str, Any]) -> list[str]:
    atts = bundle.get("attestations", [])
    return ["", "attested (asserted by people, not detected):"] + [
        f"  {a['signal']}: {a['status']}, by {a['by']} on {a['date']} until {a['expires']} ({a['link']})"
        for a in atts] if atts else []


def _waivers(bundle: dict[str, Any]) -> list[str]:
    waivers = bundle.get("waivers", [])
    return ["", "waivers:"] + [f"  {w['id']}: {w['status']}, by {w['by']} until {w['expires']}: {w['reason']}"
                               for w in waivers] if waivers else []


def render_text_report(result: ScanResult, bundle: dict[str, Any]) -> str:
    """The terminal report, then gates, attestations and waivers when there are any."""
    extra = _gates(bundle) + _attested(bundle) + _waivers(bundle)
    return render_text(result) + ("\n".join(extra) + "\n" if extra else "")
