"""Command line: ``mlops-scan scan``, ``judge``, ``signals``, ``explain``... Only the CLI exits.

Exit codes: 0 ok, 1 a gate failed (--fail-under, or --strict-errors with errors),
2 usage or configuration error, 3 the target could not be read at all.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading

import click

from scanner import __version__
from scanner.redaction import redact_logs, remember

EXIT_GATE, EXIT_USAGE, EXIT_UNREADABLE = 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlops-scan")
def main() -> None:
    """Evidence-collecting MLOps maturity scanner."""
    # a terminated scan unwinds like an interrupted one, so a temporary clone is removed
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def redacted_logging(debug: bool, *given: str | None) -> None:
    """Log to standard error through the redacting formatter, the credentials of what the user
    gave (targets, server URLs) remembered first: no line of this run may show them."""
    for value in given:
        remember(value)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    redact_logs()
    if not debug:  # the HTTP client's retry chatter adds nothing to the reason we report
        logging.getLogger("urllib3").setLevel(logging.ERROR)


from scanner.cli import info_cmds, scan_cmd  # noqa: E402  (commands register on main)
from scanner.cli import report_cmds  # noqa: E402
from scanner.cli import judge_cmd, org_cmd  # noqa: E402

main.add_command(scan_cmd.scan)
main.add_command(info_cmds.signals)
main.add_command(info_cmds.explain)
main.add_command(report_cmds.schema)
main.add_command(report_cmds.report)
main.add_command(report_cmds.diff)
main.add_command(report_cmds.trend)
main.add_command(org_cmd.org)
main.add_command(judge_cmd.judge)

__all__ = ["main", "EXIT_GATE", "EXIT_USAGE", "EXIT_UNREADABLE", "redacted_logging"]
