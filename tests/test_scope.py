"""Examples, docs and fixtures are not the project's own practice; evidence cites production first."""
from __future__ import annotations

import pytest

from conftest import write_tree
from scanner.engine import scan
from scanner.model import Outcome, Tier
from scanner.rules_engine import load_rules
from scanner.scope import copied_projects, is_example_path, is_test_path, rank, ranked
from scanner.sources.local import LocalRepo

TRACKED = "import mlflow\n\nwith mlflow.start_run():\n    mlflow.log_param('lr', 0.1)\n    mlflow.log_metric('acc', 0.9)\n"


def _scan(root):
    return scan(LocalRepo(root), load_rules())


@pytest.mark.parametrize("folder", ["examples/quickstart", "docs/tutorial", "tests/fixtures/proj", "samples",
                                    "course/week2", "archive/finetune"])
def test_a_practice_found_only_in_example_folders_is_declared(tmp_path, folder):
    write_tree(tmp_path, {f"{folder}/train.py": TRACKED, "src/pkg/model.py": "def fit(x):\n    return x\n",
                          "src/pkg/__init__.py": "", "src/pkg/io.py": "import os\n"})
    result = _scan(tmp_path)
    sig = result.signals["tracking.params_metrics"]
    assert sig.outcome is Outcome.ABSENT and sig.tier is Tier.DECLARED
    ev = next(e for e in result.evidence if e.signal == "tracking.params_metrics")
    # a test suite's fixtures are tests first: said as such by the detector, else by the scope
    assert "only in example, docs, fixture or archived folders" in ev.summary or "only in tests" in ev.summary


def test_the_same_practice_in_the_project_counts_and_is_cited_before_the_example(tmp_path):
    write_tree(tmp_path, {"examples/demo.py": TRACKED, "src/train.py": TRACKED})
    result = _scan(tmp_path)
    assert result.signals["tracking.params_metrics"].outcome is Outcome.PRESENT
    ev = next(e for e in result.evidence if e.signal == "tracking.params_metrics" and e.counts)
    assert ev.locations[0].path == "src/train.py"


def test_a_repository_of_nothing_but_examples_is_scored_on_them_and_says_so(tmp_path):
    write_tree(tmp_path, {"examples/a/train.py": TRACKED, "examples/b/serve.py": "x = 1\n", "README.md": "# Ex\n"})
    result = _scan(tmp_path)
    assert result.signals["tracking.params_metrics"].outcome is Outcome.PRESENT
    assert result.coverage["sources"]["repository"]["examples_only"] is True


def test_a_demo_folder_is_the_projects_own_showcase(tmp_path):
    # a research repository's demo/ app serves the project's own model: auditors count it, unlike
    # an examples/ folder showing how to use a tool
    write_tree(tmp_path, {"demo/train.py": TRACKED, "src/pkg/model.py": "def fit(x):\n    return x\n",
                          "src/pkg/__init__.py": "", "src/pkg/io.py": "import os\n"})
    assert _scan(tmp_path).signals["tracking.params_metrics"].outcome is Outcome.PRESENT
    assert not is_example_path("demo/flaskdemo.py") and not is_example_path("demos/app.py")


def test_docs_signals_are_not_demoted_in_a_docs_folder(tmp_path):
    write_tree(tmp_path, {"docs/model_card.md": "# Model card\n\n## Intended use\nx\n\n## Limitations\ny\n\n"
                                                "## Metrics\nAUC 0.9\n", "src/a.py": "import os\n"})
    result = _scan(tmp_path)
    assert all("only in example" not in e.summary for e in result.evidence if e.signal.startswith("governance."))


@pytest.mark.parametrize("path, example, test", [
    ("examples/x.py", True, False), ("docs/conf.py", True, False), ("tests/fixtures/repo/train.py", True, True),
    ("tests/test_train.py", False, True), ("src/pkg/conftest.py", False, True), ("src/sample_weights.py", False, False),
    ("src/examples_loader.py", False, False), ("pkg/demo_utils.py", False, False),
])
def test_example_and_test_paths(path, example, test):
    assert is_example_path(path) is example
    assert is_test_path(path) is test


def test_rank_puts_production_code_first():
    paths = ["tests/test_a.py", "examples/a.py", "nb/explore.ipynb", "ci.yml", "src/a.py"]
    assert ranked(paths) == ["src/a.py", "ci.yml", "nb/explore.ipynb", "tests/test_a.py", "examples/a.py"]
    assert rank("src/a.py") < rank("nb/explore.ipynb") < rank("tests/test_a.py") < rank("examples/a.py")


