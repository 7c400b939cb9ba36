"""HTTP for the GitHub and GitLab APIs: counted, budgeted, rate-limit aware, conditional.

Every request a remote scan makes goes through :class:`ApiSession`, so one place counts them
(per repository and for a whole org scan), stops at ``--max-requests``, honours
``Retry-After``, ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` (GitHub) and
``RateLimit-Remaining``/``RateLimit-Reset`` (GitLab), retries 5xx answers with backoff, and
replays cached bodies on ``304 Not Modified`` (ETag conditional requests, which GitHub does not
count against the rate limit). Tokens travel in headers only and never appear in a message.

A token is only ever sent to the origin (scheme, host and port) of the session's API base:
pagination links and redirects that lead elsewhere are refused with :class:`ApiForeignHost`,
and redirects are followed here, one hop at a time, rather than by ``requests``.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping
from urllib.parse import urljoin, urlsplit

from scanner.deadline import Deadline, TookTooLong, within
from scanner.redaction import redact
from scanner.sources.interface import SourceError

if TYPE_CHECKING:  # the HTTP client is imported when a session is made: a local scan never needs it
    import requests

def _requests():
    """The HTTP client module (imported on first use)."""
    import requests
    return requests


#: longest wait for a rate limit to reset before giving up on the request (seconds).
DEFAULT_MAX_WAIT = 120.0
#: backoff before each retry of a 5xx answer or a network failure (seconds).
BACKOFF = (0.5, 1.0, 2.0)
#: the wait GitHub documents for a secondary rate limit without Retry-After.
SECONDARY_WAIT = 60.0
_SECONDARY = re.compile(r"secondary rate limit|abuse", re.I)
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
#: the largest API answer read (a page, a tree, a file): past it the answer is refused
MAX_ANSWER_BYTES = 64 * 1024 * 1024
#: wall-clock seconds for one complete answer (headers and body): a server that drips a byte a
#: second passes every per-read timeout, never this one.
ANSWER_SECONDS = 120.0
#: redirects followed for one request before giving up.
MAX_REDIRECTS = 5
_DEFAULT_PORTS = {"http": 80, "https": 443}


class ApiError(SourceError):
    """The API did not answer as needed; ``reason`` is safe to show (no token)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class ApiMalformed(ApiError):
    """A successful answer that is not what the endpoint returns: an HTML login page, truncated
    JSON, an empty body, a list where an object belongs. What it fed cannot be read."""


def expect(data: Any, shape: type, where: str, *, objects: bool = False) -> Any:
    """``data`` when it is of ``shape`` (dict or list), else ApiMalformed naming ``where``; with
    ``objects``, a list keeps only its objects (what an endpoint listing objects may hold)."""
    if not isinstance(data, shape):
        want = "a JSON object" if shape is dict else "a JSON list"
        raise ApiMalformed(f"{where}: expected {want}, got {_described(data)}")
    return [item for item in data if isinstance(item, dict)] if objects and shape is list else data


def _described(data: Any) -> str:
    if data is None or data == "":
        return "an empty answer"
    if isinstance(data, str):
        return "an HTML page" if "<html" in data[:500].lower() or "<!doctype" in data[:500].lower() \
            else "text that is not JSON (truncated?)"
    return "a JSON list" if isinstance(data, list) else "a JSON object" if isinstance(data, dict) else type(data).__name__


class ApiNotFound(ApiError):
    """404 (or 409 for an empty repository): the resource does not exist or is hidden."""


class ApiForbidden(ApiError):
    """401/403 that is not a rate limit: the token may not read this."""


class ApiRateLimited(ApiError):
    """A rate limit whose reset lies further ahead than we are willing to wait."""


class ApiUnavailable(ApiError):
    """Network failure or 5xx after the retries."""


class ApiDeadline(ApiUnavailable):
    """The scan's deadline (``--timeout``) came before the answer: the request was cut or not sent."""


class BudgetExhausted(ApiError):
    """``--max-requests`` was reached: the request was not sent."""


