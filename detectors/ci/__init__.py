"""CI understanding: CI files of every major system read into one model, and the signals
decided from what their jobs really run. ``read_ci`` gives other detectors the same reading."""
from detectors.ci.detector import CIDetector, CIRead, read_ci

__all__ = ["CIDetector", "CIRead", "read_ci"]
