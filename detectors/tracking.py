"""Experiment tracking practices that are not a plain library call: notebooks, configuration
kept apart from code, pinned environments, gated registry promotion, tracker logs committed
with the code, and experiments declared in config files (sweeps, DVC parameters and metrics).

Tracker, HPO and registry library use is matched from ``catalogue/tracking.yaml`` by the
generic tool detector.
"""
from __future__ import annotations

import ast
import posixpath
import re
from collections import defaultdict
from dataclasses import replace
from typing import Iterator

from detectors.catalogue import match_calls, tools_for
from detectors.ci import read_ci
from detectors.data import call_tail, code_files, is_test_path
from detectors.deployment import dockerfile_purpose
from detectors.dockerfile import ML_BASE_IMAGE, build_commands, image_commands, is_dockerfile, uncommented
from detectors.experiment_configs import (Finding, command_texts, dvc_params_files, dvc_tracked, hydra_sweeps,
                                         wandb_sweeps)
from detectors.flow import is_route, project, words
from detectors.grid_search import grid_searches
from detectors.manifests import Requirement, component_packages, requirements, unreadable_manifests
from detectors.promotion import (MUTATION_HINTS, Gate, abort_gates, automated_moves, decision_gates, gated_calls,
                                 promoting_functions, promoting_tasks, registers_models)
from detectors.registries import in_house_registries
from detectors.shapes import as_dict, first_mapping
from detectors.tools import is_run_store_path, is_template_path
from scanner.detector import Detector, ParseError, ScanContext
from scanner.model import Evidence, Outcome, Tier
from scanner.parsing.python import PyFacts, walk

# -- configuration --------------------------------------------------------------------------------
CONFIG_DIRS = frozenset({"config", "configs", "configuration", "configurations", "conf", "cfg", "params", "hparams",
                         "hyperparams", "experiments", "experiment"})
_CONFIGS_OF_A_KIND = ("_configs", "-configs", "_config", "-config", "_cfgs")
_ENVIRONMENT_CONFIG = re.compile(r"(^|[_.-])(prod|production|staging|stage|dev|qa|uat|preprod"
                                 # the settings of what serves the model (endpoint sizing, a cluster)
                                 r"|endpoints?|deploy|deployments?|serving|infra|clusters?"
                                 # and the keys to reach a cloud (aws_credentials.json)
                                 r"|credentials?|secrets?|service[_-]?account|tokens?)([_.-]|$)")
#: folders of infrastructure as code and its inputs
_INFRA_DIRS = frozenset({"infrastructure", "infra", "bicep", "terraform", "arm", "iac", "cloudformation"})
_CONFIG_NAME = re.compile(r"(^|[_.-])(config|cfg|params|hparams|hyperparams)([_.-]|$)"
                          # ``parameters.json``, but not an ARM/CloudFormation ``x.parameters.json``
                          r"|(^|[_-])(hyper)?parameters([_.-]|$)", re.I)
#: tool configuration that happens to be YAML/JSON/TOML: never an experiment config.
_TOOL_CONFIG = re.compile(r"(^|/)(\.github|\.gitlab|\.circleci|\.devcontainer|\.vscode|\.idea|\.zen|\.zenml|"
                          r"\.streamlit|\.dvc|node_modules)/|"
                          r"pre-commit|docker-compose|compose\.ya?ml$|mkdocs|readthedocs|dependabot|"
                          r"renovate|codecov|tsconfig|package(-lock)?\.json$|eslint|prettier|"
                          r"(^|/)(dvc|prefect|catalog|pyproject|alembic)\.", re.I)
_LOADER = re.compile(r"^(yaml\.(safe_load|load|full_load|unsafe_load)|json\.loads?|toml\.loads?|tomllib\.loads?|"
                     r"omegaconf\.OmegaConf\.load|configparser\.\w+|\.read_yaml|\.load_config|"
                     r"hydra\.main|hydra\.initialize\w*|hydra\.compose|"
                     # a Metaflow flow's ``Config("model", default="configs/model.json")``
                     r"metaflow\.Config)$")
#: keywords that hand a config file to a framework that reads it.
_CONFIG_KWARGS = ("config_path", "config_file")
#: Kedro reads ``conf/<env>/parameters*.yml`` itself and hands them to nodes as ``params:`` inputs.
_KEDRO_PARAMETERS = re.compile(r"(^|/)conf/[^/]+/(parameters[^/]*|[^/]+/parameters[^/]*)\.ya?ml$", re.I)
#: an environment variable or argument carrying a run's JSON configuration.
_CONFIG_KEY = re.compile(r"^[A-Z0-9_]*(CONFIG|CONF|PARAMS|HPARAMS|HYPERPARAMS|CATALOG)[A-Z0-9_]*$")

# -- environments ---------------------------------------------------------------------------------
LOCKFILES = ("poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "conda-lock.yml", "*.conda-lock.yml",
             "pixi.lock")
#: packages that make an environment an ML environment (a pinned docs toolchain is not one).
ML_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "torch", "pytorch", "tensorflow", "keras", "xgboost",
               "lightgbm", "catboost", "mlflow", "transformers", "jax", "statsmodels", "prophet",
               "polars", "pyspark", "spacy", "nltk", "onnxruntime", "pytorch-lightning", "lightning",
               "sentence-transformers", "optuna", "wandb",
               # the SDKs of managed ML platforms: a pipeline's or a training job's environment
               "kfp", "tfx", "google-cloud-aiplatform", "sagemaker", "azureml-sdk", "azureml-core",
               "azure-ai-ml", "tensorflow-transform", "tensorflow-data-validation", "databricks-feature-engineering")
