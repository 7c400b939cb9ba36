"""``mlops-scan scan TARGET``: scan, judge, render (one or several formats), gate."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
import sys
from pathlib import Path

import click

from scanner import attestations
from scanner.cli import EXIT_GATE, EXIT_UNREADABLE, redacted_logging
from scanner.cli.checks import check_destination, check_detector_names, check_rules_and_profile
from scanner.cli.scan_settings import ScanSettings, merge, parse_formats, read_config
from scanner.config import ConfigError
from scanner.deadline import DEFAULT_SCAN_SECONDS, Deadline
from scanner.detector import load_detectors
from scanner.engine import scan as run_scan
from scanner.excludes import ExcludingRepo
from scanner.gates import Assessment, assess, check_waivers
from scanner.model import Outcome, ScanResult
from scanner.parallel import default_jobs
from scanner.redaction import redact
from scanner.reporting import FILE_NAMES, FORMATS, BundleExtras, build_bundle, render
from scanner.rules_engine import PROFILES, RuleError, RuleSet, load_rules
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, RepoView, SourceError
from scanner.sources.alertmanager import AlertmanagerSource
from scanner.sources.grafana import GrafanaSource
from scanner.sources.live_http import LiveSource
from scanner.sources.mlflow_server import MLflowSource
from scanner.sources.prometheus import PrometheusSource
from scanner.targets import TargetError, resolve


def _gate(assessment: Assessment, settings: ScanSettings, result: ScanResult, strict_errors: bool) -> list[str]:
    """One line per failed gate: below --fail-under, below a target, errors under --strict-errors."""
    failed = [c for c in assessment.checks if c.failed]
    low = [f"{c.dimension}={c.level}" for c in failed
           if settings.fail_under is not None and c.level < settings.fail_under]
    short = [f"{c.dimension}={c.level} (target {settings.targets[c.dimension]})" for c in failed
             if c.dimension in settings.targets and c.level < settings.targets[c.dimension]]
    failures = []
    if low:
        failures.append(f"below --fail-under {settings.fail_under}: {', '.join(low)}")
    if short:
        failures.append(f"below target: {', '.join(short)}")
    if strict_errors and result.errors:
        failures.append(f"{len(result.errors)} error(s) during the scan (--strict-errors)")
    return failures


def _mlflow_source(uri: str, repo: RepoView | None, patterns: tuple[str, ...], timeout: float,
                   deadline: Deadline) -> MLflowSource:
    """A tracking-server source scoped to the scanned repository (its remote and commits)."""
    history = repo.history() if repo is not None else None
    try:
        return MLflowSource(
            uri, timeout=timeout, experiment_patterns=patterns, deadline=deadline,
            repo_remote=repo.target.url if repo is not None else None,
            repo_commits=frozenset(c.sha for c in history.commits) if history else frozenset(),
        )
    except ValueError as exc:
        raise click.UsageError(redact(str(exc))) from exc


def _monitoring_sources(urls: dict[str, str | None], matches: tuple[str, ...], timeout: float,
                        deadline: Deadline) -> dict[str, LiveSource]:
    """The live monitoring sources given (``--prometheus-url``...), each scoped by ``matches``."""
    kinds = {"prometheus": PrometheusSource, "alertmanager": AlertmanagerSource, "grafana": GrafanaSource}
    try:
        return {name: kinds[name](url, timeout=timeout, deadline=deadline, matches=matches)
                for name, url in urls.items() if url}
    except ValueError as exc:
        raise click.UsageError(redact(str(exc))) from exc


def _write_reports(formats: tuple[str, ...], result: ScanResult, bundle: dict, output: str | None,
                   out_dir: str | None, quiet: bool) -> None:
    """Every format to its file in ``out_dir``, or one format to ``output`` or standard output."""
    if out_dir:
        folder = Path(out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for fmt in formats:
            path = folder / FILE_NAMES[fmt]
            path.write_text(render(fmt, result, bundle), encoding="utf-8")
            if not quiet:
                click.echo(f"wrote {path}", err=True)
        return
    text = render(formats[0], result, bundle)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        if not quiet:
            click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _exit_if_server_unread(result: ScanResult, family: str, shown: str) -> None:
    """A scan of a live system alone (a tracking server, a Prometheus) that could not read it has
    nothing to report: every dimension would read 0/4 for want of an answer. Exit 3 with the
    server's reason instead."""
    live = [s for name, s in result.signals.items() if name.startswith(f"{family}.")]
    if live and all(s.outcome in (Outcome.NOT_AVAILABLE, Outcome.ERROR) for s in live):
        reason = next((s.reason for s in live if s.reason), "no answer")
        click.echo(f"error: cannot read {shown}: {redact(reason)}", err=True)
        sys.exit(EXIT_UNREADABLE)


