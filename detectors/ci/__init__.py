"""CI understanding: CI files of every major system read into one model, and the signals
decided from what their jobs really run."""
from detectors.ci.detector import CIDetector

__all__ = ["CIDetector"]