class ApiForeignHost(ApiUnavailable):
    """A pagination link or a redirect pointed away from the API's origin: not followed.

    The answer is unavailable rather than wrong: following it would hand the token to another
    host, so the fact it carried is reported not_available (or the repository failed).
    """


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``, lower-cased and with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # a malformed port matches no real origin
    return scheme, (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


class RequestBudget:
    """A request count shared by every session of one run, with an optional ceiling."""

    def __init__(self, max_requests: int | None = None) -> None:
        self.max_requests = max_requests
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        """Count one request, or raise BudgetExhausted without counting it."""
        with self._lock:
            if self.max_requests is not None and self.used >= self.max_requests:
                raise BudgetExhausted(f"request budget of {self.max_requests} spent (--max-requests)")
            self.used += 1


class RateLimitGate:
    """What the server said about its rate limit; every thread waits on the same gate."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep, max_wait: float = DEFAULT_MAX_WAIT,
                 clock: Callable[[], float] = time.time) -> None:
        self.sleep = sleep
        self.max_wait = max_wait
        self.clock = clock
        self._resume_at = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0

    def hold_until(self, when: float, why: str, deadline: Deadline | None = None, waited: float = 0.0) -> None:
        """Pause every request until ``when`` (epoch seconds), or raise when that is too far: past
        ``max_wait`` for this request (``waited`` already spent on it) or past the scan's deadline."""
        delay = when - self.clock()
        if waited + delay > self.max_wait:
            raise ApiRateLimited(f"{why}: resets in {round(delay)} s, beyond the {int(self.max_wait)} s we wait")
        if deadline is not None and delay > deadline.remaining():
            raise ApiRateLimited(f"{why}: resets in {round(delay)} s, after {deadline} ends "
                                 f"({int(deadline.remaining())} s were left); not waited for")
        self.close_until(when)

    def close_until(self, when: float) -> None:
        """Pause the requests after this one until ``when``: an answer that spent the last point
        of the limit still carries its data; the next request waits, or gives up in :meth:`wait`."""
        with self._lock:
            self._resume_at = max(self._resume_at, when)

    def wait(self, deadline: Deadline | None = None) -> float:
        """Sleep until the gate opens; returns the seconds slept. A pause longer than ``max_wait``
        or than what is left of the deadline is not waited for (ApiRateLimited)."""
        with self._lock:
            delay = self._resume_at - self.clock()
        if delay <= 0:
            return 0.0
        if delay > self.max_wait:
            raise ApiRateLimited(f"rate limit spent: resets in {round(delay)} s, beyond the {int(self.max_wait)} s we wait")
        if deadline is not None and delay > deadline.remaining():
            raise ApiRateLimited(f"rate limit spent: resets in {round(delay)} s, after {deadline} ends; "
                                 "not waited for")
        with self._lock:
            self.waited += delay
        self.sleep(delay)
        return delay


class EtagCache:
    """Bodies of earlier GET answers by URL, replayed when the server says 304 Not Modified."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] = {}
        if path is not None and path.is_file():
            try:
                self._entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._entries = {}  # a damaged cache only costs full requests
        self.hits = 0

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._entries.get(key)

    def hit(self) -> None:
        """Count one answer replayed from the cache."""
        with self._lock:
            self.hits += 1

    def put(self, key: str, etag: str, body: str, headers: Mapping[str, str]) -> None:
        keep = {k: v for k, v in headers.items() if k.lower() == "link"}
        with self._lock:
            self._entries[key] = {"etag": etag, "body": body, "headers": keep}

    def save(self) -> None:
        """Write the cache next to an org report, so a re-run asks conditionally."""
        if self.path is None:
            return
        with self._lock:
            text = json.dumps(self._entries)
        # write then rename: a crash mid-write never leaves a truncated cache behind
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.path.parent,
                                         prefix=self.path.name + ".", suffix=".tmp", delete=False) as tmp:
            tmp.write(text)
        try:
            os.replace(tmp.name, self.path)
        except OSError:
            Path(tmp.name).unlink(missing_ok=True)
            raise


@dataclass
class Answer:
    """One API answer: status, headers and decoded JSON (or text)."""

    status: int
    headers: Mapping[str, str]
    data: Any
    from_cache: bool = False

    def object(self, where: str) -> dict[str, Any]:
        """The answer as a JSON object, or ApiMalformed."""
        return expect(self.data, dict, where)


@dataclass
class ApiSession:
    """Requests to one API base URL with a token header; counts what it sends."""

    base_url: str
    auth_header: tuple[str, str] | None = None
    budget: RequestBudget = field(default_factory=RequestBudget)
    gate: RateLimitGate = field(default_factory=RateLimitGate)
    cache: EtagCache | None = None
    timeout: float = 30.0
    """Seconds for the connection and for each read (``requests``' timeouts)."""
    deadline: Deadline = field(default_factory=Deadline)
    """The scan's deadline: every request and every wait ends before it."""
    answer_seconds: float = ANSWER_SECONDS
    retries: int = len(BACKOFF)
    requests_made: int = 0
    not_modified: int = 0
    http: requests.Session = field(default_factory=lambda: _requests().Session())

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.origin = origin(self.base_url)
        self.http.headers["User-Agent"] = "mlops-scan"
        self.http.trust_env = False  # no .netrc credentials leaking into requests we did not ask for

    def close(self) -> None:
        """Close the pooled connections (the session can still be used: it opens new ones)."""
        self.http.close()

    def url(self, path: str) -> str:
        """Absolute URL of an API path (absolute URLs pass through; see :meth:`same_origin`)."""
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def same_origin(self, url: str) -> bool:
        """True when ``url`` has the scheme, host and port of the API base: only then is the token sent."""
        return origin(url) == self.origin

    def _headers_for(self, url: str, headers: Mapping[str, str]) -> dict[str, str]:
        out = dict(headers)
        if self.auth_header and self.same_origin(url):
            out[self.auth_header[0]] = self.auth_header[1]
        return out

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, accept: str | None = None,
            ok: tuple[int, ...] = (200,)) -> Answer:
        """GET with caching, retries and rate limits; raises an ApiError for other answers."""
        return self._send("GET", self.url(path), params=params, accept=accept, ok=ok)

    def get_bytes(self, path: str, params: Mapping[str, Any] | None = None, *, accept: str | None = None) -> bytes:
        """GET a file's raw bytes (not cached: file reads happen once per scan)."""
        return self._send("GET", self.url(path), params=params, accept=accept, ok=(200,), raw=True).data

    def post_json(self, path: str, payload: Mapping[str, Any]) -> Answer:
        """POST a JSON body (GraphQL)."""
        return self._send("POST", self.url(path), payload=payload, ok=(200,))

    def pages(self, path: str, params: Mapping[str, Any] | None = None, *, limit: int) -> Iterator[Any]:
        """Items of a paginated list, following ``Link: rel="next"`` until ``limit`` items."""
        url: str | None = self.url(path)
        query: Mapping[str, Any] | None = params
        count = 0
        while url and count < limit:
            answer = self._send("GET", url, params=query, ok=(200,))
            # a page that is no list is an error naming it, never a shorter listing
            items = expect(answer.data, list, f"{self.host}: {redact(url)}")
            for item in items:
                if count >= limit:
                    return
                count += 1
                yield item
            match = _LINK_NEXT.search(answer.headers.get("Link", "") or answer.headers.get("link", ""))
            url, query = (urljoin(url, match.group(1)), None) if match and items else (None, None)
            if url and not self.same_origin(url):
                raise ApiForeignHost(f"{self.host}: next-page link points to another host "
                                     f"({urlsplit(url).hostname or '?'}); not followed")

    # -- plumbing ---------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
              payload: Mapping[str, Any] | None = None, accept: str | None = None,
              ok: tuple[int, ...], raw: bool = False) -> Answer:
        key = url + "?" + "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        cached = self.cache.get(key) if self.cache is not None and method == "GET" and not raw else None
        headers = {"Accept": accept or "application/json"}
        if cached:
            headers["If-None-Match"] = cached["etag"]
        attempt = 0
        hops = 0
        waited = 0.0
        while True:
            waited += self.gate.wait(self.deadline)
            if self.deadline.passed:
                raise ApiDeadline(f"{self.host}: {self.deadline.reason()}; request not sent")
            self.budget.take()
            self.requests_made += 1
            try:
                resp = self._fetch(method, url, params, payload, self._headers_for(url, headers))
            except _requests().RequestException as exc:
                if attempt < self.retries:
                    waited += self._pause(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                    attempt += 1
                    continue
                raise ApiUnavailable(f"{self.host}: {_network_failure(exc, self.timeout)}") from None
            if resp.is_redirect:
                hops += 1
                url = self._redirect_target(resp, hops)
                params = None  # the Location is a complete URL
                if resp.status_code == 303 or (resp.status_code in (301, 302) and method == "POST"):
                    method, payload = "GET", None
                continue
            pause = self._retry_pause(resp, attempt, waited)
            if pause is not None:
                waited += pause
                attempt += 1
                continue
            if raw and resp.status_code in ok:
                return Answer(resp.status_code, resp.headers, resp.content)
            return self._answer(resp, key, cached, ok)

    def _fetch(self, method: str, url: str, params: Mapping[str, Any] | None, payload: Mapping[str, Any] | None,
               headers: Mapping[str, str]) -> requests.Response:
        """One request and its whole body, within ``answer_seconds`` and the deadline."""
        def call() -> requests.Response:
            # redirects are followed by _send, so a token never follows one to another host
            resp = self.http.request(method, url, params=params, json=payload, headers=headers,
                                     timeout=self.timeout, allow_redirects=False, stream=True)
            if not resp.is_redirect:
                _read_capped(resp, self.host)
            return resp

        limit = min(self.answer_seconds, self.deadline.remaining())
        try:
            return within(limit, call, name=f"api-{self.host}")
        except TookTooLong:
            if limit < self.answer_seconds:
                raise ApiDeadline(f"{self.host}: {self.deadline.reason()} while an answer was still arriving") from None
            raise ApiUnavailable(f"{self.host}: no complete answer within {limit:g} s (a stalled or "
                                 "dripping server)") from None

    def _pause(self, seconds: float) -> float:
        """Sleep ``seconds`` before a retry, unless that would pass the deadline."""
        if seconds >= self.deadline.remaining():
            raise ApiDeadline(f"{self.host}: {self.deadline.reason()}; no time left to retry")
        self.gate.sleep(seconds)
        return seconds

    def _redirect_target(self, resp: requests.Response, hops: int) -> str:
        """Where a redirect leads, when that is the API's own origin; raises otherwise."""
        status = resp.status_code
        target = urljoin(resp.url, resp.headers.get("Location", ""))
        resp.close()
        if not self.same_origin(target):
            raise ApiForeignHost(f"{self.host}: HTTP {status} redirect to another host "
                                 f"({urlsplit(target).hostname or '?'}); not followed", status)
        if hops > MAX_REDIRECTS:
            raise ApiError(f"{self.host}: more than {MAX_REDIRECTS} redirects", status)
        return target

    def _retry_pause(self, resp: requests.Response, attempt: int, waited: float) -> float | None:
        """None to take the answer as it is; else the answer is a rate limit or a 5xx worth
        retrying, and the seconds of backoff slept (a rate limit's pause is set on the gate)."""
        status = resp.status_code
        self._note_rate_limit(resp)
        if attempt >= self.retries:
            return None
        if status == 429 or (status == 403 and self._is_rate_limit(resp)):
            self.gate.hold_until(self._reset_time(resp), f"{self.host}: rate limited (HTTP {status})",
                                 self.deadline, waited)
            return 0.0
        if status >= 500:
            return self._pause(BACKOFF[min(attempt, len(BACKOFF) - 1)])
        return None

    def _note_rate_limit(self, resp: requests.Response) -> None:
        """An exhausted primary limit pauses the next request until its reset."""
        remaining = _header(resp, "X-RateLimit-Remaining", "RateLimit-Remaining")
        reset = _header(resp, "X-RateLimit-Reset", "RateLimit-Reset")
        if remaining == "0" and reset and reset.isdigit() and resp.status_code < 400:
            self.gate.close_until(float(reset))

    def _is_rate_limit(self, resp: requests.Response) -> bool:
        if resp.headers.get("Retry-After") or _header(resp, "X-RateLimit-Remaining", "RateLimit-Remaining") == "0":
            return True
        return bool(_SECONDARY.search(resp.text[:2000]))

    def _reset_time(self, resp: requests.Response) -> float:
        now = self.gate.clock()
        after = resp.headers.get("Retry-After", "")
        if after.strip().isdigit():
            return now + float(after)
        reset = _header(resp, "X-RateLimit-Reset", "RateLimit-Reset")
        if _header(resp, "X-RateLimit-Remaining", "RateLimit-Remaining") == "0" and reset and reset.isdigit():
            return float(reset) + 1
        return now + SECONDARY_WAIT

    def _answer(self, resp: requests.Response, key: str, cached: dict[str, Any] | None,
                ok: tuple[int, ...]) -> Answer:
        if resp.status_code == 304 and cached:
            self.not_modified += 1
            if self.cache is not None:
                self.cache.hit()
            return Answer(200, {**cached["headers"]}, _decode(cached["body"]), from_cache=True)
        if resp.status_code not in ok:
            raise _error_for(resp, self.host)
        etag = resp.headers.get("ETag")
        if self.cache is not None and etag and resp.request.method == "GET":
            self.cache.put(key, etag, resp.text, resp.headers)
        return Answer(resp.status_code, resp.headers, _decode(resp.text))


def _read_capped(resp: requests.Response, host: str) -> None:
    """Read the body of a streamed answer, refusing it past ``MAX_ANSWER_BYTES``: a hostile or
    broken server cannot fill the memory (the body then serves ``.text``/``.content`` as usual)."""
    chunks, size = [], 0
    for chunk in resp.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            resp.close()
            raise ApiMalformed(f"{host}: an answer larger than {MAX_ANSWER_BYTES} bytes, refused")
        chunks.append(chunk)
    resp._content = b"".join(chunks)  # requests keeps a read body here


def _network_failure(exc: Exception, timeout: float) -> str:
    """What a request that got no answer ran into, in words (the exception's own text names the URL)."""
    if isinstance(exc, _requests().Timeout):
        return f"no answer within {timeout:g} s (timeout)"
    if isinstance(exc, _requests().ConnectionError):
        return "unreachable (connection failed)"
    return f"no answer ({exc.__class__.__name__})"


def _header(resp: requests.Response, *names: str) -> str | None:
    for name in names:
        value = resp.headers.get(name)
        if value is not None:
            return value.strip()
    return None


def _decode(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _error_for(resp: requests.Response, host: str) -> ApiError:
    """The typed error for an unwanted answer; the message quotes the API's own short text."""
    status = resp.status_code
    detail = ""
    data = _decode(resp.text[:4000])
    if isinstance(data, dict):
        detail = str(data.get("message") or data.get("error") or "")[:200]
    where = f"{host}: HTTP {status}" + (f" ({redact(detail)})" if detail else "")
    path = urlsplit(resp.url).path if resp.url else ""
    if status in (404, 409, 410):
        return ApiNotFound(f"{where} for {path}", status)
    if status in (401, 403):
        return ApiForbidden(f"{where} for {path}", status)
    if status == 429:
        return ApiRateLimited(f"{where}: rate limited", status)
    if status >= 500:
        return ApiUnavailable(f"{where} after retries", status)
    return ApiError(f"{where} for {path}", status)
