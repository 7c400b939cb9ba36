"""Data management signals: the data detector and the data part of the tool catalogue."""
from __future__ import annotations

import pytest
from conftest import declared, git, present, run_detector

from detectors.data import DataDetector
from detectors.tools import ToolUsageDetector
from scanner.model import Outcome, Tier

CSV = "id,text,label\n" + "\n".join(f"{i},some review text number {i},positive" for i in range(600))
SMALL_CSV = "a,b\n1,2\n"

PREP = """
import pandas as pd
df = pd.read_csv("raw.csv")
df = df.dropna()
df["when"] = pd.to_datetime(df["when"])
"""
DVC_YAML = """
stages:
  prepare:
    cmd: python prepare.py
    deps: [data/raw]
    outs: [data/prepared]
  train:
    cmd: python train.py
    deps: [data/prepared]
    params: [train.lr]
"""
DVC_LOCK = """
schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    deps:
    - path: data/raw
      md5: 1234567890abcdef.dir
    outs:
    - path: data/prepared
      md5: abcdef.dir
"""
PREFECT_YAML = """
deployments:
- name: nightly
  entrypoint: flows/train.py:train
  schedules:
  - cron: 0 3 * * *
"""
PREFECT_UNSCHEDULED = """
deployments:
- name: manual
  entrypoint: flows/train.py:train
  schedules: []
"""
AIRFLOW_DAG = """
from airflow import DAG
with DAG("etl", schedule_interval="@daily") as dag:
    pass
"""
AIRFLOW_MANUAL = """
from airflow import DAG
with DAG("etl", schedule=None) as dag:
    pass
"""
SCRAPY_PIPELINE = """
class AmazonReviewPipeline:
    def process_item(self, item, spider):
        return item
"""
SKLEARN_PIPELINE = """
from sklearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
model = Pipeline([("clf", LogisticRegression())])
"""
VERSIONING = """
import json
def make_dataset_version():
    return "ds_1"
def snapshot_datasets(version):
    with open("m.json", "w") as f:
        json.dump({"v": version}, f)
def load_dataset_manifest():
    return {}
"""
LINEAGE = """
import mlflow
mlflow.log_param("dataset_version", "ds_20240101")
"""


def data_signals(make_repo, files, git=False):
    return present(run_detector(DataDetector, make_repo(files, git=git)))


def tool_signals(make_repo, files):
    return present(run_detector(ToolUsageDetector, make_repo(files)))


BYTEWAX_FLOW = ("import bytewax.operators as op\nfrom bytewax.dataflow import Dataflow\n\n"
                "flow = Dataflow('ingest')\nstream = op.input('in', flow, RabbitMQSource())\n"
                "stream = op.map('clean', stream, clean)\nop.output('store', stream, QdrantOutput())\n")


@pytest.mark.parametrize("files, expected", [
    ({"data/reviews.csv": CSV}, True),
    ({"nested/train.parquet": b"PAR1" + b"\x01" * 20_000}, True),
    ({"training_pipeline/data/train/cifar10_train.tfrecord": b"\x08\x00" + b"\x01" * 20_000}, True),
    ({"training_pipeline/data/train/tiny.tfrecord": b"\x08\x00\x01"}, False),  # a sample record
    # images in a data folder are a dataset; a figure of the documentation is not
    ({"data/classification/train/cat/cat_0.jpg": b"\xff\xd8\xff" + b"\x01" * 30_000}, True),
    ({"docs/images/architecture.png": b"\x89PNG" + b"\x01" * 30_000}, False),
    ({"data/items.json": '{"x": "' + "y" * 20_000 + '"}'}, True),
    ({"data/reviews.csv": SMALL_CSV}, False),                       # a tiny lookup table
    ({"package.json": '{"x": "' + "y" * 20_000 + '"}'}, False),     # config JSON outside data folders
    ({"tests/fixtures/sample.csv": CSV}, False),                    # a small test fixture
    ({"benchmarks/asr/wer_smoke.jsonl": '{"x": "' + "y" * 90_000 + '"}\n'}, False),  # a held-out eval fixture
    ({"benchmarks/asr/full.jsonl": '{"x": "' + "y" * 1_200_000 + '"}\n'}, True),    # a dataset in disguise
    ({"models/model.pkl": b"\x80\x04" + b"\x00" * 20_000}, False),  # a trained model, not data
    ({"{{cookiecutter.name}}/data/x.csv": CSV}, False),             # unrendered template
    ({".gitattributes": "*.csv filter=lfs diff=lfs merge=lfs -text\n", "data/x.csv": CSV}, False),
    # tables under extensions that hold anything: the content decides
    ({"ch06/wdbc.data": "842302,M,17.99,10.38,122.8\n" * 600}, True),
    ({"ch09/housing.txt": "Order\tPID\tArea\n" + "1\t0526301100\t31770\n" * 800}, True),
    ({"docs/book.txt": "It was the best of times, it was the worst of times.\nA line, with, commas.\n" * 300
      + "Short line\n" * 50}, False),
    ({"requirements-lock.txt": "numpy==1.26.0 \\\n    --hash=sha256:abc\n" * 400}, False),
    # pins with environment markers: rows of the same fields, and a dependency list all the same
    ({"requirements.txt": 'absl-py==2.1.0 ; python_version >= "3.9" and python_full_version <= "3.12.0"\n' * 200},
     False),
    ({"logs/run.dat": b"\x00\x01binary" * 3000}, False),
    # what the project measured or documents is an output, not its data
    ({"loadtest/results/n200_stats_history.csv": CSV}, False),
    ({"docs/openclip_results.csv": CSV}, False),
    ({"reports/results/scores.txt": "Order\tPID\tArea\n" + "1\t0526301100\t31770\n" * 800}, False),
    ({"outputs/reports/datasets/cleaned.csv": CSV}, True),           # a dataset kept among outputs
    # what training runs logged: episode logs of an RL Monitor wrapper, a logs folder
    ({"logs/reacher/reacher-0/0.monitor.csv": CSV}, False),
    ({"time_limit_logs/reacher/1/progress.csv": CSV}, False),
    ({"experiments/2024-01/train.monitor.csv": CSV}, False),
    ({"data/logs/server_requests.csv": CSV}, True),                  # request logs kept as a dataset
    # a pickle holds a fitted model or a client's request payload as often as data
    ({"src/clients_python/subgraph.pkl": b"\x80\x04" + b"\x00" * 20_000}, False),
    ({"data/processed/train.pkl": b"\x80\x04" + b"\x00" * 20_000}, True),
    # plain text in a raw-data or corpus folder is the data a model or a retriever learns from
    ({"data/raw/articles.txt": "The first comic appeared in 1964 and ran for two decades.\n" * 400}, True),
    ({"data/corpus/policy.txt": "SECTION I. The insurer will pay for direct physical loss.\n" * 400}, True),
    # traps: a short seed list, and prose elsewhere
    ({"data/raw/links.txt": "https://example.org/a\n" * 40}, False),
    ({"notes/ideas.txt": "The first comic appeared in 1964 and ran for two decades.\n" * 400}, False),
    # DVC's local storage committed into git: the data under its content hashes
    ({"remote/files/md5/0f/9de68e012bd3aed5fa7cdc9fc421af": "customerID,gender,tenure\n" + "7590,F,1\n" * 2000}, True),
    ({"remote/files/md5/0f/9de68e012bd3aed5fa7cdc9fc421af": "a,b\n1,2\n"}, False),  # a small one is no dataset
    # a classic small dataset kept whole in a data folder (Iris: 150 rows in 4 KB)...
    ({"data/iris.csv": "sepal_length,sepal_width,petal_length,petal_width,species\n" + "5.1,3.5,1.4,0.2,setosa\n" * 150},
     True),
    # ... but not a few rows of a sample, a small table outside a data folder, or a test fixture
    ({"data/sample.csv": "a,b,note\n" + ("5.1,3.5," + "x" * 60 + "\n") * 45}, False),
    ({"results/run.csv": "step,reward\n" + "100,3.5\n" * 150}, False),
    ({"tests/data/iris.csv": "a,b,c,d,e\n" + "5.1,3.5,1.4,0.2,setosa\n" * 150}, False),
])
def test_raw_data_committed(make_repo, files, expected):
    assert ("data.raw_data_committed" in data_signals(make_repo, files)) is expected


