"""What of a shared monitoring stack belongs to the scanned repository.

A Prometheus or a Grafana serves many teams: only the series, rules, alerts and dashboards of this
project count. They are recognised by what the user names (``--monitoring-match``: ``label=value``
selectors, or bare names matched against job/service labels, dashboard titles and tags), else by
what the repository itself declares: the metric names its code registers (``Counter("...")``),
the job names of its Prometheus configuration, the names of its Kubernetes workloads and compose
services. With neither (a monitoring stack scanned alone) the whole stack is in scope, and the
evidence says so.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from scanner.detector import ScanContext
from scanner.parsing.structured import ParseError
from scanner.sources.prometheus import OWNER_LABELS

#: a metric a Python client registers: ``Counter("predictions_total", ...)``
_METRIC_DECL = re.compile(r"""\b(?:Counter|Gauge|Histogram|Summary|Info|Enum)\(\s*(?:name\s*=\s*)?["']([A-Za-z_:][\w:]*)["']""")
_JOB_NAME = re.compile(r"""^\s*-?\s*job_name:\s*["']?([\w.-]+)""", re.M)
_WORKLOADS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Service", "InferenceService", "Rollout",
                        "CronJob", "Job", "SeldonDeployment"})
#: names too common to say which project a series belongs to (a shared stack has many of them)
_GENERIC = frozenset({"app", "api", "web", "db", "redis", "postgres", "postgresql", "mysql", "prometheus",
                      "grafana", "alertmanager", "node", "server", "service", "worker", "backend", "frontend",
                      "nginx", "mongo", "mongodb", "kafka", "zookeeper", "minio", "mlflow", "default", "main",
                      "test", "jupyter", "pushgateway", "node-exporter", "cadvisor", "loki", "tempo"})
