"""CI detector on GitHub Actions workflows: positive cases and the traps that must not count."""
from __future__ import annotations

import textwrap

import pytest
from conftest import declared, present, run_detector, with_sources

from detectors.ci import CIDetector
from scanner.model import Outcome


#: the scripts the steps below run: a step running a file the repository lacks counts for nothing
SOURCES = (
    "scripts/deploy.sh", "scripts/deploy_docs.sh", "monitoring/drift_check.py", "scripts/bump.py",
    "scripts/evaluate_model.py", "scripts/promote_model.py", "src/monitoring/detect_drift.py",
    "src/training/main.py", "demo/model.py")


def wf(body: str, on: str = "on:\n  push:\n    branches: [main]\n") -> dict[str, str]:
    return {".github/workflows/ci.yml": f"name: ci\n{on}jobs:\n" + textwrap.indent(textwrap.dedent(body), "  ")}


def job(*steps: str, extra: str = "") -> str:
    lines = ["build:", "  runs-on: ubuntu-latest"]
    if extra:
        lines += ["  " + line for line in extra.splitlines()]
    lines.append("  steps:")
    lines += ["    " + line for s in steps for line in s.splitlines()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("steps, signal", [
    (["- run: pytest -q"], "deploy.ci_tests"),
    (["- run: uv run pytest tests/"], "deploy.ci_tests"),
    (["- run: python -m unittest discover"], "deploy.ci_tests"),
    (["- run: poetry run ruff check ."], "deploy.ci_tests"),
    (["- run: black --check src"], "deploy.ci_tests"),
    (["- uses: pre-commit/action@v3.0.1"], "deploy.ci_tests"),
    (["- run: python train.py --epochs 3"], "deploy.ci_training"),
    (["- run: python -m mypkg.training.train"], "deploy.ci_training"),
    # a generic file name: its folder says what it is for
    (["- run: python src/training/main.py"], "deploy.ci_training"),
    (["- run: dvc repro"], "deploy.ci_training"),
    (["- run: python scripts/evaluate_model.py"], "deploy.ci_training"),
    # the script's name says nothing, the step's name does
    (["- name: Train my model\n  run: |\n    cd demo\n    python model.py\n    cml comment create report.md"],
     "deploy.ci_training"),
    # a pipeline module says only that it runs a pipeline; the step's name says it trains
    (["- name: Run training pipeline\n  run: python -m src.pipeline.run_pipeline"], "deploy.ci_training"),
    (["- run: bandit -r src"], "governance.security_scanning"),
    (["- run: pip-audit"], "governance.security_scanning"),
    (["- uses: github/codeql-action/analyze@v3"], "governance.security_scanning"),
    (["- uses: aquasecurity/trivy-action@0.20.0\n  with:\n    image-ref: app\n    exit-code: 1"], "governance.security_scanning"),
    (["- run: kubectl apply -f k8s/"], "deploy.cd"),
    (["- run: helm upgrade --install api ./chart"], "deploy.cd"),
    (["- run: gcloud run deploy api --image gcr.io/p/api"], "deploy.cd"),
    (["- run: mlem deployment run flyio svm-app --model model/svm"], "deploy.cd"),
    (["- uses: azure/webapps-deploy@v2\n  with:\n    app-name: api"], "deploy.cd"),
    # workflows registered on the Flyte cluster by a marketplace action
    (["- uses: louisRDSC/FlyteRegisterAction@v1.3\n  with:\n    project: ml\n    domain: staging"], "deploy.cd"),
    (["- run: python -m src.deployment.cli deploy api --tag 1"], "deploy.cd"),
    (["- run: dvc repro"], "data.pipeline_automated"),
])
def test_github_positive(make_repo, steps, signal):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job(*steps))))
    assert signal in present(ev)
    assert "deploy.ci_present" in present(ev)


