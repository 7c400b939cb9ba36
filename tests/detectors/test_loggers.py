"""Tools that log for the project (framework loggers, trainer callbacks, Ray integrations), the
catalogue's keyword-value and keyed-file patterns they need, and the Ray/Anyscale and ZenML
entries of the catalogue."""
from __future__ import annotations

import pytest
from conftest import declared, git, present, run_detector

from test_hostile_shapes import HOSTILE

from detectors.catalogue import FileRule, Pattern
from detectors.deployment import DeploymentDetector
from detectors.history import HistoryDetector
from detectors.tools import ToolUsageDetector
from detectors.tracking import TrackingDetector
from scanner.model import Outcome
from scanner.parsing.python import Call


def tool_signals(make_repo, files):
    return present(run_detector(ToolUsageDetector, make_repo(files)))


# -- the pattern language ----------------------------------------------------------------------
@pytest.mark.parametrize("pattern, call, expected", [
    ("t.Args(report_to=mlflow|wandb)", Call("t.Args", 1, kwargs=(("report_to", "wandb"),)), True),
    ("t.Args(report_to=mlflow|wandb)", Call("t.Args", 1, kwargs=(("report_to", "WandB"),)), True),
    ("t.Args(report_to=mlflow|wandb)", Call("t.Args", 1, kwargs=(("report_to", ("none", "mlflow")),)), True),
    ("t.Args(report_to=mlflow|wandb)", Call("t.Args", 1, kwargs=(("report_to", "none"),)), False),
    ("t.Args(report_to=mlflow|wandb)", Call("t.Args", 1, kwargs=(("report_to", None),)), False),  # a variable
    ("t.Args(report_to=mlflow|wandb)", Call("t.Args", 1), False),
    ("t.Cb(save=true)", Call("t.Cb", 1, kwargs=(("save", True),)), True),
    ("t.Cb(save=true)", Call("t.Cb", 1, kwargs=(("save", False),)), False),
    # a negated value: the option is on unless it is switched off
    ("t.Cb(save!=false)", Call("t.Cb", 1), True),
    ("t.Cb(save!=false)", Call("t.Cb", 1, kwargs=(("save", True),)), True),
    ("t.Cb(save!=false)", Call("t.Cb", 1, kwargs=(("save", False),)), False),
    ("t.Cb(save)", Call("t.Cb", 1, kwargs=(("save", None),)), True),
])
def test_keyword_value_patterns(pattern, call, expected):
    assert Pattern.parse(pattern).matches(call) is expected


SERVICE = {"name": "svc", "ray_serve_config": {"applications": [{"name": "a", "import_path": "app:entry"}]},
           "rollout_strategy": "ROLLOUT"}


@pytest.mark.parametrize("keys, doc, expected", [
    (["ray_serve_config.applications.import_path"], SERVICE, True),       # through a list
    (["ray_serve_config.import_path|ray_serve_config.applications.import_path"], SERVICE, True),
    (["rollout_strategy=rollout"], SERVICE, True),
    (["rollout_strategy=in_place"], SERVICE, False),
    (["name", "missing"], SERVICE, False),                                # every key must hold
    (["artifacts.*.type=model"], {"artifacts": {"m": {"type": "model"}, "d": {"type": "dataset"}}}, True),
    (["artifacts.*.type=model"], {"artifacts": {"d": {"type": "dataset"}}}, False),
    (["post_build_cmds"], {"post_build_cmds": []}, False),                # empty is not given
    (["canary_percent"], {"canary_percent": 0}, True),
    (["a.b"], ["not", "a", "mapping"], False),
    (["a.b"], {"a": "scalar"}, False),
])
def test_keyed_file_rules(keys, doc, expected):
    assert FileRule.parse({"glob": "*.yaml", "keys": keys}).holds(doc) is expected


def test_keyed_file_rule_reads_only_files_naming_its_keys_and_points_at_the_first():
    rule = FileRule.parse({"glob": "*.yaml", "keys": ["rollout_strategy=rollout", "ray_serve_config"]})
    assert not rule.worth_reading("name: x\nray_serve_config: {}\n")
    assert rule.line_in("name: x\nray_serve_config: {}\nrollout_strategy: ROLLOUT\n") == 3
    assert FileRule.parse("MLproject") == FileRule("MLproject")


