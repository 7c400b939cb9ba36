"""Parsers: syntax facts of Python and notebooks, capped YAML/JSON/TOML."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scanner.parsing.python import LazyFacts, _fallback, parse_notebook, parse_python, parse_source, parse_tree
from scanner.parsing.structured import MAX_YAML_ALIASES, ParseError, load_toml, load_yaml, load_yaml_documents, walk


def names(source: str) -> list[str]:
    return [c.name for c in parse_python(source).calls]


@pytest.mark.parametrize("source, expected", [
    ("import mlflow as mf\nmf.log_metric('a', 1)", "mlflow.log_metric"),
    ("from mlflow import log_metric\nlog_metric('a', 1)", "mlflow.log_metric"),
    ("from mlflow import log_metric as lm\nlm('a', 1)", "mlflow.log_metric"),
    ("import mlflow.sklearn\nmlflow.sklearn.log_model(m, 'm')", "mlflow.sklearn.log_model"),
    ("from mlflow.tracking import MlflowClient\nc = MlflowClient()\nc.get_run('x')", "mlflow.tracking.MlflowClient.get_run"),
    ("import wandb\nwith wandb.init() as run:\n    run.log({'a': 1})", "wandb.init.log"),
    ("from prefect import flow\n@flow\ndef f(): pass", "prefect.flow"),
])
def test_calls_resolve_through_imports_and_aliases(source, expected):
    assert expected in names(source)


@pytest.mark.parametrize("source", [
    "# import mlflow\n# mlflow.log_metric('a', 1)\nx = 1",
    "'''mlflow.log_metric is how we would do it'''\nprint('mlflow.log_model')",
    "import numpy as np\nx = np.zeros(3)\nprint(x.shape)",
])
def test_comments_strings_and_attributes_are_not_calls_to_tools(source):
    assert not [n for n in names(source) if n.startswith(("mlflow", "shap"))]


def test_unknown_receiver_keeps_only_the_method():
    assert ".fit" in names("model.fit(X, y)")


def test_literal_arguments_are_kept():
    (call,) = [c for c in parse_python("import mlflow\nmlflow.sklearn.log_model(m, 'm', registered_model_name='churn')").calls]
    assert call.kwarg("registered_model_name") == "churn"
    assert call.args == (None, "m")


def test_lists_of_literals_are_kept_as_tuples():
    source = "import transformers\ntransformers.TrainingArguments(report_to=['mlflow', 'wandb'], tags=[x, 'a'])\n"
    (call,) = parse_python(source).calls
    assert call.kwarg("report_to") == ("mlflow", "wandb")
    assert call.kwarg("tags") is None  # not all items are literals


def test_syntax_errors_keep_imports_and_say_why():
    facts = parse_python("import mlflow\nprint 'python 2'\n")
    assert "mlflow" in facts.imports
    assert facts.error.startswith("syntax error")
    assert facts.calls == ()


def test_huge_single_line_is_not_parsed():
    facts = parse_python("x = [" + "1," * 50_000 + "]")
    assert facts.error and "not parsed" in facts.error


def test_deeply_nested_source_does_not_crash():
    facts = parse_python("x = " + "(" * 5000 + "1" + ")" * 5000)
    assert facts.error


def nb(*cells: str) -> str:
    return json.dumps({"nbformat": 4, "cells": [
        {"cell_type": "code", "source": c.splitlines(keepends=True)} for c in cells
    ] + [{"cell_type": "markdown", "source": ["import wandb"]}]})


def test_notebook_code_cells_across_cells_with_magics_blanked():
    facts = parse_notebook(nb("!pip install mlflow\nimport mlflow", "%matplotlib inline\nmlflow.log_metric('a', 1)"))
    assert "mlflow.log_metric" in [c.name for c in facts.calls]
    assert "wandb" not in facts.imports  # markdown cells are prose
    (call,) = [c for c in facts.calls if c.name == "mlflow.log_metric"]
    assert facts.cell_of(call.line) == 2


def test_notebook_with_a_broken_cell_keeps_the_rest():
    facts = parse_notebook(nb("import mlflow", "def broken(:", "mlflow.log_param('a', 1)"))
    assert "mlflow.log_param" in [c.name for c in facts.calls]
    assert facts.error == "1 code cell(s) did not parse"


def test_malformed_notebook_is_an_error_not_a_crash():
    assert parse_notebook("{not json").error.startswith("not a readable notebook")


def test_yaml_errors_name_the_line():
    with pytest.raises(ParseError, match="invalid YAML at line 3"):
        load_yaml("a: 1\nb: [\n")


def test_yaml_alias_bombs_are_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 30):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
    with pytest.raises(ParseError, match=str(MAX_YAML_ALIASES)):
        load_yaml("\n".join(lines))


def test_yaml_aliases_within_the_limits_load_as_the_pure_python_loader_loads_them():
    """Anchors no longer send a stream to the slow loader: libyaml composes it, the node graph
    is counted and sized, and the documents are the ones PyYAML's own loader gives."""
    import yaml

    from scanner.parsing import structured

    text = ("defaults: &defaults {image: python:3.11, retries: 2}\n"
            "train:\n  <<: *defaults\n  script: pip install -r requirements.txt && python train.py\n"
            "serve:\n  <<: *defaults\n  ports: &ports [8080, 9090]\n  expose: *ports\n"
            "---\nsteps: [&step {run: make}, *step, *step]\n")
    loaded = load_yaml_documents(text)
    assert loaded == list(yaml.load_all(text, Loader=structured._CappedLoader))
    assert loaded[0]["train"] == {"image": "python:3.11", "retries": 2,
                                  "script": "pip install -r requirements.txt && python train.py"}


