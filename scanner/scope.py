"""Which files show the project's own practice, and which only illustrate or test it.

Example, sample, tutorial and documentation folders, test fixtures and retired (archived) code
hold code that shows how a tool is used, not how this project works: what is found only there is ``declared``
(``demote_examples``), unless the repository is nothing but such folders, or its own CI builds
or deploys the example folder (then the project ships it). Evidence cites the
production module before configuration, a notebook, a test or an example (``rank``).
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Iterable

from scanner.model import Evidence, Location, Tier

#: folders whose code illustrates a practice (courses, docs, examples) or feeds tests. A demo/
#: folder is not one: it shows the project's own model (a research repository's web demo).
EXAMPLE_DIRS = frozenset({
    "example", "examples", "sample", "samples", "tutorial", "tutorials",
    "doc", "docs", "documentation", "course", "courses", "lessons", "exercises", "workshop",
    "workshops", "cookbook", "recipes", "playground", "sandbox",
})
#: folders of retired code kept for the record (``archive/finetune``): the project no longer runs it.
RETIRED_DIRS = frozenset({"archive", "archived", "attic", "deprecated", "obsolete", "graveyard"})
#: folders of test data and fixture projects (inside or beside a test suite).
FIXTURE_DIRS = frozenset({"fixtures", "__fixtures__", "testdata", "test_data", "test-data", "test_fixtures"})
TEST_DIRS = frozenset({"tests", "test", "testing", "unittests", "unit_tests", "unit-tests", "integration_tests",
                       "integration-tests", "e2e-tests", "e2e_tests"}) | FIXTURE_DIRS
_TEST_FILE = re.compile(r"(^test_.*\.py$|_test\.py$|^conftest\.py$|\.(test|spec)\.[jt]sx?$)")

#: signals about the repository itself (its docs, licence, notebooks, data files, people): a docs
#: folder is where documentation belongs, so nothing found there is demoted. An example's own
#: dev container, Makefile or package is the example's, not the project's.
REPOSITORY_SIGNALS = frozenset({
    "tracking.notebooks", "data.raw_data_committed", "governance.license", "governance.model_card",
    "governance.codeowners", "governance.security_policy", "governance.dependency_updates",
    "governance.changelog_releases", "deploy.ci_present", "deploy.tests", "collaboration.readme_setup",
    "collaboration.contributing", "collaboration.templates", "collaboration.docs_site",
    "collaboration.multiple_contributors",
})
#: below this share of code files outside example folders, the repository *is* its examples.
MIN_OWN_CODE_SHARE = 0.1
_CODE = (".py", ".ipynb", ".r", ".scala", ".sql", ".sh")


def _folders(path: str) -> list[str]:
    return path.lower().split("/")[:-1]


def is_example_path(path: str) -> bool:
    """A file in an example/sample/tutorial/docs folder, among test fixtures, or in retired code."""
    folders = _folders(path)
    return bool(EXAMPLE_DIRS.intersection(folders) or FIXTURE_DIRS.intersection(folders)
                or RETIRED_DIRS.intersection(folders))


def is_test_path(path: str) -> bool:
    """A file of a test suite (a tests/ folder, ``test_*.py``, ``*_test.py``, ``conftest.py``)."""
    base = path.lower().rsplit("/", 1)[-1]
    return bool(TEST_DIRS.intersection(_folders(path))) or bool(_TEST_FILE.search(base))


def rank(path: str) -> int:
    """How directly a file shows the practice: production module 0, other files (configs, CI,
    scripts) 1, notebook 2, test 3, example or fixture 4."""
    if is_example_path(path):
        return 4
    if is_test_path(path):
        return 3
    low = path.lower()
    if low.endswith(".ipynb"):
        return 2
    return 0 if low.endswith(".py") else 1


def ranked(paths: Iterable[str]) -> list[str]:
    """Paths ordered by ``rank``, then by name (stable and deterministic)."""
    return sorted(paths, key=lambda p: (rank(p), p))


def examples_only(files: Iterable[str]) -> bool:
    """True when (almost) all code of the repository lives in example/docs/fixture folders."""
    code = [p for p in files if p.lower().endswith(_CODE) and not is_test_path(p)]
    if not code:
        return False
    own = sum(not is_example_path(p) for p in code)
    return own / len(code) < MIN_OWN_CODE_SHARE


#: the repository's own CI files (by name: what they name is read before the CI is parsed)
_CI_FILE = re.compile(r"(^|/)\.github/workflows/[^/]+\.ya?ml$|(^|/)\.gitlab-ci\.ya?ml$|(^|/)azure-pipelines[^/]*\.ya?ml$"
                      r"|(^|/)Jenkinsfile$|(^|/)cloudbuild[^/]*\.ya?ml$|(^|/)buildspec[^/]*\.ya?ml$")
#: a folder under an example or sample folder that a CI file works in or is triggered by
#: (``cd examples/churn``, ``working-directory: examples/churn``, ``paths: ['examples/churn/**']``);
#: a script of the example run from elsewhere (``python examples/x/verify.py``) only exercises it
_EXAMPLE_ROOT = re.compile(r"(?:\bcd\s+|working-directory:\s*|^\s*-\s*['\"]?)"
                           r"\.?/?((?:[\w.-]+/)*?(?:examples?|samples?)/[\w.-]+)(?=/\*\*|['\"]?\s*$|\s|/?$)", re.I | re.M)


def ci_built_examples(files: Iterable[str], read: Callable[[str], str | None]) -> frozenset[str]:
    """Folders under an example folder that the repository's own CI builds, tests or deploys
    (``cd examples/ml-churn-prediction``, ``paths: examples/ml-churn-prediction/**``): the project
    ships them, so they are its own code, whatever the folder is called."""
    roots: set[str] = set()
    for path in files:
        if _CI_FILE.search(path) and not is_example_path(path):
            roots.update(m.group(1).lower().rstrip("/") for m in _EXAMPLE_ROOT.finditer(read(path) or ""))
    return frozenset(roots)


_LICENCE = re.compile(r"^(licen[cs]e|copying)(\.\w+)?$")


def is_licence_file(name: str) -> bool:
    """A licence file's name (``LICENSE``, ``LICENCE.md``, ``COPYING``)."""
    return bool(_LICENCE.match(name.lower()))


def copied_projects(files: Iterable[str]) -> frozenset[str]:
    """Folders holding a copy of another repository (a vendored library, a baseline copied in):
    they keep that repository's own ``.github`` folder, which GitHub reads only at the root, and
    its licence (a project skeleton a tool copies out has the first, not the second). When such
    copies are nearly all the code, the repository is what they hold and none is returned."""
    files = list(files)
    licensed = {p.lower().rsplit("/", 1)[0] for p in files if "/" in p and is_licence_file(p.rsplit("/", 1)[1])}
    roots = frozenset(r for r in (p.lower().split("/.github/")[0] for p in files if "/.github/" in p) if r in licensed)
    if not roots:
        return roots
    code = [p.lower() for p in files if p.lower().endswith(_CODE)]
    own = sum(not any(p.startswith(root + "/") for root in roots) for p in code)
    return roots if code and own / len(code) >= MIN_OWN_CODE_SHARE else frozenset()


def _ordered(locations: tuple[Location, ...]) -> tuple[Location, ...]:
    return tuple(sorted(locations, key=lambda loc: rank(loc.path)))  # stable: detectors' order kept


def scope_evidence(evidence: Iterable[Evidence], *, examples_are_the_project: bool,
                   shipped: frozenset[str] = frozenset(), copies: frozenset[str] = frozenset()) -> list[Evidence]:
    """Evidence with production locations cited first; evidence found only in example or
    fixture folders becomes ``declared`` (unless the repository is nothing but examples, or its
    CI ships the folder: ``shipped``, see ``ci_built_examples``), and so does evidence found only
    in a copy of another repository (``copies``, see ``copied_projects``), whatever the signal:
    the copy's CI, tests and changelog are that project's."""
    def illustrative(path: str) -> bool:
        low = path.lower()
        return is_example_path(path) and not any(low.startswith(root + "/") for root in shipped)

    def copied(path: str) -> bool:
        low = path.lower()
        return any(low.startswith(root + "/") for root in copies)

    out = []
    for ev in evidence:
        locations = _ordered(ev.locations)
        if locations != ev.locations:
            ev = replace(ev, locations=locations)
        if ev.counts and copies and locations and all(copied(loc.path) for loc in locations):
            ev = replace(ev, tier=Tier.DECLARED, summary=f"{ev.summary} (only in a copy of another repository, "
                         f"a folder with its own .github: not the project's own practice)",
                         attributes={**ev.attributes, "scope": "copied"})
        elif (not examples_are_the_project and ev.counts and ev.signal not in REPOSITORY_SIGNALS
                and locations and all(illustrative(loc.path) for loc in locations)):
            ev = replace(ev, tier=Tier.DECLARED, summary=f"{ev.summary} (only in example, docs, fixture or "
                         f"archived folders: not the project's own practice)", attributes={**ev.attributes, "scope": "example"})
        out.append(ev)
    return out
