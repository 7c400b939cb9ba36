"""CI found by content, not by file name: Cloud Build configs and Azure pipelines anywhere, Azure
templates followed wherever they live, CodeBuild buildspecs (YAML, CDK, Terraform, CloudFormation),
CodePipeline,
Databricks bundles and dbx workflows, Jenkins shared-library steps, local composite actions;
and the YAML files that merely have ``steps:`` but are something else."""
from __future__ import annotations

import textwrap

import pytest
from conftest import declared, present, run_detector, with_sources

from detectors.ci import CIDetector


#: the scripts and modules the CI files below run
SOURCES = ("src/tests/model_tests.py", "deploy/rollout.py", "src/train.py", "pipelines/train.py", "mlops/jobs/monitoring.py")


def scan(make_repo, files: dict[str, str], git: bool = False) -> list:
    return run_detector(CIDetector, with_sources(make_repo, SOURCES, files, git=git))


def systems(ev: list) -> dict[str, list[str]]:
    return {e.attributes["system"]: e.attributes["files"] for e in ev if e.signal == "deploy.ci_present" and e.counts}


CLOUD_BUILD = """# CI/CD steps for Cloud Build
steps:
- name: 'gcr.io/cloud-builders/git'
  args: ['clone', '--depth', '1', '$_REPO_URL']
  id: 'Clone Repository'
- name: '$_CICD_IMAGE_URI'
  entrypoint: 'pytest'
  args: ['src/tests/model_tests.py', '-s']
  dir: 'repo'
  id: 'Unit Test Model'
  waitFor: ['Clone Repository']
- name: 'europe-west1-docker.pkg.dev/p/tools/cli'
  entrypoint: 'python'
  args: ['deploy/rollout.py', '--endpoint', '$_ENDPOINT']
  id: 'Deploy Model'
images: ['$_IMAGE_URI']
"""


@pytest.mark.parametrize("path, git", [("build/pipeline-deployment.yaml", True), ("ci/model-deployment.yaml", False)])
def test_cloud_build_config_found_by_shape_anywhere(make_repo, path, git):
    ev = scan(make_repo, {path: CLOUD_BUILD}, git=git)
    assert systems(ev) == {"Google Cloud Build": [path]}
    assert {"deploy.ci_tests", "deploy.cd"} <= present(ev)


STEPS_BUT_NOT_CI = {
    "k8s/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: train\nsteps:\n  - name: gcr.io/p/train\n    args: ['pytest']\n",
    "workflows/argo.yaml": ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates:\n    - name: main\n"
                            "      steps:\n        - - name: test\n            template: pytest\n"),
    "actions/lint/action.yml": ("name: lint\ndescription: lint\nruns:\n  using: composite\n  steps:\n"
                                "    - run: ruff check .\n      shell: bash\n"),
    "tour.yaml": "title: Getting started\nsteps:\n  - name: Install\n    text: Run pytest\n  - name: Train\n    text: python train.py\n",
    ".drone.yml": "kind: pipeline\ntype: docker\nsteps:\n  - name: test\n    image: python:3.11\n    commands:\n      - pytest\n",
    "docs/examples/cloud-build.yaml": CLOUD_BUILD,
    "examples/gcp/deploy.yaml": CLOUD_BUILD,
    "notes.yaml": "steps:\n  - name: python:3.11\n    args: ['-m', 'pytest']\n",
}


@pytest.mark.parametrize("path", sorted(STEPS_BUT_NOT_CI))
def test_yaml_with_steps_that_is_something_else_is_not_ci(make_repo, path):
    ev = scan(make_repo, {path: STEPS_BUT_NOT_CI[path]})
    assert not present(ev) and not declared(ev)


AZURE_CALLER = """trigger:
  - main
pr: none
pool:
  vmImage: ubuntu-latest
stages:
  - stage: Quality
    jobs:
      - job: checks
        steps:
          - template: ../ci/templates/quality.yml
            parameters:
              python: '3.11'
  - template: /ci/templates/deploy-stage.yml
"""
QUALITY = "parameters:\n  - name: python\nsteps:\n  - script: pip install flake8 pytest\n  - script: |\n      flake8 src\n  - template: tests.yml\n"
TESTS = "steps:\n  - script: python -m pytest tests\n    displayName: Unit tests\n"
DEPLOY_STAGE = "stages:\n  - stage: Deploy\n    jobs:\n      - job: ship\n        steps:\n          - script: kubectl apply -f k8s/\n"