def _bundle(result: ScanResult, assessment: Assessment, settings: ScanSettings, today: dt.date) -> dict:
    """The evidence bundle with the gates, next steps, attestations and waivers of this run."""
    name = settings.config_path or ""
    return build_bundle(result, BundleExtras(
        assessment=assessment, attestations=attestations.statuses(result, settings.config, name, today),
        waivers=settings.config.waivers, today=today,
        config={"path": name, "sha256": settings.config.sha256} if settings.config_path else None))


def _rules(rules_file: str | None, settings: ScanSettings) -> RuleSet:
    check_rules_and_profile(rules_file, settings.profile)
    try:
        rules = load_rules(rules_file, settings.profile)
        check_waivers(settings.config.waivers, rules)
    except (RuleError, ConfigError) as exc:
        raise click.UsageError(str(exc)) from exc
    return rules


@click.command()
@click.argument("target")
@click.option("--format", "formats", default="text", show_default=True, callback=lambda _c, _p, v: parse_formats(v),
              help=f"Report format(s), comma-separated: {', '.join(FORMATS)}. Several need --out-dir.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output (one format).")
@click.option("--out-dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Write every format to DIR (mlops-scan.json, .md, .html, .sarif, -badge.json, .txt).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Configuration file (default: the target's .mlops-scan.yaml or [tool.mlops-scan] "
                   "in its pyproject.toml).")
@click.option("--no-config", is_flag=True, help="Ignore the target's own configuration file.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False),
              help="A rule file of your own (YAML; may 'extends: default').")
@click.option("--profile", type=click.Choice(PROFILES), default=None,
              help="Built-in rules profile (default: 'default'); 'strict' counts levels 2+ only on executed "
                   "or live evidence and ignores attestations.")
@click.option("--target", "targets", multiple=True, metavar="DIM=LEVEL,...",
              help="Required level per dimension, e.g. data_management=3,monitoring=2 (exit 1 below it).")
@click.option("--mlflow-uri", metavar="URL",
              help="Also inspect this MLflow tracking server (credentials from MLFLOW_TRACKING_* variables).")
@click.option("--mlflow-experiment", "mlflow_experiments", multiple=True, metavar="PATTERN",
              help="Experiments of the server that belong to this repository (glob, repeatable); "
                   "by default runs are matched by the repository's git remote and commits.")
@click.option("--prometheus-url", metavar="URL",
              help="Also inspect this Prometheus (HTTP API v1; PROMETHEUS_TOKEN or PROMETHEUS_USERNAME/PASSWORD).")
@click.option("--alertmanager-url", metavar="URL",
              help="Also inspect this Alertmanager (API v2; ALERTMANAGER_TOKEN or ALERTMANAGER_USERNAME/PASSWORD).")
@click.option("--grafana-url", metavar="URL",
              help="Also inspect this Grafana (GRAFANA_TOKEN, or GRAFANA_USERNAME/PASSWORD).")
