"""The tracking-server source and detector against a real ``mlflow server`` and fake failing ones."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("mlflow.server", reason="the full mlflow package is needed to run a server")

from mlflow.entities import Dataset, DatasetInput, Metric, Param  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

from detectors.mlflow_server import REGISTRY_SIGNALS, RUN_SIGNALS, MLflowServerDetector  # noqa: E402
from mlflow_support import (  # noqa: E402
    answer,
    dumps_evidence,
    echo_auth_responder,
    fake_server,
    free_port,
    mlflow_server,
    no_registry_proxy,
    slow_responder,
    status_responder,
)
from scanner.detector import ScanContext  # noqa: E402
from scanner.engine import fold_signals, run_detectors  # noqa: E402
from scanner.model import Evidence, Outcome, Tier  # noqa: E402
from scanner.sources.mlflow_server import MLflowSource, normalize_git_url  # noqa: E402

ALL_SIGNALS = set(RUN_SIGNALS + REGISTRY_SIGNALS)
FRAUD_REMOTE_SSH = "git@github.com:Acme/fraud-detection.git"
FRAUD_COMMIT = "a" * 40
CHURN_REMOTE = "https://gitlab.example.org/acme/churn"
DAY_MS = 86_400_000
TOKEN = "secret-token-123"


# -- the populated server ---------------------------------------------------------------------

def _run(client: MlflowClient, exp: str, *, tags: dict[str, str], params: dict[str, str] | None = None,
         metrics: dict[str, float] | None = None, start: int | None = None) -> str:
    run = client.create_run(exp, start_time=start, tags=tags)
    now = int(time.time() * 1000)
    client.log_batch(run.info.run_id,
                     metrics=[Metric(k, v, now, 0) for k, v in (metrics or {}).items()],
                     params=[Param(k, v) for k, v in (params or {}).items()])
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def _populate(client: MlflowClient) -> dict[str, Any]:
    """Two repositories' experiments, an old sandbox, and a registry with aliases and a stage."""
    fraud_train = client.create_experiment("fraud-train")
    fraud_eval = client.create_experiment("fraud-eval")
    churn = client.create_experiment("churn-train")
    sandbox = client.create_experiment("sandbox-old")
    fraud_tags = {"mlflow.source.git.repoURL": FRAUD_REMOTE_SSH, "mlflow.source.git.commit": FRAUD_COMMIT}
    history = json.dumps([{"artifact_path": "model", "flavors": {"sklearn": {}, "python_function": {}}}])
    trained = _run(client, fraud_train, params={"lr": "0.1"}, metrics={"auc": 0.91},
                   tags={**fraud_tags, "mlflow.user": "ada", "mlflow.source.type": "JOB",
                         "mlflow.log-model.history": history})
    client.log_inputs(trained, [DatasetInput(Dataset(name="transactions", digest="d41d8cd9",
                                                     source_type="local", source='{"uri": "tx.csv"}'))])
    _run(client, fraud_train, params={"lr": "0.2"}, metrics={"auc": 0.89},
         tags={**fraud_tags, "mlflow.user": "bob", "mlflow.source.type": "LOCAL", "GITHUB_ACTIONS": "true"})
    _run(client, fraud_eval, tags={"mlflow.source.git.repoURL": "https://github.com/acme/fraud-detection",
                                   "mlflow.user": "ada", "mlflow.source.type": "LOCAL"})
    churn_run = _run(client, churn, params={"depth": "3"}, metrics={"f1": 0.7},
                     tags={"mlflow.source.git.repoURL": CHURN_REMOTE, "mlflow.user": "carol",
                           "mlflow.source.type": "NOTEBOOK"})
    old = int(time.time() * 1000) - 200 * DAY_MS
    _run(client, sandbox, params={"x": "1"}, metrics={"y": 1.0}, start=old,
         tags={"mlflow.user": "dave", "mlflow.source.type": "JOB", "mlflow.source.git.commit": "b" * 40})

    client.create_registered_model("fraud-model")
    for n in range(3):
        client.create_model_version("fraud-model", source=f"runs:/{trained}/model", run_id=trained,
                                    description="gradient boosting on transactions" if n == 2 else None,
                                    tags={"owner": "risk-team"} if n == 2 else None)
    client.set_registered_model_alias("fraud-model", "champion", "3")
    with warnings.catch_warnings():  # stages are deprecated, and still found on real servers
        warnings.simplefilter("ignore", FutureWarning)
        client.transition_model_version_stage("fraud-model", "2", "Production")
    client.create_registered_model("churn-model")
    client.create_model_version("churn-model", source=f"runs:/{churn_run}/model", run_id=churn_run)
    client.set_registered_model_alias("churn-model", "challenger", "1")
    client.create_registered_model("empty-model")
    return {"trained_run": trained}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One populated ``mlflow server`` for the whole session."""
    with mlflow_server(tmp_path_factory.mktemp("mlflow")) as url:
        _populate(MlflowClient(tracking_uri=url, registry_uri=url))
        yield url


def scan(uri: str, **kwargs: Any) -> tuple[list[Evidence], MLflowSource]:
    source = MLflowSource(uri, **kwargs)
    return list(MLflowServerDetector().detect(ScanContext(None, mlflow=source))), source


def by_signal(evidence: list[Evidence]) -> dict[str, Evidence]:
    return {e.signal: e for e in evidence}


def present(evidence: list[Evidence]) -> set[str]:
    return {e.signal for e in evidence if e.counts}


# -- whole server -----------------------------------------------------------------------------

def test_server_only_scan_finds_every_practice(server: str) -> None:
    evidence, source = scan(server)
    assert present(evidence) == ALL_SIGNALS
    assert {e.tier for e in evidence} == {Tier.LIVE}
    found = by_signal(evidence)
    active = found["mlflow.experiments_active"].attributes
    assert active["experiments"] == ["churn-train", "fraud-eval", "fraud-train"]  # sandbox runs are old
    assert active["scope"]["rule"] == "server"
    assert found["mlflow.runs_params_metrics"].attributes["runs"] == 3
    assert found["mlflow.runs_params_metrics"].attributes["metric_keys"] == ["auc", "f1"]
    assert found["mlflow.runs_artifacts_models"].attributes["flavors"] == ["sklearn"]
    assert found["mlflow.runs_git_commit"].attributes["commits"] == [FRAUD_COMMIT]
    assert found["mlflow.runs_dataset_inputs"].attributes["datasets"] == ["transactions@d41d8cd9"]
    automated = found["mlflow.runs_automated"].attributes
    assert automated["runs"] == 2 and automated["share"] == 0.5
    assert automated["marks"] == ["mlflow.source.type=JOB", "tag:GITHUB_ACTIONS"]
    assert found["mlflow.multiple_users"].attributes["users"] == ["ada", "bob", "carol"]
    assert source.requests_made <= 6


def test_registry_facts(server: str) -> None:
    found = by_signal(scan(server)[0])
    assert found["mlflow.registered_models"].attributes["versions_per_model"] == {"churn-model": 1, "fraud-model": 3}
    marks = {(v["model"], v["version"]): v["marks"] for v in found["mlflow.production_alias"].attributes["versions"]}
    assert marks == {("fraud-model", "3"): ["alias:champion"], ("fraud-model", "2"): ["stage:Production"]}
    moved = found["mlflow.alias_recently_moved"].attributes
    assert {v["version"] for v in moved["versions"]} == {"2", "3"} and "timestamp" in moved["note"]
    docs = found["mlflow.version_documentation"].attributes["versions"]
    assert docs == [{"model": "fraud-model", "version": "3", "description": True, "tags": ["owner"]}]


# -- scope ------------------------------------------------------------------------------------

@pytest.mark.parametrize("remote", [
    "https://github.com/acme/fraud-detection",
    "https://github.com/Acme/fraud-detection.git",
    "ssh://git@github.com/acme/fraud-detection",
])
def test_scope_by_repository_remote(server: str, remote: str) -> None:
    evidence, _ = scan(server, repo_remote=remote)
    found = by_signal(evidence)
    scope = found["mlflow.experiments_active"].attributes["scope"]
    assert scope["rule"] == "repository"
    assert sorted(scope["experiments"]) == ["fraud-eval", "fraud-train"]
    assert "repository remote" in scope["experiments"]["fraud-train"][0]
    assert found["mlflow.multiple_users"].attributes["users"] == ["ada", "bob"]
    assert found["mlflow.registered_models"].attributes["models_in_scope"] == {
        "fraud-model": "a version was registered from a run in scope"}
    assert "mlflow.production_alias" in present(evidence)


def test_scope_by_experiment_pattern(server: str) -> None:
    evidence, _ = scan(server, experiment_patterns=("churn-*",))
    # one experiment is enough to be active
    assert present(evidence) == {"mlflow.experiments_active", "mlflow.runs_params_metrics", "mlflow.registered_models"}
    assert by_signal(evidence)["mlflow.experiments_active"].attributes["experiments"] == ["churn-train"]
    attrs = by_signal(evidence)["mlflow.runs_params_metrics"].attributes
    assert attrs["scope"]["experiments"] == {"churn-train": ["name matches 'churn-*'"]}
    assert by_signal(evidence)["mlflow.registered_models"].attributes["versions_per_model"] == {"churn-model": 1}


def test_scope_by_repository_commits(server: str) -> None:
    evidence, _ = scan(server, repo_commits=frozenset({FRAUD_COMMIT.upper()}))
    attrs = by_signal(evidence)["mlflow.runs_git_commit"].attributes
    assert list(attrs["scope"]["experiments"]) == ["fraud-train"]
    assert attrs["repository_commits_matched"] == 1


def test_old_runs_do_not_count(server: str) -> None:
    evidence, _ = scan(server, experiment_patterns=("sandbox-*",))
    assert present(evidence) == set()  # its only run started 200 days ago


def test_unknown_repository_has_nothing_in_scope(server: str) -> None:
    evidence, source = scan(server, repo_remote="https://github.com/someone/else")
    assert evidence == []  # reachable, nothing of this repository: every signal absent
    assert source.requests_made <= 6


# -- failures ---------------------------------------------------------------------------------

def _outcomes(evidence: list[Evidence]) -> dict[str, Outcome]:
    return {e.signal: e.outcome for e in evidence}


def test_stopped_server_is_not_available_quickly() -> None:
    started = time.monotonic()
    evidence, source = scan(f"http://127.0.0.1:{free_port()}", timeout=2)
    assert _outcomes(evidence) == {s: Outcome.NOT_AVAILABLE for s in ALL_SIGNALS}
    assert all("unreachable" in e.summary for e in evidence)
    assert source.requests_made == 2  # the request and its one retry: the failure is cached for the scan
    assert time.monotonic() - started < 30  # guards against the client's 120 s default and backoff


@pytest.mark.parametrize("status, outcome, words", [
    (401, Outcome.NOT_AVAILABLE, "refused access (HTTP 401)"),
    (403, Outcome.NOT_AVAILABLE, "refused access (HTTP 403)"),
    (500, Outcome.NOT_AVAILABLE, "answered HTTP 500"),
    (400, Outcome.ERROR, "failed (HTTP 400)"),
])
def test_failing_server(status: int, outcome: Outcome, words: str) -> None:
    with fake_server(status_responder(status, b"nope")) as url:
        evidence, _ = scan(url, timeout=2)
    assert _outcomes(evidence) == {s: outcome for s in ALL_SIGNALS}
    assert all(words in e.summary and e.tier is None for e in evidence)


def test_malformed_answer_is_an_error() -> None:
    with fake_server(lambda h: answer(h, 200, b"<html>login</html>", "text/html")) as url:
        evidence, _ = scan(url, timeout=2)
    assert _outcomes(evidence) == {s: Outcome.ERROR for s in ALL_SIGNALS}


def test_slow_server_times_out() -> None:
    with fake_server(slow_responder(4)) as url:
        evidence, source = scan(url, timeout=1, max_retries=0)
    assert _outcomes(evidence) == {s: Outcome.NOT_AVAILABLE for s in ALL_SIGNALS}
    assert all("timeout" in e.summary for e in evidence)
    assert source.requests_made == 1


def test_server_without_registry(server: str) -> None:
    with fake_server(no_registry_proxy(server)) as url:
        evidence, _ = scan(url, timeout=5)
    outcomes = _outcomes(evidence)
    assert {s for s in REGISTRY_SIGNALS if outcomes.get(s) is Outcome.NOT_AVAILABLE} == set(REGISTRY_SIGNALS)
    assert all("no model registry" in e.summary for e in evidence if e.signal in REGISTRY_SIGNALS)
    assert set(RUN_SIGNALS) <= present(evidence)


def test_engine_folds_failures_into_reasons_never_absent() -> None:
    source = MLflowSource(f"http://127.0.0.1:{free_port()}", timeout=1)
    evidence, _, errors, decided = run_detectors(ScanContext(None, mlflow=source), [MLflowServerDetector])
    signals = fold_signals(evidence, decided)
    assert errors == []
    for sig in ALL_SIGNALS:
        assert signals[sig].outcome is Outcome.NOT_AVAILABLE
        assert "unreachable" in (signals[sig].reason or "")


# -- secrets and hygiene ----------------------------------------------------------------------

def test_no_credentials_in_any_output(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    outputs = [scan(server.replace("//", "//scanner:hunter2@"))[0]]
    for responder in (echo_auth_responder(400), echo_auth_responder(401), status_responder(500)):
        with fake_server(responder) as url:
            outputs.append(scan(url.replace("//", "//scanner:hunter2@"), timeout=2)[0])
    text = "".join(dumps_evidence(ev) for ev in outputs)
    assert outputs[0] and outputs[1] and TOKEN not in text and "hunter2" not in text
    # the server is still named, without its user information
    assert "scanner@" not in text and "http://127.0.0.1:" in text


def test_the_mlflow_client_library_is_neither_needed_nor_touched(server: str) -> None:
    """The source speaks REST through the scan's own session: with the client library made
    unimportable, a scan in a fresh interpreter reads the server just the same."""
    code = textwrap.dedent(f"""
        import sys
        sys.modules["mlflow"] = None  # import mlflow now fails
        from scanner.detector import ScanContext
        from detectors.mlflow_server import MLflowServerDetector
        from scanner.sources.mlflow_server import MLflowSource
        evidence = list(MLflowServerDetector().detect(ScanContext(None, mlflow=MLflowSource({server!r}))))
        print(sorted(e.signal for e in evidence if e.counts))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(sorted(present(scan(server)[0]))) and "mlflow.experiments_active" in out.stdout


