"""Collaboration detector: each signal over tiny repositories, positive cases and traps."""
from __future__ import annotations

import json

import pytest

from conftest import declared, present, run_detector
from detectors.collaboration import (
    CODE_QUALITY,
    CONTRIBUTING,
    DEV_ENV,
    DOCS_SITE,
    PACKAGED,
    README,
    TASK_RUNNER,
    TEMPLATES,
    CollaborationDetector,
    looks_like_command,
    make_targets,
)
from scanner.model import Outcome, Tier

PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\n'
CONTRIB_TEXT = "# Contributing\n\nFork the repository, create a branch, run the tests and open a pull request.\n"


def verdict(files: dict, signal: str, make_repo) -> str:
    """present | declared | error | absent for ``signal`` over a repository of ``files``."""
    evidence = run_detector(CollaborationDetector, make_repo(files))
    if signal in present(evidence):
        return "present"
    if any(e.signal == signal and e.outcome is Outcome.ERROR for e in evidence):
        return "error"
    return "declared" if signal in declared(evidence) else "absent"


def check(cases):
    """Parametrize over (files, expected verdict, case id) triples."""
    return pytest.mark.parametrize("files, expected", [c[:2] for c in cases], ids=[c[2] for c in cases])


DEVCONTAINER_README = ("# Building ML Systems\n\nCourse code.\n\n## Running in a Development Container\n\n"
                       "[![Open](https://img.shields.io/static/v1?label=Dev%20Containers)](https://vscode.dev/redirect?"
                       "url=vscode://ms-vscode-remote.remote-containers/cloneInVolume?url=https://github.com/o/r)\n\n"
                       "Click the badge to clone the repository into a container volume.\n")


