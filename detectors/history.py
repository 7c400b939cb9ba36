"""Evidence read from git history: who wrote the code, which bots merged updates, what was tagged.

History is a record of what happened, so everything found here is ``executed`` evidence. A
target without history (a plain folder, an API-read tree) cannot say how many people worked on
it: contributors are then ``not_available``, never ``absent``.
"""
from __future__ import annotations

import re
from typing import Iterator

from detectors.experiment_configs import command_texts
from detectors.governance import has_update_bot_config
from detectors.people import count_people, is_bot, unconfigured
from detectors.shapes import as_dict, first_mapping
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Location, Outcome, Tier
from scanner.sources.interface import Commit, History

CONTRIBUTORS = "collaboration.multiple_contributors"
DEPENDENCY_UPDATES = "governance.dependency_updates"
RELEASES = "governance.changelog_releases"
PROMOTION = "tracking.registry_promotion"
REGISTRY = "tracking.model_registry"

#: where history evidence points: there is no file, only the log and the tag refs.
LOG_PATH = "git log"
MAX_LISTED = 50
#: authors active in this window before the newest commit are reported apart: a repository
#: whose other contributors left years ago is in practice kept by one person.
RECENT_DAYS = 365

#: bots whose commits are dependency updates whatever their subject says.
_DEPENDENCY_BOTS = re.compile(r"dependabot|renovate|greenkeeper|pyup|snyk|depfu|mend|whitesource", re.I)

# -- subjects and tags -------------------------------------------------------------------------
#: subjects that update bots write (Dependabot, Renovate, Snyk, PyUp): other bots' commits
#: (docs builds, formatting) are not dependency updates.
_UPDATE_SUBJECT = re.compile(
    r"^(?:\w+\((?:deps|deps-dev|dependencies)\)!?:|\[snyk\]|bump \S+ (?:from \S+ )?to |bump \S+ in |"
    r"(?:update|upgrade) (?:dependency|dependencies|module|\S+ (?:from \S+ )?to v?\d)|lock ?file maintenance|"
    r"pin dependenc|scheduled weekly dependency update)",
    re.I,
)
#: a person merging an update bot's branch (GitHub pull request or GitLab branch merge).
_BOT_BRANCH_MERGE = re.compile(
    r"^Merge (?:pull request #\d+ from [^/\s]+/|branch ')(dependabot|renovate|pyup|snyk)(?:/|-fix-|-upgrade-)", re.I)
_VERSION = r"v?\d+(?:\.\d+){1,3}(?:[-+.]?[0-9A-Za-z][0-9A-Za-z.-]*)?"
_RELEASE_TAG = re.compile(
    # GTO numbers its registrations (``model@v1.0.1#2``): still a version tag
    rf"^(?:@?[A-Za-z][\w./-]*[-_/@])?{_VERSION}(?:#\d+)?$|^v\d+$|^releases?[-_/].+$", re.I)
_STAGES = r"prod|production|staging|stage|champion|challenger|candidate|shadow|canary|live|dev|qa"
_PROMOTION_TAG = re.compile(
    rf"^(?P<name>[A-Za-z0-9][\w.-]*)#(?P<stage>[\w.-]+)(?:#\d+)?$"      # GTO stage assignment
    rf"|^(?P<name2>[A-Za-z0-9][\w.-]*)@(?:{_STAGES})$",                  # alias
    re.I,
)
#: a CI job or script that assigns registry stages kept as git tags (code: ``gto.api.assign``).
_ASSIGNS_STAGE = re.compile(r"\bgto\s+(?:[-\w=]+\s+)*(?:assign|promote)\b")
_ASSIGN_CALL = re.compile(r"^gto\.api\.(assign|promote)$")
#: a GTO model version registration (``churn-model@v1.2.0``); also a versioned release.
_MODEL_VERSION_TAG = re.compile(r"^(?P<name>[A-Za-z0-9][\w.-]*)@v\d+\.\d+\.\d+\S*$")


def _identity_note(identities: int, people: int, nobody: list[str]) -> str:
    """Why a count of people is not one per (name, e-mail) identity, for a summary."""
    named = identities - len(nobody)
    notes = [f"from {named} identities, merged by e-mail, name, login or spelling"] if named > people else []
    if nobody:
        listed = ", ".join(nobody[:3]) + (f" (+{len(nobody) - 3} more)" if len(nobody) > 3 else "")
        notes.append(f"unconfigured {listed} " + ("not counted" if named else "counted as one person"))
    return f" ({'; '.join(notes)})" if notes else ""


