"""CI steps followed into what they start: shell scripts, Python modules (classified by their
calls when their name says nothing), remote jobs (Anyscale, Ray, Azure ML, Databricks) and
submitted pipelines, with the chain recorded in the evidence; and the traps on the way."""
from __future__ import annotations

import pytest
from conftest import present, run_detector, with_sources

from detectors.ci import CIDetector


def workflow(*commands: str, on: str = "push") -> str:
    steps = "".join(f"      - run: {c}\n" for c in commands)
    return f"on: {on}\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n{steps}"


#: modules the remote jobs below run
SOURCES = ("src/train.py", "src/evaluate.py", "src/train_model.py")


def scan(make_repo, files: dict[str, str]) -> list:
    return run_detector(CIDetector, with_sources(make_repo, SOURCES, files))


def evidence(ev: list, signal: str):
    return next(e for e in ev if e.signal == signal and e.counts)


def places(e) -> list[tuple[str, int | None]]:
    return [(loc.path, loc.line) for loc in e.locations]


SKLEARN_FIT = "from sklearn.linear_model import LogisticRegression\n\nmodel = LogisticRegression()\nmodel.fit(X, y)\n"


def test_ci_script_module_chain_is_recorded(make_repo):
    files = {
        ".github/workflows/ci.yml": workflow("pip install -r requirements.txt", "bash deploy/run.sh"),
        "deploy/run.sh": "#!/bin/bash\nset -e\nexport DATA=data.csv\npython jobs/main.py --epochs 3\n",
        "jobs/main.py": "import os\n" + SKLEARN_FIT,
    }
    ev = evidence(scan(make_repo, files), "deploy.ci_training")
    assert places(ev)[:3] == [(".github/workflows/ci.yml", 8), ("deploy/run.sh", 4), ("jobs/main.py", 5)]
    assert ".github/workflows/ci.yml:8 -> deploy/run.sh:4 -> jobs/main.py:5" in ev.summary


@pytest.mark.parametrize("module, signal", [
    ("import pytest\n\nraise SystemExit(pytest.main(['-q', 'tests']))\n", "deploy.ci_tests"),
    (SKLEARN_FIT, "deploy.ci_training"),
    ("import xgboost as xgb\n\nbooster = xgb.train(params, dtrain)\n", "deploy.ci_training"),
    ("from google.cloud import aiplatform\n\nendpoint = aiplatform.Endpoint.list()[0]\nendpoint.deploy(model=m)\n", "deploy.cd"),
    ("import sagemaker\n\nmodel = sagemaker.model.Model(image_uri=i)\nmodel.deploy(initial_instance_count=1)\n", "deploy.cd"),
])
def test_module_named_for_nothing_is_classified_by_its_calls(make_repo, module, signal):
    files = {".github/workflows/ci.yml": workflow("python tools/run.py"), "tools/run.py": module}
    assert signal in present(scan(make_repo, files))


@pytest.mark.parametrize("module, signal", [
    ('"""Calls model.fit(X, y) once the data is ready."""\n# model.fit(X, y)\nprint("ok")\n', "deploy.ci_training"),
    ("import numpy as np\n\ncurve = Curve()\ncurve.fit(points)\n", "deploy.ci_training"),
    ("import boto3\n\nclient = boto3.client('s3')\nclient.upload_file('a', 'b', 'c')\n", "deploy.cd"),
    ("def run():\n    import pytest  # only named\n    return 0\n", "deploy.ci_tests"),
])
def test_module_call_traps(make_repo, module, signal):
    files = {".github/workflows/ci.yml": workflow("python tools/run.py"), "tools/run.py": module}
    assert signal not in present(scan(make_repo, files))


OPS = ("from google.cloud import aiplatform\n\n"
       "def compile_pipeline(name):\n    return name + '.json'\n\n"
       "def push_endpoint(model):\n    endpoint = aiplatform.Endpoint.list()[0]\n    endpoint.deploy(model=model)\n")


def test_argument_naming_a_function_narrows_the_calls_read(make_repo):
    compile_only = {".github/workflows/ci.yml": workflow("python ops/ops.py --mode compile-pipeline"), "ops/ops.py": OPS}
    assert "deploy.cd" not in present(scan(make_repo, compile_only))
    pushing = {".github/workflows/ci.yml": workflow("python ops/ops.py --mode push-endpoint"), "ops/ops.py": OPS}
    assert "deploy.cd" in present(scan(make_repo, pushing))


def test_named_module_with_its_module_hop(make_repo):
    files = {".github/workflows/ci.yml": workflow("python -m src.train --fast"), "src/train.py": SKLEARN_FIT}
    ev = evidence(scan(make_repo, files), "deploy.ci_training")
    assert ("src/train.py", 4) in places(ev)


