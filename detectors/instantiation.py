"""Objects that configuration files build: Hydra's ``_target_`` entries read as calls.

A project that calls ``hydra.utils.instantiate`` builds its loggers, callbacks and models from
YAML (``_target_: lightning.pytorch.loggers.MLFlowLogger`` with its arguments beside it): the
config is the call. Each such file is given syntax facts of its own (an import of the target's
module and a call of the target with its literal arguments), so the catalogue matches it like
code. Without an ``instantiate`` call in the project, ``_target_`` entries build nothing.

The same holds for the ``target``/``params`` convention of many research code bases, whose own
``instantiate_from_config`` imports ``config["target"]`` and calls it with ``params``: there
the configs are YAML files and dict literals in the code (``{"target":
"pytorch_lightning.loggers.TestTubeLogger", "params": {...}}``).
"""
from __future__ import annotations

import ast
import re
from typing import Any, Iterator

from scanner.detector import ParseError, ScanContext
from scanner.parsing.python import Call, PyFacts
from scanner.scope import is_test_path

INSTANTIATE = frozenset({"hydra.utils.instantiate", "hydra.utils.call", "hydra.utils.get_class",
                         "hydra.utils.get_method"})
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+$")
MAX_TARGETS = 500
#: code reading the class to build from a config (``config["target"]``, ``config.get("target")``)
_TARGET_LOOKUP = re.compile(r"""\[\s*["']target["']\s*\]|\.get\(\s*["']target["']""")
_TARGET_KEY = re.compile(r"""["']target["']\s*:\s*["'][A-Za-z_]\w*\.""")


def instantiates(ctx: ScanContext) -> bool:
    """Some project code builds objects from configs through Hydra."""
    return ctx.memo("hydra_instantiate", lambda: any(
        c.name in INSTANTIATE for _, facts in ctx.python_files(notebooks=False)
        if facts.imports_any(("hydra",)) for c in facts.calls))


def instantiates_targets(ctx: ScanContext) -> bool:
    """Some project code imports the class a config's ``target`` names (``importlib.import_module``
    beside a ``config["target"]`` lookup)."""
    return ctx.memo("target_instantiate", lambda: any(
        any(c.name == "importlib.import_module" for c in facts.calls) and _TARGET_LOOKUP.search(ctx.text(path) or "")
        for path, facts in ctx.python_files(notebooks=False)
        if not is_test_path(path) and "importlib" in facts.import_candidates()))


def configured_calls(ctx: ScanContext) -> Iterator[tuple[str, PyFacts]]:
    """(config path, facts) of the configs whose target entries the project instantiates."""
    if ctx.repo is None:
        return
    # Hydra's ``_target_`` with its arguments beside it; the convention's ``target`` with ``params``
    styles = [key for key, used in (("_target_", instantiates), ("target", instantiates_targets)) if used(ctx)]
    for key in styles:
        for path in ctx.repo.glob("*.yaml", "*.yml"):
            text = ctx.text(path)
            if not text or f"{key}:" not in text:
                continue
            try:
                docs = ctx.structured(path)
            except ParseError:
                continue
            yield from _facts(path, [_call(key, target, args, text) for doc in docs for target, args in _targets(doc, key)])
        if key == "target":
            for path, _ in ctx.python_files(notebooks=False):
                text = ctx.text(path) or ""
                if _TARGET_KEY.search(text) and not is_test_path(path):
                    tree = ctx.tree(path)
                    if tree is not None:
                        yield from _facts(path, [_call(key, target, args, text, line)
                                                 for target, args, line in _literal_targets(tree)])


def _facts(path: str, calls: list[Call]) -> Iterator[tuple[str, PyFacts]]:
    calls = calls[:MAX_TARGETS]
    if calls:
        imports: dict[str, int] = {}
        for call in calls:
            imports.setdefault(call.name.rsplit(".", 1)[0], call.line)
        yield path, PyFacts(imports=imports, calls=tuple(sorted(calls, key=lambda c: c.line)))


def _targets(node: Any, key: str) -> Iterator[tuple[str, dict]]:
    """(target, arguments) of every mapping with a dotted ``key``, iteratively."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            target = item.get(key)
            if isinstance(target, str) and _DOTTED.match(target):
                yield target, item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _literal_targets(tree: ast.AST) -> Iterator[tuple[str, dict, int]]:
    """(target, literal arguments, line) of the dict literals naming a dotted ``target``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        entries = {k.value: v for k, v in zip(node.keys, node.values)
                   if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        target = entries.get("target")
        if isinstance(target, ast.Constant) and isinstance(target.value, str) and _DOTTED.match(target.value):
            try:
                args = ast.literal_eval(entries["params"]) if "params" in entries else {}
            except ValueError:
                args = {}  # arguments computed at run time (``"save_dir": logdir``)
            yield target.value, {"params": args if isinstance(args, dict) else {}}, node.lineno


def _call(key: str, target: str, args: dict, text: str, line: int | None = None) -> Call:
    # Hydra's arguments sit beside ``_target_``; the convention's under ``params``
    given = args if key == "_target_" else args.get("params") if isinstance(args.get("params"), dict) else {}
    kwargs = tuple((str(k), v if isinstance(v, (str, int, float, bool)) else None)
                   for k, v in given.items() if k != "_target_" and not str(k).startswith("_"))
    if line is None:
        at = text.find(target)
        line = text.count("\n", 0, at) + 1 if at >= 0 else 1
    return Call(name=target, line=line, kwargs=kwargs)
