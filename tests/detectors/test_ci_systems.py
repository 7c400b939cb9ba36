"""CI detector on GitLab, Azure, Jenkins, CircleCI, Bitbucket, Cloud Build and Buildkite files."""
from __future__ import annotations

import pytest
from conftest import declared, present, run_detector, with_sources

from detectors.ci import CIDetector


#: the scripts the steps below run: a step running a file the repository lacks counts for nothing
SOURCES = ("monitoring/drift.py", "scripts/check_drift.py")

GITLAB = """
stages: [test, deploy]
test:
  stage: test
  script:
    - pip install -r requirements.txt
    - pytest
deploy_prod:
  stage: deploy
  script:
    - kubectl apply -f k8s/
  environment: production
  when: manual
"""
AZURE = """
trigger:
  - main
stages:
  - stage: Test
    jobs:
      - job: unit
        steps:
          - script: python -m pytest
  - stage: Deploy
    jobs:
      - deployment: deploy_api
        environment: prod
        strategy:
          runOnce:
            deploy:
              steps:
                - task: AzureWebApp@1
                  inputs:
                    appName: api
"""
JENKINS = """
pipeline {
  agent any
  triggers { cron('H 2 * * *') }
  stages {
    stage('Test') {
      steps {
        sh 'pytest -q'
        // sh 'bandit -r .'
      }
    }
    stage('Drift') {
      steps { sh "python monitoring/drift.py" }
    }
    stage('Deploy') {
      steps {
        input message: 'Ship it?'
        sh '''
          helm upgrade --install api chart/
        '''
      }
    }
  }
}
"""
CIRCLE = """
version: 2.1
jobs:
  test:
    docker: [{image: cimg/python:3.11}]
    steps:
      - checkout
      - run: pytest
  deploy:
    docker: [{image: cimg/base:stable}]
    steps:
      - run:
          name: deploy
          command: kubectl rollout restart deployment/api
workflows:
  main:
    jobs:
      - test
      - hold:
          type: approval
          requires: [test]
      - deploy:
          requires: [hold]
"""
BITBUCKET = """
pipelines:
  default:
    - step:
        name: Test
        script:
          - pytest
  branches:
    main:
      - step:
          name: Deploy
          deployment: production
          script:
            - pipe: atlassian/aws-ecs-deploy:1.6.0
              variables:
                CLUSTER_NAME: c
            - aws ecs update-service --cluster c --service api
"""
CLOUDBUILD = """
steps:
  - id: test
    name: python:3.11
    entrypoint: bash
    args: ['-c', 'pip install -r requirements.txt && pytest']
  - id: build
    name: gcr.io/cloud-builders/docker
    args: ['build', '-t', 'gcr.io/p/api', '.']
  - id: deploy
    name: gcr.io/google.com/cloudsdktool/cloud-sdk
    entrypoint: gcloud
    args: ['run', 'deploy', 'api', '--image', 'gcr.io/p/api']
images: ['gcr.io/p/api']
"""
BUILDKITE = """
steps:
  - label: tests
    command: pytest
  - block: "Release to production?"
  - label: deploy
    command: helm upgrade api ./chart
"""


@pytest.mark.parametrize("path, text, expected", [
    (".gitlab-ci.yml", GITLAB, {"deploy.ci_present", "deploy.ci_tests", "governance.approval_gates"}),
    ("azure-pipelines.yml", AZURE, {"deploy.ci_present", "deploy.ci_tests", "deploy.cd"}),
    ("Jenkinsfile", JENKINS, {"deploy.ci_present", "deploy.ci_tests", "governance.approval_gates", "monitoring.scheduled"}),
    (".circleci/config.yml", CIRCLE, {"deploy.ci_present", "deploy.ci_tests", "governance.approval_gates"}),
    ("bitbucket-pipelines.yml", BITBUCKET, {"deploy.ci_present", "deploy.ci_tests", "deploy.cd"}),
    ("cloudbuild.yaml", CLOUDBUILD, {"deploy.ci_present", "deploy.ci_tests", "deploy.cd"}),
    (".buildkite/pipeline.yml", BUILDKITE, {"deploy.ci_present", "deploy.ci_tests", "governance.approval_gates"}),
])
def test_system_read_into_the_model(make_repo, path, text, expected):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {path: text}))
    assert present(ev) == expected