def is_dependency_update(commit: Commit) -> bool:
    """A bot-authored dependency bump, or a person merging a bot's update branch."""
    if _BOT_BRANCH_MERGE.match(commit.subject):
        return True
    if not is_bot(commit.author_name, commit.author_email):
        return False
    who = f"{commit.author_name} {commit.author_email}"
    return bool(_DEPENDENCY_BOTS.search(who) or _UPDATE_SUBJECT.search(commit.subject))


def promotion_tag(tag: str) -> bool:
    """GitOps model-registry stage tags: ``churn-model#prod#1``, ``model@production``."""
    return bool(_PROMOTION_TAG.match(tag))


def release_tag(tag: str) -> bool:
    """Version or release tags (``v1.2.3``, ``1.2.0``, ``pkg-v2.0``, ``release-2024``, and a model's
    ``churn-model@v1.2.0``: a versioned release of that model)."""
    return not promotion_tag(tag) and bool(_RELEASE_TAG.match(tag))


def tag_model(tag: str) -> str | None:
    """The model a registry tag is about: a stage or alias tag, or a ``name@vX.Y.Z`` version."""
    m = _PROMOTION_TAG.match(tag) or _MODEL_VERSION_TAG.match(tag)
    return (m.group("name") or m.group("name2")) if m else None


def _tags_data_versions(text: str) -> bool:
    """A command file that tags (``git tag``) what it has just committed of the data
    (``git add data/``, ``dvc add``/``dvc push``)."""
    return bool(_GIT_TAG.search(text) and _COMMITS_DATA.search(text))


_GIT_TAG = re.compile(r"^[^#\n]*\bgit\s+tag\b", re.M)
_COMMITS_DATA = re.compile(r"^[^#\n]*\b(?:git\s+add\s+[^\n]*\bdata\b|dvc\s+(?:add|push|commit)\b)", re.M)


def _assigns_stages(ctx: ScanContext, path: str, text: str) -> bool:
    """A command file runs ``gto assign``, or a source calls ``gto.api.assign``."""
    if path.endswith((".py", ".ipynb")):
        facts = ctx.python(path)
        return facts is not None and any(_ASSIGN_CALL.match(c.name) for c in facts.calls)
    return bool(_ASSIGNS_STAGE.search(text))


def declared_models(ctx: ScanContext) -> set[str]:
    """Names of the model artifacts a GTO ``artifacts.yaml`` or a ``dvc.yaml`` declares."""
    names: set[str] = set()
    for path in ctx.repo.glob("artifacts.yaml", "dvc.yaml") if ctx.repo is not None else ():
        try:
            doc = first_mapping(ctx.structured(path)) or {}
        except ParseError:
            continue  # recorded in coverage; the tags still count through their stages
        artifacts = doc.get("artifacts") if path.endswith("dvc.yaml") else doc
        names.update(str(n) for n, spec in as_dict(artifacts).items() if as_dict(spec).get("type") == "model")
    return names


def _version_key(tag: str) -> tuple:
    # Numeric parts compare as numbers so v1.10 sorts after v1.9; text breaks ties.
    return tuple(int(p) for p in re.findall(r"\d+", tag)[:4]), tag


