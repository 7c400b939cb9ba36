"""Governance detector and governance catalogue entries: positive cases and traps."""
from __future__ import annotations

import pytest
from conftest import declared, git, present, run_detector

from detectors.governance import GovernanceDetector
from detectors.tools import ToolUsageDetector
from scanner.model import Outcome, Tier

LICENSE = "governance.license"
MODEL_CARD = "governance.model_card"
CODEOWNERS = "governance.codeowners"
SECURITY = "governance.security_policy"
DEPENDENCY_UPDATES = "governance.dependency_updates"
CHANGELOG = "governance.changelog_releases"
FAIRNESS = "governance.fairness_explainability"

MIT = "MIT License\n\nCopyright (c) 2024 Someone\n\nPermission is hereby granted, free of charge...\n"

MODEL_CARD_TEXT = """\
# Model card: churn classifier

## Intended use
Ranks existing customers by churn risk for the retention team. Not for credit decisions.

## Training data
Twelve months of anonymised subscription events from the EU region, 1.2M customers.

## Metrics
ROC AUC 0.87 and F1 0.64 on the 2024-Q1 hold-out month.

## Limitations
Under-represents customers younger than six months; scores drift after pricing changes.
"""

MODEL_CARD_TEMPLATE = """\
---
license: mit
---
# Model Card for {{ model_id }}

## Model Details
[More Information Needed]

## Uses
[More Information Needed]

## Bias, Risks, and Limitations
[More Information Needed]

## Evaluation
[More Information Needed]
"""

README_WITH_CARD = """\
# Demand forecasting

## Dataset
The Rossmann store sales data: daily sales, promotions and holidays for 1,115 stores over
two and a half years, split chronologically into training and validation windows.

## Results
Walk-forward backtesting with expanding windows on the original sales scale.

| Model | RMSE |
|---|---:|
| Baseline | 792.37 |
| Tuned | 690.49 |

## Limitations
- point forecasts only, no prediction intervals are produced by the serving API;
- the drift experiment is synthetic and shows behaviour rather than business impact.
"""

README_PLAIN = """\
# Platform

## Quick start
Run `make up` and open http://localhost. The API documentation lives under /docs and the
web interface under /. Accounts are created by the admin user on first start.

## Security posture
Secrets come from the environment; rotate them before exposing the platform to a network.
"""

CHANGELOG_TEXT = "# Changelog\n\n## [1.2.0] - 2024-05-01\n### Added\n- drift report\n\n## [1.1.0] - 2024-03-01\n"

CARD_WRITER = """\
from pathlib import Path


def generate_model_card(metrics: dict, out: Path) -> Path:
    path = out / "model_card.md"
    lines = ["# Model Card\\n", "## Metrics (test)\\n"]
    lines += [f"- {k}: {v}\\n" for k, v in metrics.items()]
    lines.append("## Limitations\\n- Trained on synthetic data only.\\n")
    path.write_text("".join(lines))
    return path
"""
CARD_CALLER = "from pkg.model_card import generate_model_card\n\ndef main(m, out):\n    generate_model_card(m, out)\n"

