"""Experiment tracking signals: the tracking detector and the tracking part of the tool catalogue."""
from __future__ import annotations

import json

import pytest
from conftest import declared, present, run_detector

from detectors.tools import ToolUsageDetector
from detectors.tracking import TrackingDetector


def notebook(*cells: str) -> str:
    return json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": c} for c in cells]})


LIGHTNING_MODULE = ("import pytorch_lightning as pl\n\nclass Model(pl.LightningModule):\n"
                    "    def __init__(self, cfg):\n        super().__init__()\n        self.save_hyperparameters(cfg)\n\n"
                    "    def training_step(self, batch, idx):\n        loss = self.net(batch)\n"
                    "        self.log('train/loss', loss)\n        return loss\n")
LIGHTNING_TRAIN = ("import pytorch_lightning as pl\nfrom pytorch_lightning.loggers import {logger}\nfrom model import Model\n"
                   "trainer = pl.Trainer(logger={logger}(save_dir='logs'))\ntrainer.fit(Model({{}}))\n")


def tracking_signals(make_repo, files):
    return present(run_detector(TrackingDetector, make_repo(files)))


def tool_signals(make_repo, files):
    return present(run_detector(ToolUsageDetector, make_repo(files)))


def test_notebooks_are_counted(make_repo):
    ev = run_detector(TrackingDetector, make_repo({"a.ipynb": notebook("x = 1"), "nb/b.ipynb": notebook("y = 2"),
                                                   "c.py": "z = 3\n"}))
    (found,) = [e for e in ev if e.signal == "tracking.notebooks"]
    assert found.attributes["notebooks"] == 2


@pytest.mark.parametrize("files", [
    {"src/train.py": "x = 1\n"},
    {"{{cookiecutter.name}}/explore.ipynb": notebook("x = 1")},
    {".venv/lib/site-packages/pkg/demo.ipynb": notebook("x = 1")},
])
def test_no_notebooks(make_repo, files):
    assert "tracking.notebooks" not in tracking_signals(make_repo, files)


@pytest.mark.parametrize("files, signal, expected", [
    ({"train.py": "import mlflow\nwith mlflow.start_run():\n    mlflow.log_param('lr', 1)\n    mlflow.log_metric('acc', 1)\n"},
     "tracking.params_metrics", True),
    ({"train.py": "import mlflow\nmlflow.log_metric('acc', 1)\n"}, "tracking.params_metrics", False),  # no params
    ({"train.py": "import mlflow\nmlflow.sklearn.log_model(m, 'model')\n"}, "tracking.artifacts_models", True),
    # one way of logging only a test exercises does not hide another the project's code uses
    ({"tests/test_mlflow.py": "import mlflow\nmlflow.log_artifact('x.txt')\n",
      "training/train.py": "import mlflow.lightgbm\nmlflow.lightgbm.log_model(model, artifact_path='model')\n"},
     "tracking.artifacts_models", True),
    # a model saved with its metadata by MLEM (versioned beside it by DVC)
    ({"src/train.py": "from mlem.api import save\nsave(model, 'model/svm', sample_data=X)\n"}, "tracking.artifacts_models", True),
    ({"src/train.py": "import mlem\n"}, "tracking.artifacts_models", False),
    ({"train.py": "import mlflow\nclient = mlflow.MlflowClient()\nclient.log_dict(r, {}, 'd.json')\n"},
     "tracking.artifacts_models", True),
    ({"train.py": "import mlflow\n# mlflow.sklearn.log_model(m, 'model')\nmlflow.set_experiment('x')\n"},
     "tracking.artifacts_models", False),
    ({"train.py": "from torch.utils.tensorboard import SummaryWriter\nw = SummaryWriter()\n"}, "tracking.library", True),
    ({"train.py": "import tensorflow as tf\ncb = tf.keras.callbacks.TensorBoard(log_dir='logs')\n"}, "tracking.library", True),
    ({"train.py": "import tensorflow as tf\nmodel = tf.keras.Sequential()\n"}, "tracking.library", False),
    ({"train.py": "from clearml import Task\ntask = Task.init(project_name='p')\n"}, "tracking.library", True),
    ({"train.py": "from dvclive import Live\nwith Live() as live:\n    live.log_param('lr', 1)\n    live.log_metric('acc', 1)\n"},
     "tracking.params_metrics", True),
    ({"train.py": "from sacred import Experiment\nex = Experiment('e')\n"}, "tracking.library", True),
    ({"README.md": "Track runs with MLflow or Weights & Biases.\n"}, "tracking.library", False),
    ({"requirements.txt": "mlflow==2.17\nwandb==0.17\n"}, "tracking.library", False),
    ({"venv/lib/python3.11/site-packages/mlflow/x.py": "import mlflow\nmlflow.log_metric('a', 1)\n"},
     "tracking.library", False),
    ({"AGENTS.md": "Use mlflow.log_metric for everything.\n"}, "tracking.library", False),
    # Lightning: hyperparameters and self.log reach the tracker logger given to the Trainer
    ({"model.py": LIGHTNING_MODULE, "train.py": LIGHTNING_TRAIN.format(logger="WandbLogger")},
     "tracking.params_metrics", True),
    ({"model.py": LIGHTNING_MODULE, "train.py": LIGHTNING_TRAIN.format(logger="TensorBoardLogger")},
     "tracking.params_metrics", True),
    # the run's config handed to the W&B run behind the logger, and self.log for the metrics
    ({"model.py": LIGHTNING_MODULE.replace("        self.save_hyperparameters(cfg)\n", ""),
      "train.py": ("import pytorch_lightning as pl\nfrom pytorch_lightning.loggers import WandbLogger\n"
                   "from model import Model\nlogger = WandbLogger(project='p')\nlogger.experiment.config.update(cfg)\n"
                   "pl.Trainer(logger=logger).fit(Model(cfg))\n")}, "tracking.params_metrics", True),
    ({"model.py": LIGHTNING_MODULE.replace("        self.save_hyperparameters(cfg)\n", ""),
      "train.py": ("import pytorch_lightning as pl\nfrom pytorch_lightning.loggers import WandbLogger\n"
                   "from model import Model\npl.Trainer(logger=WandbLogger(project='p')).fit(Model(cfg))\n")},
     "tracking.params_metrics", False),
    # Ultralytics' MLflow callback logs the training run of a module that also works with MLflow
    ({"train.py": "import mlflow\nfrom ultralytics import YOLO\n\nmlflow.set_tracking_uri(URI)\n"
                  "YOLO('yolov8n.pt').train(data='data.yaml', epochs=3)\n"}, "tracking.params_metrics", True),
    ({"train.py": "import mlflow\nfrom ultralytics import YOLO\n\nmlflow.set_tracking_uri(URI)\n"
                  "YOLO('yolov8n.pt').train(data='data.yaml', epochs=3)\n"}, "tracking.artifacts_models", True),
    ({"train.py": "from ultralytics import YOLO\nYOLO('yolov8n.pt').train(data='data.yaml', epochs=3)\n"},
     "tracking.params_metrics", False),
    # RSL-RL's runner writes TensorBoard logs of each run to the log directory it is given
    ({"utils/task_registry.py": "from rsl_rl.runners import OnPolicyRunner\n\n\ndef make_runner(env, cfg, log_dir):\n"
                                "    return OnPolicyRunner(env, cfg, log_dir, device='cuda')\n",
      "train.py": "from utils.task_registry import make_runner\n\nmake_runner(env, cfg, 'logs/run1').learn(1500)\n"},
     "tracking.library", True),
    ({"utils/task_registry.py": "from rsl_rl.env import VecEnv\n\n\nclass Env(VecEnv):\n    pass\n"}, "tracking.library", False),
    # each Ultralytics training run writes its own results and evaluation plots; loading a model does not
    ({"train.py": "from ultralytics import YOLO\nYOLO('yolov8n.pt').train(data='data.yaml', epochs=3)\n"},
     "monitoring.logging", True),
    ({"infer.py": "from ultralytics import YOLO\nYOLO('best.pt').predict('img.jpg')\n"}, "monitoring.logging", False),
    # no tracker logger: metrics go to a local CSV at most
    ({"model.py": LIGHTNING_MODULE, "train.py": LIGHTNING_TRAIN.format(logger="CSVLogger")},
     "tracking.params_metrics", False),
    ({"model.py": LIGHTNING_MODULE}, "tracking.params_metrics", False),
])
def test_tracker_use(make_repo, files, signal, expected):
    assert (signal in tool_signals(make_repo, files)) is expected


def test_tracker_in_prose_is_declared(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({"README.md": "We log runs to MLflow.\n"}))
    assert "tracking.library" in declared(ev) and "tracking.library" not in present(ev)


