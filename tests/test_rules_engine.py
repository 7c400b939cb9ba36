"""The rules engine: expressions, stacking levels, gaps, confidence, and rule-file errors."""
from __future__ import annotations

import pytest

from scanner.model import DIMENSIONS, Outcome, SignalResult, Tier
from scanner.rules_engine import RuleError, judge, load_rules, parse_rules
from scanner.vocabulary import vocabulary


def signals_with(present: dict[str, Tier] | set[str], unavailable: set[str] = frozenset()) -> dict[str, SignalResult]:
    tiers = present if isinstance(present, dict) else {s: Tier.CONFIGURED for s in present}
    out = {}
    for sig, spec in vocabulary().items():
        if sig in tiers:
            out[sig] = SignalResult(signal=sig, outcome=Outcome.PRESENT, tier=tiers[sig], evidence_ids=(f"ev-{sig}",))
        elif sig in unavailable or spec.live:
            out[sig] = SignalResult(signal=sig, outcome=Outcome.NOT_AVAILABLE, tier=None, reason="not given")
        else:
            out[sig] = SignalResult(signal=sig, outcome=Outcome.ABSENT, tier=None)
    return out


def test_default_rules_cover_every_dimension_with_four_levels():
    rules = load_rules()
    assert set(rules.levels) == set(DIMENSIONS)
    for dim in DIMENSIONS:
        assert sorted(rules.levels[dim]) == [1, 2, 3, 4], dim


def test_nothing_present_scores_zero_with_level_one_as_gap():
    scores = judge(load_rules(), signals_with(set()))
    for dim, score in scores.items():
        assert score.level == 0, dim
        assert score.gap and all(not c.held for c in score.gap)
        assert score.recommendations


def test_levels_stack_a_higher_level_needs_the_lower_ones():
    # level-3 monitoring criteria hold, but nothing of level 1/2: still 0
    scores = judge(load_rules(), signals_with({"monitoring.alerting", "monitoring.retrain_trigger"}))
    assert scores["monitoring"].level == 0
    scores = judge(load_rules(), signals_with({"monitoring.drift", "monitoring.alerting"}))
    assert scores["monitoring"].level == 3
    assert [c.id for c in scores["monitoring"].gap] == ["monitoring.closed_loop"]


def test_met_criteria_carry_the_evidence_ids():
    scores = judge(load_rules(), signals_with({"data.prep_code", "data.versioning"}))
    dm = scores["data_management"]
    assert dm.level == 2
    assert dm.met[0].evidence_ids == ("ev-data.prep_code",)
    assert dm.met[1].evidence_ids == ("ev-data.versioning",)
    assert {c.id for c in dm.gap} == {"data.automated", "data.validated"}


def test_min_count_needs_that_many():
    base = {"collaboration.readme_setup", "collaboration.packaged_code"}
    assert judge(load_rules(), signals_with(base))["collaboration"].level == 1
    assert judge(load_rules(), signals_with(base | {"deploy.tests"}))["collaboration"].level == 2


def test_live_twin_stands_in_for_the_repository_signal():
    sigs = signals_with({"tracking.library", "mlflow.runs_params_metrics"})
    assert judge(load_rules(), sigs)["experiment_tracking"].level == 2


def test_strict_profile_needs_executed_evidence_where_a_live_twin_exists():
    sigs = signals_with({"tracking.library", "tracking.params_metrics"})
    assert judge(load_rules(), sigs)["experiment_tracking"].level == 2
    assert judge(load_rules(profile="strict"), sigs)["experiment_tracking"].level == 1
    live = signals_with({"tracking.library": Tier.CONFIGURED, "mlflow.runs_params_metrics": Tier.LIVE})
    assert judge(load_rules(profile="strict"), live)["experiment_tracking"].level == 2


def test_unavailable_signals_lower_confidence_and_are_listed():
    full = judge(load_rules(), signals_with(set()))["data_management"].confidence
    partial = judge(load_rules(), signals_with(set(), unavailable={"data.versioning"}))["data_management"]
    assert partial.confidence < full
    gap_unknown = judge(load_rules(), signals_with({"data.prep_code"}, unavailable={"data.versioning"}))
    assert "data.versioning" in gap_unknown["data_management"].gap[0].unknown_signals


MINIMAL = """
dimensions:
{dims}
"""


def _minimal(extra: str = "") -> str:
    dims = "\n".join(f"  {d}:\n    levels:\n      1:\n        - when: governance.license" for d in DIMENSIONS)
    return MINIMAL.format(dims=dims) + extra


def test_a_minimal_user_rule_file_parses():
    rules = parse_rules(_minimal(), "mine.yaml")
    assert rules.name == "mine"
    assert len(rules.sha256) == 64