# -- PyTorch Lightning --------------------------------------------------------------------------
LIGHTNING_MODULE = ("import lightning.pytorch as L\n\nclass Model(L.LightningModule):\n"
                    "    def __init__(self, lr):\n        super().__init__()\n        self.save_hyperparameters()\n\n"
                    "    def training_step(self, batch, idx):\n        loss = self.net(batch)\n"
                    "        self.log('train/loss', loss)\n        return loss\n")


def lightning_train(logger: str) -> str:
    return ("import lightning.pytorch as L\nfrom lightning.pytorch.loggers import MLFlowLogger, WandbLogger, CSVLogger\n"
            "from lightning.pytorch.callbacks import ModelCheckpoint\nfrom model import Model\n"
            f"trainer = L.Trainer(logger={logger}, callbacks=[ModelCheckpoint(monitor='val_loss')])\n"
            "trainer.fit(Model(0.1))\n")


@pytest.mark.parametrize("logger, expected", [
    ("MLFlowLogger(experiment_name='e')", {"tracking.library", "tracking.params_metrics"}),
    ("MLFlowLogger(experiment_name='e', log_model=True)",
     {"tracking.library", "tracking.params_metrics", "tracking.artifacts_models"}),
    ("WandbLogger(project='p', log_model='all')",
     {"tracking.library", "tracking.params_metrics", "tracking.artifacts_models"}),
    ("WandbLogger(project='p', log_model=False)", {"tracking.library", "tracking.params_metrics"}),
    # local CSV files are no tracker; a variable merely named logger is no tracker either
    ("CSVLogger('logs')", set()),
    ("logger", set()),
])
def test_lightning_loggers(make_repo, logger, expected):
    signals = tool_signals(make_repo, {"model.py": LIGHTNING_MODULE, "train.py": lightning_train(logger)})
    tracking = {s for s in signals if s in ("tracking.library", "tracking.params_metrics", "tracking.artifacts_models")}
    assert tracking == expected


def test_lightning_logger_named_only_in_a_docstring_or_comment(make_repo):
    train = ('"""Train with MLFlowLogger(log_model=True) for tracking."""\nimport lightning.pytorch as L\n'
             "# logger = MLFlowLogger(log_model=True)\ntrainer = L.Trainer(logger=False)\n")
    assert not {"tracking.library", "tracking.artifacts_models"} & tool_signals(make_repo, {"train.py": train})


# -- Hugging Face Trainer ------------------------------------------------------------------------
def hf_train(report_to: str) -> str:
    return ("from transformers import Trainer, TrainingArguments\n"
            f"args = TrainingArguments(output_dir='out', report_to={report_to}, num_train_epochs=3)\n"
            "Trainer(model=model, args=args, train_dataset=ds).train()\n")


@pytest.mark.parametrize("report_to, expected", [
    ('"mlflow"', True),
    ('["wandb", "tensorboard"]', True),
    ('"all"', True),
    ('"none"', False),
    ('["none"]', False),
    ("[]", False),
    ("cfg.report_to", False),   # not a literal: nothing says which tracker, if any
])
def test_hf_trainer_report_to(make_repo, report_to, expected):
    signals = tool_signals(make_repo, {"train.py": hf_train(report_to)})
    assert ("tracking.library" in signals) is expected
    assert ("tracking.params_metrics" in signals) is expected


def test_hf_seq2seq_and_trl_configs_and_callbacks(make_repo):
    assert "tracking.params_metrics" in tool_signals(make_repo, {"train.py": (
        "from transformers import Seq2SeqTrainingArguments\nargs = Seq2SeqTrainingArguments('o', report_to='wandb')\n")})
    assert "tracking.params_metrics" in tool_signals(make_repo, {"sft.py": (
        "from trl import SFTConfig, SFTTrainer\ncfg = SFTConfig(output_dir='o', report_to=['mlflow'])\n")})
    assert "tracking.library" in tool_signals(make_repo, {"train.py": (
        "from transformers import Trainer\nfrom transformers.integrations import MLflowCallback\n"
        "Trainer(model=m, callbacks=[MLflowCallback()])\n")})


