"""JavaScript/TypeScript sources read into facts: CDK stacks and AWS SDK calls in the names the
catalogue knows from Python."""
from __future__ import annotations

import pytest
from conftest import present, run_detector

from detectors.tools import ToolUsageDetector
from scanner.parsing.javascript import module_name, parse_script, snake

CDK_STACK = """import { Stack, StackProps } from 'aws-cdk-lib';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';

// the endpoint the model is served from
export class EndpointStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: [{ modelName: 'm', variantName: 'AllTraffic', initialVariantWeight: 1.0 }],
      dataCaptureConfig: { enableCapture: true, initialSamplingPercentage: 100 },
    });
    new sagemaker.CfnEndpoint(this, 'Endpoint', { endpointConfigName: config.attrEndpointConfigName });
  }
}
"""


@pytest.mark.parametrize("spec, name", [
    ("aws-cdk-lib", "aws_cdk"), ("aws-cdk-lib/aws-sagemaker", "aws_cdk.aws_sagemaker"),
    ("@aws-cdk/aws-sagemaker", "aws_cdk.aws_sagemaker"), ("@aws-sdk/client-sagemaker", "boto3"),
    ("aws-sdk", "boto3"), ("./lib/stack", None), ("@scope/some-pkg", "scope.some_pkg"),
])
def test_module_names_map_onto_python_packages(spec, name):
    assert module_name(spec) == name


def test_cdk_constructs_resolve_with_their_properties_and_lines():
    facts = parse_script(CDK_STACK)
    calls = {c.name: c for c in facts.calls}
    assert set(facts.imports) == {"aws_cdk", "aws_cdk.aws_sagemaker"}
    assert calls["aws_cdk.aws_sagemaker.CfnEndpoint"].line == 12
    config = calls["aws_cdk.aws_sagemaker.CfnEndpointConfig"]
    assert config.line == 8 and config.has_kwarg("data_capture_config") and config.has_kwarg("dataCaptureConfig")
    assert not config.has_kwarg("enable_capture")  # nested properties are not the construct's own


def test_named_and_required_imports_and_sdk_calls():
    v3 = ("import { SageMakerClient, CreateEndpointCommand } from '@aws-sdk/client-sagemaker';\n"
          "const client = new SageMakerClient({});\n"
          "await client.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: cfg }));\n")
    v2 = ("const aws = require('aws-sdk')\nconst sagemaker = new aws.SageMaker()\n"
          "const result = await sagemaker.createEndpoint({ EndpointName: name }).promise()\n")
    assert "boto3.client.create_endpoint" in {c.name for c in parse_script(v3).calls}
    assert "boto3.client.create_endpoint" in {c.name for c in parse_script(v2).calls}
    assert snake("CreateEndpointConfig") == snake("createEndpointConfig") == "create_endpoint_config"


def test_comments_and_files_without_imports_give_nothing():
    commented = "import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';\n/* new sagemaker.CfnEndpoint(this, 'E', {}) */\n" \
                "// new sagemaker.CfnEndpoint(this, 'E', {})\n"
    assert parse_script(commented).calls == ()
    assert parse_script("const x = new Foo();\n") is None


#: the CDK app's manifest: JavaScript/TypeScript is read in a project depending on what the catalogue knows
PACKAGE_JSON = '{"name": "infra", "dependencies": {"aws-cdk-lib": "2.100.0", "constructs": "10.3.0"}}'


def _signals(make_repo, files, manifest=True):
    return present(run_detector(ToolUsageDetector, make_repo({**files, **({"package.json": PACKAGE_JSON} if manifest else {})})))


def test_a_typescript_cdk_stack_serves_a_model(make_repo):
    assert "deploy.serving" in _signals(make_repo, {"infra/lib/endpoint-stack.ts": CDK_STACK})
    # a CDK app has cdk.json
    assert "deploy.serving" in _signals(make_repo, {"infra/lib/endpoint-stack.ts": CDK_STACK, "cdk.json": "{}"},
                                        manifest=False)


def test_scripts_of_a_project_without_such_a_manifest_are_not_read(make_repo):
    # web assets: nothing in the repository says it is a CDK app or uses the AWS SDK
    assert "deploy.serving" not in _signals(make_repo, {"web/assets/app.ts": CDK_STACK}, manifest=False)


@pytest.mark.parametrize("path", ["node_modules/aws-cdk-lib/x.js", "infra/lib/endpoint-stack.d.ts",
                                  "cdk.out/asset.1234/index.js"])
def test_installed_packages_declarations_and_build_output_are_not_the_project(make_repo, path):
    assert "deploy.serving" not in _signals(make_repo, {path: CDK_STACK})