ANYSCALE_JOB = "name: workloads\nruntime_env:\n  working_dir: .\nentrypoint: bash deploy/jobs/workloads.sh\nmax_retries: 0\n"
WORKLOADS = ("#!/bin/bash\nexport PYTHONPATH=$PYTHONPATH:$PWD\nmkdir results\n"
             "pytest tests/code --verbose > results/code.txt\n"
             "python src/train.py --epochs 10\n"
             "python src/evaluate.py --run-id $RUN_ID\n")


def test_anyscale_job_submit_is_followed_to_the_entrypoint_script(make_repo):
    files = {
        ".github/workflows/workloads.yml": workflow("anyscale jobs submit deploy/jobs/workloads.yaml --wait", on="pull_request"),
        "deploy/jobs/workloads.yaml": ANYSCALE_JOB,
        "deploy/jobs/workloads.sh": WORKLOADS,
    }
    ev = scan(make_repo, files)
    assert {"deploy.ci_tests", "deploy.ci_training"} <= present(ev)
    training = evidence(ev, "deploy.ci_training")
    assert places(training)[:3] == [(".github/workflows/workloads.yml", 7), ("deploy/jobs/workloads.yaml", 4),
                                    ("deploy/jobs/workloads.sh", 5)]


@pytest.mark.parametrize("command", [
    "anyscale job submit --name nightly -- python src/train.py",
    "ray job submit --address http://head:8265 --working-dir . -- python src/train.py --epochs 1",
])
def test_inline_remote_command_is_followed(make_repo, command):
    assert "deploy.ci_training" in present(scan(make_repo, {".github/workflows/ci.yml": workflow(command)}))


def test_anyscale_job_whose_entrypoint_only_echoes_is_nothing(make_repo):
    files = {".github/workflows/ci.yml": workflow("anyscale job submit job.yaml"),
             "job.yaml": "name: j\nentrypoint: echo python train.py\n"}
    assert "deploy.ci_training" not in present(scan(make_repo, files))


AML_TRAIN = "$schema: x\ntype: command\ncode: ../src\ncommand: >-\n  python train.py --data ${{inputs.data}}\ncompute: azureml:cpu\n"
AML_PREP = "type: command\ncode: ../src\ncommand: python prepare_data.py --out ${{outputs.data}}\n"
AML_PIPELINE = ("type: pipeline\njobs:\n  prep:\n    type: command\n    code: ../src\n    command: python prepare_data.py\n"
                "  fit:\n    component: ./components/fit.yml\n")
AML_COMPONENT = "type: command\ncode: ../../src\ncommand: python fit_model.py --lr 0.1\n"


def test_azure_ml_job_is_read_for_what_it_runs(make_repo):
    files = {".github/workflows/ci.yml": workflow("az ml job create -f jobs/train.yml --stream"),
             "jobs/train.yml": AML_TRAIN, "src/train.py": "print('train')\n"}
    ev = evidence(scan(make_repo, files), "deploy.ci_training")
    assert ("jobs/train.yml", 4) in places(ev)


def test_azure_ml_job_that_prepares_data_is_not_training(make_repo):
    files = {".github/workflows/ci.yml": workflow("az ml job create --file jobs/prep.yml"), "jobs/prep.yml": AML_PREP}
    ev = present(scan(make_repo, files))
    assert "deploy.ci_training" not in ev and "data.pipeline_automated" in ev


def test_azure_ml_pipeline_job_components_are_followed(make_repo):
    files = {".github/workflows/ci.yml": workflow("az ml job create -f pipelines/pipeline.yml"),
             "pipelines/pipeline.yml": AML_PIPELINE, "pipelines/components/fit.yml": AML_COMPONENT}
    assert {"deploy.ci_training", "data.pipeline_automated"} <= present(scan(make_repo, files))


def test_azure_ml_job_file_missing_still_reads_as_training(make_repo):
    assert "deploy.ci_training" in present(scan(make_repo, {".github/workflows/ci.yml": workflow("az ml job create -f jobs/x.yml")}))


BUNDLE = "bundle:\n  name: demo\ninclude:\n  - resources/*.yml\ntargets:\n  dev:\n    default: true\n"
RESOURCES = """resources:
  jobs:
    training_job:
      name: training
      tasks:
        - task_key: train
          spark_python_task:
            python_file: ../src/train_model.py
    etl_job:
      name: etl
      tasks:
        - task_key: ingest
          notebook_task:
            notebook_path: ../notebooks/ingest
"""


@pytest.mark.parametrize("command, trains", [
    ("databricks bundle run -t dev training_job", True),
    ("databricks bundle run etl_job", False),
    ("databricks jobs run-now --job-id 123", True),
])
def test_databricks_bundle_run_follows_the_bundle_tasks(make_repo, command, trains):
    files = {".github/workflows/ci.yml": workflow(command), "databricks.yml": BUNDLE, "resources/jobs.yml": RESOURCES,
             "notebooks/ingest.py": "print(1)\n"}
    assert ("deploy.ci_training" in present(scan(make_repo, files))) is trains