@pytest.mark.parametrize("step, signal", [
    ("- run: pytest\n  if: false", "deploy.ci_tests"),
    ("- run: pytest\n  if: ${{ false }}", "deploy.ci_tests"),
    ("- run: pytest || true", "deploy.ci_tests"),
    ("- run: |\n    # pytest tests/\n    echo skipped", "deploy.ci_tests"),
    ("- run: echo \"pytest would run here\"", "deploy.ci_tests"),
    ("- run: bandit -r src\n  continue-on-error: true", "governance.security_scanning"),
    ("- run: pip-audit || true", "governance.security_scanning"),
    ("- run: echo python train.py", "deploy.ci_training"),
    ("- name: Set up training environment\n  run: python -m pip install -r requirements.txt", "deploy.ci_training"),
    ("- name: Build\n  run: python model.py", "deploy.ci_training"),
    ("- name: Train model\n  run: python -c 'print(1)'", "deploy.ci_training"),
    # the script's own name says it installs: the folder it sits in does not make it train
    ("- run: bash automation/train_model/install_dependencies.sh", "deploy.ci_training"),
    # a stale step: the script it runs is not in the repository, whatever its name says
    ("- run: bash automation/train_model/run_model_training.sh", "deploy.ci_training"),
    ("- run: python pipelines/retired/train.py", "deploy.ci_training"),
    # a utility action whose input names a scanner's report is not a scan
    ("- uses: actions/upload-artifact@v4\n  with:\n    name: reports\n    path: trivy-results.sarif",
     "governance.security_scanning"),
])
def test_github_traps(make_repo, step, signal):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job(step))))
    assert signal not in present(ev)
    assert "deploy.ci_present" in present(ev)


ECS_STARTER = """on:
  push:
    branches: [main]
env:
  AWS_REGION: {region}
  ECR_REPOSITORY: {repo}
  ECS_SERVICE: MY_ECS_SERVICE
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v1
        with:
          service: ${{{{ env.ECS_SERVICE }}}}
"""


@pytest.mark.parametrize("region, repo, deploys", [
    ("MY_AWS_REGION", "MY_ECR_REPOSITORY", False),   # the starter workflow copied in, never filled in
    ("eu-west-1", "churn-api", True),               # filled in (one setting left as it was)
])
def test_an_unfilled_starter_workflow_deploys_nothing(make_repo, region, repo, deploys):
    ev = present(run_detector(CIDetector, make_repo({".github/workflows/aws.yml": ECS_STARTER.format(region=region, repo=repo)})))
    assert "deploy.ci_present" in ev
    assert ("deploy.cd" in ev) is deploys


@pytest.mark.parametrize("script, scans", [
    ("scripts/secret_scan.sh", True),        # a scan for secrets written by the project
    ("scripts/security-scan.sh", True),
    ("scripts/scan_results.sh", False),      # scans of something else
])
def test_a_scanning_script_named_for_security(make_repo, script, scans):
    files = {**wf(job(f"- run: bash {script}")),
             script: "#!/usr/bin/env bash\ngit grep -nE 'AKIA[0-9A-Z]{16}' && exit 1 || exit 0\n"}
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    assert ("governance.security_scanning" in present(ev)) is scans


@pytest.mark.parametrize("on, automated", [
    ("on:\n  pull_request:\n    paths: [src/**, params.yaml]\n", True),  # every change proposed reruns it
    ("on:\n  schedule:\n    - cron: '0 3 * * *'\n", True),
    ("on:\n  workflow_dispatch:\n", False),                                 # only when someone starts it
])
def test_data_pipeline_started_by_a_pull_request_is_automated(make_repo, on, automated):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job("- run: dvc exp run evaluate"), on=on)))
    assert ("data.pipeline_automated" in present(ev)) is automated


def test_commented_out_step_never_counts(make_repo):
    body = job("- uses: actions/checkout@v4", "# - run: pytest\n# - run: bandit -r .")
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(body)))
    assert present(ev) == {"deploy.ci_present"}


def test_on_key_read_despite_yaml_boolean(make_repo):
    # YAML 1.1 loads the key `on` as True: the schedule must still be seen.
    files = wf(job("- run: python monitoring/drift_check.py"), on="on:\n  schedule:\n    - cron: '0 3 * * *'\n")
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    assert "monitoring.scheduled" in present(ev)


def test_monitoring_not_scheduled_on_push_only(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job("- run: python monitoring/drift_check.py"))))
    assert "monitoring.scheduled" not in present(ev)


def test_docs_only_ci_is_not_cd_nor_tests(make_repo):
    body = """
    build:
      runs-on: ubuntu-latest
      steps:
        - run: pip install -r requirements.txt
        - run: mkdocs build
    deploy:
      needs: build
      environment:
        name: github-pages
      runs-on: ubuntu-latest
      steps:
        - uses: actions/deploy-pages@v4
    """
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(body)))
    assert present(ev) == {"deploy.ci_present"}


