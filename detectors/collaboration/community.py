"""Contribution workflow files: a CONTRIBUTING guide, and pull/merge request and issue templates."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.collaboration.repo import RepoFiles, more
from detectors.collaboration.signals import CONTRIBUTING, TEMPLATES
from scanner.model import Evidence, Tier

#: at the root, in .github/.gitlab, or anywhere in the documentation tree (``docs/source/md/contributing.md``)
_CONTRIBUTING = re.compile(
    r"^(?:\.github/|\.gitlab/|docs?/(?:[^/]+/)*)?(?:contributing|contribut(?:ing|ion|ions|or|ors)[_-]guide(?:lines)?)"
    r"(?:\.(?:md|rst|txt|adoc|markdown))?$", re.I)
_TEMPLATE_KINDS = (
    ("pull request template", re.compile(
        r"^(?:\.github/|docs/)?pull_request_template(?:\.md|\.txt)?$|^\.github/pull_request_template/[^/]+\.md$"
        r"|^\.gitlab/merge_request_templates/[^/]+\.md$", re.I)),
    ("issue template", re.compile(
        r"^(?:\.github/|docs/)?issue_template(?:\.md|\.txt)?$"
        r"|^\.github/issue_template/(?!config\.ya?ml$)[^/]+\.(?:md|ya?ml)$"  # config.yml is no template
        r"|^\.gitlab/issue_templates/[^/]+\.md$", re.I)),
)


def contributing_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """A CONTRIBUTING file with real content; an empty or stub one is declared."""
    candidates = [p for p in repo.files if _CONTRIBUTING.match(p)]
    real = repo.with_content(candidates, min_chars=60)
    if real:
        yield repo.found(CONTRIBUTING, f"contribution guide {real[0]}", real)
    elif candidates:
        yield repo.found(CONTRIBUTING, f"{candidates[0]} is empty or a stub", candidates,
                         tier=Tier.DECLARED)


def templates_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """Pull/merge request and issue templates with some content, one evidence per kind."""
    for kind, pattern in _TEMPLATE_KINDS:
        paths = repo.with_content([p for p in repo.files if pattern.match(p)], min_chars=20)
        if paths:
            yield repo.found(TEMPLATES, f"{kind}: {more(paths)}", paths,
                             subject=kind, kind=kind, files=len(paths))