#: metric-name words that are about models or their data, and those about drift alone
ML_METRIC = re.compile(r"predict|inference|model|drift|psi|skew|data_quality|feature|score|accuracy|auc|precision|recall", re.I)
DRIFT_METRIC = re.compile(r"drift|psi|skew|data_quality|distribution|kl_div|wasserstein|ks_stat", re.I)
_IDENT = re.compile(r"[A-Za-z_:][\w:]*")
_JOB_IN_QUERY = re.compile(r"""\b(?:job|service|app|container|model|model_name|deployment)\s*=~?\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class LiveScope:
    """Names that say something belongs to the repository, and why they were chosen."""

    names: frozenset[str] = frozenset()
    """Job, service, workload and compose-service names (lower-case)."""
    metrics: frozenset[str] = frozenset()
    """Metric names the code registers."""
    selectors: tuple[tuple[str, str], ...] = ()
    """``label=value`` pairs the user gave (a glob value)."""
    words: tuple[str, ...] = ()
    """Bare names the user gave (globs)."""
    everything: bool = False

    def describe(self) -> dict:
        if self.everything:
            return {"rule": "everything", "why": "no --monitoring-match and no repository: the whole stack is in scope"}
        out: dict = {"rule": "match" if self.selectors or self.words else "repository"}
        if self.selectors or self.words:
            out["match"] = [f"{k}={v}" for k, v in self.selectors] + list(self.words)
        else:
            out["names"] = sorted(self.names)[:50]
            out["metrics"] = sorted(self.metrics)[:50]
            out["why"] = ("names the repository declares: metrics its code registers, its Prometheus job names, "
                          "Kubernetes workloads and compose services")
        return out

    def labels(self, labels: Mapping[str, str]) -> str | None:
        """Why a label set (of a series, target, rule or alert) is in scope, or None."""
        if self.everything:
            return "whole stack in scope"
        for key, pattern in self.selectors:
            if key in labels and fnmatch.fnmatchcase(labels[key], pattern):
                return f"{key}={labels[key]} matches {key}={pattern}"
        owners = {k: labels[k] for k in OWNER_LABELS if labels.get(k)}
        for key, value in owners.items():
            if self._named(value):
                return f"{key}={value} is {self._whose(value)}"
        name = labels.get("__name__", "")
        if name and name in self.metrics:
            return f"metric {name} is registered by the repository's code"
        return None

    def query(self, text: str) -> str | None:
        """Why a query expression (a rule, a panel) is in scope, or None."""
        if self.everything:
            return "whole stack in scope"
        for value in _JOB_IN_QUERY.findall(text):
            if self._named(value) or any(fnmatch.fnmatchcase(value, v) for _, v in self.selectors):
                return f"selects {value}"
        used = set(_IDENT.findall(text))
        hit = sorted(used & self.metrics)
        if hit:
            return f"queries {hit[0]} (registered by the repository's code)"
        hit = sorted(m for m in used if any(fnmatch.fnmatchcase(m, w) for w in self.words))
        return f"queries {hit[0]} (matches --monitoring-match)" if hit else None

    def title(self, text: str, tags: Iterable[str] = ()) -> str | None:
        """Why a dashboard (its title and tags) is in scope, or None."""
        if self.everything:
            return "whole stack in scope"
        for item in (text, *tags):
            low = item.lower()
            for word in self.words:
                if fnmatch.fnmatchcase(low, word.lower()) or word.lower() in low:
                    return f"{item!r} matches {word!r}"
            for name in self.names:
                if name in low:
                    return f"{item!r} names {name}"
        for key, value in self.selectors:
            if f"{key}={value}" in tags or f"{key}:{value}" in tags:
                return f"tagged {key}={value}"
        return None

    def _named(self, value: str) -> bool:
        low = value.lower()
        return low in self.names or any(fnmatch.fnmatchcase(value, w) for w in self.words)

    def _whose(self, value: str) -> str:
        return "named by --monitoring-match" if any(fnmatch.fnmatchcase(value, w) for w in self.words) \
            else "declared by the repository"


def parse_matches(matches: Iterable[str]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """``--monitoring-match`` values: ``label=value`` selectors and bare names."""
    selectors, words = [], []
    for raw in matches:
        key, eq, value = raw.partition("=")
        if eq and key.strip() and value.strip():
            selectors.append((key.strip(), value.strip().strip('"')))
        elif raw.strip():
            words.append(raw.strip())
    return tuple(selectors), tuple(words)


def live_scope(ctx: ScanContext) -> LiveScope:
    """The scope of this scan (computed once and shared by the live monitoring detectors)."""
    matches = tuple(m for source in ctx.monitoring.values() for m in getattr(source, "matches", ()))
    return ctx.memo("monitoring.live_scope", lambda: _scope(ctx, tuple(dict.fromkeys(matches))))


def _scope(ctx: ScanContext, matches: tuple[str, ...]) -> LiveScope:
    selectors, words = parse_matches(matches)
    if selectors or words:
        return LiveScope(selectors=selectors, words=words)
    if ctx.repo is None:
        return LiveScope(everything=True)
    names: set[str] = set()
    metrics: set[str] = set()
    for path in ctx.files():
        low = path.lower()
        if low.endswith(".py"):
            text = ctx.text(path) or ""
            if "prometheus" in text:
                metrics.update(_METRIC_DECL.findall(text))
        elif low.endswith((".yml", ".yaml")):
            text = ctx.text(path) or ""
            names.update(_JOB_NAME.findall(text))
            names.update(_yaml_names(ctx, path, text))
    # a counter's samples carry the suffix the client adds (``_total``), a histogram its buckets
    metrics |= {m + "_total" for m in metrics if not m.endswith("_total")}
    metrics |= {m + suffix for m in list(metrics) for suffix in ("_bucket", "_count", "_sum")}
    return LiveScope(names=frozenset(n.lower() for n in names if n.lower() not in _GENERIC and len(n) > 2),
                     metrics=frozenset(metrics))


def _yaml_names(ctx: ScanContext, path: str, text: str) -> set[str]:
    """Workload names of Kubernetes manifests and service names of compose files."""
    if "kind:" not in text and "services:" not in text:
        return set()
    try:
        docs = ctx.structured(path)
    except ParseError:
        return set()
    out: set[str] = set()
    for doc in docs if isinstance(docs, list) else []:
        if not isinstance(doc, dict):
            continue
        meta = doc.get("metadata")
        if doc.get("kind") in _WORKLOADS and isinstance(meta, dict) and isinstance(meta.get("name"), str):
            out.add(meta["name"])
        services = doc.get("services")
        if "compose" in path.lower() and isinstance(services, dict):
            out.update(str(k) for k in services)
    return out
