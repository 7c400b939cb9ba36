"""Documentation sites: MkDocs, Sphinx, Docusaurus, Read the Docs, Jupyter Book, bookdown and other site
generators' configuration."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.ci import read_ci
from detectors.ci.classify import DOCS_DEPLOY
from detectors.collaboration.repo import MAX_LOCATIONS, RepoFiles
from detectors.collaboration.signals import DOCS_SITE
from scanner.model import Evidence

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
)
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
        if paths:
            yield repo.found(DOCS_SITE, f"{name} documentation site: {paths[0]}", paths,
                             subject=name, generator=name)
            return
