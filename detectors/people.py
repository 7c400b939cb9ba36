"""Who wrote a commit: bots told apart from people, and one person's identities (addresses,
spellings, logins) merged so that people, not identities, are counted."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

# -- who is a bot ------------------------------------------------------------------------------
_BOT_NAME = re.compile(
    r"\[bot\]|(?<![a-z])(?:bot|dependabot(?:-preview)?|renovate|github-actions?|gitlab-ci|"
    r"pre-commit-ci|greenkeeper(?:io)?|snyk|pyup(?:-bot|\.io)?|depfu|imgbot|allcontributors|"
    r"semantic-release|codecov|mergify|deepsource|sourcery|web-flow|automation|auto-?merge)(?![a-z])",
    re.I,
)
#: hosting services that author commits made through their web UI or automation.
_SERVICE_NAMES = frozenset({"github", "gitlab", "gitee", "bitbucket", "github enterprise"})
_BOT_EMAIL_LOCAL = re.compile(r"^(?:no-?reply|do-?not-?reply|action|actions|bot|ci|build)$", re.I)
_BOT_DOMAINS = ("dependabot.com", "renovateapp.com", "mend.io", "greenkeeper.io", "pyup.io",
                "snyk.io", "depfu.com", "mergify.io", "mergify.com", "whitesourcesoftware.com")

# -- identities --------------------------------------------------------------------------------
_GITHUB_NOREPLY = re.compile(r"^(?:\d+\+)?([^@+]+)@users\.noreply\.github\.com$")
_GITLAB_NOREPLY = re.compile(r"^(?:\d+-)?([^@]+)@users\.noreply\.gitlab\.com$")
#: default or placeholder names, and the accounts of servers, VMs and containers that git falls
#: back to when no name is set: merging on them would fold strangers into one person.
_PLACEHOLDER_NAMES = frozenset({
    "", "root", "admin", "administrator", "user", "ubuntu", "unknown", "your name", "you", "name", "developer",
    "dev", "test", "no author", "ec2 user", "azureuser", "vagrant", "pi", "jovyan", "codespace", "gitpod",
    "vscode", "runner", "docker", "centos", "debian", "guest", "default", "anonymous", "username", "your username"})
_PLACEHOLDER_EMAIL = re.compile(r"^(?:root|you|your\.?email|your\.?name|email|user|name)@"
                                # the domains reserved for examples (RFC 2606): nobody's mailbox
                                r"|^[^@]*@example\.(?:com|org|net)$", re.I)
#: an address at a machine rather than a mail domain (git's fallback ``user@hostname``; a cloud
#: VM's or hosted CI runner's internal host name).
_HOST_LOCAL_EMAIL = re.compile(
    r"@(?:[^@.]*|.*\.(?:local|localdomain|lan|internal|internal\.cloudapp\.net)|\(none\))$", re.I)
#: the local part of an address that may be its owner's login (``slavkostrov`` in ``slavkostrov@gmail.com``).
_LOGIN = re.compile(r"^(?=.*[a-z])[a-z0-9._-]{4,}$")
#: shared or role mailboxes: their local part names no one.
_GENERIC_MAILBOXES = frozenset({
    "info", "contact", "contact us", "admin", "mail", "email", "hello", "team", "office", "support", "help",
    "git", "github", "gitlab", "user", "users", "devs", "developers", "noreply", "no reply", "test", "tests",
    "testing", "webmaster", "postmaster", "hostmaster", "sales", "service", "services", "feedback", "inbox",
    "account", "accounts", "home", "work", "private", "personal", "public", "code", "data", "research",
    "enquiries", "inquiries", "jobs", "careers", "press", "media", "marketing", "billing", "security",
    "abuse", "devops", "mlops", "engineering", "tech", "example", "demo", "project", "projects", "student",
    "opensource", "open source", "oss", "community", "hola", "mlteam", "datascience", "ml team"})


def is_bot(name: str, email: str) -> bool:
    """True for automation identities (dependency bots, CI, the hosting service itself)."""
    low_email = email.lower()
    local, _, domain = low_email.partition("@")
    if _BOT_NAME.search(name) or "[bot]" in low_email:
        return True
    if not low_email.strip():
        return True  # no address at all (``Sourcery AI <>``): git asks every person for one, apps commit without
    if name.strip().lower() in _SERVICE_NAMES:
        return True
    if domain.endswith(_BOT_DOMAINS):
        return True
    noreply_user = domain.startswith("users.noreply.")
    return not noreply_user and bool(_BOT_EMAIL_LOCAL.match(local))


def _normal_name(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded.lower()).split())


def _mailbox(email: str) -> bool:
    """A person's address: not a placeholder, and at a mail domain rather than a machine."""
    return "@" in email and not _PLACEHOLDER_EMAIL.match(email) and not _HOST_LOCAL_EMAIL.search(email)


