"""Oddly shaped config files: a value of the wrong type never crashes a detector, and a file
that decides a signal but cannot be read becomes ``error`` evidence naming it."""
from __future__ import annotations

import json

import pytest
from conftest import present, run_detector

from detectors.ci import CIDetector
from detectors.collaboration import CollaborationDetector
from detectors.data import DataDetector
from detectors.deployment import DeploymentDetector
from detectors.governance import GovernanceDetector
from detectors.mlflow_server import _flavors
from detectors.monitoring import MonitoringDetector
from detectors.shapes import as_dict, as_list, as_str, dicts, first_mapping, get_in, one_or_many
from detectors.tracking import TrackingDetector
from scanner.engine import fold_signals
from scanner.model import Outcome
from scanner.sources.mlflow_facts import RunFacts

#: YAML flow values of every type, put where a mapping or a list is expected.
HOSTILE = ["true", "5", "3.5", "text", "[1, x]", "{k: 5}", "[[1]]", "[null]", "null", "''"]


def errors(evidence, signal):
    return [e for e in evidence if e.signal == signal and e.outcome is Outcome.ERROR]


def assert_error_names(evidence, signal, path):
    found = errors(evidence, signal)
    assert found, f"no error evidence for {signal}"
    assert all(e.tier is None for e in found)
    assert any(path in e.summary and e.locations and e.locations[0].path == path for e in found), \
        [e.summary for e in found]


# -- the shared helpers ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, True, 0, 5, 2.5, "s", [1], {"k": 1}, [], {}])
def test_shape_helpers_never_raise_and_return_the_promised_type(value):
    assert isinstance(as_dict(value), dict)
    assert isinstance(as_list(value), list)
    assert isinstance(one_or_many(value), list)
    assert isinstance(as_str(value), str)
    assert all(isinstance(d, dict) for d in dicts(value))
    assert get_in(value, "a", "b") is None or isinstance(value, dict)
    assert first_mapping(value) is None or isinstance(first_mapping(value), dict)


def test_shape_helpers_keep_good_values():
    assert as_dict({"a": 1}) == {"a": 1}
    assert as_list([1, 2]) == [1, 2] and as_list(5) == []
    assert one_or_many("build") == ["build"] and one_or_many(None) == []
    assert as_str(3.11) == "3.11" and as_str(True) == "" and as_str(None, "?") == "?"
    assert dicts([{"a": 1}, 2, "x"]) == [{"a": 1}]
    assert get_in({"a": {"b": 2}}, "a", "b") == 2 and get_in({"a": 5}, "a", "b") is None
    assert first_mapping([{"a": 1}]) == {"a": 1} and first_mapping([[1]]) is None


# -- monitoring -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("template", [
    "groups: [{{name: x, rules: {v}}}]\n# alert:\n",
    "groups: {v}\n# alert:\n",
    "groups: [{v}]\n# alert:\n",
    "kind: PrometheusRule\nspec: {v}\n# alert:\n",
    "route: {v}\nreceivers: {v}\n",
    "providers: {v}\n",
    "apiVersion: batch/v1\nkind: CronJob\nspec: {v}\n",
    "Resources: {{a: {{Type: {v}}}}}\n# AWS::CloudWatch::Alarm\n",
])
def test_monitoring_survives_odd_yaml(make_repo, template, value):
    root = make_repo({"monitoring/alerts.yml": template.format(v=value),
                      "prefect.yaml": f"deployments: {value}\n",
                      "prefect-monitor.yaml": f"deployments: [{{name: drift, schedule: {{cron: x}}, entrypoint: {value}}}]\n"})
    run_detector(MonitoringDetector, root)


@pytest.mark.parametrize("value", HOSTILE)
def test_monitoring_survives_odd_grafana_json(make_repo, value):
    doc = json.loads(json.dumps({"title": "t", "rows": [{"panels": None}]}))
    for shape in (True, 5, "x", [1], {"k": 1}):
        doc["rows"][0]["panels"] = shape
        root = make_repo({"dashboards/d.json": json.dumps(doc) + ' "panels" ',
                          "dashboards/e.json": json.dumps({"panels": shape, "title": "t"})})
        run_detector(MonitoringDetector, root)


def test_monitoring_rules_true_does_not_hide_the_other_signals(make_repo):
    root = make_repo({"monitoring/alerts.yml": "groups: [{name: x, rules: true}]\n# alert:\n",
                      "monitoring/real.yml": "groups: [{name: y, rules: [{alert: A, expr: up == 0}]}]\n"})
    evidence = run_detector(MonitoringDetector, root)
    assert "monitoring.alerting" in present(evidence)


# -- data: DVC and Prefect files ------------------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE)
def test_dvc_lock_with_odd_deps_does_not_crash(make_repo, value):
    root = make_repo({"dvc.lock": f"schema: '2.0'\nstages:\n  train:\n    cmd: python t.py\n    deps: {value}\n"
                                  f"  other: {value}\n"})
    run_detector(DataDetector, root)


