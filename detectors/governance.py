"""Governance artefacts kept in a repository: licence, model card, code owners, security policy,
dependency-update bots and changelog.

Each must have real content to count: an empty CODEOWNERS, a model-card template full of
placeholders or a changelog without a single version entry is only ``declared``. Fairness and
explainability libraries (and model-card generators) are catalogue data for the ``tools``
detector; CI security scanning and approval gates, bot commits and release tags in the
history belong to the CI and history detectors.
"""
from __future__ import annotations

import ast
import re
from typing import Iterable, Iterator

from detectors.data import code_files
from detectors.shapes import dicts, get_in
from detectors.tools import is_template_path
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Outcome, Tier

LICENSE = "governance.license"
MODEL_CARD = "governance.model_card"
CODEOWNERS = "governance.codeowners"
#: an owner a template left to fill in: ``@<your-user>``, ``<team>``, ``@your-username``, ``@YOUR_ORG/team``
_PLACEHOLDER_OWNER = re.compile(r"<[^>\s]*>|@(?:your|my)[-_]?(?:user(?:name)?|name|org|team|handle|github)\b", re.I)
SECURITY_POLICY = "governance.security_policy"
DEPENDENCY_UPDATES = "governance.dependency_updates"
CHANGELOG = "governance.changelog_releases"

#: folders where hosting platforms look for community files.
COMMUNITY_DIRS = ("", ".github", "docs", ".gitlab")

_LICENSE_FILE = re.compile(r"^(licen[cs]e|copying|unlicense)([.\-_][\w.\-]*)?$", re.I)
#: a ``license.py`` or ``license.json`` is code or data about licences, not the licence itself.
_CODE_SUFFIXES = (".py", ".js", ".ts", ".json", ".yml", ".yaml", ".toml", ".html", ".ipynb")
_SECURITY_FILE = re.compile(r"^security(\.(md|markdown|rst|txt|adoc))?$", re.I)
_REPORTING = re.compile(r"vulnerab|disclos|report|@|contact|advisor|bug bounty|msrc", re.I)
_CHANGELOG_FILE = re.compile(r"^(change[-_ ]?log|changes|history|releases?|release[-_ ]?notes|news)"
                             r"(\.(md|markdown|rst|txt|adoc))?$", re.I)
_MODEL_CARD_FILE = re.compile(r"^model[-_ ]?card[\w.\-]*\.(md|markdown|rst|txt|html|ya?ml|json)$", re.I)
#: a folder of model cards (``model_cards/lit.md``): each document in it is one.
_CARD_FOLDER = re.compile(r"(^|/)model[-_]?cards/[^/]+$", re.I)
#: a document about model cards in general (what they are, why keep one), not a card itself
_CARD_GUIDANCE = re.compile(r"\b(model cards (are|provide|help|should|can)|an? model card (is|should|can|provides|will)"
                            r"|keeping a model card)\b", re.I)
#: YAML front matter of a README; model hubs keep a model card's metadata there.
_FRONT_MATTER = re.compile(r"---[ \t]*\n(.*?)\n---[ \t]*(\n|$)", re.S)
_HUB_CARD_KEYS = re.compile(r"(?m)^(model-index|pipeline_tag|library_name|base_model)\s*:")
_README = re.compile(r"^readme(\.(md|markdown|rst|txt))?$", re.I)

_PLACEHOLDER = re.compile(r"\[more information needed\]|\{\{.*?\}\}|\{%.*?%\}|lorem ipsum|\bTODO\b|\bTBD\b|"
                          r"[<\[](describe|insert|add|your|fill|enter|provide|list|todo)\b[^>\]\n]*[>\]]",
                          re.I)
_VERSION_ENTRY = re.compile(r"^\s*(?:#{1,6}\s*|[-*+]\s+|\*\*)?(?:\[|(?:version|release|v)\s*)?"
                            r"(?:\d+\.\d+(?:\.\d+)*\b|\d{4}-\d{2}-\d{2}\b)", re.I | re.M)
_RELEASE_TOOLING = re.compile(r"^(\.releaserc(\.\w+)?|release\.config\.[cm]?js|release-please-config\.json|"
                              r"\.release-please-manifest\.json|release-drafter\.ya?ml|cliff\.toml)$", re.I)

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$|^(.+)\n(=+|-+)\s*$", re.M)
_LIMITS = re.compile(r"limitation|caveat|known issues|\bbias|ethic|\brisks?\b|out.of.scope", re.I)
_PURPOSE = re.compile(r"intended use|use cases?|model (details|description|overview|architecture)|"
                      r"about the model|training data|dataset|\bdata\b", re.I)