def test_databricks_bundle_deploy_is_cd_when_the_bundle_defines_jobs(make_repo):
    files = {".github/workflows/cd.yml": workflow("databricks bundle deploy -t prod"), "databricks.yml": BUNDLE,
             "resources/jobs.yml": RESOURCES}
    ev = scan(make_repo, files)
    assert "deploy.cd" in present(ev)
    assert "deploy.cd" not in present(scan(make_repo, {".github/workflows/cd.yml": workflow("databricks bundle deploy")}))


VERTEX_SUBMIT = ("from google.cloud import aiplatform\nfrom pipelines import definition\n\n"
                 "job = aiplatform.PipelineJob(display_name='p', template_path='p.json')\njob.submit()\n")
KFP_SUBMIT = ("import kfp\nfrom pipelines import definition\n\n"
              "kfp.Client(host=h).create_run_from_pipeline_func(definition.pipeline, arguments={})\n")
TRAINS = "from kfp import dsl\n\n@dsl.component\ndef train_model(data: str):\n    pass\n"
NO_TRAINING = "from kfp import dsl\n\n@dsl.component\ndef ingest(data: str):\n    pass\n\n@dsl.component\ndef validate(data: str):\n    pass\n"


@pytest.mark.parametrize("submit", [VERTEX_SUBMIT, KFP_SUBMIT])
@pytest.mark.parametrize("definition, trains", [(TRAINS, True), (NO_TRAINING, False)])
def test_submitted_pipeline_counts_as_training_when_it_trains(make_repo, submit, definition, trains):
    files = {".github/workflows/ci.yml": workflow("python pipelines/submit.py"), "pipelines/submit.py": submit,
             "pipelines/__init__.py": "", "pipelines/definition.py": definition}
    ev = present(scan(make_repo, files))
    assert "data.pipeline_automated" in ev
    assert ("deploy.ci_training" in ev) is trains


SAGEMAKER_RUN = ("import json\nfrom pipelines._utils import get_pipeline_driver\n\n"
                 "pipeline = get_pipeline_driver(args.module_name, args.kwargs)\n"
                 "pipeline.upsert(role_arn=args.role_arn)\nexecution = pipeline.start()\n")
SAGEMAKER_DEF = ("import sagemaker\nfrom sagemaker.estimator import Estimator\nfrom sagemaker.workflow.steps import TrainingStep\n\n"
                 "est = Estimator(image_uri=i, role=r)\nstep = TrainingStep(name='Train', estimator=est)\n")


def test_sagemaker_pipeline_upsert_and_start_with_the_module_named_on_the_command_line(make_repo):
    files = {".github/workflows/ci.yml": workflow("python pipelines/run_pipeline.py --module-name pipelines.abalone.pipeline"),
             "pipelines/run_pipeline.py": SAGEMAKER_RUN, "pipelines/_utils.py": "import importlib\n",
             "pipelines/abalone/pipeline.py": SAGEMAKER_DEF}
    assert {"deploy.ci_training", "data.pipeline_automated"} <= present(scan(make_repo, files))


def test_upsert_and_start_without_sagemaker_are_not_a_pipeline(make_repo):
    module = "import redis\n\nstore = redis.Redis()\nstore.upsert(key, value)\nworker.start()\n"
    files = {".github/workflows/ci.yml": workflow("python tools/sync.py"), "tools/sync.py": module}
    ev = present(scan(make_repo, files))
    assert "data.pipeline_automated" not in ev and "deploy.ci_training" not in ev


E2E_TEST = ("from tfx.orchestration.local.local_dag_runner import LocalDagRunner\n"
            "from src.pipelines import training_pipeline\n\n"
            "def test_e2e_pipeline():\n    runner = LocalDagRunner()\n"
            "    runner.run(training_pipeline.create_pipeline(root='x'))\n")


def test_pytest_on_an_end_to_end_pipeline_test_is_training(make_repo):
    files = {".github/workflows/ci.yml": workflow("pytest src/tests/pipeline_tests.py::test_e2e_pipeline -s"),
             "src/tests/pipeline_tests.py": E2E_TEST, "src/pipelines/training_pipeline.py": "from tfx.v1.components import Trainer\n"}
    ev = present(scan(make_repo, files))
    assert {"deploy.ci_tests", "deploy.ci_training"} <= ev
    # a test run is not the automated data pipeline
    assert "data.pipeline_automated" not in ev