_ML_PACKAGE = re.compile(r"(?<![\w-])(" + "|".join(re.escape(p) for p in ML_PACKAGES) + r")(?![\w-])", re.I)
#: a training image: named for training, or starting a training script.
_TRAINING = re.compile(r"(^|[/_. \"'-])(re)?train(ing|er)?([/_. \"'-]|$)|fine_?tun", re.I)
#: share of pinned requirements above which a requirement file is a pinned environment.
PINNED_SHARE = 0.6
#: the share that suffices when every ML package of the file is pinned.
ML_PINNED_SHARE = 0.5
MIN_REQUIREMENTS = 3

# -- tracker logs ---------------------------------------------------------------------------------
#: TensorBoard event files (what SummaryWriter, Lightning, Keras, Ignite and Ray write).
_EVENT_FILE = re.compile(r"(^|/)events\.out\.tfevents\.[^/]+$")
#: Lightning's Trainer writes TensorBoard events by default (``lightning_logs/``).
_LIGHTNING_TRAINER = re.compile(r"^(pytorch_lightning|lightning)(\.pytorch)?\.(trainer\.)*Trainer$")


class TrackingDetector(Detector):
    """Experiment tracking practices read from files.

    * ``tracking.notebooks``: Jupyter notebooks in the repository, and notebooks kept as Python
      scripts (Databricks source notebooks, jupytext scripts), counted in ``notebooks``.
    * ``tracking.config_management``: experiment config files (``params.yaml``, ``configs/*.yaml``...)
      that code or ``dvc.yaml`` reads (or a Makefile, script, workflow, DVC stage or README usage
      command hands to a script that loads configs), or run configuration decoded from JSON handed to the training code. Hydra/OmegaConf/gin come from the catalogue.
    * ``tracking.reproducible_env``: lockfiles, mostly pinned requirement/pyproject/conda files (or
      half pinned with every ML package among the pins) of
      an ML environment (a pinned docs-only toolchain does not count), training images (a
      Dockerfile that trains, or that a compose stack builds for its training service) built on
      a versioned ML framework image or with pinned installs.
    * ``tracking.registry_promotion``: a registry alias/stage change or registration (directly or
      through a project helper) that only runs behind an evaluation gate (an ``if`` comparing a
      metric or testing an acceptance flag, an early exit on an evaluation's verdict, a policy
      function returning a metric comparison). The same finding is a registry stage gate before
      production, so it is also ``governance.approval_gates`` evidence.
    * ``tracking.model_registry``: models pushed to the Hugging Face Hub by project code, or loaded
      from the MLflow registry by a ``models:/`` URI (literal, f-string or concatenation); a
      registry the project keeps itself: a persisted table of model versions with a lifecycle
      column, or a live alias symlink a helper re-points (``detectors.registries``).
    * ``tracking.library``: TensorBoard event files committed (``lightning_logs/``, ``runs/``)
      prove a tracker ran (``executed``), when the code writes them with a tracker logger (or a
      Lightning Trainer, whose default logger they come from); without such code they are
      declared only.
    * ``tracking.hpo``: W&B sweep files that a ``wandb sweep`` command or ``wandb.sweep`` call
      runs (an unused one is declared); Hydra sweepers (Optuna, Ax, Nevergrad... or sweep
      ``params``) in the configs of a Hydra app, and ``--multirun`` launches of one; grid and
      random searches written by hand (``detectors.grid_search``).
    * ``tracking.params_metrics``: ``dvc.yaml`` stages that declare the parameters they read,
      with metrics or plots DVC compares (or DVCLive writing them).
    * ``governance.approval_gates`` alone: such a gate in front of a deploy/activate call, or an
      evaluation step that cancels or fails its run unless the new model clears its bar, in a
      project that registers models in a later step (``detectors.promotion``).
    """

    id = "tracking"
    cost = 10
    signals = ("tracking.notebooks", "tracking.config_management", "tracking.reproducible_env",
               "tracking.registry_promotion", "governance.approval_gates", "tracking.library",
               "tracking.hpo", "tracking.params_metrics")

    def detect(self, ctx: ScanContext) -> Iterator[Evidence]:
        if ctx.repo is None:
            return
        yield from self._notebooks(ctx)
        yield from self._config_files(ctx)
        yield from self._run_config(ctx)
        yield from self._job_parameters(ctx)
        yield from self._python_configs(ctx)
        yield from self._environment(ctx)
        yield from self._promotion(ctx)
        yield from self._event_files(ctx)
        yield from self._approved_versions(ctx)
        yield from self._sweeps(ctx)
        yield from self._dvc_params_metrics(ctx)
        yield from self._hub_pushes(ctx)
        yield from self._in_house_registries(ctx)
        yield from self._registry_loads(ctx)

    # -- registry approval ---------------------------------------------------------------------
    def _approved_versions(self, ctx: ScanContext) -> Iterator[Evidence]:
        """Deployment that takes only the model versions approved in the SageMaker model registry:
        deploy code listing the packages whose ``ModelApprovalStatus`` is ``Approved``, or an event
        rule starting the deployment when a package turns ``Approved`` (a person, or the pipeline's
        check, approves first). Setting a package to Approved in code approves, it gates nothing."""
        # (the project's Python modules only, each asked without a parse: reading every file of
        # the repository for the word would cost a large repository more than the whole scan)
        for path, facts in ctx.python_files(notebooks=False):
            if is_template_path(path) or is_test_path(path) or not facts.may_name("ModelApprovalStatus"):
                continue
            text = ctx.text(path) or ""
            m = _APPROVED_FILTER.search(text)
            if m and (_LISTS_PACKAGES.search(text) or _PACKAGE_EVENT in text):
                how = "an event rule on approval" if _PACKAGE_EVENT in text else "only approved packages listed"
                yield self.evidence("governance.approval_gates",
                                    f"deployment takes only model versions approved in the SageMaker model registry "
                                    f"({how}) in {path}", ctx.location(path, text.count("\n", 0, m.start()) + 1),
                                    subject=f"approved:{path}")
                return

    # -- Hugging Face Hub ------------------------------------------------------------------------
    def _hub_pushes(self, ctx: ScanContext) -> Iterator[Evidence]:
        """A trained model pushed to the Hugging Face Hub by project code: the Hub keeps each push
        as a revision of the model repository, which serving then loads by its id."""
        for path, _ in code_files(ctx):
            text = ctx.text(path) or ""
            if "push_to_hub" not in text or ctx.is_notebook(path):
                continue
            found = _model_push(ctx.tree(path))
            if found:
                line, call = found
                yield self.evidence("tracking.model_registry", f"{call} pushes the trained model to the Hugging Face "
                                    f"Hub (versioned model repository) in {path}", ctx.location(path, line),
                                    subject=f"hub:{path}", kind="hugging face hub")
                return

    def _registry_loads(self, ctx: ScanContext) -> Iterator[Evidence]:
        """A model loaded from the MLflow registry by name (``models:/churn/3``, ``models:/churn@prod``,
        also built in an f-string): the project keeps its models as registered versions, even when
        it registers them by hand."""
        for path, facts in code_files(ctx, notebooks=True):
            if "models:/" not in (ctx.text(path) or "") or not facts.imports_any(("mlflow",)):
                continue
            line = _registry_uri_call(ctx.tree(path))
            if line is not None:
                yield self.evidence("tracking.model_registry", f"model loaded from the MLflow registry (models:/ URI) "
                                    f"in {path}", ctx.location(path, line), subject=f"registry-uri:{path}",
                                    kind="registry uri")
                return

    def _in_house_registries(self, ctx: ScanContext) -> Iterator[Evidence]:
        """A registry the project keeps itself (``detectors.registries``)."""
        for found in in_house_registries(project(ctx)):
            yield self.evidence("tracking.model_registry", f"in-house model registry: {found.what} in {found.path}",
                                ctx.location(found.path, found.line), subject=f"in-house:{found.path}",
                                kind="in-house")

    # -- notebooks -------------------------------------------------------------------------------
    def _notebooks(self, ctx: ScanContext) -> Iterator[Evidence]:
        jupyter = [p for p in ctx.files() if p.lower().endswith(".ipynb") and not is_template_path(p)]
        paired = {p[:-len(".ipynb")] + ".py" for p in jupyter}
        # notebooks kept as scripts (a Databricks source notebook); a script exported beside its
        # .ipynb is the same notebook, counted once
        scripts = [p for p in ctx.files() if p.endswith(".py") and p not in paired and not is_template_path(p)
                   and ctx.is_notebook(p)]
        notebooks = jupyter + scripts
        if notebooks:
            yield self.evidence("tracking.notebooks", f"{len(notebooks)} notebook(s)",
                                *[ctx.location(p) for p in notebooks[:10]], notebooks=len(notebooks))

    # -- configuration ---------------------------------------------------------------------------
    def _config_files(self, ctx: ScanContext) -> Iterator[Evidence]:
        # a Kubernetes resource (a ConfigMap of service settings) configures a cluster, not an experiment
        candidates = [p for p in ctx.files() if _is_config_candidate(p) and not _K8S_RESOURCE.search(ctx.text(p) or "")]
        if not candidates:
            return
        sources = list(code_files(ctx, notebooks=True))
        # a web service's own settings (the models it serves, their thresholds) configure the
        # service, not an experiment: a module serving routes reads no experiment config
        readers = {path: ctx.text(path) or "" for path, facts in sources if _loader_lines(facts) and not _serves(ctx, path)}
        helpers = _loader_helpers(ctx, sources)
        # ``cfg = read_config("configs/train.yaml")``: the file naming the config calls a project
        # helper that wraps the loader, so the caller is the reader too.
        readers.update({path: ctx.text(path) or "" for path, facts in sources
                        if path not in readers and any(_calls_helper(c.name, helpers) for c in facts.calls)})
        dvc_text = "\n".join(ctx.text(p) or "" for p in ctx.repo.glob("dvc.yaml"))
        dvc_params = dvc_params_files(ctx)
        used = []
        kedro = _kedro_parameter_reader(ctx)
        # ``CONFIG ?= configs/baseline.yaml`` then ``python evaluation/run_eval.py --config $(CONFIG)``:
        # a command file naming both the config and a reader hands the one to the other
        # (a commented-out line launches nothing: ``#--jinja-variables-file=params.yaml``)
        launchers = {p: uncommented(ctx.text(p) or "") for p in ctx.files()
                     if _LAUNCHER.search(p) and not is_template_path(p)}
        readmes = {p: ctx.text(p) or "" for p in ctx.files() if _README.search(p) and not is_template_path(p)}
        for path in candidates:
            reader = _reader_of(path, readers) or (kedro if _KEDRO_PARAMETERS.search(path) else None) \
                or _launched_with(path, launchers, readers) or _documented_with(path, readmes, readers) \
                or _named_for_reader(ctx, path, sources, readers)
            if reader is None and (path in dvc_params or path.rsplit("/", 1)[-1].startswith("params.") and dvc_text):
                reader = "dvc.yaml"
            if reader:
                used.append((path, reader))
        if used:
            path, reader = used[0]
            yield self.evidence("tracking.config_management",
                                f"{len(used)} experiment config file(s), e.g. {path} read by {reader}",
                                *[ctx.location(p) for p, _ in used[:8]], files=[p for p, _ in used[:20]])

    def _python_configs(self, ctx: ScanContext) -> Iterator[Evidence]:
        """Experiment configs kept as Python files of settings (``config/train_gpt2.py``) that the
        project runs to override its defaults (``exec(open(config_file).read())``, ``runpy``,
        OpenMMLab's ``Config.fromfile``)."""
        configs = [p for p in ctx.files() if p.endswith(".py") and CONFIG_DIRS.intersection(p.lower().split("/")[:-1])
                   and not is_template_path(p) and not is_test_path(p) and _settings_only(ctx, p)]
        if not configs:
            return
        runner = next(((path, call) for path, facts in code_files(ctx) if path not in configs
                       for call in _config_runs(ctx, path, facts)), None)
        if runner is None:
            return
        (path, (line, how)) = runner
        yield self.evidence("tracking.config_management",
                            f"{len(configs)} Python config file(s) of settings, e.g. {configs[0]}, run by {path} ({how})",
                            ctx.location(path, line), *[ctx.location(p) for p in configs[:7]], subject="python-configs",
                            files=configs[:20])

    def _job_parameters(self, ctx: ScanContext) -> Iterator[Evidence]:
        """Run configuration kept in an orchestrator's job definition and read by the notebook it
        runs (a Databricks task's ``base_parameters``, read with ``dbutils.widgets.get``)."""
        for pipeline in read_ci(ctx).pipelines:
            for job in pipeline.jobs if not pipeline.ci else ():
                for step in job.steps:
                    words = step.run.split()
                    notebook = _notebook_file(ctx, words[1]) if step.args and words[:1] == ["python"] else None
                    # ``dbutils`` is a global the notebook never imports: its calls are found in the text
                    text = (ctx.text(notebook) or "") if notebook else ""
                    read = _WIDGET_READ.search(text)
                    if read is not None:
                        line = text.count("\n", 0, read.start()) + 1
                        yield self.evidence("tracking.config_management",
                                            f"{pipeline.system} job '{job.name}' hands its run configuration to "
                                            f"{notebook}, which reads it with dbutils.widgets.get",
                                            ctx.location(job.file, step.line), ctx.location(notebook, line),
                                            subject="job-parameters", job=job.name)
                        return

    def _run_config(self, ctx: ScanContext) -> Iterator[Evidence]:
        for path, facts in code_files(ctx):
            keys = _run_config_keys(facts)
            if keys:
                line, key = keys[0]
                yield self.evidence("tracking.config_management",
                                    f"run configuration decoded from {key} in {path}",
                                    ctx.location(path, line), subject="run-config", keys=sorted({k for _, k in keys}))
                return

    # -- environments ----------------------------------------------------------------------------
    def _environment(self, ctx: ScanContext) -> Iterator[Evidence]:
        for path in ctx.files():
            # a training image fixes the environment a model is trained in
            if is_dockerfile(path) and not is_template_path(path) and not is_test_path(path):
                text = ctx.text(path) or ""
                trains = _TRAINING.search(path) or any(_TRAINING.search(cmd) for _, _, cmd in image_commands(text))
                kind = "training image" if trains else "environment image" if _environment_image(path, text) else ""
                if kind and _installs_pinned(ctx, path, text):
                    yield self.evidence("tracking.reproducible_env", f"{kind} built from {path}",
                                        ctx.location(path, 1), subject=path, kind=kind)
        for dockerfile, compose, service in _compose_training_images(ctx):
            if not _installs_pinned(ctx, dockerfile, ctx.text(dockerfile) or ""):
                continue
            yield self.evidence("tracking.reproducible_env",
                                f"training image built from {dockerfile} (service '{service}' of {compose})",
                                ctx.location(dockerfile, 1), ctx.location(compose), subject=dockerfile,
                                kind="training image")
        for path in ctx.repo.glob(*LOCKFILES):
            text = ctx.text(path) or ""
            if not is_template_path(path) and _ML_PACKAGE.search(text):
                yield self.evidence("tracking.reproducible_env", f"lockfile {path}", ctx.location(path),
                                    subject=path, kind="lockfile")
        by_file: dict[str, list[Requirement]] = defaultdict(list)
        logged = _logged_model_dirs(ctx.files())
        for req in requirements(ctx) + component_packages(ctx):
            if req.path.rsplit("/", 1)[0] not in logged and not is_run_store_path(req.path):
                by_file[req.path].append(req)
        for path, reqs in sorted(by_file.items()):
            if is_template_path(path) or len(reqs) < MIN_REQUIREMENTS:
                continue
            pinned = sum(r.pinned for r in reqs)
            ml = sorted({r.name for r in reqs if r.pinned and _ML_PACKAGE.fullmatch(r.name)})
            # most pins, or half of them with every ML package among them pinned (``torch==2.0.0``
            # beside unpinned small utilities)
            ml_all = {r.name for r in reqs if _ML_PACKAGE.fullmatch(r.name)}
            if ml and (pinned / len(reqs) >= PINNED_SHARE or (pinned / len(reqs) >= ML_PINNED_SHARE and set(ml) == ml_all)):
                yield self.evidence("tracking.reproducible_env",
                                    f"{pinned}/{len(reqs)} dependencies pinned in {path} (incl. {', '.join(ml[:3])})",
                                    ctx.location(path), subject=path, kind="pinned", pinned=pinned,
                                    total=len(reqs))
        for path, why in sorted(unreadable_manifests(ctx).items()):
            if is_template_path(path) or path.rsplit("/", 1)[0] in logged or is_run_store_path(path):
                continue
            # its pins are unknown: error, unless another file shows a reproducible environment
            yield self.evidence("tracking.reproducible_env", f"{path} could not be read: {why}",
                                ctx.location(path), subject=f"unreadable:{path}", tier=None,
                                outcome=Outcome.ERROR)

    # -- registry promotion ----------------------------------------------------------------------
    def _promotion(self, ctx: ScanContext) -> Iterator[Evidence]:
        proj = project(ctx)
        modules = {m.path: m for m in proj.modules(*MUTATION_HINTS)}
        promoters = promoting_functions(modules.values())
        # Gates often sit in a flow module that only calls the project's registry helpers.
        modules.update({m.path: m for m in proj.modules(*promoters)} if promoters else {})
        # An Airflow branch callable gates promotion by returning the id of the task that promotes.
        tasks = promoting_tasks(proj.modules("python_callable"), promoters)
        modules.update({m.path: m for m in proj.modules(*(f"{q}{t}{q}" for t in tasks for q in "'\""))}
                       if tasks else {})
        gates = [g for g in (gated_calls(proj, m, promoters, tasks) for _, m in sorted(modules.items())) if g]
        gates += list(decision_gates(proj))[:1]
        registers = any(promoters.values()) or registers_models(modules.values())
        if not gates and (promoters or registers):
            # an evaluation step that stops its run before the pipeline's registration step: when
            # the project registers models, the registration is what the stop gates
            # the step must be one something runs: a script no pipeline, job or module names
            # gates nothing
            gates = [replace(g, registry=registers) for g in abort_gates(proj) if _named_elsewhere(ctx, g.path)][:1]
        for gate in gates:
            signals = ["governance.approval_gates"] + (["tracking.registry_promotion"] if gate.registry else [])
            for signal in signals:
                yield self.evidence(signal, _gate_summary(gate, promoters), ctx.location(gate.path, gate.line),
                                    *[ctx.location(p, ln) for p, ln in gate.more], subject=gate.path,
                                    call=gate.call, gate=gate.test, gate_kind=f"evaluation gate ({gate.form})")
        if not any(g.registry for g in gates):
            # promotion with no gate is still automated when the pipeline moves the alias itself
            for path, line, call, runner in automated_moves(ctx, proj):
                yield self.evidence("tracking.registry_promotion", f"{call} in {path} moves the serving version "
                                    f"on every run, with no evaluation gate (run by {runner})",
                                    ctx.location(path, line), subject=f"moves:{path}", call=call, runner=runner)
                return


    def _event_files(self, ctx: ScanContext) -> Iterator[Evidence]:
        events = [p for p in ctx.files() if _EVENT_FILE.search(p) and not is_template_path(p)]
        if not events:
            return
        where = [ctx.location(p) for p in events[:5]]
        writer = _tracker_writer(ctx)
        if writer is None:
            yield self.evidence("tracking.library", f"{len(events)} TensorBoard event file(s) committed "
                                f"(e.g. {events[0]}), but no code writes them", *where, tier=Tier.DECLARED,
                                subject="tensorboard-events:declared", files=len(events))
            return
        path, line, call = writer
        yield self.evidence("tracking.library", f"{len(events)} TensorBoard event file(s) committed "
                            f"(e.g. {events[0]}): runs logged through {call} ({path})",
                            *where, ctx.location(path, line), tier=Tier.EXECUTED, subject="tensorboard-events",
                            files=len(events), writer=call)

    # -- declared experiments --------------------------------------------------------------------
    def _sweeps(self, ctx: ScanContext) -> Iterator[Evidence]:
        for finding in [*wandb_sweeps(ctx), *hydra_sweeps(ctx)]:
            yield self._finding("tracking.hpo", ctx, finding,
                                f"{finding.what} in {finding.path} (wired up by {finding.used_by})",
                                f"{finding.what} in {finding.path}, but nothing runs it")
        for search in grid_searches(ctx):
            what = (f"random hyperparameter search: each trial draws {search.params[0]}() and runs {search.call}()"
                    if search.random else
                    f"hyperparameter evolution: each generation mutates {search.params[0]} at random and runs "
                    f"{search.call}()" if search.evolution else
                    f"hyperparameter grid search over {', '.join(search.params)}: {search.call}() run for each combination")
            yield self.evidence("tracking.hpo", f"{what} ({search.path}:{search.line})",
                                ctx.location(search.path, search.line), subject=f"grid:{search.path}",
                                params=list(search.params), call=search.call)
            return

    def _dvc_params_metrics(self, ctx: ScanContext) -> Iterator[Evidence]:
        dvclive = _dvclive_user(ctx)
        for finding in dvc_tracked(ctx):
            tracked = finding.extra["metrics"] or finding.extra["plots"]
            if not tracked and not dvclive:
                continue
            params = ", ".join(finding.extra["params"][:4])
            yield self.evidence(
                "tracking.params_metrics",
                f"{finding.path}: DVC tracks stage parameters ({params}) and " + (
                    f"{finding.extra['metrics']} metrics / {finding.extra['plots']} plots files" if tracked
                    else f"the metrics DVCLive writes ({dvclive})"),
                ctx.location(finding.path, finding.line), subject=f"dvc:{finding.path}", **finding.extra)

    def _finding(self, signal: str, ctx: ScanContext, finding: Finding, used: str, unused: str) -> Evidence:
        """Configured evidence for a config something runs, declared for one nothing runs."""
        where = ctx.location(finding.path, finding.line)
        if finding.used_by:
            return self.evidence(signal, used, where, ctx.location(finding.used_by), subject=finding.path,
                                 config=finding.what, used_by=finding.used_by, **finding.extra)
        return self.evidence(signal, unused, where, tier=Tier.DECLARED, subject=f"{finding.path}:declared",
                             config=finding.what, **finding.extra)


