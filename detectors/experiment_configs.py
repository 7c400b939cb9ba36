"""Experiments declared in config files rather than in library calls: W&B sweep files that a
``wandb sweep`` command runs, Hydra sweepers of a Hydra app, and DVC stages that track
parameters and metrics. The tracking detector turns what is found here into evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from detectors.catalogue import key_line
from detectors.data import code_files, code_lines, is_test_path
from detectors.flow import project
from detectors.shapes import as_dict, as_list, as_str, dicts, first_mapping
from detectors.tools import PROSE_SUFFIXES, is_template_path
from scanner.detector import ParseError, ScanContext
from scanner.sources.interface import SourceError

MAX_CONFIG_BYTES = 256 * 1024

#: files that hold commands: scripts, task runners, CI and container definitions, code.
_COMMAND_FILE = re.compile(r"\.(sh|bash|zsh|ps1|bat|cmd|ya?ml|toml|cfg|ini|mk|py|ipynb)$"
                           r"|(^|/)(makefile|gnumakefile|justfile|dockerfile[^/]*|procfile|jenkinsfile|taskfile[^/]*)$",
                           re.I)
_SWEEP_METHODS = frozenset({"grid", "random", "bayes"})
#: Hydra sweepers that search (every one but the basic sweeper, which only runs a grid when it
#: is given ``params``).
_HYDRA_SWEEPER_KEY = re.compile(r"^(override\s+)?hydra/sweeper$")
_HYDRA_SEARCH_KEYS = ("params", "parametrization", "sampler", "optim", "ax_config", "search_space")
#: a multirun launch: ``--multirun``, ``hydra.mode=MULTIRUN``, or ``train.py -m lr=0.1,0.01``.
_MULTIRUN = re.compile(r"--multirun\b|\bhydra\.mode=MULTIRUN\b|\.py\b[^\n]*?\s-m\s+[\w.+/~-]+=")
_HYDRA_ENTRY = ("hydra.main", "hydra.initialize", "hydra.initialize_config_dir", "hydra.initialize_config_module",
                "hydra.compose")


@dataclass(frozen=True)
class Finding:
    """One declarative experiment config: where it is, what it is, and what uses it."""

    path: str
    line: int | None
    what: str
    used_by: str | None = None
    """The file that runs it (None: nothing does, the config is only declared)."""
    extra: dict[str, Any] = field(default_factory=dict)


def _small_text(ctx: ScanContext, path: str) -> str | None:
    """Text of a file under the size cap of config files (None when bigger or unreadable)."""
    try:
        if ctx.repo is None or ctx.repo.size(path) > MAX_CONFIG_BYTES:
            return None
    except (OSError, SourceError):
        return None
    return ctx.text(path)


def _docs(ctx: ScanContext, path: str) -> dict | None:
    """The first mapping of a small YAML/JSON file (None when too big, unparsable or not one)."""
    if _small_text(ctx, path) is None:
        return None
    try:
        value = ctx.structured(path)
    except ParseError:
        return None
    return value if isinstance(value, dict) else first_mapping(value)


def command_texts(ctx: ScanContext) -> dict[str, str]:
    """Files that can run commands, with whole-line comments dropped (commented-out commands
    run nothing). Prose, templates and tests are left out."""
    def read() -> dict[str, str]:
        out = {}
        for path in ctx.files():
            if _COMMAND_FILE.search(path) and not path.lower().endswith(PROSE_SUFFIXES) \
                    and not is_template_path(path) and not is_test_path(path):
                out[path] = code_lines(_small_text(ctx, path) or "")
        return out
    return ctx.memo("experiment_configs.command_texts", read)


# -- W&B sweeps ----------------------------------------------------------------------------------
def wandb_sweeps(ctx: ScanContext) -> Iterator[Finding]:
    """Sweep configurations (``method`` grid/random/bayes + ``parameters``), each with the file
    that runs it: a ``wandb sweep <file>`` command, or code calling ``wandb.sweep`` that names it."""
    commands = None
    for path in ctx.files():
        low = path.lower()
        # JSON is mostly data: only a file named as a sweep is read
        if not (low.endswith((".yaml", ".yml")) or low.endswith(".json") and "sweep" in low) or is_template_path(path):
            continue
        text = _small_text(ctx, path)
        if not text or "method" not in text or "parameters" not in text:
            continue
        doc = _docs(ctx, path)
        if not doc or str(doc.get("method")).lower() not in _SWEEP_METHODS or not as_dict(doc.get("parameters")):
            continue
        commands = command_texts(ctx) if commands is None else commands
        runner = _sweep_runner(ctx, path, commands) or _sweep_records(ctx) or _sweep_program(ctx, doc)
        yield Finding(path, key_line(text, "method"), f"W&B sweep ({doc.get('method')})",
                      runner, {"metric": as_dict(doc.get("metric")).get("name")})


#: the folder W&B's agent writes each sweep's run configs to (``wandb/sweep-2tqpto4l/config-9iyu.yaml``)
_SWEEP_RECORD = re.compile(r"(^|/)wandb/sweep-\w+/")


def _sweep_records(ctx: ScanContext) -> str | None:
    """W&B's local records of a sweep's runs, committed: the sweep was run (by hand, ``wandb agent``)."""
    record = next((p for p in ctx.files() if _SWEEP_RECORD.search(p)), None)
    return f"{record.rsplit('/', 1)[0]}/ (W&B's records of the sweep's runs)" if record else None


def _sweep_program(ctx: ScanContext, doc: dict) -> str | None:
    """The agent program a sweep names (``program: train.py``, or ``command: [python, -m,
    pkg.sweep_runner]``) when it is the project's own code reading the trial's configuration from
    W&B: a sweep written together with the code its agent runs."""
    words = [as_str(doc.get("program"))] + [as_str(w) for w in as_list(doc.get("command"))]
    words = [w for w in words if w and not w.startswith("${")]
    targets = [w for w in words if w.endswith(".py")] + [words[i + 1] for i, w in enumerate(words[:-1]) if w == "-m"]
    index = project(ctx).index
    for target in targets:
        path = target if target.endswith(".py") and ctx.repo is not None and ctx.repo.exists(target) \
            else index.get(target.removesuffix(".py").replace("/", "."))
        facts = ctx.python(path) if path else None
        if facts is not None and any(c.name == "wandb.init" for c in facts.calls):
            return f"{path} (the sweep's agent program)"
    return None


def _sweep_runner(ctx: ScanContext, path: str, commands: dict[str, str]) -> str | None:
    """The file that runs a sweep config: it names the config and starts a sweep, on one line
    (``wandb sweep sweeps/lr.yaml``) or from code that builds the command around the name it
    holds (a task whose ``sweep_config`` defaults to the file, run as ``wandb sweep {sweep_config}``)."""
    name = r"(?<![\w.-])" + re.escape(path.rsplit("/", 1)[-1]) + r"(?![\w-])"
    command = re.compile(r"\bwandb\s+sweep\b[^\n]*" + name)
    built = re.compile(r"\bwandb\s+sweep\s+\{\w+\}")
    for other, text in sorted(commands.items()):
        if other == path or not re.search(name, text):
            continue
        if command.search(text) or other.endswith(".py") and built.search(text):
            return other
        facts = ctx.python(other) if other.endswith((".py", ".ipynb")) else None
        if facts and any(c.name == "wandb.sweep" for c in facts.calls):
            return other
    return None


# -- Hydra sweepers ------------------------------------------------------------------------------
def hydra_sweeps(ctx: ScanContext) -> Iterator[Finding]:
    """Sweeps of a Hydra app: a searching sweeper (or sweep ``params``) in a config of the app's
    config folders, or a ``--multirun`` launch in a script, task runner or CI job."""
    apps = _hydra_apps(ctx)
    if not apps:
        return
    app = sorted(apps)[0]
    roots = set(apps.values())
    for path in ctx.files():
        if not path.lower().endswith((".yaml", ".yml")) or is_template_path(path) or is_test_path(path):
            continue
        if None not in roots and not any(path.startswith(r) for r in roots):
            continue
        text = _small_text(ctx, path)
        if not text or "sweeper" not in text:
            continue
        what = _sweeper(_docs(ctx, path))
        if what:
            lines = [key_line(text, k) for k in ("override hydra/sweeper", "hydra/sweeper", "sweeper")]
            yield Finding(path, next((n for n in lines if n), None), what, app)
            return
    for path, text in sorted(command_texts(ctx).items()):
        if path.endswith((".py", ".ipynb")):
            continue
        m = _MULTIRUN.search(text)
        if m:
            yield Finding(path, text.count("\n", 0, m.start()) + 1, "Hydra multirun", app)
            return


def _hydra_apps(ctx: ScanContext) -> dict[str, str | None]:
    """Sources that start a Hydra app -> the folder of its configs ('' for the repository root),
    None when the folder is not a literal."""
    apps: dict[str, str | None] = {}
    for path, facts in code_files(ctx, notebooks=True):
        for call in facts.calls:
            if call.name in _HYDRA_ENTRY:
                folder = call.kwarg("config_path") or call.kwarg("config_dir")
                apps[path] = _resolve(path, folder) if isinstance(folder, str) else None
                break
    return apps


def _resolve(source: str, folder: str) -> str:
    """``config_path`` relative to the source's folder, as a repository path prefix."""
    parts = source.split("/")[:-1]
    for part in folder.strip("/").split("/"):
        if part == "..":
            parts = parts[:-1]
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts) + "/" if parts else ""


