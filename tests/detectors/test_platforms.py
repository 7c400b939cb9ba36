"""Managed ML platforms (Vertex AI with Kubeflow Pipelines and TFX, SageMaker, Azure ML, Databricks):
their catalogue entries read by the tools detector, and the platform bits the other detectors
read. Positive cases and traps."""
from __future__ import annotations

import json

import pytest
from conftest import declared, present, run_detector

from detectors.catalogue import Pattern
from detectors.ci import CIDetector
from detectors.data import DataDetector
from detectors.deployment import DeploymentDetector
from detectors.monitoring import MonitoringDetector
from detectors.tools import ToolUsageDetector, _shell_commands
from detectors.tracking import TrackingDetector
from scanner.detector import ScanContext
from scanner.parsing.python import parse_python
from scanner.sources.local import LocalRepo


def notebook(*cells: str) -> str:
    return json.dumps({"nbformat": 4, "cells": [{"cell_type": "code", "source": c} for c in cells]})


def found(detector, make_repo, files) -> set[str]:
    return present(run_detector(detector, make_repo(files)))


def check(detector, make_repo, files, signal, expected):
    assert (signal in found(detector, make_repo, files)) is expected


VERTEX = "from google.cloud import aiplatform\n"
SCHEMA = "$schema: https://azuremlschemas.azureedge.net/latest/{}.schema.json\n"


# -- the catalogue's positional literals and shell commands ------------------------------------------
@pytest.mark.parametrize("pattern, lines", [
    ("x.set_registry_uri(\"databricks*\")", [2]),
    ("x.set_registry_uri('databricks-uc|databricks')", [2]),
    ("x.set_registry_uri(\"http*\")", []),        # a variable (line 3) is unknown, never a match
])
def test_positional_literals(pattern, lines):
    calls = parse_python("import x\nx.set_registry_uri('databricks-uc')\nx.set_registry_uri(uri)\n").calls
    assert [c.line for c in calls if Pattern.parse(pattern).matches(c)] == lines


def test_shell_commands_are_read_from_ci_steps_and_scripts(make_repo):
    root = make_repo({
        ".github/workflows/cd.yml": "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: uv run az ml model deploy --name svc\n"
                                    "      - run: az ml model list || true\n"
                                    "  never:\n    if: false\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: az ml online-deployment create -f blue.yml\n",
        "scripts/deploy.sh": "#!/bin/sh\n# gcloud ai models upload --region=r\ngcloud ai endpoints deploy-model 1 \\\n  --model=m\n",
    })
    commands = {text for _, _, text in _shell_commands(ScanContext(LocalRepo(root)))}
    # wrappers peeled, continuations joined; ignored failures, jobs that never run and comments left out
    assert commands == {"az ml model deploy --name svc", "gcloud ai endpoints deploy-model 1 --model=m"}


# -- Vertex AI ------------------------------------------------------------------------------------
EXPERIMENT = VERTEX + "aiplatform.init(project='p', experiment='exp')\naiplatform.start_run('run-1')\n"
MONITORING_CONFIGS = (
    "from google.cloud.aiplatform import model_monitoring\n"
    "skew = model_monitoring.SkewDetectionConfig(data_source='bq://p.d.t', skew_thresholds={'a': 0.3}, target_field='y')\n"
    "drift = model_monitoring.DriftDetectionConfig(drift_thresholds={'a': 0.3})\n"
    "objective = model_monitoring.ObjectiveConfig(skew, drift)\n"
    "schedule = model_monitoring.ScheduleConfig(monitor_interval=1)\n"
    "alerts = model_monitoring.EmailAlertConfig(user_emails=['ml@example.org'])\n")
MONITORING_JOB = ("job = aiplatform.ModelDeploymentMonitoringJob.create(display_name='m', endpoint=endpoint,\n"
                  "    objective_configs=objective, schedule_config=schedule, alert_config=alerts)\n")
# the GAPIC v1beta1 client, as the Vertex model monitoring notebooks use it
MONITORING_GAPIC = (
    "from google.cloud import aiplatform_v1beta1 as beta\n",
    "client = beta.JobServiceClient(client_options={'api_endpoint': 'us-central1-aiplatform.googleapis.com'})\n"
    "drift = beta.ModelMonitoringObjectiveConfig.PredictionDriftDetectionConfig(drift_thresholds={})\n"
    "schedule = beta.ModelDeploymentMonitoringScheduleConfig(monitor_interval=interval)\n"
    "alerting = beta.ModelMonitoringAlertConfig(email_alert_config=beta.ModelMonitoringAlertConfig.EmailAlertConfig(user_emails=e))\n",
    "job = beta.ModelDeploymentMonitoringJob(display_name='m', endpoint=uri, model_deployment_monitoring_schedule_config=schedule,\n"
    "    model_monitoring_alert_config=alerting)\n"
    "client.create_model_deployment_monitoring_job(parent=parent, model_deployment_monitoring_job=job)\n",
)


