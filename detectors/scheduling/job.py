"""One schedule found in the repository: what kind, what it runs, how often, and what that
job reaches (the names that tell monitoring from data preparation and training)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from detectors.flow import monitoring_names, pipeline_names


#: an orchestrator's schedule argument that schedules nothing the repository shows: none, once, or
#: an environment variable read with no default (``os.environ.get("PIPELINE_SCHEDULE") or None``)
_UNSET_SCHEDULE = re.compile(r"^(?:None|[\"']@once[\"']|[\"']None[\"']"
                             r"|(?:os\.environ\.get|os\.getenv)\(\s*[\"'][^\"']+[\"']\s*\)(?:\s*or\s+None)?)\s*(?:[,)#]|$)")


def unset_schedule(value: str) -> bool:
    """``value`` (the text after ``schedule=``, to the end of its line) schedules nothing."""
    return bool(_UNSET_SCHEDULE.match(value.strip()))


@dataclass(frozen=True)
class Schedule:
    """One schedule: what kind it is, what it runs, how often, and what that job reaches."""

    kind: str
    job: str
    cadence: str
    path: str
    line: int | None
    does: tuple[str, ...] = ()
    """Names of the functions (or commands) the job runs and what they call."""
    started: tuple[str, int] | None = None
    """Where a background loop is started (file, line)."""

    @property
    def monitoring(self) -> list[str]:
        """What the job runs that monitors a model or its data."""
        return monitoring_names(self.does)

    @property
    def pipeline(self) -> list[str]:
        """What the job runs that prepares data or trains a model."""
        return pipeline_names(self.does)

    def summary(self, names: list[str]) -> str:
        """``APScheduler job run_drift_check interval hours=6 (jobs.py:36) runs detect_drift``."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        start = f", started at {self.started[0]}:{self.started[1]}" if self.started else ""
        return f"{self.kind} {self.job} {self.cadence} ({where}{start}) runs {', '.join(names[:3])}"
