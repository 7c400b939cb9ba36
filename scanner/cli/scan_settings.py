"""What one ``scan`` run does: flags merged over the project's configuration file.

Flags win over the file: ``--profile`` over ``profile:``, ``--target`` over ``targets:`` (per
dimension), ``--fail-under`` over ``fail_under:``; excludes and disabled detectors add up.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from scanner.config import Config, ConfigError, ConfigUnreadable, find_config, load_config, parse_levels
from scanner.reporting import FORMATS
from scanner.vocabulary import vocabulary


@dataclass(frozen=True, kw_only=True)
class ScanSettings:
    """The merged settings of one scan."""

    config: Config
    config_path: str | None
    """The configuration file as named in evidence (repository-relative when inside it)."""
    profile: str
    targets: dict[str, int]
    fail_under: int | None
    exclude: tuple[str, ...]
    disable: tuple[str, ...]


def parse_formats(text: str) -> tuple[str, ...]:
    """``json,md,html`` -> the formats, checked, in the order given, without repeats."""
    formats = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise click.BadParameter(f"unknown format(s) {', '.join(unknown) or '(none)'}; choose from "
                                 f"{', '.join(FORMATS)} (comma-separated)", param_hint="--format")
    return formats


def _config_name(path: Path, root: Path | None) -> str:
    resolved = path.resolve()
    if root is not None and resolved.is_relative_to(root):
        return resolved.relative_to(root).as_posix()
    return path.name


def read_config(explicit: str | None, root: Path | None, use_repo_config: bool) -> tuple[Config, str | None, str | None]:
    """The configuration named by ``--config``, else the scanned checkout's own one. A mistake in
    either is a usage error naming the file and key; the checkout's file that cannot be read at
    all (a symlink, a device, too large, not UTF-8) is the repository's content, not the user's
    request: a problem the scan reports (third value) while going on without it."""
    if explicit:
        try:
            return load_config(Path(explicit), vocabulary()), _config_name(Path(explicit), root), None
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from exc
    if root is None or not use_repo_config:
        return Config(), None, None
    try:
        path = find_config(root)
        return (load_config(path, vocabulary()), _config_name(path, root), None) if path else (Config(), None, None)
    except ConfigUnreadable as exc:
        return Config(), None, f"{exc}; scanned without it"
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def merge(config: Config, config_path: str | None, *, profile: str | None, targets: tuple[str, ...],
          fail_under: int | None, exclude: tuple[str, ...], disable: tuple[str, ...]) -> ScanSettings:
    """Flags over the configuration file."""
    merged = dict(config.targets or {})
    try:
        for text in targets:
            merged.update(parse_levels(text, "--target"))
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--target") from exc
    return ScanSettings(
        config=config, config_path=config_path,
        profile=profile or config.profile or "default",
        targets=dict(sorted(merged.items())),
        fail_under=fail_under if fail_under is not None else config.fail_under,
        exclude=tuple(dict.fromkeys((*config.exclude, *exclude))),
        disable=tuple(dict.fromkeys((*config.disable, *disable))),
    )
