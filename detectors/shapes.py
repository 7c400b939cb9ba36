"""Type-safe reads of parsed YAML/JSON/TOML.

A value read from a scanned repository's file may be of any type: ``rules: true`` where a
list is expected, ``deps: 5``, a list where a mapping is expected. Walking such a value with
``.get`` or ``len`` would crash the detector and turn all its signals into errors; these
helpers give the expected shape or an empty one, so an oddly shaped file is simply not a
match (or, where the file decides a signal, becomes error evidence naming the file).
"""
from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[Any, Any]:
    """A mapping, or ``{}`` when the value is anything else."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A list, or ``[]`` when the value is anything else (a scalar is not a list)."""
    return value if isinstance(value, list) else []


def one_or_many(value: Any) -> list[Any]:
    """A value that YAML lets be one item or a list of them (None -> [], scalar -> [scalar])."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_str(value: Any, default: str = "") -> str:
    """A string; numbers as their text (``python: 3.11``); ``default`` for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return default


def dicts(value: Any) -> list[dict[Any, Any]]:
    """The mappings in a list (other items and non-list values dropped)."""
    return [item for item in as_list(value) if isinstance(item, dict)]


def get_in(value: Any, *keys: Any) -> Any:
    """``value[k1][k2]...`` through mappings only, None as soon as a step is not a mapping."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def first_mapping(docs: Any) -> dict[Any, Any] | None:
    """The first document of a YAML stream when it is a mapping, else None."""
    if isinstance(docs, list):
        docs = docs[0] if docs else None
    return docs if isinstance(docs, dict) else None


#: keys under which a YAML file's strings are commands something runs (CI steps, task runners,
#: container specs, Ansible tasks); a string elsewhere is data, often prose about a command.
COMMAND_KEYS = frozenset({
    "run", "script", "scripts", "command", "commands", "cmd", "cmds", "args", "shell", "entrypoint",
    "before_script", "after_script", "before_install", "install", "build", "inlinescript", "bash",
    "sh", "pwsh", "powershell", "exec", "steps", "hooks", "pre", "post",
})


def command_strings(value: Any, under_command: bool = False) -> list[str]:
    """The strings of a parsed YAML/JSON value that sit under a command key (at any depth)."""
    if isinstance(value, str):
        return [value] if under_command else []
    if isinstance(value, dict):
        return [s for k, v in value.items()
                for s in command_strings(v, under_command or str(k).lower() in COMMAND_KEYS)]
    if isinstance(value, list):
        return [s for item in value for s in command_strings(item, under_command)]
    return []
