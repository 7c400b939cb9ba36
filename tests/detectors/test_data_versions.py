"""A dataset registry of the project's own: datasets written under the digest of their content."""
from __future__ import annotations

import pytest
from conftest import run_detector

from detectors.data import DataDetector

S3_REGISTRY = """\
import hashlib
import json

def register_dataset(name, content, s3):
    digest = hashlib.sha256(content).hexdigest()
    version = digest[:12]
    prefix = f"{name}/{version}"
    s3.put_object(Bucket="datasets", Key=f"{prefix}/data", Body=content)
    s3.put_object(Bucket="datasets", Key=f"{prefix}/manifest.json", Body=json.dumps({"sha256": digest}))
    return version
"""

LOCAL_SNAPSHOT = """\
import hashlib
import shutil
from pathlib import Path

def snapshot_data(raw_file: Path, store: Path) -> str:
    digest = hashlib.md5(raw_file.read_bytes()).hexdigest()
    shutil.copy(raw_file, store / digest)
    return digest
"""


def versioning(make_repo, files):
    return [e for e in run_detector(DataDetector, make_repo(files))
            if e.signal == "data.versioning" and e.counts and e.attributes.get("subject") != "dvc"]


@pytest.mark.parametrize("files", [
    {"app/datasets.py": S3_REGISTRY},
    {"pipeline/versions.py": LOCAL_SNAPSHOT},
])
def test_content_addressed_datasets(make_repo, files):
    found = versioning(make_repo, files)
    assert found and "digest of its content" in found[0].summary


@pytest.mark.parametrize("files", [
    # a download cache keyed by the URL's hash
    {"app/data.py": "import hashlib\n\ndef fetch_dataset(url, cache, http):\n"
                    "    key = hashlib.md5(url.encode()).hexdigest()\n    body = http.get(url).content\n"
                    "    (cache / key).write_bytes(body)\n    return body\n"},
    # the digest is only recorded, the data is written under its name
    {"app/datasets.py": S3_REGISTRY.replace('Key=f"{prefix}/data"', 'Key=f"{name}/data"').replace(
        '    s3.put_object(Bucket="datasets", Key=f"{prefix}/manifest.json", Body=json.dumps({"sha256": digest}))\n', "")},
    # model weights stored by digest are not datasets
    {"app/models.py": S3_REGISTRY.replace("register_dataset", "register_model_weights")},
    # tests, and prose naming the practice
    {"tests/datasets.py": S3_REGISTRY},
    {"README.md": "Each dataset version is the sha256 of its bytes, stored immutably.\n"},
])
def test_content_addressed_traps(make_repo, files):
    assert not versioning(make_repo, files)
