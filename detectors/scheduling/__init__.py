"""Schedules the project runs by itself, found in code (APScheduler, the ``schedule`` library,
background loops an app starts) and in infrastructure (Kubernetes CronJobs, Terraform and CDK
cron rules), each with what its job really runs. Both the data and the monitoring detectors read
them: a schedule running monitoring is ``monitoring.scheduled``, one running data preparation or
training is ``data.pipeline_automated``.
"""
from __future__ import annotations

from detectors.flow import project
from detectors.scheduling.code import code_schedules
from detectors.scheduling.iac import iac_schedules
from detectors.scheduling.job import Schedule
from scanner.detector import ScanContext


def schedules(ctx: ScanContext) -> list[Schedule]:
    """Every schedule of the repository, found once per scan."""
    def find() -> list[Schedule]:
        proj = project(ctx)
        return list(code_schedules(proj)) + list(iac_schedules(ctx, proj))

    return ctx.memo("scheduling.schedules", find)


__all__ = ["Schedule", "schedules"]
