"""Shared test helpers: build small repositories on disk, run one detector over them."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

import pytest

from scanner.detector import Detector, ScanContext
from scanner.model import Evidence
from scanner.sources.local import LocalRepo

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> content) under ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def git(root: Path, *args: str, author: tuple[str, str] = ("Ada Lovelace", "ada@example.org")) -> str:
    """Run git in ``root`` as ``author`` (name, email)."""
    env = {
        "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
        "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1],
        "HOME": str(root), "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True, env=env).stdout


def git_repo(root: Path, files: dict[str, str | bytes], author: tuple[str, str] = ("Ada Lovelace", "ada@example.org")) -> Path:
    """A git repository holding ``files`` in one commit."""
    write_tree(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial commit", author=author)
    return root


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Factory: ``make_repo({"a.py": "..."}, git=False)`` -> path of a new repository."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], git: bool = False) -> Path:
        root = tmp_path / f"repo{next(counter)}"
        root.mkdir()
        return git_repo(root, files) if git else write_tree(root, files)

    return make


def with_sources(make_repo: Callable[..., Path], sources: tuple[str, ...], files: dict[str, str | bytes],
                 **kw) -> Path:
    """A repository of ``files`` that also holds an empty file at each of ``sources`` (the scripts
    and modules its CI steps run: a step running a file the repository lacks counts for nothing)."""
    return make_repo({**{path: "" for path in sources}, **files}, **kw)


def run_detector(detector: type[Detector], root: Path) -> list[Evidence]:
    """All evidence one detector yields for the repository at ``root``."""
    return list(detector().detect(ScanContext(LocalRepo(root))))


def present(evidence: list[Evidence]) -> set[str]:
    """Signals that the evidence makes present (declared mentions excluded)."""
    return {e.signal for e in evidence if e.counts}


def declared(evidence: list[Evidence]) -> set[str]:
    """Signals that have only declared-tier evidence."""
    return {e.signal for e in evidence if e.tier is not None and e.tier.value == "declared"}