def _committed_then_removed(make_repo, files: dict, removed: list[str], drop_content: bool = False):
    """A git repository whose commit holds ``files``, with ``removed`` gone from the work tree (and,
    with ``drop_content``, from the object store too: a clone that left large files out)."""
    root = make_repo(files, git=True)
    for path in removed:
        blob = git(root, "rev-parse", f"HEAD:{path}").strip()
        (root / path).unlink()
        if drop_content:
            (root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    return [e for e in run_detector(DataDetector, root) if e.signal == "data.raw_data_committed"]


def test_datasets_the_commit_holds_but_the_work_tree_lacks(make_repo):
    [found] = _committed_then_removed(make_repo, {"data/raw.csv": CSV, "src/prep.py": "x = 1\n"}, ["data/raw.csv"])
    assert found.counts and found.attributes["unknown_size"] == 0
    assert [loc.path for loc in found.locations] == ["data/raw.csv"]
    [lacking] = _committed_then_removed(make_repo, {"data/raw.csv": CSV}, ["data/raw.csv"], drop_content=True)
    assert lacking.counts and "size is unknown" in lacking.summary


@pytest.mark.parametrize("files, removed", [
    ({"data/lookup.csv": SMALL_CSV}, ["data/lookup.csv"]),       # a small table deleted here
    ({"tests/fixtures/sample.csv": CSV}, ["tests/fixtures/sample.csv"]),
    ({"docs/guide.md": "# Guide\n" * 3000}, ["docs/guide.md"]),
])
def test_removed_files_that_are_no_datasets(make_repo, files, removed):
    assert not [e for e in _committed_then_removed(make_repo, files, removed) if e.counts]


def test_raw_data_counts_files(make_repo):
    ev = run_detector(DataDetector, make_repo({"a.csv": CSV, "b/c.tsv": CSV, "d.csv": SMALL_CSV}))
    (found,) = [e for e in ev if e.signal == "data.raw_data_committed"]
    assert found.attributes["files"] == 2


@pytest.mark.parametrize("files, expected", [
    ({"data/raw.csv.dvc": "outs:\n- md5: abc\n  path: raw.csv\n"}, True),
    ({"dvc.yaml": DVC_YAML, "dvc.lock": DVC_LOCK}, True),
    ({"dvc.yaml": DVC_YAML}, False),  # outputs named, but no committed lock holds their hashes
    ({"dvc.lock": DVC_LOCK}, True),
    # a remote configured, and something that runs DVC (the pointers are produced by the pipeline)
    ({".dvc/config": "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://b\n",
      "scripts/data.sh": "#!/bin/sh\ndvc pull data/raw\n"}, True),
    # ... a remote configured but nothing tracked and nothing running DVC: set up, never used
    ({".dvc/config": "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://b\n"}, False),
    ({".gitattributes": "data/** filter=lfs diff=lfs merge=lfs -text\n"}, True),
    ({".gitattributes": "*.parquet filter=lfs diff=lfs merge=lfs -text\n"}, True),
    ({"src/data/versioning.py": VERSIONING}, True),
    ({".gitattributes": "*.png filter=lfs diff=lfs merge=lfs -text\n"}, False),   # LFS for images
    # LFS holding only test fixtures versions no dataset
    ({".gitattributes": "*.h5 filter=lfs diff=lfs merge=lfs -text\n", "tests/test_data/sample.h5": "lfs pointer\n"},
     False),
    ({".gitattributes": "*.h5 filter=lfs diff=lfs merge=lfs -text\n", "data/train.h5": "lfs pointer\n",
      "tests/test_data/sample.h5": "lfs pointer\n"}, True),
    ({"# .gitattributes": "", ".gitattributes": "# *.csv filter=lfs\n"}, False),  # commented out
    ({".dvc/config": "[core]\n    autostage = true\n"}, False),                     # dvc init only
    ({"README.md": "We version data with DVC: `dvc add data/raw`.\n"}, False),
    ({"docs/chapter.md": "```yaml\nstages:\n  train:\n    cmd: python train.py\n```\n"}, False),
])
def test_versioning(make_repo, files, expected):
    assert ("data.versioning" in data_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, expected", [
    ({"import_data.py": "import dvc.api\nwith dvc.api.open('data/x.csv') as f:\n    pass\n"}, True),
    ({"lake.py": "from deltalake import DeltaTable\nt = DeltaTable('s3://b/t')\n"}, True),
    ({"requirements.txt": "dvc==3.0\n"}, False),
    ({"lake.py": "# from deltalake import DeltaTable\n# DeltaTable('x')\n"}, False),
    # lakeFS through its fsspec file system: writes committed in a transaction
    ({"io/lakefs.py": ("import lakefs_spec.util\n\ndef dump(fs, df, path):\n"
                       "    repo, ref, resource = lakefs_spec.util.parse(path)\n"
                       "    with fs.transaction(repo, ref) as tx:\n        df.to_parquet(f'lakefs://{repo}/{tx.branch.id}/{resource}')\n"
                       "        tx.commit(message='data')\n\ndump(fs, frame, 'lakefs://repo/main/x.parquet')\n")}, True),
    ({"pyproject.toml": '[project]\nname = "x"\ndependencies = ["lakefs-spec>=0.10"]\n'}, False),
])
def test_versioning_tools(make_repo, files, expected):
    assert ("data.versioning" in tool_signals(make_repo, files)) is expected


def test_dvc_in_readme_is_declared(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({"README.md": "Data is versioned with DVC.\n"}))
    assert "data.versioning" in declared(ev) and "data.versioning" not in present(ev)