def test_exactly_the_alias_limit_loads_and_one_more_is_refused():
    def stream(aliases: int) -> str:
        return "base: &b {x: 1}\nitems:\n" + "".join("  - *b\n" for _ in range(aliases))

    assert len(load_yaml(stream(MAX_YAML_ALIASES))["items"]) == MAX_YAML_ALIASES
    with pytest.raises(ParseError, match=f"more than {MAX_YAML_ALIASES} YAML aliases"):
        load_yaml(stream(MAX_YAML_ALIASES + 1))


def test_yaml_custom_tags_are_kept_as_plain_values():
    doc = load_yaml("script: !reference [.setup, script]\nRole: !GetAtt Role.Arn\n")
    assert doc == {"script": [".setup", "script"], "Role": "Role.Arn"}


def test_multi_document_yaml():
    assert load_yaml_documents("a: 1\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]


def test_toml_errors_are_parse_errors():
    with pytest.raises(ParseError):
        load_toml("[project\nname=")


def test_walk_is_bounded():
    deep: dict = {}
    cur = deep
    for _ in range(10_000):
        cur["k"] = {}
        cur = cur["k"]
    assert sum(1 for _ in walk(deep, budget=500)) == 500


def test_newer_syntax_than_the_interpreter_is_read_line_by_line():
    # PEP 701 f-strings (3.12) do not parse on older interpreters; the line scan still resolves calls
    source = 'import mlflow as mf\nname = f"{row["id"]}"\n# mf.log_param("a", 1)\nmf.log_metric("rmse", 0.1)\n' \
             'print "python 2"\n'
    facts = parse_python(source)
    assert facts.error and "read line by line" in facts.error
    assert [c.name for c in facts.calls if c.name.startswith("mlflow")] == ["mlflow.log_metric"]


@pytest.mark.parametrize("newer", [
    # PEP 758 (3.14): several exceptions without parentheses
    "try:\n    run()\nexcept IndexError, KeyError:\n    raise\n",
    # PEP 695 (3.12): type aliases and type parameters
    "type Rows[T] = list[T]\n",
    "def first[T](xs: list[T]) -> T:\n    return xs[0]\n",
    "class Box[T: (int, str)](Base):\n    pass\n",
])
def test_syntax_newer_than_the_interpreter_is_parsed_whole(newer):
    # the multi-line import a line scan would miss is read, and so is the call it resolves
    source = "from dagster import (\n    asset,\n    asset_check,\n)\n" + newer + "\n@asset_check(asset=x)\ndef c():\n    pass\n"
    facts = parse_python(source)
    assert facts.error is None and "dagster.asset_check" in {c.name for c in facts.calls}
    assert parse_tree(source) is not None


def test_a_module_kept_on_the_instance_resolves_its_calls():
    source = ("class Logger:\n    def __init__(self):\n        import wandb\n        self._wandb = wandb\n"
              "        self.run = None\n\n    def save(self, fp):\n        art = self._wandb.Artifact('m', type='model')\n"
              "        self._wandb.log_artifact(art)\n        self.run.log({})\n")
    assert [c.name for c in parse_python(source).calls] == ["wandb.Artifact", "wandb.log_artifact", ".log"]


def test_yaml_aliases_of_aliases_are_refused_by_their_expanded_size():
    # forty levels of [*x, *x] stay under the alias count but expand to 2**40 nodes
    lines = ["x0: &x0 [a, b]"] + [f"x{i}: &x{i} [*x{i-1}, *x{i-1}]" for i in range(1, 40)] + ["run: *x39"]
    with pytest.raises(ParseError, match="expand past"):
        load_yaml("\n".join(lines))


def test_recursive_yaml_aliases_are_refused():
    with pytest.raises(ParseError, match="recursive"):
        load_yaml("a: &a [1, *a]")


def test_a_notebook_nested_too_deep_for_json_is_an_error_not_a_crash():
    assert parse_notebook("[" * 200_000 + "]" * 200_000).error.startswith("not a readable notebook")


def test_parse_tree_keeps_the_caps_of_the_facts():
    from scanner.parsing.python import parse_tree
    assert parse_tree("x = 1\n") is not None
    assert parse_tree("setup(install_requires=[" + "'a', " * 400_000 + "])") is None  # one huge line
    assert parse_tree("def broken(:\n") is None


@pytest.mark.parametrize("source, module", [
    ("from ray import serve\n@serve.deployment\nclass A: pass\n", "ray.serve"),
    ("from sagemaker.workflow import pipeline\npipeline.Pipeline()\n", "sagemaker.workflow.pipeline"),
    ("import azureml.core as aml\naml.Run.get_context()\n", "azureml.core"),
])
def test_a_submodule_imported_from_its_package_is_an_import_of_it(source, module):
    facts = parse_python(source)
    assert facts.imports_any((module,)) == module
    # the line scan used for sources the parser rejects agrees
    assert _fallback(source, "x").imports_any((module,)) == module


@pytest.mark.parametrize("head, exported", [
    # cell markers alone: once its notebook is gone, an exported script is what runs
    ("#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\nimport pandas as pd\n", False),
    ("# Databricks notebook source\nimport mlflow\n# COMMAND ----------\n", True),
    ("# ---\n# jupyter:\n#   jupytext:\n#     text_representation:\n# ---\n\n# %%\nimport x\n", True),
    ("import pandas as pd\n\n# In the next lines we load data\n", False),
    ('"""Module docstring: # In[1]: is how nbconvert marks cells."""\n', False),
])
def test_scripts_that_are_notebooks(head, exported):
    from scanner.parsing.python import notebook_export
    assert notebook_export(head) is exported


def test_walk_skips_only_the_shared_context_and_operator_leaves():
    import ast

    from scanner.parsing.python import walk
    tree = ast.parse("x = [a + b for a in c if not a]\nif x and y > 1:\n    del z[0]\n")
    leaves = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)
    expected = [n for n in ast.walk(tree) if not isinstance(n, leaves)]
    assert list(walk(tree)) == expected