AML_PUBLISHED = """
pr: [main]
jobs:
  - job: Run_ML_Pipeline
    pool: server
    steps:
      - task: ms-air-aiagility.vss-services-azureml.azureml-restApi-task.MLPublishedPipelineRestAPITask@0
        displayName: 'Invoke ML pipeline'
        inputs:
          azureSubscription: '$(WORKSPACE_SVC_CONNECTION)'
          PipelineId: '$(AMLPIPELINE_ID)'
"""


def test_an_azure_devops_task_invoking_a_published_azure_ml_pipeline_trains(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {"azure-pipelines.yml": AML_PUBLISHED}))
    assert "deploy.ci_training" in present(ev)
    other = AML_PUBLISHED.replace("ms-air-aiagility.vss-services-azureml.azureml-restApi-task.MLPublishedPipelineRestAPITask@0",
                                  "AzureCLI@2")
    assert "deploy.ci_training" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {"azure-pipelines.yml": other})))


@pytest.mark.parametrize("docs, expected", [
    # the docs tell people to submit the build from their machine: a remote build, not CI
    ("## Train in the cloud\n\n```bash\ngcloud builds submit . --config=.gcp/cloudbuild.yaml \\\n"
     "  --substitutions=_KEY=$KEY\n```\n", set()),
    # another config submitted by hand leaves this one on its (cloud) trigger
    ("```bash\ngcloud builds submit --config .gcp/cloudbuild-frontend.yaml\n```\n",
     {"deploy.ci_present", "deploy.ci_tests", "deploy.cd"}),
])
def test_a_cloud_build_the_docs_submit_by_hand_is_no_ci(make_repo, docs, expected):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gcp/cloudbuild.yaml": CLOUDBUILD,
                                                                    "docs/cloud.md": docs}))
    assert present(ev) == expected


@pytest.mark.parametrize("path, text, system", [
    (".gitlab-ci.yml", GITLAB, "GitLab CI"), ("azure-pipelines.yml", AZURE, "Azure Pipelines"),
    ("Jenkinsfile", JENKINS, "Jenkins"), (".circleci/config.yml", CIRCLE, "CircleCI"),
    ("bitbucket-pipelines.yml", BITBUCKET, "Bitbucket Pipelines"), ("cloudbuild.yaml", CLOUDBUILD, "Google Cloud Build"),
    (".buildkite/pipeline.yml", BUILDKITE, "Buildkite"),
])
def test_ci_present_names_the_system(make_repo, path, text, system):
    ev = [e for e in run_detector(CIDetector, with_sources(make_repo, SOURCES, {path: text})) if e.signal == "deploy.ci_present"]
    assert ev[0].attributes["system"] == system and system in ev[0].summary


def test_gitlab_manual_jobs_are_ci_checks_but_no_automation(make_repo):
    # tests and a data pipeline behind a button: the tests are the project's CI checks, but the
    # data pipeline runs only when someone presses it
    text = ("test:\n  script:\n    - pytest\n  when: manual\nrefresh:\n  script:\n    - dvc repro\n"
            "  rules:\n    - if: $CI_COMMIT_BRANCH == 'main'\n      when: manual\n")
    found = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gitlab-ci.yml": text})))
    assert "deploy.ci_tests" in found and "data.pipeline_automated" not in found
    unattended = text.replace("  when: manual\n", "").replace("      when: manual\n", "")
    found = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gitlab-ci.yml": unattended})))
    assert {"deploy.ci_tests", "data.pipeline_automated"} <= found


BEHIND_A_BUTTON = """stages: [build, run]
build:
  stage: build
  rules:
    - if: $CI_COMMIT_BRANCH =~ /^exp\\/.*$/
      when: manual
  script:
    - docker build -t trainer .
pipeline:
  stage: run
  rules:
    - if: $CI_COMMIT_BRANCH =~ /^exp\\/.*$/
      when: on_success
  script:
    - dvc repro
"""


@pytest.mark.parametrize("text, automated", [
    # a later stage waits for the blocking manual job before it: it runs when someone starts it
    (BEHIND_A_BUTTON, False),
    # a manual job allowed to fail (or a job-level when: manual) does not hold the pipeline
    (BEHIND_A_BUTTON.replace("      when: manual\n", "      when: manual\n      allow_failure: true\n"), True),
    # a job that needs nothing of the manual one starts on its own
    (BEHIND_A_BUTTON.replace("  stage: run\n", "  stage: run\n  needs: []\n"), True),
])
def test_gitlab_jobs_behind_a_blocking_manual_job_are_started_by_hand(make_repo, text, automated):
    found = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gitlab-ci.yml": text})))
    assert ("data.pipeline_automated" in found) is automated