_ABOUT_THE_MODEL = re.compile(r"\bmodels?\b|predict|forecast|classif|generaliz|generalis|\bbias|accura|"
                             r"training data|\bdataset|fairness|error", re.I)
_METRIC_HEADING = re.compile(r"metric|evaluation|performance|results|benchmark", re.I)
_METRIC_NAME = re.compile(r"\b(w?mape|rmse|rmspe|mae|mse|r2|r²|accuracy|precision|recall|f1|auc|roc.auc|bleu|"
                          r"rouge|perplexity|log.?loss|iou|mAP)\b", re.I)
_NUMBER = re.compile(r"\b\d+\.\d+\b|\b\d+(\.\d+)?\s*%")


def folder(path: str) -> str:
    """Folder of a repository path ('' at the root)."""
    return path.rsplit("/", 1)[0] if "/" in path else ""


def basename(path: str) -> str:
    """File name of a repository path."""
    return path.rsplit("/", 1)[-1]


def substance(text: str) -> str:
    """Prose of a document without headings, comments, placeholders, rules and blank lines."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = _PLACEHOLDER.sub("", text)
    keep = [line.strip() for line in text.splitlines()
            if line.strip() and not re.match(r"^\s*(#|=+$|-+$|\|?[\s:|-]+\|?$|---)", line)]
    return "\n".join(keep)


def is_template(text: str) -> bool:
    """A document that is still a template: many placeholders or next to no prose."""
    return len(_PLACEHOLDER.findall(text)) >= 3 or len(substance(text)) < 200


def sections(text: str) -> list[tuple[str, int, str]]:
    """(heading, line, body) of each Markdown/reST section."""
    heads = [(m.group(2) or m.group(3) or "", text.count("\n", 0, m.start()) + 1, m.start(), m.end())
             for m in _HEADING.finditer(text)]
    out = []
    for i, (title, line, _start, end) in enumerate(heads):
        stop = heads[i + 1][2] if i + 1 < len(heads) else len(text)
        out.append((title.strip(), line, text[end:stop]))
    return out


#: a model card file named in code (``reports / "model_card.md"``).
_CARD_LITERAL = re.compile(r"(?:^|/)model[-_ ]?card[\w.\-]*\.(md|markdown|html|json|ya?ml)$", re.I)
_WRITES = frozenset({"write", "write_text", "writelines", "dump", "to_json", "save", "log_text", "log_dict"})


def generated_cards(ctx: ScanContext) -> Iterator[tuple[str, int, str]]:
    """(path, line, function) of project functions that write a model card file whose text
    holds a limitations section and metrics, and that project code calls."""
    called = {c.name.rsplit(".", 1)[-1] for _, facts in code_files(ctx) for c in facts.calls}
    for path, facts in code_files(ctx):
        text = ctx.text(path) or ""
        if "card" not in text.lower() or not re.search(r"model[-_ ]?card", text, re.I):
            continue
        tree = ctx.tree(path)
        for fn in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))) if tree else ():
            strings = [n.value for n in ast.walk(fn) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            writes = any(isinstance(n, ast.Call) and isinstance(n.func, (ast.Attribute, ast.Name)) and
                         (n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id) in _WRITES
                         for n in ast.walk(fn))
            content = " ".join(strings)
            if writes and fn.name in called and any(_CARD_LITERAL.search(v) for v in strings) \
                    and _LIMITS.search(content) and (_METRIC_HEADING.search(content) or _METRIC_NAME.search(content)):
                yield path, fn.lineno, fn.name
                return


def _inside(path: str, folders: set[str]) -> bool:
    """``path`` lies in one of ``folders`` (or below one)."""
    parts = path.split("/")[:-1]
    return any("/".join(parts[:i]) in folders for i in range(1, len(parts) + 1))


def metric_values(text: str) -> int | None:
    """Line of a reported metric: a metric name with a number within the next few lines."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _METRIC_NAME.search(line) and any(_NUMBER.search(n) for n in lines[i:i + 6]):
            return i + 1
    return None


