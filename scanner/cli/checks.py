"""Checks of the command line made before any work: a mistake in the flags is a usage error
(exit 2) naming what is wrong, never a crash after a long scan nor a flag silently dropped."""
from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path

import click

from scanner.detector import ENTRY_POINT_GROUP


def check_destination(output: str | None, out_dir: str | None) -> None:
    """``-o FILE`` needs an existing folder to write into; ``--out-dir DIR`` an existing folder,
    or one that can be made under its nearest existing parent."""
    if output:
        folder = Path(output).parent
        if not folder.is_dir():
            raise click.UsageError(f"-o {output}: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise click.UsageError(f"-o {output}: the folder {folder} is not writable")
    if out_dir:
        path = Path(out_dir)
        if path.exists() and not path.is_dir():
            raise click.UsageError(f"--out-dir {out_dir}: exists and is not a folder")
        parent = next((p for p in (path, *path.parents) if p.exists()), Path("."))
        if not parent.is_dir() or not os.access(parent, os.W_OK):
            raise click.UsageError(f"--out-dir {out_dir}: cannot be created under {parent}")


def check_rules_and_profile(rules_file: str | None, profile: str | None) -> None:
    """A rule file replaces the profile: asking for both would silently drop the profile."""
    if rules_file and profile and profile != "default":
        raise click.UsageError(f"--rules {rules_file} replaces the profile, so profile '{profile}' would be "
                               f"ignored; to be strict, write 'strict: {{live_min_tier: executed}}' into the rule "
                               f"file, or drop one of the two")


def check_detector_names(names: tuple[str, ...] | list[str], config_path: str | None = None) -> None:
    """Every name given to ``--disable`` (or ``disable:``) is a detector that exists."""
    known = sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})
    unknown = [n for n in names if n not in known]
    if unknown:
        where = f"{config_path}: disable" if config_path else "--disable"
        raise click.UsageError(f"{where}: unknown detector(s) {', '.join(unknown)}; known: {', '.join(known)}")