def _gate_summary(gate: Gate, promoters: dict[str, bool]) -> str:
    if gate.form == "abort":
        helpers = ", ".join(sorted(n for n, registry in promoters.items()
                                   if registry and words(n) & {"register", "registry"})[:2]) or "a later step"
        return (f"evaluation stops the run unless {gate.test} ({gate.path}:{gate.line}) before the model is "
                f"registered or deployed ({helpers})")
    if gate.form == "checked":
        return f"{gate.call} runs only past an evaluation gate that raises when it fails ({gate.test}) in {gate.path}"
    if gate.form == "deploy decision":
        return f"{gate.call} deploys only on the evaluation's verdict ({gate.test}) in {gate.path}"
    if gate.form == "early exit":
        return f"{gate.call} runs only past an evaluation gate that leaves early (if {gate.test}: leave) in {gate.path}"
    return f"{gate.call} runs only behind an evaluation gate (if {gate.test}) in {gate.path}"

    # -- tracker logs committed ------------------------------------------------------------------


_PIP_INSTALL = re.compile(r"\bpip3?\s+install\s+([^;&|]*)")
#: what a serving or notebook image exposes or starts; an ML framework image without any of them
#: is the environment the project's scripts are run in (``docker run img python train.py``).
_SERVES = re.compile(r"(?im)^\s*EXPOSE\b|^\s*(CMD|ENTRYPOINT)\b.*\b(uvicorn|gunicorn|flask|streamlit|gradio|serve|"
                     r"server|app|api|jupyter|lab|notebook|bentoml|torchserve|tritonserver|mlflow|nginx|node|npm)\b")


