"""Loopback servers that answer like GitHub's REST API, with one fault injected where a test says.

A tokenless ``github:`` scan against ``--github-url http://127.0.0.1:PORT`` asks for the
repository, the commit of its branch, the recursive tree, each file's raw contents and the
commit and tag listings; :class:`FakeGitHub` answers those from a dict of files (pagination
with ``Link`` headers and rate-limit headers shaped like GitHub's) and 404 to the rest. A fault
is a function that takes over the answer of the paths its pattern matches: it may drip, hang,
redirect elsewhere, send 200 MB or a login page. Every fault stops when the server stops.
"""
from __future__ import annotations

import hashlib
import http.server
import json
import re
import socket
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

Fault = Callable[["_Handler"], None]

OWNER, NAME, BRANCH = "acme", "demo", "main"
SHA = "0123456789abcdef0123456789abcdef01234567"

#: a small ML project: enough for detectors to find tracking, CI and tests
FILES = {
    "README.md": "# demo\n\nTrain with `python train.py`.\n",
    "requirements.txt": "scikit-learn==1.4.2\nmlflow==2.12.1\npandas==2.2.2\n",
    "train.py": "import mlflow\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n"
                "def main():\n    df = pd.read_csv('data/train.csv')\n    with mlflow.start_run():\n"
                "        model = LogisticRegression().fit(df[['x']], df['y'])\n"
                "        mlflow.log_param('C', 1.0)\n        mlflow.sklearn.log_model(model, 'model')\n\n"
                "if __name__ == '__main__':\n    main()\n",
    "tests/test_train.py": "from train import main\n\ndef test_main_runs():\n    assert callable(main)\n",
    ".github/workflows/ci.yml": "name: ci\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                                "    steps:\n      - uses: actions/checkout@v4\n      - run: pip install -r requirements.txt\n"
                                "      - run: pytest -q\n",
    "src/features/build.py": "import pandas as pd\n\ndef build(df):\n    return df.dropna()\n",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self.server.seen.append(f"{self.command} {self.path} {self.headers.get('Authorization')}")
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        path = urlsplit(self.path).path
        for pattern, fault in self.server.faults:
            if re.search(pattern, path):
                try:
                    fault(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should
                return
        self.server.app(self)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass

    # -- answers -------------------------------------------------------------------------------

    def send(self, status: int, body: bytes | str, content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-RateLimit-Limit", "60")
        self.send_header("X-RateLimit-Remaining", "59")
        self.send_header("X-RateLimit-Reset", str(int(time.time()) + 3600))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def json(self, doc: object, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(doc), headers=headers)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins every handler: no thread outlives a test

    def __init__(self, app: Callable[[_Handler], None], faults: list[tuple[str, Fault]]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.app = app
        self.faults = faults
        self.seen: list[str] = []
        self.stopping = threading.Event()
        self.bytes_sent = 0
        self.connections: list = []

    def get_request(self):
        sock, address = super().get_request()
        self.connections.append(sock)
        return sock, address

    def close_connections(self) -> None:
        """End every connection, those a client keeps alive in its pool included."""
        for sock in self.connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # closed already

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve(app: Callable[[_Handler], None], faults: list[tuple[str, Fault]] | None = None) -> Iterator[_Server]:
    server = _Server(app, list(faults or []))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()  # dripping and hanging faults end now
        server.shutdown()
        server.close_connections()
        server.server_close()


def fake_github(files: dict[str, str] | None = None, *, truncated_tree: bool = False,
                commits: int = 3) -> Callable[[_Handler], None]:
    """The REST answers of one repository ``acme/demo`` holding ``files``."""
    files = dict(FILES if files is None else files)
    repo_path = f"/repos/{OWNER}/{NAME}"

    def blob_sha(path: str) -> str:
        return hashlib.sha1(files[path].encode()).hexdigest()

    def tree(prefix: str, recursive: bool) -> list[dict]:
        entries, folders = [], set()
        for path in sorted(files):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix):]
            if "/" in rest and not recursive:
                folders.add(rest.split("/", 1)[0])
                continue
            entries.append({"path": rest, "mode": "100644", "type": "blob", "sha": blob_sha(path),
                            "size": len(files[path].encode())})
        entries += [{"path": f, "mode": "040000", "type": "tree", "sha": f"tree-{prefix}{f}"} for f in sorted(folders)]
        return entries

    def app(h: _Handler) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == repo_path:
            h.json({"id": 1, "name": NAME, "full_name": f"{OWNER}/{NAME}", "default_branch": BRANCH,
                    "html_url": f"https://github.com/{OWNER}/{NAME}", "archived": False, "fork": False,
                    "private": False})
        elif path == f"{repo_path}/commits/{BRANCH}":
            h.send(200, SHA, "application/vnd.github.sha")
        elif path.startswith(f"{repo_path}/git/trees/"):
            key = path.rsplit("/", 1)[1]
            recursive = query.get("recursive") == ["1"]
            if key == SHA:
                h.json({"sha": SHA, "tree": tree("", recursive and not truncated_tree) if not truncated_tree
                        else tree("", False), "truncated": bool(truncated_tree and recursive)})
            elif key.startswith("tree-"):
                h.json({"sha": key, "tree": tree(key[5:] + "/", recursive), "truncated": False})
            else:
                h.json({"message": "Not Found"}, 404)
        elif path.startswith(f"{repo_path}/contents/"):
            name = path[len(f"{repo_path}/contents/"):]
            if name in files:
                h.send(200, files[name], "application/vnd.github.raw")
            else:
                h.json({"message": "Not Found"}, 404)
        elif path == f"{repo_path}/commits":
            page = int(query.get("page", ["1"])[0])
            items = [{"sha": f"{i:040x}", "commit": {"author": {"name": "Ada", "email": "ada@example.com",
                                                              "date": "2026-11-0%dT10:00:00Z" % (i + 1)},
                                                   "message": f"change {i}"}}
                     for i in range(commits)] if page == 1 else []
            link = {"Link": f'<{h.server.url}{repo_path}/commits?sha={SHA}&per_page=100&page=2>; rel="next"'} \
                if page == 1 else {}
            h.json(items, headers=link)
        elif path == f"{repo_path}/tags":
            h.json([])
        else:
            h.json({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, 404)

    return app


# -- faults ------------------------------------------------------------------------------------

def drip(h: _Handler) -> None:
    """Headers at once, then one byte every 0.2 s, for ever (until the server stops)."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "1000000")
    h.end_headers()
    h.close_connection = True  # when the server stops, the client's read ends with the socket
    while not h.server.stopping.wait(0.2):
        h.wfile.write(b" ")
        h.wfile.flush()


def hang(h: _Handler) -> None:
    """The connection is accepted and nothing is ever said."""
    h.close_connection = True
    h.server.stopping.wait()


def rate_limited(retry_after: int) -> Fault:
    def fault(h: _Handler) -> None:
        h.send(429, json.dumps({"message": "API rate limit exceeded"}), headers={"Retry-After": str(retry_after)})
    return fault


def abuse(h: _Handler) -> None:
    """GitHub's secondary rate limit, worded as it is, without Retry-After."""
    h.send(403, json.dumps({"message": "You have exceeded a secondary rate limit and have been temporarily "
                                       "blocked from content creation. Please retry your request again later.",
                            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}))


def status(code: int, body: str = "", content_type: str = "application/json") -> Fault:
    def fault(h: _Handler) -> None:
        h.send(code, body, content_type)
    return fault


LOGIN_PAGE = ("<!DOCTYPE html><html><head><title>Sign in to your account</title></head>"
              "<body><form action='/login'><input name='password' type='password'></form></body></html>")


def redirect_to(url: str) -> Fault:
    def fault(h: _Handler) -> None:
        h.send_response(301)
        h.send_header("Location", url + h.path)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return fault


def huge(total: int) -> Fault:
    """A 200 answer of ``total`` bytes, written in 1 MiB chunks (never held whole here)."""
    chunk = b"x" * (1 << 20)

    def fault(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/vnd.github.raw")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        sent = 0
        while sent < total and not h.server.stopping.is_set():
            h.wfile.write(chunk)
            sent += len(chunk)
            h.server.bytes_sent = sent
    return fault
