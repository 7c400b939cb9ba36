"""Detectors shared out over forked processes: a scan of a local checkout uses more than one core.

Each detector is pure over the scan's sources, so running some of them in a forked copy of the
process gives the evidence one process would give. A fork is only taken where nothing it copies
is shared with the parent: a repository read from this machine's disk (not through an HTTP
client whose connections, budget and rate-limit pauses belong to the parent), no other thread
running (a lock held by one would stay held in the copy), and never for detectors of a live
source. Whatever a forked process cannot hand back, the parent runs itself: a fork never loses
a detector's result.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from typing import TYPE_CHECKING, Callable, Mapping, Sequence, TypeVar

from scanner.deadline import Deadline

if TYPE_CHECKING:
    from scanner.detector import Detector, ScanContext

log = logging.getLogger(__name__)

R = TypeVar("R")


def default_jobs() -> int:
    """Processes a scan uses unless told: two where there are two cores (a second one pays for
    its start on any repository worth timing; more repeat too much parsing to pay)."""
    return min(2, os.cpu_count() or 1)


def can_fork(ctx: ScanContext) -> bool:
    """Detectors may run in a forked copy of this process without sharing anything live."""
    return ("fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
            and ctx.repo is not None and ctx.repo.local)


def share_out(detectors: Sequence[type[Detector]], jobs: int) -> list[list[type[Detector]]]:
    """The detectors in ``jobs`` groups of about equal ``cost``, the first kept by this process.

    Only detectors that read the repository alone may go elsewhere; each group keeps the
    detectors' order. Largest first onto the lightest group (a near-even share for a few items).
    """
    groups: list[list[type[Detector]]] = [[] for _ in range(max(1, jobs))]
    load = [0.0] * len(groups)
    movable = [cls for cls in detectors if tuple(cls.sources) == ("repo",)]
    for cls in detectors:
        if cls not in movable:
            groups[0].append(cls)
            load[0] += cls.cost
    for cls in sorted(movable, key=lambda c: -c.cost):
        lightest = load.index(min(load))
        groups[lightest].append(cls)
        load[lightest] += cls.cost
    order = {cls: i for i, cls in enumerate(detectors)}
    return [sorted(group, key=order.__getitem__) for group in groups if group]


def run_shared(ctx: ScanContext, detectors: Sequence[type[Detector]],
               run: Callable[[type[Detector]], R], *, jobs: int = 1, deadline: Deadline | None = None) -> dict[str, R]:
    """``run`` for every detector, keyed by detector id; shared out over up to ``jobs``
    processes when that is safe, else all here. A forked process still busy at the ``deadline``
    is killed and its detectors are given to ``run`` again here (which then reports them not run)."""
    if jobs <= 1 or len(detectors) < 2 or not can_fork(ctx):
        return {cls.id: run(cls) for cls in detectors}
    here, *elsewhere = share_out(detectors, jobs)
    children = [(_fork(ctx, group, run), group) for group in elsewhere]
    out = {cls.id: run(cls) for cls in here}
    for child, group in children:
        answer = _collect(child, deadline or Deadline())
        if answer is None:
            out.update((cls.id, run(cls)) for cls in group)
            continue
        results, state = answer
        out.update(results)
        ctx.adopt(state)
    return out


def _fork(ctx: ScanContext, group: Sequence[type[Detector]], run: Callable[[type[Detector]], R]):
    fork = multiprocessing.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    process = fork.Process(target=_child, args=(ctx, group, run, send), daemon=True, name="mlops-scan-detectors")
    try:
        process.start()
    except OSError as exc:  # no process to spare: the parent runs the group
        log.debug("cannot fork for detectors: %s", exc)
        receive.close()
        send.close()
        return None
    send.close()
    return process, receive


def _child(ctx: ScanContext, group: Sequence[type[Detector]], run: Callable[[type[Detector]], R], send) -> None:
    try:
        send.send(({cls.id: run(cls) for cls in group}, ctx.shared_state()))
    except Exception as exc:  # e.g. a plugin's evidence that does not pickle: the parent reruns
        log.debug("forked detectors failed (%s)", exc)
    finally:
        send.close()


def _collect(child, deadline: Deadline) -> tuple[Mapping[str, R], dict] | None:
    """The forked process's results, or None when it ended without giving them or is still
    working at the deadline (then it is killed)."""
    if child is None:
        return None
    process, receive = child
    try:
        if not receive.poll(None if deadline.seconds is None else deadline.remaining()):
            log.debug("forked detectors still running at the deadline: killed")
            process.kill()
            return None
        return receive.recv()
    except (EOFError, OSError) as exc:
        log.debug("forked detectors gave no result (%s): run here", exc)
        return None
    finally:
        receive.close()
        process.join()
