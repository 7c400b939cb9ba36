"""``mlops-scan org github:ORG | gitlab:GROUP``: scan every repository, write the org report."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from scanner.cli import EXIT_GATE, EXIT_UNREADABLE, redacted_logging
from scanner.cli.checks import check_rules_and_profile
from scanner.deadline import DEFAULT_SCAN_SECONDS, Deadline
from scanner.detector import load_detectors
from scanner.org import OrgScanner, etag_cache, list_repositories, parse_org
from scanner.org_report import render_json, render_text, summarise
from scanner.redaction import redact
from scanner.rules_engine import PROFILES, RuleError, load_rules
from scanner.sources.http_budget import RequestBudget
from scanner.sources.interface import DEFAULT_MAX_FILE_BYTES, SourceError
from scanner.sources.org_listing import OrgFilter
from scanner.targets import ApiOptions, TargetError

REPORT_FILE = "org-report.json"


@click.command()
@click.argument("target")
@click.option("--out-dir", type=click.Path(file_okay=False), default="mlops-scan-org", show_default=True,
              help="Folder for one evidence JSON per repository and org-report.json; re-using it resumes.")
@click.option("--include", multiple=True, metavar="GLOB", help="Scan only repositories whose path or name matches (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip repositories whose path or name matches (repeatable).")
@click.option("--skip-archived", is_flag=True, help="Skip archived repositories.")
@click.option("--skip-forks", is_flag=True, help="Skip forks.")
@click.option("--limit", type=click.IntRange(1), help="Scan at most this many repositories (after filtering).")
@click.option("--workers", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Repositories scanned at the same time.")
@click.option("--max-requests", type=click.IntRange(1), help="Stop sending API requests after this many (whole run).")
@click.option("--github-url", metavar="URL", help="GitHub Enterprise Server API base, e.g. https://ghe.example.com/api/v3.")
@click.option("--gitlab-url", metavar="URL", help="Self-hosted GitLab, e.g. https://gitlab.example.com.")
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False), help="A rule file of your own.")
@click.option("--profile", type=click.Choice(PROFILES), default="default", show_default=True)
@click.option("--max-file-size", type=click.IntRange(1), default=DEFAULT_MAX_FILE_BYTES, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What to print: the table, or the org report as JSON.")
@click.option("--strict-errors", is_flag=True, help="Exit 1 when any repository failed.")
@click.option("--timeout", type=click.FloatRange(1, 86400), default=DEFAULT_SCAN_SECONDS, show_default=True,
              help="Seconds the listing, and each repository's scan, may take; what it cuts is not_available.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def org(target: str, out_dir: str, include: tuple[str, ...], exclude: tuple[str, ...], skip_archived: bool,
        skip_forks: bool, limit: int | None, workers: int, max_requests: int | None, github_url: str | None,
        gitlab_url: str | None, rules_file: str | None, profile: str, max_file_size: int, fmt: str,
        strict_errors: bool, timeout: float, quiet: bool) -> None:
    """Scan every repository of a GitHub organisation or a GitLab group (subgroups included).

    Tokens come from GITHUB_TOKEN / GITLAB_TOKEN only. One repository that fails is reported
    with the reason; every other result is kept.
    """
    redacted_logging(False, target, github_url, gitlab_url)
    check_rules_and_profile(rules_file, profile)
    try:
        platform, name = parse_org(target)
        rules = load_rules(rules_file, profile)
    except (TargetError, RuleError) as exc:
        raise click.UsageError(redact(str(exc))) from exc
    folder = Path(out_dir)
    options = ApiOptions(github_url=github_url, gitlab_url=gitlab_url, budget=RequestBudget(max_requests),
                         cache=etag_cache(folder), deadline=Deadline(timeout))
    try:
        listed = list_repositories(platform, name, options)
    except SourceError as exc:
        click.echo(f"error: {redact(str(exc))}", err=True)
        sys.exit(EXIT_UNREADABLE)
    repos = OrgFilter(include, exclude, skip_archived, skip_forks, limit).apply(listed)
    scanner = OrgScanner(rules, folder, options, workers=workers, max_file_bytes=max_file_size, seconds=timeout,
                         loaded=load_detectors())
    if quiet:
        result = scanner.run(target, repos, len(listed))
    else:
        with click.progressbar(length=len(repos), label=f"scanning {len(repos)} repositories", file=sys.stderr,
                               item_show_func=lambda o: o.path if o else "") as bar:
            result = scanner.run(target, repos, len(listed), progress=lambda outcome: bar.update(1, outcome))
    report = summarise(result)
    (folder / REPORT_FILE).write_text(render_json(report), encoding="utf-8")
    click.echo(render_json(report) if fmt == "json" else render_text(report), nl=False)
    if not quiet:
        click.echo(f"wrote {folder / REPORT_FILE} and {report['counts']['scanned']} evidence file(s)", err=True)
    sys.exit(EXIT_GATE if strict_errors and report["failed"] else 0)