@pytest.mark.parametrize("files", [
    {"README.md": 'Set `TrainingArguments(report_to="mlflow")` to track runs.\n'},
    {"{{cookiecutter.project}}/train.py": hf_train('"mlflow"')},
    {".venv/lib/python3.11/site-packages/trainer/train.py": hf_train('"mlflow"')},
    {"requirements.txt": "transformers==4.44.0\nmlflow==2.16.0\n"},
    {"train.py": '"""report_to="wandb" logs to W&B."""\nfrom transformers import TrainingArguments\n'
                 "args = TrainingArguments('o')  # report_to='wandb'\n"},
])
def test_hf_tracker_named_only_in_prose_comments_or_requirements(make_repo, files):
    assert "tracking.params_metrics" not in tool_signals(make_repo, files)


# -- Keras --------------------------------------------------------------------------------------
KERAS_WANDB = """
import wandb
from wandb.integration.keras import WandbMetricsLogger, WandbModelCheckpoint
import tensorflow as tf

wandb.init(project="p", config={{"lr": 0.01}})
model.fit(x, y, callbacks=[WandbMetricsLogger(), {checkpoint}])
"""


@pytest.mark.parametrize("source, signal, expected", [
    (KERAS_WANDB.format(checkpoint="WandbModelCheckpoint('models')"), "tracking.params_metrics", True),
    (KERAS_WANDB.format(checkpoint="WandbModelCheckpoint('models')"), "tracking.artifacts_models", True),
    (KERAS_WANDB.format(checkpoint="tf.keras.callbacks.ModelCheckpoint('m.keras')"), "tracking.artifacts_models", False),
    # the legacy callback saves the best model unless told not to
    ("import wandb\nfrom wandb.keras import WandbCallback\nwandb.init(config=cfg)\nm.fit(x, callbacks=[WandbCallback()])\n",
     "tracking.artifacts_models", True),
    ("import wandb\nfrom wandb.keras import WandbCallback\nwandb.init(config=cfg)\n"
     "m.fit(x, callbacks=[WandbCallback(save_model=False)])\n", "tracking.artifacts_models", False),
    ("import mlflow\nmlflow.keras.autolog()\nmodel.fit(x, y)\n", "tracking.params_metrics", True),
    ("import tensorflow as tf\nfrom tensorboard.plugins.hparams import api as hp\n"
     "cb = hp.KerasCallback('logs', {'lr': 0.1})\n", "tracking.params_metrics", True),
    ("import tensorflow as tf\ncb = tf.keras.callbacks.TensorBoard('logs')\n", "tracking.params_metrics", False),
    # TensorFlow 1's writer, imported where it is switched on
    ("class Visualizer:\n    def __init__(self, opt):\n        if opt.tf_log:\n            import tensorflow as tf\n"
     "            self.writer = tf.summary.FileWriter(opt.log_dir)\n\n\nvisualizer = Visualizer(parse())\n",
     "tracking.library", True),
    ("import tensorflow as tf\nsummary = tf.Summary(value=[])\n", "tracking.library", False),
])
def test_keras_callbacks(make_repo, source, signal, expected):
    assert (signal in tool_signals(make_repo, {"train.py": source})) is expected

@pytest.mark.parametrize("source, expected", [
    ("import wandb\nrun = wandb.init(project='p', config=vars(args))\nrun.log({'loss': loss})\n", True),
    ("import wandb\nwandb.init(project='p')\nwandb.config.update(args)\nwandb.log({'loss': loss})\n", True),
    ("import wandb\nrun = wandb.init(project='p', name=n)\nrun.config.update(cfg_to_dict(cfg))\nrun.log(perf)\n", True),
    # options handed on whole may hold the config (a logger passing its init arguments through)
    ("import wandb\nself._experiment = wandb.init(**self._wandb_init)\nself._experiment.log(metrics)\n", True),
    ("import wandb\n\ndef run():\n    wandb.log({'mape': 0.1})\n\nsid = wandb.sweep(cfg)\nwandb.agent(sid, function=run)\n", True),
    # a run opened with no configuration records metrics only
    ("import wandb\nwandb.init(project='stylegan 2')\nwandb.log({'loss': loss})\n", False),
])
def test_wandb_params_need_a_configuration(make_repo, source, expected):
    assert ("tracking.params_metrics" in tool_signals(make_repo, {"train.py": source})) is expected



