"""Evaluation gates in front of a registry or a deployment, recognised by their control flow:
early exits on a verdict, policies in another module, and evaluation steps that stop the run."""
from __future__ import annotations

import ast

import pytest
from conftest import present, run_detector

from detectors.promotion import _compares_metric
from detectors.tracking import TrackingDetector

GATES, PROMOTION = "governance.approval_gates", "tracking.registry_promotion"

EARLY_EXIT = """\
from mlflow import MlflowClient
from . import evaluation

def promote(name, version):
    client = MlflowClient()
    verdict = evaluation.gate(name, version, client=client)
    if verdict["verdict"] == "blocked":
        return {"promoted": False, "verdict": verdict}
    client.set_registered_model_alias(name, "serving", version)
    return {"promoted": True, "verdict": verdict}
"""

POLICY = """\
def good_enough(candidate, incumbent):
    return candidate["f1"] >= incumbent["f1"] - 0.01
"""
RELEASE = """\
from policy import good_enough

def release(candidate, incumbent):
    if good_enough(candidate, incumbent):
        deploy_model(candidate["uri"])

def deploy_model(uri):
    endpoint.update(uri)
"""

EVALUATE = """\
from azureml.core import Run

run = Run.get_context()
new_mse = float(run.parent.get_metrics()["mse"])
production_mse = float(model.tags["mse"])
if new_mse < production_mse:
    print("new model is better, it will be registered")
else:
    run.parent.cancel()
"""
REGISTER = """\
from azureml.core.model import Model

def register_aml_model(ws, path):
    Model.register(workspace=ws, model_name="diabetes", model_path=path)
"""

COLLECTED = """\
import mlflow

def validate_model(result, config, run_id):
    errors = []
    if result.rmse > config.rmse_threshold:
        errors.append(f"rmse {result.rmse} exceeds {config.rmse_threshold}")
    if len(errors) > 0:
        return
    mlflow.register_model(f"runs:/{run_id}/model", config.registered_model_name)
"""

RAISE_FIRST = """\
import mlflow

def publish(run_id, score, threshold):
    if score < threshold:
        raise ValueError(f"score {score} below {threshold}")
    mlflow.register_model(f"runs:/{run_id}/model", "churn")
"""

STAGING_FLOW = """\
from mlflow import MlflowClient

from pipeline import checks


def stage_best_version(execution_date, name):
    should_run = checks.check_file_availability(execution_date, name)
    if not should_run:
        return
    client = MlflowClient()
    best = client.search_model_versions(f"name='{name}'", order_by=["creation_timestamp DESC"])[0]
    client.transition_model_version_stage(name=name, version=best.version, stage="Staging")
"""
CHECKS = """\
import fsspec


def check_file_availability(execution_date, name):
    return fsspec.filesystem("s3").exists(f"s3://sales/raw/{execution_date:%Y-%m-%d}.parquet")


def check_new_data(execution_date, name):
    new_rows = fsspec.filesystem("s3").ls(f"s3://sales/raw/{execution_date:%Y-%m-%d}/")
    return len(new_rows) > 0


def validate_input_args(execution_date, name):
    return bool(name) and execution_date is not None


def check_candidate(execution_date, name):
    new_rmse, prod_rmse = latest_rmse(name, "candidate"), latest_rmse(name, "production")
    return new_rmse < prod_rmse


def check_retrained(execution_date, name):
    new_rmse, prod_rmse = latest_rmse(name, "candidate"), latest_rmse(name, "production")
    return new_rmse < prod_rmse


def check_model_performance(execution_date, name):
    return {"rmse": latest_rmse(name, "candidate")}


def validate_model(execution_date, name):
    return load_report(name)
"""


BUILD_PIPELINE = ("from azureml.pipeline.steps import PythonScriptStep\n\n"
                  "evaluate_step = PythonScriptStep(name='Evaluate Model', script_name='evaluate/evaluate_model.py')\n"
                  "register_step = PythonScriptStep(name='Register Model', script_name='register/register_model.py')\n"
                  "register_step.run_after(evaluate_step)\n")


def signals(make_repo, files):
    return present(run_detector(TrackingDetector, make_repo(files))) & {GATES, PROMOTION}

SYMLINK_ALIAS = ("import os\n\ndef set_alias(root, alias, target):\n    tmp = os.path.join(root, alias + '.swap')\n"
                 "    os.symlink(target, tmp)\n    os.replace(tmp, os.path.join(root, alias))\n")
