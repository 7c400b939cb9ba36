"""Task runners: Makefile/justfile with real targets, tox, nox, invoke, mise or Taskfile tasks,
and poe/pdm/taskipy/hatch scripts in pyproject.toml."""
from __future__ import annotations

import re
from typing import Iterator

from detectors.collaboration.repo import MAX_TASK_DEPTH, RepoFiles, base_name, depth, table
from detectors.collaboration.signals import TASK_RUNNER
from detectors.shapes import as_dict
from scanner.model import Evidence

_MAKE_TARGET = re.compile(r"^([A-Za-z0-9_][\w./%-]*(?:[ \t]+[\w./%-]+)*)[ \t]*::?(?![=:])(.*)$")
_JUST_RECIPE = re.compile(r"^@?([A-Za-z_][\w-]*)(?:[ \t]+[^:=]*)?:(?![=])")
_TOX_ENV = re.compile(r"^\[testenv(?::([^\]]+))?\]", re.M)
_DECORATED_DEF = re.compile(r"^@[\w.]+.*\n(?:[ \t]*@.*\n)*[ \t]*def[ \t]+(\w+)", re.M)
_PYPROJECT_TASKS = (("poe", ("tool", "poe", "tasks")), ("pdm", ("tool", "pdm", "scripts")),
                    ("taskipy", ("tool", "taskipy", "tasks")))

#: (runner, task names) found in one file.
Tasks = tuple[str, list[str]]


def make_targets(text: str) -> list[str]:
    """Targets of a Makefile that run a recipe (special ``.X`` targets and variables excluded)."""
    lines = text.splitlines()
    targets: list[str] = []
    for i, line in enumerate(lines):
        m = _MAKE_TARGET.match(line)
        if not m or line.startswith(".") or "=" in m.group(1):
            continue
        inline = m.group(2).partition(";")[2].strip()
        following = next((ln for ln in lines[i + 1:i + 20] if ln.strip() and not ln.lstrip().startswith("#")), "")
        if inline or following.startswith("\t"):
            targets += m.group(1).split()
    return targets


def just_recipes(text: str) -> list[str]:
    """Recipes of a justfile that have an indented body."""
    lines = text.splitlines()
    recipes = []
    for i, line in enumerate(lines):
        m = _JUST_RECIPE.match(line)
        if m and i + 1 < len(lines) and lines[i + 1][:1] in (" ", "\t") and lines[i + 1].strip():
            recipes.append(m.group(1))
    return recipes


def task_runner_evidence(repo: RepoFiles) -> Iterator[Evidence]:
    """The first file near the root that defines runnable tasks."""
    for path in repo.files:
        if depth(path) > MAX_TASK_DEPTH:
            continue
        found = tasks_in(repo, path)
        if found:
            runner, tasks = found
            summary = f"{runner} with {len(tasks)} tasks in {path} ({', '.join(tasks[:5])})"
            yield repo.found(TASK_RUNNER, summary, [path], subject=runner, runner=runner, tasks=tasks[:30])
            return


def tasks_in(repo: RepoFiles, path: str) -> Tasks | None:
    """(runner, task names) of one file, or None when it defines no runnable task."""
    base = base_name(path)
    if base in ("makefile", "gnumakefile"):
        text = repo.text(path)
        # sphinx-quickstart writes a Makefile that only forwards to sphinx-build.
        return ("make", make_targets(text)) if "SPHINXBUILD" not in text and make_targets(text) else None
    if base in ("justfile", ".justfile"):
        recipes = just_recipes(repo.text(path))
        return ("just", recipes) if recipes else None
    if base == "tox.ini":
        envs = _TOX_ENV.findall(repo.text(path))
        return ("tox", [e or "testenv" for e in envs]) if envs else None
    if base in ("noxfile.py", "tasks.py"):
        return _python_tasks(repo, path, "nox.session" if base == "noxfile.py" else "invoke.task")
    if path.startswith("tasks/") and path.count("/") == 1 and path.endswith(".py") \
            and ("tasks/__init__.py" in repo.files or "tasks.py" in repo.files):
        # invoke loads a ``tasks`` package, or a tasks.py gathering the modules of tasks/
        return _python_tasks(repo, path, "invoke.task")
    if base in ("mise.toml", ".mise.toml", "taskfile.yml", "taskfile.yaml") or path == ".projen/tasks.json":
        return _table_tasks(repo, path)
    pyproject = repo.pyprojects.get(path)
    return _pyproject_tasks(pyproject) if pyproject is not None else None


def _python_tasks(repo: RepoFiles, path: str, decorator: str) -> Tasks | None:
    """nox sessions or invoke tasks: functions under the runner's decorator."""
    facts = repo.ctx.python(path)
    if not facts or not any(c.name.startswith(decorator) for c in facts.calls):
        return None
    names = _DECORATED_DEF.findall(repo.text(path))
    return decorator.split(".")[0], names or [decorator]


def _table_tasks(repo: RepoFiles, path: str) -> Tasks | None:
    """mise, Taskfile or projen tasks: the keys of a ``tasks`` table."""
    tasks = table(repo.first_document(path), "tasks")
    runner = "mise" if path.lower().endswith(".toml") else "projen" if path.startswith(".projen/") else "task"
    return (runner, sorted(map(str, tasks))) if isinstance(tasks, dict) and tasks else None


def _pyproject_tasks(doc: dict) -> Tasks | None:
    for runner, keys in _PYPROJECT_TASKS:
        tasks = table(doc, *keys)
        if isinstance(tasks, dict) and tasks:
            return runner, sorted(map(str, tasks))
    envs = as_dict(table(doc, "tool", "hatch", "envs"))
    scripts = sorted(str(s) for env in envs.values() for s in as_dict(table(env, "scripts")))
    return ("hatch", scripts) if scripts else None
