"""Model deployment outside CI: container images, serving code and configs, infrastructure as
code, automated tests and progressive-delivery configuration."""
from __future__ import annotations

import ast
import re
from typing import Any, Iterable, Iterator

from detectors.batch_scoring import Scoring, batch_scoring
from detectors.ci import databricks, read_ci
from detectors.cog import cog_configs
from detectors.dockerfile import DOCKERFILE, INSTRUCTION, ML_BASE_IMAGE, image_commands, is_dockerfile, uncommented
from detectors.flow import ORCHESTRATORS, callee, dotted, module_index, orchestrated_modules, project
from detectors.progressive import rollbacks, shadow_calls, traffic_splits
from detectors.scoring_pipelines import scoring_pipelines
from detectors.scheduling.iac import command_scripts, container_commands, cron_entries, is_cron_file
from detectors.shapes import command_strings, dicts, get_in
from detectors.tools import is_template_path
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Tier
from scanner.parsing.hcl import strip_comments
from scanner.parsing.python import Call, PyFacts, walk
from scanner.scope import is_test_path

MAX_LOCATIONS = 5
IMPORT_DEPTH = 3
MAX_YAML_BYTES = 512 * 1024

# -- containers ----------------------------------------------------------------------------------
_DEPS_ONLY = re.compile(r"requirements[^ ]*\.(txt|in)|pyproject\.toml|poetry\.lock|uv\.lock|setup\.(py|cfg)|environment[^ ]*\.ya?ml|package(-lock)?\.json|pnpm-lock\.yaml|yarn\.lock|conda[^ ]*\.ya?ml|Pipfile(\.lock)?|--from=", re.I)
_DOCS_TOOLS = re.compile(r"\b(mkdocs|zensical|sphinx|jekyll|hugo|docusaurus|marp|mdbook|jupyter-book)\b", re.I)

# -- serving -------------------------------------------------------------------------------------
_WEB_APP_CALLS = ("fastapi.FastAPI", "flask.Flask", "starlette.applications.Starlette", "litserve.LitServer",
                  "sanic.Sanic", "aiohttp.web.Application", "gradio.Interface", "gradio.Blocks",
                  "gradio.ChatInterface", "quart.Quart", "fastapi.APIRouter", "tornado.web.Application",
                  "chainlit.on_message")
_MODEL_LOAD = re.compile(
    r"^(joblib\.load|pickle\.loads?|cloudpickle\.loads?|dill\.loads?|torch\.load|torch\.jit\.load"
    r"|(tensorflow|tf)\.(keras\.models\.load_model|saved_model\.load)|keras\.(models\.)?load_model"
    r"|mlflow\.(\w+\.)?load_model|onnxruntime\.InferenceSession|transformers\..*from_pretrained"
    r"|transformers\.pipeline|sentence_transformers\.SentenceTransformer|xgboost\..*load_model"
    r"|lightgbm\.Booster|catboost\..*load_model|skops\.io\.load|bentoml\.\w+\.load_model"
    r"|ultralytics\.YOLO|safetensors\..*load_file|tensorflow\.lite\.Interpreter"
    # MXNet/Gluon: a network's saved parameters, an exported symbol, a checkpoint
    r"|(\w+\.)+load_parameters|mxnet\.gluon\.(nn\.)?SymbolBlock\.imports|mxnet\.model\.load_checkpoint"
    # a registered model loaded to score a Spark table: as a UDF, or by the Databricks feature
    # store client that joins the features and scores in one call
    r"|mlflow\.pyfunc\.spark_udf|databricks\.(feature_store|feature_engineering)\.\w+\.score_batch"
    # pretrained models fetched from a hub or a model zoo
    r"|torch\.hub\.load|tensorflow_hub\.(load|KerasLayer)|spacy\.load|whisper\.load_model|fasttext\.load_model"
    r"|diffusers\..*from_pretrained|open_clip\.create_model_and_transforms|easyocr\.Reader"
    # a language model the application answers with, hosted or local (LangChain chat models,
    # OpenAI, Anthropic, Ollama, LlamaIndex, LiteLLM and vLLM clients)
    r"|langchain_\w+\.(\w+\.)*Chat[A-Z]\w*|langchain\.chat_models\.init_chat_model"
    r"|langchain_community\.(chat_models|llms)\.\w+|openai\.(Async)?(Azure)?OpenAI|ollama\.(chat|generate|Client)"
    r"|llama_index\.llms\.[\w.]+|litellm\.a?completion|anthropic\.(Async)?Anthropic\w*|vllm\.LLM)$")
#: model-zoo constructors that build an architecture, and whether it comes with pretrained weights
#: when the call does not say (Keras applications default to ImageNet weights; torchvision and timm
#: build an untrained network unless given ``weights=``/``pretrained=``). Keras' preprocessing
#: helpers (``preprocess_input``, ``decode_predictions``) are functions, not model classes.
_MODEL_ZOO = ((re.compile(r"^(tensorflow\.)?keras\.applications\.(\w+\.)?[A-Z]\w*$"), True),
              (re.compile(r"^torchvision\.models\.(\w+\.)?[a-z]\w*$"), False),
              (re.compile(r"^timm\.create_model$"), False))
#: the packages the web-app calls and the model loads above are rooted at.
_WEB_ROOTS = tuple(sorted({c.split(".")[0] for c in _WEB_APP_CALLS} | {"streamlit"}))
_MODEL_ROOTS = ("joblib", "databricks", "pickle", "cloudpickle", "dill", "torch", "tensorflow", "keras", "mlflow", "onnxruntime",
                "transformers", "sentence_transformers", "xgboost", "lightgbm", "catboost", "skops", "bentoml",
                "ultralytics", "safetensors", "torchvision", "timm", "tensorflow_hub", "spacy", "whisper", "fasttext",
                "diffusers", "open_clip", "easyocr", "langchain", "langchain_openai", "langchain_community",
                "langchain_anthropic", "langchain_ollama", "langchain_google_vertexai", "langchain_google_genai",
                "langchain_aws", "langchain_mistralai", "langchain_groq", "langchain_huggingface", "openai", "ollama",
                "llama_index", "litellm", "anthropic", "vllm", "boto3", "mxnet", "gluoncv")
_LOADER_MODULES = ("mlflow", "joblib", "torch", "pickle", "keras", "tensorflow", "cloudpickle")
_LOADER_REF = re.compile(r"^[^#\n]*\b(mlflow\.\w+\.load_model|joblib\.load|torch\.load|pickle\.load|keras\.models\.load_model)\b(?!\s*\()", re.M)
_SERVING_KINDS = {"InferenceService": "KServe InferenceService", "ServingRuntime": "KServe ServingRuntime",
                  "SeldonDeployment": "Seldon deployment", "InferenceGraph": "KServe InferenceGraph",
                  "RayService": "Ray Serve (RayService)", "TrainedModel": "KServe TrainedModel"}
_SERVE_COMMAND = re.compile(r"\bmlflow\s+models\s+serve\b|\btorchserve\s+--start\b|\btritonserver\b|\bbentoml\s+serve\b"
                            r"|\bserve\s+run\s+\S+:\S+|\bseldon-core-microservice\b|\bmlserver\s+start\b"
                            r"|\bmlem\s+(serve|deployment\s+run)\b"
                            # the REST servers of Ludwig, TensorFlow Serving and vLLM
                            r"|\bludwig\s+serve\b|\btensorflow_model_server\b|\bvllm\s+serve\b")

# -- infrastructure as code ----------------------------------------------------------------------
_TF_BLOCK = re.compile(r'^\s*(resource|module)\s+"', re.M)
#: where CloudFormation templates live (read only these: most YAML is something else).
_CFN_PATH = re.compile(r"^(?=.*(cloudformation|(^|[/_.-])cfn([/_.-]|$)|template[^/]*$)).*\.(ya?ml|json|template)$")
_CFN = re.compile(r"AWSTemplateFormatVersion|Type:\s*['\"]?AWS::|\"Type\"\s*:\s*\"AWS::")
#: a template named for nothing (``pipeline.yml``) is one by its top-level keys: the format
#: version, the SAM transform, or a ``Resources`` map (with AWS types, ``_CFN``).
_CFN_TOP = re.compile(r"^(\"?AWSTemplateFormatVersion\"?\s*:|Transform\s*:\s*['\"]?AWS::Serverless|Resources\s*:\s*$)"
                      r"|^\s{0,4}\"(AWSTemplateFormatVersion|Resources)\"\s*:", re.M)
