"""Deployment detector: containers, serving, infrastructure as code, tests, progressive delivery."""
from __future__ import annotations

import json

import pytest
from conftest import declared, present, run_detector

from detectors.deployment import DeploymentDetector
from detectors.tools import ToolUsageDetector
from detectors.tracking import TrackingDetector

SERVING_DOCKERFILE = "FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY src/ /app/src\nCMD [\"uvicorn\", \"src.app:app\"]\n"
DEPS_ONLY_DOCKERFILE = "FROM python:3.13\nWORKDIR /w\nCOPY requirements-freeze.txt .\nRUN pip install -r requirements-freeze.txt\n"
APP = "from fastapi import FastAPI\nimport joblib\n\napp = FastAPI()\nmodel = joblib.load('model.pkl')\n\n@app.post('/predict')\ndef predict(x: list[float]):\n    return {'y': model.predict([x]).tolist()}\n"


@pytest.mark.parametrize("files", [
    {"Dockerfile": SERVING_DOCKERFILE},
    {"docker/Dockerfile.train": "FROM pytorch/pytorch\nCOPY . /code\n"},
    {"Containerfile": "FROM python:3.12\nENTRYPOINT [\"python\", \"-m\", \"svc\"]\n"},
    # settings copied beside a server the project runs itself
    {"Dockerfile": "FROM python:3.12\nCOPY gunicorn.conf /app/\nCMD [\"gunicorn\", \"app:api\"]\n"},
    # an environment image the project builds for its jobs: named as a build context by its config
    {"mlops/taxi/environment/Dockerfile": DEPS_ONLY_DOCKERFILE,
     "config/config.yaml": "training:\n  docker_context_path: mlops/taxi/environment\n"},
    {"docker/Dockerfile": DEPS_ONLY_DOCKERFILE,
     ".github/workflows/image.yml": "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
                                   "      - run: docker build -f docker/Dockerfile -t train .\n"},
    # the root image built by the project's Makefile to run its modules in
    {"Dockerfile": DEPS_ONLY_DOCKERFILE, "Makefile": "IMAGE := informer\n\ninit:\n\tdocker build -t ${IMAGE} .\n"},
    # a research repository's environment: an ML framework image with its requirements added
    {"Dockerfile": "FROM pytorch/pytorch:1.5-cuda10.1-cudnn7-runtime\nRUN pip install Cython\n"
                   "COPY requirements.txt /workspace\nRUN pip install -r /workspace/requirements.txt\n"},
])
def test_container_present(make_repo, files):
    assert "deploy.container" in present(run_detector(DeploymentDetector, make_repo(files)))


@pytest.mark.parametrize("files", [
    {"Dockerfile": DEPS_ONLY_DOCKERFILE},
    {"Dockerfile": "FROM python:3.12\nCOPY . .\nCMD [\"mkdocs\", \"serve\"]\n"},
    {".devcontainer/Dockerfile": "FROM python:3.12\nCOPY . /w\n"},
    {"docs/deploy.md": "```dockerfile\nFROM python:3.12\nCOPY . .\nCMD [\"python\", \"serve.py\"]\n```\n"},
    {"Dockerfile": "# FROM python:3.12\n# COPY . .\n"},
    # a dependencies-only image only a dev container or the docs name: a workstation, not a job's image
    {"env/dev/Dockerfile": DEPS_ONLY_DOCKERFILE,
     ".devcontainer/devcontainer.json": '{"build": {"dockerfile": "../env/dev/Dockerfile"}}',
     "docs/setup.md": "docker build -f env/dev/Dockerfile .\n"},
    {"Dockerfile": DEPS_ONLY_DOCKERFILE, "docker-compose.yml": "services:\n  docs:\n    build:\n      dockerfile: Dockerfile\n"},
    # a Makefile building another image (``-f docker/Dockerfile.gpu``) says nothing of the root one
    {"Dockerfile": DEPS_ONLY_DOCKERFILE, "Makefile": "gpu:\n\tdocker build -f docker/Dockerfile.gpu -t gpu .\n"},
    {"docs/Dockerfile": DEPS_ONLY_DOCKERFILE, "compose.yaml": "services:\n  docs:\n    build: {dockerfile: docs/Dockerfile}\n"},
    # a third-party service given its settings and a plugin archive: no project code in it
    {"docker/kafka-connect.Dockerfile": "FROM confluentinc/cp-kafka-connect-base:7.1.2\n"
                                        "COPY docker/reddit-0.1.3.zip /tmp/reddit-0.1.3.zip\n"
                                        "COPY docker/source.properties /etc/kafka/source.properties\n"
                                        "RUN confluent-hub install --no-prompt /tmp/reddit-0.1.3.zip\n"
                                        'CMD ["connect-standalone", "/etc/kafka/source.properties"]\n'},
])
def test_container_traps(make_repo, files):
    assert "deploy.container" not in present(run_detector(DeploymentDetector, make_repo(files)))


def test_dependency_only_dockerfile_is_declared(make_repo):
    ev = run_detector(DeploymentDetector, make_repo({"Dockerfile": DEPS_ONLY_DOCKERFILE}))
    assert "deploy.container" in declared(ev)


@pytest.mark.parametrize("files", [
    {"app.py": APP},
    {"svc/main.py": "from flask import Flask\nfrom svc.model import get\napp = Flask(__name__)\n",
     "svc/model.py": "import torch\n\ndef get():\n    return torch.load('m.pt')\n"},
    {"api/app.py": "from fastapi import FastAPI\nfrom core import registry\napp = FastAPI()\n",
     "core/registry.py": "import mlflow.sklearn\nLOADERS = {'rf': mlflow.sklearn.load_model}\n"},
    {"k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\nspec:\n  predictor:\n    sklearn:\n      storageUri: gs://b/m\n"},
    {"model_repository/m/config.pbtxt": "name: \"m\"\nplatform: \"onnxruntime_onnx\"\n"},
    {"serve.sh": "#!/bin/sh\nmlflow models serve -m models:/m/1 -p 5001\n"},
    {"serve_model.sh": "cd ${MODEL_NAME}\nludwig serve\n"},
    {"Dockerfile": "FROM tensorflow/serving\nENTRYPOINT [\"tensorflow_model_server\", \"--model_base_path=/models/m\"]\n"},
    {".github/workflows/publish.yaml": "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
                                       "    steps:\n      - run: mlem deployment run flyio svm-app --model model/svm\n"},
    {"torchserve/config.properties": "inference_address=http://0.0.0.0:8080\n"},
])
def test_serving_present(make_repo, files):
    assert "deploy.serving" in present(run_detector(DeploymentDetector, make_repo(files)))


@pytest.mark.parametrize("files", [
    {"app.py": "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/')\ndef root():\n    return {}\n"},
    {"app.py": "from fastapi import FastAPI\n# model = joblib.load('m.pkl')\napp = FastAPI()\n"},
    {"train.py": "import joblib\nmodel = joblib.load('m.pkl')\n"},
    {"docs/serve.md": "```python\nimport bentoml\n@bentoml.service\nclass S: ...\n```\n"},
    {"serve.sh": "# mlflow models serve -m models:/m/1\n"},
    {"Makefile": "svm-app.mlem:\n\tmlem declare deployment flyio svm-app --app_name=svm\n"},  # declared, not run
    {"tests/test_app.py": APP},
])
def test_serving_traps(make_repo, files):
    assert "deploy.serving" not in present(run_detector(DeploymentDetector, make_repo(files)))


@pytest.mark.parametrize("files, present_expected", [
    ({"service.py": "import bentoml\n\n@bentoml.service\nclass Svc:\n    pass\n"}, True),
    ({"bentofile.yaml": "service: 'service:Svc'\n"}, True),
    ({"requirements.txt": "bentoml==1.2\n"}, False),
    ({"README.md": "We serve with BentoML.\n"}, False),
    ({"venv/lib/python3.11/site-packages/bentoml/x.py": "import bentoml\nbentoml.service()\n"}, False),
    # a Jina executor's endpoint, and a Flow serving executors
    ({"server/executors/encoder.py": "from jina import DocumentArray, Executor, requests\n\n\nclass Encoder(Executor):\n"
                                     "    @requests(on='/encode')\n    def encode(self, docs: DocumentArray, **kw):\n"
                                     "        docs.embeddings = self.model.encode(docs.texts)\n"}, True),
    ({"serve.py": "from jina import Flow\n\nwith Flow(port=51000).add(uses='Encoder') as f:\n    f.block()\n"}, True),
    ({"requirements.txt": "jina==3.12.0\n"}, False),
])
def test_serving_frameworks_from_catalogue(make_repo, files, present_expected):
    ev = run_detector(ToolUsageDetector, make_repo(files))
    assert ("deploy.serving" in present(ev)) is present_expected


