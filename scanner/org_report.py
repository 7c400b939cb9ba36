"""The org report: repositories x six levels, the distribution per dimension, the weakest dimension.

Computed from the per-repository outcomes only (reporters compute nothing else); written as
``org-report.json`` beside the per-repository evidence and rendered as a terminal table.
"""
from __future__ import annotations

import json
from statistics import mean
from typing import Any

from scanner.model import DIMENSIONS
from scanner.org import OrgScan

SHORT = {"data_management": "data", "experiment_tracking": "track", "model_deployment": "deploy",
         "monitoring": "monitor", "governance": "govern", "collaboration": "collab"}


def summarise(org_scan: OrgScan) -> dict[str, Any]:
    """The org report as plain data (deterministic: sorted keys and rows)."""
    done = [o for o in org_scan.outcomes if o.status != "failed"]
    distribution = {d: {str(level): sum(1 for o in done if o.levels.get(d) == level) for level in range(5)}
                    for d in DIMENSIONS}
    means = {d: round(mean(o.levels.get(d, 0) for o in done), 2) for d in DIMENSIONS} if done else {}
    weakest = min(DIMENSIONS, key=lambda d: (means[d], DIMENSIONS.index(d))) if done else None
    scanned = [o.requests for o in org_scan.outcomes if o.status == "scanned"]
    return {
        "org": org_scan.org,
        "listed": org_scan.listed,
        "repositories": [{"path": o.path, "status": o.status, "commit": o.commit, "levels": dict(o.levels),
                          "min": min(o.levels.values()) if o.levels else None, "requests": o.requests,
                          "file": o.file, "error": o.error} for o in org_scan.outcomes],
        "distribution": distribution,
        "mean_level": means,
        "weakest_dimension": weakest,
        "failed": [{"path": o.path, "error": o.error} for o in org_scan.outcomes if o.status == "failed"],
        "counts": {s: sum(1 for o in org_scan.outcomes if o.status == s) for s in ("scanned", "resumed", "failed")},
        "requests": {"total": org_scan.requests,
                     "per_scanned_repository": round(mean(scanned), 1) if scanned else None},
        "seconds": org_scan.seconds,
    }


def render_json(report: dict[str, Any]) -> str:
    """The report as JSON text."""
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def render_text(report: dict[str, Any]) -> str:
    """A terminal table: one row per repository, then distribution, weakest and failures."""
    width = max([len(r["path"]) for r in report["repositories"]] + [10])
    head = f"{'repository':<{width}}  " + " ".join(f"{SHORT[d]:>7}" for d in DIMENSIONS) + "   min  status"
    lines = [f"org {report['org']}: {len(report['repositories'])} of {report['listed']} repositories", "", head,
             "-" * len(head)]
    for row in report["repositories"]:
        cells = " ".join(f"{row['levels'].get(d, '-'):>7}" for d in DIMENSIONS) if row["levels"] else \
            " ".join(f"{'-':>7}" for _ in DIMENSIONS)
        low = row["min"] if row["min"] is not None else "-"
        lines.append(f"{row['path']:<{width}}  {cells}  {low:>4}  {row['status']}")
    lines += ["", "distribution (repositories per level 0-4):"]
    for d in DIMENSIONS:
        counts = report["distribution"][d]
        lines.append(f"  {d:<20} " + "  ".join(f"{lvl}:{counts[lvl]:>3}" for lvl in sorted(counts))
                     + f"   mean {report['mean_level'].get(d, '-')}")
    if report["weakest_dimension"]:
        lines.append(f"weakest dimension across the org: {report['weakest_dimension']}")
    counts, req = report["counts"], report["requests"]
    lines.append(f"scanned {counts['scanned']}, resumed {counts['resumed']}, failed {counts['failed']}; "
                 f"{req['total']} API requests ({req['per_scanned_repository']} per scanned repository); "
                 f"{report['seconds']} s")
    for failure in report["failed"]:
        lines.append(f"FAILED {failure['path']}: {failure['error']}")
    return "\n".join(lines) + "\n"