POSITIVE = [
    ("LICENSE", {"LICENSE": MIT}, LICENSE),
    ("LICENSE.md", {"LICENSE.md": MIT}, LICENSE),
    ("COPYING", {"COPYING": "GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007\n"}, LICENSE),
    ("REUSE folder", {"LICENSES/Apache-2.0.txt": "Apache License\nVersion 2.0, January 2004\n"}, LICENSE),
    ("model card file", {"docs/MODEL_CARD.md": MODEL_CARD_TEXT}, MODEL_CARD),
    ("model cards folder", {"model_cards/lit.md": MODEL_CARD_TEXT}, MODEL_CARD),
    ("README model documentation", {"README.md": README_WITH_CARD}, MODEL_CARD),
    ("model hub card", {"README.md": "---\nlibrary_name: sklearn\npipeline_tag: tabular-classification\n---\n"
                                     + MODEL_CARD_TEXT}, MODEL_CARD),
    ("model card written by training code", {"pkg/model_card.py": CARD_WRITER, "pkg/train.py": CARD_CALLER},
     MODEL_CARD),
    ("codeowners in .github", {".github/CODEOWNERS": "# owners\n* @org/ml-team\n/src/ @alice\n"}, CODEOWNERS),
    ("codeowners at root", {"CODEOWNERS": "*.py alice@example.org\n"}, CODEOWNERS),
    ("security policy", {"SECURITY.md": "# Security\n\nReport vulnerabilities privately to security@example.org.\n"},
     SECURITY),
    ("security policy in .github", {".github/SECURITY.md": (
        "## Reporting\nPlease use GitHub private vulnerability reporting for this repository.\n")}, SECURITY),
    ("dependabot", {".github/dependabot.yml": (
        "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    schedule:\n      interval: weekly\n")},
     DEPENDENCY_UPDATES),
    ("renovate.json", {"renovate.json": '{"extends": ["config:recommended"]}'}, DEPENDENCY_UPDATES),
    ("renovate in .github", {".github/renovate.json5": "{ extends: ['config:base'] }\n"}, DEPENDENCY_UPDATES),
    ("renovate key in package.json", {"package.json": '{"name": "x", "renovate": {"extends": ["config:base"]}}'},
     DEPENDENCY_UPDATES),
    ("changelog", {"CHANGELOG.md": CHANGELOG_TEXT}, CHANGELOG),
    ("changelog of a repository that is a chart", {"Chart.yaml": "apiVersion: v2\nname: api\n",
                                                   "CHANGELOG.md": CHANGELOG_TEXT}, CHANGELOG),
    ("rst history", {"HISTORY.rst": "History\n=======\n\n0.3.1 (2023-02-01)\n------------------\n* Fix.\n"},
     CHANGELOG),
    ("release-please", {"release-please-config.json": '{"packages": {".": {}}}'}, CHANGELOG),
]


@pytest.mark.parametrize("files,signal", [pytest.param(f, s, id=i) for i, f, s in POSITIVE])
def test_detects(make_repo, files, signal):
    evidence = run_detector(GovernanceDetector, make_repo(files))
    assert signal in present(evidence)
    hit = next(e for e in evidence if e.counts)
    assert hit.locations[0].path in files


