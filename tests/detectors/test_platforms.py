"""Managed ML platforms (Vertex AI with Kubeflow Pipelines and TFX, SageMaker, Azure ML, Databricks):
their catalogue entries read by the tools detector, and the platform bits the other detectors
read. Positive cases and traps."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.deployment import DeploymentDetector


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
