"""CI commands followed into task runners one level: make, just, nox, tox, invoke, mise, npm, pyproject scripts."""
from __future__ import annotations

import pytest
from conftest import present, run_detector, with_sources

from detectors.ci import CIDetector
from detectors.ci.classify import script_kinds
from detectors.ci.commands import commands, container_image


#: the scripts the steps below run: a step running a file the repository lacks counts for nothing
SOURCES = ("src/train.py",)


def gha(command: str) -> str:
    return f"on: push\njobs:\n  ci:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {command}\n"


@pytest.mark.parametrize("command, files, signal", [
    ("make test", {"Makefile": "PY ?= python\ntest:\n\t$(PY) -m pytest -q\n"}, "deploy.ci_tests"),
    ("make ci", {"Makefile": "ci: lint\n\t@echo done\nlint:\n\truff check .\n"}, "deploy.ci_tests"),
    ("make audit", {"Makefile": "audit:\n\tpip-audit -r requirements.txt\n"}, "governance.security_scanning"),
    ("make train", {"Makefile": "train:\n\tpython src/train.py\n"}, "deploy.ci_training"),
    # a recipe's command continued over lines, its options on the next ones
    ("make train-baseline PYTHON=python", {"Makefile": "PYTHON ?= venv/bin/python\ntrain-baseline:\n"
                                                      "\t$(PYTHON) src/train.py \\\n\t\t--train-file data/train.jsonl \\\n"
                                                      "\t\t--model-out artifacts/model.joblib\n"}, "deploy.ci_training"),
    ("just check", {"justfile": "check:\n    bandit -r src\n"}, "governance.security_scanning"),
    ("nox -s security", {"noxfile.py": "import nox\n\n@nox.session\ndef security(session):\n    session.run('pip-audit')\n"}, "governance.security_scanning"),
    ("tox -e py311", {"tox.ini": "[testenv]\ncommands =\n    pytest {posargs}\n"}, "deploy.ci_tests"),
    ("invoke scan", {"tasks.py": "from invoke import task\n\n@task\ndef scan(c):\n    c.run('safety check')\n"}, "governance.security_scanning"),
    ("mise run check", {"mise.toml": "[tasks.check]\nrun = 'pip-audit --strict'\n"}, "governance.security_scanning"),
    ("npm run verify", {"package.json": '{"scripts": {"verify": "jest --ci"}}'}, "deploy.ci_tests"),
    ("uv run retrain", {"pyproject.toml": "[project]\nname='x'\n[project.scripts]\nretrain = 'pkg.train:main'\n"}, "deploy.ci_training"),
])
def test_task_runner_followed(make_repo, command, files, signal):
    files = {**files, ".github/workflows/ci.yml": gha(command)}
    assert signal in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_make_target_evidence_points_into_the_makefile(make_repo):
    files = {"Makefile": "x:\n\techo x\n\ntest:\n\tpytest\n", ".github/workflows/ci.yml": gha("make test")}
    ev = [e for e in run_detector(CIDetector, with_sources(make_repo, SOURCES, files)) if e.signal == "deploy.ci_tests"]
    assert ("Makefile", 5) in {(loc.path, loc.line) for loc in ev[0].locations}


def test_make_target_that_only_echoes_is_not_tests(make_repo):
    files = {"Makefile": "ci:\n\t@echo 'tests run elsewhere'\n", ".github/workflows/ci.yml": gha("make ci")}
    assert "deploy.ci_tests" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_make_test_without_a_makefile_still_reads_as_tests(make_repo):
    assert "deploy.ci_tests" in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, {".github/workflows/ci.yml": gha("make test")})))


def test_neutered_recipe_line_does_not_count(make_repo):
    files = {"Makefile": "audit:\n\t-pip-audit\n", ".github/workflows/ci.yml": gha("make audit")}
    assert "governance.security_scanning" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_a_continued_recipe_line_indented_with_spaces_is_still_the_recipe(make_repo):
    # make reads the line after a backslash as the same command, however it is indented
    files = {"Makefile": ("pipeline-run:\n\t@if [ $$sync = true ] ; then \\\n        $(MAKE) sync; \\\n\telse \\\n"
                          "\t\techo skip; \\\n    fi && \\\n\tcd pipelines && \\\n\tpipenv run pytest tests/e2e\n"),
             ".github/workflows/ci.yml": gha("make pipeline-run")}
    assert "deploy.ci_tests" in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_a_continued_neutered_recipe_line_still_does_not_count(make_repo):
    files = {"Makefile": "audit:\n\t-pip-audit \\\n\t\t--strict\n", ".github/workflows/ci.yml": gha("make audit")}
    assert "governance.security_scanning" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_ruff_with_bandit_rules_is_security_scanning(make_repo):
    files = {"pyproject.toml": "[tool.ruff.lint]\nselect = ['E', 'F', 'S']\n", ".github/workflows/ci.yml": gha("ruff check .")}
    assert "governance.security_scanning" in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_ruff_without_bandit_rules_is_only_lint(make_repo):
    files = {"pyproject.toml": "[tool.ruff.lint]\nselect = ['E', 'F', 'SIM']\n", ".github/workflows/ci.yml": gha("ruff check .")}
    ev = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))
    assert "deploy.ci_tests" in ev and "governance.security_scanning" not in ev


