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


AML_SWEEP_PIPELINE = ("type: pipeline\njobs:\n  prep:\n    type: command\n    code: ../src\n    command: python prepare_data.py\n"
                      "  sweep_step:\n    type: sweep\n    sampling_algorithm: random\n    trial: ./components/trial.yml\n")


def test_azure_ml_pipeline_sweep_step_trial_file_is_followed(make_repo):
    files = {".github/workflows/ci.yml": workflow("az ml job create -f pipelines/pipeline.yml"),
             "pipelines/pipeline.yml": AML_SWEEP_PIPELINE, "pipelines/components/trial.yml": AML_COMPONENT}
    ev = evidence(scan(make_repo, files), "deploy.ci_training")
    assert ("pipelines/components/trial.yml", 3) in places(ev)


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



DBX_DEPLOYMENT = ("environments:\n  prod:\n    jobs:\n      - name: PROD-train\n        tasks:\n"
                  "          - task_key: train\n            spark_python_task: {python_file: 'file://pkg/pipelines/train_job.py'}\n")


def test_dbx_deploy_is_cd_and_dbx_launch_runs_the_jobs_tasks(make_repo):
    files = {".github/workflows/release.yml": workflow("dbx deploy --deployment-file conf/deployment.yml --jobs=PROD-train"),
             "conf/deployment.yml": DBX_DEPLOYMENT, "pkg/pipelines/train_job.py": SKLEARN_FIT}
    assert "deploy.cd" in present(scan(make_repo, files))
    launch = {**files, ".github/workflows/release.yml": workflow("dbx launch PROD-train --trace")}
    assert "deploy.ci_training" in present(scan(make_repo, launch))
    # without a deployment file there is nothing to deploy
    assert "deploy.cd" not in present(scan(make_repo, {".github/workflows/release.yml": workflow("dbx deploy")}))


DBX_TESTS = ("environments:\n  default:\n    workflows:\n      - name: UnitTests\n        tasks:\n"
             "          - task_key: unittests\n            spark_python_task:\n"
             "              python_file: 'file://test/entrypoint.py'\n"
             "              parameters: ['file:fuse://test/test_utils.py', '--junitxml=/dbfs/results.xml']\n")


def test_dbx_execute_runs_the_workflows_tasks_on_a_cluster(make_repo):
    files = {"conf/unit_tests.yml": DBX_TESTS,
             "test/entrypoint.py": "import sys\n\nimport pytest\n\nif __name__ == '__main__':\n    pytest.main(sys.argv[1:])\n",
             "test/test_utils.py": "def test_one():\n    assert 1 + 1 == 2\n",
             ".github/workflows/ci.yml": workflow("python -m poetry run dbx execute UnitTests "
                                                 "--deployment-file conf/unit_tests.yml --cluster-name=ml")}
    assert "deploy.ci_tests" in present(scan(make_repo, files))
    # configuring dbx runs nothing
    configure = {**files, ".github/workflows/ci.yml": workflow("python -m poetry run dbx configure")}
    assert "deploy.ci_tests" not in present(scan(make_repo, configure))

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


def test_a_followed_script_that_pushd_into_the_pipeline_folder_runs_the_module_beside_it(make_repo):
    # a CodeBuild-style script: pushd into the folder, run the driver naming a bare module, popd
    script = ("#!/bin/bash\nset -e\npushd ml_pipeline\npip install -r requirements.txt\n"
              "python run_pipeline.py --module-name pipeline --role-arn $ROLE\npopd\npython report.py\n")
    files = {".github/workflows/ci.yml": workflow("bash scripts/run_pipeline.sh"), "scripts/run_pipeline.sh": script,
             "ml_pipeline/run_pipeline.py": SAGEMAKER_RUN.replace("pipelines._utils", "_utils"),
             "ml_pipeline/_utils.py": "import importlib\n", "ml_pipeline/pipeline.py": SAGEMAKER_DEF}
    ev = scan(make_repo, files)
    assert ("ml_pipeline/run_pipeline.py", 6) in places(evidence(ev, "deploy.ci_training"))  # pipeline.start()