def test_dvc_lock_counts_only_listed_deps(make_repo):
    root = make_repo({"dvc.lock": "stages:\n  a:\n    deps: 5\n  b:\n    deps: [{path: d.csv, md5: x}]\n"})
    lineage = [e for e in run_detector(DataDetector, root) if e.signal == "data.lineage"]
    assert [e.attributes["dependencies"] for e in lineage] == [1]


@pytest.mark.parametrize("path,text,signal", [
    ("dvc.yaml", "- stage: train\n  cmd: python t.py\n", "data.pipeline_definition"),
    ("dvc.yaml", "stages: [train, test]\n", "data.pipeline_definition"),
    ("dvc.yaml", "stages: 5\n", "data.pipeline_definition"),
    ("dvc.yaml", "true\n", "data.pipeline_definition"),
    ("dvc.lock", "- train\n", "data.lineage"),
    ("dvc.lock", "stages: text\n", "data.lineage"),
    ("dvc.yaml", "stages:\n  train: [\n", "data.pipeline_definition"),
])
def test_odd_dvc_file_is_an_error_naming_it(make_repo, path, text, signal):
    evidence = run_detector(DataDetector, make_repo({path: text}))
    assert_error_names(evidence, signal, path)


def test_dvc_yaml_without_stages_is_not_an_error(make_repo):
    evidence = run_detector(DataDetector, make_repo({"dvc.yaml": "plots:\n  - metrics.json\n", "dvc.lock": ""}))
    assert not [e for e in evidence if e.outcome is Outcome.ERROR]


@pytest.mark.parametrize("value", HOSTILE)
def test_prefect_yaml_odd_shapes(make_repo, value):
    root = make_repo({"prefect.yaml": f"deployments: {value}\n",
                      "flows/x-deployment.yaml": f"\nflow_name: x\n\nentrypoint: {value}\nschedule: {value}\n"})
    run_detector(DataDetector, root)


# -- tracking: conda and pyproject manifests ------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE)
def test_odd_manifests_do_not_crash_tracking(make_repo, value):
    root = make_repo({
        "environment.yml": f"name: x\ndependencies: {value}\n",
        "conda.yaml": f"dependencies: [numpy=1.26, {{pip: {value}}}]\n",
        "pyproject.toml": f"[project]\ndependencies = {json.dumps(as_str(value) or 5)}\n"
                          f"[tool.poetry.group.dev]\ndependencies = 5\n[tool.poetry.group.x]\n",
    })
    run_detector(TrackingDetector, root)


@pytest.mark.parametrize("path,text", [
    ("environment.yml", "name: x\ndependencies:\n  - numpy=1.26\n  bad: [\n"),
    ("environment.yml", "- numpy=1.26\n- pandas=2.0\n"),
    ("environment.yml", "name: x\ndependencies: 5\n"),
    ("pyproject.toml", "[project\nname = 'x'\n"),
    ("pyproject.toml", "project = 5\n"),
])
def test_unreadable_environment_file_is_an_error(make_repo, path, text):
    evidence = run_detector(TrackingDetector, make_repo({path: text}))
    assert_error_names(evidence, "tracking.reproducible_env", path)


def test_unreadable_environment_file_loses_to_a_lockfile(make_repo):
    evidence = run_detector(TrackingDetector, make_repo({
        "environment.yml": "dependencies: [\n",
        "poetry.lock": '[[package]]\nname = "scikit-learn"\nversion = "1.4.0"\n',
    }))
    results = fold_signals(evidence, {"tracking.reproducible_env"})
    assert results["tracking.reproducible_env"].outcome is Outcome.PRESENT


# -- collaboration: compose files, pre-commit, workflows, task runners ----------------------------

@pytest.mark.parametrize("text,why", [
    ("services:\n  app: [\n", "invalid YAML"),
    ("- app\n- db\n", "not a mapping"),
    ("services: [app, db]\n", "'services' is not a mapping"),
    ("services: true\n", "'services' is not a mapping"),
])
def test_unreadable_compose_file_is_a_dev_env_error(make_repo, text, why):
    evidence = run_detector(CollaborationDetector, make_repo({"docker-compose.yml": text}))
    assert_error_names(evidence, "collaboration.dev_env", "docker-compose.yml")
    assert any(why in e.summary for e in errors(evidence, "collaboration.dev_env"))


def test_broken_compose_file_loses_to_a_dev_container(make_repo):
    evidence = run_detector(CollaborationDetector, make_repo({
        "docker-compose.yml": "services: [\n",
        ".devcontainer/devcontainer.json": '{"image": "python:3.11"}',
    }))
    results = fold_signals(evidence, {"collaboration.dev_env"})
    assert results["collaboration.dev_env"].outcome is Outcome.PRESENT