PRE_COMMIT = ("repos:\n  - repo: https://github.com/PyCQA/bandit\n    rev: '1.7.5'\n    hooks:\n      - id: bandit\n"
              "  - repo: https://github.com/psf/black\n    rev: 24.1.0\n    hooks:\n      - id: black\n")
STYLE_ONLY = ("repos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.4.0\n    hooks:\n"
              "      - id: trailing-whitespace\n      - id: detect-private-key\n")


@pytest.mark.parametrize("config, ci, scans", [
    (PRE_COMMIT, gha("pre-commit run --all-files"), True),
    (PRE_COMMIT, ".github/workflows/ci.yml", True),
    (STYLE_ONLY, gha("pre-commit run --all-files"), False),  # hygiene hooks are not a scan
    (PRE_COMMIT, None, False),  # hooks that CI never runs scan nothing in CI
])
def test_pre_commit_in_ci_scans_with_its_security_hooks(make_repo, config, ci, scans):
    files = {".pre-commit-config.yaml": config}
    if ci == ".github/workflows/ci.yml":
        files[ci] = ("name: q\non: [push]\njobs:\n  q:\n    runs-on: ubuntu-latest\n    steps:\n"
                     "      - uses: actions/checkout@v4\n      - uses: pre-commit/action@v3.0.1\n")
    elif ci:
        files[".github/workflows/ci.yml"] = ci
    found = present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))
    assert ("governance.security_scanning" in found) is scans


def test_a_variable_set_to_a_literal_is_read_where_later_commands_use_it():
    script = 'FIXTURE=tests/fixtures/pipeline\nexport CFG="configs/a.yaml"\ndvc repro "$FIXTURE/dvc.yaml"\npython t.py ${CFG} $UNSET'
    assert [list(c.words) for c in commands(script)][1:] == [
        ["dvc", "repro", "tests/fixtures/pipeline/dvc.yaml"], ["python", "t.py", "configs/a.yaml", "$UNSET"]]


@pytest.mark.parametrize("script, expected", [
    ("FOO=1 uv run --frozen pytest -x", ["pytest", "-x"]),
    ("poetry run python -m train", ["python", "-m", "train"]),
    ("# pytest\necho hi", ["echo", "hi"]),
    ("cd app && pytest", ["cd", "app"]),
    ("python a.py \\\n  --flag", ["python", "a.py", "--flag"]),
    # an env assignment whose value is a CI expression with spaces
    ("TAG=${{ steps.tag.outputs.tag }} CI=true modal deploy --tag ${{ steps.tag.outputs.tag }}-ci app",
     ["modal", "deploy", "--tag", "X-ci", "app"]),
])
def test_commands_unwrap(script, expected):
    assert list(commands(script)[0].words) == expected


def test_or_true_marks_command_neutered():
    assert [c.neutered for c in commands("pytest || true\nruff check .")] == [True, True, False]


@pytest.mark.parametrize("files", [
    {"setup.py": 'setup(entry_points={"console_scripts": ["fit-model = mypkg.training:main"]})\n'},
    {"setup.cfg": "[options.entry_points]\nconsole_scripts =\n    fit-model = mypkg.training:main\n"},
])
def test_console_script_of_setup_is_followed(make_repo, files):
    files = {**files, ".github/workflows/ci.yml": gha("fit-model --epochs 2")}
    assert "deploy.ci_training" in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_console_script_only_named_in_a_comment_is_not_followed(make_repo):
    files = {"setup.py": '# "fit-model = mypkg.training:main" was removed\nsetup(name="x")\n',
             ".github/workflows/ci.yml": gha("fit-model --epochs 2")}
    assert "deploy.ci_training" not in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


def test_task_runner_run_as_a_module_is_followed(make_repo):
    files = {"noxfile.py": "import nox\n\n@nox.session\ndef audit(session):\n    session.run('pip-audit')\n",
             ".github/workflows/ci.yml": gha("python -m nox -s audit")}
    assert "governance.security_scanning" in present(run_detector(CIDetector, with_sources(make_repo, SOURCES, files)))


@pytest.mark.parametrize("name, kinds", [
    # CamelCase names (Databricks notebooks) say their words
    ("training/notebooks/TrainWithFeatureStore", {"train"}),
    ("deployment/notebooks/ModelDeployment", {"deploy"}),
    ("notebooks/GenerateAndWriteFeatures", {"data_pipeline"}),
    ("scripts/make_features.py", {"data_pipeline"}),
    # the steps of a data flow, named for what they do to the data
    ("src/nyc_src/prep/prep", {"data_pipeline"}),
    ("src/nyc_src/transform/transform", {"data_pipeline"}),
    ("src/clean_data.py", {"data_pipeline"}),
    ("src/transformer_model.py", set()),
    ("src/HTTPServer", set()),
    ("src/features", set()),
])
def test_script_names_say_what_scripts_do(name, kinds):
    assert script_kinds(name) == kinds


@pytest.mark.parametrize("command, image", [
    ("docker run --rm -e A=1 --network net trainer:latest", "trainer:latest"),
    ("podman container run -v /d:/d registry.example.com/team/trainer", "registry.example.com/team/trainer"),
    ("docker run --rm trainer:latest python train.py", None),  # a program given: that program runs
    ("docker exec api python manage.py", None),
    ("docker compose run trainer", None),
])
def test_container_image_run_with_its_own_command(command, image):
    assert container_image(commands(command)[0].words) == image