@pytest.mark.parametrize("text, message", [
    ("dimensions: [", "invalid YAML at line"),
    ("just a string", "expected a mapping"),
    ("dimensions:\n  data_management:\n    levels:\n      1:\n        - when: data.nope\n",
     "dimensions.data_management.levels.1[0].when: unknown signal 'data.nope'"),
    ("dimensions:\n  happiness: {levels: {1: [{when: data.prep_code}]}}\n", "unknown dimension"),
    ("dimensions:\n  data_management:\n    levels:\n      7:\n        - when: data.prep_code\n", "levels are 1 to 4"),
    ("dimensions:\n  data_management:\n    levels:\n      1:\n        - when: {xor: [a]}\n", "unknown operator xor"),
    ("dimensions:\n  data_management:\n    levels:\n      1:\n        - when: {signal: data.prep_code, min_tier: huge}\n",
     "unknown tier 'huge'"),
    ("dimensions:\n  data_management:\n    levels:\n      1:\n        - when: data.prep_code\n", "dimensions missing"),
])
def test_malformed_rule_files_name_the_file_and_place(text, message):
    with pytest.raises(RuleError) as err:
        parse_rules(text, "bad.yaml")
    assert str(err.value).startswith("bad.yaml: ")
    assert message in str(err.value)


def test_extends_overlays_levels_on_a_builtin_profile():
    text = "name: mine\nextends: default\ndimensions:\n  monitoring:\n    levels:\n      1:\n        - when: governance.license\n"
    rules = parse_rules(text, "mine.yaml")
    assert rules.levels["monitoring"][1][0].when.signal == "governance.license"
    assert rules.levels["data_management"] == load_rules().levels["data_management"]


def test_strict_profile_says_why_a_level_is_capped_when_live_sources_are_missing():
    sigs = signals_with({"tracking.library", "tracking.params_metrics"})
    score = judge(load_rules(profile="strict"), sigs)["experiment_tracking"]
    assert score.level == 1
    assert "capped: mlflow.runs_params_metrics not available" in score.reason
    assert score.gap[0].unknown_signals == ("mlflow.runs_params_metrics",)


def test_twins_stand_in_everywhere_the_repository_signal_is_named():
    rules = load_rules()
    assert rules.twins["deploy.cd"] == ("platform.deployments_recent",)
    sigs = signals_with({"deploy.container": Tier.CONFIGURED, "deploy.ci_present": Tier.CONFIGURED,
                         "deploy.ci_tests": Tier.CONFIGURED, "platform.deployments_recent": Tier.EXECUTED})
    assert judge(rules, sigs)["model_deployment"].level == 3


def test_strict_counts_history_evidence_of_a_twinned_signal():
    # several contributors read from git history are executed evidence: strict keeps them
    base = {"collaboration.readme_setup": Tier.CONFIGURED, "collaboration.packaged_code": Tier.CONFIGURED}
    executed = judge(load_rules(profile="strict"),
                     signals_with({**base, "collaboration.multiple_contributors": Tier.EXECUTED}))
    configured = judge(load_rules(profile="strict"),
                       signals_with({**base, "collaboration.multiple_contributors": Tier.CONFIGURED}))
    assert executed["collaboration"].level == 2
    assert configured["collaboration"].level == 1


@pytest.mark.parametrize("twins, message", [
    ("twins: [a]", "twins: expected a mapping"),
    ("twins: {deploy.cd: platform.nope}", "unknown signal 'platform.nope'"),
    ("twins: {deploy.cd: deploy.ci_present}", "is not a live signal"),
])
def test_malformed_twins_are_rule_errors(twins, message):
    with pytest.raises(RuleError, match=message):
        parse_rules(twins + "\n" + _minimal(), "bad.yaml")


def test_not_over_an_unchecked_signal_does_not_hold():
    text = "extends: default\ndimensions:\n  monitoring:\n    levels:\n      1:\n" \
           "        - when: {not: governance.security_policy}\n"
    rules = parse_rules(text, "mine.yaml")
    unchecked = signals_with(set(), unavailable={"governance.security_policy"})
    assert judge(rules, unchecked)["monitoring"].level == 0
    assert judge(rules, signals_with(set()))["monitoring"].level == 1


def test_a_file_extending_a_profile_keeps_its_own_name_and_a_digest_of_both():
    text = "extends: default\ndimensions: {}\n"
    mine = parse_rules(text, "team-rules.yaml")
    assert mine.name == "team-rules"
    assert mine.sha256 != load_rules().sha256
    assert mine.levels == load_rules().levels


# -- hygiene criteria and the rubric's departures -----------------------------------------------
GOVERNANCE_PRACTICES = {"tracking.reproducible_env", "governance.approval_gates"}


def test_missing_hygiene_at_the_basic_levels_lowers_a_level_for_each_item():
    # only a pinned environment: no licence and nothing documented, two hygiene items missing
    gov = judge(load_rules(), signals_with({"tracking.reproducible_env"}))["governance"]
    assert gov.level == 0
    documented = judge(load_rules(), signals_with({"tracking.reproducible_env", "governance.changelog_releases"}))
    assert documented["governance"].level == 1  # one item missing: one level lower
    assert "one below the practices' level 2" in documented["governance"].reason


