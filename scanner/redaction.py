"""One way to show a URL, a target or an upstream message without a credential in it.

Everything that prints what a user typed or what a server said goes through :func:`redact`:
error lines, progress lines, the bundle's target and server fields, ``--debug`` logs. Three
defences, because each one alone has a hole:

- a URL is taken apart (``urllib.parse``), its user information dropped and the values of
  secret-looking query and fragment parameters replaced, so an unknown credential in a URL
  never shows;
- a credential the user handed us (a target or ``--mlflow-uri`` with ``user:password@``, a bare
  token as the user, ``?token=``) is remembered with its encoded forms (percent-encoded, and the
  base64 of ``user:password`` a Basic ``Authorization`` header carries), so a server that echoes
  it back in its own words is caught too;
- the values of the environment variables that hold tokens are replaced wherever they appear.
"""
from __future__ import annotations

import base64
import logging
import os
import re
import threading
from urllib.parse import quote, unquote, urlsplit

MASK = "***"

#: environment variables whose values are secrets: never echoed in any message.
SECRET_ENV = ("GITHUB_TOKEN", "GITLAB_TOKEN", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD",
              "MLFLOW_TRACKING_CLIENT_CERT_PATH", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_SECRET",
              "AWS_SECRET_ACCESS_KEY", "GITHUB_APP_PRIVATE_KEY", "PROMETHEUS_TOKEN", "PROMETHEUS_PASSWORD",
              "ALERTMANAGER_TOKEN", "ALERTMANAGER_PASSWORD", "GRAFANA_TOKEN", "GRAFANA_PASSWORD")

#: (user, password) environment variables a client turns into a Basic Authorization header
_BASIC_ENV = (("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"), ("PROMETHEUS_USERNAME", "PROMETHEUS_PASSWORD"),
              ("ALERTMANAGER_USERNAME", "ALERTMANAGER_PASSWORD"), ("GRAFANA_USERNAME", "GRAFANA_PASSWORD"))

#: words that make a query parameter's value a secret (``access_token``, ``private_token``,
#: ``X-Amz-Signature``, ``api_key``, ``client_secret``, ``password`` ...).
_SECRET_WORDS = ("token", "secret", "pass", "pwd", "key", "sig", "auth", "credential", "session")

#: words after which a message carries a credential of its own (an echoed Authorization header).
_AUTH_SCHEMES = ("basic", "bearer", "token")

#: a remembered value shorter than this would mask ordinary text (a one-letter user, say)
_MIN_SECRET = 4

_remembered: set[str] = set()
_lock = threading.Lock()


def redact(text: str | None) -> str:
    """``text`` with every credential we know of, and every credential in a URL, masked."""
    if not text:
        return text or ""
    for secret in _known_secrets():
        text = text.replace(secret, MASK)
    return "".join(_redact_word(word) for word in _mask_after_scheme(_words(text)))


def redact_url(url: str | None) -> str | None:
    """``url`` without its user information (a user, a password, a token) or secret parameter values."""
    if not url:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep or not urlsplit(url).scheme:
        # scp-like git@host:path names a user, not a secret; a bare path may carry a query
        return _redact_query(url)
    _, host_and_path = _split_userinfo(rest)
    return _redact_query(f"{scheme}://{host_and_path}")


def remember(url: str | None) -> None:
    """Keep the credentials of ``url`` (a target the user gave) so no later message shows them."""
    if not url:
        return
    raw: list[str] = []
    found: list[str] = []
    scheme, sep, rest = url.partition("://")
    if sep:
        userinfo, _ = _split_userinfo(rest)
        if userinfo is not None:
            user, colon, password = userinfo.partition(":")
            # a user alone is a token (https://TOKEN@host); with a password, the password is
            raw += [password, userinfo] if colon else [user]
            if colon:  # the header a client builds, from the decoded pair or the pair as written
                found += [base64.b64encode(pair.encode()).decode()
                          for pair in {f"{unquote(user)}:{unquote(password)}", userinfo}]
    raw += [value for _, value in _secret_params(url)]
    # as written, decoded, and encoded (a server may show any of these)
    found += [form for value in raw
              for form in (value, unquote(value), quote(unquote(value), safe=""), quote(value, safe=""))]
    with _lock:
        _remembered.update(value for value in found if len(value) >= _MIN_SECRET)


def forget_all() -> None:
    """Drop every remembered credential (between tests, or scans of one process)."""
    with _lock:
        _remembered.clear()