def test_a_helm_template_is_read_as_the_manifest_it_renders(tmp_path):
    from scanner.detector import ScanContext
    from scanner.parsing.structured import ParseError
    from scanner.sources.local import LocalRepo
    template = ("{{- if .Values.driftCron.enabled }}\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n"
                "  name: {{ include \"app.fullname\" . }}-drift\n  labels:\n    {{- include \"app.labels\" . | nindent 4 }}\n"
                "spec:\n  schedule: \"{{ .Values.driftCron.schedule }}\"\n{{- end }}\n")
    (tmp_path / "chart" / "templates").mkdir(parents=True)
    (tmp_path / "chart" / "templates" / "cron.yaml").write_text(template)
    (tmp_path / "notes.yaml").write_text(template)  # outside a chart's templates it stays unreadable YAML
    ctx = ScanContext(LocalRepo(tmp_path))
    [doc] = ctx.structured("chart/templates/cron.yaml")
    assert doc["kind"] == "CronJob" and doc["spec"]["schedule"] == "chart-value"
    with pytest.raises(ParseError):
        ctx.structured("notes.yaml")


@pytest.mark.parametrize("value, expected", [
    ('"wandb" if use_wandb else None', ("wandb",)),          # a tracker when asked for, nothing else
    ('"wandb" if use_wandb else "none"', ("wandb", "none")),
    ('"wandb" if use_wandb else backend', None),              # a branch that is no literal
])
def test_a_conditional_literal_keeps_the_literals_it_chooses_between(value, expected):
    facts = parse_python(f"import transformers\ntransformers.TrainingArguments(report_to={value})\n")
    assert facts.calls[0].kwargs == (("report_to", expected),)