@pytest.mark.parametrize("files, expected", [
    ({"src/prep.py": PREP}, True),
    # a notebook export with cell markers is still a script
    ({"clean.py": "# -*- coding: utf-8 -*-\n# In[1]:\n" + PREP}, True),
    ({"features.py": "import polars as pl\ndf = pl.read_parquet('x')\ndf = df.with_columns(pl.col('a'))\n"}, True),
    ({"prep.py": "from sklearn.preprocessing import StandardScaler\nx = StandardScaler().fit_transform(X)\n"}, True),
    ({"notebook.ipynb": '{"cells": [{"cell_type": "code", "source": ["import pandas as pd\\n",'
                        ' "df = pd.read_csv(\'x\').dropna()"]}], "nbformat": 4}'}, False),
    ({"tests/test_prep.py": PREP}, False),
    ({"util.py": "import os\npath = os.path.join('a', 'b')\nname = 'x'.replace('a', 'b')\n"}, False),
    ({"prep.py": "# import pandas as pd\n# df = pd.read_csv('x').dropna()\n"}, False),
    ({"{{cookiecutter.repo}}/prep.py": PREP}, False),
    # images and arrays: read, resized, normalised
    ({"src/create_dataset.py": "import cv2\nimport numpy as np\n\ndef load(paths):\n"
                               "    return np.stack([cv2.resize(cv2.imread(p), (64, 64)) for p in paths])\n"}, True),
    ({"src/preprocess_data.py": "import numpy as np\n\ndef preprocess_data(images, labels):\n"
                                "    images = images / 255.0\n    return images, np.clip(labels, 0, 350)\n"}, True),
    # a dataset generated and written out (``make_dataset``, ``generate_tsp_data``)
    ({"rl/data/generate_data.py": "import numpy as np\n\ndef generate_tsp_data(size, n):\n"
                                  "    return {'locs': np.random.uniform(size=(size, n, 2)).astype(np.float32)}\n\n"
                                  "np.savez('val.npz', **generate_tsp_data(100, 20))\n"}, True),
    # features built on a Spark frame by a function named for them
    ({"src/feature_engineering/temporal.py": "from pyspark.sql import DataFrame, functions as F\n"
                                             "from pyspark.sql.window import Window\n\n"
                                             "def create_temporal_features(df: DataFrame) -> DataFrame:\n"
                                             "    w = Window.partitionBy('run').orderBy('sample')\n"
                                             "    return df.withColumn('x_lag1', F.lag('x', 1).over(w))\n"}, True),
    # fake data generated to stand in for private data is not the project's data preparation
    ({"fake_data_generation/generate_fake_data.py": "import numpy as np\nimport pandas as pd\n\n"
                                                    "def generate_data(n):\n    df = pd.DataFrame(np.random.rand(n, 3))\n"
                                                    "    return df.rename(columns={0: 'age'})\n"}, False),
    # a function named for data but nothing shaped in the module
    ({"src/fixtures.py": "import numpy as np\n\ndef make_dataset(n):\n    return np.zeros(n)\n"}, False),
    # one clip in a module of other things prepares no data
    ({"src/plot.py": "import numpy as np\n\ndef draw(values):\n    return np.clip(values, 0, 1)\n"}, False),
    # an image only opened, not shaped: nothing is prepared
    ({"app/decode.py": "from PIL import Image\n\ndef show(path):\n    return Image.open(path)\n"}, False),
    # a web app's upload decoded from the request and converted back: one request, no dataset
    ({"util.py": "import base64\nfrom io import BytesIO\nimport numpy as np\nfrom PIL import Image\n\n"
                 "def base64_to_pil(data):\n    return Image.open(BytesIO(base64.b64decode(data)))\n\n"
                 "def np_to_pil(arr):\n    return Image.fromarray(arr.astype('uint8'), 'RGB')\n"}, False),
    # a Hugging Face dataset loaded, split through its subscripted split and mapped by a tokenizer
    ({"data/openwebtext/prepare.py": (
        "import numpy as np\nfrom datasets import load_dataset\n\n"
        "dataset = load_dataset('openwebtext', num_proc=8)\n"
        "split = dataset['train'].train_test_split(test_size=0.0005, seed=2357)\n\n"
        "def process(example):\n    return {'ids': enc.encode_ordinary(example['text'])}\n\n"
        "tokenized = split.map(process, remove_columns=['text'])\n")}, True),
    # builtins and other imports are no data operations: map() over json loaded from a file
    ({"tools/report.py": "import json\nimport numpy as np\n\nrows = json.load(open('r.json'))\n"
                         "names = list(map(str, rows))\nprint(np.mean([len(n) for n in names]))\n"}, False),
    # the same reader over files on disk loads a dataset
    ({"src/images.py": "import numpy as np\nfrom PIL import Image\n\n"
                       "def load(paths):\n    return [np.asarray(Image.open(p)).astype('float32') for p in paths]\n"}, True),
    # a corpus cleaned and chunked with the standard library
    ({"pipeline/steps/preprocessing.py": (
        "import json\nimport unicodedata\nfrom pathlib import Path\n\n\ndef process(src: Path, out: Path):\n"
        "    for path in src.glob('*.txt'):\n        text = unicodedata.normalize('NFC', path.read_text())\n"
        "        chunks = [c.strip() for c in text.split('\\n\\n')]\n"
        "        out.write_text(json.dumps({'source': path.name, 'chunks': chunks}))\n")}, True),
    # traps: the same reads and writes in a module named for nothing, and a reader that writes nothing
    ({"pipeline/utils.py": (
        "import json\nfrom pathlib import Path\n\n\ndef copy(src: Path, out: Path):\n"
        "    out.write_text(json.dumps(json.loads(src.read_text().strip())))\n")}, False),
    ({"pipeline/preprocessing.py": "from pathlib import Path\n\n\ndef process(src: Path):\n    return src.read_text().split()\n"},
     False),
    # a script named for preparing data (``prep.py``) that loads a table and writes its splits
    ({"data-science/src/prep.py": (
        "import numpy as np\nimport pandas as pd\n\n\ndef main(raw, out):\n    data = pd.read_csv(raw)\n"
        "    mask = np.random.rand(len(data)) < 0.7\n    data[mask].to_parquet(out + '/train.parquet')\n")}, True),
    # Spark: a frame read by a helper of the module, then shaped (the helper's result is the data)
    ({"src/data_preprocessing.py": (
        "from pyspark.sql import SparkSession\nimport pyspark.sql.functions as F\n\n\ndef _load(path):\n"
        "    spark = SparkSession.builder.getOrCreate()\n    return spark.read.parquet(path)\n\n\n"
        "def preprocess(path):\n    data = _load(path)\n    data = data.withColumn('d', F.to_date('day'))\n"
        "    return data.dropna(subset=['label'])\n")}, True),
    # ... but calling the module's own functions is no data operation
    ({"src/runner.py": "import numpy as np\n\n\ndef merge(a, b):\n    return a + b\n\n\ndef apply(x):\n"
                       "    return merge(x, np.ones(3))\n\n\nresult = apply(merge(1, 2))\n"}, False),
    # a dataset class serving items by index and reading each example from its files
    ({"denoiser/audio.py": (
        "import torchaudio\n\n\nclass Audioset:\n    def __init__(self, files):\n        self.files = files\n\n"
        "    def __len__(self):\n        return len(self.files)\n\n    def __getitem__(self, index):\n"
        "        wav, sr = torchaudio.load(self.files[index])\n        return wav\n")}, True),
    ({"dpr/data/corpus.py": (
        "import json\n\n\nclass JsonQADataset:\n    def __init__(self, path):\n        with open(path) as f:\n"
        "            self.data = [r for r in json.load(f) if r['positive_ctxs']]\n\n    def __len__(self):\n"
        "        return len(self.data)\n\n    def __getitem__(self, i):\n        return self.data[i]\n")}, True),
    # traps: an in-memory sequence reads no files; a class with items but no length is no dataset
    ({"src/buffer.py": ("class Replay:\n    def __init__(self):\n        self.items = []\n\n    def __len__(self):\n"
                        "        return len(self.items)\n\n    def __getitem__(self, i):\n        return self.items[i]\n")},
     False),
    ({"src/lazy.py": ("import json\n\n\nclass Lookup:\n    def __getitem__(self, key):\n"
                      "        return json.load(open(key))\n")}, False),
])
def test_prep_code(make_repo, files, expected):
    assert ("data.prep_code" in data_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, expected", [
    ({"dvc.yaml": DVC_YAML}, True),
    ({"prefect.yaml": PREFECT_YAML}, True),
    ({"dvc.yaml": "stages: {}\n"}, False),
    ({"amazon_review/pipelines.py": SCRAPY_PIPELINE}, False),
    ({"train.py": SKLEARN_PIPELINE}, False),
])
def test_pipeline_definition_files(make_repo, files, expected):
    assert ("data.pipeline_definition" in data_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, expected", [
    ({"dags/etl.py": AIRFLOW_DAG}, True),
    ({"flows/train.py": "from prefect import flow, task\n@flow\ndef train():\n    pass\n"}, True),
    ({"pipeline.py": "from kfp import dsl\n@dsl.pipeline(name='p')\ndef p():\n    pass\n"}, True),
    ({"flow.py": "from metaflow import FlowSpec, step\nclass F(FlowSpec):\n    @step\n    def start(self):\n        pass\n"}, True),
    ({"pipelines/p.py": "from zenml import pipeline, step\n@step\ndef load():\n    pass\n"
                        "@pipeline\ndef etl():\n    load()\n"}, True),
    ({"feature_pipeline/main.py": BYTEWAX_FLOW}, True),
    # a dataflow that reads nothing and writes nothing is a sketch
    ({"feature_pipeline/main.py": BYTEWAX_FLOW.replace("op.output('store', stream, QdrantOutput())\n", "")}, False),
    ({"amazon_review/pipelines.py": SCRAPY_PIPELINE}, False),
    ({"train.py": SKLEARN_PIPELINE}, False),
    ({"README.md": "Orchestrated with Airflow and Prefect.\n"}, False),
    ({"requirements.txt": "apache-airflow==2.9.0\nprefect==3.0\n"}, False),
])
def test_pipeline_definition_tools(make_repo, files, expected):
    assert ("data.pipeline_definition" in tool_signals(make_repo, files)) is expected