def _known_secrets() -> list[str]:
    with _lock:
        values = set(_remembered)
    values.update(v for var in SECRET_ENV if len(v := os.environ.get(var, "")) >= _MIN_SECRET)
    for user, password in _BASIC_ENV:  # the Basic Authorization header the client builds from them
        if os.environ.get(password):
            values.add(base64.b64encode(f"{os.environ.get(user, '')}:{os.environ[password]}".encode()).decode())
    return sorted(values, key=len, reverse=True)  # a longer secret first: its parts stay masked whole


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """(user information or None, the rest) of what follows ``scheme://``.

    The host follows the *last* "@": a password may itself hold "@", and a badly typed one "/",
    "?" or "#" too, which hides the "@" from a URL parser. Text before that "@" is taken as user
    information unless it plainly is a host and path (``host/p?mail=a@b``, ``host:8080/p?x=a@b``);
    when unsure it is masked, which shows too little rather than a secret.
    """
    head, at, tail = rest.rpartition("@")
    if not at:
        return None, rest
    first = head
    for cut in "/?#":
        first = first.partition(cut)[0]
    if first != head:  # a delimiter before the "@": user information only if it has a password
        host, colon, port = first.partition(":")
        if not colon or (port.isdigit() and host):
            return None, rest
    return head, tail


def _secret_params(text: str) -> list[tuple[str, str]]:
    """(name, value) of the secret-looking parameters in ``text``'s query and fragment."""
    found = []
    for part in _params(text):
        name, eq, value = part.partition("=")
        if eq and value and _secret_name(name):
            found.append((name, value))
    return found


def _params(text: str) -> list[str]:
    query = text.partition("?")[2]
    return [p for chunk in query.split("#") for p in chunk.split("&")]


def _secret_name(name: str) -> bool:
    name = unquote(name).lower()
    return any(word in name for word in _SECRET_WORDS)


def _redact_query(text: str) -> str:
    """``text`` with the values of its secret-looking ``name=value`` parameters masked."""
    if "=" not in text:
        return text
    return "".join(_redact_param(part) for part in _PARAM_SEPARATOR.split(text))  # (separators kept)


_PARAM_SEPARATOR = re.compile(r"([?&#])")


def _redact_param(part: str) -> str:
    name, eq, value = part.partition("=")
    return f"{name}={MASK}" if eq and value and _secret_name(name.rpartition("/")[2]) else part


def _words(text: str) -> list[str]:
    """``text`` cut at white space, the white space kept, so joining the words restores it. (A
    password may hold any other character, quotes and brackets included.)"""
    words, start = [], 0
    for i, ch in enumerate(text):
        if ch.isspace():
            if start < i:
                words.append(text[start:i])
            words.append(ch)
            start = i + 1
    if start < len(text):
        words.append(text[start:])
    return words


def _core(word: str) -> tuple[str, str, str]:
    """(lead, core, trail) of a word: quotes, brackets and punctuation around it set apart
    (``'https://host/x?token=a':`` -> ``'``, the URL, ``':``)."""
    core = word.lstrip(_WRAP)
    lead = word[:len(word) - len(core)]
    stripped = core.rstrip(_WRAP + ":.!")
    return lead, stripped, core[len(stripped):]


_WRAP = "\"'<>()[]{},;"


def _mask_after_scheme(words: list[str]) -> list[str]:
    """Mask the word after ``Basic``/``Bearer``/``token`` when it follows an Authorization header."""
    out, after_auth = list(words), False
    for i, word in enumerate(words):
        lowered = _core(word)[1].lower()
        if "authorization" in lowered:
            after_auth = True
        elif after_auth and lowered in _AUTH_SCHEMES:
            nxt = next((j for j in range(i + 1, len(words)) if _core(words[j])[1].strip()), None)
            if nxt is not None:
                lead, _, trail = _core(words[nxt])
                out[nxt] = lead + MASK + trail
            after_auth = False
    return out


def _redact_word(word: str) -> str:
    lead, core, trail = _core(word)
    if "://" in core:
        return lead + (redact_url(core) or core) + trail
    if "=" in core:
        return lead + _redact_query(core) + trail
    return word


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter so every log line (message, arguments, traceback) is redacted:
    an HTTP client's debug line carries the full request path, query string included."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def redact_logs() -> None:
    """Give every handler of the root logger a redacting formatter (once)."""
    for handler in logging.getLogger().handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(handler.formatter))