BENTO_DEPLOYER = ("from zenml import pipeline\nfrom zenml.integrations.bentoml.steps import bento_builder_step, "
                  "bentoml_model_deployer_step\n\n@pipeline\ndef deploy(model):\n"
                  "    bento = bento_builder_step(model=model, model_name='m', service='service:Svc')\n"
                  "    bentoml_model_deployer_step(bento=bento, model_name='m', port=3000{image})\n")


@pytest.mark.parametrize("files, expected", [
    # a Bento built into an image: by the CLI, or by the ZenML deployer given the image to build
    ({"scripts/build.sh": "#!/bin/sh\nbentoml build && bentoml containerize citibike:latest\n"}, True),
    ({"pipelines/deployment.py": BENTO_DEPLOYER.format(image=", deployment_type=CONTAINER, image='citibike'")}, True),
    # the same deployer serving locally builds no image
    ({"pipelines/deployment.py": BENTO_DEPLOYER.format(image="")}, False),
])
def test_bentos_built_into_images(make_repo, files, expected):
    ev = run_detector(ToolUsageDetector, make_repo(files))
    assert ("deploy.container" in present(ev)) is expected


ARM_TEMPLATE = """{
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "resources": [{"type": "Microsoft.Databricks/workspaces", "apiVersion": "2018-04-01", "name": "ws"}]
}
"""


@pytest.mark.parametrize("files", [
    {"infra/main.tf": "resource \"google_cloud_run_service\" \"api\" {\n  name = \"api\"\n}\n"},
    {"k8s/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec: {}\n"},
    {"chart/Chart.yaml": "apiVersion: v2\nname: api\nversion: 0.1.0\n"},
    {"kustomization.yaml": "resources: [deploy.yaml]\n"},
    {"main.bicep": "resource sa 'Microsoft.Storage/storageAccounts@2021-02-01' = {}\n"},
    {"cloudformation/stack.yaml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"},
    {"deploy/cfn-sagemaker-endpoint.yml": "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n"},
    {"argo/nightly.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata:\n  name: n\nspec: {}\n"},
    {"deployment/arm/workspace.json": ARM_TEMPLATE},
    # templates named for nothing, known by their top-level keys
    {"pipeline.yml": "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"},
    {"assets/deploy-model-prd.yml": "Transform: AWS::Serverless-2016-10-31\nResources:\n"
                                    "  Endpoint:\n    Type: AWS::SageMaker::Endpoint\n"},
    {"stack.json": '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {"B": {"Type": "AWS::S3::Bucket"}}\n}\n'},
    # an Ansible playbook creating cloud resources
    {"ansible/create_instance.yaml": "- name: Create a Compute Engine instance\n  hosts: localhost\n  tasks:\n"
                                     "    - name: Start an instance\n      gcp_compute_instance:\n        name: instance-1\n"
                                     "        machine_type: e2-standard-8\n        state: present\n"},
])
def test_iac_present(make_repo, files):
    assert "deploy.iac" in present(run_detector(DeploymentDetector, make_repo(files)))


@pytest.mark.parametrize("files", [
    {"docs/k8s.md": "```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n```\n"},
    {"docker-compose.yml": "services:\n  api:\n    build: .\n"},
    {"README.md": "Kubernetes-ready topology planned; Terraform later.\n"},
    {"infra/variables.tf": "variable \"region\" {}\n"},
    {"infra/old.tf": "# resource \"aws_instance\" \"a\" {}\n/*\nresource \"aws_instance\" \"b\" {}\n*/\n"},
    {".github/workflows/ci.yml": "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"},
    # a pipeline compiled by the Kubeflow Pipelines v1 SDK: one run of a pipeline, not infrastructure
    {"pipelines/train_pipeline.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n"
                                      "  generateName: train-\n  annotations: {pipelines.kubeflow.org/kfp_sdk_version: 1.8.22}\n"
                                      "spec:\n  entrypoint: train\n"},
    {".cfnlintrc.yaml": "templates:\n  - templates/*.yaml\n"},
    # AWS resource types quoted in some other file's values
    {"config/resources.yaml": "inventory:\n  - Type: AWS::S3::Bucket\n    Name: raw\n"},
    # an ARM parameters file sets values for a template that is not in the repository
    {"deployment/arm/workspace.parameters.json": ARM_TEMPLATE.replace("deploymentTemplate", "deploymentParameters")},
])
def test_iac_traps(make_repo, files):
    assert "deploy.iac" not in present(run_detector(DeploymentDetector, make_repo(files)))


def test_iac_traps_include_host_configuration_playbooks(make_repo):
    # a playbook installing packages on a host configures it, it creates no infrastructure
    playbook = ("- name: Install docker\n  hosts: all\n  tasks:\n    - name: apt\n      apt:\n        name: docker.io\n"
                "    - name: run\n      community.docker.docker_container:\n        name: api\n        image: api\n")
    assert "deploy.iac" not in present(run_detector(DeploymentDetector, make_repo({"ansible/deploy.yml": playbook})))


KEDRO_DEMO_TEST = '''"""
This module contains example tests for a Kedro project.
"""
from pathlib import Path

from kedro.framework.session import KedroSession

# The tests below are here for the demonstration purpose
# and should be replaced with the ones testing the project
# functionality

class TestKedroRun:
    def test_kedro_run(self):
        with KedroSession.create(project_path=Path.cwd()) as session:
            assert session.run() is not None
'''


@pytest.mark.parametrize("files, expected", [
    ({"tests/test_model.py": "def test_accuracy():\n    assert 0.9 > 0.5\n"}, True),
    ({"src/pkg/foo_test.py": "import unittest\nclass TestFoo(unittest.TestCase):\n"
                             "    def test_sum(self):\n        self.assertEqual(1 + 1, 2)\n"}, True),
    # placeholders test nothing: empty classes, pass, assert False "TODO", skip/xfail-marked tests
    ({"src/pkg/foo_test.py": "import unittest\nclass TestFoo(unittest.TestCase):\n    pass\n"}, False),
    ({"tests/test_pipelines.py": "import pytest\n\n@pytest.mark.xfail\ndef test_that_you_wrote_tests():\n"
                                 "    assert False, 'No tests written'\n"}, False),
    ({"tests/test_todo.py": "def test_a():\n    pass\n\ndef test_b():\n    \"\"\"later\"\"\"\n\n"
                            "def test_c():\n    pytest.skip('soon')\n\ndef test_d():\n    raise NotImplementedError\n"}, False),
    ({"tests/test_mixed.py": "def test_a():\n    pass\n\ndef test_b():\n    assert add(1, 2) == 3\n"}, True),
    # the package imports and has its version: a set-up check, nothing of its behaviour
    ({"tests/test_basic.py": "def test_import():\n    import mloprec\n\n    assert mloprec.__version__ == '0.1.0'\n\n"
                             "def test_true():\n    assert True\n"}, False),
    # a template's placeholder that only calls print
    ({"test/test_to_delete.py": "def test_print():\n    try:\n        print('Hello') is None\n    except:\n"
                                "        print('Test print function failed.')\n        assert False\n"}, False),
    # a smoke script printing what it fetched for a person to read, checking nothing
    ({"scripts/test_pipeline.py": "from src.data import fetch\n\ndef test_fetch():\n    df = fetch()\n"
                                  "    print(f'Fetched {len(df)} rows')\n    print(df.head())\n"}, False),
    # ...and the same fetch checked
    ({"tests/test_pipeline.py": "from src.data import fetch\n\ndef test_fetch():\n    df = fetch()\n"
                                "    print(len(df))\n    assert len(df) == 24\n"}, True),
    ({"tests/test_api.py": "import unittest\n\nclass T(unittest.TestCase):\n    def test_ok(self):\n"
                           "        print('calling')\n        self.assertEqual(call(), 200)\n"}, True),
    ({"web/app.spec.ts": "test('renders', () => {})\n"}, True),
    # the specs a framework's CLI generates: the unit is defined, the starter route says hello
    ({"src/auth/auth.controller.spec.ts": "describe('AuthController', () => {\n  it('should be defined', () => {\n"
                                          "    expect(controller).toBeDefined();\n  });\n});\n",
      "src/app.controller.spec.ts": "it('should return \"Hello World!\"', () => {\n"
                                    "  expect(appController.getHello()).toBe('Hello World!');\n});\n"}, False),
    ({"src/churn.service.spec.ts": "it('scores', () => {\n  expect(service).toBeDefined();\n"
                                   "  expect(service.score({tenure: 3})).toBeCloseTo(0.7);\n});\n"}, True),
    ({"tests/__init__.py": ""}, False),
    ({"tests/helpers.py": "def make():\n    return 1\n"}, False),
    ({"tests/test_x.py": "# def test_x():\n#     pass\n"}, False),
    # ``cdk init``'s stack test, importing a stack module of a package that only has subpackages
    ({"app/stacks/__init__.py": "", "app/stacks/main.py": "X = 1\n",
      "tests/unit/test_app_stack.py": "import aws_cdk as core\nimport aws_cdk.assertions as assertions\n\n"
                                      "from app.app_stack import AppStack\n\n# example tests. To run these tests, "
                                      "uncomment this file along with the example\ndef test_sqs_queue_created():\n"
                                      "    template = assertions.Template.from_stack(AppStack(core.App(), 'a'))\n"}, False),
    # a project generator's example test, saying itself it is there to be replaced (Kedro's test_run.py)
    ({"tests/test_run.py": KEDRO_DEMO_TEST}, False),
    ({"tests/test_run.py": KEDRO_DEMO_TEST, "tests/test_nodes.py": "def test_clean():\n    assert clean([None]) == []\n"},
     True),
])
def test_tests(make_repo, files, expected):
    assert ("deploy.tests" in present(run_detector(DeploymentDetector, make_repo(files)))) is expected