@pytest.mark.parametrize("url", [
    "https://github.com/acme/fraud-detection",
    "https://github.com/acme/fraud-detection.git",
    "git@github.com:acme/fraud-detection.git",
    "ssh://git@github.com:22/Acme/fraud-detection",
    "https://token@github.com/acme/fraud-detection/",
])
def test_git_urls_normalise_alike(url: str) -> None:
    assert normalize_git_url(url) == "github.com/acme/fraud-detection"


def test_scan_only_reads(server: str) -> None:
    client = MlflowClient(tracking_uri=server)
    before = len(client.search_runs([e.experiment_id for e in client.search_experiments()]))
    scan(server, repo_remote=FRAUD_REMOTE_SSH)
    assert len(client.search_runs([e.experiment_id for e in client.search_experiments()])) == before


@pytest.mark.parametrize("uri", ["file:///tmp/mlruns", "sqlite:///mlflow.db", "mlruns"])
def test_only_http_servers_are_accepted(uri: str) -> None:
    with pytest.raises(ValueError, match="http"):
        MLflowSource(uri)


def test_databricks_without_a_profile_is_an_error_with_the_reason(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # the MLflow client reads Databricks profiles itself; an unusable one is reported, never absent
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "missing.cfg"))
    for var in ("DATABRICKS_HOST", "DATABRICKS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    evidence = list(MLflowServerDetector().detect(ScanContext(None, mlflow=MLflowSource("databricks://team", timeout=1))))
    assert {e.signal for e in evidence} == ALL_SIGNALS
    assert all(e.outcome in (Outcome.ERROR, Outcome.NOT_AVAILABLE) for e in evidence)
    assert all("Databricks" in e.summary for e in evidence)


# -- through the command line ----------------------------------------------------------------

def _cli(*args: str) -> tuple[int, dict]:
    from click.testing import CliRunner

    from scanner.cli import main
    res = CliRunner().invoke(main, ["scan", *args, "--format", "json", "-q"], catch_exceptions=False)
    return res.exit_code, json.loads(res.stdout) if res.stdout.startswith("{") else {"raw": res.output}


def test_cli_repository_plus_server_scoped_by_remote(server: str, tmp_path) -> None:
    from conftest import git, git_repo
    repo = git_repo(tmp_path / "fraud", {"train.py": "import mlflow\nmlflow.log_param('a', 1)\nmlflow.log_metric('b', 2)\n"})
    git(repo, "remote", "add", "origin", "https://github.com/Acme/fraud-detection.git")
    code, bundle = _cli(str(repo), "--mlflow-uri", server)
    assert code == 0
    assert bundle["target"]["kind"] == "local"
    assert bundle["signals"]["mlflow.registered_models"]["outcome"] == "present"
    assert bundle["signals"]["mlflow.runs_params_metrics"]["tier"] == "live"
    assert bundle["coverage"]["sources"]["mlflow"]["status"] == "ok"
    assert bundle["coverage"]["sources"]["mlflow"]["requests"] <= 20
    # the live twin raises confidence over a repository-only scan
    code, repo_only = _cli(str(repo))
    assert bundle["scores"]["experiment_tracking"]["confidence"] > repo_only["scores"]["experiment_tracking"]["confidence"]


def test_cli_server_only_target(server: str) -> None:
    code, bundle = _cli(f"mlflow+{server}")
    assert code == 0
    assert bundle["target"]["kind"] == "mlflow"
    assert bundle["signals"]["mlflow.experiments_active"]["outcome"] == "present"
    assert bundle["signals"]["data.prep_code"]["outcome"] == "not_available"
    assert "no repository given" in bundle["signals"]["data.prep_code"]["reason"]
    assert bundle["scores"]["experiment_tracking"]["level"] >= 2


def test_cli_unreachable_server_keeps_the_repository_scan(tmp_path) -> None:
    from conftest import write_tree
    repo = write_tree(tmp_path / "r", {"LICENSE": "MIT License\n\nCopyright (c) 2026 someone, all rights"})
    dead = f"http://127.0.0.1:{free_port()}"
    code, bundle = _cli(str(repo), "--mlflow-uri", dead, "--mlflow-timeout", "1")
    assert code == 0
    assert bundle["signals"]["governance.license"]["outcome"] == "present"
    assert bundle["signals"]["mlflow.registered_models"]["outcome"] == "not_available"
    assert bundle["coverage"]["sources"]["mlflow"]["status"] == "not_available"
    assert any(e["source"] == "mlflow" for e in bundle["errors"])
    code, _ = _cli(str(repo), "--mlflow-uri", dead, "--mlflow-timeout", "1", "--strict-errors")
    assert code == 1


def test_cli_rejects_a_non_http_tracking_uri(tmp_path) -> None:
    code, out = _cli(str(tmp_path), "--mlflow-uri", "sqlite:///mlflow.db")
    assert code == 2


@pytest.mark.parametrize("body, why", [
    (b"{}", "listed no experiment at all"),
    (b"", "not a JSON object"),
    (b"<!DOCTYPE html><html><body>Sign in</body></html>", "not a JSON object"),
])
def test_an_answer_no_tracking_server_gives_is_an_error_not_eleven_absences(body, why):
    with fake_server(status_responder(200, body)) as url:
        evidence, _ = scan(url, timeout=2)
    assert evidence and all(e.outcome is Outcome.ERROR and why in e.summary for e in evidence)


def test_an_answer_from_another_host_after_a_redirect_is_an_error(server: str):
    """The server redirects to another port, which answers like a tracking server."""
    target = server.rstrip("/")

    def redirect(handler) -> None:
        handler.send_response(307)  # the method kept: the search reaches the other server
        handler.send_header("Location", target + handler.path)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    with fake_server(redirect) as url:
        evidence, _ = scan(url, timeout=5)
    assert evidence and all(e.outcome is Outcome.ERROR and "another host" in e.summary for e in evidence)


def test_a_databricks_profile_gives_the_workspace_and_its_token(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    seen: list[str] = []

    def workspace(handler) -> None:
        seen.append(f"{handler.command} {handler.path} {handler.headers.get('Authorization')}")
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        body = b'{"experiments": [{"experiment_id": "0", "name": "Default"}]}' if "experiments" in handler.path else b"{}"
        answer(handler, 200, body)

    with fake_server(workspace) as url:
        cfg = tmp_path / "databrickscfg"
        cfg.write_text(f"[DEFAULT]\nhost = https://elsewhere.invalid\ntoken = wrong\n\n[team]\nhost = {url}\ntoken = dapi-secret\n")
        monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
        source = MLflowSource("databricks://team", timeout=2)
        assert [e.name for e in source.experiments()] == ["Default"]
    assert seen == ["POST /api/2.0/mlflow/experiments/search Bearer dapi-secret"]
    assert "dapi-secret" not in json.dumps(source.describe())