def test_azure_templates_are_followed_wherever_they_live(make_repo):
    files = {".pipelines/main.yml": AZURE_CALLER, "ci/templates/quality.yml": QUALITY, "ci/templates/tests.yml": TESTS,
             "ci/templates/deploy-stage.yml": DEPLOY_STAGE}
    ev = scan(make_repo, files)
    assert {"deploy.ci_tests", "deploy.cd"} <= present(ev)
    tests = next(e for e in ev if e.signal == "deploy.ci_tests")
    assert ("ci/templates/quality.yml", 6) in [(loc.path, loc.line) for loc in tests.locations]
    assert systems(ev) == {"Azure Pipelines": [".pipelines/main.yml"]}


def test_azure_template_runs_with_its_callers_triggers(make_repo):
    caller = "trigger: none\npr:\n  - main\nsteps:\n  - template: deploy.yml\n"
    files = {".pipelines/pr.yml": caller, ".pipelines/deploy.yml": "steps:\n  - script: helm upgrade api chart/\n"}
    ev = scan(make_repo, files)
    # the template alone would look push-triggered; it only runs on pull requests here
    assert "deploy.cd" not in present(ev)
    assert systems(ev) == {"Azure Pipelines": [".pipelines/pr.yml"]}


SUBMIT_TEMPLATE = """parameters:
  - name: amlJobExecutionScript
    type: string
  - name: wait
    type: boolean
    default: false
steps:
  - task: AzureCLI@2
    inputs:
      scriptType: bash
      scriptLocation: inlineScript
      inlineScript: |
        run_id=$(az ml job create --file ${{ parameters.amlJobExecutionScript }} --query name -o tsv)
"""
AML_PIPELINE = """$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
jobs:
  prep_job:
    type: command
    code: ./../../
    command: python -m src.prep.prep --raw_data ${{inputs.raw_data}}
"""


@pytest.mark.parametrize("passed, runs", [
    ("./mlops/taxi/pipeline.yml", True),
    # the parameter is never passed: the job submitted is unknown (training, not a data pipeline)
    (None, False),
])
def test_azure_template_parameters_are_filled_in_with_what_the_caller_passes(make_repo, passed, runs):
    given = f"\n    parameters:\n      amlJobExecutionScript: {passed}" if passed else ""
    caller = f"trigger:\n  branches:\n    include: [main]\nsteps:\n  - template: templates/submit.yml{given}\n"
    files = {"azure-pipelines.yml": caller, "templates/submit.yml": SUBMIT_TEMPLATE, "mlops/taxi/pipeline.yml": AML_PIPELINE,
             "src/prep/prep.py": "import pandas as pd\n"}
    ev = scan(make_repo, files)
    assert ("data.pipeline_automated" in present(ev)) is runs


def test_azure_paths_under_the_sources_directory_macro_are_the_repositorys(make_repo):
    # ``$(Build.SourcesDirectory)`` is the checkout: the script it names is followed
    caller = ("trigger:\n  branches:\n    include: [master]\nsteps:\n  - bash: |\n"
              "      python3 $(Build.SourcesDirectory)/ops/run.py\n")
    files = {"azure-pipelines.yml": caller,
             "ops/run.py": "from azureml.pipeline.core import Pipeline\n\nPipeline(ws, steps=[prep]).submit('exp')\n"}
    assert "data.pipeline_automated" in present(scan(make_repo, files))


@pytest.mark.parametrize("files", [
    {"azure-pipelines.yml": "steps:\n  - template: a.yml\n", "a.yml": "steps:\n  - template: b.yml\n",
     "b.yml": "steps:\n  - template: a.yml\n  - script: pytest\n"},
    {"azure-pipelines.yml": "steps:\n  - template: steps/test.yml@templates\n  - template: missing.yml\n"},
    {"azure-pipelines.yml": "steps:\n  - template: broken.yml\n", "broken.yml": "steps: [\n  - {"},
    {"azure-pipelines.yml": "extends:\n  template: ${{ variables.t }}\n"},
])
def test_azure_template_cycles_and_dead_ends_never_crash(make_repo, files):
    ev = scan(make_repo, files)
    assert "deploy.ci_present" in present(ev)
    assert ("deploy.ci_tests" in present(ev)) is ("b.yml" in files)


def test_azure_extends_template(make_repo):
    files = {"azure-pipelines.yml": "trigger: [main]\nextends:\n  template: templates/pipeline.yml\n",
             "templates/pipeline.yml": "jobs:\n  - job: test\n    steps:\n      - bash: pytest -q\n"}
    assert "deploy.ci_tests" in present(scan(make_repo, files))


