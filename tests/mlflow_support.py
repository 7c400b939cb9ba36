"""Test helpers for the tracking-server source: a real ``mlflow server`` and tiny fake servers.

The real server runs the full ``mlflow`` package (sqlite backend, loopback only) in its own
process group so that stopping it also stops its workers. Fake servers answer with fixed
failures (401, 500, slow answers, no registry) to exercise the source's error paths.
"""
from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

#: a server should be up well within this (the first start migrates the sqlite schema).
STARTUP_SECONDS = 90


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
            return answer.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def mlflow_server(workdir: Path) -> Iterator[str]:
    """Run ``mlflow server`` on a free loopback port with a sqlite store; yield its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    for var in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        env.pop(var, None)
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server",
         "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
         "--default-artifact-root", str(workdir / "artifacts"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = (workdir / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"mlflow server did not start:\n{tail}")
            time.sleep(0.2)
        yield url
    finally:
        stop_process_group(proc)
        log.close()


def stop_process_group(proc: subprocess.Popen) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it spawned."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


@contextmanager
def fake_server(respond: Handler) -> Iterator[str]:
    """A loopback HTTP server whose every GET/POST is answered by ``respond``; yield its URL."""

    class _Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            respond(self)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def answer(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes,
           content_type: str = "application/json") -> None:
    """Send a complete response."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def status_responder(status: int, body: bytes = b"") -> Handler:
    """Answer every request with ``status`` (and drain the request body first)."""

    def respond(handler: http.server.BaseHTTPRequestHandler) -> None:
        _drain(handler)
        answer(handler, status, body, "text/plain")

    return respond


def echo_auth_responder(status: int) -> Handler:
    """A hostile server: answers ``status`` with the caller's Authorization header in the body."""

    def respond(handler: http.server.BaseHTTPRequestHandler) -> None:
        _drain(handler)
        answer(handler, status, f"bad request, you sent {handler.headers.get('Authorization')}".encode(),
               "text/plain")

    return respond


def slow_responder(seconds: float) -> Handler:
    """Answer only after ``seconds`` (beyond the client's timeout)."""

    def respond(handler: http.server.BaseHTTPRequestHandler) -> None:
        _drain(handler)
        time.sleep(seconds)
        try:
            answer(handler, 200, b"{}")
        except OSError:
            pass  # the client gave up already

    return respond


def no_registry_proxy(upstream: str) -> Handler:
    """Forward to ``upstream`` except the model-registry endpoints, which answer a plain 404."""

    def respond(handler: http.server.BaseHTTPRequestHandler) -> None:
        body = _drain(handler)
        if "registered-models" in handler.path or "model-versions" in handler.path:
            answer(handler, 404, b"404 page not found", "text/plain")
            return
        request = urllib.request.Request(f"{upstream}{handler.path}", data=body or None,
                                         method=handler.command,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as upstream_answer:
                answer(handler, upstream_answer.status, upstream_answer.read())
        except urllib.error.HTTPError as exc:
            answer(handler, exc.code, exc.read())

    return respond


def _drain(handler: http.server.BaseHTTPRequestHandler) -> bytes:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def dumps_evidence(evidence: list) -> str:
    """All evidence as one JSON text, to search for leaked secrets."""
    return json.dumps([{"summary": e.summary, "attributes": e.attributes,
                        "locations": [vars(loc) for loc in e.locations]} for e in evidence],
                      default=str, sort_keys=True)
