"""Data management practices that are not a plain library call: committed datasets, DVC and
LFS files, custom snapshot versioning, data-preparation code, pipeline and schedule files,
custom schema checks and dataset lineage records.

Library use (Kedro, Airflow, Prefect, pandera, Feast, lakeFS...) is matched from the catalogue
(``catalogue/data.yaml``) by the generic tool detector; this module reads the files whose
content decides the question.
"""
from __future__ import annotations

import ast
import builtins
import fnmatch
import re
from typing import Any, Iterator

from detectors import argo
from detectors.data_checks import DATA_EXTENSIONS, record_validation, validation_gates, validation_stage_gates
from detectors.data_conditions import CONTENT_CHECKS
from detectors.data_tests import data_tests, dbt_tests
from detectors.data_versions import dataset_registries
from detectors.flow import dotted, module_index, monitoring_names, pipeline_names, project, words
from detectors.liveness import unreached
from detectors.scheduling import schedules
from detectors.scheduling.job import unset_schedule
from detectors.shapes import as_list, dicts
from detectors.tools import is_template_path
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Outcome, Tier
from scanner.parsing.hcl import resource_blocks, strip_comments
from scanner.parsing.python import PyFacts, walk
from scanner.scope import TEST_DIRS, is_test_path
from scanner.sources.interface import SourceError

#: an object of a DVC cache or local remote (``remote/files/md5/0f/9de68e...``), named by its hash
_DVC_OBJECT = re.compile(r"(^|/)(files/)?md5/[0-9a-f]{2}/[0-9a-f]{30}$")
#: a committed file below this size is a sample or a lookup table, not a dataset.
MIN_DATA_BYTES = 10_000
#: small files in test folders are fixtures; only large ones are datasets in disguise.
MAX_FIXTURE_BYTES = 1_000_000
#: folders of evaluation fixtures (smoke benchmarks, golden sets): small files there are held-out
#: examples an evaluation harness runs on, like a test's fixtures, not the project's raw data.
EVAL_FIXTURE_DIRS = frozenset({"benchmarks", "benchmark", "evals", "golden", "goldens", "golden_sets"})
#: JSON is mostly configuration: it counts as data only inside a data folder.
DATA_DIRS = frozenset({"data", "datasets", "dataset", "raw", "processed", "interim", "external",
                       "corpus", "samples", "inputs"})
#: pickles and HDF5 files named like this are trained models, not data.
_MODEL_FILE = re.compile(r"model|weight|checkpoint|ckpt|encoder|scaler|vectori[sz]er|tokeni[sz]er|"
                         r"pipeline|classifier|regressor|estimator|clf", re.I)
_BINARY_MODEL_EXT = (".pkl", ".pickle", ".h5", ".hdf5")
#: compressed archives, IDX arrays (MNIST-style ``*-ubyte``), images and audio hold datasets only
#: in a data folder; elsewhere they are releases, figures, fonts or build inputs.
_DATA_DIR_ONLY_EXT = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", "-ubyte",
                      # images and audio: a dataset in a data folder, a figure or a sound elsewhere
                      ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".wav", ".flac", ".mp3",
                      # pickles hold fitted models and transformers ("rf.pkl", "best.pkl") as often
                      # as data frames, and request payloads beside a client: data in a data folder
                      ".pkl", ".pickle")
#: folders of what a project measured or documents (load-test results, benchmark tables, reports):
#: a table there is an output of the project, not the data it learns from.
_OUTPUT_DIRS = frozenset({"results", "result", "reports", "report", "docs", "doc"})
#: folders of what runs logged (``logs/``, ``training_logs/``): outputs, not inputs
_LOG_DIRS = ("_logs", "-logs", "_log", "-log")
#: extensions that hold a table as often as anything else (UCI ``.data``, ``.dat``, ``.txt``):
#: a dataset when the content is one, rows of the same number of delimited fields.
_MAYBE_TABLE_EXT = (".data", ".dat", ".txt", ".tab")
#: keywords that give a served or deployed Prefect flow a schedule
_SCHEDULE_KWARGS = ("cron", "interval", "rrule", "schedule", "schedules")
#: folders whose plain text files are data themselves: raw inputs, a corpus
_TEXT_DATA_DIRS = frozenset({"raw", "corpus", "corpora", "datasets", "dataset", "raw_data"})
_DELIMITERS = (",", "\t", ";", "|")
#: dependency lists (``requirements.txt``, ``requirements-dev.txt``): rows of pins with markers
_REQUIREMENTS = re.compile(r"(^|/)(requirements|constraints)[\w.-]*\.txt$", re.I)
_SCHEDULED_WORKFLOW = re.compile(r"^kind:\s*ScheduledWorkflow\b", re.M)
MIN_TABLE_ROWS = 10

# Data-preparation calls: a load, and the transforms that clean or shape what was loaded.
_LOAD = re.compile(r"^(read_\w+|scan_\w+|load|loadtxt|genfromtxt|load_dataset|from_pandas|"
                   r"from_tensor_slices|DataLoader|make_csv_dataset)$")
_TRANSFORM = re.compile(r"^(dropna|fillna|drop_duplicates|merge|groupby|group_by|agg|pivot\w*|melt|"
                        r"get_dummies|astype|apply|to_datetime|concat|rename|interpolate|"
                        r"with_columns?|withColumn|fit_transform|train_test_split|clip|cut|qcut|"
                        r"explode|resample|rolling|isin|isna|isnull|notna|notnull|map_batches|"
                        r"resize|cvtColor|normalize|shuffle|crop|map|concatenate)$")
#: a Spark reader (``spark.read.parquet(path)``, ``spark.read.format("delta").load(path)``)
_SPARK_READ = re.compile(r"\.read\.(\w+\.)*(parquet|csv|json|orc|table|text|load)$")
#: libraries that load and shape data: tables and arrays, images and audio.
DATA_LIBRARIES = ("pandas", "polars", "pyspark", "numpy", "sklearn", "torch", "tensorflow",
                  "datasets", "dask", "modin", "torchvision", "keras", "cv2", "PIL", "skimage",
                  "albumentations", "imageio", "librosa", "torchaudio", "soundfile",
                  # documents split into chunks for retrieval
                  "langchain_text_splitters", "langchain.text_splitter", "langchain_community.document_loaders",
                  "langchain.document_loaders", "llama_index", "unstructured", "langchain_core.documents",
                  "langchain.schema", "langchain.docstore",
                  # embeddings written into a vector database
                  "qdrant_client", "chromadb", "pinecone", "pymilvus", "weaviate", "lancedb")
#: documents built for a retrieval corpus and written into a vector store: the corpus prepared
_CORPUS_DOCUMENTS = ("langchain_core.documents.Document", "langchain.schema.Document",
                     "langchain.docstore.document.Document", "llama_index.core.Document",
                     "llama_index.core.schema.Document", "llama_index.Document")
_INDEXING = frozenset({"add_documents", "from_documents", "add_texts", "from_texts", "insert_nodes"})
#: a vector database's records, or its clients' writes: with embeddings computed beside them, the
#: module prepares a retrieval corpus (``PointStruct(vector=embedder.encode(chunk))`` then ``upsert``)
_VECTOR_RECORDS = ("qdrant_client.models.PointStruct", "qdrant_client.http.models.PointStruct")
_VECTOR_STORES = ("qdrant_client.", "chromadb.", "pinecone.", "pymilvus.", "weaviate.", "lancedb.")
_VECTOR_WRITES = frozenset({"upsert", "add", "insert", "upload_points", "upload_collection", "batch_upsert"})
_EMBEDS = frozenset({"encode", "embed", "embed_documents", "embed_texts", "get_text_embedding"})
_SKLEARN_PREP = ("sklearn.preprocessing.", "sklearn.impute.", "sklearn.compose.",
                 "sklearn.feature_extraction.", "sklearn.feature_selection.", "torchvision.transforms.",
                 "albumentations.", "torchaudio.transforms.",
                 # a retrieval corpus chunked (LangChain text splitters, LlamaIndex node parsers)
                 "langchain_text_splitters.", "langchain.text_splitter.", "llama_index.core.node_parser.",
                 "llama_index.node_parser.")