def test_azure_pipeline_found_by_shape(make_repo):
    pipeline = ("trigger:\n  branches:\n    include: [main]\npool:\n  vmImage: ubuntu-latest\nsteps:\n"
                "  - task: TerraformTaskV4@4\n    inputs:\n      command: apply\n  - script: pytest\n")
    ev = scan(make_repo, {"environment_setup/iac-pipeline.yml": pipeline})
    assert systems(ev) == {"Azure Pipelines": ["environment_setup/iac-pipeline.yml"]}


def test_bare_steps_file_no_pipeline_names_is_not_a_pipeline(make_repo):
    assert not present(scan(make_repo, {"ci/steps.yml": "steps:\n  - script: pytest\n"}))


def test_local_composite_action_is_read_into_the_job(make_repo):
    workflow = "on: pull_request\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/check\n"
    action = "name: check\nruns:\n  using: composite\n  steps:\n    - run: python -m pytest -q\n      shell: bash\n"
    ev = scan(make_repo, {".github/workflows/ci.yml": workflow, ".github/actions/check/action.yml": action})
    assert "deploy.ci_tests" in present(ev)
    assert systems(ev) == {"GitHub Actions": [".github/workflows/ci.yml"]}


BUILDSPEC = """version: 0.2
phases:
  install:
    commands:
      - pip install -r requirements.txt
  build:
    commands:
      - pytest -q
      - python src/train.py
  post_build:
    on-failure: CONTINUE
    commands:
      - bandit -r src
"""


@pytest.mark.parametrize("path", ["buildspec.yml", "infra/codebuild/ci.yaml"])
def test_codebuild_buildspec_by_name_or_shape(make_repo, path):
    ev = scan(make_repo, {path: BUILDSPEC})
    assert systems(ev) == {"AWS CodeBuild": [path]}
    assert {"deploy.ci_tests", "deploy.ci_training"} <= present(ev)
    # a phase that may fail without failing the build does not count
    assert "governance.security_scanning" not in present(ev)


CDK_STACK = """from aws_cdk import Stack, pipelines, aws_codebuild as codebuild


class MlPipelineStack(Stack):
    def __init__(self, scope, id):
        super().__init__(scope, id)
        spec = codebuild.BuildSpec.from_object({
            "version": "0.2",
            "phases": {"build": {"commands": ["pip install .", "python -m pytest tests"]}},
        })
        synth = pipelines.ShellStep("Synth", commands=["pip install -r requirements.txt", "python pipelines/train.py", "cdk synth"])
        pipeline = pipelines.CodePipeline(self, "Pipeline", synth=synth)
        pipeline.add_stage(ServingStage(self, "Prod"))
"""


def test_cdk_codebuild_and_pipeline(make_repo):
    ev = scan(make_repo, {"infra/pipeline_stack.py": CDK_STACK})
    assert {"deploy.ci_present", "deploy.ci_tests", "deploy.ci_training", "deploy.cd"} <= present(ev)
    tests = next(e for e in ev if e.signal == "deploy.ci_tests")
    assert ("infra/pipeline_stack.py", 9) in [(loc.path, loc.line) for loc in tests.locations]


def test_cdk_pipeline_actions_built_by_helpers(make_repo):
    # a pipeline assembled from helper modules that only import the actions module
    ev = scan(make_repo, {
        "lib/actions/approval_actions.py": "from aws_cdk import (\n    aws_codepipeline_actions as codepipeline_actions,\n)\n\n"
                                           "def approval_action(name, topic):\n"
                                           "    return codepipeline_actions.ManualApprovalAction(action_name=name, notification_topic=topic)\n",
        "lib/actions/deploy_actions.py": "from aws_cdk import aws_codepipeline_actions as codepipeline_actions\n\n"
                                         "def deploy_stack(name, template):\n"
                                         "    return codepipeline_actions.CloudFormationCreateUpdateStackAction(\n"
                                         "        action_name=name, template_path=template, admin_permissions=False)\n"})
    assert {"deploy.ci_present", "deploy.cd", "governance.approval_gates"} <= present(ev)


@pytest.mark.parametrize("code", [
    '"""Builds with codebuild.BuildSpec.from_object({"phases": {"build": {"commands": ["pytest"]}}})."""\nimport aws_cdk\n',
    "from my_ci import ShellStep\n\nShellStep('x', commands=['pytest'])\n# aws_cdk\n",
    "from aws_cdk import aws_s3 as s3\n\nbucket = s3.Bucket(None, 'b')\n",
])
def test_cdk_traps(make_repo, code):
    assert not present(scan(make_repo, {"infra/stack.py": code}))


