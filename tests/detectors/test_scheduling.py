"""In-house schedules: what is scheduled is followed to what it runs (monitoring or a data/training
pipeline). Jobs handed to APScheduler or ``schedule``, loops an app starts, CronJobs, cron rules."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.data import DataDetector
from detectors.monitoring import MonitoringDetector

SCHEDULED, AUTOMATED = "monitoring.scheduled", "data.pipeline_automated"

DRIFT_MODULE = """\
from scipy.stats import ks_2samp

def detect_drift(reference, current):
    return ks_2samp(reference, current).pvalue < 0.05
"""

APSCHEDULER_DRIFT = """\
from apscheduler.schedulers.background import BackgroundScheduler
from monitoring.checks import detect_drift

def run_drift_check():
    detect_drift(load_reference(), load_current())

scheduler = BackgroundScheduler()
scheduler.add_job(run_drift_check, "interval", hours=6)
scheduler.start()
"""

APSCHEDULER_RETRAIN = """\
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from jobs.nightly import refresh

sched = BlockingScheduler()
sched.add_job(refresh, CronTrigger.from_crontab("0 2 * * *"))
sched.start()
"""
NIGHTLY = """\
def refresh():
    rows = ingest_events()
    retrain_model(rows)

def ingest_events():
    return []

def retrain_model(rows):
    pass
"""

DECORATED = """\
from apscheduler.schedulers.blocking import BlockingScheduler

sched = BlockingScheduler()

@sched.scheduled_job("cron", hour=3)
def nightly():
    load_features()

def load_features():
    build_feature_table()

sched.start()
"""

SCHEDULE_LIB = """\
import time
import schedule

def job():
    check_quality()

schedule.every(6).hours.do(job)
while True:
    schedule.run_pending()
    time.sleep(60)
"""

FASTAPI_LOOP = """\
import asyncio
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from . import monitoring

app = FastAPI()
INTERVAL = 3600

async def monitor_loop():
    while True:
        await run_in_threadpool(monitoring.compute_drift)
        await asyncio.sleep(INTERVAL)

@app.on_event("startup")
async def start():
    asyncio.create_task(monitor_loop())
"""
APP_MONITORING = "def compute_drift():\n    return psi(reference(), current())\n"

SCHEDULER_CLASS = """\
import asyncio
from . import quality

class PolicyScheduler:
    def __init__(self, check_fn=None):
        self.check_fn = check_fn or _default_check

    def tick(self):
        self._run_checks()

    def _run_checks(self):
        self.check_fn()

    async def run(self, stop, tick_s=30):
        while not stop.is_set():
            self.tick()
            try:
                await asyncio.wait_for(stop.wait(), timeout=tick_s)
            except asyncio.TimeoutError:
                continue

def _default_check():
    return quality.compute_quality()
"""
SCHEDULER_START = """\
import asyncio
from fastapi import FastAPI
from . import scheduler

app = FastAPI()

@app.on_event("startup")
async def start():
    asyncio.ensure_future(scheduler.PolicyScheduler().run(asyncio.Event()))
"""

THREAD_LOOP = """\
import threading
import time

def retrain_forever():
    while True:
        retrain_model()
        time.sleep(24 * 3600)

threading.Thread(target=retrain_forever, daemon=True).start()
"""

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - {name: job, image: "registry/app:1", command: ["python", "jobs/nightly.py"]}
"""

TERRAFORM = """\
resource "aws_cloudwatch_event_rule" "nightly" {
  schedule_expression = "cron(0 2 * * ? *)"
}

resource "aws_cloudwatch_event_target" "nightly" {
  rule = aws_cloudwatch_event_rule.nightly.name
  arn  = aws_lambda_function.retrain.arn
}

resource "aws_lambda_function" "retrain" {
  function_name = "model-retrain"
  handler       = "handler.main"
}
"""

CLOUD_SCHEDULER = """\
resource "google_cloud_scheduler_job" "hourly" {
  schedule = "0 * * * *"
  http_target {
    uri = "https://monitor.example.org/drift-check"
  }
}
"""

