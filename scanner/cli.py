"""Command line: ``mlops-scan scan TARGET``, ``mlops-scan signals``. Only this module exits.

Exit codes: 0 ok, 1 a gate failed (--fail-under, or --strict-errors with errors),
2 usage or configuration error, 3 the target could not be read at all.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from scanner import __version__
from scanner.detector import load_detectors
from scanner.engine import scan as run_scan
from scanner.model import ScanResult
from scanner.reporting import RENDERERS
from scanner.rules_engine import PROFILES, RuleError, load_rules
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, SourceError
from scanner.sources.local import LocalRepo
from scanner.vocabulary import vocabulary

EXIT_GATE, EXIT_USAGE, EXIT_UNREADABLE = 1, 2, 3
REMOTE_PREFIXES = ("github:", "gitlab:", "mlflow+", "http://", "https://", "ssh://", "git@", "git://", "file://")


class UsageError(click.UsageError):
    """Usage or configuration error: exit code 2 with a clear message."""


def _open_target(target: str, max_file_bytes: int, use_git: bool) -> LocalRepo:
    if target.startswith(REMOTE_PREFIXES):
        raise UsageError(f"{target}: only local paths can be scanned in this version "
                         "(remote repositories, organisations and tracking servers are planned)")
    return LocalRepo(Path(target), max_file_bytes=max_file_bytes, use_git=use_git)


def _gate(result: ScanResult, fail_under: int | None, strict_errors: bool) -> list[str]:
    failures = []
    if fail_under is not None:
        low = [f"{d}={s.level}" for d, s in result.scores.items() if s.level < fail_under]
        if low:
            failures.append(f"below --fail-under {fail_under}: {', '.join(low)}")
    if strict_errors and result.errors:
        failures.append(f"{len(result.errors)} error(s) during the scan (--strict-errors)")
    return failures


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlops-scan")
def main() -> None:
    """Evidence-collecting MLOps maturity scanner."""


@main.command()
@click.argument("target")
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True,
              help="Report format: a terminal report, or the evidence bundle as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file instead of standard output.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False),
              help="A rule file of your own (YAML; may 'extends: default').")
@click.option("--profile", type=click.Choice(PROFILES), default="default", show_default=True,
              help="Built-in rules profile; 'strict' counts levels 2+ only on executed or live evidence.")
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
         fail_under: int | None, strict_errors: bool, max_file_size: int, no_git: bool,
         disable: tuple[str, ...], quiet: bool, debug: bool) -> None:
    """Scan TARGET (a local directory or git checkout) and report its maturity."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        rules = load_rules(rules_file, profile)
    except RuleError as exc:
        raise UsageError(str(exc)) from exc
    try:
        repo = _open_target(target, max_file_size, not no_git)
        files = repo.files()
    except SourceError as exc:
        click.echo(f"error: cannot read {target}: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)
    loaded = load_detectors(disable)
    progress = None
    if not quiet:
        click.echo(f"scanning {target}: {len(files)} files, {len(loaded.detectors)} detectors", err=True)
        progress = lambda name: click.echo(f"  running {name}", err=True) if debug else None  # noqa: E731
    result = run_scan(repo, rules, loaded=loaded, debug=debug, progress=progress)
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


@main.command()
def signals() -> None:
    """List the signal vocabulary, the detectors that decide each signal and the tools they know."""
    loaded = load_detectors()
    for spec in vocabulary().values():
        deciders = [cls for cls in loaded.detectors if spec.id in cls.signals]
        tools: set[str] = set()
        for cls in deciders:
            tools.update(getattr(cls, "tools_for", lambda s: ())(spec.id))
        click.echo(f"{spec.id}  [{spec.source}]")
        click.echo(f"    {spec.description}")
        click.echo(f"    detectors: {', '.join(c.id for c in deciders) or 'none yet (source not supported)'}")
        if tools:
            click.echo(f"    tools: {', '.join(sorted(tools))}")


if __name__ == "__main__":  # pragma: no cover
    main()