CDK_STACK_TS = """import { Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as pipelines from 'aws-cdk-lib/pipelines';

export class MlPipelineStack extends Stack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const spec = codebuild.BuildSpec.fromObject({
      version: '0.2',
      phases: { build: { commands: ['pip install .', 'python -m pytest tests'] } },
    });
    const synth = new pipelines.ShellStep('Synth', {
      commands: ['npm ci', "python pipelines/train.py", `npx cdk synth`],
    });
    const pipeline = new pipelines.CodePipeline(this, 'Pipeline', { synth });
    pipeline.addStage(new ServingStage(this, 'Prod'));
  }
}
"""


def test_typescript_cdk_codebuild_and_pipeline(make_repo):
    ev = scan(make_repo, {"infra/lib/pipeline-stack.ts": CDK_STACK_TS, "infra/cdk.json": '{"app": "npx ts-node bin/app.ts"}'})
    assert {"deploy.ci_present", "deploy.ci_tests", "deploy.ci_training", "deploy.cd"} <= present(ev)
    cd = next(e for e in ev if e.signal == "deploy.cd")
    assert ("infra/lib/pipeline-stack.ts", 16) in [(loc.path, loc.line) for loc in cd.locations]


@pytest.mark.parametrize("files", [
    # a manual approval before the stage: a person delivers
    {"infra/pipeline.ts": CDK_STACK_TS.replace("pipeline.addStage(new ServingStage(this, 'Prod'));",
                                               "pipeline.addStage(new ServingStage(this, 'Prod'), "
                                               "{ pre: [new pipelines.ManualApprovalStep('Approve')] });")
                                      .replace("const synth", "new pipelines.ManualApprovalStep('Gate');\n    const synth")},
    # commented out, or a stack importing no CI module of the CDK
    {"infra/pipeline.ts": CDK_STACK_TS.replace("pipeline.addStage", "// pipeline.addStage")},
    {"infra/stack.ts": "import * as s3 from 'aws-cdk-lib/aws-s3';\nnew s3.Bucket(this, 'b');\nx.addStage(new Y());\n"},
    {"node_modules/aws-cdk-lib/pipelines/index.js": CDK_STACK_TS},
])
def test_typescript_cdk_traps(make_repo, files):
    assert "deploy.cd" not in present(scan(make_repo, files))


#: a buildspec written inline in an infrastructure definition: tests, then training
INLINE_BUILDSPEC = ("version: 0.2\nphases:\n  build:\n    commands:\n      - python -m pytest\n"
                    "      - python train_model.py --epochs 3\n")
TERRAFORM = '''resource "aws_codebuild_project" "train" {
  name = "train"
  source {
    type      = "CODEPIPELINE"
    buildspec = <<-EOT
''' + textwrap.indent(INLINE_BUILDSPEC, " " * 6) + '''    EOT
  }
}

resource "aws_codepipeline" "ml" {
  name = "ml"
  stage {
    name = "Deploy"
    action {
      name     = "Deploy"
      category = "Deploy"
      owner    = "AWS"
      provider = "ECS"
      configuration = {
        ClusterName = "c"
      }
    }
  }
}
'''


def test_terraform_codebuild_and_codepipeline(make_repo):
    ev = scan(make_repo, {"infra/ci.tf": TERRAFORM})
    assert set(systems(ev)) == {"AWS CodeBuild", "AWS CodePipeline"}
    assert {"deploy.ci_tests", "deploy.ci_training", "deploy.cd"} <= present(ev)
    training = next(e for e in ev if e.signal == "deploy.ci_training")
    assert ("infra/ci.tf", 11) in [(loc.path, loc.line) for loc in training.locations]


def test_terraform_approval_gates_the_deploy(make_repo):
    gated = TERRAFORM.replace('  stage {\n    name = "Deploy"', '  stage {\n    name = "Approve"\n    action {\n'
                              '      name = "Approve"\n      category = "Approval"\n      provider = "Manual"\n    }\n  }\n'
                              '  stage {\n    name = "Deploy"')
    ev = present(scan(make_repo, {"infra/ci.tf": gated}))
    assert "governance.approval_gates" in ev


