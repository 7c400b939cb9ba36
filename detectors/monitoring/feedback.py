"""Performance feedback: predictions logged in production joined with later ground truth to
compute metrics."""
from __future__ import annotations

import re

from detectors.monitoring.source import Hit, Source

_TRUTH = re.compile(r"ground_?truth|(?<![a-z])gt(?![a-z])|actuals|feedback|delayed_label|true_label")
_PREDICTIONS = re.compile(r"pred")
_PRODUCTION = re.compile(r"drift|monitor(ing|s)|_monitor|monitor_|feedback|production|serving|online|"
                         r"inference_log|prediction_log|delayed")
_METRICS = re.compile(r"metric|rmse|mae|mape|accuracy|f1|auc|precision|recall")


def ground_truth_join(src: Source) -> Hit | None:
    """Logged predictions joined with later ground truth, and metrics computed on the result."""
    join = src.call(r"\.merge", r"pandas\.merge", r"polars\.[\w.]*join")
    if join is None or not (src.mentions(_TRUTH) and src.mentions(_PREDICTIONS) and src.mentions(_METRICS)):
        return None
    if not (_PRODUCTION.search(src.path.lower()) or src.mentions(_PRODUCTION)):
        return None
    return Hit(src.path, join.line, "predictions joined with ground truth to compute metrics")