#: what a pushed model is called in code (a dataset or a tokenizer pushed alone is no model).
_MODEL_RECEIVER = re.compile(r"model|trainer|pipe|peft|adapter|merged|lora", re.I)


def _registry_uri_call(tree: ast.Module | None) -> int | None:
    """Line of a call given a ``models:/`` URI: a literal, an f-string or a concatenation that
    starts with one."""
    for node in walk(tree) if tree is not None else ():
        if isinstance(node, ast.Call) and any(_registry_uri(a) for a in [*node.args, *(k.value for k in node.keywords)]):
            return node.lineno
    return None


def _registry_uri(node: ast.AST) -> bool:
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.left
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("models:/")


def _model_push(tree: ast.Module | None) -> tuple[int, str] | None:
    """(line, call) of a model's ``push_to_hub*`` call, or of training arguments that push."""
    for node in walk(tree) if tree is not None else ():
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr.startswith("push_to_hub") \
                and _MODEL_RECEIVER.search(ast.unparse(func.value)):
            return node.lineno, f"{ast.unparse(func.value)}.{func.attr}"
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name.endswith(("TrainingArguments", "Config")) and any(
                k.arg == "push_to_hub" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords):
            return node.lineno, f"{name}(push_to_hub=True)"
    return None


def _environment_image(path: str, text: str) -> bool:
    """An image on a versioned ML framework base that neither serves nor starts a notebook: the
    environment a research repository's training scripts are run in."""
    code = uncommented(text)
    return bool(ML_BASE_IMAGE.search(code)) and not _SERVES.search(code) and dockerfile_purpose(text, path) is None