#: an Azure Resource Manager template declares its schema at the top (read only that far).
_ARM = re.compile(r'"\$schema"\s*:\s*"https?://schema\.management\.azure\.com/schemas/[^"]*deploymentTemplate\.json')
_ARM_HEAD = 2048
_IAC_FILES = {"chart.yaml": "Helm chart", "kustomization.yaml": "Kustomize", "kustomization.yml": "Kustomize",
              "pulumi.yaml": "Pulumi", "cdk.json": "AWS CDK", "serverless.yml": "Serverless Framework",
              "serverless.yaml": "Serverless Framework", "skaffold.yaml": "Skaffold", "helmfile.yaml": "Helmfile"}
_NOT_MANIFESTS = (".github/", ".gitlab", ".circleci/", "docker-compose", "compose.", "mkdocs", ".pre-commit",
                  "dependabot", "dvc.yaml", "params.yaml", "conda", "environment")

# -- progressive delivery ------------------------------------------------------------------------
#: command-line flags, with or without a value, between a tool and its verb.
_CLI_FLAGS = r"""(?:\s+-{1,2}[\w.-]+(?:=\S+|\s+[^\s-]\S*)?)*"""
#: progressive delivery written in configs, scripts and code: (a word the text must hold, in
#: lower case, so the pattern is only tried where it can match; the pattern).
#: a share of traffic between 1 and 99 percent
_PERCENT = r"0*[1-9]\d?(?![\d.])"
_PROGRESSIVE_TEXT = tuple((hint, re.compile(rx)) for hint, rx in (
    ("canary", r"\bcanaryTrafficPercent\b|\bCanarySize\b"),
    ("bluegreen", r"\bBlueGreenUpdatePolicy\b"),
    ("linearstep", r"\bLinearStepSize\b"),
    ("shadowproduction", r"\bShadowProductionVariants\b"),
    ("versionweights", r"\bAdditionalVersionWeights\b"),
    ("codedeploydefault", r"CodeDeployDefault\.\w*(Canary|Linear)"),
    # a SAM function shifting traffic to its new version by CodeDeploy (Canary10Percent5Minutes...)
    ("deploymentpreference", r"\bDeploymentPreference[\"']?\s*:[^\n]*(?:\n[^\n]*){0,12}?\bType[\"']?\s*:\s*[\"']?(?:Canary|Linear)\d\w*"),
    # a split between two versions, each given a share (a 0/100 swap moves everything at once)
    ("traffic", r"update-traffic\b.*--to-revisions|--traffic\s+['\"]?\w+=" + _PERCENT + r"\s+\w+=" + _PERCENT
                + r"|--traffic-split[= ]\S*=" + _PERCENT + r",\S*=" + _PERCENT + r"|\bmirror_traffic\b"),
    # flags may sit between the tool and its verb (``kubectl -n "$NS" rollout undo deploy/api``)
    ("rollout", r"\bkubectl" + _CLI_FLAGS + r"\s+rollout\s+undo\b|\bargo\s+rollouts\b"),
    ("rollback", r"\bhelm" + _CLI_FLAGS + r"\s+rollback\b"),
    ("mirror", r"\bmirror_percent\b|\bmirrorPercentage\b"),
    # an Istio route to several weighted destinations in a manifest that is no plain YAML (a Helm
    # chart's template, weights from its values): both weights within the one document
    ("virtualservice", r"(?m)^kind:\s*VirtualService\b(?:(?!^---)[\s\S])*?^\s*weight:(?:(?!^---)[\s\S])*?^\s*weight:"),
    # an Anyscale service rollout with a canary (service specs themselves come from the catalogue)
    ("anyscale", r"\banyscale\s+service\s+(?:rollout|deploy)\b[^\n]*--(?:canary-percent|rollout-strategy[\s=]+ROLLOUT\b)"),
))
_CRD = re.compile(r"^kind:\s*CustomResourceDefinition\b", re.M)
_PROGRESSIVE_HINTS = tuple(hint for hint, _ in _PROGRESSIVE_TEXT) + ("variant",)
#: patterns that are shell commands: in a YAML or JSON file they count only where something runs them
_COMMAND_HINTS = frozenset({"rollout", "rollback", "anyscale"})
_TEXT_SUFFIXES = (".yaml", ".yml", ".json", ".py", ".sh", ".tf", ".bicep", "makefile", "jenkinsfile")
#: a traffic map (Azure ML ``endpoint.traffic = {"blue": 90, "green": 10}``, Vertex AI
#: ``traffic_split={"0": 10, model_id: 90}``, inline or as a YAML block): a split only when
#: several of its deployments take a share.
_TRAFFIC_MAP = re.compile(r"""(?:\.traffic|\btraffic(?:_split)?)["']?\s*[=:]\s*\{([^{}]*)\}""")
_TRAFFIC_BLOCK = re.compile(r"^([ \t]*)traffic(?:_split)?:[ \t]*\n((?:\1[ \t]+[\"']?[\w.-]+[\"']?:[ \t]*\d+[ \t]*\n?)+)", re.M)
_SHARE = re.compile(r""":\s*(\d+)""")
#: every SageMaker production variant carries a weight; only several weighted variants split traffic.
_VARIANT_WEIGHT = re.compile(r"\bInitialVariantWeight\b|\binitial_variant_weight\b|\binitial_weight\b")
_VARIANT_NAME = re.compile(r"\b(?:VariantName|variant_name)\W{1,4}([\w.-]+)")
_NOT_A_NAME = frozenset({"str", "int", "float", "bool", "none", "dict", "list", "optional", "any", "self",
                         "variant_name", "variantname", "ref", "sub", "getatt"})


def _only_prose(ctx: ScanContext, path: str, command: re.Pattern[str]) -> bool:
    """True when ``command`` is written in a YAML/JSON file only as data, not where a step, task or
    container runs it (``rollback: {mechanisms: ["kubectl rollout undo ..."]}`` in a thresholds file)."""
    if not path.lower().endswith((".yaml", ".yml", ".json")):
        return False
    try:
        docs = ctx.structured(path)
    except ParseError:
        return False  # a template that is no YAML until rendered: read as text
    return not any(command.search(s) for s in command_strings(docs))


