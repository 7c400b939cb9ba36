"""Custom statistical drift checks: two-sample tests in monitoring code, or a population
stability index."""
from __future__ import annotations

import re

from detectors.monitoring.source import Hit, Source

_STAT_TESTS = (r"ks_2samp", r"kstest", r"chisquare", r"chi2_contingency", r"wasserstein_distance",
               r"jensenshannon", r"anderson_ksamp", r"energy_distance")
_PSI_DEF = re.compile(r"(^|_)psi($|_)|population_stability", re.I)
#: a bare ``psi`` is also physics' wave function: the stability index compares expected/actual shares.
_PSI_ARGS = frozenset({"expected", "actual"})


def statistical_drift(src: Source) -> Hit | None:
    """Custom drift checks: two-sample tests in monitoring code, a PSI function, or a distance
    between reference and current data (embeddings, feature means) in code about drift."""
    psi = next((d for d in sorted(src.facts.defs) if _PSI_DEF.search(d)), None)
    if psi and ("population_stability" in psi.lower() or src.monitoring or _PSI_ARGS <= src.names):
        return Hit(src.path, None, f"population stability index computed ({psi})")
    call = src.call(*(r"scipy\.[\w.]*" + t for t in _STAT_TESTS))
    if call and src.monitoring:
        return Hit(src.path, call.line, f"statistical drift test ({call.name})")
    # anywhere else: the test compares a batch with what training saw, against a threshold
    if call and _AGAINST_TRAINING.search(_line(src.text, call.line)) and src.mentions(_THRESHOLD):
        return Hit(src.path, call.line, f"statistical drift test against the training distribution ({call.name})")
    # a distance alone measures anything (a nearest neighbour, a retrieval score): it is a drift
    # check where the code is about drift and compares a reference with current data
    if "drift" in src.lower and src.mentions(_DRIFT) and src.mentions(_REFERENCE):
        call = src.call(r"scipy\.spatial\.distance\.\w+", r"sklearn\.metrics\.pairwise\.\w+")
        if call:
            return Hit(src.path, call.line, f"drift measured as a distance from reference data ({call.name})")
    return None


_DRIFT = re.compile(r"drift")
#: what a drift test's reference side is called when it is the training data's distribution.
_AGAINST_TRAINING = re.compile(r"train|reference|baseline|\bref_|_ref\b", re.I)
_THRESHOLD = re.compile(r"thresh|_flag\b|alert", re.I)


def _line(text: str, line: int | None) -> str:
    lines = text.splitlines()
    return lines[line - 1] if line and 0 < line <= len(lines) else ""
_REFERENCE = re.compile(r"reference|baseline")
#: statistics of a batch's columns: their distribution, and their missing values.
_DISTRIBUTION = frozenset({"mean", "avg", "std", "stddev", "stddev_samp", "stddev_pop", "var", "variance",
                           "median", "quantile", "percentile_approx", "nunique", "countDistinct", "min", "max"})
_MISSING = frozenset({"isnull", "isNull", "isna", "null_count", "isnan"})
_STORE = re.compile(r"\binsert\s+into\b", re.I)


def data_profile(src: Source) -> Hit | None:
    """Monitoring code that profiles each batch of data (distribution and missing values of its
    columns) and stores the profile, so quality can be followed over time."""
    if "null" not in src.lower and "isna" not in src.lower and "isnan" not in src.lower:
        return None  # no missing values counted: the module need not be parsed
    if not src.monitoring or not src.facts.imports_any(("pandas", "polars", "pyspark", "numpy")):
        return None
    tails = {c.name.rsplit(".", 1)[-1]: c for c in src.facts.calls}
    missing = sorted(_MISSING & tails.keys())
    distribution = sorted(_DISTRIBUTION & tails.keys())
    if not missing or not distribution:
        return None
    store = src.call(r"\.to_sql", r"\.insert_one", r"\.insert_many", r"\.insert_rows_json", r"\.executemany") \
        or (src.call(r"\.execute") if _STORE.search(src.text) else None)
    if store is None:
        return None
    line = tails[missing[0]].line
    return Hit(src.path, line, f"data profile of each batch stored ({', '.join(distribution[:2] + missing[:1])} "
                               f"-> {store.name.rsplit('.', 1)[-1]})")


#: a Vertex AI batch prediction job is handed monitoring objectives in its request
#: (``modelMonitoringConfig.objectiveConfigs[].trainingPredictionSkewDetectionConfig``) or through
#: the SDK's ``batch_predict(model_monitoring_objective_config=...)``: each job checks its inputs.
_VERTEX_BATCH = (r"\.create_batch_prediction_job", r"BatchPredictionJob\.create", r"\.batch_predict")
_BATCH_OBJECTIVES = re.compile(r"(training_?prediction_?skew_?detection_?config|prediction_?drift_?detection_?config"
                               r"|model_monitoring_objective_config)", re.I)


def batch_job_monitoring(src: Source) -> Hit | None:
    """Vertex AI batch prediction jobs that carry skew or drift detection objectives."""
    if "skew" not in src.lower and "drift" not in src.lower or not src.facts.imports_any(("google.cloud.aiplatform",
                                                                                           "google.cloud.aiplatform_v1",
                                                                                           "google.cloud.aiplatform_v1beta1")):
        return None
    call = src.call(*_VERTEX_BATCH)
    objective = _BATCH_OBJECTIVES.search(src.text) if call else None
    if objective is None:
        return None
    return Hit(src.path, call.line, f"batch prediction job given a monitoring objective ({objective.group(1)}): "
                                    "each job's inputs are checked for skew or drift")


#: a Snowflake model monitor created in SQL the code runs: it computes drift and performance over
#: the model's inference log, refreshed every ``REFRESH_INTERVAL``.
_SQL_MODEL_MONITOR = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?MODEL\s+MONITOR\b", re.I)
_REFRESH = re.compile(r"\bREFRESH_INTERVAL\s*=", re.I)


def _model_monitor_sql(src: Source) -> int | None:
    """Line of a ``CREATE MODEL MONITOR`` statement that the module runs (``session.sql(...)``)."""
    if "monitor" not in src.lower:
        return None
    found = _SQL_MODEL_MONITOR.search(src.text)
    if found is None or src.call(r"\.sql") is None:
        return None
    return src.text.count("\n", 0, found.start()) + 1


def sql_model_monitor(src: Source) -> Hit | None:
    """A Snowflake model monitor created by the code: drift and performance of the model's predictions."""
    line = _model_monitor_sql(src)
    return Hit(src.path, line, "Snowflake model monitor created (CREATE MODEL MONITOR)") if line else None


def sql_model_monitor_refresh(src: Source) -> Hit | None:
    """The monitor refreshes on its own schedule (``REFRESH_INTERVAL``)."""
    line = _model_monitor_sql(src)
    if line is None or not _REFRESH.search(src.text):
        return None
    return Hit(src.path, line, "Snowflake model monitor refreshed on its own (REFRESH_INTERVAL)")

