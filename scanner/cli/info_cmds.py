"""``mlops-scan signals`` and ``mlops-scan explain``: what is checked, and why."""
from __future__ import annotations

import inspect
import re

import click

from scanner.detector import Detector, load_detectors
from scanner.model import DIMENSIONS
from scanner.rules_engine import Expr, RuleError, RuleSet, load_rules
from scanner.vocabulary import vocabulary


def _tools(deciders: list[type[Detector]], signal: str) -> list[str]:
    """Tools that detectors know for a signal (a detector may offer ``tools_for``)."""
    found: set[str] = set()
    for cls in deciders:
        found.update(getattr(cls, "tools_for", lambda s: ())(signal))
    return sorted(found)


@click.command()
def signals() -> None:
    """List the signal vocabulary, the detectors that decide each signal and the tools they know."""
    loaded = load_detectors()
    for spec in vocabulary().values():
        deciders = [cls for cls in loaded.detectors if spec.id in cls.signals]
        click.echo(f"{spec.id}  [{spec.source}]")
        click.echo(f"    {spec.description}")
        click.echo(f"    detectors: {', '.join(c.id for c in deciders) or 'none (source not supported yet)'}")
        tools = _tools(deciders, spec.id)
        if tools:
            click.echo(f"    tools: {', '.join(tools)}")


def render_expr(expr: Expr) -> str:
    """A criterion expression as text."""
    if expr.op == "signal":
        return expr.signal + (f" (at least {expr.min_tier.value})" if expr.min_tier else "")  # type: ignore[operator]
    parts = [render_expr(p) for p in expr.parts]
    if expr.op == "twin":
        return f"{parts[0]} (or live {parts[1]})"
    if expr.op == "not":
        return f"not {parts[0]}"
    head = {"any": "any of", "all": "all of", "min_count": f"at least {expr.count} of"}[expr.op]
    return f"{head} ({', '.join(parts)})"


def _doc_lines_for(cls: type[Detector], signal: str) -> list[str]:
    """The bullet of a detector's docstring that documents ``signal`` (or its first line)."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    bullets = re.split(r"\n(?=\s*[*-] )", doc)
    own = [b.strip() for b in bullets if signal in b or signal.split(".", 1)[1] in b.split(":")[0]]
    return [" ".join(b.lstrip("*- ").replace("``", "").split()) for b in own] or \
        [doc.splitlines()[0] if doc else cls.id]


def _uses(rules: RuleSet, signal: str) -> list[str]:
    out = []
    for dim, levels in rules.levels.items():
        for level, criteria in sorted(levels.items()):
            out += [f"{dim} level {level}: {c.description}" for c in criteria if signal in c.when.signals()]
    return out


@click.command()
@click.argument("name")
@click.option("--profile", default="default", show_default=True, help="Rules profile to explain against.")
def explain(name: str, profile: str) -> None:
    """Explain a SIGNAL (what is checked, what counts as present) or a DIMENSION (its levels)."""
    try:
        rules = load_rules(profile=profile)
    except RuleError as exc:
        raise click.UsageError(str(exc)) from exc
    vocab = vocabulary()
    if name in DIMENSIONS:
        click.echo(f"{name}: levels stack; a level holds when its criteria and all lower levels' hold.")
        for level, criteria in sorted(rules.levels[name].items()):
            click.echo(f"\nlevel {level}")
            for c in criteria:
                click.echo(f"  - {c.description or c.id}\n    when: {render_expr(c.when)}")
                if c.recommendation:
                    click.echo(f"    to get there: {c.recommendation}")
        return
    if name not in vocab:
        raise click.UsageError(f"{name!r} is neither a signal nor a dimension "
                               f"(dimensions: {', '.join(DIMENSIONS)}; `mlops-scan signals` lists signals)")
    spec = vocab[name]
    deciders = [cls for cls in load_detectors().detectors if name in cls.signals]
    click.echo(f"{name}  [{spec.source}]\n  {spec.description}\n")
    click.echo("Present only when the practice is wired up (code that imports and calls a tool, a config "
               "that is used, a CI step that runs); a mention in prose, a dependency list, commented-out "
               "code, vendored folders or unrendered templates is recorded as 'declared' and never counts.\n")
    click.echo("What is checked:")
    for cls in deciders:
        for line in _doc_lines_for(cls, name):
            click.echo(f"  [{cls.id}] {line}")
    if not deciders:
        click.echo("  no detector yet: reported not_available")
    tools = _tools(deciders, name)
    if tools:
        click.echo(f"\nTools recognised: {', '.join(tools)}")
    uses = _uses(rules, name)
    click.echo("\nWhy it matters (rules that use it):")
    for use in uses or ["not used by the rules: reported for information"]:
        click.echo(f"  - {use}")
