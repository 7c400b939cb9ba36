"""The local source: tracked files, excludes, size cap, hostile inputs, history."""
from __future__ import annotations

import json
import os

import pytest

from conftest import git, git_repo, write_tree
from scanner.detector import ScanContext
from scanner.sources.interface import FileTooLarge, TargetUnreadable
from scanner.redaction import redact_url
from scanner.sources.local import LocalRepo


def test_git_work_tree_lists_tracked_files_only(tmp_path):
    git_repo(tmp_path, {"train.py": "x = 1\n", "src/a.py": "y = 2\n"})
    write_tree(tmp_path, {"untracked.py": "z = 3\n"})
    repo = LocalRepo(tmp_path)
    assert repo.files() == ("src/a.py", "train.py")
    assert repo.target.kind == "local"
    assert repo.target.commit and len(repo.target.commit) == 40
    assert repo.target.ref == "main"


def test_plain_folder_is_walked_with_default_excludes(tmp_path):
    write_tree(tmp_path, {
        "train.py": "", "venv/lib/python3.11/site-packages/mlflow/x.py": "",
        "node_modules/pkg/index.js": "", "pkg/__pycache__/a.pyc": "", "build/lib/a.py": "",
        "deep/er/file.yaml": "",
    })
    assert LocalRepo(tmp_path).files() == ("deep/er/file.yaml", "train.py")


def test_a_tracked_build_folder_is_the_projects_but_build_output_is_not(tmp_path):
    git_repo(tmp_path, {
        "build/pipeline-deployment.yaml": "steps: []\n", "build/Dockerfile": "FROM python\n",
        "build/lib/pkg/a.py": "", "build/bdist.linux-x86_64/x.py": "", "docs/_build/html/index.html": "",
        "dist/pkg-1.0-py3-none-any.whl": "", "dist/release-notes.md": "", "pkg.egg-info/PKG-INFO": "",
        "train.py": "",
    })
    assert LocalRepo(tmp_path).files() == (
        "build/Dockerfile", "build/pipeline-deployment.yaml", "dist/release-notes.md", "train.py")


def test_untracked_build_folders_of_a_plain_walk_are_output(tmp_path):
    write_tree(tmp_path, {"build/ci.yaml": "", "dist/notes.md": "", "train.py": ""})
    assert LocalRepo(tmp_path).files() == ("train.py",)


def test_subfolder_of_a_work_tree_is_scanned_relative_to_itself(tmp_path):
    git_repo(tmp_path, {"proj/train.py": "", "other.py": ""})
    repo = LocalRepo(tmp_path / "proj")
    assert repo.files() == ("train.py",)


def test_symlink_out_of_the_repository_is_never_followed(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("TOKEN=abc")
    root = tmp_path / "repo"
    write_tree(root, {"inside.txt": "ok"})
    os.symlink(outside, root / "leak.txt")
    os.symlink(root / "inside.txt", root / "alias.txt")
    repo = LocalRepo(root)
    assert "leak.txt" not in repo.files()
    assert "alias.txt" in repo.files()
    assert "outside" in repo.log.skipped["leak.txt"]


def test_files_over_the_cap_are_listed_not_read(tmp_path):
    write_tree(tmp_path, {"big.csv": "a,b\n" * 1000, "small.txt": "hi"})
    repo = LocalRepo(tmp_path, max_file_bytes=100)
    with pytest.raises(FileTooLarge):
        repo.read_bytes("big.csv")
    assert repo.read_text("big.csv") is None
    assert "size cap" in repo.log.skipped["big.csv"]
    assert repo.read_text("small.txt") == "hi"


def test_binary_and_odd_encodings_do_not_crash(tmp_path):
    write_tree(tmp_path, {"blob.bin": b"\x00\x01\x02", "latin.py": "caf\xe9 = 1\n".encode("latin-1")})
    repo = LocalRepo(tmp_path)
    assert repo.read_text("blob.bin") is None
    assert repo.log.skipped["blob.bin"] == "binary content"
    assert repo.read_text("latin.py") == "café = 1\n"


def test_very_deep_trees_are_walked_without_recursion(tmp_path):
    deep = "/".join(["d"] * 300)
    write_tree(tmp_path, {f"{deep}/leaf.py": "x = 1\n"})
    assert LocalRepo(tmp_path).files() == (f"{deep}/leaf.py",)


def test_missing_target_is_unreadable(tmp_path):
    with pytest.raises(TargetUnreadable):
        LocalRepo(tmp_path / "nope")


def test_history_lists_authors_and_tags(tmp_path):
    git_repo(tmp_path, {"a.py": "1"})
    write_tree(tmp_path, {"b.py": "2"})
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "second", author=("Grace Hopper", "grace@example.org"))
    git(tmp_path, "tag", "v1.0.0")
    hist = LocalRepo(tmp_path).history()
    assert [c.author_name for c in hist.commits] == ["Grace Hopper", "Ada Lovelace"]
    assert hist.tags == ("v1.0.0",)
    assert LocalRepo(tmp_path, use_git=False).history() is None


