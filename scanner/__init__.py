"""mlops-scan: an evidence-collecting MLOps maturity scanner."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlops-scan")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
