"""The scan engine: folding evidence into signals, failing detectors, coverage."""
from __future__ import annotations

from typing import Iterator

from conftest import write_tree
from scanner.detector import Detector, LoadedDetectors, ScanContext
from scanner.engine import fold_signals, run_detectors, scan
from scanner.model import Evidence, Outcome, Tier
from scanner.rules_engine import load_rules
from scanner.sources.local import LocalRepo
from scanner.vocabulary import vocabulary


def ev(signal: str, tier: Tier | None = Tier.CONFIGURED, outcome: Outcome = Outcome.PRESENT, path: str = "a.py") -> Evidence:
    return Evidence.make(signal=signal, detector="t", outcome=outcome, tier=tier, summary="s",
                         locations=[], subject=f"{path}{tier}{outcome}")


def test_declared_evidence_never_makes_a_signal_present():
    sigs = fold_signals([ev("tracking.library", Tier.DECLARED)], {"tracking.library"})
    assert sigs["tracking.library"].outcome is Outcome.ABSENT
    assert sigs["tracking.library"].tier is Tier.DECLARED
    assert len(sigs["tracking.library"].evidence_ids) == 1


def test_strongest_tier_wins_and_error_is_not_absent():
    sigs = fold_signals([ev("deploy.cd"), ev("deploy.cd", Tier.EXECUTED),
                         ev("deploy.ci_tests", None, Outcome.ERROR)], {"deploy.cd", "deploy.ci_tests"})
    assert sigs["deploy.cd"].outcome is Outcome.PRESENT and sigs["deploy.cd"].tier is Tier.EXECUTED
    assert sigs["deploy.ci_tests"].outcome is Outcome.ERROR


def test_every_vocabulary_signal_gets_a_verdict():
    sigs = fold_signals([], {"data.prep_code"})
    assert set(vocabulary()) <= set(sigs)
    assert sigs["data.prep_code"].outcome is Outcome.ABSENT
    assert sigs["platform.branch_protection"].outcome is Outcome.NOT_AVAILABLE
    assert "platform source not given" in sigs["platform.branch_protection"].reason
    assert sigs["mlflow.registered_models"].outcome is Outcome.NOT_AVAILABLE


class Exploding(Detector):
    id = "exploding"
    signals = ("monitoring.drift",)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        yield self.evidence("monitoring.drift", "found something first")
        raise RuntimeError("parser blew up")


class Fine(Detector):
    id = "fine"
    signals = ("governance.license",)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        if "LICENSE" in ctx.files():
            yield self.evidence("governance.license", "LICENSE file", ctx.location("LICENSE"))


def test_a_failing_detector_becomes_error_evidence_and_the_scan_goes_on(tmp_path):
    write_tree(tmp_path, {"LICENSE": "MIT"})
    result = scan(LocalRepo(tmp_path), load_rules(), loaded=LoadedDetectors(detectors=[Exploding, Fine]))
    assert result.signals["monitoring.drift"].outcome is Outcome.ERROR
    assert "parser blew up" in result.signals["monitoring.drift"].reason
    assert result.signals["governance.license"].outcome is Outcome.PRESENT
    assert result.errors == ({"source": "detector:exploding", "message": "RuntimeError: parser blew up"},)
    assert result.coverage["detectors"]["exploding"]["status"] == "error"
    assert result.coverage["detectors"]["fine"]["status"] == "ok"
    assert result.scores["governance"].level == 1


def test_debug_reraises(tmp_path):
    import pytest
    with pytest.raises(RuntimeError):
        run_detectors(ScanContext(LocalRepo(tmp_path)), [Exploding], debug=True)


class NeedsMlflow(Detector):
    id = "needs_mlflow"
    signals = ("mlflow.registered_models",)
    sources = ("mlflow",)

    def detect(self, ctx):  # pragma: no cover - never called without the source
        raise AssertionError


def test_detector_without_its_source_is_skipped_and_its_signals_not_available(tmp_path):
    result = scan(LocalRepo(tmp_path), load_rules(), loaded=LoadedDetectors(detectors=[NeedsMlflow]))
    assert result.coverage["detectors"]["needs_mlflow"]["status"] == "skipped"
    assert result.signals["mlflow.registered_models"].outcome is Outcome.NOT_AVAILABLE


def test_location_carries_sha256_of_what_was_read(tmp_path):
    import hashlib
    write_tree(tmp_path, {"LICENSE": "MIT"})
    result = scan(LocalRepo(tmp_path), load_rules(), loaded=LoadedDetectors(detectors=[Fine]))
    (lic,) = [e for e in result.evidence if e.signal == "governance.license"]
    assert lic.locations[0].sha256 == hashlib.sha256(b"MIT").hexdigest()