ZENML_CHECK = ("from zenml.integrations.evidently.steps import evidently_test_step\n"
               "from zenml.integrations.evidently.tests import EvidentlyTestConfig\n"
               "data_test = evidently_test_step.with_options(parameters=dict(\n"
               "    tests=[EvidentlyTestConfig.test('DataQualityTestPreset')]))\n")




@pytest.mark.parametrize("files, expected", [
    ({"prefect.yaml": PREFECT_YAML}, True),
    ({"dags/etl.py": AIRFLOW_DAG}, True),
    ({"kfp/recurring.yaml": "apiVersion: kubeflow.org/v1beta1\nkind: ScheduledWorkflow\n"}, True),
    # the definition of the resource type (a vendored CRD) schedules nothing
    ({"manifests/scheduled-workflow-crd.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
                                               "spec:\n  names:\n    kind: ScheduledWorkflow\n"}, False),
    ({"prefect.yaml": PREFECT_UNSCHEDULED}, False),
    ({"dags/etl.py": AIRFLOW_MANUAL}, False),
    # a DAG that only watches (drift analyses and reports) is scheduled monitoring, not a data pipeline
    ({"dags/drift_monitoring_dag.py": "from airflow import DAG\nfrom airflow.operators.python import PythonOperator\n\n"
                                      "def analyze_request_drift():\n    pass\n\n"
                                      "with DAG(dag_id='drift_monitoring_dag', schedule_interval='@hourly') as dag:\n"
                                      "    PythonOperator(task_id='analyze_request_drift', python_callable=analyze_request_drift)\n"
                                      "    PythonOperator(task_id='generate_drift_report', python_callable=print)\n"}, False),
    # ... while one that also retrains is a pipeline
    ({"dags/drift_retrain_dag.py": "from airflow import DAG\nfrom airflow.operators.python import PythonOperator\n\n"
                                   "with DAG(dag_id='drift_dag', schedule_interval='@hourly') as dag:\n"
                                   "    PythonOperator(task_id='analyze_drift', python_callable=print)\n"
                                   "    PythonOperator(task_id='retrain_model', python_callable=print)\n"}, True),
    ({"dags/etl.py": "from airflow import DAG\n# with DAG('etl', schedule_interval='@daily'):\nDAG('etl', schedule=None)\n"}, False),
    # a schedule read from an environment variable the repository leaves unset schedules nothing it shows...
    ({"dags/etl.py": "import os\nfrom airflow import DAG\n\nDAG('etl', schedule=os.environ.get('PIPELINE_SCHEDULE') or None)\n"}, False),
    # ... unless the code gives it a default
    ({"dags/etl.py": "import os\nfrom airflow import DAG\n\nDAG('etl', schedule=os.getenv('PIPELINE_SCHEDULE', '@daily'))\n"}, True),
    ({".github/dependabot.yml": "version: 2\nupdates:\n- package-ecosystem: pip\n  schedule:\n    interval: weekly\n"}, False),
    ({"docs/monitor.md": "```yaml\non:\n  schedule:\n  - cron: '0 0 * * *'\n```\n"}, False),
])
def test_pipeline_automated(make_repo, files, expected):
    assert ("data.pipeline_automated" in data_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, expected", [
    ({"serve.py": "from prefect import flow\n@flow\ndef f():\n    pass\nf.serve(name='x', cron='0 * * * *')\n"}, True),
    ({"defs.py": "from dagster import ScheduleDefinition\ns = ScheduleDefinition(job=j, cron_schedule='0 0 * * *')\n"}, True),
    ({"serve.py": "from prefect import flow\n@flow\ndef f():\n    pass\nf.serve(name='x')\n"}, False),
])
def test_pipeline_automated_tools(make_repo, files, expected):
    assert ("data.pipeline_automated" in tool_signals(make_repo, files)) is expected


