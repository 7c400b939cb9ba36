"""The detector plugin interface, the context detectors read through, and plugin loading."""
from __future__ import annotations

import abc
import ast
import logging
import posixpath
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import entry_points
from typing import Any, Callable, ClassVar, Iterable, Iterator, Mapping

from scanner.model import Evidence, Location, Outcome, Tier
from scanner.parsing.python import LazyFacts, PyFacts, notebook_export, parse_notebook, parse_source, parse_tree
from scanner.parsing.structured import ParseError, helm_untemplated, load_json, load_toml, load_yaml_documents
from scanner.scope import ranked
from scanner.sources.interface import History, RepoView, SourceError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mlops_scan.detectors"
#: source characters whose syntax trees a scan keeps for detectors that walk them (~125 MB):
#: enough for most repositories' whole Python code, so each file is parsed once.
TREE_CACHE_CHARS = 4_000_000
#: files that run the project's scripts: shell scripts, Makefiles, justfiles, Dockerfiles, configs.
_RUNNER_FILE = re.compile(r"\.(sh|bash|zsh|mk|ya?ml|toml|cfg)$|(^|/)(Makefile|makefile|GNUmakefile|justfile|Dockerfile|Procfile)$")
_PY_SCRIPT = re.compile(r"[\w./-]+\.py\b")
#: the notebook a job task runs (``"notebook_path": "/Repos/Prod/app/notebooks/score"``)
_NOTEBOOK_PATH = re.compile(r"""notebook_path["']?\s*[:=]\s*["']?([^"'\s,}]+)""")
#: a Databricks notebook including another (``# MAGIC %run ./utils``)
_MAGIC_RUN = re.compile(r"^# MAGIC %run\s+(\.{1,2}/[\w./-]+)", re.M)
#: the first line of a script that Python runs
_PY_SHEBANG = re.compile(r"#![^\n]*\bpython[\d.]*\b")
#: a script without a suffix larger than this is no hand-written script (its head is not read)
MAX_SCRIPT_BYTES = 1_000_000


