"""Data validation recognised by structure: a check that fails on the data and stops the flow
before training or ingestion, pydantic records rejected in a pipeline, data tests CI runs."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.data import DataDetector

RAISING_CHECK = """\
REQUIRED = ["age", "income", "label"]

def ensure_ready(df):
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"missing columns {missing}")
    if df["age"].isnull().any():
        raise ValueError("null ages")
"""
TRAIN = """\
import pandas as pd
from pipeline.checks import ensure_ready

def main():
    df = pd.read_csv("data/train.csv")
    ensure_ready(df)
    model.fit(df.drop(columns="label"), df["label"])
"""

VERDICT = """\
import sys

def rows_ok(rows):
    return len(rows) >= 10 and all(r.get("text") for r in rows)

def run(path):
    rows = read_rows(path)
    if not rows_ok(rows):
        sys.exit(1)
    ingest_rows(rows)
"""

RULE_ENGINE = """\
from prefect import flow
from app import rules

class DatasetRejected(ValueError):
    pass

def validate_or_raise(name, version):
    report = rules.run_rules(rules.parse_rows(fetch_bytes(name, version)))
    if not report["passed"]:
        raise DatasetRejected(report)
    return report

@flow
def finetune(name, version):
    validate_or_raise(name, version)
    return train_adapter(name, version)
"""

PYDANTIC = """\
from pydantic import BaseModel, ValidationError

class Event(BaseModel):
    user_id: int
    amount: float

def ingest(path):
    good, rejected = [], []
    for row in read_rows(path):
        try:
            good.append(Event(**row))
        except ValidationError:
            rejected.append(row)
    write_table(good)
"""

DATA_TEST = """\
import os
import pandas as pd

def test_schema():
    df = pd.read_csv(os.path.join("data", "sales.csv"))
    assert df.shape[1] == 3
    assert not df.isnull().values.any()
"""
SALES = "day,store,units\n" + "".join(f"2024-01-{d:02d},{s},{d * s}\n" for d in range(1, 29) for s in range(1, 4))
UNITTEST_DATA_TEST = """\
import unittest
import numpy as np
from steps.ingest_data import ingest_data_step


class DataTest(unittest.TestCase):
    def test_format_date(self):
        features, sales = ingest_data_step(features_path="data/raw/features.csv", sales_path="data/raw/sales.csv")
        self.assertTrue(np.all(features.Date.str.match(r"^\\d{2}/\\d{2}/\\d{4}$")))


if __name__ == "__main__":
    unittest.main()
"""
#: data-quality tests over a dataset the project downloads (not committed): a fixture loads it
#: through the project's own loader, derived fixtures clean it, the tests look into it
FIXTURE_DATA_TEST = """\
import pytest
from mlservice.data import clean
from mlservice.data.audit import load_raw


@pytest.fixture(scope="module")
def raw():
    return load_raw()


@pytest.fixture(scope="module")
def cleaned(raw):
    return clean.clean(raw)


class TestRawIntegrity:
    def test_encounter_id_is_unique(self, raw):
        assert raw["encounter_id"].is_unique

    def test_no_missing_age(self, cleaned):
        assert cleaned["age"].notna().all()
"""
LOADER = ("import pandas as pd\n\nRAW = 'data/raw/diabetic_data.csv'\n\n\n"
          "def load_raw(path=RAW):\n    return _read(path)\n\n\ndef _read(path):\n    return pd.read_csv(path)\n")
CI = """\
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m pytest . --cov=src
"""


DAILY_INGEST = """\
import pandas as pd

MIN_ROWS = 500

def extract_daily_rows(conn, day):
    df_today = pd.read_sql("SELECT * FROM sales WHERE day = %(day)s", conn, params={"day": day})
    if df_today.empty:
        raise ValueError("No rows found for the given date")
    return df_today

def ingest(conn, day):
    df = extract_daily_rows(conn, day)
    df.to_parquet(f"lake/sales/{day}.parquet")
"""

CLEAN_TASK = """\
from pyspark.sql import functions as F

from pipelines.io import read_parquet, spark_session