# -- PyTorch-Ignite ----------------------------------------------------------------------------
IGNITE = """
from ignite.engine import Events, create_supervised_trainer
from ignite.contrib.handlers import {logger}

trainer = create_supervised_trainer(model, optimizer, loss)
tb_logger = {logger}({args})
{extra}
tb_logger.attach_output_handler(trainer, event_name=Events.ITERATION_COMPLETED, tag="training",
                                output_transform=lambda loss: {{"loss": loss}})
"""


@pytest.mark.parametrize("logger, args, extra, expected", [
    # metrics only: a tracker, but no parameters
    ("TensorboardLogger", "log_dir='tb'", "", {"tracking.library"}),
    ("MLflowLogger", "tracking_uri='file:./mlruns'", "tb_logger.log_params({'lr': 0.1})",
     {"tracking.library", "tracking.params_metrics"}),
    ("WandBLogger", "project='p', config={'lr': 0.1}", "", {"tracking.library", "tracking.params_metrics"}),
])
def test_ignite_handlers(make_repo, logger, args, extra, expected):
    signals = tool_signals(make_repo, {"train.py": IGNITE.format(logger=logger, args=args, extra=extra)})
    assert {s for s in signals if s.startswith("tracking.")} == expected


def test_ignite_logger_class_of_the_project_is_not_ignite(make_repo):
    source = "class TensorboardLogger:\n    pass\n\ntb_logger = TensorboardLogger()\n"
    assert "tracking.library" not in tool_signals(make_repo, {"train.py": source})


# -- Ray Train / Tune integrations --------------------------------------------------------------
RAY_TRAIN = """
from ray.air.integrations.mlflow import MLflowLoggerCallback
from ray.train import RunConfig
from ray.train.torch import TorchTrainer

callback = MLflowLoggerCallback(tracking_uri=URI, experiment_name="e"{artifact})
trainer = TorchTrainer(loop, train_loop_config=cfg, run_config=RunConfig(callbacks=[callback]))
trainer.fit()
"""


@pytest.mark.parametrize("artifact, expected", [
    (", save_artifact=True", {"tracking.library", "tracking.params_metrics", "tracking.artifacts_models"}),
    ("", {"tracking.library", "tracking.params_metrics"}),
    (", save_artifact=False", {"tracking.library", "tracking.params_metrics"}),
])
def test_ray_mlflow_logger_callback(make_repo, artifact, expected):
    signals = tool_signals(make_repo, {"train.py": RAY_TRAIN.format(artifact=artifact)})
    assert {s for s in signals if s.startswith("tracking.")} == expected


@pytest.mark.parametrize("source, signal, expected", [
    ("import ray\ncb = ray.air.integrations.wandb.WandbLoggerCallback(project='p', upload_checkpoints=True)\n",
     "tracking.artifacts_models", True),
    ("from ray.air.integrations.wandb import setup_wandb\n\ndef loop(config):\n    wandb = setup_wandb(config)\n"
     "    wandb.log({'loss': 1.0})\n\ntrainer = TorchTrainer(loop)\n", "tracking.params_metrics", True),
    # setup_mlflow only opens the run: the loop must log
    ("from ray.air.integrations.mlflow import setup_mlflow\n\ndef loop(config):\n    mlflow = setup_mlflow(config)\n",
     "tracking.params_metrics", False),
    ("from ray.air.integrations.mlflow import setup_mlflow\n\ndef loop(config):\n    mlflow = setup_mlflow(config)\n"
     "    mlflow.log_params(config)\n    mlflow.log_metrics({'loss': 1.0})\n\ntrainer = TorchTrainer(loop)\n",
     "tracking.params_metrics", True),
    # imported, never used; named in a string only
    ("from ray.air.integrations.mlflow import MLflowLoggerCallback\n", "tracking.library", False),
    ("import ray\nHELP = 'pass MLflowLoggerCallback(save_artifact=True) to RunConfig'\n", "tracking.library", False),
])
def test_ray_tracker_integrations(make_repo, source, signal, expected):
    assert (signal in tool_signals(make_repo, {"train.py": source})) is expected