class ScanContext:
    """What detectors read: the sources, with parsed files cached so each is parsed once."""

    def __init__(self, repo: RepoView | None, mlflow: Any = None, platform: Any = None,
                 monitoring: Mapping[str, Any] | None = None) -> None:
        self.repo = repo
        self.mlflow = mlflow
        """A tracking-server source (scanner.sources.mlflow_server), when one was given."""
        self.platform = platform
        """A hosting-platform source (GitHub/GitLab facts), when the target is on one."""
        self.monitoring = dict(monitoring or {})
        """Live monitoring sources given, by name (prometheus, alertmanager, grafana)."""
        self._py: dict[str, PyFacts | None] = {}
        self._trees: OrderedDict[str, tuple[ast.Module | None, int]] = OrderedDict()
        self._tree_chars = 0
        self._structured: dict[str, Any] = {}
        self._history: History | None | bool = False
        self._memo: dict[str, Any] = {}
        self._exports: dict[str, bool] = {}
        self.problems: dict[str, str] = {}
        """path -> why the file could not be parsed (reported in coverage)."""

    @property
    def sources(self) -> frozenset[str]:
        """Names of the sources this scan has."""
        given = {"repo": self.repo, "mlflow": self.mlflow, "platform": self.platform, **self.monitoring}
        return frozenset(name for name, source in given.items() if source is not None)

    def files(self) -> tuple[str, ...]:
        """Repository files in scope (empty without a repository)."""
        return self.repo.files() if self.repo is not None else ()

    def text(self, path: str) -> str | None:
        """Decoded text of a repository file, or None when unreadable (recorded)."""
        return self.repo.read_text(path) if self.repo is not None else None

    def history(self) -> History | None:
        """Git history of the repository, read once."""
        if self._history is False:
            self._history = self.repo.history() if self.repo is not None else None
        return self._history  # type: ignore[return-value]

    def python(self, path: str) -> PyFacts | LazyFacts | None:
        """Imports and calls of a .py file or a notebook's code cells (None if unreadable).

        A .py file is parsed when its facts are first used: ``import_candidates`` answers
        "could it import X?" from its text alone, so files that cannot matter are never parsed.
        """
        if path not in self._py:
            text = self.text(path)
            facts: PyFacts | LazyFacts | None = None
            if text is not None and path.endswith(".ipynb"):
                facts = parse_notebook(text)
                if facts.error:
                    self.problems[path] = facts.error
            elif text is not None:
                facts = LazyFacts(text, partial(self._parse_py, path))
            self._py[path] = facts
        return self._py[path]

    def _parse_py(self, path: str, text: str) -> PyFacts:
        """One parse of a source: its facts, and its tree kept for detectors that walk it."""
        tree, facts = parse_source(text)
        if not path.endswith(".ipynb"):
            self._keep_tree(path, tree, len(text))
        if facts.error:
            self.problems[path] = facts.error
        return facts

    def python_files(self, notebooks: bool = True) -> Iterator[tuple[str, PyFacts]]:
        """(path, facts) of every Python source, and of notebooks unless told otherwise."""
        # production modules first: a detector citing the first match cites the real code
        paths = self.memo("python_paths", lambda: ranked(p for p in self.files() if p.endswith((".py", ".ipynb"))
                                                          or p in self.python_scripts()))
        for path in paths:
            if notebooks or not self.is_notebook(path) or path in self.job_notebooks():
                facts = self.python(path)
                if facts is not None:
                    yield path, facts

    def python_scripts(self) -> frozenset[str]:
        """Python sources without the ``.py`` suffix: files with no extension whose first line
        runs Python (``#!/usr/bin/env python``), such as a SageMaker container's ``train`` and
        ``serve`` or a ``bin/`` tool."""
        return self.memo("python_scripts", lambda: frozenset(
            p for p in self.files() if "." not in p.rsplit("/", 1)[-1] and _PY_SHEBANG.match(self._head(p))))

    def _head(self, path: str) -> str:
        try:
            small = self.repo is not None and self.repo.size(path) <= MAX_SCRIPT_BYTES
        except (OSError, SourceError):
            return ""
        return (self.text(path) or "")[:200] if small else ""

    def is_python_source(self, path: str) -> bool:
        """A Python module or script (not a notebook)."""
        return path.endswith(".py") or path in self.python_scripts()

    def job_notebooks(self) -> frozenset[str]:
        """Notebooks kept as scripts (Databricks source notebooks) that a job runs: a job or bundle
        definition names them as its task's ``notebook_path``. A notebook a job runs on schedule or
        from CI is the project's production code, whatever its format."""
        def find() -> frozenset[str]:
            named = {m.rsplit("/", 1)[-1].removesuffix(".py") for p in self.files()
                     if p.endswith((".json", ".yml", ".yaml", ".tf"))
                     for m in _NOTEBOOK_PATH.findall(self.text(p) or "")}
            run = {p for p in self.files() if p.endswith(".py") and p.rsplit("/", 1)[-1][:-3] in named
                   and self.is_notebook(p)}
            # and the notebooks they pull in (``# MAGIC %run ./utils``)
            for path in sorted(run):
                folder = path.rsplit("/", 1)[0] if "/" in path else ""
                for target in _MAGIC_RUN.findall(self.text(path) or ""):
                    included = posixpath.normpath(posixpath.join(folder, target)) + ".py"
                    if self.repo is not None and self.repo.exists(included):
                        run.add(included)
            return frozenset(run)
        return self.memo("job_notebooks", find)

    def is_notebook(self, path: str) -> bool:
        """A notebook, or a script that is one: exported beside its ``.ipynb`` (jupytext,
        nbconvert), or a notebook by its first lines (``# Databricks notebook source``, a
        jupytext header)."""
        if path.endswith(".ipynb"):
            return True
        if not path.endswith(".py"):
            return False
        if path[:-3] + ".ipynb" in self.memo("notebook_set", lambda: frozenset(
                p for p in self.files() if p.endswith(".ipynb"))):
            # a script kept beside its notebook is still the one the project runs when a shell
            # script, Makefile or config names it (``python main_train.py --config ...``)
            return path.rsplit("/", 1)[-1] not in self.memo("run_scripts", self._run_scripts)
        if path not in self._exports:
            self._exports[path] = notebook_export(self.text(path) or "")
        return self._exports[path]

    def _run_scripts(self) -> frozenset[str]:
        """File names of the Python scripts that the repository's shell scripts, Makefiles and
        configs name."""
        names: set[str] = set()
        for path in self.files():
            if _RUNNER_FILE.search(path):
                names.update(m.rsplit("/", 1)[-1] for m in _PY_SCRIPT.findall(self.text(path) or ""))
        return frozenset(names)

    def tree(self, path: str) -> ast.Module | None:
        """Syntax tree of a .py file within the parse caps (None if it does not parse).

        Trees are large (about 30 bytes per source character): the last few requested are kept
        (``TREE_CACHE_CHARS`` of source), so detectors asking for the same file share one parse.
        """
        if path in self._trees:
            self._trees.move_to_end(path)
            return self._trees[path][0]
        source = self.is_python_source(path)
        facts = self.python(path) if source else None
        if isinstance(facts, LazyFacts) and not facts.parsed:
            facts.facts()  # the one parse of the file keeps its tree
            if path in self._trees:
                return self._trees[path][0]
        text = self.text(path) if source else None
        tree = parse_tree(text) if text else None
        self._keep_tree(path, tree, len(text or ""))
        return tree

    def _keep_tree(self, path: str, tree: ast.Module | None, size: int) -> None:
        if path in self._trees:
            self._tree_chars -= self._trees.pop(path)[1]
        self._trees[path] = (tree, size)
        self._tree_chars += size
        while self._tree_chars > TREE_CACHE_CHARS and len(self._trees) > 1:
            _, (_, dropped) = self._trees.popitem(last=False)
            self._tree_chars -= dropped

    def release(self) -> None:
        """Drop what detection cached (parsed files, trees, shared values) once it is over.

        Those caches refer back to the context (a lazily parsed file keeps the context's parse
        method): left to the cyclic collector, a scan's syntax trees would outlive it and the
        collector's next full pass would walk them all. Dropped here they are freed at once.
        """
        self._py.clear()
        self._trees.clear()
        self._tree_chars = 0
        self._structured.clear()
        self._memo.clear()

    def shared_state(self) -> dict[str, Any]:
        """What detection learned that the scan reports beside evidence (files read and skipped,
        files that did not parse, the history read): handed back by a forked process."""
        log = self.repo.log if self.repo is not None else None
        return {"read": dict(log.sha256) if log else {}, "skipped": dict(log.skipped) if log else {},
                "problems": dict(self.problems), "history": self._history}

    def adopt(self, state: dict[str, Any]) -> None:
        """Take in what a forked process's detectors learned (``shared_state``)."""
        if self.repo is not None:
            for path, sha in state["read"].items():
                self.repo.log.sha256.setdefault(path, sha)
            for path, why in state["skipped"].items():
                self.repo.log.skipped.setdefault(path, why)
        for path, why in state["problems"].items():
            self.problems.setdefault(path, why)
        if self._history is False:
            self._history = state["history"]

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """A value derived once per scan and shared by detectors (e.g. parsed manifests)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def structured(self, path: str) -> Any:
        """Parsed YAML (list of documents), JSON or TOML; raises ParseError (recorded)."""
        if path not in self._structured:
            text = self.text(path)
            try:
                if text is None:
                    reason = self.repo.log.skipped.get(path, "unreadable") if self.repo else "no repository"
                    raise ParseError(reason)
                low = path.lower()
                if low.endswith(".json") or low.endswith(".ipynb"):
                    value: Any = load_json(text)
                elif low.endswith(".toml"):
                    value = load_toml(text)
                else:
                    value = self._yaml(path, text)
            except ParseError as exc:
                self.problems[path] = str(exc)
                value = exc
            self._structured[path] = value
        value = self._structured[path]
        if isinstance(value, ParseError):
            raise value
        return value

    def yaml_documents(self, marker: str) -> Iterator[tuple[str, str, dict]]:
        """(path, text, document) of the mappings of every YAML file whose text holds ``marker``
        (a cheap test before parsing); files that do not parse are recorded and skipped."""
        for path in self.repo.glob("*.yaml", "*.yml") if self.repo is not None else ():
            text = self.text(path) or ""
            if marker not in text:
                continue
            try:
                docs = self.structured(path)
            except ParseError:
                continue
            for doc in docs if isinstance(docs, list) else [docs]:
                if isinstance(doc, dict):
                    yield path, text, doc

    @staticmethod
    def _yaml(path: str, text: str) -> list[Any]:
        """YAML documents; a Helm chart's template, not YAML until rendered, is read with its
        template actions taken out (its manifests are the chart's)."""
        try:
            return load_yaml_documents(text)
        except ParseError:
            if "/templates/" not in f"/{path}" or "{{" not in text:
                raise
            return load_yaml_documents(helm_untemplated(text))

    def location(self, path: str, line: int | None = None, **extra: Any) -> Location:
        """A location carrying the sha256 of the file's content (read now if it was not yet)."""
        sha = None
        if self.repo is not None and self.repo.exists(path):
            try:
                self.repo.read_bytes(path)
            except SourceError:
                pass  # over the cap or unreadable: recorded in coverage, no digest to give
            sha = self.repo.sha256(path)
        return Location(path=path, line=line, sha256=sha, **extra)


class Detector(abc.ABC):
    """A plugin that reads sources and yields evidence for vocabulary signals. Never scores.

    Subclasses declare ``id``, the ``signals`` they decide (every one of them is ``absent``
    when the detector runs and yields nothing for it) and the ``sources`` they need. The class
    docstring is the detector's documentation.
    """

    id: ClassVar[str]
    signals: ClassVar[tuple[str, ...]]
    sources: ClassVar[tuple[str, ...]] = ("repo",)
    cost: ClassVar[float] = 1.0
    """Rough share of a scan's time, relative to a light detector: detectors are shared out over
    processes by it."""

    @abc.abstractmethod
    def detect(self, ctx: ScanContext) -> Iterable[Evidence]:
        """Yield evidence; raise only for a real failure (it becomes ``error`` evidence)."""

    def evidence(
        self,
        signal: str,
        summary: str,
        *locations: Location,
        tier: Tier = Tier.CONFIGURED,
        outcome: Outcome = Outcome.PRESENT,
        subject: str = "",
        **attributes: Any,
    ) -> Evidence:
        """Evidence from this detector (``subject`` tells apart findings in one file)."""
        return Evidence.make(signal=signal, detector=self.id, outcome=outcome, tier=tier,
                             summary=summary, locations=locations, attributes=attributes,
                             subject=subject)


@dataclass
class LoadedDetectors:
    """Detector classes found through entry points, and the plugins that failed to load."""

    detectors: list[type[Detector]] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)


def load_detectors(disabled: Iterable[str] = ()) -> LoadedDetectors:
    """Load every detector registered in the ``mlops_scan.detectors`` entry-point group."""
    skip = set(disabled)
    out = LoadedDetectors()
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in skip:
            continue
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must not stop the scan
            log.debug("detector plugin %s failed to load: %s", ep.name, exc)
            out.failures[ep.name] = f"failed to load: {exc.__class__.__name__}: {exc}"
            continue
        if not (isinstance(cls, type) and issubclass(cls, Detector)):
            out.failures[ep.name] = "entry point is not a Detector subclass"
            continue
        out.detectors.append(cls)
    return out


__all__ = ["Detector", "ScanContext", "load_detectors", "ParseError", "SourceError"]