class DeploymentDetector(Detector):
    """Decides deployment signals that are files and code rather than CI jobs:

    - ``deploy.container``: a Dockerfile/Containerfile that packages the project (copies code
      or starts something); one that only installs dependencies, builds a docs site, sets up a
      dev container or hands a third-party service its settings is recorded as declared only. Dockerfiles quoted in Markdown are not files.
    - ``deploy.cd`` (beside the CI detector's): a GitOps controller syncing the repository on its own
      (Argo CD automated sync, Flux).
    - ``deploy.serving``: a web or chat app (FastAPI, Flask, Starlette, LitServe, Gradio, Chainlit...)
      in a file or package that loads a model, or builds a pretrained one (Keras applications
      unless ``weights=None``, torchvision models and ``timm.create_model`` given weights,
      ``torch.hub``, TF Hub, spaCy, Whisper, fastText, diffusers, OpenCLIP, EasyOCR, any call given
      ``pretrained=True``: an untrained architecture is not served), or answers with a language
      model (LangChain chat models, OpenAI, Anthropic, Ollama, LlamaIndex, LiteLLM, vLLM clients, the
      Bedrock runtime's converse/invoke_model); serving manifests (KServe, Seldon, RayService); TorchServe
      ``.mar``/``config.properties``; Triton ``config.pbtxt``; ``mlflow models serve``-style
      commands; batch scoring jobs: a script that loads a model, scores data with it and writes
      the predictions out (``detectors.batch_scoring``), run by a Dockerfile ``CMD``/``ENTRYPOINT``,
      a Kubernetes Job or CronJob, a crontab entry, or an Airflow task's command (a scoring
      script that nothing runs is declared only; an evaluation that writes metrics writes no
      predictions). Framework calls
      (BentoML, Ray Serve, Jina executors, SageMaker/Vertex/AzureML endpoints) come from the tool catalogue.
    - ``deploy.iac``: Terraform blocks, Kubernetes manifests (apiVersion + kind + metadata),
      Helm charts, Kustomize, CloudFormation/SAM, CDK, Bicep, Azure Resource Manager templates, Pulumi,
      Serverless.
    - ``deploy.tests``: test files that define test functions or test classes.
    - ``deploy.progressive``: Argo Rollouts / Flagger resources, CodeDeploy canary or linear
      configurations (SAM ``DeploymentPreference``), weighted traffic splits
      (Istio, KServe canaryTrafficPercent, SageMaker variant weights, Azure ML / Vertex AI / Cloud
      Run traffic over several deployments, Azure ML mirrored traffic), Anyscale service rollouts
      given a canary, scripted rollbacks (``kubectl rollout undo``, ``helm rollback``); in serving
      code (``detectors.progressive``): a request handler choosing a model by a random draw, a hash
      bucket or weights, a shadow model run on the same request and only fired off or logged, and
      rollbacks of a serving release (by name, or by the pointer/alias they restore) that the code
      calls.
    """

    id = "deployment"
    cost = 9
    signals = ("deploy.container", "deploy.serving", "deploy.iac", "deploy.tests", "deploy.progressive")

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        files = [p for p in ctx.files() if not is_template_path(p)]
        yield from self._containers(ctx, files)
        apps, loaders = _apps_and_loaders(ctx)
        yield from self._serving_code(ctx, apps, loaders)
        yield from self._serving_files(ctx, files)
        manifests = list(self._k8s_documents(ctx, files))
        yield from self._serving_manifests(ctx, manifests)
        yield from self._batch_scoring(ctx, files, manifests, loaders)
        for found in scoring_pipelines(project(ctx)):
            yield self.evidence("deploy.serving", f"batch scoring pipeline {found.name} ({found.path}:{found.line}): "
                                f"its step {found.step} predicts with the model",
                                ctx.location(found.path, found.line), ctx.location(found.step_path, found.step_line),
                                subject=f"pipeline:{found.path}", pipeline=found.name, step=found.step)
        yield from self._serving_api(ctx)
        yield from self._iac(ctx, files, manifests)
        yield from self._gitops(ctx, manifests)
        yield from self._tests(ctx, files)
        yield from self._progressive(ctx, files, manifests)

    def _serving_api(self, ctx: ScanContext) -> Iterator[Evidence]:
        """A model endpoint created or enabled through Databricks' REST API by the project's code
        (``requests.post(f"{host}/api/2.0/serving-endpoints", ...)``, the legacy
        ``/api/2.0/mlflow/endpoints-v2/enable``): the model is served by the platform."""
        for path, facts in ctx.python_files(notebooks=False):
            text = ctx.text(path) or ""
            m = _SERVING_API.search(text) if "/api/2." in text and not is_test_path(path) else None
            if m and any(c.name.rsplit(".", 1)[-1] in _HTTP_WRITES for c in facts.calls):
                yield self.evidence("deploy.serving", f"model serving endpoint set up over Databricks' REST API "
                                    f"({m.group(0)}) in {path}", ctx.location(path, text.count("\n", 0, m.start()) + 1),
                                    subject=f"serving-api:{path}", api=m.group(0))
                return

    # -- containers ------------------------------------------------------------------------------
    def _containers(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        real, weak = [], []
        for path in files:
            if not is_dockerfile(path):
                continue
            verdict = dockerfile_purpose(ctx.text(path) or "", path)
            (real if verdict is None else weak).append((path, verdict))
        if real:
            yield self.evidence("deploy.container", f"container image built from {real[0][0]}"
                                + (f" (+{len(real) - 1} more)" if len(real) > 1 else ""),
                                *[ctx.location(p, 1) for p, _ in real[:MAX_LOCATIONS]],
                                subject="dockerfile", files=[p for p, _ in real])
        for path in cog_configs(ctx):
            # ``cog build``/``cog push`` makes the image its build section describes (the catalogue's
            # ``cog`` entry reads what it serves)
            yield self.evidence("deploy.container", f"container image built by Cog from {path}",
                                ctx.location(path, 1), subject=f"cog:{path}")
        for path, why in weak[:MAX_LOCATIONS]:
            user = _image_user(ctx, files, path) if why == _DEPS_ONLY_WHY else None
            if user:
                # an environment image that the project builds for its jobs (a training image)
                yield self.evidence("deploy.container", f"environment image built from {path}, used by {user[0]}",
                                    ctx.location(path, 1), ctx.location(*user), subject=f"environment:{path}")
            else:
                yield self.evidence("deploy.container", f"{path}: {why}", ctx.location(path, 1),
                                    tier=Tier.DECLARED, subject=f"weak:{path}")

    # -- serving ---------------------------------------------------------------------------------
    def _serving_code(self, ctx: ScanContext, apps: dict[str, int],
                      loaders: dict[str, tuple[int, str]]) -> Iterator[Evidence]:
        for path, (line, call) in sorted(loaders.items()):
            consumer = _stream_consumer(ctx.python(path))
            if consumer is not None:
                yield self.evidence("deploy.serving", f"streaming inference service in {path}: consumes a stream "
                                    f"({consumer.name}) and scores it with a model loaded by {call}",
                                    ctx.location(path, consumer.line), ctx.location(path, line), subject=f"stream:{path}",
                                    app=path)
                return
        for path, (line, call) in sorted(loaders.items()):
            handler = _serverless_inference(ctx, path, line) if not is_test_path(path) else None
            if handler is not None:
                yield self.evidence("deploy.serving", f"serverless function {handler.name} in {path} answers each "
                                    f"invocation with a model loaded by {call}", ctx.location(path, handler.lineno),
                                    ctx.location(path, line), subject=f"function:{path}", app=path)
                return
        index = module_index([p for p in ctx.files() if p.endswith(".py")])
        for path, line in sorted(apps.items()):
            loader = _loader_for(ctx, path, index, loaders)
            if loader is None:
                continue
            lpath, (lline, call) = loader
            yield self.evidence("deploy.serving", f"web app in {path} serves a model loaded with {call} ({lpath}:{lline})",
                                ctx.location(path, line), ctx.location(lpath, lline), subject=f"app:{path}",
                                app=path, loader=lpath)
            return

    def _batch_scoring(self, ctx: ScanContext, files: list[str], manifests: list[tuple[str, int, dict]],
                       loaders: dict[str, tuple[int, str]]) -> Iterator[Evidence]:
        """Scripts that score data with a model and write the predictions out, and what runs them."""
        loads = {**_helper_loads(ctx, loaders), **loaders}
        scripts = {path: (load, found) for path, load in sorted(loads.items())
                   for found in [_scoring(ctx, path, load)] if found is not None}
        if not scripts:
            return
        proj = project(ctx)
        runners: dict[str, tuple[str, str, int | None]] = {}
        for what, path, line, commands in _job_commands(ctx, files, manifests):
            for script in command_scripts(proj, commands):
                runners.setdefault(script, (what, path, line))
        runners.update(_imported_by_jobs(ctx, runners, scripts))
        tasks = orchestrated_modules(ctx) if any(p not in runners for p in scripts) else {}
        for path, ((line, call), found) in scripts.items():
            does = f"loads a model ({call}), scores data and writes predictions ({', '.join(found.writes)})"
            runner = runners.get(path) or tasks.get(path) or _own_pipeline(ctx, path) or _serverless_handler(ctx, path)
            if runner is None:
                yield self.evidence("deploy.serving", f"batch scoring script: {path} {does}; nothing runs it as a job",
                                    ctx.location(path, line), tier=Tier.DECLARED, subject=f"batch:{path}", script=path,
                                    scores=found.score, writes=list(found.writes))
                continue
            yield self.evidence("deploy.serving", f"batch scoring job: {path} {does}; run by {runner[0]}",
                                ctx.location(path, line), ctx.location(runner[1], runner[2]), subject=f"batch:{path}",
                                script=path, scores=found.score, writes=list(found.writes), runner=runner[1])

    def _serving_files(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        for path in files:
            low = path.lower()
            base = low.rsplit("/", 1)[-1]
            what = None
            if base.endswith(".mar"):
                what = "TorchServe model archive"
            elif base == "config.properties" and "inference_address" in (ctx.text(path) or ""):
                what = "TorchServe config"
            elif base == "config.pbtxt" and re.search(r"^\s*(platform|backend)\s*:", ctx.text(path) or "", re.M):
                what = "Triton model repository config"
            elif base.endswith((".sh", ".yml", ".yaml", ".toml")) or base in ("makefile", "procfile", "justfile") \
                    or DOCKERFILE.search(path):
                text = ctx.text(path) if ctx.repo is not None and ctx.repo.size(path) < MAX_YAML_BYTES else None
                m = _SERVE_COMMAND.search(uncommented(text or ""))
                if m:
                    what = f"serving command '{m.group(0)}'"
            if what:
                yield self.evidence("deploy.serving", f"{what} in {path}", ctx.location(path), subject=f"file:{path}")

    def _serving_manifests(self, ctx: ScanContext, manifests: list[tuple[str, int, dict]]) -> Iterator[Evidence]:
        for path, line, doc in manifests:
            what = _SERVING_KINDS.get(str(doc.get("kind")))
            if what:
                yield self.evidence("deploy.serving", f"{what} manifest {path}", ctx.location(path, line),
                                    subject=f"k8s:{path}", kind=doc.get("kind"))
                return

    # -- Kubernetes-style documents --------------------------------------------------------------
    def _k8s_documents(self, ctx: ScanContext, files: list[str]) -> Iterator[tuple[str, int, dict]]:
        """(path, line, document) of every YAML document shaped like a Kubernetes object."""
        for path in files:
            low = path.lower()
            if not low.endswith((".yaml", ".yml")) or any(s in low for s in _NOT_MANIFESTS):
                continue
            if ctx.repo is None or ctx.repo.size(path) > MAX_YAML_BYTES:
                continue
            text = ctx.text(path) or ""
            if "apiVersion" not in text or "kind" not in text:
                continue
            try:
                docs = ctx.structured(path)
            except ParseError:
                continue  # Helm templates hold Go templating: the chart counts through Chart.yaml
            starts = [m.start() for m in re.finditer(r"^kind\s*:", text, re.M)]
            for i, doc in enumerate(d for d in docs if _is_k8s(d)):
                line = text.count("\n", 0, starts[i]) + 1 if i < len(starts) else 1
                yield path, line, doc

    def _gitops(self, ctx: ScanContext, manifests: list[tuple[str, int, dict]]) -> Iterator[Evidence]:
        """Continuous delivery by a GitOps controller: an Argo CD Application (or ApplicationSet)
        with automated sync, or a Flux Kustomization or HelmRelease that is not suspended, rolls out
        what is merged without anyone running a deploy."""
        for path, line, doc in manifests:
            what = gitops_sync(doc)
            if what:
                yield self.evidence("deploy.cd", f"{what} in {path}", ctx.location(path, line), subject=f"gitops:{path}")
                return

    def _iac(self, ctx: ScanContext, files: list[str], manifests: list[tuple[str, int, dict]]) -> Iterator[Evidence]:
        found: dict[str, list[tuple[str, int | None]]] = {}
        for path in files:
            low = path.lower()
            base = low.rsplit("/", 1)[-1]
            kind = None
            if low.endswith(".tf") and _TF_BLOCK.search(strip_comments(ctx.text(path) or "")):
                kind = "Terraform"
            elif low.endswith(".bicep"):
                kind = "Bicep"
            elif base in _IAC_FILES:
                kind = _IAC_FILES[base]
            elif low.endswith((".yaml", ".yml", ".json", ".template")) and self._cloudformation(ctx, path, low):
                kind = "CloudFormation"
            elif low.endswith(".json") and ctx.repo is not None and ctx.repo.size(path) < MAX_YAML_BYTES \
                    and _ARM.search((ctx.text(path) or "")[:_ARM_HEAD]):
                kind = "Azure Resource Manager template"
            elif low.endswith((".yml", ".yaml")) and ctx.repo is not None and ctx.repo.size(path) < MAX_YAML_BYTES \
                    and databricks.infrastructure(ctx, path):
                kind = "Databricks Asset Bundle"
            elif low.endswith((".yml", ".yaml")) and _ansible_provisions(ctx, path):
                kind = "Ansible cloud provisioning"
            if kind:
                found.setdefault(kind, []).append((path, None))
        for path, line, doc in manifests:
            if not _is_run_spec(doc):
                found.setdefault("Kubernetes manifests", []).append((path, line))
        for kind, places in sorted(found.items()):
            yield self.evidence("deploy.iac", f"{kind}: {places[0][0]}" + (f" (+{len(places) - 1} more)" if len(places) > 1 else ""),
                                *[ctx.location(p, ln) for p, ln in places[:MAX_LOCATIONS]], subject=kind,
                                kind=kind, files=len({p for p, _ in places}))

    @staticmethod
    def _cloudformation(ctx: ScanContext, path: str, low: str) -> bool:
        """A CloudFormation/SAM template: by its name and AWS resource types, or by its top-level keys."""
        if ctx.repo is None or ctx.repo.size(path) > MAX_YAML_BYTES:
            return False
        text = ctx.text(path) or ""
        return bool(_CFN.search(text)) and bool(_CFN_PATH.search(low) or _CFN_TOP.search(text))

    # -- tests -----------------------------------------------------------------------------------
    def _tests(self, ctx: ScanContext, files: list[str]) -> Iterator[Evidence]:
        found: list[str] = []
        for path in files:
            if not is_test_path(path):
                continue
            if path.endswith(".py"):
                if _TEST_DEF.search(ctx.text(path) or ""):
                    found.append(path)
            elif re.search(r"\.(test|spec)\.[jt]sx?$", path) and re.search(r"\b(test|it)\s*\(", ctx.text(path) or ""):
                found.append(path)
        # one test that runs and checks something is enough (the parse stops at the first); a
        # test left from a template, importing project modules that no longer exist, runs nothing
        real = next((p for p in found if (_js_tests_something(ctx.text(p) or "") if not p.endswith(".py")
                                          else not _SCAFFOLD_DEMO.search((ctx.text(p) or "")[:2000])
                                          and _tests_something(ctx.tree(p)) and not _missing_project_import(ctx, p))),
                    None)
        if real:
            shown = [real] + [p for p in found if p != real]
            yield self.evidence("deploy.tests", f"{len(found)} test file(s) with test functions, e.g. {real}",
                                *[ctx.location(p) for p in shown[:MAX_LOCATIONS]], subject="tests", files=len(found))
            return
        demo = next((p for p in found if p.endswith(".py") and _SCAFFOLD_DEMO.search((ctx.text(p) or "")[:2000])), None)
        if demo:
            yield self.evidence("deploy.tests", f"{len(found)} test file(s), whose tests are a project generator's "
                                f"demonstration, to be replaced ({demo})", ctx.location(demo),
                                tier=Tier.DECLARED, subject="tests", files=len(found))
            return
        stale = next(((p, m) for p in found if p.endswith(".py") for m in [_missing_project_import(ctx, p)] if m), None)
        if stale:
            yield self.evidence("deploy.tests", f"{len(found)} test file(s), which import project modules the repository "
                                f"lacks (e.g. {stale[1]} in {stale[0]}): they cannot run", ctx.location(stale[0]),
                                tier=Tier.DECLARED, subject="tests", files=len(found))

    # -- progressive delivery --------------------------------------------------------------------
    def _progressive(self, ctx: ScanContext, files: list[str], manifests: list[tuple[str, int, dict]]) -> Iterator[Evidence]:
        for path, line, doc in manifests:
            what = progressive_manifest(doc)
            if what:
                yield self.evidence("deploy.progressive", f"{what} in {path}", ctx.location(path, line), subject=f"k8s:{path}")
                return
        for path in files:
            if not path.lower().endswith(_TEXT_SUFFIXES) or is_test_path(path) or path.lower().endswith(".md"):
                continue
            if ctx.repo is not None and ctx.repo.size(path) > MAX_YAML_BYTES:
                continue
            raw = ctx.text(path) or ""
            low = raw.lower()
            if not any(h in low for h in _PROGRESSIVE_HINTS):
                continue  # a cheap look first: the patterns below are slow over large texts
            if "customresourcedefinition" in low and _CRD.search(raw):
                continue  # the schema of a resource type names every field it may hold
            text = uncommented(raw)
            m = next((m for hint, rx in _PROGRESSIVE_TEXT if hint in low for m in [rx.search(text)] if m
                      and not (hint in _COMMAND_HINTS and _only_prose(ctx, path, rx))), None)
            m = m or ("variant" in low and _weighted_variants(text)) or ("traffic" in low and _traffic_split(text))
            if m:
                line = text.count("\n", 0, m.start()) + 1
                shown = " ".join(m.group(0).split())[:60]
                yield self.evidence("deploy.progressive", f"'{shown}' in {path}", ctx.location(path, line), subject=f"text:{path}")
                return
        yield from self._progressive_code(ctx)

    def _progressive_code(self, ctx: ScanContext) -> Iterator[Evidence]:
        """Traffic splits, shadow calls and rollbacks written in the project's code."""
        proj = project(ctx)
        for kind, finder in (("traffic-split", traffic_splits), ("shadow", shadow_calls), ("rollback", rollbacks)):
            for finding in finder(proj):
                yield self.evidence("deploy.progressive", finding.summary,
                                    *[ctx.location(path, line) for path, line in finding.places],
                                    subject=f"{kind}:{finding.places[0][0]}", kind=kind)
                return


def dockerfile_purpose(text: str, path: str) -> str | None:
    """None when the Dockerfile packages the project; otherwise why it does not count."""
    if "/.devcontainer/" in f"/{path.lower()}":
        return "development container only"
    found = [(m.group(1).upper(), m.group(2)) for m in INSTRUCTION.finditer(uncommented(text))]
    if not any(op == "FROM" for op, _ in found):
        return "no FROM instruction"
    runs = [arg for op, arg in found if op in ("CMD", "ENTRYPOINT")]
    if any(_DOCS_TOOLS.search(r) for r in runs):
        return "builds a documentation site"
    copies = [arg for op, arg in found if op in ("COPY", "ADD") and not _DEPS_ONLY.search(arg)]
    if copies and all(_settings_only(arg) for arg in copies) and not any(_PYTHON_RUN.search(r) for r in runs):
        return "runs a third-party service with its settings (no project code copied)"
    # an ML framework image with the project's dependencies added is the environment a research
    # repository's scripts run in (the repository mounted into it): a training image
    if not runs and not copies and not ML_BASE_IMAGE.search(text):
        return _DEPS_ONLY_WHY
    return None


#: what a third-party service image is given: its settings and plugin archives, no code
_SETTINGS_FILE = re.compile(r"\.(properties|conf|cfg|ini|xml|zip|jar|tar\.gz|tgz)$", re.I)
_PYTHON_RUN = re.compile(r"\b(python3?|uvicorn|gunicorn|streamlit|bentoml|mlflow|fastapi|flask)\b")


def _settings_only(copy: str) -> bool:
    """A COPY/ADD whose sources are settings or archives (``kafka-connect.properties``,
    ``plugin-0.1.3.zip``), never a folder or a source file of the project."""
    words = [w for w in copy.split() if not w.startswith("--")]
    return len(words) >= 2 and all(_SETTINGS_FILE.search(w.strip('",[]')) for w in words[:-1])


_DEPS_ONLY_WHY = "only installs dependencies: no project code copied and nothing started"
#: files that build or name an image for a job: configs, code, CI and build scripts (docs are
#: not among them).
_IMAGE_USERS = re.compile(r"\.(ya?ml|json|toml|cfg|ini|py|sh|tf)$|(^|/)(makefile|jenkinsfile)$", re.I)
#: a developer's local environment (dev container, compose stack), not a job's image.
_LOCAL_ENVIRONMENT = re.compile(r"(^|/)\.devcontainer/|(^|/)(docker-)?compose[^/]*\.ya?ml$", re.I)


def _image_user(ctx: ScanContext, files: list[str], dockerfile: str) -> tuple[str, int | None] | None:
    """(path, line) of a project file that names a dependencies-only Dockerfile or its folder as a
    build context: the image is built for the project's jobs (an Azure ML environment, a CI build)."""
    folder = dockerfile.rpartition("/")[0]
    if not folder:
        # "Dockerfile" alone is named everywhere: only a build of the root context (``docker build
        # -t informer .`` in a Makefile, no ``-f`` to another file) says the root image is meant
        return _root_image_user(ctx, files) if dockerfile == "Dockerfile" else None
    needles = [dockerfile] + ([folder] if folder.count("/") >= 1 else [])
    for path in files:
        if path == dockerfile or not _IMAGE_USERS.search(path) or _LOCAL_ENVIRONMENT.search(path) \
                or (ctx.repo is not None and ctx.repo.size(path) > MAX_YAML_BYTES):
            continue
        text = ctx.text(path) or ""
        at = next((text.find(n) for n in needles if n in text), -1)
        if at >= 0:
            return path, text.count("\n", 0, at) + 1
    return None


_PLACEHOLDER_REPO = re.compile(r"your[-_]?(org|organi[sz]ation|user(name)?|name|account|github|repo|company|team)\b"
                               r"|<[^>]+>|\b(CHANGE[-_]?ME|REPLACE[-_]?ME|TODO)\b|example\.(com|org)", re.I)


def gitops_sync(doc: dict) -> str | None:
    """What a GitOps resource delivers on its own, if anything."""
    kind, api = str(doc.get("kind")), str(doc.get("apiVersion"))
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    name = str(get_in(doc, "metadata", "name") or "")
    if "argoproj.io" in api and kind in ("Application", "ApplicationSet"):
        template = get_in(spec, "template", "spec") if kind == "ApplicationSet" else spec
        if not isinstance(template, dict):
            return None
        automated = get_in(template, "syncPolicy", "automated")
        repos = [str(get_in(template, "source", "repoURL") or "")] + [
            str(src.get("repoURL") or "") for src in dicts(template.get("sources"))]
        # an unfilled template (``https://github.com/your-org/app``) syncs no repository yet
        if isinstance(automated, dict) and automated.get("enabled", True) is not False \
                and not any(_PLACEHOLDER_REPO.search(r) for r in repos):
            return f"Argo CD {kind} '{name}' syncs automatically"
    if "fluxcd.io" in api and kind in ("Kustomization", "HelmRelease") and spec.get("suspend") is not True:
        return f"Flux {kind} '{name}' reconciles automatically"
    return None


#: a build of the repository root's image: ``docker build -t name .`` (no ``-f`` to another file)
_ROOT_BUILD = re.compile(r"^[^#\n]*\bdocker (?:image )?build\b(?![^\n]*\s-f\s*(?!\.?/?Dockerfile\b)\S)[^\n]*\s\.(?:\s|$)", re.M)
_BUILD_SCRIPTS = re.compile(r"(^|/)(makefile|gnumakefile|justfile)$|\.(sh|bash|mk)$", re.I)


def _root_image_user(ctx: ScanContext, files: list[str]) -> tuple[str, int | None] | None:
    """(path, line) of a Makefile or script that builds the root Dockerfile's image."""
    for path in files:
        if not _BUILD_SCRIPTS.search(path):
            continue
        text = ctx.text(path) or ""
        m = _ROOT_BUILD.search(text) if "docker" in text else None
        if m:
            return path, text.count("\n", 0, m.start()) + 1
    return None


def progressive_manifest(doc: dict) -> str | None:
    """What progressive delivery a Kubernetes-style document configures, if any."""
    kind = str(doc.get("kind"))
    api = str(doc.get("apiVersion"))
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    if kind == "Rollout" and "argoproj.io" in api:
        return "Argo Rollouts rollout"
    if kind == "Canary" and "flagger" in api:
        return "Flagger canary"
    if kind in ("TrafficSplit", "AnalysisTemplate"):
        return f"{kind} resource"
    if kind == "InferenceService" and re.search(r"canaryTrafficPercent", str(spec)):
        return "KServe canary traffic split"
    if kind == "VirtualService" and _weighted_routes(spec.get("http")):
        return "Istio weighted traffic split"
    if kind == "SeldonDeployment" and len([p for p in dicts(spec.get("predictors")) if p.get("traffic")]) > 1:
        return "Seldon traffic split between predictors"
    if kind == "Experiment" and "seldon" in api:
        return "Seldon experiment (A/B)"
    return None


def _weighted_routes(http: Any) -> bool:
    for route in dicts(http):
        weights = [d.get("weight") for d in dicts(route.get("route"))]
        if len(weights) > 1 and all(isinstance(w, int) for w in weights):
            return True
        if route.get("mirror"):
            return True
    return False


def _is_k8s(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("apiVersion"), str) and isinstance(doc.get("kind"), str)
            and isinstance(doc.get("metadata"), dict))


def _weighted_variants(text: str) -> re.Match[str] | None:
    """The second weight of several differently named production variants (an A/B split), if any.

    One variant per endpoint (say a test and a prod endpoint config in one file) takes all traffic.
    """
    weights = list(_VARIANT_WEIGHT.finditer(text))
    # a value given as the name, not a parameter's type or a variable (``variant_name: str = None``)
    names = {m.group(1) for m in _VARIANT_NAME.finditer(text) if m.group(1).lower() not in _NOT_A_NAME}
    return weights[1] if len(weights) > 1 and len(names) > 1 else None


def _traffic_split(text: str) -> re.Match[str] | None:
    """A traffic map that gives a share to more than one deployment, if any: one deployment
    taking all traffic (``{"blue": 100}``, ``{"blue": 100, "green": 0}``) is a cut-over."""
    for m in [*_TRAFFIC_MAP.finditer(text), *_TRAFFIC_BLOCK.finditer(text)]:
        shares = [int(v) for v in _SHARE.findall(m.group(m.lastindex or 1))]
        if sum(1 for v in shares if v > 0) > 1:
            return m
    return None


def _is_run_spec(doc: dict) -> bool:
    """An Argo ``Workflow``: one run of a pipeline (what the Kubeflow Pipelines v1 compiler writes),
    submitted and gone, not infrastructure that is kept deployed (a ``CronWorkflow`` or a
    ``WorkflowTemplate`` is)."""
    return doc.get("kind") == "Workflow" and str(doc.get("apiVersion")).startswith("argoproj.io/")


_SKIPPED = re.compile(r"\b(skip|skipif|xfail)\b")
#: a test function or test class defined in a module (read from the text: the first real one is parsed).
_TEST_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+test\w*[ \t]*\(|^[ \t]*class[ \t]+Test\w*", re.M)


#: a project generator's example test, saying so itself (Kedro's ``tests/test_run.py``: "The tests
#: below are here for the demonstration purpose and should be replaced"; ``cdk init``'s stack test)
_SCAFFOLD_DEMO = re.compile(r"here for (?:the )?demonstration purposes?|should be replaced with (?:the )?ones testing"
                            # the AWS CDK's ``cdk init`` test: "example tests. To run these tests, uncomment this file"
                            r"|example tests?\.\s*to run these tests, uncomment", re.I)


#: the expectations a framework's generated spec holds (Nest, Angular: the unit is defined, the
#: starter route says hello): a scaffold, no behaviour tested.
_SCAFFOLD_EXPECT = re.compile(r"""expect\([^()]*(?:\([^()]*\))?[^()]*\)\s*\.\s*(?:toBeDefined\(\)|toBeTruthy\(\)"""
                              r"""|toBe\(\s*['"]Hello World!?['"]\s*\))""")


def _missing_project_import(ctx: ScanContext, path: str) -> str | None:
    """A module the test imports from a package of the repository that the package lacks
    (``from steps.ingest_data import IngestData`` where ``steps/`` has no ``ingest_data.py``): the
    test cannot even be collected."""
    tree = ctx.tree(path)
    if tree is None:
        return None
    # every folder holding Python code, also below it (a package of subpackages only)
    folders = ctx.memo("source_folders", lambda: {"/".join(parts[:i]) for f in ctx.files() if f.endswith(".py")
                                                  for parts in [f.split("/")] for i in range(1, len(parts))})
    parts = path.split("/")[:-1]
    roots = ["/".join(parts[:i]) for i in range(len(parts), -1, -1)]
    roots += [f"{r}/src" if r else "src" for r in roots]
    for node in walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module and not node.level and "." in node.module):
            continue
        names = node.module.split(".")
        packages = [f"{root}/{names[0]}" if root else names[0] for root in roots]
        if not any(p in folders for p in packages):
            continue  # an installed package, not one of the project's
        targets = ["/".join([p, *names[1:]]) for p in packages]
        if not any(t in folders or ctx.repo.exists(f"{t}.py") or ctx.repo.exists(f"{t}/__init__.py") for t in targets):
            return node.module  # no folder of that name anywhere holds the module
    return None


def _js_tests_something(text: str) -> bool:
    """A JavaScript/TypeScript spec expecting more than a scaffold's ``toBeDefined()`` (one with
    no ``expect`` at all asserts some other way)."""
    expects = text.count("expect(")
    return expects == 0 or expects > len(_SCAFFOLD_EXPECT.findall(text))


def _tests_something(tree: ast.Module | None) -> bool:
    """A test module with at least one test that runs and checks something: not only
    placeholders (``pass``, ``assert False, "No tests written"``, a bare skip) or tests marked
    skip/xfail. A module the parser cannot read is given the benefit of the doubt."""
    if tree is None:
        return True
    # test functions are defined at the top of the module or in its classes
    scopes = [tree.body, *(n.body for n in tree.body if isinstance(n, ast.ClassDef))]
    tests = [n for body in scopes for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.name.startswith("test")]
    return any(_real_test(fn) for fn in tests)


def _real_test(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if any(_SKIPPED.search(ast.unparse(d)) for d in fn.decorator_list):
        return False
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    if all(isinstance(s, ast.Pass) for s in body):
        return False  # empty, a docstring or ``...`` only
    checks = [s for s in body if not isinstance(s, (ast.Import, ast.ImportFrom))]
    if checks and all(isinstance(s, ast.Assert) and "__version__" in ast.unparse(s.test) for s in checks):
        return False  # the package imports and has its version: a set-up check, no behaviour tested
    if len(body) == 1:
        only = body[0]
        if isinstance(only, ast.Assert) and isinstance(only.test, ast.Constant):
            return False  # assert True / assert False, "TODO"
        if isinstance(only, ast.Expr) and isinstance(only.value, ast.Call) \
                and _SKIPPED.search(ast.unparse(only.value.func)):
            return False  # pytest.skip("not yet")
        if isinstance(only, ast.Raise) and "NotImplementedError" in ast.unparse(only):
            return False
    calls = {callee(n) for n in walk(fn) if isinstance(n, ast.Call)}
    if calls and calls <= {"print"}:
        return False  # a template's placeholder exercising the language, no code of the project
    asserts = any(isinstance(n, ast.Assert) for n in walk(fn)) or any(_CHECKING.search(str(c)) for c in calls)
    if not asserts and "print" in calls:
        return False  # a smoke script printing what it got for a person to read: nothing is checked
    return True


#: calls that check something in a test (``self.assertEqual``, ``pytest.raises``, ``np.testing.assert_*``)
_CHECKING = re.compile(r"assert|raises|expect|fail|check|verify|approx", re.I)


#: clients that consume a message stream: a service scoring each record it reads serves the model.
_STREAM_CONSUMERS = re.compile(r"^(quixstreams\.Application\w*|kafka\.KafkaConsumer|confluent_kafka\.\w*Consumer|"
                               r"aiokafka\.AIOKafkaConsumer|faust\.App|pulsar\.Client\.subscribe|"
                               r"google\.cloud\.pubsub_v1\.SubscriberClient|azure\.eventhub\.\w*ConsumerClient\w*)$")


def _stream_consumer(facts: Any) -> Any:
    """The call creating a stream consumer in a module that also predicts, if any."""
    if facts is None or not any(c.name.rsplit(".", 1)[-1] in _PREDICT_CALLS for c in facts.calls):
        return None
    return next((c for c in facts.calls if _STREAM_CONSUMERS.match(c.name)), None)


_PREDICT_CALLS = frozenset({"predict", "predict_proba", "decision_function", "score_samples"})


def _apps_and_loaders(ctx: ScanContext) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """The line of the web app each module makes, and (line, call) of the model each one loads."""
    apps: dict[str, int] = {}
    loaders: dict[str, tuple[int, str]] = {}
    for path, facts in ctx.python_files(notebooks=False):
        if is_template_path(path) or is_test_path(path):
            continue
        # the imports first: a file importing no web framework or model library is not parsed
        app = _app_line(facts) if facts.imports_any(_WEB_ROOTS) else None
        if app is not None:
            apps[path] = app
        load = _model_load(ctx, path, facts) or _loader_reference(ctx.text(path) or "", facts)
        if load is not None:
            loaders[path] = load
    return apps, loaders


def _scoring(ctx: ScanContext, path: str, load: tuple[int, str]) -> Scoring | None:
    tree = ctx.tree(path) if path.endswith(".py") else None
    return batch_scoring(tree, load) if tree is not None else None


def _job_commands(ctx: ScanContext, files: list[str],
                  manifests: list[tuple[str, int, dict]]) -> Iterator[tuple[str, str, int | None, list[str]]]:
    """(what, path, line, commands) of what starts a job: a Dockerfile's ``CMD``/``ENTRYPOINT``,
    the containers of a Kubernetes Job or CronJob, a crontab entry."""
    for path in files:
        if is_dockerfile(path):
            for line, instruction, command in image_commands(ctx.text(path) or ""):
                yield f"{path} {instruction}", path, line, [command]
        elif is_cron_file(path):
            for line, command in cron_entries(ctx.text(path) or ""):
                yield f"crontab {path}", path, line, [command]
    for path, line, doc in manifests:
        if doc.get("kind") in ("Job", "CronJob") and isinstance(doc.get("spec"), dict):
            yield f"Kubernetes {doc['kind']} {path}", path, line, container_commands(doc["spec"])
    yield from _dag_task_commands(ctx)
    yield from _ml_pipeline_steps(ctx)
    # an orchestrator's jobs (Databricks bundles, dbx, Jobs API definitions): what their tasks run
    for pipeline in read_ci(ctx).pipelines:
        if not pipeline.ci and not pipeline.error:
            for job in pipeline.jobs:
                for step in job.steps:
                    if step.run:
                        yield f"{pipeline.system} job '{job.name}' ({job.file})", job.file, step.line, \
                            [_with_suffix(ctx, step.run)]


def _with_suffix(ctx: ScanContext, run: str) -> str:
    """``python notebooks/BatchInference``: a job's notebook task names its notebook without the
    suffix the repository's file has."""
    words = run.split(" ", 2)
    if len(words) >= 2 and words[0] == "python" and "." not in words[1].rsplit("/", 1)[-1] \
            and ctx.repo is not None and ctx.repo.exists(words[1] + ".py"):
        return " ".join(["python", words[1] + ".py", *words[2:]])
    return run


#: SDKs whose pipeline steps name the command or script they run (Azure ML v1 steps, v2 ``command``).
_STEP_SDKS = ("azureml.pipeline", "azure.ai.ml")


def _ml_pipeline_steps(ctx: ScanContext) -> Iterator[tuple[str, str, int | None, list[str]]]:
    """The commands of Azure ML pipeline steps (``CommandStep(command="python -m src.score ...")``,
    ``PythonScriptStep(script_name="score.py")``, v2 ``command(command=...)``): the literal parts
    of the command, f-string placeholders left out."""
    for path, facts in ctx.python_files(notebooks=False):
        if not facts.imports_any(_STEP_SDKS) or is_test_path(path):
            continue
        tree = ctx.tree(path)
        for node in walk(tree) if tree is not None else ():
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                text = _literal_text(kw.value) if kw.arg in ("command", "script_name") else ""
                if text:
                    command = text if kw.arg == "command" else f"python {text}"
                    yield f"Azure ML pipeline step {callee(node)} ({path})", path, node.lineno, [command]


def _literal_text(node: ast.AST) -> str:
    """The literal text of a string, an f-string (placeholders dropped) or a concatenation of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_text(node.left) + _literal_text(node.right)
    return ""


#: Ansible modules that create cloud or cluster resources (not ones that configure a host)
_ANSIBLE_CLOUD = re.compile(r"^(google\.cloud\.)?gcp_\w+$|^(amazon\.aws\.|community\.aws\.)?(ec2|ecs|eks|rds|s3_bucket|"
                            r"elb|lambda|iam)_\w*$|^(azure\.azcollection\.)?azure_rm_\w+$|^kubernetes\.core\.(k8s|helm)$"
                            r"|^(community\.general\.)?terraform$")


def _ansible_provisions(ctx: ScanContext, path: str) -> bool:
    """An Ansible playbook (plays with hosts and tasks) whose tasks create cloud or cluster resources."""
    text = ctx.text(path) or ""
    if "hosts:" not in text or "tasks:" not in text or ctx.repo is None or ctx.repo.size(path) > MAX_YAML_BYTES:
        return False
    try:
        docs = ctx.structured(path)
    except ParseError:
        return False
    plays = [p for doc in docs if isinstance(doc, list) for p in dicts(doc) if "hosts" in p]
    return any(_ANSIBLE_CLOUD.match(str(key)) for play in plays for task in dicts(play.get("tasks")) for key in task)


def _imported_by_jobs(ctx: ScanContext, runners: dict[str, tuple[str, str, int | None]],
                      wanted: Iterable[str]) -> dict[str, tuple[str, str, int | None]]:
    """Scoring modules that a script run by a job imports (a job's notebook doing ``from predict
    import predict_batch``): the module runs in that job."""
    wanted = {p for p in wanted if p not in runners}
    if not wanted:
        return {}
    index = module_index([p for p in ctx.files() if p.endswith(".py")])
    out: dict[str, tuple[str, str, int | None]] = {}
    for script, (what, path, line) in runners.items():
        facts = ctx.python(script) if script.endswith(".py") else None
        for module in facts.imports if facts is not None else ():
            target = index.get(module)
            if target in wanted:
                out.setdefault(target, (f"{what}, through {script}", path, line))
    return out


def _serverless_handler(ctx: ScanContext, path: str) -> tuple[str, str, int | None] | None:
    """A serverless function's entry point in the module (``def handler(event, context)`` of AWS
    Lambda and Cloud Functions, a ``functions_framework`` function): the cloud runs the module."""
    node = _handler_node(ctx.tree(path) if path.endswith(".py") else None)
    return (f"the serverless function {node.name} ({path})", path, node.lineno) if node is not None else None


def _handler_node(tree: ast.Module | None) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body if tree is not None else ():
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = [a.arg for a in node.args.args]
        decorated = any(dotted(d.func if isinstance(d, ast.Call) else d).startswith("functions_framework")
                        for d in node.decorator_list)
        if params[-2:] == ["event", "context"] or decorated:
            return node
    return None


def _serverless_inference(ctx: ScanContext, path: str, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The serverless function of a module that answers each invocation with the model the module
    loads (at import, ``twin = joblib.load(...)`` used in the handler, or in the handler itself)."""
    tree = ctx.tree(path) if path.endswith(".py") else None
    handler = _handler_node(tree)
    if tree is None or handler is None:
        return None
    loaded = {t.id for node in tree.body if isinstance(node, ast.Assign) and node.lineno == line
              for t in node.targets if isinstance(t, ast.Name)}
    inside = handler.lineno <= line <= (handler.end_lineno or handler.lineno)
    uses = inside or any(isinstance(n, ast.Name) and n.id in loaded for n in walk(handler))
    answers = any(isinstance(n, ast.Return) and n.value is not None for n in walk(handler))
    return handler if uses and answers else None


#: Databricks REST paths that create, update or enable a model serving endpoint
_SERVING_API = re.compile(r"/api/2\.\d/(?:serving-endpoints|mlflow/endpoints(?:-v2)?/enable)")
#: HTTP calls that change something (a GET only reads an endpoint)
_HTTP_WRITES = frozenset({"post", "put", "patch"})


#: Airflow operators that run a command, and the arguments that hold it.
_COMMAND_OPERATORS = {"BashOperator": ("bash_command",), "SSHOperator": ("command",), "DockerOperator": ("command",),
                      "KubernetesPodOperator": ("cmds", "arguments")}


def _dag_task_commands(ctx: ScanContext) -> Iterator[tuple[str, str, int | None, list[str]]]:
    """The commands an orchestrator's tasks run (``BashOperator(bash_command="python score.py")``)."""
    for path, facts in ctx.python_files(notebooks=False):
        if is_test_path(path) or not facts.imports_any(("airflow",)):
            continue
        for call in facts.calls:
            keys = _COMMAND_OPERATORS.get(call.name.rsplit(".", 1)[-1])
            if not keys:
                continue
            words = [v for k in keys for v in _strings(call.kwarg(k))]
            if words:
                yield f"Airflow task {call.name.rsplit('.', 1)[-1]} in {path}", path, call.line, [" ".join(words)]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, tuple) else []