CLOUDFORMATION = """AWSTemplateFormatVersion: '2010-09-09'
Description: Model build and deploy pipelines
Resources:
  ModelBuildProject:
    Type: AWS::CodeBuild::Project
    Properties:
      Name: !Sub ${ProjectName}-build
      Source:
        Type: CODEPIPELINE
        BuildSpec: |
""" + textwrap.indent(INLINE_BUILDSPEC, " " * 10) + """  ModelDeployPipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: !GetAtt PipelineRole.Arn
      Stages:
        - Name: Source
          Actions:
            - Name: ModelSource
              ActionTypeId: {Category: Source, Owner: AWS, Provider: CodeCommit, Version: '1'}
        - Name: DeployStaging
          Actions:
            - Name: DeployStagingEndpoint
              ActionTypeId:
                Category: Deploy
                Owner: AWS
                Provider: CloudFormation
                Version: '1'
        - Name: Approve
          Actions:
            - Name: ApproveProduction
              ActionTypeId: {Category: Approval, Owner: AWS, Provider: Manual, Version: '1'}
        - Name: DeployProd
          Actions:
            - Name: DeployProdEndpoint
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormationStackSet, Version: '1'}
"""


def test_cloudformation_codebuild_and_codepipeline(make_repo):
    ev = scan(make_repo, {"cfn/pipelines.yaml": CLOUDFORMATION})
    assert set(systems(ev)) == {"AWS CodePipeline"}
    assert {"deploy.ci_tests", "deploy.ci_training", "deploy.cd", "governance.approval_gates"} <= present(ev)
    training = next(e for e in ev if e.signal == "deploy.ci_training")
    assert ("cfn/pipelines.yaml", 16) in [(loc.path, loc.line) for loc in training.locations]
    # the staging deploy runs on every change; the production deploy waits for the approval
    cd = next(e for e in ev if e.signal == "deploy.cd")
    assert ("cfn/pipelines.yaml", 28) in [(loc.path, loc.line) for loc in cd.locations]
    gate = next(e for e in ev if e.signal == "governance.approval_gates")
    assert gate.locations[0].path == "cfn/pipelines.yaml"


def test_cloudformation_deploy_only_after_approval_is_no_continuous_delivery(make_repo):
    gated_only = CLOUDFORMATION.replace("Category: Deploy\n", "Category: Invoke\n")
    ev = present(scan(make_repo, {"cfn/pipelines.yaml": gated_only}))
    assert "governance.approval_gates" in ev and "deploy.cd" not in ev


@pytest.mark.parametrize("path, text", [
    # a buildspec named by file is read where it lives, not from the template
    ("cfn/build.yaml", "Resources:\n  B:\n    Type: AWS::CodeBuild::Project\n    Properties:\n"
                       "      Source: {BuildSpec: buildspec.yml}\n"),
    # other resources, or the resource type named only in a description
    ("cfn/bucket.yaml", "Description: no AWS::CodePipeline::Pipeline here\nResources:\n  Bucket:\n"
                        "    Type: AWS::S3::Bucket\n"),
    # a template kept with the documentation is an example
    ("docs/cfn/pipelines.yaml", CLOUDFORMATION),
    ("cfn/odd.yaml", "Resources:\n  P:\n    Type: AWS::CodePipeline::Pipeline\n    Properties:\n"
                     "      Stages: [1, {Actions: [2, {ActionTypeId: 3}]}]\n"),
])
def test_cloudformation_traps(make_repo, path, text):
    ev = present(scan(make_repo, {path: text}))
    assert not {"deploy.ci_present", "deploy.ci_training", "deploy.cd"} & ev


@pytest.mark.parametrize("text", [
    'resource "aws_codebuild_project" "x" {\n  source {\n    buildspec = "ci/buildspec.yml"\n  }\n}\n',
    'resource "aws_s3_bucket" "b" {\n  bucket = "aws_codebuild_project"\n}\n',
    "".join(f"# {line}\n" for line in TERRAFORM.splitlines()),
    "/*\n" + TERRAFORM + "*/\n",
    'resource "aws_codebuild_project" "x" {\n  source {\n    buildspec = <<EOT\nnot: [valid\nEOT\n  }\n}\n',
])
def test_terraform_traps(make_repo, text):
    assert not present(scan(make_repo, {"infra/main.tf": text}))


