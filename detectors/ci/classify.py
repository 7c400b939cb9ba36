"""What a CI step does, decided from the commands it runs and the actions it uses.

Kinds are small strings (``test``, ``deploy``...). Rules are data: a regular expression over
the unwrapped command text, over the script or module a command runs, or over the action name.
"""
from __future__ import annotations

import re

from detectors.ci.commands import Command, module_form
from scanner.scope import is_test_path

TEST = "test"
LINT = "lint"
TRAIN = "train"
DATA_PIPELINE = "data_pipeline"
BUILD_IMAGE = "build_image"
PUSH_IMAGE = "push_image"
DEPLOY = "deploy"
DOCS_DEPLOY = "docs_deploy"
SECURITY = "security"
MONITOR = "monitor"
RETRAIN_TRIGGER = "retrain_trigger"
PROMOTE = "promote"

# Rules over the command text (words joined by spaces, after wrappers such as ``uv run``).
#: what a command run on a server over SSH does when it (re)starts the service there.
_REMOTE_START = (r"(docker[- ]compose\b[^\n]*\bup\b|docker (run|stack deploy|service update)\b|systemctl (re)?start\b"
                 r"|pm2 (re)?(start|load)\b|kubectl (apply|rollout)\b|helm upgrade\b)")
_COMMAND_RULES: tuple[tuple[str, str], ...] = (
    (TEST, r"^(pytest|py\.test|nose2|nosetests|green|behave|ward|tox|nox|hatch test|pyright --verifytypes)\b"),
    (TEST, r"^python[\d.]* (-\S+ )*-m (pytest|unittest|nose2|tox|nox|coverage run)\b"),
    (TEST, r"^coverage run\b"),
    (TEST, r"^(npm|pnpm|yarn|bun)( run)? test(:\S+)?\b"),
    (TEST, r"^(vitest|jest|mocha|playwright test|cypress run|go test|cargo test|mvn (\S+ )*(test|verify)|gradle\w* (\S+ )*test|dotnet test|ctest|rspec|phpunit)\b"),
    (TEST, r"^rscript .*(testthat|test_dir|devtools::test)"),
    (LINT, r"^(ruff|flake8|pylint|mypy|pyright|pydocstyle|pycodestyle|pyflakes|bandit-lint|yamllint|hadolint|shellcheck|eslint|tslint|stylelint|markdownlint|golangci-lint|tflint|sqlfluff lint|codespell|vulture|interrogate|darglint|pylama|prospector|nbqa)\b"),
    (LINT, r"^(black|isort|autopep8|yapf|prettier|ruff format|terraform fmt|docformatter|nbstripout)\b.*(--check|--diff|-check\b)"),
    (LINT, r"^pre-commit run\b"),
    # a deployed model called with a sample request: a smoke test of the endpoint
    (TEST, r"^(az ml (online|batch)-endpoint invoke|gcloud ai endpoints (predict|raw-predict)|"
           r"aws sagemaker-runtime invoke-endpoint)\b"),
    # pytest plugins that lint or type-check each collected file (pytest-black, pytest-flake8...)
    (LINT, r"^(pytest|py\.test|python[\d.]* (-\S+ )*-m pytest)\b.*\s--(black|flake8|pylint|mypy|isort|ruff|ruff-format|"
           r"pycodestyle|codestyle|pep8|pydocstyle)\b"),
    (LINT, r"^(npm|pnpm|yarn|bun)( run)? (lint|format:check|typecheck|type-check|check-types)\b"),
    (LINT, r"(^| )--check\b"),
    (TRAIN, r"^(dvc (repro|exp run)|mlflow run|kedro run|metaflow|zenml pipeline run|ludwig (train|experiment)|allennlp train|yolo (train|val)|accelerate launch .*train|torchrun .*train|deepspeed .*train)\b"),
    (DATA_PIPELINE, r"^(dvc (repro|exp run)|kedro run|dbt (run|build)|prefect deployment run|airflow dags (trigger|test)|zenml pipeline run|dagster job (execute|launch)|kfp run|great_expectations checkpoint run)\b"),
    (BUILD_IMAGE, r"^(docker|podman|nerdctl) (buildx )?(build|image build|compose (\S+ )*build)\b"),
    (BUILD_IMAGE, r"^docker-compose (\S+ )*build\b"),
    (BUILD_IMAGE, r"^(buildah (bud|build)|kaniko|executor --(context|dockerfile)|/kaniko/executor|pack build|bentoml containerize|img build|s2i build|jib)\b"),
    (BUILD_IMAGE, r"^(gcloud builds submit|az acr build)\b"),
    (PUSH_IMAGE, r"^(docker|podman|nerdctl|buildah) push\b"),
    (PUSH_IMAGE, r"^docker (buildx )?build\b.*--push\b"),
    (PUSH_IMAGE, r"^(docker-compose|docker compose) push\b"),
    (PUSH_IMAGE, r"^(gcloud builds submit|az acr build|crane (push|copy)|skopeo copy|kaniko|/kaniko/executor|executor --(context|dockerfile))\b"),
    (DEPLOY, r"^kubectl (\S+ )*(apply|rollout|set image|replace|patch|create deployment|scale)\b"),
    (DEPLOY, r"^(helm (\S+ )*(upgrade|install)|helmfile (\S+ )*(apply|sync)|skaffold (run|deploy)|argocd app (sync|set)|kustomize build .*kubectl apply|flux reconcile)\b"),
    (DEPLOY, r"^(terraform|tofu|terragrunt) (\S+ )*apply\b|^(pulumi (\S+ )*up|cdk( -{1,2}[\w-]+( [^\s-]\S*)?)* deploy|cdktf deploy|sam deploy|serverless deploy|sls deploy|copilot (\S+ )*deploy|eb deploy)\b"),
    (DEPLOY, r"^gcloud (\S+ )*(run deploy|run services update|app deploy|functions deploy|ai endpoints (deploy-model|create)|container images add-tag|deploy releases create)\b"),
    (DEPLOY, r"^az (ml (online-deployment|online-endpoint|batch-deployment|batch-endpoint) (create|update)|webapp (deploy|up|config container set|create)|containerapp (update|up|create)|functionapp deployment|aks command|deployment group create|container create)\b"),
    (DEPLOY, r"^aws (ecs (update-service|deploy)|sagemaker (create-endpoint|update-endpoint)|lambda update-function-code|deploy create-deployment|cloudformation deploy|apprunner (update|start-deployment))\b"),
    (DEPLOY, r"^anyscale services? (\S+ )*(rollout|deploy)\b"),
    # pipelines delivered to their orchestrator: Flyte workflows registered on the cluster, Prefect
    # deployments applied to the server
    (DEPLOY, r"^(pyflyte (\S+ )*register|flytectl (\S+ )*register|prefect deploy|prefect deployment apply)\b"),
    # a feature store's definitions and infrastructure applied to its registry (like ``terraform apply``)
    (DEPLOY, r"^feast (-c \S+ )?apply\b"),
    # a GitOps update: the manifests' image pinned to the new build (then committed for Argo CD/Flux)
    (DEPLOY, r"^kustomize edit set image\b"),
    # a shell on another machine (plain, or the cloud CLIs') starting a service there; its script
    # may span lines (``--command "`` ... ``"``)
    (DEPLOY, r"^(ssh|gcloud (\S+ )*compute (\S+ )*ssh|az ssh vm)\b[\s\S]*" + _REMOTE_START),
    # a Hugging Face Space updated: pushed to, uploaded to, or restarted (a demo app goes live)
    (DEPLOY, r"^git push\b.*huggingface\.co/spaces/|^(huggingface-cli|hf) upload\b.*--repo[-_]type[= ]space\b"
             r"|\b(upload_folder|upload_file|create_commit)\([^)]*repo_type\s*=\s*['\"]?space\b|\brestart_space\("),
    # Snowpark procedures and functions, native apps and Streamlit apps deployed to Snowflake
    (DEPLOY, r"^snow (snowpark|app|streamlit) deploy\b|^snow app run\b"),
    (DEPLOY, r"^(fly|flyctl) deploy\b|^heroku (container:release|deploy|releases)\b|^git push (\S+ )*heroku\b|^(railway up|vercel (\S+ )*--prod|modal deploy|bentoml deploy|truss push|mlem deployment run|mlflow (deployments create|sagemaker deploy|models build-docker)|seldon|caprover deploy|dokku)\b"),
    (DOCS_DEPLOY, r"^(mkdocs gh-deploy|ghp-import|mike deploy|sphinx-build|mkdocs build|jupyter-book build|netlify deploy|firebase deploy --only hosting)\b"),
    # API reference generators that write a static site (they have no config file to find)
    (DOCS_DEPLOY, r"^(pdoc3? .*(-o|--output-dir(ectory)?|--html)\b|pydoc-markdown\b|portray (as_html|on_github_pages)\b|quarto (render|publish)\b|mdbook build\b)"),
    (SECURITY, r"^(bandit|pip-audit|safety (check|scan)|trivy|grype|snyk|gitleaks|trufflehog|semgrep|detect-secrets(-hook)? scan|osv-scanner|checkov|tfsec|kics|docker scout|govulncheck|cargo audit|dependency-check|horusec|codeql)\b"),
    (SECURITY, r"^(npm|pnpm|yarn) audit\b"),
    # SonarQube/SonarCloud analysis reports vulnerabilities and code smells alike
    (SECURITY, r"^(sonar-scanner|sonar-scanner-cli|pysonar|pysonar-scanner)\b|^(mvn|gradle\w*) (\S+ )*sonar(:sonar|qube)?\b"),
    (LINT, r"^(sonar-scanner|sonar-scanner-cli|pysonar|pysonar-scanner)\b"),
    (SECURITY, r"^ruff (check )?.*--(extend-)?select[ =]\S*\b(S|ALL)\b"),
    (MONITOR, r"^evidently\b|^nannyml\b|^whylogs\b"),
    (RETRAIN_TRIGGER, r"^gh (workflow run|api .*/dispatches)\b|^curl .*(/dispatches|/trigger/pipeline|/api/2\.\d/jobs/run-now)|^(az pipelines run|gcloud builds triggers run|glab ci run)\b"),
    (PROMOTE, r"^(az ml model (create|register)|gcloud ai models upload|aws sagemaker (create-model-package|update-model-package)|gto (assign|register|promote)|mlflow models? (register|transition))\b"),
)

