"""Findings of the monitoring detector, gathered per (signal, kind) before evidence is made."""
from __future__ import annotations

from detectors.monitoring.signals import DASHBOARDS
from detectors.monitoring.source import Hit
from scanner.model import Tier


class Findings:
    """Hits gathered per (signal, kind), with their tier, and files that failed to parse."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str], list[Hit]] = {}
        self.tiers: dict[tuple[str, str], Tier] = {}
        self.errors: dict[str, list[tuple[str, str]]] = {}

    def add(self, signal: str, kind: str, hit: Hit, tier: Tier = Tier.CONFIGURED) -> None:
        """Record ``hit``; the first hit of a (signal, kind) sets its tier."""
        self.hits.setdefault((signal, kind), []).append(hit)
        self.tiers.setdefault((signal, kind), tier)

    def error(self, signal: str, path: str, why: str) -> None:
        """Record a file that could not be read for ``signal``."""
        self.errors.setdefault(signal, []).append((path, why))

    def found(self, signal: str) -> bool:
        """True when ``signal`` has a hit above the declared tier."""
        return any(s == signal and self.tiers[(s, k)] is not Tier.DECLARED for s, k in self.hits)

    def demote_orphan_provisioning(self) -> None:
        """Provisioning that loads dashboards absent from the repository provisions nothing."""
        key = (DASHBOARDS, "grafana-provisioning")
        if key in self.hits and (DASHBOARDS, "grafana-dashboard") not in self.hits:
            self.tiers[key] = Tier.DECLARED
            self.hits[key] = [Hit(h.path, h.line, h.what + " (no dashboard JSON in the repository)")
                              for h in self.hits[key]]
