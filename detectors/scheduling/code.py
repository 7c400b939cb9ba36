"""Schedules set up in Python code: APScheduler jobs, ``schedule`` library jobs, and background
loops that sleep between runs (a thread or asyncio task an app starts, or a script's main loop).

What a schedule is for is read from the function it runs: the function is followed (same module
or a project import) and the names of what it reaches decide whether it monitors (drift, quality,
evaluation) or prepares data and trains (ingest, ETL, retrain). A class or function merely named
like a scheduler is never a schedule: only a job handed to a scheduler, or a loop that is started.
"""
from __future__ import annotations

import ast
import itertools
import re
from typing import Iterator

from detectors.flow import Function, Module, Project, callee, dotted, own_nodes, source
from detectors.scheduling.job import Schedule
from scanner.parsing.python import walk

#: sleeping or waiting with a timeout: what a loop does between two runs.
_WAITS = frozenset({"sleep", "wait", "wait_for"})
#: a loop that takes work from a queue is a worker, not a schedule.
_QUEUE_CALLS = frozenset({"poll", "receive", "receive_messages", "consume", "dequeue", "blpop", "brpop",
                          "xread", "xreadgroup", "recv", "get_nowait"})
#: a loop waking more often than this (seconds) polls for something; it does not run on a schedule.
MIN_TICK_SECONDS = 5
#: a module worth parsing: it hands a job to a scheduler, or loops (and waits, said the needles).
_WORTH_PARSING = re.compile(r"add_job|scheduled_job|\.every\(|^\s*while\b", re.M)
_APS_TIMING = ("weeks", "days", "hours", "minutes", "seconds", "hour", "minute", "day_of_week", "day",
               "month", "cron", "crontab")


def code_schedules(project: Project) -> Iterator[Schedule]:
    """Schedules set up in Python modules of the project."""
    for module in project.modules("add_job", "scheduled_job", ".every(", "sleep(", "wait(", pattern=_WORTH_PARSING):
        text = project.text(module.path)
        if _imports(module, "apscheduler"):
            yield from _apscheduler(project, module)
        if _imports(module, "schedule") and "run_pending" in text:
            yield from _schedule_library(project, module)
        if "while" in text:
            yield from _loops(project, module)


def _imports(module: Module, top: str) -> bool:
    return any(target == top or target.startswith(top + ".") for level, target in module.imports.values()
               if not level)