@pytest.mark.parametrize("files, signal, expected", [
    # experiments
    ({"train.py": EXPERIMENT + "aiplatform.log_params({'lr': 0.1})\naiplatform.log_metrics({'acc': 0.9})\n"},
     "tracking.params_metrics", True),
    ({"train.py": EXPERIMENT + "aiplatform.log_params({'lr': 0.1})\naiplatform.log_time_series_metrics({'loss': 0.2})\n"},
     "tracking.params_metrics", True),
    ({"train.py": VERTEX + "with aiplatform.start_run('r') as run:\n    run.log_params({'lr': 1})\n    run.log_metrics({'acc': 1})\n"},
     "tracking.params_metrics", True),
    ({"train.py": EXPERIMENT}, "tracking.library", True),
    ({"train.py": EXPERIMENT + "aiplatform.log_metrics({'acc': 0.9})\n"}, "tracking.params_metrics", False),  # no params
    ({"train.py": VERTEX + "aiplatform.init(project='p', location='us-central1')\n"}, "tracking.library", False),
    ({"train.py": EXPERIMENT + "aiplatform.save_model(model, 'my-model')\n"}, "tracking.artifacts_models", True),
    # registry and serving
    ({"upload.py": VERTEX + "model = aiplatform.Model.upload(display_name='m', artifact_uri='gs://b/m')\n"},
     "tracking.model_registry", True),
    ({"upload.py": VERTEX + "model = aiplatform.Model.upload(display_name='m', artifact_uri='gs://b/m')\n"},
     "tracking.artifacts_models", True),
    ({"deploy.py": VERTEX + "endpoint = aiplatform.Endpoint.create(display_name='e')\n"
                            "model = aiplatform.Model('m')\nmodel.deploy(endpoint=endpoint)\n"}, "deploy.serving", True),
    ({"deploy.py": VERTEX + "model = aiplatform.Model('m')\nmodel.deploy(endpoint=ep, traffic_percentage=10)\n"},
     "deploy.progressive", True),
    ({"deploy.py": VERTEX + "model = aiplatform.Model('m')\nmodel.deploy(endpoint=ep, traffic_percentage=100)\n"},
     "deploy.progressive", False),  # a full cut-over
    # monitoring jobs: objectives, schedule and alerts count once a job is created with them
    ({"monitor.py": VERTEX + MONITORING_CONFIGS + MONITORING_JOB}, "monitoring.drift", True),
    ({"monitor.py": VERTEX + MONITORING_CONFIGS + MONITORING_JOB}, "monitoring.scheduled", True),
    ({"monitor.py": VERTEX + MONITORING_CONFIGS + MONITORING_JOB}, "monitoring.alerting", True),
    ({"08-monitoring.ipynb": notebook(*MONITORING_GAPIC)}, "monitoring.drift", True),
    ({"08-monitoring.ipynb": notebook(*MONITORING_GAPIC)}, "monitoring.scheduled", True),
    ({"08-monitoring.ipynb": notebook(*MONITORING_GAPIC)}, "monitoring.alerting", True),
    ({"monitor.py": VERTEX + MONITORING_CONFIGS}, "monitoring.drift", False),     # no job: nothing watches
    ({"monitor.py": VERTEX + MONITORING_CONFIGS}, "monitoring.alerting", False),
    # hyperparameter tuning
    ({"tune.py": VERTEX + "hp = aiplatform.HyperparameterTuningJob(display_name='h', custom_job=job,\n"
                          "    metric_spec={'acc': 'maximize'}, parameter_spec=spec, max_trial_count=4)\nhp.run()\n"},
     "tracking.hpo", True),
    ({"task.py": "import hypertune\nhpt = hypertune.HyperTune()\n"
                 "hpt.report_hyperparameter_tuning_metric(hyperparameter_metric_tag='acc', metric_value=0.9)\n"},
     "tracking.hpo", True),
    ({"requirements.txt": "cloudml-hypertune==0.1.0.dev6\n"}, "tracking.hpo", False),
    # pipelines
    ({"run.py": VERTEX + "job = aiplatform.PipelineJob(display_name='p', template_path='p.json')\njob.submit()\n"},
     "data.pipeline_definition", True),
    ({"run.py": VERTEX + "job = aiplatform.PipelineJob(display_name='p', template_path='p.json')\n"
                         "job.create_schedule(cron='0 3 * * *', display_name='nightly')\n"}, "data.pipeline_automated", True),
    ({"run.py": VERTEX + "job = aiplatform.PipelineJob(display_name='p', template_path='p.json')\njob.run()\n"},
     "data.pipeline_automated", False),
    # Explainable AI
    ({"upload.py": VERTEX + "md = aiplatform.explain.ExplanationMetadata(inputs=i, outputs=o)\n"},
     "governance.fairness_explainability", True),
    ({"upload.py": VERTEX + "aiplatform.Model.upload(display_name='m', artifact_uri=u, explanation_metadata=md)\n"},
     "governance.fairness_explainability", True),
    ({"serve.ipynb": notebook(VERTEX, "endpoint = aiplatform.Endpoint(name)\n",
                              "explanations = endpoint.explain(instances).explanations\n")},
     "governance.fairness_explainability", True),
    ({"features.py": "def generate_explanation_config():\n    return {'inputs': {}, 'outputs': {}}\n"},
     "governance.fairness_explainability", False),  # a dict named for explanations configures nothing
    # model-agnostic and vision explanations
    ({"analysis/pdp.py": "from sklearn.inspection import PartialDependenceDisplay\n"
                         "PartialDependenceDisplay.from_estimator(model, X_val, ['age'])\n"},
     "governance.fairness_explainability", True),
    # permutation importance ranks features, as a model's own importances do: introspection
    ({"analysis/importance.py": "from sklearn.inspection import permutation_importance\n"
                                "result = permutation_importance(model, X_val, y_val, n_repeats=10)\n"},
     "governance.fairness_explainability", False),
    ({"app/explain.py": "from pytorch_grad_cam import GradCAM\ncam = GradCAM(model=model, target_layers=[model.layer4])\n"},
     "governance.fairness_explainability", True),
    ({"analysis/fit.py": "from sklearn.inspection import permutation_importance\nmodel.fit(X, y)\n"},
     "governance.fairness_explainability", False),  # imported, never called
    # a pipeline component logging into its Metrics artifact: the pipeline's metadata tracks the run
    ({"components/train.py": "from kfp.v2.dsl import Output, Metrics, component\n\n@component\n"
                             "def train(metrics: Output[Metrics]):\n    metrics.log_metric('rmse', 0.3)\n",
      "pipeline.py": "from kfp.v2 import dsl\nfrom components.train import train\n\n\n@dsl.pipeline(name='p')\n"
                     "def pipeline():\n    train()\n"},
     "tracking.params_metrics", True),
    ({"components/train.py": "from kfp.dsl import component\n\n@component\ndef train(x: float) -> float:\n"
                             "    logger.log_metric('rmse', 0.3)\n    return x\n"}, "tracking.params_metrics", False),
    # a component saving its model into its Model output artifact, which the pipeline records
    ({"components/train.py": "from kfp.dsl import Input, Model, Output, component\n\n@component\n"
                             "def train(data: Input[Dataset], model: Output[Model]):\n    import joblib\n"
                             "    joblib.dump(fit(data), model.path)\n",
      "pipeline.py": "from kfp import dsl\nfrom components.train import train\n\n\n@dsl.pipeline(name='p')\n"
                     "def pipeline():\n    train()\n"},
     "tracking.artifacts_models", True),
    ({"train.py": "import joblib\n\njoblib.dump(model, 'model.joblib')\n"}, "tracking.artifacts_models", False),
    # a training job given a model name uploads the model to the registry
    ({"job.py": "from google.cloud import aiplatform as aip\njob = aip.CustomTrainingJob(display_name='t', script_path='t.py',"
                " container_uri=c, model_serving_container_image_uri=s)\nmodel = job.run(model_display_name='m')\n"},
     "tracking.artifacts_models", True),
    ({"job.py": "from google.cloud import aiplatform as aip\njob = aip.CustomTrainingJob(display_name='t', script_path='t.py',"
                " container_uri=c)\njob.run(args=['--epochs', '3'])\n"}, "tracking.artifacts_models", False),
    # batch prediction through the GAPIC client serves the model over a table
    ({"predict.py": "from google.cloud.aiplatform_v1beta1.services.job_service import JobServiceClient\n"
                    "client = JobServiceClient(client_options=o)\n"
                    "client.create_batch_prediction_job(parent=p, batch_prediction_job=request)\n"},
     "deploy.serving", True),
    # traps: prose, docstrings, dependency lists
    ({"README.md": "We track runs with Vertex AI Experiments (aiplatform.log_params) and monitor drift.\n"},
     "tracking.params_metrics", False),
    ({"train.py": VERTEX + '"""Log with aiplatform.log_params() and aiplatform.log_metrics()."""\n'},
     "tracking.params_metrics", False),
    ({"requirements.txt": "google-cloud-aiplatform==1.4.2\n"}, "deploy.serving", False),
])
def test_vertex_ai(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


def test_vertex_sdk_in_requirements_is_a_declared_mention(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({"requirements.txt": "google-cloud-aiplatform==1.4.2\n"}))
    assert "deploy.serving" in declared(ev) and "deploy.serving" not in present(ev)


# -- Kubeflow Pipelines and TFX ---------------------------------------------------------------------
TFX_PIPELINE = (
    "import tensorflow_model_analysis as tfma\n"
    "from tfx import v1 as tfx\n"
    "stats = tfx.components.StatisticsGen(examples=gen.outputs['examples'])\n"
    "schema = tfx.components.SchemaGen(statistics=stats.outputs['statistics'])\n"
    "validator = tfx.components.ExampleValidator(statistics=stats.outputs['statistics'], schema=schema.outputs['schema'])\n"
    "tuner = tfx.components.Tuner(module_file='tune.py', examples=gen.outputs['examples'])\n"
    "trainer = tfx.components.Trainer(module_file='train.py', examples=gen.outputs['examples'])\n"
    "{eval_config}"
    "evaluator = tfx.components.Evaluator(model=trainer.outputs['model'], eval_config=eval_config)\n"
    "pusher = tfx.components.Pusher(model=trainer.outputs['model'], model_blessing=evaluator.outputs['blessing'],\n"
    "    push_destination=destination)\n"
)
THRESHOLDS = ("eval_config = tfma.EvalConfig(metrics_specs=[tfma.MetricsSpec(metrics=[tfma.MetricConfig(\n"
              "    class_name='BinaryAccuracy', threshold=tfma.MetricThreshold(\n"
              "        value_threshold=tfma.GenericValueThreshold(lower_bound={'value': 0.6})))])])\n")
NO_THRESHOLDS = "eval_config = tfma.EvalConfig(metrics_specs=[tfma.MetricsSpec(metrics=[tfma.MetricConfig(class_name='AUC')])])\n"


CDK_MONITORING = """from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker

config = sagemaker.CfnEndpointConfig(self, "EndpointConfig", production_variants=[variant])
config.data_capture_config = sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
    enable_capture=True, destination_s3_uri=uri, initial_sampling_percentage=100)
schedule = sagemaker.CfnMonitoringSchedule(self, "Schedule", monitoring_schedule_name=name,
    monitoring_schedule_config=sagemaker.CfnMonitoringSchedule.MonitoringScheduleConfigProperty(
        schedule_config=sagemaker.CfnMonitoringSchedule.ScheduleConfigProperty(schedule_expression="cron(0 * ? * * *)")))
alarm = cloudwatch.CfnAlarm(self, "DriftAlarm", metric_name="feature_baseline_drift_total_amount", threshold=0.3)
"""


@pytest.mark.parametrize("files, signal, expected", [
    ({"pipeline.py": "from kfp import dsl, compiler\n@dsl.component\ndef add(a: int) -> int:\n    return a\n"
                     "@dsl.pipeline(name='p')\ndef p():\n    add(a=1)\ncompiler.Compiler().compile(p, 'p.yaml')\n"},
     "data.pipeline_definition", True),
    ({"pipeline.py": "from kfp.v2 import dsl\n@dsl.pipeline(name='p')\ndef p():\n    pass\n"}, "data.pipeline_definition", True),
    ({"schedule.py": "import kfp\nclient = kfp.Client(host=h)\nclient.create_recurring_run(experiment_id=e, job_name='nightly',\n"
                     "    cron_expression='0 0 3 * * *', pipeline_package_path='p.yaml')\n"}, "data.pipeline_automated", True),
    ({"schedule.py": "from kfp.v2.google.client import AIPlatformClient\nc = AIPlatformClient(project_id=p, region=r)\n"
                     "c.create_schedule_from_job_spec(job_spec_path='p.json', schedule='0 3 * * *')\n"}, "data.pipeline_automated", True),
    ({"run.py": "import kfp\nkfp.Client(host=h).create_run_from_pipeline_func(p, arguments={})\n"}, "data.pipeline_automated", False),
    ({"requirements.txt": "kfp==1.8.1\n"}, "data.pipeline_definition", False),
    # TFX components
    ({"pipeline.py": TFX_PIPELINE.format(eval_config=THRESHOLDS)}, "data.validation", True),
    ({"pipeline.py": TFX_PIPELINE.format(eval_config=THRESHOLDS)}, "deploy.serving", True),
    ({"pipeline.py": TFX_PIPELINE.format(eval_config=THRESHOLDS)}, "tracking.hpo", True),
    ({"pipeline.py": TFX_PIPELINE.format(eval_config=THRESHOLDS)}, "tracking.artifacts_models", True),
    ({"pipeline.py": TFX_PIPELINE.format(eval_config=THRESHOLDS)}, "tracking.registry_promotion", True),
    # a blessing is an automated quality check: nobody approves anything
    ({"pipeline.py": TFX_PIPELINE.format(eval_config=THRESHOLDS)}, "governance.approval_gates", False),
    # an Evaluator without thresholds blesses every model
    ({"pipeline.py": TFX_PIPELINE.format(eval_config=NO_THRESHOLDS)}, "tracking.registry_promotion", False),
    ({"pipeline.py": "from tfx import v1 as tfx\nstats = tfx.components.StatisticsGen(examples=e)\n"}, "data.validation", False),
    ({"train.py": "from tfx import v1 as tfx\ntrainer = tfx.components.Trainer(module_file='m.py', examples=e)\n"},
     "tracking.artifacts_models", False),  # trained, but neither pushed nor kept
])
def test_kubeflow_and_tfx(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


# -- SageMaker --------------------------------------------------------------------------------------
SM_PIPELINE = (
    "from sagemaker.workflow.pipeline import Pipeline\n"
    "from sagemaker.workflow.steps import TrainingStep\n"
    "from sagemaker.workflow.condition_step import ConditionStep\n"
    "from sagemaker.workflow.conditions import ConditionLessThanOrEqualTo\n"
    "from sagemaker.workflow.parameters import ParameterString\n"
    "from sagemaker.workflow.model_step import ModelStep\n"
    "from sagemaker.model import Model\n"
    "model = Model(image_uri=image, model_data=step_train.properties.ModelArtifacts.S3ModelArtifacts)\n"
    "status = ParameterString(name='ModelApprovalStatus', default_value='{status}')\n"
    "step_train = TrainingStep(name='Train', step_args=estimator.fit(inputs))\n"
    "step_register = ModelStep(name='Register', step_args=model.register(model_package_group_name='g',\n"
    "    approval_status=status))\n"
    "{condition}"
    "pipeline = Pipeline(name='p', steps=[step_train, step_cond])\npipeline.upsert(role_arn=role)\n"
)
CONDITION = ("step_cond = ConditionStep(name='CheckMSE', conditions=[ConditionLessThanOrEqualTo(left=mse, right=6.0)],\n"
             "    if_steps=[step_register], else_steps=[])\n")
MONITOR = ("from sagemaker.model_monitor import DefaultModelMonitor, ModelQualityMonitor, CronExpressionGenerator\n"
           "monitor = DefaultModelMonitor(role=role, instance_count=1, instance_type='ml.m5.xlarge')\n"
           "monitor.suggest_baseline(baseline_dataset='s3://b/train.csv', output_s3_uri='s3://b/baseline')\n"
           "monitor.create_monitoring_schedule(endpoint_input='ep', output_s3_uri='s3://b/reports',\n"
           "    schedule_cron_expression=CronExpressionGenerator.hourly())\n")

SFN_WORKFLOW = ("from stepfunctions import steps\nfrom stepfunctions.workflow import Workflow\n"
                "cfg = {'ExperimentName': exp, 'TrialName': trial}\n"
                "train = steps.TrainingStep('Train', estimator=xgb, data=data, experiment_config=cfg, job_name=j)\n"
                "workflow = Workflow('train-model', steps.states.Chain([train]), role)\nworkflow.create()\n")


@pytest.mark.parametrize("files, signal, expected", [
    ({"pipeline.py": SM_PIPELINE.format(status="PendingManualApproval", condition=CONDITION)}, "data.pipeline_definition", True),
    ({"pipeline.py": SM_PIPELINE.format(status="PendingManualApproval", condition=CONDITION)}, "tracking.model_registry", True),
    ({"pipeline.py": SM_PIPELINE.format(status="PendingManualApproval", condition=CONDITION)}, "tracking.registry_promotion", True),
    ({"pipeline.py": SM_PIPELINE.format(status="PendingManualApproval", condition="")}, "tracking.registry_promotion", False),
    # registered for a person to approve, or only past a metric gate: an approval gate; approved
    # with no condition: none
    ({"pipeline.py": SM_PIPELINE.format(status="PendingManualApproval", condition="")}, "governance.approval_gates", True),
    ({"pipeline.py": SM_PIPELINE.format(status="Approved", condition=CONDITION)}, "governance.approval_gates", True),
    ({"pipeline.py": SM_PIPELINE.format(status="Approved", condition="")}, "governance.approval_gates", False),
    ({"register.py": "import sagemaker\nmodel = sagemaker.model.Model(image_uri=i, model_data=d)\n"
                     "model.register(model_package_group_name='g', approval_status='PendingManualApproval')\n"},
     "governance.approval_gates", True),
    ({"register.py": "import boto3\nsm = boto3.client('sagemaker')\nsm.create_model_package(ModelPackageGroupName='g',\n"
                     "    ModelApprovalStatus='PendingManualApproval')\n"}, "governance.approval_gates", True),
    # Model Monitor
    ({"monitor.py": MONITOR}, "monitoring.drift", True),
    ({"monitor.py": MONITOR}, "monitoring.scheduled", True),
    ({"monitor.py": MONITOR}, "monitoring.performance_feedback", False),
    ({"monitor.py": "from sagemaker.model_monitor import ModelQualityMonitor\nmq = ModelQualityMonitor(role=role)\n"
                    "mq.create_monitoring_schedule(endpoint_input=e, ground_truth_input='s3://b/labels', problem_type='Regression')\n"},
     "monitoring.performance_feedback", True),
    ({"monitor.py": "from sagemaker.model_monitor import DefaultModelMonitor\nmonitor = DefaultModelMonitor(role=role)\n"},
     "monitoring.drift", False),  # built, never baselined nor scheduled
    ({"deploy.py": "from sagemaker.model_monitor import DataCaptureConfig\n"
                   "capture = DataCaptureConfig(enable_capture=True, destination_s3_uri='s3://b/capture')\n"
                   "predictor = model.deploy(initial_instance_count=1, data_capture_config=capture)\n"},
     "monitoring.instrumentation", True),
    # tuning, experiments, training environment
    ({"tune.py": "from sagemaker.tuner import HyperparameterTuner, ContinuousParameter\n"
                 "tuner = HyperparameterTuner(estimator, 'validation:auc', {'eta': ContinuousParameter(0.1, 0.5)})\n"
                 "tuner.fit(inputs)\n"}, "tracking.hpo", True),
    ({"train.py": "from sagemaker.experiments.run import Run\nwith Run(experiment_name='e', run_name='r') as run:\n"
                  "    run.log_parameters({'lr': 0.1})\n    run.log_metric(name='acc', value=0.9)\n"}, "tracking.params_metrics", True),
    ({"train.py": "from sagemaker.experiments.run import Run\nwith Run(experiment_name='e') as run:\n"
                  "    run.log_metric(name='acc', value=0.9)\n"}, "tracking.params_metrics", False),
    # the training job keeps the metrics its regexes scrape from the log, and its hyperparameters
    ({"pipeline.py": "from sagemaker.estimator import Estimator\n"
                     "est = Estimator(image_uri=i, role=r, hyperparameters={'depth': 6},\n"
                     "                metric_definitions=[{'Name': 'val:mae', 'Regex': 'val_mae=([0-9.]+)'}])\n"},
     "tracking.params_metrics", True),
    ({"pipeline.py": "from sagemaker.estimator import Estimator\n"
                     "est = Estimator(image_uri=i, role=r, metric_definitions=[{'Name': 'mae', 'Regex': 'mae=(.*)'}])\n"},
     "tracking.library", True),
    ({"pipeline.py": "from sagemaker.estimator import Estimator\n"
                     "est = Estimator(image_uri=i, role=r, metric_definitions=[{'Name': 'mae', 'Regex': 'mae=(.*)'}])\n"
                     "est.set_hyperparameters(max_depth=6)\n"},
     "tracking.params_metrics", True),
    ({"pipeline.py": "from sagemaker.estimator import Estimator\n"
                     "est = Estimator(image_uri=i, role=r, metric_definitions=[{'Name': 'mae', 'Regex': 'mae=(.*)'}])\n"},
     "tracking.params_metrics", False),
    ({"pipeline.py": "from sagemaker.estimator import Estimator\nest = Estimator(image_uri=i, role=r, hyperparameters={'d': 6})\n"},
     "tracking.library", False),
    ({"pipeline.py": "import sagemaker\nfrom sagemaker.estimator import Estimator\n"
                     "image = sagemaker.image_uris.retrieve(framework='xgboost', region=r, version='1.0-1')\n"
                     "est = Estimator(image_uri=image, output_path='s3://b/models', role=role)\n"}, "tracking.reproducible_env", True),
    ({"pipeline.py": "import sagemaker\nfrom sagemaker.estimator import Estimator\n"
                     "est = Estimator(image_uri=image, output_path='s3://b/models', role=role)\n"}, "tracking.artifacts_models", True),
    # endpoints
    ({"deploy.py": "from sagemaker.estimator import Estimator\nest = Estimator(image_uri=i, role=r)\n"
                   "predictor = est.deploy(initial_instance_count=1, instance_type='ml.m5.large')\n"}, "deploy.serving", True),
    ({"shift.py": "import boto3\nsm = boto3.client('sagemaker')\nsm.update_endpoint_weights_and_capacities(EndpointName='e',\n"
                  "    DesiredWeightsAndCapacities=[{'VariantName': 'canary', 'DesiredWeight': 0.1}])\n"}, "deploy.progressive", True),
    ({"endpoint-config-template.yml": "Resources:\n  Endpoint:\n    Type: AWS::SageMaker::Endpoint\n    Properties:\n"
                                      "      EndpointConfigName: !GetAtt EndpointConfig.EndpointConfigName\n"}, "deploy.serving", True),
    ({"template.yml": "Resources:\n  Model:\n    Type: AWS::SageMaker::Model\n"}, "deploy.serving", False),
    ({"cfn/endpoint.json": '{"Resources": {"Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {}}}}'},
     "deploy.serving", True),
    # CloudWatch alarms on the endpoint
    ({"metrics_helper.py": "import boto3\ncw = boto3.client('cloudwatch')\n"
                           "cw.put_metric_data(Namespace='bikeshare', MetricData=[{'MetricName': 'PR-AUC', 'Value': 0.8}])\n"},
     "monitoring.instrumentation", True),
    ({"dash.py": "import boto3\nboto3.client('cloudwatch').put_dashboard(DashboardName='m', DashboardBody=body)\n"},
     "monitoring.dashboards", True),
    ({"alarms.py": "import boto3\ncw = boto3.client('cloudwatch')\ncw.put_metric_alarm(AlarmName='latency', MetricName='ModelLatency')\n"},
     "monitoring.alerting", True),
    # a data quality check step in the pipeline checks the data against a baseline
    ({"pipelines/pipeline.py": "from sagemaker.workflow.quality_check_step import DataQualityCheckConfig, QualityCheckStep\n"
                               "config = DataQualityCheckConfig(baseline_dataset=train_uri, dataset_format=fmt, output_s3_uri=o)\n"
                               "step = QualityCheckStep(name='DataQuality', quality_check_config=config, check_job_config=j)\n"},
     "data.validation", True),
    ({"pipelines/pipeline.py": "from sagemaker.workflow.quality_check_step import ModelQualityCheckConfig, QualityCheckStep\n"
                               "step = QualityCheckStep(name='ModelQuality', quality_check_config=ModelQualityCheckConfig())\n"},
     "data.validation", False),
    # the endpoint, its data capture, monitoring schedule and drift alarm declared with the AWS CDK (L1)
    ({"infra/stack.py": CDK_MONITORING}, "monitoring.instrumentation", True),
    ({"infra/stack.py": CDK_MONITORING}, "monitoring.scheduled", True),
    ({"infra/stack.py": CDK_MONITORING}, "monitoring.alerting", True),
    ({"infra/stack.py": "from aws_cdk import aws_sagemaker as sagemaker\n"
                        "config = sagemaker.CfnEndpointConfig(self, 'C', production_variants=[v])\n"},
     "monitoring.instrumentation", False),
    # a model package group declared as infrastructure is the registry the pipelines register into
    ({"infra/registry.py": "from aws_cdk import aws_sagemaker as sagemaker\n"
                           "group = sagemaker.CfnModelPackageGroup(scope, 'Registry', model_package_group_name=name)\n"},
     "tracking.model_registry", True),
    ({"template.yaml": "Resources:\n  Registry:\n    Type: AWS::SageMaker::ModelPackageGroup\n"
                       "    Properties:\n      ModelPackageGroupName: churn\n"}, "tracking.model_registry", True),
    # a model quality monitor declared with the CDK scores the endpoint against ground truth
    ({"infra/monitor.py": "from aws_cdk import aws_sagemaker as sagemaker\n"
                          "job = sagemaker.CfnModelQualityJobDefinition(scope, 'Quality', job_resources=r, role_arn=a,\n"
                          "    model_quality_app_specification=app, model_quality_job_input=i,\n"
                          "    model_quality_job_output_config=o)\n"}, "monitoring.performance_feedback", True),
    ({"infra/monitor.py": "from aws_cdk import aws_sagemaker as sagemaker\n"
                          "job = sagemaker.CfnDataQualityJobDefinition(scope, 'Data', job_resources=r, role_arn=a,\n"
                          "    data_quality_app_specification=app, data_quality_job_input=i,\n"
                          "    data_quality_job_output_config=o)\n"}, "monitoring.performance_feedback", False),
    # SageMaker Model Cards written by code; only listed, none is written
    ({"cards.py": "from sagemaker.model_card import ModelCard, ModelOverview\n"
                  "card = ModelCard(name=n, model_overview=ModelOverview(model_id=arn), sagemaker_session=s)\ncard.create()\n"},
     "governance.model_card", True),
    ({"cards.py": "import boto3\nsm = boto3.client('sagemaker')\nprint(sm.list_model_cards())\n"},
     "governance.model_card", False),
    # jobs filed under an experiment and trial the code names: SageMaker Experiments records them
    ({"run_pipeline.py": SFN_WORKFLOW}, "tracking.library", True),
    ({"run_pipeline.py": SFN_WORKFLOW}, "tracking.params_metrics", True),
    ({"run_pipeline.py": SFN_WORKFLOW.replace("experiment_config=cfg, ", "")}, "tracking.params_metrics", False),
    ({"train.py": "import sagemaker\nest = sagemaker.estimator.Estimator(image_uri=i, role=r)\n"
                  "est.fit(inputs, experiment_config={'ExperimentName': 'e', 'TrialName': 't'})\n"}, "tracking.params_metrics", True),
    ({"lambda/create_experiment.py": "import boto3\nsm = boto3.client('sagemaker')\n"
                                     "sm.create_experiment(ExperimentName=name)\nsm.create_trial(ExperimentName=name, TrialName=t)\n"},
     "tracking.library", True),
    ({"pipeline.json": '{"Version": "2020-12-01", "PipelineExperimentConfig": {"ExperimentName": {"Get": "Execution.PipelineName"}},'
                       ' "Steps": []}'}, "tracking.params_metrics", True),
    # a Step Functions workflow of SageMaker steps is a declared pipeline
    ({"run_pipeline.py": SFN_WORKFLOW}, "data.pipeline_definition", True),
    ({"infra/stack.py": "from aws_cdk import aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks\n"
                        "train = tasks.SageMakerCreateTrainingJob(self, 'Train', algorithm_specification=a)\n"
                        "sfn.StateMachine(self, 'Pipeline', definition=train)\n"}, "data.pipeline_definition", True),
    ({"infra/stack.py": "from aws_cdk import aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks\n"
                        "notify = tasks.SnsPublish(self, 'Notify', topic=t, message=m)\n"
                        "sfn.StateMachine(self, 'Ops', definition=notify)\n"}, "data.pipeline_definition", False),
    # a training job started through boto3's client keeps its model where its output goes
    ({"train/run.py": "import boto3\nsm = boto3.client('sagemaker')\nsm.create_training_job(TrainingJobName=n, "
                      "AlgorithmSpecification=a, OutputDataConfig={'S3OutputPath': out}, ResourceConfig=r)\n"},
     "tracking.artifacts_models", True),
    ({"train/describe.py": "import boto3\nsm = boto3.client('sagemaker')\nsm.describe_training_job(TrainingJobName=n)\n"},
     "tracking.artifacts_models", False),
    # traps: boto3 for S3 only, the SDK only listed, the SDK named in prose
    ({"upload.py": "import boto3\ns3 = boto3.client('s3')\ns3.upload_file('m.tar.gz', 'b', 'm.tar.gz')\n"}, "deploy.serving", False),
    ({"requirements.txt": "sagemaker==2.93.0\n"}, "deploy.serving", False),
    ({"README.md": "Models are registered as PendingManualApproval in the SageMaker model registry.\n"},
     "governance.approval_gates", False),
])
def test_sagemaker(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


# -- Azure ML SDK v1 ------------------------------------------------------------------------------
AML_STEP_OUTPUT = ("from azureml.data import OutputFileDatasetConfig\n"
                   "train = OutputFileDatasetConfig(name='train').register_on_complete(name='train')\n"
                   "train_input = train.as_input(name='train')\n")
AML_RUN = "from azureml.core.run import Run\nfrom azureml.core import Dataset\nrun = Run.get_context()\n"
AML_REGISTER = ("from azureml.core import Run, Dataset\nfrom azureml.core.model import Model\nrun = Run.get_context()\n"
                "model = Model.register(workspace=ws, model_name='m', model_path='outputs/m.pkl',\n"
                "    datasets=[('training data', Dataset.get_by_id(ws, dataset_id))])\n")
AML_WEBSERVICE = ("from azureml.core.model import Model, InferenceConfig\nfrom azureml.core.webservice import AksWebservice\n"
                  "config = AksWebservice.deploy_configuration(enable_app_insights={insights})\n"
                  "service = Model.deploy(ws, 'svc', [model], InferenceConfig(entry_script='score.py'), config)\n")
AKS_CONFIG = "computeType: AKS\ncontainerResourceRequirements:\n  cpu: 0.5\n  memoryInGB: 2\nappInsightsEnabled: {insights}\n"


@pytest.mark.parametrize("files, signal, expected", [
    ({"train.py": AML_RUN + "for k, v in params.items():\n    run.log(k, v)\n"}, "tracking.library", True),
    ({"train.py": AML_RUN + "for k, v in metrics.items():\n    run.parent.log(k, v)\n"}, "tracking.params_metrics", True),
    ({"train.py": AML_RUN + "run.upload_file('outputs/m.pkl', 'm.pkl')\n"}, "tracking.artifacts_models", True),
    ({"train.py": "import logging\nlog = logging.getLogger(__name__)\nlog.info('x')\n"}, "tracking.params_metrics", False),
    ({"register.py": AML_REGISTER}, "tracking.model_registry", True),
    ({"register.py": AML_REGISTER}, "tracking.artifacts_models", True),
    ({"register.py": AML_REGISTER}, "data.lineage", True),
    ({"data.py": AML_RUN + "ds = Dataset.Tabular.from_delimited_files(path=p)\n"
                           "ds = ds.register(workspace=ws, name='d', create_new_version=True)\n"}, "data.versioning", True),
    ({"data.py": AML_RUN + "ds = Dataset.Tabular.from_delimited_files(path=p)\n"
                           "ds = ds.register(workspace=ws, name='d', create_new_version=False)\n"}, "data.versioning", False),
    # an environment built from a base image (or a build context) and a conda file is a container image
    ({"mlops/get_environment.py": "from azure.ai.ml.entities import Environment\n"
                                  "env = Environment(image='mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04', conda_file='c.yml')\n"},
     "deploy.container", True),
    ({"mlops/azureml/train/train-env.yml": "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\n"
                                           "name: train-env\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"
                                           "conda_file: conda.yml\n"}, "deploy.container", True),
    ({"env.py": "from azure.ai.ml.entities import Environment\nenv = client.environments.get('curated-env', version='1')\n"},
     "deploy.container", False),
    # AutoML explaining its best model
    ({"train.py": "from azure.ai.ml import automl\njob = automl.classification(training_data=d, target_column_name='y',\n"
                  "    primary_metric='accuracy', enable_model_explainability=True)\n"}, "governance.fairness_explainability", True),
    ({"train.py": "from azure.ai.ml import automl\njob = automl.classification(training_data=d, target_column_name='y',\n"
                  "    primary_metric='accuracy', enable_model_explainability=False)\n"}, "governance.fairness_explainability", False),
    # a pipeline step's output registered as a dataset version, then a named input of the next step
    ({"pipeline.py": AML_STEP_OUTPUT}, "data.versioning", True),
    ({"pipeline.py": AML_STEP_OUTPUT}, "data.lineage", True),
    ({"pipeline.py": AML_STEP_OUTPUT.replace(".register_on_complete(name='train')", "")}, "data.versioning", False),
    ({"tune.py": "from azureml.train.hyperdrive import HyperDriveConfig, RandomParameterSampling, choice\n"
                 "cfg = HyperDriveConfig(run_config=src, hyperparameter_sampling=RandomParameterSampling({'alpha': choice(0.1, 1)}),\n"
                 "    primary_metric_name='mse', primary_metric_goal=goal, max_total_runs=8)\n"}, "tracking.hpo", True),
    ({"deploy.py": AML_WEBSERVICE.format(insights="True")}, "deploy.serving", True),
    ({"deploy.py": AML_WEBSERVICE.format(insights="True")}, "monitoring.instrumentation", True),
    ({"deploy.py": AML_WEBSERVICE.format(insights="False")}, "monitoring.instrumentation", False),
    ({"deploy.py": "from azureml.core.model import InferenceConfig\nfrom azureml.core.webservice import AciWebservice\n"
                   "inference = InferenceConfig(entry_script='score.py', environment=env)\n"
                   "config = AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1)\n"}, "deploy.serving", True),
    ({"deploy.py": "from azureml.core.webservice import AciWebservice\n"
                   "config = AciWebservice.deploy_configuration(cpu_cores=1, memory_gb=1)\n"}, "deploy.serving", False),
    ({"score.py": "import joblib\nfrom azureml.core.model import Model\n\ndef init():\n    global model\n"
                  "    model = joblib.load(Model.get_model_path('m'))\n\ndef run(data):\n    return model.predict(data)\n"},
     "deploy.serving", True),
    ({"package.py": "from azureml.core import Model\npackage = Model.package(ws, [model], inference_config)\n"
                    "package.wait_for_creation(show_output=True)\n"}, "deploy.container", True),
    ({"schedule.py": "from azureml.pipeline.core import Schedule, ScheduleRecurrence\n"
                     "Schedule.create(ws, name='nightly', pipeline_id=pid, experiment_name='e',\n"
                     "    recurrence=ScheduleRecurrence(frequency='Day', interval=1))\n"}, "data.pipeline_automated", True),
    # the CLI v1 deployment and inference configs, read by their keys whatever they are called
    ({"scoring/deployment_config_aks.yml": AKS_CONFIG.format(insights="True")}, "deploy.serving", True),
    ({"scoring/deployment_config_aks.yml": AKS_CONFIG.format(insights="True")}, "monitoring.instrumentation", True),
    ({"scoring/deployment_config_aks.yml": AKS_CONFIG.format(insights="False")}, "monitoring.instrumentation", False),
    ({"scoring/inference_config.yml": "entryScript: score.py\nruntime: python\ncondaFile: ../conda.yml\n"}, "deploy.serving", True),
    ({"k8s/limits.yml": "containerResourceRequirements:\n  cpu: 1\n"}, "deploy.serving", False),
    # traps: the SDK listed or named only
    ({"requirements.txt": "azureml-sdk==1.27.0\n"}, "tracking.library", False),
    ({"docs/setup.md": "Runs log metrics with `run.log` from azureml.core (Run.get_context()).\n"}, "tracking.params_metrics", False),
])
def test_azureml_v1(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


def test_azureml_sdk_import_without_use_is_declared(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({"ws.py": "from azureml.core import Workspace\nws = Workspace.from_config()\n"}))
    assert "tracking.library" in declared(ev) and "tracking.library" not in present(ev)


# -- Azure ML SDK v2 and CLI v2 specs -----------------------------------------------------------------
AML2 = "from azure.ai.ml import MLClient, command, Input\nfrom azure.ai.ml.entities import {}\n"


@pytest.mark.parametrize("files, signal, expected", [
    ({"tune.py": AML2.format("Model") + "job = command(code='./src', command='python train.py', inputs={'lr': 0.1})\n"
                 "from azure.ai.ml.sweep import Choice\njob_for_sweep = job(lr=Choice([0.01, 0.1]))\n"
                 "sweep_job = job_for_sweep.sweep(compute='cpu', sampling_algorithm='random', primary_metric='acc', goal='Maximize')\n"},
     "tracking.hpo", True),
    ({"train.py": AML2.format("Model") + "job = command(code='./src', command='python train.py')\n"}, "tracking.hpo", False),
    ({"register.py": AML2.format("Model") + "ml_client = MLClient(credential, sub, rg, ws)\n"
                     "ml_client.models.create_or_update(Model(name='taxi', path='model/'))\n"}, "tracking.model_registry", True),
    ({"data.py": AML2.format("Data") + "ml_client = MLClient.from_config(credential)\n"
                 "ml_client.data.create_or_update(Data(name='taxi', path='data/', type='uri_folder'))\n"}, "data.versioning", True),
    ({"deploy.py": AML2.format("ManagedOnlineDeployment") +
                   "blue = ManagedOnlineDeployment(name='blue', endpoint_name='e', model=m, app_insights_enabled=True)\n"},
     "deploy.serving", True),
    ({"deploy.py": AML2.format("ManagedOnlineDeployment") +
                   "blue = ManagedOnlineDeployment(name='blue', endpoint_name='e', model=m, app_insights_enabled=True)\n"},
     "monitoring.instrumentation", True),
    ({"deploy.py": AML2.format("ManagedOnlineDeployment") + "blue = ManagedOnlineDeployment(name='blue', endpoint_name='e', model=m)\n"},
     "monitoring.instrumentation", False),
    ({"schedule.py": AML2.format("JobSchedule, CronTrigger") +
                     "schedule = JobSchedule(name='nightly', trigger=CronTrigger(expression='0 3 * * *'), create_job=job)\n"},
     "data.pipeline_automated", True),
    ({"monitor.py": AML2.format("MonitorSchedule, MonitorDefinition, DataDriftSignal, AlertNotification, CronTrigger") +
                    "definition = MonitorDefinition(compute=c, monitoring_signals={'drift': DataDriftSignal()},\n"
                    "    alert_notification=AlertNotification(emails=['ml@example.org']))\n"
                    "schedule = MonitorSchedule(name='m', trigger=CronTrigger(expression='0 3 * * *'), create_monitor=definition)\n"},
     "monitoring.alerting", True),
    # CLI v2 specs, read by their $schema whatever the file is called
    ({"deploy/blue.yml": SCHEMA.format("managedOnlineDeployment") + "name: blue\nendpoint_name: e\nmodel: azureml:m:1\n"},
     "deploy.serving", True),
    ({"deploy/blue.yml": SCHEMA.format("managedOnlineDeployment") + "name: blue\napp_insights_enabled: true\n"},
     "monitoring.instrumentation", True),
    ({"jobs/schedules/data_drift.yml": SCHEMA.format("schedule") + "name: drift\ntrigger:\n  type: cron\n"
                                       "  expression: '0 0 * * 0'\ncreate_job: ../pipelines/data_drift.yml\n"},
     "monitoring.scheduled", True),
    ({"jobs/schedules/nightly.yml": SCHEMA.format("schedule") + "name: nightly\ntrigger:\n  type: cron\n"
                                    "  expression: '0 3 * * *'\ncreate_job: ../pipelines/train.yml\n"},
     "monitoring.scheduled", False),
    ({"jobs/tune.yml": SCHEMA.format("sweepJob") + "type: sweep\nsampling_algorithm: random\n"}, "tracking.hpo", True),
    ({"jobs/pipeline.yml": SCHEMA.format("pipelineJob") + "type: pipeline\njobs:\n  prep:\n    type: command\n"
                           "  tune:\n    type: sweep\n"}, "tracking.hpo", True),
    ({"jobs/pipeline.yml": SCHEMA.format("pipelineJob") + "type: pipeline\njobs:\n  prep:\n    type: command\n"},
     "data.pipeline_definition", True),
    ({"jobs/pipeline.yml": SCHEMA.format("pipelineJob") + "type: pipeline\njobs:\n  prep:\n    type: command\n"},
     "tracking.hpo", False),
    # a job reading a registered data asset: the workspace links asset version, run and model
    ({"jobs/train.yml": SCHEMA.format("pipelineJob") + "type: pipeline\ninputs:\n  curated:\n    type: mltable\n"
                        "    path: azureml:credit-default-curated@latest\njobs:\n  prep:\n    type: command\n"},
     "data.lineage", True),
    ({"jobs/train.yml": SCHEMA.format("commandJob") + "command: python train.py --data ${{inputs.data}}\n"
                        "inputs:\n  data:\n    type: uri_file\n    path: azureml:taxi:3\n"}, "data.lineage", True),
    # a local or remote file is no registered asset
    ({"jobs/train.yml": SCHEMA.format("pipelineJob") + "type: pipeline\ninputs:\n  raw:\n    type: uri_folder\n"
                        "    path: ./data\njobs:\n  prep:\n    type: command\n"}, "data.lineage", False),
    ({"jobs/train.yml": SCHEMA.format("commandJob") + "inputs:\n  data:\n    type: uri_file\n"
                        "    path: https://example.org/taxi.csv\n"}, "data.lineage", False),
    ({"assets/model.yml": SCHEMA.format("model") + "name: taxi\npath: ./model\n"}, "tracking.model_registry", True),
    ({"assets/data.yml": SCHEMA.format("data") + "name: taxi\nversion: 2\npath: ./data\n"}, "data.versioning", True),
    ({"schedules/nightly.yml": SCHEMA.format("schedule") + "name: nightly\ntrigger:\n  type: cron\n  expression: '0 3 * * *'\n"
                               "create_job: ./pipeline.yml\n"}, "data.pipeline_automated", True),
    ({"schedules/monitor.yml": SCHEMA.format("schedule") + "name: drift\ntrigger:\n  type: recurrence\n  frequency: day\n"
                               "create_monitor:\n  monitoring_signals:\n    drift:\n      type: data_drift\n"
                               "  alert_notification:\n    emails: [ml@example.org]\n"}, "monitoring.alerting", True),
    ({"schedules/monitor.yml": SCHEMA.format("schedule") + "create_monitor:\n  monitoring_signals:\n    drift:\n      type: data_drift\n"},
     "monitoring.scheduled", True),
    ({"schedules/monitor.yml": SCHEMA.format("schedule") + "create_monitor:\n  monitoring_signals:\n    drift:\n      type: data_drift\n"},
     "monitoring.alerting", False),
    # traps: another system's $schema, the schema URL in prose, a template folder
    ({"config/settings.json": '{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}\n'}, "deploy.serving", False),
    ({"docs/deploy.md": SCHEMA.format("managedOnlineDeployment")}, "deploy.serving", False),
    ({"{{cookiecutter.name}}/deploy/blue.yml": SCHEMA.format("managedOnlineDeployment")}, "deploy.serving", False),
    ({"requirements.txt": "azure-ai-ml==1.12.0\n"}, "deploy.serving", False),
    # the Responsible AI components explaining the trained model in the pipeline
    ({"mlops/train/pipeline.yml": "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
                                  "type: pipeline\njobs:\n  create_rai_job:\n    type: command\n"
                                  "    component: azureml:rai_insights_constructor@latest\n  explain_01:\n"
                                  "    type: command\n    component: azureml:rai_insights_explanation@latest\n"},
     "governance.fairness_explainability", True),
    ({"mlops/train/pipeline.yml": "$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json\n"
                                  "type: pipeline\njobs:\n  train:\n    type: command\n    component: azureml:train_model@latest\n"},
     "governance.fairness_explainability", False),
])
def test_azureml_v2(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


def test_azureml_specs_that_do_not_parse_are_skipped(make_repo):
    ev = run_detector(ToolUsageDetector, make_repo({
        "deploy/blue.yml": SCHEMA.format("managedOnlineDeployment") + "name: [unclosed\n",
        "deploy/green.yml": SCHEMA.format("managedOnlineDeployment") + "app_insights_enabled: true\n",
    }))
    assert "deploy.serving" in present(ev)
    assert all("blue.yml" not in loc.path for e in ev for loc in e.locations)


# -- Databricks ---------------------------------------------------------------------------------------
FEATURES = ("import mlflow\nfrom databricks.feature_engineering import FeatureEngineeringClient, FeatureLookup\n"
            "fe = FeatureEngineeringClient()\n{body}")
BUNDLE = ("bundle:\n  name: churn\nresources:\n  jobs:\n    retrain:\n      name: retrain\n"
          "      tasks:\n        - task_key: train\n          notebook_task:\n            notebook_path: ../src/train.py\n"
          "  registered_models:\n    churn:\n      name: churn\n      catalog_name: main\n      schema_name: ml\n")
DLT_RESOURCE = ("resources:\n  pipelines:\n    bronze:\n      name: bronze\n      continuous: {continuous}\n"
                "      libraries:\n        - notebook:\n            path: ../src/bronze.py\n")


BUNDLE_DAG = ("resources:\n  jobs:\n    hotel:\n      name: hotel\n      tasks:\n        - task_key: load\n"
              "          spark_python_task: {python_file: scripts/01_load.py}\n        - task_key: train\n"
              "          depends_on: [{task_key: load}]\n          spark_python_task: {python_file: scripts/02_train.py}\n")
LAKEHOUSE_MONITOR = ("from databricks.sdk.service.catalog import MonitorInferenceLog, MonitorInferenceLogProblemType\n\n"
                     "def create_monitor(self):\n    self.serving.workspace.quality_monitors.create(table_name=t, "
                     "inference_log=MonitorInferenceLog(problem_type=MonitorInferenceLogProblemType.PROBLEM_TYPE_CLASSIFICATION, "
                     "prediction_col='prediction', label_col='booking_status', timestamp_col='timestamp', "
                     "granularities=['30 minutes'], model_id_col='model'))\n\n\ncreate_monitor(job)\n")


@pytest.mark.parametrize("files, signal, expected", [
    ({"features.py": FEATURES.format(body="fe.create_table(name='main.ml.customer', primary_keys=['id'], df=df)\n")},
     "data.feature_store", True),
    ({"train.py": FEATURES.format(body="ts = fe.create_training_set(df=labels, label='churn',\n"
                                       "    feature_lookups=[FeatureLookup(table_name='main.ml.customer', lookup_key='id')])\n"
                                       "fe.log_model(model=model, artifact_path='model', flavor=mlflow.sklearn, training_set=ts)\n")},
     "data.lineage", True),
    ({"train.py": FEATURES.format(body="fe.log_model(model=model, artifact_path='model', flavor=mlflow.sklearn, training_set=ts)\n")},
     "tracking.artifacts_models", True),
    ({"features.py": FEATURES.format(body="")}, "data.feature_store", False),   # a client built, never used
    # a Databricks source notebook is notebook code, and the catalogue reads notebooks too
    ({"notebooks/features.py": "# Databricks notebook source\n" +
                               FEATURES.format(body="fe.create_table(name='t', primary_keys=['id'], df=df)\n")},
     "data.feature_store", True),
    ({"register.py": "import mlflow\nmlflow.set_registry_uri('databricks-uc')\n"}, "tracking.model_registry", True),
    ({"register.py": "import mlflow\nmlflow.set_tracking_uri('databricks')\nmlflow.set_registry_uri(uri)\n"},
     "tracking.model_registry", False),
    ({"pipelines/bronze.py": "import dlt\n\n@dlt.table\n@dlt.expect_or_drop('valid_id', 'id IS NOT NULL')\n"
                             "def customers():\n    return spark.read.table('raw.customers')\n"}, "data.pipeline_definition", True),
    ({"pipelines/bronze.py": "import dlt\n\n@dlt.table\n@dlt.expect_or_drop('valid_id', 'id IS NOT NULL')\n"
                             "def customers():\n    return spark.read.table('raw.customers')\n"}, "data.validation", True),
    # the other ``dlt``, the data load tool: not a Databricks pipeline
    ({"load.py": "import dlt\npipeline = dlt.pipeline(pipeline_name='p', destination='duckdb')\npipeline.run(rows)\n"},
     "data.pipeline_definition", False),
    ({"monitor.py": "from databricks.sdk import WorkspaceClient\nw = WorkspaceClient()\n"
                    "w.quality_monitors.create(table_name='main.ml.inference', assets_dir='/m', output_schema_name='main.ml',\n"
                    "    schedule=MonitorCronSchedule(quartz_cron_expression='0 0 3 * * ?', timezone_id='UTC'))\n"},
     "monitoring.scheduled", True),
    ({"serve.py": "from databricks.sdk import WorkspaceClient\nw = WorkspaceClient()\n"
                  "w.serving_endpoints.create_and_wait(name='churn', config=config)\n"}, "deploy.serving", True),
    # asset bundles: databricks.yml and the resource files it includes (their jobs are the CI detector's)
    ({"resources/dlt.yml": DLT_RESOURCE.format(continuous="false")}, "data.pipeline_definition", True),
    ({"resources/dlt.yml": DLT_RESOURCE.format(continuous="true")}, "data.pipeline_automated", True),
    ({"resources/dlt.yml": DLT_RESOURCE.format(continuous="false")}, "data.pipeline_automated", False),
    ({"databricks.yml": BUNDLE}, "tracking.model_registry", True),
    ({"resources/serving.yml": "resources:\n  model_serving_endpoints:\n    churn:\n      name: churn\n      config:\n"
                               "        served_entities:\n          - entity_name: main.ml.churn\n"}, "deploy.serving", True),
    ({"resources/monitor.yml": "resources:\n  quality_monitors:\n    churn:\n      table_name: main.ml.inference\n"}, "monitoring.drift", True),
    # a bundle job of dependent tasks is a pipeline; a single-task job is not
    ({"databricks.yml": BUNDLE_DAG}, "data.pipeline_definition", True),
    # dbx: a deployment file's environment jobs, their tasks chained
    ({"conf/deployment.yml": "environments:\n  prod:\n    jobs:\n      - name: train\n        tasks:\n"
                             "          - task_key: features\n            spark_python_task: {python_file: 'file://p/features.py'}\n"
                             "          - task_key: train\n            depends_on: [{task_key: features}]\n"
                             "            spark_python_task: {python_file: 'file://p/train.py'}\n"}, "data.pipeline_definition", True),
    ({"conf/deployment.yml": "environments:\n  prod:\n    jobs:\n      - name: train\n"
                             "        spark_python_task: {python_file: 'file://p/train.py'}\n"}, "data.pipeline_definition", False),
    ({"databricks.yml": BUNDLE_DAG.split("        - task_key: train")[0]}, "data.pipeline_definition", False),
    # an inference-log monitor built for Lakehouse Monitoring: drift, labels joined, its dashboard
    ({"src/supervision.py": LAKEHOUSE_MONITOR}, "monitoring.drift", True),
    ({"src/supervision.py": LAKEHOUSE_MONITOR}, "monitoring.performance_feedback", True),
    ({"src/supervision.py": LAKEHOUSE_MONITOR.replace("label_col='booking_status', ", "")},
     "monitoring.performance_feedback", False),
    ({"src/supervision.py": LAKEHOUSE_MONITOR}, "monitoring.dashboards", True),
    # traps: a CI workflow called databricks.yml, the SDK only listed
    ({".github/workflows/databricks.yml": "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
                                          "      - run: databricks bundle deploy\n"}, "data.pipeline_definition", False),
    ({"requirements.txt": "databricks-feature-engineering==0.6.0\n"}, "data.feature_store", False),
])
def test_databricks(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


# -- CLI verbs run by CI steps and shell scripts ------------------------------------------------------
WORKFLOW = "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n{cond}    steps:\n      - run: {cmd}\n"
AZURE_PIPELINE = ("trigger: [main]\nsteps:\n  - task: AzureCLI@2\n    inputs:\n      azureSubscription: sub\n"
                  "      scriptLocation: inlineScript\n      inlineScript: |\n        set -e\n        {cmd}\n")


@pytest.mark.parametrize("files, signal, expected", [
    ({".github/workflows/deploy.yml": WORKFLOW.format(cond="", cmd="az ml online-deployment create -f deploy/blue.yml --all-traffic")},
     "deploy.serving", True),
    ({".pipelines/cd.yml": AZURE_PIPELINE.format(cmd="az ml model deploy --name svc --model m:1 --ic inference_config.yml")},
     "deploy.serving", True),
    ({".pipelines/cd.yml": AZURE_PIPELINE.format(cmd="az ml model register --name m --model-path outputs/m.pkl")},
     "tracking.model_registry", True),
    ({"scripts/deploy.sh": "#!/bin/sh\nset -e\ngcloud ai endpoints deploy-model $ENDPOINT --region=us-central1 --model=$MODEL \\\n"
                           "  --display-name=m --traffic-split=0=100\n"}, "deploy.serving", True),
    ({"scripts/monitor.sh": "gcloud ai model-monitoring-jobs create --display-name=m --endpoint=1 --emails=ml@example.org "
                            "--prediction-sampling-rate=0.2\n"}, "monitoring.alerting", True),
    ({"scripts/monitor.sh": "gcloud ai model-monitoring-jobs create --display-name=m --endpoint=1 --emails=ml@example.org "
                            "--prediction-sampling-rate=0.2\n"}, "monitoring.scheduled", True),
    ({"scripts/deploy.sh": "aws sagemaker create-endpoint --endpoint-name e --endpoint-config-name c\n"}, "deploy.serving", True),
    ({"scripts/register.sh": "aws sagemaker create-model-package --model-package-group-name g "
                             "--model-approval-status PendingManualApproval\n"}, "governance.approval_gates", True),
    # traps: a config without an endpoint, a commented-out or echoed command, a job that never runs, prose
    ({"scripts/deploy.sh": "aws sagemaker create-endpoint-config --endpoint-config-name c --production-variants file://v.json\n"},
     "deploy.serving", False),
    ({"scripts/deploy.sh": "# az ml model deploy --name svc --model m:1\necho 'then run: az ml model deploy'\n"}, "deploy.serving", False),
    ({".github/workflows/deploy.yml": WORKFLOW.format(cond="    if: false\n", cmd="az ml online-deployment create -f blue.yml")},
     "deploy.serving", False),
    ({"docs/deploy.md": "```\naz ml online-deployment create -f deploy/blue.yml\n```\n"}, "deploy.serving", False),
])
def test_cli_verbs(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


# -- TensorFlow Transform and Apache Beam -------------------------------------------------------------
@pytest.mark.parametrize("files, expected", [
    # TensorFlow Transform analyzers in a preprocessing_fn, Beam reading and transforming a dataset
    ({"src/preprocessing/transformations.py": "import tensorflow as tf\nimport tensorflow_transform as tft\n\n"
                                              "def preprocessing_fn(inputs):\n"
                                              "    return {'x': tft.scale_to_z_score(inputs['x'])}\n"}, True),
    ({"src/preprocessing/etl.py": "import apache_beam as beam\nimport tensorflow_transform.beam as tft_beam\n"
                                  "with beam.Pipeline() as p:\n"
                                  "    rows = p | beam.io.ReadFromBigQuery(query=q) | beam.Map(parse)\n"
                                  "    out = (rows, meta) | tft_beam.AnalyzeAndTransformDataset(preprocessing_fn)\n"}, True),
    # a trainer that only loads the transform graph prepares nothing
    ({"src/train.py": "import tensorflow as tf\nimport tensorflow_transform as tft\n"
                      "tft_output = tft.TFTransformOutput(transform_dir)\nspec = tft_output.transformed_feature_spec()\n"}, False),
    ({"explore.ipynb": notebook("import tensorflow_transform as tft\n", "x = tft.scale_to_z_score(raw)\n")}, False),
])
def test_tensorflow_transform_and_beam_prep_code(make_repo, files, expected):
    check(ToolUsageDetector, make_repo, files, "data.prep_code", expected)


# -- traffic splits, read by the deployment detector --------------------------------------------------
@pytest.mark.parametrize("files, expected", [
    ({"deploy.py": VERTEX + "endpoint.deploy(model, traffic_split={'0': 80, model_id: 20})\n"}, True),
    ({"deploy.py": VERTEX + "endpoint.deploy(model, traffic_split={'0': 100})\n"}, False),
    # the keyword trap of a serving spec: every request goes to the one model
    ({"build/serving_resources_spec.json": '{"traffic_percentage": 100, "machine_type": "n1-standard-2"}\n'}, False),
    ({"scripts/deploy.sh": "gcloud ai endpoints deploy-model 1 --model=m --traffic-split=0=90,4567=10\n"}, True),
])
def test_vertex_traffic_split(make_repo, files, expected):
    check(DeploymentDetector, make_repo, files, "deploy.progressive", expected)


@pytest.mark.parametrize("files, expected", [
    ({"deploy.py": "endpoint.traffic = {'blue': 90, 'green': 10}\nml_client.begin_create_or_update(endpoint)\n"}, True),
    ({"deploy.py": "endpoint.traffic = {'blue': 100, 'green': 0}\n"}, False),   # a cut-over, not a split
    ({"deploy.py": "endpoint.traffic = {'blue': 100}\n"}, False),
    ({"deploy.py": "endpoint.mirror_traffic = {'green': 10}\n"}, True),          # shadow traffic
    ({"endpoints/endpoint.yml": SCHEMA.format("managedOnlineEndpoint") + "name: e\ntraffic:\n  blue: 90\n  green: 10\n"}, True),
    ({"endpoints/endpoint.yml": SCHEMA.format("managedOnlineEndpoint") + "name: e\ntraffic:\n  blue: 100\n"}, False),
    ({"config/config.yaml": "deployment:\n  deployment_traffic_allocation: 100\n"}, False),
])
def test_azureml_traffic_split(make_repo, files, expected):
    check(DeploymentDetector, make_repo, files, "deploy.progressive", expected)


# -- deployment of the registry's approved versions only ------------------------------------------
LATEST_APPROVED = ("import boto3\n\nsm = boto3.client('sagemaker')\n\n\ndef latest_approved(group):\n"
                   "    args = {{'ModelPackageGroupName': group, 'ModelApprovalStatus': '{status}', 'SortBy': 'CreationTime'}}\n"
                   "    return sm.list_model_packages(**args)['ModelPackageSummaryList'][0]\n")
APPROVAL_RULE = ("from aws_cdk import aws_events as events, aws_events_targets as targets\n\n"
                 "rule = events.Rule(self, 'DeployOnApproval', event_pattern=events.EventPattern(\n"
                 "    detail_type=['SageMaker Model Package State Change'], source=['aws.sagemaker'],\n"
                 "    detail={{'ModelApprovalStatus': ['{status}']}}))\nrule.add_target(targets.CodePipeline(pipeline))\n")


@pytest.mark.parametrize("files, expected", [
    ({"deployment/model_registry.py": LATEST_APPROVED.format(status="Approved")}, True),
    ({"infra/pipeline_stack.py": APPROVAL_RULE.format(status="Approved")}, True),
    # approving in code is no gate; nor is listing the packages still pending
    ({"notebook_helpers.py": "import boto3\nboto3.client('sagemaker').update_model_package(\n"
                             "    ModelPackageArn=arn, ModelApprovalStatus='Approved')\n"}, False),
    ({"deployment/model_registry.py": LATEST_APPROVED.format(status="PendingManualApproval")}, False),
])
def test_deploying_only_the_registrys_approved_versions_is_an_approval_gate(make_repo, files, expected):
    assert ("governance.approval_gates" in found(TrackingDetector, make_repo, files)) is expected


# -- registry promotion behind an evaluation gate, read by the tracking detector ----------------------
EVALUATE = ("from azureml.core import Run\nrun = Run.get_context()\nnew_mse = float(run.parent.get_metrics().get('mse'))\n"
            "{check}")
GATE = "if new_mse >= production_mse:\n    print('worse than production: not registering')\n    run.parent.cancel()\n"
REGISTER = "from azureml.core.model import Model\nModel.register(workspace=ws, model_name='m', model_path='outputs/m.pkl')\n"


#: the pipeline that runs the evaluation step, then the registration step
STEPS = ("from azureml.pipeline.steps import PythonScriptStep\n"
         "evaluate = PythonScriptStep(name='evaluate', script_name='evaluate/evaluate_model.py')\n"
         "register = PythonScriptStep(name='register', script_name='register/register_model.py')\n")


@pytest.mark.parametrize("files, expected", [
    ({"evaluate/evaluate_model.py": EVALUATE.format(check=GATE), "register/register_model.py": REGISTER,
      "ml_service/build_pipeline.py": STEPS}, True),
    # no pipeline runs the evaluation step: its cancel gates nothing
    ({"evaluate/evaluate_model.py": EVALUATE.format(check=GATE), "register/register_model.py": REGISTER}, False),
    # nothing is registered after the step: the cancel gates nothing
    ({"evaluate/evaluate_model.py": EVALUATE.format(check=GATE)}, False),
    # a cancel on failure, not on an evaluation
    ({"evaluate/evaluate_model.py": EVALUATE.format(check="try:\n    work()\nexcept Exception:\n    run.parent.cancel()\n"),
      "register/register_model.py": REGISTER}, False),
    # the verdict asked of a project function returning a comparison it named
    ({"evaluate/evaluate_model.py": EVALUATE.format(check=(
        "if is_new_model_better(run, old_model):\n    print('better')\nelse:\n    run.parent.cancel()\n\n\n"
        "def is_new_model_better(run, old_model):\n    is_better = run.get_metrics()['mse'] <= float(old_model.tags['mse'])\n"
        "    return is_better\n")),
      "register/register_model.py": REGISTER, "ml_service/build_pipeline.py": STEPS}, True),
    # a function of the project that returns no verdict is no gate
    ({"evaluate/evaluate_model.py": EVALUATE.format(check=(
        "if has_model(run):\n    print('found')\nelse:\n    run.parent.cancel()\n\n\n"
        "def has_model(run):\n    found = run.get_file_names()\n    return found\n")),
      "register/register_model.py": REGISTER, "ml_service/build_pipeline.py": STEPS}, False),
    # a metric looked for by name, no bar it must clear
    ({"evaluate/evaluate_model.py": EVALUATE.format(
        check="if metric_name not in metric_dict:\n    raise Exception('Metric value not found!')\n"),
      "register/register_model.py": REGISTER, "ml_service/build_pipeline.py": STEPS}, False),
])
def test_azureml_pipeline_cancelled_by_an_evaluation_gates_registration(make_repo, files, expected):
    ev = found(TrackingDetector, make_repo, files)
    assert ("governance.approval_gates" in ev) is expected
    assert ("tracking.registry_promotion" in ev) is expected


@pytest.mark.parametrize("files, expected", [
    # a SageMaker model package approved, a Vertex AI version aliased, only when the evaluation passes
    ({"promote.py": "import boto3\nsm = boto3.client('sagemaker')\nif mse < threshold:\n"
                    "    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus='Approved')\n"}, True),
    ({"promote.py": VERTEX + "registry = aiplatform.models.ModelRegistry(model_id)\n"
                    "if new_auc > champion_auc:\n    registry.add_version_aliases(['production'], version=v)\n"}, True),
    ({"promote.py": "import boto3\nsm = boto3.client('sagemaker')\n"
                    "sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus='Approved')\n"}, False),
])
def test_platform_registry_changes_behind_an_evaluation_gate(make_repo, files, expected):
    check(TrackingDetector, make_repo, files, "tracking.registry_promotion", expected)


# -- experiment configs and environments of platform projects, read by the tracking detector ----------
@pytest.mark.parametrize("files, expected", [
    ({"training/parameters.json": '{"training": {"alpha": 0.5}}\n',
      "training/train.py": "import json\nwith open('parameters.json') as f:\n    pars = json.load(f)\n"}, True),
    # an ARM template's parameters are deployment settings, not an experiment's
    ({"infra/azuredeploy.parameters.json": '{"parameters": {"location": {"value": "westeurope"}}}\n',
      "infra/deploy.py": "import json\nparams = json.load(open('infra/azuredeploy.parameters.json'))\n"}, False),
])
def test_parameters_files_are_experiment_configs(make_repo, files, expected):
    check(TrackingDetector, make_repo, files, "tracking.config_management", expected)


CONDA_ENV = ("name: ci\ndependencies:\n  - python=3.7.*\n  - numpy=1.18.*\n  - scikit-learn=0.22.*\n  - pip=20.0.*\n"
             "  - pip:\n      - azureml-sdk==1.27.*\n      - pytest==5.4.*\n")


@pytest.mark.parametrize("files, expected", [
    # a conda environment under any name (Azure ML keeps them as *_dependencies.yml)
    ({"diabetes_regression/ci_dependencies.yml": CONDA_ENV}, True),
    ({"diabetes_regression/ci_dependencies.yml": CONDA_ENV.replace("=1.18.*", "").replace("=0.22.*", "")
                                                          .replace("==1.27.*", "").replace("==5.4.*", "")}, False),
    # Helm charts list dependencies too: not an environment
    ({"charts/app/Chart.yaml": "apiVersion: v2\nname: app\ndependencies:\n  - name: redis\n    version: 17.0.0\n"
                               "    repository: https://charts.bitnami.com/bitnami\n"}, False),
    # pinned platform SDKs are a pipeline's environment
    ({"requirements.txt": "kfp==1.8.1\ngoogle-cloud-bigquery==2.26.0\ngoogle-cloud-bigquery-storage==2.7.0\n"
                          "google-cloud-aiplatform==1.4.2\ncloudml-hypertune==0.1.0.dev6\npytest\n"}, True),
    ({"requirements.txt": "requests==2.31.0\nclick==8.1.7\nrich==13.7.0\n"}, False),   # pinned, but nothing ML
])
def test_platform_environments_are_reproducible(make_repo, files, expected):
    check(TrackingDetector, make_repo, files, "tracking.reproducible_env", expected)


# -- Databricks source notebooks are notebooks ------------------------------------------------------
DBX_NOTEBOOK = ("# Databricks notebook source\nimport pandas as pd\n\n# COMMAND ----------\n\n"
                "df = pd.read_csv('/dbfs/raw/sales.csv')\ndf = df.dropna().drop_duplicates()\n")


def test_databricks_source_notebooks_are_counted_as_notebooks(make_repo):
    root = make_repo({"notebooks/prepare.py": DBX_NOTEBOOK, "explore.ipynb": notebook("x = 1"), "src/util.py": "x = 1\n",
                      # an export beside its notebook is that notebook again
                      "explore.py": "# jupyter:\n#   jupytext:\n#     formats: ipynb,py\nx = 1\n"})
    (counted,) = [e for e in run_detector(TrackingDetector, root) if e.signal == "tracking.notebooks"]
    assert counted.attributes["notebooks"] == 2


@pytest.mark.parametrize("files, expected", [
    ({"notebooks/prepare.py": DBX_NOTEBOOK}, False),    # notebook code is not module code
    ({"src/prepare.py": DBX_NOTEBOOK.replace("# Databricks notebook source\n", "")}, True),
])
def test_databricks_source_notebooks_are_not_data_modules(make_repo, files, expected):
    check(DataDetector, make_repo, files, "data.prep_code", expected)


def test_databricks_source_notebooks_are_not_monitoring_modules(make_repo):
    drift = ("from scipy.stats import ks_2samp\n\ndef check_drift(ref, cur):\n"
             "    stat, p_value = ks_2samp(ref, cur)\n    return p_value < 0.05\n")
    assert "monitoring.drift" in found(MonitoringDetector, make_repo, {"monitoring/drift.py": drift})
    assert "monitoring.drift" not in found(MonitoringDetector, make_repo,
                                           {"monitoring/drift.py": "# Databricks notebook source\n" + drift})


SNOWFLAKE_FEATURES = ("from snowflake.ml.feature_store import CreationMode, FeatureStore\n\n\ndef apply(session, views):\n"
                      "    fs = FeatureStore(session=session, database='ML', name='FS', default_warehouse='WH',\n"
                      "                      creation_mode=CreationMode.CREATE_IF_NOT_EXIST)\n"
                      "    for view in views:\n        fs.register_feature_view(feature_view=view, version='V1')\n\n\n"
                      "apply(SESSION, VIEWS)\n")
SNOWFLAKE_MODELS = ("from snowflake.ml.registry import Registry\n\n\ndef apply(session, models):\n"
                    "    mr = Registry(session=session, database_name='ML', schema_name='MODELS')\n"
                    "    for model in models:\n        mr.log_model(**model)\n\n\napply(SESSION, MODELS)\n")
SNOWFLAKE_PREDICT = ("from snowflake.ml.dataset import load_dataset\nfrom snowflake.ml.registry import Registry\n\n\n"
                     "def predict(session, name, version, dataset, dataset_version):\n"
                     "    model_ref = Registry(session=session).get_model(name).version(version)\n"
                     "    data = load_dataset(session, name=dataset, version=dataset_version)\n"
                     "    return model_ref.run(data.read.to_snowpark_dataframe(), function_name='predict')\n\n\n"
                     "predict(SESSION, 'delay', 'V1', 'flights', 'V1')\n")

SNOWFLAKE_TRACKING = ("from snowflake.ml.experiment import ExperimentTracking\n\n\ndef train(session, params, metrics):\n"
                      "    exp = ExperimentTracking(session=session, database_name='ML', schema_name='EXP')\n"
                      "    exp.set_experiment('fraud')\n    with exp.start_run('r1'):\n        exp.log_params(params)\n"
                      "        exp.log_metrics(metrics)\n\n\ntrain(SESSION, {}, {})\n")
SNOWFLAKE_DAG = ("from snowflake.core.task import Cron\nfrom snowflake.core.task.dagv1 import DAG, DAGOperation, DAGTask\n\n"
                 "with DAG('ML_PIPELINE', warehouse='WH', schedule=Cron('0 3 * * 1', 'UTC')) as dag:\n"
                 "    features = DAGTask('FEATURES', definition=FEATURES)\n    train = DAGTask('TRAIN', definition=TRAIN)\n"
                 "    features >> train\nDAGOperation(SCHEMA).deploy(dag)\n")
SNOWFLAKE_SERVICE = ("from snowflake.ml.registry import Registry\n\n\ndef deploy(session, name, version):\n"
                     "    mv = Registry(session=session).get_model(name).version(version)\n"
                     "    mv.create_service(service_name='FRAUD_SVC', service_compute_pool='POOL',\n"
                     "                      image_build_compute_pool='POOL', ingress_enabled=True, autocapture=True)\n\n\n"
                     "deploy(SESSION, 'fraud', 'V2')\n")
SNOWFLAKE_MONITOR_SQL = ("def create_monitor(session, name, version):\n    session.sql(f\"\"\"\n"
                         "        CREATE MODEL MONITOR ML.MON.{name} WITH\n            MODEL = ML.MODELS.FRAUD VERSION = '{version}'\n"
                         "            REFRESH_INTERVAL = '1 day' AGGREGATION_WINDOW = '1 day'\n    \"\"\").collect()\n\n\n"
                         "create_monitor(SESSION, 'fraud_monitor', 'V2')\n")


@pytest.mark.parametrize("files, signal, expected", [
    ({"training/train.py": SNOWFLAKE_TRACKING}, "tracking.library", True),
    ({"training/train.py": SNOWFLAKE_TRACKING}, "tracking.params_metrics", True),
    ({"training/train.py": SNOWFLAKE_TRACKING.replace("        exp.log_params(params)\n", "")},
     "tracking.params_metrics", False),
    ({"pipeline/dag.py": SNOWFLAKE_DAG}, "data.pipeline_definition", True),
    ({"pipeline/dag.py": SNOWFLAKE_DAG}, "data.pipeline_automated", True),
    ({"pipeline/dag.py": SNOWFLAKE_DAG.replace(", schedule=Cron('0 3 * * 1', 'UTC')", "")}, "data.pipeline_automated", False),
    ({"deploy/service.py": SNOWFLAKE_SERVICE}, "deploy.serving", True),
    ({"deploy/service.py": SNOWFLAKE_SERVICE}, "deploy.container", True),
    ({"deploy/service.py": SNOWFLAKE_SERVICE}, "monitoring.instrumentation", True),
    ({"deploy/service.py": SNOWFLAKE_SERVICE.replace(", autocapture=True", "")}, "monitoring.instrumentation", False),
])
def test_snowflake_ml_runs_services_and_task_graphs(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


@pytest.mark.parametrize("source, signals", [
    (SNOWFLAKE_MONITOR_SQL, {"monitoring.drift", "monitoring.scheduled"}),
    (SNOWFLAKE_MONITOR_SQL.replace("            REFRESH_INTERVAL = '1 day' AGGREGATION_WINDOW = '1 day'\n", ""),
     {"monitoring.drift"}),
    # the statement only in a comment of a module that runs no SQL
    ("# CREATE MODEL MONITOR ML.MON.X WITH MODEL = ML.MODELS.FRAUD REFRESH_INTERVAL = '1 day'\nx = 1\n", set()),
])
def test_a_snowflake_model_monitor_created_in_sql(make_repo, source, signals):
    found = present(run_detector(MonitoringDetector, make_repo({"monitoring/monitor.py": source})))
    assert found & {"monitoring.drift", "monitoring.scheduled"} == signals


@pytest.mark.parametrize("files, signal, expected", [
    ({"migrations/apply_features.py": SNOWFLAKE_FEATURES}, "data.feature_store", True),
    ({"migrations/apply_models.py": SNOWFLAKE_MODELS}, "tracking.model_registry", True),
    ({"migrations/apply_models.py": SNOWFLAKE_MODELS}, "tracking.artifacts_models", True),
    ({"apps/predict.py": SNOWFLAKE_PREDICT}, "deploy.serving", True),
    ({"apps/predict.py": SNOWFLAKE_PREDICT}, "data.versioning", True),
    # traps: the package listed, and a feature view defined that nothing registers
    ({"requirements.txt": "snowflake-ml-python==1.5.0\n"}, "data.feature_store", False),
    ({"features/plane.py": "from snowflake.ml.feature_store import FeatureView\n\nview = FeatureView(name='plane', entities=[])\n"},
     "data.feature_store", False),
])
def test_snowflake_ml(make_repo, files, signal, expected):
    check(ToolUsageDetector, make_repo, files, signal, expected)


def test_snowpark_deploy_in_ci_is_cd(make_repo):
    text = ("on:\n  release:\n    types: [published]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: |\n          cd migrations/apps/warehouse\n          snow snowpark build\n"
            "          snow snowpark deploy --replace\n")
    files = {".github/workflows/release.yaml": text, "migrations/apps/warehouse/snowflake.yml": "definition_version: 1\n"}
    assert "deploy.cd" in found(CIDetector, make_repo, files)
