"""Detectors shared out over forked processes: the same bundle as one process, never a lost result."""
from __future__ import annotations

import json
import os
import threading
from typing import Iterator

import pytest

from conftest import FIXTURES, write_tree
from scanner.detector import Detector, LoadedDetectors, ScanContext, load_detectors
from scanner.engine import run_detectors, scan
from scanner.model import Evidence, Outcome
from scanner.parallel import can_fork, share_out
from scanner.rules_engine import load_rules
from scanner.sources.local import LocalRepo

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="detectors share out over fork() only")


def _bundle(result) -> dict:
    """The bundle's content but for times."""
    coverage = json.loads(json.dumps(result.coverage))
    for entry in coverage["detectors"].values():
        entry.pop("seconds", None)
    return {"signals": result.signals, "evidence": result.evidence, "scores": result.scores,
            "coverage": coverage, "errors": result.errors}


@pytest.mark.parametrize("name", ["full_stack", "ci_serving", "scripts_mlflow", "trap_vendored"])
def test_two_processes_give_the_bundle_one_gives(name):
    rules, loaded = load_rules(), load_detectors()
    one = scan(LocalRepo(FIXTURES / name), rules, loaded=loaded, jobs=1)
    two = scan(LocalRepo(FIXTURES / name), rules, loaded=loaded, jobs=2)
    assert _bundle(two) == _bundle(one)
    # the files the forked detectors read are counted too
    assert two.coverage["sources"]["repository"]["files_read"] == one.coverage["sources"]["repository"]["files_read"]


class _Recorder(Detector):
    """Records which process it ran in, in evidence of its own."""

    signals = ("governance.license",)
    cost = 5

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        ctx.text("LICENSE")
        yield self.evidence("governance.license", f"ran in {os.getpid()}", ctx.location("LICENSE"),
                            subject=self.id)


class Heavy(_Recorder):
    id = "heavy"


class Heavier(_Recorder):
    id = "heavier"
    cost = 6


class Unpicklable(Detector):
    """Evidence carrying an attribute no process can hand to another."""

    id = "unpicklable"
    signals = ("monitoring.drift",)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        yield self.evidence("monitoring.drift", f"ran in {os.getpid()}", subject="x", handle=threading.Lock())


def _pids(evidence: list[Evidence]) -> set[str]:
    return {e.summary.rsplit(" ", 1)[-1] for e in evidence}


def test_detectors_run_in_two_processes_and_come_back_in_order(tmp_path):
    write_tree(tmp_path, {"LICENSE": "MIT"})
    ctx = ScanContext(LocalRepo(tmp_path))
    evidence, coverage, errors, decided = run_detectors(ctx, [Heavy, Heavier], jobs=2)
    assert len(_pids(evidence)) == 2 and str(os.getpid()) in _pids(evidence)
    assert [e.detector for e in evidence] == ["heavy", "heavier"]
    assert list(coverage) == ["heavy", "heavier"] and not errors
    assert decided == {"governance.license"}
    assert "LICENSE" in ctx.repo.log.sha256  # read in the other process, recorded here


def test_what_a_forked_process_cannot_hand_back_is_run_here(tmp_path):
    write_tree(tmp_path, {"LICENSE": "MIT"})
    ctx = ScanContext(LocalRepo(tmp_path))
    groups = share_out([Heavy, Unpicklable], 2)
    assert groups == [[Heavy], [Unpicklable]]  # the heaviest stays, the other goes
    evidence, coverage, errors, _ = run_detectors(ctx, [Heavy, Unpicklable], jobs=2)
    assert _pids(evidence) == {str(os.getpid())}
    assert coverage["unpicklable"]["status"] == "ok" and not errors
    assert {e.signal for e in evidence if e.outcome is Outcome.PRESENT} == {"governance.license", "monitoring.drift"}


def test_a_failing_detector_in_the_other_process_is_error_evidence(tmp_path):
    class Failing(Detector):
        id = "failing"
        signals = ("monitoring.alerting",)

        def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
            raise RuntimeError("broke in the fork")
            yield

    write_tree(tmp_path, {"LICENSE": "MIT"})
    assert share_out([Heavy, Failing], 2) == [[Heavy], [Failing]]
    result = scan(LocalRepo(tmp_path), load_rules(), loaded=LoadedDetectors(detectors=[Heavy, Failing]), jobs=2)
    assert result.signals["monitoring.alerting"].outcome is Outcome.ERROR
    assert result.errors == ({"source": "detector:failing", "message": "RuntimeError: broke in the fork"},)


def test_live_sources_and_threads_keep_detection_in_one_process(tmp_path):
    write_tree(tmp_path, {"LICENSE": "MIT"})
    assert can_fork(ScanContext(LocalRepo(tmp_path)))
    assert not can_fork(ScanContext(None, mlflow=object()))  # no repository on this disk

    class Remote(LocalRepo):
        local = False  # read through an HTTP client the parent owns

    assert not can_fork(ScanContext(Remote(tmp_path)))
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not can_fork(ScanContext(LocalRepo(tmp_path)))
        evidence, *_ = run_detectors(ScanContext(LocalRepo(tmp_path)), [Heavy, Heavier], jobs=2)
        assert _pids(evidence) == {str(os.getpid())}
    finally:
        release.set()
        other.join()


def test_detectors_of_a_live_source_stay_here():
    class Live(Detector):
        id = "live"
        signals = ("mlflow.registered_models",)
        sources = ("mlflow",)
        cost = 100

        def detect(self, ctx):
            return ()

    here, elsewhere = share_out([Live, Heavy, Heavier], 2)
    assert Live in here and Live not in elsewhere