@pytest.mark.parametrize("files, expected", [
    ({"tune.py": "import optuna\nstudy = optuna.create_study()\nstudy.optimize(objective, n_trials=5)\n"}, True),
    ({"tune.py": "from ray import tune\ntuner = tune.Tuner(trainable)\n"}, True),
    ({"tune.py": "from hyperopt import fmin, tpe\nbest = fmin(f, space, algo=tpe.suggest)\n"}, True),
    ({"tune.py": "from sklearn.model_selection import GridSearchCV\ns = GridSearchCV(m, grid)\n"}, True),
    ({"sweep.py": "import wandb\nsweep_id = wandb.sweep(cfg)\n"}, True),
    ({"search.py": "from sklearn.model_selection import ParameterSampler\n"
                   "for params in ParameterSampler(space, n_iter=20):\n    score = fit_and_score(**params)\n"}, True),
    ({"spark/train.py": "from pyspark.ml.tuning import ParamGridBuilder, CrossValidator\n"
                        "grid = ParamGridBuilder().addGrid(gbt.maxDepth, [3, 5]).build()\n"
                        "cv = CrossValidator(estimator=gbt, estimatorParamMaps=grid, evaluator=ev, numFolds=3)\n"}, True),
    ({"spark/train.py": "from pyspark.ml.tuning import ParamGridBuilder\ngrid = ParamGridBuilder().build()\n"}, False),
    # forecasting models that search their own hyperparameters (Ray Tune or Optuna under the hood)
    ({"models/nf.py": "from neuralforecast import NeuralForecast\nfrom neuralforecast.auto import AutoNHITS\n"
                      "nf = NeuralForecast(models=[AutoNHITS(h=12, backend='optuna', num_samples=20)], freq='D')\n"}, True),
    ({"models/mlf.py": "from mlforecast.auto import AutoMLForecast, AutoLightGBM\n"
                       "auto = AutoMLForecast(models={'lgb': AutoLightGBM()}, freq='D', season_length=7)\n"}, True),
    ({"tune.py": "import optuna\n"}, False),
    ({"models/nf.py": "from neuralforecast import NeuralForecast\nfrom neuralforecast.models import NHITS\n"
                      "nf = NeuralForecast(models=[NHITS(h=12)], freq='D')\n"}, False),
    ({"tune.py": "from sklearn.model_selection import train_test_split\nx = train_test_split(X)\n"}, False),
    ({"README.md": "Hyperparameters were tuned with Optuna.\n"}, False),
])
def test_hpo(make_repo, files, expected):
    assert ("tracking.hpo" in tool_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, expected", [
    ({"train.py": "import mlflow\nmlflow.register_model('runs:/1/model', 'm')\n"}, True),
    ({"train.py": "import mlflow\nmlflow.sklearn.log_model(m, 'model', registered_model_name='m')\n"}, True),
    ({"svc.py": "import mlflow\ndef get_client():\n    return mlflow.MlflowClient()\n"
                "client = get_client()\nclient.set_registered_model_alias('m', 'prod', 1)\n"}, True),
    ({"train.py": "import mlflow\nmlflow.sklearn.log_model(m, 'model')\n"}, False),
    # W&B Registry: a logged artifact version linked into a registry collection
    ({"evaluate.py": "import wandb\nart = wandb.use_artifact('model:latest')\nart.link('org/wandb-registry-model/prod')\n"},
     True),
    ({"links.py": "import os\nos.link('a', 'b')\n"}, False),
    # GTO / DVC model registry: model artifacts declared in artifacts.yaml or dvc.yaml
    ({"artifacts.yaml": "churn:\n  type: model\n  path: models/churn.pkl\n"}, True),
    ({"dvc.yaml": "artifacts:\n  churn:\n    path: model.pkl\n    type: model\nstages: {}\n"}, True),
    ({"dvc.yaml": "artifacts:\n  raw:\n    path: data.xml\n    type: dataset\n"}, False),
    ({"README.md": "Versions are registered with GTO.\n", "docs/artifacts.md": "```yaml\nm:\n  type: model\n```\n"},
     False),
])
def test_model_registry(make_repo, files, expected):
    assert ("tracking.model_registry" in tool_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, expected", [
    # a served model resolved from the registry by name and version or alias, even built in an f-string
    ({"api/model_loader.py": "import mlflow\n\ndef load(name, version):\n"
                             "    return mlflow.transformers.load_model(model_uri=f'models:/{name}/{version}')\n"}, True),
    ({"serve.py": "import mlflow.pyfunc\nmodel = mlflow.pyfunc.load_model('models:/churn@prod')\n"}, True),
    ({"serve.py": "import mlflow\nmodel = mlflow.pyfunc.load_model('models:/' + NAME + '/Production')\n"}, True),
    # traps: the URI only in a docstring, a run's artifact loaded, a test's stub
    ({"serve.py": "import mlflow\n\ndef load(uri):\n    \"\"\"uri: e.g. models:/churn/1\"\"\"\n"
                  "    return mlflow.pyfunc.load_model(uri)\n"}, False),
    ({"serve.py": "import mlflow\nmodel = mlflow.pyfunc.load_model(f'runs:/{run_id}/model')\n"}, False),
    ({"tests/test_serve.py": "import mlflow\nmodel = mlflow.pyfunc.load_model('models:/churn/1')\n"}, False),
])
def test_models_loaded_from_the_registry_use_it(make_repo, files, expected):
    assert ("tracking.model_registry" in tracking_signals(make_repo, files)) is expected


KEDRO_CATALOG = ("x_train:\n  type: pandas.ParquetDataSet\n  filepath: data/05_model_input/x_train.parquet\n\n"
                 "model:\n  type: kedro_mlflow.io.models.MlflowModelLoggerDataSet\n  flavor: mlflow.catboost\n"
                 "  save_args:\n    registered_model_name: churn\n\n"
                 "metrics:\n  type: kedro_mlflow.io.metrics.MlflowMetricsDataSet\n  prefix: ''\n")


@pytest.mark.parametrize("files, signal, expected", [
    # kedro-mlflow: its hook logs the parameters, the catalog logs metrics and the registered model
    ({"conf/base/catalog.yml": KEDRO_CATALOG}, "tracking.params_metrics", True),
    ({"conf/base/catalog.yml": KEDRO_CATALOG}, "tracking.artifacts_models", True),
    ({"conf/base/catalog.yml": KEDRO_CATALOG}, "tracking.model_registry", True),
    ({"conf/base/mlflow.yml": "server:\n  mlflow_tracking_uri: mlruns\ntracking:\n  experiment:\n    name: churn\n"},
     "tracking.library", True),
    # a model logged without registering it; a catalog of plain datasets; the plugin named in prose
    ({"conf/base/catalog.yml": KEDRO_CATALOG.replace("  save_args:\n    registered_model_name: churn\n", "")},
     "tracking.model_registry", False),
    ({"conf/base/catalog.yml": KEDRO_CATALOG.split("\n\nmodel:")[0] + "\n"}, "tracking.artifacts_models", False),
    ({"README.md": "Runs are logged with kedro-mlflow (MlflowMetricsDataSet).\n"}, "tracking.params_metrics", False),
])
def test_kedro_mlflow_catalog(make_repo, files, signal, expected):
    assert (signal in tool_signals(make_repo, files)) is expected


@pytest.mark.parametrize("files, expected", [
    ({"conf/config.yaml": "lr: 0.1\n", "train.py": "import hydra\n@hydra.main(config_path='conf')\ndef main(cfg):\n    pass\n"},
     True),
    ({"train.py": "from omegaconf import OmegaConf\ncfg = OmegaConf.load('c.yaml')\n"}, True),
    ({"README.md": "Configured with Hydra.\n"}, False),
    # ml_collections: a config file given by a flag (``--config configs/cifar10.py``)
    ({"main.py": "from absl import flags\nfrom ml_collections.config_flags import config_flags\n"
                 "config_flags.DEFINE_config_file('config', None, 'Training configuration.')\n"}, True),
    ({"configs/base.py": "import ml_collections\n\ndef get_config():\n    return ml_collections.ConfigDict()\n"},
     False),  # configs nobody reads from the command line
    ({"requirements.txt": "ml-collections==0.1.0\n"}, False),
    # yacs-style configs: an experiment YAML merged into the defaults (GraphGym, detectron2)
    ({"main.py": "from torch_geometric.graphgym.config import cfg, load_cfg, set_cfg\n\nset_cfg(cfg)\nload_cfg(cfg, args)\n"},
     True),
    ({"train.py": "from yacs.config import CfgNode as CN\n\n_C = CN()\ncfg = _C.clone()\ncfg.merge_from_file(args.config)\n"},
     True),
    ({"requirements.txt": "yacs==0.1.8\n"}, False),
    # theconf: the YAML given with ``-c`` read as one global Config
    ({"search.py": "from theconf import Config as C, ConfigArgumentParser\n\n"
                   "parser = ConfigArgumentParser(conflict_handler='resolve')\nargs = parser.parse_args()\nlr = C.get()['lr']\n"},
     True),
    ({"requirements.txt": "theconf==0.1\n"}, False),
    # Ludwig: the model is a declarative config of input and output features
    ({"model_config_files/ludwig_core.yaml": "input_features:\n  - name: open\n    type: number\n"
                                            "output_features:\n  - name: close\n    type: number\n"}, True),
    ({"train.py": "from ludwig.api import LudwigModel\nmodel = LudwigModel(config='config.yaml')\nmodel.train(dataset=df)\n"},
     True),
    ({"features.yaml": "input_features: [open, high]\n"}, False),
    # an Azure ML CLI v2 job spec: the run's inputs and settings apart from its code
    ({"jobs/pipelines/train.yml": "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
                                  "type: pipeline\ninputs:\n  data:\n    type: mltable\n    path: azureml:curated@latest\n"
                                  "  max_depth: 6\njobs:\n  train:\n    command: python train.py\n"}, True),
    ({"jobs/pipelines/train.yml": "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
                                  "type: pipeline\njobs:\n  train:\n    command: python train.py\n"}, False),
    # a Dagster job run with a run configuration its ops' Config classes read
    ({"jobs/training.py": "from dagster import define_asset_job\n\ntraining_job = define_asset_job(\n    name='Training',\n"
                          "    selection=['dataset', 'experiment'],\n    config={'ops': {'experiment': {'config': {'epochs': [10]}}}},\n)\n"},
     True),
    ({"run.py": "import dagster as dg\n\ndg.materialize([train], run_config=dg.RunConfig(ops={'train': TrainConfig(epochs=5)}))\n"},
     True),
    # a job without a run configuration, and Dagster in requirements only
    ({"jobs/training.py": "from dagster import define_asset_job\n\ntraining_job = define_asset_job(name='Training', selection='*')\n"},
     False),
    ({"requirements.txt": "dagster==1.7.0\n"}, False),
])
def test_config_management_tools(make_repo, files, expected):
    assert ("tracking.config_management" in tool_signals(make_repo, files)) is expected