# Jobs submitted to a platform: training when what they run cannot be read from the repository.
_REMOTE_TRAIN = re.compile(r"^(az ml job create|gcloud ai custom-jobs create|gcloud ai-platform jobs submit training|"
                           r"aws sagemaker create-training-job|sky launch|databricks (jobs run-now|bundle run))\b", re.I)

# Rules over the script or module a command runs (``python -m pkg.train`` -> ``pkg/train``).
_B = r"(?:^|[/_.-])"
_E = r"(?:[/_.-]|$)"
_SCRIPT_RULES: tuple[tuple[str, str], ...] = (
    (TRAIN, _B + r"(re|pre|fine)?(train|training|finetune|fine_tune|fit)" + _E),
    (TRAIN, _B + r"(eval|evaluate|evaluation|validate_model|benchmark)" + _E),
    (TEST, _B + r"(run_)?(tests?|unit|unittests?|integration|e2e|pytest)" + _E),
    (LINT, _B + r"(lint|linting|typecheck|type_check|style|format_check|check_format)" + _E),
    (DATA_PIPELINE, _B + r"(pipeline|prep|prepare|preprocess|preprocessing|ingest|ingestion|etl|make_dataset|build_features|featurize|feature_engineering|data_prep"
                    r"|transform|clean|cleaning|clean_data"
                    r"|(build|make|generate|write|compute|create|extract)(_\w+)?_features?)" + _E),
    (MONITOR, _B + r"(monitor|monitoring|drift|detect_drift|check_drift|data_drift)" + _E),
    (RETRAIN_TRIGGER, _B + r"(retrain|trigger_retrain|trigger_training)" + _E),
    (PROMOTE, _B + r"(promote|promotion|register|register_model|registry|champion)" + _E),
    (DEPLOY, _B + r"(deploy|deployment|release_model|rollout)" + _E),
    (SECURITY, _B + r"(security[-_]scan|audit[-_]deps|vuln[-_]scan|secrets?[-_]scan|scan[-_]secrets|check[-_]secrets)" + _E),
)
#: a deploy script or command aimed at a documentation site, not a model or service.
_DOCS_TARGET = re.compile(r"(^|[/_. -])(docs?|documentation|pages|gh-pages|site|website|book)([/_. -]|$)", re.I)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SCRIPT_SUFFIX = re.compile(r"\.(py|sh|bash|r|ipynb|ps1|js|ts)$", re.I)
_INTERPRETERS = re.compile(r"^(python[\d.]*|py|bash|sh|zsh|rscript|node|papermill|ipython|pwsh|powershell|jupyter|dotnet)$")