def test_repository_git_config_cannot_run_programs(tmp_path):
    git_repo(tmp_path, {"a.py": "1"})
    marker = tmp_path / "pwned"
    git(tmp_path, "config", "core.fsmonitor", f"touch {marker}; false")
    repo = LocalRepo(tmp_path)
    assert repo.files() == ("a.py",)
    repo.history()
    assert not marker.exists()


def test_credentials_are_dropped_from_remote_urls(tmp_path):
    assert redact_url("https://user:s3cret@github.com/o/r.git") == "https://github.com/o/r.git"
    git_repo(tmp_path, {"a.py": "1"})
    git(tmp_path, "remote", "add", "origin", "https://bot:ghp_SECRET@example.com/o/r.git")
    assert LocalRepo(tmp_path).target.url == "https://example.com/o/r.git"


def test_symlink_loops_are_skipped_not_fatal(tmp_path):
    write_tree(tmp_path, {"train.py": "x = 1\n"})
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    assert LocalRepo(tmp_path).files() == ("train.py",)


def test_a_tracked_file_under_a_linked_folder_that_leaves_the_repository_is_not_read(tmp_path):
    outside = write_tree(tmp_path / "outside", {"x.py": "import mlflow\n"})
    root = git_repo(tmp_path / "repo", {"a/x.py": "x = 1\n", "b.py": "y = 2\n"})
    (root / "a" / "x.py").unlink()
    (root / "a").rmdir()
    os.symlink(outside, root / "a")
    repo = LocalRepo(root)
    assert repo.files() == ("b.py",)
    assert "outside the repository" in repo.log.skipped["a/x.py"]


def test_file_names_that_are_not_utf8_are_recorded_not_fatal(tmp_path):
    write_tree(tmp_path, {"ok.py": "x = 1\n"})
    (tmp_path / os.fsdecode(b"bad\xff.py")).write_text("import mlflow\n")
    repo = LocalRepo(tmp_path)
    assert repo.files() == ("ok.py",)
    assert "not valid UTF-8" in repo.log.skipped["bad\ufffd.py"]


