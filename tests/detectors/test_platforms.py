"""Managed ML platforms (Vertex AI with Kubeflow Pipelines and TFX, SageMaker, Azure ML, Databricks):
their catalogue entries read by the tools detector, and the platform bits the other detectors
read. Positive cases and traps."""
from __future__ import annotations

import json

import pytest
from conftest import declared, present, run_detector

from detectors.catalogue import Pattern
from detectors.data import DataDetector
from detectors.deployment import DeploymentDetector
from detectors.monitoring import MonitoringDetector
from detectors.tools import ToolUsageDetector, _shell_commands
from detectors.tracking import TrackingDetector
from scanner.detector import ScanContext
from scanner.parsing.python import parse_python
from scanner.sources.local import LocalRepo


def notebook(*cells: str) -> str:
    return json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": c} for c in cells]})


def found(detector, make_repo, files) -> set[str]:
    return present(run_detector(detector, make_repo(files)))


def check(detector, make_repo, files, signal, expected):
    assert (signal in found(detector, make_repo, files)) is expected


VERTEX = "from google.cloud import aiplatform\n"
SCHEMA = "$schema: https://azuremlschemas.azureedge.net/latest/{}.schema.json\n"


# -- the catalogue's positional literals and shell commands ------------------------------------------
@pytest.mark.parametrize("pattern, lines", [
    ("x.set_registry_uri(\"databricks*\")", [2]),
    ("x.set_registry_uri('databricks-uc|databricks')", [2]),
    ("x.set_registry_uri(\"http*\")", []),        # a variable (line 3) is unknown, never a match
])
def test_positional_literals(pattern, lines):
    calls = parse_python("import x\nx.set_registry_uri('databricks-uc')\nx.set_registry_uri(uri)\n").calls
    assert [c.line for c in calls if Pattern.parse(pattern).matches(c)] == lines


def test_shell_commands_are_read_from_ci_steps_and_scripts(make_repo):
    root = make_repo({
        ".github/workflows/cd.yml": "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: uv run az ml model deploy --name svc\n"
                                    "      - run: az ml model list || true\n"
                                    "  never:\n    if: false\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: az ml online-deployment create -f blue.yml\n",
        "scripts/deploy.sh": "#!/bin/sh\n# gcloud ai models upload --region=r\ngcloud ai endpoints deploy-model 1 \\\n  --model=m\n",
    })
    commands = {text for _, _, text in _shell_commands(ScanContext(LocalRepo(root)))}
    # wrappers peeled, continuations joined; ignored failures, jobs that never run and comments left out
    assert commands == {"az ml model deploy --name svc", "gcloud ai endpoints deploy-model 1 --model=m"}


# -- Vertex AI ------------------------------------------------------------------------------------
EXPERIMENT = VERTEX + "aiplatform.init(project='p', experiment='exp')\naiplatform.start_run('run-1')\n"
MONITORING_CONFIGS = (
    "from google.cloud.aiplatform import model_monitoring\n"
    "skew = model_monitoring.SkewDetectionConfig(data_source='bq://p.d.t', skew_thresholds={'a': 0.3}, target_field='y')\n"
    "drift = model_monitoring.DriftDetectionConfig(drift_thresholds={'a': 0.3})\n"
    "objective = model_monitoring.ObjectiveConfig(skew, drift)\n"
    "schedule = model_monitoring.ScheduleConfig(monitor_interval=1)\n"
    "alerts = model_monitoring.EmailAlertConfig(user_emails=['ml@example.org'])\n")
MONITORING_JOB = ("job = aiplatform.ModelDeploymentMonitoringJob.create(display_name='m', endpoint=endpoint,\n"
                  "    objective_configs=objective, schedule_config=schedule, alert_config=alerts)\n")
# the GAPIC v1beta1 client, as the Vertex model monitoring notebooks use it
MONITORING_GAPIC = (
    "from google.cloud import aiplatform_v1beta1 as beta\n",
    "client = beta.JobServiceClient(client_options={'api_endpoint': 'us-central1-aiplatform.googleapis.com'})\n"
    "drift = beta.ModelMonitoringObjectiveConfig.PredictionDriftDetectionConfig(drift_thresholds={})\n"
    "schedule = beta.ModelDeploymentMonitoringScheduleConfig(monitor_interval=interval)\n"
    "alerting = beta.ModelMonitoringAlertConfig(email_alert_config=beta.ModelMonitoringAlertConfig.EmailAlertConfig(user_emails=e))\n",
    "job = beta.ModelDeploymentMonitoringJob(display_name='m', endpoint=uri, model_deployment_monitoring_schedule_config=schedule,\n"
    "    model_monitoring_alert_config=alerting)\n"
    "client.create_model_deployment_monitoring_job(parent=parent, model_deployment_monitoring_job=job)\n",
)