def test_the_first_binding_in_the_source_names_the_object():
    # a model built and loaded in one function, then the same name bound to a helper's result
    # further down: the method called on it is the library's, whatever order the tree is walked in
    src = ("import xgboost as xgb\n\n\ndef load_model():\n    try:\n        bst = xgb.Booster()\n"
           "        bst.load_model('m.json')\n    except OSError:\n        raise\n    return bst\n\n\n"
           "def predict(x):\n    bst = load_model()\n    return bst.predict(x)\n")
    names = [c.name for c in parse_python(src).calls]
    assert "xgboost.Booster.load_model" in names


def test_a_client_kept_on_the_instance_resolves_its_calls():
    src = ("from databricks.sdk import WorkspaceClient\n\n\nclass Serving:\n    def __init__(self):\n"
           "        self.workspace = WorkspaceClient()\n\n    def deploy(self):\n"
           "        self.workspace.serving_endpoints.create(name='hotel')\n")
    assert "databricks.sdk.WorkspaceClient.serving_endpoints.create" in [c.name for c in parse_python(src).calls]


def test_magics_left_in_a_notebook_script_are_skipped_not_the_whole_module():
    source = ("# Databricks notebook source\n%cd $notebook_path\n\n# COMMAND ----------\n"
              "!pip install -q lightgbm\nfrom databricks import feature_store\n\n"
              "fs = feature_store.FeatureStoreClient()\nif fs != None:\n    fs.log_model(model, training_set=ts)\n")
    tree, facts = parse_source(source)
    assert tree is not None and facts.error is None
    call = next(c for c in facts.calls if c.name.endswith("log_model"))
    assert (call.name, call.line) == ("databricks.feature_store.FeatureStoreClient.log_model", 10)
    # what is no magic still fails, and says so
    assert parse_source("x = (1\n%cd here\n")[1].error.startswith("syntax error")


def test_a_subclass_of_an_imported_class_calls_its_base():
    source = ("from torch.utils.tensorboard import SummaryWriter\n\nclass Logger(SummaryWriter):\n"
              "    def log(self, loss, step):\n        self.add_scalar('loss', loss, step)\n\nclass Local(Logger):\n    pass\n")
    names = [c.name for c in parse_python(source).calls]
    # the imported base is built; a base of the file's own is not an import
    assert names == ["torch.utils.tensorboard.SummaryWriter", ".add_scalar"]


@pytest.mark.parametrize("text", [
    "env:\n  SINCE: 2021-02-30\n",                     # no such day: libyaml's loader
    "a: &x 1\nb: *x\nwhen: 2021-13-01 10:00:00\n",    # no such month: the pure-Python loader (anchors)
])
def test_a_date_no_calendar_has_stays_text(text):
    doc = load_yaml(text)
    assert doc.get("env", doc).get("SINCE", doc.get("when")) in ("2021-02-30", "2021-13-01 10:00:00")
    assert load_yaml("day: 2021-02-28\n")["day"].isoformat() == "2021-02-28"  # a real date is still one


def test_an_impossible_date_in_a_workflow_fails_no_detector(tmp_path):
    from conftest import git_repo
    from reports_support import scan_bundle
    repo = git_repo(tmp_path / "r", {
        "train.py": "import mlflow\nmlflow.log_metric('a', 1)\n",
        ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                                    "      - run: pytest\n        env:\n          SINCE: 2021-02-30\n"})
    bundle = scan_bundle(repo)
    assert not [s for s, v in bundle["signals"].items() if v["outcome"] == "error"] and not bundle["errors"]
    assert bundle["signals"]["deploy.ci_tests"]["outcome"] == "present"


_DOTTED = st.lists(st.sampled_from(["a", "b", "ab", "mlflow", "sklearn", "x_1"]), min_size=1, max_size=4).map(".".join)


@given(imports=st.lists(_DOTTED, max_size=6, unique=True), modules=st.lists(_DOTTED, min_size=1, max_size=4))
def test_imports_any_is_the_first_import_in_or_under_a_module(imports, modules):
    """The lookup by prefixes answers as the definition does, for parsed and unparsed files."""
    want = next((name for name in imports if any(name == m or name.startswith(m + ".") for m in modules)), None)
    source = "".join(f"import {name}\n" for name in imports)
    assert parse_python(source).imports_any(modules) == want
    assert LazyFacts(source, parse_python).imports_any(modules) == want