@check([
    ({"README.md": "# Demo\n\n## Installation\n\n```bash\npip install -e .\n```\n"}, "present", "md-install-bash"),
    ({"readme.md": "# Demo\n\n## Getting started\n\n    make setup\n"}, "present", "indented-make"),
    ({"README.rst": "Demo\n====\n\nUsage\n-----\n\n::\n\n    python train.py --epochs 3\n"}, "present", "rst-usage"),
    ({"README.md": "# Demo\n\nTo install, run `pip install demo` and then `demo --help`.\n"}, "present", "text-inline"),
    # HTML code in Markdown: an inline <pre/> span, and a <pre> block over lines
    ({"README.md": "# Demo\n\nTo install the dependencies, run <pre/>pip install -r requirements.txt</pre>\n"},
     "present", "html-pre-inline"),
    ({"README.md": "# Demo\n\n### Usage\n1. To finetune, run:\n<pre>python -m torch.distributed.run train.py \\\n"
                   "--config ./configs/a.yaml</pre>\n"}, "present", "html-pre-block"),
    # AsciiDoc: ``==`` headings, ``[source,bash]`` listing blocks, numbered steps
    ({"README.adoc": "= Demo\n\n== Installation\n\n[source,bash]\n----\npip install -e .\n----\n"}, "present", "adoc-install"),
    ({"README.adoc": "= Demo\n\n== Getting started\n\n1. Deploy the Minio service.\n2. Start the Dagster daemon.\n"
                     "3. Run the fetchStockData job.\n4. Run the training job.\n"}, "present", "adoc-steps"),
    # a listing block of Python under an install heading is no command; ``----`` under text is no heading
    ({"README.adoc": "= Demo\n\n== Installation\n\n[source,python]\n----\nimport demo\n----\n\nSee the wiki.\n----\n"},
     "declared", "adoc-python-only"),

    ({"README.md": "# Demo\n\n### Get started !\n\nIn the scraper folder type:\n\n```\nscrapy crawl Reviews -o out.csv\n```\n"},
     "present", "unknown-cli-with-flags"),
    ({"README.md": "# Demo\n\n**Quick start**\n\n```console\n$ docker compose up\n```\n"}, "present", "bold-heading"),
    # a step-by-step guide with no shell command is still setup and usage
    ({"README.md": "# Demo\n\n## Usage\n\n```\n1. Setup Airflow on any machine.\n2. Clone this repo to the server.\n"
                   "3. Set the S3 variables (see k8s/secrets).\n4. Run the DAGs.\n```\n"}, "present", "numbered-steps"),
    ({"README.md": "# Workshop\n\n# Setup & Preparation\n\n## Step 1: Create a bucket\n\n1. Go to **S3**\n"
                   "2. Click **Create bucket**\n\n## Step 2: Create a role\n\n1. Go to **IAM**\n2. Attach the policy\n\n"
                   "# Run\n"}, "present", "numbered-steps-in-subsections"),
    # traps
    ({"README.md": "# Demo\n\n## Usage\n\n1. Open the notebook.\n2. Run all cells.\n"}, "declared", "two-steps-too-thin"),
    ({"README.md": "# Demo\n\n## How to contribute\n\n1. Fork the repo now\n2. Create a branch please\n"
                   "3. Open a pull request\n"}, "declared", "contribution-steps-not-setup"),
    ({"README.md": "# Demo\n\n## Results\n\n1. Accuracy is 0.91\n2. Recall is 0.88\n3. F1 is 0.89\n"},
     "declared", "numbered-list-outside-setup"),
    ({"README.md": "# My project\n"}, "declared", "title-only"),
    ({"README.md": "# Demo\n\n## Installation\n\nComing soon.\n"}, "declared", "setup-without-command"),
    ({"README.md": "# Demo\n\n## Usage\n\n```python\nmodel.fit(x)\nprint(res)\n```\n"}, "declared", "python-block-only"),
    ({"README.md": "# Demo\n\n## Requirements\n\n- `python 3.10`\n"}, "declared", "python-version-not-command"),
    ({"README.md": "# Demo\n\n## Usage\n\n```\nmodel = build(x)\n```\n"}, "declared", "assignment-not-command"),
    ({"docs/README.md": "## Installation\n\n```bash\npip install demo\n```\n"}, "absent", "readme-not-at-root"),
    # setup handed over to a linked guide that holds it
    ({"README.md": "# Demo\n\n## Getting Started\n\nFollow the [getting started](docs/getting_started.md) doc.\n",
      "docs/getting_started.md": "# Getting started\n\n## Install\n\n```bash\npip install -e .\n```\n"},
     "present", "linked-guide"),
    ({"README.md": "# Book\n\n**Installation and setup instructions are in the [README of chapter 1](ch01/README.md)**.\n",
      "ch01/README.md": "## Setting Up Your Environment\n\n```\nconda env create -f environment.yml\n```\n"},
     "present", "linked-readme-in-text"),
    ({"README.md": "# Demo\n\n## Setup\n\nSee [the setup folder](/setup/).\n",
      "setup/README.md": "## Steps\n\n1. Create the workspace now\n2. Deploy the template here\n"
                         "3. Run the pipeline once\n\n## Usage\n\n```\nmake deploy\n```\n"},
     "present", "linked-folder"),
    ({"README.md": "# Workshop\n\n## Workshop Instructions\n\nTo start from the beginning click [here](./instructions/1-Setup.md).\n",
      "instructions/1-Setup.md": "# System setup\n\n```bash\ndocker-compose up -d --build\npip3 install -r requirements.txt\n```\n"},
     "present", "linked-guide-from-an-instructions-section"),
    ({"README.md": "# MAE\n\n## Pre-training\n\nThe pre-training instruction is in [PRETRAIN.md](PRETRAIN.md).\n",
      "PRETRAIN.md": "## Pre-training MAE\n\nTo pre-train ViT-Large, run the following on 8 nodes:\n"
                     "```\npython submitit_pretrain.py --nodes 8 --epochs 800\n```\n"},
     "present", "linked-guide-from-weaker-wording"),
    ({"README.md": "# Demo\n\n## Getting Started\n\nSee [the guide](docs/guide.md).\n",
      "docs/guide.md": "# Guide\n\nSome day we will write this.\n"}, "declared", "linked-guide-without-commands"),
    ({"README.md": "# Demo\n\nThe build instructions are in [the notes](docs/notes.md).\n",
      "docs/notes.md": "# Notes\n\nWe discussed the roadmap.\n\n```\nsome output\n```\n"},
     "declared", "linked-from-weak-wording-without-instructions"),
    ({"README.md": "# Demo\n\nRead our [design notes](docs/design.md).\n",
      "docs/design.md": "## Install\n\n```bash\npip install demo\n```\n"}, "declared", "link-outside-setup-wording"),
    # an index README whose parts have READMEs of their own at the root, with the setup there
    ({"README.md": "# Models\n\n- [DeiT](README_deit.md)\n- [CaiT](README_cait.md)\n",
      "README_deit.md": "# DeiT\n\n## Usage\n\n```\nconda install -c pytorch pytorch torchvision\n```\n"},
     "present", "part-readmes-at-the-root"),
    ({"README.md": "# Models\n\n- [DeiT](README_deit.md)\n", "docs/README_deit.md": "## Usage\n\n```\npip install deit\n```\n"},
     "declared", "part-readme-outside-the-root"),
    # no README at the root: the READMEs of its projects' folders
    ({"hw1/README.md": "# Homework 1\n\n## Installation\n\n```bash\npip install -e .\n```\n", "hw1/setup.py": ""},
     "present", "readmes-of-the-top-folders"),
    ({"README.md": "# Course\n", "hw1/README.md": "## Installation\n\n```bash\npip install -e .\n```\n"},
     "declared", "a-root-readme-without-setup-speaks-for-the-repository"),
    # ... but a framework's starter README left as generated documents the starter
    ({"api-gateway/README.md": '<p align="center">A progressive <a href="http://nodejs.org" target="_blank">Node.js</a>'
                               ' framework</p>\n\n## Project setup\n\n```bash\n$ npm install\n```\n'},
     "absent", "a-generated-starter-readme-in-a-top-folder"),
    # commands written as plain numbered steps, no code formatting
    ({"README.md": "# Abalone\n\n## Running the App\n\n1. Clone the repo\n2. Ensure you have python 3.11\n"
                   "3. pip install uv\n4. uv sync\n5. uv run uvicorn src.main:app\n"}, "present", "plain-numbered-commands"),
    ({"README.md": "# Abalone\n\n## Running the App\n\n- Python 3.11 or newer\n- Docker and some patience\n"},
     "declared", "plain-list-without-commands"),
    # bullets each telling a newcomer what to do are steps too
    ({"README.md": "# Stocks\n\n# How to use the project\n\n- Fork this repository\n"
                   "- Create an Azure ML workspace and a resource group\n- Create a service principal and save it as a secret\n"
                   "- Update your workspace details in `cli/setup.sh`\n"}, "present", "imperative-bullets"),
    ({"README.md": "# Stocks\n\n# How to use the project\n\n- Forecasts for ten stocks\n- Runs on Azure\n"
                   "- Created by Ada\n"}, "declared", "descriptive-bullets"),
    # commands written as Markdown quotes; a quoted remark naming an option is none
    ({"README.md": "# StyleGAN\n\n## Usage\n\nFirst create datasets:\n\n> python prepare_data.py --out LMDB_PATH DATA\n"},
     "present", "quoted-command"),
    ({"README.md": "# StyleGAN\n\n## Usage\n\n> Note: training with --fp16 needs a recent GPU\n"},
     "declared", "quoted-remark"),
    # a quick demo or a launch section running the project is setup too
    ({"README.md": "# Fraud platform\n\n## Quick Demo\n\n### Launch the platform\n\n```bash\nmake demo\n```\n"},
     "present", "quick-demo-section"),
    ({"README.md": "# Demo\n\n## Installation\n\nSee [the docs](https://example.org/install.md).\n"},
     "declared", "external-link"),
    # the guide linked by its address on the host: the file of that path in this repository
    ({"README.md": "# Demo\n\n## Install & Usage\n\nGo to the [INSTALL_AND_USAGE]"
                   "(https://github.com/acme/demo/blob/main/INSTALL_AND_USAGE.md) document.\n",
      "INSTALL_AND_USAGE.md": "# Install\n\n```bash\nmake install\n```\n"}, "present", "hosted-link-to-own-guide"),
    ({"README.md": "# Demo\n\n## Installation\n\nSee [their README](https://github.com/other/lib/blob/main/README.md).\n"},
     "declared", "hosted-link-to-another-readme"),
    # steps marked as such in a linked setup guide
    ({"README.md": "# Template\n\n## How to use the repo\n\nHow to setup the repo is in [this document](./docs/how_to_setup.md).\n",
      "docs/how_to_setup.md": "# How to setup the repo\n\n**Step 1.** Create a service connection.\n\n"
                              "**Step 2.** Create a variable group.\n\n**Step 3.** Create two pipelines.\n"},
     "present", "step-markers-in-a-linked-guide"),
    # a setup section opening the repository in the development container it configures
    ({"README.md": DEVCONTAINER_README, ".devcontainer/devcontainer.json": '{"image": "python:3.12"}'},
     "present", "one-click-dev-container"),
    ({"README.md": DEVCONTAINER_README}, "declared", "one-click-link-without-a-config"),
    # a plain-text README: bare command lines under a setup phrase
    ({"README.md": "Pipelines for a demo.\n\nHow to use:\n\n- Clone the github repo:\n"
                   "git clone https://github.com/acme/demo.git\n\n- To initialize and run the app:\npython initialize.py\n"},
     "present", "plain-text-command-lines"),
    ({"README.md": "Pipelines for a demo.\n\nHow to use:\n\nAsk the team for access, then open the dashboard.\n"},
     "declared", "plain-text-without-commands"),
    # each command fenced on a line of its own (```cmd```): one-line code, no block left open
    ({"README.md": "# Tool\n\n## Installation\n\nClone the repository:\n\n```git clone https://github.com/acme/tool.git```\n\n"
                   "Then go to its root:\n\n```cd tool```\n\n## Licence\n\nMIT\n"}, "present", "one-line-fenced-commands"),
    ({"README.md": DEVCONTAINER_README.replace("## Running in a Development Container", "## Sponsors"),
      ".devcontainer/devcontainer.json": '{"image": "python:3.12"}'}, "declared", "one-click-link-outside-setup"),
])
def test_readme_setup(make_repo, files, expected):
    assert verdict(files, README, make_repo) == expected


