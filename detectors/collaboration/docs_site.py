"""Documentation sites: MkDocs, Sphinx, Docusaurus, Read the Docs, Jupyter Book, bookdown, Jekyll for
GitHub Pages and other site
generators' configuration, when something builds or publishes the site (Read the Docs, a CI job, a
task-runner recipe, an image or a script running the generator) or when pages are written for it;
a generator's stub that nothing builds (a project template's ``conf.py`` and index) is declared."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.ci import read_ci
from detectors.ci.classify import DOCS_DEPLOY
from detectors.collaboration.repo import MAX_LOCATIONS, RepoFiles
from detectors.collaboration.signals import DOCS_SITE
from scanner.model import Evidence, Tier
from scanner.scope import is_licence_file

#: (generator, config file, regex its content must match: "" for any content).
_DOCS_FILES = (
    ("mkdocs", re.compile(r"(?:^|/)mkdocs\.ya?ml$", re.I), "site_name"),
    ("zensical", re.compile(r"(?:^|/)zensical\.toml$", re.I), "site_name"),
    ("sphinx", re.compile(r"(?:^|/)conf\.py$", re.I), "sphinx|html_theme"),
    ("docusaurus", re.compile(r"(?:^|/)docusaurus\.config\.[cm]?[jt]s$", re.I), ""),
    ("read the docs", re.compile(r"(?:^|/)\.?readthedocs\.ya?ml$", re.I), ""),
    ("jupyter book", re.compile(r"(?:^|/)_toc\.ya?ml$", re.I), ""),
    ("quarto", re.compile(r"(?:^|/)_quarto\.ya?ml$", re.I), r"type:\s*(?:website|book)"),
    ("mdbook", re.compile(r"(?:^|/)book\.toml$", re.I), r"\[book\]"),
    ("vitepress", re.compile(r"(?:^|/)\.vitepress/config\.[cm]?[jt]s$", re.I), ""),
    ("antora", re.compile(r"(?:^|/)antora(?:-playbook)?\.ya?ml$", re.I), ""),
    ("bookdown", re.compile(r"(?:^|/)_bookdown\.ya?ml$", re.I), ""),
    # Jekyll where GitHub Pages builds it from (the root or docs/): the service builds the site
    ("jekyll (github pages)", re.compile(r"^(?:docs/)?_config\.ya?ml$", re.I), r"(?m)^(?:remote_)?theme:\s*\S"),
)
_PAGE = re.compile(r"\.(md|markdown|html)$", re.I)
_README = re.compile(r"(?:^|/)readme\.\w+$", re.I)
#: generators a hosting service builds by itself: their config is the publishing.
_SELF_PUBLISHED = frozenset({"read the docs", "jekyll (github pages)"})
_JUPYTER_BOOK_CONFIG = re.compile(r"(?:^|/)_config\.ya?ml$", re.I)
#: what every generator's config file name ends with (a cheap test before the patterns).
_SUFFIXES = (".yml", ".yaml", ".toml", "conf.py", "js", "ts")
#: a command that builds a documentation site (a CI docs job also counts when it only publishes
#: pages, so the build command is what tells documentation from any other static site).
_BUILD = re.compile(r"\b(mkdocs|mike|sphinx-build|jupyter-book|pdoc3?|pydoc-markdown|portray|quarto|mdbook)\b", re.I)
_ANY_DOCS_FILE = re.compile("|".join(f"(?:{p.pattern})" for _, p, _ in _DOCS_FILES) + "|" + _JUPYTER_BOOK_CONFIG.pattern,
                            re.I)


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def docs_site_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """The first documentation generator configured in the repository, else a site CI builds."""
    found = False
    for ev in _configured(repo):
        found = True
        yield ev
    if not found:
        yield from _built_by_ci(repo)


def _built_by_ci(repo: RepoFiles) -> Iterator[Evidence]:
    """A generator without a config file of its own (pdoc, pydoc-markdown) run by a CI job."""
    for finding in read_ci(repo.ctx).ci_findings:
        if DOCS_DEPLOY in finding.kinds and not finding.job.neutered and _BUILD.search(finding.text):
            places = list(dict.fromkeys(finding.chain or ((finding.path, finding.line),)))
            yield repo.detector.evidence(
                DOCS_SITE, f"documentation site built by {finding.job.system}: {finding.text[:100]} ({finding.where})",
                *[repo.ctx.location(p, n) for p, n in places[:MAX_LOCATIONS]], subject=f"ci:{finding.job.file}")
            return


#: files where a site's build is written: Read the Docs, task runners, images, scripts.
_BUILD_FILES = re.compile(r"(?:^|/)(?:\.?readthedocs\.ya?ml|makefile|justfile|tox\.ini|noxfile\.py|tasks\.py|"
                          r"pyproject\.toml|package\.json|taskfile\.ya?ml|[^/]*dockerfile[^/]*|[^/]+\.sh)$", re.I)
#: a generator run (not merely named as a dependency).
_RUNS_BUILD = re.compile(r"\b(mkdocs\s+(build|gh-deploy|serve)|mike\s+deploy|sphinx-build\s|jupyter-book\s+build"
                         r"|pdoc3?\s+\S|quarto\s+(render|publish)|mdbook\s+build|zensical\s+build|docusaurus\s+build"
                         r"|vitepress\s+build|antora\s|render_book\()", re.I)
_QUICKSTART = re.compile(r"SPHINXBUILD\s*\??=")
_MAKE_HTML = re.compile(r"\bmake\s+(?:-C\s+\S+\s+)?html\b|\$\(SPHINXBUILD\)", re.I)


def _builder(repo: RepoFiles) -> str | None:
    """What builds or publishes the documentation: Read the Docs, a CI job, or a task-runner
    recipe, image or script running the generator (the generator's own Makefile counts when
    something runs ``make html``)."""
    for path in repo.files:
        if _BUILD_FILES.search(path):
            text = repo.text(path)
            # (sphinx-quickstart's own Makefile names sphinx-build: it builds only when run)
            if "readthedocs" in path.lower() or _RUNS_BUILD.search(text) and not _QUICKSTART.search(text):
                return path
    read = read_ci(repo.ctx)
    # a job the CI reading already classified as publishing documentation (pages actions too)
    published = next((f.job.file for f in read.ci_findings if DOCS_DEPLOY in f.kinds and not f.job.neutered), None)
    if published:
        return published
    for pipeline in read.pipelines:
        for job in pipeline.jobs if not pipeline.error else ():
            steps = " ".join(step.run for step in job.steps if not step.neutered)
            if not job.neutered and (_RUNS_BUILD.search(steps) or _MAKE_HTML.search(steps)):
                return job.file
    return None


#: pages of a site's sources, beside its config (or in docs/ for a config at the root)
_SOURCE_PAGE = re.compile(r"\.(rst|md|mdx|ipynb|qmd)$", re.I)
_STUB_PAGE = re.compile(r"(?:^|/)(?:index|readme|changelog|license|authors)\.\w+$", re.I)
_MIN_AUTHORED_PAGES = 2


def _authored_pages(repo: RepoFiles, config: str) -> list[str]:
    """Pages of the site's sources other than a generator's stub index; none for a site kept in a
    package of its own (a top folder with its own licence and setup: a library kept in the
    repository, whose docs are that library's)."""
    top = config.split("/", 1)[0] if "/" in config else ""
    own = {p.split("/", 1)[1] for p in repo.files if top and p.startswith(top + "/") and p.count("/") == 1}
    if any(is_licence_file(name) for name in own) and own & {"setup.py", "pyproject.toml"}:
        return []
    base = _folder(config) or "docs"
    return [p for p in repo.files if p.startswith(base + "/") and _SOURCE_PAGE.search(p) and not _STUB_PAGE.search(p)]


def _configured(repo: RepoFiles) -> Iterator[Evidence]:
    """The first documentation generator, in catalogue order, configured in the repository."""
    # a Jupyter Book table of contents counts only next to the book's _config.yml
    # one pass over the files with every generator's name, then each generator over the few found
    candidates = [p for p in repo.files if p.lower().endswith(_SUFFIXES) and _ANY_DOCS_FILE.search(p)]
    book_dirs = {_folder(p) for p in candidates if _JUPYTER_BOOK_CONFIG.search(p)}
    for name, pattern, content in _DOCS_FILES:
        paths = [p for p in candidates if pattern.search(p)]
        if name == "jupyter book":
            paths = [p for p in paths if _folder(p) in book_dirs]
        if content:
            paths = [p for p in paths if re.search(content, repo.text(p))]
        if name == "jekyll (github pages)":
            # pages of its own: a theme chosen for the repository alone only renders its README
            paths = [p for p in paths if any(_folder(f) == _folder(p) and _PAGE.search(f) and not _README.search(f)
                                             for f in repo.files)]
        if paths:
            builder = None if name in _SELF_PUBLISHED else _builder(repo)
            pages = [] if name in _SELF_PUBLISHED or builder else _authored_pages(repo, paths[0])
            if name in _SELF_PUBLISHED or builder:
                yield repo.found(DOCS_SITE, f"{name} documentation site: {paths[0]}"
                                 + (f" (built by {builder})" if builder else ""), paths, subject=name, generator=name)
            elif len(pages) >= _MIN_AUTHORED_PAGES:
                # pages written for the site: a site the team builds by hand, not a template's stub
                yield repo.found(DOCS_SITE, f"{name} documentation site: {paths[0]} with {len(pages)} pages written "
                                 f"for it (e.g. {pages[0]}), built by hand", [*paths, *pages],
                                 subject=name, generator=name, pages=len(pages))
            else:
                # a generator's stub (a project template's conf.py) that nothing builds or publishes
                yield repo.found(DOCS_SITE, f"{name} documentation site configured in {paths[0]}, but nothing builds it",
                                 paths, tier=Tier.DECLARED, subject=name, generator=name)
            return