class HistoryDetector(Detector):
    """Reads git history: human contributors, bot dependency updates, release and model tags.

    * ``collaboration.multiple_contributors``: more than one human author. Bots are left out
      (``*[bot]``, dependabot, renovate, CI and service identities, noreply bot addresses); one
      person with several e-mails or spellings counts once (identities are merged on e-mail,
      on the normalised name, and on a login: a GitHub/GitLab noreply address's, or the local
      part of an address that looks like one). An unconfigured identity (a placeholder name at a
      placeholder or host-local address, ``root <root@localhost>``) names nobody: it adds no one
      beside named authors, and is one person only when no one is named. The count is of the
      people the history names; the summary says how many identities it merged and which
      unconfigured ones it left out. Without history, or from a shallow clone with a single
      author, the signal is ``not_available``.
    * ``governance.dependency_updates``: commits by dependency bots, or merges of their branches.
    * ``governance.changelog_releases``: version tags (``v1.2.3``, ``1.2.0``, ``release-*``, and
      model versions ``model@v1.2.0``).
    * ``tracking.registry_promotion``: GitOps registry stage tags (``model#prod#1``,
      ``model@production``): the promotion history of a registry kept in git (GTO).
    * ``tracking.model_registry``: the same stage tags, and version tags ``model@v1.2.0`` of a
      model that has stage tags or that ``artifacts.yaml`` / ``dvc.yaml`` declares (a
      ``name@v1.2.0`` tag alone may be any package's release).
    """

    id = "history"
    signals = (CONTRIBUTORS, DEPENDENCY_UPDATES, RELEASES, PROMOTION, REGISTRY)

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        history = ctx.history()
        if history is None or not history.commits:
            yield self.evidence(CONTRIBUTORS, "no git history: contributors cannot be counted",
                                Location(path=LOG_PATH), outcome=Outcome.NOT_AVAILABLE, tier=None)
            return
        yield from self._contributors(ctx, history)
        yield from self._dependency_updates(ctx, history)
        yield from self._tags(ctx, history)
        yield from self._registry_tags(ctx, history)

    def _contributors(self, ctx: ScanContext, history: History) -> Iterator[Evidence]:
        scripted = _scripted_identities(ctx)
        humans = [c for c in history.commits if not is_bot(c.author_name, c.author_email)
                  and not {c.author_name.strip().lower(), c.author_email.strip().lower()} & scripted]
        humans = _without_creation_only(humans, history)
        identities = {(c.author_name, c.author_email) for c in humans}
        people, nobody = count_people(identities), unconfigured(identities)
        since = max(c.timestamp for c in history.commits) - RECENT_DAYS * 86400
        recent = count_people({(c.author_name, c.author_email) for c in humans if c.timestamp >= since})
        facts = dict(count=len(people), commits=len(history.commits),
                     bot_commits=len(history.commits) - len(humans), recent_count=len(recent),
                     recent_days=RECENT_DAYS, contributors=people[:MAX_LISTED], identities=len(identities),
                     unconfigured=nobody[:MAX_LISTED], truncated=history.truncated, sha=history.commits[0].sha)
        where = Location(path=LOG_PATH)
        note = _identity_note(len(identities), len(people), nobody)
        if len(people) > 1:
            yield self.evidence(CONTRIBUTORS, f"{len(people)} human authors over {len(history.commits)} commits{note}",
                                where, tier=Tier.EXECUTED, **facts)
        elif history.shallow:
            yield self.evidence(CONTRIBUTORS, "shallow clone: only the newest commits can be read",
                                where, outcome=Outcome.NOT_AVAILABLE, tier=None, **facts)
        else:
            # Absent, but the count is what a reader asks for first.
            yield self.evidence(CONTRIBUTORS, f"{len(people)} human author over {len(history.commits)} commits{note}",
                                where, outcome=Outcome.ABSENT, tier=None, **facts)

    def _dependency_updates(self, ctx: ScanContext, history: History) -> Iterator[Evidence]:
        updates = [c for c in history.commits if is_dependency_update(c)]
        if not updates:
            return
        bots = sorted({m.group(1).lower() for c in updates if (m := _BOT_BRANCH_MERGE.match(c.subject))}
                      | {c.author_name for c in updates if is_bot(c.author_name, c.author_email)})
        # the practice is a bot the repository configures; without a config the past updates came
        # from a hosting setting (security updates) or a bot since removed: shown, not counted
        configured = has_update_bot_config(ctx.files())
        yield self.evidence(
            DEPENDENCY_UPDATES,
            f"{len(updates)} dependency update commits from bots in history ({', '.join(bots[:3])})"
            + ("" if configured else ", but no dependabot/renovate config in the repository"),
            Location(path=LOG_PATH), tier=Tier.EXECUTED if configured else Tier.DECLARED, subject="dependency-updates",
            commits=len(updates), bots=bots, sha=updates[0].sha,
            subjects=[c.subject for c in updates[:5]],
        )

    def _tags(self, ctx: ScanContext, history: History) -> Iterator[Evidence]:
        releases = sorted((t for t in history.tags if release_tag(t)), key=_version_key)
        if releases:
            # The lowest version comes first: the evidence id stays put as new releases arrive.
            where = [Location(path=f"refs/tags/{t}") for t in dict.fromkeys((releases[0], releases[-1]))]
            tagger = next((p for p, text in sorted(command_texts(ctx).items()) if _tags_data_versions(text)), None)
            if tagger is not None:
                # a script committing a data sample and tagging it: the tags version data, not the software
                yield self.evidence(RELEASES, f"{len(releases)} version tags (latest {releases[-1]}), made by "
                                    f"{tagger}, which tags the data versions it commits", *where,
                                    ctx.location(tagger), tier=Tier.DECLARED, subject="data-version-tags",
                                    count=len(releases), tags=releases[-MAX_LISTED:])
                return
            yield self.evidence(
                RELEASES, f"{len(releases)} version tags (latest {releases[-1]})", *where,
                tier=Tier.EXECUTED, count=len(releases), tags=releases[-MAX_LISTED:],
            )

    def _registry_tags(self, ctx: ScanContext, history: History) -> Iterator[Evidence]:
        stages = sorted(t for t in history.tags if promotion_tag(t))
        if stages:
            yield self._promotions(ctx, stages)
        versions = [t for t in history.tags if _MODEL_VERSION_TAG.match(t)]
        if versions:
            # a version counts for a model with stages or one the repository declares
            models = {tag_model(t) for t in stages} | declared_models(ctx)
            versions = sorted((t for t in versions if tag_model(t) in models), key=_version_key)
        if not stages and not versions:
            return
        names = sorted({str(tag_model(t)) for t in stages + versions})
        yield self.evidence(
            REGISTRY, f"model registry kept in git tags: {len(versions)} version(s), {len(stages)} stage "
                      f"assignment(s) ({', '.join(names[:3])})",
            *[Location(path=f"refs/tags/{t}") for t in dict.fromkeys((versions or stages)[:1] + stages[:1])],
            tier=Tier.EXECUTED, subject="registry-tags", versions=versions[-MAX_LISTED:],
            stages=stages[:MAX_LISTED], models=names,
        )

    def _promotions(self, ctx: ScanContext, stages: list[str]) -> Evidence:
        """Stage tags are the registry's promotion history; promotion is automated when the
        repository's own CI, scripts or code assign the stages (``gto assign``)."""
        models = sorted({str(tag_model(t)) for t in stages})
        facts = dict(count=len(stages), tags=stages[:MAX_LISTED], models=models)
        where = Location(path=f"refs/tags/{stages[0]}")
        assigner = next((p for p, text in sorted(command_texts(ctx).items()) if _assigns_stages(ctx, p, text)), None)
        if assigner is None:
            return self.evidence(PROMOTION, f"{len(stages)} stage assignment tags in git ({', '.join(models[:3])}), "
                                 "but nothing in the repository assigns stages", where, tier=Tier.DECLARED,
                                 subject="stage-tags:declared", **facts)
        return self.evidence(PROMOTION, f"{len(stages)} stage assignment tags in git ({', '.join(models[:3])}), "
                             f"assigned by {assigner}", where, ctx.location(assigner), tier=Tier.EXECUTED,
                             subject="stage-tags", assigner=assigner, **facts)