CDK = """\
from aws_cdk import Stack, aws_events as events, aws_events_targets as targets

class Jobs(Stack):
    def __init__(self, scope, id, retrain_fn):
        super().__init__(scope, id)
        events.Rule(self, "NightlyRetrain", schedule=events.Schedule.cron(hour="2"),
                    targets=[targets.LambdaFunction(retrain_fn)])
"""


CDK_ON_STATE_CHANGE = """\
from aws_cdk import Stack, aws_events as events
from infra.targets import add_sagemaker_pipeline_target

class Build(Stack):
    def __init__(self, scope, id, deploy_stage, pipeline_arn):
        super().__init__(scope, id)
        rule = deploy_stage.on_state_change(
            name="Start pipeline",
            schedule=events.Schedule.expression("rate(7 days)"),
        )
        add_sagemaker_pipeline_target(rule, sagemaker_pipeline_arn=pipeline_arn)
"""
SYSTEMD_HEALTH = {
    "deployment/systemd/rag-health-monitor.timer": ("[Unit]\nDescription=every 5 minutes\n\n[Timer]\n"
                                                    "OnBootSec=2m\nOnUnitActiveSec=5m\nUnit=rag-health-monitor.service\n\n"
                                                    "[Install]\nWantedBy=timers.target\n"),
    "deployment/systemd/rag-health-monitor.service": ("[Service]\nType=oneshot\n"
                                                      "ExecStart=/opt/rag/deployment/scripts/health_monitor.sh\n"),
}


def signals(make_repo, files):
    root = make_repo(files)
    return present(run_detector(MonitoringDetector, root)) | present(run_detector(DataDetector, root))


@pytest.mark.parametrize("files, expected", [
    ({"app/scheduler.py": APSCHEDULER_DRIFT, "monitoring/checks.py": DRIFT_MODULE}, {SCHEDULED}),
    ({"app/scheduler.py": APSCHEDULER_RETRAIN, "jobs/nightly.py": NIGHTLY}, {AUTOMATED}),
    ({"app/jobs.py": DECORATED}, {AUTOMATED}),
    ({"worker.py": SCHEDULE_LIB}, {SCHEDULED}),
    ({"gateway/app/main.py": FASTAPI_LOOP, "gateway/app/monitoring.py": APP_MONITORING}, {SCHEDULED}),
    ({"gateway/app/scheduler.py": SCHEDULER_CLASS, "gateway/app/main.py": SCHEDULER_START}, {SCHEDULED}),
    ({"service/loop.py": THREAD_LOOP}, {AUTOMATED}),
    ({"k8s/nightly.yaml": CRONJOB, "jobs/nightly.py": NIGHTLY}, {AUTOMATED}),
    ({"infra/jobs.tf": TERRAFORM}, {AUTOMATED}),
    ({"infra/monitor.tf": CLOUD_SCHEDULER}, {SCHEDULED}),
    # a service's health probed every five minutes
    ({"infra/observability.tf": TERRAFORM.replace("nightly", "backend_health_probe").replace(
        "cron(0 2 * * ? *)", "rate(5 minutes)").replace("retrain", "probe")}, {SCHEDULED}),
    ({"infra/stack.py": CDK}, {AUTOMATED}),
    # a rule a construct's helper makes on a schedule, its target added by a project helper
    ({"infra/build.py": CDK_ON_STATE_CHANGE}, {AUTOMATED}),
    # a systemd timer firing the service that runs a health monitor
    (SYSTEMD_HEALTH, {SCHEDULED}),
])
def test_in_house_schedules(make_repo, files, expected):
    assert signals(make_repo, files) & {SCHEDULED, AUTOMATED} == expected