def test_invalid_prefect_yaml_is_an_error(make_repo):
    ev = run_detector(DataDetector, make_repo({"prefect.yaml": "deployments: [\n  - name: x\n"}))
    errors = [e for e in ev if e.outcome is Outcome.ERROR]
    assert [e.signal for e in errors] == ["data.pipeline_automated"]


CACHE_CHECK = """
import hashlib, os
import pandas as pd

def check_dataset(self, path):
    if not os.path.exists(path):
        return False
    df = pd.read_csv(path)
    return hashlib.sha1(pd.util.hash_pandas_object(df).values).hexdigest() == self.digests.get(path)
"""

DELEGATED_CHECK = """
import pandas as pd

def _assert_consistency(df, config):
    for col in df.columns:
        assert config[col] == str(df.dtypes[col])

def _check_keys(d, keys):
    for key in keys:
        if key not in d:
            raise ValueError(key)

def validate_data(files, config):
    _check_keys(files, ["train"])
    df = pd.read_csv(files["train"])
    _assert_consistency(df, config)

validate_data(FILES, CONFIG)
"""


@pytest.mark.parametrize("files, expected", [
    ({"schema.py": "import pandera as pa\nschema = pa.DataFrameSchema({'a': pa.Column(int)})\n"}, True),
    ({"gx/great_expectations.yml": "config_version: 3\n"}, True),
    # the legacy dataset API calls expectations as methods of a dataset
    ({"validate.py": "import great_expectations as ge\nds = ge.from_pandas(df)\n"
                     "ds.expect_column_values_to_not_be_null('id')\n"}, True),
    ({"profile.py": "from great_expectations.dataset import PandasDataset\n\n"
                    "def profiler(ds: PandasDataset):\n    ds.expect_column_mean_to_be_between(column='x', min_value=0)\n"
                    "    return ds.get_expectation_suite()\n\nprofiler(load())\n"}, True),
    ({"validate.py": "import tensorflow_data_validation as tfdv\nstats = tfdv.generate_statistics_from_csv('d.csv')\n"
                     "anomalies = tfdv.validate_statistics(stats, schema=tfdv.load_schema_text('schema.pbtxt'))\n"}, True),
    # statistics loaded and shown, a schema inferred: nothing is checked
    ({"explore.py": "import tensorflow_data_validation as tfdv\nstats = tfdv.load_statistics('s')\n"
                    "tfdv.visualize_statistics(stats)\nschema = tfdv.infer_schema(stats)\n"}, False),
    # the same method name without Great Expectations imported
    ({"checks.py": "import pandas as pd\nobj.expect_column_values_to_not_be_null('id')\n"}, False),
    ({"checks.py": "import pandas as pd\ndef validate_dataframe(df):\n    assert not df.isna().any().any()\n\n"
                   "validate_dataframe(pd.read_csv('data/train.csv'))\n"}, None),
    # the same check nothing calls (a test exercising it does not run it)
    ({"checks.py": "import pandas as pd\ndef validate_dataframe(df):\n    assert not df.isna().any().any()\n",
      "tests/test_checks.py": "from checks import validate_dataframe\n\ndef test_ok():\n    validate_dataframe(DF)\n"},
     False),
    ({"requirements.txt": "great-expectations==0.18\npandera==0.20\n"}, False),
    ({"README.md": "Validated with Great Expectations.\n"}, False),
    ({"api/schema.py": "from pydantic import BaseModel\nclass Request(BaseModel):\n    x: float\n"}, False),
    ({"data/checks.py": "import pandas as pd\ndef check_schema(df, cols):\n    missing = set(cols) - set(df.columns)\n"
                        "    return not missing\n\nok = check_schema(pd.read_csv('d.csv'), COLS)\n"}, None),
    # a cache check: is the file on disk the one generated last time? (digest comparison)
    ({"dataset.py": CACHE_CHECK}, False),
    # the check delegates to a helper of the module that inspects the data and asserts on it
    ({"validate_data.py": DELEGATED_CHECK}, True),
    # ...but a helper that only checks argument keys is not a data check
    ({"validate_data.py": DELEGATED_CHECK.replace("    _assert_consistency(df, config)\n", "")}, False),
    # a quality gate on a model's metrics judges the model, not the data
    ({"scripts/gate.py": "import pandas as pd\n\ndef check_quality_gate(metrics):\n    failures = []\n"
                         "    if metrics['auc'] < 0.85:\n        failures.append('auc')\n    return len(failures) == 0\n\n"
                         "ok = check_quality_gate(load_metrics())\n"}, False),
    # drift is monitoring, not a gate on the training data
    ({"app.py": "import pandas as pd\nfrom scipy import stats\ndef _check_data_drift(ref, cur):\n"
                "    return stats.ks_2samp(ref, cur).pvalue < 0.05\n"}, False),
])
def test_validation(make_repo, files, expected):
    root = make_repo(files)
    found = present(run_detector(ToolUsageDetector, root)) | present(run_detector(DataDetector, root))
    assert ("data.validation" in found) is (expected if expected is not None else True)


@pytest.mark.parametrize("files, expected", [
    # a feature repository applied or served, or read from code
    ({"feature_repo/feature_store.yaml": "project: p\nregistry: data/registry.db\nprovider: local\n",
      "Makefile": "features:\n\tcd feature_repo && feast apply\n"}, True),
    ({"feast/Dockerfile": "FROM python:3.11\nRUN pip install feast\nCMD feast serve --host 0.0.0.0\n"}, True),
    ({"fs.py": "from feast import FeatureStore\nstore = FeatureStore(repo_path='.')\n"}, True),
    # traps: a scaffold nothing applies or reads (the config and definitions alone)
    ({"feature_repo/feature_store.yaml": "project: p\nregistry: data/registry.db\nprovider: local\n",
      "feature_repo/features.py": "from feast import Entity, FeatureView\ndriver = Entity(name='driver')\n"
                                  "stats = FeatureView(name='stats', entities=[driver])\n"}, False),
    ({"README.md": "Run `feast apply` in feature_repo/.\n"}, False),
    ({"src/data/features/create_state.py": "import pandas as pd\ndef create_feature_state(df):\n    return df\n"}, False),
    ({"pyproject.toml": "[project]\nname='x'\ndependencies=['feast==0.40']\n"}, False),
])
def test_feature_store(make_repo, files, expected):
    assert ("data.feature_store" in tool_signals(make_repo, files)) is expected


HOPSWORKS = ("import hopsworks\n\ndef add_to_registry(metrics, path):\n    project = hopsworks.login()\n"
             "    mr = project.get_model_registry()\n"
             "    mr.python.create_model('best_model', metrics=metrics).save(path)\n\n"
             "add_to_registry({'rmse': 1.0}, 'model')\n")