@check([
    ({"CONTRIBUTING.md": CONTRIB_TEXT}, "present", "root"),
    ({".github/CONTRIBUTING.md": CONTRIB_TEXT}, "present", "github"),
    ({"docs/contributing.rst": CONTRIB_TEXT}, "present", "docs-rst"),
    ({"docs/source/md/contributing.md": CONTRIB_TEXT}, "present", "nested-in-the-docs-tree"),
    ({"docs/CONTRIBUTION_GUIDE.md": CONTRIB_TEXT}, "present", "contribution-guide"),
    ({"CONTRIBUTING_GUIDELINES.md": CONTRIB_TEXT}, "present", "contributing-guidelines"),
    ({"src/contribution_guide.py": CONTRIB_TEXT}, "absent", "code-named-so"),
    ({"CONTRIBUTING.md": "TODO\n"}, "declared", "stub"),
    ({"AGENTS.md": CONTRIB_TEXT}, "absent", "agent-guide-is-not-contributing"),
    ({"src/pkg/CONTRIBUTING.md": CONTRIB_TEXT}, "absent", "nested-folder"),
])
def test_contributing(make_repo, files, expected):
    assert verdict(files, CONTRIBUTING, make_repo) == expected


TEMPLATE = "## What changed\n\n- [ ] tests added\n"


@check([
    ({".github/PULL_REQUEST_TEMPLATE.md": TEMPLATE}, "present", "github-pr"),
    ({".github/pull_request_template.md": TEMPLATE}, "present", "github-pr-lower"),
    ({".github/ISSUE_TEMPLATE/bug_report.yml": "name: Bug\nbody:\n  - type: textarea\n"}, "present", "issue-form"),
    ({".gitlab/merge_request_templates/Default.md": TEMPLATE}, "present", "gitlab-mr"),
    ({".gitlab/issue_templates/Bug.md": TEMPLATE}, "present", "gitlab-issue"),
    ({"docs/pull_request_template.md": TEMPLATE}, "present", "docs-pr"),
    ({".github/ISSUE_TEMPLATE/config.yml": "blank_issues_enabled: false\n"}, "absent", "config-only"),
    ({".github/PULL_REQUEST_TEMPLATE.md": ""}, "absent", "empty"),
    ({"templates/pull_request.md": TEMPLATE}, "absent", "elsewhere"),
])
def test_templates(make_repo, files, expected):
    assert verdict(files, TEMPLATES, make_repo) == expected


PRE_COMMIT = "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.4.0\n    hooks:\n      - id: ruff\n"
WORKFLOW = "on: push\njobs:\n  check:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n{steps}"


