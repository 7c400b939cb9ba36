"""Files handed on the command line are read with caps: no device, FIFO or socket is read, no
file beyond its cap, no JSON nested beyond a limit. Each was a hang, a MemoryError (``report
/dev/zero`` grew to 23 GB) or a RecursionError traceback before."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from scanner.user_files import UserFileError, load_json, read_text


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    # a separate process with a deadline: a regression here hangs or eats memory
    return subprocess.run([sys.executable, "-m", "scanner.cli", *args], capture_output=True, timeout=60,
                          input=stdin)


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return str(path)


@pytest.fixture
def deep(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return str(path)


@pytest.mark.parametrize("args, message", [
    (["report", "/dev/zero"], "/dev/zero: is a device, pipe or socket, not a bundle"),
    (["diff", "/dev/zero", "/dev/zero"], "/dev/zero: is a device, pipe or socket, not a bundle"),
    (["judge", "/dev/zero"], "/dev/zero: is a device, pipe or socket, not a bundle"),
    (["scan", ".", "--config", "/dev/zero"], "/dev/zero: is a device, pipe or socket, not a configuration"),
    (["scan", ".", "--rules", "/dev/zero"], "/dev/zero: is a device, pipe or socket, not a rule file"),
])
def test_devices_are_refused(args, message):
    done = cli(*args)
    assert done.returncode == 2 and message in done.stderr.decode()


def test_a_fifo_is_refused_not_waited_on(fifo, tmp_path):
    (tmp_path / "train.py").write_text("import mlflow\n")
    for args in (["scan", str(tmp_path), "--rules", fifo], ["report", fifo], ["scan", str(tmp_path), "--config", fifo]):
        done = cli(*args)
        assert done.returncode == 2 and "is a device, pipe or socket" in done.stderr.decode()


def test_trend_passes_over_pipes_and_deep_json_in_its_folder(tmp_path, deep):
    folder = tmp_path / "bundles"
    folder.mkdir()
    os.mkfifo(folder / "a.json")
    os.replace(deep, folder / "b.json")
    done = cli("trend", str(folder))
    assert done.returncode == 2 and "no evidence bundle" in done.stderr.decode()


def test_json_nested_beyond_the_limit_is_a_clear_error(deep):
    for args in (["report", deep], ["judge", deep], ["diff", deep, deep]):
        done = cli(*args)
        err = done.stderr.decode()
        assert done.returncode == 2 and "nested deeper than 64 levels" in err and "Traceback" not in err
    done = cli("judge", "-", stdin=("[" * 100_000).encode())
    assert done.returncode == 2 and "Traceback" not in done.stderr.decode()


def test_files_over_their_cap_are_refused_whatever_their_size_says(tmp_path):
    config = tmp_path / "big.yaml"
    config.write_text("exclude:\n" + "  - 'a/'\n" * 60_000)
    done = cli("scan", str(tmp_path), "--config", str(config))
    assert done.returncode == 2 and "larger than 262144 bytes" in done.stderr.decode()
    with pytest.raises(UserFileError, match="larger than 10 bytes"):
        read_text(config, 10)


def test_text_that_is_not_utf8_and_json_within_the_limit(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_bytes(b"name: x\n\xff\xfe")
    with pytest.raises(UserFileError, match="not UTF-8"):
        read_text(bad, 1000, what="rule file")
    assert load_json(json.dumps({"a": [{"b": [1]}]}), "ok.json") == {"a": [{"b": [1]}]}
    with pytest.raises(UserFileError, match="nested deeper than 3"):
        load_json(json.dumps({"a": [{"b": [1]}]}), "deep.json", max_depth=3)