def _installs_pinned(ctx: ScanContext, path: str, text: str) -> bool:
    """An image's environment is fixed: it starts from a versioned ML framework image (TensorFlow,
    PyTorch, TFX, NVIDIA, Hugging Face), or its ``pip install`` lines fix their versions (named
    packages pinned, requirement files mostly pinned). Unpinned installs on a bare Python image
    rebuild a different environment each time."""
    if ML_BASE_IMAGE.search(text):
        return True
    pinned_share = {}
    for req in requirements(ctx):
        pinned_share.setdefault(req.path, []).append(req.pinned)
    folder = posixpath.dirname(path)
    for _, command in build_commands(text):
        for m in _PIP_INSTALL.finditer(command):
            words = m.group(1).split()
            for i, word in enumerate(words):
                if word in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(words):
                    name = words[i + 1]
                    found = next((pinned_share[p] for p in (posixpath.normpath(posixpath.join(folder, name)), name)
                                  if p in pinned_share), None)
                    if found is not None and sum(found) < PINNED_SHARE * len(found):
                        return False
                elif not word.startswith(("-", ".", "/", "$")) and "==" not in word and "/" not in word \
                        and not word.endswith((".whl", ".tar.gz", ".zip")) \
                        and words[i - 1:i] not in (["-r"], ["--requirement"], ["-c"], ["--constraint"]):
                    return False  # a package installed at whatever version is newest
    return True


