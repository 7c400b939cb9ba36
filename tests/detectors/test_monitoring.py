"""Monitoring detector and monitoring catalogue entries: positive cases and traps."""
from __future__ import annotations

import json

import pytest
from conftest import declared, present, run_detector

from detectors.monitoring import (
    ALERTING,
    DASHBOARDS,
    DRIFT,
    FEEDBACK,
    INSTRUMENTATION,
    LOGGING,
    RETRAIN,
    SCHEDULED,
    MonitoringDetector,
)
from detectors.tools import ToolUsageDetector
from scanner.model import Outcome, Tier

KS_DRIFT = """\
from scipy.stats import ks_2samp

def detect_drift(reference, current, column):
    stat, p_value = ks_2samp(reference[column], current[column])
    return p_value < 0.05
"""

PROM_RULES = """\
groups:
  - name: api
    rules:
      - alert: HighLatency
        expr: histogram_quantile(0.95, rate(latency_bucket[5m])) > 1
        for: 5m
"""

FASTAPI_MIDDLEWARE = """\
import logging
import time
from fastapi import FastAPI, Request

app = FastAPI()
logger = logging.getLogger(__name__)

@app.middleware("http")
async def log_requests(request: Request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    logger.info("request", extra={"latency": time.perf_counter() - start})
    return response
"""

ASGI_MIDDLEWARE = """\
import time

class PredictionLogMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        start = time.monotonic()
        await self.app(scope, receive, send)
        latency_ms = (time.monotonic() - start) * 1000
        self.queue.put_nowait({"latency_ms": latency_ms})
"""

PYFUNC_MODEL = """import mlflow


class Model(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        model_output = self.model.predict(model_input)
        if self.backend is not None:
            self.backend.save(model_input, model_output)
        return model_output
"""
CFN_MONITOR = """Transform: AWS::Serverless-2016-10-31
Resources:
  MonitoringSchedule:
    Type: AWS::SageMaker::MonitoringSchedule
    Properties:
      EndpointName: !GetAtt Endpoint.EndpointName
      MonitoringScheduleConfig:
        MonitoringJobDefinition:
          BaselineConfig:
            StatisticsResource: {S3Uri: s3://bucket/baseline/statistics.json}
        ScheduleConfig:
          ScheduleExpression: "cron(0 * ? * * *)"
"""
CLOUDWATCH_DASHBOARD = ('{"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6, "properties": '
                        '{"metrics": [["AWS/SageMaker", "Invocations", "EndpointName", "m"]], "title": "Invocations"}}, '
                        '{"type": "text", "properties": {"markdown": "# Model"}}]}')
GRAFANA_DASHBOARD = '{"title": "Model service", "uid": "abc", "panels": [{"type": "graph", "title": "p95"}]}'
GRAFANA_PROVIDER = """\
apiVersion: 1
providers:
  - name: default
    type: file
    options:
      path: /var/lib/grafana/dashboards
"""

STREAMLIT_MONITOR = """\
import streamlit as st
import pandas as pd

perf = pd.read_parquet("monitoring/performance_rolling.parquet")
st.title("Model monitoring")
st.line_chart(perf["rmse"])
"""

PREFECT_YAML = """\
deployments:
  - name: nightly-drift
    entrypoint: flows/check.py:check_flow
    schedules:
      - cron: "0 3 * * *"
"""

PREFECT_FLOW = """\
from prefect import flow
from src.monitoring.drift import run_feature_drift_check

@flow
def check_flow():
    run_feature_drift_check()
"""

AIRFLOW_DRIFT_DAG = """\
from datetime import datetime
from airflow import DAG
from airflow.operators.python import PythonOperator
from monitoring.drift import run_drift_report

with DAG("drift_report", start_date=datetime(2024, 1, 1), schedule="@daily") as dag:
    PythonOperator(task_id="drift", python_callable=run_drift_report)
"""

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: drift-check
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: registry/model:1
              command: ["python", "-m", "app.monitoring.drift_check"]
"""

BRANCH_TO_RETRAIN = """\
import json
from airflow import DAG
from airflow.operators.python import BranchPythonOperator
from airflow.operators.bash import BashOperator


def decide_branch(**context):
    drift_detected = json.loads(context['ti'].xcom_pull(task_ids='detect_drift'))['drift_detected']
    if drift_detected == True:
        return "retrain_model"
    return "skip_retrain"


with DAG(dag_id="drift_detection_dag", schedule="*/17 * * * *") as dag:
    detect = BashOperator(task_id="detect_drift", bash_command="python3 src/monitor_drift.py", do_xcom_push=True)
    branch = BranchPythonOperator(task_id="branch_decision", python_callable=decide_branch)
    retrain = BashOperator(task_id="retrain_model", bash_command="python3 src/train_with_drift.py")
    skip = BashOperator(task_id="skip_retrain", bash_command="echo skip")
    detect >> branch >> [retrain, skip]
"""
RETRAIN_ON_DRIFT = """\
from monitoring.drift import detect_drift
from pipelines.training import train_model

def monitor_and_retrain(reference, current):
    drift_detected = detect_drift(reference, current)
    if drift_detected:
        train_model()
"""

RETRAIN_EARLY_RETURN = """\
from src.monitoring.trigger import evaluate_retraining
from src.monitoring.monitoring_refresh import refresh_monitoring_signals
from flows.training_flow import training_pipeline

def auto_retrain_flow():
    refresh_monitoring_signals()
    decision = evaluate_retraining()
    if decision.action == RetrainingAction.SKIP:
        return {"status": "skipped"}
    return training_pipeline(force_run=True)
"""

RETRAIN_DISPATCH = """\
import requests

def on_drift_report(report, threshold=0.3):
    share = report["drift_share"]
    if share > threshold:
        requests.post(
            "https://api.github.com/repos/org/repo/actions/workflows/train.yml/dispatches",
            json={"ref": "main"},
        )
"""

RETRAIN_VIA_ORCHESTRATOR = """\
def run_hourly_monitoring(trigger, drift_results):
    should_retrain, reason = trigger.should_retrain(drift_results)
    if should_retrain:
        trigger.trigger_airflow_dag(dag_id="01_training_pipeline", conf={"reason": reason})
"""

GROUND_TRUTH_JOIN = """\
import pandas as pd
from sklearn.metrics import mean_absolute_error

def evaluate_production(predictions_path, ground_truth_path):
    preds = pd.read_parquet(predictions_path)
    ground_truth = pd.read_csv(ground_truth_path)
    joined = preds.merge(ground_truth, on=["id"])
    return {"mae": mean_absolute_error(joined["y"], joined["prediction"])}
"""

SLACK_ON_DRIFT = """\
import os
import requests

SLACK_WEBHOOK_URL = os.environ["SLACK_WEBHOOK_URL"]

def notify(drift_share, threshold=0.5):
    if drift_share > threshold:
        requests.post(SLACK_WEBHOOK_URL, json={"text": f"drift {drift_share:.2f}"})
"""

ISSUE_ON_DRIFT = """
import requests
from scipy.stats import ks_2samp

def check_feature_drift(initial, new, threshold=0.05):
    return ks_2samp(initial, new).pvalue < threshold

def open_github_issue(title, body):
    return requests.post("https://api.github.com/repos/o/r/issues", json={"title": title, "body": body})
"""

AIRFLOW_TASK = """\
import logging
from airflow.models import Variable

logger = logging.getLogger("train")


def train(config):
    logger.info("training with %s", Variable.get("model"))
"""

EVIDENTLY_REPORT = """\
from evidently import Report
from evidently.presets import DataDriftPreset


def monitor(ref, cur, day):
    report = Report(metrics=[DataDriftPreset()])
    result = report.run(reference_data=ref, current_data=cur)
    result.save_html(f"monitor/reports/{day}-data-drift.html")
"""

EMBEDDING_DRIFT = """\
from statistics import mean
from scipy.spatial import distance


def compute_embedding_drift(reference_embeddings, current_embeddings):
    reference_mean = [mean(e) for e in reference_embeddings]
    current_mean = [mean(e) for e in current_embeddings]
    return distance.euclidean(reference_mean, current_mean)
"""

DATA_PROFILE = """\
import pyspark.sql.functions as F


def update_features_stats(data, columns, cursor):
    stats = []
    for column in columns:
        stats.append(F.mean(column).alias(f"mean_{column}"))
        stats.append(F.stddev(column).alias(f"std_{column}"))
        stats.append(F.sum(F.col(column).isNull().cast("int")).alias(f"nan_{column}"))
    row = data.select(stats).toPandas()
    cursor.execute("INSERT INTO features_stats VALUES (%s)", tuple(row.iloc[0]))
"""

TELEGRAM_NOTIFIER = """\
import os
import requests

BOT_TOKEN = os.getenv("TELEGRAM_BOT_TOKEN")


def notify_telegram(message):
    url = f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage"
    requests.post(url, json={"chat_id": os.getenv("TELEGRAM_CHAT_ID"), "text": message})
"""

DRIFT_FLOW = """\
from prefect import flow
from tasks.notify import notify_telegram
from tasks.monitor import monitor


@flow
def daily():
    notify_telegram.submit("Started")
    data_drift_detected = monitor()
    if data_drift_detected:
        notify_telegram.submit("Drift detected")
