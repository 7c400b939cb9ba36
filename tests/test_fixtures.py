"""End to end over the bundled fixture repositories: the levels and signals each one claims.

The expectations live in tests/fixture_expectations.yaml, written from RUBRIC.md by hand: what
each fixture deliberately makes present (and absent), and the level that follows.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES
from scanner.engine import scan
from scanner.model import DIMENSIONS, Outcome
from scanner.rules_engine import load_rules
from scanner.sources.local import LocalRepo
from scanner.vocabulary import vocabulary

EXPECTATIONS = yaml.safe_load((Path(__file__).parent / "fixture_expectations.yaml").read_text())


@pytest.fixture(scope="module")
def results():
    rules = load_rules()
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = scan(LocalRepo(FIXTURES / name), rules)
        return cache[name]
    return get


def test_every_fixture_has_expectations_and_every_expectation_a_fixture():
    # fixtures/api holds recorded platform API payloads, not a repository to scan
    on_disk = {p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name != "api"}
    assert on_disk == set(EXPECTATIONS)


def test_fixtures_span_levels_zero_to_four():
    levels = {lvl for exp in EXPECTATIONS.values() for lvl in (exp.get("levels") or {}).values()}
    assert {0, 1, 2, 3, 4} <= levels


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_fixture_levels(name, results):
    expected = EXPECTATIONS[name].get("levels")
    if not expected:
        pytest.skip("a trap fixture: only its signals are asserted")
    got = {dim: results(name).scores[dim].level for dim in DIMENSIONS}
    assert got == {dim: expected[dim] for dim in DIMENSIONS}


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_fixture_signals(name, results):
    result = results(name)
    assert set(vocabulary()) <= set(result.signals)
    present = {s for s, r in result.signals.items() if r.outcome is Outcome.PRESENT}
    want = set(EXPECTATIONS[name].get("present") or ())
    unwanted = set(EXPECTATIONS[name].get("absent") or ())
    assert want - present == set(), "expected present but not found"
    assert unwanted & present == set(), "trap or deliberately missing practice detected as present"
    assert not result.errors