@click.option("--monitoring-match", "monitoring_matches", multiple=True, metavar="LABEL=VALUE|NAME",
              help="What of the monitoring stack belongs to this repository (repeatable): a label selector "
                   "(job=churn-api) or a name (service, job, dashboard title or tag; globs). Default: the "
                   "metric, job, workload and service names the repository declares.")
@click.option("--monitoring-timeout", type=click.FloatRange(0.5, 300), default=10.0, show_default=True,
              help="Seconds to wait for each request to a monitoring system.")
@click.option("--clone-timeout", type=click.FloatRange(1, 3600), default=300.0, show_default=True,
              help="Seconds a git URL's clone may take; a server that never answers or drips is given up on.")
@click.option("--mlflow-timeout", type=click.FloatRange(0.5, 300), default=10.0, show_default=True,
              help="Seconds to wait for each tracking-server request.")
@click.option("--timeout", "timeout", type=click.FloatRange(1, 86400), default=DEFAULT_SCAN_SECONDS, show_default=True,
              help="Seconds the whole scan may take: clone, API requests and rate-limit waits, tracking server, "
                   "detectors. What it cuts is reported not_available.")
@click.option("--github-url", metavar="URL", help="GitHub Enterprise Server API base, e.g. https://ghe.example.com/api/v3.")
@click.option("--gitlab-url", metavar="URL", help="Self-hosted GitLab, e.g. https://gitlab.example.com.")
@click.option("--max-requests", type=click.IntRange(1), help="Budget of GitHub/GitLab API requests for the scan.")
@click.option("--fail-under", type=click.IntRange(0, 4),
              help="Exit 1 when any dimension is below this level.")
@click.option("--strict-errors", is_flag=True, help="Exit 1 when any detector or source failed.")
@click.option("--max-file-size", type=click.IntRange(1), default=DEFAULT_MAX_FILE_BYTES, show_default=True,
              help="Files larger than this (bytes) are listed in coverage and not read.")
@click.option("--no-git", is_flag=True, help="Read the folder as it is, not the files git tracks.")
@click.option("--include-untracked", is_flag=True,
              help="In a git work tree, also read the files git does not track (ignored ones stay out); "
                   "the bundle is then marked dirty.")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Do not read paths matching GLOB (repeatable).")
@click.option("--disable", multiple=True, metavar="DETECTOR", help="Do not run this detector (repeatable).")
@click.option("--jobs", type=click.IntRange(1), default=default_jobs(), show_default=True,
              help="Processes detection may use on a local checkout (the report is the same for any number).")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