SINGLE_VARIANT_CFN = ("AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  EndpointConfig:\n"
                      "    Type: AWS::SageMaker::EndpointConfig\n    Properties:\n      ProductionVariants:\n"
                      "        - ModelName: m\n          VariantName: variant-1\n          InitialVariantWeight: 1.0\n")
#: a Helm chart's template: no plain YAML, the weights come from the chart's values
ISTIO_CHART = ("apiVersion: networking.istio.io/v1alpha3\nkind: VirtualService\nmetadata:\n  name: mlmodel\nspec:\n"
               "  http:\n  - route:\n    - destination:\n        host: {{ .Values.svc.name }}-green\n"
               "      weight: {{ .Values.weight.green }}\n    - destination:\n        host: {{ .Values.svc.name }}-blue\n"
               "      weight: {{ .Values.weight.blue }}\n")
ROLLOUT = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: api\nspec:\n  strategy:\n    canary:\n      steps: [{setWeight: 20}]\n"
ISTIO = ("apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: m\nspec:\n  http:\n"
         "    - route:\n        - destination: {host: m, subset: v1}\n          weight: 90\n"
         "        - destination: {host: m, subset: v2}\n          weight: 10\n")

SAM_FUNCTION = ("Transform: AWS::Serverless-2016-10-31\nResources:\n  ApiFunction:\n    Type: AWS::Serverless::Function\n"
                "    Properties:\n      Handler: app.lambda_handler\n      AutoPublishAlias: live\n"
                "      DeploymentPreference:\n        Alarms:\n          - !Ref ErrorAlarm\n        Type: {kind}\n"
                "  ErrorAlarm:\n    Type: AWS::CloudWatch::Alarm\n")


@pytest.mark.parametrize("files", [
    {"k8s/rollout.yaml": ROLLOUT},
    {"k8s/vs.yaml": ISTIO},
    {"charts/abtest/templates/istio.yaml": ISTIO_CHART},
    {"k8s/isvc.yaml": "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: m\nspec:\n  predictor:\n    canaryTrafficPercent: 10\n"},
    {"deploy.py": "import boto3\nsm = boto3.client('sagemaker')\nsm.create_endpoint_config(ProductionVariants=["
                  "{'VariantName': 'a', 'InitialVariantWeight': 0.9}, {'VariantName': 'b', 'InitialVariantWeight': 0.1}])\n"},
    {"scripts/rollback.sh": "#!/bin/sh\nkubectl rollout undo deployment/api\n"},
    # flags between the tool and its verb
    {".github/workflows/rollback.yml": "on: workflow_dispatch\njobs:\n  rb:\n    runs-on: ubuntu-latest\n    steps:\n"
                                       "      - run: kubectl -n \"$NAMESPACE\" rollout undo deploy/api\n"},
    {"scripts/undo.sh": "#!/bin/sh\nhelm --namespace ml rollback ml 3\n"},
    # where a YAML file runs it: a GitLab job's script, a task runner's command list
    {".gitlab/rollback.yml": "rollback:\n  stage: deploy\n  when: manual\n  script:\n    - \"kubectl rollout undo deployment/api\"\n"},
    {"Taskfile.yml": "version: '3'\ntasks:\n  undo:\n    cmds:\n      - helm rollback ml 3\n"},
    {"flows/release.py": "def rollback_serving_release(prev):\n    return prev\n\ndef run(ok, prev):\n    if not ok:\n        rollback_serving_release(prev)\n"},
    # a SAM function whose new version takes traffic by CodeDeploy canary, rolled back on alarms
    {"assets/deploy.yml": SAM_FUNCTION.format(kind="Canary10Percent5Minutes")},
    # a canary share of traffic on the new version
    {".github/workflows/deploy.yml": "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
                                     "      - run: gcloud ai endpoints deploy-model $E --model=$NEW --traffic-split=0=10,old=90\n"},
])
def test_progressive_present(make_repo, files):
    assert "deploy.progressive" in present(run_detector(DeploymentDetector, make_repo(files)))


@pytest.mark.parametrize("files", [
    {"README.md": "We plan canary releases and blue-green deployments.\n"},
    {"migrations/0005_stage.py": "\"\"\"Adds a rollback primitive for model versions.\"\"\"\ndef upgrade():\n    pass\n"},
    {"db.py": "def save(session):\n    try:\n        session.commit()\n    except Exception:\n        session.rollback()\n"},
    {"k8s/vs.yaml": ISTIO.replace("weight: 90", "weight: 100").split("        - destination: {host: m, subset: v2}")[0]},
    {"scripts/x.sh": "# kubectl rollout undo deployment/api\n"},
    # one weighted destination, and a weight in the next document, split nothing
    {"charts/abtest/templates/istio.yaml": ISTIO_CHART.split("    - destination:\n        host: {{ .Values.svc.name }}-blue")[0]
     + "---\nkind: Other\nspec:\n  weight: 3\n"},
    # the words without the command: prose in a value, or another command echoing them
    {"deploy/values.yaml": "description: use helm to rollback a bad release\n"},
    # the command itself, but as data: a thresholds file listing the rollback levers it plans
    {"configs/thresholds.yaml": "rollout:\n  rollback:\n    mechanisms:\n      - \"registry alias flip\"\n"
                                "      - \"kubectl rollout undo deployment/readmission-api\"\n"},
    {"scripts/x.sh": "#!/bin/sh\nkubectl get pods && echo rollout undo\n"},
    {"flows/release.py": "def rollback_serving_release(prev):\n    return prev\n"},
    # every SageMaker variant carries a weight: one variant per endpoint takes all the traffic
    {"deploy/cfn-endpoint.yml": SINGLE_VARIANT_CFN},
    {"Jenkinsfile": "pipeline {\n  stages {\n    stage('test') { steps { sh 'aws sagemaker create-endpoint-config "
                    "--production-variants VariantName=single,InitialVariantWeight=1' } }\n"
                    "    stage('prod') { steps { sh 'aws sagemaker create-endpoint-config "
                    "--production-variants VariantName=single,InitialVariantWeight=1' } }\n  }\n}\n"},
    # a config class whose parameters are named so: a type and a variable are no variant names
    {"infra/deployment_config.py": "class VariantConfig:\n    def __init__(self, initial_variant_weight: float = 1.0,\n"
                                   "                 variant_name: str = None):\n"
                                   "        self.initial_variant_weight = initial_variant_weight\n"
                                   "        self.variant_name = variant_name\n"},
    {"assets/deploy.yml": SAM_FUNCTION.format(kind="AllAtOnce")},
    # the schema of a traffic-routing resource type names its mirroring fields
    {"manifests/istio-crds/crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                                      "spec:\n  versions:\n  - schema:\n      openAPIV3Schema:\n        properties:\n"
                                      "          mirror_percent:\n            type: integer\n"},
    # a swap moving all traffic to the new model at once is no canary
    {".github/workflows/deploy.yml": "on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n"
                                     "      - run: gcloud ai endpoints deploy-model $E --model=$NEW "
                                     "--traffic-split=\"${OLD}=0,${NEW}=100\"\n"},
])
def test_progressive_traps(make_repo, files):
    assert "deploy.progressive" not in present(run_detector(DeploymentDetector, make_repo(files)))


def test_unrendered_template_is_ignored(make_repo):
    files = {"{{cookiecutter.repo}}/Dockerfile": SERVING_DOCKERFILE, "{{cookiecutter.repo}}/app.py": APP,
             "{{cookiecutter.repo}}/tests/test_a.py": "def test_a():\n    pass\n"}
    assert present(run_detector(DeploymentDetector, make_repo(files))) == set()


