"""The monitoring detector: turns gathered findings into evidence, one per (signal, kind)."""
from __future__ import annotations

from typing import Iterator

from detectors.monitoring.collect import collect
from detectors.monitoring.findings import Findings
from detectors.monitoring.signals import (ALERTING, DASHBOARDS, DRIFT, FEEDBACK, INSTRUMENTATION, LOGGING,
                                          RETRAIN, SCHEDULED)
from detectors.monitoring.source import Hit
from scanner.detector import Detector, ScanContext
from scanner.model import Evidence, Outcome, Tier


class MonitoringDetector(Detector):
    """Monitoring wired into the repository, beyond plain library calls (those are catalogue data).

    - ``monitoring.logging``: stdlib logging configured (basicConfig, dictConfig/fileConfig, a
      logger given handlers, absl's verbosity) in project code, a Kedro project's
      ``conf/<env>/logging.yml``, or an evaluation script writing a metrics report.
    - ``monitoring.instrumentation``: serving middleware timing each request and logging it.
    - ``monitoring.drift``: two-sample tests (KS, chi-square, Wasserstein...) in monitoring code,
      or a population-stability-index function. Notebooks are one-off analysis and do not count.
    - ``monitoring.alerting``: Prometheus alert rules, Alertmanager routing, Grafana alerting,
      CloudWatch/Cloud Monitoring/Azure Monitor alarms in IaC, notifications on drift/thresholds.
    - ``monitoring.dashboards``: Grafana dashboard JSON, Grafana provisioning (declared only when
      the repository holds no dashboard), IaC dashboards, Streamlit/Dash/Panel monitoring apps.
    - ``monitoring.scheduled``: orchestrator schedules (prefect.yaml, Airflow, Prefect, Dagster),
      Kubernetes CronJobs and crontab entries that run monitoring code; in-house schedules
      (APScheduler and ``schedule`` jobs, loops an app starts, Terraform/CDK cron rules) whose job,
      followed to what it calls, runs drift, quality or evaluation checks.
    - ``monitoring.retrain_trigger``: a function that starts training on a monitoring result.
    - ``monitoring.performance_feedback``: predictions joined with ground truth to compute metrics:
      a frame merge in monitoring code, or a feedback store of the project's own (predictions
      kept by id, labels arriving later through an endpoint, a function or an SQL insert, joined
      by SQL, merge or lookup by id, and scored where the join is read), or Evidently's
      classification/regression quality report in a monitoring module.

    Tests, unrendered templates and vendored folders never count.
    """

    id = "monitoring"
    cost = 15
    signals = (LOGGING, INSTRUMENTATION, DRIFT, SCHEDULED, ALERTING, DASHBOARDS, RETRAIN, FEEDBACK)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        found = collect(ctx)
        for (signal, kind), hits in sorted(found.hits.items()):
            yield self._evidence(ctx, signal, kind, hits, found.tiers[(signal, kind)])
        yield from self._errors(ctx, found)

    def _errors(self, ctx: ScanContext, found: Findings) -> Iterator[Evidence]:
        """Files that could not be parsed, for signals found nowhere else."""
        for signal, errors in sorted(found.errors.items()):
            if not found.found(signal):
                for path, why in errors:
                    yield self.evidence(signal, f"{path} could not be parsed: {why}", ctx.location(path),
                                        outcome=Outcome.ERROR, tier=None, subject=f"error:{path}")

    def _evidence(self, ctx: ScanContext, signal: str, kind: str, hits: list[Hit], tier: Tier) -> Evidence:
        first = hits[0]
        files = sorted({h.path for h in hits})
        more = f" (+{len(files) - 1} more files)" if len(files) > 1 else ""
        return self.evidence(signal, f"{first.what} in {first.path}{more}",
                             *[ctx.location(h.path, h.line) for h in hits[:5]],
                             tier=tier, subject=kind, kind=kind, files=len(files))