#: functions named for preparing data (``preprocess_data``, ``clean_text``, ``normalize_images``):
#: with a transform beside them, a module of them is data preparation.
_PREP_DEF = re.compile(r"^_?(pre_?process(ing)?|clean|prep(are)?|featuri[sz]e|normali[sz]e|augment|split|chunk)(_\w+)?$"
                       r"|^_?process$"
                       # a dataset or its features made (``make_dataset``, ``generate_tsp_data``,
                       # ``create_temporal_features``)
                       r"|^_?(generate|make|create|build|compute|engineer|add)_(\w+_)?(data|dataset|datasets|features?)(_\w+)?$",
                       re.I)
#: bundled dataset loaders (``sklearn.datasets.fetch_*``, ``torchvision.datasets.MNIST``,
#: ``keras.datasets.mnist.load_data``): a load whatever the function is called.
#: A feature-store retrieval (Feast point-in-time join, online lookup) is a load too.
_DATASET_LOADERS = ("sklearn.datasets.", "torchvision.datasets.", "tensorflow.keras.datasets.",
                    "keras.datasets.", "tensorflow_datasets.load", "feast.FeatureStore.get_historical_features",
                    "feast.FeatureStore.get_online_features",
                    # images and audio read into arrays
                    "cv2.imread", "cv2.imdecode", "PIL.Image.open", "imageio.", "skimage.io.imread",
                    "librosa.load", "torchaudio.load", "soundfile.read",
                    # documents read for a retrieval corpus
                    "langchain_community.document_loaders.", "langchain.document_loaders.",
                    "llama_index.core.SimpleDirectoryReader", "unstructured.partition.")
#: bytes held in memory (``Image.open(BytesIO(base64.b64decode(payload)))``): a reader given them
#: decodes one request's upload, not a dataset.
_IN_MEMORY = ("io.BytesIO", "base64.b64decode", "base64.decodebytes", "numpy.frombuffer", ".getvalue")

# Hand-rolled dataset versioning: snapshot/manifest helpers that persist what they build.
_VERSIONING_WORDS = r"data(set)?s?_?(snapshot|manifest|version)|(snapshot|manifest|version)\w*_data"
_VERSIONING_DEF = re.compile(_VERSIONING_WORDS, re.I)
#: the same words in a function or class name in a source: "def" and "class" found first keep
#: the search over every file cheap
_VERSIONING_DEF_TEXT = re.compile(rf"(?:def|class)\s+\w*?(?i:{_VERSIONING_WORDS})")
_PERSIST = re.compile(r"^(json\.dump|shutil\.copy\w*|fsspec\.open|hashlib\.\w+|\.to_parquet|\.to_csv|"
                      r"\.write_text|\.write_bytes)$")

# Custom data validation: functions dedicated to checking data against expectations.
_VALIDATION_DEF = re.compile(r"^_?(validate|check|assert)_(data|dataset|df|dataframe|schema|input_data|"
                             r"columns|frame|quality|raw|features|batch)", re.I)
#: a check that compares digests tells whether a cached file changed, not whether data is valid.
_DIGEST_CALL = re.compile(r"^hashlib\.|(^|\.)(hash_pandas_object|hexdigest|md5|sha1|sha256)$")

# Run records that name the exact data version: a key like dataset_version or data_hash.
_LINEAGE_KEY = re.compile(r"(data|dataset)[\w.-]*(version|hash|digest|checksum|md5|sha\w*|manifest|uri)"
                          r"|manifest|digest", re.I)
_RUN_LOG_CALL = re.compile(r"\.(log_param|log_params|set_tag|set_tags|log_text|log_dict|log_artifact|"
                           r"log_input)$")
TRACKERS = ("mlflow", "wandb", "clearml", "neptune", "comet_ml", "aim", "dvclive")

# Airflow schedule keywords whose value means "never runs by itself".
_AIRFLOW_SCHEDULE = re.compile(r"\b(schedule_interval|schedule|timetable)\s*=\s*([^,)\n]+)")


def code_files(ctx: ScanContext, notebooks: bool = False) -> Iterator[tuple[str, PyFacts]]:
    """Project Python sources: no tests, no unrendered templates, notebooks only when asked."""
    for path, facts in ctx.python_files(notebooks=notebooks):
        if not is_template_path(path) and not is_test_path(path):
            yield path, facts


#: a module of the data pipeline, or one named for validation (``data_pipeline/scripts/validate_data.py``).
_CI_TOOLING = re.compile(r"(^|/)\.(github|gitlab|circleci|buildkite|azuredevops|azure-pipelines)/")
_DATA_MODULE = re.compile(r"(^|[/_])(data|dataset|datasets|ingest\w*|etl)([/_.]|$)|(^|/)[^/]*validat[^/]*\.py$", re.I)


def _schema_checks(tree: ast.Module | None) -> list[tuple[int, str]]:
    """(line, name) of functions named for validating that check records against a schema: a
    pydantic model built inside ``try`` with its ``ValidationError`` caught, or ``jsonschema.validate``."""
    out = []
    for fn in walk(tree) if tree is not None else ():
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or not _VALIDATES.match(fn.name):
            continue
        for node in walk(fn):
            caught = isinstance(node, ast.Try) and any(
                h.type is not None and (dotted(h.type) or "").endswith("ValidationError") for h in node.handlers)
            if caught or isinstance(node, ast.Call) and (dotted(node.func) or "").endswith(("jsonschema.validate",
                                                                                          "validator.validate")):
                out.append((fn.lineno, fn.name))
                break
    return out


_VALIDATES = re.compile(r"^_?(validate|check|verify)_", re.I)