def _job(project: Project, module: Module, expr: ast.AST | None, cls: str | None = None) -> tuple[str, tuple[str, ...]]:
    """(name, what it does) of a job given as a function, ``self.method``, ``module.function`` or an
    APScheduler ``"module:function"`` reference."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str) and ":" in expr.value:
        mod, _, name = expr.value.partition(":")
        path = project.index.get(mod)
        other = project.module(path) if path else None
        if other is None:
            return name, (name,)
        return name, tuple(project.behaviour(other, other.lookup(name)) or [name])
    if isinstance(expr, ast.Call):  # functools.partial(job, ...) or a lambda-less wrapper
        expr = expr.args[0] if expr.args else expr.func
    if isinstance(expr, ast.Lambda):
        calls = [n for n in walk(expr.body) if isinstance(n, ast.Call)]
        expr = calls[0].func if calls else None
    name = dotted(expr) if expr is not None else ""
    if not name:
        return "", ()
    owner, _, tail = name.rpartition(".")
    where, fns = project.resolve(module, tail, owner.split(".")[-1] if owner and owner != "self" else None)
    if owner == "self" and cls:
        fns = where.lookup(tail, cls)
    return tail, tuple(project.behaviour(where, fns) or [tail])


def _kwargs(call: ast.Call) -> dict[str, ast.AST]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _cadence(trigger: ast.AST | None, kwargs: dict[str, ast.AST]) -> str | None:
    """How an APScheduler job is triggered; None for a one-off (``date``) or untimed job."""
    timing = [f"{k}={source(v, 20)}" for k, v in kwargs.items() if k in _APS_TIMING]
    if isinstance(trigger, ast.Constant) and trigger.value in ("cron", "interval"):
        return f"{trigger.value} {' '.join(timing)}".strip()
    if isinstance(trigger, ast.Call) and callee(trigger) in ("CronTrigger", "IntervalTrigger", "from_crontab",
                                                            "OrTrigger", "AndTrigger", "CalendarIntervalTrigger"):
        return source(trigger, 60)
    return " ".join(timing) if timing and not (isinstance(trigger, ast.Constant) and trigger.value == "date") else None


def _apscheduler(project: Project, module: Module) -> Iterator[Schedule]:
    for node in walk(module.tree):
        if isinstance(node, ast.Call) and callee(node) == "add_job":
            kw = _kwargs(node)
            job = node.args[0] if node.args else kw.get("func")
            trigger = node.args[1] if len(node.args) > 1 else kw.get("trigger")
            cadence = _cadence(trigger, kw)
            if cadence and job is not None:
                fn = module.enclosing(node.lineno)
                name, does = _job(project, module, job, fn.cls if fn else None)
                yield Schedule("APScheduler job", name, cadence, module.path, node.lineno, does)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                if isinstance(dec, ast.Call) and callee(dec) == "scheduled_job":
                    cadence = _cadence(dec.args[0] if dec.args else _kwargs(dec).get("trigger"), _kwargs(dec))
                    if cadence:
                        does = tuple(project.behaviour(module, module.lookup(node.name)))
                        yield Schedule("APScheduler job", node.name, cadence, module.path, dec.lineno, does)


def _schedule_library(project: Project, module: Module) -> Iterator[Schedule]:
    for node in walk(module.tree):
        if isinstance(node, ast.Call) and callee(node) == "do" and node.args:
            chain = node.func.value if isinstance(node.func, ast.Attribute) else None
            if chain is not None and any(isinstance(n, ast.Call) and callee(n) == "every" for n in walk(chain)):
                name, does = _job(project, module, node.args[0])
                yield Schedule("schedule job", name, f"on {source(chain, 50)}", module.path, node.lineno, does)


# -- background loops ------------------------------------------------------------------------------

def _loops(project: Project, module: Module) -> Iterator[Schedule]:
    # a script whose main block loops (fn None) runs when the script is run (a service's command)
    scopes: list[tuple[Function | None, ast.AST]] = [(fn, fn.node) for fn in module.all_functions()]
    for fn, scope in scopes + [(None, module.tree)]:
        for loop in own_nodes(scope):
            found = _loop_schedule(project, module, fn, loop) \
                if isinstance(loop, ast.While) and _runs_forever(loop) else None
            if found:
                yield found
                break


def _runs_forever(loop: ast.While) -> bool:
    """``while True`` / ``while not stop.is_set()`` / ``while self.running``, never left by a
    ``break`` or ``return`` outside an exception handler."""
    test = loop.test
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    if not (isinstance(test, ast.Constant) and test.value is True or isinstance(test, (ast.Name, ast.Attribute))
            or isinstance(test, ast.Call) and callee(test) in ("is_set", "is_stopped", "stopped", "running")):
        return False
    stack = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Return)):
            return False
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ExceptHandler, ast.While, ast.For,
                                 ast.AsyncFor, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return True


def _interval(call: ast.Call) -> str | None:
    """The interval a sleep or wait is given, as written; None when it is a short literal."""
    value = _kwargs(call).get("timeout") or (call.args[-1] if call.args else None)
    if value is None:
        return None
    if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) and value.value < MIN_TICK_SECONDS:
        return None
    return source(value, 40)


def _loop_schedule(project: Project, module: Module, fn: Function | None, loop: ast.While) -> Schedule | None:
    body = [n for stmt in loop.body for n in [stmt, *own_nodes(stmt)]]
    calls = [n for n in body if isinstance(n, ast.Call)]
    waits = [c for c in calls if callee(c) in _WAITS]
    interval = next((i for i in map(_interval, waits) if i), None)
    if interval is None or any(callee(c) in _QUEUE_CALLS for c in calls):
        return None
    cls = fn.cls if fn else None
    does: set[str] = set()
    for call in calls:
        if callee(call) in _WAITS:
            continue
        does.update(_job(project, module, call.func, cls)[1])
        # ``await run_in_threadpool(self.tick)``: the job is handed to a runner, not called here;
        # an argument counts only when it is a function (an interval variable is not a job)
        for arg in call.args:
            if isinstance(arg, (ast.Name, ast.Attribute)) and _is_function(project, module, arg, cls):
                does.update(_job(project, module, arg, cls)[1])
    started = _start_of(project, module, fn) if fn else (module.path, loop.lineno)
    if not does or started is None:
        return None
    return Schedule("background loop", fn.qualname if fn else module.path.rsplit("/", 1)[-1], f"every {interval}",
                    module.path, loop.lineno, tuple(sorted(does)), started)


def _is_function(project: Project, module: Module, expr: ast.AST, cls: str | None) -> bool:
    """A name or attribute that refers to a project function (of this module or an import)."""
    owner, _, tail = dotted(expr).rpartition(".")
    if owner == "self":
        return bool(module.lookup(tail, cls))
    return bool(project.resolve(module, tail, owner.split(".")[-1] or None)[1])


def _start_of(project: Project, module: Module, fn: Function) -> tuple[str, int] | None:
    """Where the loop's function is started: called, or handed to a task or thread
    (``asyncio.create_task(loop())``, ``Thread(target=loop)``). A method is reached through its
    class (``Scheduler().run()``) or ``self``."""
    pattern = re.compile(rf"\b{re.escape(fn.name)}\b")
    others = (m for m in project.modules(fn.cls or fn.name, pattern=pattern) if m is not module)
    for other in itertools.chain([module], others):
        for node in walk(other.tree):
            if not isinstance(node, ast.Call):
                continue
            for ref in [node.func, *node.args, *(k.value for k in node.keywords)]:
                named = ref.attr if isinstance(ref, ast.Attribute) else None if fn.cls else \
                    ref.id if isinstance(ref, ast.Name) else None
                inside = other is module and fn.node.lineno <= ref.lineno <= (fn.node.end_lineno or 0)
                if named == fn.name and not inside:
                    return other.path, ref.lineno
    return None
