"""Objects that configuration files build: Hydra's ``_target_`` entries read as calls.

A project that calls ``hydra.utils.instantiate`` builds its loggers, callbacks and models from
YAML (``_target_: lightning.pytorch.loggers.MLFlowLogger`` with its arguments beside it): the
config is the call. Each such file is given syntax facts of its own (an import of the target's
module and a call of the target with its literal arguments), so the catalogue matches it like
code. Without an ``instantiate`` call in the project, ``_target_`` entries build nothing.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from scanner.detector import ParseError, ScanContext
from scanner.parsing.python import Call, PyFacts

INSTANTIATE = frozenset({"hydra.utils.instantiate", "hydra.utils.call", "hydra.utils.get_class",
                         "hydra.utils.get_method"})
_DOTTED = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+$")
MAX_TARGETS = 500


def instantiates(ctx: ScanContext) -> bool:
    """Some project code builds objects from configs through Hydra."""
    return ctx.memo("hydra_instantiate", lambda: any(
        c.name in INSTANTIATE for _, facts in ctx.python_files(notebooks=False)
        if facts.imports_any(("hydra",)) for c in facts.calls))


def configured_calls(ctx: ScanContext) -> Iterator[tuple[str, PyFacts]]:
    """(config path, facts) of the YAML files whose ``_target_`` entries the project instantiates."""
    if ctx.repo is None or not instantiates(ctx):
        return
    for path in ctx.repo.glob("*.yaml", "*.yml"):
        text = ctx.text(path)
        if not text or "_target_" not in text:
            continue
        try:
            docs = ctx.structured(path)
        except ParseError:
            continue
        calls = [_call(target, args, text) for doc in docs for target, args in _targets(doc)][:MAX_TARGETS]
        if calls:
            imports: dict[str, int] = {}
            for call in calls:
                imports.setdefault(call.name.rsplit(".", 1)[0], call.line)
            yield path, PyFacts(imports=imports, calls=tuple(sorted(calls, key=lambda c: c.line)))


def _targets(node: Any) -> Iterator[tuple[str, dict]]:
    """(target, sibling arguments) of every mapping with a dotted ``_target_``, iteratively."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            target = item.get("_target_")
            if isinstance(target, str) and _DOTTED.match(target):
                yield target, item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _call(target: str, args: dict, text: str) -> Call:
    at = text.find(target)
    kwargs = tuple((str(k), v if isinstance(v, (str, int, float, bool)) else None)
                   for k, v in args.items() if k != "_target_" and not str(k).startswith("_"))
    return Call(name=target, line=text.count("\n", 0, at) + 1 if at >= 0 else 1, kwargs=kwargs)
