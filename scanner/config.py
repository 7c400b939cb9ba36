"""The project's own settings for a scan: ``.mlops-scan.yaml`` or ``[tool.mlops-scan]``.

Holds excludes, targets, the rules profile, disabled detectors, attestations (evidence a
person asserts: who, when, a link, an expiry) and waivers (accepted gaps, still reported).
Everything is checked when loaded; a bad file is a ``ConfigError`` naming the file and key.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from scanner.model import DIMENSIONS
from scanner.parsing.structured import ParseError, load_toml, load_yaml
from scanner.rules_engine import PROFILES
from scanner.user_files import UserFileError, read_text

CONFIG_FILE = ".mlops-scan.yaml"
PYPROJECT_TABLE = "mlops-scan"
_MAX_CONFIG_BYTES = 256 * 1024
_KEYS = {"exclude", "targets", "fail_under", "profile", "disable", "attestations", "waivers"}


class ConfigError(ValueError):
    """The configuration file is malformed; the message names the file and the key."""


class ConfigUnreadable(ConfigError):
    """The configuration file cannot be read at all: a symlink or device, too large, not UTF-8."""


class Expiring:
    """Something a person asserted until an expiry day (attestations, waivers)."""

    expires: dt.date

    def active(self, today: dt.date) -> bool:
        """True until (and including) the expiry day."""
        return today <= self.expires


@dataclass(frozen=True, kw_only=True)
class Attestation(Expiring):
    """A practice a person asserts that the scanner cannot see (kept apart from detection)."""

    signal: str
    """Vocabulary signal the person vouches for."""
    by: str
    """Who asserts it."""
    date: dt.date
    """When it was asserted."""
    link: str
    """Where a reader can check it (a wiki page, a ticket, a dashboard)."""
    expires: dt.date
    """After this day the attestation no longer counts (it is still reported)."""
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Waiver(Expiring):
    """An accepted gap: a criterion or a whole dimension; the finding stays visible."""

    id: str
    """A criterion id (marks that gap as waived) or a dimension id (lifts its gate)."""
    by: str
    reason: str
    expires: dt.date
    link: str = ""


@dataclass(frozen=True, kw_only=True)
class Config:
    """Settings read from the project's configuration (empty when there is none)."""

    path: Path | None = None
    """The file the settings came from."""
    sha256: str | None = None
    """sha256 of that file's content, so a report can name exactly what was read."""
    exclude: tuple[str, ...] = ()
    """Glob patterns of repository paths never to read (``dir/`` excludes a folder)."""
    targets: Mapping[str, int] | None = None
    fail_under: int | None = None
    profile: str | None = None
    disable: tuple[str, ...] = ()
    attestations: tuple[Attestation, ...] = ()
    waivers: tuple[Waiver, ...] = ()


def find_config(root: Path) -> Path | None:
    """The configuration file of a checkout: ``.mlops-scan.yaml``, else a pyproject table.

    The checkout is not trusted: a candidate that is a symlink, or not a regular file, is never
    followed (a link to ``/proc/self/environ`` or out of the repository), and one that cannot be
    read raises ConfigError; the scan reports it and goes on without a configuration."""
    candidate = root / CONFIG_FILE
    if _present(candidate):
        return candidate
    pyproject = root / "pyproject.toml"
    if _present(pyproject) and f"tool.{PYPROJECT_TABLE}" in _read(pyproject):
        return pyproject
    return None


def _present(path: Path) -> bool:
    """``path`` exists as a regular file of the checkout (a symlink or a device raises)."""
    if not path.is_symlink() and not path.exists():
        return False
    if path.is_symlink() or not path.is_file():
        raise ConfigUnreadable(f"{path}: not read (a symlink or not a regular file: the repository's own "
                          f"configuration is never followed out of it)")
    return True


def load_config(path: Path, known_signals: Mapping[str, Any]) -> Config:
    """Read and check one configuration file (YAML, or the table of a pyproject.toml)."""
    text = _read(path)
    try:
        if path.name == "pyproject.toml":
            raw = load_toml(text).get("tool", {}).get(PYPROJECT_TABLE, {})
            where = f"{path}: [tool.{PYPROJECT_TABLE}]"
        else:
            raw = load_yaml(text) or {}
            where = str(path)
    except ParseError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    cfg = parse_config(raw, where, known_signals)
    return replace(cfg, path=path, sha256=hashlib.sha256(text.encode()).hexdigest())


