"""Managed ML platforms (Vertex AI with Kubeflow Pipelines and TFX, SageMaker, Azure ML, Databricks):
their catalogue entries read by the tools detector, and the platform bits the other detectors
read. Positive cases and traps."""
from __future__ import annotations

import json

import pytest
from conftest import present, run_detector

from detectors.data import DataDetector
from detectors.deployment import DeploymentDetector
from detectors.monitoring import MonitoringDetector
from detectors.tracking import TrackingDetector


def notebook(*cells: str) -> str:
    return json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": c} for c in cells]})


def found(detector, make_repo, files) -> set[str]:
    return present(run_detector(detector, make_repo(files)))


def check(detector, make_repo, files, signal, expected):
    assert (signal in found(detector, make_repo, files)) is expected


VERTEX = "from google.cloud import aiplatform\n"
SCHEMA = "$schema: https://azuremlschemas.azureedge.net/latest/{}.schema.json\n"


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
