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
    """Custom drift checks: two-sample tests in monitoring code, or a PSI function."""
    psi = next((d for d in sorted(src.facts.defs) if _PSI_DEF.search(d)), None)
    if psi and ("population_stability" in psi.lower() or src.monitoring or _PSI_ARGS <= src.names):
        return Hit(src.path, None, f"population stability index computed ({psi})")
    call = src.call(*(r"scipy\.[\w.]*" + t for t in _STAT_TESTS))
    if call and src.monitoring:
        return Hit(src.path, call.line, f"statistical drift test ({call.name})")
    return None
