"""A feedback store of the project's own: predictions kept by id, labels submitted later, the two
joined (SQL, merge, lookup by id) and scored."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.monitoring import FEEDBACK, MonitoringDetector

STORE = """\
def log_prediction(conn, prediction_id, model, output):
    conn.execute("INSERT INTO predictions (prediction_id, model, output) VALUES (%s, %s, %s)",
                 (prediction_id, model, output))

def attach_label(conn, prediction_id, label):
    conn.execute("INSERT INTO labels (prediction_id, label) VALUES (%s, %s)", (prediction_id, label))

def window(conn, n):
    return conn.execute("SELECT p.output, l.label FROM predictions p JOIN labels l USING (prediction_id) "
                        "ORDER BY p.served_at DESC LIMIT %s", (n,)).fetchall()
"""
QUALITY = """\
from sklearn.metrics import accuracy_score
from app import store

def live_accuracy(conn):
    rows = store.window(conn, 500)
    preds = [r[0] for r in rows]
    refs = [r[1] for r in rows]
    return accuracy_score(refs, preds)
"""
LABELS_API = """\
from fastapi import FastAPI
from app import store

app = FastAPI()

@app.post("/labels")
def submit_label(body: dict):
    store.attach_label(CONN, body["prediction_id"], body["label"])
"""

LOOKUP = """\
from sklearn.metrics import mean_absolute_error

def record_actual(request_id, actual):
    ACTUALS.store(request_id, actual)

def live_mae(predictions, actuals):
    pairs = []
    for pred in predictions:
        rid = pred["request_id"]
        if rid in actuals:
            pairs.append((pred["value"], actuals[rid]))
    predicted = [p for p, _ in pairs]
    observed = [a for _, a in pairs]
    return mean_absolute_error(observed, predicted)