def test_deploy_on_pull_request_only_is_not_cd(make_repo):
    files = wf(job("- run: kubectl apply -f k8s/"), on="on:\n  pull_request:\n")
    assert "deploy.cd" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_manual_dispatch_only_is_not_cd(make_repo):
    files = wf(job("- run: helm upgrade api ./chart"), on="on:\n  workflow_dispatch:\n")
    assert "deploy.cd" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_job_if_restricting_to_pull_requests(make_repo):
    files = wf(job("- run: terraform apply -auto-approve", extra="if: github.event_name == 'pull_request'"),
               on="on:\n  push:\n  pull_request:\n")
    assert "deploy.cd" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


@pytest.mark.parametrize("condition, delivers", [
    ("github.event_name == 'workflow_dispatch'", False),  # an opt-in job only a person starts
    ("github.event_name == 'push' || github.event_name == 'workflow_dispatch'", True),
])
def test_job_if_restricting_to_manual_runs(make_repo, condition, delivers):
    files = wf(job("- run: kubectl apply -k k8s/overlays/prod", extra=f'if: "{condition}"'),
               on="on:\n  push:\n  pull_request:\n  workflow_dispatch:\n")
    assert ("deploy.cd" in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))) is delivers


def test_production_environment_is_cd_and_only_a_declared_gate(make_repo):
    # Required reviewers live in the hosting settings, not in the workflow file.
    files = wf(job("- run: ./scripts/deploy.sh", extra="environment: production"), on="on:\n  release:\n    types: [published]\n")
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    assert "deploy.cd" in present(ev)
    assert "governance.approval_gates" not in present(ev)
    assert "governance.approval_gates" in declared(ev)


def test_staging_environment_is_not_a_gate(make_repo):
    files = wf(job("- run: ./scripts/deploy.sh", extra="environment: staging"))
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    assert "governance.approval_gates" not in present(ev)
    assert "deploy.cd" in present(ev)


def test_retrain_triggered_after_drift_check(make_repo):
    body = """
    drift:
      runs-on: ubuntu-latest
      steps:
        - run: python src/monitoring/detect_drift.py
    retrain:
      needs: drift
      runs-on: ubuntu-latest
      steps:
        - run: gh workflow run train.yml
    """
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(body, on="on:\n  schedule:\n    - cron: '0 0 * * 1'\n")))
    assert {"monitoring.retrain_trigger", "monitoring.scheduled"} <= present(ev)


def test_training_without_monitoring_is_not_a_retrain_trigger(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job("- run: python train.py", "- run: gh workflow run deploy.yml"))))
    assert "monitoring.retrain_trigger" not in present(ev)


def test_promotion_after_evaluation(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job("- run: python evaluate.py", "- run: python scripts/promote_model.py"))))
    assert "tracking.registry_promotion" in present(ev)


def test_promotion_without_evaluation_does_not_count(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job("- run: python scripts/promote_model.py"))))
    assert "tracking.registry_promotion" not in present(ev)


def test_reusable_workflow_inherits_caller_triggers(make_repo):
    files = wf("call:\n  uses: ./.github/workflows/deploy.yml\n")
    files[".github/workflows/deploy.yml"] = ("on:\n  workflow_call:\njobs:\n  go:\n    runs-on: ubuntu-latest\n"
                                             "    steps:\n      - run: kubectl rollout restart deploy/api\n")
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    assert "deploy.cd" in present(ev)


def test_evidence_points_at_the_step_line(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job("- uses: actions/checkout@v4", "- run: pytest -q"))))
    tests = next(e for e in ev if e.signal == "deploy.ci_tests")
    assert tests.locations[0].path == ".github/workflows/ci.yml"
    assert tests.locations[0].line == 10
    assert tests.tier.value == "configured"


def test_malformed_workflow_is_an_error_naming_the_file(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {".github/workflows/bad.yml": "on: [push\njobs: {"}))
    errors = [e for e in ev if e.outcome is Outcome.ERROR]
    assert {e.signal for e in errors} >= {"deploy.ci_present", "deploy.ci_tests"}
    assert all(".github/workflows/bad.yml" in e.summary for e in errors)
    assert not present(ev)


def test_no_ci_means_nothing(make_repo):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {"README.md": "Run `pytest` in CI with GitHub Actions.\n", "src/a.py": "x = 1\n"}))
    assert ev == []