def _content_checks(tree: ast.Module | None, names: list[str]) -> list[str]:
    """The functions among ``names`` that really check data: they raise or assert, or look at its
    content (nulls, types, columns, ranges), and do not merely compare digests of a cached file.
    A check may delegate to a helper of the same module that inspects the data and fails on it
    (``validate_data`` calling ``_assert_consistency(df, config)``)."""
    if tree is None:
        return names  # too big or unparsable: keep the name-based finding
    functions = [n for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    strict = {fn.name for fn in functions if _content_flags(fn) == (True, True, False)}
    found = {fn.name for fn in functions if fn.name in set(names) and not _judges_a_model(fn)
             and (_checks_content(fn) or _calls_any(fn, strict - {fn.name}))}
    return sorted(found)


_MODEL_RESULTS = re.compile(r"metric|score|result|eval", re.I)


def _judges_a_model(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A "quality gate" handed only a model's metrics (``check_quality_gate(metrics)``): it judges
    the model, not the data."""
    args = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg not in ("self", "cls")]
    return bool(args) and all(_MODEL_RESULTS.search(a) for a in args)


def _content_flags(fn: ast.AST) -> tuple[bool, bool, bool]:
    """(raises or asserts, inspects data content, compares digests) for one function."""
    raises = looks = digests = False
    for node in walk(fn):
        if isinstance(node, (ast.Raise, ast.Assert)):
            raises = True
        elif isinstance(node, ast.Attribute) and node.attr in CONTENT_CHECKS:
            looks = True
        elif isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            digests = digests or bool(_DIGEST_CALL.search(name))
            looks = looks or name == "len" and bool(node.args) \
                and not isinstance(node.args[0], ast.Constant)
    return raises, looks, digests


def _checks_content(fn: ast.AST) -> bool:
    """The function raises/asserts or inspects data content, and compares no digests."""
    raises, looks, digests = _content_flags(fn)
    return (raises or looks) and not digests


def _calls_any(fn: ast.AST, names: set[str]) -> bool:
    """The function calls one of ``names`` by its bare name (a helper of the same module)."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in names
               for n in walk(fn))


def structured_docs(ctx: ScanContext, path: str) -> list[Any]:
    """YAML documents of a file (JSON/TOML as a one-document list); raises ParseError."""
    value = ctx.structured(path)
    return [value] if path.lower().endswith((".json", ".toml", ".ipynb")) else value


def call_tail(name: str) -> str:
    """Last component of a resolved call name (``pandas.read_csv.dropna`` -> ``dropna``)."""
    return name.rsplit(".", 1)[-1]


def code_lines(text: str) -> str:
    """The text without whole-line comments, so commented-out code never counts."""
    return "\n".join("" if line.lstrip().startswith("#") else line for line in text.splitlines())


class DataDetector(Detector):
    """Data management practices read from files.

    * ``data.raw_data_committed``: dataset files (csv, parquet, npz...) of 10 KB or more tracked
      in git; JSON, pickles, archives and media only inside data folders; nothing in result,
      report, run-log or docs folders (outputs of the project) outside a data folder, and no RL
      episode log (``*.monitor.csv``); small test fixtures and
      evaluation fixtures (benchmarks/, evals/, golden/ under 1 MB), model pickles and
      LFS-tracked files are not counted.
    * ``data.versioning``: DVC pointer files, ``dvc.yaml``/``dvc.lock`` outputs or a DVC remote;
      git-lfs rules for data files; custom snapshot/manifest versioning code; a dataset registry
      of the project's own that writes each dataset under the digest of its content
      (``detectors.data_versions``).
    * ``data.prep_code``: Python modules (not tests, notebooks count only as notebooks) that
      load and transform data with pandas, polars, Spark, numpy, scikit-learn preprocessing or
      framework dataset loaders, or chunk documents for retrieval (text splitters, node parsers),
      or build documents and write them into a vector store.
    * ``data.pipeline_definition``: ``dvc.yaml`` stages, ``prefect.yaml`` deployments and Argo
      workflows chaining tasks (frameworks used from code come from the catalogue). Scrapy item pipelines and
      scikit-learn ``Pipeline`` objects are not data pipelines.
    * ``data.pipeline_automated``: orchestrator schedules: Prefect deployment schedules, Airflow
      DAGs whose schedule is not ``None``, Kubeflow ``ScheduledWorkflow`` resources, Argo
      ``CronWorkflow`` and Argo Events calendars whose sensor submits a workflow; in-house
      schedules (APScheduler/``schedule`` jobs, loops an app starts, CronJobs, Terraform/CDK cron
      rules) whose job, followed to what it calls, ingests or prepares data or (re)trains.
    * ``data.validation``: functions dedicated to validating data frames (``validate_data``...);
      checks recognised by structure (``detectors.data_checks``): a function that fails on the
      data's content (not merely on there being no rows, ``detectors.data_conditions``), called
      before training or ingestion so that its failure stops the flow, or writing the data it
      checked itself and run by a call, an Airflow ``python_callable`` or as a pipeline step;
      pydantic models rejecting the records a pipeline reads; data tests on a committed dataset
      that a CI test run collects, and dbt models' declared tests that a ``dbt build``/``dbt test``
      somewhere runs (``detectors.data_tests``).
    * ``data.lineage``: ``dvc.lock`` stage dependencies (a run recorded them: executed) and
      run logging of dataset versions, digests or manifests.
    """

    id = "data"
    cost = 12
    signals = (
        "data.raw_data_committed",
        "data.versioning",
        "data.prep_code",
        "data.pipeline_definition",
        "data.pipeline_automated",
        "data.validation",
        "data.lineage",
    )

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        if ctx.repo is None:
            return
        yield from self._committed_data(ctx)
        yield from self._dvc(ctx)
        yield from self._lfs(ctx)
        yield from self._prefect_yaml(ctx)
        yield from self._kubeflow_schedules(ctx)
        yield from self._argo(ctx)
        yield from self._in_house_schedules(ctx)
        yield from self._declared_warehouse_tasks(ctx)
        yield from self._data_checks(ctx)
        yield from self._dataset_registry(ctx)
        yield from self._python(ctx)

    # -- committed datasets ----------------------------------------------------------------------
    def _committed_data(self, ctx: ScanContext) -> Iterator[Evidence]:
        lfs = _lfs_patterns(ctx)
        found: list[tuple[int, str]] = []
        for path in ctx.files():
            size = self._dataset_size(ctx, path, lfs)
            if size:
                found.append((size, path))
        yield from self._absent_data(ctx, lfs, bool(found))
        if not found:
            return
        found.sort(key=lambda item: (-item[0], item[1]))
        total = sum(size for size, _ in found)
        yield self.evidence(
            "data.raw_data_committed",
            f"{len(found)} dataset file(s) committed ({total / 1e6:.1f} MB), largest {found[0][1]}",
            *[ctx.location(path) for _, path in found[:10]],
            files=len(found), total_bytes=total,
        )

    def _absent_data(self, ctx: ScanContext, lfs: list[str], others: bool) -> Iterator[Evidence]:
        """Dataset files the commit holds but the work tree lacks (a clone that leaves large files
        out, or files deleted here): committed all the same, with their size when git knows it."""
        absent = getattr(ctx.repo, "absent_tracked", None)
        found = {path: size for path, size in (absent() if absent else {}).items()
                 if self._dataset_path(path, lfs) and (size is None or _dataset_sized(path, size))}
        if found:
            unknown = [p for p, size in found.items() if size is None]
            yield self.evidence(
                "data.raw_data_committed",
                f"{len(found)} dataset file(s) committed but not in this work tree"
                + (f" ({len(unknown)} whose content this clone lacks, so their size is unknown)" if unknown else ""),
                *[ctx.location(path) for path in sorted(found)[:10]], tier=Tier.CONFIGURED,
                subject="absent", files=len(found), unknown_size=len(unknown), also_present=others)

    def _dataset_path(self, path: str, lfs: list[str]) -> bool:
        """``path`` is where a dataset is kept, by its name and folder (not an LFS pointer)."""
        low = path.lower()
        if not low.endswith(DATA_EXTENSIONS + _DATA_DIR_ONLY_EXT) or is_template_path(path):
            return False
        parts = low.split("/")
        if low.endswith((".json",) + _DATA_DIR_ONLY_EXT) and not DATA_DIRS.intersection(parts[:-1]):
            return False
        if low.endswith(_BINARY_MODEL_EXT + _DATA_DIR_ONLY_EXT) and _MODEL_FILE.search(parts[-1]):
            return False
        return not _output_file(path) and not any(_glob_match(path, pattern) for pattern in lfs)

    def _dataset_size(self, ctx: ScanContext, path: str, lfs: list[str]) -> int:
        """Size of ``path`` when it is a committed dataset, else 0."""
        if _DVC_OBJECT.search(path):
            # DVC's storage committed into git: the data DVC was to keep out, under content hashes
            return _dataset_bytes(ctx, path)
        if path.lower().endswith(_MAYBE_TABLE_EXT) and not (is_template_path(path) or _output_file(path)
                                                             or _REQUIREMENTS.search(path)):
            return self._table_size(ctx, path)
        return _dataset_bytes(ctx, path) if self._dataset_path(path, lfs) else 0

    def _table_size(self, ctx: ScanContext, path: str) -> int:
        """Size of a ``.data``/``.dat``/``.txt`` file that holds a table of data, or plain text in
        a raw-data or corpus folder (the documents a model or a retriever learns from), else 0."""
        size = _dataset_bytes(ctx, path)
        if size and _TEXT_DATA_DIRS.intersection(path.lower().split("/")[:-1]):
            return size
        return size if size and _is_table(ctx.text(path) or "") else 0

    # -- DVC -----------------------------------------------------------------------------------
    def _dvc(self, ctx: ScanContext) -> Iterator[Evidence]:
        files = [p for p in ctx.files() if not is_template_path(p)]
        pointers = [p for p in files if p.endswith(".dvc") and not p.startswith(".dvc/")
                    and "outs:" in (ctx.text(p) or "")]
        if pointers:
            yield self.evidence("data.versioning", f"DVC tracks {len(pointers)} data path(s), e.g. {pointers[0]}",
                                *[ctx.location(p) for p in pointers[:5]], subject="dvc-pointers",
                                tool="dvc", files=len(pointers))
        for path in files:
            base = path.rsplit("/", 1)[-1]
            if base == "dvc.yaml":
                yield from self._dvc_yaml(ctx, path)
            elif base == "dvc.lock":
                yield from self._dvc_lock(ctx, path)
        if ".dvc/config" in files and not pointers:
            text = ctx.text(".dvc/config") or ""
            remote = "remote" in text
            # with nothing tracked and no pipeline, the data is versioned only if something runs DVC
            used = any(p.rsplit("/", 1)[-1] in ("dvc.yaml", "dvc.lock") for p in files) or _runs_dvc(ctx)
            what = "DVC remote configured in .dvc/config" if remote else "DVC initialised (.dvc/config) but no remote"
            yield self.evidence(
                "data.versioning", what if used or not remote else f"{what}, but no data is tracked (no .dvc "
                "pointer, no dvc.yaml) and nothing runs DVC", ctx.location(".dvc/config"), subject="dvc-config",
                tool="dvc", tier=Tier.CONFIGURED if remote and used else Tier.DECLARED)

    def _dvc_yaml(self, ctx: ScanContext, path: str) -> Iterator[Evidence]:
        stages = self._stages(ctx, path, "data.pipeline_definition")
        if stages is None:
            return
        if isinstance(stages, Evidence):
            yield stages
            return
        names = sorted(str(name) for name in stages)
        yield self.evidence("data.pipeline_definition", f"DVC pipeline with stages {', '.join(names[:6])} in {path}",
                            ctx.location(path), tool="dvc", stages=names)
        if any(isinstance(s, dict) and s.get("outs") for s in stages.values()):
            # the outputs' hashes reach version control in the dvc.lock beside it: without one
            # committed, dvc.yaml only names what could be versioned
            lock = path[: -len("dvc.yaml")] + "dvc.lock"
            if ctx.repo is not None and ctx.repo.exists(lock):
                yield self.evidence("data.versioning", f"DVC pipeline outputs versioned by {path} (hashes in {lock})",
                                    ctx.location(path), ctx.location(lock), subject="dvc-outs", tool="dvc")
            else:
                yield self.evidence("data.versioning", f"DVC pipeline outputs declared in {path}, but no {lock} is "
                                    "committed: no hash of them is versioned", ctx.location(path),
                                    subject="dvc-outs", tool="dvc", tier=Tier.DECLARED)

    def _dvc_lock(self, ctx: ScanContext, path: str) -> Iterator[Evidence]:
        stages = self._stages(ctx, path, "data.lineage")
        if stages is None:
            return
        if isinstance(stages, Evidence):
            yield stages
            return
        deps = sum(len(as_list(s.get("deps"))) for s in dicts(list(stages.values())))
        if deps:
            # dvc.lock is written by `dvc repro`: the hashes prove a run consumed these inputs.
            yield self.evidence("data.lineage", f"{path} records the hashes of {deps} stage input(s)",
                                ctx.location(path), tier=Tier.EXECUTED, tool="dvc", dependencies=deps)
            yield self.evidence("data.versioning", f"DVC lock file {path} pins data versions",
                                ctx.location(path), subject="dvc-lock", tool="dvc")

    def _stages(self, ctx: ScanContext, path: str, signal: str) -> dict | Evidence | None:
        """The ``stages`` mapping of a DVC file, error evidence when unreadable, None when empty."""
        try:
            docs = structured_docs(ctx, path)
        except ParseError as exc:
            return self.evidence(signal, f"{path} could not be parsed: {exc}", ctx.location(path),
                                 outcome=Outcome.ERROR, tier=None)
        doc = docs[0] if docs else None
        if doc is None:
            return None
        stages = doc.get("stages") if isinstance(doc, dict) else None
        why = ("is not a mapping" if not isinstance(doc, dict)
               else "has a 'stages' entry that is not a mapping" if stages is not None and not isinstance(stages, dict)
               else "")
        if why:
            return self.evidence(signal, f"{path} could not be read: the document {why}", ctx.location(path),
                                 outcome=Outcome.ERROR, tier=None)
        return stages if isinstance(stages, dict) and stages else None

    # -- git-lfs ---------------------------------------------------------------------------------
    def _lfs(self, ctx: ScanContext) -> Iterator[Evidence]:
        for path in ctx.repo.glob(".gitattributes"):
            data = [p for p in _lfs_patterns(ctx, path) if _is_data_pattern(p)]
            if not data:
                continue
            # what the patterns hold: test fixtures and expected outputs are no versioned dataset
            stored = [f for f in ctx.files() if any(_glob_match(f, p) for p in data)]
            fixtures = bool(stored) and all(TEST_DIRS.intersection(f.lower().split("/")[:-1]) or is_test_path(f)
                                            for f in stored)
            if fixtures:
                more = f" and {len(stored) - 1} more" if len(stored) > 1 else ""
                yield self.evidence("data.versioning", f"git-lfs stores only test fixtures ({stored[0]}{more})",
                                    ctx.location(path), tier=Tier.DECLARED, subject="lfs", tool="git-lfs",
                                    patterns=data)
                continue
            yield self.evidence("data.versioning", f"git-lfs stores data files ({', '.join(data[:4])})",
                                ctx.location(path), subject="lfs", tool="git-lfs", patterns=data)

    # -- orchestrator files ----------------------------------------------------------------------
    def _prefect_yaml(self, ctx: ScanContext) -> Iterator[Evidence]:
        for path in self._prefect_deployment_files(ctx):
            try:
                docs = structured_docs(ctx, path)
            except ParseError as exc:
                yield self.evidence("data.pipeline_automated", f"{path} could not be parsed: {exc}",
                                    ctx.location(path), outcome=Outcome.ERROR, tier=None)
                continue
            deployments = _prefect_deployments(docs[0] if docs else None)
            if not deployments:
                continue
            names = [str(d.get("name")) for d in deployments]
            yield self.evidence("data.pipeline_definition", f"Prefect deployments {', '.join(names)} in {path}",
                                ctx.location(path), tool="prefect", deployments=names)
            scheduled = [str(d.get("name")) for d in deployments if _has_schedule(d)]
            if scheduled:
                yield self.evidence("data.pipeline_automated",
                                    f"Prefect deployment(s) {', '.join(scheduled)} run on a schedule ({path})",
                                    ctx.location(path, _line_of(ctx.text(path), "schedule")),
                                    tool="prefect", deployments=scheduled)

    @staticmethod
    def _prefect_deployment_files(ctx: ScanContext) -> list[str]:
        """``prefect.yaml`` projects, and the one-deployment files that ``prefect deployment build``
        (Prefect 2 before projects) writes as ``<flow>-deployment.yaml``."""
        out = []
        for path in ctx.repo.glob("prefect.yaml", "prefect.yml", "*deployment*.yaml", "*deployment*.yml"):
            if is_template_path(path):
                continue
            base = path.rsplit("/", 1)[-1].lower()
            text = ctx.text(path) or "" if not base.startswith("prefect.") else ""
            if base.startswith("prefect.") or ("\nflow_name:" in text and "\nentrypoint:" in text):
                out.append(path)
        return out

    def _kubeflow_schedules(self, ctx: ScanContext) -> Iterator[Evidence]:
        for path in ctx.repo.glob("*.yaml", "*.yml"):
            text = ctx.text(path) if not is_template_path(path) else None
            # a resource of that kind (``kind:`` at the top of a document), not the definition of
            # the type, where the name sits indented under ``names:``
            found = _SCHEDULED_WORKFLOW.search(text) if text and "ScheduledWorkflow" in text else None
            if found:
                yield self.evidence("data.pipeline_automated", f"Kubeflow recurring run (ScheduledWorkflow) in {path}",
                                    ctx.location(path, text.count("\n", 0, found.start()) + 1), tool="kubeflow")

    def _argo(self, ctx: ScanContext) -> Iterator[Evidence]:
        """Argo workflows chaining tasks, and the schedules that run them."""
        found = argo.pipelines(ctx)
        if found:
            first = found[0]
            yield self.evidence("data.pipeline_definition", f"Argo {first.kind} {first.name} with tasks "
                                f"{', '.join(first.tasks[:6])} in {first.path}",
                                *[ctx.location(f.path, f.line) for f in found[:5]], tool="argo",
                                workflows=len(found))
        for sched in argo.schedules(ctx)[:1]:
            yield self.evidence("data.pipeline_automated", f"Argo workflow run on a schedule ({sched.kind} "
                                f"{sched.name} in {sched.path})", ctx.location(sched.path, sched.line), tool="argo")

    def _in_house_schedules(self, ctx: ScanContext) -> Iterator[Evidence]:
        """Schedulers, loops, CronJobs and cron rules whose job prepares data or trains."""
        for sched in schedules(ctx):
            names = sched.pipeline
            if names:
                places = [ctx.location(sched.path, sched.line)]
                if sched.started and sched.started[0] != sched.path:
                    places.append(ctx.location(*sched.started))
                yield self.evidence("data.pipeline_automated", sched.summary(names), *places,
                                    subject=f"schedule:{sched.path}:{sched.job}", kind=sched.kind, job=sched.job)

    def _dataset_registry(self, ctx: ScanContext) -> Iterator[Evidence]:
        """A registry of the project's own storing each dataset under its content digest."""
        for finding in dataset_registries(project(ctx)):
            yield self.evidence("data.versioning", finding.summary,
                                *[ctx.location(path, line) for path, line in finding.places],
                                subject="content-addressed", tool="custom")

    def _data_checks(self, ctx: ScanContext) -> Iterator[Evidence]:
        """Checks recognised by what they do: a gate before training or ingestion (or a step
        that writes the data it checked), pydantic records rejected in a pipeline, data tests run
        by CI."""
        proj = project(ctx)
        for kind, found in (("gate", validation_gates(proj)), ("stage", validation_stage_gates(proj)),
                            ("records", record_validation(proj)),
                            ("data-test", data_tests(ctx)), ("dbt-test", dbt_tests(ctx))):
            for finding in found:
                yield self.evidence("data.validation", finding.summary,
                                    *[ctx.location(path, line) for path, line in finding.places],
                                    subject=f"{kind}:{finding.places[0][0]}", kind=kind)

    # -- Python code -----------------------------------------------------------------------------
    def _python(self, ctx: ScanContext) -> Iterator[Evidence]:
        prep: list[tuple[str, int, list[str]]] = []
        for path, facts in code_files(ctx):
            # fake, dummy or mock data stands in for the real data: making it prepares none
            steps = [] if _STAND_IN.search(path) else (
                _prep_steps(facts, path.rsplit("/", 1)[-1].rsplit(".", 1)[0]) or _dataset_class(ctx, path))
            if steps:
                prep.append((path, steps[0][0], sorted({s for _, s in steps})))
            yield from self._custom_versioning(ctx, path, facts)
            yield from self._custom_validation(ctx, path, facts)
            yield from self._lineage_records(ctx, path, facts)
            yield from self._airflow_schedule(ctx, path, facts)
            yield from self._served_flow(ctx, path, facts)
            yield from self._warehouse_tasks(ctx, path, facts)
        if prep:
            yield self.evidence(
                "data.prep_code",
                f"data loading/transformation code in {len(prep)} module(s), e.g. {prep[0][0]} ({', '.join(prep[0][2][:5])})",
                *[ctx.location(path, line) for path, line, _ in prep[:8]],
                files=len(prep))

    def _custom_versioning(self, ctx: ScanContext, path: str, facts: PyFacts) -> Iterator[Evidence]:
        if not _VERSIONING_DEF_TEXT.search(ctx.text(path) or ""):
            return  # no function named so: the file need not be parsed
        helpers = sorted(d for d in facts.defs if _VERSIONING_DEF.search(d))
        persists = [c for c in facts.calls if _PERSIST.match(c.name) or _PERSIST.match("." + call_tail(c.name))]
        if len(helpers) >= 2 and persists:
            yield self.evidence("data.versioning",
                                f"custom dataset snapshots/manifests in {path} ({', '.join(helpers[:4])})",
                                ctx.location(path), subject="custom", helpers=helpers)

    def _custom_validation(self, ctx: ScanContext, path: str, facts: PyFacts) -> Iterator[Evidence]:
        # (a CI helper under ``.github/`` validating the repository's config files checks no data)
        if facts.imports_any(("pydantic", "jsonschema")) and _DATA_MODULE.search(path) and not _CI_TOOLING.search(path):
            checks = [c for c in _schema_checks(ctx.tree(path)) if not unreached(ctx, path, c[0])]
            if checks:
                line, name = checks[0]
                yield self.evidence("data.validation", f"records checked against a schema in {path} ({name}: "
                                    "invalid records are caught and reported)", ctx.location(path, line),
                                    subject="custom-schema", functions=[n for _, n in checks])
                return
        # drift checks compare live data with a reference: monitoring, not a gate on the data
        if not facts.imports_any(("pandas", "polars", "pyspark", "numpy")):
            return
        checks = sorted(d for d in facts.defs if _VALIDATION_DEF.match(d) and "drift" not in d.lower())
        if not checks:
            return
        tree = ctx.tree(path)
        checks = _content_checks(tree, checks)
        if not checks:
            return
        lines = {n.name: n.lineno for n in walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))} \
            if tree is not None else {}
        run = [c for c in checks if not unreached(ctx, path, lines.get(c))]
        if run:
            yield self.evidence("data.validation", f"custom data checks in {path} ({', '.join(run[:4])})",
                                ctx.location(path, lines.get(run[0])), subject="custom", functions=run)
        else:
            yield self.evidence("data.validation", f"custom data checks in {path} ({', '.join(checks[:4])}), "
                                "which nothing in the repository calls", ctx.location(path, lines.get(checks[0])),
                                subject="custom", functions=checks, tier=Tier.DECLARED)

    def _lineage_records(self, ctx: ScanContext, path: str, facts: PyFacts) -> Iterator[Evidence]:
        if not facts.imports_any(TRACKERS):
            return
        for call in facts.calls:
            key = next((a for a in call.args if isinstance(a, str)), None)
            if key and _RUN_LOG_CALL.search("." + call_tail(call.name)) and _LINEAGE_KEY.search(key):
                yield self.evidence("data.lineage", f"run records the data version ({call.name}({key!r})) in {path}",
                                    ctx.location(path, call.line), subject="run-log", key=key)
                return
        if facts.imports_any(("hashlib",)):
            found = _digest_logged(ctx.tree(path))
            if found:
                line, name, call = found
                yield self.evidence("data.lineage", f"run records the digest of its data ({name}, given to {call}) "
                                    f"in {path}", ctx.location(path, line), subject="run-log", key=name)
                return
        if any(call_tail(c.name) == "log_artifact" for c in facts.calls):
            found = _data_logged(ctx.tree(path))
            if found:
                line, name = found
                yield self.evidence("data.lineage", f"run keeps the data it trained on as an artifact ({name} read, "
                                    f"then logged) in {path}", ctx.location(path, line), subject="run-log", key=name)

    def _served_flow(self, ctx: ScanContext, path: str, facts: PyFacts) -> Iterator[Evidence]:
        """A Prefect flow imported from a project module and served or deployed on a schedule
        (``from pipeline import training_flow`` then ``training_flow.serve(interval=...)``): the
        script need not import Prefect itself."""
        text = ctx.text(path) or ""
        if facts.imports_any(("prefect",)) or (".serve(" not in text and ".deploy(" not in text):
            return  # a script importing Prefect is read by the catalogue
        for call in facts.calls:
            if call_tail(call.name) not in ("serve", "deploy") or not any(call.has_kwarg(k) for k in _SCHEDULE_KWARGS):
                continue
            flow_module = call.name.rsplit(".", 2)[0]
            source = module_index([p for p in ctx.files() if p.endswith(".py")]).get(flow_module)
            if source and source != path and "prefect" in (ctx.text(source) or ""):
                yield self.evidence("data.pipeline_automated", f"Prefect flow {call.name.rsplit('.', 1)[0]} "
                                    f"({source}) run on a schedule by {call_tail(call.name)}() in {path}",
                                    ctx.location(path, call.line), subject=f"prefect-serve:{path}", tool="prefect")
                return

    def _warehouse_tasks(self, ctx: ScanContext, path: str, facts: PyFacts) -> Iterator[Evidence]:
        """Snowflake tasks the code creates (``CREATE TASK t SCHEDULE = 'USING CRON ...' AS CALL
        dataset(...)`` run with ``session.sql``): the warehouse runs the pipeline's step on its own."""
        text = ctx.text(path) or ""
        if not any(w in text for w in ("TASK", "task", "Task")) or not _CREATE_TASK.search(text) \
                or not any(call_tail(c.name) == "sql" for c in facts.calls):
            return  # (the cheap look first: most modules create no task)
        yield from self._scheduled_task(ctx, path, code_lines(text))

    def _scheduled_task(self, ctx: ScanContext, path: str, text: str) -> Iterator[Evidence]:
        found = _WAREHOUSE_TASK.search(text)
        if found is None:
            return
        line = text.count("\n", 0, found.start()) + 1
        what = f"Snowflake task {found.group(1)} ({found.group(3)}) scheduled '{found.group(2)}' in {path}"
        yield self.evidence("data.pipeline_definition", what, ctx.location(path, line), subject=f"warehouse-task:{path}")
        yield self.evidence("data.pipeline_automated", what, ctx.location(path, line), subject=f"warehouse-task:{path}")

    def _declared_warehouse_tasks(self, ctx: ScanContext) -> Iterator[Evidence]:
        """Snowflake tasks kept as infrastructure: a SQL script creating a scheduled task, and
        Terraform ``snowflake_task`` resources (a graph chained by ``after``, its root on a
        ``schedule``; one switched off by ``enabled = false`` is still the pipeline, off by a switch)."""
        for path in ctx.files():
            low = path.lower()
            if not low.endswith((".tf", ".sql")) or is_template_path(path):
                continue
            text = ctx.text(path) or ""
            if low.endswith(".sql"):
                if _CREATE_TASK.search(text):
                    yield from self._scheduled_task(ctx, path, text)
                continue
            if "snowflake_task" not in text:
                continue
            tasks = {label: (line, body) for (kind, label), (line, body) in resource_blocks(strip_comments(text)).items()
                     if kind == "snowflake_task"}
            roots = [(label, line, m.group(1) or "a schedule block") for label, (line, body) in sorted(tasks.items())
                     if (m := _TF_TASK_SCHEDULE.search(body))]
            chained = [label for label, (_, body) in tasks.items() if _TF_TASK_AFTER.search(body)]
            if not roots and not chained:
                continue
            what = f"Snowflake task graph of {len(tasks)} Terraform snowflake_task resource(s) in {path}" + (
                f", {roots[0][0]} scheduled '{roots[0][2]}'" if roots else f", {len(chained)} chained by after")
            line = roots[0][1] if roots else tasks[chained[0]][0]
            subject = f"warehouse-task:{path}"
            yield self.evidence("data.pipeline_definition", what, ctx.location(path, line), subject=subject)
            if roots:
                yield self.evidence("data.pipeline_automated", what, ctx.location(path, line), subject=subject)

    def _airflow_schedule(self, ctx: ScanContext, path: str, facts: PyFacts) -> Iterator[Evidence]:
        if not facts.imports_any(("airflow",)):
            return
        dags = [c for c in facts.calls if call_tail(c.name) in ("DAG", "dag") and c.name.startswith("airflow")]
        if not dags:
            return
        text = code_lines(ctx.text(path) or "")
        names = [*facts.defs, *_AIRFLOW_IDS.findall(text)]
        if monitoring_names(names) and not pipeline_names(names):
            return  # a DAG that only watches (drift reports): scheduled monitoring, not a data pipeline
        for m in _AIRFLOW_SCHEDULE.finditer(text):
            end = text.find("\n", m.start(2))
            if not unset_schedule(text[m.start(2):end if end >= 0 else None]):
                yield self.evidence("data.pipeline_automated",
                                    f"Airflow DAG scheduled ({m.group(1)}={m.group(2).strip()}) in {path}",
                                    ctx.location(path, text.count("\n", 0, m.start()) + 1), tool="airflow")
                return