HUMAN_SWAP = ("from src.serve import bundle\n\ndef set_active(name, version):\n    bundle.set_alias('artifacts', name, version)\n\n"
              "def swap(name, version, *, validation, approved):\n"
              "    if approved is not True:\n        raise PermissionError('human approval required')\n"
              "    if not validation.no_regression:\n        raise ValueError('validation gate failed')\n"
              "    set_active(name, version)\n")


@pytest.mark.parametrize("files, expected", [
    ({"gateway/app/registry.py": EARLY_EXIT, "gateway/app/evaluation.py": "def gate(*a, **k):\n    return {}\n"},
     {GATES, PROMOTION}),
    ({"policy.py": POLICY, "release.py": RELEASE}, {GATES}),
    # registration only after the evaluation passes: a gated registration (the vocabulary's
    # "registers only after an evaluation gate")
    ({"evaluate/evaluate_model.py": EVALUATE, "register/register_model.py": REGISTER,
      "ml_service/pipelines/build_train_pipeline.py": BUILD_PIPELINE}, {GATES, PROMOTION}),
    # the same evaluation script that no pipeline, job or module runs gates nothing
    ({"evaluate/evaluate_model.py": EVALUATE, "register/register_model.py": REGISTER}, set()),
    ({"publish.py": RAISE_FIRST}, {GATES, PROMOTION}),
    # failures collected where a metric misses its bar, then an early exit on them
    ({"src/model_validation.py": COLLECTED}, {GATES, PROMOTION}),
    # ... but a list of anything else (missing files) is no verdict on the model
    ({"src/model_validation.py": COLLECTED.replace("if result.rmse > config.rmse_threshold:",
                                                   "if not exists(result.path):")}, set()),
    # an in-house registry: the live version is a symlink only an approved, validated swap moves
    ({"src/serve/bundle.py": SYMLINK_ALIAS, "src/retrain/deploy.py": HUMAN_SWAP}, {GATES}),
])
def test_approval_gates(make_repo, files, expected):
    assert signals(make_repo, files) == expected


@pytest.mark.parametrize("files", [
    # an argument check and a command-line flag before registering evaluate nothing
    {"register.py": "import mlflow\n\ndef register(alias, uri):\n    if alias not in {'champion', 'challenger'}:\n"
                    "        raise ValueError(alias)\n    mlflow.register_model(uri, 'm')\n"},
    {"register.py": "import mlflow\n\ndef main(args):\n    if not args.register:\n        return\n"
                    "    mlflow.register_model(args.uri, 'm')\n"},
    # a command-line subcommand named for promoting is a dispatch, not a verdict
    {"deploy.py": "from mlflow import MlflowClient\n\ndef main(args):\n    if args.command == 'promote-canary':\n"
                  "        MlflowClient().set_registered_model_alias('m', 'champion', args.version)\n"},
    # whether a search found a model at all: no bar it cleared
    {"train.py": "import mlflow\n\ndef publish(client, best_model, best_score, run_id):\n"
                 "    if best_model is None or best_score is None:\n        return None\n"
                 "    client.create_model_version('m', f'runs:/{run_id}/model', run_id)\n"
                 "    client.set_registered_model_alias('m', 'Production', '1')\n"},
    # ... and whether a selection picked a run at all (``if not best_run``)
    {"retrain.py": "from mlflow import MlflowClient\n\ndef register_best_model(best_run, stage='Staging'):\n"
                   "    if not best_run:\n        raise RuntimeError('No runs available to register.')\n"
                   "    client = MlflowClient()\n    version = client.create_model_version('m', 'runs:/x/model', best_run['run_id'])\n"
                   "    client.transition_model_version_stage('m', version.version, stage)\n"},
    # the policy module compares no metric: it checks both models are of one kind
    {"policy.py": "def good_enough(candidate, incumbent):\n    return candidate['kind'] == incumbent['kind']\n",
     "release.py": RELEASE},
    # a training run stopped when it diverges, in a project that registers models elsewhere
    {"train.py": "def train(model, data):\n    loss = model.fit(data)\n    if loss > 1e6:\n        raise RuntimeError('diverged')\n",
     "register/register_model.py": REGISTER},
    # an evaluation that stops the run where nothing is ever registered or deployed
    {"evaluate/evaluate_model.py": EVALUATE},
    # a drift check in front of a whole training pipeline (that registers at its end) approves no model
    {"flows/retrain.py": "import mlflow\n\ndef pipeline(data):\n    model = fit(data)\n"
                         "    mlflow.register_model(model.uri, 'm')\n\ndef run(drift_score, threshold):\n"
                         "    if drift_score < threshold:\n        return\n    pipeline(load())\n"},
    # a helper named like a gate that promotes unconditionally
    {"promote.py": "from mlflow import MlflowClient\n\ndef promote_if_better(name, version):\n"
                   "    MlflowClient().set_registered_model_alias(name, 'champion', version)\n"},
    # the gate in an example folder, and only in prose
    {"examples/publish.py": RAISE_FIRST},
    {"README.md": "We only register when `score >= threshold`, else raise.\n"},
    # the same swap with no approval nor validation in front of it
    {"src/serve/bundle.py": SYMLINK_ALIAS,
     "src/retrain/deploy.py": HUMAN_SWAP.split("    if approved")[0] + "    set_active(name, version)\n"},
    # a helper named for the active version that writes a file, not a pointer
    {"src/ui.py": "def set_active(tab):\n    open('state', 'w').write(tab)\n\n"
                  "def click(approved, tab):\n    if approved is not True:\n        raise PermissionError()\n"
                  "    set_active(tab)\n"},
])
def test_approval_gate_traps(make_repo, files):
    assert not signals(make_repo, files)