@pytest.mark.parametrize("value", HOSTILE)
def test_collaboration_survives_odd_yaml(make_repo, value):
    root = make_repo({
        ".pre-commit-config.yaml": f"repos: [{{repo: x, hooks: {value}}}]\n",
        ".github/workflows/ci.yml": f"on: push\njobs:\n  test:\n    steps: {value}\n  lint: {value}\n",
        "docker-compose.yml": f"services: {{app: {value}}}\n",
        "Taskfile.yml": f"tasks: {value}\n",
        "pyproject.toml": f"[tool.hatch.envs.default]\nscripts = {json.dumps(as_str(value) or 5)}\n"
                          "[tool.hatch.envs.lint]\nscripts = {a = 'x'}\n[tool.hatch.envs.x.scripts]\n5 = 'y'\n",
    })
    run_detector(CollaborationDetector, root)


@pytest.mark.parametrize("text", ["repos: 5\n", "- repo: x\n", "repos: {a: 1}\n"])
def test_odd_pre_commit_config_is_an_error(make_repo, text):
    evidence = run_detector(CollaborationDetector, make_repo({".pre-commit-config.yaml": text}))
    assert_error_names(evidence, "collaboration.code_quality", ".pre-commit-config.yaml")


# -- CI: task runners and ruff config read from pyproject/package.json/mise -----------------------

@pytest.mark.parametrize("value", ["true", "5", "'text'", "[1, 'x']"])
def test_ci_task_files_with_odd_tables(make_repo, value):
    root = make_repo({
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: poe lint\n      - run: npm run build\n      - run: mise run test\n"
                                    "      - run: uv run train\n      - run: ruff check .\n",
        "pyproject.toml": f"project = {value}\n[tool]\npoetry = {value}\npoe = {value}\n"
                          f"[tool.ruff]\nselect = {value}\nlint = {value}\n[tool.hatch]\nenvs = {{a = {value}}}\n",
        "package.json": json.dumps({"scripts": json.loads(value.replace("'", '"'))}),
        "mise.toml": f"tasks = {value}\n",
    })
    run_detector(CIDetector, root)


# -- governance: dependabot and renovate ----------------------------------------------------------

@pytest.mark.parametrize("path,text", [
    (".github/dependabot.yml", "version: 2\nupdates: 5\n"),
    (".github/dependabot.yml", "version: 2\nupdates: {a: 1}\n"),
    (".github/dependabot.yml", "- version: 2\n"),
    ("renovate.json", "[1, 2]"),
    ("renovate.json", "5"),
])
def test_odd_dependency_update_config_is_an_error(make_repo, path, text):
    evidence = run_detector(GovernanceDetector, make_repo({path: text}))
    assert_error_names(evidence, "governance.dependency_updates", path)


@pytest.mark.parametrize("value", HOSTILE)
def test_dependabot_odd_update_entries(make_repo, value):
    root = make_repo({".github/dependabot.yml": f"version: 2\nupdates: [{value}, {{package-ecosystem: {value}}}]\n"})
    run_detector(GovernanceDetector, root)


# -- deployment: Kubernetes-style documents -------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("kind", ["SeldonDeployment", "VirtualService", "InferenceService", "Rollout"])
def test_deployment_survives_odd_manifests(make_repo, kind, value):
    root = make_repo({"k8s/x.yaml": f"apiVersion: x/v1\nkind: {kind}\nmetadata: {{name: m}}\n"
                                    f"spec:\n  predictors: {value}\n  http: {value}\n"
                                    f"---\napiVersion: x/v1\nkind: {kind}\nmetadata: {{name: n}}\n"
                                    f"spec:\n  http: [{{route: {value}}}, {value}]\n  predictors: [{value}]\n"})
    run_detector(DeploymentDetector, root)


# -- tracking server: the model history tag, which any client can write ---------------------------

def _run_with(tags: dict) -> RunFacts:
    return RunFacts(id="r", experiment_id="1", start_time=None, user="u", params=frozenset(),
                    metrics=frozenset(), tags=tags, datasets=(), model_outputs=0)


@pytest.mark.parametrize("tag", [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '[{"flavors": 5}]', '[{"flavors": true}]', '[{"flavors": "sklearn"}]', '[{"flavors": [1, {"a": 1}]}]',
    '[{"flavors": null}]', '[5, "x", null]', '{"flavors": {"sklearn": {}}}', "5", "not json", "",
])
def test_odd_model_history_tag_gives_no_flavors(tag):
    assert _flavors(_run_with({"mlflow.log-model.history": tag})) == []


def test_model_history_tag_flavors():
    tag = json.dumps([{"flavors": {"sklearn": {}, "python_function": {}}}, {"flavors": ["pytorch", 3]}])
    assert _flavors(_run_with({"mlflow.log-model.history": tag})) == ["sklearn", "pytorch"]