TRAPS = [
    ("licence only claimed in README", {"README.md": "# X\n[![License: MIT](https://img.shields.io/badge/License-MIT-yellow.svg)]\n\n## License\nMIT\n"}, LICENSE),
    ("licence only in pyproject", {"pyproject.toml": '[project]\nname = "x"\nlicense = "MIT"\n'}, LICENSE),
    ("licence only in a subfolder", {"apps/api/LICENSE": MIT}, LICENSE),
    ("empty licence", {"LICENSE": "\n"}, LICENSE),
    ("licence-checking module", {"license.py": "def check_license(text):\n    return 'MIT' in text\n"}, LICENSE),
    ("model card template", {"MODEL_CARD.md": MODEL_CARD_TEMPLATE}, MODEL_CARD),
    ("model cards folder holding a template", {"model_cards/TEMPLATE.md": MODEL_CARD_TEMPLATE}, MODEL_CARD),
    ("hub card template", {"README.md": MODEL_CARD_TEMPLATE.replace("license: mit", "library_name: sklearn")},
     MODEL_CARD),
    ("README without model documentation", {"README.md": README_PLAIN}, MODEL_CARD),
    ("README with limitations but no metrics", {"README.md": README_WITH_CARD.replace("792.37", "high")
                                                .replace("690.49", "lower").replace("1,115", "many")},
     MODEL_CARD),
    # the limitations listed are the software's (a single-node cluster, a UI on mock data)
    ("README with the platform's limitations", {"README.md": README_WITH_CARD.replace(
        "- point forecasts only, no prediction intervals are produced by the serving API;\n"
        "- the drift experiment is synthetic and shows behaviour rather than business impact.\n",
        "- single-node K3s cluster without high availability in production;\n"
        "- the frontend falls back to mock data when the backend is offline, and routing is unfinished.\n")},
     MODEL_CARD),
    ("model card writer nobody calls", {"pkg/model_card.py": CARD_WRITER}, MODEL_CARD),
    # a guide to model cards, not a card of this project's model
    ("guidance on model cards", {"docs/practice/model-cards.md": (
        "# Model cards\n\nModel cards are a somewhat standardized form of documentation that provide an overview "
        "of an AI model: intended use and limitations, datasets, evaluation results and metrics.\n\n"
        "Keeping a model card helps with transparency.\n")}, MODEL_CARD),
    ("model card writer without limitations", {"pkg/model_card.py": CARD_WRITER.replace("Limitations", "Notes"),
                                               "pkg/train.py": CARD_CALLER}, MODEL_CARD),
    ("model card writer in tests", {"tests/model_card.py": CARD_WRITER, "tests/test_card.py": CARD_CALLER},
     MODEL_CARD),
    ("codeowners without rules", {".github/CODEOWNERS": "# fill in owners\n"}, CODEOWNERS),
    # a template nobody filled in
    ("codeowners with placeholder owners", {"CODEOWNERS": "*  @<your-user>\nfastapi/**  @<your-user> @cto-user\n"},
     CODEOWNERS),
    ("codeowners naming your-username", {".github/CODEOWNERS": "* @your-username\n"}, CODEOWNERS),
    ("codeowners in a source folder", {"src/CODEOWNERS": "* @alice\n"}, CODEOWNERS),
    ("security section in CONTRIBUTING", {"CONTRIBUTING.md": (
        "## Security\nReport vulnerabilities privately to the maintainers, not in issues.\n")}, SECURITY),
    ("empty SECURITY.md", {"SECURITY.md": "# Security\n"}, SECURITY),
    # operators' security guidance, not a way to report a vulnerability
    ("security guidance in docs", {"docs/security.md": (
        "# Security And Compliance\n\n## Baseline\n\n- Secrets must not be committed to git-tracked files.\n"
        "- Formal environments must use IAM roles instead of SSO cache mounts.\n")}, SECURITY),
    ("dependabot without updates", {".github/dependabot.yml": "version: 2\nupdates: []\n"}, DEPENDENCY_UPDATES),
    ("dependabot named in an agent file", {".claude/agents/devops.md": "Configure dependabot and renovate.\n"},
     DEPENDENCY_UPDATES),
    ("changelog template", {"CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n"}, CHANGELOG),
    ("changelog of a Helm chart copied in", {"platform/k8s/jenkins/Chart.yaml": "apiVersion: v2\nname: jenkins\n",
                                             "platform/k8s/jenkins/CHANGELOG.md": CHANGELOG_TEXT}, CHANGELOG),
    ("news data file", {"data/news.csv": "title,body\nv1.2 released,text\n"}, CHANGELOG),
    ("history prose", {"docs/history.md": "# History\n\nThe project started as a student assignment.\n"},
     CHANGELOG),
]


@pytest.mark.parametrize("files,signal", [pytest.param(f, s, id=i) for i, f, s in TRAPS])
def test_traps(make_repo, files, signal):
    assert signal not in present(run_detector(GovernanceDetector, make_repo(files)))


@pytest.mark.parametrize("files,signal", [
    pytest.param({"README.md": "# X\n\n## License\nThis project is licensed under the MIT License.\n"}, LICENSE,
                 id="README licence claim"),
    pytest.param({"MODEL_CARD.md": MODEL_CARD_TEMPLATE}, MODEL_CARD, id="model card template"),
    pytest.param({"CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n"}, CHANGELOG, id="changelog template"),
    pytest.param({".github/CODEOWNERS": "# nobody yet\n"}, CODEOWNERS, id="empty codeowners"),
])
def test_unfinished_artefacts_are_declared(make_repo, files, signal):
    assert declared(run_detector(GovernanceDetector, make_repo(files))) == {signal}


def test_malformed_dependabot_is_an_error(make_repo):
    evidence = run_detector(GovernanceDetector, make_repo({".github/dependabot.yml": "updates: [\n"}))
    assert [(e.signal, e.outcome) for e in evidence] == [(DEPENDENCY_UPDATES, Outcome.ERROR)]


def test_malformed_dependabot_with_renovate_is_not_an_error(make_repo):
    root = make_repo({".github/dependabot.yml": "updates: [\n", "renovate.json": '{"extends": []}'})
    evidence = run_detector(GovernanceDetector, root)
    assert DEPENDENCY_UPDATES in present(evidence)
    assert all(e.outcome is not Outcome.ERROR for e in evidence)


def test_dependabot_ecosystems_are_reported(make_repo):
    root = make_repo({".github/dependabot.yml": (
        "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n"
        "  - package-ecosystem: pip\n    directory: /\n")})
    (ev,) = run_detector(GovernanceDetector, root)
    assert ev.attributes["ecosystems"] == ["npm", "pip"]


