"""Shell in CI steps cut into the commands it really runs: substitutions, ``bash -c``, chains,
runner wrappers, env prefixes; and the quoting and fallback traps that must not count."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.ci import CIDetector
from detectors.ci.commands import commands


def gha(command: str) -> dict[str, str]:
    step = command.replace("\n", "\n          ")
    return {".github/workflows/ci.yml": "on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n"
                                        f"      - run: |\n          {step}\n"}


@pytest.mark.parametrize("script, expected", [
    ('export RUN_ID=$(python train.py --quick)', [("python train.py --quick", False), ("export RUN_ID=SUBST", False)]),
    ("VERSION=`python evaluate.py`", [("python evaluate.py", False)]),
    ('echo "result: $(pytest -q)"', [("pytest -q", False), ("echo result: SUBST", False)]),
    ("echo '$(pytest -q)'", [("echo $(pytest -q)", False)]),
    ('bash -c "pip install . && pytest -q"', [("pip install .", False), ("pytest -q", False)]),
    ("sh -ec 'ruff check . ; mypy src'", [("ruff check .", False), ("mypy src", False)]),
    ('bash -c "pytest || true"', [("pytest", True), ("true", True)]),
    ('eval "python -m pytest"', [("python -m pytest", False)]),
    ('echo "pytest && ruff check ."', [("echo pytest && ruff check .", False)]),
    ("a || true; pytest", [("a", True), ("true", True), ("pytest", False)]),
    ("pytest && ruff check . || echo failed", [("pytest", True), ("ruff check .", True), ("echo failed", True)]),
    ("pytest || exit 1", [("pytest", False), ("exit 1", False)]),
    ("uv tool run ruff@0.5.0 check .", [("ruff check .", False)]),
    ("uvx --from ruff ruff check", [("ruff check", False)]),
    ("pipx run --spec black black --check .", [("black --check .", False)]),
    ("uv run -m pkg.train", [("python -m pkg.train", False)]),
    ("poetry run -- pytest", [("pytest", False)]),
    # the wrapper itself run as a module
    ("python -m poetry run dbx execute Tests", [("dbx execute Tests", False)]),
    ("python3 -m uv run pytest -q", [("pytest -q", False)]),
    ("CUDA_VISIBLE_DEVICES=0 timeout 600 python train.py", [("python train.py", False)]),
    ("env FOO=1 pytest -x", [("pytest -x", False)]),
    ("pytest 2>&1 | tee log.txt", [("pytest 2>&1", False), ("tee log.txt", False)]),
    ("python serve.py &", [("python serve.py", False)]),
    # a program run in a container of the compose stack or of an image
    ("docker compose -f ci.yml run --rm -e PYTHONPATH=/app trainer python -m training.train",
     [("python -m training.train", False)]),
    ("docker-compose exec -T api pytest -q", [("pytest -q", False)]),
    ("docker run --rm --gpus all -v $PWD:/w img:1.0 ./scripts/train.sh", [("./scripts/train.sh", False)]),
    # an image's own arguments, or a container started with its default command, stay as written
    ("docker run --rm aquasec/trivy:0.50 image app", [("docker run --rm aquasec/trivy:0.50 image app", False)]),
    ("docker compose run -d api", [("docker compose run -d api", False)]),
    ("docker compose up -d --build", [("docker compose up -d --build", False)]),
])
def test_commands_are_cut_and_unwrapped(script, expected):
    assert [(c.text, c.neutered) for c in commands(script)] == expected


@pytest.mark.parametrize("command, signal", [
    ("export RUN_ID=$(python train.py)", "deploy.ci_training"),
    ("VERSION=`python scripts/evaluate.py`", "deploy.ci_training"),
    ('bash -c "pip install . && pytest -q"', "deploy.ci_tests"),
    ("sh -c 'ruff check src'", "deploy.ci_tests"),
    ("uv tool run ruff check .", "deploy.ci_tests"),
    ("uvx ruff@0.5.0 check .", "deploy.ci_tests"),
    ("pipx run --spec black black --check .", "deploy.ci_tests"),
    ("poetry run python -m pytest", "deploy.ci_tests"),
    ("python -m flake8 src", "deploy.ci_tests"),
    ("python -m mypy src", "deploy.ci_tests"),
    ("python -m pip_audit -r requirements.txt", "governance.security_scanning"),
    ("pip install -r requirements.txt && cd tests && pytest", "deploy.ci_tests"),
    ("make lint || true; pytest", "deploy.ci_tests"),
    ("CUDA_VISIBLE_DEVICES=0 WANDB_MODE=offline python train.py", "deploy.ci_training"),
    ("timeout 3600 python -m pkg.train", "deploy.ci_training"),
    # a real training script run on a sample kept with the tests still trains
    ("python train.py --data tests/data/sample.csv", "deploy.ci_training"),
    ('CFG=configs\npython train.py --config "${CFG}/small.yaml"', "deploy.ci_training"),
    ("docker compose run --rm trainer python train.py", "deploy.ci_training"),
    ("sonar-scanner -Dsonar.projectKey=app", "governance.security_scanning"),
    ("sonar-scanner -Dsonar.projectKey=app", "deploy.ci_tests"),
    ("docker run --rm -v $(pwd):/app app:ci python -m pytest tests", "deploy.ci_tests"),
    # a check run in the project's image; options filled in by a CI expression
    ("docker compose run app mypy", "deploy.ci_tests"),
    # the CDK app deployed, flags before the verb
    ("cdk -a . deploy --all --require-approval=never --verbose", "deploy.cd"),
    ("npx cdk deploy --all", "deploy.cd"),
    # pipelines delivered to their orchestrator
    ("pyflyte --pkgs flows package --image $IMAGE && flytectl register files --archive flyte-package.tgz", "deploy.cd"),
    ("pyflyte register --project ml --domain staging workflows/", "deploy.cd"),
    ('docker compose run ${{ env.EXTRA_OPTIONS }} app bash -c "pytest --cov . -vv"', "deploy.ci_tests"),
    # the image named by CI expressions, glued into one word
    ("docker run --rm -e KEY='${{ secrets.KEY }}' ${{ env.IMAGE }}:${{ github.sha }} /bin/sh -c "
     "\"uv run --locked python -m pytest tests --run-name ${{ github.sha }}\"", "deploy.ci_tests"),
])
def test_shell_forms_reach_the_tool(make_repo, command, signal):
    # what the steps run, and the folders they move to, are in the repository
    scripts = {"train.py": "", "scripts/evaluate.py": "", "tests/test_a.py": ""}
    assert signal in present(run_detector(CIDetector, make_repo({**gha(command), **scripts})))


@pytest.mark.parametrize("command, signal", [
    ("echo '$(pytest -q)'", "deploy.ci_tests"),
    ('echo "pytest && ruff check ."', "deploy.ci_tests"),
    ('bash -c "pytest || true"', "deploy.ci_tests"),
    ("pytest || echo 'tests failed'", "deploy.ci_tests"),
    ("VERSION=$(echo pytest)", "deploy.ci_tests"),
    ("python -m pip install pytest ruff", "deploy.ci_tests"),
    ("pipx run cowsay pytest", "deploy.ci_tests"),
    ("RUN=$(python train.py) || true", "deploy.ci_tests"),  # a run whose failure is ignored tests nothing
    ("docker compose run --rm trainer echo python train.py", "deploy.ci_training"),
    ("cdk -a . diff --path-metadata false", "deploy.cd"),
    ("pyflyte run workflows/train.py training_workflow", "deploy.cd"),  # a local run delivers nothing
    # the pipeline reproduced is a test fixture, named through a variable set a line before
    ('FIXTURE=tests/fixtures/pipeline\ndvc repro "$FIXTURE/dvc.yaml"', "deploy.ci_training"),
    ('FIXTURE=tests/fixtures/pipeline\ndvc repro "$FIXTURE/dvc.yaml"', "data.pipeline_automated"),
])
def test_shell_traps_do_not_count(make_repo, command, signal):
    assert signal not in present(run_detector(CIDetector, make_repo(gha(command))))