def clean_data(config):
    spark = spark_session()
    data = read_parquet(spark, config.input_path)
    columns_diff = set(config.required_columns) - set(data.columns)
    if len(columns_diff) > 0:
        raise RuntimeError(f"Missing columns in data! Namely: {columns_diff}.")
    data = data.filter(F.col(config.target_column).isNotNull())
    data.write.parquet(config.output_path, mode="overwrite")
"""
CLEAN_DAG = """\
from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator

from pipelines.clean import clean_data
from pipelines.settings import load_config

with DAG("daily_clean", start_date=datetime(2024, 1, 1), schedule="@daily") as dag:
    clean = PythonOperator(task_id="clean_data", python_callable=clean_data, op_args=[load_config()])
"""
SALES_ASSET = """\
from dagster import asset


@asset(group_name="sales")
def daily_sales_table(raw_sales):
    missing = {"store", "day", "units"} - set(raw_sales.columns)
    if missing:
        raise ValueError(f"raw sales lack {missing}")
    raw_sales.to_parquet("warehouse/daily_sales.parquet")
"""
GUARDED_CLEAN = "    if len(columns_diff) > 0:\n        raise RuntimeError(f\"Missing columns in data! Namely: {columns_diff}.\")\n"


def validation(make_repo, files):
    return [e for e in run_detector(DataDetector, make_repo(files)) if e.signal == "data.validation" and e.counts]


@pytest.mark.parametrize("files", [
    {"pipeline/checks.py": RAISING_CHECK, "pipeline/train.py": TRAIN},
    {"jobs/load.py": VERDICT},
    {"training/flows/finetune.py": RULE_ENGINE},
    {"etl/events.py": PYDANTIC},
    {"data/data_test.py": DATA_TEST, "data/sales.csv": SALES, ".github/workflows/ci.yml": CI},
    # a unittest case asserting on a dataset DVC tracks (its pointer committed), run by CI
    {"tests/data_test.py": UNITTEST_DATA_TEST, "data/raw/features.csv.dvc": "outs:\n- md5: 0a1b\n  path: features.csv\n",
     ".github/workflows/ci.yml": CI.replace("python -m pytest . --cov=src", "python3 tests/data_test.py")},
    {"tests/data/test_quality.py": FIXTURE_DATA_TEST, "src/mlservice/data/audit.py": LOADER,
     "src/mlservice/data/__init__.py": "", "src/mlservice/data/clean.py": "def clean(df):\n    return df.dropna()\n",
     ".github/workflows/ci.yml": CI.replace("python -m pytest . --cov=src", "uv run pytest tests/data -m data")},
])
def test_data_checks(make_repo, files):
    assert validation(make_repo, files)


@pytest.mark.parametrize("guard", [
    "len(df_today) < MIN_ROWS",
    "df_today.isnull().any().any()",
    "len(df_today) == 0 or df_today['amount'].isnull().any()",
    "len(df_today[df_today['amount'] < 0]) > 0",
    "df_today.shape[1] != 7",
])
def test_row_thresholds_and_content_guards_are_checks(make_repo, guard):
    found = validation(make_repo, {"etl/daily.py": DAILY_INGEST.replace("df_today.empty", guard)})
    assert found and "extract_daily_rows" in found[0].summary and "to_parquet" in found[0].summary


@pytest.mark.parametrize("guard", [
    "df_today.empty", "len(df_today) == 0", "not len(df_today)", "len(df_today) < 1", "0 >= len(df_today)",
    "df_today.shape[0] == 0", "df_today.count() == 0", "not df_today.height", "df_today.is_empty()",
])
def test_emptiness_guards_are_no_checks(make_repo, guard):
    # whether the query found any rows is availability, not the quality of what it found
    assert not validation(make_repo, {"etl/daily.py": DAILY_INGEST.replace("df_today.empty", guard)})


def test_check_that_writes_the_data_it_checked_runs_as_an_airflow_task(make_repo):
    found = validation(make_repo, {"pipelines/clean.py": CLEAN_TASK, "dags/clean_dag.py": CLEAN_DAG})
    assert len(found) == 1
    assert found[0].summary == ("data check clean_data (pipelines/clean.py:6) raises if len(columns_diff) > 0, "
                                "then writes the data (parquet); PythonOperator task 'clean_data' runs it "
                                "(dags/clean_dag.py:10)")
    assert [(loc.path, loc.line) for loc in found[0].locations] == [("pipelines/clean.py", 6), ("dags/clean_dag.py", 10)]


@pytest.mark.parametrize("files, wiring", [
    # a command-line entry point calls it, with nothing of its own after the call
    ({"pipelines/clean.py": CLEAN_TASK,
      "pipelines/cli.py": "from pipelines.clean import clean_data\n\ndef main():\n    clean_data(load_config())\n"},
     "main calls it (pipelines/cli.py:4)"),
    # an orchestrator runs a decorated step nobody calls in code
    ({"assets/sales.py": SALES_ASSET}, "it runs as pipeline step @asset"),
])
def test_check_that_writes_the_data_is_a_gate_wherever_it_runs(make_repo, files, wiring):
    found = validation(make_repo, files)
    assert found and found[0].summary.endswith(wiring) and "then writes the data" in found[0].summary


@pytest.mark.parametrize("files", [
    # an argument check on configuration values, and a check that the input file is there
    {"pipelines/clean.py": CLEAN_TASK.replace(GUARDED_CLEAN, "    if not config.output_path:\n"
                                              "        raise ValueError('output_path is required')\n"),
     "dags/clean_dag.py": CLEAN_DAG},
    {"pipelines/clean.py": CLEAN_TASK.replace(GUARDED_CLEAN, "    if not config.required_columns:\n"
                                              "        raise ValueError('required_columns is not set')\n"),
     "dags/clean_dag.py": CLEAN_DAG},
    {"pipelines/clean.py": CLEAN_TASK.replace(GUARDED_CLEAN, "    if not os.path.exists(config.input_path):\n"
                                              "        raise FileNotFoundError(config.input_path)\n"),
     "dags/clean_dag.py": CLEAN_DAG},
    # run by nothing but a unit test, or by nothing at all
    {"pipelines/clean.py": CLEAN_TASK,
     "tests/test_clean.py": "from pipelines.clean import clean_data\n\ndef test_clean(cfg):\n    clean_data(cfg)\n"},
    {"pipelines/clean.py": CLEAN_TASK},
    # the task trains a model: a guard inside training code
    {"pipelines/clean.py": CLEAN_TASK.replace('data.write.parquet(config.output_path, mode="overwrite")',
                                              "model.fit(data)\n    data.write.parquet(config.output_path)"),
     "dags/clean_dag.py": CLEAN_DAG},
    # a step that also raises on drift before storing the batch is monitoring
    {"assets/sales.py": SALES_ASSET.replace("    raw_sales.to_parquet", "    if psi(reference(), raw_sales) > 0.2:\n"
                                            "        raise ValueError('sales drifted')\n    raw_sales.to_parquet")},
    # a report that checks its date range, then writes metrics rather than the data it checked
    {"scripts/backtest_report.py": "import pandas as pd\n\ndef summarise_backtest(data, predictions, promotion_day, out):\n"
                                   "    dates = sorted(data['Date'].unique())\n    if len(dates) < promotion_day:\n"
                                   "        raise ValueError('promotion day beyond the data')\n"
                                   "    metrics = pd.DataFrame(score_segments(data, predictions))\n"
                                   "    metrics.to_csv(out, index=False)\n\n"
                                   "def main(args):\n    summarise_backtest(load(args.truth), load(args.predictions), 30, args.out)\n"},
    # a decorated step that checks, but reads rather than writes after its check
    {"assets/sales.py": SALES_ASSET.replace('raw_sales.to_parquet("warehouse/daily_sales.parquet")',
                                            'return pd.read_parquet("warehouse/stores.parquet")')},
])
def test_checks_inside_their_step_traps(make_repo, files):
    assert not validation(make_repo, files)


def test_summary_names_the_check_and_the_flow(make_repo):
    found = validation(make_repo, {"pipeline/checks.py": RAISING_CHECK, "pipeline/train.py": TRAIN})
    assert "ensure_ready" in found[0].summary and "fit" in found[0].summary
    assert [(loc.path, loc.line) for loc in found[0].locations] == [("pipeline/checks.py", 3), ("pipeline/train.py", 6)]


@pytest.mark.parametrize("files", [
    # a configuration check is not a data check
    {"train.py": "def settle(cfg):\n    if 'lr' not in cfg:\n        raise KeyError('lr')\n\n"
                 "def main(cfg):\n    settle(cfg)\n    model.fit(load(cfg))\n"},
    # the check is never called, or called where nothing follows it
    {"pipeline/checks.py": RAISING_CHECK},
    {"pipeline/checks.py": RAISING_CHECK, "pipeline/train.py": TRAIN.replace(
        "    ensure_ready(df)\n    model.fit(df.drop(columns=\"label\"), df[\"label\"])\n",
        "    model.fit(df.drop(columns=\"label\"), df[\"label\"])\n    ensure_ready(df)\n")},
    # commented out before training
    {"pipeline/checks.py": RAISING_CHECK, "pipeline/train.py": TRAIN.replace("    ensure_ready(df)", "    # ensure_ready(df)")},
    # the verdict is computed and ignored
    {"jobs/load.py": VERDICT.replace("    if not rows_ok(rows):\n        sys.exit(1)\n", "    rows_ok(rows)\n")},
    # a lookup that raises when nothing is registered checks no data
    {"jobs/latest.py": "def latest_dataset(name):\n    versions = list_versions(name)\n    if not versions:\n"
                       "        raise LookupError(name)\n    return versions[-1]\n\n"
                       "def main():\n    train_model(latest_dataset('sales'))\n"},
    # a guard inside the training function itself
    {"train.py": "def fit_model(df):\n    if 'label' not in df.columns:\n        raise ValueError('no label')\n"
                 "    return model.fit(df)\n\ndef main():\n    fit_model(load())\n    save_model()\n"},
    # a drift gate deciding whether to retrain is monitoring, not validation
    {"flows/train.py": "def data_drifted(df):\n    return psi(reference(), df) > 0.2 or len(df) > 1e6\n\n"
                       "def run(df):\n    if not data_drifted(df):\n        return\n    train_model(df)\n"},
    # a check of the same name in another module is not the one this flow calls
    {"pipeline/checks.py": RAISING_CHECK,
     "pipeline/train.py": TRAIN.replace("from pipeline.checks import ensure_ready\n",
                                        "\ndef ensure_ready(df):\n    print(len(df))\n")},
    # tests and examples
    {"tests/checks.py": RAISING_CHECK, "tests/test_train.py": TRAIN.replace("pipeline.checks", "tests.checks")},
    {"examples/checks.py": RAISING_CHECK, "examples/train.py": TRAIN.replace("pipeline.checks", "examples.checks")},
    # pydantic validating requests of a web app, and a model never fed records
    {"app.py": PYDANTIC.replace("def ingest(path):", "@app.post('/events')\ndef ingest(path):")},
    {"settings.py": "from pydantic import BaseModel\n\nclass Settings(BaseModel):\n    url: str\n\n"
                    "def load_settings(env):\n    return Settings(**env)\n"},
    # the run's config validated entry by entry, rejecting bad ones: still a config, not data
    {"llmtune/cli/toolkit.py": PYDANTIC.replace("Event", "Config")},
    # data tests nobody runs, tests of a fixture, and unit tests of a frame built in the test
    {"data/data_test.py": DATA_TEST, "data/sales.csv": SALES},
    {"data/data_test.py": DATA_TEST, "data/sales.csv": SALES,
     ".github/workflows/ci.yml": CI.replace("pytest . --cov=src", "pytest tests/unit")},
    {"tests/test_data.py": DATA_TEST.replace('"data", "sales.csv"', '"tests", "fixtures", "sales.csv"'),
     "tests/fixtures/sales.csv": SALES, ".github/workflows/ci.yml": CI},
    # a file the test writes in its temporary folder is its own fixture
    {"tests/test_load.py": "import json\n\ndef test_load(tmp_path):\n    frozen = tmp_path / 'sales.csv'\n"
                           "    frozen.write_text('day,units')\n    rows, header = load(str(frozen))\n"
                           "    assert len(rows.columns) == 2\n",
     "data/sales.csv": SALES, ".github/workflows/ci.yml": CI},
    {"tests/test_clean.py": "import pandas as pd\n\ndef test_clean():\n    df = pd.DataFrame({'a': [1, None]})\n"
                            "    assert clean(df).isnull().sum().sum() == 0\n",
     "data/sales.csv": SALES, ".github/workflows/ci.yml": CI},
    # fixtures handing the tests data they build, or a test file, through the project's loader
    {"tests/test_quality.py": FIXTURE_DATA_TEST.replace("return load_raw()", "return pd.DataFrame({'encounter_id': [1, 2]})"),
     "src/mlservice/data/audit.py": LOADER, ".github/workflows/ci.yml": CI},
    {"tests/test_quality.py": FIXTURE_DATA_TEST.replace("load_raw()", "load_raw('tests/fixtures/tiny.csv')"),
     "src/mlservice/data/audit.py": LOADER, ".github/workflows/ci.yml": CI},
    {"tests/test_quality.py": FIXTURE_DATA_TEST.replace("def raw():\n    return load_raw()", "def raw(tmp_path):\n    return load_raw(tmp_path)"),
     "src/mlservice/data/audit.py": LOADER, ".github/workflows/ci.yml": CI},
    # a loader that reads no file (it calls a web API), and the suite no CI job runs
    {"tests/test_quality.py": FIXTURE_DATA_TEST, "src/mlservice/data/audit.py": "def load_raw():\n    return fetch_rows()\n",
     ".github/workflows/ci.yml": CI},
    {"tests/test_quality.py": FIXTURE_DATA_TEST, "src/mlservice/data/audit.py": LOADER},
    # an empty batch, a missing input file and a configuration value are no data checks
    {"jobs/load.py": VERDICT.replace("len(rows) >= 10 and all(r.get(\"text\") for r in rows)", "len(rows) > 0")},
    {"jobs/load.py": "def load_rows(paths):\n    missing_files = [p for p in paths if not exists(p)]\n"
                     "    if missing_files:\n        raise FileNotFoundError(missing_files)\n    return read(paths)\n\n"
                     "def main(paths):\n    rows = load_rows(paths)\n    insert_rows(rows)\n"},
    {"jobs/load.py": "def load_rows(config):\n    if not config.required_columns:\n        raise ValueError('set columns')\n"
                     "    return read(config.path)\n\ndef main(config):\n    rows = load_rows(config)\n    insert_rows(rows)\n"},
    # an assertion on shapes alone is a programmer's invariant, not a check of the data's quality
    {"trainer/offline.py": "import torch\n\ndef load_dataset(paths, episode_length):\n    buffer = []\n"
                           "    for fp in paths:\n        td = torch.load(fp)\n"
                           "        assert td.shape[1] == episode_length, 'episode length'\n        buffer.append(td)\n"
                           "    return buffer\n\ndef main(paths):\n    data = load_dataset(paths, 501)\n"
                           "    train_model(data)\n"},
    # an estimator checking its inputs in its own fit: a library validating its arguments
    {"encoders/utils.py": "def convert_inputs(X, y):\n    if X.shape[0] != len(y):\n"
                          "        raise ValueError('lengths differ')\n    return X, y\n",
     "encoders/target.py": "from encoders.utils import convert_inputs\n\nclass TargetEncoder:\n"
                           "    def fit(self, X, y):\n        X, y = convert_inputs(X, y)\n"
                           "        self.mapping = fit_mapping(X, y)\n        return self\n"},
    # a consistency check of metadata whose variable happens to be called ``len``
    {"pipeline/spec.py": "def load_spec(spec_dir, offset):\n    meta = load_meta(spec_dir)\n    freq = meta['freq']\n"
                         "    len = meta['sub_width']\n    assert int(freq * 50) == len\n    return read(spec_dir, offset)\n\n"
                         "def main(d):\n    data = load_spec(d, 0)\n    train_model(data)\n"},
    # the arguments naming which data to fetch are checked, not the data
    {"training/finetune.py": "def download_dataset(dataset_id: str, split: str = 'train'):\n"
                             "    assert split in ['train', 'test']\n    tokens = dataset_id.split('/')\n"
                             "    assert len(tokens) == 2, 'workspace/name'\n    return fetch(tokens)\n\n"
                             "def finetune():\n    rows = download_dataset('team/instruct')\n    train_model(rows)\n"},
    # prose
    {"README.md": "Every dataset goes through `ensure_ready(df)`, which raises on missing columns.\n"},
    # a dataset converter's format requirements on the images it writes
    {"dataset_tool.py": "import numpy as np\n\n\ndef convert_dataset(images, attrs, save_bytes):\n"
                        "    for img in images:\n        height, width = img.shape[:2]\n        if width != height:\n"
                        "            raise ValueError('images must be square')\n"
                        "        if attrs['channels'] not in [1, 3]:\n            raise ValueError('RGB or grey')\n"
                        "        save_bytes(img.tobytes())\n\n\nconvert_dataset(load(), {}, write)\n"},
    # a request checked as it is served (a serverless handler, a web route): the service's input, not data
    {"lambda_function.py": "import pandas as pd\n\n\ndef preprocess(df):\n    if not df['pillar'].isin(ALLOWED).all():\n"
                           "        raise ValueError('invalid pillar')\n    return pd.get_dummies(df)\n\n\n"
                           "def lambda_handler(event, context):\n    df = preprocess(pd.DataFrame([event]))\n"
                           "    return model.predict(df)\n"},
    {"app/main.py": "import pandas as pd\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                    "def preprocess_data(df):\n    if df['age'].isnull().any():\n        raise ValueError('null ages')\n"
                    "    return df.dropna()\n\n\n@app.post('/predict')\ndef predict(rows: list[dict]):\n"
                    "    df = preprocess_data(pd.DataFrame(rows))\n    return model.predict(df).tolist()\n"},
    # a batch generator's bookkeeping, a check run only by a try-out function, a network's own forward
    {"loader.py": "import numpy as np\n\n\ndef batches(data, batch_size):\n    for rows in data:\n"
                  "        x = np.asarray(rows)\n        if x.shape[0] != batch_size:\n            raise ValueError('short batch')\n"
                  "        yield transform_features(x)\n\n\ndef train():\n    for b in batches(load(), 32):\n        fit(b)\n"},
    {"reader.py": "import pandas as pd\n\n\ndef check_rows(df):\n    if df['age'].isnull().any():\n"
                  "        raise ValueError('null ages')\n    df = df.dropna()\n    return df\n\n\n"
                  "def _test():\n    df = check_rows(pd.read_csv('sample.csv'))\n    df.to_parquet('out.parquet')\n"},
    {"model.py": "import torch\n\n\nclass Net(torch.nn.Module):\n    def forward(self, batch, offsets):\n"
                 "        return self.distributed_forward(batch, offsets)\n\n    def distributed_forward(self, batch, offsets):\n"
                 "        if len(self.emb_l) != len(offsets):\n            raise ValueError('corrupted model input')\n"
                 "        ly = self.apply_emb(offsets, self.emb_l)\n        return self.interact_features(batch, ly)\n"},
])
def test_data_check_traps(make_repo, files):
    assert not validation(make_repo, files)


STAGE_CHECKS = """\
class DataValidation:
    def __init__(self, config):
        self.config = config

    def validate_columns(self, dataset):
        missing_columns = [c for c in self.config.required_columns if c not in dataset.columns]
        if missing_columns:
            return False
        return True

    def validate(self):
        dataset = load(self.config.path)
        return self.validate_columns(dataset)