CONFIG_HELPER = "import yaml\n\ndef read_config(path):\n    with open(path) as f:\n        return yaml.safe_load(f)\n"
EVAL_SCRIPT = ("import argparse\nimport yaml\n\nparser = argparse.ArgumentParser()\nparser.add_argument('--config')\n"
               "args = parser.parse_args()\nwith open(args.config) as f:\n    config = yaml.safe_load(f)\n")
LOADER = "import yaml\nfrom pathlib import Path\n\ndef load(name):\n    return yaml.safe_load((Path('configs') / name).read_text())\n"


@pytest.mark.parametrize("files, expected", [
    ({"configs/training.yaml": "lr: 0.1\n", "src/config.py": LOADER}, True),
    ({"params.yaml": "train:\n  lr: 0.1\n", "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    params: [train.lr]\n"},
     True),
    ({"params.yaml": "lr: 0.1\n", "train.py": "import yaml\nparams = yaml.safe_load(open('params.yaml'))\n"}, True),
    ({"train.py": "import json, os\ncfg = json.loads(os.environ.get('TRAIN_CONFIG', '{}'))\n"}, True),
    # a JSON config parsed from its text
    ({"eval/retrieval_config.json": '{"chunk_size": 800, "top_k": 5}',
      "src/retrieval.py": "import json\nfrom pathlib import Path\n\n"
                          "CONFIG = json.loads(Path('eval/retrieval_config.json').read_text())\n"}, True),
    ({"configs/training.yaml": "lr: 0.1\n"}, False),                      # never read
    # the config's folder named only inside an image reference of a loader
    ({"manifests/kubeflow/params.yaml": "namespace: kubeflow\n",
      "sync.py": "import json\nIMAGE = 'ghcr.io/kubeflow/frontend'\nobserved = json.loads(body)\n"}, False),
    ({"configs/train/finetune.yaml": "lr: 0.1\n",
      "run.py": "import yaml\nfrom pathlib import Path\n\ncfg = yaml.safe_load(open('./train/' + name))\n"}, True),
    ({".pre-commit-config.yaml": "repos: []\n", "x.py": "import yaml\nyaml.safe_load(open('.pre-commit-config.yaml'))\n"},
     False),
    ({"docs/guide.md": "Create `params.yaml`:\n```yaml\nlr: 0.1\n```\n"}, False),
    ({".github/workflows/config.yml": "on: push\n", "x.py": "import yaml\nyaml.safe_load(open('.github/workflows/config.yml'))\n"},
     False),
    # the settings of a deployment stage, read to deploy: no experiment config
    ({"deploy/prod-config.json": '{"instance_type": "ml.m5.large", "variant_weight": 1}',
      "deploy.py": "import json\ncfg = json.load(open('deploy/prod-config.json'))\n"}, False),
    ({"deploy/endpoint_config.json": '{"instance_type": "ml.m5.large", "data_capture": 100}',
      "deploy/build_config_file.py": "import json\ncfg = json.load(open('deploy/endpoint_config.json'))\n"}, False),
    # a Kubernetes ConfigMap of a service's settings configures the cluster
    ({"k8s/01-api-config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-config\ndata:\n  MODEL: m\n",
      "service.py": "import yaml\ncfg = yaml.safe_load(open('k8s/01-api-config.yaml'))\n"}, False),
    # the keys to a cloud account kept beside the configs
    ({"config/aws_credentials.json": '{"aws_access_key_id": "x", "region": "eu-west-1"}',
      "tools/deploy.py": "import json\ncreds = json.load(open('config/aws_credentials.json'))\n"}, False),
    # a tool's own settings folder (ZenML, Streamlit) holds no experiment config
    ({".zen/config.yaml": "active_stack_id: x\n", "x.py": "import yaml\nyaml.safe_load(open('.zen/config.yaml'))\n"},
     False),
    # a project helper wraps the loader; the script naming the config calls the helper
    ({"configs/train/finetune.yaml": "lr: 0.1\n", "utils/load.py": CONFIG_HELPER,
      "finetune.py": "from utils.load import read_config\ncfg = read_config('configs/train/finetune.yaml')\n"}, True),
    ({"configs/train/finetune.yaml": "lr: 0.1\n",
      "finetune.py": "import yaml\n\ndef read_config(path):\n    return yaml.safe_load(open(path))\n\n"
                     "cfg = read_config(ARGS.config or DEFAULT)\n",
      "run.py": "from finetune import read_config\nread_config('configs/train/finetune.yaml')\n"}, True),
    # a folder of configs of one kind, globbed by the code that builds the model
    ({"src/clip/model_configs/ViT-B-32.json": '{"embed_dim": 512}',
      "src/clip/factory.py": "import json\nfrom pathlib import Path\n\nPATHS = [Path(__file__).parent / 'model_configs/']\n"
                             "configs = [json.load(open(f)) for p in PATHS for f in p.glob('*.json')]\n"}, True),
    ({"src/clip/model_files/ViT-B-32.json": '{"embed_dim": 512}',
      "src/clip/factory.py": "import json\nfrom pathlib import Path\n\nPATHS = [Path(__file__).parent / 'model_files/']\n"
                             "configs = [json.load(open(f)) for p in PATHS for f in p.glob('*.json')]\n"}, False),
    # ... or imported through the package that re-exports it
    ({"config/config.yaml": "lr: 0.1\n", "utils/load.py": CONFIG_HELPER, "utils/__init__.py": "from .load import read_config\n",
      "main.py": "from utils import read_config\nconfig = read_config('./config/config.yaml')\n"}, True),
    # a method of another object that happens to share the helper's name reads nothing
    ({"configs/train/finetune.yaml": "lr: 0.1\n", "utils/load.py": CONFIG_HELPER,
      "finetune.py": "import store\ns = store.Client()\ns.read_config('configs/train/finetune.yaml')\n"}, False),
    # the helper's module loads a file elsewhere; the config is never handed to it
    ({"configs/train/finetune.yaml": "lr: 0.1\n", "utils/load.py": CONFIG_HELPER,
      "finetune.py": "from utils.load import read_config\ncfg = read_config(ARGS.path)\n"}, False),
    # a task runner hands the config to the script that loads it
    ({"configs/chunk_1024.yaml": "chunk_size: 1024\n", "evaluation/run_eval.py": EVAL_SCRIPT,
      "Makefile": "CONFIG ?= configs/chunk_1024.yaml\n\neval:\n\tpython evaluation/run_eval.py --config $(CONFIG)\n"}, True),
    ({"configs/chunk_1024.yaml": "chunk_size: 1024\n", "evaluation/run_eval.py": EVAL_SCRIPT,
      "scripts/sweep.sh": "for c in configs/*.yaml; do python -m evaluation.run_eval --config \"$c\"; done\n"}, True),
    # a Metaflow flow loads its config files itself
    ({"configs/model.json": '{"algorithm": "isolation_forest"}', "flows/train/flow.py":
      "from metaflow import FlowSpec, step, Config\n\nclass Train(FlowSpec):\n"
      "    model_config = Config('model_config', default='configs/model.json')\n"}, True),
    # a DVC stage's command hands the config to the module that loads it (through a helper)
    ({"params/random_forest.yaml": "n_estimators: 100\n", "mlops/load_params.py": CONFIG_HELPER,
      "mlops/run_experiment.py": "from mlops.load_params import read_config\nparams = read_config(ARGS.params_path)\n",
      "dvc.yaml": "stages:\n  train:\n    cmd: python -m mlops.run_experiment --params_path params/random_forest.yaml\n"},
     True),
    # a README's usage command hands the config to the script that loads it ...
    ({"configs/full_flow_config.yaml": "flow_module: flows.full\n", "run_flow.py": EVAL_SCRIPT,
      "README.md": "## Usage\n\n4. Run `python run_flow.py --config configs/full_flow_config.yaml`\n"}, True),
    ({"configs/pretrain/vitl16.yaml": "lr: 0.1\n", "app/main.py": EVAL_SCRIPT,
      "README.md": "## Launch\n\n```bash\npython -m app.main \\\n  --fname configs/pretrain/vitl16.yaml \\\n"
                   "  --devices cuda:0\n```\n"}, True),
    # ... not a README's tree of the project naming the folder and the script apart
    ({"configs/full_flow_config.yaml": "flow_module: flows.full\n", "run_flow.py": EVAL_SCRIPT,
      "README.md": "## Layout\n\n- configs/: flow settings\n- run_flow.py: the entry point\n"}, False),
    # the launcher names the configs but runs a script that loads none; or names no config
    ({"configs/chunk_1024.yaml": "chunk_size: 1024\n", "evaluation/run_eval.py": "print('eval')\n",
      "Makefile": "eval:\n\tpython evaluation/run_eval.py --config configs/chunk_1024.yaml\n"}, False),
    ({"configs/chunk_1024.yaml": "chunk_size: 1024\n", "evaluation/run_eval.py": EVAL_SCRIPT,
      "Makefile": "eval:\n\tpython evaluation/run_eval.py --config $(CONFIG)\n"}, False),
    # a launcher's commented-out line hands nothing to anyone
    ({"configs/chunk_1024.yaml": "chunk_size: 1024\n", "evaluation/run_eval.py": EVAL_SCRIPT,
      "scripts/run.sh": "python evaluation/run_eval.py\n#  --config configs/chunk_1024.yaml\n"}, False),
    # a web service's own settings (the models it serves) read by its app: the service's config
    ({"app/model_config.json": '{"models": {"miew": {"path": "w.bin", "threshold": 0.5}}}',
      "app/main.py": "import json\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
                     "CONFIG = json.load(open('app/model_config.json'))\n\n\n@app.get('/health')\ndef health():\n"
                     "    return {'ok': True}\n"}, False),
    # the inputs of infrastructure as code (Bicep parameters, cluster definitions) read by the
    # scripts creating the resources are no experiment's settings
    ({"infrastructure/bicep/params/dev/bicep.parameters.json": '{"location": {"value": "uksouth"}}',
      "infrastructure/databricks/databricks_configs/dev/clusters.json": '{"Clusters": [{"spark_version": "11.3"}]}',
      "utils/create_cluster.py": "import json\ncfg = json.load(open('infrastructure/databricks/databricks_configs/dev/clusters.json'))\n"
                                 "bicep = json.load(open('bicep.parameters.json'))\n"}, False),
    # a folder spelled out as configurations, globbed and read by the pipeline's builder
    ({"build_pipeline/configurations/xgboost.pipeline.json": '{"pipeline_name": "xgb", "max_depth": 6}',
      "build_pipeline/infra/utils.py": "import json\nfrom pathlib import Path\n\n\ndef get_props(path):\n"
                                       "    return json.load(open(path))\n\n\n"
                                       "props = [get_props(k) for k in Path('configurations').glob('*.pipeline.json')]\n"},
     True),
    # the config's path kept as a constant of a module that a config-loading module imports
    ({"config/params.yaml": "lr: 0.1\n",
      "src/proj/constants/__init__.py": "from pathlib import Path\nROOT = Path(__file__).parents[3]\n"
                                        "PARAMS_FILE_PATH = ROOT / 'config' / 'params.yaml'\n",
      "src/proj/config/configuration.py": "import yaml\nfrom proj.constants import PARAMS_FILE_PATH\n\n\n"
                                          "class ConfigurationManager:\n    def __init__(self, path=PARAMS_FILE_PATH):\n"
                                          "        self.params = yaml.safe_load(open(path))\n"}, True),
    # ... but not a constant module no loader imports
    ({"config/params.yaml": "lr: 0.1\n",
      "src/proj/constants/__init__.py": "PARAMS_FILE_PATH = 'config/params.yaml'\n",
      "src/proj/config/loader.py": "import yaml\n\n\ndef load(path):\n    return yaml.safe_load(open(path))\n"}, False),
])
def test_config_management(make_repo, files, expected):
    assert ("tracking.config_management" in tracking_signals(make_repo, files)) is expected