@pytest.mark.parametrize("check", [
    # whether there is a file, new data, or sound arguments says nothing of the model
    "check_file_availability", "check_new_data", "validate_input_args",
])
def test_availability_and_argument_checks_are_no_evaluation(make_repo, check):
    flow = STAGING_FLOW.replace("check_file_availability", check)
    assert not signals(make_repo, {"pipeline/checks.py": CHECKS, "pipeline/staging.py": flow})


@pytest.mark.parametrize("check", [
    # named for a model or its metrics, or a project check returning a metric comparison
    "check_model_performance", "validate_model", "check_candidate", "check_retrained",
])
def test_checks_of_a_model_are_evaluation_verdicts(make_repo, check):
    flow = STAGING_FLOW.replace("check_file_availability", check)
    root = make_repo({"pipeline/checks.py": CHECKS, "pipeline/staging.py": flow})
    ev = [e for e in run_detector(TrackingDetector, root) if e.signal == GATES]
    assert len(ev) == 1 and "transition_model_version_stage" in ev[0].summary and "should_run" in ev[0].summary
    assert [loc.line for loc in ev[0].locations] == [12, 8]


def test_early_exit_summary_names_the_verdict(make_repo):
    root = make_repo({"gateway/app/registry.py": EARLY_EXIT, "gateway/app/evaluation.py": "def gate():\n    pass\n"})
    ev = next(e for e in run_detector(TrackingDetector, root) if e.signal == GATES)
    assert "set_registered_model_alias" in ev.summary and "blocked" in ev.summary
    assert [loc.line for loc in ev.locations] == [9, 7]


RELEASE_WORKFLOW = """\
def ensure_promotable_decision(decision):
    status = str(decision.get("status", "")).lower()
    if status != "promote":
        raise ValueError(f"Promotion decision is {status}")
"""
RELEASE_REGISTRY = """\
from azure.ai.ml.entities import Model


def register_promoted_model(ml_client, path, name):
    return ml_client.models.create_or_update(Model(path=path, name=name))
"""
RELEASE_SCRIPT = """\
from src.azureml import register_promoted_model
from src.release import ensure_promotable_decision


def main(ml_client, decision, path):
    ensure_promotable_decision(decision)
    registered = register_promoted_model(ml_client, path, "churn")
    return registered
"""


@pytest.mark.parametrize("workflow, expected", [
    # a helper named for the gate that raises when the decision does not allow the release
    (RELEASE_WORKFLOW, {GATES, PROMOTION}),
    # the same helper that only logs the decision, or returns from itself, gates nothing
    (RELEASE_WORKFLOW.replace('raise ValueError(f"Promotion decision is {status}")', 'print(status)'), set()),
    (RELEASE_WORKFLOW.replace('raise ValueError(f"Promotion decision is {status}")', 'return None'), set()),
])
def test_a_gating_helper_that_raises_guards_the_registration(make_repo, workflow, expected):
    files = {"src/release/__init__.py": "from .workflow import ensure_promotable_decision\n",
             "src/release/workflow.py": workflow,
             "src/azureml/__init__.py": "from .registry import register_promoted_model\n",
             "src/azureml/registry.py": RELEASE_REGISTRY, "run_release.py": RELEASE_SCRIPT}
    assert signals(make_repo, files) == expected