def _sweeper(doc: dict | None) -> str | None:
    """What sweep a Hydra config sets up, if any."""
    if not doc:
        return None
    for item in as_list(doc.get("defaults")):
        for key, value in as_dict(item).items():
            if _HYDRA_SWEEPER_KEY.match(str(key)) and str(value).lower() not in ("basic", "none"):
                return f"Hydra {value} sweeper"
    sweeper = as_dict(as_dict(doc.get("hydra")).get("sweeper"))
    if any(sweeper.get(k) for k in _HYDRA_SEARCH_KEYS):
        return "Hydra sweeper " + ("search" if "basic" not in str(sweeper.get("_target_", "")).lower() else "grid")
    return None


# -- DVC parameters and metrics ------------------------------------------------------------------
def dvc_tracked(ctx: ScanContext) -> Iterator[Finding]:
    """``dvc.yaml`` files whose stages declare the parameters they read and whose metrics (or
    plots) DVC compares between runs."""
    for path in ctx.files():
        if path.rsplit("/", 1)[-1] != "dvc.yaml" or is_template_path(path):
            continue
        doc = _docs(ctx, path)
        if not doc:
            continue
        stages = [s for s in dicts(list(as_dict(doc.get("stages")).values()))]
        params = sorted({_param_name(p) for s in stages for p in as_list(s.get("params"))} - {""})
        metrics = [m for s in [doc, *stages] for m in as_list(s.get("metrics"))]
        plots = [p for s in [doc, *stages] for p in as_list(s.get("plots"))]
        if params:
            text = ctx.text(path) or ""
            yield Finding(path, key_line(text, "params"), "DVC stage parameters", path,
                          {"params": params[:20], "metrics": len(metrics), "plots": len(plots)})


def _param_name(item: Any) -> str:
    """A ``params:`` entry: ``train.lr``, or ``{file.yaml: [keys]}`` (the file's name)."""
    if isinstance(item, dict):
        return ", ".join(str(k) for k in item)
    return str(item) if isinstance(item, (str, int, float)) else ""


def dvc_params_files(ctx: ScanContext) -> set[str]:
    """Parameter files that DVC stages read: ``params.yaml`` beside a ``dvc.yaml`` listing plain
    keys, and the files its ``params:`` entries name."""
    files: set[str] = set()
    for finding in dvc_tracked(ctx):
        folder = finding.path.rsplit("/", 1)[0] + "/" if "/" in finding.path else ""
        doc = _docs(ctx, finding.path) or {}
        for stage in dicts(list(as_dict(doc.get("stages")).values())):
            for item in as_list(stage.get("params")):
                names = [str(k) for k in item] if isinstance(item, dict) else ["params.yaml"]
                files.update(folder + n for n in names)
    return files