def readme_model_card(text: str) -> int | None:
    """Line where a README documents a model like a card: limitations, data or use, and metrics."""
    filled = [(t, line, body) for t, line, body in sections(text) if len(substance(body)) >= 80]
    # the limitations of the model (what it gets wrong, on which data), not of the software
    # around it ("Known Limitations & Technical Debt": a single-node cluster, mock data in the UI)
    limits = next((line for t, line, body in filled if _LIMITS.search(t) and _ABOUT_THE_MODEL.search(body)), None)
    purpose = any(_PURPOSE.search(t) or _METRIC_HEADING.search(t) for t, _, _ in filled)
    return limits if limits and purpose and metric_values(text) else None


RENOVATE_FILES = ("renovate.json", "renovate.json5", ".renovaterc", ".renovaterc.json", ".renovaterc.json5")
_UPDATE_BOT_FILES = (".github/dependabot.yml", ".github/dependabot.yaml", ".pyup.yml", ".pyup.yaml")


def has_update_bot_config(files: Iterable[str]) -> bool:
    """The repository configures a dependency-update bot (dependabot, Renovate, pyup)."""
    return any(p in _UPDATE_BOT_FILES or (basename(p) in RENOVATE_FILES and folder(p) in COMMUNITY_DIRS)
               for p in files)


