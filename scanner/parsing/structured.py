"""Safe, capped loading of YAML, JSON and TOML from scanned repositories."""
from __future__ import annotations

import json
import re
import sys
from typing import Any, Iterator

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: aliases allowed in one YAML stream: real CI files use a handful; a billion-laughs file
#: needs many to expand, and everything that walks the result would pay for them.
MAX_YAML_ALIASES = 200
#: nodes a document may hold once its aliases are expanded: whatever walks the loaded value
#: (str(), a detector's recursion) pays for every expanded node, so a few nested aliases of
#: aliases can hang a scan without ever exceeding the alias count.
MAX_EXPANDED_NODES = 200_000
#: nodes a walk over a loaded document may visit.
MAX_WALK_NODES = 200_000


class ParseError(ValueError):
    """A file could not be parsed; the message says why, without the file's content."""


class _CappedLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias bombs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise ParseError(f"more than {MAX_YAML_ALIASES} YAML aliases")
        return super().compose_node(parent, index)


# GitLab CI's !reference and CloudFormation's !Ref/!GetAtt are normal in real files: keep
# their value, drop the tag, instead of failing the whole document.
def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


_CappedLoader.add_multi_constructor("!", _untagged)


# A date that no calendar has (``2021-02-30``) is a ValueError in PyYAML's constructor, which
# no caller expects from a parser: one such value in a workflow used to fail every detector
# reading it. It stays the text it is; what needs a date checks it (the configuration does).
def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_CappedLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

#: libyaml's parser, where it is installed: five times faster. Its composer is C, so it cannot
#: count aliases as they come; the node graph it builds is checked instead (``_check_expansion``):
#: aliases share their anchor's node, so counting and sizing them there is linear in the text.
_FastLoader = type("_FastLoader", (yaml.CSafeLoader,), {}) if hasattr(yaml, "CSafeLoader") else None
if _FastLoader is not None:
    _FastLoader.add_multi_constructor("!", _untagged)
    _FastLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def load_yaml_documents(text: str) -> list[Any]:
    """All documents of a YAML stream."""
    try:
        loader = _FastLoader(text) if _FastLoader is not None else _CappedLoader(text)
        try:
            docs = []
            # without an anchor or without an alias no node is shared: nothing to count or size
            shared = "&" in text and "*" in text
            while loader.check_node():
                node = loader.get_node()
                if shared:
                    _check_expansion(node)
                docs.append(loader.construct_document(node))
            return docs
        finally:
            loader.dispose()
    except ParseError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise ParseError(f"invalid YAML{where}: {problem}") from exc
    except (RecursionError, MemoryError) as exc:
        raise ParseError(f"YAML not parsed: {exc.__class__.__name__}") from exc


def _check_expansion(root: yaml.Node | None) -> None:
    """Refuse a document with more than MAX_YAML_ALIASES aliases, or whose aliases expand past
    MAX_EXPANDED_NODES (or refer to themselves). An alias is a second (third...) reference to
    its anchor's node."""
    if root is None:
        return
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    references: dict[int, int] = {}
    aliases = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative post-order: shared nodes are sized once, counted at every use
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        children = _children(node)
        if children_done:
            visiting.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_EXPANDED_NODES:
                raise ParseError(f"YAML aliases expand past {MAX_EXPANDED_NODES} nodes")
            continue
        if key in visiting:
            raise ParseError("recursive YAML alias")
        visiting.add(key)
        for child in children:  # (a node's children are listed once: it is expanded once)
            seen = references.get(id(child), 0)
            references[id(child)] = seen + 1
            if seen:
                aliases += 1
                if aliases > MAX_YAML_ALIASES:
                    raise ParseError(f"more than {MAX_YAML_ALIASES} YAML aliases")
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_package_yaml(text: str) -> Any:
    """A YAML file shipped with the scanner (catalogue, vocabulary, built-in rules): trusted, so
    read with libyaml's loader where it is installed, without the caps hostile input needs."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_yaml(text: str) -> Any:
    """The first document of a YAML stream (None when empty)."""
    docs = load_yaml_documents(text)
    return docs[0] if docs else None


def load_json(text: str) -> Any:
    """A JSON document."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"invalid JSON: {exc}") from exc


def load_toml(text: str) -> dict[str, Any]:
    """A TOML document."""
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ParseError(f"invalid TOML: {exc}") from exc


def walk(obj: Any, budget: int = MAX_WALK_NODES) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(key path, value) for every node, iteratively and within a node budget."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), obj)]
    while stack and budget > 0:
        budget -= 1
        path, node = stack.pop()
        yield path, node
        if isinstance(node, dict):
            stack.extend((path + (k,), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(node))))


#: a line of a Helm template that holds nothing but template actions (``{{- if .Values.x }}``).
_HELM_ACTION_LINE = re.compile(r"^[ \t]*(\{\{-?.*?-?\}\}[ \t]*)+$", re.M)
_HELM_ACTION = re.compile(r"\{\{-?.*?-?\}\}")


def helm_untemplated(text: str) -> str:
    """A Helm chart template read as plain YAML: lines that are only template actions blanked
    (conditions, ranges, includes), expressions elsewhere replaced by a placeholder word. Line
    numbers are kept; values are not rendered."""
    return _HELM_ACTION.sub("chart-value", _HELM_ACTION_LINE.sub("", text))