def test_a_bare_word_names_a_module_only_after_a_module_option(make_repo):
    files = {".github/workflows/ci.yml": workflow("cd ml_pipeline && python run_pipeline.py --profile pipeline"),
             "ml_pipeline/run_pipeline.py": SAGEMAKER_RUN.replace("pipelines._utils", "_utils"),
             "ml_pipeline/_utils.py": "import importlib\n", "ml_pipeline/pipeline.py": SAGEMAKER_DEF}
    assert "deploy.ci_training" not in present(scan(make_repo, files))


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


#: an end-to-end test of a Vertex pipeline in a src layout: the test calls the project's runner,
#: which calls the trigger helper, which submits the job
E2E_FILES = {
    "Makefile": "e2e-tests:\n\t@echo running && \\\n\tcd pipelines && \\\n\tpoetry run pytest tests/test_e2e.py --pipeline=$(pipeline)\n",
    "pipelines/tests/test_e2e.py": ("from pipelines.training import pipeline as training_pipeline\n"
                                    "from tests.e2e.runner import pipeline_e2e_test\n\n\n"
                                    "def test_pipeline_run():\n    pipeline_e2e_test(training_pipeline)\n"),
    "pipelines/tests/e2e/runner.py": ("from kfp import compiler\nfrom pipelines.utils.trigger import trigger_pipeline\n\n\n"
                                      "def pipeline_e2e_test(pipeline):\n    compiler.Compiler().compile(pipeline, 'p.yaml')\n"
                                      "    trigger_pipeline('p.yaml')\n"),
    "pipelines/src/pipelines/utils/trigger.py": ("from google.cloud import aiplatform\n\n\n"
                                                 "def trigger_pipeline(template):\n"
                                                 "    aiplatform.PipelineJob(display_name='e2e', template_path=template).run()\n"),
    "pipelines/src/pipelines/training.py": ("from kfp import dsl\n\n\n@dsl.pipeline(name='train')\ndef pipeline():\n"
                                            "    train_step = train_op()\n"),
}


@pytest.mark.parametrize("drop, trains", [
    (None, True),
    # the runner compiles the pipeline but nothing submits it
    ("pipelines/src/pipelines/utils/trigger.py", False),
])
def test_an_end_to_end_test_submitting_through_helpers_trains(make_repo, drop, trains):
    files = {k: v for k, v in E2E_FILES.items() if k != drop}
    files[".github/workflows/ci.yml"] = workflow("make e2e-tests pipeline=training")
    ev = present(scan(make_repo, files))
    assert "deploy.ci_tests" in ev and ("deploy.ci_training" in ev) is trains


@pytest.mark.parametrize("folder, trains", [
    ("tests", True),
    # a folder named through variables: a CI or Make variable stands for any one folder
    ("tests/${PIPELINE_TEMPLATE}/$(pipeline)", True),
    ("tests/$TEMPLATE", True),
    # a folder holding only unit tests
    ("tests/unit", False),
])
def test_pytest_given_a_folder_of_end_to_end_tests_trains(make_repo, folder, trains):
    files = {k.replace("pipelines/tests/test_e2e.py", "pipelines/tests/xgb/training/test_e2e.py"): v
             for k, v in E2E_FILES.items() if k != "Makefile"}
    files["Makefile"] = f"e2e-tests:\n\tcd pipelines && \\\n\tpipenv run pytest --log-cli-level=INFO {folder}\n"
    files["pipelines/tests/unit/test_split.py"] = "def test_split():\n    assert split([1, 2]) == ([1], [2])\n"
    files[".github/workflows/ci.yml"] = workflow("make e2e-tests pipeline=training")
    ev = present(scan(make_repo, files))
    assert "deploy.ci_tests" in ev and ("deploy.ci_training" in ev) is trains


CLI_APP = (
    "import typer\nfrom sklearn.linear_model import LogisticRegression\n\n"
    "app = typer.Typer()\ndata_app = typer.Typer()\ntrain_app = typer.Typer()\n"
    "app.add_typer(data_app, name='data')\napp.add_typer(train_app, name='train')\n\n\n"
    "@data_app.command('download')\ndef data_download():\n    fetch_archive()\n\n\n"
    "@train_app.command(name='run')\ndef train_run():\n    LogisticRegression().fit(X, y)\n"
)