# -- Ray Tune, Data, Serve ------------------------------------------------------------------------
@pytest.mark.parametrize("files, signal, expected", [
    ({"tune.py": "from ray import tune\nfrom ray.tune.search.optuna import OptunaSearch\n"
                 "tuner = tune.Tuner(trainable, tune_config=tune.TuneConfig(search_alg=OptunaSearch()))\n"},
     "tracking.hpo", True),
    ({"tune.py": "import ray\nsched = ray.tune.schedulers.ASHAScheduler(max_t=10)\n"}, "tracking.hpo", True),
    ({"tune.py": "import ray\nray.init()\n"}, "tracking.hpo", False),      # Ray, but no search
    ({"data.py": "import ray\nds = ray.data.read_csv('s3://b/d.csv')\nds = ds.map_batches(clean)\n"},
     "data.prep_code", True),
    ({"data.py": "import ray\nds = ray.data.read_parquet('d.parquet')\n"}, "data.prep_code", False),  # read only
    # notebooks are not prep code in scripts or modules
    ({"explore.ipynb": '{"nbformat": 4, "cells": [{"cell_type": "code", "source": '
                       '"import ray\\nds = ray.data.read_csv(\'d.csv\').map_batches(f)"}]}'}, "data.prep_code", False),
    # nor is a notebook's exported script beside it
    ({"explore.ipynb": '{"nbformat": 4, "cells": []}',
      "explore.py": "import ray\nds = ray.data.read_csv('d.csv').map_batches(f)\n"}, "data.prep_code", False),
    ({"serve.py": "import ray\n@ray.serve.deployment\nclass Model:\n    pass\n"}, "deploy.serving", True),
    ({"serve.py": "from ray import serve\nfrom fastapi import FastAPI\napp = FastAPI()\n"
                  "@serve.deployment\n@serve.ingress(app)\nclass Api:\n    pass\n"}, "deploy.serving", True),
    ({"README.md": "Served with Ray Serve, tuned with Ray Tune.\n"}, "deploy.serving", False),
])
def test_ray_libraries(make_repo, files, signal, expected):
    assert (signal in tool_signals(make_repo, files)) is expected


def test_ray_named_only_in_prose_is_declared(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({"README.md": "Hyperparameters are searched with Ray Tune.\n"}))
    assert "tracking.hpo" in declared(ev) and "tracking.hpo" not in present(ev)


# -- Anyscale specs ------------------------------------------------------------------------------
SERVICE_V1 = """name: churn
cluster_env: churn-env
ray_serve_config:
  import_path: deploy.serve:entrypoint
  runtime_env:
    working_dir: .
rollout_strategy: {strategy}
"""
SERVICE_V2 = """name: churn
image_uri: anyscale/ray:2.30.0-py311
applications:
  - name: churn
    import_path: serve:app
"""
CLUSTER_ENV = """base_image: anyscale/ray:2.7.0optimized-py310-cu118
env_vars: {}
debian_packages:
  - curl
post_build_cmds:
  - python3 -m pip install -r requirements.txt
"""


@pytest.mark.parametrize("files, signal, expected", [
    ({"deploy/service.yaml": SERVICE_V1.format(strategy="ROLLOUT")}, "deploy.serving", True),
    ({"deploy/service.yaml": SERVICE_V1.format(strategy="ROLLOUT")}, "deploy.progressive", True),
    ({"deploy/service.yaml": SERVICE_V1.format(strategy="IN_PLACE")}, "deploy.progressive", False),
    ({"deploy/service.yaml": SERVICE_V1.format(strategy="IN_PLACE") + "canary_percent: 10\n"},
     "deploy.progressive", True),
    ({"service.yaml": SERVICE_V2}, "deploy.serving", True),
    ({"service.yaml": SERVICE_V2}, "deploy.container", True),
    ({"service.yaml": SERVICE_V2}, "deploy.progressive", False),     # the platform default, not set
    ({"deploy/cluster_env.yaml": CLUSTER_ENV}, "deploy.container", True),
    ({"deploy/cluster_env.yaml": "base_image: anyscale/ray:2.7.0\npost_build_cmds: []\n"}, "deploy.container", False),
    # the same keys quoted in a README, or commented out, are no spec
    ({"README.md": "```yaml\n" + CLUSTER_ENV + "```\n"}, "deploy.container", False),
    ({"deploy/service.yaml": "name: x\n# rollout_strategy: ROLLOUT\n# ray_serve_config:\n#   import_path: a:b\n"},
     "deploy.progressive", False),
    # another tool's keys: a rollout strategy with no Ray Serve application
    ({"deploy/app.yaml": "name: x\nrollout_strategy: ROLLOUT\nimage: web:1\n"}, "deploy.progressive", False),
])
def test_anyscale_specs(make_repo, files, signal, expected):
    assert (signal in tool_signals(make_repo, files)) is expected


