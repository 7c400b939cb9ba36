"""Plain git URLs: shallow clone from a local bare repository, unsafe URLs refused, clone removed."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import git, git_repo
from scanner.cli import main
from scanner.sources.git_clone import ClonedRepo
from scanner.engine import scan
from scanner.rules_engine import load_rules
from scanner.sources.interface import TargetUnreadable
from scanner.targets import TargetError, resolve


@pytest.fixture
def bare_url(tmp_path: Path) -> str:
    work = git_repo(tmp_path / "work", {
        "README.md": "# Demo\n\n## Usage\n\n```bash\npip install -e .\n```\n",
        "train.py": "import mlflow\nmlflow.log_param('a', 1)\nmlflow.log_metric('m', 1.0)\n",
    })
    git(work, "tag", "v1.0.0")
    bare = tmp_path / "demo.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return f"file://{bare}"


def test_file_url_is_cloned_scanned_and_removed(bare_url):
    with resolve(bare_url) as resolved:
        clone_dir = resolved.repo.clone_dir
        assert os.path.isdir(clone_dir)
        result = scan(resolved.repo, load_rules(), target=resolved.target)
    assert not os.path.exists(clone_dir)
    assert result.target.kind == "git" and result.target.name == "demo"
    assert result.target.commit and len(result.target.commit) == 40
    assert result.signals["tracking.params_metrics"].outcome.value == "present"


def test_a_ref_after_hash_is_checked_out(bare_url):
    with resolve(bare_url + "#v1.0.0") as resolved:
        assert resolved.target.ref == "v1.0.0"
        assert "train.py" in resolved.repo.files()


@pytest.mark.parametrize("url", [
    "ext::sh -c touch% /tmp/pwned",
    "--upload-pack=touch /tmp/pwned",
    "https://example.org/x.git#--upload-pack=evil",
    "fd::17",
])
def test_unsafe_urls_and_options_are_refused(url, tmp_path):
    with pytest.raises(TargetError, match="refused|not a"):
        resolve(url)


def test_credentials_in_a_failing_url_never_appear(tmp_path):
    url = f"file://user:hunter2secret@{tmp_path}/missing.git"
    with pytest.raises(TargetUnreadable) as info:
        resolve(url)
    assert "hunter2secret" not in str(info.value)
    leftovers = [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("mlops-scan-clone-*")]
    assert all(p.stat().st_mtime < tmp_path.stat().st_mtime for p in leftovers)


# -- servers that never answer, or drip -------------------------------------------------------

@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and then says nothing (or drips one
    byte a second when asked to)."""
    import socket
    import threading
    import time

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    stop = threading.Event()
    state = {"drip": False}

    def serve():
        conns = []
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                conns.append(conn)
                if state["drip"]:  # a real answer's head, then its body a byte at a time
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement\r\n"
                                 b"Content-Length: 100000\r\n\r\n")
            except OSError:
                pass
            for c in conns if state["drip"] else ():
                try:
                    c.sendall(b"0")
                except OSError:
                    pass
            time.sleep(0.2 if not state["drip"] else 1.0)
        for c in conns:
            c.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield srv.getsockname()[1], state
    stop.set()
    thread.join(5)
    srv.close()


@pytest.mark.parametrize("scheme, drip", [("http", False), ("git", False), ("http", True)])
def test_a_clone_from_a_server_that_never_answers_is_given_up_on(silent_server, scheme, drip):
    import time

    port, state = silent_server
    state["drip"] = drip
    started = time.monotonic()
    # given up on at the deadline, or by git's own low-speed limit while a server drips
    with pytest.raises(TargetUnreadable, match=r"cannot clone \((fatal: no answer within 2 s \(--clone-timeout\)|.*too slow)"):
        ClonedRepo(f"{scheme}://127.0.0.1:{port}/x.git", timeout=2)
    assert time.monotonic() - started < 15
    assert not any(p.name.startswith("mlops-scan-clone-") and p.stat().st_mtime > started - 1
                   for p in Path(tempfile.gettempdir()).iterdir())  # the temporary folder went too


def test_the_cli_exits_3_when_the_clone_times_out(silent_server):
    port, _ = silent_server
    res = CliRunner().invoke(main, ["scan", f"http://127.0.0.1:{port}/x.git", "--clone-timeout", "2", "-q"])
    assert res.exit_code == 3 and "no answer within 2 s" in res.output


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_terminated_scan_removes_its_clone(silent_server, tmp_path, sig):
    """Killed mid-clone (a CI job cancelled), the scan still removes its temporary folder."""
    import signal
    import subprocess
    import sys
    import time

    port, _ = silent_server
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "scanner.cli", "scan", f"http://127.0.0.1:{port}/x.git", "-q"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while not list(tmp_path.glob("mlops-scan-clone-*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(tmp_path.glob("mlops-scan-clone-*")), "the clone never started"
    time.sleep(0.5)
    proc.send_signal(getattr(signal, sig))
    proc.wait(timeout=15)
    assert proc.returncode != 0 and not list(tmp_path.glob("mlops-scan-clone-*"))