@check([
    ({".pre-commit-config.yaml": PRE_COMMIT}, "present", "pre-commit"),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, "present", "pyproject-ruff"),
    ({"pyproject.toml": "[tool.black]\nline-length = 100\n[tool.mypy]\nstrict = true\n"}, "present", "pyproject-black-mypy"),
    ({"setup.cfg": "[metadata]\nname = x\n\n[flake8]\nmax-line-length = 100\n"}, "present", "setup-cfg-flake8"),
    ({".flake8": "[flake8]\nmax-line-length = 100\n"}, "present", "dot-flake8"),
    ({"mypy.ini": "[mypy]\nstrict = True\n"}, "present", "mypy-ini"),
    ({"web/eslint.config.js": "export default [];\n"}, "present", "eslint"),
    ({".github/workflows/ci.yml": WORKFLOW.format(steps="      - run: uv run ruff check .\n")}, "present", "ci-ruff"),
    ({".github/workflows/ci.yml": WORKFLOW.format(steps="      - name: Lint\n        run: mdwrap --check docs\n")},
     "present", "ci-named-lint-step"),
    ({".github/workflows/ci.yml": WORKFLOW.format(steps="      - uses: psf/black@stable\n")}, "present", "ci-action"),
    ({".gitlab-ci.yml": "lint:\n  script:\n    - pip install flake8\n    - python -m flake8 src\n"}, "present", "gitlab-ci"),
    ({"Makefile": "lint:\n\t@poetry run black --check .\n"}, "present", "makefile-lint"),
    # a pytest plugin that lints every collected file (pytest-black, pytest-flake8)
    ({".github/workflows/ci.yml": WORKFLOW.format(steps="      - run: pytest tests --large -vv --black\n")},
     "present", "pytest-black"),
    ({".pipelines/pr.yml": "pr: [main]\nsteps:\n  - template: templates/quality.yml\n",
      ".pipelines/templates/quality.yml": "steps:\n  - script: |\n      flake8 --format junit-xml\n"},
     "present", "azure-template-flake8"),
    ({"Jenkinsfile": "pipeline {\n  stages {\n    stage('Lint') {\n      steps { sh 'python -m pylint src' }\n    }\n  }\n}\n"},
     "present", "jenkins-pylint"),
    # traps
    ({"requirements-dev.txt": "ruff==0.4.0\nblack\n"}, "declared", "linter-only-in-requirements"),
    ({".editorconfig": "root = true\n[*]\nindent_style = space\n"}, "declared", "editorconfig-alone"),
    ({"README.md": "We format with black and lint with ruff.\n"}, "absent", "prose-only"),
    ({"Makefile": "colours:\n\t@echo black\n"}, "absent", "black-as-a-word"),
    ({".pre-commit-config.yaml": "repos: []\n"}, "absent", "pre-commit-without-hooks"),
    ({".pre-commit-config.yaml": "repos: [\n  - bad"}, "error", "pre-commit-unparsable"),
    ({".github/workflows/ci.yml": WORKFLOW.format(steps="      - name: Lint\n        run: pip install -r req.txt\n")},
     "absent", "lint-step-that-only-installs"),
    ({"{{cookiecutter.slug}}/.pre-commit-config.yaml": PRE_COMMIT}, "absent", "unrendered-template"),
    ({"azure-pipelines.yml": "steps:\n  - script: flake8 src\n    continueOnError: true\n"}, "absent", "azure-lint-cannot-fail"),
    ({"docs/examples/azure/ci.yml": "trigger: [main]\npool: {vmImage: ubuntu-latest}\nsteps:\n  - script: flake8 src\n"},
     "absent", "azure-lint-in-a-docs-example"),
])
def test_code_quality(make_repo, files, expected):
    assert verdict(files, CODE_QUALITY, make_repo) == expected


BLACK_STEP = "      - run: black --check .\n"
IGNORED_JOB = ("on: push\njobs:\n  style:\n    runs-on: ubuntu-latest\n    continue-on-error: true\n"
               "    steps:\n      - uses: actions/checkout@v4\n" + BLACK_STEP)


def code_quality(files: dict, make_repo) -> list:
    return [e for e in run_detector(CollaborationDetector, make_repo(files)) if e.signal == CODE_QUALITY]


@pytest.mark.parametrize("files, summaries", [
    ({".github/workflows/x.yml": WORKFLOW.format(steps=BLACK_STEP + "        continue-on-error: true\n")},
     ["black run in .github/workflows/x.yml, but it cannot fail the build (continue-on-error or a disabled step)"]),
    ({".github/workflows/x.yml": IGNORED_JOB},
     ["black run in .github/workflows/x.yml, but it cannot fail the build (continue-on-error or a disabled step)"]),
    ({".gitlab-ci.yml": "lint:\n  allow_failure: true\n  script:\n    - flake8 src\n"},
     ["flake8 run in .gitlab-ci.yml, but it cannot fail the build (allow_failure or when: never)"]),
    # a linter listed as a dependency is still named when its CI run is ignored
    ({".github/workflows/x.yml": IGNORED_JOB, "requirements-dev.txt": "black==24.1.0\n"},
     ["black run in .github/workflows/x.yml, but it cannot fail the build (continue-on-error or a disabled step)",
      "black listed as a dependency in requirements-dev.txt, but not configured or run"]),
])
def test_a_lint_run_that_cannot_fail_the_build_is_declared(make_repo, files, summaries):
    evidence = code_quality(files, make_repo)
    assert [e.summary for e in evidence] == summaries
    assert not any(e.counts for e in evidence) and evidence[0].tier is Tier.DECLARED