"""


POSITIVE = [
    ("basicConfig", {"src/train.py": "import logging\nlogging.basicConfig(level=logging.INFO)\n"}, LOGGING),
    ("logger with handler", {"src/utils/logger.py": (
        "import logging, sys\nlog = logging.getLogger('x')\nlog.addHandler(logging.StreamHandler(sys.stdout))\n")},
     LOGGING),
    ("dictConfig", {"app/log.py": "import logging.config\nlogging.config.dictConfig({'version': 1})\n"}, LOGGING),
    ("kedro logging config", {"pyproject.toml": "[tool.kedro]\npackage_name = 'churn'\n",
                              "conf/base/logging.yml": "version: 1\nhandlers:\n  console:\n    class: logging.StreamHandler\n"
                                                       "root:\n  handlers: [console]\n"}, LOGGING),
    ("absl verbosity", {"pipeline/runner.py": "from absl import logging\n\nif __name__ == '__main__':\n"
                                              "    logging.set_verbosity(logging.INFO)\n    run()\n"}, LOGGING),
    ("predictions recorded by the service", {"src/api.py": (
        "from fastapi import BackgroundTasks, FastAPI\nfrom google.cloud import storage\n\napp = FastAPI()\n\n"
        "def save_prediction_to_gcp(features, prediction):\n    storage.Client().bucket('b').blob('p').upload_from_string(x)\n\n"
        "@app.post('/predict')\ndef predict(item, background_tasks: BackgroundTasks):\n    y = model(item)\n"
        "    background_tasks.add_task(save_prediction_to_gcp, item, y)\n    return y\n")}, INSTRUMENTATION),
    ("prediction tracked by a background task", {"deployment/api.py": (
        "import pandas as pd\nfrom fastapi import BackgroundTasks, FastAPI\n\napp = FastAPI()\n\n"
        "def track_predict_result(image, prediction_result, filepath):\n"
        "    pd.DataFrame(prediction_result).to_csv(filepath, index=False, mode='a')\n\n"
        "@app.post('/detection')\ndef make_prediction(img, background_tasks: BackgroundTasks):\n"
        "    result = predict(img)\n    background_tasks.add_task(track_predict_result, img, result, 'preds.csv')\n"
        "    return result\n")}, INSTRUMENTATION),
    ("prediction handed to a keeper named for its store", {"prediction_service/app.py": (
        "import psycopg\nfrom flask import Flask, request\n\napp = Flask(__name__)\n\n"
        "def log_to_postgres(features, prediction):\n    with psycopg.connect() as conn:\n"
        "        conn.execute('INSERT INTO prediction_logs VALUES (%s)', (prediction,))\n\n"
        "@app.route('/predict', methods=['POST'])\ndef predict_endpoint():\n    features = request.get_json()\n"
        "    prediction = model.predict(features)\n    log_to_postgres(features, prediction)\n    return {'p': prediction}\n")},
     INSTRUMENTATION),
    ("hydra app logs each run", {"src/train.py": "import hydra\n\n@hydra.main(version_base=None, config_path='../configs')\n"
                                                 "def main(cfg):\n    fit(cfg)\n"}, LOGGING),
    ("evaluation metrics table per run", {"src/training/train_model.py": (
        "import pandas as pd\n\ndef main(clf, x, y):\n    metrics = evaluate(clf, x, y)\n"
        "    eval_df = pd.DataFrame([metrics])\n    eval_df.to_csv('data/eval_metrics.csv', index=False)\n")},
     LOGGING),
    ("vertex batch prediction job with a skew objective", {"components/batch_predict.py": (
        "from google.cloud.aiplatform_v1beta1 import BatchPredictionJob, JobServiceClient\n"
        "from google.protobuf.json_format import ParseDict\n\n\n"
        "def batch_predict(model, source, training_dataset, skew_config, client: JobServiceClient):\n"
        "    message = {'model': model, 'inputConfig': source}\n"
        "    message['modelMonitoringConfig'] = {'objectiveConfigs': [{'trainingDataset': training_dataset,\n"
        "        'trainingPredictionSkewDetectionConfig': skew_config}]}\n"
        "    request = ParseDict(message, BatchPredictionJob()._pb)\n"
        "    return client.create_batch_prediction_job(parent='p', batch_prediction_job=request)\n")}, DRIFT),
    ("evaluation report", {"src/evaluate.py": (
        "import json\nmetrics = {'rmse': 1.0}\nwith open('metrics.json', 'w') as f:\n    json.dump(metrics, f)\n")},
     LOGGING),
    ("a run's progress table dumped each step", {"guided/train_util.py": (
        "from . import logger\n\n\nclass TrainLoop:\n    def run_loop(self):\n        while True:\n"
        "            self.run_step()\n            if self.step % 10 == 0:\n                logger.dumpkvs()\n\n"
        "    def log_step(self):\n        logger.logkv('step', self.step)\n")}, LOGGING),
    ("predictions filled in with later observations", {"batch_prediction/monitoring.py": (
        "import pandas as pd\nfrom sklearn.metrics import mean_absolute_percentage_error\n\n"
        "def compute_monitoring_metrics(bucket, fs):\n    predictions = read_blob(bucket, 'predictions_monitoring.parquet')\n"
        "    latest_observations = load_from_feature_store(fs)\n"
        "    predictions['energy_observations'] = float('nan')\n    predictions.update(latest_observations)\n"
        "    predictions = predictions.dropna(subset=['energy_observations'])\n"
        "    mape = mean_absolute_percentage_error(predictions.energy_observations, predictions.energy_predictions)\n"
        "    write_blob(bucket, 'metrics_monitoring.parquet', mape)\n")}, FEEDBACK),
    ("per-run results appended by training", {"domainbed/scripts/train.py": (
        "import json\nimport os\n\ndef main(args, results):\n"
        "    epochs_path = os.path.join(args.output_dir, 'results.jsonl')\n"
        "    with open(epochs_path, 'a') as f:\n        f.write(json.dumps(results, sort_keys=True) + '\\n')\n")},
     LOGGING),
    ("scoring step writing its score report", {"src/score/score.py": (
        "import json\nfrom sklearn.metrics import mean_squared_error\n\ndef main(actuals, predictions, score_report):\n"
        "    model_score = {'mse': mean_squared_error(actuals, predictions)}\n"
        "    with open(score_report + '/score.txt', 'w') as json_file:\n        json.dump(model_score, json_file)\n")},
     LOGGING),
    ("prefect keeps printed logs", {"flows/train.py": (
        "from prefect import flow, task\n\n@task(name='train_models', log_prints=True)\ndef train(X, y):\n"
        "    print('training')\n")}, LOGGING),
    ("prometheus scraping the model server", {"serving/monitoring/prometheus.yml": (
        "global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: triton\n    static_configs:\n"
        "      - targets: ['triton:8002']\n")}, INSTRUMENTATION),
    ("service monitor on the model server", {"infra/k8s/vllm/servicemonitor.yaml": (
        "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: inference\n"
        "spec:\n  selector:\n    matchLabels:\n      app: vllm\n  endpoints:\n  - port: metrics\n    path: /metrics\n")},
     INSTRUMENTATION),
    ("served mlflow model keeps its requests", {"src/inference/model.py": PYFUNC_MODEL}, INSTRUMENTATION),
    ("azure ml scoring script logs", {"src/deploy/online/score.py": (
        "import json\nimport logging\n\ndef init():\n    global model\n    model = load()\n"
        "    logging.info('Init complete')\n\ndef run(raw_data):\n    logging.info('request received')\n"
        "    return model.predict(json.loads(raw_data)['data']).tolist()\n")}, LOGGING),
    ("training loop's per-epoch log", {"main.py": (
        "import json\nfrom engine import train_one_epoch, evaluate\n\ndef main(args):\n"
        "    for epoch in range(args.epochs):\n        train_stats = train_one_epoch(model, loader)\n"
        "        log_stats = {**train_stats, 'epoch': epoch}\n"
        "        with open('log.txt', 'a') as f:\n            f.write(json.dumps(log_stats) + '\\n')\n")}, LOGGING),
    ("classification report written", {"steps/evaluate_step.py": (
        "from sklearn.metrics import classification_report\n\ndef evaluate(y_test, y_pred):\n"
        "    report = classification_report(y_test, y_pred)\n    with open('classification_report.txt', 'w') as f:\n"
        "        f.write(report)\n")}, LOGGING),
    ("training run's metrics report", {"model/train.py": (
        "import json\nauc, f1 = fit()\nmetrics = {'auc': auc, 'f1': f1}\n"
        "with open('model/artifacts/metrics.json', 'w') as f:\n    json.dump(metrics, f)\n")}, LOGGING),
    ("evidently model quality in a monitoring job", {"monitoring/batch_monitoring.py": (
        "from evidently.model_profile import Profile\n"
        "from evidently.model_profile.sections import ClassificationPerformanceProfileSection\n\n"
        "def run(ref, cur):\n    profile = Profile(sections=[ClassificationPerformanceProfileSection()])\n"
        "    profile.calculate(ref, cur)\n")}, FEEDBACK),
    ("training stats appended per tick", {"training/training_loop.py": (
        "import json\n\ndef loop(run_dir, ticks):\n    stats_jsonl = open(run_dir + '/stats.jsonl', 'wt')\n"
        "    for stats_dict in ticks:\n        stats_jsonl.write(json.dumps(stats_dict) + '\\n')\n")}, LOGGING),
    ("evidently legacy monitors in a monitoring service", {"monitoring_service/src/monitoring_service.py": (
        "from evidently.model_monitoring import ModelMonitoring\n"
        "from evidently.model_monitoring.monitors.classification_performance import ClassificationPerformanceMonitor\n\n"
        "monitor = ModelMonitoring(monitors=[ClassificationPerformanceMonitor()])\n")}, FEEDBACK),
    ("fastapi middleware", {"serving/app.py": FASTAPI_MIDDLEWARE}, INSTRUMENTATION),
    ("asgi middleware", {"serving/logging_middleware.py": ASGI_MIDDLEWARE}, INSTRUMENTATION),
    ("ks test in monitoring", {"src/monitoring/drift.py": KS_DRIFT}, DRIFT),
    ("divergence from the training distribution in a scoring step", {"pipeline/infer/processing.py": (
        "import numpy as np\nfrom scipy.spatial.distance import jensenshannon\n\n"
        "def score(batch, train_metrics, pred_thresh):\n    counts, _ = np.histogram(batch['pred'])\n"
        "    pred_stat = jensenshannon(counts, train_metrics['pred_count'])\n"
        "    return pred_stat > pred_thresh\n")}, DRIFT),
    ("psi function", {"src/stability.py": "def calculate_psi(expected, actual, buckets=10):\n    return 0.0\n"},
     DRIFT),
    ("prometheus rules", {"monitoring/alerts.yml": PROM_RULES}, ALERTING),
    ("kube-prometheus-stack values with rules", {"helm-charts/monitoring/custom-values.yaml": (
        "additionalPrometheusRules:\n  - name: model\n    groups:\n      - name: model\n        rules:\n"
        "          - alert: ConfidenceTooLow\n            expr: api_avg_confidence < 0.9\n            for: 1m\n")},
     ALERTING),
    ("kube-prometheus-stack values with alertmanager routing", {"charts/values.yaml": (
        "alertmanager:\n  config:\n    route:\n      receiver: chat\n    receivers:\n      - name: chat\n"
        "        slack_configs:\n          - channel: '#ml'\n")}, ALERTING),
    ("alertmanager", {"monitoring/alertmanager.yml": (
        "route:\n  receiver: slack\nreceivers:\n  - name: slack\n    slack_configs: []\n")}, ALERTING),
    ("PrometheusRule resource", {"k8s/rules.yaml": (
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n" + "\n".join(
            "  " + line for line in PROM_RULES.splitlines()) + "\n")}, ALERTING),
    ("helm templated rules", {"chart/templates/rules.yaml": (
        "groups:\n  - name: {{ .Release.Name }}\n    rules:\n      - alert: Down\n"
        "        expr: up{job=\"{{ .Values.job }}\"} == 0\n{{- if .Values.extra }}\n{{- end }}\n")}, ALERTING),
    ("grafana provisioned alert rule", {"grafana/provisioning/alerting/rules.yaml": (
        "apiVersion: 1\ngroups:\n  - orgId: 1\n    name: health\n    folder: rules\n    interval: 1m\n    rules:\n"
        "      - uid: abc\n        title: Predict service down\n        condition: C\n        data:\n"
        "          - refId: A\n            datasourceUid: prom\n            model: {expr: 'up{job=\"predict\"}'}\n"
        "          - refId: C\n            datasourceUid: __expr__\n            model: {type: threshold}\n")}, ALERTING),
    ("terraform alarm", {"infra/main.tf": (
        'resource "aws_cloudwatch_metric_alarm" "errors" {\n  alarm_name = "5xx"\n}\n')}, ALERTING),
    ("cloudformation alarm", {"cfn/stack.yaml": (
        "Resources:\n  Errors:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      Threshold: 1\n")},
     ALERTING),
    ("slack on drift", {"src/notify.py": SLACK_ON_DRIFT}, ALERTING),
    ("prefect e-mail on drift", {"monitoring/send_alerts.py": (
        "from prefect import flow\nfrom prefect_email import EmailServerCredentials, email_send_message\n\n\n"
        "@flow\ndef send_alert(drift_status):\n    creds = EmailServerCredentials.load('alerts')\n"
        "    if drift_status == 'FAIL':\n        email_send_message(email_server_credentials=creds,\n"
        "                           subject='Data drift detected', msg='Retrain', email_to=creds.username)\n")}, ALERTING),
    ("issue opened on drift", {"drift/utils.py": ISSUE_ON_DRIFT}, ALERTING),
    ("grafana dashboard", {"grafana/dashboards/model.json": GRAFANA_DASHBOARD}, DASHBOARDS),
    ("streamlit monitoring app", {"src/monitoring/dashboard.py": STREAMLIT_MONITOR}, DASHBOARDS),
    ("streamlit page embedding a drift report", {"app/pages/03_Data_drift.py": (
        "import streamlit as st\nimport streamlit.components.v1 as components\nfrom evidently.dashboard import Dashboard\n"
        "from evidently.dashboard.tabs import DataDriftTab\n\nboard = Dashboard(tabs=[DataDriftTab()])\n"
        "board.calculate(cur, ref)\nboard.save('drift.html')\n"
        "components.html(open('drift.html').read(), height=3000)\n")}, DASHBOARDS),
    # a page of a multipage app named for what it watches
    ("streamlit model performance page", {"dashboard/pages/2_📊_Model_Performance.py": (
        "import pandas as pd\nimport streamlit as st\n\nhistory = pd.read_sql('select * from model_performance', con)\n"
        "st.metric('RMSE', f\"{history.rmse.iloc[-1]:.2f}\")\nst.line_chart(history, x='evaluated_at', y='rmse')\n")},
     DASHBOARDS),
    ("terraform dashboard", {"infra/dash.tf": 'resource "google_monitoring_dashboard" "d" {\n}\n'}, DASHBOARDS),
    ("dashboard shipped in a ConfigMap", {"deployment/grafana/config_map.k8.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: grafana-dashboards\ndata:\n  model.json: |-\n"
        '    {"title": "Model", "panels": [{"type": "timeseries", "targets": [{"expr": "prediction_drift"}]}]}\n')},
     DASHBOARDS),
    ("alert rules shipped in a ConfigMap", {"k8s/prometheus-rules.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rules\ndata:\n  alerts.yml: |\n"
        "    groups:\n      - name: model\n        rules:\n          - alert: Drift\n            expr: drift > 0.3\n")},
     ALERTING),
    # an ARN's "/*" and a URL's "#" are strings, not comments: the alarm after them counts
    ("terraform alarm after a wildcard ARN", {"infra/main.tf": (
        'resource "aws_iam_policy" "p" {\n  resource = "arn:aws:s3:::models/*"\n  doc = "https://x.org/#a"\n}\n'
        'resource "aws_cloudwatch_metric_alarm" "errors" {\n  alarm_name = "5xx"\n}\n'
        'locals {\n  logs = "s3://logs/*/2024"\n}\n')}, ALERTING),
    ("prefect.yaml schedule", {"prefect.yaml": PREFECT_YAML, "flows/check.py": PREFECT_FLOW}, SCHEDULED),
    ("airflow drift dag", {"dags/drift_dag.py": AIRFLOW_DRIFT_DAG}, SCHEDULED),
    ("kubernetes cronjob", {"k8s/cronjob.yaml": CRONJOB}, SCHEDULED),
    ("crontab", {"deploy/crontab": "# m h dom mon dow\n0 2 * * * python /app/monitoring/run_drift.py\n"},
     SCHEDULED),
    ("retrain inside drift guard", {"src/monitoring/loop.py": RETRAIN_ON_DRIFT}, RETRAIN),
    ("retrain after early return", {"flows/auto_retrain_flow.py": RETRAIN_EARLY_RETURN}, RETRAIN),
    ("workflow dispatch on drift", {"src/monitoring/react.py": RETRAIN_DISPATCH}, RETRAIN),
    ("training DAG triggered on drift", {"drift/pipelines/hourly_monitoring.py": RETRAIN_VIA_ORCHESTRATOR}, RETRAIN),
    ("airflow branch to the training task on drift", {"dags/dag_ml_monitoring.py": BRANCH_TO_RETRAIN}, RETRAIN),
    ("ground truth join", {"src/monitoring/performance.py": GROUND_TRUTH_JOIN}, FEEDBACK),
    ("prefect serve with cron", {"flows/drift_flow.py": (
        "from prefect import flow\nfrom monitoring.drift import check\n\n@flow\ndef drift_flow():\n    check()\n\n"
        "if __name__ == '__main__':\n    drift_flow.serve(name='drift', cron='0 * * * *')\n")}, SCHEDULED),
    ("dagster asset on a cron", {"src/dags/data_drift_dag.py": (
        "import dagster as dg\n\n@dg.asset(group_name='data_drift',\n"
        "          automation_condition=dg.AutomationCondition.on_cron('0 * * * *'))\n"
        "def monitor_data_drift(context):\n    psi = population_stability(train, live)\n")}, SCHEDULED),
    ("prefect.yaml in a subfolder", {"orchestration/prefect.yaml": PREFECT_YAML,
                                     "orchestration/flows/check.py": PREFECT_FLOW}, SCHEDULED),
    # the scheduled flow runs the drift script as a command
    ("prefect flow running the drift script", {
        "prefect.yaml": PREFECT_YAML.replace("nightly-drift", "daily-pipeline"),
        "flows/check.py": "import subprocess\nfrom prefect import flow, task\n\n@task\ndef run(cmd):\n"
                          "    subprocess.run(cmd, shell=True, check=True)\n\n@flow\ndef check_flow():\n"
                          "    run('python training/train.py')\n    run('python monitoring/data_drift.py')\n",
        "monitoring/data_drift.py": "from scipy.stats import ks_2samp\n\nstat, p = ks_2samp(reference, current)\n"
                                    "drift_detected = p < 0.05\n"}, SCHEDULED),
    # a Lambda handler sets the level of the root logger the runtime configured
    ("lambda logger level", {"lambda/handler.py": (
        "import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n\n"
        "def handler(event, context):\n    logger.info('event %s', event)\n")}, LOGGING),
    ("airflow task logs", {"dags/tasks/train.py": AIRFLOW_TASK}, LOGGING),
    # log records written where things go wrong or per epoch: unconfigured, warnings still print
    ("log records in an API", {"src/api.py": (
        "import logging\nfrom fastapi import FastAPI\n\nlogger = logging.getLogger('api')\napp = FastAPI()\n\n"
        "def unavailable(exc):\n    logger.warning('dependency unavailable: %s', exc)\n\n"
        "def crashed(rid):\n    logger.exception('unhandled error (request_id=%s)', rid)\n")}, LOGGING),
    ("epoch stats as log lines", {"src/core/utils.py": (
        "import json\nimport logging\n\ndef dict_to_log(d):\n    logging.warning(json.dumps(d))\n\n"
        "def timing_to_log(d):\n    logging.warning(json.dumps(d))\n")}, LOGGING),
    ("prefect run logger", {"flows/train.py": (
        "from prefect import flow, get_run_logger\n\n@flow\ndef train():\n"
        "    get_run_logger().info('training started')\n")}, LOGGING),
    ("evidently report written per run", {"tasks/monitor.py": EVIDENTLY_REPORT}, LOGGING),
    ("embedding drift distance", {"steps/embedding_drift.py": EMBEDDING_DRIFT}, DRIFT),
    ("centroid drift measured with scikit-learn", {"src/drift/checks.py": (
        "import numpy as np\nfrom sklearn.metrics.pairwise import cosine_similarity\n\n\n"
        "def centroid_drift(reference_texts, current_texts, vectorizer):\n"
        "    ref = np.asarray(vectorizer.transform(reference_texts).mean(axis=0))\n"
        "    cur = np.asarray(vectorizer.transform(current_texts).mean(axis=0))\n"
        "    return 1.0 - float(cosine_similarity(ref, cur)[0, 0])\n")}, DRIFT),
    ("data profile stored per batch", {"dags/tasks/monitoring.py": DATA_PROFILE}, DRIFT),
    ("answers sent to a metric service", {
        "app/app.py": ("import streamlit as st\nfrom app_utils.monitoring import post_response_to_metric_service\n\n"
                       "answer = st.chat_input('Ask')\nif answer:\n"
                       "    post_response_to_metric_service('http://metrics:5000/readability', answer)\n"),
        "app_utils/monitoring.py": ("import requests\n\ndef post_response_to_metric_service(url, response):\n"
                                    "    return requests.post(url, json={'response': response})\n")}, INSTRUMENTATION),
    ("chat notifier called on drift", {"tasks/notify.py": TELEGRAM_NOTIFIER,
                                       "flows/daily.py": DRIFT_FLOW}, ALERTING),
    ("notifier given a drift message", {"tasks/notify.py": TELEGRAM_NOTIFIER, "flows/daily.py": (
        "from tasks.notify import notify_telegram\n\ndef run(report):\n"
        "    notify_telegram(f\"Data drift share {report['share']:.2f}\")\n")}, ALERTING),
    ("webhook notifier renamed on import", {
        "pipelines/notify.py": ("import os\nimport requests\n\nWEBHOOK_ENV_KEYS = ['SLACK_WEBHOOK_URL']\n\n"
                                "def send(title, text):\n    url = os.getenv(WEBHOOK_ENV_KEYS[0])\n"
                                "    return requests.post(url, json={'text': title + text}, timeout=5).ok\n"),
        "drift/detect.py": ("from pipelines.notify import send as notify\n\ndef check(ks, limit):\n"
                            "    if ks >= limit:\n        notify('Drift detected', f'KS {ks}')\n")}, ALERTING),
    # SageMaker Model Monitor declared as infrastructure, run every hour
    ("cloudformation model monitor", {"assets/deploy-model-prd.yml": CFN_MONITOR}, DRIFT),
    ("cloudformation monitoring schedule", {"assets/deploy-model-prd.yml": CFN_MONITOR}, SCHEDULED),
    ("terraform model monitor", {"infra/monitor.tf": (
        'resource "aws_sagemaker_monitoring_schedule" "m" {\n  name = "m"\n}\n')}, SCHEDULED),
    ("cloudwatch dashboard body", {"notebook/dashboard.json": CLOUDWATCH_DASHBOARD}, DASHBOARDS),
    ("google cloud monitoring dashboard", {"monitoring/gcp-dashboard.json": json.dumps({
        "displayName": "Production Monitoring", "mosaicLayout": {"columns": 12, "tiles": [{"width": 6, "widget": {
            "title": "Request Count", "xyChart": {"dataSets": [{"timeSeriesQuery": {"timeSeriesFilter": {
                "filter": 'metric.type="run.googleapis.com/request_count"'}}}]}}}]}})}, DASHBOARDS),
]


@pytest.mark.parametrize("files,signal", [pytest.param(f, s, id=i) for i, f, s in POSITIVE])
def test_detects(make_repo, files, signal):
    evidence = run_detector(MonitoringDetector, make_repo(files))
    assert signal in present(evidence)
    hit = next(e for e in evidence if e.signal == signal and e.counts)
    assert hit.locations and hit.locations[0].path in files
    assert hit.locations[0].sha256 is not None


TRAPS = [
    ("logging only in tests", {"tests/test_app.py": "import logging\nlogging.basicConfig()\n"}, LOGGING),
    ("vertex batch prediction job, no objective", {"components/batch_predict.py": (
        "from google.cloud import aiplatform\n\n# skew checks would go here one day\n"
        "job = aiplatform.Model('m').batch_predict(job_display_name='daily', gcs_source='gs://b/in')\n")}, DRIFT),
    # metrics a tracker writes for each run (DVCLive's metrics.json) are experiment tracking, not
    # observation (the calibration's auditors: "no monitoring code" beside DVCLive evaluation)
    ("metrics a run logs with DVCLive", {"src/evaluate.py": (
        "from dvclive import Live\n\n\ndef evaluate(model, x, y):\n    with Live(resume=True) as live:\n"
        "        live.log_metric('accuracy', model.score(x, y))\n")}, LOGGING),
    ("a dump of something else", {"src/cache.py": "import json\n\ndef dump_kvs(store):\n    json.dumps(store)\n"},
     LOGGING),
    ("evidently model quality in a training evaluation", {"src/train.py": (
        "from evidently.report import Report\nfrom evidently.metric_preset import ClassificationPreset\n\n"
        "def evaluate(test):\n    report = Report(metrics=[ClassificationPreset()])\n    report.run(current_data=test)\n")},
     FEEDBACK),
    ("training script saving its settings", {"train.py": (
        "import json\nwith open('run.json', 'w') as f:\n    json.dump({'lr': 0.1, 'epochs': 3}, f)\n")}, LOGGING),
    ("a service's keeper handed no prediction", {"app.py": (
        "from flask import Flask, request\n\napp = Flask(__name__)\n\ndef log_to_file(user):\n    open('u', 'a').write(user)\n\n"
        "@app.route('/login')\ndef login():\n    user = request.args['u']\n    log_to_file(user)\n    return 'ok'\n")},
     INSTRUMENTATION),
    ("prediction log outside a service", {"src/batch.py": (
        "import pandas as pd\n\ndef save_predictions(df):\n    df.to_csv('preds.csv')\n\nsave_predictions(pd.DataFrame())\n")},
     INSTRUMENTATION),
    ("hydra compose api only", {"src/cfg.py": "from hydra import compose, initialize\n\n"
                                              "with initialize(config_path='conf'):\n    cfg = compose('config')\n"}, LOGGING),
    # a predictions dump whose file name merely carries the epoch's score
    ("predictions csv named with the score", {"pipeline/trainer.py": (
        "import os\n\ndef on_validation_epoch_end(self, subm_df, score, epoch):\n    self.train_one_epoch()\n"
        "    path = os.path.join('out', f'subm/f{epoch}_{score:.4f}.csv')\n    subm_df.to_csv(path, index=False)\n")},
     LOGGING),
    ("logging commented out", {"src/train.py": "# import logging\n# logging.basicConfig()\nprint('x')\n"}, LOGGING),
    # a cookiecutter generation hook renders the template: it is no training or serving code
    ("logging in a cookiecutter hook", {"cookiecutter.json": "{}\n",
                                        "hooks/post_gen_project.py": "import logging\nlogging.basicConfig()\n"},
     LOGGING),
    ("getLogger without handlers", {"src/a.py": "import logging\nlog = logging.getLogger(__name__)\n"}, LOGGING),
    # the same file without Kedro to load it, or a Kedro logging file without handlers
    ("logging config nothing loads", {"conf/base/logging.yml": "version: 1\nhandlers:\n  console: {}\n"}, LOGGING),
    ("kedro logging config without handlers", {"pyproject.toml": "[tool.kedro]\n",
                                               "conf/base/logging.yml": "version: 1\nloggers: {}\n"}, LOGGING),
    ("absl logging used, never configured", {"src/a.py": "from absl import logging\nlogging.info('x')\n"}, LOGGING),
    # a single stray log call in a library module no orchestrator runs, with no handler and no level
    ("logger in plain library code", {"src/lib.py": (
        "import logging\nlog = logging.getLogger(__name__)\n\ndef f():\n    log.info('x')\n")}, LOGGING),
    # an Evidently report shown in a notebook-like script, never written
    ("evidently report not written", {"tasks/monitor.py": EVIDENTLY_REPORT.replace(
        '    result.save_html(f"monitor/reports/{day}-data-drift.html")\n', "    return result.dict()\n")}, LOGGING),
    # a distance with no reference data: nearest neighbours in retrieval code about drift in words only
    ("distance in retrieval code", {"search/knn.py": (
        "from scipy.spatial import distance\n\ndef nearest(query, docs):\n"
        "    return min(docs, key=lambda d: distance.cosine(query, d))\n")}, DRIFT),
    ("scikit-learn similarity in retrieval code", {"search/rank.py": (
        "from sklearn.metrics.pairwise import cosine_similarity\n\ndef rank(query, docs):\n"
        "    return cosine_similarity([query], docs)[0].argsort()\n")}, DRIFT),
    ("distance in drift code without a reference", {"monitoring/drift.py": (
        "from scipy.spatial import distance\n\ndef spread(a, b):\n    return distance.cosine(a, b)\n")}, DRIFT),
    # statistics printed, never stored; or stored with no missing values counted
    ("data profile not stored", {"monitoring/stats.py": DATA_PROFILE.replace(
        '    cursor.execute("INSERT INTO features_stats VALUES (%s)", tuple(row.iloc[0]))\n', "    print(row)\n")},
     DRIFT),
    ("metric means stored", {"monitoring/metrics.py": (
        "import pandas as pd\n\ndef store(df, cursor):\n    m = df['rmse'].mean()\n"
        "    cursor.execute('INSERT INTO metrics VALUES (%s)', (m, df['rmse'].std()))\n")}, DRIFT),
    # a notifier nobody calls on a condition, or called on start-up only
    ("notifier on status only", {"tasks/notify.py": TELEGRAM_NOTIFIER, "flows/daily.py": (
        "from tasks.notify import notify_telegram\n\ndef run():\n    notify_telegram('Pipeline started')\n")},
     ALERTING),
    # a helper named for notifying that sends nothing
    ("print named notify on drift", {"flows/daily.py": (
        "def notify(msg):\n    print(msg)\n\ndef run(drift_detected):\n    if drift_detected:\n        notify('drift')\n")},
     ALERTING),
    # a chat app that imports its monitoring helpers shows no dashboard
    ("chat app with monitoring helpers", {"app/app.py": (
        "import streamlit as st\nfrom app_utils.monitoring import post_response\n\n"
        "q = st.chat_input('Ask')\nst.write(q)\n")}, DASHBOARDS),
    ("ks test in a notebook", {"analysis.ipynb": (
        '{"cells": [{"cell_type": "code", "source": ["from scipy.stats import ks_2samp\\n",'
        ' "drift = ks_2samp(a, b)"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')}, DRIFT),
    ("ks test outside monitoring", {"src/features/select.py": (
        "from scipy.stats import ks_2samp\n\ndef separable(a, b):\n    return ks_2samp(a, b).pvalue < 0.01\n")},
     DRIFT),
    ("evidently model quality of the held-out test split", {"src/monitoring/performance_monitoring.py": (
        "from evidently.report import Report\nfrom evidently.metric_preset import ClassificationPreset\n\n"
        "def run(model):\n    reference = pd.read_csv('data/processed/train_set.csv')\n"
        "    current = pd.read_csv('data/processed/test_set.csv')\n"
        "    report = Report(metrics=[ClassificationPreset()])\n"
        "    report.run(reference_data=reference, current_data=current)\n")}, FEEDBACK),
    ("a training script copying its config", {"src/train.py": (
        "import yaml\n\ndef main(path, out):\n    cfg = yaml.safe_load(open(path))\n"
        "    with open(out + '/config.yaml', 'w') as f:\n        yaml.dump(cfg, f)\n    score = fit(cfg)\n"
        "    print('val score', score)\n")}, LOGGING),
    ("ks test of train against test with no bar", {"src/features/split.py": (
        "from scipy.stats import ks_2samp\n\ndef report(train, test):\n    print(ks_2samp(train['x'], test['x']))\n")},
     DRIFT),
    ("ks test in tests", {"tests/monitoring/test_drift.py": KS_DRIFT}, DRIFT),
    ("ks test in site-packages", {"venv/lib/python3.11/site-packages/mon/drift.py": KS_DRIFT}, DRIFT),
    ("ks test in unrendered template", {"{{cookiecutter.name}}/monitoring/drift.py": KS_DRIFT}, DRIFT),
    ("alert rules only in docs", {"docs/monitoring.md": "```yaml\n" + PROM_RULES + "```\n"}, ALERTING),
    ("chart values switching alertmanager on, with no rule or route", {"charts/values.yaml": (
        "alertmanager:\n  enabled: true\nadditionalPrometheusRules: []\n")}, ALERTING),
    ("terraform alarm commented out", {"infra/main.tf": (
        '# resource "aws_cloudwatch_metric_alarm" "errors" {\n#   alarm_name = "5xx"\n# }\n')}, ALERTING),
    ("terraform alarm in a block comment", {"infra/main.tf": (
        'locals { a = 1 }\n/*\nresource "aws_cloudwatch_metric_alarm" "errors" {\n}\n*/\n')}, ALERTING),
    ("issue opened, no monitored condition", {"tools/triage.py": (
        "import requests\n\ndef open_github_issue(title, body):\n"
        "    return requests.post('https://api.github.com/repos/o/r/issues', json={'title': title})\n")}, ALERTING),
    ("password-reset email", {"app/mail.py": (
        "import smtplib\n\ndef send_reset(to, token):\n    with smtplib.SMTP('localhost') as s:\n"
        "        s.sendmail('noreply@x', [to], token)\n")}, ALERTING),
    ("provisioning without dashboards", {"grafana/provisioning/dashboards/default.yml": GRAFANA_PROVIDER},
     DASHBOARDS),
    ("a ConfigMap of settings", {"k8s/config.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  settings.json: '{\"panels\": \"none\"}'\n"
        "  LOG_LEVEL: info\n")}, DASHBOARDS),
    ("matplotlib plots", {"visualization.py": (
        "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.savefig('sentiment_trend.png')\n")}, DASHBOARDS),
    ("streamlit prediction demo", {"app/streamlit_app.py": (
        "import streamlit as st\ntext = st.text_input('Review')\nst.write(model.predict([text]))\n")}, DASHBOARDS),
    ("streamlit forecast page", {"dashboard/pages/1_Demand_Forecast.py": (
        "import streamlit as st\nst.metric('Forecast', 42)\nst.line_chart(forecast)\n")}, DASHBOARDS),
    # a column of a stored record left empty: nothing computes drift
    ("drift column filled with None", {"dags/train_dag.py": (
        "from airflow import DAG\n\nwith DAG('train', schedule='0 2 * * *') as dag:\n    pass\n\n"
        "def store(db, rmse):\n    db.add(ModelPerformance(rmse=rmse, data_drift_score=None))\n")}, SCHEDULED),
    ("dependabot schedule", {".github/dependabot.yml": (
        "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n    schedule:\n      interval: weekly\n")},
     SCHEDULED),
    ("cronjob for backups", {"k8s/backup.yaml": CRONJOB.replace("app.monitoring.drift_check", "app.backup")
                             .replace("drift-check", "backup")}, SCHEDULED),
    ("scheduled training dag with early stopping", {"dags/train_dag.py": (
        "from airflow import DAG\nfrom keras.callbacks import EarlyStopping\n"
        "cb = EarlyStopping(monitor='val_loss')\n"
        "dag = DAG('train', schedule_interval='@weekly')\n")}, SCHEDULED),
    ("unscheduled drift dag", {"dags/drift_dag.py": AIRFLOW_DRIFT_DAG.replace('schedule="@daily"', "schedule=None")},
     SCHEDULED),
    ("drift dag scheduled by an unset variable", {"dags/drift_dag.py": "import os\n" + AIRFLOW_DRIFT_DAG.replace(
        'schedule="@daily"', 'schedule=os.environ.get("DRIFT_SCHEDULE") or None')}, SCHEDULED),
    # a branch picking the training task on a schedule, not on a monitoring result; a branch to a
    # task the DAG does not have
    ("airflow branch to training on the weekday", {"dags/dag.py": BRANCH_TO_RETRAIN.replace(
        "if drift_detected == True:", "if context['ds_nodash'].endswith('1'):")}, RETRAIN),
    ("airflow branch to a missing task", {"dags/dag.py": BRANCH_TO_RETRAIN.replace('task_id="retrain_model"', 'task_id="refit"')},
     RETRAIN),
    ("retrain flag without monitoring", {"src/train.py": (
        "def main(args):\n    if args.retrain:\n        train_model()\n")}, RETRAIN),
    # a DAG triggered on drift that runs no training: the report DAG
    ("report DAG triggered on drift", {"drift/pipelines/hourly_monitoring.py": RETRAIN_VIA_ORCHESTRATOR.replace(
        "01_training_pipeline", "02_drift_report")}, RETRAIN),
    ("retrain decision only", {"src/monitoring/policy.py": (
        "def decide(drift_share):\n    if should_retrain(drift_share):\n        return 'retrain'\n    return 'keep'\n")},
     RETRAIN),
    # the same entry points without a log line, and a script dumping stats that trains nothing
    ("scoring script without logs", {"score.py": "def init():\n    pass\n\ndef run(raw):\n    return raw\n"}, LOGGING),
    ("stats dumped by a tool", {"main.py": (
        "import json\n\ndef main(paths):\n    stats = count(paths)\n    print(json.dumps(stats))\n")}, LOGGING),
    # the served model only says it answered
    ("served model logging a message", {"src/inference/model.py": PYFUNC_MODEL.replace(
        "self.backend.save(model_input, model_output)", "self.logger.info('Returning prediction')")}, INSTRUMENTATION),
    # a batch scoring script writing its predictions, measuring nothing; prints a flow does not keep
    ("scoring script writing predictions", {"src/score.py": (
        "import json\n\ndef main(model, rows):\n    scores = model.predict(rows)\n"
        "    with open('scores.json', 'w') as f:\n        json.dump(list(scores), f)\n")}, LOGGING),
    ("prefect task without log_prints", {"flows/train.py": (
        "from prefect import flow, task\n\n@task(name='train_models', log_prints=False)\ndef train(X, y):\n"
        "    print('training')\n")}, LOGGING),
    # Evidently measuring a model's ranking quality on its validation split is an evaluation
    ("evidently offline evaluation", {"src/sequence/trainer.py": (
        "from evidently import DataDefinition, Dataset, Report\nfrom evidently.presets import ClassificationPreset\n"
        "from evidently.metrics import NDCG\n\ndef evaluate(val_df):\n    ds = Dataset.from_pandas(val_df, "
        "data_definition=DataDefinition())\n    return Report([ClassificationPreset(), NDCG(k=10)]).run(ds, None)\n")},
     DRIFT),
    # Prometheus scraping itself and the host: nothing of the model server
    ("prometheus scraping itself", {"monitoring/prometheus.yml": (
        "scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['localhost:9090']\n"
        "  - job_name: node\n    static_configs:\n      - targets: ['node-exporter:9100']\n")}, INSTRUMENTATION),
    ("wave function psi", {"physics/solver.py": "def psi(x, t):\n    return x * t\n"}, DRIFT),
    ("retrieval metrics file", {"src/retrieval.py": (
        "import json\nscores = {'recall': 0.5}\njson.dump(scores, open('out.json', 'w'))\n")}, LOGGING),
    ("scheduled training deployment", {"prefect.yaml": PREFECT_YAML.replace("nightly-drift", "nightly-train"),
                                       "flows/check.py": "from prefect import flow\n\n@flow\ndef check_flow():\n"
                                                         "    fit()\n"}, SCHEDULED),
    # a monitoring job defined but given no schedule runs only when someone starts it
    ("monitor without a schedule", {"cfn/monitor.yml": CFN_MONITOR.split("        ScheduleConfig:")[0]}, SCHEDULED),
    # a layout of text tiles only charts nothing
    ("gcp dashboard of text tiles", {"monitoring/board.json": json.dumps({
        "displayName": "Notes", "mosaicLayout": {"tiles": [{"widget": {"text": {"content": "runbook"}}}]}})}, DASHBOARDS),
    # a web page's layout that happens to call its parts widgets
    ("ui widgets", {"ui/layout.json": '{"widgets": [{"type": "button", "properties": {"label": "Go"}}]}'}, DASHBOARDS),
    ("offline evaluation join", {"src/evaluation/cv.py": (
        "import pandas as pd\nfrom sklearn.metrics import f1_score\n\n"
        "def score(preds, ground_truth):\n    df = preds.merge(ground_truth, on='id')\n"
        "    return f1_score(df.y, df.pred)\n")}, FEEDBACK),
]


@pytest.mark.parametrize("files,signal", [pytest.param(f, s, id=i) for i, f, s in TRAPS])
def test_traps(make_repo, files, signal):
    assert signal not in present(run_detector(MonitoringDetector, make_repo(files)))


def test_grafana_provisioning_counts_with_dashboards(make_repo):
    root = make_repo({"grafana/provisioning/dashboards/default.yml": GRAFANA_PROVIDER,
                      "grafana/dashboards/model.json": GRAFANA_DASHBOARD})
    kinds = {e.attributes["kind"]: e.tier for e in run_detector(MonitoringDetector, root)}
    assert kinds == {"grafana-provisioning": Tier.CONFIGURED, "grafana-dashboard": Tier.CONFIGURED}


EVIDENTLY_PROJECT = {"id": "0198", "name": "Store sales", "dashboard": {"name": "Store sales", "panels": [
    {"type": "evidently:dashboard_panel:DashboardPanelPlot", "title": "Inference count", "size": 1,
     "values": [{"field_path": "current.number_of_rows", "metric_id": "DatasetSummaryMetric"}], "plot_type": "bar"}]}}


@pytest.mark.parametrize("panels, counts", [
    (EVIDENTLY_PROJECT["dashboard"]["panels"], True),
    # an Evidently project with an empty dashboard charts nothing
    ([], False),
])
def test_an_evidently_ui_project_in_its_workspace_is_a_dashboard(make_repo, panels, counts):
    project = {**EVIDENTLY_PROJECT, "dashboard": {"name": "Store sales", "panels": panels}}
    root = make_repo({"monitoring/workspace/0198/metadata.json": json.dumps(project)})
    assert (DASHBOARDS in present(run_detector(MonitoringDetector, root))) is counts


def test_provisioning_without_dashboards_is_declared(make_repo):
    root = make_repo({"grafana/provisioning/dashboards/default.yml": GRAFANA_PROVIDER})
    assert declared(run_detector(MonitoringDetector, root)) == {DASHBOARDS}


def test_malformed_rule_file_is_an_error(make_repo):
    root = make_repo({"monitoring/alerts.yml": "groups:\n  - name: x\n    rules:\n      - alert: A\n"
                                               "        expr: up == 0\n       bad: [\n"})
    evidence = run_detector(MonitoringDetector, root)
    assert [(e.signal, e.outcome) for e in evidence] == [(ALERTING, Outcome.ERROR)]


def test_malformed_rule_file_does_not_hide_other_rules(make_repo):
    root = make_repo({"monitoring/broken.yml": "groups:\n  - alert: A\n    expr: x\n   bad: [\n",
                      "monitoring/alerts.yml": PROM_RULES})
    evidence = run_detector(MonitoringDetector, root)
    assert ALERTING in present(evidence)
    assert all(e.outcome is not Outcome.ERROR for e in evidence)


def test_binary_and_bad_files_do_not_crash(make_repo):
    root = make_repo({"monitoring/x.yml": b"\x00\x01alert: expr:", "g/d.json": '{"panels": [',
                      "src/bad.py": "def broken(:\n", "infra/x.tf": b"\xff\xfe resource"})
    assert present(run_detector(MonitoringDetector, root)) == set()


def test_evidence_ids_are_stable(make_repo):
    root = make_repo({"monitoring/alerts.yml": PROM_RULES, "src/monitoring/drift.py": KS_DRIFT})
    first = [e.id for e in run_detector(MonitoringDetector, root)]
    assert first == [e.id for e in run_detector(MonitoringDetector, root)]
    assert len(set(first)) == len(first)


# -- catalogue entries, read by the tools detector ------------------------------------------

DAGSTER_CHECK = ("from dagster import AssetCheckResult, asset_check\nfrom defs.assets import power\n\n"
                 "@asset_check(asset=power)\ndef power_is_fresh():\n    return AssetCheckResult(passed=late() == 0)\n")
DAGSTER_SCHEDULE = ("from dagster import ScheduleDefinition, define_asset_job\n\n"
                    "job = define_asset_job('power_job', selection='power')\n"
                    "schedule = ScheduleDefinition(job=job, cron_schedule='55 * * * *')\n")

CATALOGUE_POSITIVE = [
    ("prometheus_client", {"api/metrics.py": (
        "from prometheus_client import Counter as C\nREQUESTS = C('requests_total', 'n')\n")}, INSTRUMENTATION),
    ("instrumentator", {"api/main.py": (
        "from prometheus_fastapi_instrumentator import Instrumentator\nInstrumentator().instrument(app).expose(app)\n")},
     INSTRUMENTATION),
    ("opentelemetry", {"api/otel.py": (
        "from opentelemetry import trace\ntracer = trace.get_tracer(__name__)\n")}, INSTRUMENTATION),
    ("sentry", {"api/main.py": (
        "import sentry_sdk\nfrom fastapi import FastAPI\nsentry_sdk.init(dsn=DSN, traces_sample_rate=0.1)\n"
        "app = FastAPI()\n")}, INSTRUMENTATION),
    ("application insights via opencensus", {"monitoring/app_logger.py": (
        "import logging\nfrom opencensus.ext.azure.log_exporter import AzureLogHandler\n"
        "logger = logging.getLogger(__name__)\nlogger.addHandler(AzureLogHandler(connection_string=cs))\n")},
     INSTRUMENTATION),
    ("azure monitor opentelemetry", {"api/main.py": (
        "from azure.monitor.opentelemetry import configure_azure_monitor\nconfigure_azure_monitor()\n")},
     INSTRUMENTATION),
    ("opik traces", {"app/rag.py": (
        "import opik\n\n@opik.track(name='rag.answer')\ndef answer(q):\n    return llm(q)\n")}, INSTRUMENTATION),
    ("langfuse observe", {"app/chain.py": (
        "from langfuse.decorators import observe\n\n@observe()\ndef run(q):\n    return chain.invoke(q)\n")},
     INSTRUMENTATION),
    ("langsmith traceable", {"app/agent.py": (
        "from langsmith import traceable\n\n@traceable\ndef step(x):\n    return x\n")}, INSTRUMENTATION),
    ("evidently report", {"monitor.py": (
        "from evidently import Report\nfrom evidently.presets import DataDriftPreset\n"
        "report = Report([DataDriftPreset()])\nreport.run(cur, ref)\n")}, DRIFT),
    ("evidently ui", {"ui.py": (
        "from evidently.ui.workspace import Workspace\nws = Workspace.create('ws')\nws.create_project('p')\n")},
     DASHBOARDS),
    ("nannyml realized performance", {"perf.py": (
        "import nannyml as nml\ncalc = nml.PerformanceCalculator(metrics=['roc_auc'])\n")}, FEEDBACK),
    ("influxdb points", {"inference/log_run.py": (
        "from influxdb_client import InfluxDBClient, Point\nclient = InfluxDBClient(url=u, token=t)\n"
        "api = client.write_api()\napi.write(bucket='b', record=Point('predictions').field('value', 1.0))\n")},
     INSTRUMENTATION),
    ("fluentd events", {"app/log.py": (
        "from fluent import sender\nlogger = sender.FluentSender('app', host='fluentd', port=24224)\n"
        "logger.emit('prediction', {'features': f, 'prediction': p})\n")}, INSTRUMENTATION),
    ("sentry cron monitor", {"jobs/heartbeat.py": (
        "from sentry_sdk.crons import capture_checkin\nfrom sentry_sdk.crons.consts import MonitorStatus\n\n"
        "def beat():\n    capture_checkin(monitor_slug='forecasts', status=MonitorStatus.OK,\n"
        "                    monitor_config={'schedule': {'type': 'crontab', 'value': '0 */6 * * *'}})\n\n"
        "if __name__ == '__main__':\n    beat()\n")}, ALERTING),
    ("dagster asset check", {"defs/checks.py": DAGSTER_CHECK}, DRIFT),
    ("dagster asset check on a schedule", {"defs/checks.py": DAGSTER_CHECK, "defs/schedules.py": DAGSTER_SCHEDULE},
     SCHEDULED),
    ("loguru", {"app.py": "from loguru import logger\nlogger.add('app.log')\nlogger.info('hi')\n"}, LOGGING),
    ("structlog", {"app.py": "import structlog\nstructlog.configure(processors=[])\n"}, LOGGING),
    ("rl episode monitor", {"envs.py": (
        "from stable_baselines3.common.monitor import Monitor\n\ndef make_env(env, log_dir, rank):\n"
        "    return Monitor(env, os.path.join(log_dir, str(rank)))\n\nenvs = [make_env(e, 'logs', i) for i, e in enumerate(E)]\n")},
     LOGGING),
]


@pytest.mark.parametrize("files,signal", [pytest.param(f, s, id=i) for i, f, s in CATALOGUE_POSITIVE])
def test_catalogue_tools(make_repo, files, signal):
    assert signal in present(run_detector(ToolUsageDetector, make_repo(files)))


CATALOGUE_DECLARED = [
    ("evidently only in requirements", {"requirements.txt": "evidently==0.7.20\n", "src/a.py": "x = 1\n"}, DRIFT),
    ("evidently in docs code block", {"docs/drift.md": "```python\nfrom evidently import Report\n```\n"}, DRIFT),
    ("instrumentator only declared", {"pyproject.toml": (
        '[project]\nname = "x"\ndependencies = ["prometheus-fastapi-instrumentator>=7"]\n')}, INSTRUMENTATION),
    ("agent instruction file", {".claude/agents/ml-engineer.md": "Use Evidently, NannyML and Prometheus.\n"}, DRIFT),
    ("application insights only in requirements", {"requirements.txt": "opencensus-ext-azure==1.1.9\n",
                                                   "src/a.py": "x = 1\n"}, INSTRUMENTATION),
    ("langfuse only in requirements", {"requirements.txt": "langfuse==2.60.0\n", "src/a.py": "x = 1\n"},
     INSTRUMENTATION),
    ("opik evaluation metrics only", {"eval.py": (
        "from opik.evaluation.metrics import Hallucination\nscore = Hallucination().score(input=q, output=a)\n")},
     INSTRUMENTATION),
    ("sentry only captured by hand, never set up", {"api/errors.py": (
        "import sentry_sdk\nsentry_sdk.capture_message('x')\n")}, INSTRUMENTATION),
    ("influxdb client that only queries", {"report.py": (
        "from influxdb_client import InfluxDBClient\nclient = InfluxDBClient(url=u)\n"
        "rows = client.query_api().query('from(bucket: \"b\")')\n")}, INSTRUMENTATION),
]


@pytest.mark.parametrize("files,signal", [pytest.param(f, s, id=i) for i, f, s in CATALOGUE_DECLARED])
def test_catalogue_mentions_are_declared_only(make_repo, files, signal):
    evidence = run_detector(ToolUsageDetector, make_repo(files))
    assert signal not in present(evidence)
    assert signal in declared(evidence)


def test_a_dagster_asset_check_nothing_schedules_is_not_scheduled_monitoring(make_repo):
    evidence = run_detector(ToolUsageDetector, make_repo({"defs/checks.py": DAGSTER_CHECK}))
    assert DRIFT in present(evidence) and SCHEDULED not in present(evidence)


def test_otel_stub_without_import_is_absent(make_repo):
    root = make_repo({"api/observability.py": (
        '"""OpenTelemetry wiring, deliberately stubbed out."""\nimport structlog\n\n'
        "def init_tracing(service_name):\n    structlog.get_logger().debug('otel stubbed')\n")})
    evidence = run_detector(ToolUsageDetector, root)
    assert INSTRUMENTATION not in present(evidence)
    assert run_detector(MonitoringDetector, root) == []


PROMETHEUS_CONFIG = ("global:\n  scrape_interval: 15s\n{rules}scrape_configs:\n  - job_name: api\n"
                     "    static_configs:\n      - targets: ['api:8000']\n")


@pytest.mark.parametrize("rules, counts", [
    # the repository's Prometheus loads the rule file (by the path it is mounted at)
    ("rule_files:\n  - /etc/prometheus/alert_rules.yml\n", True),
    ("rule_files:\n  - 'rules/*.yml'\n", True),
    # trap: the loading lines commented out, so the rules alert on nothing
    ("# rule_files:\n#   - alert_rules.yml\n", False),
    ("rule_files:\n  - recording_rules.yml\n", False),
])
def test_alert_rules_count_when_the_repositorys_prometheus_loads_them(make_repo, rules, counts):
    files = {"monitoring/prometheus/alert_rules.yml": PROM_RULES,
             "monitoring/prometheus/prometheus.yml": PROMETHEUS_CONFIG.format(rules=rules)}
    ev = run_detector(MonitoringDetector, make_repo(files))
    assert ("monitoring.alerting" in present(ev)) is counts
    if not counts:
        assert "monitoring.alerting" in declared(ev)


DAGSTER_DEFS = ("from dagster import AssetSelection, Definitions, ScheduleDefinition, define_asset_job, "
                "load_assets_from_package_module\nfrom . import assets\n\n"
                "prod_job = define_asset_job('prod_job', AssetSelection.groups({groups}))\n"
                "prod_schedule = ScheduleDefinition(job=prod_job, cron_schedule='0 19 * * 1-5')\n"
                "defs = Definitions(assets=load_assets_from_package_module(assets), schedules=[prod_schedule])\n")
DAGSTER_ASSETS = ("from dagster import asset\nfrom evidently.report import Report\n"
                  "from evidently.metric_preset import RegressionPreset\n\n"
                  "@asset(group_name='DataCollectionPhase')\ndef fetch_prices():\n    return download()\n\n"
                  "@asset(deps=[fetch_prices], group_name='MonitoringPhase')\ndef monitoring_and_reporting():\n"
                  "    report = Report(metrics=[RegressionPreset()])\n    report.run(reference_data=ref, current_data=cur)\n")


@pytest.mark.parametrize("groups, scheduled", [
    ("'DataCollectionPhase', 'MonitoringPhase'", True),
    # the schedule's job selects only the data group: the monitoring asset runs by hand
    ("'DataCollectionPhase'", False),
])
def test_a_dagster_schedule_selecting_a_monitoring_asset_group(make_repo, groups, scheduled):
    files = {"etl/__init__.py": DAGSTER_DEFS.format(groups=groups), "etl/assets/__init__.py": "",
             "etl/assets/pipeline.py": DAGSTER_ASSETS}
    evidence = run_detector(MonitoringDetector, make_repo(files))
    assert (SCHEDULED in present(evidence)) is scheduled


@pytest.mark.parametrize("function, watched", [("monitoring_and_reporting", True), ("evaluate_candidate", False)])
def test_evidently_model_quality_in_a_function_named_for_monitoring(make_repo, function, watched):
    source = DAGSTER_ASSETS.replace("monitoring_and_reporting", function)
    evidence = run_detector(MonitoringDetector, make_repo({"etl/assets/pipeline.py": source}))
    assert (FEEDBACK in present(evidence)) is watched


def test_an_evaluation_report_named_only_in_the_text_it_writes(make_repo):
    # the training functions imported under their own names, the report named in what is written
    source = ("from train.train_graph import train_epoch_sparse as train_epoch, evaluate_network_sparse\n\n\n"
              "def run(model, loader, out):\n    for epoch in range(10):\n        loss = train_epoch(model, loader)\n"
              "    test_mae = evaluate_network_sparse(model, loader)\n    with open(out + '.txt', 'w') as f:\n"
              "        f.write(\"\"\"Dataset: {}\n    FINAL RESULTS\nTEST MAE: {:.4f}\"\"\"\n"
              "                .format('zinc', test_mae))\n")
    assert LOGGING in present(run_detector(MonitoringDetector, make_repo({"main_graph_regression.py": source})))


EXPERIMENT = ("import numpy as np\nimport torch\n\n\nclass Exp:\n"
              "    def train(self, setting):\n        for epoch in range(10):\n            self.step()\n\n"
              "    def {test}(self, setting):\n        folder = './results/' + setting + '/'\n"
              "        mae, mse = metric(self.preds, self.trues)\n"
              "        np.save(folder + '{name}.npy', np.array([mae, mse]))\n")


@pytest.mark.parametrize("test, name, written", [
    ("test", "metrics", True),
    # trap: the array saved is the predictions, though its folder is the run's results
    ("test", "pred", False),
    # trap: a training loop alone, no evaluation beside it
    ("predict", "metrics", False),
])
def test_an_experiment_class_saving_its_test_metrics(make_repo, test, name, written):
    source = EXPERIMENT.format(test=test, name=name)
    assert (LOGGING in present(run_detector(MonitoringDetector, make_repo({"exp/exp_model.py": source})))) is written


@pytest.mark.parametrize("made, name, written", [
    ("{'metrics': lib.calculate_metrics(model, data)}", "results_catboost.json", True),
    # trap: the run's config dumped the same way is no report
    ("lib.load_config(parent_dir)", "config.json", False),
])
def test_an_evaluation_script_writing_its_report_through_a_project_helper(make_repo, made, name, written):
    source = (f"import lib\n\n\ndef main(model, data, parent_dir):\n    report = lib.score(model, data)\n\n\n\n"
              f"    out = {made}\n    lib.dump_json(out, parent_dir + '/{name}')\n")
    evidence = run_detector(MonitoringDetector, make_repo({"scripts/eval_catboost.py": source}))
    assert (LOGGING in present(evidence)) is written


@pytest.mark.parametrize("logged, kept", [
    ("mlflow.log_artifact('artifacts/confusion_matrix.png')", True),
    ("mlflow.log_figure(fig, artifact_file=f'roc-{name}.png')", True),
    # trap: the model file logged after the run's metrics is no report
    ("mlflow.log_artifact('model.pkl')", False),
])
def test_an_evaluation_report_kept_with_the_tracked_run(make_repo, logged, kept):
    source = ("import mlflow\n\n\ndef main(model, X, y):\n    with mlflow.start_run():\n"
              "        mlflow.log_metric('accuracy', score(model, X, y))\n"
              f"        {logged}\n")
    evidence = run_detector(MonitoringDetector, make_repo({"src/train_and_eval.py": source}))
    assert (LOGGING in present(evidence)) is kept


@pytest.mark.parametrize("helper, mode, kept", [
    ("write_log", "mode", True),
    ("log", "'a+'", True),
    # trap: a helper of another name (a catalogue appended to), and a log helper that overwrites
    ("append_catalog", "'a'", False),
    ("write_log", "'w'", False),
])
def test_a_log_helper_appending_to_the_runs_log_file(make_repo, helper, mode, kept):
    source = (f"import os\n\n\ndef {helper}(logs_path, line, mode='a'):\n"
              f"    with open(os.path.join(logs_path, 'train_console.txt'), {mode}) as f:\n"
              "        f.write(line + '\\n')\n")
    evidence = run_detector(MonitoringDetector, make_repo({"ofa/utils/common_tools.py": source}))
    assert (LOGGING in present(evidence)) is kept


LOGGED_ROWS_JOIN = """\
import numpy as np
import pandas as pd
from sklearn.metrics import mean_squared_error