def test_workflow_snippet_in_markdown_does_not_count(make_repo):
    md = "```yaml\non: push\njobs:\n  t:\n    steps:\n      - run: dvc repro\n```\n"
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {"docs/chapter.md": md}))
    assert ev == []


def test_unrendered_template_workflow_is_ignored(make_repo):
    files = {"{{cookiecutter.project}}/.github/workflows/ci.yml": "on: push\njobs:\n  t:\n    steps:\n      - run: pytest\n"}
    assert run_detector(CIDetector, with_sources(make_repo, SOURCES, files)) == []


def test_job_level_if_false_disables_the_job(make_repo):
    assert "deploy.ci_tests" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job("- run: pytest", extra="if: false")))))


def test_tests_only_on_manual_dispatch_still_count_and_say_so(make_repo):
    # the project's checks, run from the Actions tab: auditors count them; the evidence tells
    files = wf(job("- run: pytest", "- run: bandit -r src"), on="on: workflow_dispatch\n")
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    for signal in ("deploy.ci_tests", "governance.security_scanning"):
        (found,) = [e for e in ev if e.signal == signal and e.outcome is Outcome.PRESENT]
        assert "when someone starts the workflow" in found.summary


@pytest.mark.parametrize("command", ["./scripts/deploy_docs.sh", "mkdocs gh-deploy --force", "python scripts/bump.py release"])
def test_docs_and_release_scripts_are_not_cd(make_repo, command):
    assert "deploy.cd" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job(f"- run: {command}")))))


def test_test_report_action_is_not_tests(make_repo):
    files = wf(job("- uses: mikepenz/action-junit-report@v4\n  with:\n    report_paths: out.xml"))
    assert "deploy.ci_tests" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


@pytest.mark.parametrize("step, deploys", [
    # the service restarted on a server over SSH: by an action, or by the ssh command
    ("- uses: appleboy/ssh-action@v1\n  with:\n    host: ${{ secrets.HOST }}\n"
     "    script: |\n      cd app && git pull\n      docker compose up -d --build\n", True),
    ("- uses: google-github-actions/ssh-compute@v0\n  with:\n    instance_name: app\n"
     "    command: cd ~/app && git pull && docker compose -f deploy/app.yml up --build -d\n", True),
    ("- run: ssh deploy@${{ secrets.HOST }} 'docker pull acme/api:latest && docker run -d acme/api:latest'", True),
    ("- run: |\n    gcloud compute ssh ${{ env.VM }} --zone=us-east1-b --command \"\n"
     "      git clone https://github.com/acme/app.git && cd app &&\n      sudo docker compose up -d\n    \"\n", True),
    ("- run: |\n    gcloud compute ssh ${{ env.VM }} --zone=us-east1-b --command \"\n      sudo docker ps\n    \"\n", False),
    # feature definitions and their infrastructure applied to the feature store's registry
    ("- run: feast -c feature_repo apply", True),
    # a look at the server changes nothing
    ("- uses: appleboy/ssh-action@v1\n  with:\n    script: df -h && docker ps\n", False),
    ("- run: ssh deploy@host 'tail -n 50 /var/log/app.log'", False),
])
def test_a_service_restarted_over_ssh_is_deployed(make_repo, step, deploys):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job(step))))
    assert ("deploy.cd" in present(ev)) is deploys


@pytest.mark.parametrize("step, deploys", [
    # a Hugging Face Space (a demo app) updated by a push, an upload or a restart
    ("- run: git push https://user:$HF_TOKEN@huggingface.co/spaces/acme/demo main", True),
    ("- run: huggingface-cli upload acme/demo demo/ . --repo-type space", True),
    ("- run: |\n    python -c \"\n    from huggingface_hub import HfApi\n    api = HfApi(token='x')\n"
     "    api.upload_folder(repo_id='acme/doctr', repo_type='space', folder_path='demo/')\n    \"", True),
    # a model or a dataset uploaded to the Hub goes live nowhere
    ("- run: huggingface-cli upload acme/model out/ . --repo-type model", False),
])
def test_a_hugging_face_space_updated_on_push_is_deployed(make_repo, step, deploys):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job(step))))
    assert ("deploy.cd" in present(ev)) is deploys