def test_syntax_trees_are_shared_between_detectors_and_bounded(tmp_path, monkeypatch):
    import scanner.detector as detector_module

    write_tree(tmp_path, {"a.py": "x = 1\n" * 10, "b.py": "y = 2\n" * 10, "c.py": "def f(:\n", "d.yaml": "a: 1\n"})
    monkeypatch.setattr(detector_module, "TREE_CACHE_CHARS", 100)
    ctx = ScanContext(LocalRepo(tmp_path))
    first = ctx.tree("a.py")
    assert first is not None and ctx.tree("a.py") is first  # one parse, shared
    assert ctx.tree("c.py") is None and ctx.tree("d.yaml") is None  # unparsable, not Python
    ctx.tree("b.py")  # 60 + 8 + 60 characters: over the cap, the oldest tree goes
    assert "a.py" not in ctx._trees and ctx._tree_chars <= 100
    assert ctx.tree("a.py") is not first  # parsed again on demand, same content


def test_a_scans_syntax_trees_are_freed_when_it_ends_without_the_collector(tmp_path, monkeypatch):
    """The context's caches refer back to it: released at the end of the scan, the trees go at
    once, not at the cyclic collector's next full pass over everything the scan built."""
    import gc
    import weakref

    write_tree(tmp_path, {"src/train.py": "import mlflow\nmlflow.log_metric('a', 1)\n",
                          "src/serve.py": "import joblib\nmodel = joblib.load('m.pkl')\n"})
    trees: list[weakref.ref] = []
    keep = ScanContext._keep_tree

    def remember(self, path, tree, size):
        if tree is not None:
            trees.append(weakref.ref(tree))
        keep(self, path, tree, size)

    monkeypatch.setattr(ScanContext, "_keep_tree", remember)
    gc.disable()
    try:
        scan(LocalRepo(tmp_path), load_rules())
        assert trees and all(ref() is None for ref in trees)
    finally:
        gc.enable()


def test_a_script_paired_with_a_notebook_or_exported_from_one_is_notebook_code(tmp_path):
    write_tree(tmp_path, {"ch04/ch04.ipynb": "{}", "ch04/ch04.py": "import pandas as pd\n",
                          "nb/explore.py": "# Databricks notebook source\nimport pandas\n",
                          "src/prepare.py": "import pandas as pd\n"})
    ctx = ScanContext(LocalRepo(tmp_path))
    assert [p for p, _ in ctx.python_files(notebooks=False)] == ["src/prepare.py"]
    assert ctx.is_notebook("ch04/ch04.py") and ctx.is_notebook("nb/explore.py") and not ctx.is_notebook("src/prepare.py")


def test_a_script_without_a_suffix_that_python_runs_is_python_source(tmp_path):
    # a SageMaker container's ``train`` and ``serve``: Python by their first line, not their name
    write_tree(tmp_path, {"container/train": "#!/usr/bin/env python\nimport pandas as pd\npd.read_csv('x')\n",
                          "container/serve": "#!/usr/bin/env python3\nimport flask\n",
                          "scripts/setup": "#!/bin/bash\npython -m pip install .\n",  # a shell script naming python
                          "Makefile": "all:\n\tpython train.py\n", "LICENSE": "MIT\n"})
    ctx = ScanContext(LocalRepo(tmp_path))
    assert ctx.python_scripts() == {"container/train", "container/serve"}
    assert sorted(p for p, _ in ctx.python_files()) == ["container/serve", "container/train"]
    assert ctx.python("container/train").imports_any(("pandas",)) == "pandas"
    assert ctx.tree("container/train") is not None and ctx.is_python_source("container/serve")
    assert not ctx.is_python_source("scripts/setup") and ctx.tree("scripts/setup") is None


def test_a_databricks_notebook_a_job_runs_is_production_code(tmp_path):
    # a job's task names the notebook by its workspace path; what the notebook pulls in with
    # ``%run`` runs with it; a notebook no job names stays notebook code
    write_tree(tmp_path, {"jobs/score.json": '{"notebook_task": {"notebook_path": "/Repos/Prod/app/notebooks/score"}}',
                          "notebooks/score.py": "# Databricks notebook source\n# MAGIC %run ./utils\n\nscore()\n",
                          "notebooks/utils.py": "# Databricks notebook source\nimport pandas as pd\n",
                          "notebooks/explore.py": "# Databricks notebook source\nimport pandas as pd\n"})
    ctx = ScanContext(LocalRepo(tmp_path))
    assert ctx.job_notebooks() == {"notebooks/score.py", "notebooks/utils.py"}
    assert sorted(p for p, _ in ctx.python_files(notebooks=False)) == ["notebooks/score.py", "notebooks/utils.py"]
    assert all(ctx.is_notebook(p) for p in ("notebooks/score.py", "notebooks/explore.py"))  # notebooks all the same


def test_a_script_kept_beside_its_notebook_is_project_code_when_a_shell_script_runs_it(tmp_path):
    # research repositories keep ``main_train.py`` and ``main_train.ipynb`` side by side and run
    # the script from their experiment scripts; an exported copy nothing runs stays notebook code
    write_tree(tmp_path, {"main_train.ipynb": "{}", "main_train.py": "import torch\n",
                          "explore.ipynb": "{}", "explore.py": "import pandas\n",
                          "scripts/zinc.sh": "code=main_train.py\npython $code --config configs/zinc.json\n"})
    ctx = ScanContext(LocalRepo(tmp_path))
    assert not ctx.is_notebook("main_train.py") and ctx.is_notebook("explore.py")