@pytest.mark.parametrize("path", ["Jenkinsfile.release", "Jenkinsfile_model_serving", "ci/deploy.jenkinsfile",
                                  "jenkins/train-Jenkinsfile"])
def test_jenkinsfiles_named_for_their_pipeline(make_repo, path):
    assert systems_of(make_repo, {path: JENKINS}) == {"Jenkins": [path]}


def test_a_file_merely_named_like_jenkins_is_not_read(make_repo):
    assert systems_of(make_repo, {"docs/jenkinsfile_guide.md": JENKINS, "docs/Jenkinsfile.md": JENKINS}) == {}


def systems_of(make_repo, files: dict[str, str]) -> dict[str, list[str]]:
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    return {e.attributes["system"]: e.attributes["files"] for e in ev if e.signal == "deploy.ci_present" and e.counts}


def test_a_declarative_jenkinsfile_without_a_stages_block_runs_nothing(make_repo):
    # Jenkins rejects the file: its test and deploy stages never run
    broken = JENKINS.replace("  stages {\n", "").replace("  }\n}\n", "}\n")
    found = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {"Jenkinsfile": broken})))
    assert found == {"deploy.ci_present"}


def test_jenkins_commented_step_does_not_count(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {"Jenkinsfile": JENKINS}))
    assert "governance.security_scanning" not in present(ev)


def test_jenkins_deploy_without_input_is_cd_without_gate(make_repo):
    text = "pipeline {\n  stages {\n    stage('Ship') {\n      steps { sh 'kubectl set image deploy/api api=img:1' }\n    }\n  }\n}\n"
    ev = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {"Jenkinsfile": text})))
    assert "deploy.cd" in ev and "governance.approval_gates" not in ev


def test_gitlab_manual_deploy_is_a_gate_but_not_cd(make_repo):
    ev = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gitlab-ci.yml": GITLAB})))
    assert "governance.approval_gates" in ev and "deploy.cd" not in ev


@pytest.mark.parametrize("job", [
    "scan:\n  script:\n    - bandit -r src\n  allow_failure: true\n",
    "scan:\n  script:\n    - bandit -r src || true\n",
    "scan:\n  script:\n    - echo bandit -r src\n",
    ".scan:\n  script:\n    - bandit -r src\n",
])
def test_gitlab_neutered_security_traps(make_repo, job):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gitlab-ci.yml": job}))
    assert "governance.security_scanning" not in present(ev)


def test_gitlab_security_template_and_local_include(make_repo):
    root = "include:\n  - template: Security/SAST.gitlab-ci.yml\n  - local: ci/train.yml\n"
    train = "train:\n  script:\n    - python -m model.train\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n"
    ev = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gitlab-ci.yml": root, "ci/train.yml": train})))
    assert {"governance.security_scanning", "deploy.ci_training"} <= ev


def test_gitlab_extends_brings_the_script(make_repo):
    text = ".tests:\n  script:\n    - pytest\nunit:\n  extends: .tests\n"
    assert "deploy.ci_tests" in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gitlab-ci.yml": text})))


def test_gitlab_scheduled_drift_and_pipeline(make_repo):
    text = ("monitor:\n  script:\n    - python scripts/check_drift.py\n    - dvc repro\n"
            "  rules:\n    - if: $CI_PIPELINE_SOURCE == \"schedule\"\n")
    ev = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {".gitlab-ci.yml": text})))
    assert {"monitoring.scheduled", "data.pipeline_automated"} <= ev


AZURE_VARIABLES = """
trigger:
  branches:
    include: [master]
variables:
- name: runner
  value: {top}
stages:
- stage: Build
  jobs:
  - job: ML_Build
    variables:
    - name: amlPipelineRunner
      value: {job}
    steps:
    - task: AzureCLI@2
      displayName: Run the pipeline
      inputs:
        scriptType: bash
        scriptLocation: inlineScript
        inlineScript: python $(amlPipelineRunner) --await_completion True
"""