# Rules over action / task / orb / plugin / builder names (and their flattened inputs).
_USES_RULES: tuple[tuple[str, str], ...] = (
    (SECURITY, r"github/codeql-action|aquasecurity/(trivy|tfsec)|snyk/|anchore/(scan|sbom)-action|gitleaks|trufflesecurity|semgrep|pip-audit|pypa/gh-action-pip-audit|bandit|ossf/scorecard-action|bridgecrewio/checkov|dependency-review-action|sonarsource|sonarqube|aquasec|securego/gosec|snyksecurityscan|credscan|trivy|security/|sast|secret-detection|dependency-scanning|container-scanning|codeql"),
    (TEST, r"^pytest|/pytest|python-tests|tox-action|nox-action|pytestrunner|vstest|dotnettestcli"),
    (LINT, r"pre-commit/action|chartboost/ruff-action|astral-sh/ruff-action|psf/black|super-linter|reviewdog|golangci|pylint|flake8|hadolint|py-actions/flake8|ricardochaves/python-lint|/lint"),
    (BUILD_IMAGE, r"docker/build-push-action|redhat-actions/buildah-build|mr-smithers-excellent/docker-build-push|docker@\d|dockercompose@|docker-build|kaniko|cloud-builders/docker|buildah|gcr\.io/kaniko"),
    (PUSH_IMAGE, r"redhat-actions/push-to-registry|docker/build-push-action.*push[=:] ?true|mr-smithers-excellent/docker-build-push|docker@\d.*(push|buildandpush)|docker-push|kaniko|cloud-builders/docker.*\bpush\b"),
    (DEPLOY, r"azure/(webapps-deploy|k8s-deploy|functions-action|container-apps-deploy-action|aml-deploy|arm-deploy|aks-set-context.*deploy|cli.*(deploy|update|apply))|google-github-actions/deploy-|aws-actions/amazon-ecs-deploy|aws-actions/aws-cloudformation-github-deploy|aws-actions/amazon-ecs-render.*deploy|superfly/flyctl-actions.*deploy|akhileshns/heroku-deploy|deliverybot/helm|azure/helm|wahyd4/kubectl-helm|actions-hub/kubectl.*(apply|rollout|set)|steebchen/kubectl.*(apply|rollout|set)|azurewebapp|azurermwebappdeployment|azurefunctionapp|kubernetesmanifest|helmdeploy|kubernetes@\d.*(apply|rollout|set)|terraformtask.*apply|azurecontainerapps|cloud-builders/(gcloud|kubectl|gke-deploy).*(deploy|apply|rollout|set image)|cloud-sdk.*(run deploy|app deploy)|gke-deploy"),
    (DOCS_DEPLOY, r"actions/deploy-pages|peaceiris/actions-gh-pages|jamesives/github-pages-deploy-action|mhausenblas/mkdocs-deploy-gh-pages|sphinx-notes/pages|actions/upload-pages-artifact"),
    (RETRAIN_TRIGGER, r"peter-evans/repository-dispatch|benc-uk/workflow-dispatch|convictional/trigger-workflow-and-wait|aurelien-baudet/workflow-dispatch|the-actions-org/workflow-dispatch"),
    # (Azure DevOps' task running a published Azure ML pipeline: MLOpsPython's train-evaluate-register)
    (TRAIN, r"iterative/setup-cml.*dvc repro|azure/aml-(run|train)|mlflow-run|mlpublishedpipelinerestapitask"),
    (DEPLOY, r"^codepipeline:deploy/"),
    (DEPLOY, r"flyte\w*register"),
    # a service (re)started on a server over SSH
    (DEPLOY, r"(appleboy/ssh-action|google-github-actions/ssh-compute|garygrossgarten/github-action-ssh"
             r"|easingthemes/ssh-deploy|cross-the-world/ssh-pipeline)[\s\S]*" + _REMOTE_START),
    # a GitOps hand-off: the new image's version dispatched to the repository that rolls it out
    (DEPLOY, r"repository-dispatch[\s\S]*\b(image|gitops|deploy\w*|environment-update|rollout)\b"),
    (DATA_PIPELINE, r"^databricks pipeline_task"),
    # a reusable workflow of another repository, named for what it runs
    (LINT, r"^[\w.-]+/[\w.-]+/\.github/workflows/[\w.-]*(lint|code[-_]quality|static[-_]analysis)[\w.-]*\.ya?ml@"),
    (TEST, r"^[\w.-]+/[\w.-]+/\.github/workflows/[\w.-]*(test|pytest|unit)[\w.-]*\.ya?ml@"),
)