MODEL_REQS = "mlflow==2.9.2\nnumpy==1.26.4\npandas==2.1.4\nscikit-learn==1.3.2\n"


KFP_COMPONENT = ("from kfp.dsl import component, Input, Output, Dataset, Model\n\n\n"
                 "@component(base_image='{image}', packages_to_install=['pandas==1.4.2', 'xgboost==1.5.2', 'numpy==1.22.3'])\n"
                 "def train_xgb(frame: Input[Dataset], model: Output[Model]):\n    pass\n")


@pytest.mark.parametrize("files, expected", [
    ({"uv.lock": 'version = 1\n[[package]]\nname = "numpy"\nversion = "2.0.0"\n'}, True),
    ({"poetry.lock": '[[package]]\nname = "scikit-learn"\nversion = "1.5.0"\n'}, True),
    ({"requirements.txt": "numpy==2.0.0\npandas==2.2.2\nscikit-learn==1.5.0\n"}, True),
    ({"environment.yml": "name: e\ndependencies:\n  - python=3.11\n  - numpy=1.26\n  - pandas=2.2\n"}, True),
    ({"pyproject.toml": "[project]\nname='x'\ndependencies=['torch==2.3.0','numpy==1.26.4','tqdm==4.66.0']\n"}, True),
    ({"requirements.txt": "numpy\npandas>=2\nscikit-learn\n"}, False),         # unpinned
    # a pinned docs toolchain is not an ML environment
    ({"requirements-freeze.txt": "click==8.1\njinja2==3.1\nmarkdown==3.6\npygments==2.18\n"}, False),
    ({"README.md": "Run `poetry lock` to pin numpy.\n"}, False),
    # environment files MLflow writes next to a logged model pin that model, not the project
    ({"models/prod/model/MLmodel": "flavors: {}\n", "models/prod/model/requirements.txt": MODEL_REQS}, False),
    ({"mlruns/0/abc/artifacts/model/requirements.txt": MODEL_REQS}, False),
    ({"requirements.txt": MODEL_REQS}, True),
    # compatible releases down to the patch are pins; most of an ML environment pinned is one
    ({"environments/conda/train.yml": "name: t\ndependencies:\n  - python=3.8\n  - pip:\n      - numpy~=1.23.5\n"
                       "      - pandas~=1.5.2\n      - scikit-learn~=1.2.0\n"}, True),
    ({"requirements.txt": "numpy==1.22.0\npandas==1.4.2\nscikit-learn==1.1.1\nscipy\nseaborn\n"}, True),
    ({"requirements.txt": "numpy==1.22.0\npandas\nscikit-learn\nscipy\nseaborn\n"}, False),
    ({"requirements.txt": "numpy~=1.22\npandas~=1.4\nscikit-learn~=1.1\n"}, False),  # a minor series is a range
    # half pinned, every ML package among them: the framework fixed, small utilities floating
    ({"requirements.txt": "torch==2.0.0\ntorchvision==0.15.0\nomegaconf\ntorchmetrics==0.10.3\nfvcore\niopath\n"}, True),
    ({"requirements.txt": "torch==2.0.0\nnumpy\nomegaconf\ntorchmetrics==0.10.3\nfvcore\niopath\n"}, False),
    # conda's own pip entry is no dependency; a git URL is one, pinned only at a commit
    ({"conda.yaml": "name: x\ndependencies:\n  - python=3.9\n  - pytorch::pytorch=2.0.0\n  - omegaconf\n  - pip\n"
                    "  - pip:\n    - git+https://github.com/facebookincubator/submitit\n"}, True),
    ({"conda.yaml": "name: x\ndependencies:\n  - python\n  - pytorch::pytorch=2.0.0\n  - omegaconf\n"
                    "  - pip:\n    - git+https://github.com/facebookincubator/submitit\n"}, False),
    # a training image fixes the environment training runs in
    ({"dockerfiles/train.dockerfile": "FROM python:3.12-slim\nCOPY uv.lock pyproject.toml ./\nRUN uv sync\n"
                                      "ENTRYPOINT [\"python\", \"-m\", \"pkg.train\"]\n"}, True),
    ({"docker/Dockerfile": "FROM pytorch/pytorch:2.3.0\nCOPY . /app\nCMD [\"python\", \"train_model.py\"]\n"}, True),
    # an application's setup.py pinning what it installs is its environment; ranges are not
    ({"setup.py": "from setuptools import setup\nsetup(name='app', install_requires=['numpy==1.22.4', "
                  "'pandas==1.4.2', 'scikit-learn==1.1.1', 'scipy==1.8.1'])\n"}, True),
    ({"setup.py": "from setuptools import setup\nsetup(name='lib', install_requires=['numpy>=1.20', "
                  "'pandas>=1.3', 'scikit-learn>=1.0', 'scipy'])\n"}, False),
    # a training image whose installs float rebuilds a different environment each time
    ({"docker/train.Dockerfile": "FROM python:3.11-slim\nRUN pip install --no-cache-dir mlflow xgboost==2.0.3\n"
                                 "CMD [\"python\", \"train.py\"]\n"}, False),
    ({"worker/requirements.txt": "scikit-learn>=1.3\npandas>=2.0\nnumpy>=1.24\n",
      "worker/Dockerfile": "FROM python:3.10-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
                           "CMD [\"python\", \"-m\", \"app.train\"]\n"}, False),
    ({"docker/train.Dockerfile": "FROM python:3.11-slim\nRUN pip install --no-cache-dir mlflow==2.9.2 xgboost==2.0.3\n"
                                 "CMD [\"python\", \"train.py\"]\n"}, True),
    # a versioned ML framework image fixes the libraries that matter, whatever is added on top
    ({"training_pipeline/requirements.txt": "kfp\nkeras-tuner\n",
      "training_pipeline/Dockerfile": "FROM tensorflow/tfx:1.9.1\nCOPY ./ ./\nRUN pip install -r requirements.txt\n"
                                      "CMD [\"python\", \"train.py\"]\n"}, True),
    # an image a compose stack builds for its training service
    ({"docker/image/Dockerfile": "FROM python:3.9.15-slim\nCOPY ./src ./src\nRUN pip install ./src\n",
      "docker-compose.yml": "services:\n  train:\n    build:\n      context: .\n      dockerfile: docker/image/Dockerfile\n"
                            "    command: churn\n  api:\n    build: .\n"}, True),
    ({"Dockerfile": "FROM python:3.12\nRUN pip install .\n",
      "compose.yaml": "services:\n  worker:\n    build: .\n    command: python -m pkg.train --epochs 3\n"}, True),
    # a compose service that serves, or a training service whose Dockerfile is not in the repository
    ({"Dockerfile": "FROM python:3.12\nRUN pip install .\n",
      "docker-compose.yml": "services:\n  api:\n    build: .\n    command: uvicorn app:app\n"}, False),
    ({"docker-compose.yml": "services:\n  train:\n    build: ./trainer\n"}, False),
    # a research repository's image on a versioned framework base: the environment its scripts run in
    ({"Dockerfile": "FROM nvcr.io/nvidia/pytorch:20.12-py3\nRUN pip install imageio-ffmpeg==0.4.3\n"
                    "WORKDIR /workspace\nENTRYPOINT [\"/entry.sh\"]\n"}, True),
    ({"Dockerfile": "FROM pytorch/pytorch:1.5-cuda10.1-cudnn7-runtime\nCOPY requirements.txt /workspace\n"
                    "RUN pip install -r /workspace/requirements.txt\n"}, True),
    # ... but not one that serves or starts a notebook, nor a bare CUDA image with floating installs
    ({"Dockerfile": "FROM pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime\nCOPY . /app\nEXPOSE 8000\n"
                    "CMD [\"python\", \"main.py\"]\n"}, False),
    ({"Dockerfile": "FROM tensorflow/tensorflow:2.15.0-jupyter\nCOPY . /tf\nCMD [\"jupyter\", \"lab\"]\n"}, False),
    ({"requirements.txt": "torch\ntransformers>=4.28\npeft\n",
      "Dockerfile": "FROM nvidia/cuda:11.8.0-devel-ubuntu22.04\nCOPY requirements.txt .\n"
                    "RUN pip install -r requirements.txt\nCOPY . .\nENTRYPOINT [\"python3\"]\n"}, False),
    # a Kubeflow component pinning what it installs on a versioned image; not on one that moves
    ({"pipelines/components/train_op.py": KFP_COMPONENT.format(image="python:3.9")}, True),
    ({"pipelines/components/train_op.py": KFP_COMPONENT.format(image="python:latest")}, False),
    ({"pipelines/components/train_op.py": KFP_COMPONENT.format(image="python:3.9").replace("==", ">=")}, False),
    # a serving image or a dev container is not the training environment
    ({"Dockerfile": "FROM python:3.12\nCOPY . /app\nCMD [\"uvicorn\", \"app:app\"]\n"}, False),
    ({"docs/training.md": "```dockerfile\nFROM python\nCMD python train.py\n```\n"}, False),
])
def test_reproducible_env(make_repo, files, expected):
    assert ("tracking.reproducible_env" in tracking_signals(make_repo, files)) is expected


