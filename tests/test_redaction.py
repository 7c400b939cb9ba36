"""No credential reaches any output: one redaction for URLs, targets, upstream messages and logs.

A property test over generated URLs with a credential in every position (a password holding
``@``, ``/``, ``:``, ``?`` or ``#``, a bare token as the user, secret query and fragment
parameters), then the command line itself on each way a credential used to leak."""
from __future__ import annotations

import base64
import subprocess
import sys
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mlflow_support import dumps_evidence, echo_auth_responder, fake_server
from scanner.detector import ScanContext
from scanner.redaction import forget_all, redact, redact_url, remember
from scanner.sources.mlflow_server import MLflowSource
from detectors.mlflow_server import MLflowServerDetector

#: a secret: distinctive enough never to be part of the URL around it by chance
SECRETS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@/:?#%+!$&'()*,;=~._-",
                  min_size=6, max_size=24).map(lambda s: "Zq" + s)
#: a bare token as the user: the characters tokens are made of (one holding "/", "@", "?" or
#: "#" would make every client read a host there, not a user)
TOKENS = st.from_regex(r"[A-Za-z0-9_.~+=-]{6,30}", fullmatch=True).map(lambda s: "Zq" + s)
NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
HOSTS = st.sampled_from(["127.0.0.1", "github.com", "mlflow.internal.example", "[::1]", "gitlab.example.com"])
SCHEMES = st.sampled_from(["https", "http", "git", "ssh", "mlflow+http", "git+https"])
SECRET_PARAMS = st.sampled_from(["token", "access_token", "private_token", "password", "api_key", "X-Amz-Signature",
                                 "client_secret", "sig"])


@pytest.fixture(autouse=True)
def _forget():
    forget_all()
    yield
    forget_all()


def _url(scheme: str, user: str | None, secret: str, host: str, port: int | None, path: str, where: str,
         param: str) -> str:
    netloc = host + (f":{port}" if port else "")
    if where == "password":
        return f"{scheme}://{user}:{secret}@{netloc}/{path}"
    if where == "user":  # a bare token as the user
        return f"{scheme}://{secret}@{netloc}/{path}"
    if where == "encoded":  # the password percent-encoded, as a careful user writes it
        return f"{scheme}://{user}:{quote(secret, safe='')}@{netloc}/{path}"
    value = quote(secret, safe="")
    if where == "query":
        return f"{scheme}://{netloc}/{path}?ref=main&{param}={value}"
    return f"{scheme}://{netloc}/{path}#{param}={value}"


@settings(max_examples=400, deadline=None)
@given(scheme=SCHEMES, user=NAMES, secret=SECRETS, host=HOSTS, port=st.none() | st.integers(1, 65535),
       path=NAMES, where=st.sampled_from(["password", "user", "encoded", "query", "fragment"]), param=SECRET_PARAMS,
       token=TOKENS)
def test_no_generated_credential_survives(scheme, user, secret, host, port, path, where, param, token):
    secret = token if where == "user" else secret
    url = _url(scheme, user, secret, host, port, path, where, param)
    shown_secret = secret if where in ("password", "user") else quote(secret, safe="")
    assume(shown_secret not in url.replace(shown_secret, "", 1))  # the secret is in one place only
    # structurally, with nothing remembered: the URL alone, and inside a message about it
    for text in (redact_url(url), redact(url), redact(f"error: cannot read {url}: fatal: unable to access '{url}/'"),
                 redact(f'{{"detail": "{url}"}}')):
        assert shown_secret not in text
    # once the target is remembered, its decoded and encoded forms and the Basic header are masked too
    remember(url)
    echoed = f"server said: {secret} / {quote(secret, safe='')} / Basic " + \
             base64.b64encode(f"{user}:{secret}".encode()).decode()
    if where in ("password", "encoded"):
        for form in (secret, quote(secret, safe=""), base64.b64encode(f"{user}:{secret}".encode()).decode()):
            assert form not in redact(echoed)