def _name_key(normal: str) -> str:
    # spaces dropped: ``Khalid Salama`` is the login ``khalidsalama``
    return "name:" + normal.replace(" ", "")


def _login_key(local: str) -> str | None:
    """The local part of an address when it looks like its owner's login: one token of letters,
    digits and ``._-`` (a ``+tag`` dropped), four characters or more, no role mailbox."""
    local = local.split("+", 1)[0]
    normal = _normal_name(local)
    if not _LOGIN.match(local) or normal in _GENERIC_MAILBOXES or normal in _PLACEHOLDER_NAMES:
        return None
    return "login:" + _name_key(normal)


def identity_keys(name: str, email: str) -> set[str]:
    """Keys under which one author is known; authors sharing any key are one person.

    Names are compared without case, accents, punctuation or spaces. A GitHub/GitLab noreply
    address stands for its login, matched as a name, so ``pespila`` meets
    ``1+pespila@users.noreply.github.com``. The local part of a person's address that looks like
    a login is a ``login:`` key: it meets the same name (``Slava <slavkostrov@gmail.com>`` and
    ``slavkostrov <1+slavkostrov@users.noreply.github.com>``), not another address's local part
    (``john@smith.example`` and ``john@doe.example`` may be two Johns; see ``count_people``).
    No key (an empty set) for an identity that names nobody: a placeholder name at a placeholder
    or host-local address (``root <root@localhost>``, ``ubuntu <ubuntu@ip-10-0-0-1>``), what git
    writes on a machine where no one set a name.
    """
    keys: set[str] = set()
    low_email = email.strip().lower()
    noreply = _GITHUB_NOREPLY.match(low_email) or _GITLAB_NOREPLY.match(low_email)
    if noreply:
        keys.add(_name_key(_normal_name(noreply.group(1))))
    elif _mailbox(low_email):
        login = _login_key(low_email.partition("@")[0])
        keys.update(["email:" + low_email] + ([login] if login else []))
    normal = _normal_name(name)
    if normal not in _PLACEHOLDER_NAMES:
        keys.add(_name_key(normal))
    return keys


def count_people(identities: Iterable[tuple[str, str]]) -> list[str]:
    """Distinct people among (name, email) pairs: one display name per merged identity (a full
    name before a login).

    The count is of the people the history names, so it errs low: identities that name nobody
    (see ``identity_keys``) may be any of the named people committing from a server or a fresh
    machine, and add no one beside them; with no one named, they are together one person, since
    someone wrote the commits and nothing tells them apart.
    """
    pairs = sorted(set(identities))
    keyed = [(name, identity_keys(name, email)) for name, email in pairs]
    name_keys = {k for _, keys in keyed for k in keys if k.startswith("name:")}
    named = [(name, _meeting(keys, name_keys)) for name, keys in keyed if keys]
    if not named:
        return [pairs[0][0]] if pairs else []
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for _, keys in named:
        root = find(keys[0])
        for key in keys[1:]:
            parent[find(key)] = root
    handles = {name_email: _handles(*name_email) for name_email in pairs}
    groups: dict[str, list[tuple[str, str]]] = {}
    for (name, keys), name_email in zip(keyed, pairs):
        if keys:
            groups.setdefault(find(_meeting(keys, name_keys)[0]), []).append(name_email)
    roots = sorted(groups)
    for i, a in enumerate(roots):
        for b in roots[i + 1:]:
            if find(a) != find(b) and _alike([handles[x] for x in groups[a]], [handles[x] for x in groups[b]]):
                parent[find(b)] = find(a)
    spellings: dict[str, list[str]] = {}
    for name, keys in named:
        spellings.setdefault(find(keys[0]), []).append(name)
    people = [max(names, key=lambda n: (" " in n.strip(), len(n), n)) for names in spellings.values()]
    return sorted(people, key=str.lower)


# -- one person's spellings ---------------------------------------------------------------------
#: handles this long may differ by one typo and still be one person's (``bewaffnet``/``bewaffnete``).
_TYPO_LENGTH = 7
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _handles(name: str, email: str) -> tuple[set[str], list[list[str]]]:
    """(compact handles, name token lists) of one identity: its name and login without spaces or
    trailing digits, and its name and login cut into words (spaces, CamelCase). A handle of three
    or four letters is kept when it is the name or an account's login (``lps``), not the local
    part of an address (``john@``: two Johns' addresses)."""
    raw_login, account = "", False
    noreply = _GITHUB_NOREPLY.match(email.strip()) or _GITLAB_NOREPLY.match(email.strip())
    if noreply:
        raw_login, account = noreply.group(1), True
    elif _mailbox(email.lower()) and _login_key(email.lower().partition("@")[0]):
        raw_login = email.partition("@")[0].split("+", 1)[0]
    compact = {(re.sub(r"\d+$", "", _normal_name(x).replace(" ", "")), own) for x, own in ((name, True), (raw_login, account))
               if _normal_name(x) not in _PLACEHOLDER_NAMES}
    words = [[w.lower() for w in _CAMEL.findall(unicodedata.normalize("NFKD", x).encode("ascii", "ignore").decode())
              if not w.isdigit()] for x in (name, raw_login)]
    return {c for c, own in compact if len(c) >= 5 or own and len(c) >= 3}, [w for w in words if len(w) >= 2]


