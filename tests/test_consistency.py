"""The vocabulary, the detectors, the catalogue and the rules agree with each other."""
from __future__ import annotations

from detectors.catalogue import catalogue
from scanner.detector import Detector, load_detectors
from scanner.rules_engine import load_rules
from scanner.vocabulary import families, vocabulary


def test_all_builtin_detectors_load():
    loaded = load_detectors()
    assert loaded.failures == {}
    assert {cls.id for cls in loaded.detectors} >= {
        "tools", "data", "tracking", "ci", "deployment", "monitoring", "governance", "collaboration", "history"}


def test_every_repository_signal_is_decided_by_some_detector():
    decided = {s for cls in load_detectors().detectors for s in cls.signals}
    repo_signals = {s for s, spec in vocabulary().items() if spec.source == "repository"}
    assert repo_signals - decided == set()


def test_detectors_declare_only_known_families_and_are_documented():
    for cls in load_detectors().detectors:
        assert issubclass(cls, Detector)
        assert cls.__doc__ and cls.__doc__.strip(), cls.id
        assert {s.split(".")[0] for s in cls.signals} <= families(), cls.id


def test_catalogue_signals_are_vocabulary_signals():
    vocab = vocabulary()
    for tool in catalogue().values():
        assert set(tool.signals) <= set(vocab), tool.name
        assert tool.imports or tool.via or tool.files or tool.commands or tool.packages, tool.name


def test_every_rule_signal_is_in_the_vocabulary_and_most_repo_signals_are_judged():
    rules = load_rules()
    used = {s for levels in rules.levels.values() for rules_ in levels.values() for r in rules_ for s in r.when.signals()}
    assert used <= set(vocabulary())
    # informational signals (counts, anti-signals) may stay unjudged, but only a few
    repo_unjudged = {s for s, spec in vocabulary().items() if spec.source == "repository"} - used
    assert repo_unjudged == {"data.raw_data_committed", "tracking.notebooks",
                             "governance.fairness_explainability", "collaboration.task_runner"}
