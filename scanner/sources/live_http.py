"""A running system read over its HTTP JSON API: the common ground of the live monitoring sources
(Prometheus, Alertmanager, Grafana, the Evidently UI).

Every request goes through the scan's own session (:class:`~scanner.sources.http_budget.ApiSession`):
counted, bounded by the source's timeout and the scan's deadline, read with a size cap, redirects
followed only on the server's own origin, so a token is never sent to another host. Credentials
come only from the environment variables a source names, are sent in a header and are redacted from
every message. Each answer is read once per scan; a failure is kept too, so a dead server costs
one timeout, not one per question.
"""
from __future__ import annotations

import base64
import os
from typing import Any, Callable, ClassVar, Mapping, TypeVar
from urllib.parse import urlsplit, urlunsplit

from scanner.deadline import Deadline
from scanner.redaction import redact, remember
from scanner.sources.http_budget import (
    ApiDeadline,
    ApiError,
    ApiForbidden,
    ApiForeignHost,
    ApiMalformed,
    ApiNotFound,
    ApiRateLimited,
    ApiSession,
    ApiUnavailable,
    RateLimitGate,
)
from scanner.sources.interface import SourceError

T = TypeVar("T")


class LiveError(SourceError):
    """A live system could not answer; ``reason`` is safe to show (no credentials)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LiveUnavailable(LiveError):
    """Down, no answer in time, 5xx, rate limited, or redirected to another host: not now."""


class LiveForbidden(LiveError):
    """401/403: the credentials in the environment do not allow reading."""


class LiveNotFound(LiveError):
    """404: the API is disabled or this is not the kind of server it was said to be."""


class LiveQueryFailed(LiveError):
    """Any other failure (an answer of the wrong shape, an unexpected status)."""


#: failures that say the system could not be checked now (not_available), not that it is broken
NOT_AVAILABLE = (LiveUnavailable, LiveForbidden, LiveNotFound)


class LiveSource:
    """Read-only, bounded GETs of one system's JSON API.

    Subclasses name the vocabulary source (``name``), what the system is (``kind``) and the
    environment variables of its credentials: a bearer token, or a user and password.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    token_env: ClassVar[str | None] = None
    user_env: ClassVar[str | None] = None
    password_env: ClassVar[str | None] = None

    def __init__(self, url: str, *, timeout: float = 10.0, deadline: Deadline | None = None,
                 max_retries: int = 1, matches: tuple[str, ...] = ()) -> None:
        remember(url)  # the server may echo credentials of the URL back in an error
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{self.kind}: not an http(s) URL: {redact(url)}")
        self.url = url.strip().rstrip("/")
        self.base = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path.rstrip("/"), "", ""))
        self.display_uri = redact(self.base)
        self._user_info = parts.username, parts.password
        self.timeout = timeout
        self.max_retries = max_retries
        self.deadline = deadline or Deadline()
        self.matches = tuple(matches)
        """What the user said belongs to the repository (``--monitoring-match``)."""
        self.truncated: set[str] = set()
        """Questions whose answer was cut to a cap (the facts are then a sample)."""
        self._cache: dict[Any, Any] = {}
        self._session: ApiSession | None = None

    @property
    def requests_made(self) -> int:
        return self._session.requests_made if self._session is not None else 0

    def describe(self) -> dict[str, Any]:
        """Coverage facts for the report (no credentials)."""
        return {"uri": self.display_uri, "requests": self.requests_made, "truncated": sorted(self.truncated)}

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    # -- plumbing -----------------------------------------------------------------------------

    def get_json(self, what: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The decoded JSON of one GET (asked once per scan); every failure a typed LiveError."""
        key = (path, tuple(sorted((params or {}).items())))
        return self.cached(key, lambda: self._get(what, path, params))

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """Compute once; a failure is kept too."""
        return once(self._cache, key, compute, LiveError)

    def _get(self, what: str, path: str, params: Mapping[str, Any] | None) -> Any:
        where = f"{what} at {self.display_uri}"
        try:
            answer = self._http().get(path, params)
        except ApiError as exc:
            raise self._classify(where, exc) from None  # from None: the cause names the URL
        if answer.data is None or isinstance(answer.data, str):
            raise LiveQueryFailed(f"{where}: the answer is not JSON (empty, or an HTML page: "
                                  f"not a {self.kind}?)")
        return answer.data

    def _classify(self, where: str, exc: ApiError) -> LiveError:
        status = exc.status
        if isinstance(exc, ApiForeignHost):
            return LiveUnavailable(f"{where}: redirected to another host; not followed (no credentials sent there)")
        if isinstance(exc, ApiForbidden):
            return LiveForbidden(f"{where}: the server refused access (HTTP {status}); "
                                 f"give credentials through {self._credential_hint()}")
        if isinstance(exc, ApiNotFound):
            return LiveNotFound(f"{where}: HTTP {status} (API disabled, or not a {self.kind}?)")
        if isinstance(exc, ApiDeadline):
            return LiveUnavailable(f"{where}: {self.deadline.reason()}")
        if isinstance(exc, (ApiUnavailable, ApiRateLimited)):
            said = f"the server answered HTTP {status}" if status else after_host(exc.reason)
            return LiveUnavailable(f"{where}: {said}")
        if isinstance(exc, ApiMalformed):
            return LiveQueryFailed(f"{where}: {after_host(exc.reason)}")
        return LiveQueryFailed(f"{where} failed (HTTP {status}): {after_host(exc.reason)}")

    def _credential_hint(self) -> str:
        names = [n for n in (self.token_env, self.user_env and f"{self.user_env}/{self.password_env}") if n]
        return " or ".join(names) or "the URL"

    def _auth(self) -> tuple[str, str] | None:
        """The Authorization header: the URL's user information, else the environment's."""
        env = os.environ
        user, password = self._user_info
        if user is None and self.user_env and env.get(self.user_env):
            user, password = env[self.user_env], env.get(self.password_env or "", "")
        if user is not None:
            basic = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            return "Authorization", f"Basic {basic}"
        if self.token_env and env.get(self.token_env):
            return "Authorization", f"Bearer {env[self.token_env]}"
        return None

    def _http(self) -> ApiSession:
        if self._session is None:
            self._session = ApiSession(f"{self.base}/", auth_header=self._auth(), timeout=self.timeout,
                                       deadline=self.deadline, retries=self.max_retries,
                                       answer_seconds=max(self.timeout * 3, 10.0),
                                       gate=RateLimitGate(max_wait=min(30.0, self.timeout * 3)))
        return self._session


def once(cache: dict[Any, Any], key: Any, compute: Callable[[], T], failure: type[Exception]) -> T:
    """``compute()`` once per key; a ``failure`` is kept and raised again, so a dead server costs
    one timeout, not one per question."""
    if key not in cache:
        try:
            cache[key] = compute()
        except failure as exc:
            cache[key] = exc
    value = cache[key]
    if isinstance(value, failure):
        raise value
    return value


def after_host(reason: str) -> str:
    """A session message without its ``host: `` prefix (the reason names the server)."""
    return redact(reason.split(": ", 1)[1] if ": " in reason else reason)[:200]


def objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of a list (anything else in it, or a non-list, gives none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