@pytest.mark.parametrize("test, gate", [
    ("new_rmse < production_rmse", True),
    ("accuracy >= 0.8", True),
    # counting a metric's entries clears no bar
    ("len(metric_value) == 1", False),
])
def test_metric_comparisons(test, gate):
    assert _compares_metric(ast.parse(test, mode="eval").body) is gate



def test_a_should_decision_on_the_new_model_gates_its_registration(make_repo):
    script = ("import mlflow\n\n\ndef register(run_id, name):\n    mlflow.register_model(f'runs:/{run_id}/model', name)\n\n\n"
              "decision = model.should_register_new_model(test_set=test_set)\nif decision:\n"
              "    register(run_id, 'hotel')\n")
    assert signals(make_repo, {"scripts/02_train_register.py": script}) == {GATES, PROMOTION}
    # the same registration with no decision in front of it, or behind a flag read with nothing
    # to judge (``should_register_model()`` returning ``train or only_register``)
    ungated = script.replace("if decision:\n    register", "register")
    assert not signals(make_repo, {"scripts/02_train_register.py": ungated})
    flag = script.replace("model.should_register_new_model(test_set=test_set)", "self.should_register_model()")
    assert not signals(make_repo, {"scripts/02_train_register.py": flag})


PREFECT_PROMOTION = '''from mlflow import MlflowClient
from prefect import flow, task


@task
def promote(name, version):
    client = MlflowClient()
    client.transition_model_version_stage(name=name, version=version, stage="Production",
                                          archive_existing_versions=True)


@flow
def training(name):
    version = train_and_register(name)
    promote(name, version)
'''
HELPER_PROMOTION = '''from mlflow import MlflowClient


def set_alias(name, version):
    MlflowClient().set_registered_model_alias(name, "production", version)
'''
DAG = ("from airflow.decorators import dag, task\nfrom ml.training import set_alias\n\n\n@dag(schedule='@weekly')\n"
       "def weekly():\n    @task\n    def publish():\n        set_alias('m', '3')\n\n    publish()\n")
CLI_PROMOTION = '''import argparse

from mlflow import MlflowClient

parser = argparse.ArgumentParser()
parser.add_argument("--alias")
args = parser.parse_args()
MlflowClient().set_registered_model_alias("m", args.alias, "3")
'''
CONFIGURED = PREFECT_PROMOTION.replace("    client = MlflowClient()\n    client.transition",
                                       "    client = MlflowClient()\n    if config.promote_to:\n        client.transition")


@pytest.mark.parametrize("files, promotes", [
    # a pipeline moving the serving stage itself, gate or not, promotes automatically
    ({"flows/training.py": PREFECT_PROMOTION}, True),
    # the helper an orchestrator's task imports and calls
    ({"ml/training.py": HELPER_PROMOTION, "dags/weekly.py": DAG}, True),
    # traps: a command-line tool run by hand, a move only a configuration value asks for, a test
    ({"scripts/promote.py": CLI_PROMOTION}, False),
    ({"flows/training.py": CONFIGURED}, False),
    ({"tests/test_training.py": PREFECT_PROMOTION}, False),
])
def test_ungated_promotion_in_a_pipeline_is_automated_promotion(make_repo, files, promotes):
    ev = run_detector(TrackingDetector, make_repo(files))
    assert ("tracking.registry_promotion" in present(ev)) is promotes
    # with no evaluation gate there is no approval gate
    assert "governance.approval_gates" not in present(ev)


@pytest.mark.parametrize("test, gated", [
    ("score > best_score", True),
    # a switch someone sets is no evaluation
    ("auto_promote", False),
    ("not dry_run", False),
])
def test_a_switch_before_an_alias_move_is_no_evaluation_gate(make_repo, test, gated):
    code = ("from mlflow import MlflowClient\n\n\ndef publish(name, version, score, best_score, auto_promote, dry_run):\n"
            f"    if {test}:\n        MlflowClient().set_registered_model_alias(name, 'champion', version)\n")
    ev = run_detector(TrackingDetector, make_repo({"src/publish.py": code}))
    assert ("governance.approval_gates" in present(ev)) is gated