_COMPOSE_FILE = re.compile(r"(^|/)(docker-)?compose[\w.-]*\.ya?ml$", re.I)


def _compose_training_images(ctx: ScanContext) -> Iterator[tuple[str, str, str]]:
    """(Dockerfile, compose file, service) of images a compose stack builds to train in: a service
    named for training, or whose command trains, built from a Dockerfile of the repository."""
    files = set(ctx.files())
    for path in sorted(files):
        if not _COMPOSE_FILE.search(path) or is_template_path(path):
            continue
        try:
            doc = first_mapping(ctx.structured(path))
        except ParseError:
            continue
        for name, service in as_dict(as_dict(doc).get("services")).items():
            service = as_dict(service)
            build, command = service.get("build"), service.get("command")
            command_text = " ".join(map(str, command)) if isinstance(command, list) else str(command or "")
            if not build or not (_TRAINING.search(str(name)) or _TRAINING.search(command_text)):
                continue
            context = build if isinstance(build, str) else str(as_dict(build).get("context") or ".")
            name_of = "Dockerfile" if isinstance(build, str) else str(as_dict(build).get("dockerfile") or "Dockerfile")
            dockerfile = posixpath.normpath(posixpath.join(posixpath.dirname(path), context, name_of))
            if dockerfile in files:
                yield dockerfile, path, str(name)


_K8S_RESOURCE = re.compile(r"(?m)^apiVersion:\s*\S+[\s\S]*?^kind:\s*\w+|^kind:\s*\w+[\s\S]*?^apiVersion:\s*\S+")


def _is_config_candidate(path: str) -> bool:
    low = path.lower()
    if not low.endswith((".yaml", ".yml", ".json", ".toml")) or is_template_path(path) or is_test_path(path):
        return False
    if _TOOL_CONFIG.search(low):
        return False
    parts = low.split("/")
    stem = parts[-1].rsplit(".", 1)[0]
    if _ENVIRONMENT_CONFIG.search(stem):
        return False  # the settings of a deployment stage or an endpoint (prod-config.json), not of an experiment
    if _INFRA_DIRS.intersection(parts[:-1]) or stem.endswith(".parameters"):
        return False  # cloud resources to create (Bicep/ARM parameters, cluster definitions), not a run's settings
    # (a folder of configs of one kind: ``model_configs/``, ``train-configs/``)
    return bool(CONFIG_DIRS.intersection(parts[:-1])) or bool(_CONFIG_NAME.search(stem)) \
        or any(p.endswith(_CONFIGS_OF_A_KIND) for p in parts[:-1])