@pytest.mark.parametrize("command, trains", [
    ("uv run mlservice train run", True),
    # another sub-command of the same CLI: the module's training command is not what runs
    ("uv run mlservice data download", False),
    # a CLI whose sub-command cannot be told: the module as a whole
    ("uv run mlservice", True),
])
def test_a_cli_sub_command_is_read_alone(make_repo, command, trains):
    files = {".github/workflows/ci.yml": workflow(command),
             "pyproject.toml": "[project]\nname = 'mlservice'\n\n[project.scripts]\nmlservice = 'mlservice.cli:app'\n",
             "src/mlservice/__init__.py": "", "src/mlservice/cli.py": CLI_APP}
    ev = present(scan(make_repo, files))
    assert ("deploy.ci_training" in ev) is trains


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


@pytest.mark.parametrize("command, tests", [
    # a deployed model called with a sample request: a smoke test of the endpoint
    ("az ml online-endpoint invoke --name $E --deployment blue --request-file endpoints/online/sample.json", True),
    ("gcloud ai endpoints predict $ENDPOINT --region=us-central1 --json-request=sample.json", True),
    ("aws sagemaker-runtime invoke-endpoint --endpoint-name churn --body file://sample.json out.json", True),
    # listing or describing an endpoint checks nothing
    ("az ml online-endpoint show --name $E", False),
])
def test_an_endpoint_invoked_with_a_sample_request_is_a_smoke_test(make_repo, command, tests):
    assert ("deploy.ci_tests" in present(scan(make_repo, {".github/workflows/e2e.yml": workflow(command)}))) is tests