def _app_line(facts: PyFacts) -> int | None:
    for call in facts.calls:
        if call.name in _WEB_APP_CALLS or call.name.startswith("streamlit."):
            return call.line
    return None


def _model_load(ctx: ScanContext, path: str, facts: PyFacts) -> tuple[int, str] | None:
    """(line, call) of the first model a file loads from a file, a registry or a hub, or builds
    from a model zoo with pretrained weights (any library's ``pretrained=True``: doctr's
    ``ocr_predictor``, a zoo's ``get_model``)."""
    pretrained = next((c for c in facts.calls if c.kwarg("pretrained") is True), None)
    if pretrained is not None:
        return pretrained.line, pretrained.name
    # any library's ``Model.load("models/xgb_model.pkl")``: a saved model file loaded by name
    saved = next((c for c in facts.calls if c.name.rsplit(".", 1)[-1] in _LOAD_CALLS
                  and any(isinstance(a, str) and _MODEL_FILE.search(a) for a in c.args)), None)
    if saved is not None:
        return saved.line, saved.name
    if not facts.imports_any(_MODEL_ROOTS):
        return None
    # a foundation model answered through the Bedrock runtime (``boto3.client("bedrock-runtime")``
    # then ``converse``/``invoke_model``)
    bedrock = any(c.name == "boto3.client" and "bedrock-runtime" in c.args for c in facts.calls)
    for call in facts.calls:
        if _MODEL_LOAD.match(call.name) or bedrock and call.name.rsplit(".", 1)[-1] in _BEDROCK_ANSWERS:
            return call.line, call.name
        default = next((pretrained for rx, pretrained in _MODEL_ZOO if rx.match(call.name)), None)
        if default is not None and _with_weights(ctx.tree(path), call, default):
            return call.line, call.name
    return None