def test_missing_hygiene_lowers_the_level_by_one_instead_of_zeroing_it():
    # pinned environment and an approval gate, but no licence and nothing documented
    gov = judge(load_rules(), signals_with(GOVERNANCE_PRACTICES))["governance"]
    assert gov.level == 2
    assert "one below the practices' level 3" in gov.reason
    assert {"governance.basics", "governance.maintained"} <= {c.id for c in gov.gap}
    # the licence and a changelog restore the practices' level
    full = judge(load_rules(), signals_with(GOVERNANCE_PRACTICES | {"governance.license", "governance.changelog_releases"}))
    assert full["governance"].level == 3
    assert "one below" not in full["governance"].reason


def test_hygiene_alone_missing_with_no_practices_is_level_zero():
    gov = judge(load_rules(), signals_with(set()))["governance"]
    assert gov.level == 0
    assert gov.reason.startswith("level 0: missing basic ownership")
    collab = judge(load_rules(), signals_with({"collaboration.packaged_code", "deploy.tests"}))["collaboration"]
    assert collab.level == 1  # habits of level 2 without a README that says how to start
    assert "collaboration.onboarding" in {c.id for c in collab.gap}


def test_hygiene_must_be_a_boolean():
    text = load_rules_text().replace("hygiene: true", "hygiene: maybe", 1)
    with pytest.raises(RuleError, match=r"hygiene: expected true or false"):
        parse_rules(text, "bad.yaml")


def load_rules_text() -> str:
    from importlib import resources
    return resources.files("rules").joinpath("default.yaml").read_text(encoding="utf-8")


def test_ci_training_alone_is_not_a_retraining_loop():
    base = {"deploy.container", "deploy.ci_present", "deploy.ci_tests", "deploy.cd", "deploy.progressive",
            "deploy.ci_training"}
    assert judge(load_rules(), signals_with(base))["model_deployment"].level == 3
    # gated: the CI-trained model reaches production only past a metric or approval gate, and rolls out
    # progressively
    assert judge(load_rules(), signals_with(base | {"governance.approval_gates"}))["model_deployment"].level == 4
    # a gate alone, without the progressive rollout, is not the loop either
    assert judge(load_rules(), signals_with(base - {"deploy.progressive"} | {"governance.approval_gates"})
                 )["model_deployment"].level == 3
    # a retrain trigger from monitoring is the loop itself
    assert judge(load_rules(), signals_with(base - {"deploy.ci_training"} | {"monitoring.retrain_trigger"})
                 )["model_deployment"].level == 4


def test_automated_delivery_without_tests_in_ci_is_one_level_lower():
    untested = {"deploy.container", "deploy.serving", "deploy.ci_present", "deploy.cd"}
    dep = judge(load_rules(), signals_with(untested))["model_deployment"]
    assert dep.level == 2  # the practices earn 3; the missing CI tests lower it by one, not to 1
    assert "deploy.ci" in {c.id for c in dep.gap}
    assert judge(load_rules(), signals_with({"deploy.container", "deploy.ci_present"}))["model_deployment"].level == 1


def test_training_triggered_by_monitoring_is_automated_training_without_cd():
    sigs = {"deploy.container", "deploy.ci_present", "deploy.ci_tests", "monitoring.retrain_trigger"}
    assert judge(load_rules(), signals_with(sigs))["model_deployment"].level == 3


def test_logged_runs_and_a_registry_count_as_recorded_experiments():
    # one experiment on a live server: runs with params and metrics, a registered model, an alias moved
    live = {"mlflow.runs_params_metrics": Tier.LIVE, "mlflow.runs_artifacts_models": Tier.LIVE,
            "mlflow.registered_models": Tier.LIVE, "mlflow.alias_recently_moved": Tier.LIVE}
    # a moved alias shows the registry in use, not that something can refuse a version: level 4
    # needs the evaluation gate in front of the promotion
    assert judge(load_rules(), signals_with(live))["experiment_tracking"].level == 3
    gated = {**live, "governance.approval_gates": Tier.CONFIGURED}
    assert judge(load_rules(), signals_with(gated))["experiment_tracking"].level == 4


def test_promotion_without_an_evaluation_gate_stays_at_level_three():
    tracked = {"tracking.library", "tracking.params_metrics", "tracking.artifacts_models", "tracking.model_registry"}
    assert judge(load_rules(), signals_with(tracked | {"tracking.registry_promotion"}))["experiment_tracking"].level == 3
    assert judge(load_rules(), signals_with(tracked | {"tracking.registry_promotion", "governance.approval_gates"})
                 )["experiment_tracking"].level == 4


def test_team_workflow_needs_three_artefacts_not_contributors():
    base = {"collaboration.readme_setup", "collaboration.packaged_code", "deploy.tests",
            "collaboration.multiple_contributors", "collaboration.docs_site", "collaboration.dev_env"}
    assert judge(load_rules(), signals_with(base))["collaboration"].level == 2
    assert judge(load_rules(), signals_with(base | {"collaboration.contributing"}))["collaboration"].level == 3