def _logged_model_dirs(files: list[str]) -> set[str]:
    """Folders of models saved by MLflow (an ``MLmodel`` file): the requirements and conda files
    MLflow writes next to it pin the model's own runtime, not the project's environment."""
    return {p.rsplit("/", 1)[0] if "/" in p else "" for p in files if p.rsplit("/", 1)[-1] == "MLmodel"}


def _loader_lines(facts: PyFacts) -> set[int]:
    """Lines where a source calls a config loader (``yaml.safe_load``, ``OmegaConf.load``...), or
    hands a config file to a framework that reads it (ZenML ``pipeline.with_options(config_path=...)``)."""
    return {c.line for c in facts.calls if _LOADER.match(c.name) or _LOADER.match("." + call_tail(c.name))
            or any(c.has_kwarg(k) for k in _CONFIG_KWARGS)}


def _module_names(path: str) -> set[str]:
    """Dotted names a module may be imported under (``src/utils/load.py`` -> ``utils.load``...)."""
    parts = path[:-3].split("/") if path.endswith(".py") else []
    return {".".join(parts[i:]) for i in range(len(parts))}


def _loader_helpers(ctx: ScanContext, sources: list[tuple[str, PyFacts]]) -> dict[str, set[str]]:
    """Project functions whose body calls a config loader: name -> modules that define one."""
    helpers: dict[str, set[str]] = defaultdict(set)
    for path, facts in sources:
        lines = _loader_lines(facts) if path.endswith(".py") else set()
        tree = ctx.tree(path) if lines else None
        if tree is None:
            continue
        for node in walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    any(node.lineno <= line <= (node.end_lineno or node.lineno) for line in lines):
                helpers[node.name].update(_module_names(path))
    return helpers


def _calls_helper(name: str, helpers: dict[str, set[str]]) -> bool:
    """A call of a config-loading helper: by its bare name or through the module defining it
    (a method of an unknown object with the same name does not count)."""
    module, _, tail = name.rpartition(".")
    if tail not in helpers or name.startswith("."):
        return False
    # (or through the package re-exporting it: ``from utils import yaml_config_hook``)
    return not module or any(m == module or m.startswith(module + ".") for m in helpers[tail])


def _kedro_parameter_reader(ctx: ScanContext) -> str | None:
    """The first Kedro pipeline module that takes ``params:`` inputs, if any."""
    for path, facts in code_files(ctx):
        if facts.imports_any(("kedro",)) and '"params:' in (ctx.text(path) or "").replace("'params:", '"params:'):
            return f"Kedro ({path})"
    return None


#: files that launch scripts: task runners, shell scripts, CI workflows.
_LAUNCHER = re.compile(r"(^|/)(makefile|gnumakefile|justfile|taskfile[^/]*|procfile|dvc\.ya?ml)$|\.(sh|bash|mk)$"
                       r"|^\.github/workflows/|(^|/)\.gitlab-ci\.ya?ml$", re.I)
#: a README, whose usage commands hand a config to the script that reads it
_README = re.compile(r"(^|/)readme(\.\w+)?$", re.I)


def _launched_with(path: str, launchers: dict[str, str], readers: dict[str, str]) -> str | None:
    """``launcher -> reader`` when a launcher names both this config and a config-loading script
    (by file name, or by module name after ``-m``)."""
    for launcher, text in launchers.items():
        if _reader_of(path, {launcher: text}) is None:
            continue
        for reader in readers:
            base = reader.rsplit("/", 1)[-1]
            dotted = reader[:-3].replace("/", ".") if reader.endswith(".py") else None
            if base in text or (dotted and f"-m {dotted}" in text):
                return f"{launcher} -> {reader}"
    return None


def _named_for_reader(ctx: ScanContext, path: str, sources: list[tuple[str, PyFacts]],
                      readers: dict[str, str]) -> str | None:
    """``reader (path from module)`` when a module of constants names this config file
    (``CONFIG_FILE_PATH = ROOT / "config" / "config.yaml"``) and a config-loading module imports it:
    the reader loads the file by the constant's name."""
    name = path.rsplit("/", 1)[-1]
    namers = {m for p, _ in sources if p.endswith(".py") and p not in readers and name in (ctx.text(p) or "")
              for m in _module_names(p[: -len("/__init__.py")] + ".py" if p.endswith("/__init__.py") else p)}
    if not namers:
        return None
    for reader in readers:
        facts = ctx.python(reader)
        imported = set(facts.imports) if facts is not None else set()
        namer = next((m for m in imported if m in namers), None)
        if namer:
            return f"{reader} (its path from {namer})"
    return None


def _documented_with(path: str, readmes: dict[str, str], readers: dict[str, str]) -> str | None:
    """``README -> reader`` when a README's command names this config file and a config-loading
    script on one line (``python run_flow.py --config configs/full_flow.yaml``): the folder
    alone, in a README's tree of the project, hands nothing to anyone."""
    name = path.rsplit("/", 1)[-1]
    for readme, text in readmes.items():
        if name not in text:
            continue
        # (a command continued over lines with backslashes is one line)
        for line in (ln for ln in _CONTINUED.sub(" ", text).splitlines() if name in ln):
            reader = next((r for r in readers if _runs(line, r)), None)
            if reader:
                return f"{readme} -> {reader}"
    return None


#: the SageMaker registry's approval status asked to be Approved (a filter, or an event pattern)
_APPROVED_FILTER = re.compile(r"ModelApprovalStatus['\"]?\s*[:=]\s*\[?\s*['\"]Approved['\"]")
_LISTS_PACKAGES = re.compile(r"\blist_model_packages\b")
_PACKAGE_EVENT = "SageMaker Model Package State Change"
_CONTINUED = re.compile(r"\\[ \t]*\n")


def _runs(command: str, script: str) -> bool:
    """A command line runs the script: by its file name, or as a module (``python -m app.main``)."""
    if script.rsplit("/", 1)[-1] in command:
        return True
    dotted = script[:-3].replace("/", ".") if script.endswith(".py") else None
    return bool(dotted) and re.search(rf"-m\s+{re.escape(dotted)}(?![\w.])", command) is not None


