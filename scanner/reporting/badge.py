"""A badge in the shields.io endpoint format (``https://img.shields.io/endpoint?url=...``)."""
from __future__ import annotations

import json
from typing import Any

#: colour by the weakest dimension's level (0..4).
COLOURS = ("red", "orange", "yellow", "yellowgreen", "brightgreen")


def badge(bundle: dict[str, Any], label: str = "MLOps maturity") -> dict[str, Any]:
    """The endpoint object: the weakest level and the mean, coloured by the weakest."""
    overall = bundle["overall"]
    low = int(overall["min"])
    failed = bundle.get("gates", {}).get("failed", False)
    return {
        "schemaVersion": 1,
        "label": label,
        "message": f"min {low}/4 · mean {overall['mean']:.1f}" + (" · gate failed" if failed else ""),
        "color": "critical" if failed else COLOURS[max(0, min(low, 4))],
    }


def render_badge(bundle: dict[str, Any]) -> str:
    """The badge as JSON text."""
    return json.dumps(badge(bundle), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
