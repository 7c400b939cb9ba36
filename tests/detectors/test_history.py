"""History detector: contributors, bot dependency updates, release and model-registry tags,
read from temporary git repositories built commit by commit."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git, git_repo, present, run_detector, write_tree
from detectors.history import (
    CONTRIBUTORS,
    DEPENDENCY_UPDATES,
    PROMOTION,
    REGISTRY,
    RELEASES,
    HistoryDetector,
    promotion_tag,
    release_tag,
)
from detectors.people import count_people, identity_keys, is_bot
from scanner.model import Outcome, Tier

ADA = ("Ada Lovelace", "ada@example.org")
SLAVA = [("Slava", "slavkostrov@gmail.com"), ("slavkostrov", "12345+slavkostrov@users.noreply.github.com"),
         ("Kostrov Vyacheslav", "slavkostrov@gmail.com")]


def build(root: Path, commits: list[tuple[str, str, str]], tags: tuple[str, ...] = (),
          files: dict[str, str] | None = None) -> Path:
    """A repository of ``files`` with one commit per (author name, e-mail, subject), then ``tags``."""
    root.mkdir()
    git_repo(root, {"README.md": "# demo\n", **(files or {})}, author=commits[0][:2])
    for n, (name, email, subject) in enumerate(commits[1:]):
        write_tree(root, {f"file{n}.txt": subject})
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", subject, author=(name, email))
    for tag in tags:
        git(root, "tag", tag)
    return root


def only(evidence, signal):
    found = [e for e in evidence if e.signal == signal]
    assert len(found) <= 1, found
    return found[0] if found else None


@pytest.mark.parametrize("authors, people, is_present", [
    # two people
    ([ADA, ("Grace Hopper", "grace@navy.mil")], 2, True),
    # one person, two e-mails, same name
    ([ADA, ("Ada Lovelace", "ada@work.example.com")], 1, False),
    # one person, one e-mail, name spelt two ways (accents, case)
    ([("Rémy Marquis", "remy@heig.ch"), ("remy marquis", "remy@heig.ch")], 1, False),
    # GitHub noreply address of the same person, matched by name
    ([ADA, ("Ada Lovelace", "12345+adal@users.noreply.github.com")], 1, False),
    # noreply login equal to the name used elsewhere
    ([("adal", "ada@example.org"), ("Ada L.", "12345+adal@users.noreply.github.com")], 1, False),
    # bots never count: dependabot, github-actions, renovate, the GitHub web UI identity
    ([ADA, ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
      ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com"),
      ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"),
      ("GitHub", "noreply@github.com"), ("Amazon GitHub Automation", "54958958+amazon-auto@users.noreply.github.com")],
     1, False),
    # placeholder names do not fold strangers together
    ([("root", "alice@lab.example.net"), ("root", "bob@other.example.net")], 2, True),
    # one person under a personal address, a noreply login and another name: the login meets
    # the address's local part
    (SLAVA, 1, False),
    ([("John Smith", "jsmith@a.com"), ("jsmith", "1+jsmith@users.noreply.github.com")], 1, False),
    # a login meets a full name written without spaces
    ([("Khalid Salama", "khalid.m.salama@gmail.com"), ("ksalama", "khalidsalama@google.com")], 1, False),
    # two people at one company stay two; so do two Johns whose addresses share a local part
    ([("alice", "alice@corp.com"), ("bob", "bob@corp.com")], 2, True),
    ([("John Smith", "john@smith.example"), ("John Doe", "john@doe.example")], 2, True),
    # role mailboxes name no one: two people writing from their own site's mail@ address
    ([("Sebastian Raschka", "mail@sebastianraschka.com"), ("rnckp", "mail@tv07.com"), ("mail", "ops@tv07.com")],
     3, True),
    # an unconfigured local identity adds no one beside named authors
    ([ADA, ("root", "root@DESKTOP-X.localdomain")], 1, False),
    ([ADA, ("Grace Hopper", "grace@navy.mil"), ("ubuntu", "ubuntu@ip-10-0-0-1")], 2, True),
    # a placeholder identity at a domain reserved for examples, left in a template's history
    ([ADA, ("Developer", "developer@example.com")], 1, False),
    # two people committing as root@localhost beside one named author: the history names one person
    ([ADA, ("root", "root@localhost"), ("root", "root@localhost.localdomain")], 1, False),
    # alone, unconfigured identities are one person: someone, nothing tells them apart
    ([("root", "root@DESKTOP-X.localdomain"), ("ubuntu", "ubuntu@ip-10-0-0-1")], 1, False),
    # a named author at a host-local address is a person (not merged on the address)
    ([ADA, ("Hayden", "hayden@Haydens-MacBook-Pro.local")], 2, True),
    ([("Alice", "ubuntu@ip-10-0-0-1"), ("Bob", "ubuntu@ip-10-0-0-1")], 2, True),
    # one person's spellings: an initial and a surname, a login cut at its capitals, a typo
    ([("VRabinin", "valery.r@gmail.com"), ("Valery Rabinin", "valery.rabinin@corp.example")], 1, False),
    ([("Aleksei", "1190+AleksTurov@users.noreply.github.com"), ("aturov", "aturov@telecom.example")], 1, False),
    ([("bewaffnet", "savinkov@gmail.com"), ("bewaffnete", "9191+bewaffnete@users.noreply.github.com")], 1, False),
    # a login that is the name with its surname cut short
    ([("Devin", "80720106+devin-pe@users.noreply.github.com"), ("Devin Pereira", "devpereira1@gmail.com")], 1, False),
    # one person under a login made of the first name's first letters and the surname, and under
    # the first name with the surname's initial
    ([("Sebastian Blum", "sebastian.blum@corp.example"), ("seblum", "64776588+seblum@users.noreply.github.com"),
      ("Sebastian B", "64776588+seblum@users.noreply.github.com")], 1, False),
    ([("Sebastian B", "sb@home.example"), ("Sebastian Blum", "sebastian.blum@corp.example")], 1, False),
    ([("Sean B", "seandburt@gmail.com"), ("Sean Burt", "sean.burt@consumer.example")], 1, False),
    # the first name cut short, the surname whole (a work address and a personal one)
    ([("Suhaibur Rehman", "suhaibur.rehman@utility.example"), ("Suhaib Rehman", "rsuhaib678@gmail.com"),
      ("rsuhaib678@gmail.com", "rsuhaib678@gmail.com")], 1, False),
    ([("Chris Smith", "chris@home.example"), ("Christopher Smith", "christopher.smith@corp.example")], 1, False),
    # a login writing a letter as a digit (``msA1M``: m + saim)
    ([("Muhammad Saim", "u2023503@gmail.com"), ("msA1M", "180708667+msA1M@users.noreply.github.com")], 1, False),
    # a login with digits, the same handle on a machine, and the full name behind the noreply login
    ([("lps08", "lucianolps08@gmail.com"), ("Luciano Lopes de Sousa", "53199949+lps08@users.noreply.github.com"),
      ("lps", "lps@lps.debian-lps")], 1, False),
    # a personal address's login with a short tail, and the name's words in the other order
    ([("LiYu", "chuliyuaw@gmail.com"), ("ChuLiYu", "32170898+ChuLiYu@users.noreply.github.com"),
      ("Lui Chu", "liyu.chu.work@gmail.com")], 1, False),
    # ... but not two people who share a surname, or short names a letter apart
    ([("Alice Smith", "alice@corp.com"), ("Bob Smith", "bob@corp.com")], 2, True),
    ([("Michael Brown", "mb@corp.com"), ("Michelle Brown", "mib@other.example")], 2, True),
    ([("Anna", "anna@corp.com"), ("Anne", "anne@other.example")], 2, True),
    ([("John", "1+john-do@users.noreply.github.com"), ("John Smith", "js@corp.com")], 2, True),
    ([("Bob Smith", "bob@corp.com"), ("Amy S", "amy@other.example")], 2, True),
    ([("Ana Blum", "ana@corp.com"), ("seblum", "1+seblum@users.noreply.github.com")], 2, True),
    ([("Anna Lee", "anna@corp.com"), ("Lee Chen", "lee@corp.com")], 2, True),
    ([("Chris Evans", "chris@corp.com"), ("christopher", "cdoe@other.example")], 2, True),
    ([("Dana Rehman", "dana@corp.com"), ("Daniel Rehman", "daniel@other.example")], 2, True),
    ([("Ann Lee", "ann@corp.com"), ("Anna Lee", "anna@other.example")], 2, True),
])
def test_contributors(tmp_path, authors, people, is_present):
    root = build(tmp_path / "r", [(n, e, f"change {i}") for i, (n, e) in enumerate(authors)])
    ev = only(run_detector(HistoryDetector, root), CONTRIBUTORS)
    assert ev is not None and ev.attributes["count"] == people
    assert ev.attributes["commits"] == len(authors)
    assert ev.counts is is_present
    if is_present:
        assert ev.tier is Tier.EXECUTED and ev.locations[0].path == "git log"
    else:
        assert ev.outcome is Outcome.ABSENT


@pytest.mark.parametrize("creator, later, people", [
    # an organisation's account that only created the repository on the site
    (("alrtai", "57996040+alrtai@users.noreply.github.com"), [], 1),
    # ... but an account that goes on committing is a contributor
    (("alrtai", "57996040+alrtai@users.noreply.github.com"), [("alrtai", "57996040+alrtai@users.noreply.github.com")], 2),
    # a person's own first commit, made locally
    (("Grace Hopper", "grace@navy.mil"), [], 2),
])
def test_the_sites_initial_commit_of_an_account_that_wrote_nothing_else(tmp_path, creator, later, people):
    root = tmp_path / "r"
    root.mkdir()
    git_repo(root, {"README.md": "# demo\n"}, author=creator)
    git(root, "commit", "-q", "--amend", "-m", "Initial commit", author=creator)
    for n, author in enumerate([("Adarsh S", "adarsh@mail.example.org")] * 3 + later):
        write_tree(root, {f"f{n}.txt": str(n)})
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", f"change {n}", author=author)
    ev = only(run_detector(HistoryDetector, root), CONTRIBUTORS)
    assert ev.attributes["count"] == people


def test_plain_folder_is_not_available(make_repo):
    root = make_repo({"README.md": "# x\n"}, git=False)
    ev = only(run_detector(HistoryDetector, root), CONTRIBUTORS)
    assert ev.outcome is Outcome.NOT_AVAILABLE and ev.tier is None
    assert present(run_detector(HistoryDetector, root)) == set()


def test_shallow_clone_single_author_is_not_available(tmp_path):
    source = build(tmp_path / "src", [ADA + ("one",), ("Grace Hopper", "grace@navy.mil", "two"), ADA + ("three",)])
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", source.as_uri(), str(clone))
    ev = only(run_detector(HistoryDetector, clone), CONTRIBUTORS)
    assert ev.outcome is Outcome.NOT_AVAILABLE
    full = only(run_detector(HistoryDetector, source), CONTRIBUTORS)
    assert full.counts and full.attributes["count"] == 2


DEPENDABOT = "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    schedule: {interval: weekly}\n"


@pytest.mark.parametrize("author, subject, expected", [
    (("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"), "Bump requests from 2.0 to 2.31", True),
    (("renovate[bot]", "bot@renovateapp.com"), "chore(deps): update dependency numpy to v2", True),
    (("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"), "Bump tensorflow in /serving", True),
    (("Snyk bot", "snyk-bot@snyk.io"), "[Snyk] Upgrade pandas from 1.0 to 2.0", True),
    # a person merging the bot's branch: the update ran and was accepted
    (ADA, "Merge pull request #18 from org/dependabot/pip/requests-2.31.0", True),
    # traps: a person bumping their own version, another bot's housekeeping
    (ADA, "Bump requests from 2.0 to 2.31", False),
    (ADA, "Bump version to 1.2.0", False),
    (("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com"), "Update README to match docs", False),
    (ADA, "Merge pull request #3 from org/feature/renovate-ui", False),
    (ADA, "Merge branch 'renovate/pandas-2.x' into 'main'", True),
])
def test_dependency_updates(tmp_path, author, subject, expected):
    root = build(tmp_path / "r", [ADA + ("start",), author + (subject,)], files={".github/dependabot.yml": DEPENDABOT})
    ev = only(run_detector(HistoryDetector, root), DEPENDENCY_UPDATES)
    assert (ev is not None and ev.counts) is expected
    if expected:
        assert ev.tier is Tier.EXECUTED and ev.attributes["commits"] == 1
        assert len(ev.attributes["sha"]) == 40


def test_bot_updates_without_a_bot_config_are_declared(tmp_path):
    """Security updates switched on in the hosting settings, or a bot since removed: the
    repository keeps no dependency-update bot of its own."""
    bot = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
    root = build(tmp_path / "r", [ADA + ("start",), bot + ("Bump requests from 2.0 to 2.31",)])
    ev = only(run_detector(HistoryDetector, root), DEPENDENCY_UPDATES)
    assert ev is not None and not ev.counts and ev.tier is Tier.DECLARED
    assert "no dependabot/renovate config" in ev.summary


@pytest.mark.parametrize("tags, releases, promotions", [
    (("v1.0.0", "v1.10.0", "v1.9.2"), ["v1.0.0", "v1.9.2", "v1.10.0"], []),
    (("1.2.0", "release-2024-05", "mylib-v0.3.1"), ["mylib-v0.3.1", "1.2.0", "release-2024-05"], []),
    # a model's version tag is a versioned release; its stage tags are promotions
    (("churn-model#prod#1", "churn-model@v1.2.0", "fraud@production"), ["churn-model@v1.2.0"],
     ["churn-model#prod#1", "fraud@production"]),
    (("v2.0.0", "model@v2.0.0"), ["model@v2.0.0", "v2.0.0"], []),
    # traps: tags that are not versions
    (("backup", "before-refactor", "2023-01-05", "experiment"), [], []),
])
def test_tags(tmp_path, tags, releases, promotions):
    root = build(tmp_path / "r", [ADA + ("start",)], tags=tags)
    evidence = run_detector(HistoryDetector, root)
    rel, promo = only(evidence, RELEASES), only(evidence, PROMOTION)
    if releases:
        assert rel.tier is Tier.EXECUTED and rel.attributes["tags"] == releases
        assert rel.locations[0].path == f"refs/tags/{releases[0]}"
    else:
        assert rel is None
    if promotions:
        # nothing in this repository assigns the stages: history only, not automated promotion
        assert promo.tier is Tier.DECLARED and promo.attributes["tags"] == promotions
    else:
        assert promo is None


@pytest.mark.parametrize("script, counts", [
    # a script committing a data sample and tagging it versions the data, not the software
    ("version=$(cat configs/data_version.txt)\ngit add data/samples/\ngit commit -m \"data $version\"\n"
     "git tag -a $version -m \"version $version\"\n", False),
    ("dvc add data/raw.csv\ndvc push\ngit tag -a \"$V\" -m data\n", False),
    # a release script tagging the package
    ("python -m build\ngit tag -a \"v$VERSION\" -m release\ntwine upload dist/*\n", True),
])
def test_version_tags_a_data_script_makes_are_no_releases(tmp_path, script, counts):
    root = build(tmp_path / "r", [ADA + ("start",)])
    write_tree(root, {"scripts/tag.sh": "#!/bin/bash\nset -e\n" + script})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "tagging script", author=ADA)
    for tag in ("v1.0", "v2.0"):
        git(root, "tag", tag)
    rel = only(run_detector(HistoryDetector, root), RELEASES)
    assert rel.counts is counts and rel.tier is (Tier.EXECUTED if counts else Tier.DECLARED)


@pytest.mark.parametrize("files, automated", [
    ({".github/workflows/promote.yml": "on: workflow_dispatch\njobs:\n  p:\n    runs-on: ubuntu-latest\n    steps:\n"
                                       "      - run: gto assign churn-model --version v1.1.0 --stage prod\n"}, True),
    ({"scripts/promote.py": "from gto import api\napi.assign('.', 'churn-model', 'prod', version='v1.1.0')\n"}, True),
    ({"scripts/promote.py": "import gto\ngto.api.assign('.', 'churn-model', 'prod', version='v1.1.0')\n"}, True),
    # named in prose, a string or a comment only
    ({"README.md": "Promote with `gto assign churn-model --stage prod`.\n"}, False),
    ({"scripts/help.py": "print('run: gto assign churn-model --stage prod')\n"}, False),
    ({"Makefile": "promote:\n# gto assign churn-model --stage prod\n\techo later\n"}, False),
])
def test_stage_tags_are_automated_promotion_when_the_repo_assigns_them(tmp_path, files, automated):
    root = build(tmp_path / "r", [ADA + ("start",)])
    write_tree(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "promotion", author=ADA)
    git(root, "tag", "churn-model#prod#1")
    evidence = run_detector(HistoryDetector, root)
    promo = only(evidence, PROMOTION)
    assert promo.counts is automated
    assert promo.tier is (Tier.EXECUTED if automated else Tier.DECLARED)
    assert only(evidence, REGISTRY).counts  # the stages are registry use either way


DVC_ARTIFACTS = "artifacts:\n  churn-model:\n    path: model.pkl\n    type: model\n  raw:\n    path: data.xml\n    type: dataset\n"


@pytest.mark.parametrize("files, tags, versions, stages", [
    # GTO: versions of a model declared in dvc.yaml, then stage assignments
    ({"dvc.yaml": DVC_ARTIFACTS}, ("churn-model@v1.0.0", "churn-model@v1.1.0", "churn-model#prod#1"),
     ["churn-model@v1.0.0", "churn-model@v1.1.0"], ["churn-model#prod#1"]),
    ({"artifacts.yaml": "churn-model:\n  type: model\n  path: s3://b/model.pkl\n"}, ("churn-model@v0.1.0",),
     ["churn-model@v0.1.0"], []),
    # stage tags make their model's versions registry versions, declared or not
    ({}, ("m@v1.0.0", "m#staging#1"), ["m@v1.0.0"], ["m#staging#1"]),
    # traps: a package release tag, a dataset artifact's tag, an unreadable dvc.yaml
    ({}, ("mylib@v1.0.0",), None, None),
    ({"dvc.yaml": DVC_ARTIFACTS}, ("raw@v1.0.0",), None, None),
    ({"dvc.yaml": "artifacts: [\n"}, ("churn-model@v1.0.0",), None, None),
])
def test_registry_tags(tmp_path, files, tags, versions, stages):
    root = build(tmp_path / "r", [ADA + ("start",)])
    write_tree(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "declare artifacts", author=ADA)
    for tag in tags:
        git(root, "tag", tag)
    ev = only(run_detector(HistoryDetector, root), REGISTRY)
    if versions is None:
        assert ev is None
        return
    assert ev.tier is Tier.EXECUTED and ev.attributes["versions"] == versions and ev.attributes["stages"] == stages


@pytest.mark.parametrize("name, email, bot", [
    ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", True),
    ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com", True),
    ("GitHub Action", "action@github.com", True),
    ("GitHub", "noreply@github.com", True),
    ("Build Bot", "ci@company.example.com", True),
    ("Sourcery AI", "", True),  # an app committing without an address
    ("Leonard", "73912641+leonardcser@users.noreply.github.com", False),
    ("Abbott Robot", "abbott@example.org", False),  # 'bot' only inside words
    ("Tal Botvinnik", "tal@example.org", False),
])
def test_is_bot(name, email, bot):
    assert is_bot(name, email) is bot


def test_count_people_merges_transitively():
    # e-mail joins the first two, the name joins the third, the noreply login the fourth
    people = count_people([
        ("Leonard", "leo@example.org"), ("Leonard C", "leo@example.org"),
        ("Leonard C", "73912641+leonardcser@users.noreply.github.com"), ("leonardcser", "other@example.net"),
        ("Stefan", "stefan@example.org"),
    ])
    assert len(people) == 2


@pytest.mark.parametrize("authors, summary, contributors, nobody", [
    ([ADA, ("Grace Hopper", "grace@navy.mil")], "2 human authors over 2 commits", ["Ada Lovelace", "Grace Hopper"], []),
    (SLAVA, "1 human author over 3 commits (from 3 identities, merged by e-mail, name, login or spelling)",
     ["Kostrov Vyacheslav"], []),
    ([ADA, ("Grace Hopper", "grace@navy.mil"), ("root", "root@DESKTOP-X.localdomain")],
     "2 human authors over 3 commits (unconfigured root <root@DESKTOP-X.localdomain> not counted)",
     ["Ada Lovelace", "Grace Hopper"], ["root <root@DESKTOP-X.localdomain>"]),
    ([("root", "root@localhost"), ("ubuntu", "ubuntu@ip-10-0-0-1")],
     "1 human author over 2 commits (unconfigured root <root@localhost>, ubuntu <ubuntu@ip-10-0-0-1> counted as one person)",
     ["root"], ["root <root@localhost>", "ubuntu <ubuntu@ip-10-0-0-1>"]),
])
def test_contributor_summary_explains_the_count(tmp_path, authors, summary, contributors, nobody):
    root = build(tmp_path / "r", [(n, e, f"change {i}") for i, (n, e) in enumerate(authors)])
    ev = only(run_detector(HistoryDetector, root), CONTRIBUTORS)
    assert ev.summary == summary
    assert ev.attributes["contributors"] == contributors and ev.attributes["unconfigured"] == nobody
    assert ev.attributes["identities"] == len(authors)


@pytest.mark.parametrize("name, email, keys", [
    ("Slava", "slavkostrov+github@gmail.com", {"email:slavkostrov+github@gmail.com", "login:name:slavkostrov", "name:slava"}),
    ("Ann Lee", "ann.lee@corp.com", {"email:ann.lee@corp.com", "login:name:annlee", "name:annlee"}),
    # too short, a role mailbox, not one token: no login
    ("Bob", "bob@corp.com", {"email:bob@corp.com", "name:bob"}),
    ("rnckp", "mail@tv07.com", {"email:mail@tv07.com", "name:rnckp"}),
    ("Eve", "\"eve smith\"@corp.com", {"email:\"eve smith\"@corp.com", "name:eve"}),
    # placeholder name at a placeholder or host-local address: names nobody
    ("root", "root@localhost", set()),
    ("ubuntu", "ubuntu@ip-10-0-0-1", set()),
    ("ec2-user", "ec2-user@ip-172-31-5-9.ec2.internal", set()),
    ("jovyan", "jovyan@5f2c1a9e7b3d", set()),
    ("runner", "runner@fv-az123-45.abc.bx.internal.cloudapp.net", set()),
])
def test_identity_keys(name, email, keys):
    assert identity_keys(name, email) == keys


@pytest.mark.parametrize("tag, release, promotion", [
    ("v1", True, False), ("v0.1.0-rc.1", True, False), ("pkg@1.2.0", True, False),
    ("model@v1.2.0", True, False), ("model#staging", False, True), ("latest", False, False),
    ("credit-default-predictor@v1.0.1#2", True, False), ("model#prod#3", False, True),
])
def test_tag_classes(tag, release, promotion):
    assert release_tag(tag) is release
    assert promotion_tag(tag) is promotion


def test_recent_contributors_are_counted_apart(tmp_path):
    # Grace left long ago: two people in all, one in the last year of history.
    root = build(tmp_path / "r", [ADA + ("start",)])
    write_tree(root, {"old.txt": "old"})
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "old work", "--date", "2015-03-01T12:00:00", author=("Grace Hopper", "grace@navy.mil"))
    ev = only(run_detector(HistoryDetector, root), CONTRIBUTORS)
    assert ev.counts and ev.attributes["count"] == 2 and ev.attributes["recent_count"] == 1


@pytest.mark.parametrize("script, people", [
    # the identity a training entry point commits its results as is automation, not a person
    ('#!/bin/bash\ndvc repro\ngit config --global user.email "results@lab.example"\n'
     'git config --global user.name "Pepe Results"\ngit commit -am automatic\n', 1),
    # trap: the same author with no script setting the identity
    ("#!/bin/bash\ndvc repro\n", 2),
])
def test_identity_a_script_commits_as_is_no_contributor(tmp_path, script, people):
    commits = [ADA + ("start",), ("Pepe Results", "results@lab.example", "automatic"), ADA + ("more",)]
    root = build(tmp_path / "r", commits, files={"entrypoint.sh": script})
    assert only(run_detector(HistoryDetector, root), CONTRIBUTORS).attributes["count"] == people