def _read(path: Path) -> str:
    try:
        return read_text(path, _MAX_CONFIG_BYTES, what="configuration")
    except UserFileError as exc:
        raise ConfigUnreadable(str(exc)) from exc


def parse_config(raw: Any, where: str, known_signals: Mapping[str, Any]) -> Config:
    """Check a configuration mapping; ``where`` names it in errors."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    profile = raw.get("profile")
    if profile is not None and profile not in PROFILES:
        raise ConfigError(f"{where}: profile: {profile!r} is not one of {', '.join(PROFILES)}")
    targets = raw.get("targets")
    return Config(
        exclude=_strings(raw.get("exclude"), f"{where}: exclude"),
        targets=None if targets is None else parse_levels(targets, f"{where}: targets"),
        fail_under=None if raw.get("fail_under") is None else _level(raw["fail_under"], f"{where}: fail_under"),
        profile=profile,
        disable=_strings(raw.get("disable"), f"{where}: disable"),
        attestations=tuple(_attestation(item, f"{where}: attestations[{i}]", known_signals)
                           for i, item in enumerate(_list(raw.get("attestations"), f"{where}: attestations"))),
        waivers=tuple(_waiver(item, f"{where}: waivers[{i}]")
                      for i, item in enumerate(_list(raw.get("waivers"), f"{where}: waivers"))),
    )


def parse_levels(raw: Any, where: str) -> dict[str, int]:
    """``{dimension: level}`` from a mapping or from ``"dim=3,dim=2"``."""
    if isinstance(raw, str):
        pairs: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise ConfigError(f"{where}: {part!r} is not DIMENSION=LEVEL")
            pairs[name.strip()] = value.strip()
        raw = pairs
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of dimension to level")
    out = {}
    for dim, value in raw.items():
        if dim not in DIMENSIONS:
            raise ConfigError(f"{where}: unknown dimension {dim!r} (one of {', '.join(DIMENSIONS)})")
        out[dim] = _level(value, f"{where}: {dim}")
    return dict(sorted(out.items()))


def _level(value: Any, where: str) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = -1
    if isinstance(value, bool) or level not in range(5) or str(level) != str(value).strip():
        raise ConfigError(f"{where}: expected a level from 0 to 4, got {value!r}")
    return level


def _list(value: Any, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = _list(value, where)
    if not all(isinstance(v, str) and v.strip() for v in items):
        raise ConfigError(f"{where}: expected a list of non-empty strings")
    return tuple(items)


def _fields(item: Any, where: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with {', '.join(required)}")
    missing = [k for k in required if item.get(k) in (None, "")]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    extra = sorted(set(item) - set(required) - set(optional))
    if extra:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(str, extra))}")
    return item


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None


def _attestation(item: Any, where: str, known_signals: Mapping[str, Any]) -> Attestation:
    item = _fields(item, where, ("signal", "by", "date", "link", "expires"), ("note",))
    if item["signal"] not in known_signals:
        raise ConfigError(f"{where}: unknown signal {item['signal']!r} (`mlops-scan signals` lists them)")
    link = str(item["link"])
    if not link.startswith(("https://", "http://")):
        raise ConfigError(f"{where}: link must be an http(s) URL a reader can follow")
    date, expires = _date(item["date"], f"{where}: date"), _date(item["expires"], f"{where}: expires")
    if expires < date:
        raise ConfigError(f"{where}: expires ({expires}) is before date ({date})")
    return Attestation(signal=str(item["signal"]), by=str(item["by"]), date=date, link=link,
                       expires=expires, note=str(item.get("note") or ""))


def _waiver(item: Any, where: str) -> Waiver:
    item = _fields(item, where, ("id", "by", "reason", "expires"), ("link",))
    return Waiver(id=str(item["id"]), by=str(item["by"]), reason=str(item["reason"]),
                  expires=_date(item["expires"], f"{where}: expires"), link=str(item.get("link") or ""))
