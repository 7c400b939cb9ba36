"""Configs that Hydra instantiates are calls: their ``_target_`` entries are matched like code; so are
the ``target``/``params`` entries a project's own ``instantiate_from_config`` builds."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.tools import ToolUsageDetector

MODULE = ("import lightning as L\n\nclass Net(L.LightningModule):\n    def __init__(self, lr):\n"
          "        super().__init__()\n        self.save_hyperparameters()\n\n"
          "    def training_step(self, batch, i):\n        loss = self.step(batch)\n        self.log('train/loss', loss)\n"
          "        return loss\n")
TRAIN = ("import hydra\nfrom hydra.utils import instantiate\n\n@hydra.main(config_path='../configs')\n"
         "def main(cfg):\n    logger = instantiate(cfg.logger)\n    trainer = instantiate(cfg.trainer, logger=logger)\n")
MLFLOW_LOGGER = "mlflow:\n  _target_: lightning.pytorch.loggers.mlflow.MLFlowLogger\n  tracking_uri: ./mlruns\n  log_model: true\n"


@pytest.mark.parametrize("files, signals", [
    ({"src/model.py": MODULE, "src/train.py": TRAIN, "configs/logger/mlflow.yaml": MLFLOW_LOGGER,
      "configs/model/net.yaml": "_target_: src.model.Net\nlr: 0.01\n"},
     {"tracking.library", "tracking.params_metrics", "tracking.artifacts_models"}),
    # the configs are never instantiated: a _target_ builds nothing
    ({"src/model.py": MODULE, "configs/logger/mlflow.yaml": MLFLOW_LOGGER}, set()),
    # instantiated, but the target is no tracker
    ({"src/model.py": MODULE, "src/train.py": TRAIN,
      "configs/optimizer/adam.yaml": "_target_: torch.optim.Adam\nlr: 0.001\n"}, set()),
    # a commented-out logger config
    ({"src/model.py": MODULE, "src/train.py": TRAIN,
      "configs/logger/mlflow.yaml": "# mlflow:\n#   _target_: lightning.pytorch.loggers.MLFlowLogger\n"}, set()),
])
def test_hydra_targets_are_calls(make_repo, files, signals):
    found = present(run_detector(ToolUsageDetector, make_repo(files)))
    assert found & {"tracking.library", "tracking.params_metrics", "tracking.artifacts_models"} == signals


def test_a_malformed_config_is_skipped_not_fatal(make_repo):
    files = {"src/train.py": TRAIN, "configs/bad.yaml": "_target_: [unclosed\n", "configs/logger/mlflow.yaml": MLFLOW_LOGGER}
    assert "tracking.library" in present(run_detector(ToolUsageDetector, make_repo(files)))


#: a project's own builder of config targets (the ``target``/``params`` convention)
UTIL = ("import importlib\n\n\ndef get_obj_from_str(string):\n    module, cls = string.rsplit('.', 1)\n"
        "    return getattr(importlib.import_module(module, package=None), cls)\n\n\n"
        "def instantiate_from_config(config):\n    return get_obj_from_str(config['target'])(**config.get('params', dict()))\n")
MAIN = ("from omegaconf import OmegaConf\nfrom ldm.util import instantiate_from_config\n\n\ndef main(logdir, cfg):\n"
        "    loggers = {\n        'testtube': {\n            'target': 'pytorch_lightning.loggers.TestTubeLogger',\n"
        "            'params': {'name': 'testtube', 'save_dir': logdir},\n        },\n    }\n"
        "    logger = instantiate_from_config(OmegaConf.merge(loggers['testtube'], cfg))\n")


@pytest.mark.parametrize("files, signals", [
    # the default logger named in a dict literal of the training script
    ({"ldm/util.py": UTIL, "main.py": MAIN}, {"tracking.library"}),
    # ... or in a YAML config, its arguments under params
    ({"ldm/util.py": UTIL, "main.py": "from ldm.util import instantiate_from_config\n",
      "configs/train.yaml": ("lightning:\n  logger:\n    target: pytorch_lightning.loggers.MLFlowLogger\n"
                             "    params:\n      experiment_name: ldm\n")}, {"tracking.library"}),
    # no code builds the targets: a dict naming a logger class is only data
    ({"main.py": MAIN.replace("from ldm.util import instantiate_from_config\n", "")}, set()),
])
def test_target_params_configs_of_a_projects_own_builder_are_calls(make_repo, files, signals):
    found = present(run_detector(ToolUsageDetector, make_repo(files)))
    assert found & {"tracking.library"} == signals