def compute_rmse_with_ground_truth(recent):
    ground_truth_df = pd.read_csv("s3://bucket/raw-data/new_data.csv")
    if recent.empty:
        print("No recent {rows} found in the model logs.")
        return
    merged = pd.merge(recent, ground_truth_df[["UNIXTime", "Radiation"]], on="UNIXTime")
    return np.sqrt(mean_squared_error(merged["Radiation_y"], merged["Radiation_x"]))
"""


@pytest.mark.parametrize("rows, fed_back", [
    # the logged predictions go by another name and are called so only in a message
    ("predictions", True),
    # trap: rows joined with ground truth that nothing calls predictions
    ("rows", False),
])
def test_logged_rows_joined_with_ground_truth_in_monitoring(make_repo, rows, fed_back):
    evidence = run_detector(MonitoringDetector, make_repo({"monitoring/monitor_drift.py": LOGGED_ROWS_JOIN.format(rows=rows)}))
    assert (FEEDBACK in present(evidence)) is fed_back


def test_rl_library_without_its_episode_monitor_logs_nothing(make_repo):
    # importing the RL library trains agents; only its Monitor wrapper or logger writes the episodes
    repo = make_repo({"train.py": "from stable_baselines3 import PPO\nPPO('MlpPolicy', env).learn(10_000)\n"})
    assert "monitoring.logging" not in present(run_detector(ToolUsageDetector, repo))


STRUCTURED_ROUTE = """\
import json
import logging
import uuid