@pytest.mark.parametrize("notebook, trains", [
    ("# Databricks notebook source\nfrom sklearn.linear_model import Ridge\nRidge().fit(X, y)\n", True),
    ("# Databricks notebook source\nprint(spark.table('sales').count())\n", False),
])
def test_a_notebook_databricks_run_notebook_action_runs_is_followed(make_repo, notebook, trains):
    step = ("- uses: databricks/run-notebook@v0\n  with:\n    local-notebook-path: notebooks/Job.py\n"
            "    git-commit: ${{ github.sha }}\n")
    files = {**wf(job(step)), "notebooks/Job.py": notebook}
    ev = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))
    assert ("deploy.ci_training" in ev) is trains


def test_the_inline_script_of_the_azure_cli_action_is_followed(make_repo):
    step = ("- uses: azure/cli@v1\n  with:\n    inlineScript: |\n      set -e\n"
            "      python -m pip install -r requirements.txt\n      python -m pytest tests\n")
    files = {**wf(job(step)), "tests/test_a.py": "def test_a():\n    assert 1 + 1 == 2\n"}
    assert "deploy.ci_tests" in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))
    # the same script in another action's input is that action's business
    other = {**wf(job(step.replace("azure/cli@v1", "acme/notes@v1"))), "tests/test_a.py": files["tests/test_a.py"]}
    assert "deploy.ci_tests" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, other)))


@pytest.mark.parametrize("steps, deploys", [
    # a job aimed at an environment delivers what its steps do, whatever they are named
    (("- uses: actions/checkout@v4", "- run: ./scripts/release.sh staging"), True),
    (("- uses: actions/checkout@v4", "- uses: appleboy/scp-action@v0.1.7\n  with:\n    target: /srv/app"), True),
    # trap: a placeholder that only says what it would do
    (("- uses: actions/checkout@v4", "- run: |\n    echo \"This would deploy to staging\"\n"
                                     "    # kubectl apply -f k8s/staging/"), False),
    (("- uses: actions/checkout@v4", "- uses: actions/setup-python@v5"), False),
    # a release of the tag published beside a placeholder: release notes, no deploy
    (("- run: echo \"Deploying to production...\"", "- uses: actions/create-release@v1\n  with:\n    tag_name: v1"), False),
])
def test_environment_job_deploys_only_when_its_steps_do_something(make_repo, steps, deploys):
    files = wf(job(*steps, extra="environment:\n  name: staging\n  url: https://staging.example.com"))
    files["scripts/release.sh"] = "rsync -a dist/ host:/srv/app\n"
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    assert ("deploy.cd" in present(ev)) is deploys


@pytest.mark.parametrize("publisher, counts", [
    # the results published by a step that fails the job on a failed test: the failures still stop it
    ("- uses: dorny/test-reporter@v1\n  with:\n    name: tests\n    path: junit.xml\n    reporter: java-junit", True),
    ("- uses: mikepenz/action-junit-report@v4\n  with:\n    report_paths: junit.xml\n    fail_on_failure: true", True),
    # traps: nothing fails on the results, or the publisher is told not to
    ("- uses: actions/upload-artifact@v4\n  with:\n    path: junit.xml", False),
    ("- uses: dorny/test-reporter@v1\n  with:\n    path: junit.xml\n    fail-on-error: false", False),
])
def test_tests_that_cannot_fail_their_step_count_when_their_results_fail_the_job(make_repo, publisher, counts):
    files = wf(job("- run: python -m pytest --junitxml=junit.xml tests || true", publisher))
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, files))
    assert ("deploy.ci_tests" in present(ev)) is counts


def test_services_a_later_job_removes_were_a_test_environment(make_repo):
    text = ("on:\n  push:\n    branches: [main]\njobs:\n  start:\n    runs-on: [self-hosted, lab]\n    steps:\n"
            "      - run: docker run -d --name api api:1\n  tests:\n    needs: [start]\n    runs-on: ubuntu-latest\n"
            "    steps:\n      - run: pytest\n  stop:\n    needs: [tests]\n    if: always()\n"
            "    runs-on: [self-hosted, lab]\n    steps:\n      - run: docker rm -f api || true\n")
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {".github/workflows/ci.yml": text}))
    assert "deploy.cd" not in present(ev)