"""
STAGE_PIPELINE = """\
from pkg.components.data_validation import DataValidation

class DataValidationPipeline:
    def run(self):
        return DataValidation(config()).validate()
"""
STAGE_MAIN = """\
from pkg.pipeline.stage_02_data_validation import DataValidationPipeline
from pkg.pipeline.stage_03_training import TrainingPipeline

if __name__ == "__main__":
    pipeline = DataValidationPipeline()
    validation_passed = pipeline.run()
    if not validation_passed:
        raise ValueError("Data validation checks failed")
    pipeline = TrainingPipeline()
    pipeline.run()
"""


@pytest.mark.parametrize("main, checks, expected", [
    (STAGE_MAIN, STAGE_CHECKS, True),
    # the verdict is computed and ignored: the next stage runs whatever it says
    (STAGE_MAIN.replace("    if not validation_passed:\n        raise ValueError(\"Data validation checks failed\")\n", ""),
     STAGE_CHECKS, False),
    # the stage only checks that the dataset's folder exists
    (STAGE_MAIN, STAGE_CHECKS.replace("        missing_columns = [c for c in self.config.required_columns if c not in "
                                      "dataset.columns]\n        if missing_columns:", "        if not exists(dataset):"),
     False),
])
def test_a_validation_stage_whose_verdict_the_runner_stops_on(make_repo, main, checks, expected):
    files = {"main.py": main, "pkg/components/data_validation.py": checks,
             "pkg/pipeline/stage_02_data_validation.py": STAGE_PIPELINE}
    assert bool(validation(make_repo, files)) is expected



#: the stage leaves its verdict in a file; the next stage reads it and goes on only on "True"
STATUS_CHECKS = """\
import pandas as pd


