"""Hyperparameter searches written by hand: loops over candidate values, a trial per combination."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.tracking import TrackingDetector

NESTED = """import mlflow

def experiment(config, data):
    for dropout in config.dropout:
        for epochs in config.epochs:
            for batch_size in config.batch_size:
                mlflow_run(data, dropout, epochs, batch_size)
"""
PRODUCT = """import itertools
from sklearn.ensemble import RandomForestClassifier

for n_estimators, max_depth in itertools.product([100, 300], [4, 8, 16]):
    RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth).fit(X, y)
"""
TRAINING_LOOP = """import torch

def train(model, loader, epochs):
    for epoch in range(epochs):
        for batch in loader:
            loss = model.training_step(batch)
            loss.backward()
"""
ONE_PARAMETER = """from sklearn.linear_model import Ridge

for alpha in [0.1, 1.0, 10.0]:
    Ridge(alpha=alpha).fit(X, y)
"""

RANDOM_SEARCH = """import numpy as np

SPACE = {"learning_rate": ("loguniform", 0.01, 0.3), "subsample": ("uniform", 0.6, 1.0)}

def run_search(score_fn, n_trials, seed):
    best = None
    for k in range(n_trials):
        rng = np.random.default_rng([seed, k])
        hp = sample_hp(SPACE, rng)
        res = score_fn(hp, seed)
        if best is None or res > best:
            best = res
    return best
"""


EVOLVE = """import numpy as np
import torch

for _ in range(300):  # generations to evolve
    x = np.loadtxt('evolve.txt', ndmin=2)
    npr = np.random
    v = np.ones(len(meta))
    while all(v == 1):
        v = (g * (npr.random(len(meta)) < 0.8) * npr.randn(len(meta)) * npr.random() * 0.2 + 1).clip(0.3, 3.0)
    for i, k in enumerate(hyp.keys()):
        hyp[k] = float(x[i + 7] * v[i])
    results = train(hyp.copy(), opt, device)
    print_mutation(hyp.copy(), results, yaml_file, opt.bucket)
"""


@pytest.mark.parametrize("files, expected", [
    ({"src/experiment.py": NESTED}, True),
    # hyperparameter evolution: each generation mutates the hyperparameters at random and trains
    ({"train.py": EVOLVE}, True),
    # the same loop training on what it does not mutate, or mutating without any random draw
    ({"train.py": EVOLVE.replace("results = train(hyp.copy(), opt, device)", "results = train(opt, device)")}, False),
    ({"train.py": EVOLVE.replace("npr = np.random", "npr = np").replace("npr.random(len(meta))", "npr.ones(len(meta))")
      .replace("npr.random()", "1.0")}, False),
    # a random search: each trial draws a configuration from the space and scores it
    ({"src/train/tune.py": RANDOM_SEARCH}, True),
    # the configuration drawn but only printed, or a loop drawing data samples
    ({"src/train/tune.py": RANDOM_SEARCH.replace("res = score_fn(hp, seed)", "res = print(hp)")}, False),
    ({"src/augment.py": "import numpy as np\nfor i in range(10):\n    batch = sample_batch(data)\n    fit(batch)\n"}, False),
    ({"src/search.py": PRODUCT}, True),
    # traps: a training loop over epochs and batches, a sweep of one value, a search only in tests or docs
    ({"src/train.py": TRAINING_LOOP}, False),
    ({"src/ridge.py": ONE_PARAMETER}, False),
    ({"tests/test_search.py": PRODUCT}, False),
    ({"README.md": "We grid-search n_estimators and max_depth with itertools.product.\n"}, False),
    ({"src/plot.py": "import matplotlib\nfor lr in [0.1, 0.01]:\n    for depth in [2, 4]:\n        draw(lr, depth)\n"}, False),
])
def test_hand_written_grid_search(make_repo, files, expected):
    assert ("tracking.hpo" in present(run_detector(TrackingDetector, make_repo(files)))) is expected