def _alike(a: list[tuple[set[str], list[list[str]]]], b: list[tuple[set[str], list[list[str]]]]) -> bool:
    """Two groups of identities are one person's spellings: a long handle one typo apart
    (``bewaffbet``/``bewaffnet``) or with a short tail added, a handle that is an initial and a
    surname of the other's name (``VRabinin`` of ``Valery Rabinin``, ``aturov`` of the login
    ``AleksTurov``), the name's words in the other order, or the name with its later words (or
    its first name) cut short (``devin-pe`` of ``Devin Pereira``, ``Chris Smith`` of ``Christopher Smith``)."""
    for left, right in ((a, b), (b, a)):
        handles = {h for hs, _ in left for h in hs}
        # (a letter written as a digit: ``msa1m`` is ``msaim``, Muhammad Saim's initial and surname)
        handles |= {h.translate(_LEET) for h in handles if any(c.isdigit() for c in h)}
        others = {h for hs, _ in right for h in hs}
        # the same handle once its trailing digits are dropped (``lps`` of the login ``lps08``)
        if handles & others:
            return True
        if any(len(x) >= _TYPO_LENGTH and len(y) >= _TYPO_LENGTH and _one_edit(x, y) for x in handles for y in others):
            return True
        # a long handle with a short tail added (``chuliyuaw`` of the login ``chuliyu``)
        if any(len(y) >= _TYPO_LENGTH and x.startswith(y) and len(x) - len(y) <= 2 for x in handles for y in others):
            return True
        # the name's two words in the other order (``ChuLiYu`` of ``liyu.chu``: family name first)
        if handles & {w[1] + w[0] for _, names in right for w in names if len(w[0]) >= 3 and len(w[1]) >= 3}:
            return True
        # (the first name's first letters: ``seblum`` of ``Sebastian Blum``)
        initials = {w[i][:k] + w[i + 1] for _, names in right for w in names for i in range(len(w) - 1)
                    if len(w[i + 1]) >= 4 for k in (1, 2, 3)}
        if handles & initials:
            return True
        if any(_shortened(x, y) or _first_name_shortened(x, y) for _, xs in left for x in xs for _, ys in right for y in ys):
            return True
    return False


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})


def _first_name_shortened(short: list[str], full: list[str]) -> bool:
    """The same surname with the first name cut short: ``Suhaib Rehman`` of ``Suhaibur Rehman``,
    ``Chris Smith`` of ``Christopher Smith`` (four letters of the first name at least)."""
    return (len(short) == len(full) == 2 and short[1] == full[1] and len(short[1]) >= 3
            and short[0] != full[0] and len(short[0]) >= 4 and full[0].startswith(short[0]))


def _shortened(short: list[str], full: list[str]) -> bool:
    """``short`` is ``full`` with its later words cut short: the login ``devin-pe`` of
    ``Devin Pereira`` (the first word whole and at least three letters long), or a long first
    name (four letters or more) and the surname's initial (``Sean B`` of ``Sean Burt``)."""
    least = 1 if len(short[0]) >= 4 else 2
    return (len(short) == len(full) >= 2 and short != full and short[0] == full[0] and len(short[0]) >= 3
            and all(len(s) >= least and f.startswith(s) for s, f in zip(short[1:], full[1:])))


def _one_edit(x: str, y: str) -> bool:
    """``x`` and ``y`` are equal or one insertion, deletion or substitution apart."""
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) > len(y):
        x, y = y, x
    i = next((k for k, (p, q) in enumerate(zip(x, y)) if p != q), len(x))
    return x[i + 1:] == y[i + 1:] if len(x) == len(y) else x[i:] == y[i + 1:]


def _meeting(keys: set[str], name_keys: set[str]) -> list[str]:
    """``keys`` with each login turned into the name it meets, or dropped when no author or
    noreply address has that name: two addresses' local parts alone never join two people."""
    out = set()
    for key in keys:
        if key.startswith("login:"):
            key = key.removeprefix("login:")
            if key not in name_keys:
                continue
        out.add(key)
    return sorted(out)


def unconfigured(identities: Iterable[tuple[str, str]]) -> list[str]:
    """``name <email>`` of the identities that name nobody (no key), sorted."""
    return sorted({f"{name} <{email}>" for name, email in identities if not identity_keys(name, email)})