@pytest.mark.parametrize("runs_on, command, deploys", [
    # a service started detached on the self-hosted machine stays up there
    ("[self-hosted, deploy]", "docker compose -f demo/docker-compose.yaml up --build --force-recreate -d", True),
    ("self-hosted", "docker run -d --name api -p 80:8000 api:latest", True),
    # traps: on a hosted runner the stack dies with the job (an integration test), and a
    # foreground start on the self-hosted machine ends with the step
    ("ubuntu-latest", "docker compose up -d", False),
    ("self-hosted", "docker compose run --rm tests", False),
    # ... and services the workflow removes after its checks were a test environment
    ("self-hosted", "docker run -d --name api api:latest\n      - run: pytest tests/integration\n"
                    "      - run: docker stop api && docker rm api", False),
    # a redeploy takes the old stack down first
    ("self-hosted", "docker compose down && docker compose up -d --build", True),
])
def test_a_detached_start_on_a_self_hosted_runner_deploys(make_repo, runs_on, command, deploys):
    text = (f"name: demo\non:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: {runs_on}\n    steps:\n"
            f"      - uses: actions/checkout@v4\n      - run: {command}\n")
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {".github/workflows/demo.yml": text}))
    assert ("deploy.cd" in present(ev)) is deploys


@pytest.mark.parametrize("uses, counts", [
    # a shared workflow of the organisation, named for the checks it runs
    ("opencloudhub/.github/.github/workflows/shared-ci-code-quality.yaml@main", True),
    ("my-org/ci/.github/workflows/python-tests.yml@v2", True),
    # trap: a shared workflow named for something else
    ("my-org/ci/.github/workflows/release.yml@v2", False),
])
def test_remote_reusable_workflows_named_for_checks(make_repo, uses, counts):
    text = f"name: ci\non:\n  pull_request:\njobs:\n  quality:\n    uses: {uses}\n"
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {".github/workflows/ci.yml": text}))
    assert ("deploy.ci_tests" in present(ev)) is counts


@pytest.mark.parametrize("step, scans", [
    ("- uses: aquasecurity/trivy-action@0.35.0\n  with:\n    scan-type: fs\n    exit-code: '1'\n    severity: HIGH,CRITICAL", True),
    # report-only scanners: told not to fail, or failing only when told to (Trivy's exit-code is 0)
    ("- uses: aquasecurity/tfsec-action@v1.0.3\n  with:\n    working_directory: infra/\n    soft_fail: true", False),
    ("- uses: aquasecurity/trivy-action@0.35.0\n  with:\n    scan-type: fs", False),
    # ...unless their findings reach code scanning
    ("- uses: aquasecurity/trivy-action@0.35.0\n  with:\n    format: sarif\n    output: trivy.sarif\n"
     "- uses: github/codeql-action/upload-sarif@v3\n  with:\n    sarif_file: trivy.sarif", True),
])
def test_scanner_actions_that_cannot_fail_scan_nothing(make_repo, step, scans):
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, wf(job(step))))
    assert ("governance.security_scanning" in present(ev)) is scans


@pytest.mark.parametrize("step, signal, counts", [
    # a step whose failure is ignored still does what it does...
    ("      - run: python model/scripts/train.py data.csv --model lstm\n        continue-on-error: true\n",
     "deploy.ci_training", True),
    ("      - run: kubectl apply -f k8s/ || exit 0\n", "deploy.cd", True),
    # ...but checks nothing
    ("      - run: pytest tests\n        continue-on-error: true\n", "deploy.ci_tests", False),
    ("      - run: bandit -r src || true\n", "governance.security_scanning", False),
])
def test_an_ignored_failure_neuters_checks_not_actions(make_repo, step, signal, counts):
    text = "on:\n  push:\n    branches: [main]\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n" + step
    ev = run_detector(CIDetector, with_sources(make_repo, SOURCES, {".github/workflows/ci.yml": text,
                                                                   "model/scripts/train.py": "import sklearn\n"}))
    assert (signal in present(ev)) is counts


@pytest.mark.parametrize("name, trains", [
    ("Dummy Training", False),
    ("Smoke test the training loop", False),
    ("Train the model", True),
])
def test_a_training_run_named_a_dummy_or_smoke_run_is_a_test(make_repo, name, trains):
    step = f"- name: {name}\n  run: python train.py epochs=1 model.hidden=1"
    ev = present(run_detector(CIDetector, make_repo({"train.py": "fit()\n", **wf(job(step))})))
    assert ("deploy.ci_training" in ev) is trains
    assert ("deploy.ci_tests" in ev) is not trains