@pytest.mark.parametrize("files", [
    # a class and a function merely named like a scheduler: nothing is scheduled
    {"app/drift_scheduler.py": "class DriftScheduler:\n    def schedule_drift_check(self):\n        pass\n"},
    # the loop is never started
    {"gateway/app/main.py": FASTAPI_LOOP.replace("    asyncio.create_task(monitor_loop())\n", "    pass\n"),
     "gateway/app/monitoring.py": APP_MONITORING},
    # a method of the scheduler class is never started through its class
    {"gateway/app/scheduler.py": SCHEDULER_CLASS},
    # polling until a run finishes: the loop is left with break
    {"wait.py": "import time\n\ndef wait_training(run):\n    while True:\n        if run.status() == 'done':\n"
                "            break\n        time.sleep(30)\n\nwait_training(start_retrain())\n"},
    # waking every second: a poll, not a schedule
    {"service/loop.py": THREAD_LOOP.replace("24 * 3600", "1")},
    # a queue worker training on what it receives
    {"service/loop.py": THREAD_LOOP.replace("retrain_model()", "retrain_model(consumer.poll(1.0))")},
    # the interval is named after drift; what runs is a heartbeat
    {"beat.py": "import time\nDRIFT_INTERVAL = 600\n\ndef beat():\n    while True:\n        send_heartbeat()\n"
                "        time.sleep(DRIFT_INTERVAL)\n\nbeat()\n"},
    # a one-off job and a job that cleans temporary files
    {"app/scheduler.py": APSCHEDULER_DRIFT.replace('"interval", hours=6', '"date"'),
     "monitoring/checks.py": DRIFT_MODULE},
    {"app/scheduler.py": APSCHEDULER_DRIFT.replace("detect_drift(load_reference(), load_current())",
                                                   "remove_tmp()").replace("run_drift_check", "cleanup"),
     "monitoring/checks.py": DRIFT_MODULE},
    # the practice in prose, a docstring, a comment, tests, examples and templates
    {"README.md": "We run `scheduler.add_job(run_drift_check, 'interval', hours=6)` nightly.\n"},
    {"app/jobs.py": '"""Call scheduler.add_job(run_drift_check, "interval", hours=6)."""\nimport apscheduler\n'},
    {"app/jobs.py": "import apscheduler\n# scheduler.add_job(run_drift_check, 'interval', hours=6)\n"},
    {"tests/test_scheduler.py": APSCHEDULER_DRIFT, "monitoring/checks.py": DRIFT_MODULE},
    {"examples/scheduler.py": APSCHEDULER_DRIFT, "monitoring/checks.py": DRIFT_MODULE},
    {"templates/service/loop.py": THREAD_LOOP},
    # a CronJob backing up a database, and a cron rule invoking a report mailer
    {"k8s/backup.yaml": CRONJOB.replace("jobs/nightly.py", "backup.py"), "backup.py": "def dump():\n    pass\n"},
    {"infra/jobs.tf": TERRAFORM.replace("retrain", "mailer")},
    # a timer backing up the database; a timer that never fires on its own; a timer whose service is not there
    {k.replace("health-monitor", "backup"): v.replace("health_monitor", "backup_db") for k, v in SYSTEMD_HEALTH.items()},
    {k: v.replace("OnBootSec=2m\nOnUnitActiveSec=5m\n", "") for k, v in SYSTEMD_HEALTH.items()},
    {k: v for k, v in SYSTEMD_HEALTH.items() if k.endswith(".timer")},
])
def test_schedule_traps(make_repo, files):
    assert not signals(make_repo, files) & {SCHEDULED, AUTOMATED}


def test_summary_names_the_loop_and_what_it_runs(make_repo):
    root = make_repo({"gateway/app/scheduler.py": SCHEDULER_CLASS, "gateway/app/main.py": SCHEDULER_START})
    ev = [e for e in run_detector(MonitoringDetector, root) if e.signal == SCHEDULED]
    assert ev and "PolicyScheduler.run" in ev[0].summary and "compute_quality" in ev[0].summary
    assert {loc.path for loc in ev[0].locations} == {"gateway/app/scheduler.py", "gateway/app/main.py"}


