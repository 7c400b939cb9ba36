"""A live Alertmanager, read through its API v2 with two requests: the configuration it runs
(``/api/v2/status``: the route tree and the receivers) and its silences (``/api/v2/silences``).

Only the receivers' names and the kinds of their integrations are kept (``slack``, ``webhook``...),
never their settings: those hold webhook URLs and keys. Credentials: ``ALERTMANAGER_TOKEN`` or
``ALERTMANAGER_USERNAME``/``ALERTMANAGER_PASSWORD``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

import yaml

from scanner.sources.live_http import LiveQueryFailed, LiveSource, objects

_MATCHER = re.compile(r'^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


@dataclass(frozen=True)
class Route:
    """One node of the route tree: its matchers (label, op, value) and where it sends."""

    receiver: str
    matchers: tuple[tuple[str, str, str], ...] = ()
    routes: tuple["Route", ...] = ()
    continues: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(_holds(labels.get(name, ""), op, value) for name, op, value in self.matchers)

    def receivers_for(self, labels: Mapping[str, str]) -> list[str]:
        """Where an alert with ``labels`` goes, as Alertmanager routes it (first matching child,
        further ones while they say ``continue``; this node's receiver when none matches)."""
        out: list[str] = []
        for child in self.routes:
            if child.matches(labels):
                out += child.receivers_for(labels)
                if not child.continues:
                    break
        return out or [self.receiver]


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[tuple[str, str, str], ...]
    starts: datetime
    ends: datetime
    state: str
    created_by: str = ""

    @property
    def days(self) -> float:
        return (self.ends - self.starts).total_seconds() / 86400

    def mutes(self, labels: Mapping[str, str]) -> bool:
        return bool(self.matchers) and all(_holds(labels.get(n, ""), op, v) for n, op, v in self.matchers)


@dataclass(frozen=True)
class RoutingConfig:
    route: Route
    receivers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """receiver name -> kinds of its integrations (none: a null receiver, alerts go nowhere)."""


class AlertmanagerSource(LiveSource):
    name = "alertmanager"
    kind = "Alertmanager"
    token_env = "ALERTMANAGER_TOKEN"
    user_env = "ALERTMANAGER_USERNAME"
    password_env = "ALERTMANAGER_PASSWORD"

    def routing(self) -> RoutingConfig:
        return self.cached("routing", self._routing)

    def silences(self) -> tuple[Silence, ...]:
        doc = self.get_json("reading the silences", "api/v2/silences")
        if not isinstance(doc, list):
            raise LiveQueryFailed(f"reading the silences at {self.display_uri}: not a list of silences")
        out = []
        for s in objects(doc):
            starts, ends = _time(s.get("startsAt")), _time(s.get("endsAt"))
            if starts is None or ends is None:
                continue
            matchers = tuple((str(m.get("name", "")), _op(m), str(m.get("value", ""))) for m in objects(s.get("matchers")))
            state = s.get("status", {}).get("state", "") if isinstance(s.get("status"), dict) else ""
            out.append(Silence(id=str(s.get("id", "")), matchers=matchers, starts=starts, ends=ends,
                               state=str(state), created_by=str(s.get("createdBy", ""))[:80]))
        return tuple(out)

    def _routing(self) -> RoutingConfig:
        what = "reading the routing configuration"
        doc = self.get_json(what, "api/v2/status")
        original = doc.get("config", {}).get("original") if isinstance(doc, dict) and isinstance(doc.get("config"), dict) else None
        if not isinstance(original, str):
            raise LiveQueryFailed(f"{what} at {self.display_uri}: no configuration in the status (not an Alertmanager?)")
        try:
            config = yaml.load(original[:1_000_000], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            raise LiveQueryFailed(f"{what} at {self.display_uri}: the configuration does not parse") from None
        if not isinstance(config, dict) or not isinstance(config.get("route"), dict):
            raise LiveQueryFailed(f"{what} at {self.display_uri}: the configuration has no route")
        receivers = {str(r.get("name", "")): tuple(sorted(k.removesuffix("_configs") for k, v in r.items()
                                                          if k.endswith("_configs") and v))
                     for r in objects(config.get("receivers"))}
        return RoutingConfig(route=_route(config["route"], None, 0), receivers=receivers)


def _route(raw: dict[str, Any], parent: str | None, depth: int) -> Route:
    matchers: list[tuple[str, str, str]] = []
    for name, value in (raw.get("match") or {}).items() if isinstance(raw.get("match"), dict) else ():
        matchers.append((str(name), "=", str(value)))
    for name, value in (raw.get("match_re") or {}).items() if isinstance(raw.get("match_re"), dict) else ():
        matchers.append((str(name), "=~", str(value)))
    for text in raw.get("matchers") or () if isinstance(raw.get("matchers"), list) else ():
        m = _MATCHER.match(str(text))
        if m:
            matchers.append((m.group(1), m.group(2), m.group(3)))
    receiver = str(raw.get("receiver") or parent or "")
    children = tuple(_route(r, receiver, depth + 1) for r in objects(raw.get("routes"))) if depth < 20 else ()
    return Route(receiver=receiver, matchers=tuple(matchers), routes=children, continues=bool(raw.get("continue")))


def _holds(actual: str, op: str, value: str) -> bool:
    if op in ("=~", "!~"):
        try:
            hit = re.fullmatch(value, actual) is not None
        except re.error:
            return False
        return hit if op == "=~" else not hit
    return (actual == value) if op == "=" else (actual != value)


def _op(matcher: dict[str, Any]) -> str:
    regex, equal = bool(matcher.get("isRegex")), matcher.get("isEqual", True) is not False
    return {(False, True): "=", (False, False): "!=", (True, True): "=~", (True, False): "!~"}[(regex, equal)]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