@pytest.mark.parametrize("check, gated", [
    # checks of which names were given: no measurement is compared
    ("if promotion_metric in FORBIDDEN_KEYS or promotion_metric.startswith('acc'):\n        return None", False),
    ("if promotion_metric not in metrics:\n        return None", False),
    ("if not PROMOTED_STAGES & set(aliases):\n        return None", False),
    # a measurement compared is an evaluation gate
    ("if metrics[promotion_metric] < best:\n        return None", True),
])
def test_early_exits_on_names_are_no_evaluation_gate(make_repo, check, gated):
    code = ("FORBIDDEN_KEYS = {'accuracy'}\nPROMOTED_STAGES = {'production'}\n\n\n"
            "def publish(run, art, metrics, promotion_metric, aliases, best):\n"
            f"    {check}\n    run.link_artifact(art, target_path='wandb-registry-model/clf', aliases=aliases)\n\n\n"
            "publish(RUN, ART, {}, 'macro_f1', ['production'], 0.5)\n")
    ev = run_detector(TrackingDetector, make_repo({"model/tracking.py": "import wandb\n\n" + code}))
    assert ("governance.approval_gates" in present(ev)) is gated


ZENML_TRIGGER = """\
from zenml import pipeline, step
from zenml.integrations.mlflow.steps import mlflow_model_deployer_step


@step
def deployment_trigger(accuracy: float, min_accuracy: float = 0.9) -> bool:
    return accuracy > min_accuracy


@pipeline
def continuous_deployment(min_accuracy: float = 0.9):
    model = trainer()
    accuracy = evaluator(model)
    deployment_decision = deployment_trigger(accuracy, min_accuracy)
    mlflow_model_deployer_step(model=model, deploy_decision=deployment_decision)
"""


@pytest.mark.parametrize("source, expected", [
    (ZENML_TRIGGER, {GATES}),
    # an evaluator step's verdict among its outputs, handed to the deployer by a pipeline
    ("def training_pipeline(evaluate_model, model_deployer):\n    model = train()\n"
     "    _, deployment_decision = evaluate_model(model)\n    model_deployer(deployment_decision, model)\n", {GATES}),
    # traps: metrics handed to a deploy step decide nothing; a flag read from config is no verdict
    ("def pipeline(evaluate_model, deploy_model):\n    metrics = evaluate_model(model)\n"
     "    deploy_model(metrics, model)\n", set()),
    ("def pipeline(cfg, model_deployer):\n    deploy_decision = cfg.get('deploy')\n"
     "    model_deployer(deploy_decision, model)\n", set()),
])
def test_a_verdict_handed_to_the_deployer_step_gates_deployment(make_repo, source, expected):
    assert signals(make_repo, {"pipelines/deploy_pipeline.py": source}) == expected


@pytest.mark.parametrize("check, gated", [
    # a sanity check of the artifact (it loads, it answers in the right shape) judges no quality
    ("sanity = sanity_check_bundle(bundle)\n    if not sanity.passed:\n        raise ValueError('bad bundle')", False),
    # an evaluation's verdict
    ("result = evaluate_bundle(bundle)\n    if not result.passed:\n        raise ValueError('below the bar')", True),
])
def test_a_sanity_check_before_registration_is_no_evaluation_gate(make_repo, check, gated):
    helper = ("class Result:\n    def __init__(self, passed):\n        self.passed = passed\n\n\n"
              "def sanity_check_bundle(bundle):\n    return Result(bundle['model'].predict(ROWS).shape[0] == 3)\n\n\n"
              "def evaluate_bundle(bundle):\n    return Result(bundle['auc'] >= 0.8)\n")
    code = ("import mlflow\nfrom checks import sanity_check_bundle, evaluate_bundle\n\n\n"
            f"def register_model(bundle):\n    {check}\n"
            "    mlflow.pyfunc.log_model(name='model', python_model=M(), registered_model_name='churn')\n\n\n"
            "register_model(BUNDLE)\n")
    ev = run_detector(TrackingDetector, make_repo({"src/registry.py": code, "src/checks.py": helper}))
    assert ("tracking.registry_promotion" in present(ev)) is gated