def test_anyscale_rollout_evidence_points_at_the_strategy(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({"deploy/service.yaml": SERVICE_V1.format(strategy="ROLLOUT")}))
    (found,) = [e for e in ev if e.signal == "deploy.progressive"]
    assert (found.locations[0].path, found.locations[0].line) == ("deploy/service.yaml", 7)


@pytest.mark.parametrize("command, expected", [
    ("anyscale service rollout -f deploy/service.yaml --canary-percent 20", True),
    ("anyscale service deploy -f service.yaml --rollout-strategy ROLLOUT", True),
    ("anyscale service rollout -f deploy/service.yaml --rollout-strategy IN_PLACE", False),
    ("anyscale service rollout -f deploy/service.yaml", False),
    ("# anyscale service rollout -f deploy/service.yaml --canary-percent 20", False),
])
def test_anyscale_canary_rollout_commands(make_repo, command, expected):
    workflow = ("on: push\njobs:\n  serve:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n"
                f"          {command}\n")
    ev = run_detector(DeploymentDetector, make_repo({".github/workflows/serve.yaml": workflow,
                                                     "README.md": "anyscale service rollout --canary-percent 5\n"}))
    assert ("deploy.progressive" in present(ev)) is expected


def test_malformed_spec_is_no_match_and_no_crash(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({"service.yaml": "ray_serve_config: [\n  rollout_strategy: ROLLOUT\n"}))
    assert not {"deploy.serving", "deploy.progressive"} & present(ev)


# -- ZenML ---------------------------------------------------------------------------------------
ZENML_TRAINING = """
from zenml import Model, pipeline, step
from zenml.config.schedule import Schedule

@step
def train() -> float:
    return 0.9

@pipeline(model=Model(name="churn", description="churn classifier"))
def training():
    train()

training.with_options(schedule=Schedule(cron_expression="0 3 * * *"))()
"""


ZENML_STEP = """
from typing import Annotated, Tuple
from sklearn.linear_model import Ridge
from zenml import ArtifactConfig, log_metadata, step
from zenml.enums import ArtifactType
from zenml.types import HTMLString

@step
def train(X, y) -> Tuple[Annotated[Ridge, ArtifactConfig(name="model", artifact_type=ArtifactType.MODEL)],
                         Annotated[HTMLString, "report"]]:
    model = Ridge().fit(X, y)
    log_metadata(metadata={"metrics": {"r2": model.score(X, y)}})
    return model, HTMLString(f"<p>r2 {model.score(X, y):.3f}</p>")
"""