from fastapi import FastAPI

app = FastAPI()


@app.post("/predict")
async def predict(data: list[dict]) -> list:
    request_id = uuid.uuid4().hex
    output = model.predict(data)
    {log}
    return output
"""


@pytest.mark.parametrize("log, instrumented", [
    ('logging.info(json.dumps({"type": "ModelOutput", "request_id": request_id, "data": output}))', True),
    ('logger.info("prediction served", extra={"request_id": request_id, "rows": len(data)})', True),
    # traps: a free-text line is no record; a JSON dump outside a route logs no request
    ('logging.info(f"served {request_id}")', False),
    ('print(json.dumps({"request_id": request_id}))', False),
])
def test_a_route_logging_each_request_as_a_structured_record(make_repo, log, instrumented):
    evidence = run_detector(MonitoringDetector, make_repo({"app/main.py": STRUCTURED_ROUTE.format(log=log)}))
    assert (INSTRUMENTATION in present(evidence)) is instrumented


def test_a_structured_log_line_outside_any_route_is_no_request_logging(make_repo):
    script = ("import json, logging\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n"
              "def warm_up():\n    logging.info(json.dumps({'stage': 'warm-up'}))\n")
    assert INSTRUMENTATION not in present(run_detector(MonitoringDetector, make_repo({"app/main.py": script})))


TB_LOGGER = """\
from torch.utils.tensorboard import SummaryWriter