BUNDLE_ROOT = "bundle:\n  name: churn\ninclude:\n  - resources/*.yml\n"
MONITORING_JOB = """resources:
  jobs:
    drift_monitor:
      name: drift monitor
      schedule:
        quartz_cron_expression: "0 0 6 * * ?"
        timezone_id: UTC
      tasks:
        - task_key: drift
          notebook_task:
            notebook_path: ../notebooks/check_drift
    refresh_features:
      trigger:
        periodic:
          interval: 1
          unit: DAYS
      tasks:
        - task_key: dlt
          pipeline_task:
            pipeline_id: ${resources.pipelines.features.id}
    adhoc_training:
      tasks:
        - task_key: train
          spark_python_task:
            python_file: ../src/train.py
"""


def test_databricks_bundle_jobs_count_for_schedules_not_as_ci(make_repo):
    ev = scan(make_repo, {"databricks.yml": BUNDLE_ROOT, "resources/jobs.yml": MONITORING_JOB})
    found = present(ev)
    assert {"monitoring.scheduled", "data.pipeline_automated"} <= found
    # an orchestrator's jobs are not CI: no CI system, and its training job is not CI training
    assert "deploy.ci_present" not in found and "deploy.ci_training" not in found
    scheduled = next(e for e in ev if e.signal == "monitoring.scheduled")
    assert scheduled.locations[0].path == "resources/jobs.yml"


def test_paused_databricks_schedule_is_not_a_schedule(make_repo):
    paused = MONITORING_JOB.replace("        timezone_id: UTC\n", "        timezone_id: UTC\n        pause_status: PAUSED\n")
    assert "monitoring.scheduled" not in present(scan(make_repo, {"resources/jobs.yml": paused}))


JOBS_API_JOB = """{
    "name": "nightly checks",
    "new_cluster": {"spark_version": "14.3.x-scala2.12", "num_workers": 1},
    "schedule": {"quartz_cron_expression": "0 0 5 * * ?", "timezone_id": "UTC"},
    "notebook_task": {"notebook_path": "/Repos/team/project/check_drift"}
}
"""
CHECK_DRIFT = ("# Databricks notebook source\nfrom evidently import Report\nfrom evidently.presets import DataDriftPreset\n"
               "Report([DataDriftPreset()]).run(current, reference)\n")


def _scheduled_monitoring(make_repo, files: dict[str, str]) -> list[str] | None:
    """Where the scheduled monitoring evidence points, None when there is none."""
    ev = scan(make_repo, files)
    assert "deploy.ci_present" not in present(ev)
    found = next((e for e in ev if e.signal == "monitoring.scheduled" and e.counts), None)
    return [loc.path for loc in found.locations] if found else None


def test_databricks_jobs_api_definition_is_read_as_an_orchestrator(make_repo):
    # the workspace notebook is the repository file of that name, whose drift check runs on a schedule
    places = _scheduled_monitoring(make_repo, {"deployment/databricks/nightly_job.json": JOBS_API_JOB,
                                               "monitoring/check_drift.py": CHECK_DRIFT})
    assert places == ["deployment/databricks/nightly_job.json", "monitoring/check_drift.py"]


def test_databricks_jobs_api_notebook_with_two_candidates_is_not_assumed(make_repo):
    places = _scheduled_monitoring(make_repo, {"deployment/databricks/nightly_job.json": JOBS_API_JOB,
                                               "monitoring/check_drift.py": CHECK_DRIFT, "old/check_drift.py": ""})
    assert places == ["deployment/databricks/nightly_job.json"]


@pytest.mark.parametrize("files", [
    # JSON naming a task that is no Databricks job (no cluster), and a job kept with examples
    {"labels/nightly.json": JOBS_API_JOB.replace('"new_cluster"', '"labels"')},
    {"examples/nightly_job.json": JOBS_API_JOB},
    {"deployment/nightly_job.json": JOBS_API_JOB.replace('"timezone_id": "UTC"', '"pause_status": "PAUSED"')},
])
def test_databricks_jobs_api_traps(make_repo, files):
    assert _scheduled_monitoring(make_repo, {**files, "monitoring/check_drift.py": CHECK_DRIFT}) is None


TERRAFORM_JOB = """\
resource "databricks_job" "monitoring_job" {
  name = "${local.env_prefix}churn-monitoring-job"  # named by an expression

  task {
    task_key = "Drift"
    notebook_task {
      notebook_path = "notebooks/CheckDrift"
      base_parameters = {
        env = local.env
      }
    }
    new_cluster {
      num_workers   = 1
      spark_version = "14.3.x-scala2.12"
    }
  }

  git_source {
    url      = var.git_repo_url
    provider = "gitHub"
    branch   = "release"
  }

  schedule {
    quartz_cron_expression = "0 0 9 * * ?" # daily at 9am
    timezone_id            = "UTC"
  }
}
"""