@click.option("--debug", is_flag=True, help="Re-raise detector failures and log verbosely (one process).")
def scan(target: str, formats: tuple[str, ...], output: str | None, out_dir: str | None, config_file: str | None,
         no_config: bool, rules_file: str | None, profile: str | None, targets: tuple[str, ...],
         mlflow_uri: str | None, mlflow_experiments: tuple[str, ...], prometheus_url: str | None,
         alertmanager_url: str | None, grafana_url: str | None, monitoring_matches: tuple[str, ...],
         monitoring_timeout: float, clone_timeout: float, mlflow_timeout: float, timeout: float,
         github_url: str | None, gitlab_url: str | None, max_requests: int | None, fail_under: int | None, strict_errors: bool, max_file_size: int, no_git: bool,
         include_untracked: bool, exclude: tuple[str, ...], disable: tuple[str, ...], jobs: int, quiet: bool,
         debug: bool) -> None:
    """Scan TARGET and report its maturity.

    TARGET is a local directory or git checkout, github:OWNER/REPO[@REF],
    gitlab:GROUP/PROJECT[@REF], a git URL (shallow-cloned, then removed), or
    mlflow+http(s)://HOST:PORT for a tracking server alone, or
    prometheus+URL / alertmanager+URL / grafana+URL for a monitoring system alone.
    """
    redacted_logging(debug, target, mlflow_uri, github_url, gitlab_url, prometheus_url, alertmanager_url, grafana_url)
    if len(formats) > 1 and not out_dir:
        raise click.UsageError("several formats need --out-dir DIR")
    if output and out_dir:
        raise click.UsageError("use either -o FILE (one format) or --out-dir DIR")
    check_destination(output, out_dir)  # before the scan, not after it
    check_rules_and_profile(rules_file, profile)
    check_detector_names(disable)
    deadline = Deadline(timeout)
    try:
        resolved = resolve(target, max_file_bytes=max_file_size, use_git=not no_git,
                           include_untracked=include_untracked,
                           github_url=github_url, gitlab_url=gitlab_url, max_requests=max_requests,
                           clone_timeout=clone_timeout, deadline=deadline)
        # a temporary clone goes when the command ends, whatever the exit
        click.get_current_context().call_on_close(resolved.close)
        root = getattr(resolved.repo, "root", None)
        config, config_path, config_problem = read_config(config_file, root, not no_config)
        settings = merge(config, config_path, profile=profile, targets=targets, fail_under=fail_under,
                         exclude=exclude, disable=disable)
        repo = ExcludingRepo(resolved.repo, settings.exclude) if resolved.repo and settings.exclude else resolved.repo
        files = repo.files() if repo is not None else ()
    except TargetError as exc:
        raise click.UsageError(redact(str(exc))) from exc
    except SourceError as exc:
        click.echo(f"error: cannot read {redact(target)}: {redact(str(exc))}", err=True)
        sys.exit(EXIT_UNREADABLE)
    check_detector_names(settings.disable, settings.config_path)
    rules = _rules(rules_file, settings)
    uri = mlflow_uri or resolved.mlflow_uri
    mlflow = _mlflow_source(uri, repo, mlflow_experiments, mlflow_timeout, deadline) if uri else None
    monitoring = _monitoring_sources({**resolved.monitoring_urls, **{k: v for k, v in (
        ("prometheus", prometheus_url), ("alertmanager", alertmanager_url), ("grafana", grafana_url)) if v}},
        monitoring_matches, monitoring_timeout, deadline)
    loaded = load_detectors(settings.disable)
    if not quiet:
        what = [f"{len(files)} files"] if repo is not None else []
        what += [f"tracking server {mlflow.display_uri}"] if mlflow else []
        what += [f"{source.kind} {source.display_uri}" for source in monitoring.values()]
        what += [f"config {settings.config_path}"] if settings.config_path else []
        click.echo(f"scanning {redact(target)}: {', '.join(what)}; {len(loaded.detectors)} detectors", err=True)
    progress = (lambda name: click.echo(f"  running {name}", err=True)) if debug else None
    today = dt.date.today()
    result = run_scan(repo, rules, target=resolved.target, mlflow=mlflow, platform=resolved.platform,
                      monitoring=monitoring,
                      loaded=loaded, debug=debug, progress=progress, jobs=jobs, deadline=deadline,
                      attested=attestations.active_evidence(settings.config, settings.config_path or "", today))
    if config_problem:
        result = replace(result, errors=(*result.errors, {"source": "config", "message": config_problem}))
        if not quiet:
            click.echo(f"warning: {config_problem}", err=True)
    if repo is None and mlflow is not None:
        _exit_if_server_unread(result, "mlflow", f"the tracking server {mlflow.display_uri}")
    if repo is None and mlflow is None and len(monitoring) == 1:
        (name, source), = monitoring.items()
        _exit_if_server_unread(result, name, f"{source.kind} {source.display_uri}")
    assessment = assess(result, rules, targets=settings.targets, fail_under=settings.fail_under,
                        waivers=settings.config.waivers, today=today)
    bundle = _bundle(result, assessment, settings, today)
    _write_reports(formats, result, bundle, output, out_dir, quiet)
    failures = _gate(assessment, settings, result, strict_errors)
    for failure in failures:
        click.echo(f"gate failed: {failure}", err=True)
    sys.exit(EXIT_GATE if failures else 0)
