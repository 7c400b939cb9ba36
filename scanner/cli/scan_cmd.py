"""``mlops-scan scan TARGET``: scan, judge, render, gate."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from scanner.cli import EXIT_GATE, EXIT_UNREADABLE
from scanner.detector import load_detectors
from scanner.engine import scan as run_scan
from scanner.model import ScanResult
from scanner.reporting import RENDERERS
from scanner.rules_engine import PROFILES, RuleError, load_rules
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, RepoView, SourceError
from scanner.sources.mlflow_server import MLflowSource, redact
from scanner.targets import TargetError, resolve


def _gate(result: ScanResult, fail_under: int | None, strict_errors: bool) -> list[str]:
    failures = []
    if fail_under is not None:
        low = [f"{d}={s.level}" for d, s in result.scores.items() if s.level < fail_under]
        if low:
            failures.append(f"below --fail-under {fail_under}: {', '.join(low)}")
    if strict_errors and result.errors:
        failures.append(f"{len(result.errors)} error(s) during the scan (--strict-errors)")
    return failures


def _mlflow_source(uri: str, repo: RepoView | None, patterns: tuple[str, ...], timeout: float) -> MLflowSource:
    """A tracking-server source scoped to the scanned repository (its remote and commits)."""
    history = repo.history() if repo is not None else None
    try:
        return MLflowSource(
            uri, timeout=timeout, experiment_patterns=patterns,
            repo_remote=repo.target.url if repo is not None else None,
            repo_commits=frozenset(c.sha for c in history.commits) if history else frozenset(),
        )
    except ValueError as exc:
        raise click.UsageError(redact(str(exc))) from exc


@click.command()
@click.argument("target")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True,
              help="Report format: a terminal report, or the evidence bundle as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False),
              help="A rule file of your own (YAML; may 'extends: default').")
@click.option("--profile", type=click.Choice(PROFILES), default="default", show_default=True,
              help="Built-in rules profile; 'strict' counts levels 2+ only on executed or live evidence.")
@click.option("--mlflow-uri", metavar="URL",
              help="Also inspect this MLflow tracking server (credentials from MLFLOW_TRACKING_* variables).")
@click.option("--mlflow-experiment", "mlflow_experiments", multiple=True, metavar="PATTERN",
              help="Experiments of the server that belong to this repository (glob, repeatable); "
                   "by default runs are matched by the repository's git remote and commits.")
@click.option("--mlflow-timeout", type=click.FloatRange(0.5, 300), default=10.0, show_default=True,
              help="Seconds to wait for each tracking-server request.")
@click.option("--fail-under", type=click.IntRange(0, 4),
              help="Exit 1 when any dimension is below this level.")
@click.option("--strict-errors", is_flag=True, help="Exit 1 when any detector or source failed.")
@click.option("--max-file-size", type=click.IntRange(1), default=DEFAULT_MAX_FILE_BYTES, show_default=True,
              help="Files larger than this (bytes) are listed in coverage and not read.")
@click.option("--no-git", is_flag=True, help="Read the folder as it is, not the files git tracks.")
@click.option("--disable", multiple=True, metavar="DETECTOR", help="Do not run this detector (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="No progress on standard error.")
@click.option("--debug", is_flag=True, help="Re-raise detector failures and log verbosely.")
def scan(target: str, fmt: str, output: str | None, rules_file: str | None, profile: str,
         mlflow_uri: str | None, mlflow_experiments: tuple[str, ...], mlflow_timeout: float,
         fail_under: int | None, strict_errors: bool, max_file_size: int, no_git: bool,
         disable: tuple[str, ...], quiet: bool, debug: bool) -> None:
    """Scan TARGET and report its maturity.

    TARGET is a local directory or git checkout, or mlflow+http(s)://HOST:PORT for a tracking
    server alone.
    """
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    if not debug:  # the HTTP client's retry chatter adds nothing to the reason we report
        logging.getLogger("urllib3").setLevel(logging.ERROR)
    try:
        rules = load_rules(rules_file, profile)
    except RuleError as exc:
        raise click.UsageError(str(exc)) from exc
    try:
        resolved = resolve(target, max_file_bytes=max_file_size, use_git=not no_git)
        files = resolved.repo.files() if resolved.repo is not None else ()
    except TargetError as exc:
        raise click.UsageError(str(exc)) from exc
    except SourceError as exc:
        click.echo(f"error: cannot read {target}: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    uri = mlflow_uri or resolved.mlflow_uri
    mlflow = _mlflow_source(uri, resolved.repo, mlflow_experiments, mlflow_timeout) if uri else None
    loaded = load_detectors(disable)
    if not quiet:
        what = [f"{len(files)} files"] if resolved.repo is not None else []
        what += [f"tracking server {mlflow.display_uri}"] if mlflow else []
        click.echo(f"scanning {redact(target)}: {', '.join(what)}; {len(loaded.detectors)} detectors", err=True)
    progress = (lambda name: click.echo(f"  running {name}", err=True)) if debug else None
    result = run_scan(resolved.repo, rules, target=resolved.target, mlflow=mlflow, platform=resolved.platform,
                      loaded=loaded, debug=debug, progress=progress)
    text = RENDERERS[fmt](result)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        if not quiet:
            click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    failures = _gate(result, fail_under, strict_errors)
    for failure in failures:
        click.echo(f"gate failed: {failure}", err=True)
    sys.exit(EXIT_GATE if failures else 0)