@pytest.mark.parametrize("definition, scheduled", [
    (TERRAFORM_JOB, True),
    # paused, or no schedule at all: started by hand
    (TERRAFORM_JOB.replace('timezone_id            = "UTC"', 'timezone_id = "UTC"\n    pause_status = "PAUSED"'), False),
    (TERRAFORM_JOB.replace('  schedule {\n    quartz_cron_expression = "0 0 9 * * ?" # daily at 9am\n'
                           '    timezone_id            = "UTC"\n  }\n', ""), False),
    # a Terraform file that does not parse, and another provider's job
    (TERRAFORM_JOB.replace("task {", "task {{"), False),
    (TERRAFORM_JOB.replace("databricks_job", "google_cloud_run_v2_job"), False),
])
def test_databricks_jobs_in_terraform_are_read_as_an_orchestrator(make_repo, definition, scheduled):
    places = _scheduled_monitoring(make_repo, {"databricks-config/prod/monitoring-job.tf": definition,
                                               "notebooks/CheckDrift.py": CHECK_DRIFT})
    assert (places == ["databricks-config/prod/monitoring-job.tf", "notebooks/CheckDrift.py"]) is scheduled


DBX = """environments:
  default:
    workflows:
      - name: "model-monitoring"
        schedule:
          quartz_cron_expression: "0 0 * * * ?"
        tasks:
          - task_key: "monitor"
            spark_python_task:
              python_file: "file://mlops/jobs/monitoring.py"
"""


def test_dbx_deployment_workflows(make_repo):
    ev = present(scan(make_repo, {"conf/deployment.yml": DBX}))
    assert "monitoring.scheduled" in ev and "deploy.ci_present" not in ev


def test_jenkins_shared_library_step(make_repo):
    step = "def call(Map config = [:]) {\n    sh \"python -m pytest ${config.tests ?: 'tests'}\"\n    sh 'python train.py'\n}\n"
    ev = scan(make_repo, {"vars/trainAndTest.groovy": step, "vars/helpers.groovy": "def version() { return '1' }\n"})
    assert {"deploy.ci_tests", "deploy.ci_training"} <= present(ev)
    assert systems(ev) == {"Jenkins": ["vars/trainAndTest.groovy"]}


SEED_WORKFLOW = """on:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: pip install .
      - run: run-pipeline --module-name pipelines.abalone.pipeline --role-arn $ROLE
"""
SEED_SETUP = ('from setuptools import setup\n\nsetup(name="pipelines", entry_points={"console_scripts": [\n'
              '    "run-pipeline=pipelines.run_pipeline:main",\n]})\n')
SEED_RUN = ("from pipelines._utils import get_pipeline_driver\n\npipeline = get_pipeline_driver(module_name, kwargs)\n"
            "pipeline.upsert(role_arn=role)\npipeline.start()\n")
SEED_PIPELINE = ("from sagemaker.estimator import Estimator\nfrom sagemaker.workflow.steps import TrainingStep\n\n"
                 "step = TrainingStep(name='Train', estimator=Estimator(image_uri=i, role=r))\n")


SEED_BUILDSPEC = """version: 0.2
phases:
  install:
    commands:
      - pip install .
  build:
    commands:
      - |
        run-pipeline \\
          --module-name pipelines.abalone.pipeline \\
          --role-arn $ROLE
"""


@pytest.mark.parametrize("ci_file, text, system", [
    (".github/workflows/build.yml", SEED_WORKFLOW, "GitHub Actions"),
    # a buildspec runs from its source root: the folder it is kept in
    ("buildspec.yml", SEED_BUILDSPEC, "AWS CodeBuild"),
])
def test_ci_of_a_project_kept_in_a_folder_runs_from_that_folder(make_repo, ci_file, text, system):
    files = {f"seedcode/{ci_file}": text, "seedcode/setup.py": SEED_SETUP,
             "seedcode/pipelines/__init__.py": "", "seedcode/pipelines/_utils.py": "import importlib\n",
             "seedcode/pipelines/run_pipeline.py": SEED_RUN, "seedcode/pipelines/abalone/pipeline.py": SEED_PIPELINE}
    ev = scan(make_repo, files)
    assert systems(ev) == {system: [f"seedcode/{ci_file}"]}
    assert {"deploy.ci_training", "data.pipeline_automated"} <= present(ev)
    training = next(e for e in ev if e.signal == "deploy.ci_training")
    assert ("seedcode/setup.py", 4) in [(loc.path, loc.line) for loc in training.locations]