GATED = """
import mlflow
client = mlflow.MlflowClient()

def promote(name, version):
    client.set_registered_model_alias(name, "champion", version)

def main(new_rmse, champion_rmse, version):
    if new_rmse < champion_rmse:
        promote("model", version)
"""
ACCEPT_FLAG = """
from mlflow import MlflowClient

def evaluate():
    return True

def run():
    candidate_accepted = evaluate()
    if candidate_accepted:
        MlflowClient().transition_model_version_stage("m", 3, "Production")
"""
UNGATED = """
import mlflow
import sys
client = mlflow.MlflowClient()

def set_alias(name, alias, version):
    client.set_registered_model_alias(name, alias, version)

if len(sys.argv) > 1:
    set_alias("m", "staging", sys.argv[1])
"""
NONE_CHECK = """
import mlflow
mv = mlflow.register_model("runs:/1/model", "m")
if mv is not None:
    mlflow.MlflowClient().set_registered_model_alias("m", "staging", mv.version)
"""

WANDB_GATED = """
import wandb
candidate = wandb.use_artifact("trained_model:latest")

def run(prod_metrics, r2_score):
    if prod_metrics["val_r2"] > r2_score:
        print("candidate is worse")
    else:
        candidate.link("org/wandb-registry-model/production")
"""

AIRFLOW_PUSH = """
import mlflow

def push_model(run_id):
    v = mlflow.register_model(f"runs:/{run_id}/model", "m").version
    mlflow.MlflowClient().transition_model_version_stage("m", v, "Production")
"""
AIRFLOW_VALIDATE = """
def validate_model(f1_new, f1_old):
    if f1_new > f1_old:
        return "push_new_model"
    return "keep_old_model"
"""
AIRFLOW_DAG = """
from airflow import DAG
from airflow.operators.python import BranchPythonOperator, PythonOperator
from tasks.validate import validate_model
from tasks.push import push_model

with DAG("ci", schedule=None):
    check = BranchPythonOperator(task_id="model_validation", python_callable=validate_model)
    push = PythonOperator(task_id="push_new_model", python_callable=push_model)
    check >> push
"""


ZENML_MOVES = """\
from mlflow import MlflowClient
from zenml import step


def choose_champion(name, version=3):
    MlflowClient().set_registered_model_alias(name=name, alias="champion", version=version)


@step
def promote_step():
    choose_champion('churn')
"""


ZENML_PROMOTE = """
from zenml import get_step_context, step
from zenml.enums import ModelStages

@step
def promote(accuracy: float, current: float) -> None:
    model = get_step_context().model
    if accuracy > current:
        model.set_stage(ModelStages.PRODUCTION, force=True)
"""


@pytest.mark.parametrize("files, expected", [
    ({"pipeline/promote.py": GATED}, True),
    ({"flow.py": ACCEPT_FLAG}, True),
    # the gate and the registry helper live in different modules
    ({"registry.py": "import mlflow\n\ndef register(run_id):\n    mlflow.register_model(f'runs:/{run_id}/m', 'm')\n",
      "flow.py": "from registry import register\n\ndef run(metrics):\n    if metrics['f1'] >= 0.8:\n        register('abc')\n"},
     True),
    # an Airflow branch returns the id of the task that promotes only when the metric improves
    ({"tasks/push.py": AIRFLOW_PUSH, "tasks/validate.py": AIRFLOW_VALIDATE, "dags/ci.py": AIRFLOW_DAG}, True),
    # the same branch without the promoting task wired (the task runs something else)
    ({"tasks/push.py": AIRFLOW_PUSH, "tasks/validate.py": AIRFLOW_VALIDATE,
      "dags/ci.py": AIRFLOW_DAG.replace("python_callable=push_model", "python_callable=print")}, False),
    ({"scripts/set_alias.py": UNGATED}, False),        # a manual script: argv check is no evaluation
    ({"evaluate.py": WANDB_GATED}, True),
    ({"evaluate.py": WANDB_GATED.replace("org/wandb-registry-model/production", "https://example.org")}, False),
    ({"train.py": NONE_CHECK}, False),                 # registers every run
    # ZenML Model Control Plane: a version moved to production only when it beats the current one
    ({"steps/promote.py": ZENML_PROMOTE}, True),
    ({"steps/promote.py": ZENML_PROMOTE.replace("ModelStages.PRODUCTION", "level")}, False),  # a game's stage
    ({"steps/promote.py": ZENML_PROMOTE.replace("    if accuracy > current:\n        ", "    ")}, False),
    ({"tests/test_promote.py": GATED}, False),
    ({"docs/promote.md": "```python\nif acc > best:\n    client.set_registered_model_alias('m', 'prod', v)\n```\n"}, False),
    ({"promote.py": "# if acc > best:\n#     client.set_registered_model_alias('m', 'prod', v)\nx = 1\n"}, False),
    # the registry's production tag moved through a helper, behind the challenger's test
    ({"src/utils.py": "class Registered:\n    def promote_to_prod(self):\n        self.aml_model.add_tags({'prod': True})\n"
                      "        self.aml_model.update_tags_properties()\n",
      "src/promote.py": "from src.utils import Registered\n\ndef main(challenger, mae):\n    if mae < MAX_MAE:\n"
                        "        challenger.promote_to_prod()\n"}, True),
    # a pipeline module's step moving the serving alias on every run is automated promotion ...
    ({"src/model.py": ZENML_MOVES}, True),
    # ... but not when the function that moves it is never called, nor when the alias marks a candidate
    ({"src/model.py": ZENML_MOVES.replace("\n\n@step\ndef promote_step():\n    choose_champion('churn')\n", "\n")}, False),
    ({"src/model.py": ZENML_MOVES.replace('alias="champion"', 'alias=f"challenger{version}"')}, False),
    # a tag naming no stage is metadata
    ({"src/utils.py": "class Registered:\n    def annotate(self):\n        self.aml_model.add_tags({'team': 'risk'})\n",
      "src/promote.py": "from src.utils import Registered\n\ndef main(challenger, mae):\n    if mae < MAX_MAE:\n"
                        "        challenger.annotate()\n"}, False),
])
def test_registry_promotion(make_repo, files, expected):
    assert ("tracking.registry_promotion" in tracking_signals(make_repo, files)) is expected


NEW_SYNTAX = '''import mlflow

def run(cfg):
    mlflow.log_param("model", f"{cfg["name"]}")
    mlflow.log_metric("rmse", 1.0)
    # mlflow.log_artifact("commented.txt")
'''


def test_unparsable_source_is_line_scanned(make_repo):
    # the parser falls back to a line scan, which the catalogue-driven tools detector reads
    ev = run_detector(ToolUsageDetector, make_repo({"train.py": NEW_SYNTAX}))
    signals = present(ev)
    assert "tracking.params_metrics" in signals
    assert "tracking.artifacts_models" not in signals  # the commented-out call is ignored


def test_unparsable_source_without_tracker_is_silent(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({"train.py": 'x = f"{d["k"]}"\nprint(x)\n'}))
    assert present(ev) == set()


KEDRO_PIPELINE = """
from kedro.pipeline import Pipeline, node
from .nodes import train

def create_pipeline(**kwargs):
    return Pipeline([node(train, inputs=["model_input", "params:model_options"], outputs="model")])
"""


