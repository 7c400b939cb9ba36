"""``mlops-scan schema``, ``report``, ``diff`` and ``trend``: work on saved evidence bundles."""
from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import click

from scanner.cli import EXIT_GATE
from scanner.history import HistoryError, diff as diff_bundles, load_bundle, trend as load_trend
from scanner.reporting import BUNDLE_RENDERERS, FILE_NAMES
from scanner.reporting.history_report import (
    render_diff_json, render_diff_markdown, render_diff_text,
    render_trend_html, render_trend_json, render_trend_text,
)

_DIFF = {"text": render_diff_text, "md": render_diff_markdown, "json": render_diff_json}
_TREND = {"text": render_trend_text, "json": render_trend_json, "html": render_trend_html}


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _load(path: str):
    try:
        return load_bundle(Path(path))
    except HistoryError as exc:
        raise click.UsageError(str(exc)) from exc


@click.command()
def schema() -> None:
    """Print the JSON Schema of the evidence bundle."""
    click.echo(resources.files("scanner").joinpath("bundle.schema.json").read_text(encoding="utf-8"), nl=False)


@click.command()
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "formats", default="md", show_default=True,
              help=f"Comma-separated: {', '.join(BUNDLE_RENDERERS)}.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (one format).")
@click.option("--out-dir", type=click.Path(file_okay=False), metavar="DIR", help="Write every format to DIR.")
def report(bundle: str, formats: str, output: str | None, out_dir: str | None) -> None:
    """Render a saved BUNDLE again (the terminal format needs a scan)."""
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in BUNDLE_RENDERERS]
    if unknown or not wanted:
        raise click.BadParameter(f"choose from {', '.join(BUNDLE_RENDERERS)}", param_hint="--format")
    if len(wanted) > 1 and not out_dir:
        raise click.UsageError("several formats need --out-dir DIR")
    doc = _load(bundle)
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        for fmt in wanted:
            (Path(out_dir) / FILE_NAMES[fmt]).write_text(BUNDLE_RENDERERS[fmt](doc), encoding="utf-8")
        return
    _emit(BUNDLE_RENDERERS[wanted[0]](doc), output)


@click.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(sorted(_DIFF)), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
@click.option("--fail-on-regression", is_flag=True, help="Exit 1 when a dimension dropped or a signal was lost.")
def diff(old: str, new: str, fmt: str, output: str | None, fail_on_regression: bool) -> None:
    """Compare two bundles: per-dimension changes, evidence gained and lost, regressions."""
    result = diff_bundles(_load(old), _load(new))
    _emit(_DIFF[fmt](result), output)
    if fail_on_regression and result.regressions:
        click.echo(f"regressions: {'; '.join(result.regressions)}", err=True)
        sys.exit(EXIT_GATE)


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(sorted(_TREND)), default="text", show_default=True,
              help="A table, JSON, or an HTML page with a chart.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file.")
def trend(folder: str, fmt: str, output: str | None) -> None:
    """The levels over a FOLDER of bundles, oldest first."""
    try:
        rows = load_trend(Path(folder))
    except HistoryError as exc:
        raise click.UsageError(str(exc)) from exc
    _emit(_TREND[fmt](rows), output)
