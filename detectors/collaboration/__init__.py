"""Collaboration habits read from repository files: onboarding docs, contribution workflow,
code-quality tooling, packaging, docs sites, task runners and shared development environments.

Each check looks at a few files picked by path and requires real content (a README with an
install section *and* a command, a Makefile with a target that runs something, a compose file
with services): an empty or boilerplate file is at most ``declared``.
"""
from detectors.collaboration.code_quality import lint_commands
from detectors.collaboration.detector import CollaborationDetector
from detectors.collaboration.packaging import code_packages
from detectors.collaboration.readme import (looks_like_command, readme_commands, readme_headings, setup_instructions,
                                            setup_steps)
from detectors.collaboration.signals import (CODE_QUALITY, CONTRIBUTING, DEV_ENV, DOCS_SITE, PACKAGED, README,
                                             TASK_RUNNER, TEMPLATES)
from detectors.collaboration.task_runner import just_recipes, make_targets

__all__ = [
    "CollaborationDetector",
    "README", "CONTRIBUTING", "TEMPLATES", "CODE_QUALITY", "PACKAGED", "DOCS_SITE", "TASK_RUNNER", "DEV_ENV",
    "looks_like_command", "readme_commands", "readme_headings", "setup_instructions", "setup_steps",
    "make_targets", "just_recipes", "lint_commands", "code_packages",
]