_COMPILED_COMMANDS = tuple((k, re.compile(p, re.I)) for k, p in _COMMAND_RULES)
_COMPILED_SCRIPTS = tuple((k, re.compile(p, re.I)) for k, p in _SCRIPT_RULES)
_COMPILED_USES = tuple((k, re.compile(p, re.I)) for k, p in _USES_RULES)


def script_target(cmd: Command) -> str | None:
    """The script or module a command runs: ``python -m a.b`` -> ``a/b``; ``./x.sh`` -> ``x.sh``."""
    words = list(cmd.words)
    if _INTERPRETERS.match(cmd.tool):
        rest = words[1:]
        while rest:
            word = rest.pop(0)
            if word == "-m" and rest:
                return rest[0].replace(".", "/")
            if word in ("-c", "-e", "--eval"):
                return None
            if not word.startswith("-"):
                return word
        return None
    if _SCRIPT_SUFFIX.search(words[0]) or words[0].startswith(("./", "scripts/", "bin/")):
        return words[0]
    return None


_DEPLOY_WORD = re.compile(r"^(deploy|rollout)([-_][a-z]+)*$", re.I)


def _subcommand_deploy(cmd: Command, target: str) -> str | None:
    """``python -m pkg.cli deploy api``, ``./manage.sh deploy``, ``python utils.py --mode deploy-model``:
    a project CLI deploying (the word that says so)."""
    if not target:
        return None
    return next((w for w in cmd.words[1:6] if _DEPLOY_WORD.match(w)), None)