@pytest.mark.parametrize("command, files", [
    ("echo bash deploy/train.sh", {"deploy/train.sh": "python train.py\n"}),
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


# -- inputs handed to local actions and reusable workflows -----------------------------------------
SHELL_ACTION = ("name: execute_shell_code\ninputs:\n  script_parameter:\n    description: code to run\n"
                "    default: python --version\nruns:\n  using: composite\n  steps:\n"
                "    - name: Execute code\n      shell: bash\n      run: |\n        ${{inputs.script_parameter}}\n")
CALLER = ("name: ci\non:\n  pull_request:\n    branches: [main]\n  workflow_call:\n    inputs:\n"
          "      model_type:\n        type: string\n        default: taxi\njobs:\n  run-ci:\n"
          "    uses: ./.github/workflows/platform_ci.yml\n    with:\n"
          "      model_type: ${{ inputs.model_type || 'taxi' }}\n")
PLATFORM = ("name: platform\non:\n  workflow_call:\n    inputs:\n      model_type:\n        type: string\n"
            "        required: true\njobs:\n  execute:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - name: Run pipeline\n"
            "        uses: ./.github/actions/execute_shell_code\n        with:\n"
            "          script_parameter: python -m mlops.${{ inputs.model_type }}.train --wait\n")


def test_inputs_are_handed_through_a_reusable_workflow_and_a_local_action(make_repo):
    files = {".github/workflows/ci.yml": CALLER, ".github/workflows/platform_ci.yml": PLATFORM,
             ".github/actions/execute_shell_code/action.yml": SHELL_ACTION,
             "mlops/__init__.py": "", "mlops/taxi/__init__.py": "", "mlops/taxi/train.py": SKLEARN_FIT}
    ev = evidence(scan(make_repo, files), "deploy.ci_training")
    assert "python -m mlops.taxi.train" in ev.summary
    assert ("mlops/taxi/train.py", 4) in places(ev)


def test_action_input_default_is_what_runs_when_the_caller_gives_none(make_repo):
    action = SHELL_ACTION.replace("default: python --version", "default: python jobs/train.py")
    workflow_text = ("on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n"
                     "      - uses: ./.github/actions/execute_shell_code\n")
    files = {".github/workflows/ci.yml": workflow_text, ".github/actions/execute_shell_code/action.yml": action,
             "jobs/train.py": SKLEARN_FIT}
    assert "deploy.ci_training" in present(scan(make_repo, files))


def test_an_input_nobody_gives_is_left_unread(make_repo):
    # no caller, no default: the command stays an expression and runs nothing the scan can follow
    platform = PLATFORM.replace("python -m mlops.${{ inputs.model_type }}.train", "${{ inputs.command }}")
    files = {".github/workflows/platform_ci.yml": platform,
             ".github/actions/execute_shell_code/action.yml": SHELL_ACTION.replace(
                 "    default: python --version\n", "")}
    assert "deploy.ci_training" not in present(scan(make_repo, files))


AZURE_HELPER = ("from azure.ai.ml import MLClient\nfrom azure.identity import DefaultAzureCredential\n\n"
                "def prepare_and_execute_pipeline(job, subscription, group, workspace):\n"
                "    ml_client = MLClient(DefaultAzureCredential(), subscription, group, workspace)\n"
                "    return ml_client.jobs.create_or_update(job)\n")
AZURE_PIPELINE = ("from azure.ai.ml import load_component\nfrom azure.ai.ml.dsl import pipeline\n"
                  "from mlops.common.pipeline_utils import prepare_and_execute_pipeline\n\n"
                  "components = [load_component(source=f'components/{{c}}.yml') for c in ('prep', 'fit', 'score')]\n\n"
                  "@pipeline()\ndef taxi_regression(raw):\n    prepared = components[0](raw_data=raw)\n"
                  "    {step} = components[1]({kw}=prepared.outputs.data)\n"
                  "    components[2](model=prepared.outputs.data)\n\n"
                  "prepare_and_execute_pipeline(client, taxi_regression(raw))\n")


@pytest.mark.parametrize("step, kw, trains", [
    ("train_with_sample_data", "training_data", True),
    ("scored", "data", False),
])
def test_pipeline_submitted_through_a_helper_with_a_training_step(make_repo, step, kw, trains):
    files = {".github/workflows/ci.yml": workflow("python -m mlops.taxi.run_pipeline"),
             "mlops/__init__.py": "", "mlops/common/__init__.py": "",
             "mlops/common/pipeline_utils.py": AZURE_HELPER,
             "mlops/taxi/run_pipeline.py": AZURE_PIPELINE.format(step=step, kw=kw)}
    ev = present(scan(make_repo, files))
    assert "data.pipeline_automated" in ev
    assert ("deploy.ci_training" in ev) is trains


TFX_RUNNER = ("from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner\n"
              "from tfx.orchestration.local.local_dag_runner import LocalDagRunner\n\n"
              "def compile_training_pipeline(path):\n"
              "    runner = kubeflow_v2_dag_runner.KubeflowV2DagRunner(config=None, output_filename=path)\n"
              "    return runner.run(create_pipeline())\n\n"
              "def run_locally():\n    LocalDagRunner().run(create_pipeline())\n")


@pytest.mark.parametrize("entry, runs", [
    # a Kubeflow runner writes the pipeline's definition: nothing runs
    ("from src import runner\n\nrunner.compile_training_pipeline('p.json')\n", False),
    ("from src import runner\n\nrunner.run_locally()\n", True),
    # the helper holds a run, but the entry point never calls it
    ("from src import runner\n\nprint(runner.__name__)\n", False),
])
def test_pipeline_runs_through_a_helper_only_when_it_is_called(make_repo, entry, runs):
    files = {".github/workflows/ci.yml": workflow("python ops/utils.py"), "ops/utils.py": entry,
             "src/__init__.py": "", "src/runner.py": TFX_RUNNER}
    assert ("data.pipeline_automated" in present(scan(make_repo, files))) is runs


ZENML_BUILD = ("from zenml.client import Client\nfrom pipelines.training_pipeline import training_pipeline\n\n"
               "client = Client()\nsnapshot = training_pipeline.with_options(config_path='configs/staging.yml')"
               ".create_snapshot(name='stg')\n{run}")


@pytest.mark.parametrize("run, trains", [
    ("client.trigger_pipeline(snapshot_name_or_id=snapshot.id)\n", True),
    # a snapshot built for someone to run later runs nothing
    ("print(snapshot.id)\n", False),
])
def test_zenml_snapshot_triggered_from_ci_trains(make_repo, run, trains):
    files = {".github/workflows/ci.yml": workflow("python build.py --environment=staging", on="pull_request"),
             "build.py": ZENML_BUILD.format(run=run), "pipelines/__init__.py": "",
             "pipelines/training_pipeline.py": "from zenml import pipeline\n\n@pipeline\ndef training_pipeline():\n    pass\n"}
    assert ("deploy.ci_training" in present(scan(make_repo, files))) is trains


TRAINING_IMAGE = ("FROM python:3.10-slim AS trainer\nWORKDIR /app\nCOPY src/ /app/src/\n"
                  "RUN pip install -r requirements.txt && \\\n    python src/training/run_training.py --epochs 1\n"
                  "FROM python:3.10-slim\nCOPY --from=trainer /app/model /app/model\nCMD [\"uvicorn\", \"api:app\"]\n")
BUILD_PUSH = ("on:\n  push:\n    branches: [master]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
              "      - uses: docker/build-push-action@v5\n        with:\n          context: ner-model/\n"
              "          file: ner-model/Dockerfile\n          push: true\n")


@pytest.mark.parametrize("ci", [
    {".github/workflows/image.yml": BUILD_PUSH},
    {".github/workflows/image.yml": workflow("docker build -t ner -f ner-model/Dockerfile ner-model")},
])
def test_an_image_built_in_ci_runs_its_build_steps_there(make_repo, ci):
    files = {**ci, "ner-model/Dockerfile": TRAINING_IMAGE,
             "ner-model/src/training/run_training.py": "import torch\n\ndef train():\n    pass\n"}
    ev = evidence(scan(make_repo, files), "deploy.ci_training")
    assert ("ner-model/Dockerfile", 4) in places(ev)


@pytest.mark.parametrize("dockerfile", [
    # training when a container starts is not training in CI
    "FROM python:3.10\nCOPY . /app\nCMD [\"python\", \"src/training/run_training.py\"]\n",
    # a build that only installs
    "FROM python:3.10\nRUN pip install -r requirements.txt\n# RUN python src/training/run_training.py\n",
])
def test_image_builds_that_train_nothing_in_ci(make_repo, dockerfile):
    files = {".github/workflows/image.yml": BUILD_PUSH, "ner-model/Dockerfile": dockerfile,
             "ner-model/src/training/run_training.py": "import torch\n\ndef train():\n    pass\n"}
    assert "deploy.ci_training" not in present(scan(make_repo, files))


SAGEMAKER_UPSERT = ("from sagemaker.workflow.pipeline import Pipeline\n\n"
                    "pipeline = Pipeline(name='train', steps=[train_step])\npipeline.upsert(role_arn=ROLE)\n")


def test_a_cd_in_the_step_moves_where_commands_are_looked_up(make_repo):
    ev = scan(make_repo, {".github/workflows/ci.yml": workflow("cd pipelines/churn && python run.py"),
                          "pipelines/churn/run.py": SKLEARN_FIT})
    assert ("pipelines/churn/run.py", 4) in places(evidence(ev, "deploy.ci_training"))


@pytest.mark.parametrize("script, trains", [
    # a script named for training that only upserts the pipeline definition publishes it
    (SAGEMAKER_UPSERT, False),
    (SAGEMAKER_UPSERT + "pipeline.start()\n", True),
])
def test_a_pipeline_published_but_never_started_is_not_ci_training(make_repo, script, trains):
    steps = "|\n          cd pipelines\n          python train_pipeline.py"  # later lines run in the folder
    ev = scan(make_repo, {".github/workflows/ci.yml": workflow(steps),
                          "pipelines/train_pipeline.py": script})
    assert ("deploy.ci_training" in present(ev)) is trains


STALE_BUILD = """on: {push: {branches: [main]}}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v5
        with:
          context: ./services/crawler
          file: ./services/crawler/Dockerfile
          push: true
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: aws lambda update-function-code --function-name crawler --image-uri $IMAGE
"""


@pytest.mark.parametrize("files, delivers", [
    ({"services/crawler/Dockerfile": "FROM python:3.12\nCOPY . .\n", "services/crawler/app.py": "x = 1\n"}, True),
    # the folder the image is built from moved away: the build fails, the deploy after it never runs
    ({"src/crawler/Dockerfile": "FROM python:3.12\nCOPY . .\n"}, False),
])
def test_a_deploy_after_a_build_from_a_missing_folder_never_runs(make_repo, files, delivers):
    ev = scan(make_repo, {".github/workflows/crawler.yml": STALE_BUILD, **files})
    assert ("deploy.cd" in present(ev)) is delivers


def test_a_docker_build_from_a_folder_named_by_a_ci_expression_is_not_missing(make_repo):
    # the workflow's env names the folder: its value is unknown here, so the build is not called broken
    text = workflow("docker build ${{ env.PROJECT_PATH }}/. --file ${{ env.PROJECT_PATH }}/Dockerfile -t app",
                    "kubectl apply -f k8s/")
    assert "deploy.cd" in present(scan(make_repo, {".github/workflows/cd.yml": text}))


def test_a_docker_build_of_a_missing_dockerfile_stops_its_own_job(make_repo):
    text = workflow("docker build -t api -f docker/api.Dockerfile .", "kubectl apply -f k8s/")
    assert "deploy.cd" not in present(scan(make_repo, {".github/workflows/cd.yml": text}))
    ok = scan(make_repo, {".github/workflows/cd.yml": text, "docker/api.Dockerfile": "FROM python:3.12\n"})
    assert "deploy.cd" in present(ok)


@pytest.mark.parametrize("files, delivers", [
    ({"deploy/k8s/api.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: api}\n"}, True),
    # the folder the step moves to is gone: the step stops at the cd (CI shells run with -e)
    ({}, False),
])
def test_a_cd_into_a_missing_folder_stops_the_step(make_repo, files, delivers):
    steps = "|\n          cd deploy/k8s\n          kubectl apply -f ."
    ev = scan(make_repo, {".github/workflows/cd.yml": workflow(steps), **files})
    assert ("deploy.cd" in present(ev)) is delivers


GITOPS_DISPATCH = """on: {push: {branches: [main]}}
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/build-push-action@v5
        with:
          push: true
          tags: registry.example.com/api:${{ github.sha }}
      - uses: peter-evans/repository-dispatch@v3
        with:
          repository: acme/gitops
          event-type: EVENT
          client-payload: |
            {"image": "registry.example.com/api", "version": "${{ github.sha }}"}
"""


@pytest.mark.parametrize("text, delivers", [
    # the new image handed to the repository that rolls it out (Argo CD, Flux)
    (GITOPS_DISPATCH.replace("EVENT", "environment-update"), True),
    (workflow("kustomize edit set image api=registry.example.com/api:$GITHUB_SHA", "git commit -am bump",
              "git push"), True),
    # a dispatch that starts retraining elsewhere delivers nothing
    (GITOPS_DISPATCH.replace("EVENT", "retrain").replace("acme/gitops", "acme/training").replace(
        '{"image": "registry.example.com/api", "version": "${{ github.sha }}"}', '{"reason": "drift"}'), False),
])
def test_gitops_hand_offs_are_continuous_delivery(make_repo, text, delivers):
    ev = scan(make_repo, {".github/workflows/release.yml": text, "Dockerfile": "FROM python:3.12\n"})
    assert ("deploy.cd" in present(ev)) is delivers


LLM_EVALS = """from mlflow.genai import evaluate
from mlflow.genai.scorers import Correctness


def predict(question):
    return agent.invoke(question)


def main():
    return evaluate(data=dataset, scorers=[Correctness()], predict_fn=predict)
"""


@pytest.mark.parametrize("module, evaluates", [
    (LLM_EVALS, True),
    ("import mlflow\n\nresult = mlflow.evaluate(model_uri, data, targets='label', model_type='classifier')\n", True),
    # the results of an evaluation read back, none run
    ("import mlflow\n\nruns = mlflow.search_runs(experiment_names=['evals'])\nprint(runs)\n", False),
])
def test_an_evaluation_run_in_ci_evaluates_a_model(make_repo, module, evaluates):
    ev = scan(make_repo, {"scripts/inner_loop.py": module, ".github/workflows/evals.yml": workflow(
        "docker run --rm app:1 /bin/sh -c \"uv run --locked python scripts/inner_loop.py --run-name x\"",
        on="pull_request")})
    assert ("deploy.ci_training" in present(ev)) is evaluates


def test_workflow_level_working_directory_finds_the_bundle(make_repo):
    # ``defaults.run.working-directory`` of the whole workflow, written ``./project/``
    text = ("on:\n  push:\n    branches: [main]\ndefaults:\n  run:\n    working-directory: ./project/\n"
            "jobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: databricks bundle deploy -t prod\n")
    files = {".github/workflows/cd.yml": text, "project/databricks.yml": BUNDLE, "project/resources/jobs.yml": RESOURCES}
    assert "deploy.cd" in present(scan(make_repo, files))
    # a job's own working directory wins over the workflow's
    other = text.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    defaults:\n      run:\n"
                                                           "        working-directory: elsewhere\n")
    assert "deploy.cd" not in present(scan(make_repo, {**files, ".github/workflows/cd.yml": other, "elsewhere/x": "1\n"}))


ALIAS_HELPER = ("from mlflow.tracking import MlflowClient\n\n\ndef deploy(model_uri, env):\n"
                "    client = MlflowClient()\n    _, name, version = model_uri.split('/')\n"
                "    client.set_registered_model_alias(name=name, alias='Champion', version=version)\n\n\n"
                "def unused():\n    pass\n")
MODEL_JOB = """resources:
  jobs:
    model_training_job:
      tasks:
        - task_key: Train
          notebook_task:
            notebook_path: ../training/notebooks/Train.py
        - task_key: ModelDeployment
          depends_on:
            - task_key: Train
          notebook_task:
            notebook_path: ../deployment/notebooks/ModelDeployment.py
"""


@pytest.mark.parametrize("notebook, promotes", [
    # a job's notebook calling a helper of the folder above, which moves the serving alias
    ("import sys\nsys.path.append('..')\nfrom deploy import deploy\n\ndeploy(model_uri, 'prod')\n", True),
    # trap: importing the helper module without calling the function that moves the alias
    ("import sys\nsys.path.append('..')\nfrom deploy import unused\n\nunused()\n", False),
])
def test_a_job_step_promoting_through_a_helper_after_training(make_repo, notebook, promotes):
    files = {"databricks.yml": BUNDLE, "resources/jobs.yml": MODEL_JOB,
             "training/notebooks/Train.py": SKLEARN_FIT, "deployment/deploy.py": ALIAS_HELPER,
             "deployment/notebooks/ModelDeployment.py": notebook}
    ev = scan(make_repo, files)
    assert ("tracking.registry_promotion" in present(ev)) is promotes
    if promotes:
        assert ("resources/jobs.yml", 8) in places(evidence(ev, "tracking.registry_promotion"))  # the task, not the job


def test_camel_case_notebook_names_say_what_they_do(make_repo):
    # ``GenerateAndWriteFeatures`` prepares data; a CI run of the job is an automated data pipeline
    jobs = RESOURCES.replace("../notebooks/ingest", "../notebooks/GenerateAndWriteFeatures.py")
    files = {".github/workflows/ci.yml": workflow("databricks bundle run etl_job", on="pull_request"),
             "databricks.yml": BUNDLE, "resources/jobs.yml": jobs, "notebooks/GenerateAndWriteFeatures.py": "print(1)\n"}
    assert "data.pipeline_automated" in present(scan(make_repo, files))
    files["resources/jobs.yml"] = RESOURCES.replace("../notebooks/ingest", "../notebooks/ShowSummary.py")
    files["notebooks/ShowSummary.py"] = "print(1)\n"
    assert "data.pipeline_automated" not in present(scan(make_repo, files))


TRAINER = "FROM python:3.11-slim\nCOPY . /app\nCMD [\"python\", \"-m\", \"src.train\"]\n"


@pytest.mark.parametrize("build, trains", [
    ("docker build -t trainer:latest -f docker/Dockerfile .", True),
    # trap: the image run is not the one this file builds
    ("docker build -t api:latest -f docker/Dockerfile .", False),
])
def test_docker_run_of_an_image_built_in_ci_runs_its_command(make_repo, build, trains):
    run = "docker run --rm -e MLFLOW_TRACKING_URI=http://mlflow:5000 --network net trainer:latest"
    files = {".github/workflows/train.yml": workflow(build, run, on="workflow_dispatch"), "docker/Dockerfile": TRAINER}
    assert ("deploy.ci_training" in present(scan(make_repo, files))) is trains


def test_image_command_naming_a_file_by_its_path_in_the_image(make_repo):
    # ``COPY . .`` under ``WORKDIR /app``: /app/entrypoint.sh is the context's entrypoint.sh
    dockerfile = "FROM python:3.11\nWORKDIR /app\nCOPY . .\nCMD [\"/bin/bash\", \"/app/entrypoint.sh\"]\n"
    ci = ("stages: [build, exp]\nbuild:\n  stage: build\n  script:\n    - docker build -t $IMAGE:$CI_PIPELINE_IID .\n"
          "exp:\n  stage: exp\n  script:\n    - docker run -d --gpus all --name exp $IMAGE:$CI_PIPELINE_IID\n")
    files = {".gitlab-ci.yml": ci, "Dockerfile": dockerfile, "entrypoint.sh": "#!/bin/bash\ndvc pull\ndvc repro -f\n"}
    ev = evidence(scan(make_repo, files), "deploy.ci_training")
    assert ("entrypoint.sh", 3) in places(ev)
    files["entrypoint.sh"] = "#!/bin/bash\necho ready\n"
    assert "deploy.ci_training" not in present(scan(make_repo, files))


AML_PIPELINE_SPEC = ("$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\ntype: pipeline\n"
                     "jobs:\n  train:\n    type: command\n    code: ../../../src\n    command: python train.py\n")


@pytest.mark.parametrize("spec, trains", [
    # a shared workflow of another repository handed this repository's Azure ML pipeline spec
    (AML_PIPELINE_SPEC, True),
    # trap: the file handed on is no job spec (an environment definition)
    ("$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\nname: train-env\n", False),
])
def test_shared_workflow_handed_an_azure_ml_job_spec_runs_it(make_repo, spec, trains):
    text = ("on:\n  push:\n    branches: [main]\njobs:\n  run-pipeline:\n"
            "    uses: Azure/mlops-templates/.github/workflows/run-pipeline.yml@main\n"
            "    with:\n      parameters-file: mlops/azureml/train/pipeline.yml\n      job-name: train\n")
    files = {".github/workflows/train.yml": text, "mlops/azureml/train/pipeline.yml": spec,
             "src/train.py": SKLEARN_FIT}
    assert ("deploy.ci_training" in present(scan(make_repo, files))) is trains


JOB_JSON = """{
  "name": "train-model",
  "new_cluster": {"spark_version": "10.4.x-cpu-ml-scala2.12", "num_workers": 0},
  "notebook_task": {"notebook_path": "/Repos/QA/demo/notebooks/%s"}
}"""


@pytest.mark.parametrize("notebook, trains", [("train", True), ("report", False)])
def test_a_jobs_api_definition_ci_creates_runs_its_tasks(make_repo, notebook, trains):
    files = {".github/workflows/ci.yml": workflow("JOB_ID=$(databricks jobs create --json-file jobs/job.json | jq .job_id)"),
             "jobs/job.json": JOB_JSON % notebook,
             "notebooks/train.py": "# Databricks notebook source\nfrom sklearn.linear_model import LogisticRegression\n"
                                   "LogisticRegression().fit(X, y)\n",
             "notebooks/report.py": "# Databricks notebook source\nprint('report')\n"}
    assert ("deploy.ci_training" in present(scan(make_repo, files))) is trains