_LOAD_CALLS = frozenset({"load", "load_model", "from_file", "restore"})
#: files a model is saved in (not arrays or tables: ``.npy``, ``.csv``)
_MODEL_FILE = re.compile(r"\.(pkl|pickle|joblib|pt|pth|h5|keras|onnx|cbm|ckpt|safetensors|sav)$", re.I)
_BEDROCK_ANSWERS = frozenset({"converse", "converse_stream", "invoke_model", "invoke_model_with_response_stream"})


def _zoo(name: str) -> bool:
    """A model-zoo constructor: it builds an architecture, pretrained or not."""
    return any(rx.match(name) for rx, _ in _MODEL_ZOO)


def _with_weights(tree: ast.Module | None, call: Call, default: bool) -> bool:
    """Whether a model-zoo constructor is given pretrained weights: ``weights=None`` or
    ``pretrained=False`` builds an untrained architecture (to train, not to serve)."""
    if tree is None:
        return default
    name = call.name.rsplit(".", 1)[-1]
    node = next((n for n in walk(tree) if isinstance(n, ast.Call) and n.lineno == call.line and callee(n) == name),
                None)
    if node is None:
        return False  # the network built elsewhere, called on data (``model(x)`` resolves to its class)
    for kw in node.keywords:
        if kw.arg in ("weights", "pretrained"):
            return not (isinstance(kw.value, ast.Constant) and kw.value.value in (None, False, ""))
    return default