class GovernanceDetector(Detector):
    """Governance files with real content.

    - ``governance.license``: LICENSE/LICENCE/COPYING (or a REUSE ``LICENSES/`` folder) at the
      root, in ``.github``/``docs``; a licence only named in README or package metadata, or a
      licence file only in a subfolder, is declared.
    - ``governance.model_card``: a model card file that is not a template, a README whose
      sections document limitations, data or intended use, and reported metric values, or a
      project function that writes a model card file with limitations and metrics and is called.
    - ``governance.codeowners``: CODEOWNERS (root, ``.github``, ``docs``, ``.gitlab``) with a rule.
    - ``governance.security_policy``: SECURITY.md (root, ``.github``, ``docs``) telling how to
      report a vulnerability (operators' security guidance is declared only).
    - ``governance.dependency_updates``: dependabot ``updates`` entries, Renovate config files or
      a ``renovate`` key in package.json, pyup config.
    - ``governance.changelog_releases``: CHANGELOG/HISTORY/RELEASES/NEWS with a version entry,
      or release automation config (semantic-release, release-please, release-drafter, git-cliff).
    """

    id = "governance"
    signals = (LICENSE, MODEL_CARD, CODEOWNERS, SECURITY_POLICY, DEPENDENCY_UPDATES, CHANGELOG)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        files = [p for p in ctx.files() if not is_template_path(p)]
        yield from self._license(ctx, files)
        yield from self._model_card(ctx, files)
        yield from self._codeowners(ctx, files)
        yield from self._security_policy(ctx, files)
        yield from self._dependency_updates(ctx, files)
        yield from self._changelog(ctx, files)

    # -- licence -----------------------------------------------------------------------------
    def _license(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        found = False
        for path in files:
            top = folder(path) in COMMUNITY_DIRS or folder(path) == "LICENSES"
            name = basename(path).lower()
            if name.endswith(_CODE_SUFFIXES) or not (_LICENSE_FILE.match(name) or folder(path) == "LICENSES"):
                continue
            text = ctx.text(path) or ""
            if len(text.strip()) < 20:
                continue
            found = found or top
            yield self.evidence(LICENSE, f"licence file {path}" + ("" if top else " (only in a subfolder)"),
                                ctx.location(path, 1), tier=Tier.CONFIGURED if top else Tier.DECLARED,
                                subject=path)
        if not found:
            yield from self._license_claims(ctx, files)

    def _license_claims(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        """A licence named in README or package metadata without its text in the repository."""
        claims = {"pyproject.toml": r"(?m)^\s*license(-files)?\s*=", "setup.cfg": r"(?m)^\s*license\s*=",
                  "setup.py": r"\blicense\s*=", "package.json": r'"license"\s*:'}
        for path in files:
            name = basename(path).lower()
            pattern = claims.get(name) or (r"(?im)^#+\s*licen[cs]e\b|img\.shields\.io/badge/licen[cs]e"
                                           if folder(path) == "" and _README.match(name) else None)
            text = ctx.text(path) if pattern else None
            m = re.search(pattern, text) if text and pattern else None
            if m:
                yield self.evidence(LICENSE, f"licence claimed in {path} but no licence file", ctx.location(
                    path, text.count("\n", 0, m.start()) + 1), tier=Tier.DECLARED, subject=f"claim:{path}")

    # -- model card --------------------------------------------------------------------------
    def _model_card(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        for path in files:
            name = basename(path)
            if _MODEL_CARD_FILE.match(name) or name.lower() in ("modelcard", "model_card", "model-card") \
                    or _CARD_FOLDER.search(path) and name.lower().endswith((".md", ".markdown", ".rst")):
                yield self._card_file(ctx, path, "model card")
            elif _README.match(name):
                text = ctx.text(path) or ""
                front = _FRONT_MATTER.match(text)
                if front and _HUB_CARD_KEYS.search(front.group(1)):
                    yield self._card_file(ctx, path, "model hub card")
                elif (line := readme_model_card(text)) is not None:
                    yield self.evidence(MODEL_CARD, f"{path} documents the model: limitations, data/use and metrics",
                                        ctx.location(path, line), subject=path, kind="readme")

        for path, line, function in generated_cards(ctx):
            yield self.evidence(MODEL_CARD, f"{function} in {path} writes a model card (limitations and metrics) "
                                "for each model it is called for", ctx.location(path, line), subject=f"generated:{path}",
                                kind="generated")

    def _card_file(self, ctx: ScanContext, path: str, what: str) -> Evidence:
        """A model card document: configured, or declared while it is still a template."""
        text = ctx.text(path) or ""
        why = " is an unfilled template" if is_template(text) else \
            " is guidance on model cards, not a card of a model" if _CARD_GUIDANCE.search(text) else ""
        return self.evidence(MODEL_CARD, f"{what} {path}{why}", ctx.location(path, 1),
                             tier=Tier.DECLARED if why else Tier.CONFIGURED, subject=path, kind="file")

    # -- community files ---------------------------------------------------------------------
    def _codeowners(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        for path in files:
            if basename(path) != "CODEOWNERS" or folder(path) not in COMMUNITY_DIRS:
                continue
            text = ctx.text(path) or ""
            rules = [i for i, line in enumerate(text.splitlines(), 1)
                     if not line.lstrip().startswith(("#", "[", "^[")) and len(line.split()) >= 2
                     and any("@" in owner for owner in line.split()[1:])]
            # a template nobody filled in (``* @<your-user>``) names no owner
            placeholders = [i for i, line in enumerate(text.splitlines(), 1)
                            if i in rules and _PLACEHOLDER_OWNER.search(" ".join(line.split()[1:]))]
            summary = f"{path}: {len(rules)} ownership rule(s)" if rules else f"{path} has no rule"
            if placeholders:
                rules, summary = [], f"{path} is an unfilled template (placeholder owners, line {placeholders[0]})"
            yield self.evidence(CODEOWNERS, summary, ctx.location(path, rules[0] if rules else None),
                                tier=Tier.CONFIGURED if rules else Tier.DECLARED, subject=path, rules=len(rules))

    def _security_policy(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        for path in files:
            if _SECURITY_FILE.match(basename(path)) and folder(path) in COMMUNITY_DIRS:
                text = substance(ctx.text(path) or "")
                real = len(text) >= 40
                # a policy tells how to report a vulnerability; security guidance for operators
                # (keep secrets out of git, use IAM roles) is documentation
                reporting = bool(_REPORTING.search(text))
                why = "" if real and reporting else " is empty" if not real else " says nothing of reporting vulnerabilities"
                yield self.evidence(SECURITY_POLICY, f"security policy {path}{why}", ctx.location(path),
                                    tier=Tier.CONFIGURED if real and reporting else Tier.DECLARED, subject=path)

    # -- dependency updates ------------------------------------------------------------------
    def _dependency_updates(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        evidence = [*self._dependabot(ctx, files), *self._renovate(ctx, files)]
        evidence += [self.evidence(DEPENDENCY_UPDATES, f"pyup bot config {p}", ctx.location(p), subject=p)
                     for p in files if p in (".pyup.yml", ".pyup.yaml")]
        wired = any(e.counts for e in evidence)
        # a config that failed to parse is an error only when no other config decides the signal
        yield from (e for e in evidence if not (wired and e.outcome is Outcome.ERROR))

    def _dependabot(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        for path in files:
            if path not in _UPDATE_BOT_FILES[:2]:
                continue
            try:
                docs = ctx.structured(path)
            except ParseError as exc:
                yield self.evidence(DEPENDENCY_UPDATES, f"{path} could not be parsed: {exc}", ctx.location(path),
                                    outcome=Outcome.ERROR, tier=None, subject=path)
                continue
            doc = docs[0] if docs else None
            why = ("the document is not a mapping" if doc is not None and not isinstance(doc, dict)
                   else "'updates' is not a list" if not isinstance(get_in(doc, "updates"), (list, type(None)))
                   else "")
            if why:
                yield self.evidence(DEPENDENCY_UPDATES, f"{path} could not be read: {why}", ctx.location(path),
                                    outcome=Outcome.ERROR, tier=None, subject=path)
                continue
            updates = [u for u in dicts(get_in(doc, "updates")) if u.get("package-ecosystem")]
            ecosystems = sorted({str(u["package-ecosystem"]) for u in updates})
            yield self.evidence(DEPENDENCY_UPDATES,
                                f"dependabot updates {', '.join(ecosystems)}" if updates else f"{path} has no updates",
                                ctx.location(path, 1), tier=Tier.CONFIGURED if updates else Tier.DECLARED,
                                subject=path, tool="dependabot", ecosystems=ecosystems)

    def _renovate(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        for path in files:
            if basename(path) in RENOVATE_FILES and folder(path) in COMMUNITY_DIRS:
                yield self._renovate_file(ctx, path)
            elif path == "package.json":
                try:
                    doc = ctx.structured(path)
                except ParseError:
                    continue  # a broken package.json says nothing about Renovate
                if isinstance(doc, dict) and isinstance(doc.get("renovate"), dict):
                    yield self.evidence(DEPENDENCY_UPDATES, "renovate config in package.json", ctx.location(path),
                                        subject=path, tool="renovate")

    def _renovate_file(self, ctx: ScanContext, path: str) -> Evidence:
        if path.endswith(".json"):
            try:
                doc = ctx.structured(path)
            except ParseError as exc:
                return self.evidence(DEPENDENCY_UPDATES, f"{path} could not be parsed: {exc}",
                                     ctx.location(path), outcome=Outcome.ERROR, tier=None, subject=path)
            if not isinstance(doc, dict):
                return self.evidence(DEPENDENCY_UPDATES, f"{path} could not be read: the document is not an object",
                                     ctx.location(path), outcome=Outcome.ERROR, tier=None, subject=path)
            ok = True
        else:  # JSON5 (and .renovaterc, JSON or JSON5): being there and non-empty suffices
            ok = bool((ctx.text(path) or "").strip())
        return self.evidence(DEPENDENCY_UPDATES, f"renovate config {path}" + ("" if ok else " is empty"),
                             ctx.location(path), tier=Tier.CONFIGURED if ok else Tier.DECLARED,
                             subject=path, tool="renovate")

    # -- changelog ---------------------------------------------------------------------------
    def _changelog(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        # a Helm chart's changelog records the chart's releases (most often a chart copied in from
        # upstream), not the project's
        charts = {folder(p) for p in files if basename(p) == "Chart.yaml"}
        for path in files:
            name = basename(path)
            if _CHANGELOG_FILE.match(name) and _inside(path, charts):
                continue
            if _CHANGELOG_FILE.match(name):
                text = ctx.text(path) or ""
                entries = _VERSION_ENTRY.findall(text)
                first = _VERSION_ENTRY.search(text)
                summary = f"{path}: {len(entries)} version entries" if entries else f"{path} has no version entry"
                yield self.evidence(CHANGELOG, summary,
                                    ctx.location(path, text.count("\n", 0, first.start()) + 1 if first else None),
                                    tier=Tier.CONFIGURED if entries else Tier.DECLARED, subject=path,
                                    entries=len(entries))
            elif _RELEASE_TOOLING.match(name) and folder(path) in COMMUNITY_DIRS:
                # set up to release, but a history that tags no release has released nothing yet
                # (imported here: the history detector imports this module)
                from detectors.history import release_tag
                history = ctx.history()
                unreleased = history is not None and not history.shallow and not any(release_tag(t) for t in history.tags)
                yield self.evidence(CHANGELOG, f"release automation config {path}"
                                    + (", but the history tags no release" if unreleased else ""), ctx.location(path),
                                    subject=path, tier=Tier.DECLARED if unreleased else Tier.CONFIGURED)