def _notebook(code: str, output_bytes: int) -> str:
    """An nbformat 4 notebook with one code cell and an image output of ``output_bytes``."""
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * output_bytes}}
    cell = {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": code, "outputs": [image]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_a_notebook_heavy_with_outputs_is_read_for_its_code(tmp_path):
    write_tree(tmp_path, {"explain.ipynb": _notebook("import lime\nlime.lime_text.LimeTextExplainer()\n", 3_000_000),
                          "big.csv": "a,b\n" * 1_000_000})
    ctx = ScanContext(LocalRepo(tmp_path))
    facts = ctx.python("explain.ipynb")
    assert facts is not None and facts.imports_any(("lime",)) == "lime"
    assert "explain.ipynb" not in ctx.repo.log.skipped
    assert ctx.repo.sha256("explain.ipynb")  # its digest is still recorded for the evidence
    assert ctx.text("big.csv") is None  # other files keep the cap
    assert "size cap" in ctx.repo.log.skipped["big.csv"]


def test_the_code_of_a_notebook_is_capped_not_its_outputs(tmp_path):
    huge_code = "x = 1\n" * 200_000  # 1.2 MB of code: over the parser's cap
    write_tree(tmp_path, {"gen.ipynb": _notebook(huge_code, 10)})
    facts = ScanContext(LocalRepo(tmp_path)).python("gen.ipynb")
    assert facts is not None and facts.error and "code cells larger" in facts.error


def test_untracked_files_are_counted_and_read_only_when_asked(tmp_path):
    git_repo(tmp_path, {"train.py": "x = 1\n", ".gitignore": "scratch/\n"})
    write_tree(tmp_path, {"new_pipeline.py": "y = 2\n", "scratch/notes.py": "", ".venv/lib/x.py": ""})
    repo = LocalRepo(tmp_path)
    assert repo.untracked == ("new_pipeline.py",)  # ignored and excluded folders left out
    assert repo.files() == (".gitignore", "train.py")
    assert repo.target.dirty is False and repo.target.modified == ()
    wide = LocalRepo(tmp_path, include_untracked=True)
    assert wide.files() == (".gitignore", "new_pipeline.py", "train.py")
    assert wide.target.dirty is True  # the commit alone no longer replays what was read


def test_a_work_tree_that_differs_from_head_is_dirty_with_its_modified_files(tmp_path):
    git_repo(tmp_path, {"train.py": "x = 1\n", "old.py": "", "same.py": ""})
    (tmp_path / "train.py").write_text("x = 2\n")
    (tmp_path / "old.py").unlink()
    target = LocalRepo(tmp_path).target
    assert target.dirty is True
    assert target.modified == ("old.py", "train.py")


def test_a_plain_folder_has_no_commit_to_differ_from(tmp_path):
    write_tree(tmp_path, {"train.py": ""})
    repo = LocalRepo(tmp_path)
    assert repo.untracked is None and repo.target.dirty is None


@pytest.mark.parametrize("patterns", [
    ("*.yaml",), ("MLproject",), ("dvc.yaml", "*.dvc"), ("configs/*.yml",), ("Dockerfile*",), ("*requirements*.txt",),
    ("conf/deployment.yml",), ("*.y*ml",), ("*",), ("nothing.here",), ("*.gz",), ("*.tar.gz",), ("*.t?r.gz",),
])
def test_glob_by_index_agrees_with_matching_every_file(tmp_path, patterns):
    import fnmatch
    files = ["MLproject", "a/dvc.yaml", "b/data.dvc", "configs/x.yml", "configs/deep/y.yml", "Dockerfile",
             "docker/Dockerfile.gpu", "requirements-dev.txt", "conf/deployment.yml", "x/conf/deployment.yml",
             "k8s/app.YAML", "README.md", "noext", "x.yes.html", "data.tar.gz"]
    write_tree(tmp_path, {f: "x\n" for f in files})
    repo = LocalRepo(tmp_path)
    expected = sorted(p for p in repo.files() if any(
        fnmatch.fnmatchcase(p.lower(), g.lower()) or fnmatch.fnmatchcase(p.lower().rsplit("/", 1)[-1], g.lower())
        for g in patterns))
    assert sorted(repo.glob(*patterns)) == expected


def test_a_corrupt_git_index_falls_back_to_walking_the_folder(tmp_path):
    root = git_repo(tmp_path / "r", {"train.py": "import mlflow\n", "ci/run.sh": "pytest\n"})
    (root / ".git" / "index").write_bytes(b"\x26\xe2\xf1\x30" + b"\x00" * 96)  # no index signature
    repo = LocalRepo(root)
    assert set(repo.files()) == {"train.py", "ci/run.sh"}
    assert "index file corrupt" in repo.git_unusable and "walked instead" in repo.git_unusable


@pytest.mark.parametrize("folder", ["", "sub"])
def test_files_the_work_tree_lacks_keep_their_committed_sizes(tmp_path, folder):
    """Sizes come from the commit, for the whole repository or a folder of it."""
    prefix = f"{folder}/" if folder else ""
    root = git_repo(tmp_path / "r", {f"{prefix}data/a.csv": "x" * 1234, f"{prefix}data/b.csv": "y" * 56,
                                     f"{prefix}keep.py": "x = 1\n", "other/c.csv": "z" * 9})
    for name in ("a.csv", "b.csv"):
        (root / prefix / "data" / name).unlink()
    absent = LocalRepo(root / folder if folder else root).absent_tracked()
    assert absent == {"data/a.csv": 1234, "data/b.csv": 56}