@pytest.mark.parametrize("files, signal, expected", [
    # a data check step of a ZenML integration in the project's pipeline
    ({"steps/data_validator.py": ZENML_CHECK}, "data.validation", True),
    ({"steps/report.py": ZENML_CHECK.replace("evidently_test_step", "evidently_report_step")}, "data.validation", False),
    ({"training/train.py": HOPSWORKS}, "tracking.model_registry", True),
    ({"training/train.py": HOPSWORKS}, "data.feature_store", True),
    ({"features/fs.py": "import hopsworks\nfs = hopsworks.login().get_feature_store()\n"}, "tracking.model_registry", False),
])
def test_zenml_checks_and_hopsworks_registry(make_repo, files, signal, expected):
    assert (signal in tool_signals(make_repo, files)) is expected


DIGEST_CONFIG = ("import hashlib\nimport wandb\n\n\ndef main(args):\n    with open(args.train_labels, 'rb') as f:\n"
                 "        train_hash = hashlib.sha256(f.read()).hexdigest()\n"
                 "    config = {'lr': args.lr, 'train_hash': train_hash}\n"
                 "    run = wandb.init(project='detection', config=config)\n")


@pytest.mark.parametrize("files, expected", [
    ({"dvc.lock": DVC_LOCK}, True),
    ({"train.py": LINEAGE}, True),
    ({"train.py": "import mlflow\nmlflow.log_param('lr', 0.1)\n"}, False),
    ({"train.py": "import mlflow\n# mlflow.log_param('dataset_version', 'v1')\n"}, False),
    # a digest of the data's content handed to the run's configuration
    ({"references/train.py": DIGEST_CONFIG}, True),
    # a digest of the run's own settings names no data
    ({"references/train.py": DIGEST_CONFIG.replace("hashlib.sha256(f.read())", "hashlib.sha256(str(args).encode())")},
     False),
    # the very table a run trains on, logged as an artifact of that run
    ({"dags/train.py": "import mlflow\nimport pandas as pd\n\n\ndef train(matrix_path):\n"
                       "    matrix = pd.read_parquet(matrix_path)\n    with mlflow.start_run():\n"
                       "        mlflow.log_artifact(matrix_path, 'data')\n        fit(matrix)\n"}, True),
    # ... not a report or a mapping file the run writes
    ({"dags/train.py": "import mlflow\nimport pandas as pd\n\n\ndef train(matrix_path, report_path):\n"
                       "    matrix = pd.read_parquet(matrix_path)\n    with mlflow.start_run():\n"
                       "        mlflow.log_artifact(report_path)\n"}, False),
])
def test_lineage(make_repo, files, expected):
    assert ("data.lineage" in data_signals(make_repo, files)) is expected


def test_dvc_lock_lineage_is_executed(make_repo):
    ev = run_detector(DataDetector, make_repo({"dvc.lock": DVC_LOCK}))
    (lineage,) = [e for e in ev if e.signal == "data.lineage"]
    assert lineage.tier is Tier.EXECUTED and lineage.attributes["dependencies"] == 1


@pytest.mark.parametrize("files, expected", [
    ({"train.py": "import mlflow\nimport mlflow.data\nds = mlflow.data.from_pandas(df)\nmlflow.log_input(ds)\n"}, True),
    ({"train.py": "import wandb\nrun = wandb.init()\nart = run.use_artifact('dataset:v3')\n"}, True),
    ({"train.py": "import wandb\nrun = wandb.init()\nrun.use_artifact('split_train:latest')\n"}, True),
    # a model or a checkpoint consumed by the run (to evaluate it, or to resume) is no data
    ({"train.py": "import wandb\nrun = wandb.init()\nart = run.use_artifact(model_path, type='model')\n"}, False),
    ({"loggers/wandb_logger.py": "import wandb\n\ndef resume(exp, name):\n    return exp.use_artifact(name).download()\n"},
     False),
    ({"train.py": "import mlflow\nmlflow.log_metric('acc', 0.9)\n"}, False),
])
def test_lineage_tools(make_repo, files, expected):
    assert ("data.lineage" in tool_signals(make_repo, files)) is expected


def test_vendored_and_binary_inputs_are_harmless(make_repo):
    root = make_repo({
        "venv/lib/python3.11/site-packages/pkg/data.csv": CSV,
        "venv/lib/python3.11/site-packages/pkg/prep.py": PREP,
        "dvc.yaml": b"\x00\x01\x02binary",
        "broken.py": "def (:\n",
    })
    ev = run_detector(DataDetector, root)
    assert present(ev) == set()


# -- cases found by auditing real repositories ----------------------------------------------------
ARCHIVE = b"PK\x03\x04" + bytes(range(256)) * 100
PREFECT_LEGACY = """
name: weekly_training
work_queue_name: training
schedule:
  cron: 0 10 * * 1
  timezone: null
flow_name: training-flow
entrypoint: training/train.py:training_flow
parameters: {}
"""


@pytest.mark.parametrize("files, expected", [
    ({"data/archive.zip": ARCHIVE}, True),                                # zipped dataset in a data folder
    ({"data/MNIST/raw/train-images-idx3-ubyte": ARCHIVE}, True),          # IDX arrays (MNIST layout)
    ({"data/MNIST/raw/train-images-idx3-ubyte.gz": ARCHIVE}, True),
    ({"dist/release.zip": ARCHIVE}, False),                               # an archive outside data folders
    ({"data/model.tar.gz": ARCHIVE}, False),                              # a packed model, not data
    ({"data/archive.zip": b"PK\x03\x04"}, False),                         # too small to be a dataset
])
def test_raw_data_committed_archives(make_repo, files, expected):
    assert ("data.raw_data_committed" in data_signals(make_repo, files)) is expected


INGEST = ("from pathlib import Path\nfrom langchain_core.documents import Document\nfrom app.db import get_db\n\n\n"
          "def main(corpus: Path):\n    db = get_db()\n    documents = []\n    for path in corpus.glob('*.md'):\n"
          "        documents.append(Document(page_content=path.read_text(), metadata={'file': path.name}))\n"
          "    db.add_documents(documents=documents)\n")