@pytest.mark.parametrize("packages, trains", [
    (("modelbuild/setup.py",), True),
    # two packages declare the script: which one the build installs is unknown
    (("modelbuild/setup.py", "other/setup.py"), False),
])
def test_a_buildspec_kept_apart_from_the_package_whose_script_it_runs(make_repo, packages, trains):
    # the buildspec lives with the infrastructure code; the CodeBuild source is the package folder
    files = {"terraform/modelbuild_buildspec.yml": SEED_BUILDSPEC, **{p: SEED_SETUP for p in packages},
             "modelbuild/pipelines/__init__.py": "", "modelbuild/pipelines/_utils.py": "import importlib\n",
             "modelbuild/pipelines/run_pipeline.py": SEED_RUN, "modelbuild/pipelines/abalone/pipeline.py": SEED_PIPELINE}
    assert ("deploy.ci_training" in present(scan(make_repo, files))) is trains


@pytest.mark.parametrize("folder", ["docs/ci", "examples/minimal", "templates/service"])
def test_workflow_kept_with_docs_or_examples_is_not_ci(make_repo, folder):
    workflow = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n"
    assert not present(scan(make_repo, {f"{folder}/.github/workflows/ci.yml": workflow}))


@pytest.mark.parametrize("text", ["42\n", "- a\n- b\n", "phases: 3\nversion: 1\n", "version: 0.2\nphases:\n  build: [1, 2]\n",
                                  "version: 0.2\nphases:\n  build:\n    commands: {a: 1}\n",
                                  "resources:\n  jobs:\n    x:\n      tasks: [1, {notebook_task: 5}, {spark_python_task: {python_file: 7}}]\n",
                                  "environments:\n  e:\n    workflows: [{tasks: 3}, 5]\n",
                                  "bundle: {}\ntargets: [1]\nresources: {jobs: [1]}\n", b"\x00\x01binary"])
@pytest.mark.parametrize("path", ["buildspec.yml", "databricks.yml", "resources/jobs.yml", "conf/deployment.yml",
                                  "ci/pipeline.yml"])
def test_odd_shapes_of_the_new_formats_never_crash(make_repo, path, text):
    ev = scan(make_repo, {path: text})
    assert "deploy.ci_tests" not in present(ev)


@pytest.mark.parametrize("path, text", [
    ("infra/main.tf", 'resource "aws_codebuild_project" "x" {\n  source {\n    buildspec = <<EOT\n'),
    ("infra/main.tf", 'resource "aws_codepipeline" "p" {\n  stage { action { category = "Deploy" provider = '),
    ("infra/stack.py", "from aws_cdk import pipelines\n\npipelines.ShellStep('x', commands=[f'{a}', None, 3])\n"),
    ("infra/stack.py", "from aws_cdk import aws_codebuild as cb\n\ncb.BuildSpec.from_object(spec)\ncb.BuildSpec.from_object({1: [\n"),
    ("vars/step.groovy", "def call() {\n  sh '''\n"),
])
def test_broken_definitions_never_crash(make_repo, path, text):
    ev = scan(make_repo, {path: text})
    assert "deploy.ci_tests" not in present(ev)


def test_templates_naming_each_other_many_times_stay_bounded(make_repo):
    files = {"azure-pipelines.yml": "steps:\n" + "  - template: t0.yml\n" * 20}
    for i in range(6):
        files[f"t{i}.yml"] = "steps:\n" + f"  - template: t{i + 1}.yml\n" * 20
    files["t6.yml"] = "steps:\n  - script: pytest\n"
    ev = scan(make_repo, files)
    assert "deploy.ci_present" in present(ev)


def test_azure_jobs_template_keeps_its_jobs_gates_and_deploys(make_repo):
    caller = "trigger: [main]\nstages:\n  - stage: Release\n    jobs:\n      - template: templates/release.yml\n"
    release = ("jobs:\n  - job: approve\n    pool: server\n    steps:\n      - task: ManualValidation@0\n"
               "        inputs:\n          notifyUsers: ops@example.org\n"
               "  - deployment: ship\n    dependsOn: approve\n    environment: staging\n    strategy:\n      runOnce:\n"
               "        deploy:\n          steps:\n            - script: az ml online-deployment update -f deploy.yml\n")
    ev = present(scan(make_repo, {".azure-pipelines/release.yml": caller, ".azure-pipelines/templates/release.yml": release}))
    assert {"governance.approval_gates", "deploy.cd"} <= ev