# -- Kubeflow Pipelines and TFX ---------------------------------------------------------------------
TFX_PIPELINE = (
    "import tensorflow_model_analysis as tfma\n"
    "from tfx import v1 as tfx\n"
    "stats = tfx.components.StatisticsGen(examples=gen.outputs['examples'])\n"
    "schema = tfx.components.SchemaGen(statistics=stats.outputs['statistics'])\n"
    "validator = tfx.components.ExampleValidator(statistics=stats.outputs['statistics'], schema=schema.outputs['schema'])\n"
    "tuner = tfx.components.Tuner(module_file='tune.py', examples=gen.outputs['examples'])\n"
    "trainer = tfx.components.Trainer(module_file='train.py', examples=gen.outputs['examples'])\n"
    "{eval_config}"
    "evaluator = tfx.components.Evaluator(model=trainer.outputs['model'], eval_config=eval_config)\n"
    "pusher = tfx.components.Pusher(model=trainer.outputs['model'], model_blessing=evaluator.outputs['blessing'],\n"
    "    push_destination=destination)\n"
)
THRESHOLDS = ("eval_config = tfma.EvalConfig(metrics_specs=[tfma.MetricsSpec(metrics=[tfma.MetricConfig(\n"
              "    class_name='BinaryAccuracy', threshold=tfma.MetricThreshold(\n"
              "        value_threshold=tfma.GenericValueThreshold(lower_bound={'value': 0.6})))])])\n")
NO_THRESHOLDS = "eval_config = tfma.EvalConfig(metrics_specs=[tfma.MetricsSpec(metrics=[tfma.MetricConfig(class_name='AUC')])])\n"


# -- SageMaker --------------------------------------------------------------------------------------
SM_PIPELINE = (
    "from sagemaker.workflow.pipeline import Pipeline\n"
    "from sagemaker.workflow.steps import TrainingStep\n"
    "from sagemaker.workflow.condition_step import ConditionStep\n"
    "from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo\n"
    "from sagemaker.workflow.parameters import ParameterString\n"
    "from sagemaker.workflow.model_step import ModelStep\n"
    "from sagemaker.model import Model\n"
    "model = Model(image_uri=image, model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts)\n"
    "status = ParameterString(name='ModelApprovalStatus', default_value='{status}')\n"
    "step_train = TrainingStep(name='Train', step_args=estimator.fit(inputs))\n"
    "step_register = ModelStep(name='Register', step_args=model.register(model_package_group_name='g',\n"
    "    approval_status=status))\n"
    "{condition}"
    "pipeline = Pipeline(name='p', steps=[step_train, step_cond])\npipeline.upsert(role_arn=role)\n"
)
CONDITION = ("step_cond = ConditionStep(name='CheckMSE', conditions=[ConditionLessThanOrEqualTo(left=mse, right=6.0)],\n"
             "    if_steps=[step_register], else_steps=[])\n")
MONITOR = ("from sagemaker.model_monitor import DefaultModelMonitor, ModelQualityMonitor, CronExpressionGenerator\n"
           "monitor = DefaultModelMonitor(role=role, instance_count=1, instance_type='ml.m5.xlarge')\n"
           "monitor.suggest_baseline(baseline_dataset='s3://b/train.csv', output_s3_uri='s3://b/baseline')\n"
           "monitor.create_monitoring_schedule(endpoint_input='ep', output_s3_uri='s3://b/reports',\n"
           "    schedule_cron_expression=CronExpressionGenerator.hourly())\n")


# -- Azure ML SDK v1 ------------------------------------------------------------------------------
AML_RUN = "from azureml.core.run import Run\nfrom azureml.core import Dataset\nrun = Run.get_context()\n"
AML_REGISTER = ("from azureml.core import Run, Dataset\nfrom azureml.core.model import Model\nrun = Run.get_context()\n"
                "model = Model.register(workspace=ws, model_name='m', model_path='outputs/m.pkl',\n"
                "    datasets=[('training data', Dataset.get_by_id(ws, dataset_id))])\n")
AML_WEBSERVICE = ("from azureml.core.model import Model, InferenceConfig\nfrom azureml.core.webservice import AksWebservice\n"
                  "config = AksWebservice.deploy_configuration(enable_app_insights={insights})\n"
                  "service = Model.deploy(ws, 'svc', [model], InferenceConfig(entry_script='score.py'), config)\n")
AKS_CONFIG = "computeType: AKS\ncontainerResourceRequirements:\n  cpu: 0.5\n  memoryInGB: 2\nappInsightsEnabled: {insights}\n"


# -- Azure ML SDK v2 and CLI v2 specs -----------------------------------------------------------------
AML2 = "from azure.ai.ml import MLClient, command, Input\nfrom azure.ai.ml.entities import {}\n"