_COMPILE = re.compile(r"(^|[/_.:-])compil(e|er|es|ing|ation)?([/_.:-]|$)", re.I)


def compiles(words: tuple[str, ...] | list[str]) -> bool:
    """``compile_pipeline.py``, ``make compile-pipeline``, ``--compile``: a pipeline is compiled
    into its spec, not run."""
    return any(_COMPILE.search(w.lstrip("-")) for w in words)


#: file names that say nothing of what a script does: its folder does (``training/main.py``).
_GENERIC_NAMES = frozenset({"main", "__main__", "run", "cli", "app", "entrypoint", "entry", "start", "script",
                            "job", "task", "handler", "index", "wrapper", "launch", "launcher"})


def script_kinds(name: str) -> set[str]:
    """Kinds a script, module or function says by its name (``src/train``, ``check_drift``).

    The file's own name speaks first; its folders only when that name is a generic one
    (``training/main.py``): ``train_model/install_dependencies.sh`` installs, it does not train.
    """
    # CamelCase names say their words too (a Databricks notebook ``ModelDeployment``)
    name = _SCRIPT_SUFFIX.sub("", _CAMEL.sub("_", name).lower())
    base = name.rpartition("/")[2]
    if "/" in name and base not in _GENERIC_NAMES:
        name = base
    kinds = {kind for kind, rx in _COMPILED_SCRIPTS if rx.search(name)}
    if compiles([name]):
        kinds.discard(DATA_PIPELINE)
    return kinds