def _runs_dvc(ctx: ScanContext) -> bool:
    """A script, CI file, task runner or module runs DVC (``dvc pull``, ``dvc add``, ``dvc.api``)."""
    from detectors.experiment_configs import command_texts  # (it imports this module)
    return any(_DVC_RUN.search(text) for text in command_texts(ctx).values())


_DVC_RUN = re.compile(r"\bdvc\s+(?:add|push|pull|fetch|repro|run|import(?:-url)?|get|checkout|commit|exp\s+run)\b"
                      r"|\bdvc\.api\b|\bfrom\s+dvc\b")
#: the ids a DAG gives itself and its tasks
_AIRFLOW_IDS = re.compile(r"""\b(?:dag_id|task_id)\s*=\s*["']([\w.-]+)["']""")
_CREATE_TASK = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?TASK\b", re.I)
#: a Terraform Snowflake task's schedule (``schedule = "USING CRON ..."``, or a ``schedule { ... }``
#: block of newer providers) and its predecessors
_TF_TASK_SCHEDULE = re.compile(r'^\s*schedule\s*(?:=\s*"([^"]+)"|\{)', re.M)
_TF_TASK_AFTER = re.compile(r"^\s*(?:after|predecessors)\s*=", re.M)
#: a Snowflake task created by code, on a schedule, that calls a stored procedure or runs a statement
_WAREHOUSE_TASK = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?TASK\s+(?:IF\s+NOT\s+EXISTS\s+)?([\w.$\"]+)"
                             r"(?:(?!\bAS\b)[\s\S]){0,600}?\bSCHEDULE\s*=\s*'([^']+)'[\s\S]{0,600}?\bAS\s+(CALL\s+[\w.$\"]+|\w+)",
                             re.I)


def _on_data(name: str, facts: PyFacts) -> bool:
    """A call of a data library, or a method of an object the file holds (``df.dropna``,
    ``dataset["train"].train_test_split``); not a function of the file, another import or a builtin."""
    if name.startswith(DATA_LIBRARIES) or name.startswith("."):
        return True
    head = name.split(".", 1)[0]
    if head in facts.defs:
        # a method of what a function of the file returns (``data = load(); data.dropna()``),
        # not the function itself
        return "." in name
    return head not in _BUILTINS and not any(i == head or i.startswith(head + ".") for i in facts.imports)


_BUILTINS = frozenset(dir(builtins))
_STAND_IN = re.compile(r"(^|[/_.-])(fake|dummy|mock)", re.I)
#: frameworks of interactive apps and dashboards.
_DASHBOARDS = ("streamlit", "gradio", "dash", "panel", "shiny")


def _prep_steps(facts: PyFacts, stem: str = "") -> list[tuple[int, str]]:
    """(line, step) of data loading and transformation calls, when the file both loads and transforms.
    ``stem``: the file's name without its extension."""
    if facts.imports_any(_DASHBOARDS):
        return []  # a dashboard page reads and filters data to show it, it prepares none
    if not facts.imports_any(DATA_LIBRARIES):
        return _text_prep(facts, stem) or _embedded_corpus(facts)
    loads, transforms, features = [], [], []
    in_memory = {c.line for c in facts.calls if c.name.endswith(_IN_MEMORY)}
    indexed = any(call_tail(c.name) in _INDEXING for c in facts.calls)
    embeds = any(call_tail(c.name) in _EMBEDS for c in facts.calls)
    for call in facts.calls:
        tail = call_tail(call.name)
        if call.name.startswith(_SKLEARN_PREP) or (indexed and call.name in _CORPUS_DOCUMENTS) or embeds and (
                call.name in _VECTOR_RECORDS or call.name.startswith(_VECTOR_STORES) and tail in _VECTOR_WRITES):
            features.append((call.line, tail))
        elif call.name.startswith(_DATASET_LOADERS):
            if call.line not in in_memory:
                loads.append((call.line, tail))
        elif (_LOAD.match(tail) or _SPARK_READ.search(call.name)) and _on_data(call.name, facts):
            loads.append((call.line, tail))
        elif _TRANSFORM.match(tail) and _on_data(call.name, facts):
            transforms.append((call.line, tail))
    # Feature encoders are prep code by themselves; frame operations need a load beside them
    # (or several kinds of them, or a function named for preparing data) to be more than
    # incidental use. A script named so (``data/prepare.py``) is named for it too.
    named = any(_PREP_DEF.match(d) for d in facts.defs) or bool(_PREP_DEF.match(stem)) \
        if transforms or loads else False
    if not features and not (transforms and (loads or named or len({t for _, t in transforms}) >= 3)) \
            and not (loads and named):
        return []
    return sorted(loads + transforms + features)


#: reads of data files inside a dataset class (``torchaudio.load(file)``, ``json.load(f)``, ``open(path)``)
_FILE_READS = frozenset({"open", "load", "imread", "loadtxt", "fromfile", "File", "read_csv", "read_json",
                         "read_parquet", "read_table", "read_image", "decode_image"})


def _dataset_class(ctx: ScanContext, path: str) -> list[tuple[int, str]]:
    """A dataset class reading its examples from files: it serves items by index (``__getitem__``
    and ``__len__``, the protocol every training loader iterates) and its methods open or load the
    data (an audio set reading each clip, a JSON corpus loaded and filtered). The loading code of
    a research repository, written without a dataframe library."""
    text = ctx.text(path) or ""
    if "__getitem__" not in text or "__len__" not in text:
        return []
    tree = ctx.tree(path)
    for cls in walk(tree) if tree is not None else ():
        if cls.__class__ is not ast.ClassDef:
            continue
        methods = {f.name for f in cls.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        if not {"__getitem__", "__len__"} <= methods:
            continue
        reads = [n for n in walk(cls) if isinstance(n, ast.Call) and dotted(n.func).rsplit(".", 1)[-1] in _FILE_READS]
        if reads:
            return [(cls.lineno, f"dataset {cls.name}"), (reads[0].lineno, dotted(reads[0].func))]
    return []


#: text read, reshaped and written with the standard library (a corpus cleaned and chunked)
_TEXT_READS = re.compile(r"(^|\.)(read_text|open|load|loads|reader|DictReader|iterparse|parse)$")
_TEXT_SHAPES = re.compile(r"(^|\.)(normalize|sub|split|splitlines|strip|lower|casefold|encode)$")
_TEXT_WRITES = re.compile(r"(^|\.)(write|write_text|writelines|dump|dumps|writerow|writerows|put_object|upload_file)$")


#: an embeddings API (OpenAI and compatible clients, Cohere, Vertex) computing a corpus's vectors.
_EMBEDDING_API = re.compile(r"(^|\.)embeddings\.create$|(^|\.)(embed_documents|embed_texts|get_embeddings|get_text_embedding)$")
#: rows written to a database (psycopg/psycopg2, SQLAlchemy, asyncpg, pgvector's tables).
_DB_WRITES = re.compile(r"(^|\.)(execute_values|executemany|execute_batch|copy_from|copy_expert|copy_records_to_table"
                        r"|bulk_insert_mappings|bulk_save_objects|add_all|upsert|insert_many)$")


def _embedded_corpus(facts: PyFacts) -> list[tuple[int, str]]:
    """A corpus embedded and written to a database (``client.embeddings.create(...)`` then
    ``execute_values(cur, "INSERT ... embedding", rows)`` into pgvector): retrieval data prepared
    without a dataframe library."""
    if not facts.may_name("embed"):  # every embeddings API below is named so: no parse needed
        return []
    embed = next((c for c in facts.calls if _EMBEDDING_API.search(c.name)), None)
    write = next((c for c in facts.calls if _DB_WRITES.search(c.name)), None) if embed else None
    return sorted([(embed.line, call_tail(embed.name)), (write.line, call_tail(write.name))]) if write else []


def _text_prep(facts: PyFacts, stem: str) -> list[tuple[int, str]]:
    """Standard-library data preparation: a module named for it that reads files, reshapes the
    text and writes the result (``preprocessing.py`` normalising and chunking raw documents into
    JSONL). The name is looked at first: other modules are not parsed for this."""
    if not _PREP_DEF.match(stem):
        return []
    steps = {kind: next((c for c in facts.calls if rx.search(c.name)), None)
             for kind, rx in (("read", _TEXT_READS), ("shape", _TEXT_SHAPES), ("write", _TEXT_WRITES))}
    if not all(steps.values()):
        return []
    return sorted((c.line, call_tail(c.name)) for c in steps.values() if c is not None)


def _prefect_deployments(doc: Any) -> list[dict]:
    """Deployments with an entrypoint: the ``deployments`` list of a project file, or a legacy
    deployment file that is itself one deployment."""
    if not isinstance(doc, dict):
        return []
    listed = as_list(doc.get("deployments")) if "deployments" in doc else [doc] if doc.get("flow_name") else []
    return [d for d in dicts(listed) if d.get("entrypoint")]


def _has_schedule(deployment: dict) -> bool:
    schedules = deployment.get("schedules")
    if isinstance(schedules, list) and any(isinstance(s, dict) and s.get("active", True) is not False
                                           and (s.get("cron") or s.get("interval") or s.get("rrule"))
                                           for s in schedules):
        return True
    single = deployment.get("schedule")
    return isinstance(single, dict) and bool(single.get("cron") or single.get("interval") or single.get("rrule"))


def _line_of(text: str | None, needle: str) -> int | None:
    if not text:
        return None
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _lfs_patterns(ctx: ScanContext, path: str | None = None) -> list[str]:
    """Path patterns of ``.gitattributes`` lines that store files with git-lfs."""
    paths = [path] if path else ctx.repo.glob(".gitattributes")
    out = []
    for p in paths:
        prefix = p[: -len(".gitattributes")]
        for line in code_lines(ctx.text(p) or "").splitlines():
            fields = line.split()
            if len(fields) >= 2 and "filter=lfs" in fields[1:]:
                out.append(prefix + fields[0])
    return out


#: calls handing a run its configuration or parameters.
_RUN_CONFIG_CALL = re.compile(r"^(wandb\.init|wandb\.config\.update|mlflow\.log_params?|mlflow\.set_tags?"
                              r"|\w+\.connect|\w+\.log_parameters|\w+\.log_params?|\w+\.set_tags?)$")


#: what a digest is taken of when it fingerprints data: a file's bytes, or a frame or dataset.
_DATA_WORDS = frozenset({"data", "dataset", "df", "frame", "labels", "train", "val", "test", "csv", "parquet"})


def _digest_of_data(expr: ast.Call) -> bool:
    """A hashlib digest of a file's content or of something named for data (not of a config string)."""
    for c in walk(expr):
        if isinstance(c, ast.Call) and _DIGEST_CALL.search(dotted(c.func) or ""):
            for arg in c.args:
                for x in walk(arg):
                    if isinstance(x, ast.Call) and (dotted(x.func) or "").rsplit(".", 1)[-1] in (
                            "read", "read_bytes", "read_text", "to_csv", "to_parquet", "values"):
                        return True
                    if isinstance(x, ast.Name) and words(x.id) & _DATA_WORDS:
                        return True
    return False


def _digest_logged(tree: ast.Module | None) -> tuple[int, str, str] | None:
    """(line, name, call) of a content digest of the data (``hashlib.sha256(f.read()).hexdigest()``)
    that reaches a run's configuration or parameters, directly or inside the dict handed over."""
    if tree is None:
        return None
    digests = {t.id for n in walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
               and _digest_of_data(n.value) for t in n.targets if isinstance(t, ast.Name)}
    if not digests:
        return None
    holders = set(digests)  # names of dicts holding a digest (``config = {"train_hash": train_hash}``)
    for n in walk(tree):
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict) and any(
                isinstance(v, ast.Name) and v.id in digests for v in n.value.values):
            holders |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    for n in walk(tree):
        if isinstance(n, ast.Call) and _RUN_CONFIG_CALL.match(dotted(n.func) or ""):
            given = [a for a in [*n.args, *(k.value for k in n.keywords)] for x in walk(a)
                     if isinstance(x, ast.Name) and x.id in holders]
            if given:
                name = next(d for d in sorted(digests))
                return n.lineno, name, dotted(n.func)
    return None


def _data_logged(tree: ast.Module | None) -> tuple[int, str] | None:
    """(line, name) of a tracker's ``log_artifact(path)`` given the path the module also reads
    a table or array from (``pd.read_parquet(path)``): the run keeps the very data it used."""
    if tree is None:
        return None
    read = {a.id for n in walk(tree) if isinstance(n, ast.Call) and _LOAD.match(call_tail(dotted(n.func) or ""))
            for a in n.args[:1] if isinstance(a, ast.Name)}
    for n in walk(tree):
        if isinstance(n, ast.Call) and call_tail(dotted(n.func) or "") == "log_artifact" and n.args \
                and isinstance(n.args[0], ast.Name) and n.args[0].id in read:
            return n.lineno, n.args[0].id
    return None


def _is_data_pattern(pattern: str) -> bool:
    low = pattern.lower()
    return low.endswith(DATA_EXTENSIONS) or bool(DATA_DIRS.intersection(low.replace("*", "").split("/")))


def _output_file(path: str) -> bool:
    """``path`` lies in a folder of the project's outputs, run logs or docs (``logs/``,
    ``time_limit_logs/``), and in no data folder; or it is a run's episode log (``0.monitor.csv``)."""
    parts = path.lower().split("/")
    folders = set(parts[:-1])
    outputs = bool(_OUTPUT_DIRS & folders) or any(f in ("logs", "log") or f.endswith(_LOG_DIRS) for f in folders)
    return (outputs and not DATA_DIRS & folders) or parts[-1].endswith(".monitor.csv")


def _dataset_bytes(ctx: ScanContext, path: str) -> int:
    """The file's size when it is large enough to be a dataset where it lies, else 0: a sample
    or lookup table is small, and a test or evaluation fixture is kept small on purpose."""
    try:
        size = ctx.repo.size(path)
    except (OSError, SourceError):
        return 0
    return size if _dataset_sized(path, size) or _small_table(ctx, path, size) else 0


#: a small table is a whole dataset when it has this many rows (Iris: 150) and lies in a data folder
MIN_SMALL_TABLE_ROWS = 100
MIN_SMALL_TABLE_BYTES = 2_000


def _small_table(ctx: ScanContext, path: str, size: int) -> bool:
    """A classic small dataset kept whole in a data folder (``data/iris.csv``, 150 rows in 4 KB):
    below the size of a dataset, above that of a sample or a lookup table by its rows."""
    folders = path.lower().split("/")[:-1]
    if size < MIN_SMALL_TABLE_BYTES or not path.lower().endswith((".csv", ".tsv")) or not DATA_DIRS.intersection(folders) \
            or TEST_DIRS.intersection(folders) or EVAL_FIXTURE_DIRS.intersection(folders):
        return False
    text = ctx.text(path) or ""
    return sum(1 for line in text.splitlines() if line.strip()) > MIN_SMALL_TABLE_ROWS and _is_table(text)


def _dataset_sized(path: str, size: int) -> bool:
    """Large enough to be a dataset where it lies (a test or evaluation fixture may be larger)."""
    folders = path.lower().split("/")[:-1]
    fixtures = TEST_DIRS.intersection(folders) or EVAL_FIXTURE_DIRS.intersection(folders)
    return not (size < MIN_DATA_BYTES or (fixtures and size < MAX_FIXTURE_BYTES))


def _is_table(text: str) -> bool:
    """The first rows split into the same number (two or more) of fields by one delimiter."""
    rows = [line for line in text[:20_000].splitlines() if line.strip()][:MIN_TABLE_ROWS * 2]
    if len(rows) < MIN_TABLE_ROWS:
        return False
    for delim in _DELIMITERS:
        counts = {row.count(delim) for row in rows[1:]}  # the first row may be a header
        if len(counts) == 1 and counts.pop() >= 1 and rows[0].count(delim) in (0, rows[1].count(delim)):
            return True
    return False


def _glob_match(path: str, pattern: str) -> bool:
    """gitattributes-style match: a pattern without a slash matches the basename anywhere."""
    pattern = pattern.lstrip("/")
    if "/" not in pattern:
        return fnmatch.fnmatchcase(path.rsplit("/", 1)[-1], pattern)
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern.replace("**/", ""))