class DataValidation:
    def __init__(self, config):
        self.config = config

    def validate_columns(self):
        data = pd.read_csv(self.config.data_file)
        status = True
        for col in data.columns:
            if col not in self.config.schema:
                status = False
        with open(self.config.STATUS_FILE, "w") as f:
            f.write(f"Validation status: {status}")
        return status
"""
STATUS_NEXT = """\
from pathlib import Path
from pkg.components.transformation import DataTransformation


class DataTransformationPipeline:
    def main(self):
        with open(Path("data/status.txt"), "r") as f:
            status = f.read().split(" ")[-1]
        if status == "True":
            DataTransformation(config()).build_features()
        else:
            raise Exception("Your data schema is not valid")
"""


@pytest.mark.parametrize("next_stage, expected", [
    (STATUS_NEXT, True),
    # the verdict is read and only printed: the next stage runs whatever it says
    (STATUS_NEXT.replace('        if status == "True":\n            DataTransformation(config()).build_features()\n'
                         '        else:\n            raise Exception("Your data schema is not valid")\n',
                         '        print(status)\n        DataTransformation(config()).build_features()\n'), False),
    # a file of another kind read the same way (the run's stage name) gates nothing
    (STATUS_NEXT.replace('Path("data/status.txt")', 'Path("data/stage.txt")'), False),
])
def test_a_validation_verdict_handed_over_in_a_status_file(make_repo, next_stage, expected):
    files = {"pkg/components/data_validation.py": STATUS_CHECKS, "pkg/pipeline/stage_05_transformation.py": next_stage}
    assert bool(validation(make_repo, files)) is expected


DBT_SCHEMA = ("version: 2\nmodels:\n  - name: user_rating_stats\n    data_tests:\n"
              "      - dbt_utils.unique_combination_of_columns:\n          combination_of_columns: [user_id, timestamp]\n")
DBT_DAG = ("from airflow.operators.bash import BashOperator\n\n"
           "build = BashOperator(task_id='dbt', bash_command='cd dbt/feature_store && dbt deps && {command}')\n")


@pytest.mark.parametrize("command, validates", [
    ("dbt build --models marts", True),
    ("dbt test", True),
    # models built without their tests, the test task commented out
    ("dbt run --models marts", False),
    ("dbt run --models marts')\n# test = BashOperator(task_id='t', bash_command='dbt test", False),
])
def test_dbt_tests_that_a_pipeline_runs_validate_data(make_repo, command, validates):
    files = {"dbt/feature_store/dbt_project.yml": "name: feature_store\nversion: '1.0'\n",
             "dbt/feature_store/models/marts/schema.yml": DBT_SCHEMA,
             "dags/update_features.py": DBT_DAG.format(command=command)}
    assert ("data.validation" in present(run_detector(DataDetector, make_repo(files)))) is validates