def test_malformed_yaml_does_not_crash(make_repo):
    files = {"k8s/bad.yaml": "apiVersion: v1\nkind: [\n", "chart/templates/d.yaml": "apiVersion: v1\nkind: {{ .Values.kind }}\n"}
    assert present(run_detector(DeploymentDetector, make_repo(files))) == set()


@pytest.mark.parametrize("doc", [
    "apiVersion: v1\nkind: VirtualService\nmetadata: {name: a}\nspec: [1, 2]\n",
    "apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\nmetadata: {name: a}\nspec: {predictors: {a: 1}}\n",
    "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {http: [{route: 5}, 3]}\n",
])
def test_odd_manifests_never_crash(make_repo, doc):
    ev = run_detector(DeploymentDetector, make_repo({"k8s/a.yaml": doc}))
    assert "deploy.iac" in present(ev) and "deploy.progressive" not in present(ev)


ZENML_DEPLOY = """
from zenml import pipeline
from zenml.integrations.mlflow.steps import mlflow_model_deployer_step

@pipeline
def continuous_deployment_pipeline():
    model = train()
    mlflow_model_deployer_step(model=model, deploy_decision=True)
"""


@pytest.mark.parametrize("files, expected", [
    ({"pipelines/deployment_pipeline.py": ZENML_DEPLOY}, True),
    # a ZenML training pipeline starts no prediction server
    ({"pipelines/training.py": "from zenml import pipeline, step\n@step\ndef train():\n    pass\n"}, False),
    ({"pipelines/deployment_pipeline.py": ZENML_DEPLOY.replace("    mlflow_model_deployer_step(", "    # mlflow_model_deployer_step(")},
     False),
])
def test_zenml_model_deployer_step_is_serving(make_repo, files, expected):
    ev = run_detector(ToolUsageDetector, make_repo(files))
    assert ("deploy.serving" in present(ev)) is expected


def test_a_general_sdk_import_is_no_declared_mention_of_every_tool_it_could_call(make_repo):
    # boto3 reaches SageMaker endpoints, but importing it for S3 says nothing about serving
    s3_only = run_detector(ToolUsageDetector, make_repo({"upload.py": "import boto3\nboto3.client('s3').upload_file('a', 'b', 'c')\n"}))
    assert not [e for e in s3_only if e.attributes.get("tool") == "sagemaker-endpoints"]
    endpoint = run_detector(ToolUsageDetector, make_repo({"deploy.py": "import boto3\nsm = boto3.client('sagemaker')\n"
                                                          "sm.create_endpoint_config(EndpointConfigName='c')\n"}))
    assert "deploy.serving" in present(endpoint)


# -- web apps serving a pretrained model they build --------------------------------------------------

def flask_app(imports: str, build: str) -> str:
    """A small Flask prediction service: the app is made on line 5, the model on line 6."""
    return f'''"""Prediction service."""
from flask import Flask, jsonify, request
{imports}

app = Flask(__name__)
model = {build}


@app.route("/predict", methods=["POST"])
def predict():
    payload = request.get_json()
    return jsonify(result=str(model(payload["input"])))
'''


KERAS_API = '''"""Image classification API: the top-3 ImageNet labels of an uploaded picture."""
import io

import numpy as np
from fastapi import FastAPI, File, UploadFile
from PIL import Image
from tensorflow.keras.applications.mobilenet_v2 import MobileNetV2, decode_predictions, preprocess_input

app = FastAPI(title="classifier")
model = MobileNetV2(weights="imagenet")


@app.post("/predict")
async def predict(file: UploadFile = File(...)):
    image = Image.open(io.BytesIO(await file.read())).convert("RGB").resize((224, 224))
    batch = preprocess_input(np.expand_dims(np.asarray(image, dtype="float32"), 0))
    top = decode_predictions(model.predict(batch), top=3)[0]
    return [{"label": label, "score": float(score)} for _, label, score in top]
'''


def serving(ev):
    return [e for e in ev if e.signal == "deploy.serving"]


def test_web_app_serving_a_keras_application_model(make_repo):
    ev = serving(run_detector(DeploymentDetector, make_repo({"api/main.py": KERAS_API})))
    assert len(ev) == 1 and ev[0].counts and ev[0].tier.value == "configured"
    assert ev[0].summary == ("web app in api/main.py serves a model loaded with "
                             "tensorflow.keras.applications.mobilenet_v2.MobileNetV2 (api/main.py:10)")
    assert [(loc.path, loc.line) for loc in ev[0].locations] == [("api/main.py", 9), ("api/main.py", 10)]


@pytest.mark.parametrize("imports, build, call", [
    # Keras applications come with ImageNet weights unless told otherwise
    ("from tensorflow.keras.applications import ResNet50", "ResNet50()", "tensorflow.keras.applications.ResNet50"),
    ("import tensorflow as tf", 'tf.keras.applications.EfficientNetB0(weights="imagenet")',
     "tensorflow.keras.applications.EfficientNetB0"),
    ("import keras", "keras.applications.ConvNeXtTiny(include_top=True)", "keras.applications.ConvNeXtTiny"),
    # torchvision and timm build pretrained networks only when asked
    ("from torchvision import models", "models.resnet50(weights=models.ResNet50_Weights.DEFAULT).eval()",
     "torchvision.models.resnet50"),
    ("from torchvision.models import resnet18", "resnet18(pretrained=True)", "torchvision.models.resnet18"),
    ("import torchvision", 'torchvision.models.get_model("vit_b_16", weights="DEFAULT")', "torchvision.models.get_model"),
    ("from torchvision.models.detection import fasterrcnn_resnet50_fpn", 'fasterrcnn_resnet50_fpn(weights="DEFAULT")',
     "torchvision.models.detection.fasterrcnn_resnet50_fpn"),
    ("import timm", 'timm.create_model("efficientnet_b0", pretrained=True)', "timm.create_model"),
    # hubs and libraries that fetch a trained model
    ("import torch", 'torch.hub.load("ultralytics/yolov5", "yolov5s")', "torch.hub.load"),
    ("import tensorflow_hub as hub",
     'hub.KerasLayer("https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/classification/5")',
     "tensorflow_hub.KerasLayer"),
    ("import tensorflow_hub as hub", 'hub.load("https://tfhub.dev/google/universal-sentence-encoder/4")',
     "tensorflow_hub.load"),
    ("import spacy", 'spacy.load("en_core_web_sm")', "spacy.load"),
    ("import whisper", 'whisper.load_model("base")', "whisper.load_model"),
    ("import fasttext", 'fasttext.load_model("lid.176.bin")', "fasttext.load_model"),
    ("from diffusers import StableDiffusionPipeline",
     'StableDiffusionPipeline.from_pretrained("runwayml/stable-diffusion-v1-5")',
     "diffusers.StableDiffusionPipeline.from_pretrained"),
    ("import open_clip", 'open_clip.create_model_and_transforms("ViT-B-32", pretrained="laion2b_s34b_b79k")[0]',
     "open_clip.create_model_and_transforms"),
    ("import easyocr", 'easyocr.Reader(["en"])', "easyocr.Reader"),
    # any library's constructor told to fetch pretrained weights
    ("from doctr.models import ocr_predictor", "ocr_predictor(pretrained=True)", "doctr.models.ocr_predictor"),
])
def test_web_app_serving_a_pretrained_model(make_repo, imports, build, call):
    ev = serving(run_detector(DeploymentDetector, make_repo({"service/app.py": flask_app(imports, build)})))
    assert len(ev) == 1 and ev[0].counts and ev[0].tier.value == "configured"
    assert ev[0].summary == f"web app in service/app.py serves a model loaded with {call} (service/app.py:6)"
    assert [(loc.path, loc.line) for loc in ev[0].locations] == [("service/app.py", 5), ("service/app.py", 6)]


def test_pretrained_model_built_in_a_module_the_app_imports(make_repo):
    files = {"svc/api.py": "from flask import Flask, jsonify, request\n\nfrom backbone import classifier\n\n"
                           "app = Flask(__name__)\n\n\n@app.post('/embed')\ndef embed():\n"
                           "    return jsonify(classifier()(request.get_json()['pixels']).tolist())\n",
             "lib/backbone.py": "import functools\n\nimport timm\n\n\n@functools.cache\ndef classifier():\n"
                                "    return timm.create_model('convnext_tiny', pretrained=True).eval()\n"}
    ev = serving(run_detector(DeploymentDetector, make_repo(files)))
    assert len(ev) == 1 and ev[0].counts
    assert [(loc.path, loc.line) for loc in ev[0].locations] == [("svc/api.py", 5), ("lib/backbone.py", 8)]