@pytest.mark.parametrize("top, job, trains", [
    ("unused.py", "code/pipelines/retrain_model.py", True),   # the job's own variable names the script
    ("unused.py", "code/tools/list_runs.py", False),          # a script that trains nothing
])
def test_azure_variable_macros_are_expanded_in_steps(make_repo, top, job, trains):
    files = {"azure-pipelines.yml": AZURE_VARIABLES.format(top=top, job=job),
             "code/pipelines/retrain_model.py": "from azureml.core import Experiment\nExperiment(ws, 'x').submit(pipeline)\n",
             "code/tools/list_runs.py": "print('runs')\n"}
    assert ("deploy.ci_training" in present(run_detector(CIDetector, make_repo(files)))) is trains


def test_azure_continue_on_error_is_neutered(make_repo):
    text = "steps:\n  - script: bandit -r .\n    continueOnError: true\n"
    assert "governance.security_scanning" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {"azure-pipelines.yml": text})))


def test_azure_trigger_none_pr_only_is_not_cd(make_repo):
    text = "trigger: none\nsteps:\n  - script: kubectl apply -f k8s\n"
    assert "deploy.cd" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {"azure-pipelines.yml": text})))


def test_bitbucket_custom_pipeline_is_manual_not_cd(make_repo):
    text = "pipelines:\n  custom:\n    ship:\n      - step:\n          script:\n            - helm upgrade api chart\n"
    assert "deploy.cd" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {"bitbucket-pipelines.yml": text})))


@pytest.mark.parametrize("path", [".gitlab-ci.yml", "azure-pipelines.yml", ".circleci/config.yml",
                                  "bitbucket-pipelines.yml", "cloudbuild.yaml", ".buildkite/pipeline.yml"])
def test_malformed_files_are_errors(make_repo, path):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {path: "steps: [\n  - {"}))
    assert any(e.outcome.value == "error" and path in e.summary for e in ev)
    assert not present(ev)


@pytest.mark.parametrize("text", ["42\n", "- a\n- b\n", "jobs: 3\n", "on: 5\njobs:\n  a: [1, 2]\n  b:\n    steps: [1, {run: null}, {uses: 7}]\n",
                                  "steps:\n  - 3\n  - {args: 5, name: {x: 1}}\n", "stages: 7\njobs: {a: 1}\n", b"\x00\x01binary"])
@pytest.mark.parametrize("path", [".github/workflows/x.yml", ".gitlab-ci.yml", "azure-pipelines.yml", ".circleci/config.yml",
                                  "bitbucket-pipelines.yml", "cloudbuild.yaml", ".buildkite/pipeline.yml", "Jenkinsfile"])
def test_odd_shapes_never_crash(make_repo, path, text):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {path: text}))
    assert "deploy.ci_tests" not in present(ev)


GITLAB_PROD_AUTO = """
stages: [deploy]
deploy:
  stage: deploy
  script:
    - scp release.zip ubuntu@host:/srv/app/
  environment:
    name: production
  only:
    - main
"""


@pytest.mark.parametrize("path, text", [
    (".gitlab-ci.yml", GITLAB_PROD_AUTO),
    ("azure-pipelines.yml", AZURE),
    ("bitbucket-pipelines.yml", BITBUCKET),
])
def test_production_environment_name_alone_is_a_declared_gate(make_repo, path, text):
    # Who must approve a production environment is a hosting setting; the file only names it.
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {path: text}))
    assert "governance.approval_gates" not in present(ev)
    assert "governance.approval_gates" in declared(ev)
    assert "deploy.cd" in present(ev)


@pytest.mark.parametrize("image, trains", [
    ("gcr.io/${PROJECT_ID}/test-custom-container", True),   # the project's image runs the command given
    ("gcr.io/cloud-builders/docker", False),                 # a builder's entrypoint is its tool
])
def test_a_cloud_build_step_running_a_command_in_the_projects_image(make_repo, image, trains):
    config = ("steps:\n- name: 'gcr.io/cloud-builders/docker'\n  args: ['build', '-t', 'gcr.io/${PROJECT_ID}/test-custom-container', '.']\n"
              f"- name: '{image}'\n  args: ['python', 'pipeline/submit_training.py']\n"
              "images: ['gcr.io/${PROJECT_ID}/test-custom-container']\n")
    files = {"cloudbuild.yaml": config,
             "pipeline/submit_training.py": "from google.cloud import aiplatform\n"
                                            "aiplatform.CustomContainerTrainingJob('t', container_uri='x').run()\n"}
    assert ("deploy.ci_training" in present(run_detector(CIDetector, make_repo(files)))) is trains