@pytest.mark.parametrize("files, expected", [
    ({"conf/base/parameters_training.yml": "model_options:\n  alpha: 0.1\n",
      "src/proj/pipelines/training/pipeline.py": KEDRO_PIPELINE}, True),
    ({"configs/train.yaml": "lr: 0.1\n",
      "train.py": "import hydra\n@hydra.main(config_path='configs', config_name='train', version_base=None)\n"
                  "def main(cfg):\n    print(cfg.lr)\n"}, True),
    # a ZenML run config handed to the pipeline that reads it
    ({"pipelines/embed/config_embed.yaml": "steps:\n  load_data:\n    parameters:\n      data_version: v2\n",
      "run.py": "from pipelines.embed import embed_pipeline\n\n"
                "embed_pipeline.with_options(config_path='pipelines/embed/config_embed.yaml')()\n"}, True),
    # the same config that nothing hands on
    ({"pipelines/embed/config_embed.yaml": "steps:\n  load_data:\n    parameters:\n      data_version: v2\n",
      "run.py": "from pipelines.embed import embed_pipeline\n\nembed_pipeline()\n"}, False),
    # parameters nobody reads: no Kedro pipeline takes params: inputs
    ({"conf/base/parameters.yml": "alpha: 0.1\n", "src/app.py": "print('hello')\n"}, False),
    ({"conf/base/parameters.yml": "alpha: 0.1\n",
      "src/proj/pipeline.py": "# from kedro.pipeline import node\n# node(f, inputs='params:alpha', outputs='x')\n"}, False),
])
def test_config_management_framework_readers(make_repo, files, expected):
    assert ("tracking.config_management" in tracking_signals(make_repo, files)) is expected


CONFIGURATOR = ("import sys\n\nfor arg in sys.argv[1:]:\n    if '=' not in arg:\n        config_file = arg\n"
                "        exec(open(config_file).read())\n")
PY_CONFIG = "# GPT-2 on OpenWebText\nout_dir = 'out-owt'\nbatch_size = 12\nlearning_rate = 6e-4\nmax_iters = 600000\n"


@pytest.mark.parametrize("files, expected", [
    ({"configurator.py": CONFIGURATOR, "config/train_gpt2.py": PY_CONFIG,
      "train.py": "batch_size = 8\nexec(open('configurator.py').read())\n"}, True),
    ({"tools/train.py": "from mmengine.config import Config\ncfg = Config.fromfile(args.config)\n",
      "configs/retinanet_r50.py": "_base_ = ['./base.py']\nmodel = dict(type='RetinaNet')\nlr = 0.01\n"}, True),
    # a config module named on the command line and imported by that name
    ({"config/locomotion.py": "base = {'diffusion': {'horizon': 32, 'batch_size': 32}}\nlogbase = 'logs'\n",
      "utils/setup.py": "import importlib\n\n\ndef read_config(args):\n    module = importlib.import_module(args.config)\n"
                        "    return getattr(module, 'base')\n"}, True),
    # ... not a plugin loaded by name
    ({"config/locomotion.py": "base = {'diffusion': {'horizon': 32}}\n",
      "utils/plugins.py": "import importlib\n\n\ndef load(name):\n    return importlib.import_module(name)\n"}, False),
    # settings files that nothing runs, and a runner with no settings files
    ({"config/train_gpt2.py": PY_CONFIG, "train.py": "batch_size = 8\n"}, False),
    ({"configurator.py": CONFIGURATOR, "train.py": "print('x')\n"}, False),
    # a config folder of code, not settings; a helper script run by its literal name
    ({"configurator.py": CONFIGURATOR, "config/loader.py": (
        "import yaml\n\ndef load(p):\n    return yaml.safe_load(open(p))\n\nprint(load('a'))\nload('b')\n")}, False),
    ({"config/train_gpt2.py": PY_CONFIG, "train.py": "exec(open('configurator.py').read())\n"}, False),
])
def test_python_config_files_run_by_the_project(make_repo, files, expected):
    assert ("tracking.config_management" in tracking_signals(make_repo, files)) is expected


# -- tracker logs committed -----------------------------------------------------------------------
EVENTS = {"lightning_logs/version_0/events.out.tfevents.1643132087.host.8211.0": b"\x00\x01binary",
          "lightning_logs/version_0/hparams.yaml": "{}\n"}


@pytest.mark.parametrize("code, expected_tier", [
    # Lightning's default logger wrote them
    ("import pytorch_lightning as pl\ntrainer = pl.Trainer(max_epochs=3)\ntrainer.fit(model)\n", "executed"),
    ("from torch.utils.tensorboard import SummaryWriter\nw = SummaryWriter('runs')\nw.add_scalar('loss', 1.0)\n",
     "executed"),
    # no logger in the code: the committed log alone is only declared
    ("import pytorch_lightning as pl\ntrainer = pl.Trainer(logger=False)\n", "declared"),
    ("print('no tracker here')\n", "declared"),
])
def test_committed_tensorboard_events(make_repo, code, expected_tier):
    ev = run_detector(TrackingDetector, make_repo({**EVENTS, "train.py": code}))
    (found,) = [e for e in ev if e.signal == "tracking.library"]
    assert found.tier.value == expected_tier
    assert found.locations[0].path.startswith("lightning_logs/version_0/events.out.tfevents.")


def test_no_event_files_no_tensorboard_evidence(make_repo):
    ev = run_detector(TrackingDetector, make_repo({"train.py": "import pytorch_lightning as pl\npl.Trainer()\n",
                                                   "runs/README.md": "events.out.tfevents files go here\n"}))
    assert not [e for e in ev if e.signal == "tracking.library"]


# -- W&B sweep files ------------------------------------------------------------------------------
SWEEP = "program: train.py\nmethod: bayes\nmetric:\n  name: val_loss\n  goal: minimize\nparameters:\n  lr:\n    min: 0.0001\n    max: 0.1\n"


