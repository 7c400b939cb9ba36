"""Plain git URLs: shallow clone from a local bare repository, unsafe URLs refused, clone removed."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import git, git_repo
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
