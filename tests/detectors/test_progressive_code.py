"""Progressive delivery written in serving code: traffic splits between models, shadow models run
on the same request, and rollbacks of a serving release recognised by what they restore."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.deployment import DeploymentDetector

RANDOM_SPLIT = """\
import random
from fastapi import FastAPI

app = FastAPI()
CANARY_SHARE = 0.1

@app.post("/predict")
def predict(payload: dict):
    if random.random() < CANARY_SHARE:
        return {"model": "candidate", "y": candidate_model.predict([payload["x"]])[0]}
    else:
        return {"model": "stable", "y": stable_model.predict([payload["x"]])[0]}
"""

HASH_SPLIT = """\
import hashlib
from flask import Flask, request

app = Flask(__name__)

@app.route("/score", methods=["POST"])
def score():
    user = request.json["user_id"]
    if int(hashlib.md5(user.encode()).hexdigest(), 16) % 100 < 20:
        model = models["v2"]
    else:
        model = models["v1"]
    return {"y": model.predict([request.json["x"]]).tolist()}
"""

WEIGHTED = """\
import random
from fastapi import FastAPI

app = FastAPI()

@app.post("/predict")
def predict(x: list[float]):
    model = random.choices([champion_model, challenger_model], weights=[0.9, 0.1])[0]
    return {"y": model.predict([x]).tolist()}
"""

OVERRIDE_SPLIT = """\
import random
import requests
from fastapi import FastAPI

app = FastAPI()

@app.post("/predict")
async def predict(req: dict):
    route = "primary"
    url = SERVING_URL_PRIMARY
    if CANARY_ENABLED and random.randint(1, 100) <= CANARY_PERCENT:
        route = "canary"
        url = SERVING_URL_CANARY
    return requests.post(url, json={"instances": req["x"]}, timeout=5).json()
"""

SHADOW_TASK = """\
import asyncio
from fastapi import FastAPI

app = FastAPI()

async def run_shadow(features):
    y = shadow_model.predict([features])
    log.info("shadow", extra={"y": y})

@app.post("/predict")
async def predict(features: list[float]):
    y = primary_model.predict([features])
    asyncio.create_task(run_shadow(features))
    return {"y": y.tolist()}
"""

SHADOW_LOGGED = """\
from fastapi import FastAPI

app = FastAPI()

@app.post("/predict")
def predict(features: list[float]):
    answer = prod_model.predict([features])
    shadow_answer = new_model.predict([features])
    log_comparison(answer, shadow_answer)
    return {"y": answer.tolist()}
"""

ROLLBACK = """\
class Activation:
    def activate(self, target):
        if not self._healthy(target):
            self._roll_back(target)

    def _roll_back(self, target):
        self._registry.restore_serving_pointer(target.previous)
"""


def progressive(make_repo, files):
    return "deploy.progressive" in present(run_detector(DeploymentDetector, make_repo(files)))


@pytest.mark.parametrize("files", [
    {"serving/app.py": RANDOM_SPLIT},
    {"serving/app.py": HASH_SPLIT},
    {"serving/app.py": WEIGHTED},
    {"serving/app.py": OVERRIDE_SPLIT},
    {"serving/app.py": SHADOW_TASK},
    {"serving/app.py": SHADOW_LOGGED},
    {"gateway/activation.py": ROLLBACK},
])
def test_progressive_in_code(make_repo, files):
    assert progressive(make_repo, files)


@pytest.mark.parametrize("files", [
    # named canary and shadow, splitting nothing
    {"serving/app.py": "from fastapi import FastAPI\napp = FastAPI()\nCANARY_SHARE = 0.1\nshadow_model = None\n\n"
                       "class CanaryRelease:\n    pass\n\n@app.post('/p')\ndef p(x: list):\n    return model.predict([x])\n"},
    # a random draw that samples requests for logging, not between models
    {"serving/app.py": RANDOM_SPLIT.replace(
        'return {"model": "candidate", "y": candidate_model.predict([payload["x"]])[0]}\n    else:\n'
        '        return {"model": "stable", "y": stable_model.predict([payload["x"]])[0]}',
        'log.info(payload)\n    return {"y": stable_model.predict([payload["x"]])[0]}')},
    # a draw that overrides nothing set before it (a sampled request is logged as the canary's)
    {"serving/app.py": OVERRIDE_SPLIT.replace('    route = "primary"\n    url = SERVING_URL_PRIMARY\n', "")
     .replace("        url = SERVING_URL_CANARY\n", "        log.info(route)\n").replace("requests.post(url", "requests.post(URL")},
    # an ensemble answers with both models
    {"serving/app.py": SHADOW_LOGGED.replace("    log_comparison(answer, shadow_answer)\n",
                                             "    answer = (answer + shadow_answer) / 2\n")},
    # random augmentation in training code is not serving
    {"train.py": "import random\n\ndef batch(model, x):\n    if random.random() < 0.5:\n        x = flip(x)\n"
                 "    else:\n        x = model.predict(x)\n    return x\n"},
    # the split in tests and examples
    {"tests/test_app.py": RANDOM_SPLIT},
    {"examples/app.py": RANDOM_SPLIT},
    # a database rollback, and a release rollback nobody calls
    {"db.py": "def rollback(session):\n    session.rollback()\n\ndef save(session):\n    try:\n        session.commit()\n"
              "    except Exception:\n        rollback(session)\n"},
    {"gateway/activation.py": ROLLBACK.replace("            self._roll_back(target)", "            pass")},
    # a rollback script a person runs: its only call is the script's entry point
    {"scripts/rollback_model.py": "import click\n\n@click.command()\n@click.option('--to-version', type=int)\n"
                                  "def rollback_model(to_version):\n    client.set_stage(to_version, 'production')\n\n"
                                  "if __name__ == '__main__':\n    rollback_model()\n"},
    # a rollback to a version written into the script, run as it stands
    {"src/rollback_executor.py": "def execute_rollback(model_name, version):\n"
                                 "    client.set_registered_model_alias(model_name, 'Champion', version)\n",
     "pipelines/rollback_workflow.py": "from src.rollback_executor import execute_rollback\n\n"
                                       "result = execute_rollback(model_name='m', version=11)\nprint(result)\n"},
    {"README.md": "Requests are split 90/10 between the stable and the canary model.\n"},
])
def test_progressive_code_traps(make_repo, files):
    assert not progressive(make_repo, files)