@pytest.mark.parametrize("files, expected", [
    ({"src/data_loading.py": "import pandas as pd\nfrom sklearn.datasets import fetch_california_housing\n"
                             "from sklearn.model_selection import train_test_split\n"
                             "h = fetch_california_housing()\ndf = pd.DataFrame(h.data)\n"
                             "parts = train_test_split(df, test_size=0.2)\n"}, True),
    ({"src/preprocess.py": "import torch\nfrom torchvision import datasets, transforms\n"
                           "t = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1,), (0.3,))])\n"
                           "ds = datasets.MNIST(root='data/raw', download=True, transform=t)\n"}, True),
    # a bundled toy dataset fitted directly is training, not data preparation
    ({"train.py": "from sklearn.datasets import load_iris\nfrom sklearn.ensemble import RandomForestClassifier\n"
                  "X, y = load_iris(return_X_y=True)\nRandomForestClassifier().fit(X, y)\n"}, False),
    ({"prep.py": "# from torchvision import transforms\n# t = transforms.Normalize((0.1,), (0.3,))\n"}, False),
    # a training set built from a feature store (point-in-time join over an entity frame)
    ({"create_dataset.py": "import pandas as pd\nfrom feast import FeatureStore\nstore = FeatureStore(repo_path='repo/')\n"
                           "ts = pd.date_range('2021-08-31', '2021-09-04', freq='h').to_frame(name='event_timestamp')\n"
                           "entities = ts.merge(pd.DataFrame({'driver_id': [1, 2]}), how='cross')\n"
                           "job = store.get_historical_features(entity_df=entities, features=['fv:rate'])\n"}, True),
    # a feature store opened, nothing retrieved
    ({"apply.py": "import pandas as pd\nfrom feast import FeatureStore\nstore = FeatureStore(repo_path='repo/')\n"
                  "store.apply([])\ndf = pd.DataFrame({'a': [1]}).merge(other)\n"}, False),
    # a dashboard page reads and filters data to show it
    ({"app_pages/page3_models.py": "import pandas as pd\nimport streamlit as st\n"
                                   "df = pd.read_csv('outputs/metrics.csv')\nst.dataframe(df[df.model.isin(['rf'])])\n"}, False),
    # a retrieval corpus: documents read and chunked
    ({"indexing/chunker.py": "from langchain_text_splitters import RecursiveCharacterTextSplitter\n\n"
                             "def chunk(docs):\n    splitter = RecursiveCharacterTextSplitter(chunk_size=512)\n"
                             "    return [c for d in docs for c in splitter.split_text(d)]\n"}, True),
    ({"ingest.py": "from langchain_community.document_loaders import DirectoryLoader\n"
                   "from llama_index.core.node_parser import SentenceSplitter\n"
                   "docs = DirectoryLoader('docs/').load()\nnodes = SentenceSplitter().get_nodes_from_documents(docs)\n"}, True),
    # documents built from the corpus files and written into a vector store
    ({"scripts/ingest.py": INGEST}, True),
    # a Document built to answer a request, indexed nowhere
    ({"src/app.py": INGEST.replace("    db.add_documents(documents=documents)\n", "    return documents\n")}, False),
    # the splitter named in a comment, the loader only imported
    ({"ingest.py": "# from langchain_text_splitters import RecursiveCharacterTextSplitter\n"
                   "from langchain_community.document_loaders import DirectoryLoader\n"}, False),
])
def test_prep_code_framework_loaders(make_repo, files, expected):
    assert ("data.prep_code" in data_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, signal, expected", [
    ({"training_flow-deployment.yaml": PREFECT_LEGACY}, "data.pipeline_automated", True),
    ({"training_flow-deployment.yaml": PREFECT_LEGACY}, "data.pipeline_definition", True),
    ({"training_flow-deployment.yaml": PREFECT_LEGACY.replace("schedule:\n  cron: 0 10 * * 1\n", "schedule: null\n")},
     "data.pipeline_automated", False),
    # a Kubernetes Deployment is no Prefect deployment
    ({"k8s/api-deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"},
     "data.pipeline_definition", False),
])
def test_prefect_legacy_deployment_files(make_repo, files, signal, expected):
    assert (signal in data_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, expected", [
    # Dagster asset checks look at the data each materialisation writes
    ({"defs/checks.py": ("import dagster as dg\nfrom defs.assets import features\n\n\n@dg.asset_check(asset=features)\n"
                         "def no_nulls(features):\n    return dg.AssetCheckResult(passed=not features.isnull().values.any())\n")},
     True),
    ({"docs/quality.md": "Use Dagster asset checks (`@asset_check`) for data quality.\n"}, False),
])
def test_dagster_asset_checks_validate_data(make_repo, files, expected):
    assert ("data.validation" in tool_signals(make_repo, files)) is expected


QDRANT_INGEST = '''from qdrant_client import QdrantClient
from qdrant_client.models import PointStruct
from sentence_transformers import SentenceTransformer


def main(chunks):
    embedder = SentenceTransformer("all-MiniLM-L6-v2")
    client = QdrantClient(url="http://qdrant:6333")
    points = [PointStruct(id=i, vector=embedder.encode(c).tolist(), payload={"text": c}) for i, c in enumerate(chunks)]
    client.upsert(collection_name="policies", points=points)
'''
QDRANT_QUERY = '''from qdrant_client import QdrantClient
from sentence_transformers import SentenceTransformer


def retrieve(question):
    vector = SentenceTransformer("all-MiniLM-L6-v2").encode(question).tolist()
    return QdrantClient(url="http://qdrant:6333").search(collection_name="policies", query_vector=vector, limit=5)
'''


@pytest.mark.parametrize("files, expected", [
    # a corpus embedded and written into a vector database is prepared data
    ({"src/ingest.py": QDRANT_INGEST}, True),
    # trap: the retrieval side reads the vectors, it prepares nothing
    ({"src/retrieval.py": QDRANT_QUERY}, False),
    # trap: records written with no embedding computed here
    ({"src/store.py": "import chromadb\n\ndef keep(ids, docs):\n    chromadb.Client().create_collection('x').add(ids=ids, documents=docs)\n"},
     False),
])
def test_vector_store_ingestion_is_data_preparation(make_repo, files, expected):
    assert ("data.prep_code" in data_signals(make_repo, files)) is expected


ARGO_TEMPLATE = """apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: training
spec:
  entrypoint: pipeline
  templates:
    - name: pipeline
      dag:
        tasks:
          - name: load-data
            template: load
          - name: validate
            template: check
            dependencies: [load-data]
          - name: train
            template: fit
            dependencies: [validate]
    - name: load
      container: {image: trainer, command: [python, load.py]}
"""
ONE_CONTAINER = """apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: hello
  templates:
    - name: hello
      container: {image: busybox, command: [echo, hi]}
"""
CRON = """apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: nightly
spec:
  schedule: "0 2 * * *"
  workflowSpec:
    workflowTemplateRef: {name: training}
"""
CALENDAR = """apiVersion: argoproj.io/v1alpha1
kind: EventSource
metadata:
  name: weekly
spec:
  calendar:
    retrain:
      schedule: "0 6 * * 1"
"""
SENSOR = """apiVersion: argoproj.io/v1alpha1
kind: Sensor
metadata:
  name: retrain
spec:
  dependencies:
    - {name: weekly, eventSourceName: weekly, eventName: retrain}
  triggers:
    - template:
        name: submit
        argoWorkflow:
          operation: submit
          source:
            resource:
              apiVersion: argoproj.io/v1alpha1
              kind: Workflow
"""