@pytest.mark.parametrize("url, shown", [
    ("https://user:SECRET@host/o/r.git", "https://host/o/r.git"),
    ("https://us@er:SE@CRET@host/o/r.git", "https://host/o/r.git"),
    ("https://user:SE/CRET@host/o/r.git", "https://host/o/r.git"),
    ("https://user:SE?CR#ET@host/o/r.git", "https://host/o/r.git"),
    ("https://token@example.com/o/r", "https://example.com/o/r"),
    ("https://host/o/r.git?access_token=SECRET&ref=main", "https://host/o/r.git?access_token=***&ref=main"),
    ("https://host/api/v4/projects?private_token=SECRET", "https://host/api/v4/projects?private_token=***"),
    # what is no credential stays as it is
    ("https://example.com/pkg@1.0", "https://example.com/pkg@1.0"),
    ("https://host:8080/p?mail=a@b.com", "https://host:8080/p?mail=a@b.com"),
    ("git@github.com:o/r.git", "git@github.com:o/r.git"),
    ("https://host/search?q=drift&page=2", "https://host/search?q=drift&page=2"),
])
def test_redacted_url(url, shown):
    assert redact_url(url) == shown


def test_an_echoed_authorization_header_is_masked_whatever_its_scheme():
    text = "bad request, you sent {'Authorization': 'Bearer eyJhbGciOi.abc.def'} and Authorization: Basic dXNlcjpwdw=="
    shown = redact(text)
    assert "eyJhbGciOi" not in shown and "dXNlcjpwdw" not in shown and "Authorization" in shown


def test_secret_environment_values_and_the_basic_header_built_from_them(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_envtoken000")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "scanner")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw-from-env")
    header = base64.b64encode(b"scanner:pw-from-env").decode()
    shown = redact(f"got ghp_envtoken000 and {header} and pw-from-env")
    assert "ghp_envtoken000" not in shown and header not in shown and "pw-from-env" not in shown


def test_a_hostile_mlflow_server_echoing_basic_credentials(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    header = base64.b64encode(b"scanner:hunter2").decode()
    with fake_server(echo_auth_responder(400)) as url:
        source = MLflowSource(url.replace("//", "//scanner:hunter2@"), timeout=2)
        evidence = list(MLflowServerDetector().detect(ScanContext(None, mlflow=source)))
    text = dumps_evidence(evidence)
    assert evidence and "hunter2" not in text and header not in text


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("target", [
    "https://user:SECRET1@127.0.0.1:1/x.git",
    "https://us@er:SE@CRET1@127.0.0.1:1/x.git",
    "https://user:SE/CRET1@127.0.0.1:1/x.git",
    "https://ghp_SECRET1token@127.0.0.1:1/x.git",
    "https://127.0.0.1:1/x.git?access_token=SECRET1",
    "https://127.0.0.1:1/x.git?token=SECRET1",
    "https://127.0.0.1:1/x.git?private_token=SECRET1",
])
def test_an_unreadable_target_is_named_without_its_credential(target):
    done = _cli("scan", target, "--format", "json")
    assert done.returncode == 3 and "cannot read https://" in done.stderr
    assert "SECRET1" not in done.stdout + done.stderr and "CRET1" not in done.stdout + done.stderr


def test_debug_logs_hold_no_query_token():
    done = _cli("scan", "https://127.0.0.1:1/x.git?token=SECRET2", "--debug")
    assert "DEBUG" in done.stderr and "SECRET2" not in done.stdout + done.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "md", "html", "sarif"])
def test_a_slash_in_the_tracking_server_password_leaks_in_no_format(tmp_path, fmt):
    (tmp_path / "train.py").write_text("import mlflow\n")
    done = _cli("scan", str(tmp_path), "--mlflow-uri", "http://user:pa/ss99@127.0.0.1:1", "--format", fmt,
                "--mlflow-timeout", "2")
    assert done.returncode in (0, 1), done.stderr
    assert "pa/ss99" not in done.stdout + done.stderr and "ss99" not in done.stdout + done.stderr