# -- Databricks ---------------------------------------------------------------------------------------
FEATURES = ("import mlflow\nfrom databricks.feature_engineering import FeatureEngineeringClient, FeatureLookup\n"
            "fe = FeatureEngineeringClient()\n{body}")
BUNDLE = ("bundle:\n  name: churn\nresources:\n  jobs:\n    retrain:\n      name: retrain\n{schedule}"
          "      tasks:\n        - task_key: train\n          notebook_task:\n            notebook_path: ../src/train.py\n")


# -- CLI verbs run by CI steps and shell scripts ------------------------------------------------------
WORKFLOW = "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n{cond}    steps:\n      - run: {cmd}\n"
AZURE_PIPELINE = ("trigger: [main]\nsteps:\n  - task: AzureCLI@2\n    inputs:\n      azureSubscription: sub\n"
                  "      scriptLocation: inlineScript\n      inlineScript: |\n        set -e\n        {cmd}\n")


# -- TensorFlow Transform and Apache Beam -------------------------------------------------------------


# -- traffic splits, read by the deployment detector --------------------------------------------------
@pytest.mark.parametrize("files, expected", [
    ({"deploy.py": VERTEX + "endpoint.deploy(model, traffic_split={'0': 80, model_id: 20})\n"}, True),
    ({"deploy.py": VERTEX + "endpoint.deploy(model, traffic_split={'0': 100})\n"}, False),
    # the keyword trap of a serving spec: every request goes to the one model
    ({"build/serving_resources_spec.json": '{"traffic_percentage": 100, "machine_type": "n1-standard-2"}\n'}, False),
    ({"scripts/deploy.sh": "gcloud ai endpoints deploy-model 1 --model=m --traffic-split=0=90,4567=10\n"}, True),
])
def test_vertex_traffic_split(make_repo, files, expected):
    check(DeploymentDetector, make_repo, files, "deploy.progressive", expected)


@pytest.mark.parametrize("files, expected", [
    ({"deploy.py": "endpoint.traffic = {'blue': 90, 'green': 10}\nml_client.begin_create_or_update(endpoint)\n"}, True),
    ({"deploy.py": "endpoint.traffic = {'blue': 100, 'green': 0}\n"}, False),   # a cut-over, not a split
    ({"deploy.py": "endpoint.traffic = {'blue': 100}\n"}, False),
    ({"deploy.py": "endpoint.mirror_traffic = {'green': 10}\n"}, True),          # shadow traffic
    ({"endpoints/endpoint.yml": SCHEMA.format("managedOnlineEndpoint") + "name: e\ntraffic:\n  blue: 90\n  green: 10\n"}, True),
    ({"endpoints/endpoint.yml": SCHEMA.format("managedOnlineEndpoint") + "name: e\ntraffic:\n  blue: 100\n"}, False),
    ({"config/config.yaml": "deployment:\n  deployment_traffic_allocation: 100\n"}, False),
])
def test_azureml_traffic_split(make_repo, files, expected):
    check(DeploymentDetector, make_repo, files, "deploy.progressive", expected)


# -- registry promotion behind an evaluation gate, read by the tracking detector ----------------------
EVALUATE = ("from azureml.core import Run\nrun = Run.get_context()\nnew_mse = float(run.parent.get_metrics().get('mse'))\n"
            "{check}")
GATE = "if new_mse >= production_mse:\n    print('worse than production: not registering')\n    run.parent.cancel()\n"
REGISTER = "from azureml.core.model import Model\nModel.register(workspace=ws, model_name='m', model_path='outputs/m.pkl')\n"


@pytest.mark.parametrize("files, expected", [
    ({"evaluate/evaluate_model.py": EVALUATE.format(check=GATE), "register/register_model.py": REGISTER}, True),
    # nothing is registered after the step: the cancel gates nothing
    ({"evaluate/evaluate_model.py": EVALUATE.format(check=GATE)}, False),
    # a cancel on failure, not on an evaluation
    ({"evaluate/evaluate_model.py": EVALUATE.format(check="try:\n    work()\nexcept Exception:\n    run.parent.cancel()\n"),
      "register/register_model.py": REGISTER}, False),
])
def test_azureml_pipeline_cancelled_by_an_evaluation_gates_registration(make_repo, files, expected):
    ev = found(TrackingDetector, make_repo, files)
    assert ("governance.approval_gates" in ev) is expected
    assert ("tracking.registry_promotion" in ev) is expected


@pytest.mark.parametrize("files, expected", [
    # a SageMaker model package approved, a Vertex AI version aliased, only when the evaluation passes
    ({"promote.py": "import boto3\nsm = boto3.client('sagemaker')\nif mse < threshold:\n"
                    "    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus='Approved')\n"}, True),
    ({"promote.py": VERTEX + "registry = aiplatform.models.ModelRegistry(model_id)\n"
                    "if new_auc > champion_auc:\n    registry.add_version_aliases(['production'], version=v)\n"}, True),
    ({"promote.py": "import boto3\nsm = boto3.client('sagemaker')\n"
                    "sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus='Approved')\n"}, False),
])
def test_platform_registry_changes_behind_an_evaluation_gate(make_repo, files, expected):
    check(TrackingDetector, make_repo, files, "tracking.registry_promotion", expected)