CDK_ALARM_RULE = '''from aws_cdk import aws_events as events

drift_rule = events.Rule(
    self,
    "DriftRule",
    description="Rule to start the SageMaker pipeline when drift has been detected.",
    event_pattern=events.EventPattern(
        source=["aws.cloudwatch"],
        detail_type=["CloudWatch Alarm State Change"],
        detail={"alarmName": ["model-drift-threshold"], "state": {"value": ["ALARM"]}},
    ),
)
add_sagemaker_pipeline_target(drift_rule, event_role=role, sagemaker_pipeline_arn=pipeline_arn)
'''
TF_ALARM_RULE = '''resource "aws_cloudwatch_event_rule" "drift" {
  event_pattern = jsonencode({
    source      = ["aws.cloudwatch"]
    detail-type = ["CloudWatch Alarm State Change"]
  })
}
resource "aws_cloudwatch_event_target" "retrain" {
  rule = aws_cloudwatch_event_rule.drift.name
  arn  = aws_sfn_state_machine.retrain_pipeline.arn
}
'''

CFN_ALARM_RULE = """AWSTemplateFormatVersion: "2010-09-09"
Resources:
  DeployPipeline:
    Type: AWS::CodePipeline::Pipeline
  RetrainRule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern:
        source: [aws.cloudwatch]
        detail-type: ["CloudWatch Alarm State Change"]
        detail:
          alarmName: [!Sub "${ModelName}-metric-gt-threshold"]
      Targets:
        - Arn: !Sub "arn:aws:codepipeline:${AWS::Region}:${AWS::AccountId}:${DeployPipeline}"
          Id: !Sub codepipeline-${DeployPipeline}
  NotifyRule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern:
        detail-type: ["CloudWatch Alarm State Change"]
      Targets:
        - Arn: !Ref AlertsTopic
          Id: alerts
"""

CFN_ALARM_ACTION = """Resources:
  TriggerModelBuildFunction:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub "${MonitoringScheduleName}-trigger-modelbuild"
      Handler: main.lambda_handler
  QualityAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      AlarmActions:
        - Fn::GetAtt: [TriggerModelBuildFunction, Arn]
      Namespace: CustomModelMonitoring
      MetricName: weighted_quantile_loss
      Threshold: 0.2
"""


@pytest.mark.parametrize("files, expected", [
    ({"infra/build_pipeline.py": CDK_ALARM_RULE}, True),
    ({"infra/main.tf": TF_ALARM_RULE}, True),
    ({"pipeline.yml": CFN_ALARM_RULE}, True),
    # the same template whose alarm rule only notifies
    ({"pipeline.yml": CFN_ALARM_RULE.split("  RetrainRule:")[0] + "  NotifyRule:" + CFN_ALARM_RULE.split("  NotifyRule:")[1]},
     False),
    # an alarm rule that only notifies: nothing is retrained
    ({"infra/notify.py": CDK_ALARM_RULE.replace(
        "add_sagemaker_pipeline_target(drift_rule, event_role=role, sagemaker_pipeline_arn=pipeline_arn)",
        "drift_rule.add_target(targets.SnsTopic(alerts_topic))").replace("start the SageMaker pipeline", "notify the team")},
     False),
    # the pattern named only in a comment
    ({"infra/main.tf": '# detail-type = ["CloudWatch Alarm State Change"] -> retrain_pipeline\n'}, False),
    # an alarm whose own action invokes the function that starts the model build pipeline; one
    # that only emails the team
    ({"monitor.yml": CFN_ALARM_ACTION}, True),
    ({"monitor.yml": CFN_ALARM_ACTION.replace("- Fn::GetAtt: [TriggerModelBuildFunction, Arn]", "- !Ref AlertsTopic")}, False),
])
def test_alarm_rules_that_start_training_close_the_loop(make_repo, files, expected):
    ev = run_detector(MonitoringDetector, make_repo(files))
    assert ("monitoring.retrain_trigger" in present(ev)) is expected
    if expected and "pipeline.yml" in files:  # the rule is located where the template declares it
        (found,) = [e for e in ev if e.signal == "monitoring.retrain_trigger"]
        assert found.locations[0].line == 5