@pytest.mark.parametrize("files, counted", [
    # continue-on-error: false is the default: failures fail the build
    ({".github/workflows/x.yml": WORKFLOW.format(steps=BLACK_STEP + "        continue-on-error: false\n")},
     "black run in .github/workflows/x.yml"),
    # a later step of the same workflow that can fail
    ({".github/workflows/x.yml": WORKFLOW.format(
        steps=BLACK_STEP + "        continue-on-error: true\n      - run: ruff check .\n")},
     "ruff run in .github/workflows/x.yml"),
    # another workflow
    ({".github/workflows/a.yml": IGNORED_JOB, ".github/workflows/b.yml": WORKFLOW.format(steps="      - run: mypy src\n")},
     "mypy run in .github/workflows/b.yml"),
    # another GitLab job
    ({".gitlab-ci.yml": "style:\n  allow_failure: true\n  script: [black --check .]\n"
                        "typecheck:\n  script: [mypy src]\n"}, "mypy run in .gitlab-ci.yml"),
    # the linter's own configuration
    ({".github/workflows/x.yml": IGNORED_JOB, "pyproject.toml": "[tool.ruff]\nline-length = 100\n"},
     "ruff configured in pyproject.toml"),
    ({".github/workflows/x.yml": IGNORED_JOB, ".pre-commit-config.yaml": PRE_COMMIT},
     "pre-commit hooks in .pre-commit-config.yaml: ruff"),
])
def test_an_ignored_lint_run_does_not_hide_one_that_counts(make_repo, files, counted):
    evidence = code_quality(files, make_repo)
    assert [e.summary for e in evidence if e.counts] == [counted]
    assert all(e.tier is Tier.DECLARED for e in evidence if not e.counts)


MODULES = {"demo/__init__.py": "", "demo/data.py": "X = 1\n", "demo/train.py": "Y = 2\n"}


@check([
    ({"pyproject.toml": PYPROJECT, **MODULES}, "present", "pyproject-package"),
    ({"pyproject.toml": PYPROJECT, "src/demo/data.py": "", "src/demo/train.py": ""}, "present", "src-namespace-layout"),
    ({"setup.py": "from setuptools import setup\nsetup(name='demo')\n", **MODULES}, "present", "setup-py"),
    ({"pyproject.toml": '[tool.poetry]\nname = "demo"\n', **MODULES}, "present", "poetry"),
    (MODULES, "present", "package-without-manifest"),
    ({"src/prepare.py": "", "src/train.py": "", "dvc.yaml": "stages: {}\n"}, "present", "flat-src-modules"),
    ({"core/src/train.py": "", "core/src/score.py": "", "core/jobs/train.yml": "x: 1\n"}, "present", "nested-flat-src"),
    # a stray __init__.py at the root does not hide the packages under it
    ({"__init__.py": "", "logger.py": "", "src/__init__.py": "", "src/data/__init__.py": "", "src/data/ingest.py": "",
      "src/models/train.py": ""}, "present", "root-init-over-packages"),
    # traps
    ({"src/train.py": "", "notebooks/a.ipynb": "{}"}, "absent", "one-src-module"),
    ({"__init__.py": "", "train.py": ""}, "absent", "root-init-over-one-script"),
    ({"scripts/prepare.py": "", "scripts/train.py": ""}, "absent", "loose-scripts-folder"),
    ({"examples/demo/src/a.py": "", "examples/demo/src/b.py": ""}, "absent", "an-examples-src"),
    ({"train.py": "", "predict.py": "", "sentiment_analysis_using_lstms.py": "# coding: utf-8\n", "nb.ipynb": "{}"},
     "absent", "loose-scripts-and-notebook-exports"),
    ({"pyproject.toml": PYPROJECT, "notebook.ipynb": "{}"}, "declared", "manifest-stub-without-code"),
    ({"pyproject.toml": "[tool.ruff]\nline-length = 88\n", "a.py": "", "b.py": ""}, "absent", "tool-config-is-not-a-manifest"),
    ({"tests/__init__.py": "", "tests/test_a.py": "", "tests/test_b.py": ""}, "absent", "test-suite-only"),
    ({"1 - Scraper/spiders/__init__.py": "", "1 - Scraper/spiders/spider.py": ""}, "absent", "one-module-package"),
    ({"venv/lib/python3.11/site-packages/pkg/__init__.py": "", "venv/lib/python3.11/site-packages/pkg/a.py": "",
      "venv/lib/python3.11/site-packages/pkg/b.py": ""}, "absent", "vendored-site-packages"),
])
def test_packaged_code(make_repo, files, expected):
    assert verdict(files, PACKAGED, make_repo) == expected


AIRFLOW_DAG = ("import sys\nfrom airflow import DAG\nsys.path.append('/opt/airflow/dags')\n"
               "from tasks.train_model import train_model\nfrom tasks.evaluate import evaluate\n")
TASKS = {"dags/tasks/train_model.py": "def train_model():\n    pass\n",
         "dags/tasks/evaluate.py": "def evaluate():\n    pass\n"}
UTILS = {"utils/io.py": "def load(p):\n    return p\n", "utils/plots.py": "def plot(x):\n    return x\n"}
TRAIN_WITH_UTILS = "from utils.io import load\nimport utils.plots\n\nutils.plots.plot(load('d.csv'))\n"


def notebook(*cells: str) -> str:
    return json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": c} for c in cells]})