# -- experiment configs and environments of platform projects, read by the tracking detector ----------
@pytest.mark.parametrize("files, expected", [
    ({"training/parameters.json": '{"training": {"alpha": 0.5}}\n',
      "training/train.py": "import json\nwith open('parameters.json') as f:\n    pars = json.load(f)\n"}, True),
    # an ARM template's parameters are deployment settings, not an experiment's
    ({"infra/azuredeploy.parameters.json": '{"parameters": {"location": {"value": "westeurope"}}}\n',
      "infra/deploy.py": "import json\nparams = json.load(open('infra/azuredeploy.parameters.json'))\n"}, False),
])
def test_parameters_files_are_experiment_configs(make_repo, files, expected):
    check(TrackingDetector, make_repo, files, "tracking.config_management", expected)


CONDA_ENV = ("name: ci\ndependencies:\n  - python=3.7.*\n  - numpy=1.18.*\n  - scikit-learn=0.22.*\n  - pip=20.0.*\n"
             "  - pip:\n      - azureml-sdk==1.27.*\n      - pytest==5.4.*\n")


@pytest.mark.parametrize("files, expected", [
    # a conda environment under any name (Azure ML keeps them as *_dependencies.yml)
    ({"diabetes_regression/ci_dependencies.yml": CONDA_ENV}, True),
    ({"diabetes_regression/ci_dependencies.yml": CONDA_ENV.replace("=1.18.*", "").replace("=0.22.*", "")
                                                          .replace("==1.27.*", "").replace("==5.4.*", "")}, False),
    # Helm charts list dependencies too: not an environment
    ({"charts/app/Chart.yaml": "apiVersion: v2\nname: app\ndependencies:\n  - name: redis\n    version: 17.0.0\n"
                               "    repository: https://charts.bitnami.com/bitnami\n"}, False),
    # pinned platform SDKs are a pipeline's environment
    ({"requirements.txt": "kfp==1.8.1\ngoogle-cloud-bigquery==2.26.0\ngoogle-cloud-bigquery-storage==2.7.0\n"
                          "google-cloud-aiplatform==1.4.2\ncloudml-hypertune==0.1.0.dev6\npytest\n"}, True),
    ({"requirements.txt": "requests==2.31.0\nclick==8.1.7\nrich==13.7.0\n"}, False),   # pinned, but nothing ML
])
def test_platform_environments_are_reproducible(make_repo, files, expected):
    check(TrackingDetector, make_repo, files, "tracking.reproducible_env", expected)


# -- Databricks source notebooks are notebooks ------------------------------------------------------
DBX_NOTEBOOK = ("# Databricks notebook source\nimport pandas as pd\n\n# COMMAND ----------\n\n"
                "df = pd.read_csv('/dbfs/raw/sales.csv')\ndf = df.dropna().drop_duplicates()\n")


def test_databricks_source_notebooks_are_counted_as_notebooks(make_repo):
    root = make_repo({"notebooks/prepare.py": DBX_NOTEBOOK, "explore.ipynb": notebook("x = 1"), "src/util.py": "x = 1\n",
                      # an export beside its notebook is that notebook again
                      "explore.py": "# jupyter:\n#   jupytext:\n#     formats: ipynb,py\nx = 1\n"})
    (counted,) = [e for e in run_detector(TrackingDetector, root) if e.signal == "tracking.notebooks"]
    assert counted.attributes["notebooks"] == 2


@pytest.mark.parametrize("files, expected", [
    ({"notebooks/prepare.py": DBX_NOTEBOOK}, False),    # notebook code is not module code
    ({"src/prepare.py": DBX_NOTEBOOK.replace("# Databricks notebook source\n", "")}, True),
])
def test_databricks_source_notebooks_are_not_data_modules(make_repo, files, expected):
    check(DataDetector, make_repo, files, "data.prep_code", expected)


def test_databricks_source_notebooks_are_not_monitoring_modules(make_repo):
    drift = ("from scipy.stats import ks_2samp\n\ndef check_drift(ref, cur):\n"
             "    stat, p_value = ks_2samp(ref, cur)\n    return p_value < 0.05\n")
    assert "monitoring.drift" in found(MonitoringDetector, make_repo, {"monitoring/drift.py": drift})
    assert "monitoring.drift" not in found(MonitoringDetector, make_repo,
                                           {"monitoring/drift.py": "# Databricks notebook source\n" + drift})