TRAIN_ENDPOINT = '''"""Trains a classifier on demand."""
import torch
from flask import Flask, jsonify
from torchvision.models import resnet18

from data import loader

app = Flask(__name__)


@app.route("/train", methods=["POST"])
def train():
    model = resnet18(num_classes=10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for images, labels in loader():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
    torch.save(model.state_dict(), "resnet18.pt")
    return jsonify(status="trained")
'''
FINETUNE = '''"""Fine-tunes an ImageNet backbone on our labels."""
import torch
from torchvision.models import ResNet50_Weights, resnet50

model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V2)
model.fc = torch.nn.Linear(model.fc.in_features, 5)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
'''


@pytest.mark.parametrize("files", [
    # a Flask app that builds an architecture to train it
    {"app.py": TRAIN_ENDPOINT},
    {"app.py": flask_app("from torchvision.models import resnet50", "resnet50(weights=None)")},
    {"app.py": flask_app("from torchvision.models import resnet50", "resnet50()")},
    {"app.py": flask_app("from tensorflow.keras.applications import MobileNetV2", "MobileNetV2(weights=None, classes=5)")},
    {"app.py": flask_app("import timm", 'timm.create_model("resnet50", num_classes=3)')},
    {"app.py": flask_app("import timm", 'timm.create_model("resnet50", pretrained=False)')},
    {"app.py": flask_app("from doctr.models import ocr_predictor", "ocr_predictor(pretrained=False)")},
    # Keras' preprocessing helpers are no model: this app forwards to a model server
    {"app.py": KERAS_API.replace("MobileNetV2, ", "").replace('model = MobileNetV2(weights="imagenet")',
                                                             "import requests")
               .replace("model.predict(batch)", 'requests.post(URL, json=batch.tolist()).json()')},
    # a model zoo in a training script, with no web app anywhere
    {"train.py": FINETUNE},
    # nor beside a web app that does not use it
    {"service/app.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/health')\ndef health():\n    return 'ok'\n",
     "service/finetune.py": FINETUNE},
])
def test_model_zoo_traps(make_repo, files):
    assert "deploy.serving" not in present(run_detector(DeploymentDetector, make_repo(files)))


# -- batch scoring jobs ------------------------------------------------------------------------------

SPARK_SCORING = '''"""Nightly scoring: applies the registered churn model to yesterday's customers."""
import os

import boto3
import mlflow
from pyspark.sql import SparkSession

MODEL_URI = os.environ.get("MODEL_URI", "models:/churn/Production")
BUCKET = os.environ["PREDICTIONS_BUCKET"]


def main() -> None:
    spark = SparkSession.builder.appName("churn-scoring").getOrCreate()
    customers = spark.read.parquet("s3a://warehouse/customers/latest/")
    model = mlflow.spark.load_model(MODEL_URI)
    scored = model.transform(customers).select("customer_id", "prediction", "probability")
    local_path = "/tmp/churn_predictions.csv"
    scored.toPandas().to_csv(local_path, index=False)
    boto3.client("s3").upload_file(local_path, BUCKET, "churn/predictions.csv")


if __name__ == "__main__":
    main()
'''
SCORING_IMAGE = '''FROM python:3.10-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY load_models.py .
CMD ["python", "load_models.py"]
'''
CREDIT_SCORING = '''"""Scores the day's loan applications with the credit model and stores the predictions."""
import argparse

import joblib
import pandas as pd
from sqlalchemy import create_engine


def score(model, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["application_id"]].copy()
    out["default_probability"] = model.predict_proba(frame.drop(columns=["application_id"]))[:, 1]
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--date", required=True)
    args = parser.parse_args()
    model = joblib.load("models/credit.joblib")
    engine = create_engine("postgresql://scoring@db/credit")
    frame = pd.read_sql(f"SELECT * FROM applications WHERE day = '{args.date}'", engine)
    score(model, frame).to_sql("predictions", engine, if_exists="append", index=False)


if __name__ == "__main__":
    main()
'''
CREDIT_CRONJOB = '''apiVersion: batch/v1
kind: CronJob
metadata:
  name: score-applications
spec:
  schedule: "0 2 * * *"
  timeZone: Europe/Paris
  # a scoring run must not overlap the next one
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 1
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: scorer
              image: registry.example.com/credit-scorer:1.4.0
              command: ["python", "/app/jobs/score_applications.py"]
              args: ["--date", "$(RUN_DATE)"]
'''
CREDIT_JOB = '''apiVersion: batch/v1
kind: Job
metadata:
  name: backfill-scores
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: scorer
          image: registry.example.com/credit-scorer:1.4.0
          command: ["python", "-m", "jobs.score_applications", "--date", "2024-06-30"]
'''
CREDIT_CRONTAB = '''SHELL=/bin/bash
MAILTO=ml-alerts@example.com
# m h dom mon dow command
30 1 * * * cd /opt/credit && .venv/bin/python jobs/score_applications.py --date $(date -d yesterday +\\%F) >> /var/log/score.log 2>&1
'''


def test_batch_scoring_job_run_by_a_dockerfile(make_repo):
    repo = make_repo({"load_models.py": SPARK_SCORING, "Dockerfile": SCORING_IMAGE,
                      "requirements.txt": "mlflow==2.14.1\npyspark==3.5.1\nboto3==1.34.131\n"})
    ev = serving(run_detector(DeploymentDetector, repo))
    assert len(ev) == 1 and ev[0].counts and ev[0].tier.value == "configured"
    assert ev[0].summary == ("batch scoring job: load_models.py loads a model (mlflow.spark.load_model), scores data "
                             "and writes predictions (to_csv, upload_file); run by Dockerfile CMD")
    assert [(loc.path, loc.line) for loc in ev[0].locations] == [("load_models.py", 15), ("Dockerfile", 6)]


@pytest.mark.parametrize("runner, where, line", [
    # the script named by its path inside the image
    ({"k8s/cronjob.yaml": CREDIT_CRONJOB}, "Kubernetes CronJob k8s/cronjob.yaml", 2),
    # as a module
    ({"k8s/backfill.yaml": CREDIT_JOB}, "Kubernetes Job k8s/backfill.yaml", 2),
    ({"deploy/crontab": CREDIT_CRONTAB}, "crontab deploy/crontab", 4),
    # shell form, by its base name
    ({"jobs/Dockerfile": "FROM python:3.11-slim\nWORKDIR /srv\nCOPY jobs/ .\nRUN pip install joblib pandas sqlalchemy\n"
                         "ENTRYPOINT python -u score_applications.py\n"}, "jobs/Dockerfile ENTRYPOINT", 5),
    # a task of an orchestrator's DAG
    ({"dags/score_dag.py": "from airflow import DAG\nfrom airflow.operators.bash import BashOperator\n\n"
                           "with DAG('score', schedule='@daily') as dag:\n"
                           "    BashOperator(task_id='score', bash_command='python jobs/score_applications.py')\n"},
     "Airflow task BashOperator in dags/score_dag.py", 5),
    # a module the tasks of a pipeline import and call
    ({"dags/score_dag.py": "from airflow.decorators import dag, task\n\n\n@dag(schedule='@daily')\ndef scoring():\n"
                           "    @task.virtualenv(requirements=['joblib'])\n    def score():\n"
                           "        from jobs import score_applications\n\n        score_applications.main()\n\n"
                           "    score()\n"},
     "airflow pipeline tasks in dags/score_dag.py", 8),
    # a Databricks job defined for the Jobs API, naming the notebook by its workspace path
    ({"deploy/databricks/scoring_job.json": json.dumps({
        "name": "nightly scoring", "existing_cluster_id": "FILL_CLUSTER_ID",
        "notebook_task": {"notebook_path": "/Repos/team/credit/score_applications"}}, indent=4)},
     "Databricks Jobs API job 'nightly scoring' (deploy/databricks/scoring_job.json)", 2),
    # a Databricks job defined in Terraform, naming the notebook without its suffix
    ({"databricks-config/inference-job.tf": 'resource "databricks_job" "batch_inference_job" {\n  name = "scoring"\n'
                                            '  task {\n    task_key = "score"\n    notebook_task {\n'
                                            '      notebook_path = "jobs/score_applications"\n    }\n'
                                            '    existing_cluster_id = var.cluster\n  }\n}\n'},
     "Databricks jobs (Terraform) job 'batch_inference_job' (databricks-config/inference-job.tf)", 4),
])
def test_batch_scoring_job_run_by_a_job_or_a_schedule(make_repo, runner, where, line):
    ev = serving(run_detector(DeploymentDetector, make_repo({"jobs/score_applications.py": CREDIT_SCORING, **runner})))
    assert len(ev) == 1 and ev[0].counts and ev[0].tier.value == "configured"
    assert ev[0].summary == ("batch scoring job: jobs/score_applications.py loads a model (joblib.load), scores data "
                             f"and writes predictions (to_sql); run by {where}")
    assert [(loc.path, loc.line) for loc in ev[0].locations] == [("jobs/score_applications.py", 19),
                                                                 (next(iter(runner)), line)]