def classify_command(cmd: Command, remote_unread: bool = True) -> set[str]:
    """Kinds of one command (empty for inert commands such as echo).

    ``remote_unread``: a job submitted to a platform counts as training unless what it runs was
    read (then that decides).
    """
    if cmd.inert:
        return set()
    texts = [cmd.text]
    module = module_form(cmd)
    if module is not None:
        texts.append(module.text)
    kinds = {kind for kind, rx in _COMPILED_COMMANDS for text in texts if rx.search(text)}
    if remote_unread and _REMOTE_TRAIN.search(cmd.text):
        kinds.add(TRAIN)
    target = script_target(cmd)
    if target:
        kinds |= script_kinds(target)
        if compiles(cmd.words[1:]):
            kinds.discard(DATA_PIPELINE)
        word = _subcommand_deploy(cmd, target)
        if word:
            kinds.add(DOCS_DEPLOY if _DOCS_TARGET.search(word) else DEPLOY)
    if DEPLOY in kinds and target and _DOCS_TARGET.search(target):
        kinds.add(DOCS_DEPLOY)
    if DOCS_DEPLOY in kinds:
        kinds.discard(DEPLOY)
    if kinds & {TRAIN, DATA_PIPELINE} and is_test_path(_first_path(cmd) or ""):
        # a pipeline reproduced from a test fixture (``dvc repro tests/fixtures/pipeline/dvc.yaml``)
        # checks that the pipeline runs: a test, not a training or data run (a real pipeline run
        # on a sample, ``python train.py --data tests/data/small.csv``, still trains)
        kinds = (kinds - {TRAIN, DATA_PIPELINE}) | {TEST}
    return kinds


def _first_path(cmd: Command) -> str | None:
    """The first argument naming a file or folder (past subcommand words and options): what runs."""
    return next((w for w in cmd.words[1:] if not w.startswith("-") and ("/" in w or "." in w)), None)


#: kinds decided by the action's own name only: an input naming a scanner's report (an artifact
#: upload of trivy-results.sarif) does not make a utility action a scan
_NAME_ONLY = frozenset({SECURITY})


def classify_uses(uses: str, args: str = "") -> set[str]:
    """Kinds of an action, task, orb, plugin or builder image (with its inputs)."""
    if not uses:
        return set()
    name = uses.lower()
    text = f"{name} {args}".lower()
    kinds = {kind for kind, rx in _COMPILED_USES if rx.search(name if kind in _NAME_ONLY else text)}
    if DOCS_DEPLOY in kinds:
        kinds.discard(DEPLOY)
    return kinds