@check([
    ({"dags/train_dag.py": AIRFLOW_DAG, **TASKS}, "present", "airflow-tasks-folder-on-the-path"),
    ({"train.py": TRAIN_WITH_UTILS, **UTILS}, "present", "utils-folder"),
    # a folder's modules importing each other through it
    ({"pipeline/prepare.py": "def prepare():\n    pass\n",
      "pipeline/train.py": "from pipeline.prepare import prepare\n", "run.py": "import pipeline.train\n"},
     "present", "modules-importing-each-other"),
    ({"pyproject.toml": PYPROJECT, "train.py": TRAIN_WITH_UTILS, **UTILS}, "present", "manifest-over-a-namespace-folder"),
    # relative imports between a folder's modules: only a package imports so (``uvicorn app.main:app``)
    ({"app/main.py": "from fastapi import FastAPI\nfrom .schema import Input\nfrom . import model\n",
      "app/schema.py": "class Input:\n    pass\n", "app/model.py": "def predict(x):\n    return x\n"},
     "present", "relative-imports-in-a-namespace-folder"),
    # traps
    ({"app/main.py": "from .schema import Input\n# from .model import predict\n", "app/schema.py": "X = 1\n",
      "app/notes.py": "text = 'from .model import predict'\n"}, "absent", "one-relative-import-and-words"),
    # flat scripts at the root with a helpers folder beside them
    ({"main_pretrain.py": TRAIN_WITH_UTILS, "main_finetune.py": TRAIN_WITH_UTILS, "engine.py": "import utils.io\n",
      **UTILS}, "absent", "flat-root-scripts-with-a-helpers-folder"),
    ({"jobs/a.py": "import os\n", "jobs/b.py": "import sys\n", "run.py": "import os\n"}, "absent", "scripts-nobody-imports"),
    ({"train.py": "from utils.io import load\n", **UTILS}, "absent", "one-imported-helper"),
    ({"analysis.ipynb": notebook("from utils.io import load\nfrom utils.plots import plot\n"), **UTILS},
     "absent", "helpers-only-notebooks-import"),
    ({"analysis.py": "# Databricks notebook source\nfrom utils.io import load\nfrom utils.plots import plot\n", **UTILS},
     "absent", "helpers-only-a-notebook-export-imports"),
    ({"tests/helpers/a.py": "", "tests/helpers/b.py": "", "tests/test_x.py": "from helpers.a import f\nfrom helpers.b import g\n"},
     "absent", "test-helpers-imported-by-tests"),
    ({"examples/demo.py": "from utils.io import load\nfrom utils.plots import plot\n", **UTILS},
     "absent", "helpers-only-an-example-imports"),
    ({"train.py": "# from utils.io import load\nprint('from utils.plots import plot')\n", **UTILS},
     "absent", "imports-in-a-comment-and-a-string"),
    ({"train.py": "from sklearn.model_selection import train_test_split\nfrom os.path import join\n",
      "model_selection/a.py": "", "path/b.py": ""}, "absent", "third-party-dotted-imports"),
])
def test_packaged_code_imported_through_a_folder(make_repo, files, expected):
    assert verdict(files, PACKAGED, make_repo) == expected


def test_an_imported_folder_layout_points_at_an_import(make_repo):
    root = make_repo({"dags/train_dag.py": AIRFLOW_DAG, **TASKS, "README.md": "# x\n"})
    [ev] = [e for e in run_detector(CollaborationDetector, root) if e.signal == PACKAGED]
    assert ev.summary == ("modular package layout: dags/tasks (modules imported through the folder, "
                          "e.g. tasks.evaluate in dags/train_dag.py)")
    assert (ev.locations[0].path, ev.locations[0].line) == ("dags/train_dag.py", 5)
    assert ev.attributes["imported"] == {"dags/tasks": ["dags/tasks/evaluate.py", "dags/tasks/train_model.py"]}


def _built(command: str) -> dict[str, str]:
    """A workflow that builds (and publishes) the documentation."""
    return {".github/workflows/docs.yml": "on:\n  push:\n    branches: [main]\njobs:\n  docs:\n    runs-on: ubuntu-latest\n"
                                          f"    steps:\n      - uses: actions/checkout@v4\n      - run: {command}\n"}


SPHINX_QUICKSTART_MAKEFILE = "SPHINXBUILD   ?= sphinx-build\nSOURCEDIR = source\nhelp:\n\t@$(SPHINXBUILD) -M help\n"