class {name}{base}:
    def __init__(self):
        self.writer = {writer}

    def push(self, metrics, step):
        for key, value in metrics.items():
            self.writer.add_scalar(key, value, step)
"""


@pytest.mark.parametrize("name, base, writer, logs", [
    ("Logger", "", "SummaryWriter()", True),                  # a logger class holding a writer
    ("Tacotron2Logger", "(SummaryWriter)", "self", True),     # a logger built on the writer
    # traps: a writer used as it is in the training script is tracking, not a logger of the project's own
    ("Trainer", "", "SummaryWriter()", False),
    ("Logger", "", "None", False),                            # a logger class writing no TensorBoard
])
def test_a_tensorboard_logger_class_of_the_projects_own_logs_each_run(make_repo, name, base, writer, logs):
    source = TB_LOGGER.format(name=name, base=base, writer=writer)
    assert (LOGGING in present(run_detector(MonitoringDetector, make_repo({"train.py": source})))) is logs


VISUALIZER = """\
import os


class Visualizer:
    def __init__(self, opt):
        self.log_name = os.path.join(opt.checkpoints_dir, opt.name, '{name}')

    def print_current_errors(self, epoch, errors):
        message = '(epoch: %d) ' % epoch + ' '.join('%s: %.3f' % kv for kv in errors.items())
        with open(self.log_name, {mode}) as log_file:
            log_file.write('%s\\n' % message)
"""


@pytest.mark.parametrize("name, mode, kept", [
    ("loss_log.txt", '"a"', True),      # each line of a run's losses appended to its log file
    ("train.log", '"a"', True),
    # traps: a file named for something else, and a log file written over
    ("catalog.txt", '"a"', False),
    ("loss_log.txt", '"w"', False),
])
def test_lines_appended_to_a_file_named_for_its_log(make_repo, name, mode, kept):
    source = VISUALIZER.format(name=name, mode=mode)
    assert (LOGGING in present(run_detector(MonitoringDetector, make_repo({"util/visualizer.py": source})))) is kept