def test_pytest_on_a_unit_test_that_fits_a_model_is_not_training(make_repo):
    files = {".github/workflows/ci.yml": workflow("pytest tests/test_model.py"),
             "tests/test_model.py": "from sklearn.linear_model import Ridge\n\ndef test_fit():\n    Ridge().fit(X, y)\n"}
    ev = present(scan(make_repo, files))
    assert "deploy.ci_tests" in ev and "deploy.ci_training" not in ev


@pytest.mark.parametrize("command, signal", [
    ("anyscale service rollout --service-config-file deploy/services/serve.yaml", "deploy.cd"),
    ("az ml online-deployment update -f deploy/blue.yml", "deploy.cd"),
    ("gcloud ai endpoints deploy-model 123 --model=456 --region=us-central1", "deploy.cd"),
])
def test_managed_platform_deploy_verbs(make_repo, command, signal):
    assert signal in present(scan(make_repo, {".github/workflows/cd.yml": workflow(command)}))
    # the same verb on a pull request only, or by hand only, is not continuous deployment
    assert signal not in present(scan(make_repo, {".github/workflows/cd.yml": workflow(command, on="pull_request")}))
    assert signal not in present(scan(make_repo, {".github/workflows/cd.yml": workflow(command, on="workflow_dispatch")}))


@pytest.mark.parametrize("command, files", [
    ("echo bash deploy/train.sh", {"deploy/train.sh": "python train.py\n"}),
    ("bash deploy/train.sh || true", {"deploy/train.sh": "python train.py\n"}),
    ("bash deploy/missing.sh", {}),
    ("bash deploy/run.sh", {"deploy/run.sh": "# python train.py\necho 'training is done elsewhere'\n"}),
])
def test_script_traps(make_repo, command, files):
    files = {**files, ".github/workflows/ci.yml": workflow(command)}
    assert "deploy.ci_training" not in present(scan(make_repo, files))


def test_scripts_calling_each_other_end(make_repo):
    files = {".github/workflows/ci.yml": workflow("bash a.sh"),
             "a.sh": "bash b.sh\npytest -q\n", "b.sh": "bash a.sh\n./a.sh\n"}
    ev = evidence(scan(make_repo, files), "deploy.ci_tests")
    assert ("a.sh", 2) in places(ev)


def test_depth_is_capped(make_repo):
    files = {".github/workflows/ci.yml": workflow("bash s0.sh")}
    for i in range(9):
        files[f"s{i}.sh"] = f"bash s{i + 1}.sh\n"
    files["s9.sh"] = "pytest -q\n"
    assert "deploy.ci_tests" not in present(scan(make_repo, files))
    files["s2.sh"] = "pytest -q\n"
    assert "deploy.ci_tests" in present(scan(make_repo, files))


def test_script_called_through_its_own_folder(make_repo):
    files = {".github/workflows/ci.yml": workflow("./ci/run.sh"),
             "ci/run.sh": 'DIR="$(cd "$(dirname "$0")" && pwd)"\nbash "$DIR/steps.sh"\n', "ci/steps.sh": "pytest -q\n"}
    assert "deploy.ci_tests" in present(scan(make_repo, files))


def test_script_with_a_python_shebang_is_read_as_python(make_repo):
    files = {".github/workflows/cd.yml": workflow("./tools/check"),
             "tools/check": '#!/usr/bin/env python3\nimport pytest\nkubectl = "kubectl apply -f k8s/"\npytest.main(["-q"])\n'}
    ev = present(scan(make_repo, files))
    # its lines are Python, not shell commands: the string is no deploy, the call runs the tests
    assert "deploy.ci_tests" in ev and "deploy.cd" not in ev
    files["tools/check"] = "#!/usr/bin/env bash\nset -euo pipefail\nkubectl apply -f k8s/\n"
    assert "deploy.cd" in present(scan(make_repo, files))


def test_working_directory_of_a_hidden_folder(make_repo):
    workflow_text = ("on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    defaults:\n      run:\n"
                     "        working-directory: .ci\n    steps:\n      - run: bash run.sh\n")
    files = {".github/workflows/ci.yml": workflow_text, ".ci/run.sh": "pytest -q\n"}
    assert "deploy.ci_tests" in present(scan(make_repo, files))


@pytest.mark.parametrize("command, files", [
    ("python pipelines/compile_pipeline.py", {}),
    ("python -m pipelines.training.pipeline --compile", {}),
    ("make compile-pipeline", {"Makefile": "compile-pipeline:\n\tpython -m pipelines.training.pipeline\n"}),
])
def test_compiling_a_pipeline_does_not_run_it(make_repo, command, files):
    files = {**files, ".github/workflows/ci.yml": workflow(command)}
    assert "data.pipeline_automated" not in present(scan(make_repo, files))
    run = {**files, ".github/workflows/ci.yml": workflow("python -m pipelines.training.pipeline")}
    assert "data.pipeline_automated" in present(scan(make_repo, run))