@check([
    ({"mkdocs.yml": "site_name: Demo\nnav:\n  - index.md\n", **_built("mkdocs gh-deploy --force")}, "present", "mkdocs"),
    ({"docs/conf.py": "project = 'demo'\nextensions = ['sphinx.ext.autodoc']\n",
      "Makefile": "docs:\n\tsphinx-build docs docs/_build\n"}, "present", "sphinx"),
    ({"docs/conf.py": "project = 'demo'\nextensions = ['sphinx.ext.autodoc']\n",
      "docs/Makefile": SPHINX_QUICKSTART_MAKEFILE, **_built("make -C docs html")}, "present", "sphinx-make-html-in-ci"),
    ({"website/docusaurus.config.js": "module.exports = {};\n",
      "website/package.json": '{"scripts": {"build": "docusaurus build"}}'}, "present", "docusaurus"),
    ({".readthedocs.yaml": "version: 2\n"}, "present", "readthedocs"),
    # Jekyll where GitHub Pages builds it; a Jupyter Book's _config.yml or a nested one is not that
    ({"docs/_config.yml": "# Build settings\nmarkdown: kramdown\ntheme: minima\n", "docs/blog.md": "# Post\n"},
     "present", "jekyll-github-pages"),
    ({"_config.yml": "title: My book\nexecute:\n  execute_notebooks: off\n"}, "absent", "jupyter-book-config-alone"),
    ({"site/blog/_config.yml": "theme: minima\n"}, "absent", "nested-jekyll"),
    ({"book/_config.yml": "title: Demo\n", "book/_toc.yml": "format: jb-book\nroot: intro\n",
      **_built("jupyter-book build book/")}, "present", "jupyter-book"),
    ({"_quarto.yml": "project:\n  type: website\n", **_built("quarto publish gh-pages")}, "present", "quarto"),
    ({"zensical.toml": '[project]\nsite_name = "Demo"\n', **_built("zensical build")}, "present", "zensical"),
    ({"manuscript/_bookdown.yml": 'book_filename: "book"\noutput_dir: "docs"\n',
      "manuscript/index.Rmd": "# Preface\n", "build.sh": "Rscript -e 'bookdown::render_book(\"index.Rmd\")'\n"},
     "present", "bookdown"),
    ({"manuscript/index.Rmd": "# Preface\n", "manuscript/01-intro.Rmd": "# Intro\n"}, "absent", "rmarkdown-without-bookdown"),
    # a project template's stub that nothing builds or publishes: shown, not counted
    ({"docs/source/conf.py": "project = 'demo'\nextensions = ['sphinx.ext.autodoc']\n",
      "docs/Makefile": SPHINX_QUICKSTART_MAKEFILE}, "declared", "sphinx-stub-nothing-builds"),
    ({"mkdocs.yml": "site_name: Demo\n", "pyproject.toml": "[project]\nname = 'x'\ndependencies = ['mkdocs>=1.5']\n"},
     "declared", "mkdocs-only-a-dependency"),
    # pages written for the site: built by hand, still a site (the stub's own index is not one)
    ({"docs/source/conf.py": "project = 'demo'\nhtml_theme = 'furo'\n", "docs/Makefile": SPHINX_QUICKSTART_MAKEFILE,
      "docs/source/index.rst": "Demo\n====\n", "docs/source/pipelines/training.rst": "Training\n========\n",
      "docs/source/pipelines/features.rst": "Features\n========\n"}, "present", "sphinx-pages-built-by-hand"),
    ({"mkdocs.yml": "site_name: Demo\n", "docs/index.md": "# Demo\n", "docs/usage.md": "# Usage\n",
      "docs/api.md": "# API\n"}, "present", "mkdocs-pages-built-by-hand"),
    # ... but not the docs of a library kept in the repository (a top folder with its own licence and setup)
    ({"apex/docs/source/conf.py": "project = 'apex'\nhtml_theme = 'furo'\n", "apex/LICENSE": "BSD\n",
      "apex/setup.py": "from setuptools import setup\nsetup(name='apex')\n",
      "apex/docs/source/amp.rst": "AMP\n===\n", "apex/docs/source/optimizers.rst": "Optimizers\n==========\n"},
     "declared", "a-kept-librarys-docs"),
    ({"docs/source/conf.py": "project = 'demo'\nhtml_theme = 'furo'\n", "docs/source/index.rst": "Demo\n",
      "docs/source/readme.md": "# x\n", "docs/source/changelog.md": "# y\n"}, "declared", "sphinx-stub-index-only"),
    # traps
    ({"docs/architecture.md": "# Architecture\n", "docs/setup.md": "# Setup\n"}, "absent", "plain-markdown-folder"),
    ({"_config.yml": "theme: jekyll-theme-minimal\n"}, "absent", "jekyll-config-alone"),
    ({"app/conf.py": "DEBUG = True\n"}, "absent", "app-config-named-conf"),
    ({"{{cookiecutter.slug}}/mkdocs.yml": "site_name: x\n"}, "absent", "unrendered-template"),
])
def test_docs_site(make_repo, files, expected):
    assert verdict(files, DOCS_SITE, make_repo) == expected


def _pages_workflow(build: str, job_if: str = "") -> str:
    return ("on:\n  release:\n    types: [published]\njobs:\n  pages:\n    runs-on: ubuntu-latest\n" + job_if +
            "    steps:\n      - uses: actions/checkout@v4\n      - run: " + build + "\n"
            "      - uses: actions/upload-pages-artifact@v3\n        with:\n          path: docs/\n"
            "      - uses: actions/deploy-pages@v4\n")


@check([
    ({".github/workflows/cd.yml": _pages_workflow("uv run pdoc --output-directory=docs src/pkg")}, "present", "pdoc-in-ci"),
    ({".github/workflows/cd.yml": _pages_workflow("make docs"),
      "Makefile": "docs:\n\tpydoc-markdown > docs/api.md\n"}, "present", "generator-through-make"),
    # traps: a pages job that publishes a web app, a disabled docs job, pdoc only as a dependency
    ({".github/workflows/cd.yml": _pages_workflow("npm run build")}, "absent", "pages-of-a-web-app"),
    ({".github/workflows/cd.yml": _pages_workflow("pdoc -o docs src/pkg", "    if: false\n")}, "absent",
     "disabled-docs-job"),
    ({"requirements-dev.txt": "pdoc==14.4\n", "src/pkg/__init__.py": ""}, "absent", "pdoc-as-dependency"),
])
def test_docs_site_built_by_ci_without_a_config_file(make_repo, files, expected):
    assert verdict(files, DOCS_SITE, make_repo) == expected