@pytest.mark.parametrize("files, signal, expected", [
    ({"pipelines/training.py": ZENML_TRAINING}, "data.pipeline_definition", True),
    ({"pipelines/training.py": ZENML_TRAINING}, "data.pipeline_automated", True),
    ({"pipelines/training.py": ZENML_TRAINING}, "tracking.model_registry", True),
    # a step alone is no pipeline; a project class named Model is no model registry
    ({"steps.py": "from zenml import step\n@step\ndef load():\n    pass\n"}, "data.pipeline_definition", False),
    ({"steps.py": "from zenml import step\nclass Model:\n    pass\n\nm = Model()\n"}, "tracking.model_registry", False),
    ({"promote.py": "from zenml import get_step_context, step\nfrom zenml.enums import ModelStages\n@step\n"
                    "def promote():\n    get_step_context().model.set_stage(ModelStages.PRODUCTION, force=True)\n"},
     "tracking.model_registry", True),
    ({"infer.py": "from zenml.integrations.mlflow.model_deployers import MLFlowModelDeployer\n"
                  "deployer = MLFlowModelDeployer.get_active_model_deployer()\n"}, "deploy.serving", True),
    ({"README.md": "Pipelines run on ZenML.\n", "requirements.txt": "zenml==0.60.0\n"}, "data.pipeline_definition", False),
    # a pipeline attached to a Model version links its runs' data artifacts to that version
    ({"pipelines/training.py": ZENML_TRAINING}, "data.lineage", True),
    ({"pipelines/training.py": ZENML_TRAINING.replace('(model=Model(name="churn", description="churn classifier"))', "")},
     "data.lineage", False),
    ({"steps/train.py": ZENML_STEP}, "tracking.library", True),
    ({"steps/train.py": ZENML_STEP}, "tracking.params_metrics", True),
    ({"steps/train.py": ZENML_STEP}, "tracking.artifacts_models", True),
    ({"steps/train.py": ZENML_STEP}, "monitoring.logging", True),
    ({"pipelines/training.py": ZENML_TRAINING.replace(
        "@pipeline(", "@pipeline(settings={'docker': DockerSettings(requirements=['scikit-learn'])}, ").replace(
        "from zenml.config.schedule import Schedule", "from zenml.config import DockerSettings\n"
                                                   "from zenml.config.schedule import Schedule")},
     "deploy.container", True),
    # a step that returns data logs nothing and declares no model
    ({"steps/load.py": "from zenml import step\n\n@step\ndef load() -> dict:\n    return {'rows': 3}\n"},
     "tracking.artifacts_models", False),
    ({"steps/load.py": "from zenml import step\n\n@step\ndef load() -> dict:\n    return {'rows': 3}\n"},
     "tracking.library", False),
])
def test_zenml(make_repo, files, signal, expected):
    assert (signal in tool_signals(make_repo, files)) is expected


# -- oddly shaped configs --------------------------------------------------------------------------
@pytest.mark.parametrize("value", HOSTILE)
def test_odd_experiment_configs_never_crash(make_repo, value):
    files = {
        "dvc.yaml": f"artifacts: {value}\nstages:\n  train:\n    cmd: python t.py\n    params: {value}\nmetrics: {value}\n",
        "artifacts.yaml": f"m: {value}\n",
        "sweep.yaml": f"method: grid\nparameters: {value}\nmetric: {value}\n",
        "conf/config.yaml": f"defaults: {value}\nhydra:\n  sweeper: {value}\n",
        "train.py": "import hydra\n@hydra.main(config_path='conf')\ndef main(cfg):\n    pass\n",
        "run.sh": "wandb sweep sweep.yaml\npython train.py --multirun\n",
        "service.yaml": f"ray_serve_config: {value}\napplications: {value}\nrollout_strategy: {value}\n",
        "cluster_env.yaml": f"base_image: {value}\npost_build_cmds: {value}\n",
    }
    root = make_repo(files, git=True)
    git(root, "tag", "m@v1.0.0")  # so that the declared models are read
    for detector in (ToolUsageDetector, TrackingDetector, HistoryDetector):
        assert all(e.outcome is not Outcome.ERROR for e in run_detector(detector, root))


CLU_LOOP = ("from clu import metric_writers\n\n\ndef train_and_evaluate(config, workdir):\n"
            "    writer = metric_writers.create_default_writer(workdir, asynchronous=False)\n"
            "    writer.write_hparams(config.to_dict())\n    for step in range(10):\n"
            "        writer.write_scalars(step, dict(train_loss=loss(step)))\n\n\n"
            "if __name__ == '__main__':\n    train_and_evaluate(get_config(), '/tmp/w')\n")


@pytest.mark.parametrize("source, expected", [
    (CLU_LOOP, {"tracking.library", "tracking.params_metrics"}),
    # metrics only: the writer is a tracker, but no parameters reach it
    (CLU_LOOP.replace("    writer.write_hparams(config.to_dict())\n", ""), {"tracking.library"}),
])
def test_clu_metric_writers(make_repo, source, expected):
    found = tool_signals(make_repo, {"vit_jax/train.py": source}) & {"tracking.library", "tracking.params_metrics"}
    assert found == expected


BASICSR_TRAIN = ("import os.path as osp\n\nfrom basicsr.train import train_pipeline\n\nimport gfp.archs  # noqa: F401\n\n"
                 "if __name__ == '__main__':\n    root_path = osp.abspath(osp.join(__file__, osp.pardir, osp.pardir))\n"
                 "    train_pipeline(root_path)\n")