@pytest.mark.parametrize("files, expected", [
    ({"configs/sweep.yaml": SWEEP, "Makefile": "sweep:\n\twandb sweep configs/sweep.yaml\n"}, "configured"),
    ({"sweep.yaml": SWEEP, ".github/workflows/hpo.yml": "on: workflow_dispatch\njobs:\n  s:\n    runs-on: ubuntu-latest\n"
                                                       "    steps:\n      - run: wandb sweep --project p sweep.yaml\n"}, "configured"),
    ({"sweep.yaml": SWEEP, "hpo.py": "import wandb, yaml\nsweep_id = wandb.sweep(yaml.safe_load(open('sweep.yaml')))\n"
                                     "wandb.agent(sweep_id, train)\n"}, "configured"),
    # a task that builds the command around the config it is given, by default this one
    ({"configs/sweeps/train_sweep.yaml": SWEEP, "tasks/train.py": (
        "from invoke import task\n\n@task\ndef sweep(ctx, sweep_config='configs/sweeps/train_sweep.yaml'):\n"
        "    ctx.run(f'uv run wandb sweep {sweep_config}')\n")}, "configured"),
    # the same task naming another file by default
    ({"configs/sweeps/train_sweep.yaml": SWEEP, "tasks/train.py": (
        "from invoke import task\n\n@task\ndef sweep(ctx, sweep_config='configs/sweeps/other.yaml'):\n"
        "    ctx.run(f'uv run wandb sweep {sweep_config}')\n")}, "declared"),
    # the agent program it names is the project's own, written to read the trial's configuration
    ({"configs/sweep.yaml": SWEEP.replace("program: train.py\n", "command:\n  - ${env}\n  - python3\n  - -m\n"
                                          "  - pkg.sweep_runner\n"),
      "src/pkg/sweep_runner.py": "import wandb\n\nrun = wandb.init()\ntrain(lr=run.config.lr)\n"}, "configured"),
    ({"sweep.yaml": SWEEP, "train.py": "import wandb\n\nwandb.init(config={'lr': 0.1})\n"}, "configured"),
    # ... not when the program is missing or does not talk to W&B
    ({"sweep.yaml": SWEEP}, "declared"),
    ({"sweep.yaml": SWEEP, "train.py": "import torch\n\nmodel = torch.nn.Linear(2, 1)\n"}, "declared"),
    # nobody runs it: named in a README only, a commented-out command, another file name
    ({"sweep.yaml": SWEEP, "README.md": "Run `wandb sweep sweep.yaml`.\n"}, "declared"),
    ({"sweep.yaml": SWEEP, "run.sh": "#!/bin/sh\n# wandb sweep sweep.yaml\npython train.py\n"}, "declared"),
    ({"sweep.yaml": SWEEP, "run.sh": "wandb sweep old_sweep.yaml\n"}, "declared"),
    # run by hand, and W&B's records of the sweep's runs committed with it
    ({"configs/sweep.yaml": SWEEP, "wandb/sweep-2tqpto4l/config-9iyuxpvz.yaml": "lr:\n  value: 0.001\n"}, "configured"),
    ({"sweeps/lr.json": json.dumps({"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}}}),
      "run.sh": "wandb sweep sweeps/lr.json\n"}, "configured"),
    # an unrendered project template is not the project's
    ({"{{cookiecutter.name}}/sweep.yaml": SWEEP, "{{cookiecutter.name}}/run.sh": "wandb sweep sweep.yaml\n"}, None),
    # not a sweep: no search method, or no parameters
    ({"sweep.yaml": "method: POST\nparameters: {}\n", "run.sh": "wandb sweep sweep.yaml\n"}, None),
    ({"sweep.yaml": "method: grid\nmetric: {name: acc}\n", "run.sh": "wandb sweep sweep.yaml\n"}, None),
    ({"sweep.yaml": "method: [grid\n", "run.sh": "wandb sweep sweep.yaml\n"}, None),   # malformed
])
def test_wandb_sweep_files(make_repo, files, expected):
    ev = [e for e in run_detector(TrackingDetector, make_repo(files)) if e.signal == "tracking.hpo"]
    assert (ev[0].tier.value if ev else None) == expected


# -- Hydra sweepers -------------------------------------------------------------------------------
HYDRA_APP = "import hydra\n\n@hydra.main(config_path='conf', config_name='config', version_base=None)\ndef main(cfg):\n    pass\n"


@pytest.mark.parametrize("files, expected", [
    ({"src/train.py": HYDRA_APP, "src/conf/config.yaml": "defaults:\n  - override hydra/sweeper: optuna\nlr: 0.1\n"}, True),
    ({"src/train.py": HYDRA_APP,
      "src/conf/hpo/search.yaml": "# @package _global_\nhydra:\n  sweeper:\n    params:\n      lr: 0.1,0.01\n"}, True),
    ({"src/train.py": HYDRA_APP, "src/conf/config.yaml": "lr: 0.1\n", "Makefile": "hpo:\n\tpython src/train.py --multirun lr=0.1,0.01\n"},
     True),
    ({"src/train.py": HYDRA_APP, "src/conf/config.yaml": "lr: 0.1\n", "run.sh": "python src/train.py -m lr=0.1,0.01\n"},
     True),
    # the basic sweeper searches nothing; a sweeper outside the app's config folder is not its config
    ({"src/train.py": HYDRA_APP, "src/conf/config.yaml": "defaults:\n  - override hydra/sweeper: basic\n"}, False),
    ({"src/train.py": HYDRA_APP, "other/config.yaml": "defaults:\n  - override hydra/sweeper: optuna\n"}, False),
    # no Hydra app: a sweeper config or a multirun line alone runs nothing
    ({"conf/config.yaml": "defaults:\n  - override hydra/sweeper: optuna\n"}, False),
    ({"src/train.py": HYDRA_APP, "README.md": "python src/train.py --multirun lr=0.1,0.01\n"}, False),
    ({"src/train.py": HYDRA_APP, "run.sh": "python -m src.train\n"}, False),
])
def test_hydra_sweeps(make_repo, files, expected):
    assert ("tracking.hpo" in tracking_signals(make_repo, files)) is expected


# -- DVC parameters and metrics -------------------------------------------------------------------
DVC_STAGES = ("stages:\n  train:\n    cmd: python src/train.py\n    deps: [src/train.py]\n"
              "    params:\n      - train.lr\n    outs: [model.pkl]\n")
DVCLIVE_EVAL = "from dvclive import Live\nwith Live('eval') as live:\n    live.summary = {'acc': 0.9}\n    live.log_image('cm.png', fig)\n"


@pytest.mark.parametrize("files, expected", [
    ({"dvc.yaml": DVC_STAGES + "metrics:\n  - eval/metrics.json\n", "params.yaml": "train:\n  lr: 0.1\n"}, True),
    ({"dvc.yaml": DVC_STAGES + "plots:\n  - eval/plots/roc.json\n", "params.yaml": "train:\n  lr: 0.1\n"}, True),
    ({"dvc.yaml": DVC_STAGES, "params.yaml": "train:\n  lr: 0.1\n", "src/evaluate.py": DVCLIVE_EVAL}, True),
    # parameters but no metrics, metrics but no parameters, a pipeline quoted in docs
    ({"dvc.yaml": DVC_STAGES, "params.yaml": "train:\n  lr: 0.1\n"}, False),
    ({"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\nmetrics: [m.json]\n"}, False),
    ({"docs/pipeline.md": "```yaml\n" + DVC_STAGES + "metrics: [m.json]\n```\n"}, False),
    ({"dvc.yaml": "stages: [\n"}, False),
])
def test_dvc_params_and_metrics(make_repo, files, expected):
    assert ("tracking.params_metrics" in tracking_signals(make_repo, files)) is expected


def test_dvc_params_file_named_by_a_stage_is_config(make_repo):
    files = {"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    params:\n      - configs/train.yaml:\n          - lr\n",
             "configs/train.yaml": "lr: 0.1\n"}
    ev = [e for e in run_detector(TrackingDetector, make_repo(files)) if e.signal == "tracking.config_management"]
    assert ev and "configs/train.yaml" in ev[0].attributes["files"]


def test_a_tracker_used_only_in_tests_is_declared(make_repo):
    """Tests exercise a tracker integration (a mocked run); the project itself tracks nothing."""
    files = {"tests/test_logging.py": "import mlflow\n\ndef test_logs():\n    mlflow.log_param('a', 1)\n"
                                      "    mlflow.log_metric('b', 2)\n",
             "src/pkg/model.py": "def fit(x):\n    return x\n"}
    ev = run_detector(ToolUsageDetector, make_repo(files))
    assert "tracking.params_metrics" not in present(ev)
    assert any(e.signal == "tracking.params_metrics" and "only in tests" in e.summary for e in ev)


@pytest.mark.parametrize("files, expected", [
    ({"train.py": "from transformers import Trainer\ntrainer = Trainer(model=m, args=a)\ntrainer.train()\n"
                  "trainer.push_to_hub(commit_message='v2')\n"}, True),
    ({"finetune.py": "def save(model, tokenizer, repo_id):\n    model.push_to_hub_merged(repo_id, tokenizer)\n"}, True),
    ({"train.py": "from transformers import TrainingArguments\nargs = TrainingArguments('out', push_to_hub=True)\n"},
     True),
    # a dataset or a tokenizer pushed, pushing switched off, a notebook or prose
    ({"prep.py": "from datasets import load_dataset\nds = load_dataset('csv', data_files='d.csv')\n"
                 "ds.push_to_hub('me/reviews')\n"}, False),
    ({"train.py": "from transformers import TrainingArguments\nargs = TrainingArguments('out', push_to_hub=False)\n"},
     False),
    ({"tok.py": "tokenizer.push_to_hub('me/tok')\n"}, False),
    ({"notebooks/finetune.ipynb": '{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], '
                                  '"source": ["trainer.push_to_hub()"]}], "metadata": {}, "nbformat": 4, '
                                  '"nbformat_minor": 5}'}, False),
    ({"README.md": "Then run `trainer.push_to_hub()` to publish the model.\n"}, False),
])
def test_models_pushed_to_the_hugging_face_hub(make_repo, files, expected):
    assert ("tracking.model_registry" in tracking_signals(make_repo, files)) is expected


# -- registries a project keeps itself ------------------------------------------------------------
VERSION_TABLE = """from sqlalchemy import Column, Integer, String
from .database import Base


class ModelVersion(Base):
    __tablename__ = "model_versions"
    id = Column(Integer, primary_key=True)
    version = Column(String(50), nullable=False)
    artifact_path = Column(String(512))
    status = Column(String(50))  # TRAINING, READY, ACTIVE, ARCHIVED
"""
ALIAS_LINK = """import os


def set_alias(root, alias, version_dir):
    tmp = os.path.join(root, alias + ".swap")
    os.symlink(version_dir, tmp)
    os.replace(tmp, os.path.join(root, alias))
"""


VERSIONED_STORE = """import shutil
from pathlib import Path

REGISTRY = Path("models/registry")


def _next_version(model_name):
    return len(list(REGISTRY.glob(f"{model_name}_v*"))) + 1


def push_to_registry(model_name, summary_path, metrics):
    version = _next_version(model_name)
    version_dir = REGISTRY / f"{model_name}_v{version}"
    version_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(summary_path, version_dir)
    return version_dir
"""


@pytest.mark.parametrize("files, expected", [
    ({"services/model-service/app/models.py": VERSION_TABLE}, True),
    ({"chat_pipeline/tracking/push_to_registry.py": VERSIONED_STORE}, True),
    # versions numbered for something else than the model registry
    ({"tools/release.py": VERSIONED_STORE.replace("push_to_registry", "publish_docs")}, False),
    ({"src/serve/bundle.py": ALIAS_LINK}, True),
    # a request schema of the same shape persists nothing
    ({"app/schemas.py": VERSION_TABLE.replace("(Base)", "(BaseModel)").replace(".database import Base",
                                                                                 "pydantic import BaseModel")}, False),
    # a table of models with no versions, and versions with no lifecycle
    ({"app/models.py": VERSION_TABLE.replace("class ModelVersion", "class ModelInfo")}, False),
    ({"app/models.py": VERSION_TABLE.replace("    status = Column(String(50))  # TRAINING, READY, ACTIVE, ARCHIVED\n", "")},
     False),
    # a symlink that points at data, not at the version that serves
    ({"src/data/link.py": ALIAS_LINK.replace("set_alias", "link_dataset")}, False),
])
def test_in_house_registries(make_repo, files, expected):
    assert ("tracking.model_registry" in present(run_detector(TrackingDetector, make_repo(files)))) is expected


# -- MLflow tracing of an LLM application ---------------------------------------------------------
CHAT_APP = """import mlflow

mlflow.langchain.autolog()


def on_feedback(value, user):
    trace_id = mlflow.get_last_active_trace_id()
    mlflow.log_feedback(trace_id=trace_id, name="thumbs", value=value, source=user)


chat.on_feedback(on_feedback)
"""


@pytest.mark.parametrize("files, signal, expected", [
    ({"src/app.py": CHAT_APP}, "monitoring.instrumentation", True),
    ({"src/app.py": CHAT_APP}, "monitoring.performance_feedback", True),
    # a GenAI flavour's autologging traces calls: it logs no parameters and no model
    ({"src/app.py": CHAT_APP}, "tracking.params_metrics", False),
    ({"src/app.py": CHAT_APP}, "tracking.artifacts_models", False),
    ({"src/train.py": "import mlflow\nmlflow.sklearn.autolog()\nmodel.fit(X, y)\n"}, "tracking.params_metrics", True),
])
def test_mlflow_tracing(make_repo, files, signal, expected):
    assert (signal in present(run_detector(ToolUsageDetector, make_repo(files)))) is expected


def test_the_projects_own_use_is_cited_before_its_examples(make_repo):
    # the same tool used two ways, the first-listed way only in an example folder
    files = {"examples/tracing_demo.py": "import mlflow\n\n@mlflow.trace\ndef f():\n    pass\n",
             "src/agent.py": "import mlflow\n\ndef answer(q, user):\n    mlflow.update_current_trace(metadata={'user': user})\n\n"
                             "answer('q', 'me')\n"}
    ev = [e for e in run_detector(ToolUsageDetector, make_repo(files))
          if e.signal == "monitoring.instrumentation" and e.outcome.value == "present"]
    assert ev and ev[0].tier.value == "configured" and ev[0].locations[0].path == "src/agent.py"


def test_autologged_models_registered_under_a_name_use_the_registry(make_repo):
    files = {"src/nodes.py": "import mlflow\n\ndef train(params, data, name):\n"
                             "    mlflow.lightgbm.autolog(log_models=True, registered_model_name=name)\n"
                             "    return lgb.train(params, data)\n"}
    assert "tracking.model_registry" in present(run_detector(ToolUsageDetector, make_repo(files)))
    files["src/nodes.py"] = files["src/nodes.py"].replace(", registered_model_name=name", "")
    assert "tracking.model_registry" not in present(run_detector(ToolUsageDetector, make_repo(files)))


TRAIN_JOB = """resources:
  jobs:
    training:
      tasks:
        - task_key: Train
          notebook_task:
            notebook_path: ../notebooks/Train.py
{params}"""
WIDGET_NOTEBOOK = ("# Databricks notebook source\n# read the settings with dbutils.widgets.get below\n"
                   "dbutils.widgets.text('training_data_path', '')\npath = dbutils.widgets.get('training_data_path')\n")


@pytest.mark.parametrize("params, notebook, found", [
    # the job keeps the run configuration; the notebook reads it as widgets
    ("            base_parameters:\n              training_data_path: /data/taxi\n              experiment_name: exp\n",
     WIDGET_NOTEBOOK, True),
    # traps: parameters nothing reads, and widgets the job never fills
    ("            base_parameters:\n              training_data_path: /data/taxi\n", "print('hard-coded')\n", False),
    ("", WIDGET_NOTEBOOK, False),
])
def test_job_parameters_read_as_notebook_widgets_are_run_configuration(make_repo, params, notebook, found):
    files = {"databricks.yml": "bundle:\n  name: demo\ninclude:\n  - resources/*.yml\n",
             "resources/train.yml": TRAIN_JOB.format(params=params), "notebooks/Train.py": notebook}
    ev = [e for e in run_detector(TrackingDetector, make_repo(files)) if e.signal == "tracking.config_management"]
    assert any(e.counts for e in ev) is found
    if found:
        assert [(loc.path, loc.line) for loc in ev[0].locations] == [("resources/train.yml", 5), ("notebooks/Train.py", 4)]


def test_a_branch_chosen_by_a_flag_is_no_evaluation_gate(make_repo):
    # the DAG still moves the stage on its own (automated promotion), but nothing evaluates it
    files = {"tasks/push.py": AIRFLOW_PUSH, "dags/ci.py": AIRFLOW_DAG,
             "tasks/validate.py": "import sys\ndef validate_model():\n    if sys.argv[1]:\n        return 'push_new_model'\n"}
    ev = run_detector(TrackingDetector, make_repo(files))
    assert "governance.approval_gates" not in present(ev)
    promotion = next(e for e in ev if e.signal == "tracking.registry_promotion" and e.counts)
    assert "no evaluation gate" in promotion.summary


OPTUNA_STUDY = ("import optuna\n\n\ndef objective(trial):\n    return trial.suggest_float('lr', 1e-4, 1e-1)\n\n\n"
                "def run_study():\n    study = optuna.create_study(direction='minimize')\n"
                "    study.optimize(objective, n_trials=20)\n")


@pytest.mark.parametrize("files, counts", [
    # the study runs: from the module's own entry point, or a task runner naming the function
    ({"src/hpo.py": OPTUNA_STUDY + "\n\nif __name__ == '__main__':\n    run_study()\n"}, True),
    ({"src/hpo.py": OPTUNA_STUDY, "Makefile": "tune:\n\tpython -c 'from src.hpo import run_study; run_study()'\n"},
     True),
    # a method runs when its class is used (frameworks call hooks by name)
    ({"src/hpo.py": "import optuna\n\n\nclass Tuner:\n    def tune(self):\n        optuna.create_study().optimize(f)\n",
      "src/train.py": "from src.hpo import Tuner\n\nTuner()\n"}, True),
    # a serverless handler ``(event, context)``: the platform calls it by the name its
    # infrastructure code (a TypeScript CDK stack) gives
    ({"src/hpo.py": "import optuna\n\n\ndef tune_lambda_handler(event, context):\n"
                    "    optuna.create_study().optimize(f, n_trials=event['trials'])\n"}, True),
    # traps: written, never run; and a method of a class nothing uses
    ({"src/hpo.py": OPTUNA_STUDY}, False),
    ({"src/hpo.py": "import optuna\n\n\nclass Tuner:\n    def tune(self):\n        optuna.create_study().optimize(f)\n"},
     False),
])
def test_a_tool_used_only_in_code_nothing_runs_is_declared(make_repo, files, counts):
    ev = run_detector(ToolUsageDetector, make_repo(files))
    assert ("tracking.hpo" in present(ev)) is counts
    if not counts:
        hpo = next(e for e in ev if e.signal == "tracking.hpo")
        assert "which nothing in the repository calls" in hpo.summary and hpo.tier.value == "declared"


@pytest.mark.parametrize("source, expected", [
    # versioned prompts of an LLM application kept in MLflow's prompt registry
    ("import mlflow\n\nmlflow.genai.register_prompt(name='rag-system', template=TEMPLATE, commit_message='v2')\n", True),
    ("import mlflow\n\nmlflow.set_prompt_alias('rag-system', alias='champion', version=3)\n", True),
    # loading a prompt uses the registry, it keeps nothing in it
    ("import mlflow\n\nprompt = mlflow.genai.load_prompt('prompts:/rag-system@champion')\n", False),
])
def test_mlflow_prompt_registry_is_a_model_registry(make_repo, source, expected):
    assert ("tracking.model_registry" in tool_signals(make_repo, {"src/prompts/register.py": source})) is expected


CATALYST = ("from catalyst.dl import SupervisedRunner\nfrom pytorch_toolbelt.utils.catalyst import HyperParametersCallback\n\n"
            "runner = SupervisedRunner(input_key='image')\n"
            "runner.train(model=model, loaders=loaders, logdir='runs/exp1', num_epochs=50,\n"
            "             callbacks=[HyperParametersCallback(hparam_dict={'model': 'b6', 'lr': 1e-3})])\n")


@pytest.mark.parametrize("source, signal, expected", [
    # a Catalyst runner logs each epoch's metrics under its logdir (TensorBoard, CSV)
    (CATALYST, "tracking.library", True),
    (CATALYST, "tracking.params_metrics", True),
    (CATALYST.replace(", logdir='runs/exp1'", ""), "tracking.library", False),
    (CATALYST.replace("HyperParametersCallback(hparam_dict={'model': 'b6', 'lr': 1e-3})", "OptimizerCallback()"),
     "tracking.params_metrics", False),
])
def test_catalyst_runners_log_their_runs(make_repo, source, signal, expected):
    assert (signal in tool_signals(make_repo, {"train.py": source})) is expected


@pytest.mark.parametrize("source, expected", [
    # the run handed in as a parameter; wandb imported inside a function
    ("def _artifact(**kw):\n    import wandb\n    return wandb.Artifact(**kw)\n\n\n"
     "def publish(run, path):\n    art = run.log_artifact(_artifact(name='clf', type='model'))\n"
     "    run.link_artifact(art, target_path='wandb-registry-model/clf', aliases=['production'])\n\n\n"
     "publish(RUN, 'model.joblib')\n", True),
    # trap: the same method name with no wandb in the module
    ("def publish(run, art):\n    run.link_artifact(art, target_path='registry/clf')\n", False),
])
def test_wandb_registry_links_through_a_run_parameter(make_repo, source, expected):
    assert ("tracking.model_registry" in tool_signals(make_repo, {"model/tracking.py": source})) is expected


KFP_DEPLOY = ("from kfp.dsl import component\n\n\n@component(packages_to_install=['google-cloud-aiplatform'])\n"
              "def deploy_model(project_id: str, model_uri: str):\n    from google.cloud import aiplatform\n"
              "    model = aiplatform.Model.upload(display_name='m', artifact_uri=model_uri)\n"
              "    model.deploy(machine_type='n1-standard-2')\n")


@pytest.mark.parametrize("files, counts", [
    # the component is a step of a pipeline
    ({"components/deploy_model.py": KFP_DEPLOY,
      "pipelines/train.py": "from kfp import dsl\nfrom components.deploy_model import deploy_model\n\n\n"
                            "@dsl.pipeline(name='train')\ndef pipeline():\n    deploy_model(project_id='p', model_uri='gs://m')\n"},
     True),
    # trap: a component no pipeline names
    ({"components/deploy_model.py": KFP_DEPLOY}, False),
])
def test_a_pipeline_component_runs_only_when_a_pipeline_names_it(make_repo, files, counts):
    ev = run_detector(ToolUsageDetector, make_repo(files))
    assert ("tracking.model_registry" in present(ev)) is counts