def test_nothing_found_in_an_empty_repository(make_repo):
    assert run_detector(GovernanceDetector, make_repo({"src/a.py": "x = 1\n"})) == []


# -- fairness / explainability: catalogue entries read by the tools detector --------------

FAIRNESS_POSITIVE = [
    ("shap", {"analyze.py": "import shap\nexplainer = shap.TreeExplainer(model)\nvalues = explainer(X)\n"}),
    ("fairlearn", {"bias.py": "from fairlearn.metrics import MetricFrame\nMetricFrame(metrics={}, y_true=y, "
                              "y_pred=p, sensitive_features=s)\n"}),
    ("lime", {"explain.py": "from lime.lime_tabular import LimeTabularExplainer\nLimeTabularExplainer(X)\n"}),
    ("captum", {"attr.py": "from captum.attr import IntegratedGradients\nig = IntegratedGradients(model)\n"}),
]


@pytest.mark.parametrize("files", [pytest.param(f, id=i) for i, f in FAIRNESS_POSITIVE])
def test_fairness_tools_used(make_repo, files):
    assert FAIRNESS in present(run_detector(ToolUsageDetector, make_repo(files)))


FAIRNESS_TRAPS = [
    ("words in review data", {"concat.csv": "review\nsmells like lime\nbox arrived in bad shape\nshap\n",
                              "model.py": "import numpy as np\nprint(np.zeros(3).shape)\n"}),
    ("shape attribute", {"train.py": "import pandas as pd\ndf = pd.read_csv('x')\nprint(df.shape)\n"}),
    ("shap commented out", {"train.py": "# import shap\n# shap.summary_plot(v, X)\nx = 1\n"}),
    ("shap only in requirements", {"requirements.txt": "shap==0.45\n"}),
    ("shap only imported", {"train.py": "import shap  # noqa\n"}),
    ("agent instruction file", {".claude/agents/data-scientist.md": "Explain models with SHAP, LIME and fairlearn.\n"}),
    ("vendored shap", {"venv/lib/python3.11/site-packages/shap/x.py": "import shap\nshap.Explainer(m)\n"}),
]


@pytest.mark.parametrize("files", [pytest.param(f, id=i) for i, f in FAIRNESS_TRAPS])
def test_fairness_traps(make_repo, files):
    assert FAIRNESS not in present(run_detector(ToolUsageDetector, make_repo(files)))


@pytest.mark.parametrize("files, scans", [
    ({"app.py": "import aws_cdk as cdk\nfrom cdk_nag import AwsSolutionsChecks\n\napp = cdk.App()\n"
                "cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))\napp.synth()\n"}, True),
    ({"bin/app.ts": "import * as cdk from 'aws-cdk-lib';\nimport { AwsSolutionsChecks } from 'cdk-nag';\n\n"
                    "const app = new cdk.App();\ncdk.Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));\n",
      "cdk.json": '{"app": "npx ts-node bin/app.ts"}'},
     True),
    # suppressions alone check nothing; the package only in the manifest is a mention
    ({"app.py": "from cdk_nag import NagSuppressions\nNagSuppressions.add_stack_suppressions(stack, [])\n"}, False),
    ({"requirements.txt": "aws-cdk-lib==2.50.0\ncdk-nag==2.21.0\n"}, False),
])
def test_cdk_nag_rule_packs_scan_the_infrastructure(make_repo, files, scans):
    assert ("governance.security_scanning" in present(run_detector(ToolUsageDetector, make_repo(files)))) is scans


def test_release_tooling_counts_once_the_history_tags_a_release(make_repo):
    # git-cliff set up to write release notes, in a repository that has released nothing yet
    root = make_repo({".github/cliff.toml": "[changelog]\nheader = \"# Changelog\"\n", "app.py": "x = 1\n"}, git=True)
    ev = [e for e in run_detector(GovernanceDetector, root) if e.signal == CHANGELOG]
    assert ev and all(e.tier is Tier.DECLARED for e in ev) and "tags no release" in ev[0].summary
    git(root, "tag", "v1.0.0")
    ev = [e for e in run_detector(GovernanceDetector, root) if e.signal == CHANGELOG]
    assert ev and ev[0].tier is Tier.CONFIGURED