@pytest.mark.parametrize("files, defined, automated", [
    ({"pipelines/training.yaml": ARGO_TEMPLATE}, True, False),
    ({"pipelines/training.yaml": ARGO_TEMPLATE, "pipelines/cron.yaml": CRON}, True, True),
    ({"events/calendar.yaml": CALENDAR, "events/sensor.yaml": SENSOR}, False, True),
    # traps: one container is a job, not a pipeline; a suspended schedule and a calendar no sensor
    # turns into a workflow run nothing
    ({"hello.yaml": ONE_CONTAINER}, False, False),
    ({"pipelines/cron.yaml": CRON.replace("  schedule:", "  suspend: true\n  schedule:")}, False, False),
    ({"events/calendar.yaml": CALENDAR}, False, False),
])
def test_argo_workflows_are_pipelines_and_their_schedules_automate_them(make_repo, files, defined, automated):
    found = data_signals(make_repo, files)
    assert ("data.pipeline_definition" in found) is defined
    assert ("data.pipeline_automated" in found) is automated


FLOW_MODULE = "from prefect import flow\n\n\n@flow\ndef training_flow():\n    train()\n"


@pytest.mark.parametrize("script, automated", [
    # the flow comes from a project module; the script serving it imports no Prefect itself
    ("from datetime import timedelta\nfrom pipeline import training_flow\n\n"
     "training_flow.serve(name='weekly', interval=timedelta(days=7))\n", True),
    # traps: served without a schedule, and a function of that name outside any Prefect module
    ("from pipeline import training_flow\n\ntraining_flow.serve(name='adhoc')\n", False),
])
def test_a_prefect_flow_served_on_a_schedule_from_another_module(make_repo, script, automated):
    files = {"flows/pipeline.py": FLOW_MODULE, "flows/deployment.py": script}
    assert ("data.pipeline_automated" in data_signals(make_repo, files)) is automated
    files["flows/pipeline.py"] = "def training_flow():\n    train()\n"
    assert "data.pipeline_automated" not in data_signals(make_repo, files)


SCHEMA_CHECK = ("from pydantic import BaseModel, Field, ValidationError\n\n\nclass Chunk(BaseModel):\n"
                "    text: str = Field(..., min_length=50)\n    doc_id: str\n\n\n"
                "def validate_chunk(chunk):\n    try:\n        Chunk(**chunk)\n    except ValidationError as e:\n"
                "        return [str(e)]\n    return []\n\n\ndef main(chunks):\n"
                "    issues = [validate_chunk(c) for c in chunks]\n")


@pytest.mark.parametrize("path, source, expected", [
    ("data_pipeline/scripts/validate_data.py", SCHEMA_CHECK, True),
    # a web API's request model validates a request, not the data
    ("app/api/schemas.py", SCHEMA_CHECK, False),
    # a schema nothing checks records against
    ("data_pipeline/scripts/validate_data.py", SCHEMA_CHECK.split("\n\n\ndef validate_chunk")[0], False),
    # a CI helper validating the repository's config files
    (".github/utils/json_schema_validator.py", SCHEMA_CHECK, False),
])
def test_records_checked_against_a_schema_in_the_data_pipeline(make_repo, path, source, expected):
    assert ("data.validation" in data_signals(make_repo, {path: source})) is expected


EMBED_TO_PG = ("import psycopg2\nfrom openai import OpenAI\nfrom psycopg2.extras import execute_values\n\n\n"
               "def main(records):\n    client = OpenAI()\n    texts = [compose(r) for r in records]\n"
               "    vectors = client.embeddings.create(model='text-embedding-3-small', input=texts).data\n"
               "    with psycopg2.connect(URL) as conn, conn.cursor() as cur:\n"
               "        execute_values(cur, 'INSERT INTO place_embeddings (id, embedding) VALUES %s', rows(vectors))\n")


@pytest.mark.parametrize("source, expected", [
    (EMBED_TO_PG, True),
    # a query embedded to search, nothing written: serving, not preparation
    (EMBED_TO_PG.split("    with psycopg2")[0], False),
])
def test_a_corpus_embedded_into_a_database_is_data_preparation(make_repo, source, expected):
    assert ("data.prep_code" in data_signals(make_repo, {"scripts/embed_places_pgvector.py": source})) is expected


SNOWFLAKE_TASK = ('def create_task(session):\n    session.sql("""\n        CREATE OR REPLACE TASK task_training\n'
                  "            WAREHOUSE = COMPUTE_WH\n            SCHEDULE = 'USING CRON 0 10 1 * * Asia/Tokyo'\n"
                  '        AS\n            CALL training();\n    """).collect()\n    session.sql("ALTER TASK task_training RESUME").collect()\n')


@pytest.mark.parametrize("source, automated", [
    (SNOWFLAKE_TASK, True),
    # a task nobody schedules (started by hand with EXECUTE TASK)
    (SNOWFLAKE_TASK.replace("            SCHEDULE = 'USING CRON 0 10 1 * * Asia/Tokyo'\n", ""), False),
    # the statement only in a comment
    ("# CREATE TASK t SCHEDULE = 'USING CRON 0 5 * * * UTC' AS CALL training();\nx = 1\n", False),
])
def test_a_snowflake_task_the_code_creates_on_a_schedule(make_repo, source, automated):
    found = data_signals(make_repo, {"src/tasks/task_training.py": source})
    assert ("data.pipeline_automated" in found) is automated and ("data.pipeline_definition" in found) is automated


TF_TASKS = '''resource "snowflake_task" "get_new_posts" {
  name      = "GET_NEW_POSTS"
  schedule  = "USING CRON */1 * * * 1-5 Europe/Brussels" # "every minute"
  sql_statement = file("${path.module}/../sql/tasks/get_new_posts.sql")
  enabled   = false # change to `true` to resume
}

resource "snowflake_task" "clean_ml_posts" {
  name          = "CLEAN_ML_POSTS"
  sql_statement = file("${path.module}/../sql/tasks/clean_ml_posts.sql")
  after         = "GET_NEW_POSTS"
}
'''


@pytest.mark.parametrize("files, definition, automated", [
    # a Terraform task graph whose root runs on a schedule (switched off, it is still the pipeline)
    ({"terraform/snowflake_tasks.tf": TF_TASKS}, True, True),
    # chained, but nothing schedules the root: started by hand
    ({"terraform/snowflake_tasks.tf": TF_TASKS.replace('  schedule  = "USING CRON */1 * * * 1-5 Europe/Brussels"'
                                                       ' # "every minute"\n', "")}, True, False),
    # the schedule commented out, and a lone task with no schedule
    ({"terraform/tasks.tf": TF_TASKS.replace("  schedule", "  # schedule").replace("  after", "  # after")}, False, False),
    # a SQL script creating a scheduled task
    ({"sql/tasks.sql": "CREATE OR REPLACE TASK refresh_features\n  WAREHOUSE = WH\n"
                       "  SCHEDULE = 'USING CRON 0 6 * * * UTC'\nAS\n  CALL build_features();\n"}, True, True),
    ({"sql/tasks.sql": "CREATE OR REPLACE TASK refresh_features\n  WAREHOUSE = WH\nAS\n  CALL build_features();\n"},
     False, False),
])
def test_snowflake_tasks_kept_as_infrastructure(make_repo, files, definition, automated):
    found = data_signals(make_repo, files)
    assert ("data.pipeline_definition" in found) is definition and ("data.pipeline_automated" in found) is automated