def test_an_examples_own_dev_environment_is_not_the_projects(tmp_path):
    write_tree(tmp_path, {"examples/translation/docker-compose.yml": "services:\n  lab:\n    image: jupyter/base\n",
                          "src/pkg/__init__.py": "", "src/pkg/a.py": "x = 1\n", "src/pkg/b.py": "y = 2\n"})
    assert _scan(tmp_path).signals["collaboration.dev_env"].outcome is Outcome.ABSENT


@pytest.mark.parametrize("workflow, counts", [
    # the repository's CI deploys what lives in the example folder: the project ships it
    ("on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n"
     "          cd examples/churn\n          python scripts/deploy_pipeline.py\n", True),
    ("on:\n  push:\n    paths:\n      - 'examples/churn/**'\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
     "    steps:\n      - run: snow stage copy examples/churn/src/train.py @STAGE\n", True),
    # a CI that builds something else leaves the example an illustration; so does one that only
    # runs the example's own tests and checks (a golden example verified)
    ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest src\n", False),
    ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest examples/churn/tests -q\n"
     "      - run: python examples/churn/verify_golden.py\n", False),
])
def test_an_example_folder_the_ci_ships_is_the_projects_own(tmp_path, workflow, counts):
    write_tree(tmp_path, {"examples/churn/src/train.py": TRACKED, "src/pkg/model.py": "def fit(x):\n    return x\n",
                          "src/pkg/__init__.py": "", "src/pkg/io.py": "import os\n",
                          ".github/workflows/deploy.yml": workflow})
    result = _scan(tmp_path)
    assert (result.signals["tracking.params_metrics"].outcome is Outcome.PRESENT) is counts


COPIED_LIBRARY = {
    # a copy of another repository, with that repository's own CI, tests, changelog and package
    "CTGAN/CTGAN/.github/workflows/tests.yml": ("on: [push]\njobs:\n  unit:\n    runs-on: ubuntu-latest\n"
                                                "    steps:\n      - uses: actions/checkout@v4\n"
                                                "      - run: pip install -e . && python -m pytest tests\n"),
    "CTGAN/CTGAN/setup.py": "from setuptools import setup\nsetup(name='ctgan', packages=['ctgan'])\n",
    "CTGAN/CTGAN/ctgan/__init__.py": "", "CTGAN/CTGAN/ctgan/synthesizer.py": "def fit(x):\n    return x\n",
    "CTGAN/CTGAN/tests/test_synthesizer.py": "from ctgan.synthesizer import fit\n\ndef test_fit():\n    assert fit(1) == 1\n",
    "CTGAN/CTGAN/HISTORY.md": "# History\n\n## 0.5.0\n\n* New sampler\n",
    "CTGAN/CTGAN/LICENSE": "MIT License\n\nCopyright (c) 2019 DAI-Lab\n",
    # the project's own code: scripts over a package of its own
    "tab/__init__.py": "", "tab/modules.py": "def mlp():\n    return 1\n", "tab/utils.py": "def seed():\n    return 0\n",
    "scripts/train.py": "from tab.modules import mlp\nfrom tab.utils import seed\n\nseed()\nmlp()\n",
    "scripts/sample.py": "from tab.modules import mlp\n\nmlp()\n",
}


def test_a_copy_of_another_repository_brings_none_of_its_practices(tmp_path):
    write_tree(tmp_path, COPIED_LIBRARY)
    result = _scan(tmp_path)
    for signal in ("deploy.ci_present", "deploy.ci_tests", "deploy.tests", "governance.changelog_releases"):
        assert result.signals[signal].outcome is not Outcome.PRESENT, signal
    ci = next(e for e in result.evidence if e.signal == "deploy.ci_present")
    assert ci.tier is Tier.DECLARED and "only in a copy of another repository" in ci.summary
    # the project's own package layout still counts, without the copy's manifest
    packaged = next(e for e in result.evidence if e.signal == "collaboration.packaged_code" and e.counts)
    assert "CTGAN" not in packaged.summary and "tab" in packaged.summary


def test_a_repository_that_is_nearly_all_one_folder_with_its_own_github_is_that_folder(tmp_path):
    # the project kept one folder down: its .github is the only one there is
    files = {k.replace("CTGAN/CTGAN/", "project/"): v for k, v in COPIED_LIBRARY.items() if k.startswith("CTGAN/")}
    write_tree(tmp_path, files)
    assert copied_projects(sorted(files)) == frozenset()


def test_a_project_skeleton_a_tool_copies_out_is_no_copy_of_another_repository():
    # its own .github, but no licence: the repository's own template of a project
    files = [k for k in COPIED_LIBRARY if k != "CTGAN/CTGAN/LICENSE"]
    assert copied_projects(files) == frozenset()
    assert copied_projects(list(COPIED_LIBRARY)) == frozenset({"ctgan/ctgan"})
