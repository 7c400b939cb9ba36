"""Sources: read-only access to what is scanned (the collect layer)."""
from scanner.sources.interface import (
    Commit,
    FileTooLarge,
    History,
    RepoView,
    SourceError,
    TargetUnreadable,
)

__all__ = ["Commit", "FileTooLarge", "History", "RepoView", "SourceError", "TargetUnreadable"]