@check([
    ({"Makefile": ".PHONY: test\ntest:\n\tpytest -q\n"}, "present", "makefile"),
    ({"justfile": "test:\n    pytest -q\n"}, "present", "justfile"),
    ({"tox.ini": "[tox]\nenvlist = py311\n\n[testenv]\ncommands = pytest\n"}, "present", "tox"),
    ({"noxfile.py": "import nox\n\n@nox.session\ndef tests(session):\n    session.run('pytest')\n"}, "present", "nox"),
    ({"tasks.py": "from invoke import task\n\n@task\ndef build(c):\n    c.run('make')\n"}, "present", "invoke"),
    # invoke's tasks package, or a tasks.py gathering the modules of tasks/ into collections
    ({"tasks/__init__.py": "from invoke import Collection\nfrom . import train\n\nns = Collection(train)\n",
      "tasks/train.py": "from invoke import task\n\n@task\ndef train(c):\n    c.run('python -m app.train')\n"},
     "present", "invoke-package"),
    ({"tasks.py": "from invoke import Collection\nimport importlib.util\n",
      "tasks/train.py": "from invoke import task\n\n@task\ndef train(c):\n    c.run('python -m app.train')\n"},
     "present", "invoke-collection"),
    # a folder called tasks that invoke never loads (no package, no tasks.py)
    ({"tasks/train.py": "from invoke import task\n\n@task\ndef train(c):\n    c.run('python -m app.train')\n"},
     "absent", "tasks-folder-invoke-never-loads"),
    ({"pyproject.toml": '[tool.poe.tasks]\ntest = "pytest"\n'}, "present", "poe"),
    ({"Taskfile.yml": "version: '3'\ntasks:\n  test:\n    cmds: [pytest]\n"}, "present", "taskfile"),
    ({"mise.toml": '[tasks.test]\nrun = "pytest"\n'}, "present", "mise"),
    ({".projen/tasks.json": '{"tasks": {"test": {"name": "test", "steps": [{"exec": "jest"}]}}}'}, "present", "projen"),
    ({"config/tasks.json": '{"tasks": {"test": {"steps": []}}}'}, "absent", "tasks-json-of-no-runner"),
    # traps
    ({"Makefile": "PYTHON := python3\n.PHONY: all\n"}, "absent", "variables-only"),
    ({"docs/Makefile": "SPHINXBUILD ?= sphinx-build\nhelp:\n\t@$(SPHINXBUILD) -M help\n"}, "absent", "sphinx-makefile"),
    ({"third/party/lib/x/Makefile": "all:\n\tcc x.c\n"}, "absent", "deep-sub-build"),
    ({"noxfile.py": "def tests():\n    pass\n"}, "absent", "noxfile-without-sessions"),
    ({"README.md": "Run `make test` to test.\n"}, "absent", "prose-only"),
])
def test_task_runner(make_repo, files, expected):
    assert verdict(files, TASK_RUNNER, make_repo) == expected


COMPOSE = "services:\n  api:\n    build: .\n    ports: ['8000:8000']\n"


@check([
    ({".devcontainer/devcontainer.json": '{"image": "mcr.microsoft.com/devcontainers/python:3.11"}'}, "present", "devcontainer"),
    ({"ga4-mlops/.devcontainer/devcontainer.json": '{"image": "mcr.microsoft.com/devcontainers/python:3.11"}'},
     "present", "subproject-devcontainer"),
    ({"a/b/.devcontainer/devcontainer.json": '{"image": "mcr.microsoft.com/devcontainers/python:3.11"}'},
     "absent", "deeply-nested-devcontainer"),
    ({"docker-compose.yml": COMPOSE}, "present", "compose"),
    ({"compose.yaml": COMPOSE}, "present", "compose-v2-name"),
    ({"infra/compose/docker-compose.dev.yml": COMPOSE}, "present", "nested-dev-compose"),
    ({".gitpod.yml": "tasks:\n  - init: pip install -e .\n"}, "present", "gitpod"),
    ({"flake.nix": "{ outputs = { self, nixpkgs }: { devShells.x86_64-linux.default = 1; }; }\n"}, "present", "nix-flake"),
    # traps
    ({"docker-compose.yml": "version: '3'\n"}, "absent", "compose-without-services"),
    # the stack an integration test suite starts (a mocked S3) develops nothing
    ({"integration-tests/docker-compose.yaml": COMPOSE}, "declared", "compose-of-a-test-suite"),
    # a compose file listing images to build, none of them run: a build script, not a dev stack
    ({"docker-compose.yaml": "services:\n  api:\n    image: api\n    build:\n      context: deployment/api\n"
                             "  mlflow:\n    image: mlflow\n    build: deployment/mlflow\n"}, "absent", "compose-builds-only"),
    ({"docker-compose.prod.yml": COMPOSE}, "declared", "production-compose-only"),
    # the stacks a deployment folder ships to a server, unless named for local use
    ({"deployment/docker/docker-compose.server.yml": COMPOSE,
      "deployment/docker/docker-compose.monitoring.yml": COMPOSE}, "declared", "deployment-folder-compose"),
    ({"deploy/compose.local.yml": COMPOSE}, "present", "local-compose-in-deploy-folder"),
    ({"Dockerfile": "FROM python:3.11\n"}, "absent", "dockerfile-alone"),
    ({"flake.nix": "{ outputs = { self }: { packages.default = 1; }; }\n"}, "absent", "flake-without-dev-shell"),
])
def test_dev_env(make_repo, files, expected):
    assert verdict(files, DEV_ENV, make_repo) == expected


@pytest.mark.parametrize("line, expected", [
    ("pip install -e .", True), ("$ docker compose up -d", True), ("make", True),
    ("python train.py", True), ("python -m demo", True), ("scrapy crawl x -o out.csv", True),
    ("python 3.10", False), ("model.fit(x)", False), ("x = run --fast", False), ("# pip install x", False),
])
def test_looks_like_command(line, expected):
    assert looks_like_command(line) is expected


def test_make_targets_need_a_recipe():
    text = "VAR := 1\n.PHONY: a b\na:\n\techo a\nb: a\n\nc: ; echo c\n"
    assert make_targets(text) == ["a", "c"]


def test_evidence_points_at_the_setup_heading(make_repo):
    root = make_repo({"README.md": "# Demo\n\nIntro.\n\n## Quick start\n\n```sh\nmake dev\n```\n"})
    [ev] = [e for e in run_detector(CollaborationDetector, root) if e.signal == README]
    assert ev.locations[0].path == "README.md" and ev.locations[0].line == 5
    assert ev.attributes["command"] == "make dev" and ev.locations[0].sha256


def test_malformed_files_never_crash(make_repo):
    root = make_repo({
        "pyproject.toml": "[project\nname = ",
        "docker-compose.yml": "services: [\n",
        ".github/workflows/ci.yml": "jobs: {lint: [",
        "mkdocs.yml": b"\x00\x01site_name\xff",
        "Makefile": "a:" * 5000,
        "README.md": "# " + " " * 20000 + "x\n" + "`" * 10000,
        "tasks.py": "def (:\n",
    })
    evidence = run_detector(CollaborationDetector, root)
    assert present(evidence) == set()
