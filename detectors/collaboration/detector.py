"""The collaboration detector: runs each habit's check over the repository's files."""
from __future__ import annotations

from typing import Callable, Iterator

from detectors.collaboration.code_quality import code_quality_evidence
from detectors.collaboration.community import contributing_evidence, templates_evidence
from detectors.collaboration.dev_env import dev_env_evidence
from detectors.collaboration.docs_site import docs_site_evidence
from detectors.collaboration.packaging import packaged_evidence
from detectors.collaboration.readme import readme_evidence
from detectors.collaboration.repo import RepoFiles
from detectors.collaboration.signals import (CODE_QUALITY, CONTRIBUTING, DEV_ENV, DOCS_SITE, PACKAGED, README,
                                             TASK_RUNNER, TEMPLATES)
from detectors.collaboration.task_runner import task_runner_evidence
from detectors.tools import is_template_path
from scanner.detector import Detector, ScanContext
from scanner.model import Evidence

#: every check, in the order its evidence is reported.
CHECKS: tuple[Callable[[RepoFiles], Iterator[Evidence]], ...] = (
    readme_evidence, contributing_evidence, templates_evidence, docs_site_evidence, dev_env_evidence,
    code_quality_evidence, packaged_evidence, task_runner_evidence,
)


class CollaborationDetector(Detector):
    """Finds the shared engineering habits of a repository, from its files.

    * ``collaboration.readme_setup``: a root README with a setup/usage section (install,
      getting started, quick start, usage...) that holds a command a reader can type.
    * ``collaboration.contributing``: a CONTRIBUTING file (root, ``.github/``, ``docs/``).
    * ``collaboration.templates``: pull/merge request or issue templates (GitHub, GitLab).
    * ``collaboration.code_quality``: pre-commit hooks, linter/formatter configuration, or a
      linter run by CI or a task runner. A linter only listed as a dependency, or run by a CI
      step that cannot fail the build (``continue-on-error``, ``allow_failure``), is declared.
    * ``collaboration.packaged_code``: a package manifest over a real code package, or a
      modular package layout: a folder with ``__init__.py`` and several modules, modules under
      ``src/``, or a folder without ``__init__.py`` through which project modules import two or
      more of its modules by dotted names (``from tasks.train_model import ...`` with
      ``dags/tasks/train_model.py``). Imports from notebooks, tests, examples and docs do not
      count, so helpers only notebooks import are still notebooks only. A manifest stub
      without code is declared.
    * ``collaboration.docs_site``: MkDocs/Zensical, Sphinx, Docusaurus, Read the Docs, Jupyter
      Book, Quarto, mdBook, VitePress or Antora site configuration that something builds or
      publishes (Read the Docs, CI, a recipe, an image or a script); an unbuilt stub is declared.
    * ``collaboration.task_runner``: Makefile/justfile with real targets, tox, nox, invoke,
      mise, Taskfile or projen tasks, poe/pdm/hatch scripts.
    * ``collaboration.dev_env``: devcontainer, docker compose with services, Gitpod, Nix shell.
    """

    id = "collaboration"
    signals = (README, CONTRIBUTING, TEMPLATES, CODE_QUALITY, PACKAGED, DOCS_SITE, TASK_RUNNER, DEV_ENV)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        repo = RepoFiles.read(self, ctx, [p for p in ctx.files() if not is_template_path(p)])
        for check in CHECKS:
            yield from check(repo)