AML_LOADER = ("import mlflow\nfrom azureml.core import Model\n\n\nclass Loaded:\n    @classmethod\n"
              "    def from_aml_model(cls, aml_model):\n        aml_model.download('tmp')\n"
              "        return mlflow.pyfunc.load_model('file:tmp/model')\n\n\n"
              "def get_latest_model_from_aml(ws, name):\n    return Loaded.from_aml_model(Model(ws, name, tags=['prod']))\n")
AML_SCORING = ("import pandas as pd\nfrom ..utils import get_latest_model_from_aml\n\n\ndef main(ws, src, out):\n"
               "    df = pd.read_parquet(src)\n    model = get_latest_model_from_aml(ws, 'churn')\n"
               "    df['prediction'] = model.predict(df)\n    df.to_parquet(out)\n")
AML_STEP = ("from azureml.pipeline.steps import CommandStep\n\nstep = CommandStep(name='batch_inference', command=(\n"
            "    'python -m src.models.inference '\n    f'data.folder={data.arg_val}'), source_directory='.')\n")


@pytest.mark.parametrize("step, runs", [(AML_STEP, True), (None, False)])
def test_batch_scoring_through_a_loading_helper_run_by_an_azure_ml_step(make_repo, step, runs):
    files = {"src/__init__.py": "", "src/utils.py": AML_LOADER, "src/models/__init__.py": "",
             "src/models/inference.py": AML_SCORING, **({"azureml/inference_pipeline.py": step} if step else {})}
    ev = serving(run_detector(DeploymentDetector, make_repo(files)))
    batch = [e for e in ev if "batch scoring" in e.summary]
    assert batch and batch[0].counts is runs
    assert "loads a model (get_latest_model_from_aml)" in batch[0].summary


SERVERLESS_SCORING = """\
import pandas as pd
import xgboost as xgb


def predict(df):
    booster = xgb.Booster()
    booster.load_model("/tmp/model.xgb")
    return booster.predict(xgb.DMatrix(df))


def {name}({params}):
    df = pd.read_csv("/tmp/future.csv")
    df["prediction"] = predict(df)
    df.to_csv("/tmp/prediction.csv")
"""


@pytest.mark.parametrize("name, params, runs", [
    ("endpoint", "event, context", True),          # a Cloud Function / Lambda entry point
    ("lambda_handler", "event, context", True),
    ("main", "", False),                           # a script nothing runs
])
def test_batch_scoring_in_a_serverless_function(make_repo, name, params, runs):
    ev = serving(run_detector(DeploymentDetector, make_repo({"function/main.py": SERVERLESS_SCORING.format(
        name=name, params=params)})))
    assert len(ev) == 1 and ev[0].counts is runs


AIRFLOW_SCORING = """from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
import io
import pandas as pd
from model_dev import Forecaster


def batch_prediction_task():
    s3 = S3Hook("aws")
    future = pd.read_csv("/opt/airflow/data/to_predict.csv")
    model = Forecaster().model_instance.load("{model}")
    buffer = io.StringIO()
    model.predict(future).to_csv(buffer, index=False)
    s3.get_conn().put_object(Bucket="predictions", Key="predictions.csv", Body=buffer.getvalue())


with DAG(dag_id="monthly_prediction") as dag:
    PythonOperator(task_id="predict", python_callable=batch_prediction_task)
"""


@pytest.mark.parametrize("model, runs", [
    # any library's load of a saved model file, in a DAG whose own task scores with it
    ("/opt/airflow/models/xgb_model.pkl", True),
    # trap: a table loaded is no model
    ("/opt/airflow/data/history.csv", False),
])
def test_batch_scoring_in_the_task_of_a_dag(make_repo, model, runs):
    ev = serving(run_detector(DeploymentDetector, make_repo({"dags/forecast_dag.py": AIRFLOW_SCORING.format(model=model)})))
    assert bool(ev) is runs
    if runs:
        assert ev[0].counts and "run by airflow pipeline tasks in dags/forecast_dag.py" in ev[0].summary


def scoring_script(body: str) -> str:
    """A scoring script: the model is loaded on line 10, ``body`` scores and writes (indented by 4)."""
    return ('"""Batch predictions for the fraud team."""\nimport csv\nimport io\nimport json\n\nimport boto3\n'
            'import joblib\nimport pandas as pd\n\nmodel = joblib.load("artifacts/fraud.joblib")\n'
            'batch = pd.read_parquet("data/transactions.parquet")\n\n\ndef run():\n' + body)


@pytest.mark.parametrize("body, writes", [
    # a frame column, then a table
    ('    batch["fraud"] = model.predict(batch)\n    batch.to_parquet("out/scored.parquet")\n', "to_parquet"),
    # a fraud score is a prediction, not a metric
    ('    score = model.predict_proba(batch)[:, 1]\n    batch.assign(score=score).to_parquet("out/scored.parquet")\n',
     "to_parquet"),
    # a buffer written with them, then the buffer put into a bucket
    ('    buffer = io.StringIO()\n    pd.DataFrame({"p": model.predict_proba(batch)[:, 1]}).to_csv(buffer)\n'
     '    boto3.client("s3").put_object(Bucket="scores", Key="fraud.csv", Body=buffer.getvalue())\n',
     "to_csv, put_object"),
    # rows filled in a loop, written with the csv module
    ('    rows = []\n    for tx_id, label in zip(batch.index, model.predict(batch)):\n'
     '        rows.append((tx_id, int(label)))\n    with open("out/fraud.csv", "w", newline="") as f:\n'
     '        csv.writer(f).writerows(rows)\n', "writerows"),
    # the script's own helper writes them, as JSON lines
    ('    save(model.decision_function(batch), "out/fraud.jsonl")\n\n\ndef save(scores, path):\n'
     '    with open(path, "w") as f:\n        for s in scores:\n            f.write(json.dumps({"score": float(s)}) + "\\n")\n',
     "write"),
])
def test_batch_scoring_follows_the_predictions_to_what_writes_them(make_repo, body, writes):
    files = {"batch/predict.py": scoring_script(body), "batch/crontab": "0 * * * * python /srv/batch/predict.py\n"}
    ev = serving(run_detector(DeploymentDetector, make_repo(files)))
    assert len(ev) == 1 and ev[0].counts
    assert ev[0].summary == ("batch scoring job: batch/predict.py loads a model (joblib.load), scores data and writes "
                             f"predictions ({writes}); run by crontab batch/crontab")


EVALUATE = '''"""Evaluates the credit model on the held-out set."""
import json

import joblib
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score


def main() -> None:
    model = joblib.load("models/credit.joblib")
    test = pd.read_parquet("data/test.parquet")
    y_true = test.pop("defaulted")
    y_pred = model.predict(test)
    proba = model.predict_proba(test)[:, 1]
    acc = float((y_pred == y_true).mean())
    print(f"accuracy={acc:.3f}")
    metrics = {"accuracy": accuracy_score(y_true, y_pred), "f1": f1_score(y_true, y_pred),
               "auc": roc_auc_score(y_true, proba)}
    pd.DataFrame([metrics]).to_csv("reports/metrics.csv", index=False)
    with open("reports/metrics.json", "w") as f:
        json.dump(metrics, f, indent=2)


if __name__ == "__main__":
    main()
'''


WEEKLY_PIPELINE = '''"""Prepares the data, trains the fraud model and checks it: what the image runs every week."""
import joblib
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score


def prepare() -> None:
    df = pd.read_csv("data/raw/transactions.csv").dropna()
    df = df[df["amount"] > 0]
    df.to_parquet("data/clean.parquet")


def train() -> None:
    df = pd.read_parquet("data/clean.parquet")
    model = RandomForestClassifier(n_estimators=200).fit(df.drop(columns=["fraud"]), df["fraud"])
    joblib.dump(model, "models/fraud.joblib")


def check() -> None:
    model = joblib.load("models/fraud.joblib")
    df = pd.read_parquet("data/holdout.parquet")
    df["pred"] = model.predict(df.drop(columns=["fraud"]))
    print("f1", f1_score(df["fraud"], df["pred"]))


if __name__ == "__main__":
    prepare()
    train()
    check()
'''


