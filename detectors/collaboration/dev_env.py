"""Shared development environments: dev containers, docker compose stacks, Gitpod, Nix shells
and devbox. Production-only compose files are declared."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.collaboration.repo import RepoFiles, more, table
from detectors.collaboration.signals import DEV_ENV
from scanner.model import Evidence, Tier
from scanner.scope import is_test_path

_COMPOSE = re.compile(r"(?:^|/)(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$", re.I)
_PROD_NAME = re.compile(r"(?<![a-z])(?:prod|production|prd|deploy|release|server)(?![a-z])", re.I)
#: folders of what is shipped to servers (``deployment/docker/docker-compose.monitoring.yml``)
_PROD_DIRS = frozenset({"deploy", "deployment", "deployments", "production", "prod"})
_LOCAL_NAME = re.compile(r"(?<![a-z])(?:local|dev|devel|develop|development|sandbox)(?![a-z])", re.I)
#: at the root, or of a project kept in a top-level folder (a monorepo's subprojects)
_DEVCONTAINER = re.compile(r"^(?:[^/]+/)?(?:\.devcontainer/(?:[^/]+/)?devcontainer\.json|\.devcontainer\.json)$", re.I)
#: (name, config file, regex its content must match: "" for any content).
_DEV_SHELLS = (
    ("gitpod", re.compile(r"^\.gitpod\.ya?ml$", re.I), ""),
    ("nix flake", re.compile(r"(?:^|/)flake\.nix$", re.I), r"devShells?\b"),
    ("nix shell", re.compile(r"(?:^|/)shell\.nix$", re.I), r"mkShell"),
    ("devbox", re.compile(r"(?:^|/)devbox\.json$", re.I), r"packages"),
)
_ANY_DEV_SHELL = re.compile("|".join(f"(?:{p.pattern})" for _, p, _ in _DEV_SHELLS), re.I)


#: what makes a compose service run as a local stack (a file of images to build is a build script).
_RUN_KEYS = frozenset({"ports", "volumes", "environment", "env_file", "command", "entrypoint", "depends_on",
                       "networks", "expose"})


def _has_services(repo: RepoFiles, path: str) -> bool:
    """A compose file that defines at least one service run locally (not only images to build)."""
    services = table(repo.first_document(path), "services")
    return isinstance(services, dict) and any(isinstance(svc, dict) and _RUN_KEYS & set(svc)
                                              for svc in services.values())


def _for_production(path: str) -> bool:
    """A compose file named for production or a server, or kept with what is deployed unless its
    name says it is the local one (``deploy/compose.local.yml``)."""
    *folders, name = path.lower().split("/")
    return bool(_PROD_NAME.search(name)) or bool(_PROD_DIRS.intersection(folders)) and not _LOCAL_NAME.search(name)


def _compose_problem(repo: RepoFiles, path: str) -> str | None:
    """Why a compose file cannot be read as one: unparsable, or not shaped like a compose file."""
    why = repo.parse_problem(path)
    if why:
        return why
    doc = repo.first_document(path)
    if doc is None:
        return None
    if not isinstance(doc, dict):
        return "the document is not a mapping"
    services = doc.get("services")
    if services is not None and not isinstance(services, dict):
        return "'services' is not a mapping"
    return None


def dev_env_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """The first of: a dev container, a local compose stack, a dev shell, production compose files."""
    devcontainers = repo.with_content([p for p in repo.files if _DEVCONTAINER.match(p)], min_chars=10)
    if devcontainers:
        yield repo.found(DEV_ENV, f"dev container {devcontainers[0]}", devcontainers, subject="devcontainer")
        return
    compose_files = [p for p in repo.files if _COMPOSE.search(p)]
    composed = [p for p in compose_files if _has_services(repo, p)]
    # (a stack a test suite starts, such as localstack for integration tests, develops nothing)
    local = [p for p in composed if not _for_production(p) and not is_test_path(p)]
    if local:
        yield repo.found(DEV_ENV, f"docker compose stack {more(local)}", local, subject="compose", files=local[:20])
        return
    # an unreadable compose file may be the dev stack: error, unless something below is present
    for path in compose_files:
        why = _compose_problem(repo, path)
        if why and not _PROD_NAME.search(path.rsplit("/", 1)[-1]):
            yield repo.error(DEV_ENV, path, why)
    shells = [p for p in repo.files if _ANY_DEV_SHELL.search(p)]
    for name, pattern, content in _DEV_SHELLS:
        paths = [p for p in shells if pattern.search(p) and re.search(content, repo.text(p))]
        if paths:
            yield repo.found(DEV_ENV, f"{name} development environment {paths[0]}", paths, subject=name)
            return
    if composed:
        what = "of a test suite" if all(is_test_path(p) for p in composed) else "for production"
        yield repo.found(DEV_ENV, f"only compose files {what} ({composed[0]})", composed,
                         tier=Tier.DECLARED, subject="compose")
