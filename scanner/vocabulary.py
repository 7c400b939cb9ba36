"""The signal vocabulary: the contract ids every scan reports (loaded from vocabulary.yaml)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from scanner.parsing.structured import load_package_yaml


@dataclass(frozen=True, kw_only=True)
class SignalSpec:
    """One vocabulary signal."""

    id: str
    source: str
    """repository | platform | mlflow | prometheus | alertmanager | grafana: where the signal
    is read from."""
    description: str

    @property
    def family(self) -> str:
        """The prefix before the dot (data, tracking, deploy, ...)."""
        return self.id.split(".", 1)[0]

    @property
    def live(self) -> bool:
        """Read from a running system (platform API, tracking server) rather than files."""
        return self.source != "repository"


#: why a signal is not available when its source was not given.
SOURCE_NOT_GIVEN = {
    "repository": "no repository given (a tracking-server-only scan)",
    "platform": "platform source not given (scan a github:/gitlab: target for platform facts)",
    "mlflow": "MLflow tracking server not given (--mlflow-uri)",
    "prometheus": "Prometheus not given (--prometheus-url)",
    "alertmanager": "Alertmanager not given (--alertmanager-url)",
    "grafana": "Grafana not given (--grafana-url)",
}
#: the live monitoring sources (each a :class:`scanner.sources.live_http.LiveSource`).
MONITORING_SOURCES = ("prometheus", "alertmanager", "grafana")


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, SignalSpec]:
    """Signal id -> spec, in the vocabulary's order."""
    text = resources.files("scanner").joinpath("vocabulary.yaml").read_text(encoding="utf-8")
    return {s["id"]: SignalSpec(**s) for s in load_package_yaml(text)["signals"]}


#: the family prefixes a detector may use for finer signals of its own.
def families() -> frozenset[str]:
    """Family prefixes of the vocabulary."""
    return frozenset(s.family for s in vocabulary().values())