@pytest.mark.parametrize("files", [
    # an evaluation writes metrics, not predictions, even when an image runs it
    {"evaluate.py": EVALUATE, "Dockerfile": SCORING_IMAGE.replace("load_models.py", "evaluate.py")},
    # the frame written by one function is not the frame another one scores
    {"pipeline.py": WEEKLY_PIPELINE, "Dockerfile": SCORING_IMAGE.replace("load_models.py", "pipeline.py")},
    # predictions only printed
    {"jobs/score_applications.py": CREDIT_SCORING.replace(
        '    score(model, frame).to_sql("predictions", engine, if_exists="append", index=False)\n',
        "    print(score(model, frame).describe())\n"), "deploy/crontab": CREDIT_CRONTAB},
    # what is written is the input, not what the model made of it
    {"batch/predict.py": scoring_script('    print(model.predict(batch).mean())\n    batch.to_parquet("out/seen.parquet")\n'),
     "batch/crontab": "0 * * * * python /srv/batch/predict.py\n"},
    # a scoring script in the tests
    {"tests/test_scoring.py": SPARK_SCORING, "Dockerfile": SCORING_IMAGE.replace("load_models.py", "tests/test_scoring.py")},
])
def test_batch_scoring_traps(make_repo, files):
    assert not serving(run_detector(DeploymentDetector, make_repo(files)))


@pytest.mark.parametrize("extra", [
    {},
    # an image that runs something else
    {"Dockerfile": SCORING_IMAGE.replace("load_models.py", "serve.py")},
    # a crontab entry commented out
    {"deploy/crontab": "# 0 2 * * * python load_models.py\n"},
])
def test_a_scoring_script_nothing_runs_is_only_declared(make_repo, extra):
    ev = serving(run_detector(DeploymentDetector, make_repo({"load_models.py": SPARK_SCORING, **extra})))
    assert len(ev) == 1 and not ev[0].counts and ev[0].tier.value == "declared"
    assert ev[0].summary == ("batch scoring script: load_models.py loads a model (mlflow.spark.load_model), scores "
                             "data and writes predictions (to_csv, upload_file); nothing runs it as a job")
    assert [(loc.path, loc.line) for loc in ev[0].locations] == [("load_models.py", 15)]


STREAM_SCORER = """\
import json
import joblib
from kafka import KafkaConsumer, KafkaProducer

model = joblib.load("models/model.joblib")
consumer = KafkaConsumer("transactions", bootstrap_servers="kafka:9092")
producer = KafkaProducer(bootstrap_servers="kafka:9092")
for message in consumer:
    features = json.loads(message.value)
    score = model.predict_proba([features["x"]])[0][1]
    producer.send("scores", json.dumps({"id": features["id"], "score": score}).encode())
"""


@pytest.mark.parametrize("files, expected", [
    ({"services/scorer/app.py": STREAM_SCORER}, True),
    # a consumer that loads a scaler and only transforms records feeds a pipeline, it serves no model
    ({"services/etl/app.py": STREAM_SCORER.replace("model.predict_proba([features[\"x\"]])[0][1]",
                                                     "model.transform([features[\"x\"]])[0][0]")}, False),
    ({"tests/test_scorer.py": STREAM_SCORER}, False),
])
def test_a_stream_consumer_scoring_with_a_loaded_model_serves_it(make_repo, files, expected):
    assert ("deploy.serving" in present(run_detector(DeploymentDetector, make_repo(files)))) is expected



CHAINLIT_APP = """import chainlit as cl

from assistant.chat_model import get_chat_model


@cl.on_message
async def on_message(message: cl.Message):
    reply = await get_chat_model().ainvoke(message.content)
    await cl.Message(content=reply.content).send()
"""
CHAT_MODEL = """from langchain_openai import ChatOpenAI


def get_chat_model():
    return ChatOpenAI(model="gpt-4o-mini", temperature=0)
"""


@pytest.mark.parametrize("files, expected", [
    # a chat app answering with a language model built in a sibling module
    ({"assistant/app.py": CHAINLIT_APP, "assistant/chat_model.py": CHAT_MODEL}, True),
    ({"api/main.py": "from fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n\n"
                     "@app.post('/ask')\ndef ask(q: str):\n    r = client.chat.completions.create(model='gpt-4o', "
                     "messages=[{'role': 'user', 'content': q}])\n    return r.choices[0].message.content\n"}, True),
    # a foundation model answered through the Bedrock runtime, in the app's own helper package
    ({"app/api/main.py": "from fastapi import FastAPI\nfrom app.llm import converse\n\napp = FastAPI()\n\n"
                         "@app.post('/query')\ndef query(q: str):\n    return converse(q)\n",
      "app/llm.py": "import boto3\n\nclient = boto3.client('bedrock-runtime', region_name='us-east-1')\n\n"
                    "def converse(q):\n    return client.converse(modelId=MODEL, messages=[q])\n"}, True),
    # the language model used by a batch script, with no app in front of it
    ({"scripts/summarise.py": CHAT_MODEL + "\nprint(get_chat_model().invoke('hi'))\n"}, False),
    # an app reading objects from S3: no model behind it
    ({"app/api/main.py": "from fastapi import FastAPI\nimport boto3\n\napp = FastAPI()\ns3 = boto3.client('s3')\n\n"
                         "@app.get('/doc')\ndef doc(key: str):\n    return s3.get_object(Bucket='b', Key=key)\n"}, False),
])
def test_an_app_answering_with_a_language_model_serves_it(make_repo, files, expected):
    ev = serving(run_detector(DeploymentDetector, make_repo(files)))
    assert any(e.counts for e in ev) is expected


FEATURE_STORE_SCORING = '''import mlflow
from pyspark.sql.functions import lit


def predict_batch(spark, model_uri, input_table, output_table):
    from databricks.feature_store import FeatureStoreClient

    fs = FeatureStoreClient()
    scored = fs.score_batch(model_uri, spark.table(input_table))
    scored.withColumn("scored_at", lit("now")).write.format("delta").mode("overwrite").saveAsTable(output_table)
'''
SCORING_BUNDLE = """bundle:
  name: demo
resources:
  jobs:
    batch_inference_job:
      tasks:
        - task_key: batch_inference
          notebook_task:
            notebook_path: batch_inference/notebooks/BatchInference.py
"""
BATCH_NOTEBOOK = ("# Databricks notebook source\nimport sys\nsys.path.append('..')\n"
                  "from predict import predict_batch\n\npredict_batch(spark, 'models:/m@Champion', 'in', 'out')\n")


@pytest.mark.parametrize("files, runs", [
    # the bundle's job runs a notebook that imports the scoring module from the folder above
    ({"databricks.yml": SCORING_BUNDLE, "batch_inference/notebooks/BatchInference.py": BATCH_NOTEBOOK}, True),
    # trap: the same module, run by nothing
    ({}, False),
    # trap: the job runs a notebook that does not import it
    ({"databricks.yml": SCORING_BUNDLE, "batch_inference/notebooks/BatchInference.py": "print('hello')\n"}, False),
])
def test_feature_store_batch_scoring_run_by_a_job_through_its_notebook(make_repo, files, runs):
    ev = serving(run_detector(DeploymentDetector, make_repo({"batch_inference/predict.py": FEATURE_STORE_SCORING,
                                                             **files})))
    assert len(ev) == 1 and ev[0].counts is runs
    assert "databricks.feature_store.FeatureStoreClient.score_batch" in ev[0].summary


ARTIFACTS_BUNDLE = """resources:
  registered_models:
    model:
      name: ${var.model_name}
      catalog_name: ml
  experiments:
    experiment:
      name: /Shared/demo-experiment
"""


@pytest.mark.parametrize("text, iac", [
    # a bundle resource file declaring a registered model and an experiment: infrastructure
    (ARTIFACTS_BUNDLE, True),
    ("targets:\n  prod:\n    resources:\n      model_serving_endpoints:\n        api:\n          name: demo\n", True),
    # trap: a bundle of jobs alone declares workloads, read as the orchestrator's jobs
    ("resources:\n  jobs:\n    train:\n      tasks:\n        - task_key: t\n"
     "          notebook_task:\n            notebook_path: ../train.py\n", False),
    # trap: the words in some other YAML's values
    ("notes:\n  - registered_models: later\n", False),
])
def test_databricks_bundle_declaring_infrastructure_is_iac(make_repo, text, iac):
    ev = run_detector(DeploymentDetector, make_repo({"databricks.yml": "bundle:\n  name: demo\n", "resources/ml.yml": text}))
    assert ("deploy.iac" in present(ev)) is iac


ZENML_STEPS = '''import pandas as pd
from zenml.steps import step


@step
def fetch_model():
    return load_latest()


@step
def get_predictions(model, cleaned_data: pd.DataFrame):
    return model.predict(cleaned_data)


@step
def store_predictions(predictions):
    upload(predictions)
'''
INFERENCE_PIPELINE = '''from zenml.pipelines import pipeline


@pipeline
def {name}(load_data, fetch_model, get_predictions, store_predictions):
    data = load_data()
    model = fetch_model()
    store_predictions(get_predictions(model, data))
'''