#: ``git config [--global] user.name "CI Bot"`` in a script: the identity automation commits as
_GIT_IDENTITY = re.compile(r"""git\s+config\s+(?:--\w+\s+)*user\.(?:name|email)\s+["']?([^"'\n$]+?)["']?\s*$""", re.M)
_SCRIPT_FILES = re.compile(r"(\.(sh|bash|ya?ml)|(^|/)(Dockerfile[^/]*|Makefile|Jenkinsfile))$", re.I)


def _without_creation_only(humans: list[Commit], history: History) -> list[Commit]:
    """The commits without the hosting site's "Initial commit" (made on the site, by a noreply
    address) of an account that wrote nothing else: it only created the repository (often an
    organisation's account)."""
    if history.truncated or history.shallow or len(humans) < 2:
        return humans
    root = history.commits[-1]
    if root.subject.strip() != "Initial commit" or "@users.noreply." not in root.author_email or root not in humans:
        return humans
    identity = (root.author_name, root.author_email)
    if any((c.author_name, c.author_email) == identity for c in humans if c is not root):
        return humans
    return [c for c in humans if c is not root]


def _scripted_identities(ctx: ScanContext) -> set[str]:
    """Author names and addresses the repository's own scripts and CI commit as (lower-cased)."""
    out: set[str] = set()
    for path in ctx.files():
        if _SCRIPT_FILES.search(path) and ctx.repo is not None and ctx.repo.size(path) < 200_000:
            text = ctx.text(path) or ""
            if "git config" in text:
                out |= {m.strip().lower() for m in _GIT_IDENTITY.findall(text)}
    return out