def _own_pipeline(ctx: ScanContext, path: str) -> tuple[str, str, int | None] | None:
    """The module is itself a pipeline (an Airflow DAG, a Prefect flow): its tasks score the data."""
    facts = ctx.python(path)
    tool = facts.imports_any(ORCHESTRATORS) if facts is not None else None
    if tool is None:
        return None
    return f"{tool.split('.')[0]} pipeline tasks in {path}", path, facts.imports.get(tool)


def _helper_loads(ctx: ScanContext, loaders: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """(line, call) of the model a module loads through a function of another project module that
    loads one (``loaded = get_latest_model_from_aml(ws, name)`` imported ``from ..utils``, relative
    imports too), for modules that predict and load nothing themselves."""
    index = module_index(loaders)
    out: dict[str, tuple[int, str]] = {}
    for path, facts in ctx.python_files(notebooks=False):
        if path in loaders or is_test_path(path) or is_template_path(path) \
                or not any(c.name.rsplit(".", 1)[-1] in _PREDICT_CALLS for c in facts.calls):
            continue
        tree = ctx.tree(path)
        for node in walk(tree) if tree is not None else ():
            if not isinstance(node, ast.ImportFrom):
                continue
            module = _absolute(path, node.module or "", node.level)
            target = index.get(module)
            loading = _loading_functions(ctx, target) if target else set()
            names = {a.asname or a.name for a in node.names if a.name in loading}
            call = next((c for c in facts.calls if c.name in names), None)
            if call is not None:
                out[path] = (call.line, call.name)
                break
    return out


def _absolute(path: str, module: str, level: int) -> str:
    """The dotted module an import names, relative ones resolved from ``path``'s package."""
    if not level:
        return module
    package = path.rsplit("/", 1)[0].split("/") if "/" in path else []
    base = package[:len(package) - (level - 1)] if level - 1 <= len(package) else []
    return ".".join([*base, *([module] if module else [])])


def _loading_functions(ctx: ScanContext, path: str) -> set[str]:
    """Functions of a module that load a model, themselves or through each other
    (``get_latest_model`` -> ``LoadedModel.from_registry`` -> ``mlflow.pyfunc.load_model``)."""
    facts, tree = ctx.python(path), ctx.tree(path)
    if facts is None or tree is None:
        return set()
    spans = {n.name: (n.lineno, n.end_lineno or n.lineno) for n in walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    loading: set[str] = set()
    for _ in range(3):
        lines = [c.line for c in facts.calls if _MODEL_LOAD.match(c.name) or c.name.rsplit(".", 1)[-1] in loading]
        grown = {name for name, (a, b) in spans.items() if any(a <= line <= b for line in lines)}
        if grown <= loading:
            break
        loading |= grown
    return loading


def _imported_modules(ctx: ScanContext, path: str) -> list[str]:
    """Modules a file imports (``from pkg import mod`` gives ``pkg.mod`` too)."""
    facts = ctx.python(path)
    return list(facts.imports) if facts else []


def _loader_for(ctx: ScanContext, app: str, index: dict[str, str],
                loaders: dict[str, tuple[int, str]]) -> tuple[str, tuple[int, str]] | None:
    """The model-loading file behind an app: itself, a sibling module, or a local module it
    imports (followed up to ``IMPORT_DEPTH`` levels)."""
    folder = app.rsplit("/", 1)[0] if "/" in app else None
    for path, load in sorted(loaders.items()):
        # a sibling that builds a zoo network (rather than loading a model) is as likely to train it
        if path == app or (folder is not None and path.rsplit("/", 1)[0] == folder and not _zoo(load[1])):
            return path, load
    # a module of the app folder's own subpackages (the service's inference engine), which a
    # factory may reach by a dynamic import (``__import__(engine_name)``) no import statement shows
    for path, load in sorted(loaders.items()):
        if folder is not None and path.startswith(folder + "/") and not _zoo(load[1]):
            return path, load
    proj = project(ctx)
    seen, frontier = {app}, [app]
    for _ in range(IMPORT_DEPTH):
        nxt = []
        for path in frontier:
            # the project's view first (relative imports, a neighbour before a namesake elsewhere),
            # then any module of that name
            module = proj.module(path)
            near = [proj.import_target(module, name) for name in module.imports] if module else []
            far = [index.get(imp) or index.get(imp.rsplit(".", 1)[0]) for imp in _imported_modules(ctx, path)]
            for target in near + far:
                if target and target not in seen:
                    if target in loaders:
                        return target, loaders[target]
                    seen.add(target)
                    nxt.append(target)
        frontier = nxt
    return None


def _loader_reference(text: str, facts: PyFacts) -> tuple[int, str] | None:
    """A loader passed around rather than called (``{"xgb": mlflow.xgboost.load_model}``)."""
    if not facts.imports_any(_LOADER_MODULES):
        return None
    code = uncommented(text)
    m = _LOADER_REF.search(code)
    return (code.count("\n", 0, m.start()) + 1, m.group(1)) if m else None


