"""Monitoring practices that need context to recognise, beyond a plain library call.

Library use (prometheus_client, evidently, loguru...) is catalogue data read by the ``tools``
detector. This package decides the rest from code and config: logging set-up and evaluation
reports, request telemetry middleware, custom statistical drift checks, alert rules and
threshold notifications, dashboards, orchestrator schedules that run monitoring, code that
retrains on monitoring results, and predictions joined with ground truth. CI schedules and CI
workflows are the CI detector's.
"""
from detectors.monitoring.detector import MonitoringDetector
from detectors.monitoring.signals import (ALERTING, DASHBOARDS, DRIFT, FEEDBACK, INSTRUMENTATION, LOGGING,
                                          RETRAIN, SCHEDULED)

__all__ = ["MonitoringDetector", "LOGGING", "INSTRUMENTATION", "DRIFT", "SCHEDULED", "ALERTING",
           "DASHBOARDS", "RETRAIN", "FEEDBACK"]