@pytest.mark.parametrize("name, steps, serves", [
    # the pipeline chaining load, predict and store scores in batch
    ("batch_inference_pipeline", ZENML_STEPS, True),
    # traps: a training pipeline whose evaluation predicts, and an inference pipeline whose steps predict nothing
    ("training_pipeline", ZENML_STEPS, False),
    ("batch_inference_pipeline", ZENML_STEPS.replace("model.predict(cleaned_data)", "cleaned_data"), False),
])
def test_batch_scoring_spread_over_pipeline_steps(make_repo, name, steps, serves):
    files = {"steps/steps.py": steps, "pipelines/inference.py": INFERENCE_PIPELINE.format(name=name)}
    ev = serving(run_detector(DeploymentDetector, make_repo(files)))
    assert any(e.counts for e in ev) is serves


def test_a_training_pipeline_named_for_what_it_predicts_is_no_scoring(make_repo):
    # ``price_prediction_pipeline`` trains (and evaluates with predict): it scores no new data
    pipeline = INFERENCE_PIPELINE.format(name="price_prediction_pipeline").replace(
        "fetch_model, get_predictions", "train_model, get_predictions").replace("fetch_model()", "train_model(data)")
    files = {"steps/steps.py": ZENML_STEPS, "pipelines/training.py": pipeline}
    assert not any(e.counts for e in serving(run_detector(DeploymentDetector, make_repo(files))))
    files["pipelines/training.py"] = pipeline.replace("train_model", "fetch_model").replace("fetch_model(data)", "fetch_model()")
    assert any(e.counts for e in serving(run_detector(DeploymentDetector, make_repo(files))))


@pytest.mark.parametrize("files, runs", [
    # a test importing a module the project package has
    ({"app/steps/__init__.py": "", "app/steps/ingest.py": "def load():\n    return [1]\n",
      "app/tests/test_ingest.py": "from steps.ingest import load\n\ndef test_load():\n    assert load() == [1]\n"}, True),
    # a test folder named like the package it tests (tests/data/ for data/): the package is found at the root
    ({"data/__init__.py": "", "data/sprites.py": "def load():\n    return [1]\n", "tests/data/__init__.py": "",
      "tests/data/test_sprites.py": "from data.sprites import load\n\ndef test_load():\n    assert load() == [1]\n"}, True),
    # a template's leftover, importing a module the package no longer has
    ({"app/steps/__init__.py": "", "app/steps/train.py": "x = 1\n",
      "app/tests/test_ingest.py": "from steps.ingest_data import IngestData\n\n"
                                  "def test_shape():\n    assert IngestData().get_data().shape == (10, 2)\n"}, False),
])
def test_tests_that_cannot_import_the_project_do_not_count(make_repo, files, runs):
    ev = run_detector(DeploymentDetector, make_repo(files))
    assert ("deploy.tests" in present(ev)) is runs
    if not runs:
        assert "deploy.tests" in declared(ev)


SERVERLESS_INFERENCE = """\
import json

import joblib

twin = joblib.load("model.joblib")


def {name}({params}):
    body = json.loads(event["body"])
    return {{"statusCode": 200, "body": json.dumps({{"prediction": twin.predict([body["x"]]).tolist()}})}}
"""


@pytest.mark.parametrize("name, params, serves", [
    ("lambda_handler", "event, context", True),
    # a function of the module nothing invokes answers nobody
    ("score", "event", False),
])
def test_a_serverless_function_answering_with_the_model_it_loads_serves(make_repo, name, params, serves):
    ev = serving(run_detector(DeploymentDetector, make_repo({"lambda/app.py": SERVERLESS_INFERENCE.format(
        name=name, params=params)})))
    assert any(e.counts and "serverless function" in e.summary for e in ev) is serves


def test_a_serverless_function_that_never_touches_the_model_serves_nothing(make_repo):
    source = SERVERLESS_INFERENCE.format(name="lambda_handler", params="event, context").replace(
        'twin.predict([body["x"]]).tolist()', 'body["x"]')
    ev = serving(run_detector(DeploymentDetector, make_repo({"lambda/app.py": source})))
    assert not any(e.counts and "serverless function" in e.summary for e in ev)


COG = ('build:\n  gpu: true\n  python_version: "3.8"\n  python_packages:\n    - "torch==1.7.1"\n'
       '    - "torchvision==0.8.2"\n    - "numpy==1.21.1"\n    - "opencv-python==4.5.3.56"\npredict: "cog_predict.py:Predictor"\n')


@pytest.mark.parametrize("files, container, pinned", [
    # the image Cog builds, and the Python packages it pins
    ({"cog.yaml": COG, "cog_predict.py": "from cog import BasePredictor\n\nclass Predictor(BasePredictor):\n    pass\n"},
     True, True),
    ({"cog.yaml": COG.replace("==1.7.1", "").replace("==0.8.2", "").replace("==1.21.1", "")}, True, False),
    # a cog.yaml without a build section describes no image
    ({"cog.yaml": 'predict: "cog_predict.py:Predictor"\n'}, False, False),
])
def test_a_cog_config_builds_an_image_from_its_packages(make_repo, files, container, pinned):
    root = make_repo(files)
    assert ("deploy.container" in present(run_detector(DeploymentDetector, root))) is container
    assert ("tracking.reproducible_env" in present(run_detector(TrackingDetector, root))) is pinned


ARGO_APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: serving-prod
spec:
  project: default
  source:
    repoURL: https://github.com/acme/mlops-infra
    targetRevision: main
    path: charts/serving
  destination:
    server: https://kubernetes.default.svc
    namespace: serving
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
"""


@pytest.mark.parametrize("files, delivers", [
    # a GitOps controller rolls out what is merged: Argo CD with automated sync, Flux
    ({"apps/serving.yaml": ARGO_APP}, True),
    ({"apps/set.yaml": "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: core\nspec:\n"
                       "  generators: []\n  template:\n    metadata:\n      name: '{{app}}'\n    spec:\n"
                       "      syncPolicy:\n        automated: {}\n"}, True),
    ({"clusters/prod/serving.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
                                    "  name: serving\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: ./charts/serving\n"},
     True),
    # synced by hand, switched off, or suspended
    ({"apps/serving.yaml": ARGO_APP.replace("  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n", "")},
     False),
    ({"apps/serving.yaml": ARGO_APP.replace("      prune: true\n", "      enabled: false\n")}, False),
    # an unfilled template: the repository it would sync is a placeholder
    ({"apps/serving.yaml": ARGO_APP.replace("acme/mlops-infra", "your-org/auto-mlops")}, False),
    ({"clusters/prod/serving.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n"
                                    "  name: serving\nspec:\n  suspend: true\n  interval: 5m\n"}, False),
])
def test_gitops_controllers_deliver_continuously(make_repo, files, delivers):
    assert ("deploy.cd" in present(run_detector(DeploymentDetector, make_repo(files)))) is delivers


def test_a_service_inference_engine_in_the_app_folder_serves_its_model(make_repo):
    # the engine is chosen by name at run time (``__import__``): no import statement leads to it
    files = {
        "inference_api/src/main/start.py": "from fastapi import FastAPI\nfrom service import Service\n\n"
                                           "app = FastAPI()\nsvc = Service()\n\n@app.post('/detect')\n"
                                           "def detect(img: bytes):\n    return svc.infer(img)\n",
        "inference_api/src/main/service.py": "class Service:\n    def infer(self, img):\n"
                                             "        engine = getattr(__import__(self.name), 'Engine')(self.path)\n"
                                             "        return engine.infer(img)\n",
        "inference_api/src/main/inference/gluon_engine.py": "import mxnet as mx\nfrom gluoncv.model_zoo.segbase import *\n\n"
                                                            "class Engine:\n    def load(self):\n"
                                                            "        self.net = get_segmentation_model(model='fcn')\n"
                                                            "        self.net.load_parameters('model_best.params', ctx=[mx.cpu()])\n",
    }
    ev = serving(run_detector(DeploymentDetector, make_repo(files)))
    assert any(e.counts for e in ev)


@pytest.mark.parametrize("path, method, serves", [
    ("/api/2.0/serving-endpoints", "post", True),              # an endpoint created by the project
    ("/api/2.0/mlflow/endpoints-v2/enable", "post", True),     # legacy model serving switched on
    ("/api/2.0/serving-endpoints", "get", False),              # trap: an endpoint only looked up
    ("/api/2.0/jobs/run-now", "post", False),                  # trap: another API
])
def test_a_serving_endpoint_set_up_over_the_databricks_rest_api(make_repo, path, method, serves):
    source = (f"import requests\n\n\ndef enable(host, token, model):\n"
              f"    r = requests.{method}(f'{{host}}{path}', json={{'registered_model_name': model}},\n"
              "                      headers={'Authorization': 'Bearer ' + token})\n    r.raise_for_status()\n")
    ev = run_detector(DeploymentDetector, make_repo({"pkg/tasks/deploy.py": source}))
    assert ("deploy.serving" in present(ev)) is serves