"""


#: scheduled jobs: labels reviewed by analysts stored with SQL, predictions joined with them and scored
LABEL_JOB = '''\
def collect_analyst_labels(hook, tables):
    hook.execute_query(f"""
        INSERT INTO {tables['FEEDBACK_LABELS']} (transaction_id, predicted_label, analyst_label)
        SELECT p.transaction_id, p.prediction, t.is_fraud FROM {tables['PREDICTIONS']} p
        JOIN {tables['TRANSACTIONS']} t ON p.transaction_id = t.transaction_id
    """)
'''
METRICS_JOB = '''\
import pandas as pd
from sklearn.metrics import recall_score


def compute_daily_metrics(hook, tables):
    rows = hook.fetch_all(f"""
        SELECT p.prediction, t.is_fraud AS actual FROM {tables['PREDICTIONS']} p
        JOIN {tables['TRANSACTIONS']} t ON p.transaction_id = t.transaction_id
    """)
    df = pd.DataFrame(rows, columns=["prediction", "actual"])
    y_true, y_pred = df["actual"], df["prediction"]
    return {"recall": recall_score(y_true, y_pred)}
'''


def feedback(make_repo, files):
    return FEEDBACK in present(run_detector(MonitoringDetector, make_repo(files)))


@pytest.mark.parametrize("files", [
    {"app/store.py": STORE, "app/quality.py": QUALITY, "app/api.py": LABELS_API},
    {"app/store.py": STORE, "app/quality.py": QUALITY},  # the store's own attach_label takes labels by id
    {"service/live.py": LOOKUP},
    {"dags/03_feedback_collection.py": LABEL_JOB, "dags/06_model_performance_tracking.py": METRICS_JOB},
])
def test_feedback_store(make_repo, files):
    assert feedback(make_repo, files)


def test_summary_names_join_metric_and_intake(make_repo):
    root = make_repo({"app/store.py": STORE, "app/quality.py": QUALITY, "app/api.py": LABELS_API})
    ev = next(e for e in run_detector(MonitoringDetector, root) if e.signal == FEEDBACK)
    assert "SQL join of predictions and labels" in ev.summary and "live_accuracy" in ev.summary
    assert "/labels" in ev.summary


@pytest.mark.parametrize("files", [
    # an offline evaluation: predictions of a test set joined with its labels, no labels arrive later
    {"evaluate.py": "import pandas as pd\nfrom sklearn.metrics import accuracy_score\n\ndef evaluate(preds, labels):\n"
                    "    joined = preds.merge(labels, on='id')\n"
                    "    return accuracy_score(joined['label'], joined['prediction'])\n"},
    # labels are stored and joined but nothing is scored
    {"app/store.py": STORE, "app/api.py": LABELS_API},
    # a metric computed apart from the join (it never reads the store)
    {"app/store.py": STORE, "app/api.py": LABELS_API,
     "app/quality.py": QUALITY.replace("store.window(conn, 500)", "load_test_set()")},
    # tables that are not predictions and labels
    {"app/store.py": STORE.replace("predictions p JOIN labels l", "users u JOIN orders o"),
     "app/quality.py": QUALITY, "app/api.py": LABELS_API},
    # a measured actual is not a label
    {"service/live.py": LOOKUP.replace("def record_actual(request_id, actual):\n    ACTUALS.store(request_id, actual)\n",
                                       "def settle(op_id, actual_gpu_seconds):\n    LEDGER.store(op_id, actual_gpu_seconds)\n")},
    {"tests/test_live.py": LOOKUP},
    # the same scoring job, but labels never arrive: an insert of predictions only
    {"dags/03_archive.py": LABEL_JOB.replace("(transaction_id, predicted_label, analyst_label)", "(transaction_id, score)")
     .replace("FEEDBACK_LABELS", "ARCHIVE"), "dags/06_model_performance_tracking.py": METRICS_JOB},
    {"README.md": "Predictions are joined with labels submitted later and scored for accuracy.\n"},
])
def test_feedback_store_traps(make_repo, files):
    assert not feedback(make_repo, files)


VERDICT_STORE = """\
class FeedbackStore:
    def __init__(self, client):
        self.col = client.collection("feedback")

    def add(self, predicted_class, is_correct, correct_class=None):
        self.col.add({"predicted_class": predicted_class, "is_correct": is_correct, "correct_class": correct_class})

    def get_stats(self):
        total = self.col.count().get()
        correct = self.col.where("is_correct", "==", True).count().get()
        return {"total": total, "accuracy": correct / total if total else None}
"""
FEEDBACK_API = """\
from fastapi import FastAPI, Form
from app.feedback_store import FeedbackStore

app = FastAPI()
store = FeedbackStore(CLIENT)

@app.post("/feedback")
def feedback(predicted_class: str = Form(...), is_correct: bool = Form(...), correct_class: str | None = Form(None)):
    store.add(predicted_class, is_correct, correct_class)

@app.get("/feedback/stats")
def feedback_stats():
    return store.get_stats()
"""


def test_feedback_verdicts_scored_without_a_join(make_repo):
    files = {"app/feedback_store.py": VERDICT_STORE, "app/api.py": FEEDBACK_API}
    ev = [e for e in run_detector(MonitoringDetector, make_repo(files)) if e.signal == FEEDBACK and e.counts]
    assert ev and "FeedbackStore.get_stats scores them" in ev[0].summary and "route '/feedback'" in ev[0].summary


@pytest.mark.parametrize("files", [
    # verdicts stored but never scored
    {"app/feedback_store.py": VERDICT_STORE.split("    def get_stats")[0], "app/api.py": FEEDBACK_API.split("@app.get")[0]},
    # scored verdicts with no way for feedback to arrive (an offline test-set report)
    {"app/feedback_store.py": VERDICT_STORE},
])
def test_feedback_verdict_traps(make_repo, files):
    assert FEEDBACK not in present(run_detector(MonitoringDetector, make_repo(files)))