_ROUTE_HINT = re.compile(r"@\w+\.(?:get|post|put|patch|delete|route|api_route|websocket)\(")


def _serves(ctx: ScanContext, path: str) -> bool:
    """A module that defines web routes (``@app.get(...)``, ``@router.post(...)``)."""
    tree = ctx.tree(path) if _ROUTE_HINT.search(ctx.text(path) or "") else None  # (a cheap look first)
    return tree is not None and any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_route(n)
                                    for n in walk(tree))


def _reader_of(path: str, readers: dict[str, str]) -> str | None:
    """The first config-loading source that names this file or its folder."""
    parts = path.split("/")
    names = {parts[-1]}
    folder = None
    if len(parts) > 1:
        names.add(f'"{parts[-2]}"')
        names.add(f"'{parts[-2]}'")
        # ``configs/train.yaml`` or ``./configs/``, not the folder's name inside a URL or another
        # path (``ghcr.io/kubeflow/frontend``)
        folder = re.compile(rf"(?:^|[\s'\"(=,])(?:\./)?{re.escape(parts[-2])}/")
    for reader, text in readers.items():
        if any(n in text for n in names) or folder is not None and folder.search(text):
            return reader
    return None


#: calls that run a Python file of settings as a config.
_PY_CONFIG_RUNS = re.compile(r"^(runpy\.run_path|(mmcv|mmengine)(\.\w+)*\.Config\.fromfile)$")
#: a file named by a variable, read and run (``exec(open(config_file).read())``); a literal name is
#: a helper script, not the config the run was given
_EXEC_FILE = re.compile(r"""^[^#\n]*\bexec\(\s*open\(\s*(?!['"])""", re.M)
#: a config module named on the command line, imported by that name (``import_module(args.config)``)
_IMPORTED_CONFIG = re.compile(r"^[^#\n]*\bimport_module\(\s*([\w.]*(?:config|cfg)\w*)\s*\)", re.M | re.I)
#: share of a config file's top-level statements that must be plain settings (``lr = 3e-4``).
SETTINGS_SHARE = 0.8


def _named_elsewhere(ctx: ScanContext, path: str) -> bool:
    """Another file that runs commands or code names the module: by file name (``evaluate.py``),
    by its dotted name (``pkg.steps.evaluate``) or by importing it."""
    base = path.rsplit("/", 1)[-1]
    stem = base[:-3]
    dotted = path[:-3].replace("/", ".")
    names = {re.escape(base), re.escape(dotted), re.escape(dotted.removeprefix("src."))}
    names.add(rf"import\s+[\w., ]*\b{re.escape(stem)}\b|from\s+[\w.]*\b{re.escape(stem)}\s+import")
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(sorted(names)) + r")(?![\w-])")
    return any(other != path and stem in text and pattern.search(text) for other, text in command_texts(ctx).items())


def _settings_only(ctx: ScanContext, path: str) -> bool:
    """A Python file that is a list of settings: (almost) only assignments at its top level."""
    tree = ctx.tree(path)
    body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))] \
        if tree is not None else []
    settings = [n for n in body if isinstance(n, (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom))]
    return bool(body) and len(settings) / len(body) >= SETTINGS_SHARE


def _config_runs(ctx: ScanContext, path: str, facts: PyFacts) -> list[tuple[int, str]]:
    """(line, how) where a module runs a Python file of settings."""
    out = [(c.line, c.name) for c in facts.calls if _PY_CONFIG_RUNS.match(c.name)]
    text = ctx.text(path) or ""
    m = _EXEC_FILE.search(text) if "exec(" in text else None
    if m:
        out.append((text.count("\n", 0, m.start()) + 1, "exec(open(...).read())"))
    m = _IMPORTED_CONFIG.search(text) if "import_module(" in text else None
    if m:
        out.append((text.count("\n", 0, m.start()) + 1, f"importlib.import_module({m.group(1)})"))
    return out


def _run_config_keys(facts: PyFacts) -> list[tuple[int, str]]:
    """(line, key) where JSON/YAML decoding reads a *CONFIG*-named variable on the same line."""
    decode_lines = {c.line for c in facts.calls if c.name in ("json.loads", "yaml.safe_load", "yaml.load")}
    return [(c.line, a) for c in facts.calls if c.line in decode_lines
            for a in c.args if isinstance(a, str) and _CONFIG_KEY.match(a)]


def _tracker_writer(ctx: ScanContext) -> tuple[str, int, str] | None:
    """(path, line, call) of the first tracker logger the code builds, a Lightning Trainer left
    with its default logger included."""
    loggers = [(tool, tuple(p for alt in tool.uses["tracking.library"] for p in alt))
               for tool in tools_for("tracking.library") if "tracking.library" in tool.uses]
    for path, facts in code_files(ctx, notebooks=True):
        for call in facts.calls:
            if _LIGHTNING_TRAINER.match(call.name) and call.kwarg("logger", True) is not False:
                return path, call.line, call.name
        for tool, patterns in loggers:
            found = match_calls(tool, facts, patterns)
            if found:
                call = min(found.values(), key=lambda c: c.line)
                return path, call.line, call.name
    return None


def _dvclive_user(ctx: ScanContext) -> str | None:
    """The first source that logs through DVCLive, if any."""
    for path, facts in code_files(ctx, notebooks=True):
        if any(c.name.startswith("dvclive.") for c in facts.calls):
            return path
    return None


_WIDGET_READ = re.compile(r"^[^#\n]*\bdbutils\.widgets\.get(All)?\(", re.M)


def _notebook_file(ctx: ScanContext, path: str) -> str | None:
    """The repository file of a job's notebook path (often written without its suffix)."""
    return next((p for p in (path, f"{path}.py", f"{path}.ipynb") if ctx.repo is not None and ctx.repo.exists(p)), None)