BASICSR_OPTIONS = "name: train_v1\nmodel_type: GFPGANModel\nlogger:\n  print_freq: 100\n  use_tb_logger: true\n  wandb:\n    project: ~\n"


@pytest.mark.parametrize("files, signals", [
    # the options file a BasicSR run is handed turns TensorBoard on; the run writes its log file
    ({"gfp/train.py": BASICSR_TRAIN, "options/train_v1.yml": BASICSR_OPTIONS},
     {"tracking.library", "tracking.config_management", "monitoring.logging"}),
    # TensorBoard switched off in the options
    ({"gfp/train.py": BASICSR_TRAIN, "options/train_v1.yml": BASICSR_OPTIONS.replace("use_tb_logger: true", "use_tb_logger: false")},
     {"tracking.config_management", "monitoring.logging"}),
    # BasicSR only listed as a dependency
    ({"requirements.txt": "basicsr>=1.4.2\n", "options/train_v1.yml": BASICSR_OPTIONS.replace("use_tb_logger: true", "")}, set()),
])
def test_basicsr_runs_and_their_options(make_repo, files, signals):
    found = present(run_detector(ToolUsageDetector, make_repo(files)))
    assert found & {"tracking.library", "tracking.config_management", "monitoring.logging"} == signals


HF_LAUNCH = ("#!/bin/bash\n\ndeepspeed llava/train/train_mem.py \\\n    --deepspeed ./scripts/zero3.json \\\n"
             "    --output_dir ./checkpoints/llava-v1.5 \\\n    --learning_rate 2e-5 \\\n    --report_to {tracker}\n")


@pytest.mark.parametrize("tracker, tracked", [("wandb", True), ("none", False)])
def test_a_launch_script_handing_the_trainer_a_tracker(make_repo, tracker, tracked):
    files = {"scripts/finetune.sh": HF_LAUNCH.format(tracker=tracker),
             "llava/train/train_mem.py": "import transformers\n\nparser = transformers.HfArgumentParser((TrainingArguments,))\n"}
    found = present(run_detector(ToolUsageDetector, make_repo(files)))
    assert ({"tracking.library", "tracking.params_metrics"} <= found) is tracked


WRAPPER = ("from unittest.mock import MagicMock\n\ntry:\n    import mlflow\nexcept ImportError:\n"
           "    mlflow = MagicMock()\n")
TRAINING = ("from kaggle_pkg.utils.mlflow_wrapper import mlflow\n\n"
            "mlflow.log_params(config)\nmlflow.log_metric('rmse', rmse)\n")


@pytest.mark.parametrize("files, expected", [
    # a tool re-exported by an optional-dependency wrapper and used through it
    ({"kaggle_pkg/utils/mlflow_wrapper.py": WRAPPER, "kaggle_pkg/training.py": TRAINING}, True),
    # the same name from a module that never imports the tool is something else
    ({"kaggle_pkg/utils/mlflow_wrapper.py": "class mlflow:\n    pass\n", "kaggle_pkg/training.py": TRAINING}, False),
])
def test_a_tool_used_through_a_project_wrapper(make_repo, files, expected):
    assert ("tracking.params_metrics" in tool_signals(make_repo, files)) is expected


ACCELERATE = ("import accelerate\n\naccelerator = accelerate.Accelerator(log_with=['wandb'])\n"
              "accelerator.init_trackers('rlhf', config=vars(args))\n"
              "for step in range(10):\n    accelerator.log({'reward': reward}, step=step)\n")


@pytest.mark.parametrize("source, signals", [
    # Accelerate's trackers: the run opened with its config, metrics logged through the accelerator
    (ACCELERATE, {"tracking.library", "tracking.params_metrics"}),
    (ACCELERATE.replace(", config=vars(args)", ""), {"tracking.library"}),
    # an Accelerator used only to place tensors on devices tracks nothing
    ("import accelerate\n\naccelerator = accelerate.Accelerator()\nmodel = accelerator.prepare(model)\n", set()),
])
def test_accelerate_trackers(make_repo, source, signals):
    found = tool_signals(make_repo, {"train.py": source})
    assert {s for s in found if s in ("tracking.library", "tracking.params_metrics")} == signals
