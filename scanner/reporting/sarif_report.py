"""SARIF 2.1.0 for code-scanning tabs: each unmet criterion of a dimension's next level.

A result is located where the scan saw something for the criterion's signals (a file that
was read, e.g. a tool only mentioned in a manifest). Code-scanning services reject results
without a location, so a repository-wide gap is anchored at the project's configuration
file, where it can be targeted, attested or waived. A waived gap stays in the log with an
accepted external suppression, so it is still visible.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from scanner.config import CONFIG_FILE
from scanner.reporting import common as c

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION = "Unmet criterion of the next maturity level (`mlops-scan explain DIMENSION` lists the levels)."


def _locations(step: dict[str, Any], bundle: dict[str, Any], index: dict[str, dict[str, Any]]) -> list[dict]:
    """Files read for the criterion's signals (those with a content digest), at most a few."""
    seen: dict[tuple[str, int | None], dict] = {}
    for sig in step.get("signals", []):
        for ev_id in bundle["signals"].get(sig, {}).get("evidence", []):
            for loc in index.get(ev_id, {}).get("locations", []):
                if loc.get("sha256") and (loc["path"], loc.get("line")) not in seen:
                    seen[(loc["path"], loc.get("line"))] = loc
    chosen = [seen[k] for k in sorted(seen, key=lambda k: (k[0], k[1] or 0))][:c.MAX_LOCATIONS]
    if not chosen:
        anchor = (bundle.get("config") or {}).get("path") or CONFIG_FILE
        chosen = [{"path": anchor, "line": None}]
    return [{"physicalLocation": {
        "artifactLocation": {"uri": loc["path"], "uriBaseId": "%SRCROOT%"},
        **({"region": {"startLine": loc["line"]}} if loc.get("line") else {}),
    }} for loc in chosen]


def _rule(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": step["criterion"],
        "name": step["criterion"].replace(".", "_"),
        "shortDescription": {"text": step["description"] or step["criterion"]},
        "fullDescription": {"text": f"{c.label(step['dimension'])} level {step['level'] + 1}: "
                                    f"{step['description'] or step['criterion']}"},
        "help": {"text": step.get("recommendation") or INFORMATION},
        "properties": {"tags": ["mlops", step["dimension"]], "dimension": step["dimension"],
                       "level": step["level"] + 1, "stage": step["stage"]},
    }


def _result(step: dict[str, Any], rule_index: int, gates: dict[str, dict], bundle: dict[str, Any],
            index: dict[str, dict[str, Any]]) -> dict[str, Any]:
    check = gates.get(step["dimension"])
    failing = bool(check) and c.gate_status(check) == "FAIL"
    text = (f"{c.label(step['dimension'])} is at level {step['level']}; level {step['level'] + 1} needs: "
            f"{step['description'] or step['criterion']}.")
    if step.get("recommendation"):
        text += f" {step['recommendation']}"
    fingerprint = hashlib.sha256(f"{step['dimension']}\x1f{step['criterion']}".encode()).hexdigest()[:32]
    result: dict[str, Any] = {
        "ruleId": step["criterion"], "ruleIndex": rule_index, "level": "error" if failing else "note",
        "message": {"text": text}, "locations": _locations(step, bundle, index),
        "partialFingerprints": {"mlopsScanCriterion/v1": fingerprint},
        "properties": {"dimension": step["dimension"], "level": step["level"], "stage": step["stage"]},
    }
    if step.get("waived"):
        w = step["waived"]
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": f"waived by {w['by']} until {w['expires']}: {w['reason']}"}]
    return result


def render_sarif(bundle: dict[str, Any]) -> str:
    """The gap as a SARIF 2.1.0 log (one run)."""
    steps = bundle.get("next_steps", [])
    rules: dict[str, int] = {}
    for step in steps:
        rules.setdefault(step["criterion"], len(rules))
    index, gates = c.evidence_index(bundle), c.required(bundle)
    t = bundle["target"]
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": bundle["tool"]["name"], "version": bundle["tool"]["version"],
            "semanticVersion": bundle["tool"]["version"],
            "rules": [_rule(next(s for s in steps if s["criterion"] == rid)) for rid in rules],
        }},
        "automationDetails": {"id": f"mlops-scan/{bundle['rules']['name']}/"},
        "results": [_result(s, rules[s["criterion"]], gates, bundle, index) for s in steps],
        "properties": {"rules_sha256": bundle["rules"]["sha256"], "overall": bundle["overall"]},
    }
    if t.get("url"):  # SARIF needs a repository URI here; a plain folder has none
        prov = {"repositoryUri": t["url"], "revisionId": t.get("commit"), "branch": t.get("ref")}
        run["versionControlProvenance"] = [{k: v for k, v in prov.items() if v}]
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
